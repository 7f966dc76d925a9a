/*
 * dp.h - the data path as the control plane sees it.
 *
 * The dp owns its worker threads, their rings and their session tables.  The
 * control plane only publishes port descriptions (RCU) and reads counters;
 * it never takes a lock a worker could wait on.
 */
#ifndef BH_DP_H
#define BH_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "dp-t.h"

struct dp;

struct dp_config {
	int enf_netns_fd; /* workers open their sockets in this netns */
	int dp_ifindex;   /* the device steered packets arrive on (bh-dp) */
	int workers;      /* 0 = one per online CPU */
	uint32_t ring_frames;         /* RX ring slots per worker; 0 = 256 (each ~68 KB) */
	uint32_t sessions_per_worker; /* session table capacity; 0 = 65536 */
	int flow_map_fd;              /* eBPF fast-path flows map, -1 = every packet via the dp */
	int pair_map_fd;              /* the same map for one-pass judging between two local
	                                 ports (dp-pair.c); -1 = each port judges its own */
	uint32_t dpi_pool;            /* sessions under app identification at once, per worker;
	                                 0 = DPI_POOL_DEFAULT (8192) */
	struct threat_config threat;  /* threat stage on/off and limits (threat-t.h) */
	uint32_t fqdn_grace_ms;       /* FQDN groups: an answer's addresses stay this long
	                                 past its TTL (0 = none) */
	uint32_t fqdn_max;            /* resolved-address entries at most; 0 = 65536 */
	uint64_t spin_ns;             /* workers poll this long after traffic before sleeping */
};

int dp_new(struct dp **out, const struct dp_config *cfg);
int dp_start(struct dp *dp);     /* spawn workers; 0 or -errno */
void dp_stop(struct dp *dp);     /* join workers */
void dp_free(struct dp *dp);

/* Publish or withdraw a port (idx from the MAC encoding, 1..BH_MAX_PORTS-1). */
int dp_port_set(struct dp *dp, const struct dp_port_info *info);
void dp_port_clear(struct dp *dp, uint16_t idx);
/* Pulled inline with both devices known (not a tap): the ports one-pass judging serves. */
static inline bool dp_port_inline(const struct dp_port_info *i)
{
	return !i->tap && i->vin_ifindex > 0 && i->vex_ifindex > 0;
}
/* Workers, under rcu_read_lock: the inline port whose workload has this MAC, or 0. */
uint16_t dp_port_by_mac(struct dp *dp, const uint8_t *mac);

/*
 * Tap a port instead of pulling it (DESIGN §1, driver tap): open a receive-only packet
 * socket on ifname inside netns nsfd (the workload's own interface, both directions) and
 * let one worker run its frames through decode/session/policy/DPI/threat with every
 * verdict ignored: nothing is sent, nothing blocked.  The port must be published with
 * info.tap set.  Called from the control thread; err gets a one-line reason.
 */
int dp_tap_add(struct dp *dp, uint16_t idx, int nsfd, const char *ifname, char *err,
	       size_t errlen);
/* Close the tap of idx (no-op without one); no worker reads it once this returns. */
void dp_tap_del(struct dp *dp, uint16_t idx);

/* Counters of one port summed over workers (relaxed reads, never blocks). */
void dp_port_stats(struct dp *dp, uint16_t idx, struct dp_port_stats *out);
/* Counters not tied to a port (unknown MAC, ring drops, ...). */
void dp_global_stats(struct dp *dp, struct dp_global_stats *out);
/* Application identification counters summed over workers (dpi-t.h). */
struct dpi_stats;
void dp_dpi_stats(struct dp *dp, struct dpi_stats *out);
/* TCP stream reassembly counters and memory gauges summed over workers (reasm-tcp-t.h). */
struct reasm_stats;
void dp_reasm_stats(struct dp *dp, struct reasm_stats *out);

/*
 * Publish a compiled policy (the dp takes ownership).  Workers pick it up
 * within one tick and re-check every live session against it: sessions that
 * become blocked are reset (TCP: RST to both ends) or dropped from then on.
 * The previous policy is freed after an RCU grace period.  NULL = allow all.
 */
void dp_policy_set(struct dp *dp, struct policy *p);

/*
 * Publish a set of user signatures (sig.h; the dp takes ownership, NULL = none).
 * Workers use it from their next pass; sessions inspected under an older database
 * reopen their streams on the new one.  The previous set is freed after a grace
 * period (its database lives on while streams use it).
 */
struct sig_set;
void dp_sig_set(struct dp *dp, struct sig_set *set);
void dp_sig_free(struct dp *dp); /* dp_free: workers stopped */
/* Signature counters summed over workers (sig-t.h). */
struct sig_stats;
void dp_sig_stats(struct dp *dp, struct sig_stats *out);

/* Deliver queued worker events to cb on the calling (control) thread; returns how many. */
typedef void (*dp_event_fn)(void *ctx, const struct dp_event *ev);
int dp_events_drain(struct dp *dp, dp_event_fn cb, void *ctx);
/* Events lost because a worker's ring was full. */
uint64_t dp_events_lost(struct dp *dp);

/*
 * Packet capture of one port: while on, workers copy every frame of port idx (up to
 * DP_CAPTURE_SNAP bytes, with the verdict) into their capture rings, and the port's
 * sessions stay out of the eBPF fast path so the capture misses nothing.
 */
void dp_capture_set(struct dp *dp, uint16_t idx, bool on);
typedef void (*dp_capture_fn)(void *ctx, const struct dp_capture_rec *r);
int dp_capture_drain(struct dp *dp, dp_capture_fn fn, void *ctx);
uint64_t dp_capture_lost(struct dp *dp);

/*
 * FQDN groups (dp-fqdn.c, fqdn-table.h): the names workloads resolved to addresses, as
 * policy_eval consults them (put it in a policy_query to explain a decision the way the
 * dp takes it; NULL when dp is NULL).  The calling thread must be registered with
 * liburcu.  dp_fqdn_gc removes expired entries; call it from the control loop (it
 * sweeps at most once a second).
 */
const struct policy_fqdn_src *dp_fqdn_src(struct dp *dp);
void dp_fqdn_gc(struct dp *dp);
struct fqdn_table_stats;
void dp_fqdn_stats(struct dp *dp, struct fqdn_table_stats *out);

/* Number of worker threads (session expiry runs inside them, nothing to call). */
int dp_worker_count(const struct dp *dp);

#endif
