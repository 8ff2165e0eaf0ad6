# truce: a plain Makefile.
#
#   make            build build/truce and build/libtruce.a
#   make demo       install what is missing, run the demo (scripts/demo.sh)
#   make test       install what is missing, build warnings-as-errors, run
#                   every test, replay the fuzz corpora, run the crash test
#   make check      the same as make test
#   make check-sanitize   the test suite under ASan + UBSan (build-san/)
#   make fuzz       build the libFuzzer targets with clang (build-fuzz/)
#   make bench      the benchmarks: a table, not a test
#
# Variables: CC, CFLAGS, B (build folder), SANITIZE=address,undefined,
# WERROR=1.

CC ?= cc
CLANG ?= clang
CFLAGS ?= -O2 -g
# Fusion's loops at -O3: the same results (C11 keeps floating point
# unfused), about 7% less CPU on the benchmark (docs/fusion.md,
# "Performance and memory"); FUSE_OPT= builds it as the rest.
FUSE_OPT ?= -O3
B ?= build

WARN = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wconversion -Wvla
ifdef WERROR
WARN += -Werror
endif
ALL_CFLAGS = -std=c11 -pthread $(WARN) $(CFLAGS)
ALL_CPPFLAGS = -Iinclude -I$(B)/gen -D_POSIX_C_SOURCE=200809L \
               -D_DEFAULT_SOURCE $(CPPFLAGS)
# jansson reads the large JSON documents (GeoJSON, terms); observations,
# read by the million, have their own reader (lib/json.c).
LDLIBS = -lsodium -lcrypto -lproj -ljansson -lsqlite3 -lm -pthread
TEST_LDLIBS = $(LDLIBS)

ifdef SANITIZE
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)
TEST_SRC := $(wildcard test/test_*.c)
TESTS := $(TEST_SRC:test/%.c=$(B)/test/%)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/%.c=$(B)/fuzz/%)
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCHES := $(BENCH_SRC:bench/%.c=$(B)/bench/%)
HELPERS := $(B)/test/crashtest
# test_fuse again, with lib/fuse.c built to look for every line of
# sight's partners by place (PAIR_LINEAR_MAX=0; ordinarily only where
# more than 512 lie in its window of time), so that its comparisons with
# the reference path, on random scenes, check that search too
FUSE_BY_PLACE := $(B)/test/test_fuse_pairs_by_place

.PHONY: all deps deps-test demo test check check-sanitize fuzz bench clean \
        unit cli-test fuzz-replay crash-test

all: $(B)/truce $(B)/libtruce.a

$(B)/lib/%.o: lib/%.c include/truce.h $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(B)/lib/fuse.o: ALL_CFLAGS += $(FUSE_OPT)

$(B)/cli/%.o: cli/%.c include/truce.h $(wildcard cli/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

# The weapon catalogue is compiled in, so the binary works anywhere;
# data/weapons.json stays its one source, turned into an array
# initialiser at build time.
$(B)/gen/weapons_json.inc: data/weapons.json scripts/embed.sh
	@mkdir -p $(@D)
	sh scripts/embed.sh data/weapons.json > $@.tmp && mv $@.tmp $@

$(B)/lib/weapons.o: $(B)/gen/weapons_json.inc

$(B)/libtruce.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/truce: $(CLI_OBJ) $(B)/libtruce.a
	$(CC) $(LDFLAGS) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) $(B)/libtruce.a $(LDLIBS)

$(B)/test/fuse_pairs_by_place.o: lib/fuse.c include/truce.h $(wildcard lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -DPAIR_LINEAR_MAX=0 $(ALL_CFLAGS) -c $< -o $@

$(FUSE_BY_PLACE): test/test_fuse.c $(B)/test/fuse_pairs_by_place.o \
                  $(wildcard test/*.h) $(wildcard fuzz/*.h) $(B)/libtruce.a
	$(CC) $(ALL_CPPFLAGS) -DFUSE_PAIRS_BY_PLACE -Ilib -Itest $(ALL_CFLAGS) \
	  $(LDFLAGS) -o $@ $< $(B)/test/fuse_pairs_by_place.o $(B)/libtruce.a $(TEST_LDLIBS)

$(B)/test/%: test/%.c $(wildcard test/*.h) $(wildcard fuzz/*.h) \
              $(wildcard lib/*.h) $(B)/libtruce.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -Ilib -Itest $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< \
	  $(B)/libtruce.a $(TEST_LDLIBS)

# The fuzz targets, built with the replay main: every corpus file and every
# past crash becomes a regression test run by make test.
$(B)/fuzz/%: fuzz/%.c fuzz/replay.c $(wildcard fuzz/*.h) $(B)/libtruce.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -Ilib $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< \
	  fuzz/replay.c $(B)/libtruce.a $(LDLIBS)

$(B)/bench/%: bench/%.c $(wildcard bench/*.h) $(B)/libtruce.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) -Ilib -Itest $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< \
	  $(B)/libtruce.a $(TEST_LDLIBS)

deps:
	@scripts/deps.sh build

deps-test:
	@scripts/deps.sh test

demo: deps
	@$(MAKE) --no-print-directory all >/dev/null
	@scripts/demo.sh $(B)/truce

unit: $(TESTS) $(FUSE_BY_PLACE)
	@fail=0; for t in $(TESTS) $(FUSE_BY_PLACE); do $$t || fail=1; done; \
	  exit $$fail

cli-test: $(B)/truce
	@scripts/cli-test.sh $(B)/truce

fuzz-replay: $(FUZZ_REPLAY)
	@fail=0; for f in $(FUZZ_REPLAY); do \
	  n=$$(basename $$f); \
	  $$f fuzz/corpus/$${n#fuzz_} || fail=1; done; exit $$fail

crash-test: $(B)/test/crashtest
	@$(B)/test/crashtest 200

test check: deps-test
	@$(MAKE) --no-print-directory WERROR=1 all $(TESTS) $(FUZZ_REPLAY) \
	  $(HELPERS) $(FUSE_BY_PLACE) $(BENCHES) >/dev/null
	@$(MAKE) --no-print-directory WERROR=1 unit cli-test fuzz-replay \
	  crash-test
	@echo "make test: all passed"

check-sanitize: deps-test
	@$(MAKE) --no-print-directory B=build-san CC=$(CLANG) \
	  SANITIZE=address,undefined WERROR=1 unit cli-test fuzz-replay
	@echo "make check-sanitize: all passed"

fuzz: deps-test $(B)/gen/weapons_json.inc
	@mkdir -p build-fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "$(CLANG) $$f -> build-fuzz/$$n"; \
	  $(CLANG) $(ALL_CPPFLAGS) -Ilib -std=c11 -g -O1 \
	    -fsanitize=fuzzer,address,undefined $$f $(LIB_SRC) \
	    -o build-fuzz/$$n $(LDLIBS) || exit 1; done

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all $(BENCHES) >/dev/null
	@scripts/bench.sh $(B)

clean:
	rm -rf build build-san build-fuzz
