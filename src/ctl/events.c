/*
 * events.c - the control thread's side of the dp's events.
 *
 * Workers never wait for the control plane: they queue what they decided and
 * go on.  Each wake of the main loop drains that queue here and turns it into
 * what operators see and what discover mode builds: learned rules (saved and
 * published once per drain, however many sessions asked), violations.jsonl
 * lines, and the conversation table that connections.jsonl records every
 * EVENTS_CONV_FLUSH_MS.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "conv.h"
#include "daemon.h"
#include "dp/dp.h"
#include "ctl-sig.h"
#include "dp/threat.h"
#include "events.h"
#include "log-limit.h"
#include "log.h"
#include "policy/policy.h"

#define ADDR_STRLEN 46
/* Distinct learn requests remembered per drain; more only cost a lookup each. */
#define LEARN_SEEN_MAX 64

struct drain {
	struct bh_daemon *d;
	bool created;
	size_t nseen;
	struct policy_learn_req seen[LEARN_SEEN_MAX];
};

/* Both ends of an event, named. */
struct ev_ends {
	char from[CONV_NAME_MAX], to[CONV_NAME_MAX];
	char from_ip[ADDR_STRLEN], to_ip[ADDR_STRLEN];
	const char *self;    /* the workload at the reporting end */
	bool client_is_wl;   /* the client end is an enforced workload, which reports too */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The workload that owns this address, or NULL for an external peer. */
static const struct policy_workload *addr_owner(struct bh_daemon *d, uint8_t family,
						const uint8_t addr[16])
{
	size_t alen = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < policy_workload_count(d->model); i++) {
		const struct policy_workload *w = policy_workload_at(d->model, i);

		for (size_t j = 0; j < w->n_addrs; j++)
			if (w->addrs[j].family == family && !memcmp(w->addrs[j].a, addr, alen))
				return w;
	}
	return NULL;
}

static void name_end(struct bh_daemon *d, const struct dp_event *ev, bool self,
		     const uint8_t addr[16], char *name, const char *ip)
{
	const struct policy_workload *w = self ? policy_workload_find(d->model, ev->wl_id)
					       : addr_owner(d, ev->family, addr);

	snprintf(name, CONV_NAME_MAX, "%s", w ? w->name : ip);
}

static void ends_resolve(struct bh_daemon *d, const struct dp_event *ev, struct ev_ends *e)
{
	bool egress = ev->end == POLICY_EGRESS;
	const struct policy_workload *cw;
	const struct workload *cwl;

	ev_addr_format(ev->family, ev->client, e->from_ip, sizeof(e->from_ip));
	ev_addr_format(ev->family, ev->server, e->to_ip, sizeof(e->to_ip));
	name_end(d, ev, egress, ev->client, e->from, e->from_ip);
	name_end(d, ev, !egress, ev->server, e->to, e->to_ip);
	e->self = egress ? e->from : e->to;
	cw = egress ? NULL : addr_owner(d, ev->family, ev->client);
	cwl = cw ? wl_find(d, cw->name) : NULL;
	e->client_is_wl = cwl && wl_attached(cwl);
}

static void on_learn(struct drain *dr, const struct dp_event *ev)
{
	const struct policy_learn_req *rq = &ev->learn_req;
	char err[256] = "", port[32];
	uint32_t id = 0;
	bool created;

	for (size_t i = 0; i < dr->nseen; i++) {
		const struct policy_learn_req *s = &dr->seen[i];

		if (s->proto == rq->proto && s->port == rq->port && s->app == rq->app &&
		    !strcmp(s->from, rq->from) && !strcmp(s->to, rq->to))
			return;
	}
	if (dr->nseen < LEARN_SEEN_MAX)
		dr->seen[dr->nseen++] = *rq;
	if (policy_learn(dr->d->model, rq, ev->time_ms / 1000, &id, &created, err, sizeof(err)) < 0) {
		log_warn("learn %s -> %s: %s", rq->from, rq->to, err);
		return;
	}
	if (created) {
		dr->created = true;
		conv_port_format(rq->proto, rq->port, port, sizeof(port));
		log_info("learned rule %u: %s -> %s %s%s%s allow", id, rq->from, rq->to, port,
			 rq->app >= BH_APP_FIRST_NAMED ? " app " : "",
			 rq->app >= BH_APP_FIRST_NAMED ? policy_app_name(rq->app) : "");
	}
}

static void write_violation(void *arg, json_t *j)
{
	struct bh_daemon *d = arg;
	int rc = jsonl_append(&d->logs[BH_LOGF_VIOLATIONS], j);

	if (rc < 0)
		log_err("violations.jsonl: %s", strerror(-rc));
}

/* At most EVENTS_VIOL_PER_SEC lines a second per (from, to, port); see log-limit.c. */
static void log_violation(struct bh_daemon *d, const struct dp_event *ev, const struct ev_ends *e)
{
	struct ev_names n = {e->from, e->to, e->from_ip, e->to_ip, e->self};
	json_t *j = ev_violation_json(ev, &n);
	char key[2 * CONV_NAME_MAX + 16];

	d->violations++;
	if (!j) {
		log_err("violations.jsonl: %s", strerror(ENOMEM));
		return;
	}
	if (!d->viol_limit && log_limit_new(&d->viol_limit, EVENTS_VIOL_PER_SEC) < 0)
		d->viol_limit = NULL; /* out of memory: log every line rather than none */
	snprintf(key, sizeof(key), "%s|%s|%u/%u", e->from, e->to, ev->proto, ev_port(ev));
	if (!d->viol_limit ||
	    log_limit_admit(d->viol_limit, key, now_ms(), j, write_violation, d))
		write_violation(d, j);
	json_decref(j);
}

static void log_threat(struct bh_daemon *d, const struct dp_event *ev, const struct ev_ends *e)
{
	struct ev_names n = {e->from, e->to, e->from_ip, e->to_ip, e->self};
	int i = threat_index(ev->threat.id);
	json_t *j = ev_threat_json(ev, &n);
	int rc = j ? jsonl_append(&d->logs[BH_LOGF_THREATS], j) : -ENOMEM;

	if (i >= 0)
		d->threats[i] += ev->threat.count;
	else if (ev->threat.id > SIG_THREAT_BASE)
		sig_hit(d, (uint16_t)(ev->threat.id - SIG_THREAT_BASE), ev->threat.count);
	if (rc < 0)
		log_err("threats.jsonl: %s", strerror(-rc));
	json_decref(j);
}

static struct conv *conv_of(struct bh_daemon *d, const struct dp_event *ev,
			    const struct ev_ends *e)
{
	struct conv_key k = {.proto = ev->proto, .port = ev_port(ev)};

	snprintf(k.from, sizeof(k.from), "%s", e->from);
	snprintf(k.to, sizeof(k.to), "%s", e->to);
	return conv_get(d->convs, &k, ev->time_ms);
}

/* What a session's verdict (at its start, or once its app is known) asks of the daemon. */
static void on_verdict(struct drain *dr, const struct dp_event *ev, const struct ev_ends *e)
{
	if (ev->learn)
		on_learn(dr, ev);
	if (ev->violation)
		log_violation(dr->d, ev, e);
	if (ev->rule_id)
		policy_rule_touch(dr->d->model, ev->rule_id, ev->time_ms / 1000);
}

static void on_event(void *ctx, const struct dp_event *ev)
{
	struct drain *dr = ctx;
	struct bh_daemon *d = dr->d;
	struct ev_ends e;
	struct conv *c;
	/* A session between two enforced workloads is reported by both: count it at the client. */
	bool counted;

	ends_resolve(d, ev, &e);
	if (ev->type == DP_EV_THREAT) { /* not a session: no conversation */
		log_threat(d, ev, &e);
		return;
	}
	counted = ev->end == POLICY_EGRESS || !e.client_is_wl;
	c = conv_of(d, ev, &e);
	if (c)
		conv_app(c, ev->app);
	switch (ev->type) {
	case DP_EV_SESSION:
		on_verdict(dr, ev, &e);
		if (c)
			conv_session(c, counted, ev->rule_id, ev->action, ev->time_ms);
		break;
	case DP_EV_RESET:
		log_violation(d, ev, &e);
		if (c)
			conv_session(c, false, ev->rule_id, POLICY_BLOCK, ev->time_ms);
		break;
	case DP_EV_APP: /* still allowed; may change the rule, log a violation, learn */
		on_verdict(dr, ev, &e);
		if (c && counted) {
			c->last_rule = ev->rule_id;
			c->dirty = true;
		}
		break;
	case DP_EV_THREAT:
		break;
	case DP_EV_END:
		if (ev->learn) /* discover waited for an app that never came */
			on_learn(dr, ev);
		if (c && counted)
			conv_end(c, ev->packets, ev->bytes, ev->time_ms);
		break;
	}
}

static void flush_one(void *ctx, const struct conv *c)
{
	struct bh_daemon *d = ctx;
	json_t *j = conv_to_json(c);
	int rc = j ? jsonl_append(&d->logs[BH_LOGF_CONNECTIONS], j) : -ENOMEM;

	if (rc < 0)
		log_err("connections.jsonl: %s", strerror(-rc));
	json_decref(j);
}

void events_flush(struct bh_daemon *d)
{
	if (d->convs)
		conv_flush(d->convs, flush_one, d);
	d->conv_flushed_ms = now_ms();
}

static void report_lost(struct bh_daemon *d)
{
	uint64_t lost = dp_events_lost(d->dp);

	if (lost > d->events_lost) {
		log_warn("dp: %llu events lost (queue full); logs and learning miss them",
			 (unsigned long long)(lost - d->events_lost));
		d->events_lost = lost;
	}
}

void events_poll(struct bh_daemon *d)
{
	struct drain dr = {.d = d};

	if (!d->dp || !d->model)
		return;
	dp_events_drain(d->dp, on_event, &dr);
	if (d->viol_limit)
		log_limit_flush(d->viol_limit, now_ms(), false, write_violation, d);
	/* One save and one publish for all the rules this drain learned. */
	if (dr.created)
		policy_commit(d);
	report_lost(d);
	if (now_ms() - d->conv_flushed_ms >= EVENTS_CONV_FLUSH_MS)
		events_flush(d);
}

void events_fini(struct bh_daemon *d)
{
	if (!d->viol_limit)
		return;
	log_limit_flush(d->viol_limit, now_ms(), true, write_violation, d);
	log_limit_free(d->viol_limit);
	d->viol_limit = NULL;
}
