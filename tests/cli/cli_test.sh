#!/usr/bin/env bash
# End-to-end checks of the `resq` binary: help, exit codes, inspect totals, run-tensors, run,
# calibrate, eval, policy-map, bench.
# Usage: cli_test.sh RESQ_BINARY TEST_DATA_DIR ASSET_DIR
set -uo pipefail
resq=$1 data=$2 assets=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() {  # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}
exit_code() { "$@" >/dev/null 2>&1; echo $?; }

for sub in "" inspect run-tensors run calibrate eval policy-map bench; do
  check "--help $sub exits 0" test "$(exit_code "$resq" $sub --help)" = 0
done
check "unknown option exits 2" test "$(exit_code "$resq" inspect --bogus x)" = 2
check "missing model exits 1" test "$(exit_code "$resq" inspect "$work/none.onnx")" = 1
printf 'garbage' > "$work/bad.tflite"
check "bad model names the file" bash -c "'$resq' inspect '$work/bad.tflite' 2>&1 | grep -q 'bad.tflite'"

model="$assets/selfie_segmentation.tflite"
"$resq" inspect --json "$model" > "$work/inspect.json"
check "inspect --json totals: 59215744 MACs" grep -q '"macs": 59215744' "$work/inspect.json"
check "inspect --json totals: 106413 params" grep -q '"params": 106413' "$work/inspect.json"
check "inspect --json: convs with fused element-wise nodes" grep -q '"fused_after": 1' "$work/inspect.json"

conv="$data/onnx-node/test_conv_with_strides_padding"
check "run-tensors writes y.pb" "$resq" run-tensors --model "$conv/model.onnx" \
  --input "x=$conv/test_data_set_0/input_0.pb" --input "W=$conv/test_data_set_0/input_1.pb" \
  --output-dir "$work/rt"
check "run-tensors output exists" test -s "$work/rt/y.pb"
check "run-tensors: missing input exits 1" test "$(exit_code "$resq" run-tensors --model "$conv/model.onnx" \
  --input "x=$conv/test_data_set_0/input_0.pb" --output-dir "$work/rt")" = 1
check "run-tensors: unknown input name exits 1" test "$(exit_code "$resq" run-tensors --model "$conv/model.onnx" \
  --input "x=$conv/test_data_set_0/input_0.pb" --input "W=$conv/test_data_set_0/input_1.pb" \
  --input "Q=$conv/test_data_set_0/input_1.pb" --output-dir "$work/rt")" = 1

check "run on 5 frames" "$resq" run --model "$model" --video "$assets/movie.avi" --max-frames 5 \
  --out "$work/out/annotated.mp4" --json "$work/out/summary.json"
check "run wrote a video" test -s "$work/out/annotated.mp4"
check "summary counts 5 frames" grep -q '"frames": 5' "$work/out/summary.json"
check "summary has inference median" grep -q '"median"' "$work/out/summary.json"
check "run on a missing clip exits 1" test "$(exit_code "$resq" run --model "$model" \
  --video "$work/none.avi" --out "$work/x.mp4")" = 1

# Small settings: a few seconds on the default model.
calib=(calibrate --model "$model" --video "$assets/movie.avi" --samples 2 --search-points 3)
check "calibrate on 4 frames" "$resq" "${calib[@]}" --frames 4 --out "$work/calib/calib.json"
check "calibration has 55 layers" grep -q '"linear_layers": 55' "$work/calib/calib.json"
check "calibration loads for its model" "$resq" calibrate --model "$model" --check "$work/calib/calib.json"
check "calibration of another model exits 1" test "$(exit_code "$resq" calibrate \
  --model "$conv/model.onnx" --check "$work/calib/calib.json")" = 1
check "another model: says what differs" bash -c "'$resq' calibrate --model '$conv/model.onnx' \
  --check '$work/calib/calib.json' 2>&1 | grep -q 'layer count differs'"
check "calibrate --json reports seconds" bash -c "'$resq' ${calib[*]@Q} --frames 2 --json \
  --out '$work/calib/c2.json' | grep -q '\"seconds\"'"
check "too few frames exits 1" test "$(exit_code "$resq" "${calib[@]}" --start-frame 60 --frames 20 \
  --out "$work/calib/x.json")" = 1
check "too few frames: says decoded and needed" bash -c "'$resq' ${calib[*]@Q} --start-frame 60 \
  --frames 20 --out '$work/calib/x.json' 2>&1 | grep -q 'decoded 8 frames.*needs 20'"
check "calibrate: samples 1 is a usage error" test "$(exit_code "$resq" calibrate --model "$model" \
  --video "$assets/movie.avi" --samples 1 --out "$work/c2.json")" = 2
check "calibrate without --out exits 2" test "$(exit_code "$resq" calibrate --model "$model" \
  --video "$assets/movie.avi")" = 2

check "run with ResQ: 5 frames at T=4 give 2 keyframes" bash -c "'$resq' run --model '$model' \
  --video '$assets/movie.avi' --calibration '$work/calib/calib.json' --bits 'W8A8->W4A4' --T 4 \
  --max-frames 5 --no-progress --out '$work/out/resq.mp4' --json '$work/out/resq.json' >/dev/null \
  && grep -q '\"keyframes\": 2' '$work/out/resq.json' && grep -q '\"bits\": \"W8A8->W4A4\"' '$work/out/resq.json'"
check "run: a quantized scheme without calibration exits 1" test "$(exit_code "$resq" run \
  --model "$model" --video "$assets/movie.avi" --bits W8A8 --out "$work/out/x.mp4")" = 1

# eval: a small grid on 4 frames after the calibration frames.
cal="$work/calib/calib.json"
printf '%s\n' fp32 W8A8 W4A4 'W8A8->W4A4 T=2' 'W8A8->W8A{0,4,8} T=2 tau=3' 'W8A8->skip T=2' \
  > "$work/grid.txt"
eval_args=(eval --model "$model" --calibration "$cal" --video "$assets/movie.avi" --start-frame 4
           --frames 4 --no-progress)
check "eval on 4 frames" "$resq" "${eval_args[@]}" --grid "$work/grid.txt" \
  --json "$work/eval/e.json" --csv "$work/eval/e.csv" --plot "$work/eval/e.png"
check "eval JSON: fields, fp32 exact, BOPs follow bits" python3 - "$work/eval/e.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
fields = {"label", "scheme", "bits", "T", "tau", "frames", "keyframes", "gbops_per_frame",
          "policy_gbops_per_frame", "ratio_to_fp32", "ratio_to_w8a8", "iou_mean", "iou_min",
          "mean_abs_error", "sqnr_db", "pixel_bits", "residual_pixel_bits", "iou_by_distance",
          "simulated_ms_per_frame_median"}
c = {x["label"]: x for x in d["configurations"]}
assert len(c) == 6 and d["frames"] == 4 and d["start_frame"] == 4, d
for x in c.values():
    assert fields <= set(x), fields - set(x)
    assert x["frames"] == 4
fp = c["fp32"]
assert fp["iou_mean"] == 1 and fp["sqnr_db"] is None and fp["mean_abs_error"] == 0, fp
assert fp["ratio_to_fp32"] == 1 and fp["scheme"] == "fp32" and fp["tau"] is None
g = {k: v["gbops_per_frame"] for k, v in c.items()}
assert g["fp32"] > g["W8A8"] > g["W8A8->W4A4 T=2"] > g["W4A4"], g
assert abs(g["W8A8->skip T=2"] - g["W8A8"] / 2) < 1e-9 * g["W8A8"], g
assert c["W8A8"]["sqnr_db"] > c["W4A4"]["sqnr_db"]
dyn = c["W8A8->W8A{0,4,8} T=2 tau=3"]
assert dyn["scheme"] == "dynamic" and dyn["tau"] == 3 and dyn["T"] == 2 and dyn["keyframes"] == 2
assert [b["distance"] for b in dyn["iou_by_distance"]] == [0, 1]
assert abs(sum(dyn["pixel_bits"].values()) - 1) < 1e-9
assert c["W8A8->skip T=2"]["residual_pixel_bits"] == {"0": 1.0}
PY
check "eval CSV: header and 6 rows" test "$(wc -l < "$work/eval/e.csv")" = 7
check "eval plot is a PNG" bash -c "head -c 8 '$work/eval/e.png' | grep -q PNG"
check "default grid has 78 configurations" test "$("$resq" eval --print-grid | wc -l)" = 78
printf 'W8A8\nW8A8->W4A4 T=0\n' > "$work/bad_grid.txt"
check "bad grid exits 1" test "$(exit_code "$resq" "${eval_args[@]}" --grid "$work/bad_grid.txt")" = 1
check "bad grid: names file, line and value" bash -c "'$resq' eval --print-grid \
  --grid '$work/bad_grid.txt' 2>&1 | grep -q \"bad_grid.txt:2: T '0' is not an integer\""
check "eval without --calibration exits 2" test "$(exit_code "$resq" eval --model "$model" \
  --video "$assets/movie.avi")" = 2
check "eval with another model's calibration exits 1" test "$(exit_code "$resq" eval \
  --model "$conv/model.onnx" --calibration "$cal" --video "$assets/movie.avi")" = 1
check "eval past the clip's end exits 1" test "$(exit_code "$resq" eval --model "$model" \
  --calibration "$cal" --video "$assets/movie.avi" --start-frame 100)" = 1

pm=(policy-map --model "$model" --calibration "$cal" --video "$assets/movie.avi" --frames 3
    --no-progress)
check "policy-map writes a PNG" bash -c "'$resq' ${pm[*]@Q} --out '$work/pm/map.png' --json \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d[\"frames\"]) == 3, d'"
check "policy-map PNG exists" bash -c "head -c 8 '$work/pm/map.png' | grep -q PNG"
check "policy-map: unknown layer exits 1" test "$(exit_code "$resq" "${pm[@]}" --layer nope \
  --out "$work/pm/x.png")" = 1
check "policy-map: unknown layer is named" bash -c "'$resq' ${pm[*]@Q} --layer nope \
  --out '$work/pm/x.png' 2>&1 | grep -q \"no linear layer 'nope'\""

# bench: few frames, structure and consistency only (timings are not asserted).
bench=(bench --model "$model" --video "$assets/movie.avi" --no-progress)
check "bench fp32: 2 streams on 2 threads" "$resq" "${bench[@]}" --frames 6 --warmup 1 --streams 2 \
  --threads 2 --json "$work/bench/fp32.json"
check "bench W8A8->W4A4 T=4 (--scheme)" "$resq" "${bench[@]}" --calibration "$cal" \
  --scheme 'W8A8->W4A4' --T 4 --frames 8 --warmup 0 --json "$work/bench/resq.json"
check "bench Dynamic-ResQ T=3 --change-tracking" "$resq" "${bench[@]}" --calibration "$cal" \
  --bits 'W8A8->W8A{0,4,8}' --T 3 --frames 6 --warmup 0 --change-tracking \
  --json "$work/bench/tracked.json"
for q in 0 60; do
  check "bench Dynamic-ResQ T=3 --jpeg-quality $q" "$resq" "${bench[@]}" --calibration "$cal" \
    --bits 'W8A8->W8A{0,4,8}' --T 3 --frames 6 --warmup 0 --jpeg-quality $q \
    --json "$work/bench/jpeg$q.json"
done
check "bench --jpeg-quality 101 exits 2" test "$(exit_code "$resq" "${bench[@]}" --jpeg-quality 101)" = 2
check "bench --jpeg-quality 101 is named" bash -c "'$resq' ${bench[*]@Q} --jpeg-quality 101 2>&1 |
  grep -q -- --jpeg-quality"
check "bench JSON: fields, percentiles, shares, layers" python3 - "$work/bench/fp32.json" \
  "$work/bench/resq.json" "$work/inspect.json" "$work/bench/tracked.json" \
  "$work/bench/jpeg0.json" "$work/bench/jpeg60.json" <<'PY'
import json, sys
fp, rq, ins, tr, dy, jp = (json.load(open(f)) for f in sys.argv[1:7])
# Compression noise is residual: the JPEG frames' Dynamic-ResQ costs other bit operations than
# the same frames as decoded.
assert jp["jpeg_quality"] == 60 and dy["jpeg_quality"] is None, (jp["jpeg_quality"], dy["jpeg_quality"])
assert jp["gbops_per_frame"] != dy["gbops_per_frame"], (jp["gbops_per_frame"], dy["gbops_per_frame"])
assert fp["keyframe_latency_ms"] is None and fp["residual_latency_ms"] is None
assert not fp["change_tracking"] and fp["pixels_read_share"] is None
for d in (rq, tr):
    assert 0 < d["keyframe_latency_ms"]["median"] and 0 < d["residual_latency_ms"]["median"], d
assert tr["change_tracking"] and tr["keyframes"] == 2
# The layers' output buffers: the thread's shared set without change tracking, a stream's own
# with it (each linear layer's output kept).
assert rq["per_stream"][0]["activation_buffer_bytes"] == 0 < rq["shared_buffer_bytes"], rq
assert tr["per_stream"][0]["activation_buffer_bytes"] > 0, tr
# The quantized layers' work buffers, more with change tracking (its change masks).
assert 0 < rq["per_stream"][0]["scratch_bytes"] < tr["per_stream"][0]["scratch_bytes"]
# Change tracking reads only the pixels that may differ from the keyframe's.
assert 0 < tr["pixels_read_share"] < 1, tr["pixels_read_share"]
# Each node's share of output pixels that may differ, with change tracking only: shares, the
# image's first conv's partial (camera noise, not every pixel), none without tracking.
assert all("changed_share" not in l for l in fp["layers"] + rq["layers"])
shares = [l["changed_share"] for l in tr["layers"]]
assert all(0 <= s <= 1 for s in shares) and 0 < shares[1] < 1, shares[:4]
# Where a Dynamic-ResQ residual frame's time went: every phase, none beyond the frame's mean.
assert fp["residual_phases_ms"] is None and rq["residual_phases_ms"] is None
ph = tr["residual_phases_ms"]
assert set(ph) == {"policy_read", "policy_test", "policy_gather", "policy_quantize", "policy_choose",
                   "tracking", "start", "sums", "epilogue"}, ph
assert all(v >= 0 for v in ph.values()) and ph["policy_read"] > 0 and ph["tracking"] > 0, ph
assert sum(ph.values()) < tr["residual_latency_ms"]["mean"], (ph, tr["residual_latency_ms"])
# The same by linear layer: every linear layer has them, no other layer, and they add up.
by_layer = [l["residual_phases_ms"] for l in tr["layers"] if "residual_phases_ms" in l]
assert len(by_layer) == tr["linear_layers"] and all(l["linear"] for l in tr["layers"] if "residual_phases_ms" in l)
assert all("residual_phases_ms" not in l for l in fp["layers"] + rq["layers"])
for k, v in ph.items():
    assert abs(sum(l[k] for l in by_layer) - v) <= 1e-9 + 1e-6 * v, (k, v)
for d in (fp, rq):
    for k in ("latency_ms", "frame_ms", "cpu_ms"):
        assert 0 < d[k]["median"] <= d[k]["p95"], d[k]
    assert d["fps"] > 0 and d["wall_s"] > 0, d
    assert d["layer_count"] == ins["totals"]["layers"] == len(d["layers"]), d["layer_count"]
    assert d["linear_layers"] == 55 == sum(l["linear"] for l in d["layers"])
    assert abs(sum(l["share"] for l in d["layers"]) - 1) < 1e-6
    assert all(l["ms_per_frame"] >= 0 for l in d["layers"])
    # The layers' time is the engine's time minus what happens between nodes.
    assert sum(l["ms_per_frame"] for l in d["layers"]) <= d["latency_ms"]["mean"] * 1.001
    assert len(d["per_stream"]) == d["streams"]
    assert d["machine"]["hardware_threads"] >= 1 and d["machine"]["load_average_1min"] >= 0
    # The engine's CPU time is part of each frame's (the tensor conversion is the rest).
    engine_cpu, cpu = d["engine_cpu_ms"]["median"], d["cpu_ms"]["median"]
    assert 0 < engine_cpu <= cpu + 1e-6, (engine_cpu, cpu)
    m = d["machine"]
    assert m["float_vectors"] in ("AVX-512", "AVX2 + FMA", "AVX", "SSE2"), m
    assert m["int_gemm"].split(" (")[0] in ("u8 x s8 groups of 4", "int16 pairs", "portable C++"), m
assert fp["streams"] == 2 and fp["threads"] == 2 and fp["frames"] == 6 and fp["bits"] == "fp32"
assert fp["keyframes"] == 0 and fp["keyframe_cache_bytes"] == 0 and fp["ratio_to_fp32"] == 1
assert [s["thread"] for s in fp["per_stream"]] == [0, 1]
assert rq["bits"] == "W8A8->W4A4" and rq["T"] == 4 and rq["tau"] is None
assert rq["keyframes"] == 2 and rq["keyframe_share"] == 0.25, rq["keyframes"]
assert rq["keyframe_cache_bytes"] > 0
# One stream on one thread: the timed wall-clock holds every frame's time.
assert rq["wall_s"] * 1000 >= rq["frames"] * rq["frame_ms"]["mean"] * 0.999, rq["wall_s"]
# ResQ at T=4: (64 + 3 x 16) / 4 BOPs per MAC against 1024 for fp32.
assert abs(rq["ratio_to_fp32"] - 28 / 1024) < 1e-9, rq["ratio_to_fp32"]
PY
check "bench: missing clip exits 1" test "$(exit_code "$resq" bench --model "$model" \
  --video "$work/none.avi")" = 1
check "bench: missing clip is named" bash -c "'$resq' bench --model '$model' \
  --video '$work/none.avi' 2>&1 | grep -q 'none.avi: no such file'"
# movie.avi has 68 frames: from frame 65, three are left for the 5 warm-up frames (decoded: 3).
check "bench --start-frame 65" "$resq" "${bench[@]}" --start-frame 65 --frames 2 \
  --json "$work/bench/start.json"
check "bench --start-frame: the clip's last frames" python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
assert (d['start_frame'], d['clip_frames'], d['frames']) == (65, 3, 2), d" "$work/bench/start.json"
check "bench: a start frame past the clip exits 1" test "$(exit_code "$resq" "${bench[@]}" \
  --start-frame 68)" = 1
check "bench: a start frame past the clip is named" bash -c "'$resq' ${bench[*]@Q} \
  --start-frame 100 2>&1 | grep -q 'has only 68 frames, the start frame is 100'"
check "bench: --start-frame -1 exits 2" test "$(exit_code "$resq" "${bench[@]}" --start-frame -1)" = 2
check "bench: --streams 0 exits 2" test "$(exit_code "$resq" "${bench[@]}" --streams 0)" = 2
check "bench: a quantized scheme without calibration exits 1" test "$(exit_code "$resq" \
  "${bench[@]}" --bits W8A8)" = 1

[ "$failures" -eq 0 ] || { echo "$failures CLI check(s) failed"; exit 1; }
