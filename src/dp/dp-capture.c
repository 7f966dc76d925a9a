/*
 * dp-capture.c - copies of one port's frames, as the dp decided them.
 *
 * Capturing is rare and must not cost the other ports anything: a worker
 * checks one byte per frame (dp->capture[idx]) and only a captured port's
 * frames are copied, at most DP_CAPTURE_SNAP bytes each, into the worker's
 * own ring.  The control thread drains the rings when the CLI asks; when it
 * falls behind, records are counted as lost rather than stalling the dp.
 */
#include "dp-capture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp-worker.h"

int dp_capring_init(struct dp_capring *r)
{
	memset(r, 0, sizeof(*r));
	r->rec = calloc(DP_CAPTURE_RING, sizeof(*r->rec));
	return r->rec ? 0 : -ENOMEM;
}

void dp_capring_fini(struct dp_capring *r)
{
	free(r->rec);
	r->rec = NULL;
}

static int64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void dp_capture_frame(struct dp_worker *w, const struct dp_pkt *p, uint32_t wire_len,
		      int dropped, enum dp_drop_reason why)
{
	struct dp_capring *r = &w->capture;
	uint32_t head = r->head, tail;
	struct dp_capture_rec *rec;

	if (!p->port_idx || !__atomic_load_n(&w->dp->capture[p->port_idx], __ATOMIC_RELAXED))
		return;
	tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	if (head - tail >= DP_CAPTURE_RING) {
		__atomic_store_n(&r->lost, r->lost + 1, __ATOMIC_RELAXED);
		return;
	}
	rec = &r->rec[head & (DP_CAPTURE_RING - 1)];
	rec->ts_us = wall_us();
	rec->port_idx = p->port_idx;
	rec->dir = p->dir;
	rec->dropped = (uint8_t)!!dropped;
	rec->reason = (uint8_t)why;
	rec->wire_len = wire_len;
	rec->cap_len = (uint16_t)(p->len < DP_CAPTURE_SNAP ? p->len : DP_CAPTURE_SNAP);
	rec->l3_off = p->l3 && p->l3 > p->eth && p->l3 - p->eth < 64 ? (uint8_t)(p->l3 - p->eth)
								      : 14;
	memcpy(rec->data, p->eth, rec->cap_len);
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
}

void dp_capture_set(struct dp *dp, uint16_t idx, bool on)
{
	if (!idx || idx >= BH_MAX_PORTS)
		return;
	__atomic_store_n(&dp->capture[idx], (uint8_t)on, __ATOMIC_RELAXED);
	/* Make every worker re-check its sessions: the port's fast-path entries go away. */
	__atomic_add_fetch(&dp->policy_seq, 1, __ATOMIC_RELEASE);
}

int dp_capture_drain(struct dp *dp, dp_capture_fn fn, void *ctx)
{
	int n = 0;

	for (int i = 0; dp->workers && i < dp->nworkers; i++) {
		struct dp_capring *r = &dp->workers[i].capture;
		uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
		uint32_t tail = r->tail;

		for (; tail != head; tail++, n++) {
			fn(ctx, &r->rec[tail & (DP_CAPTURE_RING - 1)]);
			__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
		}
	}
	return n;
}

uint64_t dp_capture_lost(struct dp *dp)
{
	uint64_t lost = 0;

	for (int i = 0; dp->workers && i < dp->nworkers; i++)
		lost += __atomic_load_n(&dp->workers[i].capture.lost, __ATOMIC_RELAXED);
	return lost;
}
