/*
 * metrics-text.c - what bulkheadd tells Prometheus, in text format 0.0.4.
 *
 * Runs on the control thread only: it reads the workload table, the model and
 * the dp's relaxed counters, the same sources `status` and `workload list`
 * use, so a scrape and the CLI never disagree.  Every family gets its HELP and
 * TYPE lines even when it has no sample yet, so dashboards see the name.
 *
 * The dp counts a port's packets by direction and its drops by reason, but
 * not drops by direction; so packets are exposed by direction (every packet
 * the port carried, slow and fast path) and drops by reason, rather than
 * inventing a per-direction split the counters do not hold.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "dp/dp.h"
#include "dp/fqdn-table.h"
#include "dp/reasm-tcp-t.h"
#include "ctl-sig.h"
#include "dp/threat.h"
#include "metrics.h"
#include "policy/policy.h"
#include "steer/steer.h"

/* A growing text buffer; the first failure sticks and the result is dropped. */
struct mbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void mb_printf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void mb_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *ns;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		ns = realloc(b->s, b->cap * 2 + (size_t)n);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

static void family(struct mbuf *b, const char *name, const char *type, const char *help)
{
	mb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family with one unlabelled sample. */
static void single(struct mbuf *b, const char *name, const char *type, const char *help,
		   unsigned long long v)
{
	family(b, name, type, help);
	mb_printf(b, "%s %llu\n", name, v);
}

/* Label values may hold '\', '"' and newlines only escaped (names are tame, addresses too). */
static const char *esc(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 3 < len; in++) {
		if (*in == '\\' || *in == '"') {
			out[o++] = '\\';
			out[o++] = *in;
		} else if (*in == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
	return out;
}

static const char *const drop_reasons[DP_DROP__MAX] = {
	"decode", "truncated", "no_port", "policy", "tx", "session_full", "threat",
};

/* One consistent read of a workload's counters per render. */
struct wl_counts {
	const struct workload *w;
	struct dp_port_stats st;
	uint64_t fp[2], fb[2]; /* eBPF fast path, by dp_dir */
};

static void wl_counts_read(struct bh_daemon *d, const struct workload *w, struct wl_counts *c)
{
	memset(c, 0, sizeof(*c));
	c->w = w;
	if (!wl_attached(w))
		return;
	dp_port_stats(d->dp, w->port_idx, &c->st);
	if (steer_fast_stats(d->steer, w->port_idx, c->fp, c->fb) < 0)
		memset(c->fp, 0, sizeof(c->fp) + sizeof(c->fb));
}

static const char *const dir_names[2] = {"out", "in"}; /* DP_DIR_EGRESS, DP_DIR_INGRESS */

/* One sample per workload and direction: name{workload,direction} value. */
static void by_dir(struct mbuf *b, const char *name, const struct wl_counts *c, size_t n,
		   uint64_t (*val)(const struct wl_counts *c, int dir))
{
	char e[2 * WL_NAME_MAX];

	for (size_t i = 0; i < n; i++)
		for (int dir = 0; dir < 2; dir++)
			mb_printf(b, "%s{workload=\"%s\",direction=\"%s\"} %llu\n", name,
				  esc(c[i].w->name, e, sizeof(e)), dir_names[dir],
				  (unsigned long long)val(&c[i], dir));
}

static uint64_t packets_of(const struct wl_counts *c, int dir)
{
	return c->st.packets[dir] + c->fp[dir];
}

static uint64_t fastpath_of(const struct wl_counts *c, int dir)
{
	return c->fp[dir];
}

static uint64_t bytes_of(const struct wl_counts *c, int dir)
{
	return c->st.bytes[dir] + c->fb[dir];
}

static void wl_traffic(struct mbuf *b, const struct wl_counts *c, size_t n)
{
	family(b, "bulkhead_packets_total", "counter",
	       "Packets a workload's port carried (dp and eBPF fast path, whatever the verdict), "
	       "by direction seen from the workload.");
	by_dir(b, "bulkhead_packets_total", c, n, packets_of);
	family(b, "bulkhead_fastpath_packets_total", "counter",
	       "Of bulkhead_packets_total, those the eBPF fast path forwarded without the dp.");
	by_dir(b, "bulkhead_fastpath_packets_total", c, n, fastpath_of);
	family(b, "bulkhead_bytes_total", "counter",
	       "Bytes a workload's port carried (dp and eBPF fast path), by direction.");
	by_dir(b, "bulkhead_bytes_total", c, n, bytes_of);
}

static void wl_drops_sessions(struct mbuf *b, const struct wl_counts *c, size_t n)
{
	char e[2 * WL_NAME_MAX];

	family(b, "bulkhead_packets_dropped_total", "counter",
	       "Of bulkhead_packets_total, those the dp dropped, by reason.");
	for (size_t i = 0; i < n; i++)
		for (int r = 0; r < DP_DROP__MAX; r++)
			mb_printf(b,
				  "bulkhead_packets_dropped_total{workload=\"%s\",reason=\"%s\"} %llu\n",
				  esc(c[i].w->name, e, sizeof(e)), drop_reasons[r],
				  (unsigned long long)c[i].st.drops[r]);
	family(b, "bulkhead_sessions_total", "counter",
	       "Sessions the dp created on a workload's port.");
	for (size_t i = 0; i < n; i++)
		mb_printf(b, "bulkhead_sessions_total{workload=\"%s\"} %llu\n",
			  esc(c[i].w->name, e, sizeof(e)), (unsigned long long)c[i].st.sessions);
}

/* TCP stream reassembly for inspection (docs/threats.md): memory now, caps and evasion hits. */
static void reasm_metrics(struct mbuf *b, struct bh_daemon *d)
{
	struct reasm_stats r = {0};

	if (d->dp)
		dp_reasm_stats(d->dp, &r);
	single(b, "bulkhead_reasm_queued_bytes", "gauge",
	       "Out-of-order TCP bytes the dp holds for inspection.",
	       r.queued_bytes);
	single(b, "bulkhead_reasm_chunks_in_use", "gauge",
	       "Reassembly chunks (256 bytes) in use, all workers.",
	       r.chunks_in_use);
	single(b, "bulkhead_reasm_sessions", "gauge",
	       "Sessions being reassembled now.",
	       r.flows_in_use);
	single(b, "bulkhead_reasm_cap_hits_total", "counter",
	       "Out-of-order TCP segments not queued: a session or worker cap was reached.",
	       r.cap_hits);
	single(b, "bulkhead_reasm_overlaps_total", "counter",
	       "TCP segments whose bytes differed from ones sent before at that sequence number.",
	       r.overlaps);
}

/* FQDN groups: the table of addresses workloads resolved (README "FQDN groups"). */
static void fqdn_metrics(struct mbuf *b, struct bh_daemon *d)
{
	struct fqdn_table_stats f;

	dp_fqdn_stats(d->dp, &f);
	single(b, "bulkhead_fqdn_entries", "gauge",
	       "Resolved (workload, address, name) entries FQDN groups hold now.",
	       f.entries);
	single(b, "bulkhead_fqdn_admitted_total", "counter",
	       "New resolved addresses admitted from DNS answers.",
	       f.admitted);
	single(b, "bulkhead_fqdn_full_total", "counter",
	       "Resolved addresses refused because the FQDN table was full.",
	       f.full);
}

static void global_dp(struct mbuf *b, struct bh_daemon *d)
{
	struct dp_global_stats g;

	memset(&g, 0, sizeof(g));
	if (d->dp)
		dp_global_stats(d->dp, &g);
	single(b, "bulkhead_sessions", "gauge",
	       "Sessions the dp tracks now.",
	       g.sessions_active);
	family(b, "bulkhead_drops_total", "counter", "Packets the dp dropped, by reason.");
	for (int r = 0; r < DP_DROP__MAX; r++)
		mb_printf(b, "bulkhead_drops_total{reason=\"%s\"} %llu\n", drop_reasons[r],
			  (unsigned long long)g.drops[r]);
	reasm_metrics(b, d);
	fqdn_metrics(b, d);
	single(b, "bulkhead_ring_drops_total", "counter",
	       "Packets the kernel dropped because a dp receive ring was full.",
	       g.ring_drops);
	single(b, "bulkhead_events_lost_total", "counter",
	       "dp events (sessions, violations, learning) lost because a queue was full.",
	       (d->dp ? dp_events_lost(d->dp) : 0));
}

static void policy_counts(struct mbuf *b, struct bh_daemon *d)
{
	size_t nrules = policy_rule_count(d->model), nlearned = 0;
	unsigned modes[BH_MODE__MAX] = {0}, unenforced = 0;

	for (size_t i = 0; i < nrules; i++)
		nlearned += policy_rule_at(d->model, i)->learned;
	for (struct workload *w = d->workloads; w; w = w->next) {
		if (w->mode >= 0 && w->mode < BH_MODE__MAX)
			modes[w->mode]++;
		unenforced += !w->pulled;
	}
	single(b, "bulkhead_violations_total", "counter",
	       "Sessions logged as policy violations (violations.jsonl lines).",
	       d->violations);
	single(b, "bulkhead_rules", "gauge",
	       "Rules in the policy, user and learned.",
	       nrules);
	single(b, "bulkhead_learned_rules", "gauge",
	       "Of bulkhead_rules, those learned in discover.",
	       nlearned);
	family(b, "bulkhead_workloads", "gauge", "Workloads, by mode.");
	for (int m = 0; m < BH_MODE__MAX; m++)
		mb_printf(b, "bulkhead_workloads{mode=\"%s\"} %u\n", bh_mode_name((enum bh_mode)m),
			  modes[m]);
	single(b, "bulkhead_workloads_unenforced", "gauge",
	       "Workloads whose port is not inline now (container gone, pull failed).",
	       unenforced);
	family(b, "bulkhead_threats_total", "counter",
	       "Threat hits (threats.jsonl counts), by threat id (docs/threats.md).");
	for (size_t i = 0; i < THREAT_CATALOG_SIZE; i++)
		mb_printf(b, "bulkhead_threats_total{id=\"%u\",name=\"%s\"} %llu\n",
			  threat_def_at(i)->id, threat_def_at(i)->name,
			  (unsigned long long)d->threats[i]);
}

/* User signatures: matches by name (threats.jsonl counts), and the dp's inspection. */
static void sig_counts(struct mbuf *b, struct bh_daemon *d)
{
	struct sig_stats st = {0};

	family(b, "bulkhead_signature_matches_total", "counter",
	       "User signature matches (threats.jsonl counts), by signature.");
	for (size_t i = 0; d->sigs && i < d->sigs->n; i++)
		mb_printf(b, "bulkhead_signature_matches_total{id=\"%d\",signature=\"%s\"} %llu\n",
			  SIG_THREAT_BASE + d->sigs->e[i].id, d->sigs->e[i].name,
			  (unsigned long long)d->sigs->e[i].hits);
	if (d->dp)
		dp_sig_stats(d->dp, &st);
	single(b, "bulkhead_signature_sessions_total", "counter",
	       "Sessions whose payload was matched against signatures.",
	       st.sessions);
	single(b, "bulkhead_signature_bytes_total", "counter",
	       "Payload bytes matched.",
	       st.bytes);
	single(b, "bulkhead_signature_pool_full_total", "counter",
	       "Sessions not inspected: no free session or stream slot (--threat-limit "
	       "sig-sessions).",
	       st.pool_full);
	single(b, "bulkhead_signature_errors_total", "counter",
	       "Hyperscan errors; the session was no longer inspected.",
	       st.errors);
}

/* Workloads with their counters read once, so the families of one scrape agree. */
static struct wl_counts *wl_counts_all(struct bh_daemon *d, size_t *n)
{
	struct wl_counts *c;
	size_t i = 0;

	*n = 0;
	for (struct workload *w = d->workloads; w; w = w->next)
		(*n)++;
	c = calloc(*n + 1, sizeof(*c));
	if (!c)
		return NULL;
	for (struct workload *w = d->workloads; w; w = w->next)
		wl_counts_read(d, w, &c[i++]);
	return c;
}

char *metrics_render(struct bh_daemon *d, size_t *len)
{
	struct mbuf b = {.cap = 16384};
	struct wl_counts *c;
	size_t n;

	c = wl_counts_all(d, &n);
	b.s = malloc(b.cap);
	if (!c || !b.s) {
		free(c);
		free(b.s);
		return NULL;
	}
	wl_traffic(&b, c, n);
	wl_drops_sessions(&b, c, n);
	global_dp(&b, d);
	policy_counts(&b, d);
	sig_counts(&b, d);
	free(c);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	*len = b.len;
	return b.s;
}
