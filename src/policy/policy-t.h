/*
 * policy-t.h - types of the policy area (no functions).
 *
 * The source model (groups, rules, workloads) is what the operator edits; the
 * compiled policy is an opaque, immutable snapshot of it that the dp evaluates
 * from many threads.  The types the dp needs on its hot path (query, verdict)
 * live here so dp code can include them without jansson or the model API.
 */
#ifndef BH_POLICY_T_H
#define BH_POLICY_T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Group, workload and app names: [A-Za-z0-9_.-]{1,63}, plus the NUL. */
#define POLICY_NAME_MAX 64
/* Rule ids: user rules 1..10000, learned rules from 10001 up (DESIGN §2). */
#define POLICY_USER_ID_MAX 10000u
#define POLICY_LEARN_ID_MIN 10001u
/* Port entries in one rule ("tcp/80,tcp/443,..."). */
#define POLICY_PORTS_MAX 64
/* Longest text a port list formats to: 64 x "tcp/65535-65535,". */
#define POLICY_PORTS_STRLEN (POLICY_PORTS_MAX * 16)

/* Mode of a workload; 0 is discover so a zeroed port means discover. */
enum bh_mode {
	BH_MODE_DISCOVER = 0,
	BH_MODE_MONITOR,
	BH_MODE_PROTECT,
	BH_MODE_QUARANTINE,
	BH_MODE__MAX
};

/*
 * Application of a session as DPI identified it (src/dp/dpi*.c); names in policy-app.c.
 * PENDING: not known yet (inspection goes on): an allow rule with apps matches
 * provisionally, a deny rule with apps waits.  UNKNOWN: inspection ended without a
 * name (or the session was not inspected): no rule with apps matches.  Every other
 * value is a name a rule may list.  At most 64 values (a rule keeps them as a bitmask).
 */
enum bh_app {
	BH_APP_PENDING = 0,
	BH_APP_UNKNOWN,
	BH_APP_HTTP,
	BH_APP_HTTP2,
	BH_APP_TLS,
	BH_APP_DNS,
	BH_APP_SSH,
	BH_APP_MYSQL,
	BH_APP_POSTGRESQL,
	BH_APP_REDIS,
	BH_APP_MONGODB,
	BH_APP_MEMCACHED,
	BH_APP_CASSANDRA,
	BH_APP_AMQP,
	BH_APP_MQTT,
	BH_APP_NATS,
	BH_APP_LDAP,
	BH_APP_KERBEROS,
	BH_APP_SMTP,
	BH_APP_IMAP,
	BH_APP_POP3,
	BH_APP_FTP,
	BH_APP_TELNET,
	BH_APP_RDP,
	BH_APP_VNC,
	BH_APP_SMB,
	BH_APP_NFS,
	BH_APP_RSYNC,
	BH_APP_SNMP,
	BH_APP_SYSLOG,
	BH_APP_NTP,
	BH_APP_DHCP,
	BH_APP_MDNS,
	BH_APP_QUIC,
	BH_APP_SIP,
	BH_APP_RTSP,
	BH_APP_STUN,
	BH_APP_ICMP,
	BH_APP_GRPC,  /* own dissector (src/dp/dpi-h2.c): nDPI 4.2 cannot name it */
	BH_APP_KAFKA, /* own dissector (src/dp/dpi-kafka.c) */
	BH_APP__MAX
};
#define BH_APP_FIRST_NAMED BH_APP_HTTP

/* What a rule says. */
enum policy_action { POLICY_ACTION_ALLOW = 0, POLICY_ACTION_DENY };

/* What the dp does with a new session at one end. */
enum policy_result { POLICY_ALLOW = 0, POLICY_BLOCK };

/* From the workload's point of view; same values as enum dp_dir. */
enum policy_dir {
	POLICY_EGRESS = 0,  /* this workload is the client / sender */
	POLICY_INGRESS = 1, /* this workload is the server / receiver */
};

/* L4 protocol of a session; ICMPv6 is POLICY_PROTO_ICMP. */
enum policy_proto {
	POLICY_PROTO_TCP = 0,
	POLICY_PROTO_UDP,
	POLICY_PROTO_ICMP,
	POLICY_PROTO_OTHER,
	POLICY_PROTO__MAX
};

/* Protocol of one port spec entry; ANY matches every protocol and port. */
enum policy_port_proto {
	POLICY_PORT_ANY = 0,
	POLICY_PORT_TCP,
	POLICY_PORT_UDP,
	POLICY_PORT_ICMP,
};

/* One entry of a port spec: "tcp/80" is {TCP, 80, 80}; "tcp/any" {TCP, 0, 65535}. */
struct policy_port {
	uint8_t proto; /* enum policy_port_proto */
	uint16_t lo;
	uint16_t hi;
};

/* An IPv4 (first 4 bytes used) or IPv6 address, network byte order. */
struct policy_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t a[16];
};

struct policy_cidr {
	struct policy_addr addr; /* host bits are zero */
	uint8_t plen;
};

/* A defined group: its members are workloads that name it, plus its CIDRs. */
struct policy_group {
	char name[POLICY_NAME_MAX];
	struct policy_cidr *cidrs;
	size_t n_cidrs;
	/*
	 * Name patterns ("api.example.com", "*.example.com"): a peer is in the group while
	 * the workload at this end holds a live DNS answer for a matching name that gave
	 * the peer's address (struct policy_fqdn_src).  Stored as typed.
	 */
	char **fqdns;
	size_t n_fqdns;
};

struct policy_rule {
	uint32_t id;
	char from[POLICY_NAME_MAX];
	char to[POLICY_NAME_MAX];
	struct policy_port *ports; /* never empty: "any" is one POLICY_PORT_ANY entry */
	size_t n_ports;
	char **apps; /* names of enum bh_app (policy_app_parse); empty = any app */
	size_t n_apps;
	enum policy_action action;
	bool learned;
	int64_t created;  /* unix seconds, 0 = unknown */
	int64_t last_hit; /* unix seconds, 0 = never */
};

struct policy_workload {
	uint32_t id;
	char name[POLICY_NAME_MAX]; /* also its implicit group */
	char **groups;		    /* explicit groups */
	size_t n_groups;
	struct policy_addr *addrs;
	size_t n_addrs;
	enum bh_mode mode;
};

/* Input of policy_group_add(). */
struct policy_group_spec {
	const char *name;
	const char *const *cidrs; /* "10.0.0.0/8", "fd00::/8", "10.1.2.3" (= /32) */
	size_t n_cidrs;
	const char *const *fqdns;
	size_t n_fqdns;
};

/* Input of policy_rule_add(); strings as typed on the CLI. */
struct policy_rule_spec {
	uint32_t id; /* 0 = next free user id */
	const char *from;
	const char *to;
	const char *ports; /* NULL or "" = "any" */
	const char *const *apps;
	size_t n_apps;
	const char *action; /* "allow" | "deny" */
	bool learned;	    /* learned ids only; with id 0, the next learned id */
	int64_t created;
	int64_t last_hit;
};

/* Input of policy_workload_set(). */
struct policy_workload_spec {
	uint32_t id;
	const char *name;
	const char *const *groups;
	size_t n_groups;
	const struct policy_addr *addrs;
	size_t n_addrs;
	enum bh_mode mode;
};

/*
 * The names a workload resolved to an address (DNS answers the dp saw, still within
 * TTL + grace), for FQDN groups: each() calls fn once per live name, name lower case
 * without the trailing dot, valid only during the call; ttl_left_ms < 0 in the grace
 * period.  Implemented by the dp (src/dp/fqdn-table.c); policy_eval only reads.
 */
typedef void (*policy_fqdn_fn)(void *arg, const char *name, int64_t ttl_left_ms);
struct policy_fqdn_src {
	void (*each)(const void *ctx, uint32_t wl_id, const struct policy_addr *peer,
		     policy_fqdn_fn fn, void *arg);
	const void *ctx;
};

/* One end of a new session, as the dp sees it. */
struct policy_query {
	uint32_t wl_id;		 /* workload at THIS end */
	uint8_t dir;		 /* enum policy_dir */
	uint8_t proto;		 /* enum policy_proto */
	uint16_t port;		 /* server (destination) port; ignored for icmp/other */
	uint8_t app;		 /* enum bh_app; PENDING while DPI still inspects */
	struct policy_addr peer; /* address of the other end */
	/* Resolved names for FQDN groups; NULL: no FQDN group matches any peer. */
	const struct policy_fqdn_src *fqdn;
};

struct policy_verdict {
	enum policy_result action;
	bool violation;	   /* log as a violation */
	bool learn;	   /* discover, no rule: hand policy_learn_req_fill() to the ctl */
	uint32_t rule_id;  /* rule that decided; 0 = mode default */
	bool provisional;  /* an allow rule with apps matched while the app was PENDING */
	enum bh_mode mode; /* mode at this end */
	/* Static string: "rule", "default", "quarantine", "unknown workload", "bad query". */
	const char *reason;
};

/* A learned rule to create, derived from a query (see policy_learn_req_fill()). */
struct policy_learn_req {
	char from[POLICY_NAME_MAX]; /* client workload name or "external" */
	char to[POLICY_NAME_MAX];   /* server workload name or "external" */
	uint8_t proto;		    /* enum policy_proto */
	uint16_t port;
	uint8_t app; /* enum bh_app: a named app makes a rule for that app only */
};

/* Opaque: the mutable source model and the immutable compiled policy. */
struct policy_model;
struct policy;

#endif
