/*
 * test-dns-name.c - the DNS name walker both DNS parsers of the dp share (dns-answer.c,
 * threat-dns.c): where a name ends, and why a hostile one is refused (the threat stage
 * names the reason: a loop pointer is not an overflow).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dp/dns-name.h"

static int walk(const uint8_t *m, uint32_t len, uint32_t *off)
{
	return dns_name_skip(m, len, off);
}

static void test_plain_and_pointer(void **st)
{
	/* "a.bc" at 0, then a name "x" + pointer to 0 at 6 */
	const uint8_t m[] = {1, 'a', 2, 'b', 'c', 0, 1, 'x', 0xc0, 0x00, 0xee};
	struct dns_name_it it;
	const uint8_t *lab;
	uint32_t off = 0;

	(void)st;
	assert_int_equal(walk(m, sizeof(m), &off), 0);
	assert_int_equal(off, 6);
	assert_int_equal(walk(m, sizeof(m), &off), 0);
	assert_int_equal(off, 10); /* past the first pointer, not past where it led */

	dns_name_it_init(&it, m, sizeof(m), 6);
	assert_int_equal(dns_name_next(&it, &lab), 1);
	assert_memory_equal(lab, "x", 1);
	assert_int_equal(dns_name_next(&it, &lab), 1);
	assert_memory_equal(lab, "a", 1);
	assert_int_equal(dns_name_next(&it, &lab), 2);
	assert_memory_equal(lab, "bc", 2);
	assert_int_equal(dns_name_next(&it, &lab), 0);
	assert_int_equal(it.end, 10);
}

static void test_loops(void **st)
{
	const uint8_t self[] = {0xc0, 0x00};
	const uint8_t fwd[] = {0xc0, 0x02, 0};
	uint32_t off = 0;

	(void)st;
	assert_int_equal(walk(self, sizeof(self), &off), -DNS_NAME_LOOP);
	off = 0;
	assert_int_equal(walk(fwd, sizeof(fwd), &off), -DNS_NAME_LOOP);
	assert_int_equal(off, 0); /* left alone on failure */
}

static void test_jumps(void **st)
{
	/* A root name at 0, then a chain of pointers each to the one before it. */
	uint8_t m[2 + 2 * 40];
	uint32_t off;

	(void)st;
	m[0] = 0;
	m[1] = 0;
	for (unsigned i = 0; i < 40; i++) {
		unsigned at = 2 + 2 * i, to = i ? at - 2 : 0;

		m[at] = 0xc0;
		m[at + 1] = (uint8_t)to;
	}
	off = 2 + 2 * (DNS_NAME_JUMPS_MAX - 1); /* 32 pointers to the root */
	assert_int_equal(walk(m, sizeof(m), &off), 0);
	off = 2 + 2 * DNS_NAME_JUMPS_MAX; /* 33 */
	assert_int_equal(walk(m, sizeof(m), &off), -DNS_NAME_JUMPS);
}

static void test_bad(void **st)
{
	const uint8_t past[] = {5, 'a', 'b'};
	const uint8_t unterminated[] = {1, 'a'};
	const uint8_t reserved[] = {0x40, 0};
	const uint8_t half_ptr[] = {0xc0};
	uint8_t longname[300];
	uint32_t off = 0, n = 0;

	(void)st;
	assert_int_equal(walk(past, sizeof(past), &off), -DNS_NAME_BAD);
	assert_int_equal(walk(unterminated, sizeof(unterminated), &off), -DNS_NAME_BAD);
	assert_int_equal(walk(reserved, sizeof(reserved), &off), -DNS_NAME_BAD);
	assert_int_equal(walk(half_ptr, sizeof(half_ptr), &off), -DNS_NAME_BAD);
	assert_int_equal(walk(past, 0, &off), -DNS_NAME_BAD);

	/* 63-byte labels: four make 257 wire bytes with the root, one too many. */
	for (int l = 0; l < 4; l++) {
		longname[n++] = 63;
		memset(longname + n, 'a', 63);
		n += 63;
	}
	longname[n++] = 0;
	off = 0;
	assert_int_equal(walk(longname, n, &off), -DNS_NAME_BAD);
	/* Three of them and one of 61: exactly 255. */
	longname[3 * 64] = 61;
	longname[3 * 64 + 62] = 0;
	off = 0;
	assert_int_equal(walk(longname, n, &off), 0);
	assert_int_equal(off, 255);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_pointer),
		cmocka_unit_test(test_loops),
		cmocka_unit_test(test_jumps),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
