#!/usr/bin/env bash
# gst-launch-1.0 integration test of the resq plugin (GST_PLUGIN_PATH set by ctest): the README
# pipeline over movie.avi to EOS, checking the written AVI's frame count; a live videotestsrc
# pipeline; gst-inspect docs; a bad model path failing with its name.
# Usage: gst_launch_test.sh ASSET_DIR CALIBRATION WORK_DIR
set -uo pipefail

assets=$1
calib=$2
work=$3
model="$assets/selfie_segmentation.tflite"
mkdir -p "$work"
failures=0

check() {  # check NAME COMMAND...: runs COMMAND, reports
  local name=$1
  shift
  if "$@" >"$work/last.log" 2>&1; then
    echo "ok   $name"
  else
    echo "FAIL $name"
    tail -20 "$work/last.log"
    failures=$((failures + 1))
  fi
}

# Decoded frames of an AVI, counted by fakesink's per-buffer "chain" lines.
frame_count() {
  gst-launch-1.0 -v filesrc location="$1" ! decodebin ! fakesink silent=false 2>&1 |
    grep -c 'chain'
}

out="$work/movie-resq.avi"
rm -f "$out"
check "movie.avi through resqinfer ! resqoverlay to EOS" \
  gst-launch-1.0 -q filesrc location="$assets/movie.avi" ! decodebin ! videoconvert ! \
  resqinfer model="$model" calibration="$calib" scheme=dynamic "bits=W8A8->W8A{0,4,8}" ! \
  resqoverlay show-bit-map=true ! videoconvert ! jpegenc ! avimux ! filesink location="$out"
frames=$(frame_count "$out")
check "the output has the clip's 68 frames (got $frames)" test "$frames" -eq 68

check "live videotestsrc, skip scheme, fakesink sync=true" \
  gst-launch-1.0 -q videotestsrc is-live=true num-buffers=12 ! video/x-raw,framerate=30/1 ! \
  videoconvert ! resqinfer model="$model" calibration="$calib" scheme=skip ! resqoverlay ! \
  videoconvert ! fakesink sync=true

# Two resqinfer behind a tee: independent keyframe state, one loaded model.
check "two resqinfer behind a tee" \
  gst-launch-1.0 -q videotestsrc num-buffers=6 ! videoconvert ! tee name=t \
  t. ! queue ! resqinfer model="$model" calibration="$calib" keyframe-interval=2 ! fakesink \
  t. ! queue ! resqinfer model="$model" calibration="$calib" scheme=resq "bits=W8A8->W4A4" ! \
  fakesink

check "fp32 runs without a calibration" \
  gst-launch-1.0 -q videotestsrc num-buffers=2 ! videoconvert ! \
  resqinfer model="$model" scheme=fp32 ! fakesink

check "gst-inspect-1.0 resqinfer documents an example pipeline" \
  bash -c "gst-inspect-1.0 resqinfer | grep -q 'gst-launch-1.0 filesrc location=vtest.avi'"
check "gst-inspect-1.0 resqoverlay lists show-bit-map" \
  bash -c "gst-inspect-1.0 resqoverlay | grep -q 'show-bit-map'"

check "a missing model fails and names the file" \
  bash -c "! gst-launch-1.0 videotestsrc num-buffers=1 ! videoconvert ! \
    resqinfer model=/nonexistent/m.tflite ! fakesink > '$work/bad.log' 2>&1 &&
    grep -q 'Model file /nonexistent/m.tflite not found' '$work/bad.log'"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all gst-launch checks passed"
