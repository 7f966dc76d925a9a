#!/usr/bin/env bash
# Docker end to end: bulkheadd --docker on follows a real engine.  Containers
# become workloads (groups from labels) within 2 s of `docker run`, their
# traffic crosses the dp, learn -> protect holds, a restarted container comes
# back enforced in its mode, a stopped one leaves no vin/vex, a bulkheadd
# restart pulls nothing twice, `workload add --docker` rejects host-network
# and stopped containers, and without the engine the daemon warns, keeps
# enforcing manual workloads and reconciles when the engine returns.
# Starts dockerd if none runs (and stops it after); images come from
# `docker import` of a busybox-static rootfs.  Without an engine: SKIP.
source "$(dirname "$0")/lib.sh"
require_root

IMG="bulkhead-e2e-$$:busybox"
WEB="$T-web" CLI="$T-cli" HOSTNET="$T-hostnet" IDLE="$T-idle" OTHER="$T-other"
# Only containers with this label are discovered: other containers on this engine stay untouched.
SEL="bulkhead.e2e=$T"
DOCKERD_PID=""
DOCKERD_LOG="/tmp/bulkhead-e2e-dockerd.$$.log"

docker_cleanup() {
	local rc=$?
	if docker info >/dev/null 2>&1; then
		docker rm -f "$WEB" "$CLI" "$HOSTNET" "$IDLE" "$OTHER" >/dev/null 2>&1
		docker rmi -f "$IMG" >/dev/null 2>&1
	fi
	stop_dockerd
	[ "$rc" -eq 0 ] && [ "$FAILED" -eq 0 ] || tail -n 20 "$DOCKERD_LOG" 2>/dev/null
	rm -f "$DOCKERD_LOG"
	(exit "$rc")
	e2e_cleanup
}
trap docker_cleanup EXIT

skip() {
	echo "SKIP: $*"
	echo "0 passed, 0 failed"
	exit 0
}

stop_dockerd() {
	[ -n "$DOCKERD_PID" ] || return 0
	kill -TERM "$DOCKERD_PID" 2>/dev/null
	for _ in $(seq 200); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$DOCKERD_PID" 2>/dev/null
	DOCKERD_PID=""
}

# Start dockerd (background, own log); try without iptables if the default does not come up.
start_dockerd() {
	local flags
	for flags in "" "--iptables=false"; do
		# shellcheck disable=SC2086
		dockerd $flags >>"$DOCKERD_LOG" 2>&1 &
		DOCKERD_PID=$!
		for _ in $(seq 200); do
			[ -S /var/run/docker.sock ] && docker info >/dev/null 2>&1 && return 0
			kill -0 "$DOCKERD_PID" 2>/dev/null || break
			sleep 0.1
		done
		stop_dockerd
	done
	return 1
}

# A busybox-static rootfs as a local image: no registry involved.
make_image() {
	local root="$STATE/rootfs" a
	mkdir -p "$root/bin" "$root/www"
	cp "$(command -v busybox)" "$root/bin/busybox" || return 1
	for a in sh nc ip ping sleep cat echo true ls ps kill httpd wget timeout; do
		ln -s busybox "$root/bin/$a"
	done
	echo "hello from web" >"$root/www/index.html"
	tar -C "$root" -cf "$STATE/rootfs.tar" . && docker import "$STATE/rootfs.tar" "$IMG" >/dev/null
}

command -v docker >/dev/null || skip "no docker client (scripts/install-deps installs docker.io)"
command -v busybox >/dev/null || skip "no busybox (scripts/install-deps installs busybox-static)"
file -L "$(command -v busybox)" 2>/dev/null | grep -q "statically linked" ||
	skip "busybox is not static (install busybox-static)"
if ! docker info >/dev/null 2>&1; then
	command -v dockerd >/dev/null || skip "no dockerd (scripts/install-deps installs docker.io)"
	start_dockerd || skip "dockerd does not start here; see its log: $(tail -n 3 "$DOCKERD_LOG")"
	echo "# started dockerd (pid $DOCKERD_PID)"
fi
make_image || { fail "docker import of a busybox rootfs"; finish; exit 1; }

# ---- helpers ----
wl_field() { bh --json workload list | jq -r --arg n "$1" ".[] | select(.name == \$n) | .$2"; }
wl_pulled() { [ "$(wl_field "$1" pulled)" = true ]; }
wl_absent() { ! bh --json workload list | jq -e --arg n "$1" 'any(.[]; .name == $n)' >/dev/null; }
ip_of() { docker inspect -f '{{.NetworkSettings.IPAddress}}' "$1"; }
# http_get FROM IP PORT: the page web serves on IP:PORT, fetched by FROM within 2 s
# (busybox-static's wget -T crashes: the container's own timeout bounds it instead)
http_get() { timeout 6 docker exec "$1" timeout 2 wget -q -O - "http://$2:$3/" 2>/dev/null; }
PAGE="hello from web"
# page_ok PORT: the client gets web's page on PORT
page_ok() { [ "$(http_get "$CLI" "$WEB_IP" "$1")" = "$PAGE" ]; }
ping_ok() { docker exec "$1" ping -c 2 -W 2 "$2" >/dev/null 2>&1; }
# within MS CMD...: CMD succeeds within MS ms; ELAPSED = ms since $T0 (set by the caller)
within() {
	local limit=$1 start
	shift
	start=$(date +%s%N)
	while :; do
		if "$@" >/dev/null 2>&1; then
			ELAPSED=$((($(date +%s%N) - ${T0:-$start}) / 1000000))
			return 0
		fi
		[ $((($(date +%s%N) - start) / 1000000)) -ge "$limit" ] && return 1
		sleep 0.02
	done
}
run_web() {
	docker run -d --name "$WEB" --label "$SEL" --label bulkhead.group=web,shop \
		--label com.docker.compose.service=front "$IMG" \
		sh -c 'httpd -p 81 -h /www && exec httpd -f -p 80 -h /www' >/dev/null
}
run_cli() {
	docker run -d --name "$CLI" --label "$SEL" --label bulkhead.group=client "$IMG" \
		sleep 3600 >/dev/null
}
engine_warnings() { grep -c "docker: engine at .* unavailable" "$STATE/daemon.log"; }
docker_state() { bh --json status | jq -r .docker; }
docker_is() { [ "$(docker_state)" = "$1" ]; }
enf_vinvex() { enf_links | grep -cE '^(vin|vex)'; }

make_host
make_container m1 11
make_container m2 12

# ---- discovery: containers become workloads within 2 s of docker run ----
start_daemon --docker on --docker-label "$SEL" || exit 1
check "status says docker: connected" within 2000 docker_is connected
T0=$(date +%s%N); run_web
if within 2000 wl_pulled "$WEB"; then ok "web enforced ${ELAPSED} ms after docker run"; else
	fail "web not enforced within 2 s"; fi
T0=$(date +%s%N); run_cli
if within 2000 wl_pulled "$CLI"; then ok "client enforced ${ELAPSED} ms after docker run"; else
	fail "client not enforced within 2 s"; fi
check "web's groups come from its labels" test "$(wl_field "$WEB" 'groups | join(",")')" = \
	"web,shop,front"
check "web's workload is bound to its container id" \
	test "$(wl_field "$WEB" docker)" = "$(docker inspect -f '{{.Id}}' "$WEB")"
check "two vin/vex pairs in the enforcer netns" test "$(enf_vinvex)" -eq 4
docker run -d --name "$OTHER" "$IMG" sleep 3600 >/dev/null
sleep 0.5
check "a container without the selected label is left alone" wl_absent "$OTHER"
docker rm -f "$OTHER" >/dev/null
WEB_IP=$(ip_of "$WEB")

# ---- traffic crosses the dp ----
in0=$(wl_stat "$WEB" packets_in)
check "client pings web" ping_ok "$CLI" "$WEB_IP"
check "client -> web tcp/80" page_ok 80
in1=$(wl_stat "$WEB" packets_in)
check "dp counted web's ingress (+$((in1 - in0)))" test $((in1 - in0)) -ge 4

# ---- learn -> protect ----
learned() {
	bh --json rule list --learned | jq -e --arg f "$1" --arg t "$2" --arg p "$3" \
		'any(.[]; .from == $f and .to == $t and .ports == $p)' >/dev/null
}
T0=$(date +%s%N)
check "learned client -> web tcp/80" within 3000 learned "$CLI" "$WEB" tcp/80
check "mode web protect" bh mode "$WEB" protect
check "mode client protect" bh mode "$CLI" protect
check "protect: client -> web tcp/80 allowed" page_ok 80
check_not "protect: client -> web tcp/81 blocked" page_ok 81
violation_for() { bh --json log --violations -n 100 | jq -e --arg p "$1" 'any(.[]; .port == $p)'; }
check "violation logged for tcp/81" within 3000 violation_for tcp/81

# ---- docker restart: the workload comes back, enforced, in its mode ----
old_pid=$(wl_field "$WEB" pid)
T0=$(date +%s%N)
docker restart -t 1 "$WEB" >/dev/null
new_pid_ok() { wl_pulled "$WEB" && [ "$(wl_field "$WEB" pid)" != "$old_pid" ]; }
if within 2000 new_pid_ok; then ok "web re-enforced ${ELAPSED} ms after docker restart began"
else fail "web not back within 2 s of its restart"; fi
check "web kept mode protect across its restart" test "$(wl_field "$WEB" mode)" = protect
WEB_IP=$(ip_of "$WEB")
check "after restart: client -> web tcp/80 allowed" page_ok 80
check_not "after restart: client -> web tcp/81 blocked" page_ok 81

# ---- bulkheadd restart: existing workloads re-resolved, none pulled twice ----
stop_daemon
start_daemon --docker on --docker-label "$SEL" || exit 1
T0=$(date +%s%N)
both_pulled() { wl_pulled "$WEB" && wl_pulled "$CLI"; }
check "after bulkheadd restart: both pulled" within 3000 both_pulled
sleep 0.5
check "after bulkheadd restart: exactly 2 workloads" \
	test "$(bh --json workload list | jq length)" -eq 2
check "after bulkheadd restart: exactly two vin/vex pairs" test "$(enf_vinvex)" -eq 4
check "after bulkheadd restart: client -> web tcp/80" page_ok 80

# ---- docker stop: the workload goes, and its vin/vex with it ----
cli_vin=$(bh --json workload list | jq -r --arg n "$CLI" '.[] | select(.name == $n) | .vin')
cli_vex=$(bh --json workload list | jq -r --arg n "$CLI" '.[] | select(.name == $n) | .vex')
T0=$(date +%s%N)
docker stop -t 1 "$CLI" >/dev/null
if within 2000 wl_absent "$CLI"; then ok "client removed ${ELAPSED} ms after docker stop began"
else fail "client still a workload 2 s after docker stop"; fi
check "no vin/vex of the client left" test -z "$(enf_links | grep -xE "$cli_vin|$cli_vex")"
check "only web's vin/vex remain" test "$(enf_vinvex)" -eq 2
check "web still enforced" wl_pulled "$WEB"

# ---- workload add --docker: what cannot be enforced is refused in one line ----
docker run -d --name "$HOSTNET" --label "$SEL" --network host "$IMG" sleep 3600 >/dev/null
docker create --name "$IDLE" "$IMG" sleep 3600 >/dev/null
one_line_err() { # one_line_err PATTERN CMD...
	local pat=$1 e
	shift
	e=$("$@" 2>&1 >/dev/null) && return 1
	[ "$(printf '%s\n' "$e" | wc -l)" -eq 1 ] && grep -q "$pat" <<<"$e"
}
check "host-network container refused" one_line_err \
	"container $HOSTNET uses the host network: not enforceable" \
	bh workload add hn --docker "$HOSTNET"
check "created, not running container refused" one_line_err "is not running" \
	bh workload add idle --docker "$IDLE"
check "unknown container refused" one_line_err "no such docker container" \
	bh workload add nope --docker "nope-$$"
check "host-network container not discovered either" wl_absent "$HOSTNET"
docker rm -f "$HOSTNET" "$IDLE" >/dev/null

# ---- engine unavailable: warn, keep enforcing the rest, reconcile when it returns ----
stop_daemon
ENGINE="$STATE/engine.sock"
start_daemon --docker on --docker-label "$SEL" --docker-socket "$ENGINE" || exit 1
check "daemon serves without the engine" bh status
check "status says docker: unavailable" docker_is unavailable
check "one warning logged" test "$(engine_warnings)" -eq 1
check "manual workload m1 added" bh workload add m1 --netns "$T-m1"
check "manual workload m2 added" bh workload add m2 --netns "$T-m2"
in0=$(wl_stat m2 packets_in)
check "m1 pings m2 through the dp" cns m1 ping -c 3 -i 0.1 -W 2 10.99.0.12
check "dp counted m2's ingress" test $(($(wl_stat m2 packets_in) - in0)) -ge 3
check_not "web waits for the engine (not pulled)" wl_pulled "$WEB"
sleep 2.5
check "still one warning after retries" test "$(engine_warnings)" -eq 1
ln -s /var/run/docker.sock "$ENGINE"
T0=$(date +%s%N)
if within 4000 wl_pulled "$WEB"; then ok "engine back: web enforced after ${ELAPSED} ms"
else fail "engine back, but web not enforced within 4 s"; fi
check "status says docker: connected" docker_is connected
T0=$(date +%s%N); docker start "$CLI" >/dev/null
check "client started again: enforced" within 2000 wl_pulled "$CLI"
check "client -> web tcp/80 (learned rule kept)" page_ok 80
check "m1 still pings m2" cns m1 ping -c 2 -i 0.1 -W 2 10.99.0.12

# ---- the engine stops (only when this test started it) ----
if [ -n "$DOCKERD_PID" ]; then
	docker rm -f "$WEB" "$CLI" >/dev/null 2>&1
	docker rmi -f "$IMG" >/dev/null 2>&1
	warns=$(engine_warnings)
	stop_dockerd
	engine_down() { docker_is unavailable && [ "$(engine_warnings)" -gt "$warns" ]; }
	check "dockerd stopped: warning logged, status unavailable" within 3000 engine_down
	check "daemon still serves" bh status
	check "m1 still pings m2 without the engine" cns m1 ping -c 2 -i 0.1 -W 2 10.99.0.12
	check "no container vin/vex left" test "$(enf_vinvex)" -eq 4
fi
finish
