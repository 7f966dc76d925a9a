/*
 * wire.h - pull a workload's port inline and put it back, via netlink.
 *
 * All functions may be called from any thread in any netns: they take netns
 * fds and switch only the calling thread while they work.  They return 0 or
 * -errno and, on failure, write a one-line reason into err (errlen bytes).
 * A failed pull leaves the workload's interface as it was.
 */
#ifndef BH_WIRE_H
#define BH_WIRE_H

#include <stddef.h>

#include "wire-t.h"

struct json_t;

/* id = 8 lowercase hex chars of a stable hash of the workload name. */
void wire_port_id(const char *workload_name, char id[9]);

/* Snapshot iface in netns wl_fd without changing anything (for checks and tests). */
int wire_snapshot_read(int wl_fd, const char *iface, struct wire_snapshot *snap, char *err,
		       size_t errlen);

/*
 * Pull iface of netns wl_fd into enforcer netns enf_fd (DESIGN §1):
 * rename iface -> vex<id>, create iface(new) <-> vin<id> with the original
 * MAC/MTU/addresses/routes, move vex/vin to enf_fd, set them up with IPv6
 * address generation off.  Fills out (names, ifindexes, snapshot).
 */
int wire_pull(int wl_fd, int enf_fd, const char *iface, const char *id, struct wire_port *out,
	      char *err, size_t errlen);

/*
 * Exact inverse of wire_pull: delete the new iface (and its vin peer), move
 * vex back to wl_fd, rename it to the original name, put back MAC, MTU,
 * addresses and routes.  Works from a port loaded from state after a crash.
 */
int wire_restore(int wl_fd, int enf_fd, const struct wire_port *p, char *err, size_t errlen);

/* Refresh vin/vex ifindexes of p in enf_fd; -ENODEV when either is gone. */
int wire_port_lookup(int enf_fd, struct wire_port *p);

/* Create (or reuse) the dp veth pair dp <-> dpp in enf_fd, up, IPv6 off, large MTU. */
int wire_dp_create(int enf_fd, const char *dp, const char *dpp, int *dp_ifindex,
		   int *dpp_ifindex, char *err, size_t errlen);
int wire_dp_destroy(int enf_fd, const char *dp);

/* Prepare a fresh enforcer netns: lo up, IPv6 off by default for new devices. */
int wire_enforcer_setup(int enf_fd);

/* JSON (jansson) round trip of a pulled port, for workloads.json. */
struct json_t *wire_port_to_json(const struct wire_port *p);
int wire_port_from_json(const struct json_t *j, struct wire_port *p);

#endif
