#!/bin/bash
# run.sh - root smoke test of src/wire: pull and restore a port between real
# namespaces and check, with ip(8), that the workload sees exactly what it had.
#
# Manual, not collected by ctest (which takes tests/e2e/test-*.sh only):
#   cmake --build build-wire --target bhwire && bash tests/e2e/wire-smoke/run.sh [BUILD_DIR]
# No dp runs here, so no traffic crosses a pulled port; after restore it must.
# Only the namespaces below are touched, and they are removed on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../../.." && pwd)
BUILD=${1:-${BH_BUILD:-$SRC/build-wire}}
NSS="ws-c1 ws-c2 ws-host ws-enf"

[ "$(id -u)" = 0 ] || { echo "wire-smoke: needs root" >&2; exit 77; }
for lib in libbhwire.a libbhcommon.a; do
	[ -f "$BUILD/$lib" ] || { echo "wire-smoke: $BUILD/$lib missing; build target bhwire" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/wire-smoke.XXXXXX)
drop_ns() { for ns in $NSS; do ip netns del "$ns" 2>/dev/null || true; done; }
cleanup() { drop_ns; rm -rf "$TMP"; }
trap cleanup EXIT
drop_ns

fail() { echo "wire-smoke: FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

WS=$TMP/wire-smoke
gcc -std=gnu11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I"$SRC/src" -I"$SRC/src/common" \
	"$HERE/wire-smoke.c" "$BUILD/libbhwire.a" "$BUILD/libbhcommon.a" -lmnl -ljansson -lpthread \
	-o "$WS"

# ws-host: bridge br0 (10.99.0.1, fd99::1); ws-c1/ws-c2: eth0 into the bridge.
topology() {
	ip netns add ws-host
	ip -n ws-host link add br0 type bridge
	ip -n ws-host link set br0 up
	ip -n ws-host addr add 10.99.0.1/24 dev br0
	ip -n ws-host addr add fd99::1/64 dev br0
	for i in 1 2; do
		ip netns add ws-c$i
		ip -n ws-host link add h$i type veth peer name eth0 netns ws-c$i
		ip -n ws-host link set h$i master br0 up
		ip -n ws-c$i link set lo up
		ip -n ws-c$i link set eth0 up
		ip -n ws-c$i addr add 10.99.0.1$i/24 dev eth0
		ip -n ws-c$i addr add fd99::1$i/64 dev eth0
		ip -n ws-c$i route add default via 10.99.0.1
		ip -n ws-c$i -6 route add default via fd99::1
	done
	# c1 gets the awkward cases: MTU, a labelled secondary, noprefixroute, onlink,
	# a metric, another table, a prefsrc, an IPv6 link route
	ip -n ws-c1 link set eth0 mtu 1400
	ip -n ws-c1 addr add 10.99.0.111/24 dev eth0 label eth0:sec
	ip -n ws-c1 addr add fd98::11/64 dev eth0 noprefixroute
	ip -n ws-c1 route add 172.20.0.0/16 via 10.99.0.1 metric 50
	ip -n ws-c1 route add 198.51.100.0/24 via 192.0.2.1 dev eth0 onlink
	ip -n ws-c1 route add default via 10.99.0.1 table 100
	ip -n ws-c1 route add 203.0.113.0/24 dev eth0 src 10.99.0.11
	ip -n ws-c1 -6 route add 2001:db8:1::/48 dev eth0 metric 300
}

# Wait until DAD is over in ns: every device set up is oper-up with a settled link-local, so
# "before" is a steady state (linkwatch and addrconf finish a moment after "ip link set up").
settle() {
	for _ in $(seq 100); do
		ip -n "$1" -j addr | jq -e 'all(.[] | select(.ifname != "lo" and (.flags | index("UP")));
			.operstate == "UP" and any(.addr_info[]; .scope == "link" and .family == "inet6"))
			and all(.[].addr_info[]; .tentative != true)' >/dev/null && return 0
		sleep 0.1
	done
	fail "$1: addresses still tentative"
}

# What the workload sees, minus what legitimately differs (ifindexes, the peer's netns id).
state() {
	local ns=$1 out=$2
	{
		ip -n "$ns" -j addr | jq 'map(del(.ifindex, .link_index, .link_netnsid, .link))'
		ip -n "$ns" -j route show table all | jq .
		ip -n "$ns" -6 -j route show table all | jq .
		ip netns exec "$ns" sh -c 'cd /proc/sys/net/ipv6/conf && grep -H . */accept_dad */disable_ipv6'
	} >"$out"
}

same() {
	diff -u "$1" "$2" >"$TMP/diff" || { cat "$TMP/diff" >&2; fail "$3"; }
}

# Expect a command to fail with a message containing $1.
must_fail() {
	local want=$1
	shift
	if "$@" >"$TMP/out" 2>&1; then
		fail "succeeded: $*"
	fi
	grep -qF -- "$want" "$TMP/out" || { cat "$TMP/out" >&2; fail "no \"$want\" from: $*"; }
}

enf_has_no() {
	local left
	left=$(ip -n ws-enf -br link | awk '{print $1}' | grep -E "^(vin|vex)$1" || true)
	[ -z "$left" ] || fail "left in ws-enf: $left"
}

link_json() { ip -n "$1" -d -j link show dev "$2" | jq ".[0].$3"; }

topology
settle ws-c1
settle ws-c2
"$WS" setup ws-enf
ok "topology and enforcer netns"

# --- pull: the workload must not see a difference
state ws-c1 "$TMP/c1.orig"
mac_orig=$(link_json ws-c1 eth0 address)
"$WS" pull ws-c1 ws-enf eth0 web1 "$TMP/port1.json"
state ws-c1 "$TMP/c1.pulled"
same "$TMP/c1.orig" "$TMP/c1.pulled" "pulled eth0 differs from the original"
ok "pull: addresses, flags, MAC, MTU, routes, sysctls as before"

id=$(jq -r .id "$TMP/port1.json")
vin=vin$id
vex=vex$id
[ "$(link_json ws-c1 eth0 linkinfo.info_kind)" = '"veth"' ] || fail "new eth0 is no veth"
for dev in "$vin" "$vex"; do
	[ "$(link_json ws-enf "$dev" operstate)" = '"UP"' ] || fail "$dev not up in ws-enf"
	[ "$(link_json ws-enf "$dev" mtu)" = 1400 ] || fail "$dev MTU is not the original"
	[ "$(link_json ws-enf "$dev" inet6_addr_gen_mode)" = '"none"' ] || fail "$dev makes IPv6 addresses"
	[ -z "$(ip -n ws-enf addr show dev "$dev" | grep inet)" ] || fail "$dev has addresses"
done
mac_vex=$(link_json ws-enf "$vex" address)
[ "$mac_vex" != "$mac_orig" ] || fail "vex kept the workload's MAC"
case $mac_vex in \"?[26ae]:*) ;; *) fail "vex MAC $mac_vex not locally administered unicast" ;; esac
[ "$(jq -r .orig.mac "$TMP/port1.json")" = "${mac_orig//\"/}" ] || fail "snapshot MAC"
ok "pull: $vin and $vex up in ws-enf, no IPv6, fresh MAC on vex"

must_fail "already exists in enforcer netns" "$WS" pull ws-c1 ws-enf eth0 web1 "$TMP/x.json"
state ws-c1 "$TMP/c1.again"
same "$TMP/c1.orig" "$TMP/c1.again" "a refused second pull changed eth0"
ok "second pull of the same port refused, nothing changed"

# --- restore from the saved JSON in a fresh process, as after a crash
"$WS" restore ws-c1 ws-enf "$TMP/port1.json" >/dev/null
state ws-c1 "$TMP/c1.restored"
same "$TMP/c1.orig" "$TMP/c1.restored" "restored eth0 differs from the original"
enf_has_no "$id"
ip -n ws-host -j link show dev h1 | jq -e '.[0].master == "br0"' >/dev/null || fail "h1 left br0"
ip netns exec ws-c1 ping -c1 -W2 10.99.0.12 >/dev/null || fail "ping 10.99.0.12 after restore"
ip netns exec ws-c1 ping -6 -c1 -W2 fd99::12 >/dev/null || fail "ping fd99::12 after restore"
ip netns exec ws-c2 ping -c1 -W2 10.99.0.111 >/dev/null || fail "ping 10.99.0.111 after restore"
ok "restore: original device back as it was, ws-enf empty, traffic flows"

"$WS" restore ws-c1 ws-enf "$TMP/port1.json" >/dev/null
state ws-c1 "$TMP/c1.twice"
same "$TMP/c1.orig" "$TMP/c1.twice" "a second restore changed eth0"
ok "restore is idempotent"

# --- refused pulls leave everything as it was
must_fail "interface eth9 not found in netns" "$WS" pull ws-c1 ws-enf eth9 web1 "$TMP/x.json"
must_fail "workload netns: Invalid argument" "$WS" pull /etc/hostname ws-enf eth0 web1 "$TMP/x.json"
must_fail "workload netns: No such file" "$WS" pull /proc/999999999/ns/net ws-enf eth0 web1 "$TMP/x.json"
must_fail "enforcer netns:" "$WS" pull ws-c1 - eth0 web1 "$TMP/x.json"
must_fail "are the same" "$WS" pull ws-c1 ws-c1 eth0 web1 "$TMP/x.json"
must_fail "not an Ethernet device" "$WS" pull ws-c1 ws-enf lo web1 "$TMP/x.json"
state ws-c1 "$TMP/c1.err"
same "$TMP/c1.orig" "$TMP/c1.err" "a failed pull changed eth0"
enf_has_no "$id"
ok "error paths: missing iface, bad/gone/same netns, loopback"

# --- a pull failing late is undone: a bridge cannot change netns, so moving vex fails
ip -n ws-c2 link add br9 address 02:00:00:00:09:09 type bridge # own MAC, not its port's
ip -n ws-c2 link add p9a type veth peer name p9b
ip -n ws-c2 link set p9a master br9 up
ip -n ws-c2 link set p9b up
ip -n ws-c2 link set br9 mtu 1300 up # a port gives it a steady carrier
ip -n ws-c2 addr add 10.98.0.12/24 dev br9
ip -n ws-c2 addr add fd97::12/64 dev br9
ip -n ws-c2 route add 10.97.0.0/16 via 10.98.0.1 dev br9 onlink
settle ws-c2
state ws-c2 "$TMP/c2.orig"
must_fail "moving to the enforcer netns" "$WS" pull ws-c2 ws-enf br9 web9 "$TMP/x.json"
state ws-c2 "$TMP/c2.undone"
same "$TMP/c2.orig" "$TMP/c2.undone" "failed pull of br9 was not undone"
[ -z "$(ip -n ws-enf -br link | grep -E '^v(in|ex)')" ] || fail "ws-enf not empty after undo"
ip -n ws-c2 link del br9
ip -n ws-c2 link del p9a
ok "late failure (netns-local device) undone exactly"

# --- the dp pair
"$WS" dp ws-enf create >/dev/null
"$WS" dp ws-enf create >/dev/null
for dev in bh-dp bh-dpp; do
	[ "$(link_json ws-enf $dev operstate)" = '"UP"' ] || fail "$dev not up"
	link_json ws-enf $dev flags | jq -e 'index("NOARP")' >/dev/null || fail "$dev ARPs"
	[ "$(link_json ws-enf $dev mtu)" -ge 9000 ] || fail "$dev MTU small"
	[ "$(link_json ws-enf $dev inet6_addr_gen_mode)" = '"none"' ] || fail "$dev IPv6"
done
"$WS" dp ws-enf destroy
"$WS" dp ws-enf destroy
! ip -n ws-enf link show bh-dp >/dev/null 2>&1 || fail "bh-dp still there"
ok "dp pair: create (twice), NOARP, large MTU, destroy (twice)"

# --- the container's side died while pulled (its host veth deleted): clean up, return 0
"$WS" pull ws-c1 ws-enf eth0 web1 "$TMP/port1.json"
ip -n ws-host link del h1
"$WS" restore ws-c1 ws-enf "$TMP/port1.json" >/dev/null
enf_has_no "$id"
! ip -n ws-c1 link show eth0 >/dev/null 2>&1 || fail "c1 eth0 still there after its port died"
ok "restore after the port died: leftovers removed, nothing to restore"

# --- a workload with IPv6 off on its port keeps it off, through pull and restore
ip netns exec ws-c2 sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
state ws-c2 "$TMP/c2.nov6"
"$WS" pull ws-c2 ws-enf eth0 web2 "$TMP/port2.json"
state ws-c2 "$TMP/c2.nov6.pulled"
same "$TMP/c2.nov6" "$TMP/c2.nov6.pulled" "pull lost disable_ipv6"
"$WS" restore ws-c2 ws-enf "$TMP/port2.json" >/dev/null
state ws-c2 "$TMP/c2.nov6.restored"
same "$TMP/c2.nov6" "$TMP/c2.nov6.restored" "restore lost disable_ipv6"
ok "disable_ipv6 on the port kept through pull and restore"

# --- the workload netns is gone: -ENOENT, ws-enf cleaned
"$WS" pull ws-c2 ws-enf eth0 web2 "$TMP/port2.json"
id2=$(jq -r .id "$TMP/port2.json")
ip netns del ws-c2
must_fail "workload netns gone" "$WS" restore - ws-enf "$TMP/port2.json"
enf_has_no "$id2"
ok "restore with the workload netns gone: ws-enf cleaned, error reported"

echo "wire-smoke: all passed"
