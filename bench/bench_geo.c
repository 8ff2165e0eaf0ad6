/*
 * bench_geo.c: the geometry benchmark, beside its anchor (PostGIS
 * computing the same distances with `geography` in the same run; a
 * table, not a test). Each point is assessed against the line of
 * contact: geodesic distance to it, side (inside or outside the occupied
 * area), and whether it lies in a 25 km band (distance <= 25 km).
 *
 *   bench_geo points FRONT.geojson N SEED POINTS.csv GEOM.json
 *       N points, uniform in the boundary's box grown by 1 degree, kept
 *       within 300 km of it, as "id,lon,lat" (7 decimals, the same text
 *       for both sides); and the geometry as one line of GeoJSON for
 *       PostGIS's ST_GeomFromGeoJSON.
 *   bench_geo run FRONT.geojson POINTS.csv RUNS
 *                 [PG.csv DISAGREE.csv LABEL FULL_SEC DIST_SEC...]
 *       times truce over the points RUNS times (after a first pass that
 *       builds the index) and prints the table; with PostGIS's results
 *       ("id,distance,intersects") and run times (one run of the full
 *       assessment, several of the distance alone), the ratios and the
 *       largest disagreement, and writes the points that differ by more
 *       than 1 m with truce's nearest point, for PostGIS to check.
 *   bench_geo confirm CONFIRM.csv
 *       reads PostGIS's verdicts on those points ("id,truce,postgis,
 *       postgis point to truce's nearest point, that point to the line")
 *       and says who was right.
 *
 * scripts/bench-geo.sh starts the PostgreSQL server and runs both. Uses
 * the public header, jansson to hand the geometry to PostGIS, and
 * lib/geo.h only to report the index's size; nothing in the library
 * depends on it.
 */
#include "truce.h"
#include "bench.h"

#include "geo.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXRUNS 15
#define BAND_M 25000.0
#define KEEP_M 300000.0





static _Noreturn void die(const char *what, const char *msg) {
  fprintf(stderr, "bench_geo: %s: %s\n", what, msg);
  exit(1);
}

static uint64_t rng_state;

static double unif(double lo, double hi) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  z ^= z >> 31;
  return lo + (hi - lo) * (double)(z >> 11) / 9007199254740992.0;
}

static truce_geom *load(const char *path) {
  char err[TRUCE_ERR_MAX];
  truce_geom *g;
  if (truce_geom_load(path, &g, err))
    die(path, err);
  return g;
}

/* Positions' box, and every polygon merged into one MultiPolygon (or
 * lines into a MultiLineString) for PostGIS. */
static void walk(json_t *o, json_t *polys, json_t *lines, double *box) {
  const char *t = json_string_value(json_object_get(o, "type"));
  if (!t)
    return;
  if (strcmp(t, "FeatureCollection") == 0) {
    json_t *f = json_object_get(o, "features");
    for (size_t i = 0; i < json_array_size(f); i++)
      walk(json_array_get(f, i), polys, lines, box);
    return;
  }
  if (strcmp(t, "Feature") == 0) {
    walk(json_object_get(o, "geometry"), polys, lines, box);
    return;
  }
  json_t *c = json_object_get(o, "coordinates");
  int depth = strcmp(t, "LineString") == 0        ? 1
              : strcmp(t, "MultiLineString") == 0 ? 2
              : strcmp(t, "Polygon") == 0         ? 2
              : strcmp(t, "MultiPolygon") == 0    ? 3
                                                  : 0;
  if (strcmp(t, "Polygon") == 0)
    json_array_append(polys, c);
  else if (strcmp(t, "MultiPolygon") == 0)
    json_array_extend(polys, c);
  else if (strcmp(t, "LineString") == 0)
    json_array_append(lines, c);
  else if (strcmp(t, "MultiLineString") == 0)
    json_array_extend(lines, c);
  /* The box of the positions. */
  json_t *stack[4] = {c, NULL, NULL, NULL};
  size_t idx[4] = {0, 0, 0, 0};
  int d = 0;
  while (depth > 0 && d >= 0) {
    if (idx[d] >= json_array_size(stack[d])) {
      d--;
      if (d >= 0)
        idx[d]++;
      continue;
    }
    json_t *e = json_array_get(stack[d], idx[d]);
    if (d + 1 < depth) {
      stack[d + 1] = e;
      idx[d + 1] = 0;
      d++;
      continue;
    }
    double lon = json_number_value(json_array_get(e, 0));
    double lat = json_number_value(json_array_get(e, 1));
    box[0] = fmin(box[0], lon);
    box[1] = fmin(box[1], lat);
    box[2] = fmax(box[2], lon);
    box[3] = fmax(box[3], lat);
    idx[d]++;
  }
}

static int cmd_points(const char *front, long n, uint64_t seed, const char *out,
                      const char *geom_out) {
  json_error_t je;
  json_t *doc = json_load_file(front, 0, &je);
  if (!doc)
    die(front, je.text);
  json_t *polys = json_array(), *lines = json_array();
  double box[4] = {180, 90, -180, -90};
  walk(doc, polys, lines, box);
  json_t *geom =
      json_pack("{s:s, s:O}", "type",
                json_array_size(polys) ? "MultiPolygon" : "MultiLineString",
                "coordinates", json_array_size(polys) ? polys : lines);
  char *text = json_dumps(geom, JSON_COMPACT);
  FILE *f = fopen(geom_out, "w");
  if (!f || !text || fprintf(f, "%s\n", text) < 0 || fclose(f) != 0)
    die(geom_out, "cannot write");
  free(text);
  json_decref(geom);
  json_decref(polys);
  json_decref(lines);
  json_decref(doc);

  truce_geom *g = load(front);
  double lo0 = box[0] - 1, la0 = box[1] - 1, lo1 = box[2] + 1, la1 = box[3] + 1;
  rng_state = seed;
  f = fopen(out, "w");
  if (!f)
    die(out, "cannot write");
  long kept = 0, tried = 0, inside = 0, band = 0;
  double farthest = 0;
  while (kept < n) {
    char lon[32], lat[32];
    snprintf(lon, sizeof lon, "%.7f", unif(lo0, lo1));
    snprintf(lat, sizeof lat, "%.7f", unif(la0, la1));
    tried++;
    truce_geo_where w;
    if (truce_geom_measure(g, atof(lat), atof(lon), &w))
      die("measure", lat);
    if (w.dist_m > KEEP_M)
      continue;
    farthest = fmax(farthest, w.dist_m);
    inside += w.side > 0;
    band += w.dist_m <= BAND_M;
    fprintf(f, "%ld,%s,%s\n", kept++, lon, lat);
  }
  if (fclose(f) != 0)
    die(out, "cannot write");
  printf("  points: uniform in %.1f..%.1f E, %.1f..%.1f N (the line's box "
         "grown by 1 deg), %ld of %ld kept within %.0f km; farthest %.1f km; "
         "%.1f%% inside, %.1f%% in the %.0f km band; seed %" PRIu64 "\n",
         lo0, lo1, la0, la1, kept, tried, KEEP_M / 1000, farthest / 1000,
         100.0 * (double)inside / (double)kept,
         100.0 * (double)band / (double)kept, BAND_M / 1000, seed);
  truce_geom_free(g);
  return 0;
}

static int cmd_run(int argc, char **argv) {
  const char *front = argv[2], *pts = argv[3];
  int runs = atoi(argv[4]);
  if (runs < 1 || runs > MAXRUNS)
    runs = 5;
  FILE *f = fopen(pts, "r");
  if (!f)
    die(pts, "cannot read");
  size_t n = 0, cap = 1 << 20;
  double(*p)[2] = malloc(cap * sizeof *p);
  char line[256];
  while (p && fgets(line, sizeof line, f)) {
    long id;
    double lon, lat;
    if (sscanf(line, "%ld,%lf,%lf", &id, &lon, &lat) != 3 || id != (long)n)
      die(pts, line);
    if (n == cap)
      p = realloc(p, (cap *= 2) * sizeof *p);
    if (!p)
      break;
    p[n][0] = lat;
    p[n][1] = lon;
    n++;
  }
  fclose(f);
  if (!p || n == 0)
    die(pts, "no points");
  /* The last run's answers. */
  double *dist = malloc(n * sizeof *dist);
  double(*near)[2] = malloc(n * sizeof *near);
  signed char *side = malloc(n);
  if (!dist || !near || !side)
    die("memory", "out of memory");

  double *plat = malloc(n * sizeof *plat), *plon = malloc(n * sizeof *plon);
  truce_geo_where *ws = malloc(n * sizeof *ws);
  if (!plat || !plon || !ws)
    die("memory", "out of memory");
  for (size_t i = 0; i < n; i++) {
    plat[i] = p[i][0];
    plon[i] = p[i][1];
  }

  double t0 = now_s();
  truce_geom *g = load(front);
  double load_s = now_s() - t0;
  /* Two ways, each timed `runs` times, alternating so that both meet the
   * same neighbours on the machine (after a first pass of each, which
   * builds the index):
   * - one point at a time (truce_geom_measure), in the input's order,
   *   adding up (distance, inside, band) and keeping no answer, which is
   *   what PostGIS's timed query does;
   * - the whole set at once (truce_geom_measure_many: the points sorted
   *   by cell, the answers returned in the input's order), then added
   *   up: what `truce assess` and `truce geo dist` do. The sort and
   *   writing every answer are in its time.
   * The batch's answers are the ones compared. */
  double t[MAXRUNS + 1], tc[MAXRUNS + 1], tb[MAXRUNS + 1], tbc[MAXRUNS + 1];
  long inside = 0, band = 0;
  for (int r = 0; r <= runs; r++) {
    inside = band = 0;
    double sum = 0;
    double c0 = cpu_s();
    t0 = now_s();
    for (size_t i = 0; i < n; i++) {
      truce_geo_where w;
      truce_geom_measure(g, plat[i], plon[i], &w);
      sum += w.dist_m;
      inside += w.side > 0;
      band += w.dist_m <= BAND_M;
    }
    t[r] = now_s() - t0;
    tc[r] = cpu_s() - c0;
    long inside1 = inside, band1 = band;
    double sum1 = sum;
    inside = band = 0;
    sum = 0;
    c0 = cpu_s();
    t0 = now_s();
    if (truce_geom_measure_many(g, n, plat, plon, ws, NULL) != TRUCE_OK)
      die("truce_geom_measure_many", "failed");
    for (size_t i = 0; i < n; i++) {
      sum += ws[i].dist_m;
      inside += ws[i].side > 0;
      band += ws[i].dist_m <= BAND_M;
    }
    tb[r] = now_s() - t0;
    tbc[r] = cpu_s() - c0;
    if (sum != sum1 || inside != inside1 || band != band1)
      die("truce_geom_measure_many", "answers differ from one at a time");
  }
  for (size_t i = 0; i < n; i++) {
    dist[i] = ws[i].dist_m;
    side[i] = (signed char)ws[i].side;
    near[i][0] = ws[i].near_lat_deg;
    near[i][1] = ws[i].near_lon_deg;
  }
  double first = t[0], truce1_us = median(t + 1, runs) / (double)n * 1e6;
  double truce_us = median(tb + 1, runs) / (double)n * 1e6;
  double truce_cpu_us = median(tbc + 1, runs) / (double)n * 1e6;
  double truce1_cpu_us = median(tc + 1, runs) / (double)n * 1e6;

  printf("  %-36s %10s %12s   %s\n", "", "per point", "points/s", "runs");
  double dist_us = 0, full_us = 0, pg_cpu_us = 0;
  if (argc >= 10) {
    /* Each PostGIS run as WALL or WALL/CPU (the server process's CPU
     * seconds, from /proc). */
    double pt[MAXRUNS], pc[MAXRUNS];
    int pg_runs = argc - 9 > MAXRUNS ? MAXRUNS : argc - 9, ncpu = 0;
    for (int i = 0; i < pg_runs; i++) {
      char *slash;
      pt[i] = strtod(argv[9 + i], &slash);
      if (*slash == '/')
        pc[ncpu++] = atof(slash + 1);
    }
    if (ncpu == pg_runs)
      pg_cpu_us = median(pc, ncpu) / (double)n * 1e6;
    double dist_s = median(pt, pg_runs), full_s = atof(argv[8]);
    dist_us = dist_s / (double)n * 1e6;
    full_us = full_s / (double)n * 1e6;
    char label[128];
    snprintf(label, sizeof label, "%s, distance only", argv[7]);
    printf("  %-36s %7.2f us %12.0f   %d, median\n", label, dist_us,
           (double)n / dist_s, pg_runs);
    snprintf(label, sizeof label, "%s, + side + band", argv[7]);
    printf("  %-36s %7.2f us %12.0f   1 (writing its answers)\n", label,
           full_us, (double)n / full_s);
  }
  printf("  %-36s %7.3f us %12.0f   %d, median (the first, building the "
         "index as it goes: %.3f us)\n",
         "truce, one point at a time", truce1_us, 1e6 / truce1_us, runs,
         first / (double)n * 1e6);
  printf("  %-36s %7.3f us %12.0f   %d, median (sorted by cell; answers "
         "kept)\n",
         "truce, the set at once", truce_us, 1e6 / truce_us, runs);
  if (dist_us > 0) {
    printf("  truce's throughput, the set at once: %.1fx PostGIS's for the "
           "distance alone, %.1fx for the same work\n",
           dist_us / truce_us, full_us / truce_us);
    printf("  truce's throughput, one point at a time: %.1fx PostGIS's for "
           "the distance alone\n",
           dist_us / truce1_us);
  }
  if (pg_cpu_us > 0)
    printf("  by CPU time (less disturbed by other work on the machine): "
           "PostGIS %.2f us; truce %.3f us the set at once (%.1fx), %.3f us "
           "one at a time (%.1fx), for the distance alone\n",
           pg_cpu_us, truce_cpu_us, pg_cpu_us / truce_cpu_us, truce1_cpu_us,
           pg_cpu_us / truce1_cpu_us);
  printf("  truce: %zu points, %.1f%% inside, %.1f%% in the band; geometry "
         "loaded in %.1f ms (%zu vertices, %u pieces); index built on "
         "first use: %zu leaves, %.1f MB\n",
         n, 100.0 * (double)inside / (double)n,
         100.0 * (double)band / (double)n, load_s * 1e3, truce_geom_vertices(g),
         g->nseg, g->idx.nleaf, (double)g->idx.bytes / 1e6);

  if (argc >= 10) {
    f = fopen(argv[5], "r");
    FILE *dis = fopen(argv[6], "w");
    if (!f || !dis)
      die(argv[5], "cannot read, or cannot write the disagreements");
    size_t m = 0, over = 0, side_diff = 0, band_diff = 0;
    double worst = 0, worst_at = 0, side_near = 0, worst_in = 0;
    while (fgets(line, sizeof line, f)) {
      long id;
      double d;
      char cov;
      if (sscanf(line, "%ld,%lf,%c", &id, &d, &cov) != 3 || id < 0 ||
          (size_t)id >= n)
        die(argv[5], line);
      double e = fabs(d - dist[id]);
      if (e > worst) {
        worst = e;
        worst_at = d;
      }
      if (e <= 1.0 && e > worst_in)
        worst_in = e;
      if (e > 1.0) {
        over++;
        fprintf(dis, "%ld,%.7f,%.7f,%.9f,%.9f,%.3f,%.6f\n", id, p[id][1],
                p[id][0], near[id][1], near[id][0], dist[id], d);
      }
      int pg_in = cov == 't';
      if (side[id] != 0 && pg_in != (side[id] > 0)) {
        if (side_diff++ == 0 || dist[id] > side_near)
          side_near = dist[id];
      }
      band_diff += (d <= BAND_M) != (dist[id] <= BAND_M);
      m++;
    }
    fclose(f);
    if (fclose(dis) != 0)
      die(argv[6], "cannot write");
    if (m != n)
      die(argv[5], "not one result per point");
    printf("  agreement with PostGIS: largest distance difference %.3f m "
           "(at %.0f m), %zu points over 1 m; side differs at %zu points",
           worst, worst_at, over, side_diff);
    if (side_diff)
      printf(" (all within %.3f m of the line)", side_near);
    printf("; band differs at %zu\n", band_diff);
    printf("  at the other %zu points (%.2f%%) the largest difference is "
           "%.3f m\n",
           n - over, 100.0 * (double)(n - over) / (double)n, worst_in);
  }
  truce_geom_free(g);
  free(plat);
  free(plon);
  free(ws);
  free(p);
  free(dist);
  free(near);
  free(side);
  return 0;
}

/* Where the two differ by more than 1 m, PostGIS's own point-to-point
 * distance to truce's nearest point (a point on the line, by PostGIS's
 * measure too) says which minimum is right. */
static int cmd_confirm(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f)
    die(path, "cannot read");
  char line[256];
  size_t n = 0, truce_less = 0;
  double max_pp = 0, max_on = 0, max_over = 0;
  while (fgets(line, sizeof line, f)) {
    long id;
    double td, pd, pp, on;
    if (sscanf(line, "%ld,%lf,%lf,%lf,%lf", &id, &td, &pd, &pp, &on) != 5)
      die(path, line);
    n++;
    truce_less += td < pd;
    max_pp = fmax(max_pp, fabs(pp - td));
    max_on = fmax(max_on, on);
    max_over = fmax(max_over, pd - td);
  }
  fclose(f);
  if (n == 0)
    return 0;
  printf("  where they differ by over 1 m (%zu points), truce's distance is "
         "the smaller at %zu: PostGIS's own point-to-point distance to "
         "truce's nearest point agrees with truce within %.3f m, and that "
         "point is within %.3f m of the line by PostGIS, so PostGIS's "
         "minimum (found on a sphere, then measured on the spheroid) is too "
         "long, by up to %.1f m\n",
         n, truce_less, max_pp, max_on, max_over);
  return 0;
}

/* Ring or line r with k - 1 points inserted evenly (in longitude and
 * latitude) inside each edge. */
static json_t *densify_ring(json_t *r, int k) {
  json_t *out = json_array();
  size_t n = json_array_size(r);
  for (size_t i = 0; i < n; i++) {
    json_t *a = json_array_get(r, i);
    double lon0 = json_number_value(json_array_get(a, 0));
    double lat0 = json_number_value(json_array_get(a, 1));
    json_array_append_new(out, json_pack("[f,f]", lon0, lat0));
    if (i + 1 == n)
      break;
    json_t *b = json_array_get(r, i + 1);
    double lon1 = json_number_value(json_array_get(b, 0));
    double lat1 = json_number_value(json_array_get(b, 1));
    for (int j = 1; j < k; j++) {
      double f = (double)j / k;
      json_array_append_new(out, json_pack("[f,f]", lon0 + f * (lon1 - lon0),
                                           lat0 + f * (lat1 - lat0)));
    }
  }
  return out;
}

/* `scale FRONT POINTS N`: the cost per point as the line gets more
 * vertices: the boundary as it is, and with every edge cut into 4, 16
 * and 64, measuring the first N points (median of 3 runs, after one that
 * builds the index). */
static int cmd_scale(const char *front, const char *pts, long npts) {
  json_error_t je;
  json_t *root = json_load_file(front, 0, &je);
  if (!root)
    die(front, je.text);
  json_t *polys = json_array(), *lines = json_array();
  double box[4] = {1e9, 1e9, -1e9, -1e9};
  walk(root, polys, lines, box);
  FILE *f = fopen(pts, "r");
  if (!f || npts < 1)
    die(pts, "cannot read");
  double(*p)[2] = malloc((size_t)npts * sizeof *p);
  long n = 0;
  char line[256];
  while (p && n < npts && fgets(line, sizeof line, f)) {
    long id;
    if (sscanf(line, "%ld,%lf,%lf", &id, &p[n][1], &p[n][0]) != 3)
      die(pts, line);
    n++;
  }
  fclose(f);
  if (!p || n == 0)
    die(pts, "no points");
  printf("  cost per point as the line gets more vertices (%ld points, "
         "each edge cut into k):\n",
         n);
  printf("  %6s %10s %10s %13s %12s %10s %10s\n", "k", "vertices", "pieces",
         "one at a time", "the set", "index MB", "runs MB");
  double *la = malloc((size_t)n * sizeof *la), *lo = malloc((size_t)n * sizeof *lo);
  truce_geo_where *ws = malloc((size_t)n * sizeof *ws);
  if (!la || !lo || !ws)
    die("scale", "out of memory");
  for (long i = 0; i < n; i++) {
    la[i] = p[i][0];
    lo[i] = p[i][1];
  }
  const int ks[] = {1, 4, 16, 64};
  for (size_t ki = 0; ki < sizeof ks / sizeof *ks; ki++) {
    json_t *mp = json_array();
    for (size_t i = 0; i < json_array_size(polys); i++) {
      json_t *poly = json_array_get(polys, i), *np = json_array();
      for (size_t j = 0; j < json_array_size(poly); j++)
        json_array_append_new(np, densify_ring(json_array_get(poly, j), ks[ki]));
      json_array_append_new(mp, np);
    }
    json_t *geom = json_pack("{s:s,s:o}", "type", "MultiPolygon",
                             "coordinates", mp);
    char *text = json_dumps(geom, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(geom);
    if (!text)
      die("scale", "out of memory");
    char err[TRUCE_ERR_MAX];
    truce_geom *g;
    if (truce_geom_parse(text, strlen(text), &g, err))
      die("scale", err);
    free(text);
    double t[4], tb[4];
    for (int r = 0; r < 4; r++) {
      double sum = 0, c0 = cpu_s();
      for (long i = 0; i < n; i++) {
        truce_geo_where w;
        truce_geom_measure(g, p[i][0], p[i][1], &w);
        sum += w.dist_m;
      }
      t[r] = cpu_s() - c0;
      c0 = cpu_s();
      if (truce_geom_measure_many(g, (size_t)n, la, lo, ws, NULL))
        die("scale", "truce_geom_measure_many failed");
      double sum2 = 0;
      for (long i = 0; i < n; i++)
        sum2 += ws[i].dist_m;
      tb[r] = cpu_s() - c0;
      if (sum != sum2)
        die("scale", "the set's answers differ");
    }
    /* The quadtrees built, and the capsule tree over the pieces (built
     * with the geometry). */
    printf("  %6d %10zu %10u %10.3f us %9.3f us %10.1f %10.1f\n", ks[ki],
           truce_geom_vertices(g), g->nseg,
           median(t + 1, 3) / (double)n * 1e6,
           median(tb + 1, 3) / (double)n * 1e6, (double)g->idx.bytes / 1e6,
           2.0 * g->idx.ncap_leaf * sizeof *g->idx.cap / 1e6);
    truce_geom_free(g);
  }
  json_decref(polys);
  json_decref(lines);
  json_decref(root);
  free(la);
  free(lo);
  free(ws);
  free(p);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 7 && strcmp(argv[1], "points") == 0)
    return cmd_points(argv[2], atol(argv[3]), strtoull(argv[4], NULL, 10),
                      argv[5], argv[6]);
  if (argc >= 5 && strcmp(argv[1], "run") == 0 && (argc == 5 || argc >= 10))
    return cmd_run(argc, argv);
  if (argc == 5 && strcmp(argv[1], "scale") == 0)
    return cmd_scale(argv[2], argv[3], atol(argv[4]));
  if (argc == 3 && strcmp(argv[1], "confirm") == 0)
    return cmd_confirm(argv[2]);
  fprintf(stderr, "usage: bench_geo points FRONT.geojson N SEED POINTS.csv "
                  "GEOM.json\n"
                  "       bench_geo run FRONT.geojson POINTS.csv RUNS "
                  "[PG.csv DISAGREE.csv LABEL FULL_SEC DIST_SEC...]\n"
                  "       bench_geo confirm CONFIRM.csv\n");
  return 2;
}
