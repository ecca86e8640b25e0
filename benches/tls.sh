#!/usr/bin/env bash
# TLS termination: haproxy-rs against /usr/sbin/haproxy on the same configuration and
# certificates, in one run.
#
#   benches/tls.sh                  # ~1 minute: build + 5 s per load test and proxy
#   DURATION=10 benches/tls.sh
#
# Three load tests per proxy, each answered by the proxy itself (`http-request return`,
# so only the TLS and HTTP work of the proxy is measured): full handshakes per second
# with an RSA 2048 and an ECDSA P-256 certificate (wrk with `Connection: close`: one new
# TLS connection per request, no session resumption), and keep-alive HTTPS requests per
# second (ECDSA). Same pinning and CPU accounting as benches/http.sh: both proxies
# `nbthread 1` on core $PROXY_CPU, wrk on $GEN_CPU; requests/s and the proxy's CPU time
# per request (schedstat), then the ratios haproxy-rs / haproxy.
set -euo pipefail
cd "$(dirname "$0")/.."

. benches/common.sh
need openssl openssl

BPORT=$BASE_PORT
RS_RSA=$((BASE_PORT + 1)) RS_EC=$((BASE_PORT + 2))
HA_RSA=$((BASE_PORT + 3)) HA_EC=$((BASE_PORT + 4))

# Throw-away certificates, made for this run only.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/rsa.key" -out "$TMP/rsa.crt" \
	-subj /CN=bench.test -days 2 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/ec.key" \
	-out "$TMP/ec.crt" -subj /CN=bench.test -days 2 2>/dev/null
cat "$TMP/rsa.crt" "$TMP/rsa.key" >"$TMP/rsa.pem"
cat "$TMP/ec.crt" "$TMP/ec.key" >"$TMP/ec.pem"

config() {
	cat <<EOF2
global
    nbthread 1
    maxconn 4000

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s

frontend fe_rsa
    bind 127.0.0.1:$1 ssl crt $TMP/rsa.pem
    http-request return status 200 content-type text/plain string ok

frontend fe_ec
    bind 127.0.0.1:$2 ssl crt $TMP/ec.pem
    http-request return status 200 content-type text/plain string ok
EOF2
}
config "$RS_RSA" "$RS_EC" >"$TMP/rs.cfg"
config "$HA_RSA" "$HA_EC" >"$TMP/ha.cfg"

start_all "$RS_RSA" "$RS_EC" "$HA_RSA" "$HA_EC"

RESULTS="$TMP/results"
: >"$RESULTS"
for who in haproxy-rs haproxy; do
	if [ "$who" = haproxy-rs ]; then pid=$RS_PID rsa=$RS_RSA ec=$RS_EC; else pid=$HA_PID rsa=$HA_RSA ec=$HA_EC; fi
	wrk_run "hs-rsa2048/$who" "$pid" "https://127.0.0.1:$rsa/" -H "Connection: close"
	wrk_run "hs-ecdsa/$who" "$pid" "https://127.0.0.1:$ec/" -H "Connection: close"
	wrk_run "keepalive/$who" "$pid" "https://127.0.0.1:$ec/"
done

echo
printf '%-22s %10s %12s\n' test req/s cpu_us/req
awk '{ printf "%-22s %10s %12s %s\n", $1, $2, $3, $4 " " $5 " " $6 }' "$RESULTS"
echo
awk '{ split($1, k, "/"); rps[$1] = $2; cpu[$1] = $3; t[k[1]] = 1 }
	END { for (x in t) printf "%-12s haproxy-rs/haproxy: req/s %.2fx, cpu/req %.2fx\n", x,
		rps[x "/haproxy-rs"] / rps[x "/haproxy"], cpu[x "/haproxy-rs"] / cpu[x "/haproxy"] }' "$RESULTS"
