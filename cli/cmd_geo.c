/*
 * cmd_geo.c: `truce geo dist FILE.geojson`: the distance and side of
 * points, read as "lon lat" lines on standard input, from a line or an
 * area: the question analysts ask all day, and a way for anyone to check
 * truce's geometry against their own tools. Uses only truce.h.
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

static int dist(const char *path) {
  char err[TRUCE_ERR_MAX];
  truce_geom *g;
  truce_err rc = truce_geom_load(path, &g, err);
  if (rc)
    return fail_rc(rc, "%s", err);
  int kind = truce_geom_kind(g), code = 0;
  char line[GEO_LINE_MAX];
  unsigned long n = 0;
  while (fgets(line, sizeof line, stdin)) {
    n++;
    size_t len = strlen(line);
    if (len == sizeof line - 1 && line[len - 1] != '\n' && !feof(stdin)) {
      code = fail_rc(TRUCE_ETOOBIG,
                     "standard input line %lu: longer than %d bytes", n,
                     GEO_LINE_MAX - 1);
      break;
    }
    double lon, lat;
    if (!parse_point(line, &lon, &lat)) {
      code = fail_rc(TRUCE_EPARSE, "standard input line %lu: not 'lon lat'", n);
      break;
    }
    if (!isfinite(lon) || lon < -180 || lon > 180) {
      code =
          fail_rc(TRUCE_ERANGE,
                  "standard input line %lu: longitude %g out of range", n, lon);
      break;
    }
    if (!isfinite(lat) || lat < -90 || lat > 90) {
      code =
          fail_rc(TRUCE_ERANGE,
                  "standard input line %lu: latitude %g out of range", n, lat);
      break;
    }
    truce_geo_where w;
    rc = truce_geom_measure(g, lat, lon, &w);
    if (rc) {
      code = fail_rc(rc, "line %lu: %s", n, truce_strerror(rc));
      break;
    }
    printf("%.3f\t%s\n", w.dist_m, side_name(kind, w.side));
  }
  if (!code && ferror(stdin))
    code =
        fail_rc(TRUCE_EIO, "cannot read standard input: %s", strerror(errno));
  truce_geom_free(g);
  return finish(code);
}

int cmd_geo(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "dist") != 0) {
    if (argc >= 2 && argv[1][0] != '-')
      fprintf(stderr, "truce geo: unknown subcommand '%s'\n", argv[1]);
    return usage("geo");
  }
  opts o;
  if (!parse_opts("geo", argc - 1, argv + 1, NULL, NULL, &o))
    return EXIT_USAGE;
  if (o.npos != 1)
    return usage("geo");
  return dist(o.pos[0]);
}
