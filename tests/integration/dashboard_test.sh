#!/usr/bin/env bash
# deploy/ end to end: resq-server, a real Prometheus scraping it with deploy/prometheus's config
# (target and interval replaced), examples/camera_client.py streaming with a live config update;
# then every query of deploy/grafana/dashboards/resq.json must return data.
#   dashboard_test.sh RESQ_SERVER CALIBRATION ASSET_DIR SOURCE_DIR
if [ "${1:-}" = --help ] || [ $# -ne 4 ]; then
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
  [ "${1:-}" = --help ]; exit $?
fi
server=$1 calibration=$2 assets=$3 src=$4
source "$(dirname "$0")/lib.sh"

prometheus=$(command -v prometheus || true)
promtool=$(command -v promtool || true)
[ -n "$prometheus" ] && [ -n "$promtool" ] || fail "prometheus/promtool not found (Debian package prometheus, scripts/deps.sh)"
"$promtool" check config "$src/deploy/prometheus/prometheus.yml" >/dev/null ||
  fail "promtool rejects deploy/prometheus/prometheus.yml"

start_server "$server" "$calibration"

read -r prom_port < <(free_ports 1)
sed -e "s/resq-server:9464/127.0.0.1:$METRICS_PORT/" -e "s/scrape_interval: .*/scrape_interval: 1s/" \
  "$src/deploy/prometheus/prometheus.yml" >"$WORK/prometheus.yml"
grep -q "127.0.0.1:$METRICS_PORT" "$WORK/prometheus.yml" ||
  fail "deploy/prometheus/prometheus.yml has no target resq-server:9464 to point at the test server"
"$prometheus" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
# Prometheus applies new targets a few seconds after start: wait for its first scrape of the
# server, so that it sees the stream's series before the config update below.
scraped() {
  "$PYTHON" - "http://127.0.0.1:$prom_port/api/v1/query?query=up%7Bjob%3D%22resq%22%7D%3D%3D1" <<'EOF' 2>/dev/null
import json, sys, urllib.request
sys.exit(0 if json.load(urllib.request.urlopen(sys.argv[1], timeout=2))["data"]["result"] else 1)
EOF
}
wait_for 60 "Prometheus (port $prom_port) to scrape resq-server" scraped

# The update comes a few seconds in, after Prometheus has seen the stream's counter at 0, so
# the annotation's increase() sees it; the stream stays open (looping) until the queries pass.
stream=dashboard-test
"$PYTHON" "$src/examples/camera_client.py" --server "127.0.0.1:$GRPC_PORT" \
  --source "$assets/movie.avi" --loop --frames 1500 --fps 10 --max-in-flight 2 \
  --stream-id $stream --update-after 40 --set keyframe_interval=8 --json \
  >"$WORK/client.jsonl" 2>"$WORK/client.err" &
client=$!
PIDS+=($client)
updated() {
  kill -0 $client 2>/dev/null || fail "camera_client.py ended early: $(cat "$WORK/client.err")"
  grep -q '"event": "config_update"' "$WORK/client.jsonl"
}
wait_for 60 "the client's config update" updated

"$PYTHON" "$(dirname "$0")/dashboard_queries.py" --dashboard "$src/deploy/grafana/dashboards/resq.json" \
  --prometheus "http://127.0.0.1:$prom_port" --stream $stream --window 30s --timeout 60 ||
  fail "dashboard queries (above); Prometheus warnings: $(grep -E 'level=(warn|error)' "$WORK/prometheus.log")"

kill -TERM $client
status=0
wait $client || status=$?
[ $status -eq 130 ] || fail "camera_client.py exited $status on SIGTERM, expected 130: $(cat "$WORK/client.err")"
tail -n 1 "$WORK/client.jsonl"
