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
 * session reaches the eBPF fast path only after them.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "dp-event.h"
#include "policy/policy-t.h"
#include "portmac.h"
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
	uint32_t npending;
	uint64_t last_scan_ms;
	struct port_rates rates[BH_MAX_PORTS];
	struct src_ent src[SRC_SETS][SRC_WAYS];
	struct frag_ent frag[FRAG_SLOTS];
	struct agg_ent agg[AGG_SETS][AGG_WAYS];
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
	*out = t;
	return 0;
}

void threat_free(struct threat *t)
{
	free(t);
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
		       uint16_t id, uint8_t act, const uint8_t *frame, uint32_t flen)
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
		   uint16_t id, uint8_t act, const uint8_t *frame, uint32_t flen)
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
		event_fill(&ev, port, p, id, act, frame, flen);
		dp_evring_put(t->events, &ev);
		return;
	}
	if (!e->pending++) {
		t->npending++;
		event_fill(&e->ev, port, p, id, act, frame, flen);
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

void threat_session_end(struct threat *t, const struct session *s)
{
	struct src_ent *e;

	if (!t || !(s->flags & SESS_F_THREAT))
		return;
	e = src_find(t, s, false);
	if (e)
		e->n--;
}

/*
 * A TCP session both sides closed (or reset) holds nothing open any more, though it
 * stays in the table for its closing timeout: it stops counting now, so a client that
 * opens and closes thousands of connections a second is not taken for a hog.
 */
static void session_closed(struct threat *t, struct session *s)
{
	if ((s->flags & SESS_F_THREAT) &&
	    (s->state == SESS_TCP_TIME_WAIT || s->state == SESS_TCP_CLOSED)) {
		threat_session_end(t, s);
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

static uint16_t payload_check(const struct dp_pkt *p, uint8_t side)
{
	uint32_t n = p->payload_len < PAYLOAD_SCAN_MAX ? p->payload_len : PAYLOAD_SCAN_MAX;
	const uint8_t *b = p->payload;
	uint16_t id;

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
	if (!id && p->payload_len && s->packets[sr->side] <= THREAT_PAYLOAD_PKTS)
		id = payload_check(p, sr->side);
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

enum threat_action threat_check(struct threat *t, const struct dp_port_info *port,
				const struct dp_pkt *p, const struct sess_result *sr)
{
	uint16_t id = THREAT_NONE;
	const struct threat_def *d;
	uint8_t act;

	if (!t || t->cfg.off || !p->family)
		return THREAT_ACT_LOG;
	if (p->flags & DP_PKT_FRAG)
		id = frag_check(t, p);
	if (!id && (p->flags & DP_PKT_L4))
		id = l4_check(t, p, sr);
	d = id ? threat_def_of(id) : NULL;
	if (!d)
		return THREAT_ACT_LOG;
	act = action_of(d, port, p, sr->s);
	report(t, port, p, id, act, p->eth, p->len);
	if (sr->s && (act == THREAT_ACT_RESET ||
		      (act == THREAT_ACT_DROP && sr->created && id == THREAT_SESSION_LIMIT)))
		sr->s->verdict = SESS_BLOCKED;
	return (enum threat_action)act;
}

void threat_decode_fail(struct threat *t, const struct dp_port_info *port, const struct dp_pkt *p,
			const uint8_t *frame, uint32_t len)
{
	if (!t || t->cfg.off)
		return;
	report(t, port, p, THREAT_INVALID_PACKET, THREAT_ACT_DROP, frame, len);
}
