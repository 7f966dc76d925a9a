/*
 * dp-verdict.h - the per-packet decision hook.
 */
#ifndef BH_DP_VERDICT_H
#define BH_DP_VERDICT_H

#include "decode-t.h"
#include "dp-t.h"
#include "session-t.h"

enum dp_verdict { DP_VERDICT_FORWARD = 0, DP_VERDICT_DROP };

/*
 * Decide one packet.  port is the published description of p->port_idx;
 * sr->s is its session (NULL for non-IP, later fragments, stray RSTs,
 * non-echo ICMP), sr->created says this packet opened it, sr->side whether
 * it comes from the client.  On DROP, *why says which counter to bump.
 * Runs inside the worker's RCU read section: port stays valid throughout.
 */
enum dp_verdict dp_verdict(const struct dp_port_info *port, const struct dp_pkt *p,
			   const struct sess_result *sr, enum dp_drop_reason *why);

#endif
