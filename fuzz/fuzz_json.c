/*
 * fuzz_json.c: libFuzzer target for the JSON reader (lib/json.c).
 *
 * Whatever the bytes, json_parse must not crash or read outside them.
 * If they parse, every node is walked and checked against the reader's
 * promises (any violation abort()s, which libFuzzer reports as a crash):
 * - the tree has exactly nnodes nodes, each reached once, containers'
 *   counts match their children, nesting stays within JSON_DEPTH_MAX;
 * - members have keys, elements do not, and no object has two equal keys;
 * - strings and keys are valid UTF-8 without NUL, inside the input or the
 *   doc's arena;
 * - numbers are finite; an integer's int64 and double agree; the
 *   7-decimal writer's text, when it writes one, reads back as the
 *   rounded value;
 * - a string written back with json_quote reads back as itself.
 * If they do not parse, the message is a bounded, printable line.
 *
 * Built with -fsanitize=fuzzer (make fuzz), or with fuzz/replay.c as a
 * plain program that replays fuzz/corpus/json (make test). Uses lib/json.h,
 * which is private to the library: fuzz targets build with -Ilib.
 */
#include "json.h"

#include <math.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_doc doc, doc2; /* large: off the stack */
static size_t walked;

static void check(bool ok) {
  if (!ok)
    abort();
}

static bool in_doc_or_input(const char *p, size_t n, const uint8_t *data,
                            size_t size) {
  const char *in = (const char *)data;
  const char *arena = doc.arena;
  return (p >= in && p + n <= in + size) ||
         (p >= arena && p + n <= arena + sizeof doc.arena);
}

/* Valid UTF-8 without NUL (JSON strings may hold other controls, so
 * utf8_text_ok, which refuses them, judges only the multi-byte ones). */
static bool utf8_ok(const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
      if (c == 0)
        return false;
      i++;
      continue;
    }
    size_t k = 1;
    while (i + k < n && k < 4 && ((unsigned char)s[i + k] & 0xc0) == 0x80)
      k++;
    if (!utf8_text_ok(s + i, k, false))
      return false;
    i += k;
  }
  return true;
}

static void walk(const json_node *n, int depth, const uint8_t *data,
                 size_t size) {
  check(depth <= JSON_DEPTH_MAX);
  check(n >= doc.node && n < doc.node + doc.nnodes);
  check(n->off < size);
  walked++;
  check(walked <= doc.nnodes);
  switch (json_type_of(n)) {
  case JSON_T_OBJECT:
  case JSON_T_ARRAY: {
    check(depth < JSON_DEPTH_MAX);
    check(data[n->off] == (n->type == JSON_T_OBJECT ? '{' : '['));
    uint32_t count = 0;
    json_foreach(n, c) {
      count++;
      if (n->type == JSON_T_OBJECT) {
        check(c->key != NULL);
        check(in_doc_or_input(c->key, c->key_len, data, size));
        check(utf8_ok(c->key, c->key_len));
        /* No two members with the same key. */
        for (const json_node *d = n->first; d != c; d = d->next)
          check(d->key_len != c->key_len ||
                memcmp(d->key, c->key, c->key_len) != 0);
      } else {
        check(c->key == NULL && c->key_len == 0);
        check(json_at(n, count - 1) == c);
      }
      walk(c, depth + 1, data, size);
    }
    check(count == n->len);
    break;
  }
  case JSON_T_STRING: {
    check(data[n->off] == '"');
    check(in_doc_or_input(n->u.str, n->len, data, size));
    check(utf8_ok(n->u.str, n->len));
    /* Quoted again, it reads back as itself. */
    static char q[6 * JSON_LINE_MAX + 2];
    size_t k = json_quote(n->u.str, n->len, q, sizeof q);
    check(k >= 2);
    if (k <= JSON_LINE_MAX) {
      check(json_parse(&doc2, q, k) == TRUCE_OK);
      const json_node *r = json_root(&doc2);
      check(r->type == JSON_T_STRING && r->len == n->len &&
            memcmp(r->u.str, n->u.str, n->len) == 0);
    }
    break;
  }
  case JSON_T_NUMBER: {
    check(isfinite(n->num));
    check(data[n->off] == '-' || (data[n->off] >= '0' && data[n->off] <= '9'));
    if (n->is_int)
      check((double)n->u.i == n->num || (n->u.i == 0 && n->num == 0));
    char text[JSON_NUM7_MAX];
    size_t k = json_num7(n->num, text);
    check((k != 0) == (fabs(n->num) <= JSON_NUM7_LIMIT));
    if (k) {
      double r = json_round7(n->num);
      check(json_round7(r) == r);
      check(json_parse(&doc2, text, k) == TRUCE_OK);
      check(json_root(&doc2)->num == r);
    }
    break;
  }
  case JSON_T_TRUE:
  case JSON_T_FALSE:
  case JSON_T_NULL:
    break;
  case JSON_T_NONE:
    check(false);
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  truce_err rc = json_parse(&doc, (const char *)data, size);
  if (rc != TRUCE_OK) {
    check(rc == TRUCE_EPARSE || rc == TRUCE_ERANGE || rc == TRUCE_ETOOBIG);
    size_t n = strnlen(doc.msg, sizeof doc.msg);
    check(n > 0 && n < sizeof doc.msg);
    for (size_t i = 0; i < n; i++)
      check((unsigned char)doc.msg[i] >= 0x20 &&
            (unsigned char)doc.msg[i] < 0x7f);
    check(doc.nnodes == 0);
    if (size <= JSON_LINE_MAX)
      check(doc.err_off <= size);
    return 0;
  }
  check(doc.nnodes >= 1 && doc.nnodes <= JSON_NODES_MAX);
  walked = 0;
  walk(json_root(&doc), 0, data, size);
  check(walked == doc.nnodes);
  return 0;
}
