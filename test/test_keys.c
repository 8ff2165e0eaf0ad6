/*
 * test_keys.c: key names, key IDs, vkeys and skeys (lib/keys.c), against
 * the signed-note vectors in ../shared/vectors/tlog/extracted/ and the
 * rules of c2sp.org/signed-note.
 */
#include "internal.h"
#include "test.h"
#include "vectors.h"

#include <jansson.h>

#define VEC_NOTE "vectors/tlog/extracted/signed_note_vectors.json"
#define VEC_COSIG "vectors/tlog/extracted/cosignature_and_witness_vectors.json"

static const char peter_vkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char peter_skey[] = "PRIVATE+KEY+PeterNeumann+c74f20a3+"
                                 "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";

static uint32_t hex_id(const char *s) { return (uint32_t)strtoul(s, NULL, 16); }

TEST(name_rules) {
  char err[TRUCE_ERR_MAX];
  const char *good[] = {"PeterNeumann", "example.com/foo", "a",
                        "localhost.localdev/sumdb", "caf\xc3\xa9.example"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    CHECK_OK(truce_key_name_check(good[i], err));
  char n128[129], n129[130];
  memset(n128, 'a', 128);
  n128[128] = '\0';
  memset(n129, 'a', 129);
  n129[129] = '\0';
  CHECK_OK(truce_key_name_check(n128, err));
  CHECK_RC(truce_key_name_check(n129, err), TRUCE_EPARSE);
  CHECK_CONTAINS(err, "longer than 128");

  struct {
    const char *name, *msg;
  } bad[] = {
      {"", "empty"},
      {"a b", "space"},
      {"a+b", "'+'"},
      {"a\tb", "control"},
      {"a\nb", "control"},
      {"a\xc2\xa0"
       "b",
       "space"},                  /* U+00A0 no-break space */
      {"a\xe3\x80\x80", "space"}, /* U+3000 ideographic space */
      {"a\xe2\x80\xa8"
       "b",
       "space"}, /* U+2028 line separator */
      {"a\xc2\x85"
       "b",
       "space"}, /* U+0085 next line */
      {"\xff", "UTF-8"},
      {"a\xc3", "UTF-8"},    /* truncated sequence */
      {"\xc0\xaf", "UTF-8"}, /* overlong '/' */
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    err[0] = '\0';
    CHECK_RC(truce_key_name_check(bad[i].name, err), TRUCE_EPARSE);
    CHECK_CONTAINS(err, bad[i].msg);
  }
  CHECK_RC(truce_key_name_check(NULL, NULL), TRUCE_EPARSE);
}

TEST(key_id_known) {
  uint8_t pub[32];
  CHECK(unhex("1a5cd907143c384c41e830c5bce12aa8817ec5649aaabf2c31388b35b2d7"
              "44d6",
              pub, 32) == 0);
  CHECK_EQ_U64(truce_key_id("PeterNeumann", TRUCE_KEY_ED25519, pub),
               0xc74f20a3u);
  /* the same key and name as a cosigner: a different ID (Log, from the
   * vectors; spelled out here so the test stands without them) */
  CHECK(unhex("e9ae1f9a2806910f72bf96f289eb8c0d4d7eecc154775ecda914f351246a"
              "bbec",
              pub, 32) == 0);
  CHECK_EQ_U64(truce_key_id("Log", TRUCE_KEY_ED25519, pub), 0x2271c621u);
  CHECK_EQ_U64(truce_key_id("Log", TRUCE_KEY_COSIG_V1, pub), 0x099238e2u);
}

/* A key ID with leading zero bytes is written with its zeros. */
TEST(key_id_leading_zeros) {
  static const char vk[] = "localhost.localdev/sumdb+00000c67+AcTrnkbUA+TU4h"
                           "eY3hkjiSES/DSQniBqIeQ/YppAUtK6";
  truce_vkey k;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_vkey_parse(vk, strlen(vk), &k, err));
  CHECK_EQ_U64(k.id, 0x00000c67u);
  CHECK_EQ_U64(truce_key_id(k.name, k.type, k.pub), 0x00000c67u);
  char out[TRUCE_VKEY_MAX];
  truce_vkey_format(&k, out);
  CHECK_STR(out, vk);
  /* without the zeros it is not the fixed-length form */
  static const char short_id[] = "localhost.localdev/sumdb+c67+AcTrnkbUA+TU4"
                                 "heY3hkjiSES/DSQniBqIeQ/YppAUtK6";
  CHECK_RC(truce_vkey_parse(short_id, strlen(short_id), &k, err), TRUCE_EPARSE);
  CHECK_CONTAINS(err, "8 lower-case hex digits");
}

TEST(vkey_peter) {
  truce_vkey k;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_vkey_parse(peter_vkey, strlen(peter_vkey), &k, err));
  CHECK_STR(k.name, "PeterNeumann");
  CHECK_EQ_U64(k.id, 0xc74f20a3u);
  CHECK_EQ_U64(k.type, TRUCE_KEY_ED25519);
  uint8_t pub[32];
  CHECK(unhex("1a5cd907143c384c41e830c5bce12aa8817ec5649aaabf2c31388b35b2d7"
              "44d6",
              pub, 32) == 0);
  CHECK(memcmp(k.pub, pub, 32) == 0);
  char out[TRUCE_VKEY_MAX];
  truce_vkey_format(&k, out);
  CHECK_STR(out, peter_vkey);

  /* The ID must match the key: the message names both. */
  static const char wrong_id[] =
      "PeterNeumann+1234abcd+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  CHECK_RC(truce_vkey_parse(wrong_id, strlen(wrong_id), &k, err), TRUCE_EPARSE);
  CHECK_STR(err, "vkey: key ID 1234abcd does not match the key (want "
                 "c74f20a3)");
  /* upper-case hex is not the spec's lower-case form */
  static const char upper[] =
      "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
  CHECK_RC(truce_vkey_parse(upper, strlen(upper), &k, err), TRUCE_EPARSE);
  /* outputs are zeroed on failure */
  CHECK(k.name[0] == '\0' && k.id == 0 && k.type == 0);
  /* trailing newline, leading space */
  char buf[200];
  snprintf(buf, sizeof buf, "%s\n", peter_vkey);
  CHECK_RC(truce_vkey_parse(buf, strlen(buf), &k, err), TRUCE_EPARSE);
  snprintf(buf, sizeof buf, " %s", peter_vkey);
  CHECK_RC(truce_vkey_parse(buf, strlen(buf), &k, err), TRUCE_EPARSE);
  /* only len bytes are read: a longer buffer is cut where told */
  snprintf(buf, sizeof buf, "%sXYZ", peter_vkey);
  CHECK_OK(truce_vkey_parse(buf, strlen(peter_vkey), &k, err));
  /* libsodium 1.0.18 alone would read any byte from 0x80 up as '/':
   * the same key in another spelling must not pass */
  char alt[sizeof peter_vkey];
  memcpy(alt, peter_vkey, sizeof peter_vkey);
  *strchr(alt + 22, '/') = (char)0x80;
  CHECK_RC(truce_vkey_parse(alt, strlen(alt), &k, err), TRUCE_EPARSE);
  CHECK_CONTAINS(err, "base64");
  /* an skey is not a vkey */
  CHECK_RC(truce_vkey_parse(peter_skey, strlen(peter_skey), &k, err),
           TRUCE_EPARSE);
  CHECK_RC(truce_vkey_parse("", 0, &k, err), TRUCE_EPARSE);
  char huge[TRUCE_VKEY_MAX + 10];
  memset(huge, 'a', sizeof huge);
  CHECK_RC(truce_vkey_parse(huge, sizeof huge, &k, err), TRUCE_EPARSE);
}

/* Upstream's rule (golang.org/x/mod/sumdb/note TestNewVerifier): every
 * proper substring of a valid vkey and every single-byte +1 mutation of
 * it must be rejected. We hold the skey to the same rule. */
static void substrings_and_mutations(const char *valid, int is_skey) {
  size_t n = strlen(valid);
  char buf[TRUCE_SKEY_MAX], err[TRUCE_ERR_MAX];
  truce_vkey vk;
  truce_skey sk;
  size_t accepted = 0, tried = 0;
  for (size_t i = 0; i < n; i++) {
    for (size_t j = i; j <= n; j++) {
      if (i == 0 && j == n)
        continue;
      truce_err rc = is_skey ? truce_skey_parse(valid + i, j - i, &sk, err)
                             : truce_vkey_parse(valid + i, j - i, &vk, err);
      tried++;
      CHECK_MSG(rc != TRUCE_OK, "substring [%zu,%zu) accepted", i, j);
      accepted += rc == TRUCE_OK;
    }
  }
  for (size_t i = 0; i < n; i++) {
    memcpy(buf, valid, n);
    buf[i] = (char)(buf[i] + 1);
    truce_err rc = is_skey ? truce_skey_parse(buf, n, &sk, err)
                           : truce_vkey_parse(buf, n, &vk, err);
    tried++;
    CHECK_MSG(rc != TRUCE_OK, "mutation at %zu accepted: %.*s", i, (int)n, buf);
    accepted += rc == TRUCE_OK;
  }
  CHECK_EQ_U64(accepted, 0);
  CHECK(tried > n * n / 2);
  /* and the valid one itself */
  truce_err rc = is_skey ? truce_skey_parse(valid, n, &sk, err)
                         : truce_vkey_parse(valid, n, &vk, err);
  CHECK_OK(rc);
}

TEST(vkey_substrings_and_mutations) { substrings_and_mutations(peter_vkey, 0); }

TEST(skey_substrings_and_mutations) { substrings_and_mutations(peter_skey, 1); }

TEST(bad_vkeys_vectors) {
  json_t *j = load(VEC_NOTE);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_NOTE);
  json_t *bad = json_object_get(j, "bad_vkeys");
  CHECK(json_array_size(bad) == 3);
  size_t i, explicit_n = 0;
  json_t *v;
  json_array_foreach(bad, i, v) {
    const char *vk = jstr(v, "vkey");
    if (!vk) {
      /* the substring/mutation rule: test vkey_substrings_and_mutations */
      CHECK(jstr(v, "vkey_rule") != NULL);
      continue;
    }
    truce_vkey k;
    char err[TRUCE_ERR_MAX] = "";
    CHECK_MSG(truce_vkey_parse(vk, strlen(vk), &k, err) == TRUCE_EPARSE,
              "accepted: %s (%s)", vk, jstr(v, "why"));
    explicit_n++;
  }
  CHECK_EQ_U64(explicit_n, 2);
  /* and the reasons, in the messages */
  const char *len_vk = jstr(json_array_get(bad, 0), "vkey");
  const char *type_vk = jstr(json_array_get(bad, 1), "vkey");
  truce_vkey k;
  char err[TRUCE_ERR_MAX];
  /* upstream's "BADKEY==" has non-zero trailing bits: Go's lenient
   * base64 reads it, ours refuses it before the length is known */
  truce_vkey_parse(len_vk, strlen(len_vk), &k, err);
  CHECK_CONTAINS(err, "base64");
  static const char long_key[] =
      "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==";
  CHECK_RC(truce_vkey_parse(long_key, strlen(long_key), &k, err), TRUCE_EPARSE);
  CHECK_STR(err, "vkey: key is 34 bytes, want 33 (a type byte and 32 key "
                 "bytes)");
  truce_vkey_parse(type_vk, strlen(type_vk), &k, err);
  CHECK_CONTAINS(err, "unsupported key type 0x65");
  json_decref(j);
}

/* The vectors' eight key pairs: skey -> seed, public key, key ID, vkey;
 * and the same key as a cosigner (type 0x04). */
TEST(keypair_vectors) {
  json_t *j = load(VEC_NOTE);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_NOTE);
  json_t *pairs = json_object_get(j, "ed25519_keypairs_with_private_keys");
  CHECK_EQ_U64(json_array_size(pairs), 8);
  size_t i, n_cosig = 0;
  json_t *v;
  json_array_foreach(pairs, i, v) {
    const char *skey = jstr(v, "skey"), *name = jstr(v, "name");
    truce_skey k;
    char err[TRUCE_ERR_MAX] = "";
    CHECK_MSG(truce_skey_parse(skey, strlen(skey), &k, err) == TRUCE_OK,
              "%s: %s", skey, err);
    CHECK_STR(k.vkey.name, name);
    CHECK_EQ_U64(k.vkey.type, TRUCE_KEY_ED25519);
    uint8_t pub[32], seed[32];
    CHECK(unhex(jstr(v, "ed25519_pub_hex"), pub, 32) == 0);
    CHECK(memcmp(k.vkey.pub, pub, 32) == 0);
    const char *seed_hex = jstr(v, "ed25519_seed_hex");
    if (seed_hex) {
      CHECK(unhex(seed_hex, seed, 32) == 0);
      CHECK(memcmp(k.seed, seed, 32) == 0);
    }
    if (jstr(v, "key_id_hex"))
      CHECK_EQ_U64(k.vkey.id, hex_id(jstr(v, "key_id_hex")));
    CHECK_EQ_U64(truce_key_id(name, TRUCE_KEY_ED25519, pub), k.vkey.id);
    char out[TRUCE_SKEY_MAX];
    truce_skey_format(&k, out);
    CHECK_STR(out, skey);
    if (jstr(v, "vkey")) {
      truce_vkey_format(&k.vkey, out);
      CHECK_STR(out, jstr(v, "vkey"));
      truce_vkey vk;
      CHECK_OK(
          truce_vkey_parse(jstr(v, "vkey"), strlen(jstr(v, "vkey")), &vk, err));
      CHECK(memcmp(&vk, &k.vkey, sizeof vk) == 0);
    }
    const char *cid = jstr(v, "cosignature_v1_key_id_hex");
    if (cid) {
      truce_skey c;
      CHECK_OK(truce_skey_from_seed(name, TRUCE_KEY_COSIG_V1, k.seed, &c, err));
      CHECK_EQ_U64(c.vkey.id, hex_id(cid));
      CHECK(memcmp(c.vkey.pub, pub, 32) == 0);
      CHECK_EQ_U64(truce_key_id(name, TRUCE_KEY_COSIG_V1, pub), hex_id(cid));
      truce_vkey_format(&c.vkey, out);
      CHECK_STR(out, jstr(v, "cosignature_v1_vkey"));
      truce_vkey vk;
      const char *cv = jstr(v, "cosignature_v1_vkey");
      CHECK_OK(truce_vkey_parse(cv, strlen(cv), &vk, err));
      CHECK_EQ_U64(vk.type, TRUCE_KEY_COSIG_V1);
      CHECK_EQ_U64(vk.id, hex_id(cid));
      truce_skey_wipe(&c);
      n_cosig++;
    }
    truce_skey_wipe(&k);
  }
  CHECK_EQ_U64(n_cosig, 7);
  json_decref(j);
}

/* Verifier keys met in the wild, including a real public witness (0x04)
 * and the public half of the logandmap skey. */
TEST(other_vkeys_vectors) {
  json_t *j = load(VEC_NOTE);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_NOTE);
  json_t *arr = json_object_get(j, "other_vkeys");
  CHECK_EQ_U64(json_array_size(arr), 3);
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    const char *vk = jstr(v, "vkey");
    truce_vkey k;
    char err[TRUCE_ERR_MAX] = "";
    CHECK_MSG(truce_vkey_parse(vk, strlen(vk), &k, err) == TRUCE_OK, "%s: %s",
              vk, err);
    CHECK_STR(k.name, jstr(v, "name"));
    CHECK_EQ_U64(k.id, hex_id(jstr(v, "key_id_hex")));
    CHECK_EQ_U64(k.type, json_integer_value(json_object_get(v, "sig_type")));
    uint8_t pub[32];
    CHECK(unhex(jstr(v, "pub_hex"), pub, 32) == 0);
    CHECK(memcmp(k.pub, pub, 32) == 0);
    CHECK_EQ_U64(truce_key_id(k.name, k.type, k.pub),
                 hex_id(jstr(v, "recomputed_key_id_hex")));
    char out[TRUCE_VKEY_MAX];
    truce_vkey_format(&k, out);
    CHECK_STR(out, vk);
  }
  /* logandmap: the vkey is the public half of the skey */
  json_t *pairs = json_object_get(j, "ed25519_keypairs_with_private_keys");
  const char *skey = jstr(json_array_get(pairs, 7), "skey");
  const char *vkey = jstr(json_array_get(arr, 2), "vkey");
  truce_skey sk;
  char out[TRUCE_VKEY_MAX], err[TRUCE_ERR_MAX];
  CHECK_OK(truce_skey_parse(skey, strlen(skey), &sk, err));
  truce_vkey_format(&sk.vkey, out);
  CHECK_STR(out, vkey);
  /* and a vkey is not an skey (upstream's negative case) */
  CHECK_RC(truce_skey_parse(vkey, strlen(vkey), &sk, err), TRUCE_EPARSE);
  json_decref(j);
}

/* The three real witness keys and the log key of the cosigned Rekor
 * checkpoint: every one round-trips. */
TEST(witness_vkeys_vectors) {
  json_t *j = load(VEC_COSIG);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_COSIG);
  json_t *rv = json_object_get(j, "real_verified");
  json_t *wit = json_object_get(rv, "witness_vkeys");
  CHECK_EQ_U64(json_array_size(wit), 3);
  size_t i;
  json_t *v;
  json_array_foreach(wit, i, v) {
    const char *vk = json_string_value(v);
    truce_vkey k;
    char err[TRUCE_ERR_MAX], out[TRUCE_VKEY_MAX];
    CHECK_OK(truce_vkey_parse(vk, strlen(vk), &k, err));
    CHECK_EQ_U64(k.type, TRUCE_KEY_COSIG_V1);
    truce_vkey_format(&k, out);
    CHECK_STR(out, vk);
  }
  const char *lk = jstr(rv, "log_vkey");
  truce_vkey k;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_vkey_parse(lk, strlen(lk), &k, err));
  CHECK_EQ_U64(k.type, TRUCE_KEY_ED25519);
  json_decref(j);
}

TEST(skey_rules) {
  truce_skey k;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_skey_parse(peter_skey, strlen(peter_skey), &k, err));
  CHECK_STR(k.vkey.name, "PeterNeumann");
  CHECK_EQ_U64(k.vkey.id, 0xc74f20a3u);
  char out[TRUCE_VKEY_MAX];
  truce_vkey_format(&k.vkey, out);
  CHECK_STR(out, peter_vkey);
  /* libsodium's expanded key is seed || public key */
  CHECK(memcmp(k.sk, k.seed, 32) == 0 &&
        memcmp(k.sk + 32, k.vkey.pub, 32) == 0);

  static const char wrong_id[] = "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGy"
                                 "NhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
  CHECK_RC(truce_skey_parse(wrong_id, strlen(wrong_id), &k, err), TRUCE_EPARSE);
  CHECK_STR(err, "skey: key ID c74f20a4 does not match the key (want "
                 "c74f20a3)");
  /* failure leaves nothing secret behind */
  static const uint8_t zero[sizeof k.seed];
  CHECK(memcmp(k.seed, zero, sizeof zero) == 0 &&
        memcmp(k.sk, zero, sizeof zero) == 0);
  static const char lower_prefix[] = "private+key+PeterNeumann+c74f20a3+AYEKFA"
                                     "LVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
  CHECK_RC(truce_skey_parse(lower_prefix, strlen(lower_prefix), &k, err),
           TRUCE_EPARSE);
  CHECK_CONTAINS(err, "PRIVATE+KEY+");
}

TEST(skey_generate_and_seed) {
  truce_skey a, b;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(
      truce_skey_generate("truce.example/admin", TRUCE_KEY_ED25519, &a, err));
  CHECK_OK(
      truce_skey_generate("truce.example/admin", TRUCE_KEY_ED25519, &b, err));
  CHECK(memcmp(a.seed, b.seed, 32) != 0); /* fresh randomness */
  char text[TRUCE_SKEY_MAX];
  truce_skey_format(&a, text);
  truce_skey c;
  CHECK_OK(truce_skey_parse(text, strlen(text), &c, err));
  CHECK(memcmp(&a, &c, sizeof a) == 0);
  char vtext[TRUCE_VKEY_MAX];
  truce_vkey_format(&a.vkey, vtext);
  truce_vkey v;
  CHECK_OK(truce_vkey_parse(vtext, strlen(vtext), &v, err));
  CHECK(memcmp(&v, &a.vkey, sizeof v) == 0);

  uint8_t sig[64];
  truce_ed25519_sign(&a, "hello", 5, sig);
  CHECK_OK(truce_ed25519_verify(a.vkey.pub, "hello", 5, sig));
  CHECK_RC(truce_ed25519_verify(b.vkey.pub, "hello", 5, sig), TRUCE_EBADSIG);
  CHECK_RC(truce_ed25519_verify(a.vkey.pub, "hellp", 5, sig), TRUCE_EBADSIG);

  /* cosigner keys round-trip too, with their own type byte */
  CHECK_OK(truce_skey_generate("w.example", TRUCE_KEY_COSIG_V1, &c, err));
  truce_skey_format(&c, text);
  CHECK(strncmp(text, "PRIVATE+KEY+w.example+", 22) == 0);
  truce_skey d;
  CHECK_OK(truce_skey_parse(text, strlen(text), &d, err));
  CHECK(memcmp(&c, &d, sizeof c) == 0);

  /* bad type, bad name */
  CHECK_RC(truce_skey_generate("x", 0x02, &c, err), TRUCE_EINVAL);
  CHECK_CONTAINS(err, "0x02");
  CHECK_RC(truce_skey_generate("a b", TRUCE_KEY_ED25519, &c, err),
           TRUCE_EPARSE);
  CHECK_CONTAINS(err, "space");
  CHECK_RC(truce_skey_from_seed("x", 0x05, a.seed, &c, err), TRUCE_EINVAL);

  /* the same seed gives the same key */
  CHECK_OK(truce_skey_from_seed("truce.example/admin", TRUCE_KEY_ED25519,
                                a.seed, &c, err));
  CHECK(memcmp(&a, &c, sizeof a) == 0);

  truce_skey_wipe(&a);
  static const truce_skey zero;
  CHECK(memcmp(&a, &zero, sizeof a) == 0);
  truce_skey_wipe(NULL);
  truce_skey_wipe(&b);
  truce_skey_wipe(&c);
  truce_skey_wipe(&d);
}

int main(void) {
  RUN(name_rules);
  RUN(key_id_known);
  RUN(key_id_leading_zeros);
  RUN(vkey_peter);
  RUN(vkey_substrings_and_mutations);
  RUN(skey_substrings_and_mutations);
  RUN(bad_vkeys_vectors);
  RUN(keypair_vectors);
  RUN(other_vkeys_vectors);
  RUN(witness_vkeys_vectors);
  RUN(skey_rules);
  RUN(skey_generate_and_seed);
  return test_done(__FILE__);
}
