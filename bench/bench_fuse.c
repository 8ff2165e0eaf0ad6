/*
 * bench_fuse.c: the fusion benchmark, beside its anchor (scikit-learn's
 * DBSCAN on the same points, run by scripts/bench-fuse.sh in the same
 * run; a table, not a test).
 *
 *   bench_fuse run N SEED POINTS.bin
 *       makes N observations of N/4 synthetic events (a 300 x 200 km
 *       front, 30 days; 60% points of 50-300 m, 25% bearings with a
 *       distance range, 15% bearings alone), fuses them, and prints the
 *       time, observations per second, the peak resident memory and the
 *       bytes the fusion holds, per observation. Writes every
 *       observation's centre (the point, the middle of the range, or the
 *       observer of a bare bearing) as little-endian doubles (lat, lon in
 *       radians) for DBSCAN.
 *   bench_fuse run N SEED POINTS.bin INCIDENTS.jsonl
 *       the same, then writes every incident as a JSON line (after the
 *       figures above, untimed): a hash of it tells whether a change to
 *       fusion changed its results.
 *   bench_fuse quality
 *       fuses the simulator's default scenario and prints the quality
 *       floors (precision, recall, merges, triangulation error, events
 *       split) as test_fuse asserts them, and the firing positions'
 *       error: on the default scenario, and over the scenarios of seeds
 *       1-30 (the default scenario alone has too few to measure); then
 *       the same scenarios with three times the false reports (3%).
 *
 * The peak resident memory is the process's (getrusage), measured after
 * generation (which keeps nothing but the points file) and fusion.
 *
 * How representative: 33,000 observations a day over 60,000 km^2, about
 * four times the simulator's default scenario per km^2 and day (555 a day
 * along a 200 km front), so more candidates per query than there, not
 * fewer; the observations are added in random time order (a log is
 * nearly in time order), which is the harder case for the passes.
 */
#include "truce.h"
#include "bench.h"

#include "fuse_score.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static uint64_t rs;
static uint64_t rnd(void) {
  uint64_t z = (rs += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}
static double unif(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }
static double gauss(void) {
  double u = unif() + 1e-300, v = unif();
  return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}



static long maxrss_kb(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

#define DEG (M_PI / 180)

/* Every incident as a JSON line into path. */
static int write_incidents(truce_fusion *f, const char *path) {
  FILE *out = fopen(path, "w");
  if (!out) {
    perror(path);
    return 1;
  }
  truce_buf b;
  truce_buf_init(&b, 1u << 30);
  int bad = 0;
  for (size_t i = 0; !bad && i < truce_fuse_count(f); i++) {
    truce_incident c;
    b.len = 0;
    bad = truce_fuse_incident(f, i, &c) != TRUCE_OK ||
          truce_incident_format(&c, TRUCE_FORMAT_JSONL, &b) != TRUCE_OK ||
          fwrite(b.data, 1, b.len, out) != b.len;
  }
  truce_buf_release(&b);
  if (fclose(out) != 0 || bad) {
    fprintf(stderr, "%s: could not write the incidents\n", path);
    return 1;
  }
  return 0;
}

static int run(size_t n, uint64_t seed, const char *points,
               const char *incidents) {
  rs = seed;
  FILE *pf = fopen(points, "wb");
  if (!pf) {
    perror(points);
    return 1;
  }
  truce_fuse_opts opt;
  truce_fuse_defaults(&opt);
  opt.expect_obs = n;
  truce_fusion *f = NULL;
  if (truce_fuse_new(&opt, &f)) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  uint32_t sid[64];
  for (int i = 0; i < 64; i++) {
    truce_source s;
    memset(&s, 0, sizeof s);
    snprintf(s.name, sizeof s.name, "source-%02d", i);
    snprintf(s.party, sizeof s.party, i % 8 ? "mission" : "ua");
    s.means = i % 4 == 0 ? TRUCE_MEANS_CAMERA : TRUCE_MEANS_AUDIO;
    s.reliability = 0.6 + 0.4 * (double)(i % 5) / 4;
    truce_fuse_source(f, &s, &sid[i]);
  }
  truce_obs o;
  memset(&o, 0, sizeof o);
  const double lat0 = 47.0, lon0 = 36.5; /* 300 x 200 km, 30 days */
  const int64_t t0 = 1780000000000;
  size_t made = 0, pos = 0;
  uint64_t entry = 0;
  double my = 111200, mx = 111320 * cos(48 * DEG);
  /* Three times: generating and writing the points (untimed), then
   * generating only (timed), then generating and adding (timed): the
   * difference of the last two is what adding costs. (Timing the pass
   * that writes the points as the one without adding would count the
   * writing, tens of milliseconds, against adding.) */
  double gen_start = now_s(), add_cpu = 0, gen_cpu = 0;
  for (int pass = 0; pass < 3; pass++) {
    rs = seed;
    made = pos = 0;
    entry = 0;
    double c0 = cpu_s();
    while (made < n) {
      double elat = lat0 + unif() * 200000 / my,
             elon = lon0 + unif() * 300000 / mx;
      int64_t et = t0 + (int64_t)(unif() * 30 * 86400e3);
      int k = 1 + (int)(rnd() % 7); /* 1..7 observations, 4 on average */
      /* by k different sources (an observer reports an event once): from
       * a random one, in a random odd step round the 64 */
      uint64_t s0 = rnd() % 64, step = 1 + 2 * (rnd() % 32);
      for (int j = 0; j < k && made < n; j++, made++) {
        double r = unif();
        o.what =
            j % 3 ? TRUCE_WHAT_EXPLOSION : TRUCE_WHAT_UNDETERMINED_EXPLOSION;
        o.count = 1 + (uint32_t)(rnd() % 20);
        o.t_ms = o.t_end_ms = et + (int64_t)(gauss() * 5000);
        o.precision_s = r < 0.6 ? 1 : 60;
        double clat, clon;
        if (r < 0.6) {
          o.where_kind = TRUCE_WHERE_POINT;
          o.means = TRUCE_MEANS_CAMERA;
          o.uncertainty_m = 50 + unif() * 250;
          double s = o.uncertainty_m / 2;
          o.lat_deg = clat = elat + gauss() * s / my;
          o.lon_deg = clon = elon + gauss() * s / mx;
        } else {
          o.where_kind = TRUCE_WHERE_BEARING;
          o.means = TRUCE_MEANS_AUDIO;
          double az = unif() * 360, d = 2000 + unif() * 6000;
          o.lat_deg = elat - d * cos(az * DEG) / my; /* observer */
          o.lon_deg = elon - d * sin(az * DEG) / mx;
          bool range = r < 0.85;
          o.bearing_spread_deg = range ? 5 : 2;
          o.bearing_deg =
              fmod(az + gauss() * o.bearing_spread_deg / 2 + 720, 360);
          o.dist_min_m = range ? d * 0.7 : 0;
          o.dist_max_m = range ? d * 1.3 : 0;
          clat = range ? elat : o.lat_deg;
          clon = range ? elon : o.lon_deg;
        }
        double ll[2] = {clat * DEG, clon * DEG};
        if (pass == 0 && fwrite(ll, sizeof ll, 1, pf) != 1) {
          perror(points);
          return 1;
        }
        uint32_t src = sid[(s0 + (uint64_t)j * step) % 64];
        truce_err rc = pass == 2
                           ? truce_fuse_add(f, &o, entry, (uint32_t)pos, src)
                           : TRUCE_OK;
        if (rc) {
          fprintf(stderr, "add: %s\n", truce_fuse_errmsg(f));
          return 1;
        }
        if (++pos == 256) {
          pos = 0;
          entry++;
        }
      }
    }
    if (pass == 2) {
      add_cpu = cpu_s() - c0 - gen_cpu;
    } else if (pass == 1) {
      gen_cpu = cpu_s() - c0;
    } else if (fclose(pf) != 0) { /* written out before the timed passes */
      perror(points);
      return 1;
    }
  }
  double gen = now_s() - gen_start;
  long rss0 = maxrss_kb();
  double a = now_s(), ca = cpu_s();
  truce_err rc = truce_fuse_run(f);
  double secs = now_s() - a, cpu = cpu_s() - ca + add_cpu;
  if (rc) {
    fprintf(stderr, "run: %s\n", truce_fuse_errmsg(f));
    return 1;
  }
  long rss1 = maxrss_kb();
  size_t held = truce_fuse_bytes(f);
  /* touch every incident once (what a caller writing them out does) */
  a = now_s();
  size_t tri = 0, nev = 0;
  for (size_t i = 0; i < truce_fuse_count(f); i++) {
    truce_incident c;
    if (truce_fuse_incident(f, i, &c) == 0) {
      tri += (size_t)c.triangulated;
      nev += c.nevidence;
    }
  }
  double walk = now_s() - a;
  printf("fuse: %zu observations (generated three times, the points written "
         "once and added once, in %.2f s)\n",
         n, gen);
  printf("  truce fuse: %.3f s CPU (adding %.3f s: regions of bearings; "
         "grouping %.3f s CPU, %.3f s wall): %.0f observations/s (CPU); "
         "%zu incidents (%zu triangulated); reading them back %.3f s\n",
         cpu, add_cpu, cpu - add_cpu, secs, (double)n / cpu,
         truce_fuse_count(f), tri, walk);
  printf("  memory: peak RSS %.1f MB = %.0f bytes/observation (whole "
         "process; %.0f before fusion ran); fusion holds %.0f "
         "bytes/observation\n",
         (double)rss1 / 1024, (double)rss1 * 1024 / (double)n,
         (double)rss0 * 1024 / (double)n, (double)held / (double)n);
  printf("TRUCE_FUSE_CPU_SECONDS=%.6f\n", cpu);
  int bad = incidents ? write_incidents(f, incidents) : 0;
  truce_fuse_free(f);
  return bad;
}

/* The default scenario with another seed and false rate (below 0: the
 * default), fused and scored into *r. */
static truce_err score_seed(const char *dir, uint64_t seed, double rate,
                            score_result *r, char *err) {
  static unsigned runs; /* each run its own folder */
  char sim[128];
  snprintf(sim, sizeof sim, "%s/run-%u-seed-%" PRIu64, dir, runs++, seed);
  truce_sim_config c;
  truce_sim_config_init(&c);
  c.seed = seed;
  if (rate >= 0)
    c.false_rate = rate;
  score_input *in = NULL;
  truce_fusion *f = NULL;
  truce_err rc = truce_sim_run(&c, sim, (int64_t)time(NULL) * 1000, NULL, err);
  if (!rc)
    rc = score_load(sim, &in, err);
  if (!rc)
    rc = truce_fuse_new(NULL, &f);
  if (!rc)
    rc = score_feed(in, f, NULL);
  if (!rc)
    rc = truce_fuse_run(f);
  if (!rc)
    rc = score_fusion(in, f, r);
  truce_fuse_free(f);
  score_free(in);
  return rc;
}

static void print_scenario(const char *name, const score_result *r) {
  printf("fuse quality, %s: %zu observations -> %zu incidents\n", name,
         r->nobs, r->nincidents);
  printf("  precision %.4f over all incidents (floor 0.95 on the default "
         "scenario), %.4f over corroborated ones (%zu)\n",
         r->precision, r->precision_corroborated, r->ncorroborated);
  printf("  wrong incidents: %zu single false reports standing alone, %zu "
         "other\n",
         r->lone_false, r->wrong_other);
  printf("  recall %.4f (floor 0.95); merges of events > 2 km or 10 min "
         "apart: %zu (floor 0)\n",
         r->recall, r->merges);
  printf("  events split over two or more incidents: %zu (%zu incidents "
         "beyond one each)\n",
         r->split_events, r->split_extra);
  printf("  triangulated %zu, median error %.0f m (floor 300 m at +-2 "
         "degrees)\n",
         r->ntri, r->tri_median_m);
  printf("  firing positions %zu (%zu scored), median error %.0f m, %zu "
         "inside their 95%% ellipse\n",
         r->nfire_located, r->nfire, r->fire_median_m, r->nfire_inside);
}

/* Over the scenarios of seeds 1..SEEDS at a false rate (below 0: the
 * default): precision, merges, and (when fire) the firing positions. */
#define SEEDS 30

static truce_err over_seeds(const char *dir, double rate, int fire,
                            char *err) {
  size_t located = 0, n = 0, inside = 0, cap = 0, merges = 0, wrong = 0,
         below = 0, split = 0, extra = 0, bare2 = 0, bare2_wrong = 0;
  double *all = NULL, psum = 0, pmin = 1, rmin = 1, bconf = 0, bwconf = 0;
  truce_err rc = TRUCE_OK;
  for (uint64_t seed = 1; !rc && seed <= SEEDS; seed++) {
    score_result r;
    if ((rc = score_seed(dir, seed, rate, &r, err)))
      break;
    psum += r.precision;
    pmin = r.precision < pmin ? r.precision : pmin;
    rmin = r.recall < rmin ? r.recall : rmin;
    below += r.precision < 0.95;
    merges += r.merges;
    wrong += r.wrong_other;
    split += r.split_events;
    extra += r.split_extra;
    bare2 += r.nbare2;
    bare2_wrong += r.bare2_wrong;
    bconf += r.bare2_conf;
    bwconf += r.bare2_wrong_conf;
    if (fire && n + r.nfire > cap) {
      size_t nc = 2 * (n + r.nfire) + 64;
      double *p = realloc(all, nc * sizeof *p);
      if (!p) {
        score_release(&r);
        rc = TRUCE_ENOMEM;
        break;
      }
      all = p;
      cap = nc;
    }
    for (size_t i = 0; fire && i < r.nfire; i++)
      all[n++] = r.fire_errs[i];
    located += r.nfire_located;
    inside += r.nfire_inside;
    score_release(&r);
  }
  if (!rc) {
    printf("  over seeds 1-%d: precision over all incidents mean %.4f, "
           "lowest %.4f, %zu below 0.95; lowest recall %.4f; merges %zu; "
           "wrong incidents other than a lone false report %zu; events "
           "split %zu (%zu incidents beyond one each)\n",
           SEEDS, psum / SEEDS, pmin, below, rmin, merges, wrong, split,
           extra);
    printf("  over seeds 1-%d: incidents resting on two bearings without a "
           "range alone (placed where they cross) %zu, of which %zu (%.1f%%) "
           "join two events or a false report; mean confidence %.3f of "
           "the right ones, %.3f of the wrong\n",
           SEEDS, bare2, bare2_wrong,
           bare2 ? 100.0 * (double)bare2_wrong / (double)bare2 : 0,
           bare2 > bare2_wrong
               ? (bconf - bwconf) / (double)(bare2 - bare2_wrong)
               : 0,
           bare2_wrong ? bwconf / (double)bare2_wrong : 0);
    if (fire) {
      double med = score_median(all, n);
      printf("  over seeds 1-%d: firing positions %zu (%zu scored), median "
             "error %.0f m, 90th percentile %.0f m, %zu inside their 95%% "
             "ellipse (%.0f%%)\n",
             SEEDS, located, n, med, n ? all[(n * 9) / 10] : 0, inside,
             n ? 100.0 * (double)inside / (double)n : 0);
    }
  }
  free(all);
  return rc;
}

static int quality(void) {
  char dir[] = "/tmp/truce-bench-fuse-XXXXXX", err[TRUCE_ERR_MAX];
  if (!mkdtemp(dir))
    return 1;
  score_result r;
  truce_err rc = score_seed(dir, 1, -1, &r, err);
  if (!rc) {
    print_scenario("the simulator's default scenario (seed 1, false rate 1%)",
                   &r);
    score_release(&r);
    rc = over_seeds(dir, -1, 1, err);
  }
  if (!rc && !(rc = score_seed(dir, 1, 0.03, &r, err))) {
    print_scenario("the same with false rate 3% (docs/fusion.md: precision "
                   "over all follows the lone false reports)",
                   &r);
    score_release(&r);
    rc = over_seeds(dir, 0.03, 0, err);
  }
  if (rc)
    fprintf(stderr, "quality: %s\n", rc == TRUCE_ENOMEM ? "out of memory" : err);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
  return rc ? 1 : 0;
}

int main(int argc, char **argv) {
  if ((argc == 5 || argc == 6) && strcmp(argv[1], "run") == 0)
    return run(strtoull(argv[2], NULL, 10), strtoull(argv[3], NULL, 10),
               argv[4], argc == 6 ? argv[5] : NULL);
  if (argc == 2 && strcmp(argv[1], "quality") == 0)
    return quality();
  fprintf(stderr, "usage: bench_fuse run N SEED POINTS.bin [INCIDENTS.jsonl] "
                  "| bench_fuse quality\n");
  return 2;
}
