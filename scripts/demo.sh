#!/bin/sh
# demo.sh TRUCE: the main job on built-in example data, step by step.
# A fresh log, keys, three sources (a patrol, a camera, an importer),
# signed batches, a checkpoint cosigned by a witness, more batches, a
# second cosigned checkpoint, then offline checks: an inclusion proof, the
# consistency of the two checkpoints and the whole log. Offline, in a few
# seconds. The last line names the log folder.
set -eu

T=${1:-build/truce}
case "$T" in /*) ;; *) T="$(pwd)/$T" ;; esac
EX="$(cd "$(dirname "$0")/../examples/demo" && pwd)"
DEMO=$(mktemp -d /tmp/truce-demo.XXXXXX)
LOG="$DEMO/log"
export TRUCE_KEYS="$DEMO/keys" # private keys: outside the log folder
ORIGIN=demo.truce.example/ceasefire
n=0

step() {
  n=$((n + 1))
  printf '\n== %d. %s\n' "$n" "$*"
}
show_cmd() {
  printf '$ truce'
  for a in "$@"; do
    case "$a" in "$DEMO"/*) a="\$DEMO${a#"$DEMO"}" ;; esac
    case "$a" in *" "*) printf " '%s'" "$a" ;; *) printf ' %s' "$a" ;; esac
  done
}
run() {
  show_cmd "$@"
  printf '\n'
  "$T" "$@"
}
# run_to FILE ARGS...: the same, with standard output into FILE.
run_to() {
  out=$1
  shift
  show_cmd "$@"
  printf ' > %s\n' "\$DEMO${out#"$DEMO"}"
  "$T" "$@" >"$out"
}

echo "truce demo: a monitoring mission's evidence log (working folder \$DEMO=$DEMO)"

step "Create the log; its log key and administrator key go to the keys folder"
run init "$LOG" --origin "$ORIGIN"

step "Each source makes its own key pair"
run keygen mission.example/patrol-3 2>/dev/null
run keygen mission.example/camera-shyrokyne 2>/dev/null
run keygen mission.example/importer-firms 2>/dev/null
run keygen witness.guarantor.example/w1 --witness 2>/dev/null

step "The administrator registers the three sources (signed log entries)"
run source add "$LOG" --key "$TRUCE_KEYS/mission.example%2Fpatrol-3.pub" \
  --party mission --means audio,visual --reliability 0.8 \
  --description "foot patrol, team 3, Donetsk sector" --no-checkpoint
run source add "$LOG" --key "$TRUCE_KEYS/mission.example%2Fcamera-shyrokyne.pub" \
  --party mission --means camera --reliability 0.95 \
  --description "fixed camera, Shyrokyne, facing east" --no-checkpoint
run source add "$LOG" --key "$TRUCE_KEYS/mission.example%2Fimporter-firms.pub" \
  --party open-data --means satellite --reliability 0.4 \
  --description "NASA FIRMS VIIRS thermal anomalies, imported" --no-checkpoint
run source list "$LOG"

step "Sources submit signed batches of observations"
run submit "$LOG" --key mission.example/camera-shyrokyne "$EX/camera-night.jsonl" --no-checkpoint
run submit "$LOG" --key mission.example/patrol-3 "$EX/patrol-morning.jsonl" --no-checkpoint
FILE_SHA=$(sha256sum "$EX/firms-sample.csv" | cut -c1-64)
sed "s/@FILE_SHA256@/$FILE_SHA/" "$EX/firms-sample.jsonl.in" >"$DEMO/firms-sample.jsonl"
echo "(importer: observations from firms-sample.csv, sha256 $FILE_SHA, each with its row)"
run submit "$LOG" --key mission.example/importer-firms "$DEMO/firms-sample.jsonl" --no-checkpoint

step "A bad line is refused with its line and field, and nothing is written"
printf '%s\n' '{"what":"explosion","time":"2026-11-25T08:00:00Z","where":{"lat":48.1,"lon":37.7}}' \
  '{"what":"explosion","time":"2026-11-25T08:01:00Z","where":{"lat":148.1,"lon":37.7}}' >"$DEMO/bad.jsonl"
run submit "$LOG" --key mission.example/patrol-3 "$DEMO/bad.jsonl" --no-checkpoint || echo "(exit code $?, as expected)"

step "The log signs checkpoint 1"
run checkpoint "$LOG"
cp "$LOG/checkpoint" "$DEMO/checkpoint-1"

step "A guarantor's witness checks the checkpoint and cosigns it"
run witness --state "$DEMO/witness" --key witness.guarantor.example/w1 \
  --log-key "$TRUCE_KEYS/demo.truce.example%2Fceasefire.pub" --publish "$LOG"
cp "$LOG/checkpoint" "$DEMO/checkpoint-1"

step "More observations; the patrol signs one batch offline and submits it later"
run submit "$LOG" --key mission.example/patrol-3 "$EX/patrol-afternoon.jsonl" --no-checkpoint
run_to "$DEMO/camera-evening.signed" sign --key mission.example/camera-shyrokyne --seq 2 "$EX/camera-evening.jsonl"
run submit "$LOG" --signed "$DEMO/camera-evening.signed" --no-checkpoint
echo "(the same signed batch again: a replay)"
run submit "$LOG" --signed "$DEMO/camera-evening.signed" --no-checkpoint || echo "(exit code $?, as expected)"

step "Checkpoint 2, cosigned by the witness after it checked consistency with checkpoint 1"
run_to "$DEMO/checkpoint-2" checkpoint "$LOG"
run witness --state "$DEMO/witness" --key witness.guarantor.example/w1 --publish "$LOG"
cp "$LOG/checkpoint" "$DEMO/checkpoint-2"
cat "$DEMO/checkpoint-2"

step "An entry, with each observation's citation"
run show "$LOG" 4

echo
echo "== Offline verification, with nothing but the files and the log's public key"
LOGKEY="$TRUCE_KEYS/demo.truce.example%2Fceasefire.pub"
WITKEY="$TRUCE_KEYS/witness.guarantor.example%2Fw1.pub"

step "An inclusion proof for entry 4, checked without the log"
run_to "$DEMO/entry-4.tlog-proof" prove "$LOG" 4
run_to "$DEMO/entry-4" show "$LOG" 4 --raw
cat "$DEMO/entry-4.tlog-proof"
run verify --proof "$DEMO/entry-4.tlog-proof" --entry-file "$DEMO/entry-4" --key "$LOGKEY" --witness "$WITKEY"
run verify "$LOG" --entry 4 --key "$LOGKEY"

step "The two checkpoints are consistent: the log only grew"
run verify "$LOG" --consistency "$DEMO/checkpoint-1" "$DEMO/checkpoint-2" --key "$LOGKEY" --witness "$WITKEY"

step "The whole log: every bundle, tile, signature and sequence number"
run verify "$LOG" --key "$LOGKEY"

echo
echo "== The agreement as data"

step "The administrator registers the Minsk II terms (lines, zones, rules) in the log"
run terms add "$LOG" "$EX/../terms/minsk-ii.json" --no-checkpoint
run terms show "$LOG" minsk-ii

step "The patrol and the camera submit their reports of autumn 2016"
run submit "$LOG" --key mission.example/patrol-3 "$EX/minsk-2016-patrol.jsonl" --no-checkpoint
run submit "$LOG" --key mission.example/camera-shyrokyne "$EX/minsk-2016-camera.jsonl" --no-checkpoint
echo "(among them, compliant ones: a 2S1 in Kramatorsk, 45 km behind the line, breaches nothing;"
echo " a Tochka-U in Sloviansk, 66 km behind, breaches only the 70 km rule)"

step "Assess September to December 2016 against the registered terms"
run assess "$LOG" --terms minsk-ii --from 2016-09-01 --to 2017-01-01 --format text
echo "(the first week of the disengagement framework: the 7 quiet days each area needs first)"
run assess "$LOG" --terms minsk-ii --from 2016-09-21 --to 2016-09-28 --format text
run_to "$DEMO/findings.geojson" assess "$LOG" --terms minsk-ii --from 2016-09-01 --to 2017-01-01 --format geojson 2>/dev/null
echo "(also as GeoJSON for a map: \$DEMO/findings.geojson; as JSON lines and CSV: --format jsonl|csv)"

step "Checkpoint 3 covers the terms and the reports; the whole log still verifies"
run checkpoint "$LOG" >/dev/null
run verify "$LOG" --key "$LOGKEY" | tail -2

echo
echo "== Many reports, one incident: a simulated day with known truth"
SIM="$DEMO/sim"

step "Simulate a day of fire along a front line, and what 38 sources reported of it (the truth is kept apart)"
run simulate --out "$SIM" --start 2026-11-01T00:00:00Z

step "Register the simulated sources; each signs and submits what it saw"
nsrc=0
while IFS= read -r line; do
  case "$line" in *'"name":"'*) ;; *) continue ;; esac
  field() { printf '%s' "$line" | sed "s/.*\"$1\":\"\\{0,1\\}\\([^\",]*\\).*/\\1/"; }
  name=$(field name)
  "$T" keygen "sim/$name" >/dev/null 2>&1
  "$T" source add "$LOG" --key "$TRUCE_KEYS/sim%2F$name.pub" --party "$(field party)" \
    --means "$(field means)" --reliability "$(field reliability)" --no-checkpoint >/dev/null
  if [ -f "$SIM/obs/$name.jsonl" ]; then
    "$T" submit "$LOG" --key "sim/$name" "$SIM/obs/$name.jsonl" --no-checkpoint >/dev/null
  fi
  nsrc=$((nsrc + 1))
done <"$SIM/sources.json"
echo "$nsrc sources registered, $(cat "$SIM"/obs/*.jsonl | wc -l) observations submitted"
run terms add "$LOG" "$SIM/terms.json" --no-checkpoint

step "Fuse the day's observations into incidents (the last few shown)"
run_to "$DEMO/incidents.txt" fuse "$LOG" --from 2026-11-01 --to 2026-11-02 --format text
tail -4 "$DEMO/incidents.txt"

step "Check the fusion: the reference path (every incident tried for every observation) agrees"
run_to "$DEMO/incidents-reference.txt" fuse "$LOG" --from 2026-11-01 --to 2026-11-02 --format text --reference --no-index
if cmp -s "$DEMO/incidents.txt" "$DEMO/incidents-reference.txt"; then
  echo "the same $(wc -l <"$DEMO/incidents.txt") incidents, byte for byte"
else
  echo "truce demo: the reference path gives other incidents (diff \$DEMO/incidents.txt \$DEMO/incidents-reference.txt)" >&2
  exit 1
fi

step "Assess the day: one finding per incident, with all its observations as evidence"
run_to "$DEMO/sim-findings.jsonl" assess "$LOG" --terms sim-1 --from 2026-11-01 --to 2026-11-02 --format jsonl

step "Beside the truth"
events=$(grep -c '"type":"event"' "$SIM/truth.jsonl")
observed=$(grep '"type":"event"' "$SIM/truth.jsonl" | grep -vc '"observations":0')
falses=$(grep '"type":"obs"' "$SIM/truth.jsonl" | grep -c '"event":null')
incidents=$(wc -l <"$DEMO/incidents.txt")
echo "true events: $events, of which $observed were observed; $falses false reports among the observations"
echo "incidents:   $incidents"
printf '%-16s %10s %28s\n' "rule" "findings" "true breaches observed"
for rule in ceasefire disengagement heavy-weapons tanks-mortars; do
  found=$(grep -c "\"rule\":\"$rule\"" "$DEMO/sim-findings.jsonl" || true)
  truth=$(grep '"type":"event"' "$SIM/truth.jsonl" | grep -v '"observations":0' |
    grep -c "\"rules\":\[[^]]*\"$rule\"" || true)
  printf '%-16s %10s %28s\n' "$rule" "$found" "$truth"
done
echo "(findings above the truth: false reports, and zone findings counted as 'near' that the"
echo " truth does not list; a weapon seen again within 6 hours is one finding: docs/assess.md)"

step "The whole log still verifies"
run checkpoint "$LOG" >/dev/null
run verify "$LOG" --key "$LOGKEY" | tail -1

echo
echo "log: $LOG"
