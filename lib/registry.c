/*
 * registry.c: the source registry: who may write to the log, with which
 * key, and the last sequence number each has used. It is derived from the
 * log alone (registrations and revocations are entries signed by the
 * administrator), so it can always be rebuilt by replaying the log; a
 * snapshot in var/state only saves the replay. Knows nothing of files.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

void registry_init(registry *r) { memset(r, 0, sizeof *r); }

void registry_release(registry *r) {
  truce_free(r->src);
  truce_free(r->terms);
  memset(r, 0, sizeof *r);
}

const truce_terms_ref *registry_terms(const registry *r, const char *id,
                                      uint64_t version) {
  const truce_terms_ref *best = NULL;
  for (size_t i = 0; i < r->nterms; i++)
    if (strcmp(r->terms[i].id, id) == 0 &&
        (version ? r->terms[i].version == version
                 : !best || r->terms[i].version > best->version))
      best = &r->terms[i];
  return best;
}

static truce_err add_terms(registry *r, const truce_terms_ref *t) {
  if (r->nterms == r->capterms) {
    size_t nc = r->capterms ? r->capterms * 2 : 8;
    truce_terms_ref *p = truce_realloc(r->terms, nc * sizeof *p);
    if (!p)
      return TRUCE_ENOMEM;
    r->terms = p;
    r->capterms = nc;
  }
  r->terms[r->nterms++] = *t;
  return TRUCE_OK;
}

truce_source *registry_find(registry *r, const char *name) {
  for (size_t i = 0; i < r->n; i++)
    if (strcmp(r->src[i].name, name) == 0)
      return &r->src[i];
  return NULL;
}

void registry_undo_begin(registry_undo *u, const registry *r) {
  memset(u, 0, sizeof *u);
  u->n_before = r->n;
  u->nterms_before = r->nterms;
  u->admin_seq_before = r->admin_seq;
}

void registry_undo_release(registry_undo *u) {
  truce_free(u->ch);
  memset(u, 0, sizeof *u);
}

void registry_rollback(registry *r, registry_undo *u) {
  for (size_t k = u->nch; k-- > 0;) {
    truce_source *s = &r->src[u->ch[k].i];
    s->last_seq = u->ch[k].last_seq;
    s->revoked_index = u->ch[k].revoked_index;
  }
  r->n = u->n_before;
  r->nterms = u->nterms_before;
  r->admin_seq = u->admin_seq_before;
  u->nch = 0;
}

static truce_err note_change(registry_undo *u, const registry *r,
                             const truce_source *s) {
  if (!u)
    return TRUCE_OK;
  size_t i = (size_t)(s - r->src);
  if (i >= u->n_before)
    return TRUCE_OK; /* added in this append: undone by n_before */
  if (u->nch == u->capch) {
    size_t nc = u->capch ? u->capch * 2 : 16;
    void *p = truce_realloc(u->ch, nc * sizeof *u->ch);
    if (!p)
      return TRUCE_ENOMEM;
    u->ch = p;
    u->capch = nc;
  }
  u->ch[u->nch].i = i;
  u->ch[u->nch].last_seq = s->last_seq;
  u->ch[u->nch].revoked_index = s->revoked_index;
  u->nch++;
  return TRUCE_OK;
}

static truce_err check_seq(const char *who, uint64_t last, uint64_t seq,
                           char *err) {
  if (seq == last + 1)
    return TRUCE_OK;
  if (seq <= last)
    return seterr(err, TRUCE_ESEQ,
                  "sequence number %" PRIu64 " of '%s' is replayed (the "
                  "log already has up to %" PRIu64 ")",
                  seq, who, last);
  return seterr(err, TRUCE_ESEQ,
                "sequence number %" PRIu64 " of '%s' is out of order "
                "(expected %" PRIu64 ")",
                seq, who, last + 1);
}

static truce_err verify_sig(const truce_entry *e, const truce_vkey *key,
                            char *err) {
  truce_err rc = truce_note_verify(&e->note, key, 1, NULL, NULL, err);
  if (rc == TRUCE_ENOKEY)
    return seterr(err, TRUCE_EBADSIG,
                  "entry is not signed by the registered key of '%s'",
                  e->signer);
  return rc;
}

static truce_err apply_admin(registry *r, const truce_log_info *info,
                             const truce_entry *e, uint64_t index,
                             bool verify, registry_undo *u, char *err) {
  if (strcmp(e->signer, info->admin_key.name) != 0)
    return seterr(err, TRUCE_EUNKNOWN,
                  "%s entries must be signed by the administrator '%s', "
                  "not '%s'",
                  truce_entry_kind_name(e->kind), info->admin_key.name,
                  e->signer);
  truce_err rc;
  if (verify && (rc = verify_sig(e, &info->admin_key, err)))
    return rc;
  if ((rc = check_seq(e->signer, r->admin_seq, e->seq, err)))
    return rc;
  const char *line;
  size_t n;
  truce_entry_line(e, 0, &line, &n);
  if (e->kind == TRUCE_ENTRY_TERMS) {
    /* Versions of one id follow each other: 1, 2, ... (its parts after
     * the first only carry text). */
    if (e->part == 1) {
      truce_terms_ref t;
      if ((rc = entry_terms_header(e, &t, err)))
        return rc;
      const truce_terms_ref *last = registry_terms(r, t.id, 0);
      uint64_t want = last ? last->version + 1 : 1;
      if (t.version != want)
        return seterr(err, TRUCE_ESEQ,
                      "terms '%s' version %" PRIu64 " (expected %" PRIu64 ")",
                      t.id, t.version, want);
      t.index = index;
      if (add_terms(r, &t) != TRUCE_OK)
        return seterr(err, TRUCE_ENOMEM, "out of memory");
    }
  } else if (e->kind == TRUCE_ENTRY_SOURCE_ADD) {
    truce_source s;
    if ((rc = truce_source_parse(line, n, &s, err)))
      return rc;
    if (strcmp(s.name, info->admin_key.name) == 0 ||
        strcmp(s.name, info->log_key.name) == 0)
      return seterr(err, TRUCE_EEXIST,
                    "'%s' is the name of the log's own key", s.name);
    if (registry_find(r, s.name))
      return seterr(err, TRUCE_EEXIST,
                    "source '%s' is already registered (names are never "
                    "reused; register the new key under a new name)",
                    s.name);
    if (r->n == r->cap) {
      size_t nc = r->cap ? r->cap * 2 : 16;
      truce_source *p = truce_realloc(r->src, nc * sizeof *p);
      if (!p)
        return seterr(err, TRUCE_ENOMEM, "out of memory");
      r->src = p;
      r->cap = nc;
    }
    s.added_index = index;
    s.revoked_index = UINT64_MAX;
    s.last_seq = 0;
    r->src[r->n++] = s;
  } else {
    char name[TRUCE_NAME_MAX + 1], reason[TRUCE_OBS_TEXT_MAX + 1];
    if ((rc = entry_revoke_parse(line, n, name, reason, err)))
      return rc;
    truce_source *s = registry_find(r, name);
    if (!s)
      return seterr(err, TRUCE_EUNKNOWN, "no source named '%s'", name);
    if (s->revoked_index != UINT64_MAX)
      return seterr(err, TRUCE_EREVOKED,
                    "source '%s' was already revoked at entry %" PRIu64,
                    name, s->revoked_index);
    if ((rc = note_change(u, r, s)))
      return seterr(err, rc, "out of memory");
    s->revoked_index = index;
  }
  r->admin_seq = e->seq;
  return TRUCE_OK;
}

truce_err registry_apply(registry *r, const truce_log_info *info,
                         const truce_entry *e, uint64_t index,
                         bool verify, registry_undo *u, char *err) {
  if (e->kind != TRUCE_ENTRY_BATCH)
    return apply_admin(r, info, e, index, verify, u, err);
  truce_source *s = registry_find(r, e->signer);
  if (!s)
    return seterr(err, TRUCE_EUNKNOWN,
                  "'%s' is not a registered source (truce source add)",
                  e->signer);
  if (s->revoked_index != UINT64_MAX)
    return seterr(err, TRUCE_EREVOKED,
                  "source '%s' was revoked at entry %" PRIu64, e->signer,
                  s->revoked_index);
  truce_err rc;
  if (verify && (rc = verify_sig(e, &s->key, err)))
    return rc;
  if ((rc = check_seq(e->signer, s->last_seq, e->seq, err)))
    return rc;
  if ((rc = note_change(u, r, s)))
    return seterr(err, rc, "out of memory");
  s->last_seq = e->seq;
  return TRUCE_OK;
}

/* ---- snapshot ----
 *   truce-state/v1
 *   size <n>
 *   root <base64>
 *   admin-seq <n>
 *   source <added> <revoked|-> <last-seq> <canonical JSON>
 */

truce_err registry_save(const registry *r, uint64_t size,
                        const uint8_t root[32], truce_buf *out) {
  char b64[64];
  truce_base64_encode(root, 32, b64);
  truce_err rc = truce_buf_appendf(out,
                                   "truce-state/v1\nsize %" PRIu64
                                   "\nroot %s\nadmin-seq %" PRIu64 "\n",
                                   size, b64, r->admin_seq);
  for (size_t i = 0; !rc && i < r->n; i++) {
    const truce_source *s = &r->src[i];
    if (s->revoked_index == UINT64_MAX)
      rc = truce_buf_appendf(out, "source %" PRIu64 " - %" PRIu64 " ",
                             s->added_index, s->last_seq);
    else
      rc = truce_buf_appendf(out,
                             "source %" PRIu64 " %" PRIu64 " %" PRIu64 " ",
                             s->added_index, s->revoked_index, s->last_seq);
    if (!rc)
      rc = truce_source_format(s, out);
    if (!rc)
      rc = truce_buf_append(out, "\n", 1);
  }
  for (size_t i = 0; !rc && i < r->nterms; i++) {
    const truce_terms_ref *t = &r->terms[i];
    char hex[65];
    truce_hex_encode(t->sha256, 32, hex);
    rc = truce_buf_appendf(out,
                           "terms %" PRIu64 " %" PRIu64 " %" PRIu64
                           " %s %lld %s\n",
                           t->index, t->version, t->bytes, hex,
                           (long long)t->time_ms, t->id);
  }
  return rc;
}

/* The next space-separated word of a line. */
static bool word(const char **p, const char *end, const char **w,
                 size_t *n) {
  const char *sp = memchr(*p, ' ', (size_t)(end - *p));
  if (!sp)
    return false;
  *w = *p;
  *n = (size_t)(sp - *p);
  *p = sp + 1;
  return true;
}

truce_err registry_load(registry *r, const char *text, size_t len,
                        uint64_t *size, uint8_t root[32], char *err) {
  const char *p = text, *end = text + len;
  uint64_t lineno = 0;
  char b64[64];
  size_t rootlen = 0;
  registry_release(r);
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
      break;
    const char *line = p, *le = nl;
    size_t n = (size_t)(nl - p);
    p = nl + 1;
    lineno++;
    const char *q = line, *w;
    size_t wn;
    if (lineno == 1) {
      if (n != 14 || memcmp(line, "truce-state/v1", 14) != 0)
        goto bad;
      continue;
    }
    if (!word(&q, le, &w, &wn))
      goto bad;
    if (wn == 4 && memcmp(w, "size", 4) == 0) {
      if (!parse_u64(q, (size_t)(le - q), size))
        goto bad;
    } else if (wn == 4 && memcmp(w, "root", 4) == 0) {
      if ((size_t)(le - q) >= sizeof b64)
        goto bad;
      memcpy(b64, q, (size_t)(le - q));
      if (truce_base64_decode(b64, (size_t)(le - q), root, 32, &rootlen) ||
          rootlen != 32)
        goto bad;
    } else if (wn == 9 && memcmp(w, "admin-seq", 9) == 0) {
      if (!parse_u64(q, (size_t)(le - q), &r->admin_seq))
        goto bad;
    } else if (wn == 6 && memcmp(w, "source", 6) == 0) {
      const char *a, *b, *c;
      size_t an, bn, cn;
      truce_source s;
      uint64_t added, revoked = UINT64_MAX, last;
      if (!word(&q, le, &a, &an) || !word(&q, le, &b, &bn) ||
          !word(&q, le, &c, &cn) || !parse_u64(a, an, &added) ||
          !(bn == 1 && b[0] == '-' ? true : parse_u64(b, bn, &revoked)) ||
          !parse_u64(c, cn, &last) ||
          truce_source_parse(q, (size_t)(le - q), &s, NULL) != TRUCE_OK)
        goto bad;
      s.added_index = added;
      s.revoked_index = revoked;
      s.last_seq = last;
      if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 16;
        truce_source *np = truce_realloc(r->src, nc * sizeof *np);
        if (!np) {
          registry_release(r);
          return seterr(err, TRUCE_ENOMEM, "out of memory");
        }
        r->src = np;
        r->cap = nc;
      }
      r->src[r->n++] = s;
    } else if (wn == 5 && memcmp(w, "terms", 5) == 0) {
      const char *a, *b, *c, *d, *f;
      size_t an, bn, cn, dn, fn;
      truce_terms_ref t;
      memset(&t, 0, sizeof t);
      uint64_t tm;
      size_t got;
      if (!word(&q, le, &a, &an) || !word(&q, le, &b, &bn) ||
          !word(&q, le, &c, &cn) || !word(&q, le, &d, &dn) ||
          !word(&q, le, &f, &fn) || !parse_u64(a, an, &t.index) ||
          !parse_u64(b, bn, &t.version) || !parse_u64(c, cn, &t.bytes) ||
          truce_hex_decode(d, dn, t.sha256, 32, &got) || got != 32 ||
          !parse_u64(f, fn, &tm) || (size_t)(le - q) > TRUCE_NAME_MAX ||
          le == q)
        goto bad;
      t.time_ms = (int64_t)tm;
      memcpy(t.id, q, (size_t)(le - q));
      if (add_terms(r, &t) != TRUCE_OK) {
        registry_release(r);
        return seterr(err, TRUCE_ENOMEM, "out of memory");
      }
    } else {
      goto bad;
    }
  }
  if (lineno < 4 || rootlen != 32)
    goto bad;
  return TRUCE_OK;
bad:
  registry_release(r);
  return seterr(err, TRUCE_EPARSE, "var/state line %" PRIu64 " is malformed",
                lineno);
}
