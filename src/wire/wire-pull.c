/*
 * wire-pull.c - pulling a workload's port inline and putting it back.
 *
 * Pull and restore share one routine that puts the original device back
 * (reinstate): restore is that routine, and a pull that fails part way runs
 * it to undo itself.  Reinstate therefore finds everything by name and takes
 * whatever state it meets - half pulled, fully pulled, half restored, or
 * loaded from workloads.json by a later bulkheadd - to the original one.
 */
#include "wire-int.h"
#include "wire.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "netns.h"

/* One operation: a socket in each netns, and where the reason goes. */
struct wctx {
	int wl_fd;
	int enf_fd;
	struct wnl wl;
	struct wnl enf;
	bool wl_ok;
	bool enf_ok;
	char *err;
	size_t errlen;
};

/* Reinstate found nothing of the original device: it went with its peer. */
#define REINSTATE_NOTHING 1

static int fail(struct wctx *c, int rc, const char *what, const char *name)
{
	if (rc < 0)
		wire_err(c->err, c->errlen, "%s %s: %s", what, name, strerror(-rc));
	return rc;
}

static void ctx_close(struct wctx *c)
{
	if (c->wl_ok)
		wnl_close(&c->wl);
	if (c->enf_ok)
		wnl_close(&c->enf);
	c->wl_ok = c->enf_ok = false;
}

static bool port_ok(const struct wire_port *p)
{
	return wire_id_ok(p->id) && wire_ifname_ok(p->vin) && wire_ifname_ok(p->vex) &&
	       wire_ifname_ok(p->orig.ifname);
}

static int link_set(struct wnl *nl, int ifindex, struct wnl_link_set s)
{
	return wnl_link_set(nl, ifindex, &s);
}

static int link_updown(struct wnl *nl, int ifindex, bool up)
{
	return link_set(nl, ifindex,
			(struct wnl_link_set){.netns_fd = -1,
					      .flags_on = up ? IFF_UP : 0,
					      .flags_off = up ? 0 : IFF_UP});
}

/* Fresh locally administered unicast MAC for the device that leaves the workload. */
static void random_mac(uint8_t mac[6])
{
	if (getrandom(mac, 6, 0) != 6) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		memcpy(mac, &ts.tv_nsec, 4);
		mac[4] = (uint8_t)getpid();
		mac[5] = (uint8_t)ts.tv_sec;
	}
	mac[0] = (mac[0] & 0xfc) | 0x02;
}

/*
 * The workload side of a device coming (back) up: no DAD wait, the
 * addresses, then the routes (gateways need the on-link prefix first).
 */
static int wl_bring_up(struct wctx *c, int ifindex, const struct wire_snapshot *o)
{
	struct dad_guard g;
	int rc, r;

	rc = fail(c, dad_off(&g, c->wl_fd, o->ifname), "accept_dad of", o->ifname);
	if (rc == 0 && o->ipv6_off)
		rc = fail(c, ipv6_off_set(c->wl_fd, o->ifname), "disable_ipv6 of", o->ifname);
	if (rc == 0)
		rc = fail(c, link_updown(&c->wl, ifindex, true), "setting up", o->ifname);
	if (rc == 0)
		rc = fail(c, dad_wait_ready(&c->wl, ifindex), "waiting for", o->ifname);
	if (rc == 0)
		rc = fail(c, snap_put_addrs(&c->wl, ifindex, o), "adding addresses to", o->ifname);
	if (rc == 0)
		dad_settle(&c->wl, ifindex);
	r = dad_restore(&g);
	if (rc == 0)
		rc = fail(c, r, "restoring accept_dad of", o->ifname);
	if (rc == 0)
		rc = fail(c, snap_put_routes(&c->wl, ifindex, o), "adding routes to", o->ifname);
	return rc;
}

/* vin/vex in the enforcer netns: no IPv6 of their own (set before up), then up. */
static int enf_bring_up(struct wctx *c, const char *name, int *ifindex)
{
	struct wnl_link l;
	int rc;

	rc = fail(c, wnl_link_get(&c->enf, name, 0, &l), "enforcer netns: looking up", name);
	if (rc < 0)
		return rc;
	rc = link_set(&c->enf, l.ifindex,
		      (struct wnl_link_set){.netns_fd = -1, .addr_gen_none = true});
	if (rc == -EAFNOSUPPORT)
		rc = 0; /* no IPv6 at all: nothing to turn off */
	if (rc == 0)
		rc = link_updown(&c->enf, l.ifindex, true);
	*ifindex = l.ifindex;
	return fail(c, rc, "enforcer netns: setting up", name);
}

/* Neither name may exist yet: anything there would be someone else's, or a pull not undone. */
static int names_free(struct wctx *c, const struct wire_port *p)
{
	struct {
		struct wnl *nl;
		const char *name, *where;
	} chk[] = {{&c->enf, p->vin, "enforcer"},
		   {&c->enf, p->vex, "enforcer"},
		   {&c->wl, p->vex, "workload"}};
	struct wnl_link l;

	for (size_t i = 0; i < sizeof(chk) / sizeof(chk[0]); i++) {
		int rc = wnl_link_get(chk[i].nl, chk[i].name, 0, &l);

		if (rc == 0) {
			wire_err(c->err, c->errlen,
				 "%s already exists in %s netns (pulled already?)", chk[i].name,
				 chk[i].where);
			return -EEXIST;
		}
		if (rc != -ENODEV)
			return fail(c, rc, "looking up", chk[i].name);
	}
	return 0;
}

static int link_rename(struct wnl *nl, int ifindex, const char *name)
{
	return link_set(nl, ifindex, (struct wnl_link_set){.netns_fd = -1, .name = name});
}

static int link_mac(struct wnl *nl, int ifindex, const uint8_t *mac)
{
	return link_set(nl, ifindex, (struct wnl_link_set){.netns_fd = -1, .mac = mac});
}

static int link_move(struct wnl *nl, int ifindex, int netns_fd)
{
	return link_set(nl, ifindex, (struct wnl_link_set){.netns_fd = netns_fd});
}

static int pull_steps(struct wctx *c, struct wire_port *p, int ifindex)
{
	const struct wire_snapshot *o = &p->orig;
	uint8_t mac[6];
	struct wnl_veth veth = {
	    .name = o->ifname,
	    .mac = o->mac,
	    .mtu = o->mtu,
	    .set_txqlen = true,
	    .txqlen = o->txqlen,
	    .peer = p->vin,
	    .peer_netns_fd = c->enf_fd,
	    .peer_mtu = o->mtu,
	};
	struct wnl_link l;
	int rc;

	random_mac(mac);
	rc = fail(c, link_updown(&c->wl, ifindex, false), "setting down", o->ifname);
	if (rc == 0)
		rc = fail(c, link_rename(&c->wl, ifindex, p->vex), "renaming", o->ifname);
	if (rc == 0)
		rc = fail(c, snap_drop_addrs(&c->wl, ifindex, o), "deleting addresses of", p->vex);
	if (rc == 0)
		rc = fail(c, link_mac(&c->wl, ifindex, mac), "setting a new MAC on", p->vex);
	if (rc == 0)
		rc = fail(c, wnl_veth_add(&c->wl, &veth), "creating veth", o->ifname);
	if (rc == 0)
		rc = fail(c, link_move(&c->wl, ifindex, c->enf_fd),
			  "moving to the enforcer netns:", p->vex);
	if (rc == 0)
		rc = enf_bring_up(c, p->vin, &p->vin_ifindex);
	if (rc == 0)
		rc = enf_bring_up(c, p->vex, &p->vex_ifindex);
	if (rc == 0)
		rc = fail(c, wnl_link_get(&c->wl, o->ifname, 0, &l), "looking up new", o->ifname);
	if (rc == 0)
		rc = wl_bring_up(c, l.ifindex, o);
	return rc;
}

/* Where the original device is in the workload netns now, if anywhere. */
static int find_original(struct wctx *c, const struct wire_port *p, struct wnl_link *l)
{
	int rc = wnl_link_get(&c->wl, p->vex, 0, l);

	/* already renamed back by an earlier, interrupted restore (its peer is gone by now) */
	if (rc == -ENODEV)
		rc = wnl_link_get(&c->wl, p->orig.ifname, 0, l);
	return rc;
}

/* Rename, MAC, MTU, txqlen back; the device must be down to take a new name. */
static int reset_link(struct wctx *c, const struct wire_port *p, const struct wnl_link *l)
{
	const struct wire_snapshot *o = &p->orig;
	bool rename = strcmp(l->name, o->ifname) != 0;
	int rc = 0;

	if ((rename || memcmp(l->mac, o->mac, 6)) && (l->flags & IFF_UP))
		rc = fail(c, link_updown(&c->wl, l->ifindex, false), "setting down", l->name);
	if (rc == 0)
		rc = link_set(&c->wl, l->ifindex,
			      (struct wnl_link_set){.netns_fd = -1,
						    .name = rename ? o->ifname : NULL,
						    .mac = o->mac,
						    .mtu = o->mtu,
						    .set_txqlen = true,
						    .txqlen = o->txqlen});
	if (rc == -EEXIST)
		wire_err(c->err, c->errlen, "cannot rename %s back: %s exists in workload netns",
			 l->name, o->ifname);
	else
		fail(c, rc, "resetting name/MAC/MTU of", l->name);
	return rc;
}

/* Enforcer side: vin goes (with its peer, the new device); vex goes home, or away if none. */
static int enf_clear(struct wctx *c, const struct wire_port *p)
{
	struct wnl_link l;
	int rc;

	rc = wnl_link_del_name(&c->enf, p->vin);
	if (rc < 0 && rc != -ENODEV)
		return fail(c, rc, "enforcer netns: deleting", p->vin);
	rc = wnl_link_get(&c->enf, p->vex, 0, &l);
	if (rc == -ENODEV)
		return 0;
	if (rc < 0)
		return fail(c, rc, "enforcer netns: looking up", p->vex);
	if (!c->wl_ok)
		return fail(c, wnl_link_del(&c->enf, l.ifindex), "enforcer netns: deleting",
			    p->vex);
	return fail(c, link_move(&c->enf, l.ifindex, c->wl_fd),
		    "moving back to the workload netns:", p->vex);
}

static int reinstate(struct wctx *c, const struct wire_port *p)
{
	struct wnl_link l;
	int rc;

	if (c->enf_ok) {
		rc = enf_clear(c, p);
		if (rc < 0)
			return rc;
	}
	if (!c->wl_ok)
		return 0;
	rc = find_original(c, p, &l);
	if (rc == -ENODEV)
		return REINSTATE_NOTHING;
	if (rc < 0)
		return fail(c, rc, "looking up", p->vex);
	rc = reset_link(c, p, &l);
	if (rc == 0)
		rc = wl_bring_up(c, l.ifindex, &p->orig);
	return rc;
}

static int open_wl(struct wctx *c)
{
	int rc = c->wl_fd < 0 ? -ENOENT : wnl_open(&c->wl, c->wl_fd);

	c->wl_ok = rc == 0;
	return rc;
}

static int open_enf(struct wctx *c)
{
	int rc = c->enf_fd < 0 ? -EBADF : wnl_open(&c->enf, c->enf_fd);

	c->enf_ok = rc == 0;
	return rc;
}

static void port_names(struct wire_port *p, const char *id)
{
	snprintf(p->id, sizeof(p->id), "%s", id);
	snprintf(p->vin, sizeof(p->vin), "vin%s", id);
	snprintf(p->vex, sizeof(p->vex), "vex%s", id);
}

int wire_pull(int wl_fd, int enf_fd, const char *iface, const char *id, struct wire_port *out,
	      char *err, size_t errlen)
{
	struct wctx c = {.wl_fd = wl_fd, .enf_fd = enf_fd, .err = err, .errlen = errlen};
	struct wire_port p = {0};
	int ifindex, rc;

	if (!wire_ifname_ok(iface) || !wire_id_ok(id)) {
		wire_err(err, errlen, "bad interface name or port id");
		return -EINVAL;
	}
	port_names(&p, id);
	rc = open_wl(&c);
	if (rc < 0) {
		wire_err(err, errlen, "workload netns: %s", strerror(-rc));
		return rc;
	}
	rc = open_enf(&c);
	if (rc < 0) {
		wire_err(err, errlen, "enforcer netns: %s", strerror(-rc));
		goto out;
	}
	if (netns_same(wl_fd, enf_fd) == 1) {
		wire_err(err, errlen, "workload and enforcer netns are the same");
		rc = -EINVAL;
		goto out;
	}
	rc = snap_read(&c.wl, wl_fd, iface, &p.orig, &ifindex, err, errlen);
	if (rc == 0)
		rc = names_free(&c, &p);
	if (rc < 0)
		goto out;
	rc = pull_steps(&c, &p, ifindex);
	if (rc < 0) {
		/* keep the first reason; the undo only logs its own trouble */
		struct wctx u = c;
		char uerr[256] = "";
		int r;

		u.err = uerr;
		u.errlen = sizeof(uerr);
		r = reinstate(&u, &p);
		if (r < 0)
			log_err("wire: undoing pull of %s: %s", iface, uerr);
		goto out;
	}
	*out = p;
	log_info("wire: pulled %s as %s/%s (%d addresses, %d routes)", iface, p.vin, p.vex,
		 p.orig.naddrs, p.orig.nroutes);
out:
	ctx_close(&c);
	return rc;
}

int wire_restore(int wl_fd, int enf_fd, const struct wire_port *p, char *err, size_t errlen)
{
	struct wctx c = {.wl_fd = wl_fd, .enf_fd = enf_fd, .err = err, .errlen = errlen};
	int rc;

	if (!port_ok(p)) {
		wire_err(err, errlen, "bad port names");
		return -EINVAL;
	}
	rc = open_enf(&c);
	if (rc < 0) {
		wire_err(err, errlen, "enforcer netns: %s", strerror(-rc));
		return rc;
	}
	open_wl(&c);
	rc = reinstate(&c, p);
	if (!c.wl_ok && rc >= 0) {
		/* reinstate got no further than the enforcer side: that is all there is to do */
		wire_err(err, errlen, "workload netns gone; removed %s/%s", p->vin, p->vex);
		rc = -ENOENT;
	} else if (rc == REINSTATE_NOTHING) {
		log_info("wire: %s of port %s is gone; nothing to restore", p->orig.ifname, p->id);
		rc = 0;
	} else if (rc == 0) {
		log_info("wire: restored %s from %s", p->orig.ifname, p->vex);
	}
	ctx_close(&c);
	return rc;
}

int wire_port_lookup(int enf_fd, struct wire_port *p)
{
	struct wnl nl;
	struct wnl_link vin, vex;
	int rc;

	rc = wnl_open(&nl, enf_fd);
	if (rc < 0)
		return rc;
	rc = wnl_link_get(&nl, p->vin, 0, &vin);
	if (rc == 0)
		rc = wnl_link_get(&nl, p->vex, 0, &vex);
	wnl_close(&nl);
	if (rc < 0)
		return rc;
	p->vin_ifindex = vin.ifindex;
	p->vex_ifindex = vex.ifindex;
	return 0;
}
