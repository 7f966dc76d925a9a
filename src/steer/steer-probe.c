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
#include <unistd.h>

#include "steer-priv.h"
#include "steer-probe.h"

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

static void put_get_request(struct nlmsghdr *nlh, const char *kind)
{
	struct nlattr *tab, *act;
	struct tcamsg *t;

	nlh->nlmsg_type = RTM_GETACTION;
	t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tca_family = AF_UNSPEC;
	tab = mnl_attr_nest_start(nlh, TCA_ACT_TAB);
	act = mnl_attr_nest_start(nlh, 1); /* first (and only) action of the list */
	mnl_attr_put_strz(nlh, TCA_ACT_KIND, kind);
	mnl_attr_put_u32(nlh, TCA_ACT_INDEX, 0);
	mnl_attr_nest_end(nlh, act);
	mnl_attr_nest_end(nlh, tab);
}

int steer_probe_action(const char *kind)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int rc;

	if (!kind || !*kind || strlen(kind) >= IF_NAMESIZE || strchr(kind, '/'))
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	put_get_request(nlh, kind);
	rc = steer_nl_request(nlh);
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
