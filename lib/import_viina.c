/*
 * import_viina.c: VIINA incidents (Zhukov, University of Michigan) as
 * re-exported by scott4ai/ukraine-fire-tracking: one CSV per month,
 * `datetime,lon,lat,place_name,event_type,headline`, each row a news
 * report geocoded to a settlement, event_type a '|'-joined list of
 * VIINA's tags. docs/import.md has the tag table, the time window
 * and the radius, and says why.
 *
 * Owns: the meaning of VIINA's tags. Depends on import_util.c; must not
 * depend on the log.
 */
#include "import_util.h"

enum { C_DATETIME, C_LON, C_LAT, C_PLACE, C_TYPE, C_HEADLINE, C_N };

static const imp_col cols[C_N] = {
    [C_DATETIME] = {"datetime", true}, [C_LON] = {"lon", true},
    [C_LAT] = {"lat", true},           [C_PLACE] = {"place_name", false},
    [C_TYPE] = {"event_type", true},   [C_HEADLINE] = {"headline", false},
};

/* Geocoded to the settlement named in the report: its radius. */
#define VIINA_RADIUS_M 5000.0

/* A tag's rank: the lowest-ranked tag of a row decides what was observed;
 * weapon tags are looked at in rank order too. NOT_OBS tags are real
 * VIINA tags that say nothing observed at a place and time (a location
 * mention, territorial control, arrests, alerts...). */
enum {
  R_ARTILLERY, R_MISSILE, R_AIRSTRIKE, R_UAV, R_IED, R_AAD, R_FIREFIGHT,
  R_CIVCAS, R_MILCAS, R_PROPERTY, R_HOSPITAL, R_ARMOR, R_RAID, R_NOT_OBS,
  R_UNKNOWN
};

typedef struct tag {
  const char *name;
  int rank;
  truce_what what;
  truce_weapon_class weapon;
} tag;

/* The spellings ending in 'b' are how four tags appear in the files (the
 * last letter of "firefight", "arrest", "retreat" and "airalert" replaced
 * upstream); they are listed as they are, not guessed at. */
static const tag tags[] = {
    {"artillery", R_ARTILLERY, TRUCE_WHAT_EXPLOSION, TRUCE_WEAPON_ARTILLERY},
    {"missile", R_MISSILE, TRUCE_WHAT_EXPLOSION, TRUCE_WEAPON_TACTICAL_MISSILE},
    {"airstrike", R_AIRSTRIKE, TRUCE_WHAT_EXPLOSION, TRUCE_WEAPON_AIRCRAFT},
    {"air_strike", R_AIRSTRIKE, TRUCE_WHAT_EXPLOSION, TRUCE_WEAPON_AIRCRAFT},
    {"uav", R_UAV, TRUCE_WHAT_EXPLOSION, TRUCE_WEAPON_UAV},
    {"ied", R_IED, TRUCE_WHAT_EXPLOSION, TRUCE_WEAPON_NONE},
    {"aad", R_AAD, TRUCE_WHAT_AIRBURST, TRUCE_WEAPON_ANTI_AIRCRAFT},
    {"firefight", R_FIREFIGHT, TRUCE_WHAT_SHOTS, TRUCE_WEAPON_NONE},
    {"firefighb", R_FIREFIGHT, TRUCE_WHAT_SHOTS, TRUCE_WEAPON_NONE},
    {"civcas", R_CIVCAS, TRUCE_WHAT_CASUALTY, TRUCE_WEAPON_NONE},
    {"milcas", R_MILCAS, TRUCE_WHAT_CASUALTY, TRUCE_WEAPON_NONE},
    {"property", R_PROPERTY, TRUCE_WHAT_DAMAGE, TRUCE_WEAPON_NONE},
    {"hospital", R_HOSPITAL, TRUCE_WHAT_DAMAGE, TRUCE_WEAPON_NONE},
    {"armor", R_ARMOR, TRUCE_WHAT_MILITARY_PRESENCE, TRUCE_WEAPON_TANK},
    {"tank", R_ARMOR, TRUCE_WHAT_MILITARY_PRESENCE, TRUCE_WEAPON_TANK},
    {"raid", R_RAID, TRUCE_WHAT_MILITARY_PRESENCE, TRUCE_WEAPON_NONE},
    {"loc", R_NOT_OBS, TRUCE_WHAT_NONE, TRUCE_WEAPON_NONE},
    {"control", R_NOT_OBS, TRUCE_WHAT_NONE, TRUCE_WEAPON_NONE},
    {"occupy", R_NOT_OBS, TRUCE_WHAT_NONE, TRUCE_WEAPON_NONE},
    {"arrest", R_NOT_OBS, TRUCE_WHAT_NONE, TRUCE_WEAPON_NONE},
    {"arresb", R_NOT_OBS, TRUCE_WHAT_NONE, TRUCE_WEAPON_NONE},
    {"retreat", R_NOT_OBS, TRUCE_WHAT_NONE, TRUCE_WEAPON_NONE},
    {"retreab", R_NOT_OBS, TRUCE_WHAT_NONE, TRUCE_WEAPON_NONE},
    {"airalert", R_NOT_OBS, TRUCE_WHAT_NONE, TRUCE_WEAPON_NONE},
    {"airalerb", R_NOT_OBS, TRUCE_WHAT_NONE, TRUCE_WEAPON_NONE},
    {"san", R_NOT_OBS, TRUCE_WHAT_NONE, TRUCE_WEAPON_NONE},
    {"cyber", R_NOT_OBS, TRUCE_WHAT_NONE, TRUCE_WEAPON_NONE},
    {NULL, R_UNKNOWN, TRUCE_WHAT_NONE, TRUCE_WEAPON_NONE},
};

static const tag *find_tag(const char *s, size_t n) {
  size_t i = 0;
  for (; tags[i].name; i++) {
    csv_field f = {s, n};
    if (csv_eq(f, tags[i].name))
      break;
  }
  return &tags[i];
}

static truce_err row_fn(void *ctx, const import_sink *s, const imp_row *r) {
  (void)ctx;
  const csv_field *f = r->f;
  char sh[TEXT_SHOW_MAX];
  truce_obs o;
  memset(&o, 0, sizeof o);

  /* The tags: the best one decides what, weapon tags in rank order. */
  csv_field types = imp_trim(f[C_TYPE]);
  int best = R_UNKNOWN, best_weapon_rank = R_UNKNOWN;
  bool unknown = false;
  size_t at = 0;
  while (at < types.len) {
    size_t k = at;
    while (k < types.len && types.s[k] != '|')
      k++;
    csv_field tok = imp_trim((csv_field){types.s + at, k - at});
    const tag *t = find_tag(tok.s, tok.len);
    if (t->rank == R_UNKNOWN && tok.len)
      unknown = true;
    if (t->rank < best) {
      best = t->rank;
      o.what = t->what;
    }
    if (t->weapon != TRUCE_WEAPON_NONE && t->rank < best_weapon_rank) {
      best_weapon_rank = t->rank;
      o.weapon = t->weapon;
    }
    at = k + 1;
  }
  if (best >= R_NOT_OBS) {
    imp_reject(s, r->line, "event_type '%s' is not a ceasefire observation",
               text_show(types.s, types.len, sh));
    return TRUCE_OK;
  }
  /* A casualty or damage report names no weapon of its own; a weapon tag
   * beside it (armor) is still what the report was about. */
  if (o.what == TRUCE_WHAT_CASUALTY)
    o.count_approx = 1; /* at least one person; VIINA does not count */

  if (!imp_position(s, r->line, f[C_LAT], "lat", f[C_LON], "lon", &o))
    return TRUCE_OK;
  o.where_kind = TRUCE_WHERE_POINT;
  o.uncertainty_m = VIINA_RADIUS_M;

  int64_t day, tod;
  if (!imp_date(f[C_DATETIME], true, false, &day, &tod)) {
    imp_reject(s, r->line, "column datetime: '%s' is not a date and time",
               text_show(f[C_DATETIME].s, f[C_DATETIME].len, sh));
    return TRUCE_OK;
  }
  /* Kyiv (or Moscow) time of the report, UTC+2 or +3; the incident in
   * the day before it. Midnight is a date without a time. */
  int64_t t = day * IMP_DAY_MS + tod;
  o.t_ms = t - 27 * IMP_HOUR_MS;
  o.t_end_ms = tod ? t - 2 * IMP_HOUR_MS : t + 22 * IMP_HOUR_MS - 1;
  o.is_window = 1;
  o.means = TRUCE_MEANS_REPORT;

  imp_text tx;
  imp_text_init(&tx, o.place, sizeof o.place);
  imp_text_field(&tx, f[C_PLACE]);
  imp_text_init(&tx, o.note, sizeof o.note);
  imp_text_adds(&tx, "VIINA ");
  imp_text_add(&tx, types.s, types.len);
  if (unknown)
    imp_text_adds(&tx, " (tags not in truce's table kept here only)");
  if (!imp_empty(f[C_HEADLINE])) {
    imp_text_adds(&tx, "; ");
    imp_text_field(&tx, f[C_HEADLINE]);
  }
  return imp_emit(s, r->line, "viina", "datetime", &o);
}

truce_err import_viina(const char *data, size_t len, const import_sink *s,
                       char *err) {
  return imp_csv_run(data, len, s, cols, C_N, row_fn, NULL, err);
}
