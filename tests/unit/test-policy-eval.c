/*
 * test-policy-eval.c - src/policy/policy-eval.c: the DESIGN §2 mode table at both
 * ends, first match by id, groups (explicit, CIDR, any, external), IPv6 exactly
 * like IPv4, explain, and a randomized comparison against a naive evaluator.
 */
#include <errno.h>
#include <sys/socket.h>

#include "test-policy.h"

enum { CLIENT = 1, WEB = 2, DB = 3, LAPTOP = 4 };

struct fam {
	const char *client, *web, *outside, *corp_in, *corp_out;
};

static const struct fam v4 = {"10.99.0.1", "10.99.0.2", "8.8.8.8", "192.168.1.1", "192.169.0.1"};
static const struct fam v6 = {"fd99::1", "fd99::2", "2606:4700::1111", "2001:db8::5",
			      "2001:db9::5"};

static struct policy_model *base_model(enum bh_mode client_mode, enum bh_mode web_mode)
{
	struct policy_model *m = policy_model_new();

	assert_non_null(m);
	assert_int_equal(tp_group(m, "front", NULL), 0);
	assert_int_equal(tp_group(m, "backend", NULL), 0);
	assert_int_equal(tp_group(m, "corp", "192.168.0.0/16,2001:db8::/32"), 0);
	assert_int_equal(tp_wl(m, CLIENT, "client", client_mode, "front", "10.99.0.1,fd99::1"), 0);
	assert_int_equal(tp_wl(m, WEB, "web", web_mode, "backend", "10.99.0.2,fd99::2"), 0);
	assert_int_equal(tp_wl(m, DB, "db", BH_MODE_PROTECT, NULL, "10.99.0.3,fd99::3"), 0);
	return m;
}

/* The table of DESIGN §2, written out independently of the implementation. */
struct cell {
	enum policy_result action;
	bool violation, learn;
};

static const struct cell expect_no_match[BH_MODE__MAX] = {
    [BH_MODE_DISCOVER] = {POLICY_ALLOW, false, true},
    [BH_MODE_MONITOR] = {POLICY_ALLOW, true, false},
    [BH_MODE_PROTECT] = {POLICY_BLOCK, true, false},
    [BH_MODE_QUARANTINE] = {POLICY_BLOCK, true, false},
};

static const struct cell expect_deny[BH_MODE__MAX] = {
    [BH_MODE_DISCOVER] = {POLICY_ALLOW, true, false},
    [BH_MODE_MONITOR] = {POLICY_ALLOW, true, false},
    [BH_MODE_PROTECT] = {POLICY_BLOCK, true, false},
    [BH_MODE_QUARANTINE] = {POLICY_BLOCK, true, false},
};

static const struct cell expect_allow[BH_MODE__MAX] = {
    [BH_MODE_DISCOVER] = {POLICY_ALLOW, false, false},
    [BH_MODE_MONITOR] = {POLICY_ALLOW, false, false},
    [BH_MODE_PROTECT] = {POLICY_ALLOW, false, false},
    [BH_MODE_QUARANTINE] = {POLICY_BLOCK, true, false},
};

static void check_cell(const struct policy_verdict *v, const struct cell *c, enum bh_mode mode,
		       uint32_t rule)
{
	assert_int_equal(v->action, c->action);
	assert_int_equal(v->violation, c->violation);
	assert_int_equal(v->learn, c->learn);
	assert_int_equal(v->mode, mode);
	if (mode == BH_MODE_QUARANTINE) {
		assert_int_equal(v->rule_id, 0);
		assert_string_equal(v->reason, "quarantine");
	} else {
		assert_int_equal(v->rule_id, rule);
		assert_string_equal(v->reason, rule ? "rule" : "default");
	}
}

/* Every cell, at the egress end (client) and the ingress end (web), for one family. */
static void mode_table_family(const struct fam *f)
{
	for (int mode = 0; mode < BH_MODE__MAX; mode++) {
		struct policy_model *m = base_model(mode, mode);
		struct policy *p;
		struct policy_verdict v;

		assert_int_equal(tp_rule(m, 1, "client", "web", "tcp/80", "allow"), 0);
		assert_int_equal(tp_rule(m, 2, "client", "web", "tcp/22", "deny"), 0);
		p = tp_compile(m);

		v = tp_eval(p, CLIENT, POLICY_EGRESS, f->web, POLICY_PROTO_TCP, 80);
		check_cell(&v, &expect_allow[mode], mode, 1);
		v = tp_eval(p, WEB, POLICY_INGRESS, f->client, POLICY_PROTO_TCP, 80);
		check_cell(&v, &expect_allow[mode], mode, 1);

		v = tp_eval(p, CLIENT, POLICY_EGRESS, f->web, POLICY_PROTO_TCP, 22);
		check_cell(&v, &expect_deny[mode], mode, 2);
		v = tp_eval(p, WEB, POLICY_INGRESS, f->client, POLICY_PROTO_TCP, 22);
		check_cell(&v, &expect_deny[mode], mode, 2);

		v = tp_eval(p, CLIENT, POLICY_EGRESS, f->web, POLICY_PROTO_TCP, 443);
		check_cell(&v, &expect_no_match[mode], mode, 0);
		v = tp_eval(p, WEB, POLICY_INGRESS, f->client, POLICY_PROTO_TCP, 443);
		check_cell(&v, &expect_no_match[mode], mode, 0);

		/* Direction matters: web -> client is not what rule 1 allows. */
		v = tp_eval(p, WEB, POLICY_EGRESS, f->client, POLICY_PROTO_TCP, 80);
		check_cell(&v, &expect_no_match[mode], mode, 0);
		v = tp_eval(p, CLIENT, POLICY_INGRESS, f->web, POLICY_PROTO_TCP, 80);
		check_cell(&v, &expect_no_match[mode], mode, 0);
		policy_free(p);
		policy_model_free(m);
	}
}

static void test_mode_table_v4(void **state)
{
	(void)state;
	mode_table_family(&v4);
}

static void test_mode_table_v6(void **state)
{
	(void)state;
	mode_table_family(&v6);
}

/* Each end uses its own mode: client in protect, web in discover, same session. */
static void test_each_end_own_mode(void **state)
{
	struct policy_model *m = base_model(BH_MODE_PROTECT, BH_MODE_DISCOVER);
	struct policy *p = tp_compile(m);
	struct policy_verdict v;

	(void)state;
	v = tp_eval(p, CLIENT, POLICY_EGRESS, v4.web, POLICY_PROTO_TCP, 80);
	assert_int_equal(v.action, POLICY_BLOCK);
	v = tp_eval(p, WEB, POLICY_INGRESS, v4.client, POLICY_PROTO_TCP, 80);
	assert_int_equal(v.action, POLICY_ALLOW);
	assert_true(v.learn);
	policy_free(p);
	policy_model_free(m);
}

static void test_first_match_by_id(void **state)
{
	struct policy_model *m = base_model(BH_MODE_PROTECT, BH_MODE_PROTECT);
	struct policy *p;
	static const struct {
		uint16_t port;
		uint32_t rule;
	} cases[] = {
	    {8000, 3}, {8080, 3}, {9000, 50}, {150, 10}, {180, 9},    {250, 11},
	    {99, 50},  {301, 50}, {443, 1},   {1, 50},	 {65535, 50},
	};

	(void)state;
	/* Added out of order on purpose: evaluation follows ids, not insertion. */
	assert_int_equal(tp_rule(m, 50, "any", "web", "tcp/any", "deny"), 0);
	assert_int_equal(tp_rule(m, 3, "client", "web", "tcp/8000-8080", "allow"), 0);
	assert_int_equal(tp_rule(m, 4, "client", "web", "tcp/8080", "deny"), 0);
	assert_int_equal(tp_rule(m, 11, "client", "web", "tcp/150-300", "deny"), 0);
	assert_int_equal(tp_rule(m, 10, "client", "web", "tcp/100-200", "allow"), 0);
	assert_int_equal(tp_rule(m, 9, "front", "backend", "tcp/180", "deny"), 0);
	assert_int_equal(tp_rule(m, 10001, "client", "web", "tcp/443", "allow"), 0);
	assert_int_equal(tp_rule(m, 1, "any", "any", "tcp/443", "deny"), 0);
	assert_int_equal(tp_rule(m, 2, "client", "web", "udp/any", "allow"), 0);
	p = tp_compile(m);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy_verdict e, in;

		e = tp_eval(p, CLIENT, POLICY_EGRESS, v4.web, POLICY_PROTO_TCP, cases[i].port);
		in = tp_eval(p, WEB, POLICY_INGRESS, v6.client, POLICY_PROTO_TCP, cases[i].port);
		assert_int_equal(e.rule_id, cases[i].rule);
		assert_int_equal(in.rule_id, cases[i].rule);
	}
	/* udp/any (rule 2) wins over nothing else for udp. */
	assert_int_equal(tp_eval(p, CLIENT, POLICY_EGRESS, v4.web, POLICY_PROTO_UDP, 80).rule_id,
			 2);
	policy_free(p);
	policy_model_free(m);
}

static void test_external_vs_workload(void **state)
{
	struct policy_model *m = base_model(BH_MODE_PROTECT, BH_MODE_PROTECT);
	const struct fam *fams[] = {&v4, &v6};
	struct policy *p;

	(void)state;
	assert_int_equal(tp_rule(m, 1, "external", "web", "tcp/80", "allow"), 0);
	assert_int_equal(tp_rule(m, 2, "client", "external", "udp/53", "allow"), 0);
	p = tp_compile(m);
	for (int i = 0; i < 2; i++) {
		const struct fam *f = fams[i];

		assert_int_equal(
		    tp_eval(p, WEB, POLICY_INGRESS, f->outside, POLICY_PROTO_TCP, 80).rule_id, 1);
		assert_int_equal(
		    tp_eval(p, WEB, POLICY_INGRESS, f->client, POLICY_PROTO_TCP, 80).action,
		    POLICY_BLOCK);
		assert_int_equal(
		    tp_eval(p, CLIENT, POLICY_EGRESS, f->outside, POLICY_PROTO_UDP, 53).rule_id, 2);
		assert_int_equal(
		    tp_eval(p, CLIENT, POLICY_EGRESS, f->web, POLICY_PROTO_UDP, 53).action,
		    POLICY_BLOCK);
		/* `external` is never this end. */
		assert_int_equal(
		    tp_eval(p, WEB, POLICY_EGRESS, f->outside, POLICY_PROTO_TCP, 80).action,
		    POLICY_BLOCK);
	}
	policy_free(p);
	policy_model_free(m);
}

static void test_cidr_groups(void **state)
{
	struct policy_model *m = base_model(BH_MODE_PROTECT, BH_MODE_PROTECT);
	const struct fam *fams[] = {&v4, &v6};
	struct policy *p;

	(void)state;
	assert_int_equal(tp_wl(m, LAPTOP, "laptop", BH_MODE_PROTECT, NULL, "192.168.5.5"), 0);
	assert_int_equal(tp_rule(m, 1, "corp", "web", "tcp/443", "allow"), 0);
	p = tp_compile(m);
	for (int i = 0; i < 2; i++) {
		const struct fam *f = fams[i];

		assert_int_equal(
		    tp_eval(p, WEB, POLICY_INGRESS, f->corp_in, POLICY_PROTO_TCP, 443).rule_id, 1);
		assert_int_equal(
		    tp_eval(p, WEB, POLICY_INGRESS, f->corp_out, POLICY_PROTO_TCP, 443).action,
		    POLICY_BLOCK);
	}
	/* A workload inside a CIDR group is in it at both ends. */
	assert_int_equal(
	    tp_eval(p, WEB, POLICY_INGRESS, "192.168.5.5", POLICY_PROTO_TCP, 443).rule_id, 1);
	assert_int_equal(tp_eval(p, LAPTOP, POLICY_EGRESS, v4.web, POLICY_PROTO_TCP, 443).rule_id,
			 1);
	/* Edges of the prefix. */
	assert_int_equal(
	    tp_eval(p, WEB, POLICY_INGRESS, "192.168.0.0", POLICY_PROTO_TCP, 443).rule_id, 1);
	assert_int_equal(
	    tp_eval(p, WEB, POLICY_INGRESS, "192.168.255.255", POLICY_PROTO_TCP, 443).rule_id, 1);
	assert_int_equal(
	    tp_eval(p, WEB, POLICY_INGRESS, "192.167.255.255", POLICY_PROTO_TCP, 443).rule_id, 0);
	policy_free(p);
	policy_model_free(m);
}

static void test_nested_cidrs(void **state)
{
	struct policy_model *m = base_model(BH_MODE_PROTECT, BH_MODE_PROTECT);
	struct policy *p;

	(void)state;
	assert_int_equal(tp_group(m, "big", "10.0.0.0/8,::/0"), 0);
	assert_int_equal(tp_group(m, "small", "10.1.0.0/16"), 0);
	assert_int_equal(tp_group(m, "host", "10.1.2.3/32,0.0.0.0/0"), 0);
	assert_int_equal(tp_group(m, "six", "fd00::/8,fd00:1::/32,fd00:1::1/128"), 0);
	assert_int_equal(tp_rule(m, 1, "host", "db", "tcp/1", "allow"), 0);
	assert_int_equal(tp_rule(m, 2, "small", "db", "tcp/2", "allow"), 0);
	assert_int_equal(tp_rule(m, 3, "big", "db", "tcp/3", "allow"), 0);
	assert_int_equal(tp_rule(m, 4, "six", "db", "tcp/4", "allow"), 0);
	p = tp_compile(m);
	/* host has 0.0.0.0/0 too, so every IPv4 peer is in it. */
	assert_int_equal(tp_eval(p, DB, POLICY_INGRESS, "1.2.3.4", POLICY_PROTO_TCP, 1).rule_id, 1);
	assert_int_equal(tp_eval(p, DB, POLICY_INGRESS, "10.1.2.3", POLICY_PROTO_TCP, 2).rule_id,
			 2);
	assert_int_equal(tp_eval(p, DB, POLICY_INGRESS, "10.1.9.9", POLICY_PROTO_TCP, 2).rule_id,
			 2);
	assert_int_equal(tp_eval(p, DB, POLICY_INGRESS, "10.2.0.0", POLICY_PROTO_TCP, 2).rule_id,
			 0);
	assert_int_equal(tp_eval(p, DB, POLICY_INGRESS, "10.2.0.0", POLICY_PROTO_TCP, 3).rule_id,
			 3);
	assert_int_equal(tp_eval(p, DB, POLICY_INGRESS, "11.0.0.0", POLICY_PROTO_TCP, 3).rule_id,
			 0);
	/* ::/0 holds every IPv6 address, none of the IPv4 ones. */
	assert_int_equal(tp_eval(p, DB, POLICY_INGRESS, "::", POLICY_PROTO_TCP, 3).rule_id, 3);
	assert_int_equal(tp_eval(p, DB, POLICY_INGRESS, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
				 POLICY_PROTO_TCP, 3)
			     .rule_id,
			 3);
	assert_int_equal(
	    tp_eval(p, DB, POLICY_INGRESS, "::ffff:1.2.3.4", POLICY_PROTO_TCP, 1).rule_id, 0);
	assert_int_equal(tp_eval(p, DB, POLICY_INGRESS, "fd00:1::1", POLICY_PROTO_TCP, 4).rule_id,
			 4);
	assert_int_equal(tp_eval(p, DB, POLICY_INGRESS, "fdff::", POLICY_PROTO_TCP, 4).rule_id, 4);
	assert_int_equal(tp_eval(p, DB, POLICY_INGRESS, "fe00::", POLICY_PROTO_TCP, 4).rule_id, 0);
	policy_free(p);
	policy_model_free(m);
}

static void test_protocols(void **state)
{
	struct policy_model *m = base_model(BH_MODE_PROTECT, BH_MODE_PROTECT);
	struct policy *p;

	(void)state;
	assert_int_equal(tp_rule(m, 1, "client", "web", "icmp", "allow"), 0);
	assert_int_equal(tp_rule(m, 2, "client", "db", "any", "allow"), 0);
	assert_int_equal(tp_rule(m, 3, "web", "db", "tcp/any,udp/53", "allow"), 0);
	p = tp_compile(m);
	/* icmp: the port field is ignored; ICMPv6 is icmp. */
	assert_int_equal(tp_eval(p, CLIENT, POLICY_EGRESS, v4.web, POLICY_PROTO_ICMP, 0).rule_id,
			 1);
	assert_int_equal(tp_eval(p, CLIENT, POLICY_EGRESS, v6.web, POLICY_PROTO_ICMP, 777).rule_id,
			 1);
	assert_int_equal(tp_eval(p, CLIENT, POLICY_EGRESS, v4.web, POLICY_PROTO_TCP, 0).rule_id, 0);
	assert_int_equal(tp_eval(p, CLIENT, POLICY_EGRESS, v4.web, POLICY_PROTO_OTHER, 0).rule_id,
			 0);
	/* any: every protocol. */
	for (int pr = 0; pr < POLICY_PROTO__MAX; pr++)
		assert_int_equal(tp_eval(p, CLIENT, POLICY_EGRESS, "10.99.0.3", pr, 5).rule_id, 2);
	assert_int_equal(tp_eval(p, WEB, POLICY_EGRESS, "10.99.0.3", POLICY_PROTO_TCP, 1).rule_id,
			 3);
	assert_int_equal(tp_eval(p, WEB, POLICY_EGRESS, "10.99.0.3", POLICY_PROTO_UDP, 53).rule_id,
			 3);
	assert_int_equal(tp_eval(p, WEB, POLICY_EGRESS, "10.99.0.3", POLICY_PROTO_UDP, 54).rule_id,
			 0);
	assert_int_equal(tp_eval(p, WEB, POLICY_EGRESS, "10.99.0.3", POLICY_PROTO_ICMP, 0).rule_id,
			 0);
	policy_free(p);
	policy_model_free(m);
}

static struct policy_verdict eval_app(const struct policy *p, uint32_t wl, enum policy_dir dir,
				      const char *peer, uint16_t port, enum bh_app app)
{
	struct policy_query q = tp_q(wl, dir, peer, POLICY_PROTO_TCP, port);
	struct policy_verdict v;

	q.app = (uint8_t)app;
	assert_int_equal(policy_eval(p, &q, &v), 0);
	return v;
}

/*
 * Rules with apps: while the app is pending an allow rule matches provisionally and a
 * deny rule waits; a known app must be listed; "unknown" matches no rule with apps.
 */
static void test_app_rules(void **state)
{
	struct policy_model *m = base_model(BH_MODE_PROTECT, BH_MODE_PROTECT);
	const char *http[] = {"http"}, *ssh[] = {"ssh", "tls"};
	struct policy_rule_spec r1 = {.id = 1, .from = "client", .to = "web", .ports = "tcp/80",
				      .action = "allow", .apps = http, .n_apps = 1};
	struct policy_rule_spec r2 = {.id = 2, .from = "client", .to = "web", .ports = "tcp/any",
				      .action = "deny", .apps = ssh, .n_apps = 2};
	struct policy_rule_spec r3 = {.id = 3, .from = "client", .to = "web", .ports = "tcp/22",
				      .action = "allow"};
	const char *bad[] = {"gopher"};
	struct policy_rule_spec rb = {.id = 9, .from = "client", .to = "web", .ports = "tcp/80",
				      .action = "allow", .apps = bad, .n_apps = 1};
	struct policy_verdict v;
	struct policy *p;
	char buf[512];

	(void)state;
	assert_int_equal(policy_rule_add(m, &r1, NULL, NULL, 0), 0);
	assert_int_equal(policy_rule_add(m, &r2, NULL, NULL, 0), 0);
	assert_int_equal(policy_rule_add(m, &r3, NULL, NULL, 0), 0);
	assert_int_equal(policy_rule_add(m, &rb, NULL, buf, sizeof(buf)), -EINVAL);
	assert_non_null(strstr(buf, "unknown app"));
	p = tp_compile(m);
	/* tcp/80: pending -> provisional allow by 1; http -> 1; anything else -> default */
	v = eval_app(p, CLIENT, POLICY_EGRESS, v4.web, 80, BH_APP_PENDING);
	assert_int_equal(v.rule_id, 1);
	assert_true(v.provisional);
	assert_int_equal(v.action, POLICY_ALLOW);
	v = eval_app(p, CLIENT, POLICY_EGRESS, v4.web, 80, BH_APP_HTTP);
	assert_int_equal(v.rule_id, 1);
	assert_false(v.provisional);
	v = eval_app(p, WEB, POLICY_INGRESS, v4.client, 80, BH_APP_HTTP);
	assert_int_equal(v.rule_id, 1);
	v = eval_app(p, CLIENT, POLICY_EGRESS, v4.web, 80, BH_APP_UNKNOWN);
	assert_int_equal(v.rule_id, 0);
	assert_int_equal(v.action, POLICY_BLOCK);
	v = eval_app(p, CLIENT, POLICY_EGRESS, v4.web, 80, BH_APP_REDIS);
	assert_int_equal(v.rule_id, 0);
	/* tcp/22: the deny rule with apps waits while pending, then wins for ssh only */
	v = eval_app(p, CLIENT, POLICY_EGRESS, v4.web, 22, BH_APP_PENDING);
	assert_int_equal(v.rule_id, 3);
	assert_false(v.provisional);
	v = eval_app(p, CLIENT, POLICY_EGRESS, v4.web, 22, BH_APP_SSH);
	assert_int_equal(v.rule_id, 2);
	assert_int_equal(v.action, POLICY_BLOCK);
	v = eval_app(p, CLIENT, POLICY_EGRESS, v4.web, 22, BH_APP_HTTP);
	assert_int_equal(v.rule_id, 3);
	/* explain names the app and the rule's apps */
	{
		struct policy_query q = tp_q(CLIENT, POLICY_EGRESS, v4.web, POLICY_PROTO_TCP, 22);

		q.app = BH_APP_SSH;
		assert_true(policy_explain(p, &q, buf, sizeof(buf)) > 0);
		assert_non_null(strstr(buf, "tcp/22 app ssh"));
		assert_non_null(strstr(buf, "app tls,ssh deny"));
	}
	policy_free(p);
	policy_model_free(m);
}

static void test_app_names(void **state)
{
	enum bh_app a;

	(void)state;
	assert_int_equal(policy_app_parse("http", &a), 0);
	assert_int_equal(a, BH_APP_HTTP);
	assert_int_equal(policy_app_parse("unknown", &a), -EINVAL);
	assert_int_equal(policy_app_parse("pending", &a), -EINVAL);
	assert_int_equal(policy_app_parse(NULL, &a), -EINVAL);
	for (int i = 0; i < BH_APP__MAX; i++) {
		assert_true(policy_name_valid(policy_app_name(i)));
		if (i >= BH_APP_FIRST_NAMED) {
			assert_int_equal(policy_app_parse(policy_app_name(i), &a), 0);
			assert_int_equal(a, i);
		}
	}
	assert_string_equal(policy_app_name(BH_APP__MAX), "unknown");
}

static void test_unknown_and_bad_query(void **state)
{
	struct policy_model *m = base_model(BH_MODE_PROTECT, BH_MODE_PROTECT);
	struct policy *p = tp_compile(m);
	struct policy_query q = tp_q(99, POLICY_EGRESS, v4.web, POLICY_PROTO_TCP, 80);
	struct policy_verdict v;
	char buf[256];

	(void)state;
	assert_int_equal(policy_eval(p, &q, &v), -ENOENT);
	assert_int_equal(v.action, POLICY_ALLOW);
	assert_string_equal(v.reason, "unknown workload");
	assert_int_equal(policy_explain(p, &q, buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "workload 99 is not in this policy");
	q = tp_q(CLIENT, POLICY_EGRESS, v4.web, POLICY_PROTO_TCP, 80);
	q.dir = 7;
	assert_int_equal(policy_eval(p, &q, &v), -EINVAL);
	q.dir = POLICY_EGRESS;
	q.proto = 9;
	assert_int_equal(policy_eval(p, &q, &v), -EINVAL);
	q.proto = POLICY_PROTO_TCP;
	q.peer.family = 0;
	assert_int_equal(policy_eval(p, &q, &v), -EINVAL);
	policy_free(p);
	policy_model_free(m);
}

/* Removing a workload or a rule takes effect at the next compile; the old policy is intact. */
static void test_compiled_is_snapshot(void **state)
{
	struct policy_model *m = base_model(BH_MODE_PROTECT, BH_MODE_PROTECT);
	struct policy *old, *new;

	(void)state;
	assert_int_equal(tp_rule(m, 1, "client", "web", "tcp/80", "allow"), 0);
	old = tp_compile(m);
	assert_int_equal(policy_rule_del(m, 1, NULL, 0), 0);
	assert_int_equal(policy_workload_del(m, CLIENT), 0);
	new = tp_compile(m);
	assert_true(policy_generation(new) > policy_generation(old));
	assert_int_equal(tp_eval(old, CLIENT, POLICY_EGRESS, v4.web, POLICY_PROTO_TCP, 80).rule_id,
			 1);
	assert_int_equal(tp_eval(new, WEB, POLICY_INGRESS, v4.client, POLICY_PROTO_TCP, 80).action,
			 POLICY_BLOCK);
	policy_free(old);
	policy_free(new);
	policy_model_free(m);
}

static void test_explain(void **state)
{
	struct policy_model *m = base_model(BH_MODE_PROTECT, BH_MODE_MONITOR);
	struct policy *p;
	struct policy_query q;
	char buf[512];

	(void)state;
	assert_int_equal(tp_rule(m, 3, "client", "web", "tcp/80,tcp/8000-8080", "allow"), 0);
	assert_int_equal(tp_rule(m, 4, "any", "web", "tcp/22", "deny"), 0);
	p = tp_compile(m);
	q = tp_q(CLIENT, POLICY_EGRESS, v4.web, POLICY_PROTO_TCP, 80);
	assert_true(policy_explain(p, &q, buf, sizeof(buf)) > 0);
	assert_string_equal(buf,
			    "egress of client to 10.99.0.2 (web) tcp/80: rule 3 (client -> web "
			    "tcp/80,tcp/8000-8080 allow) matches; mode protect => allow");
	q = tp_q(WEB, POLICY_INGRESS, "8.8.8.8", POLICY_PROTO_TCP, 22);
	policy_explain(p, &q, buf, sizeof(buf));
	assert_string_equal(buf,
			    "ingress of web from 8.8.8.8 (external) tcp/22: rule 4 (any -> web "
			    "tcp/22 deny) matches; mode monitor => allow, violation");
	q = tp_q(CLIENT, POLICY_EGRESS, "fd99::3", POLICY_PROTO_ICMP, 0);
	policy_explain(p, &q, buf, sizeof(buf));
	assert_string_equal(buf, "egress of client to fd99::3 (db) icmp: no rule matches; "
				 "mode protect => block, violation");
	/* Truncation is safe and NUL-terminated. */
	assert_int_equal(policy_explain(p, &q, buf, 10), 9);
	assert_int_equal(strlen(buf), 9);
	policy_free(p);
	policy_model_free(m);

	m = base_model(BH_MODE_QUARANTINE, BH_MODE_DISCOVER);
	p = tp_compile(m);
	q = tp_q(CLIENT, POLICY_EGRESS, v4.web, POLICY_PROTO_UDP, 53);
	policy_explain(p, &q, buf, sizeof(buf));
	assert_string_equal(buf, "egress of client to 10.99.0.2 (web) udp/53: rules ignored; "
				 "mode quarantine => block, violation");
	q = tp_q(WEB, POLICY_INGRESS, v4.client, POLICY_PROTO_UDP, 53);
	policy_explain(p, &q, buf, sizeof(buf));
	assert_string_equal(buf, "ingress of web from 10.99.0.1 (client) udp/53: no rule matches; "
				 "mode discover => allow, learn");
	policy_free(p);
	policy_model_free(m);
}

/* ---- randomized: compiled evaluation == naive reading of §2 ---- */

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static bool in_cidr(const struct policy_cidr *c, const struct policy_addr *a)
{
	if (c->addr.family != a->family)
		return false;
	for (unsigned b = 0; b < c->plen; b++) {
		uint8_t bit = 0x80 >> (b % 8);

		if ((c->addr.a[b / 8] & bit) != (a->a[b / 8] & bit))
			return false;
	}
	return true;
}

static bool group_has_addr(const struct policy_model *m, const char *g, const struct policy_addr *a)
{
	const struct policy_group *grp = policy_group_find(m, g);

	for (size_t i = 0; grp && i < grp->n_cidrs; i++) {
		if (in_cidr(&grp->cidrs[i], a))
			return true;
	}
	return false;
}

static bool wl_named(const struct policy_workload *w, const char *g)
{
	if (!strcmp(w->name, g))
		return true;
	for (size_t i = 0; i < w->n_groups; i++) {
		if (!strcmp(w->groups[i], g))
			return true;
	}
	return false;
}

static bool this_in(const struct policy_model *m, const struct policy_workload *w, const char *g)
{
	if (!strcmp(g, "any") || wl_named(w, g))
		return true;
	for (size_t i = 0; i < w->n_addrs; i++) {
		if (group_has_addr(m, g, &w->addrs[i]))
			return true;
	}
	return false;
}

static const struct policy_workload *wl_of(const struct policy_model *m,
					   const struct policy_addr *a)
{
	for (size_t i = 0; i < policy_workload_count(m); i++) {
		const struct policy_workload *w = policy_workload_at(m, i);

		for (size_t j = 0; j < w->n_addrs; j++) {
			if (w->addrs[j].family == a->family &&
			    !memcmp(w->addrs[j].a, a->a, a->family == AF_INET ? 4 : 16))
				return w;
		}
	}
	return NULL;
}

static bool peer_in(const struct policy_model *m, const struct policy_addr *a, const char *g)
{
	const struct policy_workload *w = wl_of(m, a);

	if (!strcmp(g, "any") || group_has_addr(m, g, a))
		return true;
	return w ? wl_named(w, g) : !strcmp(g, "external");
}

static bool naive_app(const struct policy_rule *r, uint8_t app)
{
	if (app == BH_APP_PENDING)
		return r->action == POLICY_ACTION_ALLOW;
	for (size_t i = 0; i < r->n_apps; i++)
		if (!strcmp(r->apps[i], policy_app_name(app)) && app != BH_APP_UNKNOWN)
			return true;
	return false;
}

static uint32_t naive_first(const struct policy_model *m, const struct policy_query *q)
{
	const struct policy_workload *w = policy_workload_find(m, q->wl_id);

	for (size_t i = 0; i < policy_rule_count(m); i++) {
		const struct policy_rule *r = policy_rule_at(m, i);
		const char *mine = q->dir == POLICY_EGRESS ? r->from : r->to;
		const char *theirs = q->dir == POLICY_EGRESS ? r->to : r->from;

		if (!this_in(m, w, mine) || !peer_in(m, &q->peer, theirs))
			continue;
		if (r->n_apps && !naive_app(r, q->app))
			continue;
		if (policy_ports_match(r->ports, r->n_ports, q->proto, q->port))
			return r->id;
	}
	return 0;
}

static const char *const rnd_groups[] = {"any", "external", "g0", "g1",	   "g2",    "w0",   "w1",
					 "w2",	"w3",	    "w4", "cidr0", "cidr1", "cidr2"};
static const char *const rnd_cidrs[] = {"10.0.0.0/8", "10.0.0.0/24", "10.0.0.4/30",
					"fd00::/16",  "fd00::/120",  "0.0.0.0/0"};

static void rnd_addr(uint32_t *s, struct policy_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (rnd(s) & 1) {
		a->family = AF_INET;
		a->a[0] = rnd(s) % 4 ? 10 : 11;
		a->a[3] = rnd(s) % 12;
	} else {
		a->family = AF_INET6;
		a->a[0] = 0xfd;
		a->a[1] = rnd(s) % 4 ? 0 : 1;
		a->a[15] = rnd(s) % 12;
	}
}

static void rnd_ports(uint32_t *s, char *buf, size_t len)
{
	static const char *const pick[] = {"any", "icmp", "tcp/any", "udp/any"};
	uint32_t k = rnd(s) % 8, lo = 1 + rnd(s) % 30, hi = lo + rnd(s) % 10;

	if (k < 4)
		snprintf(buf, len, "%s", pick[k]);
	else if (k < 6)
		snprintf(buf, len, "%s/%u", k == 4 ? "tcp" : "udp", lo);
	else
		snprintf(buf, len, "tcp/%u-%u,udp/%u", lo, hi, hi);
}

static const char *const rnd_apps[] = {"http", "tls", "ssh"};

static struct policy_model *rnd_model(uint32_t *s)
{
	struct policy_model *m = policy_model_new();
	char buf[64], name[8];

	tp_group(m, "g0", NULL);
	tp_group(m, "g1", NULL);
	tp_group(m, "g2", NULL);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "cidr%d", i);
		snprintf(buf, sizeof(buf), "%s,%s", rnd_cidrs[rnd(s) % 6], rnd_cidrs[rnd(s) % 6]);
		tp_group(m, name, buf);
	}
	for (uint32_t i = 0; i < 5; i++) {
		struct policy_addr a[2];
		const char *g = rnd_groups[2 + rnd(s) % 3];
		struct policy_workload_spec w = {.id = i + 1,
						 .name = name,
						 .mode = rnd(s) % 4,
						 .groups = &g,
						 .n_groups = rnd(s) % 2,
						 .addrs = a,
						 .n_addrs = 2};

		snprintf(name, sizeof(name), "w%u", i);
		rnd_addr(s, &a[0]);
		rnd_addr(s, &a[1]);
		policy_workload_set(m, &w, NULL, 0); /* may clash on an address: fine */
	}
	for (int i = 0, n = 1 + rnd(s) % 40; i < n; i++) {
		uint32_t id = rnd(s) % 4 ? 1 + rnd(s) % 60 : 10001 + rnd(s) % 20;

		const char *apps[2] = {rnd_apps[rnd(s) % 3], rnd_apps[rnd(s) % 3]};
		struct policy_rule_spec r = {.id = id, .from = rnd_groups[rnd(s) % 13],
					     .to = rnd_groups[rnd(s) % 13], .ports = buf,
					     .action = rnd(s) % 3 ? "allow" : "deny", .apps = apps,
					     .n_apps = rnd(s) % 3 ? 0 : 1 + rnd(s) % 2};

		rnd_ports(s, buf, sizeof(buf));
		if (id > POLICY_USER_ID_MAX)
			r.learned = true;
		policy_rule_add(m, &r, NULL, NULL, 0); /* may clash on an id: fine */
	}
	return m;
}

static void test_random_vs_naive(void **state)
{
	uint32_t seed = 0x1234567;

	(void)state;
	for (int round = 0; round < 300; round++) {
		struct policy_model *m = rnd_model(&seed);
		struct policy *p = tp_compile(m);

		for (int i = 0; i < 400; i++) {
			struct policy_query q = {.wl_id = 1 + rnd(&seed) % 6,
						 .dir = rnd(&seed) % 2,
						 .proto = rnd(&seed) % 4,
						 .port = rnd(&seed) % 45,
						 .app = rnd(&seed) % 7};
			struct policy_verdict v;
			uint32_t want;

			rnd_addr(&seed, &q.peer);
			if (!policy_workload_find(m, q.wl_id)) {
				assert_int_equal(policy_eval(p, &q, &v), -ENOENT);
				continue;
			}
			assert_int_equal(policy_eval(p, &q, &v), 0);
			if (q.proto > POLICY_PROTO_UDP)
				q.port = 0;
			want = v.mode == BH_MODE_QUARANTINE ? 0 : naive_first(m, &q);
			if (v.rule_id != want)
				fail_msg("round %d query %d: got rule %u, want %u", round, i,
					 v.rule_id, want);
		}
		policy_free(p);
		policy_model_free(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mode_table_v4),
	    cmocka_unit_test(test_mode_table_v6),
	    cmocka_unit_test(test_each_end_own_mode),
	    cmocka_unit_test(test_first_match_by_id),
	    cmocka_unit_test(test_external_vs_workload),
	    cmocka_unit_test(test_cidr_groups),
	    cmocka_unit_test(test_nested_cidrs),
	    cmocka_unit_test(test_protocols),
	    cmocka_unit_test(test_app_rules),
	    cmocka_unit_test(test_app_names),
	    cmocka_unit_test(test_unknown_and_bad_query),
	    cmocka_unit_test(test_compiled_is_snapshot),
	    cmocka_unit_test(test_explain),
	    cmocka_unit_test(test_random_vs_naive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
