/*
 * session.c - the per-worker session table.
 *
 * Chained hash over a preallocated pool: buckets hold pool indexes, a free
 * list threads unused entries, so packets never allocate.  The hash is keyed
 * SipHash-1-3 with a per-table random key, so crafted tuples cannot pile into
 * one bucket.  Each timeout class keeps a list ordered by last activity (a
 * touched session moves to the tail), so expiry only ever looks at list heads
 * and the oldest embryonic TCP session is the head of its list.
 */
#include "session.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "dp-t.h"

/* DESIGN §1: the seed's timeouts.  The one place they live. */
static const uint32_t sess_timeout_s[SESS_TC__MAX] = {
	[SESS_TC_TCP_OPEN] = 20,
	[SESS_TC_TCP_EST] = 1200,
	[SESS_TC_TCP_HALF] = 90,
	[SESS_TC_TCP_CLOSING] = 15,
	[SESS_TC_UDP] = 30,
	[SESS_TC_ICMP] = 5,
};

struct sess_list {
	uint32_t head, tail;
};

struct sess_table {
	struct session *pool;
	uint32_t capacity;
	uint32_t used;
	uint32_t free_head;
	uint32_t *buckets;
	uint32_t bucket_mask;
	uint64_t k0, k1; /* hash key */
	struct sess_list lists[SESS_TC__MAX];
	sess_release_fn release;
	void *release_arg;
	struct sess_table_stats stats;
};

uint64_t sess_timeout_ms(enum sess_tclass tc)
{
	return (uint64_t)sess_timeout_s[tc] * 1000;
}

/* ---- hashing: SipHash-1-3 over the 40-byte key ---- */

static inline uint64_t rotl64(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl64(v[1], 13) ^ v[0];
	v[0] = rotl64(v[0], 32);
	v[2] += v[3];
	v[3] = rotl64(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl64(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl64(v[1], 17) ^ v[2];
	v[2] = rotl64(v[2], 32);
}

static uint32_t key_hash(const struct sess_table *t, const struct sess_key *k)
{
	uint64_t v[4] = { t->k0 ^ 0x736f6d6570736575ULL, t->k1 ^ 0x646f72616e646f6dULL,
			  t->k0 ^ 0x6c7967656e657261ULL, t->k1 ^ 0x7465646279746573ULL };
	const uint8_t *b = (const uint8_t *)k;
	uint64_t m;
	size_t i;

	for (i = 0; i < sizeof(*k); i += 8) {
		memcpy(&m, b + i, 8);
		v[3] ^= m;
		sip_round(v);
		v[0] ^= m;
	}
	m = (uint64_t)sizeof(*k) << 56;
	v[3] ^= m;
	sip_round(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	sip_round(v);
	sip_round(v);
	sip_round(v);
	m = v[0] ^ v[1] ^ v[2] ^ v[3];
	return (uint32_t)(m ^ (m >> 32));
}

/* ---- table life ---- */

static uint32_t bucket_count(uint32_t capacity)
{
	uint32_t n = 1024;

	while (n < capacity * 2u && n < (1u << 30))
		n <<= 1;
	return n;
}

static void table_reset(struct sess_table *t)
{
	uint32_t i;

	for (i = 0; i < t->capacity; i++)
		t->pool[i].hnext = i + 1 < t->capacity ? i + 1 : SESS_NIL;
	t->free_head = 0;
	for (i = 0; i <= t->bucket_mask; i++)
		t->buckets[i] = SESS_NIL;
	for (i = 0; i < SESS_TC__MAX; i++)
		t->lists[i].head = t->lists[i].tail = SESS_NIL;
}

int sess_table_new(struct sess_table **out, uint32_t capacity)
{
	struct sess_table *t;
	uint64_t key[2];

	if (capacity == 0)
		capacity = SESS_DEFAULT_CAPACITY;
	if (capacity >= (1u << 28))
		return -EINVAL;
	if (getrandom(key, sizeof(key), 0) != sizeof(key))
		return -EIO;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->capacity = capacity;
	t->bucket_mask = bucket_count(capacity) - 1;
	t->pool = calloc(capacity, sizeof(*t->pool));
	t->buckets = calloc(t->bucket_mask + 1, sizeof(*t->buckets));
	if (!t->pool || !t->buckets) {
		sess_table_free(t);
		return -ENOMEM;
	}
	t->k0 = key[0];
	t->k1 = key[1];
	table_reset(t);
	*out = t;
	return 0;
}

void sess_table_free(struct sess_table *t)
{
	if (!t)
		return;
	free(t->pool);
	free(t->buckets);
	free(t);
}

void sess_table_set_release(struct sess_table *t, sess_release_fn fn, void *arg)
{
	t->release = fn;
	t->release_arg = arg;
}

uint32_t sess_count(const struct sess_table *t)
{
	return t->used;
}

uint32_t sess_capacity(const struct sess_table *t)
{
	return t->capacity;
}

void sess_table_stats(const struct sess_table *t, struct sess_table_stats *out)
{
	*out = t->stats;
}

/* ---- timeout-class lists ---- */

static void list_unlink(struct sess_table *t, struct session *s)
{
	struct sess_list *l = &t->lists[s->tclass];

	if (s->lprev != SESS_NIL)
		t->pool[s->lprev].lnext = s->lnext;
	else
		l->head = s->lnext;
	if (s->lnext != SESS_NIL)
		t->pool[s->lnext].lprev = s->lprev;
	else
		l->tail = s->lprev;
}

static void list_append(struct sess_table *t, struct session *s)
{
	struct sess_list *l = &t->lists[s->tclass];
	uint32_t i = (uint32_t)(s - t->pool);

	s->lnext = SESS_NIL;
	s->lprev = l->tail;
	if (l->tail != SESS_NIL)
		t->pool[l->tail].lnext = i;
	else
		l->head = i;
	l->tail = i;
}

/* ---- hash chain ---- */

static struct session *chain_find(struct sess_table *t, const struct sess_key *k, uint32_t h)
{
	uint32_t i = t->buckets[h & t->bucket_mask];

	while (i != SESS_NIL) {
		struct session *s = &t->pool[i];

		if (s->hash == h && !memcmp(&s->key, k, sizeof(*k)))
			return s;
		i = s->hnext;
	}
	return NULL;
}

static void chain_unlink(struct sess_table *t, struct session *s)
{
	uint32_t *pp = &t->buckets[s->hash & t->bucket_mask];
	uint32_t i = (uint32_t)(s - t->pool);

	while (*pp != i)
		pp = &t->pool[*pp].hnext;
	*pp = s->hnext;
}

static void sess_remove(struct sess_table *t, struct session *s)
{
	if (t->release)
		t->release(t->release_arg, s);
	chain_unlink(t, s);
	list_unlink(t, s);
	s->hnext = t->free_head;
	t->free_head = (uint32_t)(s - t->pool);
	t->used--;
}

/* ---- key building ---- */

static int key_side_cmp(const union dp_addr *a, uint16_t ap, const union dp_addr *b, uint16_t bp)
{
	int c = memcmp(a->b, b->b, sizeof(a->b));

	if (c)
		return c;
	return (int)ap - (int)bp;
}

/* Returns the key side of the sender, or -1 when the packet opens no session. */
static int key_build(const struct dp_pkt *p, struct sess_key *k)
{
	uint16_t sp = p->sport, dp = p->dport;

	if (!p->family || p->frag_off) /* later fragments carry no ports */
		return -1;
	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
		if (!(p->flags & DP_PKT_ECHO))
			return -1;
		sp = dp = p->icmp_id;
	}
	memset(k, 0, sizeof(*k));
	k->port_idx = p->port_idx;
	k->family = p->family;
	k->proto = p->proto;
	if (key_side_cmp(&p->src, sp, &p->dst, dp) <= 0) {
		memcpy(k->addr[0], p->src.b, 16);
		memcpy(k->addr[1], p->dst.b, 16);
		k->port[0] = sp;
		k->port[1] = dp;
		return 0;
	}
	memcpy(k->addr[0], p->dst.b, 16);
	memcpy(k->addr[1], p->src.b, 16);
	k->port[0] = dp;
	k->port[1] = sp;
	return 1;
}

/* ---- creation ---- */

static enum sess_tclass proto_tclass(uint8_t proto)
{
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		return SESS_TC_ICMP;
	return SESS_TC_UDP;
}

/*
 * Make room in a full table: an expired head of any list, else the oldest embryonic TCP
 * session, else the least recently active UDP (then ICMP) session.  A datagram session
 * holds nothing its next packet cannot rebuild (the verdict is decided again), while an
 * established TCP session holds state a midstream pickup can only guess; so a flood from
 * ever new source ports pushes out datagram sessions, never the TCP flows that work, and
 * new flows of other workloads still find room.
 */
static int reclaim_one(struct sess_table *t, uint64_t now_ms)
{
	static const enum sess_tclass victims[] = { SESS_TC_TCP_OPEN, SESS_TC_UDP, SESS_TC_ICMP };
	int tc;

	for (tc = 0; tc < SESS_TC__MAX; tc++) {
		uint32_t i = t->lists[tc].head;

		if (i != SESS_NIL && t->pool[i].last_seen + sess_timeout_ms(tc) <= now_ms) {
			t->stats.expired++;
			sess_remove(t, &t->pool[i]);
			return 0;
		}
	}
	for (size_t v = 0; v < sizeof(victims) / sizeof(victims[0]); v++) {
		uint32_t i = t->lists[victims[v]].head;

		if (i != SESS_NIL) {
			t->stats.evicted++;
			sess_remove(t, &t->pool[i]);
			return 0;
		}
	}
	return -ENOSPC;
}

static struct session *sess_alloc(struct sess_table *t, uint64_t now_ms)
{
	struct session *s;

	if (t->free_head == SESS_NIL && reclaim_one(t, now_ms)) {
		t->stats.full++;
		return NULL;
	}
	s = &t->pool[t->free_head];
	t->free_head = s->hnext;
	memset(s, 0, sizeof(*s));
	t->used++;
	return s;
}

/* Fill a fresh session from its first packet; -ENOENT when it opens nothing. */
static int sess_init(struct session *s, const struct dp_pkt *p, int sender)
{
	bool sender_is_client = true;
	int err;

	s->tclass = proto_tclass(p->proto);
	if (p->proto == IPPROTO_TCP) {
		err = sess_tcp_open(p, s, &sender_is_client);
		if (err)
			return err;
		s->tclass = sess_tcp_tclass(s->state);
	}
	s->client = (uint8_t)(sender_is_client ? sender : !sender);
	s->client_dir = (uint8_t)(sender_is_client ? p->dir : !p->dir);
	s->port_gen = p->port_gen;
	return 0;
}

static int sess_create(struct sess_table *t, const struct dp_pkt *p, const struct sess_key *k,
		       uint32_t h, int sender, uint64_t now_ms, struct session **out)
{
	struct session tmp = { 0 };
	struct session *s;
	int err;

	err = sess_init(&tmp, p, sender);
	if (err)
		return err;
	s = sess_alloc(t, now_ms);
	if (!s)
		return -ENOSPC;
	*s = tmp;
	s->key = *k;
	s->hash = h;
	s->first_seen = now_ms;
	s->hnext = t->buckets[h & t->bucket_mask];
	t->buckets[h & t->bucket_mask] = (uint32_t)(s - t->pool);
	list_append(t, s);
	t->stats.created++;
	*out = s;
	return 0;
}

/* ---- per packet ---- */

#define SESS_RELINK_SHIFT 10 /* ms >> 10: the ~1 s slot within which list order is kept */

static bool sess_stale(const struct session *s, const struct dp_pkt *p)
{
	if (s->port_gen != p->port_gen)
		return true; /* the port index now names another workload */
	return s->key.proto == IPPROTO_TCP && sess_tcp_reopens(s, p);
}

static void sess_account(struct sess_table *t, struct session *s, const struct dp_pkt *p,
			 enum sess_side side, uint64_t now_ms)
{
	enum sess_tclass tc = s->tclass;
	uint64_t prev = s->last_seen;

	s->packets[side]++;
	s->bytes[side] += p->len;
	s->last_seen = now_ms;
	if (s->key.proto == IPPROTO_TCP) {
		sess_tcp_update(s, p, side);
		tc = sess_tcp_tclass(s->state);
	}
	/*
	 * Moving the session to its list's tail on every packet touches two neighbours'
	 * cache lines.  Within the same ~1 s slot the list order is kept as it is: expiry
	 * then runs at most a second late, against timeouts of 5 s and more.
	 */
	if (tc == s->tclass && prev >> SESS_RELINK_SHIFT == now_ms >> SESS_RELINK_SHIFT &&
	    s->first_seen != now_ms)
		return;
	list_unlink(t, s);
	s->tclass = (uint8_t)tc;
	list_append(t, s);
}

int sess_update(struct sess_table *t, const struct dp_pkt *p, uint64_t now_ms,
		struct sess_result *res)
{
	struct sess_key k;
	struct session *s;
	uint32_t h;
	int sender, err;

	memset(res, 0, sizeof(*res));
	sender = key_build(p, &k);
	if (sender < 0)
		return 0;
	h = key_hash(t, &k);
	s = chain_find(t, &k, h);
	if (s && sess_stale(s, p)) {
		sess_remove(t, s);
		s = NULL;
	}
	if (!s) {
		err = sess_create(t, p, &k, h, sender, now_ms, &s);
		if (err == -ENOENT)
			return 0;
		if (err)
			return err;
		res->created = 1;
	}
	res->s = s;
	res->side = sender == s->client ? SESS_FROM_CLIENT : SESS_FROM_SERVER;
	sess_account(t, s, p, res->side, now_ms);
	return 0;
}

struct session *sess_find(struct sess_table *t, const struct sess_key *k)
{
	return chain_find(t, k, key_hash(t, k));
}

/* ---- expiry ---- */

unsigned sess_expire(struct sess_table *t, uint64_t now_ms, unsigned budget)
{
	unsigned removed = 0;
	int tc;

	for (tc = 0; tc < SESS_TC__MAX && budget; tc++) {
		uint64_t tmo = sess_timeout_ms(tc);

		while (budget && t->lists[tc].head != SESS_NIL) {
			struct session *s = &t->pool[t->lists[tc].head];

			if (s->last_seen + tmo > now_ms)
				break;
			budget--;
			sess_remove(t, s);
			t->stats.expired++;
			removed++;
		}
	}
	return removed;
}

/* ---- walking ---- */

/* Every live session is on exactly one timeout list, so the lists are the index. */
void sess_foreach(struct sess_table *t, sess_visit_fn fn, void *arg)
{
	for (int tc = 0; tc < SESS_TC__MAX; tc++)
		for (uint32_t i = t->lists[tc].head; i != SESS_NIL; i = t->pool[i].lnext)
			fn(arg, &t->pool[i]);
}
