#!/usr/bin/env bash
# Malformed and evasive packets (docs/malformed.md): one pulled workload in protect mode
# sends crafted frames (tests/e2e/hostile.py, scapy) to another that allows the probe port.
# Each case must end as docs/malformed.md says: dropped with the named drop reason on the
# sender's port, or forwarded (seen by a capture in the peer's netns), or left to the kernel.
# The daemon answers `status` after every case, and a valid flow still works at the end.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

HOSTILE="$(cd "$(dirname "$0")" && pwd)/hostile.py"
SCAPY_PY=/usr/bin/python3 # Debian's python3-scapy lives in the system interpreter
if ! "$SCAPY_PY" -c 'import scapy' 2>/dev/null; then
	echo "SKIP: python3-scapy missing (scripts/install-deps)"
	exit 0
fi

ATK=10.99.0.51 PEER=10.99.0.52 ATK6=fd99::51 PEER6=fd99::52
make_host
# With br_netfilter loaded (dockerd loads it), the test's own bridge would check IPv4 header
# checksums itself; the verdicts here are bulkhead's, so the bridge only switches.
ip netns exec "$HOSTNS" sysctl -qw net.bridge.bridge-nf-call-iptables=0 2>/dev/null
ip netns exec "$HOSTNS" sysctl -qw net.bridge.bridge-nf-call-ip6tables=0 2>/dev/null
make_container atk 51
make_container peer 52
serve peer tcp:7000 udp:7000
settle atk
settle peer
start_daemon || exit 1
check "workload add atk" bh workload add atk --netns "$T-atk"
check "workload add peer" bh workload add peer --netns "$T-peer"
check "rule allow atk -> peer tcp/7000" bh rule add --from atk --to peer --port tcp/7000 \
	--action allow
check "rule allow atk -> peer udp/7000" bh rule add --from atk --to peer --port udp/7000 \
	--action allow
check "mode --all protect" bh mode --all protect
check "valid flow works before" tcp_ok atk $PEER 7000
PEER_MAC=$(cns peer cat /sys/class/net/eth0/address)

# Everything that reaches the peer's eth0, for the "forwarded" verdicts.
PCAP="$STATE/peer.pcap"
ip netns exec "$T-peer" tcpdump -i eth0 -U -n -s 0 -w "$PCAP" 'ip or ip6' 2>/dev/null &
PEER_PIDS+=($!)
for _ in $(seq 50); do [ -s "$PCAP" ] && break; sleep 0.1; done

# Expected verdict per case (docs/malformed.md keeps the same table, with the reasons):
#   decode / policy   the named drop counter of atk's port moved, nothing reached the peer
#   fwd               forwarded: the peer's capture has it; no drop counted
#   kernel            not counted by the dp and not delivered: the kernel's IPv4
#                     defragmenter in front of the dp's packet socket discarded it
declare -A WANT=(
	[eth_trunc]=kernel [eth_only]=decode [ipv4_trunc]=decode [ipv4_version]=decode
	[ipv4_ihl_lt5]=decode [ipv4_ihl_gt_len]=decode [ipv4_totlen_gt_frame]=decode
	[ipv4_totlen_lt_hdr]=decode [ipv4_options]=fwd [ipv4_bad_csum]=fwd
	[tcp_trunc]=decode [tcp_doff_lt5]=decode [tcp_doff_gt_len]=decode
	[tcp_opt_garbage]=fwd [tcp_bad_csum]=fwd [tcp_blocked]=policy
	[udp_trunc]=decode [udp_len_lt8]=decode [udp_len_gt]=decode [udp_bad_csum]=fwd
	[frag4_real]=fwd [frag4_blocked]=policy [frag4_zero_len]=kernel [frag4_overlap]=kernel
	[frag4_pod]=kernel
	[ipv6_trunc]=decode [ipv6_version]=decode [ipv6_plen_gt]=decode [ipv6_tcp_trunc]=decode
	[ipv6_hbh]=fwd [ipv6_chain3]=fwd [ipv6_chain9]=decode [ipv6_hbh_not_first]=decode
	[ipv6_ext_trunc]=decode [frag6_atomic]=fwd [frag6_real]=fwd [frag6_blocked]=policy
	[frag6_tiny_first]=decode
)

RESULTS="$STATE/results"
cns atk env BULKHEAD_SOCKET="$BULKHEAD_SOCKET" "$SCAPY_PY" "$HOSTILE" run "$BULKHEAD" atk \
	"$PEER_MAC" $ATK $PEER $ATK6 $PEER6 >"$RESULTS" 2>"$STATE/hostile.err"
check "every case ran (${#WANT[@]})" test "$(wc -l <"$RESULTS")" -eq "${#WANT[@]}"
sleep 0.5
SEEN=" $("$SCAPY_PY" "$HOSTILE" seen "$PCAP" $ATK $ATK6 | tr '\n' ' ') "

# field NAME KEY: KEY=value of case NAME's result line
field() { awk -v n="$1" -v k="$2" '$1 == n { for (i = 2; i <= NF; i++) { split($i, a, "=");
	if (a[1] == k) print a[2] } }' "$RESULTS"; }
seen() { [[ $SEEN == *" $(field "$1" mark) "* ]]; }
drops_are() { # drops_are NAME DECODE POLICY: and every other reason 0
	[ "$(field "$1" decode)" = "$2" ] && [ "$(field "$1" policy)" = "$3" ] &&
		[ "$(field "$1" truncated)" = 0 ] && [ "$(field "$1" session_full)" = 0 ] &&
		[ "$(field "$1" threat)" = 0 ]
}
verdict() {
	local n=$1 d p
	d=$(field "$n" decode)
	p=$(field "$n" policy)
	[ "$(field "$n" status)" = ok ] || { echo "daemon down"; return 1; }
	case ${WANT[$n]} in
	decode) [ "${d:-0}" -ge 1 ] && ! seen "$n" ;; # later fragments may count as policy
	policy) [ "$d" = 0 ] && [ "${p:-0}" -ge 1 ] && ! seen "$n" ;;
	fwd) drops_are "$n" 0 0 && seen "$n" ;;
	kernel) drops_are "$n" 0 0 && ! seen "$n" ;;
	*) return 1 ;;
	esac
}
for n in $("$SCAPY_PY" "$HOSTILE" cases); do
	if verdict "$n"; then
		ok "$n: ${WANT[$n]}"
	else
		fail "$n: want ${WANT[$n]}, got $(grep "^$n " "$RESULTS") seen=$(seen "$n" && echo yes || echo no)"
	fi
done

check "daemon still up" bh status
check "dp still forwarding: valid flow works after" tcp_ok atk $PEER 7000
check "valid flow over IPv6 works after" tcp_ok atk $PEER6 7000
check_not "blocked port still blocked" tcp_ok atk $PEER 7001
finish
