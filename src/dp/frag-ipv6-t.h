/*
 * frag-ipv6-t.h - types of the IPv6 fragment gate (no functions).
 */
#ifndef BH_FRAG_IPV6_T_H
#define BH_FRAG_IPV6_T_H

#include <stdint.h>

#include "decode-t.h"

#define FRAG6_SLOTS 256	   /* datagrams in flight per worker; a collision only loses one */
#define FRAG6_TTL_MS 60000 /* RFC 8200 reassembly timeout */

/* A datagram whose first fragment this worker forwarded on port_idx. */
struct frag6_slot {
	union dp_addr src, dst;
	uint32_t id;
	uint16_t port_idx;
	uint64_t until_ms; /* 0 = free */
};

struct frag6_table {
	struct frag6_slot slot[FRAG6_SLOTS];
};

#endif
