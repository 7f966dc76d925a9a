#!/usr/bin/env bash
# policy export / import (own YAML): export then import round-trips exactly
# (rule list, group list and modes as before; a second export is the same
# text); --dry-run shows the result and changes nothing; a bad file changes
# nothing and gets one error line naming FILE:LINE; imported rules enforce.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root
export BULKHEAD; export -f bh   # for the checks that run in bash -c

WEB=10.99.0.62 DB=10.99.0.63
make_host
make_container client 61
make_container web 62
make_container db 63
serve web tcp:80 tcp:8080
serve db tcp:5432
sleep 0.3
# --docker off: a Docker engine on this machine may run containers that are not ours.
start_daemon --docker off || exit 1
for c in client web db; do check "workload add $c" bh workload add "$c" --netns "$T-$c"; done

# A policy with every kind of field: CIDR and FQDN groups, apps, deny, learned rules, modes.
check "group add dbs" bh group add dbs --cidr 10.99.0.63/32 --cidr fd99::63/128
check "group add partners" bh group add partners --cidr 192.0.2.0/24 --fqdn '*.example.com'
check "group add 8080s (a name that reads as a number)" bh group add 8080s --cidr 198.51.100.0/24
check "rule add deny client -> web tcp/8080" \
	bh rule add --from client --to web --port tcp/8080 --action deny --id 5
check "rule add with apps" \
	bh rule add --from client --to partners --port tcp/443,tcp/8000-8080 --app tls --action allow
check "rule add to a group named like a number" bh rule add --from web --to 8080s --action allow
check "rule add allow client -> web tcp/80" \
	bh rule add --from client --to web --port tcp/80 --action allow --id 10
check "discover: client pings web" ping_ok client $WEB
check "discover: learned rules" wait_for 3 bhjq 'length >= 1 and all(.[]; .learned)' rule list --learned
check "mode db protect" bh mode db protect
sleep 0.5
modes_view() { bh --json workload list | jq -S 'map({name, mode})'; }
groups_view() { bh --json group list | jq -S .; }
full_rules() { bh --json rule list | jq -S .; }
full_rules >"$STATE/rules.before"
groups_view >"$STATE/groups.before"
modes_view >"$STATE/modes.before"

check "policy export" bh policy export "$STATE/p1.yaml"
check "export is YAML with groups, rules and modes" /usr/bin/python3 -c "
import yaml, sys
d = yaml.safe_load(open('$STATE/p1.yaml'))
assert d['version'] == 1 and len(d['groups']) == 3 and len(d['rules']) >= 4
assert d['modes'] == {'client': 'discover', 'db': 'protect', 'web': 'discover'}
assert any(g['name'] == '8080s' for g in d['groups'])
"

# Change everything, then import the file back.
check "rule rm 5" bh rule rm 5
check "rule add extra" bh rule add --from db --to client --port udp/53 --action allow --id 77
check "mode --all monitor" bh mode --all monitor
check "policy import" bh policy import "$STATE/p1.yaml"
check "rules as before (every field)" diff <(full_rules) "$STATE/rules.before"
check "groups as before" diff <(groups_view) "$STATE/groups.before"
check "modes as before" diff <(modes_view) "$STATE/modes.before"
check "policy export again" bh policy export "$STATE/p2.yaml"
check "second export is the same text" cmp "$STATE/p1.yaml" "$STATE/p2.yaml"
check "export to stdout is the same document" \
	bash -c "diff <(\"$BULKHEAD\" policy export - | grep -v '^#') <(grep -v '^#' '$STATE/p1.yaml')"

# --dry-run: shows the result, changes nothing.
sed -e 's/tcp\/8080$/tcp\/9090/' "$STATE/p1.yaml" >"$STATE/dry.yaml"
check "dry-run file differs" bash -c "! cmp -s '$STATE/p1.yaml' '$STATE/dry.yaml'"
check "dry-run prints the resulting rules" bash -c "\"$BULKHEAD\" policy import '$STATE/dry.yaml' --dry-run |
	grep -q 'tcp/9090'"
check "dry-run --json has the rules" bhjq 'any(.rules[]; .ports == "tcp/9090") and .dry_run' \
	policy import "$STATE/dry.yaml" --dry-run
check "dry-run changed nothing" diff <(full_rules) "$STATE/rules.before"

# Bad files: one line with FILE:LINE, nothing changed.
bad() { # bad NAME SED-EXPR: a copy of p1.yaml with one edit
	sed -e "$2" "$STATE/p1.yaml" >"$STATE/$1.yaml"
}
bad badport 's/tcp\/8080$/tcp\/99999/'
# The library names the rule, not the key: the error points at the rule's first line.
line=$(( $(grep -n 'tcp/99999' "$STATE/badport.yaml" | cut -d: -f1) - 3 ))
check "bad port: one-line error" err_one_line bh policy import "$STATE/badport.yaml"
check "bad port: error names the line" bash -c \
	"bh policy import '$STATE/badport.yaml' 2>&1 | grep -q 'badport.yaml:$line:'"
bad badkey 's/^  action: deny$/  acton: deny/'
line=$(grep -n 'acton' "$STATE/badkey.yaml" | cut -d: -f1)
check "unknown key: error names the key's line" bash -c \
	"bh policy import '$STATE/badkey.yaml' 2>&1 | grep -q 'badkey.yaml:$line:.*acton'"
bad badmode 's/^  db: protect$/  db: protekt/'
check "bad mode: error names the line" bash -c \
	"bh policy import '$STATE/badmode.yaml' 2>&1 | grep -q \"badmode.yaml:\$(grep -n protekt '$STATE/badmode.yaml' | cut -d: -f1):\""
printf 'version: 1\nrules:\n  - id: 1\n    from: [a\n' >"$STATE/syntax.yaml"
check "YAML syntax error: one line with a line number" bash -c \
	"bh policy import '$STATE/syntax.yaml' 2>&1 | grep -Eq '^bulkhead: .*syntax.yaml:[0-9]+: '"
check "YAML syntax error: one line" err_one_line bh policy import "$STATE/syntax.yaml"
check_not "missing file fails" bh policy import "$STATE/nope.yaml"
check "nothing changed by bad imports" diff <(full_rules) "$STATE/rules.before"
check "modes unchanged by bad imports" diff <(modes_view) "$STATE/modes.before"

# Imported rules enforce: protect everywhere, rule 5 denies client -> web tcp/8080.
check "mode --all protect" bh mode --all protect
check "protect: client -> web tcp/80 (rule 10, imported)" tcp_ok client $WEB 80
check_not "protect: client -> web tcp/8080 (deny rule 5, imported)" tcp_ok client $WEB 8080 1
check "modes of unknown workloads are skipped with a note" bash -c "
	sed 's/^  web: discover$/  web: discover\n  ghost: protect/' '$STATE/p1.yaml' >'$STATE/ghost.yaml'
	\"$BULKHEAD\" policy import '$STATE/ghost.yaml' 2>&1 >/dev/null | grep -q 'skipped: ghost'"
finish
