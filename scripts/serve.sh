#!/usr/bin/env bash
# The main job: resq-server with the default model and calibration, gRPC on 127.0.0.1:50051,
# Prometheus metrics on 127.0.0.1:9464 and the looping `demo` stream. Extra arguments go to
# resq-server (see `resq-server --help`, e.g. --listen 0.0.0.0:50051 or --no-demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/fetch_assets.sh
cmake --preset release >/dev/null
cmake --build --preset release --target resq-server resq-health-probe
exec build/release/server/resq-server "$@"
