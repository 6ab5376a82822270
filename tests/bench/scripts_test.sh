#!/usr/bin/env bash
# The bench/ scripts behind docs/performance.md, end to end on few frames, as a clean clone runs
# them: compare.sh (installs ONNX Runtime 1.30 from npm on first use), tables.sh,
# tracking_sweep.sh and ab.sh each print their table; bad options exit 2. Speeds are not
# checked here (benchmarks, not tests).
#   scripts_test.sh RESQ SOURCE_DIR ASSET_DIR
if [ "${1:-}" = --help ] || [ $# -ne 3 ]; then
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  [ "${1:-}" = --help ]; exit $?
fi
set -uo pipefail
resq=$1 bench=$2/bench
export RESQ=$resq RESQ_ASSET_DIR=$3 OUT_DIR
OUT_DIR=$(mktemp -d)
trap 'rm -rf "$OUT_DIR"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# run NAME COMMAND...: the command's stdout in $OUT_DIR/NAME.txt; fails on a non-zero exit.
run() {
  local name=$1
  shift
  "$@" >"$OUT_DIR/$name.txt" 2>"$OUT_DIR/$name.err" ||
    fail "$name exited $?: $(tail -n 5 "$OUT_DIR/$name.err")"
}
# rows NAME REGEX COUNT: exactly COUNT lines of NAME's output match REGEX.
rows() {
  local n
  n=$(grep -Ec "$2" "$OUT_DIR/$1.txt")
  [ "$n" -eq "$3" ] || fail "$1: $n lines match '$2', expected $3:$(printf '\n')$(cat "$OUT_DIR/$1.txt")"
}
num='[0-9]+\.[0-9]+'

run compare bash "$bench/compare.sh" --frames 20 --rounds 1
rows compare "^median over rounds, ms/frame: resq $num, ONNX Runtime 1.30 $num, ratio resq/ORT $num; CPU resq $num, ORT $num, ratio $num$" 1

run tables bash "$bench/tables.sh" --runs 1
for config in 'fp32' 'W8A8 int' 'W8A8 float sums' 'W8A8->W4A4 T=4 int' \
    'W8A8->W4A4 T=4 float sums' 'W8A8->W8A\{0,4,8\} T=6 tau=3 int' \
    'W8A8->W8A\{0,4,8\} T=6 tau=3 float sums'; do
  rows tables "^\| $config \| $num \| $num \| $num \|" 2  # vtest and movie
done

TAUS=3 run sweep bash "$bench/tracking_sweep.sh" --rounds 1 --frames 12
rows sweep "^\| 3 \| (off|on) \| $num \| $num \|" 2

BITS='W8A8->W4A4' T=4 run ab bash "$bench/ab.sh" "$resq" "$resq" --rounds 1 --frames 12
rows ab "^median of the rounds' median ratios: $num$" 1
rows ab "^\| total \| \| $num \| $num \|" 1

for bad in "tables.sh --runs 0" "tracking_sweep.sh --frames" "compare.sh --bogus 1" \
    "ab.sh /nonexistent $resq"; do
  # shellcheck disable=SC2086  # the script's name and its arguments, split on purpose
  bash "$bench"/$bad >/dev/null 2>&1
  code=$?
  [ "$code" -eq 2 ] || fail "$bad exited $code, expected 2"
done
echo "compare.sh, tables.sh, tracking_sweep.sh and ab.sh ran; bad options exit 2"
