/*
 * decode-l4.c - TCP, UDP, ICMP and ICMPv6 headers.
 *
 * Only the first fragment of a datagram carries an L4 header; later ones are
 * left with DP_PKT_L4 clear.  A first fragment too short for its L4 header is
 * an error (the classic tiny-fragment evasion), as is any truncated header.
 */
#include "decode.h"

#include <netinet/in.h>
#include <sys/socket.h>

#define TCP_MIN_HLEN 20
#define UDP_HLEN 8
#define ICMP_MIN_HLEN 4
#define ICMP_ECHO_HLEN 8

static void set_payload(struct dp_pkt *p, uint32_t hlen, uint32_t plen)
{
	p->payload = p->l4 + hlen;
	p->payload_len = plen;
	p->flags |= DP_PKT_L4;
}

static int decode_tcp(struct dp_pkt *p)
{
	const uint8_t *h = p->l4;
	uint32_t doff;

	if (p->l4_len < TCP_MIN_HLEN)
		return DP_DEC_TCP_SHORT;
	doff = (h[12] >> 4) * 4u;
	if (doff < TCP_MIN_HLEN || doff > p->l4_len)
		return DP_DEC_TCP_DOFF;
	p->sport = dp_rd16(h);
	p->dport = dp_rd16(h + 2);
	p->tcp_seq = dp_rd32(h + 4);
	p->tcp_ack = dp_rd32(h + 8);
	p->tcp_flags = h[13];
	p->tcp_win = dp_rd16(h + 14);
	set_payload(p, doff, p->l4_len - doff);
	return 0;
}

/*
 * The UDP length covers the whole datagram, which a first fragment or a GSO
 * super-frame does not hold in one piece; there only its lower bound counts.
 */
static int decode_udp(struct dp_pkt *p)
{
	const uint8_t *h = p->l4;
	uint32_t ulen;

	if (p->l4_len < UDP_HLEN)
		return DP_DEC_UDP_SHORT;
	ulen = dp_rd16(h + 4);
	if (p->flags & (DP_PKT_FRAG | DP_PKT_GSO)) {
		if (ulen != 0 && ulen < UDP_HLEN)
			return DP_DEC_UDP_LEN;
		ulen = p->l4_len;
	} else if (ulen < UDP_HLEN || ulen > p->l4_len) {
		return DP_DEC_UDP_LEN;
	}
	p->sport = dp_rd16(h);
	p->dport = dp_rd16(h + 2);
	set_payload(p, UDP_HLEN, ulen - UDP_HLEN);
	return 0;
}

static int is_echo(const struct dp_pkt *p, uint8_t type)
{
	if (p->family == AF_INET)
		return type == 8 || type == 0;
	return type == 128 || type == 129;
}

static int decode_icmp(struct dp_pkt *p)
{
	const uint8_t *h = p->l4;
	uint32_t hlen = ICMP_MIN_HLEN;

	if (p->l4_len < ICMP_MIN_HLEN)
		return DP_DEC_ICMP_SHORT;
	p->icmp_type = h[0];
	p->icmp_code = h[1];
	if (is_echo(p, h[0])) {
		hlen = ICMP_ECHO_HLEN;
		if (p->l4_len < hlen)
			return DP_DEC_ICMP_SHORT;
		p->icmp_id = dp_rd16(h + 4);
		p->flags |= DP_PKT_ECHO;
	}
	set_payload(p, hlen, p->l4_len - hlen);
	return 0;
}

int dp_decode_l4(struct dp_pkt *p)
{
	if (p->frag_off)
		return 0;
	switch (p->proto) {
	case IPPROTO_TCP:
		return decode_tcp(p);
	case IPPROTO_UDP:
		return decode_udp(p);
	case IPPROTO_ICMP:
		return p->family == AF_INET ? decode_icmp(p) : 0;
	case IPPROTO_ICMPV6:
		return p->family == AF_INET6 ? decode_icmp(p) : 0;
	default:
		return 0; /* other protocols: addresses only */
	}
}
