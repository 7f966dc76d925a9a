/*
 * test-ctl-conv.c - the conversation table: sessions fold into one
 * conversation per (from, to, proto, port), the far end of a two-workload
 * session does not count twice, flush hands over only what changed, and the
 * table stays within its bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl/conv.h"
#include "policy/policy-t.h"

static struct conv_key key(const char *from, const char *to, uint8_t proto, uint16_t port)
{
	struct conv_key k = {.proto = proto, .port = port};

	snprintf(k.from, sizeof(k.from), "%s", from);
	snprintf(k.to, sizeof(k.to), "%s", to);
	return k;
}

static void count_cb(void *ctx, const struct conv *c)
{
	(void)c;
	(*(int *)ctx)++;
}

static void test_aggregate(void **st)
{
	struct conv_table *t;
	struct conv_key k = key("client", "web", POLICY_PROTO_TCP, 80);
	struct conv *a, *b;

	(void)st;
	assert_int_equal(conv_table_new(&t, 0), 0);
	a = conv_get(t, &k, 1000);
	conv_session(a, true, 10001, POLICY_ALLOW, 1000);
	b = conv_get(t, &k, 2000);
	assert_ptr_equal(a, b);
	conv_session(b, false, 0, POLICY_ALLOW, 2000); /* the server end of the same session */
	conv_end(b, 10, 1500, 3000);
	assert_int_equal(a->sessions, 1);
	assert_int_equal(a->last_rule, 10001);
	assert_int_equal(a->bytes, 1500);
	assert_int_equal(a->last_seen_ms, 3000);
	k.port = 8080;
	conv_get(t, &k, 4000);
	assert_int_equal(conv_table_count(t), 2);
	conv_table_free(t);
}

static void test_block_from_far_end(void **st)
{
	struct conv_table *t;
	struct conv_key k = key("client", "web", POLICY_PROTO_TCP, 80);
	struct conv *c;

	(void)st;
	assert_int_equal(conv_table_new(&t, 0), 0);
	c = conv_get(t, &k, 1);
	conv_session(c, true, 10001, POLICY_ALLOW, 1);
	conv_session(c, false, 0, POLICY_BLOCK, 2); /* server end in protect blocks it */
	assert_int_equal(c->sessions, 1);
	assert_int_equal(c->last_action, POLICY_BLOCK);
	assert_int_equal(c->last_rule, 0);
	assert_true(c->blocked_seen);
	conv_table_free(t);
}

static void test_flush_only_dirty(void **st)
{
	struct conv_table *t;
	struct conv_key k1 = key("a", "b", POLICY_PROTO_UDP, 53), k2 = key("a", "c", POLICY_PROTO_ICMP, 0);
	int n = 0;

	(void)st;
	assert_int_equal(conv_table_new(&t, 0), 0);
	conv_session(conv_get(t, &k1, 1), true, 0, POLICY_ALLOW, 1);
	conv_session(conv_get(t, &k2, 1), true, 0, POLICY_ALLOW, 1);
	assert_int_equal(conv_flush(t, count_cb, &n), 2);
	assert_int_equal(conv_flush(t, count_cb, &n), 0);
	conv_end(conv_get(t, &k2, 5), 1, 64, 5);
	assert_int_equal(conv_flush(t, count_cb, &n), 1);
	assert_int_equal(n, 3);
	conv_table_free(t);
}

static void test_bound_evicts_oldest(void **st)
{
	struct conv_table *t;
	char name[16];
	json_t *list;

	(void)st;
	assert_int_equal(conv_table_new(&t, 3), 0);
	for (int i = 0; i < 5; i++) {
		struct conv_key k;

		snprintf(name, sizeof(name), "w%d", i);
		k = key(name, "web", POLICY_PROTO_TCP, 80);
		conv_get(t, &k, 100 + i);
	}
	assert_int_equal(conv_table_count(t), 3);
	list = conv_list_json(t);
	assert_int_equal(json_array_size(list), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "from")),
			    "w2");
	json_decref(list);
	conv_table_free(t);
}

static void test_json(void **st)
{
	struct conv_table *t;
	struct conv_key k = key("client", "10.0.0.9", POLICY_PROTO_UDP, 53);
	struct conv *c;
	json_t *j;
	char port[32];

	(void)st;
	assert_int_equal(conv_table_new(&t, 0), 0);
	c = conv_get(t, &k, 0);
	conv_session(c, true, 0, POLICY_BLOCK, 1700000000123);
	j = conv_to_json(c);
	assert_string_equal(json_string_value(json_object_get(j, "port")), "udp/53");
	assert_string_equal(json_string_value(json_object_get(j, "last_rule")), "default");
	assert_string_equal(json_string_value(json_object_get(j, "last_action")), "deny");
	assert_string_equal(json_string_value(json_object_get(j, "last_seen")),
			    "2023-11-14T22:13:20.123Z");
	json_decref(j);
	conv_port_format(POLICY_PROTO_ICMP, 0, port, sizeof(port));
	assert_string_equal(port, "icmp");
	conv_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aggregate),
		cmocka_unit_test(test_block_from_far_end),
		cmocka_unit_test(test_flush_only_dirty),
		cmocka_unit_test(test_bound_evicts_oldest),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
