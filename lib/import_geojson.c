/*
 * import_geojson.c: a GeoJSON FeatureCollection (RFC 7946) of Point
 * features whose properties are observation fields in the vocabulary of
 * docs/observation.md, as observations. Each feature becomes one
 * observation line ({"what": ..., "where": {"lat", "lon", ...}, ...})
 * that truce_obs_parse then checks, so a property means here exactly
 * what the field means in a submitted observation, with the same
 * messages. The row of an observation is its feature's 1-based index in
 * `features`.
 *
 * Properties: id, what, count, count_approx, time, precision_s, window
 * (or from + to), uncertainty_m, weapon (an object, or a class word),
 * class, calibre_mm, system, serials, site, fire, means, evidence, place,
 * note. The simplestyle properties that map editors add (title,
 * description, marker-*, stroke*, fill*) are ignored; any other is
 * refused, as a misspelt field would otherwise be lost.
 *
 * Owns: the mapping from a feature to an observation line. Depends on
 * jansson (the project's reader of large JSON documents, as geo.c), on
 * truce_obs_parse and on import_util.c; must not depend on the log.
 */
#include "import_util.h"

#include <jansson.h>
#include <stdlib.h>
#include <stdio.h>

/* Copied as they are into the observation line. */
static const char *const copied[] = {
    "id",      "what",    "count", "count_approx", "time", "precision_s",
    "window",  "serials", "site",  "fire",         "means", "evidence",
    NULL};
/* Ignored: what map editors write for styling (simplestyle-spec). */
static const char *const ignored[] = {
    "title",        "description",  "marker-size", "marker-symbol",
    "marker-color", "stroke",       "stroke-width", "stroke-opacity",
    "fill",         "fill-opacity", NULL};

static bool in_list(const char *k, const char *const *list) {
  for (size_t i = 0; list[i]; i++)
    if (strcmp(k, list[i]) == 0)
      return true;
  return false;
}

/* A text property cut to fit (note, place): cap bytes with the NUL. */
static int set_text(json_t *obs, const char *key, json_t *v, size_t cap) {
  if (!json_is_string(v))
    return json_object_set(obs, key, v); /* parse names the wrong type */
  char buf[TRUCE_OBS_TEXT_MAX + 1];
  imp_text t;
  imp_text_init(&t, buf, cap <= sizeof buf ? cap : sizeof buf);
  imp_text_add(&t, json_string_value(v), json_string_length(v));
  size_t n = strlen(buf);
  while (n && buf[n - 1] == ' ')
    buf[--n] = '\0';
  return json_object_set_new(obs, key, json_stringn(buf, n));
}

/* Make the observation object for feature i; on failure why says what is
 * wrong. Returns NULL on failure. */
static json_t *feature_obs(json_t *ft, size_t i, char *why, size_t whylen) {
  (void)i;
  if (!json_is_object(ft)) {
    snprintf(why, whylen, "not an object");
    return NULL;
  }
  json_t *type = json_object_get(ft, "type");
  if (!json_is_string(type) || strcmp(json_string_value(type), "Feature")) {
    snprintf(why, whylen, "type: not \"Feature\"");
    return NULL;
  }
  json_t *geom = json_object_get(ft, "geometry");
  json_t *gtype = json_object_get(geom, "type");
  if (!json_is_object(geom) || !json_is_string(gtype)) {
    snprintf(why, whylen, "geometry: missing (a Point is needed)");
    return NULL;
  }
  if (strcmp(json_string_value(gtype), "Point")) {
    char sh[TEXT_SHOW_MAX];
    snprintf(why, whylen, "geometry: a %s, not a Point",
             text_show(json_string_value(gtype), json_string_length(gtype),
                      sh));
    return NULL;
  }
  json_t *c = json_object_get(geom, "coordinates");
  if (!json_is_array(c) || json_array_size(c) < 2 ||
      json_array_size(c) > 3 || !json_is_number(json_array_get(c, 0)) ||
      !json_is_number(json_array_get(c, 1))) {
    snprintf(why, whylen,
             "geometry.coordinates: must be [lon, lat] (numbers)");
    return NULL;
  }
  double lon = json_number_value(json_array_get(c, 0));
  double lat = json_number_value(json_array_get(c, 1));
  if (!(lon >= -180 && lon <= 180)) {
    snprintf(why, whylen, "geometry.coordinates[0]: longitude %.17g is out "
             "of range [-180, 180]", lon);
    return NULL;
  }
  if (!(lat >= -90 && lat <= 90)) {
    snprintf(why, whylen, "geometry.coordinates[1]: latitude %.17g is out "
             "of range [-90, 90]", lat);
    return NULL;
  }
  json_t *props = json_object_get(ft, "properties");
  if (!json_is_object(props)) {
    snprintf(why, whylen, "properties: missing (what and time are needed)");
    return NULL;
  }
  if (!json_object_get(props, "what")) {
    snprintf(why, whylen, "properties.what: missing");
    return NULL;
  }
  if (!json_object_get(props, "time") && !json_object_get(props, "window") &&
      !json_object_get(props, "from")) {
    snprintf(why, whylen,
             "properties.time: missing (give time, window or from + to)");
    return NULL;
  }

  json_t *obs = json_object(), *where = json_object(), *weapon = json_object();
  json_t *window = NULL;
  if (!obs || !where || !weapon)
    goto nomem;
  if (json_object_set_new(where, "lat", json_real(lat)) ||
      json_object_set_new(where, "lon", json_real(lon)))
    goto nomem;
  const char *key;
  json_t *v;
  json_object_foreach(props, key, v) {
    int bad = 0;
    if (in_list(key, copied)) {
      bad = json_object_set(obs, key, v);
    } else if (!strcmp(key, "note")) {
      bad = set_text(obs, key, v, TRUCE_OBS_TEXT_MAX + 1);
    } else if (!strcmp(key, "place")) {
      bad = set_text(obs, key, v, TRUCE_OBS_ID_MAX * 2 + 1);
    } else if (!strcmp(key, "uncertainty_m")) {
      bad = json_object_set(where, key, v);
    } else if (!strcmp(key, "from") || !strcmp(key, "to")) {
      if (!window && !(window = json_object()))
        goto nomem;
      bad = json_object_set(window, key, v);
    } else if (!strcmp(key, "class") || !strcmp(key, "calibre_mm") ||
               !strcmp(key, "system")) {
      bad = json_object_set(weapon, key, v);
    } else if (!strcmp(key, "weapon")) {
      if (json_is_string(v)) {
        bad = json_object_set(weapon, "class", v);
      } else {
        bad = json_object_set(obs, key, v);
      }
    } else if (!in_list(key, ignored)) {
      char sh[TEXT_SHOW_MAX];
      snprintf(why, whylen,
               "properties: unknown field '%s' (see docs/observation.md)",
               text_show(key, strlen(key), sh));
      json_decref(obs);
      json_decref(where);
      json_decref(weapon);
      json_decref(window);
      return NULL;
    }
    if (bad)
      goto nomem;
  }
  if (json_object_size(weapon)) {
    if (json_object_get(obs, "weapon")) {
      snprintf(why, whylen, "properties: give weapon as an object or as "
               "class, calibre_mm and system, not both");
      json_decref(obs);
      json_decref(where);
      json_decref(weapon);
      json_decref(window);
      return NULL;
    }
    if (json_object_set(obs, "weapon", weapon))
      goto nomem;
  }
  if (window) {
    if (json_object_get(obs, "window")) {
      snprintf(why, whylen,
               "properties: give window or from + to, not both");
      json_decref(obs);
      json_decref(where);
      json_decref(weapon);
      json_decref(window);
      return NULL;
    }
    if (json_object_set(obs, "window", window))
      goto nomem;
  }
  /* The feature's own id, where the properties give none. */
  json_t *fid = json_object_get(ft, "id");
  if (fid && !json_object_get(obs, "id")) {
    if (json_is_string(fid)) {
      if (json_object_set(obs, "id", fid))
        goto nomem;
    } else if (json_is_integer(fid)) {
      char idbuf[32];
      snprintf(idbuf, sizeof idbuf, "%lld",
               (long long)json_integer_value(fid));
      if (json_object_set_new(obs, "id", json_string(idbuf)))
        goto nomem;
    }
  }
  if (json_object_set(obs, "where", where))
    goto nomem;
  json_decref(where);
  json_decref(weapon);
  json_decref(window);
  return obs;
nomem:
  snprintf(why, whylen, "out of memory");
  json_decref(obs);
  json_decref(where);
  json_decref(weapon);
  json_decref(window);
  return NULL;
}

truce_err import_geojson(const char *data, size_t len, const import_sink *s,
                         char *err) {
  if (!s || !s->emit || (!data && len))
    return seterr(err, TRUCE_EINVAL, "import: bad arguments");
  if (err)
    err[0] = '\0';
  json_error_t jerr;
  json_t *root = json_loadb(data ? data : "", len, JSON_REJECT_DUPLICATES,
                            &jerr);
  if (!root) {
    seterr(err, TRUCE_EPARSE, "not JSON: %s (line %d, column %d)",
           jerr.text, jerr.line, jerr.column);
    if (err)
      imp_clean_msg(err); /* jansson's message may quote the input */
    return TRUCE_EPARSE;
  }
  truce_err rc = TRUCE_OK;
  json_t *type = json_object_get(root, "type");
  json_t *features = json_object_get(root, "features");
  if (!json_is_object(root) || !json_is_string(type) ||
      strcmp(json_string_value(type), "FeatureCollection")) {
    rc = seterr(err, TRUCE_EPARSE, "type: not a GeoJSON FeatureCollection");
    goto done;
  }
  if (!json_is_array(features)) {
    rc = seterr(err, TRUCE_EPARSE, "features: missing (an array)");
    goto done;
  }
  size_t n = json_array_size(features);
  truce_obs *o = truce_malloc(sizeof *o);
  if (!o) {
    rc = seterr(err, TRUCE_ENOMEM, "import: out of memory");
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    char why[IMP_WHY_MAX], perr[TRUCE_ERR_MAX];
    uint64_t row = (uint64_t)i + 1;
    if (s->progress && i % 1024 == 1023)
      s->progress(s->ctx, (uint64_t)((double)len * (double)i / (double)n),
                  (uint64_t)len);
    json_t *obs = feature_obs(json_array_get(features, i), i, why,
                              sizeof why);
    if (!obs) {
      if (!strcmp(why, "out of memory")) {
        rc = seterr(err, TRUCE_ENOMEM, "features[%zu]: out of memory", i);
        break;
      }
      imp_reject(s, row, "features[%zu]: %s", i, why);
      continue;
    }
    char *line = json_dumps(obs, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(obs);
    if (!line) {
      rc = seterr(err, TRUCE_ENOMEM, "features[%zu]: out of memory", i);
      break;
    }
    truce_err prc = truce_obs_parse(line, strlen(line), s->now_ms, o, perr);
    free(line); /* jansson's allocation */
    if (prc == TRUCE_ENOMEM) {
      rc = seterr(err, TRUCE_ENOMEM, "features[%zu]: out of memory", i);
      break;
    }
    if (prc) {
      /* Not every message of the observation check is cleaned of the
       * input's control characters (serials): make sure here. */
      imp_clean_msg(perr);
      imp_reject(s, row, "features[%zu].properties: %s", i, perr);
      continue;
    }
    if ((rc = imp_emit(s, row, "geojson", "time", o)) != TRUCE_OK) {
      imp_stopped(err, rc, row);
      break;
    }
  }
  if (!rc && s->progress)
    s->progress(s->ctx, (uint64_t)len, (uint64_t)len);
  truce_free(o);
done:
  json_decref(root);
  return rc;
}
