/*
 * dp-verdict.h - the policy stage of the pipeline (src/dp/dp-verdict.c).
 */
#ifndef BH_DP_VERDICT_H
#define BH_DP_VERDICT_H

#include <stdbool.h>

#include "decode-t.h"
#include "dp-t.h"
#include "session-t.h"

struct dp_worker;

enum dp_verdict { DP_VERDICT_FORWARD = 0, DP_VERDICT_DROP };

/*
 * Decide one packet.  port is the published description of p->port_idx;
 * sr->s is its session (NULL for non-IP, later fragments, stray RSTs,
 * non-echo ICMP), sr->created says this packet opened it.  New sessions are
 * checked against w->pol at this port's end; later packets follow the
 * session's verdict.  On DROP, *why says which counter to bump.  Runs inside
 * the worker's RCU read section.
 */
enum dp_verdict dp_verdict(struct dp_worker *w, const struct dp_port_info *port,
			   const struct dp_pkt *p, const struct sess_result *sr,
			   enum dp_drop_reason *why);

/* Between passes: if a new policy was published, re-check every live session. */
void dp_verdict_tick(struct dp_worker *w);

/*
 * One-pass judging (dp-pair.c) asks the fast path: is s ready for it on its own merits
 * (its peer aside), and install it; set or clear s's one-pass entry (SESS_F_PAIR_IN).
 */
bool dp_fast_ready(struct dp_worker *w, const struct dp_port_info *port, const struct session *s);
void dp_fast_promote(struct dp_worker *w, struct session *s);
int dp_pair_entry_set(struct dp_worker *w, struct session *s);
void dp_pair_entry_clear(struct dp_worker *w, struct session *s);

/* A session left the table: report its totals. */
void dp_verdict_session_end(struct dp_worker *w, const struct session *s);

#endif
