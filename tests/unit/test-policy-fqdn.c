/*
 * test-policy-fqdn.c - FQDN groups in src/policy: pattern syntax and errors,
 * normal form and matching (exact, wildcard, case, trailing dot), and
 * policy_eval/explain with a fake table of resolved names: a peer is in the
 * group only for the workload that resolved it, only while live, the group is
 * the union of its CIDRs and its names, and rules with apps see it too.
 */
#include <errno.h>
#include <sys/socket.h>

#include "test-policy.h"

enum { CLIENT = 1, OTHER = 2 };

/* A fake table: (workload, address, name, ttl left) rows. */
struct row {
	uint32_t wl;
	const char *addr;
	const char *name;
	int64_t ttl_ms;
};

struct fake {
	const struct row *rows;
	size_t n;
	int calls;
};

static void fake_each(const void *ctx, uint32_t wl_id, const struct policy_addr *peer,
		      policy_fqdn_fn fn, void *arg)
{
	struct fake *f = (struct fake *)ctx;

	f->calls++;
	for (size_t i = 0; i < f->n; i++) {
		struct policy_addr a = tp_addr(f->rows[i].addr);

		if (f->rows[i].wl == wl_id && a.family == peer->family &&
		    !memcmp(a.a, peer->a, a.family == AF_INET ? 4 : 16))
			fn(arg, f->rows[i].name, f->rows[i].ttl_ms);
	}
}

static int fqdn_group(struct policy_model *m, const char *name, const char *cidrs,
		      const char *fqdns, char *err, size_t errlen)
{
	const char *cv[16], *fv[16];
	char cbuf[512], fbuf[512];
	struct policy_group_spec g = {.name = name, .cidrs = cv, .fqdns = fv};

	g.n_cidrs = tp_split(cidrs, cbuf, sizeof(cbuf), cv, 16);
	g.n_fqdns = tp_split(fqdns, fbuf, sizeof(fbuf), fv, 16);
	return policy_group_add(m, &g, err, errlen);
}

static void test_patterns(void **state)
{
	static const char *const good[] = {"api.example.com", "API.Example.COM.", "*.svc.test", "x",
					   "a-b_c.d",	      "*.test."};
	static const struct {
		const char *p, *why;
	} bad[] = {
	    {"", "empty"},
	    {"*", "'*' only"},
	    {"*.", "'*' only"},
	    {"a.*.b", "'*' only"},
	    {"*foo.test", "'*' only"},
	    {"a..b", "empty label"},
	    {".a", "empty label"},
	    {"a b", "letters, digits"},
	    {"a/b", "letters, digits"},
	    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", "63"},
	};
	char norm[254], err[256];
	bool wild;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(policy_fqdn_parse(good[i], norm, &wild, err, sizeof(err)), 0);
	assert_int_equal(policy_fqdn_parse("API.Example.COM.", norm, &wild, NULL, 0), 0);
	assert_string_equal(norm, "api.example.com");
	assert_false(wild);
	assert_int_equal(policy_fqdn_parse("*.Svc.Test", norm, &wild, NULL, 0), 0);
	assert_string_equal(norm, "svc.test");
	assert_true(wild);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(policy_fqdn_parse(bad[i].p, norm, &wild, err, sizeof(err)),
				 -EINVAL);
		if (!strstr(err, bad[i].why) || !strstr(err, "bad FQDN pattern"))
			fail_msg("'%s': %s", bad[i].p, err);
	}
}

static void test_match(void **state)
{
	(void)state;
	assert_true(policy_fqdn_match("api.example.com", 15, false, "api.example.com", 15));
	assert_false(policy_fqdn_match("api.example.com", 15, false, "xapi.example.com", 16));
	assert_false(policy_fqdn_match("api.example.com", 15, false, "a.api.example.com", 17));
	assert_true(policy_fqdn_match("svc.test", 8, true, "a.svc.test", 10));
	assert_true(policy_fqdn_match("svc.test", 8, true, "a.b.svc.test", 12));
	assert_false(policy_fqdn_match("svc.test", 8, true, "svc.test", 8));
	assert_false(policy_fqdn_match("svc.test", 8, true, "asvc.test", 9));
	assert_false(policy_fqdn_match("svc.test", 8, true, ".svc.test", 9));
}

/* Group add refuses a bad pattern with a one-line reason naming the group. */
static void test_group_errors(void **state)
{
	struct policy_model *m = policy_model_new();
	char err[256];

	(void)state;
	assert_int_equal(fqdn_group(m, "api", NULL, "a.*.b", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "group api: bad FQDN pattern 'a.*.b'"));
	assert_null(strchr(err, '\n'));
	assert_null(policy_group_find(m, "api"));
	assert_int_equal(
	    fqdn_group(m, "api", "10.0.0.0/8", "api.example.test,*.svc.test", err, sizeof(err)), 0);
	assert_int_equal(policy_group_find(m, "api")->n_fqdns, 2);
	policy_model_free(m);
}

static struct policy_model *fqdn_model(void)
{
	struct policy_model *m = policy_model_new();
	char err[256];

	assert_int_equal(fqdn_group(m, "api", NULL, "API.example.test.", err, sizeof(err)), 0);
	assert_int_equal(fqdn_group(m, "svc", "192.168.7.0/24", "*.svc.test", err, sizeof(err)), 0);
	assert_int_equal(tp_wl(m, CLIENT, "client", BH_MODE_PROTECT, NULL, "10.99.0.1"), 0);
	assert_int_equal(tp_wl(m, OTHER, "other", BH_MODE_PROTECT, NULL, "10.99.0.2"), 0);
	assert_int_equal(tp_rule(m, 1, "client", "api", "tcp/80", "allow"), 0);
	assert_int_equal(tp_rule(m, 2, "other", "api", "tcp/80", "allow"), 0);
	assert_int_equal(tp_rule(m, 3, "client", "svc", "tcp/443", "allow"), 0);
	return m;
}

static const struct row rows[] = {
    {CLIENT, "10.99.0.7", "api.example.test", 2000},
    {CLIENT, "10.99.0.8", "other.example.test", 2000},
    {CLIENT, "10.99.0.9", "db.svc.test", -500}, /* in grace: still live */
    {CLIENT, "fd99::7", "api.example.test", 1000},
};

static struct policy_verdict eval(const struct policy *p, struct fake *f, uint32_t wl,
				  const char *peer, uint16_t port)
{
	struct policy_fqdn_src src = {fake_each, f};
	struct policy_query q = tp_q(wl, POLICY_EGRESS, peer, POLICY_PROTO_TCP, port);
	struct policy_verdict v;

	q.fqdn = f ? &src : NULL;
	assert_int_equal(policy_eval(p, &q, &v), 0);
	return v;
}

static void test_eval(void **state)
{
	struct policy_model *m = fqdn_model();
	struct policy *p = tp_compile(m);
	struct fake f = {rows, sizeof(rows) / sizeof(rows[0]), 0};
	struct policy_verdict v;

	(void)state;
	assert_int_equal(policy_fqdn_count(p), 2);
	assert_true(policy_fqdn_wanted(p, "api.example.test"));
	assert_true(policy_fqdn_wanted(p, "x.svc.test"));
	assert_false(policy_fqdn_wanted(p, "svc.test"));
	assert_false(policy_fqdn_wanted(p, "other.example.test"));
	/* resolved by the client: allowed by rule 1 */
	v = eval(p, &f, CLIENT, "10.99.0.7", 80);
	assert_int_equal(v.action, POLICY_ALLOW);
	assert_int_equal(v.rule_id, 1);
	v = eval(p, &f, CLIENT, "fd99::7", 80);
	assert_int_equal(v.rule_id, 1);
	/* another port, another name, no table, another workload: not in the group */
	assert_int_equal(eval(p, &f, CLIENT, "10.99.0.7", 81).action, POLICY_BLOCK);
	assert_int_equal(eval(p, &f, CLIENT, "10.99.0.8", 80).action, POLICY_BLOCK);
	assert_int_equal(eval(p, NULL, CLIENT, "10.99.0.7", 80).action, POLICY_BLOCK);
	assert_int_equal(eval(p, &f, OTHER, "10.99.0.7", 80).action, POLICY_BLOCK);
	/* wildcard group: by name (in grace) or by its CIDR, the union */
	assert_int_equal(eval(p, &f, CLIENT, "10.99.0.9", 443).rule_id, 3);
	assert_int_equal(eval(p, &f, CLIENT, "192.168.7.5", 443).rule_id, 3);
	assert_int_equal(eval(p, &f, CLIENT, "10.99.0.10", 443).action, POLICY_BLOCK);
	policy_free(p);
	policy_model_free(m);
}

/* A policy without FQDN groups never asks the table. */
static void test_no_patterns_no_lookup(void **state)
{
	struct policy_model *m = policy_model_new();
	struct fake f = {rows, sizeof(rows) / sizeof(rows[0]), 0};
	struct policy *p;

	(void)state;
	assert_int_equal(tp_wl(m, CLIENT, "client", BH_MODE_PROTECT, NULL, "10.99.0.1"), 0);
	p = tp_compile(m);
	eval(p, &f, CLIENT, "10.99.0.7", 80);
	assert_int_equal(f.calls, 0);
	policy_free(p);
	policy_model_free(m);
}

static void test_app_rule(void **state)
{
	struct policy_model *m = fqdn_model();
	struct fake f = {rows, sizeof(rows) / sizeof(rows[0]), 0};
	struct policy_rule_spec r = {
	    .id = 0, .from = "client", .to = "api", .ports = "tcp/8080", .action = "allow"};
	const char *apps[] = {"http"};
	struct policy_verdict v;
	struct policy *p;
	char err[256];

	(void)state;
	r.apps = apps;
	r.n_apps = 1;
	assert_int_equal(policy_rule_add(m, &r, NULL, err, sizeof(err)), 0);
	p = tp_compile(m);
	v = eval(p, &f, CLIENT, "10.99.0.7", 8080);
	assert_int_equal(v.action, POLICY_ALLOW);
	assert_true(v.provisional);
	assert_int_equal(eval(p, &f, CLIENT, "10.99.0.8", 8080).action, POLICY_BLOCK);
	policy_free(p);
	policy_model_free(m);
}

static void test_explain(void **state)
{
	struct policy_model *m = fqdn_model();
	struct policy *p = tp_compile(m);
	struct fake f = {rows, sizeof(rows) / sizeof(rows[0]), 0};
	struct policy_fqdn_src src = {fake_each, &f};
	struct policy_query q = tp_q(CLIENT, POLICY_EGRESS, "10.99.0.7", POLICY_PROTO_TCP, 80);
	char buf[1024];

	(void)state;
	q.fqdn = &src;
	assert_true(policy_explain(p, &q, buf, sizeof(buf)) > 0);
	if (!strstr(buf, "[in api: resolved api.example.test, ttl 2.0s left]") ||
	    !strstr(buf, "rule 1"))
		fail_msg("%s", buf);
	q = tp_q(CLIENT, POLICY_EGRESS, "10.99.0.9", POLICY_PROTO_TCP, 443);
	q.fqdn = &src;
	assert_true(policy_explain(p, &q, buf, sizeof(buf)) > 0);
	if (!strstr(buf, "[in svc: resolved db.svc.test, ttl over, in grace]"))
		fail_msg("%s", buf);
	policy_free(p);
	policy_model_free(m);
}

/* policy.json keeps the patterns as typed and loads them back. */
static void test_json_roundtrip(void **state)
{
	struct policy_model *m = fqdn_model(), *m2 = NULL;
	char *text = policy_model_to_json_str(m), err[256];
	const struct policy_group *g;

	(void)state;
	assert_non_null(text);
	assert_non_null(strstr(text, "\"API.example.test.\""));
	assert_int_equal(policy_model_from_json_str(text, strlen(text), &m2, err, sizeof(err)), 0);
	g = policy_group_find(m2, "svc");
	assert_non_null(g);
	assert_int_equal(g->n_fqdns, 1);
	assert_string_equal(g->fqdns[0], "*.svc.test");
	assert_int_equal(g->n_cidrs, 1);
	free(text);
	policy_model_free(m);
	policy_model_free(m2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_patterns),
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_group_errors),
	    cmocka_unit_test(test_eval),
	    cmocka_unit_test(test_no_patterns_no_lookup),
	    cmocka_unit_test(test_app_rule),
	    cmocka_unit_test(test_explain),
	    cmocka_unit_test(test_json_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
