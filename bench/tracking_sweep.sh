#!/usr/bin/env bash
# Dynamic-ResQ W8A8->W8A{0,4,8} T=6 on vtest.avi with change tracking off and on, over a range
# of tau, next to fp32: ROUNDS rounds of every configuration interleaved, pinned to one CPU.
# Prints markdown: mean ms/frame (keyframes counted as often as they come) and its ratio to the
# same round's fp32 (median over rounds), the frame median, keyframe and residual-frame medians
# and the share of input pixels the policy read. JSON of every run in OUT_DIR.
# Usage: bash bench/tracking_sweep.sh [--rounds R] [--frames N] [--cpu C]
#   (env: TAUS, default "3 6 12 24 100"; RESQ; RESQ_ASSET_DIR; OUT_DIR)
set -euo pipefail
rounds=3 frames=150 cpu=1
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
parse_options "rounds rounds frames frames cpu cpu" "$@"
read -r -a taus <<< "${TAUS:-3 6 12 24 100}"
out=${OUT_DIR:-$root/out/bench/tracking_sweep}
mkdir -p "$out"
run() {  # NAME BITS [OPTIONS...]
  local name=$1 bits=$2
  shift 2
  taskset -c "$cpu" "$resq" bench --model "$assets/selfie_segmentation.tflite" \
    --calibration "$assets/selfie_segmentation.calib.json" --video "$assets/vtest.avi" \
    --frames "$frames" --warmup 10 --T 6 --bits "$bits" --top 0 --no-progress "$@" \
    --json "$out/${name}_$r.json" >/dev/null
}
for r in $(seq 1 "$rounds"); do
  run fp32 fp32
  for tau in "${taus[@]}"; do
    run "off_$tau" 'W8A8->W8A{0,4,8}' --tau "$tau"
    run "on_$tau" 'W8A8->W8A{0,4,8}' --tau "$tau" --change-tracking
  done
  echo "round $r of $rounds done" >&2
done
python3 - "$out" "$rounds" "${taus[@]}" <<'PY'
import json, statistics, sys
out, rounds, taus = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
med = statistics.median
load = lambda name: [json.load(open(f"{out}/{name}_{r}.json")) for r in range(1, rounds + 1)]
fp32 = load("fp32")
print(f"fp32: mean {med(d['frame_ms']['mean'] for d in fp32):.3f} ms/frame, median {med(d['frame_ms']['median'] for d in fp32):.3f}\n")
print("| tau | tracking | mean ms/frame | x fp32 (mean) | median ms | keyframe ms | residual frame ms | pixels read |")
print("|---|---|---|---|---|---|---|---|")
for tau in taus:
    for mode in ("off", "on"):
        ds = load(f"{mode}_{tau}")
        ratio = med(d["frame_ms"]["mean"] / f["frame_ms"]["mean"] for d, f in zip(ds, fp32))
        print(f"| {tau} | {mode} | {med(d['frame_ms']['mean'] for d in ds):.3f} | {ratio:.3f} | "
              f"{med(d['frame_ms']['median'] for d in ds):.3f} | {med(d['keyframe_latency_ms']['median'] for d in ds):.3f} | "
              f"{med(d['residual_latency_ms']['median'] for d in ds):.3f} | {med(d['pixels_read_share'] for d in ds):.2f} |")
PY
