/*
 * decode-t.h - what the decoders learn about one frame (types only).
 *
 * A struct dp_pkt holds pointers into the frame as it sits in the ring slot
 * plus the few header fields later stages (session, policy) look at, already
 * converted to host order.  Nothing here owns memory.
 */
#ifndef BH_DECODE_T_H
#define BH_DECODE_T_H

#include <stdint.h>

#define DP_MAX_VLAN 2     /* 802.1Q / 802.1AD tags we walk */
#define DP_MAX_IPV6_EXT 8 /* extension headers before we give up */

/* Why a frame could not be decoded; 0 is success.  All map to DP_DROP_DECODE. */
enum dp_dec_err {
	DP_DEC_OK = 0,
	DP_DEC_ETH_SHORT,
	DP_DEC_VLAN_SHORT,
	DP_DEC_VLAN_DEPTH,
	DP_DEC_IPV4_SHORT,
	DP_DEC_IPV4_VERSION,
	DP_DEC_IPV4_IHL,
	DP_DEC_IPV4_LEN,
	DP_DEC_IPV6_SHORT,
	DP_DEC_IPV6_VERSION,
	DP_DEC_IPV6_LEN,
	DP_DEC_IPV6_EXT,
	DP_DEC_IPV6_EXT_DEPTH,
	DP_DEC_TCP_SHORT,
	DP_DEC_TCP_DOFF,
	DP_DEC_UDP_SHORT,
	DP_DEC_UDP_LEN,
	DP_DEC_ICMP_SHORT,
	DP_DEC__MAX
};

/* dp_decode() flags */
#define DP_DECODE_GSO 0x01 /* GSO super-frame: L3 length fields may be 0 or cover all segments */

/* dp_pkt.flags */
#define DP_PKT_L4 0x01     /* TCP/UDP/ICMP header decoded (not a later fragment) */
#define DP_PKT_FRAG 0x02   /* IP fragment: offset != 0 or more-fragments */
#define DP_PKT_GSO 0x04    /* GSO super-frame */
#define DP_PKT_ECHO 0x08   /* ICMP/ICMPv6 echo request or reply: icmp_id valid */
#define DP_PKT_IPOPT 0x10  /* IPv4 options or IPv6 extension headers present */

/* An IPv4 address sits in b[0..3], the rest zero. */
union dp_addr {
	uint8_t b[16];
	uint32_t w[4];
};

struct dp_pkt {
	const uint8_t *eth;     /* frame start (destination MAC) */
	const uint8_t *l3;      /* IPv4/IPv6 header, or payload of a non-IP frame */
	const uint8_t *l4;      /* after IP header + extension headers */
	const uint8_t *payload; /* after the L4 header */
	uint32_t len;           /* captured frame bytes */
	uint32_t l3_len;        /* IP total length, trimmed of Ethernet padding */
	uint32_t l4_len;
	uint32_t payload_len;

	uint16_t eth_type; /* after VLAN tags, host order */
	uint16_t vlan_tci[DP_MAX_VLAN];
	uint8_t vlan_count;
	uint8_t family; /* AF_INET, AF_INET6, 0 when not IP */
	uint8_t proto;  /* last next-header: IPPROTO_TCP, ... */
	uint8_t flags;  /* DP_PKT_* */

	uint8_t ttl; /* TTL / hop limit */
	uint8_t ext_count;
	uint8_t more_frags;
	uint8_t tcp_flags;
	uint16_t frag_off; /* fragment offset in bytes */
	uint16_t sport;    /* TCP/UDP ports, host order */
	uint16_t dport;
	uint16_t tcp_win;
	uint32_t frag_id;
	uint32_t tcp_seq;
	uint32_t tcp_ack;
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint16_t icmp_id;

	/* Filled by the worker from the marker MAC, not by the decoders. */
	uint16_t port_idx;
	uint8_t dir;       /* enum dp_dir */
	uint32_t port_gen; /* generation of the port description matched */

	union dp_addr src;
	union dp_addr dst;
};

#endif
