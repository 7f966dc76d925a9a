/*
 * test-decode.c - decoders of src/dp on hand-built frames, good and hostile.
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
#include "dp/dp-t.h"
#include "portmac.h"

/* ---- a tiny frame builder ---- */

struct fb {
	uint8_t b[4096];
	size_t n;
};

static void put(struct fb *f, const void *d, size_t n)
{
	memcpy(f->b + f->n, d, n);
	f->n += n;
}

static void put8(struct fb *f, uint8_t v)
{
	put(f, &v, 1);
}

static void put16(struct fb *f, uint16_t v)
{
	put8(f, v >> 8);
	put8(f, v & 0xff);
}

static void put32(struct fb *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void zeros(struct fb *f, size_t n)
{
	memset(f->b + f->n, 0, n);
	f->n += n;
}

static void set16(struct fb *f, size_t off, uint16_t v)
{
	f->b[off] = v >> 8;
	f->b[off + 1] = v & 0xff;
}

/* Egress of port 1: source MAC is its unicast marker. */
static void eth(struct fb *f, uint16_t type)
{
	uint8_t mac[6];

	f->n = 0;
	put(f, "\x02\x00\x00\x00\x00\x02", 6);
	BH_MAC_SET(mac, BH_MAC_UC, 1);
	put(f, mac, 6);
	put16(f, type);
}

static void vlan(struct fb *f, uint16_t tci, uint16_t type)
{
	put16(f, tci);
	put16(f, type);
}

/* IPv4 header with opt_len option bytes; total length patched by ipv4_fix(). */
static size_t ipv4(struct fb *f, uint8_t proto, size_t opt_len, uint16_t frag)
{
	size_t off = f->n;

	put8(f, 0x40 | (uint8_t)((20 + opt_len) / 4));
	put8(f, 0);
	put16(f, 0);
	put16(f, 0x1234); /* id */
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put32(f, 0x0a630001);
	put32(f, 0x0a630002);
	if (opt_len) {
		memset(f->b + f->n, 1, opt_len); /* NOPs */
		f->n += opt_len;
	}
	return off;
}

static void ipv4_fix(struct fb *f, size_t off)
{
	set16(f, off + 2, (uint16_t)(f->n - off));
}

static size_t ipv6(struct fb *f, uint8_t nh)
{
	static const uint8_t src[16] = {0xfd, 0x99, [15] = 1};
	static const uint8_t dst[16] = {0xfd, 0x99, [15] = 2};
	size_t off = f->n;

	put32(f, 0x60000000);
	put16(f, 0);
	put8(f, nh);
	put8(f, 64);
	put(f, src, 16);
	put(f, dst, 16);
	return off;
}

static void ipv6_fix(struct fb *f, size_t off)
{
	set16(f, off + 4, (uint16_t)(f->n - off - 40));
}

/* An 8-byte options-style extension header (hop-by-hop, dest opts, routing). */
static void ext8(struct fb *f, uint8_t nh)
{
	put8(f, nh);
	put8(f, 0);
	zeros(f, 6);
}

static void frag6(struct fb *f, uint8_t nh, uint16_t off_bytes, int mf, uint32_t id)
{
	put8(f, nh);
	put8(f, 0);
	put16(f, (uint16_t)(off_bytes | (mf ? 1 : 0)));
	put32(f, id);
}

static void tcp(struct fb *f, uint8_t flags, uint8_t doff_words, size_t payload)
{
	put16(f, 40000);
	put16(f, 80);
	put32(f, 1000);
	put32(f, 2000);
	put8(f, (uint8_t)(doff_words << 4));
	put8(f, flags);
	put16(f, 65535);
	put16(f, 0);
	put16(f, 0);
	if (doff_words > 5)
		zeros(f, (doff_words - 5) * 4u);
	memset(f->b + f->n, 'x', payload);
	f->n += payload;
}

static void udp(struct fb *f, uint16_t len_field, size_t payload)
{
	put16(f, 5353);
	put16(f, 53);
	put16(f, len_field);
	put16(f, 0);
	memset(f->b + f->n, 'u', payload);
	f->n += payload;
}

static void icmp(struct fb *f, uint8_t type, uint16_t id)
{
	put8(f, type);
	put8(f, 0);
	put16(f, 0);
	put16(f, id);
	put16(f, 1);
}

static int dec(struct dp_pkt *p, struct fb *f)
{
	return dp_decode(p, f->b, (uint32_t)f->n, 0);
}

/* ---- Ethernet / VLAN ---- */

static void test_eth_arp(void **state)
{
	struct dp_pkt p;
	struct fb f;

	(void)state;
	eth(&f, 0x0806);
	zeros(&f, 28);
	assert_int_equal(dec(&p, &f), 0);
	assert_int_equal(p.eth_type, 0x0806);
	assert_int_equal(p.family, 0);
	assert_int_equal(p.l3_len, 28);
}

static void test_eth_short(void **state)
{
	struct dp_pkt p;
	struct fb f;

	(void)state;
	eth(&f, 0x0800);
	f.n = 13;
	assert_int_equal(dec(&p, &f), DP_DEC_ETH_SHORT);
	f.n = 0;
	assert_int_equal(dec(&p, &f), DP_DEC_ETH_SHORT);
}

static void test_vlan(void **state)
{
	struct dp_pkt p;
	struct fb f;
	size_t ip;

	(void)state;
	eth(&f, 0x8100);
	vlan(&f, 0x2064, 0x0800);
	ip = ipv4(&f, IPPROTO_UDP, 0, 0);
	udp(&f, 12, 4);
	ipv4_fix(&f, ip);
	assert_int_equal(dec(&p, &f), 0);
	assert_int_equal(p.vlan_count, 1);
	assert_int_equal(p.vlan_tci[0], 0x2064);
	assert_int_equal(p.eth_type, 0x0800);
	assert_ptr_equal(p.l3, f.b + 18);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.payload_len, 4);
}

static void test_qinq(void **state)
{
	struct dp_pkt p;
	struct fb f;
	size_t ip;

	(void)state;
	eth(&f, 0x88a8);
	vlan(&f, 100, 0x8100);
	vlan(&f, 200, 0x86dd);
	ip = ipv6(&f, IPPROTO_TCP);
	tcp(&f, 0x02, 5, 0);
	ipv6_fix(&f, ip);
	assert_int_equal(dec(&p, &f), 0);
	assert_int_equal(p.vlan_count, 2);
	assert_int_equal(p.vlan_tci[0], 100);
	assert_int_equal(p.vlan_tci[1], 200);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.tcp_flags, 0x02);
}

static void test_vlan_bad(void **state)
{
	struct dp_pkt p;
	struct fb f;

	(void)state;
	eth(&f, 0x8100);
	vlan(&f, 1, 0x8100);
	vlan(&f, 2, 0x8100);
	vlan(&f, 3, 0x0800);
	assert_int_equal(dec(&p, &f), DP_DEC_VLAN_DEPTH);
	eth(&f, 0x8100);
	put16(&f, 1); /* tag cut in half */
	assert_int_equal(dec(&p, &f), DP_DEC_VLAN_SHORT);
}

/* ---- IPv4 ---- */

static void test_ipv4_tcp(void **state)
{
	struct dp_pkt p;
	struct fb f;
	size_t ip;

	(void)state;
	eth(&f, 0x0800);
	ip = ipv4(&f, IPPROTO_TCP, 0, 0x4000 /* DF */);
	tcp(&f, 0x18, 8, 10);
	ipv4_fix(&f, ip);
	zeros(&f, 6); /* Ethernet padding must not count as payload */
	assert_int_equal(dec(&p, &f), 0);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.proto, IPPROTO_TCP);
	assert_int_equal(p.l3_len, 20 + 32 + 10);
	assert_int_equal(p.ttl, 64);
	assert_memory_equal(p.src.b, "\x0a\x63\x00\x01", 4);
	assert_memory_equal(p.dst.b, "\x0a\x63\x00\x02", 4);
	assert_int_equal(p.src.w[1] | p.src.w[2] | p.src.w[3], 0);
	assert_true(p.flags & DP_PKT_L4);
	assert_false(p.flags & DP_PKT_FRAG);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.tcp_seq, 1000);
	assert_int_equal(p.tcp_ack, 2000);
	assert_int_equal(p.tcp_win, 65535);
	assert_int_equal(p.tcp_flags, 0x18);
	assert_int_equal(p.payload_len, 10);
	assert_ptr_equal(p.payload, f.b + 14 + 20 + 32);
}

static void test_ipv4_options(void **state)
{
	struct dp_pkt p;
	struct fb f;
	size_t ip;

	(void)state;
	eth(&f, 0x0800);
	ip = ipv4(&f, IPPROTO_UDP, 12, 0);
	udp(&f, 8 + 3, 3);
	ipv4_fix(&f, ip);
	assert_int_equal(dec(&p, &f), 0);
	assert_true(p.flags & DP_PKT_IPOPT);
	assert_ptr_equal(p.l4, f.b + 14 + 32);
	assert_int_equal(p.sport, 5353);
	assert_int_equal(p.payload_len, 3);
}

static void test_ipv4_bad(void **state)
{
	struct dp_pkt p;
	struct fb f;
	size_t ip;

	(void)state;
	eth(&f, 0x0800);
	ip = ipv4(&f, IPPROTO_UDP, 0, 0);
	udp(&f, 8, 0);
	ipv4_fix(&f, ip);

	f.b[ip] = 0x44; /* IHL 16 bytes */
	assert_int_equal(dec(&p, &f), DP_DEC_IPV4_IHL);
	f.b[ip] = 0x4f; /* IHL 60 bytes > captured 28 */
	assert_int_equal(dec(&p, &f), DP_DEC_IPV4_IHL);
	f.b[ip] = 0x55;
	assert_int_equal(dec(&p, &f), DP_DEC_IPV4_VERSION);
	f.b[ip] = 0x45;
	set16(&f, ip + 2, 29); /* one more than captured */
	assert_int_equal(dec(&p, &f), DP_DEC_IPV4_LEN);
	set16(&f, ip + 2, 19); /* shorter than its header */
	assert_int_equal(dec(&p, &f), DP_DEC_IPV4_LEN);
	set16(&f, ip + 2, 0);
	assert_int_equal(dec(&p, &f), DP_DEC_IPV4_LEN);
	/* a GSO super-frame may say 0: then the captured length counts */
	assert_int_equal(dp_decode(&p, f.b, (uint32_t)f.n, DP_DECODE_GSO), 0);
	assert_int_equal(p.l3_len, 28);
	f.n = 14 + 19;
	assert_int_equal(dec(&p, &f), DP_DEC_IPV4_SHORT);
}

static void test_ipv4_fragments(void **state)
{
	struct dp_pkt p;
	struct fb f;
	size_t ip;

	(void)state;
	/* first fragment: MF, offset 0, UDP length covers the whole datagram */
	eth(&f, 0x0800);
	ip = ipv4(&f, IPPROTO_UDP, 0, 0x2000);
	udp(&f, 3000, 1472);
	ipv4_fix(&f, ip);
	assert_int_equal(dec(&p, &f), 0);
	assert_true(p.flags & DP_PKT_FRAG);
	assert_true(p.flags & DP_PKT_L4);
	assert_int_equal(p.more_frags, 1);
	assert_int_equal(p.frag_off, 0);
	assert_int_equal(p.frag_id, 0x1234);
	assert_int_equal(p.dport, 53);

	/* later fragment: no L4 header */
	eth(&f, 0x0800);
	ip = ipv4(&f, IPPROTO_UDP, 0, 185);
	memset(f.b + f.n, 'z', 100);
	f.n += 100;
	ipv4_fix(&f, ip);
	assert_int_equal(dec(&p, &f), 0);
	assert_true(p.flags & DP_PKT_FRAG);
	assert_false(p.flags & DP_PKT_L4);
	assert_int_equal(p.frag_off, 1480);
	assert_int_equal(p.more_frags, 0);
	assert_int_equal(p.sport, 0);

	/* tiny first fragment that cannot hold its TCP header */
	eth(&f, 0x0800);
	ip = ipv4(&f, IPPROTO_TCP, 0, 0x2000);
	zeros(&f, 8);
	ipv4_fix(&f, ip);
	assert_int_equal(dec(&p, &f), DP_DEC_TCP_SHORT);
}

/* ---- IPv6 ---- */

static void test_ipv6_tcp(void **state)
{
	struct dp_pkt p;
	struct fb f;
	size_t ip;

	(void)state;
	eth(&f, 0x86dd);
	ip = ipv6(&f, IPPROTO_TCP);
	tcp(&f, 0x12, 5, 7);
	ipv6_fix(&f, ip);
	zeros(&f, 4);
	assert_int_equal(dec(&p, &f), 0);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.l3_len, 40 + 27);
	assert_int_equal(p.src.b[0], 0xfd);
	assert_int_equal(p.dst.b[15], 2);
	assert_int_equal(p.tcp_flags, 0x12);
	assert_int_equal(p.payload_len, 7);
	assert_int_equal(p.ext_count, 0);
}

static void test_ipv6_ext(void **state)
{
	struct dp_pkt p;
	struct fb f;
	size_t ip;

	(void)state;
	eth(&f, 0x86dd);
	ip = ipv6(&f, IPPROTO_HOPOPTS);
	ext8(&f, IPPROTO_ROUTING);
	ext8(&f, IPPROTO_DSTOPTS);
	put8(&f, IPPROTO_AH); /* dest opts of 16 bytes */
	put8(&f, 1);
	zeros(&f, 14);
	put8(&f, IPPROTO_UDP); /* AH: (2 + 2) * 4 = 16 bytes */
	put8(&f, 2);
	zeros(&f, 14);
	udp(&f, 10, 2);
	ipv6_fix(&f, ip);
	assert_int_equal(dec(&p, &f), 0);
	assert_int_equal(p.ext_count, 4);
	assert_true(p.flags & DP_PKT_IPOPT);
	assert_int_equal(p.proto, IPPROTO_UDP);
	assert_ptr_equal(p.l4, f.b + 14 + 40 + 8 + 8 + 16 + 16);
	assert_int_equal(p.payload_len, 2);
}

static void test_ipv6_fragment(void **state)
{
	struct dp_pkt p;
	struct fb f;
	size_t ip;

	(void)state;
	eth(&f, 0x86dd);
	ip = ipv6(&f, IPPROTO_FRAGMENT);
	frag6(&f, IPPROTO_UDP, 0, 1, 0xdeadbeef);
	udp(&f, 4000, 100);
	ipv6_fix(&f, ip);
	assert_int_equal(dec(&p, &f), 0);
	assert_true(p.flags & DP_PKT_FRAG);
	assert_true(p.flags & DP_PKT_L4);
	assert_int_equal(p.frag_id, 0xdeadbeef);
	assert_int_equal(p.more_frags, 1);
	assert_int_equal(p.dport, 53);

	eth(&f, 0x86dd);
	ip = ipv6(&f, IPPROTO_FRAGMENT);
	frag6(&f, IPPROTO_UDP, 1448, 0, 7);
	memset(f.b + f.n, 0xff, 30); /* not a header, must not be walked */
	f.n += 30;
	ipv6_fix(&f, ip);
	assert_int_equal(dec(&p, &f), 0);
	assert_false(p.flags & DP_PKT_L4);
	assert_int_equal(p.frag_off, 1448);
	assert_int_equal(p.proto, IPPROTO_UDP);
	assert_int_equal(p.l4_len, 30);
}

static void test_ipv6_bad(void **state)
{
	struct dp_pkt p;
	struct fb f;
	size_t ip;
	int i;

	(void)state;
	/* a loop of destination options headers */
	eth(&f, 0x86dd);
	ip = ipv6(&f, IPPROTO_DSTOPTS);
	for (i = 0; i < 20; i++)
		ext8(&f, IPPROTO_DSTOPTS);
	ipv6_fix(&f, ip);
	assert_int_equal(dec(&p, &f), DP_DEC_IPV6_EXT_DEPTH);

	/* hop-by-hop anywhere but first */
	eth(&f, 0x86dd);
	ip = ipv6(&f, IPPROTO_DSTOPTS);
	ext8(&f, IPPROTO_HOPOPTS);
	ext8(&f, IPPROTO_UDP);
	udp(&f, 8, 0);
	ipv6_fix(&f, ip);
	assert_int_equal(dec(&p, &f), DP_DEC_IPV6_EXT);

	/* extension header claiming more than is there */
	eth(&f, 0x86dd);
	ip = ipv6(&f, IPPROTO_ROUTING);
	put8(&f, IPPROTO_UDP);
	put8(&f, 200);
	zeros(&f, 14);
	ipv6_fix(&f, ip);
	assert_int_equal(dec(&p, &f), DP_DEC_IPV6_EXT);

	/* one byte of extension header */
	eth(&f, 0x86dd);
	ip = ipv6(&f, IPPROTO_HOPOPTS);
	put8(&f, 0);
	ipv6_fix(&f, ip);
	assert_int_equal(dec(&p, &f), DP_DEC_IPV6_EXT);

	/* payload length beyond the capture, bad version, short header */
	eth(&f, 0x86dd);
	ip = ipv6(&f, IPPROTO_UDP);
	udp(&f, 8, 0);
	set16(&f, ip + 4, 9);
	assert_int_equal(dec(&p, &f), DP_DEC_IPV6_LEN);
	set16(&f, ip + 4, 8);
	f.b[ip] = 0x40;
	assert_int_equal(dec(&p, &f), DP_DEC_IPV6_VERSION);
	f.n = ip + 39;
	assert_int_equal(dec(&p, &f), DP_DEC_IPV6_SHORT);
}

/* ---- L4 ---- */

static void test_tcp_bad(void **state)
{
	struct dp_pkt p;
	struct fb f;
	size_t ip;

	(void)state;
	eth(&f, 0x0800);
	ip = ipv4(&f, IPPROTO_TCP, 0, 0);
	tcp(&f, 0x10, 4, 0); /* data offset 16 < 20 */
	ipv4_fix(&f, ip);
	assert_int_equal(dec(&p, &f), DP_DEC_TCP_DOFF);

	eth(&f, 0x0800);
	ip = ipv4(&f, IPPROTO_TCP, 0, 0);
	tcp(&f, 0x10, 5, 0);
	f.b[ip + 20 + 12] = 0xf0; /* 60 bytes claimed, 20 there */
	ipv4_fix(&f, ip);
	assert_int_equal(dec(&p, &f), DP_DEC_TCP_DOFF);

	eth(&f, 0x0800);
	ip = ipv4(&f, IPPROTO_TCP, 0, 0);
	zeros(&f, 19);
	ipv4_fix(&f, ip);
	assert_int_equal(dec(&p, &f), DP_DEC_TCP_SHORT);
}

static void test_udp_bad(void **state)
{
	struct dp_pkt p;
	struct fb f;
	size_t ip;

	(void)state;
	eth(&f, 0x0800);
	ip = ipv4(&f, IPPROTO_UDP, 0, 0);
	udp(&f, 4, 10);
	ipv4_fix(&f, ip);
	assert_int_equal(dec(&p, &f), DP_DEC_UDP_LEN);
	set16(&f, ip + 20 + 4, 19);
	assert_int_equal(dec(&p, &f), DP_DEC_UDP_LEN);
	set16(&f, ip + 20 + 4, 18);
	assert_int_equal(dec(&p, &f), 0);
	set16(&f, ip + 20 + 4, 12); /* shorter than the IP payload: trust the smaller */
	assert_int_equal(dec(&p, &f), 0);
	assert_int_equal(p.payload_len, 4);

	eth(&f, 0x0800);
	ip = ipv4(&f, IPPROTO_UDP, 0, 0);
	zeros(&f, 7);
	ipv4_fix(&f, ip);
	assert_int_equal(dec(&p, &f), DP_DEC_UDP_SHORT);
}

static void test_icmp(void **state)
{
	struct dp_pkt p;
	struct fb f;
	size_t ip;

	(void)state;
	eth(&f, 0x0800);
	ip = ipv4(&f, IPPROTO_ICMP, 0, 0);
	icmp(&f, 8, 0x4242);
	zeros(&f, 56);
	ipv4_fix(&f, ip);
	assert_int_equal(dec(&p, &f), 0);
	assert_true(p.flags & DP_PKT_ECHO);
	assert_int_equal(p.icmp_type, 8);
	assert_int_equal(p.icmp_id, 0x4242);
	assert_int_equal(p.payload_len, 56);

	eth(&f, 0x0800); /* destination unreachable: no id */
	ip = ipv4(&f, IPPROTO_ICMP, 0, 0);
	put8(&f, 3);
	put8(&f, 1);
	zeros(&f, 6);
	ipv4_fix(&f, ip);
	assert_int_equal(dec(&p, &f), 0);
	assert_false(p.flags & DP_PKT_ECHO);
	assert_int_equal(p.icmp_code, 1);

	eth(&f, 0x0800); /* echo cut short */
	ip = ipv4(&f, IPPROTO_ICMP, 0, 0);
	put8(&f, 0);
	zeros(&f, 5);
	ipv4_fix(&f, ip);
	assert_int_equal(dec(&p, &f), DP_DEC_ICMP_SHORT);

	eth(&f, 0x0800);
	ip = ipv4(&f, IPPROTO_ICMP, 0, 0);
	zeros(&f, 3);
	ipv4_fix(&f, ip);
	assert_int_equal(dec(&p, &f), DP_DEC_ICMP_SHORT);
}

static void test_icmpv6(void **state)
{
	struct dp_pkt p;
	struct fb f;
	size_t ip;

	(void)state;
	eth(&f, 0x86dd);
	ip = ipv6(&f, IPPROTO_ICMPV6);
	icmp(&f, 129, 77);
	ipv6_fix(&f, ip);
	assert_int_equal(dec(&p, &f), 0);
	assert_true(p.flags & DP_PKT_ECHO);
	assert_int_equal(p.icmp_type, 129);
	assert_int_equal(p.icmp_id, 77);

	eth(&f, 0x86dd); /* neighbour solicitation */
	ip = ipv6(&f, IPPROTO_ICMPV6);
	put8(&f, 135);
	zeros(&f, 23);
	ipv6_fix(&f, ip);
	assert_int_equal(dec(&p, &f), 0);
	assert_false(p.flags & DP_PKT_ECHO);
	assert_int_equal(p.icmp_type, 135);

	/* ICMP (v4) number inside IPv6 is just a protocol, not decoded */
	eth(&f, 0x86dd);
	ip = ipv6(&f, IPPROTO_ICMP);
	zeros(&f, 2);
	ipv6_fix(&f, ip);
	assert_int_equal(dec(&p, &f), 0);
	assert_false(p.flags & DP_PKT_L4);
}

static void test_gso_udp(void **state)
{
	struct dp_pkt p;
	struct fb f;
	size_t ip;

	(void)state;
	eth(&f, 0x86dd);
	ip = ipv6(&f, IPPROTO_UDP);
	udp(&f, 0, 1000); /* GSO UDP: length field not per segment */
	ipv6_fix(&f, ip);
	set16(&f, ip + 4, 0);
	assert_int_equal(dec(&p, &f), DP_DEC_UDP_SHORT); /* without GSO: 0 payload */
	assert_int_equal(dp_decode(&p, f.b, (uint32_t)f.n, DP_DECODE_GSO), 0);
	assert_true(p.flags & DP_PKT_GSO);
	assert_int_equal(p.payload_len, 1000);
}

/* ---- port marker ---- */

static void test_port_marker(void **state)
{
	struct dp_pkt p;
	struct fb f;

	(void)state;
	eth(&f, 0x0806);
	zeros(&f, 28);
	dec(&p, &f);
	assert_int_equal(dp_decode_port(&p), 0);
	assert_int_equal(p.port_idx, 1);
	assert_int_equal(p.dir, DP_DIR_EGRESS);

	memcpy(f.b + 6, "\x02\x00\x00\x00\x00\x09", 6);
	BH_MAC_SET(f.b, BH_MAC_BC, 300);
	dec(&p, &f);
	assert_int_equal(dp_decode_port(&p), 0);
	assert_int_equal(p.port_idx, 300);
	assert_int_equal(p.dir, DP_DIR_INGRESS);

	BH_MAC_SET(f.b, BH_MAC_MC, 7);
	dec(&p, &f);
	assert_int_equal(dp_decode_port(&p), 0);
	assert_int_equal(p.port_idx, 7);

	BH_MAC_SET(f.b, BH_MAC_UC, 0); /* index 0 is never a port */
	dec(&p, &f);
	assert_int_equal(dp_decode_port(&p), -ENOENT);
	BH_MAC_SET(f.b, BH_MAC_UC, 5000); /* beyond BH_MAX_PORTS */
	dec(&p, &f);
	assert_int_equal(dp_decode_port(&p), -ENOENT);
	memcpy(f.b, "\x02\x00\x00\x00\x00\x01", 6);
	dec(&p, &f);
	assert_int_equal(dp_decode_port(&p), -ENOENT);
	f.n = 10;
	dec(&p, &f);
	assert_int_equal(dp_decode_port(&p), -ENOENT);
}

static void test_err_str(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < DP_DEC__MAX; i++)
		assert_non_null(dp_dec_err_str(i));
	assert_string_equal(dp_dec_err_str(-1), "unknown");
	assert_string_equal(dp_dec_err_str(DP_DEC__MAX), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_arp),
		cmocka_unit_test(test_eth_short),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_qinq),
		cmocka_unit_test(test_vlan_bad),
		cmocka_unit_test(test_ipv4_tcp),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_bad),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv6_tcp),
		cmocka_unit_test(test_ipv6_ext),
		cmocka_unit_test(test_ipv6_fragment),
		cmocka_unit_test(test_ipv6_bad),
		cmocka_unit_test(test_tcp_bad),
		cmocka_unit_test(test_udp_bad),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_icmpv6),
		cmocka_unit_test(test_gso_udp),
		cmocka_unit_test(test_port_marker),
		cmocka_unit_test(test_err_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
