#!/usr/bin/env bash
# User signatures end to end (src/dp/sig*.c, src/ctl/ctl-sig.c, docs/threats.md):
# `sig add` compiles a regex with Hyperscan; in protect a request carrying it is reset
# and logged with the signature's name, also when it is written a few bytes at a time;
# a near miss passes; --group limits a signature to its workloads; --http-field url
# matches the request target only; monitor only logs; `sig rm` stops it; signatures
# survive kill -9; a bad regex, a duplicate name and a corrupt signatures.json are refused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

PEER="$(cd "$(dirname "$0")" && pwd)/sig-peer.py"
WEB=10.99.0.72 W2=10.99.0.73
make_host
make_container client 71
make_container web 72
make_container w2 73
for c in web w2; do
	ip netns exec "$T-$c" python3 "$PEER" serve 80 >/dev/null 2>&1 &
	PEER_PIDS+=($!)
done

start_daemon || exit 1
check "workload add client" bh workload add client --netns "$T-client" --mode protect
check "workload add web (group shop)" bh workload add web --netns "$T-web" --group shop \
	--mode protect
check "workload add w2" bh workload add w2 --netns "$T-w2" --mode protect
check "rule client -> any tcp/80" bh rule add --from client --to any --port tcp/80 \
	--action allow

post() { cns client python3 "$PEER" post "$@"; }
get() { cns client python3 "$PEER" get "$@"; }
# sig_logged NAME ACTION WORKLOAD: a threats.jsonl line for signature NAME
sig_logged() {
	bhjq "any(.[]; .signature == \"$1\" and .action == \"$2\" and .workload == \"$3\" and
		.name == \"user_signature\" and .threat_id > 3000 and (.packet | length) > 0)" \
		log --threats -n 1000
}
nlogged() { bh --json log --threats -n 1000 | jq "[.[] | select(.signature == \"$1\")] | length"; }

# ---- the command ----
check "bad regex refused in one line" err_one_line bh sig add broken --pattern 'a(b'
check "... naming Hyperscan's reason" sh -c "'$BULKHEAD' sig add broken --pattern 'a(b' 2>&1 |
	grep -q 'signature broken: pattern: Missing close parenthesis'"
check "... and nothing added" bhjq 'length == 0' sig list
check "sig add leak (group shop)" bh sig add leak --pattern 'TOPSECRET-[0-9]{4}' --group shop \
	--severity high
check "duplicate name refused" err_one_line bh sig add leak --pattern other
check "sig add admin (url)" bh sig add admin --pattern '^/admin' --http-field url
check "sig list shows both" bhjq 'length == 2 and any(.[]; .name == "leak" and
	.groups == ["shop"] and .action == "reset" and .threat_id == 3001 and
	.severity == "high") and any(.[]; .name == "admin" and .field == "url")' sig list
check "--help lists sig add" sh -c "'$BULKHEAD' --help | grep -q 'sig add NAME --pattern REGEX'"

# ---- protect ----
check "clean request answered" test "$(post $WEB 80 'hello world')" = answer
check "request with the pattern is reset" test "$(post $WEB 80 'x=TOPSECRET-1234')" = reset
check "logged: signature leak, reset, at web" wait_for 3 sig_logged leak reset web
check "split over 2-byte writes: still reset" \
	test "$(post $WEB 80 'data TOPSECRET-4321 end' 2 0.02)" = reset
check "near miss over 2-byte writes: answered" \
	test "$(post $WEB 80 'data TOPSECRET-43x1 end' 2 0.02)" = answer
n=$(nlogged leak)
check "group: w2 is not in shop, same request answered" \
	test "$(post $W2 80 'x=TOPSECRET-1234')" = answer
sleep 0.5
check "group: nothing logged for it" test "$(nlogged leak)" = "$n"
check "url: GET /admin/x is reset" test "$(get $W2 80 /admin/x)" = reset
check "url: /admin elsewhere in the target answered" test "$(get $W2 80 '/a?next=/admin')" = answer
check "log --threats (human) names the signature" sh -c \
	"'$BULKHEAD' log --threats | grep -q 'signature leak'"
check "sig list counts hits" wait_for 2 bhjq 'any(.[]; .name == "leak" and .hits >= 2)' sig list

# ---- monitor: logged only ----
check "mode web monitor" bh mode web monitor
check "mode client monitor" bh mode client monitor
n=$(nlogged leak)
check "monitor: request with the pattern answered" test "$(post $WEB 80 'TOPSECRET-7777')" = answer
check "monitor: logged with action log" wait_for 3 sig_logged leak log web

# ---- sig rm ----
check "sig rm leak" bh sig rm leak
check "sig rm unknown refused" err_one_line bh sig rm leak
n=$(nlogged leak)
check "after rm: request answered" test "$(post $WEB 80 'TOPSECRET-7777')" = answer
sleep 0.5
check "after rm: nothing new logged" test "$(nlogged leak)" = "$n"

# ---- kill -9 and restart: signatures survive ----
check "mode --all protect" bh mode --all protect
stop_daemon KILL
start_daemon || exit 1
check "after kill -9: sig list has admin only" \
	bhjq 'length == 1 and .[0].name == "admin" and .[0].threat_id == 3002' sig list
admin_reset() { test "$(get $W2 80 /admin)" = reset; }
check "after kill -9: GET /admin still reset" wait_for 5 admin_reset

# ---- a corrupt signatures.json is refused, not replaced ----
stop_daemon TERM
echo '{"version":1,"signatures":[{"id":1,"name":"x","pattern":"a(b"}]}' \
	>"$STATE/signatures.json"
sum=$(md5sum <"$STATE/signatures.json")
out=$(timeout 20 "$BULKHEADD" --foreground --state-dir "$STATE" --socket "$BULKHEAD_SOCKET" \
	--enforcer-netns "$ENFNS" --docker off 2>&1)
rc=$?
check "bulkheadd refuses to start (rc $rc)" test "$rc" -ne 0 -a "$rc" -ne 124
check "clear message names signatures.json" grep -q "signatures.json: signature x: pattern" \
	<<<"$out"
check "corrupt file left as it was" test "$(md5sum <"$STATE/signatures.json")" = "$sum"
finish
