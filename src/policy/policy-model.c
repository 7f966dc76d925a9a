/*
 * policy-model.c - the source model: groups, rules and workloads.
 *
 * This is what the operator edits and what policy.json stores.  It belongs to
 * the control thread alone; the dp never sees it, only what policy_compile()
 * makes of it.  Every mutator checks everything before it touches the model,
 * so a refused change leaves no trace.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy-int.h"

struct policy_model *policy_model_new(void)
{
	return calloc(1, sizeof(struct policy_model));
}

void policy_group_clear(struct policy_group *g)
{
	free(g->cidrs);
	policy_strv_free(g->fqdns, g->n_fqdns);
	memset(g, 0, sizeof(*g));
}

void policy_rule_clear(struct policy_rule *r)
{
	free(r->ports);
	policy_strv_free(r->apps, r->n_apps);
	memset(r, 0, sizeof(*r));
}

void policy_workload_clear(struct policy_workload *w)
{
	policy_strv_free(w->groups, w->n_groups);
	free(w->addrs);
	memset(w, 0, sizeof(*w));
}

void policy_model_free(struct policy_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_groups; i++)
		policy_group_clear(&m->groups[i]);
	for (size_t i = 0; i < m->n_rules; i++)
		policy_rule_clear(&m->rules[i]);
	for (size_t i = 0; i < m->n_wls; i++)
		policy_workload_clear(&m->wls[i]);
	free(m->groups);
	free(m->rules);
	free(m->wls);
	free(m);
}

uint64_t policy_model_generation(const struct policy_model *m)
{
	return m->generation;
}

/* Sorted-array lookups: return the insertion point, *found if it holds the key. */
static size_t group_pos(const struct policy_model *m, const char *name, bool *found)
{
	size_t lo = 0, hi = m->n_groups;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(m->groups[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < m->n_groups && !strcmp(m->groups[lo].name, name);
	return lo;
}

static size_t rule_pos(const struct policy_model *m, uint32_t id, bool *found)
{
	size_t lo = 0, hi = m->n_rules;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->rules[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < m->n_rules && m->rules[lo].id == id;
	return lo;
}

/* ---- groups ---- */

const struct policy_group *policy_group_find(const struct policy_model *m, const char *name)
{
	bool found;
	size_t i = group_pos(m, name, &found);

	return found ? &m->groups[i] : NULL;
}

size_t policy_group_count(const struct policy_model *m)
{
	return m->n_groups;
}

const struct policy_group *policy_group_at(const struct policy_model *m, size_t i)
{
	return i < m->n_groups ? &m->groups[i] : NULL;
}

static int group_build_cidrs(const struct policy_group_spec *spec, struct policy_group *g,
			     char *err, size_t errlen)
{
	int ret;

	if (spec->n_cidrs > POLICY_CIDRS_MAX) {
		policy_err(err, errlen, "group %s: too many CIDRs (max %d)", spec->name,
			   POLICY_CIDRS_MAX);
		return -EINVAL;
	}
	if (!spec->n_cidrs)
		return 0;
	g->cidrs = calloc(spec->n_cidrs, sizeof(*g->cidrs));
	if (!g->cidrs)
		return -ENOMEM;
	for (size_t i = 0; i < spec->n_cidrs; i++) {
		ret = policy_cidr_parse(spec->cidrs[i], &g->cidrs[i], err, errlen);
		if (ret)
			return ret;
	}
	g->n_cidrs = spec->n_cidrs;
	return 0;
}

static int group_build_fqdns(const struct policy_group_spec *spec, struct policy_group *g,
			     char *err, size_t errlen)
{
	if (spec->n_fqdns > POLICY_FQDNS_MAX) {
		policy_err(err, errlen, "group %s: too many FQDN patterns", spec->name);
		return -EINVAL;
	}
	for (size_t i = 0; i < spec->n_fqdns; i++) {
		char norm[POLICY_FQDN_LEN + 1], why[160];
		bool wild;

		if (policy_fqdn_parse(spec->fqdns[i], norm, &wild, why, sizeof(why))) {
			policy_err(err, errlen, "group %s: %s", spec->name, why);
			return -EINVAL;
		}
	}
	g->fqdns = policy_strv_dup(spec->fqdns, spec->n_fqdns);
	if (spec->n_fqdns && !g->fqdns)
		return -ENOMEM;
	g->n_fqdns = spec->n_fqdns;
	return 0;
}

/* Validate spec into a fresh g (cleared on error); no model needed. */
int policy_model_group_build(const struct policy_group_spec *spec, struct policy_group *g,
			     char *err, size_t errlen)
{
	int ret;

	memset(g, 0, sizeof(*g));
	if (!policy_name_valid(spec->name)) {
		policy_err(err, errlen, "bad group name '%.64s' (want [A-Za-z0-9_.-]{1,63})",
			   spec->name ? spec->name : "(null)");
		return -EINVAL;
	}
	if (policy_name_reserved(spec->name)) {
		policy_err(err, errlen, "group %s is built in", spec->name);
		return -EINVAL;
	}
	strcpy(g->name, spec->name);
	ret = group_build_cidrs(spec, g, err, errlen);
	if (!ret)
		ret = group_build_fqdns(spec, g, err, errlen);
	if (ret)
		policy_group_clear(g);
	return ret;
}

/* Takes ownership of g on success. */
int policy_model_group_insert(struct policy_model *m, struct policy_group *g, char *err,
			      size_t errlen)
{
	bool found;
	size_t i = group_pos(m, g->name, &found);

	if (found) {
		policy_err(err, errlen, "group %s exists", g->name);
		return -EEXIST;
	}
	if (policy_grow((void **)&m->groups, &m->cap_groups, m->n_groups + 1, sizeof(*g)))
		return -ENOMEM;
	memmove(&m->groups[i + 1], &m->groups[i], (m->n_groups - i) * sizeof(*g));
	m->groups[i] = *g;
	m->n_groups++;
	m->generation++;
	return 0;
}

int policy_group_add(struct policy_model *m, const struct policy_group_spec *spec, char *err,
		     size_t errlen)
{
	struct policy_group g;
	int ret;

	ret = policy_model_group_build(spec, &g, err, errlen);
	if (ret)
		return ret;
	ret = policy_model_group_insert(m, &g, err, errlen);
	if (ret)
		policy_group_clear(&g);
	return ret;
}

static const struct policy_rule *rule_using(const struct policy_model *m, const char *name)
{
	for (size_t i = 0; i < m->n_rules; i++) {
		if (!strcmp(m->rules[i].from, name) || !strcmp(m->rules[i].to, name))
			return &m->rules[i];
	}
	return NULL;
}

int policy_group_del(struct policy_model *m, const char *name, char *err, size_t errlen)
{
	const struct policy_rule *r;
	bool found;
	size_t i;

	if (name && policy_name_reserved(name)) {
		policy_err(err, errlen, "group %s is built in", name);
		return -EINVAL;
	}
	i = name ? group_pos(m, name, &found) : 0;
	if (!name || !found) {
		policy_err(err, errlen, "no group %.64s", name ? name : "(null)");
		return -ENOENT;
	}
	r = rule_using(m, name);
	if (r) {
		policy_err(err, errlen, "group %s is used by rule %u", name, r->id);
		return -EBUSY;
	}
	policy_group_clear(&m->groups[i]);
	memmove(&m->groups[i], &m->groups[i + 1], (m->n_groups - i - 1) * sizeof(m->groups[0]));
	m->n_groups--;
	m->generation++;
	return 0;
}

/* ---- rules ---- */

const struct policy_rule *policy_rule_find(const struct policy_model *m, uint32_t id)
{
	bool found;
	size_t i = rule_pos(m, id, &found);

	return found ? &m->rules[i] : NULL;
}

struct policy_rule *policy_model_rule_mut(struct policy_model *m, uint32_t id)
{
	bool found;
	size_t i = rule_pos(m, id, &found);

	return found ? &m->rules[i] : NULL;
}

size_t policy_rule_count(const struct policy_model *m)
{
	return m->n_rules;
}

const struct policy_rule *policy_rule_at(const struct policy_model *m, size_t i)
{
	return i < m->n_rules ? &m->rules[i] : NULL;
}

/* Appending at the end (ids grow), so 0 means "none left" for either range. */
uint32_t policy_model_next_user_id(const struct policy_model *m)
{
	bool found;
	size_t i = rule_pos(m, POLICY_USER_ID_MAX + 1, &found);
	uint32_t last = i ? m->rules[i - 1].id : 0;

	return last < POLICY_USER_ID_MAX ? last + 1 : 0;
}

uint32_t policy_model_next_learn_id(const struct policy_model *m)
{
	uint32_t last = m->n_rules ? m->rules[m->n_rules - 1].id : 0;

	if (last < POLICY_LEARN_ID_MIN)
		return POLICY_LEARN_ID_MIN;
	return last < UINT32_MAX ? last + 1 : 0;
}

bool policy_model_name_known(const struct policy_model *m, const char *name)
{
	return policy_name_reserved(name) || policy_group_find(m, name) ||
	       policy_workload_find_name(m, name);
}

static int rule_build_apps(const struct policy_rule_spec *spec, struct policy_rule *r, char *err,
			   size_t errlen)
{
	if (spec->n_apps > POLICY_APPS_MAX) {
		policy_err(err, errlen, "too many apps (max %d)", POLICY_APPS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < spec->n_apps; i++) {
		enum bh_app app;

		if (!policy_name_valid(spec->apps[i])) {
			policy_err(err, errlen, "bad app name '%.64s'",
				   spec->apps[i] ? spec->apps[i] : "(null)");
			return -EINVAL;
		}
		if (policy_app_parse(spec->apps[i], &app)) {
			policy_err(err, errlen, "unknown app '%s' (see `bulkhead apps`)",
				   spec->apps[i]);
			return -EINVAL;
		}
	}
	r->apps = policy_strv_dup(spec->apps, spec->n_apps);
	if (spec->n_apps && !r->apps)
		return -ENOMEM;
	r->n_apps = spec->n_apps;
	return 0;
}

static int rule_build_ports(const struct policy_rule_spec *spec, struct policy_rule *r, char *err,
			    size_t errlen)
{
	struct policy_port ports[POLICY_PORTS_MAX];
	size_t n;
	int ret;

	ret = policy_ports_parse(spec->ports, ports, POLICY_PORTS_MAX, &n, err, errlen);
	if (ret)
		return ret;
	r->ports = calloc(n, sizeof(*r->ports));
	if (!r->ports)
		return -ENOMEM;
	memcpy(r->ports, ports, n * sizeof(*ports));
	r->n_ports = n;
	return 0;
}

static int rule_check_names(const struct policy_rule_spec *spec, char *err, size_t errlen)
{
	const char *bad = !policy_name_valid(spec->from) ? spec->from
			  : !policy_name_valid(spec->to) ? spec->to
							 : NULL;

	if (!spec->from || !spec->to) {
		policy_err(err, errlen, "rule needs from and to");
		return -EINVAL;
	}
	if (bad) {
		policy_err(err, errlen, "bad group name '%.64s'", bad);
		return -EINVAL;
	}
	return 0;
}

/* Validate spec into a fresh r (cleared on error); group existence is not checked here. */
int policy_rule_build(const struct policy_rule_spec *spec, struct policy_rule *r, char *err,
		      size_t errlen)
{
	int ret;

	memset(r, 0, sizeof(*r));
	ret = rule_check_names(spec, err, errlen);
	if (ret)
		return ret;
	if (policy_action_parse(spec->action, &r->action)) {
		policy_err(err, errlen, "bad action '%.16s' (want allow or deny)",
			   spec->action ? spec->action : "(null)");
		return -EINVAL;
	}
	if (spec->created < 0 || spec->last_hit < 0) {
		policy_err(err, errlen, "negative timestamp");
		return -EINVAL;
	}
	strcpy(r->from, spec->from);
	strcpy(r->to, spec->to);
	r->id = spec->id;
	r->learned = spec->learned;
	r->created = spec->created;
	r->last_hit = spec->last_hit;
	ret = rule_build_ports(spec, r, err, errlen);
	if (!ret)
		ret = rule_build_apps(spec, r, err, errlen);
	if (ret)
		policy_rule_clear(r);
	return ret;
}

static int rule_assign_id(struct policy_model *m, struct policy_rule *r, char *err, size_t errlen)
{
	if (r->id)
		return 0;
	r->id = r->learned ? policy_model_next_learn_id(m) : policy_model_next_user_id(m);
	if (!r->id) {
		policy_err(err, errlen, "no free %s rule id", r->learned ? "learned" : "user");
		return -ENOSPC;
	}
	return 0;
}

/* Assigns an id when r->id is 0; takes ownership of r on success. */
int policy_model_rule_insert(struct policy_model *m, struct policy_rule *r, char *err,
			     size_t errlen)
{
	bool found;
	size_t i;
	int ret;

	ret = rule_assign_id(m, r, err, errlen);
	if (ret)
		return ret;
	if (r->learned != (r->id >= POLICY_LEARN_ID_MIN)) {
		policy_err(err, errlen, "rule id %u: user ids are 1..%u, learned ids %u and up",
			   r->id, POLICY_USER_ID_MAX, POLICY_LEARN_ID_MIN);
		return -EINVAL;
	}
	i = rule_pos(m, r->id, &found);
	if (found) {
		policy_err(err, errlen, "rule %u exists", r->id);
		return -EEXIST;
	}
	if (policy_grow((void **)&m->rules, &m->cap_rules, m->n_rules + 1, sizeof(*r)))
		return -ENOMEM;
	memmove(&m->rules[i + 1], &m->rules[i], (m->n_rules - i) * sizeof(*r));
	m->rules[i] = *r;
	m->n_rules++;
	m->generation++;
	return 0;
}

static int rule_check_exist(const struct policy_model *m, const struct policy_rule *r, char *err,
			    size_t errlen)
{
	const char *missing = !policy_model_name_known(m, r->from) ? r->from
			      : !policy_model_name_known(m, r->to) ? r->to
								   : NULL;

	if (missing) {
		policy_err(err, errlen, "no group or workload named %s", missing);
		return -ENOENT;
	}
	return 0;
}

int policy_rule_add(struct policy_model *m, const struct policy_rule_spec *spec, uint32_t *out_id,
		    char *err, size_t errlen)
{
	struct policy_rule r;
	int ret;

	ret = policy_rule_build(spec, &r, err, errlen);
	if (ret)
		return ret;
	ret = rule_check_exist(m, &r, err, errlen);
	if (!ret)
		ret = policy_model_rule_insert(m, &r, err, errlen);
	if (ret) {
		policy_rule_clear(&r);
		return ret;
	}
	if (out_id)
		*out_id = r.id;
	return 0;
}

int policy_rule_del(struct policy_model *m, uint32_t id, char *err, size_t errlen)
{
	bool found;
	size_t i = rule_pos(m, id, &found);

	if (!found) {
		policy_err(err, errlen, "no rule %u", id);
		return -ENOENT;
	}
	policy_rule_clear(&m->rules[i]);
	memmove(&m->rules[i], &m->rules[i + 1], (m->n_rules - i - 1) * sizeof(m->rules[0]));
	m->n_rules--;
	m->generation++;
	return 0;
}

/* Hit times are bookkeeping, not policy: no generation bump, no recompile needed. */
int policy_rule_touch(struct policy_model *m, uint32_t id, int64_t now)
{
	bool found;
	size_t i = rule_pos(m, id, &found);

	if (!found)
		return -ENOENT;
	if (now > m->rules[i].last_hit)
		m->rules[i].last_hit = now;
	return 0;
}

/* Move b's groups and rules into a and a's into b; workloads stay where they are. */
void policy_model_swap_policy(struct policy_model *a, struct policy_model *b)
{
	struct policy_model t = *a;

	a->groups = b->groups;
	a->n_groups = b->n_groups;
	a->cap_groups = b->cap_groups;
	a->rules = b->rules;
	a->n_rules = b->n_rules;
	a->cap_rules = b->cap_rules;
	b->groups = t.groups;
	b->n_groups = t.n_groups;
	b->cap_groups = t.cap_groups;
	b->rules = t.rules;
	b->n_rules = t.n_rules;
	b->cap_rules = t.cap_rules;
	a->generation++;
}
