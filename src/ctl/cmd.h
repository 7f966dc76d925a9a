/*
 * cmd.h - the control protocol's commands: name -> handler.
 */
#ifndef BH_CMD_H
#define BH_CMD_H

#include <jansson.h>

struct bh_daemon;

struct cmd_entry {
	const char *name;
	json_t *(*fn)(struct bh_daemon *d, json_t *req);
};

const struct cmd_entry *cmd_lookup(const char *name);

json_t *cmd_status(struct bh_daemon *d, json_t *req);
json_t *cmd_workload_add(struct bh_daemon *d, json_t *req);
json_t *cmd_workload_rm(struct bh_daemon *d, json_t *req);
json_t *cmd_workload_list(struct bh_daemon *d, json_t *req);
json_t *cmd_mode(struct bh_daemon *d, json_t *req);
json_t *cmd_group_add(struct bh_daemon *d, json_t *req);
json_t *cmd_group_rm(struct bh_daemon *d, json_t *req);
json_t *cmd_group_list(struct bh_daemon *d, json_t *req);
json_t *cmd_rule_add(struct bh_daemon *d, json_t *req);
json_t *cmd_rule_rm(struct bh_daemon *d, json_t *req);
json_t *cmd_rule_list(struct bh_daemon *d, json_t *req);
json_t *cmd_rule_promote(struct bh_daemon *d, json_t *req);
json_t *cmd_conn_list(struct bh_daemon *d, json_t *req);
json_t *cmd_log(struct bh_daemon *d, json_t *req);
json_t *cmd_explain(struct bh_daemon *d, json_t *req);
json_t *cmd_policy_export(struct bh_daemon *d, json_t *req);
json_t *cmd_policy_import(struct bh_daemon *d, json_t *req);
json_t *cmd_apps(struct bh_daemon *d, json_t *req);
/* cmd-reasm.c: the dp's TCP reassembly counters for `status` (dp.reasm). */
json_t *reasm_status_json(struct bh_daemon *d);
/* cmd-fqdn.c: the FQDN table's counters for `status`. */
json_t *fqdn_status_json(struct bh_daemon *d);

json_t *cmd_capture_start(struct bh_daemon *d, json_t *req);
json_t *cmd_capture_read(struct bh_daemon *d, json_t *req);
json_t *cmd_capture_stop(struct bh_daemon *d, json_t *req);

/* cmd-sig.c: user signatures */
json_t *cmd_sig_add(struct bh_daemon *d, json_t *req);
json_t *cmd_sig_rm(struct bh_daemon *d, json_t *req);
json_t *cmd_sig_list(struct bh_daemon *d, json_t *req);

/* Request field helpers: a string field or NULL. */
const char *req_str(json_t *req, const char *key);

#endif
