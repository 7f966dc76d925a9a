/*
 * policy-learn.c - discover mode's learned rules, and promoting them to user rules.
 *
 * In discover mode every unmatched session asks for a rule.  Many sessions share
 * one conversation (same client group, server group, proto/port, app), so learning
 * aggregates: one learned allow rule per tuple, and none at all when an allow
 * rule already covers it (the dp may have evaluated an older policy).  A session
 * whose app DPI named learns a rule for that app only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy-int.h"

/*
 * A rule without apps covers every app; one with apps covers the named apps it lists,
 * and a session whose app never became known (PENDING), as eval lets it pass too.
 */
static bool apps_cover(const struct policy_rule *r, uint8_t app)
{
	if (!r->n_apps || app == BH_APP_PENDING)
		return true;
	if (app < BH_APP_FIRST_NAMED || app >= BH_APP__MAX)
		return false;
	for (size_t i = 0; i < r->n_apps; i++)
		if (!strcmp(r->apps[i], policy_app_name(app)))
			return true;
	return false;
}

static const struct policy_rule *find_covering(const struct policy_model *m,
					       const struct policy_learn_req *req)
{
	for (size_t i = 0; i < m->n_rules; i++) {
		const struct policy_rule *r = &m->rules[i];

		if (r->action != POLICY_ACTION_ALLOW || !apps_cover(r, req->app) ||
		    strcmp(r->from, req->from) || strcmp(r->to, req->to))
			continue;
		if (policy_ports_match(r->ports, r->n_ports, req->proto, req->port))
			return r;
	}
	return NULL;
}

/* The narrowest spec that covers the session: tcp/80, udp/53, icmp, or any. */
static int learn_port(const struct policy_learn_req *req, struct policy_port *p, char *err,
		      size_t errlen)
{
	memset(p, 0, sizeof(*p));
	switch (req->proto) {
	case POLICY_PROTO_TCP:
	case POLICY_PROTO_UDP:
		if (!req->port) {
			policy_err(err, errlen, "will not learn port 0");
			return -EINVAL;
		}
		p->proto = req->proto == POLICY_PROTO_TCP ? POLICY_PORT_TCP : POLICY_PORT_UDP;
		p->lo = p->hi = req->port;
		return 0;
	case POLICY_PROTO_ICMP:
		p->proto = POLICY_PORT_ICMP;
		return 0;
	case POLICY_PROTO_OTHER:
		p->proto = POLICY_PORT_ANY;
		p->hi = 65535;
		return 0;
	}
	policy_err(err, errlen, "bad protocol %u", req->proto);
	return -EINVAL;
}

static int check_req(const struct policy_learn_req *req, char *err, size_t errlen)
{
	if (memchr(req->from, 0, sizeof(req->from)) && memchr(req->to, 0, sizeof(req->to)) &&
	    policy_name_valid(req->from) && policy_name_valid(req->to))
		return 0;
	policy_err(err, errlen, "bad learn request names");
	return -EINVAL;
}

int policy_learn(struct policy_model *m, const struct policy_learn_req *req, int64_t now,
		 uint32_t *out_id, bool *created, char *err, size_t errlen)
{
	const struct policy_rule *have;
	struct policy_rule r = {0};
	int ret;

	if (created)
		*created = false;
	ret = check_req(req, err, errlen);
	if (ret)
		return ret;
	have = find_covering(m, req);
	if (have) {
		*out_id = have->id;
		return 0;
	}
	r.ports = calloc(1, sizeof(*r.ports));
	if (!r.ports)
		return -ENOMEM;
	r.n_ports = 1;
	strcpy(r.from, req->from);
	strcpy(r.to, req->to);
	r.action = POLICY_ACTION_ALLOW;
	r.learned = true;
	r.created = r.last_hit = now > 0 ? now : 0;
	ret = learn_port(req, r.ports, err, errlen);
	if (!ret && req->app >= BH_APP_FIRST_NAMED && req->app < BH_APP__MAX) {
		const char *name = policy_app_name(req->app);

		r.apps = policy_strv_dup(&name, 1);
		r.n_apps = r.apps ? 1 : 0;
		ret = r.apps ? 0 : -ENOMEM;
	}
	if (!ret)
		ret = policy_model_rule_insert(m, &r, err, errlen);
	if (ret) {
		policy_rule_clear(&r);
		return ret;
	}
	*out_id = r.id;
	if (created)
		*created = true;
	return 0;
}

/* Re-insert under a user id; the learned copy goes only once the new one is in. */
int policy_rule_promote(struct policy_model *m, uint32_t id, uint32_t *new_id, char *err,
			size_t errlen)
{
	const struct policy_rule *old = policy_rule_find(m, id);
	struct policy_rule r, *mut;
	int ret;

	if (!old) {
		policy_err(err, errlen, "no rule %u", id);
		return -ENOENT;
	}
	if (!old->learned) {
		policy_err(err, errlen, "rule %u is not a learned rule", id);
		return -EINVAL;
	}
	r = *old;
	r.learned = false;
	r.id = policy_model_next_user_id(m);
	if (!r.id) {
		policy_err(err, errlen, "no free user rule id");
		return -ENOSPC;
	}
	ret = policy_model_rule_insert(m, &r, err, errlen);
	if (ret)
		return ret;
	/* The new entry took over ports/apps; forget them in the old one before freeing it. */
	mut = policy_model_rule_mut(m, id);
	mut->ports = NULL;
	mut->apps = NULL;
	mut->n_apps = 0;
	policy_rule_del(m, id, NULL, 0);
	if (new_id)
		*new_id = r.id;
	return 0;
}
