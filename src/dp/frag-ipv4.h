/*
 * frag-ipv4.h - split an IPv4 datagram that is too big for the port.
 */
#ifndef BH_FRAG_IPV4_H
#define BH_FRAG_IPV4_H

#include <stdbool.h>

#include "decode-t.h"
#include "frag-ipv4-t.h"

/* True when p must be split to leave through a port of this MTU. */
bool frag_ipv4_needed(const struct dp_pkt *p, uint32_t mtu);

/*
 * Cut the decoded datagram p into pieces of at most mtu IP bytes.  Data
 * pointers refer into p's frame, which must outlive the pieces.  Returns
 * the number of pieces or -EINVAL / -E2BIG.
 */
int frag_ipv4_split(const struct dp_pkt *p, uint32_t mtu, struct frag_piece *out,
		    unsigned max);

#endif
