#!/usr/bin/env bash
# Stick tables on the request path: haproxy-rs against /usr/sbin/haproxy on the same
# configuration, and against haproxy-rs's own plain path, in one run.
#
#   benches/stick.sh               # ~1 minute: build + 5 s per load test and frontend
#   DURATION=10 benches/stick.sh
#
# Each proxy (nbthread 1, pinned to core $PROXY_CPU) has two frontends on the same
# backend: `plain` (no stick table) and `stick` (http-request track-sc0 src on a table
# storing http_req_rate(10s), http_req_cnt, conn_cur, gpc0 and http_err_rate(10s), a deny on
# sc_http_req_rate, an sc-inc-gpc0 and a table_* converter per request). wrk (keep-alive)
# and the backend run on core $GEN_CPU. Printed per frontend: requests/s and the proxy's CPU
# time per request (schedstat), then stick/plain per implementation.
set -euo pipefail
cd "$(dirname "$0")/.."

. benches/common.sh

BPORT=$BASE_PORT
RS_PLAIN=$((BASE_PORT + 1)) RS_STICK=$((BASE_PORT + 2))
HA_PLAIN=$((BASE_PORT + 3)) HA_STICK=$((BASE_PORT + 4))

config() {
	cat <<CFG
global
    nbthread 1

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s

frontend plain
    bind 127.0.0.1:$1
    default_backend be

frontend stick
    bind 127.0.0.1:$2
    stick-table type ip size 100k expire 30s store http_req_rate(10s),http_req_cnt,conn_cur,gpc0,http_err_rate(10s)
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100000000 }
    http-request sc-inc-gpc0(0)
    http-request set-header X-Cnt %[src,table_http_req_cnt]
    default_backend be

backend be
    server s1 127.0.0.1:$BPORT
CFG
}
config "$RS_PLAIN" "$RS_STICK" >"$TMP/rs.cfg"
config "$HA_PLAIN" "$HA_STICK" >"$TMP/ha.cfg"

start_all "$RS_PLAIN" "$RS_STICK" "$HA_PLAIN" "$HA_STICK"

RESULTS="$TMP/results"
: >"$RESULTS"

run() { wrk_run "$1" "$2" "http://127.0.0.1:$3/app/page"; }

echo "# $(date -u '+%F %T UTC'); load: $(uptime | sed 's/.*load average: //'); duration ${DURATION}s, $CONNS connections" >&2
DURATION=1 run warmup "$RS_PID" "$RS_STICK" >/dev/null 2>&1
DURATION=1 run warmup "$HA_PID" "$HA_STICK" >/dev/null 2>&1
: >"$RESULTS"
run plain/haproxy-rs "$RS_PID" "$RS_PLAIN"
run stick/haproxy-rs "$RS_PID" "$RS_STICK"
run plain/haproxy "$HA_PID" "$HA_PLAIN"
run stick/haproxy "$HA_PID" "$HA_STICK"

kill -0 "$RS_PID" || { echo "haproxy-rs died" >&2; cat "$TMP/rs.log" >&2; exit 1; }
ab_summary stick "" ""
