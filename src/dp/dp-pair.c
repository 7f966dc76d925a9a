/*
 * dp-pair.c - a frame between two inline ports of this node crosses the dp once.
 *
 * Without this, a frame from workload A to workload B visits the dp twice: at A's port
 * on the way out (A's egress) and, after the bridge, at B's port on the way in (B's
 * ingress).  Both passes run on the same worker (the fanout hash is symmetric and does
 * not look at the port), so the first pass can just as well decide B's end: it runs the
 * frame through B's session, policy, DPI and threat stages too, and installs a one-pass
 * entry (STEER_FLOW_PAIR) for the flow at B, with which the tc program on B's vex takes
 * the frame in from the bridge directly.  Nothing skips the bridge or the host's rules.
 *
 * What keeps it exact: an entry at B only ever admits frames that a pass at A judged for
 * B.  Every frame A sends to B's MAC is judged for B here unless B's own session is on
 * the fast path (its fast entry has then replaced the one-pass entry); A's session never
 * takes the fast path alone while its peer is a local inline port (dp-verdict.c), only
 * together with B's, which overwrites both one-pass entries in one step; and the tc
 * program honours the entries only from the bridge side, for plain IPv4/IPv6 TCP/UDP and
 * ICMP echo: exactly the frames pair_frame() admits here.
 */
#include "dp-pair.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <urcu.h>

#include "dp-capture.h"
#include "dp-verdict.h"
#include "dp-worker.h"
#include "dp.h"
#include "session.h"

/* The frames the tc program's flow lookup parses (steer.bpf.c flow_key()). */
static bool pair_frame(const struct dp_pkt *p)
{
	if (!(p->flags & DP_PKT_L4) || (p->flags & (DP_PKT_FRAG | DP_PKT_IPOPT)) || p->vlan_count)
		return false;
	switch (p->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP: return p->family == AF_INET || p->family == AF_INET6;
	case IPPROTO_ICMP: return p->family == AF_INET && (p->flags & DP_PKT_ECHO);
	case IPPROTO_ICMPV6: return p->family == AF_INET6 && (p->flags & DP_PKT_ECHO);
	default: return false;
	}
}

/* The inline port the frame is addressed to, when it is another one of this node. */
static const struct dp_port *pair_peer(struct dp_worker *w, const struct dp_pkt *p)
{
	uint16_t idx = dp_port_by_mac(w->dp, p->eth);
	const struct dp_port *b;

	if (!idx || idx == p->port_idx)
		return NULL;
	b = rcu_dereference(w->dp->ports[idx]);
	if (!b || !dp_port_inline(&b->info) || memcmp(b->info.mac, p->eth, 6))
		return NULL; /* changed since the index was built */
	return b;
}

/*
 * A one-pass entry lives as long as its session, and closed TCP sessions stay 15 s: with
 * many short connections that would fill the flows map the fast path needs too.  An
 * entry is dropped when this pass has sent the frame that closed its session (a late
 * frame of the flow is then judged at the receiver's own pass only).
 */
static void pair_closed(struct dp_worker *w, struct session *sb)
{
	struct dp_batch *bt = &w->batch;

	if (!(sb->flags & SESS_F_PAIR_IN) || !sess_tcp_closed(sb) || bt->nclosed >= DP_BATCH)
		return;
	bt->closed[bt->nclosed].s = sb;
	bt->closed[bt->nclosed].key = sb->key;
	bt->nclosed++;
}

void dp_pair_pass_end(struct dp_worker *w)
{
	struct dp_batch *bt = &w->batch;

	for (unsigned i = 0; i < bt->nclosed; i++) {
		struct session *s = bt->closed[i].s;

		if (!memcmp(&s->key, &bt->closed[i].key, sizeof(s->key)) && sess_tcp_closed(s))
			dp_pair_entry_clear(w, s);
	}
	bt->nclosed = 0;
}

/* Both ends are ready for the fast path: move the flow there in one step, B first. */
static void pair_promote(struct dp_worker *w, const struct dp_port *a, struct session *sa,
			 const struct dp_port *b, struct session *sb)
{
	if (!dp_fast_ready(w, &b->info, sb) || !dp_fast_ready(w, &a->info, sa))
		return;
	dp_fast_promote(w, sb);
	if (!(sb->flags & SESS_F_FAST))
		return;
	dp_fast_promote(w, sa);
	/* B's frames now skip B's pass: A's one-pass entry must not let them in unjudged */
	if (!(sa->flags & SESS_F_FAST))
		dp_pair_entry_clear(w, sa);
}

bool dp_pair_pass(struct dp_worker *w, const struct dp_port *a, const struct io_frame *f,
		  const struct dp_pkt *p, struct session *sa, uint64_t now)
{
	enum dp_drop_reason why = DP_DROP_POLICY;
	const struct dp_port *b;
	struct sess_result sr;
	struct session *sb;
	struct sess_key k;
	struct dp_pkt pb;

	if (w->dp->cfg.pair_map_fd <= 0 || !sa)
		return true;
	pair_closed(w, sa); /* its own frame may have closed it: its entry goes too */
	if ((sa->flags & SESS_F_FAST) || !pair_frame(p))
		return true;
	b = pair_peer(w, p);
	if (!b)
		return true;
	k = sa->key;
	k.port_idx = b->info.idx;
	sb = sess_find(w->sess, &k);
	if (sb && (sb->flags & SESS_F_FAST))
		return true; /* B's fast entry takes it, or sends it to B's own pass */
	if (sb && !(sb->flags & SESS_F_PAIR_IN) && sess_tcp_closed(sb))
		return true; /* a late frame of a closed flow: B's own pass */
	pb = *p;
	pb.port_idx = b->info.idx;
	pb.dir = DP_DIR_INGRESS;
	pb.port_gen = b->gen;
	if (!dp_worker_judge(w, b, f, 0, now, &pb, &why, &sr)) {
		dp_capture_frame(w, &pb, f->wire_len, true, why);
		dp_worker_count_drop(w, pb.port_idx, why);
		return false;
	}
	dp_capture_frame(w, &pb, f->wire_len, false, why);
	sb = sr.s;
	if (!sb)
		return true;
	if (!(sb->flags & (SESS_F_PAIR_IN | SESS_F_FAST)))
		dp_pair_entry_set(w, sb); /* even for a closing frame: it must not be judged twice */
	pair_closed(w, sb);
	pair_promote(w, a, sa, b, sb);
	return true;
}
