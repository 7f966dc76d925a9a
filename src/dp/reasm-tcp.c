/*
 * reasm-tcp.c - TCP stream reassembly for inspection.
 *
 * An inspector that judges packets one by one is blind to a request split into
 * 1-byte segments, sent out of order, or sent twice with different bytes: the
 * receiving stack puts the stream together and the application sees what the
 * inspector never did.  This file puts each direction of a session back together
 * the way Linux's receiver does, and hands the bytes on in order, once:
 *
 * - rcv_nxt ("next") per direction, from the SYN / SYN+ACK (data on a SYN is not
 *   delivered: Linux does not take it without Fast Open) or, for a session picked
 *   up mid-stream, from its first data packet.  Bytes before next are never
 *   delivered again: for in-order data the first copy wins.
 * - A segment in order is delivered straight from the packet (no copy).  One past
 *   next is queued in fixed-size chunks from a per-worker pool, in a list sorted by
 *   sequence number, with the rules of Linux's out-of-order queue
 *   (tcp_data_queue_ofo): a segment inside one already queued is dropped, one that
 *   starts at the same place and is longer replaces it, queued segments it covers
 *   are dropped, partial overlaps are both kept and, on delivery, the one starting
 *   lower wins the overlapping bytes.
 * - Whatever wins, bytes that differ from the ones delivered (the last REASM_TAIL of
 *   them are kept) or queued at the same sequence number are reported
 *   (REASM_R_OVERLAP): no ordinary stack resends different data.
 * - A segment starting at or past the receiver's window edge (its last ack plus its
 *   scaled window) is dropped by the receiver, so it is not inspected either.  The
 *   window scale is only known from a handshake seen whole; without it only the caps
 *   bound the queue.
 *
 * Memory: flow slots and chunks are allocated at worker start; a session may hold
 * at most session_chunks chunks, the worker the whole pool.  A segment over a cap is
 * not queued (REASM_R_CAP): the caller decides (dp-stream.c: protect drops it, the
 * sender retransmits; other modes stop inspecting the session).
 */
#include "reasm-tcp.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_WSCALE 3
#define WSCALE_MAX 14

#define BEFORE(a, b) ((int32_t)((a) - (b)) < 0)
#define AFTER(a, b) BEFORE(b, a)

/* reasm_dir.flags */
#define D_NEXT 0x01	 /* next is valid */
#define D_EDGE 0x02	 /* edge is valid */
#define D_SYN 0x04	 /* this side's SYN was seen */
#define D_WS 0x08	 /* ... and it offered window scaling (wscale) */
#define D_HEAD_DONE 0x10 /* the stream head is finished */

/*
 * One chunk: a piece of a queued segment (the first chunk of a segment carries its
 * sequence number and length and links to the next segment) or of the stream head.
 */
struct reasm_chunk {
	uint32_t next;	   /* next chunk of the same segment / head, pool index + 1 */
	uint32_t seg_next; /* first chunk: next segment in sequence order */
	uint32_t seq;	   /* first chunk: the segment's first sequence number */
	uint32_t len;	   /* first chunk of a segment: its length; head chunk: bytes used */
	uint8_t data[REASM_CHUNK_DATA];
};

struct reasm_dir {
	uint32_t next;	      /* rcv_nxt: the next byte to deliver */
	uint32_t edge;	      /* the receiver's right window edge */
	uint32_t queue;	      /* first queued segment (chunk index + 1) */
	uint32_t head, head_last;
	uint32_t head_len;
	uint32_t queued;      /* bytes in the queue (overlaps counted twice) */
	uint64_t delivered;
	uint16_t tail_len;    /* bytes in tail, the ring of the last delivered ones */
	uint16_t tail_pos;    /* where the next delivered byte goes */
	uint8_t flags;	      /* D_* */
	uint8_t wscale;
	uint8_t tail[REASM_TAIL];
};

struct reasm_flow {
	struct reasm_dir d[2];
	uint32_t chunks;    /* chunks held (both directions) */
	uint32_t next_free; /* pool index + 1 while free */
};

struct reasm {
	struct reasm_config cfg;
	struct reasm_flow *flows;
	struct reasm_chunk *chunks;
	uint32_t flow_free;  /* free list heads, index + 1 */
	uint32_t chunk_free;
	/* Slots ever handed out: the pools are taken in order before the free lists are used,
	 * so pages never needed are never touched and cost no resident memory. */
	uint32_t flows_used, chunks_used;
	uint32_t chunks_free_n;
	struct reasm_stats stats;
	uint8_t scratch[REASM_HEAD_MAX];
};

_Static_assert((REASM_TAIL & (REASM_TAIL - 1)) == 0, "REASM_TAIL must be a power of two");
_Static_assert(sizeof(struct reasm_chunk) == 256, "a chunk is 256 bytes");

/* Counters: written by the owning worker only, read by others (reasm_get_stats). */
static void ctr_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static void gauge_set(uint32_t *g, uint32_t v)
{
	__atomic_store_n(g, v, __ATOMIC_RELAXED);
}

int reasm_new(struct reasm **out, const struct reasm_config *cfg)
{
	struct reasm *r;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (cfg)
		r->cfg = *cfg;
	if (!r->cfg.flows)
		r->cfg.flows = REASM_FLOWS_DEFAULT;
	if (!r->cfg.chunks)
		r->cfg.chunks = REASM_CHUNKS_DEFAULT;
	if (!r->cfg.session_chunks)
		r->cfg.session_chunks = REASM_SESSION_CHUNKS;
	r->flows = calloc(r->cfg.flows, sizeof(*r->flows));
	r->chunks = calloc(r->cfg.chunks, sizeof(*r->chunks));
	if (!r->flows || !r->chunks) {
		reasm_free(r);
		return -ENOMEM;
	}
	r->chunks_free_n = r->cfg.chunks;
	*out = r;
	return 0;
}

void reasm_free(struct reasm *r)
{
	if (!r)
		return;
	free(r->flows);
	free(r->chunks);
	free(r);
}

/* ---- chunks ---- */

static struct reasm_chunk *ck(const struct reasm *r, uint32_t i)
{
	return &r->chunks[i - 1];
}

static uint32_t chunks_for(uint32_t len)
{
	return (len + REASM_CHUNK_DATA - 1) / REASM_CHUNK_DATA;
}

/* Room for n more chunks in the pool and under the session's cap. */
static bool chunks_room(const struct reasm *r, const struct reasm_flow *f, uint32_t n)
{
	return n <= r->chunks_free_n && f->chunks + n <= r->cfg.session_chunks;
}

static uint32_t chunk_take(struct reasm *r, struct reasm_flow *f)
{
	uint32_t i = r->chunk_free ? r->chunk_free : ++r->chunks_used;
	struct reasm_chunk *c = ck(r, i);

	if (i == r->chunk_free)
		r->chunk_free = c->next;
	r->chunks_free_n--;
	f->chunks++;
	memset(c, 0, offsetof(struct reasm_chunk, data));
	gauge_set(&r->stats.chunks_in_use, r->cfg.chunks - r->chunks_free_n);
	return i;
}

/* Give back a chain linked by .next. */
static void chain_free(struct reasm *r, struct reasm_flow *f, uint32_t i)
{
	while (i) {
		struct reasm_chunk *c = ck(r, i);
		uint32_t nx = c->next;

		c->next = r->chunk_free;
		r->chunk_free = i;
		r->chunks_free_n++;
		f->chunks--;
		i = nx;
	}
	gauge_set(&r->stats.chunks_in_use, r->cfg.chunks - r->chunks_free_n);
}

/* ---- queued segments ---- */

static uint32_t seg_end(const struct reasm *r, uint32_t s)
{
	return ck(r, s)->seq + ck(r, s)->len;
}

static void queued_add(struct reasm *r, struct reasm_dir *d, int64_t n)
{
	d->queued = (uint32_t)((int64_t)d->queued + n);
	ctr_add(&r->stats.queued_bytes, (uint64_t)n);
}

static void seg_free(struct reasm *r, struct reasm_flow *f, struct reasm_dir *d, uint32_t s)
{
	queued_add(r, d, -(int64_t)ck(r, s)->len);
	chain_free(r, f, s);
}

/* Copy len bytes into the chain starting at chunk c, offset off (chunks exist). */
static void chain_write(struct reasm *r, uint32_t c, uint32_t off, const uint8_t *b, uint32_t len)
{
	while (off >= REASM_CHUNK_DATA) {
		c = ck(r, c)->next;
		off -= REASM_CHUNK_DATA;
	}
	while (len) {
		uint32_t n = REASM_CHUNK_DATA - off < len ? REASM_CHUNK_DATA - off : len;

		memcpy(ck(r, c)->data + off, b, n);
		b += n;
		len -= n;
		off = 0;
		c = ck(r, c)->next;
	}
}

/* Append n new chunks after chunk last (0: start a chain); returns the first new one. */
static uint32_t chain_grow(struct reasm *r, struct reasm_flow *f, uint32_t last, uint32_t n)
{
	uint32_t first = 0;

	while (n--) {
		uint32_t c = chunk_take(r, f);

		if (last)
			ck(r, last)->next = c;
		if (!first)
			first = c;
		last = c;
	}
	return first;
}

static uint32_t chain_last(const struct reasm *r, uint32_t c)
{
	while (ck(r, c)->next)
		c = ck(r, c)->next;
	return c;
}

/* Does segment s hold bytes other than b at [seq, seq + len) (within s)? */
static bool seg_differs(const struct reasm *r, uint32_t s, uint32_t seq, const uint8_t *b,
			uint32_t len)
{
	uint32_t off = seq - ck(r, s)->seq, c = s;

	while (off >= REASM_CHUNK_DATA) {
		c = ck(r, c)->next;
		off -= REASM_CHUNK_DATA;
	}
	while (len) {
		uint32_t n = REASM_CHUNK_DATA - off < len ? REASM_CHUNK_DATA - off : len;

		if (memcmp(ck(r, c)->data + off, b, n))
			return true;
		b += n;
		len -= n;
		off = 0;
		c = ck(r, c)->next;
	}
	return false;
}

/* Any queued segment holding other bytes than b somewhere in [seq, seq + len)? */
static bool queue_differs(const struct reasm *r, const struct reasm_dir *d, uint32_t seq,
			  const uint8_t *b, uint32_t len)
{
	uint32_t end = seq + len;

	for (uint32_t s = d->queue; s && BEFORE(ck(r, s)->seq, end); s = ck(r, s)->seg_next) {
		uint32_t lo = ck(r, s)->seq, hi = seg_end(r, s);

		if (!AFTER(hi, seq))
			continue;
		if (BEFORE(lo, seq))
			lo = seq;
		if (AFTER(hi, end))
			hi = end;
		if (seg_differs(r, s, lo, b + (lo - seq), hi - lo))
			return true;
	}
	return false;
}

/* Drop the queued segments right after s that s covers whole (Linux: merge_right). */
static void merge_right(struct reasm *r, struct reasm_flow *f, struct reasm_dir *d, uint32_t s)
{
	uint32_t end = seg_end(r, s), y;

	while ((y = ck(r, s)->seg_next) && AFTER(end, ck(r, y)->seq)) {
		if (BEFORE(end, seg_end(r, y)))
			break;
		ck(r, s)->seg_next = ck(r, y)->seg_next;
		seg_free(r, f, d, y);
	}
}

/* Extend segment p by b (it ends where b starts, and nothing queued overlaps b). */
static int seg_coalesce(struct reasm *r, struct reasm_flow *f, struct reasm_dir *d, uint32_t p,
			const uint8_t *b, uint32_t len)
{
	uint32_t have = ck(r, p)->len, used = have % REASM_CHUNK_DATA, room, last;

	room = used ? REASM_CHUNK_DATA - used : 0;
	if (len > room && !chunks_room(r, f, chunks_for(len - room)))
		return -ENOSPC;
	last = chain_last(r, p);
	if (len > room)
		chain_grow(r, f, last, chunks_for(len - room));
	chain_write(r, p, have, b, len);
	ck(r, p)->len += len;
	queued_add(r, d, len);
	return 0;
}

/* A new segment [seq, seq + len) linked after prev (0: first) and before nx. */
static int seg_insert(struct reasm *r, struct reasm_flow *f, struct reasm_dir *d, uint32_t prev,
		      uint32_t nx, uint32_t seq, const uint8_t *b, uint32_t len)
{
	uint32_t s;

	if (!chunks_room(r, f, chunks_for(len)))
		return -ENOSPC;
	s = chain_grow(r, f, 0, chunks_for(len));
	ck(r, s)->seq = seq;
	ck(r, s)->len = len;
	chain_write(r, s, 0, b, len);
	ck(r, s)->seg_next = nx;
	if (prev)
		ck(r, prev)->seg_next = s;
	else
		d->queue = s;
	queued_add(r, d, len);
	merge_right(r, f, d, s);
	return 0;
}

/* Queue an out-of-order segment the way tcp_data_queue_ofo() does. */
static int queue_add(struct reasm *r, struct reasm_flow *f, struct reasm_dir *d, uint32_t seq,
		     const uint8_t *b, uint32_t len)
{
	uint32_t end = seq + len, prev = 0, x = d->queue;

	for (; x && BEFORE(ck(r, x)->seq, seq); prev = x, x = ck(r, x)->seg_next)
		if (BEFORE(seq, seg_end(r, x)) && !AFTER(end, seg_end(r, x)))
			return 0; /* all its bytes are queued already */
	if (x && ck(r, x)->seq == seq && !AFTER(end, seg_end(r, x)))
		return 0;
	if (prev && seg_end(r, prev) == seq && (!x || !AFTER(end, ck(r, x)->seq)))
		return seg_coalesce(r, f, d, prev, b, len);
	return seg_insert(r, f, d, prev, x, seq, b, len);
}

/* ---- delivery ---- */

static void tail_push(struct reasm_dir *d, const uint8_t *b, uint32_t len)
{
	if (len > REASM_TAIL) {
		b += len - REASM_TAIL;
		len = REASM_TAIL;
	}
	for (uint32_t i = 0; i < len; i++)
		d->tail[(d->tail_pos + i) & (REASM_TAIL - 1)] = b[i];
	d->tail_pos = (uint16_t)((d->tail_pos + len) & (REASM_TAIL - 1));
	d->tail_len = (uint16_t)(d->tail_len + len > REASM_TAIL ? REASM_TAIL : d->tail_len + len);
}

/* Do b's bytes at [seq, seq + len) (all before next) differ from the delivered ones kept? */
static bool tail_differs(const struct reasm_dir *d, uint32_t seq, const uint8_t *b, uint32_t len)
{
	uint32_t lo = d->next - d->tail_len;

	if (BEFORE(seq, lo)) {
		uint32_t skip = lo - seq;

		if (skip >= len)
			return false; /* older than what is kept: cannot tell */
		b += skip;
		len -= skip;
		seq = lo;
	}
	for (uint32_t i = 0; i < len; i++) {
		uint32_t back = d->next - (seq + i); /* 1..tail_len */

		if (d->tail[(d->tail_pos - back) & (REASM_TAIL - 1)] != b[i])
			return true;
	}
	return false;
}

static void deliver(struct reasm *r, struct reasm_dir *d, uint8_t side, const uint8_t *b,
		    uint32_t len, reasm_deliver_fn fn, void *ctx)
{
	if (fn)
		fn(ctx, side, b, len, d->next);
	tail_push(d, b, len);
	d->next += len;
	d->delivered += len;
	ctr_add(&r->stats.delivered, len);
}

/* Deliver segment s from next on, chunk by chunk. */
static void seg_deliver(struct reasm *r, struct reasm_dir *d, uint8_t side, uint32_t s,
			reasm_deliver_fn fn, void *ctx)
{
	uint32_t off = d->next - ck(r, s)->seq, left = ck(r, s)->len - off, c = s;

	while (off >= REASM_CHUNK_DATA) {
		c = ck(r, c)->next;
		off -= REASM_CHUNK_DATA;
	}
	while (left) {
		uint32_t n = REASM_CHUNK_DATA - off < left ? REASM_CHUNK_DATA - off : left;

		deliver(r, d, side, ck(r, c)->data + off, n, fn, ctx);
		left -= n;
		off = 0;
		c = ck(r, c)->next;
	}
}

/* The gap before the queue's head filled: deliver what is contiguous now. */
static void drain(struct reasm *r, struct reasm_flow *f, struct reasm_dir *d, uint8_t side,
		  reasm_deliver_fn fn, void *ctx)
{
	uint32_t s;

	while ((s = d->queue) && !AFTER(ck(r, s)->seq, d->next)) {
		if (AFTER(seg_end(r, s), d->next))
			seg_deliver(r, d, side, s, fn, ctx);
		d->queue = ck(r, s)->seg_next;
		seg_free(r, f, d, s);
	}
}

/* ---- per packet ---- */

/* The window scale a SYN offers, or -1. */
static int syn_wscale(const struct dp_pkt *p)
{
	const uint8_t *o = p->l4 + 20, *end = p->payload;

	while (o < end) {
		if (*o == TCPOPT_EOL)
			break;
		if (*o == TCPOPT_NOP) {
			o++;
			continue;
		}
		if (end - o < 2 || o[1] < 2 || o[1] > end - o)
			break;
		if (o[0] == TCPOPT_WSCALE && o[1] == 3)
			return o[2] > WSCALE_MAX ? WSCALE_MAX : o[2];
		o += o[1];
	}
	return -1;
}

/*
 * A SYN sets next, unless data of that side has been taken already: an established
 * Linux socket answers a SYN with a challenge ACK and keeps its rcv_nxt.
 */
static void note_syn(struct reasm_dir *d, const struct dp_pkt *p)
{
	int ws = syn_wscale(p);

	if (d->delivered || d->queue)
		return;
	d->next = p->tcp_seq + 1;
	d->flags |= D_NEXT | D_SYN;
	d->flags &= (uint8_t)~D_WS;
	if (ws >= 0) {
		d->flags |= D_WS;
		d->wscale = (uint8_t)ws;
	}
}

/*
 * An ACK from side sd tells where its receive window ends: data towards it starting
 * there or later is dropped by its stack.  The window of a SYN is never scaled; the
 * others are when both SYNs offered scaling; unknown without the handshake.
 */
static void note_window(struct reasm_flow *f, uint8_t sd, const struct dp_pkt *p)
{
	struct reasm_dir *me = &f->d[sd], *peer = &f->d[!sd];
	uint32_t shift = 0, edge;

	if (!(p->tcp_flags & TH_SYN)) {
		if (!(me->flags & D_SYN) || !(peer->flags & D_SYN))
			return;
		if ((me->flags & D_WS) && (peer->flags & D_WS))
			shift = me->wscale;
	}
	edge = p->tcp_ack + ((uint32_t)p->tcp_win << shift);
	if (!(peer->flags & D_EDGE) || AFTER(edge, peer->edge))
		peer->edge = edge;
	peer->flags |= D_EDGE;
}

/* Payload [seq, seq + len) of one packet into direction d. */
static unsigned data_in(struct reasm *r, struct reasm_flow *f, uint8_t side, uint32_t seq,
			const uint8_t *b, uint32_t len, reasm_deliver_fn fn, void *ctx)
{
	struct reasm_dir *d = &f->d[side];
	uint32_t end = seq + len, start, off;
	unsigned res = 0;

	if (BEFORE(seq, d->next) && tail_differs(d, seq, b, AFTER(end, d->next) ? d->next - seq : len))
		res |= REASM_R_OVERLAP;
	if (!AFTER(end, d->next))
		return res; /* a retransmission of delivered bytes */
	start = AFTER(seq, d->next) ? seq : d->next;
	if ((d->flags & D_EDGE) && !BEFORE(start, d->edge)) {
		ctr_add(&r->stats.out_of_window, 1);
		return res | REASM_R_WINDOW;
	}
	off = start - seq;
	if (queue_differs(r, d, start, b + off, len - off))
		res |= REASM_R_OVERLAP;
	if (start == d->next) {
		deliver(r, d, side, b + off, len - off, fn, ctx);
		drain(r, f, d, side, fn, ctx);
		return res;
	}
	if (queue_add(r, f, d, seq, b, len)) {
		ctr_add(&r->stats.cap_hits, 1);
		return res | REASM_R_CAP;
	}
	ctr_add(&r->stats.ooo_segments, 1);
	return res | REASM_R_QUEUED;
}

static struct reasm_flow *flow_of(const struct reasm *r, const struct session *s)
{
	return reasm_tcp_active(s) && s->reasm_flow <= r->cfg.flows ? &r->flows[s->reasm_flow - 1]
								    : NULL;
}

static struct reasm_flow *flow_take(struct reasm *r, struct session *s)
{
	struct reasm_flow *f;

	if (!r->flow_free && r->flows_used == r->cfg.flows) {
		s->reasm_flow = REASM_FLOW_DONE;
		ctr_add(&r->stats.no_flow, 1);
		return NULL;
	}
	if (r->flow_free) {
		f = &r->flows[r->flow_free - 1];
		s->reasm_flow = r->flow_free;
		r->flow_free = f->next_free;
	} else {
		s->reasm_flow = ++r->flows_used;
		f = &r->flows[s->reasm_flow - 1];
	}
	memset(f, 0, sizeof(*f));
	ctr_add(&r->stats.sessions, 1);
	gauge_set(&r->stats.flows_in_use, r->stats.flows_in_use + 1);
	return f;
}

unsigned reasm_tcp_segment(struct reasm *r, struct session *s, const struct dp_pkt *p,
			   uint8_t side, reasm_deliver_fn fn, void *ctx)
{
	struct reasm_flow *f;
	struct reasm_dir *d;
	unsigned res;

	if (s->reasm_flow == REASM_FLOW_DONE || side > 1 || !(p->flags & DP_PKT_L4))
		return 0;
	f = s->reasm_flow ? flow_of(r, s) : flow_take(r, s);
	if (!f)
		return REASM_R_NOFLOW;
	d = &f->d[side];
	if (p->tcp_flags & TH_RST)
		return 0; /* carries no data the receiver keeps */
	if (p->tcp_flags & TH_SYN)
		note_syn(d, p);
	if (p->tcp_flags & TH_ACK)
		note_window(f, side, p);
	if (!p->payload_len || (p->tcp_flags & TH_SYN))
		return 0;
	if (!(d->flags & D_NEXT)) {
		d->next = p->tcp_seq; /* picked up mid-stream */
		d->flags |= D_NEXT;
	}
	res = data_in(r, f, side, p->tcp_seq, p->payload, p->payload_len, fn, ctx);
	if (res & REASM_R_OVERLAP)
		ctr_add(&r->stats.overlaps, 1);
	return res;
}

static void flow_put(struct reasm *r, struct session *s)
{
	struct reasm_flow *f = flow_of(r, s);

	if (f) {
		for (int i = 0; i < 2; i++) {
			struct reasm_dir *d = &f->d[i];

			while (d->queue) {
				uint32_t nx = ck(r, d->queue)->seg_next;

				seg_free(r, f, d, d->queue);
				d->queue = nx;
			}
			chain_free(r, f, d->head);
		}
		f->next_free = r->flow_free;
		r->flow_free = s->reasm_flow;
		gauge_set(&r->stats.flows_in_use, r->stats.flows_in_use - 1);
	}
	s->reasm_flow = REASM_FLOW_DONE;
}

void reasm_tcp_release(struct reasm *r, struct session *s)
{
	if (r && s->reasm_flow)
		flow_put(r, s);
}

void reasm_tcp_give_up(struct reasm *r, struct session *s)
{
	if (!r)
		return;
	if (!reasm_tcp_active(s)) {
		s->reasm_flow = REASM_FLOW_DONE;
		return;
	}
	ctr_add(&r->stats.gave_up, 1);
	flow_put(r, s);
}

uint32_t reasm_tcp_queued(const struct reasm *r, const struct session *s)
{
	const struct reasm_flow *f = flow_of(r, s);

	return f ? f->d[0].queued + f->d[1].queued : 0;
}

uint64_t reasm_tcp_offset(const struct reasm *r, const struct session *s, uint8_t side)
{
	const struct reasm_flow *f = flow_of(r, s);

	return f && side < 2 ? f->d[side].delivered : 0;
}

/* ---- the stream head ---- */

int reasm_tcp_head_add(struct reasm *r, struct session *s, uint8_t side, const uint8_t *data,
		       uint32_t len)
{
	struct reasm_flow *f = flow_of(r, s);
	struct reasm_dir *d;
	uint32_t used, room;

	if (!f || side > 1)
		return -ENOENT;
	d = &f->d[side];
	if (len > REASM_HEAD_MAX - d->head_len)
		len = REASM_HEAD_MAX - d->head_len;
	used = d->head_len % REASM_CHUNK_DATA;
	room = d->head && used ? REASM_CHUNK_DATA - used : 0; /* left in the last chunk */
	if (len > room) {
		uint32_t n = chunks_for(len - room), first;

		if (!chunks_room(r, f, n))
			return -ENOSPC;
		first = chain_grow(r, f, d->head_last, n);
		if (!d->head)
			d->head = first;
		d->head_last = chain_last(r, first);
	}
	if (len)
		chain_write(r, d->head, d->head_len, data, len);
	d->head_len += len;
	return 0;
}

const uint8_t *reasm_tcp_head(struct reasm *r, const struct session *s, uint8_t side,
			      uint32_t *len)
{
	const struct reasm_flow *f = flow_of(r, s);
	const struct reasm_dir *d;
	uint32_t o = 0;

	*len = 0;
	if (!f || side > 1 || !f->d[side].head_len)
		return NULL;
	d = &f->d[side];
	*len = d->head_len;
	if (d->head_len <= REASM_CHUNK_DATA)
		return ck(r, d->head)->data; /* one chunk: no copy */
	for (uint32_t c = d->head; c && o < d->head_len; c = ck(r, c)->next) {
		uint32_t n = d->head_len - o < REASM_CHUNK_DATA ? d->head_len - o : REASM_CHUNK_DATA;

		memcpy(r->scratch + o, ck(r, c)->data, n);
		o += n;
	}
	return r->scratch;
}

void reasm_tcp_head_done(struct reasm *r, struct session *s, uint8_t side)
{
	struct reasm_flow *f = flow_of(r, s);

	if (!f || side > 1)
		return;
	chain_free(r, f, f->d[side].head);
	f->d[side].head = f->d[side].head_last = 0;
	f->d[side].head_len = 0;
	f->d[side].flags |= D_HEAD_DONE;
}

bool reasm_tcp_head_is_done(const struct reasm *r, const struct session *s, uint8_t side)
{
	const struct reasm_flow *f = flow_of(r, s);

	return !f || side > 1 || (f->d[side].flags & D_HEAD_DONE);
}

void reasm_get_stats(const struct reasm *r, struct reasm_stats *out)
{
	out->sessions = __atomic_load_n(&r->stats.sessions, __ATOMIC_RELAXED);
	out->no_flow = __atomic_load_n(&r->stats.no_flow, __ATOMIC_RELAXED);
	out->ooo_segments = __atomic_load_n(&r->stats.ooo_segments, __ATOMIC_RELAXED);
	out->delivered = __atomic_load_n(&r->stats.delivered, __ATOMIC_RELAXED);
	out->overlaps = __atomic_load_n(&r->stats.overlaps, __ATOMIC_RELAXED);
	out->cap_hits = __atomic_load_n(&r->stats.cap_hits, __ATOMIC_RELAXED);
	out->out_of_window = __atomic_load_n(&r->stats.out_of_window, __ATOMIC_RELAXED);
	out->gave_up = __atomic_load_n(&r->stats.gave_up, __ATOMIC_RELAXED);
	out->flows_in_use = __atomic_load_n(&r->stats.flows_in_use, __ATOMIC_RELAXED);
	out->chunks_in_use = __atomic_load_n(&r->stats.chunks_in_use, __ATOMIC_RELAXED);
	out->queued_bytes = __atomic_load_n(&r->stats.queued_bytes, __ATOMIC_RELAXED);
}
