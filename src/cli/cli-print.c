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
		else
			snprintf(ns, sizeof(ns), "pid:%" JSON_INTEGER_FORMAT, jint(w, "pid"));
		snprintf(port, sizeof(port), "%" JSON_INTEGER_FORMAT, jint(w, "port_idx"));
		table_row(t, jstr(w, "name"), ns, jstr(w, "iface"), port, jstr(w, "mode"),
			  json_is_true(json_object_get(w, "pulled")) ? "inline" : "NOT ENFORCED",
			  human(jint(st, "packets_out"), b[0], 32),
			  human(jint(st, "packets_in"), b[1], 32),
			  human(jint(st, "bytes_out"), b[2], 32),
			  human(jint(st, "bytes_in"), b[3], 32),
			  human(jint(st, "sessions"), b[4], 32), human(drops_total(st), b[5], 32));
	}
	table_print(t);
	table_free(t);
}

void print_status(json_t *r)
{
	json_t *dp = json_object_get(r, "dp");
	json_t *wls = json_object_get(r, "workloads");
	char b[4][32];

	printf("enforcer netns:  %s\n", jstr(r, "enforcer_netns"));
	printf("driver:          %s (%s)\n", jstr(r, "driver"), jstr(r, "driver_reason"));
	printf("fail mode:       %s\n", jstr(r, "fail"));
	printf("dp workers:      %" JSON_INTEGER_FORMAT "\n", jint(r, "workers"));
	printf("dp packets:      rx %s  tx %s  ring drops %s  active sessions %s\n",
	       human(jint(dp, "rx_packets"), b[0], 32), human(jint(dp, "tx_packets"), b[1], 32),
	       human(jint(dp, "ring_drops"), b[2], 32),
	       human(jint(dp, "sessions_active"), b[3], 32));
	printf("uptime:          %" JSON_INTEGER_FORMAT " s\n", jint(r, "uptime_s"));
	printf("workloads:       %zu\n\n", json_array_size(wls));
	if (json_array_size(wls))
		print_workloads(wls);
}
