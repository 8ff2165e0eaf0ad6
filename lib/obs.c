/*
 * obs.c: one observation as a JSON line <-> truce_obs: validation with
 * messages that name the field, and the canonical form that is signed
 * and logged (docs/observation.md is the schema).
 *
 * Owns: the JSON schema of observations, its limits and wording, and the
 * canonical writer. Depends on json.c for reading JSON and for the
 * spelling of numbers and strings (written by hand, so that no library's
 * output choices can change what gets signed), on vocab.c for words and
 * on time.c for times. Must not depend on the log, sources or batches:
 * they call this, not the other way round.
 *
 * Speed matters here: the log parses, formats and compares every
 * observation of every batch it appends. So a line is read once into a
 * json_doc (one allocation, through truce_malloc so that tests failing
 * the Nth allocation reach it), field paths are built only for messages,
 * and the canonical line is assembled in a local buffer and appended
 * once.
 *
 * Numbers are kept to 7 decimals (1.1 cm of latitude): each is checked
 * as written, then rounded to the 1e-7 grid and stored so. Formatting is
 * then exact integer arithmetic, and parse(format(o)) == o.
 */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- messages ---- */

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* "path: message", or just the message at the top level. */
static truce_err fail(char *err, truce_err code, const char *path,
                      const char *fmt, ...) PRINTF_LIKE(4, 5);
static truce_err fail(char *err, truce_err code, const char *path,
                      const char *fmt, ...) {
  if (!err)
    return code;
  char msg[TRUCE_ERR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (path && *path)
    return seterr(err, code, "%s: %s", path, msg);
  return seterr(err, code, "%s", msg);
}


/* For messages only (the canonical form has its own spelling, json.c):
 * the fewest significant digits (15 to 17) that read back as the same
 * double. 15 always suffice for a decimal of at most 15 digits (DBL_DIG),
 * and 17 always round-trip. */
static int shortest_prec(double x) {
  char tmp[64];
  for (int p = 15; p < 17; p++) {
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, x);
    if (strtod(tmp, NULL) == x)
      return p;
  }
  return 17;
}

/* A number for a message: short, exponent allowed. */
static const char *num_msg(double x, char out[32]) {
  snprintf(out, 32, "%.*g", shortest_prec(x), x);
  return out;
}

/* ---- reading fields ---- */

#define PATH_MAX_LEN 64

/* "parent.key" (or "key" at the top level). Paths are made from our own
 * field names, the longest ("where.observer.lat") well under the limit;
 * clipping keeps it bounded all the same. Built only for messages. */
static const char *path_join(char out[PATH_MAX_LEN], const char *parent,
                             const char *key) {
  size_t o = 0;
  for (const char *p = parent; p && *p && o < PATH_MAX_LEN - 2; p++)
    out[o++] = *p;
  if (o)
    out[o++] = '.';
  for (const char *p = key; *p && o < PATH_MAX_LEN - 1; p++)
    out[o++] = *p;
  out[o] = '\0';
  return out;
}

static const char *type_name(const json_node *v) {
  switch (json_type_of(v)) {
  case JSON_T_OBJECT:
    return "an object";
  case JSON_T_ARRAY:
    return "an array";
  case JSON_T_STRING:
    return "a string";
  case JSON_T_NUMBER:
    return v->is_int ? "an integer" : "a number with a fraction";
  case JSON_T_TRUE:
  case JSON_T_FALSE:
    return "true/false";
  case JSON_T_NULL:
    return "null (leave the field out instead)";
  case JSON_T_NONE:
    break;
  }
  return "something else";
}

static truce_err wrong_type(char *err, const char *path, const char *want,
                            const json_node *v) {
  return fail(err, TRUCE_EPARSE, path, "must be %s, got %s", want,
              type_name(v));
}

static truce_err missing(char *err, const char *path, const char *hint) {
  return fail(err, TRUCE_EPARSE, path, "missing (%s)", hint);
}

/* A field name with its length. */
typedef struct field {
  const char *name;
  size_t len;
} field;
#define FIELD(s) {s, sizeof s - 1}

/* Are the n bytes at a and b the same? For names (at most 16 bytes):
 * two overlapping word loads each instead of a call or a byte loop. */
static inline bool same_bytes(const char *a, const char *b, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a0, b0, a1, b1;
    memcpy(&a0, a, 8);
    memcpy(&b0, b, 8);
    memcpy(&a1, a + n - 8, 8);
    memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  if (n >= 4 && n < 8) {
    uint32_t a0, b0, a1, b1;
    memcpy(&a0, a, 4);
    memcpy(&b0, b, 4);
    memcpy(&a1, a + n - 4, 4);
    memcpy(&b1, b + n - 4, 4);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  return memcmp(a, b, n) == 0;
}

/* Is the member's key the field's name? */
static inline bool key_is(const json_node *m, const field *f) {
  return m->key_len == f->len && same_bytes(m->key, f->name, f->len);
}

/* A field list and its length, without the {NULL, 0} that ends it. */
#define FIELDS(a) a, sizeof a / sizeof a[0] - 1

/* One pass over an object's members: f[i] receives the member named
 * known[i] (n names, then {NULL, 0}), or NULL. Returns
 * the first member whose name is not known, or NULL. Looking every
 * field up by name instead would walk the members once per field.
 *
 * `known` is in canonical order, and most lines checked are canonical
 * (the log re-checks every stored line): the search for a key starts
 * after the previous key's place, so there it matches at once. */
static const json_node *read_fields(const json_node *obj, const field *known,
                                    size_t n, const json_node **f) {
  size_t at = 0;
  for (size_t i = 0; i < n; i++)
    f[i] = NULL;
  const json_node *unknown = NULL;
  json_foreach(obj, m) {
    size_t tries = 0;
    while (tries < n && !key_is(m, &known[at])) {
      tries++;
      at = at + 1 < n ? at + 1 : 0;
    }
    if (tries < n)
      f[at] = m; /* no duplicates: the reader refuses them */
    else if (!unknown)
      unknown = m;
  }
  return unknown;
}

static truce_err unknown_field(char *err, const json_node *m,
                               const char *parent, const field *known) {
  char list[256] = "", shown[TEXT_SHOW_MAX], path[PATH_MAX_LEN];
  size_t o = 0;
  for (size_t i = 0; known[i].name; i++) {
    int n = snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "",
                     known[i].name);
    if (n < 0 || (size_t)n >= sizeof list - o)
      break;
    o += (size_t)n;
  }
  text_show(m->key, m->key_len, shown);
  if (parent && *parent)
    snprintf(path, sizeof path, "%s.", parent);
  else
    path[0] = '\0';
  return fail(err, TRUCE_EPARSE, NULL, "unknown field '%s%s' (known: %s)",
              path, shown, list);
}

/* read_fields, where every key must be known. */
static truce_err get_fields(char *err, const json_node *obj,
                            const char *parent, const field *known, size_t n,
                            const json_node **f) {
  const json_node *m = read_fields(obj, known, n, f);
  return m ? unknown_field(err, m, parent, known) : TRUCE_OK;
}

/* No C0 controls, DEL or C1 controls (U+0080..U+009F), valid UTF-8
 * (json.c checks that too; utf8_text_ok is the library's one rule). A
 * control character in a note can rewrite what an analyst's terminal
 * shows, and none has a use in a report. */
static bool text_ok(const char *s, size_t n) {
  if (!utf8_text_ok(s, n, false))
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == 0x7f)
      return false;
    if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0)
      return false; /* 0xc2 0x80..0x9f: C1 controls */
  }
  return true;
}

/* The getters below take the member (NULL if absent) and, for messages
 * only, its parent's path and its key. */

/* An optional string of at most max bytes, copied into dst (which holds
 * max + 1). "" is the same as absent. */
static truce_err get_string(char *err, const json_node *v, const char *parent,
                            const char *key, size_t max, char *dst) {
  char path[PATH_MAX_LEN];
  if (!v)
    return TRUCE_OK;
  if (v->type != JSON_T_STRING)
    return wrong_type(err, path_join(path, parent, key), "a string", v);
  const char *s = v->u.str;
  size_t n = v->len;
  if (n > max)
    return fail(err, TRUCE_ETOOBIG, path_join(path, parent, key),
                "%zu bytes (at most %zu)", n, max);
  if (!text_ok(s, n))
    return fail(err, TRUCE_EPARSE, path_join(path, parent, key),
                "contains a control character (tab, newline and the like "
                "are not allowed)");
  memcpy(dst, s, n);
  dst[n] = '\0';
  return TRUCE_OK;
}

/* A required string, returned in place (for words looked up next). */
static truce_err get_word(char *err, const json_node *v, const char *parent,
                          const char *key, const char *hint, const char **s,
                          size_t *n) {
  char path[PATH_MAX_LEN];
  if (!v)
    return missing(err, path_join(path, parent, key), hint);
  if (v->type != JSON_T_STRING)
    return wrong_type(err, path_join(path, parent, key), "a string", v);
  *s = v->u.str;
  *n = v->len;
  return TRUCE_OK;
}

static truce_err not_in_vocab(char *err, const char *path, const char *s,
                              size_t n) {
  char shown[TEXT_SHOW_MAX];
  return fail(err, TRUCE_EVOCAB, path,
              "'%s' is not in the vocabulary (see docs/observation.md)",
              text_show(s, n, shown));
}

/* An integer in [lo, hi]. */
static truce_err get_int(char *err, const json_node *v, const char *parent,
                         const char *key, int64_t lo, int64_t hi,
                         bool required, const char *hint, int64_t *out) {
  char path[PATH_MAX_LEN];
  if (!v)
    return required ? missing(err, path_join(path, parent, key), hint)
                    : TRUCE_OK;
  if (v->type == JSON_T_NUMBER && !v->is_int) {
    char num[32];
    return fail(err, TRUCE_EPARSE, path_join(path, parent, key),
                "must be an integer, got %s", num_msg(v->num, num));
  }
  if (v->type != JSON_T_NUMBER)
    return wrong_type(err, path_join(path, parent, key), "an integer", v);
  int64_t x = v->u.i;
  if (x < 0 && lo >= 0)
    return fail(err, TRUCE_ERANGE, path_join(path, parent, key),
                "%" PRId64 " is negative (allowed %" PRId64 " to %" PRId64
                ")",
                x, lo, hi);
  if (x < lo || x > hi)
    return fail(err, TRUCE_ERANGE, path_join(path, parent, key),
                "%" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]", x,
                lo, hi);
  *out = x;
  return TRUCE_OK;
}

/* Ranges of get_num. HI_OPEN is used for bearings only, [0, 360), which
 * are circular: a value that rounds up to 360 is north, stored as 0.
 * LO_OPEN keeps 0 for "unknown": a value that rounds to 0 is refused. */
enum { CLOSED = 0, LO_OPEN = 1, HI_OPEN = 2 };

/* A number (integer or not) in [lo, hi], either end open per `open`,
 * checked as written and stored rounded to 7 decimals (json_round7). */
static truce_err get_num(char *err, const json_node *v, const char *parent,
                         const char *key, double lo, double hi, int open,
                         bool required, const char *hint, double *out) {
  char path[PATH_MAX_LEN];
  if (!v)
    return required ? missing(err, path_join(path, parent, key), hint)
                    : TRUCE_OK;
  if (v->type != JSON_T_NUMBER)
    return wrong_type(err, path_join(path, parent, key), "a number", v);
  double x = v->num;
  if (!isfinite(x)) /* json.c refuses these; kept for safety */
    return fail(err, TRUCE_ERANGE, path_join(path, parent, key),
                "not a finite number");
  if (x == 0)
    x = 0; /* -0 becomes 0: the canonical form has no "-0" */
  bool below = (open & LO_OPEN) ? !(x > lo) : !(x >= lo);
  bool above = (open & HI_OPEN) ? !(x < hi) : !(x <= hi);
  double r = json_round7(x);
  if ((open & HI_OPEN) && r == hi)
    r = lo;
  bool vanished = (open & LO_OPEN) && r == lo;
  if (below || above || vanished) {
    char a[32], b[32], c[32];
    return fail(err, TRUCE_ERANGE, path_join(path, parent, key),
                "%s is out of range %c%s, %s%c%s", num_msg(x, a),
                (open & LO_OPEN) ? '(' : '[', num_msg(lo, b), num_msg(hi, c),
                (open & HI_OPEN) ? ')' : ']',
                below || above ? ""
                               : " (numbers are kept to 7 decimals: it "
                                 "would be 0)");
  }
  *out = r;
  return TRUCE_OK;
}

/* An optional object: NULL (absent) or an object, else an error. */
static truce_err get_object(char *err, const json_node *v, const char *parent,
                            const char *key) {
  char path[PATH_MAX_LEN];
  if (v && v->type != JSON_T_OBJECT)
    return wrong_type(err, path_join(path, parent, key), "an object", v);
  return TRUCE_OK;
}

/* A hex digit's value plus one, either case (the rule of
 * truce_hex_decode), 0 for anything else. A table and no calls: every
 * observation with evidence decodes 64 digits per hash. */
static const uint8_t hex_value1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
    ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
    ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
    ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16};

/* 64 hex digits into 32 bytes. */
static truce_err get_sha256(char *err, const json_node *v,
                            const char *parent, const char *key,
                            uint8_t out[32]) {
  char path[PATH_MAX_LEN];
  const char *s = "";
  size_t n = 0;
  truce_err rc = get_word(err, v, parent, key, "a SHA-256 in hex", &s, &n);
  if (rc)
    return rc;
  /* No early exit: a bad digit makes its (value - 1) wrap, which the
   * OR of them all shows at the end. */
  unsigned bad = n != 64;
  if (!bad) {
    const unsigned char *h = (const unsigned char *)s;
    for (size_t i = 0; i < 32; i++) {
      unsigned hi = hex_value1[h[2 * i]] - 1u;
      unsigned lo = hex_value1[h[2 * i + 1]] - 1u;
      bad |= hi | lo;
      out[i] = (uint8_t)(hi << 4 | (lo & 15));
    }
    bad = bad > 15;
  }
  if (bad) {
    memset(out, 0, 32);
    return fail(err, TRUCE_EPARSE, path_join(path, parent, key),
                "must be a SHA-256 as 64 hex digits (got %zu characters%s)",
                n, n == 64 ? ", not all hex" : "");
  }
  return TRUCE_OK;
}

/* ---- times ---- */

static truce_err get_time(char *err, const json_node *v, const char *path,
                          int64_t *t) {
  char shown[TEXT_SHOW_MAX];
  if (v->type != JSON_T_STRING)
    return wrong_type(err, path, "a string (RFC 3339, e.g. "
                                 "\"2015-02-16T03:10:00+02:00\")",
                      v);
  const char *s = v->u.str;
  size_t n = v->len;
  truce_err rc = truce_time_parse(s, n, t);
  if (rc == TRUCE_ERANGE)
    return fail(err, TRUCE_ERANGE, path,
                "'%s' is not a possible time (month 01-12, day within the "
                "month, hour 00-23, minute and second 00-59, offset up to "
                "23:59, years 1900-2999)",
                text_show(s, n, shown));
  if (rc)
    return fail(err, TRUCE_EPARSE, path,
                "'%s' is not an RFC 3339 time (write e.g. "
                "2015-02-16T03:10:00+02:00 or 2015-02-16T01:10:00.250Z)",
                text_show(s, n, shown));
  return TRUCE_OK;
}

/* Refuse times more than TRUCE_FUTURE_MAX_MS after now: a clock that
 * runs ahead would otherwise let a source pre-date nothing but post-date
 * everything, and report times are compared across sources. */
static truce_err check_future(char *err, const char *path,
                              const json_node *v, int64_t t, int64_t now_ms) {
  if (now_ms > INT64_MAX - TRUCE_FUTURE_MAX_MS ||
      t <= now_ms + TRUCE_FUTURE_MAX_MS)
    return TRUCE_OK;
  /* t > now_ms, so the difference is positive and below 2^64, but may
   * not fit int64 for an absurd now_ms: subtract as unsigned. */
  uint64_t d = (uint64_t)t - (uint64_t)now_ms;
  char ahead[80], shown[TEXT_SHOW_MAX], now[32];
  if (d >= 2 * 86400000u)
    snprintf(ahead, sizeof ahead, "%" PRIu64 " days", d / 86400000u);
  else if (d >= 2 * 3600000u)
    snprintf(ahead, sizeof ahead, "%" PRIu64 " hours", d / 3600000u);
  else if (d % 60000u == 0)
    snprintf(ahead, sizeof ahead, "%" PRIu64 " minutes", d / 60000u);
  else
    snprintf(ahead, sizeof ahead,
             "%" PRIu64 " minutes %" PRIu64 ".%03" PRIu64 " seconds",
             d / 60000u, d % 60000u / 1000u, d % 1000u);
  truce_time_format(now_ms, now);
  return fail(err, TRUCE_ERANGE, path,
              "%s is %s in the future (limit %d minutes; now is %s)",
              text_show(v->u.str, v->len, shown), ahead,
              TRUCE_FUTURE_MAX_MS / 60000, now);
}

/* The members of an observation (the order of docs/observation.md). */
enum {
  F_ID, F_WHAT, F_COUNT, F_COUNT_APPROX, F_TIME, F_PRECISION, F_WINDOW,
  F_WHERE, F_WEAPON, F_SERIALS, F_SITE, F_FIRE, F_MEANS, F_EVIDENCE,
  F_PROVENANCE, F_PLACE, F_NOTE, F_ROOT_N
};
static const field root_keys[F_ROOT_N + 1] = {
    [F_ID] = FIELD("id"),
    [F_WHAT] = FIELD("what"),
    [F_COUNT] = FIELD("count"),
    [F_COUNT_APPROX] = FIELD("count_approx"),
    [F_TIME] = FIELD("time"),
    [F_PRECISION] = FIELD("precision_s"),
    [F_WINDOW] = FIELD("window"),
    [F_WHERE] = FIELD("where"),
    [F_WEAPON] = FIELD("weapon"),
    [F_SERIALS] = FIELD("serials"),
    [F_SITE] = FIELD("site"),
    [F_FIRE] = FIELD("fire"),
    [F_MEANS] = FIELD("means"),
    [F_EVIDENCE] = FIELD("evidence"),
    [F_PROVENANCE] = FIELD("provenance"),
    [F_PLACE] = FIELD("place"),
    [F_NOTE] = FIELD("note"),
    [F_ROOT_N] = {NULL, 0}};

static truce_err parse_when(char *err, const json_node *const *f,
                            int64_t now_ms, truce_obs *o) {
  const json_node *tv = f[F_TIME], *wv = f[F_WINDOW];
  truce_err rc;
  if (tv && wv)
    return fail(err, TRUCE_EPARSE, "time, window",
                "give one of the two, not both");
  if (!tv && !wv)
    return missing(err, "time",
                   "give \"time\" (with \"precision_s\") or \"window\"");
  if (tv) {
    if ((rc = get_time(err, tv, "time", &o->t_ms)) ||
        (rc = check_future(err, "time", tv, o->t_ms, now_ms)))
      return rc;
    o->t_end_ms = o->t_ms;
    int64_t p = 0;
    /* 366 days: a time known only to the year is still a time. */
    rc = get_int(err, f[F_PRECISION], "", "precision_s", 0,
                 TRUCE_OBS_PRECISION_MAX_S, false, "", &p);
    o->precision_s = (uint32_t)p;
    return rc;
  }
  if (f[F_PRECISION])
    return fail(err, TRUCE_EPARSE, "precision_s",
                "only with \"time\" (a window is its own precision)");
  if (wv->type != JSON_T_OBJECT)
    return wrong_type(err, "window", "an object {\"from\": ..., \"to\": ...}",
                      wv);
  static const field keys[] = {FIELD("from"), FIELD("to"), {NULL, 0}};
  const json_node *w[2];
  if ((rc = get_fields(err, wv, "window", FIELDS(keys), w)))
    return rc;
  if (!w[0])
    return missing(err, "window.from", "the window's start");
  if (!w[1])
    return missing(err, "window.to", "the window's end");
  if ((rc = get_time(err, w[0], "window.from", &o->t_ms)) ||
      (rc = get_time(err, w[1], "window.to", &o->t_end_ms)))
    return rc;
  if (o->t_ms > o->t_end_ms) {
    char a[32], b[32];
    truce_time_format(o->t_ms, a);
    truce_time_format(o->t_end_ms, b);
    return fail(err, TRUCE_ERANGE, "window",
                "from %s is after to %s", a, b);
  }
  o->is_window = 1;
  return check_future(err, "window.to", w[1], o->t_end_ms, now_ms);
}

/* ---- where ---- */

static truce_err parse_latlon(char *err, const json_node *lat,
                              const json_node *lon, const char *parent,
                              truce_obs *o) {
  truce_err rc;
  if ((rc = get_num(err, lat, parent, "lat", -90, 90, CLOSED, true,
                    "latitude in degrees, WGS84", &o->lat_deg)) ||
      (rc = get_num(err, lon, parent, "lon", -180, 180, CLOSED, true,
                    "longitude in degrees, WGS84", &o->lon_deg)))
    return rc;
  return TRUCE_OK;
}

/* The members of where: a point's, then a bearing report's. */
enum {
  W_LAT, W_LON, W_UNCERTAINTY, W_OBSERVER, W_BEARING, W_SPREAD, W_DIST_MIN,
  W_DIST_MAX, W_N
};
static const field where_keys[W_N + 1] = {
    [W_LAT] = FIELD("lat"),
    [W_LON] = FIELD("lon"),
    [W_UNCERTAINTY] = FIELD("uncertainty_m"),
    [W_OBSERVER] = FIELD("observer"),
    [W_BEARING] = FIELD("bearing_deg"),
    [W_SPREAD] = FIELD("spread_deg"),
    [W_DIST_MIN] = FIELD("dist_min_m"),
    [W_DIST_MAX] = FIELD("dist_max_m"),
    [W_N] = {NULL, 0}};
/* For messages: the fields of each form. */
static const field point_keys[] = {FIELD("lat"), FIELD("lon"),
                                   FIELD("uncertainty_m"), {NULL, 0}};
static const field bearing_keys[] = {
    FIELD("observer"),   FIELD("bearing_deg"), FIELD("spread_deg"),
    FIELD("dist_min_m"), FIELD("dist_max_m"),  {NULL, 0}};

static truce_err parse_where(char *err, const json_node *wv, truce_obs *o) {
  truce_err rc = get_object(err, wv, "", "where");
  if (rc)
    return rc;
  if (!wv)
    return missing(err, "where",
                   "{\"lat\": .., \"lon\": ..} or {\"observer\": {..}, "
                   "\"bearing_deg\": ..}");
  const json_node *w[W_N];
  const json_node *unknown = read_fields(wv, FIELDS(where_keys), w);
  bool point = w[W_LAT] || w[W_LON] || w[W_UNCERTAINTY];
  bool bearing = w[W_OBSERVER] || w[W_BEARING] || w[W_SPREAD] ||
                 w[W_DIST_MIN] || w[W_DIST_MAX];
  if (bearing && point)
    return fail(err, TRUCE_EPARSE, "where",
                "mixes a point (lat, lon, uncertainty_m) with a bearing "
                "report (observer, bearing_deg, ...); give one (the "
                "observer's position goes in where.observer)");
  if (!bearing) {
    o->where_kind = TRUCE_WHERE_POINT;
    if (unknown)
      return unknown_field(err, unknown, "where", point_keys);
    if ((rc = parse_latlon(err, w[W_LAT], w[W_LON], "where", o)))
      return rc;
    return get_num(err, w[W_UNCERTAINTY], "where", "uncertainty_m", 0,
                   TRUCE_OBS_METRES_MAX, CLOSED, false, "",
                   &o->uncertainty_m);
  }
  o->where_kind = TRUCE_WHERE_BEARING;
  if (unknown)
    return unknown_field(err, unknown, "where", bearing_keys);
  const json_node *obs = w[W_OBSERVER];
  if ((rc = get_object(err, obs, "where", "observer")))
    return rc;
  if (!obs)
    return missing(err, "where.observer",
                   "the observer's position {\"lat\": .., \"lon\": ..}");
  static const field ll_keys[] = {FIELD("lat"), FIELD("lon"), {NULL, 0}};
  const json_node *ll[2];
  if ((rc = get_fields(err, obs, "where.observer", FIELDS(ll_keys), ll)) ||
      (rc = parse_latlon(err, ll[0], ll[1], "where.observer", o)) ||
      (rc = get_num(err, w[W_BEARING], "where", "bearing_deg", 0, 360,
                    HI_OPEN, true, "degrees from true north, 0 to 360",
                    &o->bearing_deg)) ||
      (rc = get_num(err, w[W_SPREAD], "where", "spread_deg", 0, 180, CLOSED,
                    false, "", &o->bearing_spread_deg)) ||
      (rc = get_num(err, w[W_DIST_MIN], "where", "dist_min_m", 0,
                    TRUCE_OBS_METRES_MAX, CLOSED, false, "",
                    &o->dist_min_m)) ||
      (rc = get_num(err, w[W_DIST_MAX], "where", "dist_max_m", 0,
                    TRUCE_OBS_METRES_MAX, CLOSED, false, "",
                    &o->dist_max_m)))
    return rc;
  if (w[W_DIST_MIN] && !w[W_DIST_MAX])
    return missing(err, "where.dist_max_m",
                   "with dist_min_m, give dist_max_m too");
  if (o->dist_min_m > o->dist_max_m) {
    char a[32], b[32];
    return fail(err, TRUCE_ERANGE, "where.dist_min_m",
                "%s is more than where.dist_max_m %s",
                num_msg(o->dist_min_m, a), num_msg(o->dist_max_m, b));
  }
  return TRUCE_OK;
}

/* ---- the optional parts ---- */

static truce_err parse_weapon(char *err, const json_node *wv, truce_obs *o) {
  static const field keys[] = {FIELD("class"), FIELD("calibre_mm"),
                               FIELD("system"), {NULL, 0}};
  const json_node *w[3];
  truce_err rc = get_object(err, wv, "", "weapon");
  if (rc || !wv)
    return rc;
  if (wv->len == 0)
    return fail(err, TRUCE_EPARSE, "weapon",
                "empty object (give class, calibre_mm or system, or leave "
                "weapon out)");
  if ((rc = get_fields(err, wv, "weapon", FIELDS(keys), w)))
    return rc;
  if (w[0]) {
    const char *s = "";
    size_t n = 0;
    if ((rc = get_word(err, w[0], "weapon", "class", "", &s, &n)))
      return rc;
    o->weapon = truce_weapon_class_from_name(s, n);
    if (o->weapon == TRUCE_WEAPON_NONE)
      return not_in_vocab(err, "weapon.class", s, n);
  }
  if ((rc = get_num(err, w[1], "weapon", "calibre_mm", 0,
                    TRUCE_OBS_CALIBRE_MAX_MM, LO_OPEN, false, "",
                    &o->calibre_mm)))
    return rc;
  return get_string(err, w[2], "weapon", "system", TRUCE_OBS_ID_MAX,
                    o->system);
}

static truce_err parse_fire(char *err, const json_node *fv, truce_obs *o) {
  static const field keys[] = {FIELD("from_deg"), FIELD("towards_deg"),
                               FIELD("spread_deg"), {NULL, 0}};
  const json_node *f[3];
  truce_err rc = get_object(err, fv, "", "fire");
  if (rc || !fv)
    return rc;
  if ((rc = get_fields(err, fv, "fire", FIELDS(keys), f)))
    return rc;
  if (f[0] && f[1])
    return fail(err, TRUCE_EPARSE, "fire",
                "give from_deg or towards_deg, not both");
  if (!f[0] && !f[1])
    return missing(err, "fire.from_deg",
                   "give from_deg (where the fire came from) or towards_deg "
                   "(where it went)");
  if (f[0]) {
    rc = get_num(err, f[0], "fire", "from_deg", 0, 360, HI_OPEN, true, "",
                 &o->fire_from_deg);
  } else {
    double t = 0;
    rc = get_num(err, f[1], "fire", "towards_deg", 0, 360, HI_OPEN, true, "",
                 &t);
    /* The direction it came from is the reverse bearing, on the 7-decimal
     * grid again (t + 180 in binary need not be the grid's double); 360
     * is 0. */
    double from = json_round7(t < 180 ? t + 180 : t - 180);
    o->fire_from_deg = from >= 360 ? from - 360 : from;
  }
  if (rc ||
      (rc = get_num(err, f[2], "fire", "spread_deg", 0, 180, CLOSED, false,
                    "", &o->fire_spread_deg)))
    return rc;
  o->has_fire = 1;
  return TRUCE_OK;
}

static const field evidence_kinds[] = {
    FIELD("photo"), FIELD("video"), FIELD("audio"), FIELD("document"),
    FIELD("data"),  {NULL, 0}};

static truce_err parse_evidence(char *err, const json_node *a, truce_obs *o) {
  static const field keys[] = {FIELD("sha256"), FIELD("kind"), {NULL, 0}};
  if (!a)
    return TRUCE_OK;
  if (a->type != JSON_T_ARRAY)
    return wrong_type(err, "evidence", "an array", a);
  size_t n = a->len;
  if (n > TRUCE_OBS_EVIDENCE_MAX)
    return fail(err, TRUCE_ETOOBIG, "evidence", "%zu items (at most %d)", n,
                TRUCE_OBS_EVIDENCE_MAX);
  const json_node *e = a->first;
  for (size_t i = 0; i < n; i++, e = e->next) {
    /* "evidence[i]", written out only when a message needs it. */
    char path[PATH_MAX_LEN] = "evidence[0]";
    if (i)
      snprintf(path, sizeof path, "evidence[%zu]", i);
    if (e->type != JSON_T_OBJECT)
      return wrong_type(err, path, "an object {\"sha256\": .., \"kind\": ..}",
                        e);
    truce_err rc;
    const json_node *f[2];
    const char *s = "";
    size_t len = 0;
    if ((rc = get_fields(err, e, path, FIELDS(keys), f)) ||
        (rc = get_sha256(err, f[0], path, "sha256", o->evidence[i].sha256)) ||
        (rc = get_word(err, f[1], path, "kind",
                       "photo, video, audio, document or data", &s, &len)))
      return rc;
    bool known = false;
    for (size_t k = 0; evidence_kinds[k].name && !known; k++)
      known = len == evidence_kinds[k].len &&
              same_bytes(s, evidence_kinds[k].name, len);
    if (!known) {
      char shown[TEXT_SHOW_MAX], kpath[PATH_MAX_LEN];
      return fail(err, TRUCE_EVOCAB, path_join(kpath, path, "kind"),
                  "'%s' is not one of photo, video, audio, document, data",
                  text_show(s, len, shown));
    }
    memcpy(o->evidence[i].kind, s, len);
    o->evidence[i].kind[len] = '\0';
  }
  o->nevidence = (unsigned)n;
  return TRUCE_OK;
}

static truce_err parse_provenance(char *err, const json_node *pv,
                                  truce_obs *o) {
  static const field keys[] = {FIELD("dataset"), FIELD("file_sha256"),
                               FIELD("row"), {NULL, 0}};
  const json_node *p[3];
  truce_err rc = get_object(err, pv, "", "provenance");
  if (rc || !pv)
    return rc;
  const char *s = "";
  size_t n = 0;
  if ((rc = get_fields(err, pv, "provenance", FIELDS(keys), p)) ||
      (rc = get_word(err, p[0], "provenance", "dataset",
                     "the data set's name, e.g. \"firms\"", &s, &n)))
    return rc;
  char shown[TEXT_SHOW_MAX];
  if (n > sizeof o->dataset - 1)
    return fail(err, TRUCE_ETOOBIG, "provenance.dataset",
                "'%s' is %zu bytes (at most %zu)", text_show(s, n, shown), n,
                sizeof o->dataset - 1);
  bool ok = n > 0;
  for (size_t i = 0; i < n && ok; i++)
    ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
         s[i] == '_' || s[i] == '-';
  if (!ok)
    return fail(err, TRUCE_EPARSE, "provenance.dataset",
                "'%s' must be 1 to 32 of a-z, 0-9, _ and -",
                text_show(s, n, shown));
  memcpy(o->dataset, s, n);
  o->dataset[n] = '\0';
  int64_t row = 0;
  if ((rc = get_sha256(err, p[1], "provenance", "file_sha256",
                       o->file_sha256)) ||
      (rc = get_int(err, p[2], "provenance", "row", 1, INT64_MAX, true,
                    "the 1-based row (line) in that file", &row)))
    return rc;
  o->row = (uint64_t)row;
  o->has_provenance = 1;
  return TRUCE_OK;
}

/* ---- the observation ---- */

/* Identifiers written by people and matched by machines: no spaces, no
 * punctuation that could be mistaken for a separator. */
static bool token_ok(const char *s) {
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-' ||
          *s == '/'))
      return false;
  return true;
}

/* "serials": ["2S1-0412", ...]: the serial numbers of the weapons seen,
 * or found at a site on a visit. An empty list is a visit that found
 * nothing. Each at most TRUCE_OBS_SERIAL_MAX bytes, no repeats. */
static truce_err parse_serials(char *err, const json_node *v, truce_obs *o) {
  if (!v)
    return TRUCE_OK;
  if (v->type != JSON_T_ARRAY)
    return wrong_type(err, "serials", "a list of serial numbers", v);
  if (v->len > TRUCE_OBS_SERIALS_MAX)
    return fail(err, TRUCE_ETOOBIG, "serials", "%u serial numbers (at most %d)",
                v->len, TRUCE_OBS_SERIALS_MAX);
  char path[PATH_MAX_LEN];
  size_t i = 0;
  for (const json_node *e = v->first; e; e = e->next, i++) {
    snprintf(path, sizeof path, "serials[%zu]", i);
    if (e->type != JSON_T_STRING)
      return wrong_type(err, path, "a string", e);
    if (e->len == 0 || e->len > TRUCE_OBS_SERIAL_MAX)
      return fail(err, e->len ? TRUCE_ETOOBIG : TRUCE_EPARSE, path,
                  "must be 1 to %d bytes", TRUCE_OBS_SERIAL_MAX);
    memcpy(o->serials[i], e->u.str, e->len);
    o->serials[i][e->len] = '\0';
    char shown[TEXT_SHOW_MAX];
    if (!token_ok(o->serials[i]))
      return fail(err, TRUCE_EPARSE, path,
                  "'%s' must be letters, digits, '.', '_', '-' or '/'",
                  text_show(o->serials[i], e->len, shown));
    for (size_t k = 0; k < i; k++)
      if (strcmp(o->serials[k], o->serials[i]) == 0)
        return fail(err, TRUCE_EPARSE, path, "'%s' is listed twice",
                    text_show(o->serials[i], e->len, shown));
  }
  o->nserials = (unsigned)i;
  o->has_serials = 1;
  return TRUCE_OK;
}

static truce_err parse_root(char *err, const json_node *root, int64_t now_ms,
                            truce_obs *o) {
  const json_node *f[F_ROOT_N];
  truce_err rc;
  const char *s = "";
  size_t n = 0;
  if ((rc = get_fields(err, root, "", FIELDS(root_keys), f)) ||
      (rc = get_string(err, f[F_ID], "", "id", TRUCE_OBS_ID_MAX, o->id)) ||
      (rc = get_word(err, f[F_WHAT], "", "what",
                     "what was seen or heard, e.g. \"explosion\"", &s, &n)))
    return rc;
  o->what = truce_what_from_name(s, n);
  if (o->what == TRUCE_WHAT_NONE)
    return not_in_vocab(err, "what", s, n);
  int64_t count = 1;
  if ((rc = get_int(err, f[F_COUNT], "", "count", 1, TRUCE_OBS_COUNT_MAX,
                    false, "", &count)))
    return rc;
  o->count = (uint32_t)count;
  const json_node *av = f[F_COUNT_APPROX];
  if (av) {
    if (av->type != JSON_T_TRUE && av->type != JSON_T_FALSE)
      return wrong_type(err, "count_approx", "true or false", av);
    o->count_approx = av->type == JSON_T_TRUE;
  }
  if ((rc = parse_when(err, f, now_ms, o)) ||
      (rc = parse_where(err, f[F_WHERE], o)) ||
      (rc = parse_weapon(err, f[F_WEAPON], o)) ||
      (rc = parse_serials(err, f[F_SERIALS], o)) ||
      (rc = get_string(err, f[F_SITE], "", "site", TRUCE_OBS_ID_MAX,
                       o->site)) ||
      (rc = parse_fire(err, f[F_FIRE], o)))
    return rc;
  char shown[TEXT_SHOW_MAX];
  if (o->site[0] && !token_ok(o->site))
    return fail(err, TRUCE_EPARSE, "site",
                "'%s' must be letters, digits, '.', '_' or '-'",
                text_show(o->site, strlen(o->site), shown));
  if (o->what == TRUCE_WHAT_SITE_VISIT && !o->site[0])
    return missing(err, "site", "a site_visit names the site visited");
  if (o->nserials && o->what != TRUCE_WHAT_WEAPON_SEEN &&
      o->what != TRUCE_WHAT_SITE_VISIT)
    return fail(err, TRUCE_EPARSE, "serials",
                "only a weapon_seen or a site_visit lists serial numbers");
  if (f[F_MEANS]) {
    if ((rc = get_word(err, f[F_MEANS], "", "means", "", &s, &n)))
      return rc;
    o->means = truce_means_from_name(s, n);
    if (!o->means)
      return not_in_vocab(err, "means", s, n);
  }
  if ((rc = parse_evidence(err, f[F_EVIDENCE], o)) ||
      (rc = parse_provenance(err, f[F_PROVENANCE], o)) ||
      (rc = get_string(err, f[F_PLACE], "", "place", sizeof o->place - 1,
                       o->place)) ||
      (rc = get_string(err, f[F_NOTE], "", "note", TRUCE_OBS_TEXT_MAX,
                       o->note)))
    return rc;
  return TRUCE_OK;
}

truce_err truce_obs_parse(const char *json, size_t len, int64_t now_ms,
                          truce_obs *out, char *err) {
  if (!out)
    return seterr(err, TRUCE_EINVAL, "truce_obs_parse: no output");
  memset(out, 0, sizeof *out);
  if (!json)
    return seterr(err, TRUCE_EINVAL, "truce_obs_parse: no input");
  if (len > TRUCE_OBS_LINE_MAX)
    return seterr(err, TRUCE_ETOOBIG,
                  "observation: %zu bytes (at most %d on one line)", len,
                  TRUCE_OBS_LINE_MAX);
  if (len == 0)
    return seterr(err, TRUCE_EPARSE,
                  "observation: empty (want one JSON object)");
  /* About 30 KB: too much for the stack of a library call that may run
   * on a small thread stack, and one malloc costs far less than the
   * parse. */
  json_doc *d = truce_malloc(sizeof *d);
  if (!d)
    return seterr(err, TRUCE_ENOMEM, "observation: out of memory");
  truce_err rc = json_parse(d, json, len);
  const json_node *root = json_root(d);
  /* The reader calls a NUL byte a stray character: say what it is (looked
   * for only then, since no line that parses has one). */
  const char *nul = rc ? memchr(json, '\0', len) : NULL;
  if (nul)
    rc = seterr(err, TRUCE_EPARSE, "observation: NUL byte at byte %zu",
                (size_t)(nul - json) + 1);
  else if (rc)
    rc = fail(err, rc, NULL, "%s", d->msg);
  else if (root->type != JSON_T_OBJECT)
    rc = fail(err, TRUCE_EPARSE, "observation", "must be a JSON object, got %s",
              type_name(root));
  else
    rc = parse_root(err, root, now_ms, out);
  truce_free(d);
  if (rc)
    memset(out, 0, sizeof *out);
  return rc;
}

/* ---- the canonical form ---- */

/* The line is assembled here and appended to the caller's buffer once:
 * small appends to a truce_buf each check and may grow it. A canonical
 * line is at most TRUCE_OBS_LINE_MAX bytes (every field at its largest
 * takes about 4 KB; test_largest_canonical), so that is the room. */
typedef struct line {
  char *p, *end;
} line;

static inline truce_err put_n(line *w, const char *s, size_t n) {
  if (n > (size_t)(w->end - w->p))
    return TRUCE_ETOOBIG;
  memcpy(w->p, s, n);
  w->p += n;
  return TRUCE_OK;
}

/* A string literal, its length known at compile time. */
#define put(w, lit) put_n(w, lit, sizeof lit - 1)

/* A key as a literal, quoted and with its colon: K("lat") is the two
 * arguments "\"lat\":", 6. */
#define K(name) "\"" name "\":", sizeof "\"" name "\":" - 1

/* A JSON string: only '"', '\\' and controls are escaped, everything else
 * is written as is (UTF-8), so the canonical form is as short as it can
 * be and one string has one spelling. */
static truce_err put_string(line *w, const char *s, size_t n) {
  size_t k = json_quote(s, n, w->p, (size_t)(w->end - w->p));
  if (!k)
    return TRUCE_ETOOBIG;
  w->p += k;
  return TRUCE_OK;
}

/* A string known to need no escapes (words, hex, times). */
static inline truce_err put_plain(line *w, const char *s, size_t n) {
  if (n + 2 > (size_t)(w->end - w->p))
    return TRUCE_ETOOBIG;
  w->p[0] = '"';
  memcpy(w->p + 1, s, n);
  w->p[n + 1] = '"';
  w->p += n + 2;
  return TRUCE_OK;
}

/* ,"key": from K("key") (the first member of an object passes first =
 * true) */
static inline truce_err put_key(line *w, bool *first, const char *key,
                                size_t n) {
  if (n + 1 > (size_t)(w->end - w->p))
    return TRUCE_ETOOBIG;
  if (!*first)
    *w->p++ = ',';
  *first = false;
  memcpy(w->p, key, n);
  w->p += n;
  return TRUCE_OK;
}

/* A text field of a truce_obs (cap bytes with its NUL). Most are short
 * printable ASCII with nothing to escape (ids, evidence kinds): those
 * are checked and copied in one pass; the rest go the long way. */
static truce_err put_text(line *w, bool *first, const char *key, size_t klen,
                          const char *s, size_t cap) {
  truce_err rc = put_key(w, first, key, klen);
  if (rc)
    return rc;
  size_t room = (size_t)(w->end - w->p), n = 0;
  char *o = w->p + 1;
  while (n < cap && n + 2 < room) {
    unsigned char c = (unsigned char)s[n];
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
      break;
    o[n++] = (char)c;
  }
  if (n < cap && s[n] == '\0' && n + 2 < room) {
    w->p[0] = '"';
    w->p[n + 1] = '"';
    w->p += n + 2;
    return TRUCE_OK;
  }
  n = strnlen(s, cap);
  if (n == cap || !text_ok(s, n))
    return TRUCE_EINVAL; /* not a string parse could have produced */
  return put_string(w, s, n);
}

/* Rounded to 7 decimals (parsed values are already on that grid);
 * EINVAL for what no parse gives: NaN, infinities, |x| beyond 1e8. */
static inline truce_err put_num(line *w, bool *first, const char *key,
                                size_t klen, double x) {
  truce_err rc = put_key(w, first, key, klen);
  if (rc)
    return rc;
  if (JSON_NUM7_MAX > w->end - w->p)
    return TRUCE_ETOOBIG;
  size_t n = json_num7(x, w->p); /* in place: room checked */
  if (!n)
    return TRUCE_EINVAL;
  w->p += n;
  return TRUCE_OK;
}

static inline truce_err put_uint(line *w, uint64_t v) {
  char tmp[24];
  size_t n = sizeof tmp;
  do {
    tmp[--n] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return put_n(w, tmp + n, sizeof tmp - n);
}

static inline truce_err put_time(line *w, bool *first, const char *key,
                                 size_t klen, int64_t t) {
  char s[32];
  truce_time_format(t, s);
  truce_err rc = put_key(w, first, key, klen);
  return rc ? rc : put_plain(w, s, strlen(s));
}

/* "00" to "ff": two hex digits with one load. */
#define HEX_ROW(x)                                                           \
  x "0" x "1" x "2" x "3" x "4" x "5" x "6" x "7" x "8" x "9" x "a" x "b"      \
      x "c" x "d" x "e" x "f"
static const char hex_pairs[513] =
    HEX_ROW("0") HEX_ROW("1") HEX_ROW("2") HEX_ROW("3") HEX_ROW("4")
        HEX_ROW("5") HEX_ROW("6") HEX_ROW("7") HEX_ROW("8") HEX_ROW("9")
            HEX_ROW("a") HEX_ROW("b") HEX_ROW("c") HEX_ROW("d") HEX_ROW("e")
                HEX_ROW("f");

/* "64 hex digits", encoded in place. */
static truce_err put_hex(line *w, bool *first, const char *key, size_t klen,
                         const uint8_t h[32]) {
  truce_err rc = put_key(w, first, key, klen);
  if (rc)
    return rc;
  if (66 > w->end - w->p)
    return TRUCE_ETOOBIG;
  char *o = w->p;
  o[0] = '"';
  for (int i = 0; i < 32; i++)
    memcpy(o + 1 + 2 * i, hex_pairs + 2 * h[i], 2);
  o[65] = '"';
  w->p += 66;
  return TRUCE_OK;
}

static inline truce_err put_word(line *w, bool *first, const char *key,
                                 size_t klen, const char *word) {
  if (!word)
    return TRUCE_EINVAL; /* a value with no name in the vocabulary */
  truce_err rc = put_key(w, first, key, klen);
  return rc ? rc : put_plain(w, word, strlen(word));
}

/* A bearing on the 7-decimal grid, where 360 is north again: 0. */
static double bearing7(double x) {
  double r = json_round7(x);
  return r == 360 ? 0 : r;
}

/* The numbers as they will be written: rounded to 7 decimals, so that a
 * value set by hand between grid points is written as parse would store
 * it, and "left out at 0" is decided on what is written. */
typedef struct nums {
  double lat, lon, unc, bearing, spread, dmin, dmax, calibre, from, fspread;
} nums;

static truce_err format_where(const truce_obs *o, const nums *v, line *b) {
  bool first = true, inner = true;
  truce_err rc = put(b, "{");
  if (rc)
    return rc;
  if (o->where_kind == TRUCE_WHERE_POINT) {
    if ((rc = put_num(b, &first, K("lat"), v->lat)) ||
        (rc = put_num(b, &first, K("lon"), v->lon)) ||
        (v->unc != 0 && (rc = put_num(b, &first, K("uncertainty_m"), v->unc))))
      return rc;
  } else if (o->where_kind == TRUCE_WHERE_BEARING) {
    if ((rc = put_key(b, &first, K("observer"))) || (rc = put(b, "{")) ||
        (rc = put_num(b, &inner, K("lat"), v->lat)) ||
        (rc = put_num(b, &inner, K("lon"), v->lon)) || (rc = put(b, "}")) ||
        (rc = put_num(b, &first, K("bearing_deg"), v->bearing)) ||
        (v->spread != 0 &&
         (rc = put_num(b, &first, K("spread_deg"), v->spread))) ||
        (v->dmin != 0 && (rc = put_num(b, &first, K("dist_min_m"), v->dmin))) ||
        (v->dmax != 0 && (rc = put_num(b, &first, K("dist_max_m"), v->dmax))))
      return rc;
  } else {
    return TRUCE_EINVAL;
  }
  return put(b, "}");
}

static truce_err format_obs(const truce_obs *o, line *b) {
  const nums v = {json_round7(o->lat_deg),
                  json_round7(o->lon_deg),
                  json_round7(o->uncertainty_m),
                  bearing7(o->bearing_deg),
                  json_round7(o->bearing_spread_deg),
                  json_round7(o->dist_min_m),
                  json_round7(o->dist_max_m),
                  json_round7(o->calibre_mm),
                  bearing7(o->fire_from_deg),
                  json_round7(o->fire_spread_deg)};
  bool first = true;
  truce_err rc;
  if ((rc = put(b, "{")) ||
      (o->id[0] && (rc = put_text(b, &first, K("id"), o->id, sizeof o->id))) ||
      (rc = put_word(b, &first, K("what"), truce_what_name(o->what))) ||
      (rc = put_key(b, &first, K("count"))) || (rc = put_uint(b, o->count)) ||
      (o->count_approx &&
       ((rc = put_key(b, &first, K("count_approx"))) || (rc = put(b, "true")))))
    return rc;
  if (o->is_window) {
    bool inner = true;
    if ((rc = put_key(b, &first, K("window"))) || (rc = put(b, "{")) ||
        (rc = put_time(b, &inner, K("from"), o->t_ms)) ||
        (rc = put_time(b, &inner, K("to"), o->t_end_ms)) || (rc = put(b, "}")))
      return rc;
  } else if ((rc = put_time(b, &first, K("time"), o->t_ms)) ||
             (o->precision_s &&
              ((rc = put_key(b, &first, K("precision_s"))) ||
               (rc = put_uint(b, o->precision_s))))) {
    return rc;
  }
  if ((rc = put_key(b, &first, K("where"))) || (rc = format_where(o, &v, b)))
    return rc;
  if (o->weapon != TRUCE_WEAPON_NONE || v.calibre != 0 || o->system[0]) {
    bool inner = true;
    if ((rc = put_key(b, &first, K("weapon"))) || (rc = put(b, "{")) ||
        (o->weapon != TRUCE_WEAPON_NONE &&
         (rc = put_word(b, &inner, K("class"),
                        truce_weapon_class_name(o->weapon)))) ||
        (v.calibre != 0 &&
         (rc = put_num(b, &inner, K("calibre_mm"), v.calibre))) ||
        (o->system[0] &&
         (rc = put_text(b, &inner, K("system"), o->system,
                        sizeof o->system))) ||
        (rc = put(b, "}")))
      return rc;
  }
  if (o->has_serials) {
    if ((rc = put_key(b, &first, K("serials"))) || (rc = put(b, "[")))
      return rc;
    for (unsigned k = 0; k < o->nserials && k < TRUCE_OBS_SERIALS_MAX; k++)
      if ((k && (rc = put(b, ","))) ||
          (rc = put_string(b, o->serials[k], strnlen(o->serials[k],
                                                     TRUCE_OBS_SERIAL_MAX))))
        return rc;
    if ((rc = put(b, "]")))
      return rc;
  }
  if (o->site[0] &&
      (rc = put_text(b, &first, K("site"), o->site, sizeof o->site)))
    return rc;
  if (o->has_fire) {
    bool inner = true;
    if ((rc = put_key(b, &first, K("fire"))) || (rc = put(b, "{")) ||
        (rc = put_num(b, &inner, K("from_deg"), v.from)) ||
        (v.fspread != 0 &&
         (rc = put_num(b, &inner, K("spread_deg"), v.fspread))) ||
        (rc = put(b, "}")))
      return rc;
  }
  if (o->means && (rc = put_word(b, &first, K("means"),
                                 truce_means_name(o->means))))
    return rc;
  if (o->nevidence > TRUCE_OBS_EVIDENCE_MAX)
    return TRUCE_EINVAL;
  if (o->nevidence) {
    if ((rc = put_key(b, &first, K("evidence"))) || (rc = put(b, "[")))
      return rc;
    for (unsigned i = 0; i < o->nevidence; i++) {
      bool inner = true;
      if ((i && (rc = put(b, ","))) || (rc = put(b, "{")) ||
          (rc = put_hex(b, &inner, K("sha256"), o->evidence[i].sha256)) ||
          (rc = put_text(b, &inner, K("kind"), o->evidence[i].kind,
                         sizeof o->evidence[i].kind)) ||
          (rc = put(b, "}")))
        return rc;
    }
    if ((rc = put(b, "]")))
      return rc;
  }
  if (o->has_provenance) {
    bool inner = true;
    if ((rc = put_key(b, &first, K("provenance"))) || (rc = put(b, "{")) ||
        (rc = put_text(b, &inner, K("dataset"), o->dataset,
                       sizeof o->dataset)) ||
        (rc = put_hex(b, &inner, K("file_sha256"), o->file_sha256)) ||
        (rc = put_key(b, &inner, K("row"))) || (rc = put_uint(b, o->row)) ||
        (rc = put(b, "}")))
      return rc;
  }
  if ((o->place[0] &&
       (rc = put_text(b, &first, K("place"), o->place, sizeof o->place))) ||
      (o->note[0] &&
       (rc = put_text(b, &first, K("note"), o->note, sizeof o->note))))
    return rc;
  return put(b, "}");
}

truce_err truce_obs_format(const truce_obs *o, truce_buf *out) {
  if (!o || !out)
    return TRUCE_EINVAL;
  char buf[TRUCE_OBS_LINE_MAX];
  line w = {buf, buf + sizeof buf};
  truce_err rc = format_obs(o, &w);
  /* All or nothing: the caller's buffer is touched only by this append,
   * which itself changes nothing when it fails. */
  return rc ? rc : truce_buf_append(out, buf, (size_t)(w.p - buf));
}
