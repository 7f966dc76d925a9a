#!/usr/bin/env bash
# Service-mesh sidecars (proxymesh via NFQUEUE): a pod whose app listens on 127.0.0.1:8080
# behind a sidecar stand-in (relay on 15006, istio-style nat REDIRECT of tcp/8080 from eth0)
# is enforced at the NFQUEUE stage with the real client's address: in protect, client1
# (allowed) gets through and client2 is blocked and logged with its own IP; the port is
# not pulled; after kill -9 the queue bypass keeps mesh traffic flowing; the next start
# replaces the stale chains; workload rm and bulkheadd stop remove them.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

MESHPEER="$(cd "$(dirname "$0")" && pwd)/meshpeer.py"

# This kernel/iptables must take an NFQUEUE rule with --queue-bypass (checked in a scratch netns).
nfq_available() {
	local ns="$T-nfqprobe" rc=0
	ip netns add "$ns" || return 1
	ip netns exec "$ns" iptables -w -N BH_PROBE >/dev/null 2>&1 &&
		ip netns exec "$ns" iptables -w -A BH_PROBE -p tcp --syn -j NFQUEUE \
			--queue-num 4242 --queue-bypass >/dev/null 2>&1 &&
		ip netns exec "$ns" iptables -w -t nat -A PREROUTING -p tcp --dport 8080 \
			-j REDIRECT --to-ports 15006 >/dev/null 2>&1 || rc=1
	ip netns del "$ns"
	return $rc
}
if ! command -v iptables >/dev/null || ! nfq_available; then
	echo "SKIP: iptables NFQUEUE --queue-bypass (or nat REDIRECT) unavailable on this kernel"
	finish
	exit 0
fi

POD=10.99.0.50 C1=10.99.0.51 C2=10.99.0.52
make_host
make_container pod 50
make_container client1 51
make_container client2 52
make_container pod2 53
ip netns exec "$T-pod" python3 "$MESHPEER" app 8080 >/dev/null 2>&1 &
PEER_PIDS+=($!)
ip netns exec "$T-pod" python3 "$MESHPEER" sidecar 15006 8080 >/dev/null 2>&1 &
PEER_PIDS+=($!)
# Stand-in for the sidecar's own health port (istio 15020), on lo.
ip netns exec "$T-pod" python3 "$MESHPEER" app 15020 >/dev/null 2>&1 &
PEER_PIDS+=($!)
cns pod iptables -w -t nat -A PREROUTING -i eth0 -p tcp --dport 8080 -j REDIRECT --to-ports 15006
# A process named envoy in pod2's netns: bulkheadd must notice the sidecar by itself.
cp "$(command -v sleep)" "$STATE/envoy"
ip netns exec "$T-pod2" "$STATE/envoy" 600 &
PEER_PIDS+=($!)
sleep 0.3

chains() { cns pod iptables -w -S 2>/dev/null | grep -c 'PROXYMESH'; }
jumps_once() { [ "$(cns pod iptables -w -S INPUT | grep -c BULKHEAD_INPUT_PROXYMESH)" -eq 1 ] &&
	[ "$(cns pod iptables -w -S OUTPUT | grep -c BULKHEAD_OUTPUT_PROXYMESH)" -eq 1 ]; }
no_chains() { [ "$(chains)" -eq 0 ]; }
queue_rule() { cns pod iptables -w -S BULKHEAD_INPUT_PROXYMESH |
	grep -- '-p tcp' | grep -- '--tcp-flags FIN,SYN,RST,ACK SYN' |
	grep -q -- '-j NFQUEUE --queue-num 4242 --queue-bypass'; }
mesh_ok() { tcp_ok "$1" $POD 8080 3; }
no_inbound() { [ -z "$(cns pod ss -Htn state established '( sport = :15006 )')" ]; }

check "before bulkhead: client1 -> pod tcp/8080 via the sidecar" mesh_ok client1
check "before bulkhead: client2 -> pod tcp/8080 via the sidecar" mesh_ok client2

start_daemon || exit 1
check "group c1 = client1's address" bh group add c1 --cidr $C1/32
check "workload add pod --proxymesh --mode protect" \
	bh workload add pod --netns "$T-pod" --proxymesh --mode protect
check "rule c1 -> pod tcp/8080 allow" bh rule add --from c1 --to pod --port tcp/8080 --action allow
check "client2 is a (pulled) workload in monitor" \
	bh workload add client2 --netns "$T-client2" --mode monitor
check "pod is proxymesh and its port is not pulled" \
	bhjq 'any(.[]; .name == "pod" and .proxymesh and (.pulled | not))' workload list
check "pod keeps its eth0 (no vin/vex)" cns pod ip link show eth0
check "chains installed, jumped to once from INPUT/OUTPUT" jumps_once
check "INPUT chain queues lo SYNs with --queue-bypass" queue_rule
check "protect: client1 -> pod tcp/8080 allowed" mesh_ok client1
check_not "protect: client2 -> pod tcp/8080 blocked at NFQUEUE" mesh_ok client2
check "violation logged with client2's address (proxymesh stage)" \
	wait_for 3 violation tcp/8080 protect \
	"and .from_ip == \"$C2\" and .to == \"pod\" and .action == \"deny\" and .stage == \"proxymesh\""
check "the violation names the real client: client2" wait_for 3 violation tcp/8080 protect \
	"and .from == \"client2\" and .to_ip == \"$POD\""
check "the pod's addresses are in the policy (the dp names it at client2's egress)" \
	wait_for 3 violation tcp/8080 monitor "and .workload == \"client2\" and .to == \"pod\""
check_not "no violation for client1" violation tcp/8080 protect "and .from_ip == \"$C1\""
# 20 connections at once: their SYNs are decided and answered in batches.
burst_ok() {
	local pids=() p rc=0
	for _ in $(seq 20); do mesh_ok client1 & pids+=($!); done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	return $rc
}
check "protect: a burst of 20 client1 connections all pass" burst_ok
# client1 and client2 at once: the sidecar's connections cannot be told apart, and a denied
# client must never get in alongside an allowed one (client1 may be refused meanwhile).
mixed_c2_blocked() {
	local pids=() d="$STATE/mixed" p
	mkdir -p "$d"
	for i in $(seq 10); do
		(mesh_ok client1 >/dev/null 2>&1) & pids+=($!)
		(mesh_ok client2 >/dev/null 2>&1 && touch "$d/c2-$i") & pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	[ -z "$(ls -A "$d")" ]
}
check "protect: client2 never passes while racing client1" mixed_c2_blocked
check "the sidecar's inbound connections are gone" wait_for 6 no_inbound
check "lo traffic inside the pod (no inbound client) passes" \
	cns pod python3 "$NETPEER" tcp 127.0.0.1 8080 3
check "monitor: client2 allowed and logged" bh mode pod monitor
check "monitor: client2 -> pod tcp/8080 passes" mesh_ok client2
check "monitor: violation logged for client2" wait_for 3 violation tcp/8080 monitor \
	"and .from_ip == \"$C2\" and .workload == \"pod\" and .stage == \"proxymesh\""
LONG2="$STATE/long2"
long_start client2 $POD 8080 "$LONG2" 3
check "monitor: a long-lived client2 connection through the sidecar" wait_for 3 long_alive "$LONG2"
check "back to protect" bh mode pod protect
check "protect: the sidecar's own port (15020) on lo is not judged" \
	cns pod python3 "$NETPEER" tcp 127.0.0.1 15020 3
check_not "protect: lo to the app refused while a denied client holds the sidecar" \
	cns pod python3 "$NETPEER" tcp 127.0.0.1 8080 3
kill "${PEER_PIDS[-1]}" 2>/dev/null
check "the long-lived connection is gone" wait_for 6 no_inbound
check "sidecar auto-detected: pod2 (envoy in its netns) is proxymesh" bh workload add pod2 \
	--netns "$T-pod2" --mode monitor
check "pod2: proxymesh, not pulled" \
	bhjq 'any(.[]; .name == "pod2" and .proxymesh and (.pulled | not))' workload list
check "pod2: chains installed" cns pod2 iptables -w -S BULKHEAD_INPUT_PROXYMESH
check "workload rm pod2" bh workload rm pod2
check_not "pod2: chains removed" cns pod2 iptables -w -S BULKHEAD_INPUT_PROXYMESH
# From here client2 is a plain netns again: a pulled port would not carry after kill -9.
check "workload rm client2" bh workload rm client2

# ---- crash: only the bypassable rules stay, and traffic flows ----
stop_daemon KILL
check "after kill -9 the chains are still there" jumps_once
check "after kill -9: client2 passes (queue bypass, fail open)" mesh_ok client2
check "after kill -9: client1 passes" mesh_ok client1

start_daemon || exit 1
check "restart: stale chains replaced, one jump each" jumps_once
check "restart: client1 allowed" mesh_ok client1
check_not "restart: client2 blocked again" mesh_ok client2

check "workload rm pod" bh workload rm pod
check "workload rm removed every chain" no_chains
check "after rm: client2 passes" mesh_ok client2

check "workload add pod again" bh workload add pod --netns "$T-pod" --proxymesh --mode protect
check "chains back" jumps_once
stop_daemon TERM
check "bulkheadd stop removed every chain" no_chains
check "after stop: client2 passes" mesh_ok client2
finish
