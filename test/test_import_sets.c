/*
 * test_import_sets.c: the event-set converters (import_acled.c,
 * import_ucdp.c, import_viina.c, import_cir.c, import_geojson.c).
 *
 * Real rows where the data are at hand (VIINA's August 2025 file, the
 * Bellingcat/CIR events.csv under $TRUCE_SHARED, skipped with a message
 * when absent), synthetic ACLED and UCDP files with the published headers,
 * and malformed files for each. The test sink checks every observation:
 * it must format and parse back to the same value (and the same bytes),
 * carry its provenance, and every data row must be either emitted or
 * refused (rows == emitted + refused).
 */
#include "import.h"
#include "test.h"

#include <math.h>

/* 2026-01-01T00:00:00Z: a fixed "now" for the sink. */
#define NOW_MS INT64_C(1767225600000)

#define WATCH_MAX 32

typedef struct sink_ctx {
  uint64_t emitted, refused;
  uint64_t what[TRUCE_WHAT_COUNT];
  uint64_t weapon[TRUCE_WEAPON_COUNT];
  const char *dataset;
  char last_why[TRUCE_ERR_MAX];
  uint64_t last_line;
  uint64_t progress_calls;
  /* Rows to keep: watch[i] is a line; kept[i] its observation. */
  uint64_t watch[WATCH_MAX];
  size_t nwatch;
  truce_obs kept[WATCH_MAX];
  bool got[WATCH_MAX];
  char why[WATCH_MAX][TRUCE_ERR_MAX]; /* or its refusal */
  int stop_after;                     /* non-zero: stop at that emit */
} sink_ctx;

static bool same_double(double a, double b) {
  return a == b && signbit(a) == signbit(b);
}

static bool obs_equal(const truce_obs *a, const truce_obs *b) {
  return !strcmp(a->id, b->id) && a->what == b->what &&
         a->count == b->count && a->count_approx == b->count_approx &&
         a->t_ms == b->t_ms && a->t_end_ms == b->t_end_ms &&
         a->precision_s == b->precision_s && a->is_window == b->is_window &&
         a->where_kind == b->where_kind &&
         same_double(a->lat_deg, b->lat_deg) &&
         same_double(a->lon_deg, b->lon_deg) &&
         same_double(a->uncertainty_m, b->uncertainty_m) &&
         a->weapon == b->weapon && same_double(a->calibre_mm, b->calibre_mm) &&
         !strcmp(a->system, b->system) && a->has_fire == b->has_fire &&
         a->means == b->means && a->nevidence == b->nevidence &&
         a->has_provenance == b->has_provenance &&
         !strcmp(a->dataset, b->dataset) &&
         !memcmp(a->file_sha256, b->file_sha256, 32) && a->row == b->row &&
         !strcmp(a->place, b->place) && !strcmp(a->note, b->note) &&
         !strcmp(a->site, b->site) && a->nserials == b->nserials;
}

static truce_err t_emit(void *vctx, uint64_t line, const truce_obs *o) {
  sink_ctx *c = vctx;
  static truce_obs back;
  char err[TRUCE_ERR_MAX];
  truce_buf b1, b2;
  truce_buf_init(&b1, TRUCE_OBS_LINE_MAX);
  truce_buf_init(&b2, TRUCE_OBS_LINE_MAX);
  truce_err rc = truce_obs_format(o, &b1);
  CHECK_MSG(rc == TRUCE_OK, "line %" PRIu64 ": format: %s", line,
            truce_strerror(rc));
  if (rc == TRUCE_OK) {
    rc = truce_obs_parse(b1.data, b1.len, NOW_MS, &back, err);
    CHECK_MSG(rc == TRUCE_OK, "line %" PRIu64 ": %s: %s", line, err, b1.data);
    if (rc == TRUCE_OK) {
      CHECK_MSG(obs_equal(o, &back), "line %" PRIu64 ": parse(format(o)) "
                "!= o: %s", line, b1.data);
      CHECK(truce_obs_format(&back, &b2) == TRUCE_OK && b1.len == b2.len &&
            memcmp(b1.data, b2.data, b1.len) == 0);
    }
  }
  CHECK(o->has_provenance && o->row == line && o->row >= 1);
  CHECK_STR(o->dataset, c->dataset);
  for (size_t i = 0; i < c->nwatch; i++)
    if (c->watch[i] == line) {
      c->kept[i] = *o;
      c->got[i] = true;
    }
  c->emitted++;
  if (o->what < TRUCE_WHAT_COUNT)
    c->what[o->what]++;
  if (o->weapon < TRUCE_WEAPON_COUNT)
    c->weapon[o->weapon]++;
  truce_buf_release(&b1);
  truce_buf_release(&b2);
  if (c->stop_after && c->emitted == (uint64_t)c->stop_after)
    return TRUCE_EEXIST;
  return TRUCE_OK;
}

static void t_reject(void *vctx, uint64_t line, const char *why) {
  sink_ctx *c = vctx;
  c->refused++;
  c->last_line = line;
  snprintf(c->last_why, sizeof c->last_why, "%s", why);
  CHECK(why && *why);
  for (size_t i = 0; i < c->nwatch; i++)
    if (c->watch[i] == line)
      snprintf(c->why[i], sizeof c->why[i], "%s", why);
}

static void t_progress(void *vctx, uint64_t done, uint64_t total) {
  sink_ctx *c = vctx;
  CHECK(done <= total);
  c->progress_calls++;
}

static sink_ctx *ctx_new(const char *dataset) {
  sink_ctx *c = calloc(1, sizeof *c);
  if (c)
    c->dataset = dataset;
  return c;
}

static void watch(sink_ctx *c, uint64_t line) {
  if (c->nwatch < WATCH_MAX)
    c->watch[c->nwatch++] = line;
}

/* The watched observation of a line, or NULL (its refusal in why). */
static const truce_obs *kept(const sink_ctx *c, uint64_t line) {
  for (size_t i = 0; i < c->nwatch; i++)
    if (c->watch[i] == line && c->got[i])
      return &c->kept[i];
  return NULL;
}
static const char *why_of(const sink_ctx *c, uint64_t line) {
  for (size_t i = 0; i < c->nwatch; i++)
    if (c->watch[i] == line)
      return c->why[i];
  return "";
}

static truce_err run(import_convert_fn fn, const char *data, size_t len,
                     sink_ctx *c, char *err) {
  import_sink s;
  memset(&s, 0, sizeof s);
  s.emit = t_emit;
  s.reject = t_reject;
  s.progress = t_progress;
  s.ctx = c;
  for (int i = 0; i < 32; i++)
    s.file_sha256[i] = (uint8_t)(0xa0 + i);
  s.now_ms = NOW_MS;
  err[0] = '\0';
  return fn(data, len, &s, err);
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 20, n = 0, k;
  char *p = malloc(cap);
  while (p && (k = fread(p + n, 1, cap - n, f)) > 0) {
    n += k;
    if (n == cap) {
      char *q = realloc(p, cap *= 2);
      if (!q) {
        free(p);
        p = NULL;
      }
      p = q;
    }
  }
  fclose(f);
  *len = n;
  return p;
}

static int64_t tm(const char *s) {
  int64_t t = 0;
  if (truce_time_parse(s, strlen(s), &t) != TRUCE_OK)
    fprintf(stderr, "bad test time %s\n", s);
  return t;
}

/* ---------------------------------------------------------------- */
/* ACLED                                                              */
/* ---------------------------------------------------------------- */

static const char acled_header[] =
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,"
    "sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,"
    "interaction,civilian_targeting,iso,region,country,admin1,admin2,admin3,"
    "location,latitude,longitude,geo_precision,source,source_scale,notes,"
    "fatalities,tags,timestamp\n";

/* One row of the 31 columns; notes is written quoted. */
static void acled_row(truce_buf *b, const char *id, const char *date,
                      const char *tp, const char *type, const char *sub,
                      const char *lat, const char *lon, const char *gp,
                      const char *notes, const char *fatal) {
  truce_buf_appendf(
      b,
      "%s,%s,2022,%s,Political violence,%s,%s,Military Forces of Russia "
      "(2000-),,State forces,Military Forces of Ukraine (2019-),,State "
      "forces,State forces-State forces,,804,Europe,Ukraine,Donetsk,"
      "Bakhmutskyi,Bakhmutska,Bakhmut,%s,%s,%s,Ukrinform; Ministry of "
      "Defence of Ukraine,National,\"%s\",%s,,1646179200\n",
      id, date, tp, type, sub, lat, lon, gp, notes, fatal);
}

TEST(acled_synthetic) {
  truce_buf b;
  truce_buf_init(&b, 1 << 20);
  truce_buf_append(&b, acled_header, strlen(acled_header));
  /* line 2 */
  acled_row(&b, "UKR1001", "2022-03-01", "1", "Explosions/Remote violence",
            "Shelling/artillery/missile attack", "48.5956", "37.9999", "1",
            "On 1 March 2022, Russian forces shelled Bakhmut with "
            "artillery, hitting a school.",
            "0");
  /* line 3 */
  acled_row(&b, "UKR1002", "2022-03-02", "2", "Explosions/Remote violence",
            "Air/drone strike", "48.5956", "37.9999", "2",
            "Around 2 March 2022, a Russian drone (Orlan) dropped "
            "munitions, killing 2.",
            "2");
  /* line 4 */
  acled_row(&b, "UKR1003", "2022-02-15", "3", "Battles", "Armed clash",
            "48.5956", "37.9999", "3",
            "In February 2022, clashes near Bakhmut.", "0");
  /* line 5 */
  acled_row(&b, "UKR1004", "2022-03-04", "1", "Protests",
            "Peaceful protest", "48.5956", "37.9999", "1",
            "People protested.", "0");
  /* line 6 */
  acled_row(&b, "UKR1005", "2022-03-05", "1", "Explosions/Remote violence",
            "Remote explosive/landmine/IED", "48.5956", "37.9999", "1",
            "A tractor hit an anti-tank landmine near Bakhmut.", "1");
  /* line 7 */
  acled_row(&b, "UKR1006", "2022-03-06", "1", "Explosions/Remote violence",
            "Grenade", "48.5956", "37.9999", "1",
            "A grenade was thrown at a checkpoint.", "0");
  /* line 8: an older export's date */
  acled_row(&b, "UKR1007", "15 February 2015", "1",
            "Explosions/Remote violence", "Shelling/artillery/missile attack",
            "48.0159", "37.8028", "1",
            "Shelling with mortars of Donetsk airport, with \"\"Grad\"\" "
            "rockets.",
            "0");
  /* line 9: a date that does not exist */
  acled_row(&b, "UKR1008", "2015-02-30", "1", "Battles", "Armed clash",
            "48.0", "37.8", "1", "x", "0");
  /* line 10: not a number */
  acled_row(&b, "UKR1009", "2022-03-01", "1", "Battles", "Armed clash",
            "nan", "37.8", "1", "x", "0");
  /* line 11: a missile strike, notes on two lines */
  acled_row(&b, "UKR1010", "2022-03-01", "1", "Explosions/Remote violence",
            "Shelling/artillery/missile attack", "49.9935", "36.2304", "1",
            "Russian forces struck Kharkiv with an Iskander missile.\n"
            "3 killed.",
            "3");
  /* line 13: an attack on civilians */
  acled_row(&b, "UKR1011", "2022-03-01", "1", "Violence against civilians",
            "Attack", "49.9935", "36.2304", "2",
            "Soldiers shot at civilians.", "4");
  /* line 14: wrong number of fields */
  truce_buf_appendf(&b, "UKR1012,2022-03-01,2022,1\n");
  /* line 15: strategic development */
  acled_row(&b, "UKR1013", "2022-03-01", "1", "Strategic developments",
            "Looting/property destruction", "49.99", "36.23", "1", "x",
            "0");
  /* line 16: infinity, a latitude out of range, geo_precision 4 */
  acled_row(&b, "UKR1014", "2022-03-01", "1", "Battles", "Armed clash",
            "48.0", "inf", "1", "x", "0");
  acled_row(&b, "UKR1015", "2022-03-01", "1", "Battles", "Armed clash",
            "91.0", "37.0", "1", "x", "0");
  acled_row(&b, "UKR1016", "2022-03-01", "1", "Battles", "Armed clash",
            "48.0", "37.0", "4", "x", "0");
  /* line 19: in the future */
  acled_row(&b, "UKR1017", "2027-03-01", "1", "Battles", "Armed clash",
            "48.0", "37.0", "1", "x", "0");
  /* line 20: long notes in Ukrainian (cut at 512 bytes) */
  {
    char notes[4000] = "";
    for (int i = 0; i < 100; i++)
      strcat(notes, "Обстріл ");
    acled_row(&b, "UKR1018", "2022-03-01", "1", "Battles", "Armed clash",
              "48.0", "37.0", "1", notes, "0");
  }
  sink_ctx *c = ctx_new("acled");
  for (uint64_t l = 2; l <= 20; l++)
    watch(c, l);
  char err[TRUCE_ERR_MAX];
  CHECK_OK(run(import_acled, b.data, b.len, c, err));
  CHECK_EQ_U64(c->emitted + c->refused, 18); /* 19 lines, 18 rows */
  CHECK_EQ_U64(c->emitted, 9);

  const truce_obs *o = kept(c, 2);
  CHECK(o && o->what == TRUCE_WHAT_EXPLOSION &&
        o->weapon == TRUCE_WEAPON_ARTILLERY);
  if (o) {
    CHECK_STR(o->id, "UKR1001");
    CHECK(o->is_window && o->uncertainty_m == 5000);
    /* lon 38 -> UTC+3 +- 2 h: 2022-03-01 from 19:00Z the day before to
     * 22:59:59.999Z. */
    CHECK_EQ_U64(o->t_ms, tm("2022-02-28T19:00:00Z"));
    CHECK_EQ_U64(o->t_end_ms, tm("2022-03-01T22:59:59.999Z"));
    CHECK_STR(o->place, "Bakhmut, Donetsk");
    CHECK(o->means == TRUCE_MEANS_REPORT);
    CHECK_CONTAINS(o->note, "Military Forces of Russia (2000-) vs Military");
    CHECK_CONTAINS(o->note, "hitting a school.");
    CHECK(o->lat_deg == 48.5956 && o->lon_deg == 37.9999);
  }
  o = kept(c, 3);
  CHECK(o && o->what == TRUCE_WHAT_EXPLOSION && o->weapon == TRUCE_WEAPON_UAV);
  if (o) {
    CHECK(o->uncertainty_m == 25000);
    CHECK_EQ_U64(o->t_ms, tm("2022-02-23T19:00:00Z")); /* -6 days */
    CHECK_EQ_U64(o->t_end_ms, tm("2022-03-08T22:59:59.999Z")); /* +6 */
  }
  o = kept(c, 4);
  CHECK(o && o->what == TRUCE_WHAT_SHOTS && o->weapon == TRUCE_WEAPON_NONE);
  if (o) {
    CHECK(o->uncertainty_m == 100000);
    CHECK_EQ_U64(o->t_ms, tm("2022-01-31T19:00:00Z")); /* the month */
    CHECK_EQ_U64(o->t_end_ms, tm("2022-02-28T22:59:59.999Z"));
  }
  CHECK(!kept(c, 5));
  CHECK_STR(why_of(c, 5),
            "event_type 'Protests' is not a ceasefire observation");
  o = kept(c, 6);
  CHECK(o && o->what == TRUCE_WHAT_MINE);
  o = kept(c, 7);
  CHECK(o && o->what == TRUCE_WHAT_EXPLOSION &&
        o->weapon == TRUCE_WEAPON_GRENADE_LAUNCHER);
  o = kept(c, 8);
  CHECK(o && o->weapon == TRUCE_WEAPON_MLRS); /* "Grad" beats mortars */
  if (o) {
    CHECK_EQ_U64(o->t_ms, tm("2015-02-14T19:00:00Z"));
    CHECK_CONTAINS(o->note, "\"Grad\"");
  }
  CHECK_STR(why_of(c, 9), "column event_date: '2015-02-30' is not a date");
  CHECK_STR(why_of(c, 10), "column latitude: 'nan' is not a latitude");
  o = kept(c, 11);
  CHECK(o && o->weapon == TRUCE_WEAPON_TACTICAL_MISSILE);
  if (o)
    CHECK_CONTAINS(o->note, "missile. 3 killed."); /* newline: a space */
  o = kept(c, 13);
  CHECK(o && o->what == TRUCE_WHAT_CASUALTY && o->count == 4);
  CHECK_CONTAINS(why_of(c, 14), "fields, the header has 31");
  CHECK_STR(why_of(c, 15), "event_type 'Strategic developments' is not a "
                           "ceasefire observation");
  CHECK_STR(why_of(c, 16), "column longitude: 'inf' is not a longitude");
  CHECK_STR(why_of(c, 17), "column latitude: '91.0' is not a latitude");
  CHECK_STR(why_of(c, 18), "column geo_precision: '4' is not 1, 2 or 3");
  CHECK_CONTAINS(why_of(c, 19), "column event_date: 2027-03-0");
  CHECK_CONTAINS(why_of(c, 19), "in the future");
  o = kept(c, 20);
  CHECK(o && strlen(o->note) <= TRUCE_OBS_TEXT_MAX);
  if (o) {
    size_t n = strlen(o->note);
    CHECK(n > 400 && n >= 3 && !strcmp(o->note + n - 3, "..."));
  }
  truce_buf_release(&b);
  free(c);
}

TEST(acled_malformed) {
  char err[TRUCE_ERR_MAX];
  sink_ctx *c = ctx_new("acled");
  /* A header without latitude: the file is refused, naming it. */
  const char *nolat = "event_id_cnty,event_date,time_precision,event_type,"
                      "sub_event_type,longitude,geo_precision\n"
                      "UKR1,2022-03-01,1,Battles,Armed clash,37,1\n";
  CHECK_RC(run(import_acled, nolat, strlen(nolat), c, err), TRUCE_EPARSE);
  CHECK_STR(err, "header: no column 'latitude'");
  CHECK_EQ_U64(c->emitted + c->refused, 0);
  /* Empty file. */
  CHECK_RC(run(import_acled, "", 0, c, err), TRUCE_EPARSE);
  CHECK_CONTAINS(err, "empty");

  /* BOM, upper-case header names, a bad quote, a truncated last line. */
  truce_buf b;
  truce_buf_init(&b, 1 << 16);
  truce_buf_append(&b, "\xef\xbb\xbf", 3);
  for (const char *p = acled_header; *p; p++) {
    char ch = *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p;
    truce_buf_append(&b, &ch, 1);
  }
  acled_row(&b, "UKR1", "2022-03-01", "1", "Battles", "Armed clash", "48",
            "37", "1", "ok", "0");
  truce_buf_appendf(&b, "UKR2,2022-03-01,2022,1,Political vio\"le\"nce,"
                        "Battles,Armed clash,a,,1,b,,1,11,,804,Europe,"
                        "Ukraine,D,B,B,Bakhmut,48,37,1,s,National,n,0,,1\n");
  acled_row(&b, "UKR3", "2022-03-01", "1", "Battles", "Armed clash", "48",
            "37", "1", "ok", "0");
  b.len -= 30; /* cut the last line short, no newline */
  b.data[b.len] = '\0';
  c = (free(c), ctx_new("acled"));
  watch(c, 3);
  CHECK_OK(run(import_acled, b.data, b.len, c, err));
  CHECK_EQ_U64(c->emitted, 1);
  CHECK_EQ_U64(c->refused, 2);
  CHECK_CONTAINS(why_of(c, 3), "a quote inside an unquoted field");
  CHECK_CONTAINS(c->last_why, "fields, the header has 31 (the last line, "
                              "with no newline at its end: is the file "
                              "truncated?)");
  /* An unclosed quote at the end. */
  truce_buf_appendf(&b, "\nUKR4,\"2022-03-01");
  c = (free(c), ctx_new("acled"));
  CHECK_OK(run(import_acled, b.data, b.len, c, err));
  CHECK_EQ_U64(c->emitted, 1);
  CHECK_EQ_U64(c->refused, 3);
  CHECK_CONTAINS(c->last_why, "not closed");

  /* The sink's code stops the conversion. */
  c = (free(c), ctx_new("acled"));
  c->stop_after = 1;
  CHECK_RC(run(import_acled, b.data, b.len, c, err), TRUCE_EEXIST);
  CHECK_CONTAINS(err, "stopped by the sink");
  truce_buf_release(&b);
  free(c);
}

/* ---------------------------------------------------------------- */
/* UCDP GED                                                           */
/* ---------------------------------------------------------------- */

static const char ged_header[] =
    "id,relid,year,active_year,code_status,type_of_violence,"
    "conflict_dset_id,conflict_new_id,conflict_name,dyad_dset_id,"
    "dyad_new_id,dyad_name,side_a_dset_id,side_a_new_id,side_a,"
    "side_b_dset_id,side_b_new_id,side_b,number_of_sources,source_article,"
    "source_office,source_date,source_headline,source_original,where_prec,"
    "where_coordinates,where_description,adm_1,adm_2,latitude,longitude,"
    "geom_wkt,priogrid_gid,country,country_id,region,event_clarity,"
    "date_prec,date_start,date_end,deaths_a,deaths_b,deaths_civilians,"
    "deaths_unknown,best,high,low,gwnoa,gwnob\n";

static void ged_row(truce_buf *b, const char *id, const char *tov,
                    const char *wp, const char *lat, const char *lon,
                    const char *dp, const char *start, const char *end,
                    const char *best) {
  truce_buf_appendf(
      b,
      "%s,UKR-2022-1-%s,2022,1,Clear,%s,13243,13243,Russia - Ukraine,"
      "15203,15203,Government of Russia - Government of Ukraine,57,57,"
      "Government of Russia,58,58,Government of Ukraine,2,"
      "\"Reuters,2022-03-02,Shelling in Kharkiv\",,,\"Russian shelling, "
      "Kharkiv\",,%s,Kharkiv town,Kharkiv town,Kharkiv oblast,"
      "Kharkivskyi raion,%s,%s,POINT (%s %s),183434,Ukraine,369,Europe,1,"
      "%s,%s,%s,0,3,2,1,%s,9,4,365,369\n",
      id, id, tov, wp, lat, lon, lon, lat, dp, start, end, best);
}

TEST(ucdp_synthetic) {
  truce_buf b;
  truce_buf_init(&b, 1 << 20);
  truce_buf_append(&b, ged_header, strlen(ged_header));
  ged_row(&b, "412345", "1", "1", "49.988358", "36.232845", "1",
          "2022-03-01", "2022-03-01", "6");                         /* 2 */
  ged_row(&b, "412346", "3", "4", "49.988358", "36.232845", "3",
          "2022-03-01 00:00:00.000", "2022-03-07 00:00:00.000", "0"); /* 3 */
  ged_row(&b, "412347", "1", "6", "48.0", "31.0", "1", "2022-03-01",
          "2022-03-01", "5");                                        /* 4 */
  ged_row(&b, "412348", "1", "1", "49.9", "36.2", "1", "2022-03-05",
          "2022-03-01", "5");                                        /* 5 */
  ged_row(&b, "412349", "1", "1", "49.9", "1e999", "1", "2022-03-01",
          "2022-03-01", "5");                                        /* 6 */
  ged_row(&b, "412350", "1", "1", "49.9", "36.2", "1", "2022-03-01",
          "2022-03-01", "-5");                                       /* 7 */
  ged_row(&b, "412351", "1", "1", "49.9", "36.2", "9", "2022-03-01",
          "2022-03-01", "5");                                        /* 8 */
  ged_row(&b, "412352", "1", "1", "49.9", "36.2", "1", "2022-13-01",
          "2022-03-01", "5");                                        /* 9 */
  ged_row(&b, "412353", "1", "7", "44.0", "33.0", "1", "2022-03-01",
          "2022-03-01", "5");                                        /* 10 */
  ged_row(&b, "412354", "2", "2", "47.1", "37.5", "2", "2022-03-01",
          "2022-03-03", "2000000");                                  /* 11 */
  sink_ctx *c = ctx_new("ucdp");
  for (uint64_t l = 2; l <= 11; l++)
    watch(c, l);
  char err[TRUCE_ERR_MAX];
  CHECK_OK(run(import_ucdp, b.data, b.len, c, err));
  CHECK_EQ_U64(c->emitted + c->refused, 10);
  CHECK_EQ_U64(c->emitted, 2);
  const truce_obs *o = kept(c, 2);
  CHECK(o && o->what == TRUCE_WHAT_CASUALTY && o->count == 6 &&
        !o->count_approx);
  if (o) {
    CHECK_STR(o->id, "ged-412345");
    CHECK(o->uncertainty_m == 5000);
    /* lon 36.2 -> UTC+2 +- 2 h */
    CHECK_EQ_U64(o->t_ms, tm("2022-02-28T20:00:00Z"));
    CHECK_EQ_U64(o->t_end_ms, tm("2022-03-01T23:59:59.999Z"));
    CHECK_STR(o->place, "Kharkiv town, Kharkiv oblast");
    CHECK_CONTAINS(o->note, "state-based");
    CHECK_CONTAINS(o->note, "deaths best 6 low 4 high 9 (side a 0, side b "
                            "3, civilians 2, unknown 1)");
    CHECK_CONTAINS(o->note, "Russian shelling, Kharkiv");
  }
  o = kept(c, 3);
  CHECK(o && o->count == 1 && o->count_approx);
  if (o) {
    CHECK(o->uncertainty_m == 150000);
    CHECK_EQ_U64(o->t_end_ms, tm("2022-03-07T23:59:59.999Z"));
    CHECK_CONTAINS(o->note, "one-sided");
  }
  CHECK_STR(why_of(c, 4), "column where_prec: 6 (country) is too coarse to "
                          "place an observation");
  CHECK_STR(why_of(c, 5), "column date_end: '2022-03-01' is before "
                          "date_start");
  CHECK_STR(why_of(c, 6), "column longitude: '1e999' is not a longitude");
  CHECK_STR(why_of(c, 7), "column best: '-5' is not a number of deaths");
  CHECK_STR(why_of(c, 8), "column date_prec: '9' is not 1 to 5");
  CHECK_STR(why_of(c, 9), "column date_start: '2022-13-01' is not a date");
  CHECK_CONTAINS(why_of(c, 10), "international waters");
  CHECK_CONTAINS(why_of(c, 11), "2000000 deaths");
  truce_buf_release(&b);
  free(c);
}

TEST(ucdp_malformed) {
  char err[TRUCE_ERR_MAX];
  sink_ctx *c = ctx_new("ucdp");
  const char *nobest = "id,type_of_violence,where_prec,latitude,longitude,"
                       "date_prec,date_start,date_end\n1,1,1,48,37,1,"
                       "2022-03-01,2022-03-01\n";
  CHECK_RC(run(import_ucdp, nobest, strlen(nobest), c, err), TRUCE_EPARSE);
  CHECK_STR(err, "header: no column 'best'");
  truce_buf b;
  truce_buf_init(&b, 1 << 16);
  truce_buf_append(&b, "\xef\xbb\xbf", 3);
  truce_buf_append(&b, ged_header, strlen(ged_header) - 1);
  truce_buf_append(&b, "\r\n", 2); /* CRLF */
  ged_row(&b, "1", "1", "1", "49.9", "36.2", "1", "2022-03-01",
          "2022-03-01", "5");
  ged_row(&b, "2", "1", "1", "NaN", "36.2", "1", "2022-03-01", "2022-03-01",
          "5");
  truce_buf_appendf(&b, "3,x,2022,1,Clear,1\n"); /* too few fields */
  ged_row(&b, "4", "1", "1", "49.9", "36.2", "1", "2022-03-01",
          "2022-03-01", "5");
  b.len -= 10; /* truncated */
  b.data[b.len] = '\0';
  CHECK_OK(run(import_ucdp, b.data, b.len, c, err));
  CHECK_EQ_U64(c->emitted, 1);
  CHECK_EQ_U64(c->refused, 3);
  truce_buf_release(&b);
  free(c);
}

/* ---------------------------------------------------------------- */
/* VIINA                                                              */
/* ---------------------------------------------------------------- */

TEST(viina_real) {
  const char *path =
      shared_path("data/events/viina_scott4ai/viina_incidents_202508.csv");
  if (!path)
    SKIP("no shared data (data/events/viina_scott4ai under $TRUCE_SHARED)");
  size_t len = 0;
  char *data = read_all(path, &len);
  CHECK(data != NULL);
  if (!data)
    return;
  sink_ctx *c = ctx_new("viina");
  watch(c, 2);
  watch(c, 3);
  watch(c, 41);
  watch(c, 101);
  watch(c, 106);
  char err[TRUCE_ERR_MAX];
  CHECK_OK(run(import_viina, data, len, c, err));
  /* 2891 rows: 876 carry a tag that is an observation (counted with an
   * independent script over the file), 2015 do not. */
  CHECK_EQ_U64(c->emitted + c->refused, 2891);
  CHECK_EQ_U64(c->emitted, 876);
  CHECK_EQ_U64(c->refused, 2015);
  CHECK_EQ_U64(c->what[TRUCE_WHAT_CASUALTY], 178);
  CHECK_EQ_U64(c->what[TRUCE_WHAT_SHOTS], 55);
  CHECK(c->progress_calls >= 1);
  /* Line 2: "2025-08-01 00:00:00",30.52355,50.45044,Kyiv,property|civcas */
  const truce_obs *o = kept(c, 2);
  CHECK(o && o->what == TRUCE_WHAT_CASUALTY && o->count == 1 &&
        o->count_approx);
  if (o) {
    CHECK(o->lat_deg == 50.45044 && o->lon_deg == 30.52355);
    CHECK(o->uncertainty_m == 5000);
    CHECK_EQ_U64(o->t_ms, tm("2025-07-30T21:00:00Z"));
    CHECK_EQ_U64(o->t_end_ms, tm("2025-08-01T21:59:59.999Z"));
    CHECK_STR(o->place, "Kyiv");
    CHECK_CONTAINS(o->note, "VIINA property|civcas; Унаслідок атаки");
  }
  /* Line 3: empty event_type. */
  CHECK_STR(why_of(c, 3), "event_type '' is not a ceasefire observation");
  /* Line 41: firefighb|milcas, Kyiv. */
  o = kept(c, 41);
  CHECK(o && o->what == TRUCE_WHAT_SHOTS && o->weapon == TRUCE_WEAPON_NONE);
  /* Line 101: "2025-08-01 06:37:00",35.13885,47.83831,Zaporizhzhya,
   * artillery|property|civcas */
  o = kept(c, 101);
  CHECK(o && o->what == TRUCE_WHAT_EXPLOSION &&
        o->weapon == TRUCE_WEAPON_ARTILLERY);
  if (o) {
    CHECK_EQ_U64(o->t_ms, tm("2025-07-31T03:37:00Z"));
    CHECK_EQ_U64(o->t_end_ms, tm("2025-08-01T04:37:00Z"));
    CHECK_STR(o->place, "Zaporizhzhya");
  }
  /* Line 106: uav|aad in Simferopol: the strike, not the air defence. */
  o = kept(c, 106);
  CHECK(o && o->what == TRUCE_WHAT_EXPLOSION && o->weapon == TRUCE_WEAPON_UAV);
  fprintf(stderr, "viina 202508: %" PRIu64 " rows, %" PRIu64
          " emitted, %" PRIu64 " refused\n",
          c->emitted + c->refused, c->emitted, c->refused);
  free(data);
  free(c);
}

/* Every month's file: every row emitted or refused, every observation
 * round-trips (the sink checks), 72,614 rows in all. */
TEST(viina_all_months) {
  static const char *const months[] = {
      "202407", "202408", "202409", "202410", "202411", "202412", "202501",
      "202502", "202503", "202504", "202505", "202506", "202507", "202508"};
  uint64_t rows = 0, emitted = 0;
  for (size_t m = 0; m < sizeof months / sizeof months[0]; m++) {
    char rel[128];
    snprintf(rel, sizeof rel,
             "data/events/viina_scott4ai/viina_incidents_%s.csv", months[m]);
    const char *path = shared_path(rel);
    if (!path)
      SKIP("no shared data (%s under $TRUCE_SHARED)", rel);
    size_t len = 0;
    char *data = read_all(path, &len);
    CHECK(data != NULL);
    if (!data)
      return;
    sink_ctx *c = ctx_new("viina");
    char err[TRUCE_ERR_MAX];
    CHECK_OK(run(import_viina, data, len, c, err));
    rows += c->emitted + c->refused;
    emitted += c->emitted;
    free(data);
    free(c);
  }
  CHECK_EQ_U64(rows, 72614);
  fprintf(stderr, "viina 2024-07..2025-08: %" PRIu64 " rows, %" PRIu64
          " emitted, %" PRIu64 " refused\n", rows, emitted, rows - emitted);
}

TEST(viina_malformed) {
  char err[TRUCE_ERR_MAX];
  sink_ctx *c = ctx_new("viina");
  const char *nolat = "\xef\xbb\xbf\"datetime\",\"lon\",\"place_name\","
                      "\"event_type\",\"headline\"\n";
  CHECK_RC(run(import_viina, nolat, strlen(nolat), c, err), TRUCE_EPARSE);
  CHECK_STR(err, "header: no column 'lat'");
  const char *f =
      "\xef\xbb\xbf\"datetime\",\"lon\",\"lat\",\"place_name\","
      "\"event_type\",\"headline\"\n"
      "\"2025-08-01 10:00:00\",\"37.5\",\"48.7\",\"Sotsmisto\",\"uav\",\"a\"\n"
      "\"2025-08-01 10:00\",\"37.5\",\"48.7\",\"S\",\"uav\",\"b\"\n"
      "\"2025-08-01 10:00:00\",\"inf\",\"48.7\",\"S\",\"uav\",\"c\"\n"
      "\"2025-08-01 10:00:00\",\"37.5\",\"48.7\",\"S\",\"uav|zzz\",\"d\"\n"
      "\"2025-08-01 10:00:00\",\"37.5\",\"48.7\",\"S\",\"zzz\",\"e\"\n"
      "\"2025-08-01 10:00:00\",\"37.5\",\"48.7\",\"S\"\n"
      "\"2025-08-01 10:00:00\",\"37.5\",\"48.7\",\"S\",\"armor\",\"x\"y\"\n"
      "\"2025-08-01 10:00:00\",\"37.5\",\"48.7\",\"S\",\"milcas|armor\","
      "\"\tтаб\x01\xff\"\n"
      "\"2025-08-01 10:00:00\",\"37.5\",\"48.7\",\"S\",\"armor\",\"h";
  c = (free(c), ctx_new("viina"));
  for (uint64_t l = 2; l <= 10; l++)
    watch(c, l);
  CHECK_OK(run(import_viina, f, strlen(f), c, err));
  CHECK_EQ_U64(c->emitted + c->refused, 9);
  CHECK_EQ_U64(c->emitted, 3);
  CHECK(kept(c, 2) && kept(c, 2)->weapon == TRUCE_WEAPON_UAV);
  CHECK_CONTAINS(why_of(c, 3), "column datetime: '2025-08-01 10:00'");
  CHECK_CONTAINS(why_of(c, 4), "column lon: 'inf'");
  const truce_obs *o = kept(c, 5);
  CHECK(o && o->weapon == TRUCE_WEAPON_UAV);
  if (o)
    CHECK_CONTAINS(o->note, "uav|zzz (tags not in truce's table");
  CHECK_STR(why_of(c, 6), "event_type 'zzz' is not a ceasefire observation");
  CHECK_CONTAINS(why_of(c, 7), "4 fields, the header has 6");
  CHECK_CONTAINS(why_of(c, 8), "characters after a closing quote");
  o = kept(c, 9);
  CHECK(o && o->what == TRUCE_WHAT_CASUALTY && o->weapon == TRUCE_WEAPON_TANK);
  if (o) /* tab and \x01 a space, \xff U+FFFD */
    CHECK_CONTAINS(o->note, "; таб \xef\xbf\xbd");
  CHECK_CONTAINS(why_of(c, 10), "not closed");
  free(c);
}

/* ---------------------------------------------------------------- */
/* Bellingcat / CIR                                                   */
/* ---------------------------------------------------------------- */

TEST(cir_real) {
  const char *path =
      shared_path("data/events/bellingcat_cir_mauforonda/events.csv");
  if (!path)
    SKIP("no shared data (data/events/bellingcat_cir_mauforonda under "
         "$TRUCE_SHARED)");
  size_t len = 0;
  char *data = read_all(path, &len);
  CHECK(data != NULL);
  if (!data)
    return;
  sink_ctx *c = ctx_new("cir");
  watch(c, 2);
  watch(c, 7);
  char err[TRUCE_ERR_MAX];
  CHECK_OK(run(import_cir, data, len, c, err));
  /* 6650 rows: 240 "Other", 22 "Mass grave or Burial" and 9 "Detentions
   * or Arrests" are refused (counted over the file with a script). */
  CHECK_EQ_U64(c->emitted + c->refused, 6650);
  CHECK_EQ_U64(c->refused, 271);
  CHECK_EQ_U64(c->emitted, 6379);
  CHECK_EQ_U64(c->what[TRUCE_WHAT_CASUALTY], 349);
  CHECK_EQ_U64(c->what[TRUCE_WHAT_SHOTS], 119);
  /* Line 2: UW0067,2022-01-01,Russian Military Presence January 2022,
   * ...,54.069385,27.211645,Belarus,,,Petrishki,,1,<link>,<geolocation> */
  const truce_obs *o = kept(c, 2);
  CHECK(o && o->what == TRUCE_WHAT_MILITARY_PRESENCE);
  if (o) {
    CHECK_STR(o->id, "UW0067");
    CHECK(o->lat_deg == 54.069385 && o->lon_deg == 27.211645);
    CHECK(o->uncertainty_m == 200);
    /* lon 27.2 -> UTC+2 +- 2 h */
    CHECK_EQ_U64(o->t_ms, tm("2021-12-31T20:00:00Z"));
    CHECK_EQ_U64(o->t_end_ms, tm("2022-01-01T23:59:59.999Z"));
    CHECK_STR(o->place, "Petrishki, Belarus");
    CHECK_CONTAINS(o->note, "link https://twitter.com/GirkinGirkin/status/"
                            "1488544876908187650");
    CHECK_CONTAINS(o->note, "geolocation https://twitter.com/RedIntelPanda");
  }
  /* Line 7: UW0047, arms "R-166-0.5, BTR-80, P-260T Redut-2US": the
   * catalogue knows the BTR-80. */
  o = kept(c, 7);
  CHECK(o && o->weapon == TRUCE_WEAPON_APC);
  if (o) {
    CHECK_STR(o->system, "BTR-80");
    CHECK(o->uncertainty_m == 200);
  }
  fprintf(stderr, "cir events.csv: %" PRIu64 " rows, %" PRIu64
          " emitted, %" PRIu64 " refused\n",
          c->emitted + c->refused, c->emitted, c->refused);
  free(data);
  free(c);
}

TEST(cir_malformed) {
  char err[TRUCE_ERR_MAX];
  sink_ctx *c = ctx_new("cir");
  const char *nogroup = "entry,date,title,lat,lon\nUW1,2022-03-01,t,48,37\n";
  CHECK_RC(run(import_cir, nogroup, strlen(nogroup), c, err), TRUCE_EPARSE);
  CHECK_STR(err, "header: no column 'event_group'");
  const char *f =
      "\xef\xbb\xbf" "entry,date,event_group,title,brief description,lat,lon,"
      "country,province,district,town/city,arms/munition,violence level,"
      "link,geolocation\n"
      "UW1,,Bombing or Explosion Feb - June,01/03/2022 Destroyed BM-21 Grad,"
      "Destroyed BM-21 Grad,50.0,36.2,Ukraine,Kharkiv,,Kharkiv,"
      "7x BM-27 Uragan,2,https://example.org/a,\n"
      "UW2,2022-03-01,Other,t,d,50.0,36.2,Ukraine,,,,,1,,\n"
      "UW3,2022-03-01,Ground Battle,t,d,-inf,36.2,Ukraine,,,,,1,,\n"
      "UW4,2022-03-01,Ground Battle,t,d,50.0,36.2,Ukraine\n"
      "UW5,2022-02-29,Ground Battle,t,d,50.0,36.2,Ukraine,,,,,1,,\n"
      "UW6,2022-03-01,Civilian Casualty,t,d,50.0,36.2,Ukraine,,,,,GRAPHIC,"
      "https://example.org/b,https://example.org/c\n"
      "UW7,2022-03-01,Ground Battle,t,d,50.0,36.2,Ukr\"ai\"ne,,,,,1,,\n"
      "UW8,2022-03-01,Ground Battle,t,d,50.0,36";
  c = (free(c), ctx_new("cir"));
  for (uint64_t l = 2; l <= 9; l++)
    watch(c, l);
  CHECK_OK(run(import_cir, f, strlen(f), c, err));
  CHECK_EQ_U64(c->emitted + c->refused, 8);
  CHECK_EQ_U64(c->emitted, 2);
  const truce_obs *o = kept(c, 2);
  CHECK(o && o->what == TRUCE_WHAT_EXPLOSION && o->weapon == TRUCE_WEAPON_MLRS);
  if (o) {
    CHECK_STR(o->system, "BM-27 Uragan");
    CHECK(o->calibre_mm == 220);
    CHECK(o->uncertainty_m == 1000);
    CHECK_CONTAINS(o->note, "(date from the title)");
    CHECK_EQ_U64(o->t_ms, tm("2022-02-28T20:00:00Z"));
  }
  CHECK_STR(why_of(c, 3), "event_group 'Other' is not a ceasefire "
                          "observation");
  CHECK_STR(why_of(c, 4), "column lat: '-inf' is not a latitude");
  CHECK_CONTAINS(why_of(c, 5), "8 fields, the header has 15");
  CHECK_STR(why_of(c, 6), "column date: '2022-02-29' is not a date");
  o = kept(c, 7);
  CHECK(o && o->what == TRUCE_WHAT_CASUALTY && o->uncertainty_m == 200);
  CHECK_CONTAINS(why_of(c, 8), "quote inside an unquoted field");
  CHECK_CONTAINS(why_of(c, 9), "fields, the header has 15");
  free(c);
}

/* ---------------------------------------------------------------- */
/* GeoJSON                                                            */
/* ---------------------------------------------------------------- */

TEST(geojson_points) {
  const char *g =
      "{\"type\":\"FeatureCollection\",\"features\":["
      /* 1: a full one */
      "{\"type\":\"Feature\",\"id\":\"f1\",\"geometry\":{\"type\":\"Point\","
      "\"coordinates\":[37.8028,48.0159]},\"properties\":{\"what\":"
      "\"undetermined_explosion\",\"count\":200,\"count_approx\":true,"
      "\"time\":\"2015-02-16T03:10:00+02:00\",\"precision_s\":60,"
      "\"uncertainty_m\":3000,\"weapon\":\"artillery\",\"calibre_mm\":152,"
      "\"means\":\"audio\",\"place\":\"Donetsk\",\"note\":\"heard\","
      "\"marker-color\":\"#f00\"}},"
      /* 2: from + to, a numeric feature id, an altitude */
      "{\"type\":\"Feature\",\"id\":7,\"geometry\":{\"type\":\"Point\","
      "\"coordinates\":[37.1,48.2,120]},\"properties\":{\"what\":\"shots\","
      "\"from\":\"2015-02-16T04:00:00Z\",\"to\":\"2015-02-16T04:30:00Z\","
      "\"weapon\":{\"class\":\"small_arms\"}}},"
      /* 3: a LineString */
      "{\"type\":\"Feature\",\"geometry\":{\"type\":\"LineString\","
      "\"coordinates\":[[37,48],[38,49]]},\"properties\":{\"what\":\"shots\","
      "\"time\":\"2015-02-16T04:00:00Z\"}},"
      /* 4: no what */
      "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
      "\"coordinates\":[37,48]},\"properties\":{\"time\":"
      "\"2015-02-16T04:00:00Z\"}},"
      /* 5: no time */
      "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
      "\"coordinates\":[37,48]},\"properties\":{\"what\":\"shots\"}},"
      /* 6: a word not in the vocabulary */
      "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
      "\"coordinates\":[37,48]},\"properties\":{\"what\":\"shots\","
      "\"time\":\"2015-02-16T04:00:00Z\",\"weapon\":\"howitzer\"}},"
      /* 7: an unknown property */
      "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
      "\"coordinates\":[37,48]},\"properties\":{\"what\":\"shots\","
      "\"time\":\"2015-02-16T04:00:00Z\",\"colour\":\"red\"}},"
      /* 8: a latitude out of range */
      "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
      "\"coordinates\":[37,95]},\"properties\":{\"what\":\"shots\","
      "\"time\":\"2015-02-16T04:00:00Z\"}},"
      /* 9: a long note, cut; no geometry */
      "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
      "\"coordinates\":[37,48]},\"properties\":{\"what\":\"shots\","
      "\"time\":\"2015-02-16T04:00:00Z\",\"note\":\"@LONG@\"}},"
      "{\"type\":\"Feature\",\"geometry\":null,\"properties\":{}},"
      /* 11: in the future */
      "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
      "\"coordinates\":[37,48]},\"properties\":{\"what\":\"shots\","
      "\"time\":\"2027-02-16T04:00:00Z\"}}"
      "]}";
  /* @LONG@: 300 Cyrillic letters, 600 bytes. */
  truce_buf gb;
  truce_buf_init(&gb, 1 << 16);
  const char *at = strstr(g, "@LONG@");
  truce_buf_append(&gb, g, (size_t)(at - g));
  for (int i = 0; i < 300; i++)
    truce_buf_append(&gb, "\xd0\x90", 2);
  truce_buf_append(&gb, at + 6, strlen(at + 6));
  sink_ctx *c = ctx_new("geojson");
  for (uint64_t l = 1; l <= 11; l++)
    watch(c, l);
  char err[TRUCE_ERR_MAX];
  CHECK_OK(run(import_geojson, gb.data, gb.len, c, err));
  CHECK_EQ_U64(c->emitted + c->refused, 11);
  CHECK_EQ_U64(c->emitted, 3);
  const truce_obs *o = kept(c, 1);
  CHECK(o && o->what == TRUCE_WHAT_UNDETERMINED_EXPLOSION);
  if (o) {
    CHECK_STR(o->id, "f1");
    CHECK(o->count == 200 && o->count_approx && o->precision_s == 60);
    CHECK_EQ_U64(o->t_ms, tm("2015-02-16T01:10:00Z"));
    CHECK(o->lat_deg == 48.0159 && o->lon_deg == 37.8028);
    CHECK(o->uncertainty_m == 3000);
    CHECK(o->weapon == TRUCE_WEAPON_ARTILLERY && o->calibre_mm == 152);
    CHECK(o->means == TRUCE_MEANS_AUDIO);
    CHECK_STR(o->place, "Donetsk");
    CHECK(o->row == 1);
  }
  o = kept(c, 2);
  CHECK(o && o->is_window && o->weapon == TRUCE_WEAPON_SMALL_ARMS);
  if (o) {
    CHECK_STR(o->id, "7");
    CHECK_EQ_U64(o->t_end_ms, tm("2015-02-16T04:30:00Z"));
  }
  CHECK_STR(why_of(c, 3), "features[2]: geometry: a LineString, not a Point");
  CHECK_STR(why_of(c, 4), "features[3]: properties.what: missing");
  CHECK_CONTAINS(why_of(c, 5), "features[4]: properties.time: missing");
  CHECK_CONTAINS(why_of(c, 6), "features[5].properties: weapon.class: "
                               "'howitzer' is not in the vocabulary");
  CHECK_CONTAINS(why_of(c, 7), "unknown field 'colour'");
  CHECK_CONTAINS(why_of(c, 8), "latitude 95 is out of range");
  o = kept(c, 9);
  CHECK(o && strlen(o->note) <= TRUCE_OBS_TEXT_MAX);
  if (o) /* 254 letters and "...": cut on a character boundary */
    CHECK_EQ_U64(strlen(o->note), 254 * 2 + 3);
  CHECK_CONTAINS(why_of(c, 10), "features[9]: geometry: missing");
  CHECK_CONTAINS(why_of(c, 11), "in the future");

  /* A message that would echo a control character from the input (the
   * observation check quotes a bad serial as it is) is cleaned. */
  const char *esc = "{\"type\":\"FeatureCollection\",\"features\":[{\"type\""
                    ":\"Feature\",\"geometry\":{\"type\":\"Point\","
                    "\"coordinates\":[37,48]},\"properties\":{\"what\":"
                    "\"weapon_seen\",\"time\":\"2015-02-16T04:00:00Z\","
                    "\"serials\":[\"A\\u001b[2J\"]}}]}";
  free(c);
  c = ctx_new("geojson");
  CHECK_OK(run(import_geojson, esc, strlen(esc), c, err));
  CHECK_EQ_U64(c->refused, 1);
  CHECK_CONTAINS(c->last_why, "serials[0]: 'A?[2J'");

  CHECK_RC(run(import_geojson, "{\"type\":\"Feature\"}", 18, c, err),
           TRUCE_EPARSE);
  CHECK_CONTAINS(err, "not a GeoJSON FeatureCollection");
  CHECK_RC(run(import_geojson, "{\"type\":", 8, c, err), TRUCE_EPARSE);
  CHECK_CONTAINS(err, "not JSON");
  const char *dup = "{\"type\":\"FeatureCollection\",\"features\":[],"
                    "\"features\":[]}";
  CHECK_RC(run(import_geojson, dup, strlen(dup), c, err), TRUCE_EPARSE);
  const char *nofeat = "{\"type\":\"FeatureCollection\"}";
  CHECK_RC(run(import_geojson, nofeat, strlen(nofeat), c, err),
           TRUCE_EPARSE);
  CHECK_CONTAINS(err, "features: missing");
  truce_buf_release(&gb);
  free(c);
}

/* Fail each allocation in turn: a converter returns TRUCE_ENOMEM (or
 * succeeds when the failure falls elsewhere), never crashes or leaks
 * (ASan). The sink here only counts: its own checks allocate. */
static truce_err count_emit(void *vctx, uint64_t line, const truce_obs *o) {
  (void)line;
  (void)o;
  ((sink_ctx *)vctx)->emitted++;
  return TRUCE_OK;
}

TEST(alloc_failures) {
  truce_buf b;
  truce_buf_init(&b, 1 << 16);
  truce_buf_append(&b, acled_header, strlen(acled_header));
  acled_row(&b, "UKR1", "2022-03-01", "1", "Battles", "Armed clash", "48",
            "37", "1", "\"\"quoted\"\" notes", "0");
  const char *g = "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":"
                  "\"Feature\",\"geometry\":{\"type\":\"Point\","
                  "\"coordinates\":[37,48]},\"properties\":{\"what\":"
                  "\"shots\",\"time\":\"2015-02-16T04:00:00Z\"}}]}";
  for (int which = 0; which < 2; which++) {
    bool ok_seen = false;
    for (uint64_t n = 1; n <= 12 && !ok_seen; n++) {
      sink_ctx *c = ctx_new("x");
      import_sink s;
      memset(&s, 0, sizeof s);
      s.emit = count_emit;
      s.ctx = c;
      s.now_ms = NOW_MS;
      char err[TRUCE_ERR_MAX] = "";
      truce_test_fail_alloc(n);
      truce_err rc = which ? import_geojson(g, strlen(g), &s, err)
                           : import_acled(b.data, b.len, &s, err);
      truce_test_fail_alloc(0);
      CHECK_MSG(rc == TRUCE_OK || rc == TRUCE_ENOMEM, "%d, n %" PRIu64
                ": %s", which, n, err);
      if (rc == TRUCE_ENOMEM)
        CHECK_CONTAINS(err, "out of memory");
      if (rc == TRUCE_OK && c->emitted == 1)
        ok_seen = true;
      free(c);
    }
    CHECK(ok_seen); /* with enough allocations it gets through */
  }
  truce_buf_release(&b);
}

int main(void) {
  RUN(acled_synthetic);
  RUN(acled_malformed);
  RUN(ucdp_synthetic);
  RUN(ucdp_malformed);
  RUN(viina_real);
  RUN(viina_all_months);
  RUN(viina_malformed);
  RUN(cir_real);
  RUN(cir_malformed);
  RUN(geojson_points);
  RUN(alloc_failures);
  return test_done(__FILE__);
}
