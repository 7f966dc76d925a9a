/*
 * test-threat.c - src/dp/threat*.c: every catalogued threat triggered from
 * frames (or payloads) with real protocol bytes, next to a near miss that must
 * not trigger; the actions per mode; report aggregation.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "dp/decode.h"
#include "dp/dp-event.h"
#include "dp/session.h"
#include "dp/threat.h"
#include "policy/policy-t.h"

#define FMAX 16384

struct h {
	struct sess_table *t;
	struct threat *th;
	struct dp_evring ev;
	struct dp_port_info port;
	struct threat_config cfg;
	uint64_t now;
	struct session *last;
	/* drained events */
	int nev;
	uint16_t last_id;
	uint32_t last_count;
	uint8_t last_action;
	uint32_t total;
};

static void on_release(void *arg, const struct session *s)
{
	threat_session_end(arg, s);
}

static void h_init(struct h *h, int mode)
{
	memset(h, 0, sizeof(*h));
	assert_int_equal(sess_table_new(&h->t, 1024), 0);
	assert_int_equal(dp_evring_init(&h->ev), 0);
	h->port.idx = 1;
	h->port.wl_id = 7;
	h->port.mode = mode;
	h->now = 1000000;
}

static void h_start(struct h *h)
{
	assert_int_equal(threat_new(&h->th, &h->cfg, &h->ev), 0);
	sess_table_set_release(h->t, on_release, h->th);
}

static void h_fini(struct h *h)
{
	sess_table_free(h->t);
	threat_free(h->th);
	dp_evring_fini(&h->ev);
}

static void on_ev(void *ctx, const struct dp_event *ev)
{
	struct h *h = ctx;

	assert_int_equal(ev->type, DP_EV_THREAT);
	h->nev++;
	h->last_id = ev->threat.id;
	h->last_count = ev->threat.count;
	h->last_action = ev->threat.action;
	h->total += ev->threat.count;
}

static int drain(struct h *h)
{
	h->nev = 0;
	h->last_id = 0;
	dp_evring_drain(&h->ev, on_ev, h);
	return h->nev;
}

/* Run one frame through decode -> session -> threat; the policy stage allowed it. */
static enum threat_action feed(struct h *h, const uint8_t *f, uint32_t len, int dir)
{
	struct sess_result sr;
	struct dp_pkt p;

	assert_int_equal(dp_decode(&p, f, len, 0), 0);
	p.port_idx = 1;
	p.port_gen = 0;
	p.dir = (uint8_t)dir;
	assert_int_equal(sess_update(h->t, &p, h->now++, &sr), 0);
	if (sr.s && sr.s->verdict == SESS_UNDECIDED)
		sr.s->verdict = SESS_ALLOWED;
	h->last = sr.s;
	if (sr.s && sr.s->verdict == SESS_BLOCKED)
		return THREAT_ACT_DROP; /* what the policy stage would do */
	return threat_check(h->th, &h->port, &p, &sr);
}

/* ---- frames ---- */

static uint32_t eth_ip4(uint8_t *b, uint8_t proto, uint32_t src, uint32_t dst, uint32_t l4len)
{
	uint32_t ip_len = 20 + l4len;

	memset(b, 0, 34);
	b[12] = 0x08;
	b[14] = 0x45;
	b[16] = (uint8_t)(ip_len >> 8);
	b[17] = (uint8_t)ip_len;
	b[22] = 64;
	b[23] = proto;
	src = htonl(src);
	dst = htonl(dst);
	memcpy(b + 26, &src, 4);
	memcpy(b + 30, &dst, 4);
	return 34;
}

#define CLI 0x0a630001u /* 10.99.0.1 */
#define SRV 0x0a630002u

static uint32_t tcp4(uint8_t *b, uint32_t src, uint16_t sport, uint16_t dport, uint8_t flags,
		     uint16_t win, uint32_t seq, const void *pl, uint32_t len)
{
	uint32_t o = eth_ip4(b, IPPROTO_TCP, src, src == SRV ? CLI : SRV, 20 + len);
	uint8_t *t = b + o;

	memset(t, 0, 20);
	t[0] = (uint8_t)(sport >> 8), t[1] = (uint8_t)sport;
	t[2] = (uint8_t)(dport >> 8), t[3] = (uint8_t)dport;
	t[4] = (uint8_t)(seq >> 24), t[5] = (uint8_t)(seq >> 16), t[6] = (uint8_t)(seq >> 8);
	t[7] = (uint8_t)seq;
	t[12] = 0x50;
	t[13] = flags;
	t[14] = (uint8_t)(win >> 8), t[15] = (uint8_t)win;
	memcpy(t + 20, pl, len);
	return o + 20 + len;
}

static uint32_t udp4(uint8_t *b, uint16_t sport, uint16_t dport, const void *pl, uint32_t len)
{
	uint32_t o = eth_ip4(b, IPPROTO_UDP, CLI, SRV, 8 + len);
	uint8_t *u = b + o;

	u[0] = (uint8_t)(sport >> 8), u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(dport >> 8), u[3] = (uint8_t)dport;
	u[4] = (uint8_t)((8 + len) >> 8), u[5] = (uint8_t)(8 + len);
	u[6] = u[7] = 0;
	memcpy(u + 8, pl, len);
	return o + 8 + len;
}

static uint32_t echo4(uint8_t *b, uint16_t id, uint32_t plen)
{
	uint32_t o = eth_ip4(b, IPPROTO_ICMP, CLI, SRV, 8 + plen);

	memset(b + o, 0, 8 + plen);
	b[o] = 8;
	b[o + 4] = (uint8_t)(id >> 8), b[o + 5] = (uint8_t)id;
	return o + 8 + plen;
}

/* IPv6 fragment of a UDP datagram: off in bytes (multiple of 8), dlen data bytes. */
static uint32_t frag6(uint8_t *b, uint32_t id, uint16_t off, bool more, uint32_t dlen)
{
	memset(b, 0, 62 + dlen);
	b[12] = 0x86, b[13] = 0xdd;
	b[14] = 0x60;
	b[18] = (uint8_t)((8 + dlen) >> 8), b[19] = (uint8_t)(8 + dlen);
	b[20] = IPPROTO_FRAGMENT;
	b[21] = 64;
	inet_pton(AF_INET6, "fd99::1", b + 22);
	inet_pton(AF_INET6, "fd99::2", b + 38);
	b[54] = IPPROTO_UDP;
	b[56] = (uint8_t)(off >> 8), b[57] = (uint8_t)((off & 0xf8) | more);
	b[58] = (uint8_t)(id >> 24), b[59] = (uint8_t)(id >> 16), b[60] = (uint8_t)(id >> 8);
	b[61] = (uint8_t)id;
	if (off == 0) { /* UDP header at the start of the first fragment */
		b[62] = 0x13, b[63] = 0x88, b[64] = 0x13, b[65] = 0x89;
		b[66] = 0x05, b[67] = 0xdc;
	}
	return 62 + dlen;
}

/* ---- volume ---- */

static void test_syn_flood(void **st)
{
	static uint8_t f[FMAX];
	struct h h;

	(void)st;
	h_init(&h, BH_MODE_PROTECT);
	h.cfg.limit[THREAT_LIM_SYN_RATE] = 5;
	h_start(&h);
	for (int i = 0; i < 5; i++) /* near miss: at the limit */
		assert_int_equal(
		    feed(&h, f, tcp4(f, CLI, (uint16_t)(40000 + i), 80, 0x02, 64240, 1, "", 0),
			 DP_DIR_INGRESS),
		    THREAT_ACT_LOG);
	assert_int_equal(drain(&h), 0);
	assert_int_equal(
	    feed(&h, f, tcp4(f, CLI, 40100, 80, 0x02, 64240, 1, "", 0), DP_DIR_INGRESS),
	    THREAT_ACT_DROP);
	assert_int_equal(drain(&h), 1);
	assert_int_equal(h.last_id, THREAT_TCP_SYN_FLOOD);
	/* the same SYNs leaving a client are not a flood of that client */
	for (int i = 0; i < 10; i++)
		feed(&h, f, tcp4(f, CLI, (uint16_t)(41000 + i), 80, 0x02, 64240, 1, "", 0),
		     DP_DIR_EGRESS);
	assert_int_equal(drain(&h), 0);
	h_fini(&h);
}

static void test_icmp_flood_and_ping_of_death(void **st)
{
	static uint8_t f[FMAX];
	struct h h;

	(void)st;
	h_init(&h, BH_MODE_MONITOR);
	h.cfg.limit[THREAT_LIM_ICMP_RATE] = 3;
	h_start(&h);
	for (int i = 0; i < 3; i++)
		assert_int_equal(feed(&h, f, echo4(f, 1, 56), DP_DIR_INGRESS), THREAT_ACT_LOG);
	assert_int_equal(drain(&h), 0);
	assert_int_equal(feed(&h, f, echo4(f, 1, 56), DP_DIR_INGRESS), THREAT_ACT_LOG);
	assert_int_equal(drain(&h), 1);
	assert_int_equal(h.last_id, THREAT_ICMP_FLOOD);
	assert_int_equal(h.last_action, THREAT_ACT_LOG); /* monitor only logs */
	/* oversized echo, leaving: not a flood, but too big */
	feed(&h, f, echo4(f, 2, THREAT_DEF_PING_SIZE), DP_DIR_EGRESS);
	assert_int_equal(drain(&h), 0);
	feed(&h, f, echo4(f, 2, THREAT_DEF_PING_SIZE + 1), DP_DIR_EGRESS);
	assert_int_equal(drain(&h), 1);
	assert_int_equal(h.last_id, THREAT_PING_OF_DEATH);
	h_fini(&h);
}

static void test_session_limit(void **st)
{
	static uint8_t f[FMAX];
	struct h h;

	(void)st;
	h_init(&h, BH_MODE_PROTECT);
	h.cfg.limit[THREAT_LIM_SESSIONS] = 3;
	h_start(&h);
	for (int i = 0; i < 3; i++)
		assert_int_equal(
		    feed(&h, f, udp4(f, (uint16_t)(5000 + i), 9999, "x", 1), DP_DIR_INGRESS),
		    THREAT_ACT_LOG);
	assert_int_equal(drain(&h), 0);
	assert_int_equal(feed(&h, f, udp4(f, 5003, 9999, "x", 1), DP_DIR_INGRESS), THREAT_ACT_DROP);
	assert_int_equal(drain(&h), 1);
	assert_int_equal(h.last_id, THREAT_SESSION_LIMIT);
	assert_int_equal(h.last->verdict, SESS_BLOCKED);
	/* later packets of a counted session are not new sessions */
	assert_int_equal(feed(&h, f, udp4(f, 5000, 9999, "x", 1), DP_DIR_INGRESS), THREAT_ACT_LOG);
	h_fini(&h);
}

/* Closed TCP sessions stop counting at once, not at their table timeout. */
static void test_session_limit_closed(void **st)
{
	static uint8_t f[FMAX];
	struct h h;

	(void)st;
	h_init(&h, BH_MODE_PROTECT);
	h.cfg.limit[THREAT_LIM_SESSIONS] = 2;
	h_start(&h);
	for (int i = 0; i < 5; i++) { /* near miss: open and reset, five times */
		uint16_t sp = (uint16_t)(30000 + i);

		assert_int_equal(
		    feed(&h, f, tcp4(f, CLI, sp, 80, 0x02, 64240, 1, "", 0), DP_DIR_INGRESS),
		    THREAT_ACT_LOG);
		feed(&h, f, tcp4(f, CLI, sp, 80, 0x04, 0, 2, "", 0), DP_DIR_INGRESS);
	}
	assert_int_equal(drain(&h), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(
		    feed(&h, f, tcp4(f, CLI, (uint16_t)(31000 + i), 80, 0x02, 64240, 1, "", 0),
			 DP_DIR_INGRESS),
		    THREAT_ACT_LOG);
	assert_int_equal(
	    feed(&h, f, tcp4(f, CLI, 31002, 80, 0x02, 64240, 1, "", 0), DP_DIR_INGRESS),
	    THREAT_ACT_DROP);
	assert_int_equal(drain(&h), 1);
	assert_int_equal(h.last_id, THREAT_SESSION_LIMIT);
	h_fini(&h);
}

static void test_invalid_packet_rate_limited(void **st)
{
	static uint8_t f[FMAX];
	struct dp_pkt p;
	struct timespec ts;
	struct h h;
	uint32_t n = eth_ip4(f, IPPROTO_TCP, CLI, SRV, 20);

	(void)st;
	h_init(&h, BH_MODE_MONITOR);
	h_start(&h);
	f[14] = 0x44; /* IHL 4: refused */
	assert_int_not_equal(dp_decode(&p, f, n + 20, 0), 0);
	p.port_idx = 1;
	p.dir = DP_DIR_INGRESS;
	for (int i = 0; i < 10; i++)
		threat_decode_fail(h.th, &h.port, &p, f, n + 20);
	assert_int_equal(drain(&h), 1); /* one now, the rest aggregated */
	assert_int_equal(h.last_id, THREAT_INVALID_PACKET);
	assert_int_equal(h.last_action, THREAT_ACT_DROP);
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	threat_tick(h.th, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 1500);
	assert_int_equal(drain(&h), 1);
	assert_int_equal(h.last_count, 9);
	h_fini(&h);
}

/* ---- pattern: IP and TCP headers ---- */

static void test_frag_overlap(void **st)
{
	static uint8_t f[FMAX];
	struct h h;

	(void)st;
	h_init(&h, BH_MODE_PROTECT);
	h_start(&h);
	/* near miss: adjacent fragments, and a retransmitted copy */
	assert_int_equal(feed(&h, f, frag6(f, 77, 0, true, 1232), DP_DIR_INGRESS), THREAT_ACT_LOG);
	assert_int_equal(feed(&h, f, frag6(f, 77, 1232, false, 100), DP_DIR_INGRESS),
			 THREAT_ACT_LOG);
	assert_int_equal(feed(&h, f, frag6(f, 77, 1232, false, 100), DP_DIR_INGRESS),
			 THREAT_ACT_LOG);
	assert_int_equal(drain(&h), 0);
	/* teardrop: the second fragment starts inside the first */
	assert_int_equal(feed(&h, f, frag6(f, 78, 0, true, 1232), DP_DIR_INGRESS), THREAT_ACT_LOG);
	assert_int_equal(feed(&h, f, frag6(f, 78, 1224, false, 100), DP_DIR_INGRESS),
			 THREAT_ACT_DROP);
	assert_int_equal(drain(&h), 1);
	assert_int_equal(h.last_id, THREAT_IP_FRAG_OVERLAP);
	h_fini(&h);
}

static void test_syn_data_small_window(void **st)
{
	static uint8_t f[FMAX];
	struct h h;

	(void)st;
	h_init(&h, BH_MODE_PROTECT);
	h_start(&h);
	assert_int_equal(
	    feed(&h, f, tcp4(f, CLI, 40000, 80, 0x02, 64240, 1, "", 0), DP_DIR_INGRESS),
	    THREAT_ACT_LOG);
	assert_int_equal(feed(&h, f, tcp4(f, CLI, 40001, 80, 0x02, 65, 1, "", 0), DP_DIR_INGRESS),
			 THREAT_ACT_LOG);
	assert_int_equal(drain(&h), 0);
	assert_int_equal(
	    feed(&h, f, tcp4(f, CLI, 40002, 80, 0x02, 64240, 1, "GET /", 5), DP_DIR_INGRESS),
	    THREAT_ACT_DROP);
	assert_int_equal(drain(&h), 1);
	assert_int_equal(h.last_id, THREAT_TCP_SYN_DATA);
	assert_int_equal(feed(&h, f, tcp4(f, CLI, 40003, 80, 0x02, 0, 1, "", 0), DP_DIR_INGRESS),
			 THREAT_ACT_DROP);
	assert_int_equal(drain(&h), 1);
	assert_int_equal(h.last_id, THREAT_TCP_SMALL_WINDOW);
	h_fini(&h);
}

/* ---- pattern: payloads ---- */

/* A DNS query for example.com of the given type. */
static uint32_t dns_query(uint8_t *m, uint16_t type)
{
	static const uint8_t q[] = {0x12, 0x34, 0x01, 0x00, 0,	 1,   0,   0, 0,   0,	0,   0, 7,
				    'e',  'x',	'a',  'm',  'p', 'l', 'e', 3, 'c', 'o', 'm', 0};

	memcpy(m, q, sizeof(q));
	m[sizeof(q)] = (uint8_t)(type >> 8);
	m[sizeof(q) + 1] = (uint8_t)type;
	m[sizeof(q) + 2] = 0;
	m[sizeof(q) + 3] = 1;
	return sizeof(q) + 4;
}

static void test_dns(void **st)
{
	uint8_t m[512];
	uint32_t n;

	(void)st;
	assert_int_equal(threat_dns_check(m, dns_query(m, 1)), THREAT_NONE);  /* A */
	assert_int_equal(threat_dns_check(m, dns_query(m, 28)), THREAT_NONE); /* AAAA */
	assert_int_equal(threat_dns_check(m, dns_query(m, 252)), THREAT_DNS_ZONE_TRANSFER);
	assert_int_equal(threat_dns_check(m, dns_query(m, 251)), THREAT_DNS_ZONE_TRANSFER);
	assert_int_equal(threat_dns_check(m, dns_query(m, 10)), THREAT_DNS_NULL_QUERY);
	/* a response carrying AXFR in its question is an answer, not a request */
	n = dns_query(m, 252);
	m[2] |= 0x80;
	assert_int_equal(threat_dns_check(m, n), THREAT_NONE);
	/* label of 64 bytes */
	n = dns_query(m, 1);
	m[12] = 64;
	assert_int_equal(threat_dns_check(m, n), THREAT_DNS_OVERFLOW);
	/* 63 is fine as long as it fits */
	memset(m + 12, 0, 200);
	m[12] = 63;
	memset(m + 13, 'a', 63);
	m[76] = 0;
	m[77] = 0, m[78] = 1, m[79] = 0, m[80] = 1;
	assert_int_equal(threat_dns_check(m, 81), THREAT_NONE);
	/* a pointer to itself in the question */
	n = dns_query(m, 1);
	m[12] = 0xc0;
	m[13] = 12;
	assert_int_equal(threat_dns_check(m, n), THREAT_DNS_LOOP_POINTER);
	/* a response whose answer points back at the question: the normal case */
	n = dns_query(m, 1);
	m[2] = 0x81, m[3] = 0x80, m[7] = 1;
	memcpy(m + n, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x5d\xb8\xd8\x22", 16);
	assert_int_equal(threat_dns_check(m, n + 16), THREAT_NONE);
	/* ... and one whose answer points forward at itself */
	m[n + 1] = (uint8_t)n;
	assert_int_equal(threat_dns_check(m, n + 16), THREAT_DNS_LOOP_POINTER);
}

static void test_dns_frame(void **st)
{
	static uint8_t f[FMAX];
	uint8_t m[64];
	struct h h;

	(void)st;
	h_init(&h, BH_MODE_PROTECT);
	h_start(&h);
	assert_int_equal(feed(&h, f, udp4(f, 5353, 53, m, dns_query(m, 1)), DP_DIR_INGRESS),
			 THREAT_ACT_LOG);
	assert_int_equal(feed(&h, f, udp4(f, 5354, 53, m, dns_query(m, 252)), DP_DIR_INGRESS),
			 THREAT_ACT_DROP);
	assert_int_equal(drain(&h), 1);
	assert_int_equal(h.last_id, THREAT_DNS_ZONE_TRANSFER);
	h_fini(&h);
}

static void test_ssh(void **st)
{
	static const char v1[] = "SSH-1.5-OpenSSH_1.2.3\r\n", v199[] = "SSH-1.99-OpenSSH_3.9\r\n",
			  v2[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";

	(void)st;
	assert_int_equal(threat_ssh_check((const uint8_t *)v1, sizeof(v1) - 1), THREAT_SSH_V1);
	assert_int_equal(threat_ssh_check((const uint8_t *)v199, sizeof(v199) - 1), THREAT_NONE);
	assert_int_equal(threat_ssh_check((const uint8_t *)v2, sizeof(v2) - 1), THREAT_NONE);
}

/* A ClientHello record: record version rv, client_version cv, no extensions. */
static uint32_t client_hello(uint8_t *b, uint16_t rv, uint16_t cv)
{
	uint32_t body = 2 + 32 + 1 + 4 + 2, o = 0;

	b[o++] = 0x16, b[o++] = (uint8_t)(rv >> 8), b[o++] = (uint8_t)rv;
	b[o++] = (uint8_t)((body + 4) >> 8), b[o++] = (uint8_t)(body + 4);
	b[o++] = 1, b[o++] = 0, b[o++] = (uint8_t)(body >> 8), b[o++] = (uint8_t)body;
	b[o++] = (uint8_t)(cv >> 8), b[o++] = (uint8_t)cv;
	memset(b + o, 0x5a, 32);
	o += 32;
	b[o++] = 0;					      /* session id */
	b[o++] = 0, b[o++] = 2, b[o++] = 0x00, b[o++] = 0x2f; /* TLS_RSA_WITH_AES_128_CBC_SHA */
	b[o++] = 1, b[o++] = 0;				      /* null compression */
	b[o++] = 0, b[o++] = 0;				      /* no extensions */
	return o;
}

static void test_tls(void **st)
{
	/* SSLv2 CLIENT-HELLO as OpenSSL 0.9.8 sent it (compatible hello offering 3.1) */
	static const uint8_t v2[] = {0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00,
				     0x00, 0x10, 0x00, 0x00, 0x39, 0x00, 0x00, 0x38, 0x00};
	/* Heartbleed as in the 2014 PoC: heartbeat request, 16 KiB claimed, 3-byte record */
	static const uint8_t hb[] = {0x18, 0x03, 0x02, 0x00, 0x03, 0x01, 0x40, 0x00};
	uint8_t ok_hb[40] = {0x18, 0x03, 0x03, 0x00, 35, 0x01, 0x00, 16};
	uint8_t b[128];

	(void)st;
	assert_int_equal(threat_tls_check(b, client_hello(b, 0x0301, 0x0303)), THREAT_NONE);
	assert_int_equal(threat_tls_check(b, client_hello(b, 0x0301, 0x0301)), THREAT_TLS_1_0_1_1);
	assert_int_equal(threat_tls_check(b, client_hello(b, 0x0301, 0x0302)), THREAT_TLS_1_0_1_1);
	assert_int_equal(threat_tls_check(b, client_hello(b, 0x0300, 0x0300)),
			 THREAT_TLS_SSL_V2_V3);
	assert_int_equal(threat_tls_check(v2, sizeof(v2)), THREAT_TLS_SSL_V2_V3);
	assert_int_equal(threat_tls_check(hb, sizeof(hb)), THREAT_TLS_HEARTBLEED);
	assert_int_equal(threat_tls_check(ok_hb, sizeof(ok_hb)), THREAT_NONE);
	/* a 16-byte claim in a record one byte too short */
	ok_hb[4] = 34;
	assert_int_equal(threat_tls_check(ok_hb, sizeof(ok_hb)), THREAT_TLS_HEARTBLEED);
}

static uint16_t http(const char *req)
{
	return threat_http_check((const uint8_t *)req, (uint32_t)strlen(req));
}

static void test_http(void **st)
{
	(void)st;
	assert_int_equal(http("GET /item?id=1 HTTP/1.1\r\nHost: a\r\n\r\n"), THREAT_NONE);
	assert_int_equal(http("GET /item?id=1%27%20OR%201=1-- HTTP/1.1\r\nHost: a\r\n\r\n"),
			 THREAT_HTTP_SQL_INJECTION);
	assert_int_equal(http("GET /s?q=1+UNION+/**/SELECT+password+FROM+users HTTP/1.1\r\n\r\n"),
			 THREAT_HTTP_SQL_INJECTION);
	assert_int_equal(http("GET /s?q=union+station+selection HTTP/1.1\r\n\r\n"), THREAT_NONE);
	assert_int_equal(http("POST /a HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
			 THREAT_HTTP_NEG_LENGTH);
	assert_int_equal(http("POST /a HTTP/1.1\r\nContent-Length: 5\r\n"
			      "Transfer-Encoding: chunked\r\n\r\n"),
			 THREAT_HTTP_SMUGGLING);
	assert_int_equal(http("POST /a HTTP/1.1\r\ncontent-length: 5\r\nContent-Length: 6\r\n\r\n"),
			 THREAT_HTTP_SMUGGLING);
	assert_int_equal(http("POST /a HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"),
			 THREAT_NONE);
	assert_int_equal(http("POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
			 THREAT_NONE);
	/* headers after the blank line are body */
	assert_int_equal(http("POST /a HTTP/1.1\r\nContent-Length: 30\r\n\r\n"
			      "Transfer-Encoding: chunked\r\n"),
			 THREAT_NONE);
	assert_int_equal(http("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"), THREAT_NONE);
}

/* A TCP session in protect: the injection arrives mid-session and resets it. */
static void test_http_reset_in_protect(void **st)
{
	static const char req[] = "GET /login?user=admin'%20or%201=1--&pw=x HTTP/1.1\r\n"
				  "Host: web\r\n\r\n";
	static uint8_t f[FMAX];
	struct h h;

	(void)st;
	h_init(&h, BH_MODE_PROTECT);
	h_start(&h);
	feed(&h, f, tcp4(f, CLI, 40000, 80, 0x02, 64240, 100, "", 0), DP_DIR_INGRESS);
	feed(&h, f, tcp4(f, SRV, 80, 40000, 0x12, 64240, 500, "", 0), DP_DIR_EGRESS);
	feed(&h, f, tcp4(f, CLI, 40000, 80, 0x10, 502, 101, "", 0), DP_DIR_INGRESS);
	assert_int_equal(feed(&h, f, tcp4(f, CLI, 40000, 80, 0x18, 502, 101, req, sizeof(req) - 1),
			      DP_DIR_INGRESS),
			 THREAT_ACT_RESET);
	assert_int_equal(h.last->verdict, SESS_BLOCKED);
	assert_int_equal(drain(&h), 1);
	assert_int_equal(h.last_id, THREAT_HTTP_SQL_INJECTION);
	assert_int_equal(h.last_action, THREAT_ACT_RESET);
	h_fini(&h);
}

/* --threats off: nothing is checked. */
static void test_off(void **st)
{
	static uint8_t f[FMAX];
	struct h h;

	(void)st;
	h_init(&h, BH_MODE_PROTECT);
	h.cfg.off = true;
	h_start(&h);
	assert_int_equal(
	    feed(&h, f, tcp4(f, CLI, 40002, 80, 0x02, 0, 1, "GET /", 5), DP_DIR_INGRESS),
	    THREAT_ACT_LOG);
	assert_int_equal(drain(&h), 0);
	h_fini(&h);
}

static void test_catalog(void **st)
{
	struct threat_config c = {0};

	(void)st;
	for (size_t i = 0; i < THREAT_CATALOG_SIZE; i++) {
		const struct threat_def *d = threat_def_at(i);

		assert_non_null(d);
		assert_int_equal(threat_index(d->id), (int)i);
		assert_true(d->id >= 2001 || (d->id >= 1001 && d->id < 2000));
		assert_true(d->protect == THREAT_ACT_DROP || d->protect == THREAT_ACT_RESET);
	}
	assert_null(threat_def_of(999));
	assert_int_equal(threat_limit_parse(&c, "syn-rate=500"), 0);
	assert_int_equal(threat_limit_get(&c, THREAT_LIM_SYN_RATE), 500);
	assert_int_equal(threat_limit_get(&c, THREAT_LIM_ICMP_RATE), THREAT_DEF_ICMP_RATE);
	assert_int_not_equal(threat_limit_parse(&c, "syn-rate=0"), 0);
	assert_int_not_equal(threat_limit_parse(&c, "nope=1"), 0);
	assert_int_not_equal(threat_limit_parse(&c, "syn-rate"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_catalog),
	    cmocka_unit_test(test_syn_flood),
	    cmocka_unit_test(test_icmp_flood_and_ping_of_death),
	    cmocka_unit_test(test_session_limit),
	    cmocka_unit_test(test_session_limit_closed),
	    cmocka_unit_test(test_invalid_packet_rate_limited),
	    cmocka_unit_test(test_frag_overlap),
	    cmocka_unit_test(test_syn_data_small_window),
	    cmocka_unit_test(test_dns),
	    cmocka_unit_test(test_dns_frame),
	    cmocka_unit_test(test_ssh),
	    cmocka_unit_test(test_tls),
	    cmocka_unit_test(test_http),
	    cmocka_unit_test(test_http_reset_in_protect),
	    cmocka_unit_test(test_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
