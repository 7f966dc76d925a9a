#!/usr/bin/env bash
# Application-aware rules end to end (DPI with nDPI in the dp): discover learns a rule
# naming the app; in protect `client -> web tcp/80 --app http` lets HTTP through and
# resets a non-HTTP stream on the same port; `--app ssh` on tcp/22 lets ssh through
# and resets an HTTP request; monitor only logs; violations, conn list and `apps` name
# the app.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

APPS_PEER="$(cd "$(dirname "$0")" && pwd)/apps-peer.py"
CLIENT=10.99.0.51 WEB=10.99.0.52 DB=10.99.0.53
make_host
make_container client 51
make_container web 52
make_container db 53
ip netns exec "$T-web" python3 -m http.server 80 --bind 0.0.0.0 --directory "$STATE" \
	>/dev/null 2>&1 &
PEER_PIDS+=($!)
serve web tcp:22
if [ -x /usr/sbin/sshd ]; then
	ssh-keygen -q -t ed25519 -N '' -f "$STATE/hostkey"
	mkdir -p /run/sshd
	ip netns exec "$T-db" /usr/sbin/sshd -D -p 22 -h "$STATE/hostkey" \
		-o PidFile="$STATE/sshd.pid" >/dev/null 2>&1 &
	PEER_PIDS+=($!)
fi
sleep 0.5

peer() { cns client python3 "$APPS_PEER" "$@"; }
http_ok() { peer http "$1" "${2:-80}"; }
raw_is() { [ "$(peer raw "$1" "$2")" = "$3" ]; }  # raw_is ADDR PORT reset|open|answer
get_is() { [ "$(peer get "$1" "$2")" = "$3" ]; }
# ssh_reaches ADDR: the ssh handshake completes (auth then fails: no account)
ssh_reaches() {
	local out
	out=$(cns client timeout 5 ssh -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o PreferredAuthentications=none \
		-o ConnectTimeout=3 "nobody@$1" true 2>&1)
	grep -q "Permission denied" <<<"$out"
}
conv_app() { # conv_app FROM TO PORT APP
	bhjq "any(.[]; .from == \"$1\" and .to == \"$2\" and .port == \"$3\" and
		(.app | split(\",\") | index(\"$4\")))" conn list
}

start_daemon || exit 1
for c in client web db; do check "workload add $c" bh workload add "$c" --netns "$T-$c"; done

check "apps lists http, ssh, tls, dns" bhjq \
	'[.apps[].name] as $n | all(("http","ssh","tls","dns"); . as $a | $n | index($a))' apps
check "rule add rejects an unknown app" err_one_line \
	bh rule add --from client --to web --port tcp/80 --app gopher --action allow

# ---- discover: the learned rule names the app ----
check "discover: HTTP client -> web tcp/80" http_ok $WEB
check "learned client -> web tcp/80 app http" wait_for 3 bhjq \
	'any(.[]; .from == "client" and .to == "web" and .ports == "tcp/80" and .apps == ["http"])' \
	rule list --learned
check "conn list names the app" wait_for 3 conv_app client web tcp/80 http

# ---- protect with app rules ----
check "rule add client -> web tcp/80 --app http (id 1)" \
	bh rule add --from client --to web --port tcp/80 --app http --action allow --id 1
check "rule add client -> web tcp/22 --app ssh (id 2)" \
	bh rule add --from client --to web --port tcp/22 --app ssh --action allow --id 2
check "rule add client -> db tcp/22 --app ssh (id 3)" \
	bh rule add --from client --to db --port tcp/22 --app ssh --action allow --id 3
check "mode --all protect" bh mode --all protect
check "protect: HTTP to web tcp/80 passes" http_ok $WEB
check "protect: a second HTTP request passes" http_ok $WEB
check "protect: non-HTTP stream to tcp/80 is reset" raw_is $WEB 80 reset
check "violation names the app (unknown), reset" wait_for 3 violation tcp/80 protect \
	'and .reset == true and .app == "unknown" and .from == "client" and .to == "web"'
check "protect: HTTP request to tcp/22 (--app ssh) is reset" get_is $WEB 22 reset
check "violation names the app (http) on tcp/22" wait_for 3 violation tcp/22 protect \
	'and .reset == true and .app == "http"'
if [ -x /usr/sbin/sshd ]; then
	check "protect: ssh to db tcp/22 (--app ssh) passes" ssh_reaches $DB
	check "conn list: client -> db tcp/22 app ssh" wait_for 3 conv_app client db tcp/22 ssh
fi
check "explain --app http: rule 1" bhjq '.ends[0].rule_id == 1 and .verdict == "allow"' \
	explain --from client --to web --port tcp/80 --app http
check "explain --app tls: blocked" bhjq '.verdict == "block"' \
	explain --from client --to web --port tcp/80 --app tls

# ---- monitor: the same HTTP request to tcp/22 passes and is logged ----
check "mode --all monitor" bh mode --all monitor
check "monitor: HTTP request to tcp/22 is echoed" get_is $WEB 22 answer
check "monitor: violation with app http" wait_for 3 violation tcp/22 monitor \
	'and .action == "allow" and .app == "http"'
check "apps counts identified sessions" bhjq '.dpi.identified >= 3 and .dpi.in_use >= 0' apps
finish
