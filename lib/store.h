/*
 * store.h: private to lib/. File helpers (fsutil.c) and the tile reader
 * (tiles.c) shared by the log writer (log.c), the auditor's reader and
 * the whole-log verifier (verify.c).
 *
 * Paths are relative to a log folder opened as a directory descriptor, so
 * a folder can be moved or served while it is open.
 */
#ifndef TRUCE_STORE_H
#define TRUCE_STORE_H

#include "internal.h"

#define TILE_H 8      /* tile height: 256 hashes per tile */
#define TILE_LEVELS 8 /* 256^8 = 2^64 leaves */
/* The largest entry bundle: 256 records of a 2-byte length + an entry. */
#define BUNDLE_BYTES_MAX ((size_t)256 * (TRUCE_ENTRY_MAX + 2))

/* Parse DIR/log.info (log.c). */
truce_err log_info_parse(const char *text, size_t len, truce_log_info *info,
                         char *err);

/* ---- fsutil.c ---- */

/* Create the parent folders of `rel` (relative to dirfd). */
truce_err mkdirs_for(int dirfd, const char *rel, char *err);
/* fsync the folder that contains `rel` (or dirfd itself for a bare name). */
truce_err fsync_parent(int dirfd, const char *rel, char *err);
/* Write a file so that it appears whole or not at all: write rel.tmp,
 * fsync it, rename it into place, fsync the folder. Parents are created.
 * If `keep` and the file exists with the same bytes, nothing is written;
 * with different bytes, TRUCE_ETAMPER. */
truce_err write_file_atomic(int dirfd, const char *rel, const void *data,
                            size_t len, bool keep, char *err);
/* Read the whole of `rel` into b (appending). */
truce_err read_file_at(int dirfd, const char *rel, truce_buf *b, char *err);
/* pread exactly n bytes at off: TRUCE_OK, or TRUCE_ENOTFOUND if the file
 * is shorter (short read), TRUCE_EIO on error. */
truce_err pread_full(int fd, void *buf, size_t n, uint64_t off);
/* write exactly n bytes (retrying partial writes and EINTR). */
truce_err write_full(int fd, const void *buf, size_t n);
bool file_exists_at(int dirfd, const char *rel);

/* ---- tiles.c: reading hashes and entries from a tile folder ---- */

/* A cache of tiles read from disk: each 256 hashes and, once a proof has
 * needed them, the tile's 255 inner nodes (the levels between tile levels),
 * so repeated proofs through a tile cost no hashing. 64 slots: 1 MiB. */
#define TILE_CACHE 64
typedef struct tile_cache_slot {
  int level; /* -2: empty */
  uint64_t index;
  unsigned width;
  unsigned inner_w; /* width the inner nodes were computed for; 0: none */
  uint64_t stamp;
  uint8_t hash[256][32];
  uint8_t inner[255][32]; /* height r node i at inner_off(r) + i */
} tile_cache_slot;

/* How a reader finds hashes of a tree of `size` leaves. If `edge` is
 * set (the live log), the partial tiles of that size come from memory:
 * edge[L] holds edge_n[L] hashes of the partial tile at level L of the
 * log's *current* size `edge_size` (>= size). Otherwise partial tiles are
 * read from their .p/<W> files. */
typedef struct tile_reader {
  int dirfd;
  uint64_t size;
  const uint8_t (*edge)[256][32];
  const unsigned *edge_n;
  uint64_t edge_size;
  tile_cache_slot *cache; /* TILE_CACHE slots, owned */
  tile_cache_slot *recent[TILE_LEVELS + 1]; /* last slot used per level */
  uint64_t clock;
  /* Inner nodes of the edge's partial tiles, valid for (index, width):
   * the right edge takes part in every proof of a tree of this size. */
  struct {
    uint64_t index;
    unsigned width; /* 0: not computed */
    uint8_t inner[255][32];
  } *edge_inner; /* TILE_LEVELS of them, owned, allocated on first use */
  char *err; /* TRUCE_ERR_MAX bytes, owned by the caller */
} tile_reader;

truce_err tile_reader_init(tile_reader *r, int dirfd, uint64_t size,
                           char *err);
void tile_reader_release(tile_reader *r);
/* A truce_node_fn: ctx is a tile_reader. */
truce_err tile_reader_node(void *ctx, unsigned height, uint64_t index,
                           uint8_t out[32]);
/* The hashes of tile (level, index) as present at the reader's size:
 * width 256 for a full tile, else the partial width. *hashes points into
 * the cache (valid until the next call). */
truce_err tile_reader_tile(tile_reader *r, int level, uint64_t index,
                           const uint8_t (**hashes)[32], unsigned *width);

/* Width of tile (level, index) in a tree of `size` leaves: 256 if full,
 * 1..255 if partial, 0 if it does not exist. level -1 = entry bundle. */
unsigned tile_width(int level, uint64_t index, uint64_t size);

/* MTH of n (a power of two, <= 256) consecutive hashes. */
void hash_run(const uint8_t (*h)[32], unsigned n, uint8_t out[32]);

/* ---- bundles ---- */

/* Walk the records of an entry bundle in memory: uint16 big-endian length
 * + entry. Returns TRUCE_OK and the record at *off (advanced), or
 * TRUCE_ENOTFOUND at the end, or TRUCE_ETAMPER if a record runs past the
 * end (a truncated bundle). */
truce_err bundle_next(const uint8_t *b, size_t len, size_t *off,
                      const uint8_t **entry, size_t *entry_len);

/* Append entry `pos` of the bundle file `path` to out, walking the record
 * headers. TRUCE_ETAMPER if the bundle ends first. */
truce_err bundle_entry_at(int dirfd, const char *path, unsigned pos,
                          truce_buf *out, char *err);

/* ---- registry.c: the source registry, rebuilt from the log ---- */

typedef struct registry {
  truce_source *src; /* in registration order */
  size_t n, cap;
  uint64_t admin_seq; /* the administrator's last sequence number */
  truce_terms_ref *terms; /* every version of every terms, in log order */
  size_t nterms, capterms;
} registry;

/* What registry_apply changed, so a refused append can be undone. */
typedef struct registry_undo {
  size_t n_before, nterms_before;
  uint64_t admin_seq_before;
  struct {
    size_t i;
    uint64_t last_seq, revoked_index;
  } *ch;
  size_t nch, capch;
} registry_undo;

void registry_init(registry *r);
void registry_release(registry *r);
truce_source *registry_find(registry *r, const char *name);
/* Terms `id` at `version` (0: the latest), or NULL. */
const truce_terms_ref *registry_terms(const registry *r, const char *id,
                                      uint64_t version);
void registry_undo_begin(registry_undo *u, const registry *r);
void registry_undo_release(registry_undo *u);
void registry_rollback(registry *r, registry_undo *u);

/* Check entry `e` (to be, or being, at log `index`) against the registry:
 * its signer is registered and not revoked (or is the administrator for
 * registry entries), its signature verifies (if verify_sig), its
 * sequence number is the signer's last + 1; then apply it (a batch
 * advances the signer's sequence number; source-add and source-revoke
 * change the registry). Changes are recorded in u (may be NULL). */
truce_err registry_apply(registry *r, const truce_log_info *info,
                         const truce_entry *e, uint64_t index,
                         bool verify_sig, registry_undo *u, char *err);

/* The registry as text (for var/state), and back. */
truce_err registry_save(const registry *r, uint64_t size,
                        const uint8_t root[32], truce_buf *out);
truce_err registry_load(registry *r, const char *text, size_t len,
                        uint64_t *size, uint8_t root[32], char *err);

/* ---- entry payloads (entry.c) ---- */

/* The header of a terms entry (its first part). */
truce_err entry_terms_header(const truce_entry *e, truce_terms_ref *ref,
                             char *err);

/* Check an entry's payload: for a batch, every line is a valid observation
 * in canonical form, its times at most TRUCE_FUTURE_MAX_MS after the
 * entry's own time; for registry entries, the JSON payload. Errors name
 * the payload line. */
truce_err entry_check_payload(const truce_entry *e, char *err);

#endif /* TRUCE_STORE_H */
