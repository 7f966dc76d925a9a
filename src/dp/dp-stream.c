/*
 * dp-stream.c - feeds the inspectors TCP bytes in the order, and only in the
 * version, the receiving stack will take them.
 *
 * While anything still inspects a TCP session (DPI has not named its app, the
 * threat stage's stream head is open, user signatures hold streams for it, bytes
 * wait in the out-of-order queue), each of its packets goes through the worker's
 * reassembler (reasm-tcp.c); every byte range it delivers goes to DPI, to the
 * threat stage's stream checks and to the user signatures.  When none
 * of them wants more, the session's reassembly memory goes back to the pools and,
 * like before, the session may take the eBPF fast path.
 *
 * Overlapping bytes that differ from earlier ones are the evasion threat 2016.  An
 * out-of-order segment the caps do not let us queue would reach the receiver
 * uninspected: in protect (threat stage on) the packet is dropped - the sender
 * retransmits it, as after a loss, once the gap before it is filled; in the other
 * modes the session's inspection stops there and is counted (gave_up).  A TCP
 * segment in IPv6 fragments (the kernel reassembles IPv4 before the dp, IPv6 it does
 * not) is treated the same way: its bytes cannot be seen whole.
 */
#include "dp-stream.h"

#include <netinet/in.h>

#include "dp-worker.h"
#include "dpi.h"
#include "reasm-tcp.h"
#include "threat.h"

struct feed {
	struct dp_worker *w;
	const struct dp_port_info *port;
	struct session *s;
	const struct dp_pkt *p;
	bool app_final;
};

static void on_bytes(void *arg, uint8_t side, const uint8_t *b, uint32_t len, uint32_t seq)
{
	struct feed *f = arg;
	struct session *s = f->s;

	if (dpi_pending(s) &&
	    dpi_feed_bytes(f->w->dpi, s, f->p, side, b, len, seq, s->last_seen))
		f->app_final = true;
	threat_stream_data(f->w->threat, f->w->reasm, s, f->p, side, b, len);
	/* b may be a queued chunk, freed after this call: signatures match it now. */
	threat_stream_sig(f->w->threat, f->port, s, side, seq, b, len);
}

static bool wanted(const struct dp_worker *w, const struct session *s)
{
	return dpi_pending(s) || threat_stream_wants(w->threat, w->reasm, s) ||
	       reasm_tcp_queued(w->reasm, s);
}

/* The packet's own payload, as before reassembly: UDP, and TCP the reassembler does not hold. */
static bool feed_packet(struct dp_worker *w, struct session *s, const struct dp_pkt *p,
			uint8_t side)
{
	return dpi_pending(s) && dpi_feed(w->dpi, s, p, side, s->last_seen);
}

bool dp_stream_feed(struct dp_worker *w, const struct dp_port_info *port, struct session *s,
		    const struct dp_pkt *p, uint8_t side)
{
	struct feed f = {.w = w, .port = port, .s = s, .p = p};
	unsigned res;

	if (s->key.proto != IPPROTO_TCP || s->reasm_flow == REASM_FLOW_DONE || !w->reasm)
		return feed_packet(w, s, p, side);
	if (!s->reasm_flow && !wanted(w, s)) {
		s->reasm_flow = REASM_FLOW_DONE; /* nothing inspects it: never take a slot */
		return feed_packet(w, s, p, side);
	}
	threat_stream_begin(w->threat, s);
	/*
	 * An IPv6 first fragment holds only part of its segment (the dp does not reassemble
	 * IPv6): the receiver would get bytes we cannot see.  Like a segment over the caps.
	 */
	res = p->flags & DP_PKT_FRAG ? REASM_R_CAP
				     : reasm_tcp_segment(w->reasm, s, p, side, on_bytes, &f);
	if (res & REASM_R_NOFLOW) {
		threat_stream_begin(w->threat, NULL); /* judged per packet, as before */
		return feed_packet(w, s, p, side);
	}
	if (res & REASM_R_OVERLAP)
		threat_stream_overlap(w->threat);
	if ((res & REASM_R_CAP) && !threat_stream_cap(w->threat, port))
		reasm_tcp_give_up(w->reasm, s);
	else if (!wanted(w, s))
		reasm_tcp_release(w->reasm, s);
	return f.app_final;
}
