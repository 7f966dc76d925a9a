/*
 * daemon.h - bulkheadd's context: one struct owns every table of the
 * control plane, and only the control thread touches it.
 */
#ifndef BH_DAEMON_H
#define BH_DAEMON_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "dp/threat-t.h"
#include "jsonl.h"
#include "policy/policy-t.h"
#include "portmac.h"
#include "wire/wire-t.h"

struct steer;
struct dp;
struct ctl_server;
struct conv_table;
struct docker_watch;
struct metrics;
struct log_limit;
struct cluster;
struct proxymesh;
struct sig_store;

struct bh_config {
	bool foreground;
	const char *state_dir;
	const char *socket_path;
	const char *driver;      /* auto|ebpf|tc|tap */
	const char *fail_mode;   /* open|closed */
	const char *metrics;     /* ADDR:PORT or NULL */
	const char *enf_netns;
	int workers;
	uint32_t sessions_per_worker; /* hidden --sessions-per-worker: 0 = the dp's default */
	bool fast_path;          /* established allowed flows bypass the dp in eBPF */
	bool one_pass;           /* frames between two local ports are judged once (dp-pair.c) */
	struct threat_config threat; /* --threats on|off, --threat-limit NAME=N */
	const char *docker;        /* auto|on|off: watch the Docker engine for containers */
	const char *docker_socket;
	const char *docker_label;  /* KEY or KEY=VALUE: only containers with it are discovered */
	const char *default_mode;  /* mode of discovered containers without a bulkhead.mode label */
	const char *cluster;       /* etcd://HOST:PORT[,...] or NULL: single node (cluster.c) */
	const char *node;          /* this node's name in the cluster */
	uint32_t fqdn_grace_ms;    /* --fqdn-grace: FQDN group addresses outlive their TTL */
	uint32_t spin_us;          /* --spin-us: dp workers' busy-poll after traffic */
};

/* A docker workload enters by the pid of its container, re-resolved whenever it starts. */
enum wl_netns_kind { WL_NETNS_NAME, WL_NETNS_PID, WL_NETNS_DOCKER };

#define WL_NAME_MAX 64
#define WL_MAX_GROUPS 16
#define WL_CONTAINER_MAX 65 /* a docker container id: 64 hex digits */
#define WL_MAX_LABELS 16
#define WL_LABEL_KEY_MAX 128 /* "prefix/name" */
#define WL_LABEL_VAL_MAX 64

/* A `workload add --label k=v` label (wl-labels.c); NetworkPolicy selectors match them. */
struct wl_label {
	char key[WL_LABEL_KEY_MAX];
	char val[WL_LABEL_VAL_MAX];
};

struct workload {
	uint32_t id;
	char name[WL_NAME_MAX];
	enum wl_netns_kind kind;
	char netns[WL_NAME_MAX]; /* WL_NETNS_NAME */
	pid_t pid;               /* WL_NETNS_PID; WL_NETNS_DOCKER: 0 while it is not running */
	char container[WL_CONTAINER_MAX]; /* WL_NETNS_DOCKER */
	bool discovered;         /* added by the docker watcher, which also removes it */
	char iface[IFNAMSIZ];
	int ngroups;
	char groups[WL_MAX_GROUPS][WL_NAME_MAX];
	int nlabels;
	struct wl_label labels[WL_MAX_LABELS];
	int mode;                /* enum bh_mode; mirrored in the policy model and the dp port */
	uint16_t port_idx;
	bool pulled;
	bool proxymesh;          /* sidecar pod: judged at NFQUEUE in its netns, not pulled */
	bool tap;                /* --tap: read from a tap in discover/monitor, pulled to block */
	bool tapped;             /* the dp reads a tap of its port now (not pulled) */
	struct wire_port port;
	struct workload *next;
};

/* The JSON lines logs in the state dir. */
enum bh_logf { BH_LOGF_CONNECTIONS, BH_LOGF_VIOLATIONS, BH_LOGF_THREATS, BH_LOGF__MAX };

struct bh_daemon {
	struct bh_config cfg;
	int enf_fd;
	int dp_ifindex, dpp_ifindex;
	struct steer *steer;
	struct dp *dp;
	struct ctl_server *ctl;
	struct docker_watch *docker;  /* never NULL after init; "off" is a state */
	struct workload *workloads;   /* list; few hundred at most */
	uint32_t next_wl_id;
	uint8_t port_used[BH_MAX_PORTS];
	volatile int stop;
	long long started_at;
	struct policy_model *model;   /* groups, rules and workloads: the source of truth */
	struct conv_table *convs;     /* conversations folded from dp events */
	struct jsonl_log logs[BH_LOGF__MAX];
	int64_t conv_flushed_ms;      /* last flush of conversations to connections.jsonl */
	uint64_t events_lost;         /* dp_events_lost() already reported */
	uint64_t violations;          /* violations since start, rate-limited ones too (metrics) */
	struct log_limit *viol_limit; /* violations.jsonl rate limit, made on first use */
	uint64_t threats[THREAT_CATALOG_SIZE]; /* hits by catalogue index (metrics) */
	struct metrics *metrics;      /* --metrics endpoint, NULL when off */
	struct cluster *cluster;      /* --cluster: etcd sync, NULL in single-node mode */
	struct proxymesh *mesh;       /* NFQUEUE verdicts for sidecar workloads (proxymesh.c) */
	struct sig_store *sigs;       /* user signatures (ctl-sig.c), never NULL after init */
	bool tap_default;             /* --driver tap: new workloads are tap workloads */
	uint16_t capture_idx;         /* port under `bulkhead capture`, 0 = none */
	long long capture_last_read;  /* when its client last asked (s) */
	uint64_t capture_lost0;       /* dp_capture_lost() when it started */
};

/* cmd-capture.c: stop a capture whose client went away. */
void capture_tick(struct bh_daemon *d);

int daemon_init(struct bh_daemon *d, const struct bh_config *cfg, char *err, size_t errlen);
int daemon_run(struct bh_daemon *d);
/* Restore every pulled port, tear down the dp and the enforcer netns. */
void daemon_shutdown(struct bh_daemon *d);

/* Dispatch one request object; returns a new response object. */
json_t *daemon_handle(struct bh_daemon *d, json_t *req);

/* Workload table (workload.c). */
struct workload *wl_find(struct bh_daemon *d, const char *name);
int wl_add(struct bh_daemon *d, struct workload *tmpl, char *err, size_t errlen);
int wl_remove(struct bh_daemon *d, const char *name, bool forget, char *err, size_t errlen);
int wl_save(struct bh_daemon *d);
int wl_load(struct bh_daemon *d, char *err, size_t errlen);
json_t *wl_to_json(const struct bh_daemon *d, const struct workload *w, bool with_port);
struct workload *wl_find_container(struct bh_daemon *d, const char *container_id);
/* Pull a known workload that is not pulled (its container came back); saves the table. */
int wl_repull(struct bh_daemon *d, struct workload *w, char *err, size_t errlen);
/* Change a workload's mode in the model and on its dp port; the caller publishes. */
int wl_set_mode(struct bh_daemon *d, struct workload *w, enum bh_mode mode);
/*
 * The same, with a reason in err on failure.  A tap workload moving between observing
 * (discover/monitor: tapped) and blocking (protect/quarantine: pulled inline) switches
 * its port here; on failure it keeps its old mode and attachment.
 */
int wl_apply_mode(struct bh_daemon *d, struct workload *w, enum bh_mode mode, char *err,
		  size_t errlen);

/* Attached to the dp one way or another: pulled inline, or read from a tap. */
static inline bool wl_attached(const struct workload *w)
{
	return w->pulled || w->tapped;
}

/* Policy state (ctl-policy.c). */
/* Load policy.json into a new model; a missing file is an empty policy, a bad one an error. */
int policy_state_load(struct bh_daemon *d, char *err, size_t errlen);
int policy_state_save(struct bh_daemon *d);
/* Compile the model and hand it to the dp; call after every model change. */
int policy_publish(struct bh_daemon *d);
/* Save policy.json, then publish: for group, rule and learning changes. */
int policy_commit(struct bh_daemon *d);
/* Mirror a workload (name, groups, mode, and its port's addresses if pulled) into the model. */
int wl_policy_set(struct bh_daemon *d, const struct workload *w, bool with_addrs, char *err,
		  size_t errlen);
void wl_policy_del(struct bh_daemon *d, const struct workload *w);

#endif
