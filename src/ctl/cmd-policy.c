/*
 * cmd-policy.c - mode, group and rule commands over the control socket.
 *
 * The policy library validates every change and leaves the model untouched
 * on error, so a handler only shapes the request, calls it, and on success
 * commits (policy.json, then the dp).  A bad request therefore gets its
 * one-line error with policy.json and the enforced policy exactly as before.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "ctl-socket.h"
#include "daemon.h"
#include "log.h"
#include "policy/policy.h"

#define STRV_MAX 4096

/* A list of strings from the request, borrowed from it; NULL error or an error response. */
static json_t *req_strv(json_t *req, const char *key, const char ***out, size_t *n)
{
	json_t *arr = json_object_get(req, key), *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!arr)
		return NULL;
	if (!json_is_array(arr) || json_array_size(arr) > STRV_MAX)
		return ctl_error("%s must be a list of strings", key);
	*out = calloc(json_array_size(arr) + 1, sizeof(char *));
	if (!*out)
		return ctl_error("out of memory");
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v)) {
			free(*out);
			*out = NULL;
			return ctl_error("%s must be a list of strings", key);
		}
		(*out)[i] = json_string_value(v);
	}
	*n = json_array_size(arr);
	return NULL;
}

/* A rule id from the request: 1..UINT32_MAX. */
static json_t *req_rule_id(json_t *req, const char *key, bool required, uint32_t *id)
{
	json_t *v = json_object_get(req, key);

	*id = 0;
	if (!v && !required)
		return NULL;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > (json_int_t)UINT32_MAX)
		return ctl_error("rule id must be a positive integer");
	*id = (uint32_t)json_integer_value(v);
	return NULL;
}

static json_t *committed(struct bh_daemon *d, json_t *result)
{
	int rc = policy_commit(d);

	if (rc < 0) {
		json_decref(result);
		return ctl_error("policy changed but not saved/published: %s", strerror(-rc));
	}
	return ctl_ok(result);
}

/* ---- mode ---- */

static json_t *mode_apply(struct bh_daemon *d, struct workload *only, enum bh_mode mode)
{
	json_t *changed = json_array();
	char err[256] = "";

	for (struct workload *w = d->workloads; w; w = w->next) {
		if (only && w != only)
			continue;
		if (wl_apply_mode(d, w, mode, err, sizeof(err)) < 0) {
			json_decref(changed);
			policy_publish(d);
			wl_save(d);
			return ctl_error("workload %s: cannot set mode %s: %s", w->name,
					 bh_mode_name(mode), err);
		}
		json_array_append_new(changed, json_pack("{s:s, s:s}", "name", w->name, "mode",
							 bh_mode_name(mode)));
		log_info("workload %s: mode %s", w->name, bh_mode_name(mode));
	}
	policy_publish(d);
	wl_save(d);
	return ctl_ok(changed);
}

json_t *cmd_mode(struct bh_daemon *d, json_t *req)
{
	const char *name = req_str(req, "name"), *mode = req_str(req, "mode");
	bool all = json_is_true(json_object_get(req, "all"));
	struct workload *w = NULL;
	enum bh_mode m;

	if (!mode || bh_mode_parse(mode, &m) < 0)
		return ctl_error("unknown mode %s (discover|monitor|protect|quarantine)",
				 mode ? mode : "(none)");
	if (all == (name != NULL))
		return ctl_error("mode needs a workload name or --all");
	if (name && !(w = wl_find(d, name)))
		return ctl_error("no workload named %s", name);
	return mode_apply(d, w, m);
}

/* ---- groups ---- */

json_t *cmd_group_add(struct bh_daemon *d, json_t *req)
{
	struct policy_group_spec spec = {.name = req_str(req, "name")};
	const char **cidrs = NULL, **fqdns = NULL;
	char err[256] = "";
	json_t *e;
	int rc;

	if (!spec.name)
		return ctl_error("group name required");
	if ((e = req_strv(req, "cidrs", &cidrs, &spec.n_cidrs)))
		return e;
	if ((e = req_strv(req, "fqdns", &fqdns, &spec.n_fqdns))) {
		free(cidrs);
		return e;
	}
	spec.cidrs = cidrs;
	spec.fqdns = fqdns;
	rc = policy_group_add(d->model, &spec, err, sizeof(err));
	free(cidrs);
	free(fqdns);
	if (rc < 0)
		return ctl_error("%s", err);
	return committed(d, policy_group_to_json(policy_group_find(d->model, spec.name)));
}

json_t *cmd_group_rm(struct bh_daemon *d, json_t *req)
{
	const char *name = req_str(req, "name");
	char err[256] = "";

	if (!name)
		return ctl_error("group name required");
	if (policy_group_del(d->model, name, err, sizeof(err)) < 0)
		return ctl_error("%s", err);
	return committed(d, NULL);
}

static json_t *group_members(struct bh_daemon *d, const char *group)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < policy_workload_count(d->model); i++) {
		const struct policy_workload *w = policy_workload_at(d->model, i);

		for (size_t g = 0; g < w->n_groups; g++) {
			if (!strcmp(w->groups[g], group)) {
				json_array_append_new(arr, json_string(w->name));
				break;
			}
		}
	}
	return arr;
}

json_t *cmd_group_list(struct bh_daemon *d, json_t *req)
{
	json_t *arr = json_array();

	(void)req;
	for (size_t i = 0; i < policy_group_count(d->model); i++) {
		const struct policy_group *g = policy_group_at(d->model, i);
		json_t *j = policy_group_to_json(g);

		if (j)
			json_object_set_new(j, "members", group_members(d, g->name));
		json_array_append_new(arr, j);
	}
	return ctl_ok(arr);
}

/* ---- rules ---- */

static json_t *rule_spec_of(json_t *req, struct policy_rule_spec *spec, const char ***apps)
{
	json_t *e;

	memset(spec, 0, sizeof(*spec));
	spec->from = req_str(req, "from");
	spec->to = req_str(req, "to");
	spec->ports = req_str(req, "ports");
	spec->action = req_str(req, "action");
	if (!spec->from || !spec->to)
		return ctl_error("rule needs --from and --to");
	if (!spec->action)
		return ctl_error("rule needs --action allow|deny");
	if (json_object_get(req, "ports") && !spec->ports)
		return ctl_error("ports must be a string");
	if ((e = req_rule_id(req, "id", false, &spec->id)))
		return e;
	if ((e = req_strv(req, "apps", apps, &spec->n_apps)))
		return e;
	spec->apps = *apps;
	return NULL;
}

json_t *cmd_rule_add(struct bh_daemon *d, json_t *req)
{
	struct policy_rule_spec spec;
	const char **apps = NULL;
	char err[256] = "";
	uint32_t id = 0;
	json_t *e;
	int rc;

	if ((e = rule_spec_of(req, &spec, &apps)))
		return e;
	spec.created = (int64_t)time(NULL);
	rc = policy_rule_add(d->model, &spec, &id, err, sizeof(err));
	free(apps);
	if (rc < 0)
		return ctl_error("%s", err);
	return committed(d, policy_rule_to_json(policy_rule_find(d->model, id)));
}

json_t *cmd_rule_rm(struct bh_daemon *d, json_t *req)
{
	char err[256] = "";
	uint32_t id;
	json_t *e;

	if ((e = req_rule_id(req, "id", true, &id)))
		return e;
	if (policy_rule_del(d->model, id, err, sizeof(err)) < 0)
		return ctl_error("%s", err);
	return committed(d, NULL);
}

json_t *cmd_rule_promote(struct bh_daemon *d, json_t *req)
{
	uint32_t id, new_id = 0;
	char err[256] = "";
	json_t *e;

	if ((e = req_rule_id(req, "id", true, &id)))
		return e;
	if (policy_rule_promote(d->model, id, &new_id, err, sizeof(err)) < 0)
		return ctl_error("%s", err);
	return committed(d, policy_rule_to_json(policy_rule_find(d->model, new_id)));
}

json_t *cmd_rule_list(struct bh_daemon *d, json_t *req)
{
	bool learned_only = json_is_true(json_object_get(req, "learned"));
	json_t *arr = json_array();

	for (size_t i = 0; i < policy_rule_count(d->model); i++) {
		const struct policy_rule *r = policy_rule_at(d->model, i);

		if (!learned_only || r->learned)
			json_array_append_new(arr, policy_rule_to_json(r));
	}
	return ctl_ok(arr);
}
