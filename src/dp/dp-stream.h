/*
 * dp-stream.h - the inspectors' view of TCP payload: reassembled streams
 * (src/dp/dp-stream.c, on top of reasm-tcp.c).
 */
#ifndef BH_DP_STREAM_H
#define BH_DP_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "decode-t.h"
#include "dp-t.h"
#include "session-t.h"

struct dp_worker;
struct reasm_stats;

/*
 * Hand one packet of allowed session s (sent by side) to the inspectors that still
 * want it: DPI, the threat stage's payload checks.  TCP goes through the reassembler
 * and they get its in-order bytes; other protocols, and TCP sessions it does not (or
 * no longer) hold, the packet's payload.  Returns true when DPI settled s's app.
 * The threat stage's verdict on the bytes is taken by threat_check() after.
 */
bool dp_stream_feed(struct dp_worker *w, const struct dp_port_info *port, struct session *s,
		    const struct dp_pkt *p, uint8_t side);

#endif
