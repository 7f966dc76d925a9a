/*
 * workload.c - the workload table and the pull/steer/dp sequence per port.
 *
 * The order matters for "never leave a container dark": a port is pulled,
 * then steered, then published to the dp; on removal the dp forgets it
 * first and the wire restore comes last, and every failure on the way in
 * unwinds what was done so far.
 *
 * A tap workload (--tap, or bulkheadd --driver tap) is not pulled while it is in
 * discover or monitor: the dp reads a tap of its own interface instead (dp_tap_add),
 * which changes nothing in the container and cannot block.  Protect and quarantine pull
 * it inline; going back restores the port and taps it again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "dp/dp.h"
#include "log.h"
#include "netns.h"
#include "policy/policy.h"
#include "proxymesh.h"
#include "state.h"
#include "steer/steer.h"
#include "wire/wire.h"
#include "wl-docker.h"
#include "wl-labels.h"

#define WORKLOADS_FILE "workloads.json"

struct workload *wl_find(struct bh_daemon *d, const char *name)
{
	for (struct workload *w = d->workloads; w; w = w->next)
		if (strcmp(w->name, name) == 0)
			return w;
	return NULL;
}

struct workload *wl_find_container(struct bh_daemon *d, const char *container_id)
{
	for (struct workload *w = d->workloads; w; w = w->next)
		if (w->kind == WL_NETNS_DOCKER && strcmp(w->container, container_id) == 0)
			return w;
	return NULL;
}

static int wl_open_netns(const struct workload *w)
{
	return w->kind == WL_NETNS_NAME ? netns_open_name(w->netns) : netns_open_pid(w->pid);
}

static const char *wl_netns_desc(const struct workload *w, char *buf, size_t len)
{
	if (w->kind == WL_NETNS_NAME)
		snprintf(buf, len, "netns %s", w->netns);
	else if (w->kind == WL_NETNS_DOCKER)
		snprintf(buf, len, "container %.12s (pid %d)", w->container, (int)w->pid);
	else
		snprintf(buf, len, "pid %d", (int)w->pid);
	return buf;
}

static int port_alloc(struct bh_daemon *d, uint16_t want)
{
	if (want > 0 && want < BH_MAX_PORTS && !d->port_used[want]) {
		d->port_used[want] = 1;
		return want;
	}
	for (int i = 1; i < BH_MAX_PORTS; i++) {
		if (!d->port_used[i]) {
			d->port_used[i] = 1;
			return i;
		}
	}
	return -ENOSPC;
}

static void steer_port_of(const struct workload *w, struct steer_port *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->idx = w->port_idx;
	sp->vin_ifindex = w->port.vin_ifindex;
	sp->vex_ifindex = w->port.vex_ifindex;
	memcpy(sp->mac, w->port.orig.mac, 6);
	snprintf(sp->vin, sizeof(sp->vin), "%s", w->port.vin);
	snprintf(sp->vex, sizeof(sp->vex), "%s", w->port.vex);
}

static void dp_publish(struct bh_daemon *d, const struct workload *w)
{
	struct dp_port_info info = {
		.idx = w->port_idx, .wl_id = w->id, .mode = w->mode,
		.mtu = (uint16_t)w->port.orig.mtu, .tap = w->tapped,
		.vin_ifindex = w->tapped ? 0 : w->port.vin_ifindex,
		.vex_ifindex = w->tapped ? 0 : w->port.vex_ifindex,
	};

	memcpy(info.mac, w->port.orig.mac, 6);
	dp_port_set(d->dp, &info);
}

/* Steer and publish an already pulled port. */
static int wl_engage(struct bh_daemon *d, struct workload *w, char *err, size_t errlen)
{
	struct steer_port sp;
	int rc;

	steer_port_of(w, &sp);
	rc = steer_attach(d->steer, &sp);
	if (rc < 0) {
		snprintf(err, errlen, "attach steering to %s/%s: %s", w->port.vin, w->port.vex,
			 strerror(-rc));
		return rc;
	}
	dp_publish(d, w);
	return 0;
}

static void wl_disengage(struct bh_daemon *d, struct workload *w)
{
	struct steer_port sp;

	dp_port_clear(d->dp, w->port_idx);
	steer_port_of(w, &sp);
	steer_detach(d->steer, &sp);
}

/* A tap workload is read from a tap while it only observes, and pulled to block. */
static bool wl_tap_wanted(const struct workload *w)
{
	return w->tap && (w->mode == BH_MODE_DISCOVER || w->mode == BH_MODE_MONITOR);
}

/*
 * Tap the port: its snapshot gives the policy its addresses (nothing in the container
 * changes), the dp learns the port as a tap port before the first frame can arrive.
 */
static int wl_tap_attach(struct bh_daemon *d, struct workload *w, int fd, char *err, size_t errlen)
{
	int rc;

	memset(&w->port, 0, sizeof(w->port));
	rc = wire_snapshot_read(fd, w->iface, &w->port.orig, err, errlen);
	if (rc < 0)
		return rc;
	w->tapped = true;
	dp_publish(d, w);
	rc = dp_tap_add(d->dp, w->port_idx, fd, w->iface, err, errlen);
	if (rc < 0) {
		dp_port_clear(d->dp, w->port_idx);
		w->tapped = false;
	}
	return rc;
}

static void wl_tap_detach(struct bh_daemon *d, struct workload *w)
{
	dp_tap_del(d->dp, w->port_idx);
	dp_port_clear(d->dp, w->port_idx);
	w->tapped = false;
}

/* Pull + engage (or tap); on failure the port is restored and w->pulled stays false. */
static int wl_pull(struct bh_daemon *d, struct workload *w, char *err, size_t errlen)
{
	char id[9], nsdesc[96];
	int fd, rc;

	/* A sidecar pod keeps its port: it is judged at NFQUEUE in its netns instead. */
	if (w->proxymesh)
		return proxymesh_attach(d, w, err, errlen);
	fd = wl_open_netns(w);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", wl_netns_desc(w, nsdesc, sizeof(nsdesc)),
			 strerror(-fd));
		return fd;
	}
	if (wl_tap_wanted(w)) {
		rc = wl_tap_attach(d, w, fd, err, errlen);
		close(fd);
		return rc;
	}
	wire_port_id(w->name, id);
	rc = wire_pull(fd, d->enf_fd, w->iface, id, &w->port, err, errlen);
	if (rc == 0) {
		rc = wl_engage(d, w, err, errlen);
		if (rc < 0) {
			char rerr[256];

			if (wire_restore(fd, d->enf_fd, &w->port, rerr, sizeof(rerr)) < 0)
				log_err("workload %s: restore after failed attach: %s", w->name, rerr);
		}
	}
	close(fd);
	w->pulled = rc == 0;
	return rc;
}

static int wl_unpull(struct bh_daemon *d, struct workload *w, char *err, size_t errlen)
{
	int fd, rc;

	if (w->proxymesh)
		proxymesh_detach(d, w);
	if (w->tapped)
		wl_tap_detach(d, w);
	if (!w->pulled)
		return 0;
	wl_disengage(d, w);
	fd = wl_open_netns(w);
	rc = wire_restore(fd >= 0 ? fd : -1, d->enf_fd, &w->port, err, errlen);
	if (fd >= 0)
		close(fd);
	w->pulled = false;
	return rc;
}

/* One workload per (netns, iface): pulling the same port twice would strand the first. */
static const struct workload *wl_same_port(struct bh_daemon *d, const struct workload *t, int fd)
{
	for (struct workload *w = d->workloads; w; w = w->next) {
		int wfd = wl_open_netns(w);
		int same = wfd >= 0 && netns_same(fd, wfd) == 1 && strcmp(w->iface, t->iface) == 0;

		if (wfd >= 0)
			close(wfd);
		if (same)
			return w;
	}
	return NULL;
}

static int wl_check_new(struct bh_daemon *d, const struct workload *t, char *err, size_t errlen)
{
	const struct workload *other;
	char nsdesc[96];
	int fd;

	if (wl_find(d, t->name)) {
		snprintf(err, errlen, "workload %s already exists", t->name);
		return -EEXIST;
	}
	fd = wl_open_netns(t);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", wl_netns_desc(t, nsdesc, sizeof(nsdesc)),
			 fd == -ENOENT ? "no such network namespace" : strerror(-fd));
		return fd;
	}
	other = wl_same_port(d, t, fd);
	close(fd);
	if (other) {
		snprintf(err, errlen, "%s %s is already workload %s",
			 wl_netns_desc(t, nsdesc, sizeof(nsdesc)), t->iface, other->name);
		return -EEXIST;
	}
	return 0;
}

/*
 * The model knows the workload (without addresses) before its port reaches the dp, so
 * the dp never meets a port its policy has not heard of; the addresses follow the pull.
 */
static int wl_admit(struct bh_daemon *d, struct workload *w, char *err, size_t errlen)
{
	int rc = wl_policy_set(d, w, false, err, errlen);

	if (rc < 0)
		return rc;
	policy_publish(d);
	rc = wl_pull(d, w, err, errlen);
	if (rc == 0) {
		rc = wl_policy_set(d, w, true, err, errlen);
		if (rc < 0) {
			char rerr[256];

			if (wl_unpull(d, w, rerr, sizeof(rerr)) < 0)
				log_err("workload %s: restore: %s", w->name, rerr);
		}
	}
	if (rc < 0)
		wl_policy_del(d, w);
	policy_publish(d);
	return rc;
}

int wl_add(struct bh_daemon *d, struct workload *tmpl, char *err, size_t errlen)
{
	struct workload *w;
	int idx, rc;

	rc = wl_check_new(d, tmpl, err, errlen);
	if (rc < 0)
		return rc;
	idx = port_alloc(d, 0);
	if (idx < 0) {
		snprintf(err, errlen, "no free port index (limit %d)", BH_MAX_PORTS - 1);
		return idx;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		d->port_used[idx] = 0;
		return -ENOMEM;
	}
	*w = *tmpl;
	w->id = ++d->next_wl_id;
	w->port_idx = (uint16_t)idx;
	/* Containers the docker watcher finds follow --driver tap too. */
	if (w->discovered && d->tap_default)
		w->tap = true;
	if (!w->proxymesh && !w->tap && proxymesh_detect(w)) {
		log_info("workload %s: service-mesh sidecar found in its netns: proxymesh", w->name);
		w->proxymesh = true;
	}
	rc = wl_admit(d, w, err, errlen);
	if (rc < 0) {
		d->port_used[idx] = 0;
		free(w);
		return rc;
	}
	w->next = d->workloads;
	d->workloads = w;
	if (w->proxymesh)
		log_info("workload %s: proxymesh (port not pulled, %s)", w->name,
			 bh_mode_name(w->mode));
	else if (w->tapped)
		log_info("workload %s: tap on %s (port %u, %s; cannot block)", w->name, w->iface,
			 w->port_idx, bh_mode_name(w->mode));
	else
		log_info("workload %s: pulled %s (port %u, %s/%s, %s)", w->name, w->iface,
			 w->port_idx, w->port.vin, w->port.vex, bh_mode_name(w->mode));
	return wl_save(d);
}

int wl_repull(struct bh_daemon *d, struct workload *w, char *err, size_t errlen)
{
	char nsdesc[96];
	int rc;

	if (wl_attached(w))
		return 0;
	rc = wl_pull(d, w, err, errlen);
	if (rc == 0 && wl_policy_set(d, w, true, err, errlen) < 0)
		log_err("workload %s: addresses not in the policy: %s", w->name, err);
	policy_publish(d);
	if (rc == 0)
		log_info("workload %s: pulled %s again (port %u, %s)", w->name, w->iface,
			 w->port_idx, wl_netns_desc(w, nsdesc, sizeof(nsdesc)));
	wl_save(d);
	return rc;
}

/*
 * Tapped <-> pulled for the mode w now has.  The dp keeps the port's sessions (same
 * workload, same index, so the same generation), and one the inline path meets on
 * another worker is picked up mid-stream as established: live connections the policy
 * allows carry on across the switch.
 */
static int wl_switch(struct bh_daemon *d, struct workload *w, char *err, size_t errlen)
{
	int rc;

	if (w->tapped)
		wl_tap_detach(d, w);
	else if ((rc = wl_unpull(d, w, err, errlen)) < 0)
		return rc;
	rc = wl_pull(d, w, err, errlen);
	if (rc == 0)
		log_info("workload %s: %s", w->name,
			 w->tapped ? "restored and tapped (cannot block)"
				   : "pulled inline from tap");
	return rc;
}

int wl_apply_mode(struct bh_daemon *d, struct workload *w, enum bh_mode mode, char *err,
		  size_t errlen)
{
	enum bh_mode old = (enum bh_mode)w->mode;
	int rc = policy_workload_set_mode(d->model, w->id, mode);

	/* Not in the model only if its registration failed (logged then): keep the mode anyway. */
	if (rc < 0 && rc != -ENOENT) {
		snprintf(err, errlen, "policy model: %s", strerror(-rc));
		return rc;
	}
	w->mode = mode;
	if (w->tap && wl_attached(w) && wl_tap_wanted(w) != w->tapped) {
		rc = wl_switch(d, w, err, errlen);
		if (rc == 0)
			return 0;
		/* Back to what it was, so it stays observed or enforced as before. */
		policy_workload_set_mode(d->model, w->id, old);
		w->mode = old;
		if (!wl_attached(w)) {
			char rerr[256];

			if (wl_pull(d, w, rerr, sizeof(rerr)) < 0)
				log_err("workload %s: not attached again: %s", w->name, rerr);
		}
		return rc;
	}
	/* The dp's port carries the mode too (fast path); same wl_id, so sessions stay. */
	if (wl_attached(w))
		dp_publish(d, w);
	return 0;
}

int wl_set_mode(struct bh_daemon *d, struct workload *w, enum bh_mode mode)
{
	char err[256] = "";
	int rc = wl_apply_mode(d, w, mode, err, sizeof(err));

	if (rc < 0)
		log_err("workload %s: mode %s: %s", w->name, bh_mode_name(mode), err);
	return rc;
}

int wl_remove(struct bh_daemon *d, const char *name, bool forget, char *err, size_t errlen)
{
	struct workload **pp, *w;
	int rc;

	for (pp = &d->workloads; *pp && strcmp((*pp)->name, name) != 0; pp = &(*pp)->next)
		;
	w = *pp;
	if (!w) {
		snprintf(err, errlen, "no workload named %s", name);
		return -ENOENT;
	}
	rc = wl_unpull(d, w, err, errlen);
	if (rc < 0 && rc != -ENOENT)
		log_warn("workload %s: restore: %s", name, err);
	else
		log_info("workload %s: restored %s", name, w->iface);
	if (!forget)
		return rc == -ENOENT ? 0 : rc;
	wl_policy_del(d, w);
	policy_publish(d);
	d->port_used[w->port_idx] = 0;
	*pp = w->next;
	free(w);
	return wl_save(d) < 0 ? -EIO : 0;
}

json_t *wl_to_json(const struct bh_daemon *d, const struct workload *w, bool with_port)
{
	json_t *j = json_object(), *groups = json_array();

	(void)d;
	json_object_set_new(j, "id", json_integer(w->id));
	json_object_set_new(j, "name", json_string(w->name));
	if (w->kind == WL_NETNS_NAME)
		json_object_set_new(j, "netns", json_string(w->netns));
	else
		json_object_set_new(j, "pid", json_integer(w->pid));
	if (w->kind == WL_NETNS_DOCKER) {
		json_object_set_new(j, "docker", json_string(w->container));
		json_object_set_new(j, "discovered", json_boolean(w->discovered));
	}
	json_object_set_new(j, "iface", json_string(w->iface));
	for (int i = 0; i < w->ngroups; i++)
		json_array_append_new(groups, json_string(w->groups[i]));
	json_object_set_new(j, "groups", groups);
	wl_labels_to_json(w, j);
	json_object_set_new(j, "mode", json_string(bh_mode_name((enum bh_mode)w->mode)));
	json_object_set_new(j, "port_idx", json_integer(w->port_idx));
	json_object_set_new(j, "pulled", json_boolean(w->pulled));
	if (w->tap)
		json_object_set_new(j, "tap", json_true());
	json_object_set_new(j, "tapped", json_boolean(w->tapped));
	if (w->proxymesh)
		json_object_set_new(j, "proxymesh", json_true());
	if (with_port && w->pulled)
		json_object_set_new(j, "port", wire_port_to_json(&w->port));
	return j;
}

int wl_save(struct bh_daemon *d)
{
	json_t *root = json_object(), *arr = json_array();
	int rc;

	for (struct workload *w = d->workloads; w; w = w->next)
		json_array_append_new(arr, wl_to_json(d, w, true));
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "workloads", arr);
	rc = state_write_json(d->cfg.state_dir, WORKLOADS_FILE, root);
	json_decref(root);
	if (rc < 0)
		log_err("write %s/%s: %s", d->cfg.state_dir, WORKLOADS_FILE, strerror(-rc));
	return rc;
}

/* "protect", or the number older files stored. */
static int wl_mode_from_json(json_t *j, int *mode)
{
	enum bh_mode m = BH_MODE_DISCOVER;

	if (json_is_integer(j) && json_integer_value(j) >= 0 &&
	    json_integer_value(j) < BH_MODE__MAX)
		m = (enum bh_mode)json_integer_value(j);
	else if (j && bh_mode_parse(json_string_value(j), &m) < 0)
		return -EINVAL;
	*mode = m;
	return 0;
}

static int wl_from_json(json_t *j, struct workload *w)
{
	const char *name = json_string_value(json_object_get(j, "name"));
	const char *netns = json_string_value(json_object_get(j, "netns"));
	const char *iface = json_string_value(json_object_get(j, "iface"));
	const char *docker = json_string_value(json_object_get(j, "docker"));
	json_t *groups = json_object_get(j, "groups"), *g;
	size_t i;

	memset(w, 0, sizeof(*w));
	if (!name || !iface || strlen(name) >= WL_NAME_MAX || strlen(iface) >= IFNAMSIZ)
		return -EINVAL;
	snprintf(w->name, sizeof(w->name), "%s", name);
	snprintf(w->iface, sizeof(w->iface), "%s", iface);
	if (docker && strlen(docker) < WL_CONTAINER_MAX) {
		w->kind = WL_NETNS_DOCKER;
		snprintf(w->container, sizeof(w->container), "%s", docker);
		w->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
		w->discovered = json_is_true(json_object_get(j, "discovered"));
	} else if (netns && strlen(netns) < WL_NAME_MAX) {
		w->kind = WL_NETNS_NAME;
		snprintf(w->netns, sizeof(w->netns), "%s", netns);
	} else if (json_is_integer(json_object_get(j, "pid"))) {
		w->kind = WL_NETNS_PID;
		w->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	} else {
		return -EINVAL;
	}
	json_array_foreach(groups, i, g) {
		if (!json_is_string(g) || w->ngroups >= WL_MAX_GROUPS ||
		    strlen(json_string_value(g)) >= WL_NAME_MAX)
			return -EINVAL;
		snprintf(w->groups[w->ngroups++], WL_NAME_MAX, "%s", json_string_value(g));
	}
	w->id = (uint32_t)json_integer_value(json_object_get(j, "id"));
	if (wl_mode_from_json(json_object_get(j, "mode"), &w->mode) < 0 ||
	    wl_labels_from_json(j, w) < 0)
		return -EINVAL;
	w->port_idx = (uint16_t)json_integer_value(json_object_get(j, "port_idx"));
	w->pulled = json_is_true(json_object_get(j, "pulled"));
	w->proxymesh = json_is_true(json_object_get(j, "proxymesh"));
	w->tap = json_is_true(json_object_get(j, "tap"));
	if (w->pulled && wire_port_from_json(json_object_get(j, "port"), &w->port) < 0)
		return -EINVAL;
	return 0;
}

/*
 * Bring one saved workload back under enforcement: a port still pulled in
 * the enforcer netns (we crashed) is re-steered in place; one that was
 * restored at a clean stop is pulled again.
 */
static int wl_resume(struct bh_daemon *d, struct workload *w, char *err, size_t errlen)
{
	if (w->pulled && !wl_tap_wanted(w) && wire_port_lookup(d->enf_fd, &w->port) == 0) {
		int rc = wl_engage(d, w, err, errlen);

		if (rc == 0)
			log_info("workload %s: resumed pulled port %u", w->name, w->port_idx);
		return rc;
	}
	if (w->pulled) {
		/*
		 * Half gone (container died or enforcer netns lost), or a tap workload stopped
		 * mid-switch that should be tapped now: put back what is left.
		 */
		char rerr[256];

		wl_unpull(d, w, rerr, sizeof(rerr));
	}
	return wl_pull(d, w, err, errlen);
}

/* Register in the model (as last known) and publish before the port is engaged again. */
static void wl_load_one(struct bh_daemon *d, struct workload *w)
{
	char werr[256] = "";

	if (wl_policy_set(d, w, true, werr, sizeof(werr)) < 0 &&
	    wl_policy_set(d, w, false, werr, sizeof(werr)) < 0)
		log_err("workload %s: not in the policy: %s", w->name, werr);
	policy_publish(d);
	if (w->kind == WL_NETNS_DOCKER && !wl_docker_ready(d, w))
		return;
	if (wl_resume(d, w, werr, sizeof(werr)) < 0) {
		log_err("workload %s: not enforced: %s", w->name, werr);
		return;
	}
	/* A re-pull may have found other addresses. */
	if (wl_policy_set(d, w, true, werr, sizeof(werr)) < 0)
		log_err("workload %s: addresses not in the policy: %s", w->name, werr);
	policy_publish(d);
}

int wl_load(struct bh_daemon *d, char *err, size_t errlen)
{
	json_t *root = NULL, *arr, *j;
	size_t i;
	int rc;

	rc = state_read_json(d->cfg.state_dir, WORKLOADS_FILE, &root, err, errlen);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	arr = json_object_get(root, "workloads");
	json_array_foreach(arr, i, j) {
		struct workload *w = calloc(1, sizeof(*w));

		if (!w || wl_from_json(j, w) < 0) {
			log_err("%s: workload entry %zu is malformed, skipped", WORKLOADS_FILE, i);
			free(w);
			continue;
		}
		if (port_alloc(d, w->port_idx) != w->port_idx)
			w->port_idx = (uint16_t)port_alloc(d, 0);
		if (w->id > d->next_wl_id)
			d->next_wl_id = w->id;
		w->next = d->workloads;
		d->workloads = w;
		wl_load_one(d, w);
	}
	json_decref(root);
	return wl_save(d);
}
