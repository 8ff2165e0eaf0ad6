/*
 * csv.c: the RFC 4180 reader of csv.h. Each record is read in two
 * passes: the first finds where it ends (a newline outside quotes) and so
 * how much room its unquoted fields need; the second splits it. Unquoted
 * fields point into the input; quoted ones are copied, without their
 * quotes, into the reader's scratch buffer.
 */
#include "csv.h"

#include <stdio.h>

void csv_init(csv_reader *r, const char *data, size_t len) {
  memset(r, 0, sizeof *r);
  r->p = data;
  r->end = data + len;
  r->next_line = 1;
  if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
    r->p += 3;
}

void csv_release(csv_reader *r) {
  truce_free(r->scratch);
  r->scratch = NULL;
  r->scap = 0;
}

/* Skip to just past the next newline at or after q. */
static const char *after_line(const csv_reader *r, const char *q,
                              uint64_t *lines) {
  const char *nl = memchr(q, '\n', (size_t)(r->end - q));
  if (!nl)
    return r->end;
  (*lines)++;
  return nl + 1;
}

/* A refused record: reading goes on at resync. */
static int bad(csv_reader *r, const char *resync, uint64_t first_nl) {
  if (first_nl) {
    r->p = resync;
    r->next_line = r->line + 1;
  }
  return CSV_BAD;
}

int csv_next(csv_reader *r, csv_field *f, size_t max, size_t *n, char *err) {
  *n = 0;
  /* Empty lines are not records. */
  while (r->p < r->end && (*r->p == '\n' || (*r->p == '\r' &&
                                             r->p + 1 < r->end &&
                                             r->p[1] == '\n'))) {
    r->p += *r->p == '\n' ? 1 : 2;
    r->next_line++;
  }
  if (r->p >= r->end)
    return CSV_END;
  r->line = r->next_line;
  const char *start = r->p, *q = start;
  uint64_t lines = 0;
  bool inq = false;
  /* Pass 1: the end of the record. */
  while (q < r->end) {
    char c = *q;
    if (c == '"')
      inq = !inq;
    else if (c == '\n') {
      if (!inq)
        break;
      lines++;
    }
    q++;
    if ((size_t)(q - start) > CSV_RECORD_MAX) {
      uint64_t skip = 0;
      r->p = after_line(r, start, &skip);
      r->next_line = r->line + skip;
      seterr(err, TRUCE_ETOOBIG, "line %llu: a record longer than %u bytes",
             (unsigned long long)r->line, CSV_RECORD_MAX);
      return CSV_BAD;
    }
  }
  if (inq) {
    uint64_t skip = 0;
    r->p = after_line(r, start, &skip);
    r->next_line = r->line + skip;
    seterr(err, TRUCE_EPARSE,
           "line %llu: a quoted field is not closed before the end of the "
           "file",
           (unsigned long long)r->line);
    return CSV_BAD;
  }
  const char *rend = q; /* at the newline, or the end of input */
  r->p = q < r->end ? q + 1 : q;
  r->next_line = r->line + lines + (q < r->end ? 1 : 0);
  if (rend > start && rend[-1] == '\r')
    rend--;
  size_t need = (size_t)(rend - start) + 1;
  if (need > r->scap) {
    char *s = truce_realloc(r->scratch, need);
    if (!s)
      return CSV_NOMEM;
    r->scratch = s;
    r->scap = need;
  }
  /* Pass 2: the fields. On an error in a record that spans several
   * lines, go on from its second line: a stray quote may have made one
   * record of many. */
  uint64_t first_nl = 0;
  const char *resync = lines ? after_line(r, start, &first_nl) : r->p;
  char *out = r->scratch;
  const char *s = start;
  size_t k = 0;
  for (;;) {
    if (k == max) {
      seterr(err, TRUCE_EPARSE, "line %llu: more than %zu fields",
             (unsigned long long)r->line, max);
      return bad(r, resync, first_nl);
    }
    if (s < rend && *s == '"') {
      char *o = out;
      s++;
      while (s < rend) {
        if (*s == '"') {
          if (s + 1 < rend && s[1] == '"') {
            *o++ = '"';
            s += 2;
            continue;
          }
          s++;
          break;
        }
        *o++ = *s++;
      }
      f[k].s = out;
      f[k].len = (size_t)(o - out);
      out = o;
      k++;
      if (s == rend)
        break;
      if (*s != ',') {
        seterr(err, TRUCE_EPARSE,
               "line %llu, field %zu: characters after a closing quote",
               (unsigned long long)r->line, k);
        return bad(r, resync, first_nl);
      }
      s++;
      if (s == rend) { /* a trailing comma: one more, empty field */
        if (k == max) {
          seterr(err, TRUCE_EPARSE, "line %llu: more than %zu fields",
                 (unsigned long long)r->line, max);
          return bad(r, resync, first_nl);
        }
        f[k].s = s;
        f[k].len = 0;
        k++;
        break;
      }
      continue;
    }
    const char *b = s;
    while (s < rend && *s != ',') {
      if (*s == '"') {
        seterr(err, TRUCE_EPARSE,
               "line %llu, field %zu: a quote inside an unquoted field",
               (unsigned long long)r->line, k + 1);
        return bad(r, resync, first_nl);
      }
      s++;
    }
    f[k].s = b;
    f[k].len = (size_t)(s - b);
    k++;
    if (s == rend)
      break;
    s++; /* the comma */
    if (s == rend) {
      if (k == max) {
        seterr(err, TRUCE_EPARSE, "line %llu: more than %zu fields",
               (unsigned long long)r->line, max);
        return bad(r, resync, first_nl);
      }
      f[k].s = s;
      f[k].len = 0;
      k++;
      break;
    }
  }
  *n = k;
  return CSV_RECORD;
}

bool csv_eq(csv_field f, const char *s) {
  size_t n = strlen(s);
  if (f.len != n)
    return false;
  for (size_t i = 0; i < n; i++) {
    char a = f.s[i], b = s[i];
    if (a >= 'A' && a <= 'Z')
      a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z')
      b = (char)(b - 'A' + 'a');
    if (a != b)
      return false;
  }
  return true;
}
