#!/usr/bin/env bash
# Prometheus endpoint: bulkheadd --metrics serves /metrics on the host (not in
# the enforcer netns); every line of two scrapes passes a strict exposition
# format check (tests/e2e/promcheck.py, plus prometheus_client's parser when
# installed), counters never go down, and the numbers follow real traffic:
# packets and sessions per workload, learned rules, modes, policy drops and
# violations.  A bad --metrics address stops bulkheadd with one line.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

PROMCHECK="$(cd "$(dirname "$0")" && pwd)/promcheck.py"
# Debian's python3 has python3-prometheus-client; a pyenv python3 first in PATH may not.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT/metrics"
WEB=10.99.0.52

make_host
make_container client 51
make_container web 52
serve web tcp:80 tcp:8080
sleep 0.3

check_not "bad --metrics address: bulkheadd refuses to start" \
	"$BULKHEADD" --foreground --state-dir "$STATE" --socket "$BULKHEAD_SOCKET" \
	--enforcer-netns "$ENFNS" --metrics 127.0.0.1:notaport
check "bad --metrics address: one-line error" err_one_line \
	"$BULKHEADD" --foreground --state-dir "$STATE" --socket "$BULKHEAD_SOCKET" \
	--enforcer-netns "$ENFNS" --metrics nohost

# --docker off: a Docker engine on this machine has containers that are not ours.
start_daemon --docker off --metrics "127.0.0.1:$PORT" || exit 1
scrape() { curl -sf --max-time 3 "$URL"; }
# sample NAME{LABELS}: the value of one series in a fresh scrape
sample() { scrape | awk -v k="$1" '$1 == k { print $2 }'; }
# ge SERIES MIN: the series is there and >= MIN (the snapshot is up to 1 s old: retry)
ge() { local v; v=$(sample "$1"); [ -n "$v" ] && awk -v v="$v" -v m="$2" 'BEGIN{exit !(v >= m)}'; }
eq() { [ "$(sample "$1")" = "$2" ]; }

check "GET /metrics answers 200" wait_for 3 scrape
check "content type is text format 0.0.4" \
	bash -c "curl -sfI --max-time 3 '$URL' | grep -qi '^content-type: text/plain; version=0.0.4'"
check "listener is on the host" bash -c "ss -Hltn 'sport = :$PORT' | grep -q 127.0.0.1"
check_not "nothing listens in the enforcer netns" \
	bash -c "ip netns exec '$ENFNS' ss -Hltn 'sport = :$PORT' | grep -q ."
check "other paths: 404" bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' \
	http://127.0.0.1:$PORT/) = 404 ]"
check "POST: 405" bash -c "[ \$(curl -s -o /dev/null -w '%{http_code}' -X POST '$URL') = 405 ]"

for c in client web; do check "workload add $c" bh workload add "$c" --netns "$T-$c"; done
for _ in 1 2 3; do tcp_ok client $WEB 80 >/dev/null; done
check "learned client -> web tcp/80" wait_for 3 learned client web tcp/80
check "two workloads in discover" wait_for 3 eq 'bulkhead_workloads{mode="discover"}' 2
check "web: packets in counted" wait_for 3 ge 'bulkhead_packets_total{workload="web",direction="in"}' 6
check "web: packets out counted" wait_for 3 ge 'bulkhead_packets_total{workload="web",direction="out"}' 6
check "client: bytes out counted" wait_for 3 ge 'bulkhead_bytes_total{workload="client",direction="out"}' 300
check "web: sessions counted" wait_for 3 ge 'bulkhead_sessions_total{workload="web"}' 3
check "learned rules gauge" wait_for 3 ge 'bulkhead_learned_rules' 1
check "rules gauge counts learned rules too" wait_for 3 ge 'bulkhead_rules' 1
# agrees W: a snapshot taken after `workload list` counts at least its sessions for W
agrees() {
	local l
	l=$(bh --json workload list | jq --arg w "$1" '.[] | select(.name == $w) | .stats.sessions')
	sleep 1.1
	ge "bulkhead_sessions_total{workload=\"$1\"}" "$l"
}
check "metrics agree with workload list" agrees web
scrape >"$STATE/scrape1"

check "mode --all protect" bh mode --all protect
check_not "protect: client -> web tcp/8080 blocked" tcp_ok client $WEB 8080 1
tcp_ok client $WEB 80 >/dev/null
check "two workloads in protect" wait_for 3 eq 'bulkhead_workloads{mode="protect"}' 2
check "no workload left in discover" wait_for 3 eq 'bulkhead_workloads{mode="discover"}' 0
check "violations counted" wait_for 3 ge 'bulkhead_violations_total' 1
check "policy drops counted" wait_for 3 ge 'bulkhead_drops_total{reason="policy"}' 1
check "client: policy drops counted per workload" \
	wait_for 3 ge 'bulkhead_packets_dropped_total{workload="client",reason="policy"}' 1
check "ring drops and lost events exposed" bash -c "curl -sf '$URL' |
	grep -q '^bulkhead_ring_drops_total ' && curl -sf '$URL' | grep -q '^bulkhead_events_lost_total '"
check "threats family declared" bash -c "curl -sf '$URL' | grep -q '^# TYPE bulkhead_threats_total counter'"
sleep 1.1
scrape >"$STATE/scrape2"
if "$PY" "$PROMCHECK" "$STATE/scrape1" "$STATE/scrape2"; then
	ok "every line of both scrapes is valid exposition format; counters monotonic"
else
	fail "exposition format check"
fi

check "workload rm web" bh workload rm web
check "removed workload's series disappear" \
	wait_for 3 bash -c "! curl -sf '$URL' | grep -q 'workload=\"web\"'"
stop_daemon
check_not "endpoint closed after stop" scrape
finish
