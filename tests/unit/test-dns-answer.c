/*
 * test-dns-answer.c - src/dp/dns-answer.c: real answers dnsmasq gave to dig
 * (tests/data/pcap/dns-answers.pcap, made by tests/data/make-pcaps.sh: A, a
 * CNAME chain, AAAA, two A, upper case, TCP, REFUSED, TTL 2 s), then every
 * truncation of a real answer, and hand-made malformed messages: pointer loops,
 * forward pointers, dots inside labels, oversized names, CNAME loops, records
 * for names off the chain, odd TTLs and too many records.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dp/dns-answer.h"

#define MAX_MSGS 16
#define MAX_LEN 2048

/* The DNS responses of the pcap (server port 5354), in order. */
struct msgs {
	size_t n;
	size_t len[MAX_MSGS];
	uint8_t m[MAX_MSGS][MAX_LEN];
};

static uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* One Ethernet/IPv4 frame: keep the DNS message of a response from port 5354. */
static void take_frame(struct msgs *ms, const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14, *l4, *pl;
	size_t ihl, l4len, plen;

	if (len < 34 || rd16(f + 12) != 0x0800)
		return;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	l4 = ip + ihl;
	l4len = rd16(ip + 2) - ihl;
	if (rd16(l4) != 5354)
		return;
	if (ip[9] == 17) {
		pl = l4 + 8;
		plen = l4len - 8;
	} else {
		size_t doff = (size_t)(l4[12] >> 4) * 4;

		if (l4len <= doff + 2)
			return;
		pl = l4 + doff + 2; /* after the TCP length prefix */
		plen = rd16(l4 + doff);
		assert_int_equal(plen, l4len - doff - 2);
	}
	assert_true(ms->n < MAX_MSGS && plen <= MAX_LEN);
	memcpy(ms->m[ms->n], pl, plen);
	ms->len[ms->n++] = plen;
}

static void load(struct msgs *ms)
{
	static uint8_t frame[65536];
	uint8_t hdr[24], rec[16];
	char path[512];
	FILE *f;

	memset(ms, 0, sizeof(*ms));
	snprintf(path, sizeof(path), "%s/pcap/dns-answers.pcap", BH_TEST_DATA);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fread(hdr, 1, 24, f), 24);
	assert_true(!memcmp(hdr, "\xd4\xc3\xb2\xa1", 4));
	while (fread(rec, 1, 16, f) == 16) {
		uint32_t incl;

		memcpy(&incl, rec + 8, 4);
		assert_true(incl <= sizeof(frame));
		assert_int_equal(fread(frame, 1, incl, f), incl);
		take_frame(ms, frame, incl);
	}
	fclose(f);
	assert_int_equal(ms->n, 7);
}

static void assert_v4(const struct dns_addr *a, const char *want, uint32_t ttl)
{
	uint8_t b[4];

	assert_int_equal(inet_pton(AF_INET, want, b), 1);
	assert_int_equal(a->family, AF_INET);
	assert_memory_equal(a->a, b, 4);
	assert_int_equal(a->ttl, ttl);
}

static void test_real_answers(void **state)
{
	static struct msgs ms;
	struct dns_answer ans;
	uint8_t v6[16];

	(void)state;
	load(&ms);
	/* A */
	assert_int_equal(dns_answer_parse(ms.m[0], ms.len[0], &ans), 0);
	assert_string_equal(ans.qname, "api.example.test");
	assert_int_equal(ans.qtype, 1);
	assert_int_equal(ans.n_addrs, 1);
	assert_v4(&ans.addrs[0], "10.99.0.7", 2);
	/* deep -> www -> api -> A: the question name is the one a pattern must match */
	assert_int_equal(dns_answer_parse(ms.m[1], ms.len[1], &ans), 0);
	assert_string_equal(ans.qname, "deep.example.test");
	assert_int_equal(ans.n_addrs, 1);
	assert_v4(&ans.addrs[0], "10.99.0.7", 2);
	/* AAAA */
	assert_int_equal(dns_answer_parse(ms.m[2], ms.len[2], &ans), 0);
	assert_int_equal(ans.qtype, 28);
	assert_int_equal(ans.n_addrs, 1);
	assert_int_equal(ans.addrs[0].family, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "fd99::7", v6), 1);
	assert_memory_equal(ans.addrs[0].a, v6, 16);
	/* two A */
	assert_int_equal(dns_answer_parse(ms.m[3], ms.len[3], &ans), 0);
	assert_string_equal(ans.qname, "multi.example.test");
	assert_int_equal(ans.n_addrs, 2);
	assert_v4(&ans.addrs[0], "10.99.0.8", 2);
	assert_v4(&ans.addrs[1], "10.99.0.9", 2);
	/* upper case in the question: lower-cased */
	assert_int_equal(dns_answer_parse(ms.m[4], ms.len[4], &ans), 0);
	assert_string_equal(ans.qname, "api.example.test");
	assert_int_equal(ans.n_addrs, 1);
	/* over TCP */
	assert_int_equal(dns_answer_parse(ms.m[5], ms.len[5], &ans), 0);
	assert_string_equal(ans.qname, "api.example.test");
	assert_int_equal(ans.n_addrs, 1);
	assert_v4(&ans.addrs[0], "10.99.0.7", 2);
	/* REFUSED: no addresses */
	assert_int_equal(dns_answer_parse(ms.m[6], ms.len[6], &ans), 0);
	assert_int_equal(ans.rcode, 5);
	assert_string_equal(ans.qname, "nothing.invalid");
	assert_int_equal(ans.n_addrs, 0);
}

/* Cut anywhere before the end of the answer section: refused, never half-read. */
static void test_truncations(void **state)
{
	static struct msgs ms;
	struct dns_answer ans;

	(void)state;
	load(&ms);
	for (size_t k = 0; k < 4; k++) {
		size_t end = ms.len[k] - 11; /* dig's EDNS OPT record (11 bytes) comes last */

		for (size_t cut = 0; cut < end; cut++)
			assert_int_equal(dns_answer_parse(ms.m[k], cut, &ans), -EINVAL);
		assert_int_equal(dns_answer_parse(ms.m[k], end, &ans), 0);
		assert_true(ans.n_addrs > 0);
	}
}

/* ---- hand-made messages ---- */

struct msg {
	uint8_t b[1024];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put16(struct msg *m, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	put(m, b, 2);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, (uint16_t)(v >> 16));
	put16(m, (uint16_t)v);
}

/* "a.b.c" as labels, terminated. */
static void put_name(struct msg *m, const char *s)
{
	while (*s) {
		size_t l = strcspn(s, ".");
		uint8_t lb = (uint8_t)l;

		put(m, &lb, 1);
		put(m, s, l);
		s += l + (s[l] == '.');
	}
	put(m, "", 1);
}

static void put_ptr(struct msg *m, uint16_t off)
{
	put16(m, (uint16_t)(0xc000 | off));
}

/* Response header + question (qname at offset 12). */
static void header(struct msg *m, uint16_t qd, uint16_t an, const char *qname)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, 0x8180); /* QR, RD, RA, NOERROR */
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
	put_name(m, qname);
	put16(m, 1); /* A */
	put16(m, 1); /* IN */
}

static void rr_a(struct msg *m, uint32_t ttl, const uint8_t ip[4])
{
	put16(m, 1);
	put16(m, 1);
	put32(m, ttl);
	put16(m, 4);
	put(m, ip, 4);
}

static void test_query_and_header(void **state)
{
	static const uint8_t ip[4] = {10, 1, 2, 3};
	struct dns_answer ans;
	struct msg m;

	(void)state;
	header(&m, 1, 1, "a.test");
	put_ptr(&m, 12);
	rr_a(&m, 60, ip);
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), 0);
	assert_int_equal(ans.n_addrs, 1);
	m.b[2] &= 0x7f; /* a query */
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), -ENOMSG);
	m.b[2] = 0x80 | 2 << 3; /* a response, opcode STATUS */
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), -ENOMSG);
	m.b[2] = 0x81;
	m.b[5] = 2; /* two questions */
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	m.b[5] = 0;
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	assert_int_equal(dns_answer_parse(m.b, 11, &ans), -EINVAL);
}

static void test_pointers(void **state)
{
	static const uint8_t ip[4] = {10, 1, 2, 3};
	struct dns_answer ans;
	struct msg m;
	size_t at;

	(void)state;
	/* answer owner pointing at itself */
	header(&m, 1, 1, "a.test");
	at = m.n;
	put_ptr(&m, (uint16_t)at);
	rr_a(&m, 60, ip);
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	assert_int_equal(ans.n_addrs, 0);
	/* forward pointer */
	header(&m, 1, 1, "a.test");
	put_ptr(&m, (uint16_t)(m.n + 2));
	rr_a(&m, 60, ip);
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	/* a pointer into a label that points back to itself through the label: a loop */
	header(&m, 1, 1, "a.test");
	at = m.n;
	put(&m, "\x01x", 2);
	put_ptr(&m, (uint16_t)at);
	rr_a(&m, 60, ip);
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	/* a pointer past the message end */
	header(&m, 1, 1, "a.test");
	put_ptr(&m, 0x3fff);
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	/* reserved label type 0x40 */
	header(&m, 1, 1, "a.test");
	put(&m, "\x41", 1);
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), -EINVAL);
}

static void test_names(void **state)
{
	static const uint8_t ip[4] = {10, 1, 2, 3};
	char longname[300];
	struct dns_answer ans;
	struct msg m;

	(void)state;
	/* "api.example.test" as ONE label must not pose as three */
	m.n = 0;
	put16(&m, 1);
	put16(&m, 0x8180);
	put16(&m, 1);
	put16(&m, 1);
	put16(&m, 0);
	put16(&m, 0);
	put(&m,
	    "\x10"
	    "api.example.test"
	    "\x00",
	    18);
	put16(&m, 1);
	put16(&m, 1);
	put_ptr(&m, 12);
	rr_a(&m, 60, ip);
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	assert_string_equal(ans.qname, "");
	/* 4 x 63-byte labels: 257 bytes on the wire, over 255 */
	memset(longname, 'a', sizeof(longname));
	for (int i = 0; i < 4; i++)
		longname[i * 64 + 63] = '.';
	longname[4 * 64 - 1] = '\0';
	header(&m, 1, 0, longname);
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	/* 3 x 63 + 61: 253 characters, 255 wire bytes: the longest name there is */
	longname[3 * 64 + 61] = '\0';
	header(&m, 1, 1, longname);
	put_ptr(&m, 12);
	rr_a(&m, 60, ip);
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), 0);
	assert_int_equal(strlen(ans.qname), 253);
	assert_int_equal(ans.n_addrs, 1);
}

/* Records: the chain only, CNAME loops end, TTLs normalised, odd rdata skipped. */
static void test_records(void **state)
{
	static const uint8_t ip1[4] = {10, 1, 2, 3}, ip2[4] = {10, 6, 6, 6};
	struct dns_answer ans;
	struct msg m;
	size_t cname_b;

	(void)state;
	/* a.test CNAME b.test; b.test CNAME a.test; evil.test A: nothing for a.test */
	header(&m, 1, 3, "a.test");
	put_ptr(&m, 12);
	put16(&m, 5);
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 8);
	cname_b = m.n;
	put_name(&m, "b.test");
	put_ptr(&m, (uint16_t)cname_b);
	put16(&m, 5);
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 2);
	put_ptr(&m, 12);
	put_name(&m, "evil.test");
	rr_a(&m, 60, ip2);
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), 0);
	assert_int_equal(ans.n_addrs, 0);
	/* owner in another case still matches; a 5-byte A is skipped; TTL cut to a day */
	header(&m, 1, 3, "a.test");
	put_name(&m, "A.TEST");
	rr_a(&m, 0xffffffffu, ip1); /* top bit set: 0 */
	put_ptr(&m, 12);
	rr_a(&m, 10 * 86400u, ip1);
	put_ptr(&m, 12);
	put16(&m, 1);
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 5);
	put(&m, "\x0a\x00\x00\x01\x02", 5);
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), 0);
	assert_int_equal(ans.n_addrs, 2);
	assert_int_equal(ans.addrs[0].ttl, 0);
	assert_int_equal(ans.addrs[1].ttl, DNS_TTL_MAX);
	/* a CNAME whose target runs past its rdata: malformed, nothing kept */
	header(&m, 1, 2, "a.test");
	put_ptr(&m, 12);
	rr_a(&m, 60, ip1);
	put_ptr(&m, 12);
	put16(&m, 5);
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 2);
	put_name(&m, "b.test");
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	assert_int_equal(ans.n_addrs, 0);
	/* class CH records do not count */
	header(&m, 1, 1, "a.test");
	put_ptr(&m, 12);
	put16(&m, 1);
	put16(&m, 3);
	put32(&m, 60);
	put16(&m, 4);
	put(&m, ip1, 4);
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), 0);
	assert_int_equal(ans.n_addrs, 0);
}

static void test_many_records(void **state)
{
	struct dns_answer ans;
	struct msg m;

	(void)state;
	header(&m, 1, 40, "a.test");
	for (int i = 0; i < 40; i++) {
		uint8_t ip[4] = {10, 0, 0, (uint8_t)i};

		put_ptr(&m, 12);
		rr_a(&m, 60, ip);
	}
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), 0);
	assert_int_equal(ans.n_addrs, DNS_ANSWER_ADDRS_MAX);
	assert_int_equal(ans.addrs[31].a[3], 31);
	/* ANCOUNT larger than what follows: malformed */
	m.b[7] = 41;
	assert_int_equal(dns_answer_parse(m.b, m.n, &ans), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_answers),
	    cmocka_unit_test(test_truncations),
	    cmocka_unit_test(test_query_and_header),
	    cmocka_unit_test(test_pointers),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_records),
	    cmocka_unit_test(test_many_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
