#!/bin/bash
# steer-smoke/run.sh - root smoke test of src/steer (ebpf driver) with hand-built namespaces.
#
# Mimics two pulled ports without the wire module:  ss-cN eth0 <-> vinN (ss-enf),
# vexN (ss-enf) <-> hpN on bridge br0 (ss-host), plus the dp pair bh-dp/bh-dpp in ss-enf.
# steer-smoke.c attaches the ports and reflects every frame it reads on bh-dp (a dp that says
# "forward" to everything).  Checks: probe vs reality, driver choice, restart over a crashed
# instance's filters, v4/v6 ping and TCP through the reflector (and counted by it), fail-closed
# IP with ARP still passing once the reflector stops, clean detach.
# Usage: run.sh [BUILD_DIR]   (default: $BH_BUILD or <src>/build-steer; builds bhsteer there)
set -euo pipefail

SRC=${BH_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}
BUILD=${1:-${BH_BUILD:-$SRC/build-steer}}
WORK=$(mktemp -d /tmp/steer-smoke.XXXXXX)
NSS="ss-enf ss-host ss-c1 ss-c2"
PID=

fail() {
	echo "FAIL: $*" >&2
	[ -f "$WORK/run.log" ] && sed 's/^/  run.log: /' "$WORK/run.log" >&2
	exit 1
}
ok() { echo "ok: $*"; }

cleanup() {
	set +e
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	for ns in $NSS; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for ns in $NSS; do ip netns del "$ns" 2>/dev/null || true; done

# --- build --------------------------------------------------------------------------------
cmake -S "$SRC" -B "$BUILD" >/dev/null
cmake --build "$BUILD" --target bhsteer >/dev/null
gcc -Wall -Wextra -Werror -D_GNU_SOURCE -O2 -I"$SRC/src" -I"$SRC/src/common" -I"$BUILD/bpf" \
	"$SRC/tests/e2e/steer-smoke/steer-smoke.c" "$BUILD/libbhsteer.a" "$BUILD/libbhcommon.a" \
	$(pkg-config --libs libbpf libmnl) -o "$WORK/steer-smoke"
SM=$WORK/steer-smoke

# --- namespaces -----------------------------------------------------------------------------
for ns in $NSS; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n ss-enf link add bh-dp mtu 2048 type veth peer name bh-dpp mtu 2048
ip -n ss-enf link set bh-dp up
ip -n ss-enf link set bh-dpp up
ip -n ss-host link add br0 type bridge
ip -n ss-host link set br0 up
for i in 1 2; do
	ip -n ss-c$i link add eth0 type veth peer name vin$i netns ss-enf
	ip -n ss-c$i link set eth0 address 02:99:00:00:00:0$i up
	ip -n ss-c$i addr add 10.99.0.$i/24 dev eth0
	ip -n ss-c$i addr add fd99::$i/64 dev eth0 nodad
	ip -n ss-host link add hp$i type veth peer name vex$i netns ss-enf
	ip -n ss-host link set hp$i master br0 up
	ip -n ss-enf link set vin$i up
	ip -n ss-enf link set vex$i up
done
PORTS="1,vin1,vex1,02:99:00:00:00:01 2,vin2,vex2,02:99:00:00:00:02"

# --- probe and driver choice --------------------------------------------------------------
[ "$($SM probe mirred)" = 1 ] || fail "probe: mirred should exist"
[ "$($SM probe bhnosuchkind)" = 0 ] || fail "probe: a bogus kind should not exist"
pedit=$($SM probe pedit)
if ip netns exec ss-enf tc actions add action pedit munge offset 0 u8 set 0 index 77 \
	>/dev/null 2>&1; then
	real=1
	ip netns exec ss-enf tc actions del action pedit index 77
else
	real=0
fi
[ "$pedit" = "$real" ] || fail "probe says pedit=$pedit, tc says $real"
ok "probe: mirred=1 bogus=0 pedit=$pedit (tc agrees)"

out=$($SM choose auto ss-enf bh-dp bh-dpp)
[ "${out%%$'\t'*}" = ebpf ] || fail "auto chose: $out"
ok "auto -> $out"
if [ "$pedit" = 0 ]; then
	out=$($SM choose tc ss-enf bh-dp bh-dpp 2>"$WORK/choose.err")
	[ "$out" = $'ebpf\ttc requested, act_pedit not available: fell back to ebpf' ] ||
		fail "tc without pedit: $out"
	grep -q "warn: steer: driver tc needs tc action pedit" "$WORK/choose.err" ||
		fail "tc fallback did not log a warning"
	ok "tc -> $out (warned)"
fi
[ -z "$(ip netns exec ss-enf tc filter show dev bh-dpp ingress)" ] ||
	fail "steer_close left a filter on bh-dpp"

# --- a crashed instance leaves its filters; the next one must replace them ------------------
start() {
	: >"$WORK/run.log"
	"$SM" run auto ss-enf bh-dp bh-dpp $PORTS >"$WORK/run.log" 2>&1 &
	PID=$!
	for _ in $(seq 50); do
		grep -q '^ready' "$WORK/run.log" && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	fail "steer-smoke run did not become ready"
}
start
kill -9 "$PID"; wait "$PID" 2>/dev/null || true; PID=
start
n=$(ip netns exec ss-enf tc filter show dev vin1 ingress | grep -c 'steer_vin' || true)
[ "$n" = 1 ] || fail "vin1 has $n steer filters after restart, want 1"
ok "restart replaced the crashed instance's filters"

counter() { # print the reflector's count after asking for it
	local before
	before=$(grep -c '^count' "$WORK/run.log" || true)
	kill -USR2 "$PID"
	for _ in $(seq 20); do
		[ "$(grep -c '^count' "$WORK/run.log" || true)" -gt "$before" ] && break
		sleep 0.05
	done
	grep '^count' "$WORK/run.log" | tail -1 | awk '{print $2}'
}

# --- traffic through the reflector ------------------------------------------------------------
c0=$(counter)
ip netns exec ss-c1 ping -c 3 -i 0.2 -W 2 10.99.0.2 >/dev/null || fail "ping v4 c1 -> c2"
ip netns exec ss-c2 ping -c 3 -i 0.2 -W 2 10.99.0.1 >/dev/null || fail "ping v4 c2 -> c1"
c1=$(counter)
# 12 echo + reply frames, each read twice on bh-dp (once per port)
[ $((c1 - c0)) -ge 24 ] || fail "reflector saw $((c1 - c0)) frames for 12 v4 pings"
ok "ping v4 both ways through the reflector ($((c1 - c0)) frames)"
ip netns exec ss-c1 ping -6 -c 3 -i 0.2 -W 2 fd99::2 >/dev/null || fail "ping v6 c1 -> c2"
ip netns exec ss-c2 ping -6 -c 3 -i 0.2 -W 2 fd99::1 >/dev/null || fail "ping v6 c2 -> c1"
c2=$(counter)
[ $((c2 - c1)) -ge 24 ] || fail "reflector saw $((c2 - c1)) frames for 12 v6 pings"
ok "ping v6 both ways (neighbour discovery via multicast markers) ($((c2 - c1)) frames)"

head -c 20000000 /dev/urandom >"$WORK/data"
want=$(sha256sum <"$WORK/data" | cut -d' ' -f1)
for dst in 10.99.0.2 fd99::2; do
	fam=-4; [ "$dst" = fd99::2 ] && fam=-6
	ip netns exec ss-c2 timeout 30 nc $fam -l -N 7000 >"$WORK/recv" &
	srv=$!
	sleep 0.3
	ip netns exec ss-c1 timeout 30 nc -N "$dst" 7000 <"$WORK/data" || fail "nc to $dst"
	wait "$srv" || fail "nc server for $dst"
	[ "$(sha256sum <"$WORK/recv" | cut -d' ' -f1)" = "$want" ] || fail "TCP data to $dst differs"
done
c3=$(counter)
ok "TCP 20 MB v4 and v6 intact ($((c3 - c2)) frames reflected)"
grep -q 'errors 0$' <(grep '^count' "$WORK/run.log" | tail -1) || fail "reflector send errors"

# --- anti-spoof: IP from a MAC that is not the workload's never reaches the dp -------------
ip -n ss-c1 link set eth0 address 02:99:00:00:00:09
c4=$(counter)
if ip netns exec ss-c1 ping -c 3 -i 0.2 -W 1 10.99.0.2 >/dev/null 2>&1; then
	fail "IP with a spoofed source MAC passed"
fi
c5=$(counter)
[ $((c5 - c4)) -lt 3 ] || fail "spoofed frames reached the dp ($((c5 - c4)))"
ip -n ss-c1 link set eth0 address 02:99:00:00:00:01
ok "spoofed source MAC dropped before the dp"

# --- fail closed: no dp, no IP; ARP still passes ---------------------------------------------
kill -USR1 "$PID"
for _ in $(seq 20); do grep -q '^stopped' "$WORK/run.log" && break; sleep 0.05; done
grep -q '^stopped' "$WORK/run.log" || fail "reflector did not stop"
ip -n ss-c1 neigh flush all
ip -n ss-c2 neigh flush all
if ip netns exec ss-c1 ping -c 2 -i 0.2 -W 1 10.99.0.2 >/dev/null 2>&1; then
	fail "IPv4 passed without the dp"
fi
if ip netns exec ss-c1 ping -6 -c 2 -i 0.2 -W 1 fd99::2 >/dev/null 2>&1; then
	fail "IPv6 passed without the dp"
fi
ip -n ss-c1 neigh show 10.99.0.2 | grep -q 'lladdr 02:99:00:00:00:02' ||
	fail "ARP did not resolve c2 without the dp: $(ip -n ss-c1 neigh show 10.99.0.2)"
ok "without the dp IPv4/IPv6 stop, ARP still resolves"

# --- clean detach ------------------------------------------------------------------------------
kill -TERM "$PID"
wait "$PID" || fail "steer-smoke run exited non-zero"
PID=
grep -q '^final' "$WORK/run.log" || fail "no final line"
! grep -q 'libbpf' "$WORK/run.log" || fail "libbpf complained"
for dev in vin1 vex1 vin2 vex2; do
	ip netns exec ss-enf tc qdisc show dev $dev | grep -q clsact && fail "clsact left on $dev"
done
for dev in bh-dp bh-dpp; do
	[ -z "$(ip netns exec ss-enf tc filter show dev $dev ingress)" ] || fail "filter left on $dev"
done
ok "detach and close removed every filter"
echo "PASS steer-smoke"
