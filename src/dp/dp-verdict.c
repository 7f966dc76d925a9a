/*
 * dp-verdict.c - where policy will decide each packet.
 *
 * For now everything is forwarded.  The function sits at the end of the
 * pipeline (decode -> port -> session -> verdict) with everything a policy
 * needs in reach, so the policy stage plugs in here without touching I/O.
 */
#include "dp-verdict.h"

enum dp_verdict dp_verdict(const struct dp_port_info *port, const struct dp_pkt *p,
			   const struct sess_result *sr, enum dp_drop_reason *why)
{
	(void)port;
	(void)p;
	(void)sr;
	*why = DP_DROP_POLICY;
	return DP_VERDICT_FORWARD;
}
