/*
 * dpi-t.h - application identification in the dp: limits and counters (types only).
 */
#ifndef BH_DPI_T_H
#define BH_DPI_T_H

#include <stdint.h>

/*
 * Sessions under inspection at once, per worker.  A flow slot (nDPI's flow state,
 * ~700 bytes) is taken at a session's first payload packet and given back as soon
 * as the app is named or the caps below are reached, so this bounds sessions that
 * are *mid-identification*, not live sessions.  8192 slots = ~6 MB per worker.
 */
#define DPI_POOL_DEFAULT 8192
/* Per direction: payload bytes / payload packets fed to nDPI before giving up. */
#define DPI_CAP_BYTES 8192
#define DPI_CAP_PACKETS 16

struct dpi_stats {
	uint64_t inspected;  /* sessions that got a flow slot */
	uint64_t identified; /* ... and ended with a named app */
	uint64_t gave_up;    /* ... and hit a cap (or ended) without one */
	uint64_t pool_full;  /* sessions not inspected: no free slot (app "unknown") */
	uint64_t packets;    /* packets fed */
	uint32_t in_use;     /* slots taken now */
};

#endif
