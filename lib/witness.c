/*
 * witness.c: a witness per c2sp.org/tlog-witness: for each log it trusts
 * (origin + key) it keeps the last checkpoint it cosigned, accepts a new
 * checkpoint only with a valid consistency proof from that one, and
 * cosigns it (c2sp.org/tlog-cosignature, cosignature/v1). A checkpoint
 * that contradicts what it saw is refused and kept, with the one it
 * contradicts and the proof offered, as evidence of a split view.
 *
 * State folder:
 *   <dir>/lock                     flock(2): check-and-record is atomic
 *   <dir>/logs/<origin>/key        the log's verifier key
 *   <dir>/logs/<origin>/checkpoint the last checkpoint cosigned
 *   <dir>/logs/<origin>/refused-<time>-<n>/{cosigned,offered,request}
 * (<origin> is escaped: bytes outside [A-Za-z0-9._-] become %XX.)
 * Depends on notes, checkpoints and Merkle verification, not on the log.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct truce_witness {
  int dirfd;
  int lockfd;
  truce_skey key;
  char errmsg[TRUCE_ERR_MAX];
};

static truce_err wfail(truce_witness *w, truce_err rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static truce_err wfail(truce_witness *w, truce_err rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->errmsg, sizeof w->errmsg, fmt, ap);
  va_end(ap);
  return rc;
}

/* logs/<escaped origin>/<file> */
static void log_path(const char *origin, const char *file, char out[512]) {
  char esc[3 * TRUCE_NAME_MAX + 1];
  size_t j = 0;
  for (const unsigned char *p = (const unsigned char *)origin; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
        (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-')
      esc[j++] = (char)*p;
    else
      j += (size_t)snprintf(esc + j, 4, "%%%02X", *p);
  }
  esc[j] = '\0';
  snprintf(out, 512, "logs/%s/%s", esc, file);
}

truce_err truce_witness_open(const char *dir, const truce_skey *key,
                             truce_witness **out, char *err) {
  *out = NULL;
  if (key->vkey.type != TRUCE_KEY_COSIG_V1)
    return seterr(err, TRUCE_EINVAL,
                  "a witness key must be a cosignature key (truce keygen "
                  "--witness)");
  if (mkdir(dir, 0700) != 0 && errno != EEXIST)
    return seterr(err, TRUCE_EIO, "cannot create '%s': %s", dir,
                  strerror(errno));
  truce_witness *w = truce_calloc(1, sizeof *w);
  if (!w)
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  w->lockfd = -1;
  w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (w->dirfd < 0) {
    truce_free(w);
    return seterr(err, TRUCE_EIO, "cannot open '%s': %s", dir,
                  strerror(errno));
  }
  w->lockfd = openat(w->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (w->lockfd < 0) {
    truce_err rc = seterr(err, TRUCE_EIO, "cannot open '%s/lock': %s", dir,
                          strerror(errno));
    truce_witness_close(w);
    return rc;
  }
  w->key = *key;
  *out = w;
  return TRUCE_OK;
}

void truce_witness_close(truce_witness *w) {
  if (!w)
    return;
  truce_skey_wipe(&w->key);
  if (w->lockfd >= 0)
    close(w->lockfd);
  if (w->dirfd >= 0)
    close(w->dirfd);
  truce_free(w);
}

const char *truce_witness_errmsg(const truce_witness *w) {
  return w ? w->errmsg : "out of memory";
}

static truce_err log_key(truce_witness *w, const char *origin,
                         truce_vkey *out) {
  char path[512];
  log_path(origin, "key", path);
  truce_buf b;
  truce_buf_init(&b, TRUCE_VKEY_MAX);
  char err[TRUCE_ERR_MAX];
  truce_err rc = read_file_at(w->dirfd, path, &b, err);
  while (!rc && b.len && b.data[b.len - 1] == '\n')
    b.len--;
  if (!rc)
    rc = truce_vkey_parse(b.data, b.len, out, err);
  truce_buf_release(&b);
  if (rc == TRUCE_ENOTFOUND)
    return wfail(w, rc, "unknown log '%s' (not configured)", origin);
  if (rc)
    return wfail(w, rc, "%s: %s", path, err);
  return TRUCE_OK;
}

truce_err truce_witness_add_log(truce_witness *w, const truce_vkey *logkey) {
  if (logkey->type != TRUCE_KEY_ED25519)
    return wfail(w, TRUCE_EINVAL, "a log key must be Ed25519");
  char vk[TRUCE_VKEY_MAX + 1];
  truce_vkey_format(logkey, vk);
  size_t n = strlen(vk);
  vk[n++] = '\n';
  char path[512];
  log_path(logkey->name, "key", path);
  truce_err rc =
      write_file_atomic(w->dirfd, path, vk, n, true, w->errmsg);
  if (rc == TRUCE_ETAMPER)
    return wfail(w, TRUCE_EEXIST,
                 "the witness already trusts a different key for '%s'",
                 logkey->name);
  return rc;
}

/* The last checkpoint cosigned for origin: its size and root (size 0 and
 * no root if none). */
static truce_err last_checkpoint(truce_witness *w, const char *origin,
                                 const truce_vkey *key, truce_checkpoint *c,
                                 truce_buf *note) {
  memset(c, 0, sizeof *c);
  char path[512];
  log_path(origin, "checkpoint", path);
  char err[TRUCE_ERR_MAX];
  truce_err rc = read_file_at(w->dirfd, path, note, err);
  if (rc == TRUCE_ENOTFOUND)
    return TRUCE_OK;
  if (!rc)
    rc = truce_checkpoint_open(note->data, note->len, key, NULL, 0, c, NULL,
                               NULL, err);
  if (rc)
    return wfail(w, TRUCE_ETAMPER, "the witness's own record %s is bad: %s",
                 path, err);
  return TRUCE_OK;
}

truce_err truce_witness_last_size(truce_witness *w, const char *origin,
                                  uint64_t *size) {
  *size = 0;
  truce_vkey key;
  truce_err rc = log_key(w, origin, &key);
  if (rc)
    return rc;
  truce_checkpoint c;
  truce_buf note;
  truce_buf_init(&note, TRUCE_NOTE_MAX);
  rc = last_checkpoint(w, origin, &key, &c, &note);
  truce_buf_release(&note);
  if (!rc)
    *size = c.size;
  return rc;
}

/* Keep a refused request as evidence: what we had cosigned, and what was
 * offered (the whole request, with its proof). */
static void keep_evidence(truce_witness *w, const char *origin,
                          const truce_buf *had, const char *body, size_t len,
                          uint64_t now_s) {
  char dir[64], path[512], sub[128];
  for (unsigned n = 0; n < 1000; n++) {
    snprintf(dir, sizeof dir, "refused-%" PRIu64 "-%u", now_s, n);
    snprintf(sub, sizeof sub, "%s/request", dir);
    log_path(origin, sub, path);
    if (!file_exists_at(w->dirfd, path))
      break;
  }
  write_file_atomic(w->dirfd, path, body, len, false, NULL);
  if (had->len) {
    snprintf(sub, sizeof sub, "%s/cosigned", dir);
    log_path(origin, sub, path);
    write_file_atomic(w->dirfd, path, had->data, had->len, false, NULL);
  }
}

/* Parse "old N\n", proof lines, "\n", then the checkpoint note. */
static truce_err parse_request(truce_witness *w, const char *body, size_t len,
                               uint64_t *old, truce_proof *proof,
                               const char **note, size_t *note_len) {
  const char *p = body, *end = body + len;
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  if (!nl || nl - p < 5 || memcmp(p, "old ", 4) != 0 ||
      !parse_u64(p + 4, (size_t)(nl - p - 4), old))
    return wfail(w, TRUCE_EPARSE, "request line 1: want 'old SIZE'");
  p = nl + 1;
  memset(proof, 0, sizeof *proof);
  for (unsigned line = 2;; line++) {
    nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
      return wfail(w, TRUCE_EPARSE,
                   "request: no blank line before the checkpoint");
    if (nl == p)
      break;
    if (proof->n == TRUCE_PROOF_MAX || proof->n == 63)
      return wfail(w, TRUCE_EPARSE, "request: more than 63 proof lines");
    size_t got;
    if (truce_base64_decode(p, (size_t)(nl - p), proof->hash[proof->n], 32,
                            &got) ||
        got != 32)
      return wfail(w, TRUCE_EPARSE,
                   "request line %u: not a base64 SHA-256 hash", line);
    proof->n++;
    p = nl + 1;
  }
  *note = nl + 1;
  *note_len = (size_t)(end - *note);
  return TRUCE_OK;
}

truce_err truce_witness_add_checkpoint(truce_witness *w, const char *body,
                                       size_t len, uint64_t now_s,
                                       truce_buf *out) {
  w->errmsg[0] = '\0';
  uint64_t old;
  truce_proof proof;
  const char *note = NULL;
  size_t note_len = 0;
  truce_err rc = parse_request(w, body, len, &old, &proof, &note, &note_len);
  if (rc)
    return rc;
  /* Which log? Parse the text first, then verify with that log's key. */
  truce_note parsed;
  truce_checkpoint c;
  char err[TRUCE_ERR_MAX];
  if ((rc = truce_note_parse(note, note_len, &parsed, err)) ||
      (rc = truce_checkpoint_parse(parsed.text, parsed.text_len, &c, err)))
    return wfail(w, TRUCE_EPARSE, "checkpoint: %s", err);
  truce_vkey key;
  if ((rc = log_key(w, c.origin, &key)))
    return rc;
  if ((rc = truce_checkpoint_open(note, note_len, &key, NULL, 0, &c, NULL,
                                  NULL, err)))
    return wfail(w, rc, "checkpoint of '%s': %s", c.origin, err);
  if (flock(w->lockfd, LOCK_EX) != 0)
    return wfail(w, TRUCE_EIO, "cannot lock the witness state");
  truce_checkpoint had;
  truce_buf had_note;
  truce_buf_init(&had_note, TRUCE_NOTE_MAX);
  rc = last_checkpoint(w, c.origin, &key, &had, &had_note);
  uint8_t empty[32];
  truce_sha256("", 0, empty);
  if (rc) {
    /* reported as set */
  } else if (old > c.size) {
    rc = wfail(w, TRUCE_EPARSE,
               "old size %" PRIu64 " is larger than the checkpoint's %" PRIu64
               "%s",
               old, c.size,
               old == had.size ? ": the log shows a shorter tree than the "
                                 "one this witness cosigned (kept as "
                                 "evidence)"
                               : "");
    if (old == had.size)
      keep_evidence(w, c.origin, &had_note, body, len, now_s);
  } else if (old != had.size) {
    rc = wfail(w, TRUCE_ESTALE,
               "old size %" PRIu64 " is not the last size cosigned, %" PRIu64,
               old, had.size);
  } else if (c.root_len != 32) {
    rc = wfail(w, TRUCE_EBADPROOF, "the root hash is not 32 bytes");
  } else if (c.size == 0 && memcmp(c.root, empty, 32) != 0) {
    rc = wfail(w, TRUCE_EPROOF, "an empty tree must have the empty root");
  } else if (old == 0 && proof.n != 0) {
    rc = wfail(w, TRUCE_EBADPROOF,
               "a proof from size 0 must be empty (got %zu hashes)", proof.n);
  } else if (old != 0 && old == c.size) {
    if (memcmp(had.root, c.root, 32) != 0)
      rc = wfail(w, TRUCE_ESPLIT,
                 "split view: two different roots for size %" PRIu64
                 " of '%s', both signed by the log",
                 old, c.origin);
    else if (proof.n != 0)
      rc = wfail(w, TRUCE_EBADPROOF, "equal sizes need an empty proof");
  } else if (old != 0) {
    rc = truce_consistency_verify(old, c.size, had.root, had.root_len, c.root,
                                  c.root_len, &proof);
    if (rc == TRUCE_EPROOF)
      rc = wfail(w, TRUCE_ESPLIT,
                 "the checkpoint of size %" PRIu64
                 " is not consistent with the one of size %" PRIu64
                 " cosigned before (split view or rewritten log)",
                 c.size, old);
    else if (rc)
      rc = wfail(w, rc, "the consistency proof is malformed");
  }
  if (rc == TRUCE_ESPLIT || rc == TRUCE_EPROOF || rc == TRUCE_EBADPROOF)
    keep_evidence(w, c.origin, &had_note, body, len, now_s);

  if (!rc) {
    /* Record before answering (tlog-witness), then cosign. */
    char path[512];
    log_path(c.origin, "checkpoint", path);
    if ((rc = write_file_atomic(w->dirfd, path, note, note_len, false, err)))
      wfail(w, rc, "%s", err);
  }
  if (!rc && (rc = truce_cosign(&w->key, parsed.text, parsed.text_len, now_s,
                                out, err)))
    wfail(w, rc, "cannot cosign: %s", err);
  flock(w->lockfd, LOCK_UN);
  truce_buf_release(&had_note);
  return rc;
}
