/*
 * test-policy-learn.c - src/policy/policy-learn.c: discover mode learning end to
 * end (eval -> learn request -> rule -> recompile), aggregation without
 * duplicates, external peers, and promotion to user rules.
 */
#include <errno.h>

#include "test-policy.h"

enum { CLIENT = 1, WEB = 2 };

static struct policy_model *model(void)
{
	struct policy_model *m = policy_model_new();

	assert_int_equal(tp_wl(m, CLIENT, "client", BH_MODE_DISCOVER, NULL, "10.0.0.1,fd00::1"), 0);
	assert_int_equal(tp_wl(m, WEB, "web", BH_MODE_DISCOVER, NULL, "10.0.0.2,fd00::2"), 0);
	return m;
}

static uint32_t learn(struct policy_model *m, const struct policy *p, struct policy_query q,
		      bool *created)
{
	struct policy_learn_req req;
	uint32_t id = 0;
	char err[128];

	assert_int_equal(policy_learn_req_fill(p, &q, &req), 0);
	assert_int_equal(policy_learn(m, &req, 1000, &id, created, err, sizeof(err)), 0);
	return id;
}

static void test_learn_cycle(void **state)
{
	struct policy_model *m = model();
	struct policy *p = tp_compile(m);
	struct policy_query qe = tp_q(CLIENT, POLICY_EGRESS, "10.0.0.2", POLICY_PROTO_TCP, 80);
	struct policy_query qi = tp_q(WEB, POLICY_INGRESS, "10.0.0.1", POLICY_PROTO_TCP, 80);
	const struct policy_rule *r;
	struct policy_verdict v;
	char ports[32];
	bool created;

	(void)state;
	v = tp_eval(p, CLIENT, POLICY_EGRESS, "10.0.0.2", POLICY_PROTO_TCP, 80);
	assert_true(v.learn);
	assert_int_equal(learn(m, p, qe, &created), POLICY_LEARN_ID_MIN);
	assert_true(created);
	/* The server end of the same session reports the same tuple: no second rule. */
	assert_int_equal(learn(m, p, qi, &created), POLICY_LEARN_ID_MIN);
	assert_false(created);
	/* IPv6 session of the same conversation: same rule. */
	qe.peer = tp_addr("fd00::2");
	assert_int_equal(learn(m, p, qe, &created), POLICY_LEARN_ID_MIN);
	assert_false(created);
	assert_int_equal(policy_rule_count(m), 1);

	r = policy_rule_find(m, POLICY_LEARN_ID_MIN);
	assert_true(r->learned);
	assert_string_equal(r->from, "client");
	assert_string_equal(r->to, "web");
	assert_int_equal(r->action, POLICY_ACTION_ALLOW);
	assert_int_equal(r->created, 1000);
	policy_ports_format(r->ports, r->n_ports, ports, sizeof(ports));
	assert_string_equal(ports, "tcp/80");

	policy_free(p);
	p = tp_compile(m);
	v = tp_eval(p, CLIENT, POLICY_EGRESS, "10.0.0.2", POLICY_PROTO_TCP, 80);
	assert_false(v.learn);
	assert_int_equal(v.rule_id, POLICY_LEARN_ID_MIN);
	v = tp_eval(p, WEB, POLICY_INGRESS, "fd00::1", POLICY_PROTO_TCP, 80);
	assert_int_equal(v.rule_id, POLICY_LEARN_ID_MIN);
	/* Another port is another conversation. */
	qe.port = 443;
	assert_int_equal(learn(m, p, qe, &created), POLICY_LEARN_ID_MIN + 1);
	assert_true(created);
	policy_free(p);
	policy_model_free(m);
}

static void test_learn_tuples(void **state)
{
	struct policy_model *m = model();
	struct policy *p = tp_compile(m);
	struct policy_learn_req req;
	struct policy_query q;
	const struct policy_rule *r;
	char ports[32];
	uint32_t id;

	(void)state;
	q = tp_q(WEB, POLICY_INGRESS, "8.8.8.8", POLICY_PROTO_UDP, 53);
	assert_int_equal(policy_learn_req_fill(p, &q, &req), 0);
	assert_string_equal(req.from, "external");
	assert_string_equal(req.to, "web");
	id = learn(m, p, q, NULL);
	r = policy_rule_find(m, id);
	policy_ports_format(r->ports, r->n_ports, ports, sizeof(ports));
	assert_string_equal(ports, "udp/53");

	q = tp_q(CLIENT, POLICY_EGRESS, "2001:db8::1", POLICY_PROTO_ICMP, 1234);
	assert_int_equal(policy_learn_req_fill(p, &q, &req), 0);
	assert_string_equal(req.from, "client");
	assert_string_equal(req.to, "external");
	assert_int_equal(req.port, 0);
	r = policy_rule_find(m, learn(m, p, q, NULL));
	policy_ports_format(r->ports, r->n_ports, ports, sizeof(ports));
	assert_string_equal(ports, "icmp");

	q = tp_q(CLIENT, POLICY_EGRESS, "10.0.0.2", POLICY_PROTO_OTHER, 0);
	r = policy_rule_find(m, learn(m, p, q, NULL));
	policy_ports_format(r->ports, r->n_ports, ports, sizeof(ports));
	assert_string_equal(ports, "any");

	/* tcp port 0 is not a conversation worth a rule. */
	q = tp_q(CLIENT, POLICY_EGRESS, "9.9.9.9", POLICY_PROTO_TCP, 0);
	assert_int_equal(policy_learn_req_fill(p, &q, &req), 0);
	assert_int_equal(policy_learn(m, &req, 0, &id, NULL, NULL, 0), -EINVAL);
	q.wl_id = 77;
	assert_int_equal(policy_learn_req_fill(p, &q, &req), -ENOENT);
	strcpy(req.from, "bad name");
	assert_int_equal(policy_learn(m, &req, 0, &id, NULL, NULL, 0), -EINVAL);
	assert_int_equal(policy_rule_count(m), 3);
	policy_free(p);
	policy_model_free(m);
}

/* A user allow rule covering the tuple is returned; a deny rule is not an answer. */
static void test_learn_respects_user_rules(void **state)
{
	struct policy_model *m = model();
	struct policy_learn_req req = {
	    .from = "client", .to = "web", .proto = POLICY_PROTO_TCP, .port = 85};
	bool created;
	uint32_t id;

	(void)state;
	assert_int_equal(tp_rule(m, 1, "client", "web", "tcp/22", "deny"), 0);
	assert_int_equal(tp_rule(m, 2, "client", "web", "tcp/80-90", "allow"), 0);
	assert_int_equal(policy_learn(m, &req, 0, &id, &created, NULL, 0), 0);
	assert_int_equal(id, 2);
	assert_false(created);
	req.port = 22;
	assert_int_equal(policy_learn(m, &req, 0, &id, &created, NULL, 0), 0);
	assert_int_equal(id, POLICY_LEARN_ID_MIN);
	assert_true(created);
	policy_model_free(m);
}

static void test_promote(void **state)
{
	struct policy_model *m = model();
	struct policy_learn_req req = {
	    .from = "client", .to = "web", .proto = POLICY_PROTO_TCP, .port = 80};
	const struct policy_rule *r;
	uint32_t id, uid;
	char err[128];
	char ports[32];

	(void)state;
	assert_int_equal(tp_rule(m, 5, "client", "web", "tcp/22", "deny"), 0);
	assert_int_equal(policy_learn(m, &req, 0, &id, NULL, NULL, 0), 0);
	req.port = 81;
	assert_int_equal(policy_learn(m, &req, 0, &id, NULL, NULL, 0), 0);
	assert_int_equal(id, POLICY_LEARN_ID_MIN + 1);
	assert_int_equal(policy_rule_promote(m, POLICY_LEARN_ID_MIN, &uid, err, sizeof(err)), 0);
	assert_int_equal(uid, 6);
	assert_null(policy_rule_find(m, POLICY_LEARN_ID_MIN));
	r = policy_rule_find(m, 6);
	assert_non_null(r);
	assert_false(r->learned);
	assert_string_equal(r->from, "client");
	policy_ports_format(r->ports, r->n_ports, ports, sizeof(ports));
	assert_string_equal(ports, "tcp/80");
	assert_int_equal(policy_rule_count(m), 3);

	assert_int_equal(policy_rule_promote(m, 6, &uid, err, sizeof(err)), -EINVAL);
	assert_int_equal(policy_rule_promote(m, 999, &uid, err, sizeof(err)), -ENOENT);
	/* Learning the promoted tuple again finds the user rule. */
	req.port = 80;
	assert_int_equal(policy_learn(m, &req, 0, &id, NULL, NULL, 0), 0);
	assert_int_equal(id, 6);
	/* No user id left: the learned rule stays learned. */
	assert_int_equal(tp_rule(m, POLICY_USER_ID_MAX, "client", "web", "udp/1", "allow"), 0);
	assert_int_equal(policy_rule_promote(m, POLICY_LEARN_ID_MIN + 1, &uid, err, sizeof(err)),
			 -ENOSPC);
	assert_true(policy_rule_find(m, POLICY_LEARN_ID_MIN + 1)->learned);
	policy_model_free(m);
}

/* Learned rules aggregate by (from, to, port, app); a rule without apps covers every app. */
static void test_learn_app(void **state)
{
	struct policy_model *m = model();
	struct policy *p = tp_compile(m);
	struct policy_query q = tp_q(CLIENT, POLICY_EGRESS, "10.0.0.2", POLICY_PROTO_TCP, 80);
	const struct policy_rule *r;
	struct policy_verdict v;
	uint32_t http, again, other;
	bool created;

	(void)state;
	q.app = BH_APP_HTTP;
	http = learn(m, p, q, &created);
	assert_true(created);
	r = policy_rule_find(m, http);
	assert_int_equal(r->n_apps, 1);
	assert_string_equal(r->apps[0], "http");
	again = learn(m, p, q, &created);
	assert_false(created);
	assert_int_equal(again, http);
	/* another app on the same port is another rule; unknown learns a port rule */
	q.app = BH_APP_TLS;
	other = learn(m, p, q, &created);
	assert_true(created);
	assert_int_not_equal(other, http);
	q.app = BH_APP_UNKNOWN;
	other = learn(m, p, q, &created);
	assert_true(created);
	assert_int_equal(policy_rule_find(m, other)->n_apps, 0);
	q.app = BH_APP_SSH;
	assert_int_equal(learn(m, p, q, &created), other);
	assert_false(created);
	/* the compiled result: http matches the http rule, pending matches it provisionally */
	policy_free(p);
	p = tp_compile(m);
	q.app = BH_APP_PENDING;
	assert_int_equal(policy_eval(p, &q, &v), 0);
	assert_int_equal(v.rule_id, http);
	assert_true(v.provisional);
	q.app = BH_APP_REDIS;
	assert_int_equal(policy_eval(p, &q, &v), 0);
	assert_int_equal(v.rule_id, other);
	policy_free(p);
	policy_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_learn_cycle),
	    cmocka_unit_test(test_learn_tuples),
	    cmocka_unit_test(test_learn_respects_user_rules),
	    cmocka_unit_test(test_promote),
	    cmocka_unit_test(test_learn_app),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
