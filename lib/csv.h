/*
 * csv.h: an RFC 4180 reader over a file held in memory, for the
 * importers (FIRMS, ACLED, UCDP GED, VIINA, the Bellingcat/CIR export).
 *
 * What it accepts: fields separated by commas; records ended by LF or
 * CRLF (a last record without one is still a record); a field in double
 * quotes may hold commas, newlines and "" for a quote; a UTF-8 byte order
 * mark at the very start is skipped. What it refuses, naming the line:
 * a quote inside an unquoted field, characters after a closing quote, a
 * quoted field still open at the end of the input, a record of more than
 * CSV_RECORD_MAX bytes or more fields than the caller can take. After a
 * refused record, reading goes on from the next line, so one bad row
 * costs one row.
 *
 * Owns: splitting and unquoting. Must not depend on what the columns
 * mean: the importers do that.
 */
#ifndef TRUCE_CSV_H
#define TRUCE_CSV_H

#include "internal.h"

#define CSV_RECORD_MAX (1u << 20) /* bytes of one record, quotes and all */

typedef struct csv_field {
  const char *s; /* not NUL-terminated */
  size_t len;
} csv_field;

typedef struct csv_reader {
  const char *p, *end;
  uint64_t line;      /* the line where the last record read starts */
  uint64_t next_line; /* where the next one starts */
  char *scratch;      /* unquoted copies of quoted fields */
  size_t scap;
} csv_reader;

/* Read data[0..len) (which must outlive the reader). */
void csv_init(csv_reader *r, const char *data, size_t len);
void csv_release(csv_reader *r);

enum { CSV_END = 0, CSV_RECORD = 1, CSV_BAD = -1, CSV_NOMEM = -2 };

/* The next record into f[0..max): CSV_RECORD with *n fields (valid until
 * the next call), CSV_END at the end of the input, CSV_BAD for a refused
 * record (err says why, r->line says where; call again to go on),
 * CSV_NOMEM. Lines that are empty (or hold only a CR) are skipped. */
int csv_next(csv_reader *r, csv_field *f, size_t max, size_t *n, char *err);

/* Convenience for converters: does field f equal the NUL-terminated s
 * (case-insensitively, ASCII)? */
bool csv_eq(csv_field f, const char *s);

#endif /* TRUCE_CSV_H */
