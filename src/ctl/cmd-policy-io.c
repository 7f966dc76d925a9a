/*
 * cmd-policy-io.c - `policy export` and `policy import` over the control socket.
 *
 * The CLI owns the file (the daemon never opens a path a user names) and
 * speaks JSON here: a policy document shaped like policy.json plus the
 * workloads' modes, or Kubernetes NetworkPolicy objects that netpol.c turns
 * into such a document.  Import is all or nothing: the document is first
 * built into a fresh model through the policy library, the modes are checked,
 * and only then are the daemon's groups and rules replaced and the modes set.
 * An error names the path of the bad item ("rules[3]: ..."), which the CLI
 * turns into a line of the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ctl-socket.h"
#include "daemon.h"
#include "log.h"
#include "netpol.h"
#include "policy/policy.h"

/* ---- export ---- */

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct workload *const *)a)->name, (*(struct workload *const *)b)->name);
}

/* {"name": "mode", ...} sorted by name, so two exports of one state are the same text. */
static json_t *modes_json(struct bh_daemon *d)
{
	struct workload **v;
	json_t *modes = json_object();
	size_t n = 0, i = 0;

	for (struct workload *w = d->workloads; w; w = w->next)
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v || !modes) {
		free(v);
		json_decref(modes);
		return NULL;
	}
	for (struct workload *w = d->workloads; w; w = w->next)
		v[i++] = w;
	qsort(v, n, sizeof(*v), by_name);
	for (i = 0; i < n; i++)
		json_object_set_new(modes, v[i]->name,
				    json_string(bh_mode_name((enum bh_mode)v[i]->mode)));
	free(v);
	return modes;
}

json_t *cmd_policy_export(struct bh_daemon *d, json_t *req)
{
	json_t *doc = policy_model_to_json(d->model), *modes = modes_json(d);

	(void)req;
	if (!doc || !modes) {
		json_decref(doc);
		json_decref(modes);
		return ctl_error("out of memory");
	}
	json_object_set_new(doc, "modes", modes);
	return ctl_ok(doc);
}

/* ---- import ---- */

struct mode_change {
	struct workload *w;
	enum bh_mode mode;
};

/* Modes of known workloads; names of unknown ones go to *skipped (another host's workloads). */
static json_t *modes_check(struct bh_daemon *d, json_t *modes, struct mode_change **out,
			   size_t *n, json_t *skipped)
{
	const char *name;
	json_t *v;

	*out = NULL;
	*n = 0;
	if (!modes)
		return NULL;
	if (!json_is_object(modes))
		return ctl_error("modes: want a mapping of workload name to mode");
	*out = calloc(json_object_size(modes) + 1, sizeof(**out));
	if (!*out)
		return ctl_error("out of memory");
	json_object_foreach(modes, name, v) {
		struct mode_change *c = &(*out)[*n];

		if (!json_string_value(v) || bh_mode_parse(json_string_value(v), &c->mode) < 0) {
			free(*out);
			*out = NULL;
			return ctl_error("modes.%s: unknown mode (discover|monitor|protect|quarantine)",
					 name);
		}
		c->w = wl_find(d, name);
		if (c->w)
			(*n)++;
		else
			json_array_append_new(skipped, json_string(name));
	}
	return NULL;
}

static bool name_known(struct bh_daemon *d, const struct policy_model *m, const char *name)
{
	return !strcmp(name, "any") || !strcmp(name, "external") || policy_group_find(m, name) ||
	       policy_workload_find_name(d->model, name);
}

/* Rule ends that name nothing yet: legal (a workload may come later), but worth a note. */
static json_t *unresolved(struct bh_daemon *d, const struct policy_model *m)
{
	json_t *names = json_array();

	for (size_t i = 0; i < policy_rule_count(m); i++) {
		const struct policy_rule *r = policy_rule_at(m, i);
		const char *ends[2] = {r->from, r->to};

		for (int e = 0; e < 2; e++) {
			bool seen = false;
			json_t *v;
			size_t k;

			if (name_known(d, m, ends[e]))
				continue;
			json_array_foreach(names, k, v)
				seen |= !strcmp(json_string_value(v), ends[e]);
			if (!seen)
				json_array_append_new(names, json_string(ends[e]));
		}
	}
	return names;
}

static json_t *dry_run_result(const struct policy_model *m, json_t *res)
{
	json_t *doc = policy_model_to_json(m);

	json_object_set(res, "groups", json_object_get(doc, "groups"));
	json_object_set(res, "rules", json_object_get(doc, "rules"));
	json_decref(doc);
	json_object_set_new(res, "dry_run", json_true());
	return ctl_ok(res);
}

static json_t *apply(struct bh_daemon *d, json_t *doc, struct mode_change *mc, size_t n,
		     json_t *res)
{
	char err[256] = "";
	json_t *changed = json_array();
	int rc;

	if (policy_model_load_json(d->model, doc, err, sizeof(err)) < 0) {
		json_decref(changed);
		json_decref(res);
		return ctl_error("%s", err);
	}
	for (size_t i = 0; i < n; i++) {
		if (mc[i].w->mode == (int)mc[i].mode)
			continue;
		if (wl_set_mode(d, mc[i].w, mc[i].mode) < 0)
			log_warn("policy import: workload %s: cannot set mode", mc[i].w->name);
		json_array_append_new(changed, json_string(mc[i].w->name));
	}
	json_object_set_new(res, "modes_changed", changed);
	if (n)
		wl_save(d);
	rc = policy_commit(d);
	log_info("policy import: %zu groups, %zu rules", policy_group_count(d->model),
		 policy_rule_count(d->model));
	if (rc < 0) {
		json_decref(res);
		return ctl_error("policy imported but not saved/published: %s", strerror(-rc));
	}
	return ctl_ok(res);
}

/* Validate everything, then (unless dry_run) replace groups and rules and set modes. */
static json_t *import_doc(struct bh_daemon *d, json_t *doc, json_t *modes, bool dry_run,
			  json_t *res)
{
	struct policy_model *fresh = NULL;
	struct mode_change *mc = NULL;
	char err[256] = "";
	json_t *e, *skipped = json_array();
	size_t n;

	json_object_set_new(res, "modes_skipped", skipped);
	if ((e = modes_check(d, modes, &mc, &n, skipped))) {
		json_decref(res);
		return e;
	}
	if (policy_model_from_json(doc, &fresh, err, sizeof(err)) < 0) {
		free(mc);
		json_decref(res);
		return ctl_error("%s", err);
	}
	json_object_set_new(res, "unresolved", unresolved(d, fresh));
	json_object_set_new(res, "n_groups", json_integer((json_int_t)policy_group_count(fresh)));
	json_object_set_new(res, "n_rules", json_integer((json_int_t)policy_rule_count(fresh)));
	e = dry_run ? dry_run_result(fresh, res) : apply(d, doc, mc, n, res);
	policy_model_free(fresh);
	free(mc);
	return e;
}

json_t *cmd_policy_import(struct bh_daemon *d, json_t *req)
{
	json_t *doc = json_object_get(req, "policy"), *netpols = json_object_get(req, "netpol");
	bool dry_run = json_is_true(json_object_get(req, "dry_run"));
	json_t *res = json_object(), *e, *gen = NULL;
	char err[512] = "";

	if (!doc == !netpols) {
		json_decref(res);
		return ctl_error("policy.import needs exactly one of policy or netpol");
	}
	if (netpols) {
		if (netpol_translate(d, netpols, &gen, err, sizeof(err)) < 0) {
			json_decref(res);
			return ctl_error("%s", err);
		}
		json_object_set_new(res, "netpol",
				    json_integer((json_int_t)json_array_size(netpols)));
		doc = gen;
	}
	e = import_doc(d, doc, netpols ? NULL : json_object_get(req, "modes"), dry_run, res);
	json_decref(gen);
	return e;
}
