#!/usr/bin/env bash
# Bad input gets a one-line error and changes nothing; the daemon keeps serving.
source "$(dirname "$0")/lib.sh"
require_root

err_one_line() { # err_one_line CMD...: fails, exactly one line on stderr
	local e
	e=$("$@" 2>&1 >/dev/null) && return 1
	[ "$(printf '%s\n' "$e" | wc -l)" -eq 1 ] && [ -n "$e" ]
}

check "CLI without daemon: one-line error" err_one_line bh status
make_host
make_container one 31
start_daemon || exit 1
check "unknown netns" err_one_line bh workload add x --netns "$T-nope"
check "unknown pid" err_one_line bh workload add x --pid 999999
check "missing interface" err_one_line bh workload add x --netns "$T-one" --iface eth9
check "no target" err_one_line bh workload add x
check "bad name" err_one_line bh workload add 'a/b' --netns "$T-one"
check "nothing added by the failures" test "$(bh --json workload list | jq length)" = 0
check "missing interface left eth0 alone" cns one ip link show eth0
check "add one" bh workload add one --netns "$T-one"
check "same workload twice" err_one_line bh workload add one --netns "$T-one"
check "same port under another name" err_one_line bh workload add two --netns "$T-one"
check "rm unknown" err_one_line bh workload rm ghost
check "unknown command" err_one_line bh frobnicate

sock() { python3 - "$BULKHEAD_SOCKET" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(5)
payload = sys.argv[2]
data = (("x" * 200000) if payload == "HUGE" else payload).encode() + b"\n"
try:
    s.sendall(data)
except OSError:
    pass
try:
    print(s.recv(65536).decode().strip())
except OSError:
    print("")
PY
}
check "malformed JSON answered with error" bash -c "$(declare -f sock); BULKHEAD_SOCKET=$BULKHEAD_SOCKET sock '{bad' | grep -q '\"ok\": *false'"
check "non-object answered with error" bash -c "$(declare -f sock); BULKHEAD_SOCKET=$BULKHEAD_SOCKET sock '[1,2]' | grep -q error"
check "unknown cmd answered with error" bash -c "$(declare -f sock); BULKHEAD_SOCKET=$BULKHEAD_SOCKET sock '{\"cmd\":\"nope\"}' | grep -q unknown"
check "oversized request refused" bash -c "$(declare -f sock); BULKHEAD_SOCKET=$BULKHEAD_SOCKET sock HUGE | grep -q 'too large'"
check "daemon still serving" bh status
check "socket is 0600" test "$(stat -c %a "$BULKHEAD_SOCKET")" = 600
check "non-root peer refused" bash -c "setpriv --reuid=65534 --regid=65534 --clear-groups $BULKHEAD status 2>&1 | grep -qiE 'permission|denied|not running'"
check "workload one still enforced" bash -c "set -o pipefail; bh --json workload list | jq -e '.[0].pulled'"
check "rm one" bh workload rm one
finish
