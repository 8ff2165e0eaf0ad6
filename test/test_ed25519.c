/*
 * test_ed25519.c: truce's Ed25519 verification rule (lib/keys.c), pinned.
 *
 * Why pin it: honest Ed25519 signatures verify everywhere, but crafted
 * ones (small-order or non-canonical points) are accepted by some
 * libraries and refused by others, and the answer has changed between
 * versions of the same library. In a log that several parties check, a
 * signature that one auditor accepts and another refuses is a split in
 * the evidence itself. So truce uses one rule (libsodium 1.0.18's
 * crypto_sign_verify_detached) and this test fails if the set of CCTV
 * edge-case vectors it accepts ever changes, for instance after a
 * libsodium upgrade: then the change has to be a decision, not an
 * accident.
 */
#include "internal.h"
#include "test.h"
#include "vectors.h"

#include <jansson.h>

#define VEC_CCTV "vectors/tlog/cctv-ed25519/ed25519vectors.json"
#define VEC_LIBS "vectors/tlog/extracted/ed25519_cctv_library_results.json"
#define LIBSODIUM_RESULT                                                       \
  "libsodium 1.0.18 (Debian 12 libsodium23), crypto_sign_verify_detached"

/* The numbers of the CCTV vectors that truce accepts: libsodium 1.0.18's
 * verdicts, written out here so that the test does not depend on the
 * derived file for its expectation. */
static const int accepted_pinned[] = {
    7,   29,  50,  117, 139, 161, 182, 249, 305, 411, 425, 438, 465, 473, 481,
    489, 497, 511, 525, 538, 565, 573, 581, 589, 597, 611, 625, 638, 665, 673,
    681, 689, 697, 711, 725, 738, 765, 773, 781, 789, 797, 832, 899};
#define N_PINNED (sizeof accepted_pinned / sizeof *accepted_pinned)
#define N_CCTV 914

static bool pinned(int number) {
  for (size_t i = 0; i < N_PINNED; i++)
    if (accepted_pinned[i] == number)
      return true;
  return false;
}

TEST(cctv_accepted_set) {
  json_t *j = load(VEC_CCTV);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_CCTV);
  CHECK_EQ_U64(json_array_size(j), N_CCTV);
  size_t i, accepted = 0, mismatched = 0;
  json_t *v;
  json_array_foreach(j, i, v) {
    int number = (int)json_integer_value(json_object_get(v, "number"));
    const char *msg = json_string_value(json_object_get(v, "msg"));
    uint8_t pub[32], sig[64];
    CHECK(number == (int)i);
    CHECK(msg != NULL);
    CHECK(unhex(json_string_value(json_object_get(v, "key")), pub, 32) == 0);
    CHECK(unhex(json_string_value(json_object_get(v, "sig")), sig, 64) == 0);
    if (!msg)
      continue;
    truce_err rc = truce_ed25519_verify(pub, msg, strlen(msg), sig);
    CHECK(rc == TRUCE_OK || rc == TRUCE_EBADSIG);
    bool ok = rc == TRUCE_OK;
    accepted += ok;
    if (ok != pinned(number)) {
      mismatched++;
      CHECK_MSG(0, "vector %d: %s, pinned rule says %s", number,
                ok ? "accepted" : "rejected",
                pinned(number) ? "accept" : "reject");
    }
  }
  CHECK_EQ_U64(accepted, N_PINNED);
  CHECK_EQ_U64(mismatched, 0);
  json_decref(j);
}

/* The literal above is libsodium 1.0.18's list in the derived results. */
TEST(pinned_matches_libsodium_1_0_18) {
  json_t *j = load(VEC_LIBS);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_LIBS);
  json_t *r = json_object_get(json_object_get(j, "results"), LIBSODIUM_RESULT);
  CHECK(r != NULL);
  json_t *nums = json_object_get(r, "accepted_numbers");
  CHECK_EQ_U64(json_integer_value(json_object_get(r, "accepted_count")),
               N_PINNED);
  CHECK_EQ_U64(json_array_size(nums), N_PINNED);
  for (size_t i = 0; i < N_PINNED && i < json_array_size(nums); i++)
    CHECK_EQ_U64(json_integer_value(json_array_get(nums, i)),
                 accepted_pinned[i]);
  json_decref(j);
}

/* RFC 8032 section 7.1, tests 1 and 2: signing is deterministic and the
 * signature verifies; any flipped bit does not. */
TEST(rfc8032_known_answers) {
  static const struct {
    const char *seed, *pub, *msg, *sig;
  } t[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
       "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
       "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
  };
  for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
    uint8_t seed[32], pub[32], msg[8], want[64], sig[64];
    size_t mlen = 0;
    CHECK(unhex(t[i].seed, seed, 32) == 0);
    CHECK(unhex(t[i].pub, pub, 32) == 0);
    CHECK(unhex(t[i].sig, want, 64) == 0);
    CHECK_OK(
        truce_hex_decode(t[i].msg, strlen(t[i].msg), msg, sizeof msg, &mlen));
    truce_skey k;
    char err[TRUCE_ERR_MAX];
    CHECK_OK(truce_skey_from_seed("rfc8032", TRUCE_KEY_ED25519, seed, &k, err));
    CHECK(memcmp(k.vkey.pub, pub, 32) == 0);
    truce_ed25519_sign(&k, msg, mlen, sig);
    CHECK(memcmp(sig, want, 64) == 0);
    CHECK_OK(truce_ed25519_verify(pub, msg, mlen, want));
    size_t flips_accepted = 0;
    for (size_t bit = 0; bit < 512; bit++) {
      uint8_t bad[64];
      memcpy(bad, want, 64);
      bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
      flips_accepted += truce_ed25519_verify(pub, msg, mlen, bad) == TRUCE_OK;
    }
    CHECK_EQ_U64(flips_accepted, 0);
    truce_skey_wipe(&k);
  }
}

int main(void) {
  RUN(cctv_accepted_set);
  RUN(pinned_matches_libsodium_1_0_18);
  RUN(rfc8032_known_answers);
  return test_done(__FILE__);
}
