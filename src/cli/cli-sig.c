/*
 * cli-sig.c - `bulkhead sig add|rm|list`: user signatures (DLP/WAF patterns
 * matched by the dp; docs/threats.md).  As elsewhere, only the shape of the
 * command line is checked here; the daemon compiles the pattern and says why
 * it refuses one.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define SIG_ADD_USAGE                                                                              \
	"usage: bulkhead sig add NAME --pattern REGEX [--http-field url|header|body] "             \
	"[--action log|drop|reset] [--group G]... [--severity low|medium|high|critical] "          \
	"[--case-insensitive]"

json_t *build_sig_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{"pattern", required_argument, NULL, 'p'},
		{"http-field", required_argument, NULL, 'f'},
		{"action", required_argument, NULL, 'a'},
		{"group", required_argument, NULL, 'g'},
		{"severity", required_argument, NULL, 's'},
		{"case-insensitive", no_argument, NULL, 'i'},
		{0},
	};
	json_t *r = req_new("sig.add"), *groups = json_array();
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': json_object_set_new(r, "pattern", json_string(optarg)); break;
		case 'f': json_object_set_new(r, "field", json_string(optarg)); break;
		case 'a': json_object_set_new(r, "action", json_string(optarg)); break;
		case 'g': json_array_append_new(groups, json_string(optarg)); break;
		case 's': json_object_set_new(r, "severity", json_string(optarg)); break;
		case 'i': json_object_set_new(r, "case_insensitive", json_true()); break;
		default: die("%s", SIG_ADD_USAGE);
		}
	}
	if (optind != argc - 1 || !json_object_get(r, "pattern"))
		die("%s", SIG_ADD_USAGE);
	json_object_set_new(r, "name", json_string(argv[optind]));
	json_object_set_new(r, "groups", groups);
	return r;
}

json_t *build_sig_rm(int argc, char **argv)
{
	json_t *r;

	if (argc != 2)
		die("usage: bulkhead sig rm NAME");
	r = req_new("sig.rm");
	json_object_set_new(r, "name", json_string(argv[1]));
	return r;
}

json_t *build_sig_list(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		die("usage: bulkhead sig list");
	return req_new("sig.list");
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

static void groups_text(json_t *arr, char *buf, size_t len)
{
	json_t *g;
	size_t i, o = 0;

	buf[0] = 0;
	json_array_foreach(arr, i, g)
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s", i ? "," : "",
				      json_string_value(g));
	if (!json_array_size(arr))
		snprintf(buf, len, "(all)");
}

void print_sigs(json_t *arr)
{
	static const char *const hdr[] = {"NAME",     "ID",	"FIELD", "ACTION", "SEVERITY",
					  "GROUPS",   "HITS",	"PATTERN"};
	struct table *t = table_new(8, hdr);
	json_t *s;
	size_t i;

	json_array_foreach(arr, i, s) {
		char id[16], hits[24], groups[256], pat[160];

		snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(s, "threat_id")));
		snprintf(hits, sizeof(hits), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(s, "hits")));
		groups_text(json_object_get(s, "groups"), groups, sizeof(groups));
		snprintf(pat, sizeof(pat), "%s%s",
			 json_is_true(json_object_get(s, "case_insensitive")) ? "(?i)" : "",
			 str(s, "pattern"));
		table_row(t, str(s, "name"), id, str(s, "field"), str(s, "action"),
			  str(s, "severity"), groups, hits, pat);
	}
	table_print(t);
	table_free(t);
}

void print_sig(json_t *s)
{
	printf("signature %s added: threat id %" JSON_INTEGER_FORMAT ", field %s, action %s\n",
	       str(s, "name"), 3000 + json_integer_value(json_object_get(s, "id")),
	       str(s, "field"), str(s, "action"));
}
