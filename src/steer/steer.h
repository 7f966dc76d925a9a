/*
 * steer.h - drivers that send every packet of a pulled port through the dp.
 *
 * One small interface, several drivers (DESIGN §1): "ebpf" (clsact + cls_bpf,
 * the default) and "tc" (u32 + pedit + mirred, only where act_pedit exists).
 * "auto" takes ebpf; "tc" without act_pedit falls back to ebpf with a log
 * line.  The reason for the choice is kept in steer_why() for `status`.
 *
 * All calls may come from any thread in any netns: the driver enters the
 * enforcer netns for its netlink/tc work and returns.  0 or -errno.
 */
#ifndef BH_STEER_H
#define BH_STEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct steer;

struct steer_port {
	uint16_t idx;      /* port index, 1..BH_MAX_PORTS-1; encoded in the MAC */
	int vin_ifindex;   /* enforcer netns */
	int vex_ifindex;   /* enforcer netns */
	uint8_t mac[6];    /* the workload's MAC */
	char vin[16];
	char vex[16];
};

struct steer_config {
	const char *driver;   /* "auto", "ebpf" or "tc" */
	int enf_netns_fd;     /* enforcer netns */
	const char *enf_netns_name;
	int dp_ifindex;       /* the end the dp reads (bh-dp) */
	int dpp_ifindex;      /* its peer, where steered packets are redirected to */
	const char *dp_name;
	const char *dpp_name;
	bool fail_open;       /* --fail open: bypass the dp while bulkheadd's heartbeat is stale */
};

/* Open a driver; err gets a one-line reason on failure. */
int steer_open(struct steer **out, const struct steer_config *cfg, char *err, size_t errlen);
void steer_close(struct steer *s);

const char *steer_name(const struct steer *s);   /* "ebpf" or "tc" */
const char *steer_why(const struct steer *s);    /* e.g. "auto: act_pedit not available, using ebpf" */

int steer_attach(struct steer *s, const struct steer_port *p);
int steer_detach(struct steer *s, const struct steer_port *p);

/*
 * Fast path: the BPF hash of established, allowed flows (struct steer_flow_key/val in
 * bpf/steer-maps.h) that the dp fills, or -EOPNOTSUPP for drivers without one; and what
 * the fast path forwarded for port idx, by direction (0 out of the workload, 1 in).
 */
int steer_flow_map_fd(struct steer *s);
int steer_fast_stats(struct steer *s, uint16_t idx, uint64_t packets[2], uint64_t bytes[2]);

/*
 * Tell the steering programs bulkheadd is alive (call every ~100 ms).  With fail_open, a
 * heartbeat older than a second makes them forward pulled ports' traffic directly.
 */
int steer_heartbeat(struct steer *s);

/* True when this kernel has tc action pedit (probe via netlink, no side effects). */
bool steer_have_pedit(void);

#endif
