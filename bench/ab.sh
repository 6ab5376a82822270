#!/usr/bin/env bash
# Two builds of resq on the same work, interleaved: ROUNDS times `resq bench` of OLD then NEW,
# each pinned to one CPU (taskset -c CPU, default 1), default model on a clip (VIDEO, default
# vtest.avi, in the asset directory); prints each round's frame-median ratio NEW / OLD and their
# median, then per-layer medians of both sets (bench/layer_diff.py). On a shared, noisy machine
# only such interleaved ratios compare two changes (docs/performance.md). JSON of every run in
# OUT_DIR.
# Usage: bash bench/ab.sh OLD_RESQ NEW_RESQ [--rounds R] [--frames N] [--cpu C]
#   (env: BITS, default fp32, e.g. 'W8A8->W4A4'; T, default 6; TAU, default 3; VIDEO; ARGS, more
#   bench options for both, e.g. --change-tracking; RESQ_ASSET_DIR; OUT_DIR)
set -euo pipefail
if [ $# -lt 2 ] || [[ $1 == -* ]]; then
  sed -n '2,/^[^#]/p' "$0" | sed '$d; s/^# \{0,1\}//'
  [ "${1:-}" = -h ] || [ "${1:-}" = --help ] && exit 0
  exit 2
fi
old=$1 new=$2
shift 2
for b in "$old" "$new"; do [ -x "$b" ] || { echo "ab.sh: $b is not an executable" >&2; exit 2; }; done
rounds=5 frames=150 cpu=1
RESQ=$new
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
parse_options "rounds rounds frames frames cpu cpu" "$@"
bits=${BITS:-fp32} period=${T:-6} tau=${TAU:-3}
read -r -a extra <<< "${ARGS:-}"
out=${OUT_DIR:-$root/out/bench/ab}
mkdir -p "$out"
for r in $(seq 1 "$rounds"); do
  for side in old new; do
    binary=$old
    [ "$side" = new ] && binary=$new
    taskset -c "$cpu" "$binary" bench --model "$assets/selfie_segmentation.tflite" \
      --calibration "$assets/selfie_segmentation.calib.json" --video "$assets/${VIDEO:-vtest.avi}" \
      --frames "$frames" --warmup 10 --T "$period" --tau "$tau" --bits "$bits" --top 0 --no-progress "${extra[@]}" \
      --json "$out/${side}_$r.json" >/dev/null
  done
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
for stat in ("median", "mean"):  # the mean counts keyframes in as often as they come
    frame = lambda side, r: json.load(open(f"{out}/{side}_{r}.json"))["frame_ms"][stat]
    ratios = [frame("new", r) / frame("old", r) for r in range(1, rounds + 1)]
    print(f"frame {stat} ratio new / old per round:", " ".join(f"{x:.3f}" for x in ratios))
    print(f"median of the rounds' {stat} ratios: {statistics.median(ratios):.3f}")
PY
python3 "$root/bench/layer_diff.py" --before "$out"/old_*.json --after "$out"/new_*.json
