/*
 * cmd_verify.c: `truce verify`: what an auditor runs, offline, on a copy
 * of the log: the whole log, one entry's inclusion, the consistency of
 * two checkpoints, or a tlog-proof without the tiles.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void print_line(void *ctx, const char *line) {
  (void)ctx;
  printf("%s\n", line);
}

/* The log key: --key, else DIR/log.info's (said so). */
static int log_key(const opts *o, const char *dir, truce_vkey *key) {
  char err[TRUCE_ERR_MAX];
  const char *k = opt(o, "--key");
  truce_err rc;
  if (k) {
    if ((rc = truce_vkey_load(k, key, err)))
      return fail_rc(rc, "--key: %s", err);
    return 0;
  }
  if (!dir)
    return fail_rc(TRUCE_EINVAL, "--key is required");
  truce_log *log;
  if ((rc = truce_log_open(dir, TRUCE_OPEN_READONLY, &log, err)))
    return fail_rc(rc, "%s", err);
  *key = truce_log_get_info(log)->log_key;
  truce_log_close(log);
  fprintf(stderr,
          "note: using the log key recorded in %s/log.info; give --key to "
          "check against a key you trust\n",
          dir);
  return 0;
}

/* Every --witness key must have cosigned the checkpoint note. */
static int check_witnesses(const opts *o, const truce_vkey *key,
                           const char *note, size_t len, const char *what) {
  truce_vkey wit[16];
  size_t n = 0;
  char err[TRUCE_ERR_MAX];
  for (int i = 0; i < o->nkv; i++) {
    if (strcmp(o->kv[i].name, "--witness") != 0)
      continue;
    if (n == 16)
      return fail_rc(TRUCE_EINVAL, "at most 16 --witness keys");
    truce_err rc = truce_vkey_load(o->kv[i].val, &wit[n], err);
    if (rc)
      return fail_rc(rc, "--witness: %s", err);
    n++;
  }
  if (n == 0)
    return 0;
  truce_vkey keys[17];
  keys[0] = *key;
  memcpy(keys + 1, wit, n * sizeof *wit);
  uint8_t verified[17] = {0};
  uint64_t ts[17] = {0};
  truce_checkpoint c;
  truce_err rc =
      truce_checkpoint_open(note, len, key, wit, n, &c, verified, ts, err);
  if (rc)
    return fail_rc(rc, "%s: %s", what, err);
  int missing = 0;
  for (size_t i = 0; i < n; i++) {
    if (verified[i + 1]) {
      char when[32];
      truce_time_format((int64_t)ts[i + 1] * 1000, when);
      printf("ok: %s is cosigned by witness %s (at %s)\n", what,
             wit[i].name, when);
    } else {
      fprintf(stderr, "truce: %s has no valid cosignature by witness %s\n",
              what, wit[i].name);
      missing++;
    }
  }
  return missing ? (int)TRUCE_ENOKEY : 0;
}

static int whole(const opts *o, const char *dir) {
  truce_vkey key, *kp = NULL;
  if (opt(o, "--key")) {
    int code = log_key(o, dir, &key);
    if (code)
      return code;
    kp = &key;
  }
  char err[TRUCE_ERR_MAX];
  truce_err rc = truce_verify_log(dir, kp, print_line, NULL, err);
  if (rc)
    return fail_rc(rc, "%s: verification FAILED: %s", dir, err);
  if (flag(o, "--witness")) {
    char path[4096];
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    truce_buf note;
    truce_buf_init(&note, TRUCE_NOTE_MAX);
    if (!kp && log_key(o, dir, &key) != 0)
      return (int)TRUCE_EINVAL;
    rc = truce_buf_read_file(&note, path, err);
    int code = rc ? fail_rc(rc, "%s", err)
                  : check_witnesses(o, &key, note.data, note.len,
                                    "the checkpoint");
    truce_buf_release(&note);
    if (code)
      return code;
  }
  printf("%s: the whole log verifies\n", dir);
  return 0;
}

static int entry(const opts *o, const char *dir) {
  truce_vkey key;
  int code = log_key(o, dir, &key);
  if (code)
    return code;
  char *end;
  const char *is = opt(o, "--entry");
  unsigned long long index = strtoull(is, &end, 10);
  if (*end || !*is)
    return fail_rc(TRUCE_EINVAL, "--entry: '%s' is not an index", is);
  char path[4096], err[TRUCE_ERR_MAX];
  const char *cp = opt(o, "--checkpoint");
  if (!cp) {
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    cp = path;
  }
  truce_buf note, e;
  truce_buf_init(&note, TRUCE_NOTE_MAX);
  truce_buf_init(&e, TRUCE_ENTRY_MAX + 1);
  truce_proof proof;
  truce_err rc = truce_buf_read_file(&note, cp, err);
  if (!rc)
    rc = truce_verify_inclusion_dir(dir, &key, note.data, note.len, index, &e,
                                    &proof, err);
  if (rc) {
    code = fail_rc(rc, "entry %llu: FAILED: %s", index, err);
  } else {
    truce_checkpoint c;
    truce_checkpoint_open(note.data, note.len, &key, NULL, 0, &c, NULL, NULL,
                          NULL);
    truce_entry ent;
    if (truce_entry_parse(e.data, e.len, &ent, NULL) == TRUCE_OK)
      printf("entry %llu: %s from %s, seq %" PRIu64 ", %zu payload line%s\n",
             index, truce_entry_kind_name(ent.kind), ent.signer, ent.seq,
             ent.nlines, ent.nlines == 1 ? "" : "s");
    printf("ok: entry %llu is included in the checkpoint of %" PRIu64
           " entries signed by %s (proof of %zu hashes)\n",
           index, c.size, key.name, proof.n);
    code = check_witnesses(o, &key, note.data, note.len, "the checkpoint");
  }
  truce_buf_release(&note);
  truce_buf_release(&e);
  return code;
}

static int consistency(const opts *o, const char *dir) {
  truce_vkey key;
  int code = log_key(o, dir, &key);
  if (code)
    return code;
  const char *a = opt(o, "--consistency");
  if (o->npos != 2)
    return usage("verify");
  const char *b = o->pos[1];
  char err[TRUCE_ERR_MAX];
  truce_buf n1, n2;
  truce_buf_init(&n1, TRUCE_NOTE_MAX);
  truce_buf_init(&n2, TRUCE_NOTE_MAX);
  truce_proof proof;
  truce_err rc = truce_buf_read_file(&n1, a, err);
  if (!rc)
    rc = truce_buf_read_file(&n2, b, err);
  if (!rc)
    rc = truce_verify_consistency_dir(dir, &key, n1.data, n1.len, n2.data,
                                      n2.len, &proof, err);
  if (rc) {
    code = fail_rc(rc, "FAILED: %s", err);
  } else {
    truce_checkpoint c1, c2;
    truce_checkpoint_open(n1.data, n1.len, &key, NULL, 0, &c1, NULL, NULL,
                          NULL);
    truce_checkpoint_open(n2.data, n2.len, &key, NULL, 0, &c2, NULL, NULL,
                          NULL);
    printf("ok: the checkpoint of %" PRIu64
           " entries extends the one of %" PRIu64
           " (consistency proof of %zu hashes): nothing was rewritten\n",
           c1.size > c2.size ? c1.size : c2.size,
           c1.size > c2.size ? c2.size : c1.size, proof.n);
    code = check_witnesses(o, &key, n1.data, n1.len, a);
    if (!code)
      code = check_witnesses(o, &key, n2.data, n2.len, b);
  }
  truce_buf_release(&n1);
  truce_buf_release(&n2);
  return code;
}

static int proof_file(const opts *o) {
  truce_vkey key;
  int code = log_key(o, NULL, &key);
  if (code)
    return code;
  const char *ef = opt(o, "--entry-file");
  if (!ef)
    return usage("verify");
  char err[TRUCE_ERR_MAX];
  truce_buf p, e;
  truce_buf_init(&p, TRUCE_NOTE_MAX * 2);
  truce_buf_init(&e, TRUCE_ENTRY_MAX + 1);
  uint64_t index;
  truce_proof proof;
  const char *note;
  size_t note_len;
  truce_checkpoint c;
  truce_err rc = truce_buf_read_file(&p, opt(o, "--proof"), err);
  if (!rc)
    rc = truce_buf_read_file(&e, ef, err);
  if (!rc)
    rc = truce_tlog_proof_parse(p.data, p.len, &index, &proof, &note,
                                &note_len, err);
  if (!rc)
    rc = truce_checkpoint_open(note, note_len, &key, NULL, 0, &c, NULL, NULL,
                               err);
  if (!rc) {
    uint8_t leaf[32];
    truce_leaf_hash(e.data, e.len, leaf);
    rc = truce_inclusion_verify(index, c.size, leaf, &proof, c.root,
                                c.root_len);
    if (rc)
      snprintf(err, sizeof err, "%s does not match the proof: %s", ef,
               truce_strerror(rc));
  }
  if (rc)
    code = fail_rc(rc, "FAILED: %s", err);
  else {
    printf("ok: %s is entry %" PRIu64 " of the log %s (checkpoint of %" PRIu64
           " entries)\n",
           ef, index, c.origin, c.size);
    code = check_witnesses(o, &key, note, note_len, "the proof's checkpoint");
  }
  truce_buf_release(&p);
  truce_buf_release(&e);
  return code;
}

int cmd_verify(int argc, char **argv) {
  static const char *const valued[] = {"--key",         "--entry",
                                       "--checkpoint",  "--consistency",
                                       "--proof",       "--entry-file",
                                       "--witness",     NULL};
  opts o;
  if (!parse_opts("verify", argc, argv, valued, NULL, &o))
    return EXIT_USAGE;
  int code;
  if (opt(&o, "--proof"))
    code = o.npos == 0 ? proof_file(&o) : usage("verify");
  else if (o.npos < 1)
    code = usage("verify");
  else if (opt(&o, "--entry"))
    code = o.npos == 1 ? entry(&o, o.pos[0]) : usage("verify");
  else if (opt(&o, "--consistency"))
    code = consistency(&o, o.pos[0]);
  else
    code = o.npos == 1 ? whole(&o, o.pos[0]) : usage("verify");
  return finish(code);
}
