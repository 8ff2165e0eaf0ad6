/*
 * json.h: private to lib/. A strict, zero-allocation JSON reader for the
 * one-line objects truce checks by the million (observations, source
 * payloads), and the two spellings the canonical writers share: numbers
 * to 7 decimals and quoted strings.
 *
 * The reader parses a whole line once into a json_doc the caller
 * provides: a fixed array of nodes (a "DOM-lite") and an arena for the
 * strings that had escapes. Nothing is allocated, nothing is global, and
 * a node points into the caller's input or into the doc, so both must
 * outlive its use. jansson took about 14 us for a typical observation
 * line (every member allocated); this takes well under 1 us.
 *
 * Strict RFC 8259, and a little more:
 * - no comments, no trailing commas, no NaN or Infinity, no leading
 *   zeros, no bytes after the value but whitespace;
 * - strings valid UTF-8 (no overlong forms, no surrogates), no raw
 *   control characters, only the escapes of RFC 8259, and \u escapes
 *   that name a character (a high surrogate needs its low one);
 * - "\u0000" is refused: every user keeps strings as C strings, where a
 *   NUL would silently cut the value short;
 * - duplicate keys are refused (which value would count?); keys are
 *   compared after decoding, so "a" and "\u0061" are the same key;
 * - containers nest at most JSON_DEPTH_MAX deep, a line holds at most
 *   JSON_NODES_MAX values and JSON_LINE_MAX bytes;
 * - numbers must be finite as doubles ("1e999" is refused as "not a
 *   finite number"); an integer (no fraction, no exponent) must fit an
 *   int64_t.
 * Any top-level value is accepted; callers check that it is an object.
 *
 * Must not depend on anything but internal.h and the C library: it sits
 * under obs.c and entry.c, not beside them.
 */
#ifndef TRUCE_JSON_H
#define TRUCE_JSON_H

#include "internal.h"

#define JSON_DEPTH_MAX 16
/* A full observation has about 70 values; a source payload fewer. */
#define JSON_NODES_MAX 256
#define JSON_LINE_MAX TRUCE_OBS_LINE_MAX
#define JSON_MSG_MAX 160

typedef enum json_node_type {
  JSON_T_NONE = 0, /* not a node (never stored) */
  JSON_T_OBJECT,
  JSON_T_ARRAY,
  JSON_T_STRING,
  JSON_T_NUMBER,
  JSON_T_TRUE,
  JSON_T_FALSE,
  JSON_T_NULL
} json_node_type;

typedef struct json_node json_node;
struct json_node {
  const json_node *first; /* containers: the first member or element */
  const json_node *next;  /* the next member or element of the parent */
  const char *key;        /* members: the decoded key, not NUL-terminated */
  union {
    const char *str; /* strings: the decoded value, not NUL-terminated */
    int64_t i;       /* numbers with is_int: the value */
  } u;
  double num;       /* numbers: the nearest double (-0 kept as written) */
  uint32_t key_len; /* members: bytes of key */
  uint32_t len;     /* strings: bytes; containers: members or elements */
  uint32_t off;     /* byte offset of the value in the input */
  uint8_t type;     /* json_node_type */
  uint8_t is_int;   /* numbers written without fraction and exponent */
};

typedef struct json_doc {
  const char *text; /* the input, as given to json_parse */
  size_t len;
  size_t nnodes, arena_used;
  size_t err_off;        /* byte offset of the error in the input */
  size_t err_col;        /* its 1-based column (characters, not bytes) */
  size_t err_line;       /* its 1-based line (JSON may hold newlines) */
  char msg[JSON_MSG_MAX]; /* "not JSON: ... (column 12)", or "" */
  json_node node[JSON_NODES_MAX];
  /* Decoded strings never outgrow their escaped form, and a number's
   * slow-path copy fits in what the line has left: the line's length
   * plus room for an exponent bounds everything written here. */
  char arena[JSON_LINE_MAX + 32];
} json_doc;

/* Parse n bytes (no NUL needed; a NUL byte is not JSON). On success the
 * root is json_root(d). On failure d->msg holds a one-line message with
 * the column, and the code is TRUCE_EPARSE (not JSON, and NaN or
 * Infinity), TRUCE_ERANGE (a number that is not a finite double, an
 * integer beyond int64) or TRUCE_ETOOBIG (too long, too many values). */
truce_err json_parse(json_doc *d, const char *s, size_t n);

/* The 1-based column (in characters) of byte offset off in d's input,
 * counted from the last newline before it; *line (may be NULL) receives
 * the 1-based line. */
size_t json_column(const json_doc *d, size_t off, size_t *line);

static inline const json_node *json_root(const json_doc *d) {
  return &d->node[0];
}

static inline json_node_type json_type_of(const json_node *n) {
  return (json_node_type)n->type;
}

/* The member `key` (a C string) of an object, or NULL if it has none or n
 * is not an object. */
static inline const json_node *json_get(const json_node *obj,
                                        const char *key) {
  if (!obj || obj->type != JSON_T_OBJECT)
    return NULL;
  size_t klen = strlen(key);
  for (const json_node *m = obj->first; m; m = m->next)
    if (m->key_len == klen && memcmp(m->key, key, klen) == 0)
      return m;
  return NULL;
}

/* Element i of an array, or NULL. */
static inline const json_node *json_at(const json_node *arr, size_t i) {
  if (!arr || arr->type != JSON_T_ARRAY)
    return NULL;
  const json_node *e = arr->first;
  while (e && i--)
    e = e->next;
  return e;
}

/* Members of an object or elements of an array, in document order. */
#define json_foreach(parent, n)                                              \
  for (const json_node *n = (parent)->first; n; n = n->next)

/* Canonical numbers are written with at most 7 decimals, no exponent, no
 * trailing zeros, integers without ".0" and never "-0". json_round7
 * snaps a double to that 1e-7 grid (callers store numbers rounded, so
 * writing them is exact and a fixed point: parse(format(x)) == x).
 * Both are exact for |x| <= JSON_NUM7_LIMIT, where x * 1e7 is well inside
 * 2^53; json_round7 returns other values unchanged and json_num7 refuses
 * them (and NaN) by returning 0. */
#define JSON_NUM7_LIMIT 1e8
#define JSON_NUM7_MAX 24 /* "-100000000.1234567" and a NUL, with room */
size_t json_num7(double x, char out[JSON_NUM7_MAX]);

/* round(y), halves away from zero, for |y| < 2^62: inline, as libm's is a
 * call and every number is rounded on the way in and on the way out.
 * The truncation and the subtraction are exact for such y, and nothing
 * depends on the rounding mode. */
static inline double json_round_half_away(double y) {
  double t = (double)(int64_t)y, f = y - t;
  return f >= 0.5 ? t + 1 : f <= -0.5 ? t - 1 : t;
}

static inline double json_round7(double x) {
  /* Not NaN, and inside the limit (fabs without libm). */
  if (!(x <= JSON_NUM7_LIMIT && x >= -JSON_NUM7_LIMIT))
    return x;
  /* x * 1e7 is within 0.5 of the grid point's integer for any x already
   * on the grid (|x| <= 1e8: the product's error is below 0.2), so this
   * is idempotent. */
  double k = json_round_half_away(x * 1e7);
  if (k == 0)
    return 0; /* not -0: the canonical form has no "-0" */
  return k / 1e7;
}

/* A JSON string, quotes included: '"' and '\\' escaped with a backslash,
 * bytes below 0x20 as \u00XX, everything else as is (UTF-8). Writes at
 * most cap bytes and returns the length, or 0 if it does not fit (the
 * worst case is 6 * n + 2). */
size_t json_quote(const char *s, size_t n, char *out, size_t cap);

#endif /* TRUCE_JSON_H */
