/*
 * sim.c: `truce simulate`: a scenario with known ground truth. A front
 * line, two parties, monitoring sources (patrols, cameras, acoustic
 * arrays, drones, satellites), true events (shelling, bursts of fire,
 * heavy weapons moved into the withdrawal zone), and what each source
 * reported of them, with the errors, misses and false reports of its
 * means; then the truth, written apart. docs/simulate.md describes the
 * model and the files.
 *
 * Owns: the scenario model, its random number generator and the truth
 * format (writing and reading it back). Depends on obs.c to write and
 * check observations, geo.c (and PROJ's geodesic) for positions, the
 * weapon catalogue for systems and terms.c's format for terms.json; must
 * not depend on the log, fusion or assessment: the simulator only makes
 * files that they read like any other input.
 *
 * Determinism: one generator per phase (line, sources, events,
 * observations, false reports), each seeded from the seed, numbers drawn
 * in a fixed order: the same configuration gives the same bytes wherever
 * libm and PROJ give the same doubles (every glibc on x86-64 and arm64).
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <geodesic.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define WGS84_A 6378137.0
#define WGS84_F (1 / 298.257223563)

#define LINE_MAX_POS 1000
#define SOUND_MPS 343.0
#define MIN_MS 60000
#define HOUR_MS 3600000
#define DAY_MS 86400000
#define OUT_MAX ((size_t)1 << 30) /* one output file */
#define TRUTH_MAX ((size_t)256 << 20)
#define DEG (M_PI / 180)

/* ---- the random number generator: xoshiro256** seeded by splitmix64 ---- */

typedef struct rng {
  uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* Each phase has its own stream, so that adding a camera does not move
 * every event. */
static void rng_seed(rng *r, uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (stream * 0xd1342543de82ef95u);
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

/* [0, 1) */
static double unif(rng *r) {
  return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}
static double unif_ab(rng *r, double a, double b) {
  return a + (b - a) * unif(r);
}
/* 0..n-1 */
static uint32_t pick(rng *r, uint32_t n) {
  uint32_t k = (uint32_t)(unif(r) * n);
  return k < n ? k : n - 1;
}
static bool chance(rng *r, double p) { return unif(r) < p; }
/* Standard normal (Box-Muller, one value per call: simple and fixed). */
static double gauss(rng *r) {
  double u1 = 1.0 - unif(r), u2 = unif(r);
  return sqrt(-2.0 * log(u1)) * cos(2 * M_PI * u2);
}

/* ---- the model's parameters (docs/simulate.md, "How each means
 * observes") ---- */

enum kind { K_PATROL, K_CAMERA, K_ACOUSTIC, K_DRONE, K_VIIRS, K_MODIS };

#define PATROL_SIGMA_DEG 2.5   /* reported +-5 */
#define CAMERA_SIGMA_DEG 1.0   /* reported +-2 */
#define ACOUSTIC_SIGMA_DEG 0.5 /* reported +-1 */
#define CAMERA_FOV_DEG 120.0
#define CAMERA_RANGE_M 15000.0
#define CAMERA_FLASH_RANGE_M 3000.0
#define ACOUSTIC_RANGE_M 20000.0
#define ACOUSTIC_SMALL_RANGE_M 5000.0
#define PATROL_RANGE_M 16000.0
#define PATROL_SMALL_RANGE_M 4000.0
#define PATROL_SIGHT_M 2500.0
#define DRONE_ALONG_M 10000.0 /* half the track's length */
#define DRONE_ACROSS_M 4000.0 /* half the footprint's width */
#define VIIRS_PIXEL_M 375.0
#define MODIS_PIXEL_M 1000.0
#define ZONE_HALF_M 2000.0 /* the disengagement area: 4 x 4 km */

/* Rule bits: the rules of terms.json, in its order. */
enum { R_CEASEFIRE = 1, R_HEAVY = 2, R_LIGHT = 4, R_ZONE = 8 };
static const char *const rule_ids[] = {"ceasefire", "heavy-weapons",
                                       "tanks-mortars", "disengagement"};
#define HEAVY_KM 25.0
#define LIGHT_KM 15.0

/* Weapons used in fire and moved into the zone: catalogue names, with a
 * maximum range for the firing ones. */
typedef struct wdef {
  const char *name;
  double range_m;
  uint32_t rounds_min, rounds_max;
  double interval_min_s, interval_max_s;
  double p_thermal;
} wdef;

static const wdef fire_weapons[] = {
    {"2B14 Podnos", 4000, 1, 12, 10, 30, 0.10},
    {"2B11 Sani", 7000, 1, 15, 10, 30, 0.10},
    {"D-30", 15000, 1, 20, 15, 60, 0.35},
    {"2S1 Gvozdika", 15000, 1, 20, 15, 60, 0.35},
    {"2A65 Msta-B", 24000, 1, 12, 20, 60, 0.40},
    {"BM-21 Grad", 20000, 10, 40, 0.5, 0.5, 0.45},
};
static const double fire_weapon_p[] = {0.18, 0.18, 0.16, 0.16, 0.12, 0.20};
#define NFIRE_WEAPONS (sizeof fire_weapons / sizeof fire_weapons[0])

static const char *const moved_weapons[] = {
    "2S1 Gvozdika", "D-30", "2A65 Msta-B", "BM-21 Grad", "T-72", "2B11 Sani"};
#define NMOVED (sizeof moved_weapons / sizeof moved_weapons[0])

/* Satellite overpasses per day, minutes after 00:00 UTC (the region is
 * near 38 E: local solar time is UTC + 2.5 h). */
static const int viirs_passes[] = {10 * 60 + 5, 10 * 60 + 55, 22 * 60 + 5,
                                   22 * 60 + 55};
static const int modis_passes[] = {8 * 60 + 15, 10 * 60 + 50, 19 * 60 + 50,
                                   22 * 60 + 40};

/* ---- state ---- */

/* An observation as simulated (turned into a truce_obs when written). */
typedef struct sobs {
  int64_t t_ms, t_end_ms;
  uint32_t precision_s;
  uint8_t is_window, where_kind, approx, has_fire;
  truce_what what;
  uint32_t count;
  double lat, lon, unc, bearing, spread, dmin, dmax;
  truce_weapon_class weapon;
  double calibre;
  const char *system; /* static */
  double fire_from, fire_spread;
  unsigned means;
  int32_t event; /* -1: a false report */
  uint32_t seq;  /* generation order: ties in time keep it */
} sobs;

/* A patrol's stop, a drone's sortie, a satellite's overpass. */
typedef struct stay {
  int64_t t0, t1;
  double lat, lon;
  double arc, off, azi; /* drones: track centre on the line, offset,
                           heading */
} stay;

typedef struct src {
  char name[32];
  enum kind kind;
  unsigned means; /* all its means */
  double reliability;
  double lat, lon, facing;
  stay *stays;
  size_t nstays, capstays;
  sobs *obs;
  size_t nobs, capobs, ntrue;
} src;

typedef struct sev {
  truce_what what;
  int64_t t, t_end;
  double lat, lon, arc, off;
  uint32_t count;
  int party, ground; /* 0: right party, 1: left */
  truce_weapon_class wclass;
  double calibre;
  const char *system;
  uint8_t has_from, has_thermal;
  double flat, flon;
  int64_t th_from, th_to;
  double line_dist;
  unsigned rules;
  uint32_t nobs;
} sev;

typedef struct sim {
  const truce_sim_config *c;
  struct geod_geodesic g;
  double *vlat, *vlon, *cum;
  size_t nv;
  double len;
  truce_geom *geom;
  double zlat, zlon, zazi; /* the disengagement area's centre, line azimuth */
  double zc[5][2];         /* its corners, lat lon, closed */
  src *srcs;
  size_t nsrcs;
  sev *ev;
  size_t nev;
  double hot[4]; /* arcs of the busy sectors */
  int64_t t0, t1;
  uint32_t seq;
  char *err;
} sim;

/* ---- small helpers ---- */

static double wrap360(double a) {
  a = fmod(a, 360.0);
  if (a < 0)
    a += 360.0;
  return a;
}

/* On the 7-decimal grid observations keep (docs/observation.md), so that
 * the files hold exactly what was simulated; a bearing that rounds to
 * 360 is 0. */
static double grid7(double x) { return round(x * 1e7) / 1e7; }
static double bearing7(double b) {
  b = grid7(wrap360(b));
  return b >= 360.0 ? 0.0 : b;
}

static void inverse(const sim *s, double lat1, double lon1, double lat2,
                    double lon2, double *d, double *azi) {
  double a1, a2, dd;
  geod_inverse(&s->g, lat1, lon1, lat2, lon2, &dd, &a1, &a2);
  if (d)
    *d = dd;
  if (azi)
    *azi = wrap360(a1);
}

static void direct(const sim *s, double lat, double lon, double azi, double d,
                   double *lat2, double *lon2) {
  double a2;
  geod_direct(&s->g, lat, lon, azi, d, lat2, lon2, &a2);
}

/* Move a point by (east, north) metres. */
static void shift(const sim *s, double *lat, double *lon, double east_m,
                  double north_m) {
  double d = hypot(east_m, north_m);
  if (d == 0)
    return;
  direct(s, *lat, *lon, atan2(east_m, north_m) / DEG, d, lat, lon);
}

/* Move a point by normal errors of sigma_m east, then north. Random
 * numbers are never drawn twice in one expression or argument list: C
 * leaves their order unspecified (gcc and clang differ). */
static void shift_gauss(const sim *s, rng *r, double *lat, double *lon,
                        double sigma_m) {
  double east = sigma_m * gauss(r);
  double north = sigma_m * gauss(r);
  shift(s, lat, lon, east, north);
}

/* The point at arc length `arc` along the line, and the line's azimuth
 * there. */
static void line_at(const sim *s, double arc, double *lat, double *lon,
                    double *azi) {
  if (arc < 0)
    arc = 0;
  if (arc > s->len)
    arc = s->len;
  size_t lo = 0, hi = s->nv - 1; /* cum[lo] <= arc < cum[hi] */
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (s->cum[mid] <= arc)
      lo = mid;
    else
      hi = mid;
  }
  double a1, a2, d;
  geod_inverse(&s->g, s->vlat[lo], s->vlon[lo], s->vlat[lo + 1],
               s->vlon[lo + 1], &d, &a1, &a2);
  geod_direct(&s->g, s->vlat[lo], s->vlon[lo], a1, arc - s->cum[lo], lat, lon,
              &a2);
  if (azi)
    *azi = wrap360(a2);
}

/* `off` metres to the right (positive) or left of the line at `arc`. */
static void line_offset(const sim *s, double arc, double off, double *lat,
                        double *lon) {
  double la, lo, azi;
  line_at(s, arc, &la, &lo, &azi);
  if (off == 0) {
    *lat = la;
    *lon = lo;
    return;
  }
  direct(s, la, lo, azi + (off > 0 ? 90 : -90), fabs(off), lat, lon);
}

/* Where a point lies: arc length of its nearest point, signed distance
 * (positive: right of the line), and the side as a party index (0: the
 * right party). */
static truce_err where_on(const sim *s, double lat, double lon, double *arc,
                          double *off) {
  truce_geo_where w;
  truce_err rc = truce_geom_measure(s->geom, lat, lon, &w);
  if (rc)
    return seterr(s->err, rc, "simulated point %.7f %.7f is out of range", lat,
                  lon);
  double d;
  inverse(s, s->vlat[w.segment], s->vlon[w.segment], w.near_lat_deg,
          w.near_lon_deg, &d, NULL);
  if (arc)
    *arc = s->cum[w.segment] + d;
  if (off)
    *off = w.side < 0 ? w.dist_m : -w.dist_m;
  return TRUCE_OK;
}

static bool in_zone(const sim *s, double lat, double lon) {
  double d, azi;
  inverse(s, s->zlat, s->zlon, lat, lon, &d, &azi);
  double rel = (azi - s->zazi) * DEG;
  double along = d * cos(rel), across = d * sin(rel);
  return fabs(along) <= ZONE_HALF_M && fabs(across) <= ZONE_HALF_M;
}

static truce_err grow(void **p, size_t *cap, size_t n, size_t size, char *err) {
  if (n < *cap)
    return TRUCE_OK;
  size_t nc = *cap ? *cap * 2 : 16;
  void *q = truce_realloc(*p, nc * size);
  if (!q)
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  *p = q;
  *cap = nc;
  return TRUCE_OK;
}

static truce_err add_stay(sim *s, src *o, const stay *st) {
  truce_err rc = grow((void **)&o->stays, &o->capstays, o->nstays,
                      sizeof *o->stays, s->err);
  if (rc)
    return rc;
  o->stays[o->nstays++] = *st;
  return TRUCE_OK;
}

static truce_err add_obs(sim *s, src *o, sobs *ob) {
  truce_err rc =
      grow((void **)&o->obs, &o->capobs, o->nobs, sizeof *o->obs, s->err);
  if (rc)
    return rc;
  ob->seq = s->seq++;
  o->obs[o->nobs++] = *ob;
  if (ob->event >= 0) {
    o->ntrue++;
    s->ev[ob->event].nobs++;
  }
  return TRUCE_OK;
}

static int64_t floor_min(int64_t t) {
  int64_t r = t % MIN_MS;
  return t - (r < 0 ? r + MIN_MS : r);
}
static int64_t day_start(int64_t t) {
  int64_t r = t % DAY_MS;
  return t - (r < 0 ? r + DAY_MS : r);
}
static int64_t round_min(int64_t t) { return floor_min(t + MIN_MS / 2); }
static int64_t ceil_min(int64_t t) { return -floor_min(-t); }
static int64_t round_s(int64_t t) {
  int64_t r = (t + 500) % 1000;
  return t + 500 - (r < 0 ? r + 1000 : r);
}

/* A number for JSON: fixed decimals, trailing zeros and a lone point
 * removed, never "-0". */
static truce_err jnum(truce_buf *b, double x, int decimals) {
  char tmp[64];
  snprintf(tmp, sizeof tmp, "%.*f", decimals, x);
  size_t n = strlen(tmp);
  if (strchr(tmp, '.')) {
    while (n > 0 && tmp[n - 1] == '0')
      n--;
    if (n > 0 && tmp[n - 1] == '.')
      n--;
  }
  tmp[n] = '\0';
  if (strcmp(tmp, "-0") == 0)
    return truce_buf_append(b, "0", 1);
  return truce_buf_append(b, tmp, n);
}

static truce_err jtime(truce_buf *b, int64_t t) {
  char ts[32];
  truce_time_format(t, ts);
  return truce_buf_appendf(b, "\"%s\"", ts);
}

/* ---- configuration ---- */

void truce_sim_config_init(truce_sim_config *c) {
  memset(c, 0, sizeof *c);
  c->seed = 1;
  c->start_ms = INT64_C(1793491200000); /* 2026-11-01T00:00:00Z */
  c->hours = 24;
  c->events = 400;
  c->patrols = 6;
  c->cameras = 20;
  c->acoustic = 6;
  c->drones = 4;
  c->false_rate = 0.01; /* docs/simulate.md, "False reports and misses" */
  c->line_path = NULL;
  memcpy(c->party_right, "west", 5);
  memcpy(c->party_left, "east", 5);
}

/* A terms id: 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit. */
static bool party_ok(const char *p) {
  size_t n = strnlen(p, 65);
  if (n == 0 || n > 64)
    return false;
  for (size_t i = 0; i < n; i++) {
    char ch = p[i];
    bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
    if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
      return false;
  }
  return true;
}

static truce_err check_config(const truce_sim_config *c, int64_t now_ms,
                              char *err) {
  if (c->hours < 1 || c->hours > TRUCE_SIM_HOURS_MAX)
    return seterr(err, TRUCE_EINVAL, "hours: %u is out of range [1, %d]",
                  c->hours, TRUCE_SIM_HOURS_MAX);
  if (c->events < 1 || c->events > TRUCE_SIM_EVENTS_MAX)
    return seterr(err, TRUCE_EINVAL, "events: %u is out of range [1, %d]",
                  c->events, TRUCE_SIM_EVENTS_MAX);
  const uint32_t n[4] = {c->patrols, c->cameras, c->acoustic, c->drones};
  const char *names[4] = {"patrols", "cameras", "acoustic", "drones"};
  for (int i = 0; i < 4; i++)
    if (n[i] > TRUCE_SIM_SOURCES_MAX)
      return seterr(err, TRUCE_EINVAL, "%s: %u is out of range [0, %d]",
                    names[i], n[i], TRUCE_SIM_SOURCES_MAX);
  if (!(c->false_rate >= 0 && c->false_rate <= 0.5))
    return seterr(err, TRUCE_EINVAL, "false rate: %g is out of range [0, 0.5]",
                  c->false_rate);
  if (!party_ok(c->party_right) || !party_ok(c->party_left))
    return seterr(err, TRUCE_EINVAL,
                  "parties: '%.64s', '%.64s': each must be 1 to 64 of a-z "
                  "0-9 . _ -, starting with a letter or digit",
                  c->party_right, c->party_left);
  if (strcmp(c->party_right, c->party_left) == 0)
    return seterr(err, TRUCE_EINVAL, "parties: both are '%s'", c->party_right);
  /* 1900..2999 is what observation times allow. */
  if (c->start_ms < INT64_C(-2208988800000) ||
      c->start_ms > INT64_C(32503680000000) - (int64_t)c->hours * HOUR_MS)
    return seterr(err, TRUCE_EINVAL, "start: out of range");
  int64_t end = c->start_ms + (int64_t)c->hours * HOUR_MS;
  if (end > now_ms) {
    char a[32], b[32];
    truce_time_format(end, a);
    truce_time_format(now_ms, b);
    return seterr(err, TRUCE_ERANGE,
                  "the scenario would end at %s, after the current time %s: "
                  "observations in the future are refused (give an earlier "
                  "--start)",
                  a, b);
  }
  return TRUCE_OK;
}

/* ---- the line ---- */

static truce_err line_alloc(sim *s, size_t n) {
  s->vlat = truce_calloc(n, sizeof *s->vlat);
  s->vlon = truce_calloc(n, sizeof *s->vlon);
  s->cum = truce_calloc(n, sizeof *s->cum);
  if (!s->vlat || !s->vlon || !s->cum)
    return seterr(s->err, TRUCE_ENOMEM, "out of memory");
  s->nv = n;
  return TRUCE_OK;
}

/* A synthetic line in eastern Ukraine's coordinates: 32 vertices, 6.5 km
 * apart, from the north-east heading south-south-west with a smoothed
 * random bend, about 200 km long. */
static truce_err line_synthetic(sim *s) {
  rng r;
  rng_seed(&r, s->c->seed, 1);
  truce_err rc = line_alloc(s, 32);
  if (rc)
    return rc;
  double lat = 49.05, lon = 38.25, bend = 0;
  for (size_t i = 0; i < s->nv; i++) {
    s->vlat[i] = round(lat * 1e6) / 1e6;
    s->vlon[i] = round(lon * 1e6) / 1e6;
    bend = 0.6 * bend + 12 * gauss(&r);
    if (bend > 35)
      bend = 35;
    if (bend < -35)
      bend = -35;
    direct(s, s->vlat[i], s->vlon[i], 200 + bend, 6500, &lat, &lon);
  }
  return TRUCE_OK;
}

static truce_err line_from_file(sim *s, const char *path) {
  truce_buf b;
  truce_buf_init(&b, (size_t)64 << 20);
  truce_err rc = truce_buf_read_file(&b, path, s->err);
  if (rc) {
    truce_buf_release(&b);
    return rc;
  }
  json_error_t je;
  json_t *root = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &je);
  truce_buf_release(&b);
  if (!root)
    return seterr(s->err, TRUCE_EPARSE, "%s: not JSON: %s (line %d)", path,
                  je.text, je.line);
  json_t *g = root;
  const char *type = json_string_value(json_object_get(g, "type"));
  if (type && strcmp(type, "FeatureCollection") == 0) {
    g = json_array_get(json_object_get(g, "features"), 0);
    type = json_string_value(json_object_get(g, "type"));
  }
  if (type && strcmp(type, "Feature") == 0) {
    g = json_object_get(g, "geometry");
    type = json_string_value(json_object_get(g, "type"));
  }
  json_t *co = json_object_get(g, "coordinates");
  if (!type || strcmp(type, "LineString") != 0 || !json_is_array(co)) {
    json_decref(root);
    return seterr(s->err, TRUCE_EPARSE,
                  "%s: not a GeoJSON LineString (bare, in a Feature or as "
                  "the first feature of a FeatureCollection)",
                  path);
  }
  size_t n = json_array_size(co);
  if (n < 2 || n > LINE_MAX_POS) {
    json_decref(root);
    return seterr(s->err, TRUCE_EPARSE,
                  "%s: the line has %zu positions (2 to %d)", path, n,
                  LINE_MAX_POS);
  }
  rc = line_alloc(s, n);
  for (size_t i = 0; !rc && i < n; i++) {
    json_t *p = json_array_get(co, i);
    json_t *x = json_array_get(p, 0), *y = json_array_get(p, 1);
    double lon = json_number_value(x), lat = json_number_value(y);
    if (!json_is_number(x) || !json_is_number(y) || !isfinite(lat) ||
        !isfinite(lon) || lat < -80 || lat > 80 || lon < -180 || lon > 180)
      rc = seterr(s->err, TRUCE_EPARSE,
                  "%s: coordinates[%zu]: not [lon, lat] in range (latitudes "
                  "within 80 degrees of the equator)",
                  path, i);
    s->vlat[i] = round(lat * 1e6) / 1e6;
    s->vlon[i] = round(lon * 1e6) / 1e6;
  }
  json_decref(root);
  return rc;
}

static truce_err line_geojson(const sim *s, truce_buf *b) {
  truce_err rc =
      truce_buf_appendf(b, "{\"type\":\"LineString\",\"coordinates\":[");
  for (size_t i = 0; !rc && i < s->nv; i++) {
    rc = truce_buf_appendf(b, "%s[", i ? "," : "");
    if (!rc)
      rc = jnum(b, s->vlon[i], 6);
    if (!rc)
      rc = truce_buf_append(b, ",", 1);
    if (!rc)
      rc = jnum(b, s->vlat[i], 6);
    if (!rc)
      rc = truce_buf_append(b, "]", 1);
  }
  if (!rc)
    rc = truce_buf_append(b, "]}", 2);
  return rc;
}

static truce_err line_setup(sim *s) {
  truce_err rc =
      s->c->line_path ? line_from_file(s, s->c->line_path) : line_synthetic(s);
  if (rc)
    return rc;
  s->cum[0] = 0;
  for (size_t i = 1; i < s->nv; i++) {
    double d;
    inverse(s, s->vlat[i - 1], s->vlon[i - 1], s->vlat[i], s->vlon[i], &d,
            NULL);
    s->cum[i] = s->cum[i - 1] + d;
  }
  s->len = s->cum[s->nv - 1];
  if (s->len < 20000)
    return seterr(s->err, TRUCE_EINVAL,
                  "the line is %.0f m long: at least 20 km is needed", s->len);
  truce_buf b;
  truce_buf_init(&b, (size_t)1 << 20);
  rc = line_geojson(s, &b);
  if (!rc)
    rc = truce_geom_parse(b.data, b.len, &s->geom, s->err);
  truce_buf_release(&b);
  if (rc)
    return rc;
  /* Four busy sectors, where most events happen. */
  rng r;
  rng_seed(&r, s->c->seed, 6);
  for (int i = 0; i < 4; i++)
    s->hot[i] = s->len * (0.1 + 0.8 * (i + unif(&r)) / 4);
  /* The disengagement area: a 4 x 4 km square on the line, half way. */
  line_at(s, s->len / 2, &s->zlat, &s->zlon, &s->zazi);
  s->zlat = grid7(s->zlat);
  s->zlon = grid7(s->zlon);
  static const double corner[5][2] = {
      {-1, -1}, {1, -1}, {1, 1}, {-1, 1}, {-1, -1}};
  for (int i = 0; i < 5; i++) {
    double along = corner[i][0] * ZONE_HALF_M,
           across = corner[i][1] * ZONE_HALF_M;
    double d = hypot(along, across), azi = s->zazi + atan2(across, along) / DEG;
    direct(s, s->zlat, s->zlon, azi, d, &s->zc[i][0], &s->zc[i][1]);
    s->zc[i][0] = round(s->zc[i][0] * 1e6) / 1e6;
    s->zc[i][1] = round(s->zc[i][1] * 1e6) / 1e6;
  }
  return TRUCE_OK;
}

/* ---- sources ---- */

/* An arc where things happen: 60% in one of four busy sectors (sigma
 * 8 km), the rest anywhere along the line. */
static double busy_arc(sim *s, rng *r) {
  double a;
  if (chance(r, 0.6)) {
    double hot = s->hot[pick(r, 4)]; /* (draws in a fixed order) */
    a = hot + 8000 * gauss(r);
  } else {
    a = unif_ab(r, 0, s->len);
  }
  if (a < 1000)
    a = 1000;
  if (a > s->len - 1000)
    a = s->len - 1000;
  return a;
}

/* An arc within 12 km of a busy sector. */
static double busy_arc_hot(sim *s, rng *r) {
  double hot = s->hot[pick(r, 4)];
  double a = hot + unif_ab(r, -12000, 12000);
  return a < 0 ? 0 : a > s->len ? s->len : a;
}

static void new_src(sim *s, enum kind kind, unsigned idx, src **out) {
  src *o = &s->srcs[s->nsrcs++];
  memset(o, 0, sizeof *o);
  o->kind = kind;
  switch (kind) {
  case K_PATROL:
    snprintf(o->name, sizeof o->name, "patrol-%02u", idx);
    o->means = TRUCE_MEANS_AUDIO | TRUCE_MEANS_VISUAL;
    o->reliability = 0.8;
    break;
  case K_CAMERA:
    snprintf(o->name, sizeof o->name, "camera-%02u", idx);
    o->means = TRUCE_MEANS_CAMERA;
    o->reliability = 0.95;
    break;
  case K_ACOUSTIC:
    snprintf(o->name, sizeof o->name, "acoustic-%02u", idx);
    o->means = TRUCE_MEANS_ACOUSTIC;
    o->reliability = 0.9;
    break;
  case K_DRONE:
    snprintf(o->name, sizeof o->name, "drone-%02u", idx);
    o->means = TRUCE_MEANS_DRONE;
    o->reliability = 0.9;
    break;
  case K_VIIRS:
    snprintf(o->name, sizeof o->name, "viirs");
    o->means = TRUCE_MEANS_SATELLITE;
    o->reliability = 0.6;
    break;
  case K_MODIS:
    snprintf(o->name, sizeof o->name, "modis");
    o->means = TRUCE_MEANS_SATELLITE;
    o->reliability = 0.5;
    break;
  }
  *out = o;
}

/* Patrols: working days 05:00-17:00 UTC, three stops 1-5 km from the
 * line on one side, within 15 km of the patrol's sector, 2-4 hours at
 * each, 30-60 minutes driving between (not observing). */
static truce_err place_patrol(sim *s, rng *r, src *o, unsigned i) {
  const truce_sim_config *c = s->c;
  /* half the patrols work the busy sectors, the rest are spread out */
  double base =
      i < c->patrols / 2 ? s->hot[i % 4] : s->len * (i + 0.5) / c->patrols;
  double side = (i % 2) ? -1 : 1;
  double sl[3], so[3];
  for (int k = 0; k < 3; k++) {
    sl[k] = base + unif_ab(r, -15000, 15000);
    if (sl[k] < 0)
      sl[k] = 0;
    if (sl[k] > s->len)
      sl[k] = s->len;
    so[k] = side * unif_ab(r, 1000, 5000);
  }
  line_offset(s, sl[0], so[0], &o->lat, &o->lon);
  for (int64_t day = day_start(s->t0); day < s->t1; day += DAY_MS) {
    int64_t t = day + 5 * HOUR_MS, end = day + 17 * HOUR_MS;
    int k = (int)pick(r, 3);
    while (t < end) {
      stay st = {0};
      st.t0 = t;
      st.t1 = floor_min(t + (int64_t)unif_ab(r, 2 * HOUR_MS, 4 * HOUR_MS));
      if (st.t1 > end)
        st.t1 = end;
      line_offset(s, sl[k], so[k], &st.lat, &st.lon);
      st.lat = grid7(st.lat);
      st.lon = grid7(st.lon);
      if (st.t1 > s->t0 && st.t0 < s->t1) {
        if (st.t0 < s->t0)
          st.t0 = s->t0;
        if (st.t1 > s->t1)
          st.t1 = s->t1;
        truce_err rc = add_stay(s, o, &st);
        if (rc)
          return rc;
      }
      t = floor_min(st.t1 + (int64_t)unif_ab(r, 30 * MIN_MS, 60 * MIN_MS));
      k = (k + 1) % 3;
    }
  }
  return TRUCE_OK;
}

/* Drones: six sorties a day per crew at any hour, 60-120 minutes each,
 * flying a 20 km track parallel to the line (70% over a busy sector),
 * seeing 3 km either side of it; half over the front (within 5 km of the
 * line), half in depth (10-35 km behind either side). */
static truce_err place_drone(sim *s, rng *r, src *o) {
  int64_t span = s->t1 - s->t0;
  uint64_t n = (uint64_t)(span / DAY_MS) * 10 +
               (uint64_t)((span % DAY_MS) * 10 / DAY_MS) + 1;
  for (uint64_t k = 0; k < n; k++) {
    stay st = {0};
    st.t0 = floor_min(s->t0 + (int64_t)(unif(r) * (double)span));
    st.t1 = floor_min(st.t0 + (int64_t)unif_ab(r, 60 * MIN_MS, 150 * MIN_MS));
    if (st.t1 > s->t1)
      st.t1 = s->t1;
    st.arc = chance(r, 0.8) ? busy_arc_hot(s, r) : unif_ab(r, 0, s->len);
    double side = chance(r, 0.5) ? 1 : -1;
    st.off = chance(r, 0.5) ? unif_ab(r, -5000, 5000)
                            : side * unif_ab(r, 5000, 30000);
    line_offset(s, st.arc, st.off, &st.lat, &st.lon);
    double la, lo;
    line_at(s, st.arc, &la, &lo, &st.azi);
    st.lat = grid7(st.lat);
    st.lon = grid7(st.lon);
    truce_err rc = add_stay(s, o, &st);
    if (rc)
      return rc;
  }
  return TRUCE_OK;
}

static int cmp_stay(const void *a, const void *b) {
  const stay *x = a, *y = b;
  return x->t0 < y->t0 ? -1 : x->t0 > y->t0;
}

static truce_err place_satellite(sim *s, rng *r, src *o, const int *passes) {
  for (int64_t day = day_start(s->t0); day < s->t1; day += DAY_MS)
    for (int k = 0; k < 4; k++) {
      stay st = {0};
      st.t0 = floor_min(day + (int64_t)passes[k] * MIN_MS +
                        (int64_t)unif_ab(r, -20 * MIN_MS, 20 * MIN_MS));
      st.t1 = st.t0;
      if (st.t0 < s->t0 || st.t0 >= s->t1)
        continue;
      truce_err rc = add_stay(s, o, &st);
      if (rc)
        return rc;
    }
  if (o->nstays > 1)
    qsort(o->stays, o->nstays, sizeof *o->stays, cmp_stay);
  return TRUCE_OK;
}

static truce_err place_sources(sim *s) {
  const truce_sim_config *c = s->c;
  rng r;
  rng_seed(&r, c->seed, 2);
  size_t n = (size_t)c->patrols + c->cameras + c->acoustic + c->drones + 2;
  s->srcs = truce_calloc(n, sizeof *s->srcs);
  if (!s->srcs)
    return seterr(s->err, TRUCE_ENOMEM, "out of memory");
  truce_err rc = TRUCE_OK;
  src *o;
  for (unsigned i = 0; !rc && i < c->patrols; i++) {
    new_src(s, K_PATROL, i + 1, &o);
    rc = place_patrol(s, &r, o, i);
  }
  /* Cameras: evenly along the line, alternating sides, 1-3 km back,
   * facing the line. */
  for (unsigned i = 0; !rc && i < c->cameras; i++) {
    new_src(s, K_CAMERA, i + 1, &o);
    /* half of them where the fighting is, the rest spread out */
    double arc =
        i % 2 ? busy_arc_hot(s, &r)
              : s->len * (i + 0.5) / c->cameras + unif_ab(&r, -3000, 3000);
    double off = ((i / 2) % 2 ? -1 : 1) * unif_ab(&r, 1000, 3000), la, lo, azi;
    line_offset(s, arc, off, &o->lat, &o->lon);
    line_at(s, arc, &la, &lo, &azi);
    o->lat = grid7(o->lat);
    o->lon = grid7(o->lon);
    o->facing = round(wrap360(azi + (off > 0 ? -90 : 90)));
  }
  /* Acoustic arrays: evenly along the line, 3-6 km back, alternating. */
  for (unsigned i = 0; !rc && i < c->acoustic; i++) {
    new_src(s, K_ACOUSTIC, i + 1, &o);
    double arc = s->len * (i + 0.5) / c->acoustic;
    double off = ((i % 2) ? 1 : -1) * unif_ab(&r, 3000, 6000);
    line_offset(s, arc, off, &o->lat, &o->lon);
    o->lat = grid7(o->lat);
    o->lon = grid7(o->lon);
  }
  for (unsigned i = 0; !rc && i < c->drones; i++) {
    new_src(s, K_DRONE, i + 1, &o);
    rc = place_drone(s, &r, o);
    if (!rc && o->nstays > 1)
      qsort(o->stays, o->nstays, sizeof *o->stays, cmp_stay);
  }
  if (!rc) {
    new_src(s, K_VIIRS, 0, &o);
    rc = place_satellite(s, &r, o, viirs_passes);
  }
  if (!rc) {
    new_src(s, K_MODIS, 0, &o);
    rc = place_satellite(s, &r, o, modis_passes);
  }
  return rc;
}

/* ---- events ---- */

static const wdef *pick_fire_weapon(rng *r) {
  double u = unif(r), acc = 0;
  for (size_t i = 0; i < NFIRE_WEAPONS; i++) {
    acc += fire_weapon_p[i];
    if (u < acc)
      return &fire_weapons[i];
  }
  return &fire_weapons[NFIRE_WEAPONS - 1];
}

static truce_err set_system(sim *s, sev *e, const char *name) {
  const char *canon;
  truce_err rc = truce_weapon_lookup(name, &e->wclass, &e->calibre, &canon);
  if (rc)
    return seterr(s->err, rc, "weapon catalogue: no '%s'", name);
  e->system = canon;
  return TRUCE_OK;
}

static truce_err make_explosion(sim *s, rng *r, sev *e) {
  const wdef *w = pick_fire_weapon(r);
  truce_err rc = set_system(s, e, w->name);
  if (rc)
    return rc;
  e->what = TRUCE_WHAT_EXPLOSION;
  e->party = (int)pick(r, 2);
  e->count = w->rounds_min + pick(r, w->rounds_max - w->rounds_min + 1);
  double iv = unif_ab(r, w->interval_min_s, w->interval_max_s);
  double dur = (e->count - 1) * iv;
  if (dur > 600)
    dur = 600;
  e->t_end = e->t + (int64_t)(dur * 1000);
  /* The impact on the other party's ground, then a firing position on
   * the firing party's side at a range the weapon reaches. */
  double sign = e->party == 0 ? 1 : -1; /* the firing party's side */
  for (int tries = 0;; tries++) {
    double maxoff = fmin(8000, 0.5 * w->range_m);
    double arc = busy_arc(s, r), off = -sign * unif_ab(r, 300, maxoff);
    line_offset(s, arc, off, &e->lat, &e->lon);
    e->lat = grid7(e->lat);
    e->lon = grid7(e->lon);
    double la, lo, azi;
    line_at(s, arc, &la, &lo, &azi);
    double lo_r = fmax(1.3 * fabs(off) + 500, 0.35 * w->range_m),
           hi_r = 0.9 * w->range_m;
    double rr = unif_ab(r, lo_r, fmax(lo_r, hi_r));
    double dir = azi + sign * 90 + 25 * gauss(r) * 0.5;
    direct(s, e->lat, e->lon, dir, rr, &e->flat, &e->flon);
    e->flat = grid7(e->flat);
    e->flon = grid7(e->flon);
    double fa, fo, ia, io;
    if ((rc = where_on(s, e->flat, e->flon, &fa, &fo)) ||
        (rc = where_on(s, e->lat, e->lon, &ia, &io)))
      return rc;
    e->arc = ia;
    e->off = io;
    if ((fo * sign > 500 && io * -sign > 100) || tries == 50)
      break;
  }
  e->has_from = 1;
  e->ground = e->off > 0 ? 0 : 1;
  if (chance(r, w->p_thermal)) {
    e->has_thermal = 1;
    e->th_from = e->t;
    e->th_to =
        e->t + (int64_t)unif_ab(r, 20 * MIN_MS, 120 * MIN_MS) / 1000 * 1000;
  }
  return TRUCE_OK;
}

static truce_err make_small_arms(sim *s, rng *r, sev *e, bool bursts) {
  e->party = (int)pick(r, 2);
  double sign = e->party == 0 ? 1 : -1;
  e->what = bursts ? TRUCE_WHAT_BURSTS : TRUCE_WHAT_SHOTS;
  if (bursts && chance(r, 0.4)) {
    truce_err rc = set_system(s, e, "NSV Utyos");
    if (rc)
      return rc;
  } else {
    e->wclass = TRUCE_WEAPON_SMALL_ARMS;
  }
  e->count = bursts ? 3 + pick(r, 58) : 5 + pick(r, 96);
  double dur =
      bursts ? (e->count - 1) * unif_ab(r, 5, 30) : unif_ab(r, 60, 600);
  if (dur > 600)
    dur = 600;
  e->t_end = e->t + (int64_t)(dur * 1000);
  for (int tries = 0;; tries++) {
    double arc = busy_arc(s, r), off = sign * unif_ab(r, 150, 1500);
    line_offset(s, arc, off, &e->lat, &e->lon);
    e->lat = grid7(e->lat);
    e->lon = grid7(e->lon);
    truce_err rc = where_on(s, e->lat, e->lon, &e->arc, &e->off);
    if (rc)
      return rc;
    if (e->off * sign > 50 || tries == 50)
      break;
  }
  e->ground = e->off > 0 ? 0 : 1;
  return TRUCE_OK;
}

/* A weapon moved towards the line: 70% inside its withdrawal band (a
 * breach), the rest beyond it; never within 1 km of the limit, so that
 * a position known to a few hundred metres is judged the same way. */
static truce_err make_weapon(sim *s, rng *r, sev *e) {
  truce_err rc = set_system(s, e, moved_weapons[pick(r, NMOVED)]);
  if (rc)
    return rc;
  e->what = TRUCE_WHAT_WEAPON_SEEN;
  e->party = (int)pick(r, 2);
  e->count = 1 + pick(r, 4);
  bool heavy =
      (e->wclass == TRUCE_WEAPON_ARTILLERY || e->wclass == TRUCE_WEAPON_MLRS) &&
      e->calibre >= 100;
  double limit = (heavy ? HEAVY_KM : LIGHT_KM) * 1000;
  bool breach = chance(r, 0.7);
  double sign = e->party == 0 ? 1 : -1;
  for (int tries = 0;; tries++) {
    /* weapons are brought up where the fighting is */
    double arc = chance(r, 0.85) ? busy_arc_hot(s, r) : busy_arc(s, r);
    double d = breach ? unif_ab(r, 1000, limit - 2000)
                      : unif_ab(r, limit + 2000, limit + 15000);
    line_offset(s, arc, sign * d, &e->lat, &e->lon);
    e->lat = grid7(e->lat);
    e->lon = grid7(e->lon);
    if ((rc = where_on(s, e->lat, e->lon, &e->arc, &e->off)))
      return rc;
    double own = e->off * sign;
    bool ok = breach ? own > 500 && own < limit - 1000 : own > limit + 1000;
    if (ok)
      break;
    if (tries == 100)
      return seterr(s->err, TRUCE_EINVAL,
                    "cannot place a weapon beside this line (too short or "
                    "too bent?)");
  }
  e->ground = e->party;
  if (breach)
    e->rules |= heavy ? R_HEAVY : R_LIGHT;
  int64_t dwell = (int64_t)unif_ab(r, 2 * HOUR_MS, 12 * HOUR_MS);
  e->t_end = e->t + dwell < s->t1 ? e->t + dwell : s->t1 - 1;
  if (e->t_end < e->t)
    e->t_end = e->t;
  return TRUCE_OK;
}

static int cmp_ev(const void *a, const void *b) {
  const sev *x = a, *y = b;
  return x->t < y->t ? -1 : x->t > y->t;
}

static truce_err make_events(sim *s) {
  rng r;
  rng_seed(&r, s->c->seed, 3);
  s->nev = s->c->events;
  s->ev = truce_calloc(s->nev, sizeof *s->ev);
  if (!s->ev)
    return seterr(s->err, TRUCE_ENOMEM, "out of memory");
  int64_t span = s->t1 - s->t0;
  for (size_t i = 0; i < s->nev; i++) {
    sev *e = &s->ev[i];
    /* whole seconds: what cameras read */
    e->t = s->t0 +
           (int64_t)(unif(&r) * (double)(span - 11 * MIN_MS)) / 1000 * 1000;
    double u = unif(&r);
    truce_err rc = u < 0.55   ? make_explosion(s, &r, e)
                   : u < 0.77 ? make_small_arms(s, &r, e, true)
                   : u < 0.85 ? make_small_arms(s, &r, e, false)
                              : make_weapon(s, &r, e);
    if (rc)
      return rc;
    e->t_end = e->t + (e->t_end - e->t) / 1000 * 1000;
    if (e->what != TRUCE_WHAT_WEAPON_SEEN)
      e->rules |= R_CEASEFIRE;
    if (in_zone(s, e->lat, e->lon))
      e->rules |= R_ZONE;
    e->line_dist = fabs(e->off);
  }
  qsort(s->ev, s->nev, sizeof *s->ev, cmp_ev);
  return TRUCE_OK;
}

/* ---- observations ---- */

static bool is_fire(const sev *e) { return e->what != TRUCE_WHAT_WEAPON_SEEN; }

/* The time of something heard: when the sound arrived, to the minute (a
 * window when it lasted a minute or more). */
static void audio_time(sobs *o, const sev *e, double d, bool seconds) {
  int64_t delay = (int64_t)(d / SOUND_MPS * 1000);
  int64_t a = e->t + delay, b = e->t_end + delay;
  if (seconds) {
    a = round_s(a);
    b = round_s(b);
  }
  if (e->t_end - e->t >= MIN_MS) {
    o->is_window = 1;
    o->t_ms = seconds ? a : floor_min(a);
    o->t_end_ms = seconds ? b : ceil_min(b);
  } else {
    o->t_ms = o->t_end_ms = seconds ? a : round_min(a);
    o->precision_s = 60;
  }
}

static void seen_time(sobs *o, const sev *e) {
  o->t_ms = e->t;
  o->t_end_ms = e->t_end;
  if (e->t_end > e->t)
    o->is_window = 1;
  else
    o->precision_s = 1;
}

static void bearing_where(const sim *s, sobs *o, double olat, double olon,
                          const sev *e, double sigma, rng *r) {
  double azi;
  inverse(s, olat, olon, e->lat, e->lon, NULL, &azi);
  o->where_kind = TRUCE_WHERE_BEARING;
  o->lat = olat;
  o->lon = olon;
  o->bearing = bearing7(azi + sigma * gauss(r));
  o->spread = 2 * sigma;
}

static void count_heard(sobs *o, const sev *e, rng *r) {
  if (e->count <= 5) {
    o->count = e->count;
    return;
  }
  double c = round(e->count * exp(0.2 * gauss(r)));
  o->count = c < 1 ? 1 : (uint32_t)c;
  o->approx = 1;
}

/* A distance range around an estimate d * exp(N(0, 0.2)): [0.7, 1.4] of
 * the estimate, to 100 m, holding the true distance about 90% of the
 * time. */
static void dist_range(sobs *o, double d, rng *r) {
  double est = d * exp(0.2 * gauss(r));
  o->dmin = floor(est * 0.7 / 100) * 100;
  o->dmax = ceil(est * 1.4 / 100) * 100;
  if (o->dmax <= o->dmin)
    o->dmax = o->dmin + 100;
}

/* Detection probability: p0 out to `full`, then falling linearly to p1 at
 * `range`, none beyond. */
static double p_detect(double d, double p0, double full, double p1,
                       double range) {
  if (d > range)
    return 0;
  if (d <= full)
    return p0;
  return p0 + (p1 - p0) * (d - full) / (range - full);
}

static void weapon_words(sobs *o, const sev *e, rng *r, double p_system) {
  o->weapon = e->wclass;
  if (e->system && chance(r, p_system)) {
    o->system = e->system;
    o->calibre = e->calibre;
  }
}

static truce_err patrol_sees(sim *s, rng *r, src *so, int32_t ei) {
  const sev *e = &s->ev[ei];
  for (size_t k = 0; k < so->nstays; k++) {
    const stay *st = &so->stays[k];
    double d;
    if (is_fire(e)) {
      if (e->t < st->t0 || e->t >= st->t1)
        continue;
      inverse(s, st->lat, st->lon, e->lat, e->lon, &d, NULL);
      double p = e->what == TRUCE_WHAT_EXPLOSION
                     ? p_detect(d, 0.95, 4000, 0.15, PATROL_RANGE_M)
                     : p_detect(d, 0.9, 1000, 0.2, PATROL_SMALL_RANGE_M);
      if (!chance(r, p))
        return TRUCE_OK;
      sobs o = {0};
      o.event = ei;
      o.means = TRUCE_MEANS_AUDIO;
      bearing_where(s, &o, st->lat, st->lon, e, PATROL_SIGMA_DEG, r);
      dist_range(&o, d, r);
      audio_time(&o, e, d, false);
      count_heard(&o, e, r);
      if (e->what == TRUCE_WHAT_EXPLOSION) {
        o.what = chance(r, 0.75) ? TRUCE_WHAT_UNDETERMINED_EXPLOSION
                                 : TRUCE_WHAT_EXPLOSION;
        if (chance(r, 0.2))
          o.weapon = e->wclass;
      } else {
        o.what = e->what;
        if (chance(r, 0.7))
          o.weapon = e->wclass;
      }
      return add_obs(s, so, &o);
    }
    /* a weapon: seen from a stop within 2.5 km while both are there */
    int64_t a = e->t > st->t0 ? e->t : st->t0;
    int64_t b = e->t_end < st->t1 ? e->t_end : st->t1;
    if (a >= b)
      continue;
    inverse(s, st->lat, st->lon, e->lat, e->lon, &d, NULL);
    if (d > PATROL_SIGHT_M || !chance(r, 0.6))
      continue;
    sobs o = {0};
    o.event = ei;
    o.means = TRUCE_MEANS_VISUAL;
    o.what = TRUCE_WHAT_WEAPON_SEEN;
    o.count = e->count;
    o.t_ms = o.t_end_ms = round_min(a + (int64_t)(unif(r) * (double)(b - a)));
    o.precision_s = 60;
    o.where_kind = TRUCE_WHERE_POINT;
    o.lat = e->lat;
    o.lon = e->lon;
    shift_gauss(s, r, &o.lat, &o.lon, 100);
    o.unc = 250;
    weapon_words(&o, e, r, 0.6);
    truce_err rc = add_obs(s, so, &o);
    if (rc)
      return rc;
  }
  return TRUCE_OK;
}

static truce_err camera_sees(sim *s, rng *r, src *so, int32_t ei) {
  const sev *e = &s->ev[ei];
  if (!is_fire(e))
    return TRUCE_OK;
  double d, azi;
  inverse(s, so->lat, so->lon, e->lat, e->lon, &d, &azi);
  double rel = fabs(wrap360(azi - so->facing + 180) - 180);
  if (rel > CAMERA_FOV_DEG / 2)
    return TRUCE_OK;
  double p = e->what == TRUCE_WHAT_EXPLOSION
                 ? p_detect(d, 0.92, CAMERA_RANGE_M / 2, 0.5, CAMERA_RANGE_M)
                 : p_detect(d, 0.8, 1000, 0.3, CAMERA_FLASH_RANGE_M);
  if (!chance(r, p))
    return TRUCE_OK;
  sobs o = {0};
  o.event = ei;
  o.means = TRUCE_MEANS_CAMERA;
  o.what = e->what == TRUCE_WHAT_EXPLOSION ? TRUCE_WHAT_EXPLOSION
                                           : TRUCE_WHAT_MUZZLE_FLASH;
  o.count = e->count;
  seen_time(&o, e);
  bearing_where(s, &o, so->lat, so->lon, e, CAMERA_SIGMA_DEG, r);
  if (e->has_from && chance(r, 0.3)) {
    double fazi;
    inverse(s, so->lat, so->lon, e->flat, e->flon, NULL, &fazi);
    o.has_fire = 1;
    o.fire_from = bearing7(fazi + 5 * gauss(r));
    o.fire_spread = 10;
  }
  return add_obs(s, so, &o);
}

static truce_err acoustic_hears(sim *s, rng *r, src *so, int32_t ei) {
  const sev *e = &s->ev[ei];
  if (!is_fire(e))
    return TRUCE_OK;
  double d;
  inverse(s, so->lat, so->lon, e->lat, e->lon, &d, NULL);
  double p = e->what == TRUCE_WHAT_EXPLOSION
                 ? p_detect(d, 0.95, 8000, 0.6, ACOUSTIC_RANGE_M)
                 : p_detect(d, 0.85, 2000, 0.4, ACOUSTIC_SMALL_RANGE_M);
  if (!chance(r, p))
    return TRUCE_OK;
  sobs o = {0};
  o.event = ei;
  o.means = TRUCE_MEANS_ACOUSTIC;
  o.what = e->what == TRUCE_WHAT_EXPLOSION ? TRUCE_WHAT_UNDETERMINED_EXPLOSION
                                           : e->what;
  o.count = e->count;
  bearing_where(s, &o, so->lat, so->lon, e, ACOUSTIC_SIGMA_DEG, r);
  audio_time(&o, e, d, true);
  return add_obs(s, so, &o);
}

static bool in_track(const stay *st, const sev *e) {
  return fabs(e->arc - st->arc) <= DRONE_ALONG_M &&
         fabs(e->off - st->off) <= DRONE_ACROSS_M;
}

static truce_err drone_sees(sim *s, rng *r, src *so, int32_t ei) {
  const sev *e = &s->ev[ei];
  for (size_t k = 0; k < so->nstays; k++) {
    const stay *st = &so->stays[k];
    int64_t a = e->t > st->t0 ? e->t : st->t0;
    int64_t b = e->t_end < st->t1 ? e->t_end : st->t1;
    if (is_fire(e) ? (e->t < st->t0 || e->t >= st->t1) : a >= b)
      continue;
    if (!in_track(st, e) || !chance(r, is_fire(e) ? 0.7 : 0.85))
      continue;
    sobs o = {0};
    o.event = ei;
    o.means = TRUCE_MEANS_DRONE;
    o.where_kind = TRUCE_WHERE_POINT;
    o.lat = e->lat;
    o.lon = e->lon;
    o.count = e->count;
    if (is_fire(e)) {
      o.what = e->what;
      seen_time(&o, e);
      shift_gauss(s, r, &o.lat, &o.lon, 20);
      o.unc = 50;
    } else {
      o.what = TRUCE_WHAT_WEAPON_SEEN;
      o.t_ms = o.t_end_ms = round_s(a + (int64_t)(unif(r) * (double)(b - a)));
      o.precision_s = 1;
      shift_gauss(s, r, &o.lat, &o.lon, 15);
      o.unc = 40;
      weapon_words(&o, e, r, 0.85);
    }
    truce_err rc = add_obs(s, so, &o);
    if (rc)
      return rc;
  }
  return TRUCE_OK;
}

static truce_err satellite_sees(sim *s, rng *r, src *so, int32_t ei) {
  const sev *e = &s->ev[ei];
  if (!e->has_thermal)
    return TRUCE_OK;
  double pixel = so->kind == K_VIIRS ? VIIRS_PIXEL_M : MODIS_PIXEL_M;
  double p = so->kind == K_VIIRS ? 0.8 : 0.5;
  for (size_t k = 0; k < so->nstays; k++) {
    const stay *st = &so->stays[k];
    if (st->t0 < e->th_from || st->t0 > e->th_to || !chance(r, p))
      continue;
    sobs o = {0};
    o.event = ei;
    o.means = TRUCE_MEANS_SATELLITE;
    o.what = TRUCE_WHAT_THERMAL_ANOMALY;
    o.count = 1;
    o.t_ms = o.t_end_ms = st->t0;
    o.precision_s = 60;
    o.where_kind = TRUCE_WHERE_POINT;
    o.lat = e->lat;
    o.lon = e->lon;
    double east = pixel * (unif(r) - 0.5);
    shift(s, &o.lat, &o.lon, east, pixel * (unif(r) - 0.5));
    o.unc = pixel;
    truce_err rc = add_obs(s, so, &o);
    if (rc)
      return rc;
  }
  return TRUCE_OK;
}

static truce_err observe(sim *s) {
  rng r;
  rng_seed(&r, s->c->seed, 4);
  for (size_t i = 0; i < s->nev; i++)
    for (size_t k = 0; k < s->nsrcs; k++) {
      src *so = &s->srcs[k];
      int32_t ei = (int32_t)i;
      truce_err rc = TRUCE_OK;
      switch (so->kind) {
      case K_PATROL:
        rc = patrol_sees(s, &r, so, ei);
        break;
      case K_CAMERA:
        rc = camera_sees(s, &r, so, ei);
        break;
      case K_ACOUSTIC:
        rc = acoustic_hears(s, &r, so, ei);
        break;
      case K_DRONE:
        rc = drone_sees(s, &r, so, ei);
        break;
      case K_VIIRS:
      case K_MODIS:
        rc = satellite_sees(s, &r, so, ei);
        break;
      }
      if (rc)
        return rc;
    }
  return TRUCE_OK;
}

/* ---- false reports ---- */

static int64_t rand_time(sim *s, rng *r, int64_t a, int64_t b) {
  (void)s;
  return a + (int64_t)(unif(r) * (double)(b - a));
}

static truce_err false_one(sim *s, rng *r, src *so) {
  sobs o = {0};
  o.event = -1;
  o.count = 1 + pick(r, 5);
  int64_t span = s->t1 - s->t0 - 2 * MIN_MS;
  switch (so->kind) {
  case K_PATROL: {
    /* an explosion heard that did not happen (an echo, demolition work,
     * a door slammed in the wind) */
    if (!so->nstays)
      return TRUCE_OK;
    const stay *st = &so->stays[pick(r, (uint32_t)so->nstays)];
    o.means = TRUCE_MEANS_AUDIO;
    o.what = TRUCE_WHAT_UNDETERMINED_EXPLOSION;
    o.where_kind = TRUCE_WHERE_BEARING;
    o.lat = st->lat;
    o.lon = st->lon;
    o.bearing = bearing7(unif_ab(r, 0, 360));
    o.spread = 2 * PATROL_SIGMA_DEG;
    dist_range(&o, unif_ab(r, 1000, 8000), r);
    o.t_ms = o.t_end_ms = round_min(rand_time(s, r, st->t0, st->t1));
    o.precision_s = 60;
    break;
  }
  case K_CAMERA:
  case K_ACOUSTIC:
    o.means = so->kind == K_CAMERA ? TRUCE_MEANS_CAMERA : TRUCE_MEANS_ACOUSTIC;
    o.what = so->kind == K_CAMERA ? TRUCE_WHAT_EXPLOSION
                                  : TRUCE_WHAT_UNDETERMINED_EXPLOSION;
    o.where_kind = TRUCE_WHERE_BEARING;
    o.lat = so->lat;
    o.lon = so->lon;
    o.bearing = bearing7(so->kind == K_CAMERA ? so->facing + unif_ab(r, -60, 60)
                                              : unif_ab(r, 0, 360));
    o.spread =
        so->kind == K_CAMERA ? 2 * CAMERA_SIGMA_DEG : 2 * ACOUSTIC_SIGMA_DEG;
    o.t_ms = o.t_end_ms =
        round_s(s->t0 + MIN_MS + (int64_t)(unif(r) * (double)span));
    o.precision_s = so->kind == K_CAMERA ? 1 : 60;
    break;
  case K_DRONE: {
    /* a decoy or a civilian vehicle taken for a weapon */
    if (!so->nstays)
      return TRUCE_OK;
    const stay *st = &so->stays[pick(r, (uint32_t)so->nstays)];
    sev fake = {0};
    truce_err rc = set_system(s, &fake, moved_weapons[pick(r, NMOVED)]);
    if (rc)
      return rc;
    o.means = TRUCE_MEANS_DRONE;
    o.what = TRUCE_WHAT_WEAPON_SEEN;
    o.where_kind = TRUCE_WHERE_POINT;
    double along = st->arc + unif_ab(r, -DRONE_ALONG_M, DRONE_ALONG_M);
    line_offset(s, along, st->off + unif_ab(r, -DRONE_ACROSS_M, DRONE_ACROSS_M),
                &o.lat, &o.lon);
    o.unc = 40;
    o.count = 1;
    o.weapon = fake.wclass;
    o.system = fake.system;
    o.calibre = fake.calibre;
    o.t_ms = o.t_end_ms = round_s(rand_time(s, r, st->t0, st->t1));
    o.precision_s = 1;
    break;
  }
  case K_VIIRS:
  case K_MODIS: {
    /* a fire that is not a strike: a field, a chimney, a gas flare */
    if (!so->nstays)
      return TRUCE_OK;
    const stay *st = &so->stays[pick(r, (uint32_t)so->nstays)];
    o.means = TRUCE_MEANS_SATELLITE;
    o.what = TRUCE_WHAT_THERMAL_ANOMALY;
    o.count = 1;
    o.where_kind = TRUCE_WHERE_POINT;
    double along = unif_ab(r, 0, s->len);
    line_offset(s, along, unif_ab(r, -20000, 20000), &o.lat, &o.lon);
    o.unc = so->kind == K_VIIRS ? VIIRS_PIXEL_M : MODIS_PIXEL_M;
    o.t_ms = o.t_end_ms = st->t0;
    o.precision_s = 60;
    break;
  }
  }
  return add_obs(s, so, &o);
}

static truce_err false_reports(sim *s) {
  rng r;
  rng_seed(&r, s->c->seed, 5);
  for (size_t k = 0; k < s->nsrcs; k++) {
    src *so = &s->srcs[k];
    double rate = s->c->false_rate;
    if (so->kind == K_VIIRS || so->kind == K_MODIS)
      rate = fmin(2 * rate, 0.5);
    /* so that false / (true + false) is `rate` on average */
    double want = (double)so->ntrue * rate / (1 - rate) + unif(&r);
    uint64_t n = (uint64_t)want;
    for (uint64_t i = 0; i < n; i++) {
      truce_err rc = false_one(s, &r, so);
      if (rc)
        return rc;
    }
  }
  return TRUCE_OK;
}

/* ---- writing ---- */

static int cmp_obs(const void *a, const void *b) {
  const sobs *x = a, *y = b;
  if (x->t_ms != y->t_ms)
    return x->t_ms < y->t_ms ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void to_obs(const sobs *so, uint64_t id, truce_obs *o) {
  memset(o, 0, sizeof *o);
  snprintf(o->id, sizeof o->id, "sim-%06llu", (unsigned long long)id);
  o->what = so->what;
  o->count = so->count ? so->count : 1;
  o->count_approx = so->approx;
  o->t_ms = so->t_ms;
  o->t_end_ms = so->t_end_ms;
  o->is_window = so->is_window;
  o->precision_s = so->is_window ? 0 : so->precision_s;
  o->where_kind = so->where_kind;
  o->lat_deg = grid7(so->lat);
  o->lon_deg = grid7(so->lon);
  if (so->where_kind == TRUCE_WHERE_POINT) {
    o->uncertainty_m = so->unc;
  } else {
    o->bearing_deg = bearing7(so->bearing);
    o->bearing_spread_deg = so->spread;
    o->dist_min_m = so->dmin;
    o->dist_max_m = so->dmax;
  }
  o->weapon = so->weapon;
  o->calibre_mm = grid7(so->calibre);
  if (so->system)
    snprintf(o->system, sizeof o->system, "%s", so->system);
  o->has_fire = so->has_fire;
  o->fire_from_deg = so->fire_from;
  o->fire_spread_deg = so->fire_spread;
  o->means = so->means;
}

static truce_err write_file(sim *s, const char *dir, const char *rel,
                            const truce_buf *b) {
  char path[4096];
  int n = snprintf(path, sizeof path, "%s/%s", dir, rel);
  if (n < 0 || (size_t)n >= sizeof path)
    return seterr(s->err, TRUCE_EINVAL, "path too long: '%s'", dir);
  FILE *f = fopen(path, "wx"); /* never overwrite anything */
  if (!f)
    return seterr(s->err, errno == EEXIST ? TRUCE_EEXIST : TRUCE_EIO,
                  "cannot create '%s': %s", path, strerror(errno));
  size_t len = b->len;
  bool ok = len == 0 || fwrite(b->data, 1, len, f) == len;
  if (fclose(f) != 0)
    ok = false;
  if (!ok)
    return seterr(s->err, TRUCE_EIO, "cannot write '%s': %s", path,
                  strerror(errno));
  return TRUCE_OK;
}

static unsigned means_index(unsigned bit) {
  unsigned i = 0;
  while (i < TRUCE_MEANS_COUNT && !(bit & (1u << i)))
    i++;
  return i < TRUCE_MEANS_COUNT ? i : 0;
}

static truce_err write_obs(sim *s, const char *dir, int64_t now_ms,
                           truce_sim_stats *st) {
  uint64_t id = 0;
  truce_obs *o = truce_malloc(sizeof *o);
  truce_obs *back = truce_malloc(sizeof *back);
  truce_buf b;
  truce_buf_init(&b, OUT_MAX);
  truce_err rc =
      (!o || !back) ? seterr(s->err, TRUCE_ENOMEM, "out of memory") : TRUCE_OK;
  for (size_t k = 0; !rc && k < s->nsrcs; k++) {
    src *so = &s->srcs[k];
    if (so->nobs > 1) /* (qsort must not get NULL) */
      qsort(so->obs, so->nobs, sizeof *so->obs, cmp_obs);
    b.len = 0;
    if (b.data)
      b.data[0] = '\0';
    for (size_t i = 0; !rc && i < so->nobs; i++) {
      to_obs(&so->obs[i], ++id, o);
      size_t at = b.len;
      rc = truce_obs_format(o, &b);
      if (rc) {
        seterr(s->err, rc, "internal: %s line %zu does not format", so->name,
               i + 1);
        break;
      }
      /* Every line must be one a source could submit. */
      char perr[TRUCE_ERR_MAX];
      rc = truce_obs_parse(b.data + at, b.len - at, now_ms, back, perr);
      if (rc) {
        seterr(s->err, rc, "internal: %s line %zu does not parse: %s", so->name,
               i + 1, perr);
        break;
      }
      rc = truce_buf_append(&b, "\n", 1);
      unsigned mi = means_index(so->obs[i].means);
      st->by_means[mi]++;
      st->observations++;
      if (so->obs[i].event < 0) {
        st->false_by_means[mi]++;
        st->false_reports++;
      }
    }
    char rel[64];
    snprintf(rel, sizeof rel, "obs/%s.jsonl", so->name);
    if (!rc)
      rc = write_file(s, dir, rel, &b);
  }
  truce_buf_release(&b);
  truce_free(o);
  truce_free(back);
  return rc;
}

static truce_err jpoint(truce_buf *b, const char *key, double lat, double lon) {
  truce_err rc = truce_buf_appendf(b, ",\"%s\":{\"lat\":", key);
  if (!rc)
    rc = jnum(b, lat, 7);
  if (!rc)
    rc = truce_buf_append(b, ",\"lon\":", 7);
  if (!rc)
    rc = jnum(b, lon, 7);
  if (!rc)
    rc = truce_buf_append(b, "}", 1);
  return rc;
}

static const char *party_name(const sim *s, int p) {
  return p == 0 ? s->c->party_right : s->c->party_left;
}

static truce_err write_truth(sim *s, const char *dir,
                             const truce_sim_stats *st) {
  truce_buf b;
  truce_buf_init(&b, OUT_MAX);
  char a[32], z[32];
  truce_time_format(s->t0, a);
  truce_time_format(s->t1, z);
  truce_err rc = truce_buf_appendf(
      &b,
      "{\"type\":\"scenario\",\"truce_sim\":1,\"seed\":%llu,\"start\":\"%s\","
      "\"end\":\"%s\",\"parties\":[\"%s\",\"%s\"],\"events\":%llu,"
      "\"observed_events\":%llu,\"observations\":%llu,\"false_reports\":%llu,"
      "\"sources\":%llu}\n",
      (unsigned long long)s->c->seed, a, z, s->c->party_right, s->c->party_left,
      (unsigned long long)st->events, (unsigned long long)st->observed_events,
      (unsigned long long)st->observations,
      (unsigned long long)st->false_reports, (unsigned long long)st->sources);
  for (size_t i = 0; !rc && i < s->nev; i++) {
    const sev *e = &s->ev[i];
    rc = truce_buf_appendf(&b,
                           "{\"type\":\"event\",\"id\":\"ev-%05zu\","
                           "\"what\":\"%s\",\"time\":",
                           i + 1, truce_what_name(e->what));
    if (!rc)
      rc = jtime(&b, e->t);
    if (!rc)
      rc = truce_buf_append(&b, ",\"end\":", 7);
    if (!rc)
      rc = jtime(&b, e->t_end);
    if (!rc)
      rc = truce_buf_append(&b, ",\"lat\":", 7);
    if (!rc)
      rc = jnum(&b, e->lat, 7);
    if (!rc)
      rc = truce_buf_append(&b, ",\"lon\":", 7);
    if (!rc)
      rc = jnum(&b, e->lon, 7);
    if (!rc)
      rc = truce_buf_appendf(&b,
                             ",\"count\":%u,\"party\":\"%s\",\"weapon\":{"
                             "\"class\":\"%s\"",
                             e->count, party_name(s, e->party),
                             truce_weapon_class_name(e->wclass));
    if (!rc && e->calibre > 0) {
      rc = truce_buf_append(&b, ",\"calibre_mm\":", 14);
      if (!rc)
        rc = jnum(&b, e->calibre, 1);
    }
    if (!rc && e->system)
      rc = truce_buf_appendf(&b, ",\"system\":\"%s\"", e->system);
    if (!rc)
      rc = truce_buf_append(&b, "}", 1);
    if (!rc && e->has_from)
      rc = jpoint(&b, "fire_from", e->flat, e->flon);
    if (!rc)
      rc = truce_buf_appendf(
          &b, ",\"ground\":\"%s\",\"line_dist_m\":", party_name(s, e->ground));
    if (!rc)
      rc = jnum(&b, e->line_dist, 1);
    if (!rc && e->has_thermal) {
      rc = truce_buf_append(&b, ",\"thermal\":{\"from\":", 19);
      if (!rc)
        rc = jtime(&b, e->th_from);
      if (!rc)
        rc = truce_buf_append(&b, ",\"to\":", 6);
      if (!rc)
        rc = jtime(&b, e->th_to);
      if (!rc)
        rc = truce_buf_append(&b, "}", 1);
    }
    if (!rc)
      rc = truce_buf_append(&b, ",\"rules\":[", 10);
    for (unsigned k = 0, n = 0; !rc && k < 4; k++)
      if (e->rules & (1u << k))
        rc = truce_buf_appendf(&b, "%s\"%s\"", n++ ? "," : "", rule_ids[k]);
    if (!rc)
      rc = truce_buf_appendf(&b, "],\"observations\":%u}\n", e->nobs);
  }
  uint64_t id = 0;
  for (size_t k = 0; !rc && k < s->nsrcs; k++) {
    const src *so = &s->srcs[k];
    for (size_t i = 0; !rc && i < so->nobs; i++) {
      rc = truce_buf_appendf(&b,
                             "{\"type\":\"obs\",\"source\":\"%s\",\"line\":%zu,"
                             "\"id\":\"sim-%06llu\",\"event\":",
                             so->name, i + 1, (unsigned long long)++id);
      if (!rc)
        rc = so->obs[i].event < 0 ? truce_buf_append(&b, "null}\n", 6)
                                  : truce_buf_appendf(&b, "\"ev-%05d\"}\n",
                                                      so->obs[i].event + 1);
    }
  }
  if (!rc)
    rc = write_file(s, dir, "truth.jsonl", &b);
  else
    seterr(s->err, rc, "truth.jsonl: %s", truce_strerror(rc));
  truce_buf_release(&b);
  return rc;
}

static truce_err write_sources(sim *s, const char *dir) {
  truce_buf b;
  truce_buf_init(&b, OUT_MAX);
  static const char *const kinds[] = {"patrol", "camera",    "acoustic",
                                      "drone",  "satellite", "satellite"};
  static const char *const descr[] = {
      ("patrol team: hears fire (bearing +-5 deg, distance range), sees "
       "weapons within 2.5 km"),
      "fixed camera: bearing +-2 deg within its field of view",
      "acoustic array: bearing +-1 deg",
      "drone crew: positions within tens of metres along its sortie tracks",
      "VIIRS thermal detections, 375 m pixels",
      "MODIS thermal detections, 1 km pixels"};
  truce_err rc =
      truce_buf_append(&b, "{\"truce_sim_sources\":1,\"sources\":[\n", 35);
  for (size_t k = 0; !rc && k < s->nsrcs; k++) {
    const src *so = &s->srcs[k];
    char means[64] = "";
    for (unsigned i = 0; i < TRUCE_MEANS_COUNT; i++)
      if (so->means & (1u << i)) {
        size_t n = strlen(means);
        snprintf(means + n, sizeof means - n, "%s%s", n ? "," : "",
                 truce_means_name(1u << i));
      }
    rc = truce_buf_appendf(&b,
                           "{\"name\":\"%s\",\"party\":\"mission\","
                           "\"means\":\"%s\",\"reliability\":",
                           so->name, means);
    if (!rc)
      rc = jnum(&b, so->reliability, 2);
    if (!rc)
      rc = truce_buf_appendf(&b, ",\"description\":\"%s\",\"kind\":\"%s\"",
                             descr[so->kind], kinds[so->kind]);
    if (!rc && (so->kind == K_CAMERA || so->kind == K_ACOUSTIC)) {
      rc = truce_buf_append(&b, ",\"lat\":", 7);
      if (!rc)
        rc = jnum(&b, so->lat, 7);
      if (!rc)
        rc = truce_buf_append(&b, ",\"lon\":", 7);
      if (!rc)
        rc = jnum(&b, so->lon, 7);
      if (!rc && so->kind == K_CAMERA)
        rc = truce_buf_appendf(&b,
                               ",\"facing_deg\":%.0f,\"fov_deg\":%.0f,"
                               "\"range_m\":%.0f",
                               so->facing, CAMERA_FOV_DEG, CAMERA_RANGE_M);
      if (!rc && so->kind == K_ACOUSTIC)
        rc = truce_buf_appendf(&b, ",\"range_m\":%.0f", ACOUSTIC_RANGE_M);
    }
    if (!rc && (so->kind == K_PATROL || so->kind == K_DRONE)) {
      rc = truce_buf_appendf(&b, ",\"%s\":[",
                             so->kind == K_PATROL ? "stops" : "sorties");
      for (size_t i = 0; !rc && i < so->nstays; i++) {
        const stay *st = &so->stays[i];
        rc = truce_buf_appendf(&b, "%s{\"from\":", i ? "," : "");
        if (!rc)
          rc = jtime(&b, st->t0);
        if (!rc)
          rc = truce_buf_append(&b, ",\"to\":", 6);
        if (!rc)
          rc = jtime(&b, st->t1);
        if (!rc)
          rc = truce_buf_append(&b, ",\"lat\":", 7);
        if (!rc)
          rc = jnum(&b, st->lat, 7);
        if (!rc)
          rc = truce_buf_append(&b, ",\"lon\":", 7);
        if (!rc)
          rc = jnum(&b, st->lon, 7);
        if (!rc && so->kind == K_DRONE)
          rc =
              truce_buf_appendf(&b,
                                ",\"track_deg\":%.0f,\"along_m\":%.0f,"
                                "\"across_m\":%.0f",
                                st->azi, 2 * DRONE_ALONG_M, 2 * DRONE_ACROSS_M);
        if (!rc)
          rc = truce_buf_append(&b, "}", 1);
      }
      if (!rc)
        rc = truce_buf_append(&b, "]", 1);
    }
    if (!rc && (so->kind == K_VIIRS || so->kind == K_MODIS)) {
      rc = truce_buf_appendf(&b, ",\"pixel_m\":%.0f,\"overpasses\":[",
                             so->kind == K_VIIRS ? VIIRS_PIXEL_M
                                                 : MODIS_PIXEL_M);
      for (size_t i = 0; !rc && i < so->nstays; i++) {
        if (i)
          rc = truce_buf_append(&b, ",", 1);
        if (!rc)
          rc = jtime(&b, so->stays[i].t0);
      }
      if (!rc)
        rc = truce_buf_append(&b, "]", 1);
    }
    if (!rc)
      rc = truce_buf_appendf(&b, "}%s\n", k + 1 < s->nsrcs ? "," : "");
  }
  if (!rc)
    rc = truce_buf_append(&b, "]}\n", 3);
  if (!rc)
    rc = write_file(s, dir, "sources.json", &b);
  else
    seterr(s->err, rc, "sources.json: %s", truce_strerror(rc));
  truce_buf_release(&b);
  return rc;
}

static truce_err write_line(sim *s, const char *dir) {
  truce_buf b;
  truce_buf_init(&b, OUT_MAX);
  truce_err rc = truce_buf_appendf(
      &b,
      "{\"type\":\"Feature\",\"properties\":{\"name\":\"front line "
      "(simulated)\",\"right\":\"%s\",\"left\":\"%s\"},\"geometry\":",
      s->c->party_right, s->c->party_left);
  if (!rc)
    rc = line_geojson(s, &b);
  if (!rc)
    rc = truce_buf_append(&b, "}\n", 2);
  if (!rc)
    rc = write_file(s, dir, "line.geojson", &b);
  truce_buf_release(&b);
  return rc;
}

static truce_err write_terms(sim *s, const char *dir) {
  const char *R = s->c->party_right, *L = s->c->party_left;
  char start[32];
  truce_time_format(s->t0, start);
  truce_buf b;
  truce_buf_init(&b, OUT_MAX);
  truce_err rc = truce_buf_appendf(
      &b,
      "{\n\"truce_terms\":1,\n\"id\":\"sim-%llu\",\n"
      "\"title\":\"Simulated scenario, seed %llu\",\n"
      "\"parties\":[{\"id\":\"%s\",\"name\":\"%s\"},{\"id\":\"%s\","
      "\"name\":\"%s\"}],\n"
      "\"start\":{\"time\":\"%s\",\"zone\":\"UTC\"},\n"
      "\"lines\":[{\"id\":\"contact\",\"name\":\"front line (simulated)\","
      "\"geometry\":",
      (unsigned long long)s->c->seed, (unsigned long long)s->c->seed, R, R, L,
      L, start);
  if (!rc)
    rc = line_geojson(s, &b);
  if (!rc)
    rc = truce_buf_appendf(
        &b,
        ",\"sides\":{\"%s\":\"right\",\"%s\":\"left\"}}],\n"
        "\"control\":[{\"id\":\"%s-held\",\"party\":\"%s\",\"line\":"
        "\"contact\",\"side\":\"right\"},{\"id\":\"%s-held\",\"party\":\"%s\","
        "\"line\":\"contact\",\"side\":\"left\"}],\n"
        "\"zones\":[{\"id\":\"disengagement-1\",\"name\":\"Disengagement "
        "area (4 x 4 km on the line)\",\"near_km\":5,\"area\":{\"type\":"
        "\"Polygon\",\"coordinates\":[[",
        R, L, R, R, L, L);
  for (int i = 0; !rc && i < 5; i++) {
    rc = truce_buf_appendf(&b, "%s[", i ? "," : "");
    if (!rc)
      rc = jnum(&b, s->zc[i][1], 6);
    if (!rc)
      rc = truce_buf_append(&b, ",", 1);
    if (!rc)
      rc = jnum(&b, s->zc[i][0], 6);
    if (!rc)
      rc = truce_buf_append(&b, "]", 1);
  }
  if (!rc)
    rc = truce_buf_appendf(
        &b,
        "]]}}],\n\"rules\":[\n"
        "{\"id\":\"ceasefire\",\"type\":\"ceasefire\",\"what\":\"fire\"},\n"
        "{\"id\":\"heavy-weapons\",\"type\":\"withdrawal\",\"weapons\":{"
        "\"classes\":[\"artillery\",\"mlrs\"],\"calibre_min_mm\":100},"
        "\"distance_km\":%.0f},\n"
        "{\"id\":\"tanks-mortars\",\"type\":\"withdrawal\",\"weapons\":{"
        "\"classes\":[\"tank\",\"mortar\"]},\"distance_km\":%.0f},\n"
        "{\"id\":\"disengagement\",\"type\":\"zone\",\"zone\":"
        "\"disengagement-1\",\"what\":[\"fire\",\"presence\"]}\n]\n}\n",
        HEAVY_KM, LIGHT_KM);
  if (!rc)
    rc = write_file(s, dir, "terms.json", &b);
  else
    seterr(s->err, rc, "terms.json: %s", truce_strerror(rc));
  truce_buf_release(&b);
  return rc;
}

/* The output folder: created if absent, else it must be empty. */
static truce_err prepare_dir(sim *s, const char *dir) {
  if (mkdir(dir, 0755) != 0) {
    if (errno != EEXIST)
      return seterr(s->err, errno == ENOENT ? TRUCE_ENOTFOUND : TRUCE_EIO,
                    "cannot create '%s': %s", dir, strerror(errno));
    DIR *d = opendir(dir);
    if (!d)
      return seterr(s->err, TRUCE_EIO, "cannot open '%s': %s", dir,
                    strerror(errno));
    struct dirent *de;
    bool empty = true;
    while ((de = readdir(d)) != NULL)
      if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
        empty = false;
        break;
      }
    closedir(d);
    if (!empty)
      return seterr(s->err, TRUCE_EEXIST,
                    "'%s' is not empty: give a new or empty folder", dir);
  }
  char obs[4096];
  int n = snprintf(obs, sizeof obs, "%s/obs", dir);
  if (n < 0 || (size_t)n >= sizeof obs)
    return seterr(s->err, TRUCE_EINVAL, "path too long: '%s'", dir);
  if (mkdir(obs, 0755) != 0)
    return seterr(s->err, TRUCE_EIO, "cannot create '%s': %s", obs,
                  strerror(errno));
  return TRUCE_OK;
}

static void sim_release(sim *s) {
  for (size_t k = 0; k < s->nsrcs; k++) {
    truce_free(s->srcs[k].stays);
    truce_free(s->srcs[k].obs);
  }
  truce_free(s->srcs);
  truce_free(s->ev);
  truce_free(s->vlat);
  truce_free(s->vlon);
  truce_free(s->cum);
  truce_geom_free(s->geom);
}

truce_err truce_sim_run(const truce_sim_config *c, const char *dir,
                        int64_t now_ms, truce_sim_stats *stats, char *err) {
  if (stats)
    memset(stats, 0, sizeof *stats);
  if (!c || !dir || !*dir)
    return seterr(err, TRUCE_EINVAL, "no configuration or folder");
  truce_err rc = check_config(c, now_ms, err);
  if (rc)
    return rc;
  sim s;
  memset(&s, 0, sizeof s);
  s.c = c;
  s.err = err;
  s.t0 = c->start_ms;
  s.t1 = c->start_ms + (int64_t)c->hours * HOUR_MS;
  geod_init(&s.g, WGS84_A, WGS84_F);
  truce_sim_stats st;
  memset(&st, 0, sizeof st);
  rc = line_setup(&s);
  if (!rc)
    rc = place_sources(&s);
  if (!rc)
    rc = make_events(&s);
  if (!rc)
    rc = observe(&s);
  if (!rc)
    rc = false_reports(&s);
  if (!rc)
    rc = prepare_dir(&s, dir);
  if (!rc) {
    st.events = s.nev;
    st.sources = s.nsrcs;
    for (size_t i = 0; i < s.nev; i++)
      st.observed_events += s.ev[i].nobs > 0;
    rc = write_obs(&s, dir, now_ms, &st);
  }
  if (!rc)
    rc = write_truth(&s, dir, &st);
  if (!rc)
    rc = write_sources(&s, dir);
  if (!rc)
    rc = write_terms(&s, dir);
  if (!rc)
    rc = write_line(&s, dir);
  sim_release(&s);
  if (!rc && stats)
    *stats = st;
  return rc;
}

/* ---- reading truth.jsonl back ---- */

struct truce_sim_truth {
  truce_sim_event *ev;
  size_t nev, capev;
  truce_sim_obsref *obs;
  size_t nobs, capobs;
};

void truce_sim_truth_free(truce_sim_truth *t) {
  if (!t)
    return;
  truce_free(t->ev);
  truce_free(t->obs);
  truce_free(t);
}

size_t truce_sim_truth_nevents(const truce_sim_truth *t) {
  return t ? t->nev : 0;
}
size_t truce_sim_truth_nobs(const truce_sim_truth *t) {
  return t ? t->nobs : 0;
}
const truce_sim_event *truce_sim_truth_event(const truce_sim_truth *t,
                                             size_t i) {
  return t && i < t->nev ? &t->ev[i] : NULL;
}
const truce_sim_obsref *truce_sim_truth_obs(const truce_sim_truth *t,
                                            size_t i) {
  return t && i < t->nobs ? &t->obs[i] : NULL;
}

truce_err truce_sim_truth_find(const truce_sim_truth *t, const char *source,
                               uint64_t line, size_t *index) {
  if (index)
    *index = 0;
  if (!t || !source)
    return TRUCE_EINVAL;
  /* Lines are grouped by source and numbered in order: binary search
   * within the group would need the group's bounds; a scan is fine for
   * the sizes a scenario has, and a scorer calls this once per line. */
  for (size_t i = 0; i < t->nobs; i++)
    if (t->obs[i].line == line && strcmp(t->obs[i].source, source) == 0) {
      if (index)
        *index = i;
      return TRUCE_OK;
    }
  return TRUCE_ENOTFOUND;
}

static bool copy_str(json_t *o, const char *key, char *out, size_t cap,
                     bool required) {
  json_t *v = json_object_get(o, key);
  if (!v)
    return !required;
  const char *str = json_string_value(v);
  if (!str || strlen(str) >= cap)
    return false;
  memcpy(out, str, strlen(str) + 1);
  return true;
}

static bool get_time(json_t *o, const char *key, int64_t *t) {
  const char *str = json_string_value(json_object_get(o, key));
  return str && truce_time_parse(str, strlen(str), t) == TRUCE_OK;
}

static bool get_num(json_t *o, const char *key, double *x) {
  json_t *v = json_object_get(o, key);
  if (!json_is_number(v))
    return false;
  *x = json_number_value(v);
  return isfinite(*x);
}

/* The first field of a truth line found wrong: *bad names it (the
 * first one only: the message names one). */
static void need(bool ok, const char *field, const char **bad) {
  if (!ok && !*bad)
    *bad = field;
}

static truce_err truth_event(truce_sim_truth *t, json_t *o, const char *name,
                             size_t ln, char *err) {
  truce_err rc = grow((void **)&t->ev, &t->capev, t->nev, sizeof *t->ev, err);
  if (rc)
    return rc;
  truce_sim_event *e = &t->ev[t->nev];
  memset(e, 0, sizeof *e);
  char what[40] = "";
  json_t *w = json_object_get(o, "weapon"),
         *ff = json_object_get(o, "fire_from"),
         *th = json_object_get(o, "thermal"),
         *rules = json_object_get(o, "rules");
  double count = 0, nobs = 0;
  const char *bad = NULL;
  need(copy_str(o, "id", e->id, sizeof e->id, true) && e->id[0], "id", &bad);
  need(copy_str(o, "what", what, sizeof what, true) &&
           (e->what = truce_what_from_name(what, strlen(what))) !=
               TRUCE_WHAT_NONE,
       "what", &bad);
  need(get_time(o, "time", &e->t_ms), "time", &bad);
  need(get_time(o, "end", &e->t_end_ms), "end", &bad);
  need(get_num(o, "lat", &e->lat_deg), "lat", &bad);
  need(get_num(o, "lon", &e->lon_deg), "lon", &bad);
  need(get_num(o, "count", &count) && count >= 1 && count <= 1e9, "count",
       &bad);
  need(copy_str(o, "party", e->party, sizeof e->party, true), "party", &bad);
  need(copy_str(o, "ground", e->ground, sizeof e->ground, true), "ground",
       &bad);
  need(get_num(o, "line_dist_m", &e->line_dist_m), "line_dist_m", &bad);
  need(get_num(o, "observations", &nobs) && nobs >= 0 && nobs <= 4e9,
       "observations", &bad);
  need(json_is_object(w), "weapon", &bad);
  need(json_is_array(rules), "rules", &bad);
  if (!bad) {
    e->count = (uint32_t)count;
    e->nobs = (uint32_t)nobs;
    json_t *c = json_object_get(w, "class");
    const char *cls = json_string_value(c);
    need(!c || cls, "weapon.class", &bad);
    e->weapon = cls ? truce_weapon_class_from_name(cls, strlen(cls))
                    : TRUCE_WEAPON_NONE;
    if (json_object_get(w, "calibre_mm"))
      need(get_num(w, "calibre_mm", &e->calibre_mm), "weapon.calibre_mm",
           &bad);
    need(copy_str(w, "system", e->system, sizeof e->system, false),
         "weapon.system", &bad);
  }
  if (!bad && ff) {
    e->has_fire_from = 1;
    need(get_num(ff, "lat", &e->fire_lat_deg), "fire_from.lat", &bad);
    need(get_num(ff, "lon", &e->fire_lon_deg), "fire_from.lon", &bad);
  }
  if (!bad && th) {
    e->has_thermal = 1;
    need(get_time(th, "from", &e->thermal_from_ms), "thermal.from", &bad);
    need(get_time(th, "to", &e->thermal_to_ms), "thermal.to", &bad);
  }
  for (size_t i = 0; !bad && i < json_array_size(rules); i++) {
    const char *r = json_string_value(json_array_get(rules, i));
    size_t n = strlen(e->rules);
    need(r && n + strlen(r) + 2 < sizeof e->rules, "rules", &bad);
    if (!bad)
      snprintf(e->rules + n, sizeof e->rules - n, "%s%s", n ? "," : "", r);
  }
  if (bad)
    return seterr(err, TRUCE_EPARSE, "%s: line %zu: event: %s: missing or "
                                     "not valid",
                  name, ln, bad);
  for (size_t i = 0; i < t->nev; i++)
    if (strcmp(t->ev[i].id, e->id) == 0) {
      char shown[TEXT_SHOW_MAX];
      return seterr(err, TRUCE_EPARSE,
                    "%s: line %zu: event: id: '%s' repeats an earlier "
                    "event's",
                    name, ln, text_show(e->id, strlen(e->id), shown));
    }
  t->nev++;
  return TRUCE_OK;
}

static truce_err truth_obs(truce_sim_truth *t, json_t *o, const char *name,
                           size_t ln, char *err) {
  truce_err rc =
      grow((void **)&t->obs, &t->capobs, t->nobs, sizeof *t->obs, err);
  if (rc)
    return rc;
  truce_sim_obsref *r = &t->obs[t->nobs];
  memset(r, 0, sizeof *r);
  double line = 0;
  json_t *ev = json_object_get(o, "event");
  const char *bad = NULL;
  need(copy_str(o, "source", r->source, sizeof r->source, true) &&
           r->source[0],
       "source", &bad);
  need(copy_str(o, "id", r->id, sizeof r->id, true), "id", &bad);
  need(get_num(o, "line", &line) && line >= 1 && line <= 1e15, "line", &bad);
  need(json_is_null(ev) || json_is_string(ev), "event", &bad);
  if (bad)
    return seterr(err, TRUCE_EPARSE, "%s: line %zu: obs: %s: missing or not "
                                     "valid",
                  name, ln, bad);
  r->line = (uint64_t)line;
  r->event = -1;
  if (json_is_string(ev)) {
    const char *id = json_string_value(ev);
    /* ids are ev-NNNNN in order: try the index first, then search */
    size_t guess =
        (size_t)strtoul(id + (strncmp(id, "ev-", 3) == 0 ? 3 : 0), NULL, 10);
    if (guess >= 1 && guess <= t->nev && strcmp(t->ev[guess - 1].id, id) == 0)
      r->event = (int64_t)(guess - 1);
    for (size_t i = 0; r->event < 0 && i < t->nev; i++)
      if (strcmp(t->ev[i].id, id) == 0)
        r->event = (int64_t)i;
    if (r->event < 0) {
      char shown[TEXT_SHOW_MAX];
      return seterr(err, TRUCE_EPARSE,
                    "%s: line %zu: obs: event: no event '%s' before it", name,
                    ln, text_show(id, strlen(id), shown));
    }
  }
  t->nobs++;
  return TRUCE_OK;
}

truce_err sim_truth_parse(const char *data, size_t len, const char *name,
                          truce_sim_truth **out, char *err) {
  *out = NULL;
  truce_sim_truth *t = truce_calloc(1, sizeof *t);
  if (!t)
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  truce_err rc = TRUCE_OK;
  size_t ln = 0;
  for (size_t at = 0; !rc && at < len;) {
    const char *nl = memchr(data + at, '\n', len - at);
    size_t end = nl ? (size_t)(nl - data) : len;
    ln++;
    json_error_t je;
    json_t *o = json_loadb(data + at, end - at, JSON_REJECT_DUPLICATES, &je);
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!o || !type)
      rc = seterr(err, TRUCE_EPARSE,
                  "%s: line %zu: not a JSON object with a type", name, ln);
    else if (strcmp(type, "event") == 0)
      rc = truth_event(t, o, name, ln, err);
    else if (strcmp(type, "obs") == 0)
      rc = truth_obs(t, o, name, ln, err);
    else if (strcmp(type, "scenario") != 0) {
      char shown[TEXT_SHOW_MAX];
      rc = seterr(err, TRUCE_EPARSE, "%s: line %zu: type: unknown '%s'", name,
                  ln, text_show(type, strlen(type), shown));
    }
    json_decref(o);
    at = end + 1;
  }
  if (rc) {
    truce_sim_truth_free(t);
    return rc;
  }
  *out = t;
  return TRUCE_OK;
}

truce_err truce_sim_truth_load(const char *path, truce_sim_truth **out,
                               char *err) {
  if (out)
    *out = NULL;
  if (!path || !out)
    return seterr(err, TRUCE_EINVAL, "no path");
  truce_buf b;
  truce_buf_init(&b, TRUTH_MAX);
  truce_err rc = truce_buf_read_file(&b, path, err);
  if (!rc)
    rc = sim_truth_parse(b.data ? b.data : "", b.len, path, out, err);
  truce_buf_release(&b);
  return rc;
}
