/*
 * steer.bpf.c - tc ingress programs that put every IP frame of a pulled port through the dp.
 *
 * The ebpf driver (src/steer/steer-ebpf.c) attaches these on clsact ingress in the enforcer
 * netns.  The port and direction of a frame ride in its MAC (src/common/portmac.h): frames from
 * the workload (vin) get the unicast marker as source, frames toward it (vex) the unicast,
 * broadcast or multicast marker as destination.  The dp sends frames back unchanged (or drops
 * them); the program on the dp port puts the real MAC back and redirects to vin or vex.  Only IP
 * (and VLAN, which may carry IP) goes through the dp: ARP and other non-IP pass vin <-> vex
 * directly, as in the seed.  Everything unexpected is dropped so the path fails closed.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "steer-maps.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The kernel's struct vlan_hdr lives in a non-uapi header. */
struct steer_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

static __always_inline void count(__u32 stat)
{
	__u64 *c = bpf_map_lookup_elem(&stats, &stat);

	if (c)
		*c += 1;
}

static __always_inline int drop(__u32 stat)
{
	count(stat);
	return TC_ACT_SHOT;
}

/* Ethernet types that go through the dp: IP, and VLAN because it may carry IP. */
static __always_inline int steered_proto(__be16 proto)
{
	return proto == bpf_htons(ETH_P_IP) || proto == bpf_htons(ETH_P_IPV6) ||
	       proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

static __always_inline int mac_eq(const __u8 *a, const __u8 *b)
{
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) | (a[4] ^ b[4]) |
		(a[5] ^ b[5])) == 0;
}

static __always_inline int mac_is_bcast(const __u8 *m)
{
	return (m[0] & m[1] & m[2] & m[3] & m[4] & m[5]) == 0xff;
}

/* The active port behind the device the frame came in on, if it has the expected role. */
static __always_inline struct steer_port_val *port_of(struct __sk_buff *skb, __u8 role, __u32 *idx)
{
	__u32 ifindex = skb->ifindex;
	struct steer_iface_val *ifc;
	struct steer_port_val *p;

	ifc = bpf_map_lookup_elem(&ifaces, &ifindex);
	if (!ifc || ifc->role != role)
		return NULL;
	*idx = ifc->idx;
	p = bpf_map_lookup_elem(&ports, idx);
	if (!p || !p->active)
		return NULL;
	return p;
}

static __always_inline int to_dp(struct __sk_buff *skb)
{
	struct steer_cfg_val *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&cfg, &zero);
	if (!c || !c->dpp_ifindex)
		return drop(STEER_ST_DROPPED_UNKNOWN);
	/*
	 * Locally generated TCP carries a random per-socket hash; clearing it makes the dp's
	 * PACKET_FANOUT_HASH compute a flow hash that is the same for both directions.
	 */
	bpf_set_hash_invalid(skb);
	count(STEER_ST_TO_DP);
	return bpf_redirect(c->dpp_ifindex, 0);
}

/* Frames leaving the workload. */
SEC("tc")
int steer_vin(struct __sk_buff *skb)
{
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = (void *)(long)skb->data;
	struct steer_port_val *p;
	__u32 idx;

	p = port_of(skb, STEER_ROLE_VIN, &idx);
	if (!p || (void *)(eth + 1) > end)
		return drop(STEER_ST_DROPPED_UNKNOWN);
	if (!steered_proto(eth->h_proto)) {
		count(STEER_ST_PASSTHROUGH_NONIP);
		return bpf_redirect(p->vex_ifindex, 0);
	}
	/*
	 * Anti-spoof: only the workload's own MAC may leave.  A destination that is already a
	 * marker would make the return path deliver it straight to another port, past the bridge.
	 */
	if (!mac_eq(eth->h_source, p->mac) || BH_MAC_KIND(eth->h_dest) != BH_MAC_NONE)
		return drop(STEER_ST_DROPPED_SPOOF);
	BH_MAC_SET(eth->h_source, BH_MAC_UC, idx);
	return to_dp(skb);
}

/* Frames toward the workload, from the bridge side. */
SEC("tc")
int steer_vex(struct __sk_buff *skb)
{
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = (void *)(long)skb->data;
	struct steer_port_val *p;
	__u32 idx;
	int kind;

	p = port_of(skb, STEER_ROLE_VEX, &idx);
	if (!p || (void *)(eth + 1) > end)
		return drop(STEER_ST_DROPPED_UNKNOWN);
	if (!steered_proto(eth->h_proto)) {
		count(STEER_ST_PASSTHROUGH_NONIP);
		return bpf_redirect(p->vin_ifindex, 0);
	}
	if (mac_eq(eth->h_dest, p->mac))
		kind = BH_MAC_UC;
	else if (mac_is_bcast(eth->h_dest))
		kind = BH_MAC_BC;
	else if (eth->h_dest[0] & 1)
		kind = BH_MAC_MC;
	else /* unicast for someone else (bridge flooding): not the workload's business */
		return drop(STEER_ST_DROPPED_UNKNOWN);
	BH_MAC_SET(eth->h_dest, kind, idx);
	return to_dp(skb);
}

/* A multicast destination MAC is a function of the L3 destination; rebuild it from there. */
static __always_inline int mc_from_l3(struct ethhdr *eth, void *end)
{
	void *l3 = eth + 1;
	__be16 proto = eth->h_proto;

	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct steer_vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > end)
			return -1;
		proto = vh->proto;
		l3 = vh + 1;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		__u8 *d;

		if ((void *)(ip + 1) > end)
			return -1;
		d = (__u8 *)&ip->daddr;
		if ((d[0] & 0xf0) != 0xe0)
			return -1;
		eth->h_dest[0] = 0x01;
		eth->h_dest[1] = 0x00;
		eth->h_dest[2] = 0x5e;
		eth->h_dest[3] = d[1] & 0x7f;
		eth->h_dest[4] = d[2];
		eth->h_dest[5] = d[3];
		return 0;
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		__u8 *d;

		if ((void *)(ip6 + 1) > end)
			return -1;
		d = ip6->daddr.s6_addr;
		if (d[0] != 0xff)
			return -1;
		eth->h_dest[0] = 0x33;
		eth->h_dest[1] = 0x33;
		eth->h_dest[2] = d[12];
		eth->h_dest[3] = d[13];
		eth->h_dest[4] = d[14];
		eth->h_dest[5] = d[15];
		return 0;
	}
	return -1;
}

/*
 * Frames the dp sent back.  A destination marker wins over a source marker, so a frame is
 * "toward the workload" exactly when the dp saw a destination marker on it.
 */
SEC("tc")
int steer_dpp(struct __sk_buff *skb)
{
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = (void *)(long)skb->data;
	struct steer_port_val *p;
	__u32 idx;
	int kind;

	if ((void *)(eth + 1) > end)
		return drop(STEER_ST_DROPPED_RETURN);
	kind = BH_MAC_KIND(eth->h_dest);
	if (kind != BH_MAC_NONE) {
		idx = BH_MAC_IDX(eth->h_dest);
		p = bpf_map_lookup_elem(&ports, &idx);
		if (!p || !p->active)
			return drop(STEER_ST_DROPPED_RETURN);
		if (kind == BH_MAC_UC) {
			__builtin_memcpy(eth->h_dest, p->mac, ETH_ALEN);
		} else if (kind == BH_MAC_BC) {
			__builtin_memset(eth->h_dest, 0xff, ETH_ALEN);
		} else if (mc_from_l3(eth, end) < 0) {
			return drop(STEER_ST_DROPPED_RETURN);
		}
		count(STEER_ST_RETURNED_VIN);
		return bpf_redirect(p->vin_ifindex, 0);
	}
	if (BH_MAC_KIND(eth->h_source) == BH_MAC_UC) {
		idx = BH_MAC_IDX(eth->h_source);
		p = bpf_map_lookup_elem(&ports, &idx);
		if (!p || !p->active)
			return drop(STEER_ST_DROPPED_RETURN);
		__builtin_memcpy(eth->h_source, p->mac, ETH_ALEN);
		count(STEER_ST_RETURNED_VEX);
		return bpf_redirect(p->vex_ifindex, 0);
	}
	return drop(STEER_ST_DROPPED_RETURN);
}

/*
 * The dp's packet sockets see frames before tc ingress; stop them here so they do not also
 * climb the enforcer netns stack.
 */
SEC("tc")
int steer_dp(struct __sk_buff *skb)
{
	return TC_ACT_SHOT;
}
