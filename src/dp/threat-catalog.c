/*
 * threat-catalog.c - the threat catalogue: stable ids, names, severities and the
 * action protect takes, plus the tunable limits.
 *
 * One table, so the dp, the logs, the metrics and docs/threats.md agree on what
 * an id means.  Monitor and discover only log; protect (and quarantine) drop the
 * matching packet, or reset a TCP session that is past its opening packet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "threat.h"

static const struct threat_def catalog[THREAT_CATALOG_SIZE] = {
    {THREAT_TCP_SYN_FLOOD, "tcp_syn_flood", THREAT_SEV_HIGH, THREAT_ACT_DROP,
     "SYNs to one workload above syn-rate per second"},
    {THREAT_ICMP_FLOOD, "icmp_flood", THREAT_SEV_MEDIUM, THREAT_ACT_DROP,
     "ICMP echo requests to one workload above icmp-rate per second"},
    {THREAT_SESSION_LIMIT, "session_limit", THREAT_SEV_MEDIUM, THREAT_ACT_DROP,
     "one source holds more than `sessions` open sessions on a port"},
    {THREAT_INVALID_PACKET, "invalid_packet", THREAT_SEV_LOW, THREAT_ACT_DROP,
     "headers the decoders refuse (always dropped)"},
    {THREAT_IP_FRAG_OVERLAP, "ip_frag_overlap", THREAT_SEV_HIGH, THREAT_ACT_DROP,
     "overlapping IP fragments (teardrop)"},
    {THREAT_TCP_SYN_DATA, "tcp_syn_data", THREAT_SEV_LOW, THREAT_ACT_DROP, "SYN carrying payload"},
    {THREAT_TCP_SMALL_WINDOW, "tcp_small_window", THREAT_SEV_MEDIUM, THREAT_ACT_DROP,
     "SYN advertising a window of small-window bytes or less"},
    {THREAT_PING_OF_DEATH, "ping_of_death", THREAT_SEV_MEDIUM, THREAT_ACT_DROP,
     "ICMP echo request with more than ping-size payload bytes"},
    {THREAT_DNS_ZONE_TRANSFER, "dns_zone_transfer", THREAT_SEV_MEDIUM, THREAT_ACT_RESET,
     "AXFR or IXFR query"},
    {THREAT_DNS_NULL_QUERY, "dns_null_query", THREAT_SEV_LOW, THREAT_ACT_RESET,
     "query for type NULL (tunnelling)"},
    {THREAT_DNS_OVERFLOW, "dns_overflow", THREAT_SEV_HIGH, THREAT_ACT_RESET,
     "label over 63 bytes, name over 255, or a name running past the message"},
    {THREAT_DNS_LOOP_POINTER, "dns_loop_pointer", THREAT_SEV_HIGH, THREAT_ACT_RESET,
     "compression pointer that does not point backwards (loop)"},
    {THREAT_SSH_V1, "ssh_v1", THREAT_SEV_MEDIUM, THREAT_ACT_RESET, "SSH protocol 1 identification"},
    {THREAT_TLS_SSL_V2_V3, "tls_sslv2_sslv3", THREAT_SEV_HIGH, THREAT_ACT_RESET,
     "SSLv2 or SSLv3 ClientHello"},
    {THREAT_TLS_1_0_1_1, "tls_1_0_1_1", THREAT_SEV_LOW, THREAT_ACT_RESET,
     "ClientHello offering at most TLS 1.0 or 1.1"},
    {THREAT_TLS_HEARTBLEED, "tls_heartbleed", THREAT_SEV_CRITICAL, THREAT_ACT_RESET,
     "heartbeat request claiming more payload than its record holds"},
    {THREAT_HTTP_NEG_LENGTH, "http_negative_content_length", THREAT_SEV_HIGH, THREAT_ACT_RESET,
     "Content-Length below zero"},
    {THREAT_HTTP_SMUGGLING, "http_request_smuggling", THREAT_SEV_HIGH, THREAT_ACT_RESET,
     "Content-Length with Transfer-Encoding, or two different Content-Lengths"},
    {THREAT_HTTP_SQL_INJECTION, "http_sql_injection", THREAT_SEV_HIGH, THREAT_ACT_RESET,
     "classic SQL injection in the request target"},
    {THREAT_TCP_OVERLAP, "tcp_overlap", THREAT_SEV_HIGH, THREAT_ACT_RESET,
     "TCP overlapping segments with different data"},
};

int threat_index(uint16_t id)
{
	for (int i = 0; i < THREAT_CATALOG_SIZE; i++)
		if (catalog[i].id == id)
			return i;
	return -1;
}

const struct threat_def *threat_def_of(uint16_t id)
{
	int i = threat_index(id);

	return i < 0 ? NULL : &catalog[i];
}

const struct threat_def *threat_def_at(size_t i)
{
	return i < THREAT_CATALOG_SIZE ? &catalog[i] : NULL;
}

const char *threat_severity_name(uint8_t sev)
{
	static const char *const names[] = {"low", "medium", "high", "critical"};

	return sev < 4 ? names[sev] : "unknown";
}

const char *threat_action_name(uint8_t act)
{
	static const char *const names[] = {"log", "drop", "reset"};

	return act < 3 ? names[act] : "unknown";
}

static const struct {
	const char *name;
	uint32_t def;
} limits[THREAT_LIM__MAX] = {
    [THREAT_LIM_SYN_RATE] = {"syn-rate", THREAT_DEF_SYN_RATE},
    [THREAT_LIM_ICMP_RATE] = {"icmp-rate", THREAT_DEF_ICMP_RATE},
    [THREAT_LIM_SESSIONS] = {"sessions", THREAT_DEF_SESSIONS},
    [THREAT_LIM_SMALL_WINDOW] = {"small-window", THREAT_DEF_SMALL_WINDOW},
    [THREAT_LIM_PING_SIZE] = {"ping-size", THREAT_DEF_PING_SIZE},
    [THREAT_LIM_SIG_DEPTH] = {"sig-depth", THREAT_DEF_SIG_DEPTH},
    [THREAT_LIM_SIG_SESSIONS] = {"sig-sessions", THREAT_DEF_SIG_SESSIONS},
};

uint32_t threat_limit_get(const struct threat_config *cfg, enum threat_limit l)
{
	return cfg->limit[l] ? cfg->limit[l] : limits[l].def;
}

int threat_limit_parse(struct threat_config *cfg, const char *spec)
{
	const char *eq = strchr(spec, '=');
	unsigned long v;
	char *end;

	if (!eq)
		return -EINVAL;
	for (int i = 0; i < THREAT_LIM__MAX; i++) {
		if (strlen(limits[i].name) != (size_t)(eq - spec) ||
		    strncmp(spec, limits[i].name, (size_t)(eq - spec)))
			continue;
		v = strtoul(eq + 1, &end, 10);
		if (!eq[1] || *end || v == 0 || v > UINT32_MAX)
			return -EINVAL;
		cfg->limit[i] = (uint32_t)v;
		return 0;
	}
	return -EINVAL;
}
