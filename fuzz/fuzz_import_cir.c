/*
 * fuzz_import_cir.c: libFuzzer target for import_cir (lib/import_cir.c);
 * the checks are in fuzz_import.h. Replays fuzz/corpus/import_cir/.
 */
#define FUZZ_CONVERTER import_cir
#define FUZZ_DATASET "cir"
#include "fuzz_import.h"
