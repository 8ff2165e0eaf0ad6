/*
 * fuzz_checkpoint.c: libFuzzer target for the text parsers of
 * lib/checkpoint.c and lib/keys.c: checkpoint bodies, tlog-proofs, vkeys
 * and skeys, all run on every input. Must never crash or read out of
 * bounds; whatever parses must format back to the same bytes (each form
 * has one canonical text), or the target aborts. Replayed by
 * fuzz/replay.c.
 */
#include "truce.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const char *err) {
  if (memchr(err, '\0', TRUCE_ERR_MAX) == NULL)
    abort();
}

static void checkpoint(const char *s, size_t size) {
  truce_checkpoint c;
  char err[TRUCE_ERR_MAX];
  truce_err rc = truce_checkpoint_parse(s, size, &c, err);
  check_err(err);
  if (rc)
    return;
  if (c.ext_off > size || c.root_len == 0 || c.root_len > sizeof c.root)
    abort();
  truce_buf b;
  truce_buf_init(&b, 4096);
  if (truce_checkpoint_format(&c, &b) != TRUCE_OK || b.len != c.ext_off ||
      memcmp(b.data, s, b.len) != 0)
    abort();
  truce_buf_release(&b);
}

static void tlog_proof(const char *s, size_t size) {
  uint64_t index;
  truce_proof p;
  const char *note;
  size_t note_len;
  char err[TRUCE_ERR_MAX];
  truce_err rc =
      truce_tlog_proof_parse(s, size, &index, &p, &note, &note_len, err);
  check_err(err);
  if (rc)
    return;
  if (p.n > TRUCE_PROOF_MAX || note < s || note_len == 0 ||
      note + note_len != s + size)
    abort();
  static const char extra[] = "c2sp.org/tlog-proof@v1\nextra ";
  if (size >= sizeof extra - 1 && memcmp(s, extra, sizeof extra - 1) == 0)
    return; /* the extra data is dropped: no round trip */
  truce_buf b;
  truce_buf_init(&b, 1 << 20);
  if (truce_tlog_proof_format(index, &p, note, note_len, &b) != TRUCE_OK ||
      b.len != size || memcmp(b.data, s, size) != 0)
    abort();
  truce_buf_release(&b);
}

static void keys(const char *s, size_t size) {
  char err[TRUCE_ERR_MAX];
  truce_vkey v;
  truce_err rc = truce_vkey_parse(s, size, &v, err);
  check_err(err);
  if (rc == TRUCE_OK) {
    char out[TRUCE_VKEY_MAX];
    truce_vkey_format(&v, out);
    if (strlen(out) != size || memcmp(out, s, size) != 0)
      abort();
  }
  truce_skey k;
  rc = truce_skey_parse(s, size, &k, err);
  check_err(err);
  if (rc == TRUCE_OK) {
    char out[TRUCE_SKEY_MAX];
    truce_skey_format(&k, out);
    if (strlen(out) != size || memcmp(out, s, size) != 0)
      abort();
    truce_skey_wipe(&k);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  checkpoint(s, size);
  tlog_proof(s, size);
  keys(s, size);
  return 0;
}
