/*
 * fuzz_import_geojson.c: libFuzzer target for import_geojson
 * (lib/import_geojson.c); the checks are in fuzz_import.h. Replays
 * fuzz/corpus/import_geojson/.
 */
#define FUZZ_CONVERTER import_geojson
#define FUZZ_DATASET "geojson"
#include "fuzz_import.h"
