/*
 * vectors.h: helpers the tests share for reading the third-party vectors
 * in ../shared/vectors (JSON, read with jansson): load a file, read
 * strings and integers, decode hex and base64 of a known size, parse a
 * verifier key. Include after test.h. Each returns NULL or -1 rather than
 * failing, so a test can say what was missing.
 */
#ifndef TRUCE_TEST_VECTORS_H
#define TRUCE_TEST_VECTORS_H

#include <jansson.h>

/* The JSON file at rel under ../shared, or NULL if absent (or broken,
 * said on stderr). */
static inline json_t *load(const char *rel) {
  const char *path = shared_path(rel);
  if (!path)
    return NULL;
  json_error_t e;
  json_t *j = json_load_file(path, 0, &e);
  if (!j)
    fprintf(stderr, "%s:%d: %s\n", path, e.line, e.text);
  return j;
}

static inline const char *jstr(const json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

static inline uint64_t jint(const json_t *o, const char *key) {
  return (uint64_t)json_integer_value(json_object_get(o, key));
}

/* Hex that must decode to exactly n bytes: 0, else -1. */
static inline int unhex(const char *s, uint8_t *out, size_t n) {
  size_t got = 0;
  if (!s || truce_hex_decode(s, strlen(s), out, n, &got) || got != n)
    return -1;
  return 0;
}

static inline int unb64(const char *s, uint8_t *out, size_t cap, size_t *n) {
  return s ? (int)truce_base64_decode(s, strlen(s), out, cap, n) : -1;
}

/* A verifier key the test relies on; a parse failure is a test failure. */
static inline truce_vkey vkey(const char *s) {
  truce_vkey k;
  char err[TRUCE_ERR_MAX] = "";
  truce_err rc = truce_vkey_parse(s, strlen(s), &k, err);
  CHECK_MSG(rc == TRUCE_OK, "vkey %s: %s", s, err);
  return k;
}

#endif /* TRUCE_TEST_VECTORS_H */
