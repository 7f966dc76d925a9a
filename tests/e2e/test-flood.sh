#!/usr/bin/env bash
# Bounded resources under floods (SECURITY.md, "Resource bounds"): one pulled workload
# floods another with SYNs to a blocked port and with UDP to an allowed one, each from
# ever new source ports, for a few seconds.  Meanwhile an allowed flow of another pair
# keeps working, the session table stays within its cap (a small one here, via the hidden
# --sessions-per-worker), bulkheadd's RSS stays bounded, and violations.jsonl is rate
# limited instead of taking a line per blocked SYN.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root

HOSTILE="$(cd "$(dirname "$0")" && pwd)/hostile.py"
SCAPY_PY=/usr/bin/python3
if ! "$SCAPY_PY" -c 'import scapy' 2>/dev/null; then
	echo "SKIP: python3-scapy missing (scripts/install-deps)"
	exit 0
fi

CAP=${BH_FLOOD_CAP:-1024} WORKERS=2 # BH_FLOOD_CAP=65536 measures the default table
FLOOD_S=4 PPS=${BH_FLOOD_PPS:-20000}
# SECURITY.md, "Resource bounds": 48 MB + per worker its RX ring (256 slots of 68 KB), its
# session pool (160 B a session), its stream reassembly pools (4800 KB) and its signature
# stream slab (12 MB), none larger than that; a flood adds only a little.
RSS_BOUND_KB=$((48 * 1024 + WORKERS * (256 * 68 + 4800 + 12 * 1024 + CAP * 160 / 1024)))
RSS_GROWTH_MAX_KB=$((8 * 1024))
VIOL_LINES_MAX=200               # per (from, to, port): a few lines a second plus a summary
ATK=10.99.0.61 VIC=10.99.0.62 CLI=10.99.0.63 SRV=10.99.0.64
make_host
make_container atk 61
make_container vic 62
make_container cli 63
make_container srv 64
serve vic udp:9000
serve srv tcp:80
start_daemon --workers $WORKERS --sessions-per-worker $CAP || exit 1
for c in atk vic cli srv; do check "workload add $c" bh workload add "$c" --netns "$T-$c"; done
check "rule allow cli -> srv tcp/80" bh rule add --from cli --to srv --port tcp/80 --action allow
check "rule allow atk -> vic udp/9000" bh rule add --from atk --to vic --port udp/9000 \
	--action allow
check "mode --all protect" bh mode --all protect
check "cli -> srv works before" tcp_ok cli $SRV 80
VIC_MAC=$(cns vic cat /sys/class/net/eth0/address)

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status"; }
viol_lines() { cat "$STATE"/violations.jsonl* 2>/dev/null | wc -l; }

# flood KIND PORT: run it in atk; meanwhile probe cli -> srv, sample RSS and sessions.
# Sets PROBES_OK, PROBES, RSS_MAX, SESS_MAX, SENT.
flood() {
	local kind=$1 port=$2 out="$STATE/flood.$1" s r
	cns atk "$SCAPY_PY" "$HOSTILE" "$kind" "$VIC_MAC" $ATK $VIC "$port" $FLOOD_S $PPS \
		>"$out" 2>&1 &
	local fpid=$!
	PROBES=0 PROBES_OK=0 RSS_MAX=0 SESS_MAX=0
	sleep 0.5
	while kill -0 $fpid 2>/dev/null; do
		PROBES=$((PROBES + 1))
		# 3 s: one SYN may be lost in the shared dp ring the flood keeps full (SECURITY.md)
		tcp_ok cli $SRV 80 3 && PROBES_OK=$((PROBES_OK + 1))
		r=$(rss_kb)
		[ "${r:-0}" -gt "$RSS_MAX" ] && RSS_MAX=$r
		s=$(bh --json status | jq '.dp.sessions_active // .sessions_active // 0')
		[ "${s:-0}" -gt "$SESS_MAX" ] && SESS_MAX=$s
		sleep 0.3
	done
	wait $fpid
	SENT=$(tail -1 "$out")
	echo "# $kind: sent $SENT frames, probes $PROBES_OK/$PROBES, RSS max ${RSS_MAX} kB," \
		"sessions max $SESS_MAX"
}

rss0=$(rss_kb)
viol0=$(viol_lines)

# ---- SYN flood to a blocked port: every SYN a new blocked (embryonic) session ----
flood synflood 9001
check "syn flood: sender sent frames ($SENT)" test "${SENT:-0}" -gt 1000
check "syn flood: cli -> srv probes all succeed ($PROBES_OK/$PROBES)" \
	test "$PROBES" -gt 0 -a "$PROBES_OK" -eq "$PROBES"
check "syn flood: sessions_active $SESS_MAX <= cap $((CAP * WORKERS))" \
	test "$SESS_MAX" -le $((CAP * WORKERS))
check "syn flood: RSS grew by $((RSS_MAX - rss0)) kB (< $RSS_GROWTH_MAX_KB)" \
	test $((RSS_MAX - rss0)) -lt $RSS_GROWTH_MAX_KB
check "syn flood: RSS max $RSS_MAX kB < bound $RSS_BOUND_KB kB" test "$RSS_MAX" -lt $RSS_BOUND_KB
[ "$CAP" -lt 4096 ] && check "syn flood: embryonic sessions were recycled (created > cap)" \
	test "$(wl_stat atk sessions)" -gt $((CAP * WORKERS))
check "syn flood: blocked SYNs counted as policy drops" test "$(wl_stat atk drops.policy)" -gt 1000
sleep 1.2 # the events of the flood's last second drain
added=$(( $(viol_lines) - viol0 ))
check "syn flood: violations.jsonl grew by $added lines (<= $VIOL_LINES_MAX)" \
	test "$added" -le $VIOL_LINES_MAX -a "$added" -ge 1
check "syn flood: a violation line counts the suppressed ones" bhjq \
	'any(.[]; .port == "tcp/9001" and (.suppressed // 0) > 0)' log --violations -n 1000
check "daemon up after the syn flood" bh status

# ---- UDP flood to an allowed port: sessions that are never answered ----
flood udpflood 9000
check "udp flood: sender sent frames ($SENT)" test "${SENT:-0}" -gt 1000
check "udp flood: cli -> srv probes all succeed ($PROBES_OK/$PROBES)" \
	test "$PROBES" -gt 0 -a "$PROBES_OK" -eq "$PROBES"
check "udp flood: sessions_active $SESS_MAX <= cap $((CAP * WORKERS))" \
	test "$SESS_MAX" -le $((CAP * WORKERS))
check "udp flood: RSS grew by $((RSS_MAX - rss0)) kB (< $RSS_GROWTH_MAX_KB)" \
	test $((RSS_MAX - rss0)) -lt $RSS_GROWTH_MAX_KB
check "udp flood: RSS max $RSS_MAX kB < bound $RSS_BOUND_KB kB" test "$RSS_MAX" -lt $RSS_BOUND_KB
check "daemon up after the udp flood" bh status
check "cli -> srv works after" tcp_ok cli $SRV 80
# the victim's echo server may still be working through the flood's backlog
check "atk -> vic udp/9000 works after" wait_for 5 udp_ok atk $VIC 9000
echo "# RSS: start ${rss0} kB, now $(rss_kb) kB; ring drops $(bh --json status | jq '.dp.ring_drops // 0')"
finish
