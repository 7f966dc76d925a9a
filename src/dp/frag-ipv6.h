/*
 * frag-ipv6.h - the IPv6 fragment gate: later fragments follow their first one.
 */
#ifndef BH_FRAG_IPV6_H
#define BH_FRAG_IPV6_H

#include <stdbool.h>

#include "frag-ipv6-t.h"

/* p is a first fragment (offset 0, more to come) that is being forwarded. */
void frag6_allow(struct frag6_table *t, const struct dp_pkt *p, uint64_t now_ms);
/* p is a later fragment: did its first fragment pass this port? */
bool frag6_allowed(const struct frag6_table *t, const struct dp_pkt *p, uint64_t now_ms);

#endif
