/*
 * import_cir.c: the Bellingcat / Centre for Information Resilience
 * Russia-Ukraine monitor map (as exported in mauforonda/ukraine,
 * events.csv): `entry,date,event_group,title,brief description,lat,lon,
 * country,province,district,town/city,arms/munition,violence level,link,
 * geolocation`. Each row is an incident verified and geolocated from open
 * sources; docs/import.md has the event_group table, the radius and
 * what is refused.
 *
 * Owns: the meaning of the map's columns. Depends on import_util.c and on
 * the weapon catalogue (truce_weapon_lookup) for arms/munition; must not
 * depend on the log.
 */
#include "import_util.h"

#include <stdio.h>

enum {
  C_ENTRY, C_DATE, C_GROUP, C_TITLE, C_DESC, C_LAT, C_LON, C_COUNTRY,
  C_PROVINCE, C_DISTRICT, C_TOWN, C_ARMS, C_VIOLENCE, C_LINK, C_GEOLOC, C_N
};

static const imp_col cols[C_N] = {
    [C_ENTRY] = {"entry", true},
    [C_DATE] = {"date", true},
    [C_GROUP] = {"event_group", true},
    [C_TITLE] = {"title", false},
    [C_DESC] = {"brief description", false},
    [C_LAT] = {"lat", true},
    [C_LON] = {"lon", true},
    [C_COUNTRY] = {"country", false},
    [C_PROVINCE] = {"province", false},
    [C_DISTRICT] = {"district", false},
    [C_TOWN] = {"town/city", false},
    [C_ARMS] = {"arms/munition", false},
    [C_VIOLENCE] = {"violence level", false},
    [C_LINK] = {"link", false},
    [C_GEOLOC] = {"geolocation", false},
};

/* Radius of a point whose geolocation is published (the geolocation
 * column holds its link), and of one that is not. */
#define CIR_GEOLOCATED_M 200.0
#define CIR_UNPUBLISHED_M 1000.0

/* event_group, by its beginning (the map's groups carry months: "Civilian
 * Infrastructure Damage March 2022"). what NONE: refused. */
typedef struct group {
  const char *prefix;
  truce_what what;
} group;

static const group groups[] = {
    {"Civilian Infrastructure Damage", TRUCE_WHAT_DAMAGE},
    {"Military Infrastructure Damage", TRUCE_WHAT_DAMAGE},
    {"Bombing or Explosion", TRUCE_WHAT_EXPLOSION},
    {"Munitions", TRUCE_WHAT_EXPLOSION},
    {"Russian Military Presence", TRUCE_WHAT_MILITARY_PRESENCE},
    {"Russian Allies Presence", TRUCE_WHAT_MILITARY_PRESENCE},
    {"Russian Military Losses", TRUCE_WHAT_WEAPON_SEEN},
    {"Ukrainian Military Losses", TRUCE_WHAT_WEAPON_SEEN},
    {"Russian Firing Positions", TRUCE_WHAT_MUZZLE_FLASH},
    {"Ground Battle", TRUCE_WHAT_SHOTS},
    {"Civilian Casualty", TRUCE_WHAT_CASUALTY},
    {"Mass grave", TRUCE_WHAT_NONE},
    {"Detentions or Arrests", TRUCE_WHAT_NONE},
    {"Other", TRUCE_WHAT_NONE},
    {NULL, TRUCE_WHAT_NONE},
};

static bool starts_with(csv_field f, const char *prefix) {
  size_t n = strlen(prefix);
  if (f.len < n)
    return false;
  csv_field head = {f.s, n};
  return csv_eq(head, prefix) && (f.len == n || f.s[n] == ' ' ||
                                  f.s[n] == '/');
}

/* One part of arms/munition in the catalogue ("12x 2S3 Akatsiya": the
 * count is dropped). */
static bool lookup_part(const char *s, size_t n, truce_obs *o) {
  csv_field f = imp_trim((csv_field){s, n});
  size_t i = 0;
  while (i < f.len && f.s[i] >= '0' && f.s[i] <= '9')
    i++;
  if (i && i < f.len && (f.s[i] == 'x' || f.s[i] == 'X') &&
      i + 1 < f.len && f.s[i + 1] == ' ')
    f = imp_trim((csv_field){f.s + i + 2, f.len - i - 2});
  if (f.len == 0 || f.len > TRUCE_OBS_ID_MAX)
    return false;
  char name[TRUCE_OBS_ID_MAX + 1];
  memcpy(name, f.s, f.len);
  name[f.len] = '\0';
  truce_weapon_class cls;
  double cal;
  const char *canon;
  if (truce_weapon_lookup(name, &cls, &cal, &canon) != TRUCE_OK)
    return false;
  o->weapon = cls;
  o->calibre_mm = cal;
  snprintf(o->system, sizeof o->system, "%s", canon);
  return true;
}

/* The first system of arms/munition the catalogue knows: the whole
 * field, else its parts between commas, "and" and "+". */
static void lookup_arms(csv_field arms, truce_obs *o) {
  arms = imp_trim(arms);
  if (!arms.len || lookup_part(arms.s, arms.len, o))
    return;
  size_t at = 0;
  while (at < arms.len) {
    size_t k = at, cut = 0;
    while (k < arms.len) {
      if (arms.s[k] == ',' || arms.s[k] == '+') {
        cut = 1;
        break;
      }
      if (k + 5 <= arms.len && memcmp(arms.s + k, " and ", 5) == 0) {
        cut = 5;
        break;
      }
      k++;
    }
    if (lookup_part(arms.s + at, k - at, o))
      return;
    at = k + (cut ? cut : 1);
  }
}

/* "DD/MM/YYYY" at the start of the title: the day, or false. */
static bool title_date(csv_field title, int64_t *day) {
  title = imp_trim(title);
  if (title.len < 10 || title.s[2] != '/' || title.s[5] != '/')
    return false;
  char iso[11];
  memcpy(iso, title.s + 6, 4);
  iso[4] = '-';
  memcpy(iso + 5, title.s + 3, 2);
  iso[7] = '-';
  memcpy(iso + 8, title.s, 2);
  iso[10] = '\0';
  int64_t tod;
  return imp_date((csv_field){iso, 10}, false, false, day, &tod);
}

static void add_sep(imp_text *t, csv_field f, const char *sep) {
  if (imp_empty(f))
    return;
  if (t->len)
    imp_text_adds(t, sep);
  imp_text_field(t, f);
}

static truce_err row_fn(void *ctx, const import_sink *s, const imp_row *r) {
  (void)ctx;
  const csv_field *f = r->f;
  char sh[TEXT_SHOW_MAX];
  truce_obs o;
  memset(&o, 0, sizeof o);

  csv_field grp = imp_trim(f[C_GROUP]);
  const group *g = groups;
  while (g->prefix && !starts_with(grp, g->prefix))
    g++;
  if (g->what == TRUCE_WHAT_NONE) {
    imp_reject(s, r->line, "event_group '%s' is not a ceasefire observation",
               text_show(grp.s, grp.len, sh));
    return TRUCE_OK;
  }
  o.what = g->what;
  if (o.what == TRUCE_WHAT_CASUALTY)
    o.count_approx = 1; /* at least one person; the map does not count */

  if (!imp_id(f[C_ENTRY], o.id, sizeof o.id)) {
    csv_field v = imp_trim(f[C_ENTRY]);
    imp_reject(s, r->line, "column entry: '%s' is not an id of at most %d "
               "bytes", text_show(v.s, v.len, sh), TRUCE_OBS_ID_MAX);
    return TRUCE_OK;
  }
  imp_text t;

  if (!imp_position(s, r->line, f[C_LAT], "lat", f[C_LON], "lon", &o))
    return TRUCE_OK;
  o.where_kind = TRUCE_WHERE_POINT;
  bool geolocated = !imp_empty(f[C_GEOLOC]);
  o.uncertainty_m = geolocated ? CIR_GEOLOCATED_M : CIR_UNPUBLISHED_M;

  int64_t day, tod;
  bool from_title = false;
  if (imp_empty(f[C_DATE]) && title_date(f[C_TITLE], &day)) {
    from_title = true;
  } else if (!imp_date(f[C_DATE], false, false, &day, &tod)) {
    imp_reject(s, r->line, "column date: '%s' is not a date",
               text_show(f[C_DATE].s, f[C_DATE].len, sh));
    return TRUCE_OK;
  }
  imp_local_days(day, day, o.lon_deg, &o.t_ms, &o.t_end_ms);
  o.is_window = 1;
  o.means = TRUCE_MEANS_REPORT;
  lookup_arms(f[C_ARMS], &o);

  imp_text_init(&t, o.place, sizeof o.place);
  add_sep(&t, f[C_TOWN], ", ");
  add_sep(&t, f[C_DISTRICT], ", ");
  add_sep(&t, f[C_PROVINCE], ", ");
  add_sep(&t, f[C_COUNTRY], ", ");

  imp_text_init(&t, o.note, sizeof o.note);
  imp_text_adds(&t, "CIR ");
  imp_text_add(&t, grp.s, grp.len);
  if (from_title)
    imp_text_adds(&t, " (date from the title)");
  if (!geolocated)
    imp_text_adds(&t, " (no geolocation link)");
  imp_text_adds(&t, ": ");
  imp_text_field(&t, f[C_TITLE]);
  if (!imp_empty(f[C_ARMS])) {
    imp_text_adds(&t, "; arms/munition: ");
    imp_text_field(&t, f[C_ARMS]);
  }
  if (!imp_empty(f[C_LINK])) {
    imp_text_adds(&t, "; link ");
    imp_text_field(&t, f[C_LINK]);
  }
  if (geolocated) {
    imp_text_adds(&t, "; geolocation ");
    imp_text_field(&t, f[C_GEOLOC]);
  }
  /* The description often repeats the title without its date. */
  csv_field desc = imp_trim(f[C_DESC]), title = imp_trim(f[C_TITLE]);
  bool repeat = desc.len <= title.len &&
                memcmp(title.s + title.len - desc.len, desc.s, desc.len) == 0;
  if (desc.len && !repeat) {
    imp_text_adds(&t, "; ");
    imp_text_add(&t, desc.s, desc.len);
  }
  return imp_emit(s, r->line, "cir", from_title ? "title" : "date", &o);
}

truce_err import_cir(const char *data, size_t len, const import_sink *s,
                     char *err) {
  return imp_csv_run(data, len, s, cols, C_N, row_fn, NULL, err);
}
