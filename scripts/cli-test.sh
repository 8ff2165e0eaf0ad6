#!/bin/sh
# cli-test.sh TRUCE: the truce command end to end: exit codes, messages
# that name the line and field, nothing written on refusal, tampering and
# split views caught. Each check prints nothing on success; failures are
# listed and the script exits 1.
set -u
T=${1:-build/truce}
case "$T" in /*) ;; *) T="$(pwd)/$T" ;; esac
W=$(mktemp -d /tmp/truce-cli.XXXXXX)
export TRUCE_KEYS="$W/keys"
fails=0
checks=0

# expect CODE PATTERN -- ARGS...: run truce, check the exit code and that
# stdout+stderr match the (grep -E) pattern.
expect() {
  code=$1 pat=$2
  shift 3
  checks=$((checks + 1))
  out=$("$T" "$@" 2>&1)
  got=$?
  if [ "$got" != "$code" ] || ! printf '%s' "$out" | grep -Eq -- "$pat"; then
    fails=$((fails + 1))
    printf 'FAIL: truce %s\n  want exit %s and /%s/, got exit %s:\n%s\n' \
      "$*" "$code" "$pat" "$got" "$out" | head -20 | sed 's/^/  /'
  fi
}
# same_files DIR DIGEST: the folder's files are unchanged.
digest() { (cd "$1" && find . -type f ! -name lock ! -name state | sort | xargs sha256sum | sha256sum); }
check_same() {
  checks=$((checks + 1))
  if [ "$(digest "$1")" != "$2" ]; then
    fails=$((fails + 1))
    echo "FAIL: $3: the log changed"
  fi
}

L="$W/log"
# flip FILE OFFSET: change the byte at OFFSET (to X, or to Y if it was X).
flip() {
  old=$(dd if="$1" bs=1 skip="$2" count=1 2>/dev/null)
  new=X
  [ "$old" = X ] && new=Y
  printf '%s' "$new" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
FUT=$(date -u -d '+30 min' +%Y-%m-%dT%H:%M:%SZ)
obs() { printf '{"what":"%s","time":"%s","where":{"lat":%s,"lon":37.7}}\n' "$1" "$2" "$3"; }

expect 64 'usage: truce COMMAND' -- 
expect 0 'submit' -- help
expect 0 'usage: truce submit' -- help submit
expect 0 '15  log data does not match' -- help exit-codes
expect 64 "'frobnicate' is not a truce command" -- frobnicate
expect 64 "unknown option '--bogus'" -- init "$L" --bogus
expect 0 'created log' -- init "$L" --origin cli.example/log
expect 18 'already holds a log|already exists' -- init "$L" --origin cli.example/log
expect 0 '^patrol-1\+[0-9a-f]{8}\+' -- keygen patrol-1
expect 18 'already exists' -- keygen patrol-1
expect 0 '' -- keygen camera-1
expect 4 'name' -- keygen 'bad name'
expect 0 'registered source patrol-1' -- source add "$L" --key "$TRUCE_KEYS/patrol-1.pub" --party mission --means audio,visual --reliability 0.8
expect 18 'already registered' -- source add "$L" --key "$TRUCE_KEYS/patrol-1.pub" --party mission --means audio --reliability 0.8
expect 7 "'smell' is not a means" -- source add "$L" --key "$TRUCE_KEYS/camera-1.pub" --party mission --means smell --reliability 0.8
expect 5 'reliability' -- source add "$L" --key "$TRUCE_KEYS/camera-1.pub" --party mission --means camera --reliability 1.5
expect 0 'registered source camera-1' -- source add "$L" --key "$TRUCE_KEYS/camera-1.pub" --party mission --means camera --reliability 0.9

obs explosion "$NOW" 48.1 >"$W/good.jsonl"
obs shots "$NOW" 48.2 >>"$W/good.jsonl"
expect 0 'appended 1 entry: 2\.\.2' -- submit "$L" --key patrol-1 "$W/good.jsonl"
expect 0 'observations: 2 \(cite as 2:POS\)' -- show "$L" 2
expect 0 'signature valid' -- show "$L" 2

# Refusals: code, line and field named, nothing written.
before=$(digest "$L")
{ obs explosion "$NOW" 48.1; obs explosion "$NOW" 91.5; } >"$W/bad-lat.jsonl"
expect 5 'bad-lat.jsonl: line 2: where.lat: 91.5 is out of range' -- submit "$L" --key patrol-1 "$W/bad-lat.jsonl"
{ obs explosion "$NOW" 48.1; echo '{"what":"explosion",'; } >"$W/bad-json.jsonl"
expect 4 'bad-json.jsonl: line 2: ' -- submit "$L" --key patrol-1 "$W/bad-json.jsonl"
obs explosoin "$NOW" 48.1 >"$W/bad-word.jsonl"
expect 7 'line 1: what: ' -- submit "$L" --key patrol-1 "$W/bad-word.jsonl"
obs explosion "$FUT" 48.1 >"$W/future.jsonl"
expect 5 'line 1: time: .*future' -- submit "$L" --key patrol-1 "$W/future.jsonl"
printf '{"what":"shots","count":-4,"time":"%s","where":{"lat":48,"lon":37}}\n' "$NOW" >"$W/neg.jsonl"
expect 5 'line 1: count: .*negative' -- submit "$L" --key patrol-1 "$W/neg.jsonl"
printf '{"what":"shots","time":"25/11/2026 10:00","where":{"lat":48,"lon":37}}\n' >"$W/time.jsonl"
expect 4 'line 1: time: ' -- submit "$L" --key patrol-1 "$W/time.jsonl"
expect 0 '' -- keygen stranger
expect 10 "'stranger' is not a registered source" -- submit "$L" --key stranger "$W/good.jsonl"
"$T" sign --key patrol-1 --seq 1 "$W/good.jsonl" >"$W/replay.signed" 2>/dev/null
expect 12 'sequence number 1 of .patrol-1. is replayed' -- submit "$L" --signed "$W/replay.signed"
"$T" sign --key patrol-1 --seq 7 "$W/good.jsonl" >"$W/gap.signed" 2>/dev/null
expect 12 'out of order \(expected 2\)' -- submit "$L" --signed "$W/gap.signed"
sed 's/explosion/EXPLOSION/' "$W/gap.signed" >"$W/forged.signed"
expect 9 'invalid signature|signature' -- submit "$L" --signed "$W/forged.signed"
awk 'BEGIN{for(i=0;i<100001;i++) print "{\"what\":\"shots\",\"time\":\"'"$NOW"'\",\"where\":{\"lat\":48,\"lon\":37}}"}' >"$W/huge.jsonl"
expect 6 '100000 observations|limit' -- submit "$L" --key patrol-1 "$W/huge.jsonl"
check_same "$L" "$before" "refused submissions"

# Revocation.
expect 0 'revoked source camera-1' -- source revoke "$L" camera-1 --reason 'camera destroyed'
expect 11 'revoked' -- submit "$L" --key camera-1 "$W/good.jsonl"
expect 0 'REVOKED at entry' -- source list "$L"

# A large submission is split into signed entries under 65,535 bytes.
awk 'BEGIN{for(i=0;i<1500;i++) printf "{\"what\":\"bursts\",\"count\":%d,\"time\":\"'"$NOW"'\",\"where\":{\"lat\":48.%04d,\"lon\":37.7,\"uncertainty_m\":100},\"note\":\"a patrol report line long enough to need several entries\"}\n", i%50+1, i}' >"$W/big.jsonl"
expect 0 'appended [0-9]+ entries' -- submit "$L" --key patrol-1 "$W/big.jsonl"
expect 0 'part +[0-9]+ of [2-9]' -- show "$L" 5

# Offline verification, proofs, consistency.
expect 0 'the whole log verifies' -- verify "$L"
cp "$L/checkpoint" "$W/cp1"
cp -a "$L" "$W/fork" # the same log, to be given a different future
obs damage "$NOW" 48.3 >"$W/more.jsonl"
expect 0 'appended 1 entry' -- submit "$L" --key patrol-1 "$W/more.jsonl"
cp "$L/checkpoint" "$W/cp2"
expect 0 'extends the one of' -- verify "$L" --consistency "$W/cp1" "$W/cp2" --key "$TRUCE_KEYS/cli.example%2Flog.pub"
expect 0 'entry 2 is included' -- verify "$L" --entry 2 --key "$TRUCE_KEYS/cli.example%2Flog.pub"
"$T" prove "$L" 2 >"$W/e2.proof"
"$T" show "$L" 2 --raw >"$W/e2"
expect 0 'is entry 2 of the log' -- verify --proof "$W/e2.proof" --entry-file "$W/e2" --key "$TRUCE_KEYS/cli.example%2Flog.pub"
"$T" show "$L" 3 --raw >"$W/e3"
expect 13 'does not match the proof' -- verify --proof "$W/e2.proof" --entry-file "$W/e3" --key "$TRUCE_KEYS/cli.example%2Flog.pub"
expect 17 'not in the checkpoint' -- verify "$L" --entry 999 --key "$TRUCE_KEYS/cli.example%2Flog.pub"
expect 8 'no valid signature by the log key' -- verify "$L" --entry 2 --key "$TRUCE_KEYS/patrol-1.pub"

# Tampering with a copy of the log.
cp -a "$L" "$W/t1"
f=$(find "$W/t1/tile/entries" -type f | sort -V | tail -1) # the newest
flip "$f" 300
expect 9 'FAILED: entry 0 .*invalid signature' -- verify "$W/t1"
cp -a "$L" "$W/t3" # an old partial bundle altered
f=$(find "$W/t3/tile/entries" -type f | sort | head -1)
flip "$f" 100
expect 15 'FAILED: tile/entries/000.p/[0-9]+ is not the first' -- verify "$W/t3"
cp -a "$L" "$W/t2"
f=$(find "$W/t2/tile/0" -type f | sort | head -1)
flip "$f" 0
expect 15 'FAILED: tile/0/' -- verify "$W/t2"

# Witness: cosigns growth, refuses a rewritten history.
expect 0 '' -- keygen w1 --witness
expect 0 '^— w1 ' -- witness --state "$W/wit" --key w1 --log-key "$TRUCE_KEYS/cli.example%2Flog.pub" --publish "$L"
expect 0 'is cosigned by witness w1' -- verify "$L" --witness "$TRUCE_KEYS/w1.pub"
obs explosion "$NOW" 48.4 >"$W/m2.jsonl"
"$T" submit "$L" --key patrol-1 "$W/m2.jsonl" >/dev/null 2>&1
expect 0 'consistent with the [0-9]+ entries seen before' -- witness --state "$W/wit" --key w1 --publish "$L"
{ printf 'old 0\n\n'; cat "$L/checkpoint"; } >"$W/stale.req"
expect 19 'not the last size cosigned' -- witness --state "$W/wit" --key w1 --request "$W/stale.req"
# A split view: the same log key signs a different history (the copy).
for i in 1 2 3 4 5; do
  obs airburst "$NOW" "48.$i" >"$W/f.jsonl"
  "$T" submit "$W/fork" --key patrol-1 "$W/f.jsonl" >/dev/null 2>&1
done
expect 16 'not consistent' -- witness --state "$W/wit" --key w1 "$W/fork"
checks=$((checks + 1))
if ! ls "$W"/wit/logs/*/refused-*/request >/dev/null 2>&1; then
  fails=$((fails + 1))
  echo "FAIL: the witness kept no evidence of the refused checkpoint"
fi

# truce geo dist: hand-computed answers. A meridian drawn northward along
# 30 E; a point on the equator 1 degree east is one degree of equatorial
# arc away (6378137 m * pi / 180 = 111319.491 m), to the right.
printf '{"type":"LineString","coordinates":[[30,-1],[30,1]]}\n' >"$W/meridian.json"
printf '{"type":"Polygon","coordinates":[[[30,-1],[31,-1],[31,1],[30,1],[30,-1]]]}\n' >"$W/square.json"
geo_expect() {
  checks=$((checks + 1))
  got=$(printf "$2" | "$T" geo dist "$1" 2>&1)
  if [ "$got" != "$(printf "$3")" ]; then
    fails=$((fails + 1))
    printf 'FAIL: geo dist %s <<< %s\n  want %s\n  got  %s\n' "$1" "$2" "$3" "$got"
  fi
}
geo_expect "$W/meridian.json" '31 0\n29 0\n30 0.5\n30 1\n' \
  '111319.491\tright\n111319.491\tleft\n0.000\ton\n0.000\ton'
geo_expect "$W/square.json" '30.5 0\n32 0\n30 0\n' \
  '55659.745\tinside\n111319.491\toutside\n0.000\ton'
printf '31 0\nthirty 0\n' >"$W/pts-bad"
printf '31 95\n' >"$W/pts-range"
expect 4 "standard input line 2: not 'lon lat'" -- geo dist "$W/meridian.json" <"$W/pts-bad"
expect 5 'standard input line 1: latitude 95 out of range' -- geo dist "$W/meridian.json" <"$W/pts-range"
printf '{"type":"LineString","coordinates":[[30,-1],[30,91]]}\n' >"$W/badline.json"
expect 5 'coordinates\[1\].*latitude 91' -- geo dist "$W/badline.json" </dev/null
expect 64 'usage: truce geo' -- geo
printf '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"west"},"geometry":{"type":"Polygon","coordinates":[[[30,-1],[31,-1],[31,1],[30,1],[30,-1]]]}},{"type":"Feature","properties":{"name":"east","code":"E"},"geometry":{"type":"Polygon","coordinates":[[[31,-1],[32,-1],[32,1],[31,1],[31,-1]]]}}]}\n' >"$W/two.json"
geo_which() {
  checks=$((checks + 1))
  got=$(printf "$2" | "$T" geo which "$W/two.json" $1 2>&1)
  if [ "$got" != "$(printf "$3")" ]; then
    fails=$((fails + 1))
    printf 'FAIL: geo which %s <<< %s\n  want %s\n  got  %s\n' "$1" "$2" "$3" "$got"
  fi
}
geo_which "" '30.5 0\n31.5 0.5\n31 0\n33 0\n' 'west\neast\nwest\n-'
geo_which "--property code" '30.5 0\n31.5 0.5\n' 'features[0]\nE'
expect 4 'not a GeoJSON FeatureCollection' -- geo which "$W/meridian.json" </dev/null

# truce import: a small FIRMS (VIIRS) file, one bad row; again adds nothing.
"$T" keygen firms-imp >/dev/null 2>&1
expect 0 'registered source firms-imp' -- source add "$L" --key "$TRUCE_KEYS/firms-imp.pub" --party none --means satellite,report --reliability 0.7
YDAY=$(date -u -d '-1 day' +%Y-%m-%d)
{
  echo 'latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_ti5,frp,daynight'
  echo "48.01234,37.80321,330.5,0.39,0.36,$YDAY,5,N,VIIRS,n,2.0NRT,290.1,3.2,N"
  echo "48.11234,37.90321,331.5,0.39,0.36,$YDAY,1245,N,VIIRS,h,2.0NRT,291.1,5.5,D"
  echo "nan,37.90321,331.5,0.39,0.36,$YDAY,1245,N,VIIRS,h,2.0NRT,291.1,5.5,D"
} >"$W/firms.csv"
expect 0 '3 rows: 2 imported, 1 refused, 0 already' -- import firms "$W/firms.csv" "$L" --key firms-imp
expect 0 'firms.csv:4: .*latitude' -- import firms "$W/firms.csv" "$L" --key firms-imp
expect 0 '3 rows: 0 imported, 1 refused, 2 already' -- import firms "$W/firms.csv" "$L" --key firms-imp
expect 64 'usage: truce import' -- import
# --bbox: only rows inside the box (a new file: two good rows, a bad one
# outside); then a box that holds neither good row (exit 0: nothing to
# import is not an error), and boxes that are not boxes.
{
  echo 'latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_ti5,frp,daynight'
  echo "48.01234,37.80321,330.5,0.39,0.36,$YDAY,15,N,VIIRS,n,2.0NRT,290.1,3.2,N"
  echo "48.11234,37.90321,331.5,0.39,0.36,$YDAY,1255,N,VIIRS,h,2.0NRT,291.1,5.5,D"
  echo "nan,30.5,331.5,0.39,0.36,$YDAY,1245,N,VIIRS,h,2.0NRT,291.1,5.5,D"
} >"$W/firms2.csv"
expect 0 '3 rows: 1 imported, 1 refused, 0 already in the log, 1 outside the box 37.85,48.05,38,48.2;' -- import firms "$W/firms2.csv" "$L" --key firms-imp --bbox 37.85,48.05,38,48.2
expect 0 '3 rows: 0 imported, 1 refused, 1 already in the log, 1 outside the box 10,10,11,11;' -- import firms "$W/firms2.csv" "$L" --key firms-imp --bbox 10,10,11,11
expect 2 "--bbox: '37,48,38' is not WEST,SOUTH,EAST,NORTH" -- import firms "$W/firms2.csv" "$L" --key firms-imp --bbox 37,48,38
expect 2 "--bbox: '37,49,38,48' is not" -- import firms "$W/firms2.csv" "$L" --key firms-imp --bbox 37,49,38,48
expect 0 '3 rows: 1 imported, 1 refused, 1 already in the log;' -- import firms "$W/firms2.csv" "$L" --key firms-imp

# truce fuse, reindex, incidents: the FIRMS rows as incidents; --bbox
# finds those in the box only (across 180: none), and refuses a non-box.
expect 0 'observations fused into [0-9]+ incidents' -- fuse "$L" --from "$YDAY" --format text
# --reference: the same incidents by the reference path
checks=$((checks + 1))
"$T" fuse "$L" --from "$YDAY" --format jsonl --no-index >"$W/fast.jsonl" 2>/dev/null
"$T" fuse "$L" --from "$YDAY" --format jsonl --no-index --reference >"$W/ref.jsonl" 2>/dev/null
if [ ! -s "$W/fast.jsonl" ] || ! cmp -s "$W/fast.jsonl" "$W/ref.jsonl"; then
  fails=$((fails + 1))
  echo "FAIL: fuse --reference printed other incidents than fuse"
fi
expect 0 'rebuilt from' -- reindex "$L"
expect 0 '"lat":48\.11234[0-9]*,"lon":37\.90321' -- incidents "$L" --bbox 37.85,48.05,38,48.2 --from "$YDAY"
checks=$((checks + 1))
n=$("$T" incidents "$L" --bbox 37.85,48.05,38,48.2 --from "$YDAY" 2>/dev/null | grep -c '"lat":48\.01234')
if [ "$n" != 0 ]; then
  fails=$((fails + 1))
  echo "FAIL: incidents --bbox listed an incident outside the box"
fi
expect 0 '^0 incidents' -- incidents "$L" --bbox 170,48,-170,49
expect 2 "--bbox: '1,2,3' is not WEST,SOUTH,EAST,NORTH" -- incidents "$L" --bbox 1,2,3
# incidents brings the index up to date with the log first: a row imported
# since the reindex is listed; with --no-update, the index as it was.
firms_row() {
  echo 'latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_ti5,frp,daynight'
  echo "$1,$2,331.5,0.39,0.36,$YDAY,1300,N,VIIRS,h,2.0NRT,291.1,5.5,D"
}
firms_row 48.15 37.95 >"$W/firms3.csv"
firms_row 48.16 37.97 >"$W/firms4.csv"
expect 0 '1 row: 1 imported' -- import firms "$W/firms3.csv" "$L" --key firms-imp
expect 0 'index brought up to date: [0-9]+ log entries' -- incidents "$L" --bbox 37.94,48.14,37.96,48.155 --from "$YDAY"
expect 0 '"lat":48\.150*,"lon":37\.950*,' -- incidents "$L" --bbox 37.94,48.14,37.96,48.155 --from "$YDAY"
expect 0 '1 row: 1 imported' -- import firms "$W/firms4.csv" "$L" --key firms-imp
expect 0 '^0 incidents' -- incidents "$L" --bbox 37.96,48.155,37.98,48.165 --from "$YDAY" --no-update
expect 0 '^1 incidents' -- incidents "$L" --bbox 37.96,48.155,37.98,48.165 --from "$YDAY"
# a bearing from the South Pole names no direction (every one is north):
# the log takes it, and fusion places it at the pole, spread over its range
printf '{"what":"explosion","time":"%s","where":{"observer":{"lat":-90,"lon":0},"bearing_deg":40,"dist_min_m":4000,"dist_max_m":6000},"means":"audio"}\n' "$NOW" >"$W/pole.jsonl"
expect 0 'appended 1 entry' -- submit "$L" --key patrol-1 "$W/pole.jsonl"
expect 0 '"lat":-90(\.0*)?,"lon":[-0-9.]+,"ellipse":\{"major_m":[0-9]{4}\.' -- fuse "$L" --from "$YDAY" --format jsonl --no-index
expect 2 "'bogus' is not a data set" -- import bogus "$W/firms.csv" "$L" --key firms-imp
expect 0 'verifies' -- verify "$L"

# truce simulate: a scenario and its truth, never over an existing folder.
expect 0 '' -- simulate --out "$W/sim" --events 40 --hours 2 --start 2026-11-01T00:00:00Z
checks=$((checks + 1))
if [ ! -s "$W/sim/truth.jsonl" ] || [ ! -s "$W/sim/terms.json" ] || ! ls "$W"/sim/obs/*.jsonl >/dev/null 2>&1; then
  fails=$((fails + 1))
  echo "FAIL: simulate wrote no truth, terms or observations"
fi
expect 18 'not empty|exists' -- simulate --out "$W/sim"
expect 0 'terms' -- terms check "$W/sim/terms.json"

# docs/cli.md is the help text.
checks=$((checks + 1))
if ! "$(dirname "$0")/gen-cli-doc.sh" "$T" | cmp -s - "$(dirname "$0")/../docs/cli.md"; then
  fails=$((fails + 1))
  echo "FAIL: docs/cli.md differs from 'truce help' (run scripts/gen-cli-doc.sh build/truce > docs/cli.md)"
fi

rm -rf "$W"
echo "cli-test: $checks checks, $fails failed"
[ "$fails" = 0 ]
