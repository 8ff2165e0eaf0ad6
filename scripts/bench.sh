#!/bin/sh
# bench.sh BUILD: run the benchmarks (a table, not a test). Scratch data
# goes under BUILD/bench-tmp, on the same disk as the project.
set -eu
B=${1:-build}
echo "truce benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores"
"$B/bench/bench_log" "$B/bench-tmp" "${RUNS:-5}"
scripts/bench-geo.sh "$B"
FIRMS="${TRUCE_SHARED:-../shared}/data/firms/history/ukr_fire_data_2022.csv"
if [ -f "$FIRMS" ]; then
  "$B/bench/bench_import" "$B/bench-tmp-import" "${RUNS:-5}" "$FIRMS"
else
  echo "import: skipped: $FIRMS is absent (set TRUCE_SHARED)"
fi
scripts/bench-fuse.sh "$B"
