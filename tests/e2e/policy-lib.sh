# Helpers for the policy e2e tests (sourced after lib.sh): echo servers in the
# containers, traffic probes, waiting for the daemon's asynchronous effects.

NETPEER="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/netpeer.py"
PEER_PIDS=()

policy_cleanup() {
	local rc=$?
	for p in "${PEER_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	(exit $rc)
	e2e_cleanup
}
trap policy_cleanup EXIT

# serve CONTAINER SPEC...: echo servers (tcp:PORT / udp:PORT) in the container.
# Started with ip netns exec directly (it execs), so $! is the server itself and
# the cleanup can kill it; netns removal alone leaves processes running.
serve() {
	local c=$1; shift
	ip netns exec "$T-$c" python3 "$NETPEER" serve "$@" >/dev/null 2>&1 &
	PEER_PIDS+=($!)
}

tcp_ok() { cns "$1" python3 "$NETPEER" tcp "$2" "$3" "${4:-1.5}"; }   # tcp_ok FROM ADDR PORT
udp_ok() { cns "$1" python3 "$NETPEER" udp "$2" "$3" "${4:-1.5}"; }   # udp_ok FROM ADDR PORT
ping_ok() { cns "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }

# long_start FROM ADDR PORT FILE [TIMEOUT]: a long-lived echo connection in the background
long_start() {
	rm -f "$4"
	ip netns exec "$T-$1" python3 "$NETPEER" long "$2" "$3" "$4" "${5:-2}" &
	PEER_PIDS+=($!)
}
long_count() { local s; s=$(cat "$1" 2>/dev/null); echo "${s:-0}"; }
# long_alive FILE: the connection still echoes (the count grows within 1.5 s)
long_alive() {
	local a b
	a=$(long_count "$1")
	case $a in closed*) return 1;; esac
	for _ in $(seq 15); do
		sleep 0.1
		b=$(long_count "$1")
		case $b in closed*) return 1;; esac
		[ "$b" -gt "$a" ] && return 0
	done
	return 1
}
# long_closed_within FILE TENTHS: the connection is gone within TENTHS/10 s
long_closed_within() {
	for _ in $(seq "$2"); do
		case $(long_count "$1") in closed*) return 0;; esac
		sleep 0.1
	done
	return 1
}

# wait_for SECONDS CMD...: retry CMD every 100 ms
wait_for() {
	local n=$(( $1 * 10 )); shift
	for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

# learned FROM TO PORT: a learned rule FROM -> TO for PORT exists
learned() {
	bh --json rule list --learned |
		jq -e --arg f "$1" --arg t "$2" --arg p "$3" \
			'any(.[]; .from == $f and .to == $t and .ports == $p and .learned)' >/dev/null
}
learned_id() {
	bh --json rule list --learned |
		jq -r --arg f "$1" --arg t "$2" --arg p "$3" \
			'.[] | select(.from == $f and .to == $t and .ports == $p) | .id' | head -1
}

# violation PORT MODE [JQ-EXTRA]: violations.jsonl has a line for PORT in MODE
violation() {
	bh --json log --violations -n 1000 |
		jq -e --arg p "$1" --arg m "$2" "any(.[]; .port == \$p and .mode == \$m ${3:-})" \
			>/dev/null
}

err_one_line() { # err_one_line CMD...: fails, exactly one line on stderr
	local e
	e=$("$@" 2>&1 >/dev/null) && return 1
	[ "$(printf '%s\n' "$e" | wc -l)" -eq 1 ] && [ -n "$e" ]
}

# The parts of the rule list that are policy (hit times move on their own).
rules_view() { bh --json rule list | jq -S 'map({id, from, to, ports, apps, action, learned})'; }

# bhjq FILTER BH-ARGS...: `bh --json BH-ARGS` succeeds and jq FILTER holds for its output
bhjq() {
	local f=$1 out
	shift
	out=$(bh --json "$@") || return 1
	[ -n "$out" ] && jq -e "$f" <<<"$out" >/dev/null
}
