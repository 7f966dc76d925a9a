#!/usr/bin/env bash
# Policy end to end (IPv4): discover learns rules from real traffic; protect
# keeps learned flows (a live connection included) and blocks the rest with a
# violation logged; monitor lets everything through but logs it; quarantine
# cuts a workload off and protect brings it back; a deny rule resets a live
# connection; explain names the deciding rule; bad input changes nothing;
# rules survive kill -9; a corrupt policy.json stops bulkheadd from starting.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

CLIENT=10.99.0.41 WEB=10.99.0.42 DB=10.99.0.43
make_host
make_container client 41
make_container web 42
make_container db 43
serve web tcp:80 tcp:8080
serve db tcp:5432 udp:53
sleep 0.3

start_daemon || exit 1
for c in client web db; do check "workload add $c" bh workload add "$c" --netns "$T-$c"; done
check "workloads start in discover" bhjq 'all(.[]; .mode == "discover")' workload list

# ---- discover: conversations become learned allow rules ----
check "discover: client -> web tcp/80" tcp_ok client $WEB 80
check "discover: client -> db tcp/5432" tcp_ok client $DB 5432
check "discover: web -> db tcp/5432" tcp_ok web $DB 5432
check "discover: client pings web" ping_ok client $WEB
check "discover: web pings client" ping_ok web $CLIENT
check "learned client -> web tcp/80" wait_for 3 learned client web tcp/80
check "learned client -> db tcp/5432" wait_for 3 learned client db tcp/5432
check "learned web -> db tcp/5432" wait_for 3 learned web db tcp/5432
check "learned client -> web icmp" wait_for 3 learned client web icmp
check "learned rules have ids >= 10001" \
	bhjq 'length >= 4 and all(.[]; .id >= 10001)' rule list --learned
check "conn list shows client -> web tcp/80" bhjq \
	'any(.[]; .from == "client" and .to == "web" and .port == "tcp/80" and .sessions >= 1)' \
	conn list

# ---- protect: learned flows pass, the rest is blocked and logged ----
LONG="$STATE/long1"
long_start client $WEB 80 "$LONG"
check "long-lived connection up" wait_for 3 long_alive "$LONG"
check "mode --all protect" bh mode --all protect
check "all workloads in protect" bhjq 'length == 3 and all(.[]; .mode == "protect")' \
	workload list
check "protect: client -> web tcp/80 allowed" tcp_ok client $WEB 80
check "protect: client -> db tcp/5432 allowed" tcp_ok client $DB 5432
check "protect: long-lived connection survives" long_alive "$LONG"
check_not "protect: client -> web tcp/8080 blocked" tcp_ok client $WEB 8080
check_not "protect: client -> db udp/53 blocked" udp_ok client $DB 53
check "violation logged for tcp/8080 (protect)" wait_for 3 violation tcp/8080 protect \
	'and .action == "deny" and .from == "client" and .to == "web" and .rule_id == "default"'
check "violation logged for udp/53 (protect)" wait_for 3 violation udp/53 protect
check "violation lines are complete" bhjq 'length > 0 and all(.[]; has("time") and
	has("from_ip") and has("to_ip") and has("proto") and has("end") and has("workload"))' \
	log --violations

# ---- monitor: the same flows pass, and are logged ----
check "mode --all monitor" bh mode --all monitor
check "monitor: client -> web tcp/8080 passes" tcp_ok client $WEB 8080
check "monitor: client -> db udp/53 passes" udp_ok client $DB 53
check "violation logged for tcp/8080 (monitor)" wait_for 3 violation tcp/8080 monitor \
	'and .action == "allow"'
check "violation logged for udp/53 (monitor)" wait_for 3 violation udp/53 monitor
check_not "monitor learned nothing for tcp/8080" learned client web tcp/8080
check "mode --all protect again" bh mode --all protect

# ---- quarantine: web is cut off; protect restores its allowed flows ----
check "mode web quarantine" bh mode web quarantine
check_not "quarantine: client pings web" ping_ok client $WEB
check_not "quarantine: web pings client" ping_ok web $CLIENT
check_not "quarantine: client -> web tcp/80" tcp_ok client $WEB 80
check_not "quarantine: web -> db tcp/5432" tcp_ok web $DB 5432
check "quarantine: client -> db tcp/5432 unaffected" tcp_ok client $DB 5432
check "mode web protect" bh mode web protect
check "protect again: client -> web tcp/80" tcp_ok client $WEB 80
check "protect again: client pings web" ping_ok client $WEB
check "protect again: web -> db tcp/5432" tcp_ok web $DB 5432

# ---- explain ----
db_rule=$(learned_id client db tcp/5432)
check "explain allowed: learned rule $db_rule decides" \
	bhjq ".verdict == \"allow\" and .ends[0].rule_id == ${db_rule:-0}" \
	explain --from client --to db --port tcp/5432
check "explain blocked: mode default decides" \
	bhjq '.verdict == "block" and any(.ends[]; .rule_id == "default" and .action == "block")' \
	explain --from client --to $WEB --port tcp/8080
out=$(bh explain --from client --to web --port tcp/80)
check "explain prints both ends and the verdict" \
	grep -qz 'egress.*client.*ingress.*web.*verdict: allow' <<<"$out"

# ---- a deny rule resets a live connection ----
LONG2="$STATE/long2"
long_start client $WEB 80 "$LONG2"
check "second long-lived connection up" wait_for 3 long_alive "$LONG2"
check "rule add deny client -> web tcp/80 (id 5)" \
	bh rule add --from client --to web --port tcp/80 --action deny --id 5
check "live connection closed within 1 s" long_closed_within "$LONG2" 12
check_not "new client -> web tcp/80 blocked" tcp_ok client $WEB 80
check "reset logged as a violation" wait_for 3 violation tcp/80 protect \
	'and .reset == true and .rule_id == 5'
check "explain names rule 5" bhjq '.verdict == "block" and .ends[0].rule_id == 5' \
	explain --from client --to web --port tcp/80

# ---- bad input: one-line error, policy unchanged ----
before=$(rules_view)
check "malformed port spec" err_one_line bh rule add --from client --to web --port tcp/99999 \
	--action allow
check "unknown group" err_one_line bh rule add --from nosuch --to web --action allow
check "duplicate rule id" err_one_line bh rule add --from client --to db --action allow --id 5
check "unknown mode" err_one_line bh mode web sleepy
check "unknown action" err_one_line bh rule add --from client --to web --action maybe
check "rule rm unknown id" err_one_line bh rule rm 4242
check "group with a bad CIDR" err_one_line bh group add nets --cidr 10.0.0.0/33
check "rule list unchanged" test "$(rules_view)" = "$before"

# ---- groups, promote ----
check "group add" bh group add backend --cidr 10.99.0.43/32
check "group list shows it with its member CIDR" \
	bhjq 'any(.[]; .name == "backend" and .cidrs == ["10.99.0.43/32"])' group list
web_rule=$(learned_id client web icmp)
check "promote learned rule $web_rule" bhjq '.id < 10001 and (.learned | not)' \
	rule promote "${web_rule:-0}"
before=$(rules_view)

# ---- restart after kill -9 keeps the policy ----
stop_daemon KILL
start_daemon || exit 1
check "rules survive kill -9" test "$(rules_view)" = "$before"
check "learned rules survive" wait_for 1 learned client db tcp/5432
check "modes survive" bhjq 'length == 3 and all(.[]; .mode == "protect")' workload list
check "after restart: client -> db tcp/5432 allowed" tcp_ok client $DB 5432
check_not "after restart: client -> web tcp/8080 blocked" tcp_ok client $WEB 8080

# ---- a corrupt policy.json is refused, not replaced ----
stop_daemon TERM
echo '{"version":1,"groups":[],"rules":[{"id":' >"$STATE/policy.json"
sum=$(md5sum <"$STATE/policy.json")
out=$(timeout 20 "$BULKHEADD" --foreground --state-dir "$STATE" --socket "$BULKHEAD_SOCKET" \
	--enforcer-netns "$ENFNS" 2>&1)
rc=$?
check "bulkheadd refuses to start (rc $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check "clear message names policy.json" grep -q "policy.json" <<<"$out"
check "corrupt file left as it was" test "$(md5sum <"$STATE/policy.json")" = "$sum"
finish
