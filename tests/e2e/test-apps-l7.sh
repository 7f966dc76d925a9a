#!/usr/bin/env bash
# Our own dissectors end to end (nDPI 4.2 names neither): a python3-grpcio call over
# clear-text HTTP/2 is app grpc, kcat's first request is app kafka.  In protect,
# `client -> web tcp/50051 --app grpc` lets the gRPC call through and resets an HTTP/1
# request on the same port (logged); `--app kafka` on tcp/9092 keeps kcat's connection while a
# plain HTTP request there is reset; conn list and `apps` name both.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

APPS_PEER="$(cd "$(dirname "$0")" && pwd)/apps-peer.py"
GRPC_PEER="$(cd "$(dirname "$0")/../data" && pwd)/grpc-peer.py"
WEB=10.99.0.72
if ! /usr/bin/python3 -c 'import grpc' 2>/dev/null || ! command -v kcat >/dev/null; then
	echo "skip: needs python3-grpcio and kcat (scripts/install-deps)"
	exit 0
fi
make_host
make_container client 71
make_container web 72
ip netns exec "$T-web" /usr/bin/python3 "$GRPC_PEER" serve 50051 0.0.0.0 >/dev/null 2>&1 &
PEER_PIDS+=($!)
# A Kafka "broker" that only listens: kcat's ApiVersions request gets no answer.
ip netns exec "$T-web" python3 -c 'import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9092)); s.listen(8)
def hold(c):
    while c.recv(65536): pass
while True:
    c, _ = s.accept(); threading.Thread(target=hold, args=(c,), daemon=True).start()' \
	>/dev/null 2>&1 &
PEER_PIDS+=($!)
sleep 1

grpc_ok() { [ "$(cns client /usr/bin/python3 "$GRPC_PEER" call "$WEB:50051" 2>/dev/null)" = "echo:hello" ]; }
get_is() { [ "$(cns client python3 "$APPS_PEER" get "$WEB" "$1")" = "$2" ]; }
kcat_try() { cns client timeout 3 kcat -b "$WEB:9092" -L -m 1 >/dev/null 2>&1; true; }
conv_app() { # conv_app PORT APP
	bhjq "any(.[]; .from == \"client\" and .to == \"web\" and .port == \"$1\" and
		(.app | split(\",\") | index(\"$2\")))" conn list
}

start_daemon || exit 1
for c in client web; do check "workload add $c" bh workload add "$c" --netns "$T-$c"; done
check "apps lists grpc and kafka" bhjq \
	'[.apps[].name] as $n | ($n | index("grpc")) and ($n | index("kafka"))' apps

# ---- discover: the learned rules name the apps ----
check "discover: gRPC call answered" grpc_ok
kcat_try
check "learned client -> web tcp/50051 app grpc" wait_for 3 bhjq \
	'any(.[]; .to == "web" and .ports == "tcp/50051" and .apps == ["grpc"])' rule list --learned
check "learned client -> web tcp/9092 app kafka" wait_for 3 bhjq \
	'any(.[]; .to == "web" and .ports == "tcp/9092" and .apps == ["kafka"])' rule list --learned
check "conn list: tcp/50051 app grpc" wait_for 3 conv_app tcp/50051 grpc
check "conn list: tcp/9092 app kafka" wait_for 3 conv_app tcp/9092 kafka

# ---- protect: only the learned apps pass ----
check "mode --all protect" bh mode --all protect
check "protect: gRPC call (--app grpc) passes" grpc_ok
# The gRPC server speaks first (its SETTINGS frame) and hangs up on HTTP/1: what the
# client reads races the reset, and nDPI names the mix http or nothing; the dp's verdict
# is what counts.
get_is 50051 reset
check "HTTP/1 request to tcp/50051 (--app grpc) is reset, logged" wait_for 3 violation \
	tcp/50051 protect 'and .reset == true and (.app == "http" or .app == "unknown")'
check "protect: HTTP/1 request to tcp/9092 (--app kafka) is reset" get_is 9092 reset
kcat_try
check "conn list counts kcat's protect session on tcp/9092" wait_for 6 bhjq \
	'any(.[]; .to == "web" and .port == "tcp/9092" and .sessions >= 3)' conn list
check "explain --app kafka on tcp/9092: allowed by the learned rule" bhjq \
	'.verdict == "allow" and .ends[0].rule_id >= 10001' \
	explain --from client --to web --port tcp/9092 --app kafka
check_not "protect: no violation for kafka on tcp/9092" \
	violation tcp/9092 protect 'and .app == "kafka"'
check "apps counts identified sessions" bhjq '.dpi.identified >= 4' apps
finish
