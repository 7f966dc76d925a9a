#!/usr/bin/env bash
# --fail closed|open: what a pulled workload's traffic does while no bulkheadd runs,
# and that a restart after kill -9 resumes enforcement without breaking allowed,
# established connections (the dp picks them up mid-stream).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

make_host
make_container a 61
make_container b 62
serve a tcp:7000
serve b tcp:7000

protect_ab() {
	bh workload add a --netns "$T-a" --mode protect >/dev/null &&
		bh workload add b --netns "$T-b" --mode protect >/dev/null &&
		bh rule add --from a --to b --port tcp/7000 --action allow >/dev/null &&
		bh rule add --from a --to b --port icmp --action allow >/dev/null
}
count_workloads() { bh --json workload list | jq length; }

# ---- fail closed (the default) ----
start_daemon || exit 1
check "closed: protect a -> b" protect_ab
check "closed: ping allowed" wait_for 3 ping_ok a 10.99.0.62
check "closed: tcp/7000 allowed" tcp_ok a 10.99.0.62 7000
long_start a 10.99.0.62 7000 "$STATE/long1" 15 # survives a few seconds of silence
check "closed: long connection up" wait_for 3 long_alive "$STATE/long1"
stop_daemon KILL
sleep 1.5
check_not "closed: nothing passes while bulkheadd is gone" ping_ok a 10.99.0.62
check_not "closed: the long connection stalls" long_alive "$STATE/long1"
start_daemon || exit 1
check "closed: restart resumes the workloads (no duplicates)" test "$(count_workloads)" = 2
check "closed: ping allowed again" wait_for 3 ping_ok a 10.99.0.62
check "closed: the established connection survived the restart" wait_for 8 long_alive "$STATE/long1"
check_not "closed: b -> a still denied after restart" tcp_ok b 10.99.0.61 7000 1
check "closed: a -> b counted by the dp after restart" test "$(wl_stat a packets_out)" -gt 0
stop_daemon TERM

# ---- fail open ----
start_daemon --fail open || exit 1
check "open: status says fail open" bash -c "set -o pipefail; bh --json status | jq -e '.fail == \"open\"'"
check "open: workloads back from state" test "$(count_workloads)" = 2
check "open: ping through the dp" wait_for 3 ping_ok a 10.99.0.62
long_start a 10.99.0.62 7000 "$STATE/long2"
check "open: long connection up" wait_for 3 long_alive "$STATE/long2"
stop_daemon KILL
sleep 1.5
check "open: traffic flows while bulkheadd is gone" wait_for 3 ping_ok a 10.99.0.62
check "open: the long connection keeps going" long_alive "$STATE/long2"
start_daemon --fail open || exit 1
check "open: restart reconciles without duplicates" test "$(count_workloads)" = 2
check_not "open: enforcement is back (b -> a denied)" tcp_ok b 10.99.0.61 7000 1
check "open: the long connection survived" wait_for 5 long_alive "$STATE/long2"
finish
