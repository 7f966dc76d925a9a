#!/usr/bin/env bash
# Policy end to end over IPv6 (fd99::): discover learns from v6 traffic,
# protect keeps learned flows and a live connection and blocks the rest with
# a violation naming the v6 addresses, explain works on v6 addresses, and a
# deny rule resets a live v6 connection.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

CLIENT=fd99::41 WEB=fd99::42 DB=fd99::43
make_host
make_container client 41
make_container web 42
make_container db 43
serve web tcp:80 tcp:8080
serve db tcp:5432 udp:53
sleep 0.3

start_daemon || exit 1
for c in client web db; do check "workload add $c" bh workload add "$c" --netns "$T-$c"; done
# Let DAD and neighbour discovery settle on the new eth0s before timing anything.
wait_for 5 tcp_ok client $WEB 80 1

# ---- discover ----
check "discover: client -> web tcp/80 (v6)" tcp_ok client $WEB 80
check "discover: client -> db tcp/5432 (v6)" tcp_ok client $DB 5432
check "learned client -> web tcp/80" wait_for 3 learned client web tcp/80
check "learned client -> db tcp/5432" wait_for 3 learned client db tcp/5432
check "v6 peers resolve to workload names" bhjq \
	'any(.[]; .from == "client" and .to == "web") and length > 0' conn list

# ---- protect ----
LONG="$STATE/long1"
long_start client $WEB 80 "$LONG"
check "long-lived v6 connection up" wait_for 3 long_alive "$LONG"
check "mode --all protect" bh mode --all protect
check "protect: client -> web tcp/80 allowed (v6)" tcp_ok client $WEB 80
check "protect: client -> db tcp/5432 allowed (v6)" tcp_ok client $DB 5432
check "protect: long-lived v6 connection survives" long_alive "$LONG"
check_not "protect: client -> web tcp/8080 blocked (v6)" tcp_ok client $WEB 8080
check_not "protect: client -> db udp/53 blocked (v6)" udp_ok client $DB 53
check "violation logged for tcp/8080 with v6 addresses" wait_for 3 violation tcp/8080 protect \
	"and .from == \"client\" and .to == \"web\" and .from_ip == \"$CLIENT\" and
	.to_ip == \"$WEB\" and .rule_id == \"default\""
check "violation logged for udp/53 (v6)" wait_for 3 violation udp/53 protect

# ---- explain on v6 addresses ----
check "explain v6 allowed: learned rule decides" \
	bhjq ".verdict == \"allow\" and .ends[0].rule_id == $(learned_id client web tcp/80)" \
	explain --from $CLIENT --to $WEB --port tcp/80
check "explain v6 blocked: default" \
	bhjq '.verdict == "block" and any(.ends[]; .rule_id == "default")' \
	explain --from $CLIENT --to web --port tcp/8080

# ---- a deny rule resets a live v6 connection ----
LONG2="$STATE/long2"
long_start client $WEB 80 "$LONG2"
check "second long-lived v6 connection up" wait_for 3 long_alive "$LONG2"
check "rule add deny client -> web tcp/80 (id 5)" \
	bh rule add --from client --to web --port tcp/80 --action deny --id 5
check "live v6 connection closed within 1 s" long_closed_within "$LONG2" 12
check_not "new client -> web tcp/80 blocked (v6)" tcp_ok client $WEB 80
check "reset logged as a violation" wait_for 3 violation tcp/80 protect \
	"and .reset == true and .rule_id == 5 and .to_ip == \"$WEB\""
check "client -> db tcp/5432 still allowed (v6)" tcp_ok client $DB 5432
finish
