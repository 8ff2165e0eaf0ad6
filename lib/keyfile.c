/*
 * keyfile.c: keys on disk. A private key file holds one line, Go's
 * "PRIVATE+KEY+<name>+<id>+<base64>" text, and is created readable by its
 * owner only (0600, in a folder that is 0700); a public key file holds the
 * verifier key. Depends on keys.c; knows nothing of logs.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

truce_err truce_skey_load(const char *path, truce_skey *out, char *err) {
  memset(out, 0, sizeof *out);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int e = errno;
    return seterr(err, e == ENOENT ? TRUCE_ENOTFOUND : TRUCE_EIO,
                  "cannot open key '%s': %s", path, strerror(e));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
    close(fd);
    return seterr(err, TRUCE_EINVAL,
                  "key '%s' is readable by others; it must be mode 0600 "
                  "(chmod 600 '%s')",
                  path, path);
  }
  char text[TRUCE_SKEY_MAX + 2];
  ssize_t n = read(fd, text, sizeof text);
  close(fd);
  if (n < 0)
    return seterr(err, TRUCE_EIO, "cannot read key '%s': %s", path,
                  strerror(errno));
  size_t len = (size_t)n;
  if (len == sizeof text)
    return seterr(err, TRUCE_EPARSE, "key '%s' is too long", path);
  while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
    len--;
  truce_err rc = truce_skey_parse(text, len, out, err);
  sodium_memzero(text, sizeof text);
  if (rc)
    errprefix(err, "key '%s'", path);
  return rc;
}

truce_err truce_skey_save(const char *path, const truce_skey *k, char *err) {
  char text[TRUCE_SKEY_MAX + 1];
  truce_skey_format(k, text);
  size_t n = strlen(text);
  text[n++] = '\n';
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                0600);
  if (fd < 0) {
    int e = errno;
    sodium_memzero(text, sizeof text);
    return seterr(err, e == EEXIST ? TRUCE_EEXIST : TRUCE_EIO,
                  "cannot create key '%s': %s", path, strerror(e));
  }
  ssize_t w = write(fd, text, n);
  sodium_memzero(text, sizeof text);
  if (w != (ssize_t)n || fsync(fd) != 0) {
    int e = errno;
    close(fd);
    unlink(path);
    return seterr(err, TRUCE_EIO, "cannot write key '%s': %s", path,
                  strerror(e));
  }
  close(fd);
  return TRUCE_OK;
}

truce_err truce_vkey_load(const char *path_or_text, truce_vkey *out,
                          char *err) {
  /* A verifier key given inline has two '+'; a path rarely does. */
  char text[TRUCE_VKEY_MAX + 2];
  size_t len;
  struct stat st;
  if (stat(path_or_text, &st) == 0) {
    FILE *f = fopen(path_or_text, "r");
    if (!f)
      return seterr(err, TRUCE_EIO, "cannot open '%s': %s", path_or_text,
                    strerror(errno));
    len = fread(text, 1, sizeof text, f);
    fclose(f);
    if (len == sizeof text)
      return seterr(err, TRUCE_EPARSE, "'%s' is too long for a key",
                    path_or_text);
  } else {
    len = strlen(path_or_text);
    if (len >= sizeof text)
      return seterr(err, TRUCE_EPARSE, "key text too long");
    memcpy(text, path_or_text, len);
  }
  while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
    len--;
  truce_err rc = truce_vkey_parse(text, len, out, err);
  if (rc)
    errprefix(err, "'%s'", path_or_text);
  return rc;
}

void truce_key_file_name(const char *name, const char *ext,
                         char out[TRUCE_KEYFILE_MAX]) {
  size_t j = 0;
  for (const unsigned char *p = (const unsigned char *)name;
       *p && j + 4 < TRUCE_KEYFILE_MAX - 8; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
        (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-')
      out[j++] = (char)*p;
    else
      j += (size_t)snprintf(out + j, 4, "%%%02X", *p);
  }
  snprintf(out + j, TRUCE_KEYFILE_MAX - j, "%s", ext);
}
