#!/bin/sh
# bench.sh BUILD: run the benchmarks (a table, not a test). Scratch data
# goes under BUILD/bench-tmp, on the same disk as the project.
set -eu
B=${1:-build}
echo "truce benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores"
"$B/bench/bench_log" "$B/bench-tmp" "${RUNS:-5}"
scripts/bench-geo.sh "$B"
