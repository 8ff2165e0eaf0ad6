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

/* Read "lon lat" lines from standard input and call fn for each point;
 * stops at the first bad line (named) or the first non-zero return.
 * Returns the exit code. */
static int each_point(int (*fn)(void *ctx, double lon, double lat,
                                unsigned long n),
                      void *ctx) {
  char line[GEO_LINE_MAX];
  unsigned long n = 0;
  int code = 0;
  while (!code && fgets(line, sizeof line, stdin)) {
    n++;
    size_t len = strlen(line);
    if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(stdin))
      return fail_rc(TRUCE_ETOOBIG,
                     "standard input line %lu: longer than %d bytes", n,
                     GEO_LINE_MAX - 1);
    double lon, lat;
    if (!parse_point(line, &lon, &lat))
      return fail_rc(TRUCE_EPARSE, "standard input line %lu: not 'lon lat'",
                     n);
    if (!isfinite(lon) || lon < -180 || lon > 180)
      return fail_rc(TRUCE_ERANGE,
                     "standard input line %lu: longitude %g out of range", n,
                     lon);
    if (!isfinite(lat) || lat < -90 || lat > 90)
      return fail_rc(TRUCE_ERANGE,
                     "standard input line %lu: latitude %g out of range", n,
                     lat);
    code = fn(ctx, lon, lat, n);
  }
  if (!code && ferror(stdin))
    code =
        fail_rc(TRUCE_EIO, "cannot read standard input: %s", strerror(errno));
  return code;
}

static int dist_one(void *ctx, double lon, double lat, unsigned long n) {
  const truce_geom *g = ctx;
  truce_geo_where w;
  truce_err rc = truce_geom_measure(g, lat, lon, &w);
  if (rc)
    return fail_rc(rc, "standard input line %lu: %s", n, truce_strerror(rc));
  printf("%.3f\t%s\n", w.dist_m, side_name(truce_geom_kind(g), w.side));
  return 0;
}

static int dist(const char *path) {
  char err[TRUCE_ERR_MAX];
  truce_geom *g;
  truce_err rc = truce_geom_load(path, &g, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  int code = each_point(dist_one, g);
  truce_geom_free(g);
  return finish(code);
}

static int which_one(void *ctx, double lon, double lat, unsigned long n) {
  const truce_areas *a = ctx;
  long i;
  truce_err rc = truce_areas_which(a, lat, lon, &i);
  if (rc)
    return fail_rc(rc, "standard input line %lu: %s", n, truce_strerror(rc));
  printf("%s\n", i < 0 ? "-" : truce_areas_name(a, (size_t)i));
  return 0;
}

static int which(const char *path, const char *property) {
  char err[TRUCE_ERR_MAX];
  truce_areas *a;
  truce_err rc = truce_areas_load(path, property, &a, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  int code = each_point(which_one, a);
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
