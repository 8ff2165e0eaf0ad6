#!/bin/sh
# deps.sh PROFILE...: install the Debian 12 packages truce needs for the
# given profiles (build, test, bench), only those that are missing.
# Needs root to install; without root it names the missing packages and
# fails.
set -eu

pkgs_build="gcc make libc6-dev libsodium-dev libssl-dev libjansson-dev libproj-dev libsqlite3-dev"
pkgs_test="clang libclang-rt-14-dev"
pkgs_bench="postgresql-15-postgis-3 python3-numpy python3-sklearn"

want=""
for p in "$@"; do
  case "$p" in
  build) want="$want $pkgs_build" ;;
  test) want="$want $pkgs_build $pkgs_test" ;;
  bench) want="$want $pkgs_build $pkgs_bench" ;;
  *) echo "deps.sh: unknown profile '$p'" >&2; exit 2 ;;
  esac
done

missing=""
for p in $want; do
  case " $missing " in *" $p "*) continue ;; esac
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "truce: missing Debian packages:$missing" >&2
  echo "truce: run as root, or: apt-get install$missing" >&2
  exit 1
fi
echo "truce: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends $missing >/dev/null; then
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
