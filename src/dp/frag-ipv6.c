/*
 * frag-ipv6.c - the IPv6 fragment gate.
 *
 * A later IPv6 fragment carries no ports, so it belongs to no session and
 * policy cannot judge it; forwarded as it is, the non-first fragments of a
 * blocked flow would still reach the workload (and fill its reassembly
 * memory).  So where the mode blocks, a later fragment passes only behind a
 * first fragment the worker forwarded on the same port: this table remembers
 * those datagrams by (port, source, destination, id) for the reassembly
 * timeout.  All fragments of a datagram reach the same worker: the kernel's
 * flow hash stops at a fragment header, so they hash by addresses alone.
 * IPv4 needs none of this: the fanout's defrag hands the dp whole datagrams.
 */
#include "frag-ipv6.h"

#include <string.h>

static uint32_t slot_of(const struct dp_pkt *p)
{
	uint32_t h = p->frag_id ^ p->src.w[3] ^ p->src.w[2] ^ p->dst.w[3] ^ p->port_idx;

	return (h * 0x9e3779b1u) >> 24; /* FRAG6_SLOTS == 256 */
}

static bool slot_is(const struct frag6_slot *s, const struct dp_pkt *p)
{
	return s->id == p->frag_id && s->port_idx == p->port_idx &&
	       !memcmp(&s->src, &p->src, sizeof(s->src)) &&
	       !memcmp(&s->dst, &p->dst, sizeof(s->dst));
}

void frag6_allow(struct frag6_table *t, const struct dp_pkt *p, uint64_t now_ms)
{
	struct frag6_slot *s = &t->slot[slot_of(p)];

	s->src = p->src;
	s->dst = p->dst;
	s->id = p->frag_id;
	s->port_idx = p->port_idx;
	s->until_ms = now_ms + FRAG6_TTL_MS;
}

bool frag6_allowed(const struct frag6_table *t, const struct dp_pkt *p, uint64_t now_ms)
{
	const struct frag6_slot *s = &t->slot[slot_of(p)];

	return s->until_ms > now_ms && slot_is(s, p);
}
