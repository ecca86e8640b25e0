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

taskset -c "$GEN_CPU" "$BE" serve "127.0.0.1:$BPORT" >"$TMP/be.log" 2>&1 &
PIDS+=($!)
taskset -c "$PROXY_CPU" "$RS" -db -f "$TMP/rs.cfg" >"$TMP/rs.log" 2>&1 &
RS_PID=$!
PIDS+=($RS_PID)
taskset -c "$PROXY_CPU" "$HAPROXY" -db -f "$TMP/ha.cfg" >"$TMP/ha.log" 2>&1 &
HA_PID=$!
PIDS+=($HA_PID)

for p in "$BPORT" "$RS_PLAIN" "$RS_STICK" "$HA_PLAIN" "$HA_STICK"; do wait_port "$p"; done

RESULTS="$TMP/results"
: >"$RESULTS"

run() {
	local name=$1 pid=$2 port=$3 c0 c1 out
	c0=$(cpu_ns "$pid")
	out=$(taskset -c "$GEN_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" "http://127.0.0.1:$port/app/page")
	c1=$(cpu_ns "$pid")
	echo "$out" | awk -v name="$name" -v cpu=$((c1 - c0)) '
		/requests in/ { reqs = $1 }
		/Requests\/sec/ { rps = $2 }
		/Non-2xx|Socket errors/ { err = err " " $0 }
		END { if (reqs == 0) reqs = 1; printf "%s %.0f %.2f%s\n", name, rps, cpu / reqs / 1000, err }' >>"$RESULTS"
	tail -1 "$RESULTS" >&2
}

echo "# $(date -u '+%F %T UTC'); load: $(uptime | sed 's/.*load average: //'); duration ${DURATION}s, $CONNS connections" >&2
DURATION=1 run warmup "$RS_PID" "$RS_STICK" >/dev/null 2>&1
DURATION=1 run warmup "$HA_PID" "$HA_STICK" >/dev/null 2>&1
: >"$RESULTS"
run plain/haproxy-rs "$RS_PID" "$RS_PLAIN"
run stick/haproxy-rs "$RS_PID" "$RS_STICK"
run plain/haproxy "$HA_PID" "$HA_PLAIN"
run stick/haproxy "$HA_PID" "$HA_STICK"

kill -0 "$RS_PID" || { echo "haproxy-rs died" >&2; cat "$TMP/rs.log" >&2; exit 1; }
echo
printf '%-20s %10s %12s\n' test req/s cpu_us/req
awk '{ printf "%-20s %10s %12s\n", $1, $2, $3 }' "$RESULTS"
echo
awk '
	{ rps[$1] = $2; cpu[$1] = $3 }
	END {
		printf "haproxy-rs stick/plain:   cpu/req %.2fx\n", cpu["stick/haproxy-rs"] / cpu["plain/haproxy-rs"]
		printf "haproxy    stick/plain:   cpu/req %.2fx\n", cpu["stick/haproxy"] / cpu["plain/haproxy"]
		printf "stick haproxy-rs/haproxy: cpu/req %.2fx, req/s %.2fx\n", cpu["stick/haproxy-rs"] / cpu["stick/haproxy"], rps["stick/haproxy-rs"] / rps["stick/haproxy"]
	}' "$RESULTS"
