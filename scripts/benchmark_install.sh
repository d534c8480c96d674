#!/usr/bin/env bash
# Cold `make install` + `make test` from fresh clones, before and after the lock, in one run on
# this machine, with no download cache (pip's nor uv's), so both fetch every package from PyPI:
#   scripts/benchmark_install.sh [ROUNDS] [BEFORE]
# BEFORE defaults to the last commit that installed with pip from requirements-dev.txt; the
# rounds alternate between the two so that a change in the machine's load hits both alike.
# The numbers in docs/development.md ("Speed") come from here.
set -euo pipefail
cd "$(dirname "$0")/.."

usage='usage: scripts/benchmark_install.sh [ROUNDS] [BEFORE]
  ROUNDS  how many times to clock each of the two (default 2)
  BEFORE  the commit that installs with pip (default: the last one with requirements-dev.txt)'
case "${1:-}" in
  -h | --help) echo "$usage"; exit 0 ;;
esac

rounds=${1:-2}
before=${2:-$(git rev-list -1 HEAD -- requirements-dev.txt)^}
after=$(git rev-parse HEAD)
export PIP_NO_CACHE_DIR=1 UV_NO_CACHE=1

# Wall-clock and CPU seconds (user + system, of every process it started) of one command.
measure() {
  local out
  out=$(mktemp)
  /usr/bin/time -f '%e %U %S' -o "$out" "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }
  awk '{printf "%.1f %.1f", $1, $2 + $3}' "$out"
  rm -f "$out"
}

clock() {
  local label=$1 commit=$2 clone install install_cpu test test_cpu
  clone=$(mktemp -d)
  git clone --quiet "$PWD" "$clone/project"
  git -C "$clone/project" checkout --quiet "$commit"
  read -r install install_cpu <<<"$(measure make -C "$clone/project" install)"
  read -r test test_cpu <<<"$(measure make -C "$clone/project" test)"
  printf '%-13s install %5s s (CPU %5s s)  make test %5s s (CPU %5s s)  total %5s s  load %s\n' \
    "$label" "$install" "$install_cpu" "$test" "$test_cpu" "$(echo "$install + $test" | bc)" \
    "$(cut -d' ' -f1 /proc/loadavg)"
  rm -rf "$clone"
}

echo "$(nproc) cores, $(python3 --version), uv $(sed -n 's/^uv==\([0-9.]*\).*/\1/p' uv-requirements.txt) when none is on PATH ($(command -v uv || echo none))"
for _ in $(seq "$rounds"); do
  clock "pip (before)" "$before"
  clock "uv.lock" "$after"
done
