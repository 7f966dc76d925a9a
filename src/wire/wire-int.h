/*
 * wire-int.h - internals shared by the wire files: the rtnetlink layer
 * (wire-nl.c), snapshot read/apply (wire-snap.c) and error text.
 *
 * Not installed and not included outside src/wire: callers use wire.h.
 */
#ifndef BH_WIRE_INT_H
#define BH_WIRE_INT_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "wire-t.h"

struct mnl_socket;
struct nlattr;
struct nlmsghdr;

/* One rtnetlink socket, bound for good to the netns it was opened in. */
struct wnl {
	struct mnl_socket *sk;
	unsigned int portid;
	unsigned int seq;
	char *rbuf; /* 32 KiB: a dump part does not fit a smaller buffer */
};

/* What we need to know of a link. */
struct wnl_link {
	int ifindex;
	unsigned short type; /* ARPHRD_* */
	unsigned int flags;  /* IFF_* */
	char name[IFNAMSIZ];
	char kind[16]; /* IFLA_INFO_KIND, "" when none */
	uint8_t mac[6];
	int mac_len;
	uint32_t mtu;
	uint32_t max_mtu; /* 0 when the kernel did not say */
	uint32_t txqlen;
	bool inet6;	      /* the device has IPv6 state (IFLA_AF_SPEC/AF_INET6) */
	uint32_t inet6_flags; /* IFLA_INET6_FLAGS */
	bool inet6_disabled;  /* its disable_ipv6 is set */
};

/* inet6 device flag "addrconf has seen this link up" (include/net/if_inet6.h, not uapi). */
#define WNL_IN6_IF_READY 0x80000000u

/* One RTM_NEWLINK on an existing link; unset fields are left alone. */
struct wnl_link_set {
	const char *name;
	const uint8_t *mac;
	uint32_t mtu; /* 0: keep */
	bool set_txqlen;
	uint32_t txqlen;
	int netns_fd;	       /* <0: stay */
	bool addr_gen_none;    /* IFLA_INET6_ADDR_GEN_MODE = NONE */
	unsigned int flags_on; /* IFF_UP, IFF_NOARP */
	unsigned int flags_off;
};

/* A veth pair: name lives in the socket's netns, peer in peer_netns_fd (<0: same). */
struct wnl_veth {
	const char *name;
	const uint8_t *mac; /* NULL: random */
	uint32_t mtu;	    /* 0: default */
	bool set_txqlen;
	uint32_t txqlen;
	const char *peer;
	int peer_netns_fd;
	uint32_t peer_mtu;
};

typedef int (*wnl_msg_fn)(const struct nlmsghdr *nlh, void *data);

int wnl_open(struct wnl *nl, int netns_fd);
void wnl_close(struct wnl *nl);
int wnl_dump(struct wnl *nl, uint16_t type, uint8_t family, wnl_msg_fn fn, void *data);

/* Attribute table of a message or nest; tb[] has max + 1 slots. */
void wnl_parse(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb, int max);
void wnl_parse_nested(const struct nlattr *nest, const struct nlattr **tb, int max);
bool wnl_u32(const struct nlattr *a, uint32_t *v);
bool wnl_bytes(const struct nlattr *a, void *dst, size_t len);

int wnl_link_get(struct wnl *nl, const char *name, int ifindex, struct wnl_link *out);
int wnl_link_set(struct wnl *nl, int ifindex, const struct wnl_link_set *s);
int wnl_link_del(struct wnl *nl, int ifindex);
int wnl_link_del_name(struct wnl *nl, const char *name);
int wnl_veth_add(struct wnl *nl, const struct wnl_veth *v);

int wnl_addr_add(struct wnl *nl, int ifindex, const struct wire_addr *a);
int wnl_addr_del(struct wnl *nl, int ifindex, const struct wire_addr *a);
int wnl_route_add(struct wnl *nl, int ifindex, const struct wire_route *r);

/* wire-snap.c */
int snap_read(struct wnl *nl, int ns_fd, const char *iface, struct wire_snapshot *s, int *ifindex,
	      char *err, size_t errlen);
int snap_put_addrs(struct wnl *nl, int ifindex, const struct wire_snapshot *s);
int snap_put_routes(struct wnl *nl, int ifindex, const struct wire_snapshot *s);
int snap_drop_addrs(struct wnl *nl, int ifindex, const struct wire_snapshot *s);

/* Read and/or write a /proc/sys file as seen from netns ns_fd; old gets the value read. */
int ns_sysctl(int ns_fd, const char *path, char *old, size_t oldlen, const char *newval);

/*
 * Adding addresses without the DAD wait and without a "nodad" flag the
 * workload never had: accept_dad is 0 on the device while it comes up and
 * gets its addresses, and goes back once the kernel has settled them.
 */
struct dad_guard {
	int ns_fd;
	bool active;
	char path[96];
	char old[16];
};
int dad_off(struct dad_guard *g, int ns_fd, const char *ifname);
int dad_wait_ready(struct wnl *nl, int ifindex);
void dad_settle(struct wnl *nl, int ifindex);
int dad_restore(struct dad_guard *g);
int ipv6_off_set(int ns_fd, const char *ifname);

/* wire.c: names the kernel takes as they are (no '/', ':', space), and port ids. */
bool wire_ifname_ok(const char *name);
bool wire_id_ok(const char *id);

/* One-line reason for the caller; err may be NULL. */
#include "errbuf.h"
#define wire_err bh_errf

static inline int wire_family_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

#endif
