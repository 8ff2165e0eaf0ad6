/*
 * fsutil.c: file helpers for the log's storage: folders, atomic file
 * writes (write, fsync, rename, fsync the folder), full reads and writes.
 * Depends only on util.c. Everything is relative to a folder descriptor.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define REL_MAX 512

static truce_err io_err(char *err, const char *what, const char *rel) {
  int e = errno;
  return seterr(err, e == ENOENT ? TRUCE_ENOTFOUND : TRUCE_EIO,
                "cannot %s '%s': %s", what, rel, strerror(e));
}

bool file_exists_at(int dirfd, const char *rel) {
  struct stat st;
  return fstatat(dirfd, rel, &st, 0) == 0;
}

truce_err mkdirs_for(int dirfd, const char *rel, char *err) {
  char path[REL_MAX];
  size_t n = strlen(rel);
  if (n >= sizeof path)
    return seterr(err, TRUCE_EINVAL, "path too long: '%s'", rel);
  memcpy(path, rel, n + 1);
  for (char *p = path; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdirat(dirfd, path, 0755) != 0 && errno != EEXIST) {
      truce_err rc = io_err(err, "create folder", path);
      *p = '/';
      return rc;
    }
    *p = '/';
  }
  return TRUCE_OK;
}

truce_err fsync_parent(int dirfd, const char *rel, char *err) {
  char path[REL_MAX];
  size_t n = strlen(rel);
  if (n >= sizeof path)
    return seterr(err, TRUCE_EINVAL, "path too long: '%s'", rel);
  memcpy(path, rel, n + 1);
  char *slash = strrchr(path, '/');
  int fd;
  if (slash) {
    *slash = '\0';
    fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } else {
    fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  if (fd < 0)
    return io_err(err, "open folder of", rel);
  int rc = fsync(fd);
  close(fd);
  if (rc != 0)
    return io_err(err, "sync folder of", rel);
  return TRUCE_OK;
}

truce_err write_full(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return TRUCE_EIO;
    p += w;
    n -= (size_t)w;
  }
  return TRUCE_OK;
}

truce_err pread_full(int fd, void *buf, size_t n, uint64_t off) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = pread(fd, p, n, (off_t)off);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return TRUCE_EIO;
    if (r == 0)
      return TRUCE_ENOTFOUND;
    p += r;
    n -= (size_t)r;
    off += (uint64_t)r;
  }
  return TRUCE_OK;
}

truce_err read_file_at(int dirfd, const char *rel, truce_buf *b, char *err) {
  int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return io_err(err, "open", rel);
  truce_err rc = TRUCE_OK;
  for (;;) {
    char chunk[65536];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      rc = io_err(err, "read", rel);
      break;
    }
    if (n == 0)
      break;
    rc = truce_buf_append(b, chunk, (size_t)n);
    if (rc) {
      seterr(err, rc, "cannot read '%s': %s", rel, truce_strerror(rc));
      break;
    }
  }
  close(fd);
  if (!rc && !b->data)
    rc = truce_buf_append(b, "", 0);
  return rc;
}

truce_err write_file_atomic(int dirfd, const char *rel, const void *data,
                            size_t len, bool keep, char *err) {
  char tmp[REL_MAX];
  if (strlen(rel) + 5 >= sizeof tmp)
    return seterr(err, TRUCE_EINVAL, "path too long: '%s'", rel);
  if (keep && file_exists_at(dirfd, rel)) {
    truce_buf old;
    truce_buf_init(&old, len + 1);
    truce_err rc = read_file_at(dirfd, rel, &old, err);
    bool same = rc == TRUCE_OK && old.len == len &&
                (len == 0 || memcmp(old.data, data, len) == 0);
    truce_buf_release(&old);
    if (rc == TRUCE_ETOOBIG || (rc == TRUCE_OK && !same))
      return seterr(err, TRUCE_ETAMPER,
                    "'%s' exists with different contents", rel);
    return rc;
  }
  truce_err rc = mkdirs_for(dirfd, rel, err);
  if (rc)
    return rc;
  snprintf(tmp, sizeof tmp, "%s.tmp", rel);
  int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return io_err(err, "create", tmp);
  if (write_full(fd, data, len) != TRUCE_OK) {
    rc = io_err(err, "write", tmp);
    close(fd);
    unlinkat(dirfd, tmp, 0);
    return rc;
  }
  if (fsync(fd) != 0) {
    rc = io_err(err, "sync", tmp);
    close(fd);
    unlinkat(dirfd, tmp, 0);
    return rc;
  }
  close(fd);
  if (renameat(dirfd, tmp, dirfd, rel) != 0) {
    rc = io_err(err, "rename into", rel);
    unlinkat(dirfd, tmp, 0);
    return rc;
  }
  return fsync_parent(dirfd, rel, err);
}
