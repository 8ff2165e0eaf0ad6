/*
 * time.c: RFC 3339 timestamps <-> UTC milliseconds since the Unix epoch,
 * as observations and log entries carry them.
 *
 * Must not depend on the C library's time zone machinery (timegm, mktime,
 * gmtime_r, TZ): their behaviour varies by platform and by environment,
 * and a log's times must read the same everywhere. The calendar
 * arithmetic (proleptic Gregorian) is done here instead.
 *
 * What is accepted, and why:
 * - exactly YYYY-MM-DDTHH:MM:SS[.f{1,3}](Z|+HH:MM|-HH:MM); 'T' and 'Z'
 *   may be lower case (RFC 3339 section 5.6 allows it); no space instead
 *   of 'T' (only a note in the RFC, not its grammar).
 * - at most three fraction digits: truce keeps milliseconds, and
 *   silently dropping digits would change what a source signed.
 * - second 60 is refused (TRUCE_ERANGE): Unix time has no leap seconds,
 *   and mapping 23:59:60 onto 23:59:59.999 would invent a time no one
 *   reported. No monitoring source is known to emit leap seconds.
 * - offsets up to +-23:59; "-00:00" (RFC 3339: offset unknown) is UTC.
 * - the instant, in UTC, must lie in [1900-01-01T00:00:00Z,
 *   3000-01-01T00:00:00Z): checking the UTC instant (not the written
 *   year) keeps every accepted time printable and re-parseable.
 * Syntax errors are TRUCE_EPARSE; impossible dates, hours, minutes,
 * seconds, offsets and years are TRUCE_ERANGE.
 */
#include "internal.h"


#define MS_PER_DAY INT64_C(86400000)
/* Days from 0000-01-01 to 1970-01-01 in the proleptic Gregorian calendar:
 * 1970 * 365 + 478 leap years (493 - 20 + 5, counting year 0). */
#define DAYS_0000_TO_1970 INT64_C(719528)

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b, r = a % b;
  return (r != 0 && (r < 0) != (b < 0)) ? q - 1 : q;
}

static bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 0000-01-01 to y-01-01: 365 a year plus one for each leap year
 * in [0, y), by counting multiples of 4, 100 and 400 below y. */
static int64_t days_before_year(int64_t y) {
  return 365 * y + floor_div(y + 3, 4) - floor_div(y + 99, 100) +
         floor_div(y + 399, 400);
}

/* Days before the first of each month in a common year. */
static const int cum_days[12] = {0,   31,  59,  90,  120, 151,
                                 181, 212, 243, 273, 304, 334};

static int days_in_month(int64_t y, int m) {
  static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* Days since 1970-01-01 of a valid date (m 1..12, d 1..days_in_month). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  return days_before_year(y) - DAYS_0000_TO_1970 + cum_days[m - 1] +
         (m > 2 && is_leap(y)) + (d - 1);
}

/* The inverse, for any day the int64 millisecond range can name; used
 * only to format times, once per observation the log checks, so without
 * loops: count in 400-year eras of 146097 days, with years starting on
 * 1 March so that the leap day ends the year. Within an era, day doe
 * (0..146096) is in year yoe = (doe - doe/1460 + doe/36524 - doe/146096)
 * / 365, each term taking out one leap day per 4, 100 and 400 years;
 * months from March have the lengths 31 30 31 30 31 31 30 31 30 31 31
 * (28 or 29), which (153 * mp + 2) / 5 gives the starts of. Checked
 * against the day-by-day walk in test_time_every_day and over the whole
 * range in test_time_format_writer. */
static void civil_from_days(int64_t days, int64_t *y, int *m, int *d) {
  int64_t z = days + DAYS_0000_TO_1970 - 60; /* days since 0000-03-01 */
  int64_t era = floor_div(z, 146097);
  int64_t doe = z - era * 146097;                                /* 0.. */
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);         /* 0..365 */
  int64_t mp = (5 * doy + 2) / 153;                              /* 0..11 */
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

/* n decimal digits at s, or -1. */
static int digits(const char *s, size_t n) {
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

truce_err truce_time_parse(const char *s, size_t len, int64_t *t_ms) {
  *t_ms = 0;
  if (!s || len < 20) /* "YYYY-MM-DDTHH:MM:SSZ" */
    return TRUCE_EPARSE;
  int year = digits(s, 4), mon = digits(s + 5, 2), day = digits(s + 8, 2);
  int hour = digits(s + 11, 2), min = digits(s + 14, 2);
  int sec = digits(s + 17, 2);
  if (year < 0 || mon < 0 || day < 0 || hour < 0 || min < 0 || sec < 0 ||
      s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':')
    return TRUCE_EPARSE;
  size_t i = 19;
  int ms = 0;
  if (s[i] == '.') {
    size_t nf = 0;
    i++;
    while (i + nf < len && s[i + nf] >= '0' && s[i + nf] <= '9')
      nf++;
    if (nf == 0 || nf > 3)
      return TRUCE_EPARSE;
    ms = digits(s + i, nf);
    for (size_t k = nf; k < 3; k++)
      ms *= 10;
    i += nf;
  }
  if (i >= len)
    return TRUCE_EPARSE;
  int off_min = 0;
  if (s[i] == 'Z' || s[i] == 'z') {
    i++;
  } else if (s[i] == '+' || s[i] == '-') {
    if (len - i < 6 || s[i + 3] != ':')
      return TRUCE_EPARSE;
    int oh = digits(s + i + 1, 2), om = digits(s + i + 4, 2);
    if (oh < 0 || om < 0)
      return TRUCE_EPARSE;
    if (oh > 23 || om > 59)
      return TRUCE_ERANGE;
    off_min = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return TRUCE_EPARSE;
  }
  if (i != len)
    return TRUCE_EPARSE;
  if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
      hour > 23 || min > 59 || sec > 59)
    return TRUCE_ERANGE;
  /* Local time minus its offset is UTC. */
  int64_t t = days_from_civil(year, mon, day) * MS_PER_DAY +
              ((int64_t)hour * 3600 + min * 60 + sec - off_min * 60) * 1000 +
              ms;
  if (t < TRUCE_TIME_MIN_MS || t >= TRUCE_TIME_END_MS)
    return TRUCE_ERANGE;
  *t_ms = t;
  return TRUCE_OK;
}

/* v (>= 0) in decimal, zero-padded to at least `width` digits. */
static char *put_digits(char *o, uint64_t v, int width) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n < width)
    tmp[n++] = '0';
  while (n)
    *o++ = tmp[--n];
  return o;
}

static void put2(char *o, int v) {
  o[0] = (char)('0' + v / 10);
  o[1] = (char)('0' + v % 10);
}

/* Written by hand, not with snprintf: the log formats a time for every
 * observation it checks, and snprintf's format parsing was most of the
 * cost. The output is what "%04d-%02d-%02dT%02d:%02d:%02d[.%03d]Z"
 * gives, negative years included ("-001" is year -1). */
void truce_time_format(int64_t t_ms, char out[32]) {
  /* Split without overflow at either end of int64. */
  int64_t days = t_ms / MS_PER_DAY, rem = t_ms % MS_PER_DAY;
  if (rem < 0) {
    rem += MS_PER_DAY;
    days--;
  }
  int64_t y;
  int m, d;
  civil_from_days(days, &y, &m, &d);
  int ms = (int)(rem % 1000);
  int s = (int)(rem / 1000 % 60), mi = (int)(rem / 60000 % 60);
  int h = (int)(rem / 3600000);
  /* At most 30 characters for any int64 (a 9-digit year). */
  char *o = out;
  if (y >= 0 && y <= 9999) { /* every time a log holds */
    put2(o, (int)y / 100);
    put2(o + 2, (int)y % 100);
    o += 4;
  } else if (y < 0) {
    *o++ = '-';
    o = put_digits(o, (uint64_t)-y, 3);
  } else {
    o = put_digits(o, (uint64_t)y, 4);
  }
  o[0] = '-';
  put2(o + 1, m);
  o[3] = '-';
  put2(o + 4, d);
  o[6] = 'T';
  put2(o + 7, h);
  o[9] = ':';
  put2(o + 10, mi);
  o[12] = ':';
  put2(o + 13, s);
  o += 15;
  if (ms) {
    o[0] = '.';
    o[1] = (char)('0' + ms / 100);
    put2(o + 2, ms % 100);
    o += 4;
  }
  o[0] = 'Z';
  o[1] = '\0';
}
