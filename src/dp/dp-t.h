/*
 * dp-t.h - types shared between the dp and its users (no functions).
 */
#ifndef BH_DP_T_H
#define BH_DP_T_H

#include <stdint.h>

#include "policy/policy-t.h"
#include "threat-t.h"

enum dp_drop_reason {
	DP_DROP_DECODE,     /* malformed or truncated headers */
	DP_DROP_TRUNCATED,  /* frame larger than a ring slot */
	DP_DROP_NO_PORT,    /* MAC names no published port */
	DP_DROP_POLICY,     /* blocked by policy / mode */
	DP_DROP_TX,         /* send back failed */
	DP_DROP_SESSION_FULL,
	DP_DROP_THREAT,     /* the threat stage, in protect */
	DP_DROP__MAX
};

/* What the dp needs to know about a pulled port. */
struct dp_port_info {
	uint16_t idx;
	uint8_t mac[6];    /* the workload's real MAC */
	uint32_t wl_id;    /* control-plane workload id */
	int mode;          /* enum bh_mode, policy issue; 0 = discover */
	uint16_t mtu;      /* the workload's MTU; IPv4 the kernel reassembled is refragmented
	                      to it on the way out (0 = 1500) */
	uint8_t tap;       /* read from a tap (dp-tap.c), not inline: nothing is forwarded or
	                      blocked, and no session enters the fast path */
	int vin_ifindex;   /* enforcer netns ends the dp transmits on directly (MACs restored */
	int vex_ifindex;   /* by the dp); 0: send back through the dp port and its tc program */
};

/* Direction is from the workload's point of view. */
enum dp_dir { DP_DIR_EGRESS = 0, DP_DIR_INGRESS = 1 };

struct dp_port_stats {
	uint64_t packets[2]; /* by dp_dir */
	uint64_t bytes[2];
	uint64_t sessions;   /* created */
	uint64_t sessions_active;
	uint64_t drops[DP_DROP__MAX];
};

struct dp_global_stats {
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t ring_drops;   /* PACKET_STATISTICS tp_drops */
	uint64_t drops[DP_DROP__MAX];
	uint64_t sessions_active;
};

/*
 * Events a worker hands the control thread (per-worker lock-free ring).
 * Addresses are in network order; client/server as the session saw them.
 */
enum dp_event_type {
	DP_EV_SESSION,  /* a new session was decided at one end */
	DP_EV_RESET,    /* a live session became blocked (policy change, or its app named) */
	DP_EV_END,      /* a session ended (closed, reset or timed out); may carry a late learn */
	DP_EV_APP,      /* DPI named a session's app (or gave up) and it is still allowed */
	DP_EV_THREAT,   /* the threat stage matched (threat.c); client/server = packet src/dst */
};

struct dp_event {
	uint8_t type;       /* enum dp_event_type */
	uint8_t end;        /* enum policy_dir: which end of the session this port is */
	uint8_t family;     /* AF_INET / AF_INET6 */
	uint8_t proto;      /* enum policy_proto */
	uint8_t ipproto;    /* IPPROTO_* */
	uint8_t action;     /* enum policy_result */
	uint8_t violation;
	uint8_t learn;      /* learn_req is valid */
	uint8_t mode;       /* enum bh_mode at this end */
	uint8_t app;        /* enum bh_app of the session when the event was made */
	uint16_t port_idx;
	uint16_t sport, dport;
	uint32_t wl_id;
	uint32_t rule_id;   /* 0 = mode default */
	uint8_t client[16];
	uint8_t server[16];
	uint64_t packets;   /* DP_EV_END: both directions */
	uint64_t bytes;
	int64_t time_ms;    /* wall clock */
	union {
		struct policy_learn_req learn_req;
		struct {
			uint16_t id;      /* enum threat_id */
			uint8_t action;   /* enum threat_action */
			uint8_t pkt_len;
			uint32_t count;   /* hits this event stands for */
			uint8_t pkt[THREAT_PKT_MAX]; /* the frame from its Ethernet header */
			/* user signatures (id > SIG_THREAT_BASE): their name and severity */
			uint8_t sig_severity;
			uint8_t sig_field;  /* enum sig_field */
			char sig_name[THREAT_SIG_NAME_MAX];
		} threat;             /* DP_EV_THREAT */
	};
};

/* One captured frame (`bulkhead capture`): as the dp saw it, with what it decided. */
#define DP_CAPTURE_SNAP 512 /* bytes kept of each frame */

struct dp_capture_rec {
	int64_t ts_us;      /* wall clock */
	uint16_t port_idx;
	uint8_t dir;        /* enum dp_dir */
	uint8_t dropped;    /* 0 forwarded, 1 dropped */
	uint8_t reason;     /* enum dp_drop_reason when dropped */
	uint8_t l3_off;     /* where the IP header starts in data (after VLAN tags) */
	uint16_t cap_len;   /* bytes in data */
	uint32_t wire_len;  /* the frame's real length (a GSO frame can be 64 KB) */
	uint8_t data[DP_CAPTURE_SNAP];
};

#endif
