/*
 * checkpoint.c: checkpoints (c2sp.org/tlog-checkpoint), opening a signed
 * checkpoint against a log key and witnesses, and the tlog-proof text
 * format (c2sp.org/tlog-proof@v1).
 *
 * Text only: it parses and formats, and checks signatures through note.c.
 * It must not depend on the Merkle code (merkle.c) or the log: verifying
 * a proof against a checkpoint is the caller's step, with the parts this
 * file hands back.
 */
#include "internal.h"

#include <inttypes.h>

#define TLOG_PROOF_HEADER "c2sp.org/tlog-proof@v1"

/* One line starting at *p, without its newline; advances *p past the
 * newline. False if no newline is left before end. */
static bool next_line(const char **p, const char *end, const char **line,
                      size_t *n) {
  const char *nl = memchr(*p, '\n', (size_t)(end - *p));
  if (!nl)
    return false;
  *line = *p;
  *n = (size_t)(nl - *p);
  *p = nl + 1;
  return true;
}

/* True if s is base64 of any length (strict, padding only at the end),
 * decoded in chunks so that no buffer of the data's size is needed. */
static bool b64_valid(const char *s, size_t n) {
  if (n % 4 != 0)
    return false;
  for (size_t i = 0; i + 2 < n; i++)
    if (s[i] == '=')
      return false;
  uint8_t tmp[768];
  for (size_t off = 0; off < n; off += 1024) {
    size_t clen = n - off < 1024 ? n - off : 1024, got;
    if (truce_base64_decode(s + off, clen, tmp, sizeof tmp, &got))
      return false;
  }
  return true;
}

/* ---- checkpoints ---- */

truce_err truce_checkpoint_parse(const char *text, size_t len,
                                 truce_checkpoint *out, char *err) {
  memset(out, 0, sizeof *out);
  if (!text)
    return seterr(err, TRUCE_EINVAL, "checkpoint: no text");
  if (len > TRUCE_NOTE_MAX)
    return seterr(err, TRUCE_ETOOBIG, "checkpoint: longer than %d bytes",
                  TRUCE_NOTE_MAX);
  if (!utf8_text_ok(text, len, true))
    return seterr(err, TRUCE_EPARSE,
                  "checkpoint: not valid UTF-8 or contains a control "
                  "character");
  const char *p = text, *end = text + len, *line;
  size_t n;
  truce_checkpoint c;
  memset(&c, 0, sizeof c);

  if (!next_line(&p, end, &line, &n))
    return seterr(err, TRUCE_EPARSE, "checkpoint: no origin line");
  if (n == 0)
    return seterr(err, TRUCE_EPARSE, "checkpoint: origin (line 1) is empty");
  if (n > TRUCE_NAME_MAX)
    return seterr(err, TRUCE_ETOOBIG,
                  "checkpoint: origin (line 1) is longer than %d bytes",
                  TRUCE_NAME_MAX);
  memcpy(c.origin, line, n);
  c.origin[n] = '\0';

  if (!next_line(&p, end, &line, &n))
    return seterr(err, TRUCE_EPARSE, "checkpoint: no tree size line");
  if (!parse_u64(line, n, &c.size))
    return seterr(err, TRUCE_EPARSE,
                  "checkpoint: tree size (line 2) '%.*s' is not a decimal "
                  "without leading zeros that fits in 64 bits",
                  (int)(n > 32 ? 32 : n), line);

  if (!next_line(&p, end, &line, &n))
    return seterr(err, TRUCE_EPARSE,
                  "checkpoint: no root hash line (or it lacks its newline)");
  if (n == 0)
    return seterr(err, TRUCE_EPARSE, "checkpoint: root hash (line 3) is empty");
  truce_err rc = truce_base64_decode(line, n, c.root, sizeof c.root, &c.root_len);
  if (rc && b64_valid(line, n))
    return seterr(err, TRUCE_EPARSE,
                  "checkpoint: root hash (line 3) is longer than %zu bytes",
                  sizeof c.root);
  if (rc || c.root_len == 0)
    return seterr(err, TRUCE_EPARSE,
                  "checkpoint: root hash (line 3) is not valid base64");

  c.ext_off = (size_t)(p - text);
  /* Extension lines MUST be non-empty (tlog-checkpoint). Go's parser
   * accepts empty ones; we follow the spec. */
  for (size_t lineno = 4; p < end; lineno++) {
    if (!next_line(&p, end, &line, &n))
      return seterr(err, TRUCE_EPARSE, "checkpoint: line %zu lacks its newline",
                    lineno);
    if (n == 0)
      return seterr(err, TRUCE_EPARSE,
                    "checkpoint: extension line %zu is empty", lineno);
  }
  *out = c;
  return TRUCE_OK;
}

truce_err truce_checkpoint_format(const truce_checkpoint *c, truce_buf *out) {
  if (!c || !out)
    return TRUCE_EINVAL;
  size_t olen = strnlen(c->origin, sizeof c->origin);
  /* refuse what truce_checkpoint_parse would refuse */
  if (olen == 0 || olen > TRUCE_NAME_MAX ||
      !utf8_text_ok(c->origin, olen, false) || c->root_len == 0 ||
      c->root_len > sizeof c->root)
    return TRUCE_EINVAL;
  char root[sizeof c->root / 3 * 4 + 8];
  truce_base64_encode(c->root, c->root_len, root);
  size_t old = out->len;
  truce_err rc = truce_buf_appendf(out, "%.*s\n%" PRIu64 "\n%s\n", (int)olen,
                                   c->origin, c->size, root);
  if (rc && out->data) {
    out->len = old;
    out->data[old] = '\0';
  }
  return rc;
}

truce_err truce_checkpoint_open(const char *note, size_t len,
                                const truce_vkey *logkey,
                                const truce_vkey *witnesses, size_t nwit,
                                truce_checkpoint *out, uint8_t *verified,
                                uint64_t *ts, char *err) {
  memset(out, 0, sizeof *out);
  if (verified)
    memset(verified, 0, 1 + nwit);
  if (ts)
    memset(ts, 0, (1 + nwit) * sizeof *ts);
  if (!note || !logkey || (nwit && !witnesses))
    return seterr(err, TRUCE_EINVAL, "checkpoint: invalid argument");
  truce_note nb, *n = &nb;
  truce_err rc = truce_note_parse(note, len, n, err);
  if (rc)
    goto done;
  /* The log key on its own: its signature is required, a witness's
   * cannot stand in for it. Witnesses are then checked apart, so that a
   * bad cosignature still rejects the note (and is reported even when
   * the log's signature is missing). */
  rc = truce_note_verify(n, logkey, 1, verified, ts, err);
  if (rc && rc != TRUCE_ENOKEY)
    goto done;
  if (nwit) {
    char werr[TRUCE_ERR_MAX];
    truce_err wrc =
        truce_note_verify(n, witnesses, nwit, verified ? verified + 1 : NULL,
                          ts ? ts + 1 : NULL, werr);
    if (wrc == TRUCE_EBADSIG || wrc == TRUCE_EINVAL || wrc == TRUCE_ENOMEM) {
      rc = seterr(err, wrc, "%s", werr);
      goto done;
    }
  }
  if (rc) { /* TRUCE_ENOKEY */
    rc = seterr(err, TRUCE_ENOKEY,
                "checkpoint: no valid signature by the log key %s+%08x",
                logkey->name, (unsigned)logkey->id);
    goto done;
  }
  rc = truce_checkpoint_parse(n->text, n->text_len, out, err);
done:
  if (rc) {
    memset(out, 0, sizeof *out);
    if (verified)
      memset(verified, 0, 1 + nwit);
    if (ts)
      memset(ts, 0, (1 + nwit) * sizeof *ts);
  }
  return rc;
}

/* ---- tlog-proof ---- */

/* next_line, with the message for a proof that stops short. */
static truce_err proof_line(const char **q, const char *end, size_t lineno,
                            const char *what, const char **line, size_t *n,
                            char *err) {
  if (next_line(q, end, line, n))
    return TRUCE_OK;
  if (*q < end)
    return seterr(err, TRUCE_EPARSE, "tlog-proof: line %zu lacks its newline",
                  lineno);
  return seterr(err, TRUCE_EPARSE, "tlog-proof: ends before %s", what);
}

truce_err truce_tlog_proof_format(uint64_t index, const truce_proof *p,
                                  const char *checkpoint_note, size_t len,
                                  truce_buf *out) {
  if (!p || !checkpoint_note || !out)
    return TRUCE_EINVAL;
  if (p->n > TRUCE_PROOF_MAX)
    return TRUCE_EBADPROOF;
  size_t old = out->len;
  truce_err rc =
      truce_buf_appendf(out, TLOG_PROOF_HEADER "\nindex %" PRIu64 "\n", index);
  for (size_t i = 0; i < p->n && rc == TRUCE_OK; i++) {
    char b64[45];
    truce_base64_encode(p->hash[i], TRUCE_HASH_SIZE, b64);
    rc = truce_buf_appendf(out, "%s\n", b64);
  }
  if (rc == TRUCE_OK)
    rc = truce_buf_append(out, "\n", 1);
  if (rc == TRUCE_OK)
    rc = truce_buf_append(out, checkpoint_note, len);
  if (rc && out->data) {
    out->len = old;
    out->data[old] = '\0';
  }
  return rc;
}

truce_err truce_tlog_proof_parse(const char *text, size_t len, uint64_t *index,
                                 truce_proof *p, const char **note,
                                 size_t *note_len, char *err) {
  *index = 0;
  memset(p, 0, sizeof *p);
  *note = NULL;
  *note_len = 0;
  if (!text)
    return seterr(err, TRUCE_EINVAL, "tlog-proof: no text");
  const char *q = text, *end = text + len, *line = NULL;
  size_t n = 0, lineno = 1;
  truce_err rc = TRUCE_OK;

  if ((rc = proof_line(&q, end, lineno, "the header", &line, &n, err)))
    return rc;
  if (n != sizeof TLOG_PROOF_HEADER - 1 ||
      memcmp(line, TLOG_PROOF_HEADER, n) != 0)
    return seterr(err, TRUCE_EPARSE,
                  "tlog-proof: line 1 is not \"" TLOG_PROOF_HEADER "\"");
  lineno++;
  if ((rc = proof_line(&q, end, lineno, "the index line", &line, &n, err)))
    return rc;
  /* The extra data is opaque and unauthenticated: checked for form,
   * then dropped. */
  if (n >= 6 && memcmp(line, "extra ", 6) == 0) {
    if (n == 6 || !b64_valid(line + 6, n - 6))
      return seterr(err, TRUCE_EPARSE,
                    "tlog-proof: line 2: extra data is not valid base64");
    lineno++;
    if ((rc = proof_line(&q, end, lineno, "the index line", &line, &n, err)))
      return rc;
  }
  uint64_t idx;
  if (n < 6 || memcmp(line, "index ", 6) != 0)
    return seterr(err, TRUCE_EPARSE, "tlog-proof: line %zu: want \"index <n>\"",
                  lineno);
  if (!parse_u64(line + 6, n - 6, &idx))
    return seterr(err, TRUCE_EPARSE,
                  "tlog-proof: line %zu: index '%.*s' is not a decimal "
                  "without leading zeros that fits in 64 bits",
                  lineno, (int)(n - 6 > 32 ? 32 : n - 6), line + 6);
  for (;;) {
    lineno++;
    rc = proof_line(&q, end, lineno, "the blank line before the checkpoint",
                    &line, &n, err);
    if (rc)
      break;
    if (n == 0)
      break;
    if (p->n == TRUCE_PROOF_MAX) {
      rc = seterr(err, TRUCE_EBADPROOF, "tlog-proof: more than %d proof hashes",
                  TRUCE_PROOF_MAX);
      break;
    }
    size_t got = 0;
    truce_err drc = truce_base64_decode(line, n, p->hash[p->n], TRUCE_HASH_SIZE, &got);
    if (drc == TRUCE_EPARSE && b64_valid(line, n))
      drc = TRUCE_ETOOBIG; /* valid base64, just too long for the buffer */
    if (drc == TRUCE_EPARSE) {
      rc = seterr(err, TRUCE_EPARSE,
                  "tlog-proof: line %zu: proof hash is not valid base64",
                  lineno);
      break;
    }
    if (drc || got != TRUCE_HASH_SIZE) {
      rc = seterr(err, TRUCE_EBADPROOF,
                  "tlog-proof: line %zu: proof hash is not %d bytes", lineno,
                  TRUCE_HASH_SIZE);
      break;
    }
    p->n++;
  }
  if (rc == TRUCE_OK && q == end)
    rc = seterr(err, TRUCE_EPARSE,
                "tlog-proof: no checkpoint after the blank line");
  if (rc) {
    memset(p, 0, sizeof *p);
    return rc;
  }
  *index = idx;
  *note = q;
  *note_len = (size_t)(end - q);
  return TRUCE_OK;
}
