/*
 * dp-event.h - a single-producer single-consumer ring of dp_event: the
 * worker writes, the control thread reads, neither ever waits.
 */
#ifndef BH_DP_EVENT_H
#define BH_DP_EVENT_H

#include <stdint.h>

#include "dp-t.h"
#include "dp.h"

#define DP_EVRING_SIZE 4096 /* power of two */

struct dp_evring {
	struct dp_event *ev;
	uint32_t head; /* next slot the worker writes (release) */
	uint32_t tail; /* next slot the reader takes (release) */
	uint64_t lost; /* events dropped because the ring was full (worker-written) */
};

int dp_evring_init(struct dp_evring *r);
void dp_evring_fini(struct dp_evring *r);
/* Worker side: queue a copy of ev; when full, count it lost (a log line is not worth a stall). */
void dp_evring_put(struct dp_evring *r, const struct dp_event *ev);
/* Reader side: hand every queued event to fn; returns how many. */
int dp_evring_drain(struct dp_evring *r, dp_event_fn fn, void *ctx);

#endif
