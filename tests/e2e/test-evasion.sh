#!/usr/bin/env bash
# TCP stream reassembly for inspection end to end (src/dp/reasm-tcp.c, dp-stream.c,
# docs/threats.md): an HTTP request carrying an SQL injection is detected when sent
# as 1-byte segments, out of order, or as IPv4 fragments out of order; the same
# benign request split the same ways is not; a retransmission with other bytes is
# flagged tcp_overlap (2016); a flood of out-of-order segments with gaps keeps the
# reassembly memory under its per-session cap (status dp.reasm); in protect the
# split injection is reset.  Crafted clients: evasion-peer.py (scapy) in the client
# netns, whose own kernel RSTs are dropped by iptables while they run.
# A user signature (`bulkhead sig add`) matches the reassembled stream too: the request
# in 1-byte segments, and in reversed order, is caught; its near miss is not.  The SQL
# injection wrapped in overlapping IPv4 fragments (same bytes / other bytes in the
# overlap) never reaches the web server: the defragmenter in front of the dp discards
# the datagram (docs/threats.md), counted as ReasmOverlaps in the enforcer netns.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

PEER="$(cd "$(dirname "$0")" && pwd)/evasion-peer.py"
PY=/usr/bin/python3 # Debian's, where python3-scapy is installed
CLIENT=10.99.0.71 WEB=10.99.0.72
if ! "$PY" -c 'import scapy.all' 2>/dev/null; then
	echo "python3-scapy missing (scripts/install-deps)"; exit 1
fi
make_host
make_container client 71
make_container web 72
# its request log tells what the server application received
ip netns exec "$T-web" python3 -m http.server 80 --bind 0.0.0.0 --directory "$STATE" \
	>/dev/null 2>"$STATE/web-requests.log" &
PEER_PIDS+=($!)
# scapy's connections are unknown to the client's kernel, which would reset them
cns client iptables -A OUTPUT -p tcp --tcp-flags RST RST --dport 80 -j DROP

start_daemon || exit 1
for c in client web; do
	check "workload add $c (monitor)" bh workload add "$c" --netns "$T-$c" --mode monitor
done
check "rule client -> web tcp/80" bh rule add --from client --to web --port tcp/80 --action allow

SQLI="/item?id=1'%20or%201=1--" NEAR="/item?id=1%20or%20one"
evade() { cns client "$PY" "$PEER" "$1" $CLIENT $WEB 80 "$2"; }
# count NAME: threats.jsonl lines of that threat
count() { bh --json log --threats -n 10000 | jq "[.[] | select(.name == \"$1\")] | length"; }
more_than() { [ "$(count "$1")" -gt "$2" ]; }
reasm() { bh --json status | jq -r ".dp.reasm.$1"; }

check "a plain request is answered" test "$(evade onebyte /index.html)" = answer
for mode in onebyte ooo frag; do
	n=$(count http_sql_injection)
	check "monitor: SQL injection as $mode still answered" test "$(evade $mode "$SQLI")" = answer
	check "monitor: ... and detected (http_sql_injection)" wait_for 3 more_than http_sql_injection "$n"
	sleep 1.2 # hits aggregated within a second are logged when it ends (docs/threats.md)
	n=$(count http_sql_injection)
	evade $mode "$NEAR" >/dev/null
	sleep 0.5
	check "monitor: near miss as $mode is not" test "$(count http_sql_injection)" = "$n"
done
check "no overlap flagged so far" test "$(count tcp_overlap)" = 0
check "monitor: conflicting retransmission answered" test "$(evade conflict /index.html)" = answer
check "monitor: ... and flagged tcp_overlap" wait_for 3 more_than tcp_overlap 0
check "status: dp.reasm counts the overlap" test "$(reasm overlaps)" -ge 1
check "status: dp.reasm delivered bytes" test "$(reasm delivered_bytes)" -gt 0

# 400 one-byte segments with a gap before each: all out of order, never deliverable
cap=$(bh --json status | jq -r .dp.reasm.session_chunks_cap)
caps=$(reasm cap_hits)
evade flood 400 >/dev/null
check "flood: the per-session cap was hit" test "$(reasm cap_hits)" -gt "$caps"
check "flood: chunks in use stay under the session cap" test "$(reasm chunks_in_use)" -le "$cap"
check "flood: after the session's reset the memory is back" \
	wait_for 5 test "$(reasm chunks_in_use)" = 0

# ---- a user signature sees the reassembled stream ----
check "sig add evade" bh sig add evade --pattern 'TOPSECRET-[0-9]{4}' --action reset
SIGT="/doc?k=TOPSECRET-1234" SIGNEAR="/doc?k=TOPSECRET-12x4"
nsig() { bh --json log --threats -n 10000 | jq '[.[] | select(.signature == "evade")] | length'; }
sig_more() { [ "$(nsig)" -gt "$1" ]; }
for mode in onebyte ooo; do
	n=$(nsig)
	check "monitor: signature as $mode answered" test "$(evade $mode "$SIGT")" = answer
	check "monitor: ... and matched (signature evade)" wait_for 3 sig_more "$n"
	sleep 1.2
	n=$(nsig)
	evade $mode "$SIGNEAR" >/dev/null
	sleep 0.5
	check "monitor: signature near miss as $mode is not" test "$(nsig)" = "$n"
done

# ---- overlapping IPv4 fragments: discarded in front of the dp ----
# served TAG: the web server's log has a request carrying TAG
served() { grep -qF "$1" "$STATE/web-requests.log"; }
overlaps() { ip netns exec "$ENFNS" nstat -asz IpExtReasmOverlaps | awk '/ReasmOverlaps/ {print $2}'; }
frag_case() { # frag_case MODE VARIANT
	local before r tag="ovl=$2-$1" n2015
	before=$(overlaps)
	n2015=$(count http_sql_injection)
	r=$(evade "$2" "$SQLI&$tag")
	check "$1: SQL injection in overlapping fragments ($2) gets no answer ($r)" \
		test "$r" != answer
	check "$1: ... the web server never received it" not_served "$tag"
	check "$1: ... the enforcer's defragmenter counted the overlap" \
		test "$(overlaps)" -gt "$before"
	check "$1: ... nothing of it reached the dp's HTTP check" \
		test "$(count http_sql_injection)" = "$n2015"
}
not_served() { sleep 0.5; ! served "$1"; }
evade frag "/ctl?frag-control" >/dev/null
check "control: fragments without overlap reach the web server (its log)" \
	wait_for 2 served frag-control

for v in fragsame fragdiff; do frag_case monitor $v; done

check "mode --all protect" bh mode --all protect
check "protect: SQL injection as 1-byte segments is reset" \
	test "$(evade onebyte "$SQLI")" = reset
check "protect: ... out of order too" test "$(evade ooo "$SQLI")" = reset
check "protect: the benign request split the same way is answered" \
	test "$(evade onebyte "$NEAR")" = answer
r=$(evade conflict /index.html)
check "protect: a conflicting retransmission is reset ($r)" test "$r" = reset
check "protect: signature as 1-byte segments is reset" test "$(evade onebyte "$SIGT")" = reset
check "protect: signature in reversed order is reset" test "$(evade ooo "$SIGT")" = reset
check "protect: its near miss in reversed order is answered" \
	test "$(evade ooo "$SIGNEAR")" = answer
for v in fragsame fragdiff; do frag_case protect $v; done
finish
