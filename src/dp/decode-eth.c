/*
 * decode-eth.c - Ethernet II and up to DP_MAX_VLAN 802.1Q/802.1AD tags.
 *
 * The io layer re-inserts a tag the kernel stripped into the ring metadata,
 * so the frame seen here is the frame as it went over the wire.  The marker
 * MAC the steering wrote tells which port and direction the frame is for.
 */
#include "decode.h"

#include <errno.h>

#include "dp-t.h"
#include "portmac.h"

#define ETH_HDR_LEN 14
#define VLAN_TAG_LEN 4

static int is_vlan_type(uint16_t type)
{
	return type == 0x8100 || type == 0x88a8 || type == 0x9100;
}

int dp_decode_eth(struct dp_pkt *p)
{
	uint32_t off = ETH_HDR_LEN;
	uint16_t type;

	if (p->len < ETH_HDR_LEN)
		return DP_DEC_ETH_SHORT;
	type = dp_rd16(p->eth + 12);
	while (is_vlan_type(type)) {
		if (p->vlan_count == DP_MAX_VLAN)
			return DP_DEC_VLAN_DEPTH;
		if (p->len - off < VLAN_TAG_LEN)
			return DP_DEC_VLAN_SHORT;
		p->vlan_tci[p->vlan_count++] = dp_rd16(p->eth + off);
		type = dp_rd16(p->eth + off + 2);
		off += VLAN_TAG_LEN;
	}
	p->eth_type = type;
	p->l3 = p->eth + off;
	p->l3_len = p->len - off;
	return 0;
}

int dp_decode_port(struct dp_pkt *p)
{
	const uint8_t *dst = p->eth, *src = p->eth + 6;
	unsigned idx;

	if (p->len < ETH_HDR_LEN)
		return -ENOENT;
	if (BH_MAC_KIND(src) == BH_MAC_UC) {
		idx = BH_MAC_IDX(src);
		p->dir = DP_DIR_EGRESS;
	} else if (BH_MAC_KIND(dst) != BH_MAC_NONE) {
		idx = BH_MAC_IDX(dst);
		p->dir = DP_DIR_INGRESS;
	} else {
		return -ENOENT;
	}
	if (idx == 0 || idx >= BH_MAX_PORTS)
		return -ENOENT;
	p->port_idx = (uint16_t)idx;
	return 0;
}
