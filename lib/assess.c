/*
 * assess.c: the assessment engine. Judges the observations in the log
 * against a ceasefire's terms (terms.h) and reports findings: which rule,
 * when, where, how far from which reference line, which party (or
 * "undetermined", and why), and the evidence (entry and position).
 *
 * Owns: reading the observations of a period out of the log, placing
 * them (a point, or a bearing and distance range turned into a point
 * with an uncertainty), attributing them to a party, and each rule
 * type's judgement. Must not depend on how findings are printed (the
 * formats are at the end) nor change anything in the log.
 *
 * Determinism: the same log prefix, terms and period give the same
 * findings in the same order, byte for byte: observations are sorted by
 * (time, entry, position), findings by (time, rule, first evidence).
 */
#include "store.h"
#include "terms.h"

#include <geodesic.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define EVIDENCE_MAX 64 /* evidence listed on one finding */
/* A finding's reason: a triangulated position whose ellipse straddles
 * ground, then the direction of fire, with party ids of up to 64 bytes. */
#define REASON_MAX 512

/* ---- geodesics ---- */

static struct geod_geodesic wgs84;
static pthread_once_t wgs84_once = PTHREAD_ONCE_INIT;
static void wgs84_init(void) { geod_init(&wgs84, 6378137, 1 / 298.257223563); }

/* The point `dist_m` from (lat, lon) along azimuth `azi_deg`. */
static void direct(double lat, double lon, double azi_deg, double dist_m,
                   double *lat2, double *lon2) {
  pthread_once(&wgs84_once, wgs84_init);
  geod_direct(&wgs84, lat, lon, azi_deg, dist_m, lat2, lon2, NULL);
}

/* ---- observations of the period ---- */

/* An observation, reduced to what the rules look at. */
typedef struct sob {
  uint64_t index;
  uint32_t pos;
  uint32_t source; /* index into the engine's source names */
  truce_what what;
  uint32_t count;
  int64_t t_ms, t_end_ms;
  int has_pos;               /* the event's position is known */
  double lat, lon, unc_m;    /* the event (or observer, if !has_pos) */
  double olat, olon;         /* where the fire direction is seen from */
  int has_fire;
  double fire_from_deg;
  truce_weapon_class cls;
  double calibre_mm;
  unsigned classify;  /* TRUCE_CLASSIFY_* flags */
  const char *system; /* catalogue name or as written (interned) */
  uint32_t site;      /* interned site name + 1, 0: none */
  uint32_t serial0, nserials; /* into the engine's serial table */
  uint32_t incident; /* into the engine's incidents (fuse.c), or NONE */
} sob;

#define NONE UINT32_MAX

/* An incident of two or more observations (fuse.c): the fire rules judge
 * it once, with all its observations as evidence. */
typedef struct ainc {
  int located;
  double lat, lon, major_m;
  int fire_located;         /* fusion triangulated the firing position */
  truce_ellipse fire_where; /* ... there, with its 95% ellipse */
  uint32_t first, n; /* its observations: g->members[first..first + n) */
  uint32_t done;     /* the last rule (+ 1) that judged it */
} ainc;

typedef struct finding {
  int rule;
  truce_violation v;
  truce_evidence *ev;
  size_t nev;
  char reason[REASON_MAX], detail[256];
  uint64_t sort_index;
  uint32_t sort_pos;
} finding;

typedef struct engine {
  const truce_terms *t;
  const truce_terms_ref *cite;
  int64_t from_ms, to_ms;
  sob *obs;
  size_t nobs, capobs;
  char **strs; /* interned strings: sources, systems, sites, serials */
  size_t nstrs, capstrs;
  uint32_t *serials; /* indices into strs */
  size_t nserials, capserials;
  finding *f;
  size_t nf, capf;
  int64_t *rule_from; /* each rule's effective start (preconditions) */
  truce_fusion *fu;   /* the observations fused into incidents */
  ainc *inc;
  size_t ninc;
  uint32_t *members; /* g->obs indices by incident */
  char *err;
} engine;

static truce_err intern(engine *g, const char *s, uint32_t *out) {
  for (size_t i = 0; i < g->nstrs; i++)
    if (strcmp(g->strs[i], s) == 0) {
      *out = (uint32_t)i;
      return TRUCE_OK;
    }
  if (g->nstrs == g->capstrs) {
    size_t nc = g->capstrs ? g->capstrs * 2 : 64;
    char **p = truce_realloc(g->strs, nc * sizeof *p);
    if (!p)
      return TRUCE_ENOMEM;
    g->strs = p;
    g->capstrs = nc;
  }
  size_t n = strlen(s);
  char *c = truce_malloc(n + 1);
  if (!c)
    return TRUCE_ENOMEM;
  memcpy(c, s, n + 1);
  g->strs[g->nstrs] = c;
  *out = (uint32_t)g->nstrs++;
  return TRUCE_OK;
}

/* Where the event was: a point, or the middle of the distance range along
 * the bearing (uncertainty from the range and the bearing's spread). A
 * bearing without a distance places nothing. */
static void place(const truce_obs *o, sob *s) {
  if (o->where_kind == TRUCE_WHERE_POINT) {
    s->has_pos = 1;
    s->lat = s->olat = o->lat_deg;
    s->lon = s->olon = o->lon_deg;
    s->unc_m = o->uncertainty_m;
    return;
  }
  s->olat = s->lat = o->lat_deg;
  s->olon = s->lon = o->lon_deg;
  if (o->dist_max_m <= 0)
    return;
  double d = (o->dist_min_m + o->dist_max_m) / 2;
  direct(o->lat_deg, o->lon_deg, o->bearing_deg, d, &s->lat, &s->lon);
  double along = (o->dist_max_m - o->dist_min_m) / 2;
  double across = d * sin(fmin(o->bearing_spread_deg, 90) * M_PI / 180);
  s->unc_m = sqrt(along * along + across * across);
  s->has_pos = 1;
}

/* Only what some rule can look at is kept. */
static bool relevant(truce_what w) {
  uint32_t bit = 1u << w;
  return (bit & (TERMS_WHAT_FIRE | TERMS_WHAT_PRESENCE)) ||
         w == TRUCE_WHAT_SITE_VISIT;
}

static truce_err add_obs(engine *g, const truce_entry *e, uint64_t index,
                         uint32_t pos, const truce_obs *o) {
  if (g->nobs == g->capobs) {
    size_t nc = g->capobs ? g->capobs * 2 : 1024;
    sob *p = truce_realloc(g->obs, nc * sizeof *p);
    if (!p)
      return TRUCE_ENOMEM;
    g->obs = p;
    g->capobs = nc;
  }
  sob *s = &g->obs[g->nobs];
  memset(s, 0, sizeof *s);
  s->index = index;
  s->pos = pos;
  s->incident = NONE;
  s->what = o->what;
  s->count = o->count;
  s->t_ms = o->t_ms;
  s->t_end_ms = o->is_window ? o->t_end_ms : o->t_ms;
  place(o, s);
  s->has_fire = o->has_fire;
  s->fire_from_deg = o->fire_from_deg;
  truce_obs_classify(o, &s->cls, &s->calibre_mm, &s->classify);
  truce_err rc = intern(g, e->signer, &s->source);
  const char *canon = NULL;
  uint32_t id;
  if (!rc && o->system[0]) {
    if (truce_weapon_lookup(o->system, NULL, NULL, &canon) != TRUCE_OK)
      canon = o->system;
    if (!(rc = intern(g, canon, &id)))
      s->system = g->strs[id];
  }
  if (!rc && o->site[0] && !(rc = intern(g, o->site, &id)))
    s->site = id + 1;
  s->serial0 = (uint32_t)g->nserials;
  for (unsigned k = 0; !rc && k < o->nserials; k++) {
    if (g->nserials == g->capserials) {
      size_t nc = g->capserials ? g->capserials * 2 : 256;
      uint32_t *p = truce_realloc(g->serials, nc * sizeof *p);
      if (!p)
        return TRUCE_ENOMEM;
      g->serials = p;
      g->capserials = nc;
    }
    if (!(rc = intern(g, o->serials[k], &id)))
      g->serials[g->nserials++] = id;
  }
  s->nserials = (uint32_t)g->nserials - s->serial0;
  if (!rc)
    g->nobs++;
  return rc;
}

static int cmp_sob(const void *a, const void *b) {
  const sob *x = a, *y = b;
  if (x->t_ms != y->t_ms)
    return x->t_ms < y->t_ms ? -1 : 1;
  if (x->index != y->index)
    return x->index < y->index ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The observation as fusion sees it (its source from the registry). A
 * bearing fusion cannot read (TRUCE_EINVAL) stays an observation of its
 * own. */
static truce_err fuse_obs(engine *g, truce_log *log, const truce_entry *e,
                          uint64_t index, uint32_t pos, const truce_obs *o) {
  truce_source *src = truce_malloc(sizeof *src);
  if (!src)
    return TRUCE_ENOMEM;
  if (truce_log_source(log, e->signer, src) != TRUCE_OK) {
    memset(src, 0, sizeof *src);
    snprintf(src->name, sizeof src->name, "%s", e->signer);
    src->reliability = 0.5;
  }
  uint32_t sid;
  truce_err rc = truce_fuse_source(g->fu, src, &sid);
  truce_free(src);
  if (!rc)
    rc = truce_fuse_add(g->fu, o, index, pos, sid);
  return rc == TRUCE_EINVAL ? TRUCE_OK : rc;
}

static int cmp_cite_idx(const void *a, const void *b) {
  const uint64_t *x = a, *y = b;
  return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Fuse the period's observations; note each one's incident when it holds
 * two or more. */
static truce_err fuse_period(engine *g) {
  truce_err rc = truce_fuse_run(g->fu);
  if (rc)
    return seterr(g->err, rc, "%s", truce_fuse_errmsg(g->fu));
  size_t n = truce_fuse_count(g->fu);
  /* citation -> observation, for the evidence lists */
  uint64_t (*key)[2] = truce_malloc((g->nobs ? g->nobs : 1) * sizeof *key);
  g->inc = truce_calloc(n ? n : 1, sizeof *g->inc);
  g->members = truce_malloc((g->nobs ? g->nobs : 1) * sizeof *g->members);
  if (!key || !g->inc || !g->members) {
    truce_free(key);
    return seterr(g->err, TRUCE_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < g->nobs; i++) {
    key[i][0] = g->obs[i].index << 20 | g->obs[i].pos;
    key[i][1] = i;
  }
  qsort(key, g->nobs, sizeof *key, cmp_cite_idx);
  uint32_t used = 0;
  for (size_t i = 0; !rc && i < n; i++) {
    truce_incident c;
    if ((rc = truce_fuse_incident(g->fu, i, &c))) {
      seterr(g->err, rc, "%s", truce_fuse_errmsg(g->fu));
      break;
    }
    if (c.nevidence < 2)
      continue;
    ainc *a = &g->inc[g->ninc];
    a->located = c.located;
    a->lat = c.where.lat_deg;
    a->lon = c.where.lon_deg;
    a->major_m = c.where.major_m;
    a->fire_located = c.fire_located;
    a->fire_where = c.fire_where;
    a->first = used;
    for (size_t k = 0; k < c.nevidence; k++) {
      uint64_t want = c.evidence[k].index << 20 | c.evidence[k].pos;
      size_t lo = 0, hi = g->nobs;
      while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (key[mid][0] < want)
          lo = mid + 1;
        else
          hi = mid;
      }
      if (lo < g->nobs && key[lo][0] == want) {
        g->members[used++] = (uint32_t)key[lo][1];
        g->obs[key[lo][1]].incident = (uint32_t)g->ninc;
      }
    }
    a->n = used - a->first;
    g->ninc++;
  }
  truce_free(key);
  return rc;
}

/* Read the observations whose time lies in [from, to) out of the log. */
static truce_err gather(engine *g, truce_log *log) {
  uint64_t size;
  truce_err rc = truce_log_size(log, &size);
  if (rc)
    return seterr(g->err, rc, "%s", truce_log_errmsg(log));
  truce_buf b;
  truce_buf_init(&b, TRUCE_ENTRY_MAX + 1);
  truce_obs *o = truce_malloc(sizeof *o);
  truce_entry *e = truce_malloc(sizeof *e);
  if (!o || !e)
    rc = seterr(g->err, TRUCE_ENOMEM, "out of memory");
  char why[TRUCE_ERR_MAX];
  for (uint64_t i = 0; !rc && i < size; i++) {
    b.len = 0;
    if ((rc = truce_log_entry(log, i, &b))) {
      seterr(g->err, rc, "%s", truce_log_errmsg(log));
      break;
    }
    if (truce_entry_parse(b.data, b.len, e, why) != TRUCE_OK ||
        e->kind != TRUCE_ENTRY_BATCH)
      continue;
    for (size_t k = 0; !rc && k < e->nlines; k++) {
      const char *line;
      size_t n;
      truce_entry_line(e, k, &line, &n);
      /* Lines were checked when appended, against the entry's time. */
      if (truce_obs_parse(line, n, e->time_ms, o, why) != TRUCE_OK)
        continue;
      int64_t end = o->is_window ? o->t_end_ms : o->t_ms;
      if (!relevant(o->what) || end < g->from_ms || o->t_ms >= g->to_ms)
        continue;
      if ((rc = add_obs(g, e, i, (uint32_t)k, o)))
        seterr(g->err, rc, "out of memory");
      else if ((rc = fuse_obs(g, log, e, i, (uint32_t)k, o)))
        seterr(g->err, rc, "%s", truce_fuse_errmsg(g->fu));
    }
  }
  truce_free(o);
  truce_free(e);
  truce_buf_release(&b);
  if (!rc && g->nobs)
    qsort(g->obs, g->nobs, sizeof *g->obs, cmp_sob);
  return rc;
}

/* ---- geometry of the terms ---- */

/* Which party holds (lat, lon): the first control statement that covers
 * it, or -1. */
static int holder(const truce_terms *t, double lat, double lon) {
  for (size_t i = 0; i < t->ncontrol; i++) {
    const terms_control *c = &t->control[i];
    truce_geo_where w;
    switch (c->kind) {
    case TERMS_CONTROL_SIDE:
      if (truce_geom_measure(t->lines[c->line].geom, lat, lon, &w) ==
              TRUCE_OK &&
          w.side == c->side)
        return c->party;
      break;
    case TERMS_CONTROL_AREA:
      if (truce_geom_measure(c->area, lat, lon, &w) == TRUCE_OK &&
          w.side > 0)
        return c->party;
      break;
    case TERMS_CONTROL_OUTSIDE:
      if (truce_geom_measure(t->control[c->outside_of].area, lat, lon, &w) ==
              TRUCE_OK &&
          w.side < 0)
        return c->party;
      break;
    }
  }
  return -1;
}

/* How far a weapon of this class reaches (km), to bound a search along
 * the direction of fire; unknown weapons get the artillery's reach. */
static double reach_km(truce_weapon_class c) {
  switch (c) {
  case TRUCE_WEAPON_SMALL_ARMS:
    return 1.5;
  case TRUCE_WEAPON_HEAVY_MACHINE_GUN:
  case TRUCE_WEAPON_GRENADE_LAUNCHER:
  case TRUCE_WEAPON_APC:
    return 2;
  case TRUCE_WEAPON_RECOILLESS:
  case TRUCE_WEAPON_ANTI_AIRCRAFT:
    return 3;
  case TRUCE_WEAPON_IFV:
    return 4;
  case TRUCE_WEAPON_ANTI_TANK:
  case TRUCE_WEAPON_TANK:
    return 5;
  case TRUCE_WEAPON_MORTAR:
    return 8;
  case TRUCE_WEAPON_ARTILLERY:
  case TRUCE_WEAPON_UAV:
  case TRUCE_WEAPON_NONE:
  case TRUCE_WEAPON_UNKNOWN:
  case TRUCE_WEAPON_COUNT:
    return 30;
  case TRUCE_WEAPON_MLRS:
    return 40;
  case TRUCE_WEAPON_AIRCRAFT:
    return 100;
  case TRUCE_WEAPON_TACTICAL_MISSILE:
    return 120;
  }
  return 30;
}

#define RAY_STEP_M 250.0

/* Along the reported direction of fire from where it was seen, the first
 * ground held by another party than the ground at the start, within the
 * weapon's reach. Returns the party or -1 with the reason written. */
static int ray_party(const engine *g, const sob *s, char *reason,
                     size_t cap) {
  const truce_terms *t = g->t;
  if (!s->has_fire) {
    snprintf(reason, cap, "direction of fire not reported");
    return -1;
  }
  int start = holder(t, s->olat, s->olon), found = -1;
  double reach = reach_km(s->cls) * 1000, d;
  for (d = RAY_STEP_M; d <= reach; d += RAY_STEP_M) {
    double la, lo;
    direct(s->olat, s->olon, s->fire_from_deg, d, &la, &lo);
    int p = holder(t, la, lo);
    if (p != start) {
      found = p;
      break;
    }
  }
  if (d > reach) {
    if (start < 0)
      snprintf(reason, cap,
               "fire came from %.0f deg over ground no party is recorded as "
               "holding",
               s->fire_from_deg);
    else
      snprintf(reason, cap,
               "fire came from %.0f deg, from ground held by %s for the "
               "whole %.0f km a %s reaches",
               s->fire_from_deg, t->parties[start].id, reach / 1000,
               s->cls ? truce_weapon_class_name(s->cls) : "weapon");
    return start;
  }
  if (found < 0) {
    snprintf(reason, cap,
             "fire came from %.0f deg, from ground no party is recorded as "
             "holding (%.1f km away)",
             s->fire_from_deg, d / 1000);
    return -1;
  }
  snprintf(reason, cap,
           "fire came from %.0f deg, from ground held by %s (from %.1f km "
           "away)",
           s->fire_from_deg, t->parties[found].id, d / 1000);
  return found;
}

/* Points of the boundary of a 95% ellipse looked at: the ends of both
 * axes, the four diagonals and the eight between them. */
#define ELLIPSE_RING 16

/* The distance from an ellipse's centre to its boundary along azimuth
 * azi_deg (on its tangent plane, as fusion fits it). */
static double ellipse_radius(const truce_ellipse *e, double azi_deg) {
  double a = (azi_deg - e->azimuth_deg) * M_PI / 180;
  double ma = fmax(e->major_m, 0.01), mi = fmax(e->minor_m, 0.01);
  double u = cos(a) / ma, v = sin(a) / mi;
  return 1 / sqrt(u * u + v * v);
}

static void add_holder(int *hs, size_t *nh, int p) {
  for (size_t i = 0; i < *nh; i++)
    if (hs[i] == p)
      return;
  hs[(*nh)++] = p;
}

/* Who holds the ground of a firing position's 95% ellipse: the holders
 * (-1: no one) of its centre, of ELLIPSE_RING points of its boundary, and,
 * for each control statement whose line or area boundary passes inside
 * the ellipse nearer its centre than anywhere else, of the boundary point
 * beyond that nearest point (a line that cuts a sliver off the ellipse
 * between two ring points is caught there). Distinct, in the order met,
 * the centre's first; hs holds TERMS_PARTIES_MAX + 1. Returns how many. */
static size_t ellipse_holders(const truce_terms *t, const truce_ellipse *e,
                              int *hs) {
  size_t nh = 0;
  add_holder(hs, &nh, holder(t, e->lat_deg, e->lon_deg));
  for (int k = 0; k < ELLIPSE_RING; k++) {
    /* the parametric angle: u = major cos th, v = minor sin th */
    double th = 2 * M_PI * k / ELLIPSE_RING;
    double u = e->major_m * cos(th), v = e->minor_m * sin(th);
    double la, lo;
    direct(e->lat_deg, e->lon_deg, e->azimuth_deg + atan2(v, u) * 180 / M_PI,
           hypot(u, v), &la, &lo);
    add_holder(hs, &nh, holder(t, la, lo));
  }
  for (size_t i = 0; i < t->ncontrol; i++) {
    const terms_control *c = &t->control[i];
    const truce_geom *gm =
        c->kind == TERMS_CONTROL_SIDE   ? t->lines[c->line].geom
        : c->kind == TERMS_CONTROL_AREA ? c->area
                                        : t->control[c->outside_of].area;
    truce_geo_where w;
    double d, azi;
    if (truce_geom_measure(gm, e->lat_deg, e->lon_deg, &w) != TRUCE_OK ||
        w.dist_m <= 0)
      continue;
    truce_geodesic_inverse(e->lat_deg, e->lon_deg, w.near_lat_deg,
                           w.near_lon_deg, &d, &azi, NULL);
    double r = ellipse_radius(e, azi);
    if (d >= r)
      continue; /* the nearest point is outside: the ring decides */
    double la, lo;
    direct(e->lat_deg, e->lon_deg, azi, r, &la, &lo);
    add_holder(hs, &nh, holder(t, la, lo));
  }
  return nh;
}

/* Who fired. A muzzle flash is where the weapon is: the party holding that
 * ground. Else, for an incident whose firing position fusion triangulated
 * (directions of fire seen from two or more places), the party holding
 * the ground of its whole 95% ellipse; an ellipse over ground of more
 * than one holder, or of none, decides nothing: the reason says so and
 * the direction of fire decides as for one direction (ray_party). Returns
 * the party or -1 with the reason written. */
static int firing_party(const engine *g, const sob *s, char *reason,
                        size_t cap) {
  const truce_terms *t = g->t;
  if (s->what == TRUCE_WHAT_MUZZLE_FLASH && s->has_pos) {
    int p = holder(t, s->lat, s->lon);
    if (p < 0)
      snprintf(reason, cap, "the muzzle flash is on ground no party is "
                            "recorded as holding");
    else
      snprintf(reason, cap, "muzzle flash on ground held by %s",
               t->parties[p].id);
    return p;
  }
  if (s->incident == NONE || !g->inc[s->incident].fire_located)
    return ray_party(g, s, reason, cap);
  const truce_ellipse *e = &g->inc[s->incident].fire_where;
  char head[160], far[128] = "";
  double reach = reach_km(s->cls), d;
  if (s->has_pos) {
    /* the impact (the incident's position) to the firing position */
    truce_geodesic_inverse(s->lat, s->lon, e->lat_deg, e->lon_deg, &d, NULL,
                           NULL);
    if (d > reach * 1000) {
      if (s->cls)
        snprintf(far, sizeof far,
                 "; %.1f km from the impact, beyond the %g km reach of %s",
                 d / 1000, reach, truce_weapon_class_name(s->cls));
      else
        snprintf(far, sizeof far,
                 "; %.1f km from the impact, beyond the %g km assumed for "
                 "a weapon not named",
                 d / 1000, reach);
    }
  }
  snprintf(head, sizeof head, "fire triangulated to %.4f,%.4f (95%% within "
                              "%.0f m%s)",
           e->lat_deg, e->lon_deg, e->major_m, far);
  int hs[TERMS_PARTIES_MAX + 1];
  size_t nh = ellipse_holders(t, e, hs);
  if (nh == 1 && hs[0] >= 0) {
    snprintf(reason, cap, "%s, on ground held by %s", head,
             t->parties[hs[0]].id);
    return hs[0];
  }
  /* Not one party's ground: say whose, then follow the direction. */
  char where[TERMS_PARTIES_MAX * (TERMS_ID_MAX + 8) + 64] = "";
  size_t nparties = 0, len = 0;
  bool none = false;
  for (size_t i = 0; i < nh; i++)
    if (hs[i] < 0)
      none = true;
    else
      nparties++;
  for (size_t i = 0, k = 0; i < nh; i++) {
    if (hs[i] < 0)
      continue;
    k++;
    const char *sep = k == 1 ? "ground held by "
                      : k < nparties || none ? ", "
                                             : " and ";
    int n = snprintf(where + len, sizeof where - len, "%s%s", sep,
                     t->parties[hs[i]].id);
    if (n > 0)
      len += (size_t)n;
    if (len >= sizeof where) /* sized not to: a cut list stays bounded */
      len = sizeof where - 1;
  }
  if (none)
    snprintf(where + len, sizeof where - len, "%sground no party is recorded "
                                              "as holding",
             nparties ? " and " : "");
  char ray[256];
  int p = ray_party(g, s, ray, sizeof ray);
  snprintf(reason, cap, "%s, %s %s; by the direction of fire: %s", head,
           nh == 1 ? "on" : "whose ellipse straddles", where, ray);
  return p;
}

/* The party present at a position: whoever holds the ground. */
static int present_party(const engine *g, const sob *s, char *reason,
                         size_t cap) {
  if (!s->has_pos) {
    snprintf(reason, cap, "position not determined (a bearing without a "
                          "distance)");
    return -1;
  }
  int p = holder(g->t, s->lat, s->lon);
  if (p < 0)
    snprintf(reason, cap, "on ground no party is recorded as holding");
  else
    snprintf(reason, cap, "on ground held by %s", g->t->parties[p].id);
  return p;
}

/* Does a weapon match a rule's selection? -1: cannot tell (a calibre
 * range and an unknown calibre). */
static int weapon_matches(const terms_weapons *w, const sob *s) {
  for (size_t i = 0; i < w->nsystems; i++)
    if (s->system && strcmp(w->systems[i], s->system) == 0)
      return 1;
  if (!s->cls || !(w->classes & (1u << s->cls)))
    return 0;
  bool bounded = w->calibre_min_mm > 0 || w->calibre_max_mm > 0 ||
                 w->calibre_below_mm > 0;
  if (!bounded)
    return 1;
  if (s->calibre_mm <= 0)
    return -1;
  if (w->calibre_min_mm > 0 && s->calibre_mm < w->calibre_min_mm)
    return 0;
  if (w->calibre_max_mm > 0 && s->calibre_mm > w->calibre_max_mm)
    return 0;
  if (w->calibre_below_mm > 0 && s->calibre_mm >= w->calibre_below_mm)
    return 0;
  return 1;
}

/* "BM-21 Grad (mlrs, 122 mm)", "(artillery, 152 mm)", "2S7 Pion (system
 * not in the catalogue)". */
static void weapon_text(const sob *s, char *out, size_t cap) {
  char what[64] = "";
  if (s->cls && s->calibre_mm > 0)
    snprintf(what, sizeof what, "%s, %g mm", truce_weapon_class_name(s->cls),
             s->calibre_mm);
  else if (s->cls)
    snprintf(what, sizeof what, "%s", truce_weapon_class_name(s->cls));
  else if (s->calibre_mm > 0)
    snprintf(what, sizeof what, "%g mm", s->calibre_mm);
  if (s->classify & TRUCE_CLASSIFY_UNLISTED)
    snprintf(what + strlen(what), sizeof what - strlen(what), "%s%s",
             what[0] ? "; " : "", "system not in the catalogue");
  snprintf(out, cap, "%s%s%s%s%s", s->system ? s->system : "",
           s->system && what[0] ? " " : "", what[0] ? "(" : "", what,
           what[0] ? ")" : "");
}

/* "BM-21 Grad (mlrs, 122 mm) x6", "shots x40 (small_arms)" */
static void seen_text(const sob *s, bool weapon_first, char *out,
                      size_t cap) {
  char wt[160];
  weapon_text(s, wt, sizeof wt);
  if (weapon_first)
    snprintf(out, cap, "%s x%u", wt[0] ? wt : "weapon", s->count);
  else
    snprintf(out, cap, "%s x%u%s%s", truce_what_name(s->what), s->count,
             wt[0] ? " " : "", wt);
}

/* ---- findings ---- */

static truce_err add_finding(engine *g, int rule, const char *category,
                             const sob *s, int party, const char *reason,
                             const char *line, double dist_m,
                             const char *place_id, const char *detail,
                             finding **out) {
  if (g->nf == g->capf) {
    size_t nc = g->capf ? g->capf * 2 : 64;
    finding *p = truce_realloc(g->f, nc * sizeof *p);
    if (!p)
      return seterr(g->err, TRUCE_ENOMEM, "out of memory");
    g->f = p;
    g->capf = nc;
  }
  finding *f = &g->f[g->nf];
  memset(f, 0, sizeof *f);
  f->ev = truce_calloc(EVIDENCE_MAX, sizeof *f->ev);
  if (!f->ev)
    return seterr(g->err, TRUCE_ENOMEM, "out of memory");
  const terms_rule *r = &g->t->rules[rule];
  f->rule = rule;
  f->v.rule = r->id;
  f->v.rule_type = terms_rule_type_name(r->type);
  f->v.category = category;
  f->v.t_ms = s->t_ms;
  f->v.t_end_ms = s->t_end_ms;
  f->v.has_position = s->has_pos;
  f->v.lat_deg = s->has_pos ? s->lat : s->olat;
  f->v.lon_deg = s->has_pos ? s->lon : s->olon;
  f->v.uncertainty_m = s->unc_m;
  f->v.line = line ? line : "";
  f->v.dist_m = dist_m;
  f->v.place = place_id ? place_id : "";
  f->v.party = party >= 0 ? g->t->parties[party].id : "undetermined";
  snprintf(f->reason, sizeof f->reason, "%s", reason);
  snprintf(f->detail, sizeof f->detail, "%s", detail);
  f->v.terms = g->cite;
  if (s->incident != NONE && g->inc[s->incident].fire_located) {
    f->v.fire_located = 1;
    f->v.fire_where = g->inc[s->incident].fire_where;
  }
  f->ev[0].index = s->index;
  f->ev[0].pos = s->pos;
  f->ev[0].source = g->strs[s->source];
  f->nev = 1;
  f->sort_index = s->index;
  f->sort_pos = s->pos;
  g->nf++;
  if (out)
    *out = f;
  return TRUCE_OK;
}

static bool in_force(const engine *g, int rule, const sob *s) {
  const terms_rule *r = &g->t->rules[rule];
  int64_t from = g->rule_from[rule];
  /* The whole time (window) must fall in force: an observation that may
   * predate the rule is not counted against it. */
  return s->t_ms >= from && s->t_end_ms < r->until_ms;
}

/* Distance and side of the observation against a line. */
static bool measure_line(const engine *g, int line, const sob *s,
                         truce_geo_where *w) {
  return s->has_pos && line >= 0 &&
         truce_geom_measure(g->t->lines[line].geom, s->lat, s->lon, w) ==
             TRUCE_OK;
}

/* The nearest reference line of any party, for context. */
static int nearest_line(const engine *g, const sob *s, double *dist) {
  int best = -1;
  *dist = -1;
  for (size_t i = 0; s->has_pos && i < g->t->nlines; i++) {
    truce_geo_where w;
    if (measure_line(g, (int)i, s, &w) && (best < 0 || w.dist_m < *dist)) {
      best = (int)i;
      *dist = w.dist_m;
    }
  }
  return best;
}

/* For an observation that belongs to an incident: whether the incident
 * was judged by this rule already, else the observation that stands for
 * it (the first member the rule looks at with a direction of fire, else
 * the first it looks at), placed where the incident is, over the
 * members' whole span. */
typedef bool (*looks_fn)(const engine *g, int rule, const sob *s);

static bool stand_in(engine *g, int ri, const sob *s, looks_fn looks,
                     sob *rep) {
  ainc *a = &g->inc[s->incident];
  if (a->done == (uint32_t)ri + 1)
    return false;
  a->done = (uint32_t)ri + 1;
  const sob *lead = NULL, *fire = NULL;
  int64_t t0 = INT64_MAX, t1 = INT64_MIN;
  uint32_t count = 0;
  for (uint32_t k = 0; k < a->n; k++) {
    const sob *m = &g->obs[g->members[a->first + k]];
    if (!looks(g, ri, m))
      continue;
    if (!lead || m - g->obs < lead - g->obs)
      lead = m;
    if (m->has_fire && (!fire || m - g->obs < fire - g->obs))
      fire = m;
    if (m->t_ms < t0)
      t0 = m->t_ms;
    if (m->t_end_ms > t1)
      t1 = m->t_end_ms;
    if (m->count > count)
      count = m->count;
  }
  if (!lead)
    return false;
  *rep = fire ? *fire : *lead;
  rep->t_ms = t0;
  rep->t_end_ms = t1;
  rep->count = count; /* "about 200", heard by several: not 200 each */
  if (a->located) {
    rep->has_pos = 1;
    rep->lat = a->lat;
    rep->lon = a->lon;
    rep->unc_m = a->major_m;
  }
  return true;
}

/* Observation m as evidence of finding f, once, while it has room. */
static void add_cite(engine *g, finding *f, const sob *m) {
  for (size_t k = 0; k < f->nev; k++)
    if (f->ev[k].index == m->index && f->ev[k].pos == m->pos)
      return;
  if (f->nev == EVIDENCE_MAX)
    return;
  f->ev[f->nev].index = m->index;
  f->ev[f->nev].pos = m->pos;
  f->ev[f->nev].source = g->strs[m->source];
  f->nev++;
}

/* Evidence after the first (the one standing for the finding) sorted by
 * citation. */
static void sort_cites(finding *f) {
  for (size_t i = 2; i < f->nev; i++)
    for (size_t j = i; j > 1 && (f->ev[j].index < f->ev[j - 1].index ||
                                 (f->ev[j].index == f->ev[j - 1].index &&
                                  f->ev[j].pos < f->ev[j - 1].pos));
         j--) {
      truce_evidence t = f->ev[j];
      f->ev[j] = f->ev[j - 1];
      f->ev[j - 1] = t;
    }
}

/* The rest of an incident's members as evidence of finding f. */
static void add_members(engine *g, finding *f, const sob *rep) {
  const ainc *a = &g->inc[rep->incident];
  for (uint32_t k = 0; k < a->n; k++)
    add_cite(g, f, &g->obs[g->members[a->first + k]]);
  sort_cites(f);
}

static bool ceasefire_looks(const engine *g, int ri, const sob *s) {
  const terms_rule *r = &g->t->rules[ri];
  return (r->u.ceasefire.what & (1u << s->what)) && in_force(g, ri, s);
}

static truce_err rule_ceasefire(engine *g, int ri) {
  truce_err rc = TRUCE_OK;
  const terms_rule *r = &g->t->rules[ri];
  for (size_t i = 0; !rc && i < g->nobs; i++) {
    const sob *s = &g->obs[i];
    sob rep;
    if (!ceasefire_looks(g, ri, s))
      continue;
    if (s->incident != NONE) {
      if (!stand_in(g, ri, s, ceasefire_looks, &rep))
        continue;
      s = &rep;
    }
    char reason[REASON_MAX], detail[256];
    int p = firing_party(g, s, reason, sizeof reason);
    if (p >= 0 && !(r->parties & (1u << p)))
      continue; /* a party the rule does not bind */
    seen_text(s, false, detail, sizeof detail);
    double d;
    int l = nearest_line(g, s, &d);
    finding *f = NULL;
    rc = add_finding(g, ri, "fire", s, p, reason,
                     l >= 0 ? g->t->lines[l].id : "", d, "", detail, &f);
    if (!rc && s->incident != NONE)
      add_members(g, f, s);
  }
  return rc;
}

/* Whether the withdrawal rule looks at s: a weapon of its selection seen
 * while it is in force; -1 / -2 when it cannot tell (calibre unknown; a
 * system the catalogue does not list, with no class given: kept, flagged,
 * never guessed: reported as undetermined). */
static int withdrawal_match(const engine *g, int ri, const sob *s) {
  const terms_rule *r = &g->t->rules[ri];
  if (!(TERMS_WHAT_PRESENCE & (1u << s->what)) || !in_force(g, ri, s))
    return 0;
  int m = weapon_matches(&r->u.withdrawal.weapons, s);
  if (m == 0 && !s->cls && (s->classify & TRUCE_CLASSIFY_UNLISTED))
    m = -2;
  return m;
}

static bool withdrawal_looks(const engine *g, int ri, const sob *s) {
  return withdrawal_match(g, ri, s) != 0;
}

/* A weapon seen again: sightings of one kind of weapon (the same class,
 * the same system where both name one) at one place (within
 * SEEN_PLACE_M plus the two positions' combined 95% radius of the
 * group's first sighting), each within SEEN_AGAIN_MS of the group's
 * latest, breach a withdrawal line once: one finding over their span,
 * with every sighting as evidence. Fusion joins sightings only within
 * its time tolerance (a minute or so), so two drones passing five
 * minutes apart make two incidents of one weapon; a day's report counts
 * it once. After six hours unseen it is counted again: a weapon still
 * there the next morning is reported again (docs/assess.md). */
#define SEEN_PLACE_M 500.0
#define SEEN_AGAIN_MS (6 * 3600000LL)

typedef struct seen_group {
  size_t f;  /* its finding, into g->f (which may move) */
  int party; /* the party whose line the sighting is within; for "cannot
              * tell" findings, -2 - that party */
  sob first; /* its first sighting, as it stood (a stand-in is a copy) */
} seen_group; /* its latest sighting ends where its finding does */

/* The finding a sighting of party p continues, or SIZE_MAX. */
static size_t seen_again(const engine *g, const seen_group *grp, size_t n,
                         int p, const sob *s) {
  for (size_t i = n; i-- > 0;) {
    const seen_group *q = &grp[i];
    const sob *a = &q->first;
    if (q->party != p || s->t_ms - g->f[q->f].v.t_end_ms > SEEN_AGAIN_MS)
      continue;
    if (a->cls != s->cls || (a->system && s->system && a->system != s->system))
      continue;
    double d;
    truce_geodesic_inverse(a->lat, a->lon, s->lat, s->lon, &d, NULL, NULL);
    if (d <= SEEN_PLACE_M + hypot(a->unc_m, s->unc_m))
      return q->f;
  }
  return SIZE_MAX;
}

/* Record finding fi, just added for sighting s of party p, as a group. */
static truce_err seen_record(engine *g, seen_group **grp, size_t *n,
                             size_t *cap, int p, const sob *s, size_t fi) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    seen_group *q = truce_realloc(*grp, nc * sizeof *q);
    if (!q)
      return seterr(g->err, TRUCE_ENOMEM, "out of memory");
    *grp = q;
    *cap = nc;
  }
  seen_group *q = &(*grp)[(*n)++];
  q->f = fi;
  q->party = p;
  q->first = *s;
  return TRUCE_OK;
}

/* Sighting s (orig: the observation, if s is a stand-in) continues the
 * group of finding fi: its span and its evidence grow. */
static void seen_join(engine *g, size_t fi, const sob *s, const sob *orig) {
  finding *f = &g->f[fi];
  if (s->t_end_ms > f->v.t_end_ms)
    f->v.t_end_ms = s->t_end_ms;
  if (s->incident != NONE)
    add_members(g, f, s);
  else {
    add_cite(g, f, orig);
    sort_cites(f);
  }
}

static truce_err rule_withdrawal(engine *g, int ri) {
  const terms_rule *r = &g->t->rules[ri];
  double limit = r->u.withdrawal.distance_km * 1000;
  truce_err rc = TRUCE_OK;
  seen_group *grp = NULL;
  size_t ngrp = 0, capgrp = 0;
  for (size_t i = 0; !rc && i < g->nobs; i++) {
    const sob *s = &g->obs[i], *orig = s;
    sob rep;
    int m = withdrawal_match(g, ri, s);
    if (m == 0)
      continue;
    /* A weapon seen several times (one incident) is one finding, with
     * every sighting as evidence. */
    if (s->incident != NONE) {
      if (!stand_in(g, ri, s, withdrawal_looks, &rep))
        continue;
      s = &rep;
      m = withdrawal_match(g, ri, s);
    }
    for (size_t p = 0; !rc && p < g->t->nparties; p++) {
      int li = r->u.withdrawal.line[p];
      truce_geo_where w;
      if (li < 0 || !(r->parties & (1u << p)) || !measure_line(g, li, s, &w))
        continue;
      const terms_line *l = &g->t->lines[li];
      /* On the party's own side of its own line, closer than the limit
       * (a distance equal to the limit is within it); or on ground the
       * party holds beyond its own line (a memorandum line inside held
       * ground), which is inside the security zone however far. Ground
       * another party holds is not this party's. */
      int h = holder(g->t, s->lat, s->lon);
      bool own_side = w.side == l->side[p];
      if (h >= 0 && h != (int)p)
        continue;
      if (own_side ? w.dist_m > limit : h != (int)p)
        continue;
      char reason[256], detail[256], wt[192];
      seen_text(s, true, wt, sizeof wt);
      if (m < 0) {
        snprintf(reason, sizeof reason, "%s: cannot tell whether the rule "
                                        "applies",
                 m == -2 ? "system not in the catalogue and no class given"
                         : "calibre not known");
        snprintf(detail, sizeof detail,
                 "%s at %.1f km from %s's line (limit %g km)", wt,
                 w.dist_m / 1000, g->t->parties[p].id,
                 r->u.withdrawal.distance_km);
        size_t fi = seen_again(g, grp, ngrp, -2 - (int)p, s);
        if (fi != SIZE_MAX) {
          seen_join(g, fi, s, orig);
          continue;
        }
        finding *f = NULL;
        rc = add_finding(g, ri, "presence", s, -1, reason, l->id, w.dist_m,
                         "", detail, &f);
        if (!rc && s->incident != NONE)
          add_members(g, f, s);
        if (!rc)
          rc = seen_record(g, &grp, &ngrp, &capgrp, -2 - (int)p, s,
                           g->nf - 1);
        continue;
      }
      if (own_side) {
        snprintf(reason, sizeof reason, "on %s's own side of its line%s",
                 g->t->parties[p].id,
                 limit - w.dist_m < s->unc_m
                     ? " (the position's uncertainty reaches past the limit)"
                     : "");
        snprintf(detail, sizeof detail,
                 "%s at %.1f km from %s's line (limit %g km)", wt,
                 w.dist_m / 1000, g->t->parties[p].id,
                 r->u.withdrawal.distance_km);
      } else {
        snprintf(reason, sizeof reason,
                 "on ground %s holds, in front of its own line",
                 g->t->parties[p].id);
        snprintf(detail, sizeof detail,
                 "%s %.1f km in front of %s's line (to be %g km behind it)",
                 wt, w.dist_m / 1000, g->t->parties[p].id,
                 r->u.withdrawal.distance_km);
      }
      size_t fi = seen_again(g, grp, ngrp, (int)p, s);
      if (fi != SIZE_MAX) {
        seen_join(g, fi, s, orig);
        continue;
      }
      finding *f = NULL;
      rc = add_finding(g, ri, "presence", s, (int)p, reason, l->id, w.dist_m,
                       "", detail, &f);
      if (!rc && s->incident != NONE)
        add_members(g, f, s);
      if (!rc)
        rc = seen_record(g, &grp, &ngrp, &capgrp, (int)p, s, g->nf - 1);
    }
  }
  truce_free(grp);
  return rc;
}

/* Inside (+1), near (2), or neither (0) zone z; *dist the distance to its
 * edge (or to its line, for a band). */
static int zone_where(const engine *g, const terms_zone *z, const sob *s,
                      double *dist) {
  truce_geo_where w;
  *dist = -1;
  if (!s->has_pos)
    return 0;
  if (z->area) {
    if (truce_geom_measure(z->area, s->lat, s->lon, &w) != TRUCE_OK)
      return 0;
    *dist = w.dist_m;
    if (w.side >= 0) /* on the edge counts as inside */
      return 1;
  } else {
    if (!measure_line(g, z->line, s, &w))
      return 0;
    double half = z->half_width_km * 1000;
    *dist = fabs(w.dist_m - half);
    if (w.dist_m <= half)
      return 1;
    *dist = w.dist_m - half;
  }
  return z->near_km > 0 && *dist <= z->near_km * 1000 ? 2 : 0;
}

static bool zone_looks(const engine *g, int ri, const sob *s) {
  const terms_rule *r = &g->t->rules[ri];
  return (r->u.zone.what & (1u << s->what)) && in_force(g, ri, s);
}

static truce_err rule_zone(engine *g, int ri) {
  const terms_rule *r = &g->t->rules[ri];
  truce_err rc = TRUCE_OK;
  for (size_t i = 0; !rc && i < g->nobs; i++) {
    const sob *s = &g->obs[i];
    sob rep;
    if (!zone_looks(g, ri, s))
      continue;
    /* an incident of fire once; presence stays per observation */
    if (s->incident != NONE && (TERMS_WHAT_FIRE & (1u << s->what))) {
      if (!stand_in(g, ri, s, zone_looks, &rep))
        continue;
      s = &rep;
    }
    for (size_t k = 0; !rc && k < r->u.zone.nzones; k++) {
      const terms_zone *z = &g->t->zones[r->u.zone.zones[k]];
      double d;
      int where = zone_where(g, z, s, &d);
      if (!where)
        continue;
      char reason[REASON_MAX], detail[256], seen[192];
      bool fire = (TERMS_WHAT_FIRE & (1u << s->what)) != 0;
      int p = fire ? firing_party(g, s, reason, sizeof reason)
                   : present_party(g, s, reason, sizeof reason);
      if (p >= 0 && !(r->parties & (1u << p)))
        continue;
      seen_text(s, false, seen, sizeof seen);
      snprintf(detail, sizeof detail, "%s %s %s", seen,
               where == 1 ? "inside" : "near", z->name[0] ? z->name : z->id);
      finding *f = NULL;
      rc = add_finding(g, ri, where == 1 ? "inside" : "near", s, p, reason,
                       "", d, z->id, detail, &f);
      if (!rc && s == &rep)
        add_members(g, f, s);
    }
  }
  return rc;
}

/* Where a cap counts: inside its zone, or in the band behind party p's
 * line on p's own side. */
static bool in_cap_area(const engine *g, const terms_rule *r, size_t p,
                        const sob *s, double *dist) {
  *dist = -1;
  if (r->u.cap.zone >= 0)
    return zone_where(g, &g->t->zones[r->u.cap.zone], s, dist) == 1;
  int li = r->u.cap.line[p];
  truce_geo_where w;
  if (li < 0 || !measure_line(g, li, s, &w))
    return false;
  *dist = w.dist_m;
  return w.side == g->t->lines[li].side[p] &&
         w.dist_m >= r->u.cap.band_min_km * 1000 &&
         w.dist_m <= r->u.cap.band_max_km * 1000;
}

/* Caps count weapons, not reports. A weapon incident (fusion: sightings of
 * one kind of weapon at one place within the time tolerance) is one
 * sighting, of its largest single count: two drones seeing the same six
 * guns saw six. Within a window, sightings of the same weapons at the same
 * place (a group) count once, at the group's largest sighting: a battery
 * seen at 08:00 and again at 14:00 in its position is one battery. Groups
 * add up. See docs/assess.md, "Caps: what is counted", for why. */

/* A group's reach: one position of a battery or a company spreads over a
 * few hundred metres, and two observers may centre on different vehicles
 * of it. */
#define CAP_PLACE_M 500.0

/* A sighting a cap counts: an incident, or an observation alone. */
typedef struct cap_unit {
  sob s;            /* stands for it (stand_in), or the observation */
  uint32_t at;      /* g->obs index of the observation alone */
  uint32_t stretch; /* the last stretch (+ 1) whose evidence holds it */
} cap_unit;

/* A group: weapons of one kind at one place, anchored on the sighting
 * that founded it (the anchor never moves, so groups do not chain). */
typedef struct cap_group {
  uint32_t anchor;    /* into the units */
  const char *system; /* the first system its sightings name, or NULL */
  uint32_t max;       /* its largest count in the window */
} cap_group;

static bool cap_looks(const engine *g, int ri, const sob *s) {
  return s->what == TRUCE_WHAT_WEAPON_SEEN && in_force(g, ri, s) &&
         weapon_matches(&g->t->rules[ri].u.cap.weapons, s) == 1;
}

/* Can sighting s be of group q's weapons: the same class, the same system
 * where both name one (interned: one pointer per name), and no farther
 * from the anchor than CAP_PLACE_M plus the two positions' combined 95%
 * radius? *dist_m the distance. */
static bool cap_same(const cap_unit *units, const cap_group *q, const sob *s,
                     double *dist_m) {
  const sob *a = &units[q->anchor].s;
  if (a->cls != s->cls || (q->system && s->system && q->system != s->system))
    return false;
  truce_geodesic_inverse(a->lat, a->lon, s->lat, s->lon, dist_m, NULL, NULL);
  return *dist_m <= CAP_PLACE_M + hypot(a->unc_m, s->unc_m);
}

/* Count unit u into the window's groups: it joins the nearest group it
 * can be of (ties: the group founded first), or founds one; *total is the
 * sum of the groups' largest counts. */
static void cap_count_in(const cap_unit *units, uint32_t u, cap_group *grp,
                         size_t *ngrp, uint64_t *total) {
  const sob *s = &units[u].s;
  size_t best = SIZE_MAX;
  double best_d = 0;
  for (size_t q = 0; q < *ngrp; q++) {
    double d;
    if (cap_same(units, &grp[q], s, &d) && (best == SIZE_MAX || d < best_d)) {
      best = q;
      best_d = d;
    }
  }
  if (best == SIZE_MAX) {
    best = (*ngrp)++;
    grp[best].anchor = u;
    grp[best].system = NULL;
    grp[best].max = 0;
  }
  cap_group *q = &grp[best];
  if (!q->system)
    q->system = s->system;
  if (s->count > q->max) {
    *total += s->count - q->max;
    q->max = s->count;
  }
}

/* Insert g->obs index i into an evidence list kept in ascending order,
 * (time, entry, position), once, while it has room (EVIDENCE_MAX). */
static void ev_insert(uint32_t *ev, size_t *nev, uint32_t i) {
  size_t j = *nev;
  while (j > 0 && ev[j - 1] > i)
    j--;
  if ((j > 0 && ev[j - 1] == i) || *nev == EVIDENCE_MAX)
    return;
  memmove(&ev[j + 1], &ev[j], (*nev - j) * sizeof *ev);
  ev[j] = i;
  (*nev)++;
}

/* Add a unit's observations (all of an incident's) to an evidence list. */
static void cap_evidence(const engine *g, const cap_unit *u, uint32_t *ev,
                         size_t *nev) {
  const uint32_t *at = &u->at;
  uint32_t n = 1;
  if (u->s.incident != NONE) {
    const ainc *a = &g->inc[u->s.incident];
    at = &g->members[a->first];
    n = a->n;
  }
  for (uint32_t k = 0; k < n; k++)
    ev_insert(ev, nev, at[k]);
}

/* Write the evidence of f: the observations g->obs[at[0..n)]. */
static void set_evidence(const engine *g, finding *f, const uint32_t *at,
                         size_t n) {
  f->nev = 0;
  for (size_t k = 0; k < n && f->nev < EVIDENCE_MAX; k++) {
    const sob *m = &g->obs[at[k]];
    f->ev[f->nev].index = m->index;
    f->ev[f->nev].pos = m->pos;
    f->ev[f->nev].source = g->strs[m->source];
    f->nev++;
  }
}

/* Caps: for each party bound, over any window of window_h hours ending at
 * a sighting, the sum of the groups' largest counts. One finding per
 * stretch of time the cap is exceeded, its evidence every observation of
 * the sightings counted in it. */
static truce_err rule_cap(engine *g, int ri) {
  const terms_rule *r = &g->t->rules[ri];
  int64_t win = (int64_t)r->u.cap.window_h * 3600000;
  /* Sized by the observations the cap looks at, not the period's. */
  size_t cap = 1;
  for (size_t i = 0; i < g->nobs; i++)
    cap += cap_looks(g, ri, &g->obs[i]);
  cap_unit *units = truce_malloc(cap * sizeof *units);
  uint32_t *sel = truce_malloc(cap * sizeof *sel);
  cap_group *grp = truce_malloc(cap * sizeof *grp);
  if (!units || !sel || !grp) {
    truce_free(units);
    truce_free(sel);
    truce_free(grp);
    return seterr(g->err, TRUCE_ENOMEM, "out of memory");
  }
  /* The sightings, in time order: an incident is met first at its
   * earliest member, which is where its stand-in's time starts. */
  size_t nu = 0;
  for (size_t i = 0; i < g->nobs; i++) {
    const sob *s = &g->obs[i];
    if (!cap_looks(g, ri, s))
      continue;
    cap_unit *u = &units[nu];
    u->at = (uint32_t)i;
    u->stretch = 0;
    if (s->incident == NONE) {
      u->s = *s;
    } else {
      if (!stand_in(g, ri, s, cap_looks, &u->s))
        continue;
      const ainc *a = &g->inc[s->incident];
      for (uint32_t k = 0; k < a->n && !u->s.system; k++) {
        const sob *m = &g->obs[g->members[a->first + k]];
        if (cap_looks(g, ri, m))
          u->s.system = m->system;
      }
    }
    nu++;
  }
  truce_err rc = TRUCE_OK;
  uint32_t stretch = 0;
  for (size_t p = 0; !rc && p < g->t->nparties; p++) {
    if (!(r->parties & (1u << p)))
      continue;
    size_t n = 0;
    for (size_t i = 0; i < nu; i++) {
      const sob *s = &units[i].s;
      double d;
      if (in_cap_area(g, r, p, s, &d) &&
          (r->u.cap.zone < 0 || holder(g->t, s->lat, s->lon) == (int)p))
        sel[n++] = (uint32_t)i;
    }
    finding *open = NULL;
    uint32_t ev[EVIDENCE_MAX];
    size_t nev = 0, ngrp = 0, built = SIZE_MAX, worst_grp = 0;
    uint64_t total = 0, worst = 0;
    for (size_t e = 0, b = 0; !rc && e < n; e++) {
      const sob *last = &units[sel[e]].s;
      while (units[sel[b]].s.t_ms <= last->t_ms - win)
        b++;
      /* Sightings only join at the end of the window: its groups change
       * only when its start moves. */
      if (b != built) {
        ngrp = 0;
        total = 0;
        for (size_t k = b; k < e; k++)
          cap_count_in(units, sel[k], grp, &ngrp, &total);
        built = b;
      }
      cap_count_in(units, sel[e], grp, &ngrp, &total);
      if (total <= r->u.cap.max) {
        open = NULL;
        continue;
      }
      if (!open) {
        char reason[256];
        snprintf(reason, sizeof reason,
                 "weapons counted on %s's side: each group (one kind of "
                 "weapon at one place) at its largest sighting",
                 g->t->parties[p].id);
        const terms_zone *z =
            r->u.cap.zone >= 0 ? &g->t->zones[r->u.cap.zone] : NULL;
        int li = r->u.cap.line[p];
        rc = add_finding(g, ri, "over_cap", &units[sel[b]].s, (int)p, reason,
                         li >= 0 ? g->t->lines[li].id : "", -1,
                         z ? z->id : "", "", &open);
        if (rc)
          break;
        stretch++;
        nev = 0;
        worst = 0;
      }
      /* The stretch grows: its evidence is every sighting in it. */
      if (last->t_end_ms > open->v.t_end_ms)
        open->v.t_end_ms = last->t_end_ms;
      for (size_t k = b; k <= e; k++) {
        cap_unit *u = &units[sel[k]];
        if (u->stretch == stretch)
          continue;
        u->stretch = stretch;
        cap_evidence(g, u, ev, &nev);
      }
      set_evidence(g, open, ev, nev);
      if (total > worst) {
        worst = total;
        worst_grp = ngrp;
      }
      snprintf(open->detail, sizeof open->detail,
               "up to %" PRIu64 " weapons within %u h (at most %u) in %zu "
               "group%s",
               worst, r->u.cap.window_h, r->u.cap.max, worst_grp,
               worst_grp == 1 ? "" : "s");
    }
  }
  truce_free(units);
  truce_free(sel);
  truce_free(grp);
  return rc;
}

/* When precondition rule ri is first met: N days in a row with no
 * activity in its zone, counted from the rule's start. INT64_MAX if never
 * within the period. */
static int64_t precondition_met(const engine *g, int ri, const sob **last) {
  const terms_rule *r = &g->t->rules[ri];
  int64_t days = (int64_t)r->u.precondition.days * 86400000;
  int64_t t = g->rule_from[ri] + days;
  *last = NULL;
  const terms_zone *z = &g->t->zones[r->u.precondition.zone];
  for (size_t i = 0; i < g->nobs; i++) {
    const sob *s = &g->obs[i];
    double d;
    if (!(r->u.precondition.what & (1u << s->what)) ||
        s->t_end_ms < g->rule_from[ri] || zone_where(g, z, s, &d) != 1)
      continue;
    if (s->t_end_ms <= t && s->t_end_ms > t - days) {
      t = s->t_end_ms + days; /* the quiet starts again after it */
      *last = s;
    }
  }
  return t;
}

static truce_err rule_precondition(engine *g, int ri, int64_t met,
                                   const sob *last) {
  const terms_rule *r = &g->t->rules[ri];
  const terms_zone *z = &g->t->zones[r->u.precondition.zone];
  if (met < g->to_ms)
    return TRUCE_OK; /* met within the period: nothing to report */
  char detail[256], reason[256], when[32];
  sob none;
  memset(&none, 0, sizeof none);
  none.t_ms = none.t_end_ms = g->to_ms;
  const sob *s = last ? last : &none;
  if (last) {
    truce_time_format(last->t_end_ms, when);
    snprintf(reason, sizeof reason, "activity inside %s at %s", z->id, when);
  } else {
    snprintf(reason, sizeof reason, "fewer than %u days since the rule's "
                                    "start",
             r->u.precondition.days);
  }
  snprintf(detail, sizeof detail,
           "%u days without activity inside %s not reached by the end of "
           "the period; the rules it enables are not in force",
           r->u.precondition.days, z->name[0] ? z->name : z->id);
  finding *f;
  truce_err rc = add_finding(g, ri, "not_met", s, -1, reason, "", -1, z->id,
                             detail, &f);
  if (!rc) {
    f->v.party = "";
    if (!last)
      f->nev = 0;
  }
  return rc;
}

/* Is the observation at site `si`? */
static bool at_site(const terms_site *site, const sob *s) {
  if (!s->has_pos)
    return false;
  if (site->area) {
    truce_geo_where w;
    return truce_geom_measure(site->area, s->lat, s->lon, &w) == TRUCE_OK &&
           w.side >= 0;
  }
  double d;
  truce_geodesic_inverse(s->lat, s->lon, site->lat_deg, site->lon_deg, &d,
                         NULL, NULL);
  return d <= site->radius_m + s->unc_m;
}

/* Is the weapon beyond every withdrawal line its party must keep it
 * behind (so that being away from its site is the only breach)? */
static bool beyond_withdrawal(const engine *g, int party, const sob *s,
                              const terms_item *it) {
  sob w = *s;
  w.cls = it->cls;
  w.calibre_mm = it->calibre_mm;
  w.system = it->system;
  for (size_t ri = 0; ri < g->t->nrules; ri++) {
    const terms_rule *r = &g->t->rules[ri];
    if (r->type != TERMS_RULE_WITHDRAWAL || party < 0 ||
        !(r->parties & (1u << party)) ||
        weapon_matches(&r->u.withdrawal.weapons, &w) == 0)
      continue;
    truce_geo_where gw;
    int li = r->u.withdrawal.line[party];
    if (measure_line(g, li, s, &gw) &&
        gw.side == g->t->lines[li].side[party] &&
        gw.dist_m <= r->u.withdrawal.distance_km * 1000)
      return false;
  }
  return true;
}

/* What the holding rule looks at: a visit to a site, a weapon seen with
 * serial numbers. */
static bool holding_looks(const engine *g, int ri, const sob *s) {
  return in_force(g, ri, s) &&
         ((s->what == TRUCE_WHAT_SITE_VISIT && s->site) ||
          (s->what == TRUCE_WHAT_WEAPON_SEEN && s->nserials));
}

static bool lists_serial(const engine *g, const sob *s, const char *serial) {
  for (uint32_t q = 0; q < s->nserials; q++)
    if (strcmp(g->strs[g->serials[s->serial0 + q]], serial) == 0)
      return true;
  return false;
}

/* Is m a report of a visit to site? */
static bool visit_of(const engine *g, int ri, const sob *m,
                     const terms_site *site) {
  return m->what == TRUCE_WHAT_SITE_VISIT && m->site &&
         in_force(g, ri, m) && strcmp(g->strs[m->site - 1], site->id) == 0;
}

/* Is m a sighting of registered item it: its serial, on its system when m
 * names one (the same serial on another system is another weapon)? */
static bool sighting_of(const engine *g, int ri, const sob *m,
                        const terms_item *it) {
  return m->what == TRUCE_WHAT_WEAPON_SEEN && in_force(g, ri, m) &&
         (!m->system || strcmp(m->system, it->system) == 0) &&
         lists_serial(g, m, it->serial);
}

/* The observations of one sighting (an incident's members, or the
 * observation alone) that concern one site or one registered item: their
 * g->obs indices in ascending order, as many as EVIDENCE_MAX, and the
 * whole span of all of them. */
typedef struct held {
  uint32_t at[EVIDENCE_MAX];
  size_t n;
  int64_t t0, t1;
} held;

static void held_add(held *h, const engine *g, uint32_t i) {
  const sob *m = &g->obs[i];
  if (m->t_ms < h->t0)
    h->t0 = m->t_ms;
  if (m->t_end_ms > h->t1)
    h->t1 = m->t_end_ms;
  ev_insert(h->at, &h->n, i);
}

static truce_err holding_finding(engine *g, int ri, const char *category,
                                 const sob *s, const held *h,
                                 const terms_site *site,
                                 const char *detail) {
  char reason[256];
  snprintf(reason, sizeof reason, "registered at %s, held by %s", site->id,
           site->party >= 0 ? g->t->parties[site->party].id : "?");
  /* Placed where the sighting is; the first of its evidence stands for
   * it, over the evidence's whole span. */
  sob base = *s;
  const sob *first = &g->obs[h->at[0]];
  base.index = first->index;
  base.pos = first->pos;
  base.source = first->source;
  base.t_ms = h->t0;
  base.t_end_ms = h->t1;
  finding *f = NULL;
  truce_err rc = add_finding(g, ri, category, &base, site->party, reason, "",
                             -1, site->id, detail, &f);
  if (!rc)
    set_evidence(g, f, h->at, h->n);
  return rc;
}

/* Holding sites. Serial numbers are identities, checked item by item; a
 * visit or a sighting reported several times (one incident) is judged
 * once: a visit reported by two monitors is one visit, an item found by
 * either is there; a weapon seen outside storage by three is one finding
 * with the three sightings as evidence. */
static truce_err rule_holding(engine *g, int ri) {
  const terms_rule *r = &g->t->rules[ri];
  truce_err rc = TRUCE_OK;
  for (size_t i = 0; !rc && i < g->nobs; i++) {
    const sob *s = &g->obs[i];
    sob rep;
    if (!holding_looks(g, ri, s))
      continue;
    uint32_t self = (uint32_t)i, nmem = 1;
    const uint32_t *mem = &self;
    if (s->incident != NONE) {
      if (!stand_in(g, ri, s, holding_looks, &rep))
        continue;
      const ainc *a = &g->inc[s->incident];
      mem = &g->members[a->first];
      nmem = a->n;
      s = &rep;
    }
    for (size_t k = 0; !rc && k < r->u.holding.nsites; k++) {
      const terms_site *site = &g->t->sites[r->u.holding.sites[k]];
      held h = {.n = 0, .t0 = INT64_MAX, .t1 = INT64_MIN};
      if (s->what == TRUCE_WHAT_SITE_VISIT) {
        /* A visit: every registered item must be among those found. */
        for (uint32_t q = 0; q < nmem; q++)
          if (visit_of(g, ri, &g->obs[mem[q]], site))
            held_add(&h, g, mem[q]);
        for (size_t m = 0; !rc && h.n && m < site->nitems; m++) {
          const terms_item *it = &site->items[m];
          bool found = false;
          for (uint32_t q = 0; q < nmem && !found; q++) {
            const sob *v = &g->obs[mem[q]];
            found = visit_of(g, ri, v, site) && lists_serial(g, v, it->serial);
          }
          if (found)
            continue;
          char detail[256];
          snprintf(detail, sizeof detail,
                   "%s serial %s not found at %s on the visit", it->system,
                   it->serial, site->name[0] ? site->name : site->id);
          rc = holding_finding(g, ri, "missing", s, &h, site, detail);
        }
        continue;
      }
      /* A registered weapon seen away from its site, beyond the
       * withdrawal lines (inside them it is a withdrawal breach). */
      for (size_t m = 0; !rc && m < site->nitems; m++) {
        const terms_item *it = &site->items[m];
        h.n = 0;
        h.t0 = INT64_MAX;
        h.t1 = INT64_MIN;
        for (uint32_t q = 0; q < nmem; q++)
          if (sighting_of(g, ri, &g->obs[mem[q]], it))
            held_add(&h, g, mem[q]);
        if (!h.n || at_site(site, s) ||
            !beyond_withdrawal(g, site->party, s, it))
          continue;
        char detail[256];
        snprintf(detail, sizeof detail,
                 "%s serial %s seen outside designated storage", it->system,
                 it->serial);
        rc = holding_finding(g, ri, "outside_storage", s, &h, site, detail);
      }
    }
  }
  return rc;
}

static int cmp_finding(const void *a, const void *b) {
  const finding *x = a, *y = b;
  if (x->v.t_ms != y->v.t_ms)
    return x->v.t_ms < y->v.t_ms ? -1 : 1;
  if (x->rule != y->rule)
    return x->rule < y->rule ? -1 : 1;
  if (x->sort_index != y->sort_index)
    return x->sort_index < y->sort_index ? -1 : 1;
  if (x->sort_pos != y->sort_pos)
    return x->sort_pos < y->sort_pos ? -1 : 1;
  int c = strcmp(x->v.party, y->v.party);
  return c ? c : strcmp(x->detail, y->detail);
}

truce_err truce_assess(truce_log *log, const truce_terms *terms,
                       const truce_terms_ref *cite, int64_t from_ms,
                       int64_t to_ms, truce_violation_fn fn, void *ctx,
                       char *err) {
  if (!log || !terms || !fn || from_ms >= to_ms)
    return seterr(err, TRUCE_EINVAL,
                  "an assessment needs a log, terms and a period with from "
                  "before to");
  engine g;
  memset(&g, 0, sizeof g);
  g.t = terms;
  g.cite = cite;
  g.from_ms = from_ms;
  g.to_ms = to_ms;
  g.err = err;
  truce_err rc = truce_fuse_new(NULL, &g.fu);
  if (rc)
    return seterr(err, rc, "out of memory");
  rc = gather(&g, log);
  if (!rc)
    rc = fuse_period(&g);
  g.rule_from = truce_calloc(terms->nrules ? terms->nrules : 1,
                             sizeof *g.rule_from);
  if (!rc && !g.rule_from)
    rc = seterr(err, TRUCE_ENOMEM, "out of memory");
  for (size_t i = 0; !rc && i < terms->nrules; i++)
    g.rule_from[i] = terms->rules[i].from_ms;
  /* Preconditions first: the rules they enable are in force only once
   * they are met. */
  for (size_t i = 0; !rc && i < terms->nrules; i++) {
    const terms_rule *r = &terms->rules[i];
    if (r->type != TERMS_RULE_PRECONDITION)
      continue;
    const sob *last;
    int64_t met = precondition_met(&g, (int)i, &last);
    for (size_t k = 0; k < r->u.precondition.nenables; k++) {
      int e = r->u.precondition.enables[k];
      if (g.rule_from[e] < met)
        g.rule_from[e] = met;
    }
    rc = rule_precondition(&g, (int)i, met, last);
  }
  for (size_t i = 0; !rc && i < terms->nrules; i++) {
    switch (terms->rules[i].type) {
    case TERMS_RULE_CEASEFIRE:
      rc = rule_ceasefire(&g, (int)i);
      break;
    case TERMS_RULE_WITHDRAWAL:
      rc = rule_withdrawal(&g, (int)i);
      break;
    case TERMS_RULE_ZONE:
      rc = rule_zone(&g, (int)i);
      break;
    case TERMS_RULE_CAP:
      rc = rule_cap(&g, (int)i);
      break;
    case TERMS_RULE_PRECONDITION:
      break; /* above */
    case TERMS_RULE_HOLDING:
      rc = rule_holding(&g, (int)i);
      break;
    }
  }
  if (!rc && g.nf)
    qsort(g.f, g.nf, sizeof *g.f, cmp_finding);
  for (size_t i = 0; !rc && i < g.nf; i++) {
    finding *f = &g.f[i];
    f->v.reason = f->reason;
    f->v.detail = f->detail;
    f->v.evidence = f->ev;
    f->v.nevidence = f->nev;
    if (fn(ctx, &f->v))
      break;
  }
  for (size_t i = 0; i < g.nf; i++)
    truce_free(g.f[i].ev);
  truce_free(g.f);
  for (size_t i = 0; i < g.nstrs; i++)
    truce_free(g.strs[i]);
  truce_free(g.strs);
  truce_free(g.serials);
  truce_free(g.obs);
  truce_free(g.rule_from);
  truce_free(g.inc);
  truce_free(g.members);
  truce_fuse_free(g.fu);
  return rc;
}

/* ---- formats ---- */

/* The members shared by the JSON line and the GeoJSON properties. */
static truce_err put_members(const truce_violation *v, truce_buf *b) {
  char t0[32], t1[32];
  truce_time_format(v->t_ms, t0);
  truce_time_format(v->t_end_ms, t1);
  truce_err rc = truce_buf_append(b, "\"rule\":", 7);
  if (!rc)
    rc = buf_put_json_str(b, v->rule);
  if (!rc)
    rc = truce_buf_append(b, ",\"type\":", 8);
  if (!rc)
    rc = buf_put_json_str(b, v->rule_type);
  if (!rc)
    rc = truce_buf_append(b, ",\"category\":", 12);
  if (!rc)
    rc = buf_put_json_str(b, v->category);
  if (!rc)
    rc = truce_buf_appendf(b, ",\"time\":\"%s\"", t0);
  if (!rc && v->t_end_ms > v->t_ms)
    rc = truce_buf_appendf(b, ",\"time_end\":\"%s\"", t1);
  if (!rc && v->line[0]) {
    rc = truce_buf_append(b, ",\"line\":", 8);
    if (!rc)
      rc = buf_put_json_str(b, v->line);
  }
  if (!rc && v->dist_m >= 0)
    rc = truce_buf_appendf(b, ",\"dist_m\":%.1f", v->dist_m);
  if (!rc && v->place[0]) {
    rc = truce_buf_append(b, ",\"place\":", 9);
    if (!rc)
      rc = buf_put_json_str(b, v->place);
  }
  if (!rc && v->party[0]) {
    rc = truce_buf_append(b, ",\"party\":", 9);
    if (!rc)
      rc = buf_put_json_str(b, v->party);
  }
  if (!rc) {
    rc = truce_buf_append(b, ",\"reason\":", 10);
    if (!rc)
      rc = buf_put_json_str(b, v->reason);
  }
  if (!rc) {
    rc = truce_buf_append(b, ",\"detail\":", 10);
    if (!rc)
      rc = buf_put_json_str(b, v->detail);
  }
  if (!rc && v->fire_located) /* as an incident gives it (fuse.c) */
    rc = truce_buf_appendf(
        b,
        ",\"fire_lat\":%.7f,\"fire_lon\":%.7f,\"fire_ellipse\":{\"major_m\""
        ":%.1f,\"minor_m\":%.1f,\"azimuth_deg\":%.1f}",
        v->fire_where.lat_deg, v->fire_where.lon_deg, v->fire_where.major_m,
        v->fire_where.minor_m, v->fire_where.azimuth_deg);
  if (!rc)
    rc = truce_buf_append(b, ",\"evidence\":[", 13);
  for (size_t i = 0; !rc && i < v->nevidence; i++) {
    rc = truce_buf_appendf(b, "%s{\"entry\":%" PRIu64 ",\"obs\":%u,\"cite\":"
                              "\"%" PRIu64 ":%u\",\"source\":",
                           i ? "," : "", v->evidence[i].index,
                           v->evidence[i].pos, v->evidence[i].index,
                           v->evidence[i].pos);
    if (!rc)
      rc = buf_put_json_str(b, v->evidence[i].source);
    if (!rc)
      rc = truce_buf_append(b, "}", 1);
  }
  if (!rc)
    rc = truce_buf_append(b, "]", 1);
  if (!rc && v->terms) {
    rc = truce_buf_append(b, ",\"terms\":{\"id\":", 15);
    if (!rc)
      rc = buf_put_json_str(b, v->terms->id);
    if (!rc)
      rc = truce_buf_appendf(b, ",\"version\":%" PRIu64 ",\"entry\":%" PRIu64
                                "}",
                             v->terms->version, v->terms->index);
  }
  return rc;
}

const char *truce_violation_csv_header(void) {
  return "rule,type,category,time,time_end,lat,lon,uncertainty_m,line,"
         "dist_m,place,party,reason,detail,evidence,terms,terms_version,"
         "terms_entry,fire_lat,fire_lon,fire_major_m,fire_minor_m,"
         "fire_azimuth_deg\n";
}

truce_err truce_violation_format(const truce_violation *v, int format,
                                 truce_buf *out) {
  truce_err rc = TRUCE_OK;
  char pos[96] = "";
  if (v->has_position)
    snprintf(pos, sizeof pos, "%.7f,%.7f", v->lon_deg, v->lat_deg);
  if (format == TRUCE_FORMAT_JSONL) {
    rc = truce_buf_append(out, "{", 1);
    if (!rc)
      rc = put_members(v, out);
    if (!rc && v->has_position)
      rc = truce_buf_appendf(out,
                             ",\"lat\":%.7f,\"lon\":%.7f,\"uncertainty_m\":%.0f",
                             v->lat_deg, v->lon_deg, v->uncertainty_m);
    return rc ? rc : truce_buf_append(out, "}\n", 2);
  }
  if (format == TRUCE_FORMAT_GEOJSON) {
    rc = truce_buf_append(out, "{\"type\":\"Feature\",\"geometry\":", 29);
    if (!rc)
      rc = v->has_position
               ? truce_buf_appendf(out,
                                   "{\"type\":\"Point\",\"coordinates\":[%s]}",
                                   pos)
               : truce_buf_append(out, "null", 4);
    if (!rc)
      rc = truce_buf_append(out, ",\"properties\":{", 15);
    if (!rc)
      rc = put_members(v, out);
    if (!rc && v->has_position)
      rc = truce_buf_appendf(out, ",\"uncertainty_m\":%.0f",
                             v->uncertainty_m);
    return rc ? rc : truce_buf_append(out, "}}", 2);
  }
  if (format == TRUCE_FORMAT_TEXT) {
    char t0[32];
    truce_time_format(v->t_ms, t0);
    rc = truce_buf_appendf(out, "%s  %-28s %-15s %-12s %s", t0, v->rule,
                           v->category, v->party[0] ? v->party : "-",
                           v->detail);
    if (!rc && (!v->party[0] || strcmp(v->party, "undetermined") == 0))
      rc = truce_buf_appendf(out, " (%s)", v->reason);
    for (size_t i = 0; !rc && i < v->nevidence && i < 4; i++)
      rc = truce_buf_appendf(out, "%s%" PRIu64 ":%u", i ? " " : "  [",
                             v->evidence[i].index, v->evidence[i].pos);
    if (!rc && v->nevidence > 4)
      rc = truce_buf_appendf(out, " +%zu", v->nevidence - 4);
    if (!rc && v->nevidence)
      rc = truce_buf_append(out, "]", 1);
    return rc ? rc : truce_buf_append(out, "\n", 1);
  }
  if (format != TRUCE_FORMAT_CSV)
    return TRUCE_EINVAL;
  char t0[32], t1[32] = "";
  truce_time_format(v->t_ms, t0);
  if (v->t_end_ms > v->t_ms)
    truce_time_format(v->t_end_ms, t1);
  const char *fields[] = {v->rule, v->rule_type, v->category, t0, t1};
  for (size_t i = 0; !rc && i < 5; i++) {
    if (i)
      rc = truce_buf_append(out, ",", 1);
    if (!rc)
      rc = buf_put_csv_str(out, fields[i]);
  }
  if (!rc && v->has_position)
    rc = truce_buf_appendf(out, ",%.7f,%.7f,%.0f", v->lat_deg, v->lon_deg,
                           v->uncertainty_m);
  else if (!rc)
    rc = truce_buf_append(out, ",,,", 3);
  if (!rc)
    rc = truce_buf_append(out, ",", 1);
  if (!rc)
    rc = buf_put_csv_str(out, v->line);
  if (!rc)
    rc = v->dist_m >= 0 ? truce_buf_appendf(out, ",%.1f,", v->dist_m)
                        : truce_buf_append(out, ",,", 2);
  const char *more[] = {v->place, v->party, v->reason, v->detail};
  for (size_t i = 0; !rc && i < 4; i++) {
    if (i)
      rc = truce_buf_append(out, ",", 1);
    if (!rc)
      rc = buf_put_csv_str(out, more[i]);
  }
  /* Evidence as "INDEX:POS" citations separated by spaces. */
  truce_buf ev;
  truce_buf_init(&ev, 1 << 16);
  for (size_t i = 0; !rc && i < v->nevidence; i++)
    rc = truce_buf_appendf(&ev, "%s%" PRIu64 ":%u", i ? " " : "",
                           v->evidence[i].index, v->evidence[i].pos);
  if (!rc)
    rc = truce_buf_append(out, ",", 1);
  if (!rc)
    rc = buf_put_csv_str(out, ev.data ? ev.data : "");
  truce_buf_release(&ev);
  if (!rc && v->terms) {
    rc = truce_buf_append(out, ",", 1);
    if (!rc)
      rc = buf_put_csv_str(out, v->terms->id);
    if (!rc)
      rc = truce_buf_appendf(out, ",%" PRIu64 ",%" PRIu64, v->terms->version,
                             v->terms->index);
  } else if (!rc) {
    rc = truce_buf_append(out, ",,,", 3);
  }
  if (!rc)
    rc = v->fire_located
             ? truce_buf_appendf(out, ",%.7f,%.7f,%.1f,%.1f,%.1f",
                                 v->fire_where.lat_deg, v->fire_where.lon_deg,
                                 v->fire_where.major_m, v->fire_where.minor_m,
                                 v->fire_where.azimuth_deg)
             : truce_buf_append(out, ",,,,,", 5);
  return rc ? rc : truce_buf_append(out, "\n", 1);
}
