/*
 * dp.c - the dp instance as the control plane sees it: life cycle, port
 * publication, counters.
 *
 * Ports are published with RCU (liburcu, default flavour): each index holds a
 * pointer to an immutable struct dp_port that is replaced whole, so workers
 * read it without locks and the control plane never waits on a worker for
 * more than one pass.  Counters are per worker and single-writer; readers sum
 * them with relaxed loads.
 */
#include "dp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <urcu.h>

#include "dp-tap.h"
#include "dp-fqdn.h"
#include "dp-worker.h"
#include "dpi.h"
#include "reasm-tcp.h"
#include "policy/policy.h"
#include "log.h"

static int dp_resolve_workers(int n)
{
	long cpus;

	if (n > 0)
		return n > DP_MAX_WORKERS ? DP_MAX_WORKERS : n;
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		return 1;
	return cpus > DP_MAX_WORKERS ? DP_MAX_WORKERS : (int)cpus;
}

int dp_new(struct dp **out, const struct dp_config *cfg)
{
	struct dp *dp;
	int i, err;

	if (!cfg || cfg->dp_ifindex <= 0 || cfg->workers < 0)
		return -EINVAL;
	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->cfg = *cfg;
	dp->nworkers = dp_resolve_workers(cfg->workers);
	pthread_mutex_init(&dp->port_lock, NULL);
	sem_init(&dp->started, 0, 0);
	dp->workers = calloc((size_t)dp->nworkers, sizeof(*dp->workers));
	if (!dp->workers || dp_fqdn_init(dp)) {
		dp_free(dp);
		return -ENOMEM;
	}
	for (i = 0; i < dp->nworkers; i++) {
		err = dp_worker_init(&dp->workers[i], dp, i);
		if (err) {
			dp_free(dp);
			return err;
		}
	}
	*out = dp;
	return 0;
}

/* Workers start one by one: the first creates the fanout group the others join. */
int dp_start(struct dp *dp)
{
	int i, err;

	if (dp->running)
		return -EALREADY;
	__atomic_store_n(&dp->stop, 0, __ATOMIC_RELEASE);
	for (i = 0; i < dp->nworkers; i++) {
		err = dp_worker_start(&dp->workers[i]);
		if (err) {
			log_err("dp: worker %d: %s", i, strerror(-err));
			dp->running = true;
			dp_stop(dp);
			return err;
		}
	}
	dp->running = true;
	log_info("dp: %d workers on ifindex %d, fanout group %u", dp->nworkers,
		 dp->cfg.dp_ifindex, dp->fanout_id);
	return 0;
}

void dp_stop(struct dp *dp)
{
	int i;

	if (!dp || !dp->running)
		return;
	__atomic_store_n(&dp->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < dp->nworkers; i++)
		dp_worker_join(&dp->workers[i]);
	dp->running = false;
}

void dp_free(struct dp *dp)
{
	int i;

	if (!dp)
		return;
	dp_stop(dp);
	dp_tap_close_all(dp); /* no worker reads them any more */
	for (i = 0; dp->workers && i < dp->nworkers; i++)
		dp_worker_fini(&dp->workers[i]);
	for (i = 0; i < BH_MAX_PORTS; i++)
		free(dp->ports[i]); /* no reader left */
	free(dp->macs);
	policy_free(dp->policy);
	dp_sig_free(dp);
	dp_fqdn_fini(dp);
	free(dp->workers);
	sem_destroy(&dp->started);
	pthread_mutex_destroy(&dp->port_lock);
	free(dp);
}

/* ---- policy and events ---- */

void dp_policy_set(struct dp *dp, struct policy *p)
{
	struct policy *old = rcu_xchg_pointer(&dp->policy, p);

	/* Workers compare this sequence between passes and re-check their sessions. */
	__atomic_add_fetch(&dp->policy_seq, 1, __ATOMIC_RELEASE);
	if (old) {
		synchronize_rcu();
		policy_free(old);
	}
}

int dp_events_drain(struct dp *dp, dp_event_fn cb, void *ctx)
{
	int n = 0;

	for (int i = 0; dp->workers && i < dp->nworkers; i++)
		n += dp_evring_drain(&dp->workers[i].events, cb, ctx);
	return n;
}

uint64_t dp_events_lost(struct dp *dp)
{
	uint64_t lost = 0;

	for (int i = 0; dp->workers && i < dp->nworkers; i++)
		lost += __atomic_load_n(&dp->workers[i].events.lost, __ATOMIC_RELAXED);
	return lost;
}

int dp_worker_count(const struct dp *dp)
{
	return dp->nworkers;
}

/* ---- ports ---- */

static bool dp_idx_valid(unsigned idx)
{
	return idx > 0 && idx < BH_MAX_PORTS;
}

static uint32_t dp_mac_hash(const uint8_t *mac)
{
	uint32_t h = ((uint32_t)mac[2] << 24 | (uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 |
		      mac[5]) ^ ((uint32_t)mac[0] << 8 | mac[1]);

	return (h * 0x9e3779b1u) & (DP_MAC_SLOTS - 1);
}

/* Under port_lock: the inline ports as they are now (NULL when out of memory). */
static struct dp_mac_index *dp_mac_index_build(const struct dp *dp)
{
	struct dp_mac_index *mi = calloc(1, sizeof(*mi));

	for (unsigned i = 1; mi && i < BH_MAX_PORTS; i++) {
		const struct dp_port *p = dp->ports[i];
		uint32_t h;

		if (!p || !dp_port_inline(&p->info))
			continue;
		for (h = dp_mac_hash(p->info.mac); mi->slot[h].idx; h = (h + 1) & (DP_MAC_SLOTS - 1))
			;
		memcpy(mi->slot[h].mac, p->info.mac, 6);
		mi->slot[h].idx = (uint16_t)i;
	}
	return mi;
}

uint16_t dp_port_by_mac(struct dp *dp, const uint8_t *mac)
{
	const struct dp_mac_index *mi = rcu_dereference(dp->macs);

	if (!mi)
		return 0;
	for (uint32_t h = dp_mac_hash(mac); mi->slot[h].idx; h = (h + 1) & (DP_MAC_SLOTS - 1))
		if (!memcmp(mi->slot[h].mac, mac, 6))
			return mi->slot[h].idx;
	return 0;
}

/*
 * Swap in a new description (or NULL) and free the old one after a grace period.  A
 * failed index rebuild publishes none: one-pass judging stops, nothing goes wrong.
 */
static void dp_port_swap(struct dp *dp, uint16_t idx, struct dp_port *np)
{
	struct dp_mac_index *old_macs;
	struct dp_port *old;

	old = rcu_xchg_pointer(&dp->ports[idx], np);
	old_macs = rcu_xchg_pointer(&dp->macs, dp_mac_index_build(dp));
	pthread_mutex_unlock(&dp->port_lock);
	if (old || old_macs) {
		synchronize_rcu();
		free(old);
		free(old_macs);
	}
}

/*
 * The generation only changes when idx starts naming another workload, so a
 * mode change keeps the port's sessions and an index reuse drops them.
 */
int dp_port_set(struct dp *dp, const struct dp_port_info *info)
{
	struct dp_port *np;

	if (!info || !dp_idx_valid(info->idx))
		return -EINVAL;
	np = calloc(1, sizeof(*np));
	if (!np)
		return -ENOMEM;
	np->info = *info;
	pthread_mutex_lock(&dp->port_lock);
	if (!dp->last_gen[info->idx] || dp->last_wl[info->idx] != info->wl_id) {
		if (++dp->next_gen == 0) /* 0 means "never published" */
			dp->next_gen = 1;
		dp->last_gen[info->idx] = dp->next_gen;
		dp->last_wl[info->idx] = info->wl_id;
	}
	np->gen = dp->last_gen[info->idx];
	dp_port_swap(dp, info->idx, np); /* unlocks */
	return 0;
}

void dp_port_clear(struct dp *dp, uint16_t idx)
{
	if (!dp_idx_valid(idx))
		return;
	pthread_mutex_lock(&dp->port_lock);
	dp_port_swap(dp, idx, NULL); /* unlocks */
}

/* ---- counters ---- */

static void sum_port(struct dp_port_stats *out, const struct dp_port_stats *in)
{
	int i;

	for (i = 0; i < 2; i++) {
		out->packets[i] += dp_ctr_read(&in->packets[i]);
		out->bytes[i] += dp_ctr_read(&in->bytes[i]);
	}
	out->sessions += dp_ctr_read(&in->sessions);
	out->sessions_active += dp_ctr_read(&in->sessions_active);
	for (i = 0; i < DP_DROP__MAX; i++)
		out->drops[i] += dp_ctr_read(&in->drops[i]);
}

void dp_port_stats(struct dp *dp, uint16_t idx, struct dp_port_stats *out)
{
	int w;

	memset(out, 0, sizeof(*out));
	if (!dp_idx_valid(idx))
		return;
	for (w = 0; w < dp->nworkers; w++)
		sum_port(out, &dp->workers[w].port_stats[idx]);
}

void dp_global_stats(struct dp *dp, struct dp_global_stats *out)
{
	const struct dp_global_stats *in;
	int w, i;

	memset(out, 0, sizeof(*out));
	for (w = 0; w < dp->nworkers; w++) {
		in = &dp->workers[w].stats;
		out->rx_packets += dp_ctr_read(&in->rx_packets);
		out->tx_packets += dp_ctr_read(&in->tx_packets);
		out->ring_drops += dp_ctr_read(&in->ring_drops);
		out->sessions_active += dp_ctr_read(&in->sessions_active);
		for (i = 0; i < DP_DROP__MAX; i++)
			out->drops[i] += dp_ctr_read(&in->drops[i]);
	}
}

void dp_dpi_stats(struct dp *dp, struct dpi_stats *out)
{
	struct dpi_stats one;

	memset(out, 0, sizeof(*out));
	for (int w = 0; w < dp->nworkers; w++) {
		if (!dp->workers[w].dpi)
			continue;
		dpi_get_stats(dp->workers[w].dpi, &one);
		out->inspected += one.inspected;
		out->identified += one.identified;
		out->gave_up += one.gave_up;
		out->pool_full += one.pool_full;
		out->packets += one.packets;
		out->in_use += one.in_use;
	}
}

void dp_reasm_stats(struct dp *dp, struct reasm_stats *out)
{
	struct reasm_stats one;

	memset(out, 0, sizeof(*out));
	for (int w = 0; w < dp->nworkers; w++) {
		if (!dp->workers[w].reasm)
			continue;
		reasm_get_stats(dp->workers[w].reasm, &one);
		out->sessions += one.sessions;
		out->no_flow += one.no_flow;
		out->ooo_segments += one.ooo_segments;
		out->delivered += one.delivered;
		out->overlaps += one.overlaps;
		out->cap_hits += one.cap_hits;
		out->out_of_window += one.out_of_window;
		out->gave_up += one.gave_up;
		out->flows_in_use += one.flows_in_use;
		out->chunks_in_use += one.chunks_in_use;
		out->queued_bytes += one.queued_bytes;
	}
}
