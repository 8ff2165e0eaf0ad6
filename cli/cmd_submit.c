/*
 * cmd_submit.c: `truce submit` (sign and append, or append pre-signed
 * batches) and `truce sign` (sign offline, on a source's own machine).
 */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int cmd_submit(int argc, char **argv) {
  static const char *const valued[] = {"--key", "--signed", "--keys", NULL};
  static const char *const flags[] = {"--no-checkpoint", NULL};
  opts o;
  if (!parse_opts("submit", argc, argv, valued, flags, &o))
    return EXIT_USAGE;
  const char *key = opt(&o, "--key"), *signed_file = opt(&o, "--signed");
  if (o.npos < 1 || o.npos > 2 || (!key == !signed_file) ||
      (signed_file && o.npos != 1))
    return usage("submit");
  const char *dir = o.pos[0];
  const char *input = signed_file ? signed_file : (o.npos == 2 ? o.pos[1] : "-");
  char err[TRUCE_ERR_MAX];
  truce_buf in;
  /* Pre-signed input holds canonical lines plus headers and signatures:
   * allow it twice the JSON limit. */
  truce_buf_init(&in, (size_t)TRUCE_SUBMIT_MAX_BYTES * 2);
  truce_err rc = read_input(input, &in, err);
  if (rc == TRUCE_ETOOBIG) {
    truce_buf_release(&in);
    return fail_rc(rc, "%s: larger than the submission limit (%u bytes); "
                       "split it",
                   strcmp(input, "-") ? input : "standard input",
                   TRUCE_SUBMIT_MAX_BYTES);
  }
  if (rc) {
    truce_buf_release(&in);
    return fail_rc(rc, "%s", err);
  }
  truce_skey k;
  if (key && (rc = load_skey(&o, key, &k, err))) {
    truce_buf_release(&in);
    return fail_rc(rc, "%s", err);
  }
  truce_log *log;
  if ((rc = truce_log_open(dir, 0, &log, err))) {
    if (key)
      truce_skey_wipe(&k);
    truce_buf_release(&in);
    return fail_rc(rc, "%s", err);
  }
  uint64_t first = 0, count = 0;
  if (key) {
    rc = truce_log_submit(log, &k, in.data, in.len, now_ms(), &first, &count);
    truce_skey_wipe(&k);
  } else {
    rc = truce_log_append(log, in.data, in.len, now_ms(), &first, &count);
  }
  int code = 0;
  if (rc) {
    code = fail_rc(rc, "%s: %s; nothing was written",
                   strcmp(input, "-") ? input : "standard input",
                   truce_log_errmsg(log));
  } else {
    printf("appended %" PRIu64 " entr%s: %" PRIu64 "..%" PRIu64
           " (durable)\n",
           count, count == 1 ? "y" : "ies", first, first + count - 1);
    if (truce_log_errmsg(log)[0])
      fprintf(stderr, "truce: warning: %s\n", truce_log_errmsg(log));
    maybe_checkpoint(&o, log);
  }
  truce_log_close(log);
  truce_buf_release(&in);
  return finish(code);
}

int cmd_sign(int argc, char **argv) {
  static const char *const valued[] = {"--key", "--seq", "--keys", NULL};
  opts o;
  if (!parse_opts("sign", argc, argv, valued, NULL, &o))
    return EXIT_USAGE;
  const char *key = opt(&o, "--key"), *seqs = opt(&o, "--seq");
  if (!key || !seqs || o.npos > 1)
    return usage("sign");
  char *end;
  unsigned long long seq = strtoull(seqs, &end, 10);
  if (*end || seq == 0)
    return fail_rc(TRUCE_EINVAL, "--seq: '%s' is not a number >= 1", seqs);
  const char *input = o.npos ? o.pos[0] : "-";
  char err[TRUCE_ERR_MAX];
  truce_buf in, out;
  truce_buf_init(&in, TRUCE_SUBMIT_MAX_BYTES);
  truce_buf_init(&out, (size_t)TRUCE_SUBMIT_MAX_BYTES * 8);
  truce_err rc = read_input(input, &in, err);
  if (rc == TRUCE_ETOOBIG)
    snprintf(err, sizeof err, "larger than the submission limit (%u bytes)",
             TRUCE_SUBMIT_MAX_BYTES);
  truce_skey k;
  if (!rc)
    rc = load_skey(&o, key, &k, err);
  size_t n = 0;
  if (!rc) {
    rc = truce_batch_sign(&k, seq, now_ms(), in.data, in.len, &out, &n, err);
    truce_skey_wipe(&k);
  }
  int code = 0;
  if (rc)
    code = fail_rc(rc, "%s: %s", strcmp(input, "-") ? input : "standard input",
                   err);
  else {
    fwrite(out.data, 1, out.len, stdout);
    fprintf(stderr, "signed %zu entr%s, sequence numbers %llu..%llu\n", n,
            n == 1 ? "y" : "ies", seq, seq + n - 1);
  }
  truce_buf_release(&in);
  truce_buf_release(&out);
  return finish(code);
}
