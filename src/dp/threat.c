/*
 * threat.c - the threat stage: runs after the policy stage on every packet it
 * forwards, asks the per-protocol checks, keeps the per-worker rate and count
 * tables, decides the action from the workload's mode, and reports.
 *
 * Everything lives in fixed tables allocated once per worker (threat_new):
 * per-port SYN and ICMP echo rates, open sessions per (port, source), recent
 * IP fragments, and the report aggregator.  A flood must not become a flood
 * of events, so reports are aggregated per (threat, port, source): the first
 * hit is reported at once, the following ones in the same second are counted
 * and reported together by threat_tick() (volume threats are keyed without a
 * source: spoofed sources would otherwise fill the table).
 *
 * Payload checks only see the first THREAT_PAYLOAD_PKTS packets of each
 * direction of a session: those are also the packets DPI inspects, and a
 * session reaches the eBPF fast path only after them.  For TCP they see the
 * stream as the receiver will (reasm-tcp.c, fed by dp-stream.c): the bytes each
 * packet makes deliverable, plus the stream head (the first bytes of a direction,
 * up to REASM_HEAD_MAX) judged whole until it holds what the checks read.
 *
 * User signatures (sig.c) then see the payload of both directions up to their
 * depth, as streams: their matches are reported here like catalogue threats,
 * with the id SIG_THREAT_BASE + the signature's id and its name.  A TCP session
 * the reassembler holds feeds them its delivered bytes (threat_stream_sig, at
 * delivery, during the policy stage); the hits are kept with the packet and acted
 * on here, where a reset can still be sent.  Other sessions feed them the packet.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "dp-event.h"
#include "policy/policy-t.h"
#include "portmac.h"
#include "reasm-tcp.h"
#include "session.h"
#include "sig.h"
#include "threat.h"

#define TH_SYN 0x02
#define TH_ACK 0x10
#define ICMP_ECHO_REQ 8
#define ICMP6_ECHO_REQ 128
#define PAYLOAD_SCAN_MAX 4096 /* bytes of one packet the payload checks read */

#define SRC_SETS 1024 /* live sessions per (port, source): SRC_SETS x SRC_WAYS entries */
#define SRC_WAYS 4
#define FRAG_SLOTS 256 /* datagrams whose fragments are tracked at once */
#define FRAG_RANGES 8
#define FRAG_TTL_MS 5000
#define AGG_SETS 256 /* report aggregator: AGG_SETS x AGG_WAYS keys */
#define AGG_WAYS 4
#define AGG_SCAN_MS 250

struct rate {
	uint64_t win_ms;
	uint32_t n;
};

struct port_rates {
	struct rate syn, icmp;
};

struct src_ent {
	uint8_t addr[16];
	uint16_t port_idx;
	uint32_t n; /* live sessions; 0 = free */
};

struct frag_ent {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t family, n;
	uint64_t ms;
	uint32_t lo[FRAG_RANGES], hi[FRAG_RANGES];
};

struct agg_ent {
	bool used;
	uint16_t id, port_idx;
	uint8_t src[16];
	uint64_t win_ms;
	uint32_t pending;   /* hits since the last report */
	struct dp_event ev; /* the first pending hit */
};

struct threat {
	struct threat_config cfg;
	struct dp_evring *events;
	struct sig_worker *sig; /* user signatures: streams and their pools */
	uint32_t npending;
	uint64_t last_scan_ms;
	struct port_rates rates[BH_MAX_PORTS];
	struct src_ent src[SRC_SETS][SRC_WAYS];
	struct frag_ent frag[FRAG_SLOTS];
	struct agg_ent agg[AGG_SETS][AGG_WAYS];
	/* The TCP packet in progress: what its stream bytes showed (threat_stream_*). */
	const struct session *st_s;
	uint16_t st_id;
	bool st_drop;
	bool st_sig; /* the signatures took this packet's bytes from the reassembler */
	uint8_t st_nhits;
	struct sig_hit st_hits[SIG_HITS_MAX]; /* their matches, reported by threat_check */
};

int threat_new(struct threat **out, const struct threat_config *cfg, struct dp_evring *events)
{
	struct threat *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return -ENOMEM;
	if (cfg)
		t->cfg = *cfg;
	t->events = events;
	if (sig_worker_new(&t->sig, threat_limit_get(&t->cfg, THREAT_LIM_SIG_SESSIONS),
			   threat_limit_get(&t->cfg, THREAT_LIM_SIG_DEPTH)) < 0) {
		free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void threat_free(struct threat *t)
{
	if (!t)
		return;
	sig_worker_free(t->sig);
	free(t);
}

void threat_pass_begin(struct threat *t, const struct sig_set *sigs)
{
	if (t)
		sig_worker_use(t->sig, sigs);
}

struct sig_worker *threat_sig(struct threat *t)
{
	return t ? t->sig : NULL;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint32_t hash_bytes(const uint8_t *b, size_t n, uint32_t h)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u; /* FNV-1a */
	return h;
}

/* ---- reporting ---- */

static uint8_t l4_proto(uint8_t ipproto)
{
	switch (ipproto) {
	case IPPROTO_TCP:
		return POLICY_PROTO_TCP;
	case IPPROTO_UDP:
		return POLICY_PROTO_UDP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return POLICY_PROTO_ICMP;
	default:
		return POLICY_PROTO_OTHER;
	}
}

static void event_fill(struct dp_event *ev, const struct dp_port_info *port, const struct dp_pkt *p,
		       uint16_t id, uint8_t act, const uint8_t *frame, uint32_t flen,
		       const struct sig_hit *hit)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = DP_EV_THREAT;
	ev->end = p->dir == DP_DIR_EGRESS ? POLICY_EGRESS : POLICY_INGRESS;
	ev->family = p->family;
	ev->ipproto = p->proto;
	ev->proto = l4_proto(p->proto);
	ev->mode = (uint8_t)port->mode;
	ev->port_idx = port->idx;
	ev->wl_id = port->wl_id;
	memcpy(ev->client, p->src.b, 16);
	memcpy(ev->server, p->dst.b, 16);
	if (p->flags & DP_PKT_L4) {
		ev->sport = p->sport;
		ev->dport = p->dport;
	}
	ev->time_ms = wall_ms();
	ev->threat.id = id;
	ev->threat.action = act;
	ev->threat.count = 1;
	ev->threat.pkt_len = (uint8_t)(flen < THREAT_PKT_MAX ? flen : THREAT_PKT_MAX);
	memcpy(ev->threat.pkt, frame, ev->threat.pkt_len);
	if (hit) {
		ev->threat.sig_severity = hit->severity;
		ev->threat.sig_field = hit->field;
		snprintf(ev->threat.sig_name, sizeof(ev->threat.sig_name), "%s", hit->name);
	}
}

static void agg_flush(struct threat *t, struct agg_ent *e, uint64_t now)
{
	e->ev.threat.count = e->pending;
	e->ev.time_ms = wall_ms();
	dp_evring_put(t->events, &e->ev);
	e->pending = 0;
	e->win_ms = now;
	t->npending--;
}

/* The aggregator entry of a key: a match, else a free way, else the oldest (flushed). */
static struct agg_ent *agg_slot(struct threat *t, uint16_t id, uint16_t port_idx,
				const uint8_t src[16], uint64_t now, bool *fresh)
{
	uint32_t h = hash_bytes(src, 16, 2166136261u ^ ((uint32_t)id << 16 | port_idx));
	struct agg_ent *set = t->agg[h % AGG_SETS], *victim = &set[0];

	for (int i = 0; i < AGG_WAYS; i++) {
		struct agg_ent *e = &set[i];

		if (e->used && e->id == id && e->port_idx == port_idx && !memcmp(e->src, src, 16)) {
			*fresh = false;
			return e;
		}
		if (!e->used || (victim->used && e->win_ms < victim->win_ms))
			victim = e;
	}
	if (victim->used && victim->pending)
		agg_flush(t, victim, now);
	memset(victim, 0, offsetof(struct agg_ent, ev));
	victim->used = true;
	victim->id = id;
	victim->port_idx = port_idx;
	memcpy(victim->src, src, 16);
	*fresh = true;
	return victim;
}

static void report(struct threat *t, const struct dp_port_info *port, const struct dp_pkt *p,
		   uint16_t id, uint8_t act, const uint8_t *frame, uint32_t flen,
		   const struct sig_hit *hit)
{
	static const uint8_t none[16];
	uint64_t now = mono_ms();
	bool fresh;
	struct agg_ent *e = agg_slot(t, id, port->idx, id < 2000 ? none : p->src.b, now, &fresh);

	if (fresh || now - e->win_ms >= THREAT_REPORT_MS) {
		struct dp_event ev;

		if (e->pending)
			agg_flush(t, e, now);
		e->win_ms = now;
		event_fill(&ev, port, p, id, act, frame, flen, hit);
		dp_evring_put(t->events, &ev);
		return;
	}
	if (!e->pending++) {
		t->npending++;
		event_fill(&e->ev, port, p, id, act, frame, flen, hit);
	}
}

void threat_tick(struct threat *t, uint64_t now_ms)
{
	if (!t || !t->npending || now_ms - t->last_scan_ms < AGG_SCAN_MS)
		return;
	t->last_scan_ms = now_ms;
	for (int s = 0; s < AGG_SETS; s++)
		for (int i = 0; i < AGG_WAYS; i++) {
			struct agg_ent *e = &t->agg[s][i];

			if (e->pending && now_ms - e->win_ms >= THREAT_REPORT_MS)
				agg_flush(t, e, now_ms);
		}
}

/* ---- volume: rates and counts ---- */

static bool over_rate(struct rate *r, uint64_t now, uint32_t lim)
{
	if (now - r->win_ms >= 1000) {
		r->win_ms = now;
		r->n = 0;
	}
	return ++r->n > lim;
}

static struct src_ent *src_find(struct threat *t, const struct session *s, bool add)
{
	const uint8_t *addr = s->key.addr[s->client];
	uint32_t h = hash_bytes(addr, 16, 2166136261u ^ s->key.port_idx);
	struct src_ent *set = t->src[h % SRC_SETS], *free_e = NULL;

	for (int i = 0; i < SRC_WAYS; i++) {
		if (set[i].n && set[i].port_idx == s->key.port_idx &&
		    !memcmp(set[i].addr, addr, 16))
			return &set[i];
		if (!set[i].n && !free_e)
			free_e = &set[i];
	}
	if (!add || !free_e)
		return NULL;
	memcpy(free_e->addr, addr, 16);
	free_e->port_idx = s->key.port_idx;
	return free_e;
}

/* A new session: one more for its source (when the table has room to count it). */
static uint16_t session_count(struct threat *t, struct session *s)
{
	struct src_ent *e = src_find(t, s, true);

	if (!e)
		return THREAT_NONE;
	e->n++;
	s->flags |= SESS_F_THREAT;
	return e->n > threat_limit_get(&t->cfg, THREAT_LIM_SESSIONS) ? THREAT_SESSION_LIMIT
								     : THREAT_NONE;
}

static void src_release(struct threat *t, const struct session *s)
{
	struct src_ent *e;

	if (!(s->flags & SESS_F_THREAT))
		return;
	e = src_find(t, s, false);
	if (e)
		e->n--;
}

void threat_session_end(struct threat *t, const struct session *s)
{
	if (!t)
		return;
	src_release(t, s);
	/* The table is about to reuse s: its streams go back to the pools. */
	sig_session_end(t->sig, (struct session *)s);
}

/*
 * A TCP session both sides closed (or reset) holds nothing open any more, though it
 * stays in the table for its closing timeout: it stops counting now, so a client that
 * opens and closes thousands of connections a second is not taken for a hog.
 */
static void session_closed(struct threat *t, struct session *s)
{
	if ((s->flags & SESS_F_THREAT) && sess_tcp_closed(s)) {
		src_release(t, s);
		s->flags &= (uint8_t)~SESS_F_THREAT;
	}
}

/* ---- fragments ---- */

static uint16_t frag_check(struct threat *t, const struct dp_pkt *p)
{
	uint32_t h = hash_bytes(p->src.b, 16, hash_bytes(p->dst.b, 16, 2166136261u ^ p->frag_id));
	struct frag_ent *e = &t->frag[h % FRAG_SLOTS];
	uint32_t lo = p->frag_off, hi = lo + p->l3_len - (uint32_t)(p->l4 - p->l3);
	uint64_t now = mono_ms();

	if (e->id != p->frag_id || e->family != p->family || memcmp(e->src, p->src.b, 16) ||
	    memcmp(e->dst, p->dst.b, 16) || now - e->ms > FRAG_TTL_MS) {
		memcpy(e->src, p->src.b, 16);
		memcpy(e->dst, p->dst.b, 16);
		e->id = p->frag_id;
		e->family = p->family;
		e->n = 0;
	}
	e->ms = now;
	for (int i = 0; i < e->n; i++) {
		if (lo == e->lo[i] && hi == e->hi[i])
			return THREAT_NONE; /* a retransmitted copy */
		if (lo < e->hi[i] && e->lo[i] < hi)
			return THREAT_IP_FRAG_OVERLAP;
	}
	if (e->n < FRAG_RANGES) {
		e->lo[e->n] = lo;
		e->hi[e->n++] = hi;
	}
	return THREAT_NONE;
}

/* ---- per protocol ---- */

/* Payload bytes b of p's flow (p->payload, or stream bytes of p's direction). */
static uint16_t payload_check(const struct dp_pkt *p, uint8_t side, const uint8_t *b, uint32_t n)
{
	uint16_t id;

	if (n > PAYLOAD_SCAN_MAX)
		n = PAYLOAD_SCAN_MAX;

	if (p->sport == 53 || p->dport == 53) {
		if (p->proto == IPPROTO_UDP)
			return threat_dns_check(b, n);
		return n > 2 ? threat_dns_check(b + 2, n - 2) : THREAT_NONE;
	}
	if (p->proto != IPPROTO_TCP)
		return THREAT_NONE;
	id = threat_ssh_check(b, n);
	if (!id)
		id = threat_tls_check(b, n);
	if (!id && side == SESS_FROM_CLIENT)
		id = threat_http_check(b, n);
	return id;
}

static uint16_t icmp_check(struct threat *t, const struct dp_pkt *p)
{
	uint8_t req = p->family == AF_INET ? ICMP_ECHO_REQ : ICMP6_ECHO_REQ;

	if (!(p->flags & DP_PKT_ECHO) || p->icmp_type != req)
		return THREAT_NONE;
	if (p->dir == DP_DIR_INGRESS && over_rate(&t->rates[p->port_idx].icmp, mono_ms(),
						  threat_limit_get(&t->cfg, THREAT_LIM_ICMP_RATE)))
		return THREAT_ICMP_FLOOD;
	if (p->payload_len > threat_limit_get(&t->cfg, THREAT_LIM_PING_SIZE))
		return THREAT_PING_OF_DEATH;
	return THREAT_NONE;
}

static uint16_t l4_check(struct threat *t, const struct dp_pkt *p, const struct sess_result *sr)
{
	struct session *s = sr->s;
	uint16_t id = THREAT_NONE;

	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6)
		return icmp_check(t, p);
	if (p->proto == IPPROTO_TCP && (p->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		if (p->dir == DP_DIR_INGRESS &&
		    over_rate(&t->rates[p->port_idx].syn, mono_ms(),
			      threat_limit_get(&t->cfg, THREAT_LIM_SYN_RATE)))
			return THREAT_TCP_SYN_FLOOD;
		id = threat_tcp_syn_check(p, &t->cfg);
	}
	if (!s)
		return id;
	if (p->proto == IPPROTO_TCP)
		session_closed(t, s);
	if (sr->created) {
		uint16_t lim = session_count(t, s);

		if (!id)
			id = lim;
	}
	if (p->proto == IPPROTO_TCP && t->st_s == s) /* its stream bytes were checked */
		return id ? id : t->st_id;
	if (!id && p->payload_len && s->packets[sr->side] <= THREAT_PAYLOAD_PKTS)
		id = payload_check(p, sr->side, p->payload, p->payload_len);
	return id;
}

static uint8_t action_of(const struct threat_def *d, const struct dp_port_info *port,
			 const struct dp_pkt *p, const struct session *s)
{
	if (port->mode != BH_MODE_PROTECT && port->mode != BH_MODE_QUARANTINE)
		return THREAT_ACT_LOG;
	if (d->protect == THREAT_ACT_RESET && s && s->key.proto == IPPROTO_TCP &&
	    !(p->tcp_flags & TH_SYN) && s->state != SESS_TCP_CLOSED)
		return THREAT_ACT_RESET;
	return THREAT_ACT_DROP;
}

/* ---- user signatures ---- */

/* What a signature's match does at this end: its action in protect/quarantine. */
static uint8_t sig_action_at(const struct sig_hit *h, const struct dp_port_info *port,
			     const struct dp_pkt *p, const struct session *s)
{
	if ((port->mode != BH_MODE_PROTECT && port->mode != BH_MODE_QUARANTINE) ||
	    h->action == SIG_ACT_LOG)
		return THREAT_ACT_LOG;
	if (h->action == SIG_ACT_RESET && s->key.proto == IPPROTO_TCP &&
	    !(p->tcp_flags & TH_SYN) && s->state != SESS_TCP_CLOSED)
		return THREAT_ACT_RESET;
	return THREAT_ACT_DROP;
}

/* Report n signature matches of p's bytes; in protect, block s at the strongest action. */
static enum threat_action sig_report(struct threat *t, const struct dp_port_info *port,
				     const struct dp_pkt *p, struct session *s,
				     const struct sig_hit *hits, int n)
{
	uint8_t worst = THREAT_ACT_LOG;

	for (int i = 0; i < n && i < SIG_HITS_MAX; i++) {
		const struct sig_hit *h = &hits[i];
		uint8_t act = sig_action_at(h, port, p, s);

		report(t, port, p, (uint16_t)(SIG_THREAT_BASE + h->id), act, p->eth, p->len, h);
		if (act > worst)
			worst = act;
	}
	if (worst != THREAT_ACT_LOG) {
		/* Blocked from here on: nothing of it is matched any more. */
		s->verdict = SESS_BLOCKED;
		sig_session_stop(t->sig, s);
	}
	return (enum threat_action)worst;
}

enum threat_action threat_stream_feed(struct threat *t, const struct dp_port_info *port,
				      const struct dp_pkt *p, const struct sess_result *sr,
				      const uint8_t *data, uint32_t len)
{
	struct session *s = sr->s;

	int n;

	if (!t || t->cfg.off || !s || s->verdict == SESS_BLOCKED)
		return THREAT_ACT_LOG;
	n = sig_feed(t->sig, s, port->wl_id, sr->side, data, len);
	return sig_report(t, port, p, s, sig_worker_hits(t->sig), n);
}

/*
 * A packet's payload as stream bytes.  TCP the reassembler delivered for this packet
 * was matched at delivery: only its kept hits are reported.  Other TCP (no flow slot,
 * given up, released before a set arrived): the payload in sequence order, see
 * sig_feed_tcp.
 */
static enum threat_action sig_stage(struct threat *t, const struct dp_port_info *port,
				    const struct dp_pkt *p, const struct sess_result *sr,
				    bool streamed)
{
	struct session *s = sr->s;
	int n;

	if (p->proto != IPPROTO_TCP)
		return threat_stream_feed(t, port, p, sr, p->payload, p->payload_len);
	if (s->verdict == SESS_BLOCKED)
		return THREAT_ACT_LOG;
	if (streamed)
		return sig_report(t, port, p, s, t->st_hits, t->st_nhits);
	n = sig_feed_tcp(t->sig, s, port->wl_id, sr->side, p->tcp_seq, p->payload,
			 p->payload_len);
	return sig_report(t, port, p, s, sig_worker_hits(t->sig), n);
}

enum threat_action threat_check(struct threat *t, const struct dp_port_info *port,
				const struct dp_pkt *p, const struct sess_result *sr)
{
	uint16_t id = THREAT_NONE;
	const struct threat_def *d;
	bool st_drop, streamed;
	uint8_t act;

	if (!t || t->cfg.off || !p->family)
		return THREAT_ACT_LOG;
	if (p->flags & DP_PKT_FRAG)
		id = frag_check(t, p);
	if (!id && (p->flags & DP_PKT_L4))
		id = l4_check(t, p, sr);
	st_drop = t->st_drop && t->st_s == sr->s;
	streamed = sr->s && t->st_sig && t->st_s == sr->s;
	t->st_s = NULL;
	d = id ? threat_def_of(id) : NULL;
	if (st_drop && !d) /* an out-of-order segment over the reassembly caps, in protect */
		return THREAT_ACT_DROP;
	if (d) {
		act = action_of(d, port, p, sr->s);
		report(t, port, p, id, act, p->eth, p->len, NULL);
		if (sr->s && (act == THREAT_ACT_RESET ||
			      (act == THREAT_ACT_DROP && sr->created && id == THREAT_SESSION_LIMIT)))
			sr->s->verdict = SESS_BLOCKED;
		if (act != THREAT_ACT_LOG) {
			/* Stream bytes were matched at delivery already: their hits are logged too. */
			if (streamed && t->st_nhits) {
				uint8_t sa = (uint8_t)sig_report(t, port, p, sr->s, t->st_hits,
								 t->st_nhits);

				if (sa > act)
					act = sa;
			}
			return (enum threat_action)act;
		}
	}
	/* Signatures see every payload byte the policy and the catalogue let through. */
	if (sr->s && (p->flags & DP_PKT_L4) && p->payload_len &&
	    (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP))
		return sig_stage(t, port, p, sr, streamed);
	return THREAT_ACT_LOG;
}


void threat_decode_fail(struct threat *t, const struct dp_port_info *port, const struct dp_pkt *p,
			const uint8_t *frame, uint32_t len)
{
	if (!t || t->cfg.off)
		return;
	report(t, port, p, THREAT_INVALID_PACKET, THREAT_ACT_DROP, frame, len, NULL);
}

/* ---- the reassembled TCP stream (dp-stream.c) ---- */

void threat_stream_begin(struct threat *t, const struct session *s)
{
	if (!t)
		return;
	t->st_s = s;
	t->st_id = THREAT_NONE;
	t->st_drop = false;
	t->st_sig = s != NULL;
	t->st_nhits = 0;
}

void threat_stream_sig(struct threat *t, const struct dp_port_info *port, struct session *s,
		       uint8_t side, uint32_t seq, const uint8_t *b, uint32_t len)
{
	const struct sig_hit *hits;
	int n;

	if (!t || t->cfg.off || s->verdict == SESS_BLOCKED)
		return;
	/* In order already: sig_feed_tcp only records where the stream is, for a give-up. */
	n = sig_feed_tcp(t->sig, s, port->wl_id, side, seq, b, len);
	hits = sig_worker_hits(t->sig);
	for (int i = 0; i < n && i < SIG_HITS_MAX && t->st_nhits < SIG_HITS_MAX; i++)
		t->st_hits[t->st_nhits++] = hits[i];
}

static void stream_hit(struct threat *t, uint16_t id)
{
	if (id && !t->st_id)
		t->st_id = id;
}

void threat_stream_overlap(struct threat *t)
{
	if (t && !t->cfg.off)
		stream_hit(t, THREAT_TCP_OVERLAP);
}

bool threat_stream_cap(struct threat *t, const struct dp_port_info *port)
{
	if (!t || t->cfg.off)
		return false;
	if (port->mode != BH_MODE_PROTECT && port->mode != BH_MODE_QUARANTINE) {
		/* Reassembly gives up: signatures take this packet and later ones as they come. */
		t->st_sig = false;
		return false;
	}
	t->st_drop = true;
	return true;
}

/*
 * The stream head holds all the payload checks read: an HTTP request head up to its
 * blank line, a DNS message, the start of a TLS record, an SSH identification line;
 * anything else after a few bytes that start none of these.
 */
static bool head_complete(const struct dp_pkt *p, uint8_t side, const uint8_t *b, uint32_t len)
{
	int http;

	if (len >= REASM_HEAD_MAX)
		return true;
	if (p->sport == 53 || p->dport == 53)
		return len >= 2 && len >= 2u + (uint32_t)(b[0] << 8 | b[1]);
	http = side == SESS_FROM_CLIENT ? threat_http_head_state(b, len) : -1;
	if (http >= 0)
		return http == 1;
	if (len && (b[0] == 0x16 || b[0] == 0x18 || (b[0] & 0x80)))
		return len >= 11; /* TLS/SSLv2 record header and ClientHello version */
	if (!memcmp(b, "SSH-", len < 4 ? len : 4))
		return memchr(b, '\n', len) != NULL;
	return len >= 16;
}

void threat_stream_data(struct threat *t, struct reasm *r, struct session *s,
			const struct dp_pkt *p, uint8_t side, const uint8_t *b, uint32_t len)
{
	bool checked = false;
	const uint8_t *h;
	uint16_t id;
	uint32_t hl;

	if (!t || t->cfg.off)
		return;
	if (s->packets[side] <= THREAT_PAYLOAD_PKTS) { /* a record starting in this segment */
		stream_hit(t, payload_check(p, side, b, len));
		checked = true;
	}
	if (reasm_tcp_head_is_done(r, s, side))
		return;
	if (!reasm_tcp_head(r, s, side, &hl) && head_complete(p, side, b, len)) {
		if (!checked) /* the whole head in one piece: judged in place, no copy */
			stream_hit(t, payload_check(p, side, b, len));
		reasm_tcp_head_done(r, s, side);
		return;
	}
	if (reasm_tcp_head_add(r, s, side, b, len)) {
		reasm_tcp_head_done(r, s, side); /* no chunk left: judged on its pieces */
		return;
	}
	h = reasm_tcp_head(r, s, side, &hl);
	id = payload_check(p, side, h, hl);
	stream_hit(t, id);
	if (id || head_complete(p, side, h, hl)) /* judged: a head is reported once */
		reasm_tcp_head_done(r, s, side);
}

bool threat_stream_wants(const struct threat *t, const struct reasm *r, const struct session *s)
{
	if (!t || t->cfg.off)
		return false;
	if (sig_inspecting(s)) /* signatures see the reassembled bytes up to their depth */
		return true;
	for (uint8_t side = 0; side < 2; side++)
		if (!reasm_tcp_head_is_done(r, s, side) &&
		    (reasm_tcp_offset(r, s, side) || s->packets[side] <= THREAT_PAYLOAD_PKTS))
			return true;
	return false;
}
