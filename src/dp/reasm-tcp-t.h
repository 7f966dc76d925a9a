/*
 * reasm-tcp-t.h - TCP stream reassembly for inspection: limits, result flags and
 * counters (types only; functions in reasm-tcp.h).
 *
 * All memory is taken at worker start: a pool of flow slots (one per session under
 * inspection) and a pool of fixed-size chunks that hold out-of-order segments and
 * the retained stream head.  Sizes and caps are documented in docs/threats.md.
 */
#ifndef BH_REASM_TCP_T_H
#define BH_REASM_TCP_T_H

#include <stdint.h>

/* Sessions reassembled at once, per worker (flow slots, ~330 bytes each). */
#define REASM_FLOWS_DEFAULT 8192
/* Chunks per worker (256 bytes each: 2 MiB). */
#define REASM_CHUNKS_DEFAULT 8192
/* Chunks one session may hold (both directions, queue and head): 32 KiB. */
#define REASM_SESSION_CHUNKS 128
/* Payload bytes of one chunk (the rest is its header). */
#define REASM_CHUNK_DATA 240
/* Delivered bytes kept per direction to compare retransmissions with. */
#define REASM_TAIL 128
/* Longest stream head (first bytes of a direction) kept for the payload checks. */
#define REASM_HEAD_MAX 4096

/* session.reasm_flow: 0 = never reassembled, this = finished (never again), else slot + 1. */
#define REASM_FLOW_DONE UINT32_MAX

/* What reasm_tcp_segment() saw in one packet (bit set). */
#define REASM_R_OVERLAP 0x01 /* bytes that differ from ones delivered or queued at that seq */
#define REASM_R_CAP 0x02     /* an out-of-order segment not queued: a cap was reached */
#define REASM_R_WINDOW 0x04  /* data at or past the receiver's window edge: ignored */
#define REASM_R_NOFLOW 0x08  /* no free flow slot: the session is not reassembled */
#define REASM_R_QUEUED 0x10  /* the segment went to the out-of-order queue */

struct reasm_config {
	uint32_t flows;           /* 0 = REASM_FLOWS_DEFAULT */
	uint32_t chunks;          /* 0 = REASM_CHUNKS_DEFAULT */
	uint32_t session_chunks;  /* 0 = REASM_SESSION_CHUNKS */
};

struct reasm_stats {
	uint64_t sessions;      /* sessions that got a flow slot */
	uint64_t no_flow;       /* sessions not reassembled: no free slot */
	uint64_t ooo_segments;  /* segments queued out of order */
	uint64_t delivered;     /* bytes delivered in order */
	uint64_t overlaps;      /* segments whose bytes differed from earlier ones (evasion) */
	uint64_t cap_hits;      /* out-of-order segments refused: session or worker cap */
	uint64_t out_of_window; /* segments ignored: past the receiver's window */
	uint64_t gave_up;       /* sessions whose inspection stopped at a cap (monitor) */
	uint32_t flows_in_use;  /* gauges */
	uint32_t chunks_in_use;
	uint64_t queued_bytes;
};

#endif
