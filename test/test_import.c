/*
 * test_import.c: the import framework (lib/import.c) and the NASA FIRMS
 * converter (lib/import_firms.c).
 *
 * Real rows first (the 2022 history file, from /work/shared: skipped
 * with a message when it is absent), then synthetic VIIRS and MODIS files
 * with each quirk of the format, malformed files (each refused row's line
 * and the column its reason names), then the framework against a real
 * log in a temporary folder: import, import again, an interrupted import
 * run again, provenance, allocation failures.
 *
 * Expected values are written by hand, or computed here from the file's
 * text by rules stated in docs/import.md, never taken from the code under
 * test.
 */
#include "truce.h"

#include "test.h"

#include <math.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

/* 2026-11-26T12:37:00Z, as in test_obs.c. */
#define NOW_MS INT64_C(1795696620000)

/* A dry run, no box. */
static const truce_import_opts import_dry = {TRUCE_IMPORT_DRY_RUN, 0, 0, 0,
                                             0, 0};

static char root[64];

/* ---- collecting what a conversion gives ---- */

typedef struct got_obs {
  uint64_t line;
  truce_obs o;
} got_obs;

typedef struct got {
  got_obs *obs;
  size_t nobs, cap;
  uint64_t rej_line[64];
  char rej_why[64][TRUCE_ERR_MAX];
  size_t nrej;
  uint64_t progress_calls, last_done, last_total;
  size_t stop_after; /* stop the conversion after this many (0: never) */
} got;

static void on_reject(void *ctx, uint64_t line, const char *why) {
  got *g = ctx;
  if (g->nrej < 64) {
    g->rej_line[g->nrej] = line;
    snprintf(g->rej_why[g->nrej], TRUCE_ERR_MAX, "%s", why);
  }
  g->nrej++;
}

static void on_progress(void *ctx, uint64_t done, uint64_t total) {
  got *g = ctx;
  g->progress_calls++;
  g->last_done = done;
  g->last_total = total;
}

static truce_err on_obs(void *ctx, uint64_t line, const truce_obs *o,
                        const char *json, size_t len) {
  got *g = ctx;
  (void)json;
  (void)len;
  if (g->nobs == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 64;
    got_obs *p = realloc(g->obs, cap * sizeof *p);
    if (!p)
      return TRUCE_ENOMEM;
    g->obs = p;
    g->cap = cap;
  }
  g->obs[g->nobs].line = line;
  g->obs[g->nobs].o = *o;
  g->nobs++;
  if (g->stop_after && g->nobs >= g->stop_after)
    return TRUCE_ESEQ; /* any code: the caller stops */
  return TRUCE_OK;
}

static void got_release(got *g) {
  free(g->obs);
  memset(g, 0, sizeof *g);
}

static truce_import_cb callbacks(got *g) {
  truce_import_cb cb;
  memset(&cb, 0, sizeof cb);
  cb.reject = on_reject;
  cb.progress = on_progress;
  cb.obs = on_obs;
  cb.ctx = g;
  return cb;
}

static char errbuf[TRUCE_ERR_MAX];

static truce_err convert(const char *data, got *g, truce_import_stats *st) {
  memset(g, 0, sizeof *g);
  truce_import_cb cb = callbacks(g);
  errbuf[0] = '\0';
  return truce_import_convert(TRUCE_IMPORT_FIRMS, data, strlen(data), NOW_MS,
                              NULL, &cb, st, errbuf);
}

static int64_t at(const char *rfc3339) {
  int64_t t = 0;
  truce_err rc = truce_time_parse(rfc3339, strlen(rfc3339), &t);
  CHECK_MSG(rc == TRUCE_OK, "bad time in the test: %s", rfc3339);
  return t;
}

static const got_obs *find_line(const got *g, uint64_t line) {
  for (size_t i = 0; i < g->nobs; i++)
    if (g->obs[i].line == line)
      return &g->obs[i];
  return NULL;
}

/* The reason given for a refused line, or NULL. */
static const char *why_line(const got *g, uint64_t line) {
  for (size_t i = 0; i < g->nrej && i < 64; i++)
    if (g->rej_line[i] == line)
      return g->rej_why[i];
  return NULL;
}

#define CHECK_COUNTS(st)                                                     \
  CHECK_EQ_U64((st).rows, (st).imported + (st).refused + (st).already)

/* ---- kinds ---- */

TEST(kind_names) {
  static const char *names[] = {"firms", "acled", "ucdp",
                                "viina", "cir",   "geojson"};
  for (int k = 1; k <= 6; k++) {
    CHECK_STR(truce_import_kind_name(k), names[k - 1]);
    CHECK(truce_import_kind_from_name(names[k - 1]) == k);
  }
  CHECK(truce_import_kind_name(0) == NULL);
  CHECK(truce_import_kind_name(7) == NULL);
  CHECK(truce_import_kind_from_name("FIRMS") == 0);
  CHECK(truce_import_kind_from_name("") == 0);
  CHECK(truce_import_kind_from_name(NULL) == 0);
  truce_import_stats st;
  CHECK_RC(truce_import_convert(99, "", 0, NOW_MS, NULL, NULL, &st, errbuf),
           TRUCE_EINVAL);
}

/* ---- real rows: the 2022 history file ---- */

/* The first `rows` data rows of a file (with its header) into b. */
static bool head_of(const char *path, size_t rows, truce_buf *b) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return false;
  char line[512];
  size_t n = 0;
  while (n <= rows && fgets(line, sizeof line, f)) {
    truce_buf_append(b, line, strlen(line));
    n++;
  }
  fclose(f);
  return n == rows + 1;
}

/* Decimals of a coordinate as written: the rule of docs/import.md. */
static int decimals(const char *s, size_t n) {
  const char *dot = memchr(s, '.', n);
  return dot ? (int)(s + n - dot - 1) : 0;
}

TEST(firms_history_2022) {
  const char *path = shared_path("data/firms/history/ukr_fire_data_2022.csv");
  if (!path)
    SKIP("shared data absent (data/firms/history/ukr_fire_data_2022.csv "
         "under $TRUCE_SHARED or ../shared)");
  truce_buf b;
  truce_buf_init(&b, 1 << 20);
  CHECK(head_of(path, 2000, &b));
  got g;
  truce_import_stats st;
  CHECK_OK(convert(b.data, &g, &st));
  CHECK_EQ_U64(st.rows, 2000);
  CHECK_EQ_U64(st.imported, 2000);
  CHECK_EQ_U64(st.refused, 0);
  CHECK_EQ_U64(g.nobs, 2000);
  CHECK_COUNTS(st);
  uint8_t sha[32];
  truce_sha256(b.data, b.len, sha);
  CHECK(memcmp(st.file_sha256, sha, 32) == 0);
  CHECK(g.last_done == b.len && g.last_total == b.len);

  /* Each row against its own text: instrument from the decimals, a
   * window over the UTC day, provenance. */
  size_t viirs = 0, modis = 0, bad = 0;
  const char *p = strchr(b.data, '\n') + 1;
  for (uint64_t line = 2; line <= 2001; line++) {
    const char *nl = strchr(p, '\n');
    const char *c1 = memchr(p, ',', (size_t)(nl - p));
    const char *c2 = memchr(c1 + 1, ',', (size_t)(nl - c1 - 1));
    int d = decimals(p, (size_t)(c1 - p));
    int d2 = decimals(c1 + 1, (size_t)(c2 - c1 - 1));
    bool is_viirs = (d > d2 ? d : d2) >= 5;
    char day[40];
    snprintf(day, sizeof day, "%.10sT00:00:00Z", c2 + 1);
    int64_t t0 = at(day);
    const got_obs *r = find_line(&g, line);
    if (!r || r->o.what != TRUCE_WHAT_THERMAL_ANOMALY || r->o.count != 1 ||
        r->o.means != TRUCE_MEANS_SATELLITE || !r->o.is_window ||
        r->o.t_ms != t0 || r->o.t_end_ms != t0 + 86400000 - 1 ||
        r->o.uncertainty_m != (is_viirs ? 375 : 1000) ||
        !r->o.has_provenance || r->o.row != line ||
        strcmp(r->o.dataset, "firms") != 0 ||
        memcmp(r->o.file_sha256, sha, 32) != 0 ||
        strncmp(r->o.note, is_viirs ? "VIIRS" : "MODIS", 5) != 0 ||
        fabs(r->o.lat_deg - strtod(p, NULL)) > 1e-9 ||
        fabs(r->o.lon_deg - strtod(c1 + 1, NULL)) > 1e-9) {
      if (bad++ < 5)
        fprintf(stderr, "line %" PRIu64 ": %.*s: not as expected\n", line,
                (int)(nl - p), p);
    }
    if (is_viirs)
      viirs++;
    else
      modis++;
    p = nl + 1;
  }
  CHECK_EQ_U64(bad, 0);
  CHECK(viirs > 0 && modis > 0);
  fprintf(stderr, "  2022 history, first 2000 rows: %zu VIIRS, %zu MODIS\n",
          viirs, modis);
  /* Row 2 of the file: "47.1005,37.6171,2022-01-01" (4 decimals: MODIS) */
  const got_obs *r = find_line(&g, 2);
  CHECK(r && r->o.uncertainty_m == 1000 &&
        r->o.t_ms == at("2022-01-01T00:00:00Z"));
  CHECK(r && strcmp(r->o.note, "MODIS (inferred from coordinate decimals)") ==
                 0);
  /* Row 3: "47.16526,37.557426,2022-01-01" (VIIRS) */
  r = find_line(&g, 3);
  CHECK(r && r->o.uncertainty_m == 375 && r->o.lat_deg == 47.16526);
  got_release(&g);
  truce_buf_release(&b);
}

/* ---- synthetic VIIRS and MODIS files ---- */

static const char viirs_csv[] =
    "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,"
    "instrument,confidence,version,bright_ti5,frp,daynight\n"
    "47.10219,37.55412,331.2,0.39,0.36,2022-03-01,1042,N,VIIRS,n,2.0NRT,"
    "290.1,14.3,D\n"                                      /* 2 */
    "47.2,37.6,367,0.5,0.41,2022-03-01,5,1,VIIRS,h,2,280,3.2,N\n" /* 3 */
    "47.3,37.7,300,0.4,0.4,2022-03-01,745,N20,VIIRS,l,2,280,0.8,N\n"
    "47.4,37.8,300,0.4,0.4,2022-03-01,0745,N,VIIRS,H,2,280,1,N\n"
    "47.5,37.9,300,0.4,0.4,2022-03-01,2359,N,VIIRS,nominal,2,280,1,D";

TEST(firms_viirs) {
  got g;
  truce_import_stats st;
  CHECK_OK(convert(viirs_csv, &g, &st));
  CHECK_EQ_U64(st.rows, 5);
  CHECK_EQ_U64(st.imported, 5);
  CHECK_COUNTS(st);
  const got_obs *r = find_line(&g, 2);
  CHECK(r != NULL);
  if (r) {
    CHECK(r->o.t_ms == at("2022-03-01T10:42:00Z") && !r->o.is_window);
    CHECK(r->o.t_end_ms == r->o.t_ms);
    CHECK(r->o.precision_s == 60);
    CHECK(r->o.lat_deg == 47.10219 && r->o.lon_deg == 37.55412);
    CHECK(r->o.uncertainty_m == 390); /* max(scan 0.39, track 0.36) km */
    CHECK_STR(r->o.note, "VIIRS N conf n frp 14.3 day");
    CHECK(r->o.row == 2);
  }
  r = find_line(&g, 3);
  CHECK(r && r->o.t_ms == at("2022-03-01T00:05:00Z")); /* "5" */
  CHECK(r && r->o.uncertainty_m == 500);
  CHECK(r && strcmp(r->o.note, "VIIRS 1 conf h frp 3.2 night") == 0);
  r = find_line(&g, 4);
  CHECK(r && r->o.t_ms == at("2022-03-01T07:45:00Z")); /* "745" */
  CHECK(r && strcmp(r->o.note, "VIIRS N20 conf l frp 0.8 night") == 0);
  r = find_line(&g, 5);
  CHECK(r && r->o.t_ms == at("2022-03-01T07:45:00Z")); /* "0745" */
  CHECK(r && strstr(r->o.note, "conf h") != NULL);
  r = find_line(&g, 6); /* the last line, no newline: complete, kept */
  CHECK(r && r->o.t_ms == at("2022-03-01T23:59:00Z"));
  CHECK(r && strstr(r->o.note, "conf n") != NULL);
  got_release(&g);
}

/* MODIS: columns in another order, upper case, an extra column, `type`,
 * no `instrument` (the brightness columns say MODIS), CRLF endings. */
static const char modis_csv[] =
    "ACQ_DATE,Acq_Time,LATITUDE,LONGITUDE,BRIGHTNESS,SCAN,TRACK,SATELLITE,"
    "CONFIDENCE,VERSION,BRIGHT_T31,FRP,DAYNIGHT,TYPE,extra\r\n"
    "2021-07-15,848,48.1234,37.5678,320.5,1.2,1.1,Terra,85,6.1,300.2,12.5,"
    "D,2,whatever\r\n"
    "2021-07-15,1939,48.2,37.6,310,1,1,Aqua,0,6.1,290,0,N,0,\r\n"
    "2021-07-15,1939,48.3,37.7,310,1,1,Aqua,100,6.1,290,5,N,,x\r\n";

TEST(firms_modis) {
  got g;
  truce_import_stats st;
  CHECK_OK(convert(modis_csv, &g, &st));
  CHECK_EQ_U64(st.imported, 3);
  CHECK_EQ_U64(st.refused, 0);
  for (size_t i = 0; i < g.nrej && i < 64; i++)
    fprintf(stderr, "  refused %" PRIu64 ": %s\n", g.rej_line[i],
            g.rej_why[i]);
  const got_obs *r = find_line(&g, 2);
  CHECK(r && r->o.t_ms == at("2021-07-15T08:48:00Z"));
  CHECK(r && r->o.uncertainty_m == 1200);
  CHECK(r && strcmp(r->o.note, "MODIS Terra conf 85 frp 12.5 day type 2") ==
                 0);
  r = find_line(&g, 3);
  CHECK(r && strcmp(r->o.note, "MODIS Aqua conf 0 frp 0 night") == 0);
  CHECK(r && r->o.uncertainty_m == 1000);
  r = find_line(&g, 4);
  CHECK(r && strcmp(r->o.note, "MODIS Aqua conf 100 frp 5 night") == 0);
  got_release(&g);

  /* No scan/track: the nominal pixel. VIIRS by its brightness columns. */
  CHECK_OK(convert("latitude,longitude,acq_date,acq_time,confidence,"
                   "bright_ti4\n50.1,30.2,2023-01-02,0001,h,300\n",
                   &g, &st));
  CHECK(g.nobs == 1 && g.obs[0].o.uncertainty_m == 375);
  CHECK(g.nobs == 1 && strcmp(g.obs[0].o.note, "VIIRS conf h") == 0);
  got_release(&g);
  CHECK_OK(convert("latitude,longitude,acq_date,acq_time,confidence,"
                   "brightness\n50.1,30.2,2023-01-02,0001,50,300\n",
                   &g, &st));
  CHECK(g.nobs == 1 && g.obs[0].o.uncertainty_m == 1000);
  CHECK(g.nobs == 1 && strcmp(g.obs[0].o.note, "MODIS conf 50") == 0);
  got_release(&g);
  /* No instrument or brightness column: the confidence's form tells. */
  CHECK_OK(convert("latitude,longitude,acq_date,confidence\n"
                   "50.1,30.2,2023-01-02,h\n"
                   "50.12345,30.2,2023-01-02,40\n",
                   &g, &st));
  CHECK(g.nobs == 2 && g.obs[0].o.uncertainty_m == 375);
  CHECK(g.nobs == 2 && strcmp(g.obs[0].o.note, "VIIRS conf h") == 0);
  CHECK(g.nobs == 2 && g.obs[1].o.uncertainty_m == 1000);
  CHECK(g.nobs == 2 && strcmp(g.obs[1].o.note, "MODIS conf 40") == 0);
  got_release(&g);
  /* The instrument column wins over the header's guess. */
  CHECK_OK(convert("latitude,longitude,acq_date,instrument,confidence\n"
                   "50.1,30.2,2023-01-02,MODIS,77\n"
                   "50.12345,30.2,2023-01-02,MODIS,77\n",
                   &g, &st));
  CHECK(g.nobs == 2 && g.obs[1].o.uncertainty_m == 1000);
  CHECK(g.nobs == 2 && g.obs[0].o.is_window);
  got_release(&g);
}

/* ---- malformed files ---- */

TEST(firms_malformed_rows) {
  static const char csv[] =
      "\xef\xbb\xbf" "latitude,longitude,acq_date,acq_time,confidence,"
      "bright_ti4,frp\n"
      "47.1,37.5,2022-03-01,1042,n,300,1\n"     /* 2 ok (after a BOM) */
      "47.1,37.5,2022-03-01,1042,n,300\n"       /* 3 six columns */
      "47.1,37.5,2022-03-01,1042,n,300,1,9\n"   /* 4 eight columns */
      "47.1,3\"7\".5,2022-03-01,1042,n,300,1\n" /* 5 a quote inside */
      "nan,37.5,2022-03-01,1042,n,300,1\n"      /* 6 */
      "47.1,inf,2022-03-01,1042,n,300,1\n"      /* 7 */
      "1e999,37.5,2022-03-01,1042,n,300,1\n"    /* 8 */
      "95,37.5,2022-03-01,1042,n,300,1\n"       /* 9 */
      "47.1,37.5,2022-02-30,1042,n,300,1\n"     /* 10 */
      "47.1,37.5,2022-03-01,2460,n,300,1\n"     /* 11 */
      "47.1,37.5,2022-03-01,25x,n,300,1\n"      /* 12 */
      "47.1,37.5,2022-03-01,1042,x,300,1\n"     /* 13 */
      "47.1,37.5,2022-03-01,1042,n,300,-1\n"    /* 14 */
      "47.1,37.5,2022-03-01,1042,n,,1\n"        /* 15 empty */
      "47.1,37.5,2022/03/01,1042,n,300,1\n"     /* 16 */
      "\"47.1\",\"37.5\",2022-03-01,1042,n,300,1\n" /* 17 ok: quoted */
      " 47.1,37.5,2022-03-01,1042,n,300,1\n"    /* 18 a space */
      "47.1,37.5,2031-03-01,1042,n,300,1\n"     /* 19 future */
      "47.1,37.5,2022-03-01,\"1042\"x,n,300,1\n" /* 20 after a quote */
      "47.1,37.5,2022-03-01,10"; /* 21: truncated */
  got g;
  truce_import_stats st;
  CHECK_OK(convert(csv, &g, &st));
  CHECK_EQ_U64(st.rows, 20);
  CHECK_EQ_U64(st.imported, 2);
  CHECK_EQ_U64(st.refused, 18);
  CHECK_EQ_U64(g.nrej, 18);
  CHECK_COUNTS(st);
  CHECK(find_line(&g, 2) && find_line(&g, 17));
  static const struct {
    uint64_t line;
    const char *needle;
  } want[] = {
      {3, "6 columns, the header has 7"},
      {4, "8 columns, the header has 7"},
      {5, "a quote inside an unquoted field"},
      {6, "column latitude: 'nan' is not a number"},
      {7, "column longitude: 'inf' is not a number"},
      {8, "column latitude: '1e999' is not a finite number"},
      {9, "column latitude: 95 is out of range [-90, 90]"},
      {10, "column acq_date: '2022-02-30' is not a date"},
      {11, "column acq_time: '2460' is not a time of day"},
      {12, "column acq_time: '25x' is not HHMM"},
      {13, "column confidence: 'x' is not a VIIRS confidence"},
      {14, "column frp: -1 is out of range"},
      {15, "column bright_ti4: empty"},
      {16, "column acq_date: '2022/03/01' is not a date"},
      {18, "column latitude: ' 47.1' is not a number"},
      {19, "column acq_date: 2031-03-01 1042 is in the future"},
      {20, "characters after a closing quote"},
      {21, "is the file truncated?"},
  };
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    const char *w = why_line(&g, want[i].line);
    CHECK_MSG(w && strstr(w, want[i].needle), "line %" PRIu64 ": '%s', want "
              "'%s'", want[i].line, w ? w : "(accepted)", want[i].needle);
  }
  got_release(&g);

  /* A quoted field left open runs to the end: one refused row. */
  CHECK_OK(convert("latitude,longitude,acq_date\n"
                   "47.1,37.5,2022-03-01\n"
                   "47.1,\"37.5,2022-03-01\n"
                   "47.1,37.5,2022-03-01\n",
                   &g, &st));
  CHECK_EQ_U64(st.rows, st.imported + st.refused);
  CHECK(st.refused >= 1 && why_line(&g, 3) &&
        strstr(why_line(&g, 3), "not closed"));
  got_release(&g);
}

TEST(firms_not_a_firms_file) {
  static const struct {
    const char *data, *needle;
  } cases[] = {
      {"", "empty file"},
      {"\n\n", "empty file"},
      {"event_date,latitude,longitude\n2022-01-01,1,2\n",
       "header: no column 'acq_date'"},
      {"latitude,acq_date\n1,2022-01-01\n", "header: no column 'longitude'"},
      {"latitude,longitude,acq_date,latitude\n", "appears twice"},
      {"latitude,longitude,acq_date,bright_ti4,brightness\n",
       "both VIIRS"},
      {"lati\"tude,longitude,acq_date\n", "header: "},
      {"{\"type\":\"FeatureCollection\"}", "header: "},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    got g;
    truce_import_stats st;
    truce_err rc = convert(cases[i].data, &g, &st);
    CHECK_MSG(rc == TRUCE_EPARSE, "case %zu: %d %s", i, rc, errbuf);
    CHECK_CONTAINS(errbuf, cases[i].needle);
    CHECK_EQ_U64(st.rows, 0);
    got_release(&g);
  }
  /* A header alone: no rows, no error. */
  got g;
  truce_import_stats st;
  CHECK_OK(convert("LATITUDE,LONGITUDE,ACQ_DATE\n", &g, &st));
  CHECK_EQ_U64(st.rows, 0);
  got_release(&g);
}

TEST(convert_allocation_failures) {
  int failures = 0;
  for (uint64_t n = 1; n < 200; n++) {
    got g;
    truce_import_stats st;
    memset(&g, 0, sizeof g);
    truce_import_cb cb = callbacks(&g);
    truce_test_fail_alloc(n);
    truce_err rc = truce_import_convert(TRUCE_IMPORT_FIRMS, viirs_csv,
                                        strlen(viirs_csv), NOW_MS, NULL, &cb,
                                        &st, errbuf);
    truce_test_fail_alloc(0);
    got_release(&g);
    if (rc == TRUCE_OK) {
      CHECK_EQ_U64(st.imported, 5);
      break;
    }
    CHECK_MSG(rc == TRUCE_ENOMEM, "n=%" PRIu64 ": %d %s", n, rc, errbuf);
    failures++;
  }
  CHECK(failures >= 3);
}

/* ---- the framework against a real log ---- */

typedef struct fixture {
  char dir[128], file[128];
  truce_skey logkey, admin, imp;
  truce_log *log;
} fixture;

static void mkkey(const char *name, uint8_t b, truce_skey *k) {
  uint8_t seed[32];
  memset(seed, b, 32);
  char err[TRUCE_ERR_MAX];
  if (truce_skey_from_seed(name, TRUCE_KEY_ED25519, seed, k, err))
    fprintf(stderr, "%s\n", err);
}

static int64_t now_real(void) { return (int64_t)time(NULL) * 1000; }

static bool setup(fixture *f, const char *name, bool register_importer) {
  memset(f, 0, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "%s/%s", root, name);
  snprintf(f->file, sizeof f->file, "%s/%s.csv", root, name);
  mkkey("import.example/log", 1, &f->logkey);
  mkkey("import.example/admin", 2, &f->admin);
  mkkey("firms-importer", 3, &f->imp);
  truce_log_info info;
  memset(&info, 0, sizeof info);
  snprintf(info.origin, sizeof info.origin, "import.example/log");
  info.log_key = f->logkey.vkey;
  info.admin_key = f->admin.vkey;
  char err[TRUCE_ERR_MAX];
  if (truce_log_create(f->dir, &info, err) ||
      truce_log_open(f->dir, 0, &f->log, err)) {
    fprintf(stderr, "%s\n", err);
    return false;
  }
  if (register_importer) {
    truce_source s;
    memset(&s, 0, sizeof s);
    s.key = f->imp.vkey;
    snprintf(s.name, sizeof s.name, "%s", f->imp.vkey.name);
    snprintf(s.party, sizeof s.party, "none");
    s.means = TRUCE_MEANS_SATELLITE;
    s.reliability = 0.9;
    CHECK_OK(truce_log_source_add(f->log, &f->admin, &s, now_real(), NULL));
  }
  return true;
}

static void teardown(fixture *f) {
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_log_checkpoint(f->log, &f->logkey, NULL));
  truce_err rc = truce_verify_log(f->dir, NULL, NULL, NULL, err);
  CHECK_MSG(rc == TRUCE_OK, "verify: %s", err);
  truce_log_close(f->log);
}

static bool write_file(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return false;
  bool ok = fwrite(data, 1, len, f) == len;
  return fclose(f) == 0 && ok;
}

/* n synthetic VIIRS rows (lines 2..n+1), each different. */
static void synth(truce_buf *b, size_t n) {
  truce_buf_appendf(b, "latitude,longitude,bright_ti4,scan,track,acq_date,"
                       "acq_time,satellite,instrument,confidence,version,"
                       "bright_ti5,frp,daynight\n");
  for (size_t i = 0; i < n; i++)
    truce_buf_appendf(b,
                      "%.5f,%.5f,330.1,0.4,0.38,2022-%02zu-%02zu,%zu,N,VIIRS,"
                      "%c,2.0NRT,290.2,%zu.%zu,%c\n",
                      46.0 + (double)(i % 4000) * 0.001,
                      30.0 + (double)(i / 4000) * 0.01, i % 12 + 1,
                      i % 28 + 1, i % 2400 - (i % 2400) % 100 + i % 60,
                      "lnh"[i % 3], i % 50, i % 10, i % 2 ? 'D' : 'N');
}

/* b (initialised here, up to max bytes) holds n synthetic rows (synth),
 * written to the fixture's file. */
static void synth_file(const fixture *f, truce_buf *b, size_t max, size_t n) {
  truce_buf_init(b, max);
  synth(b, n);
  CHECK(write_file(f->file, b->data, b->len));
}

/* Every observation in the log naming this file: how often each row. */
static void rows_in_log(truce_log *log, const uint8_t sha[32],
                        unsigned *count, size_t maxrow, size_t *total) {
  uint64_t size = 0;
  CHECK_OK(truce_log_size(log, &size));
  truce_buf b;
  truce_buf_init(&b, TRUCE_ENTRY_MAX + 1);
  truce_entry *e = malloc(sizeof *e);
  truce_obs *o = malloc(sizeof *o);
  char err[TRUCE_ERR_MAX];
  *total = 0;
  for (uint64_t i = 0; e && o && i < size; i++) {
    b.len = 0;
    CHECK_OK(truce_log_entry(log, i, &b));
    if (truce_entry_parse(b.data, b.len, e, err) ||
        e->kind != TRUCE_ENTRY_BATCH)
      continue;
    for (size_t k = 0; k < e->nlines; k++) {
      const char *ln;
      size_t n;
      truce_entry_line(e, k, &ln, &n);
      CHECK_OK(truce_obs_parse(ln, n, e->time_ms, o, err));
      CHECK(o->has_provenance && strcmp(o->dataset, "firms") == 0);
      if (memcmp(o->file_sha256, sha, 32) != 0)
        continue;
      (*total)++;
      if (o->row <= maxrow)
        count[o->row]++;
    }
  }
  free(e);
  free(o);
  truce_buf_release(&b);
}

TEST(log_import_and_again) {
  fixture f;
  if (!setup(&f, "again", true))
    return;
  truce_buf b;
  synth_file(&f, &b, 16 << 20, 10000);
  uint64_t size0 = 0;
  truce_log_size(f.log, &size0);
  truce_import_stats st;
  got g;
  memset(&g, 0, sizeof g);
  truce_import_cb cb = callbacks(&g);
  cb.obs = NULL;
  CHECK_OK(truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), NULL, &cb, &st, errbuf));
  CHECK_EQ_U64(st.rows, 10000);
  CHECK_EQ_U64(st.imported, 10000);
  CHECK_EQ_U64(st.refused, 0);
  CHECK_EQ_U64(st.already, 0);
  CHECK(st.entries > 10000 / 256); /* each entry at most 64 KB */
  CHECK_EQ_U64(st.first_index, size0);
  CHECK_EQ_U64(st.bytes, b.len);
  uint64_t size1 = 0;
  truce_log_size(f.log, &size1);
  CHECK_EQ_U64(size1, size0 + st.entries);
  uint8_t sha[32];
  truce_sha256(b.data, b.len, sha);
  CHECK(memcmp(st.file_sha256, sha, 32) == 0);
  fprintf(stderr, "  10000 rows: %" PRIu64 " entries\n", st.entries);

  /* Again: nothing added. */
  CHECK_OK(truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), NULL, &cb, &st, errbuf));
  CHECK_EQ_U64(st.rows, 10000);
  CHECK_EQ_U64(st.imported, 0);
  CHECK_EQ_U64(st.already, 10000);
  CHECK_EQ_U64(st.entries, 0);
  uint64_t size2 = 0;
  truce_log_size(f.log, &size2);
  CHECK_EQ_U64(size2, size1);

  /* A dry run on the log says the same and writes nothing; without a
   * log, everything would be imported. */
  CHECK_OK(truce_import_file(f.log, NULL, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), &import_dry, &cb, &st,
                             errbuf));
  CHECK_EQ_U64(st.already, 10000);
  CHECK_OK(truce_import_file(NULL, NULL, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), &import_dry, &cb, &st,
                             errbuf));
  CHECK_EQ_U64(st.imported, 10000);
  CHECK_EQ_U64(st.entries, 0);

  /* Provenance: every row 2..10001 exactly once, with the file's hash. */
  static unsigned count[10002];
  memset(count, 0, sizeof count);
  size_t total = 0;
  rows_in_log(f.log, sha, count, 10001, &total);
  CHECK_EQ_U64(total, 10000);
  size_t wrong = 0;
  for (size_t r = 2; r <= 10001; r++)
    wrong += count[r] != 1;
  CHECK_EQ_U64(wrong, 0);
  CHECK_EQ_U64(g.nrej, 0);
  truce_buf_release(&b);
  teardown(&f);
}

/* A box keeps the rows inside it (edges included) and counts the others
 * as outside: in the log exactly the rows inside; again with the box,
 * nothing added; without it, the rest. An invalid box changes nothing. */
TEST(log_import_box) {
  fixture f;
  if (!setup(&f, "box", true))
    return;
  truce_buf b;
  /* row i: 46 + (i % 4000) / 1000 N, 30 + i / 4000 / 100 E */
  synth_file(&f, &b, 16 << 20, 10000);
  uint8_t sha[32];
  truce_sha256(b.data, b.len, sha);
  truce_import_opts io;
  memset(&io, 0, sizeof io);
  io.has_box = 1; /* the column at 30.01 E, from 47 to 48 N: i = 5000..6000 */
  io.west_deg = 30.005;
  io.south_deg = 47.0;
  io.east_deg = 30.015;
  io.north_deg = 48.0;
  truce_import_stats st;
  CHECK_OK(truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), &io, NULL, &st, errbuf));
  CHECK_EQ_U64(st.rows, 10000);
  CHECK_EQ_U64(st.imported, 1001);
  CHECK_EQ_U64(st.outside, 8999);
  CHECK_EQ_U64(st.refused + st.already, 0);
  static unsigned count[10002];
  size_t total = 0, wrong = 0;
  memset(count, 0, sizeof count);
  rows_in_log(f.log, sha, count, 10001, &total);
  CHECK_EQ_U64(total, 1001);
  for (size_t i = 0; i < 10000; i++) /* row i is on line i + 2 */
    wrong += count[i + 2] != (i >= 5000 && i <= 6000);
  CHECK_EQ_U64(wrong, 0);

  /* the same box again: nothing added */
  uint64_t size1 = 0, size2 = 0;
  truce_log_size(f.log, &size1);
  CHECK_OK(truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), &io, NULL, &st, errbuf));
  CHECK_EQ_U64(st.imported, 0);
  CHECK_EQ_U64(st.already, 1001);
  CHECK_EQ_U64(st.outside, 8999);
  truce_log_size(f.log, &size2);
  CHECK_EQ_U64(size2, size1);

  /* invalid boxes: refused, nothing written */
  truce_import_opts bad = io;
  bad.south_deg = 48.5; /* north of north */
  CHECK(!truce_import_opts_valid(&bad));
  CHECK_RC(truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), &bad, NULL, &st, errbuf),
           TRUCE_EINVAL);
  CHECK_CONTAINS(errbuf, "box");
  bad = io;
  bad.west_deg = NAN;
  CHECK_RC(truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), &bad, NULL, &st, errbuf),
           TRUCE_EINVAL);
  bad = io;
  bad.east_deg = 180.5;
  CHECK(!truce_import_opts_valid(&bad));
  bad = io;
  bad.north_deg = 91;
  CHECK(!truce_import_opts_valid(&bad));
  bad.has_box = 0; /* no box: its numbers do not matter */
  CHECK(truce_import_opts_valid(&bad));
  CHECK(truce_import_opts_valid(NULL));
  truce_log_size(f.log, &size2);
  CHECK_EQ_U64(size2, size1);

  /* without the box: the rest */
  CHECK_OK(truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), NULL, NULL, &st, errbuf));
  CHECK_EQ_U64(st.imported, 8999);
  CHECK_EQ_U64(st.already, 1001);
  CHECK_EQ_U64(st.outside, 0);
  memset(count, 0, sizeof count);
  rows_in_log(f.log, sha, count, 10001, &total);
  CHECK_EQ_U64(total, 10000);
  truce_buf_release(&b);
  teardown(&f);
}

/* A box across 180 degrees, edges included; a refused row is refused
 * wherever it lies (not counted as outside). */
TEST(convert_box_across_180) {
  const char *csv =
      "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,"
      "satellite,instrument,confidence,version,bright_ti5,frp,daynight\n"
      "65.1,179.5,330.5,0.39,0.36,2026-11-20,5,N,VIIRS,n,2.0NRT,290.1,3.2,N\n"
      "65.1,-179.5,330.5,0.39,0.36,2026-11-20,5,N,VIIRS,n,2.0NRT,290.1,3.2,N\n"
      "65.1,180,330.5,0.39,0.36,2026-11-20,5,N,VIIRS,n,2.0NRT,290.1,3.2,N\n"
      "65.1,-180,330.5,0.39,0.36,2026-11-20,5,N,VIIRS,n,2.0NRT,290.1,3.2,N\n"
      "65.1,179,330.5,0.39,0.36,2026-11-20,5,N,VIIRS,n,2.0NRT,290.1,3.2,N\n"
      "64.9,179.5,330.5,0.39,0.36,2026-11-20,5,N,VIIRS,n,2.0NRT,290.1,3.2,N\n"
      "65.1,0,330.5,0.39,0.36,2026-11-20,5,N,VIIRS,n,2.0NRT,290.1,3.2,N\n"
      "65.1,178.9,330.5,0.39,0.36,2026-11-20,5,N,VIIRS,n,2.0NRT,290.1,3.2,N\n"
      "65.1,10,330.5,0.39,0.36,2026-11-20,25x,N,VIIRS,n,2.0NRT,290.1,3.2,N\n";
  truce_import_opts io;
  memset(&io, 0, sizeof io);
  io.has_box = 1;
  io.west_deg = 179;
  io.south_deg = 65;
  io.east_deg = -179;
  io.north_deg = 66;
  got g;
  memset(&g, 0, sizeof g);
  truce_import_cb cb = callbacks(&g);
  truce_import_stats st;
  CHECK_OK(truce_import_convert(TRUCE_IMPORT_FIRMS, csv, strlen(csv), NOW_MS,
                                &io, &cb, &st, errbuf));
  CHECK_EQ_U64(st.rows, 9);
  CHECK_EQ_U64(st.imported, 5);
  CHECK_EQ_U64(st.outside, 3);
  CHECK_EQ_U64(st.refused, 1);
  CHECK_EQ_U64(g.nobs, 5);
  for (size_t i = 0; i < g.nobs; i++) /* lines 2..6 */
    CHECK_EQ_U64(g.obs[i].line, i + 2);
  CHECK_EQ_U64(g.nrej, 1);
  CHECK_EQ_U64(g.rej_line[0], 10);
  /* an invalid box: nothing converted */
  io.south_deg = 67;
  memset(&st, 0xFF, sizeof st);
  CHECK_RC(truce_import_convert(TRUCE_IMPORT_FIRMS, csv, strlen(csv), NOW_MS,
                                &io, &cb, &st, errbuf),
           TRUCE_EINVAL);
  CHECK_EQ_U64(st.rows, 0);
  CHECK_EQ_U64(g.nobs, 5);
  got_release(&g);
}

/* Stopped part-way (after the first submission), then run again: the
 * second run adds exactly the rows missing. Then a file whose odd rows
 * were submitted by hand: the import adds only the even ones. */
TEST(log_interrupted_import) {
  fixture f;
  if (!setup(&f, "partial", true))
    return;
  truce_buf b;
  synth_file(&f, &b, 16 << 20, 9000);
  got g;
  memset(&g, 0, sizeof g);
  truce_import_cb cb = callbacks(&g);
  g.stop_after = 6000; /* the first 4096 were submitted by then */
  truce_import_stats st;
  truce_err rc = truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, f.file,
                                   now_real(), NULL, &cb, &st, errbuf);
  CHECK(rc == TRUCE_ESEQ);
  CHECK_CONTAINS(errbuf, "stopped by the caller");
  uint64_t first_run = st.entries ? st.imported : 0;
  CHECK(st.entries > 0);
  got_release(&g);
  cb = callbacks(&g);
  cb.obs = NULL;
  CHECK_OK(truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), NULL, &cb, &st, errbuf));
  CHECK_EQ_U64(st.rows, 9000);
  CHECK(st.already > 0 && st.already < 9000);
  CHECK_EQ_U64(st.imported + st.already, 9000);
  fprintf(stderr, "  interrupted: %" PRIu64 " already, %" PRIu64
                  " added on the second run (first run counted %" PRIu64
                  ")\n",
          st.already, st.imported, first_run);
  uint8_t sha[32];
  truce_sha256(b.data, b.len, sha);
  static unsigned count[9002];
  memset(count, 0, sizeof count);
  size_t total = 0;
  rows_in_log(f.log, sha, count, 9001, &total);
  CHECK_EQ_U64(total, 9000);
  size_t wrong = 0;
  for (size_t r = 2; r <= 9001; r++)
    wrong += count[r] != 1;
  CHECK_EQ_U64(wrong, 0);

  /* Another file: its odd rows submitted by hand first. */
  truce_buf b2, lines;
  truce_buf_init(&b2, 1 << 20);
  truce_buf_init(&lines, 1 << 20);
  synth(&b2, 301);
  char file2[160];
  snprintf(file2, sizeof file2, "%s/partial2.csv", root);
  CHECK(write_file(file2, b2.data, b2.len));
  got g2;
  truce_import_stats st2;
  memset(&g2, 0, sizeof g2);
  truce_import_cb cb2 = callbacks(&g2);
  CHECK_OK(truce_import_convert(TRUCE_IMPORT_FIRMS, b2.data, b2.len,
                                now_real(), NULL, &cb2, &st2, errbuf));
  CHECK_EQ_U64(g2.nobs, 301);
  size_t odd = 0;
  for (size_t i = 0; i < g2.nobs; i++) {
    if (g2.obs[i].line % 2 == 0)
      continue;
    CHECK_OK(truce_obs_format(&g2.obs[i].o, &lines));
    truce_buf_append(&lines, "\n", 1);
    odd++;
  }
  rc = truce_log_submit(f.log, &f.imp, lines.data, lines.len, now_real(),
                        NULL, NULL);
  CHECK_MSG(rc == TRUCE_OK, "%s", truce_log_errmsg(f.log));
  CHECK_OK(truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, file2,
                             now_real(), NULL, &cb, &st2, errbuf));
  CHECK_EQ_U64(st2.already, odd);
  CHECK_EQ_U64(st2.imported, 301 - odd);
  uint8_t sha2[32];
  truce_sha256(b2.data, b2.len, sha2);
  static unsigned count2[303];
  memset(count2, 0, sizeof count2);
  rows_in_log(f.log, sha2, count2, 302, &total);
  CHECK_EQ_U64(total, 301);
  wrong = 0;
  for (size_t r = 2; r <= 302; r++)
    wrong += count2[r] != 1;
  CHECK_EQ_U64(wrong, 0);
  got_release(&g2);
  truce_buf_release(&lines);
  truce_buf_release(&b2);
  truce_buf_release(&b);
  teardown(&f);
}

TEST(log_refusals) {
  fixture f;
  if (!setup(&f, "refusals", false))
    return;
  static const char csv[] = "latitude,longitude,acq_date\n47.1,37.5,"
                            "2022-03-01\n";
  CHECK(write_file(f.file, csv, strlen(csv)));
  truce_import_stats st;
  /* Not a registered source. */
  CHECK_RC(truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), NULL, NULL, &st, errbuf),
           TRUCE_EUNKNOWN);
  CHECK_CONTAINS(errbuf, "not a registered source");
  /* A missing file, a file of another kind, no key. */
  truce_source s;
  memset(&s, 0, sizeof s);
  s.key = f.imp.vkey;
  snprintf(s.name, sizeof s.name, "%s", f.imp.vkey.name);
  snprintf(s.party, sizeof s.party, "none");
  s.means = TRUCE_MEANS_SATELLITE;
  s.reliability = 0.9;
  CHECK_OK(truce_log_source_add(f.log, &f.admin, &s, now_real(), NULL));
  char missing[160];
  snprintf(missing, sizeof missing, "%s/nope.csv", root);
  CHECK_RC(truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, missing,
                             now_real(), NULL, NULL, &st, errbuf),
           TRUCE_ENOTFOUND);
  CHECK_RC(truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, root,
                             now_real(), NULL, NULL, &st, errbuf),
           TRUCE_EIO); /* a folder */
  CHECK_CONTAINS(errbuf, "not a regular file");
  static const char acled[] = "event_date,latitude,longitude\n"
                              "2022-03-01,47.1,37.5\n";
  CHECK(write_file(f.file, acled, strlen(acled)));
  CHECK_RC(truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), NULL, NULL, &st, errbuf),
           TRUCE_EPARSE);
  CHECK_CONTAINS(errbuf, f.file);
  CHECK_CONTAINS(errbuf, "no column 'acq_date'");
  CHECK_RC(truce_import_file(f.log, NULL, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), NULL, NULL, &st, errbuf),
           TRUCE_EINVAL);
  /* A key with the registered name but another key pair. */
  truce_skey other;
  mkkey("firms-importer", 9, &other);
  CHECK(write_file(f.file, csv, strlen(csv)));
  CHECK_RC(truce_import_file(f.log, &other, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), NULL, NULL, &st, errbuf),
           TRUCE_ENOKEY);
  /* Revoked. */
  CHECK_OK(truce_log_source_revoke(f.log, &f.admin, "firms-importer",
                                   "test", now_real(), NULL));
  CHECK_RC(truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), NULL, NULL, &st, errbuf),
           TRUCE_EREVOKED);
  teardown(&f);
}

/* Every allocation failing in turn: a clean ENOMEM, the log intact, and
 * the import run to its end afterwards holds each row once. */
TEST(log_allocation_failures) {
  fixture f;
  if (!setup(&f, "alloc", true))
    return;
  truce_buf b;
  synth_file(&f, &b, 1 << 20, 50);
  int failures = 0;
  truce_import_stats st;
  for (uint64_t n = 1; n < 2000; n++) {
    truce_test_fail_alloc(n);
    truce_err rc = truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS,
                                     f.file, now_real(), NULL, NULL, &st,
                                     errbuf);
    truce_test_fail_alloc(0);
    if (rc == TRUCE_OK)
      break;
    CHECK_MSG(rc == TRUCE_ENOMEM, "n=%" PRIu64 ": %d %s", n, rc, errbuf);
    CHECK_COUNTS(st);
    failures++;
  }
  CHECK(failures > 5);
  CHECK_OK(truce_import_file(f.log, &f.imp, TRUCE_IMPORT_FIRMS, f.file,
                             now_real(), NULL, NULL, &st, errbuf));
  CHECK_EQ_U64(st.imported, 0);
  CHECK_EQ_U64(st.already, 50);
  uint8_t sha[32];
  truce_sha256(b.data, b.len, sha);
  static unsigned count[52];
  memset(count, 0, sizeof count);
  size_t total = 0;
  rows_in_log(f.log, sha, count, 51, &total);
  CHECK_EQ_U64(total, 50);
  truce_buf_release(&b);
  teardown(&f);
}

int main(void) {
  snprintf(root, sizeof root, "/tmp/truce-test-import-XXXXXX");
  if (!mkdtemp(root)) {
    perror("mkdtemp");
    return 1;
  }
  RUN(kind_names);
  RUN(firms_history_2022);
  RUN(firms_viirs);
  RUN(firms_modis);
  RUN(firms_malformed_rows);
  RUN(firms_not_a_firms_file);
  RUN(convert_allocation_failures);
  RUN(log_import_and_again);
  RUN(log_import_box);
  RUN(convert_box_across_180);
  RUN(log_interrupted_import);
  RUN(log_refusals);
  RUN(log_allocation_failures);
  if (!test_failed) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0)
      fprintf(stderr, "cannot remove %s\n", root);
  }
  return test_done(__FILE__);
}
