# Sourced by the integration tests: temp dir, cleanup of every started process, free ports,
# polling, and resq-server on free localhost ports.
set -euo pipefail

PYTHON=/usr/bin/python3  # Debian's: sees python3-grpcio and python3-opencv
WORK=$(mktemp -d "${TMPDIR:-/tmp}/resq-integration.XXXXXX")
PIDS=()

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Prints N ports that were free a moment ago (the kernel's choice; the bind race is harmless
# here: a taken port makes the server fail to start, which the test reports).
free_ports() {
  "$PYTHON" - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# wait_for SECONDS WHAT COMMAND...: runs COMMAND every 0.2 s until it succeeds.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ $SECONDS -lt $deadline ] || fail "timed out after ${seconds} s waiting for $what"
    sleep 0.2
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_server BINARY CALIBRATION [FLAG...]: sets GRPC_PORT and METRICS_PORT once both accept
# connections.
start_server() {
  local binary=$1 calibration=$2 extra=("${@:3}")
  # Tests want only their own streams: the server-side demo stream goes off where it exists.
  if [[ $("$binary" --help) == *--no-demo* ]]; then extra+=(--no-demo); fi
  read -r GRPC_PORT METRICS_PORT < <(free_ports 2)
  "$binary" --listen "127.0.0.1:$GRPC_PORT" --metrics-listen "127.0.0.1:$METRICS_PORT" \
    --calibration "$calibration" "${extra[@]}" >"$WORK/server.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  server_up() {
    kill -0 "$pid" 2>/dev/null || fail "resq-server exited early: $(cat "$WORK/server.log")"
    port_open "$GRPC_PORT" && port_open "$METRICS_PORT"
  }
  wait_for 60 "resq-server on ports $GRPC_PORT/$METRICS_PORT" server_up
}

# $WORK/cert.pem and key.pem for 127.0.0.1, and a control token in $WORK/token.
make_tls_and_token() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
    >/dev/null 2>&1 || fail "openssl cannot make a test certificate"
  echo "token-$RANDOM$RANDOM" >"$WORK/token"
}
