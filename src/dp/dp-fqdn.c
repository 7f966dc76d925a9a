/*
 * dp-fqdn.c - DNS answers to workloads feed FQDN groups.
 *
 * A workload in a group rule `--to api` (api: --fqdn api.example.com) may reach
 * an address only after a DNS answer it received said api.example.com is that
 * address.  The worker that forwards the answer parses it (dns-answer.c) and
 * admits the addresses into the dp's shared table (fqdn-table.c) before the
 * frame leaves, so the client's connect, right after its lookup, is already
 * decided against them.  Only answers for names some pattern of the current
 * policy matches are kept; the parse happens per DNS answer, never per packet of
 * other traffic.  The control thread expires entries (dp_fqdn_gc).
 */
#include "dp-fqdn.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "dns-answer.h"
#include "dp-worker.h"
#include "fqdn-table.h"
#include "log.h"
#include "policy/policy.h"

#define DP_FQDN_GC_MS 1000

int dp_fqdn_init(struct dp *dp)
{
	int err = fqdn_table_new(&dp->fqdn, dp->cfg.fqdn_max, dp->cfg.fqdn_grace_ms);

	if (!err) {
		fqdn_table_src(dp->fqdn, false, &dp->fqdn_src);
		fqdn_table_src(dp->fqdn, true, &dp->fqdn_recheck);
	}
	return err;
}

void dp_fqdn_fini(struct dp *dp)
{
	fqdn_table_free(dp->fqdn);
	dp->fqdn = NULL;
}

bool dp_fqdn_session(const struct session *s)
{
	return s->end == POLICY_EGRESS && s->key.port[!s->client] == DP_DNS_PORT &&
	       (s->key.proto == IPPROTO_UDP || s->key.proto == IPPROTO_TCP);
}

/* The DNS message in p: all of a UDP payload, or one whole length-prefixed TCP message. */
static bool dns_message(const struct dp_pkt *p, const uint8_t **msg, size_t *len)
{
	if (p->proto == IPPROTO_UDP) {
		*msg = p->payload;
		*len = p->payload_len;
		return p->payload_len > 0;
	}
	if (p->payload_len < 2)
		return false;
	*len = (size_t)(p->payload[0] << 8 | p->payload[1]);
	*msg = p->payload + 2;
	/* Split over segments: not judged (documented; resolvers send answers whole). */
	return *len && *len + 2 <= p->payload_len;
}

void dp_fqdn_snoop(struct dp_worker *w, const struct dp_port_info *port, const struct dp_pkt *p,
		   const struct sess_result *sr)
{
	struct dns_answer ans;
	const uint8_t *msg;
	int64_t now;
	size_t len;

	if (!sr->s || sr->side != SESS_FROM_SERVER || !dp_fqdn_session(sr->s) ||
	    !policy_fqdn_count(w->pol) || !(p->flags & DP_PKT_L4) || !dns_message(p, &msg, &len))
		return;
	if (dns_answer_parse(msg, len, &ans) || !ans.n_addrs ||
	    !policy_fqdn_wanted(w->pol, ans.qname))
		return;
	now = fqdn_now_ms();
	for (uint32_t i = 0; i < ans.n_addrs; i++) {
		struct policy_addr a = {.family = ans.addrs[i].family};

		memcpy(a.a, ans.addrs[i].a, sizeof(a.a));
		if (fqdn_table_admit(w->dp->fqdn, port->wl_id, &a, ans.qname, ans.addrs[i].ttl,
				     now) == -ENOSPC)
			break; /* counted in the table's stats */
	}
}

/* ---- the control plane's side (dp.h) ---- */

const struct policy_fqdn_src *dp_fqdn_src(struct dp *dp)
{
	return dp && dp->fqdn ? &dp->fqdn_src : NULL;
}

const struct policy_fqdn_src *dp_fqdn_recheck_src(struct dp *dp)
{
	return dp && dp->fqdn ? &dp->fqdn_recheck : NULL;
}

void dp_fqdn_gc(struct dp *dp)
{
	int64_t now = fqdn_now_ms();

	if (!dp || !dp->fqdn || now - dp->fqdn_gc_ms < DP_FQDN_GC_MS)
		return;
	dp->fqdn_gc_ms = now;
	fqdn_table_gc(dp->fqdn, now);
}

void dp_fqdn_stats(struct dp *dp, struct fqdn_table_stats *out)
{
	fqdn_table_stats(dp ? dp->fqdn : NULL, out);
}
