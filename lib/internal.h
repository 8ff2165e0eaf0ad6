/*
 * internal.h: what the library's files share and nothing outside lib/
 * may use: the one allocator (so tests can fail the Nth allocation), error
 * message helpers and small byte helpers.
 */
#ifndef TRUCE_INTERNAL_H
#define TRUCE_INTERNAL_H

#include "truce.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

/* All allocation goes through these (util.c). truce_free(NULL) is a no-op. */
void *truce_malloc(size_t n);
void *truce_calloc(size_t n, size_t size);
void *truce_realloc(void *p, size_t n);
void truce_free(void *p);

/* Write a message into err (TRUCE_ERR_MAX bytes; err may be NULL) and
 * return code. */
truce_err seterr(char *err, truce_err code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Prefix an existing message in err with "prefix: ". */
void errprefix(char *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Big-endian integers. */
static inline void put_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static inline uint16_t get_be16(const uint8_t *p) {
  return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}
static inline void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}
static inline uint32_t get_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}
static inline void put_be64(uint8_t *p, uint64_t v) {
  put_be32(p, (uint32_t)(v >> 32));
  put_be32(p + 4, (uint32_t)v);
}
static inline uint64_t get_be64(const uint8_t *p) {
  return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* Parse an unsigned decimal with no sign, no leading zeros (except "0"),
 * no overflow. Returns false on any violation. */
bool parse_u64(const char *s, size_t len, uint64_t *out);

/* True if the n bytes at s are valid UTF-8 with no control characters
 * other than (if allow_nl) newline. */
bool utf8_text_ok(const char *s, size_t n, bool allow_nl);

/* The source-revoke payload (entry.c): {"name": ..., "reason": ...};
 * name has TRUCE_NAME_MAX + 1 bytes, reason TRUCE_OBS_TEXT_MAX + 1. */
truce_err entry_revoke_parse(const char *json, size_t len, char *name,
                             char *reason, char *err);
truce_err entry_revoke_format(const char *name, const char *reason,
                              truce_buf *out);

/* A string as a JSON string (quotes, backslashes and control characters
 * escaped; the rest, UTF-8 included, as is), and as an RFC 4180 CSV field
 * (always quoted, quotes doubled), appended to b. */
truce_err buf_put_json_str(truce_buf *b, const char *s);
truce_err buf_put_csv_str(truce_buf *b, const char *s);

/* Input echoed into a message: at most ~60 bytes, cut on a character
 * boundary with "...", control characters (C0, DEL, C1) and bytes that
 * are not UTF-8 shown as '?', so that a hostile value cannot drive the
 * analyst's terminal or garble the message. Returns out. */
#define TEXT_SHOW_MAX 72
const char *text_show(const char *s, size_t n, char out[TEXT_SHOW_MAX]);

/* truth.jsonl (sim.c) from memory; name is the file's, for messages.
 * truce_sim_truth_load reads the file and calls it; the fuzz target
 * calls it directly. */
truce_err sim_truth_parse(const char *data, size_t len, const char *name,
                          truce_sim_truth **out, char *err);

/* The em dash that starts a signature line, in UTF-8. */
#define EM_DASH "\xe2\x80\x94"

#endif /* TRUCE_INTERNAL_H */
