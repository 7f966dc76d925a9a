/*
 * threat-t.h - the threat stage's types: catalogue ids, actions, limits (no functions).
 *
 * Ids are stable (logs, metrics and alerts name them): volume-based threats from
 * 1001, pattern-based ones from 2001.  Never renumber; retire an id instead.
 */
#ifndef BH_THREAT_T_H
#define BH_THREAT_T_H

#include <stdbool.h>
#include <stdint.h>

enum threat_id {
	THREAT_NONE = 0,
	/* volume: a rate or a count over a limit */
	THREAT_TCP_SYN_FLOOD = 1001,
	THREAT_ICMP_FLOOD = 1002,
	THREAT_SESSION_LIMIT = 1003,
	THREAT_INVALID_PACKET = 1004,
	/* pattern: one packet says it */
	THREAT_IP_FRAG_OVERLAP = 2001,
	THREAT_TCP_SYN_DATA = 2002,
	THREAT_TCP_SMALL_WINDOW = 2003,
	THREAT_PING_OF_DEATH = 2004,
	THREAT_DNS_ZONE_TRANSFER = 2005,
	THREAT_DNS_NULL_QUERY = 2006,
	THREAT_DNS_OVERFLOW = 2007,
	THREAT_DNS_LOOP_POINTER = 2008,
	THREAT_SSH_V1 = 2009,
	THREAT_TLS_SSL_V2_V3 = 2010,
	THREAT_TLS_1_0_1_1 = 2011,
	THREAT_TLS_HEARTBLEED = 2012,
	THREAT_HTTP_NEG_LENGTH = 2013,
	THREAT_HTTP_SMUGGLING = 2014,
	THREAT_HTTP_SQL_INJECTION = 2015,
	THREAT_TCP_OVERLAP = 2016, /* TCP segments overlapping with different data (reasm-tcp.c) */
};

#define THREAT_CATALOG_SIZE 20 /* entries of the catalogue (threat-catalog.c) */

enum threat_severity {
	THREAT_SEV_LOW = 0,
	THREAT_SEV_MEDIUM,
	THREAT_SEV_HIGH,
	THREAT_SEV_CRITICAL
};

/* What the dp did with the packet that matched. */
enum threat_action {
	THREAT_ACT_LOG = 0, /* monitor/discover: forwarded, logged */
	THREAT_ACT_DROP,    /* protect: this packet dropped */
	THREAT_ACT_RESET,   /* protect, TCP mid-session: RST to both ends, session blocked */
};

struct threat_def {
	uint16_t id;	  /* enum threat_id */
	const char *name; /* snake_case, stable */
	uint8_t severity; /* enum threat_severity */
	uint8_t protect;  /* action in protect/quarantine: THREAT_ACT_DROP or _RESET */
	const char *summary;
};

/* Tunable limits (`bulkheadd --threat-limit NAME=N`); 0 = the default below. */
enum threat_limit {
	THREAT_LIM_SYN_RATE,	 /* SYNs per second to one workload, per worker */
	THREAT_LIM_ICMP_RATE,	 /* ICMP echo requests per second to one workload, per worker */
	THREAT_LIM_SESSIONS,	 /* open sessions one source holds on one port, per worker */
	THREAT_LIM_SMALL_WINDOW, /* a SYN advertising a window <= this is flagged */
	THREAT_LIM_PING_SIZE,	 /* ICMP echo payload bytes above this are flagged */
	THREAT_LIM_SIG_DEPTH,	 /* payload bytes per direction matched against signatures */
	THREAT_LIM_SIG_SESSIONS, /* sessions under signature inspection at once, per worker */
	THREAT_LIM__MAX
};

#define THREAT_DEF_SYN_RATE 20000
#define THREAT_DEF_ICMP_RATE 1000
#define THREAT_DEF_SESSIONS 10000
#define THREAT_DEF_SMALL_WINDOW 64
#define THREAT_DEF_PING_SIZE 8192
#define THREAT_DEF_SIG_DEPTH (1u << 20)
#define THREAT_DEF_SIG_SESSIONS 4096

/* Longest name of a user signature (sig-t.h); events carry it. */
#define THREAT_SIG_NAME_MAX 64

struct threat_config {
	bool off;			 /* `--threats off`: the stage is skipped */
	uint32_t limit[THREAT_LIM__MAX]; /* 0 = default */
};

/* Payload checks look at this many payload packets per direction of a session at most. */
#define THREAT_PAYLOAD_PKTS 8
/* Bytes of the matching packet an event carries (from the Ethernet header). */
#define THREAT_PKT_MAX 128
/* At most one event per (threat, workload port, source) per this many ms; the rest counted. */
#define THREAT_REPORT_MS 1000

#endif
