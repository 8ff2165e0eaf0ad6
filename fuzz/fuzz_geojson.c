/*
 * fuzz_geojson.c: libFuzzer target for truce_geom_parse and
 * truce_geom_measure.
 *
 * Whatever the bytes, parsing must not crash; a refusal comes with a
 * one-line message in printable ASCII and no geometry. What parses must measure
 * sanely: a kind and a vertex count; for a few fixed points (poles,
 * antimeridian, Ukraine) a finite distance >= 0 in millimetres, a side
 * in {-1, 0, 1} that is 0 exactly when the distance is 0, and a nearest
 * point in range; and that nearest point, measured in turn, is on the
 * geometry (distance 0). Any violation abort()s, which libFuzzer reports
 * as a crash.
 *
 * Built with -fsanitize=fuzzer (make fuzz), or with fuzz/replay.c as a
 * plain program that replays fuzz/corpus/geojson (make test). Depends
 * only on the public header.
 */
#include "truce.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok) {
  if (!ok)
    abort();
}

static void check_where(const truce_geo_where *w) {
  check(isfinite(w->dist_m) && w->dist_m >= 0);
  /* Millimetres, up to the rounding of the multiplication. */
  check(fabs(w->dist_m * 1000 - round(w->dist_m * 1000)) < 1e-3);
  check(w->side >= -1 && w->side <= 1);
  check((w->side == 0) == (w->dist_m == 0));
  check(w->near_lat_deg >= -90 && w->near_lat_deg <= 90);
  check(w->near_lon_deg >= -180 && w->near_lon_deg <= 180);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[TRUCE_ERR_MAX];
  memset(err, 0, sizeof err);
  truce_geom *g = (truce_geom *)&err; /* must be reset to NULL on failure */
  truce_err rc = truce_geom_parse((const char *)data, size, &g, err);
  if (rc != TRUCE_OK) {
    check(g == NULL);
    check(rc == TRUCE_EPARSE || rc == TRUCE_ERANGE || rc == TRUCE_ETOOBIG ||
          rc == TRUCE_ENOMEM);
    size_t n = strnlen(err, sizeof err);
    check(n > 0 && n < sizeof err);
    for (size_t i = 0; i < n; i++)
      check(err[i] >= 0x20 && err[i] < 0x7f);
    return 0;
  }
  int kind = truce_geom_kind(g);
  check(kind == TRUCE_GEOM_LINE || kind == TRUCE_GEOM_AREA);
  check(truce_geom_vertices(g) >= 2);
  static const double pts[][2] = {{0, 0},        {48, 37},       {89.9, 10},
                                  {-89.9, -170}, {0, 180},       {90, 0},
                                  {-90, 45},     {45.5, -179.99}};
  for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
    truce_geo_where w;
    check(truce_geom_measure(g, pts[i][0], pts[i][1], &w) == TRUCE_OK);
    check_where(&w);
    truce_geo_where on;
    check(truce_geom_measure(g, w.near_lat_deg, w.near_lon_deg, &on) ==
          TRUCE_OK);
    check_where(&on);
    check(on.dist_m == 0 && on.side == 0);
  }
  truce_geom_free(g);
  return 0;
}
