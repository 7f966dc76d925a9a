/*
 * netpol.c - Kubernetes NetworkPolicy (networking.k8s.io/v1) -> bulkhead groups and rules.
 *
 * Kubernetes: a pod selected by any policy of a direction is isolated in that
 * direction and gets only what the union of those policies allows; a
 * connection needs the client's egress and the server's ingress to agree.
 * bulkhead: every session end evaluates one ordered rule list, first match
 * wins, and a protect-mode end blocks what no rule allows.  The translation
 * therefore decides each workload pair itself, against the current workloads
 * (their labels and addresses), and writes the answer as rules in this order:
 *   1. for every pair (client, server) with an isolated end: allow the ports
 *      both ends allow (egress ports ∩ ingress ports), then deny the rest;
 *   2. for peers that are not workloads: per isolated workload, allow what
 *      its ipBlock and "all peers" rules allow (an ipBlock minus its except
 *      becomes a CIDR group), then deny the rest of that direction;
 *   3. allow any -> any: unselected workloads are not isolated.
 * The result is static: a workload added later, or relabelled, needs the
 * policies imported again.
 *
 * Selectors: podSelector matches a workload's labels within the policy's
 * namespace (label "namespace" or "k8s.namespace", default "default");
 * namespaceSelector matches the labels of the workload's namespace, which are
 * taken to be the workload's own labels plus kubernetes.io/metadata.name=NS.
 * Named ports and SCTP have no equivalent here and are refused.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon.h"
#include "netpol.h"
#include "policy/policy.h"
#include "wl-labels.h"

#define NP_PORTS_MAX POLICY_PORTS_MAX
#define NS_NAME_LABEL "kubernetes.io/metadata.name"

struct np_ctx {
	struct bh_daemon *d;
	char *err;
	size_t errlen;
	json_t *groups; /* generated CIDR groups */
	json_t *rules;
	uint32_t next_id;
};

/* A set of ports: entries are unions; an ANY entry means everything. */
struct np_ports {
	struct policy_port p[NP_PORTS_MAX];
	size_t n;
};

static int np_fail(struct np_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int np_fail(struct np_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- selectors ---- */

typedef const char *(*label_fn)(const struct workload *w, const char *key);

static const char *pod_label(const struct workload *w, const char *key)
{
	return wl_label(w, key);
}

static const char *ns_label(const struct workload *w, const char *key)
{
	return !strcmp(key, NS_NAME_LABEL) ? wl_namespace(w) : wl_label(w, key);
}

static bool in_values(json_t *values, const char *v)
{
	json_t *x;
	size_t i;

	json_array_foreach(values, i, x)
		if (v && json_string_value(x) && !strcmp(json_string_value(x), v))
			return true;
	return false;
}

static bool expr_match(json_t *e, const struct workload *w, label_fn get)
{
	const char *op = json_string_value(json_object_get(e, "operator"));
	const char *v = get(w, json_string_value(json_object_get(e, "key")));
	json_t *values = json_object_get(e, "values");

	if (!strcmp(op, "In"))
		return in_values(values, v);
	if (!strcmp(op, "NotIn"))
		return !in_values(values, v);
	if (!strcmp(op, "Exists"))
		return v != NULL;
	return v == NULL; /* DoesNotExist */
}

/* A checked selector ({} matches everything). */
static bool sel_match(json_t *sel, const struct workload *w, label_fn get)
{
	json_t *v, *e;
	const char *k;
	size_t i;

	json_object_foreach(json_object_get(sel, "matchLabels"), k, v) {
		const char *have = get(w, k);

		if (!have || strcmp(have, json_string_value(v)))
			return false;
	}
	json_array_foreach(json_object_get(sel, "matchExpressions"), i, e)
		if (!expr_match(e, w, get))
			return false;
	return true;
}

static int check_expr(struct np_ctx *c, json_t *e, const char *path)
{
	const char *op = json_string_value(json_object_get(e, "operator"));
	json_t *values = json_object_get(e, "values"), *v;
	size_t i;

	if (!json_is_object(e) || !json_string_value(json_object_get(e, "key")) || !op)
		return np_fail(c, "%s: want key and operator", path);
	if (strcmp(op, "In") && strcmp(op, "NotIn") && strcmp(op, "Exists") &&
	    strcmp(op, "DoesNotExist"))
		return np_fail(c, "%s.operator: want In, NotIn, Exists or DoesNotExist", path);
	if (values && !json_is_array(values))
		return np_fail(c, "%s.values: want a list", path);
	json_array_foreach(values, i, v)
		if (!json_is_string(v))
			return np_fail(c, "%s.values[%zu]: want a string", path, i);
	return 0;
}

static int check_sel(struct np_ctx *c, json_t *sel, const char *path)
{
	json_t *ml = json_object_get(sel, "matchLabels"), *me, *v;
	char sub[700];
	const char *k;
	size_t i;

	if (!json_is_object(sel))
		return np_fail(c, "%s: want a label selector", path);
	json_object_foreach(sel, k, v)
		if (strcmp(k, "matchLabels") && strcmp(k, "matchExpressions"))
			return np_fail(c, "%s: unknown key '%.32s'", path, k);
	if (ml && !json_is_object(ml))
		return np_fail(c, "%s.matchLabels: want a mapping", path);
	json_object_foreach(ml, k, v)
		if (!json_is_string(v))
			return np_fail(c, "%s.matchLabels.%.64s: want a string", path, k);
	me = json_object_get(sel, "matchExpressions");
	if (me && !json_is_array(me))
		return np_fail(c, "%s.matchExpressions: want a list", path);
	json_array_foreach(me, i, v) {
		snprintf(sub, sizeof(sub), "%s.matchExpressions[%zu]", path, i);
		if (check_expr(c, v, sub) < 0)
			return -EINVAL;
	}
	return 0;
}

/* ---- addresses and ipBlocks ---- */

static bool cidr_has(const struct policy_cidr *c, const struct policy_addr *a)
{
	int full = c->plen / 8, rest = c->plen % 8;

	if (c->addr.family != a->family || memcmp(c->addr.a, a->a, (size_t)full))
		return false;
	return !rest || !((c->addr.a[full] ^ a->a[full]) & (0xff << (8 - rest)));
}

static bool cidr_inside(const struct policy_cidr *in, const struct policy_cidr *out)
{
	return in->plen >= out->plen && cidr_has(out, &in->addr);
}

/* c minus ex, as CIDR strings appended to arr: split c in halves until they fall clear. */
static void cidr_subtract(const struct policy_cidr *c, const struct policy_cidr *ex, json_t *arr)
{
	int maxlen = c->addr.family == AF_INET ? 32 : 128;
	struct policy_cidr half[2] = {*c, *c};
	char buf[64];

	if (cidr_inside(c, ex))
		return;
	if (!cidr_inside(ex, c) || c->plen >= maxlen) {
		policy_cidr_format(c, buf, sizeof(buf));
		json_array_append_new(arr, json_string(buf));
		return;
	}
	for (int h = 0; h < 2; h++) {
		half[h].plen = c->plen + 1;
		if (h)
			half[h].addr.a[c->plen / 8] |= 0x80 >> (c->plen % 8);
		cidr_subtract(&half[h], ex, arr);
	}
}

struct np_block {
	struct policy_cidr cidr;
	struct policy_cidr except[16];
	size_t n_except;
};

static int parse_block(struct np_ctx *c, json_t *j, const char *path, struct np_block *b)
{
	const char *cidr = json_string_value(json_object_get(j, "cidr"));
	json_t *ex = json_object_get(j, "except"), *v;
	char why[128];
	size_t i;

	memset(b, 0, sizeof(*b));
	if (!cidr || policy_cidr_parse(cidr, &b->cidr, why, sizeof(why)) < 0)
		return np_fail(c, "%s.cidr: want a CIDR", path);
	if (ex && (!json_is_array(ex) || json_array_size(ex) > 16))
		return np_fail(c, "%s.except: want a list of at most 16 CIDRs", path);
	json_array_foreach(ex, i, v) {
		struct policy_cidr *e = &b->except[b->n_except++];

		if (!json_string_value(v) ||
		    policy_cidr_parse(json_string_value(v), e, why, sizeof(why)) < 0 ||
		    !cidr_inside(e, &b->cidr))
			return np_fail(c, "%s.except[%zu]: want a CIDR inside %s", path, i, cidr);
	}
	return 0;
}

static bool block_has(const struct np_block *b, const struct policy_addr *a)
{
	if (!cidr_has(&b->cidr, a))
		return false;
	for (size_t i = 0; i < b->n_except; i++)
		if (cidr_has(&b->except[i], a))
			return false;
	return true;
}

/* The block minus its excepts as CIDR strings. */
static json_t *block_cidrs(const struct np_block *b)
{
	json_t *cidrs = json_array();
	char buf[64];

	policy_cidr_format(&b->cidr, buf, sizeof(buf));
	json_array_append_new(cidrs, json_string(buf));
	for (size_t e = 0; e < b->n_except; e++) {
		json_t *next = json_array(), *v;
		size_t k;

		json_array_foreach(cidrs, k, v) {
			struct policy_cidr piece;

			policy_cidr_parse(json_string_value(v), &piece, NULL, 0);
			cidr_subtract(&piece, &b->except[e], next);
		}
		json_decref(cidrs);
		cidrs = next;
	}
	return cidrs;
}

/* The block as a CIDR group, shared by identical blocks; returns its name. */
static const char *block_group(struct np_ctx *c, const struct np_block *b)
{
	json_t *cidrs = block_cidrs(b), *g;
	char name[32];
	size_t i;

	json_array_foreach(c->groups, i, g) {
		if (json_equal(json_object_get(g, "cidrs"), cidrs)) {
			json_decref(cidrs);
			return json_string_value(json_object_get(g, "name"));
		}
	}
	snprintf(name, sizeof(name), "netpol-ipblock-%zu", json_array_size(c->groups) + 1);
	g = json_pack("{s:s, s:o, s:[]}", "name", name, "cidrs", cidrs, "fqdns");
	json_array_append_new(c->groups, g);
	return json_string_value(json_object_get(g, "name"));
}

/* ---- ports ---- */

static void ports_all(struct np_ports *p)
{
	p->n = 1;
	p->p[0] = (struct policy_port){.proto = POLICY_PORT_ANY, .lo = 0, .hi = 65535};
}

static bool ports_is_all(const struct np_ports *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->p[i].proto == POLICY_PORT_ANY)
			return true;
	return false;
}

static int ports_add(struct np_ctx *c, struct np_ports *p, const struct policy_port *x)
{
	if (p->n >= NP_PORTS_MAX)
		return np_fail(c, "more than %d port ranges between two workloads", NP_PORTS_MAX);
	p->p[p->n++] = *x;
	return 0;
}

static int ports_union(struct np_ctx *c, struct np_ports *acc, const struct np_ports *x)
{
	if (ports_is_all(acc))
		return 0;
	if (ports_is_all(x)) {
		ports_all(acc);
		return 0;
	}
	for (size_t i = 0; i < x->n; i++)
		if (ports_add(c, acc, &x->p[i]) < 0)
			return -EINVAL;
	return 0;
}

static int ports_intersect(struct np_ctx *c, const struct np_ports *a, const struct np_ports *b,
			   struct np_ports *out)
{
	out->n = 0;
	if (ports_is_all(a) || ports_is_all(b)) {
		*out = ports_is_all(a) ? *b : *a;
		return 0;
	}
	for (size_t i = 0; i < a->n; i++) {
		for (size_t j = 0; j < b->n; j++) {
			struct policy_port x = a->p[i];

			if (x.proto != b->p[j].proto)
				continue;
			x.lo = x.lo > b->p[j].lo ? x.lo : b->p[j].lo;
			x.hi = x.hi < b->p[j].hi ? x.hi : b->p[j].hi;
			if (x.lo <= x.hi && ports_add(c, out, &x) < 0)
				return -EINVAL;
		}
	}
	return 0;
}

static int parse_port(struct np_ctx *c, json_t *j, const char *path, struct policy_port *out)
{
	const char *proto = json_string_value(json_object_get(j, "protocol"));
	json_t *port = json_object_get(j, "port"), *end = json_object_get(j, "endPort");

	if (!json_is_object(j))
		return np_fail(c, "%s: want protocol/port/endPort", path);
	if (!proto)
		proto = "TCP";
	if (!strcmp(proto, "TCP"))
		out->proto = POLICY_PORT_TCP;
	else if (!strcmp(proto, "UDP"))
		out->proto = POLICY_PORT_UDP;
	else
		return np_fail(c, "%s.protocol: %.16s is not supported (TCP or UDP)", path, proto);
	if (json_is_string(port))
		return np_fail(c, "%s.port: named ports are not supported", path);
	if (port && (!json_is_integer(port) || json_integer_value(port) < 1 ||
		     json_integer_value(port) > 65535))
		return np_fail(c, "%s.port: want 1..65535", path);
	out->lo = port ? (uint16_t)json_integer_value(port) : 0; /* 0-65535 = "tcp/any" */
	out->hi = port ? out->lo : 65535;
	if (end && (!port || !json_is_integer(end) || json_integer_value(end) < out->lo ||
		    json_integer_value(end) > 65535))
		return np_fail(c, "%s.endPort: want port..65535 (and a port)", path);
	if (end)
		out->hi = (uint16_t)json_integer_value(end);
	return 0;
}

/* A rule's ports; absent or empty = all traffic. */
static int rule_ports(struct np_ctx *c, json_t *rule, const char *path, struct np_ports *out)
{
	json_t *ports = json_object_get(rule, "ports"), *p;
	char sub[512];
	size_t i;

	if (!json_array_size(ports)) {
		if (ports && !json_is_array(ports))
			return np_fail(c, "%s.ports: want a list", path);
		ports_all(out);
		return 0;
	}
	out->n = 0;
	json_array_foreach(ports, i, p) {
		struct policy_port x;

		snprintf(sub, sizeof(sub), "%s.ports[%zu]", path, i);
		if (parse_port(c, p, sub, &x) < 0 || ports_add(c, out, &x) < 0)
			return -EINVAL;
	}
	return 0;
}

/* ---- peers ---- */

static int check_peer(struct np_ctx *c, json_t *peer, const char *path)
{
	json_t *pod = json_object_get(peer, "podSelector"), *ipb = json_object_get(peer, "ipBlock");
	json_t *ns = json_object_get(peer, "namespaceSelector"), *v;
	struct np_block b;
	char sub[600];
	const char *k;

	if (!json_is_object(peer))
		return np_fail(c, "%s: want podSelector, namespaceSelector or ipBlock", path);
	json_object_foreach(peer, k, v)
		if (strcmp(k, "podSelector") && strcmp(k, "namespaceSelector") &&
		    strcmp(k, "ipBlock"))
			return np_fail(c, "%s: unknown key '%.32s'", path, k);
	if (ipb && (pod || ns))
		return np_fail(c, "%s: ipBlock cannot be combined with selectors", path);
	if (!ipb && !pod && !ns)
		return np_fail(c, "%s: want podSelector, namespaceSelector or ipBlock", path);
	snprintf(sub, sizeof(sub), "%s.ipBlock", path);
	if (ipb)
		return parse_block(c, ipb, sub, &b);
	snprintf(sub, sizeof(sub), "%s.podSelector", path);
	if (pod && check_sel(c, pod, sub) < 0)
		return -EINVAL;
	snprintf(sub, sizeof(sub), "%s.namespaceSelector", path);
	return ns ? check_sel(c, ns, sub) : 0;
}

/* Does a (checked) peer select workload w?  ns = the policy's namespace. */
static bool peer_has(struct np_ctx *c, json_t *peer, const char *ns, const struct workload *w)
{
	json_t *pod = json_object_get(peer, "podSelector"), *ipb = json_object_get(peer, "ipBlock");
	json_t *nsel = json_object_get(peer, "namespaceSelector");
	const struct policy_workload *pw;
	struct np_block b;

	if (ipb) {
		pw = policy_workload_find_name(c->d->model, w->name);
		if (!pw || parse_block(c, ipb, "", &b) < 0)
			return false;
		for (size_t i = 0; i < pw->n_addrs; i++)
			if (block_has(&b, &pw->addrs[i]))
				return true;
		return false;
	}
	if (nsel ? !sel_match(nsel, w, ns_label) : strcmp(wl_namespace(w), ns))
		return false;
	return !pod || sel_match(pod, w, pod_label);
}

/* ---- policies ---- */

struct np_policy {
	json_t *doc;
	char path[32]; /* docs[i] */
	const char *ns;
	json_t *pod_sel;
	json_t *dir_rules[2]; /* POLICY_INGRESS: spec.ingress, POLICY_EGRESS: spec.egress */
	bool isolates[2];
};

static const char *const dir_keys[2] = {"egress", "ingress"}; /* by enum policy_dir */
static const char *const peer_keys[2] = {"to", "from"};

static int check_rules(struct np_ctx *c, struct np_policy *p, int dir)
{
	json_t *rules = p->dir_rules[dir], *r, *peers, *peer, *v;
	char path[256], sub[512];
	struct np_ports ports;
	const char *k;
	size_t i, j;

	if (rules && !json_is_array(rules))
		return np_fail(c, "%s.spec.%s: want a list", p->path, dir_keys[dir]);
	json_array_foreach(rules, i, r) {
		snprintf(path, sizeof(path), "%s.spec.%s[%zu]", p->path, dir_keys[dir], i);
		if (!json_is_object(r))
			return np_fail(c, "%s: want a mapping", path);
		json_object_foreach(r, k, v)
			if (strcmp(k, "ports") && strcmp(k, peer_keys[dir]))
				return np_fail(c, "%s: unknown key '%.32s'", path, k);
		if (rule_ports(c, r, path, &ports) < 0)
			return -EINVAL;
		peers = json_object_get(r, peer_keys[dir]);
		if (peers && !json_is_array(peers))
			return np_fail(c, "%s.%s: want a list", path, peer_keys[dir]);
		json_array_foreach(peers, j, peer) {
			snprintf(sub, sizeof(sub), "%s.%s[%zu]", path, peer_keys[dir], j);
			if (check_peer(c, peer, sub) < 0)
				return -EINVAL;
		}
	}
	return 0;
}

static int policy_types(struct np_ctx *c, struct np_policy *p, json_t *spec)
{
	json_t *types = json_object_get(spec, "policyTypes"), *t;
	size_t i;

	if (!types) {
		/* Kubernetes' default: Ingress always, Egress when there are egress rules. */
		p->isolates[POLICY_INGRESS] = true;
		p->isolates[POLICY_EGRESS] = json_object_get(spec, "egress") != NULL;
		return 0;
	}
	if (!json_is_array(types))
		return np_fail(c, "%s.spec.policyTypes: want a list", p->path);
	json_array_foreach(types, i, t) {
		const char *s = json_string_value(t);

		if (s && !strcmp(s, "Ingress"))
			p->isolates[POLICY_INGRESS] = true;
		else if (s && !strcmp(s, "Egress"))
			p->isolates[POLICY_EGRESS] = true;
		else
			return np_fail(c, "%s.spec.policyTypes[%zu]: want Ingress or Egress", p->path, i);
	}
	return 0;
}

static int parse_policy(struct np_ctx *c, json_t *doc, size_t idx, struct np_policy *p)
{
	json_t *spec = json_object_get(doc, "spec"), *meta = json_object_get(doc, "metadata"), *v;
	char sub[64];
	const char *k;

	memset(p, 0, sizeof(*p));
	p->doc = doc;
	snprintf(p->path, sizeof(p->path), "docs[%zu]", idx);
	if (!json_is_object(spec))
		return np_fail(c, "%s: want a spec", p->path);
	json_object_foreach(spec, k, v)
		if (strcmp(k, "podSelector") && strcmp(k, "policyTypes") && strcmp(k, "ingress") &&
		    strcmp(k, "egress"))
			return np_fail(c, "%s.spec: unknown key '%.32s'", p->path, k);
	p->ns = json_string_value(json_object_get(meta, "namespace"));
	if (!p->ns)
		p->ns = "default";
	p->pod_sel = json_object_get(spec, "podSelector");
	snprintf(sub, sizeof(sub), "%s.spec.podSelector", p->path);
	if (!p->pod_sel)
		return np_fail(c, "%s.spec: podSelector is required ({} selects every pod)", p->path);
	if (check_sel(c, p->pod_sel, sub) < 0 || policy_types(c, p, spec) < 0)
		return -EINVAL;
	p->dir_rules[POLICY_INGRESS] = json_object_get(spec, "ingress");
	p->dir_rules[POLICY_EGRESS] = json_object_get(spec, "egress");
	return check_rules(c, p, POLICY_INGRESS) < 0 ? -EINVAL : check_rules(c, p, POLICY_EGRESS);
}

static bool selects(const struct np_policy *p, const struct workload *w, int dir)
{
	return p->isolates[dir] && !strcmp(wl_namespace(w), p->ns) &&
	       sel_match(p->pod_sel, w, pod_label);
}

static bool isolated(const struct np_policy *ps, size_t n, const struct workload *w, int dir)
{
	for (size_t i = 0; i < n; i++)
		if (selects(&ps[i], w, dir))
			return true;
	return false;
}

/*
 * What the policies selecting self (in direction dir) allow towards peer: the union of the
 * ports of every rule with a peer that selects it, or with no peers at all.
 */
static int allowed(struct np_ctx *c, const struct np_policy *ps, size_t n,
		   const struct workload *self, const struct workload *peer, int dir,
		   struct np_ports *out)
{
	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *r;
		size_t j;

		if (!selects(&ps[i], self, dir))
			continue;
		json_array_foreach(ps[i].dir_rules[dir], j, r) {
			json_t *peers = json_object_get(r, peer_keys[dir]), *pe;
			bool hit = json_array_size(peers) == 0;
			struct np_ports rp;
			size_t k;

			json_array_foreach(peers, k, pe)
				hit |= peer_has(c, pe, ps[i].ns, peer);
			if (hit && (rule_ports(c, r, "", &rp) < 0 || ports_union(c, out, &rp) < 0))
				return -EINVAL;
		}
	}
	return 0;
}

/* ---- output ---- */

static int add_rule(struct np_ctx *c, const char *from, const char *to,
		    const struct np_ports *p, const char *action)
{
	char ports[POLICY_PORTS_STRLEN];

	if (c->next_id > POLICY_USER_ID_MAX)
		return np_fail(c, "the policies need more than %u rules", POLICY_USER_ID_MAX);
	if (!p || ports_is_all(p))
		snprintf(ports, sizeof(ports), "any");
	else if (policy_ports_format(p->p, p->n, ports, sizeof(ports)) < 0)
		return np_fail(c, "port list too long between %s and %s", from, to);
	json_array_append_new(c->rules, json_pack("{s:I, s:s, s:s, s:s, s:[], s:s, s:b}", "id",
						  (json_int_t)c->next_id++, "from", from, "to",
						  to, "ports", ports, "apps", "action", action,
						  "learned", 0));
	return 0;
}

/* Step 1: one decision per ordered workload pair with an isolated end. */
static int pair_rules(struct np_ctx *c, const struct np_policy *ps, size_t n)
{
	for (struct workload *cl = c->d->workloads; cl; cl = cl->next) {
		for (struct workload *sv = c->d->workloads; sv; sv = sv->next) {
			bool out_iso = isolated(ps, n, cl, POLICY_EGRESS);
			bool in_iso = isolated(ps, n, sv, POLICY_INGRESS);
			struct np_ports e, i, both;

			if (cl == sv || (!out_iso && !in_iso))
				continue;
			ports_all(&e);
			ports_all(&i);
			if ((out_iso && allowed(c, ps, n, cl, sv, POLICY_EGRESS, &e) < 0) ||
			    (in_iso && allowed(c, ps, n, sv, cl, POLICY_INGRESS, &i) < 0) ||
			    ports_intersect(c, &e, &i, &both) < 0)
				return -EINVAL;
			if (both.n && add_rule(c, cl->name, sv->name, &both, "allow") < 0)
				return -EINVAL;
			if (!ports_is_all(&both) &&
			    add_rule(c, cl->name, sv->name, NULL, "deny") < 0)
				return -EINVAL;
		}
	}
	return 0;
}

/* Step 2 for one isolated workload: its rules' ipBlocks and "every peer" rules. */
static int external_allows(struct np_ctx *c, const struct np_policy *ps, size_t n,
			   const struct workload *w, int dir)
{
	bool out = dir == POLICY_EGRESS;

	for (size_t i = 0; i < n; i++) {
		json_t *r;
		size_t j;

		if (!selects(&ps[i], w, dir))
			continue;
		json_array_foreach(ps[i].dir_rules[dir], j, r) {
			json_t *peers = json_object_get(r, peer_keys[dir]), *pe, *ipb;
			struct np_ports rp;
			struct np_block b;
			const char *other;
			size_t k;

			if (rule_ports(c, r, "", &rp) < 0)
				return -EINVAL;
			if (!json_array_size(peers) &&
			    add_rule(c, out ? w->name : "any", out ? "any" : w->name, &rp, "allow") < 0)
				return -EINVAL;
			json_array_foreach(peers, k, pe) {
				if (!(ipb = json_object_get(pe, "ipBlock")))
					continue;
				parse_block(c, ipb, "", &b);
				other = block_group(c, &b);
				if (add_rule(c, out ? w->name : other, out ? other : w->name, &rp,
					     "allow") < 0)
					return -EINVAL;
			}
		}
	}
	return 0;
}

static int external_rules(struct np_ctx *c, const struct np_policy *ps, size_t n)
{
	for (int deny = 0; deny < 2; deny++) {
		for (struct workload *w = c->d->workloads; w; w = w->next) {
			for (int dir = 0; dir < 2; dir++) {
				const char *from = dir == POLICY_EGRESS ? w->name : "any";
				const char *to = dir == POLICY_EGRESS ? "any" : w->name;

				if (!isolated(ps, n, w, dir))
					continue;
				if (deny ? add_rule(c, from, to, NULL, "deny")
					 : external_allows(c, ps, n, w, dir))
					return -EINVAL;
			}
		}
	}
	return 0;
}

int netpol_translate(struct bh_daemon *d, json_t *docs, json_t **out, char *err, size_t errlen)
{
	struct np_ctx c = {.d = d, .err = err, .errlen = errlen, .next_id = 1};
	struct np_policy *ps;
	size_t n = json_array_size(docs);
	int rc = 0;

	*out = NULL;
	if (!json_is_array(docs) || !n)
		return np_fail(&c, "no NetworkPolicy documents");
	ps = calloc(n, sizeof(*ps));
	c.groups = json_array();
	c.rules = json_array();
	if (!ps || !c.groups || !c.rules)
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < n; i++)
		rc = parse_policy(&c, json_array_get(docs, i), i, &ps[i]);
	if (!rc)
		rc = pair_rules(&c, ps, n);
	if (!rc)
		rc = external_rules(&c, ps, n);
	if (!rc)
		rc = add_rule(&c, "any", "any", NULL, "allow");
	free(ps);
	if (rc < 0) {
		json_decref(c.groups);
		json_decref(c.rules);
		return rc;
	}
	*out = json_pack("{s:i, s:o, s:o}", "version", 1, "groups", c.groups, "rules", c.rules);
	return *out ? 0 : -ENOMEM;
}
