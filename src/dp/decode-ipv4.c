/*
 * decode-ipv4.c - the IPv4 header: length checks, options, fragments.
 *
 * Length fields are checked against what was captured, never trusted.  A GSO
 * super-frame may carry a total length covering all its segments (or 0 for
 * big TCP), so with DP_PKT_GSO a zero length means "the captured bytes".
 */
#include "decode.h"

#include <string.h>
#include <sys/socket.h>

#define IPV4_MIN_HLEN 20
#define IPV4_MF 0x2000
#define IPV4_OFFMASK 0x1fff

static void ipv4_note_frag(struct dp_pkt *p, uint16_t frag)
{
	p->frag_off = (uint16_t)((frag & IPV4_OFFMASK) * 8);
	p->more_frags = !!(frag & IPV4_MF);
	if (p->frag_off || p->more_frags)
		p->flags |= DP_PKT_FRAG;
}

int dp_decode_ipv4(struct dp_pkt *p)
{
	const uint8_t *h = p->l3;
	uint32_t cap = p->l3_len, ihl, tot;

	if (cap < IPV4_MIN_HLEN)
		return DP_DEC_IPV4_SHORT;
	if (h[0] >> 4 != 4)
		return DP_DEC_IPV4_VERSION;
	ihl = (h[0] & 0x0f) * 4u;
	if (ihl < IPV4_MIN_HLEN || ihl > cap)
		return DP_DEC_IPV4_IHL;
	tot = dp_rd16(h + 2);
	if (tot == 0 && (p->flags & DP_PKT_GSO))
		tot = cap;
	if (tot < ihl || tot > cap)
		return DP_DEC_IPV4_LEN;

	p->l3_len = tot; /* drops Ethernet padding */
	p->family = AF_INET;
	p->ttl = h[8];
	p->proto = h[9];
	p->frag_id = dp_rd16(h + 4);
	memcpy(p->src.b, h + 12, 4);
	memcpy(p->dst.b, h + 16, 4);
	if (ihl > IPV4_MIN_HLEN)
		p->flags |= DP_PKT_IPOPT;
	ipv4_note_frag(p, dp_rd16(h + 6));
	p->l4 = h + ihl;
	p->l4_len = tot - ihl;
	return 0;
}
