/*
 * import.c: the import framework (truce.h, "Import"): reads the file,
 * hashes it, finds the rows of the same file already in the log, runs
 * the data set's converter (import_<kind>.c, through lib/import.h),
 * checks each observation as the log will, and appends them in bounded
 * submissions signed by the importer source.
 *
 * Owns: counting (rows == imported + refused + already + outside),
 * re-import, the box, and batching. Must not know what any column means:
 * the converters do.
 */
#include "import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* A submission: at most this many observations or bytes of JSON lines,
 * so memory stays bounded whatever the file's size (a FIRMS line is
 * about 330 bytes: 4096 of them are 1.4 MB, about 22 entries). */
#define CHUNK_OBS 4096
#define CHUNK_BYTES ((size_t)2 << 20)

static const struct {
  const char *name;
  import_convert_fn fn;
} kinds[TRUCE_IMPORT_KIND_COUNT] = {
    [TRUCE_IMPORT_FIRMS] = {"firms", import_firms},
    [TRUCE_IMPORT_ACLED] = {"acled", import_acled},
    [TRUCE_IMPORT_UCDP] = {"ucdp", import_ucdp},
    [TRUCE_IMPORT_VIINA] = {"viina", import_viina},
    [TRUCE_IMPORT_CIR] = {"cir", import_cir},
    [TRUCE_IMPORT_GEOJSON] = {"geojson", import_geojson},
};

const char *truce_import_kind_name(int kind) {
  if (kind <= 0 || kind >= TRUCE_IMPORT_KIND_COUNT)
    return NULL;
  return kinds[kind].name;
}

int truce_import_kind_from_name(const char *name) {
  if (!name)
    return 0;
  for (int k = 1; k < TRUCE_IMPORT_KIND_COUNT; k++)
    if (strcmp(kinds[k].name, name) == 0)
      return k;
  return 0;
}

/* One import in progress. */
typedef struct importer {
  truce_log *log;          /* read for rows already there; may be NULL */
  bool write;              /* append to log (not a dry run) */
  const truce_skey *key;
  int64_t now_ms;
  const truce_import_cb *cb;
  const truce_import_opts *opts; /* never NULL (run) */
  truce_import_stats *st;
  uint64_t *done;          /* rows already in the log: sorted, unique */
  size_t ndone, capdone;
  truce_buf line;          /* one observation's canonical JSON */
  truce_buf chunk;         /* the submission being gathered */
  size_t nchunk;
  truce_obs *check;        /* what the log will parse the line into */
  truce_obs *fixed;        /* the converter's observation, provenance set */
  int kind;
  char *err;               /* the caller's, for a stopping error */
} importer;

/* Does the n bytes at p hold the 64 bytes of hex? (memmem is a GNU
 * extension.) */
static bool holds(const char *p, size_t n, const char *hex) {
  const char *end = p + n;
  while (n >= 64 && (p = memchr(p, hex[0], (size_t)(end - p) - 63)) != NULL) {
    if (memcmp(p, hex, 64) == 0)
      return true;
    p++;
    n = (size_t)(end - p);
  }
  return false;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static bool already(const importer *m, uint64_t line) {
  return m->ndone &&
         bsearch(&line, m->done, m->ndone, sizeof *m->done, cmp_u64) != NULL;
}

/* Sort and drop repeats (the same row signed twice by hand). */
static void compact(importer *m) {
  if (!m->ndone)
    return;
  qsort(m->done, m->ndone, sizeof *m->done, cmp_u64);
  size_t k = 1;
  for (size_t i = 1; i < m->ndone; i++)
    if (m->done[i] != m->done[k - 1])
      m->done[k++] = m->done[i];
  m->ndone = k;
}

/* Remember a row of this file found in the log. Rows past `maxrow`
 * cannot be met and are ignored, so the set never holds more than
 * maxrow distinct rows and, compacted when full, never more than
 * 2 * maxrow + 1024. */
static truce_err add_done(importer *m, uint64_t row, uint64_t maxrow) {
  if (row == 0 || row > maxrow)
    return TRUCE_OK;
  if (m->ndone == m->capdone) {
    compact(m);
    if (m->ndone * 2 > m->capdone || m->capdone == 0) {
      size_t cap = m->capdone ? m->capdone * 2 : 1024;
      uint64_t *p = truce_realloc(m->done, cap * sizeof *p);
      if (!p)
        return TRUCE_ENOMEM;
      m->done = p;
      m->capdone = cap;
    }
  }
  m->done[m->ndone++] = row;
  return TRUCE_OK;
}

/* Find the rows of the file with this SHA-256 already in the log: every
 * batch entry whose text holds the hash in hex is parsed, and each of its
 * observations whose provenance names the file gives its row. */
static truce_err scan_log(importer *m, const uint8_t sha[32], uint64_t maxrow,
                          char *err) {
  uint64_t size;
  truce_err rc = truce_log_size(m->log, &size);
  if (rc)
    return seterr(err, rc, "%s", truce_log_errmsg(m->log));
  char hex[65];
  truce_hex_encode(sha, 32, hex);
  truce_buf b;
  truce_buf_init(&b, TRUCE_ENTRY_MAX + 1);
  truce_entry *e = truce_malloc(sizeof *e);
  if (!e)
    rc = seterr(err, TRUCE_ENOMEM, "out of memory");
  char why[TRUCE_ERR_MAX];
  for (uint64_t i = 0; !rc && i < size; i++) {
    b.len = 0;
    if ((rc = truce_log_entry(m->log, i, &b))) {
      seterr(err, rc, "reading entry %llu: %s", (unsigned long long)i,
             truce_log_errmsg(m->log));
      break;
    }
    if (!holds(b.data, b.len, hex))
      continue;
    if (truce_entry_parse(b.data, b.len, e, why) != TRUCE_OK ||
        e->kind != TRUCE_ENTRY_BATCH)
      continue;
    for (size_t k = 0; !rc && k < e->nlines; k++) {
      const char *ln;
      size_t n;
      if (truce_entry_line(e, k, &ln, &n) != TRUCE_OK ||
          !holds(ln, n, hex))
        continue;
      /* Lines were checked when appended, against the entry's time. */
      truce_err prc = truce_obs_parse(ln, n, e->time_ms, m->check, why);
      if (prc == TRUCE_ENOMEM)
        rc = seterr(err, prc, "out of memory");
      else if (prc == TRUCE_OK && m->check->has_provenance &&
               memcmp(m->check->file_sha256, sha, 32) == 0 &&
               (rc = add_done(m, m->check->row, maxrow)))
        seterr(err, rc, "out of memory");
    }
  }
  truce_free(e);
  truce_buf_release(&b);
  if (!rc)
    compact(m);
  return rc;
}

static truce_err flush(importer *m) {
  if (!m->nchunk)
    return TRUCE_OK;
  uint64_t first = 0, count = 0;
  truce_err rc = truce_log_submit(m->log, m->key, m->chunk.data, m->chunk.len,
                                  m->now_ms, &first, &count);
  if (rc)
    return seterr(m->err, rc, "appending rows: %s",
                  truce_log_errmsg(m->log));
  if (m->st->entries == 0)
    m->st->first_index = first;
  m->st->entries += count;
  m->st->rows += m->nchunk;
  m->st->imported += m->nchunk;
  m->chunk.len = 0;
  m->nchunk = 0;
  return TRUCE_OK;
}

int truce_import_opts_valid(const truce_import_opts *o) {
  return !o || !o->has_box ||
         (o->south_deg >= -90 && o->south_deg <= o->north_deg &&
          o->north_deg <= 90 && o->west_deg >= -180 && o->west_deg <= 180 &&
          o->east_deg >= -180 && o->east_deg <= 180);
}

/* Does (lat, lon) lie in the options' box (edges included), or is there
 * none? A box whose west lies east of its east crosses 180. */
static bool inside(const truce_import_opts *o, double lat, double lon) {
  if (!o->has_box)
    return true;
  if (!(lat >= o->south_deg && lat <= o->north_deg))
    return false;
  if (o->west_deg <= o->east_deg)
    return lon >= o->west_deg && lon <= o->east_deg;
  return lon >= o->west_deg || lon <= o->east_deg;
}

static void sink_reject(void *ctx, uint64_t line, const char *why) {
  importer *m = ctx;
  m->st->rows++;
  m->st->refused++;
  if (m->cb && m->cb->reject)
    m->cb->reject(m->cb->ctx, line, why);
}

static void sink_progress(void *ctx, uint64_t done, uint64_t total) {
  importer *m = ctx;
  if (m->cb && m->cb->progress)
    m->cb->progress(m->cb->ctx, done, total);
}

static truce_err sink_emit(void *ctx, uint64_t line, const truce_obs *in) {
  importer *m = ctx;
  /* Provenance is what re-import relies on: whatever the converter
   * wrote, the observation names this file, and its row (the line, if
   * the converter gave none). */
  truce_obs *o = m->fixed;
  *o = *in;
  o->has_provenance = 1;
  memcpy(o->file_sha256, m->st->file_sha256, 32);
  if (o->row == 0)
    o->row = line;
  if (!o->dataset[0])
    snprintf(o->dataset, sizeof o->dataset, "%s", kinds[m->kind].name);
  if (already(m, o->row)) {
    m->st->rows++;
    m->st->already++;
    return TRUCE_OK;
  }
  char why[TRUCE_ERR_MAX], msg[TRUCE_ERR_MAX];
  m->line.len = 0;
  truce_err rc = truce_obs_format(o, &m->line);
  if (rc == TRUCE_ENOMEM)
    return seterr(m->err, rc, "out of memory");
  if (rc) {
    snprintf(msg, sizeof msg, "cannot be written as an observation: %s",
             truce_strerror(rc));
    sink_reject(m, line, msg);
    return TRUCE_OK;
  }
  /* What the log would refuse is refused here, one row at a time, rather
   * than failing a whole submission later. */
  rc = truce_obs_parse(m->line.data, m->line.len, m->now_ms, m->check, why);
  if (rc == TRUCE_ENOMEM)
    return seterr(m->err, rc, "out of memory");
  if (rc) {
    snprintf(msg, sizeof msg, "refused as an observation: %.450s", why);
    sink_reject(m, line, msg);
    return TRUCE_OK;
  }
  if (!inside(m->opts, o->lat_deg, o->lon_deg)) {
    m->st->rows++;
    m->st->outside++;
    return TRUCE_OK;
  }
  /* A row counts as read once it is dealt with: refused, skipped, left
   * out, or imported (on a write, once its submission is durable), so the
   * counts add up even after an error part-way. */
  if (m->cb && m->cb->obs &&
      (rc = m->cb->obs(m->cb->ctx, line, o, m->line.data, m->line.len)))
    return seterr(m->err, rc, "line %llu: stopped by the caller",
                  (unsigned long long)line);
  if (!m->write) {
    m->st->rows++;
    m->st->imported++;
    return TRUCE_OK;
  }
  if ((rc = truce_buf_append(&m->chunk, m->line.data, m->line.len)) ||
      (rc = truce_buf_append(&m->chunk, "\n", 1)))
    return seterr(m->err, rc, "out of memory");
  m->nchunk++;
  if (m->nchunk >= CHUNK_OBS || m->chunk.len >= CHUNK_BYTES)
    return flush(m);
  return TRUCE_OK;
}

/* Convert data with the converter of `kind`; with m->log, skip the rows
 * already in it; with m->write, append the others. */
static truce_err run(importer *m, int kind, const char *data, size_t len) {
  truce_import_stats *st = m->st;
  st->bytes = len;
  truce_sha256(data, len, st->file_sha256);
  truce_buf_init(&m->line, TRUCE_OBS_LINE_MAX);
  truce_buf_init(&m->chunk, CHUNK_BYTES + TRUCE_OBS_LINE_MAX + 2);
  truce_err rc = TRUCE_OK;
  m->kind = kind;
  m->check = truce_malloc(sizeof *m->check);
  m->fixed = truce_malloc(sizeof *m->fixed);
  if (!m->check || !m->fixed)
    rc = seterr(m->err, TRUCE_ENOMEM, "out of memory");
  /* A row (a line, a feature) takes at least a byte of the file: larger
   * row numbers cannot be this file's. */
  if (!rc && m->log)
    rc = scan_log(m, st->file_sha256, (uint64_t)len + 1, m->err);
  if (!rc) {
    import_sink s;
    memset(&s, 0, sizeof s);
    s.emit = sink_emit;
    s.reject = sink_reject;
    s.progress = sink_progress;
    s.ctx = m;
    memcpy(s.file_sha256, st->file_sha256, 32);
    s.now_ms = m->now_ms;
    m->err[0] = '\0';
    rc = kinds[kind].fn(data, len, &s, m->err);
    if (!rc && m->write)
      rc = flush(m);
  }
  truce_free(m->check);
  truce_free(m->fixed);
  truce_free(m->done);
  truce_buf_release(&m->line);
  truce_buf_release(&m->chunk);
  return rc;
}

static truce_err check_kind(int kind, char *err) {
  if (!truce_import_kind_name(kind))
    return seterr(err, TRUCE_EINVAL, "unknown import kind %d", kind);
  return TRUCE_OK;
}

static const truce_import_opts no_opts;

truce_err truce_import_convert(int kind, const char *data, size_t len,
                               int64_t now_ms, const truce_import_opts *opts,
                               const truce_import_cb *cb,
                               truce_import_stats *stats, char *err) {
  char ebuf[TRUCE_ERR_MAX];
  if (!err)
    err = ebuf;
  err[0] = '\0';
  if (!stats)
    return seterr(err, TRUCE_EINVAL, "no stats");
  memset(stats, 0, sizeof *stats);
  if (!data && len)
    return seterr(err, TRUCE_EINVAL, "no data");
  truce_err rc = check_kind(kind, err);
  if (rc)
    return rc;
  if (!truce_import_opts_valid(opts))
    return seterr(err, TRUCE_EINVAL, "invalid box");
  if (len > TRUCE_IMPORT_MAX_BYTES)
    return seterr(err, TRUCE_ETOOBIG, "larger than %zu bytes",
                  TRUCE_IMPORT_MAX_BYTES);
  importer m;
  memset(&m, 0, sizeof m);
  m.now_ms = now_ms;
  m.opts = opts ? opts : &no_opts;
  m.cb = cb;
  m.st = stats;
  m.err = err;
  return run(&m, kind, data ? data : "", len);
}

/* The importer must be a registered, unrevoked source with this key:
 * said here, plainly, rather than by the first submission's failure. */
static truce_err check_importer(truce_log *log, const truce_skey *k,
                                char *err) {
  truce_source src;
  truce_err rc = truce_log_source(log, k->vkey.name, &src);
  if (rc == TRUCE_ENOTFOUND)
    return seterr(err, TRUCE_EUNKNOWN,
                  "'%s' is not a registered source (truce source add)",
                  k->vkey.name);
  if (rc)
    return seterr(err, rc, "%s", truce_log_errmsg(log));
  if (src.revoked_index != UINT64_MAX)
    return seterr(err, TRUCE_EREVOKED, "source '%s' was revoked",
                  k->vkey.name);
  if (memcmp(src.key.pub, k->vkey.pub, 32) != 0)
    return seterr(err, TRUCE_ENOKEY,
                  "this key is not the registered key of '%s'",
                  k->vkey.name);
  return TRUCE_OK;
}

static truce_err io_err(char *err, const char *what, const char *path) {
  int e = errno;
  return seterr(err, e == ENOENT ? TRUCE_ENOTFOUND : TRUCE_EIO,
                "cannot %s '%s': %s", what, path, strerror(e));
}

/* The whole file in one allocation of its size (plus a NUL), so an
 * import holds the file once, never a doubled buffer. */
static truce_err read_whole(const char *path, char **out, size_t *len,
                            char *err) {
  *out = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return io_err(err, "open", path);
  struct stat st;
  truce_err rc = TRUCE_OK;
  if (fstat(fd, &st) != 0)
    rc = io_err(err, "read", path);
  else if (!S_ISREG(st.st_mode))
    rc = seterr(err, TRUCE_EIO, "'%s' is not a regular file", path);
  else if ((uint64_t)st.st_size > TRUCE_IMPORT_MAX_BYTES)
    rc = seterr(err, TRUCE_ETOOBIG, "'%s' is larger than %zu bytes (2 GiB)",
                path, TRUCE_IMPORT_MAX_BYTES);
  size_t size = rc ? 0 : (size_t)st.st_size, n = 0;
  char *data = rc ? NULL : truce_malloc(size + 1);
  if (!rc && !data)
    rc = seterr(err, TRUCE_ENOMEM, "out of memory");
  while (!rc && n < size) {
    ssize_t k = read(fd, data + n, size - n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0)
      rc = io_err(err, "read", path);
    else if (k == 0)
      rc = seterr(err, TRUCE_EIO, "'%s' changed while it was read", path);
    else
      n += (size_t)k;
  }
  char extra;
  if (!rc && read(fd, &extra, 1) != 0)
    rc = seterr(err, TRUCE_EIO, "'%s' changed while it was read", path);
  close(fd);
  if (rc) {
    truce_free(data);
    return rc;
  }
  data[size] = '\0';
  *out = data;
  *len = size;
  return TRUCE_OK;
}

truce_err truce_import_file(truce_log *log, const truce_skey *importer_key,
                            int kind, const char *path, int64_t now_ms,
                            const truce_import_opts *opts,
                            const truce_import_cb *cb,
                            truce_import_stats *stats, char *err) {
  char ebuf[TRUCE_ERR_MAX];
  if (!err)
    err = ebuf;
  err[0] = '\0';
  if (!stats)
    return seterr(err, TRUCE_EINVAL, "no stats");
  memset(stats, 0, sizeof *stats);
  if (!opts)
    opts = &no_opts;
  bool dry = (opts->flags & TRUCE_IMPORT_DRY_RUN) != 0;
  if (!path || (!dry && (!log || !importer_key)))
    return seterr(err, TRUCE_EINVAL, "no %s",
                  !path ? "file" : !log ? "log" : "importer key");
  truce_err rc = check_kind(kind, err);
  if (rc)
    return rc;
  if (!truce_import_opts_valid(opts))
    return seterr(err, TRUCE_EINVAL, "invalid box");
  if (!dry && (rc = check_importer(log, importer_key, err)))
    return rc;
  char *data;
  size_t len;
  if ((rc = read_whole(path, &data, &len, err)))
    return rc;
  importer m;
  memset(&m, 0, sizeof m);
  m.log = log; /* a dry run with a log still counts what is there */
  m.write = !dry;
  m.key = importer_key;
  m.now_ms = now_ms;
  m.opts = opts;
  m.cb = cb;
  m.st = stats;
  m.err = err;
  rc = run(&m, kind, data, len);
  truce_free(data);
  if (rc && !strstr(err, path))
    errprefix(err, "%s", path);
  return rc;
}
