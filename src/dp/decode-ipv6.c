/*
 * decode-ipv6.c - the IPv6 header and its extension-header chain.
 *
 * The chain is walked with a bounded count (DP_MAX_IPV6_EXT) so a crafted
 * loop of options headers costs a fixed amount of work; hop-by-hop is only
 * legal first.  A fragment header with a non-zero offset ends the walk: what
 * follows is payload, not headers.
 */
#include "decode.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define IPV6_HLEN 40
#define IPV6_FRAG_HLEN 8

static int ext_len(uint8_t nh, const uint8_t *h, uint32_t room, uint32_t *len)
{
	if (room < 2)
		return DP_DEC_IPV6_EXT;
	switch (nh) {
	case IPPROTO_FRAGMENT:
		*len = IPV6_FRAG_HLEN;
		break;
	case IPPROTO_AH:
		*len = (h[1] + 2u) * 4;
		break;
	default:
		*len = (h[1] + 1u) * 8;
		break;
	}
	return *len > room ? DP_DEC_IPV6_EXT : 0;
}

static int is_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_AH;
}

static void ipv6_note_frag(struct dp_pkt *p, const uint8_t *fh)
{
	uint16_t v = dp_rd16(fh + 2);

	p->frag_off = v & 0xfff8;
	p->more_frags = v & 1;
	p->frag_id = dp_rd32(fh + 4);
	if (p->frag_off || p->more_frags)
		p->flags |= DP_PKT_FRAG;
}

/* Walk from the first next-header at offset off; leaves proto and l4 set. */
static int ipv6_walk_ext(struct dp_pkt *p, uint8_t nh, uint32_t off)
{
	const uint8_t *h = p->l3;
	uint32_t end = p->l3_len, len;
	unsigned n = 0;
	int err;

	while (is_ext(nh)) {
		if (nh == IPPROTO_HOPOPTS && n != 0)
			return DP_DEC_IPV6_EXT;
		if (n == DP_MAX_IPV6_EXT)
			return DP_DEC_IPV6_EXT_DEPTH;
		err = ext_len(nh, h + off, end - off, &len);
		if (err)
			return err;
		n++;
		if (nh == IPPROTO_FRAGMENT)
			ipv6_note_frag(p, h + off);
		nh = h[off];
		off += len;
		if (p->frag_off)
			break;
	}
	p->ext_count = (uint8_t)n;
	if (n)
		p->flags |= DP_PKT_IPOPT;
	p->proto = nh;
	p->l4 = h + off;
	p->l4_len = end - off;
	return 0;
}

int dp_decode_ipv6(struct dp_pkt *p)
{
	const uint8_t *h = p->l3;
	uint32_t cap = p->l3_len, plen;

	if (cap < IPV6_HLEN)
		return DP_DEC_IPV6_SHORT;
	if (h[0] >> 4 != 6)
		return DP_DEC_IPV6_VERSION;
	plen = dp_rd16(h + 4);
	if (plen == 0 && (p->flags & DP_PKT_GSO))
		plen = cap - IPV6_HLEN;
	if (plen > cap - IPV6_HLEN)
		return DP_DEC_IPV6_LEN;

	p->l3_len = IPV6_HLEN + plen;
	p->family = AF_INET6;
	p->ttl = h[7];
	memcpy(p->src.b, h + 8, 16);
	memcpy(p->dst.b, h + 24, 16);
	return ipv6_walk_ext(p, h[6], IPV6_HLEN);
}
