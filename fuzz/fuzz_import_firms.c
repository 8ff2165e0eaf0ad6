/*
 * fuzz_import_firms.c: libFuzzer target for the NASA FIRMS converter
 * (lib/import_firms.c) through the import framework's conversion-only
 * entry point (truce_import_convert).
 *
 * Whatever the input: it returns TRUCE_OK or TRUCE_EPARSE (the file as a
 * whole is not FIRMS); every row is counted once (rows == imported +
 * refused); every observation is a thermal anomaly seen by satellite,
 * carries its provenance (this input's SHA-256, row == its line) and
 * its canonical JSON parses back; lines only go forward; every refusal
 * says why in one line. Any violation abort()s.
 *
 * Built with -fsanitize=fuzzer (make fuzz), or with fuzz/replay.c as a
 * plain program that replays fuzz/corpus/import_firms (make test).
 * Depends only on the public header.
 */
#include "truce.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed "now" keeps runs reproducible: 2026-01-01T00:00:00Z. */
#define FUZZ_NOW_MS INT64_C(1767225600000)

typedef struct seen {
  uint8_t sha[32];
  uint64_t last_line, obs, rejects;
} seen;

static truce_err on_obs(void *ctx, uint64_t line, const truce_obs *o,
                        const char *json, size_t len) {
  static truce_obs back; /* large: keep it off the stack */
  seen *s = ctx;
  char err[TRUCE_ERR_MAX];
  if (line < 2 || line <= s->last_line)
    abort(); /* row 1 is the header; lines go forward */
  s->last_line = line;
  s->obs++;
  if (o->what != TRUCE_WHAT_THERMAL_ANOMALY || o->count != 1 ||
      o->means != TRUCE_MEANS_SATELLITE || !o->has_provenance ||
      o->row != line || strcmp(o->dataset, "firms") != 0 ||
      memcmp(o->file_sha256, s->sha, 32) != 0 ||
      o->where_kind != TRUCE_WHERE_POINT || !(o->uncertainty_m > 0))
    abort();
  if (truce_obs_parse(json, len, FUZZ_NOW_MS, &back, err) != TRUCE_OK ||
      back.row != line)
    abort(); /* what is emitted is what the log takes */
  return TRUCE_OK;
}

static void on_reject(void *ctx, uint64_t line, const char *why) {
  seen *s = ctx;
  if (line < 2 || line < s->last_line || !why[0] || strchr(why, '\n'))
    abort();
  s->last_line = line;
  s->rejects++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  seen s;
  memset(&s, 0, sizeof s);
  truce_sha256(data, size, s.sha);
  truce_import_cb cb;
  memset(&cb, 0, sizeof cb);
  cb.obs = on_obs;
  cb.reject = on_reject;
  cb.ctx = &s;
  truce_import_stats st;
  char err[TRUCE_ERR_MAX];
  truce_err rc = truce_import_convert(TRUCE_IMPORT_FIRMS, (const char *)data,
                                      size, FUZZ_NOW_MS, NULL, &cb, &st, err);
  if (rc != TRUCE_OK && rc != TRUCE_EPARSE)
    abort();
  if (rc == TRUCE_EPARSE && (!err[0] || st.rows != 0))
    abort(); /* a whole-file refusal says why, before any row */
  if (st.rows != st.imported + st.refused + st.already || st.already ||
      st.entries || st.imported != s.obs || st.refused != s.rejects ||
      memcmp(st.file_sha256, s.sha, 32) != 0)
    abort();
  return 0;
}
