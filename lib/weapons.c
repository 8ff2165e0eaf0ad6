/*
 * weapons.c: the weapon catalogue (data/weapons.json, compiled in by
 * scripts/embed.sh) and the classification of an observation's weapon
 * through it.
 *
 * Owns: the catalogue's format, the rule for matching a system's name
 * (case, spaces and hyphens, and the aliases the file lists: nothing
 * fuzzier, because a wrong guess would put a weapon in the wrong
 * withdrawal class), and the flags truce_obs_classify raises. Depends on
 * jansson for reading the file once and on vocab.c for class words; must
 * not depend on the terms or on assessment, which call this.
 *
 * The catalogue is read into static tables on first use (pthread_once),
 * never through truce_malloc: a test that fails the Nth allocation must
 * not leave the process with a catalogue that failed to load for good.
 * jansson's own allocations are freed before the first lookup returns.
 */
#include "internal.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

/* data/weapons.json's bytes, made at build time (see the Makefile). */
static const unsigned char catalogue_json[] = {
#include "weapons_json.inc"
};

/* Hard caps on what the file may hold. The shipped file uses a fraction
 * of each; a file beyond them is refused whole, not cut. */
#define SYSTEMS_MAX 256
#define KEYS_MAX 2048
#define POOL_MAX (96u * 1024u)
#define NAME_MAX_BYTES 128 /* a name or alias as written */
#define KEY_MAX_BYTES 256  /* a name as matched (normalised) */

typedef struct system_entry {
  const char *name, *description, *source;
  truce_weapon_class cls;
  double calibre_mm;
} system_entry;

typedef struct key_entry {
  const char *key; /* normalised name or alias */
  size_t system;
} key_entry;

static system_entry systems[SYSTEMS_MAX];
static size_t nsystems;
static key_entry keys[KEYS_MAX];
static size_t nkeys;
static char pool[POOL_MAX];
static size_t pool_used;
static truce_err load_rc = TRUCE_EPARSE;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

/* ---- names ---- */

/* Append the normalised form of s[0..n) to out (cap bytes with the NUL):
 * ASCII and Cyrillic letters folded to lower case; spaces, no-break
 * spaces and hyphens (ASCII, U+2010..U+2013) dropped, since monitors
 * write "BM-21", "BM 21" and "BM21" for one launcher; every other byte
 * kept as is. Returns the length, or SIZE_MAX if it does not fit. */
static size_t normalise(const char *s, size_t n, char *out, size_t cap) {
  const unsigned char *p = (const unsigned char *)s;
  size_t o = 0, i = 0;
  while (i < n) {
    unsigned char c = p[i], d = i + 1 < n ? p[i + 1] : 0,
                  e = i + 2 < n ? p[i + 2] : 0;
    unsigned char b0 = c, b1 = 0;
    size_t take = 1, emit = 1;
    if (c == ' ' || c == '-') {
      i++;
      continue;
    }
    if (c == 0xc2 && d == 0xa0) { /* U+00A0 no-break space */
      i += 2;
      continue;
    }
    if (c == 0xe2 && d == 0x80 && e >= 0x90 && e <= 0x93) { /* U+2010-13 */
      i += 3;
      continue;
    }
    if (c >= 'A' && c <= 'Z') {
      b0 = (unsigned char)(c + 32);
    } else if (c == 0xd0 && d >= 0x80 && d <= 0xbf) {
      take = emit = 2;
      if (d <= 0x8f) { /* U+0400-040F -> U+0450-045F */
        b0 = 0xd1, b1 = (unsigned char)(d + 0x10);
      } else if (d <= 0x9f) { /* U+0410-041F -> U+0430-043F */
        b0 = 0xd0, b1 = (unsigned char)(d + 0x20);
      } else if (d <= 0xaf) { /* U+0420-042F -> U+0440-044F */
        b0 = 0xd1, b1 = (unsigned char)(d - 0x20);
      } else {
        b0 = c, b1 = d;
      }
    } else if (c == 0xd2 && d == 0x90) { /* U+0490 -> U+0491 (Ukrainian) */
      take = emit = 2;
      b0 = 0xd2, b1 = 0x91;
    }
    if (o + emit >= cap)
      return SIZE_MAX;
    out[o++] = (char)b0;
    if (emit == 2)
      out[o++] = (char)b1;
    i += take;
  }
  out[o] = '\0';
  return o;
}

/* ---- loading ---- */

static const char *pool_copy(const char *s, size_t n) {
  if (n + 1 > POOL_MAX - pool_used)
    return NULL;
  char *d = pool + pool_used;
  memcpy(d, s, n);
  d[n] = '\0';
  pool_used += n + 1;
  return d;
}

static int key_cmp(const void *a, const void *b) {
  return strcmp(((const key_entry *)a)->key, ((const key_entry *)b)->key);
}

static bool add_key(const char *name, size_t system) {
  char norm[KEY_MAX_BYTES];
  size_t n = strlen(name);
  if (n == 0 || n > NAME_MAX_BYTES || !utf8_text_ok(name, n, false))
    return false;
  size_t k = normalise(name, n, norm, sizeof norm);
  if (k == 0 || k == SIZE_MAX || nkeys == KEYS_MAX)
    return false;
  /* The same key twice for one system ("BM-21" and "BM 21") is harmless;
   * for two systems it is refused after sorting. */
  for (size_t i = 0; i < nkeys; i++)
    if (keys[i].system == system && strcmp(keys[i].key, norm) == 0)
      return true;
  const char *copy = pool_copy(norm, k);
  if (!copy)
    return false;
  keys[nkeys].key = copy;
  keys[nkeys].system = system;
  nkeys++;
  return true;
}

static const char *text_field(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  if (!json_is_string(v) || json_string_length(v) == 0)
    return NULL;
  return pool_copy(json_string_value(v), json_string_length(v));
}

static bool load_system(json_t *o) {
  static const char *const known[] = {"name",       "aliases",     "class",
                                      "calibre_mm", "description", "source"};
  if (!json_is_object(o) || nsystems == SYSTEMS_MAX)
    return false;
  const char *key;
  json_t *v;
  json_object_foreach(o, key, v) {
    bool ok = false;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
      ok = ok || strcmp(key, known[i]) == 0;
    if (!ok)
      return false;
  }
  system_entry *s = &systems[nsystems];
  json_t *cls = json_object_get(o, "class"),
         *cal = json_object_get(o, "calibre_mm"),
         *aliases = json_object_get(o, "aliases");
  s->name = text_field(o, "name");
  s->description = text_field(o, "description");
  s->source = text_field(o, "source");
  if (!s->name || !s->description || !s->source || !json_is_string(cls) ||
      !json_is_number(cal) || !json_is_array(aliases))
    return false;
  s->cls = truce_weapon_class_from_name(json_string_value(cls),
                                        json_string_length(cls));
  s->calibre_mm = json_number_value(cal);
  if (s->cls == TRUCE_WEAPON_NONE || !(s->calibre_mm > 0) ||
      s->calibre_mm > 2000)
    return false;
  if (!add_key(s->name, nsystems))
    return false;
  size_t i;
  json_array_foreach(aliases, i, v) {
    if (!json_is_string(v) || !add_key(json_string_value(v), nsystems))
      return false;
  }
  nsystems++;
  return true;
}

static void load(void) {
  json_error_t jerr;
  json_t *root = json_loadb((const char *)catalogue_json,
                            sizeof catalogue_json, JSON_REJECT_DUPLICATES,
                            &jerr);
  if (!root) {
    /* jansson says "out of memory" only when an allocation failed. */
    load_rc = strstr(jerr.text, "out of memory") ? TRUCE_ENOMEM
                                                 : TRUCE_EPARSE;
    return;
  }
  json_t *version = json_object_get(root, "truce_weapons"),
         *list = json_object_get(root, "systems");
  bool ok = json_is_integer(version) && json_integer_value(version) == 1 &&
            json_is_array(list) && json_array_size(list) > 0;
  size_t i;
  json_t *v;
  if (ok)
    json_array_foreach(list, i, v) {
      if (!load_system(v)) {
        ok = false;
        break;
      }
    }
  json_decref(root);
  if (ok) {
    qsort(keys, nkeys, sizeof keys[0], key_cmp);
    for (i = 1; i < nkeys; i++)
      if (strcmp(keys[i - 1].key, keys[i].key) == 0)
        ok = false; /* one name for two systems: ambiguous, refuse */
  }
  if (!ok) {
    nsystems = nkeys = 0;
    load_rc = TRUCE_EPARSE;
    return;
  }
  load_rc = TRUCE_OK;
}

static truce_err catalogue(void) {
  if (pthread_once(&load_once, load) != 0)
    return TRUCE_ENOMEM;
  return load_rc;
}

/* ---- lookups ---- */

truce_err truce_weapon_lookup(const char *system, truce_weapon_class *cls,
                              double *calibre_mm,
                              const char **canonical_name) {
  if (cls)
    *cls = TRUCE_WEAPON_NONE;
  if (calibre_mm)
    *calibre_mm = 0;
  if (canonical_name)
    *canonical_name = NULL;
  if (!system)
    return TRUCE_EINVAL;
  truce_err rc = catalogue();
  if (rc)
    return rc;
  char norm[KEY_MAX_BYTES];
  size_t n = normalise(system, strlen(system), norm, sizeof norm);
  if (n == 0 || n == SIZE_MAX)
    return TRUCE_ENOTFOUND;
  key_entry want = {norm, 0};
  const key_entry *k = bsearch(&want, keys, nkeys, sizeof keys[0], key_cmp);
  if (!k)
    return TRUCE_ENOTFOUND;
  const system_entry *s = &systems[k->system];
  if (cls)
    *cls = s->cls;
  if (calibre_mm)
    *calibre_mm = s->calibre_mm;
  if (canonical_name)
    *canonical_name = s->name;
  return TRUCE_OK;
}

size_t truce_weapon_count(void) {
  return catalogue() == TRUCE_OK ? nsystems : 0;
}

truce_err truce_weapon_at(size_t i, const char **name, truce_weapon_class *cls,
                          double *calibre_mm, const char **description) {
  if (name)
    *name = NULL;
  if (cls)
    *cls = TRUCE_WEAPON_NONE;
  if (calibre_mm)
    *calibre_mm = 0;
  if (description)
    *description = NULL;
  truce_err rc = catalogue();
  if (rc)
    return rc;
  if (i >= nsystems)
    return TRUCE_ENOTFOUND;
  if (name)
    *name = systems[i].name;
  if (cls)
    *cls = systems[i].cls;
  if (calibre_mm)
    *calibre_mm = systems[i].calibre_mm;
  if (description)
    *description = systems[i].description;
  return TRUCE_OK;
}

/* Calibres within this are the same gun: catalogues say 152 where the
 * bore is 152.4, 122 for 121.92. A real difference (120 vs 122) is more. */
#define CALIBRE_SAME_MM 0.5

truce_err truce_obs_classify(const truce_obs *o, truce_weapon_class *cls,
                             double *calibre_mm, unsigned *flags) {
  if (cls)
    *cls = TRUCE_WEAPON_NONE;
  if (calibre_mm)
    *calibre_mm = 0;
  if (flags)
    *flags = 0;
  if (!o || !cls || !calibre_mm || !flags)
    return TRUCE_EINVAL;
  truce_weapon_class own = o->weapon;
  if (own == TRUCE_WEAPON_UNKNOWN || own >= TRUCE_WEAPON_COUNT)
    own = TRUCE_WEAPON_NONE; /* "unknown" says nothing to contradict */
  double own_cal = isfinite(o->calibre_mm) && o->calibre_mm > 0
                       ? o->calibre_mm
                       : 0;
  *cls = own;
  *calibre_mm = own_cal;
  /* system[] is NUL-terminated by the parser; bound it all the same. */
  if (memchr(o->system, '\0', sizeof o->system) == NULL || !o->system[0])
    return TRUCE_OK;
  truce_weapon_class cat_cls;
  double cat_cal;
  truce_err rc = truce_weapon_lookup(o->system, &cat_cls, &cat_cal, NULL);
  if (rc == TRUCE_ENOTFOUND) {
    *flags |= TRUCE_CLASSIFY_UNLISTED;
    return TRUCE_OK;
  }
  if (rc) {
    *cls = TRUCE_WEAPON_NONE;
    *calibre_mm = 0;
    return rc;
  }
  if (own == TRUCE_WEAPON_NONE) {
    *cls = cat_cls;
    *flags |= TRUCE_CLASSIFY_FILLED;
  } else if (own != cat_cls) {
    *flags |= TRUCE_CLASSIFY_CONTRADICTS;
  }
  if (own_cal == 0) {
    *calibre_mm = cat_cal;
    *flags |= TRUCE_CLASSIFY_FILLED;
  } else if (fabs(own_cal - cat_cal) > CALIBRE_SAME_MM) {
    *flags |= TRUCE_CLASSIFY_CONTRADICTS;
  }
  return TRUCE_OK;
}
