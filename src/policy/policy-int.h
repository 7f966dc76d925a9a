/*
 * policy-int.h - internals shared by the files of src/policy (not installed).
 *
 * The model keeps three sorted arrays of plain structs; pointers handed out by
 * the find/at functions stay valid until the next change of the model.
 */
#ifndef BH_POLICY_INT_H
#define BH_POLICY_INT_H

#include <stdarg.h>

#include "policy.h"

#define POLICY_CIDRS_MAX 4096
#define POLICY_FQDNS_MAX 256
#define POLICY_FQDN_LEN 253
#define POLICY_APPS_MAX 32
#define POLICY_WL_GROUPS_MAX 256
#define POLICY_WL_ADDRS_MAX 256

#define POLICY_GROUP_ANY "any"
#define POLICY_GROUP_EXTERNAL "external"

struct policy_model {
	struct policy_group *groups; /* sorted by name */
	size_t n_groups;
	size_t cap_groups;
	struct policy_rule *rules; /* sorted by id: user ids, then learned ids */
	size_t n_rules;
	size_t cap_rules;
	struct policy_workload *wls; /* sorted by id */
	size_t n_wls;
	size_t cap_wls;
	uint64_t generation;
};

/* policy-names.c */
#include "errbuf.h"
#define policy_err bh_errf
bool policy_name_reserved(const char *name);
int policy_grow(void **arr, size_t *cap, size_t need, size_t elem);
char **policy_strv_dup(const char *const *v, size_t n);
void policy_strv_free(char **v, size_t n);

/* policy-addr.c */
bool policy_addr_equal(const struct policy_addr *a, const struct policy_addr *b);
bool policy_addr_valid(const struct policy_addr *a);

/* policy-model.c */
void policy_group_clear(struct policy_group *g);
void policy_rule_clear(struct policy_rule *r);
void policy_workload_clear(struct policy_workload *w);
bool policy_model_name_known(const struct policy_model *m, const char *name);
int policy_model_rule_insert(struct policy_model *m, struct policy_rule *r, char *err,
			     size_t errlen);
int policy_model_group_build(const struct policy_group_spec *spec, struct policy_group *g,
			     char *err, size_t errlen);
int policy_model_group_insert(struct policy_model *m, struct policy_group *g, char *err,
			      size_t errlen);
int policy_rule_build(const struct policy_rule_spec *spec, struct policy_rule *r, char *err,
		      size_t errlen);
struct policy_rule *policy_model_rule_mut(struct policy_model *m, uint32_t id);
uint32_t policy_model_next_user_id(const struct policy_model *m);
uint32_t policy_model_next_learn_id(const struct policy_model *m);
void policy_model_swap_policy(struct policy_model *a, struct policy_model *b);

#endif
