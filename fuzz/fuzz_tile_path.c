/*
 * fuzz_tile_path.c: libFuzzer target for the tile path parser and
 * formatter (lib/tile.c). Any string that parses must format back to
 * itself byte for byte (one spelling per tile); any string that does not
 * must be refused with EPARSE or ERANGE and zeroed outputs. The input's
 * first bytes are also read as (level, index, width) to check the other
 * direction: whatever formats must parse back to the same values.
 * abort() on any mismatch, so libFuzzer reports it.
 */
#include "truce.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_then_format(const uint8_t *data, size_t size) {
  if (memchr(data, 0, size)) /* a C string ends at the first NUL */
    return;
  char *in = malloc(size + 1);
  if (!in)
    return;
  memcpy(in, data, size);
  in[size] = '\0';
  int level = 7;
  uint64_t n = 7;
  unsigned width = 7;
  truce_err rc = truce_tile_path_parse(in, &level, &n, &width);
  if (rc != TRUCE_OK) {
    if (rc != TRUCE_EPARSE && rc != TRUCE_ERANGE)
      abort();
    if (level != 0 || n != 0 || width != 0)
      abort();
    free(in);
    return;
  }
  if (level < TRUCE_TILE_ENTRIES || level > 63 || width < 1 || width > 256)
    abort();
  char out[TRUCE_TILE_PATH_MAX];
  if (truce_tile_path(level, n, width, out) != TRUCE_OK)
    abort();
  if (strlen(out) != size || memcmp(out, in, size) != 0)
    abort();
  free(in);
}

static void format_then_parse(const uint8_t *data, size_t size) {
  if (size < 11)
    return;
  int level = (int)(data[0] % 66) - 1; /* -1 .. 64: 64 must be refused */
  unsigned width = (unsigned)(data[1] | (data[2] & 1) << 8); /* 0 .. 511 */
  uint64_t n = 0;
  for (int i = 0; i < 8; i++)
    n = n << 8 | data[3 + i];
  char out[TRUCE_TILE_PATH_MAX];
  truce_err rc = truce_tile_path(level, n, width, out);
  if (level > 63 || width > 256) {
    if (rc != TRUCE_EINVAL || out[0] != '\0')
      abort();
    return;
  }
  if (rc != TRUCE_OK || strlen(out) >= TRUCE_TILE_PATH_MAX)
    abort();
  int l;
  uint64_t m;
  unsigned w;
  if (truce_tile_path_parse(out, &l, &m, &w) != TRUCE_OK)
    abort();
  if (l != level || m != n || w != (width == 0 ? 256 : width))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  parse_then_format(data, size);
  format_then_parse(data, size);
  return 0;
}
