#!/usr/bin/env bash
# Record the small pcaps tests/unit/test-dpi.c replays: real programs talking over
# loopback in a throwaway netns, captured with tcpdump.  Root; needs the packages
# scripts/install-deps installs.  Re-run to refresh; the files are committed.
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)/pcap
ns=bh-pcap-$$
tmp=$(mktemp -d)
mkdir -p "$out"
cleanup() {
	ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
in_ns() { ip netns exec "$ns" "$@"; }

# capture NAME FILTER COMMAND...: tcpdump around one client run.
capture() {
	local name=$1 filter=$2
	shift 2
	in_ns tcpdump -Z root -i lo -U -s 0 -w "$out/$name.pcap" "$filter" 2>/dev/null &
	local td=$!
	sleep 0.5
	in_ns "$@" >/dev/null 2>&1 || true
	sleep 0.3
	kill "$td"; wait "$td" 2>/dev/null || true
	echo "$name.pcap recorded"
}

# HTTP: curl against python3 -m http.server
echo hello >"$tmp/index.html"
(cd "$tmp" && in_ns python3 -m http.server 8080 --bind 127.0.0.1 >/dev/null 2>&1 &)
sleep 1
capture http "tcp port 8080" curl -s http://127.0.0.1:8080/index.html

# TLS: openssl s_client against s_server
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=web.test -keyout "$tmp/k.pem" \
	-out "$tmp/c.pem" -days 2 2>/dev/null
in_ns openssl s_server -quiet -accept 4433 -key "$tmp/k.pem" -cert "$tmp/c.pem" \
	>/dev/null 2>&1 &
sleep 1
capture tls "tcp port 4433" sh -c 'echo Q | timeout 3 openssl s_client -connect 127.0.0.1:4433 -servername web.test'

# DNS: dig against dnsmasq
in_ns dnsmasq --no-daemon --port 53 --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
	--no-hosts --address=/web.test/10.99.0.2 --pid-file="$tmp/dnsmasq.pid" >/dev/null 2>&1 &
sleep 1
capture dns "udp port 53" dig +tries=1 +time=2 @127.0.0.1 web.test A

# Redis: redis-cli against redis-server
in_ns redis-server --port 6390 --bind 127.0.0.1 --save '' --appendonly no \
	--dir "$tmp" >/dev/null 2>&1 &
sleep 1
capture redis "tcp port 6390" redis-cli -h 127.0.0.1 -p 6390 SET k v

# SSH: the client against sshd (no account to log in to: banners + key exchange suffice)
ssh-keygen -q -t ed25519 -N '' -f "$tmp/hostkey"
mkdir -p /run/sshd
in_ns /usr/sbin/sshd -D -p 22 -h "$tmp/hostkey" -o ListenAddress=127.0.0.1 \
	-o PidFile="$tmp/sshd.pid" >/dev/null 2>&1 &
sleep 1
capture ssh "tcp port 22" timeout 5 ssh -o BatchMode=yes -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o PreferredAuthentications=none -p 22 nobody@127.0.0.1 true

# Not an application: raw bytes to a listening port (nc both ends)
in_ns sh -c 'nc -l 127.0.0.1 9000 >/dev/null &'
sleep 0.5
capture raw "tcp port 9000" sh -c 'head -c 12000 /dev/urandom | timeout 2 nc -q 1 127.0.0.1 9000'

# DNS answers for FQDN groups (tests/unit/test-dns-answer.c), one exchange each, in this
# order: A; CNAME chain of two to A; AAAA; two A records; the name in upper case; A over
# TCP; a name dnsmasq has no answer for (REFUSED, no upstream); TTL 2 s (--local-ttl).
in_ns dnsmasq --no-daemon --port 5354 --listen-address=127.0.0.1 --bind-interfaces --no-resolv \
	--no-hosts --local-ttl=2 --host-record=api.example.test,10.99.0.7,fd99::7 \
	--cname=www.example.test,api.example.test --cname=deep.example.test,www.example.test \
	--host-record=multi.example.test,10.99.0.8 --host-record=multi.example.test,10.99.0.9 \
	--pid-file="$tmp/dnsmasq2.pid" >/dev/null 2>&1 &
sleep 1
capture dns-answers "port 5354" sh -c 'd="dig +tries=1 +time=2 -p 5354 @127.0.0.1"
	$d api.example.test A; $d deep.example.test A; $d api.example.test AAAA
	$d multi.example.test A; $d API.Example.TEST A; $d +tcp api.example.test A
	$d nothing.invalid A'

# gRPC over clear-text HTTP/2: python3-grpcio client and server (generic handlers).
# Debian's python3 (the module lives in its dist-packages, not in another python's).
grpc_peer=$(cd "$(dirname "$0")" && pwd)/grpc-peer.py
in_ns /usr/bin/python3 "$grpc_peer" serve 50051 >/dev/null 2>&1 &
sleep 1.5
capture grpc "tcp port 50051" /usr/bin/python3 "$grpc_peer" call 127.0.0.1:50051

# Kafka: kcat's first request to a listener that only records: it never answers and
# keeps the connection until kcat gives up (-m 1: one second), so there is one session.
in_ns python3 -c 'import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9092)); s.listen(8)
while True:
    c, _ = s.accept()
    while c.recv(65536): pass
    c.close()' >/dev/null 2>&1 &
sleep 0.5
capture kafka "tcp port 9092" timeout 3 kcat -b 127.0.0.1:9092 -L -m 1
