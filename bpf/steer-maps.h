/*
 * steer-maps.h - the maps shared by steer.bpf.c and the ebpf steering driver.
 *
 * Userspace (src/steer/steer-ebpf.c) writes these maps through the libbpf
 * skeleton, the tc programs read them, so both sides include this one file
 * for the value layouts.  Only <linux/types.h> types: it must compile for
 * -target bpf and for the host.  The map definitions themselves live at the
 * bottom, visible only to the BPF build.
 */
#ifndef BH_STEER_MAPS_H
#define BH_STEER_MAPS_H

#include <linux/types.h>

#include "portmac.h"

/* ports[idx]: one entry per pulled port; idx is the one encoded in the MAC markers. */
struct steer_port_val {
	__u32 vin_ifindex; /* enforcer netns end toward the workload's new eth0 */
	__u32 vex_ifindex; /* the workload's original veth end, peer on the bridge */
	__u8 mac[6];	   /* the workload's MAC */
	__u8 active;	   /* 0: the slot is free, every frame for it is dropped */
	__u8 pad;
};

enum steer_role {
	STEER_ROLE_VIN = 1,
	STEER_ROLE_VEX = 2,
};

/* ifaces[ifindex]: which port and which side a vin/vex device is. */
struct steer_iface_val {
	__u16 idx;
	__u8 role; /* enum steer_role */
	__u8 pad;
};

/* cfg[0]: where steered frames go, and what to do while nobody reads them. */
struct steer_cfg_val {
	__u32 dpp_ifindex;
	__u32 fail_open;    /* 1: while the heartbeat is stale, forward vin <-> vex directly */
	__u64 heartbeat_ns; /* CLOCK_MONOTONIC of bulkheadd's last beat */
};

#define STEER_HEARTBEAT_STALE_NS 1000000000ull /* bulkheadd beats every 100 ms */

/* stats[i]: per-CPU __u64 packet counters; userspace sums the CPUs. */
enum steer_stat {
	STEER_ST_TO_DP,		    /* IP frames from vin/vex redirected to the dp port */
	STEER_ST_PASSTHROUGH_NONIP, /* ARP & co. passed vin <-> vex directly */
	STEER_ST_DROPPED_SPOOF,	    /* vin: source MAC is not the workload's, or DA is a marker */
	STEER_ST_DROPPED_UNKNOWN,   /* unknown device/port, runt frame, unicast not for us */
	STEER_ST_RETURNED_VIN,	    /* from the dp, restored and sent toward the workload */
	STEER_ST_RETURNED_VEX,	    /* from the dp, restored and sent toward the bridge */
	STEER_ST_DROPPED_RETURN,    /* from the dp without a valid marker */
	STEER_ST_FAIL_OPEN,	    /* forwarded directly because bulkheadd was gone (--fail open) */
	STEER_ST_MAX,
};

/*
 * flows: the fast path.  The dp installs an established, allowed session as two
 * directional entries (one per sender) keyed by the packet's own addresses, so the tc
 * program needs one lookup and no canonical ordering.  Ports are host order, addresses
 * network order (IPv4 in the first 4 bytes), exactly as the dp decodes them.
 */
struct steer_flow_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u16 idx;   /* port index: the same flow at another port is another entry */
	__u8 family; /* AF_INET (2) or AF_INET6 (10) */
	__u8 proto;  /* IPPROTO_TCP or IPPROTO_UDP */
};

struct steer_flow_val {
	__u64 packets;   /* forwarded by the fast path */
	__u64 bytes;
	__u64 last_dp_ns; /* when a sample last went to the dp */
	__u32 next_seq;   /* TCP: sequence number this sender sends next (for resets) */
	__u32 flags;
};

/*
 * flags: STEER_FLOW_PAIR marks a one-pass entry (src/dp/dp-pair.c): the sender is another
 * local port whose dp pass already judged every frame of the flow for this port too, so
 * the frames arriving from the bridge go in whole (SYN/FIN/RST too), unsampled and
 * uncounted here.  Valid only on the way in (vex).
 */
#define STEER_FLOW_PAIR 1u
#define STEER_FLOW_MAX 262144
#define STEER_SAMPLE_NS 1000000000ull /* one packet per second per flow still visits the dp */

/* fast[idx * 2 + dir]: per-CPU packets/bytes the fast path forwarded (dir: 0 out, 1 in). */
struct steer_fast_ctr {
	__u64 packets;
	__u64 bytes;
};

#if defined(__bpf__)
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BH_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct steer_port_val);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * BH_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct steer_iface_val);
} ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct steer_cfg_val);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STEER_ST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STEER_FLOW_MAX);
	__type(key, struct steer_flow_key);
	__type(value, struct steer_flow_val);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * BH_MAX_PORTS);
	__type(key, __u32);
	__type(value, struct steer_fast_ctr);
} fast SEC(".maps");
#endif

#endif
