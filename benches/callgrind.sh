#!/usr/bin/env bash
# Instructions per keep-alive request (user space, deterministic) for a proxy binary under
# callgrind: N1 then N2 sequential `GET /` (128-byte answers) on one keep-alive connection
# through `mode http`, per-request figure = (Ir(N2) - Ir(N1)) / (N2 - N1), which cancels
# start-up and shut-down.
#
#   benches/callgrind.sh [BINARY]          # default target/release/haproxy-rs
#   KEEP=1 benches/callgrind.sh            # keep callgrind.out.* for callgrind_annotate
#   RULES=1 benches/callgrind.sh           # through the 50 ACLs / 21 rules of benches/rules.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/haproxy-rs}
REQ_PATH=${REQ_PATH:-/} # /big: 64 KiB answers
N1=${N1:-500}
N2=${N2:-2500}
cargo build --release -q --example bench_backend
BE=target/release/examples/bench_backend
TMP=$(mktemp -d)
PORT=$((10000 + RANDOM % 10000))
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
. benches/rules_cfg.sh
RULES_BLOCK=
if [ -n "${RULES:-}" ]; then
	hosts_map "$TMP/hosts.map"
	RULES_BLOCK=$(rules_block "$TMP/hosts.map")
fi
cat >"$TMP/p.cfg" <<CFG
global
    nbthread 1
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend fe
    bind 127.0.0.1:$((PORT + 1))
$RULES_BLOCK
    default_backend be
backend be
    server s1 127.0.0.1:$PORT
CFG
"$BE" serve "127.0.0.1:$PORT" >/dev/null &
PIDS+=($!)
ir() {
	valgrind --tool=callgrind --callgrind-out-file="$TMP/callgrind.out.$1" "$BIN" -db -f "$TMP/p.cfg" \
		>"$TMP/vg.$1.log" 2>&1 &
	local vp=$!
	for _ in $(seq 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$((PORT + 1))") 2>/dev/null && break
		sleep 0.1
	done
	"$BE" seq "127.0.0.1:$((PORT + 1))" "$1" "${REQ_PATH:-/}"
	kill -TERM "$vp"
	wait "$vp" || true
	awk '/^summary:|^totals:/ {print $2; exit}' "$TMP/callgrind.out.$1"
}
a=$(ir "$N1")
b=$(ir "$N2")
echo "$BIN: $(((b - a) / (N2 - N1))) instructions per keep-alive GET $REQ_PATH (Ir $N1 req: $a, $N2 req: $b)"
[ -z "${KEEP:-}" ] || echo "kept $TMP/callgrind.out.$N2"
