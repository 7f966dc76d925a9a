/*
 * ctl-policy.c - the daemon's policy state: policy.json, the model's copy of
 * the workload table, and publishing compiled policies to the dp.
 *
 * The model is the source of truth and only the control thread touches it.
 * Every change is saved (atomically, so kill -9 keeps either the old or the
 * new file) before it is compiled and handed to the dp, so what enforces is
 * never ahead of what survives a restart.  A policy.json that cannot be read
 * stops the daemon: replacing it with an empty policy would silently open
 * (or, in protect, close) everything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ctl-sig.h"
#include "daemon.h"
#include "dp/dp.h"
#include "log.h"
#include "policy/policy.h"
#include "proxymesh.h"
#include "state.h"

#define POLICY_FILE "policy.json"

int policy_state_load(struct bh_daemon *d, char *err, size_t errlen)
{
	char perr[256] = "";
	json_t *doc = NULL;
	int rc;

	d->model = policy_model_new();
	if (!d->model) {
		snprintf(err, errlen, "policy: out of memory");
		return -ENOMEM;
	}
	rc = state_read_json(d->cfg.state_dir, POLICY_FILE, &doc, perr, sizeof(perr));
	if (rc == -ENOENT)
		return 0;
	if (rc == 0)
		rc = policy_model_load_json(d->model, doc, perr, sizeof(perr));
	json_decref(doc);
	if (rc < 0) {
		snprintf(err, errlen, POLICY_FILE ": %s (refusing to start with an empty policy; "
			 "fix or move %s/" POLICY_FILE ")", perr[0] ? perr : strerror(-rc),
			 d->cfg.state_dir);
		return rc;
	}
	log_info("policy: %zu groups, %zu rules from %s", policy_group_count(d->model),
		 policy_rule_count(d->model), POLICY_FILE);
	return 0;
}

int policy_state_save(struct bh_daemon *d)
{
	json_t *doc = policy_model_to_json(d->model);
	int rc;

	if (!doc)
		return -ENOMEM;
	rc = state_write_json(d->cfg.state_dir, POLICY_FILE, doc);
	json_decref(doc);
	if (rc < 0)
		log_err("write %s/%s: %s", d->cfg.state_dir, POLICY_FILE, strerror(-rc));
	return rc;
}

int policy_publish(struct bh_daemon *d)
{
	struct policy *p = NULL;
	int rc;

	if (!d->dp || !d->model)
		return 0;
	rc = policy_compile(d->model, &p);
	if (rc < 0) {
		/* The dp keeps enforcing the previous policy; the operator sees why. */
		log_err("policy compile: %s", strerror(-rc));
		return rc;
	}
	dp_policy_set(d->dp, p);
	sig_publish(d); /* which signatures apply follows the workloads' groups */
	proxymesh_publish(d);
	log_debug("policy generation %llu published",
		  (unsigned long long)policy_model_generation(d->model));
	return 0;
}

int policy_commit(struct bh_daemon *d)
{
	int rc = policy_state_save(d);
	int prc = policy_publish(d);

	return rc < 0 ? rc : prc;
}

/* IPv6 link-local addresses repeat across every netns: they cannot identify a workload. */
static bool addr_usable(const struct wire_addr *a)
{
	if (a->family == AF_INET)
		return true;
	return a->family == AF_INET6 && !(a->local[0] == 0xfe && (a->local[1] & 0xc0) == 0x80);
}

static size_t wl_addrs(const struct workload *w, struct policy_addr *out, size_t max)
{
	size_t n = 0;

	/* A proxymesh or tapped workload's snapshot is read, not pulled. */
	if (!wl_attached(w) && !w->proxymesh)
		return 0;
	for (int i = 0; i < w->port.orig.naddrs && n < max; i++) {
		const struct wire_addr *a = &w->port.orig.addrs[i];

		if (!addr_usable(a))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].family = a->family;
		memcpy(out[n].a, a->local, a->family == AF_INET ? 4 : 16);
		n++;
	}
	return n;
}

int wl_policy_set(struct bh_daemon *d, const struct workload *w, bool with_addrs, char *err,
		  size_t errlen)
{
	struct policy_addr addrs[WIRE_MAX_ADDRS];
	const char *groups[WL_MAX_GROUPS];
	struct policy_workload_spec spec = {
		.id = w->id, .name = w->name, .groups = groups, .n_groups = (size_t)w->ngroups,
		.addrs = addrs, .mode = (enum bh_mode)w->mode,
	};

	for (int i = 0; i < w->ngroups; i++)
		groups[i] = w->groups[i];
	spec.n_addrs = with_addrs ? wl_addrs(w, addrs, WIRE_MAX_ADDRS) : 0;
	return policy_workload_set(d->model, &spec, err, errlen);
}

void wl_policy_del(struct bh_daemon *d, const struct workload *w)
{
	policy_workload_del(d->model, w->id);
}
