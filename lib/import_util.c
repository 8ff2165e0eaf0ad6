/*
 * import_util.c: the helpers of import_util.h, shared by the event-set
 * converters. See that header for what it owns.
 */
#include "import_util.h"

#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- messages ---- */

void imp_clean_msg(char *s) {
  size_t n = strlen(s), i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    size_t clen = 1;
    if (c >= 0xc0)
      while (i + clen < n && clen < 4 &&
             ((unsigned char)s[i + clen] & 0xc0) == 0x80)
        clen++;
    bool valid = c < 0x80 || (clen > 1 && utf8_text_ok(s + i, clen, false));
    if (!valid)
      clen = 1;
    bool control = c < 0x20 || c == 0x7f ||
                   (clen == 2 && c == 0xc2 &&
                    (unsigned char)s[i + 1] < 0xa0);
    if (!valid || control)
      memset(s + i, '?', clen);
    i += clen;
  }
}

void imp_reject(const import_sink *s, uint64_t line, const char *fmt, ...) {
  char why[IMP_WHY_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  if (s->reject)
    s->reject(s->ctx, line, why);
}

/* ---- the CSV driver ---- */

static void progress(const import_sink *s, const csv_reader *r,
                     const char *data, size_t len) {
  s->progress(s->ctx, (uint64_t)(r->p - data), (uint64_t)len);
}

/* Between the converter and the caller's sink: a refusal of the last
 * row, when the file does not end in a newline, says it may be cut. */
typedef struct wrap {
  const import_sink *s;
  bool cut; /* the row being read is the last, with no newline */
} wrap;

static truce_err wrap_emit(void *ctx, uint64_t line, const truce_obs *o) {
  const wrap *w = ctx;
  return w->s->emit(w->s->ctx, line, o);
}

static void wrap_reject(void *ctx, uint64_t line, const char *why) {
  const wrap *w = ctx;
  if (!w->s->reject)
    return;
  if (!w->cut) {
    w->s->reject(w->s->ctx, line, why);
    return;
  }
  char msg[TRUCE_ERR_MAX];
  snprintf(msg, sizeof msg, "%.380s (the last line, with no newline at its "
           "end: is the file truncated?)", why);
  w->s->reject(w->s->ctx, line, msg);
}

static void wrap_progress(void *ctx, uint64_t done, uint64_t total) {
  const wrap *w = ctx;
  if (w->s->progress)
    w->s->progress(w->s->ctx, done, total);
}

truce_err imp_stopped(char *err, truce_err rc, uint64_t line) {
  if (err && err[0])
    return rc;
  if (rc == TRUCE_ENOMEM)
    return seterr(err, rc, "row %llu: out of memory",
                  (unsigned long long)line);
  return seterr(err, rc, "row %llu: stopped by the sink (%s)",
                (unsigned long long)line, truce_strerror(rc));
}

truce_err imp_csv_run(const char *data, size_t len, const import_sink *sink,
                      const imp_col *cols, size_t ncols, imp_row_fn fn,
                      void *ctx, char *err) {
  if (!sink || !sink->emit || (!data && len) || ncols > IMP_COLS_MAX)
    return seterr(err, TRUCE_EINVAL, "import: bad arguments");
  if (err)
    err[0] = '\0';
  wrap w = {sink, false};
  import_sink ws = *sink;
  ws.emit = wrap_emit;
  ws.reject = wrap_reject;
  ws.progress = wrap_progress;
  ws.ctx = &w;
  const import_sink *s = &ws;
  bool ends_nl = len == 0 || data[len - 1] == '\n';
  csv_reader r;
  csv_init(&r, data ? data : "", len);
  /* Large: the fields and the row stay off the small stacks. */
  imp_row *row = truce_malloc(sizeof *row);
  csv_field *hdr = truce_malloc(IMP_COLS_MAX * sizeof *hdr);
  int *map = truce_malloc(IMP_COLS_MAX * sizeof *map);
  truce_err rc = TRUCE_OK;
  size_t n = 0, nhdr = 0;
  char msg[TRUCE_ERR_MAX];
  if (!row || !hdr || !map) {
    rc = seterr(err, TRUCE_ENOMEM, "import: out of memory");
    goto done;
  }
  int got = csv_next(&r, hdr, IMP_COLS_MAX, &nhdr, msg);
  if (got == CSV_NOMEM) {
    rc = seterr(err, TRUCE_ENOMEM, "import: out of memory");
    goto done;
  }
  if (got == CSV_END) {
    rc = seterr(err, TRUCE_EPARSE, "header: the file is empty");
    goto done;
  }
  if (got == CSV_BAD) {
    rc = seterr(err, TRUCE_EPARSE, "header: %s", msg);
    goto done;
  }
  for (size_t c = 0; c < ncols; c++) {
    map[c] = -1;
    for (size_t h = 0; h < nhdr; h++)
      if (csv_eq(imp_trim(hdr[h]), cols[c].name)) {
        map[c] = (int)h;
        break;
      }
    if (map[c] < 0 && cols[c].required) {
      rc = seterr(err, TRUCE_EPARSE, "header: no column '%s'", cols[c].name);
      goto done;
    }
  }
  /* The header's fields point into the scratch buffer when quoted; they
   * are not needed past here. */
  uint64_t rows = 0;
  for (;;) {
    got = csv_next(&r, hdr, IMP_COLS_MAX, &n, msg);
    if (got == CSV_END)
      break;
    if (got == CSV_NOMEM) {
      rc = seterr(err, TRUCE_ENOMEM, "import: out of memory");
      goto done;
    }
    if (++rows % 1024 == 0)
      progress(s, &r, data, len);
    w.cut = !ends_nl && r.p == data + len;
    if (got == CSV_BAD) {
      /* csv.c's message already names the line. */
      s->reject(s->ctx, r.line, msg);
      continue;
    }
    if (n != nhdr) {
      imp_reject(s, r.line, "%zu fields, the header has %zu", n, nhdr);
      continue;
    }
    row->line = r.line;
    for (size_t c = 0; c < ncols; c++) {
      if (map[c] >= 0) {
        row->f[c] = hdr[map[c]];
      } else {
        row->f[c].s = "";
        row->f[c].len = 0;
      }
    }
    if ((rc = fn(ctx, s, row)) != TRUCE_OK) {
      imp_stopped(err, rc, r.line);
      goto done;
    }
  }
  progress(s, &r, data, len);
done:
  csv_release(&r);
  truce_free(row);
  truce_free(hdr);
  truce_free(map);
  return rc;
}

/* ---- fields ---- */

csv_field imp_trim(csv_field f) {
  while (f.len && (f.s[0] == ' ' || f.s[0] == '\t')) {
    f.s++;
    f.len--;
  }
  while (f.len && (f.s[f.len - 1] == ' ' || f.s[f.len - 1] == '\t'))
    f.len--;
  return f;
}

bool imp_empty(csv_field f) { return imp_trim(f).len == 0; }

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool imp_number(csv_field f, double lo, double hi, double *out) {
  f = imp_trim(f);
  const char *p = f.s, *e = f.s + f.len;
  if (f.len == 0 || f.len > 64)
    return false;
  if (p < e && (*p == '-' || *p == '+'))
    p++;
  size_t digits = 0;
  while (p < e && is_digit(*p))
    p++, digits++;
  if (p < e && *p == '.') {
    p++;
    while (p < e && is_digit(*p))
      p++, digits++;
  }
  if (!digits)
    return false;
  if (p < e && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < e && (*p == '-' || *p == '+'))
      p++;
    size_t ed = 0;
    while (p < e && is_digit(*p))
      p++, ed++;
    if (!ed)
      return false;
  }
  if (p != e)
    return false;
  char tmp[72];
  memcpy(tmp, f.s, f.len);
  tmp[f.len] = '\0';
  double x = strtod(tmp, NULL);
  if (!isfinite(x) || x < lo || x > hi)
    return false;
  *out = x == 0 ? 0 : x; /* no -0 */
  return true;
}

bool imp_uint(csv_field f, uint64_t max, uint64_t *out) {
  f = imp_trim(f);
  if (f.len == 0 || f.len > 19)
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < f.len; i++) {
    if (!is_digit(f.s[i]))
      return false;
    v = v * 10 + (uint64_t)(f.s[i] - '0');
  }
  if (v > max)
    return false;
  *out = v;
  return true;
}

/* ---- dates ---- */

/* The days-from-civil arithmetic on 400-year eras (each era has 146097
 * days), written for truce; years 1901..2998 only reach here. */
int64_t imp_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t mp = (int64_t)(m > 2 ? m - 3 : m + 9);
  int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void imp_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
  *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static unsigned month_days(int64_t y, unsigned m) {
  static const unsigned dm[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dm[m - 1];
}

/* n digits at p as a number, or -1. */
static int64_t digits_at(const char *p, size_t n) {
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!is_digit(p[i]))
      return -1;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

static bool valid_ymd(int64_t y, int64_t m, int64_t d) {
  return y >= 1901 && y <= 2998 && m >= 1 && m <= 12 && d >= 1 &&
         d <= month_days(y, (unsigned)m);
}

/* "February", "feb", "Sept": the month number, or 0. */
static unsigned month_from_name(const char *s, size_t n) {
  static const char *const names[12] = {
      "january", "february", "march",     "april",   "may",      "june",
      "july",    "august",   "september", "october", "november", "december"};
  char low[12];
  if (n < 3 || n > 9)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    low[i] = c;
  }
  for (unsigned k = 0; k < 12; k++) {
    size_t full = strlen(names[k]);
    if ((n == full || n == 3 || (k == 8 && n == 4)) &&
        memcmp(low, names[k], n) == 0)
      return k + 1;
  }
  return 0;
}

bool imp_date(csv_field f, bool time_ok, bool names_ok, int64_t *day,
              int64_t *tod_ms) {
  f = imp_trim(f);
  const char *s = f.s;
  size_t n = f.len;
  *day = 0;
  *tod_ms = 0;
  if (n >= 10 && s[4] == '-' && s[7] == '-') {
    int64_t y = digits_at(s, 4), m = digits_at(s + 5, 2),
            d = digits_at(s + 8, 2);
    if (!valid_ymd(y, m, d))
      return false;
    if (n > 10) {
      /* " HH:MM:SS" with an optional ".fff" (any number of digits). */
      if (!time_ok || n < 19 || (s[10] != ' ' && s[10] != 'T') ||
          s[13] != ':' || s[16] != ':')
        return false;
      int64_t hh = digits_at(s + 11, 2), mm = digits_at(s + 14, 2),
              ss = digits_at(s + 17, 2);
      if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59)
        return false;
      if (n > 19) {
        if (s[19] != '.' || n == 20 || n > 29)
          return false;
        if (digits_at(s + 20, n - 20) < 0)
          return false;
      }
      *tod_ms = ((hh * 60 + mm) * 60 + ss) * 1000;
    }
    *day = imp_days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
  }
  if (!names_ok)
    return false;
  /* "15 February 2015" */
  size_t i = 0, a = 0;
  while (i < n && is_digit(s[i]))
    i++;
  if (i < 1 || i > 2 || i >= n || s[i] != ' ')
    return false;
  int64_t d = digits_at(s, i);
  a = ++i;
  while (i < n && s[i] != ' ')
    i++;
  unsigned m = month_from_name(s + a, i - a);
  if (!m || i >= n || n - i - 1 != 4)
    return false;
  int64_t y = digits_at(s + i + 1, 4);
  if (!valid_ymd(y, m, d))
    return false;
  *day = imp_days_from_civil(y, m, (unsigned)d);
  return true;
}

void imp_local_days(int64_t day0, int64_t day1, double lon_deg,
                    int64_t *from_ms, int64_t *to_ms) {
  double o = round(lon_deg / 15);
  if (!(o >= -12))
    o = -12;
  if (o > 14)
    o = 14;
  int64_t off = (int64_t)o;
  *from_ms = day0 * IMP_DAY_MS - (off + IMP_ZONE_SLACK_H) * IMP_HOUR_MS;
  *to_ms = (day1 + 1) * IMP_DAY_MS - (off - IMP_ZONE_SLACK_H) * IMP_HOUR_MS -
           1;
}

/* ---- text ---- */

void imp_text_init(imp_text *t, char *dst, size_t cap) {
  t->p = dst;
  t->cap = cap;
  t->len = 0;
  t->full = cap < 5; /* no room for a character and "..." */
  t->space = true;   /* no leading space */
  if (cap)
    dst[0] = '\0';
}

/* Append one character of clen bytes; when it does not fit, cut the text
 * back on character boundaries until "..." fits, and end it so. */
static void put_char(imp_text *t, const char *c, size_t clen) {
  if (t->full)
    return;
  if (t->len + clen < t->cap) {
    memcpy(t->p + t->len, c, clen);
    t->len += clen;
    t->p[t->len] = '\0';
    t->space = clen == 1 && c[0] == ' ';
    return;
  }
  while (t->len && t->len + 3 >= t->cap) {
    t->len--;
    while (t->len && ((unsigned char)t->p[t->len] & 0xc0) == 0x80)
      t->len--;
  }
  memcpy(t->p + t->len, "...", 3);
  t->len += 3;
  t->p[t->len] = '\0';
  t->full = true;
}

void imp_text_add(imp_text *t, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n && !t->full) {
    unsigned c = p[i];
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f || c == ' ') {
        if (!t->space)
          put_char(t, " ", 1);
      } else {
        put_char(t, s + i, 1);
      }
      i++;
      continue;
    }
    size_t clen = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    if (c >= 0xc2 && c <= 0xf4 && i + clen <= n &&
        utf8_text_ok(s + i, clen, false)) {
      if (clen == 2 && c == 0xc2 && p[i + 1] < 0xa0) {
        if (!t->space) /* a C1 control */
          put_char(t, " ", 1);
      } else {
        put_char(t, s + i, clen);
      }
      i += clen;
      continue;
    }
    put_char(t, "\xef\xbf\xbd", 3); /* U+FFFD for a byte that is not UTF-8 */
    i++;
  }
}

void imp_text_adds(imp_text *t, const char *s) {
  imp_text_add(t, s, strlen(s));
}

void imp_text_addf(imp_text *t, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (k > 0)
    imp_text_add(t, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

void imp_text_field(imp_text *t, csv_field f) {
  f = imp_trim(f);
  imp_text_add(t, f.s, f.len);
}

bool imp_id(csv_field f, char *dst, size_t cap) {
  f = imp_trim(f);
  if (f.len >= cap || !utf8_text_ok(f.s, f.len, false))
    return false;
  for (size_t i = 0; i < f.len; i++) {
    unsigned char c = (unsigned char)f.s[i];
    if (c == 0x7f ||
        (c == 0xc2 && i + 1 < f.len && (unsigned char)f.s[i + 1] < 0xa0))
      return false; /* DEL, C1 controls */
  }
  memcpy(dst, f.s, f.len);
  dst[f.len] = '\0';
  return true;
}

/* A trailing space is dropped when the text is read: see imp_emit. */
static void text_trim(char *s) {
  size_t n = strlen(s);
  while (n && s[n - 1] == ' ')
    s[--n] = '\0';
}

static bool alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || c >= 0x80;
}

bool imp_has_word(const char *s, size_t n, const char *word) {
  size_t w = strlen(word);
  if (!w || w > n)
    return false;
  for (size_t i = 0; i + w <= n; i++) {
    if (i && alnum((unsigned char)s[i - 1]))
      continue;
    if (i + w < n && alnum((unsigned char)s[i + w]))
      continue;
    size_t k = 0;
    while (k < w) {
      char c = s[i + k];
      if (c >= 'A' && c <= 'Z')
        c = (char)(c - 'A' + 'a');
      if (c != word[k])
        break;
      k++;
    }
    if (k == w)
      return true;
  }
  return false;
}

bool imp_has_any(const char *s, size_t n, const char *const *words) {
  for (size_t i = 0; words[i]; i++)
    if (imp_has_word(s, n, words[i]))
      return true;
  return false;
}

/* ---- the last checks ---- */

truce_err imp_emit(const import_sink *s, uint64_t line, const char *dataset,
                   const char *time_col, truce_obs *o) {
  o->has_provenance = 1;
  snprintf(o->dataset, sizeof o->dataset, "%s", dataset);
  memcpy(o->file_sha256, s->file_sha256, 32);
  o->row = line;
  if (o->count == 0)
    o->count = 1;
  o->lat_deg = json_round7(o->lat_deg);
  o->lon_deg = json_round7(o->lon_deg);
  o->uncertainty_m = json_round7(o->uncertainty_m);
  o->calibre_mm = json_round7(o->calibre_mm);
  if (o->lat_deg == 0)
    o->lat_deg = 0;
  if (o->lon_deg == 0)
    o->lon_deg = 0;
  text_trim(o->note);
  text_trim(o->place);
  text_trim(o->id);
  text_trim(o->system);
  if (!o->is_window)
    o->t_end_ms = o->t_ms;
  if (o->t_ms < TRUCE_TIME_MIN_MS || o->t_end_ms >= TRUCE_TIME_END_MS ||
      o->t_ms > o->t_end_ms) {
    imp_reject(s, line, "column %s: the time is outside 1900..2999",
               time_col);
    return TRUCE_OK;
  }
  int64_t lim = s->now_ms > INT64_MAX - TRUCE_FUTURE_MAX_MS
                    ? INT64_MAX
                    : s->now_ms + TRUCE_FUTURE_MAX_MS;
  if (o->t_end_ms > lim) {
    char t[32];
    truce_time_format(o->t_end_ms, t);
    imp_reject(s, line, "column %s: %s is in the future", time_col, t);
    return TRUCE_OK;
  }
  return s->emit(s->ctx, line, o);
}

bool imp_position(const import_sink *s, uint64_t line, csv_field lat,
                  const char *lat_col, csv_field lon, const char *lon_col,
                  truce_obs *o) {
  char sh[TEXT_SHOW_MAX];
  if (!imp_number(lat, -90, 90, &o->lat_deg)) {
    imp_reject(s, line, "column %s: '%s' is not a latitude", lat_col,
               text_show(lat.s, lat.len, sh));
    return false;
  }
  if (!imp_number(lon, -180, 180, &o->lon_deg)) {
    imp_reject(s, line, "column %s: '%s' is not a longitude", lon_col,
               text_show(lon.s, lon.len, sh));
    return false;
  }
  return true;
}
