#!/usr/bin/env bash
# bulkheadd --cluster: two nodes share policy through one etcd.  frontend is pulled by
# node1, backend by node2, both on one bridge; rules and learned rules made on one node
# are enforced on the other, and an etcd outage changes nothing that is enforced.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

ETCD=$(command -v etcd || true)
if [ -z "$ETCD" ]; then
	echo "SKIP: etcd not installed (scripts/install-deps installs etcd-server)"
	echo "0 passed, 0 failed"
	exit 0
fi

ETCD_PID=""
N1_PID=""
N2_PID=""
N1="$STATE/n1"
N2="$STATE/n2"
mkdir -p "$N1" "$N2"

stop_pid() { # stop_pid PID: TERM, then KILL after 5 s
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cluster_cleanup() {
	local rc=$?
	stop_pid "$N1_PID"
	stop_pid "$N2_PID"
	stop_pid "$ETCD_PID"
	ip netns del "$T-enf1" 2>/dev/null
	ip netns del "$T-enf2" 2>/dev/null
	if [ "$FAILED" -gt 0 ] || [ $rc -ne 0 ]; then
		for n in n1 n2; do echo "---- $n log ----"; tail -n 30 "$STATE/$n.log" 2>/dev/null; done
		echo "---- etcd log ----"; tail -n 10 "$STATE/etcd.log" 2>/dev/null
	fi
	(exit $rc)
	policy_cleanup
}
trap cluster_cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CPORT=$(free_port)
PPORT=$(free_port)
while [ "$PPORT" = "$CPORT" ]; do PPORT=$(free_port); done

start_etcd() {
	"$ETCD" --name bt --data-dir "$STATE/etcd" \
		--listen-client-urls "http://127.0.0.1:$CPORT" \
		--advertise-client-urls "http://127.0.0.1:$CPORT" \
		--listen-peer-urls "http://127.0.0.1:$PPORT" \
		--initial-advertise-peer-urls "http://127.0.0.1:$PPORT" \
		--initial-cluster "bt=http://127.0.0.1:$PPORT" >>"$STATE/etcd.log" 2>&1 &
	ETCD_PID=$!
	wait_for 10 curl -sf "http://127.0.0.1:$CPORT/health"
}

# start_node N NAME: bulkheadd of node NAME with state $STATE/nN, socket and enforcer netns
start_node() {
	local n=$1 name=$2 pid
	"$BULKHEADD" --foreground --state-dir "$STATE/n$n" --socket "$STATE/n$n/sock" \
		--enforcer-netns "$T-enf$n" --docker off \
		--cluster "etcd://127.0.0.1:$CPORT" --node "$name" >>"$STATE/n$n.log" 2>&1 &
	pid=$!
	eval "N${n}_PID=$pid"
	wait_for 5 "$BULKHEAD" --socket "$STATE/n$n/sock" status
}

on() { local n=$1; shift; BULKHEAD_SOCKET="$STATE/n$n/sock" "$@"; }
cstate() { on "$1" bh --json status | jq -r ".cluster.$2"; }
cluster_is() { [ "$(cstate "$1" state)" = "$2" ]; }
remote_wls() { [ "$(cstate "$1" remote_workloads)" = "$2" ]; }
has_rule_port() { # has_rule_port N PORT: node N lists a user rule frontend -> backend PORT
	on "$1" bh --json rule list |
		jq -e --arg p "$2" 'any(.[]; .from=="frontend" and .to=="backend" and .ports==$p)' \
			>/dev/null
}
# within_ms MS CMD...: CMD holds within MS milliseconds (polled every 20 ms)
within_ms() {
	local ms=$1 t0; shift
	t0=$(date +%s%3N)
	while [ $(( $(date +%s%3N) - t0 )) -le "$ms" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.02
	done
	return 1
}

make_host
make_container frontend 2
make_container backend 3
settle frontend
settle backend
serve backend tcp:80 tcp:8080 tcp:8081

check "etcd starts on 127.0.0.1:$CPORT" start_etcd
check "node1 starts with --cluster" start_node 1 node1
check "node2 starts with --cluster" start_node 2 node2
check "node1 connected" wait_for 5 cluster_is 1 connected
check "node2 connected" wait_for 5 cluster_is 2 connected
check "status names the node" bhjq '.cluster.node == "node1" and .cluster.revision > 0' \
	--socket "$STATE/n1/sock" status
check "status human line" bash -c "BULKHEAD_SOCKET=$STATE/n2/sock $BULKHEAD status | grep -q '^cluster: *connected (node node2'"

on 1 bh workload add frontend --netns "$T-frontend" --mode discover >/dev/null
on 2 bh workload add backend --netns "$T-backend" --mode monitor >/dev/null
check "node1 sees backend (node2) in the index" wait_for 5 remote_wls 1 1
check "node2 sees frontend (node1) in the index" wait_for 5 remote_wls 2 1
check "index entry carries addresses" bash -c "etcdctl --endpoints 127.0.0.1:$CPORT get \
	/bulkhead/workloads/node2/backend --print-value-only | jq -e '.addrs | index(\"10.99.0.3\")'"

# Learning on node1 (frontend discovers; backend only monitors, so node2 learns nothing
# itself) reaches node2.
check "monitor/discover: frontend -> backend:8080" tcp_ok frontend 10.99.0.3 8080
check "node1 learned frontend -> backend tcp/8080" wait_for 3 on 1 learned frontend backend tcp/8080
check "the learned rule appears in node2's rule list --learned" \
	wait_for 3 on 2 learned frontend backend tcp/8080

on 1 bh mode frontend protect >/dev/null
on 2 bh mode backend protect >/dev/null
check "cross-node: node1's learned rule lets frontend reach backend:8080 (both protect)" \
	tcp_ok frontend 10.99.0.3 8080
check_not "protect on both: frontend -> backend:80 blocked" tcp_ok frontend 10.99.0.3 80 1
on 1 bh rule add --from frontend --to backend --port tcp/80 --action allow >/dev/null
check "rule added on node1 reaches node2 within 1 s" within_ms 1000 has_rule_port 2 tcp/80
check "cross-node: frontend (node1) -> backend (node2):80 allowed" tcp_ok frontend 10.99.0.3 80
check_not "tcp/8081 still blocked" tcp_ok frontend 10.99.0.3 8081 1

# etcd goes away: nothing enforced changes; local changes queue.
kill -9 "$ETCD_PID"; wait "$ETCD_PID" 2>/dev/null; ETCD_PID=""
check "node2 reports etcd unavailable" wait_for 5 cluster_is 2 unavailable
check "etcd down: tcp/80 still allowed" tcp_ok frontend 10.99.0.3 80
check "etcd down: tcp/8080 still allowed" tcp_ok frontend 10.99.0.3 8080
check_not "etcd down: tcp/8081 still blocked" tcp_ok frontend 10.99.0.3 8081 1
check "etcd down: rule add on node1 succeeds" \
	on 1 bh rule add --from frontend --to backend --port tcp/8081 --action allow
check "etcd down: the change is queued" bhjq '.cluster.pending > 0' --socket "$STATE/n1/sock" status
check_not "etcd down: node2 does not have it yet" has_rule_port 2 tcp/8081
# Both nodes take rule id 500 for different rules while apart: one must move, none is lost.
on 1 bh rule add --id 500 --from frontend --to backend --port tcp/9001 --action allow >/dev/null
on 2 bh rule add --id 500 --from frontend --to backend --port tcp/9002 --action allow >/dev/null

# etcd returns: both nodes resynchronise and the queued rule is enforced on node2.
# node2 is held (SIGSTOP) until node1 has written its rule 500, so node2 finds the id
# taken in the range it reads on reconnecting: the order that once lost a rule.
kill -STOP "$N2_PID"
check "etcd restarts" start_etcd
check "node1 reconnects" wait_for 5 cluster_is 1 connected
check "node1 writes its queued changes" wait_for 5 bhjq '.cluster.pending == 0' --socket "$N1/sock" status
kill -CONT "$N2_PID"
check "node2 reconnects" wait_for 5 cluster_is 2 connected
check "queued rule reaches node2" wait_for 3 has_rule_port 2 tcp/8081
check "after resync: tcp/8081 allowed across nodes" wait_for 3 tcp_ok frontend 10.99.0.3 8081 1
check "after resync: tcp/80 still allowed" tcp_ok frontend 10.99.0.3 80
same_rules() { [ "$(on 1 rules_view)" = "$(on 2 rules_view)" ]; }
check "id clash: both nodes end with the same rules" wait_for 3 same_rules
check "id clash: both rules kept, under different ids" bash -c "BULKHEAD_SOCKET=$STATE/n1/sock \
	$BULKHEAD --json rule list | jq -e '([.[] | select(.ports==\"tcp/9001\" or .ports==\"tcp/9002\") | .id] | unique | length) == 2'"
id80=$(on 2 bh --json rule list | jq -r '.[] | select(.ports=="tcp/80") | .id')
on 2 bh rule rm "$id80" >/dev/null
check "rule removed on node2 disappears on node1" wait_for 2 bash -c "! BULKHEAD_SOCKET=$STATE/n1/sock $BULKHEAD --json rule list | jq -e 'any(.[]; .ports==\"tcp/80\")'"
check_not "removed rule: tcp/80 blocked again" wait_for 1 tcp_ok frontend 10.99.0.3 80 0.5

finish
