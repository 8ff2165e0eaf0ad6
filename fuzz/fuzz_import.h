/*
 * fuzz_import.h: the body shared by the converter fuzz targets
 * (fuzz_import_acled.c, fuzz_import_ucdp.c, fuzz_import_viina.c,
 * fuzz_import_cir.c, fuzz_import_geojson.c). Each defines
 * FUZZ_CONVERTER (the import_* function) and FUZZ_DATASET, then includes
 * this file.
 *
 * Whatever the input, a converter must not crash, and every observation
 * it emits must be one truce accepts: it formats, the canonical line
 * parses back to the same observation, formatting again gives the same
 * bytes, and its provenance names the data set and the line. Refusals
 * must say why in one line of printable text. Any violation abort()s.
 * Built with fuzz/replay.c as a plain program that replays
 * fuzz/corpus/import_<set>/ (make test), or with -fsanitize=fuzzer.
 */
#ifndef TRUCE_FUZZ_IMPORT_H
#define TRUCE_FUZZ_IMPORT_H

#include "import.h"

#include <math.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2026-01-01T00:00:00Z: reproducible runs. */
#define FUZZ_NOW_MS INT64_C(1767225600000)

typedef struct fuzz_ctx {
  uint64_t calls, last_line;
} fuzz_ctx;

static bool fuzz_same_double(double a, double b) {
  return a == b && signbit(a) == signbit(b);
}

static bool fuzz_obs_equal(const truce_obs *a, const truce_obs *b) {
  return !strcmp(a->id, b->id) && a->what == b->what &&
         a->count == b->count && a->count_approx == b->count_approx &&
         a->t_ms == b->t_ms && a->t_end_ms == b->t_end_ms &&
         a->precision_s == b->precision_s && a->is_window == b->is_window &&
         a->where_kind == b->where_kind &&
         fuzz_same_double(a->lat_deg, b->lat_deg) &&
         fuzz_same_double(a->lon_deg, b->lon_deg) &&
         fuzz_same_double(a->uncertainty_m, b->uncertainty_m) &&
         fuzz_same_double(a->bearing_deg, b->bearing_deg) &&
         fuzz_same_double(a->bearing_spread_deg, b->bearing_spread_deg) &&
         fuzz_same_double(a->dist_min_m, b->dist_min_m) &&
         fuzz_same_double(a->dist_max_m, b->dist_max_m) &&
         a->weapon == b->weapon &&
         fuzz_same_double(a->calibre_mm, b->calibre_mm) &&
         !strcmp(a->system, b->system) && a->has_fire == b->has_fire &&
         fuzz_same_double(a->fire_from_deg, b->fire_from_deg) &&
         a->means == b->means && a->nevidence == b->nevidence &&
         a->has_provenance == b->has_provenance &&
         !strcmp(a->dataset, b->dataset) &&
         !memcmp(a->file_sha256, b->file_sha256, 32) && a->row == b->row &&
         !strcmp(a->place, b->place) && !strcmp(a->note, b->note) &&
         !strcmp(a->site, b->site) && a->nserials == b->nserials;
}

static truce_err fuzz_emit(void *vctx, uint64_t line, const truce_obs *o) {
  static truce_obs back; /* large: off the stack */
  fuzz_ctx *c = vctx;
  char err[TRUCE_ERR_MAX];
  truce_buf b1, b2;
  truce_buf_init(&b1, TRUCE_OBS_LINE_MAX);
  truce_buf_init(&b2, TRUCE_OBS_LINE_MAX);
  if (truce_obs_format(o, &b1) != TRUCE_OK)
    abort(); /* an emitted observation must format */
  if (truce_obs_parse(b1.data, b1.len, FUZZ_NOW_MS, &back, err) != TRUCE_OK)
    abort(); /* and parse back */
  if (!fuzz_obs_equal(o, &back))
    abort(); /* to the same value */
  if (truce_obs_format(&back, &b2) != TRUCE_OK || b1.len != b2.len ||
      memcmp(b1.data, b2.data, b1.len) != 0)
    abort(); /* and the same bytes */
  if (!o->has_provenance || o->row != line || line == 0 ||
      strcmp(o->dataset, FUZZ_DATASET) != 0)
    abort(); /* provenance names the data set and the line */
  if (line <= c->last_line)
    abort(); /* lines only go forward, one call per row */
  truce_buf_release(&b1);
  truce_buf_release(&b2);
  c->calls++;
  c->last_line = line;
  return TRUCE_OK;
}

static void fuzz_reject(void *vctx, uint64_t line, const char *why) {
  fuzz_ctx *c = vctx;
  size_t n = why ? strnlen(why, TRUCE_ERR_MAX) : 0;
  if (!n || n == TRUCE_ERR_MAX || line == 0)
    abort(); /* a reason, one bounded line */
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)why[i] < 0x20 || why[i] == 0x7f)
      abort(); /* no control characters from the input */
  if (line <= c->last_line)
    abort(); /* lines only go forward, one call per row */
  c->calls++;
  c->last_line = line;
}

static void fuzz_progress(void *vctx, uint64_t done, uint64_t total) {
  (void)vctx;
  if (done > total)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_ctx c = {0, 0};
  import_sink s;
  memset(&s, 0, sizeof s);
  s.emit = fuzz_emit;
  s.reject = fuzz_reject;
  s.progress = fuzz_progress;
  s.ctx = &c;
  memset(s.file_sha256, 0x5a, sizeof s.file_sha256);
  s.now_ms = FUZZ_NOW_MS;
  char err[TRUCE_ERR_MAX];
  err[0] = '\0';
  truce_err rc = FUZZ_CONVERTER((const char *)data, size, &s, err);
  if (rc != TRUCE_OK && rc != TRUCE_EPARSE && rc != TRUCE_ENOMEM)
    abort(); /* the sink never stops it here */
  if (rc != TRUCE_OK && !err[0])
    abort(); /* a refused file says why */
  return 0;
}

#endif /* TRUCE_FUZZ_IMPORT_H */
