/*
 * wire-nl.c - the rtnetlink requests wire needs, on libmnl.
 *
 * A netlink socket talks to the netns of the thread that created it, so a
 * struct wnl is opened while entered in the target netns and then used from
 * anywhere; an operation keeps one per netns it touches.  Every request asks
 * for an ACK, so each call returns the kernel's own errno and nothing is
 * left queued on the socket for the next request to trip over.
 */
#include "wire-int.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/ipv6.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netns.h"

/* Requests are a few attributes; 4 KiB leaves ample room. */
#define WNL_REQ_SIZE 4096
/* A dump part can be as large as the kernel's 32 KiB skb; a smaller buffer truncates it. */
#define WNL_RECV_SIZE 32768

/* Address flags the kernel accepts from userspace on RTM_NEWADDR. */
#define WNL_IFA_SETTABLE                                                                           \
	(IFA_F_NODAD | IFA_F_OPTIMISTIC | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR |               \
	 IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN)

int wnl_open(struct wnl *nl, int netns_fd)
{
	struct netns_saved saved;
	int rc;

	memset(nl, 0, sizeof(*nl));
	if (netns_fd < 0)
		return -EBADF;
	nl->rbuf = malloc(WNL_RECV_SIZE);
	if (!nl->rbuf)
		return -ENOMEM;
	rc = netns_enter(netns_fd, &saved);
	if (rc < 0)
		goto fail;
	nl->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sk)
		rc = -errno;
	else if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0)
		rc = -errno;
	if (netns_leave(&saved) < 0 && rc == 0)
		rc = -EIO; /* stuck in the wrong netns: nothing after this would be safe */
	if (rc < 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->sk);
	return 0;
fail:
	wnl_close(nl);
	return rc;
}

void wnl_close(struct wnl *nl)
{
	if (nl->sk)
		mnl_socket_close(nl->sk);
	free(nl->rbuf);
	memset(nl, 0, sizeof(*nl));
}

struct talk {
	wnl_msg_fn fn;
	void *data;
	int rc;
};

/* Keep reading after a callback error so the rest of a dump does not stay queued. */
static int talk_cb(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int rc;

	if (!t->fn || t->rc < 0)
		return MNL_CB_OK;
	rc = t->fn(nlh, t->data);
	if (rc < 0)
		t->rc = rc;
	return MNL_CB_OK;
}

/* Read and discard until the end of request seq: a dump cut short must not poison the socket. */
static void wnl_drain(struct wnl *nl, unsigned int seq)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sk, nl->rbuf, WNL_RECV_SIZE);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)nl->rbuf;
		int len = (int)n;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
				return;
		}
	}
}

/* dump is explicit: NLM_F_DUMP shares bits with NLM_F_EXCL/REPLACE of "new" requests */
static int wnl_run(struct wnl *nl, struct nlmsghdr *nlh, bool dump, wnl_msg_fn fn, void *data)
{
	struct talk t = {.fn = fn, .data = data};
	unsigned int seq = ++nl->seq;

	nlh->nlmsg_seq = seq;
	if (!dump)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sk, nl->rbuf, WNL_RECV_SIZE);
		int rc;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		rc = mnl_cb_run(nl->rbuf, n, seq, nl->portid, talk_cb, &t);
		if (rc == MNL_CB_STOP)
			return t.rc;
		if (rc < 0) {
			rc = errno ? -errno : -EIO;
			/* an error ACK ends the request; an interrupted dump does not */
			if (dump && rc == -EINTR)
				wnl_drain(nl, seq);
			return rc;
		}
	}
}

static int wnl_talk(struct wnl *nl, struct nlmsghdr *nlh, wnl_msg_fn fn, void *data)
{
	return wnl_run(nl, nlh, false, fn, data);
}

struct tb_ctx {
	const struct nlattr **tb;
	int max;
};

static int tb_cb(const struct nlattr *a, void *data)
{
	struct tb_ctx *t = data;
	int type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

void wnl_parse(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb, int max)
{
	struct tb_ctx t = {tb, max};

	memset(tb, 0, sizeof(*tb) * (max + 1));
	mnl_attr_parse(nlh, hdrlen, tb_cb, &t);
}

void wnl_parse_nested(const struct nlattr *nest, const struct nlattr **tb, int max)
{
	struct tb_ctx t = {tb, max};

	memset(tb, 0, sizeof(*tb) * (max + 1));
	mnl_attr_parse_nested(nest, tb_cb, &t);
}

bool wnl_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || mnl_attr_get_payload_len(a) < sizeof(uint32_t))
		return false;
	*v = mnl_attr_get_u32(a);
	return true;
}

bool wnl_bytes(const struct nlattr *a, void *dst, size_t len)
{
	if (!a || mnl_attr_get_payload_len(a) != len)
		return false;
	memcpy(dst, mnl_attr_get_payload(a), len);
	return true;
}

int wnl_dump(struct wnl *nl, uint16_t type, uint8_t family, wnl_msg_fn fn, void *data)
{
	char buf[WNL_REQ_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	/* rtmsg and ifaddrmsg both start with the family; the kernel reads the larger header */
	g = mnl_nlmsg_put_extra_header(nlh, type == RTM_GETROUTE ? sizeof(struct rtmsg)
								 : sizeof(struct ifaddrmsg));
	g->rtgen_family = family;
	return wnl_run(nl, nlh, true, fn, data);
}

/* Links */

static void link_inet6(const struct nlattr *spec, struct wnl_link *l)
{
	const struct nlattr *af, *tb[IFLA_INET6_MAX + 1];

	mnl_attr_for_each_nested(af, spec)
	{
		if (mnl_attr_get_type(af) != AF_INET6)
			continue;
		wnl_parse_nested(af, tb, IFLA_INET6_MAX);
		l->inet6 = true;
		wnl_u32(tb[IFLA_INET6_FLAGS], &l->inet6_flags);
		/* IFLA_INET6_CONF is the devconf array, indexed by DEVCONF_* */
		if (tb[IFLA_INET6_CONF] && mnl_attr_get_payload_len(tb[IFLA_INET6_CONF]) >
					       DEVCONF_DISABLE_IPV6 * sizeof(int32_t)) {
			const int32_t *conf = mnl_attr_get_payload(tb[IFLA_INET6_CONF]);

			l->inet6_disabled = conf[DEVCONF_DISABLE_IPV6] != 0;
		}
	}
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	struct wnl_link *l = data;
	size_t n;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	memset(l, 0, sizeof(*l));
	wnl_parse(nlh, sizeof(*ifm), tb, IFLA_MAX);
	l->ifindex = ifm->ifi_index;
	l->type = ifm->ifi_type;
	l->flags = ifm->ifi_flags;
	if (tb[IFLA_IFNAME])
		snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_ADDRESS]) {
		n = mnl_attr_get_payload_len(tb[IFLA_ADDRESS]);
		l->mac_len = (int)(n < sizeof(l->mac) ? n : sizeof(l->mac));
		memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), l->mac_len);
		if (n > sizeof(l->mac))
			l->mac_len = (int)n; /* not Ethernet: the caller refuses it */
	}
	wnl_u32(tb[IFLA_MTU], &l->mtu);
	wnl_u32(tb[IFLA_MAX_MTU], &l->max_mtu);
	wnl_u32(tb[IFLA_TXQLEN], &l->txqlen);
	if (tb[IFLA_LINKINFO]) {
		wnl_parse_nested(tb[IFLA_LINKINFO], li, IFLA_INFO_MAX);
		if (li[IFLA_INFO_KIND])
			snprintf(l->kind, sizeof(l->kind), "%s",
				 mnl_attr_get_str(li[IFLA_INFO_KIND]));
	}
	if (tb[IFLA_AF_SPEC])
		link_inet6(tb[IFLA_AF_SPEC], l);
	return 0;
}

int wnl_link_get(struct wnl *nl, const char *name, int ifindex, struct wnl_link *out)
{
	char buf[WNL_REQ_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	int rc;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = name ? 0 : ifindex;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	out->ifindex = 0;
	rc = wnl_talk(nl, nlh, link_cb, out);
	if (rc == 0 && out->ifindex <= 0)
		rc = -ENODEV;
	return rc;
}

static void put_addr_gen_none(struct nlmsghdr *nlh)
{
	struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	struct nlattr *in6 = mnl_attr_nest_start(nlh, AF_INET6);

	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, in6);
	mnl_attr_nest_end(nlh, spec);
}

int wnl_link_set(struct wnl *nl, int ifindex, const struct wnl_link_set *s)
{
	char buf[WNL_REQ_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	ifm->ifi_flags = s->flags_on;
	ifm->ifi_change = s->flags_on | s->flags_off;
	if (s->name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, s->name);
	if (s->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, s->mac);
	if (s->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, s->mtu);
	if (s->set_txqlen)
		mnl_attr_put_u32(nlh, IFLA_TXQLEN, s->txqlen);
	if (s->netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)s->netns_fd);
	if (s->addr_gen_none)
		put_addr_gen_none(nlh);
	return wnl_talk(nl, nlh, NULL, NULL);
}

int wnl_link_del(struct wnl *nl, int ifindex)
{
	char buf[WNL_REQ_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = RTM_DELLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	return wnl_talk(nl, nlh, NULL, NULL);
}

int wnl_link_del_name(struct wnl *nl, const char *name)
{
	struct wnl_link l;
	int rc = wnl_link_get(nl, name, 0, &l);

	return rc < 0 ? rc : wnl_link_del(nl, l.ifindex);
}

int wnl_veth_add(struct wnl *nl, const struct wnl_veth *v)
{
	char buf[WNL_REQ_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *info, *data, *peer;
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, v->name);
	if (v->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, v->mac);
	if (v->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, v->mtu);
	if (v->set_txqlen)
		mnl_attr_put_u32(nlh, IFLA_TXQLEN, v->txqlen);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* the peer's attributes follow its own ifinfomsg, as in a top-level RTM_NEWLINK */
	ifm = (struct ifinfomsg *)((char *)nlh + nlh->nlmsg_len);
	memset(ifm, 0, MNL_ALIGN(sizeof(*ifm)));
	nlh->nlmsg_len += MNL_ALIGN(sizeof(*ifm));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, v->peer);
	if (v->peer_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)v->peer_netns_fd);
	if (v->peer_mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, v->peer_mtu);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return wnl_talk(nl, nlh, NULL, NULL);
}

/* Addresses and routes */

static struct nlmsghdr *addr_msg(char *buf, uint16_t type, uint16_t flags, int ifindex,
				 const struct wire_addr *a)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	int alen = wire_family_len(a->family);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_scope = a->scope;
	ifa->ifa_index = ifindex;
	if (a->family == AF_INET)
		mnl_attr_put(nlh, IFA_LOCAL, alen, a->local);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, a->local);
	return nlh;
}

int wnl_addr_add(struct wnl *nl, int ifindex, const struct wire_addr *a)
{
	char buf[WNL_REQ_SIZE];
	struct nlmsghdr *nlh = addr_msg(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, a);
	uint32_t flags = a->flags & WNL_IFA_SETTABLE;
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);

	ifa->ifa_flags = (uint8_t)flags;
	mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
	if (a->family == AF_INET && a->has_brd)
		mnl_attr_put(nlh, IFA_BROADCAST, 4, a->brd);
	if (a->family == AF_INET && a->label[0])
		mnl_attr_put_strz(nlh, IFA_LABEL, a->label);
	return wnl_talk(nl, nlh, NULL, NULL);
}

int wnl_addr_del(struct wnl *nl, int ifindex, const struct wire_addr *a)
{
	char buf[WNL_REQ_SIZE];

	return wnl_talk(nl, addr_msg(buf, RTM_DELADDR, 0, ifindex, a), NULL, NULL);
}

int wnl_route_add(struct wnl *nl, int ifindex, const struct wire_route *r)
{
	char buf[WNL_REQ_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	int alen = wire_family_len(r->family);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = r->family;
	rtm->rtm_dst_len = r->dst_len;
	rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = r->protocol;
	rtm->rtm_scope = r->scope;
	rtm->rtm_type = r->type;
	/* on a request rtm_flags are next-hop flags; only onlink is ours to ask for */
	rtm->rtm_flags = r->flags & RTNH_F_ONLINK;
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->dst_len)
		mnl_attr_put(nlh, RTA_DST, alen, r->dst);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	if (r->has_gw)
		mnl_attr_put(nlh, RTA_GATEWAY, alen, r->gw);
	if (r->has_prefsrc)
		mnl_attr_put(nlh, RTA_PREFSRC, alen, r->prefsrc);
	if (r->priority)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->priority);
	return wnl_talk(nl, nlh, NULL, NULL);
}
