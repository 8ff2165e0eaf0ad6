/*
 * output.c: what the commands that print findings or incidents share:
 * reading --from/--to, --bbox and --format, and writing records as JSON lines,
 * CSV (with its header), one GeoJSON FeatureCollection, or text.
 * Uses only truce.h.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int parse_when(const char *s, int64_t *t) {
  char buf[64];
  size_t n = strlen(s);
  if (n == 10) { /* a date: midnight UTC */
    snprintf(buf, sizeof buf, "%.10sT00:00:00Z", s);
    s = buf;
    n = strlen(buf);
  }
  return truce_time_parse(s, n, t) == TRUCE_OK ? 0 : -1;
}

static int parse_bbox(const char *s, double box[4]) {
  double v[4];
  char *end;
  for (int i = 0; i < 4; i++) {
    errno = 0;
    v[i] = strtod(s, &end);
    if (end == s || errno || !isfinite(v[i]) || (i < 3 && *end != ',') ||
        (i == 3 && *end))
      return -1;
    s = end + 1;
  }
  /* West east of east: the box crosses the antimeridian. */
  if (!(v[1] <= v[3]) || v[1] < -90 || v[3] > 90 || v[0] < -180 ||
      v[0] > 180 || v[2] < -180 || v[2] > 180)
    return -1;
  memcpy(box, v, sizeof v);
  return 0;
}

int opt_bbox(const opts *o, int *has, double *west, double *south,
             double *east, double *north) {
  const char *v = opt(o, "--bbox");
  double box[4];
  if (!v)
    return 0;
  if (parse_bbox(v, box))
    return fail_rc(TRUCE_EINVAL, "--bbox: '%s' is not WEST,SOUTH,EAST,NORTH "
                                 "in degrees (south <= north; west > east "
                                 "crosses the antimeridian)",
                   v);
  *has = 1;
  *west = box[0];
  *south = box[1];
  *east = box[2];
  *north = box[3];
  return 0;
}

int parse_format(const char *fmt, int *out) {
  *out = TRUCE_FORMAT_JSONL;
  if (!fmt || strcmp(fmt, "jsonl") == 0)
    return 0;
  if (strcmp(fmt, "csv") == 0)
    *out = TRUCE_FORMAT_CSV;
  else if (strcmp(fmt, "geojson") == 0)
    *out = TRUCE_FORMAT_GEOJSON;
  else if (strcmp(fmt, "text") == 0)
    *out = TRUCE_FORMAT_TEXT;
  else
    return -1;
  return 0;
}

void sink_begin(out_sink *k, const char *csv_header) {
  if (k->format == TRUCE_FORMAT_CSV)
    fputs(csv_header, k->f);
  if (k->format == TRUCE_FORMAT_GEOJSON)
    fputs("{\"type\":\"FeatureCollection\",\"features\":[\n", k->f);
}

void sink_record(out_sink *k) {
  k->line.len = 0;
  if (k->format == TRUCE_FORMAT_GEOJSON && k->n)
    truce_buf_append(&k->line, ",\n", 2);
}

int sink_write(out_sink *k, truce_err formatted) {
  if (formatted != TRUCE_OK ||
      fwrite(k->line.data, 1, k->line.len, k->f) != k->line.len) {
    k->failed = 1;
    return 1;
  }
  k->n++;
  return 0;
}

void sink_end(out_sink *k) {
  if (k->format == TRUCE_FORMAT_GEOJSON)
    fputs("\n]}\n", k->f);
}
