/*
 * cmd-explain.c - `bulkhead explain`: which rule or mode default decides a
 * session at each end, and why.
 *
 * It asks the very functions the dp asks (policy_eval/policy_explain on a
 * policy compiled from the current model), once for the client's egress and
 * once for the server's ingress, so the answer cannot drift from what is
 * enforced.  A session passes only if every end that is a workload allows it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cmd.h"
#include "ctl-socket.h"
#include "daemon.h"
#include "dp/dp.h"
#include "policy/policy.h"

#define EXPLAIN_LEN 1024

/* One side of the session as typed: a workload name, or an address (maybe a workload's). */
struct operand {
	const struct policy_workload *wl;
	struct policy_addr addr;
	bool has_addr;
};

static const struct policy_workload *owner_of(struct bh_daemon *d, const struct policy_addr *a)
{
	for (size_t i = 0; i < policy_workload_count(d->model); i++) {
		const struct policy_workload *w = policy_workload_at(d->model, i);

		for (size_t j = 0; j < w->n_addrs; j++)
			if (!memcmp(&w->addrs[j], a, sizeof(*a)))
				return w;
	}
	return NULL;
}

static json_t *operand_parse(struct bh_daemon *d, const char *s, const char *what,
			     struct operand *o)
{
	memset(o, 0, sizeof(*o));
	if (!s)
		return ctl_error("explain needs --%s W|IP", what);
	o->wl = policy_workload_find_name(d->model, s);
	if (o->wl)
		return NULL;
	if (policy_addr_parse(s, &o->addr) < 0)
		return ctl_error("--%s %s: no workload by that name and not an IP address", what, s);
	o->has_addr = true;
	o->wl = owner_of(d, &o->addr);
	return NULL;
}

/* A workload operand stands for its first address of the wanted family (IPv4 by default). */
static json_t *operand_addr(struct operand *o, int family)
{
	if (o->has_addr)
		return NULL;
	for (size_t i = 0; i < o->wl->n_addrs; i++) {
		if (o->wl->addrs[i].family == family) {
			o->addr = o->wl->addrs[i];
			o->has_addr = true;
			return NULL;
		}
	}
	return ctl_error("workload %s has no %s address", o->wl->name,
			 family == AF_INET ? "IPv4" : "IPv6");
}

/* "tcp/80", "udp/53", "icmp": exactly one protocol and (for tcp/udp) one port. */
static json_t *port_parse(const char *spec, uint8_t *proto, uint16_t *port)
{
	struct policy_port p[2];
	char err[256] = "";
	size_t n = 0;

	if (!spec)
		return ctl_error("explain needs --port SPEC (tcp/80, udp/53, icmp)");
	if (policy_ports_parse(spec, p, 2, &n, err, sizeof(err)) < 0)
		return ctl_error("%s", err);
	if (n != 1 || p[0].proto == POLICY_PORT_ANY ||
	    (p[0].proto != POLICY_PORT_ICMP && p[0].lo != p[0].hi))
		return ctl_error("--port %s: explain needs one protocol and port (tcp/80, udp/53, "
				 "icmp)", spec);
	*proto = p[0].proto == POLICY_PORT_TCP	 ? POLICY_PROTO_TCP
		 : p[0].proto == POLICY_PORT_UDP ? POLICY_PROTO_UDP
						 : POLICY_PROTO_ICMP;
	*port = p[0].proto == POLICY_PORT_ICMP ? 0 : p[0].lo;
	return NULL;
}

static json_t *end_json(const struct policy *p, const struct policy_query *q, const char *name,
			bool *allowed)
{
	struct policy_verdict v;
	char text[EXPLAIN_LEN];
	int rc = policy_eval(p, q, &v);

	if (rc < 0 || policy_explain(p, q, text, sizeof(text)) < 0)
		return NULL;
	*allowed = *allowed && v.action == POLICY_ALLOW;
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:b, s:b, s:s, s:s}", "end",
			 q->dir == POLICY_EGRESS ? "egress" : "ingress", "workload", name, "mode",
			 bh_mode_name(v.mode), "rule_id",
			 v.rule_id ? json_integer(v.rule_id) : json_string("default"), "action",
			 v.action == POLICY_ALLOW ? "allow" : "block", "violation", v.violation,
			 "learn", v.learn, "reason", v.reason, "explain", text);
}

static json_t *explain_ends(struct bh_daemon *d, const struct operand *from,
			    const struct operand *to, uint8_t proto, uint16_t port, uint8_t app)
{
	/* Resolved names as the dp holds them now: FQDN groups explain as they enforce. */
	struct policy_query q = {
	    .proto = proto, .port = port, .app = app, .fqdn = dp_fqdn_src(d->dp)};
	json_t *ends = json_array(), *e;
	struct policy *p = NULL;
	bool allowed = true;

	if (policy_compile(d->model, &p) < 0)
		return ctl_error("policy compile failed");
	if (from->wl) {
		q.wl_id = from->wl->id;
		q.dir = POLICY_EGRESS;
		q.peer = to->addr;
		json_array_append_new(ends, end_json(p, &q, from->wl->name, &allowed));
	}
	if (to->wl) {
		q.wl_id = to->wl->id;
		q.dir = POLICY_INGRESS;
		q.peer = from->addr;
		json_array_append_new(ends, end_json(p, &q, to->wl->name, &allowed));
	}
	policy_free(p);
	e = json_pack("{s:o, s:s}", "ends", ends, "verdict", allowed ? "allow" : "block");
	return ctl_ok(e);
}

/* Say which addresses were used: a workload operand stands for one of several. */
static void explain_echo(json_t *r, const struct operand *from, const struct operand *to,
			 const char *app)
{
	char a[64], b[64];

	policy_addr_format(&from->addr, a, sizeof(a));
	policy_addr_format(&to->addr, b, sizeof(b));
	json_object_set_new(r, "from_addr", json_string(a));
	json_object_set_new(r, "to_addr", json_string(b));
	json_object_set_new(r, "from", from->wl ? json_string(from->wl->name) : json_string(a));
	json_object_set_new(r, "to", to->wl ? json_string(to->wl->name) : json_string(b));
	if (!app)
		json_object_set_new(r, "app_note",
				    json_string("no --app: as at session start, before DPI names the "
						"app (rules with apps allow provisionally)"));
}

json_t *cmd_explain(struct bh_daemon *d, json_t *req)
{
	struct operand from, to;
	const char *app = req_str(req, "app");
	enum bh_app app_id = BH_APP_PENDING;
	uint16_t port = 0;
	uint8_t proto = 0;
	json_t *e, *resp;
	int family;

	if (app && strcmp(app, "unknown") && policy_app_parse(app, &app_id))
		return ctl_error("unknown app (see `bulkhead apps`)");
	if (app && !strcmp(app, "unknown"))
		app_id = BH_APP_UNKNOWN;
	if ((e = operand_parse(d, req_str(req, "from"), "from", &from)) ||
	    (e = operand_parse(d, req_str(req, "to"), "to", &to)) ||
	    (e = port_parse(req_str(req, "port"), &proto, &port)))
		return e;
	if (!from.wl && !to.wl)
		return ctl_error("neither end is a workload: no policy applies");
	family = from.has_addr ? from.addr.family : to.has_addr ? to.addr.family : AF_INET;
	if ((e = operand_addr(&from, family)) || (e = operand_addr(&to, family)))
		return e;
	if (from.addr.family != to.addr.family)
		return ctl_error("--from and --to are of different address families");
	resp = explain_ends(d, &from, &to, proto, port, (uint8_t)app_id);
	if (json_is_true(json_object_get(resp, "ok")))
		explain_echo(json_object_get(resp, "result"), &from, &to, app);
	return resp;
}
