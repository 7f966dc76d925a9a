/*
 * dp-event.c - worker -> control thread event rings.
 *
 * Verdict events (new sessions, resets, ends) must not cost the data path a
 * lock or a syscall, so each worker owns one ring and the control thread
 * drains all of them on its own schedule.
 */
#include "dp-event.h"

#include <errno.h>
#include <stdlib.h>

int dp_evring_init(struct dp_evring *r)
{
	r->ev = calloc(DP_EVRING_SIZE, sizeof(*r->ev));
	r->head = r->tail = 0;
	r->lost = 0;
	return r->ev ? 0 : -ENOMEM;
}

void dp_evring_fini(struct dp_evring *r)
{
	free(r->ev);
	r->ev = NULL;
}

void dp_evring_put(struct dp_evring *r, const struct dp_event *ev)
{
	uint32_t head = r->head;
	uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

	if (head - tail >= DP_EVRING_SIZE) {
		__atomic_store_n(&r->lost, r->lost + 1, __ATOMIC_RELAXED);
		return;
	}
	r->ev[head & (DP_EVRING_SIZE - 1)] = *ev;
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
}

int dp_evring_drain(struct dp_evring *r, dp_event_fn fn, void *ctx)
{
	uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	uint32_t tail = r->tail;
	int n = 0;

	for (; tail != head; tail++, n++) {
		fn(ctx, &r->ev[tail & (DP_EVRING_SIZE - 1)]);
		__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
	}
	return n;
}
