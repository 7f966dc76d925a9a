/*
 * dp-worker.c - one data-path thread: ring in, decide, ring out.
 *
 * A worker lives in the enforcer netns (it enters it once and stays), owns
 * its socket, session table and counters, and shares nothing writable with
 * other threads.  Per pass it drains up to DP_BATCH ready slots, runs each
 * frame through decode -> port -> session -> verdict, sends the forwarded
 * ones with one sendmmsg straight from the slots, then hands the slots back.
 * Ports are read under rcu_read_lock, held for one pass and never across a
 * sleep, so a publisher waits at most one pass.
 */
#include "dp-worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>

#include "decode.h"
#include "dp-pair.h"
#include "dp-tap.h"
#include "dp-verdict.h"
#include "dpi.h"
#include "frag-ipv4.h"
#include "frag-ipv6.h"
#include "io-packet.h"
#include "log.h"
#include "netns.h"
#include "reasm-tcp.h"
#include "session.h"
#include "threat.h"

static uint64_t dp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- counters ---- */

void dp_worker_count_drop(struct dp_worker *w, uint16_t idx, enum dp_drop_reason why)
{
	dp_ctr_add(&w->stats.drops[why], 1);
	if (idx)
		dp_ctr_add(&w->port_stats[idx].drops[why], 1);
}

static void dp_count_rx(struct dp_worker *w, const struct dp_pkt *p, uint32_t wire_len)
{
	struct dp_port_stats *ps = &w->port_stats[p->port_idx];

	dp_ctr_add(&ps->packets[p->dir], 1);
	dp_ctr_add(&ps->bytes[p->dir], wire_len);
}

/* Session table release hook: a session left, whatever the reason. */
static void dp_sess_released(void *arg, const struct session *s)
{
	struct dp_worker *w = arg;

	dp_ctr_add(&w->port_stats[s->key.port_idx].sessions_active, (uint64_t)-1);
	dp_verdict_session_end(w, s);
	dpi_release(w->dpi, (struct session *)s); /* the table is about to reuse it */
	reasm_tcp_release(w->reasm, (struct session *)s);
}

/* ---- per frame ---- */

static const struct dp_port *dp_port_lookup(struct dp_worker *w, struct dp_pkt *p)
{
	const struct dp_port *port;

	if (dp_decode_port(p))
		return NULL;
	port = rcu_dereference(w->dp->ports[p->port_idx]);
	if (port)
		p->port_gen = port->gen;
	return port;
}

/* ifindex: the device to transmit on directly, 0 = the dp port (bound device). */
static void dp_tx_add(struct dp_worker *w, uint16_t idx, int ifindex, void *a, size_t alen,
		      const void *b, size_t blen)
{
	struct dp_batch *bt = &w->batch;
	unsigned i = bt->ntx++;

	bt->iov[i][0].iov_base = a;
	bt->iov[i][0].iov_len = alen;
	bt->iov[i][1].iov_base = (void *)b;
	bt->iov[i][1].iov_len = blen;
	memset(&bt->msgs[i], 0, sizeof(bt->msgs[i]));
	bt->msgs[i].msg_hdr.msg_iov = bt->iov[i];
	bt->msgs[i].msg_hdr.msg_iovlen = b ? 2 : 1;
	bt->tx_port[i] = idx;
	bt->tx_failed[i] = false;
	if (ifindex > 0) {
		bt->tx_addr[i] = (struct sockaddr_ll){.sll_family = AF_PACKET, .sll_ifindex = ifindex};
		bt->msgs[i].msg_hdr.msg_name = &bt->tx_addr[i];
		bt->msgs[i].msg_hdr.msg_namelen = sizeof(bt->tx_addr[i]);
	}
}

/* The multicast MAC of an IP destination (RFC 1112, RFC 2464); false when not multicast. */
static bool dp_mc_mac(const struct dp_pkt *p, uint8_t *mac)
{
	const uint8_t *d;

	if (p->family == AF_INET) {
		d = p->l3 + 16;
		if ((d[0] & 0xf0) != 0xe0)
			return false;
		memcpy(mac, (const uint8_t[]){0x01, 0x00, 0x5e, d[1] & 0x7f, d[2], d[3]}, 6);
		return true;
	}
	if (p->family == AF_INET6) {
		d = p->l3 + 24;
		if (d[0] != 0xff)
			return false;
		memcpy(mac, (const uint8_t[]){0x33, 0x33, d[12], d[13], d[14], d[15]}, 6);
		return true;
	}
	return false;
}

/*
 * Put the real MAC back in place of the port marker and name the device the frame leaves
 * on (vex when it left the workload, vin when it goes to it), so the dp transmits there
 * directly: no second trip through the dp port's veth pair and tc program per packet.
 * Returns 0 (frame untouched: it goes back through the dp port) when the port has no
 * devices to send on or the marker cannot be undone here.
 */
static int dp_unmark(const struct dp_port *port, const struct dp_pkt *p)
{
	uint8_t *eth = (uint8_t *)p->eth, mac[6];

	if (port->info.vin_ifindex <= 0 || port->info.vex_ifindex <= 0)
		return 0;
	if (p->dir == DP_DIR_EGRESS) {
		memcpy(eth + 6, port->info.mac, 6);
		return port->info.vex_ifindex;
	}
	switch (BH_MAC_KIND(eth)) {
	case BH_MAC_UC: memcpy(eth, port->info.mac, 6); break;
	case BH_MAC_BC: memset(eth, 0xff, 6); break;
	case BH_MAC_MC:
		if (!dp_mc_mac(p, mac))
			return 0;
		memcpy(eth, mac, 6);
		break;
	default: return 0;
	}
	return port->info.vin_ifindex;
}

/*
 * IPv6 fragments after the first have no ports, hence no session: in protect mode they
 * pass only behind a first fragment forwarded on this port (frag-ipv6.c).  Quarantine
 * drops them already; discover and monitor forward everything anyway.
 */
static bool dp_frag6_gate(struct dp_worker *w, const struct dp_port *port,
			  const struct dp_pkt *p, uint64_t now, enum dp_drop_reason *why)
{
	if (p->family != AF_INET6 || !(p->flags & DP_PKT_FRAG))
		return true;
	if (!p->frag_off) {
		frag6_allow(&w->frag6, p, now);
		return true;
	}
	if (port->info.mode != BH_MODE_PROTECT || frag6_allowed(&w->frag6, p, now))
		return true;
	*why = DP_DROP_POLICY;
	return false;
}

/*
 * The pipeline for one frame: decode -> port -> session -> verdict.  Returns
 * the port to forward on, or NULL with *why set.  p->port_idx is non-zero
 * only once the frame is known to belong to a published port, so drops are
 * charged to it.  *sr: the frame's session there.
 */
static const struct dp_port *dp_decide(struct dp_worker *w, const struct io_frame *f,
				       uint64_t now, struct dp_pkt *p, enum dp_drop_reason *why,
				       struct sess_result *sr)
{
	const struct dp_port *port;
	int dec;

	if (f->truncated) {
		*why = DP_DROP_TRUNCATED;
		return NULL;
	}
	dec = dp_decode(p, f->mac, f->len, f->gso ? DP_DECODE_GSO : 0);
	port = dp_port_lookup(w, p);
	if (!port) {
		p->port_idx = 0;
		*why = DP_DROP_NO_PORT;
		return NULL;
	}
	return dp_worker_judge(w, port, f, dec, now, p, why, sr);
}

/*
 * A tap's frame (dp-tap.c): the same stages, but port and direction come from the tap
 * (the MACs are the workload's own), and what is decided is only observed: nothing is
 * sent or dropped, so nothing counts as a drop either.
 */
void dp_worker_observe(struct dp_worker *w, const struct io_frame *f, uint16_t idx,
		       uint8_t dir, uint64_t now)
{
	enum dp_drop_reason why = DP_DROP_DECODE;
	const struct dp_port *port = rcu_dereference(w->dp->ports[idx]);
	const struct dp_port *fwd;
	struct sess_result sr;
	struct dp_pkt p;
	int dec;

	dp_ctr_add(&w->stats.rx_packets, 1);
	if (f->truncated || !port || !port->info.tap)
		return;
	dec = dp_decode(&p, f->mac, f->len, f->gso ? DP_DECODE_GSO : 0);
	p.port_idx = idx;
	p.dir = dir;
	p.port_gen = port->gen;
	fwd = dp_worker_judge(w, port, f, dec, now, &p, &why, &sr);
	dp_capture_frame(w, &p, f->wire_len, !fwd, why);
}

/* The stages after the port is known: counters, session, policy/DPI/threat. */
const struct dp_port *dp_worker_judge(struct dp_worker *w, const struct dp_port *port,
				      const struct io_frame *f, int dec, uint64_t now,
				      struct dp_pkt *p, enum dp_drop_reason *why,
				      struct sess_result *sr)
{
	sr->s = NULL;
	dp_count_rx(w, p, f->wire_len);
	if (dec) {
		threat_decode_fail(w->threat, &port->info, p, f->mac, f->len);
		*why = DP_DROP_DECODE;
		return NULL;
	}
	if (sess_update(w->sess, p, now, sr)) {
		*why = DP_DROP_SESSION_FULL;
		return NULL;
	}
	if (sr->created) {
		dp_ctr_add(&w->port_stats[p->port_idx].sessions, 1);
		dp_ctr_add(&w->port_stats[p->port_idx].sessions_active, 1);
	}
	if (dp_verdict(w, &port->info, p, sr, why) != DP_VERDICT_FORWARD)
		return NULL;
	return dp_frag6_gate(w, port, p, now, why) ? port : NULL;
}

/* ---- sending ---- */

static void dp_tx_flush(struct dp_worker *w)
{
	struct dp_batch *b = &w->batch;
	unsigned i, sent = 0;
	int err;

	if (!b->ntx)
		return;
	err = io_packet_send(&w->io, b->msgs, b->ntx, b->tx_failed);
	for (i = 0; i < b->ntx; i++) {
		if (b->tx_failed[i])
			dp_worker_count_drop(w, b->tx_port[i], DP_DROP_TX);
		else
			sent++;
	}
	dp_ctr_add(&w->stats.tx_packets, sent);
	b->ntx = 0;
	if (err && err != w->last_err)
		log_warn("dp worker %d: send: %s", w->id, strerror(-err));
	w->last_err = err;
}

/* A reassembled IPv4 datagram too big for the port leaves as fragments again. */
static void dp_tx_frags(struct dp_worker *w, const struct dp_pkt *p, uint32_t mtu, int ifindex)
{
	struct frag_piece *pc = w->batch.frags;
	int n, i;

	dp_tx_flush(w); /* the pieces need the whole tx area */
	n = frag_ipv4_split(p, mtu, pc, FRAG_MAX_FRAGS);
	if (n < 0) {
		dp_worker_count_drop(w, p->port_idx, DP_DROP_TX);
		return;
	}
	for (i = 0; i < n; i++)
		dp_tx_add(w, p->port_idx, ifindex, pc[i].hdr, pc[i].hdr_len, pc[i].data,
			  pc[i].data_len);
	dp_tx_flush(w);
}

static void dp_frame(struct dp_worker *w, struct io_frame *f, uint64_t now)
{
	enum dp_drop_reason why = DP_DROP_DECODE;
	const struct dp_port *port;
	struct sess_result sr;
	struct iovec iov;
	struct dp_pkt p;
	uint32_t mtu;
	int ifindex;

	dp_ctr_add(&w->stats.rx_packets, 1);
	p.port_idx = 0;
	port = dp_decide(w, f, now, &p, &why, &sr);
	dp_capture_frame(w, &p, f->wire_len, !port, why);
	if (!port) {
		dp_worker_count_drop(w, p.port_idx, why);
		return;
	}
	mtu = port->info.mtu ? port->info.mtu : DP_DEFAULT_MTU;
	ifindex = dp_unmark(port, &p);
	if (frag_ipv4_needed(&p, mtu)) {
		dp_tx_frags(w, &p, mtu, ifindex);
		return;
	}
	if (p.dir == DP_DIR_EGRESS && ifindex > 0 && !dp_pair_pass(w, port, f, &p, sr.s, now))
		return;
	io_frame_iov(f, &iov);
	dp_tx_add(w, p.port_idx, ifindex, iov.iov_base, iov.iov_len, NULL, 0);
}

/* ---- per pass ---- */

static unsigned dp_pass(struct dp_worker *w, uint64_t now)
{
	struct dp_batch *b = &w->batch;
	unsigned i;

	b->n = 0;
	b->ntx = 0;
	rcu_read_lock();
	w->pol = rcu_dereference(w->dp->policy);
	threat_pass_begin(w->threat, rcu_dereference(w->dp->sigs));
	while (b->n < DP_BATCH && io_packet_next(&w->io, &b->frames[b->n])) {
		dp_frame(w, &b->frames[b->n], now);
		b->n++;
	}
	threat_pass_begin(w->threat, NULL); /* the set may go once the section ends */
	rcu_read_unlock();
	w->pol = NULL;
	dp_tx_flush(w);
	dp_pair_pass_end(w);
	for (i = 0; i < b->n; i++)
		io_packet_release(&b->frames[i]);
	return b->n;
}

/* Housekeeping between passes: bounded expiry, gauges, ring drop counter. */
static void dp_tick(struct dp_worker *w, uint64_t now)
{
	uint64_t drops;

	dp_verdict_tick(w);
	threat_tick(w->threat, now);
	sess_expire(w->sess, now, DP_EXPIRE_BUDGET);
	__atomic_store_n(&w->stats.sessions_active, sess_count(w->sess), __ATOMIC_RELAXED);
	if (now - w->last_stats_ms < DP_STATS_MS)
		return;
	w->last_stats_ms = now;
	if (!io_packet_drops(&w->io, &drops))
		dp_ctr_add(&w->stats.ring_drops, drops);
	dp_tap_stats(w);
}

static uint64_t dp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * After traffic the worker keeps polling the ring (no syscall) for
 * spin_ns (--spin-us) before it sleeps in poll(): a packet between two pulled ports
 * crosses the dp twice within microseconds, and a poll() wakeup costs tens
 * of microseconds each time.  An idle worker still sleeps.
 */
static void dp_loop(struct dp_worker *w)
{
	uint64_t now = dp_now_ms(), busy_ns = 0;
	int err;

	while (!__atomic_load_n(&w->dp->stop, __ATOMIC_ACQUIRE)) {
		if (dp_pass(w, now) + dp_tap_pass(w, now)) {
			busy_ns = dp_now_ns();
		} else if (dp_now_ns() - busy_ns < w->dp->cfg.spin_ns) {
			__builtin_ia32_pause();
			continue;
		} else {
			err = dp_tap_wait(w, DP_TICK_MS); /* the ring, and taps if any */
			if (err && err != w->last_err)
				log_warn("dp worker %d: poll: %s", w->id, strerror(-err));
			w->last_err = err;
		}
		now = dp_now_ms();
		dp_tick(w, now);
	}
}

/* ---- thread life ---- */

static int dp_worker_open(struct dp_worker *w)
{
	struct dp *dp = w->dp;
	struct io_packet_config ioc = {
		.ifindex = dp->cfg.dp_ifindex,
		.frames = dp->cfg.ring_frames,
		.fanout_id = dp->fanout_id,
		.fanout_new = w->id == 0,
	};
	struct netns_saved saved;
	int err;

	if (dp->cfg.enf_netns_fd >= 0) {
		err = netns_enter(dp->cfg.enf_netns_fd, &saved);
		if (err)
			return err;
		close(saved.fd); /* this thread stays in the enforcer netns for good */
	}
	err = io_packet_open(&w->io, &ioc);
	if (!err && w->id == 0)
		dp->fanout_id = w->io.fanout_id;
	return err;
}

static void *dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	char name[16];

	snprintf(name, sizeof(name), "bh-dp/%d", w->id);
	pthread_setname_np(pthread_self(), name);
	w->start_rc = dp_worker_open(w);
	sem_post(&w->dp->started);
	if (w->start_rc)
		return NULL;
	rcu_register_thread();
	dp_loop(w);
	rcu_unregister_thread();
	io_packet_close(&w->io);
	return NULL;
}

int dp_worker_init(struct dp_worker *w, struct dp *dp, int id)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->dp = dp;
	w->id = id;
	w->io.fd = -1;
	w->port_stats = calloc(BH_MAX_PORTS, sizeof(*w->port_stats));
	if (!w->port_stats)
		return -ENOMEM;
	err = sess_table_new(&w->sess, dp->cfg.sessions_per_worker);
	if (err)
		return err;
	sess_table_set_release(w->sess, dp_sess_released, w);
	err = dpi_new(&w->dpi, dp->cfg.dpi_pool);
	if (err)
		return err;
	err = threat_new(&w->threat, &dp->cfg.threat, &w->events);
	if (err)
		return err;
	err = reasm_new(&w->reasm, NULL);
	if (err)
		return err;
	err = dp_evring_init(&w->events);
	return err ? err : dp_capring_init(&w->capture);
}

void dp_worker_fini(struct dp_worker *w)
{
	sess_table_free(w->sess); /* releases every session, so before dpi_free */
	dpi_free(w->dpi);
	w->dpi = NULL;
	threat_free(w->threat);
	w->threat = NULL;
	reasm_free(w->reasm);
	w->reasm = NULL;
	dp_evring_fini(&w->events);
	dp_capring_fini(&w->capture);
	free(w->port_stats);
	w->sess = NULL;
	w->port_stats = NULL;
}

int dp_worker_start(struct dp_worker *w)
{
	sigset_t all, old;
	int err;

	/* workers take no signals: those belong to the daemon's main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&w->thread, NULL, dp_worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return err;
	while (sem_wait(&w->dp->started) && errno == EINTR)
		;
	w->running = true;
	if (w->start_rc) {
		dp_worker_join(w);
		return w->start_rc;
	}
	return 0;
}

void dp_worker_join(struct dp_worker *w)
{
	if (!w->running)
		return;
	pthread_join(w->thread, NULL);
	w->running = false;
}
