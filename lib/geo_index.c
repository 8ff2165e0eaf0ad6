/*
 * geo_index.c: the spatial index of a geometry's pieces (see geo.h), so
 * that measuring a point costs the same whatever the number of vertices.
 *
 * Owns: the near-field quadtrees (per cell, the pieces that can be
 * nearest to some point of the cell, and for areas a reference point
 * whose inside/outside state is known), built one top cell at a time the
 * first time a point falls in it, under a mutex, published with a release
 * store so that readers need no lock; the far-field sphere tree; the
 * longitude bins that count crossings along a meridian; and the states of
 * points beyond the near field. Must not depend on GeoJSON or on how a
 * measurement is reported: geo.c does that.
 *
 * Why a cell's list is complete: for a cell with centre C and radius r
 * (every point X of the cell has |X - C| <= r, as chords), let d0 be the
 * chord distance from C to the nearest piece and u_s the unit gradient of
 * the distance to piece s at C. Distance to a convex set is convex, so
 * d_s(X) >= d_s(C) + u_s.(X - C); and d_s0(X) <= d0 + u0.(X - C) +
 * r^2 / (2 (d0 - r)). A piece can be (within the query's margin) nearest
 * to some X only if d_s(C) - d0 <= min(2r, r |u0 - u_s| + r^2 / (2 (d0 -
 * r))) + margin. That test is applied from the parent's list, which by the
 * same argument holds every piece that can be nearest anywhere in the
 * parent. The plain 2r bound also keeps every piece that passes within 2r
 * of C, so every edge that can cross a path between two points of the
 * cell (such a path stays within 1.03 r of C) is in the list.
 */
#include "geo.h"

#include <stdlib.h>

/* Tuning, measured on the DeepState boundaries (docs/geo.md): finer top
 * cells or smaller leaves bought no speed, and cost memory and build
 * time. */
#define TOP_CELLS 4096  /* top cells over the near field */
#define TOP_MAX_DEG 1.0 /* no top cell wider than this */
/* Split a cell with more candidates than this. Dense lines (pieces much
 * shorter than 1 km) need ever smaller cells to keep lists short, and the
 * index then grows as 1 / length^2: there, longer lists cost less than
 * deeper trees (docs/geo.md has the measurements). */
#define LEAF_MAX 64
#define LEAF_MAX_DENSE 128
#define DENSE_PIECES 65536
#define DEPTH_MAX 14    /* levels below a top cell */
#define CELL_MIN_M 2.0  /* never split a cell smaller than this */
#define MARGIN_DEG 3.0  /* near field: 331 km of latitude round it */
#define SPH_LEAF 8      /* pieces per far-field tree leaf */
#define CLEAR_M 0.01    /* a reference point's least distance to edges */

/* ---- far field: bounding spheres over runs of consecutive pieces ---- */

static void sph_merge(const double *s1, const double *s2, double *out) {
  if (s1[3] < 0 || s2[3] < 0) {
    memcpy(out, s1[3] < 0 ? s2 : s1, 4 * sizeof *out);
    return;
  }
  double d = dist3(s1, s2);
  if (d + s2[3] <= s1[3]) {
    memcpy(out, s1, 4 * sizeof *out);
    return;
  }
  if (d + s1[3] <= s2[3]) {
    memcpy(out, s2, 4 * sizeof *out);
    return;
  }
  double r = (d + s1[3] + s2[3]) / 2;
  double k = (r - s1[3]) / d;
  for (int i = 0; i < 3; i++)
    out[i] = s1[i] + k * (s2[i] - s1[i]);
  /* Rounding must never leave an end outside its sphere. */
  out[3] = r * (1 + 1e-12) + 1e-6;
}

static truce_err sph_build(truce_geom *g) {
  geo_index *x = &g->idx;
  uint32_t nl = (g->nseg + SPH_LEAF - 1) / SPH_LEAF, p = 1;
  while (p < nl)
    p <<= 1;
  x->nsph_leaf = p;
  x->sph = truce_calloc(2 * (size_t)p, sizeof *x->sph);
  if (!x->sph)
    return TRUCE_ENOMEM;
  for (uint32_t i = 0; i < p; i++) {
    double *s = x->sph[p + i];
    if (i >= nl) {
      s[3] = -1;
      continue;
    }
    uint32_t lo = i * SPH_LEAF, hi = lo + SPH_LEAF;
    if (hi > g->nseg)
      hi = g->nseg;
    double mn[3], mx[3];
    for (int k = 0; k < 3; k++)
      mn[k] = mx[k] = g->seg[lo].a[k];
    for (uint32_t j = lo; j < hi; j++)
      for (int k = 0; k < 3; k++) {
        double a = g->seg[j].a[k], b = g->seg[j].b[k];
        mn[k] = fmin(mn[k], fmin(a, b));
        mx[k] = fmax(mx[k], fmax(a, b));
      }
    for (int k = 0; k < 3; k++)
      s[k] = (mn[k] + mx[k]) / 2;
    double r = 0;
    for (uint32_t j = lo; j < hi; j++)
      r = fmax(r, fmax(dist3(s, g->seg[j].a), dist3(s, g->seg[j].b)));
    s[3] = r * (1 + 1e-12) + 1e-6;
  }
  for (uint32_t k = p - 1; k >= 1; k--)
    sph_merge(x->sph[2 * k], x->sph[2 * k + 1], x->sph[k]);
  return TRUCE_OK;
}

/* Depth-first, nearer child first. The stack holds at most two entries
 * per level of a tree of at most 2^23 leaves. */
#define SPH_STACK 64

double geo_far_min(const truce_geom *g, const double *p) {
  const geo_index *x = &g->idx;
  uint32_t stack[SPH_STACK];
  int top = 0;
  double best = INFINITY; /* squared */
  stack[top++] = 1;
  while (top > 0) {
    uint32_t k = stack[--top];
    const double *s = x->sph[k];
    if (s[3] < 0)
      continue;
    double lb = dist3(p, s) - s[3];
    if (lb > 0 && lb * lb >= best)
      continue;
    if (k >= x->nsph_leaf) {
      uint32_t lo = (k - x->nsph_leaf) * SPH_LEAF, hi = lo + SPH_LEAF;
      if (hi > g->nseg)
        hi = g->nseg;
      for (uint32_t j = lo; j < hi; j++) {
        double t, d2 = geo_seg_d2(&g->seg[j], p, &t);
        if (d2 < best)
          best = d2;
      }
      continue;
    }
    const double *l = x->sph[2 * k], *r = x->sph[2 * k + 1];
    double dl = l[3] < 0 ? INFINITY : dist3(p, l) - l[3];
    double dr = r[3] < 0 ? INFINITY : dist3(p, r) - r[3];
    if (dl <= dr) {
      stack[top++] = 2 * k + 1;
      stack[top++] = 2 * k;
    } else {
      stack[top++] = 2 * k;
      stack[top++] = 2 * k + 1;
    }
  }
  return sqrt(best);
}

void geo_far_each(const truce_geom *g, const double *p, double reach,
                  void (*fn)(void *ctx, uint32_t seg), void *ctx) {
  const geo_index *x = &g->idx;
  uint32_t stack[SPH_STACK];
  int top = 0;
  stack[top++] = 1;
  while (top > 0) {
    uint32_t k = stack[--top];
    const double *s = x->sph[k];
    if (s[3] < 0 || dist3(p, s) - s[3] > reach)
      continue;
    if (k >= x->nsph_leaf) {
      uint32_t lo = (k - x->nsph_leaf) * SPH_LEAF, hi = lo + SPH_LEAF;
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
  uint32_t leaf_max = b->g->nseg > DENSE_PIECES ? LEAF_MAX_DENSE : LEAF_MAX;
  if (n <= leaf_max || depth >= DEPTH_MAX || r < CELL_MIN_M) {
    bool area = b->g->kind == TRUCE_GEOM_AREA;
    size_t len = GEO_LEAF_HEAD + (area ? GEO_LEAF_REF : 0) + n;
    /* A leaf that fits in a cache line starts one rather than straddle
     * two (leaves start on a 64-byte boundary). */
    size_t pad = len <= 16 && b->llen % 16 + len > 16 ? 16 - b->llen % 16 : 0;
    if (b->llen + pad + len >= GEO_LEAF_BIT / 2 || x->ncand + n > x->cand_max)
      return TRUCE_ETOOBIG;
    if (!geo_grow((void **)&b->lv, &b->lcap, b->llen + pad + len, sizeof *b->lv,
                  GEO_LEAF_BIT / 2))
      return TRUCE_ENOMEM;
    memset(b->lv + b->llen, 0, pad * sizeof *b->lv);
    size_t at = b->llen + pad;
    b->llen = at + len;
    uint32_t *lf = b->lv + at;
    lf[0] = n;
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
    memcpy(lf + len - n, b->stk + off, n * sizeof *lf);
    b->nd[node] = GEO_LEAF_BIT | (uint32_t)at;
    x->ncand += n;
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
  truce_err rc = sph_build(g);
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
  truce_free(x->sph);
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
