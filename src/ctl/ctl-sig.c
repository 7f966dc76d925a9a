/*
 * ctl-sig.c - the daemon's user signatures: signatures.json, the compiled
 * Hyperscan database, and the sets published to the dp.
 *
 * Like policy.json: every change is compiled first (a bad pattern changes
 * nothing), then saved atomically, then published, so what the dp matches is
 * never ahead of what survives a restart; a signatures.json that cannot be read
 * or compiled stops the daemon rather than silently dropping protection.
 *
 * Groups are resolved here, for each workload the policy model knows (its name,
 * its groups, `any`, and the CIDR groups holding one of its addresses, as the
 * policy does), whenever the policy is published: workloads come and go far
 * more often than signatures, and a new set reuses the compiled database.
 */
#include "ctl-sig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon.h"
#include "dp/dp.h"
#include "dp/sig.h"
#include "dp/threat.h"
#include "log.h"
#include "policy/policy.h"
#include "state.h"

#define SIG_FILE "signatures.json"

/* ---- entries <-> JSON ---- */

void sig_entries_free(struct sig_entry *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++)
		free(e[i].pattern);
	free(e);
}

json_t *sig_entry_to_json(const struct sig_entry *e)
{
	json_t *groups = json_array();

	for (size_t g = 0; g < e->n_groups; g++)
		json_array_append_new(groups, json_string(e->groups[g]));
	return json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:b, s:o}", "id", (int)e->id, "name",
			 e->name, "pattern", e->pattern, "field", sig_field_name(e->field),
			 "action", sig_action_name(e->action), "severity",
			 threat_severity_name(e->severity), "case_insensitive", e->caseless,
			 "groups", groups);
}

json_t *sig_entries_to_json(const struct sig_entry *e, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, sig_entry_to_json(&e[i]));
	return json_pack("{s:i, s:o}", "version", 1, "signatures", arr);
}

/* A word field: missing = def; present = one of the words parse accepts. */
static int word_of(json_t *o, const char *key, uint8_t def, int (*parse)(const char *, uint8_t *),
		   uint8_t *out)
{
	json_t *v = json_object_get(o, key);

	*out = def;
	if (!v)
		return 0;
	return json_is_string(v) ? parse(json_string_value(v), out) : -EINVAL;
}

static int groups_of(json_t *o, struct sig_entry *e, char *err, size_t errlen)
{
	json_t *arr = json_object_get(o, "groups"), *g;
	size_t i;

	if (!arr)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > SIG_GROUPS_MAX) {
		snprintf(err, errlen, "signature %s: groups must be a list of at most %d names",
			 e->name, SIG_GROUPS_MAX);
		return -EINVAL;
	}
	json_array_foreach(arr, i, g) {
		if (!json_is_string(g) || !policy_name_valid(json_string_value(g))) {
			snprintf(err, errlen, "signature %s: bad group name", e->name);
			return -EINVAL;
		}
		snprintf(e->groups[i], SIG_GROUP_NAME_MAX, "%s", json_string_value(g));
	}
	e->n_groups = json_array_size(arr);
	return 0;
}

static int entry_of(json_t *o, struct sig_entry *e, char *err, size_t errlen)
{
	json_t *id = json_object_get(o, "id"), *ci = json_object_get(o, "case_insensitive");
	const char *name = json_string_value(json_object_get(o, "name"));
	const char *pat = json_string_value(json_object_get(o, "pattern"));

	if (!json_is_object(o) || !name || !policy_name_valid(name)) {
		snprintf(err, errlen, "a signature without a valid name ([A-Za-z0-9_.-]{1,63})");
		return -EINVAL;
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	if (!json_is_integer(id) || json_integer_value(id) < 1 ||
	    json_integer_value(id) > SIG_MAX || !pat || !*pat || strlen(pat) > SIG_PATTERN_MAX ||
	    (ci && !json_is_boolean(ci))) {
		snprintf(err, errlen, "signature %s: bad id, pattern or case_insensitive", name);
		return -EINVAL;
	}
	e->id = (uint16_t)json_integer_value(id);
	e->caseless = json_is_true(ci);
	if (word_of(o, "field", SIG_FIELD_STREAM, sig_field_parse, &e->field) ||
	    word_of(o, "action", SIG_ACT_RESET, sig_action_parse, &e->action) ||
	    word_of(o, "severity", THREAT_SEV_MEDIUM, sig_severity_parse, &e->severity)) {
		snprintf(err, errlen, "signature %s: bad field, action or severity", name);
		return -EINVAL;
	}
	if (groups_of(o, e, err, errlen) < 0)
		return -EINVAL;
	e->pattern = strdup(pat);
	return e->pattern ? 0 : -ENOMEM;
}

/* Names and ids are keys: the log and `sig rm` name one signature each. */
static int unique(const struct sig_entry *e, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (e[i].id == e[j].id || !strcmp(e[i].name, e[j].name)) {
				snprintf(err, errlen, "signatures %s and %s: same id or name",
					 e[j].name, e[i].name);
				return -EINVAL;
			}
	return 0;
}

int sig_entries_from_json(json_t *doc, struct sig_entry **out, size_t *n, char *err,
			  size_t errlen)
{
	json_t *arr = json_object_get(doc, "signatures"), *v = json_object_get(doc, "version");
	struct sig_entry *e;
	size_t i, cnt;
	int rc = 0;

	if (!json_is_object(doc) || !json_is_array(arr) || (v && json_integer_value(v) != 1)) {
		snprintf(err, errlen, "not a version 1 signatures document");
		return -EINVAL;
	}
	cnt = json_array_size(arr);
	if (cnt > SIG_MAX) {
		snprintf(err, errlen, "more than %d signatures", SIG_MAX);
		return -EINVAL;
	}
	e = calloc(cnt ? cnt : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	json_array_foreach(arr, i, v) {
		rc = entry_of(v, &e[i], err, errlen);
		if (rc)
			break;
	}
	if (rc == 0)
		rc = unique(e, cnt, err, errlen);
	if (rc) {
		sig_entries_free(e, cnt);
		return rc;
	}
	*out = e;
	*n = cnt;
	return 0;
}

int sig_entries_compile(const struct sig_entry *e, size_t n, struct sig_db **out, char *err,
			size_t errlen)
{
	struct sig_spec *specs = calloc(n ? n : 1, sizeof(*specs));
	const char *(*groups)[SIG_GROUPS_MAX] = calloc(n ? n : 1, sizeof(*groups));
	int rc;

	if (!specs || !groups) {
		free(specs);
		free(groups);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t g = 0; g < e[i].n_groups; g++)
			groups[i][g] = e[i].groups[g];
		specs[i] = (struct sig_spec){
			.id = e[i].id, .name = e[i].name, .pattern = e[i].pattern,
			.field = e[i].field, .action = e[i].action, .severity = e[i].severity,
			.caseless = e[i].caseless, .groups = groups[i], .n_groups = e[i].n_groups,
		};
	}
	rc = sig_db_build(specs, n, out, err, errlen);
	free(specs);
	free(groups);
	return rc;
}

/* ---- state ---- */

int sig_state_load(struct bh_daemon *d, char *err, size_t errlen)
{
	char perr[512] = "";
	json_t *doc = NULL;
	int rc;

	d->sigs = calloc(1, sizeof(*d->sigs));
	if (!d->sigs) {
		snprintf(err, errlen, "signatures: out of memory");
		return -ENOMEM;
	}
	rc = state_read_json(d->cfg.state_dir, SIG_FILE, &doc, perr, sizeof(perr));
	if (rc == 0)
		rc = sig_entries_from_json(doc, &d->sigs->e, &d->sigs->n, perr, sizeof(perr));
	json_decref(doc);
	if (rc == 0 || rc == -ENOENT)
		rc = sig_entries_compile(d->sigs->e, d->sigs->n, &d->sigs->db, perr, sizeof(perr));
	if (rc < 0) {
		snprintf(err, errlen, SIG_FILE ": %s (refusing to start without its signatures; "
			 "fix or move %s/" SIG_FILE ")", perr[0] ? perr : strerror(-rc),
			 d->cfg.state_dir);
		return rc;
	}
	if (d->sigs->n)
		log_info("signatures: %zu from %s", d->sigs->n, SIG_FILE);
	return 0;
}

int sig_state_save(struct bh_daemon *d, const struct sig_entry *e, size_t n)
{
	json_t *doc = sig_entries_to_json(e, n);
	int rc;

	if (!doc)
		return -ENOMEM;
	rc = state_write_json(d->cfg.state_dir, SIG_FILE, doc);
	json_decref(doc);
	if (rc < 0)
		log_err("write %s/%s: %s", d->cfg.state_dir, SIG_FILE, strerror(-rc));
	return rc;
}

void sig_state_free(struct bh_daemon *d)
{
	if (!d->sigs)
		return;
	sig_entries_free(d->sigs->e, d->sigs->n);
	sig_db_put(d->sigs->db);
	free(d->sigs);
	d->sigs = NULL;
}

void sig_hit(struct bh_daemon *d, uint16_t id, uint64_t count)
{
	for (size_t i = 0; d->sigs && i < d->sigs->n; i++)
		if (d->sigs->e[i].id == id) {
			d->sigs->e[i].hits += count;
			return;
		}
}

/* ---- membership and publishing ---- */

struct wl_ctx {
	const struct policy_model *m;
	const struct policy_workload *w;
};

static bool cidr_has(const struct policy_cidr *c, const struct policy_addr *a)
{
	unsigned bits = c->plen;

	if (c->addr.family != a->family)
		return false;
	for (unsigned i = 0; i < 16 && bits; i++) {
		unsigned take = bits < 8 ? bits : 8;
		uint8_t mask = (uint8_t)(0xff << (8 - take));

		if ((c->addr.a[i] & mask) != (a->a[i] & mask))
			return false;
		bits -= take;
	}
	return true;
}

static bool wl_member(void *arg, const char *group)
{
	const struct wl_ctx *c = arg;
	const struct policy_group *g;

	if (!strcmp(group, "any") || !strcmp(group, c->w->name))
		return true;
	for (size_t i = 0; i < c->w->n_groups; i++)
		if (!strcmp(c->w->groups[i], group))
			return true;
	g = policy_group_find(c->m, group);
	for (size_t i = 0; g && i < g->n_cidrs; i++)
		for (size_t a = 0; a < c->w->n_addrs; a++)
			if (cidr_has(&g->cidrs[i], &c->w->addrs[a]))
				return true;
	return false;
}

int sig_publish(struct bh_daemon *d)
{
	size_t n = d->model ? policy_workload_count(d->model) : 0;
	struct sig_wl_spec *wls = calloc(n ? n : 1, sizeof(*wls));
	struct wl_ctx *ctx = calloc(n ? n : 1, sizeof(*ctx));
	struct sig_set *set = NULL;
	int rc = -ENOMEM;

	if (!d->dp || !d->sigs || !d->sigs->db) {
		rc = 0;
		goto out;
	}
	if (!wls || !ctx)
		goto out;
	for (size_t i = 0; i < n; i++) {
		ctx[i] = (struct wl_ctx){d->model, policy_workload_at(d->model, i)};
		wls[i] = (struct sig_wl_spec){ctx[i].w->id, wl_member, &ctx[i]};
	}
	rc = sig_set_build(d->sigs->db, wls, n, &set);
	if (rc == 0)
		dp_sig_set(d->dp, set);
out:
	if (rc < 0)
		log_err("signatures: publish: %s", strerror(-rc));
	free(wls);
	free(ctx);
	return rc;
}
