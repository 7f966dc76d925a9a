/*
 * dp-verdict.c - the policy stage: each new session is decided once per end
 * (this port's workload as client: egress; as server: ingress), the verdict
 * is kept in the session, and every later packet follows it.
 *
 * When the control plane publishes a new policy, the worker re-checks all its
 * live sessions in one walk between passes; a session that became blocked is
 * reset (TCP: RST to both ends) and its packets are dropped from then on.
 *
 * DPI (dpi.c) names a TCP/UDP session's app from its first payload.  Until then
 * the session is decided with the app PENDING (an allow rule with apps lets the
 * handshake and first payload through provisionally), stays out of the fast
 * path, and is decided once more when the app is known: a session that becomes
 * blocked then is reset like above.  Discover learns at that point too, so the
 * learned rule can name the app.
 * Everything the control plane must know (learned conversations, violations,
 * session totals) leaves through the worker's event ring.
 *
 * A packet the policy stage forwards then goes through the threat stage
 * (threat.c); in protect it may drop the packet, or block the session and ask
 * for the resets sent here.
 */
#include "dp-verdict.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <urcu.h>

#include <bpf/bpf.h>

#include "../../bpf/steer-maps.h"
#include "dp-event.h"
#include "dp-fqdn.h"
#include "dp-reset.h"
#include "dp-stream.h"
#include "dp-worker.h"
#include "dpi.h"
#include "io-packet.h"
#include "policy/policy.h"
#include "reasm-tcp.h"
#include "session.h"
#include "sig.h"
#include "threat.h"

#define TH_SYN 0x02
#define TH_FIN 0x01
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define DP_FAST_MIN_PACKETS 16 /* a session earns the fast path after this many */

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum policy_proto l4_proto(uint8_t ipproto)
{
	switch (ipproto) {
	case IPPROTO_TCP: return POLICY_PROTO_TCP;
	case IPPROTO_UDP: return POLICY_PROTO_UDP;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: return POLICY_PROTO_ICMP;
	default: return POLICY_PROTO_OTHER;
	}
}

/* The question policy answers for s at this port: who is the peer, which port. */
static void query_of(const struct session *s, uint32_t wl_id, struct policy_query *q)
{
	int server_key = !s->client;
	int peer_key = s->end == POLICY_EGRESS ? server_key : s->client;

	memset(q, 0, sizeof(*q));
	q->wl_id = wl_id;
	q->dir = s->end;
	q->proto = (uint8_t)l4_proto(s->key.proto);
	q->port = q->proto == POLICY_PROTO_ICMP ? 0 : s->key.port[server_key];
	q->app = s->app;
	q->peer.family = s->key.family;
	memcpy(q->peer.a, s->key.addr[peer_key], 16);
}

static void event_of(const struct session *s, const struct dp_port_info *port, uint8_t type,
		     struct dp_event *ev)
{
	int server_key = !s->client;

	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->end = s->end;
	ev->family = s->key.family;
	ev->ipproto = s->key.proto;
	ev->proto = (uint8_t)l4_proto(s->key.proto);
	ev->port_idx = s->key.port_idx;
	ev->wl_id = port->wl_id;
	ev->rule_id = s->policy_id;
	ev->action = s->verdict == SESS_BLOCKED ? POLICY_BLOCK : POLICY_ALLOW;
	ev->app = s->app;
	memcpy(ev->client, s->key.addr[s->client], 16);
	memcpy(ev->server, s->key.addr[server_key], 16);
	ev->sport = s->key.port[s->client];
	ev->dport = ev->proto == POLICY_PROTO_ICMP ? 0 : s->key.port[server_key];
	ev->time_ms = wall_ms();
}

/* Decide s under pol; returns the policy verdict (for the event). */
static void decide(struct dp_worker *w, const struct policy *pol, const struct dp_port_info *port,
		   struct session *s, struct policy_verdict *v, bool recheck)
{
	struct policy_query q;

	memset(v, 0, sizeof(*v));
	v->action = POLICY_ALLOW;
	v->mode = (uint8_t)port->mode;
	if (pol) {
		query_of(s, port->wl_id, &q);
		/* A live, allowed session (re-checked, or its app named) keeps the names it
		 * was admitted by past their TTL; only new sessions need a live answer. */
		q.fqdn = recheck && s->verdict == SESS_ALLOWED ? dp_fqdn_recheck_src(w->dp)
							       : dp_fqdn_src(w->dp);
		policy_eval(pol, &q, v);
	}
	s->verdict = v->action == POLICY_BLOCK ? SESS_BLOCKED : SESS_ALLOWED;
	s->policy_id = v->rule_id;
	if (v->provisional)
		s->flags |= SESS_F_PROVISIONAL;
	else
		s->flags &= (uint8_t)~SESS_F_PROVISIONAL;
}

static void report(struct dp_worker *w, const struct policy *pol, struct session *s,
		   const struct dp_port_info *port, const struct policy_verdict *v, uint8_t type)
{
	struct dp_event ev;

	event_of(s, port, type, &ev);
	ev.violation = v->violation;
	ev.mode = v->mode;
	/* A learned rule names the app: wait for DPI (or the session's end) to tell it. */
	if (v->learn && dpi_pending(s)) {
		s->flags |= SESS_F_LEARN_APP;
	} else if (v->learn && pol) {
		struct policy_query q;

		query_of(s, port->wl_id, &q);
		ev.learn = policy_learn_req_fill(pol, &q, &ev.learn_req) == 0;
	}
	dp_evring_put(&w->events, &ev);
}

/* Track what a reset needs: each side's next sequence number and the far MAC. */
static void note_l2_l4(struct session *s, const struct dp_pkt *p, uint8_t side)
{
	uint32_t next;

	memcpy(s->peer_mac, p->dir == DP_DIR_INGRESS ? p->eth + 6 : p->eth, 6);
	if (s->key.proto != IPPROTO_TCP || !(p->flags & DP_PKT_L4))
		return;
	next = p->tcp_seq + p->payload_len + !!(p->tcp_flags & TH_SYN) +
	       !!(p->tcp_flags & TH_FIN);
	if (!(s->tcp_seq_seen & (1u << side)) || SEQ_GT(next, s->tcp_next[side]))
		s->tcp_next[side] = next;
	s->tcp_seq_seen |= (uint8_t)(1u << side);
}

/* Packets outside any session: only a quarantined workload refuses them. */
static enum dp_verdict sessionless(const struct dp_port_info *port, enum dp_drop_reason *why)
{
	if (port->mode == BH_MODE_QUARANTINE) {
		*why = DP_DROP_POLICY;
		return DP_VERDICT_DROP;
	}
	return DP_VERDICT_FORWARD;
}

/* ---- the eBPF fast path ---- */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The entry for packets sent by key side i of s. */
static void flow_key_of(const struct session *s, int i, struct steer_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->saddr, s->key.addr[i], 16);
	memcpy(k->daddr, s->key.addr[!i], 16);
	k->sport = s->key.port[i];
	k->dport = s->key.port[!i];
	k->idx = s->key.port_idx;
	k->family = s->key.family;
	k->proto = s->key.proto;
}

static uint8_t side_of_key(const struct session *s, int i)
{
	return i == s->client ? SESS_FROM_CLIENT : SESS_FROM_SERVER;
}

/*
 * Established and allowed, and nothing left to learn from its payload: TCP past the
 * handshake, or UDP that has seen a reply, whose app DPI has settled (the fast path
 * would hide the payload from it).
 */
static bool fast_eligible_alone(const struct session *s)
{
	/*
	 * Short sessions stay in the dp: installing and removing two map entries costs
	 * more syscalls than their few packets would, and halves new connections/s.
	 */
	if (s->verdict != SESS_ALLOWED || s->packets[0] + s->packets[1] < DP_FAST_MIN_PACKETS ||
	    dpi_pending(s) || dp_fqdn_session(s) || /* DNS answers feed FQDN groups */
	    sig_inspecting(s) || /* user signatures see the payload up to their depth */
	    reasm_tcp_active(s)) /* still reassembled for inspection (dp-stream.c) */
		return false;
	if (s->key.proto == IPPROTO_TCP)
		return s->state == SESS_TCP_ESTABLISHED && (s->tcp_seq_seen & 3) == 3;
	return s->key.proto == IPPROTO_UDP && s->packets[0] && s->packets[1];
}

/*
 * A flow between two inline ports of this node is judged once per frame, at the sending
 * port (dp-pair.c).  Were one end's session to take the fast path alone while the other
 * end's session holds a one-pass entry, its frames would skip that pass and the entry
 * would let them in unjudged: such a pair enters the fast path together (dp_fast_promote).
 * Alone is fine when the peer's session relies on no pass of ours (none, or fast itself).
 */
static bool fast_eligible(struct dp_worker *w, const struct session *s)
{
	const struct session *peer_s;
	struct sess_key k;
	uint16_t peer;

	if (s->flags & SESS_F_PAIR_IN || !fast_eligible_alone(s))
		return false;
	if (s->flags & SESS_F_FAST || w->dp->cfg.pair_map_fd <= 0)
		return true;
	peer = dp_port_by_mac(w->dp, s->peer_mac);
	if (!peer || peer == s->key.port_idx)
		return true;
	k = s->key;
	k.port_idx = peer;
	peer_s = sess_find(w->sess, &k);
	return !peer_s || !(peer_s->flags & SESS_F_PAIR_IN);
}

static void fast_install(struct dp_worker *w, struct session *s)
{
	uint64_t now = mono_ns();

	for (int i = 0; i < 2; i++) {
		struct steer_flow_val v = {.last_dp_ns = now};
		struct steer_flow_key k;

		flow_key_of(s, i, &k);
		v.next_seq = s->tcp_next[side_of_key(s, i)];
		if (bpf_map_update_elem(w->dp->cfg.flow_map_fd, &k, &v, BPF_ANY) < 0) {
			w->fast_fail++;
			return;
		}
	}
	s->flags |= SESS_F_FAST;
	s->flags &= (uint8_t)~SESS_F_PAIR_IN; /* its one-pass entry was just overwritten */
}

/* Take s out of the fast path, folding what the kernel saw into the session. */
static void fast_remove(struct dp_worker *w, struct session *s)
{
	for (int i = 0; i < 2; i++) {
		struct steer_flow_val v;
		struct steer_flow_key k;
		uint8_t side = side_of_key(s, i);

		flow_key_of(s, i, &k);
		if (bpf_map_lookup_elem(w->dp->cfg.flow_map_fd, &k, &v) == 0) {
			s->packets[side] += v.packets;
			s->bytes[side] += v.bytes;
			if (s->key.proto == IPPROTO_TCP && SEQ_GT(v.next_seq, s->tcp_next[side]))
				s->tcp_next[side] = v.next_seq;
		}
		bpf_map_delete_elem(w->dp->cfg.flow_map_fd, &k);
	}
	s->flags &= (uint8_t)~SESS_F_FAST;
}

/*
 * A port under capture keeps all its packets in the dp, where the capture is; a tapped
 * port has no steering to take a fast path (and sheds what inline installed).
 */
static bool fast_port_ok(struct dp_worker *w, const struct dp_port_info *port,
			 const struct session *s)
{
	return w->dp->cfg.flow_map_fd > 0 && /* 0: a config that never set it */
	       !port->tap && !__atomic_load_n(&w->dp->capture[s->key.port_idx], __ATOMIC_RELAXED);
}

bool dp_fast_ready(struct dp_worker *w, const struct dp_port_info *port, const struct session *s)
{
	return fast_port_ok(w, port, s) && !(s->flags & SESS_F_FAST) && fast_eligible_alone(s);
}

void dp_fast_promote(struct dp_worker *w, struct session *s)
{
	fast_install(w, s);
}

/* The key of the frames that arrive at s's port from the bridge (its ingress). */
static void pair_key_of(const struct session *s, struct steer_flow_key *k)
{
	flow_key_of(s, s->client_dir == DP_DIR_INGRESS ? s->client : !s->client, k);
}

int dp_pair_entry_set(struct dp_worker *w, struct session *s)
{
	struct steer_flow_val v = {.flags = STEER_FLOW_PAIR};
	struct steer_flow_key k;

	pair_key_of(s, &k);
	if (bpf_map_update_elem(w->dp->cfg.pair_map_fd, &k, &v, BPF_ANY) < 0) {
		w->fast_fail++;
		return -1;
	}
	s->flags |= SESS_F_PAIR_IN;
	return 0;
}

void dp_pair_entry_clear(struct dp_worker *w, struct session *s)
{
	struct steer_flow_key k;

	if (!(s->flags & SESS_F_PAIR_IN))
		return;
	pair_key_of(s, &k);
	bpf_map_delete_elem(w->dp->cfg.pair_map_fd, &k);
	s->flags &= (uint8_t)~SESS_F_PAIR_IN;
}

static void fast_update(struct dp_worker *w, const struct dp_port_info *port, struct session *s)
{
	bool want;

	if (w->dp->cfg.flow_map_fd <= 0)
		return;
	want = fast_port_ok(w, port, s) && fast_eligible(w, s);
	if (want && !(s->flags & SESS_F_FAST))
		fast_install(w, s);
	else if (!want && (s->flags & SESS_F_FAST))
		fast_remove(w, s);
}

static void send_resets(struct dp_worker *w, const struct session *s);

static bool tcp_closing(const struct session *s)
{
	return s->key.proto == IPPROTO_TCP && (s->tcp_fin || s->state == SESS_TCP_CLOSED);
}

/*
 * DPI named s's app (or gave up): decide again with it.  Blocked now: reset and report
 * (a violation naming the app); still allowed: report the app, plus a violation only
 * if the decision changed into one, plus the learn request discover held back.
 */
static void app_known(struct dp_worker *w, const struct dp_port_info *port, struct session *s)
{
	bool was_provisional = s->flags & SESS_F_PROVISIONAL;
	bool learn = s->flags & SESS_F_LEARN_APP;
	uint32_t old_rule = s->policy_id;
	struct policy_verdict v;

	s->flags &= (uint8_t)~SESS_F_LEARN_APP;
	if (!w->pol)
		return;
	decide(w, w->pol, port, s, &v, true);
	if (s->verdict == SESS_BLOCKED) {
		if (s->key.proto == IPPROTO_TCP && s->state != SESS_TCP_CLOSED)
			send_resets(w, s);
		report(w, w->pol, s, port, &v, DP_EV_RESET);
		return;
	}
	v.violation = v.violation && (was_provisional || v.rule_id != old_rule);
	v.learn = v.learn && learn;
	report(w, w->pol, s, port, &v, DP_EV_APP);
}

static enum dp_verdict policy_stage(struct dp_worker *w, const struct dp_port_info *port,
				    const struct dp_pkt *p, const struct sess_result *sr)
{
	struct session *s = sr->s;
	bool fresh;
	enum dp_drop_reason why;

	if (!s)
		return sessionless(port, &why);
	fresh = sr->created || s->verdict == SESS_UNDECIDED;
	if (fresh) {
		struct policy_verdict v;

		note_l2_l4(s, p, sr->side);
		s->end = s->client_dir == DP_DIR_EGRESS ? POLICY_EGRESS : POLICY_INGRESS;
		dpi_session_start(s);
		decide(w, w->pol, port, s, &v, false);
		if (w->pol)
			report(w, w->pol, s, port, &v, DP_EV_SESSION);
	}
	/*
	 * Before this packet's sequence numbers count: a reset must match what was delivered.
	 * A closing TCP session sends no more payload: DPI settles with what it saw.
	 */
	if (s->verdict == SESS_ALLOWED &&
	    (dp_stream_feed(w, port, s, p, sr->side) ||
	     (dpi_pending(s) && tcp_closing(s) && dpi_finish(w->dpi, s))))
		app_known(w, port, s);
	if (!fresh)
		note_l2_l4(s, p, sr->side);
	return s->verdict == SESS_BLOCKED ? DP_VERDICT_DROP : DP_VERDICT_FORWARD;
}

enum dp_verdict dp_verdict(struct dp_worker *w, const struct dp_port_info *port,
			   const struct dp_pkt *p, const struct sess_result *sr,
			   enum dp_drop_reason *why)
{
	enum dp_verdict v = policy_stage(w, port, p, sr);

	*why = DP_DROP_POLICY;
	if (v == DP_VERDICT_FORWARD) {
		enum threat_action ta = threat_check(w->threat, port, p, sr);

		if (ta == THREAT_ACT_RESET)
			send_resets(w, sr->s);
		if (ta != THREAT_ACT_LOG) {
			*why = DP_DROP_THREAT;
			v = DP_VERDICT_DROP;
		}
	}
	/* A blocked session delivers nothing more: its reassembly memory goes back now. */
	if (sr->s && sr->s->verdict == SESS_BLOCKED)
		reasm_tcp_release(w->reasm, sr->s);
	/* Admit a DNS answer's addresses before the client can see it (and connect). */
	if (v == DP_VERDICT_FORWARD)
		dp_fqdn_snoop(w, port, p, sr);
	if (sr->s)
		fast_update(w, port, sr->s);
	return v;
}

/* ---- re-checking live sessions after a policy change ---- */

static void send_resets(struct dp_worker *w, const struct session *s)
{
	uint8_t frames[2][DP_RST_FRAME_MAX];
	struct mmsghdr msgs[2];
	struct iovec iov[2];
	bool failed[2];
	unsigned n = 0;

	for (int to_wl = 0; to_wl < 2; to_wl++) {
		size_t len = dp_reset_build(s, to_wl, frames[n]);

		if (!len)
			continue;
		iov[n] = (struct iovec){.iov_base = frames[n], .iov_len = len};
		memset(&msgs[n], 0, sizeof(msgs[n]));
		msgs[n].msg_hdr.msg_iov = &iov[n];
		msgs[n].msg_hdr.msg_iovlen = 1;
		n++;
	}
	if (n)
		io_packet_send(&w->io, msgs, n, failed);
}

struct recheck {
	struct dp_worker *w;
	const struct policy *pol;
};

static void recheck_one(void *arg, struct session *s)
{
	struct recheck *rc = arg;
	const struct dp_port *port = rcu_dereference(rc->w->dp->ports[s->key.port_idx]);
	uint8_t before = s->verdict;
	struct policy_verdict v;

	if (!port || s->verdict == SESS_UNDECIDED || port->gen != s->port_gen)
		return;
	/* Out of the fast path first: whatever the new verdict, the next packet must see it. */
	if (s->flags & SESS_F_FAST)
		fast_remove(rc->w, s);
	decide(rc->w, rc->pol, &port->info, s, &v, true);
	/* The sender's pass re-judges its frames; a forged one must not find the door open. */
	if (s->verdict == SESS_BLOCKED)
		dp_pair_entry_clear(rc->w, s);
	if (before != SESS_ALLOWED || s->verdict != SESS_BLOCKED)
		return;
	if (s->key.proto == IPPROTO_TCP && s->state != SESS_TCP_CLOSED)
		send_resets(rc->w, s);
	report(rc->w, rc->pol, s, &port->info, &v, DP_EV_RESET);
}

void dp_verdict_tick(struct dp_worker *w)
{
	uint64_t seq = __atomic_load_n(&w->dp->policy_seq, __ATOMIC_ACQUIRE);
	struct recheck rc = {.w = w};

	if (seq == w->pol_seq)
		return;
	rcu_read_lock();
	rc.pol = rcu_dereference(w->dp->policy);
	w->pol_seq = seq;
	sess_foreach(w->sess, recheck_one, &rc);
	rcu_read_unlock();
}

/* Discover held a learn request back for the app, and the session ended first. */
static void end_learn(struct dp_worker *w, const struct session *s,
		      const struct dp_port_info *info, struct dp_event *ev)
{
	const struct policy *pol;
	struct policy_query q;

	rcu_read_lock();
	pol = rcu_dereference(w->dp->policy);
	if (pol) {
		query_of(s, info->wl_id, &q);
		ev->learn = policy_learn_req_fill(pol, &q, &ev->learn_req) == 0;
	}
	rcu_read_unlock();
}

void dp_verdict_session_end(struct dp_worker *w, const struct session *s)
{
	struct dp_port_info info = {0};
	const struct dp_port *port;
	struct dp_event ev;

	threat_session_end(w->threat, s);
	dp_pair_entry_clear(w, (struct session *)s);
	if (s->verdict == SESS_UNDECIDED)
		return;
	if (s->flags & SESS_F_FAST)
		fast_remove(w, (struct session *)s);
	rcu_read_lock();
	port = rcu_dereference(w->dp->ports[s->key.port_idx]);
	if (port)
		info = port->info;
	rcu_read_unlock();
	event_of(s, &info, DP_EV_END, &ev);
	ev.packets = s->packets[0] + s->packets[1];
	ev.bytes = s->bytes[0] + s->bytes[1];
	if ((s->flags & SESS_F_LEARN_APP) && port)
		end_learn(w, s, &info, &ev);
	dp_evring_put(&w->events, &ev);
}
