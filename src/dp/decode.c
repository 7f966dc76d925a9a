/*
 * decode.c - the decode pipeline entry: Ethernet, then IP, then L4.
 *
 * Kept apart from the per-protocol files so the order of stages and the
 * handling of non-IP frames read in one place.
 */
#include "decode.h"

#include <string.h>
#include <sys/socket.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd

int dp_decode(struct dp_pkt *p, const uint8_t *frame, uint32_t len, unsigned flags)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->eth = frame;
	p->len = len;
	if (flags & DP_DECODE_GSO)
		p->flags |= DP_PKT_GSO;

	err = dp_decode_eth(p);
	if (err)
		return err;
	switch (p->eth_type) {
	case ETHERTYPE_IPV4:
		err = dp_decode_ipv4(p);
		break;
	case ETHERTYPE_IPV6:
		err = dp_decode_ipv6(p);
		break;
	default:
		return 0; /* ARP and friends: no L3 we track */
	}
	if (err)
		return err;
	return dp_decode_l4(p);
}

static const char *const dec_err_names[DP_DEC__MAX] = {
	[DP_DEC_OK] = "ok",
	[DP_DEC_ETH_SHORT] = "ethernet header truncated",
	[DP_DEC_VLAN_SHORT] = "vlan tag truncated",
	[DP_DEC_VLAN_DEPTH] = "too many vlan tags",
	[DP_DEC_IPV4_SHORT] = "ipv4 header truncated",
	[DP_DEC_IPV4_VERSION] = "ipv4 bad version",
	[DP_DEC_IPV4_IHL] = "ipv4 bad header length",
	[DP_DEC_IPV4_LEN] = "ipv4 bad total length",
	[DP_DEC_IPV6_SHORT] = "ipv6 header truncated",
	[DP_DEC_IPV6_VERSION] = "ipv6 bad version",
	[DP_DEC_IPV6_LEN] = "ipv6 bad payload length",
	[DP_DEC_IPV6_EXT] = "ipv6 bad extension header",
	[DP_DEC_IPV6_EXT_DEPTH] = "ipv6 too many extension headers",
	[DP_DEC_TCP_SHORT] = "tcp header truncated",
	[DP_DEC_TCP_DOFF] = "tcp bad data offset",
	[DP_DEC_UDP_SHORT] = "udp header truncated",
	[DP_DEC_UDP_LEN] = "udp bad length",
	[DP_DEC_ICMP_SHORT] = "icmp header truncated",
};

const char *dp_dec_err_str(int err)
{
	if (err < 0 || err >= DP_DEC__MAX)
		return "unknown";
	return dec_err_names[err];
}
