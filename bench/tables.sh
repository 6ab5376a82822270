#!/usr/bin/env bash
# The `resq bench` tables of docs/performance.md: fp32, W8A8 (frame), ResQ W8A8->W4A4 T=4 and
# Dynamic-ResQ W8A8->W8A{0,4,8} T=6 tau=3 on the default model, the quantized ones with the
# integer kernels and with --float-sums (same outputs), one stream on one thread, over vtest.avi
# (first 200 frames) and movie.avi (68 frames x 3), RUNS times each, configurations interleaved;
# prints markdown (median over the runs of each run's figures; "x fp32" is the median over the
# runs of the ratio to that run's fp32, taken a few seconds apart, which the machine's drifting
# speed moves far less than the times themselves). JSON of every run in OUT_DIR.
# Usage: bash bench/tables.sh [--runs R]   (env: RESQ, RESQ_ASSET_DIR, OUT_DIR)
set -euo pipefail
runs=3
# shellcheck source=bench/common.sh
source "$(dirname "$0")/common.sh"
parse_options "runs runs" "$@"
out=${OUT_DIR:-$root/out/bench/tables}
mkdir -p "$out"

configs=("fp32|fp32|4|" "w8a8|W8A8|4|" "w8a8_float|W8A8|4|--float-sums" "resq|W8A8->W4A4|4|"
         "resq_float|W8A8->W4A4|4|--float-sums" "dynamic|W8A8->W8A{0,4,8}|6|"
         "dynamic_float|W8A8->W8A{0,4,8}|6|--float-sums")
clips=("vtest|vtest.avi|--frames 200" "movie|movie.avi|--repeat 3")
for r in $(seq 1 "$runs"); do
  for clip in "${clips[@]}"; do
    IFS='|' read -r cname cfile cframes <<< "$clip"
    for cfg in "${configs[@]}"; do
      IFS='|' read -r name bits period flags <<< "$cfg"
      # shellcheck disable=SC2086  # cframes is two words, flags zero or one on purpose
      "$resq" bench --model "$assets/selfie_segmentation.tflite" --video "$assets/$cfile" \
        --calibration "$assets/selfie_segmentation.calib.json" --bits "$bits" --T "$period" --tau 3 \
        $cframes $flags --warmup 10 --threads 1 --top 0 --no-progress --json "$out/${cname}_${name}_$r.json" >/dev/null
      echo "run $r: $cname $bits $flags" >&2
    done
  done
done

python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
med = statistics.median
for clip in ("vtest", "movie"):
    rows = []
    fp32 = [json.load(open(f"{out}/{clip}_fp32_{r}.json"))["latency_ms"]["median"] for r in range(1, runs + 1)]
    for name in ("fp32", "w8a8", "w8a8_float", "resq", "resq_float", "dynamic", "dynamic_float"):
        ds = [json.load(open(f"{out}/{clip}_{name}_{r}.json")) for r in range(1, runs + 1)]
        d = ds[0]
        label = d["bits"] + (f" T={d['T']}" if d["T"] > 1 else "") + (f" tau={d['tau']:g}" if d["tau"] is not None else "")
        if d["bits"] != "fp32":
            label += " int" if d["integer_kernels"] else " float sums"
        # Top layers by share, summed over the runs.
        share = {}
        for x in ds:
            for l in x["layers"]:
                share[l["name"]] = share.get(l["name"], (l["op"], 0.0))[0], share.get(l["name"], (l["op"], 0.0))[1] + l["share"] / runs
        top = sorted(share.items(), key=lambda kv: -kv[1][1])[:5]
        ratio = med(x["latency_ms"]["median"] / f for x, f in zip(ds, fp32))
        rows.append((label, med(x["latency_ms"]["median"] for x in ds), ratio, med(x["latency_ms"]["p95"] for x in ds),
                     med(x["cpu_ms"]["median"] for x in ds), med(x["fps"] for x in ds), d["keyframe_share"],
                     d["keyframe_cache_bytes"], d["gbops_per_frame"],
                     ", ".join(f"{n} ({op}) {100 * s:.1f}%" for n, (op, s) in top), d["frames"]))
    print(f"\n{clip}.avi, {rows[0][-1]} frames per run, {runs} runs:\n")
    print("| configuration | median ms | x fp32 | p95 ms | CPU median ms | fps | keyframe share | KeyframeCache bytes | GBOPs/frame | top-5 layers by share |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]:.2f} | {r[2]:.3f} | {r[3]:.2f} | {r[4]:.2f} | {r[5]:.1f} | {r[6]:.3f} | {r[7]:,} | {r[8]:.2f} | {r[9]} |")
PY
