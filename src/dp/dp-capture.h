/*
 * dp-capture.h - per-worker capture rings for `bulkhead capture` (private to src/dp).
 */
#ifndef BH_DP_CAPTURE_H
#define BH_DP_CAPTURE_H

#include <stdint.h>

#include "decode-t.h"
#include "dp-t.h"

#define DP_CAPTURE_RING 1024 /* records per worker, power of two */

struct dp_capring {
	struct dp_capture_rec *rec;
	uint32_t head; /* worker writes (release) */
	uint32_t tail; /* reader takes (release) */
	uint64_t lost;
};

struct dp_worker;

int dp_capring_init(struct dp_capring *r);
void dp_capring_fini(struct dp_capring *r);

/* Record p (a frame of a published port) if its port is being captured. */
void dp_capture_frame(struct dp_worker *w, const struct dp_pkt *p, uint32_t wire_len,
		      int dropped, enum dp_drop_reason why);

#endif
