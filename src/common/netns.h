/*
 * netns.h - entering and leaving network namespaces from one thread.
 *
 * setns(2) moves only the calling thread, so every netlink socket, packet
 * socket or tc hook made between netns_enter() and netns_leave() belongs to
 * the target namespace while the rest of the daemon stays where it was.
 */
#ifndef BH_NETNS_H
#define BH_NETNS_H

#include <sys/types.h>

/* A saved namespace to return to; -1 when nothing was entered. */
struct netns_saved {
	int fd;
};

int netns_open_name(const char *name);  /* /run/netns/NAME; returns fd or -errno */
int netns_open_pid(pid_t pid);          /* /proc/PID/ns/net; returns fd or -errno */
int netns_enter(int fd, struct netns_saved *saved);
int netns_leave(struct netns_saved *saved);

/* Create /run/netns/NAME (like `ip netns add`) unless it exists; returns fd or -errno. */
int netns_ensure_named(const char *name);
/* Unmount and remove /run/netns/NAME. */
int netns_remove_named(const char *name);
/* Inode identity of a netns fd, to tell two handles of the same namespace apart. */
int netns_same(int fd_a, int fd_b);

#endif
