#!/usr/bin/env bash
# What each configuration of a `resq eval` report costs in wall-clock time: every configuration of
# docs/results/CLIP.json (IoU against fp32 on a frame range of the clip, `bash scripts/results.sh`)
# timed with `resq bench` on the same frames with the same calibration, ROUNDS rounds with the
# configurations interleaved, each run pinned to one CPU. Prints markdown (bench/frontier.py): the
# configurations that no other one beats on both IoU and ms/frame, then all of them; ms/frame is
# the mean over all frames (keyframes counted as often as they come), "x fp32" the median over
# rounds of its ratio to the fp32 runs just before and after it (one every BLOCK configurations:
# the machine's speed drifts within a round; rounds alternate the order). JSON of every run,
# frontier.json and frontier.png (IoU against time, with gnuplot) in OUT_DIR.
# The calibration the report names (build/results/) is made first if it is missing.
# Usage: bash bench/frontier.sh [--rounds R] [--cpu C] [--block B]
#   (env: CLIP, vtest (default) or movie; EVAL, another report; RESQ; RESQ_ASSET_DIR; OUT_DIR)
set -euo pipefail
rounds=3 cpu=1 block=6
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
parse_options "rounds rounds cpu cpu block block" "$@"
clip=${CLIP:-vtest}
report=${EVAL:-$root/docs/results/$clip.json}
[ -f "$report" ] || { echo "$script: $report: no such eval report" >&2; exit 2; }
out=${OUT_DIR:-$root/out/bench/frontier/$clip}
mkdir -p "$out"
cd "$root"  # the report names its calibration relative to the repository
calibration=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["calibration"])' "$report")
[ -f "$calibration" ] || RESQ=$resq bash scripts/results_calibrations.sh "$(basename "$calibration")"

# One line per configuration: index|bits|T|tau, then the shared options.
mapfile -t configs < <(python3 "$root/bench/frontier.py" --list "$report")
mapfile -t shared < <(python3 "$root/bench/frontier.py" --bench-options "$report" "$assets")
run() {  # JSON BITS T [OPTIONS...]
  local json=$1 bits=$2 period=$3
  shift 3
  taskset -c "$cpu" "$resq" bench --model "$assets/selfie_segmentation.tflite" "${shared[@]}" \
    --bits "$bits" --T "$period" "$@" --warmup 10 --top 0 --no-progress --json "$json" >/dev/null
}
for r in $(seq 1 "$rounds"); do
  order=("${configs[@]}")
  if ((r % 2 == 0)); then mapfile -t order < <(printf '%s\n' "${configs[@]}" | tac); fi
  k=0
  run "$out/fp32_${r}_$k.json" fp32 1
  : > "$out/order_$r.txt"  # "i k": configuration i ran between fp32 runs k and k + 1
  for n in "${!order[@]}"; do
    IFS='|' read -r i bits period tau <<< "${order[n]}"
    extra=()
    [ -z "$tau" ] || extra+=(--tau "$tau")
    run "$out/config${i}_$r.json" "$bits" "$period" "${extra[@]}"
    echo "$i $k" >> "$out/order_$r.txt"
    if (((n + 1) % block == 0 || n + 1 == ${#order[@]})); then
      k=$((k + 1))
      run "$out/fp32_${r}_$k.json" fp32 1
    fi
  done
  echo "round $r of $rounds done" >&2
done
python3 "$root/bench/frontier.py" --table "$report" "$out" "$rounds"
