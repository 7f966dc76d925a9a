/*
 * cmd.c - the table of control commands.  Kept in one place so the protocol
 * a client can speak is readable at a glance.
 */
#include "cmd.h"

#include <string.h>

static const struct cmd_entry commands[] = {
	{"status", cmd_status},
	{"workload.add", cmd_workload_add},
	{"workload.rm", cmd_workload_rm},
	{"workload.list", cmd_workload_list},
	{"mode", cmd_mode},
	{"group.add", cmd_group_add},
	{"group.rm", cmd_group_rm},
	{"group.list", cmd_group_list},
	{"rule.add", cmd_rule_add},
	{"rule.rm", cmd_rule_rm},
	{"rule.list", cmd_rule_list},
	{"rule.promote", cmd_rule_promote},
	{"conn.list", cmd_conn_list},
	{"log", cmd_log},
	{"explain", cmd_explain},
	{"policy.export", cmd_policy_export},
	{"policy.import", cmd_policy_import},
	{"apps", cmd_apps},
	{"capture.start", cmd_capture_start},
	{"capture.read", cmd_capture_read},
	{"capture.stop", cmd_capture_stop},
	{"sig.add", cmd_sig_add},
	{"sig.rm", cmd_sig_rm},
	{"sig.list", cmd_sig_list},
};

const struct cmd_entry *cmd_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

const char *req_str(json_t *req, const char *key)
{
	return json_string_value(json_object_get(req, key));
}
