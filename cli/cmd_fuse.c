/*
 * cmd_fuse.c: `truce fuse`, `truce reindex` and `truce incidents`: the
 * observations fused into incidents, the derived index that holds them,
 * and queries on it (docs/fusion.md).
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int emit(void *ctx, const truce_incident *c) {
  out_sink *k = ctx;
  sink_record(k);
  return sink_write(k, truce_incident_format(c, k->format, &k->line));
}

static void index_path(const opts *o, const char *dir,
                       char out[TRUCE_INDEX_PATH_MAX]) {
  const char *p = opt(o, "--index");
  if (p)
    snprintf(out, TRUCE_INDEX_PATH_MAX, "%s", p);
  else
    truce_index_default_path(dir, out);
}

/* Nothing is left out without a word: entries or observations of the
 * log that fusion could not read or place (truce_fuse_skipped). */
static void warn_skipped(size_t n, const char *why) {
  if (n)
    fprintf(stderr, "truce: warning: %zu entries or observations of the log "
                    "could not be read or placed, and are in no incident "
                    "(the first: %s)\n",
            n, why);
}

/* Bring the index at path up to date with the whole log (rebuilt from it
 * when it holds another size, or none). The index is a convenience: a
 * folder we cannot write (a read-only mirror) does not stop the caller,
 * which is told (a warning). tell: also say when it was rebuilt, and what
 * the rebuild could not read (truce fuse says that of its own period). */
static void index_update(truce_log *log, const char *path, bool tell) {
  char err[TRUCE_ERR_MAX];
  truce_index *ix = NULL;
  uint64_t have = 0, now = 0;
  truce_err rc = truce_index_open(path, TRUCE_INDEX_CREATE, &ix, err);
  if (!rc)
    rc = truce_log_size(log, &now);
  if (!rc && (truce_index_log_size(ix, &have) != TRUCE_OK || have != now)) {
    rc = truce_index_rebuild(ix, log);
    if (!rc && tell) {
      fprintf(stderr, "index brought up to date: %" PRIu64 " log entries\n",
              now);
      const char *why;
      size_t n = truce_index_skipped(ix, &why);
      warn_skipped(n, why);
    }
  }
  if (rc)
    fprintf(stderr, "truce: warning: index not updated: %s: %s\n", path,
            ix ? truce_index_errmsg(ix) : err);
  truce_index_close(ix);
}

/* truce fuse DIR [--from T] [--to T] [--format F] [--index PATH]
 *                [--no-index] [--reference] */
int cmd_fuse(int argc, char **argv) {
  static const char *const valued[] = {"--from", "--to", "--format",
                                       "--index", NULL};
  static const char *const flags[] = {"--no-index", "--reference", NULL};
  opts o;
  if (!parse_opts("fuse", argc, argv, valued, flags, &o))
    return EXIT_USAGE;
  if (o.npos != 1)
    return usage("fuse");
  int64_t from = INT64_MIN, to = INT64_MAX;
  const char *fs = opt(&o, "--from"), *us = opt(&o, "--to");
  if (fs && parse_when(fs, &from))
    return fail_rc(TRUCE_EPARSE, "--from: '%s' is not a date or an RFC 3339 "
                                 "time",
                   fs);
  if (us && parse_when(us, &to))
    return fail_rc(TRUCE_EPARSE, "--to: '%s' is not a date or an RFC 3339 "
                                 "time",
                   us);
  if (from >= to)
    return fail_rc(TRUCE_ERANGE, "--from must be before --to");
  out_sink k;
  memset(&k, 0, sizeof k);
  k.f = stdout;
  if (parse_format(opt(&o, "--format"), &k.format))
    return fail_rc(TRUCE_EINVAL, "--format: '%s' is not jsonl, csv, geojson "
                                 "or text",
                   opt(&o, "--format"));
  char err[TRUCE_ERR_MAX];
  truce_log *log;
  truce_err rc = truce_log_open(o.pos[0], TRUCE_OPEN_READONLY, &log, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  truce_fusion *f = NULL;
  int code = 0;
  uint64_t size = 0;
  truce_fuse_opts fo;
  truce_fuse_defaults(&fo);
  fo.reference = flag(&o, "--reference");
  if ((rc = truce_fuse_new(&fo, &f))) {
    code = fail_rc(rc, "out of memory");
    goto out;
  }
  /* The index holds the whole log's incidents (docs/fusion.md): brought
   * up to date here unless --no-index. */
  if (!flag(&o, "--no-index")) {
    char path[TRUCE_INDEX_PATH_MAX];
    index_path(&o, o.pos[0], path);
    index_update(log, path, false);
  }
  if ((rc = truce_fuse_from_log(f, log, from, to, &size)) ||
      (rc = truce_fuse_run(f))) {
    code = fail_rc(rc, "%s", truce_fuse_errmsg(f));
    goto out;
  }
  truce_buf_init(&k.line, 1 << 24);
  sink_begin(&k, truce_incident_csv_header());
  size_t n = truce_fuse_count(f);
  for (size_t i = 0; i < n && !k.failed; i++) {
    truce_incident c;
    if ((rc = truce_fuse_incident(f, i, &c))) {
      code = fail_rc(rc, "%s", truce_fuse_errmsg(f));
      break;
    }
    emit(&k, &c);
  }
  sink_end(&k);
  if (!code && k.failed)
    code = fail_rc(TRUCE_EIO, "cannot write the incidents");
  if (!code)
    fprintf(stderr, "%zu observations fused into %zu incidents (log size %" PRIu64
                    ")\n",
            truce_fuse_nobs(f), n, size);
  const char *why;
  size_t skipped = truce_fuse_skipped(f, &why);
  if (!code)
    warn_skipped(skipped, why);
out:
  truce_buf_release(&k.line);
  truce_fuse_free(f);
  truce_log_close(log);
  return finish(code);
}

/* truce reindex DIR [--index PATH] */
int cmd_reindex(int argc, char **argv) {
  static const char *const valued[] = {"--index", NULL};
  opts o;
  if (!parse_opts("reindex", argc, argv, valued, NULL, &o))
    return EXIT_USAGE;
  if (o.npos != 1)
    return usage("reindex");
  char err[TRUCE_ERR_MAX], path[TRUCE_INDEX_PATH_MAX];
  truce_log *log;
  truce_err rc = truce_log_open(o.pos[0], TRUCE_OPEN_READONLY, &log, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  index_path(&o, o.pos[0], path);
  truce_index *ix = NULL;
  int code = 0;
  if ((rc = truce_index_open(path, TRUCE_INDEX_CREATE, &ix, err)))
    code = fail_rc(rc, "%s", err);
  else if ((rc = truce_index_rebuild(ix, log)))
    code = fail_rc(rc, "%s: %s", path, truce_index_errmsg(ix));
  if (!code) {
    uint64_t size = 0;
    truce_index_log_size(ix, &size);
    printf("%s: rebuilt from %" PRIu64 " log entries\n", path, size);
    const char *why;
    size_t n = truce_index_skipped(ix, &why);
    warn_skipped(n, why);
  }
  truce_index_close(ix);
  truce_log_close(log);
  return finish(code);
}

/* truce incidents DIR [--bbox W,S,E,N] [--from T] [--to T] [--what W]
 *                     [--party P] [--format F] [--index PATH] [--no-update] */
int cmd_incidents(int argc, char **argv) {
  static const char *const valued[] = {"--bbox",   "--from",  "--to",
                                       "--what",   "--party", "--format",
                                       "--index",  NULL};
  static const char *const flags[] = {"--no-update", NULL};
  opts o;
  if (!parse_opts("incidents", argc, argv, valued, flags, &o))
    return EXIT_USAGE;
  if (o.npos != 1)
    return usage("incidents");
  truce_incident_query q;
  truce_incident_query_init(&q);
  const char *v;
  int bad = opt_bbox(&o, &q.has_bbox, &q.west_deg, &q.south_deg,
                     &q.east_deg, &q.north_deg);
  if (bad)
    return bad;
  if ((v = opt(&o, "--from")) && parse_when(v, &q.from_ms))
    return fail_rc(TRUCE_EPARSE, "--from: '%s' is not a date or an RFC 3339 "
                                 "time",
                   v);
  if ((v = opt(&o, "--to")) && parse_when(v, &q.to_ms))
    return fail_rc(TRUCE_EPARSE, "--to: '%s' is not a date or an RFC 3339 "
                                 "time",
                   v);
  if ((v = opt(&o, "--what")) &&
      (q.what = truce_what_from_name(v, strlen(v))) == TRUCE_WHAT_NONE)
    return fail_rc(TRUCE_EVOCAB, "--what: '%s' is not an observation word", v);
  q.party = opt(&o, "--party");
  out_sink k;
  memset(&k, 0, sizeof k);
  k.f = stdout;
  if (parse_format(opt(&o, "--format"), &k.format))
    return fail_rc(TRUCE_EINVAL, "--format: '%s' is not jsonl, csv, geojson "
                                 "or text",
                   opt(&o, "--format"));
  char err[TRUCE_ERR_MAX], path[TRUCE_INDEX_PATH_MAX];
  index_path(&o, o.pos[0], path);
  /* The index holds what the log held when it was last rebuilt: brought
   * up to date first, so that a query never misses what was submitted
   * since (unless --no-update, or the log cannot be read: then said). */
  if (!flag(&o, "--no-update")) {
    truce_log *log;
    truce_err lrc = truce_log_open(o.pos[0], TRUCE_OPEN_READONLY, &log, err);
    if (lrc) {
      fprintf(stderr, "truce: warning: the index may not hold the latest "
                      "observations: cannot read the log: %s\n", err);
    } else {
      index_update(log, path, true);
      truce_log_close(log);
    }
  }
  truce_index *ix = NULL;
  truce_err rc = truce_index_open(path, 0, &ix, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  truce_buf_init(&k.line, 1 << 24);
  sink_begin(&k, truce_incident_csv_header());
  rc = truce_index_query(ix, &q, emit, &k);
  sink_end(&k);
  int code = 0;
  if (rc)
    code = fail_rc(rc, "%s", truce_index_errmsg(ix));
  else if (k.failed)
    code = fail_rc(TRUCE_EIO, "cannot write the incidents");
  else
    fprintf(stderr, "%zu incidents\n", k.n);
  truce_buf_release(&k.line);
  truce_index_close(ix);
  return finish(code);
}
