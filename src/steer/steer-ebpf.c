/*
 * steer-ebpf.c - the ebpf steering driver: one BPF object, clsact ingress programs.
 *
 * It owns the loaded steer.bpf.o (maps + programs) for the life of the daemon and the tc hooks
 * it makes: ingress on the dp pair at open, ingress on each port's vin and vex at attach.
 * Filters are attached with a fixed handle/priority and BPF_TC_F_REPLACE, so a daemon that
 * restarts after a crash replaces the filters the dead one left instead of stacking new ones
 * (clsact itself comes from steer_clsact_ensure(), which keeps an existing one quietly).
 * libbpf's tc calls open their netlink socket in the calling thread's netns, hence the
 * netns_enter()/netns_leave() around every one of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../../bpf/steer-maps.h"
#include "log.h"
#include "netns.h"
#include "steer-priv.h"
#include "steer.skel.h"

/* Our filters are the only ones on these hooks; one fixed slot makes REPLACE idempotent. */
#define STEER_TC_HANDLE 1
#define STEER_TC_PRIO 1

struct steer_ebpf {
	struct steer_bpf *skel;
	bool dp_hooked;
	bool dpp_hooked;
};

static int hook_attach(int ifindex, const struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = STEER_TC_HANDLE, .priority = STEER_TC_PRIO,
		    .prog_fd = bpf_program__fd(prog), .flags = BPF_TC_F_REPLACE);
	int rc;

	rc = steer_clsact_ensure(ifindex);
	return rc < 0 ? rc : bpf_tc_attach(&hook, &opts);
}

/* Remove our filter; a device or hook that is already gone is not an error. */
static int hook_detach(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = STEER_TC_HANDLE, .priority = STEER_TC_PRIO);
	int rc = bpf_tc_detach(&hook, &opts);

	return rc == -ENOENT || rc == -ENODEV || rc == -EINVAL ? 0 : rc;
}

/* Remove the whole clsact qdisc (vin/vex are ours alone). */
static int hook_destroy(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int rc = bpf_tc_hook_destroy(&hook);

	return rc == -ENOENT || rc == -ENODEV || rc == -EINVAL ? 0 : rc;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

/* The whole cfg value at once: the programs never see a half-written one. */
static int set_cfg(struct steer_ebpf *e, const struct steer *s)
{
	struct steer_cfg_val v = {
		.dpp_ifindex = (__u32)s->dpp_ifindex,
		.fail_open = s->fail_open,
		.heartbeat_ns = mono_ns(),
	};
	__u32 zero = 0;

	return bpf_map__update_elem(e->skel->maps.cfg, &zero, sizeof(zero), &v, sizeof(v), BPF_ANY);
}

static void ebpf_unhook_dp(struct steer *s, struct steer_ebpf *e)
{
	struct netns_saved saved;
	int rc;

	if (!e->dp_hooked && !e->dpp_hooked)
		return;
	if (netns_enter(s->enf_netns_fd, &saved) < 0) {
		log_warn("steer: cannot enter the enforcer netns to detach from %s/%s", s->dp_name,
			 s->dpp_name);
		return;
	}
	if (e->dpp_hooked && (rc = hook_detach(s->dpp_ifindex)) < 0)
		log_warn("steer: detach from ifindex %d: %s", s->dpp_ifindex, strerror(-rc));
	if (e->dp_hooked && (rc = hook_detach(s->dp_ifindex)) < 0)
		log_warn("steer: detach from ifindex %d: %s", s->dp_ifindex, strerror(-rc));
	e->dp_hooked = e->dpp_hooked = false;
	netns_leave(&saved);
}

static int ebpf_hook_dp(struct steer *s, struct steer_ebpf *e, char *err, size_t errlen)
{
	struct netns_saved saved;
	int rc;

	rc = netns_enter(s->enf_netns_fd, &saved);
	if (rc < 0) {
		snprintf(err, errlen, "steer: enter enforcer netns: %s", strerror(-rc));
		return rc;
	}
	rc = hook_attach(s->dpp_ifindex, e->skel->progs.steer_dpp);
	if (rc < 0) {
		snprintf(err, errlen, "steer: attach to dp port ifindex %d: %s", s->dpp_ifindex,
			 strerror(-rc));
		goto out;
	}
	e->dpp_hooked = true;
	rc = hook_attach(s->dp_ifindex, e->skel->progs.steer_dp);
	if (rc < 0)
		snprintf(err, errlen, "steer: attach to dp port ifindex %d: %s", s->dp_ifindex,
			 strerror(-rc));
	else
		e->dp_hooked = true;
out:
	netns_leave(&saved);
	return rc;
}

static void ebpf_close(struct steer *s)
{
	struct steer_ebpf *e = s->priv;

	if (!e)
		return;
	ebpf_unhook_dp(s, e);
	steer_bpf__destroy(e->skel);
	free(e);
	s->priv = NULL;
}

static int ebpf_open(struct steer *s, char *err, size_t errlen)
{
	struct steer_ebpf *e;
	int rc;

	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "steer: out of memory");
		return -ENOMEM;
	}
	s->priv = e;
	e->skel = steer_bpf__open_and_load();
	if (!e->skel) {
		rc = -errno;
		snprintf(err, errlen, "steer: load BPF programs: %s", strerror(-rc));
		goto fail;
	}
	rc = set_cfg(e, s);
	if (rc < 0) {
		snprintf(err, errlen, "steer: set BPF config: %s", strerror(-rc));
		goto fail;
	}
	rc = ebpf_hook_dp(s, e, err, errlen);
	if (rc < 0)
		goto fail;
	return 0;
fail:
	ebpf_close(s);
	return rc;
}

/* Forget the port's fast-path flows and counters, so a reused index starts clean. */
static void fast_clear(struct steer_ebpf *e, __u16 idx)
{
	struct steer_flow_key k, next;
	int fd = bpf_map__fd(e->skel->maps.flows), ncpu = libbpf_num_possible_cpus();
	struct steer_fast_ctr zero[256] = {{0}};
	bool more = bpf_map_get_next_key(fd, NULL, &next) == 0;

	while (more) {
		k = next;
		more = bpf_map_get_next_key(fd, &k, &next) == 0;
		if (k.idx == idx)
			bpf_map_delete_elem(fd, &k);
	}
	if (ncpu <= 0 || ncpu > 256)
		return;
	for (__u32 slot = idx * 2u; slot < idx * 2u + 2; slot++)
		bpf_map_update_elem(bpf_map__fd(e->skel->maps.fast), &slot, zero, BPF_ANY);
}

static int maps_clear(struct steer_ebpf *e, const struct steer_port *p)
{
	struct steer_port_val none = {0};
	__u32 idx = p->idx, vin = (__u32)p->vin_ifindex, vex = (__u32)p->vex_ifindex;
	int rc;

	/* Inactive first: the programs drop frames of an inactive port before anything else. */
	rc = bpf_map__update_elem(e->skel->maps.ports, &idx, sizeof(idx), &none, sizeof(none),
				  BPF_ANY);
	bpf_map__delete_elem(e->skel->maps.ifaces, &vin, sizeof(vin), 0);
	bpf_map__delete_elem(e->skel->maps.ifaces, &vex, sizeof(vex), 0);
	fast_clear(e, p->idx);
	return rc;
}

static int maps_fill(struct steer_ebpf *e, const struct steer_port *p)
{
	struct steer_port_val pv = {
		.vin_ifindex = (__u32)p->vin_ifindex, .vex_ifindex = (__u32)p->vex_ifindex, .active = 1,
	};
	struct steer_iface_val in = {.idx = p->idx, .role = STEER_ROLE_VIN};
	struct steer_iface_val ex = {.idx = p->idx, .role = STEER_ROLE_VEX};
	__u32 idx = p->idx, vin = (__u32)p->vin_ifindex, vex = (__u32)p->vex_ifindex;
	int rc;

	memcpy(pv.mac, p->mac, sizeof(pv.mac));
	rc = bpf_map__update_elem(e->skel->maps.ports, &idx, sizeof(idx), &pv, sizeof(pv), BPF_ANY);
	if (rc == 0)
		rc = bpf_map__update_elem(e->skel->maps.ifaces, &vin, sizeof(vin), &in, sizeof(in),
					  BPF_ANY);
	if (rc == 0)
		rc = bpf_map__update_elem(e->skel->maps.ifaces, &vex, sizeof(vex), &ex, sizeof(ex),
					  BPF_ANY);
	return rc;
}

static int ebpf_attach(struct steer *s, const struct steer_port *p)
{
	struct steer_ebpf *e = s->priv;
	struct netns_saved saved;
	int rc;

	/* Maps before hooks, so the first frame already finds its port. */
	rc = maps_fill(e, p);
	if (rc < 0)
		goto fail_maps;
	rc = netns_enter(s->enf_netns_fd, &saved);
	if (rc < 0)
		goto fail_maps;
	rc = hook_attach(p->vin_ifindex, e->skel->progs.steer_vin);
	if (rc == 0)
		rc = hook_attach(p->vex_ifindex, e->skel->progs.steer_vex);
	if (rc < 0) {
		hook_destroy(p->vin_ifindex);
		hook_destroy(p->vex_ifindex);
	}
	netns_leave(&saved);
	if (rc < 0)
		goto fail_maps;
	log_debug("steer: ebpf port %u on %s/%s", p->idx, p->vin, p->vex);
	return 0;
fail_maps:
	log_warn("steer: attach port %u (%s/%s): %s", p->idx, p->vin, p->vex, strerror(-rc));
	maps_clear(e, p);
	return rc;
}

static int ebpf_detach(struct steer *s, const struct steer_port *p)
{
	struct steer_ebpf *e = s->priv;
	struct netns_saved saved;
	int rc, rc2;

	rc = netns_enter(s->enf_netns_fd, &saved);
	if (rc == 0) {
		rc = hook_detach(p->vin_ifindex);
		rc2 = hook_detach(p->vex_ifindex);
		rc = rc ? rc : rc2;
		rc2 = hook_destroy(p->vin_ifindex);
		rc = rc ? rc : rc2;
		rc2 = hook_destroy(p->vex_ifindex);
		rc = rc ? rc : rc2;
		netns_leave(&saved);
	}
	rc2 = maps_clear(e, p);
	return rc ? rc : rc2;
}

static int ebpf_flow_map_fd(struct steer *s)
{
	struct steer_ebpf *e = s->priv;

	return bpf_map__fd(e->skel->maps.flows);
}

static int ebpf_heartbeat(struct steer *s)
{
	return set_cfg(s->priv, s);
}

static int ebpf_fast_stats(struct steer *s, uint16_t idx, uint64_t packets[2], uint64_t bytes[2])
{
	struct steer_ebpf *e = s->priv;
	int ncpu = libbpf_num_possible_cpus();
	struct steer_fast_ctr per_cpu[256];

	if (ncpu <= 0 || ncpu > 256)
		return -EOPNOTSUPP;
	for (__u32 dir = 0; dir < 2; dir++) {
		__u32 slot = idx * 2u + dir;

		packets[dir] = bytes[dir] = 0;
		if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.fast), &slot, per_cpu) < 0)
			return -errno;
		for (int c = 0; c < ncpu; c++) {
			packets[dir] += per_cpu[c].packets;
			bytes[dir] += per_cpu[c].bytes;
		}
	}
	return 0;
}

const struct steer_ops steer_ebpf_ops = {
	.name = "ebpf",
	.flow_map_fd = ebpf_flow_map_fd,
	.fast_stats = ebpf_fast_stats,
	.heartbeat = ebpf_heartbeat,
	.open = ebpf_open,
	.close = ebpf_close,
	.attach = ebpf_attach,
	.detach = ebpf_detach,
};
