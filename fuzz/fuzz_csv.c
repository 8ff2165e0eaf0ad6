/*
 * fuzz_csv.c: libFuzzer target for the RFC 4180 reader (lib/csv.c).
 *
 * The first byte picks how many fields the caller can take (1 to 64); the
 * rest is the file. Whatever the input, reading must end (each call
 * consumes input or says CSV_END), line numbers never go back, every
 * field lies inside the input or the reader's scratch buffer, an unquoted
 * field never holds a quote, and a record never has more fields than
 * asked for. Any violation abort()s.
 *
 * Built with -fsanitize=fuzzer (make fuzz), or with fuzz/replay.c as a
 * plain program that replays fuzz/corpus/csv (make test).
 */
#include "csv.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool inside(const char *p, size_t n, const char *lo, size_t len) {
  return p >= lo && n <= len && p - lo <= (ptrdiff_t)(len - n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  size_t max = (size_t)(data[0] % 64) + 1;
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  csv_reader r;
  csv_init(&r, text, len);
  csv_field f[64];
  char err[TRUCE_ERR_MAX];
  uint64_t last_line = 0;
  size_t calls = 0;
  for (;;) {
    const char *before = r.p;
    size_t n = 0;
    err[0] = '\0';
    int rc = csv_next(&r, f, max, &n, err);
    if (rc == CSV_END)
      break;
    if (rc == CSV_NOMEM)
      break; /* only under injected failures */
    if (r.p <= before || r.p > text + len)
      abort(); /* no progress, or past the end */
    if (r.line < last_line || r.line == 0 || r.next_line <= r.line - 1)
      abort();
    last_line = r.line;
    if (++calls > len + 1)
      abort(); /* more records than bytes */
    if (rc == CSV_BAD) {
      if (!err[0])
        abort(); /* a refusal says why */
      continue;
    }
    if (rc != CSV_RECORD || n == 0 || n > max)
      abort();
    for (size_t i = 0; i < n; i++) {
      bool in_text = inside(f[i].s, f[i].len, text, len);
      bool in_scratch =
          r.scratch && inside(f[i].s, f[i].len, r.scratch, r.scap);
      if (!in_text && !in_scratch)
        abort();
      if (in_text && !in_scratch && memchr(f[i].s, '"', f[i].len))
        abort(); /* an unquoted field with a quote in it */
      (void)csv_eq(f[i], "latitude");
    }
  }
  csv_release(&r);
  return 0;
}
