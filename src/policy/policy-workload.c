/*
 * policy-workload.c - workloads in the source model: name, groups, addresses, mode.
 *
 * The control plane owns the workload list (workloads.json) and mirrors it here
 * with these setters, because membership of groups and the mode of each end are
 * what the compiled policy needs from it.  An address belongs to at most one
 * workload, so "which workload is this peer" always has one answer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy-int.h"

static size_t wl_pos(const struct policy_model *m, uint32_t id, bool *found)
{
	size_t lo = 0, hi = m->n_wls;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->wls[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < m->n_wls && m->wls[lo].id == id;
	return lo;
}

const struct policy_workload *policy_workload_find(const struct policy_model *m, uint32_t id)
{
	bool found;
	size_t i = wl_pos(m, id, &found);

	return found ? &m->wls[i] : NULL;
}

const struct policy_workload *policy_workload_find_name(const struct policy_model *m,
							const char *name)
{
	for (size_t i = 0; i < m->n_wls; i++) {
		if (!strcmp(m->wls[i].name, name))
			return &m->wls[i];
	}
	return NULL;
}

size_t policy_workload_count(const struct policy_model *m)
{
	return m->n_wls;
}

const struct policy_workload *policy_workload_at(const struct policy_model *m, size_t i)
{
	return i < m->n_wls ? &m->wls[i] : NULL;
}

static int check_addrs(const struct policy_model *m, uint32_t id, const struct policy_addr *addrs,
		       size_t n, char *err, size_t errlen)
{
	char buf[64];

	if (n > POLICY_WL_ADDRS_MAX) {
		policy_err(err, errlen, "too many addresses (max %d)", POLICY_WL_ADDRS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!policy_addr_valid(&addrs[i])) {
			policy_err(err, errlen, "address %zu: bad family %u", i, addrs[i].family);
			return -EINVAL;
		}
		for (size_t w = 0; w < m->n_wls; w++) {
			const struct policy_workload *o = &m->wls[w];

			if (o->id == id)
				continue;
			for (size_t j = 0; j < o->n_addrs; j++) {
				if (!policy_addr_equal(&o->addrs[j], &addrs[i]))
					continue;
				policy_addr_format(&addrs[i], buf, sizeof(buf));
				policy_err(err, errlen, "address %s belongs to workload %s", buf,
					   o->name);
				return -EADDRINUSE;
			}
		}
	}
	return 0;
}

static int check_groups(const struct policy_workload_spec *spec, char *err, size_t errlen)
{
	if (spec->n_groups > POLICY_WL_GROUPS_MAX) {
		policy_err(err, errlen, "too many groups (max %d)", POLICY_WL_GROUPS_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < spec->n_groups; i++) {
		const char *g = spec->groups[i];

		if (!policy_name_valid(g) || policy_name_reserved(g)) {
			policy_err(err, errlen, "bad group name '%.64s' for workload %s",
				   g ? g : "(null)", spec->name);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_spec(const struct policy_model *m, const struct policy_workload_spec *spec,
		      char *err, size_t errlen)
{
	const struct policy_workload *o;

	if (!policy_name_valid(spec->name) || policy_name_reserved(spec->name)) {
		policy_err(err, errlen, "bad workload name '%.64s'",
			   spec->name ? spec->name : "(null)");
		return -EINVAL;
	}
	if ((unsigned)spec->mode >= BH_MODE__MAX) {
		policy_err(err, errlen, "bad mode %d", (int)spec->mode);
		return -EINVAL;
	}
	o = policy_workload_find_name(m, spec->name);
	if (o && o->id != spec->id) {
		policy_err(err, errlen, "workload %s exists with id %u", spec->name, o->id);
		return -EEXIST;
	}
	if (check_groups(spec, err, errlen))
		return -EINVAL;
	return check_addrs(m, spec->id, spec->addrs, spec->n_addrs, err, errlen);
}

static int dup_addrs(const struct policy_addr *addrs, size_t n, struct policy_addr **out)
{
	*out = NULL;
	if (!n)
		return 0;
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	memcpy(*out, addrs, n * sizeof(*addrs));
	return 0;
}

static int build(const struct policy_workload_spec *spec, struct policy_workload *w)
{
	memset(w, 0, sizeof(*w));
	w->id = spec->id;
	strcpy(w->name, spec->name);
	w->mode = spec->mode;
	w->groups = policy_strv_dup(spec->groups, spec->n_groups);
	if (spec->n_groups && !w->groups)
		return -ENOMEM;
	w->n_groups = spec->n_groups;
	if (dup_addrs(spec->addrs, spec->n_addrs, &w->addrs)) {
		policy_workload_clear(w);
		return -ENOMEM;
	}
	w->n_addrs = spec->n_addrs;
	return 0;
}

int policy_workload_set(struct policy_model *m, const struct policy_workload_spec *spec, char *err,
			size_t errlen)
{
	struct policy_workload w;
	bool found;
	size_t i;
	int ret;

	ret = check_spec(m, spec, err, errlen);
	if (ret)
		return ret;
	if (build(spec, &w))
		return -ENOMEM;
	i = wl_pos(m, spec->id, &found);
	if (found) {
		policy_workload_clear(&m->wls[i]);
	} else {
		if (policy_grow((void **)&m->wls, &m->cap_wls, m->n_wls + 1, sizeof(w))) {
			policy_workload_clear(&w);
			return -ENOMEM;
		}
		memmove(&m->wls[i + 1], &m->wls[i], (m->n_wls - i) * sizeof(w));
		m->n_wls++;
	}
	m->wls[i] = w;
	m->generation++;
	return 0;
}

int policy_workload_set_mode(struct policy_model *m, uint32_t id, enum bh_mode mode)
{
	bool found;
	size_t i = wl_pos(m, id, &found);

	if (!found)
		return -ENOENT;
	if ((unsigned)mode >= BH_MODE__MAX)
		return -EINVAL;
	m->wls[i].mode = mode;
	m->generation++;
	return 0;
}

int policy_workload_set_addrs(struct policy_model *m, uint32_t id, const struct policy_addr *addrs,
			      size_t n, char *err, size_t errlen)
{
	struct policy_addr *copy;
	bool found;
	size_t i = wl_pos(m, id, &found);
	int ret;

	if (!found) {
		policy_err(err, errlen, "no workload %u", id);
		return -ENOENT;
	}
	ret = check_addrs(m, id, addrs, n, err, errlen);
	if (ret)
		return ret;
	if (dup_addrs(addrs, n, &copy))
		return -ENOMEM;
	free(m->wls[i].addrs);
	m->wls[i].addrs = copy;
	m->wls[i].n_addrs = n;
	m->generation++;
	return 0;
}

int policy_workload_del(struct policy_model *m, uint32_t id)
{
	bool found;
	size_t i = wl_pos(m, id, &found);

	if (!found)
		return -ENOENT;
	policy_workload_clear(&m->wls[i]);
	memmove(&m->wls[i], &m->wls[i + 1], (m->n_wls - i - 1) * sizeof(m->wls[0]));
	m->n_wls--;
	m->generation++;
	return 0;
}
