/*
 * dp-tap.c - the tap driver's half in the dp: a receive-only AF_PACKET socket on a
 * workload's own interface, opened inside its netns, read by one worker.
 *
 * A tapped port is not pulled: the container's traffic never waits for us.  The socket
 * sees each frame of the interface exactly once — what the workload sends as
 * PACKET_OUTGOING (so PACKET_IGNORE_OUTGOING stays off), what it receives as host,
 * broadcast or multicast — and the worker runs it through the same stages as an inline
 * frame (dp_worker_observe), so discover learns and monitor reports the same things.
 * Nothing is ever sent back: a tap cannot block.
 *
 * Ownership: the control thread opens and closes taps (dp->tap[idx]); each worker reads
 * an immutable set of taps published with RCU (w->taps), replaced whole on every change,
 * so a tap is closed only after a grace period in which no worker can still be in its
 * ring.  One worker per tap (idx modulo the worker count): a tap has no fanout, and one
 * session table then holds all of the port's sessions.
 */
#include "dp-tap.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <urcu.h>

#include "dp-worker.h"
#include "io-packet.h"
#include "log.h"
#include "netns.h"
#include "threat.h"

#define DP_TAP_POLL_MAX 64 /* taps a sleeping worker wakes for; more are still read per pass */

struct dp_tap {
	uint16_t idx;
	int worker;
	struct io_packet io;
};

struct dp_tapset {
	unsigned n;
	struct dp_tap *t[];
};

bool dp_tap_dir(uint8_t pkttype, uint8_t *dir)
{
	switch (pkttype) {
	case PACKET_OUTGOING:
		*dir = DP_DIR_EGRESS;
		return true;
	case PACKET_HOST:
	case PACKET_BROADCAST:
	case PACKET_MULTICAST:
		*dir = DP_DIR_INGRESS;
		return true;
	default:
		return false;
	}
}

/* ---- control thread ---- */

static bool tap_of_worker(const struct dp *dp, int idx, int wid)
{
	return dp->tap[idx] && dp->tap[idx]->worker == wid;
}

/* Worker wid's taps as they are in dp->tap[] now. */
static struct dp_tapset *tapset_build(const struct dp *dp, int wid)
{
	struct dp_tapset *set;
	unsigned n = 0;

	for (int i = 1; i < BH_MAX_PORTS; i++)
		n += tap_of_worker(dp, i, wid);
	set = calloc(1, sizeof(*set) + n * sizeof(set->t[0]));
	if (!set)
		return NULL;
	for (int i = 1; i < BH_MAX_PORTS; i++)
		if (tap_of_worker(dp, i, wid))
			set->t[set->n++] = dp->tap[i];
	return set;
}

/*
 * Swap in worker wid's new set (NULL: no taps at all) and wait out the readers of the
 * old one, so what left it may be closed on return.
 */
static void tapset_swap(struct dp *dp, int wid, struct dp_tapset *set)
{
	struct dp_tapset *old = rcu_xchg_pointer(&dp->workers[wid].taps, set);

	synchronize_rcu();
	free(old);
}

/* Open the socket in the workload's netns: a packet socket belongs to the netns it is made in. */
static int tap_open(struct dp_tap *t, int nsfd, const char *ifname, char *err, size_t errlen)
{
	struct io_packet_config cfg = {.frames = DP_TAP_FRAMES, .tap = true};
	struct netns_saved saved;
	int rc = netns_enter(nsfd, &saved);

	if (rc < 0) {
		snprintf(err, errlen, "enter the workload's netns: %s", strerror(-rc));
		return rc;
	}
	cfg.ifindex = (int)if_nametoindex(ifname);
	if (!cfg.ifindex) {
		rc = -errno;
		snprintf(err, errlen, "tap %s: %s", ifname, strerror(errno));
	} else if ((rc = io_packet_open(&t->io, &cfg)) < 0) {
		snprintf(err, errlen, "tap %s: packet socket: %s", ifname, strerror(-rc));
	}
	if (netns_leave(&saved) < 0)
		log_err("dp tap: could not return to our netns after opening %s", ifname);
	return rc;
}

int dp_tap_add(struct dp *dp, uint16_t idx, int nsfd, const char *ifname, char *err, size_t errlen)
{
	struct dp_tapset *set;
	struct dp_tap *t;
	int rc;

	if (idx == 0 || idx >= BH_MAX_PORTS || !ifname || nsfd < 0) {
		snprintf(err, errlen, "tap: bad port");
		return -EINVAL;
	}
	if (dp->tap[idx]) {
		snprintf(err, errlen, "port %u is tapped already", idx);
		return -EEXIST;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "tap: out of memory");
		return -ENOMEM;
	}
	t->idx = idx;
	t->worker = idx % dp->nworkers;
	t->io.fd = -1;
	rc = tap_open(t, nsfd, ifname, err, errlen);
	if (rc == 0) {
		dp->tap[idx] = t;
		set = tapset_build(dp, t->worker);
		if (set) {
			tapset_swap(dp, t->worker, set);
			return 0;
		}
		dp->tap[idx] = NULL;
		rc = -ENOMEM;
		snprintf(err, errlen, "tap: out of memory");
	}
	io_packet_close(&t->io);
	free(t);
	return rc;
}

void dp_tap_del(struct dp *dp, uint16_t idx)
{
	struct dp_tap *t = idx > 0 && idx < BH_MAX_PORTS ? dp->tap[idx] : NULL;

	if (!t)
		return;
	dp->tap[idx] = NULL;
	/* Without memory for the smaller set the worker reads no tap until the next change. */
	tapset_swap(dp, t->worker, tapset_build(dp, t->worker));
	io_packet_close(&t->io);
	free(t);
}

void dp_tap_close_all(struct dp *dp)
{
	for (int i = 1; i < BH_MAX_PORTS; i++) {
		if (!dp->tap[i])
			continue;
		io_packet_close(&dp->tap[i]->io);
		free(dp->tap[i]);
		dp->tap[i] = NULL;
	}
	for (int i = 0; dp->workers && i < dp->nworkers; i++) {
		free(dp->workers[i].taps);
		dp->workers[i].taps = NULL;
	}
}

/* ---- worker ---- */

unsigned dp_tap_pass(struct dp_worker *w, uint64_t now)
{
	const struct dp_tapset *set;
	struct io_frame f;
	unsigned n = 0;
	uint8_t dir;

	rcu_read_lock();
	set = rcu_dereference(w->taps);
	w->pol = set && set->n ? rcu_dereference(w->dp->policy) : NULL;
	threat_pass_begin(w->threat, set && set->n ? rcu_dereference(w->dp->sigs) : NULL);
	for (unsigned i = 0; set && i < set->n; i++) {
		struct dp_tap *t = set->t[i];

		/* A tap's frames are never sent, so each slot goes back at once. */
		for (unsigned k = 0; k < DP_BATCH && io_packet_next(&t->io, &f); k++, n++) {
			if (dp_tap_dir(f.pkttype, &dir))
				dp_worker_observe(w, &f, t->idx, dir, now);
			io_packet_release(&f);
		}
	}
	w->pol = NULL;
	threat_pass_begin(w->threat, NULL);
	rcu_read_unlock();
	return n;
}

/* A tap whose device left (container gone) reports ENETDOWN: read it, or poll spins. */
static void tap_clear_errors(struct dp_worker *w, const struct pollfd *pfd, unsigned n)
{
	const struct dp_tapset *set;
	socklen_t len;
	int e;

	rcu_read_lock();
	set = rcu_dereference(w->taps);
	for (unsigned i = 0; set && i < set->n; i++) {
		for (unsigned k = 1; k < n; k++) {
			if (pfd[k].fd != set->t[i]->io.fd || !(pfd[k].revents & POLLERR))
				continue;
			len = sizeof(e);
			getsockopt(pfd[k].fd, SOL_SOCKET, SO_ERROR, &e, &len);
		}
	}
	rcu_read_unlock();
}

int dp_tap_wait(struct dp_worker *w, int timeout_ms)
{
	struct pollfd pfd[DP_TAP_POLL_MAX + 1];
	const struct dp_tapset *set;
	unsigned n = 1;
	int e = 0;
	socklen_t len = sizeof(e);

	pfd[0] = (struct pollfd){.fd = w->io.fd, .events = POLLIN};
	rcu_read_lock();
	set = rcu_dereference(w->taps);
	for (unsigned i = 0; set && i < set->n && n <= DP_TAP_POLL_MAX; i++)
		pfd[n++] = (struct pollfd){.fd = set->t[i]->io.fd, .events = POLLIN};
	rcu_read_unlock();
	if (n == 1)
		return io_packet_wait(&w->io, timeout_ms);
	/* A tap closed meanwhile is still held by poll; its number reused only wakes us early. */
	if (poll(pfd, n, timeout_ms) < 0)
		return errno == EINTR ? 0 : -errno;
	tap_clear_errors(w, pfd, n);
	if (pfd[0].revents & POLLERR) {
		getsockopt(w->io.fd, SOL_SOCKET, SO_ERROR, &e, &len);
		return e ? -e : -EIO;
	}
	return 0;
}

void dp_tap_stats(struct dp_worker *w)
{
	const struct dp_tapset *set;
	uint64_t drops;

	rcu_read_lock();
	set = rcu_dereference(w->taps);
	for (unsigned i = 0; set && i < set->n; i++)
		if (!io_packet_drops(&set->t[i]->io, &drops))
			dp_ctr_add(&w->stats.ring_drops, drops);
	rcu_read_unlock();
}
