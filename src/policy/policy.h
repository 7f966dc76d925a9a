/*
 * policy.h - groups, rules, modes and learning (DESIGN §2).
 *
 * Two objects:
 *  - struct policy_model: the source of truth, mutable, owned by the single
 *    control thread.  Every mutator validates first and changes nothing on
 *    error; errors are 0/-errno plus a one-line reason in err (errlen bytes,
 *    err may be NULL).
 *  - struct policy: compiled from a model, immutable.  policy_eval() and
 *    policy_explain() are read-only and allocation-free, so any number of dp
 *    threads may call them concurrently on the same policy without locks; the
 *    control thread publishes a new policy with RCU and frees the old one
 *    after a grace period.  A policy does not refer to the model it came from.
 * Pointers returned by the model's find/at functions are valid until its next change.
 * No I/O: JSON goes to/from strings and jansson objects only.
 */
#ifndef BH_POLICY_H
#define BH_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy-t.h"

struct json_t;

/* Names. */
int bh_mode_parse(const char *s, enum bh_mode *out); /* "discover"...; -EINVAL */
const char *bh_mode_name(enum bh_mode mode);
int policy_action_parse(const char *s, enum policy_action *out);
const char *policy_action_name(enum policy_action a);
const char *policy_proto_name(enum policy_proto p); /* "tcp", "udp", "icmp", "other" */
bool policy_name_valid(const char *name);	    /* [A-Za-z0-9_.-]{1,63} */

/* Applications (policy-app.c): "http" -> BH_APP_HTTP; only named apps parse (-EINVAL). */
int policy_app_parse(const char *name, enum bh_app *out);
const char *policy_app_name(enum bh_app app); /* also "pending", "unknown" */
const char *policy_app_desc(enum bh_app app);

/* Addresses: "10.1.2.3", "fd99::1"; CIDRs "10.0.0.0/8", a bare address is a host route. */
int policy_addr_parse(const char *s, struct policy_addr *out);
int policy_addr_format(const struct policy_addr *a, char *buf, size_t len);
int policy_cidr_parse(const char *s, struct policy_cidr *out, char *err, size_t errlen);
int policy_cidr_format(const struct policy_cidr *c, char *buf, size_t len);

/*
 * Port specs (DESIGN §3): "any", "icmp", "tcp/80", "tcp/8000-8080", "udp/53", "tcp/any",
 * "udp/any", or several joined by commas.  Ports are 1..65535, ranges lo <= hi.
 */
int policy_ports_parse(const char *spec, struct policy_port *out, size_t max, size_t *n, char *err,
		       size_t errlen);
int policy_ports_format(const struct policy_port *p, size_t n, char *buf, size_t len);
bool policy_ports_match(const struct policy_port *p, size_t n, enum policy_proto proto,
			uint16_t port);

/* Model. */
struct policy_model *policy_model_new(void);
void policy_model_free(struct policy_model *m);
/* Bumped by every successful change; copied into the compiled policy. */
uint64_t policy_model_generation(const struct policy_model *m);

/* Groups; `any` and `external` are built in and cannot be added or removed. */
int policy_group_add(struct policy_model *m, const struct policy_group_spec *spec, char *err,
		     size_t errlen);
int policy_group_del(struct policy_model *m, const char *name, char *err, size_t errlen);
const struct policy_group *policy_group_find(const struct policy_model *m, const char *name);
size_t policy_group_count(const struct policy_model *m);
const struct policy_group *policy_group_at(const struct policy_model *m, size_t i); /* by name */

/*
 * Rules.  from/to must name a defined group, a workload or any/external when added
 * here (typo guard); rules loaded from JSON may name workloads not yet known, and a
 * name that resolves to nothing matches nothing.
 */
int policy_rule_add(struct policy_model *m, const struct policy_rule_spec *spec, uint32_t *out_id,
		    char *err, size_t errlen);
int policy_rule_del(struct policy_model *m, uint32_t id, char *err, size_t errlen);
const struct policy_rule *policy_rule_find(const struct policy_model *m, uint32_t id);
size_t policy_rule_count(const struct policy_model *m);
const struct policy_rule *policy_rule_at(const struct policy_model *m, size_t i); /* by id */
/* Record a hit reported by the dp (rule_id of a verdict). */
int policy_rule_touch(struct policy_model *m, uint32_t id, int64_t now);
/* Learned rule -> user rule with the next user id. */
int policy_rule_promote(struct policy_model *m, uint32_t id, uint32_t *new_id, char *err,
			size_t errlen);

/*
 * Workloads (not part of policy.json; the control plane persists them).  An address
 * belongs to one workload at most (-EADDRINUSE otherwise); names are unique (-EEXIST).
 */
int policy_workload_set(struct policy_model *m, const struct policy_workload_spec *spec, char *err,
			size_t errlen); /* add, or replace the one with spec->id */
int policy_workload_set_mode(struct policy_model *m, uint32_t id, enum bh_mode mode);
int policy_workload_set_addrs(struct policy_model *m, uint32_t id, const struct policy_addr *addrs,
			      size_t n, char *err, size_t errlen);
int policy_workload_del(struct policy_model *m, uint32_t id);
const struct policy_workload *policy_workload_find(const struct policy_model *m, uint32_t id);
const struct policy_workload *policy_workload_find_name(const struct policy_model *m,
							const char *name);
size_t policy_workload_count(const struct policy_model *m);
const struct policy_workload *policy_workload_at(const struct policy_model *m, size_t i);

/*
 * Learning.  Returns the id of an allow rule from req->from to req->to that already
 * covers proto/port and req->app (a rule without apps covers every app), else adds a
 * learned allow rule with the next learned id, listing req->app when it is a named app
 * (learned rules aggregate by from, to, port and app).  *created tells which (may be NULL).
 */
int policy_learn(struct policy_model *m, const struct policy_learn_req *req, int64_t now,
		 uint32_t *out_id, bool *created, char *err, size_t errlen);

/*
 * FQDN patterns (policy-fqdn.c): "api.example.com" or "*.example.com" (names below it),
 * case-insensitive, a trailing dot ignored.  parse gives the normal form (lower case, no
 * trailing dot, no "*.") and whether it is a wildcard.  match takes a name in normal form.
 */
int policy_fqdn_parse(const char *pattern, char out[254], bool *wild, char *err, size_t errlen);
bool policy_fqdn_match(const char *norm, size_t norm_len, bool wild, const char *name,
		       size_t name_len);
/* Patterns in a compiled policy, and whether a resolved name matches one (the dp keeps
 * only answers for such names). */
size_t policy_fqdn_count(const struct policy *p);
bool policy_fqdn_wanted(const struct policy *p, const char *name);

/* Compiled policy. */
int policy_compile(const struct policy_model *m, struct policy **out);
void policy_free(struct policy *p);
uint64_t policy_generation(const struct policy *p);

/*
 * Decide one end of a new session (DESIGN §2 mode table).  This end belongs to its name,
 * its explicit groups, `any` and every CIDR group holding one of its addresses; the peer
 * to its workload's groups (or `external`), `any` and the CIDR groups holding q->peer.
 * A rule with apps also needs q->app in its list; while q->app is PENDING an allow rule
 * with apps matches provisionally (v->provisional) and a deny rule with apps is passed
 * over, so the caller decides again once DPI names the app.  Returns 0, or -ENOENT when
 * q->wl_id is not in this policy (v then says allow, reason "unknown workload"; the
 * caller applies its fail-open/closed choice), or -EINVAL for a malformed query.
 */
int policy_eval(const struct policy *p, const struct policy_query *q, struct policy_verdict *v);

/* One human sentence saying why; returns the length written or -errno. */
int policy_explain(const struct policy *p, const struct policy_query *q, char *buf, size_t len);

/*
 * For a verdict with learn set: the learned-rule tuple of this session (client end,
 * server end, proto, port, app), names copied so the result outlives the RCU read section.
 */
int policy_learn_req_fill(const struct policy *p, const struct policy_query *q,
			  struct policy_learn_req *out);

/* JSON: policy.json is {"version":1,"groups":[...],"rules":[...]}. */
struct json_t *policy_model_to_json(const struct policy_model *m);
struct json_t *policy_rule_to_json(const struct policy_rule *r);
struct json_t *policy_group_to_json(const struct policy_group *g);
/* Replace m's groups and rules with doc's, all or nothing; workloads are kept. */
int policy_model_load_json(struct policy_model *m, const struct json_t *doc, char *err,
			   size_t errlen);
int policy_model_from_json(const struct json_t *doc, struct policy_model **out, char *err,
			   size_t errlen);
/* Same, from/to text; the string from _to_json_str is malloc'd. */
char *policy_model_to_json_str(const struct policy_model *m);
int policy_model_from_json_str(const char *text, size_t len, struct policy_model **out, char *err,
			       size_t errlen);

#endif
