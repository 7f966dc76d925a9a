#!/usr/bin/env bash
# bulkhead capture: one workload's packets as the dp saw them, with the verdict,
# written with libpcap and read back by a real consumer (tshark).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root
if ! command -v tshark >/dev/null; then
	echo "SKIP: tshark is not installed (scripts/install-deps installs it)"
	echo "0 passed, 0 failed"
	exit 0
fi

make_host
make_container a 71
make_container b 72
serve b tcp:7000 tcp:7001
start_daemon || exit 1
bh workload add a --netns "$T-a" --mode protect >/dev/null
bh workload add b --netns "$T-b" --mode protect >/dev/null
bh rule add --from a --to b --port tcp/7000 --action allow >/dev/null

PCAP="$STATE/a.pcap"
bh capture a -w "$PCAP" -t 4 2>"$STATE/capture.err" &
CAP=$!
sleep 1
tcp_ok a 10.99.0.72 7000 >/dev/null
tcp_ok a 10.99.0.72 7001 1 >/dev/null
ping_ok a 10.99.0.72
wait $CAP
check "capture exits 0 and reports a count" grep -q "packets captured" "$STATE/capture.err"

fields() { tshark -r "$1" -T fields -E separator='|' -e nflog.prefix -e ip.dst -e tcp.dstport -e icmp.type 2>/dev/null; }
fields "$PCAP" >"$STATE/fields"
check "tshark reads the file" test -s "$STATE/fields"
check "allowed tcp/7000 recorded as forwarded" grep -qE '^bulkhead a out forward\|10\.99\.0\.72\|7000\|' "$STATE/fields"
check "blocked tcp/7001 recorded as dropped by policy" grep -qE '^bulkhead a out drop policy\|10\.99\.0\.72\|7001\|' "$STATE/fields"
check "blocked ping recorded as dropped" grep -qE '^bulkhead a out drop policy\|10\.99\.0\.72\|\|8' "$STATE/fields"
check "replies into a recorded inbound" grep -qE '^bulkhead a in forward\|10\.99\.0\.71\|' "$STATE/fields"
check "Ethernet header kept (with the dp's port marker)" bash -c "tshark -r '$PCAP' -x 2>/dev/null | grep -q '4e 65 75 56'"

# a tcpdump filter and a packet count
bh capture a -w "$STATE/f.pcap" -c 3 --filter 'tcp port 7000' 2>/dev/null &
CAP=$!
sleep 0.5
tcp_ok a 10.99.0.72 7000 >/dev/null; tcp_ok a 10.99.0.72 7001 1 >/dev/null; tcp_ok a 10.99.0.72 7000 >/dev/null
wait $CAP
check "-c 3 stops after 3 packets" test "$(tshark -r "$STATE/f.pcap" 2>/dev/null | wc -l)" = 3
check "--filter keeps only tcp port 7000" bash -c "! fields '$STATE/f.pcap' | grep -q 7001"
check "bad filter is a one-line error" err_one_line bh capture a -w "$STATE/x.pcap" --filter 'tcp porrt 1'
check "unknown workload is a one-line error" err_one_line bh capture ghost -w "$STATE/x.pcap" -t 1
check "the capture was stopped: another workload can be captured at once" \
	bh capture b -w "$STATE/b.pcap" -t 1
finish
