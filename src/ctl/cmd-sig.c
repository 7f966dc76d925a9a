/*
 * cmd-sig.c - `sig add|rm|list` over the control socket.
 *
 * A change is built as a new list of entries, compiled (a bad pattern or a set
 * too big for the dp's stream slots is refused with Hyperscan's reason, and
 * nothing changes), saved atomically, and only then swapped in and published.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ctl-sig.h"
#include "ctl-socket.h"
#include "daemon.h"
#include "dp/sig.h"
#include "dp/threat.h"
#include "log.h"
#include "policy/policy.h"

static struct sig_entry *find(struct bh_daemon *d, const char *name)
{
	for (size_t i = 0; i < d->sigs->n; i++)
		if (!strcmp(d->sigs->e[i].name, name))
			return &d->sigs->e[i];
	return NULL;
}

/* The lowest id no signature has: ids (and so threat ids) stay small and stable. */
static uint16_t free_id(const struct bh_daemon *d)
{
	for (uint16_t id = 1; id <= SIG_MAX; id++) {
		bool used = false;

		for (size_t i = 0; i < d->sigs->n && !used; i++)
			used = d->sigs->e[i].id == id;
		if (!used)
			return id;
	}
	return 0;
}

/* The request's description of one signature; NULL or an error response. */
static json_t *entry_of_req(json_t *req, struct sig_entry *e)
{
	const char *name = req_str(req, "name"), *pat = req_str(req, "pattern");
	const char *field = req_str(req, "field"), *act = req_str(req, "action");
	const char *sev = req_str(req, "severity");
	json_t *groups = json_object_get(req, "groups"), *g;
	size_t i;

	memset(e, 0, sizeof(*e));
	if (!name || !policy_name_valid(name))
		return ctl_error("signature name must be 1-63 of [A-Za-z0-9_.-]");
	snprintf(e->name, sizeof(e->name), "%s", name);
	if (!pat || !*pat || strlen(pat) > SIG_PATTERN_MAX)
		return ctl_error("signature %s: --pattern REGEX (1..%d bytes) required", name,
				 SIG_PATTERN_MAX);
	e->field = SIG_FIELD_STREAM;
	e->action = SIG_ACT_RESET;
	e->severity = THREAT_SEV_MEDIUM;
	if (field && sig_field_parse(field, &e->field) < 0)
		return ctl_error("unknown field %s (stream|url|header|body)", field);
	if (act && sig_action_parse(act, &e->action) < 0)
		return ctl_error("unknown action %s (log|drop|reset)", act);
	if (sev && sig_severity_parse(sev, &e->severity) < 0)
		return ctl_error("unknown severity %s (low|medium|high|critical)", sev);
	e->caseless = json_is_true(json_object_get(req, "case_insensitive"));
	if (groups && (!json_is_array(groups) || json_array_size(groups) > SIG_GROUPS_MAX))
		return ctl_error("at most %d --group per signature", SIG_GROUPS_MAX);
	json_array_foreach(groups, i, g) {
		if (!json_is_string(g) || !policy_name_valid(json_string_value(g)))
			return ctl_error("bad group name");
		snprintf(e->groups[i], SIG_GROUP_NAME_MAX, "%s", json_string_value(g));
		e->n_groups = i + 1;
	}
	return NULL;
}

/*
 * Make list (n entries, taken over on success) the signatures: compile, save,
 * publish.  On error the old ones stay, list is freed, and the error is returned.
 */
static json_t *replace(struct bh_daemon *d, struct sig_entry *list, size_t n)
{
	struct sig_db *db = NULL;
	char err[512] = "";
	int rc = sig_entries_compile(list, n, &db, err, sizeof(err));

	if (rc == 0 && (rc = sig_state_save(d, list, n)) < 0)
		snprintf(err, sizeof(err), "cannot save signatures: %s", strerror(-rc));
	if (rc < 0) {
		sig_db_put(db);
		sig_entries_free(list, n);
		return ctl_error("%s", err);
	}
	sig_entries_free(d->sigs->e, d->sigs->n);
	sig_db_put(d->sigs->db);
	d->sigs->e = list;
	d->sigs->n = n;
	d->sigs->db = db;
	sig_publish(d);
	return NULL;
}

/* A copy of the current entries with room for one more (hits kept). */
static struct sig_entry *copy_entries(const struct bh_daemon *d)
{
	struct sig_entry *c = calloc(d->sigs->n + 1, sizeof(*c));

	if (!c)
		return NULL;
	for (size_t i = 0; i < d->sigs->n; i++) {
		c[i] = d->sigs->e[i];
		c[i].pattern = strdup(d->sigs->e[i].pattern);
		if (!c[i].pattern) {
			sig_entries_free(c, i);
			return NULL;
		}
	}
	return c;
}

json_t *cmd_sig_add(struct bh_daemon *d, json_t *req)
{
	const char *pat = req_str(req, "pattern");
	struct sig_entry e, *list;
	struct sig_spec one;
	char err[512] = "";
	json_t *r;

	if (!d->sigs) /* a daemon without a dp (tests, fuzzing) has no signature store */
		return ctl_error("signatures are not available");
	r = entry_of_req(req, &e);
	if (r)
		return r;
	if (find(d, e.name))
		return ctl_error("signature %s exists (sig rm it first)", e.name);
	if (d->sigs->n >= SIG_MAX || !(e.id = free_id(d)))
		return ctl_error("at most %d signatures", SIG_MAX);
	/* Alone first: its own error names its own pattern, whatever the others are. */
	one = (struct sig_spec){.id = e.id, .name = e.name, .pattern = pat, .field = e.field,
				.action = e.action, .severity = e.severity,
				.caseless = e.caseless};
	if (sig_pattern_check(&one, err, sizeof(err)) < 0)
		return ctl_error("%s", err);
	list = copy_entries(d);
	if (!list || !(e.pattern = strdup(pat))) {
		sig_entries_free(list, d->sigs->n);
		return ctl_error("out of memory");
	}
	list[d->sigs->n] = e;
	r = replace(d, list, d->sigs->n + 1);
	if (r)
		return r;
	log_info("signature %s added (threat id %d)", e.name, SIG_THREAT_BASE + e.id);
	return ctl_ok(sig_entry_to_json(find(d, e.name)));
}

json_t *cmd_sig_rm(struct bh_daemon *d, json_t *req)
{
	const char *name = req_str(req, "name");
	struct sig_entry *list, *victim;
	size_t k = 0;
	json_t *r;

	if (!d->sigs) /* a daemon without a dp (tests, fuzzing) has no signature store */
		return ctl_error("signatures are not available");
	if (!name)
		return ctl_error("signature name required");
	victim = find(d, name);
	if (!victim)
		return ctl_error("no signature named %s", name);
	list = copy_entries(d);
	if (!list)
		return ctl_error("out of memory");
	for (size_t i = 0; i < d->sigs->n; i++) {
		if (&d->sigs->e[i] == victim) {
			free(list[i].pattern);
			continue;
		}
		list[k++] = list[i];
	}
	r = replace(d, list, k);
	if (r)
		return r;
	log_info("signature %s removed", name);
	return ctl_ok(NULL);
}

json_t *cmd_sig_list(struct bh_daemon *d, json_t *req)
{
	json_t *arr;

	(void)req;
	if (!d->sigs)
		return ctl_error("signatures are not available");
	arr = json_array();
	for (size_t i = 0; i < d->sigs->n; i++) {
		json_t *j = sig_entry_to_json(&d->sigs->e[i]);

		json_object_set_new(j, "threat_id", json_integer(SIG_THREAT_BASE + d->sigs->e[i].id));
		json_object_set_new(j, "hits", json_integer((json_int_t)d->sigs->e[i].hits));
		json_array_append_new(arr, j);
	}
	return ctl_ok(arr);
}
