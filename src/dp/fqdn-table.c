/*
 * fqdn-table.c - the shared table of resolved addresses behind FQDN groups.
 *
 * A DNS answer must be admitted before it is forwarded (the client connects
 * right after its lookup), by whichever worker sees it, while other workers
 * decide sessions against the same table: so it is liburcu's lock-free hash
 * table (cds_lfht).  Entries hash by (workload, address) only, so every name
 * a workload resolved to one address sits in one run of duplicates that a
 * lookup walks; the full key adds the name, and add_unique keeps it unique.
 * A refresh only moves an entry's end time (one atomic store, no allocation);
 * a new entry costs one malloc, which happens per DNS answer for a wanted
 * name, never per ordinary packet.  The size is capped: when full, new
 * entries are refused and counted (an older entry is never pushed out early,
 * which would silently cut a workload off a name it still uses).  The control
 * thread removes expired entries once a second and frees them after a grace
 * period; a worker refreshing an entry gc just unlinked notices and re-adds.
 * An expired entry lingers (FQDN_LINGER_MS) for re-checks of live sessions only.
 */
#include "fqdn-table.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <urcu.h>
#include <urcu/rculfhash.h>

#define FQDN_NAME_MAX 253

struct fqdn_entry {
	struct cds_lfht_node node;
	struct fqdn_entry *gc_next; /* gc's own list, never read by lookups */
	uint32_t wl_id;
	struct policy_addr addr;
	int64_t ttl_end_ms; /* atomic; live until ttl_end_ms + grace */
	char name[];
};

struct fqdn_table {
	struct cds_lfht *ht;
	uint32_t max;
	uint32_t grace_ms;
	uint64_t n;				     /* atomic: entries linked, to enforce max */
	uint64_t admitted, refreshed, full, expired; /* relaxed atomics */
};

/* A lookup key: name NULL matches every name of (wl_id, addr). */
struct fqdn_key {
	uint32_t wl_id;
	const struct policy_addr *addr;
	const char *name;
};

int64_t fqdn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t addr_len(const struct policy_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

/* FNV-1a over workload, family and the address bytes that count. */
static unsigned long key_hash(uint32_t wl_id, const struct policy_addr *a)
{
	uint64_t h = 1469598103934665603ull;
	uint8_t head[5] = {(uint8_t)wl_id, (uint8_t)(wl_id >> 8), (uint8_t)(wl_id >> 16),
			   (uint8_t)(wl_id >> 24), a->family};

	for (size_t i = 0; i < sizeof(head); i++)
		h = (h ^ head[i]) * 1099511628211ull;
	for (size_t i = 0; i < addr_len(a); i++)
		h = (h ^ a->a[i]) * 1099511628211ull;
	return (unsigned long)(h ^ h >> 29);
}

static int key_match(struct cds_lfht_node *node, const void *arg)
{
	const struct fqdn_entry *e = caa_container_of(node, struct fqdn_entry, node);
	const struct fqdn_key *k = arg;

	return e->wl_id == k->wl_id && e->addr.family == k->addr->family &&
	       !memcmp(e->addr.a, k->addr->a, addr_len(k->addr)) &&
	       (!k->name || !strcmp(e->name, k->name));
}

int fqdn_table_new(struct fqdn_table **out, uint32_t max_entries, uint32_t grace_ms)
{
	struct fqdn_table *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->max = max_entries ? max_entries : FQDN_TABLE_DEFAULT_MAX;
	t->grace_ms = grace_ms;
	t->ht = cds_lfht_new(256, 256, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
	if (!t->ht) {
		free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

/* Unlink every entry past its end (all: every entry), then free them after readers are done. */
static void sweep(struct fqdn_table *t, int64_t now_ms, bool all)
{
	/* Over 3/4 full: lingering entries go first, so new answers still find room. */
	int64_t linger =
	    __atomic_load_n(&t->n, __ATOMIC_RELAXED) > t->max / 4 * 3 ? 0 : FQDN_LINGER_MS;
	struct fqdn_entry *e, *dead = NULL;
	struct cds_lfht_iter it;

	rcu_read_lock();
	/* Over nodes, not cds_lfht_for_each_entry: that macro offsets a NULL node (UB). */
	cds_lfht_first(t->ht, &it);
	for (struct cds_lfht_node *n; (n = cds_lfht_iter_get_node(&it)); cds_lfht_next(t->ht, &it)) {
		int64_t end;

		e = caa_container_of(n, struct fqdn_entry, node);
		end = __atomic_load_n(&e->ttl_end_ms, __ATOMIC_RELAXED) + t->grace_ms;

		if ((all || end + linger <= now_ms) && !cds_lfht_del(t->ht, &e->node)) {
			e->gc_next = dead;
			dead = e;
		}
	}
	rcu_read_unlock();
	if (!dead)
		return;
	synchronize_rcu();
	while (dead) {
		e = dead;
		dead = e->gc_next;
		free(e);
		__atomic_sub_fetch(&t->n, 1, __ATOMIC_RELAXED);
		if (!all)
			__atomic_add_fetch(&t->expired, 1, __ATOMIC_RELAXED);
	}
}

void fqdn_table_free(struct fqdn_table *t)
{
	if (!t)
		return;
	sweep(t, 0, true);
	cds_lfht_destroy(t->ht, NULL);
	free(t);
}

void fqdn_table_gc(struct fqdn_table *t, int64_t now_ms)
{
	if (t)
		sweep(t, now_ms, false);
}

/* Move e's end later (never earlier: the older answer still holds until its own end). */
static void extend(struct fqdn_entry *e, int64_t end)
{
	int64_t old = __atomic_load_n(&e->ttl_end_ms, __ATOMIC_RELAXED);

	while (old < end && !__atomic_compare_exchange_n(&e->ttl_end_ms, &old, end, true,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* The entry of the full key, or NULL; under the read lock. */
static struct fqdn_entry *find(struct fqdn_table *t, unsigned long h, const struct fqdn_key *k)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *node;

	cds_lfht_lookup(t->ht, h, key_match, k, &it);
	node = cds_lfht_iter_get_node(&it);
	return node ? caa_container_of(node, struct fqdn_entry, node) : NULL;
}

static struct fqdn_entry *entry_new(uint32_t wl_id, const struct policy_addr *addr,
				    const char *name, size_t nlen, int64_t end)
{
	struct fqdn_entry *e = malloc(sizeof(*e) + nlen + 1);

	if (!e)
		return NULL;
	cds_lfht_node_init(&e->node);
	e->gc_next = NULL;
	e->wl_id = wl_id;
	memset(&e->addr, 0, sizeof(e->addr));
	e->addr.family = addr->family;
	memcpy(e->addr.a, addr->a, addr_len(addr));
	e->ttl_end_ms = end;
	memcpy(e->name, name, nlen + 1);
	return e;
}

/* Link a new entry, or refresh the one another worker linked first. */
static int insert(struct fqdn_table *t, unsigned long h, const struct fqdn_key *k, size_t nlen,
		  int64_t end)
{
	struct fqdn_entry *e;
	struct cds_lfht_node *got;

	if (__atomic_add_fetch(&t->n, 1, __ATOMIC_RELAXED) > t->max) {
		__atomic_sub_fetch(&t->n, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&t->full, 1, __ATOMIC_RELAXED);
		return -ENOSPC;
	}
	e = entry_new(k->wl_id, k->addr, k->name, nlen, end);
	if (!e) {
		__atomic_sub_fetch(&t->n, 1, __ATOMIC_RELAXED);
		return -ENOMEM;
	}
	got = cds_lfht_add_unique(t->ht, h, key_match, k, &e->node);
	if (got != &e->node) {
		free(e);
		__atomic_sub_fetch(&t->n, 1, __ATOMIC_RELAXED);
		extend(caa_container_of(got, struct fqdn_entry, node), end);
		__atomic_add_fetch(&t->refreshed, 1, __ATOMIC_RELAXED);
		return 0;
	}
	__atomic_add_fetch(&t->admitted, 1, __ATOMIC_RELAXED);
	return 0;
}

int fqdn_table_admit(struct fqdn_table *t, uint32_t wl_id, const struct policy_addr *addr,
		     const char *name, uint32_t ttl_s, int64_t now_ms)
{
	struct fqdn_key k = {.wl_id = wl_id, .addr = addr, .name = name};
	size_t nlen = name ? strnlen(name, FQDN_NAME_MAX + 1) : 0;
	unsigned long h;
	int64_t end = now_ms + (int64_t)ttl_s * 1000;
	int ret = 0;

	if (!nlen || nlen > FQDN_NAME_MAX || (addr->family != AF_INET && addr->family != AF_INET6))
		return -EINVAL;
	h = key_hash(wl_id, addr);
	rcu_read_lock();
	/* Twice at most: gc may unlink the entry we refresh, then it is added anew. */
	for (int tries = 0; tries < 2; tries++) {
		struct fqdn_entry *e = find(t, h, &k);

		if (!e) {
			ret = insert(t, h, &k, nlen, end);
			break;
		}
		extend(e, end);
		if (!cds_lfht_is_node_deleted(&e->node)) {
			__atomic_add_fetch(&t->refreshed, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	rcu_read_unlock();
	return ret;
}

static void each(struct fqdn_table *t, uint32_t wl_id, const struct policy_addr *addr,
		 int64_t live_from, int64_t now_ms, policy_fqdn_fn fn, void *arg)
{
	struct fqdn_key k = {.wl_id = wl_id, .addr = addr};
	struct cds_lfht_iter it;
	struct fqdn_entry *e;

	if (addr->family != AF_INET && addr->family != AF_INET6)
		return;
	rcu_read_lock();
	cds_lfht_lookup(t->ht, key_hash(wl_id, addr), key_match, &k, &it);
	for (struct cds_lfht_node *n; (n = cds_lfht_iter_get_node(&it));
	     cds_lfht_next_duplicate(t->ht, key_match, &k, &it)) {
		int64_t ttl_end;

		e = caa_container_of(n, struct fqdn_entry, node);
		ttl_end = __atomic_load_n(&e->ttl_end_ms, __ATOMIC_RELAXED);

		if (ttl_end + t->grace_ms > live_from)
			fn(arg, e->name, ttl_end - now_ms);
	}
	rcu_read_unlock();
}

void fqdn_table_each(struct fqdn_table *t, uint32_t wl_id, const struct policy_addr *addr,
		     int64_t now_ms, policy_fqdn_fn fn, void *arg)
{
	each(t, wl_id, addr, now_ms, now_ms, fn, arg);
}

void fqdn_table_each_lingering(struct fqdn_table *t, uint32_t wl_id, const struct policy_addr *addr,
			       int64_t now_ms, policy_fqdn_fn fn, void *arg)
{
	each(t, wl_id, addr, now_ms - FQDN_LINGER_MS, now_ms, fn, arg);
}

void fqdn_table_stats(struct fqdn_table *t, struct fqdn_table_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!t)
		return;
	out->entries = __atomic_load_n(&t->n, __ATOMIC_RELAXED);
	out->admitted = __atomic_load_n(&t->admitted, __ATOMIC_RELAXED);
	out->refreshed = __atomic_load_n(&t->refreshed, __ATOMIC_RELAXED);
	out->full = __atomic_load_n(&t->full, __ATOMIC_RELAXED);
	out->expired = __atomic_load_n(&t->expired, __ATOMIC_RELAXED);
}

static void src_each(const void *ctx, uint32_t wl_id, const struct policy_addr *peer,
		     policy_fqdn_fn fn, void *arg)
{
	fqdn_table_each((struct fqdn_table *)ctx, wl_id, peer, fqdn_now_ms(), fn, arg);
}

static void src_each_lingering(const void *ctx, uint32_t wl_id, const struct policy_addr *peer,
			       policy_fqdn_fn fn, void *arg)
{
	fqdn_table_each_lingering((struct fqdn_table *)ctx, wl_id, peer, fqdn_now_ms(), fn, arg);
}

void fqdn_table_src(struct fqdn_table *t, bool lingering, struct policy_fqdn_src *out)
{
	out->each = lingering ? src_each_lingering : src_each;
	out->ctx = t;
}
