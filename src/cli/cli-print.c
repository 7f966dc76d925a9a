/*
 * cli-print.c - human renderings of daemon results.  Scripts use --json;
 * these are for people, so numbers are short and columns line up.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *human(json_int_t v, char *buf, size_t len)
{
	static const char *units[] = {"", "k", "M", "G", "T"};
	double d = (double)v;
	int u = 0;

	while (d >= 1000 && u < 4) {
		d /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, v);
	else
		snprintf(buf, len, "%.1f%s", d, units[u]);
	return buf;
}

static json_int_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

static json_int_t drops_total(json_t *stats)
{
	json_t *drops = json_object_get(stats, "drops"), *v;
	const char *k;
	json_int_t sum = 0;

	json_object_foreach(drops, k, v)
		sum += json_integer_value(v);
	return sum;
}

void print_workloads(json_t *arr)
{
	static const char *const hdr[] = {"NAME",   "NETNS",   "IFACE", "PORT",     "MODE",
					  "STATE",  "PKTS OUT", "PKTS IN", "BYTES OUT", "BYTES IN",
					  "SESSIONS", "DROPS"};
	struct table *t = table_new(12, hdr);
	json_t *w;
	size_t i;

	json_array_foreach(arr, i, w) {
		json_t *st = json_object_get(w, "stats");
		char ns[64], port[16], b[8][32];

		if (json_object_get(w, "netns"))
			snprintf(ns, sizeof(ns), "%s", jstr(w, "netns"));
		else if (json_object_get(w, "docker"))
			snprintf(ns, sizeof(ns), "docker:%.12s", jstr(w, "docker"));
		else
			snprintf(ns, sizeof(ns), "pid:%" JSON_INTEGER_FORMAT, jint(w, "pid"));
		snprintf(port, sizeof(port), "%" JSON_INTEGER_FORMAT, jint(w, "port_idx"));
		table_row(t, jstr(w, "name"), ns, jstr(w, "iface"), port, jstr(w, "mode"),
			  json_is_true(json_object_get(w, "pulled"))   ? "inline"
			  : json_is_true(json_object_get(w, "tapped")) ? "tap (cannot block)"
								       : "NOT ENFORCED",
			  human(jint(st, "packets_out"), b[0], 32),
			  human(jint(st, "packets_in"), b[1], 32),
			  human(jint(st, "bytes_out"), b[2], 32),
			  human(jint(st, "bytes_in"), b[3], 32),
			  human(jint(st, "sessions"), b[4], 32), human(drops_total(st), b[5], 32));
	}
	table_print(t);
	table_free(t);
}

/* "cluster: connected (node n1, etcd 127.0.0.1:2379, revision 42)"; "off" without --cluster. */
static void print_cluster(json_t *c)
{
	const char *state = jstr(c, "state");

	if (!c || strcmp(state, "off") == 0) {
		printf("cluster:         off\n");
		return;
	}
	printf("cluster:         %s (node %s, etcd %s, revision %" JSON_INTEGER_FORMAT
	       ", %" JSON_INTEGER_FORMAT " changes queued, %" JSON_INTEGER_FORMAT
	       " remote workloads)\n",
	       state, jstr(c, "node"), jstr(c, "endpoint"), jint(c, "revision"), jint(c, "pending"),
	       jint(c, "remote_workloads"));
}

void print_status(json_t *r)
{
	json_t *dp = json_object_get(r, "dp");
	json_t *wls = json_object_get(r, "workloads");
	char b[4][32];

	printf("enforcer netns:  %s\n", jstr(r, "enforcer_netns"));
	printf("driver:          %s (%s)\n", jstr(r, "driver"), jstr(r, "driver_reason"));
	printf("fail mode:       %s\n", jstr(r, "fail"));
	printf("fast path:       %s\n", json_is_true(json_object_get(r, "fast_path"))
					   ? "on (established allowed flows forwarded in eBPF)"
					   : "off (every packet via the dp)");
	printf("dp workers:      %" JSON_INTEGER_FORMAT "\n", jint(r, "workers"));
	printf("dp packets:      rx %s  tx %s  ring drops %s  active sessions %s\n",
	       human(jint(dp, "rx_packets"), b[0], 32), human(jint(dp, "tx_packets"), b[1], 32),
	       human(jint(dp, "ring_drops"), b[2], 32),
	       human(jint(dp, "sessions_active"), b[3], 32));
	printf("docker:          %s\n", jstr(r, "docker"));
	print_cluster(json_object_get(r, "cluster"));
	printf("uptime:          %" JSON_INTEGER_FORMAT " s\n", jint(r, "uptime_s"));
	printf("workloads:       %zu\n\n", json_array_size(wls));
	if (json_array_size(wls))
		print_workloads(wls);
}

void print_json(json_t *result)
{
	json_dumpf(result, stdout, JSON_INDENT(2));
	putchar('\n');
}

void print_mode(json_t *arr)
{
	json_t *w;
	size_t i;

	json_array_foreach(arr, i, w)
		printf("%s: %s\n", jstr(w, "name"), jstr(w, "mode"));
}

/* ["a","b"] -> "a,b"; empty -> "-". */
static const char *join(json_t *arr, char *buf, size_t len)
{
	size_t off = 0;
	json_t *v;
	size_t i;

	buf[0] = '\0';
	json_array_foreach(arr, i, v) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? "," : "", json_string_value(v));

		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	return buf[0] ? buf : "-";
}

/* A rule id, or "default" for the mode default. */
static const char *rule_ref(json_t *v, char *buf, size_t len)
{
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		snprintf(buf, len, "%s", json_string_value(v) ? json_string_value(v) : "-");
	return buf;
}

void print_rules(json_t *arr)
{
	static const char *const hdr[] = {"RULE ID", "FROM",   "TO",     "PORTS",
					  "APPS",    "ACTION", "LEARNED"};
	struct table *t = table_new(7, hdr);
	char id[24], apps[512];
	json_t *r;
	size_t i;

	json_array_foreach(arr, i, r) {
		snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT, jint(r, "id"));
		table_row(t, id, jstr(r, "from"), jstr(r, "to"), jstr(r, "ports"),
			  join(json_object_get(r, "apps"), apps, sizeof(apps)), jstr(r, "action"),
			  json_is_true(json_object_get(r, "learned")) ? "yes" : "no");
	}
	table_print(t);
	table_free(t);
}

void print_rule(json_t *r)
{
	json_t *arr = json_pack("[O]", r);

	print_rules(arr);
	json_decref(arr);
}

void print_groups(json_t *arr)
{
	static const char *const hdr[] = {"GROUP", "CIDRS", "MEMBERS"};
	struct table *t = table_new(3, hdr);
	char cidrs[1024], fq[1024], both[2100], members[1024];
	json_t *g;
	size_t i;

	json_array_foreach(arr, i, g) {
		json_t *fqdns = json_object_get(g, "fqdns");
		const char *c = join(json_object_get(g, "cidrs"), cidrs, sizeof(cidrs));

		/* FQDN patterns are address sets too: show them with the CIDRs. */
		if (json_array_size(fqdns))
			snprintf(both, sizeof(both), "%s%s%s", strcmp(c, "-") ? c : "",
				 strcmp(c, "-") ? "," : "", join(fqdns, fq, sizeof(fq)));
		else
			snprintf(both, sizeof(both), "%s", c);
		table_row(t, jstr(g, "name"), both,
			  join(json_object_get(g, "members"), members, sizeof(members)));
	}
	table_print(t);
	table_free(t);
}

void print_group(json_t *g)
{
	json_t *arr = json_pack("[O]", g);

	print_groups(arr);
	json_decref(arr);
}

void print_apps(json_t *r)
{
	static const char *const hdr[] = {"APP", "WHAT"};
	struct table *t = table_new(2, hdr);
	json_t *a, *dpi = json_object_get(r, "dpi");
	size_t i;

	json_array_foreach(json_object_get(r, "apps"), i, a)
		table_row(t, jstr(a, "name"), jstr(a, "desc"));
	table_print(t);
	table_free(t);
	printf("\nDPI: %" JSON_INTEGER_FORMAT " sessions inspected, %" JSON_INTEGER_FORMAT
	       " identified, %" JSON_INTEGER_FORMAT " gave up, %" JSON_INTEGER_FORMAT
	       " not inspected (pool full); caps %" JSON_INTEGER_FORMAT " bytes / %" JSON_INTEGER_FORMAT
	       " packets per direction\n",
	       jint(dpi, "inspected"), jint(dpi, "identified"), jint(dpi, "gave_up"),
	       jint(dpi, "not_inspected_pool_full"), jint(dpi, "cap_bytes"),
	       jint(dpi, "cap_packets"));
}

void print_convs(json_t *arr)
{
	static const char *const hdr[] = {"FROM",  "TO",	"PORT",	  "APP",      "SESSIONS",
					  "BYTES", "LAST RULE", "ACTION", "LAST SEEN"};
	struct table *t = table_new(9, hdr);
	char b[2][32], rule[32];
	json_t *c;
	size_t i;

	json_array_foreach(arr, i, c) {
		table_row(t, jstr(c, "from"), jstr(c, "to"), jstr(c, "port"),
			  *jstr(c, "app") ? jstr(c, "app") : "-", human(jint(c, "sessions"), b[0], 32), human(jint(c, "bytes"), b[1], 32),
			  rule_ref(json_object_get(c, "last_rule"), rule, sizeof(rule)),
			  jstr(c, "last_action"), jstr(c, "last_seen"));
	}
	table_print(t);
	table_free(t);
}

void print_explain(json_t *r)
{
	json_t *ends = json_object_get(r, "ends"), *e;
	char rule[32];
	size_t i;

	printf("%s (%s) -> %s (%s)\n", jstr(r, "from"), jstr(r, "from_addr"), jstr(r, "to"),
	       jstr(r, "to_addr"));
	json_array_foreach(ends, i, e) {
		printf("  %-7s %s: %s, decided by %s%s\n", jstr(e, "end"), jstr(e, "workload"),
		       jstr(e, "action"),
		       json_is_integer(json_object_get(e, "rule_id")) ? "rule " : "the mode default",
		       json_is_integer(json_object_get(e, "rule_id"))
			       ? rule_ref(json_object_get(e, "rule_id"), rule, sizeof(rule))
			       : "");
		printf("          %s\n", jstr(e, "explain"));
	}
	if (json_object_get(r, "app_note"))
		printf("note: %s\n", jstr(r, "app_note"));
	printf("verdict: %s\n", jstr(r, "verdict"));
}

/* A threats.jsonl line for people. */
static void print_threat_line(json_t *l)
{
	char name[128];

	/* A user signature's line names the signature (sig add NAME). */
	if (json_object_get(l, "signature"))
		snprintf(name, sizeof(name), "signature %s", jstr(l, "signature"));
	else
		snprintf(name, sizeof(name), "%s", jstr(l, "name"));
	printf("%s  threat %" JSON_INTEGER_FORMAT " %s (%s)  %s (%s:%" JSON_INTEGER_FORMAT
	       ") -> %s (%s:%" JSON_INTEGER_FORMAT ") %s  %s, mode %s at %s  x%" JSON_INTEGER_FORMAT
	       "\n",
	       jstr(l, "time"), jint(l, "threat_id"), name, jstr(l, "severity"),
	       jstr(l, "from"), jstr(l, "from_ip"), jint(l, "from_port"), jstr(l, "to"),
	       jstr(l, "to_ip"), jint(l, "to_port"), jstr(l, "proto"), jstr(l, "action"),
	       jstr(l, "mode"), jstr(l, "workload"), jint(l, "count"));
}

/* One log line for people: a violation, a threat or a conversation record. */
static void print_log_line(json_t *l)
{
	char rule[32];

	if (json_object_get(l, "threat_id")) {
		print_threat_line(l);
		return;
	}

	if (json_object_get(l, "sessions")) {
		printf("%s  %s -> %s %s%s%s  sessions %" JSON_INTEGER_FORMAT
		       "  bytes %" JSON_INTEGER_FORMAT "  last rule %s %s\n",
		       jstr(l, "last_seen"), jstr(l, "from"), jstr(l, "to"), jstr(l, "port"),
		       *jstr(l, "app") ? " app " : "", jstr(l, "app"), jint(l, "sessions"), jint(l, "bytes"),
		       rule_ref(json_object_get(l, "last_rule"), rule, sizeof(rule)),
		       jstr(l, "last_action"));
		return;
	}
	printf("%s  %s (%s) -> %s (%s) %s%s%s  %s by rule %s, mode %s at %s %s%s\n",
	       jstr(l, "time"), jstr(l, "from"), jstr(l, "from_ip"), jstr(l, "to"), jstr(l, "to_ip"),
	       jstr(l, "port"), json_object_get(l, "app") ? " app " : "",
	       json_object_get(l, "app") ? jstr(l, "app") : "", jstr(l, "action"),
	       rule_ref(json_object_get(l, "rule_id"), rule, sizeof(rule)), jstr(l, "mode"),
	       jstr(l, "workload"), jstr(l, "end"),
	       json_is_true(json_object_get(l, "reset")) ? " (reset)" : "");
}

void print_log_lines(json_t *lines)
{
	json_t *l;
	size_t i;

	json_array_foreach(lines, i, l)
		print_log_line(l);
}
