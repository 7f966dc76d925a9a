/*
 * cmd-workload.c - workload add/rm/list and status over the control socket.
 *
 * Every request is validated completely before anything is changed, so a
 * bad request gets its one-line error and leaves the daemon as it was.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cluster.h"
#include "cmd.h"
#include "ctl-socket.h"
#include "daemon.h"
#include "docker-watch.h"
#include "dp/dp.h"
#include "policy/policy.h"
#include "steer/steer.h"
#include "wl-docker.h"
#include "wl-labels.h"

static bool valid_name(const char *s, size_t max)
{
	size_t n = 0;

	if (!s || !*s)
		return false;
	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) && !strchr("_.-", s[n]))
			return false;
	return n < max;
}

/* The container's pid, inspected now: an error here leaves nothing changed. */
static json_t *parse_docker(struct bh_daemon *d, json_t *req, struct workload *w)
{
	const char *ref = req_str(req, "docker");
	char err[256] = "";

	if (!docker_ref_ok(ref))
		return ctl_error("invalid docker container id or name");
	if (wl_docker_resolve(d, w, ref, err, sizeof(err)) < 0)
		return ctl_error("%s", err);
	return NULL;
}

static json_t *parse_target(struct bh_daemon *d, json_t *req, struct workload *w)
{
	const char *netns = req_str(req, "netns");
	json_t *pid = json_object_get(req, "pid");
	json_t *docker = json_object_get(req, "docker");

	if ((netns != NULL) + (pid != NULL) + (docker != NULL) != 1)
		return ctl_error("exactly one of --netns, --pid or --docker is required");
	if (docker)
		return parse_docker(d, req, w);
	if (netns) {
		if (!valid_name(netns, WL_NAME_MAX))
			return ctl_error("invalid netns name: %s", netns);
		w->kind = WL_NETNS_NAME;
		snprintf(w->netns, sizeof(w->netns), "%s", netns);
		return NULL;
	}
	if (!json_is_integer(pid) || json_integer_value(pid) <= 0 ||
	    json_integer_value(pid) > 0x7fffffff)
		return ctl_error("invalid pid");
	w->kind = WL_NETNS_PID;
	w->pid = (pid_t)json_integer_value(pid);
	return NULL;
}

static json_t *parse_groups(json_t *req, struct workload *w)
{
	json_t *groups = json_object_get(req, "groups"), *g;
	size_t i;

	if (groups && !json_is_array(groups))
		return ctl_error("groups must be a list");
	json_array_foreach(groups, i, g) {
		const char *name = json_string_value(g);

		if (!valid_name(name, WL_NAME_MAX))
			return ctl_error("invalid group name");
		if (w->ngroups >= WL_MAX_GROUPS)
			return ctl_error("too many groups (limit %d)", WL_MAX_GROUPS);
		snprintf(w->groups[w->ngroups++], WL_NAME_MAX, "%s", name);
	}
	return NULL;
}

static json_t *parse_mode(json_t *req, struct workload *w)
{
	const char *mode = req_str(req, "mode");
	enum bh_mode m = BH_MODE_DISCOVER;

	if (json_object_get(req, "mode") && !mode)
		return ctl_error("mode must be a string");
	if (mode && bh_mode_parse(mode, &m) < 0)
		return ctl_error("unknown mode %s (discover|monitor|protect|quarantine)", mode);
	w->mode = m;
	return NULL;
}

json_t *cmd_workload_add(struct bh_daemon *d, json_t *req)
{
	const char *name = req_str(req, "name");
	const char *iface = req_str(req, "iface");
	struct workload w = {0};
	char err[256] = "";
	json_t *e;

	if (!valid_name(name, WL_NAME_MAX))
		return ctl_error("invalid workload name (letters, digits, '_', '.', '-'; "
				 "at most %d)", WL_NAME_MAX - 1);
	snprintf(w.name, sizeof(w.name), "%s", name);
	if (!iface)
		iface = "eth0";
	if (!valid_name(iface, IFNAMSIZ))
		return ctl_error("invalid interface name: %s", iface);
	snprintf(w.iface, sizeof(w.iface), "%s", iface);
	if ((e = parse_target(d, req, &w)) || (e = parse_groups(req, &w)) ||
	    (e = parse_mode(req, &w)) || (e = wl_labels_parse(req, &w)))
		return e;
	if (json_object_get(req, "proxymesh") && !json_is_boolean(json_object_get(req, "proxymesh")))
		return ctl_error("proxymesh must be true or false");
	w.proxymesh = json_is_true(json_object_get(req, "proxymesh"));
	if (json_object_get(req, "tap") && !json_is_boolean(json_object_get(req, "tap")))
		return ctl_error("tap must be true or false");
	/* --tap, or the daemon's --driver tap for workloads that do not say otherwise */
	w.tap = json_object_get(req, "tap") ? json_is_true(json_object_get(req, "tap"))
					    : d->tap_default && !w.proxymesh;
	if (w.tap && w.proxymesh)
		return ctl_error("--tap and --proxymesh exclude each other");
	if (wl_add(d, &w, err, sizeof(err)) < 0)
		return ctl_error("%s", err);
	return ctl_ok(wl_to_json(d, wl_find(d, name), false));
}

json_t *cmd_workload_rm(struct bh_daemon *d, json_t *req)
{
	const char *name = req_str(req, "name");
	char err[256] = "";

	if (!name)
		return ctl_error("workload name required");
	if (wl_remove(d, name, true, err, sizeof(err)) < 0)
		return ctl_error("%s", err);
	return ctl_ok(NULL);
}

static json_t *port_stats_json(struct bh_daemon *d, const struct workload *w)
{
	static const char *reasons[DP_DROP__MAX] = {"decode", "truncated", "no_port",
						     "policy", "tx", "session_full",
						     "threat"};
	uint64_t fp[2], fb[2];
	struct dp_port_stats st;
	json_t *drops = json_object();

	dp_port_stats(d->dp, w->port_idx, &st);
	/* What the eBPF fast path forwarded for established, allowed flows counts too. */
	steer_fast_stats(d->steer, w->port_idx, fp, fb);
	for (int i = 0; i < DP_DROP__MAX; i++)
		json_object_set_new(drops, reasons[i], json_integer((json_int_t)st.drops[i]));
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
			 "packets_out", (json_int_t)(st.packets[DP_DIR_EGRESS] + fp[0]),
			 "packets_in", (json_int_t)(st.packets[DP_DIR_INGRESS] + fp[1]),
			 "bytes_out", (json_int_t)(st.bytes[DP_DIR_EGRESS] + fb[0]),
			 "bytes_in", (json_int_t)(st.bytes[DP_DIR_INGRESS] + fb[1]),
			 "fastpath_packets", (json_int_t)(fp[0] + fp[1]),
			 "sessions", (json_int_t)st.sessions,
			 "sessions_active", (json_int_t)st.sessions_active, "drops", drops);
}

static json_t *workloads_json(struct bh_daemon *d)
{
	json_t *arr = json_array();

	for (struct workload *w = d->workloads; w; w = w->next) {
		json_t *j = wl_to_json(d, w, false);

		if (w->pulled) {
			json_object_set_new(j, "vin", json_string(w->port.vin));
			json_object_set_new(j, "vex", json_string(w->port.vex));
		}
		/* A sidecar workload is judged at NFQUEUE in its netns (proxymesh.c). */
		json_object_set_new(j, "driver",
				    json_string(w->proxymesh ? "nfq"
						: w->tapped  ? "tap"
							     : steer_name(d->steer)));
		/* A tap only reads a copy of the port's frames: it reports, never drops. */
		json_object_set_new(j, "can_block", json_boolean(w->pulled || w->proxymesh));
		json_object_set_new(j, "stats", port_stats_json(d, w));
		json_array_append_new(arr, j);
	}
	return arr;
}

json_t *cmd_workload_list(struct bh_daemon *d, json_t *req)
{
	(void)req;
	return ctl_ok(workloads_json(d));
}

json_t *cmd_status(struct bh_daemon *d, json_t *req)
{
	struct dp_global_stats g;
	char why[384];
	json_t *st;

	(void)req;
	dp_global_stats(d->dp, &g);
	if (d->tap_default)
		snprintf(why, sizeof(why),
			 "tap: workloads in discover/monitor are read from a tap of their own "
			 "interface and cannot be blocked; protect/quarantine pull them inline (%s)",
			 steer_why(d->steer));
	else
		snprintf(why, sizeof(why), "%s", steer_why(d->steer));
	st = json_pack(
		"{s:s, s:s, s:s, s:s, s:b, s:b, s:i, s:I, s:o, s:s, s:o}", "enforcer_netns",
		d->cfg.enf_netns, "driver", d->tap_default ? "tap" : steer_name(d->steer),
		"driver_reason", why, "fail", d->cfg.fail_mode, "fast_path", d->cfg.fast_path,
		"one_pass", d->cfg.one_pass, "workers", dp_worker_count(d->dp), "uptime_s",
		(json_int_t)(time(NULL) - d->started_at), "dp",
		json_pack("{s:I, s:I, s:I, s:I}", "rx_packets", (json_int_t)g.rx_packets,
			  "tx_packets", (json_int_t)g.tx_packets, "ring_drops",
			  (json_int_t)g.ring_drops, "sessions_active",
			  (json_int_t)g.sessions_active),
		"docker", docker_watch_state(d->docker), "workloads", workloads_json(d));
	if (st)
		json_object_set_new(st, "cluster", cluster_status_json(d->cluster));
	if (st)
		json_object_set_new(st, "fqdn", fqdn_status_json(d));
	if (st) /* TCP stream reassembly for inspection: counters and memory */
		json_object_set_new(json_object_get(st, "dp"), "reasm", reasm_status_json(d));
	return ctl_ok(st);
}
