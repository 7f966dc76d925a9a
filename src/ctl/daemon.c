/*
 * daemon.c - bulkheadd's life cycle: bring up the enforcer netns, the dp
 * port, steering and the dp; serve the control socket; and on the way out
 * give every workload its port back before anything else is torn down.
 */
#include "daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <urcu.h>

#include "cluster.h"
#include "cmd.h"
#include "conv.h"
#include "ctl-sig.h"
#include "ctl-socket.h"
#include "docker-watch.h"
#include "dp/dp.h"
#include "events.h"
#include "log.h"
#include "metrics.h"
#include "netns.h"
#include "policy/policy.h"
#include "proxymesh.h"
#include "state.h"
#include "steer/steer.h"
#include "wire/wire.h"

#define DP_DEV "bh-dp"
#define DPP_DEV "bh-dpp"
/* How often the main loop wakes to drain dp events even when no request comes. */
#define POLL_MS 100

static int init_enforcer(struct bh_daemon *d, char *err, size_t errlen)
{
	int rc;

	d->enf_fd = netns_ensure_named(d->cfg.enf_netns);
	if (d->enf_fd < 0) {
		snprintf(err, errlen, "enforcer netns %s: %s", d->cfg.enf_netns,
			 strerror(-d->enf_fd));
		return d->enf_fd;
	}
	rc = wire_enforcer_setup(d->enf_fd);
	if (rc < 0) {
		snprintf(err, errlen, "enforcer netns %s setup: %s", d->cfg.enf_netns,
			 strerror(-rc));
		return rc;
	}
	return wire_dp_create(d->enf_fd, DP_DEV, DPP_DEV, &d->dp_ifindex, &d->dpp_ifindex, err,
			      errlen);
}

static int init_datapath(struct bh_daemon *d, char *err, size_t errlen)
{
	struct steer_config sc = {
		/* tap is no steering driver: tap workloads are steered when they block */
		.driver = d->tap_default ? "auto" : d->cfg.driver,
		.enf_netns_fd = d->enf_fd,
		.enf_netns_name = d->cfg.enf_netns,
		.dp_ifindex = d->dp_ifindex,
		.dpp_ifindex = d->dpp_ifindex,
		.dp_name = DP_DEV,
		.dpp_name = DPP_DEV,
		.fail_open = strcmp(d->cfg.fail_mode, "open") == 0,
	};
	struct dp_config dc = {
		.enf_netns_fd = d->enf_fd,
		.dp_ifindex = d->dp_ifindex,
		.workers = d->cfg.workers,
		.sessions_per_worker = d->cfg.sessions_per_worker,
		.flow_map_fd = -1,
		.pair_map_fd = -1,
		.threat = d->cfg.threat,
		.fqdn_grace_ms = d->cfg.fqdn_grace_ms,
		.spin_ns = (uint64_t)d->cfg.spin_us * 1000,
	};
	int rc;

	rc = steer_open(&d->steer, &sc, err, errlen);
	if (rc < 0)
		return rc;
	log_info("steering: %s (%s)", steer_name(d->steer), steer_why(d->steer));
	if (d->cfg.fast_path) {
		dc.flow_map_fd = steer_flow_map_fd(d->steer);
		if (dc.flow_map_fd < 0)
			log_warn("fast path: not available with the %s driver; every packet via the dp",
				 steer_name(d->steer));
	}
	if (d->cfg.one_pass)
		dc.pair_map_fd = steer_flow_map_fd(d->steer);
	rc = dp_new(&d->dp, &dc);
	if (rc == 0)
		rc = dp_start(d->dp);
	if (rc < 0)
		snprintf(err, errlen, "dp start: %s", strerror(-rc));
	return rc;
}

static int init_policy(struct bh_daemon *d, char *err, size_t errlen)
{
	int rc = policy_state_load(d, err, errlen);

	if (rc == 0)
		rc = sig_state_load(d, err, errlen);
	if (rc < 0)
		return rc;
	rc = conv_table_new(&d->convs, 0);
	if (rc < 0) {
		snprintf(err, errlen, "conversation table: %s", strerror(-rc));
		return rc;
	}
	jsonl_init(&d->logs[BH_LOGF_CONNECTIONS], d->cfg.state_dir, "connections.jsonl", 0);
	jsonl_init(&d->logs[BH_LOGF_VIOLATIONS], d->cfg.state_dir, "violations.jsonl", 0);
	jsonl_init(&d->logs[BH_LOGF_THREATS], d->cfg.state_dir, "threats.jsonl", 0);
	return 0;
}

int daemon_init(struct bh_daemon *d, const struct bh_config *cfg, char *err, size_t errlen)
{
	int rc;

	memset(d, 0, sizeof(*d));
	/* explain and the FQDN table's expiry read the dp's RCU table from this thread */
	rcu_register_thread();
	d->cfg = *cfg;
	d->tap_default = cfg->driver && strcmp(cfg->driver, "tap") == 0;
	d->enf_fd = -1;
	for (int i = 0; i < BH_LOGF__MAX; i++)
		d->logs[i].fd = -1;
	d->started_at = (long long)time(NULL);
	rc = state_dir_ensure(cfg->state_dir);
	if (rc < 0) {
		snprintf(err, errlen, "state dir %s: %s", cfg->state_dir, strerror(-rc));
		return rc;
	}
	/* Policy first: a bad policy.json must stop us before any port is touched. */
	rc = init_policy(d, err, errlen);
	if (rc < 0)
		return rc;
	/* Before the enforcer netns exists: the endpoint must listen on the host. */
	if (cfg->metrics && (rc = metrics_open(&d->metrics, cfg->metrics, err, errlen)) < 0)
		return rc;
	rc = ctl_server_open(&d->ctl, cfg->socket_path, err, errlen);
	if (rc < 0)
		return rc;
	rc = init_enforcer(d, err, errlen);
	if (rc == 0)
		rc = init_datapath(d, err, errlen);
	if (rc == 0)
		rc = policy_publish(d);
	if (rc == 0 && (rc = proxymesh_new(&d->mesh)) < 0)
		snprintf(err, errlen, "proxymesh: %s", strerror(-rc));
	if (rc == 0 && (rc = docker_watch_new(&d->docker, d)) < 0)
		snprintf(err, errlen, "docker watcher: %s", strerror(-rc));
	if (rc == 0)
		rc = wl_load(d, err, errlen);
	if (rc == 0)
		rc = cluster_new(&d->cluster, d, err, errlen);
	return rc;
}

static int signal_fd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static json_t *handle_cb(void *ctx, json_t *req)
{
	return daemon_handle(ctx, req);
}

/*
 * The control socket's poll takes one extra fd: an epoll of signals, the docker
 * watcher and the cluster's etcd client.
 */
static int wake_fd(int sfd, int docker_fd, int cluster_fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = sfd};
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || (docker_fd < 0 && cluster_fd < 0) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) < 0) {
		if (ep >= 0)
			close(ep);
		return sfd;
	}
	ev.data.fd = docker_fd;
	if (docker_fd >= 0)
		epoll_ctl(ep, EPOLL_CTL_ADD, docker_fd, &ev);
	ev.data.fd = cluster_fd;
	if (cluster_fd >= 0)
		epoll_ctl(ep, EPOLL_CTL_ADD, cluster_fd, &ev);
	return ep;
}

int daemon_run(struct bh_daemon *d)
{
	int sfd = signal_fd(), wfd;

	if (sfd < 0)
		return -errno;
	wfd = wake_fd(sfd, docker_watch_fd(d->docker), cluster_fd(d->cluster));
	while (!d->stop) {
		/* sfd is non-blocking: when the watcher woke us, this read just finds nothing. */
		if (ctl_server_poll(d->ctl, POLL_MS, wfd, handle_cb, d) == 1) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGHUP) {
				log_info("signal %u: stopping", si.ssi_signo);
				d->stop = 1;
			}
		}
		/* --fail open: the steering programs bypass the dp once this stops for a second */
		steer_heartbeat(d->steer);
		capture_tick(d);
		events_poll(d);
		docker_watch_poll(d->docker);
		cluster_poll(d->cluster);
		proxymesh_tick(d);
		metrics_tick(d->metrics, d);
		dp_fqdn_gc(d->dp); /* expired FQDN group addresses, once a second */
	}
	if (wfd != sfd)
		close(wfd);
	close(sfd);
	return 0;
}

void daemon_shutdown(struct bh_daemon *d)
{
	bool all_restored = true;
	char err[256];

	/* No container event may touch the table while it is being put back. */
	docker_watch_free(d->docker);
	d->docker = NULL;
	/* Our workload keys go with our lease; other nodes drop them when it expires. */
	cluster_free(d->cluster);
	d->cluster = NULL;
	for (struct workload *w = d->workloads; w; w = w->next) {
		if (wl_attached(w) && wl_remove(d, w->name, false, err, sizeof(err)) < 0) {
			log_err("workload %s: %s", w->name, err);
			all_restored = false;
		}
	}
	if (d->workloads)
		wl_save(d);
	/* Sidecar workloads were never pulled: their chains and verdict threads go here. */
	proxymesh_free(d);
	if (d->dp) {
		dp_stop(d->dp);
		events_poll(d);
		events_flush(d);
		dp_free(d->dp);
	}
	events_fini(d); /* before the logs close: what the rate limit held back is written */
	if (d->steer)
		steer_close(d->steer);
	if (d->enf_fd >= 0) {
		wire_dp_destroy(d->enf_fd, DP_DEV);
		close(d->enf_fd);
		/* A port we could not restore still lives there: keep it for the next start. */
		if (all_restored)
			netns_remove_named(d->cfg.enf_netns);
	}
	ctl_server_close(d->ctl);
	metrics_close(d->metrics);
	for (int i = 0; i < BH_LOGF__MAX; i++)
		jsonl_close(&d->logs[i]);
	conv_table_free(d->convs);
	policy_model_free(d->model);
	sig_state_free(d);
	while (d->workloads) {
		struct workload *w = d->workloads;

		d->workloads = w->next;
		free(w);
	}
	rcu_unregister_thread();
}

json_t *daemon_handle(struct bh_daemon *d, json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	const struct cmd_entry *e = cmd_lookup(cmd);

	if (!e)
		return ctl_error("unknown command: %s", cmd);
	return e->fn(d, req);
}
