/*
 * import_acled.c: ACLED's published CSV export (31 columns, from
 * event_id_cnty to timestamp) as observations. docs/import.md has
 * the tables: event types to what and weapon, time_precision to time
 * windows, geo_precision to uncertainty radii, and what is refused.
 *
 * Owns: the meaning of ACLED's columns and words. Depends on
 * import_util.c for CSV, numbers, dates and text; must not depend on the
 * log.
 */
#include "import_util.h"

#include <stdio.h>

enum {
  C_ID, C_DATE, C_TPREC, C_TYPE, C_SUB, C_ACTOR1, C_ACTOR2, C_COUNTRY,
  C_ADMIN1, C_LOCATION, C_LAT, C_LON, C_GPREC, C_SOURCE, C_NOTES, C_FATAL,
  C_N
};

static const imp_col cols[C_N] = {
    [C_ID] = {"event_id_cnty", true},
    [C_DATE] = {"event_date", true},
    [C_TPREC] = {"time_precision", true},
    [C_TYPE] = {"event_type", true},
    [C_SUB] = {"sub_event_type", true},
    [C_ACTOR1] = {"actor1", false},
    [C_ACTOR2] = {"actor2", false},
    [C_COUNTRY] = {"country", false},
    [C_ADMIN1] = {"admin1", false},
    [C_LOCATION] = {"location", false},
    [C_LAT] = {"latitude", true},
    [C_LON] = {"longitude", true},
    [C_GPREC] = {"geo_precision", true},
    [C_SOURCE] = {"source", false},
    [C_NOTES] = {"notes", false},
    [C_FATAL] = {"fatalities", false},
};

/* geo_precision 1, 2, 3 -> metres (docs/import.md says why). */
static const double geo_radius_m[4] = {0, 5000, 25000, 100000};

static const char *const w_drone[] = {"drone", "drones", "uav", "uavs",
                                      "shahed", "shaheds", "lancet",
                                      "fpv", "geran", "geran-2", NULL};
static const char *const w_air[] = {
    "aircraft", "airstrike", "airstrikes", "air strike", "air strikes",
    "jet", "jets", "plane", "planes", "helicopter", "helicopters",
    "bomb", "bombs", "kab", "kabs", "glide", "su-34", "su-25", "su-35",
    NULL};
static const char *const w_missile[] = {"missile", "missiles", "iskander",
                                        "kalibr", "tochka", "tochka-u",
                                        "kh-101", "kh-22", "s-300", NULL};
static const char *const w_atgm[] = {"atgm", "atgms", "anti-tank", NULL};
static const char *const w_mlrs[] = {"mlrs", "grad", "grads", "uragan",
                                     "smerch", "tornado", "himars",
                                     "multiple rocket", "rocket launcher",
                                     "rocket launchers", "bm-21", NULL};
static const char *const w_mortar[] = {"mortar", "mortars", NULL};
static const char *const w_artillery[] = {"artillery", "howitzer",
                                          "howitzers", "cannon", NULL};
static const char *const w_tank[] = {"tank", "tanks", NULL};
static const char *const w_mine[] = {"mine", "mines", "landmine",
                                     "landmines", "anti-personnel",
                                     "unexploded", "uxo", "tripwire", NULL};

/* What and weapon of an event type / sub-event type, or a reason. */
static const char *classify(csv_field type, csv_field sub, csv_field notes,
                            csv_field fatal, truce_obs *o) {
  const char *n = notes.s;
  size_t nl = notes.len;
  type = imp_trim(type);
  sub = imp_trim(sub);
  if (csv_eq(type, "Battles")) {
    if (csv_eq(sub, "Armed clash")) {
      o->what = TRUCE_WHAT_SHOTS;
      return NULL;
    }
    if (csv_eq(sub, "Government regains territory") ||
        csv_eq(sub, "Non-state actor overtakes territory")) {
      o->what = TRUCE_WHAT_MILITARY_PRESENCE;
      return NULL;
    }
    return "sub_event_type";
  }
  if (csv_eq(type, "Explosions/Remote violence")) {
    o->what = TRUCE_WHAT_EXPLOSION;
    if (csv_eq(sub, "Shelling/artillery/missile attack")) {
      if (imp_has_any(n, nl, w_missile) && !imp_has_any(n, nl, w_atgm))
        o->weapon = TRUCE_WEAPON_TACTICAL_MISSILE;
      else if (imp_has_any(n, nl, w_mlrs))
        o->weapon = TRUCE_WEAPON_MLRS;
      else if (imp_has_any(n, nl, w_mortar) &&
               !imp_has_any(n, nl, w_artillery))
        o->weapon = TRUCE_WEAPON_MORTAR;
      else if (imp_has_any(n, nl, w_tank) &&
               !imp_has_any(n, nl, w_artillery))
        o->weapon = TRUCE_WEAPON_TANK;
      else
        o->weapon = TRUCE_WEAPON_ARTILLERY;
      return NULL;
    }
    if (csv_eq(sub, "Air/drone strike")) {
      if (imp_has_any(n, nl, w_drone))
        o->weapon = TRUCE_WEAPON_UAV;
      else if (imp_has_any(n, nl, w_air))
        o->weapon = TRUCE_WEAPON_AIRCRAFT;
      else
        o->weapon = TRUCE_WEAPON_UNKNOWN;
      return NULL;
    }
    if (csv_eq(sub, "Remote explosive/landmine/IED")) {
      if (imp_has_any(n, nl, w_mine))
        o->what = TRUCE_WHAT_MINE;
      return NULL;
    }
    if (csv_eq(sub, "Grenade")) {
      o->weapon = TRUCE_WEAPON_GRENADE_LAUNCHER;
      return NULL;
    }
    if (csv_eq(sub, "Suicide bomb") || csv_eq(sub, "Chemical weapon"))
      return NULL;
    return "sub_event_type";
  }
  if (csv_eq(type, "Violence against civilians")) {
    if (!csv_eq(sub, "Attack"))
      return "sub_event_type";
    /* Armed violence against civilians: people killed or hurt. */
    uint64_t k = 0;
    o->what = TRUCE_WHAT_CASUALTY;
    if (imp_uint(fatal, 1000000, &k) && k > 0) {
      o->count = (uint32_t)k;
    } else {
      o->count = 1;
      o->count_approx = 1;
    }
    return NULL;
  }
  return "event_type";
}

static truce_err row_fn(void *ctx, const import_sink *s, const imp_row *r) {
  (void)ctx;
  const csv_field *f = r->f;
  char sh[TEXT_SHOW_MAX];
  truce_obs o;
  memset(&o, 0, sizeof o);

  const char *bad = classify(f[C_TYPE], f[C_SUB], f[C_NOTES], f[C_FATAL], &o);
  if (bad) {
    csv_field v = imp_trim(bad[0] == 'e' ? f[C_TYPE] : f[C_SUB]);
    imp_reject(s, r->line, "%s '%s' is not a ceasefire observation", bad,
               text_show(v.s, v.len, sh));
    return TRUCE_OK;
  }
  if (!imp_id(f[C_ID], o.id, sizeof o.id)) {
    csv_field v = imp_trim(f[C_ID]);
    imp_reject(s, r->line,
               "column event_id_cnty: '%s' is not an id of at most %d bytes",
               text_show(v.s, v.len, sh), TRUCE_OBS_ID_MAX);
    return TRUCE_OK;
  }
  imp_text t;

  if (!imp_position(s, r->line, f[C_LAT], "latitude", f[C_LON], "longitude", &o))
    return TRUCE_OK;
  uint64_t gp = 0, tp = 0;
  if (!imp_uint(f[C_GPREC], 3, &gp) || gp < 1) {
    imp_reject(s, r->line, "column geo_precision: '%s' is not 1, 2 or 3",
               text_show(f[C_GPREC].s, f[C_GPREC].len, sh));
    return TRUCE_OK;
  }
  o.where_kind = TRUCE_WHERE_POINT;
  o.uncertainty_m = geo_radius_m[gp];

  int64_t day, tod;
  if (!imp_date(f[C_DATE], false, true, &day, &tod)) {
    imp_reject(s, r->line, "column event_date: '%s' is not a date",
               text_show(f[C_DATE].s, f[C_DATE].len, sh));
    return TRUCE_OK;
  }
  if (!imp_uint(f[C_TPREC], 3, &tp) || tp < 1) {
    imp_reject(s, r->line, "column time_precision: '%s' is not 1, 2 or 3",
               text_show(f[C_TPREC].s, f[C_TPREC].len, sh));
    return TRUCE_OK;
  }
  int64_t d0 = day, d1 = day;
  if (tp == 2) { /* some day of a week that holds event_date */
    d0 = day - 6;
    d1 = day + 6;
  } else if (tp == 3) { /* some day of event_date's month */
    int64_t y;
    unsigned m, d;
    imp_civil_from_days(day, &y, &m, &d);
    d0 = imp_days_from_civil(y, m, 1);
    d1 = (m == 12 ? imp_days_from_civil(y + 1, 1, 1)
                  : imp_days_from_civil(y, m + 1, 1)) - 1;
  }
  imp_local_days(d0, d1, o.lon_deg, &o.t_ms, &o.t_end_ms);
  o.is_window = 1;
  o.means = TRUCE_MEANS_REPORT;

  imp_text_init(&t, o.place, sizeof o.place);
  imp_text_field(&t, f[C_LOCATION]);
  if (!imp_empty(f[C_ADMIN1])) {
    if (!imp_empty(f[C_LOCATION]))
      imp_text_adds(&t, ", ");
    imp_text_field(&t, f[C_ADMIN1]);
  }

  imp_text_init(&t, o.note, sizeof o.note);
  imp_text_adds(&t, "ACLED ");
  imp_text_field(&t, f[C_SUB]);
  imp_text_addf(&t, "; time_precision %u, geo_precision %u",
                (unsigned)tp, (unsigned)gp);
  if (!imp_empty(f[C_ACTOR1])) {
    imp_text_adds(&t, "; ");
    imp_text_field(&t, f[C_ACTOR1]);
    if (!imp_empty(f[C_ACTOR2])) {
      imp_text_adds(&t, " vs ");
      imp_text_field(&t, f[C_ACTOR2]);
    }
  }
  uint64_t k = 0;
  if (imp_uint(f[C_FATAL], UINT32_MAX, &k))
    imp_text_addf(&t, "; fatalities %llu", (unsigned long long)k);
  if (!imp_empty(f[C_NOTES])) {
    imp_text_adds(&t, "; ");
    imp_text_field(&t, f[C_NOTES]);
  }
  return imp_emit(s, r->line, "acled", "event_date", &o);
}

truce_err import_acled(const char *data, size_t len, const import_sink *s,
                       char *err) {
  return imp_csv_run(data, len, s, cols, C_N, row_fn, NULL, err);
}
