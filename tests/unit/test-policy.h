/*
 * test-policy.h - helpers shared by the tests of src/policy: build a model from
 * short strings and ask one-line questions of the compiled policy.
 */
#ifndef BH_TEST_POLICY_H
#define BH_TEST_POLICY_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/policy.h"

/* Split "a,b,c" into at most max pieces kept in buf; returns the count. */
static inline size_t tp_split(const char *s, char *buf, size_t buflen, const char **out, size_t max)
{
	size_t n = 0;
	char *save, *tok;

	if (!s || !*s)
		return 0;
	snprintf(buf, buflen, "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok && n < max; tok = strtok_r(NULL, ",", &save))
		out[n++] = tok;
	return n;
}

static inline int tp_group(struct policy_model *m, const char *name, const char *cidrs)
{
	const char *v[16];
	char buf[512];
	struct policy_group_spec g = {.name = name, .cidrs = v};
	char err[256];

	g.n_cidrs = tp_split(cidrs, buf, sizeof(buf), v, 16);
	return policy_group_add(m, &g, err, sizeof(err));
}

static inline int tp_rule(struct policy_model *m, uint32_t id, const char *from, const char *to,
			  const char *ports, const char *action)
{
	struct policy_rule_spec r = {
	    .id = id,
	    .from = from,
	    .to = to,
	    .ports = ports,
	    .action = action,
	    .learned = id >= POLICY_LEARN_ID_MIN,
	};
	char err[256];

	return policy_rule_add(m, &r, NULL, err, sizeof(err));
}

static inline struct policy_addr tp_addr(const char *s)
{
	struct policy_addr a;

	assert_int_equal(policy_addr_parse(s, &a), 0);
	return a;
}

/* groups and addrs as "g1,g2" / "10.0.0.1,fd00::1". */
static inline int tp_wl(struct policy_model *m, uint32_t id, const char *name, enum bh_mode mode,
			const char *groups, const char *addrs)
{
	const char *gv[16], *av[16];
	char gbuf[512], abuf[512], err[256];
	struct policy_addr a[16];
	struct policy_workload_spec w = {
	    .id = id, .name = name, .mode = mode, .groups = gv, .addrs = a};

	w.n_groups = tp_split(groups, gbuf, sizeof(gbuf), gv, 16);
	w.n_addrs = tp_split(addrs, abuf, sizeof(abuf), av, 16);
	for (size_t i = 0; i < w.n_addrs; i++)
		a[i] = tp_addr(av[i]);
	return policy_workload_set(m, &w, err, sizeof(err));
}

static inline struct policy *tp_compile(const struct policy_model *m)
{
	struct policy *p = NULL;

	assert_int_equal(policy_compile(m, &p), 0);
	assert_non_null(p);
	return p;
}

static inline struct policy_query tp_q(uint32_t wl, enum policy_dir dir, const char *peer,
				       enum policy_proto proto, uint16_t port)
{
	struct policy_query q = {.wl_id = wl,
				 .dir = (uint8_t)dir,
				 .proto = (uint8_t)proto,
				 .port = port,
				 .peer = tp_addr(peer)};

	return q;
}

static inline struct policy_verdict tp_eval(const struct policy *p, uint32_t wl,
					    enum policy_dir dir, const char *peer,
					    enum policy_proto proto, uint16_t port)
{
	struct policy_query q = tp_q(wl, dir, peer, proto, port);
	struct policy_verdict v;

	assert_int_equal(policy_eval(p, &q, &v), 0);
	return v;
}

#endif
