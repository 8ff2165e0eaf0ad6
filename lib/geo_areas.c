/*
 * geo_areas.c: a set of named areas (the features of a FeatureCollection:
 * oblasts, districts, zones), and which of them holds a point: "in which
 * oblast did this happen?" for reports that count per region.
 *
 * Owns: splitting a FeatureCollection into one truce_geom per feature,
 * their names and boxes. Each area is measured by geo.c; this file must
 * not know how.
 */
#include "internal.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>

#define AREAS_MAX 100000     /* features in one file */
#define AREAS_NAME_MAX 128   /* bytes of a name kept */
#define AREAS_FILE_MAX (512u << 20)
#define BOX_PAD_DEG 0.5

typedef struct area {
  truce_geom *g;
  char name[AREAS_NAME_MAX + 1];
  double box[4]; /* lon min, lat min, lon max, lat max; lon span > 180:
                    no box test (an area round a pole or the antimeridian) */
} area;

struct truce_areas {
  area *a;
  size_t n;
};

/* The box of every position under a coordinates array. */
static void box_of(json_t *c, double *box, int depth) {
  if (depth > 8 || !json_is_array(c))
    return;
  if (json_array_size(c) >= 2 && json_is_number(json_array_get(c, 0))) {
    double lon = json_number_value(json_array_get(c, 0));
    double lat = json_number_value(json_array_get(c, 1));
    box[0] = fmin(box[0], lon);
    box[1] = fmin(box[1], lat);
    box[2] = fmax(box[2], lon);
    box[3] = fmax(box[3], lat);
    return;
  }
  for (size_t i = 0; i < json_array_size(c); i++)
    box_of(json_array_get(c, i), box, depth + 1);
}

/* Copy at most AREAS_NAME_MAX bytes of s, cut at a UTF-8 boundary. */
static void copy_name(char *out, const char *s) {
  size_t n = strlen(s);
  if (n > AREAS_NAME_MAX) {
    n = AREAS_NAME_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
      n--;
  }
  memcpy(out, s, n);
  out[n] = '\0';
}

void truce_areas_free(truce_areas *a) {
  if (!a)
    return;
  for (size_t i = 0; i < a->n; i++)
    truce_geom_free(a->a[i].g);
  truce_free(a->a);
  truce_free(a);
}

static truce_err load_features(json_t *root, const char *path,
                               const char *property, truce_areas *out,
                               char *err) {
  json_t *f = json_object_get(root, "features");
  const char *type = json_string_value(json_object_get(root, "type"));
  if (!type || strcmp(type, "FeatureCollection") != 0 || !json_is_array(f))
    return seterr(err, TRUCE_EPARSE, "%s: not a GeoJSON FeatureCollection",
                  path);
  size_t n = json_array_size(f);
  if (n == 0)
    return seterr(err, TRUCE_EPARSE, "%s: features: empty", path);
  if (n > AREAS_MAX)
    return seterr(err, TRUCE_ETOOBIG, "%s: more than %d features", path,
                  AREAS_MAX);
  out->a = truce_calloc(n, sizeof *out->a);
  if (!out->a)
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    json_t *feat = json_array_get(f, i);
    json_t *geom = json_object_get(feat, "geometry");
    if (!json_is_object(geom))
      return seterr(err, TRUCE_EPARSE, "%s: features[%zu].geometry: not an "
                    "object", path, i);
    char *text = json_dumps(geom, JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (!text)
      return seterr(err, TRUCE_ENOMEM, "out of memory");
    char gerr[TRUCE_ERR_MAX];
    area *a = &out->a[out->n];
    truce_err rc = truce_geom_parse(text, strlen(text), &a->g, gerr);
    free(text);
    if (rc)
      return seterr(err, rc, "%s: features[%zu].geometry: %s", path, i, gerr);
    out->n++;
    if (truce_geom_kind(a->g) != TRUCE_GEOM_AREA)
      return seterr(err, TRUCE_EPARSE, "%s: features[%zu].geometry: not a "
                    "Polygon or MultiPolygon", path, i);
    a->box[0] = a->box[1] = INFINITY;
    a->box[2] = a->box[3] = -INFINITY;
    box_of(json_object_get(geom, "coordinates"), a->box, 0);
    json_t *v = json_object_get(json_object_get(feat, "properties"),
                                property ? property : "name");
    if (json_is_string(v))
      copy_name(a->name, json_string_value(v));
    else if (json_is_integer(v))
      snprintf(a->name, sizeof a->name, "%lld",
               (long long)json_integer_value(v));
    else
      snprintf(a->name, sizeof a->name, "features[%zu]", i);
  }
  return TRUCE_OK;
}

truce_err truce_areas_load(const char *path, const char *property,
                           truce_areas **out, char *err) {
  *out = NULL;
  json_error_t je;
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return seterr(err, TRUCE_ENOTFOUND, "cannot open '%s'", path);
  if (fseek(fp, 0, SEEK_END) == 0 && ftell(fp) > (long)AREAS_FILE_MAX) {
    fclose(fp);
    return seterr(err, TRUCE_ETOOBIG, "%s: larger than %u MB", path,
                  AREAS_FILE_MAX >> 20);
  }
  rewind(fp);
  json_t *root = json_loadf(fp, JSON_REJECT_DUPLICATES, &je);
  fclose(fp);
  if (!root)
    return seterr(err, TRUCE_EPARSE, "%s: line %d: %s", path, je.line,
                  je.text);
  truce_areas *a = truce_calloc(1, sizeof *a);
  if (!a) {
    json_decref(root);
    return seterr(err, TRUCE_ENOMEM, "out of memory");
  }
  truce_err rc = load_features(root, path, property, a, err);
  json_decref(root);
  if (rc) {
    truce_areas_free(a);
    return rc;
  }
  *out = a;
  return TRUCE_OK;
}

size_t truce_areas_count(const truce_areas *a) { return a ? a->n : 0; }

const char *truce_areas_name(const truce_areas *a, size_t i) {
  return a && i < a->n ? a->a[i].name : NULL;
}

truce_err truce_areas_which(const truce_areas *a, double lat_deg,
                            double lon_deg, long *index) {
  *index = -1;
  if (!isfinite(lat_deg) || !isfinite(lon_deg) || lat_deg < -90 ||
      lat_deg > 90 || lon_deg < -180 || lon_deg > 180)
    return TRUCE_ERANGE;
  for (size_t i = 0; i < a->n; i++) {
    const area *ar = &a->a[i];
    /* A quick test against the box of the vertices grown by BOX_PAD_DEG:
     * geodesic edges bow out of the box of their ends (by 220 m for a
     * 100 km edge at 48 degrees, 5 km for 500 km), never by that much for
     * edges under about 1,500 km. Areas that reach past 80 degrees of
     * latitude or span more than 180 of longitude are always measured. */
    bool boxed = ar->box[2] - ar->box[0] <= 180 && ar->box[1] > -80 &&
                 ar->box[3] < 80;
    if (boxed && (lat_deg < ar->box[1] - BOX_PAD_DEG ||
                  lat_deg > ar->box[3] + BOX_PAD_DEG ||
                  lon_deg < ar->box[0] - BOX_PAD_DEG ||
                  lon_deg > ar->box[2] + BOX_PAD_DEG))
      continue;
    truce_geo_where w;
    truce_err rc = truce_geom_measure(ar->g, lat_deg, lon_deg, &w);
    if (rc)
      return rc;
    if (w.side >= 0) {
      *index = (long)i;
      return TRUCE_OK;
    }
  }
  return TRUCE_OK;
}
