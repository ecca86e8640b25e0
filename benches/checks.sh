#!/usr/bin/env bash
# Health checks at scale: does checking 1,000 servers every second show in request
# latency? One haproxy-rs runs twice on the same traffic (wrk through a frontend to one
# unchecked server): first without, then with a second backend of $NSRV servers checked
# with `inter 1s` (plain layer-4 checks against examples/bench_backend). Prints wrk's
# requests/s and latency percentiles for both, and the checks' CPU time.
#
#   benches/checks.sh                 # ~30 s
#   NSRV=5000 DURATION=10 benches/checks.sh
set -euo pipefail
cd "$(dirname "$0")/.."

. benches/common.sh

NSRV=${NSRV:-1000}
BPORT=$BASE_PORT
CPORT=$((BASE_PORT + 1))
FE=$((BASE_PORT + 2))

config() {
	cat <<EOF
global
    nbthread 1

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout check 2s

frontend fe
    bind 127.0.0.1:$FE
    default_backend be_traffic

backend be_traffic
    server s1 127.0.0.1:$BPORT
EOF
	if [ "$1" = with ]; then
		echo "backend be_checked"
		for i in $(seq "$NSRV"); do
			echo "    server c$i 127.0.0.1:$CPORT check inter 1s"
		done
	fi
}

taskset -c "$GEN_CPU" "$BE" serve "127.0.0.1:$BPORT" >"$TMP/be.log" 2>&1 &
PIDS+=($!)
taskset -c "$GEN_CPU" "$BE" serve "127.0.0.1:$CPORT" >"$TMP/be2.log" 2>&1 &
PIDS+=($!)
wait_port "$BPORT"
wait_port "$CPORT"

for mode in ${MODES:-without with without with}; do
	config "$mode" >"$TMP/$mode.cfg"
	taskset -c "$PROXY_CPU" "$RS" -db -f "$TMP/$mode.cfg" >"$TMP/$mode.log" 2>&1 &
	pid=$!
	wait_port "$FE"
	# Let the first round of checks (spread over one interval) start.
	sleep 2
	c0=$(cpu_ns "$pid")
	out=$(taskset -c "$GEN_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$FE/")
	c1=$(cpu_ns "$pid")
	ck=0
	for t in /proc/"$pid"/task/*; do
		if grep -q chec "$t/comm"; then ck=$(awk '{print $1}' "$t/schedstat"); fi
	done
	rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
	nreq=$(awk '/requests in/ {print $1}' <<<"$out")
	lat=$(awk '/^ +(50|75|90|99)%/ {printf "p%s %s  ", $1, $2}' <<<"$out" | sed 's/%//g')
	printf '%-8s %8s req/s  %s proxy CPU %.0f ns/request (checks thread since start %.2f s)\n' "$mode" "$rps" "$lat" \
		"$(echo "($c1 - $c0) / $nreq" | bc -l)" "$(echo "$ck / 1000000000" | bc -l)"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	if [ "$mode" = with ]; then
		{ grep -c "is DOWN" "$TMP/$mode.log" || true; } | sed 's/^/servers marked down (should be 0): /'
	fi
done
