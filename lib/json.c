/*
 * json.c: the strict JSON reader of json.h (one line into a json_doc of
 * nodes, no allocation) and the canonical spellings of numbers (7
 * decimals) and strings that obs.c writes.
 *
 * Owns: JSON grammar, UTF-8 and escape checks, number conversion, and the
 * wording of "not JSON" messages. Must not depend on what the JSON means
 * (obs.c and entry.c check fields) nor on any allocator: the caller
 * provides the json_doc.
 *
 * The reader is one loop with an explicit stack of open containers (at
 * most JSON_DEPTH_MAX), not recursion: the stack use is fixed whatever
 * the input, and the cursor stays in a register. The log reads every
 * observation of every batch it appends, so the common case (plain ASCII
 * strings, short numbers, no whitespace) is the fast one.
 */
#include "json.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef const unsigned char *cursor;

/* What the helpers need for messages. */
typedef struct parser {
  json_doc *d;
  cursor end;
  truce_err rc; /* of the first error */
} parser;

/* ---- messages ---- */

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

size_t json_column(const json_doc *d, size_t off, size_t *line) {
  const unsigned char *s = (const unsigned char *)d->text;
  size_t col = 1, ln = 1;
  if (off > d->len)
    off = d->len;
  for (size_t i = 0; i < off; i++) {
    if (s[i] == '\n') {
      ln++;
      col = 1;
    } else if ((s[i] & 0xc0) != 0x80) { /* UTF-8 continuation bytes: no */
      col++;
    }
  }
  if (line)
    *line = ln;
  return col;
}

/* Append s to the message, clipped to its size. */
static void msg_cat(char *msg, size_t *o, const char *s) {
  size_t n = strlen(s);
  if (n > JSON_MSG_MAX - 1 - *o)
    n = JSON_MSG_MAX - 1 - *o;
  memcpy(msg + *o, s, n);
  *o += n;
  msg[*o] = '\0';
}

/* Record the error: code, position and "prefix: text (column N)". Returns
 * NULL, the helpers' failed cursor, so that `return fail(...)` unwinds. */
static cursor fail(parser *P, truce_err code, cursor at, const char *prefix,
                   const char *fmt, ...) PRINTF_LIKE(5, 6);
static cursor fail(parser *P, truce_err code, cursor at, const char *prefix,
                   const char *fmt, ...) {
  json_doc *d = P->d;
  char text[JSON_MSG_MAX], where[64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  d->err_off = (size_t)(at - (cursor)d->text);
  d->err_col = json_column(d, d->err_off, &d->err_line);
  if (d->err_line > 1)
    snprintf(where, sizeof where, " (line %zu, column %zu)", d->err_line,
             d->err_col);
  else
    snprintf(where, sizeof where, " (column %zu)", d->err_col);
  size_t o = 0;
  d->msg[0] = '\0';
  msg_cat(d->msg, &o, prefix);
  /* Keep room for the position: it is the most useful part. */
  size_t keep = JSON_MSG_MAX - 1 - strlen(where);
  if (o + strlen(text) > keep && keep > o)
    text[keep - o] = '\0';
  msg_cat(d->msg, &o, text);
  msg_cat(d->msg, &o, where);
  P->rc = code;
  return NULL;
}

#define NOT_JSON "not JSON: "
#define SHOWN_MAX 32

/* What is at `at`, for a message: the token there (a punctuation mark, a
 * string, or a run of letters and digits), at most 26 bytes, with bytes
 * outside printable ASCII shown as '?' so that input cannot drive a
 * terminal; or "the end of the line". */
static const char *near(const parser *P, cursor at, char out[SHOWN_MAX]) {
  if (at >= P->end) {
    snprintf(out, SHOWN_MAX, "the end of the line");
    return out;
  }
  size_t n = 0, o = 0;
  size_t avail = (size_t)(P->end - at);
  if (*at && strchr("{}[],:", *at)) {
    n = 1;
  } else if (*at == '"') {
    n = 1;
    while (n < avail && at[n] != '"')
      n += at[n] == '\\' && n + 1 < avail ? 2 : 1;
    n = n < avail ? n + 1 : avail;
  } else {
    while (n < avail && at[n] && !strchr(" \t\r\n{}[],:\"", at[n]))
      n++;
  }
  out[o++] = '\'';
  for (size_t i = 0; i < n && o < SHOWN_MAX - 5; i++)
    out[o++] = at[i] >= 0x20 && at[i] < 0x7f ? (char)at[i] : '?';
  if (o == SHOWN_MAX - 5 && n > SHOWN_MAX - 6) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o++] = '\'';
  out[o] = '\0';
  return out;
}

/* ---- strings ---- */

static inline cursor skip_ws(cursor p, cursor end) {
  /* Canonical lines have no whitespace: one test says so. */
  if (p < end && *p > ' ')
    return p;
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
    p++;
  return p;
}

/* The length of the UTF-8 character at p (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), or 0 if it is not one. */
static size_t utf8_len(cursor p, cursor end) {
  size_t avail = (size_t)(end - p);
  unsigned c = p[0];
  if (c >= 0xc2 && c <= 0xdf)
    return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (avail < 3 || (p[2] & 0xc0) != 0x80)
      return 0;
    unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    return p[1] >= lo && p[1] <= hi ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (avail < 4 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
      return 0;
    unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    return p[1] >= lo && p[1] <= hi ? 4 : 0;
  }
  return 0;
}

static int hex4(cursor p) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    unsigned c = p[i];
    int h = c >= '0' && c <= '9'   ? (int)(c - '0')
            : c >= 'a' && c <= 'f' ? (int)(c - 'a' + 10)
            : c >= 'A' && c <= 'F' ? (int)(c - 'A' + 10)
                                   : -1;
    if (h < 0)
      return -1;
    v = v << 4 | h;
  }
  return v;
}

static cursor string_char_error(parser *P, cursor p) {
  if (*p < 0x20)
    return fail(P, TRUCE_EPARSE, p, NOT_JSON,
                "control character 0x%02x in a string (escape it, e.g. "
                "\\n, \\t or \\u00XX)",
                *p);
  return fail(P, TRUCE_EPARSE, p, NOT_JSON, "invalid UTF-8 in a string");
}

/* The rest of a string from the first backslash at p: decoded into the
 * arena. Escaped text never decodes longer than it is written (\n is 1
 * byte of 2, \uXXXX at most 3 of 6, a surrogate pair 4 of 12), so the
 * arena, as long as a line, cannot run out; the check below is a guard
 * for that reasoning, not a limit anyone reaches. Returns the cursor
 * after the closing quote, or NULL. */
static cursor string_escaped(parser *P, cursor quote, cursor start, cursor p,
                             const char **out, uint32_t *outlen) {
  json_doc *d = P->d;
  cursor end = P->end;
  if ((size_t)(end - start) > sizeof d->arena - d->arena_used)
    return fail(P, TRUCE_ETOOBIG, quote, "too large: ",
                "no room to decode a string");
  char *a = d->arena + d->arena_used, *o = a;
  memcpy(o, start, (size_t)(p - start));
  o += p - start;
  for (;;) {
    if (p >= end)
      return fail(P, TRUCE_EPARSE, quote, NOT_JSON, "unterminated string");
    unsigned c = *p;
    if (c == '"')
      break;
    if (c >= 0x20 && c < 0x80 && c != '\\') {
      *o++ = (char)c;
      p++;
      continue;
    }
    if (c != '\\') {
      size_t k = c >= 0x80 ? utf8_len(p, end) : 0;
      if (!k)
        return string_char_error(P, p);
      memcpy(o, p, k);
      o += k;
      p += k;
      continue;
    }
    if (end - p < 2)
      return fail(P, TRUCE_EPARSE, quote, NOT_JSON, "unterminated string");
    char simple = 0;
    switch (p[1]) {
    case '"': simple = '"'; break;
    case '\\': simple = '\\'; break;
    case '/': simple = '/'; break;
    case 'b': simple = '\b'; break;
    case 'f': simple = '\f'; break;
    case 'n': simple = '\n'; break;
    case 'r': simple = '\r'; break;
    case 't': simple = '\t'; break;
    case 'u': break;
    default:
      return fail(P, TRUCE_EPARSE, p, NOT_JSON,
                  "invalid escape '\\%c' in a string",
                  p[1] >= 0x20 && p[1] < 0x7f ? p[1] : '?');
    }
    if (simple) {
      *o++ = simple;
      p += 2;
      continue;
    }
    int cp = end - p >= 6 ? hex4(p + 2) : -1;
    if (cp < 0)
      return fail(P, TRUCE_EPARSE, p, NOT_JSON,
                  "invalid \\u escape (want \\u and 4 hex digits)");
    cursor esc = p;
    p += 6;
    if (cp >= 0xd800 && cp <= 0xdbff) {
      int lo = end - p >= 6 && p[0] == '\\' && p[1] == 'u' ? hex4(p + 2) : -1;
      if (lo < 0xdc00 || lo > 0xdfff)
        return fail(P, TRUCE_EPARSE, esc, NOT_JSON,
                    "lone surrogate \\u%04x in a string (a high surrogate "
                    "needs a low one after it)",
                    (unsigned)cp);
      cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      p += 6;
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
      return fail(P, TRUCE_EPARSE, esc, NOT_JSON,
                  "lone surrogate \\u%04x in a string", (unsigned)cp);
    } else if (cp == 0) {
      return fail(P, TRUCE_EPARSE, esc, NOT_JSON,
                  "\\u0000 in a string (NUL is not allowed)");
    }
    unsigned u = (unsigned)cp;
    if (u < 0x80) {
      *o++ = (char)u;
    } else if (u < 0x800) {
      *o++ = (char)(0xc0 | u >> 6);
      *o++ = (char)(0x80 | (u & 0x3f));
    } else if (u < 0x10000) {
      *o++ = (char)(0xe0 | u >> 12);
      *o++ = (char)(0x80 | (u >> 6 & 0x3f));
      *o++ = (char)(0x80 | (u & 0x3f));
    } else {
      *o++ = (char)(0xf0 | u >> 18);
      *o++ = (char)(0x80 | (u >> 12 & 0x3f));
      *o++ = (char)(0x80 | (u >> 6 & 0x3f));
      *o++ = (char)(0x80 | (u & 0x3f));
    }
  }
  *out = a;
  *outlen = (uint32_t)(o - a);
  d->arena_used += (size_t)(o - a);
  return p + 1;
}

/* Eight bytes at a time: the high bit of a byte of the result is set
 * where v has a byte that ends a run of plain string bytes (below 0x20,
 * '"', '\\', or 0x80 and up). This is the usual has-zero-byte arithmetic:
 * x - 0x0101.. sets a byte's high bit where that byte was zero (below
 * 0x20 for the first term), and may also set it in a byte above such a
 * byte (a borrow), never below one; bytes of 0x80 and up are masked out
 * by ~v and caught by v itself. So the lowest flagged byte is exact. */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static inline uint64_t special8(uint64_t v) {
  uint64_t q = v ^ (ONES * '"'), b = v ^ (ONES * '\\');
  return ((((v - ONES * 0x20) | (q - ONES) | (b - ONES)) & ~v) | v) & HIGHS;
}

/* The first byte at or after p that is not plain (see special8), or end.
 * Strings are most of a line's bytes: this is the reader's inner loop. */
static inline cursor plain_run(cursor p, cursor end) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                          \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  while (end - p >= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    uint64_t m = special8(v);
    if (m)
      return p + (__builtin_ctzll(m) >> 3);
    p += 8;
  }
#endif
  while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
    p++;
  return p;
}

/* Inlined into the reader's loop where the compiler allows it: a call
 * per string was a tenth of the reader's time. */
#if defined(__GNUC__)
#define HOT_INLINE inline __attribute__((always_inline))
#else
#define HOT_INLINE inline
#endif

/* The string whose opening quote is at `quote`. Without escapes the value
 * stays in the input. Returns the cursor after the closing quote, or
 * NULL. */
static HOT_INLINE cursor string_at(parser *P, cursor quote,
                                   const char **out, uint32_t *outlen) {
  cursor start = quote + 1, p = start, end = P->end;
  for (;;) {
    p = plain_run(p, end);
    if (p >= end)
      return fail(P, TRUCE_EPARSE, quote, NOT_JSON, "unterminated string");
    if (*p == '"')
      break;
    if (*p == '\\')
      return string_escaped(P, quote, start, p, out, outlen);
    size_t k = *p >= 0x80 ? utf8_len(p, end) : 0;
    if (!k)
      return string_char_error(P, p);
    p += k;
  }
  *out = (const char *)start;
  *outlen = (uint32_t)(p - start);
  return p + 1;
}

/* ---- numbers ---- */

/* 10^0 .. 10^22: every one is exact in a double. */
static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The exact path below relies on each operation rounding once, to double:
 * not so where intermediates are kept wider (x87). There, strtod. */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define FAST_PATH 1
#else
#define FAST_PATH 0
#endif

static bool is_digit(unsigned c) { return c - '0' < 10u; }

static bool nonfinite_word(cursor p, cursor end) {
  static const char *const words[] = {"NaN", "nan", "Infinity", "infinity",
                                      "inf", "Inf"};
  size_t avail = (size_t)(end - p);
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    size_t k = strlen(words[i]);
    if (avail >= k && memcmp(p, words[i], k) == 0)
      return true;
  }
  return false;
}

/* The slow path: the significant digits (leading zeros and the point
 * dropped) and the decimal exponent, written into the arena as
 * "DDDDe-NN" for strtod. Without a point the text cannot meet a locale's
 * decimal comma. The arena has room: at most the line's length has been
 * decoded into it before this number, whose digits are fewer than the
 * bytes left in the line (see json_doc). */
static bool number_strtod(parser *P, cursor digits, cursor dend, long e10,
                          cursor start, double *out) {
  json_doc *d = P->d;
  size_t room = sizeof d->arena - d->arena_used;
  if ((size_t)(dend - digits) + 16 > room) {
    fail(P, TRUCE_ETOOBIG, start, "too large: ", "number too long");
    return false;
  }
  char *buf = d->arena + d->arena_used, *o = buf;
  bool lead = true;
  for (cursor q = digits; q < dend; q++) {
    if (*q == '.' || (lead && *q == '0'))
      continue;
    lead = false;
    *o++ = (char)*q;
  }
  if (o == buf)
    *o++ = '0';
  *o++ = 'e';
  if (e10 < 0) {
    *o++ = '-';
    e10 = -e10;
  }
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + e10 % 10);
    e10 /= 10;
  } while (e10);
  while (n)
    *o++ = tmp[--n];
  *o = '\0';
  char *endp = NULL;
  double v = strtod(buf, &endp);
  if (endp != o || isinf(v)) {
    char shown[SHOWN_MAX];
    fail(P, TRUCE_ERANGE, start, "", "not a finite number: %s",
         near(P, start, shown));
    return false;
  }
  *out = v;
  return true;
}

/* RFC 8259 numbers: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
 * Up to 19 significant digits are gathered in an integer. Written as an
 * integer, the value must fit int64. Otherwise, with a mantissa m <= 2^53
 * and |decimal exponent| <= 22, m and 10^k are exact doubles and one
 * multiplication or division rounds correctly (IEEE 754): no strtod.
 * Returns the cursor after the number, or NULL. */
static cursor number_at(parser *P, cursor start, json_node *n) {
  cursor p = start, end = P->end;
  char shown[SHOWN_MAX];
  bool neg = false;
  if (*p == '-') {
    neg = true;
    p++;
  }
  if (p >= end || !is_digit(*p)) {
    if (p < end && nonfinite_word(p, end))
      return fail(P, TRUCE_EPARSE, start, "",
                  "not a finite number: NaN and Infinity are not JSON");
    return fail(P, TRUCE_EPARSE, start, NOT_JSON, "invalid number near %s",
                near(P, start, shown));
  }
  cursor digits = p;
  uint64_t m = 0;
  int sig = 0;   /* significant digits, from the first non-zero one */
  long frac = 0; /* digits after the point */
  bool is_int = true;
  if (*p == '0') {
    p++;
    if (p < end && is_digit(*p))
      return fail(P, TRUCE_EPARSE, start, NOT_JSON,
                  "invalid number near %s (no leading zeros)",
                  near(P, start, shown));
  } else {
    for (; p < end && is_digit(*p); p++) {
      if (sig < 19)
        m = m * 10 + (uint64_t)(*p - '0');
      sig++;
    }
  }
  if (p < end && *p == '.') {
    is_int = false;
    p++;
    if (p >= end || !is_digit(*p))
      return fail(P, TRUCE_EPARSE, start, NOT_JSON,
                  "invalid number near %s (a digit must follow '.')",
                  near(P, start, shown));
    for (; p < end && is_digit(*p); p++, frac++) {
      if (m == 0 && *p == '0')
        continue;
      if (sig < 19)
        m = m * 10 + (uint64_t)(*p - '0');
      sig++;
    }
  }
  cursor dend = p;
  long ex = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    is_int = false;
    p++;
    bool eneg = false;
    if (p < end && (*p == '+' || *p == '-'))
      eneg = *p++ == '-';
    if (p >= end || !is_digit(*p))
      return fail(P, TRUCE_EPARSE, start, NOT_JSON,
                  "invalid number near %s (a digit must follow 'e')",
                  near(P, start, shown));
    /* Past 10^6 the value is 0 or infinite whatever the digits (a line
     * holds fewer than 20,000 of them): stop counting there. */
    for (; p < end && is_digit(*p); p++)
      if (ex < 1000000)
        ex = ex * 10 + (*p - '0');
    if (eneg)
      ex = -ex;
  }
  n->type = JSON_T_NUMBER;
  if (is_int) {
    /* sig > 19 or m beyond int64: more than int64 holds. */
    uint64_t lim = neg ? UINT64_C(1) << 63 : (UINT64_C(1) << 63) - 1;
    if (sig > 19 || m > lim)
      return fail(P, TRUCE_ERANGE, start, "",
                  "integer out of range: %s is beyond +-2^63",
                  near(P, start, shown));
    n->is_int = 1;
    n->u.i = neg ? (m == UINT64_C(1) << 63 ? INT64_MIN : -(int64_t)m)
                 : (int64_t)m;
    n->num = neg ? -(double)m : (double)m;
    return p;
  }
  if (m == 0) { /* every digit zero: any exponent gives zero */
    n->num = neg ? -0.0 : 0.0;
    return p;
  }
  long e10 = ex - frac;
  double v;
  if (FAST_PATH && sig <= 19 && m <= UINT64_C(1) << 53 && e10 >= -22 &&
      e10 <= 22) {
    v = (double)m;
    v = e10 < 0 ? v / pow10_exact[-e10] : v * pow10_exact[e10];
  } else if (!number_strtod(P, digits, dend, e10, start, &v)) {
    return NULL;
  }
  n->num = neg ? -v : v;
  return p;
}

/* ---- the reader ---- */

/* A word at p: true, false, null, or an error (with a word for NaN and
 * Infinity, which some writers emit). */
static cursor word_at(parser *P, cursor p, json_node *n) {
  static const struct {
    const char *word;
    size_t len;
    json_node_type type;
  } words[] = {{"true", 4, JSON_T_TRUE},
               {"false", 5, JSON_T_FALSE},
               {"null", 4, JSON_T_NULL}};
  size_t avail = (size_t)(P->end - p);
  for (size_t i = 0; i < 3; i++) {
    if (avail >= words[i].len && memcmp(p, words[i].word, words[i].len) == 0) {
      n->type = (uint8_t)words[i].type;
      return p + words[i].len;
    }
  }
  char shown[SHOWN_MAX];
  if (nonfinite_word(p + (*p == '+'), P->end))
    return fail(P, TRUCE_EPARSE, p, "",
                "not a finite number: NaN and Infinity are not JSON");
  return fail(P, TRUCE_EPARSE, p, NOT_JSON,
              *p && strchr("]},:", *p) ? "a value expected near %s"
                                       : "invalid token near %s",
              near(P, p, shown));
}

truce_err json_parse(json_doc *d, const char *s, size_t n) {
  d->text = s;
  d->len = n;
  d->nnodes = d->arena_used = 0;
  d->err_off = d->err_col = d->err_line = 0;
  d->msg[0] = '\0';
  if (n > JSON_LINE_MAX) {
    d->len = 0; /* no column: the message does not point into the input */
    snprintf(d->msg, sizeof d->msg, "too large: %zu bytes (at most %d)", n,
             JSON_LINE_MAX);
    return TRUCE_ETOOBIG;
  }
  cursor p = (cursor)s, end = p + n;
  parser P = {d, end, TRUCE_OK};
  p = skip_ws(p, end);
  char shown[SHOWN_MAX];
  /* The open containers, innermost last, the last child of each, and for
   * objects a 64-bit filter of the keys seen (see member). */
  json_node *open[JSON_DEPTH_MAX], *last[JSON_DEPTH_MAX];
  uint64_t seen[JSON_DEPTH_MAX];
  int depth = 0;
  const char *key = NULL; /* the key of the member whose value is next */
  uint32_t key_len = 0;
  json_node *v;

value: /* whitespace before a value is skipped by whoever comes here */
  if (d->nnodes == JSON_NODES_MAX) {
    fail(&P, TRUCE_ETOOBIG, p, "too large: ",
         "more than %d values in one line", JSON_NODES_MAX);
    goto failed;
  }
  v = &d->node[d->nnodes++];
  v->first = v->next = NULL;
  v->key = key;
  v->key_len = key_len;
  v->len = 0;
  v->is_int = 0;
  v->num = 0;
  v->u.i = 0;
  v->off = (uint32_t)(p - (cursor)s);
  key = NULL;
  key_len = 0;
  if (depth) {
    if (last[depth - 1])
      last[depth - 1]->next = v;
    else
      open[depth - 1]->first = v;
    last[depth - 1] = v;
    open[depth - 1]->len++;
  }
  if (p >= end) {
    fail(&P, TRUCE_EPARSE, p, NOT_JSON,
         "a value expected at the end of the line");
    goto failed;
  }
  switch (*p) {
  case '"':
    v->type = JSON_T_STRING;
    if (!(p = string_at(&P, p, &v->u.str, &v->len)))
      goto failed;
    goto next;
  case '{':
  case '[':
    if (depth == JSON_DEPTH_MAX) {
      fail(&P, TRUCE_EPARSE, p, NOT_JSON,
           "maximum parsing depth reached (containers nest at most %d "
           "deep)",
           JSON_DEPTH_MAX);
      goto failed;
    }
    v->type = *p == '{' ? JSON_T_OBJECT : JSON_T_ARRAY;
    open[depth] = v;
    last[depth] = NULL;
    seen[depth] = 0;
    depth++;
    p = skip_ws(p + 1, end);
    if (p < end && *p == (v->type == JSON_T_OBJECT ? '}' : ']')) {
      p++;
      depth--;
      goto next;
    }
    if (v->type == JSON_T_OBJECT)
      goto member;
    goto value;
  case '-':
  case '0': case '1': case '2': case '3': case '4':
  case '5': case '6': case '7': case '8': case '9':
    if (!(p = number_at(&P, p, v)))
      goto failed;
    goto next;
  default:
    if (!(p = word_at(&P, p, v)))
      goto failed;
    goto next;
  }

member: /* in an object, after '{' or ',': a key, then its value */
  {
    json_node *o = open[depth - 1];
    cursor kat = p;
    if (p >= end || *p != '"') {
      fail(&P, TRUCE_EPARSE, p, NOT_JSON,
           last[depth - 1] ? "string expected near %s (no comma after the "
                             "last member)"
                           : "string or '}' expected near %s",
           near(&P, p, shown));
      goto failed;
    }
    if (!(p = string_at(&P, p, &key, &key_len)))
      goto failed;
    /* Duplicates: a bit per key, from its length and end bytes, in a
     * filter per object; only a key whose bit is already set is compared
     * with the others (a linear search: keys are few). */
    unsigned h = key_len ? (unsigned char)key[0] * 7u +
                               (unsigned char)key[key_len - 1] * 3u
                         : 0;
    uint64_t bit = UINT64_C(1) << ((h + key_len) & 63);
    if (seen[depth - 1] & bit) {
      for (const json_node *m = o->first; m; m = m->next) {
        if (m->key_len == key_len &&
            memcmp(m->key, key, key_len) == 0) {
          fail(&P, TRUCE_EPARSE, kat, NOT_JSON,
               "duplicate object key near %s", near(&P, kat, shown));
          goto failed;
        }
      }
    }
    seen[depth - 1] |= bit;
    if (p < end && *p <= ' ')
      p = skip_ws(p, end);
    if (p >= end || *p != ':') {
      fail(&P, TRUCE_EPARSE, p, NOT_JSON, "':' expected near %s",
           near(&P, p, shown));
      goto failed;
    }
    p++;
    if (p < end && *p <= ' ')
      p = skip_ws(p, end);
    goto value;
  }

next: /* after a value: a separator, the end of containers, or the end */
  if (!depth)
    goto done;
  if (p < end && *p <= ' ')
    p = skip_ws(p, end);
  {
    bool obj = open[depth - 1]->type == JSON_T_OBJECT;
    if (p < end && *p == ',') {
      p++;
      if (p < end && *p <= ' ')
        p = skip_ws(p, end);
      if (obj)
        goto member;
      goto value;
    }
    if (p < end && *p == (obj ? '}' : ']')) {
      p++;
      depth--;
      goto next;
    }
    fail(&P, TRUCE_EPARSE, p, NOT_JSON,
         obj ? "',' or '}' expected near %s" : "',' or ']' expected near %s",
         near(&P, p, shown));
    goto failed;
  }

done:
  p = skip_ws(p, end);
  if (p < end) {
    fail(&P, TRUCE_EPARSE, p, NOT_JSON, "end of file expected near %s",
         near(&P, p, shown));
    goto failed;
  }
  return TRUCE_OK;

failed:
  d->nnodes = 0;
  return P.rc;
}

/* ---- the canonical spellings ---- */


/* "00" to "99": two digits with one load. */
#define DEC_ROW(x)                                                           \
  x "0" x "1" x "2" x "3" x "4" x "5" x "6" x "7" x "8" x "9"
static const char dec_pairs[201] =
    DEC_ROW("0") DEC_ROW("1") DEC_ROW("2") DEC_ROW("3") DEC_ROW("4")
        DEC_ROW("5") DEC_ROW("6") DEC_ROW("7") DEC_ROW("8") DEC_ROW("9");

/* Two decimal digits of v < 100. */
static inline void put2(char *o, unsigned v) {
  memcpy(o, dec_pairs + 2 * v, 2);
}

size_t json_num7(double x, char out[JSON_NUM7_MAX]) {
  if (!(fabs(x) <= JSON_NUM7_LIMIT))
    return 0;
  int64_t k = (int64_t)json_round_half_away(x * 1e7);
  char *o = out;
  uint64_t u = (uint64_t)k;
  if (k < 0) {
    *o++ = '-';
    u = (uint64_t)-k;
  }
  uint64_t ip = u / 10000000;
  unsigned fp = (unsigned)(u % 10000000);
  /* The integer part (at most 9 digits), two at a time from its end. */
  int nd = 1 + (ip >= 10) + (ip >= 100) + (ip >= 1000) + (ip >= 10000) +
           (ip >= 100000) + (ip >= 1000000) + (ip >= 10000000) +
           (ip >= 100000000);
  char *e = o + nd;
  while (ip >= 100) {
    e -= 2;
    put2(e, (unsigned)(ip % 100));
    ip /= 100;
  }
  if (ip >= 10)
    put2(e - 2, (unsigned)ip);
  else
    e[-1] = (char)('0' + ip);
  o += nd;
  if (fp) {
    /* Seven digits, then the trailing zeros taken off again. */
    o[0] = '.';
    put2(o + 1, fp / 100000);
    put2(o + 3, fp / 1000 % 100);
    put2(o + 5, fp / 10 % 100);
    o[7] = (char)('0' + fp % 10);
    o += 8;
    while (o[-1] == '0')
      o--;
  }
  *o = '\0';
  return (size_t)(o - out);
}

size_t json_quote(const char *s, size_t n, char *out, size_t cap) {
  static const char hexd[] = "0123456789abcdef";
  size_t o = 0;
  if (cap < 2)
    return 0;
  out[o++] = '"';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') {
      if (o + 1 >= cap)
        return 0;
      out[o++] = (char)c;
    } else if (c >= 0x20) {
      if (o + 2 >= cap)
        return 0;
      out[o++] = '\\';
      out[o++] = (char)c;
    } else {
      if (o + 6 >= cap)
        return 0;
      memcpy(out + o, "\\u00", 4);
      out[o + 4] = hexd[c >> 4];
      out[o + 5] = hexd[c & 15];
      o += 6;
    }
  }
  if (o + 1 > cap)
    return 0;
  out[o++] = '"';
  return o;
}
