/*
 * fuzz_witness.c: the witness's add-checkpoint request parser (old size,
 * proof lines, blank line, signed checkpoint) and its checks, on arbitrary
 * bodies. The witness trusts one fixed log key; its state lives in a
 * temporary folder made once per process. Must never crash.
 */
#include "truce.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static truce_witness *w;
static char dir[] = "/tmp/truce-fuzz-witness-XXXXXX";

static void cleanup(void) {
  truce_witness_close(w);
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", dir);
}

static void setup(void) {
  if (!mkdtemp(dir))
    abort();
  atexit(cleanup);
  uint8_t seed[32];
  char err[TRUCE_ERR_MAX];
  truce_skey wk, lk;
  memset(seed, 5, 32);
  if (truce_skey_from_seed("fuzz.example/w", TRUCE_KEY_COSIG_V1, seed, &wk,
                           err))
    abort();
  memset(seed, 6, 32);
  if (truce_skey_from_seed("fuzz.example/log", TRUCE_KEY_ED25519, seed, &lk,
                           err))
    abort();
  if (truce_witness_open(dir, &wk, &w, err) ||
      truce_witness_add_log(w, &lk.vkey))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!w)
    setup();
  truce_buf out;
  truce_buf_init(&out, 4096);
  truce_witness_add_checkpoint(w, (const char *)data, size, 1700000000, &out);
  truce_buf_release(&out);
  return 0;
}
