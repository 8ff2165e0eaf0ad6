#!/bin/sh
# bench-geo.sh BUILD: truce's geometry beside PostGIS, in the same run.
# 1,000,000 points (GEO_POINTS) against the DeepState line of contact of
# 2025-04-15: geodesic distance, side, 25 km band. Starts its own
# PostgreSQL 15 + PostGIS as the postgres user (data folder and socket in
# a temporary folder, listening on 127.0.0.1 only, on a free port), times
# PostGIS (PG_RUNS runs, default 5) and truce (RUNS, default 11), prints
# medians, the ratios and the largest disagreement (and, where they
# differ by more than 1 m, asks PostGIS which is right), then stops the
# server and removes its folder. Without root or PostGIS, truce runs
# alone.
set -eu
B=${1:-build}
SHARED=${TRUCE_SHARED:-../shared}
FRONT="$SHARED/data/frontline/deepstate_cyterat/deepstatemap_data_20250415.geojson"
N=${GEO_POINTS:-1000000}
RUNS=${RUNS:-11}
PG_RUNS=${PG_RUNS:-5}
PGBIN=/usr/lib/postgresql/15/bin

echo "geo: distance to the line of contact, side and 25 km band, single thread"
if [ ! -f "$FRONT" ]; then
  echo "  skipped: $FRONT is absent (set TRUCE_SHARED)"
  exit 0
fi
echo "  line: DeepState 2025-04-15 (github cyterat/deepstate-map-data, GPL-3.0; DeepStateMap.Live)"

T=$(mktemp -d /tmp/truce-bench-geo.XXXXXX)
chmod 755 "$T"
started=""
cleanup() {
  if [ -n "$started" ]; then
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/data" -m fast -w stop \
      >/dev/null 2>&1 || true
  fi
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

"$B/bench/bench_geo" points "$FRONT" "$N" 20250415 "$T/points.csv" \
  "$T/front.json"

if [ "$(id -u)" != 0 ] || [ ! -x "$PGBIN/pg_ctl" ] ||
  [ ! -d /usr/share/postgresql/15/extension ] ||
  ! ls /usr/share/postgresql/15/extension/postgis.control >/dev/null 2>&1; then
  echo "  PostGIS: skipped (needs root and postgresql-15-postgis-3: make bench installs it)"
else
  # A free port on loopback.
  PORT=""
  for p in $(seq 55432 55532); do
    if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
      PORT=$p
      break
    fi
  done
  [ -n "$PORT" ] || { echo "  PostGIS: no free port" >&2; exit 1; }
  mkdir "$T/data" "$T/sock"
  chown postgres "$T/data" "$T/sock"
  runuser -u postgres -- "$PGBIN/initdb" -D "$T/data" -U postgres -A trust \
    --no-sync >/dev/null
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$T/data" -l "$T/data/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $T/sock -c fsync=off -c shared_buffers=512MB -c max_parallel_workers_per_gather=0 -c jit=off" \
    start >/dev/null
  started=1
  psql() {
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" \
      -U postgres -d postgres "$@"
  }
  psql -c "CREATE EXTENSION postgis" \
    -c "CREATE TABLE front_src (j text)" \
    -c "\\copy front_src FROM '$T/front.json' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')" \
    -c "CREATE TABLE front AS SELECT ST_GeomFromGeoJSON(j)::geography AS a, ST_Boundary(ST_GeomFromGeoJSON(j))::geography AS b FROM front_src" \
    -c "CREATE TABLE pts (id int PRIMARY KEY, lon float8, lat float8)" \
    -c "\\copy pts FROM '$T/points.csv' WITH (FORMAT csv)" \
    -c "ALTER TABLE pts ADD COLUMN g geography" \
    -c "UPDATE pts SET g = ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography" \
    -c "VACUUM ANALYZE pts"
  label="PostGIS $(psql -t -A -c 'SELECT postgis_lib_version()')"
  # The distance alone, as truce computes it: on the spheroid, to the
  # boundary (PG_RUNS runs).
  q="SELECT count(*), sum(ST_Distance(p.g, f.b)) FROM pts p, front f"
  times=""
  i=0
  tick=$(getconf CLK_TCK)
  while [ "$i" -lt "$PG_RUNS" ]; do
    # The server process's CPU ticks (utime + stime) before and after.
    t0=$(date +%s.%N)
    ticks=$(psql -t -A <<EOF
SELECT pg_backend_pid() AS pid \\gset
\\setenv PGPID :pid
\\! awk '{ print \$14 + \$15 }' /proc/\$PGPID/stat
$q;
\\! awk '{ print \$14 + \$15 }' /proc/\$PGPID/stat
EOF
)
    t1=$(date +%s.%N)
    cpu=$(printf '%s\n' "$ticks" | awk -v hz="$tick" 'NR == 1 { a = $1 } END { print ($1 - a) / hz }')
    times="$times $(awk "BEGIN { print $t1 - $t0 }")/$cpu"
    i=$((i + 1))
  done
  # The same work as truce, once, writing the answers to compare: the
  # distance, the side (the point intersects the area) and the band.
  t0=$(date +%s.%N)
  psql -c "\\copy (SELECT p.id, d, inside, d <= 25000 FROM (SELECT p.id, ST_Distance(p.g, f.b) AS d, ST_Intersects(f.a, p.g) AS inside FROM pts p, front f) p ORDER BY p.id) TO '$T/pg.csv' WITH (FORMAT csv)"
  t1=$(date +%s.%N)
  full=$(awk "BEGIN { print $t1 - $t0 }")
fi

if [ -n "$started" ]; then
  # shellcheck disable=SC2086
  "$B/bench/bench_geo" run "$FRONT" "$T/points.csv" "$RUNS" "$T/pg.csv" \
    "$T/disagree.csv" "$label" "$full" $times
  # PostGIS's own verdict where the two differ by more than 1 m.
  psql -c "CREATE TABLE dis (id int, lon float8, lat float8, nlon float8, nlat float8, td float8, pd float8)" \
    -c "\\copy dis FROM '$T/disagree.csv' WITH (FORMAT csv)" \
    -c "\\copy (SELECT id, td, pd, ST_Distance(ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography, ST_SetSRID(ST_MakePoint(nlon, nlat), 4326)::geography), ST_Distance(ST_SetSRID(ST_MakePoint(nlon, nlat), 4326)::geography, f.b) FROM dis, front f ORDER BY id) TO '$T/confirm.csv' WITH (FORMAT csv)"
  "$B/bench/bench_geo" confirm "$T/confirm.csv"
else
  "$B/bench/bench_geo" run "$FRONT" "$T/points.csv" "$RUNS"
fi
"$B/bench/bench_geo" scale "$FRONT" "$T/points.csv" 200000
