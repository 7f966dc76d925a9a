/*
 * test-policy-port.c - src/policy/policy-port.c: port spec grammar (DESIGN §3),
 * strict rejection of everything else, format round trip, matching.
 */
#include <errno.h>

#include "test-policy.h"

static void test_valid(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"any", "any"},
	    {"icmp", "icmp"},
	    {"tcp/80", "tcp/80"},
	    {"tcp/8000-8080", "tcp/8000-8080"},
	    {"udp/53", "udp/53"},
	    {"tcp/any", "tcp/any"},
	    {"udp/any", "udp/any"},
	    {"tcp/1", "tcp/1"},
	    {"tcp/65535", "tcp/65535"},
	    {"tcp/1-65535", "tcp/1-65535"},
	    {"tcp/0080", "tcp/80"},
	    {"tcp/80-80", "tcp/80"},
	    {"tcp/80,udp/53,icmp", "tcp/80,udp/53,icmp"},
	    {"tcp/443,tcp/8000-8443", "tcp/443,tcp/8000-8443"},
	    {"", "any"},
	};
	struct policy_port p[POLICY_PORTS_MAX];
	char buf[POLICY_PORTS_STRLEN], err[128];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (policy_ports_parse(cases[i].in, p, POLICY_PORTS_MAX, &n, err, sizeof(err)))
			fail_msg("'%s' rejected: %s", cases[i].in, err);
		assert_int_equal(policy_ports_format(p, n, buf, sizeof(buf)), 0);
		assert_string_equal(buf, cases[i].out);
	}
	assert_int_equal(policy_ports_parse(NULL, p, 4, &n, NULL, 0), 0);
	assert_int_equal(p[0].proto, POLICY_PORT_ANY);
	assert_int_equal(policy_ports_parse("tcp/8000-8080", p, 4, &n, NULL, 0), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].proto, POLICY_PORT_TCP);
	assert_int_equal(p[0].lo, 8000);
	assert_int_equal(p[0].hi, 8080);
}

static void test_invalid(void **state)
{
	static const char *const bad[] = {
	    "tcp/0",	     "udp/0",
	    "tcp/65536",     "tcp/99999999999",
	    "tcp/8080-8000", "tcp/0-10",
	    "tcp/10-0",	     "tcp/1-65536",
	    "http",	     "tcp",
	    "tcp/",	     "tcp/80,",
	    ",tcp/80",	     "tcp/80,,udp/53",
	    "tcp/80-",	     "tcp/-80",
	    "tcp/ 80",	     " tcp/80",
	    "TCP/80",	     "tcp/80a",
	    "tcp/+80",	     "tcp/0x50",
	    "icmp/8",	     "icmp6",
	    "udp/any-5",     "tcp/any-80",
	    "tcp/80-any",    "sctp/80",
	    "any/80",	     "tcp//80",
	    "tcp/8-9-10",    "tcp/80 ",
	    "tcp/\x80",	     "Any",
	    "tcp/-",
	};
	struct policy_port p[POLICY_PORTS_MAX];
	char err[128];
	size_t n = 99;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (policy_ports_parse(bad[i], p, POLICY_PORTS_MAX, &n, err, sizeof(err)) !=
		    -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(err, "port"));
	}
	/* Capacity. */
	assert_int_equal(policy_ports_parse("tcp/1,tcp/2,tcp/3", p, 2, &n, err, sizeof(err)),
			 -EINVAL);
}

static void test_too_many(void **state)
{
	struct policy_port p[POLICY_PORTS_MAX];
	char spec[POLICY_PORTS_MAX * 12];
	size_t off = 0, n;

	(void)state;
	for (int i = 0; i < POLICY_PORTS_MAX; i++)
		off += (size_t)snprintf(spec + off, sizeof(spec) - off, "%stcp/%d", i ? "," : "",
					i + 1);
	assert_int_equal(policy_ports_parse(spec, p, POLICY_PORTS_MAX, &n, NULL, 0), 0);
	assert_int_equal(n, POLICY_PORTS_MAX);
	snprintf(spec + off, sizeof(spec) - off, ",udp/1");
	assert_int_equal(policy_ports_parse(spec, p, POLICY_PORTS_MAX, &n, NULL, 0), -EINVAL);
}

static void test_format_small_buffer(void **state)
{
	struct policy_port p[2];
	char buf[8];
	size_t n;

	(void)state;
	assert_int_equal(policy_ports_parse("tcp/8000-8080,udp/1", p, 2, &n, NULL, 0), 0);
	assert_int_equal(policy_ports_format(p, n, buf, sizeof(buf)), -ENOSPC);
	assert_true(strlen(buf) < sizeof(buf));
}

static void test_match(void **state)
{
	struct policy_port p[POLICY_PORTS_MAX];
	size_t n;

	(void)state;
	assert_int_equal(
	    policy_ports_parse("tcp/80-90,udp/53,icmp", p, POLICY_PORTS_MAX, &n, NULL, 0), 0);
	assert_true(policy_ports_match(p, n, POLICY_PROTO_TCP, 80));
	assert_true(policy_ports_match(p, n, POLICY_PROTO_TCP, 90));
	assert_false(policy_ports_match(p, n, POLICY_PROTO_TCP, 91));
	assert_false(policy_ports_match(p, n, POLICY_PROTO_TCP, 79));
	assert_false(policy_ports_match(p, n, POLICY_PROTO_UDP, 80));
	assert_true(policy_ports_match(p, n, POLICY_PROTO_UDP, 53));
	assert_true(policy_ports_match(p, n, POLICY_PROTO_ICMP, 0));
	assert_false(policy_ports_match(p, n, POLICY_PROTO_OTHER, 0));
	assert_int_equal(policy_ports_parse("tcp/any", p, POLICY_PORTS_MAX, &n, NULL, 0), 0);
	assert_true(policy_ports_match(p, n, POLICY_PROTO_TCP, 0));
	assert_true(policy_ports_match(p, n, POLICY_PROTO_TCP, 65535));
	assert_false(policy_ports_match(p, n, POLICY_PROTO_UDP, 1));
	assert_int_equal(policy_ports_parse("any", p, POLICY_PORTS_MAX, &n, NULL, 0), 0);
	for (int pr = 0; pr < POLICY_PROTO__MAX; pr++)
		assert_true(policy_ports_match(p, n, pr, 1234));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_too_many), cmocka_unit_test(test_format_small_buffer),
	    cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
