/*
 * cmd_geo.c: `truce geo dist FILE.geojson`: the distance and side of
 * points, read as "lon lat" lines on standard input, from a line or an
 * area: the question analysts ask all day, and a way for anyone to check
 * truce's geometry against their own tools. `truce geo which
 * AREAS.geojson`: the region (oblast, district) holding each point.
 * Uses only truce.h.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GEO_LINE_MAX 1024 /* one input line, with its newline */

static const char *side_name(int kind, int side) {
  if (side == 0)
    return "on";
  if (kind == TRUCE_GEOM_LINE)
    return side > 0 ? "left" : "right";
  return side > 0 ? "inside" : "outside";
}

/* "lon lat", separated and surrounded by blanks; false if not that. */
static bool parse_point(const char *s, double *lon, double *lat) {
  char *end;
  errno = 0;
  *lon = strtod(s, &end);
  if (end == s || (*end != ' ' && *end != '\t'))
    return false;
  s = end;
  *lat = strtod(s, &end);
  if (end == s)
    return false;
  while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
    end++;
  return *end == '\0';
}

/* Points are answered in batches: all the complete lines one read()
 * returns (a terminal or a pipe gives what has been written so far, so a
 * person typing gets each answer at once; a file gives up to the
 * buffer). A batch goes to truce_geom_measure_many, which measures a
 * large set faster than one point at a time. */
#define GEO_READ_MAX (1u << 20)
#define GEO_BATCH_MAX (GEO_READ_MAX / 4) /* a point is at least "0 0\n" */

typedef struct batch {
  double *lon, *lat;
  size_t n;
  unsigned long first; /* the input line of the first point */
} batch;

/* Answer the points of a batch; returns the exit code. */
typedef int (*batch_fn)(void *ctx, const batch *b);

/* Check one line (no newline, NUL-terminated) and add its point to b, or
 * fail naming it. */
static int take_line(char *line, unsigned long n, batch *b) {
  double lon, lat;
  if (!parse_point(line, &lon, &lat))
    return fail_rc(TRUCE_EPARSE, "standard input line %lu: not 'lon lat'", n);
  if (!isfinite(lon) || lon < -180 || lon > 180)
    return fail_rc(TRUCE_ERANGE,
                   "standard input line %lu: longitude %g out of range", n,
                   lon);
  if (!isfinite(lat) || lat < -90 || lat > 90)
    return fail_rc(TRUCE_ERANGE,
                   "standard input line %lu: latitude %g out of range", n,
                   lat);
  b->lon[b->n] = lon;
  b->lat[b->n++] = lat;
  return 0;
}

/* Read "lon lat" lines from standard input and answer them in batches;
 * stops at the first bad line (named, after answering the lines before
 * it) or the first failing batch. Returns the exit code. */
static int each_point(batch_fn fn, void *ctx) {
  char *buf = malloc(GEO_READ_MAX + 1);
  batch b = {malloc(GEO_BATCH_MAX * sizeof(double)),
             malloc(GEO_BATCH_MAX * sizeof(double)), 0, 1};
  if (!buf || !b.lon || !b.lat) {
    free(buf);
    free(b.lon);
    free(b.lat);
    return fail_rc(TRUCE_ENOMEM, "out of memory");
  }
  size_t len = 0;
  unsigned long n = 0; /* lines taken */
  int code = 0;
  bool eof = false;
  while (!code && !eof) {
    ssize_t got = read(STDIN_FILENO, buf + len, GEO_READ_MAX - len);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      code = fail_rc(TRUCE_EIO, "cannot read standard input: %s",
                     strerror(errno));
      break;
    }
    eof = got == 0;
    len += (size_t)got;
    /* Every complete line, and at the end a last one without its
     * newline. */
    size_t at = 0;
    b.n = 0;
    b.first = n + 1;
    while (!code) {
      char *nl = memchr(buf + at, '\n', len - at);
      size_t end = nl ? (size_t)(nl - buf) : len;
      if (end - at >= GEO_LINE_MAX - 1 + (nl == NULL)) {
        code = fail_rc(TRUCE_ETOOBIG,
                       "standard input line %lu: longer than %d bytes", n + 1,
                       GEO_LINE_MAX - 1);
        break;
      }
      if (!nl && (!eof || end == at))
        break;
      buf[end] = '\0';
      if (b.n == GEO_BATCH_MAX) { /* (cannot happen: a line has 4 bytes) */
        code = fn(ctx, &b);
        b.n = 0;
        b.first = n + 1;
        if (code)
          break;
      }
      code = take_line(buf + at, ++n, &b);
      at = end + (nl != NULL);
    }
    /* The lines before a bad one are answered first. */
    if (b.n) {
      int c2 = fn(ctx, &b);
      code = code ? code : c2;
    }
    memmove(buf, buf + at, len - at);
    len -= at;
  }
  free(buf);
  free(b.lon);
  free(b.lat);
  return code;
}

static int dist_batch(void *ctx, const batch *b) {
  const truce_geom *g = ctx;
  truce_geo_where *w = malloc(b->n * sizeof *w);
  truce_err *e = malloc(b->n * sizeof *e);
  if (!w || !e) {
    free(w);
    free(e);
    return fail_rc(TRUCE_ENOMEM, "out of memory");
  }
  truce_err rc = truce_geom_measure_many(g, b->n, b->lat, b->lon, w, e);
  int code = 0;
  if (rc == TRUCE_ENOMEM || rc == TRUCE_EINVAL)
    code = fail_rc(rc, "%s", truce_strerror(rc));
  for (size_t i = 0; !code && i < b->n; i++) {
    if (e[i]) {
      code = fail_rc(e[i], "standard input line %lu: %s",
                     b->first + (unsigned long)i, truce_strerror(e[i]));
      break;
    }
    printf("%.3f\t%s\n", w[i].dist_m, side_name(truce_geom_kind(g), w[i].side));
  }
  free(w);
  free(e);
  fflush(stdout);
  return code;
}

static int dist(const char *path) {
  char err[TRUCE_ERR_MAX];
  truce_geom *g;
  truce_err rc = truce_geom_load(path, &g, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  int code = each_point(dist_batch, g);
  truce_geom_free(g);
  return finish(code);
}

static int which_batch(void *ctx, const batch *b) {
  const truce_areas *a = ctx;
  for (size_t k = 0; k < b->n; k++) {
    long i;
    truce_err rc = truce_areas_which(a, b->lat[k], b->lon[k], &i);
    if (rc)
      return fail_rc(rc, "standard input line %lu: %s",
                     b->first + (unsigned long)k, truce_strerror(rc));
    printf("%s\n", i < 0 ? "-" : truce_areas_name(a, (size_t)i));
  }
  fflush(stdout);
  return 0;
}

static int which(const char *path, const char *property) {
  char err[TRUCE_ERR_MAX];
  truce_areas *a;
  truce_err rc = truce_areas_load(path, property, &a, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  int code = each_point(which_batch, a);
  truce_areas_free(a);
  return finish(code);
}

int cmd_geo(int argc, char **argv) {
  bool is_dist = argc >= 2 && strcmp(argv[1], "dist") == 0;
  bool is_which = argc >= 2 && strcmp(argv[1], "which") == 0;
  if (!is_dist && !is_which) {
    if (argc >= 2 && argv[1][0] != '-')
      fprintf(stderr, "truce geo: unknown subcommand '%s'\n", argv[1]);
    return usage("geo");
  }
  static const char *const valued[] = {"--property", NULL};
  opts o;
  if (!parse_opts("geo", argc - 1, argv + 1, is_which ? valued : NULL, NULL,
                  &o))
    return EXIT_USAGE;
  if (o.npos != 1)
    return usage("geo");
  return is_dist ? dist(o.pos[0]) : which(o.pos[0], opt(&o, "--property"));
}
