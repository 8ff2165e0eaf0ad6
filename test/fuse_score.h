/*
 * fuse_score.h: scoring fusion against the simulator's truth (for
 * test_fuse.c and bench_fuse.c; not part of the library).
 *
 * A scenario folder (docs/simulate.md) is read whole: sources.json, every
 * obs/<source>.jsonl, truth.jsonl. Observation `line` L of source number
 * S (its place in sources.json) is cited as entry S, position L - 1.
 *
 * The measures (docs/fusion.md, "Scoring"):
 * - an incident is correct when more than half of its observations report
 *   one true event (false reports count against it); precision =
 *   correct incidents / incidents, over all incidents and over the
 *   corroborated ones (two or more sources): a false report that nothing
 *   else supports stays an incident of its own, so precision over all
 *   incidents cannot exceed 1 - the share of such reports; the wrong
 *   incidents are counted as lone false reports and the others;
 * - recall = observed events that are the majority event of some correct
 *   incident / observed events;
 * - a split event is one that is the majority event of two or more
 *   correct incidents (its reports not brought together: precision and
 *   recall do not see it); counted, with the incidents beyond one each;
 * - a merge is an incident holding observations of two true events more
 *   than 2 km or 10 minutes apart (gap between their spans);
 * - triangulation error: for correct triangulated incidents, the
 *   geodesic distance from the incident's position to its event's;
 * - firing-position error: for correct incidents with a firing position
 *   (fire_located) whose event has one (fire_from in truth.jsonl), the
 *   geodesic distance between the two, and how many of those true
 *   positions lie inside the incident's 95% ellipse.
 */
#ifndef TRUCE_FUSE_SCORE_H
#define TRUCE_FUSE_SCORE_H

#include "truce.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct score_obs {
  uint32_t src;
  uint32_t line;
  int64_t event; /* -1: a false report */
  truce_obs o;
} score_obs;

typedef struct score_input {
  truce_source *src;
  size_t nsrc;
  score_obs *obs;
  size_t nobs;
  size_t observed_events;
  truce_sim_truth *truth;
} score_input;

typedef struct score_result {
  size_t nobs, nincidents, correct, matched_events, merges, ntri;
  size_t ncorroborated, correct_corroborated;
  size_t lone_false;     /* wrong incidents that are one false report */
  size_t wrong_other;    /* every other wrong incident */
  size_t split_events;   /* events that are the majority of 2+ incidents */
  size_t split_extra;    /* ... their incidents beyond the first */
  size_t nfire_located;  /* incidents with a firing position */
  size_t nfire;          /* ... correct, whose event has one: scored */
  size_t nfire_inside;   /* ... whose true position is in the ellipse */
  double precision, recall, tri_median_m;
  double fire_median_m;  /* firing-position error, median over nfire */
  double precision_corroborated; /* over incidents of >= 2 sources */
  double *fire_errs;     /* the nfire errors, sorted (score_release) */
  /* incidents that rest on two bearings without a range alone (where
   * they cross: docs/fusion.md, Limits), those of them whose two are
   * not of one true event, and their confidences summed */
  size_t nbare2, bare2_wrong;
  double bare2_conf, bare2_wrong_conf;
} score_result;

static void score_release(score_result *r) {
  free(r->fire_errs);
  r->fire_errs = NULL;
}

static void score_free(score_input *in) {
  if (!in)
    return;
  free(in->src);
  free(in->obs);
  truce_sim_truth_free(in->truth);
  free(in);
}

static truce_err score_load(const char *dir, score_input **out, char *err) {
  *out = NULL;
  score_input *in = calloc(1, sizeof *in);
  if (!in)
    return TRUCE_ENOMEM;
  char path[4096];
  snprintf(path, sizeof path, "%s/truth.jsonl", dir);
  truce_err rc = truce_sim_truth_load(path, &in->truth, err);
  if (rc) {
    score_free(in);
    return rc;
  }
  for (size_t i = 0; i < truce_sim_truth_nevents(in->truth); i++)
    if (truce_sim_truth_event(in->truth, i)->nobs)
      in->observed_events++;
  snprintf(path, sizeof path, "%s/sources.json", dir);
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  json_t *arr = root ? json_object_get(root, "sources") : NULL;
  if (!json_is_array(arr)) {
    snprintf(err, TRUCE_ERR_MAX, "sources.json: %.200s",
             root ? "no sources" : je.text);
    json_decref(root);
    score_free(in);
    return TRUCE_EPARSE;
  }
  in->nsrc = json_array_size(arr);
  in->src = calloc(in->nsrc ? in->nsrc : 1, sizeof *in->src);
  size_t cap = truce_sim_truth_nobs(in->truth);
  in->obs = calloc(cap ? cap : 1, sizeof *in->obs);
  if (!in->src || !in->obs)
    rc = TRUCE_ENOMEM;
  for (size_t k = 0; !rc && k < in->nsrc; k++) {
    json_t *s = json_array_get(arr, k);
    truce_source *d = &in->src[k];
    snprintf(d->name, sizeof d->name, "%s",
             json_string_value(json_object_get(s, "name")));
    snprintf(d->party, sizeof d->party, "%s",
             json_string_value(json_object_get(s, "party")));
    d->reliability = json_number_value(json_object_get(s, "reliability"));
    const char *m = json_string_value(json_object_get(s, "means"));
    for (const char *p = m; p && *p;) {
      const char *c = strchr(p, ',');
      size_t n = c ? (size_t)(c - p) : strlen(p);
      d->means |= truce_means_from_name(p, n);
      p = c ? c + 1 : p + n;
    }
    snprintf(path, sizeof path, "%s/obs/%s.jsonl", dir, d->name);
    FILE *fp = fopen(path, "r");
    if (!fp)
      continue; /* a source that reported nothing */
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    uint32_t ln = 0;
    while (!rc && (len = getline(&line, &lcap, fp)) > 0) {
      ln++;
      while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
      if (in->nobs == cap) {
        rc = TRUCE_ETOOBIG;
        break;
      }
      score_obs *so = &in->obs[in->nobs];
      so->src = (uint32_t)k;
      so->line = ln;
      rc = truce_obs_parse(line, (size_t)len, INT64_MAX / 2, &so->o, err);
      size_t ti;
      if (!rc && truce_sim_truth_find(in->truth, d->name, ln, &ti) == 0)
        so->event = truce_sim_truth_obs(in->truth, ti)->event;
      else if (!rc)
        so->event = -1;
      in->nobs++;
    }
    free(line);
    fclose(fp);
  }
  json_decref(root);
  if (rc) {
    score_free(in);
    return rc;
  }
  *out = in;
  return TRUCE_OK;
}

static uint64_t score_rnd(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* Add every observation to f, in file order, or shuffled with *shuffle. */
static truce_err score_feed(const score_input *in, truce_fusion *f,
                            uint64_t *shuffle) {
  uint32_t *ids = calloc(in->nsrc ? in->nsrc : 1, sizeof *ids);
  size_t *perm = calloc(in->nobs ? in->nobs : 1, sizeof *perm);
  truce_err rc = ids && perm ? TRUCE_OK : TRUCE_ENOMEM;
  for (size_t i = 0; i < in->nobs && perm; i++)
    perm[i] = i;
  if (shuffle && perm)
    for (size_t i = in->nobs; i > 1; i--) {
      size_t j = (size_t)(score_rnd(shuffle) % i), t = perm[i - 1];
      perm[i - 1] = perm[j];
      perm[j] = t;
    }
  for (size_t k = 0; !rc && k < in->nsrc; k++) {
    size_t kk = shuffle ? in->nsrc - 1 - k : k; /* declared in another order */
    rc = truce_fuse_source(f, &in->src[kk], &ids[kk]);
  }
  for (size_t i = 0; !rc && i < in->nobs; i++) {
    const score_obs *so = &in->obs[perm[i]];
    rc = truce_fuse_add(f, &so->o, so->src, so->line - 1, ids[so->src]);
  }
  free(ids);
  free(perm);
  return rc;
}

static int score_cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double score_median(double *v, size_t n) {
  if (!n)
    return 0;
  qsort(v, n, sizeof *v, score_cmp_d);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The observation cited (entry, pos), or NULL. */
static const score_obs *score_obs_of(const score_input *in, uint64_t entry,
                                     uint32_t pos) {
  /* obs[] is grouped by source in order, lines in order */
  size_t lo = 0, hi = in->nobs;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const score_obs *m = &in->obs[mid];
    if (m->src < entry || (m->src == entry && m->line - 1 < pos))
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo < in->nobs && in->obs[lo].src == entry && in->obs[lo].line - 1 == pos)
    return &in->obs[lo];
  return NULL;
}

/* The truth of an observation cited (entry, pos). */
static int64_t score_event_of(const score_input *in, uint64_t entry,
                              uint32_t pos) {
  const score_obs *so = score_obs_of(in, entry, pos);
  return so ? so->event : -2;
}

/* A bearing without a distance range: a line of sight. */
static int score_bare_bearing(const score_obs *so) {
  return so && so->o.where_kind == TRUCE_WHERE_BEARING &&
         so->o.dist_max_m <= 0;
}

/* The distance from a firing position to the event's true one; *inside
 * counts it when the true one lies in the 95% ellipse (on the plane of
 * the ellipse's centre: geodesic distance and azimuth). */
static double score_fire_error(const truce_ellipse *w,
                               const truce_sim_event *e, size_t *inside) {
  double d, az;
  truce_geodesic_inverse(w->lat_deg, w->lon_deg, e->fire_lat_deg,
                         e->fire_lon_deg, &d, &az, NULL);
  double rad = 3.14159265358979323846 / 180, th = w->azimuth_deg * rad;
  double dx = d * sin(az * rad), dy = d * cos(az * rad);
  double along = dx * sin(th) + dy * cos(th);
  double across = dx * cos(th) - dy * sin(th);
  double a = w->major_m > 0 ? along / w->major_m : 1e300;
  double b = w->minor_m > 0 ? across / w->minor_m : (across != 0) * 1e300;
  if (a * a + b * b <= 1)
    (*inside)++;
  if (getenv("FUSE_DEBUG"))
    fprintf(stderr, "FIRE %s: %.0f m off, ellipse %.0f x %.0f m at %.0f deg, "
                    "%s\n",
            e->id, d, w->major_m, w->minor_m, w->azimuth_deg,
            a * a + b * b <= 1 ? "inside" : "outside");
  return d;
}

/* Score f against in's truth into r; score_release(r) after. */
static truce_err score_fusion(const score_input *in, truce_fusion *f,
                              score_result *r) {
  memset(r, 0, sizeof *r);
  r->nobs = in->nobs;
  r->nincidents = truce_fuse_count(f);
  size_t nev = truce_sim_truth_nevents(in->truth);
  uint32_t *found = calloc(nev ? nev : 1, sizeof *found); /* incidents */
  double *errs = calloc(r->nincidents ? r->nincidents : 1, sizeof *errs);
  double *ferrs = calloc(r->nincidents ? r->nincidents : 1, sizeof *ferrs);
  int64_t *evs = calloc(in->nobs ? in->nobs : 1, sizeof *evs);
  if (!found || !errs || !ferrs || !evs) {
    free(found);
    free(errs);
    free(ferrs);
    free(evs);
    return TRUCE_ENOMEM;
  }
  for (size_t i = 0; i < r->nincidents; i++) {
    truce_incident c;
    truce_err rc = truce_fuse_incident(f, i, &c);
    if (rc) {
      free(found);
      free(errs);
      free(ferrs);
      free(evs);
      return rc;
    }
    size_t n = 0;
    for (size_t k = 0; k < c.nevidence; k++)
      evs[n++] = score_event_of(in, c.evidence[k].index, c.evidence[k].pos);
    /* majority event (Boyer-Moore, then count) */
    int64_t cand = -1;
    size_t cnt = 0;
    for (size_t k = 0; k < n; k++) {
      if (cnt == 0) {
        cand = evs[k];
        cnt = 1;
      } else if (evs[k] == cand) {
        cnt++;
      } else {
        cnt--;
      }
    }
    cnt = 0;
    for (size_t k = 0; k < n; k++)
      cnt += evs[k] == cand;
    r->ncorroborated += c.nsources >= 2;
    if (n == 2 &&
        score_bare_bearing(score_obs_of(in, c.evidence[0].index,
                                        c.evidence[0].pos)) &&
        score_bare_bearing(score_obs_of(in, c.evidence[1].index,
                                        c.evidence[1].pos))) {
      int one = evs[0] >= 0 && evs[0] == evs[1];
      r->nbare2++;
      r->bare2_conf += c.confidence;
      r->bare2_wrong += !one;
      r->bare2_wrong_conf += one ? 0 : c.confidence;
    }
    if (cand >= 0 && 2 * cnt > n) {
      r->correct++;
      r->correct_corroborated += c.nsources >= 2;
      found[cand]++;
      const truce_sim_event *e = truce_sim_truth_event(in->truth, (size_t)cand);
      if (c.triangulated) {
        double d;
        truce_geodesic_inverse(c.where.lat_deg, c.where.lon_deg, e->lat_deg,
                               e->lon_deg, &d, NULL, NULL);
        errs[r->ntri++] = d;
      }
      if (c.fire_located && e->has_fire_from) {
        ferrs[r->nfire++] = score_fire_error(&c.fire_where, e,
                                             &r->nfire_inside);
      }
    } else if (n == 1 && evs[0] < 0) {
      r->lone_false++;
    } else {
      r->wrong_other++;
    }
    r->nfire_located += c.fire_located != 0;
    /* merges: any two true events > 2 km or > 10 min apart */
    int merged = 0;
    for (size_t a = 0; a < n && !merged; a++)
      for (size_t b = a + 1; b < n && !merged; b++) {
        if (evs[a] < 0 || evs[b] < 0 || evs[a] == evs[b])
          continue;
        const truce_sim_event *x = truce_sim_truth_event(in->truth,
                                                         (size_t)evs[a]);
        const truce_sim_event *y = truce_sim_truth_event(in->truth,
                                                         (size_t)evs[b]);
        double d;
        truce_geodesic_inverse(x->lat_deg, x->lon_deg, y->lat_deg,
                               y->lon_deg, &d, NULL, NULL);
        int64_t gap = y->t_ms - x->t_end_ms;
        if (x->t_ms - y->t_end_ms > gap)
          gap = x->t_ms - y->t_end_ms;
        if (d > 2000 || gap > 10 * 60 * 1000)
          merged = 1;
      }
    r->merges += (size_t)merged;
    if (getenv("FUSE_DEBUG"))
      fprintf(stderr, "STAT n=%zu src=%u located=%d tri=%d conf=%.2f ok=%d\n",
              n, c.nsources, c.located, c.triangulated, c.confidence,
              cand >= 0 && 2 * cnt > n);
    if (getenv("FUSE_DEBUG") && (merged || !(cand >= 0 && 2 * cnt > n))) {
      fprintf(stderr, "%s %s %s n=%zu:", merged ? "MERGE" : "WRONG", c.id,
              truce_what_name(c.what), n);
      for (size_t k = 0; k < n; k++) {
        const score_obs *so =
            score_obs_of(in, c.evidence[k].index, c.evidence[k].pos);
        const truce_sim_event *x =
            evs[k] >= 0 ? truce_sim_truth_event(in->truth, (size_t)evs[k])
                        : NULL;
        char t[32];
        truce_time_format(so->o.t_ms, t);
        fprintf(stderr, " [%s %s k%d %s prec%u unc%.0f sp%.1f d%.0f-%.0f ev%lld %s %.4f,%.4f]",
                in->src[so->src].name, truce_what_name(so->o.what),
                so->o.where_kind, t, so->o.precision_s, so->o.uncertainty_m,
                so->o.bearing_spread_deg, so->o.dist_min_m, so->o.dist_max_m,
                (long long)evs[k], x ? truce_what_name(x->what) : "-",
                x ? x->lat_deg : 0, x ? x->lon_deg : 0);
      }
      fprintf(stderr, "\n");
    }
  }
  for (size_t e = 0; e < nev; e++) {
    r->matched_events += found[e] > 0;
    r->split_events += found[e] > 1;
    r->split_extra += found[e] > 1 ? found[e] - 1 : 0;
  }
  r->precision = r->nincidents ? (double)r->correct / (double)r->nincidents : 1;
  r->precision_corroborated =
      r->ncorroborated
          ? (double)r->correct_corroborated / (double)r->ncorroborated
          : 1;
  r->recall = in->observed_events
                  ? (double)r->matched_events / (double)in->observed_events
                  : 1;
  r->tri_median_m = score_median(errs, r->ntri);
  r->fire_median_m = score_median(ferrs, r->nfire);
  r->fire_errs = ferrs;
  free(found);
  free(errs);
  free(evs);
  return TRUCE_OK;
}

#endif /* TRUCE_FUSE_SCORE_H */
