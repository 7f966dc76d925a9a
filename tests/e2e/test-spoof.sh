#!/usr/bin/env bash
# Port markers cannot be forged from the bridge.  The dp learns a frame's port and
# direction from a marker MAC (src/common/portmac.h); a frame that reached a pulled port
# from the bridge already carrying a *source* marker would be judged as the egress of the
# port it names (whose rules may allow it) instead of the ingress of the port it arrives
# on.  A rogue, unpulled peer on the bridge tries exactly that against a workload in
# protect that only accepts udp/7000 from one other workload.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

SCAPY_PY=/usr/bin/python3 # Debian's python3-scapy lives in the system interpreter
if ! "$SCAPY_PY" -c 'import scapy' 2>/dev/null; then
	echo "SKIP: python3-scapy missing (scripts/install-deps)"
	exit 0
fi

make_host
make_container x 71
make_container vic 72
make_container rogue 73
settle x
settle vic
start_daemon || exit 1
check "workload add x" bh workload add x --netns "$T-x"
check "workload add vic" bh workload add vic --netns "$T-vic"
check "rule x -> vic udp/7000" bh rule add --from x --to vic --port udp/7000 --action allow
check "protect" bh mode --all protect

# vic records every datagram it receives on 7000
RECV="$STATE/recv"
: >"$RECV"
ip netns exec "$T-vic" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7000))
while True:
    d, a = s.recvfrom(2048)
    with open(sys.argv[1], "a") as f:
        f.write(d.decode(errors="replace") + "\n")
' "$RECV" >/dev/null 2>&1 &
PEER_PIDS+=($!)
sleep 0.5

got() { grep -qx "$1" "$RECV"; }
send() { # send FROM TEXT: an ordinary datagram
	cns "$1" python3 -c 'import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(sys.argv[1].encode(), ("10.99.0.72", 7000))' "$2"
}
send x from-x
check "x -> vic udp/7000 arrives (allowed)" wait_for 3 got from-x
send rogue from-rogue
sleep 1
check_not "rogue -> vic udp/7000 blocked (no rule)" got from-rogue

xport=$(bh --json workload list | jq -r '.[] | select(.name=="x") | .port_idx')
vicmac=$(cns vic cat /sys/class/net/eth0/address)
marker=$(printf '4e:65:75:56:%02x:%02x' $((xport >> 8)) $((xport & 255)))
cns rogue "$SCAPY_PY" - "$marker" "$vicmac" <<'PY' >/dev/null 2>&1
import sys
from scapy.all import Ether, IP, UDP, Raw, sendp
src, dst = sys.argv[1], sys.argv[2]
for _ in range(3):
    sendp(Ether(src=src, dst=dst) / IP(src="10.99.0.71", dst="10.99.0.72") /
          UDP(sport=40000, dport=7000) / Raw(b"forged-marker"), iface="eth0", verbose=False)
PY
sleep 1
check_not "forged source marker from the bridge never reaches vic" got forged-marker
send x from-x-again
check "x -> vic still works" wait_for 3 got from-x-again
finish
