/*
 * fuzz_note.c: libFuzzer target for signed notes (lib/note.c): parse any
 * bytes, verify them against fixed keys, open them as a checkpoint. Must
 * never crash, read out of bounds or break an invariant below (those
 * abort, so the fuzzer reports them). Replayed by fuzz/replay.c.
 *
 * The keys come from fixed seeds so that the corpus can hold notes that
 * really verify: "fuzz.example/log" (Ed25519, seed of 0x42 bytes) and
 * "fuzz.example/witness" (cosignature/v1, seed of 0x43 bytes).
 */
#include "truce.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static truce_skey logkey, witkey;
static int ready;

static void setup(void) {
  if (ready)
    return;
  uint8_t seed[32];
  memset(seed, 0x42, sizeof seed);
  if (truce_skey_from_seed("fuzz.example/log", TRUCE_KEY_ED25519, seed, &logkey,
                           NULL))
    abort();
  memset(seed, 0x43, sizeof seed);
  if (truce_skey_from_seed("fuzz.example/witness", TRUCE_KEY_COSIG_V1, seed,
                           &witkey, NULL))
    abort();
  ready = 1;
}

static void check_err(const char *err) {
  if (memchr(err, '\0', TRUCE_ERR_MAX) == NULL)
    abort();
}

/* Invariants of a parsed note, whatever the input. */
static void check_note(const truce_note *n, const char *msg, size_t size) {
  if (n->text != msg || n->text_len == 0 || n->text_len + 2 > size ||
      msg[n->text_len - 1] != '\n' || msg[n->text_len] != '\n')
    abort();
  if (n->nsig == 0 || n->nsig > TRUCE_NOTE_SIGS_MAX)
    abort();
  for (size_t i = 0; i < n->nsig; i++) {
    size_t len = strnlen(n->sig[i].name, sizeof n->sig[i].name);
    if (len == 0 || len > TRUCE_NAME_MAX ||
        n->sig[i].sig_len > sizeof n->sig[i].sig)
      abort();
    if (truce_key_name_check(n->sig[i].name, NULL) != TRUCE_OK)
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  const char *msg = (const char *)data;
  char err[TRUCE_ERR_MAX];
  truce_note n;
  truce_vkey keys[2] = {logkey.vkey, witkey.vkey};

  truce_err rc = truce_note_parse(msg, size, &n, err);
  check_err(err);
  if (rc == TRUCE_OK) {
    check_note(&n, msg, size);
    uint8_t ver[2];
    uint64_t ts[2];
    rc = truce_note_verify(&n, keys, 2, ver, ts, err);
    check_err(err);
    if (rc != TRUCE_OK && rc != TRUCE_ENOKEY && rc != TRUCE_EBADSIG)
      abort();
    if (rc == TRUCE_OK && !ver[0] && !ver[1])
      abort();
    if (rc != TRUCE_OK && (ver[0] || ver[1] || ts[0] || ts[1]))
      abort();

    /* Signing the text again gives a note that parses back to the same
     * text and verifies. */
    truce_buf b;
    truce_buf_init(&b, TRUCE_NOTE_MAX);
    rc = truce_note_sign(n.text, n.text_len, &logkey, &b, err);
    if (rc == TRUCE_OK) {
      truce_note m;
      if (truce_note_parse(b.data, b.len, &m, err) != TRUCE_OK ||
          m.text_len != n.text_len || memcmp(m.text, n.text, n.text_len) ||
          truce_note_verify(&m, keys, 1, NULL, NULL, err) != TRUCE_OK)
        abort();
    } else if (rc != TRUCE_ETOOBIG) {
      abort();
    }
    truce_buf_release(&b);
  }

  truce_checkpoint c;
  uint8_t ver[2];
  uint64_t ts[2];
  rc = truce_checkpoint_open(msg, size, &logkey.vkey, &witkey.vkey, 1, &c, ver,
                             ts, err);
  check_err(err);
  if (rc == TRUCE_OK && (!ver[0] || c.origin[0] == '\0'))
    abort();
  return 0;
}
