/*
 * cluster.c - one policy across nodes, kept in etcd (bulkheadd --cluster).
 *
 * Key layout (DESIGN of the issue "Scale-out through etcd"):
 *   /bulkhead/meta                    {"version":1}: the cluster was seeded once
 *   /bulkhead/policy/groups/<name>    one group, as in policy.json
 *   /bulkhead/policy/rules/<id>       one rule (user or learned), as in policy.json minus
 *                                     last_hit (a per-node counter, not policy)
 *   /bulkhead/workloads/<node>/<name> {name,node,groups,addrs,mode}, on <node>'s lease
 * One key per group and rule, not one policy.json document: nodes learn rules at the
 * same time, and a single document would turn every learned rule into a
 * read-modify-write race (or a CAS retry loop) and every watch event into a full
 * policy; per-key puts from different nodes simply do not collide.
 *
 * The model stays the source of truth for enforcement.  `mirror` is what etcd
 * holds as far as we know; `pending` is what we changed locally and etcd has not
 * confirmed yet.  The model is kept equal to mirror + pending: a local change (seen
 * as a new model generation) is diffed into pending and sent in one txn; a remote
 * change (watch event, or the range after a reconnect) updates mirror and the model
 * is reloaded from mirror + pending, saved to policy.json and published.  While etcd
 * is away nothing of that stops: the dp keeps the last compiled policy, local
 * changes queue in pending, and the next connection reconciles.
 */
#include "cluster.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cluster-etcd.h"
#include "daemon.h"
#include "log.h"
#include "policy/policy.h"

#define PFX "/bulkhead/"
#define PFX_END "/bulkhead0" /* '/' + 1: the range end of the prefix */
#define K_META "/bulkhead/meta"
#define K_POLICY "/bulkhead/policy/"
#define K_GROUPS "/bulkhead/policy/groups/"
#define K_RULES "/bulkhead/policy/rules/"
#define K_WLS "/bulkhead/workloads/"
#define KEY_MAX 256
#define LEASE_TTL_S 10
#define KEEPALIVE_MS 3000
#define RETRY_MS 1000
/* etcd refuses a txn of more than --max-txn-ops (128 by default). */
#define TXN_OPS_MAX 100
/* Remote workloads share the model's id space with local ones (which count from 1). */
#define RWL_ID_BASE 0x40000000u

enum cl_state { CL_DOWN, CL_LEASE, CL_SYNC, CL_UP };

/* A workload of another node, registered in the local model under its own id. */
struct cl_rwl {
	uint32_t id; /* 0: refused by the model (name or address clash), logged once */
	char *key;
	char *val;
	struct cl_rwl *next;
};

struct cluster {
	struct bh_daemon *d;
	struct etcd *etcd;
	const char *node;
	char own_pfx[128]; /* /bulkhead/workloads/<node>/ */
	enum cl_state state;
	bool warned, synced_once;
	int64_t retry_due, keepalive_due;
	char lease[32];
	long long revision;
	json_t *mirror;	  /* key -> {"v": value (null: exists, rewrite it), "r": mod revision} */
	json_t *pending;  /* key -> value, or null: delete */
	json_t *inflight; /* the txn on the wire, same shape as pending; NULL when none */
	/*
	 * Rule keys of pending that this node created while etcd had no such key, as far
	 * as the mirror said then.  The mark outlives a mirror that learns the key from
	 * another node meanwhile (a range after reconnect, a watch event): the put must
	 * still be a create, or it would overwrite the other node's rule of that id.
	 */
	json_t *created;
	uint64_t seen_gen;
	bool remote_dirty, wl_dirty, need_diff, reset, resync;
	char reset_why[192];
	struct cl_rwl *rwls;
	uint32_t next_rwl_id;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool starts(const char *s, const char *pfx)
{
	return strncmp(s, pfx, strlen(pfx)) == 0;
}

static bool str_eq(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

/* Keys this node writes: the shared policy and its own workloads. */
static bool cl_owned(const struct cluster *c, const char *key)
{
	return starts(key, K_POLICY) || starts(key, c->own_pfx);
}

static const char *mirror_val(const struct cluster *c, const char *key)
{
	return json_string_value(json_object_get(json_object_get(c->mirror, key), "v"));
}

static void mirror_set(json_t *mirror, const char *key, const char *val, long long rev)
{
	json_object_set_new(mirror, key, json_pack("{s:s?, s:I}", "v", val, "r", (json_int_t)rev));
}

/* ---- what the local state says etcd should hold ---- */

static char *dump(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(j);
	return s;
}

static void want_put(json_t *want, const char *key, char *val)
{
	if (val)
		json_object_set_new(want, key, json_string(val));
	free(val);
}

static void want_policy(const struct cluster *c, json_t *want)
{
	const struct policy_model *m = c->d->model;
	char key[KEY_MAX];

	for (size_t i = 0; i < policy_group_count(m); i++) {
		const struct policy_group *g = policy_group_at(m, i);

		snprintf(key, sizeof(key), K_GROUPS "%s", g->name);
		want_put(want, key, dump(policy_group_to_json(g)));
	}
	for (size_t i = 0; i < policy_rule_count(m); i++) {
		const struct policy_rule *r = policy_rule_at(m, i);
		json_t *j = policy_rule_to_json(r);

		json_object_del(j, "last_hit");
		snprintf(key, sizeof(key), K_RULES "%u", r->id);
		want_put(want, key, dump(j));
	}
}

static json_t *wl_index_json(const struct cluster *c, const struct workload *w)
{
	const struct policy_workload *pw = policy_workload_find(c->d->model, w->id);
	json_t *groups = json_array(), *addrs = json_array();
	char buf[64];

	for (int i = 0; i < w->ngroups; i++)
		json_array_append_new(groups, json_string(w->groups[i]));
	for (size_t i = 0; pw && i < pw->n_addrs; i++)
		if (policy_addr_format(&pw->addrs[i], buf, sizeof(buf)) >= 0)
			json_array_append_new(addrs, json_string(buf));
	return json_pack("{s:s, s:s, s:o, s:o, s:s}", "name", w->name, "node", c->node, "groups",
			 groups, "addrs", addrs, "mode", bh_mode_name((enum bh_mode)w->mode));
}

static void want_workloads(const struct cluster *c, json_t *want)
{
	char key[KEY_MAX];

	for (const struct workload *w = c->d->workloads; w; w = w->next) {
		snprintf(key, sizeof(key), "%s%s", c->own_pfx, w->name);
		want_put(want, key, dump(wl_index_json(c, w)));
	}
}

/* Rebuild pending: every owned key whose wanted value is not what etcd has. */
static void cl_diff(struct cluster *c)
{
	json_t *want = json_object(), *v;
	const char *k;
	void *tmp;

	want_policy(c, want);
	want_workloads(c, want);
	json_object_foreach(want, k, v) {
		if (json_object_get(c->mirror, k) && str_eq(mirror_val(c, k), json_string_value(v))) {
			json_object_del(c->pending, k);
			json_object_del(c->created, k);
		} else {
			json_object_set(c->pending, k, v);
			if (starts(k, K_RULES) && !json_object_get(c->mirror, k))
				json_object_set_new(c->created, k, json_true());
		}
	}
	json_object_foreach(c->mirror, k, v)
		if (cl_owned(c, k) && !json_object_get(want, k))
			json_object_set_new(c->pending, k, json_null());
	json_object_foreach_safe(c->pending, tmp, k, v)
		if (cl_owned(c, k) && !json_object_get(want, k) && !json_object_get(c->mirror, k))
			json_object_del(c->pending, k);
	json_object_foreach_safe(c->created, tmp, k, v)
		if (!json_is_string(json_object_get(c->pending, k)))
			json_object_del(c->created, k);
	json_decref(want);
	c->seen_gen = policy_model_generation(c->d->model);
	c->need_diff = false;
}

/* ---- remote changes into the model ---- */

/* mirror + pending, policy keys only: what the model must say. */
static json_t *merged_policy(const struct cluster *c)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach(c->mirror, k, v)
		if (starts(k, K_POLICY) && json_is_string(json_object_get(v, "v")))
			json_object_set(out, k, json_object_get(v, "v"));
	json_object_foreach(c->pending, k, v) {
		if (!starts(k, K_POLICY))
			continue;
		if (json_is_null(v))
			json_object_del(out, k);
		else
			json_object_set(out, k, v);
	}
	return out;
}

static json_t *policy_doc(const struct cluster *c, json_t *merged)
{
	json_t *groups = json_array(), *rules = json_array(), *v;
	const char *k;

	json_object_foreach(merged, k, v) {
		json_t *j = json_loads(json_string_value(v), 0, NULL);
		const struct policy_rule *r;

		if (!json_is_object(j)) {
			log_warn("cluster: %s is not JSON, ignored", k);
			json_decref(j);
			continue;
		}
		if (starts(k, K_GROUPS)) {
			json_array_append_new(groups, j);
			continue;
		}
		/* Hit times stay this node's own. */
		r = policy_rule_find(c->d->model,
				     (uint32_t)json_integer_value(json_object_get(j, "id")));
		json_object_set_new(j, "last_hit", json_integer(r ? r->last_hit : 0));
		json_array_append_new(rules, j);
	}
	return json_pack("{s:i, s:o, s:o}", "version", 1, "groups", groups, "rules", rules);
}

static void apply_policy(struct cluster *c)
{
	json_t *merged = merged_policy(c), *have = json_object(), *doc;
	char err[256] = "";

	c->remote_dirty = false;
	want_policy(c, have);
	if (json_equal(merged, have)) {
		json_decref(merged);
		json_decref(have);
		return;
	}
	doc = policy_doc(c, merged);
	if (policy_model_load_json(c->d->model, doc, err, sizeof(err)) < 0) {
		log_warn(
		    "cluster: policy at revision %lld not applied (%s); enforcing the last one",
		    c->revision, err);
	} else {
		log_info("cluster: policy at revision %lld: %zu groups, %zu rules", c->revision,
			 policy_group_count(c->d->model), policy_rule_count(c->d->model));
		policy_state_save(c->d);
		policy_publish(c->d);
	}
	json_decref(doc);
	json_decref(merged);
	json_decref(have);
	c->need_diff = true;
}

static struct cl_rwl *rwl_find(struct cluster *c, const char *key)
{
	for (struct cl_rwl *r = c->rwls; r; r = r->next)
		if (strcmp(r->key, key) == 0)
			return r;
	return NULL;
}

/* Register another node's workload, addresses included, so rules naming it resolve here. */
static uint32_t rwl_register(struct cluster *c, const char *key, const char *val)
{
	struct policy_addr addrs[16];
	const char *groups[WL_MAX_GROUPS];
	json_t *j = json_loads(val, 0, NULL), *a;
	struct policy_workload_spec spec = {.addrs = addrs, .groups = groups};
	enum bh_mode mode = BH_MODE_DISCOVER;
	char err[256] = "bad index entry";
	const char *ms;
	size_t i;
	int rc = -EINVAL;

	spec.name = json_string_value(json_object_get(j, "name"));
	json_array_foreach(json_object_get(j, "groups"), i, a)
		if (json_is_string(a) && spec.n_groups < WL_MAX_GROUPS)
			groups[spec.n_groups++] = json_string_value(a);
	json_array_foreach(json_object_get(j, "addrs"), i, a)
		if (spec.n_addrs < 16 &&
		    policy_addr_parse(json_string_value(a) ?: "", &addrs[spec.n_addrs]) == 0)
			spec.n_addrs++;
	ms = json_string_value(json_object_get(j, "mode"));
	if (ms)
		bh_mode_parse(ms, &mode);
	spec.mode = mode;
	spec.id = RWL_ID_BASE + c->next_rwl_id++;
	if (spec.name)
		rc = policy_workload_set(c->d->model, &spec, err, sizeof(err));
	if (rc < 0)
		log_warn("cluster: %s not registered: %s", key, err);
	else
		log_info("cluster: workload %s of %s: %zu addresses", spec.name,
			 key + strlen(K_WLS), spec.n_addrs);
	json_decref(j);
	return rc < 0 ? 0 : spec.id;
}

static void apply_workloads(struct cluster *c)
{
	struct cl_rwl **pp = &c->rwls, *r;
	bool changed = false;
	json_t *v;
	const char *k;

	c->wl_dirty = false;
	while ((r = *pp)) {
		if (str_eq(mirror_val(c, r->key), r->val)) {
			pp = &r->next;
			continue;
		}
		if (r->id)
			policy_workload_del(c->d->model, r->id);
		*pp = r->next;
		free(r->key);
		free(r->val);
		free(r);
		changed = true;
	}
	json_object_foreach(c->mirror, k, v) {
		const char *val = json_string_value(json_object_get(v, "v"));

		if (!starts(k, K_WLS) || starts(k, c->own_pfx) || !val || rwl_find(c, k))
			continue;
		r = calloc(1, sizeof(*r));
		if (!r || !(r->key = strdup(k)) || !(r->val = strdup(val))) {
			if (r)
				free(r->key);
			free(r);
			break;
		}
		r->id = rwl_register(c, k, val);
		r->next = c->rwls;
		c->rwls = r;
		changed = true;
	}
	if (changed)
		policy_publish(c->d);
}

/* ---- etcd conversation ---- */

/* Callbacks only note it: the requests are dropped once etcd_poll() has returned. */
static void cl_reset(struct cluster *c, const char *why)
{
	if (!c->reset)
		snprintf(c->reset_why, sizeof(c->reset_why), "%s", why);
	c->reset = true;
}

/* Not an outage (lease lost, watch compacted): start over at once. */
static void cl_resync(struct cluster *c, const char *why)
{
	if (!c->reset)
		c->resync = true;
	cl_reset(c, why);
}

static json_t *kv_json(const char *key, long long lease_or_0, const char *lease)
{
	char *k = etcd_b64(key, strlen(key));
	json_t *j = json_pack("{s:s}", "key", k ? k : "");

	free(k);
	if (lease_or_0)
		json_object_set_new(j, "lease", json_string(lease));
	return j;
}

static void cl_connect(struct cluster *c)
{
	c->state = CL_LEASE;
	if (etcd_call(c->etcd, ETCD_LEASE_GRANT, json_pack("{s:i}", "TTL", LEASE_TTL_S)) < 0)
		cl_reset(c, "out of memory");
}

static void on_lease(struct cluster *c, json_t *msg)
{
	const char *id = json_string_value(json_object_get(msg, "ID"));
	char *k = etcd_b64(PFX, strlen(PFX)), *e = etcd_b64(PFX_END, strlen(PFX_END));

	if (!id || etcd_int(json_object_get(msg, "TTL")) <= 0) {
		cl_reset(c, "no lease granted");
	} else {
		snprintf(c->lease, sizeof(c->lease), "%s", id);
		c->state = CL_SYNC;
		if (etcd_call(c->etcd, ETCD_RANGE,
			      json_pack("{s:s, s:s}", "key", k ? k : "", "range_end", e ? e : "")) <
		    0)
			cl_reset(c, "out of memory");
	}
	free(k);
	free(e);
}

static void start_watch(struct cluster *c)
{
	char *k = etcd_b64(PFX, strlen(PFX)), *e = etcd_b64(PFX_END, strlen(PFX_END));
	json_t *req =
	    json_pack("{s:{s:s, s:s, s:I}}", "create_request", "key", k ? k : "", "range_end",
		      e ? e : "", "start_revision", (json_int_t)(c->revision + 1));

	if (etcd_call(c->etcd, ETCD_WATCH, req) < 0)
		cl_reset(c, "out of memory");
	free(k);
	free(e);
}

/*
 * The full picture after a (re)connect.  Local changes made against the old mirror are
 * diffed into pending first; then etcd's keys replace the mirror.  Our own workload
 * keys are marked for rewrite: they must hang off the lease granted just now.
 */
static void on_range(struct cluster *c, json_t *msg)
{
	json_t *mirror = json_object(), *kv;
	bool has_meta = false;
	size_t i;

	cl_diff(c);
	c->revision = etcd_int(json_object_get(json_object_get(msg, "header"), "revision"));
	json_array_foreach(json_object_get(msg, "kvs"), i, kv) {
		char *key = etcd_unb64(json_string_value(json_object_get(kv, "key")), NULL);
		char *val = etcd_unb64(json_string_value(json_object_get(kv, "value")) ?: "", NULL);

		if (key && val) {
			has_meta |= strcmp(key, K_META) == 0;
			mirror_set(mirror, key, starts(key, c->own_pfx) ? NULL : val,
				   etcd_int(json_object_get(kv, "mod_revision")));
		}
		free(key);
		free(val);
	}
	json_decref(c->mirror);
	c->mirror = mirror;
	if (!c->synced_once && !has_meta) {
		/* A fresh cluster: this node's policy.json seeds it. */
		log_info("cluster: etcd holds no bulkhead policy yet: seeding it from this node");
		cl_diff(c);
		json_object_set_new(c->pending, K_META, json_string("{\"version\":1}"));
	} else {
		c->remote_dirty = true;
	}
	c->synced_once = true;
	c->wl_dirty = true;
	c->need_diff = true;
	c->state = CL_UP;
	c->keepalive_due = now_ms() + KEEPALIVE_MS;
	start_watch(c);
	log_info("cluster: connected to etcd at %s as node %s (revision %lld, %zu keys)",
		 etcd_endpoint(c->etcd), c->node, c->revision, json_object_size(mirror));
	c->warned = false;
}

static void on_event(struct cluster *c, json_t *ev)
{
	json_t *kv = json_object_get(ev, "kv");
	const char *type = json_string_value(json_object_get(ev, "type"));
	char *key = etcd_unb64(json_string_value(json_object_get(kv, "key")), NULL), *val = NULL;
	long long rev = etcd_int(json_object_get(kv, "mod_revision"));
	json_t *m;

	if (!key)
		return;
	m = json_object_get(c->mirror, key);
	if (m && json_integer_value(json_object_get(m, "r")) > rev)
		goto out; /* our txn's answer already told us something newer */
	if (type && strcmp(type, "DELETE") == 0) {
		if (!m)
			goto out;
		json_object_del(c->mirror, key);
	} else {
		val = etcd_unb64(json_string_value(json_object_get(kv, "value")) ?: "", NULL);
		if (!val || (m && str_eq(mirror_val(c, key), val)))
			goto out;
		mirror_set(c->mirror, key, val, rev);
	}
	if (starts(key, K_POLICY))
		c->remote_dirty = true;
	else if (starts(key, c->own_pfx))
		c->need_diff = true; /* someone else touched our keys, or our lease ran out */
	else if (starts(key, K_WLS))
		c->wl_dirty = true;
out:
	free(key);
	free(val);
}

static void on_watch(struct cluster *c, json_t *msg)
{
	json_t *res = json_object_get(msg, "result"), *ev;
	long long rev;
	size_t i;

	if (!res) {
		cl_reset(c, "watch error");
		return;
	}
	if (json_is_true(json_object_get(res, "canceled")) ||
	    etcd_int(json_object_get(res, "compact_revision"))) {
		cl_resync(c, "watch canceled (compacted?)");
		return;
	}
	json_array_foreach(json_object_get(res, "events"), i, ev)
		on_event(c, ev);
	rev = etcd_int(json_object_get(json_object_get(res, "header"), "revision"));
	if (rev > c->revision)
		c->revision = rev;
}

/* Two rules with one id: the same policy (learned on both ends of one session) or not. */
static bool same_rule(const char *a, const char *b)
{
	json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
	bool same;

	json_object_del(ja, "created");
	json_object_del(jb, "created");
	same = ja && jb && json_equal(ja, jb);
	json_decref(ja);
	json_decref(jb);
	return same;
}

/* The next id of the rule's class (user or learned) that neither etcd nor we use. */
static uint32_t free_rule_id(const struct cluster *c, bool learned)
{
	uint32_t max = learned ? POLICY_LEARN_ID_MIN - 1 : 0;
	const json_t *maps[2] = {c->mirror, c->pending};
	json_t *v;
	const char *k;

	for (int i = 0; i < 2; i++) {
		json_object_foreach((json_t *)maps[i], k, v) {
			uint32_t id;

			if (!starts(k, K_RULES))
				continue;
			id = (uint32_t)strtoul(k + strlen(K_RULES), NULL, 10);
			if ((id >= POLICY_LEARN_ID_MIN) == learned && id > max)
				max = id;
		}
	}
	return !learned && max >= POLICY_USER_ID_MAX ? 0 : max + 1;
}

/* Another node created one of our new rule ids first: etcd's stays, ours moves. */
static void on_collision(struct cluster *c, const char *key, const char *theirs, long long rev)
{
	const char *ours = json_string_value(json_object_get(c->inflight, key));
	json_t *j = ours ? json_loads(ours, 0, NULL) : NULL;
	char nkey[KEY_MAX], *val;
	uint32_t id;

	mirror_set(c->mirror, key, theirs, rev);
	c->remote_dirty = true;
	json_object_del(c->created, key);
	if (!j || same_rule(ours, theirs)) {
		json_object_del(c->pending, key);
		json_decref(j);
		return;
	}
	id = free_rule_id(c, json_is_true(json_object_get(j, "learned")));
	if (!id) {
		log_warn("cluster: rule %s was taken by another node and no user id is free: "
			 "ours is dropped",
			 key + strlen(K_RULES));
		json_object_del(c->pending, key);
		json_decref(j);
		return;
	}
	json_object_set_new(j, "id", json_integer(id));
	snprintf(nkey, sizeof(nkey), K_RULES "%u", id);
	val = dump(j);
	json_object_del(c->pending, key);
	if (val) {
		json_object_set_new(c->pending, nkey, json_string(val));
		json_object_set_new(c->created, nkey, json_true());
	}
	free(val);
	log_warn("cluster: rule id %s was taken by another node meanwhile; ours is now rule %u",
		 key + strlen(K_RULES), id);
}

static void on_txn_failed(struct cluster *c, json_t *msg)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(msg, "responses"), i, r) {
		json_t *kv =
		    json_array_get(json_object_get(json_object_get(r, "response_range"), "kvs"), 0);
		char *key = etcd_unb64(json_string_value(json_object_get(kv, "key")), NULL);
		char *val = etcd_unb64(json_string_value(json_object_get(kv, "value")) ?: "", NULL);

		if (key && val)
			on_collision(c, key, val, etcd_int(json_object_get(kv, "mod_revision")));
		free(key);
		free(val);
	}
	json_decref(c->inflight);
	c->inflight = NULL;
}

static void on_txn(struct cluster *c, json_t *msg)
{
	long long rev = etcd_int(json_object_get(json_object_get(msg, "header"), "revision"));
	json_t *v;
	const char *k;

	/* The gateway leaves false booleans out. */
	if (!json_is_true(json_object_get(msg, "succeeded"))) {
		on_txn_failed(c, msg);
		return;
	}

	json_object_foreach(c->inflight, k, v) {
		json_t *m = json_object_get(c->mirror, k), *p = json_object_get(c->pending, k);

		if (!m || json_integer_value(json_object_get(m, "r")) <= rev) {
			if (json_is_null(v))
				json_object_del(c->mirror, k);
			else
				mirror_set(c->mirror, k, json_string_value(v), rev);
		}
		if (p && json_equal(p, v)) {
			json_object_del(c->pending, k);
			json_object_del(c->created, k);
		}
	}
	json_decref(c->inflight);
	c->inflight = NULL;
	if (rev > c->revision)
		c->revision = rev;
}

static void on_etcd(void *ctx, enum etcd_op op, json_t *msg, const char *err)
{
	struct cluster *c = ctx;

	if (err) {
		cl_reset(c, err);
		return;
	}
	switch (op) {
	case ETCD_LEASE_GRANT:
		on_lease(c, msg);
		break;
	case ETCD_RANGE:
		on_range(c, msg);
		break;
	case ETCD_WATCH:
		on_watch(c, msg);
		break;
	case ETCD_TXN:
		on_txn(c, msg);
		break;
	case ETCD_KEEPALIVE:
		if (etcd_int(json_object_get(msg, "TTL")) <= 0)
			cl_resync(c, "lease expired");
		break;
	default:
		break;
	}
}

/* One txn at a time, so its answer tells exactly which pending changes etcd now has. */
static void cl_flush(struct cluster *c)
{
	json_t *ops, *cmp, *fail, *v;
	const char *k;
	int n = 0;

	if (c->state != CL_UP || c->inflight || !json_object_size(c->pending))
		return;
	ops = json_array();
	cmp = json_array();
	fail = json_array();
	c->inflight = json_object();
	json_object_foreach(c->pending, k, v) {
		json_t *kv = kv_json(k, starts(k, c->own_pfx), c->lease);

		/*
		 * Rule ids are allocated per node: a rule id new to us must be new to etcd
		 * too, else another node took it meanwhile (on_txn_failed gives ours another).
		 */
		if (starts(k, K_RULES) && !json_is_null(v) &&
		    (!json_object_get(c->mirror, k) || json_object_get(c->created, k))) {
			json_t *ck = kv_json(k, 0, NULL);

			json_object_set_new(ck, "target", json_string("CREATE"));
			json_object_set_new(ck, "result", json_string("EQUAL"));
			json_object_set_new(ck, "create_revision", json_string("0"));
			json_array_append_new(cmp, ck);
			json_array_append_new(
			    fail, json_pack("{s:o}", "request_range", kv_json(k, 0, NULL)));
		}
		if (json_is_null(v)) {
			json_array_append_new(ops, json_pack("{s:o}", "request_delete_range", kv));
		} else {
			char *b = etcd_b64(json_string_value(v), strlen(json_string_value(v)));

			json_object_set_new(kv, "value", json_string(b ? b : ""));
			free(b);
			json_array_append_new(ops, json_pack("{s:o}", "request_put", kv));
		}
		json_object_set(c->inflight, k, v);
		if (++n == TXN_OPS_MAX)
			break;
	}
	if (etcd_call(
		c->etcd, ETCD_TXN,
		json_pack("{s:o, s:o, s:o}", "compare", cmp, "success", ops, "failure", fail)) < 0)
		cl_reset(c, "out of memory");
}

static void cl_handle_reset(struct cluster *c)
{
	etcd_abort(c->etcd);
	json_decref(c->inflight);
	c->inflight = NULL;
	c->state = CL_DOWN;
	c->retry_due = now_ms() + (c->resync ? 0 : RETRY_MS);
	if (c->resync)
		log_info("cluster: %s: resynchronising", c->reset_why);
	else if (!c->warned)
		log_warn(
		    "cluster: etcd unavailable (%s); enforcing the last policy, queueing local "
		    "changes, retrying every %d s",
		    c->reset_why, RETRY_MS / 1000);
	else
		log_debug("cluster: still unavailable (%s)", c->reset_why);
	c->warned |= !c->resync;
	c->reset = c->resync = false;
}

/*
 * Bring the model up to what etcd said, then diff what is still ours.  It runs after
 * every etcd_poll(): a mirror left ahead of the model until the next wake would make
 * the next diff (a local edit meanwhile) read the remote additions as local deletions.
 */
static void cl_settle(struct cluster *c)
{
	if (c->reset)
		cl_handle_reset(c);
	if (c->remote_dirty)
		apply_policy(c);
	if (c->wl_dirty)
		apply_workloads(c);
	if (c->need_diff || policy_model_generation(c->d->model) != c->seen_gen)
		cl_diff(c);
}

void cluster_poll(struct cluster *c)
{
	int64_t now;

	if (!c)
		return;
	/* Local edits since the last call, against the mirror they were made on. */
	if (policy_model_generation(c->d->model) != c->seen_gen || c->need_diff)
		cl_diff(c);
	etcd_poll(c->etcd);
	cl_settle(c);
	now = now_ms();
	if (c->state == CL_DOWN && now >= c->retry_due)
		cl_connect(c);
	if (c->state == CL_UP && now >= c->keepalive_due) {
		c->keepalive_due = now + KEEPALIVE_MS;
		if (etcd_call(c->etcd, ETCD_KEEPALIVE, json_pack("{s:s}", "ID", c->lease)) < 0)
			cl_reset(c, "out of memory");
	}
	cl_flush(c);
	/* Requests queued above start on the next wake; make it come now. */
	etcd_poll(c->etcd);
	cl_settle(c);
	cl_flush(c); /* e.g. a rule moved off a taken id just now */
}

/* ---- life cycle ---- */

int cluster_url_check(const char *url, char *err, size_t errlen)
{
	const char *p = url;

	if (strncmp(p, "etcd://", 7) != 0 || !p[7]) {
		snprintf(err, errlen, "--cluster takes etcd://HOST:PORT[,HOST:PORT...]");
		return -EINVAL;
	}
	for (p += 7; *p; p++) {
		if (*p == '/' || *p == '@' || *p == ' ') {
			snprintf(err, errlen, "--cluster %s: only HOST:PORT lists, no path or user",
				 url);
			return -EINVAL;
		}
	}
	return 0;
}

int cluster_new(struct cluster **out, struct bh_daemon *d, char *err, size_t errlen)
{
	struct cluster *c;
	int rc;

	*out = NULL;
	if (!d->cfg.cluster)
		return 0;
	rc = cluster_url_check(d->cfg.cluster, err, errlen);
	if (rc < 0)
		return rc;
	if (!d->cfg.node || !policy_name_valid(d->cfg.node)) {
		snprintf(err, errlen,
			 "--node: a name of [A-Za-z0-9_.-]{1,63} is needed with --cluster");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->d = d;
	c->node = d->cfg.node;
	snprintf(c->own_pfx, sizeof(c->own_pfx), K_WLS "%s/", c->node);
	c->mirror = json_object();
	c->pending = json_object();
	c->created = json_object();
	rc = etcd_new(&c->etcd, d->cfg.cluster + 7, on_etcd, c);
	if (rc < 0 || !c->mirror || !c->pending || !c->created) {
		snprintf(err, errlen, "--cluster %s: %s", d->cfg.cluster,
			 rc == -EINVAL ? "bad endpoint list" : strerror(rc < 0 ? -rc : ENOMEM));
		cluster_free(c);
		return rc < 0 ? rc : -ENOMEM;
	}
	/* Until etcd answers, what we loaded is the base: only later edits are local changes. */
	{
		json_t *want = json_object(), *v;
		const char *k;

		want_policy(c, want);
		json_object_foreach(want, k, v)
			mirror_set(c->mirror, k, json_string_value(v), 0);
		json_decref(want);
	}
	c->seen_gen = policy_model_generation(d->model);
	c->need_diff = true;
	log_info("cluster: node %s, etcd %s", c->node, d->cfg.cluster + 7);
	cl_connect(c);
	etcd_poll(c->etcd);
	*out = c;
	return 0;
}

void cluster_free(struct cluster *c)
{
	if (!c)
		return;
	etcd_free(c->etcd);
	while (c->rwls) {
		struct cl_rwl *r = c->rwls;

		c->rwls = r->next;
		free(r->key);
		free(r->val);
		free(r);
	}
	json_decref(c->mirror);
	json_decref(c->pending);
	json_decref(c->created);
	json_decref(c->inflight);
	free(c);
}

int cluster_fd(const struct cluster *c)
{
	return c ? etcd_fd(c->etcd) : -1;
}

json_t *cluster_status_json(const struct cluster *c)
{
	size_t n = 0;

	if (!c)
		return json_pack("{s:s}", "state", "off");
	for (const struct cl_rwl *r = c->rwls; r; r = r->next)
		n += r->id != 0;
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "state",
			 c->state == CL_UP ? "connected" : "unavailable", "node", c->node,
			 "endpoint", etcd_endpoint(c->etcd), "revision", (json_int_t)c->revision,
			 "pending", (json_int_t)json_object_size(c->pending), "remote_workloads",
			 (json_int_t)n);
}
