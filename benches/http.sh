#!/usr/bin/env bash
# HTTP/TCP forwarding: haproxy-rs against /usr/sbin/haproxy on the same configuration, in
# one run. See doc/benchmarks.md, section "HTTP/TCP forwarding vs HAProxy".
#
#   benches/http.sh                 # ~2 minutes: build + 5 s per load test and proxy
#   DURATION=10 benches/http.sh     # longer load tests
#   RS=/tmp/old-haproxy-rs HAPROXY=target/release/haproxy-rs benches/http.sh   # A/B two builds
#
# Both proxies run `nbthread 1`, pinned with taskset to core $PROXY_CPU (default 1); wrk,
# the backend (examples/bench_backend.rs) and the idle-connection client run on core
# $GEN_CPU (default 0). Everything listens on 127.0.0.1 only, and everything the script
# starts is stopped on exit. Per test and proxy it prints requests/s, the proxy's CPU time
# per request (from /proc/<pid>/task/*/schedstat: on-CPU nanoseconds, user + system, so
# it is much less sensitive to other load on the machine than requests/s), wrk's p99
# latency, and the RSS growth for $IDLE_CONNS idle keep-alive client connections; then
# the ratios haproxy-rs / haproxy.
set -euo pipefail
cd "$(dirname "$0")/.."

. benches/common.sh

# 10k idle client connections (+ server side) need more than the default fd limit. HAProxy
# refuses a maxconn it cannot back with two fds per connection, so maxconn (and the idle
# count, by default 10k) follow from the limit we get; the idle figure is scaled to 10k.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
MAXCONN=$((($(ulimit -n) - 200) / 2))
IDLE_CONNS=${IDLE_CONNS:-$((MAXCONN - 500 < 10000 ? (MAXCONN - 500) / 1000 * 1000 : 10000))}

BPORT=$BASE_PORT
# Ports per proxy: HTTP frontend, TCP listener.
RS_HTTP=$((BASE_PORT + 1)) RS_TCP=$((BASE_PORT + 2))
HA_HTTP=$((BASE_PORT + 3)) HA_TCP=$((BASE_PORT + 4))

# The one configuration, with only the ports differing between the two proxies.
config() {
	cat <<EOF
global
    nbthread 1
    maxconn $MAXCONN

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 60s
    timeout http-keep-alive 60s

frontend fe_http
    bind 127.0.0.1:$1
    default_backend be_http

backend be_http
    server s1 127.0.0.1:$BPORT

listen tcp_fwd
    mode tcp
    bind 127.0.0.1:$2
    server s1 127.0.0.1:$BPORT
EOF
}
config "$RS_HTTP" "$RS_TCP" >"$TMP/rs.cfg"
config "$HA_HTTP" "$HA_TCP" >"$TMP/ha.cfg"

start_all "$RS_HTTP" "$RS_TCP" "$HA_HTTP" "$HA_TCP"

rss_kib() { awk '/^VmRSS/ {print $2}' /proc/"$1"/status; }

RESULTS="$TMP/results"
: >"$RESULTS"

# run NAME PID PORT PATH [wrk args...]: one wrk run against one proxy.
run() {
	local name=$1 pid=$2 port=$3 path=$4
	shift 4
	local c0 c1 out
	c0=$(cpu_ns "$pid")
	out=$(taskset -c "$GEN_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$@" \
		"http://127.0.0.1:$port$path")
	c1=$(cpu_ns "$pid")
	echo "$out" | awk -v name="$name" -v cpu=$((c1 - c0)) '
		/requests in/ { reqs = $1 }
		/Requests\/sec/ { rps = $2 }
		/^ +99%/ { p99 = $2 }
		/Non-2xx|Socket errors/ { err = err " " $0 }
		END {
			if (reqs == 0) reqs = 1
			printf "%s %.0f %.2f %s%s\n", name, rps, cpu / reqs / 1000, p99, err
		}' >>"$RESULTS"
	tail -1 "$RESULTS" >&2
}

# idle NAME PID PORT: RSS growth with IDLE_CONNS idle keep-alive connections.
idle() {
	local name=$1 pid=$2 port=$3 r0 r1 srv ipid
	r0=$(rss_kib "$pid")
	rm -f "$TMP/idle.in" "$TMP/idle.out"
	mkfifo "$TMP/idle.in"
	taskset -c "$GEN_CPU" "$BE" idle "127.0.0.1:$port" "$IDLE_CONNS" <"$TMP/idle.in" >"$TMP/idle.out" 2>&1 &
	ipid=$!
	PIDS+=($ipid)
	exec 7>"$TMP/idle.in" # holds the client's stdin open: closing it ends the client
	for _ in $(seq 600); do
		grep -q ready "$TMP/idle.out" 2>/dev/null && break
		kill -0 "$ipid" 2>/dev/null || break
		sleep 0.1
	done
	sleep 1
	r1=$(rss_kib "$pid")
	srv=$(ss -Htn state established "( dport = :$BPORT )" | wc -l)
	exec 7>&-
	wait "$ipid" 2>/dev/null || true
	echo "$name rss_before_kib=$r0 rss_after_kib=$r1 per10k_kib=$(((r1 - r0) * 10000 / IDLE_CONNS)) ($(tr '\n' ' ' <"$TMP/idle.out")server conns open: $srv)" >>"$RESULTS.idle"
	tail -1 "$RESULTS.idle" >&2
	sleep 1
}

echo "# $(date -u '+%F %T UTC'); load: $(uptime | sed 's/.*load average: //'); duration ${DURATION}s, $CONNS connections" >&2
: >"$RESULTS.idle"
# Memory first, on fresh processes (one request through each beforehand).
curl_once() { printf 'GET / HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n' |
	timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1; cat >&3; cat <&3" >/dev/null; }
curl_once "$RS_HTTP"
curl_once "$HA_HTTP"
idle haproxy-rs "$RS_PID" "$RS_HTTP"
idle haproxy "$HA_PID" "$HA_HTTP"

# Warm-up.
DURATION=1 run warmup-rs "$RS_PID" "$RS_HTTP" / >/dev/null 2>&1
DURATION=1 run warmup-ha "$HA_PID" "$HA_HTTP" / >/dev/null 2>&1
: >"$RESULTS"

for t in ka-128 ka-64k close-128 close-64k tcp-128; do
	case $t in
	ka-128) args=(/) ;;
	ka-64k) args=(/big) ;;
	close-128) args=(/ -H 'Connection: close') ;;
	close-64k) args=(/big -H 'Connection: close') ;;
	tcp-128) args=(/) ;;
	esac
	if [ "$t" = tcp-128 ]; then rp=$RS_TCP hp=$HA_TCP; else rp=$RS_HTTP hp=$HA_HTTP; fi
	run "$t/haproxy-rs" "$RS_PID" "$rp" "${args[@]}"
	run "$t/haproxy" "$HA_PID" "$hp" "${args[@]}"
done

kill -0 "$RS_PID" || { echo "haproxy-rs died" >&2; cat "$TMP/rs.log" >&2; exit 1; }
kill -0 "$HA_PID" || { echo "haproxy died" >&2; cat "$TMP/ha.log" >&2; exit 1; }

echo
echo "## $(date -u '+%F %T UTC'), load average $(uptime | sed 's/.*load average: //')"
echo "wrk -t1 -c$CONNS -d${DURATION}s; proxies nbthread 1 on cpu $PROXY_CPU, wrk + backend on cpu $GEN_CPU"
echo
awk '
	{ split($1, a, "/"); t = a[1]; i = a[2]; rps[t, i] = $2; cpu[t, i] = $3; p99[t, i] = $4
	  if (!(t in seen)) { seen[t] = 1; order[++n] = t }
	  e = ""; for (k = 5; k <= NF; k++) e = e " " $k; if (e != "") err[t, i] = e }
	END {
		printf "| test | rs req/s | ha req/s | ratio | rs CPU µs/req | ha CPU µs/req | ratio | rs p99 | ha p99 |\n"
		printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
		for (k = 1; k <= n; k++) {
			t = order[k]; r = "haproxy-rs"; h = "haproxy"
			printf "| %s | %d | %d | %.2f | %.2f | %.2f | %.2f | %s | %s |\n", t,
				rps[t, r], rps[t, h], rps[t, r] / rps[t, h],
				cpu[t, r], cpu[t, h], cpu[t, r] / cpu[t, h], p99[t, r], p99[t, h]
			if ((t, r) in err) print "  errors haproxy-rs:" err[t, r]
			if ((t, h) in err) print "  errors haproxy:" err[t, h]
		}
	}' "$RESULTS"
echo
awk '{ for (k = 2; k <= NF; k++) if ($k ~ /^per10k_kib=/) { split($k, a, "="); v[$1] = a[2] } print "  " $0 }
	END { if (v["haproxy"] > 0) printf "idle RSS per %s connections: haproxy-rs %d KiB, haproxy %d KiB, ratio %.2f\n", "10k", v["haproxy-rs"], v["haproxy"], v["haproxy-rs"] / v["haproxy"] }' "$RESULTS.idle"
