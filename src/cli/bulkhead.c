/*
 * bulkhead.c - the operator's command line (DESIGN §3).
 *
 * Each command turns its arguments into one request object, sends it, and
 * prints the result: a table for people, the raw result for --json.  The
 * arguments are checked here only as far as the shape goes; the daemon is
 * the one that validates meaning, so both paths give the same errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct command {
	const char *words;      /* "workload add" */
	const char *usage;
	json_t *(*build)(int argc, char **argv);
	void (*print)(json_t *result);
	int (*run)(const struct cli *c, int argc, char **argv); /* instead of build+print */
};

static void usage(FILE *f);

/* status [-w|--watch [SECONDS]]: the table again every SECONDS (default 2), like watch(1). */
static int run_status(const struct cli *c, int argc, char **argv)
{
	double every = 0;
	char *end;

	if (argc > 1 && (!strcmp(argv[1], "-w") || !strcmp(argv[1], "--watch"))) {
		every = 2;
		if (argc > 2) {
			every = strtod(argv[2], &end);
			if (!*argv[2] || *end || every < 0.1)
				die("invalid interval: %s", argv[2]);
		}
		if (argc > 3)
			die("usage: bulkhead status [-w|--watch [SECONDS]]");
	} else if (argc > 1) {
		die("usage: bulkhead status [-w|--watch [SECONDS]]");
	}
	for (;;) {
		json_t *req = req_new("status"), *resp = cli_call(c, req);

		json_decref(req);
		if (!json_is_true(json_object_get(resp, "ok")))
			die("%s", json_string_value(json_object_get(resp, "error")));
		if (every && !c->json)
			printf("\033[H\033[2J"); /* home + clear, one screen per refresh */
		if (c->json && every) { /* JSON lines while watching */
			json_dumpf(json_object_get(resp, "result"), stdout, JSON_COMPACT);
			putchar('\n');
		} else if (c->json)
			print_json(json_object_get(resp, "result"));
		else
			print_status(json_object_get(resp, "result"));
		fflush(stdout);
		json_decref(resp);
		if (!every)
			return 0;
		usleep((useconds_t)(every * 1e6));
	}
}

static json_t *build_apps(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		die("apps takes no arguments");
	return req_new("apps");
}

static json_t *build_workload_list(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		die("workload list takes no arguments");
	return req_new("workload.list");
}

static json_t *build_workload_rm(int argc, char **argv)
{
	json_t *r;

	if (argc != 2)
		die("usage: bulkhead workload rm NAME");
	r = req_new("workload.rm");
	json_object_set_new(r, "name", json_string(argv[1]));
	return r;
}

static long parse_pid(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v <= 0 || v > 0x7fffffff)
		die("invalid pid: %s", s);
	return v;
}

/* --label K=V; the daemon checks the syntax of both. */
static void add_label(json_t *labels, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char key[256];

	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key))
		die("invalid label %s (want KEY=VALUE)", kv);
	snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
	json_object_set_new(labels, key, json_string(eq + 1));
}

static json_t *build_workload_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{"netns", required_argument, NULL, 'n'}, {"pid", required_argument, NULL, 'p'},
		{"docker", required_argument, NULL, 'D'}, {"iface", required_argument, NULL, 'i'},
		{"group", required_argument, NULL, 'g'}, {"mode", required_argument, NULL, 'm'},
		{"label", required_argument, NULL, 'l'}, {"proxymesh", no_argument, NULL, 'P'},
		{"tap", no_argument, NULL, 'T'}, {0},
	};
	json_t *r = req_new("workload.add"), *groups = json_array(), *labels = json_object();
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n': json_object_set_new(r, "netns", json_string(optarg)); break;
		case 'p': json_object_set_new(r, "pid", json_integer(parse_pid(optarg))); break;
		case 'D': json_object_set_new(r, "docker", json_string(optarg)); break;
		case 'i': json_object_set_new(r, "iface", json_string(optarg)); break;
		case 'g': json_array_append_new(groups, json_string(optarg)); break;
		case 'm': json_object_set_new(r, "mode", json_string(optarg)); break;
		case 'l': add_label(labels, optarg); break;
		case 'P': json_object_set_new(r, "proxymesh", json_true()); break;
		case 'T': json_object_set_new(r, "tap", json_true()); break;
		default: die("usage: bulkhead workload add NAME (--netns NS | --pid PID | --docker ID) "
			     "[--iface eth0] [--group G]... [--mode M] [--label K=V]... [--proxymesh] "
			     "[--tap]");
		}
	}
	if (optind != argc - 1)
		die("usage: bulkhead workload add NAME (--netns NS | --pid PID | --docker ID) "
		    "[--iface eth0]");
	json_object_set_new(r, "name", json_string(argv[optind]));
	json_object_set_new(r, "groups", groups);
	json_object_set_new(r, "labels", labels);
	return r;
}

#define CMD(w, u, b, p) {w, u, b, p, NULL}

static const struct command commands[] = {
	{"status", "status [-w|--watch [SECONDS]]", NULL, NULL, run_status},
	CMD("workload add", "workload add NAME (--netns NS | --pid PID | --docker ID) "
			    "[--iface eth0] [--group G]... [--mode M] [--label K=V]... [--proxymesh] "
			    "[--tap]\n"
			    "      --tap: in discover/monitor the dp reads a tap of the port (not pulled, "
			    "cannot block);\n"
			    "      protect/quarantine pull it inline, discover/monitor tap it again",
	    build_workload_add, NULL),
	CMD("workload rm", "workload rm NAME", build_workload_rm, NULL),
	CMD("workload list", "workload list", build_workload_list, print_workloads),
	CMD("mode", "mode (NAME | --all) discover|monitor|protect|quarantine", build_mode,
	    print_mode),
	CMD("group add", "group add G [--cidr CIDR]... [--fqdn PATTERN]...\n"
			 "      --fqdn api.example.com | *.example.com: peers whose address the "
			 "workload's DNS\n"
			 "      answers gave for a matching name (TTL + bulkheadd --fqdn-grace)",
	    build_group_add, print_group),
	CMD("group rm", "group rm G", build_group_rm, NULL),
	CMD("group list", "group list", build_group_list, print_groups),
	CMD("rule add", "rule add --from G --to G [--port SPEC] [--app APP]... "
			"--action allow|deny [--id N]", build_rule_add, print_rule),
	CMD("rule rm", "rule rm ID", build_rule_rm, NULL),
	CMD("rule list", "rule list [--learned]", build_rule_list, print_rules),
	CMD("rule promote", "rule promote ID   (learned rule -> user rule)", build_rule_promote,
	    print_rule),
	CMD("conn list", "conn list", build_conn_list, print_convs),
	{"conn graph", "conn graph -o FILE.dot|svg|png   (Graphviz)", NULL, NULL, run_conn_graph},
	{"log", "log [--violations|--threats] [-n N] [--follow]", NULL, NULL, run_log},
	{"capture", "capture NAME -w FILE.pcap [-c COUNT] [-t SECONDS] [--filter BPF]", NULL, NULL,
	 run_capture},
	CMD("explain", "explain --from W|IP --to W|IP --port SPEC [--app APP]", build_explain,
	    print_explain),
	{"policy export", "policy export FILE   (own YAML; - for stdout)", NULL, NULL,
	 run_policy_export},
	{"policy import", "policy import FILE [--dry-run]   (own YAML or Kubernetes NetworkPolicy)",
	 NULL, NULL, run_policy_import},
	CMD("apps", "apps              (names --app accepts; DPI counters)", build_apps,
	    print_apps),
	CMD("sig add", "sig add NAME --pattern REGEX [--http-field url|header|body] "
		       "[--action log|drop|reset] [--group G]... "
		       "[--severity low|medium|high|critical] [--case-insensitive]",
	    build_sig_add, print_sig),
	CMD("sig rm", "sig rm NAME", build_sig_rm, NULL),
	CMD("sig list", "sig list          (user signatures: DLP/WAF regexes, docs/threats.md)",
	    build_sig_list, print_sigs),
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: bulkhead [--socket PATH] [--json] COMMAND ...\n\n"
		   "Talks to bulkheadd (socket also from $BULKHEAD_SOCKET).\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %s\n", commands[i].usage);
}

/* Match the longest command whose words prefix argv; returns words consumed. */
static const struct command *find_command(int argc, char **argv, int *used)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char words[64], *save, *w;
		int n = 0, ok = 1;

		snprintf(words, sizeof(words), "%s", commands[i].words);
		for (w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save), n++)
			if (n >= argc || strcmp(argv[n], w) != 0)
				ok = 0;
		if (ok) {
			*used = n;
			return &commands[i];
		}
	}
	return NULL;
}

static void print_result(const struct cli *c, const struct command *cmd, json_t *resp)
{
	json_t *result = json_object_get(resp, "result");

	if (c->json) {
		if (result)
			print_json(result);
		else
			puts("{}");
	} else if (cmd->print && result) {
		cmd->print(result);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct cli c = {.socket_path = getenv("BULKHEAD_SOCKET")};
	const struct command *cmd;
	json_t *req, *resp;
	int opt, used;

	if (!c.socket_path || !*c.socket_path)
		c.socket_path = "/run/bulkhead/bulkhead.sock";
	while ((opt = getopt_long(argc, argv, "+hj", opts, NULL)) != -1) {
		switch (opt) {
		case 's': c.socket_path = optarg; break;
		case 'j': c.json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return 2;
	}
	cmd = find_command(argc, argv, &used);
	if (!cmd)
		die("unknown command: %s (see bulkhead --help)", argv[0]);
	opterr = 0; /* a bad option gets the command's one-line usage error, not two lines */
	/* Builders see their last command word as argv[0], as getopt expects. */
	if (cmd->run)
		return cmd->run(&c, argc - used + 1, argv + used - 1);
	req = cmd->build(argc - used + 1, argv + used - 1);
	resp = cli_call(&c, req);
	json_decref(req);
	if (!json_is_true(json_object_get(resp, "ok")))
		die("%s", json_string_value(json_object_get(resp, "error"))
				  ? json_string_value(json_object_get(resp, "error"))
				  : "request failed");
	print_result(&c, cmd, resp);
	json_decref(resp);
	return 0;
}
