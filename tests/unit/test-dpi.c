/*
 * test-dpi.c - src/dp/dpi.c and dpi-app.c: sessions recorded from real programs
 * (tests/data/pcap, made by tests/data/make-pcaps.sh) replayed through the dp's
 * decode -> session -> DPI, and hand-made frames for what programs do not send:
 * GSO super-frames, malformed headers, an exhausted flow pool.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dp/decode.h"
#include "dp/dp-t.h"
#include "dp/dpi.h"
#include "dp/session.h"
#include "policy/policy.h"

#ifndef BH_TEST_DATA
#define BH_TEST_DATA "tests/data"
#endif
#define MAX_FRAME 65600

struct replay {
	struct sess_table *t;
	struct dpi *d;
	union dp_addr client;
	bool have_client;
	struct session *last;
	int finals; /* dpi_feed() said "final" this many times */
	uint64_t now;
};

static void on_release(void *arg, const struct session *s)
{
	dpi_release(arg, (struct session *)s);
}

static void replay_init(struct replay *r, uint32_t pool)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(sess_table_new(&r->t, 1024), 0);
	assert_int_equal(dpi_new(&r->d, pool), 0);
	sess_table_set_release(r->t, on_release, r->d);
	r->now = 1000000;
}

static void replay_fini(struct replay *r)
{
	sess_table_free(r->t);
	dpi_free(r->d);
}

/* One frame through decode -> session -> DPI, as the worker runs them. */
static int replay_frame(struct replay *r, const uint8_t *frame, uint32_t len, unsigned flags)
{
	struct sess_result sr;
	struct dp_pkt p;
	int err;

	err = dp_decode(&p, frame, len, flags);
	if (err)
		return err;
	if (!r->have_client) {
		r->client = p.src;
		r->have_client = true;
	}
	p.port_idx = 1;
	p.port_gen = 1;
	p.dir = memcmp(&p.src, &r->client, sizeof(p.src)) ? DP_DIR_INGRESS : DP_DIR_EGRESS;
	err = sess_update(r->t, &p, r->now++, &sr);
	if (err || !sr.s)
		return err;
	if (sr.created)
		dpi_session_start(sr.s);
	if (dpi_feed(r->d, sr.s, &p, sr.side, r->now))
		r->finals++;
	r->last = sr.s;
	return 0;
}

/* A classic pcap file (what tcpdump -w writes): 24-byte header, 16 bytes per record. */
static int replay_pcap(struct replay *r, const char *name)
{
	char path[512];
	uint8_t hdr[24], rec[16];
	static uint8_t frame[MAX_FRAME];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/pcap/%s.pcap", BH_TEST_DATA, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fread(hdr, 1, 24, f), 24);
	assert_true(!memcmp(hdr, "\xd4\xc3\xb2\xa1", 4)); /* little-endian, microseconds */
	while (fread(rec, 1, 16, f) == 16) {
		uint32_t incl;

		memcpy(&incl, rec + 8, 4);
		assert_true(incl <= sizeof(frame));
		assert_int_equal(fread(frame, 1, incl, f), incl);
		replay_frame(r, frame, incl, 0);
		n++;
	}
	fclose(f);
	return n;
}

static void expect_app(const char *pcap, enum bh_app want)
{
	struct replay r;

	replay_init(&r, 0);
	assert_true(replay_pcap(&r, pcap) > 0);
	assert_non_null(r.last);
	if (r.last->app != want)
		fail_msg("%s: got app %s, want %s", pcap, policy_app_name(r.last->app),
			 policy_app_name(want));
	assert_int_equal(r.finals, 1);
	assert_int_equal(r.last->dpi_flow, 0); /* the slot went back at once */
	replay_fini(&r);
}

static void test_http(void **state)
{
	(void)state;
	expect_app("http", BH_APP_HTTP);
}

static void test_tls(void **state)
{
	(void)state;
	expect_app("tls", BH_APP_TLS);
}

static void test_dns(void **state)
{
	(void)state;
	expect_app("dns", BH_APP_DNS);
}

static void test_redis(void **state)
{
	(void)state;
	expect_app("redis", BH_APP_REDIS);
}

static void test_ssh(void **state)
{
	(void)state;
	expect_app("ssh", BH_APP_SSH);
}

/* Random bytes to a port are no application, and inspection stops at the caps. */
static void test_raw_unknown(void **state)
{
	struct replay r;
	struct dpi_stats st;

	(void)state;
	replay_init(&r, 0);
	replay_pcap(&r, "raw");
	assert_non_null(r.last);
	assert_int_equal(r.last->app, BH_APP_UNKNOWN);
	dpi_get_stats(r.d, &st);
	assert_int_equal(st.in_use, 0);
	assert_true(st.packets <= DPI_CAP_PACKETS * 2);
	replay_fini(&r);
}

/* ---- hand-made frames ---- */

/* Ethernet + IPv4 + TCP (ACK|PSH) carrying len bytes of payload from c->s or s->c. */
static uint32_t tcp_frame(uint8_t *b, bool from_client, uint32_t seq, const void *payload,
			  uint32_t len, bool gso)
{
	uint32_t ip_len = 20 + 20 + len;

	memset(b, 0, 54);
	b[12] = 0x08;
	b[14] = 0x45;
	b[16] = gso ? 0 : (uint8_t)(ip_len >> 8); /* GSO: the kernel may leave 0 here */
	b[17] = gso ? 0 : (uint8_t)ip_len;
	b[22] = 64;
	b[23] = IPPROTO_TCP;
	memcpy(b + 26, from_client ? "\x0a\x63\x00\x01" : "\x0a\x63\x00\x02", 4);
	memcpy(b + 30, from_client ? "\x0a\x63\x00\x02" : "\x0a\x63\x00\x01", 4);
	b[34] = from_client ? 0x9c : 0x00; /* 40000 -> 80 */
	b[35] = from_client ? 0x40 : 0x50;
	b[36] = from_client ? 0x00 : 0x9c;
	b[37] = from_client ? 0x50 : 0x40;
	b[38] = (uint8_t)(seq >> 24);
	b[39] = (uint8_t)(seq >> 16);
	b[40] = (uint8_t)(seq >> 8);
	b[41] = (uint8_t)seq;
	b[46] = 0x50;
	b[47] = 0x18;
	b[48] = 0xff;
	memcpy(b + 54, payload, len);
	return 54 + len;
}

static uint32_t syn_frame(uint8_t *b, bool from_client, uint8_t flags)
{
	uint32_t n = tcp_frame(b, from_client, 1000, "", 0, false);

	b[47] = flags;
	return n;
}

static void handshake(struct replay *r, uint8_t *f)
{
	assert_int_equal(replay_frame(r, f, syn_frame(f, true, 0x02), 0), 0);
	assert_int_equal(replay_frame(r, f, syn_frame(f, false, 0x12), 0), 0);
	assert_int_equal(replay_frame(r, f, syn_frame(f, true, 0x10), 0), 0);
}

/* A 64 KB GSO super-frame: at most the cap is fed, and the session ends up decided. */
static void test_gso_superframe(void **state)
{
	static uint8_t f[MAX_FRAME], junk[65000];
	struct replay r;
	struct dpi_stats st;

	(void)state;
	memset(junk, 0xa5, sizeof(junk));
	replay_init(&r, 0);
	handshake(&r, f);
	assert_int_equal(r.last->app, BH_APP_PENDING);
	assert_int_equal(
	    replay_frame(&r, f, tcp_frame(f, true, 1001, junk, sizeof(junk), true), DP_DECODE_GSO),
	    0);
	assert_int_equal(r.last->app, BH_APP_UNKNOWN); /* the byte cap was reached at once */
	dpi_get_stats(r.d, &st);
	assert_int_equal(st.packets, 1);
	assert_int_equal(st.in_use, 0);
	replay_fini(&r);
}

/*
 * HTTP/2 in clear text: the connection preface (which nDPI 4.2 calls nothing or HTTP)
 * makes the session ours; the first HEADERS frame says http2 or grpc (dpi-h2.c).
 */
static void test_http2_preface(void **state)
{
	static const char pre[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";
	/* HEADERS, END_HEADERS, stream 1: :method GET, :scheme http, :path /, :authority web */
	static const char hdr[] = "\0\0\x07\x01\x04\0\0\0\x01\x82\x86\x84\x41\x03web";
	uint8_t f[256];
	struct replay r;

	(void)state;
	replay_init(&r, 0);
	handshake(&r, f);
	replay_frame(&r, f, tcp_frame(f, true, 1001, pre, sizeof(pre) - 1, false), 0);
	assert_int_equal(r.last->app, BH_APP_PENDING);
	replay_frame(&r, f, tcp_frame(f, true, 1001 + sizeof(pre) - 1, hdr, sizeof(hdr) - 1, false),
		     0);
	assert_int_equal(r.last->app, BH_APP_HTTP2);
	replay_fini(&r);
	/* the preface alone, then FIN: still http2 */
	replay_init(&r, 0);
	handshake(&r, f);
	replay_frame(&r, f, tcp_frame(f, true, 1001, pre, sizeof(pre) - 1, false), 0);
	assert_true(dpi_finish(r.d, r.last));
	assert_int_equal(r.last->app, BH_APP_HTTP2);
	replay_fini(&r);
}

/* python3-grpcio client and server (h2c): content-type application/grpc. */
static void test_grpc(void **state)
{
	(void)state;
	expect_app("grpc", BH_APP_GRPC);
}

/* kcat's ApiVersions request to a listener that never answers. */
static void test_kafka(void **state)
{
	(void)state;
	expect_app("kafka", BH_APP_KAFKA);
}

/* A one-slot pool: the second inspected session is "unknown, not inspected" and counted. */
static void test_pool_exhausted(void **state)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: web\r\n\r\n";
	static const char junk[] = "\x01\x02\x03\x04\x05";
	uint8_t f[256];
	struct replay r;
	struct session *first;
	struct dpi_stats st;

	(void)state;
	replay_init(&r, 1);
	handshake(&r, f);
	replay_frame(&r, f, tcp_frame(f, true, 1001, junk, 5, false), 0);
	first = r.last;
	assert_int_equal(first->app, BH_APP_PENDING);
	assert_int_not_equal(first->dpi_flow, 0);
	/* a second session: other client port */
	syn_frame(f, true, 0x02);
	f[35] = 0x41;
	replay_frame(&r, f, 54, 0);
	tcp_frame(f, true, 1001, get, sizeof(get) - 1, false);
	f[35] = 0x41;
	replay_frame(&r, f, 54 + sizeof(get) - 1, 0);
	assert_ptr_not_equal(r.last, first);
	assert_int_equal(r.last->app, BH_APP_UNKNOWN);
	dpi_get_stats(r.d, &st);
	assert_int_equal(st.pool_full, 1);
	assert_int_equal(st.in_use, 1);
	replay_fini(&r);
}

/* Malformed frames never reach DPI; truncated TCP payloads are fed as far as they go. */
static void test_malformed(void **state)
{
	static const char get[] = "GET / HTTP/1.1\r\n";
	uint8_t f[256];
	struct replay r;
	uint32_t n;

	(void)state;
	replay_init(&r, 0);
	handshake(&r, f);
	n = tcp_frame(f, true, 1001, get, sizeof(get) - 1, false);
	f[46] = 0xf0; /* data offset 60 > what is there */
	assert_int_not_equal(replay_frame(&r, f, 60, 0), 0);
	n = tcp_frame(f, true, 1001, get, sizeof(get) - 1, false);
	assert_int_not_equal(replay_frame(&r, f, 30, 0), 0); /* cut inside the IP header */
	assert_int_equal(r.last->app, BH_APP_PENDING);
	assert_int_equal(replay_frame(&r, f, n, 0), 0);
	assert_int_equal(r.last->app, BH_APP_HTTP);
	replay_fini(&r);
}

static void test_app_map(void **state)
{
	(void)state;
	assert_int_equal(dpi_app_of_ndpi(7, 0), BH_APP_HTTP);
	assert_int_equal(dpi_app_of_ndpi(7, 126), BH_APP_HTTP); /* HTTP.Google -> http */
	assert_int_equal(dpi_app_of_ndpi(0, 91), BH_APP_TLS);
	assert_int_equal(dpi_app_of_ndpi(0, 92), BH_APP_SSH);
	assert_int_equal(dpi_app_of_ndpi(92, 7),
			 BH_APP_HTTP); /* HTTP to tcp/22: port-guessed master */
	assert_int_equal(dpi_app_of_ndpi(0, 37), BH_APP_UNKNOWN); /* BitTorrent: no rule name */
	assert_int_equal(dpi_app_of_payload((const uint8_t *)"PRI", 3), BH_APP_PENDING);
	assert_int_equal(
	    dpi_app_of_payload((const uint8_t *)"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24),
	    BH_APP_HTTP2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_http),
	    cmocka_unit_test(test_tls),
	    cmocka_unit_test(test_dns),
	    cmocka_unit_test(test_redis),
	    cmocka_unit_test(test_ssh),
	    cmocka_unit_test(test_grpc),
	    cmocka_unit_test(test_kafka),
	    cmocka_unit_test(test_raw_unknown),
	    cmocka_unit_test(test_gso_superframe),
	    cmocka_unit_test(test_http2_preface),
	    cmocka_unit_test(test_pool_exhausted),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_app_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
