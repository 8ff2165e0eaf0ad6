/*
 * test_tile.c: tile paths (lib/tile.c) and the tiled log layout.
 *
 * Paths: the c2sp.org/tlog-tiles examples, Go sumdb's path cases converted
 * to C2SP, round trips over many indices (a seeded random sample too:
 * TRUCE_SEED=n repeats a run), and strings the strict parser must refuse.
 *
 * Layout: the derived 70,000-entry log of tiles_vectors.json is rebuilt in
 * memory: every tile and entry bundle is compared by path, width and
 * SHA-256, and its roots and proofs are generated twice, over the leaf
 * hashes and over the tiles alone. The tile-only node source here is the
 * model for the log's on-disk reader.
 */
#include "truce.h"

#include "test.h"

#include <jansson.h>

#define VEC "vectors/tlog/"

static json_t *load_json(const char *path) {
  json_error_t e;
  json_t *j = json_load_file(path, 0, &e);
  if (!j)
    fprintf(stderr, "%s:%d: %s\n", path, e.line, e.text);
  return j;
}

static void hex32(json_t *v, uint8_t out[32]) {
  size_t n = 0;
  memset(out, 0, 32);
  CHECK(json_is_string(v));
  if (json_is_string(v))
    CHECK_OK(truce_hex_decode(json_string_value(v), json_string_length(v),
                              out, 32, &n));
  CHECK_EQ_U64(n, 32);
}

static void b64_32(json_t *v, uint8_t out[32]) {
  size_t n = 0;
  memset(out, 0, 32);
  CHECK(json_is_string(v));
  if (json_is_string(v))
    CHECK_OK(truce_base64_decode(json_string_value(v), json_string_length(v),
                                 out, 32, &n));
  CHECK_EQ_U64(n, 32);
}

static uint64_t json_u64(json_t *obj, const char *key) {
  json_t *v = json_object_get(obj, key);
  CHECK_MSG(json_is_integer(v) && json_integer_value(v) >= 0, "field %s",
            key);
  return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

/* Shifts by 64 or more are undefined in C; tiles at level 7 need one. */
static uint64_t shr(uint64_t x, unsigned s) { return s >= 64 ? 0 : x >> s; }

/* ------------------------------------------------------------------ */
/* Paths                                                                */
/* ------------------------------------------------------------------ */

static void roundtrip(int level, uint64_t n, unsigned width) {
  char path[TRUCE_TILE_PATH_MAX];
  CHECK_OK(truce_tile_path(level, n, width, path));
  int l = -99;
  uint64_t m = 0;
  unsigned w = 0;
  CHECK_OK(truce_tile_path_parse(path, &l, &m, &w));
  CHECK_MSG(l == level && m == n && w == (width ? width : 256),
            "%s: %d %" PRIu64 " %u", path, l, m, w);
}

TEST(path_examples) {
  static const struct {
    int level;
    uint64_t n;
    unsigned width;
    const char *path;
  } ex[] = {
      {0, 0, 256, "tile/0/000"},
      {0, 999, 256, "tile/0/999"},
      {0, 1000, 256, "tile/0/x001/000"},
      {3, 999999, 0, "tile/3/x999/999"},
      {63, 1000000, 256, "tile/63/x001/x000/000"},
      {1, 1234067, 256, "tile/1/x001/x234/067"},
      {0, 273, 112, "tile/0/273.p/112"},
      {2, 0, 1, "tile/2/000.p/1"},
      {0, 5, 255, "tile/0/005.p/255"},
      {TRUCE_TILE_ENTRIES, 0, 256, "tile/entries/000"},
      {TRUCE_TILE_ENTRIES, 1234067, 7, "tile/entries/x001/x234/067.p/7"},
      {TRUCE_TILE_ENTRIES, UINT64_MAX, 255,
       "tile/entries/x018/x446/x744/x073/x709/x551/615.p/255"},
      {63, UINT64_MAX, 256, "tile/63/x018/x446/x744/x073/x709/x551/615"},
  };
  for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
    char path[TRUCE_TILE_PATH_MAX];
    CHECK_OK(truce_tile_path(ex[i].level, ex[i].n, ex[i].width, path));
    CHECK_STR(path, ex[i].path);
    roundtrip(ex[i].level, ex[i].n, ex[i].width);
  }
  /* The longest path fits with room to spare. */
  char path[TRUCE_TILE_PATH_MAX];
  CHECK_OK(truce_tile_path(TRUCE_TILE_ENTRIES, UINT64_MAX, 255, path));
  CHECK(strlen(path) < TRUCE_TILE_PATH_MAX);
  /* Formatting refuses what has no path. */
  CHECK_RC(truce_tile_path(-2, 0, 256, path), TRUCE_EINVAL);
  CHECK_STR(path, "");
  CHECK_RC(truce_tile_path(64, 0, 256, path), TRUCE_EINVAL);
  CHECK_RC(truce_tile_path(0, 0, 257, path), TRUCE_EINVAL);
  CHECK_RC(truce_tile_path(0, 0, 256, NULL), TRUCE_EINVAL);
}

TEST(path_roundtrips) {
  static const uint64_t ns[] = {0,       1,        9,         10,
                                99,      100,      999,       1000,
                                1001,    999999,   1000000,   1000001,
                                1234067, 70000,    UINT64_MAX, UINT64_MAX - 1,
                                (uint64_t)1 << 63, 999999999999999999u,
                                1000000000000000000u, 10000000000000000000u};
  static const int levels[] = {TRUCE_TILE_ENTRIES, 0, 1, 2, 7, 9, 10, 63};
  static const unsigned widths[] = {0, 1, 2, 99, 100, 112, 255, 256};
  size_t n = 0;
  for (size_t a = 0; a < sizeof ns / sizeof ns[0]; a++)
    for (size_t b = 0; b < sizeof levels / sizeof levels[0]; b++)
      for (size_t c = 0; c < sizeof widths / sizeof widths[0]; c++, n++)
        roundtrip(levels[b], ns[a], widths[c]);
  for (int l = -1; l <= 63; l++, n++)
    roundtrip(l, 42, 256);
  for (unsigned w = 0; w <= 256; w++, n++)
    roundtrip(0, 42, w);

  /* A seeded sample of every magnitude. */
  const char *env = getenv("TRUCE_SEED");
  uint64_t seed = env ? strtoull(env, NULL, 10) : 20240601u;
  fprintf(stderr, "path round trips: seed %" PRIu64 " (TRUCE_SEED)\n", seed);
  uint64_t x = seed;
  for (int i = 0; i < 20000; i++, n++) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    uint64_t v = x >> (x % 64);
    int level = (int)((x >> 8) % 65) - 1;
    unsigned width = (unsigned)((x >> 20) % 257);
    roundtrip(level, v, width);
  }
  fprintf(stderr, "path round trips: %zu\n", n);
}

TEST(path_rejects) {
  static const char *bad[] = {
      "",
      "tile",
      "tile/",
      "tile/0",
      "tile/0/",
      "tile/00/000",          /* leading zero in L */
      "tile/01/000",
      "tile/64/000",          /* level 64 */
      "tile/100/000",
      "tile/99999/000",
      "tile/-1/000",
      "tile/+1/000",
      "tile/ 1/000",
      "tile//000",
      "tile/0//000",
      "tile/0/00",            /* N groups are three digits */
      "tile/0/0000",
      "tile/0/1",
      "tile/0/001/",
      "tile/0/x001",          /* the last group has no x */
      "tile/0/x001/x002",
      "tile/0/001/002",       /* missing x */
      "tile/3/5/123/456/078",
      "tile/0/x01/002",
      "tile/0/x0001/002",
      "tile/0/X001/002",
      "tile/0/x000/001",      /* a second spelling of 1 */
      "tile/0/x000/x001/002",
      "tile/0/000.p/0",       /* width 0 */
      "tile/0/000.p/256",     /* 256 is full: no .p */
      "tile/0/000.p/1000",
      "tile/0/000.p/99999999999",
      "tile/0/000.p/01",      /* leading zero in W */
      "tile/0/000.p/",
      "tile/0/000.p",
      "tile/0/000.p/1/",
      "tile/0/000.p/1x",
      "tile/0/000.p/1.p/2",
      "tile/0/000.P/1",
      "tile/0/000p/1",
      "tile/0/000/.p/1",
      "tile/entries/",
      "tile/entries",
      "tile/entries/000.p/256",
      "tile/Entries/000",
      "tile/data/000",        /* Go's name for bundles */
      "tile/8/0/000",         /* Go's path, with the height */
      "tile/8/data/000",
      "tiles/0/000",
      "/tile/0/000",
      " tile/0/000",
      "tile/0/000 ",
      "tile/0/000\n",
      "tile/0/000/",
      "tile/0/0a0",
      "tile/0/x018/x446/x744/x073/x709/x551/616", /* UINT64_MAX + 1 */
      "tile/0/x999/x999/x999/x999/x999/x999/999",
      "tile/0/x001/x000/x000/x000/x000/x000/x000/000",
      "tile/0/x001/x000/x000/x000/x000/x000/x000/x000/x000/x000/x000/000",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int level = 5;
    uint64_t n = 5;
    unsigned width = 5;
    truce_err rc = truce_tile_path_parse(bad[i], &level, &n, &width);
    CHECK_MSG(rc == TRUCE_EPARSE || rc == TRUCE_ERANGE,
              "\"%s\" gave %d (%s)", bad[i], (int)rc, truce_strerror(rc));
    CHECK_MSG(level == 0 && n == 0 && width == 0,
              "\"%s\": outputs not zeroed", bad[i]);
  }
  /* out of range, as distinct from malformed */
  CHECK_RC(truce_tile_path_parse("tile/64/000", NULL, NULL, NULL),
           TRUCE_ERANGE);
  CHECK_RC(truce_tile_path_parse("tile/0/000.p/256", NULL, NULL, NULL),
           TRUCE_ERANGE);
  CHECK_RC(truce_tile_path_parse("tile/0/000.p/0", NULL, NULL, NULL),
           TRUCE_ERANGE);
  CHECK_RC(truce_tile_path_parse(
               "tile/0/x018/x446/x744/x073/x709/x551/616", NULL, NULL, NULL),
           TRUCE_ERANGE);
  CHECK_RC(truce_tile_path_parse("tile/00/000", NULL, NULL, NULL),
           TRUCE_EPARSE);
  CHECK_RC(truce_tile_path_parse(NULL, NULL, NULL, NULL), TRUCE_EINVAL);
  /* the largest N parses */
  uint64_t n = 0;
  CHECK_OK(truce_tile_path_parse("tile/0/x018/x446/x744/x073/x709/x551/615",
                                 NULL, &n, NULL));
  CHECK_EQ_U64(n, UINT64_MAX);
  fprintf(stderr, "path rejects: %zu\n", sizeof bad / sizeof bad[0]);
}

/* Which tiles a tree of `size` has: full[l] full tiles and one partial
 * tile of width partial[l] (0: none) at each level l. */
static void tile_layout(uint64_t size, uint64_t full[9], unsigned partial[9]) {
  for (unsigned l = 0; l < 9; l++) {
    uint64_t hashes = shr(size, 8 * l);
    full[l] = hashes / 256;
    partial[l] = (unsigned)(hashes % 256);
  }
}

TEST(c2sp_examples) {
  const char *path = shared_path(VEC "extracted/tiles_vectors.json");
  if (!path)
    SKIP("../shared/" VEC "extracted/tiles_vectors.json absent");
  json_t *j = load_json(path);
  CHECK(j != NULL);
  if (!j)
    return;
  json_t *ex = json_object_get(j, "c2sp_examples");

  const char *comp =
      json_string_value(json_object_get(ex, "index_1234067_path_component"));
  char p[TRUCE_TILE_PATH_MAX], want[TRUCE_TILE_PATH_MAX];
  CHECK_OK(truce_tile_path(0, 1234067, 256, p));
  snprintf(want, sizeof want, "tile/0/%s", comp ? comp : "?");
  CHECK_STR(p, want);
  CHECK_OK(truce_tile_path(TRUCE_TILE_ENTRIES, 1234067, 256, p));
  snprintf(want, sizeof want, "tile/entries/%s", comp ? comp : "?");
  CHECK_STR(p, want);

  /* "273 full level-0 tiles, level-0 partial width 112, 1 full level-1
   * tile, level-1 partial width 17, level-2 partial width 1" */
  uint64_t full[9];
  unsigned partial[9];
  unsigned f0 = 0, p0 = 0, f1 = 0, p1 = 0, p2 = 0;
  const char *d70 = json_string_value(json_object_get(ex, "tree_size_70000"));
  CHECK(d70 && sscanf(d70,
                      "%u full level-0 tiles, level-0 partial width %u, %u "
                      "full level-1 tile, level-1 partial width %u, level-2 "
                      "partial width %u",
                      &f0, &p0, &f1, &p1, &p2) == 5);
  tile_layout(70000, full, partial);
  CHECK_EQ_U64(full[0], f0);
  CHECK_EQ_U64(partial[0], p0);
  CHECK_EQ_U64(full[1], f1);
  CHECK_EQ_U64(partial[1], p1);
  CHECK_EQ_U64(full[2], 0);
  CHECK_EQ_U64(partial[2], p2);
  CHECK_EQ_U64(full[3] + partial[3], 0);

  /* "one full level-0 tile + partial level-1 tile of width 1" */
  const char *d256 = json_string_value(json_object_get(ex, "tree_size_256"));
  unsigned w1 = 0;
  CHECK(d256 && sscanf(d256,
                       "one full level-0 tile + partial level-1 tile of "
                       "width %u",
                       &w1) == 1);
  tile_layout(256, full, partial);
  CHECK_EQ_U64(full[0], 1);
  CHECK_EQ_U64(partial[0], 0);
  CHECK_EQ_U64(full[1], 0);
  CHECK_EQ_U64(partial[1], w1);
  CHECK_EQ_U64(full[2] + partial[2], 0);
  json_decref(j);
}

/* Go: tile/<H>/<L>/<N>[.p/<W>] and tile/<H>/data/<N>; C2SP drops H (always
 * 8) and calls bundles "entries". */
static int go_to_c2sp(const char *go, char *out, size_t cap) {
  if (strncmp(go, "tile/", 5) != 0)
    return -1;
  const char *p = go + 5;
  while (*p >= '0' && *p <= '9')
    p++;
  if (p == go + 5 || *p != '/')
    return -1;
  p++;
  if (strncmp(p, "data/", 5) == 0)
    snprintf(out, cap, "tile/entries/%s", p + 5);
  else
    snprintf(out, cap, "tile/%s", p);
  return 0;
}

TEST(go_sumdb_paths) {
  const char *path = shared_path(VEC "extracted/tiles_vectors.json");
  if (!path)
    SKIP("../shared/" VEC "extracted/tiles_vectors.json absent");
  json_t *j = load_json(path);
  CHECK(j != NULL);
  if (!j)
    return;
  json_t *cases =
      json_object_get(json_object_get(j, "go_sumdb_tile_paths"), "cases");
  size_t valid = 0, invalid = 0, direct = 0;
  for (size_t i = 0; i < json_array_size(cases); i++) {
    json_t *c = json_array_get(cases, i);
    const char *go = json_string_value(json_object_get(c, "go_path"));
    char c2sp[256];
    CHECK(go && go_to_c2sp(go, c2sp, sizeof c2sp) == 0);
    if (!go)
      continue;
    int level = 0;
    uint64_t n = 0;
    unsigned width = 0;
    truce_err rc = truce_tile_path_parse(c2sp, &level, &n, &width);
    if (!json_is_true(json_object_get(c, "valid"))) {
      CHECK_MSG(rc != TRUCE_OK, "%s (as %s) parsed", go, c2sp);
      invalid++;
      continue;
    }
    CHECK_MSG(rc == TRUCE_OK, "%s (as %s): %s", go, c2sp, truce_strerror(rc));
    json_int_t H = json_integer_value(json_object_get(c, "H"));
    json_int_t L = json_integer_value(json_object_get(c, "L"));
    uint64_t N = json_u64(c, "N");
    unsigned W = (unsigned)json_integer_value(json_object_get(c, "W"));
    CHECK_EQ_U64((uint64_t)(int64_t)level, (uint64_t)(int64_t)L);
    CHECK_EQ_U64(n, N);
    int is_partial = strstr(go, ".p/") != NULL;
    /* The N encoding (and the .p/W suffix) is the same in both schemes;
     * a full Go tile of height H < 8 is W = 2^H wide, which C2SP would
     * spell as a partial tile: only H == 8 maps whole. */
    if (H == 8 || is_partial) {
      CHECK_EQ_U64(width, W);
      char back[TRUCE_TILE_PATH_MAX];
      CHECK_OK(truce_tile_path(level, n, width, back));
      CHECK_STR(back, c2sp);
      direct += H == 8;
    } else {
      CHECK_EQ_U64(width, 256);
      CHECK_EQ_U64(W, (uint64_t)1 << H);
    }
    char back[TRUCE_TILE_PATH_MAX];
    CHECK_OK(truce_tile_path(level, n, 256, back));
    const char *nb = strchr(back + 5, '/'), *nc = strchr(c2sp + 5, '/');
    size_t nlen = strcspn(nc ? nc : "", ".");
    CHECK_MSG(nb && nc && strlen(nb) == nlen && strncmp(nb, nc, nlen) == 0,
              "N part of %s", go);
    valid++;
  }
  fprintf(stderr,
          "go sumdb paths: %zu valid (%zu with H == 8), %zu invalid\n", valid,
          direct, invalid);
  CHECK_EQ_U64(valid + invalid, json_array_size(cases));
  json_decref(j);
}

/* ------------------------------------------------------------------ */
/* The derived 70,000-entry log                                         */
/* ------------------------------------------------------------------ */

#define LOG_SIZE 70000
#define MAX_TILES 300

typedef struct tile {
  int level;
  uint64_t index;
  unsigned width;
  char path[TRUCE_TILE_PATH_MAX];
  const uint8_t *data; /* width * 32 bytes: what the file would hold */
  int seen;
} tile;

typedef struct tileset {
  tile t[MAX_TILES];
  size_t n;
  uint64_t size; /* the tree size these tiles were made for */
  uint64_t reads;
} tileset;

static uint8_t leaf_hash[LOG_SIZE][32];
static uint8_t level_hash[3][LOG_SIZE][32]; /* [0] is a copy of leaf_hash */
static uint64_t level_count[3];
static tileset tiles;
static int log_built;

/* MTH of a complete tree of `count` (a power of two) hashes, by pairing
 * level by level: the test's own, independent of lib/merkle.c. */
static void complete_root(const uint8_t (*h)[32], size_t count,
                          uint8_t out[32]) {
  uint8_t buf[256][32];
  memcpy(buf, h, count * 32);
  for (; count > 1; count /= 2)
    for (size_t i = 0; i < count / 2; i++) {
      uint8_t t[32];
      truce_node_hash(buf[2 * i], buf[2 * i + 1], t);
      memcpy(buf[i], t, 32);
    }
  memcpy(out, buf[0], 32);
}

static void build_log(void) {
  if (log_built)
    return;
  log_built = 1;
  for (int i = 0; i < LOG_SIZE; i++) {
    char s[32];
    int len = snprintf(s, sizeof s, "leaf %d", i);
    truce_leaf_hash(s, (size_t)len, leaf_hash[i]);
  }
  memcpy(level_hash[0], leaf_hash, sizeof leaf_hash);
  level_count[0] = LOG_SIZE;
  /* level l + 1 holds the MTH of each FULL level-l tile */
  for (int l = 0; l + 1 < 3; l++) {
    level_count[l + 1] = level_count[l] / 256;
    for (uint64_t i = 0; i < level_count[l + 1]; i++)
      complete_root((const uint8_t(*)[32])level_hash[l][i * 256], 256,
                    level_hash[l + 1][i]);
  }
  tiles.size = LOG_SIZE;
  for (int l = 0; l < 3; l++) {
    for (uint64_t n = 0; n * 256 < level_count[l]; n++) {
      tile *t = &tiles.t[tiles.n++];
      uint64_t left = level_count[l] - n * 256;
      t->level = l;
      t->index = n;
      t->width = left >= 256 ? 256 : (unsigned)left;
      t->data = level_hash[l][n * 256];
      CHECK_OK(truce_tile_path(l, n, t->width, t->path));
    }
  }
}

static const tile *find_tile(const tileset *ts, const char *path) {
  for (size_t i = 0; i < ts->n; i++)
    if (strcmp(ts->t[i].path, path) == 0)
      return &ts->t[i];
  return NULL;
}

/* A truce_node_fn that answers from the tiles alone, as the on-disk
 * reader will: the subtree of height h at index i lies in tile level
 * h / 8, as 2^(h % 8) consecutive hashes from position i << (h % 8); its
 * hash is theirs, paired up. It reads the full tile if there is one, else
 * the partial tile the tree size implies. */
static truce_err tiles_node(void *ctx, unsigned height, uint64_t index,
                            uint8_t out[32]) {
  tileset *ts = ctx;
  unsigned level = height / 8, r = height % 8;
  if (height > 63 || index > (UINT64_MAX >> r))
    return TRUCE_ENOTFOUND;
  uint64_t first = index << r, tn = first / 256;
  unsigned off = (unsigned)(first % 256), count = 1u << r;
  char path[TRUCE_TILE_PATH_MAX];
  CHECK_OK(truce_tile_path((int)level, tn, 256, path));
  const tile *t = find_tile(ts, path);
  if (!t) {
    unsigned w = (unsigned)(shr(ts->size, 8 * level) % 256);
    if (tn != shr(ts->size, 8 * (level + 1)) || w == 0)
      return TRUCE_ENOTFOUND;
    CHECK_OK(truce_tile_path((int)level, tn, w, path));
    t = find_tile(ts, path);
  }
  if (!t || off + count > t->width)
    return TRUCE_ENOTFOUND;
  ts->reads++;
  complete_root((const uint8_t(*)[32])(t->data + off * 32), count, out);
  return TRUCE_OK;
}

/* Counts calls and flags requests outside the tree. */
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

TEST(derived_log_tiles) {
  const char *path = shared_path(VEC "extracted/tiles_vectors.json");
  if (!path)
    SKIP("../shared/" VEC "extracted/tiles_vectors.json absent");
  json_t *j = load_json(path);
  CHECK(j != NULL);
  if (!j)
    return;
  json_t *dl = json_object_get(j, "derived_log");
  CHECK_EQ_U64(json_u64(dl, "size"), LOG_SIZE);
  build_log();

  json_t *vt = json_object_get(dl, "tiles");
  CHECK_EQ_U64(tiles.n, json_array_size(vt));
  size_t matched = 0;
  for (size_t i = 0; i < json_array_size(vt); i++) {
    json_t *v = json_array_get(vt, i);
    const char *vp = json_string_value(json_object_get(v, "path"));
    int level = 0;
    uint64_t index = 0;
    unsigned width = 0;
    CHECK_OK(truce_tile_path_parse(vp, &level, &index, &width));
    CHECK_EQ_U64((uint64_t)level, json_u64(v, "level"));
    CHECK_EQ_U64(index, json_u64(v, "index"));
    CHECK_EQ_U64(width, json_u64(v, "width"));
    CHECK_EQ_U64((uint64_t)width * 32, json_u64(v, "bytes"));
    tile *t = NULL;
    for (size_t k = 0; k < tiles.n; k++)
      if (tiles.t[k].level == level && tiles.t[k].index == index)
        t = &tiles.t[k];
    CHECK_MSG(t != NULL, "no tile for %s", vp ? vp : "?");
    if (!t)
      continue;
    CHECK_STR(t->path, vp);
    CHECK_EQ_U64(t->width, width);
    uint8_t want[32], got[32];
    hex32(json_object_get(v, "sha256_hex"), want);
    truce_sha256(t->data, (size_t)t->width * 32, got);
    CHECK_MSG(memcmp(got, want, 32) == 0, "digest of %s", t->path);
    hex32(json_object_get(v, "first_hash_hex"), want);
    CHECK(memcmp(t->data, want, 32) == 0);
    hex32(json_object_get(v, "last_hash_hex"), want);
    CHECK(memcmp(t->data + (t->width - 1) * 32, want, 32) == 0);
    CHECK_MSG(!t->seen, "%s listed twice", t->path);
    t->seen = 1;
    matched++;
  }
  for (size_t k = 0; k < tiles.n; k++)
    CHECK_MSG(tiles.t[k].seen, "%s is not in the vectors", tiles.t[k].path);

  /* entry bundles: uint16 big-endian length, then the entry */
  size_t nbundles = 0, bundles_checked = 0;
  json_t *vb = json_object_get(dl, "entry_bundles_first_last");
  for (uint64_t b = 0; b * 256 < LOG_SIZE; b++, nbundles++) {
    uint8_t buf[256 * 16];
    size_t len = 0;
    unsigned width = 0;
    for (uint64_t i = b * 256; i < (b + 1) * 256 && i < LOG_SIZE; i++) {
      char s[32];
      int n = snprintf(s, sizeof s, "leaf %d", (int)i);
      buf[len] = (uint8_t)(n >> 8);
      buf[len + 1] = (uint8_t)n;
      memcpy(buf + len + 2, s, (size_t)n);
      len += 2 + (size_t)n;
      width++;
    }
    char bp[TRUCE_TILE_PATH_MAX];
    CHECK_OK(truce_tile_path(TRUCE_TILE_ENTRIES, b, width, bp));
    for (size_t i = 0; i < json_array_size(vb); i++) {
      json_t *v = json_array_get(vb, i);
      if (json_u64(v, "index") != b)
        continue;
      CHECK_STR(bp, json_string_value(json_object_get(v, "path")));
      CHECK_EQ_U64(width, json_u64(v, "width"));
      CHECK_EQ_U64(len, json_u64(v, "bytes"));
      uint8_t want[32], got[32];
      hex32(json_object_get(v, "sha256_hex"), want);
      truce_sha256(buf, len, got);
      CHECK_MSG(memcmp(got, want, 32) == 0, "digest of %s", bp);
      bundles_checked++;
    }
  }
  CHECK_EQ_U64(nbundles, json_u64(dl, "entry_bundle_count"));
  CHECK_EQ_U64(bundles_checked, json_array_size(vb));
  fprintf(stderr,
          "derived log: %zu tiles matched by path, width and SHA-256 (of "
          "%zu made); %zu bundles made, %zu compared by digest\n",
          matched, tiles.n, nbundles, bundles_checked);
  CHECK_EQ_U64(matched, 277);
  json_decref(j);
}

static void proof_b64(json_t *arr, truce_proof *p) {
  const char *s[TRUCE_PROOF_MAX];
  size_t n = json_array_size(arr);
  CHECK(n <= TRUCE_PROOF_MAX);
  for (size_t i = 0; i < n && i < TRUCE_PROOF_MAX; i++)
    s[i] = json_string_value(json_array_get(arr, i));
  char err[TRUCE_ERR_MAX];
  CHECK_OK(truce_proof_from_base64(s, n, p, err));
}

static int proof_eq(const truce_proof *a, const truce_proof *b) {
  if (a->n != b->n)
    return 0;
  for (size_t i = 0; i < a->n; i++)
    if (memcmp(a->hash[i], b->hash[i], 32) != 0)
      return 0;
  return 1;
}

TEST(derived_log_roots_and_proofs) {
  const char *path = shared_path(VEC "extracted/tiles_vectors.json");
  if (!path)
    SKIP("../shared/" VEC "extracted/tiles_vectors.json absent");
  json_t *j = load_json(path);
  CHECK(j != NULL);
  if (!j)
    return;
  json_t *dl = json_object_get(j, "derived_log");
  build_log();
  truce_leaves lv = {(const uint8_t(*)[32])leaf_hash, LOG_SIZE};

  /* roots, over the leaves and over the tiles alone */
  json_t *roots = json_object_get(dl, "root_hashes_b64_by_size");
  const char *key;
  json_t *val;
  size_t nroots = 0;
  json_object_foreach(roots, key, val) {
    uint64_t size = strtoull(key, NULL, 10);
    uint8_t want[32], a[32], b[32];
    b64_32(val, want);
    counting ca = {truce_leaves_node, &lv, size, 0, 0};
    counting cb = {tiles_node, &tiles, size, 0, 0};
    CHECK_OK(truce_tree_root(counting_node, &ca, size, a));
    CHECK_OK(truce_tree_root(counting_node, &cb, size, b));
    CHECK_MSG(memcmp(a, want, 32) == 0, "root %s over leaves", key);
    CHECK_MSG(memcmp(b, want, 32) == 0, "root %s over tiles", key);
    CHECK_EQ_U64(ca.outside + cb.outside, 0);
    nroots++;
  }
  CHECK_EQ_U64(nroots, 14);

  size_t nincl = 0, ncons = 0;
  json_t *incl = json_object_get(dl, "inclusion_proofs");
  for (size_t i = 0; i < json_array_size(incl); i++) {
    json_t *v = json_array_get(incl, i);
    uint64_t idx = json_u64(v, "leaf_index"), size = json_u64(v, "tree_size");
    const char *data = json_string_value(json_object_get(v, "leaf_data"));
    uint8_t leaf[32], want_leaf[32], root[32];
    truce_leaf_hash(data, data ? strlen(data) : 0, leaf);
    hex32(json_object_get(v, "leaf_hash_hex"), want_leaf);
    CHECK(memcmp(leaf, want_leaf, 32) == 0);
    b64_32(json_object_get(v, "root_b64"), root);
    truce_proof want, a, b;
    proof_b64(json_object_get(v, "proof_b64"), &want);
    counting ca = {truce_leaves_node, &lv, size, 0, 0};
    counting cb = {tiles_node, &tiles, size, 0, 0};
    CHECK_OK(truce_inclusion_prove(counting_node, &ca, idx, size, &a));
    CHECK_OK(truce_inclusion_prove(counting_node, &cb, idx, size, &b));
    CHECK_MSG(proof_eq(&a, &want), "inclusion %" PRIu64 " in %" PRIu64
              " over leaves", idx, size);
    CHECK_MSG(proof_eq(&b, &want), "inclusion %" PRIu64 " in %" PRIu64
              " over tiles", idx, size);
    CHECK_EQ_U64(ca.outside + cb.outside, 0);
    CHECK_OK(truce_inclusion_verify(idx, size, leaf, &want, root, 32));
    nincl++;
  }
  json_t *cons = json_object_get(dl, "consistency_proofs");
  for (size_t i = 0; i < json_array_size(cons); i++) {
    json_t *v = json_array_get(cons, i);
    uint64_t s1 = json_u64(v, "size1"), s2 = json_u64(v, "size2");
    uint8_t r1[32], r2[32];
    b64_32(json_object_get(v, "root1_b64"), r1);
    b64_32(json_object_get(v, "root2_b64"), r2);
    truce_proof want, a, b;
    proof_b64(json_object_get(v, "proof_b64"), &want);
    counting ca = {truce_leaves_node, &lv, s2, 0, 0};
    counting cb = {tiles_node, &tiles, s2, 0, 0};
    CHECK_OK(truce_consistency_prove(counting_node, &ca, s1, s2, &a));
    CHECK_OK(truce_consistency_prove(counting_node, &cb, s1, s2, &b));
    CHECK_MSG(proof_eq(&a, &want), "consistency %" PRIu64 " -> %" PRIu64
              " over leaves", s1, s2);
    CHECK_MSG(proof_eq(&b, &want), "consistency %" PRIu64 " -> %" PRIu64
              " over tiles", s1, s2);
    CHECK_EQ_U64(ca.outside + cb.outside, 0);
    CHECK_OK(truce_consistency_verify(s1, s2, r1, 32, r2, 32, &want));
    ncons++;
  }
  fprintf(stderr,
          "derived log: %zu roots, %zu inclusion and %zu consistency proofs "
          "generated byte-equal over leaves and over tiles (%" PRIu64
          " tile reads), and verified\n",
          nroots, nincl, ncons, tiles.reads);
  CHECK_EQ_U64(nincl, 8);
  CHECK_EQ_U64(ncons, 8);
  json_decref(j);
}

/* Every root and a spread of proofs up to 70,000, over the tiles, against
 * the leaves: the tile reader model agrees everywhere, not only at the
 * vectors' sizes. */
TEST(tiles_node_agrees_with_leaves) {
  build_log();
  truce_leaves lv = {(const uint8_t(*)[32])leaf_hash, LOG_SIZE};
  size_t checked = 0;
  for (uint64_t size = 1; size <= LOG_SIZE; size += 1 + size / 7) {
    uint8_t a[32], b[32];
    CHECK_OK(truce_tree_root(truce_leaves_node, &lv, size, a));
    CHECK_OK(truce_tree_root(tiles_node, &tiles, size, b));
    CHECK_MSG(memcmp(a, b, 32) == 0, "root %" PRIu64, size);
    uint64_t idx[] = {0, size / 3, size - 1};
    for (size_t k = 0; k < 3; k++) {
      truce_proof pa, pb;
      CHECK_OK(truce_inclusion_prove(tiles_node, &tiles, idx[k], size, &pb));
      CHECK_OK(truce_inclusion_verify(idx[k], size, leaf_hash[idx[k]], &pb,
                                      a, 32));
      CHECK_OK(truce_inclusion_prove(truce_leaves_node, &lv, idx[k], size,
                                     &pa));
      CHECK(proof_eq(&pa, &pb));
    }
    uint64_t s1 = size / 2 + 1;
    uint8_t r1[32];
    truce_proof pc;
    CHECK_OK(truce_tree_root(tiles_node, &tiles, s1, r1));
    CHECK_OK(truce_consistency_prove(tiles_node, &tiles, s1, size, &pc));
    CHECK_OK(truce_consistency_verify(s1, size, r1, 32, a, 32, &pc));
    checked++;
  }
  /* past the tiles' size there is nothing to read */
  uint8_t out[32];
  CHECK_RC(truce_tree_root(tiles_node, &tiles, LOG_SIZE + 1, out),
           TRUCE_ENOTFOUND);
  fprintf(stderr, "tile reader model: %zu sizes agree with the leaves\n",
          checked);
}

int main(void) {
  RUN(path_examples);
  RUN(path_roundtrips);
  RUN(path_rejects);
  RUN(c2sp_examples);
  RUN(go_sumdb_paths);
  RUN(derived_log_tiles);
  RUN(derived_log_roots_and_proofs);
  RUN(tiles_node_agrees_with_leaves);
  return test_done("test_tile");
}
