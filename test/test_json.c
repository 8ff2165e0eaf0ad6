/*
 * test_json.c: the JSON reader and the canonical spellings (lib/json.c).
 *
 * Grammar cases first (valid and invalid, each invalid one with its code,
 * the words of its message and its column), then strings (escapes,
 * UTF-8, surrogates), duplicates, the depth, node and length limits, the
 * accessors, numbers (edge cases, and the exact path against strtod on
 * random decimals), and the 7-decimal writer. Expected values are written
 * by hand or come from the C library (strtod, snprintf), never from the
 * code under test. The seed is printed; TRUCE_SEED=n repeats a run.
 *
 * Depends on lib/json.h (private to the library: tests build with -Ilib)
 * and test.h.
 */
#include "json.h"

#include "test.h"

#include <math.h>
#include <stdbool.h>
#include <time.h>

/* Large: one for the whole program, off the stack. */
static json_doc doc;

static truce_err parse_n(const char *s, size_t n) {
  return json_parse(&doc, s, n);
}

static truce_err parse(const char *s) { return parse_n(s, strlen(s)); }

/* s parses; the root is returned. */
#define EXPECT_OK(s)                                                         \
  do {                                                                       \
    truce_err rc__ = parse(s);                                               \
    CHECK_MSG(rc__ == TRUCE_OK, "%s -> %s", s, doc.msg);                     \
  } while (0)

/* s is refused with code, a message containing needle, at column col (0:
 * not checked), and no nodes left behind. */
#define EXPECT_ERR(s, code, needle, col)                                     \
  do {                                                                       \
    truce_err rc__ = parse(s);                                               \
    CHECK_MSG(rc__ == (code), "%s -> %d (%s), want %d", s, rc__, doc.msg,    \
              (int)(code));                                                  \
    CHECK_CONTAINS(doc.msg, needle);                                         \
    if ((col) != 0)                                                          \
      CHECK_MSG(doc.err_col == (size_t)(col), "%s: column %zu, want %d (%s)", \
                s, doc.err_col, (int)(col), doc.msg);                        \
    CHECK(doc.nnodes == 0);                                                  \
  } while (0)

static uint64_t rng_state;

static uint64_t rnd(void) { /* splitmix64 */
  uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n) { return n ? rnd() % n : 0; }

/* ------------------------------------------------------------------ */
/* Grammar                                                              */
/* ------------------------------------------------------------------ */

TEST(test_valid_documents) {
  static const char *const ok[] = {
      "{}",
      "[]",
      " \t\r\n{ \t\r\n} \t\r\n",
      "0",
      "-0",
      "\"\"",
      "true",
      "false",
      "null",
      "[1,2,3]",
      "[[],[[]],{}]",
      "{\"a\":{\"b\":{\"c\":[true,false,null]}}}",
      "{\"\":0}",
      "[ 1 , \"x\" , { \"k\" : [ ] } ]",
      "{\"a\":1,\"b\":2,\"A\":3}",
      "[1e5,1E5,1e+5,1e-5,-1.5e-5,0.0,0e0]",
      "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"",
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    EXPECT_OK(ok[i]);
}

TEST(test_invalid_grammar) {
  EXPECT_ERR("", TRUCE_EPARSE, "not JSON: a value expected at the end", 1);
  EXPECT_ERR("   ", TRUCE_EPARSE, "not JSON: a value expected", 4);
  EXPECT_ERR("{", TRUCE_EPARSE, "string or '}' expected near the end", 2);
  EXPECT_ERR("[", TRUCE_EPARSE, "a value expected at the end", 2);
  EXPECT_ERR("[1", TRUCE_EPARSE, "',' or ']' expected", 3);
  EXPECT_ERR("{\"a\"", TRUCE_EPARSE, "':' expected", 5);
  EXPECT_ERR("{\"a\":", TRUCE_EPARSE, "a value expected", 6);
  EXPECT_ERR("{\"a\":1", TRUCE_EPARSE, "',' or '}' expected", 7);
  EXPECT_ERR("{\"a\" 1}", TRUCE_EPARSE, "':' expected near '1'", 6);
  EXPECT_ERR("{a:1}", TRUCE_EPARSE, "string or '}' expected near 'a'", 2);
  EXPECT_ERR("{'a':1}", TRUCE_EPARSE, "string or '}' expected", 2);
  EXPECT_ERR("{\"a\":1,}", TRUCE_EPARSE,
             "string expected near '}' (no comma after the last member)", 8);
  EXPECT_ERR("[1,]", TRUCE_EPARSE, "a value expected near ']'", 4);
  EXPECT_ERR("[,1]", TRUCE_EPARSE, "a value expected near ','", 2);
  EXPECT_ERR("[1 2]", TRUCE_EPARSE, "',' or ']' expected near '2'", 4);
  EXPECT_ERR("{\"a\":1 \"b\":2}", TRUCE_EPARSE, "',' or '}' expected", 8);
  EXPECT_ERR("[1}", TRUCE_EPARSE, "',' or ']' expected near '}'", 3);
  EXPECT_ERR("{\"a\":1]", TRUCE_EPARSE, "',' or '}' expected near ']'", 7);
  EXPECT_ERR("{} {}", TRUCE_EPARSE, "end of file expected near '{'", 4);
  EXPECT_ERR("[]]", TRUCE_EPARSE, "end of file expected near ']'", 3);
  EXPECT_ERR("1 2", TRUCE_EPARSE, "end of file expected near '2'", 3);
  EXPECT_ERR("tru", TRUCE_EPARSE, "invalid token near 'tru'", 1);
  EXPECT_ERR("True", TRUCE_EPARSE, "invalid token", 1);
  EXPECT_ERR("nul", TRUCE_EPARSE, "invalid token", 1);
  EXPECT_ERR("undefined", TRUCE_EPARSE, "invalid token near 'undefined'", 1);
  EXPECT_ERR("[true false]", TRUCE_EPARSE, "',' or ']' expected", 7);
  /* Comments are not JSON. */
  EXPECT_ERR("[1 /* one */]", TRUCE_EPARSE, "',' or ']' expected", 4);
  EXPECT_ERR("// x\n{}", TRUCE_EPARSE, "invalid token", 1);
  /* Whitespace is space, tab, CR and LF only. */
  EXPECT_ERR("[1,\v2]", TRUCE_EPARSE, "invalid token", 4);
  EXPECT_ERR("\xc2\xa0{}", TRUCE_EPARSE, "invalid token near '?\?'", 1);
  /* A NUL byte is not whitespace or anything else. */
  {
    const char in[] = "[1,\0 2]";
    CHECK_RC(parse_n(in, sizeof in - 1), TRUCE_EPARSE);
    CHECK_CONTAINS(doc.msg, "not JSON");
    CHECK_EQ_U64(doc.err_off, 3);
  }
  /* The input's length is honoured: no NUL needed, none read past. */
  CHECK_OK(parse_n("[1,2]xyz", 5));
  CHECK_RC(parse_n("[1,2]", 4), TRUCE_EPARSE);
}

/* A message never grows past its buffer, and shows no raw control
 * bytes, however long or hostile the token. */
TEST(test_message_bounds) {
  char in[600];
  memset(in, 'x', sizeof in - 1);
  in[sizeof in - 1] = '\0';
  in[0] = '[';
  EXPECT_ERR(in, TRUCE_EPARSE, "invalid token near 'xxxxxxxxx", 2);
  CHECK(strlen(doc.msg) < JSON_MSG_MAX);
  CHECK_CONTAINS(doc.msg, "...' (column 2)");
  EXPECT_ERR("[ab\x01\x1b" "cd\x7f]", TRUCE_EPARSE, "near 'ab??cd?'", 2);
  for (const char *p = doc.msg; *p; p++)
    CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
}

/* Columns count characters, not bytes, and restart after a newline. */
TEST(test_columns) {
  EXPECT_ERR("[\"\xc3\xa9\xc3\xa9\",x]", TRUCE_EPARSE, "(column 7)", 7);
  EXPECT_ERR("[\"\xf0\x9d\x84\x9e\",x]", TRUCE_EPARSE, "(column 6)", 6);
  EXPECT_ERR("{\n\"a\":tru}", TRUCE_EPARSE,
             "invalid token near 'tru' (line 2, column 5)", 5);
  CHECK_EQ_U64(doc.err_line, 2);
  EXPECT_ERR("[\n1,\r\n2,\n x]", TRUCE_EPARSE, "(line 4, column 2)", 2);
  /* Nodes know where they start. */
  EXPECT_OK("{\"a\":[10, \"\xc3\xa9\", true]}");
  const json_node *a = json_get(json_root(&doc), "a");
  CHECK(a && a->off == 5);
  const json_node *t = json_at(a, 2);
  CHECK(t && t->off == 16);
  size_t line = 0;
  CHECK_EQ_U64(json_column(&doc, t->off, &line), 16); /* é is one */
  CHECK_EQ_U64(line, 1);
  CHECK_EQ_U64(json_column(&doc, 0, NULL), 1);
}

/* ------------------------------------------------------------------ */
/* Strings                                                              */
/* ------------------------------------------------------------------ */

/* The root of s is a string equal to the `len` bytes of want. */
static void expect_string(const char *s, const char *want, size_t len) {
  truce_err rc = parse(s);
  CHECK_MSG(rc == TRUCE_OK, "%s -> %s", s, doc.msg);
  if (rc)
    return;
  const json_node *r = json_root(&doc);
  CHECK_EQ_U64(json_type_of(r), JSON_T_STRING);
  CHECK_MSG(r->len == len && memcmp(r->u.str, want, len) == 0,
            "%s: got %u bytes", s, r->len);
}

TEST(test_string_escapes) {
  expect_string("\"\"", "", 0);
  expect_string("\"plain\"", "plain", 5);
  expect_string("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8);
  expect_string("\"a\\u0041b\"", "aAb", 3);
  expect_string("\"\\u00e9\\u00E9\"", "\xc3\xa9\xc3\xa9", 4);
  /* The ends of each UTF-8 length. */
  expect_string("\"\\u007f\\u0080\"", "\x7f\xc2\x80", 3);
  expect_string("\"\\u07ff\\u0800\"", "\xdf\xbf\xe0\xa0\x80", 5);
  expect_string("\"\\uffff\"", "\xef\xbf\xbf", 3);
  expect_string("\"\\ud800\\udc00\"", "\xf0\x90\x80\x80", 4);
  expect_string("\"\\ud834\\udd1e\"", "\xf0\x9d\x84\x9e", 4);
  expect_string("\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf", 4);
  /* Escapes mixed with raw UTF-8 and plain runs longer than a word. */
  expect_string("\"0123456789\\n\xd0\x94\xd0\x94" "abcdefghij\\t\"",
                "0123456789\n\xd0\x94\xd0\x94" "abcdefghij\t", 26);
  EXPECT_ERR("\"\\x41\"", TRUCE_EPARSE, "invalid escape '\\x'", 2);
  EXPECT_ERR("\"\\U0041\"", TRUCE_EPARSE, "invalid escape '\\U'", 2);
  EXPECT_ERR("\"\\u004\"", TRUCE_EPARSE, "invalid \\u escape", 2);
  EXPECT_ERR("\"\\u00g1\"", TRUCE_EPARSE, "invalid \\u escape", 2);
  EXPECT_ERR("\"\\u00", TRUCE_EPARSE, "invalid \\u escape", 2);
  EXPECT_ERR("\"abc", TRUCE_EPARSE, "unterminated string", 1);
  EXPECT_ERR("\"abc\\", TRUCE_EPARSE, "unterminated string", 1);
  EXPECT_ERR("\"abc\\\"", TRUCE_EPARSE, "unterminated string", 1);
  EXPECT_ERR("[\"0123456789abcdef", TRUCE_EPARSE, "unterminated string", 2);
  /* NUL would cut a C string short: refused, escaped or not. */
  EXPECT_ERR("\"a\\u0000b\"", TRUCE_EPARSE, "\\u0000 in a string", 3);
}

TEST(test_surrogates) {
  EXPECT_ERR("\"\\ud834\"", TRUCE_EPARSE, "lone surrogate \\ud834", 2);
  EXPECT_ERR("\"\\ud834x\"", TRUCE_EPARSE, "lone surrogate", 2);
  EXPECT_ERR("\"\\ud834\\n\"", TRUCE_EPARSE, "lone surrogate", 2);
  EXPECT_ERR("\"\\ud834\\ud834\"", TRUCE_EPARSE, "lone surrogate", 2);
  EXPECT_ERR("\"\\udd1e\"", TRUCE_EPARSE, "lone surrogate \\udd1e", 2);
  EXPECT_ERR("\"\\udd1e\\ud834\"", TRUCE_EPARSE, "lone surrogate", 2);
  EXPECT_ERR("\"a\\udc00\"", TRUCE_EPARSE, "lone surrogate", 3);
  EXPECT_ERR("\"\\ud800\\u0041\"", TRUCE_EPARSE, "lone surrogate", 2);
}

TEST(test_utf8) {
  /* Raw UTF-8 of every length, at the ends of each range. */
  expect_string("\"\xc2\x80\xdf\xbf\"", "\xc2\x80\xdf\xbf", 4);
  expect_string("\"\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\"",
                "\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf", 12);
  expect_string("\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"",
                "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 8);
  expect_string("\"\x7f\"", "\x7f", 1); /* DEL is not a JSON control */
  static const struct {
    const char *s;
    int col;
  } bad[] = {
      {"\"\x80\"", 2},                 /* a continuation byte alone */
      {"\"\xbf\"", 2},
      {"\"\xc0\x80\"", 2},             /* overlong NUL */
      {"\"\xc1\xbf\"", 2},             /* overlong */
      {"\"\xe0\x80\x80\"", 2},         /* overlong, 3 bytes */
      {"\"\xe0\x9f\xbf\"", 2},
      {"\"\xf0\x80\x80\x80\"", 2},     /* overlong, 4 bytes */
      {"\"\xf0\x8f\xbf\xbf\"", 2},
      {"\"\xed\xa0\x80\"", 2},         /* a surrogate, encoded */
      {"\"\xed\xbf\xbf\"", 2},
      {"\"\xf4\x90\x80\x80\"", 2},     /* beyond U+10FFFF */
      {"\"\xf5\x80\x80\x80\"", 2},
      {"\"\xff\"", 2},
      {"\"\xfe\"", 2},
      {"\"a\xc3\"", 3},                /* cut short by the quote */
      {"\"\xe2\x82\"", 2},
      {"\"\xf0\x9d\x84\"", 2},
      {"\"\xc3" "a\"", 2},             /* a non-continuation after a lead */
      {"\"0123456789\xff\"", 12},      /* found by the word scan */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    EXPECT_ERR(bad[i].s, TRUCE_EPARSE, "invalid UTF-8 in a string",
               bad[i].col);
  /* Cut at the end of the input itself. */
  CHECK_RC(parse_n("\"\xe2\x82\xac\"", 3), TRUCE_EPARSE);
  CHECK_CONTAINS(doc.msg, "invalid UTF-8");
  /* Raw control characters, each of them, at any place in a word. */
  for (int c = 1; c < 0x20; c++) {
    char in[32];
    snprintf(in, sizeof in, "\"01234%c6789\"", c);
    EXPECT_ERR(in, TRUCE_EPARSE, "control character", 7);
  }
}

/* ------------------------------------------------------------------ */
/* Keys                                                                 */
/* ------------------------------------------------------------------ */

TEST(test_duplicates) {
  EXPECT_ERR("{\"a\":1,\"a\":2}", TRUCE_EPARSE,
             "duplicate object key near '\"a\"'", 8);
  EXPECT_ERR("{\"a\":1,\"b\":2,\"a\":3}", TRUCE_EPARSE, "duplicate", 14);
  /* Compared decoded: "\u0061" is "a". */
  EXPECT_ERR("{\"a\":1,\"\\u0061\":2}", TRUCE_EPARSE, "duplicate", 8);
  EXPECT_ERR("{\"\":1,\"\":2}", TRUCE_EPARSE, "duplicate", 7);
  EXPECT_ERR("{\"x\":{\"a\":1,\"a\":1}}", TRUCE_EPARSE, "duplicate", 13);
  /* The same key in different objects, or differing in case or length,
   * is fine. */
  EXPECT_OK("{\"a\":{\"a\":{\"a\":1}},\"b\":{\"a\":2}}");
  EXPECT_OK("{\"a\":1,\"A\":2,\"aa\":3,\"a \":4}");
  EXPECT_OK("[{\"a\":1},{\"a\":2}]");
  /* Many keys: every pair is told apart, and a repeat is still found
   * (the filter that skips most comparisons must not skip one). */
  static char in[8192];
  for (int dup = 0; dup < 2; dup++) {
    size_t n = (size_t)snprintf(in, sizeof in, "{");
    for (int i = 0; i < 200; i++)
      n += (size_t)snprintf(in + n, sizeof in - n, "%s\"k%d\":%d",
                            i ? "," : "", i, i);
    if (dup)
      n += (size_t)snprintf(in + n, sizeof in - n, ",\"k137\":0");
    snprintf(in + n, sizeof in - n, "}");
    truce_err rc = parse(in);
    CHECK_RC(rc, dup ? TRUCE_EPARSE : TRUCE_OK);
    if (dup)
      CHECK_CONTAINS(doc.msg, "duplicate object key near '\"k137\"'");
  }
}

TEST(test_keys_decoded) {
  EXPECT_OK("{\"wh\\u0061t\":1,\"a\\\"b\":2}");
  const json_node *r = json_root(&doc);
  CHECK(json_get(r, "what") != NULL);
  CHECK(json_get(r, "a\"b") != NULL);
  CHECK(json_get(r, "wh\\u0061t") == NULL);
  CHECK_EQ_U64(r->first->key_len, 4);
}

/* ------------------------------------------------------------------ */
/* Limits                                                               */
/* ------------------------------------------------------------------ */

static void nest(char *out, size_t cap, int depth, char open, char close) {
  size_t n = 0;
  for (int i = 0; i < depth && n + 1 < cap; i++)
    out[n++] = open;
  if (n + 1 < cap)
    out[n++] = '1';
  for (int i = 0; i < depth && n + 1 < cap; i++)
    out[n++] = close;
  out[n] = '\0';
}

TEST(test_depth) {
  char in[256];
  nest(in, sizeof in, JSON_DEPTH_MAX, '[', ']');
  EXPECT_OK(in);
  nest(in, sizeof in, JSON_DEPTH_MAX + 1, '[', ']');
  EXPECT_ERR(in, TRUCE_EPARSE,
             "maximum parsing depth reached (containers nest at most 16 "
             "deep)",
             JSON_DEPTH_MAX + 1);
  /* Objects count the same, and so does a mixture. */
  size_t n = 0;
  for (int i = 0; i < JSON_DEPTH_MAX; i++)
    n += (size_t)snprintf(in + n, sizeof in - n, i % 2 ? "[" : "{\"k\":");
  n += (size_t)snprintf(in + n, sizeof in - n, "0");
  for (int i = JSON_DEPTH_MAX - 1; i >= 0; i--)
    n += (size_t)snprintf(in + n, sizeof in - n, i % 2 ? "]" : "}");
  EXPECT_OK(in);
  EXPECT_ERR("[[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]", TRUCE_EPARSE,
             "maximum parsing depth", 17);
  /* Far deeper input stops at the limit, not at the stack's. */
  static char deep[JSON_LINE_MAX];
  memset(deep, '[', sizeof deep);
  CHECK_RC(parse_n(deep, sizeof deep), TRUCE_EPARSE);
  CHECK_CONTAINS(doc.msg, "maximum parsing depth");
}

TEST(test_node_limit) {
  /* The root counts: an array of N - 1 values is N nodes. */
  static char in[4096];
  for (int extra = 0; extra < 2; extra++) {
    size_t n = (size_t)snprintf(in, sizeof in, "[");
    for (int i = 0; i < JSON_NODES_MAX - 1 + extra; i++)
      n += (size_t)snprintf(in + n, sizeof in - n, "%s0", i ? "," : "");
    snprintf(in + n, sizeof in - n, "]");
    truce_err rc = parse(in);
    CHECK_RC(rc, extra ? TRUCE_ETOOBIG : TRUCE_OK);
    if (extra) {
      CHECK_CONTAINS(doc.msg, "too large: more than 256 values in one line");
      CHECK_EQ_U64(doc.err_col, 2 + 2 * (JSON_NODES_MAX - 1));
    } else {
      CHECK_EQ_U64(doc.nnodes, JSON_NODES_MAX);
      CHECK_EQ_U64(json_root(&doc)->len, JSON_NODES_MAX - 1);
    }
  }
}

TEST(test_line_limit) {
  static char in[JSON_LINE_MAX + 2];
  /* A string filling the line exactly. */
  memset(in, 'a', JSON_LINE_MAX);
  in[0] = in[JSON_LINE_MAX - 1] = '"';
  CHECK_OK(parse_n(in, JSON_LINE_MAX));
  CHECK_EQ_U64(json_root(&doc)->len, JSON_LINE_MAX - 2);
  in[JSON_LINE_MAX] = ' ';
  CHECK_RC(parse_n(in, JSON_LINE_MAX + 1), TRUCE_ETOOBIG);
  CHECK_CONTAINS(doc.msg, "too large: 16385 bytes (at most 16384)");
  /* A line of escapes decodes into the arena without running out: the
   * largest decoded string, and many escaped strings. */
  size_t n = 0;
  in[n++] = '"';
  while (n + 3 <= JSON_LINE_MAX) {
    in[n++] = '\\';
    in[n++] = 'n';
  }
  in[n++] = '"';
  CHECK_OK(parse_n(in, n));
  CHECK_EQ_U64(json_root(&doc)->len, (n - 2) / 2);
  n = 0;
  in[n++] = '[';
  for (int k = 0; k < 200; k++) {
    memcpy(in + n, "\"\\u00e9\\t\",", 11);
    n += 11;
  }
  in[n - 1] = ']';
  CHECK_OK(parse_n(in, n));
  const json_node *last = json_at(json_root(&doc), json_root(&doc)->len - 1);
  CHECK(last && last->len == 3 && memcmp(last->u.str, "\xc3\xa9\t", 3) == 0);
}

/* ------------------------------------------------------------------ */
/* Accessors                                                            */
/* ------------------------------------------------------------------ */

TEST(test_accessors) {
  EXPECT_OK("{\"s\":\"x\",\"i\":-7,\"f\":2.5,\"t\":true,\"n\":null,"
            "\"a\":[1,[2],{}],\"o\":{\"k\":false}}");
  const json_node *r = json_root(&doc);
  CHECK_EQ_U64(json_type_of(r), JSON_T_OBJECT);
  CHECK_EQ_U64(r->len, 7);
  const json_node *s = json_get(r, "s"), *i = json_get(r, "i"),
                  *f = json_get(r, "f"), *a = json_get(r, "a"),
                  *o = json_get(r, "o");
  CHECK(s && s->type == JSON_T_STRING && s->len == 1 && s->u.str[0] == 'x');
  CHECK(i && i->type == JSON_T_NUMBER && i->is_int && i->u.i == -7 &&
        i->num == -7);
  CHECK(f && f->type == JSON_T_NUMBER && !f->is_int && f->num == 2.5);
  CHECK(json_type_of(json_get(r, "t")) == JSON_T_TRUE);
  CHECK(json_type_of(json_get(r, "n")) == JSON_T_NULL);
  CHECK(json_get(r, "missing") == NULL);
  CHECK(json_get(r, "") == NULL);
  CHECK(json_get(s, "s") == NULL); /* not an object */
  CHECK(json_get(NULL, "s") == NULL);
  CHECK(a && a->type == JSON_T_ARRAY && a->len == 3);
  CHECK(json_at(a, 0) && json_at(a, 0)->u.i == 1);
  CHECK(json_at(a, 1) && json_at(a, 1)->type == JSON_T_ARRAY &&
        json_at(json_at(a, 1), 0)->u.i == 2);
  CHECK(json_at(a, 2) && json_at(a, 2)->type == JSON_T_OBJECT &&
        json_at(a, 2)->len == 0 && json_at(a, 2)->first == NULL);
  CHECK(json_at(a, 3) == NULL);
  CHECK(json_at(r, 0) == NULL); /* not an array */
  CHECK(o && json_type_of(json_get(o, "k")) == JSON_T_FALSE);
  /* Members in document order, with their keys; elements have none. */
  const char *want[] = {"s", "i", "f", "t", "n", "a", "o"};
  size_t k = 0;
  json_foreach(r, m) {
    CHECK(k < 7 && m->key_len == strlen(want[k]) &&
          memcmp(m->key, want[k], m->key_len) == 0);
    k++;
  }
  CHECK_EQ_U64(k, 7);
  json_foreach(a, e) CHECK(e->key == NULL && e->key_len == 0);
  /* A second parse into the same doc starts afresh. */
  EXPECT_OK("[]");
  CHECK_EQ_U64(doc.nnodes, 1);
  CHECK_EQ_U64(json_root(&doc)->len, 0);
  CHECK_STR(doc.msg, "");
}

/* The reader allocates nothing: it works with every allocation failing. */
TEST(test_no_allocation) {
  truce_test_fail_alloc(1);
  EXPECT_OK("{\"a\":[1,\"\\u00e9\",2.5,1e300,123456789012345678901e-3]}");
  truce_test_fail_alloc(0);
}

/* ------------------------------------------------------------------ */
/* Numbers                                                              */
/* ------------------------------------------------------------------ */

/* The root of s is the number want (same value and sign); is_int and,
 * when set, i as given. */
static void expect_number(const char *s, double want, int is_int,
                          int64_t i) {
  truce_err rc = parse(s);
  CHECK_MSG(rc == TRUCE_OK, "%s -> %s", s, doc.msg);
  if (rc)
    return;
  const json_node *r = json_root(&doc);
  CHECK_MSG(r->type == JSON_T_NUMBER && r->num == want &&
                !signbit(r->num) == !signbit(want) && r->is_int == is_int &&
                (!is_int || r->u.i == i),
            "%s: %.17g int=%d i=%" PRId64, s, r->num, r->is_int, r->u.i);
}

TEST(test_number_edges) {
  expect_number("0", 0, 1, 0);
  expect_number("-0", -0.0, 1, 0);
  expect_number("-0.0", -0.0, 0, 0);
  expect_number("0e99999", 0, 0, 0);
  expect_number("-0E-3", -0.0, 0, 0);
  expect_number("1", 1, 1, 1);
  expect_number("-17", -17, 1, -17);
  expect_number("1.0", 1, 0, 0);
  expect_number("1e2", 100, 0, 0);
  expect_number("1E+2", 100, 0, 0);
  expect_number("2.5e-1", 0.25, 0, 0);
  expect_number("0.1", 0.1, 0, 0);
  expect_number("47.0037", 47.0037, 0, 0);
  expect_number("0.0000001", 1e-7, 0, 0);
  /* int64 at both ends, and the doubles nearest them. */
  expect_number("9223372036854775807", 9223372036854775807.0, 1, INT64_MAX);
  expect_number("-9223372036854775808", -9223372036854775808.0, 1,
                INT64_MIN);
  expect_number("9007199254740993", 9007199254740992.0, 1,
                INT64_C(9007199254740993));
  EXPECT_ERR("9223372036854775808", TRUCE_ERANGE,
             "integer out of range: '9223372036854775808'", 1);
  EXPECT_ERR("-9223372036854775809", TRUCE_ERANGE, "integer out of range", 1);
  EXPECT_ERR("[123456789012345678901234567890]", TRUCE_ERANGE,
             "integer out of range", 2);
  /* Written with a fraction, the same digits are a plain double. */
  expect_number("9223372036854775808.0", 9223372036854775808.0, 0, 0);
  expect_number("123456789012345678901234567890e0",
                123456789012345678901234567890.0, 0, 0);
  /* The ends of the double range. */
  expect_number("1.7976931348623157e308", 1.7976931348623157e308, 0, 0);
  expect_number("2.2250738585072014e-308", 2.2250738585072014e-308, 0, 0);
  expect_number("4.9406564584124654e-324", 4.9406564584124654e-324, 0, 0);
  expect_number("2e-324", 0, 0, 0);  /* below half the least subnormal */
  expect_number("1e-400", 0, 0, 0);  /* underflow is zero, not an error */
  expect_number("-1e-400", -0.0, 0, 0);
  expect_number("1e-99999999999999999999", 0, 0, 0);
  /* Slow-path classics: 1e23 is not 1e22 * 10 in binary. */
  expect_number("1e23", 1e23, 0, 0);
  expect_number("8.98846567431158e307", 8.98846567431158e307, 0, 0);
  expect_number("0.1000000000000000055511151231257827", 0.1, 0, 0);
  /* 1 + 2^-53, halfway between 1 and the next double: ties to even;
   * a digit more and it rounds up. */
  expect_number("1.00000000000000011102230246251565404236316680908203125",
                1.0, 0, 0);
  expect_number("1.00000000000000011102230246251565404236316680908203126",
                1.0000000000000002, 0, 0);
  /* Infinity is refused, whatever the spelling. */
  EXPECT_ERR("1e309", TRUCE_ERANGE, "not a finite number: '1e309'", 1);
  EXPECT_ERR("[-1e309]", TRUCE_ERANGE, "not a finite number: '-1e309'", 2);
  EXPECT_ERR("1.7976931348623159e308", TRUCE_ERANGE, "not a finite number",
             1);
  EXPECT_ERR("1e99999999999999999999", TRUCE_ERANGE, "not a finite number",
             1);
  EXPECT_ERR("[NaN]", TRUCE_EPARSE,
             "not a finite number: NaN and Infinity are not JSON", 2);
  EXPECT_ERR("-Infinity", TRUCE_EPARSE, "not a finite number", 1);
  EXPECT_ERR("+inf", TRUCE_EPARSE, "not a finite number", 1);
  EXPECT_ERR("{\"a\":nan}", TRUCE_EPARSE, "not a finite number", 6);
  /* Grammar. */
  EXPECT_ERR("01", TRUCE_EPARSE, "invalid number near '01' (no leading "
                                 "zeros)", 1);
  EXPECT_ERR("-01", TRUCE_EPARSE, "no leading zeros", 1);
  EXPECT_ERR("1.", TRUCE_EPARSE, "a digit must follow '.'", 1);
  EXPECT_ERR("1.e5", TRUCE_EPARSE, "a digit must follow '.'", 1);
  EXPECT_ERR(".5", TRUCE_EPARSE, "invalid token", 1);
  EXPECT_ERR("+1", TRUCE_EPARSE, "invalid token", 1);
  EXPECT_ERR("-", TRUCE_EPARSE, "invalid number", 1);
  EXPECT_ERR("-x", TRUCE_EPARSE, "invalid number", 1);
  EXPECT_ERR("1e", TRUCE_EPARSE, "a digit must follow 'e'", 1);
  EXPECT_ERR("1e+", TRUCE_EPARSE, "a digit must follow 'e'", 1);
  EXPECT_ERR("0x10", TRUCE_EPARSE, "end of file expected near 'x10'", 2);
  EXPECT_ERR("1_000", TRUCE_EPARSE, "end of file expected", 2);
}

/* The fast path (mantissa <= 2^53, exponent within +-22) and the strtod
 * path must give strtod's answer for every decimal: random ones of every
 * shape, and every double written with 1 to 17 digits. */
TEST(test_numbers_against_strtod) {
  int bad = 0;
  for (int i = 0; i < 300000 && bad < 5; i++) {
    char s[96];
    size_t n = 0;
    if (rnd_below(2))
      s[n++] = '-';
    int ndig = 1 + (int)rnd_below(i % 3 ? 17 : 40);
    int point = (int)rnd_below((uint64_t)ndig + 1);
    s[n++] = (char)('1' + rnd_below(9));
    for (int k = 1; k < ndig; k++) {
      if (k == point)
        s[n++] = '.';
      s[n++] = (char)('0' + rnd_below(10));
    }
    if (rnd_below(3) == 0)
      n += (size_t)snprintf(s + n, sizeof s - n, "e%d",
                            (int)rnd_below(60) - 30);
    s[n] = '\0';
    double want = strtod(s, NULL);
    truce_err rc = parse(s);
    const json_node *r = json_root(&doc);
    bool int_text = !strchr(s, '.') && !strchr(s, 'e');
    if (rc == TRUCE_ERANGE && int_text && ndig > 18)
      continue; /* more than int64 holds: refused, as intended */
    if (isinf(want)) { /* overflow: refused */
      CHECK_MSG(rc == TRUCE_ERANGE, "%s: %s", s, doc.msg);
      continue;
    }
    if (rc != TRUCE_OK || r->num != want ||
        signbit(r->num) != signbit(want)) {
      CHECK_MSG(0, "%s: %.17g, strtod %.17g (%s)", s,
                rc ? 0.0 : r->num, want, doc.msg);
      bad++;
    }
  }
  for (int i = 0; i < 200000 && bad < 10; i++) {
    double x;
    uint64_t bits = rnd();
    memcpy(&x, &bits, sizeof x);
    if (!isfinite(x))
      continue;
    if (i % 2) /* values of a usual size too, not only extreme ones */
      x = ldexp((double)(rnd() >> 11), (int)rnd_below(80) - 60);
    char s[64];
    snprintf(s, sizeof s, "%.*g", 1 + (int)rnd_below(17), x);
    double want = strtod(s, NULL);
    truce_err rc = parse(s);
    if (rc == TRUCE_ERANGE &&
        ((!strchr(s, '.') && !strchr(s, 'e')) || isinf(want)))
      continue; /* beyond int64, or rounded up to infinity by %g */
    if (rc != TRUCE_OK || json_root(&doc)->num != want) {
      CHECK_MSG(0, "%s: %.17g, strtod %.17g (%s)", s,
                rc ? 0.0 : json_root(&doc)->num, want, doc.msg);
      bad++;
    }
  }
}

/* ------------------------------------------------------------------ */
/* The canonical spellings                                              */
/* ------------------------------------------------------------------ */

static const char *num7(double x) {
  static char out[JSON_NUM7_MAX];
  size_t n = json_num7(x, out);
  CHECK_MSG(n == strlen(out), "%.17g: length %zu for '%s'", x, n, out);
  return out;
}

TEST(test_num7) {
  CHECK_STR(num7(0), "0");
  CHECK_STR(num7(-0.0), "0");
  CHECK_STR(num7(1), "1");
  CHECK_STR(num7(-1), "-1");
  CHECK_STR(num7(10), "10");
  CHECK_STR(num7(135), "135");
  CHECK_STR(num7(48.1), "48.1");
  CHECK_STR(num7(47.0037), "47.0037");
  CHECK_STR(num7(-33.5), "-33.5");
  CHECK_STR(num7(0.1 + 0.2), "0.3");
  CHECK_STR(num7(1e-7), "0.0000001");
  CHECK_STR(num7(-1e-7), "-0.0000001");
  CHECK_STR(num7(4e-8), "0");
  CHECK_STR(num7(-4e-8), "0");
  CHECK_STR(num7(6e-8), "0.0000001");
  CHECK_STR(num7(0.00001), "0.00001");
  CHECK_STR(num7(2.0 / 3.0), "0.6666667");
  CHECK_STR(num7(99.99999996), "100");
  CHECK_STR(num7(1e6), "1000000");
  CHECK_STR(num7(999999.9999999), "999999.9999999");
  CHECK_STR(num7(12345678.9), "12345678.9");
  CHECK_STR(num7(98765432), "98765432");
  CHECK_STR(num7(-99999999.9999999), "-99999999.9999999");
  CHECK_STR(num7(1e8), "100000000");
  CHECK_STR(num7(-1e8), "-100000000");
  /* Outside the grid's exact range, and not numbers: refused. */
  char out[JSON_NUM7_MAX];
  CHECK_EQ_U64(json_num7(1e8 + 1, out), 0);
  CHECK_EQ_U64(json_num7(-1e9, out), 0);
  CHECK_EQ_U64(json_num7(NAN, out), 0);
  CHECK_EQ_U64(json_num7(INFINITY, out), 0);
  CHECK_EQ_U64(json_num7(-INFINITY, out), 0);
  CHECK(isnan(json_round7(NAN)));
  CHECK(json_round7(1e9) == 1e9);
  CHECK(json_round7(-1e-9) == 0 && !signbit(json_round7(-1e-9)));
  CHECK(json_round7(-0.0) == 0 && !signbit(json_round7(-0.0)));
}

/* Over the whole range (|x| <= 1e8): rounding is idempotent, writing a
 * grid value gives the reference text, and reading that text gives the
 * value back (the property the canonical form rests on). */
TEST(test_grid_round_trip) {
  int bad = 0;
  for (int i = 0; i < 300000 && bad < 5; i++) {
    int64_t lim = i % 3 == 0 ? INT64_C(1000000000000000)   /* 1e8 */
                  : i % 3 == 1 ? INT64_C(10000000000000)   /* 1e6 */
                               : INT64_C(3600000000);      /* 360 */
    int64_t k = (int64_t)rnd_below((uint64_t)lim * 2 + 1) - lim;
    double x = (double)k / 1e7;
    char want[40];
    grid_text(k, want);
    const char *got = num7(x);
    truce_err rc = parse(got);
    double back = rc ? NAN : json_root(&doc)->num;
    if (json_round7(x) != x || strcmp(got, want) != 0 || back != x ||
        json_round7(json_round7(x + 4e-8 * (double)(i % 2 ? 1 : -1))) !=
            json_round7(x + 4e-8 * (double)(i % 2 ? 1 : -1))) {
      CHECK_MSG(0, "k=%" PRId64 ": '%s' want '%s', back %.17g", k, got, want,
                back);
      bad++;
    }
  }
}

TEST(test_quote) {
  char out[64];
  size_t n = json_quote("a\"b\\c\x01\x1f/\xc3\xa9", 10, out, sizeof out);
  CHECK_EQ_U64(n, strlen("\"a\\\"b\\\\c\\u0001\\u001f/\xc3\xa9\""));
  out[n] = '\0';
  CHECK_STR(out, "\"a\\\"b\\\\c\\u0001\\u001f/\xc3\xa9\"");
  CHECK_EQ_U64(json_quote("", 0, out, 2), 2);
  CHECK_EQ_U64(json_quote("", 0, out, 1), 0);
  CHECK_EQ_U64(json_quote("abc", 3, out, 5), 5);
  CHECK_EQ_U64(json_quote("abc", 3, out, 4), 0);
  CHECK_EQ_U64(json_quote("\x01", 1, out, 8), 8);
  CHECK_EQ_U64(json_quote("\x01", 1, out, 7), 0);
  /* What it writes reads back as what it was given. */
  static const char s[] = "line\x01two \"q\" back\\slash \xe2\x82\xac";
  n = json_quote(s, sizeof s - 1, out, sizeof out);
  CHECK(n > 0);
  CHECK_OK(parse_n(out, n));
  CHECK(json_root(&doc)->len == sizeof s - 1 &&
        memcmp(json_root(&doc)->u.str, s, sizeof s - 1) == 0);
}

static uint64_t test_seed(void) {
  const char *s = getenv("TRUCE_SEED");
  if (s && *s)
    return strtoull(s, NULL, 0);
  return (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
}

int main(void) {
  uint64_t seed = test_seed();
  rng_state = seed;
  fprintf(stderr, "test_json: seed %" PRIu64 " (TRUCE_SEED=%" PRIu64
                  " repeats this run)\n",
          seed, seed);
  RUN(test_valid_documents);
  RUN(test_invalid_grammar);
  RUN(test_message_bounds);
  RUN(test_columns);
  RUN(test_string_escapes);
  RUN(test_surrogates);
  RUN(test_utf8);
  RUN(test_duplicates);
  RUN(test_keys_decoded);
  RUN(test_depth);
  RUN(test_node_limit);
  RUN(test_line_limit);
  RUN(test_accessors);
  RUN(test_no_allocation);
  RUN(test_number_edges);
  RUN(test_numbers_against_strtod);
  RUN(test_num7);
  RUN(test_grid_round_trip);
  RUN(test_quote);
  return test_done("test_json");
}
