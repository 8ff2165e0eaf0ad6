/*
 * terms.c: a terms file (docs/terms.md) -> struct truce_terms (terms.h),
 * with validation whose every message names the JSON path and says why,
 * and the one-line descriptions `truce terms show` prints.
 *
 * Owns: the terms file's schema, its limits and its wording. Depends on
 * jansson for reading JSON (a terms file is one large document, read
 * once; observations have their own reader), on geo.c for geometries
 * (each GeoJSON member is handed over as text, so geo.c stays the one
 * GeoJSON reader), on weapons.c for system names and on time.c for
 * times. Must not depend on assessment, the log or the CLI: they read
 * what this builds.
 *
 * Everything a truce_terms holds lives in one arena (blocks from
 * truce_malloc, so tests failing the Nth allocation reach it), except
 * geometries, which geo.c allocates and `owned` lists for freeing. A
 * half-built truce_terms is always freeable: that is how every error
 * path cleans up.
 */
#include "terms.h"

#include <jansson.h>
#include <math.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- the arena ---- */

struct terms_block {
  terms_block *next;
  size_t used, cap;
  alignas(max_align_t) unsigned char data[];
};

#define BLOCK_SIZE (64u * 1024u)
#define ALIGN_TO (alignof(max_align_t))

/* Zeroed memory that lives as long as t. */
static void *arena_alloc(truce_terms *t, size_t n) {
  n = n ? (n + ALIGN_TO - 1) / ALIGN_TO * ALIGN_TO : ALIGN_TO;
  terms_block *b = t->arena;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > BLOCK_SIZE ? n : BLOCK_SIZE;
    b = truce_malloc(sizeof *b + cap);
    if (!b)
      return NULL;
    b->used = 0;
    b->cap = cap;
    /* A large block goes behind the current one, so the current one's
     * free space is not abandoned. */
    if (t->arena && cap > BLOCK_SIZE) {
      b->next = t->arena->next;
      t->arena->next = b;
    } else {
      b->next = t->arena;
      t->arena = b;
    }
  }
  void *p = b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

static void *arena_array(truce_terms *t, size_t n, size_t size) {
  if (n && size > SIZE_MAX / n)
    return NULL;
  return arena_alloc(t, n * size);
}

static const char *arena_str(truce_terms *t, const char *s, size_t n) {
  char *d = arena_alloc(t, n + 1);
  if (d)
    memcpy(d, s, n);
  return d;
}

/* ---- the parser's state and messages ---- */

#define PATH_LEN 128
#define SHOW_LEN 64

typedef struct ctx {
  truce_terms *t;
  char *err;
  truce_geom **owned; /* every geometry parsed, for freeing */
  size_t nowned, owned_cap;
} ctx;

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

static truce_err fail(ctx *c, truce_err code, const char *path,
                      const char *fmt, ...) PRINTF_LIKE(4, 5);
static truce_err fail(ctx *c, truce_err code, const char *path,
                      const char *fmt, ...) {
  if (!c->err)
    return code;
  char msg[TRUCE_ERR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (path && *path)
    return seterr(c->err, code, "%s: %s", path, msg);
  return seterr(c->err, code, "%s", msg);
}

/* A value from the file, echoed in a message: at most ~60 bytes, cut on
 * a character boundary, control characters as '?' (a hostile file must
 * not drive the analyst's terminal). jansson has checked the UTF-8. */
static const char *show(const char *s, char out[SHOW_LEN]) {
  size_t o = 0;
  for (size_t i = 0; s[i];) {
    unsigned char ch = (unsigned char)s[i];
    size_t clen = ch < 0x80 ? 1 : ch < 0xe0 ? 2 : ch < 0xf0 ? 3 : 4;
    if (o + clen > SHOW_LEN - 4) {
      memcpy(out + o, "...", 3);
      o += 3;
      break;
    }
    bool ctrl = ch < 0x20 || ch == 0x7f ||
                (ch == 0xc2 && (unsigned char)s[i + 1] < 0xa0);
    if (ctrl) {
      out[o++] = '?';
      i += clen;
      continue;
    }
    for (size_t k = 0; k < clen && s[i]; k++)
      out[o++] = s[i++];
  }
  out[o] = '\0';
  return out;
}

/* A number for a message: short, exact enough to recognise. */
static const char *num(double x, char out[32]) {
  snprintf(out, 32, "%.15g", x);
  return out;
}

static const char *type_name(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT:
    return "an object";
  case JSON_ARRAY:
    return "an array";
  case JSON_STRING:
    return "a string";
  case JSON_INTEGER:
    return "an integer";
  case JSON_REAL:
    return "a number with a fraction";
  case JSON_TRUE:
  case JSON_FALSE:
    return "true/false";
  case JSON_NULL:
    return "null (leave the field out instead)";
  }
  return "something else";
}

static truce_err wrong_type(ctx *c, const char *path, const char *want,
                            const json_t *v) {
  return fail(c, TRUCE_EPARSE, path, "must be %s, got %s", want,
              type_name(v));
}

/* "parent.key" and "parent[i]", clipped to PATH_LEN (a clipped path is
 * still readable). Built by hand: paths are made of our own field names
 * and indices, and are only ever read in messages. out must not be
 * parent. */
static size_t put(char out[PATH_LEN], size_t o, const char *s) {
  while (*s && o < PATH_LEN - 1)
    out[o++] = *s++;
  out[o] = '\0';
  return o;
}

static const char *pkey(char out[PATH_LEN], const char *parent,
                        const char *key) {
  size_t o = put(out, 0, parent);
  if (o)
    o = put(out, o, ".");
  put(out, o, key);
  return out;
}

static const char *pidx(char out[PATH_LEN], const char *parent, size_t i) {
  char digits[24];
  size_t n = sizeof digits - 1;
  digits[n] = '\0';
  do {
    digits[--n] = (char)('0' + i % 10);
    i /= 10;
  } while (i && n > 1);
  digits[--n] = '[';
  put(out, put(out, put(out, 0, parent), digits + n), "]");
  return out;
}

/* A list of names for a message ("ua, ru"), bounded. */
typedef struct names {
  char s[200];
  size_t len;
} names;

static void names_add(names *l, const char *name) {
  if (l->len >= sizeof l->s - 1)
    return;
  int n = snprintf(l->s + l->len, sizeof l->s - l->len, "%s%s",
                   l->len ? ", " : "", name);
  if (n < 0 || (size_t)n >= sizeof l->s - l->len) {
    /* Cut: end with an ellipsis where it fits. */
    size_t at = sizeof l->s - 5;
    memcpy(l->s + at, " ...", 5);
    l->len = sizeof l->s - 1;
    return;
  }
  l->len += (size_t)n;
}

/* Every struct with an id has it first: a generic view of an id array. */
static const char *id_at(const void *base, size_t stride, size_t i) {
  const char *const *p =
      (const char *const *)(const void *)((const char *)base + stride * i);
  return *p;
}

static long find_id(const void *base, size_t n, size_t stride,
                    const char *id) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(id_at(base, stride, i), id) == 0)
      return (long)i;
  return -1;
}

static void id_list(names *l, const void *base, size_t n, size_t stride) {
  memset(l, 0, sizeof *l);
  for (size_t i = 0; i < n; i++)
    names_add(l, id_at(base, stride, i));
  if (n == 0)
    names_add(l, "none defined");
}

/* ---- fields ---- */

/* Every member of obj must be one of known (NULL-terminated). */
static truce_err check_keys(ctx *c, json_t *obj, const char *path,
                            const char *const *known) {
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    bool ok = false;
    for (size_t i = 0; known[i] && !ok; i++)
      ok = strcmp(key, known[i]) == 0;
    if (!ok) {
      names l = {{0}, 0};
      char shown[SHOW_LEN];
      for (size_t i = 0; known[i]; i++)
        names_add(&l, known[i]);
      return fail(c, TRUCE_EPARSE, path, "unknown field '%s' (known: %s)",
                  show(key, shown), l.s);
    }
  }
  return TRUCE_OK;
}

static truce_err missing(ctx *c, const char *path, const char *what) {
  return fail(c, TRUCE_EPARSE, path, "missing (%s)", what);
}

/* Text without control characters; newlines allowed where multi-line
 * text makes sense (notes, the method). DEL and C1 controls are refused
 * as in observations: none has a use in a report. */
static bool text_ok(const char *s, size_t n, bool allow_nl) {
  if (!utf8_text_ok(s, n, allow_nl))
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == 0x7f ||
        (ch == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0))
      return false;
  }
  return true;
}

/* A string member: *out is an arena copy, "" if absent and optional. */
static truce_err get_text(ctx *c, json_t *obj, const char *key,
                          const char *parent, bool required, size_t max,
                          bool allow_nl, const char **out) {
  char path[PATH_LEN];
  json_t *v = json_object_get(obj, key);
  *out = "";
  if (!v)
    return required ? missing(c, pkey(path, parent, key), "a string")
                    : TRUCE_OK;
  if (!json_is_string(v))
    return wrong_type(c, pkey(path, parent, key), "a string", v);
  size_t n = json_string_length(v);
  const char *s = json_string_value(v);
  if (n > max)
    return fail(c, TRUCE_ETOOBIG, pkey(path, parent, key),
                "%zu bytes (at most %zu)", n, max);
  if (!text_ok(s, n, allow_nl))
    return fail(c, TRUCE_EPARSE, pkey(path, parent, key),
                "contains a control character%s",
                allow_nl ? " (only newlines are allowed)" : "");
  if (required && n == 0)
    return fail(c, TRUCE_EPARSE, pkey(path, parent, key), "is empty");
  if (!(*out = arena_str(c->t, s, n)))
    return TRUCE_ENOMEM;
  return TRUCE_OK;
}

/* ids: 1 to TERMS_ID_MAX of a-z 0-9 . _ -, starting with a letter or
 * digit: they appear in messages, reports and file names as they are. */
static bool id_ok(const char *s, size_t n) {
  if (n == 0 || n > TERMS_ID_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
    if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
      return false;
  }
  return true;
}

static truce_err check_id(ctx *c, json_t *v, const char *path) {
  char shown[SHOW_LEN];
  if (!json_is_string(v))
    return wrong_type(c, path, "a string (an id)", v);
  if (!id_ok(json_string_value(v), json_string_length(v)))
    return fail(c, TRUCE_EPARSE, path,
                "'%s' is not an id (1 to %d of a-z, 0-9, '.', '_', '-', "
                "starting with a letter or digit)",
                show(json_string_value(v), shown), TERMS_ID_MAX);
  return TRUCE_OK;
}

static truce_err get_id(ctx *c, json_t *obj, const char *key,
                        const char *parent, const char **out) {
  char path[PATH_LEN];
  json_t *v = json_object_get(obj, key);
  *out = "";
  pkey(path, parent, key);
  if (!v)
    return missing(c, path, "an id");
  truce_err rc = check_id(c, v, path);
  if (rc)
    return rc;
  if (!(*out = arena_str(c->t, json_string_value(v), json_string_length(v))))
    return TRUCE_ENOMEM;
  return TRUCE_OK;
}

/* A number member in a range. lo_open: must be > lo (else >= lo). */
static truce_err get_num(ctx *c, json_t *obj, const char *key,
                         const char *parent, bool required, double lo,
                         bool lo_open, double hi, double *out) {
  char path[PATH_LEN], a[32], b[32];
  json_t *v = json_object_get(obj, key);
  pkey(path, parent, key);
  if (!v)
    return required ? missing(c, path, "a number") : TRUCE_OK;
  if (!json_is_number(v))
    return wrong_type(c, path, "a number", v);
  double x = json_number_value(v);
  if (lo_open ? !(x > lo) : !(x >= lo))
    return fail(c, TRUCE_ERANGE, path, "%s must be %s %s", num(x, a),
                lo_open ? ">" : ">=", num(lo, b));
  if (!(x <= hi))
    return fail(c, TRUCE_ERANGE, path, "%s must be at most %s", num(x, a),
                num(hi, b));
  *out = x;
  return TRUCE_OK;
}

static truce_err get_uint(ctx *c, json_t *obj, const char *key,
                          const char *parent, bool required, uint32_t lo,
                          uint32_t hi, uint32_t *out) {
  char path[PATH_LEN];
  json_t *v = json_object_get(obj, key);
  pkey(path, parent, key);
  if (!v)
    return required ? missing(c, path, "an integer") : TRUCE_OK;
  if (!json_is_integer(v))
    return wrong_type(c, path, "an integer", v);
  json_int_t x = json_integer_value(v);
  if (x < (json_int_t)lo || x > (json_int_t)hi)
    return fail(c, TRUCE_ERANGE, path, "%lld is out of range [%u, %u]",
                (long long)x, lo, hi);
  *out = (uint32_t)x;
  return TRUCE_OK;
}

static truce_err get_time(ctx *c, json_t *obj, const char *key,
                          const char *parent, bool required, int64_t *ms,
                          const char **text) {
  char path[PATH_LEN], shown[SHOW_LEN];
  json_t *v = json_object_get(obj, key);
  pkey(path, parent, key);
  if (!v)
    return required ? missing(c, path, "an RFC 3339 time with its offset")
                    : TRUCE_OK;
  if (!json_is_string(v))
    return wrong_type(c, path, "a string (an RFC 3339 time)", v);
  const char *s = json_string_value(v);
  truce_err rc = truce_time_parse(s, json_string_length(v), ms);
  if (rc == TRUCE_ERANGE)
    return fail(c, rc, path, "'%s' is not a possible time", show(s, shown));
  if (rc)
    return fail(c, TRUCE_EPARSE, path,
                "'%s' is not an RFC 3339 time with an offset (e.g. "
                "2015-02-15T00:00:00+02:00)",
                show(s, shown));
  if (text && !(*text = arena_str(c->t, s, json_string_length(v))))
    return TRUCE_ENOMEM;
  return TRUCE_OK;
}

/* An array member with at most max elements; *out NULL if absent. */
static truce_err get_array(ctx *c, json_t *obj, const char *key,
                           const char *parent, bool required, size_t max,
                           json_t **out) {
  char path[PATH_LEN];
  json_t *v = json_object_get(obj, key);
  *out = NULL;
  pkey(path, parent, key);
  if (!v)
    return required ? missing(c, path, "an array") : TRUCE_OK;
  if (!json_is_array(v))
    return wrong_type(c, path, "an array", v);
  if (json_array_size(v) > max)
    return fail(c, TRUCE_ETOOBIG, path, "%zu items (at most %zu)",
                json_array_size(v), max);
  *out = v;
  return TRUCE_OK;
}

/* A value that is one string or an array of strings ("zone": "a" or
 * "zone": ["a", "b"]): *out is an array either way (a new reference),
 * NULL if v is NULL and not required. */
static truce_err one_or_many(ctx *c, json_t *v, const char *path,
                             bool required, json_t **out, bool *single) {
  *out = NULL;
  *single = false;
  if (!v)
    return required ? missing(c, path, "a string or an array of strings")
                    : TRUCE_OK;
  if (json_is_string(v)) {
    json_t *a = json_array();
    if (!a || json_array_append(a, v) != 0) {
      json_decref(a);
      return TRUCE_ENOMEM;
    }
    *out = a;
    *single = true;
    return TRUCE_OK;
  }
  if (!json_is_array(v))
    return wrong_type(c, path, "a string or an array of strings", v);
  if (json_array_size(v) == 0)
    return fail(c, TRUCE_EPARSE, path, "is empty");
  if (json_array_size(v) > TERMS_LIST_MAX)
    return fail(c, TRUCE_ETOOBIG, path, "%zu items (at most %d)",
                json_array_size(v), TERMS_LIST_MAX);
  *out = json_incref(v);
  return TRUCE_OK;
}

static truce_err get_one_or_many(ctx *c, json_t *obj, const char *key,
                                 const char *parent, bool required,
                                 json_t **out, bool *single) {
  char path[PATH_LEN];
  return one_or_many(c, json_object_get(obj, key), pkey(path, parent, key),
                     required, out, single);
}

/* The path of element i of a one-or-many member: "rules[2].zone" for a
 * single string, "rules[2].zone[1]" in an array. */
static const char *elem_path(char out[PATH_LEN], const char *path, size_t i,
                             bool single) {
  if (single)
    put(out, 0, path);
  else
    pidx(out, path, i);
  return out;
}

/* ---- references ---- */

static truce_err party_ref(ctx *c, json_t *v, const char *path, int *out) {
  char shown[SHOW_LEN];
  truce_terms *t = c->t;
  if (!json_is_string(v))
    return wrong_type(c, path, "a string (a party id)", v);
  long i = find_id(t->parties, t->nparties, sizeof t->parties[0],
                   json_string_value(v));
  if (i < 0) {
    names l;
    id_list(&l, t->parties, t->nparties, sizeof t->parties[0]);
    return fail(c, TRUCE_EPARSE, path, "'%s' is not one of the parties (%s)",
                show(json_string_value(v), shown), l.s);
  }
  *out = (int)i;
  return TRUCE_OK;
}

/* A reference by id to one of n structs at base: "no zone 'x' (zones:
 * a, b)". what: "zone"; plural: "zones". */
static truce_err ref(ctx *c, json_t *v, const char *path, const void *base,
                     size_t n, size_t stride, const char *what,
                     const char *plural, int *out) {
  char shown[SHOW_LEN];
  if (!json_is_string(v))
    return wrong_type(c, path, "a string (an id)", v);
  long i = find_id(base, n, stride, json_string_value(v));
  if (i < 0) {
    names l;
    id_list(&l, base, n, stride);
    return fail(c, TRUCE_EPARSE, path, "no %s '%s' (%s: %s)", what,
                show(json_string_value(v), shown), plural, l.s);
  }
  *out = (int)i;
  return TRUCE_OK;
}

/* An id already used by an earlier element of the same list. */
static truce_err check_unique(ctx *c, const void *base, size_t i,
                              size_t stride, const char *list,
                              const char *path) {
  const char *id = id_at(base, stride, i);
  for (size_t j = 0; j < i; j++)
    if (strcmp(id_at(base, stride, j), id) == 0)
      return fail(c, TRUCE_EPARSE, path, "'%s' is already %s[%zu]", id, list,
                  j);
  return TRUCE_OK;
}

/* ---- geometries ---- */

/* A GeoJSON member, handed to geo.c as text; its messages get our path
 * in front ("zones[1].area: coordinates[0][3]: latitude 95 ..."). */
static truce_err get_geom(ctx *c, json_t *v, const char *path, int want,
                          truce_geom **out) {
  *out = NULL;
  if (!json_is_object(v))
    return wrong_type(c, path, "a GeoJSON object", v);
  if (c->nowned == c->owned_cap)
    return fail(c, TRUCE_ETOOBIG, path, "too many geometries");
  char *text = json_dumps(v, JSON_COMPACT);
  if (!text)
    return TRUCE_ENOMEM;
  truce_geom *g = NULL;
  truce_err rc = truce_geom_parse(text, strlen(text), &g, c->err);
  json_free_t jfree;
  json_get_alloc_funcs(NULL, &jfree);
  jfree(text);
  if (rc) {
    if (rc != TRUCE_ENOMEM)
      errprefix(c->err, "%s", path);
    return rc;
  }
  c->owned[c->nowned++] = g;
  int kind = truce_geom_kind(g);
  if (kind != want) {
    if (want == TRUCE_GEOM_LINE)
      return fail(c, TRUCE_EPARSE, path,
                  "is an area (Polygon or MultiPolygon); a line must be a "
                  "LineString or MultiLineString (for the edge of a control "
                  "area, use boundary_of)");
    return fail(c, TRUCE_EPARSE, path,
                "is a line (LineString or MultiLineString); an area must "
                "be a Polygon or MultiPolygon");
  }
  *out = g;
  return TRUCE_OK;
}

/* ---- words ---- */

static const char *const rule_types[] = {
    NULL, "ceasefire", "withdrawal", "zone", "cap", "precondition",
    "holding"};
#define RULE_TYPES_N (sizeof rule_types / sizeof rule_types[0])

const char *terms_rule_type_name(terms_rule_type t) {
  switch (t) {
  case TERMS_RULE_CEASEFIRE:
  case TERMS_RULE_WITHDRAWAL:
  case TERMS_RULE_ZONE:
  case TERMS_RULE_CAP:
  case TERMS_RULE_PRECONDITION:
  case TERMS_RULE_HOLDING:
    return rule_types[t];
  }
  return NULL;
}

/* A side word: left/right for a drawn line, inside/outside for a
 * boundary. */
static truce_err side_word(ctx *c, json_t *v, const char *path, int kind,
                           int *out) {
  char shown[SHOW_LEN];
  if (!json_is_string(v))
    return wrong_type(c, path, "a string", v);
  const char *s = json_string_value(v);
  if (kind == TERMS_LINE_BOUNDARY) {
    if (strcmp(s, "inside") == 0)
      return *out = TERMS_SIDE_INSIDE, TRUCE_OK;
    if (strcmp(s, "outside") == 0)
      return *out = TERMS_SIDE_OUTSIDE, TRUCE_OK;
    return fail(c, TRUCE_EVOCAB, path,
                "'%s' is not inside or outside (the side of an area's "
                "boundary)",
                show(s, shown));
  }
  if (strcmp(s, "left") == 0)
    return *out = TERMS_SIDE_LEFT, TRUCE_OK;
  if (strcmp(s, "right") == 0)
    return *out = TERMS_SIDE_RIGHT, TRUCE_OK;
  return fail(c, TRUCE_EVOCAB, path,
              "'%s' is not left or right (seen walking along the line in "
              "the order its points are drawn)",
              show(s, shown));
}

/* What words and the two groups, as a truce_what bit mask. */
static truce_err get_what(ctx *c, json_t *obj, const char *key,
                          const char *parent, uint32_t dflt, uint32_t *out) {
  char path[PATH_LEN], ep[PATH_LEN], shown[SHOW_LEN];
  json_t *list;
  bool single;
  *out = dflt;
  pkey(path, parent, key);
  truce_err rc = get_one_or_many(c, obj, key, parent, dflt == 0, &list,
                                 &single);
  if (rc || !list)
    return rc;
  uint32_t mask = 0;
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    elem_path(ep, path, i, single);
    if (!json_is_string(v)) {
      rc = wrong_type(c, ep, "a string (a what word)", v);
      break;
    }
    const char *s = json_string_value(v);
    uint32_t bits = 0;
    if (strcmp(s, "fire") == 0)
      bits = TERMS_WHAT_FIRE;
    else if (strcmp(s, "presence") == 0)
      bits = TERMS_WHAT_PRESENCE;
    else {
      truce_what w = truce_what_from_name(s, json_string_length(v));
      if (w != TRUCE_WHAT_NONE)
        bits = 1u << w;
    }
    if (!bits) {
      names l = {{0}, 0};
      names_add(&l, "fire, presence");
      for (int w = 1; w < TRUCE_WHAT_COUNT; w++)
        names_add(&l, truce_what_name((truce_what)w));
      rc = fail(c, TRUCE_EVOCAB, ep, "'%s' is not a what word or group (%s)",
                show(s, shown), l.s);
      break;
    }
    mask |= bits;
  }
  json_decref(list);
  if (!rc)
    *out = mask;
  return rc;
}

/* ---- the parts of a terms file ---- */

static truce_err parse_parties(ctx *c, json_t *root) {
  static const char *const keys[] = {"id", "name", NULL};
  truce_terms *t = c->t;
  json_t *a, *v;
  char path[PATH_LEN], ip[PATH_LEN];
  truce_err rc = get_array(c, root, "parties", "", true, TERMS_PARTIES_MAX,
                           &a);
  if (rc)
    return rc;
  if (json_array_size(a) < 2)
    return fail(c, TRUCE_EPARSE, "parties",
                "a ceasefire has at least 2 parties, got %zu",
                json_array_size(a));
  if (!(t->parties = arena_array(t, json_array_size(a), sizeof *t->parties)))
    return TRUCE_ENOMEM;
  size_t i;
  json_array_foreach(a, i, v) {
    pidx(path, "parties", i);
    if (!json_is_object(v))
      return wrong_type(c, path, "an object", v);
    terms_party *p = &t->parties[i];
    if ((rc = check_keys(c, v, path, keys)) ||
        (rc = get_id(c, v, "id", path, &p->id)) ||
        (rc = get_text(c, v, "name", path, false, TERMS_NAME_MAX, false,
                       &p->name)))
      return rc;
    t->nparties = i + 1;
    if ((rc = check_unique(c, t->parties, i, sizeof *p, "parties",
                           pkey(ip, path, "id"))))
      return rc;
  }
  return TRUCE_OK;
}

/* IANA time zone names ("Europe/Kyiv", "UTC", "Etc/GMT-2"): the offset
 * in the time is what counts; the zone is kept as written, for readers.
 * Checking it against a zone database would make a file's validity
 * depend on the machine, so only its spelling is checked. */
static bool zone_name_ok(const char *s, size_t n) {
  if (n == 0 || n > TERMS_ID_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch == '/' || ch == '_' || ch == '-' ||
          ch == '+'))
      return false;
  }
  return true;
}

static truce_err parse_start(ctx *c, json_t *root) {
  static const char *const keys[] = {"time", "zone", NULL};
  truce_terms *t = c->t;
  char shown[SHOW_LEN];
  json_t *v = json_object_get(root, "start");
  truce_err rc;
  if (!v)
    return missing(c, "start",
                   "{\"time\": RFC 3339 time with its offset, \"zone\": "
                   "time zone name}");
  if (!json_is_object(v))
    return wrong_type(c, "start", "an object", v);
  if ((rc = check_keys(c, v, "start", keys)) ||
      (rc = get_time(c, v, "time", "start", true, &t->start_ms,
                     &t->start_text)) ||
      (rc = get_text(c, v, "zone", "start", true, TERMS_ID_MAX, false,
                     &t->start_zone)))
    return rc;
  if (!zone_name_ok(t->start_zone, strlen(t->start_zone)))
    return fail(c, TRUCE_EPARSE, "start.zone",
                "'%s' is not a time zone name (like Europe/Kyiv or UTC)",
                show(t->start_zone, shown));
  return TRUCE_OK;
}

/* Control statements. A SIDE statement's line is resolved later (lines
 * come after control, since a line may be the boundary of a control
 * area): *pending[i] keeps its JSON value. */
static truce_err parse_control(ctx *c, json_t *root, json_t **pending) {
  static const char *const keys[] = {"id",         "party", "line", "side",
                                     "area",       "outside_of", "source",
                                     "note",       NULL};
  truce_terms *t = c->t;
  json_t *a, *v;
  char path[PATH_LEN], fp[PATH_LEN];
  truce_err rc = get_array(c, root, "control", "", false, TERMS_CONTROL_MAX,
                           &a);
  if (rc || !a)
    return rc;
  if (!(t->control = arena_array(t, json_array_size(a), sizeof *t->control)))
    return TRUCE_ENOMEM;
  size_t i;
  json_array_foreach(a, i, v) {
    pidx(path, "control", i);
    if (!json_is_object(v))
      return wrong_type(c, path, "an object", v);
    terms_control *k = &t->control[i];
    k->line = k->outside_of = -1;
    if ((rc = check_keys(c, v, path, keys)) ||
        (rc = get_id(c, v, "id", path, &k->id)))
      return rc;
    t->ncontrol = i + 1;
    if ((rc = check_unique(c, t->control, i, sizeof *k, "control",
                           pkey(fp, path, "id"))))
      return rc;
    json_t *party = json_object_get(v, "party");
    if (!party)
      return missing(c, pkey(fp, path, "party"), "the party holding it");
    if ((rc = party_ref(c, party, pkey(fp, path, "party"), &k->party)) ||
        (rc = get_text(c, v, "source", path, false, TERMS_TEXT_MAX, true,
                       &k->source)) ||
        (rc = get_text(c, v, "note", path, false, TERMS_TEXT_MAX, true,
                       &k->note)))
      return rc;
    json_t *line = json_object_get(v, "line"),
           *side = json_object_get(v, "side"),
           *area = json_object_get(v, "area"),
           *outside = json_object_get(v, "outside_of");
    int forms = (line || side) + !!area + !!outside;
    if (forms != 1)
      return fail(c, TRUCE_EPARSE, path,
                  forms ? "give one of line + side, area, outside_of"
                        : "says nothing of where (give line + side, area, "
                          "or outside_of)");
    if (line || side) {
      if (!line)
        return missing(c, pkey(fp, path, "line"), "the line whose side");
      if (!side)
        return missing(c, pkey(fp, path, "side"), "left or right");
      k->kind = TERMS_CONTROL_SIDE;
      if ((rc = side_word(c, side, pkey(fp, path, "side"), TERMS_LINE_DRAWN,
                          &k->side)))
        return rc;
      pending[i] = line;
    } else if (area) {
      k->kind = TERMS_CONTROL_AREA;
      if ((rc = get_geom(c, area, pkey(fp, path, "area"), TRUCE_GEOM_AREA,
                         &k->area)))
        return rc;
    } else {
      k->kind = TERMS_CONTROL_OUTSIDE;
      pending[i] = outside;
    }
  }
  /* outside_of needs every statement's id, so it is resolved here. */
  for (i = 0; i < t->ncontrol; i++) {
    terms_control *k = &t->control[i];
    if (k->kind != TERMS_CONTROL_OUTSIDE)
      continue;
    pkey(fp, pidx(path, "control", i), "outside_of");
    if ((rc = ref(c, pending[i], fp, t->control, t->ncontrol, sizeof *k,
                  "control statement", "control", &k->outside_of)))
      return rc;
    if (t->control[k->outside_of].kind != TERMS_CONTROL_AREA)
      return fail(c, TRUCE_EPARSE, fp,
                  "'%s' is not an area statement (outside_of names a "
                  "statement with an area)",
                  t->control[k->outside_of].id);
    pending[i] = NULL;
  }
  return TRUCE_OK;
}

static truce_err parse_sides(ctx *c, json_t *v, const char *path,
                             terms_line *l) {
  char sp[PATH_LEN], shown[SHOW_LEN];
  truce_terms *t = c->t;
  if (!v)
    return missing(c, path,
                   "each party's own side: {\"<party>\": \"left\" or "
                   "\"right\"}");
  if (!json_is_object(v))
    return wrong_type(c, path, "an object", v);
  const char *key;
  json_t *s;
  truce_err rc;
  json_object_foreach(v, key, s) {
    long p = find_id(t->parties, t->nparties, sizeof t->parties[0], key);
    if (p < 0) {
      names l2;
      id_list(&l2, t->parties, t->nparties, sizeof t->parties[0]);
      return fail(c, TRUCE_EPARSE, path, "'%s' is not one of the parties (%s)",
                  show(key, shown), l2.s);
    }
    int side = 0;
    if ((rc = side_word(c, s, pkey(sp, path, key), l->kind, &side)))
      return rc;
    l->side[p] = (signed char)side;
  }
  if (json_object_size(v) == 0)
    return fail(c, TRUCE_EPARSE, path, "states no party's side");
  /* A reference line divides: two parties on one side of it is a
   * mistake in the file, and would make "own side" mean nothing. */
  for (size_t p = 0; p < t->nparties; p++)
    for (size_t q = p + 1; q < t->nparties; q++)
      if (l->side[p] && l->side[p] == l->side[q])
        return fail(c, TRUCE_EPARSE, path,
                    "'%s' and '%s' are on the same side; a reference line "
                    "divides the parties",
                    t->parties[p].id, t->parties[q].id);
  if (l->party >= 0 && !l->side[l->party])
    return fail(c, TRUCE_EPARSE, path,
                "says nothing of '%s', the line's own party",
                t->parties[l->party].id);
  return TRUCE_OK;
}

static truce_err parse_lines(ctx *c, json_t *root) {
  static const char *const keys[] = {"id",    "name", "party",  "geometry",
                                     "boundary_of", "sides", "source",
                                     "note",  NULL};
  truce_terms *t = c->t;
  json_t *a, *v;
  char path[PATH_LEN], fp[PATH_LEN];
  truce_err rc = get_array(c, root, "lines", "", false, TERMS_LINES_MAX, &a);
  if (rc || !a)
    return rc;
  if (!(t->lines = arena_array(t, json_array_size(a), sizeof *t->lines)))
    return TRUCE_ENOMEM;
  size_t i;
  json_array_foreach(a, i, v) {
    pidx(path, "lines", i);
    if (!json_is_object(v))
      return wrong_type(c, path, "an object", v);
    terms_line *l = &t->lines[i];
    l->party = l->boundary_of = -1;
    if ((rc = check_keys(c, v, path, keys)) ||
        (rc = get_id(c, v, "id", path, &l->id)))
      return rc;
    t->nlines = i + 1;
    if ((rc = check_unique(c, t->lines, i, sizeof *l, "lines",
                           pkey(fp, path, "id"))) ||
        (rc = get_text(c, v, "name", path, false, TERMS_NAME_MAX, false,
                       &l->name)) ||
        (rc = get_text(c, v, "source", path, false, TERMS_TEXT_MAX, true,
                       &l->source)) ||
        (rc = get_text(c, v, "note", path, false, TERMS_TEXT_MAX, true,
                       &l->note)))
      return rc;
    json_t *party = json_object_get(v, "party");
    if (party && (rc = party_ref(c, party, pkey(fp, path, "party"),
                                 &l->party)))
      return rc;
    json_t *geom = json_object_get(v, "geometry"),
           *boundary = json_object_get(v, "boundary_of");
    if (geom && boundary)
      return fail(c, TRUCE_EPARSE, path,
                  "give geometry or boundary_of, not both");
    if (geom) {
      l->kind = TERMS_LINE_DRAWN;
      if ((rc = get_geom(c, geom, pkey(fp, path, "geometry"),
                         TRUCE_GEOM_LINE, &l->geom)))
        return rc;
    } else if (boundary) {
      l->kind = TERMS_LINE_BOUNDARY;
      pkey(fp, path, "boundary_of");
      if ((rc = ref(c, boundary, fp, t->control, t->ncontrol,
                    sizeof t->control[0], "control statement", "control",
                    &l->boundary_of)))
        return rc;
      const terms_control *k = &t->control[l->boundary_of];
      if (k->kind != TERMS_CONTROL_AREA)
        return fail(c, TRUCE_EPARSE, fp,
                    "'%s' is not an area statement (boundary_of names a "
                    "control statement with an area)",
                    k->id);
      l->geom = k->area;
    } else {
      return missing(c, pkey(fp, path, "geometry"),
                     "a GeoJSON LineString or MultiLineString, or "
                     "boundary_of a control area");
    }
    if ((rc = parse_sides(c, json_object_get(v, "sides"),
                          pkey(fp, path, "sides"), l)))
      return rc;
  }
  return TRUCE_OK;
}

static truce_err resolve_control_lines(ctx *c, json_t **pending) {
  truce_terms *t = c->t;
  char path[PATH_LEN], fp[PATH_LEN];
  truce_err rc;
  for (size_t i = 0; i < t->ncontrol; i++) {
    terms_control *k = &t->control[i];
    if (k->kind != TERMS_CONTROL_SIDE)
      continue;
    pkey(fp, pidx(path, "control", i), "line");
    if ((rc = ref(c, pending[i], fp, t->lines, t->nlines, sizeof t->lines[0],
                  "line", "lines", &k->line)))
      return rc;
    if (t->lines[k->line].kind != TERMS_LINE_DRAWN)
      return fail(c, TRUCE_EPARSE, fp,
                  "'%s' is the boundary of an area: hold the area (area or "
                  "outside_of) instead of a side of it",
                  t->lines[k->line].id);
  }
  return TRUCE_OK;
}

static truce_err parse_zones(ctx *c, json_t *root) {
  static const char *const keys[] = {"id",     "name",    "area", "around",
                                     "near_km", "source", "note", NULL};
  static const char *const around_keys[] = {"line", "km", NULL};
  truce_terms *t = c->t;
  json_t *a, *v;
  char path[PATH_LEN], fp[PATH_LEN], lp[PATH_LEN];
  truce_err rc = get_array(c, root, "zones", "", false, TERMS_ZONES_MAX, &a);
  if (rc || !a)
    return rc;
  if (!(t->zones = arena_array(t, json_array_size(a), sizeof *t->zones)))
    return TRUCE_ENOMEM;
  size_t i;
  json_array_foreach(a, i, v) {
    pidx(path, "zones", i);
    if (!json_is_object(v))
      return wrong_type(c, path, "an object", v);
    terms_zone *z = &t->zones[i];
    z->line = -1;
    if ((rc = check_keys(c, v, path, keys)) ||
        (rc = get_id(c, v, "id", path, &z->id)))
      return rc;
    t->nzones = i + 1;
    if ((rc = check_unique(c, t->zones, i, sizeof *z, "zones",
                           pkey(fp, path, "id"))) ||
        (rc = get_text(c, v, "name", path, false, TERMS_NAME_MAX, false,
                       &z->name)) ||
        (rc = get_text(c, v, "source", path, false, TERMS_TEXT_MAX, true,
                       &z->source)) ||
        (rc = get_text(c, v, "note", path, false, TERMS_TEXT_MAX, true,
                       &z->note)) ||
        (rc = get_num(c, v, "near_km", path, false, 0, false, TERMS_KM_MAX,
                      &z->near_km)))
      return rc;
    json_t *area = json_object_get(v, "area"),
           *around = json_object_get(v, "around");
    if (area && around)
      return fail(c, TRUCE_EPARSE, path, "give area or around, not both");
    if (area) {
      if ((rc = get_geom(c, area, pkey(fp, path, "area"), TRUCE_GEOM_AREA,
                         &z->area)))
        return rc;
    } else if (around) {
      pkey(fp, path, "around");
      if (!json_is_object(around))
        return wrong_type(c, fp, "an object ({\"line\": id, \"km\": n})",
                          around);
      json_t *line = json_object_get(around, "line");
      if ((rc = check_keys(c, around, fp, around_keys)))
        return rc;
      if (!line)
        return missing(c, pkey(lp, fp, "line"), "a line id");
      if ((rc = ref(c, line, pkey(lp, fp, "line"), t->lines, t->nlines,
                    sizeof t->lines[0], "line", "lines", &z->line)) ||
          (rc = get_num(c, around, "km", fp, true, 0, true, TERMS_KM_MAX,
                        &z->half_width_km)))
        return rc;
    } else {
      return missing(c, pkey(fp, path, "area"),
                     "a GeoJSON Polygon or MultiPolygon, or around a line");
    }
  }
  return TRUCE_OK;
}

/* ---- holding sites ---- */

typedef struct item_ref {
  const terms_item *item;
  size_t site, index;
} item_ref;

static int item_cmp(const void *a, const void *b) {
  const item_ref *x = a, *y = b;
  int r = strcmp(x->item->system, y->item->system);
  if (!r)
    r = strcmp(x->item->serial, y->item->serial);
  if (!r)
    r = x->site < y->site ? -1 : x->site > y->site;
  if (!r)
    r = x->index < y->index ? -1 : x->index > y->index;
  return r;
}

static truce_err parse_items(ctx *c, json_t *v, const char *path,
                             terms_site *s) {
  static const char *const keys[] = {"serial", "system", NULL};
  truce_terms *t = c->t;
  json_t *a, *it;
  char ip[PATH_LEN], fp[PATH_LEN], shown[SHOW_LEN];
  truce_err rc = get_array(c, v, "items", path, false, TERMS_ITEMS_MAX, &a);
  if (rc || !a)
    return rc;
  if (json_array_size(a) > TERMS_ITEMS_MAX - t->nitems)
    return fail(c, TRUCE_ETOOBIG, pkey(fp, path, "items"),
                "more than %d registered items in all", TERMS_ITEMS_MAX);
  if (!(s->items = arena_array(t, json_array_size(a), sizeof *s->items)))
    return TRUCE_ENOMEM;
  size_t i;
  json_array_foreach(a, i, it) {
    pidx(ip, pkey(fp, path, "items"), i);
    if (!json_is_object(it))
      return wrong_type(c, ip, "an object ({\"serial\", \"system\"})", it);
    terms_item *m = &s->items[i];
    const char *system;
    if ((rc = check_keys(c, it, ip, keys)) ||
        (rc = get_text(c, it, "serial", ip, true, TERMS_ID_MAX, false,
                       &m->serial)) ||
        (rc = get_text(c, it, "system", ip, true, TERMS_NAME_MAX, false,
                       &system)))
      return rc;
    rc = truce_weapon_lookup(system, &m->cls, &m->calibre_mm, &m->system);
    if (rc == TRUCE_ENOTFOUND)
      return fail(c, TRUCE_EVOCAB, pkey(fp, ip, "system"),
                  "'%s' is not in the weapon catalogue (data/weapons.json); "
                  "truce does not guess",
                  show(system, shown));
    if (rc)
      return fail(c, rc, pkey(fp, ip, "system"),
                  "the weapon catalogue cannot be read");
    s->nitems = i + 1;
    t->nitems++;
  }
  return TRUCE_OK;
}

static truce_err check_items_unique(ctx *c) {
  truce_terms *t = c->t;
  if (t->nitems < 2)
    return TRUCE_OK;
  item_ref *refs = truce_calloc(t->nitems, sizeof *refs);
  if (!refs)
    return TRUCE_ENOMEM;
  size_t n = 0;
  for (size_t s = 0; s < t->nsites; s++)
    for (size_t i = 0; i < t->sites[s].nitems; i++)
      refs[n++] = (item_ref){&t->sites[s].items[i], s, i};
  qsort(refs, n, sizeof *refs, item_cmp);
  truce_err rc = TRUCE_OK;
  for (size_t i = 1; i < n && !rc; i++) {
    if (strcmp(refs[i].item->system, refs[i - 1].item->system) ||
        strcmp(refs[i].item->serial, refs[i - 1].item->serial))
      continue;
    char path[PATH_LEN], shown[SHOW_LEN];
    snprintf(path, sizeof path, "sites[%zu].items[%zu]", refs[i].site,
             refs[i].index);
    rc = fail(c, TRUCE_EPARSE, path,
              "%s serial '%s' is already registered at sites[%zu].items[%zu]",
              refs[i].item->system, show(refs[i].item->serial, shown),
              refs[i - 1].site, refs[i - 1].index);
  }
  truce_free(refs);
  return rc;
}

static truce_err parse_sites(ctx *c, json_t *root) {
  static const char *const keys[] = {"id",    "name",  "party",  "where",
                                     "area",  "items", "source", "note",
                                     NULL};
  static const char *const where_keys[] = {"lat", "lon", "radius_m", NULL};
  truce_terms *t = c->t;
  json_t *a, *v;
  char path[PATH_LEN], fp[PATH_LEN];
  truce_err rc = get_array(c, root, "sites", "", false, TERMS_SITES_MAX, &a);
  if (rc || !a)
    return rc;
  if (!(t->sites = arena_array(t, json_array_size(a), sizeof *t->sites)))
    return TRUCE_ENOMEM;
  size_t i;
  json_array_foreach(a, i, v) {
    pidx(path, "sites", i);
    if (!json_is_object(v))
      return wrong_type(c, path, "an object", v);
    terms_site *s = &t->sites[i];
    if ((rc = check_keys(c, v, path, keys)) ||
        (rc = get_id(c, v, "id", path, &s->id)))
      return rc;
    t->nsites = i + 1;
    if ((rc = check_unique(c, t->sites, i, sizeof *s, "sites",
                           pkey(fp, path, "id"))) ||
        (rc = get_text(c, v, "name", path, false, TERMS_NAME_MAX, false,
                       &s->name)) ||
        (rc = get_text(c, v, "source", path, false, TERMS_TEXT_MAX, true,
                       &s->source)) ||
        (rc = get_text(c, v, "note", path, false, TERMS_TEXT_MAX, true,
                       &s->note)))
      return rc;
    json_t *party = json_object_get(v, "party");
    if (!party)
      return missing(c, pkey(fp, path, "party"), "the party whose site it is");
    if ((rc = party_ref(c, party, fp, &s->party)))
      return rc;
    json_t *where = json_object_get(v, "where"),
           *area = json_object_get(v, "area");
    if (where && area)
      return fail(c, TRUCE_EPARSE, path, "give where or area, not both");
    if (where) {
      pkey(fp, path, "where");
      if (!json_is_object(where))
        return wrong_type(c, fp, "an object ({\"lat\", \"lon\", "
                                 "\"radius_m\"})",
                          where);
      if ((rc = check_keys(c, where, fp, where_keys)) ||
          (rc = get_num(c, where, "lat", fp, true, -90, false, 90,
                        &s->lat_deg)) ||
          (rc = get_num(c, where, "lon", fp, true, -180, false, 180,
                        &s->lon_deg)) ||
          (rc = get_num(c, where, "radius_m", fp, true, 0, true, 100000,
                        &s->radius_m)))
        return rc;
    } else if (area) {
      if ((rc = get_geom(c, area, pkey(fp, path, "area"), TRUCE_GEOM_AREA,
                         &s->area)))
        return rc;
    } else {
      return missing(c, pkey(fp, path, "where"),
                     "{\"lat\", \"lon\", \"radius_m\"}, or an area");
    }
    if ((rc = parse_items(c, v, path, s)))
      return rc;
  }
  return check_items_unique(c);
}

/* ---- rules ---- */

static truce_err parse_weapons(ctx *c, json_t *rule, const char *parent,
                               terms_weapons *w) {
  static const char *const keys[] = {"classes",        "calibre_min_mm",
                                     "calibre_max_mm", "calibre_below_mm",
                                     "systems",        NULL};
  truce_terms *t = c->t;
  char path[PATH_LEN], ep[PATH_LEN], lp[PATH_LEN], a[32], b[32],
      shown[SHOW_LEN];
  json_t *v = json_object_get(rule, "weapons"), *list, *e;
  truce_err rc;
  pkey(path, parent, "weapons");
  if (!v)
    return missing(c, path,
                   "{\"classes\": [...], \"calibre_min_mm\": n} or "
                   "{\"systems\": [...]}");
  if (!json_is_object(v))
    return wrong_type(c, path, "an object", v);
  if ((rc = check_keys(c, v, path, keys)))
    return rc;
  if ((rc = get_array(c, v, "classes", path, false, TERMS_LIST_MAX, &list)))
    return rc;
  size_t i;
  if (list)
    json_array_foreach(list, i, e) {
      pidx(ep, pkey(lp, path, "classes"), i);
      if (!json_is_string(e))
        return wrong_type(c, ep, "a string (a weapon class)", e);
      truce_weapon_class k = truce_weapon_class_from_name(
          json_string_value(e), json_string_length(e));
      if (k == TRUCE_WEAPON_NONE) {
        names l = {{0}, 0};
        for (int x = 1; x < TRUCE_WEAPON_COUNT; x++)
          names_add(&l, truce_weapon_class_name((truce_weapon_class)x));
        return fail(c, TRUCE_EVOCAB, ep, "'%s' is not a weapon class (%s)",
                    show(json_string_value(e), shown), l.s);
      }
      if (w->classes & (1u << k))
        return fail(c, TRUCE_EPARSE, ep, "'%s' is listed twice",
                    json_string_value(e));
      w->classes |= 1u << k;
    }
  if ((rc = get_num(c, v, "calibre_min_mm", path, false, 0, true, 2000,
                    &w->calibre_min_mm)) ||
      (rc = get_num(c, v, "calibre_max_mm", path, false, 0, true, 2000,
                    &w->calibre_max_mm)) ||
      (rc = get_num(c, v, "calibre_below_mm", path, false, 0, true, 2000,
                    &w->calibre_below_mm)))
    return rc;
  bool bounded = w->calibre_min_mm > 0 || w->calibre_max_mm > 0 ||
                 w->calibre_below_mm > 0;
  if (bounded && !w->classes)
    return fail(c, TRUCE_EPARSE, path,
                "calibre bounds apply to classes, and none is given");
  if (w->calibre_max_mm > 0 && w->calibre_below_mm > 0)
    return fail(c, TRUCE_EPARSE, path,
                "give calibre_max_mm (at most) or calibre_below_mm (less "
                "than), not both");
  if (w->calibre_min_mm > 0 && w->calibre_max_mm > 0 &&
      w->calibre_min_mm > w->calibre_max_mm)
    return fail(c, TRUCE_ERANGE, path,
                "calibre_min_mm %s is above calibre_max_mm %s: no calibre "
                "fits",
                num(w->calibre_min_mm, a), num(w->calibre_max_mm, b));
  if (w->calibre_min_mm > 0 && w->calibre_below_mm > 0 &&
      w->calibre_min_mm >= w->calibre_below_mm)
    return fail(c, TRUCE_ERANGE, path,
                "calibre_min_mm %s is not below calibre_below_mm %s: no "
                "calibre fits",
                num(w->calibre_min_mm, a), num(w->calibre_below_mm, b));
  if ((rc = get_array(c, v, "systems", path, false, TERMS_LIST_MAX, &list)))
    return rc;
  if (list && json_array_size(list)) {
    if (!(w->systems = arena_array(t, json_array_size(list),
                                   sizeof *w->systems)))
      return TRUCE_ENOMEM;
    json_array_foreach(list, i, e) {
      pidx(ep, pkey(lp, path, "systems"), i);
      if (!json_is_string(e))
        return wrong_type(c, ep, "a string (a system's name)", e);
      const char *name;
      rc = truce_weapon_lookup(json_string_value(e), NULL, NULL, &name);
      if (rc == TRUCE_ENOTFOUND)
        return fail(c, TRUCE_EVOCAB, ep,
                    "'%s' is not in the weapon catalogue (data/weapons.json); "
                    "truce does not guess",
                    show(json_string_value(e), shown));
      if (rc)
        return fail(c, rc, ep, "the weapon catalogue cannot be read");
      for (size_t j = 0; j < w->nsystems; j++)
        if (w->systems[j] == name)
          return fail(c, TRUCE_EPARSE, ep,
                      "names the same system as systems[%zu] (%s)", j, name);
      w->systems[w->nsystems++] = name;
    }
  }
  if (!w->classes && !w->nsystems)
    return fail(c, TRUCE_EPARSE, path, "names no class and no system");
  return TRUCE_OK;
}

/* For each party the rule binds, its one reference line among the
 * rule's "lines" (or among all lines): withdrawal and band distances are
 * measured from it. */
static truce_err resolve_lines(ctx *c, json_t *rule, const char *parent,
                               uint32_t parties, int line[]) {
  truce_terms *t = c->t;
  char path[PATH_LEN], ep[PATH_LEN];
  bool single;
  json_t *list;
  bool chosen[TERMS_LINES_MAX] = {false};
  truce_err rc = get_one_or_many(c, rule, "lines", parent, false, &list,
                                 &single);
  if (rc)
    return rc;
  pkey(path, parent, "lines");
  if (list) {
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
      int l;
      elem_path(ep, path, i, single);
      if ((rc = ref(c, e, ep, t->lines, t->nlines, sizeof t->lines[0],
                    "line", "lines", &l)))
        break;
      bool serves = false;
      for (size_t p = 0; p < t->nparties; p++)
        serves = serves || ((parties >> p & 1) &&
                            terms_line_is_reference(&t->lines[l], (int)p));
      if (!serves) {
        rc = fail(c, TRUCE_EPARSE, ep,
                  "'%s' is not a reference line of any party the rule "
                  "binds",
                  t->lines[l].id);
        break;
      }
      chosen[l] = true;
    }
    json_decref(list);
    if (rc)
      return rc;
  } else {
    for (size_t l = 0; l < t->nlines; l++)
      chosen[l] = true;
  }
  for (size_t p = 0; p < TERMS_PARTIES_MAX; p++)
    line[p] = -1;
  for (size_t p = 0; p < t->nparties; p++) {
    if (!(parties >> p & 1))
      continue;
    names l = {{0}, 0};
    size_t found = 0;
    for (size_t k = 0; k < t->nlines; k++)
      if (chosen[k] && terms_line_is_reference(&t->lines[k], (int)p)) {
        if (!found)
          line[p] = (int)k;
        names_add(&l, t->lines[k].id);
        found++;
      }
    if (found == 0)
      return fail(c, TRUCE_EPARSE, list ? path : parent,
                  "party '%s' has no reference line%s (a line with \"party\": "
                  "\"%s\", or a common line stating its side)",
                  t->parties[p].id, list ? " among these" : "",
                  t->parties[p].id);
    if (found > 1)
      return fail(c, TRUCE_EPARSE, list ? path : parent,
                  "party '%s' has %zu reference lines (%s): name one in %s",
                  t->parties[p].id, found, l.s, path);
  }
  return TRUCE_OK;
}

static truce_err parse_parties_bound(ctx *c, json_t *rule, const char *parent,
                                     uint32_t *out) {
  truce_terms *t = c->t;
  char path[PATH_LEN], ep[PATH_LEN];
  json_t *list;
  bool single;
  truce_err rc = get_one_or_many(c, rule, "parties", parent, false, &list,
                                 &single);
  if (rc)
    return rc;
  if (!list) {
    *out = (uint32_t)((1u << t->nparties) - 1);
    return TRUCE_OK;
  }
  pkey(path, parent, "parties");
  uint32_t mask = 0;
  size_t i;
  json_t *e;
  json_array_foreach(list, i, e) {
    int p;
    elem_path(ep, path, i, single);
    if ((rc = party_ref(c, e, ep, &p)))
      break;
    if (mask & (1u << p)) {
      rc = fail(c, TRUCE_EPARSE, ep, "'%s' is listed twice",
                t->parties[p].id);
      break;
    }
    mask |= 1u << p;
  }
  json_decref(list);
  *out = mask;
  return rc;
}

/* Zone ids (one or many) into an arena array. */
static truce_err parse_zone_refs(ctx *c, json_t *rule, const char *parent,
                                 int **out, size_t *n) {
  truce_terms *t = c->t;
  char path[PATH_LEN], ep[PATH_LEN];
  json_t *list;
  bool single;
  truce_err rc = get_one_or_many(c, rule, "zone", parent, true, &list,
                                 &single);
  if (rc)
    return rc;
  pkey(path, parent, "zone");
  if (!(*out = arena_array(t, json_array_size(list), sizeof **out))) {
    json_decref(list);
    return TRUCE_ENOMEM;
  }
  size_t i;
  json_t *e;
  json_array_foreach(list, i, e) {
    elem_path(ep, path, i, single);
    if ((rc = ref(c, e, ep, t->zones, t->nzones, sizeof t->zones[0], "zone",
                  "zones", &(*out)[i])))
      break;
    for (size_t j = 0; j < i && !rc; j++)
      if ((*out)[j] == (*out)[i])
        rc = fail(c, TRUCE_EPARSE, ep, "'%s' is listed twice",
                  t->zones[(*out)[i]].id);
    if (rc)
      break;
    *n = i + 1;
  }
  json_decref(list);
  return rc;
}

static truce_err parse_rule_body(ctx *c, json_t *v, const char *path,
                                 terms_rule *r, json_t **enables) {
  static const char *const common[] = {"id",    "type",  "from",  "until",
                                       "parties", "quote", "source", "note"};
  static const char *const extra[RULE_TYPES_N][6] = {
      [TERMS_RULE_CEASEFIRE] = {"what"},
      [TERMS_RULE_WITHDRAWAL] = {"weapons", "distance_km", "lines"},
      [TERMS_RULE_ZONE] = {"zone", "what"},
      [TERMS_RULE_CAP] = {"weapons", "max", "window_hours", "zone",
                          "band_km", "lines"},
      [TERMS_RULE_PRECONDITION] = {"zone", "days", "what", "enables"},
      [TERMS_RULE_HOLDING] = {"sites"},
  };
  truce_terms *t = c->t;
  char fp[PATH_LEN], ep[PATH_LEN], a[32], b[32];
  truce_err rc;
  const char *keys[sizeof common / sizeof common[0] + 7] = {NULL};
  size_t nk = 0;
  for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
    keys[nk++] = common[i];
  for (size_t i = 0; i < 6 && extra[r->type][i]; i++)
    keys[nk++] = extra[r->type][i];
  keys[nk] = NULL;
  if ((rc = check_keys(c, v, path, keys)))
    return rc;
  const char *from_text = NULL, *until_text = NULL;
  r->from_ms = t->start_ms;
  r->until_ms = INT64_MAX;
  if ((rc = get_time(c, v, "from", path, false, &r->from_ms, &from_text)) ||
      (rc = get_time(c, v, "until", path, false, &r->until_ms,
                     &until_text)) ||
      (rc = parse_parties_bound(c, v, path, &r->parties)) ||
      (rc = get_text(c, v, "quote", path, false, TERMS_TEXT_MAX, true,
                     &r->quote)) ||
      (rc = get_text(c, v, "source", path, false, TERMS_TEXT_MAX, true,
                     &r->source)) ||
      (rc = get_text(c, v, "note", path, false, TERMS_TEXT_MAX, true,
                     &r->note)))
    return rc;
  if (r->until_ms <= r->from_ms) {
    char ft[32], ut[32];
    truce_time_format(r->from_ms, ft);
    truce_time_format(r->until_ms, ut);
    return fail(c, TRUCE_ERANGE, pkey(fp, path, "until"),
                "%s is not after the rule's start (%s)", ut, ft);
  }
  switch (r->type) {
  case TERMS_RULE_CEASEFIRE:
    return get_what(c, v, "what", path, TERMS_WHAT_FIRE, &r->u.ceasefire.what);
  case TERMS_RULE_WITHDRAWAL:
    if ((rc = parse_weapons(c, v, path, &r->u.withdrawal.weapons)) ||
        (rc = get_num(c, v, "distance_km", path, true, 0, true, TERMS_KM_MAX,
                      &r->u.withdrawal.distance_km)))
      return rc;
    return resolve_lines(c, v, path, r->parties, r->u.withdrawal.line);
  case TERMS_RULE_ZONE:
    if ((rc = parse_zone_refs(c, v, path, &r->u.zone.zones,
                              &r->u.zone.nzones)))
      return rc;
    return get_what(c, v, "what", path, 0, &r->u.zone.what);
  case TERMS_RULE_CAP: {
    json_t *zone = json_object_get(v, "zone"),
           *band = json_object_get(v, "band_km");
    r->u.cap.zone = -1;
    for (size_t p = 0; p < TERMS_PARTIES_MAX; p++)
      r->u.cap.line[p] = -1;
    if ((rc = parse_weapons(c, v, path, &r->u.cap.weapons)) ||
        (rc = get_uint(c, v, "max", path, true, 0, 1000000, &r->u.cap.max)) ||
        (rc = get_uint(c, v, "window_hours", path, true, 1, 8784,
                       &r->u.cap.window_h)))
      return rc;
    if (zone && band)
      return fail(c, TRUCE_EPARSE, path, "give zone or band_km, not both");
    if (zone) {
      if (json_object_get(v, "lines"))
        return fail(c, TRUCE_EPARSE, pkey(fp, path, "lines"),
                    "only a band_km is measured from lines");
      return ref(c, zone, pkey(fp, path, "zone"), t->zones, t->nzones,
                 sizeof t->zones[0], "zone", "zones", &r->u.cap.zone);
    }
    pkey(fp, path, "band_km");
    if (!band)
      return missing(c, fp,
                     "where the cap applies: band_km [from, to] behind each "
                     "party's own line, or a zone");
    if (!json_is_array(band) || json_array_size(band) != 2 ||
        !json_is_number(json_array_get(band, 0)) ||
        !json_is_number(json_array_get(band, 1)))
      return fail(c, TRUCE_EPARSE, fp,
                  "must be [from_km, to_km], two numbers");
    double lo = json_number_value(json_array_get(band, 0)),
           hi = json_number_value(json_array_get(band, 1));
    if (!(lo >= 0) || !(hi > lo) || hi > TERMS_KM_MAX)
      return fail(c, TRUCE_ERANGE, fp,
                  "[%s, %s] is not a band (0 <= from < to <= %g)", num(lo, a),
                  num(hi, b), TERMS_KM_MAX);
    r->u.cap.band_min_km = lo;
    r->u.cap.band_max_km = hi;
    return resolve_lines(c, v, path, r->parties, r->u.cap.line);
  }
  case TERMS_RULE_PRECONDITION: {
    json_t *zone = json_object_get(v, "zone");
    if (!zone)
      return missing(c, pkey(fp, path, "zone"), "the zone that must be quiet");
    if ((rc = ref(c, zone, pkey(fp, path, "zone"), t->zones, t->nzones,
                  sizeof t->zones[0], "zone", "zones",
                  &r->u.precondition.zone)) ||
        (rc = get_uint(c, v, "days", path, true, 1, 366,
                       &r->u.precondition.days)) ||
        (rc = get_what(c, v, "what", path, TERMS_WHAT_FIRE,
                       &r->u.precondition.what)))
      return rc;
    if (!json_object_get(v, "enables"))
      return missing(c, pkey(fp, path, "enables"),
                     "the rules that apply once the zone has been quiet");
    *enables = json_object_get(v, "enables"); /* resolved with all ids */
    return TRUCE_OK;
  }
  case TERMS_RULE_HOLDING: {
    json_t *list;
    bool single;
    if ((rc = get_one_or_many(c, v, "sites", path, false, &list, &single)))
      return rc;
    pkey(fp, path, "sites");
    size_t n = list ? json_array_size(list) : t->nsites;
    int *sites = arena_array(t, n ? n : 1, sizeof *sites);
    if (!sites) {
      json_decref(list);
      return TRUCE_ENOMEM;
    }
    r->u.holding.sites = sites;
    if (!list) {
      for (size_t s = 0; s < t->nsites; s++)
        if (r->parties >> t->sites[s].party & 1)
          sites[r->u.holding.nsites++] = (int)s;
      if (!r->u.holding.nsites)
        return fail(c, TRUCE_EPARSE, path,
                    "no holding site belongs to the parties the rule binds "
                    "(list them under \"sites\" at the top level)");
      return TRUCE_OK;
    }
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
      int s = 0;
      elem_path(ep, fp, i, single);
      if ((rc = ref(c, e, ep, t->sites, t->nsites, sizeof t->sites[0],
                    "site", "sites", &s)))
        break;
      if (!(r->parties >> t->sites[s].party & 1)) {
        rc = fail(c, TRUCE_EPARSE, ep,
                  "site '%s' is held by '%s', which the rule does not bind",
                  t->sites[s].id, t->parties[t->sites[s].party].id);
        break;
      }
      for (size_t j = 0; j < r->u.holding.nsites && !rc; j++)
        if (sites[j] == s)
          rc = fail(c, TRUCE_EPARSE, ep, "'%s' is listed twice",
                    t->sites[s].id);
      if (rc)
        break;
      sites[r->u.holding.nsites++] = s;
    }
    json_decref(list);
    return rc;
  }
  }
  return TRUCE_EPARSE;
}

static truce_err resolve_enables(ctx *c, json_t *const *enables) {
  truce_terms *t = c->t;
  char path[PATH_LEN], fp[PATH_LEN], ep[PATH_LEN];
  truce_err rc = TRUCE_OK;
  for (size_t i = 0; i < t->nrules; i++) {
    terms_rule *r = &t->rules[i];
    if (r->type != TERMS_RULE_PRECONDITION)
      continue;
    pidx(path, "rules", i);
    json_t *list;
    bool single;
    pkey(fp, path, "enables");
    if ((rc = one_or_many(c, enables[i], fp, true, &list, &single)))
      return rc;
    int *en = arena_array(t, json_array_size(list), sizeof *en);
    if (!en) {
      json_decref(list);
      return TRUCE_ENOMEM;
    }
    r->u.precondition.enables = en;
    size_t k;
    json_t *e;
    json_array_foreach(list, k, e) {
      int j = 0;
      elem_path(ep, fp, k, single);
      if ((rc = ref(c, e, ep, t->rules, t->nrules, sizeof t->rules[0],
                    "rule", "rules", &j)))
        break;
      if ((size_t)j == i) {
        rc = fail(c, TRUCE_EPARSE, ep, "a precondition cannot enable itself");
        break;
      }
      if (t->rules[j].type == TERMS_RULE_PRECONDITION) {
        rc = fail(c, TRUCE_EPARSE, ep,
                  "'%s' is a precondition; preconditions enable other rules "
                  "only",
                  t->rules[j].id);
        break;
      }
      if (t->rules[j].enabled_by >= 0) {
        rc = fail(c, TRUCE_EPARSE, ep,
                  "'%s' is already enabled by rules[%d] ('%s')",
                  t->rules[j].id, t->rules[j].enabled_by,
                  t->rules[t->rules[j].enabled_by].id);
        break;
      }
      t->rules[j].enabled_by = (int)i;
      en[r->u.precondition.nenables++] = j;
    }
    json_decref(list);
    if (rc)
      return rc;
  }
  return TRUCE_OK;
}

static truce_err parse_rules(ctx *c, json_t *root) {
  truce_terms *t = c->t;
  json_t *a, *v;
  char path[PATH_LEN], fp[PATH_LEN], shown[SHOW_LEN];
  truce_err rc = get_array(c, root, "rules", "", true, TERMS_RULES_MAX, &a);
  if (rc)
    return rc;
  if (json_array_size(a) == 0)
    return fail(c, TRUCE_EPARSE, "rules", "is empty: terms need a rule");
  size_t n = json_array_size(a);
  json_t **enables = truce_calloc(n, sizeof *enables);
  if (!enables)
    return TRUCE_ENOMEM;
  if (!(t->rules = arena_array(t, n, sizeof *t->rules))) {
    truce_free(enables);
    return TRUCE_ENOMEM;
  }
  /* First every id and type, so a precondition may name a later rule. */
  size_t i;
  json_array_foreach(a, i, v) {
    pidx(path, "rules", i);
    terms_rule *r = &t->rules[i];
    r->enabled_by = -1;
    if (!json_is_object(v)) {
      rc = wrong_type(c, path, "an object", v);
      break;
    }
    if ((rc = get_id(c, v, "id", path, &r->id)))
      break;
    t->nrules = i + 1;
    if ((rc = check_unique(c, t->rules, i, sizeof *r, "rules",
                           pkey(fp, path, "id"))))
      break;
    json_t *type = json_object_get(v, "type");
    pkey(fp, path, "type");
    if (!type) {
      rc = missing(c, fp,
                   "ceasefire, withdrawal, zone, cap, precondition or "
                   "holding");
      break;
    }
    if (!json_is_string(type)) {
      rc = wrong_type(c, fp, "a string", type);
      break;
    }
    for (size_t k = 1; k < RULE_TYPES_N; k++)
      if (strcmp(json_string_value(type), rule_types[k]) == 0)
        r->type = (terms_rule_type)k;
    if (!r->type) {
      rc = fail(c, TRUCE_EVOCAB, fp,
                "'%s' is not a rule type (ceasefire, withdrawal, zone, cap, "
                "precondition, holding)",
                show(json_string_value(type), shown));
      break;
    }
  }
  if (!rc)
    json_array_foreach(a, i, v) {
      pidx(path, "rules", i);
      if ((rc = parse_rule_body(c, v, path, &t->rules[i], &enables[i])))
        break;
    }
  if (!rc)
    rc = resolve_enables(c, enables);
  truce_free(enables);
  return rc;
}

static truce_err parse_root(ctx *c, json_t *root) {
  static const char *const keys[] = {
      "truce_terms", "id",    "title", "version", "parties", "start",
      "lines",       "control", "zones", "sites", "rules",   "sources",
      "method",      "note",  NULL};
  truce_terms *t = c->t;
  truce_err rc;
  if (!json_is_object(root))
    return fail(c, TRUCE_EPARSE, NULL, "a terms file is a JSON object, got %s",
                type_name(root));
  if ((rc = check_keys(c, root, "", keys)))
    return rc;
  json_t *ver = json_object_get(root, "truce_terms");
  if (!ver)
    return missing(c, "truce_terms", "the format version: 1");
  if (!json_is_integer(ver) || json_integer_value(ver) != TERMS_VERSION) {
    char text[64];
    if (json_is_integer(ver))
      snprintf(text, sizeof text, "%lld", (long long)json_integer_value(ver));
    else
      snprintf(text, sizeof text, "%s", type_name(ver));
    return fail(c, TRUCE_EPARSE, "truce_terms",
                "%s is not a format version this truce reads (%d)", text,
                TERMS_VERSION);
  }
  json_t *sources;
  if ((rc = get_id(c, root, "id", "", &t->id)) ||
      (rc = get_text(c, root, "title", "", false, TERMS_NAME_MAX, false,
                     &t->title)) ||
      (rc = get_text(c, root, "version", "", false, TERMS_ID_MAX, false,
                     &t->version)) ||
      (rc = get_text(c, root, "method", "", false, TERMS_TEXT_MAX, true,
                     &t->method)) ||
      (rc = get_text(c, root, "note", "", false, TERMS_TEXT_MAX, true,
                     &t->note)) ||
      (rc = get_array(c, root, "sources", "", false, TERMS_LIST_MAX,
                      &sources)))
    return rc;
  if (sources && json_array_size(sources)) {
    if (!(t->sources = arena_array(t, json_array_size(sources),
                                   sizeof *t->sources)))
      return TRUCE_ENOMEM;
    size_t i;
    json_t *e;
    char path[PATH_LEN];
    json_array_foreach(sources, i, e) {
      pidx(path, "sources", i);
      if (!json_is_string(e))
        return wrong_type(c, path, "a string", e);
      size_t n = json_string_length(e);
      if (n > TERMS_TEXT_MAX)
        return fail(c, TRUCE_ETOOBIG, path, "%zu bytes (at most %d)", n,
                    TERMS_TEXT_MAX);
      if (!text_ok(json_string_value(e), n, false))
        return fail(c, TRUCE_EPARSE, path, "contains a control character");
      if (!(t->sources[i] = arena_str(t, json_string_value(e), n)))
        return TRUCE_ENOMEM;
      t->nsources = i + 1;
    }
  }
  if ((rc = parse_parties(c, root)) || (rc = parse_start(c, root)))
    return rc;

  /* Geometries: at most one per line, control statement, zone and site. */
  size_t ngeo = 0;
  static const char *const geo_lists[] = {"lines", "control", "zones",
                                          "sites"};
  for (size_t k = 0; k < 4; k++) {
    json_t *l = json_object_get(root, geo_lists[k]);
    ngeo += json_is_array(l) ? json_array_size(l) : 0;
  }
  c->owned_cap = ngeo;
  c->owned = ngeo ? truce_calloc(ngeo, sizeof *c->owned) : NULL;
  if (ngeo && !c->owned)
    return TRUCE_ENOMEM;

  json_t *control = json_object_get(root, "control");
  size_t npend = json_is_array(control) ? json_array_size(control) : 0;
  json_t **pending = truce_calloc(npend ? npend : 1, sizeof *pending);
  if (!pending)
    return TRUCE_ENOMEM;
  if (!(rc = parse_control(c, root, pending)) &&
      !(rc = parse_lines(c, root)))
    rc = resolve_control_lines(c, pending);
  truce_free(pending);
  if (rc || (rc = parse_zones(c, root)) || (rc = parse_sites(c, root)) ||
      (rc = parse_rules(c, root)))
    return rc;
  return TRUCE_OK;
}

/* ---- the public functions ---- */

static void free_geoms(truce_geom **g, size_t n) {
  for (size_t i = 0; i < n; i++)
    truce_geom_free(g[i]);
  truce_free(g);
}

/* The owned geometries are stashed in the arena's first allocation so
 * that truce_terms_free finds them (struct truce_terms has no field for
 * them in terms.h, where assess.c should not see it). */
typedef struct terms_head {
  struct truce_terms t;
  truce_geom **owned;
  size_t nowned;
} terms_head;

void truce_terms_free(truce_terms *t) {
  if (!t)
    return;
  terms_head *h = (terms_head *)(void *)t;
  free_geoms(h->owned, h->nowned);
  terms_block *b = t->arena;
  while (b) {
    terms_block *next = b->next;
    truce_free(b);
    b = next;
  }
  truce_free(h);
}

truce_err truce_terms_parse(const char *json, size_t len, truce_terms **out,
                            char *err) {
  if (out)
    *out = NULL;
  if (err)
    err[0] = '\0';
  if (!json || !out)
    return seterr(err, TRUCE_EINVAL, "no input");
  if (len > TRUCE_TERMS_MAX_BYTES)
    return seterr(err, TRUCE_ETOOBIG, "%zu bytes (a terms file is at most %u)",
                  len, TRUCE_TERMS_MAX_BYTES);
  json_error_t jerr;
  json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    if (json_error_code(&jerr) == json_error_out_of_memory)
      return seterr(err, TRUCE_ENOMEM, "out of memory reading JSON");
    return seterr(err, TRUCE_EPARSE, "not JSON: %s (line %d, column %d)",
                  jerr.text, jerr.line, jerr.column);
  }
  terms_head *h = truce_calloc(1, sizeof *h);
  if (!h) {
    json_decref(root);
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  }
  truce_terms *t = &h->t;
  t->id = t->title = t->version = t->start_text = t->start_zone = "";
  t->method = t->note = "";
  ctx c = {t, err, NULL, 0, 0};
  truce_err rc = parse_root(&c, root);
  json_decref(root);
  h->owned = c.owned;
  h->nowned = c.nowned;
  if (rc) {
    if (rc == TRUCE_ENOMEM)
      seterr(err, rc, "out of memory");
    truce_terms_free(t);
    return rc;
  }
  *out = t;
  return TRUCE_OK;
}

truce_err truce_terms_load(const char *path, truce_terms **out, char *err) {
  if (out)
    *out = NULL;
  if (!path || !out)
    return seterr(err, TRUCE_EINVAL, "no path");
  truce_buf b;
  truce_buf_init(&b, TRUCE_TERMS_MAX_BYTES);
  truce_err rc = truce_buf_read_file(&b, path, err);
  if (rc == TRUCE_OK) {
    rc = truce_terms_parse(b.data ? b.data : "", b.len, out, err);
    if (rc)
      errprefix(err, "%s", path);
  }
  truce_buf_release(&b);
  return rc;
}

const char *truce_terms_id(const truce_terms *t) { return t ? t->id : ""; }
const char *truce_terms_title(const truce_terms *t) {
  return t ? t->title : "";
}
int64_t truce_terms_start_ms(const truce_terms *t) {
  return t ? t->start_ms : 0;
}
const char *truce_terms_start_zone(const truce_terms *t) {
  return t ? t->start_zone : "";
}

void truce_terms_count(const truce_terms *t, truce_terms_counts *out) {
  memset(out, 0, sizeof *out);
  if (!t)
    return;
  out->parties = t->nparties;
  out->lines = t->nlines;
  out->control = t->ncontrol;
  out->zones = t->nzones;
  out->sites = t->nsites;
  out->items = t->nitems;
  out->rules = t->nrules;
}

const char *truce_terms_rule_id(const truce_terms *t, size_t i) {
  return t && i < t->nrules ? t->rules[i].id : NULL;
}

const char *truce_terms_rule_type(const truce_terms *t, size_t i) {
  return t && i < t->nrules ? terms_rule_type_name(t->rules[i].type) : NULL;
}

/* ---- descriptions ---- */

static truce_err put_what(truce_buf *b, uint32_t what) {
  if (what == TERMS_WHAT_FIRE)
    return truce_buf_appendf(b, "fire of any kind");
  if (what == (TERMS_WHAT_FIRE | TERMS_WHAT_PRESENCE))
    return truce_buf_appendf(b, "fire or armed presence");
  if (what == TERMS_WHAT_PRESENCE)
    return truce_buf_appendf(b, "armed presence");
  truce_err rc = TRUCE_OK;
  bool first = true;
  for (int w = 1; w < TRUCE_WHAT_COUNT && !rc; w++)
    if (what >> w & 1) {
      rc = truce_buf_appendf(b, "%s%s", first ? "" : ", ",
                             truce_what_name((truce_what)w));
      first = false;
    }
  return rc;
}

static truce_err put_weapons(truce_buf *b, const terms_weapons *w) {
  truce_err rc = TRUCE_OK;
  bool first = true;
  char x[32];
  for (int k = 1; k < TRUCE_WEAPON_COUNT && !rc; k++)
    if (w->classes >> k & 1) {
      rc = truce_buf_appendf(b, "%s%s", first ? "" : ", ",
                             truce_weapon_class_name((truce_weapon_class)k));
      first = false;
    }
  if (!rc && w->calibre_min_mm > 0)
    rc = truce_buf_appendf(b, " of at least %s mm", num(w->calibre_min_mm, x));
  if (!rc && w->calibre_max_mm > 0)
    rc = truce_buf_appendf(b, "%s up to %s mm",
                           w->calibre_min_mm > 0 ? "," : " of",
                           num(w->calibre_max_mm, x));
  if (!rc && w->calibre_below_mm > 0)
    rc = truce_buf_appendf(b, "%s under %s mm",
                           w->calibre_min_mm > 0 ? "," : " of",
                           num(w->calibre_below_mm, x));
  for (size_t i = 0; i < w->nsystems && !rc; i++) {
    rc = truce_buf_appendf(b, "%s%s", first ? "" : (i ? ", " : "; "),
                           w->systems[i]);
    first = false;
  }
  return rc;
}

static truce_err put_parties(truce_buf *b, const truce_terms *t,
                             uint32_t parties) {
  if (parties == (uint32_t)((1u << t->nparties) - 1))
    return truce_buf_appendf(b, "any party");
  truce_err rc = TRUCE_OK;
  bool first = true;
  for (size_t p = 0; p < t->nparties && !rc; p++)
    if (parties >> p & 1) {
      rc = truce_buf_appendf(b, "%s%s", first ? "" : ", ", t->parties[p].id);
      first = false;
    }
  return rc;
}

static truce_err put_lines(truce_buf *b, const truce_terms *t,
                           const int line[]) {
  truce_err rc = truce_buf_appendf(b, " (");
  bool first = true;
  for (size_t p = 0; p < t->nparties && !rc; p++)
    if (line[p] >= 0) {
      rc = truce_buf_appendf(b, "%s%s: %s", first ? "" : ", ",
                             t->parties[p].id, t->lines[line[p]].id);
      first = false;
    }
  return rc ? rc : truce_buf_appendf(b, ")");
}

truce_err truce_terms_rule_describe(const truce_terms *t, size_t i,
                                    truce_buf *out) {
  if (!t || !out)
    return TRUCE_EINVAL;
  if (i >= t->nrules)
    return TRUCE_ENOTFOUND;
  const terms_rule *r = &t->rules[i];
  size_t mark = out->len;
  char x[32], y[32];
  truce_err rc = truce_buf_appendf(out, "%s '%s': ",
                                   terms_rule_type_name(r->type), r->id);
  switch (r->type) {
  case TERMS_RULE_CEASEFIRE:
    if (!rc && !(rc = truce_buf_appendf(out, "no ")) &&
        !(rc = put_what(out, r->u.ceasefire.what)) &&
        !(rc = truce_buf_appendf(out, " by ")))
      rc = put_parties(out, t, r->parties);
    break;
  case TERMS_RULE_WITHDRAWAL:
    if (!rc && !(rc = put_weapons(out, &r->u.withdrawal.weapons)) &&
        !(rc = truce_buf_appendf(out,
                                 " kept at least %s km behind the party's "
                                 "own line, on its own side",
                                 num(r->u.withdrawal.distance_km, x))))
      rc = put_lines(out, t, r->u.withdrawal.line);
    break;
  case TERMS_RULE_ZONE:
    if (!rc && !(rc = truce_buf_appendf(out, "no ")) &&
        !(rc = put_what(out, r->u.zone.what)) &&
        !(rc = truce_buf_appendf(out, " by ")) &&
        !(rc = put_parties(out, t, r->parties)))
      rc = truce_buf_appendf(out, " inside");
    for (size_t k = 0; k < r->u.zone.nzones && !rc; k++) {
      const terms_zone *z = &t->zones[r->u.zone.zones[k]];
      rc = truce_buf_appendf(out, "%s %s", k ? "," : "", z->id);
      if (!rc && z->near_km > 0)
        rc = truce_buf_appendf(out, " (near: within %s km)",
                               num(z->near_km, x));
    }
    break;
  case TERMS_RULE_CAP:
    if (!rc && !(rc = truce_buf_appendf(out, "at most %u ", r->u.cap.max)) &&
        !(rc = put_weapons(out, &r->u.cap.weapons))) {
      if (r->u.cap.zone >= 0)
        rc = truce_buf_appendf(out, " inside %s",
                               t->zones[r->u.cap.zone].id);
      else if (!(rc = truce_buf_appendf(
                     out, " between %s and %s km behind the party's own line",
                     num(r->u.cap.band_min_km, x),
                     num(r->u.cap.band_max_km, y))))
        rc = put_lines(out, t, r->u.cap.line);
      if (!rc)
        rc = truce_buf_appendf(out, ", in any %u hours", r->u.cap.window_h);
    }
    break;
  case TERMS_RULE_PRECONDITION:
    if (!rc && !(rc = truce_buf_appendf(out, "%u days without ",
                                        r->u.precondition.days)) &&
        !(rc = put_what(out, r->u.precondition.what)) &&
        !(rc = truce_buf_appendf(out, " inside %s before",
                                 t->zones[r->u.precondition.zone].id)))
      for (size_t k = 0; k < r->u.precondition.nenables && !rc; k++)
        rc = truce_buf_appendf(out, "%s %s", k ? "," : "",
                               t->rules[r->u.precondition.enables[k]].id);
    if (!rc)
      rc = truce_buf_appendf(out, " applies");
    break;
  case TERMS_RULE_HOLDING: {
    size_t items = 0;
    for (size_t k = 0; k < r->u.holding.nsites; k++)
      items += t->sites[r->u.holding.sites[k]].nitems;
    if (!rc)
      rc = truce_buf_appendf(out,
                             "%zu registered weapons present at each "
                             "verification visit to",
                             items);
    for (size_t k = 0; k < r->u.holding.nsites && !rc; k++)
      rc = truce_buf_appendf(out, "%s %s", k ? "," : "",
                             t->sites[r->u.holding.sites[k]].id);
    break;
  }
  }
  if (!rc) {
    truce_time_format(r->from_ms, x);
    rc = truce_buf_appendf(out, ", from %s", x);
  }
  if (!rc && r->until_ms != INT64_MAX) {
    truce_time_format(r->until_ms, y);
    rc = truce_buf_appendf(out, " until %s", y);
  }
  if (!rc && r->enabled_by >= 0)
    rc = truce_buf_appendf(out, ", once '%s' holds",
                           t->rules[r->enabled_by].id);
  if (rc && out->data) {
    out->len = mark; /* nothing appended on failure */
    out->data[mark] = '\0';
  }
  return rc;
}

truce_err truce_terms_describe(const truce_terms *t, truce_buf *out) {
  if (!t || !out)
    return TRUCE_EINVAL;
  size_t mark = out->len;
  char when[32], x[32];
  truce_time_format(t->start_ms, when);
  truce_err rc = truce_buf_appendf(out, "terms %s%s%s\n", t->id,
                                   *t->title ? ": " : "", t->title);
  if (!rc && *t->version)
    rc = truce_buf_appendf(out, "version %s\n", t->version);
  if (!rc)
    rc = truce_buf_appendf(out, "start %s (written %s, %s)\n", when,
                           t->start_text, t->start_zone);
  for (size_t i = 0; i < t->nparties && !rc; i++)
    rc = truce_buf_appendf(out, "party %s%s%s\n", t->parties[i].id,
                           *t->parties[i].name ? ": " : "",
                           t->parties[i].name);
  for (size_t i = 0; i < t->nlines && !rc; i++) {
    const terms_line *l = &t->lines[i];
    rc = truce_buf_appendf(
        out, "line %s: %s%s, %s", l->id,
        l->kind == TERMS_LINE_BOUNDARY ? "boundary of " : "drawn",
        l->kind == TERMS_LINE_BOUNDARY ? t->control[l->boundary_of].id : "",
        l->party >= 0 ? "reference of " : "common to the parties below");
    if (!rc && l->party >= 0)
      rc = truce_buf_appendf(out, "%s", t->parties[l->party].id);
    for (size_t p = 0; p < t->nparties && !rc; p++)
      if (l->side[p])
        rc = truce_buf_appendf(
            out, "; %s on the %s", t->parties[p].id,
            l->kind == TERMS_LINE_BOUNDARY
                ? (l->side[p] > 0 ? "inside" : "outside")
                : (l->side[p] > 0 ? "left" : "right"));
    if (!rc)
      rc = truce_buf_appendf(out, " (%zu points)%s%s\n",
                             truce_geom_vertices(l->geom),
                             *l->name ? ": " : "", l->name);
  }
  for (size_t i = 0; i < t->ncontrol && !rc; i++) {
    const terms_control *k = &t->control[i];
    rc = truce_buf_appendf(out, "control %s: %s holds ", k->id,
                           t->parties[k->party].id);
    if (!rc && k->kind == TERMS_CONTROL_SIDE)
      rc = truce_buf_appendf(out, "the %s of %s\n",
                             k->side > 0 ? "left" : "right",
                             t->lines[k->line].id);
    else if (!rc && k->kind == TERMS_CONTROL_AREA)
      rc = truce_buf_appendf(out, "an area (%zu points)\n",
                             truce_geom_vertices(k->area));
    else if (!rc)
      rc = truce_buf_appendf(out, "everything outside %s\n",
                             t->control[k->outside_of].id);
  }
  for (size_t i = 0; i < t->nzones && !rc; i++) {
    const terms_zone *z = &t->zones[i];
    if (z->area)
      rc = truce_buf_appendf(out, "zone %s: an area (%zu points)", z->id,
                             truce_geom_vertices(z->area));
    else
      rc = truce_buf_appendf(out, "zone %s: within %s km of %s", z->id,
                             num(z->half_width_km, x), t->lines[z->line].id);
    if (!rc && z->near_km > 0)
      rc = truce_buf_appendf(out, ", near: within %s km", num(z->near_km, x));
    if (!rc)
      rc = truce_buf_appendf(out, "%s%s\n", *z->name ? ": " : "", z->name);
  }
  for (size_t i = 0; i < t->nsites && !rc; i++)
    rc = truce_buf_appendf(out, "site %s: %s, %zu registered weapons%s%s\n",
                           t->sites[i].id, t->parties[t->sites[i].party].id,
                           t->sites[i].nitems, *t->sites[i].name ? ": " : "",
                           t->sites[i].name);
  for (size_t i = 0; i < t->nrules && !rc; i++) {
    rc = truce_buf_appendf(out, "rule ");
    if (!rc)
      rc = truce_terms_rule_describe(t, i, out);
    if (!rc)
      rc = truce_buf_appendf(out, "\n");
  }
  if (rc && out->data) {
    out->len = mark;
    out->data[mark] = '\0';
  }
  return rc;
}
