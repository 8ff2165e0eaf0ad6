/*
 * test_obs.c: observations (lib/obs.c), times (lib/time.c) and the
 * vocabulary (lib/vocab.c).
 *
 * Known answers first (every expected value here is written by hand, or
 * checked against Python's datetime, never produced by the code under
 * test), then one test per rule (the code AND the field named in the
 * message), then properties over random observations: parse(format(o))
 * == o and format is a fixed point. The seed is printed; TRUCE_SEED=n
 * repeats a run. Allocation failure is injected at every allocation.
 *
 * Depends only on the public header and test.h.
 */
#include "truce.h"

#include "test.h"

#include <math.h>
#include <stdbool.h>
#include <time.h>

/* 2026-11-26T12:37:00Z (Python: datetime(2026,11,26,12,37,
 * tzinfo=timezone.utc).timestamp() * 1000). */
#define NOW_MS INT64_C(1795696620000)

static char errbuf[TRUCE_ERR_MAX];

static truce_err parse_at(const char *json, int64_t now_ms, truce_obs *o) {
  errbuf[0] = '\0';
  return truce_obs_parse(json, strlen(json), now_ms, o, errbuf);
}

static truce_err parse(const char *json, truce_obs *o) {
  return parse_at(json, NOW_MS, o);
}

static bool all_zero(const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i])
      return false;
  return true;
}

/* The input parses; err is shown if not. */
#define EXPECT_OK(json, o)                                                   \
  do {                                                                       \
    truce_err rc__ = parse(json, o);                                         \
    CHECK_MSG(rc__ == TRUCE_OK, "%s -> %s", json, errbuf);                   \
  } while (0)

/* The input is refused with `code`, the message contains `needle` (which
 * always includes the field's path), and the output is zeroed. */
#define EXPECT_ERR(json, code, needle)                                       \
  do {                                                                       \
    truce_obs o__;                                                           \
    memset(&o__, 0xa5, sizeof o__);                                          \
    truce_err rc__ = parse(json, &o__);                                      \
    CHECK_MSG(rc__ == (code), "%s -> %d (%s), want %d: %s", json, rc__,      \
              truce_strerror(rc__), (int)(code), errbuf);                    \
    CHECK_CONTAINS(errbuf, needle);                                          \
    CHECK(all_zero(&o__, sizeof o__));                                       \
  } while (0)

/* A valid observation with `rest` added: the base has what, a time and a
 * point. */
static const char *with(const char *rest) {
  static char buf[4][TRUCE_OBS_LINE_MAX * 2];
  static int slot;
  char *b = buf[slot++ % 4];
  snprintf(b, sizeof buf[0],
           "{\"what\":\"explosion\",\"time\":\"2015-02-16T03:10:00+02:00\","
           "\"where\":{\"lat\":48.1,\"lon\":37.7}%s%s}",
           *rest ? "," : "", rest);
  return b;
}

/* An observation with what and a time, and `rest` (which supplies where
 * or the thing under test). */
static const char *bare(const char *rest) {
  static char buf[4][TRUCE_OBS_LINE_MAX * 2];
  static int slot;
  char *b = buf[slot++ % 4];
  snprintf(b, sizeof buf[0],
           "{\"what\":\"explosion\",\"time\":\"2015-02-16T03:10:00Z\"%s%s}",
           *rest ? "," : "", rest);
  return b;
}

/* An observation with what and where, and `rest` for the time. */
static const char *untimed(const char *rest) {
  static char buf[4][1024];
  static int slot;
  char *b = buf[slot++ % 4];
  snprintf(b, sizeof buf[0],
           "{\"what\":\"explosion\",\"where\":{\"lat\":48.1,\"lon\":37.7}%s%s}",
           *rest ? "," : "", rest);
  return b;
}

static const char *fmt(const truce_obs *o) {
  static char out[4][TRUCE_OBS_LINE_MAX + 1];
  static int slot;
  char *s = out[slot++ % 4];
  truce_buf b;
  truce_buf_init(&b, TRUCE_OBS_LINE_MAX);
  truce_err rc = truce_obs_format(o, &b);
  CHECK_MSG(rc == TRUCE_OK, "format: %s", truce_strerror(rc));
  snprintf(s, TRUCE_OBS_LINE_MAX + 1, "%s", rc == TRUCE_OK ? b.data : "");
  truce_buf_release(&b);
  return s;
}

/* Field-by-field equality; *why names the first difference. Doubles must
 * be the same value and sign. */
static bool obs_eq(const truce_obs *a, const truce_obs *b, const char **why) {
#define DIFF(cond, name)                                                     \
  if (cond) {                                                                \
    *why = name;                                                             \
    return false;                                                            \
  }
#define DEQ(f) DIFF(!(a->f == b->f && signbit(a->f) == signbit(b->f)), #f)
  DIFF(strcmp(a->id, b->id), "id");
  DIFF(a->what != b->what, "what");
  DIFF(a->count != b->count, "count");
  DIFF(a->count_approx != b->count_approx, "count_approx");
  DIFF(a->t_ms != b->t_ms, "t_ms");
  DIFF(a->t_end_ms != b->t_end_ms, "t_end_ms");
  DIFF(a->precision_s != b->precision_s, "precision_s");
  DIFF(a->is_window != b->is_window, "is_window");
  DIFF(a->where_kind != b->where_kind, "where_kind");
  DEQ(lat_deg);
  DEQ(lon_deg);
  DEQ(uncertainty_m);
  DEQ(bearing_deg);
  DEQ(bearing_spread_deg);
  DEQ(dist_min_m);
  DEQ(dist_max_m);
  DIFF(a->weapon != b->weapon, "weapon");
  DEQ(calibre_mm);
  DIFF(strcmp(a->system, b->system), "system");
  DIFF(a->has_fire != b->has_fire, "has_fire");
  DEQ(fire_from_deg);
  DEQ(fire_spread_deg);
  DIFF(a->means != b->means, "means");
  DIFF(a->nevidence != b->nevidence, "nevidence");
  for (unsigned i = 0; i < a->nevidence && i < TRUCE_OBS_EVIDENCE_MAX; i++) {
    DIFF(memcmp(a->evidence[i].sha256, b->evidence[i].sha256, 32),
         "evidence.sha256");
    DIFF(strcmp(a->evidence[i].kind, b->evidence[i].kind), "evidence.kind");
  }
  DIFF(a->has_provenance != b->has_provenance, "has_provenance");
  DIFF(strcmp(a->dataset, b->dataset), "dataset");
  DIFF(memcmp(a->file_sha256, b->file_sha256, 32), "file_sha256");
  DIFF(a->row != b->row, "row");
  DIFF(strcmp(a->place, b->place), "place");
  DIFF(strcmp(a->note, b->note), "note");
  DIFF(strcmp(a->site, b->site), "site");
  DIFF(a->has_serials != b->has_serials, "has_serials");
  DIFF(a->nserials != b->nserials, "nserials");
  for (unsigned i = 0; i < a->nserials && i < TRUCE_OBS_SERIALS_MAX; i++)
    DIFF(strcmp(a->serials[i], b->serials[i]), "serials");
#undef DEQ
#undef DIFF
  return true;
}

static void hex32(const char *hex, uint8_t out[32]) {
  size_t n = 0;
  CHECK_OK(truce_hex_decode(hex, 64, out, 32, &n));
}

/* ------------------------------------------------------------------ */
/* Vocabulary                                                           */
/* ------------------------------------------------------------------ */

TEST(test_vocab_names) {
  /* Spot checks against the header's comments. */
  CHECK_STR(truce_what_name(TRUCE_WHAT_EXPLOSION), "explosion");
  CHECK_STR(truce_what_name(TRUCE_WHAT_UNDETERMINED_EXPLOSION),
            "undetermined_explosion");
  CHECK_STR(truce_what_name(TRUCE_WHAT_MUZZLE_FLASH), "muzzle_flash");
  CHECK_STR(truce_what_name(TRUCE_WHAT_MOVEMENT_RESTRICTION),
            "movement_restriction");
  CHECK_STR(truce_what_name(TRUCE_WHAT_JAMMING), "jamming");
  CHECK_STR(truce_weapon_class_name(TRUCE_WEAPON_SMALL_ARMS), "small_arms");
  CHECK_STR(truce_weapon_class_name(TRUCE_WEAPON_HEAVY_MACHINE_GUN),
            "heavy_machine_gun");
  CHECK_STR(truce_weapon_class_name(TRUCE_WEAPON_IFV), "ifv");
  CHECK_STR(truce_weapon_class_name(TRUCE_WEAPON_MLRS), "mlrs");
  CHECK_STR(truce_weapon_class_name(TRUCE_WEAPON_UNKNOWN), "unknown");
  CHECK_STR(truce_means_name(TRUCE_MEANS_AUDIO), "audio");
  CHECK_STR(truce_means_name(TRUCE_MEANS_ACOUSTIC), "acoustic_sensor");
  CHECK_STR(truce_means_name(TRUCE_MEANS_REPORT), "report");
  /* No name for "none", the count, or a set of several means. */
  CHECK(truce_what_name(TRUCE_WHAT_NONE) == NULL);
  CHECK(truce_what_name(TRUCE_WHAT_COUNT) == NULL);
  CHECK(truce_weapon_class_name(TRUCE_WEAPON_NONE) == NULL);
  CHECK(truce_weapon_class_name(TRUCE_WEAPON_COUNT) == NULL);
  CHECK(truce_means_name(0) == NULL);
  CHECK(truce_means_name(TRUCE_MEANS_AUDIO | TRUCE_MEANS_VISUAL) == NULL);
  CHECK(truce_means_name(1u << TRUCE_MEANS_COUNT) == NULL);
}

TEST(test_vocab_round_trip) {
  int n = 0;
  for (int w = TRUCE_WHAT_NONE + 1; w < TRUCE_WHAT_COUNT; w++, n++) {
    const char *s = truce_what_name((truce_what)w);
    CHECK(s != NULL);
    if (s)
      CHECK_EQ_U64(truce_what_from_name(s, strlen(s)), w);
  }
  CHECK_EQ_U64(n, 17); /* DESIGN.md's 16 words, and site_visit */
  n = 0;
  for (int c = TRUCE_WEAPON_NONE + 1; c < TRUCE_WEAPON_COUNT; c++, n++) {
    const char *s = truce_weapon_class_name((truce_weapon_class)c);
    CHECK(s != NULL);
    if (s)
      CHECK_EQ_U64(truce_weapon_class_from_name(s, strlen(s)), c);
  }
  CHECK_EQ_U64(n, 16);
  for (unsigned k = 0; k < TRUCE_MEANS_COUNT; k++) {
    const char *s = truce_means_name(1u << k);
    CHECK(s != NULL);
    if (s)
      CHECK_EQ_U64(truce_means_from_name(s, strlen(s)), 1u << k);
  }
}

TEST(test_vocab_unknown_words) {
  CHECK_EQ_U64(truce_what_from_name("howitzer", 8), TRUCE_WHAT_NONE);
  CHECK_EQ_U64(truce_what_from_name("Explosion", 9), TRUCE_WHAT_NONE);
  CHECK_EQ_U64(truce_what_from_name("explosio", 8), TRUCE_WHAT_NONE);
  CHECK_EQ_U64(truce_what_from_name("explosions", 10), TRUCE_WHAT_NONE);
  CHECK_EQ_U64(truce_what_from_name("", 0), TRUCE_WHAT_NONE);
  CHECK_EQ_U64(truce_what_from_name(NULL, 0), TRUCE_WHAT_NONE);
  CHECK_EQ_U64(truce_what_from_name("none", 4), TRUCE_WHAT_NONE);
  /* The length counts, not a NUL: "mine" inside a longer buffer. */
  CHECK_EQ_U64(truce_what_from_name("minefield", 4), TRUCE_WHAT_MINE);
  CHECK_EQ_U64(truce_weapon_class_from_name("howitzer", 8),
               TRUCE_WEAPON_NONE);
  CHECK_EQ_U64(truce_weapon_class_from_name("MLRS", 4), TRUCE_WEAPON_NONE);
  CHECK_EQ_U64(truce_means_from_name("smell", 5), 0);
  CHECK_EQ_U64(truce_means_from_name("acoustic", 8), 0);
}

/* ------------------------------------------------------------------ */
/* Times                                                                */
/* ------------------------------------------------------------------ */

static int64_t tparse(const char *s, truce_err want) {
  int64_t t = -1;
  truce_err rc = truce_time_parse(s, strlen(s), &t);
  CHECK_MSG(rc == want, "%s -> %s, want %s", s, truce_strerror(rc),
            truce_strerror(want));
  if (rc)
    CHECK_MSG(t == 0, "%s: output not zeroed", s);
  return t;
}

TEST(test_time_known_answers) {
  /* Values from Python's datetime. */
  CHECK_EQ_U64(tparse("1970-01-01T00:00:00Z", TRUCE_OK), 0);
  CHECK_EQ_U64(tparse("2015-02-14T22:00:00Z", TRUCE_OK), 1423951200000);
  CHECK_EQ_U64(tparse("2015-02-15T00:00:00+02:00", TRUCE_OK), 1423951200000);
  CHECK_EQ_U64(tparse("2015-02-14T19:30:00-02:30", TRUCE_OK), 1423951200000);
  CHECK_EQ_U64(tparse("2015-02-14T22:00:00-00:00", TRUCE_OK), 1423951200000);
  CHECK_EQ_U64(tparse("2015-02-14t22:00:00z", TRUCE_OK), 1423951200000);
  CHECK_EQ_U64(tparse("2015-02-14T22:00:00.1Z", TRUCE_OK), 1423951200100);
  CHECK_EQ_U64(tparse("2015-02-14T22:00:00.12Z", TRUCE_OK), 1423951200120);
  CHECK_EQ_U64(tparse("2015-02-14T22:00:00.123Z", TRUCE_OK), 1423951200123);
  CHECK_EQ_U64(tparse("2015-02-14T22:00:00.005+00:00", TRUCE_OK),
               1423951200005);
  CHECK_EQ_U64(tparse("2026-11-26T12:37:00Z", TRUCE_OK), NOW_MS);
  CHECK(tparse("1969-12-31T23:59:59.999Z", TRUCE_OK) == -1);
}

TEST(test_time_leap_years) {
  CHECK_EQ_U64(tparse("2000-02-29T00:00:00Z", TRUCE_OK), 951782400000);
  CHECK_EQ_U64(tparse("2024-02-29T12:00:00Z", TRUCE_OK), 1709208000000);
  CHECK_EQ_U64(tparse("2400-02-29T00:00:00Z", TRUCE_OK), 13574563200000);
  tparse("1900-02-29T00:00:00Z", TRUCE_ERANGE); /* divisible by 100 */
  tparse("2100-02-29T00:00:00Z", TRUCE_ERANGE);
  tparse("2023-02-29T00:00:00Z", TRUCE_ERANGE);
  tparse("2024-02-30T00:00:00Z", TRUCE_ERANGE);
  tparse("2024-04-31T00:00:00Z", TRUCE_ERANGE);
  tparse("2024-06-31T00:00:00Z", TRUCE_ERANGE);
  tparse("2024-12-31T23:59:59Z", TRUCE_OK);
  tparse("2024-13-01T00:00:00Z", TRUCE_ERANGE);
  tparse("2024-00-01T00:00:00Z", TRUCE_ERANGE);
  tparse("2024-01-00T00:00:00Z", TRUCE_ERANGE);
  tparse("2024-01-32T00:00:00Z", TRUCE_ERANGE);
}

TEST(test_time_fields_and_offsets) {
  tparse("2024-01-01T24:00:00Z", TRUCE_ERANGE);
  tparse("2024-01-01T23:60:00Z", TRUCE_ERANGE);
  tparse("2016-12-31T23:59:60Z", TRUCE_ERANGE); /* leap second: refused */
  tparse("2024-01-01T23:59:59Z", TRUCE_OK);
  /* Offsets up to +-23:59; the UTC instant moves by the offset. */
  CHECK_EQ_U64(tparse("2015-02-15T21:59:00+23:59", TRUCE_OK), 1423951200000);
  CHECK_EQ_U64(tparse("2015-02-13T22:01:00-23:59", TRUCE_OK), 1423951200000);
  tparse("2015-02-15T00:00:00+24:00", TRUCE_ERANGE);
  tparse("2015-02-15T00:00:00+02:60", TRUCE_ERANGE);
  /* A local date that exists only by the offset still needs a real date:
   * 30 February does not exist anywhere. */
  tparse("2015-02-30T01:00:00+02:00", TRUCE_ERANGE);
}

TEST(test_time_syntax) {
  const char *bad[] = {
      "",
      "2015-02-14",
      "2015-02-14T22:00:00",       /* no offset */
      "2015-02-14 22:00:00Z",      /* space for T */
      "2015-02-14T22:00Z",         /* no seconds */
      "2015-2-14T22:00:00Z",       /* one-digit month */
      "2015-02-14T22:00:00.Z",     /* empty fraction */
      "2015-02-14T22:00:00.1234Z", /* finer than ms */
      "2015-02-14T22:00:00+0200",  /* no colon */
      "2015-02-14T22:00:00+02",    /* no minutes */
      "2015-02-14T22:00:00+02:0",
      "2015-02-14T22:00:00Z ",     /* trailing junk */
      "2015-02-14T22:00:00ZZ",
      "2015-02-14T22:00:00UTC",
      "+2015-02-14T22:00:00Z",
      "2015/02/14T22:00:00Z",
      "2015-02-14T22:00:0aZ",
      "16/02/2015 03:10",
      "yesterday",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    tparse(bad[i], TRUCE_EPARSE);
  /* The length is honoured: a valid time followed by bytes not counted. */
  int64_t t = 0;
  CHECK_OK(truce_time_parse("2015-02-14T22:00:00Zjunk", 20, &t));
  CHECK_EQ_U64(t, 1423951200000);
  CHECK_RC(truce_time_parse("2015-02-14T22:00:00Z", 19, &t), TRUCE_EPARSE);
}

TEST(test_time_range) {
  CHECK(tparse("1900-01-01T00:00:00Z", TRUCE_OK) == INT64_C(-2208988800000));
  tparse("1899-12-31T23:59:59.999Z", TRUCE_ERANGE);
  /* 01:00 at +02:00 is 1899 in UTC. */
  tparse("1900-01-01T01:00:00+02:00", TRUCE_ERANGE);
  CHECK(tparse("2999-12-31T23:59:59.999Z", TRUCE_OK) ==
        INT64_C(32503679999999));
  tparse("3000-01-01T00:00:00Z", TRUCE_ERANGE);
  tparse("2999-12-31T23:00:00-02:00", TRUCE_ERANGE); /* 3000 in UTC */
  tparse("0000-01-01T00:00:00Z", TRUCE_ERANGE);
  tparse("9999-12-31T23:59:59Z", TRUCE_ERANGE);
}

TEST(test_time_format) {
  char s[32];
  truce_time_format(0, s);
  CHECK_STR(s, "1970-01-01T00:00:00Z");
  truce_time_format(1423951200000, s);
  CHECK_STR(s, "2015-02-14T22:00:00Z");
  truce_time_format(1423951200123, s);
  CHECK_STR(s, "2015-02-14T22:00:00.123Z");
  truce_time_format(1423951200120, s);
  CHECK_STR(s, "2015-02-14T22:00:00.120Z");
  truce_time_format(1423951200001, s);
  CHECK_STR(s, "2015-02-14T22:00:00.001Z");
  truce_time_format(-1, s);
  CHECK_STR(s, "1969-12-31T23:59:59.999Z");
  truce_time_format(INT64_C(-2208988800000), s);
  CHECK_STR(s, "1900-01-01T00:00:00Z");
  truce_time_format(951782400000, s);
  CHECK_STR(s, "2000-02-29T00:00:00Z");
  truce_time_format(INT64_C(32503679999999), s);
  CHECK_STR(s, "2999-12-31T23:59:59.999Z");
  /* The ends of int64 (Python: datetime(1970,1,1) + timedelta(
   * milliseconds=2**63-1) is 292278994-08-17 07:12:55.807). */
  truce_time_format(INT64_MAX, s);
  CHECK_STR(s, "292278994-08-17T07:12:55.807Z");
  truce_time_format(INT64_MIN, s);
  CHECK(strlen(s) < 32);
  CHECK_STR(s, "-292275055-05-16T16:47:04.192Z");
}

static uint64_t rnd(void);

/* truce_time_format writes its digits by hand: the same text as the
 * printf format it replaced, for times across the whole int64 range (the
 * fields come from Python-checked arithmetic above; this checks only the
 * writing). */
TEST(test_time_format_writer) {
  int bad = 0;
  for (int i = 0; i < 200000 && bad < 5; i++) {
    int64_t t = (int64_t)rnd();
    if (i % 4 == 1) /* 1900..2999, where observations live */
      t = INT64_C(-2208988800000) +
          (int64_t)(rnd() % UINT64_C(34712668800000));
    if (i % 4 == 2)
      t -= t % 1000;
    if (i % 4 == 3) /* negative years, near the start of int64 */
      t = INT64_MIN + (int64_t)(rnd() % UINT64_C(100000000000000));
    char got[32], want[64];
    truce_time_format(t, got);
    /* The reference: split as the library does, then printf. */
    int64_t days = t / 86400000, rem = t % 86400000;
    if (rem < 0) {
      rem += 86400000;
      days--;
    }
    /* Day to date (Howard Hinnant's civil_from_days, re-derived here). */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    int ms = (int)(rem % 1000);
    if (ms)
      snprintf(want, sizeof want,
               "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y, (int)m,
               (int)d, (int)(rem / 3600000), (int)(rem / 60000 % 60),
               (int)(rem / 1000 % 60), ms);
    else
      snprintf(want, sizeof want, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02dZ",
               y, (int)m, (int)d, (int)(rem / 3600000),
               (int)(rem / 60000 % 60), (int)(rem / 1000 % 60));
    if (strcmp(got, want) != 0) {
      CHECK_MSG(0, "%" PRId64 ": %s, want %s", t, got, want);
      bad++;
    }
  }
}

/* Every day from 1900 to 2999, walked with a calendar written here (not
 * the library's arithmetic): format gives the walked date, parse gives
 * back the day. */
TEST(test_time_every_day) {
  static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int y = 1900, m = 1, d = 1;
  int64_t t = INT64_C(-2208988800000);
  int bad = 0;
  while (y < 3000 && bad < 5) {
    char want[64], got[32];
    snprintf(want, sizeof want, "%04d-%02d-%02dT00:00:00Z", y, m, d);
    truce_time_format(t, got);
    if (strcmp(want, got) != 0) {
      CHECK_STR(got, want);
      bad++;
    }
    int64_t back = 0;
    if (truce_time_parse(want, strlen(want), &back) != TRUCE_OK ||
        back != t) {
      CHECK_MSG(0, "%s did not parse back to %" PRId64, want, t);
      bad++;
    }
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int len = mdays[m - 1] + (m == 2 && leap);
    if (++d > len) {
      d = 1;
      if (++m > 12) {
        m = 1;
        y++;
      }
    }
    t += 86400000;
  }
  CHECK_EQ_U64(t, INT64_C(32503680000000)); /* 3000-01-01 */
}

/* ------------------------------------------------------------------ */
/* Observations: the examples in docs/observation.md                    */
/* ------------------------------------------------------------------ */

static const char patrol_json[] =
    "{\"id\": \"SMM-0341\", \"what\": \"undetermined_explosion\", "
    "\"count\": 200, \"count_approx\": true, "
    "\"time\": \"2015-02-16T03:10:00+02:00\", \"precision_s\": 60, "
    "\"where\": {\"observer\": {\"lat\": 48.0159, \"lon\": 37.8028}, "
    "\"bearing_deg\": 135, \"spread_deg\": 22.5, \"dist_min_m\": 3000, "
    "\"dist_max_m\": 5000}, \"means\": \"audio\", "
    "\"place\": \"Donetsk railway station\", "
    "\"note\": \"heard from the patrol's position; calibre not "
    "determined\"}";

static const char patrol_canonical[] =
    "{\"id\":\"SMM-0341\",\"what\":\"undetermined_explosion\",\"count\":200,"
    "\"count_approx\":true,\"time\":\"2015-02-16T01:10:00Z\","
    "\"precision_s\":60,\"where\":{\"observer\":{\"lat\":48.0159,"
    "\"lon\":37.8028},\"bearing_deg\":135,\"spread_deg\":22.5,"
    "\"dist_min_m\":3000,\"dist_max_m\":5000},\"means\":\"audio\","
    "\"place\":\"Donetsk railway station\",\"note\":\"heard from the "
    "patrol's position; calibre not determined\"}";

TEST(test_example_patrol) {
  truce_obs o;
  EXPECT_OK(patrol_json, &o);
  CHECK_STR(o.id, "SMM-0341");
  CHECK_EQ_U64(o.what, TRUCE_WHAT_UNDETERMINED_EXPLOSION);
  CHECK_EQ_U64(o.count, 200);
  CHECK_EQ_U64(o.count_approx, 1);
  CHECK_EQ_U64(o.t_ms, 1424049000000); /* 2015-02-16T01:10:00Z */
  CHECK_EQ_U64(o.t_end_ms, 1424049000000);
  CHECK_EQ_U64(o.precision_s, 60);
  CHECK_EQ_U64(o.is_window, 0);
  CHECK_EQ_U64(o.where_kind, TRUCE_WHERE_BEARING);
  CHECK(o.lat_deg == 48.0159 && o.lon_deg == 37.8028);
  CHECK(o.bearing_deg == 135 && o.bearing_spread_deg == 22.5);
  CHECK(o.dist_min_m == 3000 && o.dist_max_m == 5000);
  CHECK(o.uncertainty_m == 0);
  CHECK_EQ_U64(o.means, TRUCE_MEANS_AUDIO);
  CHECK_EQ_U64(o.weapon, TRUCE_WEAPON_NONE);
  CHECK_EQ_U64(o.has_fire, 0);
  CHECK_EQ_U64(o.nevidence, 0);
  CHECK_EQ_U64(o.has_provenance, 0);
  CHECK_STR(o.place, "Donetsk railway station");
  CHECK_STR(fmt(&o), patrol_canonical);
}

TEST(test_example_camera) {
  const char *in =
      "{\"id\":\"CAM-SHY-2-20150216-0412\",\"what\":\"muzzle_flash\","
      "\"count\":12,\"window\":{\"from\":\"2015-02-16T04:12:00Z\","
      "\"to\":\"2015-02-16T04:19:30Z\"},\"where\":{\"observer\":{\"lat\":"
      "47.0925,\"lon\":37.6428},\"bearing_deg\":80,\"spread_deg\":5},"
      "\"fire\":{\"towards_deg\":260,\"spread_deg\":10},\"means\":\"camera\","
      "\"evidence\":[{\"sha256\":\"92749aa6f8d29b67ee183dc0b6b5712774b6b375ce"
      "106c9a1ac680d7435c37ed\",\"kind\":\"video\"}],\"place\":\"Shyrokyne\"}";
  const char *want =
      "{\"id\":\"CAM-SHY-2-20150216-0412\",\"what\":\"muzzle_flash\","
      "\"count\":12,\"window\":{\"from\":\"2015-02-16T04:12:00Z\","
      "\"to\":\"2015-02-16T04:19:30Z\"},\"where\":{\"observer\":{\"lat\":"
      "47.0925,\"lon\":37.6428},\"bearing_deg\":80,\"spread_deg\":5},"
      "\"fire\":{\"from_deg\":80,\"spread_deg\":10},\"means\":\"camera\","
      "\"evidence\":[{\"sha256\":\"92749aa6f8d29b67ee183dc0b6b5712774b6b375ce"
      "106c9a1ac680d7435c37ed\",\"kind\":\"video\"}],\"place\":\"Shyrokyne\"}";
  truce_obs o;
  EXPECT_OK(in, &o);
  CHECK_EQ_U64(o.is_window, 1);
  CHECK_EQ_U64(o.t_ms, 1424059920000);     /* 04:12:00Z */
  CHECK_EQ_U64(o.t_end_ms, 1424060370000); /* 04:19:30Z */
  CHECK_EQ_U64(o.precision_s, 0);
  CHECK(o.dist_min_m == 0 && o.dist_max_m == 0);
  CHECK_EQ_U64(o.has_fire, 1);
  CHECK(o.fire_from_deg == 80 && o.fire_spread_deg == 10);
  CHECK_EQ_U64(o.nevidence, 1);
  CHECK_STR(o.evidence[0].kind, "video");
  CHECK_EQ_U64(o.evidence[0].sha256[0], 0x92);
  CHECK_EQ_U64(o.evidence[0].sha256[31], 0xed);
  CHECK_STR(fmt(&o), want);
}

TEST(test_example_weapon) {
  const char *in =
      "{\"id\":\"SMM-0517\",\"what\":\"weapon_seen\",\"count\":4,"
      "\"time\":\"2015-03-12T11:40:00+02:00\",\"precision_s\":300,"
      "\"where\":{\"lat\":48.2571,\"lon\":37.9832,\"uncertainty_m\":200},"
      "\"weapon\":{\"class\":\"mlrs\",\"calibre_mm\":122,\"system\":\"BM-21 "
      "Grad\"},\"means\":\"visual\",\"evidence\":[{\"sha256\":"
      "\"EF82B20DC04813A512F8AA387D365A69B3029C0871AB4CD962CE5DB4861E7906\","
      "\"kind\":\"photo\"},{\"kind\":\"photo\",\"sha256\":"
      "\"2162f1cbf7b2a8c7c8851579ad79e7b3ddeee3e3bdcb2ecd79328d54fe9c3986\"}"
      "],\"place\":\"field 2 km north-west of Horlivka\",\"note\":\"four "
      "launchers, not camouflaged, no crews seen\"}";
  /* Upper-case hex and a reordered evidence item come out canonical. */
  const char *want =
      "{\"id\":\"SMM-0517\",\"what\":\"weapon_seen\",\"count\":4,"
      "\"time\":\"2015-03-12T09:40:00Z\",\"precision_s\":300,"
      "\"where\":{\"lat\":48.2571,\"lon\":37.9832,\"uncertainty_m\":200},"
      "\"weapon\":{\"class\":\"mlrs\",\"calibre_mm\":122,\"system\":\"BM-21 "
      "Grad\"},\"means\":\"visual\",\"evidence\":[{\"sha256\":"
      "\"ef82b20dc04813a512f8aa387d365a69b3029c0871ab4cd962ce5db4861e7906\","
      "\"kind\":\"photo\"},{\"sha256\":"
      "\"2162f1cbf7b2a8c7c8851579ad79e7b3ddeee3e3bdcb2ecd79328d54fe9c3986\","
      "\"kind\":\"photo\"}],\"place\":\"field 2 km north-west of Horlivka\","
      "\"note\":\"four launchers, not camouflaged, no crews seen\"}";
  truce_obs o;
  EXPECT_OK(in, &o);
  CHECK_EQ_U64(o.where_kind, TRUCE_WHERE_POINT);
  CHECK(o.lat_deg == 48.2571 && o.lon_deg == 37.9832);
  CHECK(o.uncertainty_m == 200);
  CHECK_EQ_U64(o.weapon, TRUCE_WEAPON_MLRS);
  CHECK(o.calibre_mm == 122);
  CHECK_STR(o.system, "BM-21 Grad");
  CHECK_EQ_U64(o.nevidence, 2);
  CHECK_STR(fmt(&o), want);
}

TEST(test_example_firms) {
  const char *in =
      "{\"what\":\"thermal_anomaly\",\"time\":\"2022-03-01T10:42:00Z\","
      "\"precision_s\":60,\"where\":{\"lat\":47.10219,\"lon\":37.55412,"
      "\"uncertainty_m\":375},\"means\":\"satellite\",\"provenance\":{"
      "\"dataset\":\"firms\",\"file_sha256\":\"deca8a6e9979e021549a3ea32260d2"
      "79bdfdc5e26ad4d7b0fa9b8531e4240bcd\",\"row\":12},\"note\":\"VIIRS "
      "S-NPP, confidence nominal, FRP 14.3 MW\"}";
  /* count is always written, even at its default. */
  const char *want =
      "{\"what\":\"thermal_anomaly\",\"count\":1,"
      "\"time\":\"2022-03-01T10:42:00Z\",\"precision_s\":60,\"where\":{"
      "\"lat\":47.10219,\"lon\":37.55412,\"uncertainty_m\":375},\"means\":"
      "\"satellite\",\"provenance\":{\"dataset\":\"firms\",\"file_sha256\":"
      "\"deca8a6e9979e021549a3ea32260d279bdfdc5e26ad4d7b0fa9b8531e4240bcd\","
      "\"row\":12},\"note\":\"VIIRS S-NPP, confidence nominal, FRP 14.3 MW\"}";
  truce_obs o;
  EXPECT_OK(in, &o);
  CHECK_EQ_U64(o.count, 1);
  CHECK_EQ_U64(o.has_provenance, 1);
  CHECK_STR(o.dataset, "firms");
  CHECK_EQ_U64(o.row, 12);
  uint8_t h[32];
  hex32("deca8a6e9979e021549a3ea32260d279bdfdc5e26ad4d7b0fa9b8531e4240bcd", h);
  CHECK(memcmp(o.file_sha256, h, 32) == 0);
  CHECK_STR(fmt(&o), want);
  /* The canonical form is its own canonical form. */
  truce_obs o2;
  EXPECT_OK(want, &o2);
  CHECK_STR(fmt(&o2), want);
}

/* Every ```json block in docs/observation.md parses, and the canonical
 * block is the patrol example's canonical form. */
TEST(test_docs_examples) {
  const char *paths[] = {"docs/observation.md", "../docs/observation.md"};
  FILE *f = NULL;
  for (size_t i = 0; i < 2 && !f; i++)
    f = fopen(paths[i], "rb");
  if (!f)
    SKIP("docs/observation.md not found from here");
  static char doc[1 << 17];
  size_t n = fread(doc, 1, sizeof doc - 1, f);
  fclose(f);
  doc[n] = '\0';
  int blocks = 0, canonical = 0;
  char *p = doc;
  while ((p = strstr(p, "```json\n")) != NULL) {
    p += 8;
    char *end = strstr(p, "```");
    if (!end)
      break;
    *end = '\0';
    truce_obs o;
    truce_err rc = truce_obs_parse(p, strlen(p), NOW_MS, &o, errbuf);
    CHECK_MSG(rc == TRUCE_OK, "docs example %d: %s", blocks + 1, errbuf);
    /* A one-line block is a canonical form: it must be a fixed point. */
    size_t len = strlen(p);
    if (len && p[len - 1] == '\n')
      p[len - 1] = '\0';
    if (rc == TRUCE_OK && !strchr(p, '\n')) {
      CHECK_STR(fmt(&o), p);
      CHECK_STR(p, patrol_canonical);
      canonical++;
    }
    blocks++;
    p = end + 3;
  }
  CHECK_EQ_U64(blocks, 6);
  CHECK_EQ_U64(canonical, 1);
}

/* ------------------------------------------------------------------ */
/* Observations: each field                                             */
/* ------------------------------------------------------------------ */

TEST(test_minimal_and_defaults) {
  truce_obs o;
  EXPECT_OK(bare("\"where\":{\"lat\":48,\"lon\":37}"), &o);
  CHECK_STR(o.id, "");
  CHECK_EQ_U64(o.what, TRUCE_WHAT_EXPLOSION);
  CHECK_EQ_U64(o.count, 1);
  CHECK_EQ_U64(o.count_approx, 0);
  CHECK_EQ_U64(o.t_ms, 1424056200000); /* 2015-02-16T03:10:00Z */
  CHECK_EQ_U64(o.t_end_ms, 1424056200000);
  CHECK_EQ_U64(o.precision_s, 0);
  CHECK_EQ_U64(o.where_kind, TRUCE_WHERE_POINT);
  CHECK(o.lat_deg == 48 && o.lon_deg == 37 && o.uncertainty_m == 0);
  CHECK_EQ_U64(o.means, 0);
  CHECK_STR(fmt(&o), "{\"what\":\"explosion\",\"count\":1,\"time\":"
                     "\"2015-02-16T03:10:00Z\",\"where\":{\"lat\":48,"
                     "\"lon\":37}}");
  /* Defaults written out are left out of the canonical form. */
  EXPECT_OK(bare("\"where\":{\"lat\":48,\"lon\":37,\"uncertainty_m\":0},"
                 "\"count\":1,\"count_approx\":false,\"precision_s\":0,"
                 "\"id\":\"\",\"note\":\"\",\"evidence\":[]"),
            &o);
  CHECK_STR(fmt(&o), "{\"what\":\"explosion\",\"count\":1,\"time\":"
                     "\"2015-02-16T03:10:00Z\",\"where\":{\"lat\":48,"
                     "\"lon\":37}}");
  /* Whitespace around and inside the object is JSON's business. */
  EXPECT_OK(" \t{ \"what\" : \"mine\" , \"time\" : \"2015-02-16T03:10:00Z\","
            "\n\"where\" : { \"lat\" : 1 , \"lon\" : 2 } } \n",
            &o);
  CHECK_EQ_U64(o.what, TRUCE_WHAT_MINE);
}

TEST(test_not_json) {
  EXPECT_ERR("{\"what\":\"explosion\",", TRUCE_EPARSE, "not JSON");
  EXPECT_ERR("{\"what\" \"explosion\"}", TRUCE_EPARSE, "column");
  EXPECT_ERR("", TRUCE_EPARSE, "observation: empty");
  EXPECT_ERR("   ", TRUCE_EPARSE, "not JSON");
  EXPECT_ERR("{\"what\":\"explosion\",}", TRUCE_EPARSE, "not JSON");
  /* Two objects on one line. */
  EXPECT_ERR("{\"what\":\"mine\"} {\"what\":\"mine\"}", TRUCE_EPARSE,
             "not JSON: end of file expected");
  /* Duplicate keys: which value would count? */
  EXPECT_ERR(with("\"what\":\"mine\""), TRUCE_EPARSE, "duplicate");
  /* Not UTF-8. */
  EXPECT_ERR(with("\"note\":\"\xff\""), TRUCE_EPARSE, "not JSON");
  /* A raw control character inside a string. */
  EXPECT_ERR(with("\"note\":\"a\tb\""), TRUCE_EPARSE, "not JSON");
}

TEST(test_deep_nesting) {
  /* The reader stops at its depth limit (16) rather than recursing on. */
  static char in[TRUCE_OBS_LINE_MAX];
  size_t n = (size_t)snprintf(in, sizeof in, "{\"note\":");
  while (n < 10000)
    in[n++] = '[';
  in[n] = '\0';
  EXPECT_ERR(in, TRUCE_EPARSE, "not JSON: maximum parsing depth reached");
  /* 16 levels parse (and the field is then the wrong type). */
  char note[64];
  n = (size_t)snprintf(note, sizeof note, "\"note\":");
  for (int i = 0; i < 15; i++)
    note[n++] = '[';
  for (int i = 0; i < 15; i++)
    note[n++] = ']';
  note[n] = '\0';
  EXPECT_ERR(with(note), TRUCE_EPARSE, "note: must be a string, got an array");
}

/* A line of more values than the reader's node array holds. */
TEST(test_too_many_values) {
  static char in[TRUCE_OBS_LINE_MAX];
  size_t n = (size_t)snprintf(in, sizeof in, "{\"note\":[");
  for (int i = 0; i < 300; i++)
    n += (size_t)snprintf(in + n, sizeof in - n, "%s0", i ? "," : "");
  snprintf(in + n, sizeof in - n, "]}");
  EXPECT_ERR(in, TRUCE_ETOOBIG, "more than 256 values");
}

/* A long or hostile value is echoed shortened and defanged. */
TEST(test_echoed_values) {
  char word[256], in[512];
  memset(word, 'w', 200);
  word[200] = '\0';
  snprintf(in, sizeof in, "\"means\":\"%s\"", word);
  EXPECT_ERR(with(in), TRUCE_EVOCAB,
             "means: 'wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww"
             "...' is not in the vocabulary");
  /* Cut on a character boundary: 30 two-byte letters fill 60 bytes. */
  in[0] = '\0';
  strcat(in, "\"means\":\"");
  for (int i = 0; i < 40; i++)
    strcat(in, "Д");
  strcat(in, "\"");
  EXPECT_ERR(with(in), TRUCE_EVOCAB, "ДДДД...' is not");
  EXPECT_ERR(with("\"means\":\"\\u001b[2Jaudio\\u0085\""), TRUCE_EVOCAB,
             "means: '?[2Jaudio?' is not in the vocabulary");
}

TEST(test_not_an_object) {
  EXPECT_ERR("[{\"what\":\"mine\"}]", TRUCE_EPARSE,
             "observation: must be a JSON object, got an array");
  /* JSON allows any value at the top (RFC 8259); an observation does
   * not. */
  EXPECT_ERR("\"explosion\"", TRUCE_EPARSE,
             "observation: must be a JSON object, got a string");
  EXPECT_ERR("42", TRUCE_EPARSE,
             "observation: must be a JSON object, got an integer");
}

TEST(test_nul_byte) {
  char in[] = "{\"what\":\"mine\"}";
  in[3] = '\0';
  truce_obs o;
  CHECK_RC(truce_obs_parse(in, sizeof in - 1, NOW_MS, &o, errbuf),
           TRUCE_EPARSE);
  CHECK_CONTAINS(errbuf, "observation: NUL byte at byte 4");
  /* And the escaped form, which the reader refuses (C strings). */
  EXPECT_ERR(with("\"note\":\"a\\u0000b\""), TRUCE_EPARSE, "not JSON");
}

TEST(test_line_too_long) {
  static char big[TRUCE_OBS_LINE_MAX + 64];
  const char *head = with("\"note\":\"");
  size_t n = strlen(head) - 1; /* without the closing brace */
  memcpy(big, head, n);
  while (n < TRUCE_OBS_LINE_MAX + 10)
    big[n++] = ' ';
  big[n] = '\0';
  truce_obs o;
  CHECK_RC(parse(big, &o), TRUCE_ETOOBIG);
  CHECK_CONTAINS(errbuf, "observation: 16394 bytes (at most 16384");
  /* Exactly at the limit is read (and here fails for another reason). */
  big[TRUCE_OBS_LINE_MAX] = '\0';
  CHECK_RC(parse(big, &o), TRUCE_EPARSE);
  /* Padding with whitespace up to the limit is fine. */
  const char *ok = with("");
  n = strlen(ok);
  memcpy(big, ok, n);
  while (n < TRUCE_OBS_LINE_MAX)
    big[n++] = ' ';
  big[n] = '\0';
  CHECK_OK(parse(big, &o));
}

TEST(test_non_finite_numbers) {
  EXPECT_ERR(bare("\"where\":{\"lat\":NaN,\"lon\":1}"), TRUCE_EPARSE,
             "not a finite number");
  EXPECT_ERR(bare("\"where\":{\"lat\":Infinity,\"lon\":1}"), TRUCE_EPARSE,
             "not a finite number");
  EXPECT_ERR(bare("\"where\":{\"lat\":-Infinity,\"lon\":1}"), TRUCE_EPARSE,
             "not a finite number");
  EXPECT_ERR(bare("\"where\":{\"lat\":1e999,\"lon\":1}"), TRUCE_ERANGE,
             "not a finite number: '1e999' (column");
  EXPECT_ERR(bare("\"where\":{\"lat\":-1e999,\"lon\":1}"), TRUCE_ERANGE,
             "not a finite number: '-1e999'");
  EXPECT_ERR(with("\"count\":99999999999999999999"), TRUCE_ERANGE,
             "'99999999999999999999'");
  /* Underflow is not infinite: it is a tiny (or zero) latitude. */
  truce_obs o;
  EXPECT_OK(bare("\"where\":{\"lat\":1e-400,\"lon\":1}"), &o);
  CHECK(o.lat_deg == 0 && !signbit(o.lat_deg));
}

TEST(test_unknown_fields) {
  EXPECT_ERR(with("\"colour\":\"red\""), TRUCE_EPARSE,
             "unknown field 'colour' (known: id, what, count");
  EXPECT_ERR(bare("\"where\":{\"lat\":1,\"lon\":2,\"colour\":1}"),
             TRUCE_EPARSE,
             "unknown field 'where.colour' (known: lat, lon, uncertainty_m)");
  EXPECT_ERR(bare("\"where\":{\"observer\":{\"lat\":1,\"lon\":2,\"alt\":3},"
                  "\"bearing_deg\":1}"),
             TRUCE_EPARSE, "unknown field 'where.observer.alt'");
  EXPECT_ERR(bare("\"where\":{\"observer\":{\"lat\":1,\"lon\":2},"
                  "\"bearing_deg\":1,\"range_m\":5}"),
             TRUCE_EPARSE, "unknown field 'where.range_m'");
  EXPECT_ERR(with("\"weapon\":{\"class\":\"tank\",\"colour\":1}"),
             TRUCE_EPARSE, "unknown field 'weapon.colour'");
  EXPECT_ERR(with("\"fire\":{\"from_deg\":1,\"colour\":1}"), TRUCE_EPARSE,
             "unknown field 'fire.colour'");
  EXPECT_ERR(with("\"evidence\":[{\"sha256\":\"ef82b20dc04813a512f8aa387d365"
                  "a69b3029c0871ab4cd962ce5db4861e7906\",\"kind\":\"photo\","
                  "\"colour\":1}]"),
             TRUCE_EPARSE, "unknown field 'evidence[0].colour'");
  EXPECT_ERR(with("\"provenance\":{\"dataset\":\"firms\",\"colour\":1}"),
             TRUCE_EPARSE, "unknown field 'provenance.colour'");
  EXPECT_ERR(untimed("\"window\":{\"from\":\"2015-02-16T03:10:00Z\",\"to\":"
                     "\"2015-02-16T03:10:00Z\",\"colour\":1}"),
             TRUCE_EPARSE, "unknown field 'window.colour'");
  /* A key with a control character is shown defanged. */
  EXPECT_ERR(with("\"col\\u001bour\":1"), TRUCE_EPARSE,
             "unknown field 'col?our'");
}

TEST(test_id) {
  truce_obs o;
  char id[80], in[256];
  memset(id, 'x', 64);
  id[64] = '\0';
  snprintf(in, sizeof in, "\"id\":\"%s\"", id);
  EXPECT_OK(with(in), &o);
  CHECK_STR(o.id, id);
  snprintf(in, sizeof in, "\"id\":\"%sx\"", id);
  EXPECT_ERR(with(in), TRUCE_ETOOBIG, "id: 65 bytes (at most 64)");
  EXPECT_ERR(with("\"id\":341"), TRUCE_EPARSE,
             "id: must be a string, got an integer");
  EXPECT_ERR(with("\"id\":null"), TRUCE_EPARSE,
             "id: must be a string, got null (leave the field out");
}

TEST(test_strings_control_characters) {
  EXPECT_ERR(with("\"id\":\"a\\u0001b\""), TRUCE_EPARSE,
             "id: contains a control character");
  EXPECT_ERR(with("\"note\":\"line\\nbreak\""), TRUCE_EPARSE,
             "note: contains a control character");
  EXPECT_ERR(with("\"note\":\"tab\\there\""), TRUCE_EPARSE,
             "note: contains a control character");
  EXPECT_ERR(with("\"place\":\"del\\u007f\""), TRUCE_EPARSE,
             "place: contains a control character");
  EXPECT_ERR(with("\"place\":\"c1\\u0085\""), TRUCE_EPARSE,
             "place: contains a control character");
  EXPECT_ERR(with("\"weapon\":{\"system\":\"\\u009b2J\"}"), TRUCE_EPARSE,
             "weapon.system: contains a control character");
  /* U+00A0 (no-break space) is the first non-control after C1. */
  truce_obs o;
  EXPECT_OK(with("\"place\":\"a\\u00a0b\""), &o);
  CHECK_STR(o.place, "a\xc2\xa0" "b");
}

TEST(test_strings_escapes_and_utf8) {
  truce_obs o;
  /* \u escapes come in as UTF-8 and go out as UTF-8; '"', '\' and '/'
   * round-trip; a surrogate pair is one 4-byte character. */
  EXPECT_OK(with("\"place\":\"\\u0428\\u0438\\u0440\\u043e\\u043a\\u0438"
                 "\\u043d\\u0435\",\"note\":\"say \\\"3-5 km\\\" \\\\ a/b "
                 "\\/ \\ud834\\udd1e\""),
            &o);
  CHECK_STR(o.place, "Широкине");
  CHECK_STR(o.note, "say \"3-5 km\" \\ a/b / \xf0\x9d\x84\x9e");
  CHECK_CONTAINS(fmt(&o), "\"place\":\"Широкине\",\"note\":\"say "
                          "\\\"3-5 km\\\" \\\\ a/b / \xf0\x9d\x84\x9e\"}");
  /* A lone surrogate is not a character. */
  EXPECT_ERR(with("\"note\":\"\\ud834\""), TRUCE_EPARSE, "not JSON");
}

TEST(test_place_and_note_limits) {
  truce_obs o;
  static char in[2048], s[1024];
  /* 64 Cyrillic letters are 128 bytes: the limit for place. */
  s[0] = '\0';
  for (int i = 0; i < 64; i++)
    strcat(s, "Д");
  snprintf(in, sizeof in, "\"place\":\"%s\"", s);
  EXPECT_OK(with(in), &o);
  CHECK_EQ_U64(strlen(o.place), 128);
  snprintf(in, sizeof in, "\"place\":\"%sx\"", s);
  EXPECT_ERR(with(in), TRUCE_ETOOBIG, "place: 129 bytes (at most 128)");
  memset(s, 'n', 512);
  s[512] = '\0';
  snprintf(in, sizeof in, "\"note\":\"%s\"", s);
  EXPECT_OK(with(in), &o);
  CHECK_EQ_U64(strlen(o.note), 512);
  snprintf(in, sizeof in, "\"note\":\"%sn\"", s);
  EXPECT_ERR(with(in), TRUCE_ETOOBIG, "note: 513 bytes (at most 512)");
  EXPECT_ERR(with("\"note\":[\"a\"]"), TRUCE_EPARSE,
             "note: must be a string, got an array");
  EXPECT_ERR(with("\"place\":{}"), TRUCE_EPARSE,
             "place: must be a string, got an object");
}

TEST(test_what) {
  EXPECT_ERR("{\"time\":\"2015-02-16T03:10:00Z\",\"where\":{\"lat\":1,"
             "\"lon\":1}}",
             TRUCE_EPARSE, "what: missing");
  EXPECT_ERR("{\"what\":\"blast\",\"time\":\"2015-02-16T03:10:00Z\","
             "\"where\":{\"lat\":1,\"lon\":1}}",
             TRUCE_EVOCAB,
             "what: 'blast' is not in the vocabulary (see "
             "docs/observation.md)");
  EXPECT_ERR("{\"what\":\"Explosion\",\"time\":\"2015-02-16T03:10:00Z\","
             "\"where\":{\"lat\":1,\"lon\":1}}",
             TRUCE_EVOCAB, "what: 'Explosion' is not in the vocabulary");
  EXPECT_ERR("{\"what\":1,\"time\":\"2015-02-16T03:10:00Z\","
             "\"where\":{\"lat\":1,\"lon\":1}}",
             TRUCE_EPARSE, "what: must be a string, got an integer");
  /* Every word is accepted. */
  for (int w = TRUCE_WHAT_NONE + 1; w < TRUCE_WHAT_COUNT; w++) {
    char in[256];
    snprintf(in, sizeof in,
             "{\"what\":\"%s\",\"time\":\"2015-02-16T03:10:00Z\","
             "\"where\":{\"lat\":1,\"lon\":1}%s}",
             truce_what_name((truce_what)w),
             w == TRUCE_WHAT_SITE_VISIT ? ",\"site\":\"s1\"" : "");
    truce_obs o;
    EXPECT_OK(in, &o);
    CHECK_EQ_U64(o.what, w);
  }
}

/* Holding sites: serial numbers on sightings and visits, the site. */
TEST(test_serials_and_site) {
  truce_obs o;
  EXPECT_OK("{\"what\":\"site_visit\",\"time\":\"2015-02-16T03:10:00Z\","
            "\"where\":{\"lat\":48.5,\"lon\":35.1},\"site\":\"storage-3\","
            "\"serials\":[\"2S1-0412\",\"2S1/0413\"]}",
            &o);
  CHECK_STR(o.site, "storage-3");
  CHECK_EQ_U64(o.nserials, 2);
  CHECK_STR(o.serials[1], "2S1/0413");
  CHECK(o.has_serials);
  /* An empty list is a visit that found nothing: kept, and written. */
  EXPECT_OK("{\"what\":\"site_visit\",\"time\":\"2015-02-16T03:10:00Z\","
            "\"where\":{\"lat\":48.5,\"lon\":35.1},\"site\":\"s\","
            "\"serials\":[]}",
            &o);
  CHECK(o.has_serials && o.nserials == 0);
  truce_buf b;
  truce_buf_init(&b, TRUCE_OBS_LINE_MAX);
  CHECK_OK(truce_obs_format(&o, &b));
  CHECK_CONTAINS(b.data, "\"serials\":[],\"site\":\"s\"");
  truce_buf_release(&b);
  EXPECT_ERR("{\"what\":\"site_visit\",\"time\":\"2015-02-16T03:10:00Z\","
             "\"where\":{\"lat\":1,\"lon\":1}}",
             TRUCE_EPARSE, "site: missing");
  EXPECT_ERR("{\"what\":\"explosion\",\"time\":\"2015-02-16T03:10:00Z\","
             "\"where\":{\"lat\":1,\"lon\":1},\"serials\":[\"a\"]}",
             TRUCE_EPARSE, "serials: only a weapon_seen or a site_visit");
  EXPECT_ERR("{\"what\":\"weapon_seen\",\"time\":\"2015-02-16T03:10:00Z\","
             "\"where\":{\"lat\":1,\"lon\":1},\"serials\":[\"a b\"]}",
             TRUCE_EPARSE, "serials[0]: 'a b' must be");
  EXPECT_ERR("{\"what\":\"weapon_seen\",\"time\":\"2015-02-16T03:10:00Z\","
             "\"where\":{\"lat\":1,\"lon\":1},\"serials\":[\"a\",\"a\"]}",
             TRUCE_EPARSE, "serials[1]: 'a' is listed twice");
  /* A hostile serial cannot put a terminal escape into the message. */
  EXPECT_ERR("{\"what\":\"weapon_seen\",\"time\":\"2015-02-16T03:10:00Z\","
             "\"where\":{\"lat\":1,\"lon\":1},\"serials\":[\"A\\u001b[2J\"]}",
             TRUCE_EPARSE, "serials[0]: 'A?[2J' must be");
  EXPECT_ERR("{\"what\":\"weapon_seen\",\"time\":\"2015-02-16T03:10:00Z\","
             "\"where\":{\"lat\":1,\"lon\":1},\"site\":\"s\\u001b]0;x\"}",
             TRUCE_EPARSE, "site: contains a control character");
  EXPECT_ERR("{\"what\":\"weapon_seen\",\"time\":\"2015-02-16T03:10:00Z\","
             "\"where\":{\"lat\":1,\"lon\":1},\"serials\":\"a\"}",
             TRUCE_EPARSE, "serials: must be a list of serial numbers");
  EXPECT_ERR("{\"what\":\"weapon_seen\",\"time\":\"2015-02-16T03:10:00Z\","
             "\"where\":{\"lat\":1,\"lon\":1},\"site\":\"a site\"}",
             TRUCE_EPARSE, "site: 'a site' must be");
}

TEST(test_count) {
  truce_obs o;
  EXPECT_OK(with("\"count\":1000000"), &o);
  CHECK_EQ_U64(o.count, 1000000);
  EXPECT_OK(with("\"count\":200,\"count_approx\":true"), &o);
  CHECK_EQ_U64(o.count, 200);
  CHECK_EQ_U64(o.count_approx, 1);
  EXPECT_ERR(with("\"count\":\"200\""), TRUCE_EPARSE,
             "count: must be an integer, got a string");
  EXPECT_ERR(with("\"count\":2.5"), TRUCE_EPARSE,
             "count: must be an integer, got 2.5");
  EXPECT_ERR(with("\"count\":200.0"), TRUCE_EPARSE,
             "count: must be an integer, got 200");
  EXPECT_ERR(with("\"count\":-3"), TRUCE_ERANGE, "count: -3 is negative");
  EXPECT_ERR(with("\"count\":0"), TRUCE_ERANGE,
             "count: 0 is out of range [1, 1000000]");
  EXPECT_ERR(with("\"count\":1000001"), TRUCE_ERANGE,
             "count: 1000001 is out of range [1, 1000000]");
  EXPECT_ERR(with("\"count\":null"), TRUCE_EPARSE, "count: must be an integer");
}

TEST(test_count_approx) {
  truce_obs o;
  EXPECT_OK(with("\"count_approx\":false"), &o);
  CHECK_EQ_U64(o.count_approx, 0);
  EXPECT_ERR(with("\"count_approx\":\"yes\""), TRUCE_EPARSE,
             "count_approx: must be true or false, got a string");
  EXPECT_ERR(with("\"count_approx\":1"), TRUCE_EPARSE,
             "count_approx: must be true or false");
}

TEST(test_time_field) {
  truce_obs o;
  EXPECT_ERR(untimed(""), TRUCE_EPARSE, "time: missing");
  EXPECT_ERR(untimed("\"time\":\"2015-02-16 03:10\""), TRUCE_EPARSE,
             "time: '2015-02-16 03:10' is not an RFC 3339 time");
  EXPECT_ERR(untimed("\"time\":\"yesterday\""), TRUCE_EPARSE,
             "time: 'yesterday' is not an RFC 3339 time");
  EXPECT_ERR(untimed("\"time\":\"2015-02-29T10:00:00Z\""), TRUCE_ERANGE,
             "time: '2015-02-29T10:00:00Z' is not a possible time");
  EXPECT_ERR(untimed("\"time\":1424049000"), TRUCE_EPARSE,
             "time: must be a string (RFC 3339");
  EXPECT_ERR(untimed("\"time\":\"2015-02-16T03:10:00Z\",\"window\":{"
                     "\"from\":\"2015-02-16T03:10:00Z\",\"to\":"
                     "\"2015-02-16T03:10:00Z\"}"),
             TRUCE_EPARSE, "time, window: give one of the two, not both");
  EXPECT_OK(untimed("\"time\":\"2015-02-16T03:10:00.250+02:00\""), &o);
  CHECK_EQ_U64(o.t_ms, 1424049000250);
}

TEST(test_precision) {
  truce_obs o;
  EXPECT_OK(with("\"precision_s\":31622400"), &o);
  CHECK_EQ_U64(o.precision_s, 31622400);
  EXPECT_ERR(with("\"precision_s\":31622401"), TRUCE_ERANGE,
             "precision_s: 31622401 is out of range [0, 31622400]");
  EXPECT_ERR(with("\"precision_s\":-1"), TRUCE_ERANGE,
             "precision_s: -1 is negative");
  EXPECT_ERR(with("\"precision_s\":1.5"), TRUCE_EPARSE,
             "precision_s: must be an integer");
  EXPECT_ERR(untimed("\"precision_s\":60,\"window\":{\"from\":"
                     "\"2015-02-16T03:10:00Z\",\"to\":"
                     "\"2015-02-16T03:20:00Z\"}"),
             TRUCE_EPARSE, "precision_s: only with \"time\"");
}

TEST(test_window) {
  truce_obs o;
  EXPECT_OK(untimed("\"window\":{\"to\":\"2015-02-16T03:10:00Z\","
                    "\"from\":\"2015-02-16T03:10:00Z\"}"),
            &o);
  CHECK_EQ_U64(o.is_window, 1);
  CHECK_EQ_U64(o.t_ms, 1424056200000);
  CHECK_EQ_U64(o.t_end_ms, 1424056200000);
  /* A zero-length window stays a window. */
  CHECK_CONTAINS(fmt(&o), "\"window\":{\"from\":\"2015-02-16T03:10:00Z\","
                          "\"to\":\"2015-02-16T03:10:00Z\"}");
  EXPECT_ERR(untimed("\"window\":{\"from\":\"2015-02-16T03:10:00Z\",\"to\":"
                     "\"2015-02-16T03:09:59.999Z\"}"),
             TRUCE_ERANGE,
             "window: from 2015-02-16T03:10:00Z is after to "
             "2015-02-16T03:09:59.999Z");
  EXPECT_ERR(untimed("\"window\":{\"from\":\"2015-02-16T03:10:00Z\"}"),
             TRUCE_EPARSE, "window.to: missing");
  EXPECT_ERR(untimed("\"window\":{\"to\":\"2015-02-16T03:10:00Z\"}"),
             TRUCE_EPARSE, "window.from: missing");
  EXPECT_ERR(untimed("\"window\":{\"from\":\"dawn\",\"to\":"
                     "\"2015-02-16T03:10:00Z\"}"),
             TRUCE_EPARSE, "window.from: 'dawn' is not an RFC 3339 time");
  EXPECT_ERR(untimed("\"window\":{\"from\":\"2015-02-16T03:10:00Z\",\"to\":"
                     "\"2015-02-16T25:10:00Z\"}"),
             TRUCE_ERANGE, "window.to: '2015-02-16T25:10:00Z' is not a "
                           "possible time");
  EXPECT_ERR(untimed("\"window\":[\"2015-02-16T03:10:00Z\"]"), TRUCE_EPARSE,
             "window: must be an object");
  EXPECT_ERR(untimed("\"window\":{\"from\":\"2015-02-16T03:10:00Z\",\"to\":"
                     "\"2026-11-26T12:47:00.001Z\"}"),
             TRUCE_ERANGE, "window.to: 2026-11-26T12:47:00.001Z is 10 "
                           "minutes 0.001 seconds in the future");
}

TEST(test_future_limit) {
  truce_obs o;
  /* now + 10 minutes exactly: accepted. */
  EXPECT_OK(untimed("\"time\":\"2026-11-26T12:47:00Z\""), &o);
  CHECK_EQ_U64(o.t_ms, 1795697220000);
  EXPECT_OK(untimed("\"time\":\"2026-11-26T14:47:00+02:00\""), &o);
  /* 1 ms past: refused. */
  EXPECT_ERR(untimed("\"time\":\"2026-11-26T12:47:00.001Z\""), TRUCE_ERANGE,
             "time: 2026-11-26T12:47:00.001Z is 10 minutes 0.001 seconds in "
             "the future (limit 10 minutes; now is 2026-11-26T12:37:00Z)");
  EXPECT_ERR(untimed("\"time\":\"2026-11-26T13:00:00Z\""), TRUCE_ERANGE,
             "time: 2026-11-26T13:00:00Z is 23 minutes in the future (limit "
             "10 minutes");
  EXPECT_ERR(untimed("\"time\":\"2026-11-26T15:00:00+02:00\""), TRUCE_ERANGE,
             "time: 2026-11-26T15:00:00+02:00 is 23 minutes in the future");
  EXPECT_ERR(untimed("\"time\":\"2026-11-26T17:37:00Z\""), TRUCE_ERANGE,
             "is 5 hours in the future");
  EXPECT_ERR(untimed("\"time\":\"2026-12-26T12:37:00Z\""), TRUCE_ERANGE,
             "is 30 days in the future");
  /* The limit moves with now_ms, and an extreme now cannot overflow. */
  CHECK_OK(parse_at(untimed("\"time\":\"2026-11-26T13:00:00Z\""),
                    NOW_MS + 23 * 60000 - 10 * 60000, &o));
  CHECK_RC(parse_at(untimed("\"time\":\"2026-11-26T13:00:00Z\""),
                    NOW_MS + 23 * 60000 - 10 * 60000 - 1, &o),
           TRUCE_ERANGE);
  CHECK_OK(parse_at(untimed("\"time\":\"2999-12-31T23:59:59Z\""), INT64_MAX,
                    &o));
  CHECK_RC(parse_at(untimed("\"time\":\"1900-01-01T00:00:00Z\""), INT64_MIN,
                    &o),
           TRUCE_ERANGE);
  CHECK_RC(parse_at(untimed("\"time\":\"2999-12-31T23:59:59Z\""), INT64_MIN,
                    &o),
           TRUCE_ERANGE);
  CHECK_CONTAINS(errbuf, "days in the future");
}

TEST(test_where_point) {
  truce_obs o;
  EXPECT_OK(bare("\"where\":{\"lat\":-90,\"lon\":-180,\"uncertainty_m\":"
                 "1000000}"),
            &o);
  CHECK(o.lat_deg == -90 && o.lon_deg == -180 && o.uncertainty_m == 1e6);
  EXPECT_OK(bare("\"where\":{\"lat\":90,\"lon\":180}"), &o);
  EXPECT_ERR(bare("\"where\":{\"lat\":91.5,\"lon\":37.7}"), TRUCE_ERANGE,
             "where.lat: 91.5 is out of range [-90, 90]");
  EXPECT_ERR(bare("\"where\":{\"lat\":-90.000001,\"lon\":37.7}"),
             TRUCE_ERANGE, "where.lat: -90.000001 is out of range [-90, 90]");
  EXPECT_ERR(bare("\"where\":{\"lat\":48,\"lon\":180.5}"), TRUCE_ERANGE,
             "where.lon: 180.5 is out of range [-180, 180]");
  EXPECT_ERR(bare("\"where\":{\"lat\":48,\"lon\":-181}"), TRUCE_ERANGE,
             "where.lon: -181 is out of range [-180, 180]");
  EXPECT_ERR(bare("\"where\":{\"lon\":37}"), TRUCE_EPARSE,
             "where.lat: missing");
  EXPECT_ERR(bare("\"where\":{\"lat\":37}"), TRUCE_EPARSE,
             "where.lon: missing");
  EXPECT_ERR(bare("\"where\":{\"lat\":\"48.1\",\"lon\":37}"), TRUCE_EPARSE,
             "where.lat: must be a number, got a string");
  EXPECT_ERR(bare("\"where\":{\"lat\":48,\"lon\":37,\"uncertainty_m\":-1}"),
             TRUCE_ERANGE, "where.uncertainty_m: -1 is out of range [0, 1000000]");
  EXPECT_ERR(bare("\"where\":{\"lat\":48,\"lon\":37,\"uncertainty_m\":"
                  "1000000.5}"),
             TRUCE_ERANGE, "where.uncertainty_m: 1000000.5 is out of range");
  EXPECT_ERR(bare(""), TRUCE_EPARSE, "where: missing");
  EXPECT_ERR(bare("\"where\":[48,37]"), TRUCE_EPARSE,
             "where: must be an object, got an array");
  EXPECT_ERR(bare("\"where\":{}"), TRUCE_EPARSE, "where.lat: missing");
  /* -0 is stored as 0 (the canonical form has no "-0"). */
  EXPECT_OK(bare("\"where\":{\"lat\":-0.0,\"lon\":-0}"), &o);
  CHECK(o.lat_deg == 0 && !signbit(o.lat_deg) && !signbit(o.lon_deg));
}

TEST(test_where_bearing) {
  truce_obs o;
  const char *ok = "\"where\":{\"observer\":{\"lat\":48,\"lon\":37},"
                   "\"bearing_deg\":0}";
  EXPECT_OK(bare(ok), &o);
  CHECK_EQ_U64(o.where_kind, TRUCE_WHERE_BEARING);
  CHECK(o.bearing_deg == 0 && o.bearing_spread_deg == 0);
  CHECK(o.dist_min_m == 0 && o.dist_max_m == 0);
  EXPECT_OK(bare("\"where\":{\"observer\":{\"lat\":48,\"lon\":37},"
                 "\"bearing_deg\":359.99999999999994,\"spread_deg\":180,"
                 "\"dist_max_m\":1000000}"),
            &o);
  CHECK(o.dist_min_m == 0 && o.dist_max_m == 1e6);
  CHECK(o.bearing_spread_deg == 180);
  EXPECT_ERR(bare("\"where\":{\"observer\":{\"lat\":91.5,\"lon\":37},"
                  "\"bearing_deg\":10}"),
             TRUCE_ERANGE, "where.observer.lat: 91.5 is out of range [-90, 90]");
  EXPECT_ERR(bare("\"where\":{\"observer\":{\"lat\":48},\"bearing_deg\":10}"),
             TRUCE_EPARSE, "where.observer.lon: missing");
  EXPECT_ERR(bare("\"where\":{\"observer\":{\"lat\":48,\"lon\":37},"
                  "\"bearing_deg\":360}"),
             TRUCE_ERANGE, "where.bearing_deg: 360 is out of range [0, 360)");
  EXPECT_ERR(bare("\"where\":{\"observer\":{\"lat\":48,\"lon\":37},"
                  "\"bearing_deg\":-1}"),
             TRUCE_ERANGE, "where.bearing_deg: -1 is out of range [0, 360)");
  EXPECT_ERR(bare("\"where\":{\"observer\":{\"lat\":48,\"lon\":37}}"),
             TRUCE_EPARSE, "where.bearing_deg: missing");
  EXPECT_ERR(bare("\"where\":{\"bearing_deg\":10}"), TRUCE_EPARSE,
             "where.observer: missing");
  EXPECT_ERR(bare("\"where\":{\"observer\":[48,37],\"bearing_deg\":10}"),
             TRUCE_EPARSE, "where.observer: must be an object");
  EXPECT_ERR(bare("\"where\":{\"observer\":{\"lat\":48,\"lon\":37},"
                  "\"bearing_deg\":10,\"spread_deg\":180.5}"),
             TRUCE_ERANGE, "where.spread_deg: 180.5 is out of range [0, 180]");
  EXPECT_ERR(bare("\"where\":{\"observer\":{\"lat\":48,\"lon\":37},"
                  "\"bearing_deg\":10,\"dist_min_m\":5000,\"dist_max_m\":"
                  "3000}"),
             TRUCE_ERANGE, "where.dist_min_m: 5000 is more than "
                           "where.dist_max_m 3000");
  EXPECT_ERR(bare("\"where\":{\"observer\":{\"lat\":48,\"lon\":37},"
                  "\"bearing_deg\":10,\"dist_min_m\":3000}"),
             TRUCE_EPARSE, "where.dist_max_m: missing");
  EXPECT_ERR(bare("\"where\":{\"observer\":{\"lat\":48,\"lon\":37},"
                  "\"bearing_deg\":10,\"dist_max_m\":1000001}"),
             TRUCE_ERANGE, "where.dist_max_m: 1000001 is out of range");
  EXPECT_ERR(bare("\"where\":{\"observer\":{\"lat\":48,\"lon\":37},"
                  "\"bearing_deg\":10,\"dist_min_m\":-1,\"dist_max_m\":5}"),
             TRUCE_ERANGE, "where.dist_min_m: -1 is out of range");
  /* Both distances 0: unknown, left out of the canonical form. */
  EXPECT_OK(bare("\"where\":{\"observer\":{\"lat\":48,\"lon\":37},"
                 "\"bearing_deg\":10,\"dist_min_m\":0,\"dist_max_m\":0}"),
            &o);
  CHECK_CONTAINS(fmt(&o), "\"where\":{\"observer\":{\"lat\":48,\"lon\":37},"
                          "\"bearing_deg\":10}}");
  /* The observer's position next to a bearing, where a point goes. */
  EXPECT_ERR(bare("\"where\":{\"lat\":48,\"lon\":37,\"bearing_deg\":10}"),
             TRUCE_EPARSE, "where: mixes a point");
}

TEST(test_weapon) {
  truce_obs o;
  EXPECT_OK(with("\"weapon\":{\"class\":\"artillery\",\"calibre_mm\":2000}"),
            &o);
  CHECK_EQ_U64(o.weapon, TRUCE_WEAPON_ARTILLERY);
  CHECK(o.calibre_mm == 2000);
  EXPECT_OK(with("\"weapon\":{\"calibre_mm\":0.5}"), &o);
  CHECK_EQ_U64(o.weapon, TRUCE_WEAPON_NONE);
  CHECK_CONTAINS(fmt(&o), "\"weapon\":{\"calibre_mm\":0.5}");
  EXPECT_OK(with("\"weapon\":{\"system\":\"2S1 Gvozdika\"}"), &o);
  CHECK_CONTAINS(fmt(&o), "\"weapon\":{\"system\":\"2S1 Gvozdika\"}");
  EXPECT_ERR(with("\"weapon\":{}"), TRUCE_EPARSE, "weapon: empty object");
  EXPECT_ERR(with("\"weapon\":{\"class\":\"howitzer\"}"), TRUCE_EVOCAB,
             "weapon.class: 'howitzer' is not in the vocabulary (see "
             "docs/observation.md)");
  EXPECT_ERR(with("\"weapon\":{\"class\":7}"), TRUCE_EPARSE,
             "weapon.class: must be a string");
  EXPECT_ERR(with("\"weapon\":{\"calibre_mm\":0}"), TRUCE_ERANGE,
             "weapon.calibre_mm: 0 is out of range (0, 2000]");
  EXPECT_ERR(with("\"weapon\":{\"calibre_mm\":2000.5}"), TRUCE_ERANGE,
             "weapon.calibre_mm: 2000.5 is out of range (0, 2000]");
  EXPECT_ERR(with("\"weapon\":{\"calibre_mm\":\"122mm\"}"), TRUCE_EPARSE,
             "weapon.calibre_mm: must be a number");
  char sys[80], in[160];
  memset(sys, 's', 65);
  sys[65] = '\0';
  snprintf(in, sizeof in, "\"weapon\":{\"system\":\"%s\"}", sys);
  EXPECT_ERR(with(in), TRUCE_ETOOBIG, "weapon.system: 65 bytes (at most 64)");
  EXPECT_ERR(with("\"weapon\":\"tank\""), TRUCE_EPARSE,
             "weapon: must be an object, got a string");
  for (int c = TRUCE_WEAPON_NONE + 1; c < TRUCE_WEAPON_COUNT; c++) {
    snprintf(in, sizeof in, "\"weapon\":{\"class\":\"%s\"}",
             truce_weapon_class_name((truce_weapon_class)c));
    EXPECT_OK(with(in), &o);
    CHECK_EQ_U64(o.weapon, c);
  }
}

TEST(test_fire) {
  truce_obs o;
  EXPECT_OK(with("\"fire\":{\"from_deg\":135,\"spread_deg\":180}"), &o);
  CHECK_EQ_U64(o.has_fire, 1);
  CHECK(o.fire_from_deg == 135 && o.fire_spread_deg == 180);
  /* towards -> from, the reverse bearing. */
  static const struct {
    const char *towards;
    double from;
  } rev[] = {{"315", 135}, {"90", 270}, {"180", 0}, {"0", 180},
             {"359.5", 179.5}, {"179.5", 359.5}};
  for (size_t i = 0; i < sizeof rev / sizeof rev[0]; i++) {
    char in[64];
    snprintf(in, sizeof in, "\"fire\":{\"towards_deg\":%s}", rev[i].towards);
    EXPECT_OK(with(in), &o);
    CHECK_MSG(o.fire_from_deg == rev[i].from, "towards %s: from %.17g",
              rev[i].towards, o.fire_from_deg);
  }
  /* Just under 180: the sum rounds to 360, which is 0. */
  EXPECT_OK(with("\"fire\":{\"towards_deg\":179.99999999999997}"), &o);
  CHECK(o.fire_from_deg >= 0 && o.fire_from_deg < 360);
  EXPECT_OK(with("\"fire\":{\"towards_deg\":90}"), &o);
  CHECK_CONTAINS(fmt(&o), "\"fire\":{\"from_deg\":270}");
  EXPECT_ERR(with("\"fire\":{\"from_deg\":1,\"towards_deg\":181}"),
             TRUCE_EPARSE, "fire: give from_deg or towards_deg, not both");
  EXPECT_ERR(with("\"fire\":{}"), TRUCE_EPARSE, "fire.from_deg: missing");
  EXPECT_ERR(with("\"fire\":{\"spread_deg\":10}"), TRUCE_EPARSE,
             "fire.from_deg: missing");
  EXPECT_ERR(with("\"fire\":{\"from_deg\":360}"), TRUCE_ERANGE,
             "fire.from_deg: 360 is out of range [0, 360)");
  EXPECT_ERR(with("\"fire\":{\"towards_deg\":-0.5}"), TRUCE_ERANGE,
             "fire.towards_deg: -0.5 is out of range [0, 360)");
  EXPECT_ERR(with("\"fire\":{\"from_deg\":1,\"spread_deg\":181}"),
             TRUCE_ERANGE, "fire.spread_deg: 181 is out of range [0, 180]");
  EXPECT_ERR(with("\"fire\":135"), TRUCE_EPARSE,
             "fire: must be an object, got an integer");
}

TEST(test_means) {
  truce_obs o;
  for (unsigned k = 0; k < TRUCE_MEANS_COUNT; k++) {
    char in[64];
    snprintf(in, sizeof in, "\"means\":\"%s\"", truce_means_name(1u << k));
    EXPECT_OK(with(in), &o);
    CHECK_EQ_U64(o.means, 1u << k);
  }
  EXPECT_ERR(with("\"means\":\"smell\""), TRUCE_EVOCAB,
             "means: 'smell' is not in the vocabulary");
  EXPECT_ERR(with("\"means\":[\"audio\",\"visual\"]"), TRUCE_EPARSE,
             "means: must be a string, got an array");
}

#define SHA_A "ef82b20dc04813a512f8aa387d365a69b3029c0871ab4cd962ce5db4861e7906"

TEST(test_evidence) {
  truce_obs o;
  char in[2048];
  size_t n = (size_t)snprintf(in, sizeof in, "\"evidence\":[");
  const char *kinds[] = {"photo", "video", "audio", "document", "data"};
  for (int i = 0; i < 8; i++)
    n += (size_t)snprintf(in + n, sizeof in - n,
                          "%s{\"sha256\":\"" SHA_A "\",\"kind\":\"%s\"}",
                          i ? "," : "", kinds[i % 5]);
  snprintf(in + n, sizeof in - n, "]");
  EXPECT_OK(with(in), &o);
  CHECK_EQ_U64(o.nevidence, 8);
  CHECK_STR(o.evidence[3].kind, "document");
  CHECK_STR(o.evidence[7].kind, "audio");
  CHECK_EQ_U64(o.evidence[7].sha256[0], 0xef);
  /* A ninth is too many. */
  snprintf(in + n, sizeof in - n,
           ",{\"sha256\":\"" SHA_A "\",\"kind\":\"data\"}]");
  EXPECT_ERR(with(in), TRUCE_ETOOBIG, "evidence: 9 items (at most 8)");
  EXPECT_ERR(with("\"evidence\":[{\"sha256\":\"ef82\",\"kind\":\"photo\"}]"),
             TRUCE_EPARSE,
             "evidence[0].sha256: must be a SHA-256 as 64 hex digits (got 4 "
             "characters)");
  EXPECT_ERR(with("\"evidence\":[{\"sha256\":\"" SHA_A "\",\"kind\":"
                  "\"photo\"},{\"sha256\":\"zz82b20dc04813a512f8aa387d365a69"
                  "b3029c0871ab4cd962ce5db4861e7906\",\"kind\":\"photo\"}]"),
             TRUCE_EPARSE, "evidence[1].sha256: must be a SHA-256 as 64 hex "
                           "digits (got 64 characters, not all hex)");
  EXPECT_ERR(with("\"evidence\":[{\"sha256\":\"" SHA_A "\",\"kind\":"
                  "\"photo\"},{\"sha256\":\"" SHA_A "\",\"kind\":\"jpeg\"}]"),
             TRUCE_EVOCAB,
             "evidence[1].kind: 'jpeg' is not one of photo, video, audio, "
             "document, data");
  EXPECT_ERR(with("\"evidence\":[{\"sha256\":\"" SHA_A "\"}]"), TRUCE_EPARSE,
             "evidence[0].kind: missing");
  EXPECT_ERR(with("\"evidence\":[{\"kind\":\"photo\"}]"), TRUCE_EPARSE,
             "evidence[0].sha256: missing");
  EXPECT_ERR(with("\"evidence\":[\"" SHA_A "\"]"), TRUCE_EPARSE,
             "evidence[0]: must be an object");
  EXPECT_ERR(with("\"evidence\":{\"sha256\":\"" SHA_A "\"}"), TRUCE_EPARSE,
             "evidence: must be an array, got an object");
}

#define SHA_F "deca8a6e9979e021549a3ea32260d279bdfdc5e26ad4d7b0fa9b8531e4240bcd"

TEST(test_provenance) {
  truce_obs o;
  EXPECT_OK(with("\"provenance\":{\"dataset\":\"ucdp_ged-25\",\"file_sha256\":"
                 "\"" SHA_F "\",\"row\":9223372036854775807}"),
            &o);
  CHECK_STR(o.dataset, "ucdp_ged-25");
  CHECK_EQ_U64(o.row, INT64_MAX);
  CHECK_CONTAINS(fmt(&o), "\"row\":9223372036854775807}");
  EXPECT_ERR(with("\"provenance\":{\"dataset\":\"firms\",\"file_sha256\":\""
                  SHA_F "\"}"),
             TRUCE_EPARSE, "provenance.row: missing");
  EXPECT_ERR(with("\"provenance\":{\"dataset\":\"firms\",\"row\":1}"),
             TRUCE_EPARSE, "provenance.file_sha256: missing");
  EXPECT_ERR(with("\"provenance\":{\"file_sha256\":\"" SHA_F "\",\"row\":1}"),
             TRUCE_EPARSE, "provenance.dataset: missing");
  EXPECT_ERR(with("\"provenance\":{\"dataset\":\"firms\",\"file_sha256\":\""
                  SHA_F "\",\"row\":0}"),
             TRUCE_ERANGE, "provenance.row: 0 is out of range [1,");
  EXPECT_ERR(with("\"provenance\":{\"dataset\":\"firms\",\"file_sha256\":\""
                  SHA_F "\",\"row\":-1}"),
             TRUCE_ERANGE, "provenance.row: -1 is negative");
  EXPECT_ERR(with("\"provenance\":{\"dataset\":\"FIRMS\",\"file_sha256\":\""
                  SHA_F "\",\"row\":1}"),
             TRUCE_EPARSE,
             "provenance.dataset: 'FIRMS' must be 1 to 32 of a-z, 0-9, _ and "
             "-");
  EXPECT_ERR(with("\"provenance\":{\"dataset\":\"\",\"file_sha256\":\""
                  SHA_F "\",\"row\":1}"),
             TRUCE_EPARSE, "provenance.dataset: '' must be 1 to 32");
  EXPECT_ERR(with("\"provenance\":{\"dataset\":\"abcdefghijklmnopqrstuvwxyz"
                  "0123456\",\"file_sha256\":\"" SHA_F "\",\"row\":1}"),
             TRUCE_ETOOBIG, "provenance.dataset: 'abcdefghijklmnopqrstuvwxyz"
                            "0123456' is 33 bytes (at most 32)");
  EXPECT_ERR(with("\"provenance\":{\"dataset\":\"firms\",\"file_sha256\":"
                  "\"abc\",\"row\":1}"),
             TRUCE_EPARSE, "provenance.file_sha256: must be a SHA-256");
  EXPECT_ERR(with("\"provenance\":\"firms\""), TRUCE_EPARSE,
             "provenance: must be an object");
}

/* ------------------------------------------------------------------ */
/* The canonical form                                                   */
/* ------------------------------------------------------------------ */

/* The canonical text of a latitude: at most 7 decimals, rounded to the
 * nearest (expected values worked out by hand). */
TEST(test_canonical_numbers) {
  static const struct {
    double lat;
    const char *want;
  } cases[] = {
      {48.1, "48.1"},
      {37.0, "37"},
      {0.00001, "0.00001"},
      {1e-7, "0.0000001"},
      {0.1 + 0.2, "0.3"},
      {2.0 / 3.0, "0.6666667"},
      {-33.5, "-33.5"},
      {-0.0, "0"},
      {0.1, "0.1"},
      {90, "90"},
      {-90, "-90"},
      {47.10219, "47.10219"},
      {100.0 / 3.0, "33.3333333"},
      {1e-8, "0"},
      {-1e-9, "0"}, /* never "-0" */
      {0.00000016, "0.0000002"},
      {-0.00000012, "-0.0000001"},
      {12.34567891, "12.3456789"},
      {-12.34567896, "-12.345679"},
      {89.99999999, "90"},
      {-89.9999999, "-89.9999999"},
  };
  truce_obs o;
  EXPECT_OK(with(""), &o);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    o.lat_deg = cases[i].lat;
    char want[128];
    snprintf(want, sizeof want, "\"where\":{\"lat\":%s,\"lon\":37.7}",
             cases[i].want);
    CHECK_CONTAINS(fmt(&o), want);
  }
  /* Larger values: distances and bearings. A bearing that rounds up to
   * 360 is north: 0. */
  EXPECT_OK(bare("\"where\":{\"observer\":{\"lat\":1,\"lon\":2},"
                 "\"bearing_deg\":359.99999999999994,\"dist_min_m\":"
                 "123456.78901234,\"dist_max_m\":1e6}"),
            &o);
  CHECK_CONTAINS(fmt(&o), "\"bearing_deg\":0,\"dist_min_m\":123456.7890123,"
                          "\"dist_max_m\":1000000}");
  /* The smallest subnormal is a latitude of 0 at 7 decimals. */
  EXPECT_OK(bare("\"where\":{\"lat\":4.9406564584124654e-324,\"lon\":0}"),
            &o);
  CHECK(o.lat_deg == 0 && !signbit(o.lat_deg));
  CHECK_CONTAINS(fmt(&o), "\"where\":{\"lat\":0,\"lon\":0}}");
}

TEST(test_format_invalid) {
  truce_obs o;
  truce_buf b;
  truce_buf_init(&b, 65536);
  CHECK_OK(truce_buf_append(&b, "keep", 4));
  EXPECT_OK(with(""), &o);
  o.what = TRUCE_WHAT_NONE;
  CHECK_RC(truce_obs_format(&o, &b), TRUCE_EINVAL);
  EXPECT_OK(with(""), &o);
  o.lat_deg = NAN;
  CHECK_RC(truce_obs_format(&o, &b), TRUCE_EINVAL);
  EXPECT_OK(with(""), &o);
  o.where_kind = 0;
  CHECK_RC(truce_obs_format(&o, &b), TRUCE_EINVAL);
  EXPECT_OK(with(""), &o);
  o.means = TRUCE_MEANS_AUDIO | TRUCE_MEANS_RADAR;
  CHECK_RC(truce_obs_format(&o, &b), TRUCE_EINVAL);
  EXPECT_OK(with(""), &o);
  memset(o.note, 'x', sizeof o.note); /* not NUL-terminated */
  CHECK_RC(truce_obs_format(&o, &b), TRUCE_EINVAL);
  /* Nothing is left half-written. */
  CHECK_EQ_U64(b.len, 4);
  CHECK_STR(b.data, "keep");
  /* A buffer too small for the line: ETOOBIG, and still nothing added. */
  truce_buf small;
  truce_buf_init(&small, 20);
  EXPECT_OK(with(""), &o);
  CHECK_RC(truce_obs_format(&o, &small), TRUCE_ETOOBIG);
  CHECK(small.len == 0);
  truce_buf_release(&small);
  /* Appends after what is there. */
  CHECK_OK(truce_obs_format(&o, &b));
  CHECK(strncmp(b.data, "keep{\"what\":", 12) == 0);
  truce_buf_release(&b);
}

/* ------------------------------------------------------------------ */
/* Properties over random observations                                  */
/* ------------------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n) { return n ? rnd() % n : 0; }

static double rnd_unit(void) { /* [0, 1) */
  return (double)(rnd() >> 11) * 0x1.0p-53;
}

/* On the 7-decimal grid, as parse stores numbers: the double nearest
 * to round(x * 1e7) / 1e7 (docs/observation.md). Never -0. */
static double grid7(double x) {
  double k = round(x * 1e7);
  return k == 0 ? 0 : k / 1e7;
}

/* A number in [lo, hi] (hi excluded if hi_open, lo excluded if lo_open),
 * of a kind a source might send or a fuzzer might: full precision,
 * a few decimals, whole, an end point, tiny; then put on the 7-decimal
 * grid, where parsed numbers are (properties hold for what parse can
 * give; test_seven_decimals covers the rounding). Never -0. */
static double rnd_num(double lo, double hi, bool lo_open, bool hi_open) {
  for (;;) {
    double x;
    switch (rnd_below(6)) {
    case 0:
      x = lo + (hi - lo) * rnd_unit();
      break;
    case 1: {
      char s[64];
      snprintf(s, sizeof s, "%.*f", (int)rnd_below(8),
               lo + (hi - lo) * rnd_unit());
      x = strtod(s, NULL);
      break;
    }
    case 2:
      x = floor(lo + (hi - lo) * rnd_unit());
      break;
    case 3:
      x = rnd_below(2) ? lo : hi;
      break;
    case 4:
      x = ldexp(1.0, -(int)rnd_below(1075)) * (double)(1 + rnd_below(1000));
      if (lo < 0 && rnd_below(2))
        x = -x;
      break;
    default:
      x = nextafter(rnd_below(2) ? lo : hi, (lo + hi) / 2);
      break;
    }
    x = grid7(x);
    if (x < lo || x > hi || (lo_open && x == lo) || (hi_open && x == hi))
      continue;
    return x;
  }
}

/* Text of up to max bytes, with multi-byte characters and the characters
 * JSON escapes. */
static void rnd_text(char *out, size_t max) {
  static const char *const pieces[] = {
      "a", "Z", "0", " ", "-", "\"", "\\", "/", "'", "<", "&", "é", "Д",
      "—", "€", "\xf0\x9d\x84\x9e", "\xc2\xa0", "\xe2\x80\xa8", "~"};
  size_t target = rnd_below(4) == 0 ? max : rnd_below(max + 1), n = 0;
  while (n < target) {
    const char *p = pieces[rnd_below(sizeof pieces / sizeof pieces[0])];
    size_t k = strlen(p);
    if (n + k > target)
      break;
    memcpy(out + n, p, k);
    n += k;
  }
  out[n] = '\0';
}

static int64_t rnd_time(void) {
  const int64_t lo = INT64_C(-2208988800000),
                hi = NOW_MS + TRUCE_FUTURE_MAX_MS;
  int64_t t = lo + (int64_t)rnd_below((uint64_t)(hi - lo) + 1);
  if (rnd_below(2))
    t -= t % 1000; /* whole seconds, as most sources send */
  return t < lo ? lo : t;
}

static void rnd_obs(truce_obs *o) {
  memset(o, 0, sizeof *o);
  if (rnd_below(2))
    rnd_text(o->id, TRUCE_OBS_ID_MAX);
  o->what = (truce_what)(1 + rnd_below(TRUCE_WHAT_COUNT - 1));
  o->count = rnd_below(3) ? 1 + (uint32_t)rnd_below(1000000) : 1;
  o->count_approx = (uint8_t)rnd_below(2);
  if (rnd_below(3) == 0) {
    int64_t a = rnd_time(), b = rnd_time();
    o->t_ms = a < b ? a : b;
    o->t_end_ms = a < b ? b : a;
    o->is_window = 1;
  } else {
    o->t_ms = o->t_end_ms = rnd_time();
    o->precision_s = rnd_below(2) ? (uint32_t)rnd_below(31622401) : 0;
  }
  o->lat_deg = rnd_num(-90, 90, false, false);
  o->lon_deg = rnd_num(-180, 180, false, false);
  if (rnd_below(2)) {
    o->where_kind = TRUCE_WHERE_POINT;
    o->uncertainty_m = rnd_below(2) ? rnd_num(0, 1e6, false, false) : 0;
  } else {
    o->where_kind = TRUCE_WHERE_BEARING;
    o->bearing_deg = rnd_num(0, 360, false, true);
    o->bearing_spread_deg = rnd_below(2) ? rnd_num(0, 180, false, false) : 0;
    if (rnd_below(3)) {
      double a = rnd_num(0, 1e6, false, false), b = rnd_num(0, 1e6, false,
                                                            false);
      o->dist_min_m = rnd_below(3) ? (a < b ? a : b) : 0;
      o->dist_max_m = a < b ? b : a;
    }
  }
  if (rnd_below(2)) {
    o->weapon = (truce_weapon_class)rnd_below(TRUCE_WEAPON_COUNT);
    o->calibre_mm = rnd_below(2) ? rnd_num(0, 2000, true, false) : 0;
    if (rnd_below(2))
      rnd_text(o->system, TRUCE_OBS_ID_MAX);
  }
  if (rnd_below(2)) {
    o->has_fire = 1;
    o->fire_from_deg = rnd_num(0, 360, false, true);
    o->fire_spread_deg = rnd_below(2) ? rnd_num(0, 180, false, false) : 0;
  }
  if (rnd_below(2))
    o->means = 1u << rnd_below(TRUCE_MEANS_COUNT);
  static const char *const kinds[] = {"photo", "video", "audio", "document",
                                      "data"};
  o->nevidence = (unsigned)rnd_below(TRUCE_OBS_EVIDENCE_MAX + 1);
  for (unsigned i = 0; i < o->nevidence; i++) {
    for (int k = 0; k < 32; k++)
      o->evidence[i].sha256[k] = (uint8_t)rnd();
    strcpy(o->evidence[i].kind, kinds[rnd_below(5)]);
  }
  if (rnd_below(2)) {
    static const char ds[] = "abcdefghijklmnopqrstuvwxyz0123456789_-";
    size_t n = 1 + rnd_below(32);
    for (size_t i = 0; i < n; i++)
      o->dataset[i] = ds[rnd_below(sizeof ds - 1)];
    o->dataset[n] = '\0';
    for (int k = 0; k < 32; k++)
      o->file_sha256[k] = (uint8_t)rnd();
    o->row = 1 + rnd_below(INT64_MAX);
    o->has_provenance = 1;
  }
  if (rnd_below(2))
    rnd_text(o->place, sizeof o->place - 1);
  if (rnd_below(2))
    rnd_text(o->note, TRUCE_OBS_TEXT_MAX);
  /* Holding sites: a visit names its site; serials on sightings and
   * visits only, distinct, from the token alphabet. */
  static const char tok[] = "ABCXYZabc0123456789._-/";
  if (o->what == TRUCE_WHAT_SITE_VISIT || rnd_below(4) == 0) {
    size_t n = 1 + rnd_below(TRUCE_OBS_ID_MAX);
    for (size_t i = 0; i < n; i++)
      o->site[i] = tok[rnd_below(sizeof tok - 1)];
    o->site[n] = '\0';
  }
  if (o->what == TRUCE_WHAT_SITE_VISIT || o->what == TRUCE_WHAT_WEAPON_SEEN) {
    if (rnd_below(2)) {
      o->has_serials = 1;
      o->nserials = (unsigned)rnd_below(TRUCE_OBS_SERIALS_MAX + 1);
      for (unsigned k = 0; k < o->nserials; k++)
        snprintf(o->serials[k], sizeof o->serials[k], "%c%u-%llu",
                 tok[rnd_below(6)], k,
                 (unsigned long long)rnd_below(1000000000));
    }
  }
}

/* k / 1e7 as the nearest double (its text: grid_text, test.h): the
 * reference for the grid. */
static double grid_value(int64_t k) { return (double)k / 1e7; }

/* Numbers are kept to 7 decimals (docs/observation.md, "The canonical
 * form"): checked as written, stored rounded, written exactly. */
TEST(test_seven_decimals) {
  truce_obs o;
  /* More than 7 decimals: rounded to the nearest. */
  EXPECT_OK(bare("\"where\":{\"lat\":48.123456789,\"lon\":-37.00000004}"),
            &o);
  CHECK(o.lat_deg == 48.1234568 && o.lon_deg == -37.0);
  CHECK_CONTAINS(fmt(&o), "\"where\":{\"lat\":48.1234568,\"lon\":-37}}");
  EXPECT_OK(bare("\"where\":{\"lat\":48.12345674999,\"lon\":1}"), &o);
  CHECK(o.lat_deg == 48.1234567);
  CHECK_CONTAINS(fmt(&o), "\"lat\":48.1234567,");
  /* Exponents and long spellings of a grid value give that value. */
  EXPECT_OK(bare("\"where\":{\"lat\":4.81E1,\"lon\":37.70000000000000000001"
                 "}"),
            &o);
  CHECK(o.lat_deg == 48.1 && o.lon_deg == 37.7);
  /* The range is checked on the number as written: 90.00000001 is not a
   * latitude, even though it would be written 90. */
  EXPECT_ERR(bare("\"where\":{\"lat\":90.00000001,\"lon\":1}"), TRUCE_ERANGE,
             "where.lat: 90.00000001 is out of range [-90, 90]");
  /* Bearings are circular: one that rounds up to 360 is 0. */
  EXPECT_OK(bare("\"where\":{\"observer\":{\"lat\":1,\"lon\":2},"
                 "\"bearing_deg\":359.99999999}"),
            &o);
  CHECK(o.bearing_deg == 0);
  EXPECT_OK(with("\"fire\":{\"from_deg\":359.99999996}"), &o);
  CHECK(o.fire_from_deg == 0);
  EXPECT_OK(with("\"fire\":{\"towards_deg\":179.99999999}"), &o);
  CHECK(o.fire_from_deg == 0);
  EXPECT_OK(with("\"fire\":{\"towards_deg\":0.1}"), &o);
  CHECK(o.fire_from_deg == 180.1);
  CHECK_CONTAINS(fmt(&o), "\"fire\":{\"from_deg\":180.1}");
  /* A calibre must stay above 0 once rounded (0 means unknown). */
  EXPECT_ERR(with("\"weapon\":{\"calibre_mm\":0.00000004}"), TRUCE_ERANGE,
             "weapon.calibre_mm: 4e-08 is out of range (0, 2000] (numbers "
             "are kept to 7 decimals: it would be 0)");
  EXPECT_OK(with("\"weapon\":{\"calibre_mm\":0.00000006}"), &o);
  CHECK_CONTAINS(fmt(&o), "\"weapon\":{\"calibre_mm\":0.0000001}");
  /* A value set by hand between grid points is written rounded, and a
   * default is judged on what is written: a distance that rounds to 0 is
   * left out like 0. */
  EXPECT_OK(bare("\"where\":{\"observer\":{\"lat\":1,\"lon\":2},"
                 "\"bearing_deg\":10,\"dist_max_m\":5}"),
            &o);
  o.lat_deg = 1.000000049;
  o.bearing_spread_deg = 1e-9;
  CHECK_STR(fmt(&o), "{\"what\":\"explosion\",\"count\":1,\"time\":"
                     "\"2015-02-16T03:10:00Z\",\"where\":{\"observer\":{"
                     "\"lat\":1,\"lon\":2},\"bearing_deg\":10,"
                     "\"dist_max_m\":5}}");
  /* Every grid value round-trips, and its text is the reference's, over
   * the latitudes and over the distances (to 1e6). */
  int bad = 0;
  for (int i = 0; i < 20000 && bad < 5; i++) {
    int64_t range = i % 2 ? INT64_C(900000000) : INT64_C(10000000000000);
    int64_t k = (int64_t)rnd_below((uint64_t)range * 2 + 1) - range;
    if (i % 2 == 0)
      k = k < 0 ? -k : k; /* distances are not negative */
    char want[40], in[160], key[64];
    grid_text(k, want);
    if (i % 2) {
      snprintf(in, sizeof in, "\"where\":{\"lat\":%s,\"lon\":0}", want);
      snprintf(key, sizeof key, "\"lat\":%s,", want);
    } else {
      snprintf(in, sizeof in,
               "\"where\":{\"lat\":0,\"lon\":0,\"uncertainty_m\":%s}", want);
      if (k)
        snprintf(key, sizeof key, "\"uncertainty_m\":%s}}", want);
      else /* 0 is the default, left out */
        snprintf(key, sizeof key, "\"lon\":0}}");
    }
    truce_err rc = parse(bare(in), &o);
    double got = i % 2 ? o.lat_deg : o.uncertainty_m;
    const char *text = rc == TRUCE_OK ? fmt(&o) : "";
    if (rc != TRUCE_OK || got != grid_value(k) || !signbit(got) != (k >= 0) ||
        !strstr(text, key)) {
      CHECK_MSG(0, "k=%" PRId64 " (%s): %s / %.17g / %s", k, want, errbuf,
                got, text);
      bad++;
    }
  }
}

static uint64_t test_seed(void) {
  const char *s = getenv("TRUCE_SEED");
  if (s && *s)
    return strtoull(s, NULL, 0);
  return (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
}

TEST(test_round_trip_random) {
  int n = 500, failures = 0;
  truce_buf b1, b2;
  truce_buf_init(&b1, TRUCE_OBS_LINE_MAX);
  truce_buf_init(&b2, TRUCE_OBS_LINE_MAX);
  for (int i = 0; i < n && failures < 5; i++) {
    truce_obs o, p, q;
    rnd_obs(&o);
    b1.len = b2.len = 0;
    truce_err rc = truce_obs_format(&o, &b1);
    CHECK_MSG(rc == TRUCE_OK, "#%d: format: %s", i, truce_strerror(rc));
    if (rc) {
      failures++;
      continue;
    }
    CHECK(b1.len <= TRUCE_OBS_LINE_MAX);
    rc = truce_obs_parse(b1.data, b1.len, NOW_MS, &p, errbuf);
    CHECK_MSG(rc == TRUCE_OK, "#%d: %s\n%s", i, errbuf, b1.data);
    if (rc) {
      failures++;
      continue;
    }
    const char *why = "";
    bool eq = obs_eq(&o, &p, &why);
    CHECK_MSG(eq, "#%d: parse(format(o)) differs in %s\n%s", i, why,
              b1.data);
    CHECK_OK(truce_obs_format(&p, &b2));
    CHECK_MSG(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0,
              "#%d: not a fixed point:\n%s\n%s", i, b1.data, b2.data);
    CHECK_OK(truce_obs_parse(b2.data, b2.len, NOW_MS, &q, errbuf));
    CHECK(obs_eq(&p, &q, &why));
    if (!eq)
      failures++;
  }
  truce_buf_release(&b1);
  truce_buf_release(&b2);
}

/* Every field at its largest still fits a line in canonical form. */
TEST(test_largest_canonical) {
  truce_obs o;
  memset(&o, 0, sizeof o);
  memset(o.id, '"', TRUCE_OBS_ID_MAX);
  o.what = TRUCE_WHAT_UNDETERMINED_EXPLOSION;
  o.count = 1000000;
  o.count_approx = 1;
  o.t_ms = INT64_C(-2208988800001) + 2; /* .001 in 1900 */
  o.t_end_ms = o.t_ms;
  o.precision_s = 31622400;
  o.where_kind = TRUCE_WHERE_BEARING;
  /* The longest numbers at 7 decimals. */
  o.lat_deg = -89.9999999;
  o.lon_deg = -179.9999999;
  o.bearing_deg = 359.9999999;
  o.bearing_spread_deg = 179.9999999;
  o.dist_min_m = 999999.9999998;
  o.dist_max_m = 999999.9999999;
  o.weapon = TRUCE_WEAPON_HEAVY_MACHINE_GUN;
  o.calibre_mm = 1999.9999999;
  memset(o.system, '\\', TRUCE_OBS_ID_MAX);
  o.has_fire = 1;
  o.fire_from_deg = 359.9999999;
  o.fire_spread_deg = 179.9999999;
  o.means = TRUCE_MEANS_ACOUSTIC;
  o.nevidence = TRUCE_OBS_EVIDENCE_MAX;
  for (int i = 0; i < TRUCE_OBS_EVIDENCE_MAX; i++)
    strcpy(o.evidence[i].kind, "document");
  o.has_provenance = 1;
  memset(o.dataset, '_', 32);
  o.row = INT64_MAX;
  memset(o.place, '"', sizeof o.place - 1);
  memset(o.note, '"', TRUCE_OBS_TEXT_MAX);
  truce_buf b;
  truce_buf_init(&b, 1 << 20);
  CHECK_OK(truce_obs_format(&o, &b));
  CHECK_MSG(b.len <= TRUCE_OBS_LINE_MAX, "%zu bytes", b.len);
  truce_obs p;
  CHECK_OK(truce_obs_parse(b.data, b.len, NOW_MS, &p, errbuf));
  const char *why = "";
  CHECK_MSG(obs_eq(&o, &p, &why), "differs in %s", why);
  truce_buf_release(&b);
}

/* ------------------------------------------------------------------ */
/* Allocation failure                                                   */
/* ------------------------------------------------------------------ */

/* Fail the 1st, 2nd, ... allocation until the call succeeds: each try
 * gives TRUCE_ENOMEM or success, never a crash or a leak (ASan). A parse
 * allocates exactly once (the reader's json_doc). */
TEST(test_alloc_failure) {
  const char *in = with("\"evidence\":[{\"sha256\":\"" SHA_A "\",\"kind\":"
                        "\"photo\"}],\"weapon\":{\"class\":\"tank\"},"
                        "\"note\":\"a long enough note, with escapes \\\" "
                        "\\u0416 to decode into the reader's arena\"");
  truce_obs o;
  uint64_t n;
  truce_err rc = TRUCE_ENOMEM;
  for (n = 1; n < 100000 && rc == TRUCE_ENOMEM; n++) {
    truce_test_fail_alloc(n);
    rc = parse(in, &o);
    truce_test_fail_alloc(0);
    CHECK_MSG(rc == TRUCE_OK || rc == TRUCE_ENOMEM, "n=%" PRIu64 ": %s",
              n, errbuf);
    if (rc == TRUCE_ENOMEM) {
      CHECK_CONTAINS(errbuf, "out of memory");
      CHECK(all_zero(&o, sizeof o));
    }
  }
  CHECK_EQ_U64(rc, TRUCE_OK);
  CHECK_MSG(n - 2 == 1, "%" PRIu64 " allocations, want 1", n - 2);
  /* Formatting into a fresh buffer. */
  rc = TRUCE_ENOMEM;
  for (n = 1; n < 1000 && rc == TRUCE_ENOMEM; n++) {
    truce_buf b;
    truce_buf_init(&b, TRUCE_OBS_LINE_MAX);
    truce_test_fail_alloc(n);
    rc = truce_obs_format(&o, &b);
    truce_test_fail_alloc(0);
    CHECK(rc == TRUCE_OK || rc == TRUCE_ENOMEM);
    if (rc == TRUCE_ENOMEM)
      CHECK(b.len == 0);
    truce_buf_release(&b);
  }
  CHECK_EQ_U64(rc, TRUCE_OK);
}

TEST(test_null_arguments) {
  truce_obs o;
  CHECK_RC(truce_obs_parse(NULL, 0, NOW_MS, &o, errbuf), TRUCE_EINVAL);
  CHECK_RC(truce_obs_parse("{}", 2, NOW_MS, NULL, errbuf), TRUCE_EINVAL);
  /* err may be NULL. */
  CHECK_RC(truce_obs_parse("{}", 2, NOW_MS, &o, NULL), TRUCE_EPARSE);
  CHECK_RC(truce_obs_parse("{", 1, NOW_MS, &o, NULL), TRUCE_EPARSE);
  truce_buf b;
  truce_buf_init(&b, 100);
  CHECK_RC(truce_obs_format(NULL, &b), TRUCE_EINVAL);
  CHECK_RC(truce_obs_format(&o, NULL), TRUCE_EINVAL);
}

int main(void) {
  uint64_t seed = test_seed();
  rng_state = seed;
  fprintf(stderr, "test_obs: seed %" PRIu64 " (TRUCE_SEED=%" PRIu64
                  " repeats this run)\n",
          seed, seed);
  RUN(test_vocab_names);
  RUN(test_vocab_round_trip);
  RUN(test_vocab_unknown_words);
  RUN(test_time_known_answers);
  RUN(test_time_leap_years);
  RUN(test_time_fields_and_offsets);
  RUN(test_time_syntax);
  RUN(test_time_range);
  RUN(test_time_format);
  RUN(test_time_format_writer);
  RUN(test_time_every_day);
  RUN(test_example_patrol);
  RUN(test_example_camera);
  RUN(test_example_weapon);
  RUN(test_example_firms);
  RUN(test_docs_examples);
  RUN(test_minimal_and_defaults);
  RUN(test_not_json);
  RUN(test_deep_nesting);
  RUN(test_too_many_values);
  RUN(test_echoed_values);
  RUN(test_not_an_object);
  RUN(test_nul_byte);
  RUN(test_line_too_long);
  RUN(test_non_finite_numbers);
  RUN(test_unknown_fields);
  RUN(test_id);
  RUN(test_strings_control_characters);
  RUN(test_strings_escapes_and_utf8);
  RUN(test_place_and_note_limits);
  RUN(test_what);
  RUN(test_serials_and_site);
  RUN(test_count);
  RUN(test_count_approx);
  RUN(test_time_field);
  RUN(test_precision);
  RUN(test_window);
  RUN(test_future_limit);
  RUN(test_where_point);
  RUN(test_where_bearing);
  RUN(test_weapon);
  RUN(test_fire);
  RUN(test_means);
  RUN(test_evidence);
  RUN(test_provenance);
  RUN(test_canonical_numbers);
  RUN(test_seven_decimals);
  RUN(test_format_invalid);
  RUN(test_round_trip_random);
  RUN(test_largest_canonical);
  RUN(test_alloc_failure);
  RUN(test_null_arguments);
  return test_done("test_obs");
}
