#!/usr/bin/env bash
# The calibrations behind docs/results/ (build/results/*.calib.json): the default model on a
# stretch of each clip that the evaluation does not use; residual ranges for distances up to T-1
# of the largest T in the grid (8). With --if-missing, only those not there yet; with NAMEs
# (e.g. vtest.calib.json), only those.
# Usage: bash scripts/results_calibrations.sh [--if-missing] [NAME ...]   (env: RESQ, RESQ_ASSET_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
if_missing=false
names=()
for arg in "$@"; do
  case "$arg" in
    --if-missing) if_missing=true ;;
    -h | --help) sed -n '2,/^[^#]/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    movie.calib.json | movie.per-tensor.calib.json | vtest.calib.json) names+=("$arg") ;;
    *) echo "results_calibrations.sh: unknown argument $arg (calibrations: movie.calib.json," \
         "movie.per-tensor.calib.json, vtest.calib.json)" >&2; exit 2 ;;
  esac
done
resq=${RESQ:-build/release/engine/cli/resq}
# shellcheck source=scripts/asset_dir.sh
source scripts/asset_dir.sh
assets=$resq_asset_dir
model=$assets/selfie_segmentation.tflite
work=build/results
mkdir -p "$work"

calibrate() {  # OUT VIDEO OPTIONS...
  local name=$1 out=$work/$1 video=$2
  shift 2
  if ((${#names[@]} > 0)) && [[ " ${names[*]} " != *" $name "* ]]; then return; fi
  if $if_missing && [ -f "$out" ]; then return; fi
  "$resq" calibrate --model "$model" --video "$assets/$video" --max-distance 7 "$@" --out "$out"
}
calibrate movie.calib.json movie.avi --samples 24
calibrate movie.per-tensor.calib.json movie.avi --samples 24 --per-tensor
calibrate vtest.calib.json vtest.avi --samples 64
