/*
 * test_weapons.c: the weapon catalogue (data/weapons.json, compiled in)
 * and truce_obs_classify (lib/weapons.c).
 *
 * Every system the catalogue must hold, with its class and calibre
 * written here by hand; the aliases monitors use; what must NOT match
 * (the catalogue never guesses); the compiled-in copy against the file
 * itself (every name and alias in data/weapons.json looks up to its own
 * system, read with jansson, so the file stays the one source); and
 * classification of parsed observations: filled, contradicted, unlisted.
 * The first test races threads to the first lookup.
 *
 * Depends on the public header, test.h and jansson (for reading the data
 * file). Run from the repository root (make test does).
 */
#include "truce.h"

#include "test.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>

static char errbuf[TRUCE_ERR_MAX];

/* 2026-11-26T12:37:00Z, as in test_obs.c. */
#define NOW_MS INT64_C(1795696620000)

typedef struct want {
  const char *name; /* as the issue lists it */
  const char *canonical;
  truce_weapon_class cls;
  double calibre_mm;
} want;

/* The systems the catalogue must hold (the list), by hand. */
static const want required[] = {
    {"2S1 Gvozdika", "2S1 Gvozdika", TRUCE_WEAPON_ARTILLERY, 122},
    {"2S3 Akatsiya", "2S3 Akatsiya", TRUCE_WEAPON_ARTILLERY, 152},
    {"2A65 Msta-B", "2A65 Msta-B", TRUCE_WEAPON_ARTILLERY, 152},
    {"D-30", "D-30", TRUCE_WEAPON_ARTILLERY, 122},
    {"2A36 Giatsint-B", "2A36 Giatsint-B", TRUCE_WEAPON_ARTILLERY, 152},
    {"BM-21 Grad", "BM-21 Grad", TRUCE_WEAPON_MLRS, 122},
    {"BM-27 Uragan", "BM-27 Uragan", TRUCE_WEAPON_MLRS, 220},
    {"BM-30 Smerch", "BM-30 Smerch", TRUCE_WEAPON_MLRS, 300},
    {"9K51M Tornado-G", "9K51M Tornado-G", TRUCE_WEAPON_MLRS, 122},
    {"Tornado-S", "9K515 Tornado-S", TRUCE_WEAPON_MLRS, 300},
    {"9K79 Tochka", "9K79 Tochka", TRUCE_WEAPON_TACTICAL_MISSILE, 650},
    {"Tochka-U", "9K79-1 Tochka-U", TRUCE_WEAPON_TACTICAL_MISSILE, 650},
    {"T-64", "T-64", TRUCE_WEAPON_TANK, 125},
    {"T-72", "T-72", TRUCE_WEAPON_TANK, 125},
    {"T-80", "T-80", TRUCE_WEAPON_TANK, 125},
    {"2B11 Sani", "2B11 Sani", TRUCE_WEAPON_MORTAR, 120},
    {"2B14 Podnos", "2B14 Podnos", TRUCE_WEAPON_MORTAR, 82},
    {"ZU-23-2", "ZU-23-2", TRUCE_WEAPON_ANTI_AIRCRAFT, 23},
    {"BMP-1", "BMP-1", TRUCE_WEAPON_IFV, 73},
    {"BMP-2", "BMP-2", TRUCE_WEAPON_IFV, 30},
    {"BTR-70", "BTR-70", TRUCE_WEAPON_APC, 14.5},
    {"BTR-80", "BTR-80", TRUCE_WEAPON_APC, 14.5},
};

/* Names as monitors write them -> the catalogue's name. */
static const struct {
  const char *written, *canonical;
} aliases[] = {
    {"2S1", "2S1 Gvozdika"},
    {"Gvozdika", "2S1 Gvozdika"},
    {"gvozdika", "2S1 Gvozdika"},
    {"2s1 GVOZDIKA", "2S1 Gvozdika"},
    {"2 S 1", "2S1 Gvozdika"},
    {"Гвоздика", "2S1 Gvozdika"},
    {"ГВОЗДИКА", "2S1 Gvozdika"},
    {"2С1", "2S1 Gvozdika"}, /* Cyrillic Es, as written in Russian */
    {"Akatsiya", "2S3 Akatsiya"},
    {"Акація", "2S3 Akatsiya"},
    {"Msta-B", "2A65 Msta-B"},
    {"2A65", "2A65 Msta-B"},
    {"D30", "D-30"},
    {"d 30", "D-30"},
    {"Д-30", "D-30"},
    {"2A18", "D-30"},
    {"Giatsint-B", "2A36 Giatsint-B"},
    {"Гіацинт-Б", "2A36 Giatsint-B"},
    {"Grad", "BM-21 Grad"},
    {"GRAD", "BM-21 Grad"},
    {"BM-21", "BM-21 Grad"},
    {"bm21", "BM-21 Grad"},
    {"BM 21", "BM-21 Grad"},
    {"BM\xe2\x80\x93" "21", "BM-21 Grad"},    /* en dash */
    {"BM\xc2\xa0" "21 Grad", "BM-21 Grad"},    /* no-break space */
    {"Град", "BM-21 Grad"},
    {"БМ-21 Град", "BM-21 Grad"},
    {"9K51", "BM-21 Grad"},
    {"Uragan", "BM-27 Uragan"},
    {"9K57", "BM-27 Uragan"},
    {"Smerch", "BM-30 Smerch"},
    {"Смерч", "BM-30 Smerch"},
    {"Tornado-G", "9K51M Tornado-G"},
    {"9K515", "9K515 Tornado-S"},
    {"Tornado S", "9K515 Tornado-S"},
    {"Tochka", "9K79 Tochka"},
    {"Tochka U", "9K79-1 Tochka-U"},
    {"Точка-У", "9K79-1 Tochka-U"},
    {"T-72B3", "T-72"},
    {"t72", "T-72"},
    {"Т-64", "T-64"}, /* Cyrillic Te */
    {"T-64BV", "T-64"},
    {"T-80BV", "T-80"},
    {"Sani", "2B11 Sani"},
    {"2S12", "2B11 Sani"},
    {"Podnos", "2B14 Podnos"},
    {"2B14", "2B14 Podnos"},
    {"ZU-23", "ZU-23-2"},
    {"ZU 23 2", "ZU-23-2"},
    {"ЗУ-23-2", "ZU-23-2"},
    {"БМП-1", "BMP-1"},
    {"bmp2", "BMP-2"},
    {"БТР-80", "BTR-80"},
    {"BTR-80A", "BTR-80A"},
    {"MT-12", "MT-12 Rapira"},
};

/* Not in the catalogue, and nothing may be guessed for them. */
static const char *const unknown[] = {
    "",          " - ",        "Grad MLRS", "BM-21.",   "BM-2l",
    "Gvozdika2", "2S",         "BM",        "Tochka-M", "SS-21",
    "Tornado",   "T-6",        "howitzer",  "artillery", "2S1 Gvozdika 2",
    "BM_21",     "Grad\tMLRS", "D-300",     "BTR",      "BMP"};

static void *race(void *arg) {
  (void)arg;
  const char *name = NULL;
  truce_weapon_class cls;
  double cal;
  truce_err rc = truce_weapon_lookup("Grad", &cls, &cal, &name);
  return (void *)(uintptr_t)(rc == TRUCE_OK && name &&
                             strcmp(name, "BM-21 Grad") == 0);
}

/* Must run before any other lookup: the catalogue is parsed on first
 * use, and threads racing to it must all see it whole. */
TEST(test_first_use_threads) {
  pthread_t th[8];
  int started = 0;
  for (int i = 0; i < 8; i++)
    if (pthread_create(&th[i], NULL, race, NULL) == 0)
      started++;
    else
      break;
  CHECK(started == 8);
  for (int i = 0; i < started; i++) {
    void *ok = NULL;
    pthread_join(th[i], &ok);
    CHECK(ok != NULL);
  }
}

TEST(test_required_systems) {
  for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
    const want *w = &required[i];
    truce_weapon_class cls = TRUCE_WEAPON_NONE;
    double cal = 0;
    const char *name = NULL;
    truce_err rc = truce_weapon_lookup(w->name, &cls, &cal, &name);
    CHECK_MSG(rc == TRUCE_OK, "%s: %s", w->name, truce_strerror(rc));
    CHECK_MSG(cls == w->cls, "%s: class %s", w->name,
              truce_weapon_class_name(cls));
    CHECK_MSG(cal == w->calibre_mm, "%s: calibre %g", w->name, cal);
    CHECK_STR(name, w->canonical);
  }
}

TEST(test_aliases) {
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
    const char *name = NULL;
    truce_err rc = truce_weapon_lookup(aliases[i].written, NULL, NULL, &name);
    CHECK_MSG(rc == TRUCE_OK, "'%s': %s", aliases[i].written,
              truce_strerror(rc));
    CHECK_STR(name, aliases[i].canonical);
  }
}

TEST(test_unknown_never_guessed) {
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    truce_weapon_class cls = TRUCE_WEAPON_TANK;
    double cal = 5;
    const char *name = "x";
    CHECK_MSG(truce_weapon_lookup(unknown[i], &cls, &cal, &name) ==
                  TRUCE_ENOTFOUND,
              "'%s' was found as %s", unknown[i], name ? name : "?");
    CHECK(cls == TRUCE_WEAPON_NONE && cal == 0 && name == NULL);
  }
  char longname[400];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  CHECK_RC(truce_weapon_lookup(longname, NULL, NULL, NULL), TRUCE_ENOTFOUND);
  CHECK_RC(truce_weapon_lookup("\xff\xfe", NULL, NULL, NULL),
           TRUCE_ENOTFOUND);
  CHECK_RC(truce_weapon_lookup(NULL, NULL, NULL, NULL), TRUCE_EINVAL);
}

/* The compiled-in catalogue is data/weapons.json: every name and alias
 * in the file finds its own system, in the file's order. */
TEST(test_catalogue_is_the_file) {
  json_error_t jerr;
  json_t *root = json_load_file("data/weapons.json", 0, &jerr);
  CHECK_MSG(root != NULL, "data/weapons.json: %s", jerr.text);
  if (!root)
    return;
  json_t *list = json_object_get(root, "systems");
  CHECK(json_is_array(list));
  CHECK_EQ_U64(truce_weapon_count(), json_array_size(list));
  size_t i;
  json_t *sys;
  json_array_foreach(list, i, sys) {
    const char *name = json_string_value(json_object_get(sys, "name"));
    const char *at_name = NULL, *desc = NULL;
    truce_weapon_class cls;
    double cal;
    CHECK_OK(truce_weapon_at(i, &at_name, &cls, &cal, &desc));
    CHECK_STR(at_name, name);
    CHECK(desc && *desc);
    CHECK(cls == truce_weapon_class_from_name(
                     json_string_value(json_object_get(sys, "class")),
                     json_string_length(json_object_get(sys, "class"))));
    CHECK(cal == json_number_value(json_object_get(sys, "calibre_mm")));
    CHECK(json_is_string(json_object_get(sys, "source")));
    size_t k;
    json_t *alias;
    json_array_foreach(json_object_get(sys, "aliases"), k, alias) {
      const char *found = NULL;
      CHECK_OK(truce_weapon_lookup(json_string_value(alias), NULL, NULL,
                                   &found));
      CHECK_MSG(found && strcmp(found, name) == 0, "alias '%s' -> %s",
                json_string_value(alias), found ? found : "(none)");
    }
  }
  const char *n = "x";
  CHECK_RC(truce_weapon_at(json_array_size(list), &n, NULL, NULL, NULL),
           TRUCE_ENOTFOUND);
  CHECK(n == NULL);
  json_decref(root);
}

/* ---- classification of observations ---- */

static truce_obs obs;

static void parse_obs(const char *weapon) {
  char line[1024];
  snprintf(line, sizeof line,
           "{\"what\":\"weapon_seen\",\"time\":\"2015-03-12T11:40:00+02:00\","
           "\"where\":{\"lat\":48.2571,\"lon\":37.9832}%s%s}",
           *weapon ? ",\"weapon\":" : "", weapon);
  truce_err rc = truce_obs_parse(line, strlen(line), NOW_MS, &obs, errbuf);
  CHECK_MSG(rc == TRUCE_OK, "%s: %s", line, errbuf);
}

#define CLASSIFY(weapon, want_cls, want_cal, want_flags)                     \
  do {                                                                       \
    truce_weapon_class c_;                                                   \
    double cal_;                                                             \
    unsigned f_;                                                             \
    parse_obs(weapon);                                                       \
    CHECK_OK(truce_obs_classify(&obs, &c_, &cal_, &f_));                     \
    CHECK_MSG(c_ == (want_cls), "%s: class %s", weapon,                      \
              c_ ? truce_weapon_class_name(c_) : "none");                    \
    CHECK_MSG(fabs(cal_ - (want_cal)) < 1e-9, "%s: calibre %g", weapon,      \
              cal_);                                                         \
    CHECK_MSG(f_ == (want_flags), "%s: flags %u", weapon, f_);               \
  } while (0)

TEST(test_classify) {
  /* Nothing known. */
  CLASSIFY("", TRUCE_WEAPON_NONE, 0, 0u);
  /* The observation's own class and calibre, no system. */
  CLASSIFY("{\"class\":\"mortar\",\"calibre_mm\":82}", TRUCE_WEAPON_MORTAR,
           82, 0u);
  /* A system alone: the catalogue fills both. */
  CLASSIFY("{\"system\":\"BM-21 Grad\"}", TRUCE_WEAPON_MLRS, 122,
           TRUCE_CLASSIFY_FILLED);
  CLASSIFY("{\"system\":\"Гвоздика\"}", TRUCE_WEAPON_ARTILLERY, 122,
           TRUCE_CLASSIFY_FILLED);
  /* Class given, calibre filled. */
  CLASSIFY("{\"class\":\"mlrs\",\"system\":\"Uragan\"}", TRUCE_WEAPON_MLRS,
           220, TRUCE_CLASSIFY_FILLED);
  /* Everything given and agreeing (152.4 is the 152 mm gun). */
  CLASSIFY("{\"class\":\"mlrs\",\"calibre_mm\":122,\"system\":\"Grad\"}",
           TRUCE_WEAPON_MLRS, 122, 0u);
  CLASSIFY("{\"class\":\"artillery\",\"calibre_mm\":152.4,\"system\":"
           "\"2A65\"}",
           TRUCE_WEAPON_ARTILLERY, 152.4, 0u);
  /* "unknown" class is no claim: filled, no contradiction. */
  CLASSIFY("{\"class\":\"unknown\",\"system\":\"T-72\"}", TRUCE_WEAPON_TANK,
           125, TRUCE_CLASSIFY_FILLED);
  /* Contradictions: the observation's own values are kept, flagged. */
  CLASSIFY("{\"class\":\"artillery\",\"system\":\"Grad\"}",
           TRUCE_WEAPON_ARTILLERY, 122,
           TRUCE_CLASSIFY_CONTRADICTS | TRUCE_CLASSIFY_FILLED);
  CLASSIFY("{\"class\":\"mlrs\",\"calibre_mm\":220,\"system\":\"Grad\"}",
           TRUCE_WEAPON_MLRS, 220, TRUCE_CLASSIFY_CONTRADICTS);
  CLASSIFY("{\"calibre_mm\":120,\"system\":\"2B14 Podnos\"}",
           TRUCE_WEAPON_MORTAR, 120,
           TRUCE_CLASSIFY_CONTRADICTS | TRUCE_CLASSIFY_FILLED);
  /* Unknown systems are kept and flagged, never guessed. */
  CLASSIFY("{\"system\":\"Grad-K\"}", TRUCE_WEAPON_NONE, 0,
           TRUCE_CLASSIFY_UNLISTED);
  CLASSIFY("{\"class\":\"artillery\",\"calibre_mm\":122,\"system\":"
           "\"Gvozdika-M\"}",
           TRUCE_WEAPON_ARTILLERY, 122, TRUCE_CLASSIFY_UNLISTED);
  CHECK_STR(obs.system, "Gvozdika-M");
}

TEST(test_classify_arguments) {
  truce_weapon_class c = TRUCE_WEAPON_TANK;
  double cal = 1;
  unsigned f = 9;
  parse_obs("{\"system\":\"Grad\"}");
  CHECK_RC(truce_obs_classify(NULL, &c, &cal, &f), TRUCE_EINVAL);
  CHECK(c == TRUCE_WEAPON_NONE && cal == 0 && f == 0);
  CHECK_RC(truce_obs_classify(&obs, NULL, &cal, &f), TRUCE_EINVAL);
  CHECK_RC(truce_obs_classify(&obs, &c, NULL, &f), TRUCE_EINVAL);
  CHECK_RC(truce_obs_classify(&obs, &c, &cal, NULL), TRUCE_EINVAL);
  /* A hand-made observation with an unterminated system is not read
   * past its array. */
  truce_obs o;
  memset(&o, 0, sizeof o);
  memset(o.system, 'G', sizeof o.system);
  CHECK_OK(truce_obs_classify(&o, &c, &cal, &f));
  CHECK(c == TRUCE_WEAPON_NONE && f == 0);
}

int main(void) {
  RUN(test_first_use_threads);
  RUN(test_required_systems);
  RUN(test_aliases);
  RUN(test_unknown_never_guessed);
  RUN(test_catalogue_is_the_file);
  RUN(test_classify);
  RUN(test_classify_arguments);
  return test_done(__FILE__);
}
