/*
 * dp-reset.h - build the TCP resets the dp sends when a live session
 * becomes denied (DESIGN §2: RST to both ends).
 */
#ifndef BH_DP_RESET_H
#define BH_DP_RESET_H

#include <stddef.h>
#include <stdint.h>

#include "session-t.h"

/* Room for vnet header + Ethernet + IPv6 + TCP. */
#define DP_RST_FRAME_MAX 96

/*
 * Write into buf (DP_RST_FRAME_MAX bytes) a frame carrying RST+ACK from one
 * side of s to the other, vnet header first; to_workload picks the target.
 * Returns the length, or 0 when the session lacks what a reset needs (not
 * TCP, no sequence number seen from one side).
 */
size_t dp_reset_build(const struct session *s, int to_workload, uint8_t *buf);

/* Internet checksum helpers, exposed for tests. */
uint16_t dp_csum_fold(uint32_t sum);
uint32_t dp_csum_add(uint32_t sum, const void *data, size_t len);

#endif
