/*
 * wire.c - the enforcer netns itself: its setup, the dp port pair, and the
 * port ids that name the devices of pulled workloads there.
 *
 * Pulling and restoring live in wire-pull.c, the snapshot in wire-snap.c,
 * rtnetlink in wire-nl.c, workloads.json encoding in wire-json.c.
 */
#include "wire.h"
#include "wire-int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * FNV-1a 32: stable across builds and hosts, so a later bulkheadd finds the
 * same vin/vex names for a workload; 8 hex digits keep "vex" + id in IFNAMSIZ.
 */
void wire_port_id(const char *workload_name, char id[9])
{
	uint32_t h = 0x811c9dc5u;

	for (const unsigned char *s = (const unsigned char *)workload_name; s && *s; s++) {
		h ^= *s;
		h *= 0x01000193u;
	}
	snprintf(id, 9, "%08x", h);
}

bool wire_ifname_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || (unsigned char)name[i] <= ' ' ||
		    name[i] == 0x7f)
			return false;
	return true;
}

bool wire_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > 8)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z')))
			return false;
	return true;
}

int wire_enforcer_setup(int enf_fd)
{
	struct wnl nl;
	struct wnl_link lo;
	int rc;

	rc = wnl_open(&nl, enf_fd);
	if (rc < 0)
		return rc;
	rc = wnl_link_get(&nl, "lo", 0, &lo);
	if (rc == 0)
		rc = wnl_link_set(&nl, lo.ifindex,
				  &(struct wnl_link_set){.netns_fd = -1, .flags_on = IFF_UP});
	wnl_close(&nl);
	if (rc < 0)
		return rc;
	/* devices moved in (vex) take the netns defaults: keep them silent on IPv6 */
	rc = ns_sysctl(enf_fd, "/proc/sys/net/ipv6/conf/default/disable_ipv6", NULL, 0, "1");
	return rc == -ENOENT ? 0 : rc;
}

/* Largest MTU the pair takes: what the kernel says, else 65535, else a jumbo frame. */
static int dp_set_mtu(struct wnl *nl, const struct wnl_link *dp, const struct wnl_link *dpp)
{
	uint32_t tries[] = {dp->max_mtu, 65535, 9000};
	int rc = -EINVAL;

	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		if (!tries[i])
			continue;
		/* the peer first: veth may refuse a side larger than what its peer accepts */
		rc = wnl_link_set(nl, dpp->ifindex,
				  &(struct wnl_link_set){.netns_fd = -1, .mtu = tries[i]});
		if (rc == 0)
			rc = wnl_link_set(nl, dp->ifindex,
					  &(struct wnl_link_set){.netns_fd = -1, .mtu = tries[i]});
		if (rc == 0)
			return 0;
	}
	return rc;
}

static int dp_up(struct wnl *nl, int ifindex)
{
	int rc;

	rc = wnl_link_set(nl, ifindex,
			  &(struct wnl_link_set){.netns_fd = -1, .addr_gen_none = true});
	if (rc < 0 && rc != -EAFNOSUPPORT)
		return rc;
	return wnl_link_set(nl, ifindex,
			    &(struct wnl_link_set){.netns_fd = -1, .flags_on = IFF_UP | IFF_NOARP});
}

/* An existing dp is reused only if it is the veth pair we want; anything else is replaced. */
static int dp_find_or_make(struct wnl *nl, const char *dp, const char *dpp, struct wnl_link *ldp,
			   struct wnl_link *ldpp)
{
	int rc = wnl_link_get(nl, dp, 0, ldp);

	if (rc == 0 && !strcmp(ldp->kind, "veth") && wnl_link_get(nl, dpp, 0, ldpp) == 0)
		return 0;
	if (rc == 0)
		wnl_link_del(nl, ldp->ifindex);
	else if (rc != -ENODEV)
		return rc;
	if (wnl_link_get(nl, dpp, 0, ldpp) == 0)
		wnl_link_del(nl, ldpp->ifindex);
	rc = wnl_veth_add(nl, &(struct wnl_veth){.name = dp, .peer = dpp, .peer_netns_fd = -1});
	if (rc == 0)
		rc = wnl_link_get(nl, dp, 0, ldp);
	if (rc == 0)
		rc = wnl_link_get(nl, dpp, 0, ldpp);
	return rc;
}

int wire_dp_create(int enf_fd, const char *dp, const char *dpp, int *dp_ifindex, int *dpp_ifindex,
		   char *err, size_t errlen)
{
	struct wnl_link ldp, ldpp;
	struct wnl nl;
	int rc;

	rc = wnl_open(&nl, enf_fd);
	if (rc < 0) {
		wire_err(err, errlen, "enforcer netns: %s", strerror(-rc));
		return rc;
	}
	rc = dp_find_or_make(&nl, dp, dpp, &ldp, &ldpp);
	if (rc < 0) {
		wire_err(err, errlen, "creating veth %s/%s: %s", dp, dpp, strerror(-rc));
		goto out;
	}
	rc = dp_set_mtu(&nl, &ldp, &ldpp);
	if (rc == 0)
		rc = dp_up(&nl, ldp.ifindex);
	if (rc == 0)
		rc = dp_up(&nl, ldpp.ifindex);
	if (rc < 0) {
		wire_err(err, errlen, "setting up %s/%s: %s", dp, dpp, strerror(-rc));
		goto out;
	}
	*dp_ifindex = ldp.ifindex;
	*dpp_ifindex = ldpp.ifindex;
out:
	wnl_close(&nl);
	return rc;
}

int wire_dp_destroy(int enf_fd, const char *dp)
{
	struct wnl nl;
	int rc;

	rc = wnl_open(&nl, enf_fd);
	if (rc < 0)
		return rc;
	rc = wnl_link_del_name(&nl, dp);
	wnl_close(&nl);
	return rc == -ENODEV ? 0 : rc;
}
