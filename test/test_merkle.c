/*
 * test_merkle.c: the Merkle tree (lib/merkle.c).
 *
 * Known answers first: the transparency-dev/merkle probes (each must fail
 * exactly when it says so), the RFC 6962 reference tree, exact generation
 * of every proof over the 8 reference leaves, real Sigstore Rekor v2
 * inclusion proofs. Then properties for every tree up to 300 leaves,
 * against a naive recursive implementation of RFC 9162's definitions
 * written here (MTH, PATH, SUBPROOF) and an incremental compact range.
 * Expected values come from the vectors or from that naive code, never
 * from the code under test.
 */
#include "truce.h"

#include "test.h"

#include <dirent.h>
#include <jansson.h>

#define VEC "vectors/tlog/"
#define PROP_MAX 300 /* property tests: every tree size up to this */

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
    n += got;
    if (cap - n - 1 == 0) {
      char *p = realloc(buf, cap * 2);
      if (!p) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = p;
      cap *= 2;
    }
  }
  fclose(f);
  if (buf)
    buf[n] = '\0';
  *len = n;
  return buf;
}

/* Integers beyond INT64_MAX (a probe's index 2^64 - 1) do not fit
 * jansson's json_int_t: such a file is loaded again with numbers as reals,
 * and get_u64 reads those fields back exactly from the raw text. */
static json_t *load_json(const char *path, char **raw) {
  size_t len;
  char *text = slurp(path, &len);
  if (!text)
    return NULL;
  json_error_t e;
  json_t *j = json_loadb(text, len, 0, &e);
  if (!j) /* then every number is a real: get_u64 reads the text */
    j = json_loadb(text, len, JSON_DECODE_INT_AS_REAL, &e);
  if (!j)
    fprintf(stderr, "%s:%d: %s\n", path, e.line, e.text);
  if (raw)
    *raw = text;
  else
    free(text);
  return j;
}

static int get_u64(json_t *obj, const char *raw, const char *key,
                   uint64_t *out) {
  json_t *v = json_object_get(obj, key);
  if (json_is_integer(v) && json_integer_value(v) >= 0) {
    *out = (uint64_t)json_integer_value(v);
    return 1;
  }
  if (!json_is_real(v) || !raw)
    return 0;
  char pat[128];
  snprintf(pat, sizeof pat, "\"%s\"", key);
  const char *p = strstr(raw, pat);
  if (!p)
    return 0;
  p += strlen(pat);
  while (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  char *end;
  unsigned long long x = strtoull(p, &end, 10);
  if (end == p)
    return 0;
  *out = (uint64_t)x;
  return 1;
}

static size_t b64_bytes(json_t *v, uint8_t *out, size_t cap) {
  size_t n = 0;
  if (json_is_string(v))
    CHECK_OK(truce_base64_decode(json_string_value(v), json_string_length(v),
                                 out, cap, &n));
  return n;
}

static size_t hex_bytes(json_t *v, uint8_t *out, size_t cap) {
  size_t n = 0;
  CHECK(json_is_string(v));
  if (json_is_string(v))
    CHECK_OK(truce_hex_decode(json_string_value(v), json_string_length(v),
                              out, cap, &n));
  return n;
}

static void hex32(json_t *v, uint8_t out[32]) {
  memset(out, 0, 32);
  CHECK_EQ_U64(hex_bytes(v, out, 32), 32);
}

/* A proof from a JSON array of hex strings. */
static void proof_from_hex(json_t *arr, truce_proof *p) {
  memset(p, 0, sizeof *p);
  CHECK(json_is_array(arr) && json_array_size(arr) <= TRUCE_PROOF_MAX);
  for (size_t i = 0; i < json_array_size(arr) && i < TRUCE_PROOF_MAX; i++)
    hex32(json_array_get(arr, i), p->hash[p->n++]);
}

static truce_err proof_from_b64_json(json_t *arr, truce_proof *p, char *err) {
  const char *s[TRUCE_PROOF_MAX + 8];
  size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
  if (n > TRUCE_PROOF_MAX + 8)
    n = TRUCE_PROOF_MAX + 8;
  for (size_t i = 0; i < n; i++)
    s[i] = json_string_value(json_array_get(arr, i));
  return truce_proof_from_base64(s, n, p, err);
}

static int proof_eq(const truce_proof *a, const truce_proof *b) {
  if (a->n != b->n)
    return 0;
  for (size_t i = 0; i < a->n; i++)
    if (memcmp(a->hash[i], b->hash[i], 32) != 0)
      return 0;
  return 1;
}

/* ------------------------------------------------------------------ */
/* The naive reference: RFC 9162 section 2.1 definitions, recursively   */
/* ------------------------------------------------------------------ */

static uint64_t split_point(uint64_t n) { /* largest power of 2 < n, n > 1 */
  uint64_t k = 1;
  while (k < n - k) /* k * 2 < n, without overflow */
    k *= 2;
  return k;
}

/* The number of hashes in PATH(m, D[n]) and SUBPROOF(m, D[n], b), by the
 * same recursion, without hashing: usable for any uint64 size. */
static size_t naive_path_len(uint64_t m, uint64_t n) {
  if (n <= 1)
    return 0;
  uint64_t k = split_point(n);
  return 1 + (m < k ? naive_path_len(m, k) : naive_path_len(m - k, n - k));
}

static size_t naive_subproof_len(uint64_t m, uint64_t n, int b) {
  if (m == n)
    return b ? 0 : 1;
  uint64_t k = split_point(n);
  return 1 + (m <= k ? naive_subproof_len(m, k, b)
                     : naive_subproof_len(m - k, n - k, 0));
}

static unsigned popcount64(uint64_t v) {
  unsigned c = 0;
  for (; v; v &= v - 1)
    c++;
  return c;
}

static void naive_mth(const uint8_t (*d)[32], uint64_t n, uint8_t out[32]) {
  if (n == 0) {
    truce_sha256("", 0, out);
    return;
  }
  if (n == 1) {
    memcpy(out, d[0], 32);
    return;
  }
  uint64_t k = split_point(n);
  uint8_t l[32], r[32];
  naive_mth(d, k, l);
  naive_mth(d + k, n - k, r);
  truce_node_hash(l, r, out);
}

/* PATH(m, D[n]); *calls += the complete subtrees each element is made of
 * (popcount of its width): what an ideal generator asks its source for. */
static void naive_path(uint64_t m, const uint8_t (*d)[32], uint64_t n,
                       truce_proof *p, uint64_t *calls) {
  if (n <= 1)
    return;
  uint64_t k = split_point(n);
  if (m < k) {
    naive_path(m, d, k, p, calls);
    naive_mth(d + k, n - k, p->hash[p->n++]);
    *calls += popcount64(n - k);
  } else {
    naive_path(m - k, d + k, n - k, p, calls);
    naive_mth(d, k, p->hash[p->n++]);
    *calls += 1;
  }
}

/* SUBPROOF(m, D[n], b). */
static void naive_subproof(uint64_t m, const uint8_t (*d)[32], uint64_t n,
                           int b, truce_proof *p, uint64_t *calls) {
  if (m == n) {
    if (!b) {
      naive_mth(d, n, p->hash[p->n++]);
      *calls += popcount64(n);
    }
    return;
  }
  uint64_t k = split_point(n);
  if (m <= k) {
    naive_subproof(m, d, k, b, p, calls);
    naive_mth(d + k, n - k, p->hash[p->n++]);
    *calls += popcount64(n - k);
  } else {
    naive_subproof(m - k, d + k, n - k, 0, p, calls);
    naive_mth(d, k, p->hash[p->n++]);
    *calls += 1;
  }
}

/* An incremental compact range: the roots of the complete subtrees that
 * make up the first `size` leaves, left to right, kept as a stack. */
typedef struct compact {
  uint8_t hash[64][32];
  unsigned height[64];
  unsigned n;
  uint64_t size;
} compact;

static void compact_append(compact *c, const uint8_t leaf[32]) {
  memcpy(c->hash[c->n], leaf, 32);
  c->height[c->n++] = 0;
  while (c->n >= 2 && c->height[c->n - 1] == c->height[c->n - 2]) {
    uint8_t h[32];
    truce_node_hash(c->hash[c->n - 2], c->hash[c->n - 1], h);
    memcpy(c->hash[c->n - 2], h, 32);
    c->height[c->n - 2]++;
    c->n--;
  }
  c->size++;
}

static void compact_root(const compact *c, uint8_t out[32]) {
  if (c->n == 0) {
    truce_sha256("", 0, out);
    return;
  }
  memcpy(out, c->hash[c->n - 1], 32);
  for (unsigned i = c->n - 1; i-- > 0;) {
    uint8_t h[32];
    truce_node_hash(c->hash[i], out, h);
    memcpy(out, h, 32);
  }
}

/* A node source wrapper: counts the calls and records any request for a
 * subtree that is not complete and inside the tree. */
typedef struct counting {
  truce_node_fn fn;
  void *ctx;
  uint64_t size;
  uint64_t calls;
  uint64_t outside;
} counting;

static truce_err counting_node(void *ctx, unsigned height, uint64_t index,
                               uint8_t out[32]) {
  counting *c = ctx;
  c->calls++;
  if (height > 63 || index > (UINT64_MAX >> height) ||
      (index << height) >= c->size ||
      ((uint64_t)1 << height) > c->size - (index << height))
    c->outside++;
  return c->fn(c->ctx, height, index, out);
}

/* ------------------------------------------------------------------ */
/* transparency-dev/merkle probes                                       */
/* ------------------------------------------------------------------ */

static int probe_inclusion(const char *path, json_t *j, const char *raw,
                           truce_err *rc_out) {
  uint64_t idx = 0, size = 0;
  if (!get_u64(j, raw, "leafIdx", &idx) || !get_u64(j, raw, "treeSize", &size))
    return -1;
  uint8_t root[64], leaf[64];
  size_t root_len = b64_bytes(json_object_get(j, "root"), root, sizeof root);
  size_t leaf_len =
      b64_bytes(json_object_get(j, "leafHash"), leaf, sizeof leaf);
  truce_proof proof;
  char err[TRUCE_ERR_MAX] = "";
  truce_err rc = proof_from_b64_json(json_object_get(j, "proof"), &proof, err);
  if (rc == TRUCE_OK) {
    /* The API takes the leaf hash as uint8_t[32]: a leaf of another
     * length cannot be passed, and is rejected here at the boundary, as
     * the reference rejects it. */
    if (leaf_len != 32)
      rc = TRUCE_EBADPROOF;
    else
      rc = truce_inclusion_verify(idx, size, leaf, &proof, root, root_len);
  } else {
    CHECK_MSG(err[0] != '\0', "%s: decode error without a message", path);
  }
  *rc_out = rc;
  return 0;
}

static int probe_consistency(json_t *j, const char *raw, truce_err *rc_out) {
  uint64_t s1 = 0, s2 = 0;
  if (!get_u64(j, raw, "size1", &s1) || !get_u64(j, raw, "size2", &s2))
    return -1;
  uint8_t r1[64], r2[64];
  size_t r1_len = b64_bytes(json_object_get(j, "root1"), r1, sizeof r1);
  size_t r2_len = b64_bytes(json_object_get(j, "root2"), r2, sizeof r2);
  truce_proof proof;
  char err[TRUCE_ERR_MAX] = "";
  truce_err rc = proof_from_b64_json(json_object_get(j, "proof"), &proof, err);
  if (rc == TRUCE_OK)
    rc = truce_consistency_verify(s1, s2, r1, r1_len, r2, r2_len, &proof);
  *rc_out = rc;
  return 0;
}

/* What error class a probe's description implies, where it is clear. */
static truce_err probe_class(const char *desc) {
  static const struct {
    const char *prefix;
    truce_err rc;
  } map[] = {
      {"happy path", TRUCE_OK},
      {"modified proof", TRUCE_EPROOF},
      {"random root", TRUCE_EPROOF},
      {"swapped roots", TRUCE_EPROOF},
      {"removed component", TRUCE_EBADPROOF},
      {"inserted component", TRUCE_EBADPROOF},
      {"truncated proof", TRUCE_EBADPROOF},
      {"preceding garbage", TRUCE_EBADPROOF},
      {"trailing garbage", TRUCE_EBADPROOF},
      {"preceding root", TRUCE_EBADPROOF},
      {"trailing root", TRUCE_EBADPROOF},
      {"empty proof", TRUCE_EBADPROOF},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strncmp(desc, map[i].prefix, strlen(map[i].prefix)) == 0)
      return map[i].rc;
  return (truce_err)-1;
}

typedef struct probe_tally {
  size_t checked[2]; /* inclusion, consistency */
  size_t classified;
  size_t subtree;    /* files under subtree*: counted, not run */
  size_t files;      /* every .json file seen */
} probe_tally;

static void run_probe(const char *path, int kind, probe_tally *t) {
  char *raw = NULL;
  json_t *j = load_json(path, &raw);
  CHECK_MSG(j != NULL, "%s does not load", path);
  if (!j) {
    free(raw);
    return;
  }
  json_t *want = json_object_get(j, "wantErr");
  const char *desc = json_string_value(json_object_get(j, "desc"));
  CHECK_MSG(json_is_boolean(want), "%s: no wantErr", path);
  truce_err rc = TRUCE_OK;
  int ok = kind == 0 ? probe_inclusion(path, j, raw, &rc)
                     : probe_consistency(j, raw, &rc);
  CHECK_MSG(ok == 0, "%s: missing sizes", path);
  if (ok == 0) {
    t->checked[kind]++;
    int goterr = rc != TRUCE_OK;
    CHECK_MSG(goterr == json_is_true(want), "%s (%s): got %d (%s), wantErr %d",
              path, desc ? desc : "?", (int)rc, truce_strerror(rc),
              json_is_true(want));
    /* A rejection is always one of the two proof errors. */
    CHECK_MSG(rc == TRUCE_OK || rc == TRUCE_EPROOF || rc == TRUCE_EBADPROOF,
              "%s: unexpected code %d", path, (int)rc);
    truce_err cls = desc ? probe_class(desc) : (truce_err)-1;
    if ((int)cls >= 0) {
      t->classified++;
      CHECK_MSG(rc == cls, "%s (%s): got %s, want %s", path, desc,
                truce_strerror(rc), truce_strerror(cls));
    }
  }
  json_decref(j);
  free(raw);
}

/* Walk a folder of probes: kind 0 inclusion, 1 consistency, -1 count only.
 * The folders nest (inclusion/additional/0/...), so every level is
 * walked, to a fixed depth. */
static void walk_probes(const char *dir, int kind, int depth,
                        probe_tally *t) {
  DIR *d = opendir(dir);
  CHECK_MSG(d != NULL, "cannot open %s", dir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      int k = kind;
      if (depth == 0) {
        k = strcmp(e->d_name, "inclusion") == 0     ? 0
            : strcmp(e->d_name, "consistency") == 0 ? 1
                                                     : -1;
        CHECK_MSG(k >= 0 || strncmp(e->d_name, "subtree", 7) == 0,
                  "unexpected folder %s", path);
      }
      if (depth < 4)
        walk_probes(path, k, depth + 1, t);
      continue;
    }
    size_t l = strlen(e->d_name);
    if (l <= 5 || strcmp(e->d_name + l - 5, ".json") != 0)
      continue;
    t->files++;
    if (kind < 0)
      t->subtree++;
    else
      run_probe(path, kind, t);
  }
  closedir(d);
}

TEST(transparency_dev_probes) {
  const char *root = shared_path(VEC "transparency-dev-merkle/testdata");
  if (!root)
    SKIP("../shared/" VEC "transparency-dev-merkle absent");
  probe_tally t;
  memset(&t, 0, sizeof t);
  walk_probes(root, -1, 0, &t);
  size_t n = t.checked[0] + t.checked[1];
  fprintf(stderr,
          "transparency-dev probes: %zu checked (%zu inclusion, %zu "
          "consistency; %zu also by error class), %zu subtree* probes not "
          "run, %zu files in all\n",
          n, t.checked[0], t.checked[1], t.classified, t.subtree, t.files);
  /* Every probe outside subtree* was run, and the folders hold the 518
   * files MANIFEST.md lists. */
  CHECK_EQ_U64(n + t.subtree, t.files);
  CHECK_EQ_U64(t.files, 518);
  CHECK(t.checked[0] > 0 && t.checked[1] > 0);
}

/* ------------------------------------------------------------------ */
/* RFC 6962 reference tree and the 8-leaf proofs                        */
/* ------------------------------------------------------------------ */

static size_t leaves_from_hex(json_t *arr, uint8_t (*out)[32], size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < json_array_size(arr) && n < cap; i++) {
    uint8_t data[256];
    size_t len = hex_bytes(json_array_get(arr, i), data, sizeof data);
    truce_leaf_hash(data, len, out[n++]);
  }
  return n;
}

TEST(rfc6962_reference) {
  const char *path = shared_path(VEC "extracted/merkle_rfc6962_reference.json");
  if (!path)
    SKIP("../shared/" VEC "extracted/merkle_rfc6962_reference.json absent");
  json_t *j = load_json(path, NULL);
  CHECK(j != NULL);
  if (!j)
    return;
  uint8_t leaf[8][32], got[32], want[32];
  size_t n = leaves_from_hex(json_object_get(j, "leaf_inputs_hex"), leaf, 8);
  CHECK_EQ_U64(n, 8);
  truce_leaves lv = {(const uint8_t(*)[32])leaf, n};

  /* hasher vectors */
  json_t *hv = json_object_get(j, "hasher_vectors");
  size_t nhv = 0;
  for (size_t i = 0; i < json_array_size(hv); i++) {
    json_t *v = json_array_get(hv, i);
    uint8_t w[32];
    if (json_object_get(v, "want_hex"))
      hex32(json_object_get(v, "want_hex"), w);
    else
      CHECK_EQ_U64(b64_bytes(json_object_get(v, "want_b64"), w, 32), 32);
    if (json_object_get(v, "left_hex")) {
      /* HashChildren on raw strings: SHA-256(0x01 || left || right). */
      uint8_t buf[256];
      buf[0] = 1;
      size_t l = hex_bytes(json_object_get(v, "left_hex"), buf + 1, 100);
      size_t r = hex_bytes(json_object_get(v, "right_hex"), buf + 1 + l, 100);
      truce_sha256(buf, 1 + l + r, got);
    } else if (json_object_get(v, "leaf_hex")) {
      uint8_t data[256];
      size_t len = hex_bytes(json_object_get(v, "leaf_hex"), data, 256);
      truce_leaf_hash(data, len, got);
    } else {
      CHECK_OK(truce_tree_root(truce_leaves_node, &lv, 0, got));
    }
    CHECK_MSG(memcmp(got, w, 32) == 0, "hasher vector %zu", i);
    nhv++;
  }

  /* every node hash, through truce_leaves_node and the naive MTH */
  json_t *nodes = json_object_get(j, "node_hashes_hex");
  size_t nnodes = 0;
  for (size_t h = 0; h < json_array_size(nodes); h++) {
    json_t *lvl = json_array_get(nodes, h);
    for (size_t i = 0; i < json_array_size(lvl); i++) {
      hex32(json_array_get(lvl, i), want);
      CHECK_OK(truce_leaves_node(&lv, (unsigned)h, i, got));
      CHECK_MSG(memcmp(got, want, 32) == 0, "node %zu/%zu", h, i);
      naive_mth((const uint8_t(*)[32])leaf + (i << h), (uint64_t)1 << h, got);
      CHECK_MSG(memcmp(got, want, 32) == 0, "naive node %zu/%zu", h, i);
      nnodes++;
    }
  }
  CHECK_EQ_U64(nnodes, 15);

  /* roots 0..8 through truce_tree_root over truce_leaves_node */
  json_t *roots = json_object_get(j, "root_hashes_hex_by_size");
  CHECK_EQ_U64(json_array_size(roots), 9);
  for (size_t s = 0; s < json_array_size(roots); s++) {
    hex32(json_array_get(roots, s), want);
    CHECK_OK(truce_tree_root(truce_leaves_node, &lv, s, got));
    CHECK_MSG(memcmp(got, want, 32) == 0, "root of size %zu", s);
  }

  /* the test's own compact range, against the published ranges */
  json_t *ranges = json_object_get(j, "compact_ranges_hex_by_size");
  compact c;
  memset(&c, 0, sizeof c);
  for (size_t s = 0; s < json_array_size(ranges); s++) {
    if (s > 0)
      compact_append(&c, leaf[s - 1]);
    json_t *r = json_array_get(ranges, s);
    CHECK_EQ_U64(c.n, json_array_size(r));
    for (size_t i = 0; i < json_array_size(r) && i < c.n; i++) {
      hex32(json_array_get(r, i), want);
      CHECK_MSG(memcmp(c.hash[i], want, 32) == 0, "compact range %zu[%zu]", s,
                i);
    }
  }
  fprintf(stderr,
          "rfc6962 reference: %zu hasher vectors, %zu node hashes, %zu roots, "
          "%zu compact ranges\n",
          nhv, nnodes, json_array_size(roots), json_array_size(ranges));
  json_decref(j);
}

TEST(all_proofs_8leaf) {
  const char *path =
      shared_path(VEC "extracted/merkle_derived_all_proofs_8leaf.json");
  if (!path)
    SKIP("../shared/" VEC "extracted/merkle_derived_all_proofs_8leaf.json "
         "absent");
  json_t *j = load_json(path, NULL);
  CHECK(j != NULL);
  if (!j)
    return;
  uint8_t leaf[8][32];
  size_t n = leaves_from_hex(json_object_get(j, "leaf_inputs_hex"), leaf, 8);
  CHECK_EQ_U64(n, 8);
  truce_leaves lv = {(const uint8_t(*)[32])leaf, n};

  json_t *incl = json_object_get(j, "inclusion");
  size_t ni = 0, nc = 0;
  for (size_t i = 0; i < json_array_size(incl); i++) {
    json_t *v = json_array_get(incl, i);
    uint64_t idx = 0, size = 0;
    CHECK(get_u64(v, NULL, "leaf_index", &idx));
    CHECK(get_u64(v, NULL, "tree_size", &size));
    uint8_t lh[32], root[32], got_root[32];
    hex32(json_object_get(v, "leaf_hash_hex"), lh);
    hex32(json_object_get(v, "root_hex"), root);
    truce_proof want, got;
    proof_from_hex(json_object_get(v, "proof_hex"), &want);
    CHECK(idx < 8 && memcmp(lh, leaf[idx < 8 ? idx : 0], 32) == 0);
    counting c = {truce_leaves_node, &lv, size, 0, 0};
    CHECK_OK(truce_inclusion_prove(counting_node, &c, idx, size, &got));
    CHECK_MSG(proof_eq(&got, &want), "inclusion %" PRIu64 " in %" PRIu64,
              idx, size);
    CHECK_EQ_U64(c.outside, 0);
    CHECK_OK(truce_tree_root(truce_leaves_node, &lv, size, got_root));
    CHECK(memcmp(got_root, root, 32) == 0);
    CHECK_OK(truce_inclusion_verify(idx, size, lh, &want, root, 32));
    ni++;
  }
  json_t *cons = json_object_get(j, "consistency");
  for (size_t i = 0; i < json_array_size(cons); i++) {
    json_t *v = json_array_get(cons, i);
    uint64_t s1 = 0, s2 = 0;
    CHECK(get_u64(v, NULL, "size1", &s1));
    CHECK(get_u64(v, NULL, "size2", &s2));
    uint8_t r1[32], r2[32];
    hex32(json_object_get(v, "root1_hex"), r1);
    hex32(json_object_get(v, "root2_hex"), r2);
    truce_proof want, got;
    proof_from_hex(json_object_get(v, "proof_hex"), &want);
    counting c = {truce_leaves_node, &lv, s2, 0, 0};
    CHECK_OK(truce_consistency_prove(counting_node, &c, s1, s2, &got));
    CHECK_MSG(proof_eq(&got, &want), "consistency %" PRIu64 " -> %" PRIu64,
              s1, s2);
    CHECK_EQ_U64(c.outside, 0);
    CHECK_OK(truce_consistency_verify(s1, s2, r1, 32, r2, 32, &want));
    nc++;
  }
  fprintf(stderr, "8-leaf proofs: %zu inclusion, %zu consistency generated "
                  "byte-equal and verified\n", ni, nc);
  CHECK_EQ_U64(ni, 36);
  CHECK_EQ_U64(nc, 28);
  json_decref(j);
}

/* ------------------------------------------------------------------ */
/* Properties for every tree up to PROP_MAX leaves                      */
/* ------------------------------------------------------------------ */

static uint8_t prop_leaf[PROP_MAX][32];

static void prop_leaves(void) {
  for (int i = 0; i < PROP_MAX; i++) {
    char s[32];
    int n = snprintf(s, sizeof s, "entry %d", i);
    truce_leaf_hash(s, (size_t)n, prop_leaf[i]);
  }
}

TEST(roots_match_naive_and_compact) {
  prop_leaves();
  truce_leaves lv = {(const uint8_t(*)[32])prop_leaf, PROP_MAX};
  compact c;
  memset(&c, 0, sizeof c);
  size_t checked = 0;
  for (uint64_t s = 0; s <= PROP_MAX; s++) {
    if (s > 0)
      compact_append(&c, prop_leaf[s - 1]);
    uint8_t naive[32], inc[32], got[32];
    naive_mth((const uint8_t(*)[32])prop_leaf, s, naive);
    compact_root(&c, inc);
    counting cn = {truce_leaves_node, &lv, s, 0, 0};
    CHECK_OK(truce_tree_root(counting_node, &cn, s, got));
    CHECK_MSG(memcmp(naive, inc, 32) == 0, "compact root at %" PRIu64, s);
    CHECK_MSG(memcmp(naive, got, 32) == 0, "tree root at %" PRIu64, s);
    /* one callback per complete subtree of the size's binary digits */
    CHECK_EQ_U64(cn.calls, popcount64(s));
    CHECK_EQ_U64(cn.outside, 0);
    checked++;
  }
  fprintf(stderr, "roots: %zu sizes 0..%d: truce_tree_root == naive MTH == "
                  "compact range\n", checked, PROP_MAX);
}

static void flip(uint8_t *p, size_t i) { p[i] ^= (uint8_t)(1u << (i % 8)); }

TEST(inclusion_properties) {
  prop_leaves();
  truce_leaves lv = {(const uint8_t(*)[32])prop_leaf, PROP_MAX};
  uint64_t proofs = 0, forged = 0, malformed = 0;
  for (uint64_t size = 1; size <= PROP_MAX; size++) {
    uint8_t root[32];
    naive_mth((const uint8_t(*)[32])prop_leaf, size, root);
    for (uint64_t m = 0; m < size; m++) {
      truce_proof want, got, t;
      uint64_t want_calls = 0;
      memset(&want, 0, sizeof want);
      naive_path(m, (const uint8_t(*)[32])prop_leaf, size, &want, &want_calls);
      counting c = {truce_leaves_node, &lv, size, 0, 0};
      CHECK_OK(truce_inclusion_prove(counting_node, &c, m, size, &got));
      if (!proof_eq(&got, &want)) {
        CHECK_MSG(0, "inclusion proof %" PRIu64 " in %" PRIu64, m, size);
        continue;
      }
      CHECK_EQ_U64(c.calls, want_calls);
      CHECK_EQ_U64(c.outside, 0);
      const uint8_t *leaf = prop_leaf[m];
      CHECK_OK(truce_inclusion_verify(m, size, leaf, &got, root, 32));
      proofs++;

      /* Any flipped byte of the proof gives a well-formed forgery. Small
       * trees flip every byte; larger ones one byte per hash, at a
       * position that moves with the index. */
      for (size_t i = 0; i < got.n; i++) {
        for (size_t b = 0; b < 32; b++) {
          if (size > 32 && b != (i * 7 + m) % 32)
            continue;
          t = got;
          flip(t.hash[i], b);
          CHECK_RC(truce_inclusion_verify(m, size, leaf, &t, root, 32),
                   TRUCE_EPROOF);
          forged++;
        }
      }
      uint8_t l2[32], r2[32];
      memcpy(l2, leaf, 32);
      flip(l2, m % 32);
      CHECK_RC(truce_inclusion_verify(m, size, l2, &got, root, 32),
               TRUCE_EPROOF);
      memcpy(r2, root, 32);
      flip(r2, (m + 5) % 32);
      CHECK_RC(truce_inclusion_verify(m, size, leaf, &got, r2, 32),
               TRUCE_EPROOF);
      forged += 2;

      /* A hash dropped or added is malformed. */
      if (got.n > 0) {
        t = got;
        t.n--;
        CHECK_RC(truce_inclusion_verify(m, size, leaf, &t, root, 32),
                 TRUCE_EBADPROOF);
        t = got;
        memmove(t.hash[0], t.hash[1], (t.n - 1) * 32);
        t.n--;
        CHECK_RC(truce_inclusion_verify(m, size, leaf, &t, root, 32),
                 TRUCE_EBADPROOF);
        malformed += 2;
      }
      t = got;
      memcpy(t.hash[t.n++], root, 32);
      CHECK_RC(truce_inclusion_verify(m, size, leaf, &t, root, 32),
               TRUCE_EBADPROOF);
      t = got;
      memmove(t.hash[1], t.hash[0], t.n * 32);
      memcpy(t.hash[0], leaf, 32);
      t.n++;
      CHECK_RC(truce_inclusion_verify(m, size, leaf, &t, root, 32),
               TRUCE_EBADPROOF);
      /* and so is a leaf index outside the tree or a short root */
      CHECK_RC(truce_inclusion_verify(size, size, leaf, &got, root, 32),
               TRUCE_EBADPROOF);
      CHECK_RC(truce_inclusion_verify(m, size, leaf, &got, root, 31),
               TRUCE_EBADPROOF);
      malformed += 4;
    }
  }
  fprintf(stderr,
          "inclusion: %" PRIu64 " proofs (every index of every size 1..%d) "
          "generated == naive PATH and verified; %" PRIu64 " forgeries "
          "-> EPROOF, %" PRIu64 " malformed -> EBADPROOF\n",
          proofs, PROP_MAX, forged, malformed);
  CHECK_EQ_U64(proofs, (uint64_t)PROP_MAX * (PROP_MAX + 1) / 2);
}

TEST(consistency_properties) {
  prop_leaves();
  truce_leaves lv = {(const uint8_t(*)[32])prop_leaf, PROP_MAX};
  static uint8_t roots[PROP_MAX + 1][32];
  for (uint64_t s = 0; s <= PROP_MAX; s++)
    naive_mth((const uint8_t(*)[32])prop_leaf, s, roots[s]);
  uint64_t pairs = 0, forged = 0, malformed = 0;
  for (uint64_t s2 = 1; s2 <= PROP_MAX; s2++) {
    for (uint64_t s1 = 1; s1 <= s2; s1++) {
      truce_proof want, got, t;
      uint64_t want_calls = 0;
      memset(&want, 0, sizeof want);
      naive_subproof(s1, (const uint8_t(*)[32])prop_leaf, s2, 1, &want,
                     &want_calls);
      counting c = {truce_leaves_node, &lv, s2, 0, 0};
      CHECK_OK(truce_consistency_prove(counting_node, &c, s1, s2, &got));
      if (!proof_eq(&got, &want)) {
        CHECK_MSG(0, "consistency proof %" PRIu64 " -> %" PRIu64, s1, s2);
        continue;
      }
      CHECK_EQ_U64(c.calls, want_calls);
      CHECK_EQ_U64(c.outside, 0);
      const uint8_t *r1 = roots[s1], *r2 = roots[s2];
      CHECK_OK(truce_consistency_verify(s1, s2, r1, 32, r2, 32, &got));
      pairs++;

      uint8_t x1[32], x2[32];
      memcpy(x1, r1, 32);
      flip(x1, (s1 + s2) % 32);
      memcpy(x2, r2, 32);
      flip(x2, (s1 * 3 + s2) % 32);
      CHECK_RC(truce_consistency_verify(s1, s2, x1, 32, r2, 32, &got),
               TRUCE_EPROOF);
      CHECK_RC(truce_consistency_verify(s1, s2, r1, 32, x2, 32, &got),
               TRUCE_EPROOF);
      forged += 2;
      if (s1 == s2) {
        /* nothing to prove: any hash is one too many */
        t = got;
        memcpy(t.hash[t.n++], r1, 32);
        CHECK_RC(truce_consistency_verify(s1, s2, r1, 32, r2, 32, &t),
                 TRUCE_EBADPROOF);
        malformed++;
        continue;
      }
      for (size_t i = 0; i < got.n; i++) {
        t = got;
        flip(t.hash[i], (i * 11 + s1) % 32);
        CHECK_RC(truce_consistency_verify(s1, s2, r1, 32, r2, 32, &t),
                 TRUCE_EPROOF);
        forged++;
      }
      t = got;
      t.n--;
      CHECK_RC(truce_consistency_verify(s1, s2, r1, 32, r2, 32, &t),
               TRUCE_EBADPROOF);
      t = got;
      memcpy(t.hash[t.n++], r2, 32);
      CHECK_RC(truce_consistency_verify(s1, s2, r1, 32, r2, 32, &t),
               TRUCE_EBADPROOF);
      t = got;
      memmove(t.hash[1], t.hash[0], t.n * 32);
      memcpy(t.hash[0], r1, 32);
      t.n++;
      CHECK_RC(truce_consistency_verify(s1, s2, r1, 32, r2, 32, &t),
               TRUCE_EBADPROOF);
      CHECK_RC(truce_consistency_verify(s2, s1, r2, 32, r1, 32, &got),
               TRUCE_EBADPROOF);
      malformed += 4;
    }
  }
  fprintf(stderr,
          "consistency: %" PRIu64 " proofs (every pair 1 <= size1 <= size2 "
          "<= %d) generated == naive SUBPROOF and verified; %" PRIu64
          " forgeries -> EPROOF, %" PRIu64 " malformed -> EBADPROOF\n",
          pairs, PROP_MAX, forged, malformed);
  CHECK_EQ_U64(pairs, (uint64_t)PROP_MAX * (PROP_MAX + 1) / 2);
}

/* ------------------------------------------------------------------ */
/* Edge cases and errors                                                */
/* ------------------------------------------------------------------ */

/* A tree whose every leaf hash is the same: subtree hashes depend on the
 * height only, so trees of 2^64 - 1 leaves are cheap to prove. */
static uint8_t uniform[64][32];

static truce_err uniform_node(void *ctx, unsigned height, uint64_t index,
                              uint8_t out[32]) {
  (void)ctx;
  (void)index;
  if (height > 63)
    return TRUCE_ENOTFOUND;
  memcpy(out, uniform[height], 32);
  return TRUCE_OK;
}

static int fail_after;
static truce_err failing_node(void *ctx, unsigned height, uint64_t index,
                              uint8_t out[32]) {
  if (fail_after-- <= 0)
    return TRUCE_EIO;
  return truce_leaves_node(ctx, height, index, out);
}

TEST(huge_trees) {
  truce_leaf_hash("x", 1, uniform[0]);
  for (int h = 1; h < 64; h++)
    truce_node_hash(uniform[h - 1], uniform[h - 1], uniform[h]);
  static const uint64_t sizes[] = {1,
                                   2,
                                   3,
                                   5,
                                   12345,
                                   (uint64_t)1 << 62,
                                   ((uint64_t)1 << 63) - 1,
                                   (uint64_t)1 << 63,
                                   ((uint64_t)1 << 63) + 1,
                                   UINT64_MAX - 2,
                                   UINT64_MAX - 1,
                                   UINT64_MAX};
  const size_t ns = sizeof sizes / sizeof sizes[0];
  uint8_t roots[sizeof sizes / sizeof sizes[0]][32];
  for (size_t i = 0; i < ns; i++)
    CHECK_OK(truce_tree_root(uniform_node, NULL, sizes[i], roots[i]));
  size_t incl = 0, cons = 0, toobig = 0;
  for (size_t i = 0; i < ns; i++) {
    uint64_t size = sizes[i];
    uint64_t idx[] = {0, 1, size / 2, size - 2, size - 1};
    for (size_t k = 0; k < sizeof idx / sizeof idx[0]; k++) {
      if (idx[k] >= size)
        continue;
      truce_proof p;
      counting c = {uniform_node, NULL, size, 0, 0};
      CHECK_OK(truce_inclusion_prove(counting_node, &c, idx[k], size, &p));
      CHECK_EQ_U64(p.n, naive_path_len(idx[k], size));
      CHECK_EQ_U64(c.outside, 0);
      CHECK_OK(truce_inclusion_verify(idx[k], size, uniform[0], &p, roots[i],
                                      32));
      if (p.n) {
        p.n--;
        CHECK_RC(truce_inclusion_verify(idx[k], size, uniform[0], &p,
                                        roots[i], 32),
                 TRUCE_EBADPROOF);
      }
      incl++;
    }
    for (size_t j = 0; j < ns; j++) {
      if (sizes[j] > size)
        continue;
      truce_proof p;
      counting c = {uniform_node, NULL, size, 0, 0};
      size_t want = naive_subproof_len(sizes[j], size, 1);
      truce_err rc =
          truce_consistency_prove(counting_node, &c, sizes[j], size, &p);
      if (want > TRUCE_PROOF_MAX) {
        /* e.g. 2^63 - 1 -> 2^64 - 1 needs 65 hashes: refused, not
         * overflowed, and nothing asked of the source */
        CHECK_RC(rc, TRUCE_ETOOBIG);
        CHECK_EQ_U64(p.n, 0);
        CHECK_EQ_U64(c.calls, 0);
        toobig++;
        continue;
      }
      CHECK_OK(rc);
      CHECK_EQ_U64(p.n, want);
      CHECK_EQ_U64(c.outside, 0);
      CHECK_OK(truce_consistency_verify(sizes[j], size, roots[j], 32,
                                        roots[i], 32, &p));
      cons++;
    }
  }
  fprintf(stderr, "huge trees (up to 2^64 - 1 leaves): %zu inclusion and %zu "
                  "consistency proofs verified, %zu refused as longer than "
                  "%d hashes\n", incl, cons, toobig, TRUCE_PROOF_MAX);
  CHECK(toobig > 0);
}

TEST(verify_edges) {
  uint8_t a[32], b[32];
  memset(a, 0xaa, 32);
  memset(b, 0xbb, 32);
  truce_proof empty, p;
  memset(&empty, 0, sizeof empty);
  /* consistency: the transparency-dev/merkle rules, one by one */
  CHECK_RC(truce_consistency_verify(0, 0, a, 32, a, 32, &empty),
           TRUCE_EBADPROOF);
  CHECK_RC(truce_consistency_verify(0, 5, a, 32, b, 32, &empty),
           TRUCE_EBADPROOF);
  CHECK_RC(truce_consistency_verify(3, 3, a, 32, a, 32, &empty), TRUCE_OK);
  CHECK_RC(truce_consistency_verify(3, 3, a, 12, a, 12, &empty), TRUCE_OK);
  CHECK_RC(truce_consistency_verify(3, 3, a, 0, NULL, 0, &empty), TRUCE_OK);
  CHECK_RC(truce_consistency_verify(3, 3, a, 32, b, 32, &empty),
           TRUCE_EPROOF);
  CHECK_RC(truce_consistency_verify(3, 3, a, 32, a, 31, &empty),
           TRUCE_EPROOF);
  CHECK_RC(truce_consistency_verify(4, 3, a, 32, b, 32, &empty),
           TRUCE_EBADPROOF);
  CHECK_RC(truce_consistency_verify(3, 4, a, 32, b, 32, &empty),
           TRUCE_EBADPROOF);
  memset(&p, 0, sizeof p);
  p.n = 3; /* the right length for 3 -> 4, but not the right hashes */
  CHECK_RC(truce_consistency_verify(3, 4, a, 31, b, 32, &p), TRUCE_EBADPROOF);
  CHECK_RC(truce_consistency_verify(3, 4, a, 32, b, 33, &p), TRUCE_EBADPROOF);
  CHECK_RC(truce_consistency_verify(3, 4, a, 32, b, 32, &p), TRUCE_EPROOF);
  p.n = TRUCE_PROOF_MAX + 1; /* a corrupt struct is refused, not read */
  CHECK_RC(truce_consistency_verify(3, 4, a, 32, b, 32, &p), TRUCE_EBADPROOF);
  CHECK_RC(truce_inclusion_verify(0, 4, a, &p, b, 32), TRUCE_EBADPROOF);
  CHECK_RC(truce_consistency_verify(3, 4, NULL, 32, b, 32, &empty),
           TRUCE_EINVAL);
  CHECK_RC(truce_consistency_verify(3, 4, a, 32, b, 32, NULL), TRUCE_EINVAL);
  /* inclusion */
  CHECK_RC(truce_inclusion_verify(0, 0, a, &empty, a, 32), TRUCE_EBADPROOF);
  CHECK_RC(truce_inclusion_verify(0, 1, a, &empty, a, 32), TRUCE_OK);
  CHECK_RC(truce_inclusion_verify(0, 1, a, &empty, b, 32), TRUCE_EPROOF);
  CHECK_RC(truce_inclusion_verify(0, 1, a, &empty, a, 0), TRUCE_EBADPROOF);
  CHECK_RC(truce_inclusion_verify(UINT64_MAX, UINT64_MAX, a, &empty, a, 32),
           TRUCE_EBADPROOF);
  CHECK_RC(truce_inclusion_verify(0, 1, NULL, &empty, a, 32), TRUCE_EINVAL);
  CHECK_RC(truce_inclusion_verify(0, 1, a, NULL, a, 32), TRUCE_EINVAL);
  CHECK_RC(truce_inclusion_verify(0, 1, a, &empty, NULL, 32), TRUCE_EINVAL);
}

TEST(decode_errors) {
  char err[TRUCE_ERR_MAX];
  truce_proof p;
  const char *good = "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=";
  const char *two[] = {good, good};
  CHECK_OK(truce_proof_from_base64(two, 2, &p, err));
  CHECK_EQ_U64(p.n, 2);
  CHECK_OK(truce_proof_from_base64(NULL, 0, &p, err));
  CHECK_EQ_U64(p.n, 0);
  static const char *bad[] = {
      "",                                             /* 0 bytes */
      "AAAA",                                         /* 3 bytes */
      "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0",  /* no padding */
      "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=AAAA", /* 35 bytes */
      "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB1=", /* bad trailing bits */
      "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevo!0=", /* not base64 */
      " bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=", /* whitespace */
      ("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), /* 90 bytes */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *in[] = {good, bad[i]};
    err[0] = '\0';
    CHECK_RC(truce_proof_from_base64(in, 2, &p, err), TRUCE_EBADPROOF);
    CHECK_EQ_U64(p.n, 0);
    CHECK_CONTAINS(err, "proof hash 1");
  }
  const char *many[TRUCE_PROOF_MAX + 1];
  for (size_t i = 0; i <= TRUCE_PROOF_MAX; i++)
    many[i] = good;
  CHECK_OK(truce_proof_from_base64(many, TRUCE_PROOF_MAX, &p, err));
  CHECK_RC(truce_proof_from_base64(many, TRUCE_PROOF_MAX + 1, &p, err),
           TRUCE_EBADPROOF);
  CHECK_CONTAINS(err, "65 hashes");
  const char *withnull[] = {good, NULL};
  CHECK_RC(truce_proof_from_base64(withnull, 2, &p, err), TRUCE_EBADPROOF);
  CHECK_RC(truce_proof_from_base64(two, 2, NULL, err), TRUCE_EINVAL);
  CHECK_RC(truce_proof_from_base64(two, 2, &p, NULL), TRUCE_OK);
}

TEST(prove_errors) {
  prop_leaves();
  truce_leaves lv = {(const uint8_t(*)[32])prop_leaf, 10};
  truce_proof p;
  uint8_t out[32];
  CHECK_RC(truce_inclusion_prove(truce_leaves_node, &lv, 10, 10, &p),
           TRUCE_EINVAL);
  CHECK_RC(truce_inclusion_prove(NULL, &lv, 1, 10, &p), TRUCE_EINVAL);
  CHECK_RC(truce_consistency_prove(truce_leaves_node, &lv, 0, 10, &p),
           TRUCE_EINVAL);
  CHECK_RC(truce_consistency_prove(truce_leaves_node, &lv, 5, 4, &p),
           TRUCE_EINVAL);
  CHECK_OK(truce_consistency_prove(truce_leaves_node, &lv, 7, 7, &p));
  CHECK_EQ_U64(p.n, 0);
  /* a tree larger than the leaves: the source's error comes through and
   * the output is zeroed */
  CHECK_RC(truce_inclusion_prove(truce_leaves_node, &lv, 3, 11, &p),
           TRUCE_ENOTFOUND);
  CHECK_EQ_U64(p.n, 0);
  CHECK_RC(truce_tree_root(truce_leaves_node, &lv, 11, out), TRUCE_ENOTFOUND);
  CHECK_RC(truce_tree_root(NULL, &lv, 1, out), TRUCE_EINVAL);
  for (int k = 0; k < 4; k++) {
    fail_after = k;
    CHECK_RC(truce_inclusion_prove(failing_node, &lv, 2, 7, &p), TRUCE_EIO);
    CHECK_EQ_U64(p.n, 0);
    fail_after = k;
    CHECK_RC(truce_consistency_prove(failing_node, &lv, 3, 7, &p), TRUCE_EIO);
    CHECK_EQ_U64(p.n, 0);
  }
  /* truce_leaves_node refuses what is not a complete subtree inside */
  CHECK_RC(truce_leaves_node(&lv, 0, 10, out), TRUCE_ENOTFOUND);
  CHECK_RC(truce_leaves_node(&lv, 2, 2, out), TRUCE_ENOTFOUND);
  CHECK_RC(truce_leaves_node(&lv, 3, 1, out), TRUCE_ENOTFOUND);
  CHECK_RC(truce_leaves_node(&lv, 64, 0, out), TRUCE_ENOTFOUND);
  CHECK_RC(truce_leaves_node(&lv, 1, UINT64_MAX, out), TRUCE_ENOTFOUND);
  CHECK_RC(truce_leaves_node(NULL, 0, 0, out), TRUCE_EINVAL);
  CHECK_OK(truce_leaves_node(&lv, 3, 0, out));
  uint8_t want[32];
  naive_mth((const uint8_t(*)[32])prop_leaf, 8, want);
  CHECK(memcmp(out, want, 32) == 0);
}

/* ------------------------------------------------------------------ */
/* Sigstore Rekor v2: real proofs from a production-style log           */
/* ------------------------------------------------------------------ */

/* The log layer's reading of a checkpoint body: origin, size, root. */
static int body_matches(const char *note, const char *origin, uint64_t size,
                        const char *root_b64) {
  char want[512];
  int n = snprintf(want, sizeof want, "%s\n%" PRIu64 "\n%s\n", origin, size,
                   root_b64);
  return n > 0 && (size_t)n < sizeof want &&
         strncmp(note, want, (size_t)n) == 0;
}

TEST(rekor_v2) {
  const char *path = shared_path(VEC "extracted/rekor_v2_e2e_vectors.json");
  if (!path)
    SKIP("../shared/" VEC "extracted/rekor_v2_e2e_vectors.json absent");
  json_t *j = load_json(path, NULL);
  CHECK(j != NULL);
  if (!j)
    return;
  json_t *cases = json_object_get(j, "cases");
  size_t verified = 0, no_proof = 0, bodies = 0;
  for (size_t i = 0; i < json_array_size(cases); i++) {
    json_t *c = json_array_get(cases, i);
    const char *name = json_string_value(json_object_get(c, "case"));
    json_t *proof_json = json_object_get(c, "inclusion_proof_b64");
    json_t *results = json_object_get(c, "check_results");
    if (!proof_json) {
      /* Fails at the inclusion layer: there is nothing to verify. */
      CHECK_MSG(json_object_get(c, "skipped") && !results,
                "%s: no proof but not marked skipped", name);
      no_proof++;
      continue;
    }
    const char *data_b64 = json_string_value(json_object_get(c, "leaf_data_b64"));
    CHECK(data_b64 != NULL);
    if (!data_b64)
      continue;
    size_t cap = strlen(data_b64) / 4 * 3 + 3, len = 0;
    uint8_t *data = malloc(cap);
    CHECK_OK(truce_base64_decode(data_b64, strlen(data_b64), data, cap, &len));
    uint8_t leaf[32], want_leaf[32], root[32];
    truce_leaf_hash(data, len, leaf);
    free(data);
    hex32(json_object_get(c, "leaf_hash_hex"), want_leaf);
    CHECK_MSG(memcmp(leaf, want_leaf, 32) == 0, "%s: leaf hash", name);
    const char *root_b64 = json_string_value(json_object_get(c, "root_hash_b64"));
    CHECK_EQ_U64(b64_bytes(json_object_get(c, "root_hash_b64"), root, 32), 32);
    uint64_t idx = 0, size = 0;
    CHECK(get_u64(c, NULL, "leaf_index", &idx));
    CHECK(get_u64(c, NULL, "tree_size", &size));
    truce_proof p;
    char err[TRUCE_ERR_MAX];
    CHECK_OK(proof_from_b64_json(proof_json, &p, err));
    truce_err rc = truce_inclusion_verify(idx, size, leaf, &p, root, 32);
    int want_ok = json_is_true(json_object_get(results, "inclusion_proof_verifies"));
    CHECK_MSG((rc == TRUCE_OK) == want_ok, "%s: inclusion %s, want %s", name,
              truce_strerror(rc), want_ok ? "success" : "failure");
    verified += rc == TRUCE_OK;
    /* and a leaf that is not the logged one does not verify */
    leaf[0] ^= 1;
    CHECK_RC(truce_inclusion_verify(idx, size, leaf, &p, root, 32),
             TRUCE_EPROOF);
    /* the checkpoint body names this tree iff the vectors say so */
    const char *note = json_string_value(json_object_get(c, "checkpoint_note"));
    const char *origin = json_string_value(json_object_get(c, "log_origin"));
    int want_body =
        json_is_true(json_object_get(results, "checkpoint_body_matches_proof"));
    CHECK_MSG(note && origin && root_b64 &&
                  body_matches(note, origin, size, root_b64) == want_body,
              "%s: checkpoint body", name);
    bodies++;
  }
  fprintf(stderr,
          "rekor v2: %zu cases: %zu inclusion proofs verified, %zu without a "
          "proof (fail at the inclusion layer), %zu checkpoint bodies "
          "compared\n",
          json_array_size(cases), verified, no_proof, bodies);
  CHECK_EQ_U64(verified + no_proof, json_array_size(cases));
  CHECK(no_proof >= 1);
  json_decref(j);
}

int main(void) {
  RUN(transparency_dev_probes);
  RUN(rfc6962_reference);
  RUN(all_proofs_8leaf);
  RUN(roots_match_naive_and_compact);
  RUN(inclusion_properties);
  RUN(consistency_properties);
  RUN(huge_trees);
  RUN(verify_edges);
  RUN(decode_errors);
  RUN(prove_errors);
  RUN(rekor_v2);
  return test_done("test_merkle");
}
