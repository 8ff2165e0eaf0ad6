/*
 * import_util.h: what the event-set converters (import_acled.c,
 * import_ucdp.c, import_viina.c, import_cir.c, import_geojson.c) share:
 * a CSV driver that finds columns by header name and checks each row's
 * field count, strict numbers and dates, the time windows of calendar
 * dates, text made fit for an observation (valid UTF-8, no control
 * characters, cut on a character boundary), and the last checks before
 * an observation is handed to the sink.
 *
 * Owns: the rules every converter applies the same way. Must not depend
 * on any one data set's columns or words, nor on the log (import.h).
 */
#ifndef TRUCE_IMPORT_UTIL_H
#define TRUCE_IMPORT_UTIL_H

#include "csv.h"
#include "import.h"

#define IMP_COLS_MAX 64   /* columns a header may have */
#define IMP_WHY_MAX 384   /* one refusal's message */
#define IMP_DAY_MS INT64_C(86400000)
#define IMP_HOUR_MS INT64_C(3600000)

/* A column the converter wants: its header name (matched ignoring ASCII
 * case) and whether the file is refused without it. */
typedef struct imp_col {
  const char *name;
  bool required;
} imp_col;

/* One row, its fields in the order of the converter's imp_col list. A
 * column the header lacks (optional ones only) reads as empty. */
typedef struct imp_row {
  csv_field f[IMP_COLS_MAX];
  uint64_t line; /* where the row starts (1-based; the header is line 1) */
} imp_row;

/* Called for each row with the right number of fields. It either emits
 * (imp_emit) or refuses (imp_reject) the row and returns TRUCE_OK, or
 * returns an error that stops the conversion (the sink's code, ENOMEM). */
typedef truce_err (*imp_row_fn)(void *ctx, const import_sink *s,
                                const imp_row *row);

/* Read data as CSV with a header: map the wanted columns (err
 * "header: no column 'latitude'" when a required one is missing), then
 * call fn for every row; rows that do not split (csv.h) or whose field
 * count differs from the header's are refused here, naming the line.
 * A refusal of the last row of a file that does not end in a newline
 * adds "(the last line, with no newline at its end: is the file
 * truncated?)". Progress is reported every 1024 rows and at the end. */
truce_err imp_csv_run(const char *data, size_t len, const import_sink *s,
                      const imp_col *cols, size_t ncols, imp_row_fn fn,
                      void *ctx, char *err);

/* The message of a conversion stopped at `line` by the sink's code rc
 * (ENOMEM or another): the sink's own message is kept if it left one in
 * err (import.c does), else one is written. Returns rc. */
truce_err imp_stopped(char *err, truce_err rc, uint64_t line);

/* Refuse a row: the message goes to sink->reject. */
void imp_reject(const import_sink *s, uint64_t line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Values echoed in messages: text_show (internal.h). */

/* Make a message safe to print, in place: control characters (C0, DEL,
 * C1) and bytes that are not UTF-8 become '?'. For messages of other
 * modules that may echo input (jansson's, truce_obs_parse's). */
void imp_clean_msg(char *s);

/* Is f empty (after trimming spaces)? */
bool imp_empty(csv_field f);
/* f with leading and trailing spaces and tabs removed. */
csv_field imp_trim(csv_field f);

/* A decimal number: optional sign, digits with an optional fraction and
 * exponent, spaces around allowed; finite and within [lo, hi]. "nan",
 * "inf", "0x1p3", "" and anything else are refused. */
bool imp_number(csv_field f, double lo, double hi, double *out);
/* The row's position from its latitude and longitude columns (named
 * lat_col, lon_col in messages) into o; false, the row refused, if either
 * is not a number in range. */
bool imp_position(const import_sink *s, uint64_t line, csv_field lat,
                  const char *lat_col, csv_field lon, const char *lon_col,
                  truce_obs *o);
/* A non-negative decimal integer (no sign, no fraction) at most max. */
bool imp_uint(csv_field f, uint64_t max, uint64_t *out);

/* A date: "YYYY-MM-DD", optionally followed by " HH:MM:SS" with an
 * optional fraction (UCDP writes "2022-02-24 00:00:00.000"), when
 * time_ok; also "DD Month YYYY" ("15 February 2015", month names in
 * English, any case, "Sept" and three-letter forms) when names_ok. The
 * date must exist and the year lie in 1901..2998 (so any window built
 * around it stays in truce's time range). On success *day is days since
 * 1970-01-01 and *tod_ms the time of day (0 when absent). */
bool imp_date(csv_field f, bool time_ok, bool names_ok, int64_t *day,
              int64_t *tod_ms);
/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t imp_days_from_civil(int64_t y, unsigned m, unsigned d);
void imp_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* The UTC window of the local calendar days [day0, day1] at longitude
 * lon_deg, whose time zone is not given: the zone is taken as the
 * longitude's solar offset, round(lon / 15) hours, give or take
 * IMP_ZONE_SLACK_H hours (civil zones are rarely further from it; see
 * docs/import.md). */
#define IMP_ZONE_SLACK_H 2
void imp_local_days(int64_t day0, int64_t day1, double lon_deg,
                    int64_t *from_ms, int64_t *to_ms);

/* Text for a truce_obs field of cap bytes (with its NUL): built up with
 * imp_text_add, valid UTF-8 throughout, control characters (tab, newline,
 * C1) and runs of spaces become one space, bytes that are not UTF-8
 * become U+FFFD; when the room runs out the text is cut on a character
 * boundary and ends with "..." (the cut is always visible). */
typedef struct imp_text {
  char *p;
  size_t cap, len;
  bool full, space; /* space: the last byte written is a space */
} imp_text;
void imp_text_init(imp_text *t, char *dst, size_t cap);
void imp_text_add(imp_text *t, const char *s, size_t n);
void imp_text_adds(imp_text *t, const char *s); /* a C string */
void imp_text_addf(imp_text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void imp_text_field(imp_text *t, csv_field f);

/* An identifier copied as it is (spaces around trimmed): false if it
 * does not fit cap bytes with its NUL or is not text an observation may
 * hold (control characters, broken UTF-8). */
bool imp_id(csv_field f, char *dst, size_t cap);

/* Does the text contain `word` (ASCII, lower case) as a whole word,
 * ignoring ASCII case? A word boundary is anything but a letter or digit
 * (so "mine" is not found in "determine"). */
bool imp_has_word(const char *s, size_t n, const char *word);
/* Any of a NULL-terminated list. */
bool imp_has_any(const char *s, size_t n, const char *const *words);

/* Fill provenance, snap numbers to the 7-decimal grid the canonical form
 * keeps, check the time against truce's range and sink->now_ms (a row
 * refused here is reported through sink->reject, naming `time_col`), and
 * emit. Returns the sink's code (TRUCE_OK after a refusal). */
truce_err imp_emit(const import_sink *s, uint64_t line, const char *dataset,
                   const char *time_col, truce_obs *o);

#endif /* TRUCE_IMPORT_UTIL_H */
