#!/usr/bin/env bash
# resq-server as a user starts it: with no arguments (default model, calibration, ports and the
# demo stream), from a --config file, with bad flags; resq-health-probe against it.
# Usage: server_cli_test.sh RESQ_SERVER RESQ_HEALTH_PROBE
set -uo pipefail
server=$1
probe=$2
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

# The probe tells an unreachable server (2) from a serving one (0).
"$probe" --address 127.0.0.1:1 --timeout 2 2>/dev/null
[ $? -eq 2 ] || fail "health probe on a closed port did not exit 2"

[ "$failures" -eq 0 ] && echo "server CLI: all checks passed"
exit "$failures"
