/*
 * dpi.h - application identification of sessions (src/dp/dpi.c, dpi-app.c).
 *
 * One struct dpi per worker (an nDPI detection module and a fixed pool of flow
 * slots); used by that worker only.  A session's app (session.app, enum bh_app)
 * starts PENDING for TCP/UDP and becomes final once: a name, or UNKNOWN.
 */
#ifndef BH_DPI_H
#define BH_DPI_H

#include <stdbool.h>
#include <stdint.h>

#include "decode-t.h"
#include "dpi-t.h"
#include "policy/policy-t.h"
#include "session-t.h"

struct dpi;

/* pool = flow slots (0 = DPI_POOL_DEFAULT).  Not thread-safe: create workers' in turn. */
int dpi_new(struct dpi **out, uint32_t pool);
void dpi_free(struct dpi *d);

/* A new session: ICMP is named from the protocol, TCP/UDP wait for payload, others UNKNOWN. */
void dpi_session_start(struct session *s);

/* True while s still needs its payload seen (app PENDING). */
static inline bool dpi_pending(const struct session *s)
{
	return s->app == BH_APP_PENDING;
}

/*
 * Feed one decoded packet of s (side: enum sess_side) at now_ms.  Only packets with
 * L4 payload count; at most the per-direction caps are fed, whatever the frame size
 * (GSO).  Returns true when s->app became final with this packet (the flow slot is
 * then already back in the pool).
 */
bool dpi_feed(struct dpi *d, struct session *s, const struct dp_pkt *p, uint8_t side,
	      uint64_t now_ms);
/*
 * The same for bytes of p's direction other than its payload: TCP stream bytes in
 * order (reasm-tcp.c) starting at sequence number seq, p giving the headers.
 */
bool dpi_feed_bytes(struct dpi *d, struct session *s, const struct dp_pkt *p, uint8_t side,
		    const uint8_t *data, uint32_t len, uint32_t seq, uint64_t now_ms);

/*
 * No more payload is coming (TCP FIN/RST): if s carried payload and is still PENDING,
 * settle it now with what nDPI has (else UNKNOWN).  True when s->app became final.
 * A session that never carried payload stays PENDING: there is nothing to judge.
 */
bool dpi_finish(struct dpi *d, struct session *s);

/* s leaves the table (or is no longer worth inspecting): give its slot back. */
void dpi_release(struct dpi *d, struct session *s);

void dpi_get_stats(const struct dpi *d, struct dpi_stats *out);

/* dpi-app.c: nDPI (master, app) protocol ids -> enum bh_app (UNKNOWN when unmapped). */
enum bh_app dpi_app_of_ndpi(uint16_t master, uint16_t app);
/* What we recognise ourselves from a first payload; PENDING when nothing. */
enum bh_app dpi_app_of_payload(const uint8_t *payload, uint32_t len);

#endif
