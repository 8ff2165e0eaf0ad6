/*
 * bench_obs.c: what checking one observation costs (a table, not a
 * test). The log parses, formats and compares every observation of every
 * batch it appends (entry_check_payload), so these are the per-line
 * costs behind the ingest benchmark, on the typical line of its signed
 * entries (about 170 of them per 64 KB entry):
 *
 *   json_loadb        jansson reading the line (what obs.c used before)
 *   json_parse        lib/json.c reading the line into its nodes
 *   truce_obs_parse   the whole parse: JSON, every field, every rule
 *   truce_obs_format  the canonical line
 *   truce_time_format one RFC 3339 time
 *   check             parse + format + byte comparison with the line
 *
 *   bench_obs [ITERATIONS] [RUNS]   (defaults 200000 and 5)
 *
 * Medians of RUNS runs, in microseconds per call, and the best run: on a
 * shared machine the best is the steadier estimate of the cost itself.
 */
#include "truce.h"
#include "bench.h"

#include "json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAXRUNS 15

static const char line[] =
    "{\"id\":\"CAM-1-0\",\"what\":\"projectile\",\"count\":1,\"time\":"
    "\"2026-11-25T12:00:00Z\",\"precision_s\":60,\"where\":{\"observer\":{"
    "\"lat\":47.0037,\"lon\":37.0091},\"bearing_deg\":7,\"spread_deg\":5,"
    "\"dist_min_m\":2000,\"dist_max_m\":4000},\"fire\":{\"from_deg\":11,"
    "\"spread_deg\":10},\"means\":\"camera\",\"evidence\":[{\"sha256\":"
    "\"9a1c5e7b3d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c\","
    "\"kind\":\"video\"}]}";

/* 2026-11-26T12:37:00Z: the line's time is in the past. */
#define NOW_MS INT64_C(1795696620000)



/* Sorts v. */

static void die(const char *what) {
  fprintf(stderr, "bench_obs: %s\n", what);
  exit(1);
}

enum { OP_JANSSON, OP_JSON, OP_PARSE, OP_FORMAT, OP_TIME, OP_CHECK, OP_N };

static const char *const op_name[OP_N] = {
    "json_loadb (jansson)", "json_parse",        "truce_obs_parse",
    "truce_obs_format",     "truce_time_format", "parse+format+compare"};

static json_doc doc;
static truce_obs obs;
static volatile size_t sink;

/* Seconds for n calls of op. */
static double run(int op, long n, truce_buf *b) {
  size_t len = strlen(line);
  char err[TRUCE_ERR_MAX], t[32];
  double t0 = now_s();
  for (long i = 0; i < n; i++) {
    switch (op) {
    case OP_JANSSON: {
      json_error_t je;
      json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
      sink += j != NULL;
      json_decref(j);
      break;
    }
    case OP_JSON:
      sink += json_parse(&doc, line, len) == TRUCE_OK;
      break;
    case OP_PARSE:
      sink += truce_obs_parse(line, len, NOW_MS, &obs, err) == TRUCE_OK;
      break;
    case OP_FORMAT:
      b->len = 0;
      sink += truce_obs_format(&obs, b) == TRUCE_OK;
      break;
    case OP_TIME:
      truce_time_format(NOW_MS + i, t);
      sink += (size_t)t[20];
      break;
    case OP_CHECK:
      b->len = 0;
      if (truce_obs_parse(line, len, NOW_MS, &obs, err) != TRUCE_OK ||
          truce_obs_format(&obs, b) != TRUCE_OK || b->len != len ||
          memcmp(b->data, line, len) != 0)
        die("the line is not canonical");
      break;
    }
  }
  return now_s() - t0;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000;
  int runs = argc > 2 ? atoi(argv[2]) : 5;
  if (n < 1 || runs < 1 || runs > MAXRUNS)
    die("usage: bench_obs [ITERATIONS] [RUNS (1-15)]");
  truce_buf b;
  truce_buf_init(&b, 1 << 16);
  char err[TRUCE_ERR_MAX];
  if (truce_obs_parse(line, strlen(line), NOW_MS, &obs, err) != TRUCE_OK)
    die(err);
  double t[OP_N][MAXRUNS];
  /* The operations alternate within each run, so that a noisy moment
   * falls on all of them alike. */
  for (int r = 0; r < runs; r++)
    for (int op = 0; op < OP_N; op++)
      t[op][r] = run(op, n, &b) / (double)n * 1e6;
  printf("one observation line (%zu bytes), %ld calls x %d runs, us per "
         "call\n  %-22s %8s %8s\n",
         strlen(line), n, runs, "", "median", "best");
  for (int op = 0; op < OP_N; op++) {
    double m = median(t[op], runs);
    printf("  %-22s %8.3f %8.3f\n", op_name[op], m, t[op][0]);
  }
  truce_buf_release(&b);
  return 0;
}
