/*
 * cmd_init.c: `truce init` (a new log and its keys) and `truce keygen`.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* mkdir -p with the given mode for the folders it creates. */
static int make_dirs(const char *path, mode_t mode) {
  char buf[4096];
  size_t n = strlen(path);
  if (n >= sizeof buf)
    return -1;
  memcpy(buf, path, n + 1);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(buf, mode) != 0 && errno != EEXIST)
      return -1;
    *p = '/';
  }
  if (mkdir(buf, mode) != 0 && errno != EEXIST)
    return -1;
  return 0;
}

/* Write NAME.key (0600) and NAME.pub in the keys folder. */
static int save_key(const opts *o, const truce_skey *k) {
  char err[TRUCE_ERR_MAX], path[4096];
  key_path(o, k->vkey.name, ".key", path, sizeof path);
  truce_err rc = truce_skey_save(path, k, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  key_path(o, k->vkey.name, ".pub", path, sizeof path);
  FILE *f = fopen(path, "w");
  char vk[TRUCE_VKEY_MAX];
  truce_vkey_format(&k->vkey, vk);
  if (!f || fprintf(f, "%s\n", vk) < 0 || fclose(f) != 0)
    return fail_rc(TRUCE_EIO, "cannot write '%s': %s", path,
                   strerror(errno));
  return 0;
}

static int keys_folder(const opts *o) {
  const char *kd = keys_dir(o);
  if (make_dirs(kd, 0700) != 0)
    return fail_rc(TRUCE_EIO, "cannot create the keys folder '%s': %s", kd,
                   strerror(errno));
  return 0;
}

static int key_absent(const opts *o, const char *name) {
  char path[4096];
  struct stat st;
  key_path(o, name, ".key", path, sizeof path);
  if (stat(path, &st) == 0)
    return fail_rc(TRUCE_EEXIST, "a key named '%s' already exists: '%s'",
                   name, path);
  return 0;
}

int cmd_keygen(int argc, char **argv) {
  static const char *const valued[] = {"--keys", NULL};
  static const char *const flags[] = {"--witness", NULL};
  opts o;
  if (!parse_opts("keygen", argc, argv, valued, flags, &o))
    return EXIT_USAGE;
  if (o.npos != 1)
    return usage("keygen");
  char err[TRUCE_ERR_MAX];
  truce_skey k;
  truce_err rc = truce_skey_generate(
      o.pos[0], flag(&o, "--witness") ? TRUCE_KEY_COSIG_V1 : TRUCE_KEY_ED25519,
      &k, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  int code = keys_folder(&o);
  if (!code)
    code = key_absent(&o, o.pos[0]);
  if (!code)
    code = save_key(&o, &k);
  if (!code) {
    char vk[TRUCE_VKEY_MAX], path[4096];
    truce_vkey_format(&k.vkey, vk);
    key_path(&o, o.pos[0], ".key", path, sizeof path);
    printf("%s\n", vk);
    fprintf(stderr, "private key: %s (keep it; it never goes in a log)\n",
            path);
  }
  truce_skey_wipe(&k);
  return finish(code);
}

int cmd_init(int argc, char **argv) {
  static const char *const valued[] = {"--origin", "--keys", NULL};
  opts o;
  if (!parse_opts("init", argc, argv, valued, NULL, &o))
    return EXIT_USAGE;
  if (o.npos != 1)
    return usage("init");
  const char *dir = o.pos[0];
  char origin[TRUCE_NAME_MAX + 1], admin[TRUCE_NAME_MAX + 1];
  if (opt(&o, "--origin")) {
    snprintf(origin, sizeof origin, "%s", opt(&o, "--origin"));
  } else {
    const char *base = strrchr(dir, '/');
    base = base && base[1] ? base + 1 : dir;
    snprintf(origin, sizeof origin, "truce.local/%s", base);
  }
  char err[TRUCE_ERR_MAX];
  truce_err rc = truce_key_name_check(origin, err);
  if (rc)
    return fail_rc(rc, "origin: %s", err);
  if (strlen(origin) + 6 > TRUCE_NAME_MAX)
    return fail_rc(TRUCE_EINVAL, "origin too long");
  snprintf(admin, sizeof admin, "%s/admin", origin);

  int code = keys_folder(&o);
  if (!code)
    code = key_absent(&o, origin);
  if (!code)
    code = key_absent(&o, admin);
  if (code)
    return code;
  truce_skey logkey, adminkey;
  if ((rc = truce_skey_generate(origin, TRUCE_KEY_ED25519, &logkey, err)) ||
      (rc = truce_skey_generate(admin, TRUCE_KEY_ED25519, &adminkey, err)))
    return fail_rc(rc, "%s", err);
  truce_log_info info;
  memset(&info, 0, sizeof info);
  snprintf(info.origin, sizeof info.origin, "%s", origin);
  info.log_key = logkey.vkey;
  info.admin_key = adminkey.vkey;
  rc = truce_log_create(dir, &info, err);
  if (rc) {
    code = fail_rc(rc, "%s", err);
    goto out;
  }
  if ((code = save_key(&o, &logkey)) || (code = save_key(&o, &adminkey)))
    goto out;
  truce_log *log;
  if ((rc = truce_log_open(dir, 0, &log, err))) {
    code = fail_rc(rc, "%s", err);
    goto out;
  }
  rc = truce_log_checkpoint(log, &logkey, NULL);
  if (rc)
    code = fail_rc(rc, "%s", truce_log_errmsg(log));
  truce_log_close(log);
  if (!code) {
    char lk[TRUCE_VKEY_MAX], ak[TRUCE_VKEY_MAX];
    truce_vkey_format(&logkey.vkey, lk);
    truce_vkey_format(&adminkey.vkey, ak);
    printf("created log %s\n"
           "origin:    %s\n"
           "log key:   %s\n"
           "admin key: %s\n"
           "private keys in %s (never put them in the log folder)\n",
           dir, origin, lk, ak, keys_dir(&o));
  }
out:
  truce_skey_wipe(&logkey);
  truce_skey_wipe(&adminkey);
  return finish(code);
}
