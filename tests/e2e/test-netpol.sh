#!/usr/bin/env bash
# Kubernetes NetworkPolicy import: five labelled workloads in two namespaces
# (prod: client, web, db; dev: tester, devweb), all in protect, three policy
# documents (ingress by pod and namespace selector, endPort, deny-all ingress,
# egress with an ipBlock and except).  Every (from, to, port) is probed with a
# real TCP connection and compared with the Kubernetes answer; on a mismatch
# the whole matrix is printed.  Also: labels persist, --dry-run applies
# nothing, a named port is refused with FILE:LINE.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/policy-lib.sh"
require_root
export BULKHEAD; export -f bh

declare -A IP=([client]=10.99.0.71 [web]=10.99.0.72 [db]=10.99.0.73 [tester]=10.99.0.74
	[devweb]=10.99.0.75)
NAMES=(client web db tester devweb)
PORTS=(80 5432 8080)
make_host
n=71
for w in "${NAMES[@]}"; do
	make_container "$w" $n
	serve "$w" tcp:80 tcp:5432 tcp:8080
	n=$((n + 1))
done
sleep 0.3
start_daemon --docker off || exit 1
add() { bh workload add "$1" --netns "$T-$1" --mode protect "${@:2}"; }
check "add client (prod)" add client --label namespace=prod --label app=client
check "add web (prod)" add web --label namespace=prod --label app=web
check "add db (prod)" add db --label k8s.namespace=prod --label app=db
check "add tester (dev)" add tester --label namespace=dev --label app=tester
check "add devweb (dev)" add devweb --label namespace=dev --label app=web
check_not "bad label refused" bh workload add bad --netns "$T-client" --label 'a b=c'
check "labels in workload list" bhjq '.[] | select(.name == "db") | .labels == {"k8s.namespace":
	"prod", "app": "db"}' workload list
check "labels persist in workloads.json" \
	jq -e '.workloads[] | select(.name == "web") | .labels.app == "web"' "$STATE/workloads.json"

cat >"$STATE/np.yaml" <<EOF
# web: clients on 80, anything from namespace dev on 8080
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-ingress, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{protocol: TCP, port: 80}]
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: dev}}}]
    ports: [{port: 8080}]
---
# db: web only, on a port range; client egress: web (all ports) and an ipBlock on 5432
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-and-client, namespace: prod}
spec:
  podSelector: {matchExpressions: [{key: app, operator: In, values: [db]}]}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{protocol: TCP, port: 5400, endPort: 5500}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client-egress, namespace: prod}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: web}}}]
  - to: [{ipBlock: {cidr: 10.99.0.0/24, except: [10.99.0.74/32]}}]
    ports: [{protocol: TCP, port: 5432}]
---
# dev: tester takes no connections at all
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: tester-deny-all, namespace: dev}
spec:
  podSelector: {matchLabels: {app: tester}}
  policyTypes: [Ingress]
EOF

# The Kubernetes answer for FROM TO PORT.
expect() {
	case "$1>$2:$3" in
	client\>web:80 | tester\>web:8080 | devweb\>web:8080) echo allow ;;
	*\>web:*) echo deny ;;
	web\>db:5432) echo allow ;;
	*\>db:*) echo deny ;;
	*\>tester:*) echo deny ;;
	client\>devweb:5432) echo allow ;;  # ipBlock; devweb is not app=web in prod
	client\>*) echo deny ;;             # client is egress-isolated
	*) echo allow ;;
	esac
}

# probe FROM: one line "FROM TO PORT allow|deny" per target and port, all in parallel.
probe() {
	local targets=()
	for w in "${NAMES[@]}"; do [ "$w" != "$1" ] && targets+=("$w=${IP[$w]}"); done
	cns "$1" python3 - "$1" "${PORTS[*]}" "${targets[@]}" <<'EOF'
import socket, sys, threading
src, ports, targets = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
out = []
def one(name, ip, port):
    try:
        with socket.create_connection((ip, int(port)), timeout=0.8) as s:
            s.settimeout(0.8)
            s.sendall(b"hi\n")
            ok = s.recv(16) == b"hi\n"
    except OSError:
        ok = False
    out.append(f"{src} {name} {port} {'allow' if ok else 'deny'}")
ts = [threading.Thread(target=one, args=(*t.split("="), p)) for t in targets for p in ports]
for t in ts: t.start()
for t in ts: t.join()
print("\n".join(sorted(out)))
EOF
}

# matrix: probe every pair, compare; prints the table when anything differs
matrix() {
	local bad=0 got line f t p g e
	got=$(for w in "${NAMES[@]}"; do probe "$w" & done; wait)
	line=$(printf '%-8s %-8s %-6s %-6s %-6s\n' FROM TO PORT WANT GOT)
	while read -r f t p g; do
		e=$(expect "$f" "$t" "$p")
		line+=$'\n'$(printf '%-8s %-8s %-6s %-6s %-6s%s' "$f" "$t" "$p" "$e" "$g" \
			"$([ "$e" = "$g" ] || echo '  <-- MISMATCH')")
		[ "$e" = "$g" ] || bad=$((bad + 1))
	done <<<"$got"
	[ "$(wc -l <<<"$got")" -eq $(( ${#NAMES[@]} * (${#NAMES[@]} - 1) * ${#PORTS[@]} )) ] ||
		bad=$((bad + 1))
	[ "$bad" -eq 0 ] && return 0
	echo "$line"
	return 1
}

# Control: protect with no rules blocks what Kubernetes would allow, so the matrix can fail.
check_not "before the import the matrix differs" matrix
check "dry-run prints the translated rules" bash -c \
	"bh policy import '$STATE/np.yaml' --dry-run | grep -q 'netpol-ipblock-1'"
check "dry-run applied nothing" bhjq 'length == 0' rule list
check "import the NetworkPolicies" bh policy import "$STATE/np.yaml"
check "an ipBlock group with the except cut out" bhjq 'any(.[]; .name == "netpol-ipblock-1" and
	(.cidrs | index("10.99.0.75/32")) and (.cidrs | index("10.99.0.74/32") | not))' group list
check "last rule lets unselected workloads talk" bhjq \
	'.[-1] | .from == "any" and .to == "any" and .action == "allow"' rule list
bh rule list >"$STATE/rules.txt"
if matrix; then
	ok "every (from, to, port) matches Kubernetes semantics ($(( 5 * 4 * 3 )) probes)"
else
	fail "connection matrix differs from Kubernetes semantics (table above)"
	cat "$STATE/rules.txt"
fi

sed -e 's/port: 8080}/port: http}/' "$STATE/np.yaml" >"$STATE/named.yaml"
line=$(grep -n 'port: http' "$STATE/named.yaml" | cut -d: -f1)
check "named port: one-line error" err_one_line bh policy import "$STATE/named.yaml"
check "named port: error names the line" bash -c \
	"bh policy import '$STATE/named.yaml' 2>&1 | grep -q 'named.yaml:$line:.*named ports'"
sed -e '0,/kind: NetworkPolicy/s//kind: Deployment/' "$STATE/np.yaml" >"$STATE/kind.yaml"
check "wrong kind: refused" err_one_line bh policy import "$STATE/kind.yaml"
finish
