/*
 * steer-nl.c - one rtnetlink request, one answer: the little netlink the steer drivers need
 * beyond libbpf (the tc action probe, an idempotent clsact).
 *
 * The socket is opened per request in the calling thread's netns, like libbpf does, so callers
 * choose the namespace with netns_enter() and nothing is cached across namespaces.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "steer-priv.h"

static int talk(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int rc;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (unsigned int)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, NULL, NULL);
	} while (rc == MNL_CB_OK);
	return rc == MNL_CB_ERROR ? -errno : 0;
}

int steer_nl_request(struct nlmsghdr *nlh)
{
	struct mnl_socket *nl;
	int rc;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		rc = -errno;
	else
		rc = talk(nl, nlh);
	mnl_socket_close(nl);
	return rc;
}

/*
 * clsact on ifindex, keeping one that exists (and its filters).  NLM_F_REPLACE without options
 * leaves an existing clsact untouched, where libbpf's bpf_tc_hook_create() insists on
 * NLM_F_EXCL and logs the kernel's refusal on every restart.
 */
int steer_clsact_ensure(int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct tcmsg *tc;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWQDISC;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	tc = mnl_nlmsg_put_extra_header(nlh, sizeof(*tc));
	tc->tcm_family = AF_UNSPEC;
	tc->tcm_ifindex = ifindex;
	tc->tcm_parent = TC_H_CLSACT;
	tc->tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
	mnl_attr_put_strz(nlh, TCA_KIND, "clsact");
	return steer_nl_request(nlh);
}
