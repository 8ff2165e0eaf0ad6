/*
 * cmd_witness.c: `truce witness`: another party's check that a log only
 * grows, and its cosignature (c2sp.org/tlog-witness, tlog-cosignature).
 */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Build the add-checkpoint body a log would send: "old N", the proof from
 * the log's tiles, a blank line, the checkpoint of `size` entries. */
static truce_err build_request(const char *dir, uint64_t old, uint64_t size,
                               const truce_buf *note, truce_buf *body,
                               char *err) {
  truce_proof proof;
  memset(&proof, 0, sizeof proof);
  truce_err rc;
  if (old > 0 && old < size) {
    truce_tiles *t;
    if ((rc = truce_tiles_open(dir, size, &t, err)))
      return rc;
    rc = truce_consistency_prove(truce_tiles_node, t, old, size, &proof);
    if (rc)
      snprintf(err, TRUCE_ERR_MAX, "%s", truce_tiles_errmsg(t));
    truce_tiles_close(t);
    if (rc)
      return rc;
  }
  rc = truce_buf_appendf(body, "old %" PRIu64 "\n", old);
  for (size_t i = 0; !rc && i < proof.n; i++) {
    char b64[64];
    truce_base64_encode(proof.hash[i], 32, b64);
    rc = truce_buf_appendf(body, "%s\n", b64);
  }
  if (!rc)
    rc = truce_buf_append(body, "\n", 1);
  if (!rc)
    rc = truce_buf_append(body, note->data, note->len);
  return rc;
}

int cmd_witness(int argc, char **argv) {
  static const char *const valued[] = {"--state", "--key", "--log-key",
                                       "--request", "--keys", NULL};
  static const char *const flags[] = {"--publish", NULL};
  opts o;
  if (!parse_opts("witness", argc, argv, valued, flags, &o))
    return EXIT_USAGE;
  const char *state = opt(&o, "--state"), *wkey = opt(&o, "--key"),
             *request = opt(&o, "--request");
  if (!state || !wkey || (request ? o.npos != 0 : o.npos != 1))
    return usage("witness");
  char err[TRUCE_ERR_MAX];
  truce_skey k;
  truce_err rc = load_skey(&o, wkey, &k, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  truce_witness *w;
  rc = truce_witness_open(state, &k, &w, err);
  truce_skey_wipe(&k);
  if (rc)
    return fail_rc(rc, "%s", err);
  int code = 0;
  truce_buf body, note, cosig;
  truce_buf_init(&body, TRUCE_NOTE_MAX * 2);
  truce_buf_init(&note, TRUCE_NOTE_MAX);
  truce_buf_init(&cosig, 4096);
  truce_vkey logkey;
  if (opt(&o, "--log-key")) {
    if ((rc = truce_vkey_load(opt(&o, "--log-key"), &logkey, err))) {
      code = fail_rc(rc, "--log-key: %s", err);
      goto out;
    }
    if ((rc = truce_witness_add_log(w, &logkey))) {
      code = fail_rc(rc, "%s", truce_witness_errmsg(w));
      goto out;
    }
  }
  const char *dir = request ? NULL : o.pos[0];
  uint64_t old = 0, size = 0;
  if (request) {
    if ((rc = truce_buf_read_file(&body, request, err))) {
      code = fail_rc(rc, "%s", err);
      goto out;
    }
  } else {
    char path[4096];
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    truce_note parsed;
    truce_checkpoint c;
    if ((rc = truce_buf_read_file(&note, path, err)) ||
        (rc = truce_note_parse(note.data, note.len, &parsed, err)) ||
        (rc = truce_checkpoint_parse(parsed.text, parsed.text_len, &c, err))) {
      code = fail_rc(rc, "%s", err);
      goto out;
    }
    size = c.size;
    /* The key the witness trusts for this origin signs the request. */
    if ((rc = truce_witness_last_size(w, c.origin, &old))) {
      code = fail_rc(rc, "%s (give --log-key the first time)",
                     truce_witness_errmsg(w));
      goto out;
    }
    /* A checkpoint smaller than what the witness cosigned is sent as
     * is: the witness refuses it and keeps it as evidence. */
    if ((rc = build_request(dir, old, size, &note, &body, err))) {
      code = fail_rc(rc, "%s", err);
      goto out;
    }
  }
  rc = truce_witness_add_checkpoint(w, body.data, body.len,
                                    (uint64_t)time(NULL), &cosig);
  if (rc) {
    code = fail_rc(rc, "witness refused the checkpoint: %s",
                   truce_witness_errmsg(w));
    goto out;
  }
  fwrite(cosig.data, 1, cosig.len, stdout);
  fflush(stdout);
  if (dir && flag(&o, "--publish")) {
    truce_log *log;
    if ((rc = truce_log_open(dir, 0, &log, err))) {
      code = fail_rc(rc, "%s", err);
      goto out;
    }
    rc = truce_log_add_cosignatures(log, size, cosig.data, cosig.len);
    if (rc)
      code = fail_rc(rc, "%s", truce_log_errmsg(log));
    else
      fprintf(stderr, "cosignature added to %s/checkpoint (size %" PRIu64
                      ", consistent with the %" PRIu64 " entries seen "
                      "before)\n",
              dir, size, old);
    truce_log_close(log);
  }
out:
  truce_buf_release(&body);
  truce_buf_release(&note);
  truce_buf_release(&cosig);
  truce_witness_close(w);
  return finish(code);
}
