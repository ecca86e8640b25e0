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

