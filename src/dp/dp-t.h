/*
 * dp-t.h - types shared between the dp and its users (no functions).
 */
#ifndef BH_DP_T_H
#define BH_DP_T_H

#include <stdint.h>

enum dp_drop_reason {
	DP_DROP_DECODE,     /* malformed or truncated headers */
	DP_DROP_TRUNCATED,  /* frame larger than a ring slot */
	DP_DROP_NO_PORT,    /* MAC names no published port */
	DP_DROP_POLICY,     /* blocked by policy / mode */
	DP_DROP_TX,         /* send back failed */
	DP_DROP_SESSION_FULL,
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

#endif
