/*
 * test_bearing.c: positions from bearings (lib/bearing.c).
 *
 * Expected positions come from PROJ's geodesics called here, not from the
 * code under test: true bearings by geod_inverse from each observer to a
 * known point, centres by geod_direct. Known answers first (two observers
 * 10 km apart on the equator, perpendicular lines of sight, one bearing
 * with a distance range), then the documented errors, then Monte Carlo
 * with simulated bearing errors: median position error and how often the
 * 95% ellipse holds the truth. High latitudes and the antimeridian are
 * tested with exact and noisy bearings.
 *
 * The seed is printed; TRUCE_SEED=n repeats a run. Depends on the public
 * header, test.h and PROJ.
 */
#include "truce.h"

#include "test.h"

#include <geodesic.h>
#include <math.h>
#include <time.h>

#define PI 3.14159265358979323846
#define DEG (PI / 180)

/* ---- randomness ---- */

static uint64_t rng_state;

static uint64_t rng(void) {
  /* splitmix64 */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static double unif(double lo, double hi) {
  return lo + (hi - lo) * (double)(rng() >> 11) / 9007199254740992.0;
}

static double normal01(void) {
  /* Box-Muller; 1 - u keeps the logarithm finite. */
  double u = 1 - unif(0, 1), v = unif(0, 1);
  return sqrt(-2 * log(u)) * cos(2 * PI * v);
}

static uint64_t test_seed(void) {
  const char *s = getenv("TRUCE_SEED");
  if (s && *s)
    return strtoull(s, NULL, 0);
  return (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
}

/* ---- references ---- */

static struct geod_geodesic G; /* WGS84 */

static double dist(double la1, double lo1, double la2, double lo2) {
  double s;
  geod_inverse(&G, la1, lo1, la2, lo2, &s, NULL, NULL);
  return s;
}

/* The true bearing from (la, lo) to (tla, tlo) in [0, 360). */
static double true_bearing(double la, double lo, double tla, double tlo) {
  double az;
  geod_inverse(&G, la, lo, tla, tlo, NULL, &az, NULL);
  return az < 0 ? az + 360 : az;
}

/* A line of sight from the point at (azimuth az_deg, distance d_m) from
 * the event towards the event, with bearing error err_deg. */
static truce_bearing sight(double ela, double elo, double az_deg, double d_m,
                           double spread_deg, double err_deg) {
  truce_bearing b = {0};
  geod_direct(&G, ela, elo, az_deg, d_m, &b.lat_deg, &b.lon_deg, NULL);
  double t = true_bearing(b.lat_deg, b.lon_deg, ela, elo) + err_deg;
  b.bearing_deg = fmod(t + 360, 360);
  b.spread_deg = spread_deg;
  return b;
}

/* Invariants of every ellipse the library returns. */
static void check_ellipse(const truce_ellipse *e) {
  CHECK(isfinite(e->lat_deg) && e->lat_deg >= -90 && e->lat_deg <= 90);
  CHECK(isfinite(e->lon_deg) && e->lon_deg >= -180 && e->lon_deg <= 180);
  CHECK(isfinite(e->major_m) && isfinite(e->minor_m));
  CHECK_MSG(e->major_m >= e->minor_m && e->minor_m >= 0, "axes %g %g",
            e->major_m, e->minor_m);
  CHECK_MSG(e->azimuth_deg >= 0 && e->azimuth_deg < 180, "azimuth %g",
            e->azimuth_deg);
}

/* Whether (la, lo) lies inside e, measured on e's tangent plane. */
static int inside(const truce_ellipse *e, double la, double lo) {
  double s, az;
  geod_inverse(&G, e->lat_deg, e->lon_deg, la, lo, &s, &az, NULL);
  double x = s * sin(az * DEG), y = s * cos(az * DEG);
  double a = e->azimuth_deg * DEG;
  double u = x * sin(a) + y * cos(a); /* along the major axis */
  double v = x * cos(a) - y * sin(a); /* along the minor axis */
  double mu = u / e->major_m, mv = e->minor_m > 0 ? v / e->minor_m : 0;
  return mu * mu + mv * mv <= 1;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static char errbuf[TRUCE_ERR_MAX];

/* ---- known answers ---- */

/* Observers 10 km apart on the equator, bearings computed exactly towards
 * a known point: the point comes back within a centimetre. */
TEST(test_equator_pair) {
  double lo_b;
  geod_direct(&G, 0, 0, 90, 10000, &(double){0}, &lo_b, NULL);
  CHECK(fabs(dist(0, 0, 0, lo_b) - 10000) < 1e-6);
  /* 1: a point about 5 km north of the middle (bearings near 45, 315). */
  double pla, plo;
  geod_direct(&G, 0, lo_b / 2, 0, 5000, &pla, &plo, NULL);
  truce_bearing b[2] = {{0, 0, true_bearing(0, 0, pla, plo), 2, 0, 0, 0},
                        {0, lo_b, true_bearing(0, lo_b, pla, plo), 2, 0, 0, 0}};
  CHECK(fabs(b[0].bearing_deg - 45) < 0.5 &&
        fabs(b[1].bearing_deg - 315) < 0.5);
  truce_ellipse e;
  double rms = -1;
  CHECK_OK(truce_triangulate(b, 2, &e, &rms, errbuf));
  check_ellipse(&e);
  double miss = dist(e.lat_deg, e.lon_deg, pla, plo);
  CHECK_MSG(miss < 0.01, "missed by %.4g m", miss);
  CHECK_MSG(rms < 1e-6, "rms %g", rms);

  /* 2: bearings exactly 45 and 315. By symmetry the lines cross on the
   * middle meridian; find the crossing along A's geodesic by bisection. */
  double lo = 0, hi = 20000;
  for (int i = 0; i < 100; i++) {
    double m = (lo + hi) / 2, la2, lo2;
    geod_direct(&G, 0, 0, 45, m, &la2, &lo2, NULL);
    if (lo2 < lo_b / 2)
      lo = m;
    else
      hi = m;
  }
  geod_direct(&G, 0, 0, 45, (lo + hi) / 2, &pla, &plo, NULL);
  b[0].bearing_deg = 45;
  b[1].bearing_deg = 315;
  CHECK_OK(truce_triangulate(b, 2, &e, &rms, errbuf));
  miss = dist(e.lat_deg, e.lon_deg, pla, plo);
  CHECK_MSG(miss < 0.01, "missed by %.4g m (%.9f %.9f vs %.9f %.9f)", miss,
            e.lat_deg, e.lon_deg, pla, plo);
  /* Symmetric lines of sight at right angles from equal distances: a
   * circle. sigma 1 degree at ~7071 m. */
  double d = dist(0, 0, pla, plo);
  double r = TRUCE_ELLIPSE_K95 * d * 1 * DEG;
  CHECK_MSG(fabs(e.major_m / r - 1) < 0.02 && fabs(e.minor_m / r - 1) < 0.02,
            "axes %g %g, want %g", e.major_m, e.minor_m, r);
  /* rms may be NULL. */
  CHECK_OK(truce_triangulate(b, 2, &e, NULL, NULL));
}

/* Perpendicular lines of sight with equal sigma at equal distance d: a
 * circle of radius 2.4477 * d * sigma_rad. */
TEST(test_perpendicular) {
  const double ela = 48.0, elo = 37.8;
  const double ds[] = {1000, 5000, 20000};
  const double spreads[] = {0.5, 2, 6};
  for (size_t i = 0; i < 3; i++)
    for (size_t k = 0; k < 3; k++) {
      double d = ds[i];
      truce_bearing b[2] = {sight(ela, elo, 180, d, spreads[k], 0),
                            sight(ela, elo, 270, d, spreads[k], 0)};
      truce_ellipse e;
      double rms;
      CHECK_OK(truce_triangulate(b, 2, &e, &rms, errbuf));
      check_ellipse(&e);
      double want = TRUCE_ELLIPSE_K95 * d * spreads[k] / 2 * DEG;
      CHECK_MSG(fabs(e.major_m / want - 1) < 0.02 &&
                    fabs(e.minor_m / want - 1) < 0.02,
                "d %g spread %g: axes %g %g, want %g", d, spreads[k], e.major_m,
                e.minor_m, want);
      CHECK(dist(e.lat_deg, e.lon_deg, ela, elo) < 0.01);
    }
  /* Lines crossing at 30 degrees from equal distances: semi-axes
   * 1 / sqrt(1 -+ cos 30) times the circle's (docs/bearings.md). */
  {
    truce_bearing c[2] = {sight(ela, elo, 180, 5000, 2, 0),
                          sight(ela, elo, 210, 5000, 2, 0)};
    truce_ellipse ec;
    CHECK_OK(truce_triangulate(c, 2, &ec, NULL, errbuf));
    double r = TRUCE_ELLIPSE_K95 * 5000 * 1 * DEG;
    CHECK_MSG(fabs(ec.major_m / (r / sqrt(1 - cos(30 * DEG))) - 1) < 0.02 &&
                  fabs(ec.minor_m / (r / sqrt(1 + cos(30 * DEG))) - 1) < 0.02,
              "axes %g %g", ec.major_m, ec.minor_m);
    /* The major axis bisects the two lines of sight (azimuths 15 and 0
     * from the event's side: 195 mod 180). */
    CHECK_MSG(fabs(ec.azimuth_deg - 15) < 0.5, "azimuth %g", ec.azimuth_deg);
  }
  /* Unequal: the second line of sight from twice as far: an ellipse
   * whose major axis runs across that line (east-west sight: north-south
   * axis) with semi-axes in the ratio 2. */
  truce_bearing b[2] = {sight(ela, elo, 180, 5000, 2, 0),
                        sight(ela, elo, 270, 10000, 2, 0)};
  truce_ellipse e;
  CHECK_OK(truce_triangulate(b, 2, &e, NULL, errbuf));
  double s = TRUCE_ELLIPSE_K95 * 1 * DEG;
  CHECK_MSG(fabs(e.major_m / (s * 10000) - 1) < 0.02 &&
                fabs(e.minor_m / (s * 5000) - 1) < 0.02,
            "axes %g %g", e.major_m, e.minor_m);
  CHECK_MSG(e.azimuth_deg < 1 || e.azimuth_deg > 179, "azimuth %g",
            e.azimuth_deg);
}

/* The region's sigmas, along and across, for a uniform distance over
 * [lo, hi] and a normal bearing error of sigma s (radians): the exact
 * root mean square offsets from the centre (mid, 0). */
static void region_sigmas(double lo, double hi, double s, double *along,
                          double *across) {
  double mid = (lo + hi) / 2, var = (hi - lo) * (hi - lo) / 12;
  double ed2 = mid * mid + var;
  double ec = exp(-s * s / 2), ec2 = (1 + exp(-2 * s * s)) / 2;
  *along = sqrt(fmax(ed2 * ec2 - 2 * mid * mid * ec + mid * mid, 0));
  *across = sqrt(ed2 * (1 - ec2));
}

/* One bearing with a range: the centre at the middle of the range along
 * the geodesic, the axes from the uniform range and the bearing's sigma. */
TEST(test_region) {
  truce_bearing b = {48.0159, 37.8028, 135, 22.5, 3000, 5000, 0};
  truce_ellipse e;
  CHECK_OK(truce_bearing_region(&b, &e, errbuf));
  check_ellipse(&e);
  double la, lo, azi;
  geod_direct(&G, b.lat_deg, b.lon_deg, 135, 4000, &la, &lo, &azi);
  CHECK_MSG(dist(e.lat_deg, e.lon_deg, la, lo) < 0.001, "centre off by %g m",
            dist(e.lat_deg, e.lon_deg, la, lo));
  double sa, sc;
  region_sigmas(3000, 5000, 11.25 * DEG, &sa, &sc);
  CHECK_MSG(fabs(e.major_m - TRUCE_ELLIPSE_K95 * sc) < 0.01,
            "major %g, want "
            "%g",
            e.major_m, TRUCE_ELLIPSE_K95 * sc);
  CHECK(fabs(e.minor_m - TRUCE_ELLIPSE_K95 * sa) < 0.01);
  /* Close to the small-angle figures: (max - min) / sqrt(12) along,
   * sigma * sqrt(E[d^2]) across. */
  double sa0 = 2000 / sqrt(12.0);
  double sc0 = 11.25 * DEG * sqrt(4000.0 * 4000 + sa0 * sa0);
  CHECK_MSG(fabs(sa / sa0 - 1) < 0.01 && fabs(sc / sc0 - 1) < 0.02,
            "%g %g against %g %g", sa, sc, sa0, sc0);
  /* Cross-track is the major axis here: it runs at azi + 90. */
  CHECK_MSG(fabs(e.azimuth_deg - fmod(azi + 90 + 360, 180)) < 1e-9,
            "azimuth %g, line %g", e.azimuth_deg, azi);
  /* The sector's near and far edges on the bearing and its sides at the
   * middle distance lie inside. */
  const double pts[][2] = {
      {135, 3000.5}, {135, 4999.5}, {112.5, 4000}, {157.5, 4000}};
  for (size_t i = 0; i < 4; i++) {
    geod_direct(&G, b.lat_deg, b.lon_deg, pts[i][0], pts[i][1], &la, &lo, NULL);
    CHECK_MSG(inside(&e, la, lo), "point %zu outside", i);
  }

  /* A narrow bearing with a wide range: along-track is the major axis. */
  b.spread_deg = 2;
  CHECK_OK(truce_bearing_region(&b, &e, errbuf));
  region_sigmas(3000, 5000, 1 * DEG, &sa, &sc);
  CHECK(fabs(e.major_m - TRUCE_ELLIPSE_K95 * sa) < 0.01);
  CHECK(fabs(e.minor_m - TRUCE_ELLIPSE_K95 * sc) < 0.01);
  CHECK(fabs(sa / sa0 - 1) < 1e-3);
  CHECK(fabs(sc / (DEG * sqrt(4000.0 * 4000 + sa0 * sa0)) - 1) < 1e-3);
  CHECK(fabs(e.azimuth_deg - fmod(azi + 360, 180)) < 1e-9);

  /* Only a maximum: anywhere up to it, centre at half. */
  truce_bearing m = {48, 37.8, 270, 4, 0, 6000, 0};
  CHECK_OK(truce_bearing_region(&m, &e, errbuf));
  geod_direct(&G, 48, 37.8, 270, 3000, &la, &lo, NULL);
  CHECK(dist(e.lat_deg, e.lon_deg, la, lo) < 0.001);
  region_sigmas(0, 6000, 2 * DEG, &sa, &sc);
  CHECK(fabs(e.major_m - TRUCE_ELLIPSE_K95 * sa) < 0.01);
  CHECK(fabs(sa / (6000 / sqrt(12.0)) - 1) < 0.01);

  /* An exact distance from an exact origin: a thin arc across, whose
   * sag towards the observer, 0.75 d^2 sigma^4 in mean square, gives the
   * minor axis. */
  truce_bearing x = {48, 37.8, 10, 4, 2000, 2000, 0};
  CHECK_OK(truce_bearing_region(&x, &e, errbuf));
  double s2 = 2 * DEG;
  CHECK_MSG(fabs(e.minor_m / (TRUCE_ELLIPSE_K95 * sqrt(0.75) * 2000 * s2 * s2) -
                 1) < 0.01,
            "minor %g", e.minor_m);
  CHECK(fabs(e.major_m / (TRUCE_ELLIPSE_K95 * 2000 * s2) - 1) < 0.001);
  /* An uncertain origin widens both axes. */
  region_sigmas(2000, 2000, s2, &sa, &sc);
  x.origin_radius_m = 100;
  CHECK_OK(truce_bearing_region(&x, &e, errbuf));
  CHECK(fabs(e.minor_m - hypot(TRUCE_ELLIPSE_K95 * sa, 100)) < 1e-6);
  CHECK(fabs(e.major_m - hypot(TRUCE_ELLIPSE_K95 * sc, 100)) < 1e-6);

  /* No range: the documented error. */
  truce_bearing n = {48, 37.8, 10, 4, 0, 0, 0};
  CHECK_RC(truce_bearing_region(&n, &e, errbuf), TRUCE_EINVAL);
  CHECK_CONTAINS(errbuf, "no distance range");
  CHECK(e.major_m == 0 && e.lat_deg == 0);
  CHECK_RC(truce_bearing_region(NULL, &e, errbuf), TRUCE_EINVAL);
  CHECK_RC(truce_bearing_region(&b, NULL, errbuf), TRUCE_EINVAL);
}

/* The region holds events drawn from its own model (distance uniform
 * over the range, bearing error normal) 91-97% of the time, from narrow
 * to very wide spreads, exact distances included. */
TEST(test_region_coverage) {
  const double spreads[] = {2, 10, 22.5, 45, 90};
  for (size_t k = 0; k < 5; k++) {
    int in = 0, n = 2000;
    for (int t = 0; t < n; t++) {
      truce_bearing b = {
          unif(-60, 60), unif(-180, 180), unif(0, 360), spreads[k], 0, 0, 0};
      double lo = t % 4 == 0 ? 0 : unif(500, 10000);
      double hi = t % 4 == 1 ? lo : lo + unif(100, 10000);
      b.dist_min_m = lo;
      b.dist_max_m = hi;
      truce_ellipse e;
      CHECK_OK(truce_bearing_region(&b, &e, errbuf));
      double d = unif(lo, hi), az = b.bearing_deg + normal01() * spreads[k] / 2,
             la, lo2;
      geod_direct(&G, b.lat_deg, b.lon_deg, az, d, &la, &lo2, NULL);
      in += inside(&e, la, lo2);
    }
    double c = (double)in / n;
    fprintf(stderr,
            "test_bearing: one bearing +-%g deg with a range: the region "
            "holds the event in %.1f%%\n",
            spreads[k], 100 * c);
    CHECK_MSG(c >= 0.89 && c <= 0.99, "spread %g: coverage %g", spreads[k], c);
  }
}

/* ---- the documented errors ---- */

TEST(test_degenerate) {
  double lo_b;
  geod_direct(&G, 0, 0, 90, 10000, &(double){0}, &lo_b, NULL);
  truce_ellipse e;
  double rms = 7;
  /* Parallel: both north. */
  truce_bearing b[2] = {{0, 0, 0, 2, 0, 0, 0}, {0, lo_b, 0, 2, 0, 0, 0}};
  CHECK_RC(truce_triangulate(b, 2, &e, &rms, errbuf), TRUCE_ERANGE);
  CHECK_CONTAINS(errbuf, "parallel");
  CHECK(e.major_m == 0 && e.lat_deg == 0 && rms == 0);
  /* Nearly parallel: 0.5 degree apart. */
  b[1].bearing_deg = 359.5;
  CHECK_RC(truce_triangulate(b, 2, &e, &rms, errbuf), TRUCE_ERANGE);
  CHECK_CONTAINS(errbuf, "parallel");
  /* Facing each other along one line: anywhere between. */
  b[0].bearing_deg = 90;
  b[1].bearing_deg = 270;
  CHECK_RC(truce_triangulate(b, 2, &e, &rms, errbuf), TRUCE_ERANGE);
  CHECK_CONTAINS(errbuf, "parallel");
  /* Meeting behind both: A looks north-west, B north-east. */
  b[0].bearing_deg = 315;
  b[1].bearing_deg = 45;
  CHECK_RC(truce_triangulate(b, 2, &e, &rms, errbuf), TRUCE_ERANGE);
  CHECK_CONTAINS(errbuf, "behind");
  /* Meeting behind one: A looks east-north-east, B south; B's line
   * extended backwards meets A's north of B. */
  b[0].bearing_deg = 80;
  b[1].bearing_deg = 170;
  CHECK_RC(truce_triangulate(b, 2, &e, &rms, errbuf), TRUCE_ERANGE);
  CHECK_CONTAINS(errbuf, "behind the observer of bearing 1");
  /* Meeting at an observer: A looks at B, B looks north. */
  b[0].bearing_deg = 90;
  b[1].bearing_deg = 0;
  CHECK_RC(truce_triangulate(b, 2, &e, &rms, errbuf), TRUCE_ERANGE);
  CHECK_CONTAINS(errbuf, "bearing 1");
  /* Meeting far away: 1.2 degrees apart, 10 km baseline: ~480 km, fine;
   * 1.01 degrees and a 100 m baseline: too close to parallel. */
  b[0].bearing_deg = 0.6;
  b[1].bearing_deg = 359.4;
  CHECK_OK(truce_triangulate(b, 2, &e, &rms, errbuf));
  check_ellipse(&e);
  CHECK_MSG(fabs(dist(0, 0, e.lat_deg, e.lon_deg) - 477e3) < 5e3, "%g",
            dist(0, 0, e.lat_deg, e.lon_deg));

  /* One bearing, none, NULL. */
  b[0].bearing_deg = 45;
  b[1].bearing_deg = 315;
  CHECK_RC(truce_triangulate(b, 1, &e, &rms, errbuf), TRUCE_EINVAL);
  CHECK_CONTAINS(errbuf, "at least 2");
  CHECK_RC(truce_triangulate(b, 0, &e, &rms, errbuf), TRUCE_EINVAL);
  CHECK_RC(truce_triangulate(NULL, 2, &e, &rms, errbuf), TRUCE_EINVAL);
  CHECK_RC(truce_triangulate(b, 2, NULL, &rms, errbuf), TRUCE_EINVAL);
  CHECK_OK(truce_triangulate(b, 2, &e, &rms, errbuf));

  /* Non-finite and out-of-range fields, each named. */
  const struct {
    size_t field;
    double v;
    const char *msg;
  } bad[] = {
      {0, NAN, "bearing 1: lat_deg is not a finite number"},
      {1, INFINITY, "bearing 1: lon_deg is not a finite number"},
      {2, NAN, "bearing 1: bearing_deg is not a finite number"},
      {3, NAN, "bearing 1: spread_deg is not a finite number"},
      {4, NAN, "bearing 1: dist_min_m is not a finite number"},
      {5, -INFINITY, "bearing 1: dist_max_m is not a finite number"},
      {6, NAN, "bearing 1: origin_radius_m is not a finite number"},
      {0, 90, "bearing 1: lat_deg 90 is out of range"},
      {0, -91, "bearing 1: lat_deg -91 is out of range"},
      {1, 180.5, "bearing 1: lon_deg 180.5 is out of range"},
      {2, 361, "bearing 1: bearing_deg 361 is out of range"},
      {3, 0, "bearing 1: spread_deg 0 is out of range [0.01, 180]"},
      {3, 181, "bearing 1: spread_deg 181 is out of range"},
      {4, 10, "bearing 1: distance range [10, 0] m"},
      {5, 2e6, "bearing 1: distance range [0, 2000000] m"},
      {6, -1, "bearing 1: origin_radius_m -1 is out of range"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    truce_bearing c[2] = {b[0], b[1]};
    double *f[] = {&c[1].lat_deg,        &c[1].lon_deg,    &c[1].bearing_deg,
                   &c[1].spread_deg,     &c[1].dist_min_m, &c[1].dist_max_m,
                   &c[1].origin_radius_m};
    *f[bad[i].field] = bad[i].v;
    errbuf[0] = '\0';
    CHECK_RC(truce_triangulate(c, 2, &e, &rms, errbuf), TRUCE_EINVAL);
    CHECK_CONTAINS(errbuf, bad[i].msg);
    CHECK_RC(truce_bearing_region(&c[1], &e, NULL), TRUCE_EINVAL);
    truce_bearing_miss m;
    CHECK_RC(truce_bearing_measure(&c[1], 0, 0, &m, NULL), TRUCE_EINVAL);
  }
  /* Negative bearings (as geod_inverse gives them) are taken mod 360. */
  b[1].bearing_deg = -45;
  truce_ellipse e2;
  CHECK_OK(truce_triangulate(b, 2, &e2, &rms, errbuf));
  b[1].bearing_deg = 315;
  CHECK_OK(truce_triangulate(b, 2, &e, &rms, errbuf));
  CHECK(dist(e.lat_deg, e.lon_deg, e2.lat_deg, e2.lon_deg) < 1e-6);

  /* Too many. */
  static truce_bearing many[TRUCE_TRIANGULATE_MAX + 1];
  for (size_t i = 0; i < TRUCE_TRIANGULATE_MAX + 1; i++)
    many[i] = b[i % 2];
  CHECK_RC(truce_triangulate(many, TRUCE_TRIANGULATE_MAX + 1, &e, &rms, errbuf),
           TRUCE_ETOOBIG);
  /* The most allowed works (the same two lines of sight, repeated). */
  CHECK_OK(truce_triangulate(many, TRUCE_TRIANGULATE_MAX, &e, &rms, errbuf));
  CHECK(dist(e.lat_deg, e.lon_deg, e2.lat_deg, e2.lon_deg) < 0.01);
}

/* ---- distance ranges in a triangulation ---- */

TEST(test_ranges) {
  const double ela = 47.5, elo = 38.1;
  truce_bearing b[2] = {sight(ela, elo, 200, 4000, 4, 0),
                        sight(ela, elo, 300, 6000, 4, 0)};
  truce_ellipse e0, e1;
  double rms;
  CHECK_OK(truce_triangulate(b, 2, &e0, &rms, errbuf));
  /* Ranges that hold the truth at their middle: the same point, a
   * smaller ellipse, residuals 0. */
  b[0].dist_min_m = 3000;
  b[0].dist_max_m = 5000;
  b[1].dist_min_m = 5000;
  b[1].dist_max_m = 7000;
  CHECK_OK(truce_triangulate(b, 2, &e1, &rms, errbuf));
  check_ellipse(&e1);
  CHECK(dist(e1.lat_deg, e1.lon_deg, ela, elo) < 0.01);
  CHECK_MSG(rms < 1e-6, "rms %g", rms);
  CHECK(e1.major_m < e0.major_m && e1.minor_m <= e0.minor_m + 1e-9);
  /* A range that contradicts the bearings: rms far above 1. */
  b[0].dist_min_m = 20000;
  b[0].dist_max_m = 20100;
  CHECK_OK(truce_triangulate(b, 2, &e1, &rms, errbuf));
  CHECK_MSG(rms > 5, "rms %g", rms);
  /* One bearing with a range and one without still needs two lines. */
  b[1].dist_min_m = b[1].dist_max_m = 0;
  CHECK_OK(truce_triangulate(b, 2, &e1, &rms, errbuf));
  /* Inconsistent bearings: three lines that do not meet (errors of
   * opposite sign here would be mirror images and still meet). */
  truce_bearing c[3] = {sight(ela, elo, 0, 5000, 2, 0),
                        sight(ela, elo, 120, 5000, 2, 4),
                        sight(ela, elo, 240, 5000, 2, 4)};
  CHECK_OK(truce_triangulate(c, 3, &e1, &rms, errbuf));
  CHECK_MSG(rms > 2, "rms %g", rms);
}

/* ---- Monte Carlo: three observers 3-8 km away at +-2 degrees ---- */

/* Three lines of sight whose directions (mod 180) are at least `sep`
 * degrees apart, as observers placed to see an event are. */
static void three_azimuths(double az[3], double sep) {
  for (;;) {
    for (int i = 0; i < 3; i++)
      az[i] = unif(0, 360);
    int ok = 1;
    for (int i = 0; i < 3; i++)
      for (int j = i + 1; j < 3; j++) {
        double d = fmod(fabs(az[i] - az[j]), 180);
        if (d < sep || 180 - d < sep)
          ok = 0;
      }
    if (ok)
      return;
  }
}

typedef struct mc_result {
  double median_m, p90_m, coverage, mean_rms2;
  int failed;
} mc_result;

static mc_result monte_carlo(int trials, double la_lo, double la_hi,
                             double lo_lo, double lo_hi) {
  static double errs[1000];
  mc_result r = {0};
  int in = 0, ok = 0;
  double rms2 = 0;
  for (int t = 0; t < trials && t < 1000; t++) {
    double ela = unif(la_lo, la_hi), elo = unif(lo_lo, lo_hi);
    if (elo > 180)
      elo -= 360;
    double az[3];
    three_azimuths(az, 15);
    truce_bearing b[3];
    for (int i = 0; i < 3; i++)
      b[i] = sight(ela, elo, az[i], unif(3000, 8000), 2, normal01() * 1.0);
    truce_ellipse e;
    double rms;
    truce_err rc = truce_triangulate(b, 3, &e, &rms, errbuf);
    if (rc != TRUCE_OK) {
      r.failed++;
      fprintf(stderr, "  trial %d: %s: %s\n", t, truce_strerror(rc), errbuf);
      continue;
    }
    check_ellipse(&e);
    errs[ok++] = dist(e.lat_deg, e.lon_deg, ela, elo);
    in += inside(&e, ela, elo);
    rms2 += rms * rms;
  }
  if (ok == 0)
    return r;
  qsort(errs, (size_t)ok, sizeof errs[0], cmp_double);
  r.median_m = errs[ok / 2];
  r.p90_m = errs[ok * 9 / 10];
  r.coverage = (double)in / ok;
  r.mean_rms2 = rms2 / ok;
  return r;
}

TEST(test_monte_carlo) {
  mc_result r = monte_carlo(1000, 47, 49, 37, 39);
  fprintf(stderr,
          "test_bearing: Monte Carlo, 1000 events, 3 observers 3-8 km at "
          "+-2 deg: median error %.1f m, 90th percentile %.1f m, 95%% "
          "ellipse holds the truth in %.1f%%, mean rms^2 %.3f (expect "
          "0.333), %d failed\n",
          r.median_m, r.p90_m, 100 * r.coverage, r.mean_rms2, r.failed);
  CHECK_MSG(r.failed == 0, "%d failed", r.failed);
  CHECK_MSG(r.median_m <= 300, "median %g m", r.median_m);
  CHECK_MSG(r.coverage >= 0.90 && r.coverage <= 0.99, "coverage %g",
            r.coverage);
  /* m * rms^2 is chi-squared with 1 degree of freedom: mean 1/3, the
   * mean of 1000 within 0.015 (one sigma); the bounds are 5 sigma. */
  CHECK_MSG(r.mean_rms2 > 0.26 && r.mean_rms2 < 0.42, "mean rms^2 %g",
            r.mean_rms2);
}

/* Two observers 3-8 km away, +-4 degrees, each with a distance range
 * (2 km wide, the truth uniform in it): the ranges treated as normal with
 * the range's sigma still give an ellipse that holds the truth about 95%
 * of the time. */
TEST(test_monte_carlo_ranges) {
  int in = 0, n = 1000, failed = 0;
  static double errs[1000];
  int ok = 0;
  for (int t = 0; t < n; t++) {
    double ela = unif(47, 49), elo = unif(37, 39);
    double az[3];
    three_azimuths(az, 30);
    truce_bearing b[2];
    for (int i = 0; i < 2; i++) {
      double d = unif(3000, 8000);
      b[i] = sight(ela, elo, az[i], d, 4, normal01() * 2);
      b[i].dist_min_m = d - unif(0, 2000);
      b[i].dist_max_m = b[i].dist_min_m + 2000;
    }
    truce_ellipse e;
    if (truce_triangulate(b, 2, &e, NULL, errbuf) != TRUCE_OK) {
      failed++;
      continue;
    }
    in += inside(&e, ela, elo);
    errs[ok++] = dist(e.lat_deg, e.lon_deg, ela, elo);
  }
  qsort(errs, (size_t)ok, sizeof errs[0], cmp_double);
  double c = ok ? (double)in / ok : 0;
  fprintf(stderr,
          "test_bearing: 1000 events, 2 observers 3-8 km at +-4 deg with "
          "2 km distance ranges: median error %.1f m, coverage %.1f%%, %d "
          "failed\n",
          ok ? errs[ok / 2] : 0, 100 * c, failed);
  CHECK(failed == 0);
  CHECK_MSG(c >= 0.90 && c <= 0.995, "coverage %g", c);
}

/* ---- high latitudes and the antimeridian ---- */

static void exact_recovery(double ela, double elo, const char *where) {
  for (int t = 0; t < 20; t++) {
    double az[3];
    three_azimuths(az, 15);
    truce_bearing b[3];
    for (int i = 0; i < 3; i++)
      b[i] = sight(ela, elo, az[i], unif(1000, 30000), unif(0.5, 5), 0);
    truce_ellipse e;
    double rms;
    CHECK_OK(truce_triangulate(b, 3, &e, &rms, errbuf));
    check_ellipse(&e);
    double miss = dist(e.lat_deg, e.lon_deg, ela, elo);
    CHECK_MSG(miss < 0.01, "%s: missed by %g m", where, miss);
    CHECK_MSG(rms < 1e-5, "%s: rms %g", where, rms);
  }
}

TEST(test_high_latitude) {
  exact_recovery(70, 20, "70N");
  exact_recovery(85, 100, "85N");
  exact_recovery(-89.5, -30, "89.5S");
  exact_recovery(89.9, 0, "89.9N");
  mc_result r = monte_carlo(200, 89.5, 89.8, -180, 180);
  fprintf(stderr,
          "test_bearing: near the pole (89.5-89.8 N): median error %.1f m, "
          "coverage %.1f%%, %d failed\n",
          r.median_m, 100 * r.coverage, r.failed);
  CHECK(r.failed == 0 && r.median_m <= 300);
  CHECK(r.coverage >= 0.88 && r.coverage <= 1);
}

TEST(test_antimeridian) {
  exact_recovery(0, 180, "0, 180");
  exact_recovery(65, -179.98, "65, -179.98");
  exact_recovery(-40, 179.99, "-40, 179.99");
  /* A hand-made case: observers on both sides, the event on the line. */
  truce_bearing b[2] = {sight(60, 180, 270, 5000, 2, 0),
                        sight(60, 180, 0, 5000, 2, 0)};
  CHECK(b[0].lon_deg > 179 && b[0].lon_deg < 180);
  truce_bearing c = sight(60, 180, 90, 5000, 2, 0);
  CHECK(c.lon_deg < -179);
  b[1] = c;
  /* b[0] west of the line looks east, c east of it looks west: facing
   * each other, so add a third from the north. */
  truce_bearing three[3] = {b[0], c, sight(60, 180, 0, 5000, 2, 0)};
  truce_ellipse e;
  double rms;
  CHECK_OK(truce_triangulate(three, 3, &e, &rms, errbuf));
  check_ellipse(&e);
  CHECK(dist(e.lat_deg, e.lon_deg, 60, 180) < 0.01);
  mc_result r = monte_carlo(200, -60, 60, 179.9, 180.1);
  fprintf(stderr,
          "test_bearing: across the antimeridian: median error %.1f m, "
          "coverage %.1f%%, %d failed\n",
          r.median_m, 100 * r.coverage, r.failed);
  CHECK(r.failed == 0 && r.median_m <= 300);
  CHECK(r.coverage >= 0.88 && r.coverage <= 1);
}

/* ---- a point against a bearing ---- */

TEST(test_measure) {
  truce_bearing b = {48.2, 37.9, 60, 4, 3000, 5000, 0};
  truce_bearing_miss m;
  double la, lo;
  geod_direct(&G, b.lat_deg, b.lon_deg, 63, 5000, &la, &lo, NULL);
  CHECK_OK(truce_bearing_measure(&b, la, lo, &m, errbuf));
  CHECK(fabs(m.dist_m - 5000) < 1e-6);
  CHECK(fabs(m.off_deg - 3) < 1e-9);
  CHECK(m.ahead == 1);
  CHECK(fabs(m.cross_m - 5000 * sin(3 * DEG)) < 1e-6);
  CHECK(fabs(m.along_m - 5000 * cos(3 * DEG)) < 1e-6);
  CHECK(fabs(m.cross_sigma_m - 5000 * 2 * DEG) < 1e-6);
  CHECK(m.range_out_m == 0);
  /* Left of the line, beyond the range. */
  geod_direct(&G, b.lat_deg, b.lon_deg, 50, 6500, &la, &lo, NULL);
  CHECK_OK(truce_bearing_measure(&b, la, lo, &m, errbuf));
  CHECK(fabs(m.off_deg + 10) < 1e-9);
  CHECK(fabs(m.range_out_m - 1500) < 1e-6);
  /* Behind: the miss is the distance to the observer. */
  geod_direct(&G, b.lat_deg, b.lon_deg, 250, 2000, &la, &lo, NULL);
  CHECK_OK(truce_bearing_measure(&b, la, lo, &m, errbuf));
  CHECK(m.ahead == 0);
  CHECK(fabs(m.cross_m - 2000) < 1e-6);
  CHECK(m.along_m < -1900);
  CHECK(fabs(m.range_out_m - 1000) < 1e-6);
  /* An uncertain origin. */
  b.origin_radius_m = TRUCE_ELLIPSE_K95 * 30;
  CHECK_OK(truce_bearing_measure(&b, la, lo, &m, errbuf));
  double s = 2000 * 2 * DEG;
  CHECK(fabs(m.cross_sigma_m - sqrt(s * s + 900)) < 1e-6);
  /* A bad point. */
  CHECK_RC(truce_bearing_measure(&b, 91, 0, &m, errbuf), TRUCE_EINVAL);
  CHECK_CONTAINS(errbuf, "latitude");
  CHECK_RC(truce_bearing_measure(&b, 0, NAN, &m, errbuf), TRUCE_EINVAL);
  CHECK(m.dist_m == 0);
  CHECK_RC(truce_bearing_measure(&b, 0, 0, NULL, errbuf), TRUCE_EINVAL);
  /* Over many points: the triangulated position of exact bearings lies
   * on every line of sight. */
  truce_bearing c[3] = {sight(48, 38, 10, 4000, 2, 0),
                        sight(48, 38, 130, 6000, 2, 0),
                        sight(48, 38, 250, 3000, 2, 0)};
  truce_ellipse e;
  CHECK_OK(truce_triangulate(c, 3, &e, NULL, errbuf));
  for (int i = 0; i < 3; i++) {
    CHECK_OK(truce_bearing_measure(&c[i], e.lat_deg, e.lon_deg, &m, errbuf));
    CHECK(m.ahead && m.cross_m < 0.01);
  }
}

/* ---- from observations ---- */

#define NOW_MS INT64_C(1790000000000) /* 2026 */

TEST(test_from_obs) {
  /* docs/observation.md: the patrol's report. */
  const char *patrol =
      "{\"what\":\"undetermined_explosion\",\"time\":\"2015-02-16T01:10:00Z\","
      "\"where\":{\"observer\":{\"lat\":48.0159,\"lon\":37.8028},"
      "\"bearing_deg\":135,\"spread_deg\":22.5,\"dist_min_m\":3000,"
      "\"dist_max_m\":5000}}";
  truce_obs o;
  CHECK_OK(truce_obs_parse(patrol, strlen(patrol), NOW_MS, &o, errbuf));
  truce_bearing b;
  CHECK_OK(truce_bearing_from_obs(&o, &b, errbuf));
  CHECK(b.lat_deg == 48.0159 && b.lon_deg == 37.8028);
  CHECK(b.bearing_deg == 135 && b.spread_deg == 22.5);
  CHECK(b.dist_min_m == 3000 && b.dist_max_m == 5000);
  CHECK(b.origin_radius_m == 0);
  CHECK_RC(truce_fire_bearing_from_obs(&o, &b, errbuf), TRUCE_EINVAL);
  CHECK_CONTAINS(errbuf, "no direction of fire");
  CHECK(b.lat_deg == 0);

  /* The camera: no spread of fire given, no distance. */
  const char *camera =
      "{\"what\":\"muzzle_flash\",\"time\":\"2015-02-16T04:12:00Z\","
      "\"where\":{\"observer\":{\"lat\":47.0925,\"lon\":37.6428},"
      "\"bearing_deg\":80},\"fire\":{\"towards_deg\":260}}";
  CHECK_OK(truce_obs_parse(camera, strlen(camera), NOW_MS, &o, errbuf));
  CHECK_OK(truce_bearing_from_obs(&o, &b, errbuf));
  CHECK(b.spread_deg == TRUCE_BEARING_SPREAD_DEFAULT_DEG);
  CHECK(b.dist_max_m == 0);
  CHECK_OK(truce_fire_bearing_from_obs(&o, &b, errbuf));
  CHECK(b.lat_deg == 47.0925 && b.lon_deg == 37.6428);
  CHECK(b.bearing_deg == 80);
  CHECK(b.spread_deg == TRUCE_FIRE_SPREAD_DEFAULT_DEG);
  CHECK(b.dist_max_m == 0 && b.origin_radius_m == 0);

  /* A crater examined where it is: the origin is the point. */
  const char *crater =
      "{\"what\":\"explosion\",\"time\":\"2015-02-16T04:12:00Z\","
      "\"where\":{\"lat\":48.1,\"lon\":37.7,\"uncertainty_m\":50},"
      "\"fire\":{\"from_deg\":95,\"spread_deg\":15}}";
  CHECK_OK(truce_obs_parse(crater, strlen(crater), NOW_MS, &o, errbuf));
  CHECK_RC(truce_bearing_from_obs(&o, &b, errbuf), TRUCE_EINVAL);
  CHECK_CONTAINS(errbuf, "not a bearing report");
  CHECK_OK(truce_fire_bearing_from_obs(&o, &b, errbuf));
  CHECK(b.lat_deg == 48.1 && b.lon_deg == 37.7 && b.bearing_deg == 95);
  CHECK(b.spread_deg == 15 && b.origin_radius_m == 50);

  /* Two craters' directions of fire: the firing position. */
  double fla, flo;
  geod_direct(&G, 48.1, 37.7, 95, 9000, &fla, &flo, NULL);
  truce_bearing f[2] = {b, b};
  f[0].bearing_deg = true_bearing(48.1, 37.7, fla, flo);
  f[1].lat_deg = 48.12;
  f[1].bearing_deg = true_bearing(48.12, 37.7, fla, flo);
  truce_ellipse e;
  CHECK_OK(truce_triangulate(f, 2, &e, NULL, errbuf));
  CHECK(dist(e.lat_deg, e.lon_deg, fla, flo) < 0.01);

  /* A tiny spread is raised to the minimum. */
  o.fire_spread_deg = 0.001;
  CHECK_OK(truce_fire_bearing_from_obs(&o, &b, errbuf));
  CHECK(b.spread_deg == TRUCE_BEARING_SPREAD_MIN_DEG);
  /* An observation with numbers no parse gives. */
  o.lat_deg = NAN;
  CHECK_RC(truce_fire_bearing_from_obs(&o, &b, errbuf), TRUCE_EINVAL);
  CHECK_CONTAINS(errbuf, "fire: lat_deg");
  CHECK_RC(truce_bearing_from_obs(NULL, &b, errbuf), TRUCE_EINVAL);
  CHECK_RC(truce_bearing_from_obs(&o, NULL, errbuf), TRUCE_EINVAL);
  CHECK_RC(truce_fire_bearing_from_obs(NULL, &b, errbuf), TRUCE_EINVAL);
}

/* Nothing here allocates: a failing allocator changes nothing. */
TEST(test_no_allocation) {
  truce_bearing b[3] = {sight(48, 38, 10, 4000, 2, 0.3),
                        sight(48, 38, 130, 6000, 2, -0.2),
                        sight(48, 38, 250, 3000, 2, 0.1)};
  truce_ellipse e0, e1;
  double r0, r1;
  CHECK_OK(truce_triangulate(b, 3, &e0, &r0, errbuf));
  truce_test_fail_alloc(1);
  CHECK_OK(truce_triangulate(b, 3, &e1, &r1, errbuf));
  b[0].dist_max_m = 5000;
  truce_ellipse e2;
  CHECK_OK(truce_bearing_region(&b[0], &e2, errbuf));
  truce_bearing_miss m;
  CHECK_OK(truce_bearing_measure(&b[0], 48, 38, &m, errbuf));
  truce_test_fail_alloc(0);
  CHECK(memcmp(&e0, &e1, sizeof e0) == 0 && r0 == r1);
}

int main(void) {
  geod_init(&G, 6378137, 1 / 298.257223563);
  uint64_t seed = test_seed();
  rng_state = seed;
  fprintf(stderr,
          "test_bearing: seed %" PRIu64 " (TRUCE_SEED=%" PRIu64
          " repeats this run)\n",
          seed, seed);
  RUN(test_equator_pair);
  RUN(test_perpendicular);
  RUN(test_region);
  RUN(test_region_coverage);
  RUN(test_degenerate);
  RUN(test_ranges);
  RUN(test_monte_carlo);
  RUN(test_monte_carlo_ranges);
  RUN(test_high_latitude);
  RUN(test_antimeridian);
  RUN(test_measure);
  RUN(test_from_obs);
  RUN(test_no_allocation);
  return test_done("test_bearing");
}
