/*
 * verify.c: what an auditor runs on a copy of a log folder, offline, with
 * nothing but the files and the log's verifier key: the whole log
 * recomputed (every entry bundle, every tile, the root of every
 * checkpoint, every entry's signature and sequence number), an entry's
 * inclusion, and the consistency of two checkpoints. Reads only; depends
 * on the tile reader (tiles.c), never on the writer (log.c).
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPORT_MAX 50 /* failures reported one by one; then counted */
#define CHECKPOINTS_MAX 100000

typedef struct verifier {
  int dirfd;
  truce_report_fn report;
  void *ctx;
  char *err;
  truce_err first; /* the first failure's code */
  uint64_t failures;
  uint64_t entry_failures; /* listed up to REPORT_MAX, then counted */
  /* recomputed right edge, as in log.c */
  uint8_t edge[TILE_LEVELS][256][32];
  unsigned edge_n[TILE_LEVELS];
  uint64_t tiles_checked;
} verifier;

static void say(verifier *v, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void say(verifier *v, const char *fmt, ...) {
  if (!v->report)
    return;
  char line[TRUCE_ERR_MAX + 64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  v->report(v->ctx, line);
}

/* Record a failure: the first one goes into err and decides the code.
 * Failures of single entries are listed up to REPORT_MAX (one bad
 * registration can fail every entry after it); failures of tiles, bundles
 * and roots are always listed. */
static void vfailed(verifier *v, bool entry, truce_err code, const char *fmt,
                    va_list ap) {
  char msg[TRUCE_ERR_MAX];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (v->failures == 0) {
    v->first = code;
    seterr(v->err, code, "%s", msg);
  }
  v->failures++;
  if (entry && v->entry_failures++ >= REPORT_MAX) {
    if (v->entry_failures == REPORT_MAX + 1)
      say(v, "FAILED: (further entry failures are counted, not listed)");
    return;
  }
  say(v, "FAILED: %s", msg);
}

static void failed(verifier *v, truce_err code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void failed(verifier *v, truce_err code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfailed(v, false, code, fmt, ap);
  va_end(ap);
}

static void entry_failed(verifier *v, truce_err code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void entry_failed(verifier *v, truce_err code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfailed(v, true, code, fmt, ap);
  va_end(ap);
}

/* Compare a recomputed tile with its file (w hashes; full if 256). */
static void check_tile(verifier *v, int level, uint64_t index, unsigned w,
                       const uint8_t (*h)[32], bool must_exist) {
  char path[TRUCE_TILE_PATH_MAX];
  truce_tile_path(level, index, w, path);
  truce_buf b;
  truce_buf_init(&b, 8192);
  truce_err rc = read_file_at(v->dirfd, path, &b, NULL);
  if (rc == TRUCE_ENOTFOUND && !must_exist) {
    truce_buf_release(&b);
    return;
  }
  v->tiles_checked++;
  if (rc == TRUCE_ENOTFOUND)
    failed(v, TRUCE_ETAMPER, "%s is missing", path);
  else if (rc)
    failed(v, TRUCE_ETAMPER, "%s cannot be read (%s)", path,
           truce_strerror(rc));
  else if (b.len != (size_t)w * 32)
    failed(v, TRUCE_ETAMPER, "%s is %zu bytes, want %u", path, b.len, w * 32);
  else
    for (unsigned i = 0; i < w; i++)
      if (memcmp(b.data + 32 * i, h[i], 32) != 0) {
        failed(v, TRUCE_ETAMPER,
               "%s: hash %u does not match the recomputed one (the tile "
               "was replaced or the data beneath it changed)",
               path, i);
        break;
      }
  truce_buf_release(&b);
}

/* The folder of partial versions of tile (level, index): "tile/L/N.p". */
static void partial_dir(int level, uint64_t index, char out[TRUCE_TILE_PATH_MAX]) {
  truce_tile_path(level, index, 1, out);
  *strrchr(out, '/') = '\0';
}

/* Widths of the partial files present for a tile, ascending. */
static size_t partial_widths(verifier *v, int level, uint64_t index,
                             unsigned out[255]) {
  char dir[TRUCE_TILE_PATH_MAX];
  partial_dir(level, index, dir);
  int fd = openat(v->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return 0;
  }
  bool have[256] = {false};
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    uint64_t w;
    if (parse_u64(e->d_name, strlen(e->d_name), &w) && w >= 1 && w <= 255)
      have[w] = true;
  }
  closedir(d);
  size_t n = 0;
  for (unsigned w = 1; w < 256; w++)
    if (have[w])
      out[n++] = w;
  return n;
}

/* Every partial version of a tile kept on disk (older checkpoints' tiles)
 * must be a prefix of the recomputed tile, which has `avail` hashes. */
static void check_partial_tiles(verifier *v, int level, uint64_t index,
                                unsigned avail, const uint8_t (*h)[32]) {
  unsigned ws[255];
  size_t n = partial_widths(v, level, index, ws);
  for (size_t i = 0; i < n; i++) {
    if (ws[i] > avail) {
      char path[TRUCE_TILE_PATH_MAX];
      truce_tile_path(level, index, ws[i], path);
      failed(v, TRUCE_ETAMPER, "%s is wider than the log at its checkpoint",
             path);
      continue;
    }
    if (level >= 0 && ws[i] == avail)
      continue; /* the current partial tile: compared by the caller */
    check_tile(v, level, index, ws[i], h, true);
  }
}

static void push(verifier *v, uint64_t leaf_index, const uint8_t leaf[32]) {
  uint8_t h[32];
  memcpy(h, leaf, 32);
  uint64_t index = leaf_index;
  for (int level = 0; level < TILE_LEVELS; level++) {
    memcpy(v->edge[level][v->edge_n[level]++], h, 32);
    if (v->edge_n[level] < 256)
      return;
    check_tile(v, level, index >> TILE_H, 256,
               (const uint8_t(*)[32])v->edge[level], true);
    check_partial_tiles(v, level, index >> TILE_H, 256,
                        (const uint8_t(*)[32])v->edge[level]);
    hash_run((const uint8_t(*)[32])v->edge[level], 256, h);
    v->edge_n[level] = 0;
    index >>= TILE_H;
  }
}

/* The root of the first `size` leaves from the recomputed edge alone
 * (every border subtree of the current size lies in it). */
static truce_err edge_root(verifier *v, uint64_t size, uint8_t out[32]) {
  tile_reader r;
  memset(&r, 0, sizeof r);
  r.size = size;
  r.edge = (const uint8_t(*)[256][32])v->edge;
  r.edge_n = v->edge_n;
  r.edge_size = size;
  r.dirfd = -1;
  char err[TRUCE_ERR_MAX];
  r.err = err;
  truce_err rc = truce_tree_root(tile_reader_node, &r, size, out);
  tile_reader_release(&r); /* frees the inner-node cache of the edge */
  return rc;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Sizes of the checkpoints kept in checkpoints/ (sorted). */
static size_t list_checkpoints(int dirfd, uint64_t *sizes, size_t cap) {
  int fd = openat(dirfd, "checkpoints", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return 0;
  }
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < cap) {
    uint64_t s;
    if (parse_u64(e->d_name, strlen(e->d_name), &s))
      sizes[n++] = s;
  }
  closedir(d);
  qsort(sizes, n, sizeof *sizes, cmp_u64);
  return n;
}

static void check_history(verifier *v, const truce_vkey *logkey,
                          uint64_t size) {
  char path[64];
  snprintf(path, sizeof path, "checkpoints/%" PRIu64, size);
  truce_buf b;
  truce_buf_init(&b, TRUCE_NOTE_MAX);
  truce_checkpoint c;
  char err[TRUCE_ERR_MAX];
  truce_err rc = read_file_at(v->dirfd, path, &b, err);
  if (!rc)
    rc = truce_checkpoint_open(b.data, b.len, logkey, NULL, 0, &c, NULL, NULL,
                               err);
  truce_buf_release(&b);
  if (rc) {
    failed(v, rc, "%s does not verify: %s", path, err);
    return;
  }
  uint8_t root[32];
  if (c.size != size)
    failed(v, TRUCE_ETAMPER, "%s is for size %" PRIu64, path, c.size);
  else if (edge_root(v, size, root) != TRUCE_OK || c.root_len != 32 ||
           memcmp(root, c.root, 32) != 0)
    failed(v, TRUCE_ETAMPER,
           "%s: the signed root does not match the entries (the log was "
           "rewritten after this checkpoint)",
           path);
}

/* Terms span the parts of a group of entries: their text is gathered
 * part by part and checked (length, SHA-256, parsed as terms) at the last. */
typedef struct terms_acc {
  truce_buf text;
  truce_terms_ref ref;
  unsigned next; /* the part expected next; 0: none open */
} terms_acc;

static truce_err terms_part(terms_acc *a, const truce_entry *e, char *why) {
  size_t first = 0;
  if (e->part == 1) {
    truce_err rc = entry_terms_header(e, &a->ref, why);
    if (rc)
      return rc;
    a->text.len = 0;
    a->next = 1;
    first = 1;
  }
  if (a->next != e->part)
    return seterr(why, TRUCE_EPARSE, "terms part %u out of place",
                  e->part);
  for (size_t l = first; l < e->nlines; l++) {
    const char *line;
    size_t len;
    truce_entry_line(e, l, &line, &len);
    if (truce_buf_append(&a->text, line, len) != TRUCE_OK)
      return seterr(why, TRUCE_ETOOBIG, "terms text too large");
  }
  a->next++;
  if (e->part < e->parts)
    return TRUCE_OK;
  a->next = 0;
  uint8_t h[32];
  truce_sha256(a->text.data, a->text.len, h);
  if (a->text.len != a->ref.bytes || memcmp(h, a->ref.sha256, 32) != 0)
    return seterr(why, TRUCE_ETAMPER,
                  "terms '%s' text does not match its length and SHA-256",
                  a->ref.id);
  truce_terms *t;
  truce_err rc = truce_terms_parse(a->text.data, a->text.len, &t, why);
  if (!rc && strcmp(truce_terms_id(t), a->ref.id) != 0)
    rc = seterr(why, TRUCE_EPARSE, "terms text is '%s', header says '%s'",
                truce_terms_id(t), a->ref.id);
  truce_terms_free(t);
  return rc;
}

truce_err truce_verify_log(const char *dir, const truce_vkey *logkey,
                           truce_report_fn report, void *ctx, char *err) {
  verifier *v = truce_calloc(1, sizeof *v);
  if (!v)
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  v->report = report;
  v->ctx = ctx;
  v->err = err;
  v->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  truce_err rc = TRUCE_OK;
  truce_log_info info;
  truce_buf b;
  truce_buf_init(&b, BUNDLE_BYTES_MAX);
  registry reg;
  registry_init(&reg);
  terms_acc terms;
  memset(&terms, 0, sizeof terms);
  truce_buf_init(&terms.text, (size_t)TRUCE_SUBMIT_MAX_BYTES);
  truce_entry *e = truce_malloc(sizeof *e);
  uint64_t *hist = truce_malloc(CHECKPOINTS_MAX * sizeof *hist);
  if (!e || !hist) {
    rc = seterr(err, TRUCE_ENOMEM, "out of memory");
    goto out;
  }
  if (v->dirfd < 0) {
    rc = seterr(err, errno == ENOENT ? TRUCE_ENOTFOUND : TRUCE_EIO,
                "cannot open '%s': %s", dir, strerror(errno));
    goto out;
  }

  /* The keys: recorded in log.info; a key given by the caller must match. */
  rc = read_file_at(v->dirfd, "log.info", &b, err);
  if (!rc)
    rc = log_info_parse(b.data, b.len, &info, err);
  if (rc) {
    errprefix(err, "%s", dir);
    goto out;
  }
  if (logkey && (strcmp(logkey->name, info.log_key.name) != 0 ||
                 logkey->id != info.log_key.id ||
                 memcmp(logkey->pub, info.log_key.pub, 32) != 0)) {
    rc = seterr(err, TRUCE_ENOKEY,
                "log.info names a different log key than the one given");
    goto out;
  }
  say(v, "log %s, key %s+%08x", info.origin, info.log_key.name,
      info.log_key.id);

  /* The latest checkpoint. */
  b.len = 0;
  truce_checkpoint cp;
  char e2[TRUCE_ERR_MAX];
  rc = read_file_at(v->dirfd, "checkpoint", &b, e2);
  if (!rc)
    rc = truce_checkpoint_open(b.data, b.len, &info.log_key, NULL, 0, &cp,
                               NULL, NULL, e2);
  if (rc) {
    rc = seterr(err, rc, "checkpoint does not verify: %s", e2);
    goto out;
  }
  if (strcmp(cp.origin, info.origin) != 0 || cp.root_len != 32) {
    rc = seterr(err, TRUCE_ETAMPER, "checkpoint is for origin '%s', not '%s'",
                cp.origin, info.origin);
    goto out;
  }
  say(v, "ok: checkpoint signed by the log key: %" PRIu64 " entries",
      cp.size);

  size_t nhist = list_checkpoints(v->dirfd, hist, CHECKPOINTS_MAX), hi = 0;
  while (hi < nhist && hist[hi] == 0)
    check_history(v, &info.log_key, hist[hi++]);

  /* Every bundle, every entry. */
  uint64_t index = 0, bundles = 0, kinds[TRUCE_ENTRY_KIND_COUNT] = {0};
  for (uint64_t k = 0; (k << TILE_H) < cp.size; k++) {
    unsigned w = tile_width(-1, k, cp.size);
    char path[TRUCE_TILE_PATH_MAX];
    truce_tile_path(TRUCE_TILE_ENTRIES, k, w, path);
    b.len = 0;
    truce_err r2 = read_file_at(v->dirfd, path, &b, NULL);
    if (r2 == TRUCE_ENOTFOUND && w < 256) {
      /* A partial bundle may be gone once the full one exists: use the
       * first w entries of the full one. */
      truce_tile_path(TRUCE_TILE_ENTRIES, k, 256, path);
      r2 = read_file_at(v->dirfd, path, &b, NULL);
    }
    bundles++;
    if (r2) {
      failed(v, TRUCE_ETAMPER, "%s is missing or unreadable", path);
      rc = TRUCE_ETAMPER;
      goto out; /* without entries, nothing after can be checked */
    }
    size_t off = 0;
    const uint8_t *ent;
    size_t n;
    unsigned got = 0;
    size_t ends[256];
    while (got < w) {
      r2 = bundle_next((const uint8_t *)b.data, b.len, &off, &ent, &n);
      if (r2)
        break;
      uint8_t h[32];
      truce_leaf_hash(ent, n, h);
      push(v, index, h);
      char why[TRUCE_ERR_MAX];
      truce_err r3 = truce_entry_parse((const char *)ent, n, e, why);
      if (!r3)
        r3 = registry_apply(&reg, &info, e, index, true, NULL, why);
      if (!r3)
        r3 = entry_check_payload(e, why);
      if (!r3 && e->kind == TRUCE_ENTRY_TERMS)
        r3 = terms_part(&terms, e, why);
      if (r3)
        entry_failed(v, r3, "entry %" PRIu64 " (%s, record %u): %s", index,
                     path, got, why);
      else
        kinds[e->kind]++;
      index++;
      ends[got++] = off;
      while (hi < nhist && hist[hi] == index)
        check_history(v, &info.log_key, hist[hi++]);
    }
    if (got < w)
      failed(v, TRUCE_ETAMPER, "%s is truncated: %u of %u entries", path,
             got, w);
    else if (off != b.len && strstr(path, ".p/") == NULL && w == 256)
      failed(v, TRUCE_ETAMPER, "%s has %zu bytes after its 256 entries",
             path, b.len - off);
    else if (off != b.len && w < 256 && strstr(path, ".p/"))
      failed(v, TRUCE_ETAMPER, "%s has %zu bytes after its %u entries", path,
             b.len - off, w);
    if (got < w) {
      rc = TRUCE_ETAMPER;
      goto out;
    }
    /* Older partial bundles kept for older checkpoints: prefixes. */
    unsigned ws[255];
    size_t np = partial_widths(v, TRUCE_TILE_ENTRIES, k, ws);
    for (size_t i = 0; i < np; i++) {
      char pp[TRUCE_TILE_PATH_MAX];
      truce_tile_path(TRUCE_TILE_ENTRIES, k, ws[i], pp);
      truce_buf pb;
      truce_buf_init(&pb, BUNDLE_BYTES_MAX);
      truce_err r4 = read_file_at(v->dirfd, pp, &pb, NULL);
      if (ws[i] > got)
        failed(v, TRUCE_ETAMPER, "%s is wider than the log", pp);
      else if (r4 || pb.len != ends[ws[i] - 1] ||
               memcmp(pb.data, b.data, pb.len) != 0)
        failed(v, TRUCE_ETAMPER,
               "%s is not the first %u entries of the log (altered)", pp,
               ws[i]);
      truce_buf_release(&pb);
    }
  }
  if (v->entry_failures)
    say(v, "FAILED: %" PRIu64 " entries do not verify", v->entry_failures);
  say(v,
      "%s: %" PRIu64 " entries in %" PRIu64 " bundles (%" PRIu64
      " batches, %" PRIu64 " registrations, %" PRIu64 " revocations, %" PRIu64
      " terms entries)",
      v->failures ? "checked" : "ok", index, bundles,
      kinds[TRUCE_ENTRY_BATCH], kinds[TRUCE_ENTRY_SOURCE_ADD],
      kinds[TRUCE_ENTRY_SOURCE_REVOKE], kinds[TRUCE_ENTRY_TERMS]);

  /* The partial tiles of the checkpoint's size, and the root. */
  for (int level = 0; level < TILE_LEVELS; level++) {
    uint64_t count = cp.size >> (TILE_H * (unsigned)level);
    unsigned w = (unsigned)(count & 255);
    if (w) {
      check_tile(v, level, count >> TILE_H, w,
                 (const uint8_t(*)[32])v->edge[level], true);
      check_partial_tiles(v, level, count >> TILE_H, w,
                          (const uint8_t(*)[32])v->edge[level]);
    }
  }
  say(v, "%s: %" PRIu64 " hash tiles recomputed and compared",
      v->failures ? "checked" : "ok", v->tiles_checked);
  uint8_t root[32];
  if (edge_root(v, cp.size, root) != TRUCE_OK ||
      memcmp(root, cp.root, 32) != 0)
    failed(v, TRUCE_ETAMPER,
           "the root recomputed from the entries does not match the signed "
           "checkpoint");
  else
    say(v, "ok: the root of all %" PRIu64 " entries matches the checkpoint",
        cp.size);
  if (nhist)
    say(v, "%s: %zu earlier checkpoints in checkpoints/ match the log",
        v->failures ? "checked" : "ok", hi);
  rc = v->failures ? v->first : TRUCE_OK;
out:
  truce_buf_release(&terms.text);
  truce_free(hist);
  truce_free(e);
  registry_release(&reg);
  truce_buf_release(&b);
  if (v->dirfd >= 0)
    close(v->dirfd);
  truce_free(v);
  return rc;
}

/* ---- one entry, two checkpoints ---- */

truce_err truce_verify_inclusion_dir(const char *dir, const truce_vkey *logkey,
                                     const char *note, size_t note_len,
                                     uint64_t index, truce_buf *entry,
                                     truce_proof *proof, char *err) {
  truce_checkpoint c;
  truce_err rc = truce_checkpoint_open(note, note_len, logkey, NULL, 0, &c,
                                       NULL, NULL, err);
  if (rc) {
    errprefix(err, "checkpoint");
    return rc;
  }
  if (index >= c.size)
    return seterr(err, TRUCE_ENOTFOUND,
                  "entry %" PRIu64 " is not in the checkpoint (size %" PRIu64
                  ")",
                  index, c.size);
  truce_tiles *t;
  if ((rc = truce_tiles_open(dir, c.size, &t, err)))
    return rc;
  size_t before = entry->len;
  rc = truce_tiles_entry(t, index, entry);
  if (!rc)
    rc = truce_inclusion_prove(truce_tiles_node, t, index, c.size, proof);
  if (rc)
    seterr(err, rc, "%s", truce_tiles_errmsg(t));
  truce_tiles_close(t);
  if (rc)
    return rc;
  uint8_t leaf[32];
  truce_leaf_hash(entry->data + before, entry->len - before, leaf);
  rc = truce_inclusion_verify(index, c.size, leaf, proof, c.root, c.root_len);
  if (rc)
    return seterr(err, rc,
                  "entry %" PRIu64 " is not included in the checkpoint: %s",
                  index, truce_strerror(rc));
  return TRUCE_OK;
}

truce_err truce_verify_consistency_dir(const char *dir,
                                       const truce_vkey *logkey,
                                       const char *note1, size_t len1,
                                       const char *note2, size_t len2,
                                       truce_proof *proof, char *err) {
  truce_checkpoint a, b;
  truce_err rc = truce_checkpoint_open(note1, len1, logkey, NULL, 0, &a, NULL,
                                       NULL, err);
  if (rc) {
    errprefix(err, "first checkpoint");
    return rc;
  }
  if ((rc = truce_checkpoint_open(note2, len2, logkey, NULL, 0, &b, NULL,
                                  NULL, err))) {
    errprefix(err, "second checkpoint");
    return rc;
  }
  if (strcmp(a.origin, b.origin) != 0)
    return seterr(err, TRUCE_EINVAL, "the checkpoints are of different logs");
  if (a.size > b.size) {
    truce_checkpoint t = a;
    a = b;
    b = t;
  }
  memset(proof, 0, sizeof *proof);
  if (a.size > 0) {
    truce_tiles *t;
    if ((rc = truce_tiles_open(dir, b.size, &t, err)))
      return rc;
    rc = truce_consistency_prove(truce_tiles_node, t, a.size, b.size, proof);
    if (rc)
      seterr(err, rc, "%s", truce_tiles_errmsg(t));
    truce_tiles_close(t);
    if (rc)
      return rc;
    rc = truce_consistency_verify(a.size, b.size, a.root, a.root_len, b.root,
                                  b.root_len, proof);
  } else {
    /* The empty tree is consistent with every tree; check it is empty. */
    uint8_t empty[32];
    truce_sha256("", 0, empty);
    rc = a.root_len == 32 && memcmp(a.root, empty, 32) == 0 ? TRUCE_OK
                                                            : TRUCE_EPROOF;
  }
  if (rc == TRUCE_EPROOF)
    return seterr(err, TRUCE_ESPLIT,
                  "the checkpoints of size %" PRIu64 " and %" PRIu64
                  " are inconsistent: the log was rewritten or shows a split "
                  "view",
                  a.size, b.size);
  if (rc)
    return seterr(err, rc, "consistency proof: %s", truce_strerror(rc));
  return TRUCE_OK;
}
