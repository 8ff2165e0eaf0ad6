/*
 * fuzz_import_viina.c: libFuzzer target for import_viina (lib/import_viina.c);
 * the checks are in fuzz_import.h. Replays fuzz/corpus/import_viina/.
 */
#define FUZZ_CONVERTER import_viina
#define FUZZ_DATASET "viina"
#include "fuzz_import.h"
