/*
 * import.h: between the import framework (import.c: reading the file,
 * its SHA-256, skipping rows already in the log, batching, signing,
 * counting) and the converters, one file per data set (import_firms.c,
 * import_acled.c, import_ucdp.c, import_viina.c, import_cir.c,
 * import_geojson.c), which turn a file's bytes into observations.
 *
 * A converter must not depend on the log: it reads bytes and calls the
 * sink, so it can be tested and fuzzed alone.
 */
#ifndef TRUCE_IMPORT_H
#define TRUCE_IMPORT_H

#include "internal.h"

typedef struct import_sink {
  /* An observation made from the row (or feature) at 1-based `line`;
   * o->has_provenance, o->dataset, o->file_sha256 and o->row are filled
   * by the converter (row = line). A non-zero return stops the
   * conversion with that code. */
  truce_err (*emit)(void *ctx, uint64_t line, const truce_obs *o);
  /* A row refused, with why ("column acq_time: '25x' is not HHMM").
   * It is skipped; conversion goes on. */
  void (*reject)(void *ctx, uint64_t line, const char *why);
  /* Progress: bytes of the file read so far (may be NULL). */
  void (*progress)(void *ctx, uint64_t done, uint64_t total);
  void *ctx;
  uint8_t file_sha256[32];
  int64_t now_ms; /* times after now + TRUCE_FUTURE_MAX_MS are refused */
} import_sink;

/* Each converter: data[0..len) is the whole file. Returns TRUCE_OK when
 * the file was read to its end (whatever rows were refused), an error
 * when the file as a whole cannot be read as that data set (err says
 * why: "header: no column 'latitude'"), or the sink's code. */
typedef truce_err (*import_convert_fn)(const char *data, size_t len,
                                       const import_sink *sink, char *err);

truce_err import_firms(const char *data, size_t len, const import_sink *s,
                       char *err);
truce_err import_acled(const char *data, size_t len, const import_sink *s,
                       char *err);
truce_err import_ucdp(const char *data, size_t len, const import_sink *s,
                      char *err);
truce_err import_viina(const char *data, size_t len, const import_sink *s,
                       char *err);
truce_err import_cir(const char *data, size_t len, const import_sink *s,
                     char *err);
truce_err import_geojson(const char *data, size_t len, const import_sink *s,
                         char *err);

#endif /* TRUCE_IMPORT_H */
