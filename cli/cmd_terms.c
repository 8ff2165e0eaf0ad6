/*
 * cmd_terms.c: `truce terms check|add|list|show`: a ceasefire's terms,
 * checked, registered in the log (signed by the administrator, versioned)
 * and read back.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int check(const opts *o) {
  if (o->npos != 2)
    return usage("terms");
  char err[TRUCE_ERR_MAX];
  truce_terms *t;
  truce_err rc = truce_terms_load(o->pos[1], &t, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  truce_buf b;
  truce_buf_init(&b, 1 << 20);
  truce_terms_describe(t, &b);
  fwrite(b.data, 1, b.len, stdout);
  printf("ok: %s is valid terms\n", o->pos[1]);
  truce_buf_release(&b);
  truce_terms_free(t);
  return 0;
}

static int add(const opts *o) {
  if (o->npos != 3)
    return usage("terms");
  char err[TRUCE_ERR_MAX];
  truce_buf json;
  truce_buf_init(&json, TRUCE_TERMS_MAX_BYTES);
  truce_err rc = truce_buf_read_file(&json, o->pos[2], err);
  if (rc) {
    truce_buf_release(&json);
    return fail_rc(rc, "%s", err);
  }
  truce_log *log;
  if ((rc = truce_log_open(o->pos[1], 0, &log, err))) {
    truce_buf_release(&json);
    return fail_rc(rc, "%s", err);
  }
  truce_skey admin;
  const char *a = opt(o, "--admin");
  int code = 0;
  rc = load_skey(o, a ? a : truce_log_get_info(log)->admin_key.name, &admin,
                 err);
  if (rc) {
    code = fail_rc(rc, "administrator key: %s", err);
  } else {
    truce_terms_ref ref;
    rc = truce_log_terms_add(log, &admin, json.data, json.len, now_ms(), &ref);
    truce_skey_wipe(&admin);
    if (rc) {
      code = fail_rc(rc, "%s: %s; nothing was written", o->pos[2],
                     truce_log_errmsg(log));
    } else {
      char hex[65];
      truce_hex_encode(ref.sha256, 32, hex);
      printf("registered terms %s version %" PRIu64 " at entry %" PRIu64
             " (%" PRIu64 " bytes, sha256 %s)\n",
             ref.id, ref.version, ref.index, ref.bytes, hex);
      maybe_checkpoint(o, log);
    }
  }
  truce_log_close(log);
  truce_buf_release(&json);
  return code;
}

static int list(const opts *o) {
  if (o->npos != 2)
    return usage("terms");
  char err[TRUCE_ERR_MAX];
  truce_log *log;
  truce_err rc = truce_log_open(o->pos[1], TRUCE_OPEN_READONLY, &log, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  size_t n = truce_log_terms_count(log);
  printf("%-32s %7s %8s %9s  %s\n", "TERMS", "VERSION", "ENTRY", "BYTES",
         "SIGNED AT");
  for (size_t i = 0; i < n; i++) {
    truce_terms_ref r;
    if (truce_log_terms_at(log, i, &r) != TRUCE_OK)
      continue;
    char when[32];
    truce_time_format(r.time_ms, when);
    printf("%-32s %7" PRIu64 " %8" PRIu64 " %9" PRIu64 "  %s\n", r.id,
           r.version, r.index, r.bytes, when);
  }
  truce_log_close(log);
  return 0;
}

/* "ID" or "ID@VERSION" (cli.h). */
int parse_terms_arg(const char *arg, char *id, size_t cap, uint64_t *version) {
  const char *at = strchr(arg, '@');
  size_t n = at ? (size_t)(at - arg) : strlen(arg);
  *version = 0;
  if (n == 0 || n >= cap)
    return -1;
  memcpy(id, arg, n);
  id[n] = '\0';
  if (at) {
    char *end;
    unsigned long long v = strtoull(at + 1, &end, 10);
    if (*end || v == 0)
      return -1;
    *version = v;
  }
  return 0;
}

static int show(const opts *o) {
  if (o->npos != 3)
    return usage("terms");
  char id[TRUCE_NAME_MAX + 1], err[TRUCE_ERR_MAX];
  uint64_t version;
  if (parse_terms_arg(o->pos[2], id, sizeof id, &version))
    return fail_rc(TRUCE_EINVAL, "'%s' is not ID or ID@VERSION", o->pos[2]);
  truce_log *log;
  truce_err rc = truce_log_open(o->pos[1], TRUCE_OPEN_READONLY, &log, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  truce_buf text, out;
  truce_buf_init(&text, TRUCE_TERMS_MAX_BYTES);
  truce_buf_init(&out, 1 << 20);
  truce_terms_ref ref;
  int code = 0;
  rc = truce_log_terms_get(log, id, version, &ref, &text);
  if (rc) {
    code = fail_rc(rc, "%s", truce_log_errmsg(log));
  } else if (flag(o, "--json")) {
    fwrite(text.data, 1, text.len, stdout);
    putchar('\n');
  } else {
    truce_terms *t;
    rc = truce_terms_parse(text.data, text.len, &t, err);
    if (rc) {
      code = fail_rc(rc, "%s", err);
    } else {
      char when[32];
      truce_time_format(ref.time_ms, when);
      printf("terms %s version %" PRIu64 ", registered at entry %" PRIu64
             " (signed %s)\n",
             ref.id, ref.version, ref.index, when);
      truce_terms_describe(t, &out);
      fwrite(out.data, 1, out.len, stdout);
      truce_terms_free(t);
    }
  }
  truce_buf_release(&text);
  truce_buf_release(&out);
  truce_log_close(log);
  return code;
}

int cmd_terms(int argc, char **argv) {
  static const char *const valued[] = {"--admin", "--keys", NULL};
  static const char *const flags[] = {"--no-checkpoint", "--json", NULL};
  opts o;
  if (!parse_opts("terms", argc, argv, valued, flags, &o))
    return EXIT_USAGE;
  if (o.npos < 1)
    return usage("terms");
  int code;
  if (strcmp(o.pos[0], "check") == 0)
    code = check(&o);
  else if (strcmp(o.pos[0], "add") == 0)
    code = add(&o);
  else if (strcmp(o.pos[0], "list") == 0)
    code = list(&o);
  else if (strcmp(o.pos[0], "show") == 0)
    code = show(&o);
  else
    code = usage("terms");
  return finish(code);
}
