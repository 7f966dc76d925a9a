/*
 * test-reasm.c - src/dp/reasm-tcp.c: in-order delivery (zero-copy), 1-byte segments,
 * out-of-order queueing, retransmissions with the same and with different bytes,
 * Linux's out-of-order overlap rules, sequence wraparound, the receive window, the
 * caps, the stream head, and that a released session holds no memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dp/reasm-tcp.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_ACK 0x10
#define OUT_MAX 8192

struct h {
	struct reasm *r;
	struct session s;
	uint8_t out[2][OUT_MAX];
	uint32_t outlen[2];
	uint32_t expect[2]; /* seq the next delivery must start at */
	bool expect_set[2];
	const uint8_t *last_ptr; /* data pointer of the last delivery */
	uint8_t pkt[2048];
};

static void on_data(void *ctx, uint8_t side, const uint8_t *d, uint32_t len, uint32_t seq)
{
	struct h *h = ctx;

	assert_true(side < 2);
	assert_true(len > 0);
	if (h->expect_set[side])
		assert_int_equal(seq, h->expect[side]); /* contiguous, each byte once */
	h->expect[side] = seq + len;
	h->expect_set[side] = true;
	assert_true(h->outlen[side] + len <= OUT_MAX);
	memcpy(h->out[side] + h->outlen[side], d, len);
	h->outlen[side] += len;
	h->last_ptr = d;
}

static void h_init(struct h *h, const struct reasm_config *cfg)
{
	memset(h, 0, sizeof(*h));
	assert_int_equal(reasm_new(&h->r, cfg), 0);
	h->s.key.proto = 6;
}

static void h_fini(struct h *h)
{
	struct reasm_stats st;

	reasm_tcp_release(h->r, &h->s);
	reasm_get_stats(h->r, &st);
	assert_int_equal(st.chunks_in_use, 0);
	assert_int_equal(st.flows_in_use, 0);
	assert_int_equal(st.queued_bytes, 0);
	reasm_free(h->r);
}

/* One TCP packet; ws >= 0 adds a window-scale option (SYNs). */
static unsigned seg_ws(struct h *h, uint8_t side, uint8_t flags, uint32_t seq, uint32_t ack,
		       uint16_t win, int ws, const void *data, uint32_t len)
{
	struct dp_pkt p;
	uint32_t doff = ws >= 0 ? 24 : 20;

	memset(&p, 0, sizeof(p));
	memset(h->pkt, 0, 24);
	if (ws >= 0) {
		h->pkt[20] = 1;
		h->pkt[21] = 3;
		h->pkt[22] = 3;
		h->pkt[23] = (uint8_t)ws;
	}
	if (len)
		memcpy(h->pkt + doff, data, len);
	p.flags = DP_PKT_L4;
	p.proto = 6;
	p.l4 = h->pkt;
	p.payload = h->pkt + doff;
	p.payload_len = len;
	p.tcp_flags = flags;
	p.tcp_seq = seq;
	p.tcp_ack = ack;
	p.tcp_win = win;
	return reasm_tcp_segment(h->r, &h->s, &p, side, on_data, h);
}

static unsigned seg(struct h *h, uint8_t side, uint32_t seq, const char *data)
{
	return seg_ws(h, side, TH_ACK, seq, 0, 65535, -1, data, (uint32_t)strlen(data));
}

/* Client ISN c, server ISN sv, both scaling by ws (or none when ws < 0), windows win. */
static void handshake(struct h *h, uint32_t c, uint32_t sv, int ws, uint16_t win)
{
	assert_int_equal(seg_ws(h, 0, TH_SYN, c, 0, win, ws, NULL, 0), 0);
	assert_int_equal(seg_ws(h, 1, TH_SYN | TH_ACK, sv, c + 1, win, ws, NULL, 0), 0);
	assert_int_equal(seg_ws(h, 0, TH_ACK, c + 1, sv + 1, win, -1, NULL, 0), 0);
	/* the server's first ACK after the handshake: its window, scaled now */
	assert_int_equal(seg_ws(h, 1, TH_ACK, sv + 1, c + 1, win, -1, NULL, 0), 0);
}

static void assert_out(struct h *h, uint8_t side, const char *want)
{
	assert_int_equal(h->outlen[side], strlen(want));
	assert_memory_equal(h->out[side], want, strlen(want));
}

static const char req[] = "GET /item?id=1'%20or%201=1-- HTTP/1.1\r\nHost: web\r\n\r\n";

static void test_in_order_zero_copy(void **state)
{
	struct h h;
	unsigned res;

	(void)state;
	h_init(&h, NULL);
	handshake(&h, 1000, 5000, 7, 502);
	res = seg(&h, 0, 1001, "GET / HTTP/1.1\r\n");
	assert_int_equal(res, 0);
	assert_ptr_equal(h.last_ptr, h.pkt + 20); /* the packet's own bytes, not a copy */
	assert_int_equal(seg(&h, 0, 1017, "Host: x\r\n\r\n"), 0);
	assert_int_equal(seg(&h, 1, 5001, "HTTP/1.1 200 OK\r\n"), 0);
	assert_out(&h, 0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_out(&h, 1, "HTTP/1.1 200 OK\r\n");
	assert_int_equal(reasm_tcp_offset(h.r, &h.s, 0), 27);
	assert_int_equal(reasm_tcp_queued(h.r, &h.s), 0);
	h_fini(&h);
}

static void test_one_byte_segments(void **state)
{
	struct h h;
	size_t n = strlen(req);

	(void)state;
	h_init(&h, NULL);
	handshake(&h, 1, 9, 7, 502);
	for (size_t i = 0; i < n; i++) {
		char b[2] = {req[i], 0};

		assert_int_equal(seg(&h, 0, 2 + (uint32_t)i, b), 0);
	}
	assert_out(&h, 0, req);
	h_fini(&h);
}

static void test_out_of_order(void **state)
{
	struct reasm_stats st;
	struct h h;
	uint32_t n = (uint32_t)strlen(req);

	(void)state;
	h_init(&h, NULL);
	handshake(&h, 100, 900, 7, 502);
	/* 1-byte segments, last first: nothing can be delivered until byte 0 comes */
	for (uint32_t i = n - 1; i >= 1; i--) {
		char b[2] = {req[i], 0};

		assert_int_equal(seg(&h, 0, 101 + i, b), REASM_R_QUEUED);
	}
	assert_int_equal(h.outlen[0], 0);
	assert_int_equal(reasm_tcp_queued(h.r, &h.s), n - 1);
	reasm_get_stats(h.r, &st);
	assert_true(st.chunks_in_use >= 1);
	assert_int_equal(seg(&h, 0, 101, "G"), 0);
	assert_out(&h, 0, req);
	assert_int_equal(reasm_tcp_queued(h.r, &h.s), 0);
	reasm_get_stats(h.r, &st);
	assert_int_equal(st.chunks_in_use, 0);
	assert_int_equal(st.queued_bytes, 0);
	h_fini(&h);
}

static void test_shuffled(void **state)
{
	static const uint32_t order[] = {3, 0, 4, 2, 1}; /* chunks of 11 bytes */
	struct h h;

	(void)state;
	h_init(&h, NULL);
	handshake(&h, 0xfffffff0u, 7, 7, 502); /* the stream wraps past 2^32 */
	for (int i = 0; i < 5; i++) {
		char b[12] = {0};
		uint32_t o = order[i] * 11;

		memcpy(b, req + o, strlen(req + o) < 11 ? strlen(req + o) : 11);
		seg(&h, 0, 0xfffffff1u + o, b);
	}
	assert_out(&h, 0, req);
	h_fini(&h);
}

static void test_duplicate_same_data(void **state)
{
	struct h h;

	(void)state;
	h_init(&h, NULL);
	handshake(&h, 10, 20, 7, 502);
	assert_int_equal(seg(&h, 0, 11, "GET / HT"), 0);
	assert_int_equal(seg(&h, 0, 11, "GET / HT"), 0);       /* whole retransmission */
	assert_int_equal(seg(&h, 0, 15, "/ HTTP/1.1"), 0);     /* partial, same bytes */
	assert_int_equal(seg(&h, 0, 40, "zz"), REASM_R_QUEUED); /* out of order, twice */
	assert_int_equal(seg(&h, 0, 40, "zz"), REASM_R_QUEUED);
	assert_int_equal(reasm_tcp_queued(h.r, &h.s), 2);
	assert_out(&h, 0, "GET / HTTP/1.1");
	h_fini(&h);
}

static void test_overlap_different_data(void **state)
{
	struct reasm_stats st;
	struct h h;

	(void)state;
	h_init(&h, NULL);
	handshake(&h, 10, 20, 7, 502);
	assert_int_equal(seg(&h, 0, 11, "GET /safe"), 0);
	/* a retransmission of delivered bytes with other bytes: flagged, first copy kept */
	assert_int_equal(seg(&h, 0, 15, "/evil"), REASM_R_OVERLAP);
	assert_out(&h, 0, "GET /safe");
	/* out of order: a second copy with other bytes at the same place */
	assert_int_equal(seg(&h, 0, 30, "abcd"), REASM_R_QUEUED);
	assert_true(seg(&h, 0, 30, "abXd") & REASM_R_OVERLAP);
	/* in-order bytes that differ from the queued ones: flagged, in-order wins */
	assert_true(seg(&h, 0, 20, "0123456789QQQQ") & REASM_R_OVERLAP);
	assert_out(&h, 0, "GET /safe0123456789QQQQ");
	reasm_get_stats(h.r, &st);
	assert_int_equal(st.overlaps, 3);
	h_fini(&h);
}

/* Linux's out-of-order queue: the segment starting lower wins an overlap. */
static void test_linux_overlap_policy(void **state)
{
	struct h h;

	(void)state;
	h_init(&h, NULL);
	handshake(&h, 0, 0, 7, 502);
	seg(&h, 0, 11, "aaaaaaaaaa");	/* [11,21) */
	seg(&h, 0, 6, "bbbbbbbbbb");	/* [6,16): starts lower, wins [11,16) */
	seg(&h, 0, 26, "cc");		/* [26,28) */
	seg(&h, 0, 26, "dddd");		/* same start, longer: replaces it */
	seg(&h, 0, 27, "e");		/* inside a queued one: dropped */
	seg(&h, 0, 1, "xxxxx");		/* fills the gap [1,6) */
	assert_out(&h, 0, "xxxxxbbbbbbbbbbaaaaa");
	seg(&h, 0, 21, "yyyyy");
	assert_out(&h, 0, "xxxxxbbbbbbbbbbaaaaayyyyydddd");
	h_fini(&h);
}

static void test_window(void **state)
{
	struct reasm_stats st;
	struct h h;

	(void)state;
	h_init(&h, NULL);
	/* no scaling: the server's window is 100 bytes past its ack */
	handshake(&h, 1000, 2000, -1, 100);
	assert_int_equal(seg(&h, 0, 1001 + 100, "late"), REASM_R_WINDOW);
	assert_int_equal(seg(&h, 0, 1001 + 99, "x"), REASM_R_QUEUED);
	/* a bigger window opens the rest */
	assert_int_equal(seg_ws(&h, 1, TH_ACK, 2001, 1001, 400, -1, NULL, 0), 0);
	assert_int_equal(seg(&h, 0, 1001 + 200, "fine"), REASM_R_QUEUED);
	reasm_get_stats(h.r, &st);
	assert_int_equal(st.out_of_window, 1);
	h_fini(&h);

	/* scaled: window 10 << 7 = 1280 */
	h_init(&h, NULL);
	handshake(&h, 1000, 2000, 7, 10);
	assert_int_equal(seg_ws(&h, 1, TH_ACK, 2001, 1001, 10, -1, NULL, 0), 0);
	assert_int_equal(seg(&h, 0, 1001 + 1279, "x"), REASM_R_QUEUED);
	assert_int_equal(seg(&h, 0, 1001 + 1280, "y"), REASM_R_WINDOW);
	h_fini(&h);
}

static void test_syn_data_and_midstream(void **state)
{
	struct h h;

	(void)state;
	h_init(&h, NULL);
	assert_int_equal(seg_ws(&h, 0, TH_SYN, 50, 0, 512, 7, "hidden", 6), 0);
	assert_int_equal(h.outlen[0], 0); /* data on a SYN is not delivered */
	assert_int_equal(seg(&h, 0, 51, "shown"), 0);
	assert_out(&h, 0, "shown");
	h_fini(&h);

	/* picked up mid-stream: the first data packet sets next */
	h_init(&h, NULL);
	assert_int_equal(seg(&h, 1, 777, "HTTP/1.1 200"), 0);
	assert_int_equal(seg(&h, 1, 777 + 12 + 3, "zzz"), REASM_R_QUEUED);
	assert_int_equal(seg(&h, 1, 777 + 12, " OK"), 0);
	assert_out(&h, 1, "HTTP/1.1 200 OKzzz");
	h_fini(&h);
}

static void test_session_cap(void **state)
{
	struct reasm_config cfg = {.session_chunks = 4};
	char big[REASM_CHUNK_DATA + 2];
	struct reasm_stats st;
	struct h h;

	(void)state;
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	h_init(&h, &cfg);
	handshake(&h, 0, 0, 7, 502);
	/* each needs two chunks: two fit, the third is refused */
	assert_int_equal(seg(&h, 0, 1001, big), REASM_R_QUEUED);
	assert_int_equal(seg(&h, 0, 2001, big), REASM_R_QUEUED);
	assert_int_equal(seg(&h, 0, 3001, big), REASM_R_CAP);
	/* in-order bytes need no chunk: still delivered */
	assert_int_equal(seg(&h, 0, 1, "abc"), 0);
	reasm_get_stats(h.r, &st);
	assert_int_equal(st.cap_hits, 1);
	assert_int_equal(st.chunks_in_use, 4);
	reasm_tcp_give_up(h.r, &h.s);
	assert_int_equal(h.s.reasm_flow, REASM_FLOW_DONE);
	/* a finished session is never reassembled again */
	assert_int_equal(seg(&h, 0, 4, "def"), 0);
	assert_int_equal(h.outlen[0], 3);
	reasm_get_stats(h.r, &st);
	assert_int_equal(st.gave_up, 1);
	h_fini(&h);
}

static void test_worker_cap(void **state)
{
	struct reasm_config cfg = {.flows = 2, .chunks = 3};
	struct session s2 = {0}, s3 = {0};
	struct reasm_stats st;
	struct h h;

	(void)state;
	h_init(&h, &cfg);
	handshake(&h, 0, 0, 7, 502);
	assert_int_equal(seg(&h, 0, 100, "a"), REASM_R_QUEUED);
	assert_int_equal(seg(&h, 0, 200, "b"), REASM_R_QUEUED);
	assert_int_equal(seg(&h, 0, 300, "c"), REASM_R_QUEUED);
	assert_int_equal(seg(&h, 0, 400, "d"), REASM_R_CAP); /* the pool is empty */
	/* a second session gets a slot but no chunk; a third no slot */
	{
		struct dp_pkt p = {.flags = DP_PKT_L4, .tcp_flags = TH_ACK, .tcp_seq = 5};
		uint8_t l4[24] = {0};

		p.l4 = l4;
		p.payload = l4 + 20;
		p.payload_len = 1;
		assert_int_equal(reasm_tcp_segment(h.r, &s2, &p, 0, NULL, NULL), 0);
		p.tcp_seq = 10;
		assert_int_equal(reasm_tcp_segment(h.r, &s2, &p, 0, NULL, NULL), REASM_R_CAP);
		assert_int_equal(reasm_tcp_segment(h.r, &s3, &p, 0, NULL, NULL), REASM_R_NOFLOW);
		assert_int_equal(s3.reasm_flow, REASM_FLOW_DONE);
	}
	reasm_get_stats(h.r, &st);
	assert_int_equal(st.no_flow, 1);
	assert_int_equal(st.chunks_in_use, 3);
	reasm_tcp_release(h.r, &h.s); /* session end frees its chunks */
	reasm_get_stats(h.r, &st);
	assert_int_equal(st.chunks_in_use, 0);
	assert_int_equal(st.flows_in_use, 1);
	reasm_tcp_release(h.r, &s2);
	h_fini(&h);
}

static void test_head(void **state)
{
	char big[REASM_HEAD_MAX + 100];
	const uint8_t *v;
	uint32_t len;
	struct h h;

	(void)state;
	h_init(&h, NULL);
	handshake(&h, 0, 0, 7, 502);
	assert_null(reasm_tcp_head(h.r, &h.s, 0, &len));
	assert_int_equal(reasm_tcp_head_add(h.r, &h.s, 0, (const uint8_t *)"GET /it", 7), 0);
	assert_int_equal(reasm_tcp_head_add(h.r, &h.s, 0, (const uint8_t *)"em HTTP", 7), 0);
	v = reasm_tcp_head(h.r, &h.s, 0, &len);
	assert_int_equal(len, 14);
	assert_memory_equal(v, "GET /item HTTP", 14);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	assert_int_equal(reasm_tcp_head_add(h.r, &h.s, 0, (const uint8_t *)big, sizeof(big)), 0);
	v = reasm_tcp_head(h.r, &h.s, 0, &len);
	assert_int_equal(len, REASM_HEAD_MAX); /* capped */
	assert_memory_equal(v + 14, big, REASM_HEAD_MAX - 14);
	assert_false(reasm_tcp_head_is_done(h.r, &h.s, 0));
	reasm_tcp_head_done(h.r, &h.s, 0);
	assert_true(reasm_tcp_head_is_done(h.r, &h.s, 0));
	assert_null(reasm_tcp_head(h.r, &h.s, 0, &len));
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_order_zero_copy),
	    cmocka_unit_test(test_one_byte_segments),
	    cmocka_unit_test(test_out_of_order),
	    cmocka_unit_test(test_shuffled),
	    cmocka_unit_test(test_duplicate_same_data),
	    cmocka_unit_test(test_overlap_different_data),
	    cmocka_unit_test(test_linux_overlap_policy),
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_syn_data_and_midstream),
	    cmocka_unit_test(test_session_cap),
	    cmocka_unit_test(test_worker_cap),
	    cmocka_unit_test(test_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
