/*
 * frag-ipv4.c - refragment IPv4 on the way out.
 *
 * The workers join their fanout group with PACKET_FANOUT_FLAG_DEFRAG so all
 * fragments of a datagram (which the kernel hashes without ports) land on the
 * worker that owns the flow.  The price: the ring then holds the reassembled
 * datagram, larger than any port's MTU, and sending it back fails.  So it is
 * cut up again here, as a router would: the first piece keeps the options,
 * later pieces carry the 20-byte base header (only "copied" options would be
 * owed to them; none matter between containers).  Payload is not copied: each
 * piece is its own header plus a slice of the ring slot.
 */
#include "frag-ipv4.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "decode.h"
#include "dp-reset.h" /* dp_csum_* */

#define VNET_LEN 10
#define IPV4_BASE_HLEN 20
#define IPV4_DF 0x4000
#define IPV4_MF 0x2000

bool frag_ipv4_needed(const struct dp_pkt *p, uint32_t mtu)
{
	if (p->family != AF_INET || (p->flags & DP_PKT_GSO))
		return false;
	if (dp_rd16(p->l3 + 6) & IPV4_DF)
		return false; /* never was fragmented; too big is the sender's problem */
	return p->l3_len > mtu;
}


static void wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* Headers of one piece: zero vnet header, the original L2 header, a patched IPv4 header. */
static void piece_hdr(struct frag_piece *pc, const struct dp_pkt *p, uint32_t ihl,
		      uint32_t data_len, uint32_t off, bool more)
{
	uint32_t l2 = (uint32_t)(p->l3 - p->eth);
	uint8_t *ip = pc->hdr + VNET_LEN + l2;

	memset(pc->hdr, 0, VNET_LEN);
	memcpy(pc->hdr + VNET_LEN, p->eth, l2);
	memcpy(ip, p->l3, ihl);
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	wr16(ip + 2, (uint16_t)(ihl + data_len));
	wr16(ip + 6, (uint16_t)(off / 8 | (more ? IPV4_MF : 0)));
	wr16(ip + 10, 0);
	wr16(ip + 10, dp_csum_fold(dp_csum_add(0, ip, ihl)));
	pc->hdr_len = VNET_LEN + l2 + ihl;
}

int frag_ipv4_split(const struct dp_pkt *p, uint32_t mtu, struct frag_piece *out,
		    unsigned max)
{
	uint32_t ihl0 = (p->l3[0] & 0x0f) * 4u, base = p->frag_off;
	uint32_t total = p->l3_len - ihl0, done = 0, ihl, room, len;
	const uint8_t *data = p->l3 + ihl0;
	unsigned n = 0;
	bool more;

	if (mtu < FRAG_MIN_MTU || p->l3 - p->eth > FRAG_HDR_MAX - VNET_LEN - 60)
		return -EINVAL;
	while (done < total) {
		if (n == max)
			return -E2BIG;
		ihl = n ? IPV4_BASE_HLEN : ihl0;
		room = (mtu - ihl) & ~7u;
		len = total - done > room ? room : total - done;
		more = done + len < total || p->more_frags;
		piece_hdr(&out[n], p, ihl, len, base + done, more);
		out[n].data = data + done;
		out[n].data_len = len;
		done += len;
		n++;
	}
	return (int)n;
}
