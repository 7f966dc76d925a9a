/*
 * docker-watch.h - follow the Docker engine's containers and keep one
 * workload per running container, driven from the daemon's main loop.
 */
#ifndef BH_DOCKER_WATCH_H
#define BH_DOCKER_WATCH_H

struct bh_daemon;
struct docker_watch;

/* Always succeeds unless out of memory; with --docker off (or auto and no socket) it idles. */
int docker_watch_new(struct docker_watch **out, struct bh_daemon *d);
void docker_watch_free(struct docker_watch *w);

/* Readable when the watcher has work (a socket or a timer); -1 when off. */
int docker_watch_fd(const struct docker_watch *w);
/* Do that work without blocking: move transfers on, act on events, reconnect when due. */
void docker_watch_poll(struct docker_watch *w);

/* "connected", "unavailable" or "off". */
const char *docker_watch_state(const struct docker_watch *w);

#endif
