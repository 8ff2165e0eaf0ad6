/*
 * entry.c: the format of log entries. Every entry is a signed note
 * (c2sp.org/signed-note) whose text is a small header and a payload of
 * JSON lines:
 *
 *     truce/v1 batch
 *     signer mission.example/patrol-7
 *     seq 12
 *     time 2026-11-26T12:00:00Z
 *     part 1/1
 *     {"what":"explosion",...}
 *     ...
 *
 * Owns: parsing and signing entries (observation batches split to fit
 * TRUCE_ENTRY_MAX, administrator entries), the source registration
 * payload, and splitting a stream of concatenated entries. Must not depend
 * on the log's storage: this is what a source signs on its own machine.
 */
#include "store.h"

#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define ENTRY_MAGIC "truce/v1 "

static const char *const kind_names[TRUCE_ENTRY_KIND_COUNT] = {
    [TRUCE_ENTRY_BATCH] = "batch",
    [TRUCE_ENTRY_SOURCE_ADD] = "source-add",
    [TRUCE_ENTRY_SOURCE_REVOKE] = "source-revoke",
    [TRUCE_ENTRY_TERMS] = "terms",
};

const char *truce_entry_kind_name(truce_entry_kind k) {
  switch (k) {
  case TRUCE_ENTRY_BATCH:
  case TRUCE_ENTRY_SOURCE_ADD:
  case TRUCE_ENTRY_SOURCE_REVOKE:
  case TRUCE_ENTRY_TERMS:
    return kind_names[k];
  case TRUCE_ENTRY_KIND_COUNT:
    break;
  }
  return "unknown";
}

/* ---- parsing ---- */

/* The next line of [*p, end): sets *line and *len (without the newline) and
 * advances *p past it. False at the end or if the last line has no
 * newline. */
static bool next_line(const char **p, const char *end, const char **line,
                      size_t *len) {
  if (*p >= end)
    return false;
  const char *nl = memchr(*p, '\n', (size_t)(end - *p));
  if (!nl)
    return false;
  *line = *p;
  *len = (size_t)(nl - *p);
  *p = nl + 1;
  return true;
}

/* "key value" with a fixed key: *val and *vlen point at the value. */
static bool header_field(const char *line, size_t len, const char *key,
                         const char **val, size_t *vlen) {
  size_t k = strlen(key);
  if (len <= k + 1 || memcmp(line, key, k) != 0 || line[k] != ' ')
    return false;
  *val = line + k + 1;
  *vlen = len - k - 1;
  return true;
}

truce_err truce_entry_parse(const char *data, size_t len, truce_entry *out,
                            char *err) {
  memset(out, 0, sizeof *out);
  if (len > TRUCE_ENTRY_MAX)
    return seterr(err, TRUCE_ETOOBIG, "entry is %zu bytes (limit %d)", len,
                  TRUCE_ENTRY_MAX);
  truce_err rc = truce_note_parse(data, len, &out->note, err);
  if (rc)
    return rc;
  if (out->note.nsig != 1)
    return seterr(err, TRUCE_EPARSE,
                  "entry has %zu signatures (an entry is signed by its "
                  "signer only)",
                  out->note.nsig);

  const char *p = out->note.text, *end = p + out->note.text_len;
  const char *line, *v;
  size_t n, vlen;

  /* truce/v1 <kind> */
  if (!next_line(&p, end, &line, &n) || n < sizeof ENTRY_MAGIC ||
      memcmp(line, ENTRY_MAGIC, sizeof ENTRY_MAGIC - 1) != 0)
    return seterr(err, TRUCE_EPARSE,
                  "entry line 1: not a truce entry (want 'truce/v1 KIND')");
  v = line + sizeof ENTRY_MAGIC - 1;
  vlen = n - (sizeof ENTRY_MAGIC - 1);
  for (int k = 1; k < TRUCE_ENTRY_KIND_COUNT; k++)
    if (strlen(kind_names[k]) == vlen && memcmp(v, kind_names[k], vlen) == 0)
      out->kind = (truce_entry_kind)k;
  if (!out->kind)
    return seterr(err, TRUCE_EPARSE, "entry line 1: unknown kind '%.*s'",
                  (int)(vlen > 40 ? 40 : vlen), v);

  /* signer <name> */
  if (!next_line(&p, end, &line, &n) ||
      !header_field(line, n, "signer", &v, &vlen) || vlen > TRUCE_NAME_MAX)
    return seterr(err, TRUCE_EPARSE, "entry line 2: want 'signer NAME'");
  memcpy(out->signer, v, vlen);
  out->signer[vlen] = '\0';
  if (truce_key_name_check(out->signer, NULL) != TRUCE_OK)
    return seterr(err, TRUCE_EPARSE, "entry line 2: bad signer name");

  /* seq <n> */
  if (!next_line(&p, end, &line, &n) ||
      !header_field(line, n, "seq", &v, &vlen) ||
      !parse_u64(v, vlen, &out->seq) || out->seq == 0)
    return seterr(err, TRUCE_EPARSE,
                  "entry line 3: want 'seq N' with N >= 1, no leading zeros");

  /* time <RFC 3339> */
  if (!next_line(&p, end, &line, &n) ||
      !header_field(line, n, "time", &v, &vlen) ||
      truce_time_parse(v, vlen, &out->time_ms) != TRUCE_OK)
    return seterr(err, TRUCE_EPARSE, "entry line 4: want 'time RFC3339'");

  /* part <i>/<n> */
  uint64_t part = 0, parts = 0;
  const char *slash;
  if (!next_line(&p, end, &line, &n) ||
      !header_field(line, n, "part", &v, &vlen) ||
      !(slash = memchr(v, '/', vlen)) ||
      !parse_u64(v, (size_t)(slash - v), &part) ||
      !parse_u64(slash + 1, vlen - (size_t)(slash - v) - 1, &parts) ||
      part < 1 || part > parts || parts > TRUCE_SUBMIT_MAX_OBS)
    return seterr(err, TRUCE_EPARSE,
                  "entry line 5: want 'part I/N' with 1 <= I <= N");
  out->part = (unsigned)part;
  out->parts = (unsigned)parts;

  out->payload = p;
  out->payload_len = (size_t)(end - p);
  while (next_line(&p, end, &line, &n)) {
    if (n == 0)
      return seterr(err, TRUCE_EPARSE, "entry line %zu: empty payload line",
                    out->nlines + 6);
    out->nlines++;
  }
  if (out->nlines == 0)
    return seterr(err, TRUCE_EPARSE, "entry has no payload");
  if ((out->kind == TRUCE_ENTRY_SOURCE_ADD ||
       out->kind == TRUCE_ENTRY_SOURCE_REVOKE) &&
      (out->nlines != 1 || parts != 1))
    return seterr(err, TRUCE_EPARSE,
                  "a %s entry has exactly one payload line and one part",
                  kind_names[out->kind]);
  if (strcmp(out->note.sig[0].name, out->signer) != 0)
    return seterr(err, TRUCE_EPARSE,
                  "entry is signed by '%s' but names signer '%s'",
                  out->note.sig[0].name, out->signer);
  return TRUCE_OK;
}

truce_err truce_entry_line(const truce_entry *e, size_t i, const char **line,
                           size_t *len) {
  const char *p = e->payload, *end = p + e->payload_len;
  const char *l;
  size_t n;
  for (size_t k = 0; next_line(&p, end, &l, &n); k++) {
    if (k == i) {
      *line = l;
      *len = n;
      return TRUCE_OK;
    }
  }
  *line = NULL;
  *len = 0;
  return TRUCE_ENOTFOUND;
}

/* ---- splitting a stream of entries ---- */

truce_err truce_entries_next(const char *data, size_t len, size_t *off,
                             const char **entry, size_t *entry_len,
                             char *err) {
  *entry = NULL;
  *entry_len = 0;
  const char *start = data + *off, *end = data + len;
  /* Tolerate blank lines between entries (files concatenated by hand). */
  while (start < end && *start == '\n')
    start++;
  if (start >= end) {
    *off = len;
    return TRUCE_ENOTFOUND;
  }
  /* Entry text has no blank line: the first one ends it; then signature
   * lines, each starting with the em dash. */
  const char *p = start, *line;
  size_t n;
  for (;;) {
    if (!next_line(&p, end, &line, &n))
      return seterr(err, TRUCE_EPARSE,
                    "signed entry at byte %zu: no blank line before the "
                    "signatures",
                    (size_t)(start - data));
    if (n == 0)
      break;
  }
  size_t nsig = 0;
  while (p < end && (size_t)(end - p) >= 3 &&
         memcmp(p, EM_DASH, 3) == 0 && next_line(&p, end, &line, &n))
    nsig++;
  if (nsig == 0)
    return seterr(err, TRUCE_EPARSE,
                  "signed entry at byte %zu: no signature line",
                  (size_t)(start - data));
  *entry = start;
  *entry_len = (size_t)(p - start);
  *off = (size_t)(p - data);
  return TRUCE_OK;
}

/* ---- sources ---- */

static bool party_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > TRUCE_NAME_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return false;
  }
  return true;
}

/* Parse a payload line that must be one JSON object. The json_doc is
 * allocated (about 30 KB: too much for a library call's stack); the
 * caller frees *doc, also on failure. */
static truce_err json_load_object(const char *json, size_t len,
                                  json_doc **doc, const json_node **out,
                                  char *err) {
  *out = NULL;
  *doc = truce_malloc(sizeof **doc);
  if (!*doc)
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  truce_err rc = json_parse(*doc, json, len);
  if (rc)
    return seterr(err, rc, "%s", (*doc)->msg);
  if (json_root(*doc)->type != JSON_T_OBJECT)
    return seterr(err, TRUCE_EPARSE, "not a JSON object");
  *out = json_root(*doc);
  return TRUCE_OK;
}

/* Is the member's key `name`? */
static bool key_is(const json_node *m, const char *name) {
  size_t n = strlen(name);
  return m->key_len == n && memcmp(m->key, name, n) == 0;
}

/* A member's key for a message: at most 64 bytes, control characters
 * and DEL shown as '?' so that a payload cannot drive a terminal. */
static const char *key_shown(const json_node *m, char out[72]) {
  size_t n = m->key_len < 64 ? m->key_len : 64;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)m->key[i];
    out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
  }
  strcpy(out + n, m->key_len > 64 ? "..." : "");
  return out;
}

static truce_err copy_string(const json_node *v, const char *field,
                             char *dst, size_t cap, char *err) {
  if (v->type != JSON_T_STRING)
    return seterr(err, TRUCE_EPARSE, "%s: must be a string", field);
  size_t n = v->len;
  if (n >= cap)
    return seterr(err, TRUCE_ETOOBIG, "%s: longer than %zu bytes", field,
                  cap - 1);
  const char *s = v->u.str;
  if (!utf8_text_ok(s, n, false))
    return seterr(err, TRUCE_EPARSE, "%s: contains control characters",
                  field);
  memcpy(dst, s, n);
  dst[n] = '\0';
  return TRUCE_OK;
}

truce_err truce_source_parse(const char *json, size_t len, truce_source *out,
                             char *err) {
  memset(out, 0, sizeof *out);
  out->revoked_index = UINT64_MAX;
  json_doc *doc;
  const json_node *o;
  truce_err rc = json_load_object(json, len, &doc, &o, err);
  if (rc)
    goto done;
  bool have_key = false, have_party = false, have_means = false,
       have_rel = false;
  json_foreach(o, v) {
    if (key_is(v, "name")) {
      if ((rc = copy_string(v, "name", out->name, sizeof out->name, err)))
        goto done;
    } else if (key_is(v, "key")) {
      char vk[TRUCE_VKEY_MAX];
      if ((rc = copy_string(v, "key", vk, sizeof vk, err)))
        goto done;
      if ((rc = truce_vkey_parse(vk, strlen(vk), &out->key, err))) {
        errprefix(err, "key");
        goto done;
      }
      have_key = true;
    } else if (key_is(v, "party")) {
      if ((rc = copy_string(v, "party", out->party, sizeof out->party, err)))
        goto done;
      if (!party_ok(out->party)) {
        rc = seterr(err, TRUCE_EPARSE,
                    "party: '%s' must be letters, digits, '.', '_' or '-'",
                    out->party);
        goto done;
      }
      have_party = true;
    } else if (key_is(v, "means")) {
      if (v->type != JSON_T_ARRAY || v->len == 0) {
        rc = seterr(err, TRUCE_EPARSE,
                    "means: must be a non-empty list of words");
        goto done;
      }
      size_t i = 0;
      json_foreach(v, m) {
        unsigned bit = m->type == JSON_T_STRING
                           ? truce_means_from_name(m->u.str, m->len)
                           : 0;
        if (!bit) {
          rc = seterr(err, TRUCE_EVOCAB,
                      "means[%zu]: not in the vocabulary (audio, visual, "
                      "camera, drone, acoustic_sensor, radar, satellite, "
                      "report)",
                      i);
          goto done;
        }
        out->means |= bit;
        i++;
      }
      have_means = true;
    } else if (key_is(v, "reliability")) {
      if (v->type != JSON_T_NUMBER) {
        rc = seterr(err, TRUCE_EPARSE, "reliability: must be a number");
        goto done;
      }
      /* The exact double, not rounded to 7 decimals: a source payload's
       * canonical form writes the shortest round-trip digits. */
      out->reliability = v->num;
      if (!(out->reliability > 0 && out->reliability <= 1)) {
        rc = seterr(err, TRUCE_ERANGE,
                    "reliability: %g is out of range (0, 1]",
                    out->reliability);
        goto done;
      }
      have_rel = true;
    } else if (key_is(v, "description")) {
      if ((rc = copy_string(v, "description", out->description,
                            sizeof out->description, err)))
        goto done;
    } else {
      char shown[72];
      rc = seterr(err, TRUCE_EPARSE, "unknown field '%s'",
                  key_shown(v, shown));
      goto done;
    }
  }
  if (!have_key || !have_party || !have_means || !have_rel) {
    rc = seterr(err, TRUCE_EPARSE, "missing field '%s'",
                !have_key     ? "key"
                : !have_party ? "party"
                : !have_means ? "means"
                              : "reliability");
    goto done;
  }
  if (out->key.type != TRUCE_KEY_ED25519) {
    rc = seterr(err, TRUCE_EPARSE, "key: a source key must be Ed25519");
    goto done;
  }
  if (out->name[0] == '\0')
    memcpy(out->name, out->key.name, sizeof out->name);
  if (strcmp(out->name, out->key.name) != 0) {
    rc = seterr(err, TRUCE_EPARSE,
                "name: '%s' differs from the key's name '%s'", out->name,
                out->key.name);
    goto done;
  }
done:
  truce_free(doc);
  if (rc) {
    memset(out, 0, sizeof *out);
    out->revoked_index = UINT64_MAX;
  }
  return rc;
}

/* JSON string with escapes; values were validated free of controls, but
 * escape them anyway so the output is always valid JSON. */
static truce_err put_json_string(truce_buf *b, const char *s) {
  truce_err rc = truce_buf_append(b, "\"", 1);
  for (; !rc && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      rc = truce_buf_append(b, e, 2);
    } else if (c < 0x20) {
      rc = truce_buf_appendf(b, "\\u%04x", c);
    } else {
      rc = truce_buf_append(b, s, 1);
    }
  }
  return rc ? rc : truce_buf_append(b, "\"", 1);
}

/* Shortest decimal that reads back as the same double. */
static truce_err put_number(truce_buf *b, double x) {
  char tmp[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, x);
    if (strtod(tmp, NULL) == x)
      break;
  }
  return truce_buf_append(b, tmp, strlen(tmp));
}

truce_err truce_source_format(const truce_source *s, truce_buf *out) {
  char vk[TRUCE_VKEY_MAX];
  truce_vkey_format(&s->key, vk);
  truce_err rc = truce_buf_append(out, "{\"name\":", 8);
  if (!rc)
    rc = put_json_string(out, s->name);
  if (!rc)
    rc = truce_buf_append(out, ",\"key\":", 7);
  if (!rc)
    rc = put_json_string(out, vk);
  if (!rc)
    rc = truce_buf_append(out, ",\"party\":", 9);
  if (!rc)
    rc = put_json_string(out, s->party);
  if (!rc)
    rc = truce_buf_append(out, ",\"means\":[", 10);
  bool first = true;
  for (unsigned bit = 0; !rc && bit < TRUCE_MEANS_COUNT; bit++) {
    if (!(s->means & (1u << bit)))
      continue;
    if (!first)
      rc = truce_buf_append(out, ",", 1);
    if (!rc)
      rc = put_json_string(out, truce_means_name(1u << bit));
    first = false;
  }
  if (!rc)
    rc = truce_buf_append(out, "],\"reliability\":", 16);
  if (!rc)
    rc = put_number(out, s->reliability);
  if (!rc && s->description[0]) {
    rc = truce_buf_append(out, ",\"description\":", 15);
    if (!rc)
      rc = put_json_string(out, s->description);
  }
  return rc ? rc : truce_buf_append(out, "}", 1);
}

/* The revocation payload: {"name": ..., "reason": ...}. */
truce_err entry_revoke_parse(const char *json, size_t len, char *name,
                             char *reason, char *err) {
  json_doc *doc;
  const json_node *o;
  name[0] = reason[0] = '\0';
  truce_err rc = json_load_object(json, len, &doc, &o, err);
  if (!rc) {
    json_foreach(o, v) {
      if (key_is(v, "name")) {
        rc = copy_string(v, "name", name, TRUCE_NAME_MAX + 1, err);
      } else if (key_is(v, "reason")) {
        rc = copy_string(v, "reason", reason, TRUCE_OBS_TEXT_MAX + 1, err);
      } else {
        char shown[72];
        rc = seterr(err, TRUCE_EPARSE, "unknown field '%s'",
                    key_shown(v, shown));
      }
      if (rc)
        break;
    }
  }
  truce_free(doc);
  if (!rc && (name[0] == '\0' || reason[0] == '\0'))
    rc = seterr(err, TRUCE_EPARSE, "missing field '%s'",
                name[0] ? "reason" : "name");
  return rc;
}

truce_err entry_revoke_format(const char *name, const char *reason,
                              truce_buf *out) {
  truce_err rc = truce_buf_append(out, "{\"name\":", 8);
  if (!rc)
    rc = put_json_string(out, name);
  if (!rc)
    rc = truce_buf_append(out, ",\"reason\":", 10);
  if (!rc)
    rc = put_json_string(out, reason);
  return rc ? rc : truce_buf_append(out, "}", 1);
}

/* ---- signing ---- */

/* Bytes a signature line takes for a key name: em dash, space, name,
 * space, base64 of 4 + 64 bytes, newline. */
static size_t sig_line_len(const char *name) {
  return 3 + 1 + strlen(name) + 1 + truce_base64_len(4 + 64) + 1;
}

static truce_err sign_one(const truce_skey *k, truce_entry_kind kind,
                          uint64_t seq, int64_t now_ms, unsigned part,
                          unsigned parts, const char *payload, size_t plen,
                          truce_buf *out, char *err) {
  char when[32];
  truce_time_format(now_ms, when);
  truce_buf text;
  truce_buf_init(&text, TRUCE_ENTRY_MAX);
  truce_err rc = truce_buf_appendf(
      &text, "truce/v1 %s\nsigner %s\nseq %llu\ntime %s\npart %u/%u\n",
      truce_entry_kind_name(kind), k->vkey.name, (unsigned long long)seq,
      when, part, parts);
  if (!rc)
    rc = truce_buf_append(&text, payload, plen);
  if (rc) {
    truce_buf_release(&text);
    return seterr(err, rc, "entry too large");
  }
  size_t before = out->len;
  rc = truce_note_sign(text.data, text.len, k, out, err);
  truce_buf_release(&text);
  if (!rc && out->len - before > TRUCE_ENTRY_MAX)
    rc = seterr(err, TRUCE_ETOOBIG, "signed entry is %zu bytes (limit %d)",
                out->len - before, TRUCE_ENTRY_MAX);
  return rc;
}

truce_err truce_admin_sign(const truce_skey *admin, truce_entry_kind kind,
                           uint64_t seq, int64_t now_ms, const char *json,
                           size_t len, truce_buf *out, char *err) {
  if (kind != TRUCE_ENTRY_SOURCE_ADD && kind != TRUCE_ENTRY_SOURCE_REVOKE)
    return seterr(err, TRUCE_EINVAL, "not an administrator entry kind");
  if (len == 0 || memchr(json, '\n', len))
    return seterr(err, TRUCE_EINVAL, "payload must be one line");
  char line[TRUCE_ENTRY_MAX];
  if (len + 1 > sizeof line)
    return seterr(err, TRUCE_ETOOBIG, "payload too large");
  memcpy(line, json, len);
  line[len] = '\n';
  return sign_one(admin, kind, seq, now_ms, 1, 1, line, len + 1, out, err);
}

/* ---- terms entries ---- */

#define TERMS_CHUNK 16000 /* bytes of terms text per payload line */

truce_err entry_terms_header(const truce_entry *e, truce_terms_ref *ref,
                             char *err) {
  memset(ref, 0, sizeof *ref);
  const char *line;
  size_t n;
  if (e->kind != TRUCE_ENTRY_TERMS || e->part != 1 ||
      truce_entry_line(e, 0, &line, &n) != TRUCE_OK)
    return seterr(err, TRUCE_EINVAL, "not the first part of terms");
  json_doc *d = truce_malloc(sizeof *d);
  if (!d)
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  truce_err rc = json_parse(d, line, n);
  const json_node *root = json_root(d), *v;
  bool ok = !rc && root->type == JSON_T_OBJECT;
  size_t got = 0;
  if (ok && (v = json_get(root, "terms")) && v->type == JSON_T_STRING &&
      v->len <= TRUCE_NAME_MAX) {
    memcpy(ref->id, v->u.str, v->len);
    ref->id[v->len] = '\0';
  } else {
    ok = false;
  }
  if (ok && (v = json_get(root, "version")) && v->type == JSON_T_NUMBER &&
      v->is_int && v->u.i >= 1)
    ref->version = (uint64_t)v->u.i;
  else
    ok = false;
  if (ok && (v = json_get(root, "bytes")) && v->type == JSON_T_NUMBER &&
      v->is_int && v->u.i >= 1)
    ref->bytes = (uint64_t)v->u.i;
  else
    ok = false;
  if (ok && (v = json_get(root, "sha256")) && v->type == JSON_T_STRING)
    ok = truce_hex_decode(v->u.str, v->len, ref->sha256, 32, &got) ==
             TRUCE_OK &&
         got == 32;
  else
    ok = false;
  if (ok && truce_key_name_check(ref->id, NULL) != TRUCE_OK)
    ok = false;
  truce_free(d);
  if (!ok) {
    memset(ref, 0, sizeof *ref);
    return seterr(err, TRUCE_EPARSE,
                  "terms header: want {\"terms\":ID,\"version\":N,"
                  "\"bytes\":N,\"sha256\":HEX}");
  }
  ref->time_ms = e->time_ms;
  return TRUCE_OK;
}

truce_err truce_terms_sign(const truce_skey *admin, uint64_t first_seq,
                           int64_t now_ms, const char *id, uint64_t version,
                           const char *text, size_t len, truce_buf *out,
                           size_t *nentries, char *err) {
  *nentries = 0;
  if (len == 0)
    return seterr(err, TRUCE_EINVAL, "empty terms");
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7e)
      return seterr(err, TRUCE_EINVAL,
                    "terms text must be one line of printable ASCII");
  if (truce_key_name_check(id, err) != TRUCE_OK)
    return TRUCE_EINVAL;
  uint8_t h[32];
  char hex[65];
  truce_sha256(text, len, h);
  truce_hex_encode(h, 32, hex);
  /* Lines: the header, then chunks. Entries: as many lines as fit. */
  truce_buf header;
  truce_buf_init(&header, 512);
  truce_err rc = truce_buf_appendf(
      &header, "{\"terms\":\"%s\",\"version\":%llu,\"bytes\":%zu,"
               "\"sha256\":\"%s\"}\n",
      id, (unsigned long long)version, len, hex);
  if (rc) {
    truce_buf_release(&header);
    return seterr(err, rc, "terms header too long");
  }
  size_t budget = TRUCE_ENTRY_MAX - 512 - strlen(admin->vkey.name) * 2 -
                  (size_t)truce_base64_len(68);
  size_t nchunks = (len + TERMS_CHUNK - 1) / TERMS_CHUNK;
  size_t per_entry = budget / (TERMS_CHUNK + 1);
  size_t parts = (nchunks + 1 + per_entry - 1) / per_entry;
  size_t chunk = 0, before = out->len;
  truce_buf payload;
  truce_buf_init(&payload, TRUCE_ENTRY_MAX);
  for (size_t part = 1; !rc && part <= parts; part++) {
    payload.len = 0;
    size_t lines = 0;
    if (part == 1) {
      rc = truce_buf_append(&payload, header.data, header.len);
      lines++;
    }
    for (; !rc && lines < per_entry && chunk < nchunks; lines++, chunk++) {
      size_t off = chunk * TERMS_CHUNK;
      size_t n = len - off < TERMS_CHUNK ? len - off : TERMS_CHUNK;
      rc = truce_buf_append(&payload, text + off, n);
      if (!rc)
        rc = truce_buf_append(&payload, "\n", 1);
    }
    if (!rc)
      rc = sign_one(admin, TRUCE_ENTRY_TERMS, first_seq + part - 1, now_ms,
                    (unsigned)part, (unsigned)parts, payload.data,
                    payload.len, out, err);
  }
  truce_buf_release(&payload);
  truce_buf_release(&header);
  if (rc) {
    out->len = before;
    if (out->data)
      out->data[before] = '\0';
    return rc;
  }
  *nentries = parts;
  return TRUCE_OK;
}

/* Is the line blank (spaces, tabs, a CR)? */
static bool blank(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
      return false;
  return true;
}

truce_err truce_batch_sign(const truce_skey *k, uint64_t first_seq,
                           int64_t now_ms, const char *jsonl, size_t len,
                           truce_buf *out, size_t *nentries, char *err) {
  *nentries = 0;
  if (len > TRUCE_SUBMIT_MAX_BYTES)
    return seterr(err, TRUCE_ETOOBIG,
                  "submission is %zu bytes; the limit is %u bytes (split it)",
                  len, TRUCE_SUBMIT_MAX_BYTES);
  if (first_seq == 0)
    return seterr(err, TRUCE_EINVAL, "sequence numbers start at 1");

  /* Pass 1: validate every line, keep canonical lines and where they end. */
  truce_buf lines;
  /* Canonical lines can be longer than the input (defaults written out),
   * never by more than a factor of 4. */
  truce_buf_init(&lines, (size_t)TRUCE_SUBMIT_MAX_BYTES * 4);
  size_t *ends = NULL, nobs = 0, capobs = 0;
  truce_obs *obs = truce_malloc(sizeof *obs);
  truce_err rc = obs ? TRUCE_OK : TRUCE_ENOMEM;
  const char *p = jsonl, *end = jsonl + len;
  for (uint64_t lineno = 1; !rc && p < end; lineno++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    size_t n = (size_t)(le - p);
    if (n && p[n - 1] == '\r')
      n--;
    if (!blank(p, n)) {
      if (nobs == TRUCE_SUBMIT_MAX_OBS) {
        rc = seterr(err, TRUCE_ETOOBIG,
                    "line %llu: more than %d observations in one submission "
                    "(the limit; split it)",
                    (unsigned long long)lineno, TRUCE_SUBMIT_MAX_OBS);
        break;
      }
      if (n > TRUCE_OBS_LINE_MAX) {
        rc = seterr(err, TRUCE_ETOOBIG,
                    "line %llu: observation is %zu bytes (limit %d)",
                    (unsigned long long)lineno, n, TRUCE_OBS_LINE_MAX);
        break;
      }
      rc = truce_obs_parse(p, n, now_ms, obs, err);
      if (rc) {
        errprefix(err, "line %llu", (unsigned long long)lineno);
        break;
      }
      size_t before = lines.len;
      rc = truce_obs_format(obs, &lines);
      if (!rc && lines.len - before > TRUCE_OBS_LINE_MAX)
        rc = seterr(err, TRUCE_ETOOBIG,
                    "line %llu: observation is too large in canonical form",
                    (unsigned long long)lineno);
      if (!rc)
        rc = truce_buf_append(&lines, "\n", 1);
      if (!rc && nobs == capobs) {
        size_t nc = capobs ? capobs * 2 : 256;
        size_t *ne = truce_realloc(ends, nc * sizeof *ends);
        if (!ne)
          rc = TRUCE_ENOMEM;
        else
          ends = ne, capobs = nc;
      }
      if (rc) {
        if (rc == TRUCE_ENOMEM)
          seterr(err, rc, "out of memory");
        break;
      }
      ends[nobs++] = lines.len;
    }
    p = nl ? nl + 1 : end;
  }
  truce_free(obs);
  if (!rc && nobs == 0)
    rc = seterr(err, TRUCE_EPARSE, "no observations in the submission");

  /* Pass 2: group lines greedily into entries that fit. The header is
   * sized for the longest numbers, so grouping never depends on them. */
  size_t *group_end = NULL, ngroups = 0;
  if (!rc) {
    size_t header_max = strlen("truce/v1 batch\nsigner \nseq \ntime \n"
                               "part /\n") +
                        strlen(k->vkey.name) + 20 + 29 + 6 + 6;
    size_t budget = TRUCE_ENTRY_MAX - header_max - 1 /* blank line */ -
                    sig_line_len(k->vkey.name);
    group_end = truce_malloc(nobs * sizeof *group_end);
    if (!group_end)
      rc = seterr(err, TRUCE_ENOMEM, "out of memory");
    size_t start = 0;
    for (size_t i = 0; !rc && i < nobs; i++) {
      if (ends[i] - start > budget) {
        group_end[ngroups++] = ends[i - 1];
        start = ends[i - 1];
      }
    }
    if (!rc)
      group_end[ngroups++] = lines.len;
  }

  /* Pass 3: sign each group. */
  size_t start = 0;
  size_t out_before = out->len;
  for (size_t g = 0; !rc && g < ngroups; g++) {
    rc = sign_one(k, TRUCE_ENTRY_BATCH, first_seq + g, now_ms,
                  (unsigned)(g + 1), (unsigned)ngroups, lines.data + start,
                  group_end[g] - start, out, err);
    start = group_end[g];
  }
  if (rc) {
    out->len = out_before;
    if (out->data)
      out->data[out->len] = '\0';
  } else {
    *nentries = ngroups;
  }
  truce_free(group_end);
  truce_free(ends);
  truce_buf_release(&lines);
  return rc;
}

/* ---- payload checks (used by the log on append and by the verifier) ---- */

truce_err entry_check_payload(const truce_entry *e, char *err) {
  const char *p = e->payload, *end = p + e->payload_len, *line = NULL;
  size_t n = 0;
  truce_err rc = TRUCE_OK;
  if (e->kind == TRUCE_ENTRY_SOURCE_ADD) {
    truce_source s;
    next_line(&p, end, &line, &n);
    rc = truce_source_parse(line, n, &s, err);
    if (rc)
      return rc;
    truce_buf canon;
    truce_buf_init(&canon, TRUCE_ENTRY_MAX);
    rc = truce_source_format(&s, &canon);
    if (!rc && (canon.len != n || memcmp(canon.data, line, n) != 0))
      rc = seterr(err, TRUCE_EPARSE,
                  "source registration is not in canonical form");
    truce_buf_release(&canon);
    return rc;
  }
  if (e->kind == TRUCE_ENTRY_SOURCE_REVOKE) {
    char name[TRUCE_NAME_MAX + 1], reason[TRUCE_OBS_TEXT_MAX + 1];
    next_line(&p, end, &line, &n);
    return entry_revoke_parse(line, n, name, reason, err);
  }
  if (e->kind == TRUCE_ENTRY_TERMS) {
    /* The first part opens with the header; the text itself is checked
     * whole, once all its parts are together (log.c, verify.c). */
    if (e->part == 1) {
      truce_terms_ref ref;
      rc = entry_terms_header(e, &ref, err);
      if (!rc && e->nlines < 2 && e->parts == 1)
        rc = seterr(err, TRUCE_EPARSE, "terms entry without text");
    }
    return rc;
  }
  truce_obs *o = truce_malloc(sizeof *o);
  if (!o)
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  truce_buf canon;
  truce_buf_init(&canon, TRUCE_ENTRY_MAX);
  for (size_t i = 0; !rc && next_line(&p, end, &line, &n); i++) {
    rc = truce_obs_parse(line, n, e->time_ms, o, err);
    if (!rc) {
      canon.len = 0;
      rc = truce_obs_format(o, &canon);
      if (!rc && (canon.len != n || memcmp(canon.data, line, n) != 0))
        rc = seterr(err, TRUCE_EPARSE,
                    "observation is not in canonical form (sign with "
                    "'truce sign')");
    }
    if (rc)
      errprefix(err, "observation %zu", i);
  }
  truce_buf_release(&canon);
  truce_free(o);
  return rc;
}
