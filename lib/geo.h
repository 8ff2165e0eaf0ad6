/*
 * geo.h: what geo.c (GeoJSON, the geometry, measuring) and geo_index.c
 * (the spatial index) share, and nothing else may use: the geometry's
 * internal form, the index's layout and the ellipsoid arithmetic both
 * need.
 *
 * The internal form: every geodesic edge of the input is cut into pieces
 * of at most GEO_PIECE_M whose ends lie exactly on the geodesic (PROJ's
 * geod_position), and each piece is kept as its two ends in ECEF metres.
 * Between its ends a piece stands for the curve where the plane through
 * the Earth's centre and both ends meets the ellipsoid: for a 1 km piece
 * that curve is within 0.07 mm of the geodesic (the plane is tilted from
 * the normal section by at most e^2/2 rad, times the 2 cm sagitta), so
 * distances, sides and crossings are those of the geodesic edges to far
 * better than TRUCE_GEO_ON_M.
 *
 * Must not depend on anything in the library but internal.h, PROJ and
 * the C library: the log and observations never see geometry.
 */
#ifndef TRUCE_GEO_H
#define TRUCE_GEO_H

#include "internal.h"

#include <geodesic.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#define GEO_A 6378137.0
#define GEO_F (1 / 298.257223563)
#define GEO_E2 (GEO_F * (2 - GEO_F))
#define GEO_B (GEO_A * (1 - GEO_F))
#define GEO_DEG (3.14159265358979323846 / 180)

/* The longest piece an edge is cut into (see above). */
#define GEO_PIECE_M 1000.0
/* Beyond this chord the fast distance formula hands over to
 * geod_inverse: it is measured within 0.3 mm of it up to 400 km (0.06 mm
 * up to 300 km, but 2.6 cm at 1,000 km; docs/geo.md). */
#define GEO_FAST_MAX_M 4.0e5
/* Hard caps, so a hostile document cannot make the index unbounded. */
#define GEO_PIECES_MAX 4000000u
#define GEO_POSITIONS_MAX 20000000u

/* One piece: what every candidate test reads, in one 64-byte cache line
 * (the array is so aligned). b is bit-identical to the a of the piece
 * that follows it in its part, so orientation tests on a shared vertex
 * agree exactly. */
typedef struct geo_seg {
  double a[3], b[3];
  double il2;    /* 1 / |b - a|^2 (0 for a piece of zero length) */
  uint32_t part; /* which line or ring */
  uint32_t orig; /* the input segment it belongs to, within its part */
} geo_seg;

/* What is read once per point, or rarely. */
typedef struct geo_seginfo {
  double n[3];           /* unit (a x b): points to the left of a -> b */
  int32_t prev, next;    /* neighbouring piece in the same part, or -1 */
  double lla[2], llb[2]; /* a and b in degrees (lat, lon), as given */
} geo_seginfo;

/* A leaf of the quadtree, stored in one run of uint32_t so that a query
 * touches one place: count, state, (areas:) a reference point as three
 * doubles, then its entries (in increasing order of the pieces they
 * hold): each either one piece, or GEO_ENTRY_RUN | a node of the capsule
 * tree, which stands for all the pieces under it (a run of consecutive
 * pieces). Together the entries hold, each once, exactly the pieces that
 * can be nearest to some point of the cell (geo_index.c says why).
 * The reference point lies in the cell, at least 1 cm from every edge,
 * and its inside/outside state is known. */
#define GEO_LEAF_HEAD 2u /* count, state */
#define GEO_LEAF_REF 6u  /* three doubles */
#define GEO_ENTRY_RUN 0x80000000u

/* In the state word: no edge comes near the cell, so no path within it
 * crosses one. */
#define GEO_LEAF_CLEAR 2u

typedef struct geo_cell {
  const uint32_t *cand; /* the entries */
  uint32_t cnt;
  uint32_t inside; /* areas: the reference point's state (0 or 1) */
  bool clear;      /* areas: GEO_LEAF_CLEAR (ref is then not set) */
  double ref[3];
} geo_cell;

/* A node of the capsule tree: every piece of its run lies within rho of
 * the chord from the run's first end a to its last end b (rho < 0: an
 * empty node). One cache line. */
typedef struct geo_cap {
  double a[3], b[3];
  double il2; /* 1 / |b - a|^2 (0 if a = b) */
  double rho;
} geo_cap;

/* Pieces per leaf of the capsule tree. */
#define GEO_BLOCK 8u

/* What geo_cell_near finds for a point: the least chord to a piece, and
 * the pieces whose chord is within geo_margin of it (with the foot's
 * parameter), unless there are more than GEO_NEAR_KEEP (then `more`: ask
 * geo_cell_each for them). */
#define GEO_NEAR_KEEP 64
typedef struct geo_near {
  double cmin;
  uint32_t n;
  bool more;
  uint32_t seg[GEO_NEAR_KEEP];
  double t[GEO_NEAR_KEEP], d2[GEO_NEAR_KEEP];
} geo_near;

#define GEO_LEAF_BIT 0x80000000u
/* A cell all farther than GEO_NEAR_MAX_M from the geometry: its points
 * are measured as in the far field (exact, slower), not indexed. */
#define GEO_FAR_NODE 0xffffffffu
#define GEO_NEAR_MAX_M 350000.0

/* The quadtree under one top cell is one array of uint32_t, built the
 * first time a point falls in the cell, in depth-first order so that a
 * descent stays in few cache lines. Element 0 is the root. A node is
 * either GEO_LEAF_BIT | the offset of its leaf, or the offset of its four
 * children (south-west, south-east, north-west, north-east). */
typedef struct geo_index {
  /* Near field: a grid of top cells over a lon/lat rectangle R that holds
   * everything within ~330 km of the geometry, each the root of a
   * quadtree. u = lon - lon0 wrapped to [0, 360); v = lat. */
  double lon0, umax, vmin, vmax, su, sv;
  uint32_t nu, nv;
  int full_lon;             /* R goes all the way round (poles, wide input) */
  _Atomic(uint32_t *) *sub; /* per top cell; NULL until first needed */
  void **sub_mem;           /* their allocations (sub[i] is aligned inside) */
  pthread_mutex_t mu;       /* serialises building subs, and the counters */
  bool mu_ok;
  size_t nleaf, ncand, nnode, bytes; /* totals over the subs built */
  size_t cand_max;                   /* cap on ncand */
  /* The capsule tree over runs of consecutive pieces: heap order, 1-based
   * (node k's children are 2k and 2k + 1); leaf ncap_leaf + i holds the
   * pieces i * GEO_BLOCK .. + GEO_BLOCK. Leaves of the quadtree refer to
   * its nodes; the far field searches it whole. */
  geo_cap *cap;       /* 64-byte aligned, inside cap_mem */
  void *cap_mem;
  uint32_t ncap_leaf; /* leaves (a power of two) */
  /* Areas: pieces by the longitudes they span (bin k: item[start[k] ..
   * start[k + 1])), for counting crossings along a meridian. */
  uint32_t nbin;
  double binw;
  uint32_t *bin_start, *bin_item;
  bool ray_north; /* rays go to the pole farther from the geometry */
  /* Areas: the state of points outside R, above and below it. */
  int inside_north, inside_south;
} geo_index;

struct truce_geom {
  int kind;
  size_t npos; /* positions as read */
  uint32_t nparts;
  geo_seg *seg; /* 64-byte aligned, inside seg_mem */
  void *seg_mem;
  geo_seginfo *info;
  uint32_t nseg;
  geo_index idx;
  struct geod_geodesic gd;
};

/* Grow *p (of *cap elements of elem bytes) to hold need, doubling, never
 * past max elements. false if that is past max or memory runs out (*p is
 * then unchanged). */
static inline bool geo_grow(void **p, size_t *cap, size_t need, size_t elem,
                            size_t max) {
  if (need <= *cap)
    return true;
  if (need > max)
    return false;
  size_t n = *cap ? *cap : 64;
  while (n < need)
    n = n > max / 2 ? max : n * 2;
  void *q = truce_realloc(*p, n * elem);
  if (!q)
    return false;
  *p = q;
  *cap = n;
  return true;
}

/* ---- small vector arithmetic ---- */

static inline double dot3(const double *a, const double *b) {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
static inline void cross3(const double *a, const double *b, double *out) {
  out[0] = a[1] * b[2] - a[2] * b[1];
  out[1] = a[2] * b[0] - a[0] * b[2];
  out[2] = a[0] * b[1] - a[1] * b[0];
}
static inline double dist3(const double *a, const double *b) {
  double d[3] = {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
  return sqrt(dot3(d, d));
}

/* Geodetic degrees -> ECEF metres on the ellipsoid. Every point, vertex
 * or query, goes through this one function, so equal inputs give equal
 * bits. */
static inline void geo_ecef(double lat_deg, double lon_deg, double *out) {
  double la = lat_deg * GEO_DEG, lo = lon_deg * GEO_DEG;
  double sl = sin(la), cl = cos(la), so = sin(lo), co = cos(lo);
  if (lat_deg == 90 || lat_deg == -90) {
    /* cos(pi/2) is not 0 in doubles: a pole is one point, whatever its
     * longitude. */
    sl = lat_deg > 0 ? 1 : -1;
    cl = 0;
  }
  double n = GEO_A / sqrt(1 - GEO_E2 * sl * sl);
  out[0] = n * cl * co;
  out[1] = n * cl * so;
  out[2] = n * (1 - GEO_E2) * sl;
}

/* A point on the ellipsoid's surface -> degrees (exact on the surface:
 * there z / p = (1 - e^2) tan(lat)). */
static inline void geo_latlon(const double *p, double *lat_deg,
                              double *lon_deg) {
  double h = sqrt(p[0] * p[0] + p[1] * p[1]);
  *lat_deg = atan2(p[2], (1 - GEO_E2) * h) / GEO_DEG;
  *lon_deg = (p[0] == 0 && p[1] == 0) ? 0 : atan2(p[1], p[0]) / GEO_DEG;
}

/* Scale a point along its ray from the centre onto the surface: keeps it
 * in the plane of the piece it came from. */
static inline void geo_to_surface(double *p) {
  double k = (p[0] * p[0] + p[1] * p[1]) / (GEO_A * GEO_A) +
             p[2] * p[2] / (GEO_B * GEO_B);
  if (k > 0) {
    double s = 1 / sqrt(k);
    p[0] *= s;
    p[1] *= s;
    p[2] *= s;
  }
}

/* Geodesic distance between two surface points whose chord is at most
 * GEO_FAST_MAX_M: the chord bent into an arc of the radius of curvature
 * (Euler's formula) at its midpoint in its azimuth. Measured against
 * geod_inverse in docs/geo.md. Constants are multiplied by, not divided
 * by: the compiler keeps a division by a constant, and each costs as much
 * as several steps of the rest. */
static inline double geo_fast_dist(const double *p, const double *q) {
  double d[3] = {q[0] - p[0], q[1] - p[1], q[2] - p[2]};
  double c2 = dot3(d, d);
  if (c2 == 0)
    return 0;
  /* The surface normal under the midpoint: (x, y, z / (1 - e^2)). */
  double n[3] = {(p[0] + q[0]) * 0.5, (p[1] + q[1]) * 0.5,
                 (p[2] + q[2]) * (0.5 / (1 - GEO_E2))};
  double inn = 1 / sqrt(dot3(n, n));
  n[0] *= inn;
  n[1] *= inn;
  n[2] *= inn;
  double up = dot3(d, n);
  double h2 = c2 - up * up; /* horizontal part of the chord, squared */
  double cp2 = n[0] * n[0] + n[1] * n[1];
  double cos2 = 1; /* squared cosine of the azimuth; at a pole, 1 */
  if (cp2 > 1e-24 && h2 > 0) {
    double north_cp = d[2] * cp2 - n[2] * (d[0] * n[0] + d[1] * n[1]);
    cos2 = north_cp * north_cp / (cp2 * h2);
    cos2 = cos2 > 1 ? 1 : cos2;
  }
  /* 1/r = cos2 / M + sin2 / N (Euler), with N = a / sqrt(w) and
   * M = a (1 - e^2) / w^1.5. */
  double w = 1 - GEO_E2 * n[2] * n[2], sw = sqrt(w);
  double ir = sw * (1 / GEO_A) * (1 + cos2 * (w * (1 / (1 - GEO_E2)) - 1));
  /* The arc 2 r asin(c / 2r) by its series: x <= 0.08 up to 1,000 km,
   * where the terms left out are below 1e-12 of it. */
  double c = sqrt(c2), x2 = c2 * ir * ir * 0.25;
  return c * (1 + x2 * (1.0 / 6 +
                        x2 * (3.0 / 40 + x2 * (5.0 / 112 + x2 * (35.0 / 1152)))));
}

/* How much nearer, as a chord, a piece that is not the chord-nearest can
 * still be geodesically nearest: the radius of curvature varies by 1% with
 * azimuth, so two chords c and c' can swap order as arcs only if
 * |c - c'| < 2% of (arc - chord); plus twice the 2 cm sagitta of a
 * piece. */
static inline double geo_margin(double c) {
  const double r0 = 6335000.0; /* the smallest radius of curvature */
  if (c <= GEO_FAST_MAX_M) {
    /* arc - chord = c^3 / (24 r0^2) (1 + 9 x^2 / 20 + ...), x = c / 2r0
     * <= 0.04: the factor 1.01 covers the rest. */
    return 0.05 + c * c * c * (0.025 * 1.01 / (24 * r0 * r0)) + 1e-9 * c;
  }
  double x = c / (2 * r0);
  double arc = 2 * r0 * asin(x < 1 ? x : 1);
  return 0.05 + 0.05 * (arc - c) + 1e-9 * c;
}

/* Squared chord distance from p to a piece; *t receives the clamped
 * parameter of the foot (0 at a, 1 at b). */
static inline double geo_seg_d2(const geo_seg *s, const double *p, double *t) {
  double ap[3] = {p[0] - s->a[0], p[1] - s->a[1], p[2] - s->a[2]};
  double d[3] = {s->b[0] - s->a[0], s->b[1] - s->a[1], s->b[2] - s->a[2]};
  double u = dot3(ap, d) * s->il2;
  u = u < 0 ? 0 : (u > 1 ? 1 : u);
  double e[3] = {ap[0] - u * d[0], ap[1] - u * d[1], ap[2] - u * d[2]};
  *t = u;
  return dot3(e, e);
}

/* ---- the index (geo_index.c) ---- */

/* Build the index of g (its pieces are set). TRUCE_ENOMEM or
 * TRUCE_ETOOBIG; err names the cause. */
truce_err geo_index_build(truce_geom *g, char *err);
void geo_index_free(geo_index *idx);

/* The leaf of the near field holding (lat, lon), into *out: 1. Outside
 * the near field: 0. -1 if the point is to be measured as in the far
 * field although it lies in the near field's box: its cell is farther
 * than GEO_NEAR_MAX_M from the geometry, or its quadtree could not be
 * built (out of memory, or the index's cap): exact, but slower. */
int geo_index_cell(const truce_geom *g, double lat_deg, double lon_deg,
                   geo_cell *out);

/* The top cell holding (lat, lon), in [0, nu * nv), or nu * nv outside
 * the near field: points measured cell by cell share the index's and the
 * geometry's cache lines. */
uint32_t geo_index_order(const truce_geom *g, double lat_deg, double lon_deg);

/* Start fetching the root of (lat, lon)'s quadtree, so that the memory
 * latency overlaps the arithmetic the caller does meanwhile. */
void geo_index_prefetch(const truce_geom *g, double lat_deg, double lon_deg);

/* Inside (1) or outside (0) an area, for a point of the near field at
 * least 1 cm from every edge: crossings along its meridian. Costs in
 * proportion to the pieces at its longitude. */
int geo_index_parity(const truce_geom *g, const double *p);

/* Squared chord distance from p to a capsule's chord. */
static inline double geo_cap_d2(const geo_cap *c, const double *p) {
  double ap[3] = {p[0] - c->a[0], p[1] - c->a[1], p[2] - c->a[2]};
  double d[3] = {c->b[0] - c->a[0], c->b[1] - c->a[1], c->b[2] - c->a[2]};
  double u = dot3(ap, d) * c->il2;
  u = u < 0 ? 0 : (u > 1 ? 1 : u);
  double e[3] = {ap[0] - u * d[0], ap[1] - u * d[1], ap[2] - u * d[2]};
  return dot3(e, e);
}

/* The near field, for a point p of `cell`: the least chord and the
 * pieces that can be geodesically nearest (see geo_near). */
void geo_cell_near(const truce_geom *g, const geo_cell *cell, const double *p,
                   geo_near *out);
/* Every piece of the cell's entries within `reach` of p, to fn. */
void geo_cell_each(const truce_geom *g, const geo_cell *cell, const double *p,
                   double reach, void (*fn)(void *ctx, uint32_t seg),
                   void *ctx);
/* Areas, a cell that is not clear: the parity of the number of edges the
 * path from the cell's reference point to p (a point of the cell)
 * crosses. */
uint32_t geo_cell_crossings(const truce_geom *g, const geo_cell *cell,
                            const double *p);

/* Far field: the nearest chord distance from p to any piece (exact, by
 * the capsule tree), then every piece within `reach` of p is passed to
 * fn. */
double geo_far_min(const truce_geom *g, const double *p);
void geo_far_each(const truce_geom *g, const double *p, double reach,
                  void (*fn)(void *ctx, uint32_t seg), void *ctx);

#endif /* TRUCE_GEO_H */
