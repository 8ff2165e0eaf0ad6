/*
 * fuse_scene.h: bytes made into a scene for fusion, shared by the fuzz
 * target fuzz_fuse.c (the fuzzer's bytes) and test_fuse.c (random
 * bytes): observations of a few events, close in space and time so that
 * they meet, of every kind fusion treats apart (precise and imprecise
 * points, windows, regions from a bearing and a range, lines of sight,
 * heard and seen, times in seconds and in whole minutes, weapons and
 * their systems, directions of fire, counts beyond 65,534), over
 * one of several places (mid latitudes, by the antimeridian, near 70
 * degrees, the equator, near a pole, at a pole; by the pole some
 * bearings are from the pole itself).
 *
 * Some windows last days to centuries, and some points are placed only
 * to within 1,000 km, past the bounds the fast path puts on its probes
 * (a reach of 64 cells, 512 time buckets), which it then meets by
 * reading every entry, and windows of weeks or more are filed at the
 * grid's coarser levels of time: the reference path
 * (truce_fuse_opts.reference) must give the same incidents for every
 * scene.
 *
 * Depends only on the public header.
 */
#ifndef TRUCE_FUSE_SCENE_H
#define TRUCE_FUSE_SCENE_H

#include "truce.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCENE_SOURCES 12
#define SCENE_EVENTS 8
#define SCENE_OBS_BYTES 14
#define SCENE_OBS_MAX 1024

/* The bytes of a scene, read in order; past the end, zeros. */
typedef struct scene_in {
  const uint8_t *p;
  size_t n, at;
} scene_in;

static unsigned scene_u8(scene_in *in) {
  return in->at < in->n ? in->p[in->at++] : 0;
}

static unsigned scene_u16(scene_in *in) {
  unsigned a = scene_u8(in);
  return a | scene_u8(in) << 8;
}

/* -1..1 from 16 bits */
static double scene_unit(scene_in *in) {
  return ((double)scene_u16(in) - 32767.5) / 32767.5;
}

static const unsigned scene_means[SCENE_SOURCES] = {
    TRUCE_MEANS_CAMERA,   TRUCE_MEANS_AUDIO,     TRUCE_MEANS_AUDIO,
    TRUCE_MEANS_ACOUSTIC, TRUCE_MEANS_ACOUSTIC,  TRUCE_MEANS_DRONE,
    TRUCE_MEANS_SATELLITE, TRUCE_MEANS_REPORT,   TRUCE_MEANS_VISUAL,
    TRUCE_MEANS_CAMERA,   TRUCE_MEANS_RADAR,     TRUCE_MEANS_AUDIO};

static const truce_what scene_what[8] = {
    TRUCE_WHAT_EXPLOSION,   TRUCE_WHAT_EXPLOSION,
    TRUCE_WHAT_UNDETERMINED_EXPLOSION, TRUCE_WHAT_AIRBURST,
    TRUCE_WHAT_SHOTS,       TRUCE_WHAT_BURSTS,
    TRUCE_WHAT_WEAPON_SEEN, TRUCE_WHAT_DAMAGE};

/* The scene's places: (lat, lon) of its middle (the last: events
 * within 60 km of the pole, beyond the 85 degrees where the grid's
 * squares stop holding their reach). */
#define SCENE_PLACES 7
static const double scene_place[SCENE_PLACES][2] = {
    {48.0, 37.5}, {64.0, 179.95}, {69.9, 30.0}, {0.0, -60.0},
    {-33.0, -179.99}, {84.0, 10.0}, {89.7, 45.0}};

/* Degrees north and east of (lat, lon) for metres north and east (a
 * sphere is enough: the scene only needs to be near). */
static void scene_move(double lat, double lon, double north_m, double east_m,
                       double *olat, double *olon) {
  *olat = lat + north_m / 111200.0;
  double c = cos(lat * M_PI / 180);
  *olon = lon + east_m / (111320.0 * (c > 0.01 ? c : 0.01));
  if (*olat > 89.9)
    *olat = 89.9;
  if (*olat < -89.9)
    *olat = -89.9;
  while (*olon > 180)
    *olon -= 360;
  while (*olon <= -180)
    *olon += 360;
}

/* A scene: its observations, each with its source (0..SCENE_SOURCES-1). */
typedef struct scene {
  truce_obs *obs;
  unsigned *src;
  size_t n;
  truce_fuse_opts opt; /* the fusion's settings (scene_make) */
} scene;

static void scene_free(scene *sc) {
  free(sc->obs);
  free(sc->src);
  memset(sc, 0, sizeof *sc);
}

/* Make the bytes into a scene: the first byte picks the place (its low
 * three bits, modulo SCENE_PLACES) and the settings the shortcuts'
 * bounds are drawn from (the others: k_sigma 3, 1, 2 or 5; the time slack 30 s,
 * none, 5 s or 2 minutes; a line of sight's range 20 or 50 km; 0 gives
 * the defaults), then SCENE_OBS_BYTES per observation (a last partial
 * one is left out). TRUCE_ENOMEM or OK. */
static truce_err scene_make(const uint8_t *data, size_t size, scene *sc) {
  memset(sc, 0, sizeof *sc);
  scene_in in = {data, size, 0};
  unsigned b = scene_u8(&in);
  const double *place = scene_place[(b & 7) % SCENE_PLACES];
  static const double ks[4] = {3, 1, 2, 5}, slack[4] = {30000, 0, 5000,
                                                          120000};
  truce_fuse_defaults(&sc->opt);
  sc->opt.k_sigma = ks[b >> 3 & 3];
  sc->opt.time_slack_ms = slack[b >> 5 & 3];
  sc->opt.los_range_m = b & 0x80 ? 50000 : 20000;
  size_t count = (size - (size ? 1 : 0)) / SCENE_OBS_BYTES;
  if (count > SCENE_OBS_MAX)
    count = SCENE_OBS_MAX;
  sc->obs = calloc(count ? count : 1, sizeof *sc->obs);
  sc->src = calloc(count ? count : 1, sizeof *sc->src);
  if (!sc->obs || !sc->src) {
    scene_free(sc);
    return TRUCE_ENOMEM;
  }
  /* each event: where and when, set by the first observation of it */
  bool set[SCENE_EVENTS] = {false};
  double elat[SCENE_EVENTS], elon[SCENE_EVENTS];
  int64_t et[SCENE_EVENTS];
  const int64_t t0 = INT64_C(1790000000000);
  for (size_t i = 0; i < count; i++) {
    truce_obs *o = &sc->obs[i];
    unsigned b0 = scene_u8(&in), b1 = scene_u8(&in);
    double u = scene_unit(&in), v = scene_unit(&in), w = scene_unit(&in);
    unsigned size8 = scene_u8(&in), bear16 = scene_u16(&in),
             spread8 = scene_u8(&in), extra8 = scene_u8(&in),
             time8 = scene_u8(&in);
    unsigned ev = b1 % SCENE_EVENTS, src = (b1 >> 3) % SCENE_SOURCES;
    if (!set[ev]) { /* the event: within 60 km and 12 hours of the middle */
      scene_move(place[0], place[1], u * 60000, v * 60000, &elat[ev],
                 &elon[ev]);
      et[ev] = t0 + (int64_t)(w * 12 * 3600e3);
      set[ev] = true;
    }
    sc->src[i] = src;
    o->what = scene_what[b0 >> 5 & 7];
    o->count = 1 + extra8 % 5;
    o->means = scene_means[src];
    /* when: near the event's time (within 2 minutes), in seconds or, if
     * asked, whole minutes; a point time with a precision, or a window */
    int64_t t = et[ev] + (int64_t)(w * 120e3);
    if (b0 & 8)
      t -= ((t % 60000) + 60000) % 60000;
    o->t_ms = o->t_end_ms = t;
    static const uint32_t prec[4] = {0, 1, 60, 600};
    /* one window in 32: days to centuries (3, 10, 30 and 90 days; 1,
     * 10, 100 and 900 years), the event inside it */
    static const double long_days[8] = {3, 10, 30, 90, 365, 3650, 36500,
                                        328500};
    if ((b0 & 4) && time8 >= 248) {
      int64_t len = (int64_t)(long_days[time8 - 248] * 86400e3);
      o->is_window = 1;
      o->t_ms = t - (int64_t)((double)len * (0.5 + 0.5 * u));
      o->t_end_ms = o->t_ms + len;
      if (o->t_ms < TRUCE_TIME_MIN_MS)
        o->t_ms = TRUCE_TIME_MIN_MS;
      if (o->t_end_ms >= TRUCE_TIME_END_MS)
        o->t_end_ms = TRUCE_TIME_END_MS - 1;
    } else if (b0 & 4) {
      o->is_window = 1;
      o->t_end_ms = t + (int64_t)(time8 % 8) * 900000 +
                    (b0 & 8 ? 0 : (int64_t)time8 * 1000);
    } else {
      o->precision_s = prec[time8 & 3];
    }
    if ((b0 >> 5 & 7) == 6) { /* weapon_seen: one of three classes */
      static const truce_weapon_class wc[3] = {
          TRUCE_WEAPON_ARTILLERY, TRUCE_WEAPON_TANK, TRUCE_WEAPON_MLRS};
      static const char *const sys[3][2] = {
          {"2S1", "2S19"}, {"T-72", "T-72B"}, {"BM-21", "BM-21 Grad"}};
      o->weapon = wc[extra8 % 3];
      if (extra8 & 4) /* and a system (two names may be one system) */
        snprintf(o->system, sizeof o->system, "%s",
                 sys[extra8 % 3][extra8 >> 3 & 1]);
    }
    if (extra8 == 255) /* a count beyond the record's 16 bits */
      o->count = 70000;
    if (b1 & 0x80) { /* the direction the fire came from, seen */
      o->has_fire = 1;
      o->fire_from_deg = (double)(bear16 ^ 0x5555) / 65536 * 360;
      o->fire_spread_deg = 1 + spread8 % 20;
    }
    /* where: near the event (a point's error within its uncertainty; a
     * bearing from an observer 1-19 km away, off by up to its spread) */
    double sigma = 5 * pow(10, (double)size8 / 255 * 4); /* 5 m - 50 km */
    if ((b0 & 3) < 2) {
      o->where_kind = TRUCE_WHERE_POINT;
      /* (and one in 64 placed to within 1,000 km, the most allowed) */
      o->uncertainty_m = (extra8 & 63) == 63 ? TRUCE_OBS_METRES_MAX : sigma;
      scene_move(elat[ev], elon[ev], u * sigma, v * sigma, &o->lat_deg,
                 &o->lon_deg);
    } else {
      o->where_kind = TRUCE_WHERE_BEARING;
      double d = 1000 + (double)size8 / 255 * 18000;
      double az = (double)bear16 / 65536 * 360; /* event -> observer */
      double spread = 0.5 + (double)spread8 / 255 * 14.5;
      scene_move(elat[ev], elon[ev], d * cos(az * M_PI / 180),
                 d * sin(az * M_PI / 180), &o->lat_deg, &o->lon_deg);
      o->bearing_deg = fmod(az + 180 + u * spread + 720, 360);
      o->bearing_spread_deg = spread;
      /* by the pole, one in 8 from the pole itself (which names no
       * direction: fused as a point spread over its distance range) */
      if (place[0] > 85 && (extra8 & 7) == 5)
        o->lat_deg = 90;
      if ((b0 & 3) == 2) { /* a region: a range round the distance */
        double half = d * (0.05 + (double)(extra8 >> 3) / 31 * 0.5);
        o->dist_min_m = d - half;
        o->dist_max_m = d + half;
      }
    }
  }
  sc->n = count;
  return TRUCE_OK;
}

/* Add a scene's observations to f, observation i cited as (100 + i / 4,
 * i % 4), in their order or reversed, the sources declared first.
 * Returns the first error of truce_fuse_source or truce_fuse_add (a
 * scene holds only observations they accept: an error is a bug). */
static truce_err scene_feed(truce_fusion *f, const scene *sc, bool reversed) {
  uint32_t sid[SCENE_SOURCES];
  for (int i = 0; i < SCENE_SOURCES; i++) {
    truce_source s;
    memset(&s, 0, sizeof s);
    snprintf(s.name, sizeof s.name, "scene-%02d", i);
    if (i % 3)
      snprintf(s.party, sizeof s.party, "mission");
    else
      snprintf(s.party, sizeof s.party, "party-%d", i);
    s.means = scene_means[i];
    s.reliability = 0.3 + 0.06 * i;
    truce_err rc = truce_fuse_source(f, &s, &sid[i]);
    if (rc)
      return rc;
  }
  for (size_t k = 0; k < sc->n; k++) {
    size_t i = reversed ? sc->n - 1 - k : k;
    truce_err rc = truce_fuse_add(f, &sc->obs[i], 100 + i / 4,
                                  (uint32_t)(i % 4), sid[sc->src[i]]);
    if (rc)
      return rc;
  }
  return TRUCE_OK;
}

#endif
