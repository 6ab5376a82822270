#!/usr/bin/env bash
# examples/camera_client.py's failures: exit 2 and the file named for a missing source or a bad
# flag, exit 1 for an unreachable server, a config the real resq-server rejects, a control call
# without the token and a plaintext client of a TLS server; one message, never a traceback.
#   camera_client_test_n.sh RESQ_SERVER CALIBRATION ASSET_DIR SOURCE_DIR
if [ "${1:-}" = --help ] || [ $# -ne 4 ]; then
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
  [ "${1:-}" = --help ]; exit $?
fi
server=$1 calibration=$2 assets=$3 src=$4
source "$(dirname "$0")/lib.sh"

# expect EXIT_CODE MESSAGE_PART CLIENT_ARGS...
expect() {
  local want=$1 message=$2 got=0
  shift 2
  "$PYTHON" "$src/examples/camera_client.py" "$@" >"$WORK/out" 2>"$WORK/err" || got=$?
  [ "$got" -eq "$want" ] || fail "camera_client.py $* exited $got, expected $want: $(cat "$WORK/err")"
  grep -qF -- "$message" "$WORK/err" || fail "camera_client.py $*: stderr lacks '$message': $(cat "$WORK/err")"
  if grep -q Traceback "$WORK/err"; then fail "camera_client.py $*: traceback: $(cat "$WORK/err")"; fi
  echo "ok: exit $got: $(tail -n 1 "$WORK/err")"
}

movie=$assets/movie.avi
expect 2 "$WORK/missing.avi" --source "$WORK/missing.avi"
echo "not a video" >"$WORK/garbage.avi"
expect 2 "$WORK/garbage.avi" --source "$WORK/garbage.avi"
expect 2 "keyframe_interval" --source "$movie" --update-after 3 --set keyframe_interval=eight
expect 2 "--set" --source "$movie" --update-after 3
read -r closed_port < <(free_ports 1)
expect 1 "cannot reach resq-server at 127.0.0.1:$closed_port" --source "$movie" \
  --server "127.0.0.1:$closed_port" --connect-timeout 1

start_server "$server" "$calibration"
expect 1 "INVALID_ARGUMENT" --server "127.0.0.1:$GRPC_PORT" --source "$movie" --frames 2 \
  --bits W8A8-W3Q
expect 1 "UpdateStreamConfig failed: INVALID_ARGUMENT" --server "127.0.0.1:$GRPC_PORT" \
  --source "$movie" --frames 6 --max-in-flight 1 --update-after 2 --set scheme=turbo

make_tls_and_token
start_server "$server" "$calibration" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" \
  --control-token-file "$WORK/token"
expect 1 "UpdateStreamConfig failed: UNAUTHENTICATED" --server "127.0.0.1:$GRPC_PORT" \
  --tls-ca "$WORK/cert.pem" --source "$movie" --frames 6 --max-in-flight 1 --update-after 2 \
  --set keyframe_interval=2
expect 1 "cannot reach resq-server" --server "127.0.0.1:$GRPC_PORT" --source "$movie" \
  --connect-timeout 2
expect 2 "$WORK/missing.pem" --server "127.0.0.1:$GRPC_PORT" --tls-ca "$WORK/missing.pem" \
  --source "$movie"
