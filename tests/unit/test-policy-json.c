/*
 * test-policy-json.c - src/policy/policy-json.c: policy.json round trip, strict
 * rejection of corrupt or hostile documents, all-or-nothing loading.
 */
#include <errno.h>
#include <jansson.h>

#include "test-policy.h"

static struct policy_model *sample(void)
{
	struct policy_model *m = policy_model_new();
	const char *apps[] = {"http", "tls"};
	const char *fq[] = {"*.example.com"};
	struct policy_group_spec g = {.name = "saas", .fqdns = fq, .n_fqdns = 1};
	struct policy_rule_spec r = {.id = 4,
				     .from = "corp",
				     .to = "web",
				     .ports = "tcp/443",
				     .apps = apps,
				     .n_apps = 2,
				     .action = "allow",
				     .created = 5,
				     .last_hit = 6};
	struct policy_learn_req lr = {
	    .from = "web", .to = "external", .proto = POLICY_PROTO_UDP, .port = 53};
	uint32_t id;

	assert_int_equal(tp_wl(m, 1, "web", BH_MODE_PROTECT, NULL, "10.0.0.2"), 0);
	assert_int_equal(tp_group(m, "corp", "10.0.0.0/8,fd00::/16,192.168.1.1"), 0);
	assert_int_equal(policy_group_add(m, &g, NULL, 0), 0);
	assert_int_equal(tp_rule(m, 1, "corp", "web", "tcp/80,tcp/8000-8080,icmp", "allow"), 0);
	assert_int_equal(tp_rule(m, 2, "any", "web", "any", "deny"), 0);
	assert_int_equal(policy_rule_add(m, &r, NULL, NULL, 0), 0);
	assert_int_equal(policy_learn(m, &lr, 1700000000, &id, NULL, NULL, 0), 0);
	return m;
}

static void test_round_trip(void **state)
{
	struct policy_model *m = sample(), *back;
	char *a, *b, err[256];

	(void)state;
	a = policy_model_to_json_str(m);
	assert_non_null(a);
	assert_int_equal(policy_model_from_json_str(a, strlen(a), &back, err, sizeof(err)), 0);
	/* Workloads are not in policy.json; the learned rule names one anyway. */
	assert_int_equal(policy_workload_count(back), 0);
	assert_int_equal(policy_rule_count(back), 4);
	assert_int_equal(policy_group_count(back), 2);
	assert_true(policy_rule_find(back, POLICY_LEARN_ID_MIN)->learned);
	assert_int_equal(policy_rule_find(back, POLICY_LEARN_ID_MIN)->created, 1700000000);
	assert_int_equal(policy_rule_find(back, 4)->n_apps, 2);
	b = policy_model_to_json_str(back);
	assert_string_equal(a, b);
	free(a);
	free(b);
	policy_model_free(back);
	policy_model_free(m);
}

static void test_rule_group_json(void **state)
{
	struct policy_model *m = sample();
	json_t *j;
	char *s;

	(void)state;
	j = policy_rule_to_json(policy_rule_find(m, 1));
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s,
			    "{\"id\":1,\"from\":\"corp\",\"to\":\"web\",\"ports\":\"tcp/80,tcp/"
			    "8000-8080,icmp\",\"apps\":[],\"action\":\"allow\",\"learned\":false,"
			    "\"created\":0,\"last_hit\":0}");
	free(s);
	json_decref(j);
	j = policy_group_to_json(policy_group_find(m, "corp"));
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "{\"name\":\"corp\",\"cidrs\":[\"10.0.0.0/8\",\"fd00::/16\","
			       "\"192.168.1.1/32\"],\"fqdns\":[]}");
	free(s);
	json_decref(j);
	policy_model_free(m);
}

static const char *const corrupt[] = {
    "",
    "{",
    "[]",
    "null",
    "{\"version\":1,\"rules\":[{\"id\":1,\"from\":\"a\",\"to\":\"b\",\"action\":\"allow\"}]",
    "{}",
    "{\"version\":2}",
    "{\"version\":\"1\"}",
    "{\"version\":1,\"extra\":1}",
    "{\"version\":1,\"version\":1}",
    "{\"version\":1,\"groups\":{}}",
    "{\"version\":1,\"groups\":[1]}",
    "{\"version\":1,\"groups\":[{}]}",
    "{\"version\":1,\"groups\":[{\"name\":\"any\"}]}",
    "{\"version\":1,\"groups\":[{\"name\":\"a b\"}]}",
    "{\"version\":1,\"groups\":[{\"name\":\"a\"},{\"name\":\"a\"}]}",
    "{\"version\":1,\"groups\":[{\"name\":\"a\",\"cidrs\":\"10.0.0.0/8\"}]}",
    "{\"version\":1,\"groups\":[{\"name\":\"a\",\"cidrs\":[\"10.0.0.1/8\"]}]}",
    "{\"version\":1,\"groups\":[{\"name\":\"a\",\"cidrs\":[8]}]}",
    "{\"version\":1,\"groups\":[{\"name\":\"a\",\"fqdns\":[\"a b\"]}]}",
    "{\"version\":1,\"groups\":[{\"name\":\"a\",\"colour\":\"red\"}]}",
    "{\"version\":1,\"groups\":[{\"name\":\"a\\u0000b\"}]}",
    "{\"version\":1,\"rules\":[{\"from\":\"a\",\"to\":\"b\",\"action\":\"allow\"}]}",
    "{\"version\":1,\"rules\":[{\"id\":0,\"from\":\"a\",\"to\":\"b\",\"action\":\"allow\"}]}",
    "{\"version\":1,\"rules\":[{\"id\":-1,\"from\":\"a\",\"to\":\"b\",\"action\":\"allow\"}]}",
    "{\"version\":1,\"rules\":[{\"id\":4294967296,\"from\":\"a\",\"to\":\"b\","
    "\"action\":\"allow\"}]}",
    "{\"version\":1,\"rules\":[{\"id\":\"1\",\"from\":\"a\",\"to\":\"b\",\"action\":\"allow\"}]}",
    "{\"version\":1,\"rules\":[{\"id\":1.5,\"from\":\"a\",\"to\":\"b\",\"action\":\"allow\"}]}",
    "{\"version\":1,\"rules\":[{\"id\":20000,\"from\":\"a\",\"to\":\"b\",\"action\":\"allow\"}]}",
    "{\"version\":1,\"rules\":[{\"id\":5,\"from\":\"a\",\"to\":\"b\",\"action\":\"allow\","
    "\"learned\":true}]}",
    "{\"version\":1,\"rules\":[{\"id\":5,\"from\":\"a\",\"to\":\"b\",\"action\":\"allow\","
    "\"learned\":1}]}",
    "{\"version\":1,\"rules\":[{\"id\":1,\"from\":\"a\",\"to\":\"b\",\"action\":\"allow\"},"
    "{\"id\":1,\"from\":\"a\",\"to\":\"b\",\"action\":\"deny\"}]}",
    "{\"version\":1,\"rules\":[{\"id\":1,\"from\":\"a\",\"to\":\"b\",\"action\":\"allow\","
    "\"ports\":\"tcp/0\"}]}",
    "{\"version\":1,\"rules\":[{\"id\":1,\"from\":\"a\",\"to\":\"b\",\"action\":\"allow\","
    "\"ports\":[\"tcp/80\"]}]}",
    "{\"version\":1,\"rules\":[{\"id\":1,\"from\":\"a\",\"to\":\"b\",\"action\":\"accept\"}]}",
    "{\"version\":1,\"rules\":[{\"id\":1,\"from\":\"a\",\"to\":\"b\"}]}",
    "{\"version\":1,\"rules\":[{\"id\":1,\"from\":\"a\",\"action\":\"allow\"}]}",
    "{\"version\":1,\"rules\":[{\"id\":1,\"from\":\"\",\"to\":\"b\",\"action\":\"allow\"}]}",
    "{\"version\":1,\"rules\":[{\"id\":1,\"from\":\"a\",\"to\":\"b\",\"action\":\"allow\","
    "\"apps\":[1]}]}",
    "{\"version\":1,\"rules\":[{\"id\":1,\"from\":\"a\",\"to\":\"b\",\"action\":\"allow\","
    "\"created\":-5}]}",
    "{\"version\":1,\"rules\":[{\"id\":1,\"from\":\"a\",\"to\":\"b\",\"action\":\"allow\","
    "\"priority\":1}]}",
    "{\"version\":1,\"rules\":[null]}",
};

static void test_corrupt_rejected(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(corrupt) / sizeof(corrupt[0]); i++) {
		struct policy_model *m = (void *)1;
		char err[256] = "";
		int ret;

		ret = policy_model_from_json_str(corrupt[i], strlen(corrupt[i]), &m, err,
						 sizeof(err));
		if (ret != -EINVAL)
			fail_msg("document %zu accepted (%d): %s", i, ret, corrupt[i]);
		assert_null(m);
		assert_true(strlen(err) > 0);
	}
}

static void test_error_message_names_place(void **state)
{
	const char *doc = "{\"version\":1,\"rules\":[{\"id\":1,\"from\":\"a\",\"to\":\"b\","
			  "\"action\":\"allow\"},{\"id\":2,\"from\":\"a\",\"to\":\"b\","
			  "\"action\":\"allow\",\"ports\":\"tcp/99999\"}]}";
	struct policy_model *m;
	char err[256];

	(void)state;
	assert_int_equal(policy_model_from_json_str(doc, strlen(doc), &m, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "rules[1]: bad port spec 'tcp/99999'"));
}

static void test_minimal_accepted(void **state)
{
	const char *doc = "{\"version\":1,\"rules\":[{\"id\":3,\"from\":\"x\",\"to\":\"any\","
			  "\"action\":\"deny\"},{\"id\":10001,\"from\":\"x\",\"to\":\"y\","
			  "\"action\":\"allow\",\"learned\":true,\"ports\":\"udp/53\"}]}";
	struct policy_model *m;
	char err[256];

	(void)state;
	assert_int_equal(policy_model_from_json_str(doc, strlen(doc), &m, err, sizeof(err)), 0);
	assert_int_equal(policy_rule_count(m), 2);
	assert_int_equal(policy_rule_find(m, 3)->ports[0].proto, POLICY_PORT_ANY);
	policy_model_free(m);
	doc = "{\"version\":1}";
	assert_int_equal(policy_model_from_json_str(doc, strlen(doc), &m, err, sizeof(err)), 0);
	policy_model_free(m);
}

/* load_json: all or nothing; workloads survive. */
static void test_load_replaces_atomically(void **state)
{
	struct policy_model *m = sample();
	const char *good = "{\"version\":1,\"rules\":[{\"id\":9,\"from\":\"web\",\"to\":\"any\","
			   "\"action\":\"deny\"}]}";
	json_t *doc;
	char err[256];
	uint64_t gen = policy_model_generation(m);

	(void)state;
	doc = json_loads("{\"version\":1,\"groups\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", 0, NULL);
	assert_non_null(doc);
	assert_int_equal(policy_model_load_json(m, doc, err, sizeof(err)), -EINVAL);
	json_decref(doc);
	assert_int_equal(policy_rule_count(m), 4);
	assert_int_equal(policy_group_count(m), 2);
	assert_int_equal(policy_model_generation(m), gen);

	doc = json_loads(good, 0, NULL);
	assert_int_equal(policy_model_load_json(m, doc, err, sizeof(err)), 0);
	json_decref(doc);
	assert_int_equal(policy_rule_count(m), 1);
	assert_int_equal(policy_group_count(m), 0);
	assert_int_equal(policy_workload_count(m), 1);
	assert_true(policy_model_generation(m) > gen);
	policy_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_rule_group_json),
	    cmocka_unit_test(test_corrupt_rejected),
	    cmocka_unit_test(test_error_message_names_place),
	    cmocka_unit_test(test_minimal_accepted),
	    cmocka_unit_test(test_load_replaces_atomically),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
