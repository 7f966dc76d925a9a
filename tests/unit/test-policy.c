/*
 * test-policy.c - src/policy/policy-model.c, policy-workload.c, policy-names.c,
 * policy-addr.c: validation of groups, rules and workloads, and that a refused
 * change leaves the model exactly as it was.
 */
#include <errno.h>
#include <sys/socket.h>

#include "test-policy.h"

static void test_mode_names(void **state)
{
	enum bh_mode m;

	(void)state;
	for (int i = 0; i < BH_MODE__MAX; i++) {
		assert_int_equal(bh_mode_parse(bh_mode_name(i), &m), 0);
		assert_int_equal(m, i);
	}
	assert_int_equal(bh_mode_parse("protect", &m), 0);
	assert_int_equal(m, BH_MODE_PROTECT);
	assert_int_equal(bh_mode_parse("Protect", &m), -EINVAL);
	assert_int_equal(bh_mode_parse("", &m), -EINVAL);
	assert_int_equal(bh_mode_parse(NULL, &m), -EINVAL);
	assert_int_equal(BH_MODE_DISCOVER, 0);
}

static void test_names(void **state)
{
	char long_name[80];

	(void)state;
	memset(long_name, 'a', sizeof(long_name));
	long_name[63] = '\0';
	assert_true(policy_name_valid(long_name));
	long_name[63] = 'a';
	long_name[64] = '\0';
	assert_false(policy_name_valid(long_name));
	assert_true(policy_name_valid("web-1.prod_x"));
	assert_false(policy_name_valid(""));
	assert_false(policy_name_valid("a b"));
	assert_false(policy_name_valid("a/b"));
	assert_false(policy_name_valid("caf\xc3\xa9"));
	assert_false(policy_name_valid(NULL));
}

static void test_cidr_parse(void **state)
{
	struct policy_cidr c;
	char buf[64];

	(void)state;
	assert_int_equal(policy_cidr_parse("10.0.0.0/8", &c, NULL, 0), 0);
	assert_int_equal(c.plen, 8);
	assert_int_equal(c.addr.family, AF_INET);
	assert_int_equal(policy_cidr_parse("10.1.2.3", &c, NULL, 0), 0);
	assert_int_equal(c.plen, 32);
	assert_int_equal(policy_cidr_parse("fd00::/8", &c, NULL, 0), 0);
	assert_int_equal(policy_cidr_format(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "fd00::/8");
	assert_int_equal(policy_cidr_parse("::/0", &c, NULL, 0), 0);
	assert_int_equal(policy_cidr_parse("0.0.0.0/0", &c, NULL, 0), 0);
	assert_int_equal(policy_cidr_parse("fd00::1/128", &c, NULL, 0), 0);
	assert_int_equal(policy_cidr_parse("10.1.2.3/8", &c, buf, sizeof(buf)), -EINVAL);
	assert_non_null(strstr(buf, "host bits"));
	assert_int_equal(policy_cidr_parse("10.0.0.0/33", &c, NULL, 0), -EINVAL);
	assert_int_equal(policy_cidr_parse("fd00::/129", &c, NULL, 0), -EINVAL);
	assert_int_equal(policy_cidr_parse("10.0.0.0/", &c, NULL, 0), -EINVAL);
	assert_int_equal(policy_cidr_parse("10.0.0.0/-1", &c, NULL, 0), -EINVAL);
	assert_int_equal(policy_cidr_parse("10.0.0.0/+8", &c, NULL, 0), -EINVAL);
	assert_int_equal(policy_cidr_parse("10.0.0.0/8/8", &c, NULL, 0), -EINVAL);
	assert_int_equal(policy_cidr_parse("10.0.0/8", &c, NULL, 0), -EINVAL);
	assert_int_equal(policy_cidr_parse("example.com", &c, NULL, 0), -EINVAL);
	assert_int_equal(policy_cidr_parse("", &c, NULL, 0), -EINVAL);
	assert_int_equal(policy_cidr_parse(NULL, &c, NULL, 0), -EINVAL);
}

static void test_group_add_del(void **state)
{
	struct policy_model *m = policy_model_new();
	const char *fq[] = {"*.example.com"};
	struct policy_group_spec g = {.name = "dns", .fqdns = fq, .n_fqdns = 1};
	const struct policy_group *got;
	char err[256];
	uint64_t gen;

	(void)state;
	assert_int_equal(policy_group_add(m, &g, err, sizeof(err)), 0);
	assert_int_equal(tp_group(m, "corp", "10.0.0.0/8,fd00::/8"), 0);
	got = policy_group_find(m, "corp");
	assert_non_null(got);
	assert_int_equal(got->n_cidrs, 2);
	assert_int_equal(policy_group_find(m, "dns")->n_fqdns, 1);
	/* Sorted by name. */
	assert_string_equal(policy_group_at(m, 0)->name, "corp");
	gen = policy_model_generation(m);

	assert_int_equal(tp_group(m, "corp", NULL), -EEXIST);
	assert_int_equal(tp_group(m, "any", NULL), -EINVAL);
	assert_int_equal(tp_group(m, "external", NULL), -EINVAL);
	assert_int_equal(tp_group(m, "bad name", NULL), -EINVAL);
	assert_int_equal(tp_group(m, "", NULL), -EINVAL);
	assert_int_equal(tp_group(m, "x", "10.0.0.1/8"), -EINVAL);
	assert_int_equal(tp_group(m, "x", "10.0.0.0/8,junk"), -EINVAL);
	fq[0] = "bad pattern!";
	g.name = "y";
	assert_int_equal(policy_group_add(m, &g, err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_group_count(m), 2);
	assert_int_equal(policy_model_generation(m), gen);

	assert_int_equal(policy_group_del(m, "any", err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_group_del(m, "external", err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_group_del(m, "nope", err, sizeof(err)), -ENOENT);
	assert_int_equal(tp_rule(m, 3, "corp", "any", "tcp/80", "allow"), 0);
	assert_int_equal(policy_group_del(m, "corp", err, sizeof(err)), -EBUSY);
	assert_string_equal(err, "group corp is used by rule 3");
	assert_non_null(policy_group_find(m, "corp"));
	assert_int_equal(policy_rule_del(m, 3, err, sizeof(err)), 0);
	assert_int_equal(policy_group_del(m, "corp", err, sizeof(err)), 0);
	assert_null(policy_group_find(m, "corp"));
	assert_int_equal(policy_group_count(m), 1);
	policy_model_free(m);
}

static void test_rule_add(void **state)
{
	struct policy_model *m = policy_model_new();
	struct policy_rule_spec r = {.from = "a", .to = "b", .ports = "tcp/80", .action = "allow"};
	const struct policy_rule *got;
	uint32_t id = 0;
	char err[256];
	uint64_t gen;

	(void)state;
	tp_group(m, "a", NULL);
	tp_group(m, "b", NULL);
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), 0);
	assert_int_equal(id, 1);
	r.id = 7;
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), 0);
	assert_int_equal(id, 7);
	r.id = 0;
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), 0);
	assert_int_equal(id, 8); /* after the highest: new rules go last */
	r.id = 4;
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), 0);
	assert_int_equal(policy_rule_at(m, 1)->id, 4);
	got = policy_rule_find(m, 7);
	assert_non_null(got);
	assert_string_equal(got->from, "a");
	assert_int_equal(got->n_ports, 1);
	assert_false(got->learned);
	gen = policy_model_generation(m);

	r.id = 7;
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), -EEXIST);
	assert_string_equal(err, "rule 7 exists");
	r.id = 0;
	r.from = "nope";
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "no group or workload named nope");
	r.from = "a";
	r.ports = "tcp/0";
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), -EINVAL);
	r.ports = "tcp/80";
	r.action = "permit";
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), -EINVAL);
	r.action = NULL;
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), -EINVAL);
	r.action = "deny";
	r.id = 10001; /* a user rule cannot take a learned id */
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), -EINVAL);
	r.learned = true;
	r.id = 5;
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), -EINVAL);
	r.learned = false;
	r.id = 0;
	r.to = NULL;
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_rule_count(m), 4);
	assert_int_equal(policy_model_generation(m), gen);

	/* any, external and workload names are valid ends. */
	r.to = "external";
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), 0);
	tp_wl(m, 1, "web", BH_MODE_DISCOVER, NULL, NULL);
	r.from = "any";
	r.to = "web";
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), 0);
	r.id = 10000;
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), 0);
	r.id = 0;
	assert_int_equal(policy_rule_add(m, &r, &id, err, sizeof(err)), -ENOSPC);
	assert_int_equal(policy_rule_del(m, 42, err, sizeof(err)), -ENOENT);
	policy_model_free(m);
}

static void test_rule_touch(void **state)
{
	struct policy_model *m = policy_model_new();
	uint64_t gen;

	(void)state;
	assert_int_equal(tp_rule(m, 1, "any", "any", NULL, "allow"), 0);
	assert_int_equal(policy_rule_find(m, 1)->ports[0].proto, POLICY_PORT_ANY);
	gen = policy_model_generation(m);
	assert_int_equal(policy_rule_touch(m, 1, 100), 0);
	assert_int_equal(policy_rule_touch(m, 1, 50), 0);
	assert_int_equal(policy_rule_find(m, 1)->last_hit, 100);
	assert_int_equal(policy_model_generation(m), gen);
	assert_int_equal(policy_rule_touch(m, 2, 100), -ENOENT);
	policy_model_free(m);
}

static void test_workloads(void **state)
{
	struct policy_model *m = policy_model_new();
	struct policy_addr a[2];
	char err[256];

	(void)state;
	assert_int_equal(tp_wl(m, 1, "web", BH_MODE_MONITOR, "backend,prod", "10.0.0.2,fd00::2"),
			 0);
	assert_int_equal(tp_wl(m, 2, "db", BH_MODE_PROTECT, NULL, "10.0.0.3"), 0);
	assert_int_equal(policy_workload_count(m), 2);
	assert_int_equal(policy_workload_find(m, 1)->n_groups, 2);
	assert_string_equal(policy_workload_find_name(m, "db")->name, "db");

	assert_int_equal(tp_wl(m, 3, "web", BH_MODE_MONITOR, NULL, NULL), -EEXIST);
	assert_int_equal(tp_wl(m, 3, "any", BH_MODE_MONITOR, NULL, NULL), -EINVAL);
	assert_int_equal(tp_wl(m, 3, "x", BH_MODE_MONITOR, "external", NULL), -EINVAL);
	assert_int_equal(tp_wl(m, 3, "x", BH_MODE__MAX, NULL, NULL), -EINVAL);
	assert_int_equal(tp_wl(m, 3, "x", BH_MODE_MONITOR, NULL, "fd00::2"), -EADDRINUSE);
	assert_int_equal(policy_workload_count(m), 2);

	/* Replace by id: new name, groups, addresses. */
	assert_int_equal(tp_wl(m, 1, "web2", BH_MODE_PROTECT, NULL, "10.0.0.9"), 0);
	assert_int_equal(policy_workload_count(m), 2);
	assert_int_equal(policy_workload_find(m, 1)->n_addrs, 1);
	assert_null(policy_workload_find_name(m, "web"));

	a[0] = tp_addr("10.0.0.3");
	a[1] = tp_addr("fd00::7");
	assert_int_equal(policy_workload_set_addrs(m, 1, a, 2, err, sizeof(err)), -EADDRINUSE);
	assert_string_equal(err, "address 10.0.0.3 belongs to workload db");
	assert_int_equal(policy_workload_set_addrs(m, 2, a, 2, err, sizeof(err)), 0);
	assert_int_equal(policy_workload_find(m, 2)->n_addrs, 2);
	a[0].family = 99;
	assert_int_equal(policy_workload_set_addrs(m, 2, a, 1, err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_workload_set_addrs(m, 9, a, 0, err, sizeof(err)), -ENOENT);

	assert_int_equal(policy_workload_set_mode(m, 2, BH_MODE_QUARANTINE), 0);
	assert_int_equal(policy_workload_find(m, 2)->mode, BH_MODE_QUARANTINE);
	assert_int_equal(policy_workload_set_mode(m, 2, 17), -EINVAL);
	assert_int_equal(policy_workload_set_mode(m, 9, BH_MODE_PROTECT), -ENOENT);
	assert_int_equal(policy_workload_del(m, 2), 0);
	assert_int_equal(policy_workload_del(m, 2), -ENOENT);
	assert_int_equal(policy_workload_count(m), 1);
	policy_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mode_names), cmocka_unit_test(test_names),
	    cmocka_unit_test(test_cidr_parse), cmocka_unit_test(test_group_add_del),
	    cmocka_unit_test(test_rule_add),   cmocka_unit_test(test_rule_touch),
	    cmocka_unit_test(test_workloads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
