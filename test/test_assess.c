/*
 * test_assess.c: the assessment engine on a small world whose answers are
 * known by construction: a line of contact along the meridian 38°E from
 * 49°N down to 48°N (Ukraine holds the west, the other side the east), the
 * other side's own line along 38.2°E, a zone straddling the line, a
 * holding site. Every rule type has cases that breach it and cases that
 * do not; terms are registered in the log and cited; the output is the
 * same byte for byte on every run.
 */
#include "test.h"
#include "truce.h"

#include <jansson.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

static char root[64];
static truce_skey logkey, admin, pat, cam;
static truce_log *lg;
static truce_terms_ref ref;

static const char terms_json[] =
    "{\"truce_terms\": 1, \"id\": \"test-world\", \"title\": \"A test "
    "world\",\n"
    " \"parties\": [{\"id\": \"ua\", \"name\": \"Ukraine\"}, {\"id\": \"ru\","
    " \"name\": \"Other side\"}],\n"
    " \"start\": {\"time\": \"2015-02-15T00:00:00+02:00\", \"zone\": "
    "\"Europe/Kyiv\"},\n"
    " \"lines\": [\n"
    "  {\"id\": \"contact\", \"party\": \"ua\", \"geometry\": {\"type\": "
    "\"LineString\", \"coordinates\": [[38.0, 49.0], [38.0, 48.0]]}, "
    "\"sides\": {\"ua\": \"right\", \"ru\": \"left\"}},\n"
    "  {\"id\": \"memo\", \"party\": \"ru\", \"geometry\": {\"type\": "
    "\"LineString\", \"coordinates\": [[38.2, 49.0], [38.2, 48.0]]}, "
    "\"sides\": {\"ru\": \"left\"}}],\n"
    " \"control\": [\n"
    "  {\"id\": \"ua-west\", \"party\": \"ua\", \"line\": \"contact\", "
    "\"side\": \"right\"},\n"
    "  {\"id\": \"ru-east\", \"party\": \"ru\", \"line\": \"contact\", "
    "\"side\": \"left\"}],\n"
    " \"zones\": [\n"
    "  {\"id\": \"zone-a\", \"name\": \"Zone A\", \"area\": {\"type\": "
    "\"Polygon\", \"coordinates\": [[[37.98, 48.49], [38.02, 48.49], [38.02, "
    "48.51], [37.98, 48.51], [37.98, 48.49]]]}, \"near_km\": 5}],\n"
    " \"sites\": [\n"
    "  {\"id\": \"site-1\", \"name\": \"Storage 1\", \"party\": \"ua\", "
    "\"where\": {\"lat\": 48.9, \"lon\": 36.9, \"radius_m\": 500}, "
    "\"items\": [{\"serial\": \"A-001\", \"system\": \"2S1\"}, {\"serial\": "
    "\"A-002\", \"system\": \"D-30\"}]}],\n"
    " \"rules\": [\n"
    "  {\"id\": \"ceasefire\", \"type\": \"ceasefire\", \"what\": "
    "\"fire\"},\n"
    "  {\"id\": \"artillery\", \"type\": \"withdrawal\", \"weapons\": "
    "{\"classes\": [\"artillery\"], \"calibre_min_mm\": 100}, "
    "\"distance_km\": 25, \"lines\": [\"contact\", \"memo\"]},\n"
    "  {\"id\": \"quiet\", \"type\": \"precondition\", \"zone\": \"zone-a\","
    " \"days\": 7, \"enables\": \"zone-rule\", \"from\": "
    "\"2016-10-01T00:00:00Z\"},\n"
    "  {\"id\": \"zone-rule\", \"type\": \"zone\", \"zone\": [\"zone-a\"], "
    "\"what\": [\"fire\", \"presence\"], \"from\": "
    "\"2016-10-01T00:00:00Z\"},\n"
    "  {\"id\": \"tank-cap\", \"type\": \"cap\", \"weapons\": {\"classes\": "
    "[\"tank\"]}, \"max\": 2, \"window_hours\": 24, \"band_km\": [0, 10], "
    "\"lines\": [\"contact\", \"memo\"]},\n"
    "  {\"id\": \"storage\", \"type\": \"holding\", \"sites\": "
    "[\"site-1\"]}]}\n";

/* The observations: patrol (pat) and camera (cam) lines. Each comment says
 * what the rules must find. */
static const char *pat_lines[] = {
    /* 0: explosions 7.4 km west of the line, fire from the east: a
     * ceasefire breach by ru (the ray crosses into ru's ground). */
    "{\"what\":\"explosion\",\"count\":3,\"time\":\"2016-09-10T10:00:00Z\","
    "\"where\":{\"lat\":48.5,\"lon\":37.9,\"uncertainty_m\":100},"
    "\"weapon\":{\"class\":\"artillery\"},\"fire\":{\"from_deg\":90}}",
    /* 1: the same before the ceasefire: nothing */
    "{\"what\":\"explosion\",\"time\":\"2015-01-10T10:00:00Z\",\"where\":{"
    "\"lat\":48.5,\"lon\":37.9}}",
    /* 2: shots, no direction: a breach, party undetermined */
    "{\"what\":\"shots\",\"count\":20,\"time\":\"2016-09-11T10:00:00Z\","
    "\"where\":{\"lat\":48.3,\"lon\":37.95}}",
    /* 3: a 2S1 (122 mm) 14.7 km behind ua's line: withdrawal, ua */
    "{\"what\":\"weapon_seen\",\"count\":2,\"time\":\"2016-09-12T10:00:00Z\","
    "\"where\":{\"lat\":48.6,\"lon\":37.8},\"weapon\":{\"system\":\"2S1\"}}",
    /* 4: a 2S1 37 km behind: nothing */
    "{\"what\":\"weapon_seen\",\"time\":\"2016-09-12T11:00:00Z\",\"where\":{"
    "\"lat\":48.6,\"lon\":37.5},\"weapon\":{\"system\":\"2S1\"}}",
    /* 5: artillery of unknown calibre 14.7 km behind: undetermined */
    "{\"what\":\"weapon_seen\",\"time\":\"2016-09-12T12:00:00Z\",\"where\":{"
    "\"lat\":48.6,\"lon\":37.8},\"weapon\":{\"class\":\"artillery\"}}",
    /* 6: a system not in the catalogue: kept, flagged, undetermined */
    "{\"what\":\"weapon_seen\",\"time\":\"2016-09-12T13:00:00Z\",\"where\":{"
    "\"lat\":48.6,\"lon\":37.8},\"weapon\":{\"system\":\"Zzyzx-9\"}}",
    /* 7: a bearing and a distance range: the event 2-4 km east of the
     * patrol, fire from the east: ru */
    "{\"what\":\"explosion\",\"time\":\"2016-09-13T10:00:00Z\",\"where\":{"
    "\"observer\":{\"lat\":48.5,\"lon\":37.7},\"bearing_deg\":90,"
    "\"spread_deg\":5,\"dist_min_m\":2000,\"dist_max_m\":4000},\"fire\":{"
    "\"from_deg\":90}}",
    /* 8, 9: tanks 5 km behind ua's line: 2 seen twice by the patrol (the
     * same two), then (cam, below) 1 more: 3 > 2 within 24 h */
    "{\"what\":\"weapon_seen\",\"count\":2,\"time\":\"2016-09-20T08:00:00Z\","
    "\"where\":{\"lat\":48.55,\"lon\":37.933},\"weapon\":{\"class\":"
    "\"tank\"}}",
    "{\"what\":\"weapon_seen\",\"count\":2,\"time\":\"2016-09-20T09:00:00Z\","
    "\"where\":{\"lat\":48.55,\"lon\":37.933},\"weapon\":{\"class\":"
    "\"tank\"}}",
    /* 10: zone A, shots inside on 3 October: the precondition (7 quiet
     * days from 1 October) restarts; a ceasefire breach only */
    "{\"what\":\"shots\",\"time\":\"2016-10-03T10:00:00Z\",\"where\":{"
    "\"lat\":48.5,\"lon\":38.0}}",
    /* 11: shots inside on 12 October: the zone rule is in force (met on
     * 10 October): inside */
    "{\"what\":\"shots\",\"time\":\"2016-10-12T10:00:00Z\",\"where\":{"
    "\"lat\":48.5,\"lon\":38.01}}",
    /* 12: an explosion 3 km north of the zone: near */
    "{\"what\":\"explosion\",\"time\":\"2016-10-13T10:00:00Z\",\"where\":{"
    "\"lat\":48.537,\"lon\":38.0}}",
    /* 13: a visit to site 1 finds A-001 only: A-002 is missing */
    "{\"what\":\"site_visit\",\"time\":\"2016-11-01T10:00:00Z\",\"where\":{"
    "\"lat\":48.9,\"lon\":36.9},\"site\":\"site-1\",\"serials\":[\"A-001\"]}",
    /* 14: A-001 seen far from its site, beyond the withdrawal line:
     * outside designated storage */
    "{\"what\":\"weapon_seen\",\"time\":\"2016-11-05T10:00:00Z\",\"where\":{"
    "\"lat\":48.9,\"lon\":36.5},\"weapon\":{\"system\":\"2S1\"},"
    "\"serials\":[\"A-001\"]}",
    /* 15: A-001 at its site: nothing */
    "{\"what\":\"weapon_seen\",\"time\":\"2016-11-06T10:00:00Z\",\"where\":{"
    "\"lat\":48.9,\"lon\":36.9},\"weapon\":{\"system\":\"2S1\"},"
    "\"serials\":[\"A-001\"]}",
};

static const char *cam_lines[] = {
    /* 0: a muzzle flash on ru's ground: ru */
    "{\"what\":\"muzzle_flash\",\"time\":\"2016-09-10T11:00:00Z\",\"where\":{"
    "\"lat\":48.5,\"lon\":38.1}}",
    /* 1: a D-30 (122 mm) 7.4 km east of ru's own line: withdrawal, ru */
    "{\"what\":\"weapon_seen\",\"time\":\"2016-09-12T14:00:00Z\",\"where\":{"
    "\"lat\":48.6,\"lon\":38.3},\"weapon\":{\"system\":\"D-30\"}}",
    /* 2: the third tank within 24 h */
    "{\"what\":\"weapon_seen\",\"time\":\"2016-09-20T10:00:00Z\",\"where\":{"
    "\"lat\":48.56,\"lon\":37.94},\"weapon\":{\"class\":\"tank\"}}",
    /* 4 (after 3): a D-30 on ru's ground between the contact line and ru's
     * own line, in front of it: inside the security zone, ru */
    /* 3: a tank 30 h later: a new window, under the cap */
    "{\"what\":\"weapon_seen\",\"time\":\"2016-09-21T16:00:00Z\",\"where\":{"
    "\"lat\":48.56,\"lon\":37.94},\"weapon\":{\"class\":\"tank\"}}",
    "{\"what\":\"weapon_seen\",\"time\":\"2016-09-22T10:00:00Z\",\"where\":{"
    "\"lat\":48.6,\"lon\":38.1},\"weapon\":{\"system\":\"D-30\"}}",
};

static void mkkey(const char *name, uint8_t b, truce_skey *k) {
  uint8_t seed[32];
  memset(seed, b, 32);
  char err[TRUCE_ERR_MAX];
  if (truce_skey_from_seed(name, TRUCE_KEY_ED25519, seed, k, err))
    fprintf(stderr, "%s\n", err);
}

static void add_source(const truce_skey *k) {
  truce_source s;
  memset(&s, 0, sizeof s);
  s.key = k->vkey;
  snprintf(s.name, sizeof s.name, "%s", k->vkey.name);
  snprintf(s.party, sizeof s.party, "mission");
  s.means = TRUCE_MEANS_VISUAL;
  s.reliability = 0.9;
  CHECK_OK(truce_log_source_add(lg, &admin, &s, (int64_t)time(NULL) * 1000,
                                NULL));
}

/* Submit lines as one batch; returns its entry index. */
static uint64_t submit(const truce_skey *k, const char **lines, size_t n) {
  uint64_t first = 0;
  truce_buf b;
  truce_buf_init(&b, 1 << 20);
  for (size_t i = 0; i < n; i++)
    truce_buf_appendf(&b, "%s\n", lines[i]);
  truce_err rc = truce_log_submit(lg, k, b.data, b.len,
                                  (int64_t)time(NULL) * 1000, &first, NULL);
  CHECK_MSG(rc == TRUCE_OK, "%s", truce_log_errmsg(lg));
  truce_buf_release(&b);
  return first;
}

static void setup(void) {
  snprintf(root, sizeof root, "/tmp/truce-test-assess-XXXXXX");
  if (!mkdtemp(root))
    return;
  char dir[128];
  snprintf(dir, sizeof dir, "%s/log", root);
  mkkey("assess.example/log", 1, &logkey);
  mkkey("assess.example/admin", 2, &admin);
  mkkey("patrol-1", 3, &pat);
  mkkey("camera-1", 4, &cam);
  truce_log_info info;
  memset(&info, 0, sizeof info);
  snprintf(info.origin, sizeof info.origin, "assess.example/log");
  info.log_key = logkey.vkey;
  info.admin_key = admin.vkey;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_log_create(dir, &info, err));
  CHECK_OK(truce_log_open(dir, 0, &lg, err));
  CHECK_OK(truce_log_terms_add(lg, &admin, terms_json, strlen(terms_json),
                               (int64_t)time(NULL) * 1000, &ref));
  add_source(&pat);
  add_source(&cam);
  submit(&pat, pat_lines, sizeof pat_lines / sizeof *pat_lines);
  submit(&cam, cam_lines, sizeof cam_lines / sizeof *cam_lines);
}

/* Findings collected as JSON lines. */
typedef struct collected {
  truce_buf jsonl, csv, geojson;
  size_t n;
} collected;

static int collect(void *ctx, const truce_violation *v) {
  collected *c = ctx;
  CHECK_OK(truce_violation_format(v, TRUCE_FORMAT_JSONL, &c->jsonl));
  CHECK_OK(truce_violation_format(v, TRUCE_FORMAT_CSV, &c->csv));
  if (c->n)
    truce_buf_append(&c->geojson, ",", 1);
  CHECK_OK(truce_violation_format(v, TRUCE_FORMAT_GEOJSON, &c->geojson));
  c->n++;
  return 0;
}

static truce_err assess_terms(const char *terms_id, int64_t from, int64_t to,
                              collected *c) {
  memset(c, 0, sizeof *c);
  truce_buf_init(&c->jsonl, 1 << 22);
  truce_buf_init(&c->csv, 1 << 22);
  truce_buf_init(&c->geojson, 1 << 22);
  static const char head[] = "{\"type\":\"FeatureCollection\",\"features\":[";
  truce_buf_append(&c->geojson, head, strlen(head));
  truce_buf text;
  truce_buf_init(&text, 1 << 20);
  truce_terms_ref r;
  CHECK_OK(truce_log_terms_get(lg, terms_id, 0, &r, &text));
  truce_terms *t = NULL;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_terms_parse(text.data, text.len, &t, err));
  truce_err rc = truce_assess(lg, t, &r, from, to, collect, c, err);
  truce_buf_append(&c->geojson, "]}", 2);
  truce_terms_free(t);
  truce_buf_release(&text);
  return rc;
}

static truce_err assess(int64_t from, int64_t to, collected *c) {
  return assess_terms("test-world", from, to, c);
}

static void release(collected *c) {
  truce_buf_release(&c->jsonl);
  truce_buf_release(&c->csv);
  truce_buf_release(&c->geojson);
}

static int64_t at(const char *s) {
  int64_t t = 0;
  truce_time_parse(s, strlen(s), &t);
  return t;
}

/* The findings of one rule and category (and party, if given), as parsed
 * JSON objects. */
static size_t count(const collected *c, const char *rule, const char *cat,
                    const char *party, json_t **first) {
  size_t n = 0;
  if (first)
    *first = NULL;
  const char *p = c->jsonl.data;
  while (p && *p) {
    const char *nl = strchr(p, '\n');
    json_t *j = json_loadb(p, (size_t)(nl - p), 0, NULL);
    CHECK(j != NULL);
    if (j && strcmp(json_string_value(json_object_get(j, "rule")), rule) ==
                 0 &&
        strcmp(json_string_value(json_object_get(j, "category")), cat) ==
            0 &&
        (!party ||
         strcmp(json_string_value(json_object_get(j, "party")), party) ==
             0)) {
      n++;
      if (first && !*first) {
        *first = j;
        j = NULL;
      }
    }
    json_decref(j);
    p = nl + 1;
  }
  return n;
}

static const char *evidence_cite(json_t *f, size_t i) {
  return json_string_value(
      json_object_get(json_array_get(json_object_get(f, "evidence"), i),
                      "cite"));
}

TEST(every_rule_type) {
  collected c;
  CHECK_OK(assess(at("2014-01-01T00:00:00Z"), at("2017-01-01T00:00:00Z"),
                  &c));
  json_t *f;
  /* Ceasefire: fire after the start only; ru by the direction of fire
   * (entry 3 is the patrol's batch: 0 terms, 1-2 sources). */
  CHECK_EQ_U64(count(&c, "ceasefire", "fire", "ru", &f), 3);
  CHECK_STR(evidence_cite(f, 0), "3:0");
  CHECK_CONTAINS(json_string_value(json_object_get(f, "reason")),
                 "fire came from 90 deg, from ground held by ru");
  json_decref(f);
  CHECK_EQ_U64(count(&c, "ceasefire", "fire", "undetermined", &f), 4);
  CHECK_STR(evidence_cite(f, 0), "3:2");
  CHECK_STR(json_string_value(json_object_get(f, "reason")),
            "direction of fire not reported");
  json_decref(f);
  /* 2015 explosion (3:1) is not a breach. */
  CHECK(!strstr(c.jsonl.data, "\"3:1\""));

  /* Withdrawal: the 2S1 14.7 km behind ua's line; the D-30 east of ru's
   * own line; unknown calibre and unknown system undetermined. */
  CHECK_EQ_U64(count(&c, "artillery", "presence", "ua", &f), 1);
  CHECK_STR(evidence_cite(f, 0), "3:3");
  CHECK_STR(json_string_value(json_object_get(f, "line")), "contact");
  double d = json_real_value(json_object_get(f, "dist_m")), ref_d;
  truce_geodesic_inverse(48.6, 37.8, 48.6, 38.0, &ref_d, NULL, NULL);
  /* The foot of the perpendicular is within metres of the same latitude:
   * the distance along the parallel bounds it from above, closely. */
  CHECK_MSG(d <= ref_d + 0.1 && d > ref_d - 50, /* printed to 0.1 m */ "%f vs %f", d, ref_d);
  json_decref(f);
  CHECK_EQ_U64(count(&c, "artillery", "presence", "ru", &f), 2);
  CHECK_STR(json_string_value(json_object_get(f, "line")), "memo");
  CHECK_STR(evidence_cite(f, 0), "4:1");
  json_decref(f);
  /* The second: in front of ru's own line, on ground ru holds. */
  CHECK_CONTAINS(c.jsonl.data, "in front of its own line");
  CHECK_CONTAINS(c.jsonl.data, "\"4:4\"");
  CHECK_EQ_U64(count(&c, "artillery", "presence", "undetermined", &f), 2);
  CHECK_CONTAINS(json_string_value(json_object_get(f, "reason")),
                 "calibre not known");
  json_decref(f);
  CHECK_CONTAINS(c.jsonl.data, "Zzyzx-9 (system not in the catalogue)");
  CHECK(!strstr(c.jsonl.data, "\"3:4\"")); /* 37 km behind: compliant */

  /* Cap: 3 tanks within 24 h (the patrol's two reports, an hour apart at
   * one place, are the same two tanks; the camera's tank 1.2 km away is
   * another), one finding with the three reports; the tank 30 h later is
   * under the cap. */
  CHECK_EQ_U64(count(&c, "tank-cap", "over_cap", "ua", &f), 1);
  json_t *ev = json_object_get(f, "evidence");
  CHECK_EQ_U64(json_array_size(ev), 3);
  CHECK_STR(evidence_cite(f, 2), "4:2");
  CHECK_CONTAINS(json_string_value(json_object_get(f, "detail")),
                 "3 weapons within 24 h (at most 2) in 2 groups");
  json_decref(f);

  /* Zone: shots on 3 October restart the 7 quiet days (not a zone breach:
   * the rule is not in force yet); 12 October inside; 13 October near. */
  CHECK_EQ_U64(count(&c, "zone-rule", "inside", NULL, &f), 1);
  CHECK_STR(evidence_cite(f, 0), "3:11");
  json_decref(f);
  CHECK_EQ_U64(count(&c, "zone-rule", "near", NULL, &f), 1);
  CHECK_STR(evidence_cite(f, 0), "3:12");
  d = json_real_value(json_object_get(f, "dist_m"));
  CHECK_MSG(d > 2800 && d < 3100, "%f", d);
  json_decref(f);

  /* Holding: A-002 missing on the visit; A-001 outside storage once. */
  CHECK_EQ_U64(count(&c, "storage", "missing", "ua", &f), 1);
  CHECK_CONTAINS(json_string_value(json_object_get(f, "detail")),
                 "serial A-002 not found");
  json_decref(f);
  CHECK_EQ_U64(count(&c, "storage", "outside_storage", "ua", &f), 1);
  CHECK_STR(evidence_cite(f, 0), "3:14");
  json_decref(f);

  /* Every finding cites the terms entry. */
  CHECK_CONTAINS(c.jsonl.data,
                 "\"terms\":{\"id\":\"test-world\",\"version\":1,\"entry\":0}");
  /* The muzzle flash (camera 4:0) is on ru's ground. */
  CHECK(count(&c, "ceasefire", "fire", "ru", NULL) == 3);

  /* The other formats: a CSV row per finding, valid GeoJSON. */
  size_t rows = 0;
  for (const char *p = c.csv.data; p && *p; p++)
    rows += *p == '\n';
  CHECK_EQ_U64(rows, c.n);
  json_t *g = json_loadb(c.geojson.data, c.geojson.len, 0, NULL);
  CHECK(g != NULL);
  CHECK_EQ_U64(json_array_size(json_object_get(g, "features")), c.n);
  json_decref(g);
  /* no incident here has a firing position: no such member */
  CHECK(c.n > 0 && !strstr(c.jsonl.data, "fire_lat") &&
        !strstr(c.jsonl.data, "fire_ellipse"));
  release(&c);
}

TEST(precondition_not_met) {
  /* Over a period that ends before the quiet days are reached. */
  collected c;
  CHECK_OK(assess(at("2016-10-01T00:00:00Z"), at("2016-10-08T00:00:00Z"),
                  &c));
  json_t *f;
  CHECK_EQ_U64(count(&c, "quiet", "not_met", NULL, &f), 1);
  CHECK_STR(evidence_cite(f, 0), "3:10");
  json_decref(f);
  release(&c);
  /* Over the whole period it is met: no such finding. */
  CHECK_OK(assess(at("2016-09-01T00:00:00Z"), at("2017-01-01T00:00:00Z"),
                  &c));
  CHECK_EQ_U64(count(&c, "quiet", "not_met", NULL, NULL), 0);
  release(&c);
}

TEST(deterministic) {
  collected a, b;
  CHECK_OK(assess(at("2014-01-01T00:00:00Z"), at("2017-01-01T00:00:00Z"),
                  &a));
  CHECK_OK(assess(at("2014-01-01T00:00:00Z"), at("2017-01-01T00:00:00Z"),
                  &b));
  CHECK(a.n > 10);
  CHECK(a.jsonl.len == b.jsonl.len &&
        memcmp(a.jsonl.data, b.jsonl.data, a.jsonl.len) == 0);
  CHECK(a.csv.len == b.csv.len &&
        memcmp(a.csv.data, b.csv.data, a.csv.len) == 0);
  release(&a);
  release(&b);
}

TEST(terms_in_the_log) {
  /* A new version of the same terms gets version 2; both stay readable. */
  truce_terms_ref r2;
  CHECK_OK(truce_log_terms_add(lg, &admin, terms_json, strlen(terms_json),
                               (int64_t)time(NULL) * 1000, &r2));
  CHECK_EQ_U64(r2.version, 2);
  truce_terms_ref r;
  truce_buf t;
  truce_buf_init(&t, 1 << 20);
  CHECK_OK(truce_log_terms_get(lg, "test-world", 1, &r, &t));
  CHECK_EQ_U64(r.index, ref.index);
  CHECK_OK(truce_log_terms_get(lg, "test-world", 0, &r, NULL));
  CHECK_EQ_U64(r.version, 2);
  CHECK_RC(truce_log_terms_get(lg, "no-such", 0, &r, NULL), TRUCE_ENOTFOUND);
  /* Invalid terms are refused and nothing is written. */
  uint64_t before, after;
  CHECK_OK(truce_log_size(lg, &before));
  CHECK_RC(truce_log_terms_add(lg, &admin, "{\"truce_terms\": 1}", 17,
                               (int64_t)time(NULL) * 1000, NULL),
           TRUCE_EPARSE);
  CHECK_RC(truce_log_terms_add(lg, &pat, terms_json, strlen(terms_json),
                               (int64_t)time(NULL) * 1000, NULL),
           TRUCE_ENOKEY);
  CHECK_OK(truce_log_size(lg, &after));
  CHECK_EQ_U64(before, after);
  truce_buf_release(&t);
  /* The whole log, terms entries included, verifies. */
  char err[TRUCE_ERR_MAX], dir[128];
  snprintf(dir, sizeof dir, "%s/log", root);
  CHECK_OK(truce_log_checkpoint(lg, &logkey, NULL));
  CHECK_OK(truce_verify_log(dir, NULL, NULL, NULL, err));
}

/* A weapon seen twice within a minute, by the patrol and the camera, is
 * one incident, so one withdrawal finding with both sightings as
 * evidence; the same seen again eight hours later is another. */
static int cites(json_t *f, size_t i, uint64_t entry, unsigned pos);

TEST(withdrawal_by_incident) {
  const char *p[] = {
      "{\"what\":\"weapon_seen\",\"time\":\"2016-12-01T10:00:00Z\",\"where\":"
      "{\"lat\":48.7,\"lon\":37.8,\"uncertainty_m\":50},\"weapon\":{"
      "\"system\":\"2S1\"}}",
      "{\"what\":\"weapon_seen\",\"time\":\"2016-12-01T18:00:00Z\",\"where\":"
      "{\"lat\":48.7,\"lon\":37.8,\"uncertainty_m\":50},\"weapon\":{"
      "\"system\":\"2S1\"}}"};
  /* The camera: the 2S1 40 s after the patrol (one incident), and again
   * 5 minutes later, 150 m away (another incident, the same weapon); a
   * D-30 beside it (another weapon); a 2S1 3.3 km north (another). */
  const char *k[] = {
      "{\"what\":\"weapon_seen\",\"time\":\"2016-12-01T10:00:40Z\",\"where\":"
      "{\"lat\":48.7003,\"lon\":37.8004,\"uncertainty_m\":50},\"weapon\":{"
      "\"system\":\"2S1\"}}",
      "{\"what\":\"weapon_seen\",\"time\":\"2016-12-01T10:05:00Z\",\"where\":"
      "{\"lat\":48.7012,\"lon\":37.8012,\"uncertainty_m\":50},\"weapon\":{"
      "\"system\":\"2S1\"}}",
      "{\"what\":\"weapon_seen\",\"time\":\"2016-12-01T10:06:00Z\",\"where\":"
      "{\"lat\":48.7,\"lon\":37.8,\"uncertainty_m\":50},\"weapon\":{"
      "\"system\":\"D-30\"}}",
      "{\"what\":\"weapon_seen\",\"time\":\"2016-12-01T10:07:00Z\",\"where\":"
      "{\"lat\":48.73,\"lon\":37.8,\"uncertainty_m\":50},\"weapon\":{"
      "\"system\":\"2S1\"}}"};
  uint64_t ep = submit(&pat, p, 2), ec = submit(&cam, k, 4);
  collected c;
  CHECK_OK(assess(at("2016-12-01T00:00:00Z"), at("2016-12-02T00:00:00Z"),
                  &c));
  json_t *f = NULL;
  /* the 2S1 from 10:00 to 10:05, the D-30, the 2S1 to the north, and
   * the 2S1 again at 18:00 (eight hours unseen: counted again) */
  CHECK_EQ_U64(count(&c, "artillery", "presence", "ua", &f), 4);
  CHECK_EQ_U64(c.n, 4);
  CHECK(f != NULL);
  if (f) {
    /* the first finding: the three sightings, the patrol's first */
    CHECK_EQ_U64(json_array_size(json_object_get(f, "evidence")), 3);
    CHECK(cites(f, 0, ep, 0));
    CHECK(cites(f, 1, ec, 0));
    CHECK(cites(f, 2, ec, 1));
    CHECK_STR(json_string_value(json_object_get(f, "time")),
              "2016-12-01T10:00:00Z");
    CHECK_STR(json_string_value(json_object_get(f, "time_end")),
              "2016-12-01T10:05:00Z");
    json_decref(f);
  }
  CHECK_CONTAINS(c.n ? c.jsonl.data : "", "D-30");
  CHECK_CONTAINS(c.n ? c.jsonl.data : "", "\"time\":\"2016-12-01T18:00:00Z\"");
  release(&c);
}

/* Caps and holding sites on incidents: a world of their own (registered
 * as other terms, in March 2017, after every other test's period). */
static const char cap_terms_json[] =
    "{\"truce_terms\": 1, \"id\": \"cap-world\", \"title\": \"Caps and "
    "storage\",\n"
    " \"parties\": [{\"id\": \"ua\"}, {\"id\": \"ru\"}],\n"
    " \"start\": {\"time\": \"2015-02-15T00:00:00+02:00\", \"zone\": "
    "\"Europe/Kyiv\"},\n"
    " \"lines\": [\n"
    "  {\"id\": \"contact\", \"party\": \"ua\", \"geometry\": {\"type\": "
    "\"LineString\", \"coordinates\": [[38.0, 49.0], [38.0, 48.0]]}, "
    "\"sides\": {\"ua\": \"right\", \"ru\": \"left\"}},\n"
    "  {\"id\": \"memo\", \"party\": \"ru\", \"geometry\": {\"type\": "
    "\"LineString\", \"coordinates\": [[38.2, 49.0], [38.2, 48.0]]}, "
    "\"sides\": {\"ru\": \"left\"}}],\n"
    " \"control\": [\n"
    "  {\"id\": \"ua-west\", \"party\": \"ua\", \"line\": \"contact\", "
    "\"side\": \"right\"},\n"
    "  {\"id\": \"ru-east\", \"party\": \"ru\", \"line\": \"contact\", "
    "\"side\": \"left\"}],\n"
    " \"sites\": [\n"
    "  {\"id\": \"site-2\", \"name\": \"Storage 2\", \"party\": \"ua\", "
    "\"where\": {\"lat\": 48.9, \"lon\": 36.9, \"radius_m\": 500}, "
    "\"items\": [{\"serial\": \"B-001\", \"system\": \"2S1\"}, {\"serial\": "
    "\"B-002\", \"system\": \"D-30\"}]}],\n"
    " \"rules\": [\n"
    "  {\"id\": \"gun-cap\", \"type\": \"cap\", \"weapons\": {\"classes\": "
    "[\"artillery\"]}, \"max\": 10, \"window_hours\": 24, \"band_km\": [0, "
    "30], \"lines\": [\"contact\", \"memo\"]},\n"
    "  {\"id\": \"small-cap\", \"type\": \"cap\", \"weapons\": "
    "{\"classes\": [\"artillery\"]}, \"max\": 5, \"window_hours\": 24, "
    "\"band_km\": [0, 30], \"lines\": [\"contact\", \"memo\"], \"from\": "
    "\"2017-03-01T00:00:00Z\", \"until\": \"2017-03-02T00:00:00Z\"},\n"
    "  {\"id\": \"storage\", \"type\": \"holding\", \"sites\": "
    "[\"site-2\"]}]}\n";

/* Weapons seen: N of SYSTEM at TIME at (LAT, LON), to within 50 m; one
 * with a serial; a visit to site 2 finding SERIALS. */
#define GUNS(n, system, t, lat, lon)                                         \
  "{\"what\":\"weapon_seen\",\"count\":" #n ",\"time\":\"" t "\",\"where\":" \
  "{\"lat\":" #lat ",\"lon\":" #lon ",\"uncertainty_m\":50},\"weapon\":{"    \
  "\"system\":\"" system "\"}}"
#define SERIAL(system, t, lat, lon, serial)                                  \
  "{\"what\":\"weapon_seen\",\"time\":\"" t "\",\"where\":{\"lat\":" #lat    \
  ",\"lon\":" #lon ",\"uncertainty_m\":50},\"weapon\":{\"system\":\""        \
  system "\"},\"serials\":[\"" serial "\"]}"
#define VISIT(t, serials)                                                    \
  "{\"what\":\"site_visit\",\"time\":\"" t "\",\"where\":{\"lat\":48.9,"     \
  "\"lon\":36.9},\"site\":\"site-2\",\"serials\":[" serials "]}"

static uint64_t cap_pat, cap_cam; /* the two batches' entries */

static void cap_setup(void) {
  CHECK_OK(truce_log_terms_add(lg, &admin, cap_terms_json,
                               strlen(cap_terms_json),
                               (int64_t)time(NULL) * 1000, NULL));
  /* Two sources, "drones" here: the patrol and the camera. The 1 March
   * battery (6 D-30 14.7 km behind ua's line) is seen by both 40 s apart
   * (one incident), and by the patrol again at 16:00 in the same place:
   * 6 guns, under the cap of 10, though the reports add up to 18 (12 by
   * source). On 3 March the same, and 6 more D-30 11 km away an hour
   * later: 12 guns in two places, over the cap. On 5 March 6 D-30 and then
   * 5 2S1 at one place: two kinds of gun, 11. */
  const char *p[] = {
      /* 0 */ GUNS(6, "D-30", "2017-03-01T10:00:00Z", 48.6, 37.8),
      /* 1 */ GUNS(6, "D-30", "2017-03-01T16:00:00Z", 48.6, 37.8),
      /* 2 */ GUNS(6, "D-30", "2017-03-03T10:00:00Z", 48.6, 37.8),
      /* 3 */ GUNS(6, "D-30", "2017-03-05T10:00:00Z", 48.6, 37.8),
      /* 4 */ GUNS(5, "2S1", "2017-03-05T12:00:00Z", 48.6, 37.8),
      /* 5, 6: B-001 (a 2S1) away from its site, 29 km west of it, 110 km
       * behind the line (no withdrawal rule here, and outside the cap's
       * band), seen three times within a minute with the camera's (1):
       * one finding */
      /* 5 */ SERIAL("2S1", "2017-03-02T10:00:00Z", 48.9, 36.5, "B-001"),
      /* 6 */ SERIAL("2S1", "2017-03-02T10:00:50Z", 48.9001, 36.5001,
                     "B-001"),
      /* 7: a D-30 with serial B-001 is not B-001 (a 2S1): nothing */
      /* 7 */ SERIAL("D-30", "2017-03-02T14:00:00Z", 48.9, 36.3, "B-001"),
      /* 8: a visit on 4 March, reported by both (cam 4): B-002 missing,
       * once */
      /* 8 */ VISIT("2017-03-04T10:00:00Z", "\"B-001\""),
      /* 9: a visit on 6 March: the patrol found B-001, the camera (5)
       * B-002: both are there */
      /* 9 */ VISIT("2017-03-06T10:00:00Z", "\"B-001\""),
  };
  const char *k[] = {
      /* 0 */ GUNS(6, "D-30", "2017-03-01T10:00:40Z", 48.6003, 37.8004),
      /* 1 */ SERIAL("2S1", "2017-03-02T10:00:30Z", 48.9003, 36.5004,
                     "B-001"),
      /* 2 */ GUNS(6, "D-30", "2017-03-03T10:00:40Z", 48.6003, 37.8004),
      /* 3 */ GUNS(6, "D-30", "2017-03-03T11:00:00Z", 48.7, 37.85),
      /* 4 */ VISIT("2017-03-04T10:00:20Z", "\"B-001\""),
      /* 5 */ VISIT("2017-03-06T10:00:20Z", "\"B-002\""),
  };
  cap_pat = submit(&pat, p, sizeof p / sizeof *p);
  cap_cam = submit(&cam, k, sizeof k / sizeof *k);
}

static int cites(json_t *f, size_t i, uint64_t entry, unsigned pos) {
  char want[48];
  snprintf(want, sizeof want, "%" PRIu64 ":%u", entry, pos);
  const char *got = evidence_cite(f, i);
  return got && strcmp(got, want) == 0;
}

static json_t *nth(const collected *c, const char *rule, const char *cat,
                   size_t n) {
  size_t k = 0;
  const char *p = c->jsonl.data;
  while (p && *p) {
    const char *nl = strchr(p, '\n');
    json_t *j = json_loadb(p, (size_t)(nl - p), 0, NULL);
    if (j &&
        strcmp(json_string_value(json_object_get(j, "rule")), rule) == 0 &&
        strcmp(json_string_value(json_object_get(j, "category")), cat) ==
            0 &&
        k++ == n)
      return j;
    json_decref(j);
    p = nl + 1;
  }
  return NULL;
}

/* Caps count weapons per incident and per place, not per report. */
TEST(cap_by_incident) {
  cap_setup();
  collected c;
  CHECK_OK(assess_terms("cap-world", at("2017-03-01T00:00:00Z"),
                        at("2017-03-08T00:00:00Z"), &c));
  json_t *f;
  /* 1 March: one battery seen three times (by two sources) is not over
   * the cap; counted by report (18) or by source (12) it would be. */
  CHECK_EQ_U64(count(&c, "gun-cap", "over_cap", "ua", NULL), 2);
  /* (the first of the two is on 3 March, below) */
  /* 3 March: two batteries at two places, 12 > 10; the evidence is every
   * observation of both: the incident's two and the other battery. */
  f = nth(&c, "gun-cap", "over_cap", 0);
  CHECK(f != NULL);
  if (f) {
    CHECK_STR(json_string_value(json_object_get(f, "time")),
              "2017-03-03T10:00:00Z");
    CHECK_STR(json_string_value(json_object_get(f, "detail")),
              "up to 12 weapons within 24 h (at most 10) in 2 groups");
    CHECK_EQ_U64(json_array_size(json_object_get(f, "evidence")), 3);
    CHECK(cites(f, 0, cap_pat, 2));
    CHECK(cites(f, 1, cap_cam, 2));
    CHECK(cites(f, 2, cap_cam, 3));
    CHECK_STR(json_string_value(json_object_get(f, "party")), "ua");
    json_decref(f);
  }
  /* 5 March: one place, two kinds of gun: two groups, 11. */
  f = nth(&c, "gun-cap", "over_cap", 1);
  CHECK(f != NULL);
  if (f) {
    CHECK_STR(json_string_value(json_object_get(f, "detail")),
              "up to 11 weapons within 24 h (at most 10) in 2 groups");
    CHECK_EQ_U64(json_array_size(json_object_get(f, "evidence")), 2);
    CHECK(cites(f, 0, cap_pat, 3));
    CHECK(cites(f, 1, cap_pat, 4));
    json_decref(f);
  }
  /* On 1 March alone a cap of 5 is breached by the 6 guns: once, the
   * count 6 (not 12 or 18), all three reports as evidence. */
  CHECK_EQ_U64(count(&c, "small-cap", "over_cap", "ua", &f), 1);
  CHECK(f != NULL);
  if (f) {
    CHECK_STR(json_string_value(json_object_get(f, "detail")),
              "up to 6 weapons within 24 h (at most 5) in 1 group");
    CHECK_EQ_U64(json_array_size(json_object_get(f, "evidence")), 3);
    CHECK(cites(f, 0, cap_pat, 0));
    CHECK(cites(f, 1, cap_cam, 0));
    CHECK(cites(f, 2, cap_pat, 1));
    CHECK_STR(json_string_value(json_object_get(f, "time_end")),
              "2017-03-01T16:00:00Z");
    json_decref(f);
  }
  release(&c);
}

/* Holding: one weapon seen three times outside storage is one finding;
 * a visit reported twice is one visit; serials stay identities. */
TEST(holding_by_incident) {
  collected c;
  CHECK_OK(assess_terms("cap-world", at("2017-03-01T00:00:00Z"),
                        at("2017-03-08T00:00:00Z"), &c));
  json_t *f = NULL;
  CHECK_EQ_U64(count(&c, "storage", "outside_storage", "ua", &f), 1);
  CHECK(f != NULL);
  if (f) {
    CHECK_EQ_U64(json_array_size(json_object_get(f, "evidence")), 3);
    CHECK(cites(f, 0, cap_pat, 5));
    CHECK(cites(f, 1, cap_cam, 1));
    CHECK(cites(f, 2, cap_pat, 6));
    CHECK_CONTAINS(json_string_value(json_object_get(f, "detail")),
                   "2S1 Gvozdika serial B-001 seen outside designated");
    CHECK_STR(json_string_value(json_object_get(f, "time")),
              "2017-03-02T10:00:00Z");
    CHECK_STR(json_string_value(json_object_get(f, "time_end")),
              "2017-03-02T10:00:50Z");
    json_decref(f);
  }
  /* The D-30 with a 2S1's serial is another weapon. */
  CHECK(!strstr(c.n ? c.jsonl.data : "", "\"time\":\"2017-03-02T14"));
  /* The 4 March visit: B-002 missing, one finding citing both reports. */
  CHECK_EQ_U64(count(&c, "storage", "missing", "ua", &f), 1);
  CHECK(f != NULL);
  if (f) {
    CHECK_CONTAINS(json_string_value(json_object_get(f, "detail")),
                   "serial B-002 not found at Storage 2");
    CHECK_EQ_U64(json_array_size(json_object_get(f, "evidence")), 2);
    CHECK(cites(f, 0, cap_pat, 8));
    CHECK(cites(f, 1, cap_cam, 4));
    json_decref(f);
  }
  /* The 6 March visit found both between its two reports. */
  CHECK(!strstr(c.n ? c.jsonl.data : "", "\"time\":\"2017-03-06"));
  CHECK_EQ_U64(c.n, 5); /* three caps, outside storage, missing */
  /* Groups and incidents are formed the same way every run. */
  collected again;
  CHECK_OK(assess_terms("cap-world", at("2017-03-01T00:00:00Z"),
                        at("2017-03-08T00:00:00Z"), &again));
  CHECK(c.jsonl.len == again.jsonl.len && c.jsonl.len > 0 &&
        memcmp(c.jsonl.data, again.jsonl.data, c.jsonl.len) == 0);
  release(&again);
  release(&c);
}

/* Fire attributed from its triangulated firing position. Two cameras on
 * ua's ground, 8.9 km apart north-south, each see an explosion (a bearing)
 * and the direction the fire came from, exactly: fusion places the impact
 * where the bearings cross and the weapon where the directions of fire
 * cross (docs/fusion.md, "The firing position"). */

/* A camera at (clat, clon) seeing the explosion at (elat, elon) at time t,
 * the fire coming from (glat, glon) +- fire_sp degrees; `weapon` a class or
 * NULL. */
static void fire_camera(char *buf, size_t cap, const char *t, double clat,
                        double clon, double elat, double elon, double glat,
                        double glon, double fire_sp, const char *weapon) {
  double d, to, from;
  truce_geodesic_inverse(clat, clon, elat, elon, &d, &to, NULL);
  truce_geodesic_inverse(clat, clon, glat, glon, &d, &from, NULL);
  snprintf(buf, cap,
           "{\"what\":\"explosion\",\"time\":\"%s\",\"precision_s\":5,"
           "\"where\":{\"observer\":{\"lat\":%.9f,\"lon\":%.9f},"
           "\"bearing_deg\":%.9f,\"spread_deg\":2},\"fire\":{\"from_deg\":"
           "%.9f,\"spread_deg\":%g}%s%s%s,\"means\":\"camera\"}",
           t, clat, clon, to < 0 ? to + 360 : to, from < 0 ? from + 360 : from,
           fire_sp, weapon ? ",\"weapon\":{\"class\":\"" : "",
           weapon ? weapon : "", weapon ? "\"}" : "");
}

/* The ceasefire finding at time t (NULL if none). */
static json_t *finding_at(const collected *c, const char *t) {
  for (size_t n = 0;; n++) {
    json_t *f = nth(c, "ceasefire", "fire", n);
    if (!f)
      return NULL;
    const char *ft = json_string_value(json_object_get(f, "time"));
    if (ft && strcmp(ft, t) == 0)
      return f;
    json_decref(f);
  }
}

TEST(fire_triangulated) {
  static char buf[6][512];
  /* 1 April: the impact 2.2 km west of the line (ua's ground), the weapon
   * 7.4 km east of it (ru's), the cameras 15 km west of it, their
   * directions (+-2) crossing at 33 degrees: the ellipse (about 1.5 km x
   * 0.5 km) lies on ru's ground. */
  fire_camera(buf[0], sizeof buf[0], "2017-04-01T10:00:00Z", 48.26, 37.90,
              48.30, 37.97, 48.30, 38.10, 2, NULL);
  fire_camera(buf[1], sizeof buf[1], "2017-04-01T10:00:00Z", 48.34, 37.90,
              48.30, 37.97, 48.30, 38.10, 2, NULL);
  /* 2 April: the weapon 740 m east of the line, directions +-10: the
   * ellipse (several km along the range) straddles the line; the
   * direction of fire decides, from the first camera: ru's ground from
   * where it crosses the line. */
  fire_camera(buf[2], sizeof buf[2], "2017-04-02T10:00:00Z", 48.36, 37.88,
              48.40, 37.95, 48.40, 38.01, 10, NULL);
  fire_camera(buf[3], sizeof buf[3], "2017-04-02T10:00:00Z", 48.44, 37.88,
              48.40, 37.95, 48.40, 38.01, 10, NULL);
  /* 3 April: as on 1 April with mortars, the weapon 9.7 km from the
   * impact: ru, and the reason says it is beyond a mortar's 8 km. */
  fire_camera(buf[4], sizeof buf[4], "2017-04-03T10:00:00Z", 48.16, 37.90,
              48.20, 37.97, 48.20, 38.10, 2, "mortar");
  fire_camera(buf[5], sizeof buf[5], "2017-04-03T10:00:00Z", 48.24, 37.90,
              48.20, 37.97, 48.20, 38.10, 2, "mortar");
  const char *p[] = {buf[0], buf[2], buf[4]}, *k[] = {buf[1], buf[3], buf[5]};
  uint64_t ep = submit(&pat, p, 3), ek = submit(&cam, k, 3);
  collected c;
  CHECK_OK(assess(at("2017-04-01T00:00:00Z"), at("2017-04-04T00:00:00Z"),
                  &c));
  CHECK_EQ_U64(c.n, 3);
  CHECK_EQ_U64(count(&c, "ceasefire", "fire", "ru", NULL), 3);
  json_t *f = finding_at(&c, "2017-04-01T10:00:00Z");
  CHECK(f != NULL);
  if (f) {
    const char *r = json_string_value(json_object_get(f, "reason"));
    static const char head[] = "fire triangulated to 48.3000,38.1000 (95% "
                               "within ";
    CHECK_MSG(r && strncmp(r, head, sizeof head - 1) == 0, "%s",
              r ? r : "(none)");
    CHECK_MSG(r && strstr(r, " m), on ground held by ru") &&
                  !strstr(r, "direction of fire") && !strstr(r, "impact"),
              "%s", r ? r : "(none)");
    /* one finding for the incident: both cameras as evidence */
    CHECK_EQ_U64(json_array_size(json_object_get(f, "evidence")), 2);
    CHECK(cites(f, 0, ep, 0));
    CHECK(cites(f, 1, ek, 0));
    /* placed at the impact, not at the weapon */
    double d;
    truce_geodesic_inverse(json_real_value(json_object_get(f, "lat")),
                           json_real_value(json_object_get(f, "lon")), 48.30,
                           37.97, &d, NULL, NULL);
    CHECK_MSG(d < 50, "finding %.1f m from the impact", d);
    /* the firing position as data, where the weapon stood */
    json_t *fp = json_object_get(f, "fire_ellipse");
    CHECK(json_is_object(fp));
    truce_geodesic_inverse(json_real_value(json_object_get(f, "fire_lat")),
                           json_real_value(json_object_get(f, "fire_lon")),
                           48.30, 38.10, &d, NULL, NULL);
    CHECK_MSG(d < 100, "firing position %.1f m from the weapon", d);
    double ma = json_real_value(json_object_get(fp, "major_m")),
           mi = json_real_value(json_object_get(fp, "minor_m"));
    CHECK_MSG(ma >= mi && mi > 100 && ma < 3000, "ellipse %.1f x %.1f m", ma,
              mi);
    json_decref(f);
  }
  f = finding_at(&c, "2017-04-02T10:00:00Z");
  CHECK(f != NULL);
  if (f) {
    const char *r = json_string_value(json_object_get(f, "reason"));
    CHECK_MSG(r && strstr(r, "fire triangulated to 48.4000,38.0100") &&
                  strstr(r, "whose ellipse straddles ground held by ru and "
                            "ua; by the direction of fire: fire came from ") &&
                  strstr(r, ", from ground held by ru (from "),
              "%s", r ? r : "(none)");
    CHECK_STR(json_string_value(json_object_get(f, "party")), "ru");
    json_decref(f);
  }
  f = finding_at(&c, "2017-04-03T10:00:00Z");
  CHECK(f != NULL);
  if (f) {
    const char *r = json_string_value(json_object_get(f, "reason"));
    CHECK_MSG(r && strstr(r, "fire triangulated to 48.2000,38.1000") &&
                  strstr(r, "; 9.7 km from the impact, beyond the 8 km reach "
                            "of mortar), on ground held by ru"),
              "%s", r ? r : "(none)");
    json_decref(f);
  }
  /* The reason is in every format; CSV keeps its columns: as many in
   * every row as in the header, the firing position's five last. */
  CHECK_CONTAINS(c.csv.data, "fire triangulated to 48.3000,38.1000");
  CHECK_CONTAINS(c.geojson.data, "\"fire_lat\":48.3");
  size_t nh = 1, rows = 0;
  for (const char *q = truce_violation_csv_header(); *q; q++)
    nh += *q == ',';
  CHECK_CONTAINS(truce_violation_csv_header(),
                 ",fire_lat,fire_lon,fire_major_m,fire_minor_m,"
                 "fire_azimuth_deg\n");
  for (const char *q = c.csv.data, *e = q ? q + c.csv.len : q; q && q < e;
       rows++) {
    size_t nf = 1;
    int quoted = 0;
    for (; q < e && (quoted || *q != '\n'); q++) {
      quoted ^= *q == '"';
      nf += *q == ',' && !quoted;
    }
    CHECK_EQ_U64(nf, nh);
    q++;
  }
  CHECK_EQ_U64(rows, 3);
  CHECK_CONTAINS(c.csv.data, ",48.3");
  CHECK_CONTAINS(c.geojson.data, "whose ellipse straddles");
  release(&c);
}

int main(void) {
  setup();
  RUN(every_rule_type);
  RUN(precondition_not_met);
  RUN(deterministic);
  RUN(terms_in_the_log);
  RUN(withdrawal_by_incident);
  RUN(cap_by_incident);
  RUN(holding_by_incident);
  RUN(fire_triangulated);
  truce_log_close(lg);
  if (!test_failed) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
      fprintf(stderr, "cannot remove %s\n", root);
  }
  return test_done(__FILE__);
}
