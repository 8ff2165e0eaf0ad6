/*
 * merkle.c: the RFC 6962 / RFC 9162 Merkle tree: decoding proofs,
 * verifying inclusion and consistency proofs with transparency-dev/merkle's
 * acceptance rules, computing roots and generating proofs from a source of
 * complete-subtree hashes (truce_node_fn), and such a source over leaf
 * hashes in memory.
 *
 * Depends on util.c only (the two hash functions, base64, seterr). It must
 * not depend on tiles, files or the log: the log hands the generators a
 * truce_node_fn that reads its tiles, so every callback may be a disk read
 * and the generators ask for the fewest subtrees that determine the answer.
 *
 * The shape of a proof. Write x for the leaf index (or, for consistency,
 * size1 - 1) and y for size - 1. The paths from the root to leaves x and y
 * coincide above level k = bitlen(x ^ y) and part below it. Below k, every
 * level of x's path has a sibling: on the left when x's bit is 1, on the
 * right when it is 0. From level k up, x's path runs along the tree's right
 * border, where a node whose bit is 0 is the last one at its level and is
 * carried up unhashed; only the levels whose bit is 1 have a (left)
 * sibling. So a proof holds k + popcount(x >> k) hashes, and all of them
 * are complete subtrees except the right sibling at level k - 1, which
 * holds the leaves from there to the end of the tree.
 */
#include "internal.h"

/* ---- bit helpers (portable: no compiler builtins needed) ---- */

static unsigned bit_length(uint64_t v) {
  unsigned n = 0;
  while (v) {
    n++;
    v >>= 1;
  }
  return n;
}

static unsigned ones(uint64_t v) {
  unsigned n = 0;
  while (v) {
    n += (unsigned)(v & 1);
    v >>= 1;
  }
  return n;
}

static unsigned trailing_zeros(uint64_t v) { /* v != 0 */
  unsigned n = 0;
  while (!(v & 1)) {
    n++;
    v >>= 1;
  }
  return n;
}

/* truce_node_hash into one of its own inputs: the header does not promise
 * that aliasing is safe, so go through a copy. */
static void hash_children(const uint8_t *left, const uint8_t *right,
                          uint8_t *out) {
  uint8_t tmp[TRUCE_HASH_SIZE];
  truce_node_hash(left, right, tmp);
  memcpy(out, tmp, TRUCE_HASH_SIZE);
}

/* ---- decoding ---- */

truce_err truce_proof_from_base64(const char *const *b64, size_t n,
                                  truce_proof *out, char *err) {
  if (!out)
    return seterr(err, TRUCE_EINVAL, "proof: no output given");
  memset(out, 0, sizeof *out);
  if (n > TRUCE_PROOF_MAX)
    return seterr(err, TRUCE_EBADPROOF,
                  "proof has %zu hashes, more than the %d allowed", n,
                  TRUCE_PROOF_MAX);
  if (n && !b64)
    return seterr(err, TRUCE_EINVAL, "proof: no hashes given");
  for (size_t i = 0; i < n; i++) {
    if (!b64[i]) {
      memset(out, 0, sizeof *out);
      return seterr(err, TRUCE_EBADPROOF, "proof hash %zu is missing", i);
    }
    /* Bounded length: a hostile string must not make us decode megabytes
     * just to learn it is not 32 bytes. */
    size_t len = strnlen(b64[i], 2 * TRUCE_HASH_SIZE + 1);
    uint8_t buf[2 * TRUCE_HASH_SIZE];
    size_t got = 0;
    truce_err rc = len > 2 * TRUCE_HASH_SIZE
                       ? TRUCE_ETOOBIG
                       : truce_base64_decode(b64[i], len, buf, sizeof buf,
                                             &got);
    if (rc == TRUCE_ETOOBIG) {
      memset(out, 0, sizeof *out);
      return seterr(err, TRUCE_EBADPROOF,
                    "proof hash %zu is longer than %d bytes", i,
                    TRUCE_HASH_SIZE);
    }
    if (rc) {
      memset(out, 0, sizeof *out);
      return seterr(err, TRUCE_EBADPROOF, "proof hash %zu is not base64", i);
    }
    if (got != TRUCE_HASH_SIZE) {
      memset(out, 0, sizeof *out);
      return seterr(err, TRUCE_EBADPROOF, "proof hash %zu is %zu bytes, not %d",
                    i, got, TRUCE_HASH_SIZE);
    }
    memcpy(out->hash[i], buf, TRUCE_HASH_SIZE);
  }
  out->n = n;
  return TRUCE_OK;
}

/* ---- verification ---- */

/* Number of hashes below the parting level k and above it (see the top of
 * the file) for a path from leaf x in a tree whose last leaf is y >= x. */
static void path_shape(uint64_t x, uint64_t y, unsigned *below,
                       unsigned *above) {
  unsigned k = bit_length(x ^ y);
  *below = k;
  /* x >> 64 is undefined in C; k == 64 leaves nothing above. */
  *above = k < 64 ? ones(x >> k) : 0;
}

truce_err truce_inclusion_verify(uint64_t index, uint64_t size,
                                 const uint8_t leaf[32],
                                 const truce_proof *proof,
                                 const uint8_t *root, size_t root_len) {
  if (!leaf || !proof || (!root && root_len))
    return TRUCE_EINVAL;
  if (index >= size || root_len != TRUCE_HASH_SIZE ||
      proof->n > TRUCE_PROOF_MAX)
    return TRUCE_EBADPROOF;
  unsigned below, above;
  path_shape(index, size - 1, &below, &above);
  if (proof->n != (size_t)below + above)
    return TRUCE_EBADPROOF;

  uint8_t h[TRUCE_HASH_SIZE];
  memcpy(h, leaf, sizeof h);
  for (unsigned i = 0; i < below; i++) {
    if ((index >> i) & 1)
      hash_children(proof->hash[i], h, h);
    else
      hash_children(h, proof->hash[i], h);
  }
  for (size_t i = below; i < proof->n; i++) /* left siblings only */
    hash_children(proof->hash[i], h, h);
  return memcmp(h, root, TRUCE_HASH_SIZE) ? TRUCE_EPROOF : TRUCE_OK;
}

truce_err truce_consistency_verify(uint64_t size1, uint64_t size2,
                                   const uint8_t *root1, size_t root1_len,
                                   const uint8_t *root2, size_t root2_len,
                                   const truce_proof *proof) {
  if (!proof || (!root1 && root1_len) || (!root2 && root2_len))
    return TRUCE_EINVAL;
  if (proof->n > TRUCE_PROOF_MAX)
    return TRUCE_EBADPROOF;
  /* The order of these checks is transparency-dev/merkle's: a proof from
   * the empty tree proves nothing, so it is refused even for 0 -> 0. */
  if (size2 < size1 || size1 == 0)
    return TRUCE_EBADPROOF;
  if (size1 == size2) {
    if (proof->n)
      return TRUCE_EBADPROOF;
    /* Same tree: the roots are compared as given, whatever their length,
     * as the reference does. */
    return root1_len == root2_len &&
                   (root1_len == 0 || memcmp(root1, root2, root1_len) == 0)
               ? TRUCE_OK
               : TRUCE_EPROOF;
  }
  if (proof->n == 0 || root1_len != TRUCE_HASH_SIZE ||
      root2_len != TRUCE_HASH_SIZE)
    return TRUCE_EBADPROOF;

  /* The last complete subtree of tree 1, of height `shift`, is a node of
   * both trees. Its hash is root1 itself when tree 1 is complete, else the
   * proof's first hash. From that node up, the proof is the path of leaf
   * size1 - 1 in tree 2, starting at level `shift`. */
  uint64_t last1 = size1 - 1;
  unsigned shift = trailing_zeros(size1);
  unsigned below, above;
  path_shape(last1, size2 - 1, &below, &above);
  below -= shift; /* below > shift: see the top of the file */
  size_t start = (size1 == (uint64_t)1 << shift) ? 0 : 1;
  if (proof->n != start + below + above)
    return TRUCE_EBADPROOF;

  uint8_t h1[TRUCE_HASH_SIZE], h2[TRUCE_HASH_SIZE];
  memcpy(h1, start ? proof->hash[0] : root1, sizeof h1);
  memcpy(h2, h1, sizeof h2);
  const uint8_t(*p)[TRUCE_HASH_SIZE] = proof->hash + start;
  uint64_t x = last1 >> shift;
  for (unsigned i = 0; i < below; i++) {
    if ((x >> i) & 1) {
      hash_children(p[i], h1, h1);
      hash_children(p[i], h2, h2);
    } else {
      /* A right sibling exists only in tree 2: in tree 1 this node is the
       * last at its level. */
      hash_children(h2, p[i], h2);
    }
  }
  for (size_t i = below; i < (size_t)below + above; i++) {
    hash_children(p[i], h1, h1);
    hash_children(p[i], h2, h2);
  }
  if (memcmp(h1, root1, TRUCE_HASH_SIZE) != 0 ||
      memcmp(h2, root2, TRUCE_HASH_SIZE) != 0)
    return TRUCE_EPROOF;
  return TRUCE_OK;
}

/* ---- generation ---- */

/* MTH of leaves [start, end), where start is a multiple of the smallest
 * power of two >= end - start (true of every subtree RFC 9162's recursion
 * reaches). Such a range is the complete subtrees of end - start's binary
 * digits, largest first, hashed right to left: one callback per digit. */
static truce_err range_hash(truce_node_fn fn, void *ctx, uint64_t start,
                            uint64_t end, uint8_t out[32]) {
  uint64_t len = end - start, pos = end;
  bool have = false;
  for (unsigned h = 0; h < 64 && len >> h; h++) {
    if (!((len >> h) & 1))
      continue;
    pos -= (uint64_t)1 << h;
    uint8_t piece[TRUCE_HASH_SIZE];
    truce_err rc = fn(ctx, h, pos >> h, piece);
    if (rc)
      return rc;
    if (have)
      hash_children(piece, out, out);
    else
      memcpy(out, piece, TRUCE_HASH_SIZE);
    have = true;
  }
  return TRUCE_OK;
}

truce_err truce_tree_root(truce_node_fn fn, void *ctx, uint64_t size,
                          uint8_t out[32]) {
  if (!out)
    return TRUCE_EINVAL;
  if (size == 0) {
    truce_sha256("", 0, out);
    return TRUCE_OK;
  }
  memset(out, 0, TRUCE_HASH_SIZE);
  if (!fn)
    return TRUCE_EINVAL;
  truce_err rc = range_hash(fn, ctx, 0, size, out);
  if (rc)
    memset(out, 0, TRUCE_HASH_SIZE);
  return rc;
}

/* Append to `out` the path of the node at level `lo`, index x >> lo, in the
 * tree whose last leaf is y: siblings from level lo up, as described at the
 * top of the file. */
static truce_err path_append(truce_node_fn fn, void *ctx, uint64_t x,
                             uint64_t y, unsigned lo, truce_proof *out) {
  unsigned k = bit_length(x ^ y);
  for (unsigned l = lo; l < k; l++) {
    uint64_t sib = (x >> l) ^ 1;
    truce_err rc;
    if (l + 1 == k) {
      /* The right sibling holding the tree's last leaves: complete only
       * if the tree ends exactly at its end. */
      uint64_t first = sib << l, width = (uint64_t)1 << l;
      uint64_t end = (y - first + 1 < width) ? y + 1 : first + width;
      rc = range_hash(fn, ctx, first, end, out->hash[out->n]);
    } else {
      rc = fn(ctx, l, sib, out->hash[out->n]);
    }
    if (rc)
      return rc;
    out->n++;
  }
  for (unsigned l = k; l < 64; l++) {
    if (!((x >> l) & 1))
      continue;
    truce_err rc = fn(ctx, l, (x >> l) - 1, out->hash[out->n]);
    if (rc)
      return rc;
    out->n++;
  }
  return TRUCE_OK;
}

truce_err truce_inclusion_prove(truce_node_fn fn, void *ctx, uint64_t index,
                                uint64_t size, truce_proof *out) {
  if (!out)
    return TRUCE_EINVAL;
  memset(out, 0, sizeof *out);
  if (!fn || index >= size)
    return TRUCE_EINVAL;
  unsigned below, above;
  path_shape(index, size - 1, &below, &above);
  if ((size_t)below + above > TRUCE_PROOF_MAX) /* cannot happen: <= 64 */
    return TRUCE_ETOOBIG;
  truce_err rc = path_append(fn, ctx, index, size - 1, 0, out);
  if (rc)
    memset(out, 0, sizeof *out);
  return rc;
}

truce_err truce_consistency_prove(truce_node_fn fn, void *ctx, uint64_t size1,
                                  uint64_t size2, truce_proof *out) {
  if (!out)
    return TRUCE_EINVAL;
  memset(out, 0, sizeof *out);
  if (!fn || size1 == 0 || size1 > size2)
    return TRUCE_EINVAL;
  if (size1 == size2) /* RFC 9162 SUBPROOF(m, D[m], true) is empty */
    return TRUCE_OK;
  uint64_t last1 = size1 - 1;
  unsigned shift = trailing_zeros(size1);
  unsigned below, above;
  path_shape(last1, size2 - 1, &below, &above);
  size_t start = (size1 == (uint64_t)1 << shift) ? 0 : 1;
  /* Only for trees past 2^63 leaves can this exceed the limit. */
  if (start + (below - shift) + above > TRUCE_PROOF_MAX)
    return TRUCE_ETOOBIG;
  truce_err rc = TRUCE_OK;
  if (start) {
    /* The verifier cannot rebuild the last complete subtree of tree 1
     * from root1, so the proof starts with it. */
    rc = fn(ctx, shift, last1 >> shift, out->hash[0]);
    out->n = 1;
  }
  if (!rc)
    rc = path_append(fn, ctx, last1, size2 - 1, shift, out);
  if (rc)
    memset(out, 0, sizeof *out);
  return rc;
}

/* ---- a node source over leaf hashes in memory ---- */

truce_err truce_leaves_node(void *ctx, unsigned height, uint64_t index,
                            uint8_t out[32]) {
  const truce_leaves *lv = ctx;
  if (!out)
    return TRUCE_EINVAL;
  memset(out, 0, TRUCE_HASH_SIZE);
  if (!lv || (!lv->hash && lv->n))
    return TRUCE_EINVAL;
  if (height > 63 || index > (UINT64_MAX >> height))
    return TRUCE_ENOTFOUND;
  uint64_t first = index << height, count = (uint64_t)1 << height;
  if (first > lv->n || count > lv->n - first)
    return TRUCE_ENOTFOUND;

  /* Left to right with a stack of pending subtrees, merging equal heights:
   * no recursion, and at most height + 1 entries. */
  uint8_t stack[64][TRUCE_HASH_SIZE];
  unsigned level[64];
  unsigned depth = 0;
  for (uint64_t i = 0; i < count; i++) {
    memcpy(stack[depth], lv->hash[first + i], TRUCE_HASH_SIZE);
    level[depth++] = 0;
    while (depth >= 2 && level[depth - 1] == level[depth - 2]) {
      hash_children(stack[depth - 2], stack[depth - 1], stack[depth - 2]);
      level[depth - 2]++;
      depth--;
    }
  }
  memcpy(out, stack[0], TRUCE_HASH_SIZE);
  return TRUCE_OK;
}
