/*
 * wl-docker.c - the bridge between docker containers and workloads.
 *
 * A docker workload is a pid workload whose pid is not trusted across time:
 * it is looked up from the container id whenever the container (re)starts or
 * bulkheadd starts, because a saved pid may by then belong to anything.
 */
#include "wl-docker.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "policy/policy.h"

_Static_assert(DOCKER_ID_MAX == WL_CONTAINER_MAX, "container id sizes differ");
_Static_assert(DOCKER_NAME_MAX == WL_NAME_MAX, "name sizes differ");
_Static_assert(DOCKER_MAX_GROUPS == WL_MAX_GROUPS, "group limits differ");

static void wl_docker_bind(struct workload *w, const struct docker_ctr *c)
{
	w->kind = WL_NETNS_DOCKER;
	snprintf(w->container, sizeof(w->container), "%s", c->id);
	w->pid = c->pid;
}

int wl_docker_resolve(struct bh_daemon *d, struct workload *w, const char *ref, char *err,
		      size_t errlen)
{
	struct docker_ctr c;
	char why[200];
	int rc;

	rc = docker_inspect(d->cfg.docker_socket, ref, &c, err, errlen);
	if (rc < 0)
		return rc;
	if (docker_ctr_unfit(&c, why, sizeof(why))) {
		snprintf(err, errlen, "%s", why);
		return -EINVAL;
	}
	wl_docker_bind(w, &c);
	return 0;
}

int wl_docker_template(struct bh_daemon *d, const struct docker_ctr *c, struct workload *w,
		       char *err, size_t errlen)
{
	enum bh_mode mode;

	memset(w, 0, sizeof(*w));
	if (!c->name[0] || !policy_name_valid(c->name)) {
		snprintf(err, errlen, "container %.12s: name unusable as a workload name", c->id);
		return -EINVAL;
	}
	snprintf(w->name, sizeof(w->name), "%s", c->name);
	snprintf(w->iface, sizeof(w->iface), "eth0");
	for (int i = 0; i < c->ngroups; i++)
		snprintf(w->groups[i], WL_NAME_MAX, "%s", c->groups[i]);
	w->ngroups = c->ngroups;
	if (bh_mode_parse(c->mode[0] ? c->mode : d->cfg.default_mode, &mode) < 0)
		mode = BH_MODE_DISCOVER;
	w->mode = mode;
	w->discovered = true;
	if (c->bad_label[0])
		log_warn("container %s: ignored label value %s", c->name, c->bad_label);
	wl_docker_bind(w, c);
	return 0;
}

int wl_docker_refresh(struct bh_daemon *d, struct workload *w)
{
	struct docker_ctr c;
	char err[256], why[200];
	int rc;

	rc = docker_inspect(d->cfg.docker_socket, w->container, &c, err, sizeof(err));
	if (rc == 0 && docker_ctr_unfit(&c, why, sizeof(why))) {
		snprintf(err, sizeof(err), "%s", why);
		rc = -ENOENT;
	}
	if (rc == 0) {
		w->pid = c.pid;
		return 0;
	}
	/* Only the engine's own word makes the pid stale; unreachable keeps what we had. */
	if (rc == -ENOENT)
		w->pid = 0;
	log_warn("workload %s: docker container %.12s: %s", w->name, w->container, err);
	return rc;
}

bool wl_docker_ready(struct bh_daemon *d, struct workload *w)
{
	int rc = wl_docker_refresh(d, w);

	if (rc == 0)
		return true;
	/* A port still pulled (we crashed) is re-engaged or cleaned up; nothing new is pulled. */
	if (!w->pulled)
		log_info("workload %s: waiting for %s", w->name,
			 rc == -ENOENT ? "its container to start" : "the docker engine");
	return w->pulled;
}
