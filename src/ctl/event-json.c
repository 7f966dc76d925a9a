/*
 * event-json.c - the JSON form of a violation, kept apart from the event
 * loop so the exact line operators and scripts parse is tested on its own.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "conv.h"
#include "events.h"
#include "jsonl.h"
#include "dp/sig.h"
#include "dp/threat.h"
#include "policy/policy.h"

void ev_addr_format(uint8_t family, const uint8_t addr[16], char *buf, size_t len)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

uint16_t ev_port(const struct dp_event *ev)
{
	return ev->proto == POLICY_PROTO_TCP || ev->proto == POLICY_PROTO_UDP ? ev->dport : 0;
}

json_t *ev_violation_json(const struct dp_event *ev, const struct ev_names *n)
{
	char time[40], port[32];
	json_t *j, *rule = ev->rule_id ? json_integer(ev->rule_id) : json_string("default");

	jsonl_time_iso(ev->time_ms, time, sizeof(time));
	conv_port_format(ev->proto, ev_port(ev), port, sizeof(port));
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s}", "time", time,
		      "from", n->from, "to", n->to, "from_ip", n->from_ip, "to_ip", n->to_ip,
		      "port", port, "proto", policy_proto_name(ev->proto), "rule_id", rule,
		      "action", ev->action == POLICY_BLOCK ? "deny" : "allow", "mode",
		      bh_mode_name(ev->mode), "end", ev->end == POLICY_EGRESS ? "egress" : "ingress",
		      "workload", n->workload);
	if (j && ev->app != BH_APP_PENDING)
		json_object_set_new(j, "app", json_string(policy_app_name(ev->app)));
	if (j && ev->type == DP_EV_RESET)
		json_object_set_new(j, "reset", json_true());
	return j;
}

static void base64(const uint8_t *in, size_t len, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < len ? in[i + 2] : 0);

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = 0;
}

/* A user signature's match: its name and severity ride in the event (sig-t.h). */
static void sig_fields(json_t *j, const struct dp_event *ev)
{
	char name[THREAT_SIG_NAME_MAX + 1];

	snprintf(name, sizeof(name), "%.*s", THREAT_SIG_NAME_MAX, ev->threat.sig_name);
	json_object_set_new(j, "name", json_string("user_signature"));
	json_object_set_new(j, "signature", json_string(name));
	json_object_set_new(j, "field", json_string(sig_field_name(ev->threat.sig_field)));
	json_object_set_new(j, "severity",
			    json_string(threat_severity_name(ev->threat.sig_severity)));
}

json_t *ev_threat_json(const struct dp_event *ev, const struct ev_names *n)
{
	const struct threat_def *def = threat_def_of(ev->threat.id);
	char time[40], pkt[(THREAT_PKT_MAX + 2) / 3 * 4 + 1];
	json_t *j;

	jsonl_time_iso(ev->time_ms, time, sizeof(time));
	base64(ev->threat.pkt, ev->threat.pkt_len < THREAT_PKT_MAX ? ev->threat.pkt_len
								  : THREAT_PKT_MAX, pkt);
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:i, s:s, s:s, s:s, s:s, "
		      "s:I, s:s}",
		      "time", time, "workload", n->workload, "from", n->from, "to", n->to,
		      "from_ip", n->from_ip, "to_ip", n->to_ip, "from_port", (int)ev->sport,
		      "to_port", (int)ev->dport, "proto", policy_proto_name(ev->proto),
		      "threat_id", (int)ev->threat.id, "name", def ? def->name : "unknown",
		      "severity", def ? threat_severity_name(def->severity) : "unknown", "action",
		      threat_action_name(ev->threat.action), "mode", bh_mode_name(ev->mode),
		      "count", (json_int_t)ev->threat.count, "packet", pkt);
	if (j && !def && ev->threat.id > SIG_THREAT_BASE)
		sig_fields(j, ev);
	return j;
}
