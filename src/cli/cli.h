/*
 * cli.h - pieces of the `bulkhead` command line tool.
 */
#ifndef BH_CLI_H
#define BH_CLI_H

#include <jansson.h>
#include <stdbool.h>

struct cli {
	const char *socket_path;
	bool json;
};

/* One request/response round trip; returns the response or NULL (error printed). */
json_t *cli_call(const struct cli *c, json_t *req);

/* Aligned text tables. */
struct table;
struct table *table_new(int ncols, const char *const *headers);
void table_row(struct table *t, ...); /* ncols strings */
void table_print(struct table *t);
void table_free(struct table *t);

/* Printers for results, by command. */
void print_status(json_t *result);
void print_workloads(json_t *result);

/* Exit with a one-line error. */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
