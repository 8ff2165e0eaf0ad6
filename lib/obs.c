/*
 * obs.c: one observation as a JSON line <-> truce_obs: validation with
 * messages that name the field, and the canonical form that is signed
 * and logged (docs/observation.md is the schema).
 *
 * Owns: the JSON schema of observations, its limits and wording, and the
 * canonical writer. Depends on jansson for reading only (the canonical
 * form is written here, byte by byte, so that jansson's output choices
 * can never change what gets signed), on vocab.c for words and on
 * time.c for times. Must not depend on the log, sources or batches:
 * they call this, not the other way round.
 *
 * Allocation: jansson allocates with malloc unless told otherwise; its
 * allocations are routed through truce_malloc/truce_free (once per
 * process, json_set_alloc_funcs) so that tests failing the Nth
 * allocation reach jansson's allocations too. This is process-wide: any
 * other jansson user in the process then allocates through truce_malloc
 * as well, which is harmless because truce_malloc is malloc underneath.
 */
#include "internal.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- jansson's allocations ---- */

/* jansson does not always report a failed allocation as one (its lexer
 * can lose a character and go on), so we note failures ourselves and
 * trust that over jansson's result. */
static _Thread_local bool json_alloc_failed;

static void *json_alloc(size_t n) {
  void *p = truce_malloc(n);
  if (!p)
    json_alloc_failed = true;
  return p;
}

static void json_release(void *p) { truce_free(p); }

static pthread_once_t json_once = PTHREAD_ONCE_INIT;

static void json_setup(void) { json_set_alloc_funcs(json_alloc, json_release); }

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

#define SHOW_MAX 72 /* an echoed input value, as shown in a message */

/* Input echoed into a message: at most ~60 bytes, cut on a character
 * boundary, with control characters (C0, DEL, C1) and bytes that are not
 * UTF-8 shown as '?', so that a hostile value cannot drive the analyst's
 * terminal or garble the message. */
static const char *show(const char *s, size_t n, char out[SHOW_MAX]) {
  const unsigned char *p = (const unsigned char *)s;
  size_t o = 0, i = 0;
  while (i < n) {
    size_t clen = 1;
    if (p[i] >= 0xc0)
      while (i + clen < n && clen < 4 && (p[i + clen] & 0xc0) == 0x80)
        clen++;
    /* One '?' per control character, one per byte of broken UTF-8. */
    bool valid = p[i] < 0x80 || (clen > 1 && utf8_text_ok(s + i, clen, false));
    if (!valid)
      clen = 1;
    bool shown = valid && p[i] >= 0x20 && p[i] != 0x7f &&
                 !(p[i] == 0xc2 && p[i + 1] < 0xa0);
    size_t w = shown ? clen : 1;
    if (o + w > 60) {
      memcpy(out + o, "...", 3);
      o += 3;
      break;
    }
    if (shown)
      memcpy(out + o, s + i, clen);
    else
      out[o] = '?';
    o += w;
    i += clen;
  }
  out[o] = '\0';
  return out;
}

#define NUM_MAX 400 /* a double written out in full: 309 digits at most */

/* Fewest significant digits (15 to 17) that read back as the same
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

/* The canonical decimal of a finite double: the shortest digits that
 * round-trip, written positionally (never an exponent: "0.00001", not
 * "1e-05"), integers without ".0", no "-0". The digits come from %e and
 * are placed by hand, which also keeps a locale's decimal comma out. */
static void num_canonical(double x, char out[NUM_MAX]) {
  if (x == 0) { /* also -0: "-0" would read back as the integer 0 */
    strcpy(out, "0");
    return;
  }
  char e[64];
  snprintf(e, sizeof e, "%.*e", shortest_prec(x) - 1, x);
  char dig[24];
  size_t nd = 0;
  const char *p = e;
  bool neg = *p == '-';
  if (neg)
    p++;
  for (; *p && *p != 'e' && *p != 'E'; p++)
    if (*p >= '0' && *p <= '9' && nd < sizeof dig)
      dig[nd++] = *p;
  int exp10 = (*p) ? atoi(p + 1) : 0;
  while (nd > 1 && dig[nd - 1] == '0')
    nd--;
  /* value = d0.d1d2... * 10^exp10 */
  size_t o = 0;
  if (neg)
    out[o++] = '-';
  if (exp10 < 0) {
    out[o++] = '0';
    out[o++] = '.';
    for (int z = 0; z < -exp10 - 1; z++)
      out[o++] = '0';
    memcpy(out + o, dig, nd);
    o += nd;
  } else if ((size_t)exp10 + 1 >= nd) {
    memcpy(out + o, dig, nd);
    o += nd;
    for (size_t z = nd; z < (size_t)exp10 + 1; z++)
      out[o++] = '0';
  } else {
    size_t ip = (size_t)exp10 + 1;
    memcpy(out + o, dig, ip);
    o += ip;
    out[o++] = '.';
    memcpy(out + o, dig + ip, nd - ip);
    o += nd - ip;
  }
  out[o] = '\0';
}

/* ---- reading fields ---- */

#define PATH_MAX_LEN 64

/* "parent.key" (or "key" at the top level). Paths are made from our own
 * field names, the longest ("where.observer.lat") well under the limit;
 * clipping keeps it bounded all the same. */
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

static truce_err wrong_type(char *err, const char *path, const char *want,
                            const json_t *v) {
  return fail(err, TRUCE_EPARSE, path, "must be %s, got %s", want,
              type_name(v));
}

static truce_err missing(char *err, const char *path, const char *hint) {
  return fail(err, TRUCE_EPARSE, path, "missing (%s)", hint);
}

/* Every key of obj must be in `known` (NULL-terminated). */
static truce_err check_keys(char *err, const json_t *obj, const char *parent,
                            const char *const *known) {
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)obj, key, v) {
    bool ok = false;
    for (size_t i = 0; known[i] && !ok; i++)
      ok = strcmp(key, known[i]) == 0;
    if (ok)
      continue;
    char list[256] = "", shown[SHOW_MAX], path[PATH_MAX_LEN];
    size_t o = 0;
    for (size_t i = 0; known[i]; i++) {
      int n = snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "",
                       known[i]);
      if (n < 0 || (size_t)n >= sizeof list - o)
        break;
      o += (size_t)n;
    }
    show(key, strlen(key), shown);
    if (parent && *parent)
      snprintf(path, sizeof path, "%s.", parent);
    else
      path[0] = '\0';
    return fail(err, TRUCE_EPARSE, NULL, "unknown field '%s%s' (known: %s)",
                path, shown, list);
  }
  return TRUCE_OK;
}

/* No C0 controls, DEL or C1 controls (U+0080..U+009F), valid UTF-8
 * (jansson checks that too; utf8_text_ok is the library's one rule). A
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

/* An optional string of at most max bytes, copied into dst (which holds
 * max + 1). "" is the same as absent. */
static truce_err get_string(char *err, const json_t *obj, const char *parent,
                            const char *key, size_t max, char *dst,
                            bool *present) {
  char path[PATH_MAX_LEN];
  json_t *v = json_object_get(obj, key);
  if (present)
    *present = v != NULL;
  if (!v)
    return TRUCE_OK;
  path_join(path, parent, key);
  if (!json_is_string(v))
    return wrong_type(err, path, "a string", v);
  const char *s = json_string_value(v);
  size_t n = json_string_length(v);
  if (n > max)
    return fail(err, TRUCE_ETOOBIG, path, "%zu bytes (at most %zu)", n, max);
  if (!text_ok(s, n))
    return fail(err, TRUCE_EPARSE, path,
                "contains a control character (tab, newline and the like "
                "are not allowed)");
  memcpy(dst, s, n);
  dst[n] = '\0';
  return TRUCE_OK;
}

/* A required string, returned in place (for words looked up next). */
static truce_err get_word(char *err, const json_t *obj, const char *parent,
                          const char *key, const char *hint, const char **s,
                          size_t *n) {
  char path[PATH_MAX_LEN];
  path_join(path, parent, key);
  json_t *v = json_object_get(obj, key);
  if (!v)
    return missing(err, path, hint);
  if (!json_is_string(v))
    return wrong_type(err, path, "a string", v);
  *s = json_string_value(v);
  *n = json_string_length(v);
  return TRUCE_OK;
}

static truce_err not_in_vocab(char *err, const char *path, const char *s,
                              size_t n) {
  char shown[SHOW_MAX];
  return fail(err, TRUCE_EVOCAB, path,
              "'%s' is not in the vocabulary (see docs/observation.md)",
              show(s, n, shown));
}

/* An integer in [lo, hi]. */
static truce_err get_int(char *err, const json_t *obj, const char *parent,
                         const char *key, int64_t lo, int64_t hi,
                         bool required, const char *hint, int64_t *out,
                         bool *present) {
  char path[PATH_MAX_LEN];
  path_join(path, parent, key);
  json_t *v = json_object_get(obj, key);
  if (present)
    *present = v != NULL;
  if (!v)
    return required ? missing(err, path, hint) : TRUCE_OK;
  if (json_is_real(v)) {
    char num[32];
    return fail(err, TRUCE_EPARSE, path, "must be an integer, got %s",
                num_msg(json_real_value(v), num));
  }
  if (!json_is_integer(v))
    return wrong_type(err, path, "an integer", v);
  int64_t x = (int64_t)json_integer_value(v);
  if (x < 0 && lo >= 0)
    return fail(err, TRUCE_ERANGE, path,
                "%" PRId64 " is negative (allowed %" PRId64 " to %" PRId64
                ")",
                x, lo, hi);
  if (x < lo || x > hi)
    return fail(err, TRUCE_ERANGE, path,
                "%" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]", x,
                lo, hi);
  *out = x;
  return TRUCE_OK;
}

enum { CLOSED = 0, LO_OPEN = 1, HI_OPEN = 2 };

/* A number (integer or not) in [lo, hi], either end open per `open`. */
static truce_err get_num(char *err, const json_t *obj, const char *parent,
                         const char *key, double lo, double hi, int open,
                         bool required, const char *hint, double *out,
                         bool *present) {
  char path[PATH_MAX_LEN];
  path_join(path, parent, key);
  json_t *v = json_object_get(obj, key);
  if (present)
    *present = v != NULL;
  if (!v)
    return required ? missing(err, path, hint) : TRUCE_OK;
  if (!json_is_number(v))
    return wrong_type(err, path, "a number", v);
  double x = json_number_value(v);
  if (!isfinite(x)) /* jansson refuses these; kept for safety */
    return fail(err, TRUCE_ERANGE, path, "not a finite number");
  if (x == 0)
    x = 0; /* -0 becomes 0: the canonical form has no "-0" */
  bool below = (open & LO_OPEN) ? !(x > lo) : !(x >= lo);
  bool above = (open & HI_OPEN) ? !(x < hi) : !(x <= hi);
  if (below || above) {
    char a[32], b[32], c[32];
    return fail(err, TRUCE_ERANGE, path, "%s is out of range %c%s, %s%c",
                num_msg(x, a), (open & LO_OPEN) ? '(' : '[', num_msg(lo, b),
                num_msg(hi, c), (open & HI_OPEN) ? ')' : ']');
  }
  *out = x;
  return TRUCE_OK;
}

static truce_err get_object(char *err, const json_t *obj, const char *parent,
                            const char *key, json_t **out) {
  char path[PATH_MAX_LEN];
  *out = json_object_get(obj, key);
  if (*out && !json_is_object(*out))
    return wrong_type(err, path_join(path, parent, key), "an object", *out);
  return TRUCE_OK;
}

/* 64 hex digits into 32 bytes. */
static truce_err get_sha256(char *err, const json_t *obj, const char *parent,
                            const char *key, uint8_t out[32]) {
  char path[PATH_MAX_LEN];
  path_join(path, parent, key);
  const char *s = "";
  size_t n = 0, got = 0;
  truce_err rc = get_word(err, obj, parent, key, "a SHA-256 in hex", &s, &n);
  if (rc)
    return rc;
  if (n != 64 || truce_hex_decode(s, n, out, 32, &got) != TRUCE_OK)
    return fail(err, TRUCE_EPARSE, path,
                "must be a SHA-256 as 64 hex digits (got %zu characters%s)",
                n, n == 64 ? ", not all hex" : "");
  return TRUCE_OK;
}

/* ---- times ---- */

static truce_err get_time(char *err, const json_t *v, const char *path,
                          int64_t *t) {
  char shown[SHOW_MAX];
  if (!json_is_string(v))
    return wrong_type(err, path, "a string (RFC 3339, e.g. "
                                 "\"2015-02-16T03:10:00+02:00\")",
                      v);
  const char *s = json_string_value(v);
  size_t n = json_string_length(v);
  truce_err rc = truce_time_parse(s, n, t);
  if (rc == TRUCE_ERANGE)
    return fail(err, TRUCE_ERANGE, path,
                "'%s' is not a possible time (month 01-12, day within the "
                "month, hour 00-23, minute and second 00-59, offset up to "
                "23:59, years 1900-2999)",
                show(s, n, shown));
  if (rc)
    return fail(err, TRUCE_EPARSE, path,
                "'%s' is not an RFC 3339 time (write e.g. "
                "2015-02-16T03:10:00+02:00 or 2015-02-16T01:10:00.250Z)",
                show(s, n, shown));
  return TRUCE_OK;
}

/* Refuse times more than TRUCE_FUTURE_MAX_MS after now: a clock that
 * runs ahead would otherwise let a source pre-date nothing but post-date
 * everything, and report times are compared across sources. */
static truce_err check_future(char *err, const char *path, const json_t *v,
                              int64_t t, int64_t now_ms) {
  if (now_ms > INT64_MAX - TRUCE_FUTURE_MAX_MS ||
      t <= now_ms + TRUCE_FUTURE_MAX_MS)
    return TRUCE_OK;
  /* t > now_ms, so the difference is positive and below 2^64, but may
   * not fit int64 for an absurd now_ms: subtract as unsigned. */
  uint64_t d = (uint64_t)t - (uint64_t)now_ms;
  char ahead[80], shown[SHOW_MAX], now[32];
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
              show(json_string_value(v), json_string_length(v), shown), ahead,
              TRUCE_FUTURE_MAX_MS / 60000, now);
}

static truce_err parse_when(char *err, const json_t *root, int64_t now_ms,
                            truce_obs *o) {
  json_t *tv = json_object_get(root, "time");
  json_t *wv = json_object_get(root, "window");
  json_t *pv = json_object_get(root, "precision_s");
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
    rc = get_int(err, root, "", "precision_s", 0, 31622400, false, "", &p,
                 NULL);
    o->precision_s = (uint32_t)p;
    return rc;
  }
  if (pv)
    return fail(err, TRUCE_EPARSE, "precision_s",
                "only with \"time\" (a window is its own precision)");
  if (!json_is_object(wv))
    return wrong_type(err, "window", "an object {\"from\": ..., \"to\": ...}",
                      wv);
  static const char *const keys[] = {"from", "to", NULL};
  if ((rc = check_keys(err, wv, "window", keys)))
    return rc;
  json_t *from = json_object_get(wv, "from"), *to = json_object_get(wv, "to");
  if (!from)
    return missing(err, "window.from", "the window's start");
  if (!to)
    return missing(err, "window.to", "the window's end");
  if ((rc = get_time(err, from, "window.from", &o->t_ms)) ||
      (rc = get_time(err, to, "window.to", &o->t_end_ms)))
    return rc;
  if (o->t_ms > o->t_end_ms) {
    char a[32], b[32];
    truce_time_format(o->t_ms, a);
    truce_time_format(o->t_end_ms, b);
    return fail(err, TRUCE_ERANGE, "window",
                "from %s is after to %s", a, b);
  }
  o->is_window = 1;
  return check_future(err, "window.to", to, o->t_end_ms, now_ms);
}

/* ---- where ---- */

static truce_err parse_latlon(char *err, const json_t *obj,
                              const char *parent, truce_obs *o) {
  truce_err rc;
  if ((rc = get_num(err, obj, parent, "lat", -90, 90, CLOSED, true,
                    "latitude in degrees, WGS84", &o->lat_deg, NULL)) ||
      (rc = get_num(err, obj, parent, "lon", -180, 180, CLOSED, true,
                    "longitude in degrees, WGS84", &o->lon_deg, NULL)))
    return rc;
  return TRUCE_OK;
}

static truce_err parse_where(char *err, const json_t *root, truce_obs *o) {
  static const char *const point_keys[] = {"lat", "lon", "uncertainty_m",
                                           NULL};
  static const char *const bearing_keys[] = {
      "observer", "bearing_deg", "spread_deg", "dist_min_m", "dist_max_m",
      NULL};
  json_t *w;
  truce_err rc = get_object(err, root, "", "where", &w);
  if (rc)
    return rc;
  if (!w)
    return missing(err, "where",
                   "{\"lat\": .., \"lon\": ..} or {\"observer\": {..}, "
                   "\"bearing_deg\": ..}");
  bool bearing = false, point = false;
  for (size_t i = 0; bearing_keys[i]; i++)
    bearing |= json_object_get(w, bearing_keys[i]) != NULL;
  for (size_t i = 0; point_keys[i]; i++)
    point |= json_object_get(w, point_keys[i]) != NULL;
  if (bearing && point)
    return fail(err, TRUCE_EPARSE, "where",
                "mixes a point (lat, lon, uncertainty_m) with a bearing "
                "report (observer, bearing_deg, ...); give one (the "
                "observer's position goes in where.observer)");
  if (!bearing) {
    o->where_kind = TRUCE_WHERE_POINT;
    if ((rc = check_keys(err, w, "where", point_keys)) ||
        (rc = parse_latlon(err, w, "where", o)))
      return rc;
    return get_num(err, w, "where", "uncertainty_m", 0, 1e6, CLOSED, false,
                   "", &o->uncertainty_m, NULL);
  }
  o->where_kind = TRUCE_WHERE_BEARING;
  json_t *obs;
  if ((rc = check_keys(err, w, "where", bearing_keys)) ||
      (rc = get_object(err, w, "where", "observer", &obs)))
    return rc;
  if (!obs)
    return missing(err, "where.observer",
                   "the observer's position {\"lat\": .., \"lon\": ..}");
  static const char *const ll_keys[] = {"lat", "lon", NULL};
  bool has_min, has_max;
  if ((rc = check_keys(err, obs, "where.observer", ll_keys)) ||
      (rc = parse_latlon(err, obs, "where.observer", o)) ||
      (rc = get_num(err, w, "where", "bearing_deg", 0, 360, HI_OPEN, true,
                    "degrees from true north, 0 to 360", &o->bearing_deg,
                    NULL)) ||
      (rc = get_num(err, w, "where", "spread_deg", 0, 180, CLOSED, false, "",
                    &o->bearing_spread_deg, NULL)) ||
      (rc = get_num(err, w, "where", "dist_min_m", 0, 1e6, CLOSED, false, "",
                    &o->dist_min_m, &has_min)) ||
      (rc = get_num(err, w, "where", "dist_max_m", 0, 1e6, CLOSED, false, "",
                    &o->dist_max_m, &has_max)))
    return rc;
  if (has_min && !has_max)
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

static truce_err parse_weapon(char *err, const json_t *root, truce_obs *o) {
  static const char *const keys[] = {"class", "calibre_mm", "system", NULL};
  json_t *w;
  truce_err rc = get_object(err, root, "", "weapon", &w);
  if (rc || !w)
    return rc;
  if (json_object_size(w) == 0)
    return fail(err, TRUCE_EPARSE, "weapon",
                "empty object (give class, calibre_mm or system, or leave "
                "weapon out)");
  if ((rc = check_keys(err, w, "weapon", keys)))
    return rc;
  json_t *cv = json_object_get(w, "class");
  if (cv) {
    const char *s = "";
    size_t n = 0;
    if ((rc = get_word(err, w, "weapon", "class", "", &s, &n)))
      return rc;
    o->weapon = truce_weapon_class_from_name(s, n);
    if (o->weapon == TRUCE_WEAPON_NONE)
      return not_in_vocab(err, "weapon.class", s, n);
  }
  if ((rc = get_num(err, w, "weapon", "calibre_mm", 0, 2000, LO_OPEN, false,
                    "", &o->calibre_mm, NULL)))
    return rc;
  return get_string(err, w, "weapon", "system", TRUCE_OBS_ID_MAX, o->system,
                    NULL);
}

static truce_err parse_fire(char *err, const json_t *root, truce_obs *o) {
  static const char *const keys[] = {"from_deg", "towards_deg", "spread_deg",
                                     NULL};
  json_t *f;
  truce_err rc = get_object(err, root, "", "fire", &f);
  if (rc || !f)
    return rc;
  if ((rc = check_keys(err, f, "fire", keys)))
    return rc;
  bool has_from = json_object_get(f, "from_deg") != NULL;
  bool has_towards = json_object_get(f, "towards_deg") != NULL;
  if (has_from && has_towards)
    return fail(err, TRUCE_EPARSE, "fire",
                "give from_deg or towards_deg, not both");
  if (!has_from && !has_towards)
    return missing(err, "fire.from_deg",
                   "give from_deg (where the fire came from) or towards_deg "
                   "(where it went)");
  if (has_from) {
    rc = get_num(err, f, "fire", "from_deg", 0, 360, HI_OPEN, true, "",
                 &o->fire_from_deg, NULL);
  } else {
    double t = 0;
    rc = get_num(err, f, "fire", "towards_deg", 0, 360, HI_OPEN, true, "",
                 &t, NULL);
    /* The direction it came from is the reverse bearing. The sum can
     * round up to 360 for t just under 180; 360 is 0. */
    double from = t + 180;
    if (from >= 360)
      from -= 360;
    o->fire_from_deg = from;
  }
  if (rc ||
      (rc = get_num(err, f, "fire", "spread_deg", 0, 180, CLOSED, false, "",
                    &o->fire_spread_deg, NULL)))
    return rc;
  o->has_fire = 1;
  return TRUCE_OK;
}

static const char *const evidence_kinds[] = {"photo", "video", "audio",
                                             "document", "data", NULL};

static truce_err parse_evidence(char *err, const json_t *root, truce_obs *o) {
  static const char *const keys[] = {"sha256", "kind", NULL};
  json_t *a = json_object_get(root, "evidence");
  if (!a)
    return TRUCE_OK;
  if (!json_is_array(a))
    return wrong_type(err, "evidence", "an array", a);
  size_t n = json_array_size(a);
  if (n > TRUCE_OBS_EVIDENCE_MAX)
    return fail(err, TRUCE_ETOOBIG, "evidence", "%zu items (at most %d)", n,
                TRUCE_OBS_EVIDENCE_MAX);
  for (size_t i = 0; i < n; i++) {
    char path[PATH_MAX_LEN];
    snprintf(path, sizeof path, "evidence[%zu]", i);
    json_t *e = json_array_get(a, i);
    if (!json_is_object(e))
      return wrong_type(err, path, "an object {\"sha256\": .., \"kind\": ..}",
                        e);
    truce_err rc;
    const char *s = "";
    size_t len = 0;
    if ((rc = check_keys(err, e, path, keys)) ||
        (rc = get_sha256(err, e, path, "sha256", o->evidence[i].sha256)) ||
        (rc = get_word(err, e, path, "kind",
                       "photo, video, audio, document or data", &s, &len)))
      return rc;
    bool known = false;
    for (size_t k = 0; evidence_kinds[k] && !known; k++)
      known = strlen(evidence_kinds[k]) == len &&
              memcmp(s, evidence_kinds[k], len) == 0;
    if (!known) {
      char shown[SHOW_MAX], kpath[PATH_MAX_LEN];
      return fail(err, TRUCE_EVOCAB, path_join(kpath, path, "kind"),
                  "'%s' is not one of photo, video, audio, document, data",
                  show(s, len, shown));
    }
    memcpy(o->evidence[i].kind, s, len);
    o->evidence[i].kind[len] = '\0';
  }
  o->nevidence = (unsigned)n;
  return TRUCE_OK;
}

static truce_err parse_provenance(char *err, const json_t *root,
                                  truce_obs *o) {
  static const char *const keys[] = {"dataset", "file_sha256", "row", NULL};
  json_t *p;
  truce_err rc = get_object(err, root, "", "provenance", &p);
  if (rc || !p)
    return rc;
  const char *s = "";
  size_t n = 0;
  if ((rc = check_keys(err, p, "provenance", keys)) ||
      (rc = get_word(err, p, "provenance", "dataset",
                     "the data set's name, e.g. \"firms\"", &s, &n)))
    return rc;
  char shown[SHOW_MAX];
  if (n > sizeof o->dataset - 1)
    return fail(err, TRUCE_ETOOBIG, "provenance.dataset",
                "'%s' is %zu bytes (at most %zu)", show(s, n, shown), n,
                sizeof o->dataset - 1);
  bool ok = n > 0;
  for (size_t i = 0; i < n && ok; i++)
    ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
         s[i] == '_' || s[i] == '-';
  if (!ok)
    return fail(err, TRUCE_EPARSE, "provenance.dataset",
                "'%s' must be 1 to 32 of a-z, 0-9, _ and -",
                show(s, n, shown));
  memcpy(o->dataset, s, n);
  o->dataset[n] = '\0';
  int64_t row = 0;
  if ((rc = get_sha256(err, p, "provenance", "file_sha256", o->file_sha256)) ||
      (rc = get_int(err, p, "provenance", "row", 1, INT64_MAX, true,
                    "the 1-based row (line) in that file", &row, NULL)))
    return rc;
  o->row = (uint64_t)row;
  o->has_provenance = 1;
  return TRUCE_OK;
}

/* ---- the observation ---- */

static truce_err parse_root(char *err, const json_t *root, int64_t now_ms,
                            truce_obs *o) {
  static const char *const keys[] = {
      "id",    "what",   "count",    "count_approx", "time",
      "precision_s", "window", "where", "weapon",  "fire",
      "means", "evidence", "provenance", "place",  "note",
      NULL};
  truce_err rc;
  const char *s = "";
  size_t n = 0;
  if ((rc = check_keys(err, root, "", keys)) ||
      (rc = get_string(err, root, "", "id", TRUCE_OBS_ID_MAX, o->id, NULL)) ||
      (rc = get_word(err, root, "", "what",
                     "what was seen or heard, e.g. \"explosion\"", &s, &n)))
    return rc;
  o->what = truce_what_from_name(s, n);
  if (o->what == TRUCE_WHAT_NONE)
    return not_in_vocab(err, "what", s, n);
  int64_t count = 1;
  bool approx = false;
  if ((rc = get_int(err, root, "", "count", 1, 1000000, false, "", &count,
                    NULL)))
    return rc;
  o->count = (uint32_t)count;
  json_t *av = json_object_get(root, "count_approx");
  if (av) {
    if (!json_is_boolean(av))
      return wrong_type(err, "count_approx", "true or false", av);
    approx = json_is_true(av);
  }
  o->count_approx = approx;
  if ((rc = parse_when(err, root, now_ms, o)) ||
      (rc = parse_where(err, root, o)) || (rc = parse_weapon(err, root, o)) ||
      (rc = parse_fire(err, root, o)))
    return rc;
  json_t *mv = json_object_get(root, "means");
  if (mv) {
    if ((rc = get_word(err, root, "", "means", "", &s, &n)))
      return rc;
    o->means = truce_means_from_name(s, n);
    if (!o->means)
      return not_in_vocab(err, "means", s, n);
  }
  if ((rc = parse_evidence(err, root, o)) ||
      (rc = parse_provenance(err, root, o)) ||
      (rc = get_string(err, root, "", "place", sizeof o->place - 1, o->place,
                       NULL)) ||
      (rc = get_string(err, root, "", "note", TRUCE_OBS_TEXT_MAX, o->note,
                       NULL)))
    return rc;
  return TRUCE_OK;
}

static bool starts_with(const char *s, size_t n, const char *lit) {
  size_t k = strlen(lit);
  return n >= k && memcmp(s, lit, k) == 0;
}

/* jansson's refusal, worded for the analyst. NaN and Infinity are not
 * JSON, and 1e999 overflows a double: both are "not a finite number",
 * which jansson words as an invalid token or an overflow. */
static truce_err json_failure(char *err, const json_error_t *je,
                              const char *json, size_t len) {
  char text[SHOW_MAX * 2], where[48], token[SHOW_MAX] = "";
  const char *near = strstr(je->text, "near '");
  if (near) {
    near += 6;
    const char *end = strrchr(near, '\'');
    show(near, end && end >= near ? (size_t)(end - near) : strlen(near),
         token);
  }
  if (je->line > 1)
    snprintf(where, sizeof where, "line %d, column %d", je->line, je->column);
  else
    snprintf(where, sizeof where, "column %d", je->column);
  if (json_error_code(je) == json_error_numeric_overflow)
    return fail(err, TRUCE_ERANGE, NULL, "not a finite number: '%s' (%s)",
                token, where);
  if (json_error_code(je) == json_error_invalid_syntax &&
      strncmp(je->text, "invalid token", 13) == 0) {
    /* jansson stops "-Infinity" at the '-': look at what follows. */
    const char *t = token;
    size_t tlen = strlen(token);
    if ((t[0] == '-' || t[0] == '+') && t[1] == '\0' && je->position >= 0 &&
        (size_t)je->position < len) {
      t = json + je->position;
      tlen = len - (size_t)je->position;
    }
    if (starts_with(t, tlen, "NaN") || starts_with(t, tlen, "nan") ||
        starts_with(t, tlen, "Infinity") || starts_with(t, tlen, "inf"))
      return fail(err, TRUCE_EPARSE, NULL,
                  "not a finite number: NaN and Infinity are not JSON (%s)",
                  where);
  }
  return fail(err, TRUCE_EPARSE, NULL, "not JSON: %s (%s)",
              show(je->text, strlen(je->text), text), where);
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
  /* jansson would call a NUL byte "end of file expected": say what it is. */
  const char *nul = memchr(json, '\0', len);
  if (nul)
    return seterr(err, TRUCE_EPARSE, "observation: NUL byte at byte %zu",
                  (size_t)(nul - json) + 1);
  pthread_once(&json_once, json_setup);
  json_alloc_failed = false;
  json_error_t je;
  /* NUL in strings ("\u0000") is refused by jansson's default (no
   * JSON_ALLOW_NUL); the C strings below rely on that. */
  json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
  truce_err rc;
  /* Checked even when jansson returns a document: jansson 2.14's lexer
   * drops a character it cannot append and carries on, so a failed
   * allocation can yield a parse of different text (seen in
   * test_alloc_failure: "03:10" read as "03:0"). */
  if (json_alloc_failed || (!root && json_error_code(&je) ==
                                         json_error_out_of_memory)) {
    json_decref(root);
    return seterr(err, TRUCE_ENOMEM, "observation: out of memory");
  }
  if (!root)
    return json_failure(err, &je, json, len);
  if (!json_is_object(root))
    rc = fail(err, TRUCE_EPARSE, "observation", "must be a JSON object, got %s",
              type_name(root));
  else
    rc = parse_root(err, root, now_ms, out);
  json_decref(root);
  if (rc)
    memset(out, 0, sizeof *out);
  return rc;
}

/* ---- the canonical form ---- */

static truce_err put(truce_buf *b, const char *s) {
  return truce_buf_append(b, s, strlen(s));
}

/* A JSON string: only '"', '\\' and controls are escaped, everything else
 * is written as is (UTF-8), so the canonical form is as short as it can
 * be and one string has one spelling. */
static truce_err put_string(truce_buf *b, const char *s, size_t n) {
  truce_err rc = put(b, "\"");
  size_t start = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c != '"' && c != '\\' && c >= 0x20)
      continue;
    rc = truce_buf_append(b, s + start, i - start);
    if (!rc)
      rc = c == '"'    ? put(b, "\\\"")
           : c == '\\' ? put(b, "\\\\")
                       : truce_buf_appendf(b, "\\u%04x", c);
    start = i + 1;
  }
  if (!rc)
    rc = truce_buf_append(b, s + start, n - start);
  return rc ? rc : put(b, "\"");
}

/* ,"key":"value" (the first member of an object passes first = true) */
static truce_err put_key(truce_buf *b, bool *first, const char *key) {
  truce_err rc = put(b, *first ? "\"" : ",\"");
  *first = false;
  if (!rc)
    rc = put(b, key);
  return rc ? rc : put(b, "\":");
}

static truce_err put_text(truce_buf *b, bool *first, const char *key,
                          const char *s, size_t cap) {
  size_t n = strnlen(s, cap);
  if (n == cap || !text_ok(s, n))
    return TRUCE_EINVAL; /* not a string parse could have produced */
  truce_err rc = put_key(b, first, key);
  return rc ? rc : put_string(b, s, n);
}

static truce_err put_num(truce_buf *b, bool *first, const char *key,
                         double x) {
  if (!isfinite(x))
    return TRUCE_EINVAL;
  char num[NUM_MAX];
  num_canonical(x, num);
  truce_err rc = put_key(b, first, key);
  return rc ? rc : put(b, num);
}

static truce_err put_time(truce_buf *b, bool *first, const char *key,
                          int64_t t) {
  char s[32];
  truce_time_format(t, s);
  truce_err rc = put_key(b, first, key);
  return rc ? rc : put_string(b, s, strlen(s));
}

static truce_err put_hex(truce_buf *b, bool *first, const char *key,
                         const uint8_t h[32]) {
  char hex[65];
  truce_hex_encode(h, 32, hex);
  truce_err rc = put_key(b, first, key);
  return rc ? rc : put_string(b, hex, 64);
}

static truce_err put_word(truce_buf *b, bool *first, const char *key,
                          const char *word) {
  if (!word)
    return TRUCE_EINVAL; /* a value with no name in the vocabulary */
  truce_err rc = put_key(b, first, key);
  return rc ? rc : put_string(b, word, strlen(word));
}

static truce_err format_where(const truce_obs *o, truce_buf *b) {
  bool first = true, inner = true;
  truce_err rc = put(b, "{");
  if (rc)
    return rc;
  if (o->where_kind == TRUCE_WHERE_POINT) {
    if ((rc = put_num(b, &first, "lat", o->lat_deg)) ||
        (rc = put_num(b, &first, "lon", o->lon_deg)) ||
        (o->uncertainty_m != 0 &&
         (rc = put_num(b, &first, "uncertainty_m", o->uncertainty_m))))
      return rc;
  } else if (o->where_kind == TRUCE_WHERE_BEARING) {
    if ((rc = put_key(b, &first, "observer")) || (rc = put(b, "{")) ||
        (rc = put_num(b, &inner, "lat", o->lat_deg)) ||
        (rc = put_num(b, &inner, "lon", o->lon_deg)) || (rc = put(b, "}")) ||
        (rc = put_num(b, &first, "bearing_deg", o->bearing_deg)) ||
        (o->bearing_spread_deg != 0 &&
         (rc = put_num(b, &first, "spread_deg", o->bearing_spread_deg))) ||
        (o->dist_min_m != 0 &&
         (rc = put_num(b, &first, "dist_min_m", o->dist_min_m))) ||
        (o->dist_max_m != 0 &&
         (rc = put_num(b, &first, "dist_max_m", o->dist_max_m))))
      return rc;
  } else {
    return TRUCE_EINVAL;
  }
  return put(b, "}");
}

static truce_err format_obs(const truce_obs *o, truce_buf *b) {
  bool first = true;
  truce_err rc;
  if ((rc = put(b, "{")) ||
      (o->id[0] && (rc = put_text(b, &first, "id", o->id, sizeof o->id))) ||
      (rc = put_word(b, &first, "what", truce_what_name(o->what))) ||
      (rc = put_key(b, &first, "count")) ||
      (rc = truce_buf_appendf(b, "%" PRIu32, o->count)) ||
      (o->count_approx &&
       ((rc = put_key(b, &first, "count_approx")) || (rc = put(b, "true")))))
    return rc;
  if (o->is_window) {
    bool inner = true;
    if ((rc = put_key(b, &first, "window")) || (rc = put(b, "{")) ||
        (rc = put_time(b, &inner, "from", o->t_ms)) ||
        (rc = put_time(b, &inner, "to", o->t_end_ms)) || (rc = put(b, "}")))
      return rc;
  } else if ((rc = put_time(b, &first, "time", o->t_ms)) ||
             (o->precision_s &&
              ((rc = put_key(b, &first, "precision_s")) ||
               (rc = truce_buf_appendf(b, "%" PRIu32, o->precision_s))))) {
    return rc;
  }
  if ((rc = put_key(b, &first, "where")) || (rc = format_where(o, b)))
    return rc;
  if (o->weapon != TRUCE_WEAPON_NONE || o->calibre_mm != 0 || o->system[0]) {
    bool inner = true;
    if ((rc = put_key(b, &first, "weapon")) || (rc = put(b, "{")) ||
        (o->weapon != TRUCE_WEAPON_NONE &&
         (rc = put_word(b, &inner, "class",
                        truce_weapon_class_name(o->weapon)))) ||
        (o->calibre_mm != 0 &&
         (rc = put_num(b, &inner, "calibre_mm", o->calibre_mm))) ||
        (o->system[0] &&
         (rc = put_text(b, &inner, "system", o->system, sizeof o->system))) ||
        (rc = put(b, "}")))
      return rc;
  }
  if (o->has_fire) {
    bool inner = true;
    if ((rc = put_key(b, &first, "fire")) || (rc = put(b, "{")) ||
        (rc = put_num(b, &inner, "from_deg", o->fire_from_deg)) ||
        (o->fire_spread_deg != 0 &&
         (rc = put_num(b, &inner, "spread_deg", o->fire_spread_deg))) ||
        (rc = put(b, "}")))
      return rc;
  }
  if (o->means && (rc = put_word(b, &first, "means",
                                 truce_means_name(o->means))))
    return rc;
  if (o->nevidence > TRUCE_OBS_EVIDENCE_MAX)
    return TRUCE_EINVAL;
  if (o->nevidence) {
    if ((rc = put_key(b, &first, "evidence")) || (rc = put(b, "[")))
      return rc;
    for (unsigned i = 0; i < o->nevidence; i++) {
      bool inner = true;
      if ((i && (rc = put(b, ","))) || (rc = put(b, "{")) ||
          (rc = put_hex(b, &inner, "sha256", o->evidence[i].sha256)) ||
          (rc = put_text(b, &inner, "kind", o->evidence[i].kind,
                         sizeof o->evidence[i].kind)) ||
          (rc = put(b, "}")))
        return rc;
    }
    if ((rc = put(b, "]")))
      return rc;
  }
  if (o->has_provenance) {
    bool inner = true;
    if ((rc = put_key(b, &first, "provenance")) || (rc = put(b, "{")) ||
        (rc = put_text(b, &inner, "dataset", o->dataset,
                       sizeof o->dataset)) ||
        (rc = put_hex(b, &inner, "file_sha256", o->file_sha256)) ||
        (rc = put_key(b, &inner, "row")) ||
        (rc = truce_buf_appendf(b, "%" PRIu64, o->row)) || (rc = put(b, "}")))
      return rc;
  }
  if ((o->place[0] &&
       (rc = put_text(b, &first, "place", o->place, sizeof o->place))) ||
      (o->note[0] &&
       (rc = put_text(b, &first, "note", o->note, sizeof o->note))))
    return rc;
  return put(b, "}");
}

truce_err truce_obs_format(const truce_obs *o, truce_buf *out) {
  if (!o || !out)
    return TRUCE_EINVAL;
  size_t start = out->len;
  truce_err rc = format_obs(o, out);
  if (rc && out->data) { /* all or nothing: drop what was appended */
    out->len = start;
    out->data[start] = '\0';
  }
  return rc;
}
