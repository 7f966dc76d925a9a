/*
 * policy-bench.c - decision time of policy_eval() per new session, by rule count.
 *
 * The dp evaluates policy once per end of every new session, so this is the
 * cost added to connection setup.  Two shapes of policy:
 *  - mixed: 500 workloads (v4 + v6 addresses, explicit groups), CIDR groups,
 *    rules between workloads, groups, CIDRs, any and external, single ports,
 *    ranges and `any`, allow and deny, a fifth of them learned;
 *  - one-pair: every rule from any to any (worst case for the
 *    per-pair port segments).
 * Queries are random sessions aimed at ports the rules use (and misses).
 *
 * Build: gcc -O2 -I src -I src/common bench/micro/policy-bench.c \
 *            build-policy/libbhpolicy.a -ljansson -o /tmp/policy-bench
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "policy/policy.h"

#define N_WL 500
#define N_GROUPS 60
#define N_CIDR_GROUPS 40
#define N_QUERIES (1 << 20)

struct rng {
	uint64_t s;
};

static uint32_t rnd(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (uint32_t)(r->s >> 11);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int ret, const char *err)
{
	fprintf(stderr, "%s: %d %s\n", what, ret, err ? err : "");
	exit(1);
}

static struct policy_addr wl_addr(uint32_t i, bool v6)
{
	struct policy_addr a = {.family = v6 ? AF_INET6 : AF_INET};

	if (v6) {
		a.a[0] = 0xfd;
		a.a[1] = 0x99;
		a.a[14] = (uint8_t)(i >> 8);
		a.a[15] = (uint8_t)i;
	} else {
		a.a[0] = 10;
		a.a[1] = 99;
		a.a[2] = (uint8_t)(i >> 8);
		a.a[3] = (uint8_t)i;
	}
	return a;
}

static void add_workloads(struct policy_model *m, struct rng *r)
{
	char name[32], g1[32], g2[32], err[256];

	for (uint32_t i = 0; i < N_WL; i++) {
		const char *groups[2] = {g1, g2};
		struct policy_addr addrs[2] = {wl_addr(i, false), wl_addr(i, true)};
		struct policy_workload_spec w = {.id = i + 1,
						 .name = name,
						 .groups = groups,
						 .n_groups = 2,
						 .addrs = addrs,
						 .n_addrs = 2,
						 .mode = BH_MODE_PROTECT};
		int ret;

		snprintf(name, sizeof(name), "wl%u", i);
		snprintf(g1, sizeof(g1), "grp%u", rnd(r) % N_GROUPS);
		snprintf(g2, sizeof(g2), "grp%u", rnd(r) % N_GROUPS);
		if (!strcmp(g1, g2))
			w.n_groups = 1;
		ret = policy_workload_set(m, &w, err, sizeof(err));
		if (ret)
			die("workload", ret, err);
	}
}

static void add_groups(struct policy_model *m)
{
	char name[32], c4[32], c6[48], err[256];

	for (uint32_t i = 0; i < N_GROUPS; i++) {
		struct policy_group_spec g = {.name = name};

		snprintf(name, sizeof(name), "grp%u", i);
		if (policy_group_add(m, &g, err, sizeof(err)))
			die("group", -1, err);
	}
	for (uint32_t i = 0; i < N_CIDR_GROUPS; i++) {
		const char *cidrs[2] = {c4, c6};
		struct policy_group_spec g = {.name = name, .cidrs = cidrs, .n_cidrs = 2};

		snprintf(name, sizeof(name), "net%u", i);
		/* Nested and disjoint prefixes, some covering workloads. */
		snprintf(c4, sizeof(c4), i % 4 ? "172.%u.0.0/16" : "10.99.%u.0/24", 16 + i % 16);
		snprintf(c6, sizeof(c6), "2001:db8:%x::/48", i);
		if (policy_group_add(m, &g, err, sizeof(err)))
			die("cidr group", -1, err);
	}
}

static void pick_end(struct rng *r, char *buf, size_t len)
{
	uint32_t k = rnd(r) % 100;

	if (k < 50)
		snprintf(buf, len, "wl%u", rnd(r) % N_WL);
	else if (k < 75)
		snprintf(buf, len, "grp%u", rnd(r) % N_GROUPS);
	else if (k < 85)
		snprintf(buf, len, "net%u", rnd(r) % N_CIDR_GROUPS);
	else if (k < 93)
		snprintf(buf, len, "external");
	else
		snprintf(buf, len, "any");
}

static void pick_ports(struct rng *r, char *buf, size_t len)
{
	uint32_t k = rnd(r) % 100, port = 1 + rnd(r) % 2000;

	if (k < 70)
		snprintf(buf, len, "%s/%u", k < 55 ? "tcp" : "udp", port);
	else if (k < 85)
		snprintf(buf, len, "tcp/%u-%u", port, port + rnd(r) % 100);
	else if (k < 92)
		snprintf(buf, len, "tcp/%u,tcp/%u,udp/%u", port, port + 1, port);
	else if (k < 96)
		snprintf(buf, len, "icmp");
	else
		snprintf(buf, len, "tcp/any");
}

static void add_rules_mixed(struct policy_model *m, struct rng *r, uint32_t n)
{
	char from[32], to[32], ports[64], err[256];

	for (uint32_t i = 0; i < n; i++) {
		/* A fifth learned; past 9000 all learned, as user ids stop at 10000. */
		bool learned = i % 5 == 4 || i >= 9000;
		struct policy_rule_spec s = {
		    .id = learned ? POLICY_LEARN_ID_MIN + i : 0,
		    .from = from,
		    .to = to,
		    .ports = ports,
		    .action = rnd(r) % 8 ? "allow" : "deny",
		    .learned = learned,
		};
		int ret;

		pick_end(r, from, sizeof(from));
		pick_end(r, to, sizeof(to));
		pick_ports(r, ports, sizeof(ports));
		ret = policy_rule_add(m, &s, NULL, err, sizeof(err));
		if (ret)
			die("rule", ret, err);
	}
}

static void add_rules_one_pair(struct policy_model *m, struct rng *r, uint32_t n)
{
	char ports[64], err[256];

	for (uint32_t i = 0; i < n; i++) {
		struct policy_rule_spec s = {
		    .id = i < 9000 ? 0 : POLICY_LEARN_ID_MIN + i,
		    .from = "any",
		    .to = "any",
		    .ports = ports,
		    .action = rnd(r) % 4 ? "allow" : "deny",
		    .learned = i >= 9000,
		};
		uint32_t lo = 1 + rnd(r) % 60000;
		int ret;

		if (i % 3)
			snprintf(ports, sizeof(ports), "tcp/%u", lo);
		else
			snprintf(ports, sizeof(ports), "tcp/%u-%u", lo, lo + rnd(r) % 500);
		ret = policy_rule_add(m, &s, NULL, err, sizeof(err));
		if (ret)
			die("rule", ret, err);
	}
}

static void make_queries(struct rng *r, struct policy_query *q, size_t n, bool one_pair)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t k = rnd(r) % 100;

		q[i].wl_id = 1 + rnd(r) % N_WL;
		q[i].dir = rnd(r) % 2;
		q[i].proto = k < 80   ? POLICY_PROTO_TCP
			     : k < 95 ? POLICY_PROTO_UDP
				      : POLICY_PROTO_ICMP;
		q[i].port = one_pair ? 1 + rnd(r) % 61000 : 1 + rnd(r) % 2100;
		if (k % 4 == 0) {
			q[i].peer.family = AF_INET;
			q[i].peer.a[0] = 172;
			q[i].peer.a[1] = (uint8_t)(16 + rnd(r) % 20);
			q[i].peer.a[3] = 1;
		} else {
			q[i].peer = wl_addr(rnd(r) % N_WL, k % 2);
		}
	}
}

static double run(const struct policy *p, const struct policy_query *q, size_t n,
		  uint64_t *checksum)
{
	struct policy_verdict v;
	double t0 = now_s();

	for (size_t i = 0; i < n; i++) {
		policy_eval(p, &q[i], &v);
		*checksum += v.rule_id + v.action;
	}
	return (now_s() - t0) / (double)n * 1e9;
}

static void bench(const char *shape, uint32_t n_rules, struct policy_query *q)
{
	struct policy_model *m = policy_model_new();
	struct rng r = {0x9e3779b97f4a7c15ull ^ n_rules};
	uint64_t checksum = 0, matched = 0;
	bool one_pair = !strcmp(shape, "one-pair");
	struct policy *p;
	double t0, compile_ms, ns, best = 1e9;
	int ret;

	add_groups(m);
	add_workloads(m, &r);
	if (one_pair)
		add_rules_one_pair(m, &r, n_rules);
	else
		add_rules_mixed(m, &r, n_rules);
	t0 = now_s();
	ret = policy_compile(m, &p);
	if (ret)
		die("compile", ret, NULL);
	compile_ms = (now_s() - t0) * 1e3;
	make_queries(&r, q, N_QUERIES, one_pair);
	for (int i = 0; i < 5; i++) {
		ns = run(p, q, N_QUERIES, &checksum);
		best = ns < best ? ns : best;
	}
	for (size_t i = 0; i < N_QUERIES; i++) {
		struct policy_verdict v;

		policy_eval(p, &q[i], &v);
		matched += v.rule_id != 0;
	}
	printf("%-9s %7u rules  compile %8.1f ms  eval %6.1f ns/decision  (%4.1f%% matched a "
	       "rule, checksum %llx)\n",
	       shape, n_rules, compile_ms, best, 100.0 * matched / N_QUERIES,
	       (unsigned long long)checksum & 0xffff);
	policy_free(p);
	policy_model_free(m);
}

int main(void)
{
	static const uint32_t sizes[] = {10, 1000, 10000, 100000};
	struct policy_query *q = calloc(N_QUERIES, sizeof(*q));

	if (!q)
		return 1;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		bench("mixed", sizes[i], q);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		bench("one-pair", sizes[i], q);
	free(q);
	return 0;
}
