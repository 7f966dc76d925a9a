/*
 * dp-reset.c - craft RST+ACK frames for a session we stop allowing.
 *
 * A reset only works if the receiver accepts it: Linux takes a RST whose
 * sequence number is exactly what it expects next (otherwise it answers a
 * challenge ACK, RFC 5961), so the session tracks each side's next sequence
 * number and we send one RST per direction with the sender's next seq.
 * The frames carry our port markers so the return program on the dp port
 * delivers them to the right device: toward the workload the destination is
 * the port's unicast marker (-> vin); toward the peer the source is (-> vex).
 */
#include "dp-reset.h"

#include <arpa/inet.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/policy-t.h"
#include "portmac.h"

#define TH_RST 0x04
#define TH_ACK 0x10

uint32_t dp_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

uint16_t dp_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Who is who in s: the workload's key side and sess_side. */
struct rst_sides {
	int wl_key, peer_key;
	int wl_side, peer_side;
};

static void sides_of(const struct session *s, struct rst_sides *r)
{
	int wl_is_client = s->end == POLICY_EGRESS;

	r->wl_key = wl_is_client ? s->client : !s->client;
	r->peer_key = !r->wl_key;
	r->wl_side = wl_is_client ? SESS_FROM_CLIENT : SESS_FROM_SERVER;
	r->peer_side = !r->wl_side;
}

static size_t put_l3(const struct session *s, int src_key, int dst_key, uint8_t *ip,
		     uint32_t *pseudo)
{
	const struct sess_key *k = &s->key;

	if (k->family == AF_INET) {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, 40);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		memcpy(ip + 12, k->addr[src_key], 4);
		memcpy(ip + 16, k->addr[dst_key], 4);
		put16(ip + 10, dp_csum_fold(dp_csum_add(0, ip, 20)));
		*pseudo = dp_csum_add(0, ip + 12, 8) + IPPROTO_TCP + 20;
		return 20;
	}
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, 20);
	ip[6] = IPPROTO_TCP;
	ip[7] = 64;
	memcpy(ip + 8, k->addr[src_key], 16);
	memcpy(ip + 24, k->addr[dst_key], 16);
	*pseudo = dp_csum_add(0, ip + 8, 32) + IPPROTO_TCP + 20;
	return 40;
}

size_t dp_reset_build(const struct session *s, int to_workload, uint8_t *buf)
{
	struct virtio_net_hdr *vh = (struct virtio_net_hdr *)buf;
	uint8_t *eth = buf + sizeof(*vh), *tcp;
	struct rst_sides r;
	int src_key, dst_key, src_side, dst_side;
	uint32_t pseudo;
	size_t l3;

	/* client indexes the key's two sides: anything else is not a session we made */
	if (s->key.proto != IPPROTO_TCP || (s->tcp_seq_seen & 3) != 3 || s->client > 1)
		return 0;
	sides_of(s, &r);
	src_key = to_workload ? r.peer_key : r.wl_key;
	dst_key = to_workload ? r.wl_key : r.peer_key;
	src_side = to_workload ? r.peer_side : r.wl_side;
	dst_side = to_workload ? r.wl_side : r.peer_side;

	memset(vh, 0, sizeof(*vh)); /* complete frame: no offload state */
	if (to_workload) {
		BH_MAC_SET(eth, BH_MAC_UC, s->key.port_idx);
		memcpy(eth + 6, s->peer_mac, 6);
	} else {
		memcpy(eth, s->peer_mac, 6);
		BH_MAC_SET(eth + 6, BH_MAC_UC, s->key.port_idx);
	}
	put16(eth + 12, s->key.family == AF_INET ? 0x0800 : 0x86dd);
	l3 = put_l3(s, src_key, dst_key, eth + 14, &pseudo);
	tcp = eth + 14 + l3;
	memset(tcp, 0, 20);
	put16(tcp, s->key.port[src_key]);
	put16(tcp + 2, s->key.port[dst_key]);
	put32(tcp + 4, s->tcp_next[src_side]);
	put32(tcp + 8, s->tcp_next[dst_side]);
	tcp[12] = 5 << 4;
	tcp[13] = TH_RST | TH_ACK;
	put16(tcp + 16, dp_csum_fold(dp_csum_add(pseudo, tcp, 20)));
	return sizeof(*vh) + 14 + l3 + 20;
}
