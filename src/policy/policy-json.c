/*
 * policy-json.c - policy.json and the JSON forms of groups and rules.
 *
 * policy.json is {"version":1,"groups":[...],"rules":[...]}; workloads live in
 * the control plane's own file.  The file may be hand-edited or hostile, so
 * the loader checks every field, rejects unknown keys (a typo must not turn
 * into a silently missing restriction) and builds a fresh model that replaces
 * the old groups and rules only when the whole document is good.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "policy-int.h"

#define POLICY_JSON_VERSION 1
#define ERRLEN 256

/* ---- to JSON ---- */

static json_t *strv_to_json(char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++) {
		if (json_array_append_new(a, json_string(v[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *cidrs_to_json(const struct policy_group *g)
{
	json_t *a = json_array();
	char buf[64];

	for (size_t i = 0; a && i < g->n_cidrs; i++) {
		if (policy_cidr_format(&g->cidrs[i], buf, sizeof(buf)) ||
		    json_array_append_new(a, json_string(buf))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *policy_group_to_json(const struct policy_group *g)
{
	return json_pack("{s:s, s:o*, s:o*}", "name", g->name, "cidrs", cidrs_to_json(g), "fqdns",
			 strv_to_json(g->fqdns, g->n_fqdns));
}

json_t *policy_rule_to_json(const struct policy_rule *r)
{
	char ports[POLICY_PORTS_STRLEN];

	if (policy_ports_format(r->ports, r->n_ports, ports, sizeof(ports)))
		return NULL;
	return json_pack("{s:I, s:s, s:s, s:s, s:o*, s:s, s:b, s:I, s:I}", "id", (json_int_t)r->id,
			 "from", r->from, "to", r->to, "ports", ports, "apps",
			 strv_to_json(r->apps, r->n_apps), "action", policy_action_name(r->action),
			 "learned", r->learned, "created", (json_int_t)r->created, "last_hit",
			 (json_int_t)r->last_hit);
}

json_t *policy_model_to_json(const struct policy_model *m)
{
	json_t *groups = json_array(), *rules = json_array();
	bool ok = groups && rules;

	for (size_t i = 0; ok && i < m->n_groups; i++)
		ok = !json_array_append_new(groups, policy_group_to_json(&m->groups[i]));
	for (size_t i = 0; ok && i < m->n_rules; i++)
		ok = !json_array_append_new(rules, policy_rule_to_json(&m->rules[i]));
	if (!ok) {
		json_decref(groups);
		json_decref(rules);
		return NULL;
	}
	return json_pack("{s:i, s:o, s:o}", "version", POLICY_JSON_VERSION, "groups", groups,
			 "rules", rules);
}

char *policy_model_to_json_str(const struct policy_model *m)
{
	json_t *doc = policy_model_to_json(m);
	char *s;

	if (!doc)
		return NULL;
	s = json_dumps(doc, JSON_INDENT(2));
	json_decref(doc);
	return s;
}

/* ---- from JSON ---- */

static int check_keys(const json_t *obj, const char *const *allowed, char *err, size_t errlen)
{
	const char *key;
	json_t *val;

	if (!json_is_object(obj)) {
		policy_err(err, errlen, "not an object");
		return -EINVAL;
	}
	json_object_foreach((json_t *)obj, key, val)
	{
		size_t i;

		for (i = 0; allowed[i] && strcmp(allowed[i], key); i++)
			;
		if (!allowed[i]) {
			policy_err(err, errlen, "unknown key '%.32s'", key);
			return -EINVAL;
		}
	}
	return 0;
}

static int get_str(const json_t *obj, const char *key, bool required, const char **out, char *err,
		   size_t errlen)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v && !required)
		return 0;
	if (!json_is_string(v)) {
		policy_err(err, errlen, "%s: want a string", key);
		return -EINVAL;
	}
	*out = json_string_value(v);
	return 0;
}

static int get_int(const json_t *obj, const char *key, json_int_t min, json_int_t max,
		   json_int_t *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		policy_err(err, errlen, "%s: want an integer in %lld..%lld", key, (long long)min,
			   (long long)max);
		return -EINVAL;
	}
	*out = json_integer_value(v);
	return 0;
}

/* Array of strings -> borrowed pointers (valid while the document lives); *out is malloc'd. */
static int get_strv(const json_t *obj, const char *key, size_t max, const char ***out, size_t *n,
		    char *err, size_t errlen)
{
	const json_t *a = json_object_get(obj, key);

	*out = NULL;
	*n = 0;
	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > max) {
		policy_err(err, errlen, "%s: want an array of at most %zu strings", key, max);
		return -EINVAL;
	}
	*out = calloc(json_array_size(a) + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(a); i++) {
		(*out)[i] = json_string_value(json_array_get(a, i));
		if (!(*out)[i]) {
			policy_err(err, errlen, "%s[%zu]: want a string", key, i);
			free(*out);
			*out = NULL;
			return -EINVAL;
		}
	}
	*n = json_array_size(a);
	return 0;
}

static int load_group(struct policy_model *m, const json_t *j, char *err, size_t errlen)
{
	static const char *const keys[] = {"name", "cidrs", "fqdns", NULL};
	struct policy_group_spec spec = {0};
	struct policy_group g;
	int ret;

	ret = check_keys(j, keys, err, errlen);
	if (!ret)
		ret = get_str(j, "name", true, &spec.name, err, errlen);
	if (!ret)
		ret = get_strv(j, "cidrs", POLICY_CIDRS_MAX, (const char ***)&spec.cidrs,
			       &spec.n_cidrs, err, errlen);
	if (!ret)
		ret = get_strv(j, "fqdns", POLICY_FQDNS_MAX, (const char ***)&spec.fqdns,
			       &spec.n_fqdns, err, errlen);
	if (!ret)
		ret = policy_model_group_build(&spec, &g, err, errlen);
	if (!ret) {
		ret = policy_model_group_insert(m, &g, err, errlen);
		if (ret)
			policy_group_clear(&g);
	}
	free((void *)spec.cidrs);
	free((void *)spec.fqdns);
	return ret;
}

static int rule_fields(const json_t *j, struct policy_rule_spec *spec, char *err, size_t errlen)
{
	static const char *const keys[] = {"id",     "from",	"to",	   "ports",    "apps",
					   "action", "learned", "created", "last_hit", NULL};
	const json_t *learned = json_object_get(j, "learned");
	json_int_t id = 0, created = 0, last_hit = 0;
	int ret;

	ret = check_keys(j, keys, err, errlen);
	if (!ret && !json_object_get(j, "id")) {
		policy_err(err, errlen, "id: missing");
		ret = -EINVAL;
	}
	if (!ret && learned && !json_is_boolean(learned)) {
		policy_err(err, errlen, "learned: want true or false");
		ret = -EINVAL;
	}
	if (!ret)
		ret = get_int(j, "id", 1, UINT32_MAX, &id, err, errlen);
	if (!ret)
		ret = get_int(j, "created", 0, INT64_MAX, &created, err, errlen);
	if (!ret)
		ret = get_int(j, "last_hit", 0, INT64_MAX, &last_hit, err, errlen);
	if (!ret)
		ret = get_str(j, "from", true, &spec->from, err, errlen);
	if (!ret)
		ret = get_str(j, "to", true, &spec->to, err, errlen);
	if (!ret)
		ret = get_str(j, "action", true, &spec->action, err, errlen);
	if (!ret)
		ret = get_str(j, "ports", false, &spec->ports, err, errlen);
	spec->id = (uint32_t)id;
	spec->learned = json_is_true(learned);
	spec->created = created;
	spec->last_hit = last_hit;
	return ret;
}

/* Names are checked for syntax only: rules may name workloads the model does not know yet. */
static int load_rule(struct policy_model *m, const json_t *j, char *err, size_t errlen)
{
	struct policy_rule_spec spec = {0};
	struct policy_rule r;
	int ret;

	ret = rule_fields(j, &spec, err, errlen);
	if (!ret)
		ret = get_strv(j, "apps", POLICY_APPS_MAX, (const char ***)&spec.apps, &spec.n_apps,
			       err, errlen);
	if (!ret)
		ret = policy_rule_build(&spec, &r, err, errlen);
	if (!ret) {
		ret = policy_model_rule_insert(m, &r, err, errlen);
		if (ret)
			policy_rule_clear(&r);
	}
	free((void *)spec.apps);
	return ret;
}

typedef int (*load_fn)(struct policy_model *m, const json_t *j, char *err, size_t errlen);

static int load_array(struct policy_model *m, const json_t *doc, const char *key, load_fn fn,
		      char *err, size_t errlen)
{
	const json_t *a = json_object_get(doc, key);
	char why[ERRLEN] = "";

	if (!a)
		return 0;
	if (!json_is_array(a)) {
		policy_err(err, errlen, "%s: want an array", key);
		return -EINVAL;
	}
	for (size_t i = 0; i < json_array_size(a); i++) {
		int ret = fn(m, json_array_get(a, i), why, sizeof(why));

		if (ret) {
			policy_err(err, errlen, "%s[%zu]: %s", key, i, why);
			return ret == -ENOMEM ? ret : -EINVAL;
		}
	}
	return 0;
}

static int load_doc(struct policy_model *m, const json_t *doc, char *err, size_t errlen)
{
	static const char *const keys[] = {"version", "groups", "rules", NULL};
	const json_t *ver = json_object_get(doc, "version");
	int ret;

	ret = check_keys(doc, keys, err, errlen);
	if (ret)
		return ret;
	if (!json_is_integer(ver) || json_integer_value(ver) != POLICY_JSON_VERSION) {
		policy_err(err, errlen, "version: want %d", POLICY_JSON_VERSION);
		return -EINVAL;
	}
	ret = load_array(m, doc, "groups", load_group, err, errlen);
	return ret ? ret : load_array(m, doc, "rules", load_rule, err, errlen);
}

int policy_model_load_json(struct policy_model *m, const json_t *doc, char *err, size_t errlen)
{
	struct policy_model *fresh = policy_model_new();
	int ret;

	if (!fresh)
		return -ENOMEM;
	ret = load_doc(fresh, doc, err, errlen);
	if (!ret)
		policy_model_swap_policy(m, fresh);
	policy_model_free(fresh);
	return ret;
}

int policy_model_from_json(const json_t *doc, struct policy_model **out, char *err, size_t errlen)
{
	struct policy_model *m = policy_model_new();
	int ret;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	ret = load_doc(m, doc, err, errlen);
	if (ret) {
		policy_model_free(m);
		return ret;
	}
	*out = m;
	return 0;
}

int policy_model_from_json_str(const char *text, size_t len, struct policy_model **out, char *err,
			       size_t errlen)
{
	json_error_t jerr;
	json_t *doc;
	int ret;

	*out = NULL;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		policy_err(err, errlen, "policy JSON line %d: %s", jerr.line, jerr.text);
		return -EINVAL;
	}
	ret = policy_model_from_json(doc, out, err, errlen);
	json_decref(doc);
	return ret;
}
