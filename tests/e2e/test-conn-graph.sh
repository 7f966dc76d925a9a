#!/usr/bin/env bash
# conn graph: the conversation table as Graphviz DOT, SVG and PNG; allowed and
# denied conversations are both drawn, the DOT is valid, bad output names fail.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root
export BULKHEAD; export -f bh

WEB=10.99.0.82 DB=10.99.0.83
make_host
make_container client 81
make_container web 82
make_container db 83
serve web tcp:80
serve db tcp:5432
sleep 0.3
start_daemon --docker off || exit 1
for c in client web db; do check "workload add $c" bh workload add "$c" --netns "$T-$c"; done
check "rule: client -> web tcp/80" bh rule add --from client --to web --port tcp/80 --action allow
check "mode db protect" bh mode db protect
check "client -> web tcp/80" tcp_ok client $WEB 80
check_not "client -> db tcp/5432 blocked" tcp_ok client $DB 5432 1
check "conversations recorded" wait_for 3 bhjq 'length >= 2' conn list

G="$STATE/graph"
check "conn graph -o .dot" bh conn graph -o "$G.dot"
check "DOT is valid Graphviz" dot -Tcanon -o /dev/null "$G.dot"
check "allowed edge client -> web (green)" grep -q '"client" -> "web" \[label="tcp/80.*2e7d32' "$G.dot"
check "denied edge client -> db (red, dashed)" \
	grep -q '"client" -> "db" \[label="tcp/5432.*c0392b.*dashed' "$G.dot"
check "workloads drawn with their mode" grep -q 'label="db\\nprotect"' "$G.dot"
check "conn graph -o .svg" bh conn graph -o "$G.svg"
check "SVG is an SVG" grep -q '<svg' "$G.svg"
check "conn graph -o .png" bh conn graph -o "$G.png"
check "PNG is a PNG" bash -c "head -c 8 '$G.png' | od -An -c | grep -q 'P   N   G'"
[ -n "${BH_GRAPH_KEEP:-}" ] && cp "$G.png" "$BH_GRAPH_KEEP"
check_not "other extensions refused" bh conn graph -o "$G.jpg"
check "usage error is one line" err_one_line bh conn graph
finish
