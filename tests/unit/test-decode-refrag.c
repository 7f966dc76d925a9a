/*
 * test-decode-refrag.c - IPv4 datagrams the kernel reassembled for us
 * (PACKET_FANOUT_FLAG_DEFRAG) are cut again for the port MTU (frag-ipv4.c);
 * every piece must decode as a proper fragment of the original.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dp/decode.h"
#include "dp/frag-ipv4.h"

static uint8_t frame[70000];
static struct frag_piece pieces[FRAG_MAX_FRAGS];

/* Ethernet (+ optional VLAN tag) + IPv4 with opt_len option bytes + UDP datagram of total ip_len. */
static uint32_t build(int vlan, uint32_t opt_len, uint32_t ip_len, uint16_t frag)
{
	uint32_t l2 = vlan ? 18 : 14, ihl = 20 + opt_len, i;
	uint8_t *ip = frame + l2;

	memset(frame, 0, sizeof(frame));
	memcpy(frame, "\x02\0\0\0\0\x02\x4e\x65\x75\x56\0\x01", 12);
	if (vlan)
		memcpy(frame + 12, "\x81\x00\x00\x2a", 4);
	memcpy(frame + l2 - 2, "\x08\x00", 2);
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	ip[2] = (uint8_t)(ip_len >> 8);
	ip[3] = (uint8_t)ip_len;
	ip[4] = 0xab;
	ip[5] = 0xcd;
	ip[6] = (uint8_t)(frag >> 8);
	ip[7] = (uint8_t)frag;
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, "\x0a\x63\x00\x01\x0a\x63\x00\x02", 8);
	memset(ip + 20, 1, opt_len); /* NOPs */
	ip[ihl + 1] = 53;
	ip[ihl + 3] = 53;
	ip[ihl + 4] = (uint8_t)((ip_len - ihl) >> 8);
	ip[ihl + 5] = (uint8_t)(ip_len - ihl);
	for (i = ihl + 8; i < ip_len; i++)
		ip[i] = (uint8_t)i;
	return l2 + ip_len;
}

static uint16_t csum(const uint8_t *h, uint32_t len)
{
	uint32_t sum = 0, i;

	for (i = 0; i < len; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Reassemble one piece into a frame and decode it. */
static void decode_piece(const struct frag_piece *pc, struct dp_pkt *p, uint8_t *buf)
{
	memcpy(buf, pc->hdr + 10, pc->hdr_len - 10);
	memcpy(buf + pc->hdr_len - 10, pc->data, pc->data_len);
	assert_int_equal(dp_decode(p, buf, pc->hdr_len - 10 + pc->data_len, 0), 0);
}

static void test_split(void **state)
{
	static uint8_t buf[2048], joined[4096];
	struct dp_pkt p, q;
	uint32_t len = build(0, 8, 3000, 0), off = 0;
	int n, i;

	(void)state;
	assert_int_equal(dp_decode(&p, frame, len, 0), 0);
	assert_true(frag_ipv4_needed(&p, 1500));
	n = frag_ipv4_split(&p, 1500, pieces, FRAG_MAX_FRAGS);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		decode_piece(&pieces[i], &q, buf);
		assert_true(q.l3_len <= 1500);
		assert_int_equal(csum(q.l3, (q.l3[0] & 15) * 4u), 0xffff);
		assert_true(q.flags & DP_PKT_FRAG);
		assert_int_equal(q.frag_id, 0xabcd);
		assert_int_equal(q.frag_off, off);
		assert_int_equal(q.more_frags, i < n - 1);
		assert_int_equal(q.frag_off % 8, 0);
		assert_memory_equal(pieces[i].hdr, "\0\0\0\0\0\0\0\0\0\0", 10); /* vnet: plain */
		memcpy(joined + off, q.l4, q.l4_len);
		off += q.l4_len;
		if (i == 0) {
			assert_true(q.flags & DP_PKT_L4);
			assert_true(q.flags & DP_PKT_IPOPT); /* options stay on the first */
			assert_int_equal(q.dport, 53);
			assert_int_equal(q.l4_len, 1472);
		} else {
			assert_false(q.flags & DP_PKT_IPOPT);
		}
	}
	assert_int_equal(off, 3000 - 28);
	assert_memory_equal(joined, p.l4, off);
}

static void test_split_vlan_and_offset(void **state)
{
	static uint8_t buf[2048];
	struct dp_pkt p, q;
	uint32_t len = build(1, 0, 1800, 0x2000 | 100); /* itself a middle fragment */
	int n;

	(void)state;
	assert_int_equal(dp_decode(&p, frame, len, 0), 0);
	n = frag_ipv4_split(&p, 1500, pieces, FRAG_MAX_FRAGS);
	assert_int_equal(n, 2);
	decode_piece(&pieces[1], &q, buf);
	assert_int_equal(q.vlan_count, 1);
	assert_int_equal(q.vlan_tci[0], 42);
	assert_int_equal(q.frag_off, 800 + 1480);
	assert_int_equal(q.more_frags, 1); /* the original had more after it */
}

static void test_needed(void **state)
{
	struct dp_pkt p;
	uint32_t len;

	(void)state;
	len = build(0, 0, 1500, 0);
	dp_decode(&p, frame, len, 0);
	assert_false(frag_ipv4_needed(&p, 1500));
	len = build(0, 0, 1501, 0);
	dp_decode(&p, frame, len, 0);
	assert_true(frag_ipv4_needed(&p, 1500));
	len = build(0, 0, 3000, 0x4000); /* DF: never fragmented, leave it alone */
	dp_decode(&p, frame, len, 0);
	assert_false(frag_ipv4_needed(&p, 1500));
	len = build(0, 0, 3000, 0);
	dp_decode(&p, frame, len, DP_DECODE_GSO); /* GSO: segmented by the kernel */
	assert_false(frag_ipv4_needed(&p, 1500));
}

static void test_limits(void **state)
{
	struct dp_pkt p;
	uint32_t len = build(0, 0, 60000, 0);

	(void)state;
	dp_decode(&p, frame, len, 0);
	assert_int_equal(frag_ipv4_split(&p, 500, pieces, FRAG_MAX_FRAGS), -EINVAL);
	assert_int_equal(frag_ipv4_split(&p, 1500, pieces, 10), -E2BIG);
	assert_int_equal(frag_ipv4_split(&p, 576, pieces, FRAG_MAX_FRAGS), 109); /* 59980 / 552 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_vlan_and_offset),
		cmocka_unit_test(test_needed),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
