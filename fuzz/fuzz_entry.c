/*
 * fuzz_entry.c: the log's own text formats, from bytes an attacker could
 * place in a mirrored folder or a submission: signed entries (and streams
 * of them), the source registration payload, log.info and the registry
 * snapshot var/state. None may crash; a registration that parses must
 * format and parse back to the same text.
 */
#include "store.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  char err[TRUCE_ERR_MAX];

  /* A stream of signed entries, each parsed and its lines walked. */
  size_t off = 0;
  const char *e;
  size_t n;
  for (int k = 0; k < 64 && truce_entries_next(s, size, &off, &e, &n, err) ==
                                TRUCE_OK;
       k++) {
    truce_entry ent;
    if (truce_entry_parse(e, n, &ent, err) == TRUCE_OK) {
      for (size_t i = 0; i < ent.nlines; i++) {
        const char *line;
        size_t len;
        if (truce_entry_line(&ent, i, &line, &len) != TRUCE_OK)
          abort(); /* nlines said it was there */
      }
      entry_check_payload(&ent, err);
    }
  }
  truce_entry whole;
  truce_entry_parse(s, size, &whole, err);

  /* A registration payload round-trips through its canonical form. */
  truce_source src;
  if (truce_source_parse(s, size, &src, err) == TRUCE_OK) {
    truce_buf a, b;
    truce_buf_init(&a, 1 << 16);
    truce_buf_init(&b, 1 << 16);
    truce_source again;
    if (truce_source_format(&src, &a) != TRUCE_OK ||
        truce_source_parse(a.data, a.len, &again, err) != TRUCE_OK ||
        truce_source_format(&again, &b) != TRUCE_OK || a.len != b.len ||
        memcmp(a.data, b.data, a.len) != 0)
      abort();
    truce_buf_release(&a);
    truce_buf_release(&b);
  }

  truce_log_info info;
  log_info_parse(s, size, &info, err);

  registry r;
  registry_init(&r);
  uint64_t sz;
  uint8_t root[32];
  registry_load(&r, s, size, &sz, root, err);
  registry_release(&r);
  return 0;
}
