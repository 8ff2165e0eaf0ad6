/*
 * geo_index.c: the spatial index of a geometry's pieces (see geo.h), so
 * that measuring a point costs the same whatever the number of vertices.
 *
 * Owns: the capsule tree over runs of consecutive pieces (the far field
 * searches it; the near field's leaves refer to its nodes); the
 * near-field quadtrees (per cell, the pieces that can be nearest to some
 * point of the cell, as single pieces and runs, and for areas a reference
 * point whose inside/outside state is known), built one top cell at a time
 * the first time a point falls in it, under a mutex, published with a
 * release store so that readers need no lock; the search of a leaf and
 * its crossing count; the longitude bins that count crossings along a
 * meridian; and the states of points beyond the near field. Must not
 * depend on GeoJSON or on how a measurement is reported: geo.c does that.
 *
 * Why a cell's list is complete: for a cell with centre C and radius r
 * (every point X of the cell has |X - C| <= r, as chords), let d0 be the
 * chord distance from C to the nearest piece and u_s the unit gradient of
 * the distance to piece s at C. Distance to a convex set is convex, so
 * d_s(X) >= d_s(C) + u_s.(X - C); and d_s0(X) <= d0 + u0.(X - C) +
 * r^2 / (2 (d0 - r)). A piece can be (within the query's margin) nearest
 * to some X only if d_s(C) - d0 <= min(2r, r |u0 - u_s| + r^2 / (2 (d0 -
 * r))) + margin. That test is applied, piece by piece, from the parent's
 * list, which by the same argument holds every piece that can be nearest
 * anywhere in the parent. The plain 2r bound also keeps every piece that
 * passes within 2r of C, so every edge that can cross a path between two
 * points of the cell (such a path stays within 1.03 r of C) is in the
 * list.
 *
 * Runs, so that dense lines do not need tiny cells: a leaf stores its
 * list as entries, each a single piece or a node of the capsule tree
 * (whose pieces are all in the list: whole blocks of GEO_BLOCK
 * consecutive pieces, sibling nodes merged into their parent). The
 * entries hold exactly the pieces of the list, each once. A node's
 * capsule holds all its pieces (every end of every piece lies within rho
 * of the chord from the run's first end to its last, and a capsule is
 * convex), so |p - chord| - rho bounds the chord from p to each of them
 * from below. The search keeps the least chord found so far and the
 * reach it implies (that chord plus geo_margin, which only shrinks as
 * the chord does) and enters a node only if its bound is within the
 * reach: every piece within the final reach of p is visited, which is
 * what the list gave before (the nearest piece and every piece the
 * geodesic measure may prefer to it). The crossing count enters a node
 * only if its capsule meets the plane of the path and comes near the
 * path (geo_cell_crossings says how near), so it counts the same edges
 * as a count over the whole list. A leaf is made when its entries are
 * few (LEAF_MAX), and its pieces are too, or its cell is already small
 * (RUN_CELL_M): then the cost of a point depends on the number of
 * entries and on the depth of the runs searched, not on the number of
 * vertices.
 */
#include "geo.h"

#include <stdlib.h>

/* Tuning, measured on the DeepState boundaries (docs/geo.md): finer top
 * cells bought no speed, and cost memory and build time. Leaves of at
 * most 16 entries (2.9 MB of index for the 2,884-vertex boundary) measured
 * 15-25% faster than 64 (0.8 MB) once points come in cell order
 * (truce_geom_measure_many); 8 (8.8 MB) only 8% more. */
#define TOP_CELLS 4096  /* top cells over the near field */
#define TOP_MAX_DEG 1.0 /* no top cell wider than this */
/* Split a cell with more entries than LEAF_MAX, or more pieces unless the
 * cell is smaller than RUN_CELL_M. Without runs, dense lines (pieces
 * much shorter than 1 km) needed ever smaller cells to keep lists short,
 * and the index grew as 1 / length^2; with them, a cell of 2 km holds a
 * few runs of hundreds of pieces at the cost of a few entries (measured:
 * docs/geo.md). 1 km and 4 km cells measured the same. */
#define LEAF_MAX 16
#define RUN_CELL_M 2000.0
#define DEPTH_MAX 14    /* levels below a top cell */
#define CELL_MIN_M 2.0  /* never split a cell smaller than this */
#define MARGIN_DEG 3.0  /* near field: 331 km of latitude round it */
#define CLEAR_M 0.01    /* a reference point's least distance to edges */

/* ---- the capsule tree over runs of consecutive pieces ---- */

/* The pieces [*lo, *hi) under node k. */
static void cap_range(const truce_geom *g, uint32_t k, uint32_t *lo,
                      uint32_t *hi) {
  uint32_t nl = g->idx.ncap_leaf, first = k, last = k;
  while (first < nl) {
    first = 2 * first;
    last = 2 * last + 1;
  }
  uint64_t l = (uint64_t)(first - nl) * GEO_BLOCK;
  uint64_t h = (uint64_t)(last - nl + 1) * GEO_BLOCK;
  *lo = l < g->nseg ? (uint32_t)l : g->nseg;
  *hi = h < g->nseg ? (uint32_t)h : g->nseg;
}

static double pt_seg_dist(const double *p, const double *a, const double *b,
                          double il2) {
  geo_cap c;
  memcpy(c.a, a, sizeof c.a);
  memcpy(c.b, b, sizeof c.b);
  c.il2 = il2;
  return sqrt(geo_cap_d2(&c, p));
}

/* Below this many pieces a node's rho is the largest distance of any end
 * of its pieces from its chord; above, the bound from its children's
 * (each child's capsule lies within max(distance of its chord's ends) +
 * its rho of the chord: distance to a segment is convex), so building
 * costs O(n log CAP_EXACT). */
#define CAP_EXACT 4096u

static truce_err cap_build(truce_geom *g) {
  geo_index *x = &g->idx;
  uint32_t nl = (g->nseg + GEO_BLOCK - 1) / GEO_BLOCK, p = 1;
  while (p < nl)
    p <<= 1;
  x->ncap_leaf = p;
  x->cap_mem = truce_malloc(2 * (size_t)p * sizeof *x->cap + 64);
  if (!x->cap_mem)
    return TRUCE_ENOMEM;
  x->cap = (geo_cap *)(void *)((char *)x->cap_mem +
                               (64 - (uintptr_t)x->cap_mem % 64) % 64);
  memset(x->cap, 0, 2 * (size_t)p * sizeof *x->cap);
  x->cap[0].rho = -1;
  for (uint32_t k = 2 * p - 1; k >= 1; k--) {
    geo_cap *c = &x->cap[k];
    uint32_t lo, hi;
    cap_range(g, k, &lo, &hi);
    if (lo >= hi) {
      c->rho = -1;
      continue;
    }
    memcpy(c->a, g->seg[lo].a, sizeof c->a);
    memcpy(c->b, g->seg[hi - 1].b, sizeof c->b);
    double d[3] = {c->b[0] - c->a[0], c->b[1] - c->a[1], c->b[2] - c->a[2]};
    double l2 = dot3(d, d);
    c->il2 = l2 > 0 ? 1 / l2 : 0;
    double r = 0;
    if (hi - lo <= CAP_EXACT || k >= p) {
      for (uint32_t j = lo; j < hi; j++) {
        r = fmax(r, sqrt(geo_cap_d2(c, g->seg[j].a)));
        r = fmax(r, sqrt(geo_cap_d2(c, g->seg[j].b)));
      }
    } else {
      for (uint32_t q = 2 * k; q <= 2 * k + 1; q++) {
        const geo_cap *h = &x->cap[q];
        if (h->rho < 0)
          continue;
        r = fmax(r, fmax(pt_seg_dist(h->a, c->a, c->b, c->il2),
                         pt_seg_dist(h->b, c->a, c->b, c->il2)) +
                        h->rho);
      }
    }
    /* Rounding must never leave an end outside its capsule. */
    c->rho = r * (1 + 1e-9) + 1e-6;
  }
  return TRUCE_OK;
}

/* Depth-first, nearer child first. The stack holds at most two entries
 * per level of a tree of at most 2^23 leaves. */
#define CAP_STACK 64

/* The search for the nearest pieces: the least squared chord found so
 * far (best2), the reach it implies (geo_margin: every piece that can
 * still be geodesically nearest is within it), and the pieces found
 * within the reach at the time, in out (those the reach has since passed
 * are dropped at the end). Nodes whose lower bound is beyond the reach
 * are skipped: the reach only shrinks. */
typedef struct near_acc {
  const truce_geom *g;
  const double *p;
  double best2, reach, reach2;
  geo_near *out;
} near_acc;

static void acc_best(near_acc *a, double d2) {
  if (d2 < a->best2) {
    a->best2 = d2;
    double c = sqrt(d2);
    a->reach = c + geo_margin(c);
    a->reach2 = a->reach * a->reach;
  }
}

static void acc_keep(near_acc *a, uint32_t s, double d2, double t) {
  geo_near *o = a->out;
  if (o->n == GEO_NEAR_KEEP) {
    /* Full: drop what the reach has since passed. */
    uint32_t m = 0;
    for (uint32_t i = 0; i < o->n; i++)
      if (o->d2[i] <= a->reach2) {
        o->seg[m] = o->seg[i];
        o->t[m] = o->t[i];
        o->d2[m++] = o->d2[i];
      }
    o->n = m;
    if (m == GEO_NEAR_KEEP) {
      o->more = true; /* the caller asks geo_cell_each */
      return;
    }
  }
  o->seg[o->n] = s;
  o->t[o->n] = t;
  o->d2[o->n++] = d2;
}

/* The pieces [lo, hi) (at most GEO_BLOCK): their distances first (loads
 * independent of each other), then the least, then those within reach. */
static void acc_block(near_acc *a, uint32_t lo, uint32_t hi) {
  double d2[GEO_BLOCK], t[GEO_BLOCK], mn = INFINITY;
  for (uint32_t j = lo; j < hi; j++) {
    d2[j - lo] = geo_seg_d2(&a->g->seg[j], a->p, &t[j - lo]);
    mn = d2[j - lo] < mn ? d2[j - lo] : mn;
  }
  acc_best(a, mn);
  for (uint32_t j = lo; j < hi; j++)
    if (d2[j - lo] <= a->reach2)
      acc_keep(a, j, d2[j - lo], t[j - lo]);
}

/* A lower bound on the chord from p to any piece under a node (each lies
 * in the capsule); infinite for an empty node. */
static double cap_lb(const geo_cap *c, const double *p) {
  if (c->rho < 0)
    return INFINITY;
  return sqrt(geo_cap_d2(c, p)) - c->rho;
}

/* Start loading what searching node k will read: its children, or its
 * block's pieces (one line each), so that the loads overlap. */
static void fetch(const truce_geom *g, uint32_t k) {
#if defined(__GNUC__)
  const geo_index *x = &g->idx;
  if (k < x->ncap_leaf) {
    __builtin_prefetch(&x->cap[2 * k]);
    __builtin_prefetch(&x->cap[2 * k + 1]);
    return;
  }
  uint32_t lo = (k - x->ncap_leaf) * GEO_BLOCK;
  for (uint32_t j = 0; j < GEO_BLOCK && lo + j < g->nseg; j++)
    __builtin_prefetch(&g->seg[lo + j]);
#else
  (void)g;
  (void)k;
#endif
}

/* Search under node `root` (lower bound lb): depth-first, nearer child
 * first. */
static void acc_node(near_acc *a, uint32_t root, double lb) {
  const geo_index *x = &a->g->idx;
  uint32_t stack[CAP_STACK];
  double lbs[CAP_STACK];
  int top = 0;
  stack[top] = root;
  lbs[top++] = lb;
  while (top > 0) {
    top--;
    uint32_t k = stack[top];
    if (lbs[top] > a->reach)
      continue;
    if (k >= x->ncap_leaf) {
      uint32_t lo = (k - x->ncap_leaf) * GEO_BLOCK, hi = lo + GEO_BLOCK;
      acc_block(a, lo, hi < a->g->nseg ? hi : a->g->nseg);
      continue;
    }
    double dl = cap_lb(&x->cap[2 * k], a->p);
    double dr = cap_lb(&x->cap[2 * k + 1], a->p);
    uint32_t n = 2 * k, f = 2 * k + 1;
    if (dr < dl) {
      n = 2 * k + 1;
      f = 2 * k;
      double tmp = dl;
      dl = dr;
      dr = tmp;
    }
    if (dr <= a->reach) {
      fetch(a->g, f);
      stack[top] = f;
      lbs[top++] = dr;
    }
    if (dl <= a->reach) {
      fetch(a->g, n);
      stack[top] = n;
      lbs[top++] = dl;
    }
  }
}

static void acc_init(near_acc *a, const truce_geom *g, const double *p,
                     geo_near *out) {
  a->g = g;
  a->p = p;
  a->best2 = a->reach = a->reach2 = INFINITY;
  a->out = out;
  out->n = 0;
  out->more = false;
}

static void acc_done(near_acc *a) {
  geo_near *o = a->out;
  o->cmin = sqrt(a->best2);
  uint32_t m = 0;
  for (uint32_t i = 0; i < o->n; i++)
    if (o->d2[i] <= a->reach2) {
      o->seg[m] = o->seg[i];
      o->t[m] = o->t[i];
      o->d2[m++] = o->d2[i];
    }
  o->n = m;
}

/* Every piece under node `root` within `reach` of p, to fn, in
 * increasing order. */
static void cap_each(const truce_geom *g, uint32_t root, const double *p,
                     double reach, void (*fn)(void *ctx, uint32_t seg),
                     void *ctx) {
  const geo_index *x = &g->idx;
  uint32_t stack[CAP_STACK];
  int top = 0;
  stack[top++] = root;
  while (top > 0) {
    uint32_t k = stack[--top];
    if (cap_lb(&x->cap[k], p) > reach)
      continue;
    if (k >= x->ncap_leaf) {
      uint32_t lo = (k - x->ncap_leaf) * GEO_BLOCK, hi = lo + GEO_BLOCK;
      if (hi > g->nseg)
        hi = g->nseg;
      for (uint32_t j = lo; j < hi; j++) {
        double t;
        if (geo_seg_d2(&g->seg[j], p, &t) <= reach * reach)
          fn(ctx, j);
      }
      continue;
    }
    /* Right first so that pieces come out in increasing order. */
    stack[top++] = 2 * k + 1;
    stack[top++] = 2 * k;
  }
}

double geo_far_min(const truce_geom *g, const double *p) {
  geo_near scratch;
  near_acc a;
  acc_init(&a, g, p, &scratch);
  acc_node(&a, 1, cap_lb(&g->idx.cap[1], p));
  return sqrt(a.best2);
}

void geo_far_each(const truce_geom *g, const double *p, double reach,
                  void (*fn)(void *ctx, uint32_t seg), void *ctx) {
  cap_each(g, 1, p, reach, fn, ctx);
}

/* ---- answering from a leaf ---- */

/* Up to this many runs of a leaf are searched nearest first, and this
 * many single pieces measured in one pass. */
#define RUNS_SORTED 64
#define SINGLES_KEPT 128

void geo_cell_near(const truce_geom *g, const geo_cell *cell, const double *p,
                   geo_near *out) {
  near_acc a;
  acc_init(&a, g, p, out);
  const uint32_t *e = cell->cand;
  uint32_t nrun = 0, run[RUNS_SORTED], ns = 0, sg[SINGLES_KEPT];
  double lb[RUNS_SORTED], sd2[SINGLES_KEPT], st[SINGLES_KEPT];
  double mn = INFINITY;
  /* The single pieces' distances (independent loads) and the runs'
   * bounds, sorted; then the runs, nearest first, while they can hold a
   * piece within reach; then the single pieces within reach. */
  for (uint32_t i = 0; i < cell->cnt; i++) {
    uint32_t k = e[i];
    if (!(k & GEO_ENTRY_RUN)) {
      if (ns < SINGLES_KEPT) {
        sd2[ns] = geo_seg_d2(&g->seg[k], p, &st[ns]);
        mn = sd2[ns] < mn ? sd2[ns] : mn;
        sg[ns++] = k;
      } else {
        acc_block(&a, k, k + 1);
      }
      continue;
    }
    k &= ~GEO_ENTRY_RUN;
    double l = cap_lb(&g->idx.cap[k], p);
    if (nrun == RUNS_SORTED) { /* no room to sort: now */
      acc_node(&a, k, l);
      continue;
    }
    uint32_t j = nrun++;
    for (; j > 0 && lb[j - 1] > l; j--) {
      run[j] = run[j - 1];
      lb[j] = lb[j - 1];
    }
    run[j] = k;
    lb[j] = l;
  }
  acc_best(&a, mn);
  for (uint32_t i = 0; i < nrun && lb[i] <= a.reach; i++)
    fetch(g, run[i]);
  for (uint32_t i = 0; i < nrun && lb[i] <= a.reach; i++)
    acc_node(&a, run[i], lb[i]);
  for (uint32_t i = 0; i < ns; i++)
    if (sd2[i] <= a.reach2)
      acc_keep(&a, sg[i], sd2[i], st[i]);
  acc_done(&a);
}

void geo_cell_each(const truce_geom *g, const geo_cell *cell, const double *p,
                   double reach, void (*fn)(void *ctx, uint32_t seg),
                   void *ctx) {
  const uint32_t *e = cell->cand;
  for (uint32_t i = 0; i < cell->cnt; i++) {
    if (e[i] & GEO_ENTRY_RUN) {
      cap_each(g, e[i] & ~GEO_ENTRY_RUN, p, reach, fn, ctx);
    } else {
      double t;
      if (geo_seg_d2(&g->seg[e[i]], p, &t) <= reach * reach)
        fn(ctx, e[i]);
    }
  }
}

/* Does the path ref -> p (normal w = ref x p) cross piece s? Both ends
 * of each on opposite sides of the other's plane; a vertex exactly on the
 * path counts as on its positive side, the same in both pieces that
 * share it. */
static uint32_t crosses(const truce_geom *g, uint32_t s, const double *ref,
                        const double *p, const double *w) {
  const geo_seg *sg = &g->seg[s];
  const double *n = g->info[s].n;
  return (dot3(sg->a, w) >= 0) != (dot3(sg->b, w) >= 0) &&
         (dot3(ref, n) >= 0) != (dot3(p, n) >= 0);
}

uint32_t geo_cell_crossings(const truce_geom *g, const geo_cell *cell,
                            const double *p) {
  const geo_index *x = &g->idx;
  const double *ref = cell->ref;
  double w[3];
  cross3(ref, p, w);
  double wn = sqrt(dot3(w, w));
  /* Where a piece crosses the path, its chord and the path's chord meet
   * the same ray from the centre, each no deeper below the surface than
   * c^2 / 8 R for its chord c (R >= 6,335 km, the least radius of
   * curvature): so the piece's crossing point lies within `half + slack`
   * of the path's midpoint m. Runs farther than that, or wholly on one
   * side of the path's plane, hold no piece that crosses it. */
  double m[3], dp[3];
  for (int k = 0; k < 3; k++) {
    m[k] = (ref[k] + p[k]) / 2;
    dp[k] = p[k] - ref[k];
  }
  double c2 = dot3(dp, dp), half = sqrt(c2) / 2;
  double lp = 1.05 * GEO_PIECE_M; /* the longest chord of a piece */
  double slack = 1.1 * (c2 + lp * lp) / (8 * 6.3e6) + 1;
  uint32_t cnt = 0;
  const uint32_t *e = cell->cand;
  for (uint32_t i = 0; i < cell->cnt; i++) {
    if (!(e[i] & GEO_ENTRY_RUN)) {
      cnt += crosses(g, e[i], ref, p, w);
      continue;
    }
    uint32_t stack[CAP_STACK];
    int top = 0;
    stack[top++] = e[i] & ~GEO_ENTRY_RUN;
    while (top > 0) {
      uint32_t k = stack[--top];
      const geo_cap *c = &x->cap[k];
      if (c->rho < 0)
        continue;
      double side = c->rho * wn + 1e-9 * GEO_A * wn;
      double sa = dot3(c->a, w), sb = dot3(c->b, w);
      if ((sa > side && sb > side) || (sa < -side && sb < -side))
        continue;
      double far = c->rho + half + slack;
      if (geo_cap_d2(c, m) > far * far)
        continue;
      if (k < x->ncap_leaf) {
        stack[top++] = 2 * k + 1;
        stack[top++] = 2 * k;
        continue;
      }
      uint32_t lo = (k - x->ncap_leaf) * GEO_BLOCK, hi = lo + GEO_BLOCK;
      if (hi > g->nseg)
        hi = g->nseg;
      for (uint32_t j = lo; j < hi; j++)
        cnt += crosses(g, j, ref, p, w);
    }
  }
  return cnt & 1;
}

static double wrap360(double u) {
  u = fmod(u, 360.0);
  if (u < 0)
    u += 360.0;
  return u >= 360.0 ? 0 : u;
}

/* geo_ecef from precomputed sines and cosines. */
static void ecef_sc(double sl, double cl, double so, double co, double *out) {
  double n = GEO_A / sqrt(1 - GEO_E2 * sl * sl);
  out[0] = n * cl * co;
  out[1] = n * cl * so;
  out[2] = n * (1 - GEO_E2) * sl;
}

/* Centre and radius of cell [u0, u0 + w] x [v0, v0 + h]: the largest
 * chord to its corners and edge midpoints (where the distance from the
 * centre peaks on cells this small), with 1% to spare. */
static double cell_ball(const geo_index *x, double u0, double v0, double w,
                        double h, double *c) {
  double sl[3], cl[3], so[3], co[3];
  for (int i = 0; i < 3; i++) {
    double la = (v0 + h * i / 2) * GEO_DEG;
    double lo = (x->lon0 + u0 + w * i / 2) * GEO_DEG;
    sl[i] = sin(la);
    cl[i] = cos(la);
    so[i] = sin(lo);
    co[i] = cos(lo);
  }
  ecef_sc(sl[1], cl[1], so[1], co[1], c);
  double r = 0;
  for (int i = 0; i <= 2; i++)
    for (int j = 0; j <= 2; j++) {
      if (i == 1 && j == 1)
        continue;
      double q[3];
      ecef_sc(sl[j], cl[j], so[i], co[i], q);
      r = fmax(r, dist3(c, q));
    }
  return r * 1.01 + 0.01;
}

/* ---- building one top cell's quadtree ---- */

typedef struct builder {
  const truce_geom *g;
  geo_index *x;
  uint32_t *nd; /* the nodes being built (as in geo.h, leaf offsets into lv) */
  size_t nlen, ncap;
  uint32_t *lv; /* the leaves */
  size_t llen, lcap;
  uint32_t *stk; /* candidate lists of the cells being split */
  size_t stk_len, stk_cap;
  double *dist; /* chord from the cell's centre, per candidate */
  size_t dist_cap;
} builder;

/* Keep the pieces of l[0..n) that can be nearest somewhere in the ball
 * (c, r) (see the top of the file), in place; returns their number. *d0
 * receives the least chord distance from c. */
static uint32_t filter(builder *b, const double *c, double r, uint32_t *l,
                       uint32_t n, double *d0p) {
  const geo_seg *seg = b->g->seg;
  double d0 = INFINITY;
  uint32_t i0 = 0;
  for (uint32_t i = 0; i < n; i++) {
    double t;
    b->dist[i] = sqrt(geo_seg_d2(&seg[l[i]], c, &t));
    if (b->dist[i] < d0) {
      d0 = b->dist[i];
      i0 = i;
    }
  }
  *d0p = d0;
  if (n == 0)
    return 0;
  double m = geo_margin(d0 + r);
  double u0[3] = {0, 0, 0}, curv = 0;
  bool grad = d0 > 2 * r;
  if (grad) {
    double t;
    const geo_seg *s = &seg[l[i0]];
    geo_seg_d2(s, c, &t);
    for (int k = 0; k < 3; k++)
      u0[k] = (c[k] - (s->a[k] + t * (s->b[k] - s->a[k]))) / d0;
    curv = r * r / (2 * (d0 - r));
  }
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) {
    double ds = b->dist[i], excess = ds - d0;
    if (excess > 2 * r + m)
      continue;
    if (grad && excess > curv + m) {
      double t;
      const geo_seg *s = &seg[l[i]];
      geo_seg_d2(s, c, &t);
      double du = 0;
      for (int q = 0; q < 3; q++) {
        double us = (c[q] - (s->a[q] + t * (s->b[q] - s->a[q]))) / ds;
        du += (u0[q] - us) * (u0[q] - us);
      }
      if (excess > r * sqrt(du) + curv + m)
        continue;
    }
    l[k++] = l[i];
  }
  return k;
}

typedef struct far_list {
  builder *b;
  bool ok;
} far_list;

static void far_collect(void *ctx, uint32_t s) {
  far_list *f = ctx;
  builder *b = f->b;
  if (!geo_grow((void **)&b->stk, &b->stk_cap, b->stk_len + 1, sizeof *b->stk,
                SIZE_MAX / 8)) {
    f->ok = false;
    return;
  }
  b->stk[b->stk_len++] = s;
}

/* The least chord distance from p to the pieces of a list. */
static double list_min(const truce_geom *g, const uint32_t *l, uint32_t n,
                       const double *p) {
  double best = INFINITY;
  for (uint32_t i = 0; i < n; i++) {
    double t, d2 = geo_seg_d2(&g->seg[l[i]], p, &t);
    if (d2 < best)
      best = d2;
  }
  return sqrt(best);
}

/* A reference point in the cell at least CLEAR_M from every edge: the
 * centre if it will do (its distance d0 is known), else the clearest of
 * a 5 x 5 grid of points in the cell. */
static void pick_ref(builder *b, double u0, double v0, double w, double h,
                     const double *c, double d0, const uint32_t *l, uint32_t n,
                     double *ref) {
  memcpy(ref, c, 3 * sizeof *ref);
  if (d0 >= CLEAR_M)
    return;
  double best = d0;
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++) {
      double q[3];
      geo_ecef(v0 + h * (j + 0.5) / 5, b->x->lon0 + u0 + w * (i + 0.5) / 5, q);
      double d = list_min(b->g, l, n, q);
      if (d > best) {
        best = d;
        memcpy(ref, q, sizeof q);
        if (d >= CLEAR_M)
          return;
      }
    }
}

/* The entries of a leaf for the sorted pieces l[0..n), into out (room
 * for n): the pieces of a block of the capsule tree that are all in the
 * list become one entry for the block, and two sibling entries merge into
 * their parent, repeatedly; the other pieces stay single. The entries
 * hold exactly the pieces of the list. Returns their number. */
static uint32_t cover(const truce_geom *g, const uint32_t *l, uint32_t n,
                      uint32_t *out) {
  const geo_index *x = &g->idx;
  uint32_t m = 0;
  for (uint32_t i = 0; i < n;) {
    uint32_t blk = l[i] / GEO_BLOCK, j = i;
    while (j < n && l[j] / GEO_BLOCK == blk)
      j++;
    uint32_t size = g->nseg - blk * GEO_BLOCK; /* the last may be short */
    if (j - i == (size < GEO_BLOCK ? size : GEO_BLOCK)) {
      /* (The list is sorted and has no repeats: all the block.) */
      uint32_t k = x->ncap_leaf + blk;
      while ((k & 1) && m > 0 && out[m - 1] == (GEO_ENTRY_RUN | (k - 1))) {
        m--;
        k /= 2;
      }
      out[m++] = GEO_ENTRY_RUN | k;
    } else {
      for (uint32_t q = i; q < j; q++)
        out[m++] = l[q];
    }
    i = j;
  }
  return m;
}

/* Split cell `node` (its list at stk[off .. off + n)) or make it a leaf. */
static truce_err build_cell(builder *b, size_t node, double u0, double v0,
                            double w, double h, size_t off, uint32_t n,
                            int depth) {
  geo_index *x = b->x;
  double c[3], d0;
  double r = cell_ball(x, u0, v0, w, h, c);
  if (!geo_grow((void **)&b->dist, &b->dist_cap, n, sizeof *b->dist,
                SIZE_MAX / 16))
    return TRUCE_ENOMEM;
  n = filter(b, c, r, b->stk + off, n, &d0);
  b->stk_len = off + n;
  /* The entries, after the list on the stack. */
  if (!geo_grow((void **)&b->stk, &b->stk_cap, off + 2 * (size_t)n,
                sizeof *b->stk, SIZE_MAX / 8))
    return TRUCE_ENOMEM;
  uint32_t *ent = b->stk + off + n;
  uint32_t ne = cover(b->g, b->stk + off, n, ent);
  if ((ne <= LEAF_MAX && (n <= LEAF_MAX || r < RUN_CELL_M)) ||
      depth >= DEPTH_MAX || r < CELL_MIN_M) {
    bool area = b->g->kind == TRUCE_GEOM_AREA;
    size_t len = GEO_LEAF_HEAD + (area ? GEO_LEAF_REF : 0) + ne;
    /* A leaf that fits in a cache line starts one rather than straddle
     * two (leaves start on a 64-byte boundary). */
    size_t pad = len <= 16 && b->llen % 16 + len > 16 ? 16 - b->llen % 16 : 0;
    if (b->llen + pad + len >= GEO_LEAF_BIT / 2 || x->ncand + ne > x->cand_max)
      return TRUCE_ETOOBIG;
    if (!geo_grow((void **)&b->lv, &b->lcap, b->llen + pad + len, sizeof *b->lv,
                  GEO_LEAF_BIT / 2))
      return TRUCE_ENOMEM;
    ent = b->stk + off + n; /* (not moved: stk did not grow since) */
    memset(b->lv + b->llen, 0, pad * sizeof *b->lv);
    size_t at = b->llen + pad;
    b->llen = at + len;
    uint32_t *lf = b->lv + at;
    lf[0] = ne;
    lf[1] = 0;
    if (area) {
      double ref[3];
      pick_ref(b, u0, v0, w, h, c, d0, b->stk + off, n, ref);
      memcpy(lf + GEO_LEAF_HEAD, ref, sizeof ref);
      lf[1] = (uint32_t)geo_index_parity(b->g, ref);
      /* A path between two points of the cell stays within 1.03 r of
       * its centre: if every edge is farther, none can cross it. */
      if (d0 > 1.05 * r)
        lf[1] |= GEO_LEAF_CLEAR;
    }
    memcpy(lf + len - ne, ent, ne * sizeof *lf);
    b->nd[node] = GEO_LEAF_BIT | (uint32_t)at;
    x->ncand += ne;
    x->nleaf++;
    return TRUCE_OK;
  }
  if (b->nlen + 4 >= GEO_LEAF_BIT / 2)
    return TRUCE_ETOOBIG;
  if (!geo_grow((void **)&b->nd, &b->ncap, b->nlen + 4, sizeof *b->nd,
                GEO_LEAF_BIT / 2))
    return TRUCE_ENOMEM;
  size_t at = b->nlen;
  b->nlen += 4;
  b->nd[node] = (uint32_t)at;
  x->nnode += 4;
  w /= 2;
  h /= 2;
  for (uint32_t q = 0; q < 4; q++) {
    /* Each child filters its own copy of this cell's list. */
    size_t coff = off + n;
    if (!geo_grow((void **)&b->stk, &b->stk_cap, coff + n, sizeof *b->stk,
                  SIZE_MAX / 8))
      return TRUCE_ENOMEM;
    memcpy(b->stk + coff, b->stk + off, n * sizeof *b->stk);
    b->stk_len = coff + n;
    truce_err rc = build_cell(b, at + q, u0 + (q & 1 ? w : 0),
                              v0 + (q & 2 ? h : 0), w, h, coff, n, depth + 1);
    if (rc)
      return rc;
    b->stk_len = off + n;
  }
  return TRUCE_OK;
}

/* The tree as one array, on a 64-byte boundary: the nodes in
 * breadth-first order (so the top levels, fetched first, share a cache
 * line or two), then the leaves. *mem receives the allocation. */
static uint32_t *serialize(builder *b, void **mem) {
  size_t ngroups = (b->nlen - 1) / 4;
  size_t base = (1 + 4 * ngroups + 15) / 16 * 16, len = base + b->llen;
  *mem = truce_malloc(len * sizeof(uint32_t) + 64);
  size_t *queue = truce_malloc((ngroups ? ngroups : 1) * 2 * sizeof *queue);
  if (!*mem || !queue) {
    truce_free(*mem);
    truce_free(queue);
    *mem = NULL;
    return NULL;
  }
  uint32_t *out =
      (uint32_t *)(void *)((char *)*mem + (64 - (uintptr_t)*mem % 64) % 64);
  memset(out, 0, base * sizeof *out);
  /* A queue of (old, new) offsets of groups of four children. */
  size_t head = 0, tail = 0, pos = 1;
  uint32_t root = b->nd[0];
  if (root == GEO_FAR_NODE || (root & GEO_LEAF_BIT)) {
    out[0] = root == GEO_FAR_NODE
                 ? root
                 : GEO_LEAF_BIT | (uint32_t)(base + (root & ~GEO_LEAF_BIT));
  } else {
    out[0] = (uint32_t)pos;
    queue[2 * tail] = root;
    queue[2 * tail++ + 1] = pos;
    pos += 4;
  }
  while (head < tail) {
    size_t old = queue[2 * head], at = queue[2 * head + 1];
    head++;
    for (size_t q = 0; q < 4; q++) {
      uint32_t e = b->nd[old + q];
      if (e & GEO_LEAF_BIT) {
        out[at + q] = GEO_LEAF_BIT | (uint32_t)(base + (e & ~GEO_LEAF_BIT));
      } else {
        out[at + q] = (uint32_t)pos;
        queue[2 * tail] = e;
        queue[2 * tail++ + 1] = pos;
        pos += 4;
      }
    }
  }
  if (b->llen) /* none under a far node */
    memcpy(out + base, b->lv, b->llen * sizeof *out);
  truce_free(queue);
  b->x->bytes += len * sizeof *out;
  return out;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Build the quadtree of top cell i. Called with x->mu held. */
static uint32_t *build_sub(const truce_geom *g, size_t i) {
  uint32_t iu = (uint32_t)(i % g->idx.nu), iv = (uint32_t)(i / g->idx.nu);
  geo_index *x = (geo_index *)&g->idx;
  builder b;
  memset(&b, 0, sizeof b);
  b.g = g;
  b.x = x;
  size_t nleaf = x->nleaf, ncand = x->ncand, nnode = x->nnode;
  truce_err rc = TRUCE_ENOMEM;
  uint32_t *out = NULL;
  void *mem = NULL;
  if (!geo_grow((void **)&b.nd, &b.ncap, 64, sizeof *b.nd, GEO_LEAF_BIT))
    goto done;
  b.nlen = 1;
  double u0 = iu * x->su, v0 = x->vmin + iv * x->sv, c[3];
  double r = cell_ball(x, u0, v0, x->su, x->sv, c);
  double d0 = geo_far_min(g, c);
  if (d0 - r > GEO_NEAR_MAX_M) {
    /* Nothing near: the far field answers (its list would be long, and
     * the tree deep, for points whose nearest piece barely changes). */
    b.nd[0] = GEO_FAR_NODE;
    rc = TRUCE_OK;
  } else {
    far_list fl = {&b, true};
    geo_far_each(g, c, d0 + 2 * r + geo_margin(d0 + r) + 1e-6, far_collect,
                 &fl);
    if (fl.ok) {
      qsort(b.stk, b.stk_len, sizeof *b.stk, cmp_u32);
      rc = build_cell(&b, 0, u0, v0, x->su, x->sv, 0, (uint32_t)b.stk_len, 0);
    }
  }
  if (rc == TRUCE_OK)
    out = serialize(&b, &mem);
done:
  truce_free(b.stk);
  truce_free(b.dist);
  truce_free(b.nd);
  truce_free(b.lv);
  if (!out) {
    x->nleaf = nleaf;
    x->ncand = ncand;
    x->nnode = nnode;
    return NULL;
  }
  x->sub_mem[i] = mem;
  return out;
}

/* ---- the near field and the states of areas ---- */

/* The near field R: the geometry's latitudes and the shortest run of
 * longitudes holding it, grown by MARGIN_DEG of latitude and as much
 * longitude as that is at R's highest latitude. */
static void near_field(truce_geom *g, double *lat_lo, double *lat_hi) {
  geo_index *x = &g->idx;
  enum { NB = 3600 };
  static const double bw = 360.0 / NB;
  uint8_t used[NB];
  memset(used, 0, sizeof used);
  double lo = 90, hi = -90;
  for (uint32_t i = 0; i <= g->nseg; i++) {
    const double *p = i < g->nseg ? g->seg[i].a : g->seg[g->nseg - 1].b;
    double la, lon;
    geo_latlon(p, &la, &lon);
    lo = fmin(lo, la);
    hi = fmax(hi, la);
    int k = (int)(wrap360(lon + 180) / bw);
    used[k < NB ? k : NB - 1] = 1;
  }
  *lat_lo = lo;
  *lat_hi = hi;
  x->vmin = fmax(-90, lo - MARGIN_DEG);
  x->vmax = fmin(90, hi + MARGIN_DEG);
  /* The longest circular run of empty longitude bins. */
  int best_len = 0, best_end = 0, run = 0;
  for (int k = 0; k < 2 * NB; k++) {
    if (used[k % NB]) {
      run = 0;
      continue;
    }
    if (++run > best_len && run <= NB) {
      best_len = run;
      best_end = k % NB; /* last empty bin */
    }
  }
  double phi = fmax(fabs(x->vmin), fabs(x->vmax));
  double s = sin(MARGIN_DEG * 1.01 * GEO_DEG) / cos(phi * GEO_DEG);
  double dlon = phi >= 85 || s >= 1 ? 360 : asin(s) / GEO_DEG + 0.1;
  double west = -180 + (best_end + 1) * bw; /* first used bin */
  double extent = 360 - best_len * bw;
  if (best_len == NB || extent + 2 * dlon + 2 * bw >= 360) {
    x->full_lon = 1;
    x->lon0 = -180;
    x->umax = 360;
  } else {
    x->full_lon = 0;
    x->lon0 = west - dlon - bw;
    x->umax = extent + 2 * dlon + 2 * bw;
  }
}

/* Does piece s cross the meridian of p between p and the pole (north if
 * north, else south)? With all, anywhere on p's half-meridian from pole
 * to pole. A vertex exactly on the meridian counts as east of it, in
 * every piece that shares it, so a path through a vertex crosses once. */
static bool meridian_cross(const geo_seg *s, const double *p, bool north,
                           bool all) {
  double ph = sqrt(p[0] * p[0] + p[1] * p[1]);
  double hx = p[0] / ph, hy = p[1] / ph;
  double sa = -hy * s->a[0] + hx * s->a[1];
  double sb = -hy * s->b[0] + hx * s->b[1];
  if ((sa >= 0) == (sb >= 0))
    return false;
  double t = sa / (sa - sb);
  double q[3];
  for (int k = 0; k < 3; k++)
    q[k] = s->a[k] + t * (s->b[k] - s->a[k]);
  double qh = hx * q[0] + hy * q[1];
  if (qh <= 0)
    return false; /* the other half of the great circle */
  if (all)
    return true;
  return north ? q[2] * ph > p[2] * qh : q[2] * ph < p[2] * qh;
}

int geo_index_parity(const truce_geom *g, const double *p) {
  const geo_index *x = &g->idx;
  double la, lon;
  geo_latlon(p, &la, &lon);
  double u = wrap360(lon - x->lon0) / x->binw;
  uint32_t k = u >= x->nbin - 1 ? x->nbin - 1 : (uint32_t)u;
  uint32_t cnt = 0;
  for (uint32_t j = x->bin_start[k]; j < x->bin_start[k + 1]; j++)
    cnt += meridian_cross(&g->seg[x->bin_item[j]], p, x->ray_north, false);
  return (int)(cnt & 1);
}

/* The pieces by longitude bin, for geo_index_parity. */
static truce_err make_bins(truce_geom *g) {
  geo_index *x = &g->idx;
  uint32_t nb = g->nseg < (1u << 18) ? 4 * g->nseg : (1u << 20);
  nb = nb < 64 ? 64 : nb;
  double bw = x->umax / nb;
  x->nbin = nb;
  x->binw = bw;
  x->bin_start = truce_calloc((size_t)nb + 1, sizeof *x->bin_start);
  uint32_t(*range)[2] = truce_malloc((size_t)g->nseg * sizeof *range);
  truce_err rc = TRUCE_ENOMEM;
  if (!x->bin_start || !range)
    goto done;
  /* The bins whose meridians a piece can cross: those of the longitudes
   * it spans, a hair wider for rounding; pieces near the axis, and across
   * the seam of a round-the-world field, may cross any. */
  size_t total = 0;
  for (uint32_t i = 0; i < g->nseg; i++) {
    const geo_seg *s = &g->seg[i];
    double la, lona, lonb;
    geo_latlon(s->a, &la, &lona);
    geo_latlon(s->b, &la, &lonb);
    double ua = wrap360(lona - x->lon0), ub = wrap360(lonb - x->lon0);
    double pa = sqrt(s->a[0] * s->a[0] + s->a[1] * s->a[1]);
    double pb = sqrt(s->b[0] * s->b[0] + s->b[1] * s->b[1]);
    uint32_t b0 = 0, b1 = nb - 1;
    if (fmin(pa, pb) >= 4 * dist3(s->a, s->b) + 1 && fabs(ua - ub) <= 180) {
      double lo = (fmin(ua, ub) - 1e-9) / bw, hi = (fmax(ua, ub) + 1e-9) / bw;
      b0 = lo <= 0 ? 0 : (lo >= nb - 1 ? nb - 1 : (uint32_t)lo);
      b1 = hi >= nb - 1 ? nb - 1 : (hi <= 0 ? 0 : (uint32_t)hi);
    }
    range[i][0] = b0;
    range[i][1] = b1;
    total += b1 - b0 + 1;
    if (total >= UINT32_MAX || total > x->cand_max) {
      rc = TRUCE_ETOOBIG;
      goto done;
    }
    for (uint32_t k = b0; k <= b1; k++)
      x->bin_start[k + 1]++;
  }
  x->bin_item = truce_malloc(total ? total * sizeof *x->bin_item : 1);
  if (!x->bin_item)
    goto done;
  /* Prefix sums make bin_start[k] bin k's first slot; filling advances
   * it to bin k's end; then shift back. */
  for (uint32_t k = 0; k < nb; k++)
    x->bin_start[k + 1] += x->bin_start[k];
  for (uint32_t i = 0; i < g->nseg; i++)
    for (uint32_t k = range[i][0]; k <= range[i][1]; k++)
      x->bin_item[x->bin_start[k]++] = i;
  for (uint32_t k = nb; k > 0; k--)
    x->bin_start[k] = x->bin_start[k - 1];
  x->bin_start[0] = 0;
  rc = TRUCE_OK;
done:
  truce_free(range);
  return rc;
}

/* ---- the index as a whole ---- */

truce_err geo_index_build(truce_geom *g, char *err) {
  geo_index *x = &g->idx;
  memset(x, 0, sizeof *x);
  /* Room for a few dozen entries per piece; beyond that the input is
   * pathological, and points fall back to the far-field search. */
  x->cand_max = (size_t)g->nseg * 256 + (1u << 22);
  truce_err rc = cap_build(g);
  if (rc)
    goto fail;
  double lat_lo, lat_hi;
  near_field(g, &lat_lo, &lat_hi);
  double vspan = x->vmax - x->vmin;
  double mid = (x->vmax + x->vmin) / 2;
  double cmid = fmax(cos(mid * GEO_DEG), 0.05);
  double sv = sqrt(vspan * x->umax * cmid / TOP_CELLS);
  sv = fmin(fmax(sv, 0.01), TOP_MAX_DEG);
  double su = fmin(sv / cmid, TOP_MAX_DEG * 4);
  x->nv = (uint32_t)ceil(vspan / sv);
  x->nu = (uint32_t)ceil(x->umax / su);
  x->nv = x->nv < 1 ? 1 : x->nv;
  x->nu = x->nu < 1 ? 1 : x->nu;
  x->sv = vspan / x->nv;
  x->su = x->umax / x->nu;
  x->sub = truce_calloc((size_t)x->nu * x->nv, sizeof *x->sub);
  if (!x->sub) {
    rc = TRUCE_ENOMEM;
    goto fail;
  }
  x->sub_mem = truce_calloc((size_t)x->nu * x->nv, sizeof *x->sub_mem);
  if (!x->sub_mem) {
    rc = TRUCE_ENOMEM;
    goto fail;
  }
  for (size_t i = 0; i < (size_t)x->nu * x->nv; i++)
    atomic_init(&x->sub[i], NULL);
  if (pthread_mutex_init(&x->mu, NULL) != 0) {
    rc = TRUCE_ENOMEM;
    goto fail;
  }
  x->mu_ok = true;
  if (g->kind == TRUCE_GEOM_AREA) {
    /* The pole farther from the geometry is outside by definition. */
    x->ray_north = lat_lo + lat_hi < 0;
    rc = make_bins(g);
    if (rc)
      goto fail;
    if (x->full_lon) {
      /* The other pole's state: crossings along a whole meridian. */
      double p[3];
      geo_ecef(0, x->lon0 + 0.5, p);
      uint32_t cnt = 0;
      for (uint32_t i = 0; i < g->nseg; i++)
        cnt += meridian_cross(&g->seg[i], p, true, true);
      if (x->ray_north)
        x->inside_south = (int)(cnt & 1);
      else
        x->inside_north = (int)(cnt & 1);
    }
  }
  return TRUCE_OK;
fail:
  geo_index_free(x);
  if (rc == TRUCE_ETOOBIG)
    return seterr(err, rc, "the geometry is too large to index");
  return seterr(err, rc, "out of memory building the spatial index");
}

void geo_index_free(geo_index *x) {
  if (x->sub_mem)
    for (size_t i = 0; i < (size_t)x->nu * x->nv; i++)
      truce_free(x->sub_mem[i]);
  truce_free(x->sub_mem);
  truce_free((void *)x->sub);
  if (x->mu_ok)
    pthread_mutex_destroy(&x->mu);
  truce_free(x->cap_mem);
  truce_free(x->bin_start);
  truce_free(x->bin_item);
  memset(x, 0, sizeof *x);
}

/* The quadtree of a top cell, built on first use. Double-checked: the
 * acquire load pairs with the release store after the build, so a thread
 * that sees the pointer sees the whole tree. */
static const uint32_t *get_sub(const truce_geom *g, size_t i) {
  geo_index *x = (geo_index *)&g->idx;
  uint32_t *s = atomic_load_explicit(&x->sub[i], memory_order_acquire);
  if (s)
    return s;
  if (pthread_mutex_lock(&x->mu) != 0)
    return NULL;
  s = atomic_load_explicit(&x->sub[i], memory_order_relaxed);
  if (!s) {
    /* A cell whose tree cannot be built (over the cap, or out of memory)
     * is answered by the far field from now on, exactly but slower:
     * never rebuilt for every point that falls in it. */
    static uint32_t far_tree[1] = {GEO_FAR_NODE};
    s = build_sub(g, i);
    atomic_store_explicit(&x->sub[i], s ? s : far_tree,
                          memory_order_release);
    if (!s)
      s = far_tree;
  }
  pthread_mutex_unlock(&x->mu);
  return s;
}

void geo_index_prefetch(const truce_geom *g, double lat, double lon) {
  const geo_index *x = &g->idx;
  if (lat < x->vmin || lat > x->vmax)
    return;
  double u = lon - x->lon0;
  if (u < 0 || u >= 360)
    u = wrap360(u);
  if (u > x->umax)
    return;
  uint32_t iu = (uint32_t)(u / x->su), iv = (uint32_t)((lat - x->vmin) / x->sv);
  if (iu >= x->nu)
    iu = x->nu - 1;
  if (iv >= x->nv)
    iv = x->nv - 1;
  const uint32_t *s = atomic_load_explicit(&x->sub[(size_t)iv * x->nu + iu],
                                           memory_order_acquire);
#if defined(__GNUC__)
  if (s) { /* the top levels: the first two cache lines */
    __builtin_prefetch(s);
    __builtin_prefetch(s + 16);
  }
#endif
}

int geo_index_cell(const truce_geom *g, double lat, double lon, geo_cell *out) {
  const geo_index *x = &g->idx;
  if (lat < x->vmin || lat > x->vmax)
    return 0;
  double u = lon - x->lon0;
  if (u < 0 || u >= 360)
    u = wrap360(u);
  if (u > x->umax)
    return 0;
  uint32_t iu = (uint32_t)(u / x->su), iv = (uint32_t)((lat - x->vmin) / x->sv);
  if (iu >= x->nu)
    iu = x->nu - 1;
  if (iv >= x->nv)
    iv = x->nv - 1;
  const uint32_t *s = get_sub(g, (size_t)iv * x->nu + iu);
  if (!s)
    return -1;
  double u0 = iu * x->su, v0 = x->vmin + iv * x->sv, w = x->su, h = x->sv;
  uint32_t k = s[0];
  if (k == GEO_FAR_NODE)
    return -1;
  while (!(k & GEO_LEAF_BIT)) {
    w /= 2;
    h /= 2;
    uint32_t e = u >= u0 + w, n = lat >= v0 + h;
    u0 += e ? w : 0;
    v0 += n ? h : 0;
    k = s[k + e + 2 * n];
  }
  const uint32_t *lf = s + (k & ~GEO_LEAF_BIT);
  out->cnt = lf[0];
  out->inside = lf[1] & 1;
  out->clear = (lf[1] & GEO_LEAF_CLEAR) != 0;
  if (g->kind == TRUCE_GEOM_AREA) {
    if (!out->clear)
      memcpy(out->ref, lf + GEO_LEAF_HEAD, sizeof out->ref);
    out->cand = lf + GEO_LEAF_HEAD + GEO_LEAF_REF;
  } else {
    out->cand = lf + GEO_LEAF_HEAD;
  }
  return 1;
}

uint32_t geo_index_order(const truce_geom *g, double lat, double lon) {
  const geo_index *x = &g->idx;
  uint32_t none = x->nu * x->nv;
  if (!(lat >= x->vmin && lat <= x->vmax) || !(lon >= -180 && lon <= 180))
    return none;
  /* (u is then within a turn of [0, 360); a key only orders points, so
   * a point put in a wrong cell costs time, never an answer.) */
  double u = lon - x->lon0;
  u = u < 0 ? u + 360 : u;
  u = u >= 360 ? u - 360 : u;
  if (u > x->umax)
    return none;
  uint32_t iu = (uint32_t)(u / x->su), iv = (uint32_t)((lat - x->vmin) / x->sv);
  if (iu >= x->nu)
    iu = x->nu - 1;
  if (iv >= x->nv)
    iv = x->nv - 1;
  return iv * x->nu + iu;
}
