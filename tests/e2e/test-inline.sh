#!/usr/bin/env bash
# Inline data path: two workloads pulled through the dp; nothing changes for
# them, traffic (v4, v6, ICMP, TCP, UDP, ARP/ND) keeps flowing, and the dp's
# counters prove the packets crossed it.
source "$(dirname "$0")/lib.sh"
require_root

make_host
make_container web 11
make_container db 12
before_web=$(net_view web); before_db=$(net_view db)
mtu_before=$(cns web cat /sys/class/net/eth0/mtu)

start_daemon || exit 1
check "workload add web" bh workload add web --netns "$T-web"
check "workload add db" bh workload add db --netns "$T-db"

[ "$(net_view web)" = "$before_web" ] && ok "web sees the same addresses and routes" || {
	fail "web's view changed"; diff <(echo "$before_web") <(net_view web) | head -20; }
[ "$(net_view db)" = "$before_db" ] && ok "db sees the same addresses and routes" || fail "db's view changed"
check "MTU unchanged" test "$(cns web cat /sys/class/net/eth0/mtu)" = "$mtu_before"
check "vin/vex in enforcer netns" bash -c "ip -n $ENFNS link | grep -q vin && ip -n $ENFNS link | grep -q vex"

out0=$(wl_stat web packets_out); in0=$(wl_stat web packets_in)
check "ping v4 web -> db" cns web ping -c 5 -i 0.05 -W 2 10.99.0.12
check "ping v6 web -> db" cns web ping -6 -c 5 -i 0.05 -W 2 fd99::12
check "ping v4 host -> web" ip netns exec "$HOSTNS" ping -c 3 -i 0.05 -W 2 10.99.0.11
check "ping v6 host -> db" ip netns exec "$HOSTNS" ping -6 -c 3 -i 0.05 -W 2 fd99::12
check "ARP entry for db in web" bash -c "ip -n $T-web neigh show 10.99.0.12 | grep -qE 'REACHABLE|STALE|DELAY'"
check "ND entry for db in web" bash -c "ip -n $T-web -6 neigh show fd99::12 | grep -qE 'REACHABLE|STALE|DELAY'"
out1=$(wl_stat web packets_out); in1=$(wl_stat web packets_in)
# web sent 5+5 echo requests and 3 echo replies at least, and received as many.
check "dp counted web's egress (>=13, got $((out1 - out0)))" test $((out1 - out0)) -ge 13
check "dp counted web's ingress (>=13, got $((in1 - in0)))" test $((in1 - in0)) -ge 13

# TCP: 4 MB from db to web over v4 and v6, content checked.
head -c 4000000 /dev/urandom >"$STATE/blob"
sum=$(md5sum <"$STATE/blob" | cut -d' ' -f1)
for addr in 10.99.0.11 fd99::11; do
	fam=-4; [ "$addr" = fd99::11 ] && fam=-6
	cns web timeout 10 nc $fam -l -N -p 8080 >"$STATE/recv" 2>/dev/null &
	lpid=$!; sleep 0.3
	cns db timeout 10 nc -N -w 3 "$addr" 8080 <"$STATE/blob"
	wait $lpid
	check "TCP 4 MB db -> web ($addr) intact" test "$(md5sum <"$STATE/recv" | cut -d' ' -f1)" = "$sum"
done
check "dp counted the TCP bytes" test "$(wl_stat web bytes_in)" -ge 8000000

# UDP datagram both ways.
cns db timeout 3 nc -u -l -W 1 -p 5353 >"$STATE/udp" 2>/dev/null &
lpid=$!; sleep 0.3
echo "hello-udp" | cns web timeout 2 nc -u -w 1 10.99.0.12 5353
wait $lpid
check "UDP web -> db" grep -q hello-udp "$STATE/udp"
check "sessions were tracked" test "$(wl_stat web sessions)" -ge 3

check "workload rm web" bh workload rm web
check "workload rm db" bh workload rm db
[ "$(net_view web)" = "$before_web" ] && ok "web restored exactly" || fail "web not restored"
check "ping after restore" cns web ping -c 2 -i 0.1 -W 2 10.99.0.12
check "no vin/vex left" bash -c "! ip -n $ENFNS link | grep -qE 'vin|vex'"
finish
