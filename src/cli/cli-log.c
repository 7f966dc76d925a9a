/*
 * cli-log.c - `bulkhead log`: the last lines of a daemon log, or all of them
 * as they come (--follow).  The daemon answers with complete lines and the
 * offset to ask from next, so following is polling with that offset; it
 * needs no long-lived connection and survives log rotation.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"

#define FOLLOW_POLL_MS 200

struct log_args {
	const char *kind;
	long lines;
	bool follow;
};

static void parse_log_args(int argc, char **argv, struct log_args *a)
{
	static const struct option opts[] = {
		{"violations", no_argument, NULL, 'v'}, {"threats", no_argument, NULL, 't'},
		{"follow", no_argument, NULL, 'f'}, {"lines", required_argument, NULL, 'n'},
		{0},
	};
	static const char *usage = "usage: bulkhead log [--violations|--threats] [-n N] [--follow]";
	char *end;
	int c;

	*a = (struct log_args){.kind = "connections", .lines = 50};
	optind = 0;
	while ((c = getopt_long(argc, argv, "n:f", opts, NULL)) != -1) {
		switch (c) {
		case 'v': a->kind = "violations"; break;
		case 't': a->kind = "threats"; break;
		case 'f': a->follow = true; break;
		case 'n':
			a->lines = strtol(optarg, &end, 10);
			if (!*optarg || *end || a->lines < 0 || a->lines > 1000000)
				die("invalid line count: %s", optarg);
			break;
		default: die("%s", usage);
		}
	}
	if (optind != argc)
		die("%s", usage);
}

/* One round trip; returns the result (a new reference) or exits with the error. */
static json_t *log_call(const struct cli *c, const struct log_args *a, json_int_t offset)
{
	json_t *req = json_pack("{s:s, s:s}", "cmd", "log", "kind", a->kind);

	if (offset >= 0)
		json_object_set_new(req, "offset", json_integer(offset));
	else
		json_object_set_new(req, "lines", json_integer(a->lines));
	return cli_request(c, req);
}

static void print_json_lines(json_t *lines)
{
	json_t *l;
	size_t i;

	json_array_foreach(lines, i, l) {
		json_dumpf(l, stdout, JSON_COMPACT);
		putchar('\n');
	}
	fflush(stdout);
}

static int follow(const struct cli *c, const struct log_args *a, json_int_t offset)
{
	const struct timespec nap = {0, FOLLOW_POLL_MS * 1000000L};

	for (;;) {
		json_t *r;

		nanosleep(&nap, NULL);
		r = log_call(c, a, offset);
		print_json_lines(json_object_get(r, "lines"));
		offset = json_integer_value(json_object_get(r, "offset"));
		json_decref(r);
	}
	return 0;
}

int run_log(const struct cli *c, int argc, char **argv)
{
	struct log_args a;
	json_int_t offset;
	json_t *r;

	parse_log_args(argc, argv, &a);
	r = log_call(c, &a, -1);
	offset = json_integer_value(json_object_get(r, "offset"));
	if (a.follow)
		print_json_lines(json_object_get(r, "lines"));
	else if (c->json)
		print_json(json_object_get(r, "lines"));
	else
		print_log_lines(json_object_get(r, "lines"));
	json_decref(r);
	return a.follow ? follow(c, &a, offset) : 0;
}
