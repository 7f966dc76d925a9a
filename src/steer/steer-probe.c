/*
 * steer-probe.c - finding out, without side effects, whether a tc action kind exists.
 *
 * The tc driver needs act_pedit (the seed rewrites MACs with it); this kernel has none, and
 * trying `tc actions add action pedit` to find out would leave an action behind where it works.
 * A dump (tc actions ls) cannot tell: the kernel answers an empty dump for an unknown kind.  A
 * RTM_GETACTION of one action does: tcf_action_get_1() looks the kind up first (EINVAL,
 * "Specified TC action kind not found") and only then the index (ENOENT).  Index 0 is never
 * allocated, so a known kind answers ENOENT.  The kernel here has no loadable modules; a kernel
 * that does would only answer for loaded ones, so we also accept an act_KIND module on disk
 * (tc autoloads it on first use).
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "steer-probe.h"
#include "steer.h"

/* True when /lib/modules/<release>/modules.dep lists act_<kind>.ko. */
static bool module_on_disk(const char *kind)
{
	char path[300], want[64], line[512];
	struct utsname u;
	bool found = false;
	FILE *f;

	if (uname(&u) < 0)
		return false;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", u.release);
	snprintf(want, sizeof(want), "/act_%s.ko", kind);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (colon)
			*colon = '\0';
		found = strstr(line, want) != NULL;
	}
	fclose(f);
	return found;
}

static void put_get_request(struct nlmsghdr *nlh, const char *kind, unsigned int seq)
{
	struct nlattr *tab, *act;
	struct tcamsg *t;

	nlh->nlmsg_type = RTM_GETACTION;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tca_family = AF_UNSPEC;
	tab = mnl_attr_nest_start(nlh, TCA_ACT_TAB);
	act = mnl_attr_nest_start(nlh, 1); /* first (and only) action of the list */
	mnl_attr_put_strz(nlh, TCA_ACT_KIND, kind);
	mnl_attr_put_u32(nlh, TCA_ACT_INDEX, 0);
	mnl_attr_nest_end(nlh, act);
	mnl_attr_nest_end(nlh, tab);
}

/* The kernel's answer to the GET: 0 (found), or the -errno of its NLMSG_ERROR. */
static int ask(struct mnl_socket *nl, const char *kind)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int seq = (unsigned int)time(NULL), portid;
	struct nlmsghdr *nlh;
	ssize_t n;
	int rc;

	nlh = mnl_nlmsg_put_header(buf);
	put_get_request(nlh, kind, seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	portid = mnl_socket_get_portid(nl);
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		rc = mnl_cb_run(buf, n, seq, portid, NULL, NULL);
	} while (rc == MNL_CB_OK);
	return rc == MNL_CB_ERROR ? -errno : 0;
}

int steer_probe_action(const char *kind)
{
	struct mnl_socket *nl;
	int rc;

	if (!kind || !*kind || strlen(kind) >= IF_NAMESIZE || strchr(kind, '/'))
		return -EINVAL;
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		mnl_socket_close(nl);
		return rc;
	}
	rc = ask(nl, kind);
	mnl_socket_close(nl);
	if (rc == 0 || rc == -ENOENT)
		return 1;
	if (rc == -EINVAL)
		return module_on_disk(kind) ? 1 : 0;
	return rc;
}

bool steer_have_pedit(void)
{
	return steer_probe_action("pedit") == 1;
}
