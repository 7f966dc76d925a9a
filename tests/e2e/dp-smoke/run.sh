#!/usr/bin/env bash
# dp smoke test (root): netns ds-enf with the veth pair bh-dp <-> bh-dpp, the dp
# on bh-dp, and dp-smoke standing in for the eBPF steering on bh-dpp.
# usage: tests/e2e/dp-smoke/run.sh   (BH_BUILD = build dir, default build-dp)
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../../.." && pwd)
BUILD=${BH_BUILD:-$SRC/build-dp}
NS=ds-enf

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: dp smoke needs root"
	exit 77
fi

cleanup() {
	ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -f "$BUILD/CMakeCache.txt" ] || cmake -S "$SRC" -B "$BUILD" >/dev/null
cmake --build "$BUILD" --target dp-smoke >/dev/null

cleanup
ip netns add "$NS"
# no IPv6 autoconfiguration chatter on the pair: every frame there is ours
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS" link add bh-dp mtu 2048 type veth peer name bh-dpp mtu 2048
ip -n "$NS" link set lo up
ip -n "$NS" link set bh-dp up
ip -n "$NS" link set bh-dpp up

"$BUILD/tests/dp-smoke" "$NS"
