/*
 * test_fuse.c: fusion of observations into incidents, and the derived
 * index. Hand-built cases whose answer is known by construction, fusion
 * under shuffled input (identical incidents and ids), the index round
 * trip (fuse -> store -> query; rebuild from the log alone gives the same
 * rows), allocation failures, and the quality floors on the simulator's
 * default scenario, scored against its truth (fuse_score.h).
 *
 * Set TRUCE_TEST_SEED to replay a shuffle; the seed used is printed.
 */
#include "test.h"
#include "truce.h"
#include "fuse_score.h"

#include <math.h>
#include <time.h>
#include <unistd.h>

static uint64_t seed;

static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (seed += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* ---- building fusions by hand ---- */

typedef struct hobs {
  const char *source; /* "patrol-1" ... */
  const char *json;
} hobs;

static void mksrc(const char *name, unsigned means, double rel,
                  truce_source *s) {
  memset(s, 0, sizeof *s);
  snprintf(s->name, sizeof s->name, "%s", name);
  snprintf(s->party, sizeof s->party, "mission");
  s->means = means;
  s->reliability = rel;
}

static unsigned means_of(const char *name) {
  if (strncmp(name, "camera", 6) == 0)
    return TRUCE_MEANS_CAMERA;
  if (strncmp(name, "news", 4) == 0)
    return TRUCE_MEANS_REPORT;
  return TRUCE_MEANS_AUDIO | TRUCE_MEANS_VISUAL;
}

/* Fuse observations given in the order perm (NULL: as listed); each is
 * cited as (entry i + 10, position 0). */
static truce_fusion *fuse_hand(const hobs *h, size_t n, const size_t *perm) {
  truce_fusion *f = NULL;
  CHECK_OK(truce_fuse_new(NULL, &f));
  if (!f)
    return NULL;
  truce_obs *o = malloc(sizeof *o);
  char err[TRUCE_ERR_MAX];
  for (size_t k = 0; k < n; k++) {
    size_t i = perm ? perm[k] : k;
    truce_source s;
    mksrc(h[i].source, means_of(h[i].source),
          strncmp(h[i].source, "news", 4) == 0 ? 0.5 : 0.9, &s);
    uint32_t sid;
    CHECK_OK(truce_fuse_source(f, &s, &sid));
    truce_err rc = truce_obs_parse(h[i].json, strlen(h[i].json),
                                   (int64_t)time(NULL) * 1000, o, err);
    CHECK_MSG(rc == TRUCE_OK, "%s: %s", h[i].json, err);
    CHECK_OK(truce_fuse_add(f, o, 10 + i, 0, sid));
  }
  free(o);
  CHECK_MSG(truce_fuse_run(f) == TRUCE_OK, "%s", truce_fuse_errmsg(f));
  return f;
}

/* Everything about the incidents as JSON lines, for comparing runs. */
static void dump(truce_fusion *f, truce_buf *out) {
  for (size_t i = 0; i < truce_fuse_count(f); i++) {
    truce_incident c;
    CHECK_OK(truce_fuse_incident(f, i, &c));
    CHECK_OK(truce_incident_format(&c, TRUCE_FORMAT_JSONL, out));
  }
}

/* Two patrols 6 km apart hear one explosion and give bearings with
 * distance ranges; a camera sees it with a bearing only; the true
 * position is 48.5N 38.0E. */
static const hobs one_explosion[] = {
    {"patrol-1",
     "{\"what\":\"explosion\",\"time\":\"2026-11-01T10:00:00Z\","
     "\"precision_s\":60,\"where\":{\"observer\":{\"lat\":48.48,\"lon\":"
     "37.98},\"bearing_deg\":34.0,\"spread_deg\":5,\"dist_min_m\":2000,"
     "\"dist_max_m\":4000},\"means\":\"audio\"}"},
    {"patrol-2",
     "{\"what\":\"undetermined_explosion\",\"time\":\"2026-11-01T10:00:30Z\","
     "\"precision_s\":60,\"where\":{\"observer\":{\"lat\":48.48,\"lon\":"
     "38.02},\"bearing_deg\":326.0,\"spread_deg\":5,\"dist_min_m\":2000,"
     "\"dist_max_m\":4000},\"means\":\"audio\"}"},
    {"camera-1",
     "{\"what\":\"explosion\",\"time\":\"2026-11-01T10:00:05Z\","
     "\"precision_s\":1,\"where\":{\"observer\":{\"lat\":48.5,\"lon\":"
     "37.95},\"bearing_deg\":90.0,\"spread_deg\":2},\"means\":\"camera\"}"},
};

static double dist_m(double lat1, double lon1, double lat2, double lon2) {
  double d;
  truce_geodesic_inverse(lat1, lon1, lat2, lon2, &d, NULL, NULL);
  return d;
}

TEST(test_one_explosion_three_observers) {
  truce_fusion *f = fuse_hand(one_explosion, 3, NULL);
  if (!f)
    return;
  CHECK_EQ_U64(truce_fuse_count(f), 1);
  truce_incident c;
  CHECK_OK(truce_fuse_incident(f, 0, &c));
  CHECK_EQ_U64(c.nobs, 3);
  CHECK_EQ_U64(c.nsources, 3);
  CHECK(c.located && c.triangulated);
  CHECK_STR(c.id, "10.0");
  double d = dist_m(c.where.lat_deg, c.where.lon_deg, 48.5, 38.0);
  CHECK_MSG(d < 300, "triangulated %.1f m from the truth", d);
  CHECK(c.confidence > 0.9 && c.confidence <= 1);
  CHECK(c.what == TRUCE_WHAT_EXPLOSION);
  truce_fuse_free(f);
}

/* Two explosions 5 km apart at the same time, cameras placed precisely:
 * two incidents. The same place 30 minutes apart: two. */
static const hobs apart[] = {
    {"camera-1", "{\"what\":\"explosion\",\"time\":\"2026-11-01T10:00:00Z\","
                 "\"where\":{\"lat\":48.5,\"lon\":38.0,\"uncertainty_m\":100},"
                 "\"means\":\"camera\"}"},
    {"camera-2", "{\"what\":\"explosion\",\"time\":\"2026-11-01T10:00:00Z\","
                 "\"where\":{\"lat\":48.545,\"lon\":38.0,\"uncertainty_m\":"
                 "100},\"means\":\"camera\"}"},
    {"camera-1", "{\"what\":\"explosion\",\"time\":\"2026-11-01T10:30:00Z\","
                 "\"where\":{\"lat\":48.5,\"lon\":38.0,\"uncertainty_m\":100},"
                 "\"means\":\"camera\"}"},
    {"patrol-1", "{\"what\":\"explosion\",\"time\":\"2026-11-01T10:30:20Z\","
                 "\"precision_s\":60,\"where\":{\"lat\":48.5005,\"lon\":"
                 "38.0005,\"uncertainty_m\":300},\"means\":\"audio\"}"},
};

TEST(test_apart_in_space_and_time) {
  truce_fusion *f = fuse_hand(apart, 4, NULL);
  if (!f)
    return;
  CHECK_EQ_U64(truce_fuse_count(f), 3);
  truce_incident c;
  CHECK_OK(truce_fuse_incident(f, 2, &c));
  CHECK_STR(c.id, "12.0"); /* the 10:30 one, with the patrol */
  CHECK_EQ_U64(c.nobs, 2);
  truce_fuse_free(f);
}

/* A news report 20 km off: joins the camera's incident only if its
 * radius covers the distance. */
TEST(test_news_report_far) {
  static const char cam[] =
      "{\"what\":\"explosion\",\"time\":\"2026-11-01T10:00:00Z\","
      "\"where\":{\"lat\":48.5,\"lon\":38.0,\"uncertainty_m\":50},"
      "\"means\":\"camera\"}";
  hobs h[2] = {{"camera-1", cam},
               {"news-1",
                "{\"what\":\"explosion\",\"time\":\"2026-11-01T10:00:00Z\","
                "\"precision_s\":3600,\"where\":{\"lat\":48.68,\"lon\":38.0,"
                "\"uncertainty_m\":2000},\"means\":\"report\"}"}};
  truce_fusion *f = fuse_hand(h, 2, NULL);
  if (f)
    CHECK_EQ_U64(truce_fuse_count(f), 2);
  truce_fuse_free(f);
  h[1].json = "{\"what\":\"explosion\",\"time\":\"2026-11-01T10:00:00Z\","
              "\"precision_s\":3600,\"where\":{\"lat\":48.68,\"lon\":38.0,"
              "\"uncertainty_m\":25000},\"means\":\"report\"}";
  f = fuse_hand(h, 2, NULL);
  if (f) {
    CHECK_EQ_U64(truce_fuse_count(f), 1);
    truce_incident c;
    CHECK_OK(truce_fuse_incident(f, 0, &c));
    /* the camera places it: the report barely moves it */
    CHECK(dist_m(c.where.lat_deg, c.where.lon_deg, 48.5, 38.0) < 50);
  }
  truce_fuse_free(f);
}

/* weapon_seen joins only the same class and system. */
TEST(test_weapons_by_class) {
  hobs h[3] = {
      {"patrol-1", "{\"what\":\"weapon_seen\",\"time\":\"2026-11-01T10:00:00Z"
                   "\",\"where\":{\"lat\":48.5,\"lon\":38.0,\"uncertainty_m\":"
                   "100},\"weapon\":{\"system\":\"2S1\"},\"means\":\"visual\"}"},
      {"patrol-2", "{\"what\":\"weapon_seen\",\"time\":\"2026-11-01T10:01:00Z"
                   "\",\"where\":{\"lat\":48.5,\"lon\":38.0,\"uncertainty_m\":"
                   "100},\"weapon\":{\"system\":\"Gvozdika\"},\"means\":"
                   "\"visual\"}"},
      {"patrol-3", "{\"what\":\"weapon_seen\",\"time\":\"2026-11-01T10:01:00Z"
                   "\",\"where\":{\"lat\":48.5,\"lon\":38.0,\"uncertainty_m\":"
                   "100},\"weapon\":{\"class\":\"tank\"},\"means\":"
                   "\"visual\"}"}};
  truce_fusion *f = fuse_hand(h, 3, NULL);
  if (f)
    CHECK_EQ_U64(truce_fuse_count(f), 2);
  truce_fuse_free(f);
}

/* ---- the simulator's scenario ---- */

static char simdir[128];
static score_input *sim_in;

static void sim_setup(void) {
  snprintf(simdir, sizeof simdir, "/tmp/truce-test-fuse-XXXXXX");
  if (!mkdtemp(simdir))
    return;
  char dir[256], err[TRUCE_ERR_MAX];
  snprintf(dir, sizeof dir, "%s/sim", simdir);
  truce_sim_config c;
  truce_sim_config_init(&c);
  truce_err rc = truce_sim_run(&c, dir, (int64_t)time(NULL) * 1000, NULL, err);
  CHECK_MSG(rc == TRUCE_OK, "%s", err);
  if (rc)
    return;
  rc = score_load(dir, &sim_in, err);
  CHECK_MSG(rc == TRUCE_OK, "%s", err);
}

TEST(test_sim_default_floors) {
  if (!sim_in)
    SKIP("the simulator's scenario did not load");
  truce_fusion *f = NULL;
  CHECK_OK(truce_fuse_new(NULL, &f));
  if (!f)
    return;
  CHECK_OK(score_feed(sim_in, f, NULL));
  CHECK_MSG(truce_fuse_run(f) == TRUCE_OK, "%s", truce_fuse_errmsg(f));
  score_result r;
  CHECK_OK(score_fusion(sim_in, f, &r));
  fprintf(stderr,
          "default scenario: %zu observations -> %zu incidents (%zu "
          "corroborated); precision %.4f over corroborated, %.4f over all; "
          "recall %.4f; merges %zu; triangulated %zu, median error %.0f m\n",
          r.nobs, r.nincidents, r.ncorroborated, r.precision_corroborated,
          r.precision, r.recall, r.merges, r.ntri, r.tri_median_m);
  /* The floor is on corroborated incidents: single uncorroborated false
   * reports (3% of each source's) cannot be told from true ones. */
  CHECK(r.precision_corroborated >= 0.95);
  CHECK(r.recall >= 0.95);
  CHECK(r.merges == 0);
  CHECK(r.ntri == 0 || r.tri_median_m <= 300);
  truce_fuse_free(f);
}

/* Three observers at +-2 degrees around random events: the median
 * triangulation error. */
TEST(test_triangulation_floor) {
  double errs[401];
  size_t n = 0;
  for (int k = 0; k < 401; k++) {
    double lat = 48 + (double)(rnd() % 1000) / 1000,
           lon = 37 + (double)(rnd() % 1000) / 1000;
    truce_fusion *f = NULL;
    CHECK_OK(truce_fuse_new(NULL, &f));
    if (!f)
      return;
    for (int i = 0; i < 3; i++) {
      /* observers 3-8 km away, around the event */
      double az = i * 120 + (double)(rnd() % 60), d = 3000 + (double)(rnd() % 5000);
      truce_obs o;
      memset(&o, 0, sizeof o);
      o.what = TRUCE_WHAT_EXPLOSION;
      o.count = 1;
      o.t_ms = o.t_end_ms = 1790000000000;
      o.precision_s = 60;
      o.where_kind = TRUCE_WHERE_BEARING;
      o.means = TRUCE_MEANS_AUDIO;
      /* the observer at distance d along az from the event */
      double olat = lat + d * cos(az * M_PI / 180) / 111200,
             olon = lon + d * sin(az * M_PI / 180) /
                              (111320 * cos(lat * M_PI / 180));
      double back, a2;
      truce_geodesic_inverse(olat, olon, lat, lon, &back, &a2, NULL);
      /* normal error, sigma 1 degree (+-2 at 95%) */
      double u1 = ((double)(rnd() >> 11) + 1) / 9007199254740993.0,
             u2 = (double)(rnd() >> 11) / 9007199254740992.0;
      double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
      o.lat_deg = olat;
      o.lon_deg = olon;
      o.bearing_deg = fmod(a2 + z * 1.0 + 720, 360);
      o.bearing_spread_deg = 2;
      truce_source s;
      char name[16];
      snprintf(name, sizeof name, "obs-%d", i);
      mksrc(name, TRUCE_MEANS_AUDIO, 0.8, &s);
      uint32_t sid;
      CHECK_OK(truce_fuse_source(f, &s, &sid));
      CHECK_OK(truce_fuse_add(f, &o, (uint64_t)i, 0, sid));
    }
    CHECK_OK(truce_fuse_run(f));
    truce_incident c;
    if (truce_fuse_count(f) == 1 && truce_fuse_incident(f, 0, &c) == 0 &&
        c.triangulated)
      errs[n++] = dist_m(c.where.lat_deg, c.where.lon_deg, lat, lon);
    truce_fuse_free(f);
  }
  CHECK_MSG(n >= 390, "only %zu of 401 triangulated", n);
  double med = score_median(errs, n);
  fprintf(stderr, "three observers at +-2 deg: median error %.0f m over %zu\n",
          med, n);
  CHECK(med <= 300);
}

/* ---- determinism ---- */

TEST(test_shuffled_same_incidents) {
  if (!sim_in)
    SKIP("the simulator's scenario did not load");
  truce_buf a, b;
  truce_buf_init(&a, 1 << 26);
  truce_buf_init(&b, 1 << 26);
  for (int round = 0; round < 3; round++) {
    truce_fusion *f = NULL;
    CHECK_OK(truce_fuse_new(NULL, &f));
    if (!f)
      break;
    uint64_t s = round ? rnd() : 0; /* 0: in file order */
    CHECK_OK(score_feed(sim_in, f, round ? &s : NULL));
    CHECK_OK(truce_fuse_run(f));
    truce_buf *d = round ? &b : &a;
    d->len = 0;
    dump(f, d);
    truce_fuse_free(f);
    if (round)
      CHECK_MSG(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
                "shuffle %d gives different incidents", round);
  }
  truce_buf_release(&a);
  truce_buf_release(&b);
  /* and the hand-built case in every order */
  size_t perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                        {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  truce_buf first;
  truce_buf_init(&first, 1 << 20);
  for (int p = 0; p < 6; p++) {
    truce_fusion *f = fuse_hand(one_explosion, 3, perms[p]);
    if (!f)
      continue;
    truce_buf d;
    truce_buf_init(&d, 1 << 20);
    dump(f, &d);
    if (p == 0)
      truce_buf_append(&first, d.data, d.len);
    else
      CHECK(d.len == first.len && memcmp(d.data, first.data, d.len) == 0);
    truce_buf_release(&d);
    truce_fuse_free(f);
  }
  truce_buf_release(&first);
}

/* ---- allocation failures ---- */

TEST(test_alloc_failures) {
  /* Fail each allocation in turn: a clean error, never a crash or a
   * leak (ASan checks the leaks). */
  int failed_ok = 0;
  for (uint64_t n = 1; n < 400; n++) {
    truce_test_fail_alloc(n);
    truce_fusion *f = NULL;
    truce_err rc = truce_fuse_new(NULL, &f);
    truce_obs *o = malloc(sizeof *o);
    char err[TRUCE_ERR_MAX];
    for (size_t i = 0; !rc && i < 3; i++) {
      truce_source s;
      mksrc(one_explosion[i].source, TRUCE_MEANS_AUDIO, 0.9, &s);
      uint32_t sid;
      rc = truce_fuse_source(f, &s, &sid);
      if (!rc)
        rc = truce_obs_parse(one_explosion[i].json,
                             strlen(one_explosion[i].json),
                             (int64_t)time(NULL) * 1000, o, err);
      if (!rc)
        rc = truce_fuse_add(f, o, i, 0, sid);
    }
    if (!rc)
      rc = truce_fuse_run(f);
    truce_incident c;
    if (!rc && truce_fuse_count(f))
      rc = truce_fuse_incident(f, 0, &c);
    truce_test_fail_alloc(0);
    free(o);
    truce_fuse_free(f);
    if (rc == TRUCE_OK) {
      failed_ok = 1;
      break; /* n is past the last allocation */
    }
    CHECK_MSG(rc == TRUCE_ENOMEM, "allocation %" PRIu64 ": %s", n,
              truce_strerror(rc));
  }
  CHECK(failed_ok);
}

/* ---- the index ---- */

static int collect_jsonl(void *ctx, const truce_incident *c) {
  truce_buf *b = ctx;
  CHECK_OK(truce_incident_format(c, TRUCE_FORMAT_JSONL, b));
  return 0;
}

static size_t query_count(truce_index *ix, const truce_incident_query *q) {
  truce_buf b;
  truce_buf_init(&b, 1 << 24);
  CHECK_OK(truce_index_query(ix, q, collect_jsonl, &b));
  size_t n = 0;
  for (size_t i = 0; i < b.len; i++)
    n += b.data[i] == '\n';
  truce_buf_release(&b);
  return n;
}

static truce_skey admin_key;

static void mkkey(const char *name, uint8_t v, truce_skey *k) {
  uint8_t sd[32];
  memset(sd, v, 32);
  char err[TRUCE_ERR_MAX];
  if (truce_skey_from_seed(name, TRUCE_KEY_ED25519, sd, k, err))
    fprintf(stderr, "%s\n", err);
}

/* Assessment judges incidents: the explosion seen four times is one
 * ceasefire violation with four observations as evidence. */
static const char terms_json[] =
    "{\"truce_terms\": 1, \"id\": \"fuse-world\", \"title\": \"t\","
    " \"parties\": [{\"id\": \"ua\", \"name\": \"U\"}, {\"id\": \"ru\","
    " \"name\": \"R\"}], \"start\": {\"time\": \"2026-10-01T00:00:00Z\","
    " \"zone\": \"Europe/Kyiv\"}, \"lines\": [{\"id\": \"contact\","
    " \"party\": \"ua\", \"geometry\": {\"type\": \"LineString\","
    " \"coordinates\": [[38.2, 49.0], [38.2, 48.0]]}, \"sides\": {\"ua\":"
    " \"right\", \"ru\": \"left\"}}], \"control\": [{\"id\": \"w\","
    " \"party\": \"ua\", \"line\": \"contact\", \"side\": \"right\"},"
    " {\"id\": \"e\", \"party\": \"ru\", \"line\": \"contact\", \"side\":"
    " \"left\"}], \"rules\": [{\"id\": \"ceasefire\", \"type\":"
    " \"ceasefire\", \"what\": \"fire\"}]}";

static int count_violation(void *ctx, const truce_violation *v) {
  size_t *n = ctx;
  n[0]++;
  if (v->nevidence > n[1])
    n[1] = v->nevidence;
  return 0;
}

static void assess_incidents(truce_log *lg) {
  truce_terms_ref ref;
  CHECK_OK(truce_log_terms_add(lg, &admin_key, terms_json, strlen(terms_json),
                               (int64_t)time(NULL) * 1000, &ref));
  truce_terms *t = NULL;
  char err[TRUCE_ERR_MAX];
  CHECK_MSG(truce_terms_parse(terms_json, strlen(terms_json), &t, err) == 0,
            "%s", err);
  if (!t)
    return;
  size_t n[2] = {0, 0};
  int64_t from = 0, to = 0;
  truce_time_parse("2026-11-01T00:00:00Z", 20, &from);
  truce_time_parse("2026-11-02T00:00:00Z", 20, &to);
  CHECK_MSG(truce_assess(lg, t, &ref, from, to, count_violation, n, err) ==
                TRUCE_OK,
            "%s", err);
  CHECK_EQ_U64(n[0], 3); /* seven observations, three incidents */
  CHECK_EQ_U64(n[1], 4); /* the explosion, with all four as evidence */
  truce_terms_free(t);
}

TEST(test_index_round_trip) {
  char root[64], dir[128], path[TRUCE_INDEX_PATH_MAX], err[TRUCE_ERR_MAX];
  snprintf(root, sizeof root, "/tmp/truce-test-index-XXXXXX");
  if (!mkdtemp(root))
    SKIP("no temporary folder");
  snprintf(dir, sizeof dir, "%s/log", root);
  truce_skey logkey, keys[4];
  mkkey("fuse.example/log", 1, &logkey);
  mkkey("fuse.example/admin", 2, &admin_key);
  const char *names[4] = {"patrol-1", "patrol-2", "camera-1", "camera-2"};
  for (int i = 0; i < 4; i++)
    mkkey(names[i], (uint8_t)(3 + i), &keys[i]);
  truce_log_info info;
  memset(&info, 0, sizeof info);
  snprintf(info.origin, sizeof info.origin, "fuse.example/log");
  info.log_key = logkey.vkey;
  info.admin_key = admin_key.vkey;
  truce_log *lg = NULL;
  CHECK_OK(truce_log_create(dir, &info, err));
  CHECK_OK(truce_log_open(dir, 0, &lg, err));
  if (!lg)
    return;
  int64_t now = (int64_t)time(NULL) * 1000;
  for (int i = 0; i < 4; i++) {
    truce_source s;
    mksrc(names[i], means_of(names[i]), 0.9, &s);
    s.key = keys[i].vkey;
    if (i == 3) /* a party's own camera */
      snprintf(s.party, sizeof s.party, "ua");
    CHECK_OK(truce_log_source_add(lg, &admin_key, &s, now, NULL));
  }
  /* the three observers of one explosion, then the two places */
  const hobs *all[7] = {&one_explosion[0], &one_explosion[1],
                        &one_explosion[2], &apart[0], &apart[1], &apart[2],
                        &apart[3]};
  for (int i = 0; i < 7; i++) {
    int k = 0;
    while (k < 3 && strcmp(names[k], all[i]->source) != 0)
      k++;
    if (i == 4)
      k = 3; /* camera-2 */
    CHECK_OK(truce_log_submit(lg, &keys[k], all[i]->json,
                              strlen(all[i]->json), now, NULL, NULL));
  }
  CHECK_OK(truce_log_checkpoint(lg, &logkey, NULL));
  truce_index_default_path(dir, path);
  truce_index *ix = NULL;
  CHECK_OK(truce_index_open(path, TRUCE_INDEX_CREATE, &ix, err));
  truce_fusion *f = NULL;
  CHECK_OK(truce_fuse_new(NULL, &f));
  uint64_t size = 0;
  CHECK_OK(truce_fuse_from_log(f, lg, INT64_MIN, INT64_MAX, &size));
  CHECK_OK(truce_fuse_run(f));
  /* apart[0] is the explosion the three observers saw: it joins them */
  CHECK_EQ_U64(truce_fuse_count(f), 3);
  truce_buf direct, stored, rebuilt;
  truce_buf_init(&direct, 1 << 24);
  truce_buf_init(&stored, 1 << 24);
  truce_buf_init(&rebuilt, 1 << 24);
  dump(f, &direct);
  if (ix) {
    CHECK_OK(truce_index_store(ix, f, size));
    truce_incident_query q;
    truce_incident_query_init(&q);
    CHECK_OK(truce_index_query(ix, &q, collect_jsonl, &stored));
    CHECK_MSG(stored.len == direct.len &&
                  memcmp(stored.data, direct.data, direct.len) == 0,
              "the index gives back other incidents:\n%s\n%s", direct.data,
              stored.data);
    uint64_t ls = 0;
    CHECK_OK(truce_index_log_size(ix, &ls));
    CHECK_EQ_U64(ls, size);
    /* by box: around 48.5N 38.0E, 1 km: the two at that place, not the
     * one 5 km north */
    q.has_bbox = 1;
    q.west_deg = 37.99;
    q.east_deg = 38.01;
    q.south_deg = 48.495;
    q.north_deg = 48.505;
    CHECK_EQ_U64(query_count(ix, &q), 2);
    /* by time */
    truce_incident_query_init(&q);
    truce_time_parse("2026-11-01T10:20:00Z", 20, &q.from_ms);
    truce_time_parse("2026-11-01T11:00:00Z", 20, &q.to_ms);
    CHECK_EQ_U64(query_count(ix, &q), 1);
    /* by kind and party */
    truce_incident_query_init(&q);
    q.what = TRUCE_WHAT_EXPLOSION;
    CHECK_EQ_U64(query_count(ix, &q), 3);
    q.what = TRUCE_WHAT_SHOTS;
    CHECK_EQ_U64(query_count(ix, &q), 0);
    q.what = TRUCE_WHAT_NONE;
    q.party = "ua";
    CHECK_EQ_U64(query_count(ix, &q), 1);
    q.party = "mission";
    CHECK_EQ_U64(query_count(ix, &q), 2);
    /* rebuilt from the log alone: the same rows */
    CHECK_OK(truce_index_rebuild(ix, lg));
    truce_incident_query_init(&q);
    CHECK_OK(truce_index_query(ix, &q, collect_jsonl, &rebuilt));
    CHECK(rebuilt.len == stored.len &&
          memcmp(rebuilt.data, stored.data, stored.len) == 0);
    truce_index_close(ix);
    assess_incidents(lg);
    /* the log still verifies with the index in its folder */
    CHECK_MSG(truce_verify_log(dir, NULL, NULL, NULL, err) == TRUCE_OK, "%s",
              err);
    /* read-only reopen */
    ix = NULL;
    CHECK_OK(truce_index_open(path, 0, &ix, err));
    truce_index_close(ix);
  }
  truce_buf_release(&direct);
  truce_buf_release(&stored);
  truce_buf_release(&rebuilt);
  truce_fuse_free(f);
  truce_log_close(lg);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", root);
}

int main(void) {
  const char *s = getenv("TRUCE_TEST_SEED");
  seed = s && *s ? strtoull(s, NULL, 10) : (uint64_t)time(NULL);
  fprintf(stderr, "test_fuse: seed %" PRIu64 " (TRUCE_TEST_SEED)\n", seed);
  RUN(test_one_explosion_three_observers);
  RUN(test_apart_in_space_and_time);
  RUN(test_news_report_far);
  RUN(test_weapons_by_class);
  RUN(test_triangulation_floor);
  RUN(test_alloc_failures);
  sim_setup();
  RUN(test_sim_default_floors);
  RUN(test_shuffled_same_incidents);
  RUN(test_index_round_trip);
  score_free(sim_in);
  if (simdir[0]) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", simdir);
    if (system(cmd) != 0)
      fprintf(stderr, "could not remove %s\n", simdir);
  }
  return test_done("test_fuse");
}
