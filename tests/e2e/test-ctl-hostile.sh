#!/usr/bin/env bash
# The control socket under hostile or clumsy clients: a non-root peer is refused; a client
# that connects and sends nothing, one that stalls halfway through a line and one that
# pipelines requests and never reads the answers do not block the others or the dp: 50
# parallel `bulkhead status` all answer within a few seconds while traffic keeps flowing;
# every malformed request is answered with an error and changes nothing; a client that
# completes no request within 10 s is closed, so idle ones cannot hold every slot.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

CTLPEER="$(cd "$(dirname "$0")" && pwd)/ctlpeer.py"
A=10.99.0.71 B=10.99.0.72
make_host
make_container a 71
make_container b 72
serve b tcp:80
start_daemon || exit 1
check "workload add a" bh workload add a --netns "$T-a"
check "workload add b" bh workload add b --netns "$T-b"
check "rule allow a -> b tcp/80" bh rule add --from a --to b --port tcp/80 --action allow
check "mode --all protect" bh mode --all protect

check "non-root peer refused" bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups \
	$BULKHEAD status 2>&1 | grep -qiE 'permission|denied'"
check "socket is 0600" test "$(stat -c %a "$BULKHEAD_SOCKET")" = 600

LONG="$STATE/long"
long_start a $B 80 "$LONG"
check "long-lived connection up" wait_for 3 long_alive "$LONG"

# ---- clients that hold the daemon's attention ----
python3 "$CTLPEER" idle "$BULKHEAD_SOCKET" 30 >"$STATE/idle" 2>&1 &
PEER_PIDS+=($!)
python3 "$CTLPEER" partial "$BULKHEAD_SOCKET" 30 >"$STATE/partial" 2>&1 &
PEER_PIDS+=($!)
python3 "$CTLPEER" noread "$BULKHEAD_SOCKET" 20000 &
PEER_PIDS+=($!)
sleep 0.5

start=$(date +%s%N)
pids=()
for i in $(seq 50); do
	timeout 10 "$BULKHEAD" --json status >"$STATE/status.$i" 2>&1 &
	pids+=($!)
done
answered=0
for p in "${pids[@]}"; do wait "$p" && answered=$((answered + 1)); done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "# 50 parallel status: $answered answered in $ms ms"
check "50 parallel status all answered ($answered)" test "$answered" -eq 50
check "... within 5 s ($ms ms)" test "$ms" -lt 5000
check "... each a status document" bash -c "cat $STATE/status.* |
	jq -s -e 'length == 50 and all(.[]; .dp.rx_packets >= 0)'"
check "traffic flows meanwhile: a -> b tcp/80" tcp_ok a $B 80
check "long-lived connection still echoes" long_alive "$LONG"
check_not "b -> a tcp/80 still blocked" tcp_ok b $A 80

# ---- malformed requests: each gets an error, nothing changes ----
before=$(rules_view)
wl_before=$(bh --json workload list | jq -S 'map({name, mode, pulled})')
out=$(python3 "$CTLPEER" malformed "$BULKHEAD_SOCKET")
rc=$?
grep '^FAIL' <<<"$out"
check "every malformed request answered with an error ($(grep -c '^ok' <<<"$out") cases)" \
	test "$rc" -eq 0
check "rules unchanged" test "$(rules_view)" = "$before"
check "workloads unchanged" test "$(bh --json workload list |
	jq -S 'map({name, mode, pulled})')" = "$wl_before"
check "daemon still serving" bh status
# CTL_IDLE_MS (10 s): clients that complete no request give their slot back
closed_in_time() { wait_for 20 grep -q closed "$1" && awk '{ exit !($2 >= 9 && $2 <= 16) }' "$1"; }
check "idle client closed by the daemon after ~10 s" \
	closed_in_time "$STATE/idle"
check "stalled client closed by the daemon after ~10 s" closed_in_time "$STATE/partial"
echo "# idle client: $(cat "$STATE/idle"), stalled client: $(cat "$STATE/partial") (seconds)"
check "status answers in 2 s" timeout 2 "$BULKHEAD" status
check "traffic still flows: a -> b tcp/80" tcp_ok a $B 80
finish
