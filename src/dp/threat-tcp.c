/*
 * threat-tcp.c - TCP openings that no ordinary stack sends, and SSH protocol 1.
 *
 * A SYN (without ACK) carrying data is how some scanners and evasion tools
 * probe (TCP Fast Open does it too, documented in docs/threats.md); a SYN that
 * advertises a window of a few bytes asks the server to trickle its answer and
 * hold resources (sockstress).  SSH protocol 1 is broken beyond repair: its
 * identification line is "SSH-1.x-" except "SSH-1.99-", which means "2 too".
 */
#include <string.h>

#include "threat.h"

#define TH_SYN 0x02
#define TH_ACK 0x10

uint16_t threat_tcp_syn_check(const struct dp_pkt *p, const struct threat_config *cfg)
{
	if ((p->tcp_flags & (TH_SYN | TH_ACK)) != TH_SYN)
		return THREAT_NONE;
	if (p->payload_len && !(p->flags & DP_PKT_GSO))
		return THREAT_TCP_SYN_DATA;
	if (p->tcp_win <= threat_limit_get(cfg, THREAT_LIM_SMALL_WINDOW))
		return THREAT_TCP_SMALL_WINDOW;
	return THREAT_NONE;
}

uint16_t threat_ssh_check(const uint8_t *b, uint32_t len)
{
	if (len < 8 || memcmp(b, "SSH-1.", 6))
		return THREAT_NONE;
	return len >= 9 && !memcmp(b + 6, "99-", 3) ? THREAT_NONE : THREAT_SSH_V1;
}
