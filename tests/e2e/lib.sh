# Shared helpers for bulkhead's end-to-end tests (sourced, bash).
#
# Every test builds its own world: a "host" netns with a bridge, one netns
# per container, its own bulkheadd (state dir, socket, enforcer netns), and
# tears it all down on exit.  Traffic stays between these namespaces.

set -uo pipefail

BH_BUILD=${BH_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
BULKHEAD="$BH_BUILD/bulkhead"
BULKHEADD="$BH_BUILD/bulkheadd"
T="bt$$"                      # prefix of everything this test creates
HOSTNS="$T-host"
ENFNS="$T-enf"
STATE=$(mktemp -d /tmp/bulkhead-e2e.XXXXXX)
export BULKHEAD_SOCKET="$STATE/bulkhead.sock"
CONTAINERS=()
PASSED=0
FAILED=0
DAEMON_PID=""

e2e_cleanup() {
	local rc=$?
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$DAEMON_PID" 2>/dev/null
	fi
	local san=""
	if sanitizer_report; then
		echo "FAIL - bulkheadd: sanitizer report in its log"
		rc=1
		san=1
	fi
	for c in "${CONTAINERS[@]}"; do ip netns del "$T-$c" 2>/dev/null; done
	ip netns del "$HOSTNS" 2>/dev/null
	ip netns del "$ENFNS" 2>/dev/null
	if [ "$FAILED" -gt 0 ] || [ $rc -ne 0 ]; then
		echo "---- bulkheadd log ----"; tail -n 40 "$STATE/daemon.log" 2>/dev/null
	fi
	rm -rf "$STATE"
	[ -z "$san" ] || exit 1
}
trap e2e_cleanup EXIT
trap 'exit 130' INT TERM

ok()   { PASSED=$((PASSED + 1)); echo "ok   - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
check() { # check "description" command...
	local what=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$what"; else fail "$what"; fi
}
check_not() {
	local what=$1; shift
	if "$@" >/dev/null 2>&1; then fail "$what"; else ok "$what"; fi
}
finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

require_root() {
	if [ "$(id -u)" -ne 0 ]; then echo "e2e tests need root" >&2; exit 1; fi
}

# host netns with bridge br0 (10.99.0.1/16, fd99::1/64)
make_host() {
	ip netns add "$HOSTNS"
	ip -n "$HOSTNS" link set lo up
	ip -n "$HOSTNS" link add br0 type bridge
	ip -n "$HOSTNS" link set br0 up
	ip -n "$HOSTNS" addr add 10.99.0.1/16 dev br0
	ip -n "$HOSTNS" addr add fd99::1/64 dev br0 nodad
}

# make_container NAME N: netns $T-NAME, eth0 10.99.0.N/16 + fd99::N/64, default routes
make_container() {
	local name=$1 n=$2 ns="$T-$1"
	CONTAINERS+=("$name")
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip link add "$T$n" netns "$HOSTNS" type veth peer name eth0 netns "$ns"
	ip -n "$HOSTNS" link set "$T$n" master br0 up
	ip -n "$ns" link set eth0 up
	ip -n "$ns" addr add "10.99.0.$n/16" dev eth0
	ip -n "$ns" addr add "fd99::$n/64" dev eth0 nodad
	ip -n "$ns" route add default via 10.99.0.1
	ip -n "$ns" -6 route add default via fd99::1
}

cns() { local c=$1; shift; ip netns exec "$T-$c" "$@"; }

# --docker off unless the test says otherwise (a later option wins): a test's daemon must
# never pull containers of a Docker engine that happens to run on this machine.
start_daemon() {
	"$BULKHEADD" --foreground --state-dir "$STATE" --socket "$BULKHEAD_SOCKET" \
		--enforcer-netns "$ENFNS" --docker off "$@" >>"$STATE/daemon.log" 2>&1 &
	DAEMON_PID=$!
	for _ in $(seq 100); do
		[ -S "$BULKHEAD_SOCKET" ] && "$BULKHEAD" status >/dev/null 2>&1 && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "bulkheadd did not start"; cat "$STATE/daemon.log"; return 1
}

stop_daemon() { # stop_daemon [SIGNAL]
	local sig=${1:-TERM}
	kill "-$sig" "$DAEMON_PID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.05; done
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=""
	if sanitizer_report; then fail "bulkheadd: sanitizer report in its log"; fi
}

# With BH_SANITIZE_CHECK=1 (scripts/sanitize runs the e2e tests on an ASan+UBSan build):
# true, and the report printed, when bulkheadd's log holds an ASan/LSan/UBSan report.
sanitizer_report() {
	[ -n "${BH_SANITIZE_CHECK:-}" ] || return 1
	grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$STATE/daemon.log" 2>/dev/null || return 1
	grep -E -A 25 'AddressSanitizer|LeakSanitizer|runtime error' "$STATE/daemon.log" | head -60
	return 0
}

# The CLI exits straight after its one request: what it still holds then is not a leak
# worth a report (and a report would break the one-line-error checks under ASan).
bh() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$BULKHEAD" "$@"; }
export BULKHEAD
export -f bh # also for checks run under bash -c

# Wait (up to 5 s) until container C has no tentative (DAD) IPv6 address left.
settle() {
	local c=$1
	for _ in $(seq 100); do
		[ -z "$(ip -n "$T-$c" -6 addr show tentative 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	return 1
}

# What a container sees of its network, minus what legitimately changes (ifindexes).
net_view() {
	local c=$1
	settle "$c"
	{
		cns "$c" ip -j addr show | jq -S 'map(del(.ifindex, .link_index, .link_netnsid, .link))'
		cns "$c" ip -j -4 route show table all
		cns "$c" ip -j -6 route show table all
	}
}

# stat FIELD of workload W from `workload list --json`
wl_stat() { bh --json workload list | jq -r ".[] | select(.name==\"$1\") | .stats.$2"; }

enf_links() { ip -n "$ENFNS" -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1; }
