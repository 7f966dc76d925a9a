/*
 * policy-compile.c - turn the source model into the immutable struct policy.
 *
 * Runs on the control thread after every change; the result is published to
 * the dp with RCU.  All the work that depends only on the policy (group
 * membership, CIDR containment, rule order, port ranges) happens here, once,
 * so that policy_eval() stays a handful of lookups whatever the rule count.
 * See policy-compiled.h for the layout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy-compiled.h"

/* Group name -> index, while compiling. */
struct name_tab {
	char (*names)[POLICY_NAME_MAX];
	uint32_t n;
	size_t cap;
	uint32_t *slots; /* CP_NONE = empty */
	uint32_t mask;
};

/* One (direction, proto, this-end group, peer group, ports) fact of one rule. */
struct tuple {
	uint32_t g1;
	uint32_t g2;
	uint32_t rule;
	uint16_t lo;
	uint16_t hi;
	uint8_t dir;
	uint8_t proto;
};

struct compiler {
	const struct policy_model *m;
	struct policy *p;
	struct name_tab names;
	uint64_t *this_used[2]; /* per dir: groups a rule names at this end */
	struct tuple *tuples;
	size_t n_tuples, cap_tuples;
	size_t n_lists, cap_lists;
	size_t n_segs, cap_segs;
	size_t seg_base;   /* first segment of the pair being built */
	uint32_t *scratch; /* segment building */
	size_t cap_scratch;
};

/* ---- names ---- */

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static uint32_t names_find(const struct name_tab *t, const char *s)
{
	for (uint32_t i = str_hash(s) & t->mask;; i = (i + 1) & t->mask) {
		if (t->slots[i] == CP_NONE || !strcmp(t->names[t->slots[i]], s))
			return t->slots[i];
	}
}

static void names_place(struct name_tab *t, uint32_t idx)
{
	uint32_t i = str_hash(t->names[idx]) & t->mask;

	while (t->slots[i] != CP_NONE)
		i = (i + 1) & t->mask;
	t->slots[i] = idx;
}

static int names_resize(struct name_tab *t, uint32_t size)
{
	free(t->slots);
	t->slots = malloc(size * sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	memset(t->slots, 0xff, size * sizeof(*t->slots));
	t->mask = size - 1;
	for (uint32_t i = 0; i < t->n; i++)
		names_place(t, i);
	return 0;
}

static int names_add(struct name_tab *t, const char *s, uint32_t *out)
{
	uint32_t idx = t->slots ? names_find(t, s) : CP_NONE;

	if (idx == CP_NONE) {
		if (!t->slots || (t->n + 1) * 2 > t->mask + 1) {
			if (names_resize(t, t->slots ? (t->mask + 1) * 2 : 64))
				return -ENOMEM;
		}
		if (policy_grow((void **)&t->names, &t->cap, t->n + 1, sizeof(*t->names)))
			return -ENOMEM;
		idx = t->n++;
		strcpy(t->names[idx], s);
		names_place(t, idx);
	}
	if (out)
		*out = idx;
	return 0;
}

static int index_groups(struct compiler *c)
{
	const struct policy_model *m = c->m;
	int ret = 0;

	/* CP_GROUP_ANY and CP_GROUP_EXTERNAL first, so their indexes are fixed. */
	ret |= names_add(&c->names, POLICY_GROUP_ANY, NULL);
	ret |= names_add(&c->names, POLICY_GROUP_EXTERNAL, NULL);
	for (size_t i = 0; i < m->n_groups; i++)
		ret |= names_add(&c->names, m->groups[i].name, NULL);
	for (size_t i = 0; i < m->n_wls; i++) {
		ret |= names_add(&c->names, m->wls[i].name, NULL);
		for (size_t j = 0; j < m->wls[i].n_groups; j++)
			ret |= names_add(&c->names, m->wls[i].groups[j], NULL);
	}
	for (size_t i = 0; i < m->n_rules; i++) {
		ret |= names_add(&c->names, m->rules[i].from, NULL);
		ret |= names_add(&c->names, m->rules[i].to, NULL);
	}
	return ret ? -ENOMEM : 0;
}

static uint32_t gidx(const struct compiler *c, const char *name)
{
	return names_find(&c->names, name);
}

/* ---- small growable arrays ---- */

static int list_push(struct compiler *c, uint32_t v)
{
	if (policy_grow((void **)&c->p->lists, &c->cap_lists, c->n_lists + 1, sizeof(uint32_t)))
		return -ENOMEM;
	c->p->lists[c->n_lists++] = v;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort and dedupe lists[off..n_lists); returns the new count. */
static uint32_t list_seal(struct compiler *c, size_t off)
{
	uint32_t *l = c->p->lists + off;
	size_t n = c->n_lists - off, k = 0;

	qsort(l, n, sizeof(*l), cmp_u32);
	for (size_t i = 0; i < n; i++) {
		if (!k || l[k - 1] != l[i])
			l[k++] = l[i];
	}
	c->n_lists = off + k;
	return (uint32_t)k;
}

static int bitset_new(uint64_t **bits, uint32_t n)
{
	*bits = calloc((n + 63) / 64, sizeof(uint64_t));
	return *bits ? 0 : -ENOMEM;
}

static void bit_set(uint64_t *bits, uint32_t i)
{
	bits[i / 64] |= 1ull << (i % 64);
}

static int map_init(struct cp_map *map, size_t n)
{
	size_t size = 8;

	while (size < n * 2)
		size *= 2;
	map->ent = malloc(size * sizeof(*map->ent));
	if (!map->ent)
		return -ENOMEM;
	for (size_t i = 0; i < size; i++)
		map->ent[i].key = CP_MAP_EMPTY;
	map->mask = (uint32_t)(size - 1);
	return 0;
}

static struct cp_ent *map_put(struct cp_map *map, uint64_t key)
{
	uint32_t i = cp_hash64(key, map->mask);

	while (map->ent[i].key != CP_MAP_EMPTY && map->ent[i].key != key)
		i = (i + 1) & map->mask;
	map->ent[i] = (struct cp_ent){.key = key};
	return &map->ent[i];
}

/* ---- rules ---- */

/* A rule's app names as a bitmask of enum bh_app; names no longer known match nothing. */
static uint64_t app_mask(const struct policy_rule *r)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < r->n_apps; i++) {
		enum bh_app app;

		if (!policy_app_parse(r->apps[i], &app))
			mask |= 1ull << app;
	}
	return mask;
}

/*
 * All rules, in id order.  Rules without apps become port segments (compile_pairs);
 * rules with apps are few and are walked one by one at eval time (app_rules), so only
 * their groups are marked used here, keeping them in the workloads' group lists.
 */
static int compile_rules(struct compiler *c)
{
	const struct policy_model *m = c->m;
	struct policy *p = c->p;
	size_t n_ports = 0, off = 0;

	for (size_t i = 0; i < m->n_rules; i++)
		n_ports += m->rules[i].n_ports;
	p->rules = calloc(m->n_rules + 1, sizeof(*p->rules));
	p->app_rules = calloc(m->n_rules + 1, sizeof(*p->app_rules));
	p->ports = calloc(n_ports + 1, sizeof(*p->ports));
	if (!p->rules || !p->app_rules || !p->ports)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_rules; i++) {
		const struct policy_rule *r = &m->rules[i];
		struct cp_rule *cr = &p->rules[p->n_rules];

		cr->id = r->id;
		cr->from = gidx(c, r->from);
		cr->to = gidx(c, r->to);
		cr->action = (uint8_t)r->action;
		cr->ports_off = (uint32_t)off;
		cr->n_ports = (uint32_t)r->n_ports;
		cr->has_apps = r->n_apps > 0;
		cr->apps = app_mask(r);
		memcpy(p->ports + off, r->ports, r->n_ports * sizeof(*r->ports));
		off += r->n_ports;
		if (cr->has_apps) {
			p->app_rules[p->n_app_rules++] = p->n_rules;
			bit_set(c->this_used[POLICY_EGRESS], cr->from);
			bit_set(c->this_used[POLICY_INGRESS], cr->to);
		}
		p->n_rules++;
	}
	return 0;
}

/* ---- CIDR groups -> disjoint address ranges ---- */

struct cidr_item {
	cp_u128 lo;
	cp_u128 hi;
	uint32_t g;
};

static int cmp_item(const void *a, const void *b)
{
	const struct cidr_item *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi > y->hi ? -1 : x->hi < y->hi; /* outer first */
}

static int cmp_u128(const void *a, const void *b)
{
	cp_u128 x = *(const cp_u128 *)a, y = *(const cp_u128 *)b;

	return x < y ? -1 : x > y;
}

static size_t collect_cidrs(const struct compiler *c, int fam, struct cidr_item *items)
{
	unsigned bits = fam == AF_INET ? 32 : 128;
	size_t n = 0;

	for (size_t i = 0; i < c->m->n_groups; i++) {
		const struct policy_group *g = &c->m->groups[i];

		for (size_t j = 0; j < g->n_cidrs; j++) {
			const struct policy_cidr *ci = &g->cidrs[j];
			unsigned host = bits - ci->plen;
			cp_u128 mask;

			if (ci->addr.family != fam)
				continue;
			mask = host == 128 ? ~(cp_u128)0 : ((cp_u128)1 << host) - 1;
			items[n].lo = cp_addr_num(&ci->addr);
			items[n].hi = items[n].lo | mask;
			items[n].g = gidx(c, g->name);
			n++;
		}
	}
	return n;
}

/* Range boundaries: every start and every end + 1 (unless the end is the family's last). */
static size_t range_points(const struct cidr_item *items, size_t n, cp_u128 fam_max, cp_u128 *pts)
{
	size_t k = 0, u = 0;

	for (size_t i = 0; i < n; i++) {
		pts[k++] = items[i].lo;
		if (items[i].hi != fam_max)
			pts[k++] = items[i].hi + 1;
	}
	qsort(pts, k, sizeof(*pts), cmp_u128);
	for (size_t i = 0; i < k; i++) {
		if (!u || pts[u - 1] != pts[i])
			pts[u++] = pts[i];
	}
	return u;
}

/*
 * CIDRs nest or are disjoint, so a stack of the ones open at each boundary is
 * exactly the set containing the elementary range that starts there.
 */
static int sweep_ranges(struct compiler *c, int f, const struct cidr_item *items, size_t n,
			const cp_u128 *pts, size_t n_pts, cp_u128 fam_max)
{
	const struct cidr_item **stack = calloc(n + 1, sizeof(*stack));
	struct cp_range *out = calloc(n_pts + 1, sizeof(*out));
	size_t sp = 0, it = 0, n_out = 0;

	c->p->ranges[f] = out;
	if (!stack || !out) {
		free(stack);
		return -ENOMEM;
	}
	for (size_t k = 0; k < n_pts; k++) {
		size_t off = c->n_lists;

		while (sp && stack[sp - 1]->hi < pts[k])
			sp--;
		while (it < n && items[it].lo == pts[k])
			stack[sp++] = &items[it++];
		if (!sp)
			continue;
		for (size_t s = 0; s < sp; s++) {
			if (list_push(c, stack[s]->g)) {
				free(stack);
				return -ENOMEM;
			}
		}
		out[n_out].lo = pts[k];
		out[n_out].hi = k + 1 < n_pts ? pts[k + 1] - 1 : fam_max;
		out[n_out].off = (uint32_t)off;
		out[n_out].cnt = list_seal(c, off);
		n_out++;
	}
	c->p->n_ranges[f] = (uint32_t)n_out;
	free(stack);
	return 0;
}

static int compile_family(struct compiler *c, int f, size_t total)
{
	int fam = f ? AF_INET6 : AF_INET;
	cp_u128 fam_max = f ? ~(cp_u128)0 : 0xffffffffu;
	struct cidr_item *items = calloc(total + 1, sizeof(*items));
	cp_u128 *pts = calloc(2 * total + 1, sizeof(*pts));
	size_t n, n_pts;
	int ret = -ENOMEM;

	if (items && pts) {
		n = collect_cidrs(c, fam, items);
		qsort(items, n, sizeof(*items), cmp_item);
		n_pts = range_points(items, n, fam_max, pts);
		ret = sweep_ranges(c, f, items, n, pts, n_pts, fam_max);
	}
	free(items);
	free(pts);
	return ret;
}

static int compile_ranges(struct compiler *c)
{
	size_t total = 0;
	int ret;

	for (size_t i = 0; i < c->m->n_groups; i++)
		total += c->m->groups[i].n_cidrs;
	ret = compile_family(c, 0, total);
	return ret ? ret : compile_family(c, 1, total);
}

/* ---- rules -> (dir, proto, g1, g2) port segments ---- */

static int tuple_push(struct compiler *c, const struct tuple *t)
{
	if (policy_grow((void **)&c->tuples, &c->cap_tuples, c->n_tuples + 1, sizeof(*t)))
		return -ENOMEM;
	c->tuples[c->n_tuples++] = *t;
	return 0;
}

/* One port entry of a rule, in both directions, for each protocol it covers. */
static int expand_port(struct compiler *c, uint32_t ri, const struct policy_port *pp)
{
	static const uint8_t protos[][POLICY_PROTO__MAX + 1] = {
	    [POLICY_PORT_ANY] = {4, POLICY_PROTO_TCP, POLICY_PROTO_UDP, POLICY_PROTO_ICMP,
				 POLICY_PROTO_OTHER},
	    [POLICY_PORT_TCP] = {1, POLICY_PROTO_TCP},
	    [POLICY_PORT_UDP] = {1, POLICY_PROTO_UDP},
	    [POLICY_PORT_ICMP] = {1, POLICY_PROTO_ICMP},
	};
	const struct cp_rule *r = &c->p->rules[ri];
	const uint8_t *pr = protos[pp->proto];

	for (int d = POLICY_EGRESS; d <= POLICY_INGRESS; d++) {
		struct tuple t = {
		    .g1 = d == POLICY_EGRESS ? r->from : r->to,
		    .g2 = d == POLICY_EGRESS ? r->to : r->from,
		    .rule = ri,
		    .lo = pp->proto == POLICY_PORT_ICMP ? 0 : pp->lo,
		    .hi = pp->proto == POLICY_PORT_ICMP ? 0 : pp->hi,
		    .dir = (uint8_t)d,
		};

		/* This end is always a workload, never `external`. */
		if (t.g1 == CP_GROUP_EXTERNAL)
			continue;
		for (int i = 1; i <= pr[0]; i++) {
			t.proto = pr[i];
			if (tuple_push(c, &t))
				return -ENOMEM;
		}
	}
	return 0;
}

static int cmp_tuple(const void *a, const void *b)
{
	const struct tuple *x = a, *y = b;

	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->g1 != y->g1)
		return x->g1 < y->g1 ? -1 : 1;
	if (x->g2 != y->g2)
		return x->g2 < y->g2 ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static bool same_pair(const struct tuple *x, const struct tuple *y)
{
	return x->dir == y->dir && x->proto == y->proto && x->g1 == y->g1 && x->g2 == y->g2;
}

static int seg_push(struct compiler *c, uint32_t lo, uint32_t hi, uint32_t rule)
{
	struct cp_seg *last = c->n_segs > c->seg_base ? &c->p->segs[c->n_segs - 1] : NULL;

	if (last && last->rule == rule && last->hi + 1u == lo) {
		last->hi = (uint16_t)hi;
		return 0;
	}
	if (policy_grow((void **)&c->p->segs, &c->cap_segs, c->n_segs + 1, sizeof(struct cp_seg)))
		return -ENOMEM;
	c->p->segs[c->n_segs++] = (struct cp_seg){(uint16_t)lo, (uint16_t)hi, rule};
	return 0;
}

static size_t lower_bound(const uint32_t *v, size_t n, uint32_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Union-find "next elementary range not yet owned", with path halving. */
static uint32_t next_free(uint32_t *nxt, uint32_t i)
{
	while (nxt[i] != i) {
		nxt[i] = nxt[nxt[i]];
		i = nxt[i];
	}
	return i;
}

/*
 * Tuples t[0..k) share (dir, proto, g1, g2) and come in id order.  Split ports
 * into elementary ranges at every rule edge and give each range to the first
 * rule covering it; each range is visited once thanks to next_free().
 */
static int build_segs(struct compiler *c, const struct tuple *t, size_t k)
{
	uint32_t *pts, *owner, *nxt;
	size_t n = 0, np;

	if (k == 1)
		return seg_push(c, t[0].lo, t[0].hi, t[0].rule);
	if (policy_grow((void **)&c->scratch, &c->cap_scratch, 6 * k + 2, sizeof(uint32_t)))
		return -ENOMEM;
	pts = c->scratch;
	for (size_t i = 0; i < k; i++) {
		pts[n++] = t[i].lo;
		pts[n++] = t[i].hi + 1u;
	}
	qsort(pts, n, sizeof(*pts), cmp_u32);
	np = 0;
	for (size_t i = 0; i < n; i++) {
		if (!np || pts[np - 1] != pts[i])
			pts[np++] = pts[i];
	}
	owner = pts + np;
	nxt = owner + np;
	for (size_t i = 0; i < np; i++) {
		owner[i] = CP_NONE;
		nxt[i] = (uint32_t)i;
	}
	for (size_t i = 0; i < k; i++) {
		uint32_t end = (uint32_t)lower_bound(pts, np, t[i].hi + 1u);

		for (uint32_t j = next_free(nxt, (uint32_t)lower_bound(pts, np, t[i].lo)); j < end;
		     j = next_free(nxt, j)) {
			owner[j] = t[i].rule;
			nxt[j] = j + 1;
		}
	}
	for (size_t j = 0; j + 1 < np; j++) {
		if (owner[j] != CP_NONE && seg_push(c, pts[j], pts[j + 1] - 1, owner[j]))
			return -ENOMEM;
	}
	return 0;
}

static int add_pair(struct compiler *c, const struct tuple *t, size_t k)
{
	struct cp_ent *e;
	int ret;

	c->seg_base = c->n_segs;
	ret = build_segs(c, t, k);
	if (ret)
		return ret;
	e = map_put(&c->p->pairs[t->dir][t->proto], cp_pair_key(t->g1, t->g2));
	e->val = (uint32_t)c->seg_base;
	e->cnt = (uint32_t)(c->n_segs - c->seg_base);
	if (e->cnt == 1) {
		e->seg = c->p->segs[c->seg_base];
		c->n_segs = c->seg_base;
	}
	bit_set(c->this_used[t->dir], t->g1);
	bit_set(c->p->peer_used[t->dir], t->g2);
	c->p->g1_sig[t->dir][t->g1] |= cp_sig_bit(t->g2);
	return 0;
}

static int pair_maps_init(struct compiler *c)
{
	size_t runs[2][POLICY_PROTO__MAX] = {{0}};

	for (size_t i = 0; i < c->n_tuples; i++) {
		if (!i || !same_pair(&c->tuples[i - 1], &c->tuples[i]))
			runs[c->tuples[i].dir][c->tuples[i].proto]++;
	}
	for (int d = 0; d < 2; d++) {
		for (int pr = 0; pr < POLICY_PROTO__MAX; pr++) {
			if (map_init(&c->p->pairs[d][pr], runs[d][pr]))
				return -ENOMEM;
		}
	}
	return 0;
}

static int compile_pairs(struct compiler *c)
{
	struct policy *p = c->p;
	size_t i, k;
	int ret;

	for (uint32_t ri = 0; ri < p->n_rules; ri++) {
		for (uint32_t j = 0; !p->rules[ri].has_apps && j < p->rules[ri].n_ports; j++) {
			ret = expand_port(c, ri, &p->ports[p->rules[ri].ports_off + j]);
			if (ret)
				return ret;
		}
	}
	if (c->n_tuples)
		qsort(c->tuples, c->n_tuples, sizeof(*c->tuples), cmp_tuple);
	ret = pair_maps_init(c);
	for (i = 0; !ret && i < c->n_tuples; i += k) {
		for (k = 1; i + k < c->n_tuples && same_pair(&c->tuples[i], &c->tuples[i + k]); k++)
			;
		ret = add_pair(c, &c->tuples[i], k);
	}
	return ret;
}

/* ---- workloads and their addresses ---- */

static int wl_peer_groups(struct compiler *c, const struct policy_workload *w, struct cp_wl *cw)
{
	size_t off = c->n_lists;

	if (list_push(c, cw->name))
		return -ENOMEM;
	for (size_t j = 0; j < w->n_groups; j++) {
		if (list_push(c, gidx(c, w->groups[j])))
			return -ENOMEM;
	}
	cw->peer_off = (uint32_t)off;
	cw->peer_cnt = list_seal(c, off);
	return 0;
}

/*
 * Groups of the workload at this end: its name, explicit groups, `any`, and CIDR
 * groups holding one of its addresses (so a subnet group means the same thing at
 * both ends of a session).  Kept per direction only if some rule uses them there.
 */
static int wl_this_groups(struct compiler *c, const struct policy_workload *w, struct cp_wl *cw)
{
	size_t all = c->n_lists, off;
	uint32_t n;

	if (list_push(c, CP_GROUP_ANY))
		return -ENOMEM;
	for (uint32_t j = 0; j < cw->peer_cnt; j++) {
		if (list_push(c, c->p->lists[cw->peer_off + j]))
			return -ENOMEM;
	}
	for (size_t a = 0; a < w->n_addrs; a++) {
		const struct cp_range *r = cp_range_find(c->p, &w->addrs[a]);

		for (uint32_t j = 0; r && j < r->cnt; j++) {
			if (list_push(c, c->p->lists[r->off + j]))
				return -ENOMEM;
		}
	}
	n = list_seal(c, all);
	for (int d = 0; d < 2; d++) {
		off = c->n_lists;
		for (uint32_t j = 0; j < n; j++) {
			uint32_t g = c->p->lists[all + j];

			if (cp_bit(c->this_used[d], g) && list_push(c, g))
				return -ENOMEM;
		}
		cw->this_off[d] = (uint32_t)off;
		cw->this_cnt[d] = (uint32_t)(c->n_lists - off);
	}
	return 0;
}

static void addr_put(struct policy *p, const struct policy_addr *a, uint32_t wl)
{
	uint32_t i = cp_addr_hash(a, p->addr_mask);

	while (p->addrs[i].addr.family && !policy_addr_equal(&p->addrs[i].addr, a))
		i = (i + 1) & p->addr_mask;
	p->addrs[i].addr = *a;
	p->addrs[i].wl = wl;
}

static int compile_addrs(struct compiler *c)
{
	struct policy *p = c->p;
	size_t total = 0, size = 8;

	for (size_t i = 0; i < c->m->n_wls; i++)
		total += c->m->wls[i].n_addrs;
	while (size < total * 2)
		size *= 2;
	p->addrs = calloc(size, sizeof(*p->addrs));
	if (!p->addrs)
		return -ENOMEM;
	p->addr_mask = (uint32_t)(size - 1);
	for (size_t i = 0; i < c->m->n_wls; i++) {
		for (size_t j = 0; j < c->m->wls[i].n_addrs; j++)
			addr_put(p, &c->m->wls[i].addrs[j], (uint32_t)i);
	}
	return 0;
}

static int compile_workloads(struct compiler *c)
{
	const struct policy_model *m = c->m;
	struct policy *p = c->p;

	p->wls = calloc(m->n_wls + 1, sizeof(*p->wls));
	if (!p->wls || map_init(&p->wl_by_id, m->n_wls))
		return -ENOMEM;
	for (size_t i = 0; i < m->n_wls; i++) {
		const struct policy_workload *w = &m->wls[i];
		struct cp_wl *cw = &p->wls[i];

		cw->id = w->id;
		cw->name = gidx(c, w->name);
		cw->mode = (uint8_t)w->mode;
		if (wl_peer_groups(c, w, cw) || wl_this_groups(c, w, cw))
			return -ENOMEM;
		map_put(&p->wl_by_id, w->id)->val = (uint32_t)i;
	}
	p->n_wls = (uint32_t)m->n_wls;
	return compile_addrs(c);
}

/* ---- FQDN patterns: matched at eval time against the names the peer resolved from ---- */

static int compile_fqdns(struct compiler *c)
{
	size_t total = 0;

	for (size_t i = 0; i < c->m->n_groups; i++)
		total += c->m->groups[i].n_fqdns;
	c->p->fqdns = calloc(total + 1, sizeof(*c->p->fqdns));
	if (!c->p->fqdns)
		return -ENOMEM;
	for (size_t i = 0; i < c->m->n_groups; i++) {
		const struct policy_group *g = &c->m->groups[i];

		for (size_t j = 0; j < g->n_fqdns; j++) {
			struct cp_fqdn *f = &c->p->fqdns[c->p->n_fqdns];

			/* The model only holds valid patterns; skip rather than trust that. */
			if (policy_fqdn_parse(g->fqdns[j], f->name, &f->wild, NULL, 0))
				continue;
			f->len = (uint16_t)strlen(f->name);
			f->g = gidx(c, g->name);
			c->p->n_fqdns++;
		}
	}
	return 0;
}

/* ---- top ---- */

static int compile_bitsets(struct compiler *c)
{
	uint32_t n = c->names.n;

	for (int d = 0; d < 2; d++) {
		if (bitset_new(&c->this_used[d], n) || bitset_new(&c->p->peer_used[d], n))
			return -ENOMEM;
		c->p->g1_sig[d] = calloc(n, sizeof(uint64_t));
		if (!c->p->g1_sig[d])
			return -ENOMEM;
	}
	return 0;
}

static void compiler_done(struct compiler *c)
{
	c->p->gnames = c->names.names;
	c->p->n_groups = c->names.n;
	free(c->names.slots);
	free(c->tuples);
	free(c->scratch);
	free(c->this_used[0]);
	free(c->this_used[1]);
}

int policy_compile(const struct policy_model *m, struct policy **out)
{
	struct compiler c = {.m = m};
	int ret;

	*out = NULL;
	c.p = calloc(1, sizeof(*c.p));
	if (!c.p)
		return -ENOMEM;
	c.p->generation = m->generation;
	ret = index_groups(&c);
	if (!ret)
		ret = compile_bitsets(&c);
	if (!ret)
		ret = compile_rules(&c);
	if (!ret)
		ret = compile_ranges(&c);
	if (!ret)
		ret = compile_pairs(&c);
	if (!ret)
		ret = compile_workloads(&c);
	if (!ret)
		ret = compile_fqdns(&c);
	compiler_done(&c);
	if (ret) {
		policy_free(c.p);
		return ret;
	}
	*out = c.p;
	return 0;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (int d = 0; d < 2; d++) {
		free(p->peer_used[d]);
		free(p->g1_sig[d]);
		free(p->ranges[d]);
		for (int pr = 0; pr < POLICY_PROTO__MAX; pr++) {
			free(p->pairs[d][pr].ent);
		}
	}
	free(p->gnames);
	free(p->rules);
	free(p->app_rules);
	free(p->ports);
	free(p->wls);
	free(p->wl_by_id.ent);
	free(p->addrs);
	free(p->lists);
	free(p->segs);
	free(p->fqdns);
	free(p);
}

uint64_t policy_generation(const struct policy *p)
{
	return p->generation;
}
