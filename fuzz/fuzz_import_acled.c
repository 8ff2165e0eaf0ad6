/*
 * fuzz_import_acled.c: libFuzzer target for import_acled (lib/import_acled.c);
 * the checks are in fuzz_import.h. Replays fuzz/corpus/import_acled/.
 */
#define FUZZ_CONVERTER import_acled
#define FUZZ_DATASET "acled"
#include "fuzz_import.h"
