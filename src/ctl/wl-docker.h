/*
 * wl-docker.h - docker containers as workloads: resolving a container to the
 * pid whose netns gets pulled, and the template a discovered container gets.
 */
#ifndef BH_WL_DOCKER_H
#define BH_WL_DOCKER_H

#include <stddef.h>

#include "daemon.h"
#include "docker-api.h"

/* Inspect ref (id or name); bind w to the container if it can be enforced. */
int wl_docker_resolve(struct bh_daemon *d, struct workload *w, const char *ref, char *err,
		      size_t errlen);

/* A new workload for a running container: its name, label groups and mode. */
int wl_docker_template(struct bh_daemon *d, const struct docker_ctr *c, struct workload *w,
		       char *err, size_t errlen);

/* Point w at its container's current pid; w->pid = 0 when the engine says it is gone. */
int wl_docker_refresh(struct bh_daemon *d, struct workload *w);

/* At load: should a saved docker workload be resumed now (refreshed first)? */
bool wl_docker_ready(struct bh_daemon *d, struct workload *w);

#endif
