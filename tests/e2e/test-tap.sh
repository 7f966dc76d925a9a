#!/usr/bin/env bash
# The tap driver (issue #7): discover under tap learns the same rules as inline for the same
# traffic; a tapped port is not touched (no pull) and status says tap / cannot block;
# monitor under tap logs violations; protect pulls a tap workload inline and discover taps
# it again, both ways keeping a live TCP connection, and the port comes back exactly; rm
# and daemon stop leave nothing behind (no packet socket in the container's netns).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

CLIENT=10.99.0.51 WEB=10.99.0.52 DB=10.99.0.53
make_host
make_container client 51
make_container web 52
make_container db 53
serve web tcp:80 tcp:8080
serve db tcp:5432 udp:53
sleep 0.3
for c in client web db; do settle "$c"; done
view_web=$(net_view web)
view_db=$(net_view db)

# The same traffic for both runs: TCP, UDP and ping, from client and from web.
traffic() {
	tcp_ok client $WEB 80 && tcp_ok client $DB 5432 && udp_ok client $DB 53 &&
		tcp_ok web $DB 5432 && ping_ok client $WEB && ping_ok web $DB
}
# What was learned, without ids (they are handed out in arrival order).
learned_view() {
	bh --json rule list --learned | jq -S 'map({from, to, ports, apps, action, learned}) | sort'
}
all_learned() {
	learned client web tcp/80 && learned client db tcp/5432 && learned client db udp/53 &&
		learned web db tcp/5432 && learned client web icmp && learned web db icmp
}
# Packet sockets open in container C's netns (/proc/net/packet is per netns).
packet_socks() { cns "$1" tail -n +2 /proc/net/packet | wc -l; }
# A worker asleep in poll() holds a closed tap's socket until its tick (<= 100 ms).
no_socks() { [ "$(packet_socks "$1")" -eq 0 ]; }
wl_is() { bhjq "any(.[]; .name == \"$1\" and $2)" workload list; }

# ---- 1. inline discover: the reference ----
start_daemon || exit 1
for c in client web db; do check "inline: workload add $c" bh workload add "$c" --netns "$T-$c"; done
check "inline: traffic" traffic
check "inline: all rules learned" wait_for 5 all_learned
sleep 1.5 # conversations whose app is still open are learned at their end
inline_rules=$(learned_view)
for c in client web db; do bh workload rm "$c" >/dev/null; done
stop_daemon TERM
rm -f "$STATE/policy.json" "$STATE/workloads.json" "$STATE"/*.jsonl
# A pull and restore may renumber the device; the tap must not change it at all.
ifidx_web=$(cns web cat /sys/class/net/eth0/ifindex)

# ---- 2. tap discover (bulkheadd --driver tap): same traffic, same rules ----
start_daemon --driver tap || exit 1
check "status: driver tap" bhjq '.driver == "tap" and (.driver_reason | test("cannot be blocked"))' status
for c in client web db; do check "tap: workload add $c" bh workload add "$c" --netns "$T-$c"; done
check "tap: not pulled, tapped, driver tap, cannot block" bhjq \
	'length == 3 and all(.[]; (.pulled | not) and .tapped and .tap and .driver == "tap" and
	 (.can_block | not))' workload list
status_says_tap() { bh status | grep -q 'tap (cannot block)'; }
check "tap: status table says it cannot block" status_says_tap
check "tap: the port is untouched (same device)" \
	test "$(cns web cat /sys/class/net/eth0/ifindex)" = "$ifidx_web"
check "tap: the port is untouched (addresses, routes)" test "$(net_view web)" = "$view_web"
check "tap: no vin/vex in the enforcer" bash -c "! ip -n $ENFNS -o link | grep -qE 'vin|vex'"
check "tap: one packet socket in web's netns" test "$(packet_socks web)" -eq 1
check "tap: traffic" traffic
check "tap: all rules learned" wait_for 5 all_learned
sleep 1.5
tap_rules=$(learned_view)
check "tap: learned rules equal inline's ($(jq length <<<"$tap_rules") rules)" \
	test "$tap_rules" = "$inline_rules"
[ "$tap_rules" = "$inline_rules" ] || diff <(echo "$inline_rules") <(echo "$tap_rules")
check "tap: the dp counted both directions of web" \
	bhjq 'any(.[]; .name == "web" and .stats.packets_in > 0 and .stats.packets_out > 0)' \
	workload list

# ---- 3. monitor under tap: violations logged, nothing blocked ----
check "mode --all monitor" bh mode --all monitor
check "monitor: still tapped" wl_is web '.tapped and (.pulled | not) and .mode == "monitor"'
check "monitor: client -> web tcp/8080 passes" tcp_ok client $WEB 8080
check "monitor: violation logged for tcp/8080" wait_for 3 violation tcp/8080 monitor \
	'and .action == "allow" and .from == "client" and .to == "web"'
check_not "monitor: nothing learned for tcp/8080" learned client web tcp/8080
# capture works on a tap too: the frames as the tap saw them, "forward" (nothing is dropped)
bh capture web -w "$STATE/tap.pcap" -t 2 2>"$STATE/capture.err" &
CAP=$!
sleep 0.5
tcp_ok client $WEB 8080 >/dev/null
wait $CAP
check "capture on a tapped workload" grep -q "packets captured" "$STATE/capture.err"
if command -v tshark >/dev/null; then
	cap_has() { tshark -r "$STATE/tap.pcap" -T fields -E separator='|' -e nflog.prefix \
		-e ip.dst -e tcp.dstport 2>/dev/null | grep -qE "$1"; }
	check "capture: tcp/8080 into web recorded as forwarded" \
		cap_has "^bulkhead web in forward\\|$WEB\\|8080"
fi

# ---- 4. protect pulls inline, discover taps again; a live connection survives both ----
LONG="$STATE/long"
long_start client $WEB 80 "$LONG"
check "long-lived connection up (tap)" wait_for 3 long_alive "$LONG"
check "mode --all protect" bh mode --all protect
check "protect: web pulled inline, can block" \
	wl_is web '.pulled and (.tapped | not) and .driver != "tap" and .can_block'
check "protect: no packet socket left in web's netns" wait_for 1 no_socks web
check "protect: live connection survives tap -> inline" long_alive "$LONG"
check "protect: client -> web tcp/80 allowed" tcp_ok client $WEB 80
check_not "protect: client -> web tcp/8080 blocked" tcp_ok client $WEB 8080
check "protect: violation logged for tcp/8080" wait_for 3 violation tcp/8080 protect \
	'and .action == "deny"'
check "protect: live connection still up" long_alive "$LONG"
check "mode --all discover" bh mode --all discover
check "discover: web tapped again" wl_is web '.tapped and (.pulled | not) and .driver == "tap"'
check "discover: web's port restored exactly" test "$(net_view web)" = "$view_web"
check "discover: live connection survives inline -> tap" long_alive "$LONG"
# The long connection sends every 200 ms: the tap's counters move.
tap_counts() {
	local a b
	a=$(wl_stat web packets_in)
	sleep 0.6
	b=$(wl_stat web packets_in)
	[ "$b" -gt "$a" ]
}
check "discover: the tap sees traffic again" tap_counts
check "mode web protect (one workload)" bh mode web protect
check "web inline, client still tapped" bhjq \
	'any(.[]; .name=="web" and .pulled) and any(.[]; .name=="client" and .tapped)' workload list
check "live connection survives the second switch" long_alive "$LONG"
check "mode web discover" bh mode web discover
check "live connection survives switching back" long_alive "$LONG"

# ---- 5. per-workload --tap on a daemon without --driver tap; errors ----
stop_daemon TERM
check "stop: web restored exactly" test "$(net_view web)" = "$view_web"
check "stop: no packet socket in any container" \
	test "$(( $(packet_socks client) + $(packet_socks web) + $(packet_socks db) ))" -eq 0
rm -f "$STATE/workloads.json"
start_daemon || exit 1
check "status: driver is not tap by default" bhjq '.driver != "tap"' status
check "--tap on one workload" bh workload add db --netns "$T-db" --tap
check "plain workload is pulled" bh workload add web --netns "$T-web"
check "db tapped, web pulled" bhjq 'any(.[]; .name=="db" and .tapped and .driver=="tap") and
	any(.[]; .name=="web" and .pulled and .driver!="tap")' workload list
check "--tap with --proxymesh: one-line error" err_one_line \
	bh workload add x --netns "$T-client" --tap --proxymesh
check "tap + inline: web -> db tcp/5432" tcp_ok web $DB 5432
check "workload rm db (tapped)" bh workload rm db
check "rm: no packet socket in db's netns" wait_for 1 no_socks db
check "rm: db untouched" test "$(net_view db)" = "$view_db"
check "workload add db --tap --mode protect: pulled inline at once" \
	bh workload add db --netns "$T-db" --tap --mode protect
check "db inline" wl_is db '.pulled and .tap and (.tapped | not)'
check "workload rm db (inline tap workload)" bh workload rm db
check "rm: db restored exactly" test "$(net_view db)" = "$view_db"
stop_daemon TERM
check "stop: nothing of bulkhead left (enforcer netns gone)" \
	bash -c "! ip netns list | grep -q '^$ENFNS '"
check "stop: web restored exactly" test "$(net_view web)" = "$view_web"
finish
