/*
 * dpi.c - application identification of sessions with nDPI.
 *
 * Policy may name an application (`--app http`) and logs want to, so the dp
 * must learn what a session speaks.  nDPI does the protocol work; this file
 * keeps it inside the dp's rules: one detection module per worker (no locks),
 * nDPI flow state taken from a fixed per-worker pool (no allocation on the
 * packet path; an empty pool makes the session "unknown, not inspected", and
 * is counted), and only a bounded prefix of each session fed to it (caps per
 * direction in dpi-t.h).  As soon as the app is named, or the caps are hit,
 * the slot goes back to the pool: an identified session costs nothing more.
 *
 * nDPI parses from the IP header and trusts its length fields, which a GSO
 * super-frame or an IPv4 datagram the kernel reassembled do not keep to, so
 * every packet is rebuilt in a scratch buffer as a plain IP + L4 header and at
 * most the remaining cap of payload.
 */
#include "dpi.h"
#include "dpi-l7.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define L4_HMAX 60

struct dpi_flow {
	struct ndpi_flow_struct nf;
	uint32_t next_free; /* pool index + 1, 0 = end */
	uint32_t bytes[2];  /* per sess_side: payload fed */
	uint16_t pkts[2];
	bool h2; /* the client sent the HTTP/2 preface: our dissector, not nDPI */
};

struct dpi {
	struct ndpi_detection_module_struct *mod;
	struct dpi_flow *pool;
	uint32_t size;
	uint32_t free_head; /* pool index + 1, 0 = empty */
	struct dpi_stats stats;
	uint8_t scratch[IPV6_HLEN + L4_HMAX + DPI_CAP_BYTES];
};

int dpi_new(struct dpi **out, uint32_t pool)
{
	NDPI_PROTOCOL_BITMASK all;
	struct dpi *d;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->size = pool ? pool : DPI_POOL_DEFAULT;
	d->pool = calloc(d->size, sizeof(*d->pool));
	d->mod = ndpi_init_detection_module(ndpi_no_prefs);
	if (!d->pool || !d->mod) {
		dpi_free(d);
		return -ENOMEM;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(d->mod, &all);
	ndpi_finalize_initialization(d->mod);
	for (uint32_t i = 0; i < d->size; i++)
		d->pool[i].next_free = i + 2 <= d->size ? i + 2 : 0;
	d->free_head = 1;
	*out = d;
	return 0;
}

void dpi_free(struct dpi *d)
{
	if (!d)
		return;
	for (uint32_t i = 0; d->pool && i < d->size; i++)
		ndpi_free_flow_data(&d->pool[i].nf); /* slots in use still hold nDPI's strings */
	if (d->mod)
		ndpi_exit_detection_module(d->mod);
	free(d->pool);
	free(d);
}

void dpi_session_start(struct session *s)
{
	s->dpi_flow = 0;
	switch (s->key.proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		s->app = BH_APP_PENDING;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		s->app = BH_APP_ICMP;
		break;
	default:
		s->app = BH_APP_UNKNOWN;
	}
}

/* Counters: written by the owning worker only, read by others (dp_dpi_stats). */
static void ctr_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

/* ---- the pool ---- */

static struct dpi_flow *flow_take(struct dpi *d, struct session *s)
{
	struct dpi_flow *f;

	if (!d->free_head)
		return NULL;
	f = &d->pool[d->free_head - 1];
	s->dpi_flow = d->free_head;
	d->free_head = f->next_free;
	memset(f, 0, sizeof(*f));
	ctr_add(&d->stats.inspected, 1);
	__atomic_store_n(&d->stats.in_use, d->stats.in_use + 1, __ATOMIC_RELAXED);
	return f;
}

void dpi_release(struct dpi *d, struct session *s)
{
	struct dpi_flow *f;

	if (!s->dpi_flow || s->dpi_flow > d->size)
		return;
	f = &d->pool[s->dpi_flow - 1];
	ndpi_free_flow_data(&f->nf);
	memset(&f->nf, 0, sizeof(f->nf));
	f->next_free = d->free_head;
	d->free_head = s->dpi_flow;
	s->dpi_flow = 0;
	__atomic_store_n(&d->stats.in_use, d->stats.in_use - 1, __ATOMIC_RELAXED);
	if (s->app == BH_APP_PENDING)
		ctr_add(&d->stats.gave_up, 1); /* ended before anything was named */
}

/* ---- feeding ---- */

/*
 * IP + L4 header of p with lengths that say exactly n payload bytes (data) follow; a
 * TCP header says seq, where data sits in the stream (reassembled bytes need not be
 * the packet's own).
 */
static uint16_t build(struct dpi *d, const struct dp_pkt *p, const uint8_t *data, uint32_t n,
		      uint32_t seq)
{
	uint32_t l4h = (uint32_t)(p->payload - p->l4), l3h, l4len = l4h + n;
	uint8_t *b = d->scratch;

	if (p->family == AF_INET) {
		l3h = IPV4_HLEN;
		memset(b, 0, l3h);
		b[0] = 0x45;
		b[2] = (uint8_t)((l3h + l4len) >> 8);
		b[3] = (uint8_t)(l3h + l4len);
		b[8] = 64;
		b[9] = p->proto;
		memcpy(b + 12, p->src.b, 4);
		memcpy(b + 16, p->dst.b, 4);
	} else {
		l3h = IPV6_HLEN;
		memset(b, 0, l3h);
		b[0] = 0x60;
		b[4] = (uint8_t)(l4len >> 8);
		b[5] = (uint8_t)l4len;
		b[6] = p->proto;
		b[7] = 64;
		memcpy(b + 8, p->src.b, 16);
		memcpy(b + 24, p->dst.b, 16);
	}
	memcpy(b + l3h, p->l4, l4h);
	if (p->proto == IPPROTO_UDP) {
		b[l3h + 4] = (uint8_t)(l4len >> 8);
		b[l3h + 5] = (uint8_t)l4len;
	} else {
		b[l3h + 4] = (uint8_t)(seq >> 24);
		b[l3h + 5] = (uint8_t)(seq >> 16);
		b[l3h + 6] = (uint8_t)(seq >> 8);
		b[l3h + 7] = (uint8_t)seq;
	}
	memcpy(b + l3h + l4h, data, n);
	return (uint16_t)(l3h + l4len);
}

static bool feedable(const struct session *s, const struct dp_pkt *p, uint32_t len)
{
	uint32_t l4h;

	if (s->app != BH_APP_PENDING || !(p->flags & DP_PKT_L4) || !len)
		return false;
	if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP)
		return false;
	l4h = (uint32_t)(p->payload - p->l4);
	return p->payload > p->l4 && l4h <= L4_HMAX &&
	       (p->family == AF_INET || p->family == AF_INET6);
}

/* No port guessing: "tcp/80 therefore http" is exactly what an app rule must not do. */
static enum bh_app give_up(struct dpi *d, struct dpi_flow *f)
{
	uint8_t guessed = 0;
	ndpi_protocol r = ndpi_detection_giveup(d->mod, &f->nf, 0, &guessed);

	return r.master_protocol || r.app_protocol
		   ? dpi_app_of_ndpi(r.master_protocol, r.app_protocol)
		   : BH_APP_UNKNOWN;
}

/* One packet into nDPI; PENDING while it has not decided and the caps allow more. */
static enum bh_app inspect(struct dpi *d, struct dpi_flow *f, const struct dp_pkt *p, uint8_t side,
			   const uint8_t *data, uint32_t len, uint32_t seq, uint64_t now_ms)
{
	uint32_t n = len, room = DPI_CAP_BYTES - f->bytes[side];
	ndpi_protocol r;
	uint16_t plen;

	if (n > room)
		n = room;
	plen = build(d, p, data, n, seq);
	r = ndpi_detection_process_packet(d->mod, &f->nf, d->scratch, plen, now_ms);
	ctr_add(&d->stats.packets, 1);
	f->bytes[side] += n;
	f->pkts[side]++;
	if (r.master_protocol || r.app_protocol)
		return dpi_app_of_ndpi(r.master_protocol, r.app_protocol);
	/* UDP: a request and its answer is all nDPI gets for most datagram protocols. */
	if (p->proto == IPPROTO_UDP && f->pkts[0] && f->pkts[1])
		return give_up(d, f);
	if (f->bytes[side] < DPI_CAP_BYTES && f->pkts[side] < DPI_CAP_PACKETS)
		return BH_APP_PENDING;
	return give_up(d, f);
}

/* s->app becomes final: count it and give the slot back. */
static void settle(struct dpi *d, struct session *s, enum bh_app app)
{
	s->app = (uint8_t)app;
	if (app == BH_APP_UNKNOWN)
		ctr_add(&d->stats.gave_up, 1);
	else
		ctr_add(&d->stats.identified, 1);
	dpi_release(d, s);
}

/*
 * The clear-text HTTP/2 preface as the client's first payload makes the session ours
 * (gRPC or HTTP/2, dpi-h2.c): nDPI 4.2 names neither.
 */
static void h2_start(struct dpi_flow *f, uint8_t side, const uint8_t *data, uint32_t len)
{
	if (!f->h2 && side == SESS_FROM_CLIENT && !f->bytes[side] && !f->pkts[side] &&
	    dpi_h2_preface(data, len))
		f->h2 = true;
}

/* HTTP/2 frames of either side until a HEADERS frame settles it; at the caps: http2. */
static enum bh_app h2_inspect(struct dpi_flow *f, uint8_t side, const uint8_t *data, uint32_t len)
{
	enum bh_app app = dpi_h2_app(data, len);

	f->bytes[side] += len;
	f->pkts[side]++;
	if (app != BH_APP_PENDING)
		return app;
	return f->bytes[side] < DPI_CAP_BYTES && f->pkts[side] < DPI_CAP_PACKETS ? BH_APP_PENDING
										 : BH_APP_HTTP2;
}

bool dpi_feed(struct dpi *d, struct session *s, const struct dp_pkt *p, uint8_t side,
	      uint64_t now_ms)
{
	return dpi_feed_bytes(d, s, p, side, p->payload, p->payload_len, p->tcp_seq, now_ms);
}

bool dpi_feed_bytes(struct dpi *d, struct session *s, const struct dp_pkt *p, uint8_t side,
		    const uint8_t *data, uint32_t len, uint32_t seq, uint64_t now_ms)
{
	struct dpi_flow *f;
	enum bh_app app;

	if (!feedable(s, p, len) || side > 1)
		return false;
	f = s->dpi_flow ? &d->pool[s->dpi_flow - 1] : flow_take(d, s);
	if (!f) {
		ctr_add(&d->stats.pool_full, 1);
		s->app = BH_APP_UNKNOWN;
		return true;
	}
	h2_start(f, side, data, len);
	if (f->h2)
		app = h2_inspect(f, side, data, len);
	else
		app = inspect(d, f, p, side, data, len, seq, now_ms);
	/*
	 * Kafka has no magic: only when nDPI named nothing from the client's first bytes,
	 * sent before the server said anything (a Kafka client always speaks first).
	 */
	if (app == BH_APP_PENDING && side == SESS_FROM_CLIENT && f->pkts[side] == 1 &&
	    !f->pkts[SESS_FROM_SERVER] && f->bytes[side] == len && p->proto == IPPROTO_TCP &&
	    dpi_kafka_request(data, len))
		app = BH_APP_KAFKA;
	if (app == BH_APP_PENDING)
		return false;
	settle(d, s, app);
	return true;
}

bool dpi_finish(struct dpi *d, struct session *s)
{
	if (s->app != BH_APP_PENDING || !s->dpi_flow || s->dpi_flow > d->size)
		return false;
	/* The preface proved HTTP/2 even when no HEADERS frame came. */
	settle(d, s,
	       d->pool[s->dpi_flow - 1].h2 ? BH_APP_HTTP2 : give_up(d, &d->pool[s->dpi_flow - 1]));
	return true;
}

void dpi_get_stats(const struct dpi *d, struct dpi_stats *out)
{
	out->inspected = __atomic_load_n(&d->stats.inspected, __ATOMIC_RELAXED);
	out->identified = __atomic_load_n(&d->stats.identified, __ATOMIC_RELAXED);
	out->gave_up = __atomic_load_n(&d->stats.gave_up, __ATOMIC_RELAXED);
	out->pool_full = __atomic_load_n(&d->stats.pool_full, __ATOMIC_RELAXED);
	out->packets = __atomic_load_n(&d->stats.packets, __ATOMIC_RELAXED);
	out->in_use = __atomic_load_n(&d->stats.in_use, __ATOMIC_RELAXED);
}
