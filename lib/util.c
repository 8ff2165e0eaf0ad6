/*
 * util.c: the allocator with fault injection, error strings and messages,
 * the growable buffer, base64/hex, SHA-256 and small parsing helpers.
 * Depends on nothing in the library; everything else depends on it.
 */
/* SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP,
 * but EVP costs 40% more per call on 65-byte Merkle node inputs (160 ns
 * against 116 ns measured here, with SHA-NI); node hashing is the log's
 * hot loop, so we keep the direct interface. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- allocation ---- */

/* Per thread, so a test failing allocations is not disturbed by others. */
static _Thread_local uint64_t fail_countdown; /* 0: off; 1: next fails */

void truce_test_fail_alloc(uint64_t n) { fail_countdown = n; }

static bool should_fail(void) {
  if (fail_countdown == 0)
    return false;
  if (--fail_countdown == 0)
    return true;
  return false;
}

void *truce_malloc(size_t n) {
  if (should_fail())
    return NULL;
  return malloc(n ? n : 1);
}

void *truce_calloc(size_t n, size_t size) {
  if (should_fail())
    return NULL;
  return calloc(n ? n : 1, size ? size : 1);
}

void *truce_realloc(void *p, size_t n) {
  if (should_fail())
    return NULL;
  return realloc(p, n ? n : 1);
}

void truce_free(void *p) { free(p); }

/* ---- errors ---- */

const char *truce_strerror(truce_err e) {
  switch (e) {
  case TRUCE_OK:
    return "success";
  case TRUCE_ENOMEM:
    return "out of memory";
  case TRUCE_EINVAL:
    return "invalid argument";
  case TRUCE_EIO:
    return "input/output error";
  case TRUCE_EPARSE:
    return "malformed input";
  case TRUCE_ERANGE:
    return "value out of range";
  case TRUCE_ETOOBIG:
    return "input too large";
  case TRUCE_EVOCAB:
    return "word not in the vocabulary";
  case TRUCE_ENOKEY:
    return "no signature by a trusted key";
  case TRUCE_EBADSIG:
    return "bad signature";
  case TRUCE_EUNKNOWN:
    return "unknown source";
  case TRUCE_EREVOKED:
    return "source revoked";
  case TRUCE_ESEQ:
    return "replayed or out-of-order sequence number";
  case TRUCE_EPROOF:
    return "proof does not verify";
  case TRUCE_EBADPROOF:
    return "malformed proof";
  case TRUCE_ETAMPER:
    return "log data does not match its hashes";
  case TRUCE_ESPLIT:
    return "inconsistent checkpoints (split view)";
  case TRUCE_ENOTFOUND:
    return "not found";
  case TRUCE_EEXIST:
    return "already exists";
  case TRUCE_ESTALE:
    return "stale state";
  }
  return "unknown error";
}

truce_err seterr(char *err, truce_err code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, TRUCE_ERR_MAX, fmt, ap);
    va_end(ap);
  }
  return code;
}

void errprefix(char *err, const char *fmt, ...) {
  if (!err)
    return;
  char prefix[TRUCE_ERR_MAX], old[TRUCE_ERR_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err, TRUCE_ERR_MAX);
  old[TRUCE_ERR_MAX - 1] = '\0';
  /* Truncation is fine: a message is for reading, not for parsing. */
  size_t n = strlen(prefix);
  if (n > TRUCE_ERR_MAX - 3)
    n = TRUCE_ERR_MAX - 3;
  memcpy(err, prefix, n);
  memcpy(err + n, ": ", 2);
  size_t rest = TRUCE_ERR_MAX - n - 3, olen = strlen(old);
  if (olen > rest)
    olen = rest;
  memcpy(err + n + 2, old, olen);
  err[n + 2 + olen] = '\0';
}

/* ---- growable buffer ---- */

void truce_buf_init(truce_buf *b, size_t max) {
  b->data = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
}

void truce_buf_release(truce_buf *b) {
  truce_free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

static truce_err buf_reserve(truce_buf *b, size_t extra) {
  if (extra > b->max || b->len > b->max - extra)
    return TRUCE_ETOOBIG;
  size_t need = b->len + extra + 1; /* + NUL */
  if (need <= b->cap)
    return TRUCE_OK;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  if (cap > b->max + 1)
    cap = b->max + 1;
  char *p = truce_realloc(b->data, cap);
  if (!p)
    return TRUCE_ENOMEM;
  b->data = p;
  b->cap = cap;
  return TRUCE_OK;
}

truce_err truce_buf_append(truce_buf *b, const void *p, size_t n) {
  truce_err rc = buf_reserve(b, n);
  if (rc)
    return rc;
  if (n)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return TRUCE_OK;
}

truce_err truce_buf_appendf(truce_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return TRUCE_EINVAL;
  truce_err rc = buf_reserve(b, (size_t)n);
  if (rc)
    return rc;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return TRUCE_OK;
}

truce_err truce_buf_read_file(truce_buf *b, const char *path, char *err) {
  struct stat st;
  if (stat(path, &st) == 0 && (uint64_t)st.st_size > b->max)
    return seterr(err, TRUCE_ETOOBIG, "'%s' is larger than %zu bytes", path,
                  b->max);
  truce_err rc = read_file_at(AT_FDCWD, path, b, err);
  if (rc == TRUCE_ETOOBIG)
    seterr(err, rc, "'%s' is larger than %zu bytes", path, b->max);
  return rc;
}

/* ---- base64 and hex ---- */

size_t truce_base64_len(size_t nbytes) { return (nbytes + 2) / 3 * 4; }

void truce_base64_encode(const uint8_t *in, size_t n, char *out) {
  sodium_bin2base64(out, truce_base64_len(n) + 1, in, n,
                    sodium_base64_VARIANT_ORIGINAL);
}

truce_err truce_base64_decode(const char *in, size_t inlen, uint8_t *out,
                              size_t cap, size_t *outlen) {
  *outlen = 0;
  if (inlen % 4 != 0)
    return TRUCE_EPARSE;
  /* libsodium 1.0.18 reads every byte from 0x80 up as '/': "\xc3\xa9"
   * would decode like "//", two texts for one value. Only the alphabet. */
  for (size_t i = 0; i < inlen; i++) {
    char c = in[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='))
      return TRUCE_EPARSE;
  }
  /* libsodium rejects non-zero trailing bits and bad padding; b64_end
   * tells us whether it consumed everything. */
  const char *end = NULL;
  size_t n = 0;
  if (inlen == 0)
    return TRUCE_OK;
  if (sodium_base642bin(out, cap, in, inlen, NULL, &n, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return (inlen / 4 * 3 > cap + 2) ? TRUCE_ETOOBIG : TRUCE_EPARSE;
  if (end != in + inlen)
    return TRUCE_EPARSE;
  *outlen = n;
  return TRUCE_OK;
}

void truce_hex_encode(const uint8_t *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = '\0';
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

truce_err truce_hex_decode(const char *in, size_t inlen, uint8_t *out,
                           size_t cap, size_t *outlen) {
  *outlen = 0;
  if (inlen % 2)
    return TRUCE_EPARSE;
  if (inlen / 2 > cap)
    return TRUCE_ETOOBIG;
  for (size_t i = 0; i < inlen; i += 2) {
    int hi = hexval(in[i]), lo = hexval(in[i + 1]);
    if (hi < 0 || lo < 0)
      return TRUCE_EPARSE;
    out[i / 2] = (uint8_t)(hi << 4 | lo);
  }
  *outlen = inlen / 2;
  return TRUCE_OK;
}

/* ---- SHA-256 and the Merkle hashes ---- */

static _Thread_local uint64_t hash_calls; /* per thread: no shared counter */

uint64_t truce_hash_calls(void) { return hash_calls; }

void truce_sha256(const void *p, size_t n, uint8_t out[TRUCE_HASH_SIZE]) {
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, p, n);
  SHA256_Final(out, &c);
}

void truce_leaf_hash(const void *entry, size_t len, uint8_t out[32]) {
  static const uint8_t zero = 0x00;
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, &zero, 1);
  SHA256_Update(&c, entry, len);
  SHA256_Final(out, &c);
  hash_calls++;
}

void truce_node_hash(const uint8_t left[32], const uint8_t right[32],
                     uint8_t out[32]) {
  uint8_t in[65];
  in[0] = 0x01;
  memcpy(in + 1, left, 32);
  memcpy(in + 33, right, 32);
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, in, sizeof in);
  SHA256_Final(out, &c);
  hash_calls++;
}

/* ---- parsing helpers ---- */

bool parse_u64(const char *s, size_t len, uint64_t *out) {
  if (len == 0 || len > 20)
    return false;
  if (s[0] == '0' && len > 1)
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

/* Eight bytes at once: all printable ASCII (0x20..0x7f)? Signed entries
 * are 64 KB of mostly ASCII JSON, checked on every append. */
static bool ascii8(const unsigned char *p) {
  uint64_t w;
  memcpy(&w, p, 8);
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  /* a byte < 0x20 borrows in w - 0x20..20 and has its high bit clear */
  return ((w | ((w - 0x20 * ones) & ~w)) & highs) == 0;
}

bool utf8_text_ok(const char *s, size_t n, bool allow_nl) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    if (n - i >= 8 && ascii8(p + i)) {
      i += 8;
      continue;
    }
    unsigned c = p[i];
    if (c < 0x80) {
      if (c < 0x20 && !(allow_nl && c == '\n'))
        return false;
      i++;
      continue;
    }
    size_t len;
    uint32_t cp, min;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + len > n)
      return false;
    for (size_t k = 1; k < len; k++) {
      if ((p[i + k] & 0xc0) != 0x80)
        return false;
      cp = cp << 6 | (p[i + k] & 0x3f);
    }
    /* overlong forms, surrogates, beyond Unicode */
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
      return false;
    i += len;
  }
  return true;
}

truce_err buf_put_json_str(truce_buf *b, const char *s) {
  truce_err rc = truce_buf_append(b, "\"", 1);
  for (; !rc && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      rc = truce_buf_appendf(b, "\\%c", c);
    else if (c < 0x20)
      rc = truce_buf_appendf(b, "\\u%04x", c);
    else
      rc = truce_buf_append(b, s, 1);
  }
  return rc ? rc : truce_buf_append(b, "\"", 1);
}

truce_err buf_put_csv_str(truce_buf *b, const char *s) {
  truce_err rc = truce_buf_append(b, "\"", 1);
  for (; !rc && *s; s++)
    rc = *s == '"' ? truce_buf_append(b, "\"\"", 2) : truce_buf_append(b, s, 1);
  return rc ? rc : truce_buf_append(b, "\"", 1);
}

const char *text_show(const char *s, size_t n, char out[TEXT_SHOW_MAX]) {
  const unsigned char *p = (const unsigned char *)s;
  size_t o = 0, i = 0;
  while (i < n) {
    size_t clen = 1;
    if (p[i] >= 0xc0)
      while (i + clen < n && clen < 4 && (p[i + clen] & 0xc0) == 0x80)
        clen++;
    bool valid = p[i] < 0x80 || (clen > 1 && utf8_text_ok(s + i, clen, false));
    if (!valid)
      clen = 1;
    bool shown = valid && p[i] >= 0x20 && p[i] != 0x7f &&
                 !(clen == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0);
    size_t w = shown ? clen : 1;
    if (o + w > 60) {
      memcpy(out + o, "...", 3);
      o += 3;
      break;
    }
    if (shown)
      memcpy(out + o, s + i, clen);
    else
      out[o] = '?';
    o += w;
    i += clen;
  }
  out[o] = '\0';
  return out;
}
