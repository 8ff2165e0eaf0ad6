/*
 * fuzz_import_ucdp.c: libFuzzer target for import_ucdp (lib/import_ucdp.c);
 * the checks are in fuzz_import.h. Replays fuzz/corpus/import_ucdp/.
 */
#define FUZZ_CONVERTER import_ucdp
#define FUZZ_DATASET "ucdp"
#include "fuzz_import.h"
