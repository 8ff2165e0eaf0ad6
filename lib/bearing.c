/*
 * bearing.c: positions from bearings. A line of sight (an observer, a
 * bearing with its spread, a distance range) becomes a region; two or
 * more lines of sight to one event become a triangulated position with a
 * 95% ellipse; a point is measured against a line of sight.
 *
 * Owns: the error model of a bearing report (sigma = spread / 2, a
 * distance range uniform), what a bearing's region and a triangulation's
 * ellipse mean, and when bearings give no position (docs/bearings.md).
 * Depends on PROJ's geodesics (WGS84) and on util.c for messages; must
 * not depend on the log, on terms or on fusion: fusion calls this. Never
 * allocates.
 */
#include "internal.h"
#include "linecross.h"

#include <geodesic.h>
#include <math.h>
#include <stdio.h>

#define WGS84_A 6378137.0
#define WGS84_F (1 / 298.257223563)

#define PI 3.14159265358979323846
#define DEG (PI / 180)
#define SQRT12 3.4641016151377546

#define RANGE_SIGMA_MIN_M 1.0 /* an exact distance is still not exact */
#define STEP_DONE_M 0.01      /* Gauss-Newton stops below a centimetre */
#define STEPS_MAX 20
#define EVALS_MAX 40 /* steps plus halvings of a step */
/* Where a bearing's direction is taken for the first guess when it has
 * no range. */
#define GUESS_DIST_M 1.0e4
#define AT_OBSERVER_M 1.0 /* closer than this is "at the observer" */

/* ---- checking and small helpers ---- */

/* Prefix for messages about b[i] when there are several. */
static void who(char *buf, size_t cap, long i) {
  if (i < 0)
    buf[0] = '\0';
  else
    snprintf(buf, cap, "bearing %ld: ", i);
}

static truce_err check_bearing(const truce_bearing *b, long i, char *err) {
  char w[48];
  who(w, sizeof w, i);
  const double f[] = {b->lat_deg,        b->lon_deg,    b->bearing_deg,
                      b->spread_deg,     b->dist_min_m, b->dist_max_m,
                      b->origin_radius_m};
  static const char *const name[] = {
      "lat_deg",    "lon_deg",    "bearing_deg",    "spread_deg",
      "dist_min_m", "dist_max_m", "origin_radius_m"};
  for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
    if (!isfinite(f[k]))
      return seterr(err, TRUCE_EINVAL, "%s%s is not a finite number", w,
                    name[k]);
  if (!(b->lat_deg > -90 && b->lat_deg < 90))
    return seterr(err, TRUCE_EINVAL,
                  "%slat_deg %.10g is out of range (-90, 90): a bearing from "
                  "a pole has no north",
                  w, b->lat_deg);
  if (b->lon_deg < -180 || b->lon_deg > 180)
    return seterr(err, TRUCE_EINVAL,
                  "%slon_deg %.10g is out of range [-180, 180]", w, b->lon_deg);
  if (b->bearing_deg < -360 || b->bearing_deg > 360)
    return seterr(err, TRUCE_EINVAL,
                  "%sbearing_deg %.10g is out of range [-360, 360]", w,
                  b->bearing_deg);
  if (b->spread_deg < TRUCE_BEARING_SPREAD_MIN_DEG || b->spread_deg > 180)
    return seterr(err, TRUCE_EINVAL,
                  "%sspread_deg %.10g is out of range [%g, 180]", w,
                  b->spread_deg, TRUCE_BEARING_SPREAD_MIN_DEG);
  if (b->dist_min_m < 0 || b->dist_max_m > TRUCE_TRIANGULATE_MAX_M ||
      b->dist_min_m > b->dist_max_m)
    return seterr(err, TRUCE_EINVAL,
                  "%sdistance range [%.10g, %.10g] m is not 0 <= min <= max "
                  "<= %g",
                  w, b->dist_min_m, b->dist_max_m, TRUCE_TRIANGULATE_MAX_M);
  if (b->origin_radius_m < 0 || b->origin_radius_m > TRUCE_TRIANGULATE_MAX_M)
    return seterr(err, TRUCE_EINVAL,
                  "%sorigin_radius_m %.10g is out of range [0, %g]", w,
                  b->origin_radius_m, TRUCE_TRIANGULATE_MAX_M);
  return TRUCE_OK;
}

/* Degrees into (-180, 180]. */
static double wrap180(double d) {
  d = fmod(d, 360);
  if (d > 180)
    d -= 360;
  else if (d <= -180)
    d += 360;
  return d;
}

/* An axis's azimuth into [0, 180). */
static double axis180(double d) {
  d = fmod(d, 180);
  if (d < 0)
    d += 180;
  return d >= 180 ? 0 : d;
}

static double sigma_rad(const truce_bearing *b) {
  return b->spread_deg / 2 * DEG;
}

static double sigma_origin_m(const truce_bearing *b) {
  return b->origin_radius_m / TRUCE_ELLIPSE_K95;
}

static void geod(struct geod_geodesic *g) { geod_init(g, WGS84_A, WGS84_F); }

/* The 95% ellipse of a covariance [[ee, en], [en, nn]] (m^2, east and
 * north) centred at lat, lon. */
static void ellipse_from_cov(double lat, double lon, double ee, double en,
                             double nn, truce_ellipse *out) {
  double half = (ee + nn) / 2;
  double d = sqrt((ee - nn) * (ee - nn) / 4 + en * en);
  double l1 = half + d, l2 = half - d;
  if (l2 < 0) /* rounding of a degenerate covariance */
    l2 = 0;
  /* The major axis makes angle th with east; azimuths run from north. */
  double th = 0.5 * atan2(2 * en, ee - nn);
  out->lat_deg = lat;
  out->lon_deg = lon;
  out->major_m = TRUCE_ELLIPSE_K95 * sqrt(l1);
  out->minor_m = TRUCE_ELLIPSE_K95 * sqrt(l2);
  out->azimuth_deg = axis180(90 - th / DEG);
}

/* ---- from observations ---- */

static double spread_or(double spread, double dflt) {
  if (spread == 0)
    return dflt;
  return spread > 0 && spread < TRUCE_BEARING_SPREAD_MIN_DEG
             ? TRUCE_BEARING_SPREAD_MIN_DEG
             : spread;
}

truce_err truce_bearing_from_obs(const truce_obs *o, truce_bearing *out,
                                 char *err) {
  if (!out)
    return seterr(err, TRUCE_EINVAL, "no output");
  memset(out, 0, sizeof *out);
  if (!o)
    return seterr(err, TRUCE_EINVAL, "no observation");
  if (o->where_kind != TRUCE_WHERE_BEARING)
    return seterr(err, TRUCE_EINVAL,
                  "not a bearing report (where is a point): its position "
                  "is where.lat, where.lon");
  truce_bearing b = {0};
  b.lat_deg = o->lat_deg;
  b.lon_deg = o->lon_deg;
  b.bearing_deg = o->bearing_deg;
  b.spread_deg =
      spread_or(o->bearing_spread_deg, TRUCE_BEARING_SPREAD_DEFAULT_DEG);
  b.dist_min_m = o->dist_min_m;
  b.dist_max_m = o->dist_max_m;
  truce_err rc = check_bearing(&b, -1, err);
  if (rc)
    return rc;
  *out = b;
  return TRUCE_OK;
}

truce_err truce_fire_bearing_from_obs(const truce_obs *o, truce_bearing *out,
                                      char *err) {
  if (!out)
    return seterr(err, TRUCE_EINVAL, "no output");
  memset(out, 0, sizeof *out);
  if (!o)
    return seterr(err, TRUCE_EINVAL, "no observation");
  if (!o->has_fire)
    return seterr(err, TRUCE_EINVAL, "no direction of fire (fire)");
  if (o->where_kind != TRUCE_WHERE_BEARING &&
      o->where_kind != TRUCE_WHERE_POINT)
    return seterr(err, TRUCE_EINVAL,
                  "where_kind %u is neither a point nor a bearing",
                  (unsigned)o->where_kind);
  truce_bearing b = {0};
  b.lat_deg = o->lat_deg; /* the observer, or the point examined */
  b.lon_deg = o->lon_deg;
  b.bearing_deg = o->fire_from_deg;
  b.spread_deg = spread_or(o->fire_spread_deg, TRUCE_FIRE_SPREAD_DEFAULT_DEG);
  if (o->where_kind == TRUCE_WHERE_POINT)
    b.origin_radius_m = o->uncertainty_m;
  truce_err rc = check_bearing(&b, -1, err);
  if (rc) {
    errprefix(err, "fire");
    return rc;
  }
  *out = b;
  return TRUCE_OK;
}

/* ---- one bearing with a distance range ---- */

truce_err truce_bearing_region(const truce_bearing *b, truce_ellipse *out,
                               char *err) {
  if (!out)
    return seterr(err, TRUCE_EINVAL, "no output");
  memset(out, 0, sizeof *out);
  if (!b)
    return seterr(err, TRUCE_EINVAL, "no bearing");
  truce_err rc = check_bearing(b, -1, err);
  if (rc)
    return rc;
  if (b->dist_max_m <= 0)
    return seterr(err, TRUCE_EINVAL,
                  "no distance range: a bearing alone does not place an "
                  "event (triangulate it with others)");
  struct geod_geodesic g;
  geod(&g);
  double mid = (b->dist_min_m + b->dist_max_m) / 2;
  double lat, lon, azi;
  geod_direct(&g, b->lat_deg, b->lon_deg, b->bearing_deg, mid, &lat, &lon,
              &azi);
  /* The event is at distance d (uniform over the range) and angle t
   * (normal, sigma) off the bearing: along-track d cos t, cross-track
   * d sin t. Their exact mean squares about the centre, with
   * E[cos t] = exp(-sigma^2 / 2), E[cos^2 t] = (1 + exp(-2 sigma^2)) / 2:
   * for small sigma, the range's variance (max - min)^2 / 12 along and
   * (sigma d)^2 across; for wide spreads or an exact distance, the arc's
   * sag towards the observer too. */
  double sa = (b->dist_max_m - b->dist_min_m) / SQRT12;
  double sr = sigma_rad(b), ed2 = mid * mid + sa * sa;
  double c2 = (1 + exp(-2 * sr * sr)) / 2;
  double va = ed2 * c2 - 2 * mid * mid * exp(-sr * sr / 2) + mid * mid;
  double vc = ed2 * (1 - c2);
  if (va < 0) /* rounding, for a tiny spread and an exact distance */
    va = 0;
  double so = sigma_origin_m(b);
  va += so * so;
  vc += so * so;
  bool along_major = va >= vc;
  out->lat_deg = lat;
  out->lon_deg = lon;
  out->major_m = TRUCE_ELLIPSE_K95 * sqrt(along_major ? va : vc);
  out->minor_m = TRUCE_ELLIPSE_K95 * sqrt(along_major ? vc : va);
  /* azi: the line of sight's direction at the centre. */
  out->azimuth_deg = axis180(along_major ? azi : azi + 90);
  return TRUCE_OK;
}

/* ---- a point against a bearing ---- */

truce_err truce_bearing_measure(const truce_bearing *b, double lat_deg,
                                double lon_deg, truce_bearing_miss *out,
                                char *err) {
  if (!out)
    return seterr(err, TRUCE_EINVAL, "no output");
  memset(out, 0, sizeof *out);
  if (!b)
    return seterr(err, TRUCE_EINVAL, "no bearing");
  truce_err rc = check_bearing(b, -1, err);
  if (rc)
    return rc;
  if (!isfinite(lat_deg) || lat_deg < -90 || lat_deg > 90)
    return seterr(err, TRUCE_EINVAL, "point: latitude %.10g out of range",
                  lat_deg);
  if (!isfinite(lon_deg) || lon_deg < -180 || lon_deg > 180)
    return seterr(err, TRUCE_EINVAL, "point: longitude %.10g out of range",
                  lon_deg);
  struct geod_geodesic g;
  geod(&g);
  double s, azi1;
  geod_inverse(&g, b->lat_deg, b->lon_deg, lat_deg, lon_deg, &s, &azi1, NULL);
  double off = wrap180(azi1 - b->bearing_deg);
  double sr = sigma_rad(b), so = sigma_origin_m(b);
  out->dist_m = s;
  out->off_deg = off;
  out->along_m = s * cos(off * DEG);
  out->ahead = fabs(off) < 90;
  out->cross_m = out->ahead ? s * fabs(sin(off * DEG)) : s;
  out->cross_sigma_m = sqrt(s * sr * s * sr + so * so);
  if (b->dist_max_m > 0)
    out->range_out_m = s < b->dist_min_m   ? b->dist_min_m - s
                       : s > b->dist_max_m ? s - b->dist_max_m
                                           : 0;
  return TRUCE_OK;
}

/* ---- triangulation ---- */

/* The normal equations at one point: N = J^T J, v = J^T r, cost = r^T r
 * over the normalised residuals, in metres east and north of the point. */
typedef struct normal {
  double nee, nen, nnn; /* N */
  double ve, vn;        /* v */
  double cost;
  size_t m; /* residuals */
  long bad; /* -1, or the bearing that makes the point invalid */
  int why;  /* BAD_* */
} normal;

enum { BAD_NONE, BAD_AT, BAD_BEHIND, BAD_FAR };

static void add_row(normal *q, double je, double jn, double r) {
  q->nee += je * je;
  q->nen += je * jn;
  q->nnn += jn * jn;
  q->ve += je * r;
  q->vn += jn * r;
  q->cost += r * r;
  q->m++;
}

static void evaluate(const struct geod_geodesic *g, const truce_bearing *b,
                     size_t n, double lat, double lon, normal *q) {
  memset(q, 0, sizeof *q);
  q->bad = -1;
  for (size_t j = 0; j < n; j++) {
    double s, azi1, azi2, m12;
    geod_geninverse(g, b[j].lat_deg, b[j].lon_deg, lat, lon, &s, &azi1, &azi2,
                    &m12, NULL, NULL, NULL);
    double off = wrap180(azi1 - b[j].bearing_deg);
    int why = s < AT_OBSERVER_M             ? BAD_AT
              : fabs(off) >= 90             ? BAD_BEHIND
              : s > TRUCE_TRIANGULATE_MAX_M ? BAD_FAR
              : !(m12 > 0)                  ? BAD_FAR
                                            : BAD_NONE;
    if (why != BAD_NONE) {
      q->bad = (long)j;
      q->why = why;
      q->cost = INFINITY;
      return;
    }
    /* The angle's sigma, widened by the origin's uncertainty seen from
     * the current distance. */
    double sr = sigma_rad(&b[j]), so = sigma_origin_m(&b[j]) / s;
    double sig = sqrt(sr * sr + so * so);
    /* Moving the point by dx to the right of the geodesic (azimuth azi2 +
     * 90 at the point) turns azi1 by dx / m12 radians. */
    double a2 = azi2 * DEG;
    add_row(q, cos(a2) / m12 / sig, -sin(a2) / m12 / sig, off * DEG / sig);
    if (b[j].dist_max_m > 0) {
      double mid = (b[j].dist_min_m + b[j].dist_max_m) / 2;
      double sd = (b[j].dist_max_m - b[j].dist_min_m) / SQRT12;
      if (sd < RANGE_SIGMA_MIN_M)
        sd = RANGE_SIGMA_MIN_M;
      add_row(q, sin(a2) / sd, cos(a2) / sd, (s - mid) / sd);
    }
  }
}

static truce_err bad_point(const normal *q, char *err, const char *when) {
  switch (q->why) {
  case BAD_AT:
    return seterr(err, TRUCE_ERANGE,
                  "the lines of sight meet at the observer of bearing %ld "
                  "(%s)",
                  q->bad, when);
  case BAD_BEHIND:
    return seterr(err, TRUCE_ERANGE,
                  "the lines of sight meet behind the observer of bearing "
                  "%ld (%s)",
                  q->bad, when);
  case BAD_FAR:
    return seterr(err, TRUCE_ERANGE,
                  "the lines of sight meet more than %g km from the "
                  "observer of bearing %ld (%s)",
                  TRUCE_TRIANGULATE_MAX_M / 1000, q->bad, when);
  }
  return seterr(err, TRUCE_ERANGE, "no position (%s)", when);
}

/* The first guess: the weighted least-squares crossing of the lines on an
 * azimuthal equidistant plane around the first observer. Also decides
 * whether the lines are too close to parallel to cross at all. */
static truce_err first_guess(const struct geod_geodesic *g,
                             const truce_bearing *b, size_t n, double *lat,
                             double *lon, char *err) {
  line_cross lc = {0};
  const double la0 = b[0].lat_deg, lo0 = b[0].lon_deg;
  for (size_t j = 0; j < n; j++) {
    double s, az, px = 0, py = 0, qx, qy, qlat, qlon;
    if (j > 0) {
      geod_inverse(g, la0, lo0, b[j].lat_deg, b[j].lon_deg, &s, &az, NULL);
      px = s * sin(az * DEG);
      py = s * cos(az * DEG);
    }
    /* The direction on the plane, through a point down the line (this
     * takes care of the meridians' convergence). */
    double d = b[j].dist_max_m > 0 ? (b[j].dist_min_m + b[j].dist_max_m) / 2
                                   : GUESS_DIST_M;
    if (d < GUESS_DIST_M / 10)
      d = GUESS_DIST_M / 10;
    geod_direct(g, b[j].lat_deg, b[j].lon_deg, b[j].bearing_deg, d, &qlat,
                &qlon, NULL);
    geod_inverse(g, la0, lo0, qlat, qlon, &s, &az, NULL);
    qx = s * sin(az * DEG) - px;
    qy = s * cos(az * DEG) - py;
    double len = hypot(qx, qy);
    double sr = sigma_rad(&b[j]);
    line_cross_add(&lc, px, py, qx / len, qy / len, 1 / (sr * sr));
  }
  if (!line_cross_spread(&lc, TRUCE_TRIANGULATE_MIN_CROSS_DEG))
    return seterr(err, TRUCE_ERANGE,
                  "the lines of sight are nearly parallel (they cross at "
                  "less than %g degree): they do not fix a position",
                  TRUCE_TRIANGULATE_MIN_CROSS_DEG);
  double x, y;
  if (!line_cross_solve(&lc, &x, &y))
    return seterr(err, TRUCE_ERANGE,
                  "the lines of sight are nearly parallel: they do not fix a "
                  "position");
  double r = hypot(x, y);
  if (!(r < 4 * TRUCE_TRIANGULATE_MAX_M))
    return seterr(err, TRUCE_ERANGE,
                  "the lines of sight meet more than %g km away",
                  TRUCE_TRIANGULATE_MAX_M / 1000);
  double az = r > 0 ? atan2(x, y) / DEG : 0;
  geod_direct(g, la0, lo0, az, r, lat, lon, NULL);
  return TRUCE_OK;
}

truce_err truce_triangulate(const truce_bearing *b, size_t n,
                            truce_ellipse *out, double *rms, char *err) {
  if (rms)
    *rms = 0;
  if (!out)
    return seterr(err, TRUCE_EINVAL, "no output");
  memset(out, 0, sizeof *out);
  if (!b)
    return seterr(err, TRUCE_EINVAL, "no bearings");
  if (n < 2)
    return seterr(err, TRUCE_EINVAL,
                  "%zu bearing%s: triangulation needs at least 2 (one "
                  "bearing with a distance range is truce_bearing_region)",
                  n, n == 1 ? "" : "s");
  if (n > TRUCE_TRIANGULATE_MAX)
    return seterr(err, TRUCE_ETOOBIG, "%zu bearings (at most %d)", n,
                  TRUCE_TRIANGULATE_MAX);
  for (size_t j = 0; j < n; j++) {
    truce_err rc = check_bearing(&b[j], (long)j, err);
    if (rc)
      return rc;
  }
  struct geod_geodesic g;
  geod(&g);
  double lat, lon;
  truce_err rc = first_guess(&g, b, n, &lat, &lon, err);
  if (rc)
    return rc;
  normal q;
  evaluate(&g, b, n, lat, lon, &q);
  if (q.bad >= 0)
    return bad_point(&q, err, "first crossing");
  int evals = 1, steps = 0;
  for (;;) {
    double det = q.nee * q.nnn - q.nen * q.nen;
    if (!(det > 0))
      return seterr(err, TRUCE_ERANGE,
                    "the lines of sight do not fix a position (singular "
                    "normal equations)");
    /* Solve N d = -v. */
    double de = -(q.nnn * q.ve - q.nen * q.vn) / det;
    double dn = -(q.nee * q.vn - q.nen * q.ve) / det;
    double step = hypot(de, dn);
    if (step < STEP_DONE_M) {
      /* Converged: the last step, under a centimetre, is taken too when
       * it helps, so exact bearings come back exactly. */
      normal t;
      double tlat, tlon;
      geod_direct(&g, lat, lon, atan2(de, dn) / DEG, step, &tlat, &tlon, NULL);
      evaluate(&g, b, n, tlat, tlon, &t);
      if (t.cost <= q.cost) {
        lat = tlat;
        lon = tlon;
        q = t;
      }
      break; /* q holds the normal equations at the estimate */
    }
    if (steps++ == STEPS_MAX)
      return seterr(err, TRUCE_ERANGE,
                    "no convergence in %d steps (last step %.3g m)", STEPS_MAX,
                    step);
    /* Take the step on the ellipsoid; halve it while it makes things
     * worse (far from the solution the angles are far from linear). */
    normal t;
    double tlat, tlon;
    for (;;) {
      if (evals++ == EVALS_MAX)
        return seterr(err, TRUCE_ERANGE,
                      "no convergence (step of %.3g m does not improve the "
                      "fit)",
                      step);
      geod_direct(&g, lat, lon, atan2(de, dn) / DEG, step, &tlat, &tlon, NULL);
      evaluate(&g, b, n, tlat, tlon, &t);
      if (t.cost <= q.cost * (1 + 1e-12) + 1e-18)
        break;
      step /= 2;
      if (step < STEP_DONE_M)
        break; /* no better point within a centimetre: we are there */
    }
    if (step < STEP_DONE_M && !(t.cost <= q.cost * (1 + 1e-12) + 1e-18))
      break;
    lat = tlat;
    lon = tlon;
    q = t;
  }
  if (q.bad >= 0) /* cannot happen: only valid points are accepted */
    return bad_point(&q, err, "estimate");
  double det = q.nee * q.nnn - q.nen * q.nen;
  /* Covariance: the inverse of N. */
  ellipse_from_cov(lat, lon, q.nnn / det, -q.nen / det, q.nee / det, out);
  if (rms)
    *rms = sqrt(q.cost / (double)q.m);
  return TRUCE_OK;
}
