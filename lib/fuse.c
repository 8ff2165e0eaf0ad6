/*
 * fuse.c: fusion of observations into incidents (docs/fusion.md).
 *
 * Owns: the compact per-observation record (104 bytes, not the 3 KB
 * truce_obs; what few observations say, fire and weapons, beside it),
 * the space-time grid that finds candidates, the greedy
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
 *
 * Speed: the work is dominated by memory (a million records, moved twice
 * and read in passes) and by the grid's lookups. Shortcuts taken here
 * (a cell skipped as out of reach, a delay or an angle not computed
 * where its bound decides) are bounded with wide margins so that every
 * decision, and so every incident, is the same as without them; the
 * benchmark's incidents are compared byte for byte (docs/fusion.md).
 */
#include "internal.h"
#include "linecross.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define DEG (M_PI / 180)
/* A hint to fetch memory that will be read soon (GCC and Clang). */
#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#define PREFETCH_W(p) __builtin_prefetch(p, 1) /* to be written */
#else
#define PREFETCH(p) ((void)(p))
#define PREFETCH_W(p) ((void)(p))
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
/* Bounds on a search's probes: a reach of REACH_CELLS_MAX cells, and
 * BUCKETS_MAX + 1 time buckets. A search past either reads the grid's
 * entries instead (or, past the buckets only, probes them all where that
 * costs less), so that it finds the same incidents (scanned). */
#define REACH_CELLS_MAX 64
#define BUCKETS_MAX 512
/* Levels of time buckets: an anchor is filed in each of its grid's time
 * buckets that its interval (and the slack) meets, unless they are more
 * than LONG_BUCKETS (a window of weeks, months or years: ACLED's and
 * UCDP's week and month precision, a report "since 2014"); then in the
 * buckets of the lowest level that holds it in LONG_BUCKETS, a level's
 * buckets 2^LEVEL_BITS times the span of the one's below (nested: a
 * bucket of level L is 2^(L LEVEL_BITS) buckets of level 0). Without
 * them a window of years would be filed hundreds of thousands of times,
 * and two windows of weeks that overlap met once per bucket they share.
 * A search probes at each level the grid has anchors at (levels[]) the
 * buckets that hold its own (probes_levels). */
#define LEVEL_BITS 3
#define LONG_BUCKETS 8
/* The time buckets the searches' first filter tells apart, at most
 * (truce_fusion.rocc): 4096 of 20 minutes are 57 days. */
#define ROCC_BUCKETS_MAX 4096

enum { K_POINT = 1, K_REGION = 2, K_LOS = 3 };
enum { G_EXPLOSION = 1, G_FIRE, G_WEAPON, G_OTHER };

/* One observation, reduced to what fusion needs. What few observations
 * say (a direction of fire, a weapon, a calibre, a count beyond 65534)
 * is in its fext, so that the record every observation has stays small:
 * the passes read a million of them, twice moved. */
typedef struct fob {
  uint64_t index;
  uint32_t pos;
  uint32_t ext;      /* its fext + 1 (truce_fusion.ext), 0: none */
  int64_t t0, t1;    /* its time interval (precision or window) */
  double lat, lon;   /* centre of its region, or the observer (LOS) */
  double olat, olon; /* the observer (bearings), else = lat, lon */
  float sxx, sxy, syy; /* covariance of the region (m^2; x east, y north) */
  float bearing, spread, dmin, dmax; /* bearings (spread: +- degrees) */
  uint16_t src;
  uint16_t count; /* FOB_COUNT_EXT: in its fext */
  int16_t key; /* size_key()'s class, floor(4 log2), once run starts */
  uint8_t what, kind, means, is_window, minutes, spare;
} fob;
/* the documented budget (docs/fusion.md, "Performance and memory";
 * docs/fusion-performance.md) */
_Static_assert(sizeof(fob) == 104, "fob is 104 bytes");
#define FOB_COUNT_EXT UINT16_MAX

typedef struct fext {
  float fire_from, calibre;
  uint32_t count;
  uint16_t system; /* interned + 1, 0: none */
  uint16_t fire_spread; /* the direction of fire's spread, in 0.01
                           degree (1..18000); 0: none the bearing
                           functions accept (not triangulated) */
  uint8_t has_fire, weapon;
} fext;

/* An incident while it forms: anchored on its seed, which does not move
 * (so joining cannot chain). */
typedef struct finc {
  double lat, lon;
  float sxx, sxy, syy;
  uint32_t stamp;
  int64_t t0, t1;
  uint32_t seed; /* position of the seed in the canonical order */
  uint8_t group, weapon, grid, is_window;
  uint8_t minutes;
  uint8_t bmask;   /* bit (src & 7) of each source of its bearings */
  uint16_t system;
  uint32_t bhead;  /* its bearings, a list through bnext: the first + 1,
                      0: none (holds_bearing) */
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

/* An incident's time while it is summarised: its members' latest
 * start, earliest end, earliest start. */
typedef struct itime {
  int64_t lo, hi, mn;
} itime;

typedef struct fsrc {
  char *name;
  char *party;
  unsigned means;
  double reliability;
} fsrc;

/* region_plane's exp(-2 sr^2) and exp(-sr^2 / 2), for the last sr. */
typedef struct spread_memo {
  double sr, e2, e12;
} spread_memo;

typedef struct gent {
  uint64_t key;
  uint32_t inc, next;
} gent;

struct truce_fusion {
  truce_fuse_opts opt;
  fob *obs;
  size_t nobs, capobs;
  size_t ready; /* records whose pages are mapped (prefault_ahead) */
  fext *ext; /* (fob.ext) */
  size_t next, capext;
  fsrc *src;
  size_t nsrc, capsrc;
  uint16_t *srct; /* their table by name, 2 capsrc slots (name_slot) */
  char **sys; /* canonical system names, interned */
  size_t nsys, capsys;
  uint16_t *syst; /* their table, 2 capsys slots (name_slot) */
  int ran;
  /* after run */
  uint32_t *order;   /* canonical order of observations */
  finc *inc;
  size_t ninc, capinc;
  size_t inc_ready, icount_ready, itm_ready; /* mapped (prefault_ahead) */
  uint32_t *heads; /* grid hash heads */
  size_t hmask;
  uint64_t *occ; /* grid occupancy bits: a key's bit set when it has anchors */
  size_t omask;  /* bits - 1 */
  gent *ent;
  size_t nent, capent, ent_ready;
  double cos_ref;
  /* per grid, cells per degree north and east (cell_of), and columns
   * round the world: a whole number, so that a cell's column wraps at
   * the antimeridian (cell_key) */
  double cells_lat[NGRID], cells_lon[NGRID];
  int64_t ncx[NGRID];
  double deg_lon_m; /* 1 / (111320 cos_ref): square_cells' degrees east */
  double mx_min; /* metres per degree east at every latitude seen (mpd's
                    lower bound; 0 beyond 85 degrees) */
  unsigned hbits; /* slot_of's block: 2^hbits slots per time bucket */
  int64_t tmin;
  uint32_t stamp;
  double smax[NGRID]; /* largest anchor sigma in each grid */
  /* per grid, time buckets (modulo TBITS) that hold an anchor: a query
   * whose buckets are all clear skips the grid (no cells walked) */
#define TBITS 65536
  uint64_t tocc[NGRID][TBITS / 64];
  /* per grid, the searches' first filter (probes_row): for each time
   * bucket of level 0 (modulo rmask + 1) and row of cells (modulo 64),
   * a word with the bit of each column (modulo 64) set where an anchor
   * is filed. A clear bit is never wrong; a set one may be another
   * cell's or bucket's (then the occupancy bit and the chain decide). */
  uint64_t *rocc[NGRID];
  size_t rmask[NGRID];
  size_t ngrid[NGRID]; /* anchors in each grid */
  unsigned levels[NGRID]; /* bit L: anchors filed at level L >= 1 */
  /* While run forms the incidents, in one block (ibuf: n incidents at
   * most, each observation alone; only what is used is touched): */
  uint32_t *oinc;   /* each observation's incident (by its place during
                       run), UINT32_MAX: none yet; not in the records, so
                       that the passes only read those */
  uint32_t *icount; /* per incident, how many members */
  uint32_t *bnext;  /* per bearing: the next of its incident's + 1 */
  itime *itm;       /* and their times (summarise's t_ms) */
  void *ibuf;
  void *keep[2]; /* run's sort arrays, kept for inc and ent (their pages
                    are mapped: a fresh page costs a fault and zeroing) */
  uint32_t *members; /* observations by incident, then (index, pos) */
  const uint32_t *istart; /* while run sorts them: where each incident's
                             members begin */
  fsum *sum;         /* incidents, ordered by (t_ms, id) */
  char *parties;     /* party lists, NUL-separated */
  size_t nparties, capparties;
  truce_evidence *ev;
  size_t capev;
  uint32_t *srcmark, srcstamp; /* per source: summarise's marks */
  double *srcbest;
  uint16_t *srclist;
  uint32_t *srcparty;   /* per source: its party's rank by name */
  const char **pnames;  /* the parties' names, by rank */
  uint32_t lastp[16], nlastp, lastoff; /* the last party list added */
  truce_ellipse *fire; /* firing positions (fsum.fire_at) */
  size_t nfire, capfire;
  truce_bearing *fb; /* fire_position's lines of sight */
  size_t capfb;
  spread_memo memo; /* region_plane's */
  size_t skipped; /* truce_fuse_from_log: observations it could not use */
  char skip_why[TRUCE_ERR_MAX]; /* the first one's reason */
  uint64_t *scr; /* run's scratch buffer (scratch()) */
  size_t capscr; /* its bytes */
  char err[TRUCE_ERR_MAX];
};

/* ---- small helpers ---- */

/* An array of *cap elements of `size` bytes at p, grown by half (to
 * `first` when empty): the new array, *cap updated; NULL (p and *cap
 * untouched) when out of memory. */
static void *grow(void *p, size_t *cap, size_t size, size_t first) {
  size_t nc = *cap ? *cap + *cap / 2 : first;
  void *q = truce_realloc(p, nc * size);
  if (q)
    *cap = nc;
  return q;
}

/* Map the whole pages of [p, p + bytes) now, in one system call, for an
 * array about to be written through: each first write to a fresh page
 * would otherwise fault, and the faults cost more than the system's
 * zeroing (on this machine about 2.5 us a page faulted, 1.75 us mapped
 * in one call). Only where every page will be written anyway, so that
 * nothing more is resident. Linux 5.14 and later; elsewhere, or if the
 * call fails, nothing (the pages fault as before). */
static void prefault(void *p, size_t bytes) {
#ifdef MADV_POPULATE_WRITE
  static size_t page;
  if (!page) {
    long ps = sysconf(_SC_PAGESIZE);
    page = ps > 0 ? (size_t)ps : 4096;
  }
  uintptr_t a = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1),
            e = ((uintptr_t)p + bytes) & ~(uintptr_t)(page - 1);
  if (p && e > a)
    (void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
#else
  (void)p;
  (void)bytes;
#endif
}

/* Bytes of an array mapped at a time as it fills (prefault_ahead). */
#define PREFAULT_AHEAD 262144

/* Before element i of an array of cap elements of size bytes is first
 * written: the pages of the next PREFAULT_AHEAD bytes (at most to cap)
 * mapped once i reaches *ready (the elements mapped so far), so that an
 * array that grows as it is used is no more resident than before. */
static void prefault_ahead(void *base, size_t size, size_t i, size_t cap,
                           size_t *ready) {
  if (i < *ready || i >= cap)
    return;
  size_t m = PREFAULT_AHEAD / size;
  if (m > cap - i)
    m = cap - i;
  prefault((char *)base + i * size, m * size);
  *ready = i + m;
}

void truce_fuse_defaults(truce_fuse_opts *o) {
  memset(o, 0, sizeof *o);
  o->k_sigma = 3;
  o->los_range_m = 20000;
  o->time_slack_ms = 30000;
  o->min_sigma_m = 10;
}

/* Metres per degree of latitude and of longitude at a latitude (WGS84),
 * from the latitude's cosine c. */
static void mpd_cos(double c, double *my, double *mx) {
  double c2 = 2 * c * c - 1; /* cos 2p */
  *my = 111132.92 - 559.82 * c2 + 1.175 * (2 * c2 * c2 - 1);
  *mx = 111412.84 * c - 93.5 * (4 * c * c * c - 3 * c);
  if (*mx < 1)
    *mx = 1;
}

/* The same, at a latitude in degrees. */
static void mpd(double lat, double *my, double *mx) {
  mpd_cos(cos(lat * DEG), my, mx);
}

/* Within this of an angle whose sine and cosine are known, those of a
 * nearby angle come from them (sincos_near). */
#define NEAR_RAD 0.05

/* The sine and cosine of a + d (radians) from those of a (sa, ca): for
 * |d| <= NEAR_RAD, by the sum formulas with series for d's (to d^8 and
 * d^9: the next terms are below 1e-19), within a few units in the last
 * place of libm's; farther, libm's. Where one observation or incident
 * needs several nearby latitudes or directions (a bearing's region, a
 * summary's plane and box), one call to libm then serves them all. */
static void sincos_near(double a, double sa, double ca, double d, double *s,
                        double *c) {
  if (!(fabs(d) <= NEAR_RAD)) {
    *s = sin(a + d);
    *c = cos(a + d);
    return;
  }
  /* (the coefficients as constants: a division each would cost more
   * than libm saves) */
  double d2 = d * d;
  double cd = 1 - d2 * (1.0 / 2 - d2 * (1.0 / 24 - d2 * (1.0 / 720 -
                                                        d2 * (1.0 / 40320))));
  double sd = d * (1 - d2 * (1.0 / 6 - d2 * (1.0 / 120 - d2 * (1.0 / 5040 -
                                                        d2 * (1.0 / 362880)))));
  *s = sa * cd + ca * sd;
  *c = ca * cd - sa * sd;
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
  /* a circle (every point): tr / 2 + d below is sxx, exactly */
  if (sxy == 0 && sxx == syy && isfinite(sxx))
    return sqrt(sxx);
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

/* An observation's rarer fields (fob.ext); none: all zero. */
static const fext *ext_of(const truce_fusion *f, const fob *o) {
  static const fext none;
  return o->ext ? &f->ext[o->ext - 1] : &none;
}

static uint32_t count_of(const truce_fusion *f, const fob *o) {
  return o->count != FOB_COUNT_EXT ? o->count : ext_of(f, o)->count;
}

/* Does incident c hold a bearing (a line of sight or a region from one)
 * reported by source src? */
static bool holds_bearing(const truce_fusion *f, const finc *c,
                          uint16_t src) {
  if (!(c->bmask >> (src & 7) & 1))
    return false;
  for (uint32_t k = c->bhead; k; k = f->bnext[k - 1])
    if (f->obs[k - 1].src == src)
      return true;
  return false;
}

/* Can observation o belong to incident c? (what, weapon; and one
 * bearing per source: an observer hears or sees one explosion once, so
 * a source's second bearing is another event, docs/fusion.md) */
static bool compatible(const truce_fusion *f, const finc *c, const fob *o) {
  if (o->kind != K_POINT && holds_bearing(f, c, o->src))
    return false;
  int g = group_of(o->what);
  if (g != c->group)
    return false;
  if (g == G_OTHER)
    return o->what == f->obs[c->seed].what;
  if (g == G_WEAPON) {
    const fext *x = ext_of(f, o);
    if (x->weapon != c->weapon)
      return false;
    if (x->system && c->system && x->system != c->system)
      return false;
  }
  return true;
}

/* ---- building ---- */

/* Below this middle distance a bearing's region is computed on the plane
 * (region_plane); beyond it, geodesically (truce_bearing_region). */
#define REGION_PLANE_M 50000.0

/* exp(-2 sr^2) and exp(-sr^2 / 2) for a bearing's sigma sr (radians),
 * remembered for the last sr: sources report few spreads, and a million
 * bearings would call exp two million times. */
static void spread_exps(spread_memo *m, double sr, double *e2, double *e12) {
  if (!(sr == m->sr)) {
    m->e2 = exp(-2 * sr * sr);
    m->e12 = exp(-sr * sr / 2);
    m->sr = sr;
  }
  *e2 = m->e2;
  *e12 = m->e12;
}

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
static void region_plane(const truce_bearing *b, spread_memo *memo,
                         double *lat, double *lon, double *sxx, double *sxy,
                         double *syy) {
  double mid = (b->dist_min_m + b->dist_max_m) / 2, az = b->bearing_deg * DEG;
  double my, mx, my0, mx0, conv = 0;
  /* the observer's latitude and the bearing: every other sine and
   * cosine below is of an angle within a few hundredths of a radian of
   * one of them (sincos_near) */
  double p0 = b->lat_deg * DEG, sp0 = sin(p0), cp0 = cos(p0);
  double saz = sin(az), caz = cos(az), sn, cs;
  mpd_cos(cp0, &my0, &mx0);
  /* Twice: the chord runs at the mean of the azimuths at its ends, the
   * bearing turned by half the convergence the first pass finds. */
  for (int pass = 0; pass < 2; pass++) {
    double sa = saz, ca = caz;
    if (pass)
      sincos_near(az, saz, caz, conv / 2, &sa, &ca);
    double dx = mid * sa, dy = mid * ca;
    /* at the middle latitude */
    sincos_near(p0, sp0, cp0, dy / my0 / 2 * DEG, &sn, &cs);
    mpd_cos(cs, &my, &mx);
    *lat = b->lat_deg + dy / my;
    *lon = wrap180(b->lon_deg + dx / mx);
    sincos_near(p0, sp0, cp0, (*lat - b->lat_deg) / 2 * DEG, &sn, &cs);
    conv = wrap180(*lon - b->lon_deg) * DEG * sn;
  }
  double ux, uy; /* along the line: the bearing turned by conv */
  sincos_near(az, saz, caz, conv, &ux, &uy);
  /* as truce_bearing_region: uniform distance, normal angle */
  double sa = (b->dist_max_m - b->dist_min_m) / sqrt(12);
  double sr = b->spread_deg / 2 * DEG, ed2 = mid * mid + sa * sa;
  double e2, e12; /* exp(-2 sr^2), exp(-sr^2 / 2): a spread's, once */
  spread_exps(memo, sr, &e2, &e12);
  double c2 = (1 + e2) / 2;
  double va = ed2 * c2 - 2 * mid * mid * e12 + mid * mid;
  double vc = ed2 * (1 - c2);
  if (va < 0)
    va = 0;
  double so = b->origin_radius_m / TRUCE_ELLIPSE_K95;
  va += so * so;
  vc += so * so;
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
  f->memo.sr = NAN; /* nothing remembered */
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

static void rocc_free(truce_fusion *f) {
  for (int g = 0; g < NGRID; g++) {
    truce_free(f->rocc[g]);
    f->rocc[g] = NULL;
    f->rmask[g] = 0;
  }
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
  truce_free(f->syst);
  truce_free(f->src);
  truce_free(f->srct);
  truce_free(f->obs);
  truce_free(f->ext);
  truce_free(f->order);
  truce_free(f->inc);
  truce_free(f->ibuf);
  truce_free(f->keep[0]);
  truce_free(f->keep[1]);
  truce_free(f->heads);
  truce_free(f->occ);
  rocc_free(f);
  truce_free(f->ent);
  truce_free(f->members);
  truce_free(f->sum);
  truce_free(f->parties);
  truce_free(f->ev);
  truce_free(f->srcmark);
  truce_free(f->srcbest);
  truce_free(f->srclist);
  truce_free(f->srcparty);
  truce_free(f->pnames);
  truce_free(f->fire);
  truce_free(f->fb);
  truce_free(f->scr);
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

/* Names numbered in the order first seen (sources, weapons' systems)
 * are found through a table of a power of two slots (mask + 1), each the
 * number + 1 of a name that at() gives, 0: empty; FNV-1a and linear
 * probing. The slot of name: where it is, or the empty slot where it
 * would go. (Not a scan of the names: a log may name thousands.) */
static size_t name_slot(const truce_fusion *f, const uint16_t *t,
                        size_t mask, const char *name,
                        const char *(*at)(const truce_fusion *, size_t)) {
  uint64_t h = 14695981039346656037u;
  for (const unsigned char *c = (const unsigned char *)name; *c; c++)
    h = (h ^ *c) * 1099511628211u;
  size_t i = (size_t)h & mask;
  while (t[i] && strcmp(at(f, t[i] - 1u), name) != 0)
    i = (i + 1) & mask;
  return i;
}

/* A table of 2 cap slots holding names 0..n-1 (at()); NULL when out of
 * memory. */
static uint16_t *name_table(const truce_fusion *f, size_t cap, size_t n,
                            const char *(*at)(const truce_fusion *, size_t)) {
  uint16_t *t = truce_calloc(2 * cap, sizeof *t);
  for (size_t k = 0; t && k < n; k++)
    t[name_slot(f, t, 2 * cap - 1, at(f, k), at)] = (uint16_t)(k + 1);
  return t;
}

static const char *src_at(const truce_fusion *f, size_t k) {
  return f->src[k].name;
}

truce_err truce_fuse_source(truce_fusion *f, const truce_source *s,
                            uint32_t *id) {
  *id = 0;
  if (!f || !s || f->ran)
    return TRUCE_EINVAL;
  if (!memchr(s->name, '\0', sizeof s->name) ||
      !memchr(s->party, '\0', sizeof s->party))
    return seterr(f->err, TRUCE_EINVAL,
                  "source name or party is not NUL-terminated");
  if (f->capsrc) {
    size_t i = name_slot(f, f->srct, 2 * f->capsrc - 1, s->name, src_at);
    if (f->srct[i]) {
      *id = f->srct[i] - 1u;
      return TRUCE_OK;
    }
  }
  if (f->nsrc == SOURCES_MAX)
    return seterr(f->err, TRUCE_ETOOBIG, "more than %d sources",
                  SOURCES_MAX);
  if (f->nsrc == f->capsrc) { /* sources and table both doubled */
    size_t nc = f->capsrc ? f->capsrc * 2 : 16;
    fsrc *p = truce_realloc(f->src, nc * sizeof *p);
    if (!p)
      return seterr(f->err, TRUCE_ENOMEM, "out of memory");
    f->src = p;
    uint16_t *t = name_table(f, nc, f->nsrc, src_at);
    if (!t)
      return seterr(f->err, TRUCE_ENOMEM, "out of memory");
    truce_free(f->srct);
    f->srct = t;
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
  f->srct[name_slot(f, f->srct, 2 * f->capsrc - 1, d->name, src_at)] =
      (uint16_t)(f->nsrc + 1);
  *id = (uint32_t)f->nsrc++;
  return TRUCE_OK;
}

static const char *sys_at(const truce_fusion *f, size_t k) {
  return f->sys[k];
}

/* The number + 1 of a weapon's system name (its catalogue name if the
 * catalogue knows it), interned on first sight; 0 beyond SYSTEMS_MAX - 1
 * names (treated as unnamed). By a table, not a scan of the names: a
 * log may name thousands of systems no catalogue lists. */
static truce_err intern_system(truce_fusion *f, const char *raw,
                               uint16_t *out) {
  const char *canon = NULL;
  if (truce_weapon_lookup(raw, NULL, NULL, &canon) != TRUCE_OK)
    canon = raw;
  if (f->capsys) {
    size_t i = name_slot(f, f->syst, 2 * f->capsys - 1, canon, sys_at);
    if (f->syst[i]) {
      *out = f->syst[i];
      return TRUCE_OK;
    }
  }
  if (f->nsys == SYSTEMS_MAX - 1) {
    *out = 0; /* beyond the table: treated as unnamed */
    return TRUCE_OK;
  }
  if (f->nsys == f->capsys) { /* names and table both doubled */
    size_t nc = f->capsys ? f->capsys * 2 : 16;
    char **p = truce_realloc(f->sys, nc * sizeof *p);
    if (!p)
      return TRUCE_ENOMEM;
    f->sys = p;
    uint16_t *t = name_table(f, nc, f->nsys, sys_at);
    if (!t)
      return TRUCE_ENOMEM;
    truce_free(f->syst);
    f->syst = t;
    f->capsys = nc;
  }
  if (!(f->sys[f->nsys] = dupstr(canon)))
    return TRUCE_ENOMEM;
  f->syst[name_slot(f, f->syst, 2 * f->capsys - 1, canon, sys_at)] =
      (uint16_t)(f->nsys + 1);
  *out = (uint16_t)++f->nsys;
  return TRUCE_OK;
}

/* A number of an observation outside [lo, hi] (NaN too): the message
 * names the field as docs/observation.md does. */
static truce_err out_of_range(truce_fusion *f, uint64_t index, uint32_t pos,
                              const char *field, double v, double lo,
                              double hi) {
  return seterr(f->err, TRUCE_EINVAL,
                "observation %" PRIu64 ":%u: %s %.10g is out of range "
                "[%.10g, %.10g]",
                index, pos, field, v, lo, hi);
}

static bool within(double v, double lo, double hi) {
  return v >= lo && v <= hi; /* false for NaN */
}

/* Is t in [TRUCE_TIME_MIN_MS, TRUCE_TIME_END_MS)? (one comparison) */
static bool time_ok(int64_t t) {
  return (uint64_t)t - (uint64_t)TRUCE_TIME_MIN_MS <
         (uint64_t)(TRUCE_TIME_END_MS - TRUCE_TIME_MIN_MS);
}

/* Does o hold to the ranges the log holds observations to (truce_obs_parse)
 * in what fusion reads? An observation from the log does; one a library
 * caller made need not, and outside them it would give incidents no log
 * could (a latitude of 91, an ellipse of infinite size) or arithmetic
 * past its bounds (a time beyond year 2999 overflows the searches' time
 * buckets; a longitude of 1e300 gives a row of cells that never ends).
 * Bearings are checked by truce_bearing_from_obs (truce_fuse_add). */
static truce_err check_obs(truce_fusion *f, const truce_obs *o,
                           uint64_t index, uint32_t pos) {
  if (o->what == TRUCE_WHAT_NONE || o->what >= TRUCE_WHAT_COUNT)
    return seterr(f->err, TRUCE_EINVAL,
                  "observation %" PRIu64 ":%u: what %d is not in the "
                  "vocabulary",
                  index, pos, (int)o->what);
  if (o->where_kind != TRUCE_WHERE_POINT &&
      o->where_kind != TRUCE_WHERE_BEARING)
    return seterr(f->err, TRUCE_EINVAL,
                  "observation %" PRIu64 ":%u: where_kind %u is neither a "
                  "point nor a bearing",
                  index, pos, (unsigned)o->where_kind);
  bool point = o->where_kind == TRUCE_WHERE_POINT;
  if (!(fabs(o->lat_deg) <= 90)) /* (false for NaN too) */
    return out_of_range(f, index, pos,
                        point ? "where.lat" : "where.observer.lat",
                        o->lat_deg, -90, 90);
  if (!(fabs(o->lon_deg) <= 180))
    return out_of_range(f, index, pos,
                        point ? "where.lon" : "where.observer.lon",
                        o->lon_deg, -180, 180);
  if (point && !within(o->uncertainty_m, 0, TRUCE_OBS_METRES_MAX))
    return out_of_range(f, index, pos, "where.uncertainty_m",
                        o->uncertainty_m, 0, TRUCE_OBS_METRES_MAX);
  /* times: as the log's, in [TRUCE_TIME_MIN_MS, TRUCE_TIME_END_MS) */
  bool end_bad = o->is_window && !time_ok(o->t_end_ms);
  if (!time_ok(o->t_ms) || end_bad)
    return seterr(f->err, TRUCE_EINVAL,
                  "observation %" PRIu64 ":%u: %s %" PRId64
                  " ms is not within 1900-01-01T00:00:00Z to 2999",
                  index, pos,
                  end_bad ? "window.to"
                  : o->is_window ? "window.from"
                                 : "time",
                  end_bad ? o->t_end_ms : o->t_ms);
  if (o->is_window && o->t_end_ms < o->t_ms) {
    char a[32], b[32];
    truce_time_format(o->t_ms, a);
    truce_time_format(o->t_end_ms, b);
    return seterr(f->err, TRUCE_EINVAL,
                  "observation %" PRIu64 ":%u: window from %s is after to %s",
                  index, pos, a, b);
  }
  if (o->count > TRUCE_OBS_COUNT_MAX) /* (0 is taken as 1) */
    return out_of_range(f, index, pos, "count", o->count, 1,
                        TRUCE_OBS_COUNT_MAX);
  if (!o->is_window && o->precision_s > TRUCE_OBS_PRECISION_MAX_S)
    return out_of_range(f, index, pos, "precision_s", o->precision_s, 0,
                        TRUCE_OBS_PRECISION_MAX_S);
  if (o->calibre_mm != 0 &&
      !within(o->calibre_mm, 0, TRUCE_OBS_CALIBRE_MAX_MM))
    return out_of_range(f, index, pos, "weapon.calibre_mm", o->calibre_mm,
                        0, TRUCE_OBS_CALIBRE_MAX_MM);
  if (o->system[0] && !memchr(o->system, '\0', sizeof o->system))
    return seterr(f->err, TRUCE_EINVAL,
                  "observation %" PRIu64 ":%u: weapon.system is not "
                  "NUL-terminated within %zu bytes",
                  index, pos, sizeof o->system);
  if (o->has_fire && !(o->fire_from_deg >= 0 && o->fire_from_deg < 360))
    return out_of_range(f, index, pos, "fire.from_deg", o->fire_from_deg,
                        0, 360);
  if (o->has_fire && !within(o->fire_spread_deg, 0, 180))
    return out_of_range(f, index, pos, "fire.spread_deg",
                        o->fire_spread_deg, 0, 180);
  return TRUCE_OK;
}

/* A bearing whose observer stands at a pole names no direction (from the
 * North Pole every one is south, from the South Pole north;
 * truce_bearing_from_obs refuses it), but the log takes it (a station at
 * the South Pole reports by grid bearings): the event lies between its
 * distances from the pole, in any direction. It is
 * fused as a point at the pole with the spread of that ring: each axis's
 * variance half the mean square of a distance uniform between them
 * (*var); with no distance given, up to the farthest a report may give
 * (TRUCE_OBS_METRES_MAX). Its other fields are held to the bearing
 * functions' ranges. */
static truce_err pole_bearing(truce_fusion *f, const truce_obs *o,
                              uint64_t index, uint32_t pos, double *var) {
  double a = o->dist_min_m, b = o->dist_max_m;
  if (!within(o->bearing_deg, -360, 360))
    return out_of_range(f, index, pos, "where.bearing_deg", o->bearing_deg,
                        -360, 360);
  if (!within(o->bearing_spread_deg, 0, 180))
    return out_of_range(f, index, pos, "where.spread_deg",
                        o->bearing_spread_deg, 0, 180);
  if (!within(a, 0, TRUCE_OBS_METRES_MAX) ||
      !within(b, a, TRUCE_OBS_METRES_MAX))
    return seterr(f->err, TRUCE_EINVAL,
                  "observation %" PRIu64 ":%u: where: distance range [%.10g, "
                  "%.10g] m is not 0 <= min <= max <= %g",
                  index, pos, a, b, TRUCE_OBS_METRES_MAX);
  if (b == 0)
    b = TRUCE_OBS_METRES_MAX;
  *var = (a * a + a * b + b * b) / 6;
  return TRUCE_OK;
}

truce_err truce_fuse_add(truce_fusion *f, const truce_obs *o, uint64_t index,
                         uint32_t pos, uint32_t source) {
  if (!f || !o || f->ran || source >= f->nsrc)
    return f ? seterr(f->err, TRUCE_EINVAL, "invalid observation or source")
             : TRUCE_EINVAL;
  truce_err rc = check_obs(f, o, index, pos);
  if (rc)
    return rc;
  if (f->nobs >= FUSE_OBS_MAX)
    return seterr(f->err, TRUCE_ETOOBIG, "too many observations");
  if (f->nobs == f->capobs) {
    fob *p = grow(f->obs, &f->capobs, sizeof *p, 1024);
    if (!p)
      return seterr(f->err, TRUCE_ENOMEM, "out of memory");
    f->obs = p;
  }
  prefault_ahead(f->obs, sizeof *f->obs, f->nobs, f->capobs, &f->ready);
  fob *b = &f->obs[f->nobs];
  memset(b, 0, sizeof *b);
  b->index = index;
  b->pos = pos;
  b->src = (uint16_t)source;
  b->what = (uint8_t)o->what;
  uint32_t count = o->count ? o->count : 1;
  fext x;
  memset(&x, 0, sizeof x);
  x.count = count;
  b->count = (uint16_t)(count < FOB_COUNT_EXT ? count : FOB_COUNT_EXT);
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
  if (o->where_kind == TRUCE_WHERE_BEARING && fabs(o->lat_deg) == 90) {
    double var = 0;
    if ((rc = pole_bearing(f, o, index, pos, &var)))
      return rc;
    b->kind = K_POINT;
    b->sxx = b->syy = (float)(var + ms * ms);
  } else if (o->where_kind == TRUCE_WHERE_BEARING) {
    truce_bearing tb;
    char why[TRUCE_ERR_MAX];
    if (truce_bearing_from_obs(o, &tb, why) != TRUCE_OK)
      return seterr(f->err, TRUCE_EINVAL,
                    "observation %" PRIu64 ":%u: where: %s", index, pos,
                    why);
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
      region_plane(&tb, &f->memo, &rlat, &rlon, &xx, &xy, &yy);
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
    x.has_fire = 1;
    x.fire_from = (float)o->fire_from_deg;
    /* towards the weapon, from the observer or the point itself
     * (fire_position); a direction the bearing functions refuse still
     * counts in the mean direction */
    truce_bearing fb;
    if (truce_fire_bearing_from_obs(o, &fb, NULL) == TRUCE_OK) {
      double cd = round(fb.spread_deg * 100);
      x.fire_spread = (uint16_t)(cd < 1 ? 1 : cd > 18000 ? 18000 : cd);
    }
  }
  truce_weapon_class cls = TRUCE_WEAPON_NONE;
  double cal = 0;
  unsigned flags = 0;
  /* no weapon, calibre or system named: nothing to classify (NONE, 0),
   * as truce_obs_classify would find, most observations */
  if (o->weapon != TRUCE_WEAPON_NONE || o->calibre_mm != 0 || o->system[0])
    truce_obs_classify(o, &cls, &cal, &flags);
  x.weapon = (uint8_t)cls;
  x.calibre = (float)cal;
  if (o->system[0] && intern_system(f, o->system, &x.system))
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  b->ext = 0;
  if (x.has_fire || x.weapon || x.calibre != 0 || x.system ||
      b->count == FOB_COUNT_EXT) {
    if (f->next == f->capext) {
      fext *p = grow(f->ext, &f->capext, sizeof *p, 64);
      if (!p)
        return seterr(f->err, TRUCE_ENOMEM, "out of memory");
      f->ext = p;
    }
    f->ext[f->next++] = x;
    b->ext = (uint32_t)f->next;
  }
  f->nobs++;
  return TRUCE_OK;
}

size_t truce_fuse_nobs(const truce_fusion *f) { return f ? f->nobs : 0; }

size_t truce_fuse_bytes(const truce_fusion *f) {
  if (!f)
    return 0;
  return f->capobs * sizeof(fob) + f->capext * sizeof(fext) +
         f->capinc * sizeof(finc) +
         f->capent * sizeof(gent) + (f->hmask + 1) * sizeof(uint32_t) +
         (f->occ ? (f->omask + 1) / 8 : 0) +
         (f->rocc[0] ? (f->rmask[0] + f->rmask[1] + f->rmask[2] + 3) * 64 *
                           sizeof(uint64_t)
                     : 0) +
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

/* Column cx taken round the world into [-n/2, n - n/2), n = the grid's
 * columns round the world (cell_of numbers columns from 0 at the prime
 * meridian, and a whole number of them go round, so 180 E and 180 W are
 * one place, and a search reaching past one of them finds the cells
 * beyond). Every key is made of a column in that range. */
static int64_t column(const truce_fusion *f, int grid, int64_t cx) {
  int64_t n = f->ncx[grid], h = n >> 1;
  if (cx >= -h && cx < n - h)
    return cx;
  cx = (cx + h) % n;
  return (cx < 0 ? cx + n : cx) - h;
}

/* Do columns x0..x1 all lie in column()'s range (none to take round)? */
static bool columns_inside(const truce_fusion *f, int grid, int64_t x0,
                           int64_t x1) {
  int64_t n = f->ncx[grid], h = n >> 1;
  return x0 >= -h && x1 < n - h;
}

/* The key of cell (cx, cy) at time bucket tb (level_bucket); cx in
 * column()'s range. */
static uint64_t cell_key(int grid, int64_t cx, int64_t cy, int64_t tb) {
  return (uint64_t)grid << 62 | ((uint64_t)cx & 0xFFFFF) << 42 |
         ((uint64_t)cy & 0x1FFFFF) << 21 | ((uint64_t)tb & 0x1FFFFF);
}

/* Time bucket b of level L (LEVEL_BITS) as a key's 21 bits: level 0's
 * as they are, the others' apart (but for level 0's beyond 2^20, 40
 * years of fine buckets: two keys that collide only make a search visit
 * more incidents, which the visit functions then refuse). */
static size_t level_bucket(int level, int64_t b) {
  return level ? (size_t)1 << 20 | (size_t)level << 16 | ((size_t)b & 0xFFFF)
               : (size_t)b & 0x1FFFFF;
}

static size_t hash64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return (size_t)k;
}

/* The slot of a key: each time bucket owns a block of 2^hbits slots
 * (about twice the observations of an average fine time bucket:
 * truce_fuse_run), so the passes, which go forward in time, stay in a
 * few dense blocks of the table. */
static size_t slot_of(const truce_fusion *f, uint64_t key, size_t h) {
  return (((size_t)(key & 0x1FFFFF) << f->hbits) +
          (h & (((size_t)1 << f->hbits) - 1))) &
         f->hmask;
}

/* The occupancy bit of a key, in a block of 8 bits per slot of the
 * table (2^(hbits + 3)) per time bucket: most cells a query visits hold
 * no anchor, and this answers them from a few kilobytes that stay in the
 * cache, where the hash table's heads would be a cache miss each. A set
 * bit may be another key's (then the chain is walked for nothing); a
 * clear bit is never wrong. */
static size_t occ_bit(const truce_fusion *f, uint64_t key, size_t h) {
  unsigned ob = f->hbits + 3;
  return (((size_t)(key & 0x1FFFFF) << ob) +
          ((h >> 16) & (((size_t)1 << ob) - 1))) &
         f->omask;
}

static void occupy(truce_fusion *f, uint64_t key, size_t h) {
  size_t b = occ_bit(f, key, h);
  f->occ[b >> 6] |= 1ull << (b & 63);
}

/* The word of rocc[grid] for time bucket tb (level 0) and row cy. */
static size_t rocc_word(const truce_fusion *f, int grid, int64_t tb,
                        int64_t cy) {
  return ((size_t)tb & f->rmask[grid]) << 6 | ((size_t)cy & 63);
}

/* The lowest set bit of w (not 0). */
static unsigned lowest_bit(uint64_t w) {
#if defined(__GNUC__)
  return (unsigned)__builtin_ctzll(w);
#else
  unsigned b = 0;
  while (!(w >> b & 1))
    b++;
  return b;
#endif
}

/* How far beyond its own interval an incident is filed, and a query
 * looks, in time: the slack, and the minute a time in whole minutes may be
 * off. The two together cover every pair time_meets can accept (its
 * tolerance is two slacks and up to two minutes). */
static int64_t bucket_slack_ms(const truce_fusion *f) {
  return (int64_t)f->opt.time_slack_ms + 60000;
}
/* Does the grid hold anything in the time buckets b0..b1 a query visits
 * (bucket_range)? (false: certainly not) */
static bool grid_has_time(const truce_fusion *f, int grid, int64_t b0,
                          int64_t b1) {
  if (f->levels[grid])
    return true; /* (windows of weeks or more, below: not in tocc) */
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

/* (int64_t)floor(x) without the library call (a call per cell corner
 * counts in the grid's walks): the same wherever that is defined,
 * |x| < 2^63. */
static int64_t floor_i64(double x) {
  int64_t t = (int64_t)x; /* towards zero */
  return t - ((double)t > x);
}

/* (Multiplied by the cells per degree, set once in truce_fuse_run: a
 * division costs several multiplications, and this is computed at each
 * corner of each search. Filing and searching use the same numbers, and
 * the searches' margins are far wider than its rounding.) */
static void cell_of(const truce_fusion *f, int grid, double lat, double lon,
                    int64_t *cx, int64_t *cy) {
  *cy = floor_i64(lat * f->cells_lat[grid]);
  *cx = floor_i64(lon * f->cells_lon[grid]);
}

/* The cells of the square of side 2 reach_m around (lat, lon), as
 * cell_of gives its corners, the reach limited to REACH_CELLS_MAX cells
 * (a bound on the work): false if it was, the square then short of the
 * reach. So it is beyond POLAR_LAT, where the degrees east it spans
 * (from cos_ref, at most cos(POLAR_LAT)) fall short of the reach on the
 * plane there (at the pole every longitude is one place). */
#define POLAR_LAT 85.0
#if defined(__GNUC__)
__attribute__((always_inline)) /* (called for every search) */
#endif
static inline bool square_cells(const truce_fusion *f, int grid, double lat,
                         double lon, double reach_m, int64_t *x0,
                         int64_t *y0, int64_t *x1, int64_t *y1) {
  double c = cell_m(grid);
  if (!(fabs(lat) <= POLAR_LAT))
    reach_m = HUGE_VAL;
  bool whole = reach_m <= REACH_CELLS_MAX * c;
  if (!whole)
    reach_m = REACH_CELLS_MAX * c;
  /* A degree of latitude is 110,574 m at the equator, 111,694 m at the
   * poles: the shortest makes the square large enough everywhere (cell_of's
   * 111,000 only numbers the cells). */
  double dlat = reach_m * (1 / 110574.0), dlon = reach_m * f->deg_lon_m;
  cell_of(f, grid, lat - dlat, lon - dlon, x0, y0);
  cell_of(f, grid, lat + dlat, lon + dlon, x1, y1);
  return whole;
}

static int64_t bucket_of(const truce_fusion *f, int grid, int64_t t) {
  int64_t d = t - f->tmin;
  if (d < 0)
    return 0;
  switch (grid) { /* each grid's span, a constant: no division instruction */
  case 0:
    return d / FINE_SPAN_MS;
  case 1:
    return d / MID_SPAN_MS;
  default:
    return d / COARSE_SPAN_MS;
  }
}

static truce_err grid_put(truce_fusion *f, int grid, uint32_t inc) {
  const finc *c = &f->inc[inc];
  int64_t cx, cy, slack = bucket_slack_ms(f);
  cell_of(f, grid, c->lat, c->lon, &cx, &cy);
  int64_t b0 = bucket_of(f, grid, c->t0 - slack),
          b1 = bucket_of(f, grid, c->t1 + slack);
  int level = 0; /* (b0 >= 0: buckets count from f->tmin) */
  while ((b1 >> (LEVEL_BITS * level)) - (b0 >> (LEVEL_BITS * level)) >=
         LONG_BUCKETS)
    level++;
  if (level) {
    f->levels[grid] |= 1u << level;
    b0 >>= LEVEL_BITS * level;
    b1 >>= LEVEL_BITS * level;
  }
  for (int64_t tb = b0; tb <= b1; tb++) {
    if (f->nent == f->capent) {
      gent *p = grow(f->ent, &f->capent, sizeof *p, 1024);
      if (!p)
        return seterr(f->err, TRUCE_ENOMEM, "out of memory");
      f->ent = p;
    }
    prefault_ahead(f->ent, sizeof *f->ent, f->nent, f->capent, &f->ent_ready);
    int64_t col = column(f, grid, cx);
    uint64_t key = cell_key(grid, col, cy, (int64_t)level_bucket(level, tb));
    size_t hk = hash64(key >> 21), h = slot_of(f, key, hk);
    occupy(f, key, hk);
    if (!level) {
      f->tocc[grid][(size_t)tb % TBITS / 64] |= 1ull << ((size_t)tb % 64);
      f->rocc[grid][rocc_word(f, grid, tb, cy)] |= 1ull << ((uint64_t)col & 63);
    }
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

/* The keys a query visits, probed in batches: each key's occupancy bit
 * at once (a few kilobytes, in the cache), then the occupied keys'
 * slots, their chains, the incidents found, each step's memory fetched
 * for the whole batch before it is read, so that the cache misses of
 * one batch overlap instead of following one another. The incidents
 * found are the same, in another order; the choice among them does not
 * depend on the order (visit_located, visit_los: the best score, then
 * the seed first by citation). */
#define PROBE_BATCH 64
typedef struct probes {
  truce_fusion *f;
  visit_fn fn;
  void *ctx;
  uint32_t stamp;
  size_t n;
  uint64_t key[PROBE_BATCH];
  size_t slot[PROBE_BATCH];
} probes;

static void probes_init(probes *p, truce_fusion *f, visit_fn fn, void *ctx) {
  p->f = f;
  p->fn = fn;
  p->ctx = ctx;
  p->stamp = ++f->stamp;
  p->n = 0;
}

static void probes_visit(probes *p, const uint32_t *inc, size_t n) {
  truce_fusion *f = p->f;
  for (size_t q = 0; q < n; q++) {
    if (f->inc[inc[q]].stamp == p->stamp)
      continue; /* filed in two of the buckets visited */
    f->inc[inc[q]].stamp = p->stamp;
    p->fn(f, inc[q], p->ctx);
  }
}

static void probes_flush(probes *p) {
  truce_fusion *f = p->f;
  size_t m = p->n;
  uint32_t head[PROBE_BATCH], found[PROBE_BATCH];
  for (size_t q = 0; q < m; q++) {
    head[q] = f->heads[p->slot[q]];
    if (head[q])
      PREFETCH(&f->ent[head[q] - 1]);
  }
  size_t nf = 0;
  for (size_t q = 0; q < m; q++)
    for (uint32_t e = head[q]; e; e = f->ent[e - 1].next) {
      const gent *g = &f->ent[e - 1];
      if (g->key != p->key[q])
        continue;
      PREFETCH(&f->inc[g->inc]);
      if (nf == PROBE_BATCH) {
        probes_visit(p, found, nf);
        nf = 0;
      }
      found[nf++] = g->inc;
    }
  probes_visit(p, found, nf);
  p->n = 0;
}

/* Probe the buckets b0..b1 of cell (x, y) at one level (level_bucket):
 * cell_key, slot_of and occ_bit, for each bucket of one cell. */
static inline void probes_cell(probes *p, int grid, int64_t x, int64_t y,
                               int level, int64_t b0, int64_t b1) {
  truce_fusion *f = p->f;
  uint64_t ck = cell_key(grid, x, y, 0);
  size_t hk = hash64(ck >> 21); /* the cell's */
  unsigned hb = f->hbits, ob = hb + 3;
  size_t hlo = hk & (((size_t)1 << hb) - 1),
         olo = (hk >> 16) & (((size_t)1 << ob) - 1);
  for (int64_t tb = b0; tb <= b1; tb++) {
    size_t t = level_bucket(level, tb);
    size_t bit = ((t << ob) + olo) & f->omask;
    if (!(f->occ[bit >> 6] >> (bit & 63) & 1))
      continue;
    size_t s = ((t << hb) + hlo) & f->hmask;
    PREFETCH(&f->heads[s]);
    p->key[p->n] = ck | t;
    p->slot[p->n] = s;
    if (++p->n == PROBE_BATCH)
      probes_flush(p);
  }
}

/* Probe, for cells x0..x1 of row y (columns taken round the world), the
 * buckets that hold b0..b1 at each level above 0 that the grid has
 * anchors at (grid_put). Apart from the searches' loops: only a grid
 * that holds windows of weeks or more has such levels. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void probes_levels(probes *p, int grid, int64_t x0, int64_t x1,
                          int64_t y, int64_t b0, int64_t b1) {
  unsigned lv = p->f->levels[grid];
  for (int level = 1; lv >> level; level++)
    if (lv >> level & 1)
      for (int64_t x = x0; x <= x1; x++)
        probes_cell(p, grid, column(p->f, grid, x), y, level,
                    b0 >> (LEVEL_BITS * level), b1 >> (LEVEL_BITS * level));
}

/* The columns x0..x1 (x0 <= x1) as a mask of a rocc word: bits x0 & 63
 * on (modulo 64), x1 - x0 + 1 of them (all, from 64). */
static uint64_t columns_mask(int64_t x0, int64_t x1) {
  uint64_t len = (uint64_t)(x1 - x0) + 1;
  unsigned s = (unsigned)((uint64_t)x0 & 63);
  uint64_t m = len >= 64 ? ~0ull : (1ull << len) - 1;
  return s ? m << s | m >> (64 - s) : m;
}

/* Probe, at level 0, the cells x0..x1 of row y (all inside column()'s
 * range) that rocc names for each bucket b0..b1 (m: columns_mask(x0,
 * x1)): for each bucket, the row's word masked to the columns names the
 * cells to probe; most rows hold none (a word read, no cell's hash
 * computed). */
static inline void probes_named(probes *p, int grid, int64_t x0, int64_t x1,
                                uint64_t m, int64_t y, int64_t b0,
                                int64_t b1) {
  const uint64_t *ro = p->f->rocc[grid];
  unsigned s = (unsigned)((uint64_t)x0 & 63);
  for (int64_t tb = b0; tb <= b1; tb++)
    for (uint64_t w = ro[rocc_word(p->f, grid, tb, y)] & m; w; w &= w - 1)
      for (int64_t x = x0 + (int64_t)((lowest_bit(w) - s) & 63); x <= x1;
           x += 64)
        probes_cell(p, grid, x, y, 0, tb, tb);
}

/* Probe cells x0..x1 of row y at level 0 (those rocc names:
 * probes_named), their columns taken round the world where they pass 180
 * degrees (column: then every one), and the levels above 0 where the
 * grid has any (lv: its levels[], read once per search, so that it stays
 * in a register). */
static inline void probes_row(probes *p, int grid, int64_t x0, int64_t x1,
                              int64_t y, int64_t b0, int64_t b1,
                              unsigned lv) {
  if (x1 < x0)
    return;
  if (columns_inside(p->f, grid, x0, x1)) {
    probes_named(p, grid, x0, x1, columns_mask(x0, x1), y, b0, b1);
  } else {
    for (int64_t x = x0; x <= x1; x++)
      probes_cell(p, grid, column(p->f, grid, x), y, 0, b0, b1);
  }
  if (lv)
    probes_levels(p, grid, x0, x1, y, b0, b1);
}

/* The time buckets a search from t0 to t1 looks in (b0..b1), the slack
 * added. */
static void bucket_range(const truce_fusion *f, int grid, int64_t t0,
                         int64_t t1, int64_t *b0, int64_t *b1) {
  int64_t slack = bucket_slack_ms(f);
  *b0 = bucket_of(f, grid, t0 - slack);
  *b1 = bucket_of(f, grid, t1 + slack);
}

/* Past the bounds on a search's probes: would probing `cells` cells over
 * buckets b0..b1 cost more than reading every entry of the grids
 * (visit_all; an entry read costs about a quarter of a probe)? */
static bool scan_cheaper(const truce_fusion *f, double cells, int64_t b0,
                         int64_t b1) {
  return cells * (double)(b1 - b0 + 1) * 4 > (double)f->nent;
}

static void visit_all(truce_fusion *f, int grid, visit_fn fn, void *ctx);

/* Past the bounds on a search's probes (a reach of more than
 * REACH_CELLS_MAX cells: a report placed to a country; more than
 * BUCKETS_MAX time buckets: a window of weeks), the probes would miss
 * the far cells, or might cost more than reading every entry: then
 * every entry is read (visit_all), which finds the same incidents, and
 * true; false where probing all `cells` over b0..b1 costs less (the
 * caller probes them). Apart from the searches, which are rarely past
 * them. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static bool scanned(truce_fusion *f, int grid, bool whole, double cells,
                    int64_t b0, int64_t b1, visit_fn fn, void *ctx) {
  if (whole && !scan_cheaper(f, cells, b0, b1))
    return false;
  visit_all(f, grid, fn, ctx);
  return true;
}

/* The reference path's search (truce_fuse_opts.reference), in place of
 * grid_has_time and the grid's searches: every incident filed in
 * `grid`, whatever its cells and time buckets, once each; the visit
 * functions decide. Also the fast path's, past the bounds on its probes
 * (grid_visit). */
static void visit_all(truce_fusion *f, int grid, visit_fn fn, void *ctx) {
  uint32_t stamp = ++f->stamp;
  for (size_t e = 0; e < f->nent; e++) {
    uint32_t inc = f->ent[e].inc;
    if ((int)(f->ent[e].key >> 62) != grid || f->inc[inc].stamp == stamp)
      continue;
    f->inc[inc].stamp = stamp;
    fn(f, inc, ctx);
  }
}

/* (the buckets b0..b1 from bucket_range) */
static void grid_visit(truce_fusion *f, int grid, double lat, double lon,
                       double reach_m, int64_t b0, int64_t b1, visit_fn fn,
                       void *ctx) {
  /* the cells that meet the square of side 2 reach_m around the point */
  int64_t x0, y0, x1, y1;
  bool whole = square_cells(f, grid, lat, lon, reach_m, &x0, &y0, &x1, &y1);
  if ((!whole || b1 - b0 > BUCKETS_MAX) &&
      scanned(f, grid, whole, (double)(x1 - x0 + 1) * (double)(y1 - y0 + 1),
              b0, b1, fn, ctx))
    return;
  probes p;
  probes_init(&p, f, fn, ctx);
  unsigned lv = f->levels[grid]; /* (probes_row) */
  if (!lv && x0 <= x1 && columns_inside(f, grid, x0, x1)) {
    /* (probes_row, its columns' mask once for every row) */
    uint64_t m = columns_mask(x0, x1);
    for (int64_t y = y0; y <= y1; y++)
      probes_named(&p, grid, x0, x1, m, y, b0, b1);
  } else {
    for (int64_t y = y0; y <= y1; y++)
      probes_row(&p, grid, x0, x1, y, b0, b1, lv);
  }
  probes_flush(&p);
}

/* The cells along a line of sight: for each row of cells it crosses, the
 * columns from the westmost to the eastmost cell that any of the squares
 * along it meets (a superset of their union: a row's cells are one run
 * for a straight line). Rows beyond ROWS_MAX are not kept (a bound on
 * the work for a range of hundreds of cells), nor a square's reach beyond
 * REACH_CELLS_MAX cells: the search then reads every entry instead
 * (capped, grid_visit_rows). */
#define ROWS_MAX 512
typedef struct rows {
  int64_t y0, n;
  bool capped; /* a square's reach or the rows were bounded */
  int64_t x0[ROWS_MAX], x1[ROWS_MAX];
} rows;

/* The square of side 2 reach_m around a point, added to r. */
static void rows_add(const truce_fusion *f, int grid, double lat, double lon,
                     double reach_m, rows *r) {
  int64_t x0, y0, x1, y1;
  if (!square_cells(f, grid, lat, lon, reach_m, &x0, &y0, &x1, &y1))
    r->capped = true;
  if (r->n == 0) {
    r->y0 = y0;
  } else if (y0 < r->y0) { /* shift the rows down to start at y0 */
    int64_t sh = r->y0 - y0;
    if (r->n + sh > ROWS_MAX) {
      sh = ROWS_MAX - r->n;
      r->capped = true;
    }
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
    if (i >= ROWS_MAX) {
      r->capped = true;
      break;
    }
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

/* A line of sight's band: which cells of its rows can hold an anchor
 * visit_los would accept. Such an anchor lies within range, ahead of the
 * observer, and at most across metres off the line (k times the sigma
 * at the range, with the grid's largest anchor sigma); a cell whose
 * every point fails one of these (on the observer's plane, frame_xy's)
 * is not probed. The bounds are loose by a metre and a relative 1e-5,
 * far beyond rounding, so no anchor the test would accept is missed:
 * the incidents found that can pass are the same as from every cell of
 * the rows. */
typedef struct band {
  double lat, lon, my, mx; /* the observer's plane (frame) */
  double ux, uy;           /* the line's direction, east and north */
  double across, range;
} band;

#define BAND_MARGIN_M 1.0

/* A band's test for one grid's cells: a cell's centre (cell_of,
 * inverted) as an offset on the observer's plane, x * wx + ox east,
 * y * wy + oy north; the band's bounds widened by how far its corners,
 * the margin added, lie from the centre across and along the line. */
typedef struct band_cells {
  double wx, ox, wy, oy;
  double across, behind, far, wrap;
} band_cells;

static void band_cells_of(const truce_fusion *f, int grid, const band *q,
                          band_cells *g) {
  double c = cell_m(grid), wlon = 1 / f->cells_lon[grid], wlat = c / 111000.0,
         m = BAND_MARGIN_M;
  g->wx = wlon * q->mx;
  g->ox = (0.5 * wlon - q->lon) * q->mx;
  g->wy = wlat * q->my;
  g->oy = (0.5 * wlat - q->lat) * q->my;
  double hx = g->wx / 2 + m, hy = g->wy / 2 + m;
  g->across = q->across + hx * fabs(q->uy) + hy * fabs(q->ux);
  g->behind = -(hx * fabs(q->ux) + hy * fabs(q->uy));
  g->far = q->range + len2d(hx, hy);
  g->wrap = 180 * q->mx - hx;
}

/* Can cell (x, y) hold an anchor the line would accept? (A cell
 * frame_xy would wrap across the antimeridian is kept.) */
static bool band_keeps(const band *q, const band_cells *g, int64_t x,
                       double cy) {
  double cx = (double)x * g->wx + g->ox;
  double cross = cx * q->uy - cy * q->ux, along = cx * q->ux + cy * q->uy;
  return !(fabs(cx) < g->wrap &&
           (fabs(cross) > g->across || along < g->behind ||
            cx * cx + cy * cy > g->far * g->far));
}

static void grid_visit_rows(truce_fusion *f, int grid, const rows *r,
                            const band *q, int64_t b0, int64_t b1,
                            visit_fn fn, void *ctx) {
  if (r->capped || b1 - b0 > BUCKETS_MAX) { /* as grid_visit */
    double cells = 0;
    for (int64_t i = 0; i < r->n; i++)
      cells += (double)(r->x1[i] - r->x0[i] + 1);
    if (scanned(f, grid, !r->capped, cells, b0, b1, fn, ctx))
      return;
  }
  band_cells g;
  band_cells_of(f, grid, q, &g);
  probes p;
  probes_init(&p, f, fn, ctx);
  unsigned lv = f->levels[grid]; /* (probes_row) */
  for (int64_t i = 0; i < r->n; i++) {
    int64_t y = r->y0 + i;
    double cy = (double)y * g.wy + g.oy;
    for (int64_t x = r->x0[i]; x <= r->x1[i]; x++)
      if (band_keeps(q, &g, x, cy))
        probes_row(&p, grid, x, x, y, b0, b1, lv);
  }
  probes_flush(&p);
}

/* The same search without the rows: each row's cells whose centres lie
 * where band_keeps keeps them, solved for (where the band's strip,
 * half-plane and disk meet the row: an interval), not tested cell by
 * cell. The bounds band_keeps tests are wider than an acceptable
 * anchor's by a metre (BAND_MARGIN_M: the cell's half-size and a metre
 * more across, behind and beyond the range), so a cell that can hold
 * one has its centre a metre inside them; the interval is widened by
 * half a metre (its rounding is below a micrometre at these distances:
 * a bound divided by a small direction component is as much larger as
 * the metre's margin across is), so every such cell is probed, and at
 * most a few more that hold none. The rows (los_join) hold every cell
 * that can hold an acceptable anchor too: both searches find the same
 * acceptable anchors, and the line joins the same incident. That holds
 * only while nothing bounded the rows (no square's reach capped at 64
 * cells, no more than ROWS_MAX rows) and no cell of theirs lies half
 * the world away, where band_keeps keeps every cell: the caller asks
 * band_direct first. Cheaper: a few divisions per row instead of a
 * dozen squares (four floors each) and a test of every cell of the
 * rows. */
static bool band_direct(const truce_fusion *f, int grid, const band *q,
                        double range, double sa, double sb) {
  double c = cell_m(grid), k = f->opt.k_sigma;
  /* the widest square of los_join's (at most range + c along) */
  double wide = range + c, amax = k * sqrt(wide * sb * wide * sb + sa * sa) +
                                  c / 4;
  amax = amax * (1 + 1e-9) + 1;
  if (!(amax <= REACH_CELLS_MAX * c))
    return false;
  /* its rows: the line's extent north plus two squares' reach, in rows
   * of c (a degree of latitude at least 110,574 m: square_cells) */
  double nrows = (wide + 2 * amax) / 110574.0 * 111000.0 / c + 4;
  if (!(nrows < ROWS_MAX))
    return false;
  /* its cells' centres east of the observer, at most: the line, a
   * square's reach in degrees east (square_cells) and a cell */
  band_cells g;
  band_cells_of(f, grid, q, &g);
  double east = wide + (amax / (111320.0 * f->cos_ref) + 2 * g.wx / q->mx) *
                           q->mx;
  return east * (1 + 1e-6) + 1 < g.wrap && g.far + 3 * g.wx < g.wrap;
}

static double dmin(double a, double b) { return a < b ? a : b; }
static double dmax(double a, double b) { return a > b ? a : b; }

/* (int64_t)ceil(x), as floor_i64. */
static int64_t ceil_i64(double x) { return -floor_i64(-x); }

static void grid_visit_band(truce_fusion *f, int grid, const band *q,
                            int64_t b0, int64_t b1, visit_fn fn,
                            void *ctx) {
  band_cells g;
  band_cells_of(f, grid, q, &g);
  double ux = q->ux, uy = q->uy, A = g.across, B = g.behind, F = g.far;
  double e = BAND_MARGIN_M / 2;
  /* north, the band lies between its corners (along behind..far,
   * across +-A: north = along uy - across ux), and within the disk */
  double ylo = dmax(dmin(B * uy, F * uy) - A * fabs(ux), -F),
         yhi = dmin(dmax(B * uy, F * uy) + A * fabs(ux), F);
  int64_t y0 = ceil_i64((ylo - e - g.oy) / g.wy),
          y1 = floor_i64((yhi + e - g.oy) / g.wy);
  double iux = ux != 0 ? 1 / ux : 0, iuy = uy != 0 ? 1 / uy : 0;
  double iwx = 1 / g.wx; /* (a multiplication per row, not a division) */
  /* as grid_visit (the cells at most the rows' times the disk's width) */
  if (b1 - b0 > BUCKETS_MAX &&
      scanned(f, grid, true, (double)(y1 - y0 + 1) * (2 * F * iwx + 3), b0,
              b1, fn, ctx))
    return;
  probes p;
  probes_init(&p, f, fn, ctx);
  unsigned lv = f->levels[grid]; /* (probes_row) */
  const uint64_t *ro = f->rocc[grid];
  for (int64_t y = y0; y <= y1; y++) {
    /* a row whose every column is clear in rocc at these buckets holds
     * nothing: its interval is not solved for (but for levels above 0,
     * which rocc does not hold) */
    uint64_t any = lv;
    for (int64_t tb = b0; !any && tb <= b1; tb++)
      any = ro[rocc_word(f, grid, tb, y)];
    if (!any)
      continue;
    double cy = (double)y * g.wy + g.oy;
    /* east: within the disk, the strip (|cx uy - cy ux| <= A) and the
     * half-plane (cx ux + cy uy >= B); a zero component bounds the
     * row alone, as the rows' range does */
    double r2 = F * F - cy * cy;
    double hi = sqrt(r2 > 0 ? r2 : 0), lo = -hi;
    if (uy != 0) {
      double s0 = (cy * ux - A) * iuy, s1 = (cy * ux + A) * iuy;
      lo = dmax(lo, dmin(s0, s1));
      hi = dmin(hi, dmax(s0, s1));
    }
    if (ux > 0)
      lo = dmax(lo, (B - cy * uy) * iux);
    else if (ux < 0)
      hi = dmin(hi, (B - cy * uy) * iux);
    int64_t x0 = ceil_i64((lo - e - g.ox) * iwx),
            x1 = floor_i64((hi + e - g.ox) * iwx);
    probes_row(&p, grid, x0, x1, y, b0, b1, lv);
  }
  probes_flush(&p);
}

/* ---- assignment ---- */

typedef struct best {
  const fob *o;
  uint32_t inc;
  double score;
  frame fr; /* at the observation (located) or its observer (LOS) */
  double nx, ny, sr; /* a line of sight: across it, its sigma (radians) */
  bool heard; /* its time depends on where (event_time) */
  double oc;  /* heard: its observer's distance on fr (metres) */
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
static bool heard(const fob *o) {
  unsigned m = o->means ? 1u << (o->means - 1) : 0;
  return o->kind != K_POINT && (m & (TRUCE_MEANS_AUDIO | TRUCE_MEANS_ACOUSTIC));
}

static void event_time(const fob *o, double lat, double lon, int64_t *t0,
                       int64_t *t1) {
  *t0 = o->t0;
  *t1 = o->t1;
  if (!heard(o))
    return;
  double dx, dy;
  offset(o->olat, o->olon, lat, lon, &dx, &dy);
  int64_t delay = (int64_t)(len2d(dx, dy) / SOUND_MPS * 1000);
  *t0 -= delay;
  *t1 -= delay;
}

/* The tolerance time_meets allows on top of two intervals: the slack on
 * each side, and a minute for each time in whole minutes (else a
 * second). */
static int64_t meet_tol_ms(const truce_fusion *f, bool minutes_a,
                           bool minutes_b) {
  return 2 * (int64_t)f->opt.time_slack_ms + (minutes_a ? 60000 : 1000) +
         (minutes_b ? 60000 : 1000);
}

static bool time_meets(const truce_fusion *f, const finc *c, const fob *o) {
  int64_t t0, t1;
  event_time(o, c->lat, c->lon, &t0, &t1);
  int64_t s = meet_tol_ms(f, c->minutes, o->minutes);
  if (t0 > c->t1 + s || c->t0 > t1 + s)
    return false;
  /* two windows: the event's span, stated twice */
  return !(c->is_window && o->is_window) ||
         (llabs(t0 - c->t0) <= s && llabs(t1 - c->t1) <= s);
}

/* time_meets, deciding without the sound's delay where it cannot matter:
 * far_m, when not negative, bounds the distance event_time measures
 * from o's observer to c's anchor, so the delay lies in [0, D]; if the
 * intervals meet (or miss) for every delay in that range, that is the
 * answer, else time_meets finds the delay (a cosine). Two windows:
 * time_meets. */
static bool time_meets_within(const truce_fusion *f, const finc *c,
                              const fob *o, double far_m) {
  if (!f->opt.reference && far_m >= 0 && far_m < 1e7 &&
      !(c->is_window && o->is_window)) {
    int64_t d = (int64_t)(far_m / SOUND_MPS * 1000) + 1;
    int64_t s = meet_tol_ms(f, c->minutes, o->minutes);
    if (o->t0 - d > c->t1 + s || c->t0 > o->t1 + s)
      return false;
    if (o->t0 <= c->t1 + s && c->t0 <= o->t1 - d + s)
      return true;
  }
  return time_meets(f, c, o);
}

/* Bounds for time_meets_within: how much longer offset()'s distance
 * (scaled at the middle latitude of its two points) can be than the
 * same distance on a plane at a third point, when all three lie within
 * PLANE_NEAR_M of each other and below PLANE_NEAR_LAT degrees of
 * latitude: the scale east changes by tan(lat) per radian, at most
 * 2.75 x 0.0095 (2.6%) there; 5% is allowed, and a metre. Beyond those
 * bounds no bound is given (the delay is computed). */
#define PLANE_NEAR_M 60000.0
#define PLANE_NEAR_LAT 70.0
#define PLANE_STRETCH 1.05

static double far_bound(double plane_m, double lat) {
  return plane_m <= PLANE_NEAR_M && fabs(lat) <= PLANE_NEAR_LAT
             ? plane_m * PLANE_STRETCH + 1
             : -1;
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
  /* the tests in the order cheapest first: time_meets finds the sound's
   * delay (a cosine) for what was heard */
  if (!compatible(f, c, o) || (!b->heard && !time_meets(f, c, o)))
    return;
  if (b->fr.my == 0) { /* the plane, once a candidate needs it */
    frame_init(&b->fr, o->lat, o->lon);
    if (b->heard) {
      double ox, oy;
      frame_xy(&b->fr, o->olat, o->olon, &ox, &oy);
      b->oc = len2d(ox, oy);
    }
  }
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
  if (b->heard) {
    /* the observer to the anchor, on this plane: at most the observer
     * to o's centre (b->oc, from los or region) and on to the anchor */
    double far = far_bound(b->oc + len2d(dx, dy), o->lat);
    if (far >= 0 && (fabs(o->lon) > 179 || fabs(c->lon) > 179 ||
                     fabs(c->lat) > PLANE_NEAR_LAT))
      far = -1; /* near the antimeridian or a pole: computed */
    if (!time_meets_within(f, c, o, far))
      return;
  }
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
  if (!compatible(f, c, o))
    return;
  double dx, dy;
  frame_xy(&b->fr, c->lat, c->lon, &dx, &dy);
  double dist = len2d(dx, dy);
  if (dist > f->opt.los_range_m || dist < 1)
    return;
  /* (fr is at the observer) */
  double far = far_bound(dist, o->olat);
  if (far >= 0 && (fabs(o->olon) > 179 || fabs(c->lon) > 179 ||
                   fabs(c->lat) > PLANE_NEAR_LAT))
    far = -1;
  if (!time_meets_within(f, c, o, far))
    return;
  double sr = b->sr, nx = b->nx, ny = b->ny; /* (los_join) */
  /* ahead of the observer, less than 90 degrees off the line, and how
   * far across it: by the offset's parts along the line and across it
   * (its direction is (-ny, nx)), where they are certain; within 1e-9
   * of the right angle, by the angle (atan2 and sin), as before */
  double along = dy * nx - dx * ny, cross = fabs(dx * nx + dy * ny);
  if (!(fabs(along) > 1e-9 * dist)) {
    double off = wrap180(atan2(dx, dy) / DEG - o->bearing);
    if (fabs(off) >= 90)
      return;
    cross = dist * sin(fabs(off) * DEG);
  } else if (along < 0) {
    return;
  }
  /* the anchor's variance across the line of sight */
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
  if (f->ninc == f->capinc) {
    finc *p = grow(f->inc, &f->capinc, sizeof *p, 1024);
    if (!p)
      return seterr(f->err, TRUCE_ENOMEM, "out of memory");
    f->inc = p;
  }
  prefault_ahead(f->inc, sizeof *f->inc, f->ninc, f->capinc, &f->inc_ready);
  /* icount[] and itm[] have room for nobs */
  prefault_ahead(f->icount, sizeof *f->icount, f->ninc, f->nobs,
                 &f->icount_ready);
  prefault_ahead(f->itm, sizeof *f->itm, f->ninc, f->nobs, &f->itm_ready);
  return TRUCE_OK;
}

/* A new incident q: no members yet. */
static void members_none(truce_fusion *f, uint32_t q) {
  f->itm[q].lo = INT64_MIN;
  f->itm[q].hi = f->itm[q].mn = INT64_MAX;
  f->icount[q] = 0;
}

/* Observation oi joins incident q (once): its incident, the incident's
 * count and time, kept as the passes go (not by reading the records
 * again afterwards). */
static void assign(truce_fusion *f, uint32_t oi, uint32_t q) {
  const fob *o = &f->obs[oi];
  itime *t = &f->itm[q];
  f->oinc[oi] = q;
  f->icount[q]++;
  if (o->kind != K_POINT) {
    finc *c = &f->inc[q];
    f->bnext[oi] = c->bhead;
    c->bhead = oi + 1;
    c->bmask |= (uint8_t)(1u << (o->src & 7));
  }
  if (o->t0 > t->lo)
    t->lo = o->t0;
  if (o->t1 < t->hi)
    t->hi = o->t1;
  if (o->t0 < t->mn)
    t->mn = o->t0;
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
  c->weapon = ext_of(f, o)->weapon;
  c->system = ext_of(f, o)->system;
  double s = sigma_max(sxx, sxy, syy);
  double reach = f->opt.k_sigma * M_SQRT2 * s;
  int64_t span = c->t1 - c->t0;
  c->grid = s <= FINE_SIGMA_M && span <= FINE_SPAN_MS / 2   ? 0
            : reach <= MID_CELL_M && span <= MID_SPAN_MS / 2 ? 1
                                                             : 2;
  *out = (uint32_t)f->ninc++;
  members_none(f, *out);
  if (s > f->smax[c->grid])
    f->smax[c->grid] = s;
  f->ngrid[c->grid]++;
  return grid_put(f, c->grid, *out);
}

/* How much earlier than o's own time the event it reports may be: the
 * sound's delay over far_m, for what was heard (event_time), else 0. The
 * searches look back that far as well, so that whether two reports meet
 * never depends on where the time buckets fall. */
static int64_t heard_back_ms(const fob *o, double far_m) {
  return heard(o) ? (int64_t)(far_m / SOUND_MPS * 1000) + 2 : 0;
}

static truce_err join_or_seed(truce_fusion *f, uint32_t oi) {
  fob *o = &f->obs[oi];
  best b = {o, UINT32_MAX, DBL_MAX, {0, 0, 0, 0}, 0, 0, 0, heard(o), 0};
  /* b.fr: set by visit_located when needed */
  double so = sigma_max(o->sxx, o->sxy, o->syy), k = f->opt.k_sigma;
  for (int grid = 0; grid < NGRID; grid++) {
    if (!f->ngrid[grid])
      continue;
    if (f->opt.reference) {
      visit_all(f, grid, visit_located, &b);
      continue;
    }
    double sa = f->smax[grid];
    double reach = k * sqrt(so * so + sa * sa);
    /* an anchor it joins lies within reach of its centre, and a heard
     * region's centre within its greatest distance of the observer */
    int64_t t0 =
        o->t0 - heard_back_ms(o, ((double)o->dmax + reach) * 1.01 + 1);
    int64_t b0, b1;
    bucket_range(f, grid, t0, o->t1, &b0, &b1);
    if (grid_has_time(f, grid, b0, b1))
      grid_visit(f, grid, o->lat, o->lon, reach, b0, b1, visit_located, &b);
  }
  truce_err rc = TRUCE_OK;
  if (b.inc == UINT32_MAX)
    rc = new_incident(f, oi, o->lat, o->lon, o->sxx, o->sxy, o->syy, &b.inc);
  if (!rc)
    assign(f, oi, b.inc);
  return rc;
}

static truce_err los_join(truce_fusion *f, uint32_t oi) {
  fob *o = &f->obs[oi];
  best b = {o, UINT32_MAX, DBL_MAX, {0, 0, 0, 0}, 0, 0, 0, heard(o), 0};
  frame_init(&b.fr, o->olat, o->olon);
  double range = f->opt.los_range_m, bt = o->bearing * DEG;
  double my = b.fr.my, mx = b.fr.mx; /* mpd(o->olat) */
  band q;
  q.lat = o->olat;
  q.lon = o->olon;
  q.my = my;
  q.mx = mx;
  q.ux = sin(bt);
  q.uy = cos(bt);
  b.nx = q.uy; /* visit_los: across the line */
  b.ny = -q.ux;
  b.sr = o->spread / 2 * DEG;
  q.range = range + BAND_MARGIN_M;
  /* an anchor it joins lies within range (visit_los) */
  int64_t t0 = o->t0 - heard_back_ms(o, range);
  for (int grid = 0; grid < NGRID; grid++) {
    if (!f->ngrid[grid])
      continue;
    if (f->opt.reference) {
      visit_all(f, grid, visit_los, &b);
      continue;
    }
    int64_t b0, b1;
    bucket_range(f, grid, t0, o->t1, &b0, &b1);
    if (!grid_has_time(f, grid, b0, b1))
      continue;
    /* along the line of sight, in steps of half a cell, the cells that
     * reach across it as far as an incident could lie off it there */
    double sa = f->smax[grid], c = cell_m(grid), sb = o->spread / 2 * DEG;
    double ux = q.ux / mx, uy = q.uy / my;
    double srr = range * sb;
    q.across = f->opt.k_sigma * sqrt(srr * srr + 1.00001 * sa * sa) * 1.00001 +
               BAND_MARGIN_M;
    if (band_direct(f, grid, &q, range, sa, sb)) {
      grid_visit_band(f, grid, &q, b0, b1, visit_los, &b);
      continue;
    }
    rows r;
    r.n = 0;
    r.capped = false;
    r.y0 = 0;
    for (double t = 0; t <= range + c / 2; t += c / 2) {
      double tt = t + c / 2, sr = tt * sb;
      double across = f->opt.k_sigma * sqrt(sr * sr + sa * sa) + c / 4;
      rows_add(f, grid, o->olat + t * uy, o->olon + t * ux, across, &r);
    }
    grid_visit_rows(f, grid, &r, &q, b0, b1, visit_los, &b);
  }
  if (b.inc != UINT32_MAX)
    assign(f, oi, b.inc);
  return TRUCE_OK;
}

/* Two lines of sight from different observers: where they cross. */
static bool solve(const truce_fusion *f, const uint32_t *idx, size_t n,
                  const frame *fr, double *px, double *py, double *pxx,
                  double *pxy, double *pyy, int *tri);

static bool crossing(const truce_fusion *f, uint32_t ia, uint32_t ib,
                     truce_ellipse *e) {
  const fob *a = &f->obs[ia], *b = &f->obs[ib];
  /* too far apart for certain, without offset()'s cosine: its metres
   * per degree are at least these (mpd) */
  double far = 2 * f->opt.los_range_m * (1 + 1e-9) + 1;
  if (!f->opt.reference &&
      (fabs(b->olat - a->olat) * 110571.0 > far ||
       fabs(wrap180(b->olon - a->olon)) * f->mx_min > far))
    return false;
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
  frame fr;
  frame_init(&fr, a->olat, a->olon);
  if (!solve(f, idx, 2, &fr, &x, &y, &pxx, &pxy, &pyy, &tri))
    return false;
  unoffset(a->olat, a->olon, x, y, &e->lat_deg, &e->lon_deg);
  cov_ellipse(pxx, pxy, pyy, e);
  return true;
}

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

/* The partners a line of sight can have, found by place where many are
 * seen at once. Two lines pair only if their observers stand within
 * far_m of each other (crossing: 2 los_range_m, by degrees north at
 * 110,571 m and east at mx_min, at least what a degree spans), so by
 * their observers' cells of those degrees (rows of dlat, columns of 360 /
 * ncol >= far_m / mx_min, one column when fewer than 3 fit or beyond 85
 * degrees, where mx_min is 0) a partner's cell is the line's own or one
 * of the 8 around it (columns round the world). key[] holds each cell's
 * key (row, column), sorted, each cell's lines, ascending (their places
 * in los[]: canonical order, so by t0), in idx[] from at[c] to at[c + 1]. */
typedef struct partners {
  size_t ncell;
  uint64_t *key;
  size_t *at;
  uint32_t *idx;
  double dlat, wlon;
  int64_t ncol;
} partners;

/* Lines of sight whose partners in their window of time are more than
 * this are searched by place (partners), the rest by reading the window
 * in order. Either way every line of the window that can be its partner
 * is tried (before 27 November 2026, at most 512 were, the first in
 * canonical order, wherever they were). Smaller to test the search by
 * place on small scenes: 0, as make test builds test_fuse once more
 * (FUSE_BY_PLACE), or make fuzz CPPFLAGS=-DPAIR_LINEAR_MAX=0. */
#ifndef PAIR_LINEAR_MAX
#define PAIR_LINEAR_MAX 512
#endif

static uint64_t partner_key(int64_t row, int64_t col) {
  return (uint64_t)(row + ((int64_t)1 << 31)) << 32 | (uint64_t)col;
}

static void partner_cell(const partners *p, double lat, double lon,
                         int64_t *row, int64_t *col) {
  *row = floor_i64(lat / p->dlat);
  *col = p->ncol == 1 ? 0 : floor_i64((lon + 180) / p->wlon);
  if (*col >= p->ncol) /* (180 itself) */
    *col = p->ncol - 1;
  if (*col < 0)
    *col = 0;
}

static int cmp_key_idx(const void *a, const void *b) {
  const uint64_t *x = a, *y = b;
  return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1) : (x[1] > y[1]) - (x[1] < y[1]);
}

static void partners_free(partners *p) {
  truce_free(p->key);
  truce_free(p->at);
  truce_free(p->idx);
  memset(p, 0, sizeof *p);
}

static truce_err partners_build(truce_fusion *f, const uint32_t *los,
                                size_t n, double far_m, partners *p) {
  memset(p, 0, sizeof *p);
  p->dlat = far_m / 110571.0;
  double dlon = f->mx_min > 0 ? far_m / f->mx_min : 360;
  p->ncol = dlon < 120 ? (int64_t)(360 / dlon) : 1;
  if (p->ncol < 3)
    p->ncol = 1;
  p->wlon = 360.0 / (double)p->ncol;
  uint64_t *kv = truce_malloc(2 * (n ? n : 1) * sizeof *kv);
  p->key = truce_malloc((n ? n : 1) * sizeof *p->key);
  p->at = truce_malloc((n + 1) * sizeof *p->at);
  p->idx = truce_malloc((n ? n : 1) * sizeof *p->idx);
  if (!kv || !p->key || !p->at || !p->idx) {
    truce_free(kv);
    partners_free(p);
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  }
  for (size_t k = 0; k < n; k++) {
    const fob *o = &f->obs[los[k]];
    int64_t row, col;
    partner_cell(p, o->olat, o->olon, &row, &col);
    kv[2 * k] = partner_key(row, col);
    kv[2 * k + 1] = k;
  }
  qsort(kv, n, 2 * sizeof *kv, cmp_key_idx);
  for (size_t k = 0; k < n; k++) {
    if (k == 0 || kv[2 * k] != kv[2 * k - 2]) {
      p->key[p->ncell] = kv[2 * k];
      p->at[p->ncell++] = k;
    }
    p->idx[k] = (uint32_t)kv[2 * k + 1];
  }
  p->at[p->ncell] = n;
  truce_free(kv);
  return TRUCE_OK;
}

/* The lines of cell (row, col), as [*lo, *hi) in p->idx; empty if none. */
static void partners_of(const partners *p, int64_t row, int64_t col,
                        size_t *lo, size_t *hi) {
  uint64_t k = partner_key(row, col);
  size_t a = 0, b = p->ncell;
  while (a < b) {
    size_t m = a + (b - a) / 2;
    if (p->key[m] < k)
      a = m + 1;
    else
      b = m;
  }
  *lo = *hi = 0;
  if (a < p->ncell && p->key[a] == k) {
    *lo = p->at[a];
    *hi = p->at[a + 1];
  }
}

/* The best partner so far of los[i] (los_pair): the crossing closest in
 * time, then the smallest; between equals, the first in canonical order
 * (the least j), whatever order they are tried in. */
typedef struct pairing {
  const fob *a;
  int64_t delay;
  double bestm;
  truce_ellipse be; /* (set with bestm) */
  size_t bj;
} pairing;

static void try_partner(truce_fusion *f, const uint32_t *los, size_t i,
                        size_t j, pairing *pg) {
  const fob *a = pg->a, *b = &f->obs[los[j]];
  int64_t ab =
      meet_tol_ms(f, a->minutes, b->minutes) + (heard(b) ? pg->delay : 0);
  if (b->t0 > a->t1 + ab || f->oinc[los[j]] != UINT32_MAX ||
      b->src == a->src || group_of(b->what) != group_of(a->what) ||
      (group_of(a->what) == G_OTHER && a->what != b->what) ||
      (group_of(a->what) == G_WEAPON &&
       ext_of(f, a)->weapon != ext_of(f, b)->weapon))
    return;
  truce_ellipse e;
  /* the same event is seen at the same time: the closest in time, then
   * the smallest ellipse */
  double dt = (double)(llabs(a->t0 - b->t0) + llabs(a->t1 - b->t1)) /
              (f->opt.time_slack_ms + 1);
  if (crossing(f, los[i], los[j], &e) && pair_times(f, a, b, &e)) {
    double m = dt + e.major_m / 1000;
    if (m < pg->bestm || (m == pg->bestm && j < pg->bj)) {
      pg->bestm = m;
      pg->be = e;
      pg->bj = j;
    }
  }
}

/* Lines of sight that joined nothing: pair them into crossings. Each
 * unmatched line, in canonical order, seeds an incident at its best
 * crossing with a later unmatched line (the smallest ellipse, then the
 * canonical order); lines after it may then join that incident. The
 * later lines that can be its partner begin at most far_ms after it
 * ends; where they are more than PAIR_LINEAR_MAX, only those whose
 * observers stand near enough are read (partners). The reference path
 * tries every later line. */
static truce_err los_pair(truce_fusion *f, const uint32_t *los, size_t n) {
  truce_err rc = TRUCE_OK;
  /* how much later a partner's time can begin: time_meets' tolerance
   * and, if it was heard, its sound's delay from the crossing, within
   * range; far_ms at most */
  int64_t delay = (int64_t)(f->opt.los_range_m / SOUND_MPS * 1000) + 2,
          far_ms = meet_tol_ms(f, true, true) + delay;
  partners pt = {0};
  bool built = false;
  for (size_t i = 0; !rc && i < n; i++) {
    const fob *a = &f->obs[los[i]];
    if (f->oinc[los[i]] != UINT32_MAX)
      continue;
    if ((rc = los_join(f, los[i])) || f->oinc[los[i]] != UINT32_MAX)
      continue;
    pairing pg = {a, delay, DBL_MAX, {0, 0, 0, 0, 0}, 0};
    /* the window: los[i + 1 .. end - 1] (by t0) */
    size_t end = n;
    if (!f->opt.reference) {
      size_t lo = i + 1, hi = n;
      while (lo < hi) {
        size_t m = lo + (hi - lo) / 2;
        if (f->obs[los[m]].t0 > a->t1 + far_ms)
          hi = m;
        else
          lo = m + 1;
      }
      end = lo;
    }
    if (f->opt.reference || end - i - 1 <= PAIR_LINEAR_MAX) {
      for (size_t j = i + 1; j < end; j++)
        try_partner(f, los, i, j, &pg);
    } else {
      if (!built) {
        double far = 2 * f->opt.los_range_m * (1 + 1e-9) + 1;
        if ((rc = partners_build(f, los, n, far, &pt)))
          break;
        built = true;
      }
      int64_t row, col;
      partner_cell(&pt, a->olat, a->olon, &row, &col);
      int64_t dc0 = pt.ncol == 1 ? 0 : -1, dc1 = pt.ncol == 1 ? 0 : 1;
      for (int64_t dr = -1; dr <= 1; dr++)
        for (int64_t dc = dc0; dc <= dc1; dc++) {
          int64_t c = col + dc;
          c = c < 0 ? c + pt.ncol : c >= pt.ncol ? c - pt.ncol : c;
          size_t first, last;
          partners_of(&pt, row + dr, c, &first, &last);
          /* from the first after i, while within the window */
          size_t lo = first, hi = last;
          while (lo < hi) {
            size_t m = lo + (hi - lo) / 2;
            if (pt.idx[m] <= i)
              lo = m + 1;
            else
              hi = m;
          }
          for (size_t k = lo; k < last && pt.idx[k] < end; k++)
            try_partner(f, los, i, pt.idx[k], &pg);
        }
    }
    if (pg.bestm == DBL_MAX)
      continue; /* alone: an incident of its own, without position */
    double xx, xy, yy;
    ellipse_cov(&pg.be, &xx, &xy, &yy);
    uint32_t q;
    if ((rc = new_incident(f, los[i], pg.be.lat_deg, pg.be.lon_deg, xx, xy,
                           yy, &q)))
      break;
    assign(f, los[i], q);
    assign(f, los[pg.bj], q);
  }
  partners_free(&pt);
  return rc;
}

/* Lines of sight still alone, once every located observation has its
 * incident: join one, or stand alone (an incident without position). */
static truce_err los_last(truce_fusion *f, const uint32_t *los, size_t n) {
  truce_err rc = TRUCE_OK;
  for (size_t i = 0; !rc && i < n; i++) {
    const fob *a = &f->obs[los[i]];
    if (f->oinc[los[i]] != UINT32_MAX || (rc = los_join(f, los[i])) ||
        f->oinc[los[i]] != UINT32_MAX)
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
    uint32_t q = (uint32_t)f->ninc++;
    members_none(f, q);
    assign(f, los[i], q);
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

#define PARTIES_MAX 16
_Static_assert(PARTIES_MAX <= 16, "truce_fusion.lastp holds PARTIES_MAX");

/* One observation's part in solve(), on its plane: computed once, not
 * at every step (the same values in the same operations: the fit is
 * unchanged). */
typedef struct sterm {
  int kind;
  bool inv;           /* a point with an inverse covariance */
  double px, py;      /* the point, or the region's centre */
  double ox, oy;      /* the observer (bearings) */
  double axx, axy, ayy; /* the inverse covariance (det > 0) */
  double bearing, w;  /* bearings: the angle, its weight */
  double sb, cb;      /* and its sine and cosine */
  double mid, wr;     /* regions: the middle distance, its weight */
} sterm;

static void sterm_of(const frame *fr, const fob *o, sterm *t) {
  t->kind = o->kind;
  double det = (double)o->sxx * o->syy - (double)o->sxy * o->sxy;
  t->inv = det > 0;
  if (t->inv) {
    frame_xy(fr, o->lat, o->lon, &t->px, &t->py);
    t->axx = o->syy / det;
    t->axy = -o->sxy / det;
    t->ayy = o->sxx / det;
  }
  if (o->kind == K_POINT)
    return;
  frame_xy(fr, o->olat, o->olon, &t->ox, &t->oy);
  double sb = (double)o->spread / 2 * DEG;
  t->bearing = o->bearing;
  t->w = 1 / (sb * sb);
  double br = t->bearing * DEG;
  t->sb = sin(br);
  t->cb = cos(br);
  if (o->kind == K_REGION) {
    double sr = ((double)o->dmax - o->dmin) / sqrt(12);
    if (sr < 1)
      sr = 1;
    t->mid = ((double)o->dmin + o->dmax) / 2;
    t->wr = 1 / (sr * sr);
  }
}

/* The angle in radians from a term's bearing to the direction (ux, uy),
 * in (-pi, pi]: wrap180(atan2(ux, uy) / DEG - bearing) * DEG. Near the
 * bearing (within atan(1/8), 7.1 degrees, ahead), as the arctangent of
 * the direction's parts across and along the bearing, by its series
 * (to z^17: the rest below 1e-18 z), where libm's atan2 would cost
 * several times more; the two differ by rounding (1e-16 radians).
 * Elsewhere, atan2. */
static double bearing_residual(const sterm *t, double ux, double uy) {
  double along = ux * t->sb + uy * t->cb, across = ux * t->cb - uy * t->sb;
  if (along > 0 && fabs(across) <= 0.125 * along) {
    /* 1 - w/3 + w^2/5 - ... + w^8/17 (w = z^2), in pairs (Estrin's
     * scheme: the pairs are independent, so their latencies overlap) */
    double z = across / along, w = z * z, w2 = w * w, w4 = w2 * w2;
    double p01 = 1 - w * (1.0 / 3), p23 = 1.0 / 5 - w * (1.0 / 7),
           p45 = 1.0 / 9 - w * (1.0 / 11), p67 = 1.0 / 13 - w * (1.0 / 15);
    double p = (p01 + w2 * p23) + w4 * ((p45 + w2 * p67) + w4 * (1.0 / 17));
    return z * p;
  }
  return wrap180(atan2(ux, uy) / DEG - t->bearing) * DEG;
}

/* The terms of up to SOLVE_TERMS observations are kept; beyond, each is
 * computed where it is needed. */
#define SOLVE_TERMS 32

static const sterm *solve_term(const truce_fusion *f, const frame *fr,
                               const uint32_t *idx, size_t k,
                               const sterm *kept, sterm *tmp) {
  if (k < SOLVE_TERMS)
    return &kept[k];
  sterm_of(fr, &f->obs[idx[k]], tmp);
  return tmp;
}

/* The position that best fits observations (indices into f->obs), by
 * weighted least squares on the tangent plane fr: a point
 * pulls with its covariance; a bearing by its angle (sigma = spread / 2);
 * a distance range by its middle (sigma = (max - min) / sqrt(12)).
 * Gauss-Newton from the weighted points (or the first crossing), until a
 * step is below 1 cm (at most 20). On the plane the azimuths are off by
 * less than 0.1 degree within 20 km at mid latitudes: well inside any
 * reported spread. *tri is set when two or more bearings from observers
 * at least 50 m apart took part. False when the data give no position. */
static bool solve(const truce_fusion *f, const uint32_t *idx, size_t n,
                  const frame *fr, double *px, double *py, double *pxx,
                  double *pxy, double *pyy, int *tri) {
  double x = *px, y = *py;
  size_t nb = 0;
  bool distinct = false;
  sterm kept[SOLVE_TERMS], tmp;
  for (size_t k = 0; k < n && k < SOLVE_TERMS; k++)
    sterm_of(fr, &f->obs[idx[k]], &kept[k]);
  double fx = 0, fy = 0; /* the first observer */
  /* start: the points' weighted mean, else the anchor (x, y given) */
  double ixx = 0, ixy = 0, iyy = 0, bx = 0, by = 0;
  for (size_t k = 0; k < n; k++) {
    const sterm *t = solve_term(f, fr, idx, k, kept, &tmp);
    if (t->kind != K_POINT) {
      if (nb++ == 0) {
        fx = t->ox;
        fy = t->oy;
      } else if (!distinct) {
        distinct = len2d(t->ox - fx, t->oy - fy) >= 50;
      }
      if (t->kind == K_LOS)
        continue;
    }
    if (!t->inv)
      continue;
    ixx += t->axx;
    ixy += t->axy;
    iyy += t->ayy;
    bx += t->axx * t->px + t->axy * t->py;
    by += t->axy * t->px + t->ayy * t->py;
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
      const sterm *t = solve_term(f, fr, idx, k, kept, &tmp);
      if (t->kind == K_POINT) {
        if (!t->inv)
          continue;
        double rx = x - t->px, ry = y - t->py;
        a11 += t->axx;
        a12 += t->axy;
        a22 += t->ayy;
        g1 += t->axx * rx + t->axy * ry;
        g2 += t->axy * rx + t->ayy * ry;
        continue;
      }
      double ux = x - t->ox, uy = y - t->oy, r2 = ux * ux + uy * uy;
      if (r2 < 1)
        r2 = 1;
      double r = sqrt(r2);
      double res = bearing_residual(t, ux, uy);
      double jx = uy / r2, jy = -ux / r2, w = t->w;
      a11 += w * jx * jx;
      a12 += w * jx * jy;
      a22 += w * jy * jy;
      g1 += w * jx * res;
      g2 += w * jy * res;
      if (t->kind == K_REGION) {
        double rr = r - t->mid;
        double kx = ux / r, ky = uy / r, wr = t->wr;
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
  /* every bearing must look towards it: less than 90 degrees off, where
   * the direction's dot product with the bearing's is positive; within
   * 1e-6 of the right angle (far beyond rounding), by the angle itself */
  for (size_t k = 0; k < n; k++) {
    const sterm *t = solve_term(f, fr, idx, k, kept, &tmp);
    if (t->kind == K_POINT)
      continue;
    double ux = x - t->ox, uy = y - t->oy;
    double dot = ux * t->sb + uy * t->cb, tol = 1e-6 * (fabs(ux) + fabs(uy));
    if (dot > tol)
      continue;
    if (dot < -tol)
      return false;
    double off = wrap180(atan2(ux, uy) / DEG - t->bearing);
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
  line_cross lc = {0};
  for (size_t j = 0; j < n; j++) {
    if (fabs(b[j].lat_deg) > 70)
      return FIT_FAR;
    double px, py, u = b[j].bearing_deg * DEG;
    frame_xy(&fr, b[j].lat_deg, b[j].lon_deg, &px, &py);
    double sr = b[j].spread_deg / 2 * DEG;
    line_cross_add(&lc, px, py, sin(u), cos(u), 1 / (sr * sr));
  }
  double x, y;
  if (!line_cross_spread(&lc, TRUCE_TRIANGULATE_MIN_CROSS_DEG) ||
      !line_cross_solve(&lc, &x, &y))
    return FIT_BAD;
  if (!(len2d(x, y) < FIRE_PLANE_M))
    return FIT_FAR;
  double lat, lon;
  unoffset(fr.lat, fr.lon, x, y, &lat, &lon);
  fnormal q, t;
  fire_eval(b, n, lat, lon, &q);
  for (int steps = 0, evals = 0; q.why == FIT_OK;) {
    double det = q.nee * q.nnn - q.nen * q.nen;
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
  double det = q.nee * q.nnn - q.nen * q.nen;
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
    const fext *x = ext_of(f, o);
    if (!x->fire_spread)
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
    b->bearing_deg = x->fire_from;
    b->spread_deg = x->fire_spread / 100.0;
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

/* The word most of members[first, first + n) use; ties: the first in
 * the vocabulary's order. Counted among the members themselves (an
 * incident has a few): the same as counting every word. */
static unsigned what_most(const truce_fusion *f, size_t first, size_t n) {
  unsigned top = 0, most = 0;
  if (n > 16) { /* many: by counting every word */
    unsigned whatn[TRUCE_WHAT_COUNT] = {0};
    for (size_t k = first; k < first + n; k++)
      whatn[mob(f, k)->what]++;
    for (unsigned w = 1; w < TRUCE_WHAT_COUNT; w++)
      if (whatn[w] > whatn[top])
        top = w;
    return top;
  }
  for (size_t k = first; k < first + n; k++) {
    unsigned w = mob(f, k)->what, c = 0;
    if (w == top || (most && w > top && most >= n - (k - first)))
      continue; /* counted, or cannot win */
    for (size_t j = k; j < first + n; j++)
      c += mob(f, j)->what == w;
    /* earlier members never have w: it would have been counted then */
    if (c > most || (c == most && w < top)) {
      most = c;
      top = w;
    }
  }
  return top;
}

static truce_err summarise(truce_fusion *f, uint32_t inc, size_t first,
                           size_t n, fsum *s) {
  /* inc: the incident, its members at members[first, first + n) */
  static const fsum zero; /* (a copy, not memset's rep stos) */
  *s = zero;
  s->first = (uint32_t)first;
  s->nobs = (uint32_t)n;
  const fob *e0 = mob(f, first);
  s->ev_index = e0->index;
  s->ev_pos = e0->pos;
  /* time: the intersection, else the span */
  int64_t lo = INT64_MIN, hi = INT64_MAX, mn = INT64_MAX, mx = INT64_MIN;
  double fsx = 0, fsy = 0;
  unsigned nfire = 0, nspread = 0;
  uint64_t count_sum = 0;
  uint32_t count_max = 0;
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
    uint32_t count = count_of(f, o);
    count_sum += count;
    if (count > count_max)
      count_max = count;
    if (!o->ext)
      continue;
    const fext *x = ext_of(f, o);
    if (x->weapon && x->weapon != TRUCE_WEAPON_UNKNOWN && !s->weapon)
      s->weapon = x->weapon;
    if (x->calibre > 0 && s->calibre == 0)
      s->calibre = x->calibre;
    if (x->has_fire) {
      fsx += sin(x->fire_from * DEG);
      fsy += cos(x->fire_from * DEG);
      nfire++;
      nspread += x->fire_spread > 0;
    }
  }
  s->count_sum = count_sum;
  s->count_max = count_max;
  s->t_ms = lo <= hi ? lo : mn;
  s->t_end_ms = lo <= hi ? hi : mx;
  s->what = (uint8_t)what_most(f, first, n);
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
  uint32_t pr[PARTIES_MAX]; /* the first PARTIES_MAX parties, by rank */
  for (size_t j = 0; j < ns; j++) {
    uint32_t src = f->srclist[j];
    miss *= 1 - f->srcbest[src];
    uint32_t rank = f->srcparty[src];
    bool dup = false;
    for (size_t q = 0; q < np && !dup; q++)
      dup = pr[q] == rank;
    if (!dup && np < PARTIES_MAX)
      pr[np++] = rank;
  }
  s->confidence = (float)(1 - miss);
  /* sorted by name (ranks are in the names' order); the same list as the
   * last is not written again */
  for (size_t a = 1; a < np; a++)
    for (size_t b = a; b > 0 && pr[b] < pr[b - 1]; b--) {
      uint32_t t = pr[b];
      pr[b] = pr[b - 1];
      pr[b - 1] = t;
    }
  if (f->parties && np == f->nlastp &&
      memcmp(pr, f->lastp, np * sizeof *pr) == 0) {
    s->parties = f->lastoff;
  } else {
    for (size_t q = 0; q < np; q++)
      pn[q] = f->pnames[pr[q]];
    if (add_parties(f, pn, np, &s->parties))
      return seterr(f->err, TRUCE_ENOMEM, "out of memory");
    memcpy(f->lastp, pr, np * sizeof *pr);
    f->nlastp = (uint32_t)np;
    f->lastoff = s->parties;
  }
  /* position: one weighted least-squares fit of every observation that
   * says where (docs/fusion.md) */
  const fob *ref = e0;
  for (size_t k = first; k < first + n; k++)
    if (mob(f, k)->kind != K_LOS) {
      ref = mob(f, k);
      break;
    }
  const finc *anchor = &f->inc[inc];
  double rlat = ref->kind == K_LOS ? anchor->lat : ref->lat,
         rlon = ref->kind == K_LOS ? anchor->lon : ref->lon;
  double x = 0, y = 0, pxx = 0, pxy = 0, pyy = 0;
  int tri = 0;
  /* the plane at (rlat, rlon); its latitude's sine and cosine also give
   * the scales at the position found and at its box (sincos_near), as
   * unoffset and mpd would, without their cosines */
  double p = rlat * DEG, sp = sin(p), cp = cos(p), sn, cs;
  frame fr = {rlat, rlon, 0, 0};
  mpd_cos(cp, &fr.my, &fr.mx);
  bool ok = solve(f, f->members + first, n, &fr, &x, &y, &pxx, &pxy, &pyy,
                  &tri);
  if (ok) {
    double my, mlx; /* unoffset(rlat, rlon, x, y, ...) */
    sincos_near(p, sp, cp, y / 222000 * DEG, &sn, &cs);
    mpd_cos(cs, &my, &mlx);
    s->where.lat_deg = rlat + y / my;
    s->where.lon_deg = wrap180(rlon + x / mlx);
    cov_ellipse(pxx, pxy, pyy, &s->where);
    s->where.lat_deg = round(s->where.lat_deg * 1e7) / 1e7;
    s->where.lon_deg = round(s->where.lon_deg * 1e7) / 1e7;
    s->located = 1;
    s->triangulated = (uint8_t)tri;
    double r = s->where.major_m;
    sincos_near(p, sp, cp, (s->where.lat_deg - rlat) * DEG, &sn, &cs);
    mpd_cos(cs, &my, &mlx); /* mpd(s->where.lat_deg) */
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


typedef int (*tie_fn)(const truce_fusion *f, uint32_t a, uint32_t b);
static truce_err sort_keyed(truce_fusion *f, uint64_t *k, uint32_t *v,
                            size_t n, tie_fn tie);

/* Two incidents at the same time: the one whose first member (by
 * citation: its id) comes first. */
static int tie_first(const truce_fusion *f, uint32_t a, uint32_t b) {
  return cmp_cite(&f->obs[f->members[f->istart[a]]],
                  &f->obs[f->members[f->istart[b]]]);
}

/* The size key of a located observation: how far (in fine cells) and how
 * long (in fine spans) it reaches. Best-placed first. */
static double size_key(const truce_fusion *f, const fob *o, double s) {
  /* s: sigma_max of its covariance */
  double a = f->opt.k_sigma * M_SQRT2 * s / FINE_CELL_M;
  double b = (double)(o->t1 - o->t0) / (double)FINE_SPAN_MS;
  return a > b ? a : b;
}


/* floor(4 log2 x), x > 0, as floor(4 * log2(x)) gives it, without the
 * library call where the answer is certain: for x = m 2^e, m in [1, 2),
 * 4e plus how many of 2^(1/4), 2^(1/2), 2^(3/4) m reaches. Where m lies
 * within 1e-9 of one of those, or of 1 or 2, log2's last bit could
 * decide (4 log2 x is then within 3e-9 of a whole number, log2's error
 * under 3e-13 this side of 2^1000): there, and for x subnormal,
 * infinite or NaN, log2 itself. (Compared with floor(4 * log2(x)) over
 * 200 million values, a quarter of them within 50 units in the last
 * place of a threshold: the same everywhere.) */
static double quarter_log2_floor(double x) {
  static const double q1 = 1.1892071150027210667, /* 2^(1/4) */
      q2 = 1.4142135623730950488, q3 = 1.6817928305074290861;
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  int be = (int)(u >> 52 & 0x7FF); /* the biased exponent */
  if (be == 0 || be == 0x7FF || u >> 63)
    return floor(4 * log2(x));
  u = (u & ((1ull << 52) - 1)) | (uint64_t)1023 << 52;
  double m; /* x's significand, in [1, 2) */
  memcpy(&m, &u, sizeof m);
  if (m - 1 < 1e-9 || 2 - m < 1e-9 || fabs(m - q1) < 1e-9 ||
      fabs(m - q2) < 1e-9 || fabs(m - q3) < 1e-9)
    return floor(4 * log2(x));
  return 4.0 * (be - 1023) + (m >= q1) + (m >= q2) + (m >= q3);
}

/* old made into a buffer of `bytes` (its contents not kept): its pages,
 * mapped already, are reused (a fresh page costs the system a fault and
 * zeroing, about 0.8 ms a megabyte here). NULL when out of memory, old
 * then still the caller's to free. */
static void *remap(void *old, size_t bytes) {
  return truce_realloc(old, bytes);
}

/* A buffer for the sorts and permutations of run, kept between them so
 * that each does not map (and the system zero) fresh memory again: at
 * least `bytes`, 8-byte aligned, its contents not kept when it grows.
 * NULL when out of memory. */
static void *scratch(truce_fusion *f, size_t bytes) {
  if (bytes > f->capscr) {
    truce_free(f->scr);
    f->scr = truce_malloc(bytes);
    prefault(f->scr, f->scr ? bytes : 0);
    f->capscr = f->scr ? bytes : 0;
  }
  return f->scr;
}

static void scratch_release(truce_fusion *f) {
  truce_free(f->scr);
  f->scr = NULL;
  f->capscr = 0;
}

/* Sorting observations: a stable LSD radix sort of 64-bit keys, in as
 * few passes of at most RADIX_BITS bits as the bits that differ between
 * the keys need (passes whose digit is the same everywhere skipped), then
 * each run of equal keys by citation (runs are short: a few observations
 * share a millisecond). The result is the order of (key, index, pos),
 * whatever order v[] came in. */
#define RADIX_BITS 12
static int tie_cite(const truce_fusion *f, uint32_t a, uint32_t b) {
  return cmp_cite(&f->obs[a], &f->obs[b]);
}

/* v[0..n) by tie, by insertion: for a few (runs of equal keys are
 * mostly short, and usually come in order already: one comparison
 * each). */
static void sort_short(const truce_fusion *f, uint32_t *v, size_t n,
                       tie_fn tie) {
  for (size_t a = 1; a < n; a++)
    for (size_t b = a; b > 0 && tie(f, v[b], v[b - 1]) < 0; b--) {
      uint32_t t = v[b];
      v[b] = v[b - 1];
      v[b - 1] = t;
    }
}

/* A run longer than this is merge-sorted (sort_ties): thousands of
 * observations at one time and class, added out of citation order, took
 * time in the square of their number by insertion. */
#ifndef TIE_RUN_SHORT /* (a fuzzing build may set it lower) */
#define TIE_RUN_SHORT 32
#endif

/* v[0..n) by tie, by merging (tmp: n places): sorted runs of
 * TIE_RUN_SHORT, then merged pairwise, back and forth between v and
 * tmp. tie is a total order (citations are unique), so the result is
 * the one insertion gives. */
static void sort_ties(const truce_fusion *f, uint32_t *v, size_t n,
                      uint32_t *tmp, tie_fn tie) {
  for (size_t i = 0; i < n; i += TIE_RUN_SHORT)
    sort_short(f, v + i, n - i < TIE_RUN_SHORT ? n - i : TIE_RUN_SHORT, tie);
  uint32_t *src = v, *dst = tmp;
  for (size_t w = TIE_RUN_SHORT; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      size_t a = lo, b = mid, o = lo;
      while (a < mid && b < hi)
        dst[o++] = tie(f, src[b], src[a]) < 0 ? src[b++] : src[a++];
      while (a < mid)
        dst[o++] = src[a++];
      while (b < hi)
        dst[o++] = src[b++];
    }
    uint32_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != v)
    memcpy(v, src, n * sizeof *v);
}

static truce_err sort_keyed(truce_fusion *f, uint64_t *k, uint32_t *v,
                            size_t n, tie_fn tie) {
  if (n < 2)
    return TRUCE_OK;
  uint64_t differ = 0;
  for (size_t i = 1; i < n; i++)
    differ |= k[i] ^ k[0];
  unsigned bits = 0;
  while (bits < 64 && differ >> bits)
    bits++;
  unsigned passes = (bits + RADIX_BITS - 1) / RADIX_BITS;
  unsigned digit = passes ? (bits + passes - 1) / passes : 0;
  size_t nd = (size_t)1 << digit, mask = nd - 1;
  /* tk[n], cnt[passes * nd], tv[n] in the scratch buffer */
  uint64_t *tk = NULL;
  uint32_t *tv = NULL, *cnt = NULL;
  if (passes) {
    tk = scratch(f, n * (sizeof *tk + sizeof *tv) + passes * nd * sizeof *cnt);
    if (!tk)
      return seterr(f->err, TRUCE_ENOMEM, "out of memory");
    cnt = (uint32_t *)(tk + n);
    tv = cnt + passes * nd;
    memset(cnt, 0, passes * nd * sizeof *cnt);
  }
  for (size_t i = 0; passes && i < n; i++)
    for (unsigned d = 0; d < passes; d++)
      cnt[d * nd + ((k[i] >> (digit * d)) & mask)]++;
  uint64_t *sk = k, *dk = tk;
  uint32_t *sv = v, *dv = tv;
  for (unsigned d = 0; d < passes; d++) {
    uint32_t *at = cnt + d * nd;
    if (at[(sk[0] >> (digit * d)) & mask] == n)
      continue; /* one value of this digit: nothing to do */
    uint32_t sum = 0;
    for (size_t b = 0; b < nd; b++) {
      uint32_t c = at[b];
      at[b] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++) {
      uint32_t j = at[(sk[i] >> (digit * d)) & mask]++;
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
  for (size_t i = 0, e; i < n; i = e) {
    for (e = i + 1; e < n && k[e] == k[i]; e++)
      ;
    if (e - i > TIE_RUN_SHORT) {
      /* the radix arrays are spent: the scratch buffer is free */
      uint32_t *tmp = scratch(f, (e - i) * sizeof *tmp);
      if (!tmp)
        return seterr(f->err, TRUCE_ENOMEM, "out of memory");
      sort_ties(f, v + i, e - i, tmp, tie);
    } else {
      sort_short(f, v + i, e - i, tie);
    }
  }
  return TRUCE_OK;
}

/* The size class as a byte, 0-255, from size_key's whole numbers from
 * -80 up (sort_obs). */
static uint8_t class_byte(const fob *o) {
  double c = (double)o->key + 128;
  return (uint8_t)(c < 0 ? 0 : c > 255 ? 255 : c);
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
/* (t0s[], cls[], if given, hold the observations' t0 and class_byte in
 * v's order, so that they are not read from the records; t0s[] then
 * becomes the keys, in place.) */
static truce_err sort_obs(truce_fusion *f, uint32_t *v, size_t n, int mode,
                          int64_t block_ms, uint64_t *t0s,
                          const uint8_t *cls8) {
  uint64_t *k = t0s ? t0s : truce_malloc((n ? n : 1) * sizeof *k);
  if (!k)
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  if (!t0s)
    prefault(k, n * sizeof *k);
  /* each observation read once (they lie across memory): its time in
   * k[], its class (0-255, from size_key's whole numbers from -80 up)
   * kept in the top byte until the classes present are numbered densely */
  uint8_t dense[256];
  memset(dense, 0, sizeof dense);
  uint64_t maxdt = 0;
  bool fits = true;
  for (size_t i = 0; i < n; i++) {
    uint64_t t0 = t0s ? t0s[i] : (uint64_t)f->obs[v[i]].t0;
    uint64_t dt = t0 - (uint64_t)f->tmin;
    uint64_t cls = cls8 ? cls8[i] : class_byte(&f->obs[v[i]]);
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
  /* the class in as few bits as the classes present need (the same
   * order, fewer radix passes) */
  unsigned cbits = 0;
  while (cbits < 8 && (ncls - 1) >> cbits)
    cbits++;
  for (size_t i = 0; diag && i < n; i++) {
    uint64_t cls = k[i] >> 56, dt = k[i] & ((1ull << 56) - 1);
    uint64_t b = dt / blk, d = dense[cls];
    k[i] = (b + 2 * d) << (tbits + cbits) | d << tbits | (dt - b * blk);
  }
  truce_err rc = TRUCE_OK;
  if (fits) {
    rc = sort_keyed(f, k, v, n, tie_cite);
  } else {
    sort_with(f, v, n, sizeof *v, mode == 1 ? cmp_canon : cmp_seed);
  }
  if (!t0s)
    truce_free(k);
  return rc;
}

/* The widest time tolerance time_meets allows on top of the intervals
 * (two times in whole minutes). */
static int64_t meet_slack_ms(const truce_fusion *f) {
  return meet_tol_ms(f, true, true);
}

/* Put the observations at [off, off + n) in the order ord[] gives
 * (absolute indices into obs; ord[] ends as the identity); orig[], if
 * given, moves with them. Following the permutation's cycles jumps
 * across the whole array at every step, a cache and TLB miss each, one
 * after the other; instead, in two steps, as an in-place radix sort by
 * destination: first each record into its block of 2^shift destinations
 * (PERMUTE_BLOCK_BITS: a block's records fit in the L2 cache), where
 * every block is filled from its start, so the reads and writes go
 * forward through a few hundred places at once; then each block's
 * records to their places, within the cache. */
#define PERMUTE_BLOCK_BITS 11
#define PERMUTE_BLOCKS_MAX 1024
#define PERMUTE_AHEAD 6
static truce_err permute(truce_fusion *f, uint32_t *ord, size_t off,
                         size_t n, uint32_t *orig) {
  if (n < 2)
    return TRUCE_OK; /* ord[0] is off: nothing to move */
  /* dst[j]: where the record now at off + j goes (relative to off) */
  uint32_t *dst = scratch(f, n * sizeof *dst);
  if (!dst)
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  if (orig) { /* orig[] is gathered in place through dst[] */
    for (size_t k = 0; k < n; k++)
      dst[k] = orig[ord[k]];
    memcpy(orig + off, dst, n * sizeof *dst);
  }
  for (size_t k = 0; k < n; k++) {
    dst[ord[k] - off] = (uint32_t)k;
    ord[k] = (uint32_t)(off + k);
  }
  fob *ob = f->obs + off;
  unsigned shift = PERMUTE_BLOCK_BITS;
  while ((n - 1) >> shift >= PERMUTE_BLOCKS_MAX)
    shift++;
  size_t nb = ((n - 1) >> shift) + 1;
  uint32_t head[PERMUTE_BLOCKS_MAX]; /* the block's first place not yet
                                        known to hold one of its own */
  for (size_t b = 0; b < nb; b++)
    head[b] = (uint32_t)(b << shift);
  for (size_t b = 0; nb > 1 && b < nb; b++) {
    size_t end = b + 1 < nb ? (b + 1) << shift : n;
    while (head[b] < end) {
      size_t p = head[b];
      uint32_t rd = dst[p];
      if (rd >> shift == b) {
        head[b]++;
        continue;
      }
      /* carry the record at p to its block, the one displaced there to
       * its own, and so on until one belongs at p */
      /* (the record in hand is hand[h]: the one it displaces goes into
       * the other, no third copy) */
      fob hand[2];
      unsigned h = 0;
      hand[0] = ob[p];
      size_t d = rd >> shift;
      do {
        size_t q = head[d];
        while (dst[q] >> shift == d)
          q++; /* a block always has room: the record belongs to it */
        head[d] = (uint32_t)(q + 1);
        PREFETCH_REC(&ob[q + 2 < n ? q + 2 : q]);
        hand[h ^ 1] = ob[q];
        ob[q] = hand[h];
        h ^= 1;
        uint32_t td = dst[q];
        dst[q] = rd;
        rd = td;
        d = rd >> shift;
      } while (d != b);
      ob[p] = hand[h];
      dst[p] = rd;
      head[b] = (uint32_t)(p + 1);
    }
  }
  /* within each block (in the cache, but its lines not yet read),
   * follow the cycles, the record PERMUTE_AHEAD steps ahead fetched
   * meanwhile (dst[] tells where the cycle goes) */
  for (size_t i = 0; i < n; i++) {
    if (dst[i] == i)
      continue;
    fob hand[2];
    unsigned h = 0;
    hand[0] = ob[i];
    size_t j = dst[i], ahead = j;
    for (int k = 0; k < PERMUTE_AHEAD; k++) {
      ahead = dst[ahead];
      PREFETCH_REC(&ob[ahead]);
    }
    while (j != i) {
      ahead = dst[ahead]; /* once the cycle closes, i: its lines are read */
      PREFETCH_REC(&ob[ahead]);
      hand[h ^ 1] = ob[j];
      size_t next = dst[j];
      ob[j] = hand[h];
      h ^= 1;
      dst[j] = (uint32_t)j;
      j = next;
    }
    ob[i] = hand[h];
    dst[i] = (uint32_t)i;
  }
  return TRUCE_OK;
}

/* The sources' parties ranked by name (equal names, one rank), for
 * summarise: its party lists are sorted and compared by rank. */
static int cmp_party(const void *a, const void *b) {
  return strcmp(sort_ctx->src[*(const uint32_t *)a].party,
                sort_ctx->src[*(const uint32_t *)b].party);
}

static truce_err rank_parties(truce_fusion *f) {
  if (!f->nsrc)
    return TRUCE_OK;
  uint32_t *by = truce_malloc(f->nsrc * sizeof *by);
  if (!by)
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  for (size_t i = 0; i < f->nsrc; i++)
    by[i] = (uint32_t)i;
  sort_with(f, by, f->nsrc, sizeof *by, cmp_party);
  uint32_t rank = 0;
  for (size_t i = 0; i < f->nsrc; i++) {
    if (i && strcmp(f->src[by[i]].party, f->src[by[i - 1]].party) != 0)
      rank++;
    f->srcparty[by[i]] = rank;
    f->pnames[rank] = f->src[by[i]].party;
  }
  truce_free(by);
  return TRUCE_OK;
}

/* 0: a precise point, 1: a line of sight, 2: the rest. */
#define PRECISE_SIGMA_M 500.0
static int obs_class(const fob *o, double s) {
  /* s: sigma_max of its covariance */
  if (o->kind == K_LOS)
    return 1;
  return o->kind == K_POINT && s <= PRECISE_SIGMA_M ? 0 : 2;
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
  int64_t block = dms < 1e15 && w < INT64_MAX / 4 && !f->opt.reference
                      ? w + meet_slack_ms(f) + 2 * (int64_t)dms + 1
                      : 0;
  truce_err rc = sort_obs(f, R, n, 0, block, NULL, NULL);
  if (!rc)
    rc = permute(f, R, off, n, orig);
  return rc;
}

truce_err truce_fuse_run(truce_fusion *f) {
  if (!f || f->ran)
    return TRUCE_EINVAL;
  f->ran = 1;
  size_t n = f->nobs;
  truce_err rc = TRUCE_OK;
  f->order = truce_malloc((n ? n : 1) * sizeof *f->order);
  if (!f->order)
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  prefault(f->order, n * sizeof *f->order);
  size_t hs = 1024; /* the grid's table and occupancy bits (below) */
  while (hs < 2 * n)
    hs *= 2;
  size_t os = 32768; /* bits: about 8 per observation */
  while (os < 8 * n)
    os *= 2;
  /* One reading of the observations (120 MB at a million): keys,
   * classes, the extent, and whether the citations come in order. */
  double maxlat = 0;
  f->tmin = INT64_MAX;
  int64_t tmax = INT64_MIN;
  bool in_order = true;
  size_t np = 0, nlos = 0;
  int64_t wp = 0; /* the widest interval of a precise point */
  /* what the sorts need, so that the records are read once: each
   * one's t0, and its class_byte and pass (obs_class) */
  uint64_t *t0s = truce_malloc((n ? n : 1) * sizeof *t0s);
  uint16_t *cp = truce_malloc((n ? n : 1) * sizeof *cp);
  if (!t0s || !cp) {
    truce_free(t0s);
    truce_free(cp);
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  }
  prefault(t0s, n * sizeof *t0s);
  prefault(cp, n * sizeof *cp);
  for (size_t i = 0; i < n; i++) {
    fob *o = &f->obs[i];
    f->order[i] = (uint32_t)i;
    /* best placed first, in classes a factor 2^(1/4) wide: within a
     * class, time order (and so memory order, as the log gives them) */
    double so = sigma_max(o->sxx, o->sxy, o->syy);
    double sk = size_key(f, o, so);
    double kc = sk > 1e-6 ? f->opt.reference ? floor(4 * log2(sk))
                                             : quarter_log2_floor(sk)
                          : -80;
    o->key = (int16_t)(kc < INT16_MAX ? kc : INT16_MAX); /* >= -80 */
    if (fabs(o->lat) > maxlat)
      maxlat = fabs(o->lat);
    if (o->t0 < f->tmin)
      f->tmin = o->t0;
    if (o->t0 > tmax)
      tmax = o->t0;
    if (i && in_order)
      in_order = cmp_cite(o - 1, o) < 0;
    /* Three classes, in this order (order[] will hold them side by
     * side): precise points (best placed first), lines of sight
     * (canonical order: they join those points or cross each other),
     * then regions and imprecise points (best placed first), then the
     * lines of sight still alone. */
    int c = obs_class(o, so);
    t0s[i] = (uint64_t)o->t0;
    cp[i] = (uint16_t)(class_byte(o) | c << 8);
    np += c == 0;
    nlos += c == 1;
    if (c == 0 && o->t1 - o->t0 > wp)
      wp = o->t1 - o->t0;
  }
  f->cos_ref = cos((maxlat < POLAR_LAT ? maxlat : POLAR_LAT) * DEG);
  f->deg_lon_m = 1 / (111320.0 * f->cos_ref);
  for (int g = 0; g < NGRID; g++) {
    f->cells_lat[g] = 111000.0 / cell_m(g);
    /* at least the cells of cell_m metres at cos_ref that fit round */
    f->ncx[g] = (int64_t)ceil(360 * 111320.0 * f->cos_ref / cell_m(g));
    f->cells_lon[g] = (double)f->ncx[g] / 360;
  }
  f->mx_min = maxlat < POLAR_LAT ? 111412.84 * f->cos_ref - 93.5 : 0;
  /* The grid's block of slots per time bucket: about twice the
   * observations of an average fine bucket, 64 to 4096 (slot_of). */
  double nbk = n ? ((double)tmax - (double)f->tmin) / FINE_SPAN_MS + 1 : 1;
  f->hbits = 6;
  while (f->hbits < 12 && (double)((size_t)1 << f->hbits) < 2 * (double)n / nbk)
    f->hbits++;
  /* rocc: a word per row (modulo 64) and time bucket, the buckets the
   * data spans (modulo a power of 2 from 64 to ROCC_BUCKETS_MAX, and at
   * most about one per 64 observations: 2 bytes an observation) */
  size_t rcap = 64;
  while (rcap < ROCC_BUCKETS_MAX && rcap * 64 < n)
    rcap *= 2;
  for (int g = 0; g < NGRID; g++) {
    int64_t nb = n ? bucket_of(f, g, tmax) + 1 : 1; /* (tmin is set) */
    size_t tb = 64;
    while (tb < rcap && (int64_t)tb < nb)
      tb *= 2;
    f->rmask[g] = tb - 1;
    f->rocc[g] = truce_calloc(tb * 64, sizeof *f->rocc[g]);
    if (!f->rocc[g]) {
      truce_free(t0s);
      truce_free(cp);
      return seterr(f->err, TRUCE_ENOMEM, "out of memory");
    }
  }
  /* Each citation once (the check above is linear when they came in
   * order, as they do from the log). */
  if (!in_order) {
    sort_with(f, f->order, n, sizeof *f->order, cmp_cites);
    for (size_t i = 1; i < n; i++)
      if (cmp_cite(&f->obs[f->order[i - 1]], &f->obs[f->order[i]]) == 0) {
        const fob *o = &f->obs[f->order[i]];
        truce_free(t0s);
        truce_free(cp);
        return seterr(f->err, TRUCE_EEXIST,
                      "observation %" PRIu64 ":%u added twice", o->index,
                      o->pos);
      }
  }
  /* order[] by pass, and beside it each one's t0 and class */
  uint64_t *kt = truce_malloc((n ? n : 1) * sizeof *kt);
  uint8_t *kc = truce_malloc(n ? n : 1);
  if (!kt || !kc) {
    truce_free(t0s);
    truce_free(cp);
    truce_free(kt);
    truce_free(kc);
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  }
  prefault(kt, n * sizeof *kt);
  prefault(kc, n);
  size_t at[3] = {0, np, np + nlos};
  for (size_t i = 0; i < n; i++) {
    size_t j = at[cp[i] >> 8]++;
    f->order[j] = (uint32_t)i;
    kt[j] = t0s[i];
    kc[j] = (uint8_t)cp[i];
  }
  /* kept for the incidents and the grid's entries (remap) */
  f->keep[0] = t0s;
  f->keep[1] = cp;
  uint32_t *P = f->order, *L = f->order + np, *R = f->order + np + nlos;
  size_t nr = n - np - nlos;
  /* Precise points: two meet only if their t0 differ by at most the
   * widest interval among them (wp) plus the tolerance (points' times
   * are not corrected for sound). */
  /* (R is ordered after pass 2: order_regions) */
  rc = sort_obs(f, P, np, 0,
                f->opt.reference ? 0 : wp + meet_slack_ms(f) + 1, kt, kc);
  if (!rc)
    rc = sort_obs(f, L, nlos, 1, 0, kt + np, kc + np);
  /* the grid's table and occupancy bits, zero, where the keys were */
  if (!rc && (f->heads = remap(kt, hs * sizeof *f->heads)) != NULL)
    kt = NULL;
  if (!rc && (f->occ = remap(kc, os / 64 * sizeof *f->occ)) != NULL)
    kc = NULL;
  if (!rc && (!f->heads || !f->occ))
    rc = seterr(f->err, TRUCE_ENOMEM, "out of memory");
  truce_free(kt);
  truce_free(kc);
  if (rc)
    return rc;
  memset(f->heads, 0, hs * sizeof *f->heads);
  memset(f->occ, 0, os / 64 * sizeof *f->occ);
  f->hmask = hs - 1;
  f->omask = os - 1;
  /* Where each observation came from: when they were added in citation
   * order, its rank by citation, which puts the members of incidents in
   * citation order without reading their records (below). */
  uint32_t *orig = NULL;
  if (in_order) {
    orig = truce_malloc((n ? n : 1) * sizeof *orig);
    if (!orig)
      return seterr(f->err, TRUCE_ENOMEM, "out of memory");
    prefault(orig, n * sizeof *orig);
    memcpy(orig, f->order, n * sizeof *orig);
  }
  /* The observations in the order they are processed: the passes then
   * read memory in order, and an incident's members lie close. */
  if ((rc = permute(f, f->order, 0, n, NULL))) {
    truce_free(orig);
    return rc;
  }
  f->ibuf = truce_malloc((n ? n : 1) * (3 * sizeof(uint32_t) + sizeof(itime)));
  if (!f->ibuf) {
    truce_free(orig);
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  }
  f->oinc = f->ibuf;
  f->icount = f->oinc + (n ? n : 1);
  f->itm = (itime *)(void *)(f->icount + (n ? n : 1)); /* 8n bytes in */
  f->bnext = (uint32_t *)(void *)(f->itm + (n ? n : 1));
  prefault(f->oinc, n * sizeof *f->oinc);
  memset(f->oinc, 0xFF, n * sizeof *f->oinc); /* UINT32_MAX: none */
  /* the incidents and the grid's entries, where the sorts' times and
   * classes were (room_for_incident and grid_put grow them) */
  if (n >= 1024 && !f->inc && !f->ent) {
    f->inc = f->keep[0];
    f->capinc = n * sizeof(uint64_t) / sizeof(finc);
    f->ent = f->keep[1];
    f->capent = n * sizeof(uint16_t) / sizeof(gent);
    f->inc_ready = f->capinc; /* written by the sorts: mapped */
    f->ent_ready = f->capent;
    f->keep[0] = f->keep[1] = NULL;
  }
  truce_free(f->keep[0]);
  truce_free(f->keep[1]);
  f->keep[0] = f->keep[1] = NULL;
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
  rocc_free(f);
  truce_free(f->ent);
  f->ent = NULL;
  f->capent = f->nent = 0;
  /* members: by incident, then citation: a counting sort by incident,
   * then each incident's by citation (by taking the observations in
   * citation order when orig[] gives it, else by sorting) */
  f->members = f->order;
  f->order = NULL;
  size_t ninc = f->ninc;
  uint32_t *start = truce_calloc(ninc + 2, sizeof *start);
  if (!start) {
    truce_free(orig);
    return seterr(f->err, TRUCE_ENOMEM, "out of memory");
  }
  prefault(start, (ninc + 2) * sizeof *start);
  /* how many each incident has (assign counted them) */
  for (size_t q = 0; q < ninc; q++)
    start[q + 2] = f->icount[q];
  const uint32_t *incs = f->oinc;
  itime *it = f->itm;
  for (size_t i = 0; i < ninc; i++)
    start[i + 2] += start[i + 1];
  /* start[inc + 1]: where incident inc begins; after the scatter, where
   * it ends, so that start[inc] is where it begins and start[ninc] n */
  /* in the order the passes took them: an incident's members lie
   * close in that order, so the scatter writes near where it wrote last
   * (taken in citation order, through orig[]'s inverse, it wrote and
   * read all over the arrays) */
  for (size_t i = 0; i < n; i++)
    f->members[start[incs[i] + 1]++] = (uint32_t)i;
  /* then each incident's by citation: by their ranks (orig[], when
   * they were added in citation order: no record read), else by
   * comparing citations; many (rare) by qsort */
  for (size_t q = 0, k, e; q < ninc; q++) {
    k = start[q];
    e = start[q + 1];
    uint32_t *m = f->members;
    if (e - k > 16) {
      sort_with(f, m + k, e - k, sizeof *m, cmp_cites);
      continue;
    }
    for (size_t i = k + 1; i < e; i++)
      for (size_t j = i;
           j > k && (orig ? orig[m[j]] < orig[m[j - 1]]
                          : cmp_cite(&f->obs[m[j]], &f->obs[m[j - 1]]) < 0);
           j--) {
        uint32_t t = m[j];
        m[j] = m[j - 1];
        m[j - 1] = t;
      }
  }
  truce_free(orig);
  /* The incidents in the order they are kept, (time, id), so that each
   * summary is written in its place: a radix sort of their times (from
   * f->tmin, which no incident's time precedes), ties by their first
   * members' citations. */
  uint64_t *key = truce_malloc((ninc ? ninc : 1) * sizeof *key);
  uint32_t *byt = truce_malloc((ninc ? ninc : 1) * sizeof *byt);
  prefault(key, key ? ninc * sizeof *key : 0);
  prefault(byt, byt ? ninc * sizeof *byt : 0);
  size_t ni = 0;
  if (key && byt)
    for (size_t q = 0; q < ninc; q++) {
      if (start[q + 1] == start[q])
        continue;
      int64_t t = it[q].lo <= it[q].hi ? it[q].lo : it[q].mn;
      key[ni] = (uint64_t)t - (uint64_t)f->tmin;
      byt[ni++] = (uint32_t)q;
    }
  /* oinc, icount, itm: no longer needed (ibuf becomes the summaries) */
  f->oinc = f->icount = f->bnext = NULL;
  f->itm = NULL;
  f->istart = start;
  rc = key && byt ? sort_keyed(f, key, byt, ni, tie_first)
                  : seterr(f->err, TRUCE_ENOMEM, "out of memory");
  f->istart = NULL;
  truce_free(key);
  scratch_release(f); /* the last sort: its memory for the summaries */
  /* each incident's place; the incidents are summarised in the order
   * they were made, in which their members lie close (as the passes put
   * them), each into its place */
  uint32_t *place = rc ? NULL : truce_malloc((ninc ? ninc : 1) * sizeof *place);
  if (!rc && !place)
    rc = seterr(f->err, TRUCE_ENOMEM, "out of memory");
  prefault(place, place ? ninc * sizeof *place : 0);
  if (!rc) {
    for (size_t r = 0; r < ni; r++)
      place[byt[r]] = (uint32_t)r;
    /* in the memory the passes' ibuf used: its pages are mapped
     * already (fresh ones cost the system a fault and zeroing each) */
    f->sum = truce_realloc(f->ibuf, (ni ? ni : 1) * sizeof *f->sum);
    if (f->sum)
      f->ibuf = NULL;
    prefault(f->sum, f->sum ? ni * sizeof *f->sum : 0);
    size_t ns = f->nsrc ? f->nsrc : 1;
    f->srcmark = truce_calloc(ns, sizeof *f->srcmark);
    f->srcbest = truce_calloc(ns, sizeof *f->srcbest);
    f->srclist = truce_calloc(ns, sizeof *f->srclist);
    f->srcparty = truce_calloc(ns, sizeof *f->srcparty);
    f->pnames = truce_calloc(ns, sizeof *f->pnames);
    if (!f->sum || !f->srcmark || !f->srcbest || !f->srclist ||
        !f->srcparty || !f->pnames)
      rc = seterr(f->err, TRUCE_ENOMEM, "out of memory");
    else
      rc = rank_parties(f);
  }
  truce_free(byt);
  for (size_t q = 0; !rc && q < ninc; q++) {
    /* the members of the incident after next, scattered over the
     * passes: fetched while this one is summarised */
    if (q + 2 < ninc && start[q + 3] > start[q + 2]) {
      for (size_t k = start[q + 2]; k < start[q + 3]; k++)
        PREFETCH_REC(&f->obs[f->members[k]]);
      /* and its summary's place (lines written before they are read:
       * fetched for writing, their misses overlap) */
      const char *w = (const char *)&f->sum[place[q + 2]];
      for (size_t b = 0; b < sizeof *f->sum; b += 64)
        PREFETCH_W(w + b);
      PREFETCH_W(w + sizeof *f->sum - 1);
    }
    if (start[q + 1] > start[q])
      rc = summarise(f, (uint32_t)q, start[q], start[q + 1] - start[q],
                     &f->sum[place[q]]);
  }
  truce_free(place);
  truce_free(start);
  f->ninc = rc ? 0 : ni; /* (summaries are written in their places) */
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

/* An entry (line < 0) or an observation of the log that
 * truce_fuse_from_log cannot read or place: counted, the first one's
 * reason kept (truce_fuse_skipped). A log written by this version holds
 * none: its entries were checked as they were appended. */
static void skip(truce_fusion *f, uint64_t index, long line,
                 const char *why) {
  if (f->skipped++ == 0) {
    char w[TRUCE_ERR_MAX];
    snprintf(w, sizeof w, "%s", why); /* (why may be f->err) */
    /* (the reason cut to leave room for the citation) */
    if (line < 0)
      snprintf(f->skip_why, sizeof f->skip_why, "entry %" PRIu64 ": %.400s",
               index, w);
    else
      snprintf(f->skip_why, sizeof f->skip_why,
               "observation %" PRIu64 ":%ld: %.400s", index, line, w);
  }
}

size_t truce_fuse_skipped(const truce_fusion *f, const char **first) {
  if (first)
    *first = f && f->skipped ? f->skip_why : "";
  return f ? f->skipped : 0;
}

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
    if (truce_entry_parse(b.data, b.len, e, why) != TRUCE_OK) {
      skip(f, i, -1, why);
      continue;
    }
    if (e->kind != TRUCE_ENTRY_BATCH)
      continue;
    uint32_t sid = UINT32_MAX;
    for (size_t k = 0; !rc && k < e->nlines; k++) {
      const char *line;
      size_t len;
      truce_entry_line(e, k, &line, &len);
      if (truce_obs_parse(line, len, e->time_ms, o, why) != TRUCE_OK) {
        skip(f, i, (long)k, why);
        continue;
      }
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
      /* One fusion refuses (the log takes none: truce_fuse_add holds
       * observations to its ranges) would be skipped, and counted. */
      rc = truce_fuse_add(f, o, i, (uint32_t)k, sid);
      if (rc == TRUCE_EINVAL) {
        skip(f, i, (long)k, f->err);
        rc = TRUCE_OK;
      }
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
