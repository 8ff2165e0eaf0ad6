/*
 * fuzz_sim_truth.c: libFuzzer target for the simulator's truth reader
 * (sim_truth_parse, lib/sim.c; truce_sim_truth_load reads a file into
 * it).
 *
 * Whatever the bytes, reading must not crash, leak or read outside them;
 * a refusal must come with a bounded one-line message and no truth.
 * What is read must keep the header's promises (any violation abort()s,
 * which libFuzzer reports as a crash): every observation's event is
 * -1 (a false report) or an event before it, event ids are non-empty
 * and unique, every event has a kind and a count, and
 * truce_sim_truth_find finds each observation by its source and line.
 *
 * Built with -fsanitize=fuzzer (make fuzz), or with fuzz/replay.c as a
 * plain program that replays fuzz/corpus/sim_truth (make test). Uses
 * lib/internal.h, which is private to the library: fuzz targets build
 * with -Ilib.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void need(bool ok) {
  if (!ok)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[TRUCE_ERR_MAX];
  err[0] = '\0';
  truce_sim_truth *t = (truce_sim_truth *)&err; /* must become NULL */
  truce_err rc =
      sim_truth_parse((const char *)data, size, "truth.jsonl", &t, err);
  if (rc != TRUCE_OK) {
    need(t == NULL);
    size_t n = strnlen(err, sizeof err);
    need(n > 0 && n < sizeof err && !memchr(err, '\n', n));
    return 0;
  }
  size_t nev = truce_sim_truth_nevents(t), nobs = truce_sim_truth_nobs(t);
  for (size_t i = 0; i < nev; i++) {
    const truce_sim_event *e = truce_sim_truth_event(t, i);
    need(e && e->id[0] && e->what != TRUCE_WHAT_NONE && e->count >= 1);
    for (size_t j = 0; j < i; j++)
      need(strcmp(truce_sim_truth_event(t, j)->id, e->id) != 0);
  }
  need(truce_sim_truth_event(t, nev) == NULL);
  for (size_t i = 0; i < nobs; i++) {
    const truce_sim_obsref *r = truce_sim_truth_obs(t, i);
    need(r && r->line >= 1 && r->source[0]);
    need(r->event >= -1 && r->event < (int64_t)nev);
    size_t at = SIZE_MAX;
    need(truce_sim_truth_find(t, r->source, r->line, &at) == TRUCE_OK);
    need(at <= i); /* the first with that source and line */
    const truce_sim_obsref *q = truce_sim_truth_obs(t, at);
    need(q->line == r->line && strcmp(q->source, r->source) == 0);
  }
  need(truce_sim_truth_obs(t, nobs) == NULL);
  truce_sim_truth_free(t);
  return 0;
}
