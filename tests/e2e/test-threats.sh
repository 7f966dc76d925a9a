#!/usr/bin/env bash
# Threat detection end to end (src/dp/threat*.c, docs/threats.md): in monitor an SQL
# injection to an allowed HTTP port, a DNS AXFR query, a TLS 1.0 ClientHello and a SYN
# flood are logged in threats.jsonl (`log --threats`) and counted in metrics; in protect
# the injection is reset while a clean request passes, and during a SYN flood on one
# workload pair another pair keeps talking.  The flood comes from its own workload
# ("mal"): its thousands of half-open sessions may also trip the per-source session
# limit, which would (rightly) block that source's next sessions too.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

PEER="$(cd "$(dirname "$0")" && pwd)/threat-peer.py"
CLIENT=10.99.0.61 WEB=10.99.0.62 C2=10.99.0.63 W2=10.99.0.64 MAL=10.99.0.65
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
make_host
make_container client 61
make_container web 62
make_container c2 63
make_container w2 64
make_container mal 65
ip netns exec "$T-web" python3 -m http.server 80 --bind 0.0.0.0 --directory "$STATE" \
	>/dev/null 2>&1 &
PEER_PIDS+=($!)
serve web udp:53 tcp:443
serve w2 tcp:8080

start_daemon --threat-limit syn-rate=300 --metrics "127.0.0.1:$PORT" || exit 1
for c in client web c2 w2 mal; do
	check "workload add $c (monitor)" bh workload add "$c" --netns "$T-$c" --mode monitor
done
check "rule client -> web any" bh rule add --from client --to web --action allow
check "rule c2 -> w2 tcp/8080" bh rule add --from c2 --to w2 --port tcp/8080 --action allow
check "rule mal -> web tcp/80" bh rule add --from mal --to web --port tcp/80 --action allow

peer() { cns client python3 "$PEER" "$@"; }
# threat NAME ACTION: a threats.jsonl line for it, with the workload and packet bytes
threat() {
	bhjq "any(.[]; .name == \"$1\" and .action == \"$2\" and (.packet | length) > 0 and
		.threat_id > 1000 and .count >= 1)" log --threats -n 1000
}
metric_pos() { # metric_pos NAME: bulkhead_threats_total{...name="NAME"} > 0
	curl -s "http://127.0.0.1:$PORT/metrics" |
		awk -v n="name=\"$1\"" 'index($0, n) && $NF > 0 {f=1} END {exit !f}'
}

# ---- monitor: logged, traffic untouched ----
check "monitor: SQL injection request still answered" \
	test "$(peer http $WEB 80 "/item?id=1'%20or%201=1--")" = answer
check "monitor: http_sql_injection logged (action log)" wait_for 3 threat http_sql_injection log
check "monitor: clean request answered" test "$(peer http $WEB 80 /index.html)" = answer
peer dns $WEB 252 >/dev/null
check "monitor: dns_zone_transfer logged" wait_for 3 threat dns_zone_transfer log
n53() { bh --json log --threats -n 1000 | jq '[.[] | select(.to_port == 53)] | length'; }
before=$(n53)
peer dns $WEB 1 >/dev/null
sleep 0.5
check "monitor: an A query is no threat" test "$(n53)" = "$before"
check "monitor: TLS 1.0 ClientHello passes" test "$(peer tls10 $WEB 443)" = answer
check "monitor: tls_1_0_1_1 logged" wait_for 3 threat tls_1_0_1_1 log
cns mal python3 "$PEER" synflood $MAL $WEB 80 1 >/dev/null
check "monitor: tcp_syn_flood logged" wait_for 3 threat tcp_syn_flood log
check "log --threats (human) names the threat" sh -c \
	"'$BULKHEAD' log --threats | grep -q tcp_syn_flood"
check "metrics: bulkhead_threats_total counts http_sql_injection" metric_pos http_sql_injection

# ---- protect: dropped / reset ----
check "mode --all protect" bh mode --all protect
check "protect: SQL injection is reset" \
	test "$(peer http $WEB 80 "/item?id=1%27+UNION+SELECT+password+FROM+users--")" = reset
check "protect: http_sql_injection reset" wait_for 3 threat http_sql_injection reset
check "protect: clean request answered" test "$(peer http $WEB 80 /index.html)" = answer
cns mal python3 "$PEER" synflood $MAL $WEB 80 4 >/dev/null &
FLOOD=$!
sleep 1
check "protect: during the flood, c2 -> w2 tcp/8080 flows" tcp_ok c2 $W2 8080 3
check "protect: ... twice" tcp_ok c2 $W2 8080 3
wait "$FLOOD"
check "protect: tcp_syn_flood dropped" wait_for 3 threat tcp_syn_flood drop
finish
