/*
 * test_terms.c: terms files (lib/terms.c): a base file that uses every
 * part and every rule type parses into what the file says; each
 * validation rule refuses its mistake with the right code and a message
 * naming the JSON path (one edit of the base per case); allocation
 * failure at every allocation; the shipped examples (examples/terms/)
 * load. Expected values are written by hand from the file, never taken
 * from the code under test.
 *
 * Reads the private lib/terms.h to check the parsed structs (tests build
 * with -Ilib); depends on nothing else but the public header and test.h.
 * Run from the repository root (make test does), for the examples.
 */
#include "terms.h"

#include "test.h"

#include <math.h>

static char errbuf[TRUCE_ERR_MAX];

/* The base file. Every substring an edit below replaces occurs once. */
static const char base[] =
    "{\n"
    " \"truce_terms\": 1,\n"
    " \"id\": \"test-terms\",\n"
    " \"title\": \"Test terms\",\n"
    " \"version\": \"2016-09-21\",\n"
    " \"parties\": [{\"id\": \"ua\", \"name\": \"Ukraine\"},\n"
    "             {\"id\": \"ru\", \"name\": \"Other side\"}],\n"
    " \"start\": {\"time\": \"2015-02-15T00:00:00+02:00\","
    " \"zone\": \"Europe/Kyiv\"},\n"
    " \"control\": [\n"
    "  {\"id\": \"ua-west\", \"party\": \"ua\", \"line\": \"contact\","
    " \"side\": \"right\"},\n"
    "  {\"id\": \"ru-east\", \"party\": \"ru\", \"line\": \"contact\","
    " \"side\": \"left\"},\n"
    "  {\"id\": \"ru-held\", \"party\": \"ru\", \"area\": {\"type\": "
    "\"Polygon\", \"coordinates\": [[[38.5, 47.5], [40, 47.5], [40, 49.5],"
    " [38.5, 49.5], [38.5, 47.5]]]}},\n"
    "  {\"id\": \"ua-rest\", \"party\": \"ua\", \"outside_of\": "
    "\"ru-held\"}\n"
    " ],\n"
    " \"lines\": [\n"
    "  {\"id\": \"contact\", \"name\": \"line of contact\", \"party\": "
    "\"ua\", \"geometry\": {\"type\": \"LineString\", \"coordinates\": "
    "[[38.0, 49.0], [38.0, 48.0]]}, \"sides\": {\"ua\": \"right\", \"ru\": "
    "\"left\"}},\n"
    "  {\"id\": \"memo\", \"party\": \"ru\", \"geometry\": {\"type\": "
    "\"LineString\", \"coordinates\": [[38.2, 49.0], [38.2, 48.0]]}, "
    "\"sides\": {\"ru\": \"left\"}},\n"
    "  {\"id\": \"edge\", \"boundary_of\": \"ru-held\", \"sides\": {\"ru\": "
    "\"inside\", \"ua\": \"outside\"}}\n"
    " ],\n"
    " \"zones\": [\n"
    "  {\"id\": \"zolote\", \"name\": \"Zolote\", \"area\": {\"type\": "
    "\"Polygon\", \"coordinates\": [[[38.50, 48.68], [38.53, 48.68], "
    "[38.53, 48.70], [38.50, 48.70], [38.50, 48.68]]]}, \"near_km\": 5},\n"
    "  {\"id\": \"petrivske\", \"area\": {\"type\": \"MultiPolygon\", "
    "\"coordinates\": [[[[37.80, 47.64], [37.83, 47.64], [37.83, 47.66], "
    "[37.80, 47.66], [37.80, 47.64]]]]}, \"near_km\": 2.5},\n"
    "  {\"id\": \"buffer\", \"around\": {\"line\": \"contact\", \"km\": "
    "15}}\n"
    " ],\n"
    " \"sites\": [\n"
    "  {\"id\": \"site-1\", \"name\": \"Storage 1\", \"party\": \"ua\", "
    "\"where\": {\"lat\": 48.9, \"lon\": 36.9, \"radius_m\": 500}, "
    "\"items\": [{\"serial\": \"A-001\", \"system\": \"2S1\"}, "
    "{\"serial\": \"A-002\", \"system\": \"d30\"}]},\n"
    "  {\"id\": \"site-2\", \"party\": \"ru\", \"area\": {\"type\": "
    "\"Polygon\", \"coordinates\": [[[39.5, 48.0], [39.51, 48.0], [39.51, "
    "48.01], [39.5, 48.0]]]}, \"items\": [{\"serial\": \"A-001\", "
    "\"system\": \"BM-21 Grad\"}]}\n"
    " ],\n"
    " \"rules\": [\n"
    "  {\"id\": \"ceasefire\", \"type\": \"ceasefire\", \"what\": "
    "\"fire\"},\n"
    "  {\"id\": \"heavy-artillery\", \"type\": \"withdrawal\", \"weapons\": "
    "{\"classes\": [\"artillery\", \"anti_tank\"], \"calibre_min_mm\": "
    "100}, \"distance_km\": 25, \"lines\": [\"contact\", \"memo\"], "
    "\"from\": \"2015-03-03T00:00:00+02:00\"},\n"
    "  {\"id\": \"long-range\", \"type\": \"withdrawal\", \"weapons\": "
    "{\"systems\": [\"Tornado-S\", \"BM-27\", \"Smerch\", \"Tochka\", "
    "\"Tochka-U\"]}, \"distance_km\": 70, \"lines\": [\"contact\", "
    "\"memo\"]},\n"
    "  {\"id\": \"disengage\", \"type\": \"zone\", \"zone\": [\"zolote\", "
    "\"petrivske\"], \"what\": [\"fire\", \"presence\"], \"from\": "
    "\"2016-10-01T00:00:00+03:00\"},\n"
    "  {\"id\": \"tank-cap\", \"type\": \"cap\", \"weapons\": {\"classes\": "
    "[\"tank\"]}, \"max\": 10, \"window_hours\": 24, \"band_km\": [0, 10], "
    "\"lines\": [\"contact\", \"memo\"]},\n"
    "  {\"id\": \"buffer-cap\", \"type\": \"cap\", \"weapons\": "
    "{\"classes\": [\"mortar\"], \"calibre_max_mm\": 120}, \"max\": 0, "
    "\"window_hours\": 24, \"zone\": \"buffer\", \"until\": "
    "\"2016-01-01T00:00:00Z\"},\n"
    "  {\"id\": \"quiet\", \"type\": \"precondition\", \"zone\": "
    "\"zolote\", \"days\": 7, \"enables\": \"disengage\"},\n"
    "  {\"id\": \"storage\", \"type\": \"holding\", \"sites\": "
    "[\"site-1\", \"site-2\"], \"parties\": [\"ua\", \"ru\"], \"quote\": "
    "\"in designated storage sites\"}\n"
    " ],\n"
    " \"sources\": [\"written for the test\"],\n"
    " \"method\": \"by hand\\nin two lines\",\n"
    " \"note\": \"\"\n"
    "}\n";

/* The base with the one occurrence of `from` replaced by `to`. */
static const char *with(const char *from, const char *to) {
  static char buf[4][sizeof base + 4096];
  static int slot;
  char *b = buf[slot++ % 4];
  const char *at = strstr(base, from);
  CHECK_MSG(at != NULL, "the base has no '%s'", from);
  if (!at)
    return base;
  CHECK_MSG(strstr(at + 1, from) == NULL, "'%s' occurs twice", from);
  snprintf(b, sizeof buf[0], "%.*s%s%s", (int)(at - base), base, to,
           at + strlen(from));
  return b;
}

static truce_err parse(const char *json, truce_terms **t) {
  errbuf[0] = '\0';
  return truce_terms_parse(json, strlen(json), t, errbuf);
}

/* The input is refused with `code` and a message containing `needle`
 * (which always includes the JSON path); *out is NULL on failure. With
 * TRUCE_OK and "", the edit is one the parser must accept. */
#define EXPECT_ERR(json, code, needle)                                       \
  do {                                                                       \
    truce_terms *t__ = NULL;                                                 \
    truce_err rc__ = parse(json, &t__);                                      \
    CHECK_MSG(rc__ == (code), "got %d (%s), want %d: %s", rc__,              \
              truce_strerror(rc__), (int)(code), errbuf);                    \
    CHECK_CONTAINS(errbuf, needle);                                          \
    CHECK((rc__ == TRUCE_OK) == (t__ != NULL));                              \
    truce_terms_free(t__);                                                   \
  } while (0)

#define EDIT_ERR(from, to, code, needle)                                     \
  EXPECT_ERR(with(from, to), code, needle)

static bool near(double a, double b) { return fabs(a - b) < 1e-9; }

/* ---- the base parses into what it says ---- */

TEST(test_base) {
  truce_terms *t = NULL;
  truce_err rc = parse(base, &t);
  CHECK_MSG(rc == TRUCE_OK, "%s", errbuf);
  if (!t)
    return;
  CHECK_STR(truce_terms_id(t), "test-terms");
  CHECK_STR(truce_terms_title(t), "Test terms");
  CHECK_STR(t->version, "2016-09-21");
  /* 2015-02-15T00:00:00+02:00 = 2015-02-14T22:00:00Z = 1423951200 s. */
  CHECK_EQ_U64(truce_terms_start_ms(t), UINT64_C(1423951200000));
  CHECK_STR(truce_terms_start_zone(t), "Europe/Kyiv");
  CHECK_STR(t->start_text, "2015-02-15T00:00:00+02:00");
  truce_terms_counts n;
  truce_terms_count(t, &n);
  CHECK_EQ_U64(n.parties, 2);
  CHECK_EQ_U64(n.lines, 3);
  CHECK_EQ_U64(n.control, 4);
  CHECK_EQ_U64(n.zones, 3);
  CHECK_EQ_U64(n.sites, 2);
  CHECK_EQ_U64(n.items, 3);
  CHECK_EQ_U64(n.rules, 8);
  CHECK_STR(t->parties[1].name, "Other side");
  CHECK_EQ_U64(t->nsources, 1);
  CHECK_STR(t->method, "by hand\nin two lines");
  CHECK_STR(t->note, "");

  /* Lines. */
  const terms_line *l = t->lines;
  CHECK(l[0].kind == TERMS_LINE_DRAWN && l[0].party == 0);
  CHECK(l[0].side[0] == TERMS_SIDE_RIGHT && l[0].side[1] == TERMS_SIDE_LEFT);
  CHECK(truce_geom_kind(l[0].geom) == TRUCE_GEOM_LINE);
  CHECK_EQ_U64(truce_geom_vertices(l[0].geom), 2);
  CHECK(l[0].boundary_of == -1);
  CHECK_STR(l[0].name, "line of contact");
  CHECK(l[1].party == 1 && l[1].side[1] == TERMS_SIDE_LEFT &&
        l[1].side[0] == 0);
  CHECK(l[2].kind == TERMS_LINE_BOUNDARY && l[2].party == -1);
  CHECK(l[2].boundary_of == 2 && l[2].geom == t->control[2].area);
  CHECK(l[2].side[1] == TERMS_SIDE_INSIDE &&
        l[2].side[0] == TERMS_SIDE_OUTSIDE);
  CHECK(terms_line_is_reference(&l[0], 0) &&
        !terms_line_is_reference(&l[0], 1));
  CHECK(terms_line_is_reference(&l[2], 0) &&
        terms_line_is_reference(&l[2], 1));

  /* Control. */
  const terms_control *k = t->control;
  CHECK(k[0].kind == TERMS_CONTROL_SIDE && k[0].party == 0 &&
        k[0].line == 0 && k[0].side == TERMS_SIDE_RIGHT);
  CHECK(k[1].kind == TERMS_CONTROL_SIDE && k[1].side == TERMS_SIDE_LEFT);
  CHECK(k[2].kind == TERMS_CONTROL_AREA && k[2].party == 1 && k[2].area &&
        truce_geom_kind(k[2].area) == TRUCE_GEOM_AREA);
  CHECK(k[3].kind == TERMS_CONTROL_OUTSIDE && k[3].outside_of == 2);

  /* Zones. */
  const terms_zone *z = t->zones;
  CHECK(z[0].area && near(z[0].near_km, 5) && z[0].line == -1);
  CHECK_STR(z[0].name, "Zolote");
  CHECK(z[1].area && near(z[1].near_km, 2.5));
  CHECK(!z[2].area && z[2].line == 0 && near(z[2].half_width_km, 15) &&
        z[2].near_km == 0);

  /* Sites: systems through the catalogue. */
  const terms_site *s = t->sites;
  CHECK(s[0].party == 0 && !s[0].area && near(s[0].lat_deg, 48.9) &&
        near(s[0].lon_deg, 36.9) && near(s[0].radius_m, 500));
  CHECK_EQ_U64(s[0].nitems, 2);
  CHECK_STR(s[0].items[0].system, "2S1 Gvozdika");
  CHECK(s[0].items[0].cls == TRUCE_WEAPON_ARTILLERY &&
        near(s[0].items[0].calibre_mm, 122));
  CHECK_STR(s[0].items[1].system, "D-30");
  CHECK_STR(s[0].items[1].serial, "A-002");
  CHECK(s[1].party == 1 && s[1].area && s[1].nitems == 1);
  CHECK_STR(s[1].items[0].system, "BM-21 Grad");

  /* Rules. */
  const terms_rule *r = t->rules;
  uint32_t both = 3;
  CHECK(r[0].type == TERMS_RULE_CEASEFIRE &&
        r[0].u.ceasefire.what == TERMS_WHAT_FIRE);
  CHECK(r[0].from_ms == t->start_ms && r[0].until_ms == INT64_MAX);
  CHECK(r[0].parties == both && r[0].enabled_by == -1);

  CHECK(r[1].type == TERMS_RULE_WITHDRAWAL);
  const terms_weapons *w = &r[1].u.withdrawal.weapons;
  CHECK(w->classes == ((1u << TRUCE_WEAPON_ARTILLERY) |
                       (1u << TRUCE_WEAPON_ANTI_TANK)));
  CHECK(near(w->calibre_min_mm, 100) && w->calibre_max_mm == 0 &&
        w->calibre_below_mm == 0 && w->nsystems == 0);
  CHECK(near(r[1].u.withdrawal.distance_km, 25));
  CHECK(r[1].u.withdrawal.line[0] == 0 && r[1].u.withdrawal.line[1] == 1);
  /* 2015-03-03T00:00:00+02:00 = 2015-03-02T22:00:00Z. */
  CHECK_EQ_U64(r[1].from_ms, UINT64_C(1425333600000));

  w = &r[2].u.withdrawal.weapons;
  CHECK(w->classes == 0 && w->nsystems == 5);
  if (w->nsystems == 5) {
    CHECK_STR(w->systems[0], "9K515 Tornado-S");
    CHECK_STR(w->systems[1], "BM-27 Uragan");
    CHECK_STR(w->systems[2], "BM-30 Smerch");
    CHECK_STR(w->systems[3], "9K79 Tochka");
    CHECK_STR(w->systems[4], "9K79-1 Tochka-U");
  }

  CHECK(r[3].type == TERMS_RULE_ZONE && r[3].u.zone.nzones == 2 &&
        r[3].u.zone.zones[0] == 0 && r[3].u.zone.zones[1] == 1);
  CHECK(r[3].u.zone.what == (TERMS_WHAT_FIRE | TERMS_WHAT_PRESENCE));
  CHECK(r[3].enabled_by == 6);

  CHECK(r[4].type == TERMS_RULE_CAP && r[4].u.cap.max == 10 &&
        r[4].u.cap.window_h == 24 && r[4].u.cap.zone == -1);
  CHECK(near(r[4].u.cap.band_min_km, 0) && near(r[4].u.cap.band_max_km, 10));
  CHECK(r[4].u.cap.line[0] == 0 && r[4].u.cap.line[1] == 1);
  CHECK(r[5].u.cap.zone == 2 && r[5].u.cap.max == 0 &&
        near(r[5].u.cap.weapons.calibre_max_mm, 120));
  CHECK_EQ_U64(r[5].until_ms, UINT64_C(1451606400000));

  CHECK(r[6].type == TERMS_RULE_PRECONDITION &&
        r[6].u.precondition.zone == 0 && r[6].u.precondition.days == 7 &&
        r[6].u.precondition.what == TERMS_WHAT_FIRE &&
        r[6].u.precondition.nenables == 1 &&
        r[6].u.precondition.enables[0] == 3);

  CHECK(r[7].type == TERMS_RULE_HOLDING && r[7].u.holding.nsites == 2 &&
        r[7].u.holding.sites[0] == 0 && r[7].u.holding.sites[1] == 1);
  CHECK_STR(r[7].quote, "in designated storage sites");
  CHECK_STR(truce_terms_rule_id(t, 7), "storage");
  CHECK_STR(truce_terms_rule_type(t, 4), "cap");
  CHECK(truce_terms_rule_id(t, 8) == NULL);
  CHECK(truce_terms_rule_type(t, 8) == NULL);
  truce_terms_free(t);
}

TEST(test_defaults) {
  truce_terms *t = NULL;
  /* A holding rule without sites takes every site of the parties bound. */
  const char *in = with("\"sites\": [\"site-1\", \"site-2\"], \"parties\": "
                        "[\"ua\", \"ru\"], ",
                        "\"parties\": \"ru\", ");
  CHECK_OK(parse(in, &t));
  if (t) {
    CHECK(t->rules[7].parties == 2u && t->rules[7].u.holding.nsites == 1 &&
          t->rules[7].u.holding.sites[0] == 1);
    truce_terms_free(t);
  }
  /* A ceasefire without what is about fire; a precondition too. */
  CHECK_OK(parse(with("\"type\": \"ceasefire\", \"what\": \"fire\"",
                      "\"type\": \"ceasefire\""),
                 &t));
  if (t) {
    CHECK(t->rules[0].u.ceasefire.what == TERMS_WHAT_FIRE);
    truce_terms_free(t);
  }
  /* Single what words and lists of them. */
  CHECK_OK(parse(with("\"what\": \"fire\"",
                      "\"what\": [\"shots\", \"bursts\", \"mine\"]"),
                 &t));
  if (t) {
    CHECK(t->rules[0].u.ceasefire.what ==
          ((1u << TRUCE_WHAT_SHOTS) | (1u << TRUCE_WHAT_BURSTS) |
           (1u << TRUCE_WHAT_MINE)));
    truce_terms_free(t);
  }
  /* Optional parts may be left out entirely. */
  static const char minimal[] =
      "{\"truce_terms\": 1, \"id\": \"m\", \"parties\": [{\"id\": \"a\"}, "
      "{\"id\": \"b\"}], \"start\": {\"time\": \"2025-01-01T00:00:00Z\", "
      "\"zone\": \"UTC\"}, \"rules\": [{\"id\": \"c\", \"type\": "
      "\"ceasefire\"}]}";
  CHECK_OK(parse(minimal, &t));
  if (t) {
    truce_terms_counts n;
    truce_terms_count(t, &n);
    CHECK(n.lines == 0 && n.zones == 0 && n.sites == 0 && n.rules == 1);
    CHECK_STR(truce_terms_title(t), "");
    CHECK_STR(t->parties[0].name, "");
    truce_terms_free(t);
  }
}

TEST(test_describe) {
  truce_terms *t = NULL;
  CHECK_OK(parse(base, &t));
  if (!t)
    return;
  truce_buf b;
  truce_buf_init(&b, 1 << 16);
  static const char *const want[8] = {
      "ceasefire 'ceasefire': no fire of any kind by any party, from "
      "2015-02-14T22:00:00Z",
      "withdrawal 'heavy-artillery': anti_tank, artillery of at least 100 "
      "mm kept at least 25 km behind the party's own line, on its own side "
      "(ua: contact, ru: memo), from 2015-03-02T22:00:00Z",
      "withdrawal 'long-range': 9K515 Tornado-S, BM-27 Uragan, BM-30 "
      "Smerch, 9K79 Tochka, 9K79-1 Tochka-U kept at least 70 km",
      "zone 'disengage': no fire or armed presence by any party inside "
      "zolote (near: within 5 km), petrivske (near: within 2.5 km), from "
      "2016-09-30T21:00:00Z, once 'quiet' holds",
      "cap 'tank-cap': at most 10 tank between 0 and 10 km behind the "
      "party's own line (ua: contact, ru: memo), in any 24 hours",
      "cap 'buffer-cap': at most 0 mortar of up to 120 mm inside buffer, in "
      "any 24 hours, from 2015-02-14T22:00:00Z until 2016-01-01T00:00:00Z",
      "precondition 'quiet': 7 days without fire of any kind inside zolote "
      "before disengage applies",
      "holding 'storage': 3 registered weapons present at each "
      "verification visit to site-1, site-2"};
  for (size_t i = 0; i < 8; i++) {
    b.len = 0;
    CHECK_OK(truce_terms_rule_describe(t, i, &b));
    CHECK_CONTAINS(b.data, want[i]);
    CHECK(b.data && !strchr(b.data, '\n'));
  }
  CHECK_RC(truce_terms_rule_describe(t, 8, &b), TRUCE_ENOTFOUND);
  b.len = 0;
  CHECK_OK(truce_terms_describe(t, &b));
  CHECK_CONTAINS(b.data, "terms test-terms: Test terms\n");
  CHECK_CONTAINS(b.data, "start 2015-02-14T22:00:00Z (written "
                         "2015-02-15T00:00:00+02:00, Europe/Kyiv)\n");
  CHECK_CONTAINS(b.data, "line contact: drawn, reference of ua; ua on the "
                         "right; ru on the left (2 points)");
  CHECK_CONTAINS(b.data, "line edge: boundary of ru-held, common to the parties below; ua on "
                         "the outside; ru on the inside");
  CHECK_CONTAINS(b.data, "control ua-rest: ua holds everything outside "
                         "ru-held\n");
  CHECK_CONTAINS(b.data, "zone buffer: within 15 km of contact\n");
  CHECK_CONTAINS(b.data, "site site-1: ua, 2 registered weapons: Storage 1");
  CHECK_CONTAINS(b.data, "rule holding 'storage'");
  /* A full buffer: nothing appended, the error returned. */
  truce_buf small;
  truce_buf_init(&small, 40);
  CHECK_RC(truce_terms_describe(t, &small), TRUCE_ETOOBIG);
  CHECK(small.len == 0);
  CHECK_RC(truce_terms_rule_describe(t, 1, &small), TRUCE_ETOOBIG);
  CHECK(small.len == 0);
  truce_buf_release(&small);
  truce_buf_release(&b);
  truce_terms_free(t);
}

/* ---- the file as a whole ---- */

TEST(test_errors_document) {
  EXPECT_ERR("{", TRUCE_EPARSE, "not JSON: ");
  EXPECT_ERR("{\"truce_terms\": 1} x", TRUCE_EPARSE, "not JSON: ");
  EXPECT_ERR("[]", TRUCE_EPARSE, "a terms file is a JSON object, got an "
                                 "array");
  EXPECT_ERR("", TRUCE_EPARSE, "not JSON: ");
  EDIT_ERR("\"title\": \"Test terms\"",
           "\"title\": \"Test terms\", \"title\": \"again\"", TRUCE_EPARSE,
           "not JSON: duplicate object key");
  EDIT_ERR("\"note\": \"\"", "\"note\": \"\", \"colour\": 1", TRUCE_EPARSE,
           "unknown field 'colour' (known: truce_terms, id, title");
  EDIT_ERR(" \"truce_terms\": 1,\n", "", TRUCE_EPARSE,
           "truce_terms: missing (the format version: 1)");
  EDIT_ERR("\"truce_terms\": 1", "\"truce_terms\": 2", TRUCE_EPARSE,
           "truce_terms: 2 is not a format version this truce reads (1)");
  EDIT_ERR("\"truce_terms\": 1", "\"truce_terms\": \"1\"", TRUCE_EPARSE,
           "truce_terms: a string is not a format version");
  EDIT_ERR("\"id\": \"test-terms\"", "\"id\": \"Test Terms\"", TRUCE_EPARSE,
           "id: 'Test Terms' is not an id (1 to 64 of a-z");
  EDIT_ERR(" \"id\": \"test-terms\",\n", "", TRUCE_EPARSE,
           "id: missing (an id)");
  EDIT_ERR("\"title\": \"Test terms\"", "\"title\": null", TRUCE_EPARSE,
           "title: must be a string, got null (leave the field out "
           "instead)");
  EDIT_ERR("\"title\": \"Test terms\"", "\"title\": \"Test\\tterms\"",
           TRUCE_EPARSE, "title: contains a control character");
  EDIT_ERR("\"sources\": [\"written for the test\"]", "\"sources\": [1]",
           TRUCE_EPARSE, "sources[0]: must be a string, got an integer");
  EDIT_ERR("\"method\": \"by hand\\nin two lines\"",
           "\"method\": \"by hand\\u0007\"", TRUCE_EPARSE,
           "method: contains a control character (only newlines are "
           "allowed)");
  /* Too large a file, and too long a list. */
  char *big = malloc(TRUCE_TERMS_MAX_BYTES + 2);
  if (big) {
    memset(big, ' ', TRUCE_TERMS_MAX_BYTES + 1);
    big[TRUCE_TERMS_MAX_BYTES + 1] = '\0';
    truce_terms *t = NULL;
    CHECK_RC(truce_terms_parse(big, TRUCE_TERMS_MAX_BYTES + 1, &t, errbuf),
             TRUCE_ETOOBIG);
    CHECK(t == NULL);
    free(big);
  }
  char many[300 * 40 + 200];
  size_t o = (size_t)snprintf(many, sizeof many, "%s",
                              "{\"truce_terms\":1,\"id\":\"x\",\"parties\":["
                              "{\"id\":\"a\"},{\"id\":\"b\"}],\"start\":{"
                              "\"time\":\"2025-01-01T00:00:00Z\",\"zone\":"
                              "\"UTC\"},\"rules\":[");
  for (int i = 0; i < 257; i++)
    o += (size_t)snprintf(many + o, sizeof many - o,
                          "%s{\"id\":\"r%d\",\"type\":\"ceasefire\"}",
                          i ? "," : "", i);
  snprintf(many + o, sizeof many - o, "]}");
  EXPECT_ERR(many, TRUCE_ETOOBIG, "rules: 257 items (at most 256)");
}

TEST(test_errors_parties_start) {
  EDIT_ERR(",\n             {\"id\": \"ru\", \"name\": \"Other side\"}", "",
           TRUCE_EPARSE, "parties: a ceasefire has at least 2 parties, got 1");
  EDIT_ERR("{\"id\": \"ru\", \"name\": \"Other side\"}",
           "{\"id\": \"ua\", \"name\": \"Other side\"}", TRUCE_EPARSE,
           "parties[1].id: 'ua' is already parties[0]");
  EDIT_ERR("{\"id\": \"ru\", \"name\": \"Other side\"}",
           "{\"id\": \"ru\", \"flag\": \"red\"}", TRUCE_EPARSE,
           "parties[1]: unknown field 'flag' (known: id, name)");
  EDIT_ERR("{\"id\": \"ru\", \"name\": \"Other side\"}", "\"ru\"",
           TRUCE_EPARSE, "parties[1]: must be an object, got a string");
  EDIT_ERR("\"start\": {\"time\": \"2015-02-15T00:00:00+02:00\", "
           "\"zone\": \"Europe/Kyiv\"},\n",
           "", TRUCE_EPARSE, "start: missing ({\"time\": RFC 3339 time");
  EDIT_ERR("2015-02-15T00:00:00+02:00", "2015-02-15T00:00:00", TRUCE_EPARSE,
           "start.time: '2015-02-15T00:00:00' is not an RFC 3339 time with "
           "an offset (e.g. 2015-02-15T00:00:00+02:00)");
  EDIT_ERR("2015-02-15T00:00:00+02:00", "2015-02-30T00:00:00+02:00",
           TRUCE_ERANGE,
           "start.time: '2015-02-30T00:00:00+02:00' is not a possible time");
  EDIT_ERR("\"zone\": \"Europe/Kyiv\"", "\"zone\": \"Kyiv time\"",
           TRUCE_EPARSE,
           "start.zone: 'Kyiv time' is not a time zone name (like "
           "Europe/Kyiv or UTC)");
  EDIT_ERR(", \"zone\": \"Europe/Kyiv\"", "", TRUCE_EPARSE,
           "start.zone: missing (a string)");
  EDIT_ERR("\"zone\": \"Europe/Kyiv\"",
           "\"zone\": \"Europe/Kyiv\", \"dst\": true", TRUCE_EPARSE,
           "start: unknown field 'dst' (known: time, zone)");
}

TEST(test_errors_lines) {
  EDIT_ERR("\"id\": \"memo\", \"party\": \"ru\"",
           "\"id\": \"memo\", \"party\": \"dpr\"", TRUCE_EPARSE,
           "lines[1].party: 'dpr' is not one of the parties (ua, ru)");
  EDIT_ERR("\"id\": \"memo\", \"party\": \"ru\"",
           "\"id\": \"contact\", \"party\": \"ru\"", TRUCE_EPARSE,
           "lines[1].id: 'contact' is already lines[0]");
  EDIT_ERR("\"coordinates\": [[38.2, 49.0], [38.2, 48.0]]",
           "\"coordinates\": [[38.2, 49.0], [38.2, 48.0]], \"bbox\": 1",
           TRUCE_OK, ""); /* foreign members are geo.c's business */
  EDIT_ERR("{\"type\": \"LineString\", \"coordinates\": [[38.2, 49.0], "
           "[38.2, 48.0]]}",
           "{\"type\": \"Polygon\", \"coordinates\": [[[38.2, 49.0], [38.3, "
           "48.0], [38.1, 48.0], [38.2, 49.0]]]}",
           TRUCE_EPARSE,
           "lines[1].geometry: is an area (Polygon or MultiPolygon); a line "
           "must be a LineString or MultiLineString");
  EDIT_ERR("[[38.2, 49.0], [38.2, 48.0]]", "[[38.2, 95.0], [38.2, 48.0]]",
           TRUCE_ERANGE, "lines[1].geometry: ");
  EDIT_ERR("\"geometry\": {\"type\": \"LineString\", \"coordinates\": "
           "[[38.2, 49.0], [38.2, 48.0]]}",
           "\"geometry\": [1, 2]", TRUCE_EPARSE,
           "lines[1].geometry: must be a GeoJSON object, got an array");
  EDIT_ERR("\"id\": \"edge\", \"boundary_of\": \"ru-held\"",
           "\"id\": \"edge\", \"boundary_of\": \"ru-held\", \"geometry\": "
           "{}",
           TRUCE_EPARSE, "lines[2]: give geometry or boundary_of, not both");
  EDIT_ERR("\"boundary_of\": \"ru-held\"", "\"name\": \"edge\"",
           TRUCE_EPARSE,
           "lines[2].geometry: missing (a GeoJSON LineString or "
           "MultiLineString, or boundary_of a control area)");
  EDIT_ERR("\"boundary_of\": \"ru-held\"", "\"boundary_of\": \"ru-hold\"",
           TRUCE_EPARSE,
           "lines[2].boundary_of: no control statement 'ru-hold' (control: "
           "ua-west, ru-east, ru-held, ua-rest)");
  EDIT_ERR("\"boundary_of\": \"ru-held\"", "\"boundary_of\": \"ua-west\"",
           TRUCE_EPARSE,
           "lines[2].boundary_of: 'ua-west' is not an area statement");
  EDIT_ERR("\"sides\": {\"ua\": \"right\", \"ru\": \"left\"}",
           "\"sides\": {\"ua\": \"west\", \"ru\": \"left\"}", TRUCE_EVOCAB,
           "lines[0].sides.ua: 'west' is not left or right");
  EDIT_ERR("\"sides\": {\"ru\": \"inside\", \"ua\": \"outside\"}",
           "\"sides\": {\"ru\": \"left\", \"ua\": \"outside\"}", TRUCE_EVOCAB,
           "lines[2].sides.ru: 'left' is not inside or outside");
  EDIT_ERR("\"sides\": {\"ua\": \"right\", \"ru\": \"left\"}",
           "\"sides\": {\"ua\": \"left\", \"ru\": \"left\"}", TRUCE_EPARSE,
           "lines[0].sides: 'ua' and 'ru' are on the same side; a reference "
           "line divides the parties");
  EDIT_ERR("\"sides\": {\"ru\": \"left\"}", "\"sides\": {\"ua\": \"right\"}",
           TRUCE_EPARSE,
           "lines[1].sides: says nothing of 'ru', the line's own party");
  EDIT_ERR("\"sides\": {\"ru\": \"left\"}", "\"sides\": {}", TRUCE_EPARSE,
           "lines[1].sides: states no party's side");
  EDIT_ERR("\"sides\": {\"ru\": \"left\"}",
           "\"sides\": {\"ru\": \"left\", \"lpr\": \"right\"}", TRUCE_EPARSE,
           "lines[1].sides: 'lpr' is not one of the parties (ua, ru)");
  EDIT_ERR(", \"sides\": {\"ru\": \"left\"}", "", TRUCE_EPARSE,
           "lines[1].sides: missing (each party's own side");
  EXPECT_ERR("{\"truce_terms\": 1, \"id\": \"m\", \"parties\": [{\"id\": "
             "\"a\"}, {\"id\": \"b\"}], \"start\": {\"time\": "
             "\"2025-01-01T00:00:00Z\", \"zone\": \"UTC\"}, \"lines\": "
             "{\"a\": 1}, \"rules\": [{\"id\": \"c\", \"type\": "
             "\"ceasefire\"}]}",
             TRUCE_EPARSE, "lines: must be an array, got an object");
}

TEST(test_errors_control) {
  EDIT_ERR("\"party\": \"ua\", \"line\": \"contact\"",
           "\"party\": \"ua\", \"line\": \"contct\"", TRUCE_EPARSE,
           "control[0].line: no line 'contct' (lines: contact, memo, edge)");
  EDIT_ERR("\"line\": \"contact\", \"side\": \"right\"",
           "\"line\": \"contact\"", TRUCE_EPARSE,
           "control[0].side: missing (left or right)");
  EDIT_ERR("\"line\": \"contact\", \"side\": \"right\"",
           "\"side\": \"right\"", TRUCE_EPARSE,
           "control[0].line: missing (the line whose side)");
  EDIT_ERR("\"line\": \"contact\", \"side\": \"right\"",
           "\"line\": \"contact\", \"side\": \"north\"", TRUCE_EVOCAB,
           "control[0].side: 'north' is not left or right");
  EDIT_ERR("\"line\": \"contact\", \"side\": \"right\"",
           "\"line\": \"edge\", \"side\": \"right\"", TRUCE_EPARSE,
           "control[0].line: 'edge' is the boundary of an area");
  EDIT_ERR("\"party\": \"ua\", \"outside_of\": \"ru-held\"",
           "\"party\": \"ua\", \"outside_of\": \"ru-held\", \"line\": "
           "\"contact\", \"side\": \"left\"",
           TRUCE_EPARSE,
           "control[3]: give one of line + side, area, outside_of");
  EDIT_ERR("\"party\": \"ua\", \"outside_of\": \"ru-held\"",
           "\"party\": \"ua\"", TRUCE_EPARSE,
           "control[3]: says nothing of where");
  EDIT_ERR("\"outside_of\": \"ru-held\"", "\"outside_of\": \"ua-west\"",
           TRUCE_EPARSE, "control[3].outside_of: 'ua-west' is not an area "
                         "statement");
  EDIT_ERR("\"outside_of\": \"ru-held\"", "\"outside_of\": \"nowhere\"",
           TRUCE_EPARSE,
           "control[3].outside_of: no control statement 'nowhere'");
  EDIT_ERR("{\"id\": \"ru-east\", \"party\": \"ru\",",
           "{\"id\": \"ru-east\", \"party\": \"rus\",", TRUCE_EPARSE,
           "control[1].party: 'rus' is not one of the parties (ua, ru)");
  EDIT_ERR("{\"id\": \"ru-east\", \"party\": \"ru\",", "{\"id\": \"ru-east\",",
           TRUCE_EPARSE, "control[1].party: missing (the party holding it)");
  EDIT_ERR("\"id\": \"ru-east\"", "\"id\": \"ua-west\"", TRUCE_EPARSE,
           "control[1].id: 'ua-west' is already control[0]");
  EDIT_ERR("\"area\": {\"type\": \"Polygon\", \"coordinates\": [[[38.5, "
           "47.5], [40, 47.5], [40, 49.5], [38.5, 49.5], [38.5, 47.5]]]}",
           "\"area\": {\"type\": \"LineString\", \"coordinates\": [[38.5, "
           "47.5], [40, 47.5]]}",
           TRUCE_EPARSE, "control[2].area: is a line (LineString or "
                         "MultiLineString); an area must be a Polygon");
}

TEST(test_errors_zones) {
  EDIT_ERR("\"near_km\": 5}", "\"near_km\": -1}", TRUCE_ERANGE,
           "zones[0].near_km: -1 must be >= 0");
  EDIT_ERR("\"near_km\": 5}", "\"near_km\": 1001}", TRUCE_ERANGE,
           "zones[0].near_km: 1001 must be at most 1000");
  EDIT_ERR("\"near_km\": 5}", "\"near_km\": \"5 km\"}", TRUCE_EPARSE,
           "zones[0].near_km: must be a number, got a string");
  EDIT_ERR("\"near_km\": 2.5}", "\"near_km\": 2.5, \"radius\": 1}",
           TRUCE_EPARSE, "zones[1]: unknown field 'radius' (known: id, name, "
                         "area, around, near_km, source, note)");
  EDIT_ERR("{\"type\": \"MultiPolygon\", \"coordinates\": [[[[37.80, "
           "47.64], [37.83, 47.64], [37.83, 47.66], [37.80, 47.66], [37.80, "
           "47.64]]]]}",
           "{\"type\": \"MultiLineString\", \"coordinates\": [[[37.80, "
           "47.64], [37.83, 47.64]]]}",
           TRUCE_EPARSE,
           "zones[1].area: is a line (LineString or MultiLineString); an "
           "area must be a Polygon or MultiPolygon");
  EDIT_ERR("\"around\": {\"line\": \"contact\", \"km\": 15}",
           "\"around\": {\"line\": \"contact\", \"km\": 0}", TRUCE_ERANGE,
           "zones[2].around.km: 0 must be > 0");
  EDIT_ERR("\"around\": {\"line\": \"contact\", \"km\": 15}",
           "\"around\": {\"line\": \"front\", \"km\": 15}", TRUCE_EPARSE,
           "zones[2].around.line: no line 'front' (lines: contact, memo, "
           "edge)");
  EDIT_ERR("\"around\": {\"line\": \"contact\", \"km\": 15}",
           "\"around\": {\"km\": 15}", TRUCE_EPARSE,
           "zones[2].around.line: missing (a line id)");
  EDIT_ERR("\"around\": {\"line\": \"contact\", \"km\": 15}",
           "\"around\": {\"line\": \"contact\", \"km\": 15, \"side\": "
           "\"left\"}",
           TRUCE_EPARSE, "zones[2].around: unknown field 'side'");
  EDIT_ERR("\"around\": {\"line\": \"contact\", \"km\": 15}",
           "\"name\": \"buffer\"", TRUCE_EPARSE,
           "zones[2].area: missing (a GeoJSON Polygon or MultiPolygon, or "
           "around a line)");
  EDIT_ERR("{\"id\": \"buffer\", \"around\"",
           "{\"id\": \"buffer\", \"area\": {}, \"around\"", TRUCE_EPARSE,
           "zones[2]: give area or around, not both");
  EDIT_ERR("{\"id\": \"petrivske\",", "{\"id\": \"zolote\",", TRUCE_EPARSE,
           "zones[1].id: 'zolote' is already zones[0]");
}

TEST(test_errors_sites) {
  EDIT_ERR("\"system\": \"2S1\"", "\"system\": \"Gvozdyka 2\"",
           TRUCE_EVOCAB,
           "sites[0].items[0].system: 'Gvozdyka 2' is not in the weapon "
           "catalogue (data/weapons.json); truce does not guess");
  EDIT_ERR("\"serial\": \"A-002\", \"system\": \"d30\"",
           "\"serial\": \"A-001\", \"system\": \"2S1 Gvozdika\"",
           TRUCE_EPARSE,
           "sites[0].items[1]: 2S1 Gvozdika serial 'A-001' is already "
           "registered at sites[0].items[0]");
  /* The same serial for two different systems is two weapons. */
  EDIT_ERR("\"serial\": \"A-002\"", "\"serial\": \"A-001\"", TRUCE_OK, "");
  EDIT_ERR("\"radius_m\": 500", "\"radius_m\": 0", TRUCE_ERANGE,
           "sites[0].where.radius_m: 0 must be > 0");
  EDIT_ERR("\"lat\": 48.9", "\"lat\": 95", TRUCE_ERANGE,
           "sites[0].where.lat: 95 must be at most 90");
  EDIT_ERR("\"where\": {\"lat\": 48.9, \"lon\": 36.9, \"radius_m\": 500}, ",
           "", TRUCE_EPARSE,
           "sites[0].where: missing ({\"lat\", \"lon\", \"radius_m\"}, or an "
           "area)");
  EDIT_ERR("{\"serial\": \"A-001\", \"system\": \"2S1\"}",
           "{\"system\": \"2S1\"}", TRUCE_EPARSE,
           "sites[0].items[0].serial: missing (a string)");
  EDIT_ERR("{\"serial\": \"A-001\", \"system\": \"2S1\"}",
           "{\"serial\": \"\", \"system\": \"2S1\"}", TRUCE_EPARSE,
           "sites[0].items[0].serial: is empty");
  EDIT_ERR("\"party\": \"ua\", \"where\"", "\"where\"", TRUCE_EPARSE,
           "sites[0].party: missing (the party whose site it is)");
  EDIT_ERR("{\"serial\": \"A-001\", \"system\": \"2S1\"}",
           "{\"serial\": \"A-001\", \"system\": \"2S1\", \"count\": 2}",
           TRUCE_EPARSE,
           "sites[0].items[0]: unknown field 'count' (known: serial, "
           "system)");
}

/* ---- rules ---- */

TEST(test_errors_rules_common) {
  EDIT_ERR("\"type\": \"ceasefire\", \"what\": \"fire\"",
           "\"type\": \"truce\", \"what\": \"fire\"", TRUCE_EVOCAB,
           "rules[0].type: 'truce' is not a rule type (ceasefire, "
           "withdrawal, zone, cap, precondition, holding)");
  EDIT_ERR("\"type\": \"ceasefire\", \"what\": \"fire\"",
           "\"what\": \"fire\"", TRUCE_EPARSE,
           "rules[0].type: missing (ceasefire, withdrawal, zone, cap, "
           "precondition or holding)");
  EDIT_ERR("{\"id\": \"long-range\"", "{\"id\": \"heavy-artillery\"",
           TRUCE_EPARSE, "rules[2].id: 'heavy-artillery' is already rules[1]");
  EDIT_ERR("\"distance_km\": 25", "\"distnce_km\": 25", TRUCE_EPARSE,
           "rules[1]: unknown field 'distnce_km' (known: id, type, from, "
           "until, parties, quote, source, note, weapons, distance_km, "
           "lines)");
  /* A field of another rule type is unknown to this one. */
  EDIT_ERR("\"type\": \"ceasefire\", \"what\": \"fire\"",
           "\"type\": \"ceasefire\", \"what\": \"fire\", \"zone\": "
           "\"zolote\"",
           TRUCE_EPARSE, "rules[0]: unknown field 'zone'");
  EDIT_ERR("\"what\": \"fire\"", "\"what\": \"explosions\"", TRUCE_EVOCAB,
           "rules[0].what: 'explosions' is not a what word or group (fire, "
           "presence, explosion, undetermined_explosion");
  EDIT_ERR("\"what\": [\"fire\", \"presence\"]",
           "\"what\": [\"fire\", \"troops\"]", TRUCE_EVOCAB,
           "rules[3].what[1]: 'troops' is not a what word or group");
  EDIT_ERR("\"what\": [\"fire\", \"presence\"]", "\"what\": []",
           TRUCE_EPARSE, "rules[3].what: is empty");
  EDIT_ERR("\"zone\": [\"zolote\", \"petrivske\"], \"what\": [\"fire\", "
           "\"presence\"], ",
           "\"zone\": [\"zolote\", \"petrivske\"], ", TRUCE_EPARSE,
           "rules[3].what: missing (a string or an array of strings)");
  EDIT_ERR("\"parties\": [\"ua\", \"ru\"]", "\"parties\": [\"ua\", \"lpr\"]",
           TRUCE_EPARSE,
           "rules[7].parties[1]: 'lpr' is not one of the parties (ua, ru)");
  EDIT_ERR("\"parties\": [\"ua\", \"ru\"]", "\"parties\": [\"ua\", \"ua\"]",
           TRUCE_EPARSE, "rules[7].parties[1]: 'ua' is listed twice");
  EDIT_ERR("\"until\": \"2016-01-01T00:00:00Z\"",
           "\"until\": \"2015-02-14T22:00:00Z\"", TRUCE_ERANGE,
           "rules[5].until: 2015-02-14T22:00:00Z is not after the rule's "
           "start (2015-02-14T22:00:00Z)");
  EDIT_ERR("\"from\": \"2016-10-01T00:00:00+03:00\"",
           "\"from\": \"1 October 2016\"", TRUCE_EPARSE,
           "rules[3].from: '1 October 2016' is not an RFC 3339 time");
  EDIT_ERR("\"quote\": \"in designated storage sites\"", "\"quote\": 7",
           TRUCE_EPARSE, "rules[7].quote: must be a string, got an integer");
  EDIT_ERR("{\"id\": \"ceasefire\", \"type\": \"ceasefire\", \"what\": "
           "\"fire\"}",
           "[]", TRUCE_EPARSE, "rules[0]: must be an object, got an array");
  EXPECT_ERR("{\"truce_terms\": 1, \"id\": \"m\", \"parties\": [{\"id\": "
             "\"a\"}, {\"id\": \"b\"}], \"start\": {\"time\": "
             "\"2025-01-01T00:00:00Z\", \"zone\": \"UTC\"}, \"rules\": []}",
             TRUCE_EPARSE, "rules: is empty: terms need a rule");
}

TEST(test_errors_withdrawal) {
  EDIT_ERR("\"distance_km\": 25", "\"distance_km\": -5", TRUCE_ERANGE,
           "rules[1].distance_km: -5 must be > 0");
  EDIT_ERR("\"distance_km\": 25", "\"distance_km\": 0", TRUCE_ERANGE,
           "rules[1].distance_km: 0 must be > 0");
  EDIT_ERR("\"distance_km\": 25", "\"distance_km\": 2000", TRUCE_ERANGE,
           "rules[1].distance_km: 2000 must be at most 1000");
  EDIT_ERR("\"distance_km\": 25, ", "", TRUCE_EPARSE,
           "rules[1].distance_km: missing (a number)");
  EDIT_ERR("\"classes\": [\"artillery\", \"anti_tank\"]",
           "\"classes\": [\"howitzer\"]", TRUCE_EVOCAB,
           "rules[1].weapons.classes[0]: 'howitzer' is not a weapon class "
           "(small_arms, heavy_machine_gun");
  EDIT_ERR("\"classes\": [\"artillery\", \"anti_tank\"]",
           "\"classes\": [\"artillery\", \"artillery\"]", TRUCE_EPARSE,
           "rules[1].weapons.classes[1]: 'artillery' is listed twice");
  EDIT_ERR("{\"classes\": [\"artillery\", \"anti_tank\"], "
           "\"calibre_min_mm\": 100}",
           "{}", TRUCE_EPARSE,
           "rules[1].weapons: names no class and no system");
  EDIT_ERR("{\"classes\": [\"artillery\", \"anti_tank\"], "
           "\"calibre_min_mm\": 100}",
           "{\"calibre_min_mm\": 100, \"systems\": [\"2S1\"]}", TRUCE_EPARSE,
           "rules[1].weapons: calibre bounds apply to classes, and none is "
           "given");
  EDIT_ERR("\"calibre_min_mm\": 100", "\"calibre_min_mm\": -100",
           TRUCE_ERANGE, "rules[1].weapons.calibre_min_mm: -100 must be > 0");
  EDIT_ERR("\"calibre_min_mm\": 100",
           "\"calibre_min_mm\": 100, \"calibre_below_mm\": 100",
           TRUCE_ERANGE,
           "rules[1].weapons: calibre_min_mm 100 is not below "
           "calibre_below_mm 100: no calibre fits");
  EDIT_ERR("\"calibre_min_mm\": 100",
           "\"calibre_min_mm\": 100, \"calibre_max_mm\": 82", TRUCE_ERANGE,
           "rules[1].weapons: calibre_min_mm 100 is above calibre_max_mm 82");
  EDIT_ERR("\"calibre_min_mm\": 100",
           "\"calibre_max_mm\": 100, \"calibre_below_mm\": 100",
           TRUCE_EPARSE,
           "rules[1].weapons: give calibre_max_mm (at most) or "
           "calibre_below_mm (less than), not both");
  EDIT_ERR("\"calibre_min_mm\": 100", "\"calibre\": 100", TRUCE_EPARSE,
           "rules[1].weapons: unknown field 'calibre' (known: classes, "
           "calibre_min_mm, calibre_max_mm, calibre_below_mm, systems)");
  EDIT_ERR("\"Tochka-U\"]}", "\"Tochka-U2\"]}", TRUCE_EVOCAB,
           "rules[2].weapons.systems[4]: 'Tochka-U2' is not in the weapon "
           "catalogue (data/weapons.json); truce does not guess");
  EDIT_ERR("\"Smerch\", \"Tochka\"", "\"Smerch\", \"BM 30\"", TRUCE_EPARSE,
           "rules[2].weapons.systems[3]: names the same system as "
           "systems[2] (BM-30 Smerch)");
  EDIT_ERR("\"weapons\": {\"systems\"", "\"arms\": {\"systems\"",
           TRUCE_EPARSE, "rules[2]: unknown field 'arms'");
  /* Reference lines: each party bound needs exactly one. */
  EDIT_ERR("\"distance_km\": 25, \"lines\": [\"contact\", \"memo\"], ",
           "\"distance_km\": 25, ", TRUCE_EPARSE,
           "rules[1]: party 'ua' has 2 reference lines (contact, edge): "
           "name one in rules[1].lines");
  EDIT_ERR("\"distance_km\": 25, \"lines\": [\"contact\", \"memo\"], ",
           "\"distance_km\": 25, \"lines\": \"contact\", ", TRUCE_EPARSE,
           "rules[1].lines: party 'ru' has no reference line among these");
  EDIT_ERR("\"distance_km\": 25, \"lines\": [\"contact\", \"memo\"], ",
           "\"distance_km\": 25, \"lines\": [\"contact\", \"memo\", "
           "\"edge\"], ",
           TRUCE_EPARSE,
           "rules[1].lines: party 'ua' has 2 reference lines (contact, "
           "edge): name one in rules[1].lines");
  EDIT_ERR("\"distance_km\": 25, \"lines\": [\"contact\", \"memo\"], ",
           "\"distance_km\": 25, \"lines\": [\"contact\", \"memo\"], "
           "\"parties\": \"ua\", ",
           TRUCE_EPARSE,
           "rules[1].lines[1]: 'memo' is not a reference line of any party "
           "the rule binds");
  EDIT_ERR("\"distance_km\": 25, \"lines\": [\"contact\", \"memo\"], ",
           "\"distance_km\": 25, \"lines\": [\"contact\", \"mem0\"], ",
           TRUCE_EPARSE,
           "rules[1].lines[1]: no line 'mem0' (lines: contact, memo, edge)");
  /* The edge alone serves both parties. */
  EDIT_ERR("\"distance_km\": 25, \"lines\": [\"contact\", \"memo\"], ",
           "\"distance_km\": 25, \"lines\": \"edge\", ", TRUCE_OK, "");
}

TEST(test_errors_zone_rule) {
  EDIT_ERR("\"zone\": [\"zolote\", \"petrivske\"]", "\"zone\": \"zolotoe\"",
           TRUCE_EPARSE,
           "rules[3].zone: no zone 'zolotoe' (zones: zolote, petrivske, "
           "buffer)");
  EDIT_ERR("\"zone\": [\"zolote\", \"petrivske\"]",
           "\"zone\": [\"zolote\", \"petrovske\"]", TRUCE_EPARSE,
           "rules[3].zone[1]: no zone 'petrovske' (zones: zolote, "
           "petrivske, buffer)");
  EDIT_ERR("\"zone\": [\"zolote\", \"petrivske\"]",
           "\"zone\": [\"zolote\", \"zolote\"]", TRUCE_EPARSE,
           "rules[3].zone[1]: 'zolote' is listed twice");
  EDIT_ERR("\"zone\": [\"zolote\", \"petrivske\"], ", "", TRUCE_EPARSE,
           "rules[3].zone: missing");
  EDIT_ERR("\"zone\": [\"zolote\", \"petrivske\"]", "\"zone\": 3",
           TRUCE_EPARSE,
           "rules[3].zone: must be a string or an array of strings, got an "
           "integer");
}

TEST(test_errors_cap) {
  EDIT_ERR("\"max\": 10", "\"max\": -1", TRUCE_ERANGE,
           "rules[4].max: -1 is out of range [0, 1000000]");
  EDIT_ERR("\"max\": 10", "\"max\": 10.5", TRUCE_EPARSE,
           "rules[4].max: must be an integer, got a number with a fraction");
  EDIT_ERR("\"max\": 10, ", "", TRUCE_EPARSE,
           "rules[4].max: missing (an integer)");
  EDIT_ERR("\"window_hours\": 24, \"band_km\"",
           "\"window_hours\": 0, \"band_km\"", TRUCE_ERANGE,
           "rules[4].window_hours: 0 is out of range [1, 8784]");
  EDIT_ERR("\"band_km\": [0, 10]", "\"band_km\": [10, 5]", TRUCE_ERANGE,
           "rules[4].band_km: [10, 5] is not a band (0 <= from < to <= "
           "1000)");
  EDIT_ERR("\"band_km\": [0, 10]", "\"band_km\": [0, 10, 20]", TRUCE_EPARSE,
           "rules[4].band_km: must be [from_km, to_km], two numbers");
  EDIT_ERR("\"band_km\": [0, 10]", "\"band_km\": [0, 10], \"zone\": \"buffer\"",
           TRUCE_EPARSE, "rules[4]: give zone or band_km, not both");
  EDIT_ERR("\"band_km\": [0, 10], \"lines\": [\"contact\", \"memo\"]",
           "\"lines\": [\"contact\", \"memo\"]", TRUCE_EPARSE,
           "rules[4].band_km: missing (where the cap applies");
  EDIT_ERR("\"zone\": \"buffer\"", "\"zone\": \"buffer\", \"lines\": \"edge\"",
           TRUCE_EPARSE,
           "rules[5].lines: only a band_km is measured from lines");
  EDIT_ERR("\"zone\": \"buffer\"", "\"zone\": \"bufer\"", TRUCE_EPARSE,
           "rules[5].zone: no zone 'bufer' (zones: zolote, petrivske, "
           "buffer)");
  EDIT_ERR("\"calibre_max_mm\": 120}", "\"calibre_max_mm\": 120, "
           "\"systems\": [\"Sani\"]}", TRUCE_OK, "");
}

TEST(test_errors_precondition) {
  EDIT_ERR("\"zone\": \"zolote\", \"days\": 7",
           "\"zone\": \"zolotoe\", \"days\": 7", TRUCE_EPARSE,
           "rules[6].zone: no zone 'zolotoe' (zones: zolote, petrivske, "
           "buffer)");
  EDIT_ERR("\"days\": 7", "\"days\": 0", TRUCE_ERANGE,
           "rules[6].days: 0 is out of range [1, 366]");
  EDIT_ERR("\"enables\": \"disengage\"", "\"enables\": \"quiet\"",
           TRUCE_EPARSE, "rules[6].enables: a precondition cannot enable "
                         "itself");
  EDIT_ERR("\"enables\": \"disengage\"", "\"enables\": [\"disengage\", "
           "\"disengagement\"]",
           TRUCE_EPARSE,
           "rules[6].enables[1]: no rule 'disengagement' (rules: ceasefire, "
           "heavy-artillery");
  EDIT_ERR("\"enables\": \"disengage\"", "\"enables\": [\"disengage\", "
           "\"disengage\"]",
           TRUCE_EPARSE,
           "rules[6].enables[1]: 'disengage' is already enabled by rules[6] "
           "('quiet')");
  EDIT_ERR(", \"enables\": \"disengage\"", "", TRUCE_EPARSE,
           "rules[6].enables: missing (the rules that apply once the zone "
           "has been quiet)");
  EDIT_ERR("\"enables\": \"disengage\"", "\"enables\": []", TRUCE_EPARSE,
           "rules[6].enables: is empty");
  /* A second precondition enabling another precondition, or a rule that
   * is already enabled. */
  EDIT_ERR("\"enables\": \"disengage\"}",
           "\"enables\": \"disengage\"}, {\"id\": \"quiet2\", \"type\": "
           "\"precondition\", \"zone\": \"petrivske\", \"days\": 7, "
           "\"enables\": \"quiet\"}",
           TRUCE_EPARSE,
           "rules[7].enables: 'quiet' is a precondition; preconditions "
           "enable other rules only");
  EDIT_ERR("\"enables\": \"disengage\"}",
           "\"enables\": \"disengage\"}, {\"id\": \"quiet2\", \"type\": "
           "\"precondition\", \"zone\": \"petrivske\", \"days\": 7, "
           "\"enables\": \"disengage\"}",
           TRUCE_EPARSE,
           "rules[7].enables: 'disengage' is already enabled by rules[6] "
           "('quiet')");
  /* A precondition may name a rule that comes after it. */
  EDIT_ERR("\"enables\": \"disengage\"", "\"enables\": \"storage\"",
           TRUCE_OK, "");
}

TEST(test_errors_holding) {
  EDIT_ERR("\"parties\": [\"ua\", \"ru\"]", "\"parties\": [\"ua\"]",
           TRUCE_EPARSE,
           "rules[7].sites[1]: site 'site-2' is held by 'ru', which the rule "
           "does not bind");
  EDIT_ERR("\"sites\": [\"site-1\", \"site-2\"]",
           "\"sites\": [\"site-1\", \"site-3\"]", TRUCE_EPARSE,
           "rules[7].sites[1]: no site 'site-3' (sites: site-1, site-2)");
  EDIT_ERR("\"sites\": [\"site-1\", \"site-2\"]",
           "\"sites\": [\"site-1\", \"site-1\"]", TRUCE_EPARSE,
           "rules[7].sites[1]: 'site-1' is listed twice");
  /* No site for the parties bound. */
  const char *in = with("\"id\": \"site-2\", \"party\": \"ru\"",
                        "\"id\": \"site-2\", \"party\": \"ua\"");
  char buf[sizeof base + 4096];
  snprintf(buf, sizeof buf, "%s", in);
  char *at = strstr(buf, "\"sites\": [\"site-1\", \"site-2\"], \"parties\": "
                         "[\"ua\", \"ru\"]");
  CHECK(at != NULL);
  if (at) {
    const char *rest = at + strlen("\"sites\": [\"site-1\", \"site-2\"], "
                                   "\"parties\": [\"ua\", \"ru\"]");
    char out[sizeof buf];
    snprintf(out, sizeof out, "%.*s\"parties\": \"ru\"%s", (int)(at - buf),
             buf, rest);
    EXPECT_ERR(out, TRUCE_EPARSE,
               "rules[7]: no holding site belongs to the parties the rule "
               "binds");
  }
}

/* ---- robustness ---- */

TEST(test_alloc_failure) {
  uint64_t n;
  truce_err rc = TRUCE_ENOMEM;
  for (n = 1; n < 100000 && rc == TRUCE_ENOMEM; n++) {
    truce_terms *t = NULL;
    truce_test_fail_alloc(n);
    rc = parse(base, &t);
    truce_test_fail_alloc(0);
    CHECK_MSG(rc == TRUCE_OK || rc == TRUCE_ENOMEM, "n=%" PRIu64 ": %s", n,
              errbuf);
    if (rc == TRUCE_ENOMEM)
      CHECK(t == NULL);
    truce_terms_free(t);
  }
  CHECK_EQ_U64(rc, TRUCE_OK);
}

TEST(test_null_arguments) {
  truce_terms *t = NULL;
  CHECK_RC(truce_terms_parse(NULL, 0, &t, errbuf), TRUCE_EINVAL);
  CHECK_RC(truce_terms_parse("{}", 2, NULL, errbuf), TRUCE_EINVAL);
  CHECK_RC(truce_terms_parse("{}", 2, &t, NULL), TRUCE_EPARSE);
  CHECK_RC(truce_terms_parse(base, strlen(base), &t, NULL), TRUCE_OK);
  truce_terms_free(t);
  truce_terms_free(NULL);
  CHECK_RC(truce_terms_load("/nonexistent/terms.json", &t, errbuf),
           TRUCE_ENOTFOUND);
  CHECK(t == NULL);
  CHECK_STR(truce_terms_id(NULL), "");
  truce_terms_counts n;
  truce_terms_count(NULL, &n);
  CHECK(n.rules == 0);
}

/* A hostile value echoed in a message is cut and cannot drive a
 * terminal. */
TEST(test_message_hygiene) {
  EDIT_ERR("\"zone\": [\"zolote\", \"petrivske\"]",
           "\"zone\": \"\\u001b[31mred\"", TRUCE_EPARSE,
           "rules[3].zone: no zone '?[31mred'");
  char long_id[400];
  memset(long_id, 'z', sizeof long_id);
  long_id[sizeof long_id - 1] = '\0';
  char edit[500];
  snprintf(edit, sizeof edit, "\"zone\": \"%s\"", long_id);
  const char *in = with("\"zone\": [\"zolote\", \"petrivske\"]", edit);
  truce_terms *t = NULL;
  CHECK_RC(parse(in, &t), TRUCE_EPARSE);
  CHECK_CONTAINS(errbuf, "zzz...' (zones:");
  CHECK(strlen(errbuf) < 200);
}

/* ---- the shipped examples ---- */

static void check_example(const char *path, const char *id, size_t rules) {
  truce_terms *t = NULL;
  errbuf[0] = '\0';
  truce_err rc = truce_terms_load(path, &t, errbuf);
  CHECK_MSG(rc == TRUCE_OK, "%s", errbuf);
  if (!t)
    return;
  CHECK_STR(truce_terms_id(t), id);
  truce_terms_counts n;
  truce_terms_count(t, &n);
  CHECK_EQ_U64(n.rules, rules);
  truce_buf b;
  truce_buf_init(&b, 1 << 20);
  CHECK_OK(truce_terms_describe(t, &b));
  truce_buf_release(&b);
  truce_terms_free(t);
}

TEST(test_example_minsk) {
  check_example("examples/terms/minsk-ii.json", "minsk-ii", 13);
  truce_terms *t = NULL;
  if (truce_terms_load("examples/terms/minsk-ii.json", &t, errbuf) !=
      TRUCE_OK)
    return;
  /* 00:00 Kyiv time (UTC+2 in February) on 15 February 2015. */
  CHECK_EQ_U64(truce_terms_start_ms(t), UINT64_C(1423951200000));
  CHECK_STR(truce_terms_start_zone(t), "Europe/Kyiv");
  /* Each side measures from its own line. */
  long ua = -1, other = -1;
  for (size_t p = 0; p < t->nparties; p++) {
    if (strcmp(t->parties[p].id, "ua") == 0)
      ua = (long)p;
    else
      other = (long)p;
  }
  CHECK(ua >= 0 && other >= 0);
  size_t withdrawals = 0;
  for (size_t i = 0; i < t->nrules && ua >= 0 && other >= 0; i++) {
    const terms_rule *r = &t->rules[i];
    if (r->type != TERMS_RULE_WITHDRAWAL)
      continue;
    withdrawals++;
    CHECK(r->u.withdrawal.line[ua] >= 0 && r->u.withdrawal.line[other] >= 0);
    CHECK(r->u.withdrawal.line[ua] != r->u.withdrawal.line[other]);
  }
  CHECK_EQ_U64(withdrawals, 6);
  /* The three disengagement areas, with near counting. */
  size_t areas = 0;
  for (size_t i = 0; i < t->nzones; i++)
    areas += t->zones[i].area != NULL && t->zones[i].near_km > 0;
  CHECK_EQ_U64(areas, 3);
  truce_terms_free(t);
}

TEST(test_example_buffer) {
  check_example("examples/terms/buffer-zone-2025.json", "buffer-zone-2025",
                4);
}

int main(void) {
  RUN(test_base);
  RUN(test_defaults);
  RUN(test_describe);
  RUN(test_errors_document);
  RUN(test_errors_parties_start);
  RUN(test_errors_lines);
  RUN(test_errors_control);
  RUN(test_errors_zones);
  RUN(test_errors_sites);
  RUN(test_errors_rules_common);
  RUN(test_errors_withdrawal);
  RUN(test_errors_zone_rule);
  RUN(test_errors_cap);
  RUN(test_errors_precondition);
  RUN(test_errors_holding);
  RUN(test_alloc_failure);
  RUN(test_null_arguments);
  RUN(test_message_hygiene);
  RUN(test_example_minsk);
  RUN(test_example_buffer);
  return test_done(__FILE__);
}
