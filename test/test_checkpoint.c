/*
 * test_checkpoint.c: checkpoints, opening signed checkpoints and the
 * tlog-proof format (lib/checkpoint.c), against transparency-dev/formats
 * and Go sumdb vectors, the Rekor v2 end-to-end cases and the derived
 * tiled log's signed, cosigned checkpoint.
 */
#include "internal.h"
#include "test.h"
#include "vectors.h"

#include <jansson.h>

#define VEC_CP "vectors/tlog/extracted/checkpoint_and_tlog_proof_vectors.json"
#define VEC_REKOR "vectors/tlog/extracted/rekor_v2_e2e_vectors.json"
#define VEC_TILES "vectors/tlog/extracted/tiles_vectors.json"

/* The text of a note: up to its last blank line. Done here by hand so
 * that a checkpoint's body can be looked at even when the note as a
 * whole does not parse (a Rekor case has no signature lines). */
static size_t text_len_of(const char *note) {
  size_t len = strlen(note), t = 0;
  for (size_t i = 1; i < len; i++)
    if (note[i - 1] == '\n' && note[i] == '\n')
      t = i;
  return t;
}

/* ---- checkpoint text ---- */

TEST(checkpoint_marshal_vectors) {
  json_t *j = load(VEC_CP);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_CP);
  json_t *arr = json_object_get(j, "checkpoint_marshal");
  CHECK_EQ_U64(json_array_size(arr), 2);
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    truce_checkpoint c;
    memset(&c, 0, sizeof c);
    snprintf(c.origin, sizeof c.origin, "%s", jstr(v, "origin"));
    c.size = jint(v, "size");
    const char *h = jstr(v, "hash_ascii");
    c.root_len = strlen(h);
    memcpy(c.root, h, c.root_len);
    truce_buf b;
    truce_buf_init(&b, 4096);
    CHECK_OK(truce_checkpoint_format(&c, &b));
    CHECK_STR(b.data, jstr(v, "body"));
    truce_checkpoint back;
    char err[TRUCE_ERR_MAX];
    CHECK_OK(truce_checkpoint_parse(b.data, b.len, &back, err));
    CHECK_STR(back.origin, c.origin);
    CHECK_EQ_U64(back.size, c.size);
    CHECK(back.root_len == c.root_len &&
          memcmp(back.root, c.root, c.root_len) == 0);
    CHECK_EQ_U64(back.ext_off, b.len);
    truce_buf_release(&b);
  }
  json_decref(j);
}

TEST(checkpoint_unmarshal_vectors) {
  json_t *j = load(VEC_CP);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_CP);
  json_t *arr = json_object_get(j, "checkpoint_unmarshal");
  CHECK_EQ_U64(json_array_size(arr), 10);
  size_t i, n_ok = 0, n_err = 0, n_strict = 0;
  json_t *v;
  json_array_foreach(arr, i, v) {
    const char *body = jstr(v, "body"), *desc = jstr(v, "desc");
    truce_checkpoint c;
    char err[TRUCE_ERR_MAX] = "";
    truce_err rc = truce_checkpoint_parse(body, strlen(body), &c, err);
    if (json_is_true(json_object_get(v, "want_err"))) {
      CHECK_MSG(rc == TRUCE_EPARSE, "%s: got %d", desc, rc);
      CHECK(err[0] != '\0');
      CHECK(c.origin[0] == '\0' && c.size == 0 && c.root_len == 0);
      n_err++;
      continue;
    }
    const char *rest = jstr(v, "want_rest");
    if (strstr(desc, "trailing newlines")) {
      /* Our stricter, spec-following choice: tlog-checkpoint says
       * extension lines MUST be non-empty. Go's formats package accepts
       * these empty lines as "rest"; we refuse the checkpoint. */
      CHECK_RC(rc, TRUCE_EPARSE);
      CHECK_CONTAINS(err, "extension line 4 is empty");
      n_strict++;
      continue;
    }
    CHECK_MSG(rc == TRUCE_OK, "%s: %s", desc, err);
    CHECK_STR(c.origin, "Log");
    CHECK_EQ_U64(c.size, 9944);
    CHECK(c.root_len == 37 &&
          memcmp(c.root, "the view from the tree tops is great!", 37) == 0);
    CHECK_STR(body + c.ext_off, rest);
    n_ok++;
  }
  CHECK_EQ_U64(n_ok, 2);
  CHECK_EQ_U64(n_strict, 1);
  CHECK_EQ_U64(n_err, 7);
  json_decref(j);
}

TEST(legacy_sumdb_tree_note) {
  json_t *j = load(VEC_CP);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_CP);
  json_t *v = json_object_get(j, "legacy_go_sumdb_tree_note");
  const char *body = jstr(v, "body");
  truce_checkpoint c;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_checkpoint_parse(body, strlen(body), &c, err));
  CHECK_STR(c.origin, "go.sum database tree");
  CHECK_EQ_U64(c.size, jint(v, "tree_size"));
  CHECK_EQ_U64(c.root_len, 32);
  truce_buf b;
  truce_buf_init(&b, 4096);
  CHECK_OK(truce_checkpoint_format(&c, &b));
  CHECK_STR(b.data, body);
  truce_buf_release(&b);
  json_decref(j);
}

TEST(checkpoint_rules) {
  struct {
    const char *text, *want;
    truce_err rc;
  } cases[] = {
      {"o\n0\nAA==\n", NULL, TRUCE_OK},
      {"o\n18446744073709551615\nAA==\n", NULL, TRUCE_OK},
      {"o\n18446744073709551616\nAA==\n", "tree size (line 2)", TRUCE_EPARSE},
      {"o\n01\nAA==\n", "leading zeros", TRUCE_EPARSE},
      {"o\n+1\nAA==\n", "tree size", TRUCE_EPARSE},
      {"o\n 1\nAA==\n", "tree size", TRUCE_EPARSE},
      {"o\n\nAA==\n", "tree size", TRUCE_EPARSE},
      {"o\n1\n\n", "root hash (line 3) is empty", TRUCE_EPARSE},
      {"o\n1\nAA\n", "not valid base64", TRUCE_EPARSE},
      {"o\n1\nAB==\n", "not valid base64", TRUCE_EPARSE}, /* trailing bits */
      /* one root, one spelling: libsodium 1.0.18 alone reads "\xc3\xa9"
       * like "//" */
      {"o\n1\nAA\xc3\xa9"
       "AAAA\n",
       "not valid base64", TRUCE_EPARSE},
      {"o\n1\nAA==\next\n\n", "extension line 5 is empty", TRUCE_EPARSE},
      {"o\n1\nAA==\next", "line 4 lacks its newline", TRUCE_EPARSE},
      {"o\n1\nAA==\nx\ty\n", "control", TRUCE_EPARSE},
      {"", "no origin line", TRUCE_EPARSE},
      {"o", "no origin line", TRUCE_EPARSE},
      {"\n1\nAA==\n", "origin (line 1) is empty", TRUCE_EPARSE},
      /* origins need not be URLs: spaces and '+' are allowed */
      {"my log + friends\n1\nAA==\n", NULL, TRUCE_OK},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    truce_checkpoint c;
    char err[TRUCE_ERR_MAX] = "";
    truce_err rc =
        truce_checkpoint_parse(cases[i].text, strlen(cases[i].text), &c, err);
    CHECK_MSG(rc == cases[i].rc, "case %zu: got %d (%s)", i, rc, err);
    if (cases[i].want)
      CHECK_CONTAINS(err, cases[i].want);
  }
  /* roots: up to 64 bytes */
  truce_checkpoint c;
  char err[TRUCE_ERR_MAX], text[256], b64[100];
  uint8_t root[65];
  memset(root, 7, sizeof root);
  truce_base64_encode(root, 64, b64);
  snprintf(text, sizeof text, "o\n1\n%s\n", b64);
  CHECK_OK(truce_checkpoint_parse(text, strlen(text), &c, err));
  CHECK_EQ_U64(c.root_len, 64);
  truce_base64_encode(root, 65, b64);
  snprintf(text, sizeof text, "o\n1\n%s\n", b64);
  CHECK_RC(truce_checkpoint_parse(text, strlen(text), &c, err), TRUCE_EPARSE);
  CHECK_CONTAINS(err, "longer than 64 bytes");
  /* origins: up to TRUCE_NAME_MAX bytes */
  char origin[TRUCE_NAME_MAX + 2];
  memset(origin, 'o', sizeof origin);
  origin[TRUCE_NAME_MAX] = '\0';
  snprintf(text, sizeof text, "%s\n1\nAA==\n", origin);
  CHECK_OK(truce_checkpoint_parse(text, strlen(text), &c, err));
  origin[TRUCE_NAME_MAX] = 'o';
  origin[TRUCE_NAME_MAX + 1] = '\0';
  snprintf(text, sizeof text, "%s\n1\nAA==\n", origin);
  CHECK_RC(truce_checkpoint_parse(text, strlen(text), &c, err), TRUCE_ETOOBIG);
  /* format refuses what parse would refuse */
  truce_buf b;
  truce_buf_init(&b, 4096);
  memset(&c, 0, sizeof c);
  c.root_len = 32;
  CHECK_RC(truce_checkpoint_format(&c, &b), TRUCE_EINVAL); /* no origin */
  snprintf(c.origin, sizeof c.origin, "a\nb");
  CHECK_RC(truce_checkpoint_format(&c, &b), TRUCE_EINVAL);
  snprintf(c.origin, sizeof c.origin, "o");
  c.root_len = 0;
  CHECK_RC(truce_checkpoint_format(&c, &b), TRUCE_EINVAL);
  c.root_len = 65;
  CHECK_RC(truce_checkpoint_format(&c, &b), TRUCE_EINVAL);
  CHECK_EQ_U64(b.len, 0);
  c.root_len = 32;
  c.size = UINT64_MAX;
  CHECK_OK(truce_checkpoint_format(&c, &b));
  CHECK_STR(b.data, "o\n18446744073709551615\n"
                    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
  truce_buf_release(&b);
}

/* ---- tlog-proof ---- */

TEST(tlog_proof_marshal_vectors) {
  json_t *j = load(VEC_CP);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_CP);
  json_t *arr = json_object_get(j, "tlog_proof_marshal");
  CHECK_EQ_U64(json_array_size(arr), 3);
  size_t i, formatted = 0;
  json_t *v;
  json_array_foreach(arr, i, v) {
    truce_proof p;
    memset(&p, 0, sizeof p);
    json_t *hs = json_object_get(v, "hashes_b64");
    for (size_t k = 0; k < json_array_size(hs); k++) {
      size_t n = 0;
      CHECK(unb64(json_string_value(json_array_get(hs, k)), p.hash[k], 32,
                  &n) == 0 &&
            n == 32);
      p.n++;
    }
    const char *cp = jstr(v, "checkpoint"), *want = jstr(v, "want");
    uint64_t index = jint(v, "index");
    if (!jstr(v, "extra_b64")) {
      /* (truce writes no extra data: only those cases format) */
      truce_buf b;
      truce_buf_init(&b, 4096);
      CHECK_OK(truce_tlog_proof_format(index, &p, cp, strlen(cp), &b));
      CHECK_STR(b.data, want);
      truce_buf_release(&b);
      formatted++;
    }
    uint64_t got_index = 99;
    truce_proof got;
    const char *note = NULL;
    size_t note_len = 0;
    char err[TRUCE_ERR_MAX] = "";
    CHECK_MSG(truce_tlog_proof_parse(want, strlen(want), &got_index, &got,
                                     &note, &note_len, err) == TRUCE_OK,
              "%s: %s", jstr(v, "desc"), err);
    CHECK_EQ_U64(got_index, index);
    CHECK_EQ_U64(got.n, p.n);
    CHECK(memcmp(got.hash, p.hash, p.n * 32) == 0);
    CHECK(note_len == strlen(cp) && memcmp(note, cp, note_len) == 0);
    CHECK(note >= want && note + note_len == want + strlen(want));
  }
  CHECK_EQ_U64(formatted, 2);
  json_decref(j);
}

TEST(tlog_proof_unmarshal_errors_vectors) {
  json_t *j = load(VEC_CP);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_CP);
  json_t *arr = json_object_get(j, "tlog_proof_unmarshal_errors");
  CHECK_EQ_U64(json_array_size(arr), 7);
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) {
    const char *text = jstr(v, "proof"), *desc = jstr(v, "desc");
    uint64_t index = 5;
    truce_proof p;
    const char *note = "x";
    size_t note_len = 1;
    char err[TRUCE_ERR_MAX] = "";
    truce_err rc = truce_tlog_proof_parse(text, strlen(text), &index, &p, &note,
                                          &note_len, err);
    /* a hash of the wrong length is a malformed proof; the rest do not
     * parse */
    truce_err want =
        strstr(desc, "wrong length") ? TRUCE_EBADPROOF : TRUCE_EPARSE;
    CHECK_MSG(rc == want, "%s: got %d, want %d (%s)", desc, rc, want, err);
    CHECK(index == 0 && p.n == 0 && note == NULL && note_len == 0);
    CHECK(err[0] != '\0');
  }
  json_decref(j);
}

TEST(tlog_proof_rules) {
  uint64_t index;
  truce_proof p;
  const char *note;
  size_t note_len;
  char err[TRUCE_ERR_MAX];
  static const char h[] = "rzFuy5Go7nrpkhBwKy1HWPMM3eO/YePY54fXRoH5Cm4=\n";
  truce_buf b;
  truce_buf_init(&b, 1 << 16);
  /* 64 hashes are fine, 65 are not */
  CHECK_OK(truce_buf_appendf(&b, "c2sp.org/tlog-proof@v1\nindex 3\n"));
  for (int i = 0; i < TRUCE_PROOF_MAX; i++)
    CHECK_OK(truce_buf_append(&b, h, strlen(h)));
  size_t mark = b.len;
  CHECK_OK(truce_buf_append(&b, "\nc\n", 3));
  CHECK_OK(
      truce_tlog_proof_parse(b.data, b.len, &index, &p, &note, &note_len, err));
  CHECK_EQ_U64(p.n, TRUCE_PROOF_MAX);
  b.len = mark;
  CHECK_OK(truce_buf_append(&b, h, strlen(h)));
  CHECK_OK(truce_buf_append(&b, "\nc\n", 3));
  CHECK_RC(
      truce_tlog_proof_parse(b.data, b.len, &index, &p, &note, &note_len, err),
      TRUCE_EBADPROOF);
  CHECK_CONTAINS(err, "more than 64");
  truce_buf_release(&b);
  /* formatting refuses an oversized proof */
  truce_buf_init(&b, 1 << 16);
  memset(&p, 0, sizeof p);
  p.n = TRUCE_PROOF_MAX + 1;
  CHECK_RC(truce_tlog_proof_format(0, &p, "c\n", 2, &b), TRUCE_EBADPROOF);
  truce_buf_release(&b);

  struct {
    const char *text, *want;
    truce_err rc;
  } cases[] = {
      {"c2sp.org/tlog-proof@v1\nindex 0\n\nc\n", NULL, TRUCE_OK},
      {"c2sp.org/tlog-proof@v1\nextra AA==\nindex 0\n\nc\n", NULL, TRUCE_OK},
      {"c2sp.org/tlog-proof@v1\nextra \nindex 0\n\nc\n", "extra", TRUCE_EPARSE},
      {"c2sp.org/tlog-proof@v1\nindex 01\n\nc\n", "leading zeros",
       TRUCE_EPARSE},
      {"c2sp.org/tlog-proof@v1\nindex 18446744073709551616\n\nc\n", "index",
       TRUCE_EPARSE},
      {"c2sp.org/tlog-proof@v1\nindex 0\n", "ends before the blank line",
       TRUCE_EPARSE},
      {"c2sp.org/tlog-proof@v1\nindex 0\n\n", "no checkpoint", TRUCE_EPARSE},
      {"c2sp.org/tlog-proof@v1\nindex 0", "line 2 lacks its newline",
       TRUCE_EPARSE},
      {"c2sp.org/tlog-proof@v1", "line 1 lacks its newline", TRUCE_EPARSE},
      {"c2sp.org/tlog-proof@v1\n", "ends before the index line", TRUCE_EPARSE},
      {"", "ends before the header", TRUCE_EPARSE},
      {"c2sp.org/tlog-proof@v1 \nindex 0\n\nc\n", "line 1", TRUCE_EPARSE},
      {"c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\nc\n", "not 32 bytes",
       TRUCE_EBADPROOF},
      {"c2sp.org/tlog-proof@v1\nindex 0\n"
       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n\nc\n",
       "line 3: proof hash is not 32 bytes", TRUCE_EBADPROOF}, /* 33 bytes */
      {"c2sp.org/tlog-proof@v1\nextra AA==\nindex 0\nAA\n\nc\n",
       "line 4: proof hash is not valid base64", TRUCE_EPARSE},
      {"c2sp.org/tlog-proof@v1\nindex 0\nextra AA==\n\nc\n", "base64",
       TRUCE_EPARSE},
      {"c2sp.org/tlog-proof@v1\nindex 0\n"
       "rzFuy5Go7nrpkhBwKy1HWPMM3eO\x80YePY54fXRoH5Cm4=\n\nc\n",
       "line 3: proof hash is not valid base64", TRUCE_EPARSE},
      {"c2sp.org/tlog-proof@v1\nextra \xc3\xa9"
       "AA\nindex 0\n\nc\n",
       "extra data is not valid base64", TRUCE_EPARSE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    err[0] = '\0';
    truce_err rc = truce_tlog_proof_parse(cases[i].text, strlen(cases[i].text),
                                          &index, &p, &note, &note_len, err);
    CHECK_MSG(rc == cases[i].rc, "case %zu: got %d (%s)", i, rc, err);
    if (cases[i].want)
      CHECK_CONTAINS(err, cases[i].want);
  }
  /* the round trip: parse(format(x)) == x */
  memset(&p, 0, sizeof p);
  for (size_t i = 0; i < 17; i++) {
    memset(p.hash[i], (int)i, 32);
    p.n++;
  }
  truce_buf_init(&b, 1 << 16);
  static const char cp[] = "o\n70000\nAAAA\n\n\xe2\x80\x94 o AAAAAAAA\n";
  CHECK_OK(truce_tlog_proof_format(65535, &p, cp, strlen(cp), &b));
  truce_proof back;
  CHECK_OK(truce_tlog_proof_parse(b.data, b.len, &index, &back, &note,
                                  &note_len, err));
  CHECK_EQ_U64(index, 65535);
  CHECK(back.n == 17 && memcmp(back.hash, p.hash, 17 * 32) == 0);
  CHECK(note_len == strlen(cp) && memcmp(note, cp, note_len) == 0);
  truce_buf_release(&b);
}

/* ---- signed checkpoints ---- */

/* Two keys from fixed seeds, a checkpoint signed by one and cosigned by
 * the other; the rules of truce_checkpoint_open. */
TEST(checkpoint_open_rules) {
  uint8_t s1[32], s2[32], s3[32];
  memset(s1, 1, 32);
  memset(s2, 2, 32);
  memset(s3, 3, 32);
  truce_skey log, wit, other;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(
      truce_skey_from_seed("log.example", TRUCE_KEY_ED25519, s1, &log, err));
  CHECK_OK(
      truce_skey_from_seed("wit.example", TRUCE_KEY_COSIG_V1, s2, &wit, err));
  CHECK_OK(truce_skey_from_seed("other.example", TRUCE_KEY_COSIG_V1, s3, &other,
                                err));
  static const char text[] =
      "log.example\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
      "\nextension\n";
  truce_buf note, cos;
  truce_buf_init(&note, TRUCE_NOTE_MAX);
  truce_buf_init(&cos, TRUCE_NOTE_MAX);
  CHECK_OK(truce_note_sign(text, strlen(text), &log, &note, err));
  CHECK_OK(truce_cosign(&wit, text, strlen(text), 1234, &note, err));
  CHECK_OK(truce_cosign(&other, text, strlen(text), 99, &note, err));

  truce_checkpoint c;
  uint8_t ver[3];
  uint64_t ts[3];
  truce_vkey wits[2] = {wit.vkey, other.vkey};
  CHECK_OK(truce_checkpoint_open(note.data, note.len, &log.vkey, wits, 2, &c,
                                 ver, ts, err));
  CHECK(ver[0] == 1 && ver[1] == 1 && ver[2] == 1);
  CHECK(ts[0] == 0 && ts[1] == 1234 && ts[2] == 99);
  CHECK_STR(c.origin, "log.example");
  CHECK_EQ_U64(c.size, 12);
  CHECK_STR(text + c.ext_off, "extension\n");
  /* witnesses that did not sign are not verified, and that is no error */
  truce_skey none;
  CHECK_OK(
      truce_skey_from_seed("none.example", TRUCE_KEY_COSIG_V1, s1, &none, err));
  CHECK_OK(truce_checkpoint_open(note.data, note.len, &log.vkey, &none.vkey, 1,
                                 &c, ver, ts, err));
  CHECK(ver[0] == 1 && ver[1] == 0 && ts[1] == 0);
  /* no witnesses at all; and NULL outputs */
  CHECK_OK(truce_checkpoint_open(note.data, note.len, &log.vkey, NULL, 0, &c,
                                 NULL, NULL, err));
  /* only a witness verifies: the log's signature is required */
  CHECK_RC(truce_checkpoint_open(note.data, note.len, &none.vkey, wits, 2, &c,
                                 ver, ts, err),
           TRUCE_ENOKEY);
  CHECK_CONTAINS(err, "no valid signature by the log key");
  CHECK(ver[0] == 0 && ver[1] == 0 && ver[2] == 0 && ts[1] == 0);
  CHECK(c.origin[0] == '\0');
  /* a bad cosignature rejects the checkpoint */
  truce_note n;
  CHECK_OK(truce_note_parse(note.data, note.len, &n, err));
  note.len = 0;
  CHECK_OK(truce_note_sign(text, strlen(text), &log, &note, err));
  uint8_t sig[72];
  memcpy(sig, n.sig[1].sig, 72);
  sig[20] ^= 1;
  CHECK_OK(truce_note_sig_format(wit.vkey.name, wit.vkey.id, sig, 72, &note));
  CHECK_RC(truce_checkpoint_open(note.data, note.len, &log.vkey, wits, 2, &c,
                                 ver, ts, err),
           TRUCE_EBADSIG);
  CHECK_CONTAINS(err, "wit.example");
  /* ... even when the log's own signature is missing */
  CHECK_RC(truce_checkpoint_open(note.data, note.len, &none.vkey, wits, 2, &c,
                                 ver, ts, err),
           TRUCE_EBADSIG);
  /* a bad log signature */
  note.len = 0;
  CHECK_OK(truce_buf_appendf(&note, "%s\n", text));
  memcpy(sig, n.sig[0].sig, 64);
  sig[0] ^= 1;
  CHECK_OK(truce_note_sig_format(log.vkey.name, log.vkey.id, sig, 64, &note));
  CHECK_RC(truce_checkpoint_open(note.data, note.len, &log.vkey, NULL, 0, &c,
                                 ver, ts, err),
           TRUCE_EBADSIG);
  /* a signed note that is not a checkpoint */
  note.len = 0;
  CHECK_OK(truce_note_sign("hello\n", 6, &log, &note, err));
  CHECK_RC(truce_checkpoint_open(note.data, note.len, &log.vkey, NULL, 0, &c,
                                 ver, ts, err),
           TRUCE_EPARSE);
  CHECK(ver[0] == 0);
  /* not a note */
  CHECK_RC(truce_checkpoint_open(text, strlen(text), &log.vkey, NULL, 0, &c,
                                 ver, ts, err),
           TRUCE_EPARSE);
  CHECK_RC(truce_checkpoint_open(text, strlen(text), NULL, NULL, 0, &c, ver, ts,
                                 err),
           TRUCE_EINVAL);
  truce_buf_release(&note);
  truce_buf_release(&cos);
  truce_skey_wipe(&log);
  truce_skey_wipe(&wit);
  truce_skey_wipe(&other);
  truce_skey_wipe(&none);
}

/* The 26 Rekor v2 cases: only what check_results says about the log's
 * signature and the checkpoint body (the inclusion proof belongs to the
 * Merkle tests, and the "_fail" reasons are above the log layer). */
TEST(rekor_v2_cases) {
  json_t *j = load(VEC_REKOR);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_REKOR);
  json_t *cases = json_object_get(j, "cases");
  CHECK_EQ_U64(json_array_size(cases), 26);
  size_t i, checked = 0, sig_ok = 0, body_ok = 0, no_checkpoint = 0;
  json_t *v;
  json_array_foreach(cases, i, v) {
    const char *name = jstr(v, "case");
    json_t *cr = json_object_get(v, "check_results");
    const char *cpn = jstr(v, "checkpoint_note");
    if (!json_is_object(cr)) {
      /* a bundle without an inclusion proof carries no checkpoint */
      CHECK_MSG(cpn == NULL, "%s: a checkpoint but no check_results", name);
      no_checkpoint++;
      continue;
    }
    CHECK(cpn != NULL);
    if (!cpn)
      continue;
    truce_vkey lk = vkey(jstr(v, "log_vkey_derived"));
    uint8_t pub[32];
    CHECK(unhex(jstr(v, "log_ed25519_pub_hex"), pub, 32) == 0);
    CHECK(memcmp(lk.pub, pub, 32) == 0);
    CHECK_STR(lk.name, jstr(v, "log_origin"));
    CHECK_EQ_U64(lk.id, truce_key_id(jstr(v, "log_origin"), 1, pub));

    bool want_sig = json_is_true(json_object_get(cr, "log_signature_verifies"));
    bool want_body =
        json_is_true(json_object_get(cr, "checkpoint_body_matches_proof"));
    truce_checkpoint c;
    uint8_t ver = 0;
    char err[TRUCE_ERR_MAX] = "";
    truce_err rc = truce_checkpoint_open(cpn, strlen(cpn), &lk, NULL, 0, &c,
                                         &ver, NULL, err);
    CHECK_MSG((rc == TRUCE_OK) == want_sig, "%s: open gave %d (%s)", name, rc,
              err);
    if (rc == TRUCE_OK)
      CHECK(ver == 1);
    sig_ok += want_sig;

    /* the body: origin, size and root as the proof expects */
    size_t tl = text_len_of(cpn);
    truce_checkpoint body;
    bool matches = false;
    if (tl && truce_checkpoint_parse(cpn, tl, &body, err) == TRUCE_OK) {
      uint8_t root[64];
      size_t root_len = 0;
      CHECK(unb64(jstr(v, "root_hash_b64"), root, sizeof root, &root_len) == 0);
      matches = strcmp(body.origin, jstr(v, "log_origin")) == 0 &&
                body.size == jint(v, "tree_size") &&
                body.root_len == root_len &&
                memcmp(body.root, root, root_len) == 0;
    }
    CHECK_MSG(matches == want_body, "%s: body matches: %d", name, matches);
    body_ok += want_body;

    /* the signature lines' layout, where the case lists them */
    json_t *lines = json_object_get(v, "signature_lines");
    truce_note n;
    if (json_array_size(lines) &&
        truce_note_parse(cpn, strlen(cpn), &n, err) == TRUCE_OK) {
      CHECK_EQ_U64(n.nsig, json_array_size(lines));
      for (size_t k = 0; k < n.nsig && k < json_array_size(lines); k++) {
        json_t *l = json_array_get(lines, k);
        CHECK_STR(n.sig[k].name, jstr(l, "name"));
        CHECK_EQ_U64(n.sig[k].id, strtoul(jstr(l, "key_id_hex"), NULL, 16));
        /* sig_len: the bytes after the key ID (with the timestamp) */
        CHECK_EQ_U64(n.sig[k].sig_len, jint(l, "sig_len"));
        json_t *cts = json_object_get(l, "cosignature_v1_timestamp");
        if (cts)
          CHECK_EQ_U64(get_be64(n.sig[k].sig), json_integer_value(cts));
      }
    }
    checked++;
  }
  CHECK_EQ_U64(checked, 25);
  CHECK_EQ_U64(no_checkpoint, 1);
  CHECK_EQ_U64(sig_ok, 20);
  CHECK_EQ_U64(body_ok, 21);
  json_decref(j);
}

/* The derived tiled log's checkpoint: log key = RFC 8032 test 1 seed,
 * witness = test 2 seed. Formatting the body, signing and cosigning it
 * reproduces the vector's note byte for byte. */
TEST(tiles_signed_checkpoint) {
  json_t *j = load(VEC_TILES);
  if (!j)
    SKIP("../shared vectors absent (%s)", VEC_TILES);
  json_t *dl = json_object_get(j, "derived_log");
  json_t *sc = json_object_get(dl, "signed_checkpoint");
  const char *want = jstr(sc, "note");
  uint8_t s1[32], s2[32];
  CHECK(unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f"
              "60",
              s1, 32) == 0);
  CHECK(unhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6"
              "fb",
              s2, 32) == 0);
  CHECK(strstr(jstr(sc, "log_key"), "9d61b19deffd5a60") != NULL);
  CHECK(strstr(jstr(sc, "witness_key"), "4ccd089b28ff96da") != NULL);
  truce_vkey lv = vkey(jstr(sc, "log_vkey"));
  truce_vkey wv = vkey(jstr(sc, "witness_cosig_vkey"));
  truce_skey log, wit;
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_skey_from_seed(lv.name, TRUCE_KEY_ED25519, s1, &log, err));
  CHECK_OK(truce_skey_from_seed(wv.name, TRUCE_KEY_COSIG_V1, s2, &wit, err));
  CHECK(memcmp(&log.vkey, &lv, sizeof lv) == 0);
  CHECK(memcmp(&wit.vkey, &wv, sizeof wv) == 0);

  truce_checkpoint c;
  memset(&c, 0, sizeof c);
  snprintf(c.origin, sizeof c.origin, "%s", lv.name);
  c.size = jint(dl, "size");
  const char *root_b64 =
      jstr(json_object_get(dl, "root_hashes_b64_by_size"), "70000");
  CHECK(unb64(root_b64, c.root, sizeof c.root, &c.root_len) == 0);
  truce_buf text, note;
  truce_buf_init(&text, 4096);
  truce_buf_init(&note, TRUCE_NOTE_MAX);
  CHECK_OK(truce_checkpoint_format(&c, &text));
  CHECK_OK(truce_note_sign(text.data, text.len, &log, &note, err));
  CHECK_OK(truce_cosign(&wit, text.data, text.len,
                        jint(sc, "witness_timestamp"), &note, err));
  CHECK_STR(note.data, want);

  /* and it opens, with the witness's timestamp */
  truce_checkpoint got;
  uint8_t ver[2];
  uint64_t ts[2];
  CHECK_OK(truce_checkpoint_open(want, strlen(want), &lv, &wv, 1, &got, ver, ts,
                                 err));
  CHECK(ver[0] == 1 && ver[1] == 1);
  CHECK_EQ_U64(ts[1], jint(sc, "witness_timestamp"));
  CHECK_EQ_U64(got.size, 70000);
  CHECK(got.root_len == 32 && memcmp(got.root, c.root, 32) == 0);
  truce_buf_release(&text);
  truce_buf_release(&note);
  truce_skey_wipe(&log);
  truce_skey_wipe(&wit);
  json_decref(j);
}

int main(void) {
  RUN(checkpoint_marshal_vectors);
  RUN(checkpoint_unmarshal_vectors);
  RUN(legacy_sumdb_tree_note);
  RUN(checkpoint_rules);
  RUN(tlog_proof_marshal_vectors);
  RUN(tlog_proof_unmarshal_errors_vectors);
  RUN(tlog_proof_rules);
  RUN(checkpoint_open_rules);
  RUN(rekor_v2_cases);
  RUN(tiles_signed_checkpoint);
  return test_done(__FILE__);
}
