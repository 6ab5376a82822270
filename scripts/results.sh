#!/usr/bin/env bash
# Regenerates docs/results/ (the data behind docs/results.md): calibrations of the default model
# on both clips, `resq eval` tables and plots (default grid, diagnostics grid, per-tensor weights)
# and Dynamic-ResQ policy maps (JPEG: photographs). About 15 minutes on 2 cores.
# Usage: bash scripts/results.sh   (RESQ_ASSET_DIR as for the other scripts)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/fetch_assets.sh
cmake --preset release >/dev/null
cmake --build --preset release --target resq

resq=build/release/engine/cli/resq
# shellcheck source=scripts/asset_dir.sh
source scripts/asset_dir.sh
assets=$resq_asset_dir
model=$assets/selfie_segmentation.tflite
out=docs/results
work=build/results
mkdir -p "$out" "$work"

"$resq" inspect --json "$model" > "$work/inspect.json"  # for results_tables.py --policy-cost

RESQ=$resq bash scripts/results_calibrations.sh

# clip name, calibration, eval range
run_eval() {
  local name=$1 video=$2 start=$3 frames=$4
  local range=(--start-frame "$start")
  [ "$frames" = all ] || range+=(--frames "$frames")
  "$resq" eval --model "$model" --calibration "$work/$name.calib.json" --video "$assets/$video" \
    "${range[@]}" --json "$out/$name.json" --csv "$out/$name.csv" --plot "$out/$name.png" \
    > "$out/$name.txt"
  "$resq" eval --model "$model" --calibration "$work/$name.calib.json" --video "$assets/$video" \
    "${range[@]}" --grid "$out/diagnostics.grid" --json "$out/${name}_diagnostics.json" \
    --csv "$out/${name}_diagnostics.csv" \
    > "$out/${name}_diagnostics.txt"
}
run_eval movie movie.avi 24 all
run_eval vtest vtest.avi 100 300

"$resq" eval --model "$model" --calibration "$work/movie.per-tensor.calib.json" \
  --video "$assets/movie.avi" --start-frame 24 --grid "$out/per-tensor.grid" \
  --json "$out/movie_per-tensor.json" --csv "$out/movie_per-tensor.csv" \
  > "$out/movie_per-tensor.txt"

for layer in 0 conv2d_5; do
  "$resq" policy-map --model "$model" --calibration "$work/vtest.calib.json" \
    --video "$assets/vtest.avi" --start-frame 100 --frames 8 --T 4 --tau 3 --layer "$layer" \
    --out "$out/vtest_policy_${layer}.jpg"
done
"$resq" policy-map --model "$model" --calibration "$work/movie.calib.json" \
  --video "$assets/movie.avi" --start-frame 24 --frames 8 --T 4 --tau 3 --layer conv2d_5 \
  --out "$out/movie_policy_conv2d_5.jpg"
echo "results in $out/"
