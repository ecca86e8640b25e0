# Shared by benches/http.sh and benches/rules.sh (sourced from the repository root): the
# settings both take from the environment, the tools they need, the builds, a scratch
# directory with every started process stopped on exit, readiness of a port, CPU time.

DURATION=${DURATION:-5}
CONNS=${CONNS:-32}
PROXY_CPU=${PROXY_CPU:-1}
GEN_CPU=${GEN_CPU:-0}
HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
BASE_PORT=${BASE_PORT:-$((20000 + RANDOM % 10000))}

need() {
	command -v "$1" >/dev/null 2>&1 && return
	echo "installing $2" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null
}
need wrk wrk
need taskset util-linux
[ -x "$HAPROXY" ] || { echo "$HAPROXY missing (apt-get install haproxy)" >&2; exit 1; }

# RS=/path/to/haproxy-rs compares another build (e.g. a saved "before" binary).
if [ -z "${RS:-}" ]; then
	cargo build --release -q --bin haproxy-rs
	RS=target/release/haproxy-rs
fi
cargo build --release -q --example bench_backend
BE=target/release/examples/bench_backend

TMP=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits (bounded) until something accepts connections on 127.0.0.1:$1.
wait_port() {
	for _ in $(seq 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return
		sleep 0.05
	done
	echo "port $1 never opened" >&2
	cat "$TMP"/*.log >&2
	exit 1
}

# On-CPU nanoseconds of all threads of a process.
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {printf "%.0f", s}'; }

# wrk_run NAME PID URL [wrk args...]: one wrk run against the proxy PID; appends
# "NAME req/s cpu_us/req [errors]" to $RESULTS (CPU from schedstat, see cpu_ns).
wrk_run() {
	local name=$1 pid=$2 url=$3 c0 c1 out
	shift 3
	c0=$(cpu_ns "$pid")
	out=$(taskset -c "$GEN_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" "$@" "$url")
	c1=$(cpu_ns "$pid")
	echo "$out" | awk -v name="$name" -v cpu=$((c1 - c0)) '
		/requests in/ { reqs = $1 }
		/Requests\/sec/ { rps = $2 }
		/Non-2xx|Socket errors/ { err = err " " $0 }
		END { if (reqs == 0) reqs = 1; printf "%s %.0f %.2f%s\n", name, rps, cpu / reqs / 1000, err }' >>"$RESULTS"
	tail -1 "$RESULTS" >&2
}

# ab_summary KIND SELF_TARGET HA_TARGET: the table of the runs plain/haproxy-rs,
# KIND/haproxy-rs, plain/haproxy, KIND/haproxy in $RESULTS, then the ratios (KIND/plain
# for each proxy, KIND haproxy-rs/haproxy) with the targets' text after them.
ab_summary() {
	local kind=$1 self_target=$2 ha_target=$3
	echo
	printf '%-20s %10s %12s\n' test req/s cpu_us/req
	awk '{ printf "%-20s %10s %12s\n", $1, $2, $3 }' "$RESULTS"
	echo
	awk -v k="$kind" -v st="$self_target" -v ht="$ha_target" '
		{ rps[$1] = $2; cpu[$1] = $3 }
		END {
			printf "haproxy-rs %s/plain:   cpu/req %.2fx%s\n", k, cpu[k "/haproxy-rs"] / cpu["plain/haproxy-rs"], st
			printf "haproxy    %s/plain:   cpu/req %.2fx\n", k, cpu[k "/haproxy"] / cpu["plain/haproxy"]
			printf "%s haproxy-rs/haproxy: cpu/req %.2fx%s, req/s %.2fx\n", k, cpu[k "/haproxy-rs"] / cpu[k "/haproxy"], ht, rps[k "/haproxy-rs"] / rps[k "/haproxy"]
		}' "$RESULTS"
}

# start_all PORT...: the backend on $BPORT and both proxies on $TMP/rs.cfg and $TMP/ha.cfg
# (pinned, output in $TMP/*.log, stopped on exit); sets RS_PID and HA_PID; returns once
# $BPORT and every PORT listen.
start_all() {
	taskset -c "$GEN_CPU" "$BE" serve "127.0.0.1:$BPORT" >"$TMP/be.log" 2>&1 &
	PIDS+=($!)
	taskset -c "$PROXY_CPU" "$RS" -db -f "$TMP/rs.cfg" >"$TMP/rs.log" 2>&1 &
	RS_PID=$!
	PIDS+=($RS_PID)
	taskset -c "$PROXY_CPU" "$HAPROXY" -db -f "$TMP/ha.cfg" >"$TMP/ha.log" 2>&1 &
	HA_PID=$!
	PIDS+=($HA_PID)
	local p
	for p in "$BPORT" "$@"; do wait_port "$p"; done
}
