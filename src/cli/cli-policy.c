/*
 * cli-policy.c - `bulkhead policy export FILE` and `policy import FILE [--dry-run]`.
 *
 * The CLI reads and writes the file (the daemon never opens user paths) and
 * sends the documents as JSON.  A file holds either bulkhead's own policy
 * document (version, groups, rules, modes) or Kubernetes NetworkPolicy
 * objects, one per YAML document; the daemon translates the latter.  Errors
 * come back with the path of the bad item, which becomes FILE:LINE here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ctl/ctl-socket.h"

#define NETPOL_API "networking.k8s.io/v1"

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* ---- export ---- */

static void write_file(const char *path, json_t *doc)
{
	char tmp[4096];
	FILE *f;
	int rc;

	if (!strcmp(path, "-")) {
		if (yaml_write(stdout, doc) < 0)
			die("write: %s", strerror(errno));
		return;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid()) >= (int)sizeof(tmp))
		die("%s: path too long", path);
	f = fopen(tmp, "w");
	if (!f)
		die("%s: %s", tmp, strerror(errno));
	fputs("# bulkhead policy: `bulkhead policy import FILE` restores it.\n", f);
	rc = yaml_write(f, doc);
	if (fflush(f) || fsync(fileno(f)) || rc < 0) {
		fclose(f);
		unlink(tmp);
		die("%s: write failed", path);
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		die("%s: %s", path, strerror(errno));
	}
}

int run_policy_export(const struct cli *c, int argc, char **argv)
{
	json_t *req, *resp, *doc;

	if (argc != 2)
		die("usage: bulkhead policy export FILE   (- for stdout)");
	req = req_new("policy.export");
	resp = cli_call(c, req);
	json_decref(req);
	if (!json_is_true(json_object_get(resp, "ok")))
		die("%s", jstr(resp, "error") ? jstr(resp, "error") : "export failed");
	doc = json_object_get(resp, "result");
	write_file(argv[1], doc);
	if (c->json && strcmp(argv[1], "-")) {
		json_t *sum = json_pack("{s:s, s:I, s:I, s:I}", "file", argv[1], "groups",
					(json_int_t)json_array_size(json_object_get(doc, "groups")),
					"rules",
					(json_int_t)json_array_size(json_object_get(doc, "rules")),
					"modes",
					(json_int_t)json_object_size(json_object_get(doc, "modes")));

		print_json(sum);
		json_decref(sum);
	} else if (strcmp(argv[1], "-"))
		printf("exported %zu groups, %zu rules, %zu workload modes to %s\n",
		       json_array_size(json_object_get(doc, "groups")),
		       json_array_size(json_object_get(doc, "rules")),
		       json_object_size(json_object_get(doc, "modes")), argv[1]);
	json_decref(resp);
	return 0;
}

/* ---- import ---- */

/*
 * "rules[2]: ports: bad port" -> the line of docs[0].rules[2].ports (or of the longest
 * path prefix that the file has), printed as FILE:LINE: message.
 */
static void __attribute__((noreturn)) die_at(const char *file, json_t *lines, const char *base,
					     const char *msg)
{
	char path[1300], seg[256], cand[1300];
	json_int_t line = json_integer_value(json_object_get(lines, base));
	const char *p = msg;

	snprintf(path, sizeof(path), "%s", strncmp(msg, "docs[", 5) ? base : "");
	for (;;) {
		const char *colon = strstr(p, ": ");

		if (!colon || (size_t)(colon - p) >= sizeof(seg))
			break;
		snprintf(seg, sizeof(seg), "%.*s", (int)(colon - p), p);
		if (snprintf(cand, sizeof(cand), "%s%s%s", path, *path && seg[0] != '[' ? "." : "",
			     seg) >= (int)sizeof(cand) || !json_object_get(lines, cand))
			break;
		snprintf(path, sizeof(path), "%s", cand);
		line = json_integer_value(json_object_get(lines, path));
		p = colon + 2;
	}
	/* "unknown key 'acton'": point at the key itself. */
	if (sscanf(p, "unknown key '%255[^']'", seg) == 1 &&
	    snprintf(cand, sizeof(cand), "%s.%s", path, seg) < (int)sizeof(cand) &&
	    json_object_get(lines, cand))
		line = json_integer_value(json_object_get(lines, cand));
	if (line > 0)
		die("%s:%" JSON_INTEGER_FORMAT ": %s", file, line, msg);
	die("%s: %s", file, msg);
}

static bool is_k8s(json_t *doc)
{
	return json_object_get(doc, "apiVersion") || json_object_get(doc, "kind");
}

/* All NetworkPolicy objects, or one bulkhead document: the request to send. */
static json_t *import_request(const char *file, json_t *docs, json_t *lines, json_t **base)
{
	json_t *req = req_new("policy.import"), *doc;
	char where[32];
	size_t i;

	if (json_array_size(docs) == 0)
		die("%s: no YAML document", file);
	doc = json_array_get(docs, 0);
	if (!is_k8s(doc)) {
		if (json_array_size(docs) > 1)
			die_at(file, lines, "docs[1]",
			       "a bulkhead policy file holds one document (or NetworkPolicy objects)");
		if (!json_is_object(doc))
			die_at(file, lines, "docs[0]", "not a mapping");
		doc = json_deep_copy(doc);
		if (json_object_get(doc, "modes"))
			json_object_set(req, "modes", json_object_get(doc, "modes"));
		json_object_del(doc, "modes");
		json_object_set_new(req, "policy", doc);
		*base = json_string("docs[0]");
		return req;
	}
	json_array_foreach(docs, i, doc) {
		snprintf(where, sizeof(where), "docs[%zu]", i);
		if (!json_is_object(doc) || !jstr(doc, "kind") ||
		    strcmp(jstr(doc, "kind"), "NetworkPolicy"))
			die_at(file, lines, where, "want kind: NetworkPolicy in every document");
		if (!jstr(doc, "apiVersion") || strcmp(jstr(doc, "apiVersion"), NETPOL_API))
			die_at(file, lines, where, "want apiVersion: " NETPOL_API);
	}
	json_object_set(req, "netpol", docs);
	*base = json_string("docs");
	return req;
}

static void print_names(const char *what, json_t *arr)
{
	json_t *v;
	size_t i;

	if (!json_array_size(arr))
		return;
	fprintf(stderr, "bulkhead: note: %s:", what);
	json_array_foreach(arr, i, v)
		fprintf(stderr, " %s", json_string_value(v));
	fputc('\n', stderr);
}

static void print_import(const struct cli *c, json_t *res)
{
	if (c->json) {
		print_json(res);
		return;
	}
	print_names("modes for unknown workloads skipped", json_object_get(res, "modes_skipped"));
	print_names("rules name groups/workloads that do not exist (yet)",
		    json_object_get(res, "unresolved"));
	if (json_is_true(json_object_get(res, "dry_run"))) {
		print_groups(json_object_get(res, "groups"));
		putchar('\n');
		print_rules(json_object_get(res, "rules"));
		printf("\ndry run: %" JSON_INTEGER_FORMAT " groups, %" JSON_INTEGER_FORMAT
		       " rules (nothing applied)\n",
		       json_integer_value(json_object_get(res, "n_groups")),
		       json_integer_value(json_object_get(res, "n_rules")));
		return;
	}
	printf("imported %" JSON_INTEGER_FORMAT " groups, %" JSON_INTEGER_FORMAT " rules",
	       json_integer_value(json_object_get(res, "n_groups")),
	       json_integer_value(json_object_get(res, "n_rules")));
	if (json_array_size(json_object_get(res, "modes_changed")))
		printf("; %zu workload modes changed",
		       json_array_size(json_object_get(res, "modes_changed")));
	putchar('\n');
}

/* The control socket takes one request line of at most CTL_MAX_REQUEST bytes. */
static void check_size(const char *file, json_t *req)
{
	size_t n = json_dumpb(req, NULL, 0, JSON_COMPACT);

	if (n >= CTL_MAX_REQUEST)
		die("%s: too large to import in one request (%zu bytes as JSON, limit %d)", file, n,
		    CTL_MAX_REQUEST - 1);
}

int run_policy_import(const struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {{"dry-run", no_argument, NULL, 'n'}, {0}};
	static const char *usage = "usage: bulkhead policy import FILE [--dry-run]";
	json_t *docs, *lines, *req, *resp, *base = NULL;
	bool dry_run = false;
	char err[600];
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'n')
			die("%s", usage);
		dry_run = true;
	}
	if (optind != argc - 1)
		die("%s", usage);
	if (yaml_read_file(argv[optind], &docs, &lines, err, sizeof(err)) < 0)
		die("%s", err);
	req = import_request(argv[optind], docs, lines, &base);
	if (dry_run)
		json_object_set_new(req, "dry_run", json_true());
	check_size(argv[optind], req);
	resp = cli_call(c, req);
	json_decref(req);
	if (!json_is_true(json_object_get(resp, "ok")))
		die_at(argv[optind], lines, json_string_value(base),
		       jstr(resp, "error") ? jstr(resp, "error") : "import failed");
	print_import(c, json_object_get(resp, "result"));
	json_decref(resp);
	json_decref(docs);
	json_decref(lines);
	json_decref(base);
	return 0;
}
