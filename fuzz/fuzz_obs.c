/*
 * fuzz_obs.c: libFuzzer target for truce_obs_parse and truce_obs_format.
 *
 * Whatever the input, parsing must not crash; and whatever parses must
 * come back the same through the canonical form: parse(format(o)) == o
 * field by field, and format(parse(format(o))) == format(o) byte for
 * byte. Any violation abort()s, which libFuzzer reports as a crash.
 *
 * Built with -fsanitize=fuzzer (make fuzz), or with fuzz/replay.c as a
 * plain program that replays fuzz/corpus/obs (make test). Depends only
 * on the public header.
 */
#include "truce.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed "now" keeps runs reproducible: 2026-01-01T00:00:00Z. */
#define FUZZ_NOW_MS INT64_C(1767225600000)

static bool same_double(double a, double b) {
  return a == b && signbit(a) == signbit(b);
}

static bool obs_equal(const truce_obs *a, const truce_obs *b) {
  if (strcmp(a->id, b->id) || a->what != b->what || a->count != b->count ||
      a->count_approx != b->count_approx || a->t_ms != b->t_ms ||
      a->t_end_ms != b->t_end_ms || a->precision_s != b->precision_s ||
      a->is_window != b->is_window || a->where_kind != b->where_kind ||
      !same_double(a->lat_deg, b->lat_deg) ||
      !same_double(a->lon_deg, b->lon_deg) ||
      !same_double(a->uncertainty_m, b->uncertainty_m) ||
      !same_double(a->bearing_deg, b->bearing_deg) ||
      !same_double(a->bearing_spread_deg, b->bearing_spread_deg) ||
      !same_double(a->dist_min_m, b->dist_min_m) ||
      !same_double(a->dist_max_m, b->dist_max_m) || a->weapon != b->weapon ||
      !same_double(a->calibre_mm, b->calibre_mm) ||
      strcmp(a->system, b->system) || a->has_fire != b->has_fire ||
      !same_double(a->fire_from_deg, b->fire_from_deg) ||
      !same_double(a->fire_spread_deg, b->fire_spread_deg) ||
      a->means != b->means || a->nevidence != b->nevidence ||
      a->has_provenance != b->has_provenance ||
      strcmp(a->dataset, b->dataset) ||
      memcmp(a->file_sha256, b->file_sha256, 32) || a->row != b->row ||
      strcmp(a->place, b->place) || strcmp(a->note, b->note))
    return false;
  for (unsigned i = 0; i < a->nevidence && i < TRUCE_OBS_EVIDENCE_MAX; i++)
    if (memcmp(a->evidence[i].sha256, b->evidence[i].sha256, 32) ||
        strcmp(a->evidence[i].kind, b->evidence[i].kind))
      return false;
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static truce_obs o1, o2; /* large: keep them off the stack */
  char err[TRUCE_ERR_MAX];
  if (truce_obs_parse((const char *)data, size, FUZZ_NOW_MS, &o1, err) !=
      TRUCE_OK)
    return 0;
  truce_buf b1, b2;
  truce_buf_init(&b1, TRUCE_OBS_LINE_MAX);
  truce_buf_init(&b2, TRUCE_OBS_LINE_MAX);
  if (truce_obs_format(&o1, &b1) != TRUCE_OK)
    abort(); /* what parses must format */
  if (truce_obs_parse(b1.data, b1.len, FUZZ_NOW_MS, &o2, err) != TRUCE_OK)
    abort(); /* the canonical form must parse */
  if (!obs_equal(&o1, &o2))
    abort(); /* parse(format(o)) == o */
  if (truce_obs_format(&o2, &b2) != TRUCE_OK || b1.len != b2.len ||
      memcmp(b1.data, b2.data, b1.len) != 0)
    abort(); /* format is a fixed point */
  truce_buf_release(&b1);
  truce_buf_release(&b2);
  return 0;
}
