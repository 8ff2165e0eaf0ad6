/*
 * fuse.c: fusion of observations into incidents (docs/fusion.md).
 *
 * Owns: the compact per-observation record (120 bytes, not the 3 KB
 * truce_obs), the space-time grid that finds candidates, the greedy
 * assignment around the best-located observations, the incident's
 * position (one weighted least-squares fit of points, bearings and
 * distance ranges on the tangent plane: bearing.c's geodesic functions
 * are too slow to run per observation at a million; a bearing's region
 * is computed on the plane too, within 50 km, region_plane), the firing
 * position (the directions of fire triangulated, on the plane too,
 * fire_position), its confidence, its stable id, and the incident
 * formats. Must not depend on the derived index (index.c reads what this
 * file produces) nor write anything.
 *
 * Determinism: observations are first sorted into a canonical order that
 * depends only on their content and citation (index, pos), never on the
 * order they were added; every later choice breaks ties by that order
 * (equal candidates: the seed first by citation), so the same set of
 * observations gives the same incidents and ids. The passes take the
 * observations in an order with provably the same result that sweeps
 * time once (sort_obs), for the cache; single thread.
 */
#include "internal.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define DEG (M_PI / 180)
/* A hint to fetch memory that will be read soon (GCC and Clang). */
#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif
/* The cache lines of one record (a 120-byte fob meets up to three). */
#define PREFETCH_REC(p)                                                  \
  do {                                                                   \
    PREFETCH(p);                                                         \
    PREFETCH((const char *)(p) + 64);                                    \
    PREFETCH((const char *)(p) + sizeof *(p) - 1);                       \
  } while (0)
#define SOURCES_MAX 65535
#define SYSTEMS_MAX 65535
#define FUSE_OBS_MAX (UINT32_MAX - 2)

/* Three grids of incident anchors: fine, for well-placed, well-timed
 * anchors (sigma <= 500 m); middle, for regions from bearings and
 * ranges; coarse, for the rest (news reports, day-long windows). Each
 * query visits every grid that holds anything, reaching as far as the
 * grid's largest anchor requires. */
#define NGRID 3
#define FINE_CELL_M 4000.0
#define FINE_SPAN_MS (20 * 60 * 1000LL)
#define FINE_SIGMA_M 500.0
#define MID_CELL_M 16000.0
#define MID_SPAN_MS (20 * 60 * 1000LL)
#define COARSE_CELL_M 64000.0
#define COARSE_SPAN_MS (24 * 3600 * 1000LL)

enum { K_POINT = 1, K_REGION = 2, K_LOS = 3 };
enum { G_EXPLOSION = 1, G_FIRE, G_WEAPON, G_OTHER };

/* One observation, reduced to what fusion needs. */
typedef struct fob {
  uint64_t index;
  uint32_t pos;
  uint32_t inc;      /* the incident (after run), UINT32_MAX: none yet */
  int64_t t0, t1;    /* its time interval (precision or window) */
  double lat, lon;   /* centre of its region, or the observer (LOS) */
  double olat, olon; /* the observer (bearings), else = lat, lon */
  float sxx, sxy, syy; /* covariance of the region (m^2; x east, y north) */
  float bearing, spread, dmin, dmax; /* bearings (spread: +- degrees) */
  float fire_from, calibre;
  uint32_t count;
  uint16_t src, system; /* system: interned + 1, 0: none */
  uint8_t what, kind, weapon, means;
  uint8_t has_fire, is_window, minutes, pass; /* pass: obs_class() */
  int16_t key; /* size_key()'s class, floor(4 log2), once run starts */
  uint16_t fire_spread; /* the direction of fire's spread, in 0.01
                           degree (1..18000); 0: none the bearing
                           functions accept (not triangulated) */
} fob;
/* the documented budget (docs/fusion.md, "Performance and memory") */
_Static_assert(sizeof(fob) == 120, "fob is 120 bytes");

/* An incident while it forms: anchored on its seed, which does not move
 * (so joining cannot chain). */
typedef struct finc {
  double lat, lon;
  float sxx, sxy, syy;
  uint32_t stamp;
  int64_t t0, t1;
  uint32_t seed; /* position of the seed in the canonical order */
  uint8_t group, weapon, grid, is_window;
  uint8_t minutes, pad[3];
  uint16_t system, pad2;
} finc;

/* An incident once formed. */
typedef struct fsum {
  truce_ellipse where;
  double west, south, east, north;
  int64_t t_ms, t_end_ms;
  uint64_t count_sum, ev_index;
  uint32_t ev_pos, count_max, nobs, nsources, first; /* first: into members */
  float confidence, calibre, fire_from;
  uint8_t what, weapon, located, triangulated, has_fire;
  uint32_t parties; /* into the party strings */
  uint32_t fire_at; /* the firing position: fire[fire_at - 1]; 0: none */
} fsum;

typedef struct fsrc {
  char *name;
  char *party;
  unsigned means;
  double reliability;
} fsrc;

typedef struct gent {
  uint64_t key;
  uint32_t inc, next;
} gent;

struct truce_fusion {
  truce_fuse_opts opt;
  fob *obs;
  size_t nobs, capobs;
  fsrc *src;
  size_t nsrc, capsrc;
  char **sys; /* canonical system names, interned */
  size_t nsys, capsys;
  int ran;
  /* after run */
  uint32_t *order;   /* canonical order of observations */
  finc *inc;
  size_t ninc, capinc;
  uint32_t *heads; /* grid hash heads */
  size_t hmask;
  uint64_t *occ; /* grid occupancy bits: a key's bit set when it has anchors */
  size_t omask;  /* bits - 1 */
  gent *ent;
  size_t nent, capent;
  double cos_ref;
  int64_t tmin;
  uint32_t stamp;
  double smax[NGRID]; /* largest anchor sigma in each grid */
  /* per grid, time buckets (modulo TBITS) that hold an anchor: a query
   * whose buckets are all clear skips the grid (no cells walked) */
#define TBITS 65536
  uint64_t tocc[NGRID][TBITS / 64];
  size_t ngrid[NGRID]; /* anchors in each grid */
  uint32_t *members; /* observations by incident, then (index, pos) */
  fsum *sum;         /* incidents, ordered by (t_ms, id) */
  char *parties;     /* party lists, NUL-separated */
  size_t nparties, capparties;
  truce_evidence *ev;
  size_t capev;
  uint32_t *srcmark, srcstamp; /* per source: summarise's marks */
  double *srcbest;
  uint16_t *srclist;
  truce_ellipse *fire; /* firing positions (fsum.fire_at) */
  size_t nfire, capfire;
  truce_bearing *fb; /* fire_position's lines of sight */
  size_t capfb;
  char err[TRUCE_ERR_MAX];
};

/* ---- small helpers ---- */

void truce_fuse_defaults(truce_fuse_opts *o) {
  memset(o, 0, sizeof *o);
  o->k_sigma = 3;
  o->los_range_m = 20000;
  o->time_slack_ms = 30000;
  o->min_sigma_m = 10;
}

/* Metres per degree of latitude and of longitude at a latitude (WGS84). */
static void mpd(double lat, double *my, double *mx) {
  double c = cos(lat * DEG), c2 = 2 * c * c - 1; /* cos 2p */
  *my = 111132.92 - 559.82 * c2 + 1.175 * (2 * c2 * c2 - 1);
  *mx = 111412.84 * c - 93.5 * (4 * c * c * c - 3 * c);
  if (*mx < 1)
    *mx = 1;
}

/* The length of (x, y): sqrt, where libm's hypot guards against overflow
 * these metres never reach, at several times the cost. */
static double len2d(double x, double y) { return sqrt(x * x + y * y); }

static double wrap180(double d) {
  while (d > 180)
    d -= 360;
  while (d <= -180)
    d += 360;
  return d;
}

/* (lat2, lon2) relative to (lat1, lon1) on the tangent plane, metres. */
static void offset(double lat1, double lon1, double lat2, double lon2,
                   double *dx, double *dy) {
  double my, mx;
  mpd((lat1 + lat2) / 2, &my, &mx);
  *dx = wrap180(lon2 - lon1) * mx;
  *dy = (lat2 - lat1) * my;
}

/* A tangent plane at one point, with that point's scale: offsets in
 * one frame are consistent with each other (and cheap). */
typedef struct frame {
  double lat, lon, my, mx;
} frame;

static void frame_init(frame *fr, double lat, double lon) {
  fr->lat = lat;
  fr->lon = lon;
  mpd(lat, &fr->my, &fr->mx);
}

static void frame_xy(const frame *fr, double lat, double lon, double *x,
                     double *y) {
  *x = wrap180(lon - fr->lon) * fr->mx;
  *y = (lat - fr->lat) * fr->my;
}

static void unoffset(double lat, double lon, double dx, double dy,
                     double *lat2, double *lon2) {
  double my, mx;
  mpd(lat + dy / 222000, &my, &mx);
  *lat2 = lat + dy / my;
  *lon2 = wrap180(lon + dx / mx);
}

/* Covariance from a 95% ellipse, and back. */
static void ellipse_cov(const truce_ellipse *e, double *sxx, double *sxy,
                        double *syy) {
  double a = e->major_m / TRUCE_ELLIPSE_K95, b = e->minor_m / TRUCE_ELLIPSE_K95;
  double th = e->azimuth_deg * DEG; /* from north, clockwise */
  double ux = sin(th), uy = cos(th);  /* major axis direction */
  *sxx = a * a * ux * ux + b * b * uy * uy;
  *syy = a * a * uy * uy + b * b * ux * ux;
  *sxy = (a * a - b * b) * ux * uy;
}

static void cov_ellipse(double sxx, double sxy, double syy, truce_ellipse *e) {
  double tr = sxx + syy, d = sqrt((sxx - syy) * (sxx - syy) / 4 + sxy * sxy);
  double l1 = tr / 2 + d, l2 = tr / 2 - d;
  if (l2 < 0)
    l2 = 0;
  e->major_m = TRUCE_ELLIPSE_K95 * sqrt(l1);
  e->minor_m = TRUCE_ELLIPSE_K95 * sqrt(l2);
  /* eigenvector of l1: (sxy, l1 - sxx) or (l1 - syy, sxy) */
  double vx = l1 - syy, vy = sxy;
  if (fabs(vx) + fabs(vy) < 1e-12) {
    vx = sxx >= syy ? 1 : 0;
    vy = sxx >= syy ? 0 : 1;
  }
  double az = atan2(vx, vy) / DEG; /* from north, clockwise */
  while (az < 0)
    az += 180;
  while (az >= 180)
    az -= 180;
  e->azimuth_deg = az;
}

static double sigma_max(double sxx, double sxy, double syy) {
  double tr = sxx + syy, d = sqrt((sxx - syy) * (sxx - syy) / 4 + sxy * sxy);
  return sqrt(tr / 2 + d);
}

static int group_of(uint8_t w) {
  switch (w) {
  case TRUCE_WHAT_EXPLOSION:
  case TRUCE_WHAT_UNDETERMINED_EXPLOSION:
  case TRUCE_WHAT_AIRBURST:
  case TRUCE_WHAT_THERMAL_ANOMALY:
    return G_EXPLOSION;
  case TRUCE_WHAT_SHOTS:
  case TRUCE_WHAT_BURSTS:
  case TRUCE_WHAT_MUZZLE_FLASH:
    return G_FIRE;
  case TRUCE_WHAT_WEAPON_SEEN:
    return G_WEAPON;
  default:
    return G_OTHER;
  }
}

/* Can observation o belong to incident c? (what, weapon) */
static bool compatible(const truce_fusion *f, const finc *c, const fob *o) {
  int g = group_of(o->what);
  if (g != c->group)
    return false;
  if (g == G_OTHER)
    return o->what == f->obs[c->seed].what;
  if (g == G_WEAPON) {
    if (o->weapon != c->weapon)
      return false;
    if (o->system && c->system && o->system != c->system)
      return false;
  }
  return true;
}

/* ---- building ---- */

/* Below this middle distance a bearing's region is computed on the plane
 * (region_plane); beyond it, geodesically (truce_bearing_region). */
#define REGION_PLANE_M 50000.0

/* The region of a bearing with a distance range, as truce_bearing_region
 * gives it (the same centre, along-track and cross-track variances, in
 * the same formulas), but with the centre found on the tangent plane:
 * the chord from the observer runs at the mean of the geodesic's
 * azimuths at its ends (the bearing turned by half the meridians'
 * convergence, delta lon x sin lat), scaled at the middle latitude; the
 * line's azimuth at the centre is the bearing turned by the whole
 * convergence. Against the geodesic (truce_bearing_region, WGS84),
 * measured over 20,000 bearings in every direction at latitudes within
 * 70 degrees for each distance: the centre within 0.03 m at 10 km, 0.12 m
 * at 20 km and 2.4 m at 50 km, the axes within 0.0001 degree; at most
 * 0.001 of the region's smallest sigma. The geodesic function is still
 * used beyond 50 km or 70 degrees. Fusion's reported positions come from
 * solve(), not from these centres: they only find and rank candidates. */
static void region_plane(const truce_bearing *b, double *lat, double *lon,
                         double *sxx, double *sxy, double *syy) {
  double mid = (b->dist_min_m + b->dist_max_m) / 2, az = b->bearing_deg * DEG;
  double my, mx, conv = 0;
  /* Twice: the chord runs at the mean of the azimuths at its ends, the
   * bearing turned by half the convergence the first pass finds. */
  for (int pass = 0; pass < 2; pass++) {
    double a = az + conv / 2, dx = mid * sin(a), dy = mid * cos(a);
    mpd(b->lat_deg, &my, &mx);
    mpd(b->lat_deg + dy / my / 2, &my, &mx); /* at the middle latitude */
    *lat = b->lat_deg + dy / my;
    *lon = wrap180(b->lon_deg + dx / mx);
    conv = wrap180(*lon - b->lon_deg) * DEG *
           sin((b->lat_deg + *lat) / 2 * DEG);
  }
  double azc = az + conv;
  /* as truce_bearing_region: uniform distance, normal angle */
  double sa = (b->dist_max_m - b->dist_min_m) / sqrt(12);
  double sr = b->spread_deg / 2 * DEG, ed2 = mid * mid + sa * sa;
  double c2 = (1 + exp(-2 * sr * sr)) / 2;
  double va = ed2 * c2 - 2 * mid * mid * exp(-sr * sr / 2) + mid * mid;
  double vc = ed2 * (1 - c2);
  if (va < 0)
    va = 0;
  double so = b->origin_radius_m / TRUCE_ELLIPSE_K95;
  va += so * so;
  vc += so * so;
  double ux = sin(azc), uy = cos(azc); /* along the line */
  *sxx = va * ux * ux + vc * uy * uy;
  *syy = va * uy * uy + vc * ux * ux;
  *sxy = (va - vc) * ux * uy;
}

truce_err truce_fuse_new(const truce_fuse_opts *opts, truce_fusion **out) {
  *out = NULL;
  truce_fusion *f = truce_calloc(1, sizeof *f);
  if (!f)
    return TRUCE_ENOMEM;
  if (opts)
    f->opt = *opts;
  else
    truce_fuse_defaults(&f->opt);
  if (!(f->opt.k_sigma > 0) || !(f->opt.los_range_m > 0) ||
      !(f->opt.time_slack_ms >= 0) || !(f->opt.min_sigma_m > 0)) {
    truce_free(f);
    return TRUCE_EINVAL;
  }
  if (f->opt.expect_obs) {
    size_t n = f->opt.expect_obs < FUSE_OBS_MAX ? f->opt.expect_obs : 1024;
    f->obs = truce_malloc(n * sizeof *f->obs);
    if (!f->obs) {
      truce_free(f);
      return TRUCE_ENOMEM;
    }
    f->capobs = n;
  }
  *out = f;
  return TRUCE_OK;
}

void truce_fuse_free(truce_fusion *f) {
  if (!f)
    return;
  for (size_t i = 0; i < f->nsrc; i++) {
    truce_free(f->src[i].name);
    truce_free(f->src[i].party);
  }
  for (size_t i = 0; i < f->nsys; i++)
    truce_free(f->sys[i]);
  truce_free(f->sys);
  truce_free(f->src);
  truce_free(f->obs);
  truce_free(f->order);
  truce_free(f->inc);
  truce_free(f->heads);
  truce_free(f->occ);
  truce_free(f->ent);
  truce_free(f->members);
  truce_free(f->sum);
  truce_free(f->parties);
  truce_free(f->ev);
  truce_free(f->srcmark);
  truce_free(f->srcbest);
  truce_free(f->srclist);
  truce_free(f->fire);
  truce_free(f->fb);
  truce_free(f);
}

const char *truce_fuse_errmsg(const truce_fusion *f) {
  return f ? f->err : "no fusion";
}

static char *dupstr(const char *s) {
  size_t n = strlen(s);
  char *c = truce_malloc(n + 1);
  if (c)
    memcpy(c, s, n + 1);
  return c;
}

truce_err truce_fuse_source(truce_fusion *f, const truce_source *s,
                            uint32_t *id) {
  *id = 0;
  if (!f || !s || f->ran)
    return TRUCE_EINVAL;
  for (size_t i = f->nsrc; i-- > 0;)
    if (strcmp(f->src[i].name, s->name) == 0) {
      *id = (uint32_t)i;
      return TRUCE_OK;
    }
  if (f->nsrc == SOURCES_MAX)
    return seterr(f->err, TRUCE_ETOOBIG, "more than %d sources",
                  SOURCES_MAX);
  if (f->nsrc == f->capsrc) {
    size_t nc = f->capsrc ? f->capsrc * 2 : 16;
    fsrc *p = truce_realloc(f->src, nc * sizeof *p);
    if (!p)
      return seterr(f->err, TRUCE_ENOMEM, "out of memory");
    f->src = p;
    f->capsrc = nc;
  }
  fsrc *d = &f->src[f->nsrc];
  d->name = dupstr(s->name);
  d->party = dupstr(s->party);
  if (!d->name || !d->party) {
    truce_free(d->name);
    truce_free(d->party);
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  }
  d->means = s->means;
  d->reliability = s->reliability > 0 && s->reliability <= 1
                       ? s->reliability
                       : 0.5;
  *id = (uint32_t)f->nsrc++;
  return TRUCE_OK;
}

static truce_err intern_system(truce_fusion *f, const char *raw,
                               uint16_t *out) {
  const char *canon = NULL;
  if (truce_weapon_lookup(raw, NULL, NULL, &canon) != TRUCE_OK)
    canon = raw;
  for (size_t i = 0; i < f->nsys; i++)
    if (strcmp(f->sys[i], canon) == 0) {
      *out = (uint16_t)(i + 1);
      return TRUCE_OK;
    }
  if (f->nsys == SYSTEMS_MAX - 1) {
    *out = 0; /* beyond the table: treated as unnamed */
    return TRUCE_OK;
  }
  if (f->nsys == f->capsys) {
    size_t nc = f->capsys ? f->capsys * 2 : 16;
    char **p = truce_realloc(f->sys, nc * sizeof *p);
    if (!p)
      return TRUCE_ENOMEM;
    f->sys = p;
    f->capsys = nc;
  }
  if (!(f->sys[f->nsys] = dupstr(canon)))
    return TRUCE_ENOMEM;
  *out = (uint16_t)++f->nsys;
  return TRUCE_OK;
}

truce_err truce_fuse_add(truce_fusion *f, const truce_obs *o, uint64_t index,
                         uint32_t pos, uint32_t source) {
  if (!f || !o || f->ran || source >= f->nsrc)
    return f ? seterr(f->err, TRUCE_EINVAL, "invalid observation or source")
             : TRUCE_EINVAL;
  if (o->what == TRUCE_WHAT_NONE || o->what >= TRUCE_WHAT_COUNT ||
      !isfinite(o->lat_deg) || !isfinite(o->lon_deg))
    return seterr(f->err, TRUCE_EINVAL, "observation %" PRIu64 ":%u: invalid",
                  index, pos);
  if (f->nobs >= FUSE_OBS_MAX)
    return seterr(f->err, TRUCE_ETOOBIG, "too many observations");
  if (f->nobs == f->capobs) {
    size_t nc = f->capobs ? f->capobs + f->capobs / 2 : 1024;
    fob *p = truce_realloc(f->obs, nc * sizeof *p);
    if (!p)
      return seterr(f->err, TRUCE_ENOMEM, "out of memory");
    f->obs = p;
    f->capobs = nc;
  }
  fob *b = &f->obs[f->nobs];
  memset(b, 0, sizeof *b);
  b->index = index;
  b->pos = pos;
  b->inc = UINT32_MAX;
  b->src = (uint16_t)source;
  b->what = (uint8_t)o->what;
  b->count = o->count ? o->count : 1;
  b->means = 0;
  unsigned m = o->means ? o->means : f->src[source].means;
  for (unsigned k = 0; k < TRUCE_MEANS_COUNT; k++)
    if (m & (1u << k)) {
      b->means = (uint8_t)(k + 1);
      break;
    }
  if (o->is_window) {
    b->is_window = 1;
    b->t0 = o->t_ms;
    b->t1 = o->t_end_ms;
    /* a window in whole minutes is good to a minute */
    b->minutes = o->t_ms % 60000 == 0 && o->t_end_ms % 60000 == 0;
  } else {
    int64_t p = (int64_t)o->precision_s * 1000;
    b->t0 = o->t_ms - p;
    b->t1 = o->t_ms + p;
  }
  b->olat = b->lat = o->lat_deg;
  b->olon = b->lon = o->lon_deg;
  double ms = f->opt.min_sigma_m;
  if (o->where_kind == TRUCE_WHERE_BEARING) {
    truce_bearing tb;
    if (truce_bearing_from_obs(o, &tb, NULL) != TRUCE_OK)
      return seterr(f->err, TRUCE_EINVAL,
                    "observation %" PRIu64 ":%u: invalid bearing", index,
                    pos);
    b->bearing = (float)tb.bearing_deg;
    b->spread = (float)tb.spread_deg;
    b->dmin = (float)tb.dist_min_m;
    b->dmax = (float)tb.dist_max_m;
    truce_ellipse e;
    double xx, xy, yy, rlat, rlon;
    bool plane = tb.dist_max_m > 0 &&
                 (tb.dist_min_m + tb.dist_max_m) / 2 <= REGION_PLANE_M &&
                 fabs(tb.lat_deg) <= 70;
    if (plane)
      region_plane(&tb, &rlat, &rlon, &xx, &xy, &yy);
    if (!plane && tb.dist_max_m > 0 &&
        truce_bearing_region(&tb, &e, NULL) == TRUCE_OK) {
      ellipse_cov(&e, &xx, &xy, &yy);
      rlat = e.lat_deg;
      rlon = e.lon_deg;
      plane = true;
    }
    if (plane) {
      b->kind = K_REGION;
      b->lat = rlat;
      b->lon = rlon;
      b->sxx = (float)(xx + ms * ms);
      b->sxy = (float)xy;
      b->syy = (float)(yy + ms * ms);
    } else {
      b->kind = K_LOS;
    }
  } else {
    double s = o->uncertainty_m / 2;
    if (s < ms)
      s = ms;
    b->kind = K_POINT;
    b->sxx = b->syy = (float)(s * s);
  }
  if (o->has_fire) {
    b->has_fire = 1;
    b->fire_from = (float)o->fire_from_deg;
    /* towards the weapon, from the observer or the point itself
     * (fire_position); a direction the bearing functions refuse still
     * counts in the mean direction */
    truce_bearing fb;
    if (truce_fire_bearing_from_obs(o, &fb, NULL) == TRUCE_OK) {
      double cd = round(fb.spread_deg * 100);
      b->fire_spread = (uint16_t)(cd < 1 ? 1 : cd > 18000 ? 18000 : cd);
    }
  }
  truce_weapon_class cls = TRUCE_WEAPON_NONE;
  double cal = 0;
  unsigned flags = 0;
  truce_obs_classify(o, &cls, &cal, &flags);
  b->weapon = (uint8_t)cls;
  b->calibre = (float)cal;
  if (o->system[0] && intern_system(f, o->system, &b->system))
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  f->nobs++;
  return TRUCE_OK;
}

size_t truce_fuse_nobs(const truce_fusion *f) { return f ? f->nobs : 0; }

size_t truce_fuse_bytes(const truce_fusion *f) {
  if (!f)
    return 0;
  return f->capobs * sizeof(fob) + f->capinc * sizeof(finc) +
         f->capent * sizeof(gent) + (f->hmask + 1) * sizeof(uint32_t) +
         (f->occ ? (f->omask + 1) / 8 : 0) +
         (f->order ? f->nobs * sizeof(uint32_t) : 0) +
         (f->members ? f->nobs * sizeof(uint32_t) : 0) +
         (f->sum ? f->ninc * sizeof(fsum) : 0) + f->capparties +
         f->capev * sizeof(truce_evidence) +
         f->capfire * sizeof(truce_ellipse) + f->capfb * sizeof(truce_bearing);
}

/* ---- canonical order ---- */

/* qsort has no context argument: the fusion being sorted, under a lock
 * so that fusions in different threads do not mix. */
static const truce_fusion *sort_ctx;
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static void sort_with(const truce_fusion *f, void *base, size_t n,
                      size_t size, int (*cmp)(const void *, const void *)) {
  pthread_mutex_lock(&sort_lock);
  sort_ctx = f;
  qsort(base, n, size, cmp);
  sort_ctx = NULL;
  pthread_mutex_unlock(&sort_lock);
}

static int cmp_cite(const fob *x, const fob *y) {
  if (x->index != y->index)
    return x->index < y->index ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int cmp_cites(const void *a, const void *b) {
  return cmp_cite(&sort_ctx->obs[*(const uint32_t *)a],
                  &sort_ctx->obs[*(const uint32_t *)b]);
}

static int cmp_canon(const void *a, const void *b) {
  const fob *x = &sort_ctx->obs[*(const uint32_t *)a];
  const fob *y = &sort_ctx->obs[*(const uint32_t *)b];
  if (x->t0 != y->t0)
    return x->t0 < y->t0 ? -1 : 1;
  return cmp_cite(x, y);
}

/* Best placed first (size_key's class), then canonical. */
static int cmp_seed(const void *a, const void *b) {
  const fob *x = &sort_ctx->obs[*(const uint32_t *)a];
  const fob *y = &sort_ctx->obs[*(const uint32_t *)b];
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  return cmp_canon(a, b);
}

/* ---- the grid: a hash multimap from (grid, cell, time bucket) ---- */

static uint64_t cell_key(int grid, int64_t cx, int64_t cy, int64_t tb) {
  return (uint64_t)grid << 62 | ((uint64_t)cx & 0xFFFFF) << 42 |
         ((uint64_t)cy & 0x1FFFFF) << 21 | ((uint64_t)tb & 0x1FFFFF);
}

static size_t hash64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return (size_t)k;
}

/* The slot of a key: each time bucket owns a block of 4096 slots, so the
 * passes, which go forward in time, stay in a few blocks of the table. */
static size_t slot_of(const truce_fusion *f, uint64_t key, size_t h) {
  return ((size_t)(key & 0x1FFFFF) * 4096 + (h & 4095)) & f->hmask;
}

/* The occupancy bit of a key, in a block of 32768 bits (4 KB) per time
 * bucket: most cells a query visits hold no anchor, and this answers
 * them from a few kilobytes that stay in the cache, where the hash
 * table's heads would be a cache miss each. A set bit may be another
 * key's (then the chain is walked for nothing); a clear bit is never
 * wrong. */
static bool occupied(const truce_fusion *f, uint64_t key, size_t h) {
  size_t b = ((size_t)(key & 0x1FFFFF) * 32768 + ((h >> 16) & 32767)) &
             f->omask;
  return f->occ[b >> 6] >> (b & 63) & 1;
}

static void occupy(truce_fusion *f, uint64_t key, size_t h) {
  size_t b = ((size_t)(key & 0x1FFFFF) * 32768 + ((h >> 16) & 32767)) &
             f->omask;
  f->occ[b >> 6] |= 1ull << (b & 63);
}

/* Does the grid hold anything in the time buckets a query over [t0, t1]
 * visits? (false: certainly not) */
static int64_t bucket_of(const truce_fusion *f, int grid, int64_t t);
/* How far beyond its own interval an incident is filed, and a query
 * looks, in time: the slack, and the minute a time in whole minutes may be
 * off. The two together cover every pair time_meets can accept (its
 * tolerance is two slacks and up to two minutes). */
static int64_t bucket_slack_ms(const truce_fusion *f) {
  return (int64_t)f->opt.time_slack_ms + 60000;
}
static bool grid_has_time(const truce_fusion *f, int grid, int64_t t0,
                          int64_t t1) {
  int64_t slack = bucket_slack_ms(f);
  int64_t b0 = bucket_of(f, grid, t0 - slack), b1 = bucket_of(f, grid, t1 + slack);
  if (b1 - b0 >= TBITS)
    return true;
  for (int64_t tb = b0; tb <= b1; tb++)
    if (f->tocc[grid][(size_t)tb % TBITS / 64] >> ((size_t)tb % 64) & 1)
      return true;
  return false;
}

static double cell_m(int grid) {
  return grid == 2 ? COARSE_CELL_M : grid ? MID_CELL_M : FINE_CELL_M;
}
static int64_t span_ms(int grid) {
  return grid == 2 ? COARSE_SPAN_MS : grid ? MID_SPAN_MS : FINE_SPAN_MS;
}

static void cell_of(const truce_fusion *f, int grid, double lat, double lon,
                    int64_t *cx, int64_t *cy) {
  double c = cell_m(grid);
  *cy = (int64_t)floor(lat * 111000.0 / c);
  *cx = (int64_t)floor(lon * 111320.0 * f->cos_ref / c);
}

static int64_t bucket_of(const truce_fusion *f, int grid, int64_t t) {
  int64_t d = t - f->tmin;
  return d < 0 ? 0 : d / span_ms(grid);
}

static truce_err grid_put(truce_fusion *f, int grid, uint32_t inc) {
  const finc *c = &f->inc[inc];
  int64_t cx, cy, slack = bucket_slack_ms(f);
  cell_of(f, grid, c->lat, c->lon, &cx, &cy);
  int64_t b0 = bucket_of(f, grid, c->t0 - slack),
          b1 = bucket_of(f, grid, c->t1 + slack);
  for (int64_t tb = b0; tb <= b1; tb++) {
    if (f->nent == f->capent) {
      size_t nc = f->capent ? f->capent + f->capent / 2 : 1024;
      gent *p = truce_realloc(f->ent, nc * sizeof *p);
      if (!p)
        return seterr(f->err, TRUCE_ENOMEM, "out of memory");
      f->ent = p;
      f->capent = nc;
    }
    uint64_t key = cell_key(grid, cx, cy, tb);
    size_t hk = hash64(key >> 21), h = slot_of(f, key, hk);
    occupy(f, key, hk);
    f->tocc[grid][(size_t)tb % TBITS / 64] |= 1ull << ((size_t)tb % 64);
    gent *e = &f->ent[f->nent];
    e->key = key;
    e->inc = inc;
    e->next = f->heads[h];
    f->heads[h] = (uint32_t)++f->nent; /* 0: empty */
  }
  return TRUCE_OK;
}

/* Visit the incidents of `grid` whose cell lies within reach_m of (lat,
 * lon) and whose time buckets meet [t0, t1] (slack included). Each once. */
typedef void (*visit_fn)(truce_fusion *f, uint32_t inc, void *ctx);

static void grid_visit_stamped(truce_fusion *f, int grid, double lat,
                               double lon, double reach_m, int64_t t0,
                               int64_t t1, visit_fn fn, void *ctx,
                               uint32_t stamp);

static void grid_visit(truce_fusion *f, int grid, double lat, double lon,
                       double reach_m, int64_t t0, int64_t t1, visit_fn fn,
                       void *ctx) {
  grid_visit_stamped(f, grid, lat, lon, reach_m, t0, t1, fn, ctx, ++f->stamp);
}

/* The same, with the caller's stamp: incidents already visited under it
 * (by an earlier call) are skipped. */
static void grid_visit_stamped(truce_fusion *f, int grid, double lat,
                               double lon, double reach_m, int64_t t0,
                               int64_t t1, visit_fn fn, void *ctx,
                               uint32_t stamp) {
  /* the cells that meet the square of side 2 reach_m around the point
   * (a bound on the work: reaches beyond 64 cells are not searched) */
  double c = cell_m(grid);
  if (reach_m > 64 * c)
    reach_m = 64 * c;
  double dlat = reach_m / 111000.0, dlon = reach_m / (111320.0 * f->cos_ref);
  int64_t x0, y0, x1, y1;
  cell_of(f, grid, lat - dlat, lon - dlon, &x0, &y0);
  cell_of(f, grid, lat + dlat, lon + dlon, &x1, &y1);
  int64_t slack = bucket_slack_ms(f);
  int64_t b0 = bucket_of(f, grid, t0 - slack), b1 = bucket_of(f, grid, t1 + slack);
  if (b1 - b0 > 512)
    b1 = b0 + 512;
  for (int64_t y = y0; y <= y1; y++)
    for (int64_t x = x0; x <= x1; x++) {
      size_t hk = hash64(cell_key(grid, x, y, 0) >> 21); /* the cell's */
      for (int64_t tb = b0; tb <= b1; tb++) {
        uint64_t key = cell_key(grid, x, y, tb);
        if (!occupied(f, key, hk))
          continue;
        for (uint32_t e = f->heads[slot_of(f, key, hk)]; e;
             e = f->ent[e - 1].next) {
          const gent *g = &f->ent[e - 1];
          if (g->key != key || f->inc[g->inc].stamp == stamp)
            continue;
          f->inc[g->inc].stamp = stamp;
          fn(f, g->inc, ctx);
        }
      }
    }
}

/* The cells along a line of sight: for each row of cells it crosses, the
 * columns from the westmost to the eastmost cell that any of the squares
 * along it meets (a superset of their union: a row's cells are one run
 * for a straight line). Rows beyond ROWS_MAX are not searched (a bound on
 * the work for a range of hundreds of cells). */
#define ROWS_MAX 512
typedef struct rows {
  int64_t y0, n;
  int64_t x0[ROWS_MAX], x1[ROWS_MAX];
} rows;

/* The square of side 2 reach_m around a point, added to r. */
static void rows_add(const truce_fusion *f, int grid, double lat, double lon,
                     double reach_m, rows *r) {
  double c = cell_m(grid);
  if (reach_m > 64 * c)
    reach_m = 64 * c;
  double dlat = reach_m / 111000.0, dlon = reach_m / (111320.0 * f->cos_ref);
  int64_t x0, y0, x1, y1;
  cell_of(f, grid, lat - dlat, lon - dlon, &x0, &y0);
  cell_of(f, grid, lat + dlat, lon + dlon, &x1, &y1);
  if (r->n == 0) {
    r->y0 = y0;
  } else if (y0 < r->y0) { /* shift the rows down to start at y0 */
    int64_t sh = r->y0 - y0;
    if (r->n + sh > ROWS_MAX)
      sh = ROWS_MAX - r->n;
    if (sh <= 0)
      return;
    memmove(r->x0 + sh, r->x0, (size_t)r->n * sizeof *r->x0);
    memmove(r->x1 + sh, r->x1, (size_t)r->n * sizeof *r->x1);
    for (int64_t i = 0; i < sh; i++) {
      r->x0[i] = INT64_MAX;
      r->x1[i] = INT64_MIN;
    }
    r->y0 -= sh;
    r->n += sh;
  }
  for (int64_t y = y0 < r->y0 ? r->y0 : y0; y <= y1; y++) {
    int64_t i = y - r->y0;
    if (i >= ROWS_MAX)
      break;
    while (r->n <= i) {
      r->x0[r->n] = INT64_MAX;
      r->x1[r->n] = INT64_MIN;
      r->n++;
    }
    if (x0 < r->x0[i])
      r->x0[i] = x0;
    if (x1 > r->x1[i])
      r->x1[i] = x1;
  }
}

static void grid_visit_rows(truce_fusion *f, int grid, const rows *r,
                            int64_t t0, int64_t t1, visit_fn fn, void *ctx) {
  int64_t slack = bucket_slack_ms(f);
  int64_t b0 = bucket_of(f, grid, t0 - slack),
          b1 = bucket_of(f, grid, t1 + slack);
  if (b1 - b0 > 512)
    b1 = b0 + 512;
  uint32_t stamp = ++f->stamp;
  for (int64_t i = 0; i < r->n; i++)
    for (int64_t x = r->x0[i]; x <= r->x1[i]; x++) {
      size_t hk = hash64(cell_key(grid, x, r->y0 + i, 0) >> 21);
      for (int64_t tb = b0; tb <= b1; tb++) {
        uint64_t key = cell_key(grid, x, r->y0 + i, tb);
        if (!occupied(f, key, hk))
          continue;
        for (uint32_t e = f->heads[slot_of(f, key, hk)]; e;
             e = f->ent[e - 1].next) {
          const gent *g = &f->ent[e - 1];
          if (g->key != key || f->inc[g->inc].stamp == stamp)
            continue;
          f->inc[g->inc].stamp = stamp;
          fn(f, g->inc, ctx);
        }
      }
    }
}

/* ---- assignment ---- */

typedef struct best {
  const fob *o;
  uint32_t inc;
  double score;
  frame fr; /* at the observation (located) or its observer (LOS) */
} best;

/* Do two time intervals allow one event? They must overlap (with the
 * slack on each side, and a minute more for a window in whole minutes,
 * a second for one in seconds); two windows must also start and end
 * together, within the same tolerance: two reports of one event give
 * its span. Times heard are first
 * corrected for the sound's travel (event_time). */
#define SOUND_MPS 343.0

/* When the event happened, by an observation, if it was at (lat, lon):
 * what was heard (audio, acoustic sensors) is corrected for the sound's
 * travel from there to the observer. */
static void event_time(const fob *o, double lat, double lon, int64_t *t0,
                       int64_t *t1) {
  *t0 = o->t0;
  *t1 = o->t1;
  unsigned m = o->means ? 1u << (o->means - 1) : 0;
  if (o->kind == K_POINT || !(m & (TRUCE_MEANS_AUDIO | TRUCE_MEANS_ACOUSTIC)))
    return;
  double dx, dy;
  offset(o->olat, o->olon, lat, lon, &dx, &dy);
  int64_t delay = (int64_t)(len2d(dx, dy) / SOUND_MPS * 1000);
  *t0 -= delay;
  *t1 -= delay;
}

static bool time_meets(const truce_fusion *f, const finc *c, const fob *o) {
  int64_t t0, t1;
  event_time(o, c->lat, c->lon, &t0, &t1);
  int64_t s = 2 * (int64_t)f->opt.time_slack_ms + (c->minutes ? 60000 : 1000) +
              (o->minutes ? 60000 : 1000);
  if (t0 > c->t1 + s || c->t0 > t1 + s)
    return false;
  /* two windows: the event's span, stated twice */
  return !(c->is_window && o->is_window) ||
         (llabs(t0 - c->t0) <= s && llabs(t1 - c->t1) <= s);
}

/* How far apart in time, as a squared number of half-widths: ranks the
 * candidates (the same event is seen at the same time), never gates. */
static double time_score(const truce_fusion *f, const finc *c, const fob *o) {
  double mo = ((double)o->t0 + (double)o->t1) / 2,
         mc = ((double)c->t0 + (double)c->t1) / 2;
  double tau = (double)(o->t1 - o->t0 + c->t1 - c->t0) / 2 +
               f->opt.time_slack_ms;
  double z = (mo - mc) / tau;
  return z * z;
}

/* Between two incidents equally good: the one whose seed comes first by
 * citation (not by creation, which depends on the order of the passes). */
static bool seed_first(const truce_fusion *f, uint32_t a, uint32_t b) {
  return b == UINT32_MAX ||
         cmp_cite(&f->obs[f->inc[a].seed], &f->obs[f->inc[b].seed]) < 0;
}

/* A located observation against an incident: the squared Mahalanobis
 * distance of their centres under the sum of their covariances. */
static void visit_located(truce_fusion *f, uint32_t i, void *ctx) {
  best *b = ctx;
  const finc *c = &f->inc[i];
  const fob *o = b->o;
  if (!compatible(f, c, o) || !time_meets(f, c, o))
    return;
  double dx, dy;
  frame_xy(&b->fr, c->lat, c->lon, &dx, &dy);
  double a = (double)c->sxx + o->sxx, bb = (double)c->sxy + o->sxy,
         d = (double)c->syy + o->syy;
  double det = a * d - bb * bb;
  if (!(det > 0))
    return;
  double m2 = (d * dx * dx - 2 * bb * dx * dy + a * dy * dy) / det;
  double k = f->opt.k_sigma;
  if (m2 > k * k)
    return;
  m2 += time_score(f, c, o);
  if (m2 < b->score || (m2 == b->score && seed_first(f, i, b->inc))) {
    b->score = m2;
    b->inc = i;
  }
}

/* A line of sight against an incident: how many sigmas the incident's
 * anchor lies off the line, ahead of the observer and within range. */
static void visit_los(truce_fusion *f, uint32_t i, void *ctx) {
  best *b = ctx;
  const finc *c = &f->inc[i];
  const fob *o = b->o;
  if (!compatible(f, c, o) || !time_meets(f, c, o))
    return;
  double dx, dy;
  frame_xy(&b->fr, c->lat, c->lon, &dx, &dy);
  double dist = len2d(dx, dy);
  if (dist > f->opt.los_range_m || dist < 1)
    return;
  double off = wrap180(atan2(dx, dy) / DEG - o->bearing);
  if (fabs(off) >= 90)
    return;
  double cross = dist * sin(fabs(off) * DEG);
  double sr = o->spread / 2 * DEG;
  /* the anchor's variance across the line of sight */
  double bt = o->bearing * DEG, nx = cos(bt), ny = -sin(bt);
  double va = c->sxx * nx * nx + 2 * c->sxy * nx * ny + c->syy * ny * ny;
  double s2 = dist * sr * dist * sr + va;
  double m2 = cross * cross / s2;
  double k = f->opt.k_sigma;
  if (m2 > k * k)
    return;
  m2 += time_score(f, c, o);
  if (m2 < b->score || (m2 == b->score && seed_first(f, i, b->inc))) {
    b->score = m2;
    b->inc = i;
  }
}

/* Room for one more incident (the array grows by half). */
static truce_err room_for_incident(truce_fusion *f) {
  if (f->ninc < f->capinc)
    return TRUCE_OK;
  size_t nc = f->capinc ? f->capinc + f->capinc / 2 : 1024;
  finc *p = truce_realloc(f->inc, nc * sizeof *p);
  if (!p)
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  f->inc = p;
  f->capinc = nc;
  return TRUCE_OK;
}

static truce_err new_incident(truce_fusion *f, uint32_t seed, double lat,
                              double lon, double sxx, double sxy, double syy,
                              uint32_t *out) {
  truce_err rc = room_for_incident(f);
  if (rc)
    return rc;
  const fob *o = &f->obs[seed];
  finc *c = &f->inc[f->ninc];
  memset(c, 0, sizeof *c);
  c->lat = lat;
  c->lon = lon;
  c->sxx = (float)sxx;
  c->sxy = (float)sxy;
  c->syy = (float)syy;
  event_time(o, lat, lon, &c->t0, &c->t1); /* the seed's times */
  c->is_window = o->is_window;
  c->minutes = o->minutes;
  c->seed = seed;
  c->group = (uint8_t)group_of(o->what);
  c->weapon = o->weapon;
  c->system = o->system;
  double s = sigma_max(sxx, sxy, syy);
  double reach = f->opt.k_sigma * M_SQRT2 * s;
  int64_t span = c->t1 - c->t0;
  c->grid = s <= FINE_SIGMA_M && span <= FINE_SPAN_MS / 2   ? 0
            : reach <= MID_CELL_M && span <= MID_SPAN_MS / 2 ? 1
                                                             : 2;
  *out = (uint32_t)f->ninc++;
  if (s > f->smax[c->grid])
    f->smax[c->grid] = s;
  f->ngrid[c->grid]++;
  return grid_put(f, c->grid, *out);
}

static truce_err join_or_seed(truce_fusion *f, uint32_t oi) {
  fob *o = &f->obs[oi];
  best b = {o, UINT32_MAX, DBL_MAX, {0, 0, 0, 0}};
  frame_init(&b.fr, o->lat, o->lon);
  double so = sigma_max(o->sxx, o->sxy, o->syy), k = f->opt.k_sigma;
  for (int grid = 0; grid < NGRID; grid++) {
    if (!f->ngrid[grid] || !grid_has_time(f, grid, o->t0, o->t1))
      continue;
    double sa = f->smax[grid];
    double reach = k * sqrt(so * so + sa * sa);
    grid_visit(f, grid, o->lat, o->lon, reach, o->t0, o->t1, visit_located,
               &b);
  }
  if (b.inc != UINT32_MAX) {
    o->inc = b.inc;
    return TRUCE_OK;
  }
  return new_incident(f, oi, o->lat, o->lon, o->sxx, o->sxy, o->syy,
                      &o->inc);
}

static truce_err los_join(truce_fusion *f, uint32_t oi) {
  fob *o = &f->obs[oi];
  best b = {o, UINT32_MAX, DBL_MAX, {0, 0, 0, 0}};
  frame_init(&b.fr, o->olat, o->olon);
  double range = f->opt.los_range_m, bt = o->bearing * DEG;
  double my, mx;
  mpd(o->olat, &my, &mx);
  for (int grid = 0; grid < NGRID; grid++) {
    if (!f->ngrid[grid] || !grid_has_time(f, grid, o->t0, o->t1))
      continue;
    /* along the line of sight, in steps of half a cell, the cells that
     * reach across it as far as an incident could lie off it there */
    double sa = f->smax[grid], c = cell_m(grid), sb = o->spread / 2 * DEG;
    double ux = sin(bt) / mx, uy = cos(bt) / my;
    rows r;
    r.n = 0;
    r.y0 = 0;
    for (double t = 0; t <= range + c / 2; t += c / 2) {
      double tt = t + c / 2, sr = tt * sb;
      double across = f->opt.k_sigma * sqrt(sr * sr + sa * sa) + c / 4;
      rows_add(f, grid, o->olat + t * uy, o->olon + t * ux, across, &r);
    }
    grid_visit_rows(f, grid, &r, o->t0, o->t1, visit_los, &b);
  }
  if (b.inc != UINT32_MAX)
    o->inc = b.inc;
  return TRUCE_OK;
}

/* Two lines of sight from different observers: where they cross. */
static bool solve(const truce_fusion *f, const uint32_t *idx, size_t n,
                  double rlat, double rlon, double *px, double *py,
                  double *pxx, double *pxy, double *pyy, int *tri);

static bool crossing(const truce_fusion *f, uint32_t ia, uint32_t ib,
                     truce_ellipse *e) {
  const fob *a = &f->obs[ia], *b = &f->obs[ib];
  double dx, dy;
  offset(a->olat, a->olon, b->olat, b->olon, &dx, &dy);
  double base = len2d(dx, dy);
  if (base < 50 || base > 2 * f->opt.los_range_m)
    return false; /* one place, or too far apart to see one event */
  /* where the two lines cross, on the plane at a's observer */
  double ua = a->bearing * DEG, ub = b->bearing * DEG;
  double ax = sin(ua), ay = cos(ua), bx = sin(ub), by = cos(ub);
  double den = ax * by - ay * bx; /* sin of the angle between them */
  if (fabs(den) < sin(TRUCE_TRIANGULATE_MIN_CROSS_DEG * DEG))
    return false;
  double ta = (dx * by - dy * bx) / den, tb = (dx * ay - dy * ax) / den;
  if (ta <= 0 || tb <= 0 || ta > f->opt.los_range_m ||
      tb > f->opt.los_range_m)
    return false;
  uint32_t idx[2] = {ia, ib};
  double x = ta * ax, y = ta * ay, pxx, pxy, pyy;
  int tri;
  if (!solve(f, idx, 2, a->olat, a->olon, &x, &y, &pxx, &pxy, &pyy, &tri))
    return false;
  unoffset(a->olat, a->olon, x, y, &e->lat_deg, &e->lon_deg);
  cov_ellipse(pxx, pxy, pyy, e);
  return true;
}

/* Lines of sight tried as partners of one (a bound on the work where
 * many are seen at once). */
#define PAIR_SEARCH_MAX 512

/* Can two lines of sight crossing at e see one event (times at e)? */
static bool pair_times(const truce_fusion *f, const fob *a, const fob *b,
                       const truce_ellipse *e) {
  finc c;
  memset(&c, 0, sizeof c);
  c.lat = e->lat_deg;
  c.lon = e->lon_deg;
  c.is_window = a->is_window;
  c.minutes = a->minutes;
  event_time(a, c.lat, c.lon, &c.t0, &c.t1);
  return time_meets(f, &c, b);
}

/* Lines of sight that joined nothing: pair them into crossings. Each
 * unmatched line, in canonical order, seeds an incident at its best
 * crossing with a later unmatched line (the smallest ellipse, then the
 * canonical order); lines after it may then join that incident. */
static truce_err los_pair(truce_fusion *f, const uint32_t *los, size_t n) {
  truce_err rc = TRUCE_OK;
  for (size_t i = 0; !rc && i < n; i++) {
    fob *a = &f->obs[los[i]];
    if (a->inc != UINT32_MAX)
      continue;
    if ((rc = los_join(f, los[i])) || a->inc != UINT32_MAX)
      continue;
    double bestm = DBL_MAX;
    truce_ellipse be;
    size_t bj = 0;
    for (size_t j = i + 1; j < n && j <= i + PAIR_SEARCH_MAX; j++) {
      const fob *b = &f->obs[los[j]];
      if (b->t0 > a->t1 + 2 * (int64_t)f->opt.time_slack_ms + 60000)
        break; /* los[] is in canonical order: by t0 */
      if (b->inc != UINT32_MAX || group_of(b->what) != group_of(a->what) ||
          (group_of(a->what) == G_OTHER && a->what != b->what) ||
          (group_of(a->what) == G_WEAPON && a->weapon != b->weapon))
        continue;
      truce_ellipse e;
      /* the same event is seen at the same time: the closest in time,
       * then the smallest ellipse */
      double dt = (double)(llabs(a->t0 - b->t0) + llabs(a->t1 - b->t1)) /
                  (f->opt.time_slack_ms + 1);
      if (crossing(f, los[i], los[j], &e) && pair_times(f, a, b, &e) &&
          dt + e.major_m / 1000 < bestm) {
        bestm = dt + e.major_m / 1000;
        be = e;
        bj = j;
      }
    }
    if (bestm == DBL_MAX)
      continue; /* alone: an incident of its own, without position */
    double xx, xy, yy;
    ellipse_cov(&be, &xx, &xy, &yy);
    fob *b = &f->obs[los[bj]];
    if ((rc = new_incident(f, los[i], be.lat_deg, be.lon_deg, xx, xy, yy,
                           &a->inc)))
      break;
    b->inc = a->inc;
  }
  return rc;
}

/* Lines of sight still alone, once every located observation has its
 * incident: join one, or stand alone (an incident without position). */
static truce_err los_last(truce_fusion *f, const uint32_t *los, size_t n) {
  truce_err rc = TRUCE_OK;
  for (size_t i = 0; !rc && i < n; i++) {
    fob *a = &f->obs[los[i]];
    if (a->inc != UINT32_MAX || (rc = los_join(f, los[i])) ||
        a->inc != UINT32_MAX)
      continue;
    if ((rc = room_for_incident(f)))
      return rc;
    finc *c = &f->inc[f->ninc];
    memset(c, 0, sizeof *c);
    c->lat = a->olat;
    c->lon = a->olon;
    c->t0 = a->t0;
    c->t1 = a->t1;
    c->seed = los[i];
    c->group = (uint8_t)group_of(a->what);
    a->inc = (uint32_t)f->ninc++;
  }
  return rc;
}

/* ---- incidents: summaries ---- */

/* Confidence: 1 - prod over distinct sources of (1 - p_s), p_s the
 * source's reliability times the strength of its best means in the
 * incident (docs/fusion.md). */
static double means_strength(unsigned bit1, unsigned src_means, int kind) {
  unsigned m = bit1 ? 1u << (bit1 - 1) : src_means;
  double s = 0.3;
  if (m & (TRUCE_MEANS_CAMERA | TRUCE_MEANS_DRONE))
    s = 0.9;
  else if (m & (TRUCE_MEANS_ACOUSTIC | TRUCE_MEANS_RADAR))
    s = 0.8;
  else if (m & (TRUCE_MEANS_SATELLITE | TRUCE_MEANS_VISUAL))
    s = 0.7;
  else if (m & TRUCE_MEANS_AUDIO)
    s = 0.6;
  else if (m & TRUCE_MEANS_REPORT)
    s = 0.3;
  if (kind != K_POINT && s < 0.95)
    s += 0.05; /* a bearing: the observer's own position is known */
  return s;
}

static const fob *mob(const truce_fusion *f, size_t k) {
  return &f->obs[f->members[k]];
}

static truce_err add_parties(truce_fusion *f, const char **names, size_t n,
                             uint32_t *out) {
  size_t need = 1;
  for (size_t i = 0; i < n; i++)
    need += strlen(names[i]) + 1;
  if (f->nparties + need > f->capparties) {
    size_t nc = f->capparties ? f->capparties * 2 : 4096;
    while (nc < f->nparties + need)
      nc *= 2;
    char *p = truce_realloc(f->parties, nc);
    if (!p)
      return TRUCE_ENOMEM;
    f->parties = p;
    f->capparties = nc;
  }
  /* Reuse the previous list if it is the same (common: one party). */
  *out = (uint32_t)f->nparties;
  char *d = f->parties + f->nparties;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(names[i]);
    if (i)
      *d++ = ',';
    memcpy(d, names[i], l);
    d += l;
  }
  *d++ = 0;
  f->nparties = (size_t)(d - f->parties);
  return TRUCE_OK;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

#define PARTIES_MAX 16

/* The position that best fits observations (indices into f->obs), by
 * weighted least squares on the tangent plane at (rlat, rlon): a point
 * pulls with its covariance; a bearing by its angle (sigma = spread / 2);
 * a distance range by its middle (sigma = (max - min) / sqrt(12)).
 * Gauss-Newton from the weighted points (or the first crossing), until a
 * step is below 1 cm (at most 20). On the plane the azimuths are off by
 * less than 0.1 degree within 20 km at mid latitudes: well inside any
 * reported spread. *tri is set when two or more bearings from observers
 * at least 50 m apart took part. False when the data give no position. */
static bool solve(const truce_fusion *f, const uint32_t *idx, size_t n,
                  double rlat, double rlon, double *px, double *py,
                  double *pxx, double *pxy, double *pyy, int *tri) {
  double x = *px, y = *py;
  size_t nb = 0;
  bool distinct = false;
  frame fr;
  frame_init(&fr, rlat, rlon);
  double fx = 0, fy = 0; /* the first observer */
  /* start: the points' weighted mean, else the anchor (x, y given) */
  double ixx = 0, ixy = 0, iyy = 0, bx = 0, by = 0;
  for (size_t k = 0; k < n; k++) {
    const fob *o = &f->obs[idx[k]];
    double dx, dy;
    if (o->kind != K_POINT) {
      frame_xy(&fr, o->olat, o->olon, &dx, &dy);
      if (nb++ == 0) {
        fx = dx;
        fy = dy;
      } else if (!distinct) {
        distinct = len2d(dx - fx, dy - fy) >= 50;
      }
      if (o->kind == K_LOS)
        continue;
    }
    double det = (double)o->sxx * o->syy - (double)o->sxy * o->sxy;
    if (!(det > 0))
      continue;
    frame_xy(&fr, o->lat, o->lon, &dx, &dy);
    double axx = o->syy / det, axy = -o->sxy / det, ayy = o->sxx / det;
    ixx += axx;
    ixy += axy;
    iyy += ayy;
    bx += axx * dx + axy * dy;
    by += axy * dx + ayy * dy;
  }
  double det0 = ixx * iyy - ixy * ixy;
  if (det0 > 0) {
    x = (iyy * bx - ixy * by) / det0;
    y = (ixx * by - ixy * bx) / det0;
  }
  double A[3] = {0, 0, 0};
  for (int it = 0; it < 20; it++) {
    double a11 = 0, a12 = 0, a22 = 0, g1 = 0, g2 = 0;
    for (size_t k = 0; k < n; k++) {
      const fob *o = &f->obs[idx[k]];
      double dx, dy;
      if (o->kind == K_POINT) {
        double det = (double)o->sxx * o->syy - (double)o->sxy * o->sxy;
        if (!(det > 0))
          continue;
        frame_xy(&fr, o->lat, o->lon, &dx, &dy);
        double axx = o->syy / det, axy = -o->sxy / det, ayy = o->sxx / det;
        double rx = x - dx, ry = y - dy;
        a11 += axx;
        a12 += axy;
        a22 += ayy;
        g1 += axx * rx + axy * ry;
        g2 += axy * rx + ayy * ry;
        continue;
      }
      frame_xy(&fr, o->olat, o->olon, &dx, &dy);
      double ux = x - dx, uy = y - dy, r2 = ux * ux + uy * uy;
      if (r2 < 1)
        r2 = 1;
      double r = sqrt(r2);
      /* bearing: residual in radians */
      double sb = (double)o->spread / 2 * DEG;
      double res = wrap180(atan2(ux, uy) / DEG - o->bearing) * DEG;
      double jx = uy / r2, jy = -ux / r2, w = 1 / (sb * sb);
      a11 += w * jx * jx;
      a12 += w * jx * jy;
      a22 += w * jy * jy;
      g1 += w * jx * res;
      g2 += w * jy * res;
      if (o->kind == K_REGION) {
        double sr = ((double)o->dmax - o->dmin) / sqrt(12);
        if (sr < 1)
          sr = 1;
        double rr = r - ((double)o->dmin + o->dmax) / 2;
        double kx = ux / r, ky = uy / r, wr = 1 / (sr * sr);
        a11 += wr * kx * kx;
        a12 += wr * kx * ky;
        a22 += wr * ky * ky;
        g1 += wr * kx * rr;
        g2 += wr * ky * rr;
      }
    }
    double det = a11 * a22 - a12 * a12;
    if (!(det > 1e-18 * (a11 * a22 + 1e-300)) || !(det > 0))
      return false;
    double sx = -(a22 * g1 - a12 * g2) / det, sy = -(a11 * g2 - a12 * g1) / det;
    /* damp long steps: the bearing model is linear only nearby */
    double len = len2d(sx, sy), lim = 0.5 * len2d(x - fx, y - fy) + 100;
    if (nb && len > lim) {
      sx *= lim / len;
      sy *= lim / len;
    }
    x += sx;
    y += sy;
    A[0] = a22 / det;
    A[1] = -a12 / det;
    A[2] = a11 / det;
    if (len2d(sx, sy) < 0.01)
      break;
  }
  if (!isfinite(x) || !isfinite(y) || len2d(x, y) > 2 * f->opt.los_range_m +
                                          1e6)
    return false;
  /* every bearing must look towards it */
  for (size_t k = 0; k < n; k++) {
    const fob *o = &f->obs[idx[k]];
    if (o->kind == K_POINT)
      continue;
    double dx, dy;
    frame_xy(&fr, o->olat, o->olon, &dx, &dy);
    double off = wrap180(atan2(x - dx, y - dy) / DEG - o->bearing);
    if (fabs(off) >= 90)
      return false;
  }
  *px = x;
  *py = y;
  *pxx = A[0];
  *pxy = A[1];
  *pyy = A[2];
  *tri = nb >= 2 && distinct;
  return true;
}

/* Fitting lines of sight towards a weapon on the plane (fire_fit): the
 * normal equations at a point, in metres east and north, and how the
 * point fails. */
typedef struct fnormal {
  double nee, nen, nnn, ve, vn, cost;
  int why; /* FIT_OK, or why the point is no answer */
} fnormal;

enum { FIT_OK, FIT_BAD, FIT_FAR };

/* Within this distance of every origin (and 70 degrees of latitude) the
 * firing position is fitted on the plane; beyond, by truce_triangulate. */
#define FIRE_PLANE_M 50000.0

/* The residuals of lines of sight b[0..n-1] at (lat, lon): each line's
 * azimuth to the point is the chord's on the plane at the middle
 * latitude (offset) turned back by half the meridians' convergence
 * (region_plane's chord, the other way round); its sigma the spread's,
 * widened by the origin's at the point's distance, as truce_triangulate
 * does. A point at or behind an origin is FIT_BAD; farther than
 * FIRE_PLANE_M from one, FIT_FAR. */
static void fire_eval(const truce_bearing *b, size_t n, double lat,
                      double lon, fnormal *q) {
  memset(q, 0, sizeof *q);
  for (size_t j = 0; j < n; j++) {
    double dx, dy;
    offset(b[j].lat_deg, b[j].lon_deg, lat, lon, &dx, &dy);
    double r2 = dx * dx + dy * dy, r = sqrt(r2);
    if (r > FIRE_PLANE_M) {
      q->why = FIT_FAR;
      return;
    }
    double conv = wrap180(lon - b[j].lon_deg) *
                  sin((lat + b[j].lat_deg) / 2 * DEG);
    double off = wrap180(atan2(dx, dy) / DEG - conv / 2 - b[j].bearing_deg);
    if (r < 1 || fabs(off) >= 90) {
      q->why = FIT_BAD;
      return;
    }
    double sr = b[j].spread_deg / 2 * DEG,
           so = b[j].origin_radius_m / TRUCE_ELLIPSE_K95 / r;
    double w = 1 / (sr * sr + so * so), res = off * DEG;
    double jx = dy / r2, jy = -dx / r2; /* the azimuth's gradient */
    q->nee += w * jx * jx;
    q->nen += w * jx * jy;
    q->nnn += w * jy * jy;
    q->ve += w * jx * res;
    q->vn += w * jy * res;
    q->cost += w * res * res;
  }
}

/* truce_triangulate's fit on the plane, for fire_position: the first
 * guess is the weighted crossing of the straight lines on the plane at
 * the first origin (refused within TRUCE_TRIANGULATE_MIN_CROSS_DEG of
 * parallel, as there); then Gauss-Newton steps, each halved while it
 * makes the fit worse, until one is under a centimetre (at most 20
 * steps, else refused); the ellipse is the 95% region of the inverse of
 * the normal equations at the estimate; *rms as truce_triangulate's.
 * Measured against truce_triangulate in test_fuse (test_fire_floor: two
 * or three directions within 20 km, about 240 fits a run, 20 runs): the
 * centres within 15 m and 0.011 of the minor semi-axis, the axes within
 * 0.3%, their azimuths within 0.2 degree. Returns
 * FIT_OK, FIT_BAD (refused), or FIT_FAR: beyond the plane's reach, for
 * the caller to fit geodesically. */
static int fire_fit(const truce_bearing *b, size_t n, truce_ellipse *out,
                    double *rms) {
  frame fr;
  frame_init(&fr, b[0].lat_deg, b[0].lon_deg);
  double a11 = 0, a12 = 0, a22 = 0, c1 = 0, c2 = 0, s11 = 0, s12 = 0,
         s22 = 0;
  for (size_t j = 0; j < n; j++) {
    if (fabs(b[j].lat_deg) > 70)
      return FIT_FAR;
    double px, py, u = b[j].bearing_deg * DEG;
    frame_xy(&fr, b[j].lat_deg, b[j].lon_deg, &px, &py);
    double ux = sin(u), uy = cos(u), nx = -uy, ny = ux;
    double sr = b[j].spread_deg / 2 * DEG, w = 1 / (sr * sr);
    double np = nx * px + ny * py;
    a11 += w * nx * nx;
    a12 += w * nx * ny;
    a22 += w * ny * ny;
    c1 += w * nx * np;
    c2 += w * ny * np;
    s11 += ux * ux;
    s12 += ux * uy;
    s22 += uy * uy;
  }
  /* two lines at angle a: eigenvalues 1 +- cos a, ratio tan^2(a / 2) */
  double half = (s11 + s22) / 2;
  double dd = sqrt((s11 - s22) * (s11 - s22) / 4 + s12 * s12);
  double tmin = tan(TRUCE_TRIANGULATE_MIN_CROSS_DEG * DEG / 2);
  double det = a11 * a22 - a12 * a12;
  if (half - dd < tmin * tmin * (half + dd) ||
      !(det > 1e-12 * (a11 + a22) * (a11 + a22)))
    return FIT_BAD;
  double x = (a22 * c1 - a12 * c2) / det, y = (a11 * c2 - a12 * c1) / det;
  if (!(len2d(x, y) < FIRE_PLANE_M))
    return FIT_FAR;
  double lat, lon;
  unoffset(fr.lat, fr.lon, x, y, &lat, &lon);
  fnormal q, t;
  fire_eval(b, n, lat, lon, &q);
  for (int steps = 0, evals = 0; q.why == FIT_OK;) {
    det = q.nee * q.nnn - q.nen * q.nen;
    if (!(det > 0))
      return FIT_BAD;
    double de = -(q.nnn * q.ve - q.nen * q.vn) / det;
    double dn = -(q.nee * q.vn - q.nen * q.ve) / det;
    double step = len2d(de, dn), k = 1;
    bool done = step < 0.01;
    if (!done && steps++ == 20)
      return FIT_BAD;
    /* halve the step while it makes the fit worse (far from the answer
     * the angles are far from linear); the last, under a centimetre, is
     * taken when it helps */
    double tlat, tlon;
    for (;;) {
      if (evals++ == 100)
        return FIT_BAD;
      unoffset(lat, lon, k * de, k * dn, &tlat, &tlon);
      fire_eval(b, n, tlat, tlon, &t);
      if (t.why == FIT_FAR)
        return FIT_FAR;
      if (t.why == FIT_OK && t.cost <= q.cost * (1 + 1e-12) + 1e-18)
        break;
      k /= 2;
      if (done || k * step < 0.01)
        break;
    }
    bool better = t.why == FIT_OK && t.cost <= q.cost * (1 + 1e-12) + 1e-18;
    if (better) {
      lat = tlat;
      lon = tlon;
      q = t;
    }
    if (done || !better)
      break;
  }
  if (q.why != FIT_OK)
    return q.why;
  det = q.nee * q.nnn - q.nen * q.nen;
  if (!(det > 0))
    return FIT_BAD;
  out->lat_deg = lat;
  out->lon_deg = lon;
  cov_ellipse(q.nnn / det, -q.nen / det, q.nee / det, out);
  *rms = sqrt(q.cost / (double)n);
  return FIT_OK;
}

/* The 99% point of a chi-squared with k degrees of freedom (Wilson and
 * Hilferty's cube-root normal approximation: 6.58 for k = 1 against
 * 6.63, within 0.5% from k = 2). */
static double chi2_99(double k) {
  double a = 2 / (9 * k), c = 1 - a + 2.3263478740408408 * sqrt(a);
  return k * c * c * c;
}

/* The firing position: the directions of fire of an incident's members,
 * as lines of sight towards the weapon (truce_fire_bearing_from_obs:
 * from the observer of a bearing report, or from a point report's own
 * position, widened by its radius, here twice its sigma: its uncertainty,
 * at least 2 min_sigma_m), triangulated when they come from two or more
 * origins at least 50 m apart, as for the event's own position. At most
 * TRUCE_TRIANGULATE_MAX of them, the first by citation. The fit is
 * truce_triangulate's on the plane (fire_fit: a geodesic fit costs about
 * 20 microseconds, as much as fusing 15 observations), or
 * truce_triangulate itself beyond FIRE_PLANE_M or 70 degrees of latitude.
 * The position stays unknown, not guessed, when
 * - the fit is refused (lines within a degree of parallel, meeting at or
 *   behind an origin or too far away, no convergence);
 * - the 95% ellipse holds an origin: the directions fix no distance (the
 *   weapon may be at the observer, or the lines diverge within their
 *   spreads); the linear ellipse is not to be trusted there either;
 * - three or more directions disagree: their chi-squared (n rms^2, n - 2
 *   degrees of freedom) is beyond its 99% point: one of them is another
 *   event's, or wrong. */
static truce_err fire_position(truce_fusion *f, size_t first, size_t n,
                               fsum *s) {
  size_t nb = 0;
  bool distinct = false;
  for (size_t k = first; k < first + n && nb < TRUCE_TRIANGULATE_MAX; k++) {
    const fob *o = mob(f, k);
    if (!o->fire_spread)
      continue;
    if (nb == f->capfb) {
      size_t nc = f->capfb ? 2 * f->capfb : 16;
      if (nc > TRUCE_TRIANGULATE_MAX)
        nc = TRUCE_TRIANGULATE_MAX;
      truce_bearing *p = truce_realloc(f->fb, nc * sizeof *p);
      if (!p)
        return seterr(f->err, TRUCE_ENOMEM, "out of memory");
      f->fb = p;
      f->capfb = nc;
    }
    truce_bearing *b = &f->fb[nb];
    memset(b, 0, sizeof *b);
    b->lat_deg = o->olat; /* the observer, or the point itself */
    b->lon_deg = o->olon;
    b->bearing_deg = o->fire_from;
    b->spread_deg = o->fire_spread / 100.0;
    if (o->kind == K_POINT) {
      double r = 2 * sqrt((double)o->sxx);
      b->origin_radius_m = fmin(r, TRUCE_TRIANGULATE_MAX_M);
    }
    if (nb && !distinct) {
      double dx, dy;
      offset(f->fb[0].lat_deg, f->fb[0].lon_deg, b->lat_deg, b->lon_deg, &dx,
             &dy);
      distinct = len2d(dx, dy) >= 50;
    }
    nb++;
  }
  truce_ellipse e;
  double rms = 0;
  if (nb < 2 || !distinct)
    return TRUCE_OK;
  int fit = fire_fit(f->fb, nb, &e, &rms);
  if (fit == FIT_FAR)
    fit = truce_triangulate(f->fb, nb, &e, &rms, NULL) ? FIT_BAD : FIT_OK;
  if (fit != FIT_OK)
    return TRUCE_OK;
  if (nb > 2 && (double)nb * rms * rms > chi2_99((double)nb - 2))
    return TRUCE_OK;
  double xx, xy, yy;
  ellipse_cov(&e, &xx, &xy, &yy);
  double det = xx * yy - xy * xy;
  for (size_t k = 0; k < nb; k++) {
    double dx, dy;
    offset(e.lat_deg, e.lon_deg, f->fb[k].lat_deg, f->fb[k].lon_deg, &dx,
           &dy);
    if (!(det > 0) || (yy * dx * dx - 2 * xy * dx * dy + xx * dy * dy) / det <=
                          TRUCE_ELLIPSE_K95 * TRUCE_ELLIPSE_K95)
      return TRUCE_OK;
  }
  if (f->nfire == f->capfire) {
    size_t nc = f->capfire ? 2 * f->capfire : 64;
    truce_ellipse *p = truce_realloc(f->fire, nc * sizeof *p);
    if (!p)
      return seterr(f->err, TRUCE_ENOMEM, "out of memory");
    f->fire = p;
    f->capfire = nc;
  }
  e.lat_deg = round(e.lat_deg * 1e7) / 1e7;
  e.lon_deg = round(e.lon_deg * 1e7) / 1e7;
  f->fire[f->nfire++] = e;
  s->fire_at = (uint32_t)f->nfire;
  return TRUCE_OK;
}

static truce_err summarise(truce_fusion *f, size_t first, size_t n,
                           fsum *s) {
  memset(s, 0, sizeof *s);
  s->first = (uint32_t)first;
  s->nobs = (uint32_t)n;
  const fob *e0 = mob(f, first);
  s->ev_index = e0->index;
  s->ev_pos = e0->pos;
  /* time: the intersection, else the span */
  int64_t lo = INT64_MIN, hi = INT64_MAX, mn = INT64_MAX, mx = INT64_MIN;
  unsigned whatn[TRUCE_WHAT_COUNT] = {0};
  double fsx = 0, fsy = 0;
  unsigned nfire = 0, nspread = 0;
  for (size_t k = first; k < first + n; k++) {
    const fob *o = mob(f, k);
    if (o->t0 > lo)
      lo = o->t0;
    if (o->t1 < hi)
      hi = o->t1;
    if (o->t0 < mn)
      mn = o->t0;
    if (o->t1 > mx)
      mx = o->t1;
    whatn[o->what]++;
    s->count_sum += o->count;
    if (o->count > s->count_max)
      s->count_max = o->count;
    if (o->weapon && o->weapon != TRUCE_WEAPON_UNKNOWN && !s->weapon)
      s->weapon = o->weapon;
    if (o->calibre > 0 && s->calibre == 0)
      s->calibre = o->calibre;
    if (o->has_fire) {
      fsx += sin(o->fire_from * DEG);
      fsy += cos(o->fire_from * DEG);
      nfire++;
      nspread += o->fire_spread > 0;
    }
  }
  s->t_ms = lo <= hi ? lo : mn;
  s->t_end_ms = lo <= hi ? hi : mx;
  unsigned bw = 0;
  for (unsigned w = 1; w < TRUCE_WHAT_COUNT; w++)
    if (whatn[w] > whatn[bw])
      bw = w;
  s->what = (uint8_t)bw;
  if (nfire) {
    s->has_fire = 1;
    double a = atan2(fsx, fsy) / DEG;
    s->fire_from = (float)(a < 0 ? a + 360 : a);
  }
  if (nspread >= 2) {
    truce_err rc = fire_position(f, first, n, s);
    if (rc)
      return rc;
  }
  /* sources and confidence: each source once, at its best */
  double miss = 1;
  const char *pn[PARTIES_MAX];
  size_t np = 0, ns = 0;
  uint32_t mark = ++f->srcstamp;
  for (size_t k = first; k < first + n; k++) {
    const fob *o = mob(f, k);
    double v = f->src[o->src].reliability *
               means_strength(o->means, f->src[o->src].means, o->kind);
    if (f->srcmark[o->src] != mark) {
      f->srcmark[o->src] = mark;
      f->srcbest[o->src] = v;
      f->srclist[ns++] = o->src;
    } else if (v > f->srcbest[o->src]) {
      f->srcbest[o->src] = v;
    }
  }
  s->nsources = (uint32_t)ns;
  for (size_t j = 0; j < ns; j++) {
    uint32_t src = f->srclist[j];
    miss *= 1 - f->srcbest[src];
    const char *party = f->src[src].party;
    bool dup = false;
    for (size_t q = 0; q < np && !dup; q++)
      dup = strcmp(pn[q], party) == 0;
    if (!dup && np < PARTIES_MAX)
      pn[np++] = party;
  }
  s->confidence = (float)(1 - miss);
  qsort(pn, np, sizeof *pn, cmp_str);
  if (add_parties(f, pn, np, &s->parties))
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  /* position: one weighted least-squares fit of every observation that
   * says where (docs/fusion.md) */
  const fob *ref = e0;
  for (size_t k = first; k < first + n; k++)
    if (mob(f, k)->kind != K_LOS) {
      ref = mob(f, k);
      break;
    }
  const finc *anchor = &f->inc[e0->inc];
  double rlat = ref->kind == K_LOS ? anchor->lat : ref->lat,
         rlon = ref->kind == K_LOS ? anchor->lon : ref->lon;
  double x = 0, y = 0, pxx = 0, pxy = 0, pyy = 0;
  int tri = 0;
  bool ok = solve(f, f->members + first, n, rlat, rlon, &x, &y, &pxx, &pxy,
                  &pyy, &tri);
  if (ok) {
    unoffset(rlat, rlon, x, y, &s->where.lat_deg, &s->where.lon_deg);
    cov_ellipse(pxx, pxy, pyy, &s->where);
    s->where.lat_deg = round(s->where.lat_deg * 1e7) / 1e7;
    s->where.lon_deg = round(s->where.lon_deg * 1e7) / 1e7;
    s->located = 1;
    s->triangulated = (uint8_t)tri;
    double r = s->where.major_m, my, mlx;
    mpd(s->where.lat_deg, &my, &mlx);
    s->south = s->where.lat_deg - r / my;
    s->north = s->where.lat_deg + r / my;
    s->west = s->where.lon_deg - r / mlx;
    s->east = s->where.lon_deg + r / mlx;
  } else {
    /* lines of sight only: the box of the lines (to their range) */
    s->south = s->north = e0->olat;
    s->west = s->east = e0->olon;
    s->where.lat_deg = e0->olat;
    s->where.lon_deg = e0->olon;
    for (size_t k = first; k < first + n; k++) {
      const fob *o = mob(f, k);
      double my, mlx;
      mpd(o->olat, &my, &mlx);
      double r = o->dmax > 0 ? o->dmax : f->opt.los_range_m;
      double pts[3][2] = {{o->olat, o->olon}, {0, 0}, {0, 0}};
      for (int sgn = -1, q = 1; sgn <= 1; sgn += 2, q++) {
        double az = ((double)o->bearing + sgn * (double)o->spread) * DEG;
        pts[q][0] = o->olat + r * cos(az) / my;
        pts[q][1] = o->olon + r * sin(az) / mlx;
      }
      for (int q = 0; q < 3; q++) {
        if (pts[q][0] < s->south)
          s->south = pts[q][0];
        if (pts[q][0] > s->north)
          s->north = pts[q][0];
        if (pts[q][1] < s->west)
          s->west = pts[q][1];
        if (pts[q][1] > s->east)
          s->east = pts[q][1];
      }
    }
  }
  return TRUCE_OK;
}


static int cmp_sum(const void *a, const void *b) {
  const fsum *x = a, *y = b;
  if (x->t_ms != y->t_ms)
    return x->t_ms < y->t_ms ? -1 : 1;
  if (x->ev_index != y->ev_index)
    return x->ev_index < y->ev_index ? -1 : 1;
  return x->ev_pos < y->ev_pos ? -1 : x->ev_pos > y->ev_pos;
}

typedef int (*tie_fn)(const truce_fusion *f, uint32_t a, uint32_t b);
static truce_err sort_keyed(truce_fusion *f, uint64_t *k, uint32_t *v,
                            size_t n, tie_fn tie);

static int tie_sum(const truce_fusion *f, uint32_t a, uint32_t b) {
  return cmp_sum(&f->sum[a], &f->sum[b]);
}

/* Incidents by (time, id): a radix sort of their times (from f->tmin,
 * which no incident's time precedes) and a permutation in place. */
static truce_err sort_sums(truce_fusion *f, size_t n) {
  uint64_t *k = truce_malloc((n ? n : 1) * sizeof *k);
  uint32_t *v = truce_malloc((n ? n : 1) * sizeof *v);
  if (!k || !v) {
    truce_free(k);
    truce_free(v);
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) {
    k[i] = (uint64_t)f->sum[i].t_ms - (uint64_t)f->tmin;
    v[i] = (uint32_t)i;
  }
  truce_err rc = sort_keyed(f, k, v, n, tie_sum);
  /* sum[i] takes sum[v[i]]: follow the cycles */
  for (size_t i = 0; !rc && i < n; i++) {
    if (v[i] == i)
      continue;
    fsum tmp = f->sum[i];
    size_t j = i;
    while (v[j] != i) {
      size_t next = v[j];
      f->sum[j] = f->sum[next];
      v[j] = (uint32_t)j;
      j = next;
    }
    f->sum[j] = tmp;
    v[j] = (uint32_t)j;
  }
  truce_free(k);
  truce_free(v);
  return rc;
}

/* The size key of a located observation: how far (in fine cells) and how
 * long (in fine spans) it reaches. Best-placed first. */
static double size_key(const truce_fusion *f, const fob *o) {
  double s = sigma_max(o->sxx, o->sxy, o->syy);
  double a = f->opt.k_sigma * M_SQRT2 * s / FINE_CELL_M;
  double b = (double)(o->t1 - o->t0) / (double)FINE_SPAN_MS;
  return a > b ? a : b;
}


/* Sorting observations: a stable LSD radix sort of 64-bit keys (8 bits a
 * pass, passes whose byte is the same everywhere skipped), then each run
 * of equal keys by citation (runs are short: a few observations share a
 * millisecond). The result is the order of (key, index, pos), whatever
 * order v[] came in. */
static int tie_cite(const truce_fusion *f, uint32_t a, uint32_t b) {
  return cmp_cite(&f->obs[a], &f->obs[b]);
}

static truce_err sort_keyed(truce_fusion *f, uint64_t *k, uint32_t *v,
                            size_t n, tie_fn tie) {
  if (n < 2)
    return TRUCE_OK;
  uint64_t *tk = truce_malloc(n * sizeof *tk);
  uint32_t *tv = truce_malloc(n * sizeof *tv);
  uint32_t(*cnt)[256] = truce_calloc(8, sizeof *cnt);
  if (!tk || !tv || !cnt) {
    truce_free(tk);
    truce_free(tv);
    truce_free(cnt);
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++)
    for (unsigned d = 0; d < 8; d++)
      cnt[d][(k[i] >> (8 * d)) & 255]++;
  uint64_t *sk = k, *dk = tk;
  uint32_t *sv = v, *dv = tv;
  for (unsigned d = 0; d < 8; d++) {
    if (cnt[d][(sk[0] >> (8 * d)) & 255] == n)
      continue; /* one value of this byte: nothing to do */
    uint32_t at[256], sum = 0;
    for (unsigned b = 0; b < 256; b++) {
      at[b] = sum;
      sum += cnt[d][b];
    }
    for (size_t i = 0; i < n; i++) {
      uint32_t j = at[(sk[i] >> (8 * d)) & 255]++;
      dk[j] = sk[i];
      dv[j] = sv[i];
    }
    uint64_t *t = sk;
    sk = dk;
    dk = t;
    uint32_t *u = sv;
    sv = dv;
    dv = u;
  }
  if (sk != k) {
    memcpy(k, sk, n * sizeof *k);
    memcpy(v, sv, n * sizeof *v);
  }
  truce_free(tk);
  truce_free(tv);
  truce_free(cnt);
  for (size_t i = 0, e; i < n; i = e) {
    for (e = i + 1; e < n && k[e] == k[i]; e++)
      ;
    for (size_t a = i + 1; a < e; a++)
      for (size_t b = a; b > i && tie(f, v[b], v[b - 1]) < 0; b--) {
        uint32_t t = v[b];
        v[b] = v[b - 1];
        v[b - 1] = t;
      }
  }
  return TRUCE_OK;
}

/* Best placed first (size class, from size_key), then time, then
 * citation; mode 1: time, then citation (lines of sight). Times are
 * counted from f->tmin (every t0 is at or after it).
 *
 * Mode 0 with block_ms > 0 gives an order with the same result as that
 * one, read in time: when no two of the observations whose t0 differ by
 * more than block_ms can meet (the caller's bound), only observations in
 * the same or adjacent blocks of time can meet, and the order by
 * (block + 2 x class, class, t0, citation), class numbered densely from
 * 0, puts every one of those pairs in the same order as (class, t0,
 * citation): for classes c' < c and blocks |b' - b| <= 1, b' + 2c' < b +
 * 2c; equal sums come from blocks at least 2 apart. Each decision depends
 * only on the observations that can meet it, so every decision, and the
 * result, is the same; the passes then sweep time once instead of once
 * per class (the grid stays in the cache). A key too long for 64 bits
 * falls back to the plain order. */
static truce_err sort_obs(truce_fusion *f, uint32_t *v, size_t n, int mode,
                          int64_t block_ms) {
  uint64_t *k = truce_malloc((n ? n : 1) * sizeof *k);
  if (!k)
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  /* each observation read once (they lie across memory): its time in
   * k[], its class (0-255, from size_key's whole numbers from -80 up)
   * kept in the top byte until the classes present are numbered densely */
  uint8_t dense[256];
  memset(dense, 0, sizeof dense);
  uint64_t maxdt = 0;
  bool fits = true;
  for (size_t i = 0; i < n; i++) {
    const fob *o = &f->obs[v[i]];
    uint64_t dt = (uint64_t)o->t0 - (uint64_t)f->tmin;
    double c = (double)o->key + 128;
    uint64_t cls = c < 0 ? 0 : c > 255 ? 255 : (uint64_t)c;
    if (dt > maxdt)
      maxdt = dt;
    fits = fits && dt < (1ull << 56);
    dense[cls] = 1;
    k[i] = mode == 1 ? dt : cls << 56 | (dt & ((1ull << 56) - 1));
  }
  unsigned ncls = 0;
  for (unsigned c = 0; c < 256; c++)
    dense[c] = dense[c] ? (uint8_t)ncls++ : 0;
  /* bits of the key: time within a block, class, diagonal */
  unsigned tbits = 0, dbits = 0;
  uint64_t blk = mode == 0 && block_ms > 0 ? (uint64_t)block_ms : 0;
  if (blk && maxdt / blk < (1ull << 40)) {
    while (tbits < 64 && (blk - 1) >> tbits)
      tbits++;
    uint64_t maxdiag = maxdt / blk + 2 * (uint64_t)ncls;
    while (dbits < 64 && maxdiag >> dbits)
      dbits++;
  }
  bool diag = blk && tbits + 8 + dbits <= 64 && maxdt / blk < (1ull << 40);
  fits = fits || mode == 1 || diag;
  for (size_t i = 0; diag && i < n; i++) {
    uint64_t cls = k[i] >> 56, dt = k[i] & ((1ull << 56) - 1);
    uint64_t b = dt / blk, d = dense[cls];
    k[i] = (b + 2 * d) << (tbits + 8) | d << tbits | (dt - b * blk);
  }
  truce_err rc = TRUCE_OK;
  if (fits) {
    rc = sort_keyed(f, k, v, n, tie_cite);
  } else {
    sort_with(f, v, n, sizeof *v, mode == 1 ? cmp_canon : cmp_seed);
  }
  truce_free(k);
  return rc;
}

/* The widest time tolerance time_meets allows on top of the intervals:
 * the slack on each side, and a minute for each of two windows in whole
 * minutes. */
static int64_t meet_slack_ms(const truce_fusion *f) {
  return 2 * (int64_t)f->opt.time_slack_ms + 2 * 60000;
}

/* Put the observations at [off, off + n) in the order ord[] gives
 * (absolute indices into obs; ord[] ends as the identity), by following
 * the permutation's cycles in place; orig[], if given, moves with them.
 * The record two steps ahead is fetched while one is moved: the cycles
 * jump across the array. */
static void permute(truce_fusion *f, uint32_t *ord, size_t off, size_t n,
                    uint32_t *orig) {
  for (size_t i = off; i < off + n; i++) {
    if (ord[i - off] == i)
      continue;
    fob tmp = f->obs[i];
    uint32_t to = orig ? orig[i] : 0;
    size_t j = i;
    while (ord[j - off] != i) {
      size_t next = ord[j - off];
      PREFETCH_REC(&f->obs[ord[next - off]]);
      f->obs[j] = f->obs[next];
      if (orig)
        orig[j] = orig[next];
      ord[j - off] = (uint32_t)j;
      j = next;
    }
    f->obs[j] = tmp;
    if (orig)
      orig[j] = to;
    ord[j - off] = (uint32_t)j;
  }
}

/* 0: a precise point, 1: a line of sight, 2: the rest. */
#define PRECISE_SIGMA_M 500.0
static int obs_class(const truce_fusion *f, const fob *o) {
  (void)f;
  if (o->kind == K_LOS)
    return 1;
  return o->kind == K_POINT && sigma_max(o->sxx, o->sxy, o->syy) <=
                                   PRECISE_SIGMA_M
             ? 0
             : 2;
}

/* The regions and imprecise points (pass 3), in the order of sort_obs's
 * blocks of time, once the anchors of passes 1 and 2 are known: an
 * observation's time is corrected for sound by at most D, its distance
 * from its observer to the farthest anchor it could reach over 343 m/s
 * (to its own centre, plus k times the combined largest sigmas), so two
 * of them meet only if their t0 differ by at most the widest interval
 * plus the tolerance plus D. They are then moved into that order (R is
 * the identity on [off, off + n) on entry), with orig[] if given. */
static truce_err order_regions(truce_fusion *f, uint32_t *R, size_t off,
                               size_t n, uint32_t *orig) {
  double smax = 0, far = 0;
  for (int g = 0; g < NGRID; g++)
    if (f->smax[g] > smax)
      smax = f->smax[g];
  int64_t w = 0;
  for (size_t i = 0; i < n; i++) {
    const fob *o = &f->obs[R[i]];
    double s = sigma_max(o->sxx, o->sxy, o->syy);
    if (s > smax)
      smax = s;
    if (o->t1 - o->t0 > w)
      w = o->t1 - o->t0;
  }
  for (size_t i = 0; i < n; i++) {
    const fob *o = &f->obs[R[i]];
    unsigned m = o->means ? 1u << (o->means - 1) : 0;
    if (o->kind == K_POINT || !(m & (TRUCE_MEANS_AUDIO | TRUCE_MEANS_ACOUSTIC)))
      continue;
    double dx, dy, s = sigma_max(o->sxx, o->sxy, o->syy);
    offset(o->olat, o->olon, o->lat, o->lon, &dx, &dy);
    double d = sqrt(dx * dx + dy * dy) + f->opt.k_sigma * sqrt(s * s + smax * smax);
    if (d > far)
      far = d;
  }
  double dms = far / SOUND_MPS * 1000 * 1.01 + 2; /* rounding, truncation */
  int64_t block = dms < 1e15 && w < INT64_MAX / 4
                      ? w + meet_slack_ms(f) + 2 * (int64_t)dms + 1
                      : 0;
  truce_err rc = sort_obs(f, R, n, 0, block);
  if (!rc)
    permute(f, R, off, n, orig);
  return rc;
}

truce_err truce_fuse_run(truce_fusion *f) {
  if (!f || f->ran)
    return TRUCE_EINVAL;
  f->ran = 1;
  size_t n = f->nobs;
  truce_err rc = TRUCE_OK;
  f->order = truce_malloc((n ? n : 1) * sizeof *f->order);
  size_t hs = 1024;
  while (hs < 2 * n)
    hs *= 2;
  f->heads = truce_calloc(hs, sizeof *f->heads);
  size_t os = 32768; /* bits: about 8 per observation */
  while (os < 8 * n)
    os *= 2;
  f->occ = truce_calloc(os / 64, sizeof *f->occ);
  if (!f->order || !f->heads || !f->occ)
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  f->hmask = hs - 1;
  f->omask = os - 1;
  /* One reading of the observations (120 MB at a million): keys,
   * classes, the extent, and whether the citations come in order. */
  double maxlat = 0;
  f->tmin = INT64_MAX;
  bool in_order = true;
  size_t np = 0, nlos = 0;
  int64_t wp = 0; /* the widest interval of a precise point */
  for (size_t i = 0; i < n; i++) {
    fob *o = &f->obs[i];
    f->order[i] = (uint32_t)i;
    /* best placed first, in classes a factor 2^(1/4) wide: within a
     * class, time order (and so memory order, as the log gives them) */
    double sk = size_key(f, o);
    double kc = sk > 1e-6 ? floor(4 * log2(sk)) : -80;
    o->key = (int16_t)(kc < INT16_MAX ? kc : INT16_MAX); /* >= -80 */
    if (fabs(o->lat) > maxlat)
      maxlat = fabs(o->lat);
    if (o->t0 < f->tmin)
      f->tmin = o->t0;
    if (i && in_order)
      in_order = cmp_cite(o - 1, o) < 0;
    /* Three classes, in this order (order[] will hold them side by
     * side): precise points (best placed first), lines of sight
     * (canonical order: they join those points or cross each other),
     * then regions and imprecise points (best placed first), then the
     * lines of sight still alone. */
    int c = o->pass = (uint8_t)obs_class(f, o);
    np += c == 0;
    nlos += c == 1;
    if (c == 0 && o->t1 - o->t0 > wp)
      wp = o->t1 - o->t0;
  }
  f->cos_ref = cos((maxlat < 85 ? maxlat : 85) * DEG);
  /* Each citation once (the check above is linear when they came in
   * order, as they do from the log). */
  if (!in_order) {
    sort_with(f, f->order, n, sizeof *f->order, cmp_cites);
    for (size_t i = 1; i < n; i++)
      if (cmp_cite(&f->obs[f->order[i - 1]], &f->obs[f->order[i]]) == 0) {
        const fob *o = &f->obs[f->order[i]];
        return seterr(f->err, TRUCE_EEXIST,
                      "observation %" PRIu64 ":%u added twice", o->index,
                      o->pos);
      }
  }
  size_t at[3] = {0, np, np + nlos};
  for (size_t i = 0; i < n; i++)
    f->order[at[f->obs[i].pass]++] = (uint32_t)i;
  uint32_t *P = f->order, *L = f->order + np, *R = f->order + np + nlos;
  size_t nr = n - np - nlos;
  /* Precise points: two meet only if their t0 differ by at most the
   * widest interval among them (wp) plus the tolerance (points' times
   * are not corrected for sound). */
  /* (R is ordered after pass 2: order_regions) */
  if ((rc = sort_obs(f, P, np, 0, wp + meet_slack_ms(f) + 1)) ||
      (rc = sort_obs(f, L, nlos, 1, 0)))
    return rc;
  /* Where each observation came from: when they were added in citation
   * order, its rank by citation, which puts the members of incidents in
   * citation order without comparing them (below). */
  uint32_t *orig = NULL;
  if (in_order) {
    orig = truce_malloc((n ? n : 1) * sizeof *orig);
    if (!orig)
      return seterr(f->err, TRUCE_ENOMEM, "out of memory");
    memcpy(orig, f->order, n * sizeof *orig);
  }
  /* The observations in the order they are processed: the passes then
   * read memory in order, and an incident's members lie close. */
  permute(f, f->order, 0, n, NULL);
  for (size_t i = 0; !rc && i < np; i++)
    rc = join_or_seed(f, P[i]);
  if (!rc)
    rc = los_pair(f, L, nlos);
  if (!rc)
    rc = order_regions(f, R, np + nlos, nr, orig);
  for (size_t i = 0; !rc && i < nr; i++)
    rc = join_or_seed(f, R[i]);
  if (!rc)
    rc = los_last(f, L, nlos);
  if (rc) {
    truce_free(orig);
    return rc;
  }
  /* The grid is no longer needed. */
  truce_free(f->heads);
  f->heads = NULL;
  f->hmask = 0;
  truce_free(f->occ);
  f->occ = NULL;
  f->omask = 0;
  truce_free(f->ent);
  f->ent = NULL;
  f->capent = f->nent = 0;
  /* members: by incident, then citation: a counting sort by incident,
   * then each incident's by citation (by taking the observations in
   * citation order when orig[] gives it, else by sorting) */
  f->members = f->order;
  f->order = NULL;
  uint32_t *start = truce_calloc(f->ninc + 2, sizeof *start);
  if (!start) {
    truce_free(orig);
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++)
    start[f->obs[i].inc + 2]++;
  for (size_t i = 0; i < f->ninc; i++)
    start[i + 2] += start[i + 1];
  /* start[inc + 1]: where incident inc begins; after the scatter, where
   * it ends, so that start[inc] is where it begins and start[ninc] n */
  if (orig) {
    /* orig[] becomes its inverse (position by citation rank); the
     * observations, taken in that order, fall into their incidents in
     * citation order */
    uint32_t *incs = truce_malloc((n ? n : 1) * sizeof *incs);
    if (!incs) {
      truce_free(start);
      truce_free(orig);
      return seterr(f->err, TRUCE_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
      f->members[orig[i]] = (uint32_t)i;
      incs[i] = f->obs[i].inc;
    }
    memcpy(orig, f->members, n * sizeof *orig);
    for (size_t r = 0; r < n; r++)
      f->members[start[incs[orig[r]] + 1]++] = orig[r];
    truce_free(incs);
  } else {
    for (size_t i = 0; i < n; i++)
      f->members[start[f->obs[i].inc + 1]++] = (uint32_t)i;
  }
  truce_free(orig);
  for (size_t q = 0, k, e; !in_order && q < f->ninc; q++) {
    k = start[q];
    e = start[q + 1];
    if (e - k > 16) {
      sort_with(f, f->members + k, e - k, sizeof *f->members, cmp_cites);
      continue;
    }
    for (size_t i = k + 1; i < e; i++)
      for (size_t j = i; j > k && cmp_cite(&f->obs[f->members[j]],
                                           &f->obs[f->members[j - 1]]) < 0;
           j--) {
        uint32_t t = f->members[j];
        f->members[j] = f->members[j - 1];
        f->members[j - 1] = t;
      }
  }
  f->sum = truce_malloc((f->ninc ? f->ninc : 1) * sizeof *f->sum);
  size_t ns = f->nsrc ? f->nsrc : 1;
  f->srcmark = truce_calloc(ns, sizeof *f->srcmark);
  f->srcbest = truce_calloc(ns, sizeof *f->srcbest);
  f->srclist = truce_calloc(ns, sizeof *f->srclist);
  if (!f->sum || !f->srcmark || !f->srcbest || !f->srclist) {
    truce_free(start);
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  }
  size_t ni = 0;
  for (size_t q = 0; !rc && q < f->ninc; q++) {
    /* the members of the incident after next, scattered over the
     * passes: fetched while this one is summarised */
    for (size_t k = start[q + 2]; q + 3 <= f->ninc && k < start[q + 3]; k++) {
      PREFETCH_REC(&f->obs[f->members[k]]);
    }
    if (start[q + 1] > start[q])
      rc = summarise(f, start[q], start[q + 1] - start[q], &f->sum[ni++]);
  }
  truce_free(start);
  f->ninc = ni;
  if (!rc)
    rc = sort_sums(f, ni);
  return rc;
}

size_t truce_fuse_count(const truce_fusion *f) {
  return f && f->sum ? f->ninc : 0;
}

truce_err truce_fuse_incident(truce_fusion *f, size_t i,
                              truce_incident *out) {
  memset(out, 0, sizeof *out);
  if (!f || !f->sum || i >= f->ninc)
    return TRUCE_ENOTFOUND;
  const fsum *s = &f->sum[i];
  if (s->nobs > f->capev) {
    truce_evidence *p = truce_realloc(f->ev, s->nobs * sizeof *p);
    if (!p)
      return seterr(f->err, TRUCE_ENOMEM, "out of memory");
    f->ev = p;
    f->capev = s->nobs;
  }
  for (uint32_t k = 0; k < s->nobs; k++) {
    const fob *o = mob(f, s->first + k);
    f->ev[k].index = o->index;
    f->ev[k].pos = o->pos;
    f->ev[k].source = f->src[o->src].name;
  }
  snprintf(out->id, sizeof out->id, "%" PRIu64 ".%u", s->ev_index, s->ev_pos);
  out->what = (truce_what)s->what;
  out->t_ms = s->t_ms;
  out->t_end_ms = s->t_end_ms;
  out->located = s->located;
  out->triangulated = s->triangulated;
  out->where = s->where;
  out->west_deg = s->west;
  out->south_deg = s->south;
  out->east_deg = s->east;
  out->north_deg = s->north;
  out->nobs = s->nobs;
  out->nsources = s->nsources;
  out->count_sum = s->count_sum;
  out->count_max = s->count_max;
  out->confidence = round((double)s->confidence * 1e4) / 1e4;
  out->weapon = (truce_weapon_class)s->weapon;
  out->calibre_mm = s->calibre;
  out->has_fire = s->has_fire;
  out->fire_from_deg = round((double)s->fire_from * 10) / 10;
  if (s->fire_at) {
    out->fire_located = 1;
    out->fire_where = f->fire[s->fire_at - 1];
  }
  out->parties = f->parties + s->parties;
  out->evidence = f->ev;
  out->nevidence = s->nobs;
  return TRUCE_OK;
}

/* ---- reading the log ---- */

truce_err truce_fuse_from_log(truce_fusion *f, truce_log *log,
                              int64_t from_ms, int64_t to_ms,
                              uint64_t *log_size) {
  if (log_size)
    *log_size = 0;
  if (!f || !log || f->ran)
    return TRUCE_EINVAL;
  uint64_t size;
  truce_err rc = truce_log_size(log, &size);
  if (rc)
    return seterr(f->err, rc, "%s", truce_log_errmsg(log));
  truce_buf b;
  truce_buf_init(&b, TRUCE_ENTRY_MAX + 1);
  truce_obs *o = truce_malloc(sizeof *o);
  truce_entry *e = truce_malloc(sizeof *e);
  truce_source *src = truce_malloc(sizeof *src);
  if (!o || !e || !src)
    rc = seterr(f->err, TRUCE_ENOMEM, "out of memory");
  char why[TRUCE_ERR_MAX];
  for (uint64_t i = 0; !rc && i < size; i++) {
    b.len = 0;
    if ((rc = truce_log_entry(log, i, &b))) {
      seterr(f->err, rc, "%s", truce_log_errmsg(log));
      break;
    }
    if (truce_entry_parse(b.data, b.len, e, why) != TRUCE_OK ||
        e->kind != TRUCE_ENTRY_BATCH)
      continue;
    uint32_t sid = UINT32_MAX;
    for (size_t k = 0; !rc && k < e->nlines; k++) {
      const char *line;
      size_t len;
      truce_entry_line(e, k, &line, &len);
      if (truce_obs_parse(line, len, e->time_ms, o, why) != TRUCE_OK)
        continue;
      int64_t end = o->is_window ? o->t_end_ms : o->t_ms;
      if (end < from_ms || o->t_ms >= to_ms)
        continue;
      if (sid == UINT32_MAX) {
        if (truce_log_source(log, e->signer, src) != TRUCE_OK) {
          memset(src, 0, sizeof *src);
          snprintf(src->name, sizeof src->name, "%s", e->signer);
          src->reliability = 0.5;
        }
        if ((rc = truce_fuse_source(f, src, &sid)))
          break;
      }
      /* A bearing the bearing functions refuse is skipped, as an
       * observation fusion cannot place. */
      rc = truce_fuse_add(f, o, i, (uint32_t)k, sid);
      if (rc == TRUCE_EINVAL)
        rc = TRUCE_OK;
    }
  }
  truce_free(o);
  truce_free(e);
  truce_free(src);
  truce_buf_release(&b);
  if (!rc && log_size)
    *log_size = size;
  return rc;
}

/* ---- formats ---- */

const char *truce_incident_csv_header(void) {
  return "id,what,time,time_end,located,triangulated,lat,lon,major_m,"
         "minor_m,azimuth_deg,observations,sources,count_sum,count_max,"
         "confidence,weapon,calibre_mm,fire_from_deg,parties,evidence,"
         "fire_located,fire_lat,fire_lon,fire_major_m,fire_minor_m,"
         "fire_azimuth_deg\n";
}

static truce_err put_members(const truce_incident *c, truce_buf *b) {
  char t0[32], t1[32];
  truce_time_format(c->t_ms, t0);
  truce_time_format(c->t_end_ms, t1);
  truce_err rc = truce_buf_appendf(
      b, "\"id\":\"%s\",\"what\":\"%s\",\"time\":\"%s\"", c->id,
      truce_what_name(c->what), t0);
  if (!rc && c->t_end_ms > c->t_ms)
    rc = truce_buf_appendf(b, ",\"time_end\":\"%s\"", t1);
  if (!rc && c->located)
    rc = truce_buf_appendf(b,
                           ",\"lat\":%.7f,\"lon\":%.7f,\"ellipse\":{\"major_m\""
                           ":%.1f,\"minor_m\":%.1f,\"azimuth_deg\":%.1f}",
                           c->where.lat_deg, c->where.lon_deg,
                           c->where.major_m, c->where.minor_m,
                           c->where.azimuth_deg);
  if (!rc)
    rc = truce_buf_appendf(
        b,
        ",\"bbox\":[%.7f,%.7f,%.7f,%.7f],\"located\":%s,\"triangulated\":%s,"
        "\"observations\":%u,\"sources\":%u,\"count_sum\":%" PRIu64
        ",\"count_max\":%u,\"confidence\":%.4f",
        c->west_deg, c->south_deg, c->east_deg, c->north_deg,
        c->located ? "true" : "false", c->triangulated ? "true" : "false",
        c->nobs, c->nsources, c->count_sum, c->count_max, c->confidence);
  if (!rc && c->weapon)
    rc = truce_buf_appendf(b, ",\"weapon\":\"%s\"",
                           truce_weapon_class_name(c->weapon));
  if (!rc && c->calibre_mm > 0)
    rc = truce_buf_appendf(b, ",\"calibre_mm\":%.1f", c->calibre_mm);
  if (!rc && c->has_fire)
    rc = truce_buf_appendf(b, ",\"fire_from_deg\":%.1f", c->fire_from_deg);
  if (!rc && c->fire_located)
    rc = truce_buf_appendf(
        b,
        ",\"fire_lat\":%.7f,\"fire_lon\":%.7f,\"fire_ellipse\":{\"major_m\""
        ":%.1f,\"minor_m\":%.1f,\"azimuth_deg\":%.1f}",
        c->fire_where.lat_deg, c->fire_where.lon_deg, c->fire_where.major_m,
        c->fire_where.minor_m, c->fire_where.azimuth_deg);
  if (!rc)
    rc = truce_buf_appendf(b, ",\"parties\":");
  if (!rc)
    rc = buf_put_json_str(b, c->parties ? c->parties : "");
  if (!rc)
    rc = truce_buf_appendf(b, ",\"evidence\":[");
  for (size_t i = 0; !rc && i < c->nevidence; i++) {
    const truce_evidence *e = &c->evidence[i];
    rc = truce_buf_appendf(b, "%s{\"entry\":%" PRIu64 ",\"obs\":%u,\"source\":",
                           i ? "," : "", e->index, e->pos);
    if (!rc)
      rc = buf_put_json_str(b, e->source ? e->source : "");
    if (!rc)
      rc = truce_buf_append(b, "}", 1);
  }
  return rc ? rc : truce_buf_append(b, "]", 1);
}

truce_err truce_incident_format(const truce_incident *c, int format,
                                truce_buf *out) {
  if (!c || !out)
    return TRUCE_EINVAL;
  size_t len0 = out->len;
  truce_err rc = TRUCE_OK;
  char t0[32], t1[32];
  truce_time_format(c->t_ms, t0);
  truce_time_format(c->t_end_ms, t1);
  switch (format) {
  case TRUCE_FORMAT_JSONL:
    rc = truce_buf_append(out, "{", 1);
    if (!rc)
      rc = put_members(c, out);
    if (!rc)
      rc = truce_buf_append(out, "}\n", 2);
    break;
  case TRUCE_FORMAT_GEOJSON:
    rc = truce_buf_appendf(out, "{\"type\":\"Feature\",\"id\":\"%s\",", c->id);
    if (!rc && c->located)
      rc = truce_buf_appendf(out,
                             "\"geometry\":{\"type\":\"Point\",\"coordinates\""
                             ":[%.7f,%.7f]},",
                             c->where.lon_deg, c->where.lat_deg);
    else if (!rc)
      rc = truce_buf_appendf(out, "\"geometry\":null,");
    if (!rc)
      rc = truce_buf_appendf(out, "\"properties\":{");
    if (!rc)
      rc = put_members(c, out);
    if (!rc)
      rc = truce_buf_append(out, "}}", 2);
    break;
  case TRUCE_FORMAT_CSV:
    rc = truce_buf_appendf(out, "%s,%s,%s,%s,%d,%d,", c->id,
                           truce_what_name(c->what), t0, t1, c->located,
                           c->triangulated);
    if (!rc && c->located)
      rc = truce_buf_appendf(out, "%.7f,%.7f,%.1f,%.1f,%.1f,",
                             c->where.lat_deg, c->where.lon_deg,
                             c->where.major_m, c->where.minor_m,
                             c->where.azimuth_deg);
    else if (!rc)
      rc = truce_buf_append(out, ",,,,,", 5);
    if (!rc)
      rc = truce_buf_appendf(out, "%u,%u,%" PRIu64 ",%u,%.4f,%s,", c->nobs,
                             c->nsources, c->count_sum, c->count_max,
                             c->confidence,
                             c->weapon ? truce_weapon_class_name(c->weapon)
                                       : "");
    if (!rc && c->calibre_mm > 0)
      rc = truce_buf_appendf(out, "%.1f", c->calibre_mm);
    if (!rc)
      rc = truce_buf_append(out, ",", 1);
    if (!rc && c->has_fire)
      rc = truce_buf_appendf(out, "%.1f", c->fire_from_deg);
    if (!rc)
      rc = truce_buf_append(out, ",", 1);
    if (!rc)
      rc = buf_put_csv_str(out, c->parties ? c->parties : "");
    if (!rc)
      rc = truce_buf_append(out, ",\"", 2);
    for (size_t i = 0; !rc && i < c->nevidence; i++)
      rc = truce_buf_appendf(out, "%s%" PRIu64 ":%u", i ? " " : "",
                             c->evidence[i].index, c->evidence[i].pos);
    if (!rc)
      rc = truce_buf_appendf(out, "\",%d,", c->fire_located ? 1 : 0);
    if (!rc && c->fire_located)
      rc = truce_buf_appendf(out, "%.7f,%.7f,%.1f,%.1f,%.1f\n",
                             c->fire_where.lat_deg, c->fire_where.lon_deg,
                             c->fire_where.major_m, c->fire_where.minor_m,
                             c->fire_where.azimuth_deg);
    else if (!rc)
      rc = truce_buf_append(out, ",,,,\n", 5);
    break;
  case TRUCE_FORMAT_TEXT:
    rc = truce_buf_appendf(out, "%s  %s  %s x%" PRIu64, t0, c->id,
                           truce_what_name(c->what), c->count_sum);
    if (!rc && c->located)
      rc = truce_buf_appendf(out, "  %.5f,%.5f +-%.0f m%s", c->where.lat_deg,
                             c->where.lon_deg, c->where.major_m,
                             c->triangulated ? " (triangulated)" : "");
    else if (!rc)
      rc = truce_buf_appendf(out, "  (lines of sight only)");
    if (!rc && c->fire_located)
      rc = truce_buf_appendf(out, "  fired from %.5f,%.5f +-%.0f m",
                             c->fire_where.lat_deg, c->fire_where.lon_deg,
                             c->fire_where.major_m);
    else if (!rc && c->has_fire)
      rc = truce_buf_appendf(out, "  fire from %.0f deg", c->fire_from_deg);
    if (!rc)
      rc = truce_buf_appendf(out, "  %u obs from %u sources, confidence %.2f\n",
                             c->nobs, c->nsources, c->confidence);
    break;
  default:
    rc = TRUCE_EINVAL;
  }
  if (rc) {
    out->len = len0;
    if (out->data)
      out->data[len0] = 0;
  }
  return rc;
}
