# The rules workload, sourced by benches/rules.sh and benches/callgrind.sh (RULES=1).

# rules_block MAP: the 50 ACLs and 21 http-request rules of benches/rules.sh (also measured
# by benches/callgrind.sh with RULES=1); MAP is a host map file (see hosts_map).
rules_block() {
	for i in $(seq 0 49); do
		case $((i % 5)) in
		0) echo "    acl a$i path_beg /api$i/" ;;
		1) echo "    acl a$i hdr(host) -i host$i.example.org" ;;
		2) echo "    acl a$i src 10.$i.0.0/16" ;;
		3) echo "    acl a$i path_end .x$i" ;;
		4) echo "    acl a$i req.hdr(x-tenant) -m str t$i" ;;
		esac
	done
	for i in $(seq 0 19); do
		case $((i % 4)) in
		0) echo "    http-request set-header X-R$i v$i if a$i || a$((i + 20))" ;;
		1) echo "    http-request deny if a$i a$((i + 20))" ;;
		2) echo "    http-request set-var(txn.r$i) str(v$i) if !a$i a$((i + 30))" ;;
		3) echo "    http-request del-header x-r$i if a$i" ;;
		esac
	done
	echo "    http-request set-header X-Pool %[req.hdr(host),lower,map($1,none)]"
}

# hosts_map FILE: the 100,000-entry map the rules block looks the Host header up in.
hosts_map() {
	awk 'BEGIN { for (i = 0; i < 100000; i++) printf "host%d.example.com be%d\n", i, i % 7 }' >"$1"
}
