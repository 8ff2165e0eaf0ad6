/*
 * tile.c: the names of c2sp.org/tlog-tiles resources: formatting and
 * strictly parsing "tile/<L>/<N>[.p/<W>]" and "tile/entries/<N>[.p/<W>]".
 *
 * Pure string work: it must not depend on files, hashes or the log. The
 * parser is the gate for paths that come from outside (a served folder, an
 * HTTP request), so it accepts exactly the strings truce_tile_path makes
 * and nothing else: one name per tile, never a second spelling that could
 * dodge a cache, a pruning rule or a comparison of two folders.
 */
#include "internal.h"

#include <stdio.h>

#define TILE_LEVEL_MAX 63
#define N_GROUPS_MAX 7 /* UINT64_MAX has 20 digits */

truce_err truce_tile_path(int level, uint64_t n, unsigned width,
                          char out[TRUCE_TILE_PATH_MAX]) {
  if (!out)
    return TRUCE_EINVAL;
  out[0] = '\0';
  if (level < TRUCE_TILE_ENTRIES || level > TILE_LEVEL_MAX ||
      width > TRUCE_TILE_WIDTH)
    return TRUCE_EINVAL;

  unsigned group[N_GROUPS_MAX];
  size_t ngroups = 0;
  do {
    group[ngroups++] = (unsigned)(n % 1000);
    n /= 1000;
  } while (n);

  /* The longest path, "tile/entries/" + 7 groups + ".p/255", is 53 bytes:
   * snprintf cannot truncate here. */
  size_t off = 0;
  int k = level == TRUCE_TILE_ENTRIES
              ? snprintf(out, TRUCE_TILE_PATH_MAX, "tile/entries/")
              : snprintf(out, TRUCE_TILE_PATH_MAX, "tile/%d/", level);
  off += (size_t)k;
  while (ngroups > 1) {
    k = snprintf(out + off, TRUCE_TILE_PATH_MAX - off, "x%03u/",
                 group[--ngroups]);
    off += (size_t)k;
  }
  k = snprintf(out + off, TRUCE_TILE_PATH_MAX - off, "%03u", group[0]);
  off += (size_t)k;
  if (width != 0 && width != TRUCE_TILE_WIDTH)
    snprintf(out + off, TRUCE_TILE_PATH_MAX - off, ".p/%u", width);
  return TRUCE_OK;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* A decimal with no leading zeros at *p, at most `max`; advances *p. */
static truce_err parse_small(const char **p, unsigned max, unsigned *out) {
  const char *s = *p;
  size_t len = 0;
  while (is_digit(s[len]) && len < 4)
    len++;
  if (len == 0 || (s[0] == '0' && len > 1))
    return TRUCE_EPARSE;
  if (is_digit(s[len])) /* more than 4 digits: out of any range here */
    return TRUCE_ERANGE;
  unsigned v = 0;
  for (size_t i = 0; i < len; i++)
    v = v * 10 + (unsigned)(s[i] - '0');
  if (v > max)
    return TRUCE_ERANGE;
  *p = s + len;
  *out = v;
  return TRUCE_OK;
}

static truce_err parse_path(const char *p, int *level, uint64_t *n,
                            unsigned *width) {
  if (strncmp(p, "tile/", 5) != 0)
    return TRUCE_EPARSE;
  p += 5;
  if (strncmp(p, "entries/", 8) == 0) {
    *level = TRUCE_TILE_ENTRIES;
    p += 8;
  } else {
    unsigned l;
    truce_err rc = parse_small(&p, TILE_LEVEL_MAX, &l);
    if (rc)
      return rc;
    if (*p++ != '/')
      return TRUCE_EPARSE;
    *level = (int)l;
  }

  /* N: "xDDD/" groups, then a final "DDD". */
  uint64_t v = 0;
  for (size_t g = 0;; g++) {
    bool more = p[0] == 'x';
    const char *d = more ? p + 1 : p;
    if (!is_digit(d[0]) || !is_digit(d[1]) || !is_digit(d[2]))
      return TRUCE_EPARSE;
    if (more && d[3] != '/')
      return TRUCE_EPARSE;
    unsigned part = (unsigned)(d[0] - '0') * 100 +
                    (unsigned)(d[1] - '0') * 10 + (unsigned)(d[2] - '0');
    /* A leading "x000/" would be a second spelling of the same N. */
    if (g == 0 && more && part == 0)
      return TRUCE_EPARSE;
    if (v > (UINT64_MAX - part) / 1000)
      return TRUCE_ERANGE;
    v = v * 1000 + part;
    p = d + 3;
    if (!more)
      break;
    p++; /* the '/' */
  }
  *n = v;

  *width = TRUCE_TILE_WIDTH;
  if (*p == '\0')
    return TRUCE_OK;
  if (strncmp(p, ".p/", 3) != 0)
    return TRUCE_EPARSE;
  p += 3;
  unsigned w;
  truce_err rc = parse_small(&p, TRUCE_TILE_WIDTH - 1, &w);
  if (rc)
    return rc;
  if (w == 0) /* empty tiles are never served */
    return TRUCE_ERANGE;
  if (*p != '\0')
    return TRUCE_EPARSE;
  *width = w;
  return TRUCE_OK;
}

truce_err truce_tile_path_parse(const char *path, int *level, uint64_t *n,
                                unsigned *width) {
  int l = 0;
  uint64_t v = 0;
  unsigned w = 0;
  truce_err rc = path ? parse_path(path, &l, &v, &w) : TRUCE_EINVAL;
  if (rc)
    l = 0, v = 0, w = 0;
  if (level)
    *level = l;
  if (n)
    *n = v;
  if (width)
    *width = w;
  return rc;
}
