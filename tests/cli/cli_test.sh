#!/usr/bin/env bash
# End-to-end checks of the `resq` binary: help, exit codes, inspect totals, run-tensors, run,
# calibrate.
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

for sub in "" inspect run-tensors run calibrate; do
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

[ "$failures" -eq 0 ] || { echo "$failures CLI check(s) failed"; exit 1; }
