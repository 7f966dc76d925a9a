/*
 * test-ctl-event-json.c - the violations.jsonl line: every field operators
 * and scripts rely on, "default" for a mode default, and the reset flag.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/events.h"

static const char *jstr(json_t *j, const char *k)
{
	return json_string_value(json_object_get(j, k));
}

static void test_violation_line(void **st)
{
	struct dp_event ev = {
		.type = DP_EV_SESSION, .end = POLICY_EGRESS, .family = AF_INET,
		.proto = POLICY_PROTO_TCP, .action = POLICY_BLOCK, .violation = 1,
		.mode = BH_MODE_PROTECT, .dport = 8080, .sport = 40000, .time_ms = 1700000000123,
	};
	struct ev_names n = {"client", "web", "10.99.0.41", "10.99.0.42", "client"};
	json_t *j;

	(void)st;
	j = ev_violation_json(&ev, &n);
	assert_non_null(j);
	assert_string_equal(jstr(j, "time"), "2023-11-14T22:13:20.123Z");
	assert_string_equal(jstr(j, "from"), "client");
	assert_string_equal(jstr(j, "to_ip"), "10.99.0.42");
	assert_string_equal(jstr(j, "port"), "tcp/8080");
	assert_string_equal(jstr(j, "proto"), "tcp");
	assert_string_equal(jstr(j, "rule_id"), "default");
	assert_string_equal(jstr(j, "action"), "deny");
	assert_string_equal(jstr(j, "mode"), "protect");
	assert_string_equal(jstr(j, "end"), "egress");
	assert_string_equal(jstr(j, "workload"), "client");
	assert_null(json_object_get(j, "reset"));
	json_decref(j);
}

static void test_reset_line(void **st)
{
	struct dp_event ev = {
		.type = DP_EV_RESET, .end = POLICY_INGRESS, .family = AF_INET6,
		.proto = POLICY_PROTO_UDP, .action = POLICY_BLOCK, .mode = BH_MODE_MONITOR,
		.dport = 53, .rule_id = 5,
	};
	struct ev_names n = {"fd99::41", "db", "fd99::41", "fd99::43", "db"};
	json_t *j;

	(void)st;
	j = ev_violation_json(&ev, &n);
	assert_int_equal(json_integer_value(json_object_get(j, "rule_id")), 5);
	assert_true(json_is_true(json_object_get(j, "reset")));
	assert_string_equal(jstr(j, "end"), "ingress");
	assert_string_equal(jstr(j, "port"), "udp/53");
	json_decref(j);
}

static void test_addr_and_port(void **st)
{
	uint8_t a[16] = {0};
	char buf[64];
	struct dp_event icmp = {.proto = POLICY_PROTO_ICMP, .dport = 7};

	(void)st;
	inet_pton(AF_INET, "10.99.0.41", a);
	ev_addr_format(AF_INET, a, buf, sizeof(buf));
	assert_string_equal(buf, "10.99.0.41");
	inet_pton(AF_INET6, "fd99::43", a);
	ev_addr_format(AF_INET6, a, buf, sizeof(buf));
	assert_string_equal(buf, "fd99::43");
	assert_int_equal(ev_port(&icmp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_violation_line),
		cmocka_unit_test(test_reset_line),
		cmocka_unit_test(test_addr_and_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
