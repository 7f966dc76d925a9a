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

/* cfg[0]: where steered frames go. */
struct steer_cfg_val {
	__u32 dpp_ifindex;
};

/* stats[i]: per-CPU __u64 packet counters; userspace sums the CPUs. */
enum steer_stat {
	STEER_ST_TO_DP,		    /* IP frames from vin/vex redirected to the dp port */
	STEER_ST_PASSTHROUGH_NONIP, /* ARP & co. passed vin <-> vex directly */
	STEER_ST_DROPPED_SPOOF,	    /* vin: source MAC is not the workload's, or DA is a marker */
	STEER_ST_DROPPED_UNKNOWN,   /* unknown device/port, runt frame, unicast not for us */
	STEER_ST_RETURNED_VIN,	    /* from the dp, restored and sent toward the workload */
	STEER_ST_RETURNED_VEX,	    /* from the dp, restored and sent toward the bridge */
	STEER_ST_DROPPED_RETURN,    /* from the dp without a valid marker */
	STEER_ST_MAX,
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
#endif

#endif
