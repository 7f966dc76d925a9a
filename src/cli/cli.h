/*
 * cli.h - pieces of the `bulkhead` command line tool.
 */
#ifndef BH_CLI_H
#define BH_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct cli {
	const char *socket_path;
	bool json;
};

/* One request/response round trip; returns the response or NULL (error printed). */
json_t *cli_call(const struct cli *c, json_t *req);
/* Round trip that exits with the daemon's one-line error; steals req, returns the result. */
json_t *cli_request(const struct cli *c, json_t *req);

/* Aligned text tables. */
struct table;
struct table *table_new(int ncols, const char *const *headers);
void table_row(struct table *t, ...); /* ncols strings */
void table_print(struct table *t);
void table_free(struct table *t);

/* Request builders (cli-build.c): argv[0] is the last command word. */
json_t *req_new(const char *cmd);
json_t *build_mode(int argc, char **argv);
json_t *build_group_add(int argc, char **argv);
json_t *build_group_rm(int argc, char **argv);
json_t *build_group_list(int argc, char **argv);
json_t *build_rule_add(int argc, char **argv);
json_t *build_rule_rm(int argc, char **argv);
json_t *build_rule_list(int argc, char **argv);
json_t *build_rule_promote(int argc, char **argv);
json_t *build_conn_list(int argc, char **argv);
json_t *build_explain(int argc, char **argv);
/* cli-sig.c: user signatures */
json_t *build_sig_add(int argc, char **argv);
json_t *build_sig_rm(int argc, char **argv);
json_t *build_sig_list(int argc, char **argv);
void print_sigs(json_t *result);
void print_sig(json_t *result);

/* Commands that do more than one round trip (cli-log.c). */
int run_log(const struct cli *c, int argc, char **argv);
/* Commands that read or write a file (cli-policy.c). */
int run_policy_export(const struct cli *c, int argc, char **argv);
int run_policy_import(const struct cli *c, int argc, char **argv);
/* `conn graph -o FILE` (cli-graph.c). */
int run_conn_graph(const struct cli *c, int argc, char **argv);
int run_capture(const struct cli *c, int argc, char **argv);

/* YAML files <-> JSON (cli-yaml.c): every document of a file, and path -> line of each node. */
int yaml_read_file(const char *path, json_t **docs, json_t **lines, char *err, size_t errlen);
int yaml_write(FILE *f, json_t *doc);

/* Printers for results, by command. */
void print_json(json_t *result);
void print_status(json_t *result);
void print_workloads(json_t *result);
void print_mode(json_t *result);
void print_rules(json_t *result);
void print_rule(json_t *result);
void print_groups(json_t *result);
void print_group(json_t *result);
void print_convs(json_t *result);
void print_apps(json_t *result);
void print_explain(json_t *result);
void print_log_lines(json_t *lines);

/* Exit with a one-line error. */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
