/*
 * wire-snap.c - what a workload's interface looks like, and putting it back.
 *
 * The snapshot keeps only what the kernel will not recreate by itself:
 * addresses, and routes the workload's runtime added (proto kernel routes
 * and the local table come back with the addresses).  Putting it back
 * replays addresses in an order that makes `ip addr` list them as before,
 * then routes in the order read, so gateways find their on-link prefix.
 */
#include "wire-int.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "netns.h"
#include "wire.h"


int ns_sysctl(int ns_fd, const char *path, char *old, size_t oldlen, const char *newval)
{
	struct netns_saved saved;
	int fd, rc = 0;
	ssize_t n;

	/* /proc/sys/net resolves against the opener's netns, so open while entered */
	rc = netns_enter(ns_fd, &saved);
	if (rc < 0)
		return rc;
	fd = open(path, (newval ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	netns_leave(&saved);
	if (fd < 0)
		return -errno;
	if (old && oldlen) {
		n = read(fd, old, oldlen - 1);
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		old[n] = '\0';
		old[strcspn(old, "\n")] = '\0';
	}
	/* at offset 0: with sysctl_writes_strict a write after the read is silently dropped */
	if (newval && pwrite(fd, newval, strlen(newval), 0) < 0)
		rc = -errno;
out:
	close(fd);
	return rc;
}

int dad_off(struct dad_guard *g, int ns_fd, const char *ifname)
{
	int rc;

	memset(g, 0, sizeof(*g));
	g->ns_fd = ns_fd;
	snprintf(g->path, sizeof(g->path), "/proc/sys/net/ipv6/conf/%s/accept_dad", ifname);
	rc = ns_sysctl(ns_fd, g->path, g->old, sizeof(g->old), "0");
	if (rc == -ENOENT)
		return 0; /* no IPv6 in that netns: nothing to wait for */
	if (rc < 0)
		return rc;
	g->active = true;
	return 0;
}

int dad_restore(struct dad_guard *g)
{
	int rc;

	if (!g->active)
		return 0;
	g->active = false;
	rc = ns_sysctl(g->ns_fd, g->path, NULL, 0, g->old);
	return rc == -ENOENT ? 0 : rc;
}

int ipv6_off_set(int ns_fd, const char *ifname)
{
	char path[96];
	int rc;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	rc = ns_sysctl(ns_fd, path, NULL, 0, "1");
	return rc == -ENOENT ? 0 : rc;
}

static bool ipv6_off_get(int ns_fd, const char *ifname)
{
	char path[96], val[16] = "";

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	return ns_sysctl(ns_fd, path, val, sizeof(val), NULL) == 0 && strcmp(val, "0") != 0;
}

struct tentative {
	int ifindex;
	int count;
};

static int tentative_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1];
	struct tentative *t = data;
	uint32_t flags;

	if (nlh->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != t->ifindex)
		return 0;
	wnl_parse(nlh, sizeof(*ifa), tb, IFA_MAX);
	if (!wnl_u32(tb[IFA_FLAGS], &flags))
		flags = ifa->ifa_flags;
	if ((flags & IFA_F_TENTATIVE) && !(flags & IFA_F_DADFAILED))
		t->count++;
	return 0;
}

/*
 * addrconf starts on a link only once its operstate is up, which linkwatch
 * sets a moment after "up"; addresses added before that wait for it and run
 * DAD then.  So accept_dad must stay 0 until addrconf has taken the link.
 */
int dad_wait_ready(struct wnl *nl, int ifindex)
{
	struct timespec nap = {0, 2 * 1000 * 1000};
	struct wnl_link l;
	int rc;

	for (int i = 0; i < 500; i++) {
		rc = wnl_link_get(nl, NULL, ifindex, &l);
		if (rc < 0)
			return rc;
		if (!l.inet6 || l.inet6_disabled || (l.inet6_flags & WNL_IN6_IF_READY))
			return 0;
		nanosleep(&nap, NULL);
	}
	log_warn("wire: %s: link not ready for IPv6 after 1 s (peer down?)", l.name);
	return 0;
}

/*
 * With accept_dad 0 the kernel still clears "tentative" from a work item;
 * putting accept_dad back before it ran would start a real DAD, so wait
 * (briefly: if DAD is forced on by conf/all, we do not wait it out).
 */
void dad_settle(struct wnl *nl, int ifindex)
{
	struct timespec nap = {0, 2 * 1000 * 1000};

	for (int i = 0; i < 150; i++) {
		struct tentative t = {ifindex, 0};

		if (wnl_dump(nl, RTM_GETADDR, AF_INET6, tentative_cb, &t) < 0 || t.count == 0)
			return;
		nanosleep(&nap, NULL);
	}
	log_warn("wire: IPv6 addresses of ifindex %d still tentative (DAD forced on?)", ifindex);
}

/* Snapshot */

struct snap_ctx {
	struct wire_snapshot *s;
	int ifindex;
};

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1], *local;
	struct snap_ctx *c = data;
	struct wire_addr a = {0};
	int alen;

	if (nlh->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != c->ifindex)
		return 0;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return 0;
	wnl_parse(nlh, sizeof(*ifa), tb, IFA_MAX);
	a.family = ifa->ifa_family;
	a.prefixlen = ifa->ifa_prefixlen;
	a.scope = ifa->ifa_scope;
	if (!wnl_u32(tb[IFA_FLAGS], &a.flags))
		a.flags = ifa->ifa_flags;
	/* privacy addresses are the kernel's to make up again, never ours to pin */
	if (a.family == AF_INET6 && (a.flags & IFA_F_TEMPORARY))
		return 0;
	alen = wire_family_len(a.family);
	local = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!wnl_bytes(local, a.local, alen))
		return 0;
	if (a.family == AF_INET && wnl_bytes(tb[IFA_BROADCAST], a.brd, 4))
		a.has_brd = true;
	if (tb[IFA_LABEL] && strcmp(mnl_attr_get_str(tb[IFA_LABEL]), c->s->ifname) != 0)
		snprintf(a.label, sizeof(a.label), "%s", mnl_attr_get_str(tb[IFA_LABEL]));
	if (c->s->naddrs >= WIRE_MAX_ADDRS)
		return -E2BIG;
	c->s->addrs[c->s->naddrs++] = a;
	return 0;
}

/* Routes the kernel makes by itself when the device and its addresses come back. */
static bool route_is_kernels(const struct rtmsg *rtm, uint32_t table, const uint8_t *dst)
{
	if (rtm->rtm_protocol == RTPROT_KERNEL || table == RT_TABLE_LOCAL)
		return true;
	/* ff00::/8 and fe80::/64 are proto kernel too; multicast is checked in case a
	 * runtime re-added it by hand, since it comes back on "up" anyway */
	return rtm->rtm_family == AF_INET6 && rtm->rtm_dst_len == 8 && dst[0] == 0xff;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1];
	struct snap_ctx *c = data;
	struct wire_route r = {0};
	uint32_t oif = 0;
	int alen;

	if (nlh->nlmsg_type != RTM_NEWROUTE || (rtm->rtm_flags & RTM_F_CLONED))
		return 0;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return 0;
	wnl_parse(nlh, sizeof(*rtm), tb, RTA_MAX);
	if (!wnl_u32(tb[RTA_OIF], &oif) || (int)oif != c->ifindex)
		return 0;
	alen = wire_family_len(rtm->rtm_family);
	r.family = rtm->rtm_family;
	r.dst_len = rtm->rtm_dst_len;
	r.scope = rtm->rtm_scope;
	r.protocol = rtm->rtm_protocol;
	r.type = rtm->rtm_type;
	r.flags = rtm->rtm_flags;
	if (!wnl_u32(tb[RTA_TABLE], &r.table))
		r.table = rtm->rtm_table;
	if (r.dst_len)
		wnl_bytes(tb[RTA_DST], r.dst, alen);
	if (route_is_kernels(rtm, r.table, r.dst))
		return 0;
	if (tb[RTA_MULTIPATH] || tb[RTA_VIA] || tb[RTA_NH_ID] || rtm->rtm_src_len || rtm->rtm_tos) {
		/* a wire_route cannot say these; better a loud gap than a wrong route */
		log_warn("wire: %s: not keeping a route of table %u (multipath, via, nexthop "
			 "object, source or tos)",
			 c->s->ifname, r.table);
		return 0;
	}
	r.has_gw = wnl_bytes(tb[RTA_GATEWAY], r.gw, alen);
	r.has_prefsrc = wnl_bytes(tb[RTA_PREFSRC], r.prefsrc, alen);
	wnl_u32(tb[RTA_PRIORITY], &r.priority);
	if (c->s->nroutes >= WIRE_MAX_ROUTES)
		return -E2BIG;
	c->s->routes[c->s->nroutes++] = r;
	return 0;
}

static int snap_dump(struct wnl *nl, struct snap_ctx *c)
{
	int rc;

	rc = wnl_dump(nl, RTM_GETADDR, AF_INET, addr_cb, c);
	if (rc == 0)
		rc = wnl_dump(nl, RTM_GETADDR, AF_INET6, addr_cb, c);
	if (rc == 0)
		rc = wnl_dump(nl, RTM_GETROUTE, AF_INET, route_cb, c);
	if (rc == 0)
		rc = wnl_dump(nl, RTM_GETROUTE, AF_INET6, route_cb, c);
	return rc;
}

int snap_read(struct wnl *nl, int ns_fd, const char *iface, struct wire_snapshot *s, int *ifindex,
	      char *err, size_t errlen)
{
	struct snap_ctx c = {.s = s};
	struct wnl_link l;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = wnl_link_get(nl, iface, 0, &l);
	if (rc == -ENODEV) {
		wire_err(err, errlen, "interface %s not found in netns", iface);
		return rc;
	}
	if (rc < 0) {
		wire_err(err, errlen, "interface %s: %s", iface, strerror(-rc));
		return rc;
	}
	if (l.type != ARPHRD_ETHER || l.mac_len != 6) {
		wire_err(err, errlen, "interface %s is not an Ethernet device", iface);
		return -EOPNOTSUPP;
	}
	snprintf(s->ifname, sizeof(s->ifname), "%s", l.name);
	memcpy(s->mac, l.mac, 6);
	s->mtu = l.mtu;
	s->txqlen = l.txqlen;
	s->ipv6_off = ipv6_off_get(ns_fd, l.name);
	c.ifindex = l.ifindex;
	/* EINTR: the tables changed under a dump (NLM_F_DUMP_INTR); read them all again */
	for (int tries = 0; tries < 3; tries++) {
		s->naddrs = s->nroutes = 0;
		rc = snap_dump(nl, &c);
		if (rc != -EINTR)
			break;
	}
	if (rc == -E2BIG) {
		wire_err(err, errlen, "interface %s: more than %d addresses or %d routes", iface,
			 WIRE_MAX_ADDRS, WIRE_MAX_ROUTES);
		return rc;
	}
	if (rc < 0) {
		wire_err(err, errlen, "interface %s: reading addresses/routes: %s", iface,
			 strerror(-rc));
		return rc;
	}
	*ifindex = l.ifindex;
	return 0;
}

int wire_snapshot_read(int wl_fd, const char *iface, struct wire_snapshot *snap, char *err,
		       size_t errlen)
{
	struct wnl nl;
	int ifindex, rc;

	if (!iface || !*iface || strlen(iface) >= IFNAMSIZ) {
		wire_err(err, errlen, "bad interface name");
		return -EINVAL;
	}
	rc = wnl_open(&nl, wl_fd);
	if (rc < 0) {
		wire_err(err, errlen, "workload netns: %s", strerror(-rc));
		return rc;
	}
	rc = snap_read(&nl, wl_fd, iface, snap, &ifindex, err, errlen);
	wnl_close(&nl);
	return rc;
}

/* Put back */

static int first_err(int rc, int now)
{
	return rc < 0 ? rc : now;
}

/*
 * IPv4 lists addresses in the order added; IPv6 lists the newest of a scope
 * first, so IPv6 goes in backwards to be listed as it was.
 */
int snap_put_addrs(struct wnl *nl, int ifindex, const struct wire_snapshot *s)
{
	int rc = 0, r;

	for (int i = 0; i < s->naddrs; i++) {
		if (s->addrs[i].family != AF_INET)
			continue;
		r = wnl_addr_add(nl, ifindex, &s->addrs[i]);
		if (r < 0 && r != -EEXIST)
			rc = first_err(rc, r);
	}
	for (int i = s->naddrs - 1; i >= 0; i--) {
		if (s->addrs[i].family != AF_INET6)
			continue;
		/* EEXIST: the link-local the kernel made again from the same MAC */
		r = wnl_addr_add(nl, ifindex, &s->addrs[i]);
		if (r < 0 && r != -EEXIST)
			rc = first_err(rc, r);
	}
	return rc;
}

int snap_put_routes(struct wnl *nl, int ifindex, const struct wire_snapshot *s)
{
	int rc = 0, r;

	for (int i = 0; i < s->nroutes; i++) {
		r = wnl_route_add(nl, ifindex, &s->routes[i]);
		if (r < 0 && r != -EEXIST) {
			log_warn("wire: %s: route %d of %d: %s", s->ifname, i + 1, s->nroutes,
				 strerror(-r));
			rc = first_err(rc, r);
		}
	}
	return rc;
}

int snap_drop_addrs(struct wnl *nl, int ifindex, const struct wire_snapshot *s)
{
	int rc = 0, r;

	for (int i = 0; i < s->naddrs; i++) {
		r = wnl_addr_del(nl, ifindex, &s->addrs[i]);
		/* IPv6 went with "down"; IPv4 secondaries go with their primary */
		if (r < 0 && r != -EADDRNOTAVAIL && r != -ENOENT)
			rc = first_err(rc, r);
	}
	return rc;
}
