/*
 * keys.c: key names, key IDs, verifier keys (vkeys) and signing keys
 * (skeys) in their c2sp.org/signed-note and Go text forms, and the one
 * place that calls libsodium's Ed25519.
 *
 * Owns the Ed25519 verification rule: every signature in truce is checked
 * by truce_ed25519_verify, so that every party reaches the same verdict on
 * crafted signatures (test/test_ed25519.c pins the accepted set).
 *
 * Must not depend on notes, checkpoints or anything above them: those
 * files depend on this one. Uses util.c only.
 */
#include "internal.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>

/* ---- libsodium initialisation ---- */

/* sodium_init() is itself thread-safe and idempotent, so two threads that
 * race here both call it harmlessly; the flag only saves the call (and
 * its internal lock) afterwards. */
static atomic_int sodium_ready;

static bool sodium_up(void) {
  if (atomic_load_explicit(&sodium_ready, memory_order_acquire))
    return true;
  if (sodium_init() < 0)
    return false;
  atomic_store_explicit(&sodium_ready, 1, memory_order_release);
  return true;
}

/* ---- names and key IDs ---- */

/* Decode one code point of valid UTF-8 (the caller has checked it). */
static uint32_t utf8_next(const unsigned char *p, size_t *i) {
  unsigned c = p[*i];
  size_t len = c < 0x80             ? 1
               : (c & 0xe0) == 0xc0 ? 2
               : (c & 0xf0) == 0xe0 ? 3
                                    : 4;
  uint32_t cp = len == 1   ? c
                : len == 2 ? (c & 0x1f)
                : len == 3 ? (c & 0x0f)
                           : (c & 0x07);
  for (size_t k = 1; k < len; k++)
    cp = cp << 6 | (p[*i + k] & 0x3f);
  *i += len;
  return cp;
}

/* The spec forbids "any Unicode spaces": the White_Space property, the
 * same set as Go's unicode.IsSpace (which the Go verifiers use). */
static bool is_unicode_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* The rule for a name of n bytes (not necessarily NUL-terminated). */
static truce_err name_check(const char *name, size_t n, char *err) {
  if (n == 0)
    return seterr(err, TRUCE_EPARSE, "key name is empty");
  if (n > TRUCE_NAME_MAX)
    return seterr(err, TRUCE_EPARSE, "key name is longer than %d bytes",
                  TRUCE_NAME_MAX);
  if (!utf8_text_ok(name, n, false))
    return seterr(err, TRUCE_EPARSE,
                  "key name is not valid UTF-8 or contains a control "
                  "character");
  const unsigned char *p = (const unsigned char *)name;
  size_t i = 0;
  while (i < n) {
    uint32_t cp = utf8_next(p, &i);
    if (cp == '+')
      return seterr(err, TRUCE_EPARSE, "key name contains a '+'");
    if (is_unicode_space(cp))
      return seterr(err, TRUCE_EPARSE, "key name contains a space");
  }
  return TRUCE_OK;
}

truce_err truce_key_name_check(const char *name, char *err) {
  if (!name)
    return seterr(err, TRUCE_EPARSE, "key name is empty");
  /* strnlen: never read past what the limit needs */
  return name_check(name, strnlen(name, TRUCE_NAME_MAX + 1), err);
}

/* Streaming, so that a name of any length can be hashed without a
 * buffer; truce_key_id cannot fail. */
uint32_t truce_key_id(const char *name, uint8_t type, const uint8_t pub[32]) {
  crypto_hash_sha256_state st;
  uint8_t h[crypto_hash_sha256_BYTES];
  const uint8_t nl = '\n';
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
  crypto_hash_sha256_update(&st, &nl, 1);
  crypto_hash_sha256_update(&st, &type, 1);
  crypto_hash_sha256_update(&st, pub, 32);
  crypto_hash_sha256_final(&st, h);
  return get_be32(h);
}

static bool type_ok(uint8_t type) {
  return type == TRUCE_KEY_ED25519 || type == TRUCE_KEY_COSIG_V1;
}

/* ---- text forms ---- */

/* Exactly eight lower-case hex digits: the spec's "fixed length lowercase
 * Base 16", so that one key has one text form. */
static bool parse_id(const char *s, size_t n, uint32_t *id) {
  if (n != 8)
    return false;
  uint32_t v = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = (unsigned)(c - 'a' + 10);
    else
      return false;
    v = v << 4 | d;
  }
  *id = v;
  return true;
}

/* The three '+'-separated fields <name>+<id>+<base64(type || key)> of a
 * vkey or of an skey after "PRIVATE+KEY+". Splits on the first two '+'
 * only: base64 uses '+' too. `what` names the form in messages. Writes
 * the name (NUL-terminated), the ID and the 33 key bytes. */
static truce_err parse_fields(const char *what, const char *s, size_t n,
                              char name[TRUCE_NAME_MAX + 1], uint32_t *id,
                              uint8_t key[33], char *err) {
  const char *p1 = memchr(s, '+', n);
  if (!p1)
    return seterr(err, TRUCE_EPARSE, "%s: no '+' after the key name", what);
  size_t name_len = (size_t)(p1 - s);
  const char *id_s = p1 + 1;
  size_t rest = n - name_len - 1;
  const char *p2 = memchr(id_s, '+', rest);
  if (!p2)
    return seterr(err, TRUCE_EPARSE, "%s: no '+' after the key ID", what);
  size_t id_len = (size_t)(p2 - id_s);
  const char *b64 = p2 + 1;
  size_t b64_len = rest - id_len - 1;

  truce_err rc = name_check(s, name_len, err);
  if (rc) {
    errprefix(err, "%s", what);
    return rc;
  }
  memcpy(name, s, name_len);
  name[name_len] = '\0';
  if (!parse_id(id_s, id_len, id))
    return seterr(err, TRUCE_EPARSE,
                  "%s: key ID '%.*s' is not 8 lower-case hex digits", what,
                  (int)(id_len > 16 ? 16 : id_len), id_s);
  /* raw holds a private seed when parsing an skey: wiped on every path.
   * Room for any base64 that fits the text limits, so that a key of
   * another type (an ECDSA key is 90 bytes) is named by its type. */
  uint8_t raw[TRUCE_SKEY_MAX];
  size_t raw_len = 0;
  rc = truce_base64_decode(b64, b64_len, raw, sizeof raw, &raw_len);
  unsigned type = raw_len ? raw[0] : 0;
  if (rc == TRUCE_OK && raw_len == 33 && type_ok(raw[0])) {
    memcpy(key, raw, 33);
    sodium_memzero(raw, sizeof raw);
    return TRUCE_OK;
  }
  sodium_memzero(raw, sizeof raw);
  if (rc == TRUCE_ETOOBIG)
    return seterr(err, TRUCE_EPARSE, "%s: key is longer than %zu bytes", what,
                  sizeof raw);
  if (rc)
    return seterr(err, TRUCE_EPARSE, "%s: key is not valid base64", what);
  if (raw_len == 0)
    return seterr(err, TRUCE_EPARSE, "%s: key is empty", what);
  if (!type_ok((uint8_t)type))
    return seterr(err, TRUCE_EPARSE,
                  "%s: unsupported key type 0x%02x (want 0x01, Ed25519, or "
                  "0x04, cosignature/v1)",
                  what, type);
  return seterr(err, TRUCE_EPARSE,
                "%s: key is %zu bytes, want 33 (a type byte and 32 key bytes)",
                what, raw_len);
}

truce_err truce_vkey_parse(const char *text, size_t len, truce_vkey *out,
                           char *err) {
  memset(out, 0, sizeof *out);
  if (!text)
    return seterr(err, TRUCE_EINVAL, "vkey: no text");
  if (len >= TRUCE_VKEY_MAX)
    return seterr(err, TRUCE_EPARSE, "vkey: longer than %d bytes",
                  TRUCE_VKEY_MAX - 1);
  truce_vkey k;
  memset(&k, 0, sizeof k);
  uint8_t key[33];
  truce_err rc = parse_fields("vkey", text, len, k.name, &k.id, key, err);
  if (rc)
    return rc;
  k.type = key[0];
  memcpy(k.pub, key + 1, 32);
  uint32_t want = truce_key_id(k.name, k.type, k.pub);
  if (want != k.id)
    return seterr(err, TRUCE_EPARSE,
                  "vkey: key ID %08x does not match the key (want %08x)",
                  (unsigned)k.id, (unsigned)want);
  *out = k;
  return TRUCE_OK;
}

void truce_vkey_format(const truce_vkey *k, char out[TRUCE_VKEY_MAX]) {
  uint8_t key[33];
  char b64[45];
  key[0] = k->type;
  memcpy(key + 1, k->pub, 32);
  truce_base64_encode(key, sizeof key, b64);
  /* %.*s: a name that is not NUL-terminated within its array is cut,
   * never read past */
  snprintf(out, TRUCE_VKEY_MAX, "%.*s+%08x+%s", TRUCE_NAME_MAX, k->name,
           (unsigned)k->id, b64);
}

static const char skey_prefix[] = "PRIVATE+KEY+";

truce_err truce_skey_parse(const char *text, size_t len, truce_skey *out,
                           char *err) {
  memset(out, 0, sizeof *out);
  if (!text)
    return seterr(err, TRUCE_EINVAL, "skey: no text");
  if (len >= TRUCE_SKEY_MAX)
    return seterr(err, TRUCE_EPARSE, "skey: longer than %d bytes",
                  TRUCE_SKEY_MAX - 1);
  size_t plen = sizeof skey_prefix - 1;
  if (len < plen || memcmp(text, skey_prefix, plen) != 0)
    return seterr(err, TRUCE_EPARSE, "skey: does not start with \"%s\"",
                  skey_prefix);
  char name[TRUCE_NAME_MAX + 1];
  uint32_t id;
  uint8_t key[33];
  truce_err rc =
      parse_fields("skey", text + plen, len - plen, name, &id, key, err);
  if (rc)
    return rc;
  rc = truce_skey_from_seed(name, key[0], key + 1, out, err);
  sodium_memzero(key, sizeof key);
  if (rc) {
    errprefix(err, "skey");
    return rc;
  }
  if (out->vkey.id != id) {
    uint32_t want = out->vkey.id;
    truce_skey_wipe(out);
    return seterr(err, TRUCE_EPARSE,
                  "skey: key ID %08x does not match the key (want %08x)",
                  (unsigned)id, (unsigned)want);
  }
  return TRUCE_OK;
}

void truce_skey_format(const truce_skey *k, char out[TRUCE_SKEY_MAX]) {
  uint8_t key[33];
  char b64[45];
  key[0] = k->vkey.type;
  memcpy(key + 1, k->seed, 32);
  truce_base64_encode(key, sizeof key, b64);
  snprintf(out, TRUCE_SKEY_MAX, "%s%.*s+%08x+%s", skey_prefix, TRUCE_NAME_MAX,
           k->vkey.name, (unsigned)k->vkey.id, b64);
  sodium_memzero(key, sizeof key);
  sodium_memzero(b64, sizeof b64);
}

truce_err truce_skey_from_seed(const char *name, uint8_t type,
                               const uint8_t seed[32], truce_skey *out,
                               char *err) {
  memset(out, 0, sizeof *out);
  truce_err rc = truce_key_name_check(name, err);
  if (rc)
    return rc;
  if (!type_ok(type))
    return seterr(err, TRUCE_EINVAL,
                  "unsupported key type 0x%02x (want 0x01, Ed25519, or "
                  "0x04, cosignature/v1)",
                  (unsigned)type);
  (void)sodium_up(); /* seeding needs no randomness: go on regardless */
  truce_skey k;
  memset(&k, 0, sizeof k); /* padding too: results compare with memcmp */
  if (crypto_sign_seed_keypair(k.vkey.pub, k.sk, seed) != 0) {
    sodium_memzero(&k, sizeof k);
    return seterr(err, TRUCE_EINVAL, "cannot derive a key from the seed");
  }
  memcpy(k.seed, seed, 32);
  memcpy(k.vkey.name, name, strlen(name)); /* checked: <= TRUCE_NAME_MAX */
  k.vkey.type = type;
  k.vkey.id = truce_key_id(k.vkey.name, type, k.vkey.pub);
  *out = k;
  sodium_memzero(&k, sizeof k);
  return TRUCE_OK;
}

truce_err truce_skey_generate(const char *name, uint8_t type, truce_skey *out,
                              char *err) {
  memset(out, 0, sizeof *out);
  if (!sodium_up())
    return seterr(err, TRUCE_EIO,
                  "cannot initialise libsodium (no system randomness)");
  uint8_t seed[32];
  randombytes_buf(seed, sizeof seed);
  truce_err rc = truce_skey_from_seed(name, type, seed, out, err);
  sodium_memzero(seed, sizeof seed);
  return rc;
}

void truce_skey_wipe(truce_skey *k) {
  if (k)
    sodium_memzero(k, sizeof *k);
}

/* ---- Ed25519 ---- */

void truce_ed25519_sign(const truce_skey *k, const void *msg, size_t len,
                        uint8_t sig[64]) {
  (void)sodium_up();
  crypto_sign_detached(sig, NULL, msg, len, k->sk);
}

/* libsodium 1.0.18's rule (crypto_sign_verify_detached): rejects
 * non-canonical S, small-order and non-canonical public keys and
 * small-order R; cofactorless equation. test_ed25519.c pins what this
 * accepts among the CCTV edge cases, so an upgrade that changes the rule
 * fails the tests instead of silently splitting verdicts. */
truce_err truce_ed25519_verify(const uint8_t pub[32], const void *msg,
                               size_t len, const uint8_t sig[64]) {
  (void)sodium_up();
  if (crypto_sign_verify_detached(sig, msg, len, pub) != 0)
    return TRUCE_EBADSIG;
  return TRUCE_OK;
}
