/*
 * note.c: signed notes (c2sp.org/signed-note) and Ed25519 cosignatures
 * (c2sp.org/tlog-cosignature, cosignature/v1): parsing, verifying against
 * trusted keys, signing, cosigning, formatting signature lines.
 *
 * Knows nothing of what the text says: checkpoints (checkpoint.c) and log
 * entries (entry.c) are built on top. Depends only on keys.c and util.c.
 */
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>

#define SIG_LINE_PREFIX EM_DASH " " /* "— " */
#define SIG_LINE_PREFIX_LEN 4
#define COSIG_V1_SIG_LEN 72 /* u64 timestamp || Ed25519 signature */
#define COSIG_TS_MAX ((uint64_t)INT64_MAX) /* spec: MUST NOT exceed 2^63-1 */

/* ---- base64 of any length ---- */

/* Decode base64 of any length, keeping only the first `cap` bytes in
 * `head` and counting all of them in *total. Signatures of algorithms
 * truce does not verify (ML-DSA ones are 2.4 kB) must still parse, so
 * that they can be ignored as the spec requires, without a buffer that
 * large. Strict: padding only at the end. */
static truce_err b64_decode_head(const char *s, size_t n, uint8_t *head,
                                 size_t cap, size_t *total) {
  *total = 0;
  if (n == 0 || n % 4 != 0)
    return TRUCE_EPARSE;
  for (size_t i = 0; i + 2 < n; i++)
    if (s[i] == '=')
      return TRUCE_EPARSE;
  uint8_t tmp[768]; /* 1024 characters: a multiple of 4 */
  size_t got_all = 0;
  for (size_t off = 0; off < n; off += 1024) {
    size_t clen = n - off < 1024 ? n - off : 1024, got = 0;
    truce_err rc = truce_base64_decode(s + off, clen, tmp, sizeof tmp, &got);
    if (rc)
      return TRUCE_EPARSE;
    if (got_all < cap) {
      size_t keep = cap - got_all < got ? cap - got_all : got;
      memcpy(head + got_all, tmp, keep);
    }
    got_all += got;
  }
  *total = got_all;
  return TRUCE_OK;
}

/* Append base64(be32(id) || sig) to out, in chunks so that a signature of
 * any length needs no buffer of its size. */
static truce_err append_sig_b64(truce_buf *out, uint32_t id, const uint8_t *sig,
                                size_t n) {
  uint8_t chunk[768]; /* a multiple of 3: no padding between chunks */
  char enc[1024 + 1];
  put_be32(chunk, id);
  size_t fill = 4, off = 0;
  for (;;) {
    size_t room = sizeof chunk - fill, take = n - off < room ? n - off : room;
    memcpy(chunk + fill, sig + off, take);
    fill += take;
    off += take;
    truce_base64_encode(chunk, fill, enc);
    truce_err rc = truce_buf_append(out, enc, truce_base64_len(fill));
    if (rc)
      return rc;
    if (off == n)
      return TRUCE_OK;
    fill = 0;
  }
}

/* ---- parsing ---- */

/* The rules for a whole note and for the text part of one: non-empty,
 * valid UTF-8, no control characters but newline, ending in a newline.
 * Messages come without a prefix: the caller adds its own. */
static truce_err text_check(const char *text, size_t len, char *err) {
  if (!text || len == 0)
    return seterr(err, TRUCE_EPARSE, "empty");
  if (len > TRUCE_NOTE_MAX)
    return seterr(err, TRUCE_ETOOBIG, "longer than %d bytes", TRUCE_NOTE_MAX);
  if (text[len - 1] != '\n')
    return seterr(err, TRUCE_EPARSE, "does not end in a newline");
  if (!utf8_text_ok(text, len, true)) {
    size_t line = 1, start = 0;
    for (size_t i = 0; i < len; i++) {
      if (text[i] != '\n')
        continue;
      if (!utf8_text_ok(text + start, i - start, false))
        break;
      line++;
      start = i + 1;
    }
    return seterr(err, TRUCE_EPARSE,
                  "line %zu: not valid UTF-8 or contains a control "
                  "character",
                  line);
  }
  return TRUCE_OK;
}

/* One signature line without its newline: "— <name> <base64>". */
static truce_err parse_sig_line(const char *line, size_t n, size_t lineno,
                                truce_note_sig *out, char *err) {
  if (n < SIG_LINE_PREFIX_LEN ||
      memcmp(line, SIG_LINE_PREFIX, SIG_LINE_PREFIX_LEN) != 0)
    return seterr(err, TRUCE_EPARSE,
                  "signature line %zu: does not start with an em dash "
                  "(U+2014) and a space",
                  lineno);
  const char *rest = line + SIG_LINE_PREFIX_LEN;
  size_t rn = n - SIG_LINE_PREFIX_LEN;
  /* Base64 has no spaces, so the last space ends the name: a name with a
   * space in it is then reported as such. */
  size_t sp = rn;
  while (sp > 0 && rest[sp - 1] != ' ')
    sp--;
  if (sp == 0)
    return seterr(err, TRUCE_EPARSE,
                  "signature line %zu: no space between the key name and "
                  "the signature",
                  lineno);
  size_t name_len = sp - 1;
  const char *b64 = rest + sp;
  size_t b64_len = rn - sp;
  if (name_len > TRUCE_NAME_MAX)
    return seterr(err, TRUCE_ETOOBIG,
                  "signature line %zu: key name is longer than %d bytes",
                  lineno, TRUCE_NAME_MAX);
  memcpy(out->name, rest, name_len);
  out->name[name_len] = '\0';
  /* (no NUL byte can hide in the name: the whole note has been checked
   * for control characters) */
  truce_err rc = truce_key_name_check(out->name, err);
  if (rc) {
    errprefix(err, "signature line %zu", lineno);
    return rc;
  }
  if (b64_len == 0)
    return seterr(err, TRUCE_EPARSE, "signature line %zu: empty signature",
                  lineno);
  uint8_t head[4 + sizeof out->sig];
  size_t total = 0;
  if (b64_decode_head(b64, b64_len, head, sizeof head, &total))
    return seterr(err, TRUCE_EPARSE,
                  "signature line %zu: signature is not valid base64", lineno);
  if (total < 5)
    return seterr(err, TRUCE_EPARSE,
                  "signature line %zu: signature is %zu bytes, want at "
                  "least 5 (a 4-byte key ID and a signature)",
                  lineno, total);
  out->id = get_be32(head);
  /* A signature longer than the struct keeps (more than 128 bytes: not
   * Ed25519 nor cosignature/v1) is recorded with sig_len 0: it can only
   * be one truce ignores, or one that fails against a trusted key. */
  if (total - 4 <= sizeof out->sig) {
    out->sig_len = total - 4;
    memcpy(out->sig, head + 4, out->sig_len);
  }
  return TRUCE_OK;
}

truce_err truce_note_parse(const char *msg, size_t len, truce_note *out,
                           char *err) {
  memset(out, 0, sizeof *out);
  if (!msg)
    return seterr(err, TRUCE_EINVAL, "note: no text");
  if (len > TRUCE_NOTE_MAX)
    return seterr(err, TRUCE_ETOOBIG, "note: %zu bytes, more than %d", len,
                  TRUCE_NOTE_MAX);
  truce_err rc = text_check(msg, len, err);
  if (rc) {
    errprefix(err, "note");
    return rc;
  }
  /* The text ends at the last blank line: the text itself may contain
   * blank lines, signature lines cannot. */
  size_t i = len - 1;
  while (i > 0 && !(msg[i - 1] == '\n' && msg[i] == '\n'))
    i--;
  if (i == 0)
    return seterr(err, TRUCE_EPARSE,
                  "note: no blank line before the signatures");
  size_t text_len = i; /* up to and including the text's final newline */
  const char *p = msg + i + 1, *end = msg + len;
  if (p == end)
    return seterr(err, TRUCE_EPARSE,
                  "note: no signature lines after the blank line");
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p)); /* msg ends in \n */
    if (out->nsig == TRUCE_NOTE_SIGS_MAX) {
      rc = seterr(err, TRUCE_ETOOBIG, "note: more than %d signature lines",
                  TRUCE_NOTE_SIGS_MAX);
      break;
    }
    rc = parse_sig_line(p, (size_t)(nl - p), out->nsig + 1,
                        &out->sig[out->nsig], err);
    if (rc)
      break;
    out->nsig++;
    p = nl + 1;
  }
  if (rc) {
    memset(out, 0, sizeof *out);
    return rc;
  }
  out->text = msg;
  out->text_len = text_len;
  return TRUCE_OK;
}

/* ---- verification ---- */

/* The cosignature/v1 signed message: two header lines, then the text. */
static truce_err cosig_message(truce_buf *m, uint64_t ts, const char *text,
                               size_t len) {
  m->len = 0;
  truce_err rc = truce_buf_appendf(m, "cosignature/v1\ntime %" PRIu64 "\n", ts);
  if (rc == TRUCE_OK)
    rc = truce_buf_append(m, text, len);
  return rc;
}

/* Check one signature against one key whose name and ID it matches. */
static truce_err verify_one(const truce_note *note, const truce_note_sig *s,
                            const truce_vkey *k, truce_buf *m, uint64_t *ts,
                            char *err) {
  if (k->type == TRUCE_KEY_ED25519) {
    if (s->sig_len != 64)
      return seterr(err, TRUCE_EBADSIG, "signature by %s+%08x is not 64 bytes",
                    k->name, (unsigned)k->id);
    if (truce_ed25519_verify(k->pub, note->text, note->text_len, s->sig))
      return seterr(err, TRUCE_EBADSIG, "invalid signature by %s+%08x", k->name,
                    (unsigned)k->id);
    return TRUCE_OK;
  }
  if (s->sig_len != COSIG_V1_SIG_LEN)
    return seterr(err, TRUCE_EBADSIG,
                  "cosignature by %s+%08x is not %d bytes (timestamp and "
                  "signature)",
                  k->name, (unsigned)k->id, COSIG_V1_SIG_LEN);
  uint64_t t = get_be64(s->sig);
  if (t > COSIG_TS_MAX)
    return seterr(err, TRUCE_EBADSIG,
                  "cosignature by %s+%08x: timestamp %" PRIu64
                  " exceeds 2^63-1",
                  k->name, (unsigned)k->id, t);
  truce_err rc = cosig_message(m, t, note->text, note->text_len);
  if (rc)
    return seterr(err, rc, "cosignature by %s+%08x: %s", k->name,
                  (unsigned)k->id, truce_strerror(rc));
  if (truce_ed25519_verify(k->pub, m->data, m->len, s->sig + 8))
    return seterr(err, TRUCE_EBADSIG, "invalid cosignature by %s+%08x", k->name,
                  (unsigned)k->id);
  *ts = t;
  return TRUCE_OK;
}

truce_err truce_note_verify(const truce_note *note, const truce_vkey *keys,
                            size_t nkeys, uint8_t *verified, uint64_t *ts,
                            char *err) {
  if (verified && nkeys)
    memset(verified, 0, nkeys);
  if (ts && nkeys)
    memset(ts, 0, nkeys * sizeof *ts);
  if (!note || (nkeys && !keys) || note->nsig > TRUCE_NOTE_SIGS_MAX)
    return seterr(err, TRUCE_EINVAL, "note verify: invalid argument");
  for (size_t j = 0; j < nkeys; j++)
    if (keys[j].type != TRUCE_KEY_ED25519 && keys[j].type != TRUCE_KEY_COSIG_V1)
      return seterr(err, TRUCE_EINVAL,
                    "note verify: key %zu has unsupported type 0x%02x", j,
                    (unsigned)keys[j].type);
  truce_buf m; /* the cosignature/v1 message, built only when needed */
  truce_buf_init(&m, note->text_len + 64);
  truce_err rc = TRUCE_OK;
  bool any = false;
  /* Every line from a trusted key is checked, duplicates included: one
   * bad line rejects the note (the spec's SHOULD; we make it a MUST). */
  for (size_t i = 0; i < note->nsig && rc == TRUCE_OK; i++) {
    const truce_note_sig *s = &note->sig[i];
    for (size_t j = 0; j < nkeys; j++) {
      const truce_vkey *k = &keys[j];
      if (s->id != k->id || strncmp(s->name, k->name, sizeof s->name) != 0)
        continue; /* not this key: ignored, as the spec requires */
      uint64_t t = 0;
      rc = verify_one(note, s, k, &m, &t, err);
      if (rc) {
        errprefix(err, "signature line %zu", i + 1);
        break;
      }
      any = true;
      if (verified)
        verified[j] = 1;
      /* A cosigner may sign the same text at several times: keep the
       * latest, its freshest statement. */
      if (ts && t > ts[j])
        ts[j] = t;
    }
  }
  truce_buf_release(&m);
  if (rc == TRUCE_OK && !any)
    rc = seterr(err, TRUCE_ENOKEY,
                "note: no signature by a trusted key (%zu signature "
                "line%s, %zu key%s)",
                note->nsig, note->nsig == 1 ? "" : "s", nkeys,
                nkeys == 1 ? "" : "s");
  if (rc) {
    if (verified && nkeys)
      memset(verified, 0, nkeys);
    if (ts && nkeys)
      memset(ts, 0, nkeys * sizeof *ts);
  }
  return rc;
}

/* ---- signing ---- */

truce_err truce_note_sig_format(const char *name, uint32_t id,
                                const uint8_t *sig, size_t sig_len,
                                truce_buf *out) {
  if (!out || !sig || sig_len == 0 || truce_key_name_check(name, NULL))
    return TRUCE_EINVAL;
  size_t old = out->len;
  truce_err rc = truce_buf_append(out, SIG_LINE_PREFIX, SIG_LINE_PREFIX_LEN);
  if (rc == TRUCE_OK)
    rc = truce_buf_append(out, name, strlen(name));
  if (rc == TRUCE_OK)
    rc = truce_buf_append(out, " ", 1);
  if (rc == TRUCE_OK)
    rc = append_sig_b64(out, id, sig, sig_len);
  if (rc == TRUCE_OK)
    rc = truce_buf_append(out, "\n", 1);
  if (rc && out->data) { /* all or nothing */
    out->len = old;
    out->data[old] = '\0';
  }
  return rc;
}

/* The length of a signature line for a key name and n signature bytes. */
static size_t sig_line_len(const char *name, size_t n) {
  return SIG_LINE_PREFIX_LEN + strlen(name) + 1 + truce_base64_len(4 + n) + 1;
}

truce_err truce_note_sign(const char *text, size_t len, const truce_skey *k,
                          truce_buf *out, char *err) {
  if (!k || !out)
    return seterr(err, TRUCE_EINVAL, "note sign: invalid argument");
  if (k->vkey.type != TRUCE_KEY_ED25519)
    return seterr(err, TRUCE_EINVAL,
                  "note sign: key %s is of type 0x%02x, want an Ed25519 "
                  "(0x01) key",
                  k->vkey.name, (unsigned)k->vkey.type);
  truce_err rc = truce_key_name_check(k->vkey.name, err);
  if (rc) {
    errprefix(err, "note sign");
    return TRUCE_EINVAL;
  }
  rc = text_check(text, len, err);
  if (rc) {
    errprefix(err, "note sign: text");
    return rc;
  }
  if (len + 1 + sig_line_len(k->vkey.name, 64) > TRUCE_NOTE_MAX)
    return seterr(err, TRUCE_ETOOBIG,
                  "note sign: the signed note would be longer than %d bytes",
                  TRUCE_NOTE_MAX);
  uint8_t sig[64];
  truce_ed25519_sign(k, text, len, sig);
  size_t old = out->len;
  rc = truce_buf_append(out, text, len);
  if (rc == TRUCE_OK)
    rc = truce_buf_append(out, "\n", 1);
  if (rc == TRUCE_OK)
    rc = truce_note_sig_format(k->vkey.name, k->vkey.id, sig, sizeof sig, out);
  if (rc) {
    if (out->data) {
      out->len = old;
      out->data[old] = '\0';
    }
    return seterr(err, rc, "note sign: %s", truce_strerror(rc));
  }
  return TRUCE_OK;
}

truce_err truce_cosign(const truce_skey *k, const char *text, size_t len,
                       uint64_t timestamp_s, truce_buf *out, char *err) {
  if (!k || !out)
    return seterr(err, TRUCE_EINVAL, "cosign: invalid argument");
  if (k->vkey.type != TRUCE_KEY_COSIG_V1)
    return seterr(err, TRUCE_EINVAL,
                  "cosign: key %s is of type 0x%02x, want a cosignature/v1 "
                  "(0x04) key",
                  k->vkey.name, (unsigned)k->vkey.type);
  truce_err rc = truce_key_name_check(k->vkey.name, err);
  if (rc) {
    errprefix(err, "cosign");
    return TRUCE_EINVAL;
  }
  if (timestamp_s > COSIG_TS_MAX)
    return seterr(err, TRUCE_ERANGE,
                  "cosign: timestamp %" PRIu64 " exceeds 2^63-1", timestamp_s);
  rc = text_check(text, len, err);
  if (rc) {
    errprefix(err, "cosign: text");
    return rc;
  }
  truce_buf m;
  truce_buf_init(&m, len + 64);
  rc = cosig_message(&m, timestamp_s, text, len);
  if (rc) {
    truce_buf_release(&m);
    return seterr(err, rc, "cosign: %s", truce_strerror(rc));
  }
  uint8_t sig[COSIG_V1_SIG_LEN];
  put_be64(sig, timestamp_s);
  truce_ed25519_sign(k, m.data, m.len, sig + 8);
  truce_buf_release(&m);
  rc = truce_note_sig_format(k->vkey.name, k->vkey.id, sig, sizeof sig, out);
  if (rc)
    return seterr(err, rc, "cosign: %s", truce_strerror(rc));
  return TRUCE_OK;
}
