/*
 * wire-t.h - types of a pulled port: what the workload had, and what we made.
 *
 * A snapshot is everything needed to put the workload's interface back
 * exactly as it was, even by a later bulkheadd after a crash, so it is plain
 * data that round-trips through JSON (wire-json.c).
 */
#ifndef BH_WIRE_T_H
#define BH_WIRE_T_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#define WIRE_MAX_ADDRS 64
#define WIRE_MAX_ROUTES 128

struct wire_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t prefixlen;
	uint8_t scope;
	uint32_t flags; /* IFA_F_* as read (IFA_FLAGS) */
	uint8_t local[16];
	bool has_brd;
	uint8_t brd[16];
	char label[IFNAMSIZ]; /* IPv4 label, "" when equal to the ifname */
};

struct wire_route {
	uint8_t family;
	uint8_t dst_len;
	uint8_t scope;
	uint8_t protocol;
	uint8_t type;
	uint32_t table;
	uint32_t priority;
	uint32_t flags; /* RTNH_F_ONLINK etc. */
	uint8_t dst[16];
	bool has_gw;
	uint8_t gw[16];
	bool has_prefsrc;
	uint8_t prefsrc[16];
};

/* What the workload's interface looked like before the pull. */
struct wire_snapshot {
	char ifname[IFNAMSIZ];
	uint8_t mac[6];
	uint32_t mtu;
	uint32_t txqlen;
	bool ipv6_off; /* net.ipv6.conf.<ifname>.disable_ipv6 was set: the new device must match */
	int naddrs;
	struct wire_addr addrs[WIRE_MAX_ADDRS];
	int nroutes;
	struct wire_route routes[WIRE_MAX_ROUTES];
};

/* A pulled port: the two ends in the enforcer netns plus the original. */
struct wire_port {
	char id[9];             /* 8 hex chars, from the workload name */
	char vin[IFNAMSIZ];     /* "vin" + id: peer of the new eth0 */
	char vex[IFNAMSIZ];     /* "vex" + id: the original device, renamed */
	int vin_ifindex;        /* in the enforcer netns */
	int vex_ifindex;        /* in the enforcer netns */
	struct wire_snapshot orig;
};

#endif
