/*
 * cmd_assess.c: `truce assess`: the observations of a period judged
 * against registered terms, as JSON lines, CSV or GeoJSON.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int emit(void *ctx, const truce_violation *v) {
  out_sink *k = ctx;
  sink_record(k);
  return sink_write(k, truce_violation_format(v, k->format, &k->line));
}

int cmd_assess(int argc, char **argv) {
  static const char *const valued[] = {"--terms", "--from", "--to",
                                       "--format", "--out", NULL};
  opts o;
  if (!parse_opts("assess", argc, argv, valued, NULL, &o))
    return EXIT_USAGE;
  const char *ts = opt(&o, "--terms"), *fs = opt(&o, "--from"),
             *us = opt(&o, "--to"), *fmt = opt(&o, "--format");
  if (o.npos != 1 || !ts || !fs || !us)
    return usage("assess");
  char id[TRUCE_NAME_MAX + 1], err[TRUCE_ERR_MAX];
  uint64_t version;
  int64_t from, to;
  if (parse_terms_arg(ts, id, sizeof id, &version))
    return fail_rc(TRUCE_EINVAL, "--terms: '%s' is not ID or ID@VERSION", ts);
  if (parse_when(fs, &from))
    return fail_rc(TRUCE_EPARSE, "--from: '%s' is not a date or an RFC 3339 "
                                 "time",
                   fs);
  if (parse_when(us, &to))
    return fail_rc(TRUCE_EPARSE, "--to: '%s' is not a date or an RFC 3339 "
                                 "time",
                   us);
  if (from >= to)
    return fail_rc(TRUCE_ERANGE, "--from must be before --to");
  out_sink k;
  memset(&k, 0, sizeof k);
  if (parse_format(fmt, &k.format))
    return fail_rc(TRUCE_EINVAL, "--format: '%s' is not jsonl, csv, geojson "
                                 "or text",
                   fmt);
  truce_log *log;
  truce_err rc = truce_log_open(o.pos[0], TRUCE_OPEN_READONLY, &log, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  truce_buf text;
  truce_buf_init(&text, TRUCE_TERMS_MAX_BYTES);
  truce_buf_init(&k.line, 1 << 20);
  truce_terms_ref ref;
  truce_terms *t = NULL;
  int code = 0;
  if ((rc = truce_log_terms_get(log, id, version, &ref, &text))) {
    code = fail_rc(rc, "%s", truce_log_errmsg(log));
    goto out;
  }
  if ((rc = truce_terms_parse(text.data, text.len, &t, err))) {
    code = fail_rc(rc, "terms %s: %s", id, err);
    goto out;
  }
  const char *path = opt(&o, "--out");
  k.f = path ? fopen(path, "w") : stdout;
  if (!k.f) {
    code = fail_rc(TRUCE_EIO, "cannot write '%s': %s", path, strerror(errno));
    goto out;
  }
  sink_begin(&k, truce_violation_csv_header());
  rc = truce_assess(log, t, &ref, from, to, emit, &k, err);
  sink_end(&k);
  if (rc)
    code = fail_rc(rc, "%s", err);
  else if (k.failed)
    code = fail_rc(TRUCE_EIO, "cannot write the findings");
  if (path && fclose(k.f) != 0 && !code)
    code = fail_rc(TRUCE_EIO, "cannot write '%s'", path);
  fflush(k.f);
  if (!code)
    fprintf(stderr,
            "%zu findings: terms %s version %" PRIu64 " (entry %" PRIu64
            "), observations from %s to %s\n",
            k.n, ref.id, ref.version, ref.index, fs, us);
out:
  truce_terms_free(t);
  truce_buf_release(&text);
  truce_buf_release(&k.line);
  truce_log_close(log);
  return finish(code);
}
