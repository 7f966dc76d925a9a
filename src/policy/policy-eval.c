/*
 * policy-eval.c - the decision at one end of a new session, and why.
 *
 * Called by dp threads concurrently on a policy they hold under RCU: nothing
 * here writes to the policy or allocates.  First find the lowest-id rule that
 * matches (this-end groups x peer groups x proto/port, see policy-compiled.h;
 * a rule with apps also needs the session's app, or matches provisionally while
 * DPI has not named it), then let the mode at this end say what that means,
 * exactly as DESIGN §2.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy-compiled.h"

struct outcome {
	enum policy_result action;
	bool violation;
	bool learn;
};

/* clang-format off */
/* ALLOW(log a violation?, ask to learn?), BLOCK(log a violation?) */
#define ALLOW(viol, learn) {POLICY_ALLOW, viol, learn}
#define BLOCK(viol) {POLICY_BLOCK, viol, false}

/* DESIGN §2: what "no rule matches" and "a deny rule matches" mean in each mode. */
static const struct mode_row {
	bool rules_apply;
	struct outcome no_match;
	struct outcome deny;
} mode_table[BH_MODE__MAX] = {
	/*                       rules  no rule matches            deny rule matches */
	[BH_MODE_DISCOVER]   = { true,  ALLOW(false, true),        ALLOW(true, false) },
	[BH_MODE_MONITOR]    = { true,  ALLOW(true, false),        ALLOW(true, false) },
	[BH_MODE_PROTECT]    = { true,  BLOCK(true),               BLOCK(true) },
	[BH_MODE_QUARANTINE] = { false, BLOCK(true),               BLOCK(true) },
};
/* clang-format on */

/* An allow rule allows in every mode where rules apply. */
static const struct outcome allow_match = ALLOW(false, false);

static const struct cp_wl *wl_find(const struct policy *p, uint32_t id)
{
	const struct cp_ent *e = cp_map_find(&p->wl_by_id, id);

	return e ? &p->wls[e->val] : NULL;
}

static const struct cp_wl *wl_by_addr(const struct policy *p, const struct policy_addr *a)
{
	uint32_t i = cp_addr_hash(a, p->addr_mask);

	for (; p->addrs[i].addr.family; i = (i + 1) & p->addr_mask) {
		if (cp_addr_equal(&p->addrs[i].addr, a))
			return &p->wls[p->addrs[i].wl];
	}
	return NULL;
}

/* Explain only: the name (and TTL left) that put the peer in an FQDN group. */
struct fq_note {
	uint32_t g;
	int64_t ttl_ms;
	char name[POLICY_FQDN_LEN + 1];
};
#define FQ_NOTES 4

/*
 * Peer groups, as four lists walked in turn without copying: `any` (plus
 * `external` when the peer is no workload), the peer workload's groups, the
 * CIDR groups holding the address, and the FQDN groups whose pattern matches
 * a name this end's workload resolved to the address.
 */
struct peer {
	const struct cp_wl *wl;
	const uint32_t *list[4];
	uint32_t cnt[4];
	uint32_t fq[CP_FQDN_PEER_MAX];
	struct fq_note *notes; /* NULL unless explaining */
	uint32_t n_notes;
};

static const uint32_t any_external[] = {CP_GROUP_ANY, CP_GROUP_EXTERNAL};

struct fq_walk {
	const struct policy *p;
	struct peer *pe;
};

static void fq_note(struct peer *pe, uint32_t g, const char *name, int64_t ttl_ms)
{
	struct fq_note *n;

	for (uint32_t i = 0; i < pe->n_notes; i++) {
		if (pe->notes[i].g == g) {
			if (ttl_ms > pe->notes[i].ttl_ms) {
				pe->notes[i].ttl_ms = ttl_ms;
				strcpy(pe->notes[i].name, name);
			}
			return;
		}
	}
	if (pe->n_notes == FQ_NOTES)
		return;
	n = &pe->notes[pe->n_notes++];
	n->g = g;
	n->ttl_ms = ttl_ms;
	strcpy(n->name, name);
}

/* One live name of the peer address: the groups of every pattern it matches. */
static void fq_name(void *arg, const char *name, int64_t ttl_ms)
{
	struct fq_walk *fw = arg;
	struct peer *pe = fw->pe;
	size_t len = strnlen(name, POLICY_FQDN_LEN + 1);

	if (len > POLICY_FQDN_LEN)
		return;
	for (uint32_t i = 0; i < fw->p->n_fqdns; i++) {
		const struct cp_fqdn *f = &fw->p->fqdns[i];
		uint32_t k;

		if (!policy_fqdn_match(f->name, f->len, f->wild, name, len))
			continue;
		for (k = 0; k < pe->cnt[3] && pe->fq[k] != f->g; k++)
			;
		if (k == pe->cnt[3] && k < CP_FQDN_PEER_MAX)
			pe->fq[pe->cnt[3]++] = f->g;
		if (pe->notes)
			fq_note(pe, f->g, name, ttl_ms);
	}
}

static void peer_resolve(const struct policy *p, const struct policy_query *q, struct peer *pe)
{
	const struct policy_addr *a = &q->peer;
	const struct cp_range *r = cp_range_find(p, a);

	pe->wl = wl_by_addr(p, a);
	pe->list[0] = any_external;
	pe->cnt[0] = pe->wl ? 1 : 2;
	pe->list[1] = pe->wl ? p->lists + pe->wl->peer_off : NULL;
	pe->cnt[1] = pe->wl ? pe->wl->peer_cnt : 0;
	pe->list[2] = r ? p->lists + r->off : NULL;
	pe->cnt[2] = r ? r->cnt : 0;
	pe->list[3] = pe->fq;
	pe->cnt[3] = 0;
	if (p->n_fqdns && q->fqdn && q->fqdn->each) {
		struct fq_walk fw = {p, pe};

		q->fqdn->each(q->fqdn->ctx, q->wl_id, a, fq_name, &fw);
	}
}

/* Lowest rule index among a pair's segments covering port, or CP_NONE. */
static uint32_t pair_rule(const struct policy *p, const struct cp_ent *e, uint16_t port)
{
	const struct cp_seg *s = e->cnt == 1 ? &e->seg : &p->segs[e->val];
	uint32_t lo = 0, hi = e->cnt;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s[mid].lo <= port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && port <= s[lo - 1].hi ? s[lo - 1].rule : CP_NONE;
}

/*
 * Candidate pairs are gathered a few at a time and their buckets prefetched
 * before probing, so the cache misses of a large policy overlap instead of
 * adding up.
 */
#define BATCH 16

struct batch {
	const struct policy *p;
	const struct cp_map *map;
	uint16_t port;
	uint32_t n;
	uint64_t keys[BATCH];
	uint32_t best;
};

static void batch_flush(struct batch *b)
{
	for (uint32_t i = 0; i < b->n; i++) {
		const struct cp_ent *e = cp_map_find(b->map, b->keys[i]);
		uint32_t r = e ? pair_rule(b->p, e, b->port) : CP_NONE;

		b->best = r < b->best ? r : b->best;
	}
	b->n = 0;
}

static void batch_add(struct batch *b, uint64_t key)
{
	__builtin_prefetch(&b->map->ent[cp_hash64(key, b->map->mask)]);
	b->keys[b->n++] = key;
	if (b->n == BATCH)
		batch_flush(b);
}

/* Pairs (g1, each peer group) that some rule may hold, per the cheap filters. */
static void add_peer_pairs(struct batch *b, const struct policy_query *q, uint32_t g1,
			   const struct peer *pe)
{
	const uint64_t *used = b->p->peer_used[q->dir];
	uint64_t sig = b->p->g1_sig[q->dir][g1];

	for (int l = 0; l < 4; l++) {
		for (uint32_t i = 0; i < pe->cnt[l]; i++) {
			uint32_t g2 = pe->list[l][i];

			if (cp_bit(used, g2) && (sig & cp_sig_bit(g2)))
				batch_add(b, cp_pair_key(g1, g2));
		}
	}
}

/* ---- rules with apps: walked in id order, below the winner of the segments ---- */

static bool in_list(const uint32_t *list, uint32_t n, uint32_t g)
{
	for (uint32_t i = 0; i < n; i++)
		if (list[i] == g)
			return true;
	return false;
}

static bool peer_in(const struct peer *pe, uint32_t g)
{
	for (int l = 0; l < 4; l++)
		if (in_list(pe->list[l], pe->cnt[l], g))
			return true;
	return false;
}

/* PENDING: allow rules match provisionally, deny rules wait for the app. */
static bool app_matches(const struct cp_rule *r, uint8_t app)
{
	if (app == BH_APP_PENDING)
		return r->action == POLICY_ACTION_ALLOW;
	return app < BH_APP__MAX && (r->apps >> app & 1);
}

static bool app_rule_matches(const struct policy *p, const struct cp_wl *wl,
			     const struct policy_query *q, const struct peer *pe,
			     const struct cp_rule *r)
{
	uint32_t mine = q->dir == POLICY_EGRESS ? r->from : r->to;
	uint32_t theirs = q->dir == POLICY_EGRESS ? r->to : r->from;

	return app_matches(r, q->app) &&
	       policy_ports_match(p->ports + r->ports_off, r->n_ports, q->proto, q->port) &&
	       in_list(p->lists + wl->this_off[q->dir], wl->this_cnt[q->dir], mine) &&
	       peer_in(pe, theirs);
}

/* The lowest rule index below best that is a matching rule with apps, else best. */
static uint32_t first_app_match(const struct policy *p, const struct cp_wl *wl,
				const struct policy_query *q, const struct peer *pe, uint32_t best)
{
	for (uint32_t i = 0; i < p->n_app_rules && p->app_rules[i] < best; i++) {
		const struct cp_rule *r = &p->rules[p->app_rules[i]];

		if (app_rule_matches(p, wl, q, pe, r))
			return p->app_rules[i];
	}
	return best;
}

/* Rules are stored in id order, so the lowest index is the first match by id. */
static const struct cp_rule *first_match(const struct policy *p, const struct cp_wl *wl,
					 const struct policy_query *q, const struct peer *pe)
{
	struct batch b = {
	    .p = p,
	    .map = &p->pairs[q->dir][q->proto],
	    .port = q->proto <= POLICY_PROTO_UDP ? q->port : 0,
	    .best = CP_NONE,
	};
	const uint32_t *this = p->lists + wl->this_off[q->dir];

	for (uint32_t i = 0; i < wl->this_cnt[q->dir]; i++)
		add_peer_pairs(&b, q, this[i], pe);
	batch_flush(&b);
	if (p->n_app_rules)
		b.best = first_app_match(p, wl, q, pe, b.best);
	return b.best == CP_NONE ? NULL : &p->rules[b.best];
}

static void decide(const struct mode_row *row, const struct cp_rule *r, uint8_t app,
		   struct policy_verdict *v)
{
	const struct outcome *o;

	if (!row->rules_apply) {
		o = &row->no_match;
		v->reason = "quarantine";
	} else if (!r) {
		o = &row->no_match;
		v->reason = "default";
	} else {
		o = r->action == POLICY_ACTION_DENY ? &row->deny : &allow_match;
		v->reason = "rule";
		v->rule_id = r->id;
		v->provisional = r->has_apps && app == BH_APP_PENDING;
	}
	v->action = o->action;
	v->violation = o->violation;
	v->learn = o->learn;
}

static bool query_valid(const struct policy_query *q)
{
	return q->dir <= POLICY_INGRESS && q->proto < POLICY_PROTO__MAX && q->app < BH_APP__MAX &&
	       policy_addr_valid(&q->peer);
}

/* Shared by eval and explain: the rule that decides (or NULL) and the verdict. */
static int evaluate(const struct policy *p, const struct policy_query *q, struct policy_verdict *v,
		    const struct cp_wl **wlp, struct peer *pe, const struct cp_rule **rp)
{
	const struct cp_wl *wl;
	const struct mode_row *row;

	*v = (struct policy_verdict){.action = POLICY_ALLOW, .reason = "bad query"};
	*rp = NULL;
	if (!query_valid(q))
		return -EINVAL;
	wl = wl_find(p, q->wl_id);
	*wlp = wl;
	if (!wl) {
		v->reason = "unknown workload";
		return -ENOENT;
	}
	row = &mode_table[wl->mode];
	v->mode = (enum bh_mode)wl->mode;
	peer_resolve(p, q, pe);
	if (row->rules_apply)
		*rp = first_match(p, wl, q, pe);
	decide(row, *rp, q->app, v);
	return 0;
}

int policy_eval(const struct policy *p, const struct policy_query *q, struct policy_verdict *v)
{
	const struct cp_wl *wl;
	const struct cp_rule *r;
	struct peer pe = {.notes = NULL};

	return evaluate(p, q, v, &wl, &pe, &r);
}

/* ---- explain ---- */

struct out {
	char *buf;
	size_t len;
	size_t off;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->off >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->off, o->len - o->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->off = o->off + (size_t)n < o->len ? o->off + (size_t)n : o->len - 1;
}

static const char *peer_name(const struct policy *p, const struct peer *pe)
{
	return pe->wl ? p->gnames[pe->wl->name] : POLICY_GROUP_EXTERNAL;
}

/* Why the peer is in an FQDN group: the name this workload resolved, and its TTL. */
static void put_fqdn_notes(struct out *o, const struct policy *p, const struct peer *pe)
{
	for (uint32_t i = 0; i < pe->n_notes; i++) {
		const struct fq_note *n = &pe->notes[i];

		if (n->ttl_ms >= 0)
			put(o, "[in %s: resolved %s, ttl %lld.%llds left] ", p->gnames[n->g],
			    n->name, (long long)(n->ttl_ms / 1000),
			    (long long)(n->ttl_ms % 1000 / 100));
		else
			put(o, "[in %s: resolved %s, ttl over, in grace] ", p->gnames[n->g],
			    n->name);
	}
}

static void put_session(struct out *o, const struct policy *p, const struct policy_query *q,
			const struct cp_wl *wl, const struct peer *pe)
{
	char addr[INET6_ADDRSTRLEN];

	policy_addr_format(&q->peer, addr, sizeof(addr));
	put(o, "%s of %s %s %s (%s) ", q->dir == POLICY_EGRESS ? "egress" : "ingress",
	    p->gnames[wl->name], q->dir == POLICY_EGRESS ? "to" : "from", addr, peer_name(p, pe));
	put_fqdn_notes(o, p, pe);
	if (q->proto <= POLICY_PROTO_UDP)
		put(o, "%s/%u", policy_proto_name(q->proto), q->port);
	else
		put(o, "%s", policy_proto_name(q->proto));
	put(o, q->app == BH_APP_PENDING ? ": " : " app %s: ", policy_app_name(q->app));
}

static void put_apps(struct out *o, uint64_t apps)
{
	const char *sep = " app ";

	for (int a = BH_APP_FIRST_NAMED; a < BH_APP__MAX; a++) {
		if (apps >> a & 1) {
			put(o, "%s%s", sep, policy_app_name(a));
			sep = ",";
		}
	}
}

static void put_rule(struct out *o, const struct policy *p, const struct cp_rule *r)
{
	char ports[POLICY_PORTS_STRLEN];

	policy_ports_format(p->ports + r->ports_off, r->n_ports, ports, sizeof(ports));
	put(o, "rule %u (%s -> %s %s", r->id, p->gnames[r->from], p->gnames[r->to], ports);
	put_apps(o, r->apps);
	put(o, " %s) matches%s; ", policy_action_name(r->action),
	    r->has_apps && !r->apps ? " (its apps are unknown)" : "");
}

static void put_verdict(struct out *o, const struct policy_verdict *v)
{
	put(o, "mode %s => %s%s%s%s", bh_mode_name(v->mode),
	    v->action == POLICY_ALLOW ? "allow" : "block", v->violation ? ", violation" : "",
	    v->learn ? ", learn" : "",
	    v->provisional ? " (provisional: decided again once the app is known)" : "");
}

int policy_explain(const struct policy *p, const struct policy_query *q, char *buf, size_t len)
{
	struct out o = {buf, len, 0};
	struct fq_note notes[FQ_NOTES];
	struct policy_verdict v;
	const struct cp_wl *wl;
	const struct cp_rule *r;
	struct peer pe = {.notes = notes};
	int ret;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	ret = evaluate(p, q, &v, &wl, &pe, &r);
	if (ret == -ENOENT)
		put(&o, "workload %u is not in this policy", q->wl_id);
	if (ret)
		return ret;
	put_session(&o, p, q, wl, &pe);
	if (!mode_table[v.mode].rules_apply)
		put(&o, "rules ignored; ");
	else if (r)
		put_rule(&o, p, r);
	else
		put(&o, "no rule matches; ");
	put_verdict(&o, &v);
	return (int)o.off;
}

/* ---- learning ---- */

int policy_learn_req_fill(const struct policy *p, const struct policy_query *q,
			  struct policy_learn_req *out)
{
	const struct cp_wl *wl;
	const char *me, *peer;
	struct peer pe = {.notes = NULL};

	memset(out, 0, sizeof(*out));
	if (!query_valid(q))
		return -EINVAL;
	wl = wl_find(p, q->wl_id);
	if (!wl)
		return -ENOENT;
	peer_resolve(p, q, &pe);
	me = p->gnames[wl->name];
	peer = peer_name(p, &pe);
	strcpy(out->from, q->dir == POLICY_EGRESS ? me : peer);
	strcpy(out->to, q->dir == POLICY_EGRESS ? peer : me);
	out->proto = q->proto;
	out->port = q->proto <= POLICY_PROTO_UDP ? q->port : 0;
	/* ICMP is named by its port spec already; only TCP/UDP rules name an app. */
	out->app = q->proto <= POLICY_PROTO_UDP && q->app < BH_APP__MAX ? q->app : BH_APP_PENDING;
	return 0;
}
