/*
 * log.c: the evidence log on disk: appending signed entries durably,
 * recovering after a crash, checkpoints, proofs.
 *
 * Layout of a log folder (everything in it may be published as is):
 *   log.info                 origin, log key, administrator key
 *   checkpoint               the latest signed checkpoint
 *   checkpoints/<size>       every checkpoint made, with cosignatures
 *   tile/<L>/<N>[.p/<W>]     hash tiles (c2sp.org/tlog-tiles)
 *   tile/entries/<N>[.p/<W>] entry bundles
 *   var/pending              entries after the last full bundle, in bundle
 *                            format (uint16 length + entry): the journal
 *   var/pending.next         only during a rollover (see below)
 *   var/lock                 flock(2) serialises writers
 *   var/state                registry snapshot (derived; may be lost)
 *
 * Durability: an append is one write(2) of whole records to var/pending
 * followed by fdatasync(2); only then is it acknowledged. A crash can only
 * leave an incomplete final record (a torn write), which is never
 * acknowledged: recovery cuts it off. When var/pending reaches 256
 * entries it becomes the full bundle tile/entries/<N> by rename ("rollover"):
 *   1. copy the records past the 256th to var/pending.next, fdatasync;
 *   2. truncate var/pending to 256 records, fdatasync;
 *   3. rename var/pending to tile/entries/<N>, fsync both folders;
 *   4. rename var/pending.next to var/pending, fsync.
 * Each state in between is recognised on open and finished. Hash tiles are
 * derived from bundles; they are written (fsync, rename) after the data
 * is durable, and rebuilt on open if a crash lost them. Nothing that was
 * acknowledged is ever rewritten.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define PENDING "var/pending"
#define PENDING_NEXT "var/pending.next"
#define LOCKFILE "var/lock"
#define STATEFILE "var/state"

struct truce_log {
  int dirfd;
  int lockfd; /* -1: no locking (read-only view of a folder we can't lock) */
  int pendfd; /* var/pending open for appending, or -1 */
  unsigned flags;
  truce_log_info info;

  /* What we have loaded from disk. */
  uint64_t size;       /* entries */
  uint64_t nfull;      /* full bundles */
  uint64_t pend_len;   /* bytes of complete records in var/pending */
  uint64_t pend_count; /* records in var/pending */
  bool pend_exists;
  ino_t pend_ino;

  /* The right edge: the partial tile at each level of the current size. */
  uint8_t edge[TILE_LEVELS][256][32];
  unsigned edge_n[TILE_LEVELS];

  registry reg;
  bool state_dirty;
  tile_reader reader; /* for roots and proofs; its cache persists */
  /* Threads sharing a handle: the mutex guards everything above; flock
   * (taken after it) guards the folder against other processes. */
  pthread_mutex_t mu;
  bool mu_ready;
  /* The registry is also read without the mutex, by appends checking
   * signatures before they queue for it: whoever changes the registry
   * (holding the mutex) takes this for writing. */
  pthread_rwlock_t reg_lock;
};

/* A handle may be shared by threads, so the last message is per thread
 * (like errno): truce_log_errmsg gives the calling thread's. */
static _Thread_local char errbuf[TRUCE_ERR_MAX];
#define ERRMSG(log) ((void)(log), errbuf)

static bool writable(const truce_log *log) {
  return !(log->flags & TRUCE_OPEN_READONLY);
}

static truce_err fail(truce_log *log, truce_err rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static truce_err fail(truce_log *log, truce_err rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ERRMSG(log), TRUCE_ERR_MAX, fmt, ap);
  va_end(ap);
  return rc;
}

/* ---- log.info ---- */

static truce_err info_format(const truce_log_info *info, truce_buf *out) {
  char lk[TRUCE_VKEY_MAX], ak[TRUCE_VKEY_MAX];
  truce_vkey_format(&info->log_key, lk);
  truce_vkey_format(&info->admin_key, ak);
  return truce_buf_appendf(out,
                           "truce-log/v1\norigin %s\nlog-key %s\n"
                           "admin-key %s\n",
                           info->origin, lk, ak);
}

truce_err log_info_parse(const char *text, size_t len,
                            truce_log_info *info, char *err) {
  memset(info, 0, sizeof *info);
  const char *p = text, *end = text + len;
  int have = 0;
  for (int lineno = 1; p < end; lineno++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
      return seterr(err, TRUCE_EPARSE, "log.info line %d: no newline",
                    lineno);
    size_t n = (size_t)(nl - p);
    truce_err rc = TRUCE_OK;
    if (lineno == 1) {
      if (n != 12 || memcmp(p, "truce-log/v1", 12) != 0)
        return seterr(err, TRUCE_EPARSE,
                      "log.info line 1: not a truce log (want "
                      "'truce-log/v1')");
    } else if (n > 7 && memcmp(p, "origin ", 7) == 0) {
      if (n - 7 > TRUCE_NAME_MAX)
        return seterr(err, TRUCE_EPARSE, "log.info: origin too long");
      memcpy(info->origin, p + 7, n - 7);
      have |= 1;
    } else if (n > 8 && memcmp(p, "log-key ", 8) == 0) {
      rc = truce_vkey_parse(p + 8, n - 8, &info->log_key, err);
      have |= 2;
    } else if (n > 10 && memcmp(p, "admin-key ", 10) == 0) {
      rc = truce_vkey_parse(p + 10, n - 10, &info->admin_key, err);
      have |= 4;
    } else {
      return seterr(err, TRUCE_EPARSE, "log.info line %d: unknown field",
                    lineno);
    }
    if (rc) {
      errprefix(err, "log.info line %d", lineno);
      return rc;
    }
    p = nl + 1;
  }
  if (have != 7)
    return seterr(err, TRUCE_EPARSE,
                  "log.info: missing origin, log-key or admin-key");
  return TRUCE_OK;
}

/* ---- locking ---- */

/* lock() always leaves the handle's mutex held, even when flock fails,
 * and every lock() is paired with one unlock(): callers need no branch. */
static truce_err lock(truce_log *log, int how) {
  pthread_mutex_lock(&log->mu);
  if (log->lockfd < 0)
    return TRUCE_OK;
  while (flock(log->lockfd, how) != 0) {
    if (errno != EINTR)
      return fail(log, TRUCE_EIO, "cannot lock %s: %s", LOCKFILE,
                  strerror(errno));
  }
  return TRUCE_OK;
}

static void unlock(truce_log *log) {
  if (log->lockfd >= 0)
    flock(log->lockfd, LOCK_UN);
  pthread_mutex_unlock(&log->mu);
}

/* ---- creating ---- */

truce_err truce_log_create(const char *dir, const truce_log_info *info,
                           char *err) {
  if (truce_key_name_check(info->origin, NULL) != TRUCE_OK)
    return seterr(err, TRUCE_EINVAL,
                  "origin '%s' must be a key name (no spaces or '+')",
                  info->origin);
  if (strcmp(info->log_key.name, info->origin) != 0)
    return seterr(err, TRUCE_EINVAL,
                  "the log key's name '%s' must be the origin '%s'",
                  info->log_key.name, info->origin);
  if (info->log_key.type != TRUCE_KEY_ED25519 ||
      info->admin_key.type != TRUCE_KEY_ED25519)
    return seterr(err, TRUCE_EINVAL, "log and admin keys must be Ed25519");
  if (strcmp(info->admin_key.name, info->log_key.name) == 0)
    return seterr(err, TRUCE_EINVAL,
                  "the administrator key needs its own name");
  if (mkdir(dir, 0755) != 0 && errno != EEXIST)
    return seterr(err, TRUCE_EIO, "cannot create '%s': %s", dir,
                  strerror(errno));
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return seterr(err, TRUCE_EIO, "cannot open '%s': %s", dir,
                  strerror(errno));
  if (file_exists_at(dirfd, "log.info") || file_exists_at(dirfd, "tile")) {
    close(dirfd);
    return seterr(err, TRUCE_EEXIST, "'%s' already holds a log", dir);
  }
  truce_buf b;
  truce_buf_init(&b, 4096);
  truce_err rc = info_format(info, &b);
  if (!rc)
    rc = mkdirs_for(dirfd, "var/", err);
  if (!rc) {
    int fd = openat(dirfd, LOCKFILE, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      rc = seterr(err, TRUCE_EIO, "cannot create %s: %s", LOCKFILE,
                  strerror(errno));
    else
      close(fd);
  }
  if (!rc)
    rc = write_file_atomic(dirfd, "log.info", b.data, b.len, false, err);
  truce_buf_release(&b);
  close(dirfd);
  return rc;
}

/* ---- tiles: full ones on disk, the edge in memory ---- */

static void bundle_path(uint64_t n, unsigned w, char out[TRUCE_TILE_PATH_MAX]) {
  truce_tile_path(TRUCE_TILE_ENTRIES, n, w, out);
}

/* The 256 hashes of full tile (level, index), from its file or, if a
 * crash lost it, rebuilt from the level below (and written back). */
static truce_err full_tile(truce_log *log, int level, uint64_t index,
                           uint8_t out[256][32]) {
  char path[TRUCE_TILE_PATH_MAX];
  truce_tile_path(level, index, 256, path);
  int fd = openat(log->dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st;
    truce_err rc = TRUCE_OK;
    if (fstat(fd, &st) != 0 || st.st_size != 8192)
      rc = fail(log, TRUCE_ETAMPER, "%s is not 8192 bytes", path);
    else if (pread_full(fd, out, 8192, 0))
      rc = fail(log, TRUCE_EIO, "cannot read %s", path);
    close(fd);
    return rc;
  }
  if (errno != ENOENT)
    return fail(log, TRUCE_EIO, "cannot open %s: %s", path, strerror(errno));
  if (level == 0) {
    char bp[TRUCE_TILE_PATH_MAX];
    bundle_path(index, 256, bp);
    truce_buf b;
    truce_buf_init(&b, BUNDLE_BYTES_MAX);
    truce_err rc = read_file_at(log->dirfd, bp, &b, ERRMSG(log));
    size_t off = 0;
    unsigned i = 0;
    const uint8_t *e;
    size_t n;
    while (!rc && (rc = bundle_next((const uint8_t *)b.data, b.len, &off, &e,
                                    &n)) == TRUCE_OK &&
           i < 256)
      truce_leaf_hash(e, n, out[i++]);
    size_t total = b.len;
    truce_buf_release(&b);
    if (rc == TRUCE_ENOTFOUND)
      rc = TRUCE_OK;
    if (rc || i != 256 || off != total)
      return fail(log, rc ? rc : TRUCE_ETAMPER,
                  "cannot rebuild %s: %s does not hold 256 entries", path,
                  bp);
  } else {
    uint8_t(*below)[32] = truce_malloc(256 * 32);
    if (!below)
      return fail(log, TRUCE_ENOMEM, "out of memory");
    for (unsigned i = 0; i < 256; i++) {
      truce_err rc = full_tile(log, level - 1, index * 256 + i, below);
      if (rc) {
        truce_free(below);
        return rc;
      }
      hash_run((const uint8_t(*)[32])below, 256, out[i]);
    }
    truce_free(below);
  }
  if (writable(log))
    return write_file_atomic(log->dirfd, path, out, 8192, true, ERRMSG(log));
  return TRUCE_OK;
}

/* Push leaf hash number `leaf_index` into the edge. A tile that fills up
 * is written as a full tile and its root pushed one level up. */
static truce_err edge_push(truce_log *log, uint64_t leaf_index,
                           const uint8_t leaf[32]) {
  uint8_t h[32];
  memcpy(h, leaf, 32);
  uint64_t index = leaf_index; /* of h, at this level */
  for (int level = 0; level < TILE_LEVELS; level++) {
    memcpy(log->edge[level][log->edge_n[level]++], h, 32);
    if (log->edge_n[level] < 256)
      return TRUCE_OK;
    uint64_t tile = index >> TILE_H;
    if (writable(log)) {
      char path[TRUCE_TILE_PATH_MAX];
      truce_tile_path(level, tile, 256, path);
      truce_err rc = write_file_atomic(log->dirfd, path, log->edge[level],
                                       8192, true, ERRMSG(log));
      if (rc)
        return rc;
    }
    hash_run((const uint8_t(*)[32])log->edge[level], 256, h);
    log->edge_n[level] = 0;
    index = tile;
  }
  return fail(log, TRUCE_ETOOBIG, "the log is full");
}

/* Load the edge for a tree of n0 = nfull * 256 leaves from full tiles. */
static truce_err load_edge(truce_log *log, uint64_t n0) {
  memset(log->edge_n, 0, sizeof log->edge_n);
  uint8_t(*t)[32] = truce_malloc(256 * 32);
  if (!t)
    return fail(log, TRUCE_ENOMEM, "out of memory");
  truce_err rc = TRUCE_OK;
  for (int level = 1; !rc && level < TILE_LEVELS; level++) {
    uint64_t count = n0 >> (TILE_H * (unsigned)level);
    unsigned w = (unsigned)(count & 255);
    uint64_t base = (count - w) * 256; /* first tile index one level down */
    for (unsigned i = 0; !rc && i < w; i++) {
      rc = full_tile(log, level - 1, base + i, t);
      if (!rc)
        hash_run((const uint8_t(*)[32])t, 256, log->edge[level][i]);
    }
    log->edge_n[level] = w;
  }
  truce_free(t);
  return rc;
}

/* ---- finding what is on disk ---- */

static uint64_t count_full_bundles(truce_log *log) {
  char path[TRUCE_TILE_PATH_MAX];
  uint64_t lo = 0, hi = 1; /* bundles [0, lo) exist; hi does not (yet) */
  for (;;) {
    bundle_path(hi - 1, 256, path);
    if (!file_exists_at(log->dirfd, path))
      break;
    lo = hi;
    hi *= 2;
  }
  /* bundles < lo exist, hi - 1 does not: binary search in [lo, hi - 1) */
  uint64_t a = lo, b = hi - 1;
  while (a < b) {
    uint64_t mid = a + (b - a) / 2;
    bundle_path(mid, 256, path);
    if (file_exists_at(log->dirfd, path))
      a = mid + 1;
    else
      b = mid;
  }
  return a;
}

/* Count the complete records of a bundle-format file; *len gets the
 * byte length they take (an incomplete tail is not counted). */
static truce_err scan_records(int fd, uint64_t from, uint64_t *count,
                              uint64_t *len) {
  uint64_t off = from, c = 0;
  struct stat st;
  if (fstat(fd, &st) != 0)
    return TRUCE_EIO;
  uint64_t size = (uint64_t)st.st_size;
  while (size - off >= 2) {
    uint8_t lb[2];
    if (pread_full(fd, lb, 2, off))
      return TRUCE_EIO;
    uint64_t n = get_be16(lb);
    if (size - off - 2 < n)
      break;
    off += 2 + n;
    c++;
  }
  *count = c;
  *len = off;
  return TRUCE_OK;
}

/* The byte offset just after record k (k >= 1) of a bundle-format file. */
static truce_err record_end(int fd, uint64_t k, uint64_t *off) {
  uint64_t o = 0;
  for (uint64_t i = 0; i < k; i++) {
    uint8_t lb[2];
    if (pread_full(fd, lb, 2, o))
      return TRUCE_EIO;
    o += 2 + get_be16(lb);
  }
  *off = o;
  return TRUCE_OK;
}

static truce_err sync_var(truce_log *log) {
  return fsync_parent(log->dirfd, PENDING, ERRMSG(log));
}

/* Copy bytes [from, to) of fd into a new file (fdatasync'd). */
static truce_err copy_tail(truce_log *log, int fd, uint64_t from, uint64_t to,
                           const char *rel) {
  int out = openat(log->dirfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                   0644);
  if (out < 0)
    return fail(log, TRUCE_EIO, "cannot create %s: %s", rel, strerror(errno));
  char *buf = truce_malloc(1 << 16);
  truce_err rc = buf ? TRUCE_OK : fail(log, TRUCE_ENOMEM, "out of memory");
  for (uint64_t off = from; !rc && off < to;) {
    size_t n = (size_t)(to - off < (1 << 16) ? to - off : (1 << 16));
    if (pread_full(fd, buf, n, off) || write_full(out, buf, n))
      rc = fail(log, TRUCE_EIO, "cannot copy to %s: %s", rel,
                strerror(errno));
    off += n;
  }
  truce_free(buf);
  if (!rc && fdatasync(out) != 0)
    rc = fail(log, TRUCE_EIO, "cannot sync %s: %s", rel, strerror(errno));
  close(out);
  return rc;
}

static void close_pending(truce_log *log) {
  if (log->pendfd >= 0)
    close(log->pendfd);
  log->pendfd = -1;
}

static truce_err stat_pending(truce_log *log) {
  struct stat st;
  if (fstatat(log->dirfd, PENDING, &st, 0) == 0) {
    log->pend_exists = true;
    log->pend_ino = st.st_ino;
  } else {
    log->pend_exists = false;
    log->pend_ino = 0;
  }
  return TRUCE_OK;
}

/* Move the first 256 records of var/pending into full bundle nfull. */
static truce_err rollover(truce_log *log) {
  int fd = openat(log->dirfd, PENDING, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return fail(log, TRUCE_EIO, "cannot open %s: %s", PENDING,
                strerror(errno));
  uint64_t cut;
  truce_err rc = record_end(fd, 256, &cut);
  if (rc) {
    close(fd);
    return fail(log, rc, "cannot read %s", PENDING);
  }
  bool tail = log->pend_len > cut;
  if (tail)
    rc = copy_tail(log, fd, cut, log->pend_len, PENDING_NEXT);
  if (!rc && (ftruncate(fd, (off_t)cut) != 0 || fdatasync(fd) != 0))
    rc = fail(log, TRUCE_EIO, "cannot truncate %s: %s", PENDING,
              strerror(errno));
  close(fd);
  close_pending(log);
  char path[TRUCE_TILE_PATH_MAX];
  bundle_path(log->nfull, 256, path);
  if (!rc)
    rc = mkdirs_for(log->dirfd, path, ERRMSG(log));
  if (!rc && renameat(log->dirfd, PENDING, log->dirfd, path) != 0)
    rc = fail(log, TRUCE_EIO, "cannot rename %s to %s: %s", PENDING, path,
              strerror(errno));
  if (!rc)
    rc = fsync_parent(log->dirfd, path, ERRMSG(log));
  if (!rc)
    rc = sync_var(log);
  if (!rc && tail &&
      renameat(log->dirfd, PENDING_NEXT, log->dirfd, PENDING) != 0)
    rc = fail(log, TRUCE_EIO, "cannot rename %s: %s", PENDING_NEXT,
              strerror(errno));
  if (!rc && tail)
    rc = sync_var(log);
  if (rc)
    return rc;
  log->nfull++;
  log->pend_count -= 256;
  log->pend_len -= cut;
  return stat_pending(log);
}

/* Finish a rollover that a crash interrupted (see the top of the file). */
static truce_err recover_rollover(truce_log *log) {
  if (!file_exists_at(log->dirfd, PENDING_NEXT))
    return TRUCE_OK;
  if (file_exists_at(log->dirfd, PENDING)) {
    int fd = openat(log->dirfd, PENDING, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return fail(log, TRUCE_EIO, "cannot open %s", PENDING);
    uint64_t count, len;
    truce_err rc = scan_records(fd, 0, &count, &len);
    close(fd);
    if (rc)
      return fail(log, rc, "cannot read %s", PENDING);
    if (count > 256) {
      /* Step 2 never finished: drop the copy; rollover runs again. */
      if (unlinkat(log->dirfd, PENDING_NEXT, 0) != 0)
        return fail(log, TRUCE_EIO, "cannot remove %s", PENDING_NEXT);
      return sync_var(log);
    }
    /* Truncated to 256: finish step 3. */
    char path[TRUCE_TILE_PATH_MAX];
    bundle_path(count_full_bundles(log), 256, path);
    rc = mkdirs_for(log->dirfd, path, ERRMSG(log));
    if (!rc && renameat(log->dirfd, PENDING, log->dirfd, path) != 0)
      rc = fail(log, TRUCE_EIO, "cannot rename %s to %s", PENDING, path);
    if (!rc)
      rc = fsync_parent(log->dirfd, path, ERRMSG(log));
    if (rc)
      return rc;
  }
  /* Step 4. */
  if (renameat(log->dirfd, PENDING_NEXT, log->dirfd, PENDING) != 0)
    return fail(log, TRUCE_EIO, "cannot rename %s", PENDING_NEXT);
  return sync_var(log);
}

/* ---- reading entries in order ---- */

typedef truce_err (*entry_fn)(truce_log *log, uint64_t index,
                              const uint8_t *e, size_t n, void *ctx);

/* Call fn for every entry in [from, to). */
static truce_err each_entry(truce_log *log, uint64_t from, uint64_t to,
                            entry_fn fn, void *ctx) {
  truce_buf b;
  truce_buf_init(&b, BUNDLE_BYTES_MAX * 4);
  truce_err rc = TRUCE_OK;
  for (uint64_t k = from >> TILE_H; !rc && (k << TILE_H) < to; k++) {
    char path[TRUCE_TILE_PATH_MAX];
    uint64_t limit;
    b.len = 0;
    if (k < log->nfull) {
      bundle_path(k, 256, path);
      rc = read_file_at(log->dirfd, path, &b, ERRMSG(log));
      limit = b.len;
    } else {
      snprintf(path, sizeof path, "%s", PENDING);
      rc = read_file_at(log->dirfd, PENDING, &b, ERRMSG(log));
      limit = log->pend_len;
    }
    size_t off = 0;
    const uint8_t *e;
    size_t n;
    for (uint64_t i = k << TILE_H; !rc && i < to; i++) {
      rc = bundle_next((const uint8_t *)b.data, (size_t)limit, &off, &e, &n);
      if (rc == TRUCE_ENOTFOUND && k >= log->nfull) {
        rc = fail(log, TRUCE_ETAMPER, "%s ends before entry %" PRIu64, path,
                  i);
        break;
      }
      if (rc == TRUCE_ENOTFOUND) {
        rc = TRUCE_OK;
        break;
      }
      if (rc) {
        rc = fail(log, rc, "%s is truncated at entry %" PRIu64, path, i);
        break;
      }
      if (i >= from)
        rc = fn(log, i, e, n, ctx);
    }
    /* The journal holds everything after the full bundles (more than 256
     * entries if a rollover was interrupted): nothing comes after it. */
    if (k >= log->nfull)
      break;
  }
  truce_buf_release(&b);
  return rc;
}

/* A batch's signer and sequence number from its first lines, without
 * parsing the whole note: replaying what this log already checked and
 * wrote only needs those (the verifier parses everything). */
static bool batch_header(const uint8_t *e, size_t n, truce_entry *out) {
  static const char head[] = "truce/v1 batch\nsigner ";
  const char *p = (const char *)e, *end = p + n;
  if (n < sizeof head || memcmp(p, head, sizeof head - 1) != 0)
    return false;
  p += sizeof head - 1;
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  if (!nl || nl == p || (size_t)(nl - p) > TRUCE_NAME_MAX)
    return false;
  memset(out, 0, offsetof(truce_entry, note));
  out->kind = TRUCE_ENTRY_BATCH;
  memcpy(out->signer, p, (size_t)(nl - p));
  out->signer[nl - p] = '\0';
  p = nl + 1;
  nl = memchr(p, '\n', (size_t)(end - p));
  return nl && nl - p > 4 && memcmp(p, "seq ", 4) == 0 &&
         parse_u64(p + 4, (size_t)(nl - p - 4), &out->seq);
}

static truce_err replay_one(truce_log *log, uint64_t index, const uint8_t *e,
                            size_t n, void *ctx) {
  (void)ctx;
  truce_entry ent;
  char err[TRUCE_ERR_MAX];
  truce_err rc = batch_header(e, n, &ent)
                     ? TRUCE_OK
                     : truce_entry_parse((const char *)e, n, &ent, err);
  if (!rc)
    rc = registry_apply(&log->reg, &log->info, &ent, index, false, NULL, err);
  if (rc)
    return fail(log, TRUCE_ETAMPER, "entry %" PRIu64 " does not replay: %s",
                index, err);
  return TRUCE_OK;
}

static truce_err root_at(truce_log *log, uint64_t size, uint8_t out[32]);

/* Rebuild the registry: from the var/state snapshot if it matches the
 * log, then by replaying the entries after it. */
static truce_err load_registry(truce_log *log) {
  registry_release(&log->reg);
  uint64_t from = 0;
  truce_buf b;
  truce_buf_init(&b, 64u << 20);
  if (read_file_at(log->dirfd, STATEFILE, &b, NULL) == TRUCE_OK) {
    uint64_t s;
    uint8_t root[32], have[32];
    if (registry_load(&log->reg, b.data, b.len, &s, root, NULL) == TRUCE_OK &&
        s <= log->size && root_at(log, s, have) == TRUCE_OK &&
        memcmp(root, have, 32) == 0)
      from = s;
    else
      registry_release(&log->reg);
  }
  truce_buf_release(&b);
  log->state_dirty = from != log->size;
  return each_entry(log, from, log->size, replay_one, NULL);
}

/* Push the pending records [from_count, count) into the edge, and replay
 * them into the registry if `replay`. */
static truce_err push_pending(truce_log *log, int fd, uint64_t from_off,
                              uint64_t n_records, bool replay) {
  uint64_t off = from_off;
  char *buf = truce_malloc(TRUCE_ENTRY_MAX);
  if (!buf)
    return fail(log, TRUCE_ENOMEM, "out of memory");
  truce_err rc = TRUCE_OK;
  for (uint64_t i = 0; !rc && i < n_records; i++) {
    uint8_t lb[2];
    if (pread_full(fd, lb, 2, off)) {
      rc = fail(log, TRUCE_EIO, "cannot read %s", PENDING);
      break;
    }
    size_t n = get_be16(lb);
    if (pread_full(fd, buf, n, off + 2)) {
      rc = fail(log, TRUCE_EIO, "cannot read %s", PENDING);
      break;
    }
    uint8_t h[32];
    truce_leaf_hash(buf, n, h);
    uint64_t index = log->size;
    rc = edge_push(log, index, h);
    if (!rc && replay)
      rc = replay_one(log, index, (const uint8_t *)buf, n, NULL);
    if (!rc)
      log->size++;
    off += 2 + n;
  }
  truce_free(buf);
  return rc;
}

/* Load everything from disk. If `registry_valid`, the registry is good
 * up to log->size and only newer entries are replayed; otherwise it is
 * rebuilt. Caller holds the lock (exclusive if writable). */
static truce_err load(truce_log *log, bool registry_valid) {
  truce_err rc;
  uint64_t old_size = log->size;
  close_pending(log);
  if (writable(log) && (rc = recover_rollover(log)))
    return rc;
  log->nfull = count_full_bundles(log);
  log->size = log->nfull << TILE_H;
  if ((rc = load_edge(log, log->size)))
    return rc;
  /* The last full bundle's level-0 tile (and any it completes) may have
   * been lost by a crash right after the rollover: rebuild it now. */
  if (log->nfull > 0) {
    uint8_t(*t)[32] = truce_malloc(256 * 32);
    if (!t)
      return fail(log, TRUCE_ENOMEM, "out of memory");
    rc = full_tile(log, 0, log->nfull - 1, t);
    truce_free(t);
    if (rc)
      return rc;
  }
  log->pend_count = log->pend_len = 0;
  stat_pending(log);
  if (log->pend_exists) {
    int fd = openat(log->dirfd, PENDING,
                    (writable(log) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0)
      return fail(log, TRUCE_EIO, "cannot open %s: %s", PENDING,
                  strerror(errno));
    uint64_t count, len;
    rc = scan_records(fd, 0, &count, &len);
    struct stat st;
    if (!rc && fstat(fd, &st) == 0 && (uint64_t)st.st_size != len &&
        writable(log)) {
      /* A torn final write: never acknowledged, so cut it off. */
      if (ftruncate(fd, (off_t)len) != 0 || fdatasync(fd) != 0)
        rc = fail(log, TRUCE_EIO, "cannot truncate %s: %s", PENDING,
                  strerror(errno));
    }
    /* Replay below, from the snapshot or from old_size. */
    if (!rc)
      rc = push_pending(log, fd, 0, count, false);
    close(fd);
    if (rc)
      return rc;
    log->pend_count = count;
    log->pend_len = len;
  }
  while (writable(log) && log->pend_count >= 256)
    if ((rc = rollover(log)))
      return rc;
  if (registry_valid && old_size <= log->size) {
    rc = each_entry(log, old_size, log->size, replay_one, NULL);
    if (!rc && old_size != log->size)
      log->state_dirty = true;
    return rc;
  }
  return load_registry(log);
}

/* Catch up with what other processes appended since we last looked.
 * Caller holds the lock. */
static truce_err refresh_registry_locked(truce_log *log);

/* Catch up with what other processes appended since we last looked.
 * Caller holds the lock. */
static truce_err refresh(truce_log *log) {
  pthread_rwlock_wrlock(&log->reg_lock);
  truce_err rc = refresh_registry_locked(log);
  pthread_rwlock_unlock(&log->reg_lock);
  return rc;
}

static truce_err refresh_registry_locked(truce_log *log) {
  struct stat st;
  bool exists = fstatat(log->dirfd, PENDING, &st, 0) == 0;
  /* Another writer may have filled a bundle and left no journal behind:
   * the journal looks unchanged, but the next bundle now exists. */
  char next[TRUCE_TILE_PATH_MAX];
  bundle_path(log->nfull, 256, next);
  if (file_exists_at(log->dirfd, next))
    return load(log, true);
  if (exists == log->pend_exists &&
      (!exists || (st.st_ino == log->pend_ino &&
                   (uint64_t)st.st_size == log->pend_len)))
    return TRUCE_OK;
  if (exists && log->pend_exists && st.st_ino == log->pend_ino &&
      (uint64_t)st.st_size > log->pend_len) {
    /* Same journal, grown: push the new complete records. */
    int fd = openat(log->dirfd, PENDING, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      uint64_t count, len;
      truce_err rc = scan_records(fd, log->pend_len, &count, &len);
      if (!rc && len == (uint64_t)st.st_size && log->pend_count + count < 256) {
        rc = push_pending(log, fd, log->pend_len, count, true);
        close(fd);
        if (rc)
          return rc;
        log->pend_count += count;
        log->pend_len = len;
        if (count)
          log->state_dirty = true;
        return TRUCE_OK;
      }
      close(fd);
    }
  }
  return load(log, true);
}

/* ---- opening and closing ---- */

truce_err truce_log_open(const char *dir, unsigned flags, truce_log **out,
                         char *err) {
  *out = NULL;
  truce_log *log = truce_calloc(1, sizeof *log);
  if (!log)
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  log->flags = flags;
  log->lockfd = log->pendfd = -1;
  if (pthread_mutex_init(&log->mu, NULL) != 0) {
    truce_free(log);
    return seterr(err, TRUCE_ENOMEM, "cannot create a mutex");
  }
  if (pthread_rwlock_init(&log->reg_lock, NULL) != 0) {
    pthread_mutex_destroy(&log->mu);
    truce_free(log);
    return seterr(err, TRUCE_ENOMEM, "cannot create a lock");
  }
  log->mu_ready = true;
  registry_init(&log->reg);
  log->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  truce_err rc = TRUCE_OK;
  if (log->dirfd < 0) {
    int e = errno;
    rc = seterr(err, e == ENOENT ? TRUCE_ENOTFOUND : TRUCE_EIO,
                "cannot open log '%s': %s", dir, strerror(e));
    goto fail;
  }
  truce_buf b;
  truce_buf_init(&b, 8192);
  rc = read_file_at(log->dirfd, "log.info", &b, err);
  if (rc == TRUCE_ENOTFOUND)
    seterr(err, rc, "'%s' is not a truce log (no log.info)", dir);
  if (!rc)
    rc = log_info_parse(b.data, b.len, &log->info, err);
  truce_buf_release(&b);
  if (rc)
    goto fail;
  if (writable(log)) {
    mkdirs_for(log->dirfd, "var/", NULL);
    log->lockfd =
        openat(log->dirfd, LOCKFILE, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (log->lockfd < 0) {
      rc = seterr(err, TRUCE_EIO, "cannot open %s/%s: %s", dir, LOCKFILE,
                  strerror(errno));
      goto fail;
    }
  } else {
    log->lockfd = openat(log->dirfd, LOCKFILE, O_RDONLY | O_CLOEXEC);
  }
  if ((rc = tile_reader_init(&log->reader, log->dirfd, 0, ERRMSG(log)))) {
    seterr(err, rc, "out of memory");
    goto fail;
  }
  log->reader.edge = (const uint8_t(*)[256][32])log->edge;
  log->reader.edge_n = log->edge_n;
  rc = lock(log, writable(log) ? LOCK_EX : LOCK_SH);
  pthread_rwlock_wrlock(&log->reg_lock);
  if (!rc)
    rc = load(log, false);
  pthread_rwlock_unlock(&log->reg_lock);
  unlock(log);
  if (rc) {
    seterr(err, rc, "%s: %s", dir, ERRMSG(log));
    goto fail;
  }
  *out = log;
  return TRUCE_OK;
fail:
  log->state_dirty = false; /* nothing half-loaded is saved */
  truce_log_close(log);
  return rc;
}

static truce_err save_state(truce_log *log) {
  if (!writable(log) || !log->state_dirty)
    return TRUCE_OK;
  uint8_t root[32];
  truce_err rc = root_at(log, log->size, root);
  if (rc)
    return rc;
  truce_buf b;
  truce_buf_init(&b, 64u << 20);
  rc = registry_save(&log->reg, log->size, root, &b);
  /* Derived data: a lost or stale snapshot is detected and rebuilt, so a
   * plain rename is enough (write_file_atomic also syncs, harmlessly). */
  if (!rc)
    rc = write_file_atomic(log->dirfd, STATEFILE, b.data, b.len, false,
                           ERRMSG(log));
  truce_buf_release(&b);
  if (!rc)
    log->state_dirty = false;
  return rc;
}

void truce_log_close(truce_log *log) {
  if (!log)
    return;
  if (log->mu_ready && log->dirfd >= 0 && log->state_dirty &&
      writable(log)) {
    if (lock(log, LOCK_EX) == TRUCE_OK && refresh(log) == TRUCE_OK)
      save_state(log);
    unlock(log);
  }
  close_pending(log);
  tile_reader_release(&log->reader);
  registry_release(&log->reg);
  if (log->lockfd >= 0)
    close(log->lockfd);
  if (log->dirfd >= 0)
    close(log->dirfd);
  if (log->mu_ready) {
    pthread_mutex_destroy(&log->mu);
    pthread_rwlock_destroy(&log->reg_lock);
  }
  truce_free(log);
}

const char *truce_log_errmsg(const truce_log *log) {
  return log ? ERRMSG(log) : "out of memory";
}

const truce_log_info *truce_log_get_info(const truce_log *log) {
  return &log->info;
}

/* Shared lock, then catch up with other writers; the caller unlocks. */
static truce_err read_begin(truce_log *log) {
  truce_err rc = lock(log, LOCK_SH);
  return rc ? rc : refresh(log);
}

truce_err truce_log_size(truce_log *log, uint64_t *size) {
  *size = 0;
  truce_err rc = read_begin(log);
  unlock(log);
  if (!rc)
    *size = log->size;
  return rc;
}

/* ---- roots and proofs ---- */

/* The tile reader, for the tree of `size` leaves of the current log. */
static tile_reader *reader_at(truce_log *log, uint64_t size) {
  log->reader.err = ERRMSG(log); /* this thread's */
  log->reader.size = size;
  log->reader.edge_size = log->size;
  return &log->reader;
}

static truce_err root_at(truce_log *log, uint64_t size, uint8_t out[32]) {
  truce_err rc = truce_tree_root(tile_reader_node, reader_at(log, size), size,
                                 out);
  if (rc && !ERRMSG(log)[0])
    fail(log, rc, "cannot compute the root at size %" PRIu64, size);
  return rc;
}

/* For roots and proofs of a tree of `size` leaves. The log only grows and
 * full tiles never change, so the view this handle already has answers
 * for any size up to its own without touching the folder (no file lock,
 * no stat): only a larger size needs a refresh. *file says whether the
 * file lock was taken; view_end releases what view_begin took. */
static truce_err view_begin(truce_log *log, uint64_t size, bool *file) {
  pthread_mutex_lock(&log->mu);
  *file = size > log->size;
  if (!*file)
    return TRUCE_OK;
  pthread_mutex_unlock(&log->mu);
  return read_begin(log);
}

static void view_end(truce_log *log, bool file) {
  if (file)
    unlock(log);
  else
    pthread_mutex_unlock(&log->mu);
}

truce_err truce_log_root(truce_log *log, uint64_t size, uint8_t root[32]) {
  memset(root, 0, 32);
  bool file;
  truce_err rc = view_begin(log, size, &file);
  if (!rc && size > log->size)
    rc = fail(log, TRUCE_ERANGE, "size %" PRIu64 " is beyond the log (%" PRIu64
                                 " entries)",
              size, log->size);
  if (!rc)
    rc = root_at(log, size, root);
  view_end(log, file);
  return rc;
}

truce_err truce_log_prove_inclusion(truce_log *log, uint64_t index,
                                    uint64_t size, truce_proof *out) {
  memset(out, 0, sizeof *out);
  bool file;
  truce_err rc = view_begin(log, size, &file);
  if (!rc && (size > log->size || index >= size))
    rc = fail(log, TRUCE_ERANGE,
              "no entry %" PRIu64 " in a tree of size %" PRIu64
              " (the log has %" PRIu64 ")",
              index, size, log->size);
  if (!rc) {
    rc = truce_inclusion_prove(tile_reader_node, reader_at(log, size), index,
                               size, out);
  }
  view_end(log, file);
  return rc;
}

truce_err truce_log_prove_consistency(truce_log *log, uint64_t size1,
                                      uint64_t size2, truce_proof *out) {
  memset(out, 0, sizeof *out);
  bool file;
  truce_err rc = view_begin(log, size2, &file);
  if (!rc && (size2 > log->size || size1 == 0 || size1 > size2))
    rc = fail(log, TRUCE_ERANGE,
              "no consistency proof from %" PRIu64 " to %" PRIu64
              " (the log has %" PRIu64 ")",
              size1, size2, log->size);
  if (!rc) {
    rc = truce_consistency_prove(tile_reader_node, reader_at(log, size2),
                                 size1, size2, out);
  }
  view_end(log, file);
  return rc;
}

/* ---- reading entries ---- */

truce_err truce_log_entry(truce_log *log, uint64_t index, truce_buf *out) {
  truce_err rc = read_begin(log);
  if (!rc && index >= log->size)
    rc = fail(log, TRUCE_ENOTFOUND,
              "no entry %" PRIu64 " (the log has %" PRIu64 " entries)", index,
              log->size);
  if (!rc) {
    uint64_t k = index >> TILE_H, base = k << TILE_H;
    char path[TRUCE_TILE_PATH_MAX];
    if (k < log->nfull) {
      bundle_path(k, 256, path);
    } else {
      /* The journal: everything after the full bundles. */
      snprintf(path, sizeof path, "%s", PENDING);
      base = log->nfull << TILE_H;
    }
    rc = bundle_entry_at(log->dirfd, path, (unsigned)(index - base), out,
                         ERRMSG(log));
  }
  unlock(log);
  return rc;
}

/* ---- sources ---- */

truce_err truce_log_source(truce_log *log, const char *name,
                           truce_source *out) {
  memset(out, 0, sizeof *out);
  truce_err rc = read_begin(log);
  unlock(log);
  if (rc)
    return rc;
  truce_source *s = registry_find(&log->reg, name);
  if (!s)
    return fail(log, TRUCE_ENOTFOUND, "no source named '%s'", name);
  *out = *s;
  return TRUCE_OK;
}

size_t truce_log_source_count(truce_log *log) {
  if (lock(log, LOCK_SH) == TRUCE_OK)
    refresh(log);
  unlock(log);
  return log->reg.n;
}

truce_err truce_log_source_at(truce_log *log, size_t i, truce_source *out) {
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&log->mu);
  truce_err rc = TRUCE_OK;
  if (i >= log->reg.n)
    rc = fail(log, TRUCE_ENOTFOUND, "no source %zu", i);
  else
    *out = log->reg.src[i];
  pthread_mutex_unlock(&log->mu);
  return rc;
}

/* ---- appending ---- */

/* The text of the terms whose first part is e[0], from e[0..n): the
 * lines after the header, then every line of the following parts,
 * concatenated; checked against the header's length and SHA-256, then
 * parsed as terms (which must carry the header's id). */
static truce_err terms_text(const truce_entry *e, size_t n, truce_buf *out,
                            char *err) {
  truce_terms_ref ref;
  truce_err rc = entry_terms_header(&e[0], &ref, err);
  if (rc)
    return rc;
  unsigned parts = e[0].parts;
  if (n < parts)
    return seterr(err, TRUCE_EPARSE, "terms in %u parts, %zu present", parts,
                  n);
  for (unsigned k = 0; k < parts; k++) {
    if (e[k].kind != TRUCE_ENTRY_TERMS || e[k].part != k + 1)
      return seterr(err, TRUCE_EPARSE, "terms part %u is missing", k + 1);
    for (size_t l = k == 0 ? 1 : 0; l < e[k].nlines; l++) {
      const char *line;
      size_t len;
      truce_entry_line(&e[k], l, &line, &len);
      if (truce_buf_append(out, line, len) != TRUCE_OK)
        return seterr(err, TRUCE_ETOOBIG, "terms text too large");
    }
  }
  uint8_t h[32];
  truce_sha256(out->data, out->len, h);
  if (out->len != ref.bytes || memcmp(h, ref.sha256, 32) != 0)
    return seterr(err, TRUCE_ETAMPER,
                  "terms text does not match its length and SHA-256");
  truce_terms *t;
  if ((rc = truce_terms_parse(out->data, out->len, &t, err)))
    return rc;
  if (strcmp(truce_terms_id(t), ref.id) != 0)
    rc = seterr(err, TRUCE_EPARSE, "terms text is '%s', header says '%s'",
                truce_terms_id(t), ref.id);
  truce_terms_free(t);
  return rc;
}

/* Entries checked before the lock is taken: everything that does not
 * depend on the log's state (format, payload, leaf hash) and, where the
 * signer's key is already known, the signature (keys never change for a
 * name: names are never reused). Under the lock only the sequence
 * numbers and revocations are checked, so concurrent writers overlap
 * their checking with each other's fdatasync. */
typedef struct prepared {
  truce_entry *e;
  uint8_t (*sigpub)[32]; /* the key the signature was verified with */
  bool *sig_ok;
  uint8_t (*hashes)[32];
  truce_buf recs; /* the records to append: uint16 length + entry */
  size_t n, cap;
} prepared;

static void prepared_release(prepared *p) {
  truce_free(p->e);
  truce_free(p->sigpub);
  truce_free(p->sig_ok);
  truce_free(p->hashes);
  truce_buf_release(&p->recs);
  memset(p, 0, sizeof *p);
}

static truce_err prepared_grow(prepared *p) {
  size_t nc = p->cap ? p->cap * 2 : 4;
  truce_entry *e = truce_realloc(p->e, nc * sizeof *e);
  if (e)
    p->e = e;
  uint8_t(*k)[32] = truce_realloc(p->sigpub, nc * 32);
  if (k)
    p->sigpub = k;
  bool *ok = truce_realloc(p->sig_ok, nc * sizeof *ok);
  if (ok)
    p->sig_ok = ok;
  uint8_t(*h)[32] = truce_realloc(p->hashes, nc * 32);
  if (h)
    p->hashes = h;
  if (!e || !k || !ok || !h)
    return TRUCE_ENOMEM;
  p->cap = nc;
  return TRUCE_OK;
}

/* `signed_by`: the entries were just signed here, from checked lines, with
 * the key whose public half this is (truce_log_submit): the payload needs
 * no second look, and the signature only needs that key to be the one the
 * registry holds (commit compares them). NULL: check everything. */
static truce_err prepare(truce_log *log, const char *data, size_t len,
                         int64_t now_ms, const uint8_t *signed_by,
                         prepared *p) {
  bool trusted = signed_by != NULL;
  memset(p, 0, sizeof *p);
  truce_buf_init(&p->recs, (size_t)TRUCE_SUBMIT_MAX_BYTES * 8);
  size_t off = 0;
  char err[TRUCE_ERR_MAX];
  truce_err rc = TRUCE_OK;
  unsigned want_part = 1, parts = 0;
  char group_signer[TRUCE_NAME_MAX + 1] = "";
  for (;;) {
    const char *ent;
    size_t n;
    rc = truce_entries_next(data, len, &off, &ent, &n, err);
    if (rc == TRUCE_ENOTFOUND) {
      rc = TRUCE_OK;
      break;
    }
    if (rc)
      return fail(log, rc, "entry %zu: %s", p->n + 1, err);
    if (p->n == p->cap && prepared_grow(p) != TRUCE_OK)
      return fail(log, TRUCE_ENOMEM, "out of memory");
    truce_entry *e = &p->e[p->n];
    p->sig_ok[p->n] = false;
    rc = truce_entry_parse(ent, n, e, err);
    if (!rc && e->time_ms > now_ms + TRUCE_FUTURE_MAX_MS)
      rc = seterr(err, TRUCE_ERANGE,
                  "signed at a time more than 10 minutes in the future");
    /* A multi-part submission is appended whole, in order. */
    if (!rc && want_part > 1 &&
        (e->part != want_part || e->parts != parts ||
         strcmp(e->signer, group_signer) != 0))
      rc = seterr(err, TRUCE_EPARSE, "expected part %u/%u of '%s'",
                  want_part, parts, group_signer);
    if (!rc && want_part == 1 && e->part != 1)
      rc = seterr(err, TRUCE_EPARSE,
                  "part %u/%u without the parts before it", e->part,
                  e->parts);
    if (!rc && trusted) {
      p->sig_ok[p->n] = true;
      memcpy(p->sigpub[p->n], signed_by, 32);
    } else if (!rc) {
      const truce_vkey *key = NULL;
      truce_vkey known;
      if (e->kind != TRUCE_ENTRY_BATCH) {
        if (strcmp(e->signer, log->info.admin_key.name) == 0)
          key = &log->info.admin_key;
      } else {
        /* Without the lock: the registry may be a little behind, which
         * only means commit verifies what this could not. */
        pthread_rwlock_rdlock(&log->reg_lock);
        const truce_source *s = registry_find(&log->reg, e->signer);
        if (s) {
          known = s->key;
          key = &known;
        }
        pthread_rwlock_unlock(&log->reg_lock);
      }
      if (key) {
        rc = truce_note_verify(&e->note, key, 1, NULL, NULL, err);
        if (rc == TRUCE_ENOKEY)
          rc = seterr(err, TRUCE_EBADSIG,
                      "entry is not signed by the registered key of '%s'",
                      e->signer);
        if (!rc) {
          p->sig_ok[p->n] = true;
          memcpy(p->sigpub[p->n], key->pub, 32);
        }
      }
    }
    if (!rc && !trusted)
      rc = entry_check_payload(e, err);
    if (rc)
      return fail(log, rc, "entry %zu%s%s (seq %" PRIu64 "): %s", p->n + 1,
                  e->signer[0] ? " from " : "", e->signer, e->seq, err);
    want_part = e->part < e->parts ? e->part + 1 : 1;
    parts = e->parts;
    memcpy(group_signer, e->signer, sizeof group_signer);
    truce_leaf_hash(ent, n, p->hashes[p->n]);
    uint8_t lb[2];
    put_be16(lb, (uint16_t)n);
    rc = truce_buf_append(&p->recs, lb, 2);
    if (!rc)
      rc = truce_buf_append(&p->recs, ent, n);
    if (rc)
      return fail(log, rc, "submission too large");
    p->n++;
  }
  if (want_part != 1)
    return fail(log, TRUCE_EPARSE, "the submission stops after part %u/%u",
                want_part - 1, parts);
  if (p->n == 0)
    return fail(log, TRUCE_EPARSE, "no entries to append");
  /* Terms are checked whole: their text spans all the group's parts. */
  for (size_t i = 0; !trusted && i < p->n; i++) {
    if (p->e[i].kind != TRUCE_ENTRY_TERMS || p->e[i].part != 1)
      continue;
    truce_buf text;
    truce_buf_init(&text, (size_t)TRUCE_SUBMIT_MAX_BYTES);
    truce_err rc2 = terms_text(&p->e[i], p->n - i, &text, err);
    truce_buf_release(&text);
    if (rc2)
      return fail(log, rc2, "entry %zu (terms): %s", i + 1, err);
  }
  return TRUCE_OK;
}

/* Check the prepared entries against the registry and write them all
 * with one write and one fdatasync. Caller holds the exclusive lock and
 * has refreshed. */
static truce_err commit(truce_log *log, prepared *p, uint64_t *first,
                        uint64_t *count) {
  registry_undo undo;
  pthread_rwlock_wrlock(&log->reg_lock);
  registry_undo_begin(&undo, &log->reg);
  char err[TRUCE_ERR_MAX];
  truce_err rc = TRUCE_OK;
  for (size_t i = 0; !rc && i < p->n; i++) {
    truce_entry *e = &p->e[i];
    /* Verify now unless done with the key the registry holds now. */
    bool verify = true;
    if (p->sig_ok[i]) {
      const truce_source *s = e->kind == TRUCE_ENTRY_BATCH
                                  ? registry_find(&log->reg, e->signer)
                                  : NULL;
      const uint8_t *pub =
          e->kind == TRUCE_ENTRY_BATCH ? (s ? s->key.pub : NULL)
                                       : log->info.admin_key.pub;
      verify = !pub || memcmp(pub, p->sigpub[i], 32) != 0;
    }
    rc = registry_apply(&log->reg, &log->info, e, log->size + i, verify,
                        &undo, err);
    if (rc)
      fail(log, rc, "entry %zu%s%s (seq %" PRIu64 "): %s", i + 1,
           e->signer[0] ? " from " : "", e->signer, e->seq, err);
  }
  if (rc)
    registry_rollback(&log->reg, &undo);
  pthread_rwlock_unlock(&log->reg_lock);
  if (rc) {
    registry_undo_release(&undo);
    return rc;
  }

  /* Write and make durable. */
  if (!rc && log->pendfd < 0) {
    bool created = !file_exists_at(log->dirfd, PENDING);
    log->pendfd = openat(log->dirfd, PENDING,
                         O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (log->pendfd < 0)
      rc = fail(log, TRUCE_EIO, "cannot open %s: %s", PENDING,
                strerror(errno));
    else if (created)
      rc = sync_var(log);
  }
  if (!rc) {
    if (write_full(log->pendfd, p->recs.data, p->recs.len) != TRUCE_OK ||
        fdatasync(log->pendfd) != 0) {
      rc = fail(log, TRUCE_EIO, "cannot write %s: %s", PENDING,
                strerror(errno));
      /* Nothing was acknowledged: take the partial write back. */
      if (ftruncate(log->pendfd, (off_t)log->pend_len) == 0)
        fdatasync(log->pendfd);
    }
  }
  if (rc) {
    pthread_rwlock_wrlock(&log->reg_lock);
    registry_rollback(&log->reg, &undo);
    pthread_rwlock_unlock(&log->reg_lock);
    registry_undo_release(&undo);
    return rc;
  }
  registry_undo_release(&undo);
  /* Durable: now update what we know. */
  stat_pending(log);
  uint64_t first_index = log->size;
  for (size_t i = 0; !rc && i < p->n; i++) {
    rc = edge_push(log, log->size, p->hashes[i]);
    if (!rc)
      log->size++;
  }
  log->pend_count += p->n;
  log->pend_len += p->recs.len;
  log->state_dirty = true;
  while (!rc && log->pend_count >= 256)
    rc = rollover(log);
  if (rc) {
    /* The entries are durable; only derived files failed. Reload so the
     * next operation starts from the disk's truth. */
    char msg[TRUCE_ERR_MAX];
    memcpy(msg, ERRMSG(log), sizeof msg);
    pthread_rwlock_wrlock(&log->reg_lock);
    load(log, false);
    pthread_rwlock_unlock(&log->reg_lock);
    fail(log, rc, "appended, but %s", msg);
  }
  if (first)
    *first = first_index;
  if (count)
    *count = p->n;
  return TRUCE_OK;
}

truce_err truce_log_append(truce_log *log, const char *entries, size_t len,
                           int64_t now_ms, uint64_t *first, uint64_t *count) {
  if (first)
    *first = 0;
  if (count)
    *count = 0;
  if (!writable(log))
    return fail(log, TRUCE_EINVAL, "the log was opened read-only");
  ERRMSG(log)[0] = '\0';
  prepared p;
  truce_err rc = prepare(log, entries, len, now_ms, NULL, &p);
  if (!rc) {
    rc = lock(log, LOCK_EX);
    if (!rc)
      rc = refresh(log);
    if (!rc)
      rc = commit(log, &p, first, count);
    unlock(log);
  }
  prepared_release(&p);
  return rc;
}

truce_err truce_log_submit(truce_log *log, const truce_skey *source,
                           const char *jsonl, size_t len, int64_t now_ms,
                           uint64_t *first, uint64_t *count) {
  if (first)
    *first = 0;
  if (count)
    *count = 0;
  if (!writable(log))
    return fail(log, TRUCE_EINVAL, "the log was opened read-only");
  ERRMSG(log)[0] = '\0';
  truce_err rc = lock(log, LOCK_EX);
  if (!rc)
    rc = refresh(log);
  if (rc) {
    unlock(log);
    return rc;
  }
  truce_source *s = registry_find(&log->reg, source->vkey.name);
  uint64_t next = s ? s->last_seq + 1 : 1;
  truce_buf signed_entries;
  truce_buf_init(&signed_entries, (size_t)TRUCE_SUBMIT_MAX_BYTES * 8);
  size_t n;
  char err[TRUCE_ERR_MAX];
  prepared p;
  memset(&p, 0, sizeof p);
  rc = truce_batch_sign(source, next, now_ms, jsonl, len, &signed_entries, &n,
                        err);
  if (rc)
    fail(log, rc, "%s", err);
  /* Signed here from lines just checked: no second check of payload or
   * signature; the registry still checks the signer and sequence. */
  if (!rc)
    rc = prepare(log, signed_entries.data, signed_entries.len, now_ms,
                 source->vkey.pub, &p);
  if (!rc)
    rc = commit(log, &p, first, count);
  prepared_release(&p);
  truce_buf_release(&signed_entries);
  unlock(log);
  return rc;
}

static truce_err admin_append(truce_log *log, const truce_skey *admin,
                              truce_entry_kind kind, const char *json,
                              size_t len, int64_t now_ms, uint64_t *index) {
  if (!writable(log))
    return fail(log, TRUCE_EINVAL, "the log was opened read-only");
  if (memcmp(admin->vkey.pub, log->info.admin_key.pub, 32) != 0 ||
      strcmp(admin->vkey.name, log->info.admin_key.name) != 0)
    return fail(log, TRUCE_ENOKEY,
                "this is not the log's administrator key (%s)",
                log->info.admin_key.name);
  ERRMSG(log)[0] = '\0';
  truce_err rc = lock(log, LOCK_EX);
  if (!rc)
    rc = refresh(log);
  if (rc) {
    unlock(log);
    return rc;
  }
  truce_buf b;
  truce_buf_init(&b, TRUCE_ENTRY_MAX * 2);
  char err[TRUCE_ERR_MAX];
  rc = truce_admin_sign(admin, kind, log->reg.admin_seq + 1, now_ms, json, len,
                        &b, err);
  if (rc)
    fail(log, rc, "%s", err);
  else {
    prepared p;
    rc = prepare(log, b.data, b.len, now_ms, NULL, &p);
    if (!rc)
      rc = commit(log, &p, index, NULL);
    prepared_release(&p);
  }
  truce_buf_release(&b);
  unlock(log);
  return rc;
}

truce_err truce_log_source_add(truce_log *log, const truce_skey *admin,
                               const truce_source *src, int64_t now_ms,
                               uint64_t *index) {
  truce_buf b;
  truce_buf_init(&b, TRUCE_ENTRY_MAX);
  truce_err rc = truce_source_format(src, &b);
  if (rc)
    rc = fail(log, rc, "cannot format the source");
  else
    rc = admin_append(log, admin, TRUCE_ENTRY_SOURCE_ADD, b.data, b.len,
                      now_ms, index);
  truce_buf_release(&b);
  return rc;
}

truce_err truce_log_source_revoke(truce_log *log, const truce_skey *admin,
                                  const char *name, const char *reason,
                                  int64_t now_ms, uint64_t *index) {
  truce_buf b;
  truce_buf_init(&b, TRUCE_ENTRY_MAX);
  truce_err rc = entry_revoke_format(name, reason, &b);
  if (rc)
    rc = fail(log, rc, "cannot format the revocation");
  else
    rc = admin_append(log, admin, TRUCE_ENTRY_SOURCE_REVOKE, b.data, b.len,
                      now_ms, index);
  truce_buf_release(&b);
  return rc;
}

/* ---- checkpoints ---- */

/* The log must never sign a checkpoint inconsistent with one it signed
 * before: check the last published one against the tree we have. */
static truce_err check_previous(truce_log *log, uint64_t *prev_size) {
  *prev_size = UINT64_MAX;
  truce_buf b;
  truce_buf_init(&b, TRUCE_NOTE_MAX);
  truce_err rc = read_file_at(log->dirfd, "checkpoint", &b, ERRMSG(log));
  if (rc == TRUCE_ENOTFOUND) {
    truce_buf_release(&b);
    return TRUCE_OK;
  }
  truce_checkpoint c;
  char err[TRUCE_ERR_MAX];
  if (!rc)
    rc = truce_checkpoint_open(b.data, b.len, &log->info.log_key, NULL, 0, &c,
                               NULL, NULL, err);
  truce_buf_release(&b);
  if (rc)
    return fail(log, TRUCE_ETAMPER,
                "the published checkpoint does not verify: %s", err);
  if (c.size > log->size)
    return fail(log, TRUCE_ETAMPER,
                "the published checkpoint has %" PRIu64
                " entries but the log only %" PRIu64 ": entries are missing",
                c.size, log->size);
  uint8_t root[32];
  if ((rc = root_at(log, c.size, root)))
    return rc;
  if (c.root_len != 32 || memcmp(root, c.root, 32) != 0)
    return fail(log, TRUCE_ETAMPER,
                "the log no longer matches its published checkpoint at size "
                "%" PRIu64,
                c.size);
  *prev_size = c.size;
  return TRUCE_OK;
}

/* Write the partial tiles and bundle that a checkpoint of the current
 * size needs (tlog-tiles: they must be served). */
static truce_err write_partials(truce_log *log) {
  truce_err rc = TRUCE_OK;
  for (int level = 0; !rc && level < TILE_LEVELS; level++) {
    uint64_t count = log->size >> (TILE_H * (unsigned)level);
    unsigned w = (unsigned)(count & 255);
    if (w == 0)
      continue;
    char path[TRUCE_TILE_PATH_MAX];
    truce_tile_path(level, count >> TILE_H, w, path);
    rc = write_file_atomic(log->dirfd, path, log->edge[level],
                           (size_t)w * 32, true, ERRMSG(log));
  }
  unsigned w = (unsigned)(log->size & 255);
  if (!rc && w) {
    char path[TRUCE_TILE_PATH_MAX];
    bundle_path(log->nfull, w, path);
    if (!file_exists_at(log->dirfd, path)) {
      truce_buf b;
      truce_buf_init(&b, BUNDLE_BYTES_MAX);
      rc = read_file_at(log->dirfd, PENDING, &b, ERRMSG(log));
      if (!rc && b.len < log->pend_len)
        rc = fail(log, TRUCE_ETAMPER, "%s is shorter than expected", PENDING);
      if (!rc)
        rc = write_file_atomic(log->dirfd, path, b.data,
                               (size_t)log->pend_len, true, ERRMSG(log));
      truce_buf_release(&b);
    }
  }
  return rc;
}

truce_err truce_log_checkpoint(truce_log *log, const truce_skey *logkey,
                               truce_buf *out) {
  if (!writable(log))
    return fail(log, TRUCE_EINVAL, "the log was opened read-only");
  if (memcmp(logkey->vkey.pub, log->info.log_key.pub, 32) != 0 ||
      strcmp(logkey->vkey.name, log->info.log_key.name) != 0)
    return fail(log, TRUCE_ENOKEY, "this is not the log's key (%s)",
                log->info.log_key.name);
  ERRMSG(log)[0] = '\0';
  truce_err rc = lock(log, LOCK_EX);
  if (!rc)
    rc = refresh(log);
  uint64_t prev = UINT64_MAX;
  if (!rc)
    rc = check_previous(log, &prev);
  if (!rc)
    rc = write_partials(log);
  char hist[64];
  snprintf(hist, sizeof hist, "checkpoints/%" PRIu64, log->size);
  truce_buf note;
  truce_buf_init(&note, TRUCE_NOTE_MAX);
  if (!rc && file_exists_at(log->dirfd, hist)) {
    /* Same size again: keep the note with its cosignatures. */
    rc = read_file_at(log->dirfd, hist, &note, ERRMSG(log));
  } else if (!rc) {
    truce_checkpoint c;
    memset(&c, 0, sizeof c);
    memcpy(c.origin, log->info.origin, sizeof c.origin);
    c.size = log->size;
    c.root_len = 32;
    truce_buf text;
    truce_buf_init(&text, 1024);
    char err[TRUCE_ERR_MAX];
    rc = root_at(log, log->size, c.root);
    if (!rc)
      rc = truce_checkpoint_format(&c, &text);
    if (!rc && (rc = truce_note_sign(text.data, text.len, logkey, &note, err)))
      fail(log, rc, "cannot sign the checkpoint: %s", err);
    truce_buf_release(&text);
    if (!rc)
      rc = write_file_atomic(log->dirfd, hist, note.data, note.len, false,
                             ERRMSG(log));
  }
  if (!rc && prev != log->size)
    rc = write_file_atomic(log->dirfd, "checkpoint", note.data, note.len,
                           false, ERRMSG(log));
  if (!rc)
    save_state(log);
  if (!rc && out)
    rc = truce_buf_append(out, note.data, note.len);
  truce_buf_release(&note);
  unlock(log);
  return rc;
}

truce_err truce_log_add_cosignatures(truce_log *log, uint64_t size,
                                     const char *lines, size_t len) {
  if (!writable(log))
    return fail(log, TRUCE_EINVAL, "the log was opened read-only");
  ERRMSG(log)[0] = '\0';
  char hist[64];
  snprintf(hist, sizeof hist, "checkpoints/%" PRIu64, size);
  truce_err rc = lock(log, LOCK_EX);
  truce_buf note;
  truce_buf_init(&note, TRUCE_NOTE_MAX);
  if (!rc)
    rc = read_file_at(log->dirfd, hist, &note, ERRMSG(log));
  if (rc == TRUCE_ENOTFOUND)
    fail(log, rc, "no checkpoint of size %" PRIu64 " was made", size);
  /* Append each line that is not there yet. */
  const char *p = lines, *end = lines + len;
  while (!rc && p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
    if (n < 4 || memcmp(p, EM_DASH " ", 4) != 0 || !nl) {
      rc = fail(log, TRUCE_EPARSE, "not a signature line: '%.*s'",
                (int)(n > 60 ? 60 : n), p);
      break;
    }
    bool present = false;
    for (const char *q = note.data; q && (q = strstr(q, EM_DASH)) != NULL;
         q++)
      if ((size_t)(note.data + note.len - q) >= n && memcmp(q, p, n) == 0)
        present = true;
    if (!present)
      rc = truce_buf_append(&note, p, n);
    p += n;
  }
  /* The result must still be a valid note signed by the log. */
  truce_checkpoint c;
  char err[TRUCE_ERR_MAX];
  if (!rc && (rc = truce_checkpoint_open(note.data, note.len,
                                         &log->info.log_key, NULL, 0, &c,
                                         NULL, NULL, err)))
    fail(log, rc, "the cosigned checkpoint does not verify: %s", err);
  if (!rc)
    rc = write_file_atomic(log->dirfd, hist, note.data, note.len, false,
                           ERRMSG(log));
  if (!rc) {
    truce_buf cur;
    truce_buf_init(&cur, TRUCE_NOTE_MAX);
    truce_checkpoint cc;
    if (read_file_at(log->dirfd, "checkpoint", &cur, NULL) == TRUCE_OK &&
        truce_checkpoint_open(cur.data, cur.len, &log->info.log_key, NULL, 0,
                              &cc, NULL, NULL, NULL) == TRUCE_OK &&
        cc.size == size)
      rc = write_file_atomic(log->dirfd, "checkpoint", note.data, note.len,
                             false, ERRMSG(log));
    truce_buf_release(&cur);
  }
  truce_buf_release(&note);
  unlock(log);
  return rc;
}

/* ---- terms ---- */

/* The terms file as it goes into the log: compact JSON, key order kept,
 * printable ASCII (escapes for the rest), numbers exact (17 digits). */
static truce_err terms_compact(const char *json, size_t len, truce_buf *out,
                               char *err) {
  json_error_t je;
  json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
  if (!j)
    return seterr(err, TRUCE_EPARSE, "not JSON: %s (line %d, column %d)",
                  je.text, je.line, je.column);
  char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17));
  json_decref(j);
  if (!txt)
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  truce_err rc = truce_buf_append(out, txt, strlen(txt));
  free(txt);
  return rc ? seterr(err, rc, "terms too large") : TRUCE_OK;
}

truce_err truce_log_terms_add(truce_log *log, const truce_skey *admin,
                              const char *json, size_t len, int64_t now_ms,
                              truce_terms_ref *ref) {
  if (ref)
    memset(ref, 0, sizeof *ref);
  if (!writable(log))
    return fail(log, TRUCE_EINVAL, "the log was opened read-only");
  if (memcmp(admin->vkey.pub, log->info.admin_key.pub, 32) != 0 ||
      strcmp(admin->vkey.name, log->info.admin_key.name) != 0)
    return fail(log, TRUCE_ENOKEY,
                "this is not the log's administrator key (%s)",
                log->info.admin_key.name);
  ERRMSG(log)[0] = '\0';
  char err[TRUCE_ERR_MAX];
  truce_buf text, signed_entries;
  truce_buf_init(&text, (size_t)TRUCE_SUBMIT_MAX_BYTES);
  truce_buf_init(&signed_entries, (size_t)TRUCE_SUBMIT_MAX_BYTES * 2);
  truce_terms *t = NULL;
  truce_err rc = truce_terms_parse(json, len, &t, err);
  if (!rc)
    rc = terms_compact(json, len, &text, err);
  if (rc) {
    truce_terms_free(t);
    truce_buf_release(&text);
    return fail(log, rc, "%s", err);
  }
  char id[TRUCE_NAME_MAX + 1];
  snprintf(id, sizeof id, "%s", truce_terms_id(t));
  truce_terms_free(t);
  rc = lock(log, LOCK_EX);
  if (!rc)
    rc = refresh(log);
  uint64_t version = 1, first = 0;
  if (!rc) {
    const truce_terms_ref *last = registry_terms(&log->reg, id, 0);
    version = last ? last->version + 1 : 1;
    size_t n;
    rc = truce_terms_sign(admin, log->reg.admin_seq + 1, now_ms, id, version,
                          text.data, text.len, &signed_entries, &n, err);
    if (rc)
      fail(log, rc, "%s", err);
  }
  if (!rc) {
    prepared p;
    rc = prepare(log, signed_entries.data, signed_entries.len, now_ms, NULL,
                 &p);
    if (!rc)
      rc = commit(log, &p, &first, NULL);
    prepared_release(&p);
  }
  if (!rc && ref) {
    const truce_terms_ref *r = registry_terms(&log->reg, id, version);
    if (r)
      *ref = *r;
  }
  unlock(log);
  truce_buf_release(&text);
  truce_buf_release(&signed_entries);
  return rc;
}

truce_err truce_log_terms_get(truce_log *log, const char *id,
                              uint64_t version, truce_terms_ref *ref,
                              truce_buf *out) {
  truce_terms_ref found;
  memset(&found, 0, sizeof found);
  if (ref)
    memset(ref, 0, sizeof *ref);
  truce_err rc = read_begin(log);
  const truce_terms_ref *r = rc ? NULL : registry_terms(&log->reg, id, version);
  if (!rc && !r)
    rc = version ? fail(log, TRUCE_ENOTFOUND, "no version %" PRIu64
                                              " of terms '%s'",
                        version, id)
                 : fail(log, TRUCE_ENOTFOUND, "no terms '%s' in the log", id);
  if (r)
    found = *r;
  unlock(log);
  if (rc)
    return rc;
  if (out) {
    /* Read the parts (entries from found.index on) and join their text. */
    truce_entry *e = truce_calloc(256, sizeof *e);
    truce_buf *raw = truce_calloc(256, sizeof *raw);
    char err[TRUCE_ERR_MAX];
    size_t n = 0;
    if (!e || !raw)
      rc = fail(log, TRUCE_ENOMEM, "out of memory");
    for (unsigned parts = 1; !rc && n < parts && n < 256; n++) {
      truce_buf_init(&raw[n], TRUCE_ENTRY_MAX + 1);
      rc = truce_log_entry(log, found.index + n, &raw[n]);
      if (!rc && (rc = truce_entry_parse(raw[n].data, raw[n].len, &e[n], err)))
        fail(log, rc, "entry %" PRIu64 ": %s", found.index + n, err);
      if (!rc)
        parts = e[0].parts;
    }
    if (!rc && (rc = terms_text(e, n, out, err)))
      fail(log, rc, "terms '%s' version %" PRIu64 ": %s", id, found.version,
           err);
    for (size_t i = 0; raw && i < n; i++)
      truce_buf_release(&raw[i]);
    truce_free(raw);
    truce_free(e);
  }
  if (!rc && ref)
    *ref = found;
  return rc;
}

size_t truce_log_terms_count(truce_log *log) {
  if (read_begin(log) != TRUCE_OK) {
    unlock(log);
    return 0;
  }
  size_t n = log->reg.nterms;
  unlock(log);
  return n;
}

truce_err truce_log_terms_at(truce_log *log, size_t i, truce_terms_ref *out) {
  memset(out, 0, sizeof *out);
  pthread_mutex_lock(&log->mu);
  truce_err rc = TRUCE_OK;
  if (i >= log->reg.nterms)
    rc = fail(log, TRUCE_ENOTFOUND, "no terms %zu", i);
  else
    *out = log->reg.terms[i];
  pthread_mutex_unlock(&log->mu);
  return rc;
}
