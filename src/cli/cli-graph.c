/*
 * cli-graph.c - `bulkhead conn graph -o FILE.dot|svg|png`: the conversation
 * table as a Graphviz picture.
 *
 * Workloads are boxes (with their mode), peers that are not workloads are grey
 * ellipses; one edge per conversation, labelled with port and sessions, green
 * when its last session was allowed and red when it was denied.  .dot files
 * are written as they are; for .svg and .png the DOT text is piped into
 * Graphviz's `dot` (run directly, no shell), which must be installed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

static json_t *call_ok(const struct cli *c, const char *cmd)
{
	return cli_request(c, req_new(cmd));
}

static const char *s(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/* Names come from the daemon (workload names, addresses): quote anyway. */
static void q(FILE *f, const char *v)
{
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

static bool is_workload(json_t *wls, const char *name)
{
	json_t *w;
	size_t i;

	json_array_foreach(wls, i, w)
		if (!strcmp(s(w, "name"), name))
			return true;
	return false;
}

static void external_node(FILE *f, json_t *wls, json_t *seen, const char *name)
{
	if (is_workload(wls, name) || json_object_get(seen, name))
		return;
	json_object_set_new(seen, name, json_true());
	fputs("  ", f);
	q(f, name);
	fputs(" [shape=ellipse, style=filled, fillcolor=\"#eeeeee\", color=\"#999999\"];\n", f);
}

static void write_dot(FILE *f, json_t *wls, json_t *convs)
{
	json_t *w, *cv, *seen = json_object();
	size_t i;

	fputs("digraph bulkhead {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n"
	      "  edge [fontname=\"Helvetica\", fontsize=9];\n", f);
	json_array_foreach(wls, i, w) {
		fputs("  ", f);
		q(f, s(w, "name"));
		fprintf(f, " [shape=box, style=\"rounded,filled\", fillcolor=\"%s\", label=\"%s\\n%s\"];\n",
			strcmp(s(w, "mode"), "protect") ? "#dbe9f6" : "#d5f0d5", s(w, "name"),
			s(w, "mode"));
	}
	json_array_foreach(convs, i, cv) {
		bool denied = !strcmp(s(cv, "last_action"), "deny");
		json_int_t sessions = json_integer_value(json_object_get(cv, "sessions"));

		external_node(f, wls, seen, s(cv, "from"));
		external_node(f, wls, seen, s(cv, "to"));
		fputs("  ", f);
		q(f, s(cv, "from"));
		fputs(" -> ", f);
		q(f, s(cv, "to"));
		fprintf(f, " [label=\"%s\\n%" JSON_INTEGER_FORMAT " session%s\", color=\"%s\", "
			   "fontcolor=\"%s\"%s];\n", s(cv, "port"), sessions, sessions == 1 ? "" : "s",
			denied ? "#c0392b" : "#2e7d32", denied ? "#c0392b" : "#2e7d32",
			denied ? ", style=dashed" : "");
	}
	fputs("}\n", f);
	json_decref(seen);
}

/* dot -T<fmt> -o path, DOT text on its stdin. */
static void render(const char *fmt, const char *path, json_t *wls, json_t *convs)
{
	char tflag[16];
	int p[2], status;
	pid_t pid;
	FILE *f;

	snprintf(tflag, sizeof(tflag), "-T%s", fmt);
	if (pipe(p) < 0)
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(p[0], 0);
		close(p[0]);
		close(p[1]);
		execlp("dot", "dot", tflag, "-o", path, (char *)NULL);
		fprintf(stderr, "bulkhead: cannot run Graphviz dot: %s (apt-get install graphviz)\n",
			strerror(errno));
		_exit(127);
	}
	close(p[0]);
	f = fdopen(p[1], "w");
	if (!f)
		die("fdopen: %s", strerror(errno));
	write_dot(f, wls, convs);
	fclose(f);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		exit(1); /* dot (or the exec failure above) said why */
}

int run_conn_graph(const struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'}, {0}};
	static const char *usage = "usage: bulkhead conn graph -o FILE.dot|FILE.svg|FILE.png";
	const char *out = NULL, *ext;
	json_t *wls, *convs;
	FILE *f;
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (o != 'o')
			die("%s", usage);
		out = optarg;
	}
	if (!out || optind != argc)
		die("%s", usage);
	ext = strrchr(out, '.');
	if (!ext || (strcmp(ext, ".dot") && strcmp(ext, ".svg") && strcmp(ext, ".png")))
		die("%s", usage);
	wls = call_ok(c, "workload.list");
	convs = call_ok(c, "conn.list");
	if (!strcmp(ext, ".dot")) {
		f = fopen(out, "w");
		if (!f)
			die("%s: %s", out, strerror(errno));
		write_dot(f, wls, convs);
		if (fclose(f))
			die("%s: %s", out, strerror(errno));
	} else {
		render(ext + 1, out, wls, convs);
	}
	if (!c->json)
		printf("%zu workloads, %zu conversations -> %s\n", json_array_size(wls),
		       json_array_size(convs), out);
	json_decref(wls);
	json_decref(convs);
	return 0;
}
