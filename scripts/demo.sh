#!/usr/bin/env bash
# The main job on the embedded default: the default model over the default clip, writing an
# annotated video and a JSON summary to out/. Extra arguments go to `resq run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/fetch_assets.sh
cmake --preset release >/dev/null
cmake --build --preset release --target resq
# shellcheck source=scripts/asset_dir.sh
source scripts/asset_dir.sh
assets=$resq_asset_dir
mkdir -p out
build/release/engine/cli/resq run --model "$assets/selfie_segmentation.tflite" \
  --video "$assets/movie.avi" --out out/annotated.mp4 --json out/summary.json "$@"
