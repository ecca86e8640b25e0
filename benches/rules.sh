#!/usr/bin/env bash
# ACLs, http-request rules and a 100k-entry map: haproxy-rs against /usr/sbin/haproxy on
# the same configuration, and against haproxy-rs's own plain path, in one run. See
# doc/benchmarks.md, section "Rules".
#
#   benches/rules.sh               # ~1 minute: build + 5 s per load test and frontend
#   DURATION=10 benches/rules.sh
#
# Each proxy (nbthread 1, pinned to core $PROXY_CPU) has two frontends on the same
# backend: `plain` (no rules) and `rules` (50 ACLs, 20 http-request rules, a lookup in a
# 100,000-entry map on every request). wrk (keep-alive, 128-byte responses) and the
# backend run on core $GEN_CPU. Printed per frontend: requests/s and the proxy's CPU time
# per request (schedstat), then the ratios the rules issue sets targets for:
# rules/plain on haproxy-rs (≤ 1.2) and haproxy-rs/haproxy with rules (≤ 0.8).
set -euo pipefail
cd "$(dirname "$0")/.."

. benches/common.sh
. benches/rules_cfg.sh

BPORT=$BASE_PORT
RS_PLAIN=$((BASE_PORT + 1)) RS_RULES=$((BASE_PORT + 2))
HA_PLAIN=$((BASE_PORT + 3)) HA_RULES=$((BASE_PORT + 4))

hosts_map "$TMP/hosts.map"

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

frontend rules
    bind 127.0.0.1:$2
CFG
	rules_block "$TMP/hosts.map"
	cat <<CFG
    default_backend be

backend be
    server s1 127.0.0.1:$BPORT
CFG
}
config "$RS_PLAIN" "$RS_RULES" >"$TMP/rs.cfg"
config "$HA_PLAIN" "$HA_RULES" >"$TMP/ha.cfg"

start_all "$RS_PLAIN" "$RS_RULES" "$HA_PLAIN" "$HA_RULES"

RESULTS="$TMP/results"
: >"$RESULTS"

run() { wrk_run "$1" "$2" "http://127.0.0.1:$3/app/page" -H 'Host: host4242.example.com'; }

echo "# $(date -u '+%F %T UTC'); load: $(uptime | sed 's/.*load average: //'); duration ${DURATION}s, $CONNS connections" >&2
DURATION=1 run warmup "$RS_PID" "$RS_RULES" >/dev/null 2>&1
DURATION=1 run warmup "$HA_PID" "$HA_RULES" >/dev/null 2>&1
: >"$RESULTS"
run plain/haproxy-rs "$RS_PID" "$RS_PLAIN"
run rules/haproxy-rs "$RS_PID" "$RS_RULES"
run plain/haproxy "$HA_PID" "$HA_PLAIN"
run rules/haproxy "$HA_PID" "$HA_RULES"

kill -0 "$RS_PID" || { echo "haproxy-rs died" >&2; cat "$TMP/rs.log" >&2; exit 1; }
ab_summary rules " (target <= 1.2)" " (target <= 0.8)"
