/*
 * decode.h - decoders from Ethernet down to TCP/UDP/ICMP.
 *
 * Every decoder returns 0 or an enum dp_dec_err code (positive); none reads a
 * byte it has not first checked to be inside the captured frame.
 */
#ifndef BH_DECODE_H
#define BH_DECODE_H

#include <stdint.h>

#include "decode-t.h"

/* Decode a whole frame into *p (which it clears first). */
int dp_decode(struct dp_pkt *p, const uint8_t *frame, uint32_t len, unsigned flags);

/* Stages, each continuing from what the previous one left in *p. */
int dp_decode_eth(struct dp_pkt *p);
int dp_decode_ipv4(struct dp_pkt *p);
int dp_decode_ipv6(struct dp_pkt *p);
int dp_decode_l4(struct dp_pkt *p);

const char *dp_dec_err_str(int err);

/*
 * Port and direction from the marker MAC (portmac.h): a unicast marker as
 * source means the frame leaves workload idx (egress); a unicast, broadcast
 * or multicast marker as destination means it goes to it (ingress).  Sets
 * p->port_idx/dir; -ENOENT when the frame carries no usable marker.
 */
int dp_decode_port(struct dp_pkt *p);

static inline uint16_t dp_rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t dp_rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

#endif
