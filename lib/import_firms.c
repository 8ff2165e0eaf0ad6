/*
 * import_firms.c: NASA FIRMS active fire CSV files as thermal_anomaly
 * observations (docs/import.md, "NASA FIRMS").
 *
 * Layouts, found by header names (any case, any order, unknown columns
 * ignored): VIIRS 375 m (bright_ti4, bright_ti5, confidence l/n/h), MODIS
 * 1 km (brightness, bright_t31, confidence 0-100), with or without the
 * `type` and `instrument` columns, and the three-column history files
 * (latitude, longitude, acq_date: no time, no instrument; the instrument
 * is inferred from the number of decimals of the coordinates).
 * The instrument of a row: its `instrument` column, else the brightness
 * columns, else the form of `confidence`, else the decimals.
 *
 * Owns: what a FIRMS column means. Must not depend on the log: it reads
 * bytes and calls the sink (lib/import.h).
 */
#include "csv.h"
#include "import.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define FIRMS_FIELDS_MAX 64  /* columns in a file; FIRMS has 14 or 15 */
#define FIRMS_PROGRESS_ROWS 4096
#define VIIRS_PIXEL_M 375.0  /* nominal I-band pixel at nadir */
#define MODIS_PIXEL_M 1000.0 /* nominal pixel at nadir */
#define PIXEL_MAX_KM 20.0    /* scan/track: MODIS reaches 4.8 km at edge */
#define FRP_MAX_MW 100000.0

enum col {
  C_LAT,
  C_LON,
  C_DATE,
  C_TIME,
  C_SCAN,
  C_TRACK,
  C_SAT,
  C_INSTR,
  C_CONF,
  C_VERSION,
  C_TI4,
  C_TI5,
  C_BRIGHT,
  C_T31,
  C_FRP,
  C_DAYNIGHT,
  C_TYPE,
  NCOL
};

static const char *const col_name[NCOL] = {
    "latitude",   "longitude",  "acq_date",   "acq_time",   "scan",
    "track",      "satellite",  "instrument", "confidence", "version",
    "bright_ti4", "bright_ti5", "brightness", "bright_t31", "frp",
    "daynight",   "type"};

enum instr { I_NONE, I_VIIRS, I_MODIS };

typedef struct firms {
  const import_sink *sink;
  int idx[NCOL]; /* field index of each known column, or -1 */
  size_t ncols;  /* fields in the header */
  enum instr header_instr; /* from the brightness columns, or I_NONE */
  truce_obs o;
} firms;

/* A field as it may be shown in a message: printable ASCII, at most 24
 * bytes, anything else as '?'. */
static const char *show(csv_field f, char out[32]) {
  size_t n = f.len < 24 ? f.len : 24, k = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)f.s[i];
    out[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
  }
  if (f.len > n) {
    memcpy(out + k, "...", 3);
    k += 3;
  }
  out[k] = '\0';
  return out;
}

/* A decimal number as FIRMS writes it: -?digits[.digits][e[+-]digits].
 * No spaces, no hex, no "nan" or "inf". 0 on success, -1 if it is not a
 * number, -2 if it does not fit a double (1e999). *decimals receives the
 * digits after the point. */
static int number(csv_field f, double *v, int *decimals) {
  char buf[48];
  if (f.len == 0 || f.len >= sizeof buf)
    return -1;
  const char *s = f.s, *e = f.s + f.len;
  size_t digits = 0;
  int dec = 0;
  if (*s == '-')
    s++;
  while (s < e && *s >= '0' && *s <= '9')
    s++, digits++;
  if (s < e && *s == '.') {
    s++;
    while (s < e && *s >= '0' && *s <= '9')
      s++, digits++, dec++;
  }
  if (digits == 0)
    return -1;
  if (s < e && (*s == 'e' || *s == 'E')) {
    s++;
    if (s < e && (*s == '+' || *s == '-'))
      s++;
    size_t ed = 0;
    while (s < e && *s >= '0' && *s <= '9')
      s++, ed++;
    if (ed == 0)
      return -1;
  }
  if (s != e)
    return -1;
  memcpy(buf, f.s, f.len);
  buf[f.len] = '\0';
  double x = strtod(buf, NULL);
  if (!isfinite(x))
    return -2;
  *v = x;
  if (decimals)
    *decimals = dec;
  return 0;
}

/* A number in [lo, hi] from column c (lo_open: lo itself excluded); on
 * failure why receives the reason. */
static bool num_col(csv_field f, enum col c, double lo, bool lo_open,
                    double hi, double *v, int *decimals, char *why) {
  char s[32];
  int rc = number(f, v, decimals);
  if (rc == -1) {
    seterr(why, TRUCE_EPARSE, "column %s: '%s' is not a number", col_name[c],
           show(f, s));
    return false;
  }
  if (rc == -2) {
    seterr(why, TRUCE_ERANGE, "column %s: '%s' is not a finite number",
           col_name[c], show(f, s));
    return false;
  }
  if (*v > hi || *v < lo || (lo_open && *v == lo)) {
    seterr(why, TRUCE_ERANGE, "column %s: %s is out of range %c%g, %g]",
           col_name[c], show(f, s), lo_open ? '(' : '[', lo, hi);
    return false;
  }
  return true;
}

static bool all_digits(csv_field f) {
  for (size_t i = 0; i < f.len; i++)
    if (f.s[i] < '0' || f.s[i] > '9')
      return false;
  return f.len > 0;
}

/* acq_date (YYYY-MM-DD, UTC) as the milliseconds of its midnight. */
static bool date_col(csv_field f, int64_t *day_ms, char *why) {
  char s[32], t[32];
  bool ok = f.len == 10 && f.s[4] == '-' && f.s[7] == '-';
  for (size_t i = 0; ok && i < 10; i++)
    if (i != 4 && i != 7 && (f.s[i] < '0' || f.s[i] > '9'))
      ok = false;
  if (ok) {
    snprintf(t, sizeof t, "%.10sT00:00:00Z", f.s);
    ok = truce_time_parse(t, strlen(t), day_ms) == TRUCE_OK;
  }
  if (!ok)
    seterr(why, TRUCE_EPARSE,
           "column acq_date: '%s' is not a date (YYYY-MM-DD)", show(f, s));
  return ok;
}

/* acq_time: HHMM UTC, leading zeros possibly lost ("5" is 00:05, "745"
 * 07:45). */
static bool time_col(csv_field f, int64_t *ms, char *why) {
  char s[32];
  if (!all_digits(f) || f.len > 4) {
    seterr(why, TRUCE_EPARSE, "column acq_time: '%s' is not HHMM",
           show(f, s));
    return false;
  }
  int v = 0;
  for (size_t i = 0; i < f.len; i++)
    v = v * 10 + (f.s[i] - '0');
  int hh = v / 100, mm = v % 100;
  if (hh > 23 || mm > 59) {
    seterr(why, TRUCE_ERANGE, "column acq_time: '%s' is not a time of day "
                              "(HHMM, 0000 to 2359)",
           show(f, s));
    return false;
  }
  *ms = ((int64_t)hh * 60 + mm) * 60000;
  return true;
}

/* Short words (satellite): 1 to 16 of A-Z a-z 0-9 - _ . */
static bool word_ok(csv_field f) {
  if (f.len == 0 || f.len > 16)
    return false;
  for (size_t i = 0; i < f.len; i++) {
    char c = f.s[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}

/* The header: which field holds which column. */
static truce_err header(firms *F, const csv_field *f, size_t n, char *err) {
  for (int c = 0; c < NCOL; c++)
    F->idx[c] = -1;
  F->ncols = n;
  for (size_t i = 0; i < n; i++) {
    csv_field h = f[i];
    while (h.len && (h.s[0] == ' ' || h.s[0] == '\t'))
      h.s++, h.len--;
    while (h.len && (h.s[h.len - 1] == ' ' || h.s[h.len - 1] == '\t'))
      h.len--;
    for (int c = 0; c < NCOL; c++) {
      if (!csv_eq(h, col_name[c]))
        continue;
      if (F->idx[c] >= 0)
        return seterr(err, TRUCE_EPARSE,
                      "header: column '%s' appears twice (fields %d and %zu)",
                      col_name[c], F->idx[c] + 1, i + 1);
      F->idx[c] = (int)i;
    }
  }
  static const enum col required[] = {C_LAT, C_LON, C_DATE};
  for (size_t i = 0; i < sizeof required / sizeof *required; i++)
    if (F->idx[required[i]] < 0)
      return seterr(err, TRUCE_EPARSE,
                    "header: no column '%s' (a FIRMS file has latitude, "
                    "longitude and acq_date)",
                    col_name[required[i]]);
  bool viirs = F->idx[C_TI4] >= 0 || F->idx[C_TI5] >= 0;
  bool modis = F->idx[C_BRIGHT] >= 0 || F->idx[C_T31] >= 0;
  if (viirs && modis)
    return seterr(err, TRUCE_EPARSE,
                  "header: both VIIRS (bright_ti4/bright_ti5) and MODIS "
                  "(brightness/bright_t31) columns");
  F->header_instr = viirs ? I_VIIRS : modis ? I_MODIS : I_NONE;
  return TRUCE_OK;
}

/* One data row into F->o; false with why on refusal. */
static bool row(firms *F, const csv_field *f, size_t n, uint64_t line,
                char *why) {
  char s[32];
  if (n != F->ncols) {
    seterr(why, TRUCE_EPARSE, "%zu column%s, the header has %zu", n,
           n == 1 ? "" : "s", F->ncols);
    return false;
  }
  csv_field v[NCOL];
  for (int c = 0; c < NCOL; c++) {
    if (F->idx[c] < 0) {
      v[c].s = NULL;
      v[c].len = 0;
      continue;
    }
    v[c] = f[F->idx[c]];
    /* Every column FIRMS always fills must be filled: an empty one is a
     * damaged row (often the truncated last line of a download). */
    if (v[c].len == 0 && c != C_VERSION && c != C_TYPE) {
      seterr(why, TRUCE_EPARSE, "column %s: empty", col_name[c]);
      return false;
    }
  }
  double lat, lon;
  int dlat = 0, dlon = 0;
  if (!num_col(v[C_LAT], C_LAT, -90, false, 90, &lat, &dlat, why) ||
      !num_col(v[C_LON], C_LON, -180, false, 180, &lon, &dlon, why))
    return false;
  int64_t day, tod = 0;
  if (!date_col(v[C_DATE], &day, why))
    return false;
  bool has_time = F->idx[C_TIME] >= 0;
  if (has_time && !time_col(v[C_TIME], &tod, why))
    return false;

  /* The instrument: its own column, else the header's brightness
   * columns, else (history files) the coordinates' decimals. */
  enum instr ins = F->header_instr;
  bool inferred = false;
  if (F->idx[C_INSTR] >= 0) {
    if (csv_eq(v[C_INSTR], "VIIRS"))
      ins = I_VIIRS;
    else if (csv_eq(v[C_INSTR], "MODIS"))
      ins = I_MODIS;
    else {
      seterr(why, TRUCE_EPARSE,
             "column instrument: '%s' is not VIIRS or MODIS",
             show(v[C_INSTR], s));
      return false;
    }
  } else if (ins == I_NONE && F->idx[C_CONF] >= 0) {
    /* The confidence's form tells: a number is MODIS, a letter VIIRS. */
    ins = all_digits(v[C_CONF]) ? I_MODIS : I_VIIRS;
  } else if (ins == I_NONE) {
    ins = (dlat > dlon ? dlat : dlon) >= 5 ? I_VIIRS : I_MODIS;
    inferred = true;
  }

  double scan = 0, track = 0;
  if (F->idx[C_SCAN] >= 0 &&
      !num_col(v[C_SCAN], C_SCAN, 0, true, PIXEL_MAX_KM, &scan, NULL, why))
    return false;
  if (F->idx[C_TRACK] >= 0 &&
      !num_col(v[C_TRACK], C_TRACK, 0, true, PIXEL_MAX_KM, &track, NULL,
               why))
    return false;
  double x;
  static const enum col kelvin[] = {C_TI4, C_TI5, C_BRIGHT, C_T31};
  for (size_t i = 0; i < sizeof kelvin / sizeof *kelvin; i++)
    if (F->idx[kelvin[i]] >= 0 &&
        !num_col(v[kelvin[i]], kelvin[i], 0, false, 1000, &x, NULL, why))
      return false;
  if (F->idx[C_FRP] >= 0 &&
      !num_col(v[C_FRP], C_FRP, 0, false, FRP_MAX_MW, &x, NULL, why))
    return false;

  /* Confidence: VIIRS low/nominal/high (l/n/h), MODIS 0-100. */
  char conf[8] = "";
  if (F->idx[C_CONF] >= 0) {
    csv_field c = v[C_CONF];
    if (ins == I_VIIRS) {
      if (csv_eq(c, "l") || csv_eq(c, "low"))
        strcpy(conf, "l");
      else if (csv_eq(c, "n") || csv_eq(c, "nominal"))
        strcpy(conf, "n");
      else if (csv_eq(c, "h") || csv_eq(c, "high"))
        strcpy(conf, "h");
      else {
        seterr(why, TRUCE_EPARSE,
               "column confidence: '%s' is not a VIIRS confidence (l, n "
               "or h)",
               show(c, s));
        return false;
      }
    } else {
      int k = 0;
      if (all_digits(c) && c.len <= 3)
        for (size_t i = 0; i < c.len; i++)
          k = k * 10 + (c.s[i] - '0');
      if (!all_digits(c) || c.len > 3 || k > 100) {
        seterr(why, TRUCE_EPARSE,
               "column confidence: '%s' is not a MODIS confidence (0 to "
               "100)",
               show(c, s));
        return false;
      }
      snprintf(conf, sizeof conf, "%d", k);
    }
  }
  if (F->idx[C_SAT] >= 0 && !word_ok(v[C_SAT])) {
    seterr(why, TRUCE_EPARSE,
           "column satellite: '%s' is not a satellite name (1 to 16 of "
           "A-Z a-z 0-9 - _ .)",
           show(v[C_SAT], s));
    return false;
  }
  const char *dn = NULL;
  if (F->idx[C_DAYNIGHT] >= 0) {
    if (csv_eq(v[C_DAYNIGHT], "D"))
      dn = "day";
    else if (csv_eq(v[C_DAYNIGHT], "N"))
      dn = "night";
    else {
      seterr(why, TRUCE_EPARSE, "column daynight: '%s' is not D or N",
             show(v[C_DAYNIGHT], s));
      return false;
    }
  }
  int type = 0;
  if (F->idx[C_TYPE] >= 0 && v[C_TYPE].len) {
    if (v[C_TYPE].len != 1 || v[C_TYPE].s[0] < '0' || v[C_TYPE].s[0] > '3') {
      seterr(why, TRUCE_EPARSE, "column type: '%s' is not 0, 1, 2 or 3",
             show(v[C_TYPE], s));
      return false;
    }
    type = v[C_TYPE].s[0] - '0';
  }

  truce_obs *o = &F->o;
  memset(o, 0, sizeof *o);
  o->what = TRUCE_WHAT_THERMAL_ANOMALY;
  o->count = 1;
  o->means = TRUCE_MEANS_SATELLITE;
  o->where_kind = TRUCE_WHERE_POINT;
  o->lat_deg = lat;
  o->lon_deg = lon;
  /* The pixel's larger side as the radius: it covers the pixel's
   * half-diagonal (0.71 of a side) with the rest as margin for
   * geolocation error. Scan and track (km) grow off nadir. */
  double side_m = ins == I_VIIRS ? VIIRS_PIXEL_M : MODIS_PIXEL_M;
  if (scan > 0 && track > 0)
    side_m = round(1000.0 * (scan > track ? scan : track));
  o->uncertainty_m = side_m;
  int64_t limit = F->sink->now_ms + TRUCE_FUTURE_MAX_MS;
  if (has_time) {
    o->t_ms = o->t_end_ms = day + tod;
    o->precision_s = 60; /* acq_time is given to the minute */
  } else {
    o->is_window = 1;
    o->t_ms = day;
    o->t_end_ms = day + 86400000 - 1; /* the whole UTC day */
  }
  if (o->t_end_ms > limit) {
    seterr(why, TRUCE_ERANGE, "column acq_date: %s%s%.*s is in the future",
           show(v[C_DATE], s), has_time ? " " : "",
           has_time ? (int)v[C_TIME].len : 0, has_time ? v[C_TIME].s : "");
    return false;
  }
  o->has_provenance = 1;
  strcpy(o->dataset, "firms");
  memcpy(o->file_sha256, F->sink->file_sha256, 32);
  o->row = line;
  /* The note, compactly: "VIIRS N conf h frp 3.2 night". */
  char *p = o->note;
  size_t cap = sizeof o->note, k = 0;
  k += (size_t)snprintf(p + k, cap - k, "%s",
                        ins == I_VIIRS ? "VIIRS" : "MODIS");
  if (inferred)
    k += (size_t)snprintf(p + k, cap - k, " (inferred from coordinate "
                                          "decimals)");
  if (F->idx[C_SAT] >= 0)
    k += (size_t)snprintf(p + k, cap - k, " %.*s", (int)v[C_SAT].len,
                          v[C_SAT].s);
  if (conf[0])
    k += (size_t)snprintf(p + k, cap - k, " conf %s", conf);
  if (F->idx[C_FRP] >= 0)
    k += (size_t)snprintf(p + k, cap - k, " frp %.*s", (int)v[C_FRP].len,
                          v[C_FRP].s);
  if (dn)
    k += (size_t)snprintf(p + k, cap - k, " %s", dn);
  if (type)
    k += (size_t)snprintf(p + k, cap - k, " type %d", type);
  (void)k;
  return true;
}

/* "line 12, field 3: ..." or "line 12: ..." from csv.c, without the
 * line (the sink gets it on its own). */
static const char *strip_line(const char *msg) {
  if (strncmp(msg, "line ", 5) != 0)
    return msg;
  const char *q = msg + 5;
  while (*q >= '0' && *q <= '9')
    q++;
  if (q[0] == ':' && q[1] == ' ')
    return q + 2;
  if (q[0] == ',' && q[1] == ' ')
    return q + 2;
  return msg;
}

truce_err import_firms(const char *data, size_t len, const import_sink *s,
                       char *err) {
  if (err)
    err[0] = '\0';
  firms *F = truce_malloc(sizeof *F);
  csv_field *f = truce_malloc(FIRMS_FIELDS_MAX * sizeof *f);
  if (!F || !f) {
    truce_free(F);
    truce_free(f);
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  }
  memset(F, 0, sizeof *F);
  F->sink = s;
  csv_reader r;
  csv_init(&r, data, len);
  char why[TRUCE_ERR_MAX];
  size_t n;
  truce_err rc = TRUCE_OK;
  int got = csv_next(&r, f, FIRMS_FIELDS_MAX, &n, why);
  if (got == CSV_END)
    rc = seterr(err, TRUCE_EPARSE, "empty file: no header line");
  else if (got == CSV_NOMEM)
    rc = seterr(err, TRUCE_ENOMEM, "out of memory");
  else if (got == CSV_BAD)
    rc = seterr(err, TRUCE_EPARSE, "header: %s", strip_line(why));
  else
    rc = header(F, f, n, err);
  if (s->progress)
    s->progress(s->ctx, 0, len);
  uint64_t rows = 0;
  while (!rc) {
    got = csv_next(&r, f, FIRMS_FIELDS_MAX, &n, why);
    if (got == CSV_END)
      break;
    if (got == CSV_NOMEM) {
      rc = seterr(err, TRUCE_ENOMEM, "out of memory");
      break;
    }
    /* A record that ends the file without a newline may be cut short. */
    bool cut = r.p == r.end && len > 0 && data[len - 1] != '\n';
    if (got == CSV_BAD) {
      s->reject(s->ctx, r.line, strip_line(why));
    } else if (!row(F, f, n, r.line, why)) {
      if (cut) {
        size_t k = strlen(why);
        snprintf(why + k, sizeof why - k,
                 " (the last line, with no newline at its end: is the "
                 "file truncated?)");
      }
      s->reject(s->ctx, r.line, why);
    } else if ((rc = s->emit(s->ctx, r.line, &F->o)) != TRUCE_OK) {
      break;
    }
    if (++rows % FIRMS_PROGRESS_ROWS == 0 && s->progress)
      s->progress(s->ctx, (uint64_t)(r.p - data), len);
  }
  if (!rc && s->progress)
    s->progress(s->ctx, len, len);
  csv_release(&r);
  truce_free(F);
  truce_free(f);
  return rc;
}
