/*
 * conv.c - the conversation table behind `conn list` and connections.jsonl.
 *
 * The dp reports sessions one by one; operators think in conversations
 * ("client talks to web on tcp/80, 1200 sessions, 3 MB").  This table folds
 * session events into those, keyed by names rather than ids so that a
 * conversation survives a workload being re-added.  It is bounded: when full,
 * the conversation seen least recently makes room (a linear scan, which only
 * happens at the bound).
 */
#include "conv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "policy/policy.h"

#define CONV_BUCKETS 4096 /* power of two */

struct conv_table {
	struct conv *buckets[CONV_BUCKETS];
	size_t n;
	size_t max;
};

int conv_table_new(struct conv_table **out, size_t max)
{
	struct conv_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->max = max ? max : CONV_MAX_DEFAULT;
	*out = t;
	return 0;
}

void conv_table_free(struct conv_table *t)
{
	if (!t)
		return;
	for (size_t b = 0; b < CONV_BUCKETS; b++) {
		while (t->buckets[b]) {
			struct conv *c = t->buckets[b];

			t->buckets[b] = c->next;
			free(c);
		}
	}
	free(t);
}

size_t conv_table_count(const struct conv_table *t)
{
	return t->n;
}

static uint32_t fnv(uint32_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static size_t key_bucket(const struct conv_key *k)
{
	uint32_t h = 2166136261u;

	h = fnv(h, k->from, strlen(k->from));
	h = fnv(h, "\0", 1);
	h = fnv(h, k->to, strlen(k->to));
	h = fnv(h, &k->proto, sizeof(k->proto));
	h = fnv(h, &k->port, sizeof(k->port));
	return h & (CONV_BUCKETS - 1);
}

static bool key_equal(const struct conv_key *a, const struct conv_key *b)
{
	return a->proto == b->proto && a->port == b->port && !strcmp(a->from, b->from) &&
	       !strcmp(a->to, b->to);
}

static void evict_oldest(struct conv_table *t)
{
	struct conv **victim = NULL;

	for (size_t b = 0; b < CONV_BUCKETS; b++)
		for (struct conv **pp = &t->buckets[b]; *pp; pp = &(*pp)->next)
			if (!victim || (*pp)->last_seen_ms < (*victim)->last_seen_ms)
				victim = pp;
	if (victim) {
		struct conv *c = *victim;

		*victim = c->next;
		free(c);
		t->n--;
	}
}

struct conv *conv_get(struct conv_table *t, const struct conv_key *k, int64_t now_ms)
{
	size_t b = key_bucket(k);
	struct conv *c;

	for (c = t->buckets[b]; c; c = c->next)
		if (key_equal(&c->key, k))
			return c;
	if (t->n >= t->max)
		evict_oldest(t);
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->key = *k;
	c->first_seen_ms = c->last_seen_ms = now_ms;
	c->next = t->buckets[b];
	t->buckets[b] = c;
	t->n++;
	return c;
}

void conv_session(struct conv *c, bool counted, uint32_t rule_id, uint8_t action, int64_t now_ms)
{
	/*
	 * Both ends of a session between two workloads report it; only the counting
	 * end sets the outcome, unless the other end blocked it, which is news.
	 */
	if (counted)
		c->sessions++;
	if (counted || action == POLICY_BLOCK) {
		c->last_rule = rule_id;
		c->last_action = action;
	}
	if (action == POLICY_BLOCK)
		c->blocked_seen = true;
	if (now_ms > c->last_seen_ms)
		c->last_seen_ms = now_ms;
	c->dirty = true;
}

void conv_app(struct conv *c, uint8_t app)
{
	if (app == BH_APP_PENDING || app >= BH_APP__MAX || (c->apps >> app & 1))
		return;
	c->apps |= 1ull << app;
	c->dirty = true;
}

/* "http", "http,tls"; "" while no session was named. */
static void apps_format(uint64_t apps, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int a = 0; a < BH_APP__MAX && off < len; a++) {
		if (apps >> a & 1)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "," : "",
						policy_app_name((enum bh_app)a));
	}
}

void conv_end(struct conv *c, uint64_t packets, uint64_t bytes, int64_t now_ms)
{
	c->packets += packets;
	c->bytes += bytes;
	if (now_ms > c->last_seen_ms)
		c->last_seen_ms = now_ms;
	c->dirty = true;
}

size_t conv_flush(struct conv_table *t, void (*fn)(void *ctx, const struct conv *c), void *ctx)
{
	size_t n = 0;

	for (size_t b = 0; b < CONV_BUCKETS; b++) {
		for (struct conv *c = t->buckets[b]; c; c = c->next) {
			if (!c->dirty)
				continue;
			fn(ctx, c);
			c->dirty = false;
			n++;
		}
	}
	return n;
}

void conv_port_format(uint8_t proto, uint16_t port, char *buf, size_t len)
{
	if (proto == POLICY_PROTO_TCP || proto == POLICY_PROTO_UDP)
		snprintf(buf, len, "%s/%u", policy_proto_name(proto), port);
	else
		snprintf(buf, len, "%s", policy_proto_name(proto));
}

json_t *conv_to_json(const struct conv *c)
{
	char port[32], first[40], last[40], apps[256];
	json_t *rule = c->last_rule ? json_integer(c->last_rule) : json_string("default");

	conv_port_format(c->key.proto, c->key.port, port, sizeof(port));
	apps_format(c->apps, apps, sizeof(apps));
	jsonl_time_iso(c->first_seen_ms, first, sizeof(first));
	jsonl_time_iso(c->last_seen_ms, last, sizeof(last));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:s, s:b, s:s, s:s}",
			 "from", c->key.from, "to", c->key.to, "port", port, "proto",
			 policy_proto_name(c->key.proto), "app", apps, "sessions", (json_int_t)c->sessions,
			 "packets", (json_int_t)c->packets, "bytes", (json_int_t)c->bytes,
			 "last_rule", rule, "last_action",
			 c->last_action == POLICY_BLOCK ? "deny" : "allow", "blocked_seen",
			 c->blocked_seen, "first_seen", first, "last_seen", last);
}

static int conv_cmp(const void *a, const void *b)
{
	const struct conv *x = *(struct conv *const *)a, *y = *(struct conv *const *)b;
	int r = strcmp(x->key.from, y->key.from);

	if (!r)
		r = strcmp(x->key.to, y->key.to);
	if (!r)
		r = (int)x->key.proto - (int)y->key.proto;
	if (!r)
		r = (int)x->key.port - (int)y->key.port;
	return r;
}

json_t *conv_list_json(const struct conv_table *t)
{
	struct conv **v = malloc((t->n ? t->n : 1) * sizeof(*v));
	json_t *arr = json_array();
	size_t n = 0;

	if (!v || !arr) {
		free(v);
		json_decref(arr);
		return NULL;
	}
	for (size_t b = 0; b < CONV_BUCKETS; b++)
		for (struct conv *c = t->buckets[b]; c; c = c->next)
			v[n++] = c;
	qsort(v, n, sizeof(*v), conv_cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, conv_to_json(v[i]));
	free(v);
	return arr;
}
