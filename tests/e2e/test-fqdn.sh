#!/usr/bin/env bash
# FQDN groups end to end: dnsmasq in its own netns "container" answers (TTL 2 s); the
# client workload in protect may reach `api` (--fqdn api.example.test) on tcp/80 only
# after a lookup, for the TTL plus --fqdn-grace 1; an address never resolved stays
# denied; expiry denies new connections again; explain names the name and its TTL; a
# CNAME admits for the name queried, not its target; a wildcard group, answered over
# TCP, admits too and keeps its CIDR members; AAAA over IPv6; a connection made while
# the name was live survives a policy change after the TTL; monitor only logs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

CLIENT=10.99.0.61 DNS=10.99.0.62 API=10.99.0.63 OTHER=10.99.0.64 SVC=10.99.0.65
CIDR=10.99.0.66 API6=fd99::63
make_host
make_container client 61
make_container dns 62
make_container api 63
make_container other 64
make_container svc 65
make_container cidr 66
ip netns exec "$T-dns" dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces \
	--listen-address=$DNS --local-ttl=2 --pid-file="$STATE/dnsmasq.pid" \
	--host-record=api.example.test,$API,$API6 --host-record=other.example.test,$OTHER \
	--cname=alias.example.test,api.example.test --host-record=db.svc.test,$SVC \
	>/dev/null 2>&1 &
PEER_PIDS+=($!)
serve api tcp:80 tcp:81
serve other tcp:80
serve svc tcp:80
serve cidr tcp:80
settle client
settle api

# lookup [dig args...]: the client asks dnsmasq; prints the answers
lookup() { cns client dig +short +tries=1 +time=2 @$DNS "$@"; }
denied() { ! tcp_ok client "$1" "$2" 1; }
answers() { lookup "${@:3}" "$1" | grep -qx "$2"; } # answers NAME ADDR [DIG-ARGS]
bad_pattern_says_why() {
	local e
	e=$(bh group add bad --fqdn 'a.*.test' 2>&1) && return 1
	grep -qF "group bad: bad FQDN pattern 'a.*.test': '*' only as the whole first label" <<<"$e"
}
explain_has() { # explain_has ADDR PORT JQ-TEST
	bhjq "$3" explain --from client --to "$1" --port "tcp/$2"
}

check "bulkheadd refuses a bad --fqdn-grace with one line" err_one_line \
	"$BULKHEADD" --fqdn-grace 5s
start_daemon --fqdn-grace 1 || exit 1
check "workload add client" bh workload add client --netns "$T-client"
check "group add api --fqdn api.example.test" bh group add api --fqdn api.example.test
check "group add cn --fqdn alias.example.test." bh group add cn --fqdn alias.example.test.
check "group add svc --fqdn '*.svc.test' --cidr $CIDR/32" \
	bh group add svc --fqdn '*.SVC.test' --cidr $CIDR/32
check "group add dns --cidr $DNS/32" bh group add dns --cidr $DNS/32
check "a bad pattern is one line, non-zero" err_one_line bh group add bad --fqdn 'a.*.test'
check "the error says why" bad_pattern_says_why
check "group list --json shows the patterns as typed" bhjq \
	'any(.[]; .name == "svc" and .fqdns == ["*.SVC.test"] and .cidrs == ["10.99.0.66/32"])' \
	group list
check "rule client -> dns udp/53,tcp/53" \
	bh rule add --from client --to dns --port udp/53,tcp/53 --action allow
check "rule client -> api tcp/80" bh rule add --from client --to api --port tcp/80 --action allow
check "rule client -> cn tcp/81" bh rule add --from client --to cn --port tcp/81 --action allow
check "rule client -> svc tcp/80" bh rule add --from client --to svc --port tcp/80 --action allow
check "mode client protect" bh mode client protect

# ---- before any lookup ----
check_not "protect: api address denied before a lookup" tcp_ok client $API 80 1
check "explain before a lookup: block, no name" explain_has $API 80 \
	'.verdict == "block" and (.ends[0].explain | contains("resolved") | not)'

# ---- lookup, then connect at once ----
check "dig api.example.test answers $API" answers api.example.test $API
check "after the lookup: client -> api tcp/80 allowed" tcp_ok client $API 80
long_start client $API 80 "$STATE/long" 3
check "a long-lived connection to api is up" long_alive "$STATE/long"
check "explain names api.example.test and its TTL" explain_has $API 80 \
	'.verdict == "allow" and (.ends[0].explain |
	 test("\\[in api: resolved api.example.test, ttl [0-2]\\.[0-9]s left\\]"))'
check "the rule still only opens tcp/80 (tcp/81 denied)" denied $API 81
check_not "an address never resolved stays denied" tcp_ok client $OTHER 80 1
lookup api.example.test AAAA >/dev/null
check "AAAA: client -> api over IPv6 allowed" tcp_ok client $API6 80

# ---- expiry: TTL 2 s + grace 1 s after the last answer ----
sleep 3.3
check_not "after TTL + grace: a new connection is denied again" tcp_ok client $API 80 1
check_not "after TTL + grace: IPv6 denied again" tcp_ok client $API6 80 1
check "explain after expiry: block" explain_has $API 80 '.verdict == "block"'
check "the long-lived connection outlives the TTL" long_alive "$STATE/long"
check "a policy change (rule add) re-checks live sessions" \
	bh rule add --from client --to dns --port tcp/5353 --action allow
check "... and keeps the connection the answer admitted" long_alive "$STATE/long"
check "violation logged for the denied connection" violation tcp/80 protect

# ---- CNAME: the queried name must match ----
check "dig alias.example.test (CNAME) answers $API" answers alias.example.test $API
check "CNAME: group cn (alias.example.test) admits the target address" tcp_ok client $API 81
check_not "CNAME: group api (the target's name) does not" tcp_ok client $API 80 1

# ---- wildcard, answered over TCP; the group's CIDR works without any lookup ----
check "CIDR member of the FQDN group allowed without a lookup" tcp_ok client $CIDR 80
check_not "wildcard: before the lookup denied" tcp_ok client $SVC 80 1
check "dig +tcp db.svc.test answers $SVC" answers db.svc.test $SVC +tcp
check "wildcard *.svc.test over TCP DNS: allowed" tcp_ok client $SVC 80
check "explain names db.svc.test in svc" explain_has $SVC 80 \
	'.ends[0].explain | contains("[in svc: resolved db.svc.test")'
check "status counts the table's entries" bhjq '.fqdn.admitted >= 4 and .fqdn.entries >= 1 and
	.fqdn.grace_s == 1 and .fqdn.full == 0' status

# ---- monitor logs instead of blocking ----
check "mode client monitor" bh mode client monitor
check "monitor: never-resolved address allowed" tcp_ok client $OTHER 80
check "monitor: violation logged" wait_for 3 violation tcp/80 monitor

finish
