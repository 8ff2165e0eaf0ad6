/*
 * tiles.c: reading a Merkle tree out of c2sp.org/tlog-tiles files: the
 * hash of any complete subtree (for roots and proofs) and any entry, for a
 * given tree size. Used by the live log (with its right edge in memory)
 * and by auditors over a mirrored folder (truce_tiles). Never writes.
 *
 * A subtree of height h lies in the tiles of level h / 8: its hash is the
 * Merkle hash of 2^(h % 8) consecutive hashes of one tile.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

unsigned tile_width(int level, uint64_t index, uint64_t size) {
  unsigned shift = level < 0 ? 0 : (unsigned)level * TILE_H;
  if (shift >= 64)
    return 0;
  uint64_t count = size >> shift; /* hashes (or entries) at this level */
  if (index > (UINT64_MAX >> TILE_H))
    return 0;
  uint64_t start = index << TILE_H;
  if (count <= start)
    return 0;
  uint64_t w = count - start;
  return w >= 256 ? 256u : (unsigned)w;
}

void hash_run(const uint8_t (*h)[32], unsigned n, uint8_t out[32]) {
  /* n is a power of two <= 256: fold pairwise in a scratch copy. */
  uint8_t tmp[128][32];
  if (n == 1) {
    memcpy(out, h[0], 32);
    return;
  }
  for (unsigned i = 0; i < n / 2; i++)
    truce_node_hash(h[2 * i], h[2 * i + 1], tmp[i]);
  for (unsigned m = n / 2; m > 1; m /= 2)
    for (unsigned i = 0; i < m / 2; i++)
      truce_node_hash(tmp[2 * i], tmp[2 * i + 1], tmp[i]);
  memcpy(out, tmp[0], 32);
}

truce_err bundle_next(const uint8_t *b, size_t len, size_t *off,
                      const uint8_t **entry, size_t *entry_len) {
  *entry = NULL;
  *entry_len = 0;
  if (*off >= len)
    return TRUCE_ENOTFOUND;
  if (len - *off < 2)
    return TRUCE_ETAMPER;
  size_t n = get_be16(b + *off);
  if (len - *off - 2 < n)
    return TRUCE_ETAMPER;
  *entry = b + *off + 2;
  *entry_len = n;
  *off += 2 + n;
  return TRUCE_OK;
}

/* ---- the reader ---- */

truce_err tile_reader_init(tile_reader *r, int dirfd, uint64_t size,
                           char *err) {
  memset(r, 0, sizeof *r);
  r->dirfd = dirfd;
  r->size = size;
  r->err = err;
  r->cache = truce_calloc(TILE_CACHE, sizeof *r->cache);
  if (!r->cache)
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  for (int i = 0; i < TILE_CACHE; i++)
    r->cache[i].level = -2;
  return TRUCE_OK;
}

void tile_reader_release(tile_reader *r) {
  truce_free(r->cache);
  truce_free(r->edge_inner);
  r->cache = NULL;
  r->edge_inner = NULL;
}

/* Read tile (level, index) of width w from disk into slot. A partial tile
 * may be served from the full tile if the partial one is gone (tlog-tiles
 * lets logs delete partial tiles once the full one exists). */
static truce_err read_tile(tile_reader *r, int level, uint64_t index,
                           unsigned w, tile_cache_slot *slot) {
  char path[TRUCE_TILE_PATH_MAX];
  truce_err rc = truce_tile_path(level, index, w, path);
  if (rc)
    return seterr(r->err, rc, "bad tile coordinates");
  int fd = openat(r->dirfd, path, O_RDONLY | O_CLOEXEC);
  size_t want = (size_t)w * 32;
  if (fd < 0 && errno == ENOENT && w < 256) {
    char full[TRUCE_TILE_PATH_MAX];
    truce_tile_path(level, index, 256, full);
    fd = openat(r->dirfd, full, O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
      memcpy(path, full, sizeof path);
  }
  if (fd < 0) {
    int e = errno;
    return seterr(r->err, e == ENOENT ? TRUCE_ENOTFOUND : TRUCE_EIO,
                  "cannot open %s: %s", path, strerror(e));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return seterr(r->err, TRUCE_EIO, "cannot stat %s", path);
  }
  size_t expect = strstr(path, ".p/") ? want : 8192;
  if ((uint64_t)st.st_size != expect) {
    close(fd);
    return seterr(r->err, TRUCE_ETAMPER, "%s is %lld bytes, want %zu", path,
                  (long long)st.st_size, expect);
  }
  rc = pread_full(fd, slot->hash, want, 0);
  close(fd);
  if (rc)
    return seterr(r->err, TRUCE_EIO, "cannot read %s", path);
  slot->level = level;
  slot->index = index;
  slot->width = w;
  return TRUCE_OK;
}

/* Find tile (level, index) at the reader's size: from the live log's edge
 * (*slot NULL) or from the cache, reading it on a miss. */
static truce_err find_tile(tile_reader *r, int level, uint64_t index,
                           tile_cache_slot **slot,
                           const uint8_t (**hashes)[32], unsigned *width) {
  *slot = NULL;
  *hashes = NULL;
  *width = 0;
  unsigned w = tile_width(level, index, r->size);
  if (w == 0)
    return seterr(r->err, TRUCE_EINVAL,
                  "tile %d/%llu is outside the tree of size %llu", level,
                  (unsigned long long)index, (unsigned long long)r->size);
  /* The live log's partial tiles are in memory. */
  if (r->edge && level >= 0 && level < TILE_LEVELS &&
      tile_width(level, index, r->edge_size) < 256) {
    if (r->edge_n[level] < w)
      return seterr(r->err, TRUCE_EINVAL, "edge of level %d is short",
                    level);
    *hashes = (const uint8_t(*)[32])r->edge[level];
    *width = w;
    return TRUCE_OK;
  }
  if (!r->cache)
    return seterr(r->err, TRUCE_EINVAL, "no tile cache");
  /* From a tile file: the reader's size may be older than the log's, so a
   * tile partial at r->size may be full on disk. */
  /* A proof asks for several subtrees of one tile per level in a row. */
  tile_cache_slot *m = level >= -1 && level < TILE_LEVELS
                           ? r->recent[level + 1]
                           : NULL;
  if (m && m->level == level && m->index == index && m->width >= w) {
    m->stamp = ++r->clock;
    *slot = m;
    *hashes = (const uint8_t(*)[32])m->hash;
    *width = w;
    return TRUCE_OK;
  }
  tile_cache_slot *victim = &r->cache[0];
  for (int i = 0; i < TILE_CACHE; i++) {
    tile_cache_slot *s = &r->cache[i];
    if (s->level == level && s->index == index && s->width >= w) {
      s->stamp = ++r->clock;
      if (level >= -1 && level < TILE_LEVELS)
        r->recent[level + 1] = s;
      *slot = s;
      *hashes = (const uint8_t(*)[32])s->hash;
      *width = w;
      return TRUCE_OK;
    }
    if (s->stamp < victim->stamp)
      victim = s;
  }
  unsigned disk_w = w;
  if (r->edge && w < 256)
    disk_w = 256; /* the live log only has full tiles on disk */
  victim->inner_w = 0;
  truce_err rc = read_tile(r, level, index, disk_w, victim);
  if (rc) {
    victim->level = -2;
    return rc;
  }
  victim->stamp = ++r->clock;
  if (level >= -1 && level < TILE_LEVELS)
    r->recent[level + 1] = victim;
  *slot = victim;
  *hashes = (const uint8_t(*)[32])victim->hash;
  *width = w;
  return TRUCE_OK;
}

truce_err tile_reader_tile(tile_reader *r, int level, uint64_t index,
                           const uint8_t (**hashes)[32], unsigned *width) {
  tile_cache_slot *slot;
  return find_tile(r, level, index, &slot, hashes, width);
}

/* Where the inner nodes of height r (1..8) start in slot->inner. */
static unsigned inner_off(unsigned r) { return 256u - (512u >> r); }

/* Compute every complete inner node of a tile of width w. */
static void fill_inner(const uint8_t (*hash)[32], unsigned w,
                       uint8_t inner[255][32]) {
  const uint8_t(*below)[32] = hash;
  for (unsigned r = 1; r <= 8; r++) {
    uint8_t(*here)[32] = inner + inner_off(r);
    for (unsigned i = 0; i < (w >> r); i++)
      truce_node_hash(below[2 * i], below[2 * i + 1], here[i]);
    below = (const uint8_t(*)[32])here;
  }
}

/* The inner nodes of the live log's partial tile at `level`, computed
 * once per (tile, width). NULL if out of memory (then hash each time). */
static const uint8_t (*edge_inner(tile_reader *r, int level, uint64_t index,
                                  const uint8_t (*h)[32], unsigned w))[32] {
  if (!r->edge_inner) {
    r->edge_inner = truce_calloc(TILE_LEVELS, sizeof *r->edge_inner);
    if (!r->edge_inner)
      return NULL;
  }
  if (r->edge_inner[level].index != index ||
      r->edge_inner[level].width != w) {
    fill_inner(h, w, r->edge_inner[level].inner);
    r->edge_inner[level].index = index;
    r->edge_inner[level].width = w;
  }
  return (const uint8_t(*)[32])r->edge_inner[level].inner;
}

truce_err tile_reader_node(void *ctx, unsigned height, uint64_t index,
                           uint8_t out[32]) {
  tile_reader *r = ctx;
  if (height >= 64)
    return TRUCE_EINVAL;
  int level = (int)(height / TILE_H);
  unsigned sub = height % TILE_H, run = 1u << sub;
  if (index > (UINT64_MAX >> sub))
    return TRUCE_EINVAL;
  uint64_t first = index << sub; /* a level-L hash index */
  const uint8_t(*h)[32];
  unsigned w;
  tile_cache_slot *slot;
  truce_err rc = find_tile(r, level, first >> TILE_H, &slot, &h, &w);
  if (rc)
    return rc;
  unsigned off = (unsigned)(first & 255);
  if (off + run > w)
    return seterr(r->err, TRUCE_EINVAL,
                  "subtree %u/%llu is not complete in a tree of size %llu",
                  height, (unsigned long long)index,
                  (unsigned long long)r->size);
  const uint8_t(*inner)[32] = NULL;
  if (sub == 0) {
    memcpy(out, h[off], 32);
    return TRUCE_OK;
  }
  if (slot) {
    if (slot->inner_w != slot->width) {
      fill_inner((const uint8_t(*)[32])slot->hash, slot->width, slot->inner);
      slot->inner_w = slot->width;
    }
    inner = (const uint8_t(*)[32])slot->inner;
  } else {
    inner = edge_inner(r, level, first >> TILE_H, h, w);
  }
  if (inner)
    memcpy(out, inner[inner_off(sub) + (off >> sub)], 32);
  else
    hash_run(h + off, run, out);
  return TRUCE_OK;
}

/* ---- truce_tiles: the public read-only view ---- */

struct truce_tiles {
  int dirfd;
  tile_reader r;
  char errmsg[TRUCE_ERR_MAX];
};

truce_err truce_tiles_open(const char *dir, uint64_t size, truce_tiles **out,
                           char *err) {
  *out = NULL;
  truce_tiles *t = truce_calloc(1, sizeof *t);
  if (!t)
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (t->dirfd < 0) {
    int e = errno;
    truce_free(t);
    return seterr(err, e == ENOENT ? TRUCE_ENOTFOUND : TRUCE_EIO,
                  "cannot open '%s': %s", dir, strerror(e));
  }
  truce_err rc = tile_reader_init(&t->r, t->dirfd, size, t->errmsg);
  if (rc) {
    close(t->dirfd);
    truce_free(t);
    return seterr(err, rc, "out of memory");
  }
  *out = t;
  return TRUCE_OK;
}

void truce_tiles_close(truce_tiles *t) {
  if (!t)
    return;
  tile_reader_release(&t->r);
  close(t->dirfd);
  truce_free(t);
}

const char *truce_tiles_errmsg(const truce_tiles *t) {
  return t ? t->errmsg : "out of memory";
}

truce_err truce_tiles_node(void *ctx, unsigned height, uint64_t index,
                           uint8_t out[32]) {
  truce_tiles *t = ctx;
  return tile_reader_node(&t->r, height, index, out);
}

truce_err bundle_entry_at(int dirfd, const char *path, unsigned pos,
                          truce_buf *out, char *err) {
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return seterr(err, e == ENOENT ? TRUCE_ENOTFOUND : TRUCE_EIO,
                  "cannot open %s: %s", path, strerror(e));
  }
  uint64_t off = 0;
  truce_err rc = TRUCE_OK;
  for (unsigned i = 0;; i++) {
    uint8_t lenb[2];
    rc = pread_full(fd, lenb, 2, off);
    if (rc) {
      rc = seterr(err, TRUCE_ETAMPER, "%s ends before entry %u", path, pos);
      break;
    }
    size_t n = get_be16(lenb);
    if (i == pos) {
      char buf[TRUCE_ENTRY_MAX];
      rc = pread_full(fd, buf, n, off + 2);
      if (rc) {
        rc = seterr(err, TRUCE_ETAMPER, "%s: entry %u is truncated", path,
                    pos);
        break;
      }
      rc = truce_buf_append(out, buf, n);
      if (rc)
        seterr(err, rc, "out of memory");
      break;
    }
    off += 2 + n;
  }
  close(fd);
  return rc;
}

truce_err truce_tiles_entry(truce_tiles *t, uint64_t index, truce_buf *out) {
  if (index >= t->r.size)
    return seterr(t->errmsg, TRUCE_ENOTFOUND,
                  "entry %llu is beyond the tree size %llu",
                  (unsigned long long)index, (unsigned long long)t->r.size);
  uint64_t k = index >> TILE_H;
  unsigned w = tile_width(-1, k, t->r.size);
  char path[TRUCE_TILE_PATH_MAX];
  truce_tile_path(TRUCE_TILE_ENTRIES, k, w, path);
  if (w < 256 && !file_exists_at(t->dirfd, path))
    truce_tile_path(TRUCE_TILE_ENTRIES, k, 256, path);
  return bundle_entry_at(t->dirfd, path, (unsigned)(index & 255), out,
                         t->errmsg);
}
