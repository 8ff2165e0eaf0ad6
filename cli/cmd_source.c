/*
 * cmd_source.c: `truce source add|revoke|list`: the source registry.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void maybe_checkpoint(const opts *o, truce_log *log) {
  if (flag(o, "--no-checkpoint"))
    return;
  const truce_log_info *info = truce_log_get_info(log);
  truce_skey k;
  char err[TRUCE_ERR_MAX];
  if (load_skey(o, info->origin, &k, err) != TRUCE_OK) {
    fprintf(stderr, "note: no checkpoint made (%s)\n", err);
    return;
  }
  truce_buf note;
  truce_buf_init(&note, TRUCE_NOTE_MAX);
  truce_err rc = truce_log_checkpoint(log, &k, &note);
  truce_skey_wipe(&k);
  if (rc) {
    fprintf(stderr, "truce: checkpoint: %s\n", truce_log_errmsg(log));
  } else {
    uint64_t size;
    truce_log_size(log, &size);
    printf("checkpoint: %" PRIu64 " entries\n", size);
  }
  truce_buf_release(&note);
}

static int admin_key(const opts *o, truce_log *log, truce_skey *k) {
  char err[TRUCE_ERR_MAX];
  const char *a = opt(o, "--admin");
  truce_err rc =
      load_skey(o, a ? a : truce_log_get_info(log)->admin_key.name, k, err);
  if (rc)
    return fail_rc(rc, "administrator key: %s", err);
  return 0;
}

static int add(const opts *o) {
  const char *key = opt(o, "--key"), *party = opt(o, "--party"),
             *means = opt(o, "--means"), *rel = opt(o, "--reliability");
  if (o->npos != 2 || !key || !party || !means || !rel)
    return usage("source");
  truce_source s;
  memset(&s, 0, sizeof s);
  char err[TRUCE_ERR_MAX];
  truce_err rc = truce_vkey_load(key, &s.key, err);
  if (rc)
    return fail_rc(rc, "--key: %s", err);
  snprintf(s.name, sizeof s.name, "%s", s.key.name);
  if (opt(o, "--name") && strcmp(opt(o, "--name"), s.name) != 0)
    return fail_rc(TRUCE_EINVAL, "--name '%s' differs from the key's name '%s'",
                   opt(o, "--name"), s.name);
  snprintf(s.party, sizeof s.party, "%s", party);
  for (const char *p = means; *p;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    unsigned bit = truce_means_from_name(p, n);
    if (!bit)
      return fail_rc(TRUCE_EVOCAB,
                     "--means: '%.*s' is not a means (audio, visual, camera, "
                     "drone, acoustic_sensor, radar, satellite, report)",
                     (int)n, p);
    s.means |= bit;
    p += n + (comma ? 1 : 0);
  }
  char *end;
  s.reliability = strtod(rel, &end);
  if (*end || !(s.reliability > 0 && s.reliability <= 1))
    return fail_rc(TRUCE_ERANGE, "--reliability: '%s' is not in (0, 1]", rel);
  if (opt(o, "--description"))
    snprintf(s.description, sizeof s.description, "%s",
             opt(o, "--description"));

  truce_log *log;
  if ((rc = truce_log_open(o->pos[1], 0, &log, err)))
    return fail_rc(rc, "%s", err);
  truce_skey admin;
  int code = admin_key(o, log, &admin);
  uint64_t index;
  if (!code) {
    rc = truce_log_source_add(log, &admin, &s, now_ms(), &index);
    truce_skey_wipe(&admin);
    if (rc)
      code = fail_rc(rc, "%s", truce_log_errmsg(log));
    else
      printf("registered source %s (party %s) at entry %" PRIu64 "\n", s.name,
             s.party, index);
  }
  if (!code)
    maybe_checkpoint(o, log);
  truce_log_close(log);
  return code;
}

static int revoke(const opts *o) {
  const char *reason = opt(o, "--reason");
  if (o->npos != 3 || !reason)
    return usage("source");
  truce_log *log;
  char err[TRUCE_ERR_MAX];
  truce_err rc = truce_log_open(o->pos[1], 0, &log, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  truce_skey admin;
  int code = admin_key(o, log, &admin);
  uint64_t index;
  if (!code) {
    rc = truce_log_source_revoke(log, &admin, o->pos[2], reason, now_ms(),
                                 &index);
    truce_skey_wipe(&admin);
    if (rc)
      code = fail_rc(rc, "%s", truce_log_errmsg(log));
    else
      printf("revoked source %s at entry %" PRIu64 "\n", o->pos[2], index);
  }
  if (!code)
    maybe_checkpoint(o, log);
  truce_log_close(log);
  return code;
}

static int list(const opts *o) {
  if (o->npos != 2)
    return usage("source");
  truce_log *log;
  char err[TRUCE_ERR_MAX];
  truce_err rc = truce_log_open(o->pos[1], TRUCE_OPEN_READONLY, &log, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  size_t n = truce_log_source_count(log);
  printf("%-32s %-12s %-5s %8s %8s  %s\n", "SOURCE", "PARTY", "REL",
         "LAST-SEQ", "ADDED", "MEANS / STATUS");
  for (size_t i = 0; i < n; i++) {
    truce_source s;
    truce_log_source_at(log, i, &s);
    char means[128] = "";
    for (unsigned b = 0; b < TRUCE_MEANS_COUNT; b++)
      if (s.means & (1u << b)) {
        if (means[0])
          strcat(means, ",");
        strcat(means, truce_means_name(1u << b));
      }
    printf("%-32s %-12s %-5.2f %8" PRIu64 " %8" PRIu64 "  %s", s.name,
           s.party, s.reliability, s.last_seq, s.added_index, means);
    if (s.revoked_index != UINT64_MAX)
      printf(" REVOKED at entry %" PRIu64, s.revoked_index);
    printf("\n");
  }
  truce_log_close(log);
  return 0;
}

int cmd_source(int argc, char **argv) {
  static const char *const valued[] = {"--key",   "--name",        "--party",
                                       "--means", "--reliability", "--admin",
                                       "--keys",  "--description", "--reason",
                                       NULL};
  static const char *const flags[] = {"--no-checkpoint", NULL};
  opts o;
  if (!parse_opts("source", argc, argv, valued, flags, &o))
    return EXIT_USAGE;
  if (o.npos < 1)
    return usage("source");
  int code;
  if (strcmp(o.pos[0], "add") == 0)
    code = add(&o);
  else if (strcmp(o.pos[0], "revoke") == 0)
    code = revoke(&o);
  else if (strcmp(o.pos[0], "list") == 0)
    code = list(&o);
  else
    code = usage("source");
  return finish(code);
}
