/*
 * test_note.c: signed notes and cosignatures (lib/note.c) against every
 * case of the signed-note vectors, the real cosigned Rekor checkpoint and
 * the derived cosigning vectors, plus tampering and limits of our own.
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
static const char peter_text[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
static const char peter_sig_line[] =
    "\xe2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGU"
    "gYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

/* Parse and verify in one go, as a caller would. */
static truce_err open_note(const char *msg, size_t len, const truce_vkey *keys,
                           size_t nkeys, uint8_t *verified, uint64_t *ts,
                           char *err) {
  truce_note n;
  truce_err rc = truce_note_parse(msg, len, &n, err);
  if (rc)
    return rc;
  return truce_note_verify(&n, keys, nkeys, verified, ts, err);
}

/* A note of `text` with the signature lines `sigs` (already formatted). */
static void note_of(truce_buf *b, const char *text, const char *sigs) {
  b->len = 0;
  CHECK_OK(truce_buf_appendf(b, "%s\n%s", text, sigs));
}

/* ---- signing reproduces the vectors ---- */

TEST(sign_peter_byte_for_byte) {
  truce_skey k;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_skey_parse(peter_skey, strlen(peter_skey), &k, err));
  truce_buf out;
  truce_buf_init(&out, TRUCE_NOTE_MAX);
  CHECK_OK(truce_note_sign(peter_text, strlen(peter_text), &k, &out, err));
  char want[512];
  snprintf(want, sizeof want, "%s\n%s", peter_text, peter_sig_line);
  CHECK_STR(out.data, want);
  /* appends: a second note follows the first */
  CHECK_OK(truce_note_sign(peter_text, strlen(peter_text), &k, &out, err));
  CHECK_EQ_U64(out.len, 2 * strlen(want));
  CHECK(strcmp(out.data + strlen(want), want) == 0);
  truce_buf_release(&out);
  truce_skey_wipe(&k);
}

/* ---- the good notes ---- */

TEST(good_notes_vectors) {
  json_t *j = load(VEC_NOTE);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_NOTE);
  json_t *good = json_object_get(j, "good_notes");
  CHECK_EQ_U64(json_array_size(good), 5);
  size_t i, seen = 0;
  json_t *v;
  char err[TRUCE_ERR_MAX];
  json_array_foreach(good, i, v) {
    const char *id = jstr(v, "id"), *msg = jstr(v, "signed_note");
    size_t len = strlen(msg);
    truce_note n;
    CHECK_MSG(truce_note_parse(msg, len, &n, err) == TRUCE_OK, "%s: %s", id,
              err);
    if (strcmp(id, "go-peter-plus-enoch") == 0) {
      /* "with [peter] only: 1 verified (Peter) + 1 unverified (Enoch,
       * ignored); with [peter,enoch]: 2 verified; with []: reject" */
      json_t *vks = json_object_get(v, "vkeys");
      truce_vkey keys[2] = {vkey(json_string_value(json_array_get(vks, 0))),
                            vkey(json_string_value(json_array_get(vks, 1)))};
      uint8_t ver[2] = {9, 9};
      CHECK_EQ_U64(n.nsig, 2);
      CHECK_OK(truce_note_verify(&n, keys, 1, ver, NULL, err));
      CHECK(ver[0] == 1);
      CHECK_OK(truce_note_verify(&n, keys, 2, ver, NULL, err));
      CHECK(ver[0] == 1 && ver[1] == 1);
      CHECK_OK(truce_note_verify(&n, keys + 1, 1, ver, NULL, err));
      CHECK(ver[0] == 1);
      CHECK_RC(truce_note_verify(&n, keys, 0, NULL, NULL, err), TRUCE_ENOKEY);
      CHECK_CONTAINS(err, "no signature by a trusted key");
      /* "duplicated lines are ignored": every line twice still opens */
      const char *sigs = msg + strlen(peter_text) + 1;
      truce_buf b;
      truce_buf_init(&b, TRUCE_NOTE_MAX);
      CHECK_OK(truce_buf_appendf(&b, "%s\n%s%s", peter_text, sigs, sigs));
      CHECK_OK(open_note(b.data, b.len, keys, 2, ver, NULL, err));
      CHECK(ver[0] == 1 && ver[1] == 1);
      truce_buf_release(&b);
      seen++;
      continue;
    }
    truce_vkey k = vkey(jstr(v, "vkey"));
    uint8_t ver = 0;
    CHECK_MSG(truce_note_verify(&n, &k, 1, &ver, NULL, err) == TRUCE_OK,
              "%s: %s", id, err);
    CHECK(ver == 1);
    CHECK_EQ_U64(n.nsig, 1);
    CHECK_EQ_U64(n.sig[0].id, k.id);
    CHECK_STR(n.sig[0].name, k.name);
    CHECK_EQ_U64(n.sig[0].sig_len, 64);
    /* the text is everything up to the blank line */
    CHECK(n.text == msg);
    CHECK(n.text_len + 1 < len && msg[n.text_len - 1] == '\n' &&
          msg[n.text_len] == '\n');
    const char *skey = jstr(v, "skey");
    if (skey) {
      /* Ed25519 is deterministic: signing the text gives the note back */
      truce_skey sk;
      CHECK_OK(truce_skey_parse(skey, strlen(skey), &sk, err));
      truce_buf b;
      truce_buf_init(&b, TRUCE_NOTE_MAX);
      CHECK_OK(truce_note_sign(n.text, n.text_len, &sk, &b, err));
      CHECK_STR(b.data, msg);
      truce_buf_release(&b);
      truce_skey_wipe(&sk);
    }
    if (strcmp(id, "go-sumdb-tree-6") == 0)
      CHECK_EQ_U64(n.sig[0].id, 0x00000c67u); /* leading zero bytes */
    seen++;
  }
  CHECK_EQ_U64(seen, 5);

  /* the sumdb key signs tree 5 too (same key as tree 6) */
  const char *skey = jstr(json_array_get(good, 3), "skey");
  const char *tree5 = jstr(json_array_get(good, 4), "signed_note");
  truce_skey sk;
  CHECK_OK(truce_skey_parse(skey, strlen(skey), &sk, err));
  truce_note n5;
  CHECK_OK(truce_note_parse(tree5, strlen(tree5), &n5, err));
  truce_buf b;
  truce_buf_init(&b, TRUCE_NOTE_MAX);
  CHECK_OK(truce_note_sign(n5.text, n5.text_len, &sk, &b, err));
  CHECK_STR(b.data, tree5);
  truce_buf_release(&b);
  truce_skey_wipe(&sk);
  json_decref(j);
}

/* ---- the bad notes ---- */

TEST(bad_notes_vectors) {
  json_t *j = load(VEC_NOTE);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_NOTE);
  json_t *bad = json_object_get(j, "bad_notes");
  CHECK_EQ_U64(json_array_size(bad), 9);
  size_t i, n_parse = 0, n_sig = 0, n_big = 0;
  json_t *v;
  json_array_foreach(bad, i, v) {
    const char *desc = jstr(v, "desc");
    char err[TRUCE_ERR_MAX] = "";
    truce_note n;
    truce_buf b;
    truce_buf_init(&b, 1u << 20);
    if (jstr(v, "msg_construction")) {
      /* text + "\n" + 101 * peter_sig_line: over our limit of 32 */
      CHECK_OK(truce_buf_appendf(&b, "%s\n", peter_text));
      for (int k = 0; k < 101; k++)
        CHECK_OK(truce_buf_append(&b, peter_sig_line, strlen(peter_sig_line)));
      CHECK_RC(truce_note_parse(b.data, b.len, &n, err), TRUCE_ETOOBIG);
      CHECK_CONTAINS(err, "more than 32 signature lines");
      n_big++;
    } else if (jstr(v, "vkey")) {
      /* well-formed, but a known key's signature is corrupt */
      const char *msg = jstr(v, "msg");
      truce_vkey k = vkey(jstr(v, "vkey"));
      CHECK_OK(truce_note_parse(msg, strlen(msg), &n, err));
      uint8_t ver = 7;
      CHECK_RC(truce_note_verify(&n, &k, 1, &ver, NULL, err), TRUCE_EBADSIG);
      CHECK(ver == 0);
      /* (the corruption inserts 3 bytes: the signature is 67 bytes) */
      CHECK_CONTAINS(err,
                     "signature line 1: signature by PeterNeumann+c74f20a3");
      n_sig++;
    } else {
      if (jstr(v, "msg_hex")) {
        const char *h = jstr(v, "msg_hex");
        uint8_t raw[1024];
        size_t got = 0;
        CHECK_OK(truce_hex_decode(h, strlen(h), raw, sizeof raw, &got));
        CHECK_OK(truce_buf_append(&b, raw, got));
      } else {
        CHECK_OK(truce_buf_append(&b, jstr(v, "msg"), strlen(jstr(v, "msg"))));
      }
      truce_err rc = truce_note_parse(b.data, b.len, &n, err);
      CHECK_MSG(rc == TRUCE_EPARSE, "%s: got %d", desc, rc);
      CHECK_MSG(err[0] != '\0', "%s: no message", desc);
      CHECK(n.nsig == 0 && n.text == NULL); /* zeroed on failure */
      n_parse++;
    }
    truce_buf_release(&b);
  }
  CHECK_EQ_U64(n_parse, 7);
  CHECK_EQ_U64(n_sig, 1);
  CHECK_EQ_U64(n_big, 1);
  json_decref(j);
}

/* The messages name what is wrong and where. */
TEST(parse_messages) {
  struct {
    const char *msg, *want;
  } cases[] = {
      {"text\n", "no blank line"},
      {"text\n\n", "no signature lines"},
      {"", "empty"},
      {"text\n\n\xe2\x80\x94 a AAAAAAAA", "does not end in a newline"},
      {"a\nb\x01\n\n\xe2\x80\x94 a AAAAAAAA\n", "line 2: not valid UTF-8"},
      {"a\n\n\xe2\x80\x94 a AAAAAAAA\n\xe2\x80\x94 Bad Name AAAAAAAA\n",
       "signature line 2: key name contains a space"},
      {"a\n\n\xe2\x80\x94 a+b AAAAAAAA\n",
       "signature line 1: key name contains a '+'"},
      {"a\n\n\xe2\x80\x94 a\xc2\xa0"
       "b AAAAAAAA\n",
       "signature line 1: key name contains a space"},
      {"a\n\n\xe2\x80\x94  AAAAAAAA\n", "signature line 1: key name is empty"},
      {"a\n\n\xe2\x80\x94 AAAAAAAA\n", "signature line 1: no space"},
      {"a\n\n\xe2\x80\x94 a \n", "signature line 1: empty signature"},
      {"a\n\n\xe2\x80\x94 a AAAA\n",
       "signature line 1: signature is 3 bytes, want at least 5"},
      {"a\n\n\xe2\x80\x94 a AAAA!AAA\n",
       "signature line 1: signature is not valid base64"},
      {"a\n\n\xe2\x80\x94 a AAAAAA=\n",
       "signature line 1: signature is not valid base64"},
      {"a\n\n\xe2\x80\x94 a AA==AAAA\n", "not valid base64"},
      /* non-ASCII is not base64 (libsodium 1.0.18 alone reads it as '/') */
      {"a\n\n\xe2\x80\x94 a AAAAAA\xc3\xa9"
       "AA\n",
       "not valid base64"},
      {"a\n\n- a AAAAAAAA\n",
       "signature line 1: does not start with an em dash"},
      {"a\n\n\xe2\x80\x94"
       "a AAAAAAAA\n",
       "does not start with an em dash"},
      {"a\n\n\xe2\x80\x94 a AAAAAAAA\nUnexpected line.\n",
       "signature line 2: does not start with an em dash"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    truce_note n;
    char err[TRUCE_ERR_MAX] = "";
    truce_err rc =
        truce_note_parse(cases[i].msg, strlen(cases[i].msg), &n, err);
    CHECK_MSG(rc == TRUCE_EPARSE, "case %zu: got %d", i, rc);
    CHECK_CONTAINS(err, cases[i].want);
  }
  /* err may be NULL */
  truce_note n;
  CHECK_RC(truce_note_parse("x", 1, &n, NULL), TRUCE_EPARSE);
  CHECK_RC(truce_note_parse(NULL, 0, &n, NULL), TRUCE_EINVAL);
}

TEST(parse_structure) {
  truce_note n;
  char err[TRUCE_ERR_MAX];
  /* the LAST blank line separates: the text keeps its own blank lines */
  static const char m1[] = "a\n\nb\n\n\xe2\x80\x94 k AAAAAAAA\n";
  CHECK_OK(truce_note_parse(m1, strlen(m1), &n, err));
  CHECK_EQ_U64(n.text_len, 5);
  CHECK(memcmp(n.text, "a\n\nb\n", 5) == 0);
  CHECK_EQ_U64(n.nsig, 1);
  CHECK_STR(n.sig[0].name, "k");
  CHECK_EQ_U64(n.sig[0].id, 0);
  CHECK_EQ_U64(n.sig[0].sig_len, 2);
  /* a text that is only a newline (as Go allows) */
  static const char m2[] = "\n\n\xe2\x80\x94 k AAAAAAAA\n";
  CHECK_OK(truce_note_parse(m2, strlen(m2), &n, err));
  CHECK_EQ_U64(n.text_len, 1);
  /* a blank line after the signatures leaves none */
  static const char m3[] = "a\n\n\xe2\x80\x94 k AAAAAAAA\n\n";
  CHECK_RC(truce_note_parse(m3, strlen(m3), &n, err), TRUCE_EPARSE);
  /* exactly 5 bytes: the smallest signature */
  static const char m4[] = "a\n\n\xe2\x80\x94 k AAAAAAA=\n";
  CHECK_OK(truce_note_parse(m4, strlen(m4), &n, err));
  CHECK_EQ_U64(n.sig[0].sig_len, 1);
  /* names: 128 bytes fit, 129 do not; non-ASCII is fine */
  truce_buf b;
  truce_buf_init(&b, TRUCE_NOTE_MAX);
  char name[130];
  memset(name, 'n', 129);
  name[128] = '\0';
  CHECK_OK(truce_buf_appendf(&b, "a\n\n\xe2\x80\x94 %s AAAAAAAA\n", name));
  CHECK_OK(truce_note_parse(b.data, b.len, &n, err));
  CHECK_STR(n.sig[0].name, name);
  name[128] = 'n';
  name[129] = '\0';
  b.len = 0;
  CHECK_OK(truce_buf_appendf(&b, "a\n\n\xe2\x80\x94 %s AAAAAAAA\n", name));
  CHECK_RC(truce_note_parse(b.data, b.len, &n, err), TRUCE_ETOOBIG);
  CHECK_CONTAINS(err, "longer than 128");
  static const char m5[] = "a\n\n\xe2\x80\x94 caf\xc3\xa9 AAAAAAAA\n";
  CHECK_OK(truce_note_parse(m5, strlen(m5), &n, err));
  CHECK_STR(n.sig[0].name, "caf\xc3\xa9");
  truce_buf_release(&b);
}

/* At least 16 signatures must be accepted (spec); we take 32. */
TEST(signature_count_limit) {
  truce_buf b;
  truce_buf_init(&b, TRUCE_NOTE_MAX);
  truce_note n;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_buf_appendf(&b, "%s\n", peter_text));
  for (int i = 0; i < TRUCE_NOTE_SIGS_MAX; i++)
    CHECK_OK(truce_buf_appendf(&b, "\xe2\x80\x94 w%d AAAAAAAA\n", i));
  CHECK_OK(truce_note_parse(b.data, b.len, &n, err));
  CHECK_EQ_U64(n.nsig, TRUCE_NOTE_SIGS_MAX);
  CHECK_STR(n.sig[31].name, "w31");
  CHECK_OK(truce_buf_appendf(&b, "\xe2\x80\x94 w32 AAAAAAAA\n"));
  CHECK_RC(truce_note_parse(b.data, b.len, &n, err), TRUCE_ETOOBIG);
  CHECK(n.nsig == 0);
  truce_buf_release(&b);

  /* and the note's size */
  truce_buf_init(&b, 2 * TRUCE_NOTE_MAX);
  while (b.len < TRUCE_NOTE_MAX)
    CHECK_OK(truce_buf_append(&b, "xxxxxxx\n", 8));
  CHECK_OK(truce_buf_appendf(&b, "\n%s", peter_sig_line));
  CHECK_RC(truce_note_parse(b.data, b.len, &n, err), TRUCE_ETOOBIG);
  truce_buf_release(&b);
}

/* A post-quantum sized signature (ML-DSA-44 cosignature: 8 + 2420 bytes)
 * from a key we do not hold must be skipped, not refused. */
TEST(long_unknown_signature) {
  uint8_t raw[4 + 2428];
  memset(raw, 0xab, sizeof raw);
  char b64[4000];
  truce_base64_encode(raw, sizeof raw, b64);
  truce_buf b;
  truce_buf_init(&b, TRUCE_NOTE_MAX);
  CHECK_OK(truce_buf_appendf(&b, "%s\n%s\xe2\x80\x94 pq.example %s\n",
                             peter_text, peter_sig_line, b64));
  truce_note n;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_note_parse(b.data, b.len, &n, err));
  CHECK_EQ_U64(n.nsig, 2);
  CHECK_EQ_U64(n.sig[1].id, 0xabababab);
  CHECK_EQ_U64(n.sig[1].sig_len, 0); /* too long to keep */
  truce_vkey peter = vkey(peter_vkey);
  CHECK_OK(truce_note_verify(&n, &peter, 1, NULL, NULL, err));
  /* a trusted key with that name and ID: the signature cannot be its */
  truce_vkey fake = peter;
  snprintf(fake.name, sizeof fake.name, "pq.example");
  fake.id = 0xabababab;
  CHECK_RC(truce_note_verify(&n, &fake, 1, NULL, NULL, err), TRUCE_EBADSIG);
  CHECK_CONTAINS(err, "signature line 2");
  truce_buf_release(&b);
}

/* ---- notes signed with other algorithms ---- */

TEST(non_ed25519_notes_skipped) {
  json_t *j = load(VEC_NOTE);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_NOTE);
  json_t *arr = json_object_get(j, "non_ed25519_real_notes");
  CHECK_EQ_U64(json_array_size(arr), 2);
  truce_vkey peter = vkey(peter_vkey);
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    const char *msg = jstr(v, "note"), *vk = jstr(v, "vkey");
    truce_note n;
    char err[TRUCE_ERR_MAX] = "";
    CHECK_MSG(truce_note_parse(msg, strlen(msg), &n, err) == TRUCE_OK, "%s",
              err);
    CHECK_EQ_U64(n.nsig, 1);
    /* the vkey's name and ID are the signature line's */
    const char *plus = strchr(vk, '+');
    CHECK(plus && strncmp(n.sig[0].name, vk, (size_t)(plus - vk)) == 0);
    CHECK_EQ_U64(n.sig[0].id, strtoul(plus + 1, NULL, 16));
    /* an Ed25519-only verifier: no trusted key signed, nothing failed */
    CHECK_RC(truce_note_verify(&n, &peter, 1, NULL, NULL, err), TRUCE_ENOKEY);
    /* a key that shares the name but not the ID is not the signer */
    truce_vkey same_name = peter;
    snprintf(same_name.name, sizeof same_name.name, "%s", n.sig[0].name);
    CHECK_RC(truce_note_verify(&n, &same_name, 1, NULL, NULL, err),
             TRUCE_ENOKEY);
    /* nor one that shares the ID but not the name */
    truce_vkey same_id = peter;
    same_id.id = n.sig[0].id;
    CHECK_RC(truce_note_verify(&n, &same_id, 1, NULL, NULL, err), TRUCE_ENOKEY);
    /* their vkeys are of types truce does not verify */
    truce_vkey k;
    CHECK_RC(truce_vkey_parse(vk, strlen(vk), &k, err), TRUCE_EPARSE);
    CHECK_CONTAINS(err, "unsupported key type");
  }
  json_decref(j);
}

/* ---- tampering ---- */

TEST(tampering) {
  truce_vkey peter = vkey(peter_vkey);
  char err[TRUCE_ERR_MAX];
  truce_buf b;
  truce_buf_init(&b, TRUCE_NOTE_MAX);
  note_of(&b, peter_text, peter_sig_line);
  CHECK_OK(open_note(b.data, b.len, &peter, 1, NULL, NULL, err));
  /* every byte of the text, changed, breaks the signature (or the form) */
  size_t tlen = strlen(peter_text), bad = 0;
  for (size_t i = 0; i + 1 < tlen; i++) {
    note_of(&b, peter_text, peter_sig_line);
    b.data[i] = b.data[i] == 'x' ? 'y' : 'x';
    truce_err rc = open_note(b.data, b.len, &peter, 1, NULL, NULL, err);
    CHECK_MSG(rc == TRUCE_EBADSIG, "byte %zu: %d", i, rc);
    bad += rc == TRUCE_EBADSIG;
  }
  CHECK_EQ_U64(bad, tlen - 1);
  /* a changed signature byte (the base64 starts after "— PeterNeumann ") */
  note_of(&b, peter_text, peter_sig_line);
  char *sig = b.data + tlen + 1 + strlen("\xe2\x80\x94 PeterNeumann ");
  sig[10] = sig[10] == 'A' ? 'B' : 'A';
  CHECK_RC(open_note(b.data, b.len, &peter, 1, NULL, NULL, err), TRUCE_EBADSIG);
  /* the signature under another name: an unknown key, ignored */
  b.len = 0;
  CHECK_OK(
      truce_buf_appendf(&b, "%s\n\xe2\x80\x94 PeterNeumanm %s", peter_text,
                        peter_sig_line + strlen("\xe2\x80\x94 PeterNeumann ")));
  CHECK_RC(open_note(b.data, b.len, &peter, 1, NULL, NULL, err), TRUCE_ENOKEY);
  /* a good signature does not excuse a bad one from the same key */
  b.len = 0;
  note_of(&b, peter_text, peter_sig_line);
  CHECK_OK(truce_buf_appendf(&b, "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/S"
                                 "ffcvIAQxVBtiFupLLr8pAcElZInNABCDIuGUgYN1FFYC"
                                 "2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"));
  uint8_t ver = 5;
  CHECK_RC(open_note(b.data, b.len, &peter, 1, &ver, NULL, err), TRUCE_EBADSIG);
  CHECK(ver == 0);
  CHECK_CONTAINS(err, "signature line 2");
  /* a signature of the wrong length from a known key */
  b.len = 0;
  CHECK_OK(truce_buf_appendf(&b,
                             "%s\n\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9U"
                             "G/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2"
                             "pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAMA\n",
                             peter_text));
  CHECK_RC(open_note(b.data, b.len, &peter, 1, NULL, NULL, err), TRUCE_EBADSIG);
  CHECK_CONTAINS(err, "not 64 bytes");
  truce_buf_release(&b);
}

TEST(verify_arguments) {
  truce_note n;
  char err[TRUCE_ERR_MAX];
  truce_buf b;
  truce_buf_init(&b, TRUCE_NOTE_MAX);
  note_of(&b, peter_text, peter_sig_line);
  CHECK_OK(truce_note_parse(b.data, b.len, &n, err));
  CHECK_RC(truce_note_verify(&n, NULL, 1, NULL, NULL, err), TRUCE_EINVAL);
  CHECK_RC(truce_note_verify(NULL, NULL, 0, NULL, NULL, err), TRUCE_EINVAL);
  truce_vkey k = vkey(peter_vkey);
  k.type = 0x02;
  CHECK_RC(truce_note_verify(&n, &k, 1, NULL, NULL, err), TRUCE_EINVAL);
  /* the same key twice: both entries verified */
  truce_vkey two[2] = {vkey(peter_vkey), vkey(peter_vkey)};
  uint8_t ver[2] = {0, 0};
  CHECK_OK(truce_note_verify(&n, two, 2, ver, NULL, err));
  CHECK(ver[0] == 1 && ver[1] == 1);
  truce_buf_release(&b);
}

/* ---- signing errors ---- */

TEST(sign_errors) {
  truce_skey k, c;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_skey_parse(peter_skey, strlen(peter_skey), &k, err));
  uint8_t seed[32] = {1};
  CHECK_OK(
      truce_skey_from_seed("w.example", TRUCE_KEY_COSIG_V1, seed, &c, err));
  truce_buf b;
  truce_buf_init(&b, TRUCE_NOTE_MAX);
  CHECK_RC(truce_note_sign("no newline", 10, &k, &b, err), TRUCE_EPARSE);
  CHECK_CONTAINS(err, "does not end in a newline");
  CHECK_RC(truce_note_sign("", 0, &k, &b, err), TRUCE_EPARSE);
  CHECK_RC(truce_note_sign("a\tb\n", 4, &k, &b, err), TRUCE_EPARSE);
  CHECK_RC(truce_note_sign("\xff\n", 2, &k, &b, err), TRUCE_EPARSE);
  CHECK_RC(truce_note_sign("x\n", 2, &c, &b, err), TRUCE_EINVAL);
  CHECK_CONTAINS(err, "0x04");
  CHECK_RC(truce_cosign(&k, "x\n", 2, 1, &b, err), TRUCE_EINVAL);
  CHECK_RC(truce_cosign(&c, "x\n", 2, (uint64_t)INT64_MAX + 1, &b, err),
           TRUCE_ERANGE);
  CHECK_RC(truce_cosign(&c, "x", 1, 1, &b, err), TRUCE_EPARSE);
  CHECK_EQ_U64(b.len, 0); /* nothing appended by any failure */
  /* too big once signed */
  truce_buf big;
  truce_buf_init(&big, TRUCE_NOTE_MAX);
  while (big.len < TRUCE_NOTE_MAX - 50)
    CHECK_OK(truce_buf_append(&big, "x\n", 2));
  CHECK_RC(truce_note_sign(big.data, big.len, &k, &b, err), TRUCE_ETOOBIG);
  /* a buffer too small keeps what it had */
  truce_buf tiny;
  truce_buf_init(&tiny, 40);
  CHECK_OK(truce_buf_append(&tiny, "keep", 4));
  CHECK_RC(truce_note_sign("x\n", 2, &k, &tiny, err), TRUCE_ETOOBIG);
  CHECK_STR(tiny.data, "keep");
  /* signature lines: the name must be valid */
  uint8_t sig[64] = {0};
  CHECK_RC(truce_note_sig_format("a b", 1, sig, 64, &b), TRUCE_EINVAL);
  CHECK_RC(truce_note_sig_format("", 1, sig, 64, &b), TRUCE_EINVAL);
  CHECK_RC(truce_note_sig_format("a", 1, sig, 0, &b), TRUCE_EINVAL);
  CHECK_OK(truce_note_sig_format("a", 0x01020304, sig, 2, &b));
  CHECK_STR(b.data, "\xe2\x80\x94 a AQIDBAAA\n");
  /* an allocation failure in cosigning is reported, and appends nothing */
  b.len = 0;
  b.data[0] = '\0';
  truce_test_fail_alloc(1);
  CHECK_RC(truce_cosign(&c, "x\n", 2, 1, &b, err), TRUCE_ENOMEM);
  truce_test_fail_alloc(0);
  CHECK_EQ_U64(b.len, 0);
  truce_buf_release(&b);
  truce_buf_release(&big);
  truce_buf_release(&tiny);
  truce_skey_wipe(&k);
  truce_skey_wipe(&c);
}

/* A signature line of any length is written in one piece. */
TEST(sig_format_long) {
  uint8_t sig[3000];
  for (size_t i = 0; i < sizeof sig; i++)
    sig[i] = (uint8_t)(i * 7);
  truce_buf b;
  truce_buf_init(&b, TRUCE_NOTE_MAX);
  CHECK_OK(
      truce_note_sig_format("long.example", 0xdeadbeef, sig, sizeof sig, &b));
  /* compare with a one-shot encoding of the same bytes */
  uint8_t all[4 + sizeof sig];
  put_be32(all, 0xdeadbeef);
  memcpy(all + 4, sig, sizeof sig);
  char want[4200];
  truce_base64_encode(all, sizeof all, want);
  char line[4300];
  snprintf(line, sizeof line, "\xe2\x80\x94 long.example %s\n", want);
  CHECK_STR(b.data, line);
  truce_buf_release(&b);
}

/* ---- cosignatures ---- */

TEST(cosigned_rekor_checkpoint) {
  json_t *j = load(VEC_COSIG);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_COSIG);
  json_t *rv = json_object_get(j, "real_verified");
  const char *msg = jstr(rv, "checkpoint_note");
  const char *text = jstr(rv, "checkpoint_text");
  json_t *cos = json_object_get(rv, "cosignatures");
  truce_vkey keys[4];
  keys[0] = vkey(jstr(rv, "log_vkey"));
  CHECK_EQ_U64(json_array_size(cos), 3);
  for (size_t i = 0; i < 3; i++)
    keys[1 + i] = vkey(jstr(json_array_get(cos, i), "vkey"));
  truce_note n;
  char err[TRUCE_ERR_MAX] = "";
  CHECK_OK(truce_note_parse(msg, strlen(msg), &n, err));
  CHECK_EQ_U64(n.nsig, 4);
  CHECK(n.text_len == strlen(text) && memcmp(n.text, text, n.text_len) == 0);
  uint8_t ver[4];
  uint64_t ts[4];
  CHECK_MSG(truce_note_verify(&n, keys, 4, ver, ts, err) == TRUCE_OK, "%s",
            err);
  CHECK(ver[0] && ver[1] && ver[2] && ver[3]);
  CHECK_EQ_U64(ts[0], 0); /* the log's signature has no timestamp */
  for (size_t i = 0; i < 3; i++) {
    json_t *c = json_array_get(cos, i);
    CHECK_EQ_U64(ts[1 + i],
                 json_integer_value(json_object_get(c, "timestamp")));
    /* the line is in the note, and its signed message is as the spec says */
    CHECK(strstr(msg, jstr(c, "signature_line")) != NULL);
    char m[512];
    snprintf(m, sizeof m, "cosignature/v1\ntime %" PRIu64 "\n%s",
             (uint64_t)json_integer_value(json_object_get(c, "timestamp")),
             text);
    CHECK_STR(m, jstr(c, "signed_message"));
    for (size_t s = 0; s < n.nsig; s++)
      if (n.sig[s].id == keys[1 + i].id)
        CHECK_OK(truce_ed25519_verify(keys[1 + i].pub, m, strlen(m),
                                      n.sig[s].sig + 8));
  }
  /* witnesses alone verify too (the log key is checkpoint_open's rule) */
  CHECK_OK(truce_note_verify(&n, keys + 1, 3, ver, ts, err));
  /* the witness keys as plain Ed25519 keys have other IDs: ignored */
  truce_vkey as_ed[3];
  for (size_t i = 0; i < 3; i++) {
    as_ed[i] = keys[1 + i];
    as_ed[i].type = TRUCE_KEY_ED25519;
    as_ed[i].id = truce_key_id(as_ed[i].name, TRUCE_KEY_ED25519, as_ed[i].pub);
  }
  CHECK_RC(truce_note_verify(&n, as_ed, 3, ver, ts, err), TRUCE_ENOKEY);
  /* a changed text: each trusted key's signature now fails */
  truce_buf b;
  truce_buf_init(&b, TRUCE_NOTE_MAX);
  CHECK_OK(truce_buf_append(&b, msg, strlen(msg)));
  b.data[strlen(jstr(rv, "checkpoint_text")) - 3] ^= 1;
  CHECK_OK(truce_note_parse(b.data, b.len, &n, err));
  for (size_t i = 0; i < 4; i++)
    CHECK_RC(truce_note_verify(&n, &keys[i], 1, ver, ts, err), TRUCE_EBADSIG);
  truce_buf_release(&b);
  json_decref(j);
}

/* Timestamps from cosignature/v1 signatures: keyID || u64 || sig. */
TEST(cosig_timestamp_parsing) {
  json_t *j = load(VEC_COSIG);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_COSIG);
  json_t *tp = json_object_get(j, "timestamp_parsing");
  json_t *good = json_object_get(tp, "good");
  truce_buf b;
  truce_buf_init(&b, TRUCE_NOTE_MAX);
  truce_note n;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(
      truce_buf_appendf(&b, "x\n\n\xe2\x80\x94 w %s\n", jstr(good, "sig_b64")));
  CHECK_OK(truce_note_parse(b.data, b.len, &n, err));
  CHECK_EQ_U64(n.sig[0].sig_len, 72);
  CHECK_EQ_U64(get_be64(n.sig[0].sig),
               json_integer_value(json_object_get(good, "want_unix")));
  /* a 68-byte (plain Ed25519) signature under a cosigner's name and ID is
   * of the wrong type: refused */
  b.len = 0;
  CHECK_OK(truce_buf_appendf(&b, "x\n\n\xe2\x80\x94 w %s\n",
                             jstr(tp, "wrong_type_b64")));
  CHECK_OK(truce_note_parse(b.data, b.len, &n, err));
  CHECK_EQ_U64(n.sig[0].sig_len, 64);
  truce_vkey w;
  memset(&w, 0, sizeof w);
  snprintf(w.name, sizeof w.name, "w");
  w.type = TRUCE_KEY_COSIG_V1;
  w.id = n.sig[0].id;
  CHECK_RC(truce_note_verify(&n, &w, 1, NULL, NULL, err), TRUCE_EBADSIG);
  CHECK_CONTAINS(err, "not 72 bytes");
  /* gibberish is not a signature */
  b.len = 0;
  CHECK_OK(
      truce_buf_appendf(&b, "x\n\n\xe2\x80\x94 w %s\n", jstr(tp, "gibberish")));
  CHECK_RC(truce_note_parse(b.data, b.len, &n, err), TRUCE_EPARSE);
  truce_buf_release(&b);
  json_decref(j);
}

/* The spec's examples: not verifiable, but their layout is checked. */
TEST(cosig_spec_example_layout) {
  json_t *j = load(VEC_COSIG);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_COSIG);
  json_t *ex = json_object_get(j, "c2sp_spec_examples_unverifiable");
  json_t *lay =
      json_object_get(ex, "cosigned_checkpoint_example_witness_line_layout");
  const char *msg = jstr(ex, "cosigned_checkpoint_example");
  truce_note n;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_note_parse(msg, strlen(msg), &n, err));
  CHECK_EQ_U64(n.nsig, 2);
  CHECK_STR(n.sig[1].name, "witness.example.com/w1");
  CHECK_EQ_U64(n.sig[1].id, strtoul(jstr(lay, "key_id_hex"), NULL, 16));
  CHECK_EQ_U64(n.sig[1].sig_len,
               8 + json_integer_value(json_object_get(lay, "sig_len")));
  CHECK_EQ_U64(get_be64(n.sig[1].sig),
               json_integer_value(json_object_get(lay, "timestamp")));
  const char *resp = jstr(ex, "add_checkpoint_response_body");
  /* a response body is signature lines only: as a note with a text */
  truce_buf b;
  truce_buf_init(&b, TRUCE_NOTE_MAX);
  CHECK_OK(truce_buf_appendf(&b, "x\n\n%s", resp));
  CHECK_OK(truce_note_parse(b.data, b.len, &n, err));
  CHECK_EQ_U64(n.nsig, 3);
  truce_buf_release(&b);
  json_decref(j);
}

/* Signing side: the derived vectors, byte for byte. */
TEST(cosign_derived_vectors) {
  json_t *j = load(VEC_COSIG);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_COSIG);
  json_t *vs = json_object_get(json_object_get(j, "derived"), "vectors");
  CHECK_EQ_U64(json_array_size(vs), 2);
  size_t i;
  json_t *v;
  json_array_foreach(vs, i, v) {
    uint8_t seed[32], pub[32];
    CHECK(unhex(jstr(v, "ed25519_seed_hex"), seed, 32) == 0);
    CHECK(unhex(jstr(v, "ed25519_pub_hex"), pub, 32) == 0);
    truce_skey k;
    char err[TRUCE_ERR_MAX], vk[TRUCE_VKEY_MAX];
    CHECK_OK(truce_skey_from_seed(jstr(v, "witness_name"), TRUCE_KEY_COSIG_V1,
                                  seed, &k, err));
    CHECK(memcmp(k.vkey.pub, pub, 32) == 0);
    truce_vkey_format(&k.vkey, vk);
    CHECK_STR(vk, jstr(v, "cosig_vkey"));
    const char *text = jstr(v, "checkpoint_text");
    uint64_t ts = (uint64_t)json_integer_value(json_object_get(v, "timestamp"));
    truce_buf b;
    truce_buf_init(&b, TRUCE_NOTE_MAX);
    CHECK_OK(truce_cosign(&k, text, strlen(text), ts, &b, err));
    CHECK_STR(b.data, jstr(v, "signature_line"));
    /* and the cosigned note opens with the cosigner's vkey */
    truce_buf note;
    truce_buf_init(&note, TRUCE_NOTE_MAX);
    note_of(&note, text, b.data);
    truce_vkey pubk = vkey(jstr(v, "cosig_vkey"));
    uint8_t ver = 0;
    uint64_t got_ts = 0;
    CHECK_OK(open_note(note.data, note.len, &pubk, 1, &ver, &got_ts, err));
    CHECK(ver == 1);
    CHECK_EQ_U64(got_ts, ts);
    /* the timestamp is signed: another one in the same line fails */
    truce_note n;
    CHECK_OK(truce_note_parse(note.data, note.len, &n, err));
    put_be64(n.sig[0].sig, ts + 1);
    CHECK_RC(truce_note_verify(&n, &pubk, 1, &ver, &got_ts, err),
             TRUCE_EBADSIG);
    CHECK(ver == 0 && got_ts == 0);
    truce_buf_release(&b);
    truce_buf_release(&note);
    truce_skey_wipe(&k);
  }
  json_decref(j);
}

/* Cosigning round trip without the vectors, and the latest of several
 * cosignatures by the same witness is the one reported. */
TEST(cosign_round_trip) {
  uint8_t seed[32];
  memset(seed, 0x42, sizeof seed);
  truce_skey w;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(
      truce_skey_from_seed("w.example", TRUCE_KEY_COSIG_V1, seed, &w, err));
  static const char text[] =
      "log.example\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
  truce_buf sigs, note;
  truce_buf_init(&sigs, TRUCE_NOTE_MAX);
  truce_buf_init(&note, TRUCE_NOTE_MAX);
  CHECK_OK(truce_cosign(&w, text, strlen(text), 1700000000, &sigs, err));
  CHECK_OK(truce_cosign(&w, text, strlen(text), 1700000500, &sigs, err));
  CHECK_OK(truce_cosign(&w, text, strlen(text), 1700000100, &sigs, err));
  note_of(&note, text, sigs.data);
  uint8_t ver = 0;
  uint64_t ts = 0;
  CHECK_OK(open_note(note.data, note.len, &w.vkey, 1, &ver, &ts, err));
  CHECK_EQ_U64(ts, 1700000500);
  /* the largest allowed timestamp */
  sigs.len = 0;
  CHECK_OK(
      truce_cosign(&w, text, strlen(text), (uint64_t)INT64_MAX, &sigs, err));
  note_of(&note, text, sigs.data);
  CHECK_OK(open_note(note.data, note.len, &w.vkey, 1, &ver, &ts, err));
  CHECK_EQ_U64(ts, (uint64_t)INT64_MAX);
  /* verifying a cosignature needs memory: failure is reported */
  truce_note n;
  CHECK_OK(truce_note_parse(note.data, note.len, &n, err));
  truce_test_fail_alloc(1);
  CHECK_RC(truce_note_verify(&n, &w.vkey, 1, &ver, &ts, err), TRUCE_ENOMEM);
  truce_test_fail_alloc(0);
  truce_buf_release(&sigs);
  truce_buf_release(&note);
  truce_skey_wipe(&w);
}

int main(void) {
  RUN(sign_peter_byte_for_byte);
  RUN(good_notes_vectors);
  RUN(bad_notes_vectors);
  RUN(parse_messages);
  RUN(parse_structure);
  RUN(signature_count_limit);
  RUN(long_unknown_signature);
  RUN(non_ed25519_notes_skipped);
  RUN(tampering);
  RUN(verify_arguments);
  RUN(sign_errors);
  RUN(sig_format_long);
  RUN(cosigned_rekor_checkpoint);
  RUN(cosig_timestamp_parsing);
  RUN(cosig_spec_example_layout);
  RUN(cosign_derived_vectors);
  RUN(cosign_round_trip);
  return test_done(__FILE__);
}
