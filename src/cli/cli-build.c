/*
 * cli-build.c - request builders for the policy commands: mode, group, rule,
 * conn, explain.  As in bulkhead.c they check only the shape of the command
 * line (which options, how many words, numbers that must be numbers); what
 * the values mean is the daemon's to judge, so every path gives its errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

json_t *req_new(const char *cmd)
{
	return json_pack("{s:s}", "cmd", cmd);
}

static long parse_rule_id(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v <= 0 || v > 0xffffffffL)
		die("invalid rule id: %s", s);
	return v;
}

/* Commands without options: exactly `nargs` words after the command. */
static void want_args(int argc, int nargs, const char *usage)
{
	if (argc != nargs + 1)
		die("usage: bulkhead %s", usage);
}

json_t *build_mode(int argc, char **argv)
{
	static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {0}};
	static const char *usage = "usage: bulkhead mode (NAME | --all) "
				   "discover|monitor|protect|quarantine";
	json_t *r = req_new("mode");
	bool all = false;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'a')
			die("%s", usage);
		all = true;
	}
	if (argc - optind != (all ? 1 : 2))
		die("%s", usage);
	if (all)
		json_object_set_new(r, "all", json_true());
	else
		json_object_set_new(r, "name", json_string(argv[optind++]));
	json_object_set_new(r, "mode", json_string(argv[optind]));
	return r;
}

json_t *build_group_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{"cidr", required_argument, NULL, 'c'}, {"fqdn", required_argument, NULL, 'f'}, {0}};
	json_t *r = req_new("group.add"), *cidrs = json_array(), *fqdns = json_array();
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'c')
			json_array_append_new(cidrs, json_string(optarg));
		else if (c == 'f')
			json_array_append_new(fqdns, json_string(optarg));
		else
			die("usage: bulkhead group add G [--cidr CIDR]... [--fqdn PATTERN]...");
	}
	if (optind != argc - 1)
		die("usage: bulkhead group add G [--cidr CIDR]... [--fqdn PATTERN]...");
	json_object_set_new(r, "name", json_string(argv[optind]));
	json_object_set_new(r, "cidrs", cidrs);
	json_object_set_new(r, "fqdns", fqdns);
	return r;
}

json_t *build_group_rm(int argc, char **argv)
{
	json_t *r = req_new("group.rm");

	want_args(argc, 1, "group rm G");
	json_object_set_new(r, "name", json_string(argv[1]));
	return r;
}

json_t *build_group_list(int argc, char **argv)
{
	(void)argv;
	want_args(argc, 0, "group list");
	return req_new("group.list");
}

json_t *build_rule_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{"from", required_argument, NULL, 'f'}, {"to", required_argument, NULL, 't'},
		{"port", required_argument, NULL, 'p'}, {"app", required_argument, NULL, 'a'},
		{"action", required_argument, NULL, 'A'}, {"id", required_argument, NULL, 'i'},
		{0},
	};
	static const char *usage = "usage: bulkhead rule add --from G --to G [--port SPEC] "
				   "[--app APP]... --action allow|deny [--id N]";
	json_t *r = req_new("rule.add"), *apps = json_array();
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': json_object_set_new(r, "from", json_string(optarg)); break;
		case 't': json_object_set_new(r, "to", json_string(optarg)); break;
		case 'p': json_object_set_new(r, "ports", json_string(optarg)); break;
		case 'a': json_array_append_new(apps, json_string(optarg)); break;
		case 'A': json_object_set_new(r, "action", json_string(optarg)); break;
		case 'i': json_object_set_new(r, "id", json_integer(parse_rule_id(optarg))); break;
		default: die("%s", usage);
		}
	}
	if (optind != argc)
		die("%s", usage);
	json_object_set_new(r, "apps", apps);
	return r;
}

static json_t *build_rule_id(int argc, char **argv, const char *cmd, const char *usage)
{
	json_t *r = req_new(cmd);

	want_args(argc, 1, usage);
	json_object_set_new(r, "id", json_integer(parse_rule_id(argv[1])));
	return r;
}

json_t *build_rule_rm(int argc, char **argv)
{
	return build_rule_id(argc, argv, "rule.rm", "rule rm ID");
}

json_t *build_rule_promote(int argc, char **argv)
{
	return build_rule_id(argc, argv, "rule.promote", "rule promote ID");
}

json_t *build_rule_list(int argc, char **argv)
{
	static const struct option opts[] = {{"learned", no_argument, NULL, 'l'}, {0}};
	json_t *r = req_new("rule.list");
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'l')
			die("usage: bulkhead rule list [--learned]");
		json_object_set_new(r, "learned", json_true());
	}
	if (optind != argc)
		die("usage: bulkhead rule list [--learned]");
	return r;
}

json_t *build_conn_list(int argc, char **argv)
{
	(void)argv;
	want_args(argc, 0, "conn list");
	return req_new("conn.list");
}

json_t *build_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{"from", required_argument, NULL, 'f'}, {"to", required_argument, NULL, 't'},
		{"port", required_argument, NULL, 'p'}, {"app", required_argument, NULL, 'a'},
		{0},
	};
	static const char *usage = "usage: bulkhead explain --from W|IP --to W|IP --port SPEC "
				   "[--app APP]";
	json_t *r = req_new("explain");
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': json_object_set_new(r, "from", json_string(optarg)); break;
		case 't': json_object_set_new(r, "to", json_string(optarg)); break;
		case 'p': json_object_set_new(r, "port", json_string(optarg)); break;
		case 'a': json_object_set_new(r, "app", json_string(optarg)); break;
		default: die("%s", usage);
		}
	}
	if (optind != argc || !json_object_get(r, "from") || !json_object_get(r, "to") ||
	    !json_object_get(r, "port"))
		die("%s", usage);
	return r;
}
