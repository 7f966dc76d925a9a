/*
 * dp-worker-t.h - the dp's private types: the instance, its workers and the
 * published port descriptions (no functions).
 */
#ifndef BH_DP_WORKER_T_H
#define BH_DP_WORKER_T_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include "dp-capture.h"
#include "dp-event.h"
#include "dp-t.h"
#include "dp.h"
#include "session-t.h"
#include "dpi-t.h"
#include "frag-ipv4-t.h"
#include "frag-ipv6-t.h"
#include "io-packet-t.h"
#include "portmac.h"

#define DP_BATCH 64          /* frames taken from the ring per pass */
#define DP_TICK_MS 100       /* longest sleep: stop flag and expiry are checked this often */
#define DP_EXPIRE_BUDGET 64  /* sessions expired per pass at most */
#define DP_STATS_MS 1000     /* PACKET_STATISTICS read interval */
#define DP_MAX_WORKERS 64
#define DP_TX_MAX FRAG_MAX_FRAGS /* >= DP_BATCH: room for one datagram's pieces */
#define DP_DEFAULT_MTU 1500

/* A published port: immutable once visible to workers (replaced, never edited). */
struct dp_port {
	struct dp_port_info info;
	uint32_t gen; /* changes when idx starts naming another workload */
};

/*
 * Inline ports by MAC (open addressing, linear probing), rebuilt and republished whole
 * on every port change: one-pass judging (dp-pair.c) finds the local port a frame is
 * addressed to.  Twice BH_MAX_PORTS slots, so every probe ends at a free one.
 */
#define DP_MAC_SLOTS (2 * BH_MAX_PORTS)
struct dp_mac_index {
	struct {
		uint8_t mac[6];
		uint16_t idx; /* 0: free */
	} slot[DP_MAC_SLOTS];
};

/* Frames of one pass, still in their ring slots until the pass ends. */
struct dp_batch {
	unsigned n;
	unsigned ntx;
	struct io_frame frames[DP_BATCH];
	struct mmsghdr msgs[DP_TX_MAX];
	struct iovec iov[DP_TX_MAX][2];
	uint16_t tx_port[DP_TX_MAX];
	struct sockaddr_ll tx_addr[DP_TX_MAX]; /* device of a direct transmit */
	bool tx_failed[DP_TX_MAX];
	struct frag_piece frags[FRAG_MAX_FRAGS]; /* headers of one refragmented datagram */
	/* one-pass entries of TCP sessions this pass closed, dropped once it has sent */
	unsigned nclosed;
	struct {
		struct session *s;
		struct sess_key key; /* s may be gone and reused by then: checked */
	} closed[DP_BATCH];
};

struct dp_tap;
struct dp_tapset;

struct fqdn_table;

struct dp_worker {
	struct dp *dp;
	int id;
	pthread_t thread;
	bool running;
	int start_rc;
	struct io_packet io;
	struct sess_table *sess;
	struct dpi *dpi; /* app identification: nDPI module + flow slot pool */
	struct threat *threat; /* threat stage: rate/count tables, report aggregator */
	struct reasm *reasm;   /* TCP stream reassembly for inspection (reasm-tcp.c) */
	/* Written only by this worker (relaxed atomics), summed by the readers. */
	struct dp_port_stats *port_stats; /* [BH_MAX_PORTS] */
	struct dp_global_stats stats;
	uint64_t last_stats_ms;
	int last_err;
	struct dp_batch batch;
	/* Policy stage: the policy of the current pass (RCU), the publish seq last rechecked. */
	const struct policy *pol;
	uint64_t pol_seq;
	struct dp_evring events;
	struct dp_capring capture;
	uint64_t fast_fail; /* fast-path installs the kernel refused (map full) */
	struct frag6_table frag6; /* IPv6 datagrams whose first fragment passed */
	struct dp_tapset *taps;   /* RCU-published: the taps this worker reads (dp-tap.c) */
};

struct dp {
	struct dp_config cfg;
	int nworkers;
	struct dp_worker *workers;
	int stop;
	bool running;
	sem_t started;
	uint16_t fanout_id;

	struct dp_port *ports[BH_MAX_PORTS]; /* RCU-published */
	struct dp_mac_index *macs;           /* RCU-published, NULL until a port is set */
	struct policy *policy;               /* RCU-published, NULL = allow all */
	struct sig_set *sigs;                /* RCU-published user signatures, NULL = none */
	uint64_t policy_seq;                 /* bumped on every publish */
	uint8_t capture[BH_MAX_PORTS];       /* ports being captured (dp_capture_set) */
	pthread_mutex_t port_lock;           /* serialises publishers only */
	uint32_t last_wl[BH_MAX_PORTS];      /* under port_lock: who idx named last */
	uint32_t last_gen[BH_MAX_PORTS];
	uint32_t next_gen;
	struct dp_tap *tap[BH_MAX_PORTS];    /* open taps by port; control thread only */
	struct fqdn_table *fqdn;             /* FQDN groups: resolved addresses (dp-fqdn.c) */
	struct policy_fqdn_src fqdn_src;     /* the view of it policy_eval gets */
	struct policy_fqdn_src fqdn_recheck; /* ... when re-checking live sessions (lingering) */
	int64_t fqdn_gc_ms;                  /* control thread: last sweep */
};

#endif
