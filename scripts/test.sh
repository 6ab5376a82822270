#!/usr/bin/env bash
# Builds everything with warnings as errors and runs every test (unit, ONNX conformance, golden).
# Installs its own packages and assets first; fast when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/fetch_assets.sh
cmake --preset ci >/dev/null
cmake --build --preset ci
ctest --preset ci -j2 "$@"
