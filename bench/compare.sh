#!/usr/bin/env bash
# FP32, one thread, 256x256: `resq bench` and ONNX Runtime 1.30 (bench/onnxruntime) on the same
# ONNX file, back to back on this machine, ROUNDS times alternating; prints both medians and the
# ratio resq / ORT (issue #7, goal 1: <= 1), in wall-clock and in CPU time per frame (the
# steadier figure on a shared machine; resq's engine_cpu_ms, without the frame-to-tensor
# conversion, as ORT runs a prepared tensor). JSON of every run in OUT_DIR.
# Usage: bash bench/compare.sh [--frames N] [--rounds R]   (env: RESQ, RESQ_ASSET_DIR, OUT_DIR)
set -euo pipefail
frames=300 rounds=3
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
parse_options "frames frames rounds rounds" "$@"
out=${OUT_DIR:-$root/out/bench}
golden=$root/tests/data/golden/selfie_segmentation
model=$golden/selfie_segmentation.onnx
video=$assets/vtest.avi
[ -f "$video" ] || { echo "compare.sh: $video missing (bash scripts/fetch_assets.sh)" >&2; exit 1; }

ort_dir=$root/bench/onnxruntime
if [ ! -d "$ort_dir/node_modules/onnxruntime-node" ]; then
  command -v npm >/dev/null || { echo "compare.sh: npm not found (apt-get install npm)" >&2; exit 1; }
  # The CPU library ships inside the package; its install script only fetches GPU providers.
  (cd "$ort_dir" && npm ci --ignore-scripts --no-audit --no-fund >&2) ||
    { echo "compare.sh: npm could not install onnxruntime-node (registry unreachable?)" >&2; exit 1; }
fi

mkdir -p "$out"
for r in $(seq 1 "$rounds"); do
  "$resq" bench --model "$model" --video "$video" --scheme fp32 --threads 1 \
    --frames "$frames" --warmup 10 --top 0 --no-progress --json "$out/resq_fp32_$r.json" >/dev/null
  node "$ort_dir/ort_bench.js" --model "$model" --input "$golden/vtest_f100.input.f32" \
    --runs "$frames" --warmup 10 --json "$out/ort_$r.json" >/dev/null
done

python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
resq = [json.load(open(f"{out}/resq_fp32_{r}.json")) for r in range(1, rounds + 1)]
ort = [json.load(open(f"{out}/ort_{r}.json")) for r in range(1, rounds + 1)]
print(f"{'round':>5} {'resq median':>12} {'resq p95':>9} {'ORT median':>11} {'ORT p95':>8} {'ratio':>6}"
      f" {'resq CPU':>9} {'ORT CPU':>8} {'CPU ratio':>9}")
for i, (a, b) in enumerate(zip(resq, ort), 1):
    la, lb = a["latency_ms"], b["latency_ms"]
    ca, cb = a["engine_cpu_ms"]["mean"], b["cpu_ms_per_run"]
    print(f"{i:>5} {la['median']:>12.3f} {la['p95']:>9.3f} {lb['median']:>11.3f} {lb['p95']:>8.3f}"
          f" {la['median'] / lb['median']:>6.3f} {ca:>9.3f} {cb:>8.3f} {ca / cb:>9.3f}")
m_resq = statistics.median(a["latency_ms"]["median"] for a in resq)
m_ort = statistics.median(b["latency_ms"]["median"] for b in ort)
c_resq = statistics.median(a["engine_cpu_ms"]["mean"] for a in resq)
c_ort = statistics.median(b["cpu_ms_per_run"] for b in ort)
print(f"median over rounds, ms/frame: resq {m_resq:.3f}, ONNX Runtime 1.30 {m_ort:.3f}, "
      f"ratio resq/ORT {m_resq / m_ort:.3f}; CPU resq {c_resq:.3f}, ORT {c_ort:.3f}, "
      f"ratio {c_resq / c_ort:.3f}")
PY
