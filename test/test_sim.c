/*
 * test_sim.c: the scenario simulator (lib/sim.c, docs/simulate.md):
 * determinism, every observation valid, the truth's mapping complete,
 * error models as declared (bearing sigmas, false report rates), terms
 * that load, nothing written outside the output folder, clean errors.
 */
#include "test.h"
#include "truce.h"

#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

static char tmp_root[256];

static int64_t test_now(void) { return (int64_t)time(NULL) * 1000; }

static const char *tmp_path(const char *name) {
  static char buf[8][512];
  static int slot;
  char *p = buf[slot++ % 8];
  snprintf(p, 512, "%s/%s", tmp_root, name);
  return p;
}

static bool read_all(const char *path, truce_buf *b) {
  truce_buf_init(b, (size_t)256 << 20);
  return truce_buf_read_file(b, path, NULL) == TRUCE_OK;
}

static bool same_file(const char *a, const char *b) {
  truce_buf x, y;
  bool ok = read_all(a, &x) && read_all(b, &y) && x.len == y.len &&
            memcmp(x.data, y.data, x.len) == 0;
  truce_buf_release(&x);
  truce_buf_release(&y);
  return ok;
}

/* Names in a folder (not . and ..), sorted, joined with spaces. */
static void list_dir(const char *dir, char *out, size_t cap) {
  char names[256][64];
  size_t n = 0;
  out[0] = '\0';
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d)) != NULL && n < 256)
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
        strlen(de->d_name) < 64)
      memcpy(names[n++], de->d_name, strlen(de->d_name) + 1);
  closedir(d);
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
      char t[64];
      memcpy(t, names[j], 64);
      memcpy(names[j], names[j - 1], 64);
      memcpy(names[j - 1], t, 64);
    }
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(out);
    snprintf(out + l, cap - l, "%s%s", i ? " " : "", names[i]);
  }
}

static truce_err run(const truce_sim_config *c, const char *dir,
                     truce_sim_stats *st) {
  char err[TRUCE_ERR_MAX] = "";
  truce_err rc = truce_sim_run(c, dir, test_now(), st, err);
  if (rc)
    fprintf(stderr, "  truce_sim_run(%s): %s\n", dir, err);
  return rc;
}

/* The default scenario, made once and read by several tests. */
static truce_sim_stats def_stats;
static const char *def_dir;

TEST(default_scenario_runs) {
  truce_sim_config c;
  truce_sim_config_init(&c);
  def_dir = tmp_path("default");
  CHECK_OK(run(&c, def_dir, &def_stats));
  CHECK_EQ_U64(def_stats.events, 400);
  CHECK_EQ_U64(def_stats.sources, 6 + 20 + 6 + 4 + 2);
  CHECK(def_stats.observations > 400);
  CHECK(def_stats.observed_events > 200);
  uint64_t sum = 0;
  for (unsigned i = 0; i < TRUCE_MEANS_COUNT; i++)
    sum += def_stats.by_means[i];
  CHECK_EQ_U64(sum, def_stats.observations);
  fprintf(stderr,
          "  default: %" PRIu64 " events (%" PRIu64 " observed), %" PRIu64
          " observations, %" PRIu64 " false\n",
          def_stats.events, def_stats.observed_events, def_stats.observations,
          def_stats.false_reports);
}

TEST(determinism) {
  truce_sim_config c;
  truce_sim_config_init(&c);
  const char *again = tmp_path("default-again");
  CHECK_OK(run(&c, again, NULL));
  char la[8192], lb[8192];
  list_dir(tmp_path("default/obs"), la, sizeof la);
  list_dir(tmp_path("default-again/obs"), lb, sizeof lb);
  CHECK_STR(la, lb);
  static const char *const files[] = {"truth.jsonl", "sources.json",
                                      "terms.json", "line.geojson"};
  char a[512], b[512];
  for (size_t i = 0; i < 4; i++) {
    snprintf(a, sizeof a, "%s/%s", def_dir, files[i]);
    snprintf(b, sizeof b, "%s/%s", again, files[i]);
    CHECK_MSG(same_file(a, b), "%s differs", files[i]);
  }
  char *save = NULL, *tok = strtok_r(la, " ", &save);
  for (; tok; tok = strtok_r(NULL, " ", &save)) {
    snprintf(a, sizeof a, "%s/obs/%s", def_dir, tok);
    snprintf(b, sizeof b, "%s/obs/%s", again, tok);
    CHECK_MSG(same_file(a, b), "obs/%s differs", tok);
  }
  /* another seed, another scenario */
  c.seed = 2;
  const char *other = tmp_path("seed2");
  CHECK_OK(run(&c, other, NULL));
  snprintf(a, sizeof a, "%s/truth.jsonl", def_dir);
  snprintf(b, sizeof b, "%s/truth.jsonl", other);
  CHECK(!same_file(a, b));
  snprintf(a, sizeof a, "%s/line.geojson", def_dir);
  snprintf(b, sizeof b, "%s/line.geojson", other);
  CHECK(!same_file(a, b));
}

/* Known answers: the default scenario's bytes, as made with gcc and with
 * clang (x86-64, glibc). A change here means the model changed (update
 * the hashes and docs/simulate.md's numbers) or this machine's libm or
 * PROJ gives other doubles (then output is not portable: report it). */
static void hex_of_file(const char *path, char out[65]) {
  truce_buf b;
  uint8_t h[32];
  out[0] = '\0';
  if (read_all(path, &b)) {
    truce_sha256(b.data, b.len, h);
    truce_hex_encode(h, 32, out);
  }
  truce_buf_release(&b);
}

TEST(known_answers) {
  char path[512], hex[65];
  snprintf(path, sizeof path, "%s/truth.jsonl", def_dir);
  hex_of_file(path, hex);
  CHECK_STR(hex,
            "b747f079e4b08a51b00d052de90e18548f1b34b0fccafc96c24849004ad166c3");
  snprintf(path, sizeof path, "%s/terms.json", def_dir);
  hex_of_file(path, hex);
  CHECK_STR(hex,
            "4964d8503775d56960e0e4871c20f98bd50c9d8a709e569cffdb231285a651ba");
  /* every observation file, in name order, end to end */
  char names[8192];
  snprintf(path, sizeof path, "%s/obs", def_dir);
  list_dir(path, names, sizeof names);
  truce_buf all;
  truce_buf_init(&all, (size_t)64 << 20);
  char *save = NULL, *tok = strtok_r(names, " ", &save);
  for (; tok; tok = strtok_r(NULL, " ", &save)) {
    snprintf(path, sizeof path, "%s/obs/%s", def_dir, tok);
    truce_buf b;
    CHECK(read_all(path, &b));
    if (b.len)
      CHECK_OK(truce_buf_append(&all, b.data, b.len));
    truce_buf_release(&b);
  }
  uint8_t h[32];
  truce_sha256(all.data ? all.data : "", all.len, h);
  truce_hex_encode(h, 32, hex);
  CHECK_STR(hex,
            "ff0090fff744f69bf4229bc74de7fbe058efbf5f68f59d233a4cbbec50ebae7a");
  truce_buf_release(&all);
}

TEST(nothing_outside_out) {
  /* Only the promised files, in the promised places. */
  char names[8192];
  list_dir(def_dir, names, sizeof names);
  CHECK_STR(names, "line.geojson obs sources.json terms.json truth.jsonl");
  list_dir(tmp_root, names, sizeof names);
  CHECK_STR(names, "default default-again seed2");
}

/* Walk every observation file listed in the truth and check each line. */
TEST(observations_valid_and_mapped) {
  char path[512];
  snprintf(path, sizeof path, "%s/truth.jsonl", def_dir);
  truce_sim_truth *t = NULL;
  char err[TRUCE_ERR_MAX] = "";
  CHECK_OK(truce_sim_truth_load(path, &t, err));
  if (!t) {
    fprintf(stderr, "  %s\n", err);
    return;
  }
  CHECK_EQ_U64(truce_sim_truth_nevents(t), def_stats.events);
  CHECK_EQ_U64(truce_sim_truth_nobs(t), def_stats.observations);
  /* events in time order, each referenced as often as it says */
  size_t nev = truce_sim_truth_nevents(t);
  uint32_t *refs = calloc(nev + 1, sizeof *refs);
  int64_t start = 1793491200000, end = start + 24 * 3600000LL;
  for (size_t i = 0; i < nev; i++) {
    const truce_sim_event *e = truce_sim_truth_event(t, i);
    CHECK(e->t_ms >= start && e->t_ms < end && e->t_end_ms >= e->t_ms);
    if (i)
      CHECK(e->t_ms >= truce_sim_truth_event(t, i - 1)->t_ms);
  }
  char names[8192];
  snprintf(path, sizeof path, "%s/obs", def_dir);
  list_dir(path, names, sizeof names);
  uint64_t lines_total = 0, false_total = 0;
  truce_obs *o = malloc(sizeof *o);
  char *save = NULL, *tok = strtok_r(names, " ", &save);
  for (; tok; tok = strtok_r(NULL, " ", &save)) {
    char source[128];
    snprintf(source, sizeof source, "%s", tok);
    char *dot = strstr(source, ".jsonl");
    CHECK(dot != NULL);
    if (dot)
      *dot = '\0';
    snprintf(path, sizeof path, "%s/obs/%s", def_dir, tok);
    truce_buf b;
    CHECK(read_all(path, &b));
    uint64_t ln = 0;
    int64_t prev_t = INT64_MIN;
    for (size_t at = 0; b.data && at < b.len;) {
      char *nl = memchr(b.data + at, '\n', b.len - at);
      CHECK(nl != NULL); /* every line ends in a newline */
      if (!nl)
        break;
      size_t len = (size_t)(nl - (b.data + at));
      ln++;
      char perr[TRUCE_ERR_MAX] = "";
      truce_err rc = truce_obs_parse(b.data + at, len, test_now(), o, perr);
      CHECK_MSG(rc == TRUCE_OK, "%s line %" PRIu64 ": %s", tok, ln, perr);
      if (rc == TRUCE_OK) {
        /* canonical: formatting it again gives the same bytes */
        truce_buf f;
        truce_buf_init(&f, TRUCE_OBS_LINE_MAX + 1);
        CHECK_OK(truce_obs_format(o, &f));
        CHECK(f.len == len && memcmp(f.data, b.data + at, len) == 0);
        truce_buf_release(&f);
        /* in range: the scenario's span (sound and rounding may add a
         * couple of minutes), the region around the line */
        CHECK(o->t_ms >= start - 60000 && o->t_end_ms <= end + 180000);
        CHECK(o->t_ms >= prev_t); /* time order */
        prev_t = o->t_ms;
        CHECK(o->lat_deg > 46.5 && o->lat_deg < 50 && o->lon_deg > 36 &&
              o->lon_deg < 39.5);
        CHECK(o->means != 0);
        CHECK(strncmp(o->id, "sim-", 4) == 0);
        CHECK(o->note[0] == '\0' && o->place[0] == '\0');
        size_t idx;
        CHECK_OK(truce_sim_truth_find(t, source, ln, &idx));
        const truce_sim_obsref *r = truce_sim_truth_obs(t, idx);
        if (r) {
          CHECK_STR(r->id, o->id);
          if (r->event < 0)
            false_total++;
          else if ((size_t)r->event < nev)
            refs[r->event]++;
        }
      }
      lines_total++;
      at += len + 1;
    }
    truce_buf_release(&b);
  }
  free(o);
  /* covered exactly once: as many truth lines as file lines, each found */
  CHECK_EQ_U64(lines_total, truce_sim_truth_nobs(t));
  CHECK_EQ_U64(false_total, def_stats.false_reports);
  uint64_t observed = 0;
  for (size_t i = 0; i < nev; i++) {
    CHECK_EQ_U64(refs[i], truce_sim_truth_event(t, i)->nobs);
    observed += refs[i] > 0;
  }
  CHECK_EQ_U64(observed, def_stats.observed_events);
  /* and no two truth lines name the same observation */
  for (size_t i = 1; i < truce_sim_truth_nobs(t); i++) {
    const truce_sim_obsref *a = truce_sim_truth_obs(t, i - 1),
                           *b2 = truce_sim_truth_obs(t, i);
    CHECK(strcmp(a->id, b2->id) != 0);
    if (strcmp(a->source, b2->source) == 0)
      CHECK(b2->line == a->line + 1);
  }
  free(refs);
  truce_sim_truth_free(t);
}

TEST(terms_and_line_load) {
  char path[512], err[TRUCE_ERR_MAX] = "";
  snprintf(path, sizeof path, "%s/terms.json", def_dir);
  truce_terms *terms = NULL;
  CHECK_OK(truce_terms_load(path, &terms, err));
  if (terms) {
    truce_terms_counts n;
    truce_terms_count(terms, &n);
    CHECK_EQ_U64(n.parties, 2);
    CHECK_EQ_U64(n.lines, 1);
    CHECK_EQ_U64(n.zones, 1);
    CHECK_EQ_U64(n.rules, 4);
    CHECK_STR(truce_terms_rule_type(terms, 1), "withdrawal");
    CHECK_STR(truce_terms_rule_type(terms, 3), "zone");
    CHECK(truce_terms_start_ms(terms) == 1793491200000);
  } else {
    fprintf(stderr, "  %s\n", err);
  }
  truce_terms_free(terms);
  snprintf(path, sizeof path, "%s/line.geojson", def_dir);
  truce_geom *g = NULL;
  CHECK_OK(truce_geom_load(path, &g, err));
  CHECK(truce_geom_kind(g) == TRUCE_GEOM_LINE);
  CHECK_EQ_U64(truce_geom_vertices(g), 32);
  truce_geom_free(g);
}

/* A bigger scenario (more samples) for the error models. */
static const char *big_dir;
static truce_sim_stats big_stats;

TEST(bearing_errors_match_sigma) {
  truce_sim_config c;
  truce_sim_config_init(&c);
  c.events = 2000;
  c.hours = 72;
  c.false_rate = 0.1;
  big_dir = tmp_path("big");
  CHECK_OK(run(&c, big_dir, &big_stats));
  char path[512], err[TRUCE_ERR_MAX] = "";
  snprintf(path, sizeof path, "%s/truth.jsonl", big_dir);
  truce_sim_truth *t = NULL;
  CHECK_OK(truce_sim_truth_load(path, &t, err));
  if (!t)
    return;
  /* spreads 5 (patrols), 2 (cameras), 1 (acoustic arrays) */
  double sum2[3] = {0}, n[3] = {0};
  const double spreads[3] = {5, 2, 1};
  char names[8192];
  snprintf(path, sizeof path, "%s/obs", big_dir);
  list_dir(path, names, sizeof names);
  truce_obs *o = malloc(sizeof *o);
  char *save = NULL, *tok = strtok_r(names, " ", &save);
  for (; tok; tok = strtok_r(NULL, " ", &save)) {
    char source[128];
    snprintf(source, sizeof source, "%s", tok);
    *strstr(source, ".jsonl") = '\0';
    snprintf(path, sizeof path, "%s/obs/%s", big_dir, tok);
    truce_buf b;
    CHECK(read_all(path, &b));
    uint64_t ln = 0;
    for (size_t at = 0; b.data && at < b.len;) {
      char *nl = memchr(b.data + at, '\n', b.len - at);
      if (!nl)
        break;
      size_t len = (size_t)(nl - (b.data + at)), idx;
      ln++;
      if (truce_obs_parse(b.data + at, len, test_now(), o, NULL) == TRUCE_OK &&
          o->where_kind == TRUCE_WHERE_BEARING &&
          truce_sim_truth_find(t, source, ln, &idx) == TRUCE_OK) {
        const truce_sim_obsref *r = truce_sim_truth_obs(t, idx);
        if (r->event >= 0) {
          const truce_sim_event *e = truce_sim_truth_event(t, (size_t)r->event);
          double d, azi1, azi2;
          truce_geodesic_inverse(o->lat_deg, o->lon_deg, e->lat_deg, e->lon_deg,
                                 &d, &azi1, &azi2);
          double diff = fmod(o->bearing_deg - azi1 + 540.0, 360.0) - 180.0;
          for (int k = 0; k < 3; k++)
            if (o->bearing_spread_deg == spreads[k]) {
              sum2[k] += diff * diff;
              n[k]++;
            }
        }
      }
      at += len + 1;
    }
    truce_buf_release(&b);
  }
  free(o);
  for (int k = 0; k < 3; k++) {
    double sd = n[k] > 0 ? sqrt(sum2[k] / n[k]) : 0, sigma = spreads[k] / 2;
    fprintf(stderr, "  spread %g: %.0f bearings, sd %.3f (sigma %.2f)\n",
            spreads[k], n[k], sd, sigma);
    CHECK(n[k] >= 100);
    CHECK_MSG(fabs(sd - sigma) <= 0.15 * sigma, "sd %.3f vs sigma %.2f", sd,
              sigma);
  }
  truce_sim_truth_free(t);
}

TEST(false_report_rate) {
  /* The big scenario was made with false_rate 0.1: ground sources report
   * about 10% false, satellites about 20%. */
  uint64_t ground = 0, ground_false = 0;
  for (unsigned i = 0; i < TRUCE_MEANS_COUNT; i++) {
    unsigned bit = 1u << i;
    if (bit == TRUCE_MEANS_SATELLITE)
      continue;
    ground += big_stats.by_means[i];
    ground_false += big_stats.false_by_means[i];
  }
  double rate = ground ? (double)ground_false / (double)ground : 0;
  fprintf(stderr, "  ground false rate %.4f over %" PRIu64 "\n", rate, ground);
  CHECK(rate > 0.09 && rate < 0.11);
  unsigned si = 6; /* satellite */
  double srate = big_stats.by_means[si] ? (double)big_stats.false_by_means[si] /
                                              (double)big_stats.by_means[si]
                                        : 0;
  fprintf(stderr, "  satellite false rate %.4f over %" PRIu64 "\n", srate,
          big_stats.by_means[si]);
  CHECK(srate > 0.1 && srate < 0.3);
  /* the default: 1% (satellites 2%) */
  double drate = (double)def_stats.false_reports /
                 (double)(def_stats.observations ? def_stats.observations : 1);
  CHECK(drate > 0.005 && drate < 0.02);
  /* rate 0: none at all */
  truce_sim_config c;
  truce_sim_config_init(&c);
  c.false_rate = 0;
  c.events = 100;
  truce_sim_stats st;
  CHECK_OK(run(&c, tmp_path("no-false"), &st));
  CHECK_EQ_U64(st.false_reports, 0);
}

TEST(counts_per_means) {
  /* every means is represented in the default scenario */
  CHECK(def_stats.by_means[0] > 30);      /* audio: patrols */
  CHECK(def_stats.by_means[2] > 100);     /* camera */
  CHECK(def_stats.by_means[3] > 10);      /* drone */
  CHECK(def_stats.by_means[4] > 100);     /* acoustic */
  CHECK(def_stats.by_means[6] > 5);       /* satellite */
  CHECK_EQ_U64(def_stats.by_means[5], 0); /* no radar */
  /* no patrols: nothing heard by patrols; no cameras: no camera reports */
  truce_sim_config c;
  truce_sim_config_init(&c);
  c.patrols = 0;
  c.cameras = 0;
  c.drones = 1;
  truce_sim_stats st;
  CHECK_OK(run(&c, tmp_path("fewer"), &st));
  CHECK_EQ_U64(st.by_means[0], 0);
  CHECK_EQ_U64(st.by_means[1], 0);
  CHECK_EQ_U64(st.by_means[2], 0);
  CHECK(st.by_means[4] > 0);
  CHECK_EQ_U64(st.sources, 6 + 1 + 2);
  /* more cameras, more camera reports */
  c.cameras = 40;
  truce_sim_stats st2;
  CHECK_OK(run(&c, tmp_path("more"), &st2));
  CHECK(st2.by_means[2] > def_stats.by_means[2]);
}

TEST(line_from_file_and_parties) {
  const char *line = tmp_path("my-line.geojson");
  FILE *f = fopen(line, "w");
  CHECK(f != NULL);
  if (!f)
    return;
  fputs("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\","
        "\"properties\":{},\"geometry\":{\"type\":\"LineString\","
        "\"coordinates\":[[35.0,47.5],[35.3,47.45],[35.6,47.5],[35.9,47.42],"
        "[36.2,47.5]]}}]}\n",
        f);
  fclose(f);
  truce_sim_config c;
  truce_sim_config_init(&c);
  c.line_path = line;
  c.events = 150;
  snprintf(c.party_right, sizeof c.party_right, "ua");
  snprintf(c.party_left, sizeof c.party_left, "ru");
  truce_sim_stats st;
  const char *dir = tmp_path("own-line");
  CHECK_OK(run(&c, dir, &st));
  char path[512], err[TRUCE_ERR_MAX] = "";
  snprintf(path, sizeof path, "%s/terms.json", dir);
  truce_terms *terms = NULL;
  CHECK_OK(truce_terms_load(path, &terms, err));
  truce_terms_free(terms);
  snprintf(path, sizeof path, "%s/line.geojson", dir);
  truce_buf b;
  CHECK(read_all(path, &b));
  CHECK_CONTAINS(b.data, "[[35,47.5],[35.3,47.45],[35.6,47.5]");
  truce_buf_release(&b);
  snprintf(path, sizeof path, "%s/truth.jsonl", dir);
  CHECK(read_all(path, &b));
  CHECK_CONTAINS(b.data, "\"parties\":[\"ua\",\"ru\"]");
  CHECK_CONTAINS(b.data, "\"party\":\"ru\"");
  truce_buf_release(&b);
  /* the right of the line as drawn (west to east: the south) is ua's */
  truce_sim_truth *t = NULL;
  CHECK_OK(truce_sim_truth_load(path, &t, err));
  truce_geom *g = NULL;
  CHECK_OK(truce_geom_load(line, &g, err));
  for (size_t i = 0; t && g && i < truce_sim_truth_nevents(t); i++) {
    const truce_sim_event *e = truce_sim_truth_event(t, i);
    truce_geo_where w;
    CHECK_OK(truce_geom_measure(g, e->lat_deg, e->lon_deg, &w));
    CHECK_MSG(strcmp(e->ground, w.side < 0 ? "ua" : "ru") == 0,
              "%s at %.4f %.4f on %s's ground", e->id, e->lat_deg, e->lon_deg,
              e->ground);
    CHECK(fabs(w.dist_m - e->line_dist_m) < 0.1);
  }
  truce_geom_free(g);
  truce_sim_truth_free(t);
}

TEST(errors) {
  truce_sim_config c;
  char err[TRUCE_ERR_MAX];
  int64_t now = test_now();
  /* an existing, non-empty folder is refused and left alone */
  truce_sim_config_init(&c);
  err[0] = '\0';
  CHECK_RC(truce_sim_run(&c, def_dir, now, NULL, err), TRUCE_EEXIST);
  CHECK_CONTAINS(err, "is not empty");
  /* an existing empty folder is fine */
  const char *empty = tmp_path("empty");
  CHECK(mkdir(empty, 0755) == 0);
  c.events = 10;
  CHECK_RC(truce_sim_run(&c, empty, now, NULL, err), TRUCE_OK);
  /* numbers out of range: nothing is created */
  const char *none = tmp_path("never");
  truce_sim_config_init(&c);
  c.hours = 0;
  CHECK_RC(truce_sim_run(&c, none, now, NULL, err), TRUCE_EINVAL);
  CHECK_CONTAINS(err, "hours");
  truce_sim_config_init(&c);
  c.events = 0;
  CHECK_RC(truce_sim_run(&c, none, now, NULL, err), TRUCE_EINVAL);
  CHECK_CONTAINS(err, "events");
  truce_sim_config_init(&c);
  c.events = TRUCE_SIM_EVENTS_MAX + 1;
  CHECK_RC(truce_sim_run(&c, none, now, NULL, err), TRUCE_EINVAL);
  truce_sim_config_init(&c);
  c.cameras = 101;
  CHECK_RC(truce_sim_run(&c, none, now, NULL, err), TRUCE_EINVAL);
  CHECK_CONTAINS(err, "cameras");
  truce_sim_config_init(&c);
  c.false_rate = 0.6;
  CHECK_RC(truce_sim_run(&c, none, now, NULL, err), TRUCE_EINVAL);
  c.false_rate = NAN;
  CHECK_RC(truce_sim_run(&c, none, now, NULL, err), TRUCE_EINVAL);
  truce_sim_config_init(&c);
  snprintf(c.party_left, sizeof c.party_left, "west");
  CHECK_RC(truce_sim_run(&c, none, now, NULL, err), TRUCE_EINVAL);
  snprintf(c.party_left, sizeof c.party_left, "East Side");
  CHECK_RC(truce_sim_run(&c, none, now, NULL, err), TRUCE_EINVAL);
  /* a scenario that would end in the future */
  truce_sim_config_init(&c);
  c.start_ms = now - 3600000;
  CHECK_RC(truce_sim_run(&c, none, now, NULL, err), TRUCE_ERANGE);
  CHECK_CONTAINS(err, "future");
  /* a line file that is missing or not a line */
  truce_sim_config_init(&c);
  c.line_path = tmp_path("no-such-line.geojson");
  CHECK_RC(truce_sim_run(&c, none, now, NULL, err), TRUCE_ENOTFOUND);
  const char *bad = tmp_path("bad-line.geojson");
  FILE *f = fopen(bad, "w");
  if (f) {
    fputs("{\"type\":\"Point\",\"coordinates\":[37,48]}", f);
    fclose(f);
  }
  c.line_path = bad;
  CHECK_RC(truce_sim_run(&c, none, now, NULL, err), TRUCE_EPARSE);
  CHECK_CONTAINS(err, "LineString");
  struct stat st;
  CHECK(stat(none, &st) != 0);
  /* a folder whose parent does not exist */
  truce_sim_config_init(&c);
  CHECK_RC(truce_sim_run(&c, tmp_path("no/such/parent"), now, NULL, err),
           TRUCE_ENOTFOUND);
  /* the truth loader refuses what is not truth */
  truce_sim_truth *t = (truce_sim_truth *)1;
  CHECK_RC(truce_sim_truth_load(bad, &t, err), TRUCE_EPARSE);
  CHECK(t == NULL);
  CHECK_RC(truce_sim_truth_load(tmp_path("nothing"), &t, err), TRUCE_ENOTFOUND);
  truce_sim_truth_free(NULL);
  /* ... naming the file, the line and the field */
  static const char ev1[] =
      "{\"type\":\"event\",\"id\":\"ev-00001\",\"what\":\"explosion\","
      "\"time\":\"2026-11-01T00:03:47Z\",\"end\":\"2026-11-01T00:09:14Z\","
      "\"lat\":48.5,\"lon\":37.9,\"count\":15,\"party\":\"east\",\"weapon\":"
      "{\"class\":\"mortar\",\"calibre_mm\":120},\"ground\":\"west\","
      "\"line_dist_m\":2483.7,\"rules\":[\"ceasefire\"],\"observations\":1}\n";
  static const struct {
    const char *second, *want;
  } cases[] = {
      {"{\"type\":\"obs\",\"source\":\"p\",\"line\":1,\"id\":\"sim-1\","
       "\"event\":\"ev-00001\"}\n",
       NULL},
      {"{\"type\":\"obs\",\"source\":\"p\",\"line\":0,\"id\":\"sim-1\","
       "\"event\":\"ev-00001\"}\n",
       ": line 2: obs: line: missing or not valid"},
      {"{\"type\":\"obs\",\"source\":\"p\",\"line\":1,\"id\":\"sim-1\","
       "\"event\":\"ev-00009\"}\n",
       ": line 2: obs: event: no event 'ev-00009' before it"},
      {"{\"type\":\"event\",\"id\":\"ev-00001\"}\n",
       ": line 2: event: what: missing or not valid"},
      {"{\"type\":\"weather\"}\n", ": line 2: type: unknown 'weather'"},
      {"[1]\n", ": line 2: not a JSON object with a type"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *path = tmp_path("truth.jsonl");
    f = fopen(path, "w");
    if (f) {
      fputs(ev1, f);
      fputs(cases[i].second, f);
      fclose(f);
    }
    t = NULL;
    truce_err rc = truce_sim_truth_load(path, &t, err);
    if (!cases[i].want) {
      CHECK_OK(rc);
      CHECK(truce_sim_truth_nevents(t) == 1 && truce_sim_truth_nobs(t) == 1);
      CHECK(t && truce_sim_truth_obs(t, 0)->event == 0);
    } else {
      CHECK_RC(rc, TRUCE_EPARSE);
      CHECK(t == NULL);
      CHECK_CONTAINS(err, path);
      CHECK_CONTAINS(err, cases[i].want);
    }
    truce_sim_truth_free(t);
  }
  /* an event's field that is wrong is named; a repeated id too */
  const char *path = tmp_path("truth.jsonl");
  f = fopen(path, "w");
  if (f) {
    fputs(ev1, f);
    for (const char *p = ev1; *p; p++) /* lat as a string */
      if (strncmp(p, "\"lat\":48.5", 10) == 0) {
        fputs("\"lat\":\"48.5\"", f);
        p += 9;
      } else
        fputc(*p, f);
    fclose(f);
  }
  CHECK_RC(truce_sim_truth_load(path, &t, err), TRUCE_EPARSE);
  CHECK_CONTAINS(err, ": line 2: event: lat: missing or not valid");
  f = fopen(path, "w");
  if (f) {
    fputs(ev1, f);
    fputs(ev1, f);
    fclose(f);
  }
  CHECK_RC(truce_sim_truth_load(path, &t, err), TRUCE_EPARSE);
  CHECK_CONTAINS(err, ": line 2: event: id: 'ev-00001' repeats an earlier");
}

TEST(allocation_failures) {
  /* Every allocation failing in turn gives TRUCE_ENOMEM, cleanly (the
   * sanitizer build checks for leaks). */
  truce_sim_config c;
  truce_sim_config_init(&c);
  c.events = 20;
  c.hours = 2;
  int64_t now = test_now();
  int failures = 0;
  for (uint64_t n = 1; n <= 200; n++) {
    char name[64], err[TRUCE_ERR_MAX];
    snprintf(name, sizeof name, "alloc-%03u", (unsigned)n);
    truce_test_fail_alloc(n);
    truce_err rc = truce_sim_run(&c, tmp_path(name), now, NULL, err);
    truce_test_fail_alloc(0);
    if (rc == TRUCE_OK)
      break;
    CHECK_MSG(rc == TRUCE_ENOMEM, "allocation %u: %s", (unsigned)n, err);
    failures++;
  }
  CHECK(failures > 5);
}

static void remove_tree(const char *path) {
  DIR *d = opendir(path);
  if (!d) {
    unlink(path);
    return;
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    char sub[1024];
    snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
    remove_tree(sub);
  }
  closedir(d);
  rmdir(path);
}

int main(void) {
  const char *base = getenv("TMPDIR");
  snprintf(tmp_root, sizeof tmp_root, "%s/truce-test-sim.XXXXXX",
           base && *base ? base : "/tmp");
  if (!mkdtemp(tmp_root)) {
    perror("mkdtemp");
    return 1;
  }
  RUN(default_scenario_runs);
  RUN(determinism);
  RUN(known_answers);
  RUN(nothing_outside_out);
  RUN(observations_valid_and_mapped);
  RUN(terms_and_line_load);
  RUN(bearing_errors_match_sigma);
  RUN(false_report_rate);
  RUN(counts_per_means);
  RUN(line_from_file_and_parties);
  RUN(errors);
  RUN(allocation_failures);
  if (!test_failed)
    remove_tree(tmp_root);
  else
    fprintf(stderr, "test_sim: files kept in %s\n", tmp_root);
  return test_done("test_sim");
}
