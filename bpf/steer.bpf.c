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
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>

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

/*
 * The fast path: a frame of an established, allowed flow the dp installed in `flows` goes
 * straight to the other end of the port.  Only plain IPv4/IPv6 TCP/UDP without options or
 * fragments is looked up; SYN/FIN/RST and one packet per flow per second still go to the dp,
 * so it keeps its state machine and timeouts right.  One-pass entries (STEER_FLOW_PAIR) let
 * every frame in.  Returns -1 when the frame must go to the dp, else the tc verdict.
 */
struct l4_info {
	__u32 seq;
	__u32 len;  /* L4 payload bytes */
	__u8 flags; /* TCP flags */
};

static __always_inline int l4_parse(void *l4, void *end, __u8 proto, __u32 l4len,
				     struct steer_flow_key *k, struct l4_info *li)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;
		__u32 doff;

		if ((void *)(th + 1) > end)
			return -1;
		doff = th->doff * 4;
		if (doff < sizeof(*th) || doff > l4len)
			return -1;
		k->sport = bpf_ntohs(th->source);
		k->dport = bpf_ntohs(th->dest);
		li->seq = bpf_ntohl(th->seq);
		li->len = l4len - doff;
		li->flags = ((__u8 *)th)[13];
		return 0;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > end)
			return -1;
		k->sport = bpf_ntohs(uh->source);
		k->dport = bpf_ntohs(uh->dest);
		li->len = 0;
		li->flags = 0;
		return 0;
	}
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		/* Echo only, keyed by its id on both sides as the dp's sessions are. */
		int v4 = proto == IPPROTO_ICMP;
		__u8 *h = l4;

		if ((void *)(h + 8) > end || (h[0] != (v4 ? 8 : 128) && h[0] != (v4 ? 0 : 129)))
			return -1;
		k->sport = k->dport = (__u16)(h[4] << 8 | h[5]);
		li->len = 0;
		li->flags = 0;
		return 0;
	}
	return -1;
}

static __always_inline int flow_key(struct ethhdr *eth, void *end, struct steer_flow_key *k,
				    struct l4_info *li)
{
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);
		__u32 tot;

		if ((void *)(ip + 1) > end || ip->ihl != 5 || (ip->frag_off & bpf_htons(0x3fff)))
			return -1;
		tot = bpf_ntohs(ip->tot_len);
		if (tot < sizeof(*ip))
			return -1;
		__builtin_memcpy(k->saddr, &ip->saddr, 4);
		__builtin_memcpy(k->daddr, &ip->daddr, 4);
		k->family = 2;
		k->proto = ip->protocol;
		return l4_parse(ip + 1, end, ip->protocol, tot - sizeof(*ip), k, li);
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return -1;
		__builtin_memcpy(k->saddr, &ip6->saddr, 16);
		__builtin_memcpy(k->daddr, &ip6->daddr, 16);
		k->family = 10;
		k->proto = ip6->nexthdr;
		return l4_parse(ip6 + 1, end, ip6->nexthdr, bpf_ntohs(ip6->payload_len), k, li);
	}
	return -1;
}

static __always_inline int fast_path(struct __sk_buff *skb, __u32 idx, __u32 out_ifindex,
				     __u32 dir)
{
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = (void *)(long)skb->data;
	struct steer_flow_key k = {};
	struct steer_fast_ctr *fc;
	struct steer_flow_val *v;
	struct l4_info li = {};
	__u32 slot = idx * 2 + dir;
	__u64 now;

	if ((void *)(eth + 1) > end || flow_key(eth, end, &k, &li) < 0)
		return -1;
	k.idx = (__u16)idx;
	v = bpf_map_lookup_elem(&flows, &k);
	if (!v)
		return -1;
	if (v->flags & STEER_FLOW_PAIR) /* judged at the sender's port already */
		return dir ? bpf_redirect(out_ifindex, 0) : -1;
	if (li.flags & 0x07) /* FIN, SYN, RST: the dp follows the state machine */
		return -1;
	now = bpf_ktime_get_ns();
	if (k.proto == IPPROTO_TCP)
		v->next_seq = li.seq + li.len;
	if (now - v->last_dp_ns > STEER_SAMPLE_NS) {
		v->last_dp_ns = now;
		return -1;
	}
	__sync_fetch_and_add(&v->packets, 1);
	__sync_fetch_and_add(&v->bytes, skb->len);
	fc = bpf_map_lookup_elem(&fast, &slot);
	if (fc) {
		fc->packets++;
		fc->bytes += skb->len;
	}
	return bpf_redirect(out_ifindex, 0);
}

/*
 * --fail open: when bulkheadd has not beaten for a second (killed, crashed, stuck), frames
 * skip the dp and go straight to the other end of the port, unchanged.  Fail closed (the
 * default) needs nothing here: nobody reads the dp port, so steered frames die there.
 */
static __always_inline int dp_gone(void)
{
	struct steer_cfg_val *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&cfg, &zero);
	return c && c->fail_open && bpf_ktime_get_ns() - c->heartbeat_ns > STEER_HEARTBEAT_STALE_NS;
}

/* Frames leaving the workload. */
SEC("tc")
int steer_vin(struct __sk_buff *skb)
{
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = (void *)(long)skb->data;
	struct steer_port_val *p;
	int verdict;
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
	if (dp_gone()) {
		count(STEER_ST_FAIL_OPEN);
		return bpf_redirect(p->vex_ifindex, 0);
	}
	verdict = fast_path(skb, idx, p->vex_ifindex, 0);
	if (verdict >= 0)
		return verdict;
	eth = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	if ((void *)(eth + 1) > end)
		return drop(STEER_ST_DROPPED_UNKNOWN);
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
	/*
	 * Anti-spoof from the bridge: no frame leaves a port with a marker as its source, so one
	 * that arrives with it is forged to pass as another port's egress in the dp.
	 */
	if (BH_MAC_KIND(eth->h_source) != BH_MAC_NONE)
		return drop(STEER_ST_DROPPED_SPOOF);
	if (mac_eq(eth->h_dest, p->mac))
		kind = BH_MAC_UC;
	else if (mac_is_bcast(eth->h_dest))
		kind = BH_MAC_BC;
	else if (eth->h_dest[0] & 1)
		kind = BH_MAC_MC;
	else /* unicast for someone else (bridge flooding): not the workload's business */
		return drop(STEER_ST_DROPPED_UNKNOWN);
	if (dp_gone()) {
		count(STEER_ST_FAIL_OPEN);
		return bpf_redirect(p->vin_ifindex, 0);
	}
	if (kind == BH_MAC_UC) {
		int verdict = fast_path(skb, idx, p->vin_ifindex, 1);

		if (verdict >= 0)
			return verdict;
		eth = (void *)(long)skb->data;
		end = (void *)(long)skb->data_end;
		if ((void *)(eth + 1) > end)
			return drop(STEER_ST_DROPPED_UNKNOWN);
	}
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
