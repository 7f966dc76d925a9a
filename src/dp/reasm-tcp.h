/*
 * reasm-tcp.h - TCP stream reassembly for inspection (src/dp/reasm-tcp.c).
 *
 * One struct reasm per worker, used by that worker only.  For each session the
 * inspectors still need (DPI, the threat stage's payload checks), each direction's
 * bytes are handed to a callback in sequence order, each byte once, as the
 * receiving Linux stack will accept them: the packet's own payload when it is in
 * order (no copy), queued out-of-order segments once the gap before them fills.
 * See docs/threats.md "TCP stream reassembly" for caps and the overlap policy.
 */
#ifndef BH_REASM_TCP_H
#define BH_REASM_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "decode-t.h"
#include "reasm-tcp-t.h"
#include "session-t.h"

struct reasm;

/* cfg may be NULL (defaults).  Not thread-safe: create workers' in turn. */
int reasm_new(struct reasm **out, const struct reasm_config *cfg);
void reasm_free(struct reasm *r);

/* In-order bytes of one direction (side: enum sess_side) starting at sequence seq. */
typedef void (*reasm_deliver_fn)(void *ctx, uint8_t side, const uint8_t *data, uint32_t len,
				 uint32_t seq);

/* s holds a flow slot now. */
static inline bool reasm_tcp_active(const struct session *s)
{
	return s->reasm_flow && s->reasm_flow != REASM_FLOW_DONE;
}

/*
 * One TCP packet of s (sent by side), already decoded.  Takes a flow slot at the
 * session's first call (none free: REASM_R_NOFLOW, and the session is never
 * reassembled).  Learns the initial sequence numbers from SYN / SYN+ACK (or, picked up
 * mid-stream, from the first data packet), window scale and the receivers' windows,
 * and calls fn for every byte range that became deliverable.  Returns REASM_R_* bits.
 */
unsigned reasm_tcp_segment(struct reasm *r, struct session *s, const struct dp_pkt *p,
			   uint8_t side, reasm_deliver_fn fn, void *ctx);

/* Inspection of s is over (or s leaves the table): everything it holds goes back. */
void reasm_tcp_release(struct reasm *r, struct session *s);
/* Same, counted as a session whose inspection stopped at a cap. */
void reasm_tcp_give_up(struct reasm *r, struct session *s);

/* Out-of-order bytes s has queued (both directions). */
uint32_t reasm_tcp_queued(const struct reasm *r, const struct session *s);
/* Bytes delivered so far in side's direction (0 when not reassembled). */
uint64_t reasm_tcp_offset(const struct reasm *r, const struct session *s, uint8_t side);

/*
 * The stream head: the first bytes of a direction, kept for checks that need a whole
 * request line or record.  head_add appends (up to REASM_HEAD_MAX; -ENOSPC when no
 * chunk is left); head returns them contiguous (a pointer valid until the next call)
 * and NULL/0 when empty; head_done frees them and marks the head finished.
 */
int reasm_tcp_head_add(struct reasm *r, struct session *s, uint8_t side, const uint8_t *data,
		       uint32_t len);
const uint8_t *reasm_tcp_head(struct reasm *r, const struct session *s, uint8_t side,
			      uint32_t *len);
void reasm_tcp_head_done(struct reasm *r, struct session *s, uint8_t side);
bool reasm_tcp_head_is_done(const struct reasm *r, const struct session *s, uint8_t side);

void reasm_get_stats(const struct reasm *r, struct reasm_stats *out);

#endif
