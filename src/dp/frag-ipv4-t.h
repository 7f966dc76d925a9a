/*
 * frag-ipv4-t.h - types of the IPv4 refragmenter (no functions).
 */
#ifndef BH_FRAG_IPV4_T_H
#define BH_FRAG_IPV4_T_H

#include <stdint.h>

#define FRAG_MIN_MTU 576
#define FRAG_MAX_FRAGS 128 /* 64 KB at the minimum MTU needs 119 */
#define FRAG_HDR_MAX (10 + 14 + 8 + 60) /* vnet + Ethernet + 2 VLAN tags + IPv4 with options */

/* One fragment to send: its own headers, then a slice of the original payload. */
struct frag_piece {
	uint8_t hdr[FRAG_HDR_MAX]; /* vnet header (zeroed), L2 header, IPv4 header */
	uint32_t hdr_len;
	const uint8_t *data;
	uint32_t data_len;
};

#endif
