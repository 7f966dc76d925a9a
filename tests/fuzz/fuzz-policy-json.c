/*
 * fuzz-policy-json.c - libFuzzer harness for the policy.json loader.
 *
 * policy.json may be hand-edited or planted; loading it must never crash, and
 * whatever it accepts must survive the rest of the pipeline: a stable JSON
 * round trip, compile, and evaluation/explain of a few sessions.
 * Seeds: tests/fuzz/corpus/policy-json/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/policy.h"

static void add_workloads(struct policy_model *m)
{
	static const char *const names[] = {"web", "db", "client"};
	const char *groups[] = {"g1", "corp"};

	for (uint32_t i = 0; i < 3; i++) {
		struct policy_addr a[2] = {{.family = AF_INET, .a = {10, 0, 0, (uint8_t)i}},
					   {.family = AF_INET6, .a = {0xfd, [15] = (uint8_t)i}}};
		struct policy_workload_spec w = {.id = i + 1,
						 .name = names[i],
						 .groups = groups,
						 .n_groups = i,
						 .addrs = a,
						 .n_addrs = 2,
						 .mode = (enum bh_mode)i};

		policy_workload_set(m, &w, NULL, 0);
	}
}

static void evaluate_some(const struct policy_model *m)
{
	static const struct policy_addr peers[] = {
	    {.family = AF_INET, .a = {10, 0, 0, 1}},
	    {.family = AF_INET, .a = {192, 168, 1, 1}},
	    {.family = AF_INET6, .a = {0xfd, [15] = 2}},
	    {.family = AF_INET6, .a = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}},
	};
	struct policy *p;
	char buf[512];

	if (policy_compile(m, &p))
		return;
	for (uint32_t i = 0; i < 64; i++) {
		struct policy_query q = {.wl_id = 1 + i % 4,
					 .dir = i % 2,
					 .proto = i / 2 % 4,
					 .port = (uint16_t)(i * 1021),
					 .peer = peers[i / 8 % 4]};
		struct policy_verdict v;

		policy_eval(p, &q, &v);
		policy_explain(p, &q, buf, sizeof(buf));
	}
	policy_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_model *m, *again;
	char err[256], *a, *b;

	if (policy_model_from_json_str((const char *)data, size, &m, err, sizeof(err)))
		return 0;
	a = policy_model_to_json_str(m);
	if (!a || policy_model_from_json_str(a, strlen(a), &again, err, sizeof(err)))
		abort(); /* what we accept we must be able to write and read back */
	b = policy_model_to_json_str(again);
	if (!b || strcmp(a, b))
		abort();
	add_workloads(m);
	evaluate_some(m);
	free(a);
	free(b);
	policy_model_free(again);
	policy_model_free(m);
	return 0;
}
