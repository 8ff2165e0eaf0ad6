/*
 * cmd_checkpoint.c: `truce checkpoint`, `truce show` and `truce prove`:
 * publishing the log's state, reading an entry, proving its inclusion.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int cmd_checkpoint(int argc, char **argv) {
  static const char *const valued[] = {"--key", "--keys", NULL};
  opts o;
  if (!parse_opts("checkpoint", argc, argv, valued, NULL, &o))
    return EXIT_USAGE;
  if (o.npos != 1)
    return usage("checkpoint");
  truce_log *log;
  char err[TRUCE_ERR_MAX];
  truce_err rc = truce_log_open(o.pos[0], 0, &log, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  truce_skey k;
  const char *key = opt(&o, "--key");
  rc = load_skey(&o, key ? key : truce_log_get_info(log)->origin, &k, err);
  if (rc) {
    truce_log_close(log);
    return fail_rc(rc, "log key: %s", err);
  }
  truce_buf note;
  truce_buf_init(&note, TRUCE_NOTE_MAX);
  rc = truce_log_checkpoint(log, &k, &note);
  truce_skey_wipe(&k);
  int code = 0;
  if (rc)
    code = fail_rc(rc, "%s", truce_log_errmsg(log));
  else
    fwrite(note.data, 1, note.len, stdout);
  truce_buf_release(&note);
  truce_log_close(log);
  return finish(code);
}

static void print_obs_line(uint64_t index, size_t pos, const char *line,
                           size_t n) {
  printf("  %" PRIu64 ":%zu  %.*s\n", index, pos, (int)n, line);
}

int cmd_show(int argc, char **argv) {
  static const char *const flags[] = {"--raw", NULL};
  opts o;
  if (!parse_opts("show", argc, argv, NULL, flags, &o))
    return EXIT_USAGE;
  if (o.npos != 2)
    return usage("show");
  char *end;
  unsigned long long index = strtoull(o.pos[1], &end, 10);
  if (*end || !*o.pos[1])
    return fail_rc(TRUCE_EINVAL, "'%s' is not an entry index", o.pos[1]);
  truce_log *log;
  char err[TRUCE_ERR_MAX];
  truce_err rc = truce_log_open(o.pos[0], TRUCE_OPEN_READONLY, &log, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  truce_buf b;
  truce_buf_init(&b, TRUCE_ENTRY_MAX + 1);
  int code = 0;
  if ((rc = truce_log_entry(log, index, &b))) {
    code = fail_rc(rc, "%s", truce_log_errmsg(log));
    goto out;
  }
  if (flag(&o, "--raw")) {
    fwrite(b.data, 1, b.len, stdout);
    goto out;
  }
  truce_entry e;
  if ((rc = truce_entry_parse(b.data, b.len, &e, err))) {
    code = fail_rc(rc, "entry %llu: %s", index, err);
    goto out;
  }
  /* Check the signature with the key the registry holds for the signer. */
  truce_vkey key;
  const char *who = "";
  char whobuf[TRUCE_NAME_MAX * 2 + 64];
  if (e.kind == TRUCE_ENTRY_BATCH) {
    truce_source s;
    if (truce_log_source(log, e.signer, &s) == TRUCE_OK) {
      key = s.key;
      snprintf(whobuf, sizeof whobuf, " (party %s, reliability %.2f)",
               s.party, s.reliability);
      who = whobuf;
    } else {
      memset(&key, 0, sizeof key);
      who = " (NOT a registered source)";
    }
  } else {
    key = truce_log_get_info(log)->admin_key;
    who = " (the log's administrator)";
  }
  truce_err vr = truce_note_verify(&e.note, &key, 1, NULL, NULL, err);
  char when[32];
  truce_time_format(e.time_ms, when);
  printf("entry     %llu\n"
         "kind      %s\n"
         "signer    %s%s\n"
         "seq       %" PRIu64 "\n"
         "signed at %s\n"
         "part      %u of %u\n"
         "signature %s\n",
         index, truce_entry_kind_name(e.kind), e.signer, who, e.seq, when,
         e.part, e.parts,
         vr == TRUCE_OK ? "valid" : "INVALID (does not verify with the key "
                                    "registered for the signer)");
  if (e.kind == TRUCE_ENTRY_BATCH)
    printf("observations: %zu (cite as %llu:POS)\n", e.nlines, index);
  else
    printf("payload:\n");
  for (size_t i = 0; i < e.nlines; i++) {
    const char *line;
    size_t n;
    truce_entry_line(&e, i, &line, &n);
    print_obs_line(index, i, line, n);
  }
  if (vr)
    code = (int)vr;
out:
  truce_buf_release(&b);
  truce_log_close(log);
  return finish(code);
}

int cmd_prove(int argc, char **argv) {
  static const char *const valued[] = {"--checkpoint", NULL};
  opts o;
  if (!parse_opts("prove", argc, argv, valued, NULL, &o))
    return EXIT_USAGE;
  if (o.npos != 2)
    return usage("prove");
  char *end;
  unsigned long long index = strtoull(o.pos[1], &end, 10);
  if (*end || !*o.pos[1])
    return fail_rc(TRUCE_EINVAL, "'%s' is not an entry index", o.pos[1]);
  char err[TRUCE_ERR_MAX], path[4096];
  truce_log *log;
  truce_err rc = truce_log_open(o.pos[0], TRUCE_OPEN_READONLY, &log, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  truce_vkey key = truce_log_get_info(log)->log_key;
  truce_log_close(log);
  const char *cpfile = opt(&o, "--checkpoint");
  if (!cpfile) {
    snprintf(path, sizeof path, "%s/checkpoint", o.pos[0]);
    cpfile = path;
  }
  truce_buf note, entry, out;
  truce_buf_init(&note, TRUCE_NOTE_MAX);
  truce_buf_init(&entry, TRUCE_ENTRY_MAX + 1);
  truce_buf_init(&out, TRUCE_NOTE_MAX * 2);
  truce_proof proof;
  int code = 0;
  rc = truce_buf_read_file(&note, cpfile, err);
  if (!rc)
    rc = truce_verify_inclusion_dir(o.pos[0], &key, note.data, note.len, index,
                                    &entry, &proof, err);
  if (!rc)
    rc = truce_tlog_proof_format(index, &proof, note.data, note.len, &out);
  if (rc)
    code = fail_rc(rc, "%s", err);
  else
    fwrite(out.data, 1, out.len, stdout);
  truce_buf_release(&note);
  truce_buf_release(&entry);
  truce_buf_release(&out);
  return finish(code);
}
