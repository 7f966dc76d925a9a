/*
 * fuzz-reset.c - libFuzzer harness for dp_reset_build: the RST+ACK frames
 * the dp sends both ways when a live session becomes denied.
 *
 * One input is one byte choosing the direction (bit 0: toward the workload)
 * followed by the bytes of a struct session (zero-padded when short).  The frame goes into a heap
 * buffer of exactly DP_RST_FRAME_MAX bytes, so ASan reports any write past
 * it; a frame that is built must also decode as the TCP RST+ACK it claims
 * to be, with valid IPv4 and TCP checksums and the session's ports and
 * sequence numbers.
 *
 * Everything in the struct is arbitrary, `client` included: dp_reset_build
 * once indexed key.addr/key.port with an unchecked `client` and read out of
 * bounds (regression input: tests/fuzz/regress/reset/client-not-key-side).
 * Seeds: tests/fuzz/corpus/reset/.
 */
#include <arpa/inet.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dp/decode.h"
#include "dp/dp-reset.h"
#include "policy/policy-t.h"

#define VNET_LEN sizeof(struct virtio_net_hdr)

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Everything a receiver checks before it honours the RST. */
static void check_frame(const struct session *s, int to_workload, const uint8_t *buf, size_t len)
{
	const struct sess_key *k = &s->key;
	int wl_key = s->end == POLICY_EGRESS ? s->client : !s->client;
	int src_key = to_workload ? !wl_key : wl_key;
	int wl_side = s->end == POLICY_EGRESS ? SESS_FROM_CLIENT : SESS_FROM_SERVER;
	int src_side = to_workload ? !wl_side : wl_side;
	size_t alen = k->family == AF_INET ? 4 : 16;
	uint32_t pseudo;
	struct dp_pkt p;

	if (len <= VNET_LEN || len > DP_RST_FRAME_MAX)
		__builtin_trap();
	for (size_t i = 0; i < VNET_LEN; i++)
		if (buf[i])
			__builtin_trap(); /* a complete frame: no offload state */
	if (dp_decode(&p, buf + VNET_LEN, (uint32_t)(len - VNET_LEN), 0))
		__builtin_trap();
	if (p.family != (k->family == AF_INET ? AF_INET : AF_INET6) || p.proto != IPPROTO_TCP ||
	    !(p.flags & DP_PKT_L4) || (p.flags & DP_PKT_FRAG) || p.tcp_flags != 0x14 ||
	    p.payload_len != 0)
		__builtin_trap();
	if (p.sport != k->port[src_key] || p.dport != k->port[!src_key] ||
	    p.tcp_seq != s->tcp_next[src_side] || p.tcp_ack != s->tcp_next[!src_side])
		__builtin_trap();
	if (memcmp(p.src.b, k->addr[src_key], alen) || memcmp(p.dst.b, k->addr[!src_key], alen))
		__builtin_trap();
	if (p.family == AF_INET) {
		if (fold(sum16(0, p.l3, 20)) != 0xffff)
			__builtin_trap();
		pseudo = sum16(0, p.l3 + 12, 8);
	} else {
		pseudo = sum16(0, p.l3 + 8, 32);
	}
	pseudo += IPPROTO_TCP + p.l4_len;
	if (fold(sum16(pseudo, p.l4, p.l4_len)) != 0xffff)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session *s = calloc(1, sizeof(*s)); /* heap, exact size: ASan sees stray reads */
	uint8_t *buf = malloc(DP_RST_FRAME_MAX);   /* exact size: ASan sees stray writes */
	int to_workload = size ? data[0] & 1 : 0;
	size_t len;

	if (!s || !buf)
		abort();
	if (size > 1)
		memcpy(s, data + 1, size - 1 < sizeof(*s) ? size - 1 : sizeof(*s));
	len = dp_reset_build(s, to_workload, buf);
	if (len)
		check_frame(s, to_workload, buf, len);
	else if (s->key.proto == IPPROTO_TCP && (s->tcp_seq_seen & 3) == 3 && s->client <= 1)
		__builtin_trap(); /* everything a reset needs was there */
	free(buf);
	free(s);
	return 0;
}
