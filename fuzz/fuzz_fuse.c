/*
 * fuzz_fuse.c: libFuzzer target for fusion (truce_fuse_*).
 *
 * The bytes become a scene (fuse_scene.h): observations of a few events,
 * close in space and time, of every kind, and the fusion's settings.
 * Then three fusions of it must
 * give the same incidents, byte for byte in their JSON lines:
 *   - the fast path, the observations added in the scene's order;
 *   - the fast path, added in the reverse order (the result depends only
 *     on the observations and their citations, never on the order they
 *     were added);
 *   - the reference path (truce_fuse_opts.reference: every incident tried
 *     for every observation, no grid, no time blocks, no early exits).
 * And every observation must be in exactly one incident, cited once.
 * Any violation abort()s, which libFuzzer reports as a crash.
 *
 * Built with -fsanitize=fuzzer (make fuzz), or with fuzz/replay.c as a
 * plain program that replays fuzz/corpus/fuse (make test). Depends only
 * on the public header.
 */
#include "fuse_scene.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The incidents of a fusion as JSON lines, into out; the observations
 * cited, counted in seen[] (by citation: entry - 100, position). */
static void dump_checked(truce_fusion *f, truce_buf *out, size_t n,
                         unsigned *seen) {
  memset(seen, 0, n * sizeof *seen);
  size_t total = 0;
  for (size_t i = 0; i < truce_fuse_count(f); i++) {
    truce_incident c;
    if (truce_fuse_incident(f, i, &c) != TRUCE_OK ||
        truce_incident_format(&c, TRUCE_FORMAT_JSONL, out) != TRUCE_OK)
      abort();
    if (c.nobs == 0 || c.nevidence != c.nobs)
      abort();
    for (size_t e = 0; e < c.nevidence; e++) {
      size_t k = (size_t)(c.evidence[e].index - 100) * 4 + c.evidence[e].pos;
      if (c.evidence[e].index < 100 || c.evidence[e].pos >= 4 || k >= n)
        abort();
      seen[k]++;
    }
    total += c.nobs;
  }
  if (total != n)
    abort();
  for (size_t k = 0; k < n; k++)
    if (seen[k] != 1)
      abort();
}

static void fuse(const scene *sc, bool reversed, bool reference,
                 truce_buf *out, unsigned *seen) {
  truce_fuse_opts op = sc->opt;
  op.reference = reference;
  truce_fusion *f = NULL;
  if (truce_fuse_new(&op, &f) != TRUCE_OK)
    abort();
  if (scene_feed(f, sc, reversed) != TRUCE_OK) {
    fprintf(stderr, "fuzz_fuse: %s\n", truce_fuse_errmsg(f));
    abort();
  }
  if (truce_fuse_run(f) != TRUCE_OK) {
    fprintf(stderr, "fuzz_fuse: %s\n", truce_fuse_errmsg(f));
    abort();
  }
  dump_checked(f, out, sc->n, seen);
  truce_fuse_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  scene sc;
  if (scene_make(data, size, &sc) != TRUCE_OK)
    return 0;
  unsigned *seen = malloc((sc.n ? sc.n : 1) * sizeof *seen);
  truce_buf a, b, r;
  truce_buf_init(&a, 1 << 24);
  truce_buf_init(&b, 1 << 24);
  truce_buf_init(&r, 1 << 24);
  if (!seen)
    abort();
  fuse(&sc, false, false, &a, seen);
  fuse(&sc, true, false, &b, seen);
  fuse(&sc, false, true, &r, seen);
  if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0)) {
    fprintf(stderr, "fuzz_fuse: the reverse order gives other incidents\n");
    abort();
  }
  if (a.len != r.len || (a.len && memcmp(a.data, r.data, a.len) != 0)) {
    fprintf(stderr, "fuzz_fuse: the reference path gives other incidents\n"
                    "fast:\n%.*s\nreference:\n%.*s\n",
            (int)a.len, a.data, (int)r.len, r.data);
    abort();
  }
  truce_buf_release(&a);
  truce_buf_release(&b);
  truce_buf_release(&r);
  free(seen);
  scene_free(&sc);
  return 0;
}
