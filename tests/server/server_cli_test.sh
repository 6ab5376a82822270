#!/usr/bin/env bash
# resq-server as a user starts it: with no arguments (default model, calibration, ports and the
# demo stream), from a --config file, with bad flags; resq-health-probe and resq-loadgen
# against it.
# Usage: server_cli_test.sh RESQ_SERVER RESQ_HEALTH_PROBE RESQ_LOADGEN
set -uo pipefail
server=$1
probe=$2
loadgen=$3
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Starts the server with "$@" in the background; sets pid and port (from its first line).
start() {
  "$server" "$@" >"$work/out" 2>"$work/err" &
  pid=$!
  for _ in $(seq 600); do
    port=$(sed -n 's/.*serving gRPC on port \([0-9]*\).*/\1/p' "$work/out")
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$work/err"; return 1; }
    sleep 0.1
  done
  return 1
}

# Stops it with SIGTERM; fails unless it exits 0 within 20 s.
stop() {
  kill -TERM "$pid"
  for _ in $(seq 200); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  wait "$pid"
  local rc=$?
  pid=
  [ "$rc" -eq 0 ] || fail "SIGTERM: exit code $rc, not 0"
}

"$server" --help | grep -q -- "--no-demo" || fail "--help does not list --no-demo"
"$probe" --help | grep -q -- "--address" || fail "resq-health-probe --help does not list --address"

# No arguments: gRPC on 127.0.0.1:50051, metrics on 127.0.0.1:9464, the demo stream running.
if start; then
  [ "$port" = 50051 ] || fail "default gRPC port $port, not 50051"
  "$probe" --address 127.0.0.1:50051 >/dev/null || fail "health probe: not SERVING"
  grep -q "default dynamic W8A8->W8A{0,4,8}" "$work/out" || fail "default config: $(head -1 "$work/out")"
  frames=0
  for _ in $(seq 300); do
    frames=$(curl -s http://127.0.0.1:9464/metrics |
             sed -n 's/^resq_frames_total{stream="demo"} \([0-9]*\).*/\1/p')
    [ "${frames:-0}" -gt 3 ] && break
    sleep 0.2
  done
  [ "${frames:-0}" -gt 3 ] || fail "no demo frames in /metrics after 60 s (got '${frames}')"
  stop
else
  fail "resq-server with no arguments did not start"
fi

# A --config file; command-line flags win over it.
cat >"$work/server.toml" <<TOML
listen = "127.0.0.1:0"
metrics-listen = ""
no-demo = true
max-streams = 3
TOML
if start --config "$work/server.toml"; then
  "$probe" --address "127.0.0.1:$port" >/dev/null || fail "--config: health probe not SERVING"
  grep -q "demo stream" "$work/out" && fail "--config no-demo = true still ran the demo"
  grep -q "metrics on port" "$work/out" && fail "--config metrics-listen = \"\" still serves metrics"
  # Two fp32 streams at 10 fps for 2 s: every measured frame answered, the JSON complete.
  if "$loadgen" --server "127.0.0.1:$port" --video "$RESQ_ASSET_DIR/vtest.avi" --streams 2 \
       --fps 10 --seconds 2 --warmup 1 --scheme fp32 --json "$work/load.json" >/dev/null; then
    /usr/bin/python3 - "$work/load.json" <<'PY' || fail "resq-loadgen JSON: $(cat "$work/load.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["streams"] == 2 and j["errors"] == 0, j
assert j["sent"] >= 50 and j["answered_measured"] > 0, j
assert j["answered_measured"] + j["dropped"] <= j["sent"], j
assert 0 < j["e2e_ms"]["p50"] <= j["e2e_ms"]["p99"] <= j["e2e_ms"]["max"], j
assert 0 < j["engine_cpu_ms"]["p50"] <= j["engine_cpu_ms"]["p99"], j
assert isinstance(j["meets_target"], bool), j
assert j["encoding"] == "jpeg", j
PY
  else
    fail "resq-loadgen against the server failed"
  fi
  # PNG and raw frames: answered as JPEG ones are.
  for encoding in png raw; do
    "$loadgen" --server "127.0.0.1:$port" --video "$RESQ_ASSET_DIR/vtest.avi" --streams 1 \
      --fps 10 --seconds 1 --warmup 0.5 --scheme fp32 --encoding $encoding \
      --json "$work/load_$encoding.json" >/dev/null || fail "resq-loadgen --encoding $encoding failed"
    /usr/bin/python3 - "$work/load_$encoding.json" "$encoding" <<'PY' ||
import json, sys
j = json.load(open(sys.argv[1]))
assert j["encoding"] == sys.argv[2] and j["errors"] == 0 and j["answered_measured"] > 0, j
PY
      fail "resq-loadgen --encoding $encoding JSON: $(cat "$work/load_$encoding.json")"
  done
  # --find-max up to the server's 3 streams: 1, 2, 3 tried (one run each), and what it reports
  # agrees with the runs; beyond the server's limit the refused stream ends the search (exit 1).
  "$loadgen" --server "127.0.0.1:$port" --video "$RESQ_ASSET_DIR/vtest.avi" --streams 1 \
    --find-max 3 --repeats 1 --fps 10 --seconds 1 --warmup 0.5 --scheme fp32 \
    --json "$work/find_max.json" >"$work/find_max.out" || fail "resq-loadgen --find-max 3 failed"
  /usr/bin/python3 - "$work/find_max.json" <<'PY' || fail "resq-loadgen --find-max JSON: $(cat "$work/find_max.json")"
import json, sys
f = json.load(open(sys.argv[1]))["find_max"]
counts = f["counts"]
assert f["limit"] == 3 and f["repeats"] == 1, f
tried = [c["streams"] for c in counts]
assert tried[0] == 1 and set(tried) <= {1, 2, 3}, tried
for c in counts:
    assert len(c["runs"]) == 1 and c["runs"][0]["streams"] == c["streams"], c
    assert c["met"] == c["runs"][0]["meets_target"], c
met = [c["streams"] for c in counts if c["met"]]
missed = [c["streams"] for c in counts if not c["met"]]
assert f["largest_met"] == max(met, default=0), f
assert f["smallest_missed"] == min(missed, default=0), f
assert f["smallest_missed"] in (0, f["largest_met"] + 1), f
PY
  grep -q "^most streams meeting the target: " "$work/find_max.out" ||
    fail "resq-loadgen --find-max printed no result: $(cat "$work/find_max.out")"
  "$loadgen" --server "127.0.0.1:$port" --video "$RESQ_ASSET_DIR/vtest.avi" --streams 4 \
    --find-max 4 --repeats 1 --fps 10 --seconds 1 --warmup 0.5 --scheme fp32 \
    >/dev/null 2>"$work/err"
  [ $? -eq 1 ] || fail "resq-loadgen --find-max beyond the server's limit did not exit 1"
  grep -q "maximum of 3 streams" "$work/err" || fail "--find-max beyond the limit: $(cat "$work/err")"
  stop
else
  fail "resq-server --config did not start"
fi

# Bad flags: exit code 1 and a message naming what is wrong.
expect_error() {  # message-substring args...
  local want=$1
  shift
  "$server" --no-demo --listen 127.0.0.1:0 --metrics-listen "" "$@" >/dev/null 2>"$work/err"
  local rc=$?
  [ "$rc" -ne 0 ] || fail "$* exited 0"
  grep -qF -- "$want" "$work/err" || fail "$*: no '$want' in: $(cat "$work/err")"
}
expect_error "/nonexistent/model.tflite" --model /nonexistent/model.tflite
expect_error "/nonexistent/calib.json" --calibration /nonexistent/calib.json
expect_error "--tls-key" --tls-cert "$work/server.toml"
expect_error "/nonexistent/token" --control-token-file /nonexistent/token
"$server" --listen 127.0.0.1:0 --metrics-listen "" --demo-clip /nonexistent/clip.avi \
  >/dev/null 2>"$work/err"
[ $? -eq 1 ] || fail "--demo-clip /nonexistent/clip.avi did not exit 1"
grep -q "/nonexistent/clip.avi" "$work/err" || fail "--demo-clip error: $(cat "$work/err")"

# Bad command lines exit 2, an unreachable server 1.
"$server" --bogus >/dev/null 2>&1
[ $? -eq 2 ] || fail "resq-server --bogus did not exit 2"
"$loadgen" --streams 0 >/dev/null 2>&1
[ $? -eq 2 ] || fail "resq-loadgen --streams 0 did not exit 2"
"$loadgen" --encoding gif >/dev/null 2>&1
[ $? -eq 2 ] || fail "resq-loadgen --encoding gif did not exit 2"
"$loadgen" --video "$RESQ_ASSET_DIR/vtest.avi" --repeats 2 >/dev/null 2>&1
[ $? -eq 2 ] || fail "resq-loadgen --repeats without --find-max did not exit 2"
"$loadgen" --video "$RESQ_ASSET_DIR/vtest.avi" --streams 8 --find-max 4 >/dev/null 2>&1
[ $? -eq 2 ] || fail "resq-loadgen --find-max below --streams did not exit 2"
"$loadgen" --server 127.0.0.1:1 --video "$RESQ_ASSET_DIR/vtest.avi" >/dev/null 2>&1
[ $? -eq 1 ] || fail "resq-loadgen against a closed port did not exit 1"

# The probe tells an unreachable server (2) from a serving one (0).
"$probe" --address 127.0.0.1:1 --timeout 2 2>/dev/null
[ $? -eq 2 ] || fail "health probe on a closed port did not exit 2"

[ "$failures" -eq 0 ] && echo "server CLI: all checks passed"
exit "$failures"
