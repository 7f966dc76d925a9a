#!/usr/bin/env bash
# Restore on every way out: workload rm, SIGTERM, and kill -9 + restart.
source "$(dirname "$0")/lib.sh"
require_root

make_host
make_container app 21
make_container peer 22
before=$(net_view app)
mac=$(cns app cat /sys/class/net/eth0/address)

restored() { [ "$(net_view app)" = "$before" ]; }
# The workload's vin/vex (and with them their tc filters) are gone from the enforcer.
enforcer_clean() {
	! enf_links | grep -qE '^(vin|vex)'
}

# 1. SIGTERM restores every pulled port and removes the enforcer's devices.
start_daemon || exit 1
check "add app" bh workload add app --netns "$T-app"
check "traffic through dp" cns app ping -c 2 -i 0.1 -W 2 10.99.0.22
stop_daemon TERM
check "SIGTERM: app restored (name, MAC, addresses, routes, MTU)" restored
check "SIGTERM: MAC is the original" test "$(cns app cat /sys/class/net/eth0/address)" = "$mac"
check "SIGTERM: enforcer netns gone or empty" bash -c "! ip netns list | grep -q '^$ENFNS' || ! ip -n $ENFNS link | grep -qE 'vin|vex|bh-dp'"
check "SIGTERM: traffic direct again" cns app ping -c 2 -i 0.1 -W 2 10.99.0.22

# 2. A new start pulls the persisted workload again.
start_daemon || exit 1
check "restart re-pulls app" bash -c "set -o pipefail; bh --json workload list | jq -e '.[] | select(.name==\"app\") | .pulled'"
check "traffic after re-pull" cns app ping -c 2 -i 0.1 -W 2 10.99.0.22

# 3. kill -9: the port stays pulled (fail closed); a new start resumes; rm restores.
stop_daemon KILL
check "kill -9: vin/vex still in enforcer" bash -c "enf_links() { ip -n $ENFNS -o link | grep -cE 'vin|vex'; }; test \$(enf_links) -ge 2"
start_daemon || exit 1
check "after kill -9 restart: traffic through dp" cns app ping -c 2 -i 0.1 -W 2 10.99.0.22
pk=$(wl_stat app packets_out)
check "after kill -9 restart: dp counts again ($pk)" test "$pk" -ge 2
check "workload rm app" bh workload rm app
check "rm: app restored" restored
check "rm: enforcer holds nothing of app" enforcer_clean
check "rm: direct traffic" cns app ping -c 2 -i 0.1 -W 2 10.99.0.22
stop_daemon TERM
check "no enforcer netns after stop" bash -c "! ip netns list | grep -q '^$ENFNS '"
finish
