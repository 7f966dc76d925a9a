/*
 * dp-fqdn.h - the dp's side of FQDN groups (src/dp/dp-fqdn.c): snooping the DNS
 * answers a workload receives into the shared table of resolved addresses.
 */
#ifndef BH_DP_FQDN_H
#define BH_DP_FQDN_H

#include <stdbool.h>

#include "decode-t.h"
#include "dp-t.h"
#include "session-t.h"

struct dp;
struct dp_worker;

#define DP_DNS_PORT 53

/*
 * What a re-check of a live, allowed session consults (policy change): names whose TTL
 * + grace ended still count while they linger (fqdn-table.h FQDN_LINGER_MS), so only new
 * sessions need a fresh answer.
 */
const struct policy_fqdn_src *dp_fqdn_recheck_src(struct dp *dp);

/* Create / free dp->fqdn from dp->cfg (dp_new, dp_free). */
int dp_fqdn_init(struct dp *dp);
void dp_fqdn_fini(struct dp *dp);

/*
 * s is a DNS session this port's workload opened (it is the client, the server port is
 * 53): its answers must pass through the dp, so it never takes the fast path.
 */
bool dp_fqdn_session(const struct session *s);

/*
 * p was forwarded to this port's workload: if it is a DNS answer (UDP, or TCP with the
 * whole message in this segment) for a name some FQDN group wants, admit its addresses
 * for wl_id now, before the packet goes out.  Runs inside the worker's RCU read section.
 */
void dp_fqdn_snoop(struct dp_worker *w, const struct dp_port_info *port, const struct dp_pkt *p,
		   const struct sess_result *sr);

#endif
