/*
 * fuzz-reasm.c - TCP stream reassembly (src/dp/reasm-tcp.c) on arbitrary segment
 * sequences.
 *
 * The input is a list of segments, each 6 header bytes - side and flags (byte 0),
 * sequence offset (2 bytes), window (1 byte), length (1 byte), window scale (1 byte) -
 * then its payload.  Small pools (few flows and chunks, a low session cap) make the
 * caps bite.  Invariants: every delivery starts where the previous one of its direction
 * ended (contiguous, each byte once), the bytes delivered add up to the offset the
 * reassembler reports, chunks in use never exceed the pool, and after release
 * everything is back: no chunk, no flow, no queued byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp/reasm-tcp.h"

struct ctx {
	uint32_t next[2];
	uint8_t seen[2];
	uint64_t total[2];
};

static void on_data(void *arg, uint8_t side, const uint8_t *d, uint32_t len, uint32_t seq)
{
	struct ctx *c = arg;
	volatile uint8_t sink = 0;

	if (side > 1 || !len)
		__builtin_trap();
	if (c->seen[side] && seq != c->next[side])
		__builtin_trap(); /* a gap or a byte delivered twice */
	for (uint32_t i = 0; i < len; i++)
		sink ^= d[i]; /* ASan: the whole range must be readable */
	(void)sink;
	c->seen[side] = 1;
	c->next[side] = seq + len;
	c->total[side] += len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct reasm_config cfg = {.flows = 2, .chunks = 24, .session_chunks = 16};
	struct session s = {0};
	struct reasm_stats st;
	struct reasm *r;
	struct ctx c = {0};
	uint8_t pkt[24 + 255];
	size_t i = 0;

	if (reasm_new(&r, &cfg))
		return 0;
	while (i + 6 <= size) {
		const uint8_t *h = data + i;
		uint32_t len = h[4];
		struct dp_pkt p = {0};

		if (i + 6 + len > size)
			len = (uint32_t)(size - i - 6);
		memset(pkt, 0, 24);
		pkt[20] = 1;
		pkt[21] = 3;
		pkt[22] = 3;
		pkt[23] = h[5];
		memcpy(pkt + 24, h + 6, len);
		p.flags = DP_PKT_L4;
		p.l4 = pkt;
		p.payload = pkt + 24;
		p.payload_len = len;
		p.tcp_flags = h[0] & 0x17; /* FIN SYN RST ACK */
		p.tcp_seq = 0xffffff00u + (uint32_t)(h[1] << 8 | h[2]); /* wraps */
		p.tcp_ack = 0xffffff00u + (uint32_t)(h[2] << 8 | h[1]);
		p.tcp_win = (uint16_t)(h[3] << 4);
		reasm_tcp_segment(r, &s, &p, h[0] >> 7, on_data, &c);
		reasm_get_stats(r, &st);
		if (st.chunks_in_use > cfg.chunks)
			__builtin_trap();
		for (uint8_t sd = 0; sd < 2; sd++)
			if (reasm_tcp_active(&s) && reasm_tcp_offset(r, &s, sd) != c.total[sd])
				__builtin_trap();
		if ((h[0] & 0x60) == 0x60 && reasm_tcp_active(&s)) /* the stream head too */
			reasm_tcp_head_add(r, &s, h[0] >> 7, h + 6, len);
		i += 6 + len;
	}
	reasm_tcp_release(r, &s);
	reasm_get_stats(r, &st);
	if (st.chunks_in_use || st.flows_in_use || st.queued_bytes)
		__builtin_trap(); /* memory not back to zero */
	reasm_free(r);
	return 0;
}
