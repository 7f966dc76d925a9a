/*
 * test-dpi-l7.c - our own dissectors (src/dp/dpi-h2.c, dpi-kafka.c): HPACK
 * Huffman against RFC 7541 Appendix C.4 and a block python3-hpack encoded,
 * HEADERS frames with and without application/grpc (plain, Huffman, padded,
 * with priority, cut short, behind other frames), malformed HPACK, and Kafka
 * request headers: kcat's real ApiVersions request and near misses (a
 * PostgreSQL startup message, an unknown api_key, a non-printable client_id,
 * one longer than the message).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dp/dpi-l7.h"

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2) {
		unsigned v;

		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void expect_huff(const char *hex, const char *want)
{
	uint8_t in[64];
	char out[64];
	size_t n = unhex(hex, in);
	int got = dpi_hpack_huffman(in, n, out, sizeof(out));

	assert_int_equal(got, (int)strlen(want));
	assert_memory_equal(out, want, strlen(want));
}

static void test_huffman(void **state)
{
	uint8_t in[8];
	char out[8];

	(void)state;
	/* RFC 7541 C.4.1-C.4.3 */
	expect_huff("f1e3c2e5f23a6ba0ab90f4ff", "www.example.com");
	expect_huff("a8eb10649cbf", "no-cache");
	expect_huff("25a849e95ba97d7f", "custom-key");
	expect_huff("25a849e95bb8e8b4bf", "custom-value");
	/* python3-hpack */
	expect_huff("1d75d0620d263d4c4d6564", "application/grpc");
	expect_huff("", "");
	/* output bounded: the rest is decoded (checked) but not written */
	assert_int_equal(dpi_hpack_huffman(in, unhex("a8eb10649cbf", in), out, 3), 3);
	assert_memory_equal(out, "no-", 3);
	/* padding of zeros, padding longer than 7 bits, EOS inside */
	assert_int_equal(dpi_hpack_huffman(in, unhex("00", in), out, 8), -1); /* '0' + 000 */
	assert_int_equal(dpi_hpack_huffman(in, unhex("ff", in), out, 8), -1);
	assert_int_equal(dpi_hpack_huffman(in, unhex("fffffffc", in), out, 8), -1);
}

/* A frame header (length, type, flags, stream 1) and payload into f; returns its size. */
static size_t frame(uint8_t *f, uint8_t type, uint8_t flags, const uint8_t *p, size_t n)
{
	f[0] = (uint8_t)(n >> 16);
	f[1] = (uint8_t)(n >> 8);
	f[2] = (uint8_t)n;
	f[3] = type;
	f[4] = flags;
	memcpy(f + 5, "\0\0\0\x01", 4);
	if (n)
		memcpy(f + 9, p, n);
	return 9 + n;
}

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

static void test_h2_grpc(void **state)
{
	/* python3-hpack, Huffman on: :method POST, :scheme http, :path /pkg.Svc/Call,
	 * :authority api:50051, content-type application/grpc+proto (index 31), te trailers */
	static const char grpc_blk[] = "8386448a62beb32fbbb918bc3a2841871d66b8d800d87f5f901d75d06"
				       "20d263d4c4d6564ff75d8749f4082497f864d833505b11f";
	/* the same for GET / with content-type text/html */
	static const char html_blk[] = "8286844183f058ff5f87497ca589d34d1f5383f963e7";
	/* literal new names, no Huffman (what grpc-python sends): content-type: app... */
	static const uint8_t plain[] = "\x40\x0c"
				       "content-type"
				       "\x10"
				       "application/grpc";
	static const uint8_t plain_semi[] = "\x00\x0c"
					    "content-type"
					    "\x14"
					    "application/grpc;x=y";
	static const uint8_t not_quite[] = "\x10\x0c"
					   "content-type"
					   "\x11"
					   "application/grpcx";
	uint8_t blk[128], buf[512], pad[160];
	size_t n, k;

	(void)state;
	n = unhex(grpc_blk, blk);
	memcpy(buf, preface, 24);
	k = 24 + frame(buf + 24, 0x4, 0, NULL, 0); /* SETTINGS first */
	k += frame(buf + k, 0x1, 0x4, blk, n);
	assert_int_equal(dpi_h2_app(buf, k), BH_APP_GRPC);
	/* cut inside the block before content-type: not yet known */
	assert_int_equal(dpi_h2_app(buf, k - n + 10), BH_APP_PENDING);
	/* without the preface (a later segment) */
	assert_int_equal(dpi_h2_app(buf + 33, k - 33), BH_APP_GRPC);
	n = unhex(html_blk, blk);
	assert_int_equal(dpi_h2_app(buf, frame(buf, 0x1, 0x4, blk, n)), BH_APP_HTTP2);
	assert_int_equal(dpi_h2_app(buf, frame(buf, 0x1, 0x4, plain, sizeof(plain) - 1)),
			 BH_APP_GRPC);
	assert_int_equal(dpi_h2_app(buf, frame(buf, 0x1, 0x4, plain_semi, sizeof(plain_semi) - 1)),
			 BH_APP_GRPC);
	assert_int_equal(dpi_h2_app(buf, frame(buf, 0x1, 0x4, not_quite, sizeof(not_quite) - 1)),
			 BH_APP_HTTP2);
	/* PADDED (pad length 3) and PRIORITY (5 bytes) */
	pad[0] = 3;
	memset(pad + 1, 0, 5);
	memcpy(pad + 6, plain, sizeof(plain) - 1);
	memset(pad + 6 + sizeof(plain) - 1, 0, 3);
	assert_int_equal(
	    dpi_h2_app(buf, frame(buf, 0x1, 0x4 | 0x8 | 0x20, pad, 6 + sizeof(plain) - 1 + 3)),
	    BH_APP_GRPC);
	/* no HEADERS at all, or nothing */
	assert_int_equal(dpi_h2_app((const uint8_t *)preface, 24), BH_APP_PENDING);
	assert_int_equal(dpi_h2_app(buf, 0), BH_APP_PENDING);
}

static void test_h2_malformed(void **state)
{
	/* an integer that never ends, a string longer than the block, a bad Huffman value */
	static const uint8_t endless[] = "\x7f\xff\xff\xff\xff\xff\xff";
	static const uint8_t too_long[] = "\x40\x7f\x10"
					  "content-type";
	static const uint8_t bad_huff[] = "\x5f\x81\x00";
	uint8_t buf[128];

	(void)state;
	assert_int_equal(dpi_h2_app(buf, frame(buf, 0x1, 0x4, endless, sizeof(endless) - 1)),
			 BH_APP_HTTP2);
	assert_int_equal(dpi_h2_app(buf, frame(buf, 0x1, 0x4, too_long, sizeof(too_long) - 1)),
			 BH_APP_HTTP2);
	assert_int_equal(dpi_h2_app(buf, frame(buf, 0x1, 0x4, bad_huff, sizeof(bad_huff) - 1)),
			 BH_APP_HTTP2);
	/* padding longer than the frame */
	assert_int_equal(dpi_h2_app(buf, frame(buf, 0x1, 0x8, (const uint8_t *)"\xc8", 1)),
			 BH_APP_HTTP2);
	/* a frame header claiming 16 MB: walked past, nothing read */
	memcpy(buf, "\xff\xff\xff\x00\x00\x00\x00\x00\x01", 9);
	assert_int_equal(dpi_h2_app(buf, 20), BH_APP_PENDING);
}

static void test_kafka(void **state)
{
	/* kcat 1.7.1 (librdkafka 2.0.2): ApiVersions v3, correlation id 1, client "rdkafka" */
	static const char kcat[] = "000000240012000300000001000772646b61666b61000b6c696272646b"
				   "61666b6106322e302e3200";
	/* PostgreSQL StartupMessage: length, protocol 3.0, "user\0postgres\0..." */
	static const uint8_t pg[] = "\x00\x00\x00\x29\x00\x03\x00\x00user\0postgres\0"
				    "database\0postgres\0\0";
	uint8_t m[128];
	size_t n = unhex(kcat, m);

	(void)state;
	assert_true(dpi_kafka_request(m, n));
	assert_false(dpi_kafka_request(m, 13));
	assert_false(dpi_kafka_request(pg, sizeof(pg) - 1));
	m[5] = 200; /* api_key 200 */
	assert_false(dpi_kafka_request(m, n));
	m[5] = 0x12;
	m[7] = 99; /* api_version 99 */
	assert_false(dpi_kafka_request(m, n));
	m[7] = 3;
	m[15] = 0x01; /* a control byte in the client id */
	assert_false(dpi_kafka_request(m, n));
	m[15] = 'd';
	m[13] = 0x40; /* client id longer than the message */
	assert_false(dpi_kafka_request(m, n));
	m[13] = 0x07;
	m[3] = 0x08; /* size smaller than the header */
	assert_false(dpi_kafka_request(m, n));
	m[3] = 0x24;
	m[12] = 0xff; /* null client id */
	m[13] = 0xff;
	assert_true(dpi_kafka_request(m, n));
	assert_false(dpi_kafka_request((const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_huffman),
	    cmocka_unit_test(test_h2_grpc),
	    cmocka_unit_test(test_h2_malformed),
	    cmocka_unit_test(test_kafka),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
