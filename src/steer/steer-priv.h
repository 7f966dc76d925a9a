/*
 * steer-priv.h - what the steer dispatcher and its drivers share, nothing else includes it.
 *
 * struct steer is the context every call gets: the chosen driver's ops, its private state,
 * and a copy of the configuration (names copied, netns fd dup'ed) so the caller's strings and
 * fd may go away after steer_open().
 */
#ifndef BH_STEER_PRIV_H
#define BH_STEER_PRIV_H

#include <net/if.h>

#include "steer.h"

struct steer;

struct steer_ops {
	const char *name;
	int (*open)(struct steer *s, char *err, size_t errlen);
	void (*close)(struct steer *s);
	int (*attach)(struct steer *s, const struct steer_port *p);
	int (*detach)(struct steer *s, const struct steer_port *p);
	/* Fast path (optional): the flows map the dp fills, per-port forwarded counters. */
	int (*flow_map_fd)(struct steer *s);
	int (*fast_stats)(struct steer *s, uint16_t idx, uint64_t packets[2], uint64_t bytes[2]);
	int (*heartbeat)(struct steer *s);
};

struct steer {
	const struct steer_ops *ops;
	void *priv; /* the driver's own state */
	char why[128];
	int enf_netns_fd; /* our own dup */
	char enf_netns_name[64];
	int dp_ifindex;
	int dpp_ifindex;
	bool fail_open;
	char dp_name[IF_NAMESIZE];
	char dpp_name[IF_NAMESIZE];
};

extern const struct steer_ops steer_ebpf_ops;
extern const struct steer_ops steer_tc_ops;

struct nlmsghdr;
/* Send one rtnetlink request (REQUEST|ACK added) in the current netns; 0 or the kernel's -errno. */
int steer_nl_request(struct nlmsghdr *nlh);
/* Create clsact on ifindex, or keep the one there with its filters. */
int steer_clsact_ensure(int ifindex);

/* 0 when p names a usable port (index in range, both ifindexes set). */
int steer_port_check(const struct steer_port *p);

#endif
