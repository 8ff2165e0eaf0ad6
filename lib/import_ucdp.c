/*
 * import_ucdp.c: the UCDP Georeferenced Event Dataset (GED) as published
 * in CSV (49 columns, from id to gwnob) as observations: one "casualty"
 * observation per event, counting UCDP's best estimate of deaths, over
 * the window date_start..date_end, with an uncertainty radius from
 * where_prec. docs/import.md has the tables.
 *
 * Owns: the meaning of GED's columns. Depends on import_util.c; must not
 * depend on the log.
 */
#include "import_util.h"

#include <stdio.h>

enum {
  C_ID, C_TOV, C_CONFLICT, C_DYAD, C_SIDE_A, C_SIDE_B, C_WHERE_PREC,
  C_WHERE_DESC, C_ADM1, C_ADM2, C_LAT, C_LON, C_COUNTRY, C_CLARITY,
  C_DATE_PREC, C_DATE_START, C_DATE_END, C_DEATHS_A, C_DEATHS_B,
  C_DEATHS_CIV, C_DEATHS_UNK, C_BEST, C_HIGH, C_LOW, C_HEADLINE, C_N
};

static const imp_col cols[C_N] = {
    [C_ID] = {"id", true},
    [C_TOV] = {"type_of_violence", true},
    [C_CONFLICT] = {"conflict_name", false},
    [C_DYAD] = {"dyad_name", false},
    [C_SIDE_A] = {"side_a", false},
    [C_SIDE_B] = {"side_b", false},
    [C_WHERE_PREC] = {"where_prec", true},
    [C_WHERE_DESC] = {"where_description", false},
    [C_ADM1] = {"adm_1", false},
    [C_ADM2] = {"adm_2", false},
    [C_LAT] = {"latitude", true},
    [C_LON] = {"longitude", true},
    [C_COUNTRY] = {"country", false},
    [C_CLARITY] = {"event_clarity", false},
    [C_DATE_PREC] = {"date_prec", true},
    [C_DATE_START] = {"date_start", true},
    [C_DATE_END] = {"date_end", true},
    [C_DEATHS_A] = {"deaths_a", false},
    [C_DEATHS_B] = {"deaths_b", false},
    [C_DEATHS_CIV] = {"deaths_civilians", false},
    [C_DEATHS_UNK] = {"deaths_unknown", false},
    [C_BEST] = {"best", true},
    [C_HIGH] = {"high", false},
    [C_LOW] = {"low", false},
    [C_HEADLINE] = {"source_headline", false},
};

/* where_prec 1..5 -> metres; 6 (country) and 7 (international waters or
 * airspace) are refused: docs/import.md says why. */
static const double where_radius_m[6] = {0, 5000, 25000, 50000, 150000,
                                         100000};

static const char *const tov_name[4] = {"", "state-based", "non-state",
                                        "one-sided"};

/* A deaths column for the note, when it is a number. */
static void add_deaths(imp_text *t, const char *label, csv_field f) {
  uint64_t k = 0;
  if (imp_uint(f, UINT32_MAX, &k))
    imp_text_addf(t, "%s%llu", label, (unsigned long long)k);
}

static truce_err row_fn(void *ctx, const import_sink *s, const imp_row *r) {
  (void)ctx;
  const csv_field *f = r->f;
  char sh[TEXT_SHOW_MAX];
  truce_obs o;
  memset(&o, 0, sizeof o);

  uint64_t id = 0, tov = 0, wp = 0, dp = 0, best = 0;
  if (!imp_uint(f[C_ID], UINT64_MAX / 2, &id)) {
    imp_reject(s, r->line, "column id: '%s' is not a number",
               text_show(f[C_ID].s, f[C_ID].len, sh));
    return TRUCE_OK;
  }
  if (!imp_uint(f[C_TOV], 3, &tov) || tov < 1) {
    imp_reject(s, r->line, "column type_of_violence: '%s' is not 1, 2 or 3",
               text_show(f[C_TOV].s, f[C_TOV].len, sh));
    return TRUCE_OK;
  }
  if (!imp_position(s, r->line, f[C_LAT], "latitude", f[C_LON], "longitude", &o))
    return TRUCE_OK;
  if (!imp_uint(f[C_WHERE_PREC], 7, &wp) || wp < 1) {
    imp_reject(s, r->line, "column where_prec: '%s' is not 1 to 7",
               text_show(f[C_WHERE_PREC].s, f[C_WHERE_PREC].len, sh));
    return TRUCE_OK;
  }
  if (wp >= 6) {
    imp_reject(s, r->line,
               "column where_prec: %u (%s) is too coarse to place an "
               "observation",
               (unsigned)wp,
               wp == 6 ? "country" : "international waters or airspace");
    return TRUCE_OK;
  }
  o.where_kind = TRUCE_WHERE_POINT;
  o.uncertainty_m = where_radius_m[wp];
  if (!imp_uint(f[C_DATE_PREC], 5, &dp) || dp < 1) {
    imp_reject(s, r->line, "column date_prec: '%s' is not 1 to 5",
               text_show(f[C_DATE_PREC].s, f[C_DATE_PREC].len, sh));
    return TRUCE_OK;
  }
  int64_t d0, d1, tod;
  if (!imp_date(f[C_DATE_START], true, false, &d0, &tod)) {
    imp_reject(s, r->line, "column date_start: '%s' is not a date",
               text_show(f[C_DATE_START].s, f[C_DATE_START].len, sh));
    return TRUCE_OK;
  }
  if (!imp_date(f[C_DATE_END], true, false, &d1, &tod)) {
    imp_reject(s, r->line, "column date_end: '%s' is not a date",
               text_show(f[C_DATE_END].s, f[C_DATE_END].len, sh));
    return TRUCE_OK;
  }
  if (d1 < d0) {
    imp_reject(s, r->line, "column date_end: '%s' is before date_start",
               text_show(f[C_DATE_END].s, f[C_DATE_END].len, sh));
    return TRUCE_OK;
  }
  /* GED's times are always 00:00:00: the dates are calendar days. */
  imp_local_days(d0, d1, o.lon_deg, &o.t_ms, &o.t_end_ms);
  o.is_window = 1;
  if (!imp_uint(f[C_BEST], UINT32_MAX, &best)) {
    imp_reject(s, r->line, "column best: '%s' is not a number of deaths",
               text_show(f[C_BEST].s, f[C_BEST].len, sh));
    return TRUCE_OK;
  }
  if (best > 1000000) {
    imp_reject(s, r->line, "column best: %llu deaths is more than one "
               "observation may count (1000000)", (unsigned long long)best);
    return TRUCE_OK;
  }
  o.what = TRUCE_WHAT_CASUALTY;
  /* GED records events with at least one death; a best estimate of 0
   * (UCDP's low end can be 0) is kept as "about 1". */
  o.count = best ? (uint32_t)best : 1;
  o.count_approx = best == 0;
  o.means = TRUCE_MEANS_REPORT;
  snprintf(o.id, sizeof o.id, "ged-%llu", (unsigned long long)id);

  imp_text t;
  imp_text_init(&t, o.place, sizeof o.place);
  csv_field where = imp_trim(f[C_WHERE_DESC]);
  imp_text_add(&t, where.s, where.len);
  if (!imp_empty(f[C_ADM1])) {
    if (where.len)
      imp_text_adds(&t, ", ");
    imp_text_field(&t, f[C_ADM1]);
  }

  imp_text_init(&t, o.note, sizeof o.note);
  imp_text_addf(&t, "UCDP GED %s violence; date_prec %u, where_prec %u",
                tov_name[tov], (unsigned)dp, (unsigned)wp);
  if (!imp_empty(f[C_DYAD])) {
    imp_text_adds(&t, "; ");
    imp_text_field(&t, f[C_DYAD]);
  } else if (!imp_empty(f[C_SIDE_A])) {
    imp_text_adds(&t, "; ");
    imp_text_field(&t, f[C_SIDE_A]);
    imp_text_adds(&t, " vs ");
    imp_text_field(&t, f[C_SIDE_B]);
  }
  imp_text_addf(&t, "; deaths best %llu", (unsigned long long)best);
  add_deaths(&t, " low ", f[C_LOW]);
  add_deaths(&t, " high ", f[C_HIGH]);
  uint64_t k = 0;
  if (imp_uint(f[C_DEATHS_A], UINT32_MAX, &k)) {
    imp_text_addf(&t, " (side a %llu", (unsigned long long)k);
    add_deaths(&t, ", side b ", f[C_DEATHS_B]);
    add_deaths(&t, ", civilians ", f[C_DEATHS_CIV]);
    add_deaths(&t, ", unknown ", f[C_DEATHS_UNK]);
    imp_text_adds(&t, ")");
  }
  if (!imp_empty(f[C_HEADLINE])) {
    imp_text_adds(&t, "; ");
    imp_text_field(&t, f[C_HEADLINE]);
  }
  return imp_emit(s, r->line, "ucdp", "date_start", &o);
}

truce_err import_ucdp(const char *data, size_t len, const import_sink *s,
                      char *err) {
  return imp_csv_run(data, len, s, cols, C_N, row_fn, NULL, err);
}
