#!/bin/sh
# example-easter.sh TRUCE: a real ceasefire, assessed (docs/examples.md).
#
# The Easter truce of 2025: announced for 18:00 Moscow time on Saturday
# 19 April 2025 until midnight (00:00 Moscow time) on Monday 21 April,
# i.e. 2025-04-19T15:00Z to 2025-04-20T21:00Z, 30 hours. This script
# imports the VIINA news-coded incidents of April 2025, writes terms for
# a ceasefire on the DeepState line of contact of 15 April 2025 (the
# boundary of the occupied area), registers them, fuses the reports into
# incidents, assesses the truce, and counts incidents of artillery,
# drones and air or missile strikes within 25 km of the line per oblast,
# during the truce and over the 30 hours before and after it.
#
# Reads ../shared/data (TRUCE_SHARED), never copies it. Offline.
set -eu

T=${1:-build/truce}
case "$T" in /*) ;; *) T="$(pwd)/$T" ;; esac
SHARED=${TRUCE_SHARED:-../shared}
VIINA="$SHARED/data/events/viina_scott4ai/viina_incidents_202504.csv"
FRONT="$SHARED/data/frontline/deepstate_cyterat/deepstatemap_data_20250415.geojson"
ADMIN="$SHARED/data/admin/ukraine_geojson_eugeneborshch/UA_FULL_Ukraine.geojson"
for f in "$VIINA" "$FRONT" "$ADMIN"; do
  if [ ! -f "$f" ]; then
    echo "example-easter: $f is absent (set TRUCE_SHARED)" >&2
    exit 1
  fi
done

W=$(mktemp -d /tmp/truce-easter.XXXXXX)
LOG="$W/log"
export TRUCE_KEYS="$W/keys"
say() { printf '\n== %s\n' "$*"; }
run() {
  printf '$ truce'
  for a in "$@"; do
    case "$a" in "$W"/*) a="\$W${a#"$W"}" ;; "$SHARED"/*) a="\$SHARED${a#"$SHARED"}" ;; esac
    printf ' %s' "$a"
  done
  printf '\n'
  "$T" "$@"
}

say "A log, and an importer for the VIINA data set"
run init "$LOG" --origin example.truce/easter-2025 >/dev/null
"$T" keygen importer-viina >/dev/null 2>&1
run source add "$LOG" --key "$TRUCE_KEYS/importer-viina.pub" --party none \
  --means report --reliability 0.4 --no-checkpoint

say "Import April 2025 (rows that report nothing seen or heard are refused, with their line)"
run import viina "$VIINA" "$LOG" --key importer-viina --quiet 2>/dev/null

say "Terms: a ceasefire on the DeepState line of 15 April 2025, 19 April 18:00 to 21 April 00:00 Moscow time"
# The occupied area, as DeepState drew it, is ru-held ground; its boundary
# is the reference line (coasts and the border with Russia included).
GEOM=$(grep '"geometry"' "$FRONT" | sed 's/.*"geometry": *//; s/ *} *,\{0,1\} *$//')
cat >"$W/easter-truce-2025.json" <<EOF
{
  "truce_terms": 1,
  "id": "easter-truce-2025",
  "title": "The Easter truce of 2025, on the DeepState line of contact of 15 April 2025",
  "parties": [{"id": "ua", "name": "Ukraine"}, {"id": "ru", "name": "Russian Federation"}],
  "start": {"time": "2025-04-19T18:00:00+03:00", "zone": "Europe/Moscow"},
  "lines": [{"id": "loc-2025-04-15", "name": "DeepState line of contact, 15 April 2025",
             "boundary_of": "ru-held", "sides": {"ru": "inside", "ua": "outside"},
             "source": "github cyterat/deepstate-map-data (GPL-3.0), geometry by DeepStateMap.Live"}],
  "control": [{"id": "ru-held", "party": "ru", "area": $GEOM},
              {"id": "ua-held", "party": "ua", "outside_of": "ru-held"}],
  "zones": [{"id": "band-25km", "name": "25 km either side of the line",
             "around": {"line": "loc-2025-04-15", "km": 25}}],
  "rules": [{"id": "easter-ceasefire", "type": "ceasefire", "what": "fire",
             "from": "2025-04-19T18:00:00+03:00", "until": "2025-04-21T00:00:00+03:00",
             "quote": "an Easter truce from 18:00 on Saturday to 00:00 on Monday (Moscow time)",
             "source": "Kremlin announcement, 19 April 2025"}]
}
EOF
run terms check "$W/easter-truce-2025.json"
run terms add "$LOG" "$W/easter-truce-2025.json" --no-checkpoint

say "Fuse the reports of 18-22 April into incidents"
run fuse "$LOG" --from 2025-04-18T09:00:00Z --to 2025-04-22T03:00:00Z --format csv >"$W/incidents.csv"

say "Assess the truce: findings of fire during it"
run assess "$LOG" --terms easter-truce-2025 --from 2025-04-19T15:00:00Z --to 2025-04-20T21:00:00Z --format text

say "Incidents within 25 km of the line, per oblast, before, during and after the truce"
# Each incident goes to the window that holds the middle of its time
# (VIINA dates its reports to the day: docs/import.md).
B0=$(date -u -d 2025-04-18T09:00:00Z +%s)
S0=$(date -u -d 2025-04-19T15:00:00Z +%s)
S1=$(date -u -d 2025-04-20T21:00:00Z +%s)
A1=$(date -u -d 2025-04-22T03:00:00Z +%s)
tail -n +2 "$W/incidents.csv" | awk -F, '$5 == 1 { print $7, $8, $3, $4, $17 }' |
  while read -r lat lon t0 t1 weapon; do
    [ -n "$lat" ] || continue
    [ "$lat" = "0" ] && continue
    m=$((($(date -u -d "$t0" +%s) + $(date -u -d "$t1" +%s)) / 2))
    if [ "$m" -lt "$B0" ] || [ "$m" -ge "$A1" ]; then continue; fi
    if [ "$m" -lt "$S0" ]; then win=before; elif [ "$m" -lt "$S1" ]; then win=during; else win=after; fi
    case "$weapon" in
    artillery | mlrs | mortar) kind=artillery ;;
    uav) kind=drones ;;
    aircraft | tactical_missile) kind=air/missile ;;
    *) continue ;;
    esac
    echo "$lon $lat $win $kind"
  done >"$W/picked.txt"
cut -d' ' -f1,2 "$W/picked.txt" | "$T" geo dist "$FRONT" | cut -f1 >"$W/dist.txt"
cut -d' ' -f1,2 "$W/picked.txt" | "$T" geo which "$ADMIN" --property name:en >"$W/oblast.txt"
paste -d'|' "$W/picked.txt" "$W/dist.txt" "$W/oblast.txt" |
  awk -F'|' '{
    split($1, f, " ");
    if ($2 + 0 > 25000) next;
    key = $3 "|" f[3] "|" f[4]; n[key]++; ob[$3] = 1; tot[f[3] "|" f[4]]++
  }
  END {
    printf "%-32s %-22s %-22s %-22s\n", "oblast", "before (art/drn/air)", "during (art/drn/air)", "after (art/drn/air)";
    for (o in ob) {
      printf "%-32s", o;
      split("before during after", w, " ");
      for (i = 1; i <= 3; i++)
        printf " %-22s", n[o "|" w[i] "|artillery"] + 0 "/" n[o "|" w[i] "|drones"] + 0 "/" n[o "|" w[i] "|air/missile"] + 0;
      printf "\n"
    }
    printf "%-32s", "all";
    for (i = 1; i <= 3; i++)
      printf " %-22s", tot[w[i] "|artillery"] + 0 "/" tot[w[i] "|drones"] + 0 "/" tot[w[i] "|air/missile"] + 0;
    printf "\n"
  }' | { read -r head; echo "$head"; sort; }
echo
echo "(windows: before 2025-04-18T09:00Z..2025-04-19T15:00Z, during ..2025-04-20T21:00Z, after ..2025-04-22T03:00Z;"
echo " 'all' is the last line of the sort; an oblast '-' is a point outside every oblast polygon)"
echo
echo "work folder: $W"
