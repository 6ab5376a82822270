#!/usr/bin/env bash
# examples/camera_client.py against the real resq-server: every frame of a clip gets a result,
# and a live UpdateStreamConfig (keyframe_interval 4 -> 8) changes the keyframe cadence; over TLS
# with a control token, the update goes through too.
#   camera_client_test.sh RESQ_SERVER CALIBRATION ASSET_DIR SOURCE_DIR
if [ "${1:-}" = --help ] || [ $# -ne 4 ]; then
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
  [ "${1:-}" = --help ]; exit $?
fi
server=$1 calibration=$2 assets=$3 src=$4
source "$(dirname "$0")/lib.sh"

frames=32
update_after=8
start_server "$server" "$calibration"
# Two frames in flight: the queue never overflows, so no frame is dropped on a busy machine.
"$PYTHON" "$src/examples/camera_client.py" --server "127.0.0.1:$GRPC_PORT" \
  --source "$assets/movie.avi" --stream-id client-test --frames $frames --max-in-flight 2 \
  --keyframe-interval 4 --update-after $update_after --set keyframe_interval=8 --json \
  >"$WORK/client.jsonl" 2>"$WORK/client.err" ||
  fail "camera_client.py exited $?: $(cat "$WORK/client.err")"

"$PYTHON" - "$WORK/client.jsonl" $frames <<'EOF'
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
frames = int(sys.argv[2])
results = [r for r in records if r["event"] == "frame"]
summary = records[-1]
problems = []
if summary["event"] != "summary":
    problems.append(f"the last line is not the summary: {summary}")
indices = [r["frame_index"] for r in results]
if indices != list(range(frames)):
    problems.append(f"results for frames {indices}, expected 0..{frames - 1}")
if summary.get("results") != frames or summary.get("frame_errors") != 0 \
        or summary.get("repeated") != 0:
    problems.append(f"summary {summary}")
if any(r["bops"] <= 0 or r["latency_ms"] <= 0 or r["cpu_ms"] <= 0 for r in results):
    problems.append("a result without bops, latency or CPU time")
if any(r["repeated"] for r in results):
    problems.append("a Dynamic-ResQ frame reported as repeated (only frame skipping repeats)")
updates = [r for r in records if r["event"] == "config_update"]
if len(updates) != 1 or updates[0]["config"].get("keyframe_interval") != 8:
    problems.append(f"config_update events {updates}, expected one with keyframe_interval 8")
# Cadence in processed frames: gaps of 4 until the update reaches a keyframe, then gaps of 8,
# and no run of 8 frames without a keyframe at the end.
keys = [i for i, r in enumerate(results) if r["keyframe"]]
gaps = [b - a for a, b in zip(keys, keys[1:])]
old = next((i for i, g in enumerate(gaps) if g != 4), len(gaps))
if keys[:1] != [0] or old == 0 or not gaps[old:] or set(gaps[old:]) != {8} \
        or len(results) - keys[-1] > 8:
    problems.append(f"keyframes at {keys} (gaps {gaps}): expected gaps of 4, then of 8")
print(f"{len(results)} results, keyframes at {keys}, update: {updates[:1]}")
if problems:
    sys.exit("FAIL: " + "\n".join(problems))
EOF

make_tls_and_token
start_server "$server" "$calibration" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" \
  --control-token-file "$WORK/token"
"$PYTHON" "$src/examples/camera_client.py" --server "127.0.0.1:$GRPC_PORT" --tls-ca "$WORK/cert.pem" \
  --token-file "$WORK/token" --source "$assets/movie.avi" --frames 8 --max-in-flight 2 \
  --update-after 2 --set keyframe_interval=2 --json >"$WORK/tls.jsonl" 2>"$WORK/tls.err" ||
  fail "camera_client.py over TLS with the token exited $?: $(cat "$WORK/tls.err")"
grep -q '"event": "config_update".*"keyframe_interval": 2' "$WORK/tls.jsonl" ||
  fail "no config update over TLS with the token: $(cat "$WORK/tls.jsonl")"
grep -q '"event": "summary".*"results": 8,' "$WORK/tls.jsonl" ||
  fail "not 8 results over TLS: $(tail -n 1 "$WORK/tls.jsonl")"
echo "TLS with a control token: 8 results, config updated"
