/*
 * test-frag-ipv6.c - the IPv6 fragment gate: a later fragment passes only
 * behind its own datagram's first fragment on the same port, and not after
 * the reassembly timeout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dp/frag-ipv6.h"

static struct dp_pkt frag(uint8_t src_last, uint32_t id, uint16_t port, uint16_t off)
{
	struct dp_pkt p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET6;
	p.src.b[0] = p.dst.b[0] = 0xfd;
	p.src.b[15] = src_last;
	p.dst.b[15] = 0x52;
	p.frag_id = id;
	p.port_idx = port;
	p.frag_off = off;
	p.more_frags = off == 0;
	p.flags = DP_PKT_FRAG;
	return p;
}

static void test_gate(void **state)
{
	static struct frag6_table t;
	struct dp_pkt first = frag(0x51, 7, 1, 0), later = frag(0x51, 7, 1, 1448);
	struct dp_pkt other_id = frag(0x51, 8, 1, 1448), other_port = frag(0x51, 7, 2, 1448);
	struct dp_pkt other_src = frag(0x53, 7, 1, 1448);

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_false(frag6_allowed(&t, &later, 1000)); /* no first fragment yet */
	frag6_allow(&t, &first, 1000);
	assert_true(frag6_allowed(&t, &later, 1001));
	assert_false(frag6_allowed(&t, &other_id, 1001));
	assert_false(frag6_allowed(&t, &other_port, 1001));
	assert_false(frag6_allowed(&t, &other_src, 1001));
	assert_true(frag6_allowed(&t, &later, 1000 + FRAG6_TTL_MS - 1));
	assert_false(frag6_allowed(&t, &later, 1000 + FRAG6_TTL_MS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
