/*
 * test_geo.c: geometry on the WGS84 ellipsoid (lib/geo.c, lib/geo_index.c).
 *
 * Every expected distance here comes from a slow reference computed in
 * this file independently of the code under test: the nearest point of
 * each geodesic edge found by golden-section search over PROJ's
 * geod_inverseline/geod_position and geod_inverse, with explicit
 * tolerances. Sides come from azimuths at the reference's nearest point
 * (lines) or from a plain even-odd count in longitude/latitude (areas,
 * for points far enough from the boundary that straight and geodesic
 * edges agree). Known answers: GeographicLib's documented JFK-LHR
 * geodesic; cities on the real front lines and in the real oblasts
 * (../shared/data, skipped with a message when absent).
 *
 * The seed is printed; TRUCE_SEED=n repeats a run. Depends on the public
 * header, test.h, PROJ and jansson (for reading reference geometry), and
 * on lib/geo.h only to measure the fast distance formula itself.
 */
#include "truce.h"

#include "geo.h"
#include "test.h"

#include <dirent.h>
#include <geodesic.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <time.h>

/* ---- randomness ---- */

static uint64_t rng_state;

static uint64_t rng(void) {
  /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static double unif(double lo, double hi) {
  return lo + (hi - lo) * (double)(rng() >> 11) / 9007199254740992.0;
}

static uint64_t test_seed(void) {
  const char *s = getenv("TRUCE_SEED");
  if (s && *s)
    return strtoull(s, NULL, 0);
  return (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
}

static struct geod_geodesic G; /* WGS84, for the references */

static double inv_dist(double la1, double lo1, double la2, double lo2) {
  double s;
  geod_inverse(&G, la1, lo1, la2, lo2, &s, NULL, NULL);
  return s;
}

/* ---- a reference geometry: edges as (lat, lon) pairs ---- */

typedef struct redge {
  double la1, lo1, la2, lo2, len;
  int part, prev, next; /* neighbouring edges in the part, or -1 */
} redge;

typedef struct rgeo {
  redge *e;
  size_t n, cap;
  double (*ring)[2]; /* all positions, for the planar even-odd count */
  size_t *ring_start, nring, npos, ring_cap, pos_cap;
} rgeo;

static void rgeo_free(rgeo *r) {
  free(r->e);
  free(r->ring);
  free(r->ring_start);
  memset(r, 0, sizeof *r);
}

/* Add a part given as n (lon, lat) positions. */
static void rgeo_part(rgeo *r, const double (*p)[2], size_t n, int part) {
  bool closed = p[0][0] == p[n - 1][0] && p[0][1] == p[n - 1][1];
  size_t first = r->n;
  for (size_t i = 0; i + 1 < n; i++) {
    if (p[i][0] == p[i + 1][0] && p[i][1] == p[i + 1][1])
      continue;
    if (r->n == r->cap) {
      r->cap = r->cap ? 2 * r->cap : 256;
      r->e = realloc(r->e, r->cap * sizeof *r->e);
    }
    redge *e = &r->e[r->n++];
    e->lo1 = p[i][0];
    e->la1 = p[i][1];
    e->lo2 = p[i + 1][0];
    e->la2 = p[i + 1][1];
    e->len = inv_dist(e->la1, e->lo1, e->la2, e->lo2);
    e->part = part;
  }
  for (size_t i = first; i < r->n; i++) {
    r->e[i].prev = i > first ? (int)i - 1 : (closed ? (int)r->n - 1 : -1);
    r->e[i].next = i + 1 < r->n ? (int)i + 1 : (closed ? (int)first : -1);
  }
  if (r->nring + 1 >= r->ring_cap) {
    r->ring_cap = r->ring_cap ? 2 * r->ring_cap : 64;
    r->ring_start = realloc(r->ring_start, r->ring_cap * sizeof(size_t));
  }
  while (r->npos + n > r->pos_cap) {
    r->pos_cap = r->pos_cap ? 2 * r->pos_cap : 1024;
    r->ring = realloc(r->ring, r->pos_cap * sizeof *r->ring);
  }
  r->ring_start[r->nring++] = r->npos;
  memcpy(r->ring + r->npos, p, n * sizeof *p);
  r->npos += n;
  r->ring_start[r->nring] = r->npos;
}

/* Read the parts of a GeoJSON document with jansson (not with truce). */
static int rgeo_walk(rgeo *r, json_t *o, int part) {
  const char *t = json_string_value(json_object_get(o, "type"));
  if (!t)
    return part;
  if (strcmp(t, "FeatureCollection") == 0) {
    json_t *f = json_object_get(o, "features");
    for (size_t i = 0; i < json_array_size(f); i++)
      part = rgeo_walk(r, json_array_get(f, i), part);
    return part;
  }
  if (strcmp(t, "Feature") == 0)
    return rgeo_walk(r, json_object_get(o, "geometry"), part);
  json_t *c = json_object_get(o, "coordinates");
  int depth = strcmp(t, "LineString") == 0        ? 0
              : strcmp(t, "MultiLineString") == 0 ? 1
              : strcmp(t, "Polygon") == 0         ? 1
              : strcmp(t, "MultiPolygon") == 0    ? 2
                                                  : -1;
  if (depth < 0)
    return part;
  /* Flatten to arrays of positions. */
  size_t outer = depth == 2 ? json_array_size(c) : 1;
  for (size_t i = 0; i < outer; i++) {
    json_t *rings = depth == 2 ? json_array_get(c, i) : c;
    size_t nr = depth >= 1 ? json_array_size(rings) : 1;
    for (size_t j = 0; j < nr; j++) {
      json_t *line = depth >= 1 ? json_array_get(rings, j) : rings;
      size_t n = json_array_size(line);
      double(*p)[2] = malloc((n ? n : 1) * sizeof *p);
      for (size_t k = 0; k < n; k++) {
        json_t *q = json_array_get(line, k);
        p[k][0] = json_number_value(json_array_get(q, 0));
        p[k][1] = json_number_value(json_array_get(q, 1));
      }
      rgeo_part(r, (const double(*)[2])p, n, part++);
      free(p);
    }
  }
  return part;
}

static bool rgeo_load(rgeo *r, const char *path) {
  memset(r, 0, sizeof *r);
  json_error_t je;
  json_t *doc = json_load_file(path, 0, &je);
  if (!doc)
    return false;
  rgeo_walk(r, doc, 0);
  json_decref(doc);
  return r->n > 0;
}

/* Earth-centred coordinates, written here again so that the reference
 * owes nothing to the code under test. */
static void ref_ecef(double lat, double lon, double *out) {
  const double a = 6378137, f = 1 / 298.257223563, e2 = f * (2 - f);
  double la = lat * M_PI / 180, lo = lon * M_PI / 180;
  double n = a / sqrt(1 - e2 * sin(la) * sin(la));
  out[0] = n * cos(la) * cos(lo);
  out[1] = n * cos(la) * sin(lo);
  out[2] = n * (1 - e2) * sin(la);
}

static double chord(double la1, double lo1, double la2, double lo2) {
  double a[3], b[3];
  ref_ecef(la1, lo1, a);
  ref_ecef(la2, lo2, b);
  return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
              (a[2] - b[2]) * (a[2] - b[2]));
}

typedef struct rnear {
  double dist, lat, lon, s; /* s: along the edge from its start */
  size_t edge;
} rnear;

/* The nearest point of one geodesic edge: golden-section search on the
 * distance along it (unimodal for the edges and distances used here). */
static void ref_edge(const redge *e, double lat, double lon, rnear *best,
                     size_t idx) {
  struct geod_geodesicline l;
  geod_inverseline(&l, &G, e->la1, e->lo1, e->la2, e->lo2,
                   GEOD_LATITUDE | GEOD_LONGITUDE | GEOD_DISTANCE_IN);
  double a = 0, b = e->len, g = (sqrt(5) - 1) / 2;
  double x1 = b - g * (b - a), x2 = a + g * (b - a), la, lo;
  geod_position(&l, x1, &la, &lo, NULL);
  double f1 = inv_dist(lat, lon, la, lo);
  geod_position(&l, x2, &la, &lo, NULL);
  double f2 = inv_dist(lat, lon, la, lo);
  for (int i = 0; i < 90 && b - a > 1e-7; i++) {
    if (f1 < f2) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - g * (b - a);
      geod_position(&l, x1, &la, &lo, NULL);
      f1 = inv_dist(lat, lon, la, lo);
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + g * (b - a);
      geod_position(&l, x2, &la, &lo, NULL);
      f2 = inv_dist(lat, lon, la, lo);
    }
  }
  double cand[3] = {0, (a + b) / 2, e->len};
  for (int k = 0; k < 3; k++) {
    geod_position(&l, cand[k], &la, &lo, NULL);
    double d = inv_dist(lat, lon, la, lo);
    if (d < best->dist) {
      best->dist = d;
      best->lat = la;
      best->lon = lo;
      best->s = cand[k];
      best->edge = idx;
    }
  }
}

typedef struct lbi {
  double lb;
  size_t i;
} lbi;

static int cmp_lbi(const void *a, const void *b) {
  double x = ((const lbi *)a)->lb, y = ((const lbi *)b)->lb;
  return x < y ? -1 : x > y;
}

/* The nearest point of the whole geometry. An edge of length L whose
 * nearer end is at chord c cannot come closer than c - L/2 (geodesics
 * are no shorter than chords), so edges are searched in that order and
 * the search stops once the bound passes the best distance. */
static rnear ref_nearest(const rgeo *r, double lat, double lon) {
  lbi *o = malloc(r->n * sizeof *o);
  for (size_t i = 0; i < r->n; i++) {
    const redge *e = &r->e[i];
    double c =
        fmin(chord(lat, lon, e->la1, e->lo1), chord(lat, lon, e->la2, e->lo2));
    o[i].lb = c - e->len / 2;
    o[i].i = i;
  }
  qsort(o, r->n, sizeof *o, cmp_lbi);
  rnear best = {INFINITY, 0, 0, 0, 0};
  for (size_t k = 0; k < r->n && o[k].lb < best.dist + 1e-6; k++)
    ref_edge(&r->e[o[k].i], lat, lon, &best, o[k].i);
  free(o);
  return best;
}

/* The side of a line at the reference's nearest point: the sign of the
 * sum of the left normals of the edge (or of both edges at a vertex)
 * against the direction to the point; 0 when that is too close to call
 * (a point straight beyond an end, or on the bisector of a U-turn). */
static int ref_line_side(const rgeo *r, const rnear *n, double lat,
                         double lon) {
  const redge *e = &r->e[n->edge];
  double azp, az_out, az_in, dummy;
  geod_inverse(&G, n->lat, n->lon, lat, lon, &dummy, &azp, NULL);
  double sum;
  struct geod_geodesicline l;
  geod_inverseline(&l, &G, e->la1, e->lo1, e->la2, e->lo2, GEOD_ALL);
  double la, lo, az;
  geod_position(&l, n->s, &la, &lo, &az);
  sum = sin((az - azp) * M_PI / 180);
  if (n->s < 1e-6 && e->prev >= 0) {
    const redge *p = &r->e[e->prev];
    geod_inverse(&G, p->la1, p->lo1, p->la2, p->lo2, &dummy, NULL, &az_in);
    sum += sin((az_in - azp) * M_PI / 180);
  } else if (n->s > e->len - 1e-6 && e->next >= 0) {
    const redge *q = &r->e[e->next];
    geod_inverse(&G, q->la1, q->lo1, q->la2, q->lo2, &dummy, &az_out, NULL);
    sum += sin((az_out - azp) * M_PI / 180);
  }
  return sum > 0.05 ? 1 : (sum < -0.05 ? -1 : 0);
}

/* Even-odd over every ring, with straight edges in longitude/latitude
 * (right only far enough from the boundary). */
static int ref_planar_inside(const rgeo *r, double lat, double lon) {
  int in = 0;
  for (size_t k = 0; k < r->nring; k++)
    for (size_t i = r->ring_start[k]; i + 1 < r->ring_start[k + 1]; i++) {
      double x1 = r->ring[i][0], y1 = r->ring[i][1];
      double x2 = r->ring[i + 1][0], y2 = r->ring[i + 1][1];
      if ((y1 > lat) != (y2 > lat) &&
          x1 + (lat - y1) * (x2 - x1) / (y2 - y1) > lon)
        in ^= 1;
    }
  return in;
}

/* ---- helpers ---- */

static char errbuf[TRUCE_ERR_MAX];

static truce_geom *parse(const char *json) {
  truce_geom *g = NULL;
  errbuf[0] = '\0';
  truce_err rc = truce_geom_parse(json, strlen(json), &g, errbuf);
  CHECK_MSG(rc == TRUCE_OK, "%.80s -> %s", json, errbuf);
  return g;
}

static truce_geo_where measure(const truce_geom *g, double lat, double lon) {
  truce_geo_where w;
  truce_err rc = truce_geom_measure(g, lat, lon, &w);
  CHECK_MSG(rc == TRUCE_OK, "measure(%.7f, %.7f) -> %d", lat, lon, rc);
  return w;
}

/* GeoJSON for a part list: kind "LineString"/"Polygon" etc. is written by
 * the caller; this writes one array of positions. */
static void put_positions(truce_buf *b, const double (*p)[2], size_t n) {
  truce_buf_append(b, "[", 1);
  for (size_t i = 0; i < n; i++)
    truce_buf_appendf(b, "%s[%.17g,%.17g]", i ? "," : "", p[i][0], p[i][1]);
  truce_buf_append(b, "]", 1);
}

static truce_geom *line_geom(const double (*p)[2], size_t n, rgeo *ref) {
  truce_buf b;
  truce_buf_init(&b, 1 << 24);
  truce_buf_appendf(&b, "{\"type\":\"LineString\",\"coordinates\":");
  put_positions(&b, p, n);
  truce_buf_append(&b, "}", 1);
  truce_geom *g = parse(b.data);
  truce_buf_release(&b);
  if (ref) {
    memset(ref, 0, sizeof *ref);
    rgeo_part(ref, p, n, 0);
  }
  return g;
}

/* Compare truce with the reference at one point; returns the error. */
typedef struct tally {
  int n, side_checked, side_wrong, dist_wrong;
  double max_err, max_err_dist;
} tally;

enum { SIDE_NONE, SIDE_LINE, SIDE_AREA };

/* How far from the boundary a straight-edged even-odd count can be
 * trusted: further than straight and geodesic edges ever part (a 20 km
 * edge at 48 N bows 9 m; a 10 degree one, 12 km). */
static double area_clear_m = 100;

static void compare_point(const truce_geom *g, const rgeo *r, double lat,
                          double lon, double tol_m, int mode, tally *t) {
  truce_geo_where w = measure(g, lat, lon);
  rnear n = ref_nearest(r, lat, lon);
  double err = fabs(w.dist_m - n.dist);
  t->n++;
  if (err > t->max_err) {
    t->max_err = err;
    t->max_err_dist = n.dist;
  }
  if (err > tol_m) {
    if (t->dist_wrong++ < 5)
      fprintf(stderr, "  at %.9f %.9f: truce %.4f m, reference %.4f m\n", lat,
              lon, w.dist_m, n.dist);
  }
  int want = 0;
  if (mode == SIDE_LINE)
    want = n.dist > 0.01 ? ref_line_side(r, &n, lat, lon) : 0;
  else if (mode == SIDE_AREA && n.dist > area_clear_m)
    want = ref_planar_inside(r, lat, lon) ? 1 : -1;
  if (want != 0 && n.dist > 0.01) {
    t->side_checked++;
    if (w.side != want && t->side_wrong++ < 5)
      fprintf(stderr, "  at %.9f %.9f (%.3f m away): side %d, want %d\n", lat,
              lon, n.dist, w.side, want);
  }
}

/* A random polyline: n vertices from (lat, lon), steps of 50 m to
 * max_step_m, turning at random. */
static double (*random_line(double lat, double lon, size_t n,
                            double max_step_m))[2] {
  double(*p)[2] = malloc(n * sizeof *p);
  double az = unif(0, 360);
  p[0][0] = lon;
  p[0][1] = lat;
  for (size_t i = 1; i < n; i++) {
    double s = exp(unif(log(50), log(max_step_m)));
    az += unif(-100, 100);
    double la2, lo2;
    geod_direct(&G, p[i - 1][1], p[i - 1][0], az, s, &la2, &lo2, NULL);
    p[i][0] = lo2;
    p[i][1] = la2;
  }
  return p;
}

/* ---- known answers ---- */

TEST(test_geodesic_inverse_known) {
  /* GeographicLib's documented example (GeodSolve -i): JFK to LHR. */
  double s, a1, a2;
  truce_geodesic_inverse(40.6, -73.8, 51.6, -0.5, &s, &a1, &a2);
  CHECK_MSG(fabs(s - 5551759.400319) < 1e-6, "%.6f", s);
  CHECK_MSG(fabs(a1 - 51.198882845579) < 1e-9, "%.12f", a1);
  CHECK_MSG(fabs(a2 - 107.821776735514) < 1e-9, "%.12f", a2);
  /* Outputs may be NULL; a point to itself is 0. */
  truce_geodesic_inverse(48, 37, 48, 37, &s, NULL, NULL);
  CHECK(s == 0);
  truce_geodesic_inverse(NAN, 37, 48, 37, &s, NULL, NULL);
  CHECK(isnan(s));
}

/* The fast formula (chord bent with the radius of curvature at its
 * midpoint in its azimuth) against geod_inverse, over random pairs on the
 * whole ellipsoid: the accuracy docs/geo.md quotes. */
TEST(test_fast_distance_formula) {
  int n = 200000;
  double worst[4] = {0, 0, 0, 0}; /* <= 1, 300, 400, 1000 km */
  double lim[4] = {1e3, 300e3, 400e3, 1e6};
  for (int i = 0; i < n; i++) {
    double lat = unif(-90, 90), lon = unif(-180, 180), az = unif(0, 360);
    double s = i % 4 == 0 ? unif(0, 1000) : unif(0, 1e6), la2, lo2;
    geod_direct(&G, lat, lon, az, s, &la2, &lo2, NULL);
    double p[3], q[3];
    geo_ecef(lat, lon, p);
    geo_ecef(la2, lo2, q);
    double err = fabs(geo_fast_dist(p, q) - inv_dist(lat, lon, la2, lo2));
    int k = 0;
    while (k < 3 && s > lim[k])
      k++;
    worst[k] = fmax(worst[k], err);
  }
  fprintf(stderr,
          "  fast formula vs geod_inverse, %d pairs: max %.2g m up to 1 km, "
          "%.2g m up to 300 km, %.2g m 300-400 km, %.2g m 400-1000 km (where "
          "truce uses geod_inverse)\n",
          n, worst[0], worst[1], worst[2], worst[3]);
  CHECK(worst[0] < 1e-6);
  CHECK(worst[1] < 1e-4);
  CHECK(worst[2] < 5e-4);
}

/* ---- parsing ---- */

#define EXPECT_PARSE_ERR(json, code, needle)                                   \
  do {                                                                         \
    truce_geom *g__ = (truce_geom *)1;                                         \
    errbuf[0] = '\0';                                                          \
    truce_err rc__ = truce_geom_parse(json, strlen(json), &g__, errbuf);       \
    CHECK_MSG(rc__ == (code), "%s -> %d (%s), want %d", json, rc__, errbuf,    \
              (int)(code));                                                    \
    CHECK(g__ == NULL);                                                        \
    CHECK_CONTAINS(errbuf, needle);                                            \
  } while (0)

TEST(test_parse_errors) {
  EXPECT_PARSE_ERR("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":"
                   "\"Feature\",\"properties\":{},\"geometry\":{\"type\":"
                   "\"LineString\",\"coordinates\":[[30,50],[31,51]]}},{"
                   "\"type\":\"Feature\",\"geometry\":{\"type\":"
                   "\"LineString\",\"coordinates\":[[30,50],[31,95]]}}]}",
                   TRUCE_ERANGE,
                   "features[1].geometry.coordinates[1]: latitude 95 out of "
                   "range");
  EXPECT_PARSE_ERR("{\"type\":\"LineString\",\"coordinates\":[[180.5,50],[31,"
                   "51]]}",
                   TRUCE_ERANGE,
                   "coordinates[0]: longitude 180.5 out of range");
  EXPECT_PARSE_ERR("{\"type\":\"Polygon\",\"coordinates\":[[[30,50],[31,50],"
                   "[31,51],[30,50.5]]]}",
                   TRUCE_EPARSE, "coordinates[0]: ring is not closed");
  EXPECT_PARSE_ERR("{\"type\":\"Polygon\",\"coordinates\":[[[30,50],[31,50],"
                   "[30,50]]]}",
                   TRUCE_EPARSE, "coordinates[0]: a ring needs at least 4");
  EXPECT_PARSE_ERR("{\"type\":\"LineString\",\"coordinates\":[[30,50]]}",
                   TRUCE_EPARSE, "coordinates: a LineString needs at least 2");
  EXPECT_PARSE_ERR("{\"type\":\"LineString\",\"coordinates\":[[30,50],[30,50]"
                   "]}",
                   TRUCE_EPARSE, "all its positions are one point");
  EXPECT_PARSE_ERR("{\"type\":\"LineString\",\"coordinates\":[[0,90],[45,90]"
                   "]}",
                   TRUCE_EPARSE, "all its positions are one point");
  EXPECT_PARSE_ERR("{\"type\":\"LineString\",\"coordinates\":[[30,50],[31,\""
                   "x\"]]}",
                   TRUCE_EPARSE, "coordinates[1]: a position holds numbers");
  EXPECT_PARSE_ERR("{\"type\":\"LineString\",\"coordinates\":[[30,50],[31]]}",
                   TRUCE_EPARSE, "coordinates[1]: a position is [lon, lat]");
  EXPECT_PARSE_ERR("{\"type\":\"LineString\"}", TRUCE_EPARSE,
                   "coordinates: missing");
  EXPECT_PARSE_ERR("{\"type\":\"Point\",\"coordinates\":[30,50]}", TRUCE_EPARSE,
                   "a Point is neither a line nor an area");
  EXPECT_PARSE_ERR("{\"type\":\"Circle\",\"coordinates\":[30,50]}",
                   TRUCE_EPARSE, "'Circle' is not a GeoJSON geometry");
  /* What is echoed is one line of printable ASCII (a fuzzer's find). */
  EXPECT_PARSE_ERR("{\"type\":\"Line\\nString\\u00e9\",\"coordinates\":[]}",
                   TRUCE_EPARSE, "type: 'Line?String?\?' is not");
  EXPECT_PARSE_ERR("{\"coordinates\":[30,50]}", TRUCE_EPARSE, "type: missing");
  EXPECT_PARSE_ERR("[1,2]", TRUCE_EPARSE, "not a GeoJSON object");
  EXPECT_PARSE_ERR("{\"type\":", TRUCE_EPARSE, "line 1 column");
  EXPECT_PARSE_ERR("{\"type\":\"LineString\",\"type\":\"Polygon\"}",
                   TRUCE_EPARSE, "duplicate");
  EXPECT_PARSE_ERR("{\"type\":\"FeatureCollection\",\"features\":[]}",
                   TRUCE_EPARSE, "no lines or areas");
  EXPECT_PARSE_ERR("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":"
                   "\"Feature\",\"geometry\":null}]}",
                   TRUCE_EPARSE, "no lines or areas");
  EXPECT_PARSE_ERR("{\"type\":\"FeatureCollection\"}", TRUCE_EPARSE,
                   "features: missing or not an array");
  EXPECT_PARSE_ERR("{\"type\":\"Feature\"}", TRUCE_EPARSE, "geometry: missing");
  EXPECT_PARSE_ERR("{\"type\":\"GeometryCollection\",\"geometries\":[{\"type"
                   "\":\"LineString\",\"coordinates\":[[30,50],[31,51]]},{"
                   "\"type\":\"Polygon\",\"coordinates\":[[[30,50],[31,50],"
                   "[31,51],[30,50]]]}]}",
                   TRUCE_EPARSE,
                   "geometries[1]: a Polygon among lines: a geometry is all "
                   "lines or all areas");
  EXPECT_PARSE_ERR("{\"type\":\"MultiPolygon\",\"coordinates\":[]}",
                   TRUCE_EPARSE, "coordinates: empty");
  /* Nesting is bounded. */
  truce_buf b;
  truce_buf_init(&b, 1 << 20);
  for (int i = 0; i < 12; i++)
    truce_buf_appendf(&b, "{\"type\":\"GeometryCollection\",\"geometries\":[");
  truce_buf_appendf(&b, "{\"type\":\"LineString\",\"coordinates\":[[0,0],[1,"
                        "1]]}");
  for (int i = 0; i < 12; i++)
    truce_buf_appendf(&b, "]}");
  EXPECT_PARSE_ERR(b.data, TRUCE_EPARSE, "nested more than 8 deep");
  truce_buf_release(&b);
  /* Arguments. */
  truce_geom *g = (truce_geom *)1;
  CHECK_RC(truce_geom_parse(NULL, 0, &g, errbuf), TRUCE_EINVAL);
  CHECK(g == NULL);
  CHECK_RC(truce_geom_load("/nonexistent/front.geojson", &g, errbuf),
           TRUCE_ENOTFOUND);
  CHECK(g == NULL);
  truce_geom_free(NULL);
  CHECK(truce_geom_kind(NULL) == 0);
  CHECK(truce_geom_vertices(NULL) == 0);
}

TEST(test_parse_accepts) {
  /* Altitude is ignored, null geometries skipped, features merged,
   * GeometryCollections flattened; kinds and vertex counts. */
  truce_geom *g = parse(
      "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
      "\"geometry\":null,\"properties\":null},{\"type\":\"Feature\","
      "\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[37,48,100],"
      "[37.1,48]]}},{\"type\":\"Feature\",\"geometry\":{\"type\":"
      "\"GeometryCollection\",\"geometries\":[{\"type\":\"MultiLineString\","
      "\"coordinates\":[[[38,48],[38.1,48.1],[38.2,48]]]}]}}]}");
  if (!g)
    return;
  CHECK(truce_geom_kind(g) == TRUCE_GEOM_LINE);
  CHECK_EQ_U64(truce_geom_vertices(g), 5);
  truce_geo_where w = measure(g, 48.1, 38.1);
  CHECK(w.dist_m == 0 && w.side == 0 && w.part == 1 && w.segment == 0);
  truce_geom_free(g);
  g = parse("{\"type\":\"MultiPolygon\",\"coordinates\":[[[[30,50],[31,50],"
            "[31,51],[30,50]]]]}");
  if (g)
    CHECK(truce_geom_kind(g) == TRUCE_GEOM_AREA);
  truce_geom_free(g);
}

TEST(test_measure_arguments) {
  truce_geom *g = parse("{\"type\":\"LineString\",\"coordinates\":[[37,48],"
                        "[37.1,48]]}");
  if (!g)
    return;
  truce_geo_where w;
  double bad[][2] = {{91, 0},  {-90.5, 0}, {0, 180.5},   {0, -181},
                     {NAN, 0}, {0, NAN},   {INFINITY, 0}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&w, 0xa5, sizeof w);
    CHECK_RC(truce_geom_measure(g, bad[i][0], bad[i][1], &w), TRUCE_ERANGE);
    CHECK(w.dist_m == 0 && w.side == 0 && w.part == 0);
  }
  CHECK_RC(truce_geom_measure(NULL, 0, 0, &w), TRUCE_EINVAL);
  /* The extremes are in range. */
  CHECK_OK(truce_geom_measure(g, 90, 180, &w));
  CHECK_OK(truce_geom_measure(g, -90, -180, &w));
  truce_geom_free(g);
}

/* ---- on the line, at a threshold, either side ---- */

/* A long geodesic edge; points built from its midpoint by geod_direct
 * perpendicular to it, at exact distances. */
TEST(test_on_line_and_thresholds) {
  double p[3][2] = {{34.0, 47.5}, {38.0, 48.3}, {38.5, 49.5}};
  rgeo r;
  truce_geom *g = line_geom((const double(*)[2])p, 3, &r);
  if (!g)
    return;
  struct geod_geodesicline l;
  geod_inverseline(&l, &G, p[0][1], p[0][0], p[1][1], p[1][0], GEOD_ALL);
  double mlat, mlon, maz;
  geod_position(&l, l.s13 / 2, &mlat, &mlon, &maz);
  /* On the edge: its midpoint and 37% of the way. */
  truce_geo_where w = measure(g, mlat, mlon);
  CHECK_MSG(w.dist_m == 0 && w.side == 0, "%.4f %d", w.dist_m, w.side);
  CHECK(w.part == 0 && w.segment == 0);
  CHECK(fabs(w.near_lat_deg - mlat) < 1e-8 &&
        fabs(w.near_lon_deg - mlon) < 1e-8);
  double la, lo;
  geod_position(&l, 0.37 * l.s13, &la, &lo, NULL);
  w = measure(g, la, lo);
  CHECK_MSG(w.dist_m == 0 && w.side == 0, "%.4f", w.dist_m);
  /* On a vertex, and on the line's ends. */
  for (int i = 0; i < 3; i++) {
    w = measure(g, p[i][1], p[i][0]);
    CHECK_MSG(w.dist_m == 0 && w.side == 0, "vertex %d: %.4f", i, w.dist_m);
    CHECK(w.near_lat_deg == p[i][1] || fabs(w.near_lat_deg - p[i][1]) < 1e-12);
  }
  /* Closer than 1 mm is on (distance 0); 2 mm is not. Right of the
   * drawing direction is azimuth + 90. */
  double exact[] = {0.0004, 0.0008,  0.002,   0.5,     1.0,
                    999.0,  24999.0, 25000.0, 25001.0, 100000.0};
  for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
    for (int side = -1; side <= 1; side += 2) {
      double la2, lo2;
      geod_direct(&G, mlat, mlon, maz - 90.0 * side, exact[i], &la2, &lo2,
                  NULL);
      w = measure(g, la2, lo2);
      if (exact[i] < TRUCE_GEO_ON_M) {
        CHECK_MSG(w.dist_m == 0 && w.side == 0, "%.4f: %.4f %d", exact[i],
                  w.dist_m, w.side);
        continue;
      }
      /* Built at exactly d metres, it measures exactly d (millimetres):
       * so "within d" (<=) holds at d and fails 1 m beyond. */
      CHECK_MSG(w.dist_m == exact[i], "%.4f: measured %.6f", exact[i],
                w.dist_m);
      CHECK_MSG(w.side == side, "%.4f: side %d want %d", exact[i], w.side,
                side);
      CHECK(w.dist_m <= 25000.0 || exact[i] > 25000.0);
    }
  truce_geom_free(g);
  rgeo_free(&r);
}

/* ---- random lines against the slow reference ---- */

TEST(test_random_lines_vs_reference) {
  tally t;
  memset(&t, 0, sizeof t);
  int lines = 6, per = 500;
  for (int k = 0; k < lines; k++) {
    /* Around Ukraine, a long-segment line, and anywhere. */
    double lat = k < 3 ? unif(44, 52) : unif(-70, 70);
    double lon = k < 3 ? unif(30, 40) : unif(-179, 179);
    size_t n = k == 2 ? 8 : 60;
    double step = k == 2 ? 400e3 : (k % 2 ? 30e3 : 3e3);
    double(*p)[2] = random_line(lat, lon, n, step);
    rgeo r;
    truce_geom *g = line_geom((const double(*)[2])p, n, &r);
    for (int i = 0; g && i < per; i++) {
      const double *v = p[rng() % n];
      double la2, lo2;
      double d = i % 5 == 0 ? unif(0, 300) : unif(0, 300e3);
      geod_direct(&G, v[1], v[0], unif(0, 360), d, &la2, &lo2, NULL);
      compare_point(g, &r, la2, lo2, 0.001, SIDE_LINE, &t);
    }
    truce_geom_free(g);
    rgeo_free(&r);
    free(p);
  }
  fprintf(stderr,
          "  %d random points near %d random lines: max |truce - reference| "
          "%.2g m (at %.0f m), %d sides checked, %d wrong\n",
          t.n, lines, t.max_err, t.max_err_dist, t.side_checked, t.side_wrong);
  CHECK(t.dist_wrong == 0);
  CHECK(t.side_wrong == 0);
  CHECK(t.side_checked > t.n / 2);
}

/* Lines across the antimeridian and over a pole. */
TEST(test_antimeridian_and_pole_lines) {
  double am[4][2] = {
      {179.2, 10.0}, {-179.6, 10.4}, {-179.1, 9.6}, {179.9, 9.0}};
  double pole[3][2] = {{0, 89.0}, {180, 89.0}, {-90, 88.0}};
  double near_pole[3][2] = {{10, 88.5}, {100, 89.5}, {-170, 88.0}};
  const double(*lines[3])[2] = {(const double(*)[2])am,
                                (const double(*)[2])pole,
                                (const double(*)[2])near_pole};
  size_t ns[3] = {4, 3, 3};
  tally t;
  memset(&t, 0, sizeof t);
  for (int k = 0; k < 3; k++) {
    rgeo r;
    truce_geom *g = line_geom(lines[k], ns[k], &r);
    if (!g)
      continue;
    for (int i = 0; i < 300; i++) {
      const double *v = lines[k][rng() % ns[k]];
      double la2, lo2;
      geod_direct(&G, v[1], v[0], unif(0, 360), unif(0, 300e3), &la2, &lo2,
                  NULL);
      compare_point(g, &r, la2, lo2, 0.001, SIDE_LINE, &t);
    }
    truce_geom_free(g);
    rgeo_free(&r);
  }
  /* The geodesic from (89 N, 0) to (89 N, 180) runs over the pole. */
  truce_geom *g = line_geom(lines[1], 3, NULL);
  if (g) {
    truce_geo_where w = measure(g, 90, 0);
    CHECK_MSG(w.dist_m == 0 && w.side == 0, "pole: %.4f", w.dist_m);
    w = measure(g, 90, 123.4);
    CHECK(w.dist_m == 0);
  }
  truce_geom_free(g);
  fprintf(stderr,
          "  %d points near antimeridian and polar lines: max error %.2g m, "
          "%d sides checked, %d wrong\n",
          t.n, t.max_err, t.side_checked, t.side_wrong);
  CHECK(t.dist_wrong == 0);
  CHECK(t.side_wrong == 0);
}

/* Far from the geometry (beyond the near field): still exact. */
TEST(test_far_points) {
  double p[4][2] = {{37.0, 48.0}, {37.5, 48.2}, {38.0, 47.9}, {38.3, 48.4}};
  rgeo r;
  truce_geom *g = line_geom((const double(*)[2])p, 4, &r);
  tally t;
  memset(&t, 0, sizeof t);
  for (int i = 0; g && i < 200; i++) {
    double la2, lo2;
    geod_direct(&G, 48.1, 37.5, unif(0, 360), unif(300e3, 19000e3), &la2, &lo2,
                NULL);
    compare_point(g, &r, la2, lo2, 0.001, SIDE_LINE, &t);
  }
  fprintf(stderr, "  %d far points (300-19,000 km): max error %.2g m\n", t.n,
          t.max_err);
  CHECK(t.dist_wrong == 0);
  /* Without memory for the list of far candidates, each is refined as it
   * comes: the same answers, to the bit. */
  int differ = 0;
  for (int i = 0; g && i < 50; i++) {
    double la2, lo2;
    geod_direct(&G, 48.1, 37.5, unif(0, 360), unif(500e3, 19000e3), &la2, &lo2,
                NULL);
    truce_geo_where a = measure(g, la2, lo2), b;
    truce_test_fail_alloc(1);
    CHECK_OK(truce_geom_measure(g, la2, lo2, &b));
    truce_test_fail_alloc(0);
    differ += a.dist_m != b.dist_m || a.side != b.side ||
              a.segment != b.segment || a.near_lat_deg != b.near_lat_deg ||
              a.near_lon_deg != b.near_lon_deg;
  }
  CHECK_EQ_U64(differ, 0);
  truce_geom_free(g);
  rgeo_free(&r);
}

/* ---- areas ---- */

static truce_geom *area_geom(const char *json, rgeo *ref) {
  truce_geom *g = parse(json);
  if (ref) {
    memset(ref, 0, sizeof *ref);
    json_error_t je;
    json_t *doc = json_loads(json, 0, &je);
    rgeo_walk(ref, doc, 0);
    json_decref(doc);
  }
  return g;
}

TEST(test_polygon_with_hole) {
  /* A square with a square hole; the hole's ring first, then the outer
   * ring, then again as a MultiPolygon with an island: order does not
   * matter under the even-odd rule. */
  const char *docs[] = {
      "{\"type\":\"Polygon\",\"coordinates\":[[[37,48],[37.2,48],[37.2,48.2],"
      "[37,48.2],[37,48]],[[37.05,48.05],[37.05,48.15],[37.15,48.15],[37.15,"
      "48.05],[37.05,48.05]]]}",
      "{\"type\":\"Polygon\",\"coordinates\":[[[37.05,48.05],[37.05,48.15],"
      "[37.15,48.15],[37.15,48.05],[37.05,48.05]],[[37,48],[37.2,48],[37.2,"
      "48.2],[37,48.2],[37,48]]]}",
      "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[37.3,48.1],[37.35,48.1],"
      "[37.35,48.15],[37.3,48.1]]],[[[37.05,48.05],[37.05,48.15],[37.15,"
      "48.15],[37.15,48.05],[37.05,48.05]],[[37,48],[37.2,48],[37.2,48.2],"
      "[37,48.2],[37,48]]]]}"};
  for (int k = 0; k < 3; k++) {
    rgeo r;
    truce_geom *g = area_geom(docs[k], &r);
    if (!g)
      continue;
    CHECK(measure(g, 48.1, 37.1).side == -1);  /* in the hole */
    CHECK(measure(g, 48.02, 37.1).side == 1);  /* between the rings */
    CHECK(measure(g, 48.1, 37.25).side == -1); /* outside */
    /* On a meridian edge of the hole (a meridian is a geodesic), and on
     * a corner. */
    truce_geo_where w = measure(g, 48.1, 37.05);
    CHECK_MSG(w.dist_m == 0 && w.side == 0, "%.4f %d", w.dist_m, w.side);
    w = measure(g, 48.05, 37.05);
    CHECK(w.dist_m == 0 && w.side == 0);
    if (k == 2) {
      CHECK(measure(g, 48.11, 37.32).side == 1); /* the island */
      CHECK(measure(g, 48.14, 37.31).side == -1);
    }
    /* Random points against the reference distance and the planar
     * even-odd count (away from the boundary). */
    tally t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < 300; i++)
      compare_point(g, &r, unif(47.9, 48.3), unif(36.9, 37.45), 0.001,
                    SIDE_AREA, &t);
    CHECK(t.dist_wrong == 0 && t.side_wrong == 0);
    truce_geom_free(g);
    rgeo_free(&r);
  }
}

TEST(test_areas_across_antimeridian_and_round_poles) {
  /* A box across the antimeridian: its edges are the short geodesics. */
  truce_geom *g = parse("{\"type\":\"Polygon\",\"coordinates\":[[[179,-1],"
                        "[-179,-1],[-179,1],[179,1],[179,-1]]]}");
  if (g) {
    CHECK(measure(g, 0, 180).side == 1);
    CHECK(measure(g, 0, -180).side == 1);
    CHECK(measure(g, 0.5, 179.5).side == 1);
    CHECK(measure(g, 0, 178.5).side == -1);
    CHECK(measure(g, 0, -178.5).side == -1);
    CHECK(measure(g, 0, 0).side == -1);
    /* (0, 180) is nearest the edges near 1 degree of latitude. */
    rgeo r;
    memset(&r, 0, sizeof r);
    double ring[5][2] = {{179, -1}, {-179, -1}, {-179, 1}, {179, 1}, {179, -1}};
    rgeo_part(&r, (const double(*)[2])ring, 5, 0);
    rnear n = ref_nearest(&r, 0, 180);
    truce_geo_where w = measure(g, 0, 180);
    CHECK_MSG(fabs(w.dist_m - n.dist) < 0.001, "%.4f vs %.4f", w.dist_m,
              n.dist);
    rgeo_free(&r);
  }
  truce_geom_free(g);
  /* A ring round the north pole at 89.5 N: the pole is inside it, the
   * south pole (farther from it) outside. */
  g = parse("{\"type\":\"Polygon\",\"coordinates\":[[[0,89.5],[90,89.5],"
            "[180,89.5],[-90,89.5],[0,89.5]]]}");
  if (g) {
    CHECK(measure(g, 90, 0).side == 1);
    CHECK(measure(g, 89.8, 45).side == 1);
    CHECK(measure(g, 89, 45).side == -1);
    CHECK(measure(g, 0, 45).side == -1);
    CHECK(measure(g, -90, 0).side == -1);
  }
  truce_geom_free(g);
  /* And round the south pole, with many vertices (Antarctica-like). */
  truce_buf b;
  truce_buf_init(&b, 1 << 20);
  truce_buf_appendf(&b, "{\"type\":\"Polygon\",\"coordinates\":[[");
  for (int i = 0; i <= 72; i++) /* the last position repeats the first */
    truce_buf_appendf(&b, "%s[%d,%.6f]", i ? "," : "",
                      i == 72 ? -180 : -180 + 5 * i,
                      -75 + 3 * sin((i % 72) * 2 * M_PI * 5 / 72));
  truce_buf_appendf(&b, "]]}");
  g = parse(b.data);
  if (g) {
    CHECK(measure(g, -90, 0).side == 1);
    CHECK(measure(g, -85, 123).side == 1);
    CHECK(measure(g, -60, 10).side == -1);
    CHECK(measure(g, 50, 10).side == -1);
    CHECK(measure(g, 90, 10).side == -1);
  }
  truce_geom_free(g);
  truce_buf_release(&b);
}

/* An area much wider than the near field's reach: points deep inside
 * are measured the far way, and their side found by counting crossings
 * along their meridian. */
TEST(test_big_area) {
  truce_buf b;
  truce_buf_init(&b, 1 << 20);
  truce_buf_appendf(&b, "{\"type\":\"Polygon\",\"coordinates\":[[");
  /* A 60 x 30 degree box, a vertex every 2 degrees (long geodesic
   * edges), with a 10 x 6 degree hole. */
  int first = 1;
  for (int lon = 0; lon < 60; lon += 2, first = 0)
    truce_buf_appendf(&b, "%s[%d,30]", first ? "" : ",", lon);
  for (int lat = 30; lat < 60; lat += 2)
    truce_buf_appendf(&b, ",[60,%d]", lat);
  for (int lon = 60; lon > 0; lon -= 2)
    truce_buf_appendf(&b, ",[%d,60]", lon);
  for (int lat = 60; lat >= 30; lat -= 2)
    truce_buf_appendf(&b, ",[0,%d]", lat);
  truce_buf_appendf(&b, "],[[25,42],[25,48],[35,48],[35,42],[25,42]]]}");
  rgeo r;
  truce_geom *g = area_geom(b.data, &r);
  truce_buf_release(&b);
  if (!g)
    return;
  CHECK(measure(g, 38, 15).side == 1);   /* 900 km from the edge */
  CHECK(measure(g, 45, 30).side == -1);  /* in the hole */
  CHECK(measure(g, 20, 30).side == -1);  /* south of it */
  CHECK(measure(g, 70, -30).side == -1); /* far outside */
  tally t;
  memset(&t, 0, sizeof t);
  area_clear_m = 20000;
  for (int i = 0; i < 60; i++)
    compare_point(g, &r, unif(25, 65), unif(-5, 65), 0.001, SIDE_AREA, &t);
  area_clear_m = 100;
  fprintf(stderr,
          "  %d points in and round a 60 x 30 degree area: max "
          "error %.2g m (at %.0f m), %d sides checked, %d wrong\n",
          t.n, t.max_err, t.max_err_dist, t.side_checked, t.side_wrong);
  CHECK(t.dist_wrong == 0 && t.side_wrong == 0);
  truce_geom_free(g);
  rgeo_free(&r);
}

/* ---- real data ---- */

typedef struct city {
  const char *name;
  double lat, lon;
} city;

static const city DONETSK = {"Donetsk", 48.0159, 37.8028};
static const city MARIUPOL = {"Mariupol", 47.0971, 37.5434};
static const city KRAMATORSK = {"Kramatorsk", 48.7233, 37.5563};
static const city KYIV = {"Kyiv", 50.4501, 30.5234};

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the DeepState snapshots, sorted; NULL if absent. */
static char **deepstate_files(const char *dir, size_t *n) {
  *n = 0;
  DIR *d = opendir(dir);
  if (!d)
    return NULL;
  char **names = NULL;
  size_t cap = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, "deepstatemap_data_", 18) != 0)
      continue;
    if (*n == cap) {
      cap = cap ? 2 * cap : 64;
      names = realloc(names, cap * sizeof *names);
    }
    names[(*n)++] = strdup(e->d_name);
  }
  closedir(d);
  if (*n)
    qsort(names, *n, sizeof *names, cmp_str);
  return names;
}

/* The largest ring of a DeepState snapshot, as a LineString. */
static truce_geom *main_ring_line(const char *path, double *signed_area) {
  json_error_t je;
  json_t *doc = json_load_file(path, 0, &je);
  if (!doc)
    return NULL;
  json_t *c = json_object_get(
      json_object_get(json_array_get(json_object_get(doc, "features"), 0),
                      "geometry"),
      "coordinates");
  json_t *best = NULL;
  for (size_t i = 0; i < json_array_size(c); i++) {
    json_t *ring = json_array_get(json_array_get(c, i), 0);
    if (!best || json_array_size(ring) > json_array_size(best))
      best = ring;
  }
  truce_buf b;
  truce_buf_init(&b, 1 << 24);
  truce_buf_appendf(&b, "{\"type\":\"LineString\",\"coordinates\":");
  char *s = json_dumps(best, JSON_COMPACT);
  truce_buf_appendf(&b, "%s}", s);
  free(s);
  /* Shoelace in lon/lat: positive is counter-clockwise. */
  double a = 0;
  for (size_t i = 0; i + 1 < json_array_size(best); i++) {
    json_t *p = json_array_get(best, i), *q = json_array_get(best, i + 1);
    a += json_number_value(json_array_get(p, 0)) *
             json_number_value(json_array_get(q, 1)) -
         json_number_value(json_array_get(q, 0)) *
             json_number_value(json_array_get(p, 1));
  }
  *signed_area = a / 2;
  json_decref(doc);
  truce_geom *g = parse(b.data);
  truce_buf_release(&b);
  return g;
}

TEST(test_deepstate_every_snapshot) {
  const char *dir = shared_path("data/frontline/deepstate_cyterat");
  size_t n;
  char **names = dir ? deepstate_files(dir, &n) : NULL;
  if (!names)
    SKIP("../shared/data/frontline/deepstate_cyterat is absent (set "
         "TRUCE_SHARED)");
  int checked = 0;
  for (size_t i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    truce_geom *g = NULL;
    truce_err rc = truce_geom_load(path, &g, errbuf);
    CHECK_MSG(rc == TRUCE_OK, "%s: %s", names[i], errbuf);
    if (rc) {
      free(names[i]);
      continue;
    }
    CHECK(truce_geom_kind(g) == TRUCE_GEOM_AREA);
    const city in[] = {DONETSK, MARIUPOL}, out[] = {KRAMATORSK, KYIV};
    for (int k = 0; k < 2; k++) {
      truce_geo_where w = measure(g, in[k].lat, in[k].lon);
      CHECK_MSG(w.side == 1, "%s: %s side %d", names[i], in[k].name, w.side);
      w = measure(g, out[k].lat, out[k].lon);
      CHECK_MSG(w.side == -1, "%s: %s side %d", names[i], out[k].name, w.side);
    }
    truce_geom_free(g);
    /* The same boundary as a line: the cities are on the sides its
     * orientation says the inside is on. */
    double area;
    g = main_ring_line(path, &area);
    if (g) {
      int inside_side = area > 0 ? 1 : -1; /* left of a ccw ring */
      CHECK_MSG(measure(g, DONETSK.lat, DONETSK.lon).side == inside_side,
                "%s: Donetsk", names[i]);
      CHECK_MSG(measure(g, MARIUPOL.lat, MARIUPOL.lon).side == inside_side,
                "%s: Mariupol", names[i]);
      CHECK_MSG(measure(g, KRAMATORSK.lat, KRAMATORSK.lon).side == -inside_side,
                "%s: Kramatorsk", names[i]);
      truce_geom_free(g);
    }
    checked++;
    free(names[i]);
  }
  free(names);
  fprintf(stderr,
          "  %d DeepState snapshots: Donetsk and Mariupol inside, "
          "Kramatorsk and Kyiv outside, in each\n",
          checked);
}

TEST(test_deepstate_vs_reference) {
  const char *path = shared_path(
      "data/frontline/deepstate_cyterat/deepstatemap_data_20250415.geojson");
  if (!path)
    SKIP("../shared/data/frontline/deepstate_cyterat is absent");
  truce_geom *g = NULL;
  CHECK_OK(truce_geom_load(path, &g, errbuf));
  rgeo r;
  if (!g || !rgeo_load(&r, path)) {
    truce_geom_free(g);
    return;
  }
  tally t;
  memset(&t, 0, sizeof t);
  for (int i = 0; i < 400; i++) {
    /* Near the boundary (from a random vertex) and across the box. */
    double la2, lo2;
    if (i % 2) {
      const redge *e = &r.e[rng() % r.n];
      geod_direct(&G, e->la1, e->lo1, unif(0, 360),
                  i % 4 == 1 ? unif(0, 200) : unif(0, 30e3), &la2, &lo2, NULL);
    } else {
      la2 = unif(43.4, 52.1);
      lo2 = unif(30.5, 41.2);
    }
    compare_point(g, &r, la2, lo2, 0.001, SIDE_AREA, &t);
  }
  fprintf(stderr,
          "  DeepState 2025-04-15, %d points: max |truce - reference| %.2g m "
          "(at %.0f m), %d sides checked against a plain count, %d wrong\n",
          t.n, t.max_err, t.max_err_dist, t.side_checked, t.side_wrong);
  CHECK(t.dist_wrong == 0);
  CHECK(t.side_wrong == 0);
  truce_geom_free(g);
  rgeo_free(&r);
}

/* Every ring of a reference geometry as GeoJSON, each edge cut into k
 * by points on its geodesic (so the densified geometry is the same curve:
 * the reference's answers stay right), as one MultiPolygon, or the
 * largest ring alone as a LineString. */
static char *densified(const rgeo *r, int k, bool as_line) {
  truce_buf b;
  truce_buf_init(&b, 1u << 28);
  size_t best = 0;
  for (size_t q = 1; q < r->nring; q++)
    if (r->ring_start[q + 1] - r->ring_start[q] >
        r->ring_start[best + 1] - r->ring_start[best])
      best = q;
  truce_buf_appendf(&b, as_line ? "{\"type\":\"LineString\",\"coordinates\":"
                                : "{\"type\":\"MultiPolygon\",\"coordinates\":[");
  for (size_t q = as_line ? best : 0; q < (as_line ? best + 1 : r->nring);
       q++) {
    truce_buf_appendf(&b, "%s%s[", q && !as_line ? "," : "",
                      as_line ? "" : "[");
    for (size_t i = r->ring_start[q]; i < r->ring_start[q + 1]; i++) {
      const double *v = r->ring[i];
      truce_buf_appendf(&b, "%s[%.17g,%.17g]", i > r->ring_start[q] ? "," : "",
                        v[0], v[1]);
      if (i + 1 == r->ring_start[q + 1])
        break;
      const double *w = r->ring[i + 1];
      struct geod_geodesicline l;
      geod_inverseline(&l, &G, v[1], v[0], w[1], w[0],
                       GEOD_LATITUDE | GEOD_LONGITUDE | GEOD_DISTANCE_IN);
      for (int j = 1; j < k && l.s13 > 0; j++) {
        double la, lo;
        geod_position(&l, l.s13 * j / k, &la, &lo, NULL);
        truce_buf_appendf(&b, ",[%.17g,%.17g]", lo, la);
      }
    }
    truce_buf_appendf(&b, "]%s", as_line ? "" : "]");
  }
  truce_buf_appendf(&b, as_line ? "}" : "]}");
  char *out = strdup(b.data ? b.data : "");
  truce_buf_release(&b);
  return out;
}

/* Dense lines are what the index's runs are for: the DeepState boundary
 * with every edge cut into 16 and 64 pieces (15 m apart at 64), as an
 * area and its largest ring as a line, against the reference on the
 * original edges (the same geodesics). */
TEST(test_densified_vs_reference) {
  const char *path = shared_path(
      "data/frontline/deepstate_cyterat/deepstatemap_data_20250415.geojson");
  if (!path)
    SKIP("../shared/data/frontline/deepstate_cyterat is absent");
  rgeo r;
  if (!rgeo_load(&r, path))
    return;
  /* The largest ring alone, for the line's reference. */
  size_t big = 0;
  for (size_t q = 1; q < r.nring; q++)
    if (r.ring_start[q + 1] - r.ring_start[q] >
        r.ring_start[big + 1] - r.ring_start[big])
      big = q;
  rgeo rl;
  memset(&rl, 0, sizeof rl);
  rgeo_part(&rl, (const double(*)[2])(r.ring + r.ring_start[big]),
            r.ring_start[big + 1] - r.ring_start[big], 0);
  /* And truce on the original: the same sides even within 100 m of the
   * boundary, where the plain count cannot tell. */
  truce_geom *g0[2] = {NULL, NULL};
  CHECK_OK(truce_geom_load(path, &g0[0], errbuf));
  char *doc0 = densified(&r, 1, true);
  g0[1] = parse(doc0);
  free(doc0);
  int close_checked = 0, close_wrong = 0;
  const int ks[2] = {16, 64};
  for (int ki = 0; ki < 2; ki++)
    for (int line = 0; line < 2; line++) {
      char *doc = densified(&r, ks[ki], line);
      truce_geom *g = parse(doc);
      free(doc);
      if (!g)
        continue;
      const rgeo *ref = line ? &rl : &r;
      tally t;
      memset(&t, 0, sizeof t);
      for (int i = 0; i < 300; i++) {
        double la2, lo2;
        if (i % 3) {
          /* Near the boundary: within 30 m, or 30 km, of a vertex. */
          const redge *e = &ref->e[rng() % ref->n];
          geod_direct(&G, e->la1, e->lo1, unif(0, 360),
                      i % 3 == 1 ? unif(0, 30) : unif(0, 30e3), &la2, &lo2,
                      NULL);
        } else {
          la2 = unif(43.4, 52.1);
          lo2 = unif(30.5, 41.2);
        }
        compare_point(g, ref, la2, lo2, 0.001, line ? SIDE_LINE : SIDE_AREA,
                      &t);
        if (g0[line]) {
          truce_geo_where w = measure(g, la2, lo2);
          truce_geo_where w0 = measure(g0[line], la2, lo2);
          close_checked++;
          if ((w.side != w0.side || fabs(w.dist_m - w0.dist_m) > 0.0015) &&
              close_wrong++ < 5)
            fprintf(stderr, "  at %.9f %.9f: %.4f m side %d, original %.4f m "
                    "side %d\n", la2, lo2, w.dist_m, w.side, w0.dist_m,
                    w0.side);
        }
      }
      fprintf(stderr,
              "  DeepState 2025-04-15 %s, edges cut into %d (%zu vertices), "
              "%d points: max |truce - reference| %.2g m (at %.0f m), %d "
              "sides checked, %d wrong\n",
              line ? "largest ring as a line" : "area", ks[ki],
              truce_geom_vertices(g), t.n, t.max_err, t.max_err_dist,
              t.side_checked, t.side_wrong);
      CHECK(t.dist_wrong == 0);
      CHECK(t.side_wrong == 0);
      CHECK(t.side_checked > t.n / 2);
      truce_geom_free(g);
    }
  fprintf(stderr,
          "  the same %d points against truce on the original edges: %d "
          "differ in side or by more than 1 mm (each is rounded to it)\n",
          close_checked, close_wrong);
  CHECK(close_wrong == 0);
  truce_geom_free(g0[0]);
  truce_geom_free(g0[1]);
  rgeo_free(&rl);
  rgeo_free(&r);
}

/* A point equally far from more pieces than a leaf's search keeps: the
 * north pole inside a ring of 2,000 vertices at 89.5 N (every piece's
 * midpoint equally near it, by symmetry), and points near it. */
TEST(test_many_equidistant_pieces) {
  enum { N = 2000 };
  double(*p)[2] = malloc((N + 1) * sizeof *p);
  for (int i = 0; i <= N; i++) {
    p[i][0] = i == N ? -180 : -180 + 360.0 * i / N;
    p[i][1] = 89.5;
  }
  rgeo r;
  truce_geom *g = line_geom((const double(*)[2])p, N + 1, &r);
  free(p);
  if (!g)
    return;
  tally t;
  memset(&t, 0, sizeof t);
  compare_point(g, &r, 90, 0, 0.001, SIDE_NONE, &t);
  for (int i = 0; i < 40; i++)
    compare_point(g, &r, unif(89.9, 90), unif(-180, 180), 0.001, SIDE_LINE,
                  &t);
  CHECK(t.dist_wrong == 0 && t.side_wrong == 0);
  truce_geom_free(g);
  rgeo_free(&r);
}

TEST(test_isw_control_2023) {
  const char *path = shared_path(
      "data/frontline/rus_control_2023_gianman89/rus_control_2023_wgs84."
      "geojson");
  if (!path)
    SKIP("../shared/data/frontline/rus_control_2023_gianman89 is absent");
  truce_geom *g = NULL;
  CHECK_OK(truce_geom_load(path, &g, errbuf));
  if (!g)
    return;
  CHECK(measure(g, DONETSK.lat, DONETSK.lon).side == 1);
  CHECK(measure(g, MARIUPOL.lat, MARIUPOL.lon).side == 1);
  CHECK(measure(g, KRAMATORSK.lat, KRAMATORSK.lon).side == -1);
  CHECK(measure(g, KYIV.lat, KYIV.lon).side == -1);
  truce_geom_free(g);
}

TEST(test_admin_islands_first) {
  struct {
    const char *file;
    city in[3], out;
  } cases[] = {
      {"UA_51_Odeska.geojson",
       {{"Odesa", 46.4825, 30.7233},
        {"the first ring's island", 45.63538818359375, 29.82576171875},
        {"Izmail", 45.3500, 28.8400}},
       {"the Black Sea off Odesa", 46.0, 31.0}},
      {"UA_48_Mykolaivska.geojson",
       {{"Mykolaiv", 46.9750, 31.9946},
        {"the first ring's island", 46.51503662109375, 31.666285400390624},
        {"Pervomaisk", 48.0440, 30.8500}},
       {"the Black Sea", 46.2, 31.3}},
      {"UA_65_Khersonska.geojson",
       {{"Kherson (its north-east, 1 km in)", 46.66, 32.65},
        {"the first ring's island", 46.03648071289062, 32.965467834472655},
        {"Nova Kakhovka", 46.7550, 33.3480}},
       {"Odesa", 46.4825, 30.7233}},
  };
  int done = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char rel[256];
    snprintf(rel, sizeof rel, "data/admin/ukraine_geojson_eugeneborshch/%s",
             cases[i].file);
    const char *path = shared_path(rel);
    if (!path)
      continue;
    truce_geom *g = NULL;
    CHECK_OK(truce_geom_load(path, &g, errbuf));
    rgeo r;
    if (!g || !rgeo_load(&r, path)) {
      truce_geom_free(g);
      continue;
    }
    for (int k = 0; k < 3; k++) {
      const city *c = &cases[i].in[k];
      /* The reference agrees (a cross-check of the expectation). */
      CHECK_MSG(ref_planar_inside(&r, c->lat, c->lon), "%s: %s", cases[i].file,
                c->name);
      CHECK_MSG(measure(g, c->lat, c->lon).side == 1, "%s: %s", cases[i].file,
                c->name);
    }
    CHECK(!ref_planar_inside(&r, cases[i].out.lat, cases[i].out.lon));
    CHECK_MSG(measure(g, cases[i].out.lat, cases[i].out.lon).side == -1,
              "%s: %s", cases[i].file, cases[i].out.name);
    tally t;
    memset(&t, 0, sizeof t);
    for (int k = 0; k < 100; k++)
      compare_point(g, &r, unif(45, 48.5), unif(28, 35.5), 0.001, SIDE_AREA,
                    &t);
    CHECK(t.dist_wrong == 0 && t.side_wrong == 0);
    truce_geom_free(g);
    rgeo_free(&r);
    done++;
  }
  if (!done)
    SKIP("../shared/data/admin is absent");
  /* All oblasts as one geometry: Kyiv and Donetsk inside. */
  const char *full =
      shared_path("data/admin/ukraine_geojson_eugeneborshch/UA_FULL_Ukraine."
                  "geojson");
  truce_geom *g = NULL;
  if (full && truce_geom_load(full, &g, errbuf) == TRUCE_OK) {
    CHECK(measure(g, KYIV.lat, KYIV.lon).side == 1);
    CHECK(measure(g, DONETSK.lat, DONETSK.lon).side == 1);
    CHECK(measure(g, 52.2297, 21.0122).side == -1); /* Warsaw */
  }
  truce_geom_free(g);
}

/* Which oblast holds a point: every city in the one its oblast's own
 * file holds (checked with a planar even-odd count too), the sea and
 * Warsaw in none, and each of 2,000 random points in at most one. */
TEST(test_areas_which_oblast) {
  const char *full =
      shared_path("data/admin/ukraine_geojson_eugeneborshch/UA_FULL_Ukraine."
                  "geojson");
  if (!full) {
    SKIP("../shared/data/admin is absent");
    return;
  }
  truce_areas *a = NULL;
  CHECK_OK(truce_areas_load(full, "name:en", &a, errbuf));
  if (!a)
    return;
  CHECK_EQ_U64(truce_areas_count(a), 25);
  struct {
    const char *name;
    double lat, lon;
    const char *want;
  } cases[] = {
      {"Odesa", 46.4825, 30.7233, "Odessa Oblast"},
      {"Izmail", 45.3500, 28.8400, "Odessa Oblast"},
      {"Mykolaiv", 46.9750, 31.9946, "Mykolaiv Oblast"},
      {"Nova Kakhovka", 46.7550, 33.3480, "Kherson Oblast"},
      {"Kherson oblast's first island", 46.03648071289062, 32.965467834472655,
       "Kherson Oblast"},
      {"Donetsk", DONETSK.lat, DONETSK.lon, "Donetsk Oblast"},
      {"Kharkiv", 49.9935, 36.2304, "Kharkiv Oblast"},
      {"Simferopol", 44.9521, 34.1024, "Autonomous Republic of Crimea"},
      {"Lviv", 49.8397, 24.0297, "Lviv Oblast"},
      {"the Black Sea", 44.0, 32.0, NULL},
      {"Warsaw", 52.2297, 21.0122, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    long k = -2;
    CHECK_OK(truce_areas_which(a, cases[i].lat, cases[i].lon, &k));
    if (cases[i].want)
      CHECK_MSG(k >= 0 && strcmp(truce_areas_name(a, (size_t)k),
                                 cases[i].want) == 0,
                "%s: got %s", cases[i].name,
                k >= 0 ? truce_areas_name(a, (size_t)k) : "none");
    else
      CHECK_MSG(k == -1, "%s: got %s", cases[i].name,
                k >= 0 ? truce_areas_name(a, (size_t)k) : "none");
  }
  /* Random points: in an oblast exactly when the whole country holds
   * them (away from the borders, where straight and geodesic edges may
   * differ). */
  truce_geom *g = NULL;
  CHECK_OK(truce_geom_load(full, &g, errbuf));
  int held = 0, n = 0;
  for (int i = 0; g && i < 2000; i++) {
    double lat = unif(44.3, 52.4), lon = unif(22.1, 40.2);
    truce_geo_where w = measure(g, lat, lon);
    if (w.dist_m < 50)
      continue;
    long k;
    CHECK_OK(truce_areas_which(a, lat, lon, &k));
    /* Oblasts share borders, and the country is their union: a point of
     * the country lies in one, a point outside it in none (its whole
     * outline is some oblast's outline). */
    if (w.side > 0)
      CHECK_MSG(k >= 0, "%.5f %.5f is in Ukraine but in no oblast", lat, lon);
    else
      CHECK_MSG(k == -1, "%.5f %.5f is outside Ukraine but in %s", lat, lon,
                truce_areas_name(a, (size_t)k));
    held += k >= 0;
    n++;
  }
  printf("  oblasts: 11 places placed right; %d random points, %d in an "
         "oblast, each exactly when the country holds it\n",
         n, held);
  truce_geom_free(g);
  long k;
  CHECK_RC(truce_areas_which(a, 91, 0, &k), TRUCE_ERANGE);
  truce_areas_free(a);
  truce_areas_free(NULL);
  /* Errors name the file and the feature. */
  char path[4096];
  snprintf(path, sizeof path, "%s/areas-bad.geojson",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (f) {
    fputs("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
          "\"properties\":{},\"geometry\":{\"type\":\"LineString\","
          "\"coordinates\":[[30,50],[31,50]]}}]}",
          f);
    fclose(f);
    CHECK_RC(truce_areas_load(path, NULL, &a, errbuf), TRUCE_EPARSE);
    CHECK_CONTAINS(errbuf, "features[0].geometry: not a Polygon");
    CHECK(a == NULL);
    remove(path);
  }
  CHECK_RC(truce_areas_load("/nonexistent/x.geojson", NULL, &a, errbuf),
           TRUCE_ENOTFOUND);
}

/* ---- failure and concurrency ---- */

TEST(test_allocation_failures) {
  const char *doc = "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[37,48],"
                    "[38.5,48],[38.5,49],[37,49],[37,48]],[[37.5,48.3],[37.5,"
                    "48.6],[38,48.6],[38,48.3],[37.5,48.3]]]]}";
  truce_geom *ok = parse(doc);
  if (!ok)
    return;
  truce_geo_where want = measure(ok, 48.45, 37.7);
  int failures = 0;
  for (uint64_t n = 1; n < 200; n++) {
    truce_geom *g = NULL;
    truce_test_fail_alloc(n);
    truce_err rc = truce_geom_parse(doc, strlen(doc), &g, errbuf);
    truce_test_fail_alloc(0);
    if (rc == TRUCE_OK) {
      /* Then fail the lazy index build instead: the answer is the same,
       * found the slow way. */
      truce_test_fail_alloc(1);
      truce_geo_where w;
      rc = truce_geom_measure(g, 48.45, 37.7, &w);
      truce_test_fail_alloc(0);
      CHECK_OK(rc);
      CHECK(w.dist_m == want.dist_m && w.side == want.side &&
            w.segment == want.segment);
      w = measure(g, 48.45, 37.7); /* and builds it now */
      CHECK(w.dist_m == want.dist_m && w.side == want.side);
      truce_geom_free(g);
      break;
    }
    failures++;
    CHECK_MSG(rc == TRUCE_ENOMEM, "alloc %" PRIu64 ": %d %s", n, rc, errbuf);
    CHECK(g == NULL);
  }
  CHECK(failures > 3);
  truce_geom_free(ok);
}

/* truce_geom_measure_many gives, point for point, what
 * truce_geom_measure gives (compared byte for byte, on a second geometry
 * loaded from the same text so that neither index is shared), with
 * points out of range refused one by one and the rest still measured. */
static void many_vs_one(const char *doc, double la0, double la1, double lo0,
                        double lo1, size_t n) {
  truce_geom *g = NULL, *h = NULL;
  CHECK_OK(truce_geom_parse(doc, strlen(doc), &g, errbuf));
  CHECK_OK(truce_geom_parse(doc, strlen(doc), &h, errbuf));
  double *lat = calloc(n, sizeof *lat), *lon = calloc(n, sizeof *lon);
  truce_geo_where *w = calloc(n, sizeof *w);
  truce_err *e = calloc(n, sizeof *e);
  if (!g || !h || !lat || !lon || !w || !e)
    goto done;
  for (size_t i = 0; i < n; i++) {
    lat[i] = unif(la0, la1);
    lon[i] = unif(lo0, lo1);
    if (lon[i] > 180) /* a box across the antimeridian */
      lon[i] -= 360;
  }
  /* Some refused: not finite, out of range. */
  lat[n / 3] = NAN;
  lon[n / 2] = 181;
  lat[n - 1] = -90.5;
  CHECK_RC(truce_geom_measure_many(g, n, lat, lon, w, e), TRUCE_ERANGE);
  size_t diff = 0, refused = 0;
  for (size_t i = 0; i < n; i++) {
    truce_geo_where one;
    truce_err rc = truce_geom_measure(h, lat[i], lon[i], &one);
    diff += rc != e[i] || memcmp(&one, &w[i], sizeof one) != 0;
    refused += e[i] == TRUCE_ERANGE;
  }
  CHECK_MSG(diff == 0, "%zu of %zu differ", diff, n);
  CHECK(refused == 3);
  /* Without errs, all valid: TRUCE_OK and the same answers. */
  size_t bad[3] = {n / 3, n / 2, n - 1};
  for (int k = 0; k < 3; k++) {
    lat[bad[k]] = lat[0];
    lon[bad[k]] = lon[0];
  }
  CHECK_OK(truce_geom_measure_many(g, n, lat, lon, w, NULL));
  for (int k = 0; k < 3; k++)
    CHECK(memcmp(&w[bad[k]], &w[0], sizeof *w) == 0);
done:
  truce_geom_free(g);
  truce_geom_free(h);
  free(lat);
  free(lon);
  free(w);
  free(e);
}

TEST(test_measure_many) {
  /* An area with a hole and an island, points over it and far beyond
   * its near field; a line across the antimeridian. */
  many_vs_one(
      "{\"type\":\"MultiPolygon\",\"coordinates\":[[[[37.3,48.1],[37.35,"
      "48.1],[37.35,48.15],[37.3,48.1]]],[[[37.05,48.05],[37.05,48.15],[37.15,"
      "48.15],[37.15,48.05],[37.05,48.05]],[[37,48],[37.2,48],[37.2,48.2],[37,"
      "48.2],[37,48]]]]}",
      40, 56, 30, 45, 20000);
  many_vs_one("{\"type\":\"LineString\",\"coordinates\":[[178,-17],[179.5,"
              "-16.5],[-179.2,-16],[-178,-16.4]]}",
              -25, -8, 165, 195, 20000);
  /* Nothing to measure; NULL arrays; the scratch refused. */
  truce_geom *g = NULL;
  const char *doc = "{\"type\":\"LineString\",\"coordinates\":[[37,48],[38,"
                    "48.5]]}";
  CHECK_OK(truce_geom_parse(doc, strlen(doc), &g, errbuf));
  if (!g)
    return;
  double la[2] = {48.2, 47}, lo[2] = {37.5, 38};
  truce_geo_where w[2];
  memset(w, 0x5a, sizeof w);
  CHECK_OK(truce_geom_measure_many(g, 0, NULL, NULL, NULL, NULL));
  CHECK_RC(truce_geom_measure_many(g, 2, NULL, lo, w, NULL), TRUCE_EINVAL);
  CHECK_RC(truce_geom_measure_many(NULL, 2, la, lo, w, NULL), TRUCE_EINVAL);
  truce_test_fail_alloc(1);
  truce_err rc = truce_geom_measure_many(g, 2, la, lo, w, NULL);
  truce_test_fail_alloc(0);
  CHECK_RC(rc, TRUCE_ENOMEM);
  truce_geo_where want;
  memset(&want, 0x5a, sizeof want);
  CHECK(memcmp(&w[0], &want, sizeof want) == 0); /* nothing written */
  CHECK_OK(truce_geom_measure_many(g, 2, la, lo, w, NULL));
  truce_geo_where one = measure(g, 47, 38);
  CHECK(memcmp(&w[1], &one, sizeof one) == 0);
  truce_geom_free(g);
}

typedef struct job {
  const truce_geom *g;
  const double (*pts)[2];
  truce_geo_where *out;
  int n;
} job;

static void *run_job(void *arg) {
  job *j = arg;
  for (int i = 0; i < j->n; i++)
    truce_geom_measure(j->g, j->pts[i][0], j->pts[i][1], &j->out[i]);
  return NULL;
}

TEST(test_threads) {
  const char *path = shared_path(
      "data/frontline/deepstate_cyterat/deepstatemap_data_20260822.geojson");
  if (!path)
    SKIP("../shared/data/frontline/deepstate_cyterat is absent");
  truce_geom *g1 = NULL, *g2 = NULL;
  CHECK_OK(truce_geom_load(path, &g1, errbuf));
  CHECK_OK(truce_geom_load(path, &g2, errbuf));
  if (!g1 || !g2) {
    truce_geom_free(g1);
    truce_geom_free(g2);
    return;
  }
  enum { T = 4, N = 3000 };
  static double pts[T][N][2];
  static truce_geo_where out[T][N];
  for (int t = 0; t < T; t++)
    for (int i = 0; i < N; i++) {
      pts[t][i][0] = unif(44, 52);
      pts[t][i][1] = unif(31, 41);
    }
  /* Four threads on a fresh geometry, building its index as they go. */
  pthread_t th[T];
  job jobs[T];
  for (int t = 0; t < T; t++) {
    jobs[t] = (job){g1, (const double(*)[2])pts[t], out[t], N};
    CHECK(pthread_create(&th[t], NULL, run_job, &jobs[t]) == 0);
  }
  for (int t = 0; t < T; t++)
    pthread_join(th[t], NULL);
  int diff = 0;
  for (int t = 0; t < T; t++)
    for (int i = 0; i < N; i++) {
      truce_geo_where w = measure(g2, pts[t][i][0], pts[t][i][1]);
      diff += memcmp(&w, &out[t][i], sizeof w) != 0;
    }
  CHECK_MSG(diff == 0, "%d of %d differ", diff, T * N);
  truce_geom_free(g1);
  truce_geom_free(g2);
}

int main(void) {
  uint64_t seed = test_seed();
  rng_state = seed;
  geod_init(&G, 6378137, 1 / 298.257223563);
  fprintf(stderr,
          "test_geo: seed %" PRIu64 " (TRUCE_SEED=%" PRIu64
          " repeats this run)\n",
          seed, seed);
  RUN(test_geodesic_inverse_known);
  RUN(test_fast_distance_formula);
  RUN(test_parse_errors);
  RUN(test_parse_accepts);
  RUN(test_measure_arguments);
  RUN(test_on_line_and_thresholds);
  RUN(test_random_lines_vs_reference);
  RUN(test_antimeridian_and_pole_lines);
  RUN(test_far_points);
  RUN(test_polygon_with_hole);
  RUN(test_areas_across_antimeridian_and_round_poles);
  RUN(test_big_area);
  RUN(test_deepstate_every_snapshot);
  RUN(test_deepstate_vs_reference);
  RUN(test_densified_vs_reference);
  RUN(test_many_equidistant_pieces);
  RUN(test_isw_control_2023);
  RUN(test_admin_islands_first);
  RUN(test_areas_which_oblast);
  RUN(test_allocation_failures);
  RUN(test_threads);
  RUN(test_measure_many);
  return test_done("test_geo");
}
