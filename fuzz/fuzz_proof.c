/*
 * fuzz_proof.c: libFuzzer target for the Merkle proof code (lib/merkle.c).
 *
 * The first byte picks a mode; the rest is read as sizes, indices, lengths
 * and hashes. Hostile input must never crash the verifiers or the decoder
 * and must only ever get the documented codes. Generated proofs, over a
 * small tree built from the input or over a uniform tree of up to
 * 2^64 - 1 leaves, must verify, and must stop verifying (EPROOF) when one
 * byte is flipped; the generators must never ask for a subtree outside the
 * tree. abort() on any violation, so libFuzzer reports it.
 */
#include "truce.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct reader {
  const uint8_t *p;
  size_t n;
} reader;

static uint8_t rd8(reader *r) {
  if (r->n == 0)
    return 0;
  r->n--;
  return *r->p++;
}

static uint64_t rd64(reader *r) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | rd8(r);
  return v;
}

/* A size or index: often small (where the tree shapes vary most), now and
 * then any uint64. */
static uint64_t rdsize(reader *r) {
  uint8_t k = rd8(r);
  uint64_t v = rd64(r);
  switch (k % 4) {
  case 0:
    return v % 64;
  case 1:
    return v % 4096;
  case 2:
    return UINT64_MAX - v % 64;
  default:
    return v;
  }
}

static void rdhash(reader *r, uint8_t out[32]) {
  for (int i = 0; i < 32; i++)
    out[i] = rd8(r);
}

static int is_verdict(truce_err rc) {
  return rc == TRUCE_OK || rc == TRUCE_EPROOF || rc == TRUCE_EBADPROOF;
}

/* ---- node sources ---- */

/* Every leaf hash equal: a subtree's hash depends on its height only. */
static uint8_t uniform[64][32];
static int uniform_ready;

typedef struct source {
  uint64_t size;                 /* the tree the generator works on */
  const uint8_t (*leaf)[32];     /* NULL: the uniform tree */
  uint64_t nleaves;
} source;

static truce_err source_node(void *ctx, unsigned height, uint64_t index,
                             uint8_t out[32]) {
  const source *s = ctx;
  /* The contract: only complete subtrees inside the tree. */
  if (height > 63 || index > (UINT64_MAX >> height))
    abort();
  uint64_t first = index << height, count = (uint64_t)1 << height;
  if (first >= s->size || count > s->size - first)
    abort();
  if (!s->leaf) {
    memcpy(out, uniform[height], 32);
    return TRUCE_OK;
  }
  truce_leaves lv = {s->leaf, s->nleaves};
  return truce_leaves_node(&lv, height, index, out);
}

static void setup(void) {
  if (uniform_ready)
    return;
  truce_leaf_hash("fuzz", 4, uniform[0]);
  for (int h = 1; h < 64; h++)
    truce_node_hash(uniform[h - 1], uniform[h - 1], uniform[h]);
  uniform_ready = 1;
}

/* ---- modes ---- */

static void fuzz_verify_inclusion(reader *r) {
  uint64_t index = rdsize(r), size = rdsize(r);
  uint8_t leaf[32], root[40];
  rdhash(r, leaf);
  size_t root_len = rd8(r) % 41;
  for (size_t i = 0; i < root_len; i++)
    root[i] = rd8(r);
  truce_proof p;
  memset(&p, 0, sizeof p);
  p.n = rd8(r) % (TRUCE_PROOF_MAX + 3); /* past the limit, on purpose */
  for (size_t i = 0; i < p.n && i < TRUCE_PROOF_MAX; i++)
    rdhash(r, p.hash[i]);
  truce_err rc = truce_inclusion_verify(index, size, leaf, &p, root, root_len);
  if (!is_verdict(rc))
    abort();
  if (rc == TRUCE_OK && (index >= size || root_len != 32))
    abort();
}

static void fuzz_verify_consistency(reader *r) {
  uint64_t s1 = rdsize(r), s2 = rdsize(r);
  uint8_t r1[40], r2[40];
  size_t l1 = rd8(r) % 41, l2 = rd8(r) % 41;
  for (size_t i = 0; i < l1; i++)
    r1[i] = rd8(r);
  for (size_t i = 0; i < l2; i++)
    r2[i] = rd8(r);
  truce_proof p;
  memset(&p, 0, sizeof p);
  p.n = rd8(r) % (TRUCE_PROOF_MAX + 3);
  for (size_t i = 0; i < p.n && i < TRUCE_PROOF_MAX; i++)
    rdhash(r, p.hash[i]);
  truce_err rc = truce_consistency_verify(s1, s2, r1, l1, r2, l2, &p);
  if (!is_verdict(rc))
    abort();
  if (rc == TRUCE_OK && (s1 == 0 || s1 > s2))
    abort();
}

static void fuzz_decode(reader *r) {
  /* Newline-separated strings, as many as the input holds. */
  static char buf[8192];
  const char *s[TRUCE_PROOF_MAX + 8];
  size_t n = 0, len = r->n < sizeof buf - 1 ? r->n : sizeof buf - 1;
  memcpy(buf, r->p, len);
  buf[len] = '\0';
  char *p = buf;
  while (n < TRUCE_PROOF_MAX + 8) {
    s[n++] = p;
    char *nl = strchr(p, '\n');
    if (!nl)
      break;
    *nl = '\0';
    p = nl + 1;
  }
  truce_proof out;
  char err[TRUCE_ERR_MAX];
  err[0] = '\0';
  truce_err rc = truce_proof_from_base64(s, n, &out, err);
  if (rc == TRUCE_OK && out.n != n)
    abort();
  /* a refusal is EBADPROOF, leaves nothing behind, and says why */
  if (rc != TRUCE_OK &&
      (rc != TRUCE_EBADPROOF || out.n != 0 || err[0] == '\0' ||
       memchr(err, '\0', sizeof err) == NULL))
    abort();
}

/* Generate, verify, then forge by flipping one byte. */
static void check_inclusion(const source *src, uint64_t index,
                            const uint8_t leaf[32], const uint8_t root[32],
                            reader *r) {
  truce_proof p;
  truce_err rc =
      truce_inclusion_prove(source_node, (void *)src, index, src->size, &p);
  if (rc != TRUCE_OK)
    abort();
  if (truce_inclusion_verify(index, src->size, leaf, &p, root, 32) !=
      TRUCE_OK)
    abort();
  if (p.n == 0)
    return;
  size_t i = rd8(r) % p.n, b = rd8(r) % 32;
  p.hash[i][b] ^= (uint8_t)(1u << (rd8(r) % 8));
  if (truce_inclusion_verify(index, src->size, leaf, &p, root, 32) !=
      TRUCE_EPROOF)
    abort();
  p.n--;
  if (truce_inclusion_verify(index, src->size, leaf, &p, root, 32) !=
      TRUCE_EBADPROOF)
    abort();
}

static void check_consistency(const source *src, uint64_t s1,
                              const uint8_t root1[32], const uint8_t root2[32],
                              reader *r) {
  truce_proof p;
  truce_err rc =
      truce_consistency_prove(source_node, (void *)src, s1, src->size, &p);
  if (rc == TRUCE_ETOOBIG && src->size > ((uint64_t)1 << 63))
    return; /* only trees past 2^63 leaves need more than 64 hashes */
  if (rc != TRUCE_OK)
    abort();
  if (truce_consistency_verify(s1, src->size, root1, 32, root2, 32, &p) !=
      TRUCE_OK)
    abort();
  if (p.n == 0)
    return;
  size_t i = rd8(r) % p.n, b = rd8(r) % 32;
  p.hash[i][b] ^= (uint8_t)(1u << (rd8(r) % 8));
  if (truce_consistency_verify(s1, src->size, root1, 32, root2, 32, &p) !=
      TRUCE_EPROOF)
    abort();
}

static void fuzz_generate_uniform(reader *r) {
  uint64_t size = rdsize(r);
  if (size == 0)
    return;
  uint64_t index = rd64(r) % size, s1 = 1 + rd64(r) % size;
  source big = {size, NULL, 0}, small = {s1, NULL, 0};
  uint8_t root[32], root1[32];
  if (truce_tree_root(source_node, &big, size, root) != TRUCE_OK ||
      truce_tree_root(source_node, &small, s1, root1) != TRUCE_OK)
    abort();
  check_inclusion(&big, index, uniform[0], root, r);
  check_consistency(&big, s1, root1, root, r);
}

static void fuzz_generate_small(reader *r) {
  static uint8_t leaf[300][32];
  uint64_t size = 1 + rd64(r) % 300;
  for (uint64_t i = 0; i < size; i++) {
    uint8_t b = rd8(r);
    truce_leaf_hash(&b, 1, leaf[i]); /* duplicates are fine, even useful */
  }
  uint64_t index = rd64(r) % size, s1 = 1 + rd64(r) % size;
  source big = {size, (const uint8_t(*)[32])leaf, size};
  source small = {s1, (const uint8_t(*)[32])leaf, size};
  uint8_t root[32], root1[32];
  if (truce_tree_root(source_node, &big, size, root) != TRUCE_OK ||
      truce_tree_root(source_node, &small, s1, root1) != TRUCE_OK)
    abort();
  check_inclusion(&big, index, leaf[index], root, r);
  check_consistency(&big, s1, root1, root, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  reader r = {data, size};
  switch (rd8(&r) % 5) {
  case 0:
    fuzz_verify_inclusion(&r);
    break;
  case 1:
    fuzz_verify_consistency(&r);
    break;
  case 2:
    fuzz_decode(&r);
    break;
  case 3:
    fuzz_generate_uniform(&r);
    break;
  default:
    fuzz_generate_small(&r);
    break;
  }
  return 0;
}
