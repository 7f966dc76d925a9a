/*
 * dp-worker.h - worker threads of the dp (private to src/dp).
 */
#ifndef BH_DP_WORKER_H
#define BH_DP_WORKER_H

#include <stdint.h>

#include "dp-worker-t.h"

int dp_worker_init(struct dp_worker *w, struct dp *dp, int id);
void dp_worker_fini(struct dp_worker *w);
/* Spawn the thread and wait until its socket is open; 0 or -errno. */
int dp_worker_start(struct dp_worker *w);
void dp_worker_join(struct dp_worker *w);
/* A frame read from a tap of port idx (dp-tap.c): judged like an inline one, never sent. */
struct sess_result;
struct dp_pkt;
/* The stages after the port is known (dp-worker.c); NULL with *why when dropped. */
const struct dp_port *dp_worker_judge(struct dp_worker *w, const struct dp_port *port,
				      const struct io_frame *f, int dec, uint64_t now,
				      struct dp_pkt *p, enum dp_drop_reason *why,
				      struct sess_result *sr);
void dp_worker_count_drop(struct dp_worker *w, uint16_t idx, enum dp_drop_reason why);
void dp_worker_observe(struct dp_worker *w, const struct io_frame *f, uint16_t idx,
		       uint8_t dir, uint64_t now);

/* Single-writer counters: the owner adds, anyone may read (relaxed). */
static inline void dp_ctr_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

static inline uint64_t dp_ctr_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

#endif
