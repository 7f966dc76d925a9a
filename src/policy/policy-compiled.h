/*
 * policy-compiled.h - layout of a compiled policy, shared by compile and eval only.
 *
 * Everything a decision needs is precomputed into flat arrays so that eval is a
 * few hash probes and binary searches with no allocation and no writes:
 *  - every group name (defined, workload, explicit, referenced) gets an index;
 *    0 is `any`, 1 is `external`;
 *  - each workload lists its groups as seen from THIS end, per direction, keeping
 *    only groups some rule uses on that side;
 *  - a peer address resolves to a workload (address hash) and to the CIDR groups
 *    containing it (sorted disjoint ranges per family);
 *  - for each (direction, proto) a hash maps the pair (this-end group, peer group)
 *    to sorted disjoint port segments, each carrying the lowest-id rule covering
 *    it, so "first match by id" becomes a min over a handful of lookups;
 *  - rules with apps stay out of the segments (their match depends on the session's
 *    app, not on the tuple alone); eval walks them in order below the segment winner.
 */
#ifndef BH_POLICY_COMPILED_H
#define BH_POLICY_COMPILED_H

#include <string.h>
#include <sys/socket.h>

#include "policy-int.h"

#define CP_NONE UINT32_MAX
#define CP_GROUP_ANY 0u
#define CP_GROUP_EXTERNAL 1u

typedef unsigned __int128 cp_u128;

/* Ports lo..hi of one (dir, proto, g1, g2) pair are decided by rules[rule]. */
struct cp_seg {
	uint16_t lo;
	uint16_t hi;
	uint32_t rule;
};

/*
 * Open addressing, linear probing, one entry per probe so a miss costs one
 * cache line.  Workload map: val = index in wls.  Pair maps: the pair's port
 * segments are segs[val..val+cnt), except that a lone segment sits in seg,
 * which saves a second cache miss for most pairs.
 */
#define CP_MAP_EMPTY UINT64_MAX
struct cp_ent {
	uint64_t key;
	uint32_t val;
	uint32_t cnt;
	struct cp_seg seg;
};

struct cp_map {
	struct cp_ent *ent;
	uint32_t mask;
};

struct cp_wl {
	uint32_t id;
	uint32_t name;	   /* group index of its implicit group */
	uint8_t mode;	   /* enum bh_mode */
	uint32_t peer_off; /* groups when it is the peer: implicit + explicit, into lists */
	uint32_t peer_cnt;
	uint32_t this_off[2]; /* per enum policy_dir: groups at this end that rules use */
	uint32_t this_cnt[2];
};

/* Address hash slot; family 0 = empty. */
struct cp_addr {
	struct policy_addr addr;
	uint32_t wl;
};

/* Addresses lo..hi (one family) are in the CIDR groups lists[off..off+cnt). */
struct cp_range {
	cp_u128 lo;
	cp_u128 hi;
	uint32_t off;
	uint32_t cnt;
};

struct cp_rule {
	uint32_t id;
	uint32_t from; /* group indexes */
	uint32_t to;
	uint8_t action; /* enum policy_action */
	uint32_t ports_off;
	uint32_t n_ports;
	bool has_apps;
	uint64_t apps; /* bit per enum bh_app it lists */
};

/* An FQDN pattern in normal form (policy-fqdn.c) and the group it puts a peer in. */
struct cp_fqdn {
	uint32_t g;
	uint16_t len;
	bool wild;
	char name[POLICY_FQDN_LEN + 1];
};

/* FQDN groups one peer address is in at most (the rest are not looked at). */
#define CP_FQDN_PEER_MAX 32

struct policy {
	uint64_t generation;
	char (*gnames)[POLICY_NAME_MAX];
	uint32_t n_groups;
	struct cp_rule *rules; /* id order, all of them */
	uint32_t n_rules;
	uint32_t *app_rules; /* indexes of the rules with apps, ascending: not in the pairs */
	uint32_t n_app_rules;
	struct policy_port *ports;
	struct cp_wl *wls;
	uint32_t n_wls;
	struct cp_map wl_by_id;
	struct cp_addr *addrs;
	uint32_t addr_mask;
	struct cp_range *ranges[2]; /* [0] IPv4, [1] IPv6 */
	uint32_t n_ranges[2];
	uint32_t *lists;	/* group index lists of wls and ranges */
	uint64_t *peer_used[2]; /* per dir: bitset of groups a rule names at the peer side */
	uint64_t *g1_sig[2];	/* per dir, per this-end group: Bloom bits of its peer groups */
	struct cp_map pairs[2][POLICY_PROTO__MAX];
	struct cp_seg *segs;
	struct cp_fqdn *fqdns; /* every group's patterns */
	uint32_t n_fqdns;
};

/* murmur3's fmix64: every key bit reaches the low bits the mask keeps. */
static inline uint32_t cp_hash64(uint64_t k, uint32_t mask)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return (uint32_t)k & mask;
}

static inline const struct cp_ent *cp_map_find(const struct cp_map *m, uint64_t key)
{
	for (uint32_t i = cp_hash64(key, m->mask);; i = (i + 1) & m->mask) {
		if (m->ent[i].key == key)
			return &m->ent[i];
		if (m->ent[i].key == CP_MAP_EMPTY)
			return NULL;
	}
}

static inline uint64_t cp_pair_key(uint32_t g1, uint32_t g2)
{
	return (uint64_t)g1 << 32 | g2;
}

/* One bit per peer group in a this-end group's signature: most pairs are absent. */
static inline uint64_t cp_sig_bit(uint32_t g2)
{
	return 1ull << ((g2 * 0x9e3779b97f4a7c15ull) >> 58);
}

static inline bool cp_bit(const uint64_t *bits, uint32_t i)
{
	return bits[i / 64] >> (i % 64) & 1;
}

/* Address as a number, so CIDRs become ranges; [0] v4, [1] v6. */
static inline cp_u128 cp_addr_num(const struct policy_addr *a)
{
	size_t n = a->family == AF_INET ? 4 : 16;
	cp_u128 v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | a->a[i];
	return v;
}

/* The elementary range holding a, i.e. the CIDR groups containing it, or NULL. */
static inline const struct cp_range *cp_range_find(const struct policy *p,
						   const struct policy_addr *a)
{
	int f = a->family == AF_INET6;
	const struct cp_range *r = p->ranges[f];
	cp_u128 x = cp_addr_num(a);
	uint32_t lo = 0, hi = p->n_ranges[f];

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (r[mid].lo <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && x <= r[lo - 1].hi ? &r[lo - 1] : NULL;
}

static inline uint32_t cp_addr_hash(const struct policy_addr *a, uint32_t mask)
{
	uint64_t w0 = 0, w1 = 0;

	/* IPv4 uses 4 bytes; whatever follows them must not change the hash. */
	if (a->family == AF_INET) {
		memcpy(&w0, a->a, 4);
	} else {
		memcpy(&w0, a->a, 8);
		memcpy(&w1, a->a + 8, 8);
	}
	return cp_hash64(w0 ^ (w1 * 0x9e3779b97f4a7c15ull) ^ a->family, mask);
}

/* Inline policy_addr_equal(): the address hash probes this on every decision. */
static inline bool cp_addr_equal(const struct policy_addr *x, const struct policy_addr *y)
{
	uint64_t a[2], b[2];

	if (x->family != y->family)
		return false;
	if (x->family == AF_INET)
		return !memcmp(x->a, y->a, 4);
	memcpy(a, x->a, 16);
	memcpy(b, y->a, 16);
	return a[0] == b[0] && a[1] == b[1];
}

#endif
