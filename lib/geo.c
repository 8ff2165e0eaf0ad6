/*
 * geo.c: geometry on the WGS84 ellipsoid: reading lines and areas from
 * GeoJSON (jansson), cutting their geodesic edges into pieces (geo.h),
 * and measuring a point against them: geodesic distance, nearest point,
 * side. Also the exact geodesic inverse (PROJ's geod_inverse).
 *
 * Owns: what a geometry is (kinds, the even-odd rule, validation and its
 * messages), what a measurement means (docs/geo.md) and its accuracy.
 * Depends on geo_index.c for finding candidate pieces, on PROJ for
 * geodesics and on jansson for JSON; must not depend on the log, on
 * observations or on the agreement's terms: they call this.
 */
#include "geo.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

/* GeoJSON documents (a few MB for real boundaries) are read whole. */
#define GEOJSON_MAX_BYTES (256u << 20)
#define NEST_MAX 8   /* GeometryCollections within each other */
#define CELL_PREFETCH 128 /* a leaf's entries fetched ahead */

/* ---- reading GeoJSON ---- */

typedef struct pos {
  double lat, lon;
} pos;

typedef struct reader {
  int kind;
  pos *pos;
  size_t npos, pos_cap;
  size_t (*part)[2]; /* first position, count */
  size_t npart, part_cap;
  char path[512]; /* JSON path of what is being read, for messages */
  size_t plen;
  char *err;
} reader;

/* Append to the path; returns the length to restore. A member name gets
 * a '.' unless it starts the path; an index is "[i]". */
static size_t push(reader *r, const char *member, size_t index) {
  size_t old = r->plen;
  size_t room = sizeof r->path - r->plen;
  int n = member ? snprintf(r->path + r->plen, room, "%s%s", r->plen ? "." : "",
                            member)
                 : snprintf(r->path + r->plen, room, "[%zu]", index);
  if (n > 0)
    r->plen = (size_t)n < room ? r->plen + (size_t)n : sizeof r->path - 1;
  return old;
}

static void pop(reader *r, size_t old) {
  r->plen = old;
  r->path[old] = '\0';
}

static truce_err fail(reader *r, truce_err code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static truce_err fail(reader *r, truce_err code, const char *fmt, ...) {
  char msg[TRUCE_ERR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (r->plen)
    return seterr(r->err, code, "%s: %s", r->path, msg);
  return seterr(r->err, code, "%s", msg);
}

/* Input echoed in a message: printable ASCII only (so one line, whatever
 * the bytes), truncated to fit. */
static void printable(const char *in, char *out, size_t cap) {
  size_t k = 0;
  for (; in[k] && k + 1 < cap; k++)
    out[k] = in[k] >= 0x20 && in[k] < 0x7f ? in[k] : '?';
  out[k] = '\0';
}

static truce_err set_kind(reader *r, int kind, const char *type) {
  if (r->kind == 0)
    r->kind = kind;
  else if (r->kind != kind)
    return fail(r, TRUCE_EPARSE,
                "a %s among %s: a geometry is all lines or all areas", type,
                r->kind == TRUCE_GEOM_LINE ? "lines" : "areas");
  return TRUCE_OK;
}

static truce_err read_position(reader *r, json_t *a) {
  if (!json_is_array(a) || json_array_size(a) < 2 || json_array_size(a) > 3)
    return fail(r, TRUCE_EPARSE,
                "a position is [lon, lat] or [lon, lat, "
                "alt]");
  for (size_t i = 0; i < json_array_size(a); i++)
    if (!json_is_number(json_array_get(a, i)))
      return fail(r, TRUCE_EPARSE, "a position holds numbers only");
  double lon = json_number_value(json_array_get(a, 0));
  double lat = json_number_value(json_array_get(a, 1));
  if (!isfinite(lon) || lon < -180 || lon > 180)
    return fail(r, TRUCE_ERANGE, "longitude %.10g out of range", lon);
  if (!isfinite(lat) || lat < -90 || lat > 90)
    return fail(r, TRUCE_ERANGE, "latitude %.10g out of range", lat);
  if (!geo_grow((void **)&r->pos, &r->pos_cap, r->npos + 1, sizeof *r->pos,
                GEO_POSITIONS_MAX))
    return r->npos + 1 > GEO_POSITIONS_MAX
               ? fail(r, TRUCE_ETOOBIG, "more than %u positions",
                      GEO_POSITIONS_MAX)
               : fail(r, TRUCE_ENOMEM, "out of memory");
  r->pos[r->npos].lat = lat;
  r->pos[r->npos].lon = lon;
  r->npos++;
  return TRUCE_OK;
}

/* A LineString's positions, or a ring's (closed, at least 4). */
static truce_err read_part(reader *r, json_t *a, bool ring) {
  if (!json_is_array(a))
    return fail(r, TRUCE_EPARSE, "not an array of positions");
  size_t n = json_array_size(a), first = r->npos;
  if (n < (ring ? 4u : 2u))
    return fail(r, TRUCE_EPARSE, "a %s needs at least %d positions, has %zu",
                ring ? "ring" : "LineString", ring ? 4 : 2, n);
  for (size_t i = 0; i < n; i++) {
    size_t old = push(r, NULL, i);
    truce_err rc = read_position(r, json_array_get(a, i));
    if (rc)
      return rc;
    pop(r, old);
  }
  const pos *p = r->pos + first;
  if (ring && (p[0].lat != p[n - 1].lat || p[0].lon != p[n - 1].lon))
    return fail(r, TRUCE_EPARSE,
                "ring is not closed (its last position "
                "differs from its first)");
  /* All positions one point (a pole has many longitudes): no extent. */
  double e0[3], e[3];
  geo_ecef(p[0].lat, p[0].lon, e0);
  bool extent = false;
  for (size_t i = 1; i < n && !extent; i++) {
    geo_ecef(p[i].lat, p[i].lon, e);
    extent = memcmp(e, e0, sizeof e) != 0;
  }
  if (!extent)
    return fail(r, TRUCE_EPARSE, "all its positions are one point");
  if (!geo_grow((void **)&r->part, &r->part_cap, r->npart + 1, sizeof *r->part,
                UINT32_MAX))
    return fail(r, TRUCE_ENOMEM, "out of memory");
  r->part[r->npart][0] = first;
  r->part[r->npart][1] = n;
  r->npart++;
  return TRUCE_OK;
}

/* An array of parts (depth 1) or of arrays of parts (depth 2). */
static truce_err read_parts(reader *r, json_t *a, int depth, bool ring) {
  if (depth == 0)
    return read_part(r, a, ring);
  if (!json_is_array(a))
    return fail(r, TRUCE_EPARSE, "not an array");
  for (size_t i = 0; i < json_array_size(a); i++) {
    size_t old = push(r, NULL, i);
    truce_err rc = read_parts(r, json_array_get(a, i), depth - 1, ring);
    if (rc)
      return rc;
    pop(r, old);
  }
  return TRUCE_OK;
}

static truce_err read_geometry(reader *r, json_t *o, int nest) {
  if (!json_is_object(o))
    return fail(r, TRUCE_EPARSE, "a geometry is a JSON object");
  json_t *t = json_object_get(o, "type");
  if (!json_is_string(t))
    return fail(r, TRUCE_EPARSE, "type: missing or not a string");
  const char *type = json_string_value(t);
  static const struct {
    const char *name;
    int kind, depth;
  } kinds[] = {{"LineString", TRUCE_GEOM_LINE, 0},
               {"MultiLineString", TRUCE_GEOM_LINE, 1},
               {"Polygon", TRUCE_GEOM_AREA, 1},
               {"MultiPolygon", TRUCE_GEOM_AREA, 2}};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (strcmp(type, kinds[i].name) != 0)
      continue;
    truce_err rc = set_kind(r, kinds[i].kind, type);
    if (rc)
      return rc;
    json_t *c = json_object_get(o, "coordinates");
    size_t old = push(r, "coordinates", 0);
    if (!c)
      return fail(r, TRUCE_EPARSE, "missing");
    if (kinds[i].depth > 0 && json_is_array(c) && json_array_size(c) == 0)
      return fail(r, TRUCE_EPARSE, "empty");
    rc = read_parts(r, c, kinds[i].depth, kinds[i].kind == TRUCE_GEOM_AREA);
    if (rc)
      return rc;
    pop(r, old);
    return TRUCE_OK;
  }
  if (strcmp(type, "GeometryCollection") == 0) {
    if (nest >= NEST_MAX)
      return fail(r, TRUCE_EPARSE,
                  "GeometryCollections nested more than "
                  "%d deep",
                  NEST_MAX);
    json_t *a = json_object_get(o, "geometries");
    size_t old = push(r, "geometries", 0);
    if (!json_is_array(a))
      return fail(r, TRUCE_EPARSE, "missing or not an array");
    for (size_t i = 0; i < json_array_size(a); i++) {
      size_t o2 = push(r, NULL, i);
      truce_err rc = read_geometry(r, json_array_get(a, i), nest + 1);
      if (rc)
        return rc;
      pop(r, o2);
    }
    pop(r, old);
    return TRUCE_OK;
  }
  if (strcmp(type, "Point") == 0 || strcmp(type, "MultiPoint") == 0)
    return fail(r, TRUCE_EPARSE, "a %s is neither a line nor an area", type);
  char shown[41];
  printable(type, shown, sizeof shown);
  return fail(r, TRUCE_EPARSE, "type: '%s' is not a GeoJSON geometry", shown);
}

static truce_err read_feature(reader *r, json_t *o) {
  if (!json_is_object(o))
    return fail(r, TRUCE_EPARSE, "a feature is a JSON object");
  json_t *t = json_object_get(o, "type");
  if (!json_is_string(t) || strcmp(json_string_value(t), "Feature") != 0)
    return fail(r, TRUCE_EPARSE, "type: not \"Feature\"");
  json_t *geom = json_object_get(o, "geometry");
  size_t old = push(r, "geometry", 0);
  if (!geom)
    return fail(r, TRUCE_EPARSE, "missing");
  if (!json_is_null(geom)) { /* an unlocated feature has nothing to add */
    truce_err rc = read_geometry(r, geom, 0);
    if (rc)
      return rc;
  }
  pop(r, old);
  return TRUCE_OK;
}

static truce_err read_document(reader *r, json_t *o) {
  if (!json_is_object(o))
    return fail(r, TRUCE_EPARSE, "not a GeoJSON object");
  json_t *t = json_object_get(o, "type");
  if (!json_is_string(t))
    return fail(r, TRUCE_EPARSE, "type: missing or not a string");
  const char *type = json_string_value(t);
  if (strcmp(type, "Feature") == 0)
    return read_feature(r, o);
  if (strcmp(type, "FeatureCollection") != 0)
    return read_geometry(r, o, 0);
  json_t *f = json_object_get(o, "features");
  size_t old = push(r, "features", 0);
  if (!json_is_array(f))
    return fail(r, TRUCE_EPARSE, "missing or not an array");
  pop(r, old);
  for (size_t i = 0; i < json_array_size(f); i++) {
    old = push(r, "features", 0);
    push(r, NULL, i);
    truce_err rc = read_feature(r, json_array_get(f, i));
    if (rc)
      return rc;
    pop(r, old);
  }
  return TRUCE_OK;
}

/* ---- pieces ---- */

typedef struct caps {
  size_t seg, info;
} caps;

static truce_err add_piece(truce_geom *g, caps *cap, const double *a,
                           const double *b, const double *lla,
                           const double *llb, uint32_t part, uint32_t orig,
                           char *err) {
  if (g->nseg >= GEO_PIECES_MAX)
    return seterr(err, TRUCE_ETOOBIG,
                  "the geometry's edges make more than %u pieces of at most "
                  "%.0f m",
                  GEO_PIECES_MAX, GEO_PIECE_M);
  if (!geo_grow((void **)&g->seg, &cap->seg, g->nseg + 1, sizeof *g->seg,
                GEO_PIECES_MAX) ||
      !geo_grow((void **)&g->info, &cap->info, g->nseg + 1, sizeof *g->info,
                GEO_PIECES_MAX))
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  geo_seg *s = &g->seg[g->nseg];
  geo_seginfo *in = &g->info[g->nseg];
  memcpy(s->a, a, sizeof s->a);
  memcpy(s->b, b, sizeof s->b);
  cross3(a, b, in->n);
  double nn = sqrt(dot3(in->n, in->n));
  for (int k = 0; k < 3; k++)
    in->n[k] = nn > 0 ? in->n[k] / nn : 0;
  double d[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
  double l2 = dot3(d, d);
  s->il2 = l2 > 0 ? 1 / l2 : 0;
  s->part = part;
  s->orig = orig;
  in->prev = in->next = -1;
  memcpy(in->lla, lla, sizeof in->lla);
  memcpy(in->llb, llb, sizeof in->llb);
  g->nseg++;
  return TRUCE_OK;
}

static truce_err make_pieces(truce_geom *g, const reader *r, char *err) {
  caps cap = {0, 0};
  for (size_t p = 0; p < r->npart; p++) {
    const pos *v = r->pos + r->part[p][0];
    size_t n = r->part[p][1];
    uint32_t first = g->nseg;
    double cur[3], next[3];
    geo_ecef(v[0].lat, v[0].lon, cur);
    for (size_t j = 0; j + 1 < n; j++) {
      geo_ecef(v[j + 1].lat, v[j + 1].lon, next);
      if (memcmp(cur, next, sizeof cur) == 0)
        continue; /* a repeated position: no edge */
      struct geod_geodesicline l;
      size_t k = 1;
      if (dist3(cur, next) > GEO_PIECE_M) {
        geod_inverseline(&l, &g->gd, v[j].lat, v[j].lon, v[j + 1].lat,
                         v[j + 1].lon,
                         GEOD_LATITUDE | GEOD_LONGITUDE | GEOD_DISTANCE_IN);
        double m = ceil(l.s13 / GEO_PIECE_M);
        k = m >= 1 && m < GEO_PIECES_MAX ? (size_t)m : GEO_PIECES_MAX;
      }
      double a[3], b[3], lla[2] = {v[j].lat, v[j].lon}, llb[2];
      memcpy(a, cur, sizeof a);
      for (size_t i = 1; i <= k; i++) {
        if (i < k) {
          geod_position(&l, l.s13 * (double)i / (double)k, &llb[0], &llb[1],
                        NULL);
          geo_ecef(llb[0], llb[1], b);
        } else {
          memcpy(b, next, sizeof b);
          llb[0] = v[j + 1].lat;
          llb[1] = v[j + 1].lon;
        }
        truce_err rc =
            add_piece(g, &cap, a, b, lla, llb, (uint32_t)p, (uint32_t)j, err);
        if (rc)
          return rc;
        memcpy(a, b, sizeof a);
        memcpy(lla, llb, sizeof lla);
      }
      memcpy(cur, next, sizeof cur);
    }
    uint32_t last = g->nseg - 1;
    for (uint32_t i = first; i <= last; i++) {
      g->info[i].prev = i > first ? (int32_t)(i - 1) : -1;
      g->info[i].next = i < last ? (int32_t)(i + 1) : -1;
    }
    /* A ring, or a LineString that comes back to its start, has no ends:
     * its first and last pieces meet. */
    bool closed = v[0].lat == v[n - 1].lat && v[0].lon == v[n - 1].lon;
    if (closed && last > first) {
      g->info[first].prev = (int32_t)last;
      g->info[last].next = (int32_t)first;
    }
  }
  /* Move the pieces to a 64-byte boundary: one cache line each. */
  void *mem = truce_malloc((size_t)g->nseg * sizeof *g->seg + 64);
  if (!mem)
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  geo_seg *al =
      (geo_seg *)(void *)((char *)mem + (64 - (uintptr_t)mem % 64) % 64);
  memcpy(al, g->seg, (size_t)g->nseg * sizeof *g->seg);
  truce_free(g->seg);
  g->seg = al;
  g->seg_mem = mem;
  return TRUCE_OK;
}

/* ---- the public API ---- */

truce_err truce_geom_parse(const char *geojson, size_t len, truce_geom **out,
                           char *err) {
  *out = NULL;
  if (!geojson)
    return seterr(err, TRUCE_EINVAL, "no GeoJSON given");
  if (len > GEOJSON_MAX_BYTES)
    return seterr(err, TRUCE_ETOOBIG, "GeoJSON larger than %u bytes",
                  GEOJSON_MAX_BYTES);
  json_error_t je;
  json_t *doc = json_loadb(geojson, len, JSON_REJECT_DUPLICATES, &je);
  if (!doc) {
    char text[sizeof je.text];
    printable(je.text, text, sizeof text);
    return seterr(err, TRUCE_EPARSE, "line %d column %d: %s", je.line,
                  je.column, text);
  }
  reader r;
  memset(&r, 0, sizeof r);
  r.err = err;
  truce_err rc = read_document(&r, doc);
  json_decref(doc);
  truce_geom *g = NULL;
  if (!rc && r.npart == 0)
    rc = seterr(err, TRUCE_EPARSE, "no lines or areas in the document");
  if (!rc && !(g = truce_calloc(1, sizeof *g)))
    rc = seterr(err, TRUCE_ENOMEM, "out of memory");
  if (!rc) {
    g->kind = r.kind;
    g->npos = r.npos;
    g->nparts = (uint32_t)r.npart;
    geod_init(&g->gd, GEO_A, GEO_F);
    rc = make_pieces(g, &r, err);
  }
  if (!rc)
    rc = geo_index_build(g, err);
  truce_free(r.pos);
  truce_free(r.part);
  if (rc) {
    truce_geom_free(g);
    return rc;
  }
  *out = g;
  return TRUCE_OK;
}

truce_err truce_geom_load(const char *path, truce_geom **out, char *err) {
  *out = NULL;
  truce_buf b;
  truce_buf_init(&b, GEOJSON_MAX_BYTES);
  truce_err rc = truce_buf_read_file(&b, path, err);
  if (!rc) {
    rc = truce_geom_parse(b.data ? b.data : "", b.len, out, err);
    if (rc)
      errprefix(err, "%s", path);
  }
  truce_buf_release(&b);
  return rc;
}

void truce_geom_free(truce_geom *g) {
  if (!g)
    return;
  geo_index_free(&g->idx);
  truce_free(g->seg_mem ? g->seg_mem : g->seg);
  truce_free(g->info);
  truce_free(g);
}

int truce_geom_kind(const truce_geom *g) { return g ? g->kind : 0; }

size_t truce_geom_vertices(const truce_geom *g) { return g ? g->npos : 0; }

/* ---- measuring ---- */

/* A far candidate piece (far_finish): the exact distance to its chord's
 * foot, at t. */
typedef struct far_cand {
  double d, t;
  uint32_t seg;
} far_cand;

/* The best piece found so far for one point. */
typedef struct best {
  const truce_geom *g;
  const double *p;
  double lat, lon; /* of p */
  double cmin;     /* least chord to any piece: picks the formula */
  double dist;     /* geodesic distance to foot */
  double foot[3];
  double t;
  uint32_t seg;
  bool found;
  /* far away (cmin beyond GEO_FAST_MAX_M): the candidates, measured at
   * their chord's feet, refined afterwards (far_finish); NULL: each is
   * refined as it comes (no memory for the list) */
  far_cand *cand;
  size_t ncand;
} best;

/* The point of the piece at parameter t of its chord, carried out to the
 * surface along its ray from the centre (so it stays in the piece's
 * plane). */
static void foot_at(const geo_seg *sg, double t, double *f) {
  if (t <= 0) {
    memcpy(f, sg->a, 3 * sizeof *f);
  } else if (t >= 1) {
    memcpy(f, sg->b, 3 * sizeof *f);
  } else {
    for (int k = 0; k < 3; k++)
      f[k] = sg->a[k] + t * (sg->b[k] - sg->a[k]);
    geo_to_surface(f);
  }
}

static double exact_dist(const best *bs, const double *f) {
  double la, lo, d;
  geo_latlon(f, &la, &lo);
  geod_inverse(&bs->g->gd, bs->lat, bs->lon, la, lo, &d, NULL, NULL);
  return d;
}

/* Far away the chord's foot drifts along the piece from the geodesic
 * nearest point (the radius of curvature differs with azimuth): about
 * 4 mm at 3,000 km. Golden-section search on the exact distance along
 * the piece takes it back; only for pieces that can still win. */
static double refine_far(const best *bs, const geo_seg *sg, double *t,
                         double *f, double d) {
  const double gr = 0.6180339887498949;
  double lo = 0, hi = 1, x1 = hi - gr, x2 = gr, q[3];
  foot_at(sg, x1, q);
  double f1 = exact_dist(bs, q);
  foot_at(sg, x2, q);
  double f2 = exact_dist(bs, q);
  for (int i = 0; i < 30; i++) { /* to 1e-6 of the piece */
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - gr * (hi - lo);
      foot_at(sg, x1, q);
      f1 = exact_dist(bs, q);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + gr * (hi - lo);
      foot_at(sg, x2, q);
      f2 = exact_dist(bs, q);
    }
  }
  double tm = f1 < f2 ? x1 : x2, dm = f1 < f2 ? f1 : f2;
  if (dm < d) {
    *t = tm;
    foot_at(sg, tm, f);
    return dm;
  }
  return d;
}

/* The drift is a small fraction of (arc - chord); 1% of it (and a
 * centimetre) bounds what refining can gain by far. */
static double refine_gain(const best *bs) {
  double x = bs->cmin / (2 * GEO_A), arc = 2 * GEO_A * asin(x < 1 ? x : 1);
  return 0.01 * (arc - bs->cmin) + 0.01;
}

/* Two pieces meeting at the nearest vertex give the same foot: the
 * lower piece is kept, nothing measured (true). */
static bool same_foot(best *bs, uint32_t s, double t, const double *f) {
  if (!bs->found || memcmp(f, bs->foot, 3 * sizeof *f) != 0)
    return false;
  if (s < bs->seg) {
    bs->seg = s;
    bs->t = t;
  }
  return true;
}

/* Piece s at distance d (foot f at t): the best so far? Ties keep the
 * lower piece. */
static void keep_best(best *bs, uint32_t s, double t, double d,
                      const double *f) {
  if (!bs->found || d < bs->dist || (d == bs->dist && s < bs->seg)) {
    bs->found = true;
    bs->dist = d;
    bs->seg = s;
    bs->t = t;
    memcpy(bs->foot, f, sizeof bs->foot);
  }
}

/* Measure one candidate piece: the geodesic distance from p to the foot
 * of p's chord perpendicular (t). Far away, with a list (far_begin), only
 * measured at the foot and listed, for far_finish. */
static void consider_t(best *bs, uint32_t s, double t) {
  const geo_seg *sg = &bs->g->seg[s];
  double f[3];
  foot_at(sg, t, f);
  if (same_foot(bs, s, t, f))
    return;
  double d;
  if (bs->cmin <= GEO_FAST_MAX_M) {
    d = geo_fast_dist(bs->p, f);
  } else if (bs->cand && bs->ncand < bs->g->nseg) {
    far_cand *c = &bs->cand[bs->ncand++];
    c->d = exact_dist(bs, f);
    c->t = t;
    c->seg = s;
    return;
  } else {
    d = exact_dist(bs, f);
    if (sg->il2 > 0 && (!bs->found || d - refine_gain(bs) < bs->dist))
      d = refine_far(bs, sg, &t, f, d);
  }
  keep_best(bs, s, t, d, f);
}

static void consider(best *bs, uint32_t s) {
  double t;
  geo_seg_d2(&bs->g->seg[s], bs->p, &t);
  consider_t(bs, s, t);
}

static void consider_cb(void *ctx, uint32_t s) { consider(ctx, s); }

/* Far away: room for every piece as a candidate (each at most once);
 * without it, the candidates are refined as they come. */
static void far_begin(best *bs) {
  if (bs->cmin > GEO_FAST_MAX_M)
    bs->cand = truce_malloc(bs->g->nseg * sizeof *bs->cand);
}

static int cmp_far(const void *a, const void *b) {
  const far_cand *x = a, *y = b;
  if (x->d != y->d)
    return x->d < y->d ? -1 : 1;
  return x->seg < y->seg ? -1 : x->seg > y->seg;
}

/* The far candidates, nearest foot first: each is refined (refine_far's
 * golden-section search, 32 geodesic calls) only while it can still win,
 * its foot's distance less the most refining can gain (1% of arc -
 * chord) below the best found; the first that cannot, and every one
 * after it, is farther than the best. Measuring every candidate's foot
 * first, then refining from the nearest, refines a handful of pieces
 * where taking them in the index's order refined most of them (a point
 * 5,000 km away: 1 ms a point before). The nearest piece is refined
 * either way (its foot is within that gain of its refined distance, so
 * of the least), and so the answer is the same. */
static void far_finish(best *bs) {
  if (!bs->cand || !bs->ncand)
    return;
  qsort(bs->cand, bs->ncand, sizeof *bs->cand, cmp_far);
  double gain = refine_gain(bs);
  for (size_t i = 0; i < bs->ncand; i++) {
    const far_cand *c = &bs->cand[i];
    if (bs->found && c->d - gain >= bs->dist)
      break;
    const geo_seg *sg = &bs->g->seg[c->seg];
    double f[3], t = c->t, d = c->d;
    foot_at(sg, t, f);
    if (same_foot(bs, c->seg, t, f))
      continue;
    if (sg->il2 > 0)
      d = refine_far(bs, sg, &t, f, d);
    keep_best(bs, c->seg, t, d, f);
  }
}

/* The side of a line: the sign of p against the plane of the nearest
 * piece, or at a vertex against the sum of both pieces' normals (the
 * pseudo-normal, which is right on either side of a bend). Beyond an end,
 * the end piece's plane decides; exactly on it counts as left. */
static int line_side(const truce_geom *g, const best *bs) {
  const geo_seginfo *in = &g->info[bs->seg];
  double n[3];
  memcpy(n, in->n, sizeof n);
  int32_t o = bs->t <= 0 ? in->prev : (bs->t >= 1 ? in->next : -1);
  if (o >= 0)
    for (int k = 0; k < 3; k++)
      n[k] += g->info[o].n[k];
  return dot3(bs->p, n) >= 0 ? 1 : -1;
}

/* truce_geom_measure; `ahead`: start fetching the index's memory first
 * (a point alone), or not (points in cell order find it cached). */
static truce_err measure(const truce_geom *g, double lat_deg, double lon_deg,
                         truce_geo_where *out, bool ahead) {
  memset(out, 0, sizeof *out);
  if (!g)
    return TRUCE_EINVAL;
  if (!isfinite(lat_deg) || !isfinite(lon_deg) || lat_deg < -90 ||
      lat_deg > 90 || lon_deg < -180 || lon_deg > 180)
    return TRUCE_ERANGE;
  if (ahead)
    geo_index_prefetch(g, lat_deg, lon_deg);
  double p[3];
  geo_ecef(lat_deg, lon_deg, p);
  best bs;
  memset(&bs, 0, sizeof bs);
  bs.g = g;
  bs.p = p;
  bs.lat = lat_deg;
  bs.lon = lon_deg;
  int inside = 0;
  geo_cell cell;
  int where = geo_index_cell(g, lat_deg, lon_deg, &cell);
  if (where > 0) {
#if defined(__GNUC__)
    /* The entries are independent loads: ask for all of them at once. */
    for (uint32_t i = 0; ahead && i < cell.cnt && i < CELL_PREFETCH; i++) {
      uint32_t e = cell.cand[i];
      if (e & GEO_ENTRY_RUN)
        __builtin_prefetch(&g->idx.cap[e & ~GEO_ENTRY_RUN]);
      else
        __builtin_prefetch(&g->seg[e]);
    }
#endif
    geo_near nr;
    geo_cell_near(g, &cell, p, &nr);
    bs.cmin = nr.cmin;
    if (nr.more) {
      far_begin(&bs);
      geo_cell_each(g, &cell, p, nr.cmin + geo_margin(nr.cmin), consider_cb,
                    &bs);
      far_finish(&bs);
    } else {
#if defined(__GNUC__)
      /* What the answer reads of the nearest piece. */
      for (uint32_t i = 0; i < nr.n; i++)
        __builtin_prefetch(&g->info[nr.seg[i]]);
#endif
      for (uint32_t i = 0; i < nr.n; i++)
        consider_t(&bs, nr.seg[i], nr.t[i]);
    }
    inside = (int)cell.inside;
    if (g->kind == TRUCE_GEOM_AREA && !cell.clear)
      inside ^= (int)geo_cell_crossings(g, &cell, p);
  } else {
    bs.cmin = geo_far_min(g, p);
    far_begin(&bs);
    geo_far_each(g, p, bs.cmin + geo_margin(bs.cmin), consider_cb, &bs);
    far_finish(&bs);
    if (g->kind == TRUCE_GEOM_AREA)
      inside = where < 0               ? geo_index_parity(g, p)
               : lat_deg > g->idx.vmax ? g->idx.inside_north
               : lat_deg < g->idx.vmin ? g->idx.inside_south
                                       : 0;
  }
  if (bs.cand)
    truce_free(bs.cand);
  if (!bs.found) /* cannot happen: every geometry has a piece */
    return TRUCE_EINVAL;
  /* Millimetres: a point built at exactly a threshold then measures
   * exactly it. Closer than TRUCE_GEO_ON_M is on: distance 0, side 0
   * (docs/geo.md). */
  out->dist_m = bs.dist < TRUCE_GEO_ON_M ? 0 : round(bs.dist * 1000) / 1000;
  if (out->dist_m == 0)
    out->side = 0;
  else if (g->kind == TRUCE_GEOM_AREA)
    out->side = inside ? 1 : -1;
  else
    out->side = line_side(g, &bs);
  /* Most often the nearest point is a vertex, whose degrees are known. */
  const geo_seginfo *in = &g->info[bs.seg];
  if (bs.t <= 0) {
    out->near_lat_deg = in->lla[0];
    out->near_lon_deg = in->lla[1];
  } else if (bs.t >= 1) {
    out->near_lat_deg = in->llb[0];
    out->near_lon_deg = in->llb[1];
  } else {
    geo_latlon(bs.foot, &out->near_lat_deg, &out->near_lon_deg);
  }
  out->part = g->seg[bs.seg].part;
  out->segment = g->seg[bs.seg].orig;
  return TRUCE_OK;
}

truce_err truce_geom_measure(const truce_geom *g, double lat_deg,
                             double lon_deg, truce_geo_where *out) {
  return measure(g, lat_deg, lon_deg, out, true);
}

void truce_geodesic_inverse(double lat1_deg, double lon1_deg, double lat2_deg,
                            double lon2_deg, double *dist_m, double *azi1_deg,
                            double *azi2_deg) {
  struct geod_geodesic gd;
  geod_init(&gd, GEO_A, GEO_F);
  double s = NAN, a1 = NAN, a2 = NAN;
  geod_inverse(&gd, lat1_deg, lon1_deg, lat2_deg, lon2_deg, &s, &a1, &a2);
  if (dist_m)
    *dist_m = s;
  if (azi1_deg)
    *azi1_deg = a1;
  if (azi2_deg)
    *azi2_deg = a2;
}

/* Points measured per sort in truce_geom_measure_many: bounds its
 * scratch memory (64 bytes a point). */
#define MANY_CHUNK (1u << 20)

truce_err truce_geom_measure_many(const truce_geom *g, size_t n,
                                  const double *lat_deg, const double *lon_deg,
                                  truce_geo_where *out, truce_err *errs) {
  if (!g || (n && (!lat_deg || !lon_deg || !out)))
    return TRUCE_EINVAL;
  size_t cap = n < MANY_CHUNK ? n : MANY_CHUNK;
  if (cap == 0)
    return TRUCE_OK;
  /* Per chunk, a counting sort by top cell: each point's cell, then where
   * each cell's points start, then the points (as their positions in the
   * chunk) in cell order, stably. Then the points gathered in that order,
   * measured, and their answers scattered back: each pass a tight loop of
   * independent loads or stores, and the measuring reads and writes in
   * order, leaving the caches to the index. */
  size_t ncell = (size_t)g->idx.nu * g->idx.nv + 1;
  uint32_t *cell = truce_malloc(cap * sizeof *cell);
  uint32_t *ord = truce_malloc(cap * sizeof *ord);
  size_t *start = truce_malloc((ncell + 1) * sizeof *start);
  double(*pt)[2] = truce_malloc(cap * sizeof *pt);
  truce_geo_where *w = truce_malloc(cap * sizeof *w);
  truce_err first = TRUCE_OK;
  if (!cell || !ord || !start || !pt || !w) {
    first = TRUCE_ENOMEM;
    goto done;
  }
  for (size_t at = 0; at < n; at += cap) {
    size_t m = n - at < cap ? n - at : cap;
    memset(start, 0, (ncell + 1) * sizeof *start);
    for (size_t i = 0; i < m; i++) {
      cell[i] = geo_index_order(g, lat_deg[at + i], lon_deg[at + i]);
      start[cell[i] + 1]++;
    }
    for (size_t c = 1; c <= ncell; c++)
      start[c] += start[c - 1];
    for (size_t i = 0; i < m; i++)
      ord[start[cell[i]]++] = (uint32_t)i;
    for (size_t k = 0; k < m; k++) {
      size_t i = at + ord[k];
      pt[k][0] = lat_deg[i];
      pt[k][1] = lon_deg[i];
    }
    for (size_t k = 0; k < m; k++) {
      /* (cell[] is free now: it keeps the codes, in sorted order.) */
      cell[k] = (uint32_t)measure(g, pt[k][0], pt[k][1], &w[k], false);
    }
    for (size_t k = 0; k < m; k++) {
      size_t i = at + ord[k];
      out[i] = w[k];
      if (errs)
        errs[i] = (truce_err)cell[k];
      if (cell[k] && !first)
        first = (truce_err)cell[k];
    }
  }
done:
  truce_free(cell);
  truce_free(ord);
  truce_free(start);
  truce_free(pt);
  truce_free(w);
  return first;
}
