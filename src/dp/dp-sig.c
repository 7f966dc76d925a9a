/*
 * dp-sig.c - publishing user signature sets to the workers (RCU), and their
 * counters.  Like the policy: the control thread swaps the pointer and frees
 * the old set after a grace period; a worker reads it once per pass.
 */
#include <string.h>
#include <urcu.h>

#include "dp-worker.h"
#include "sig.h"
#include "threat.h"

void dp_sig_set(struct dp *dp, struct sig_set *set)
{
	struct sig_set *old = rcu_xchg_pointer(&dp->sigs, set);

	if (old) {
		synchronize_rcu();
		sig_set_free(old);
	}
}

void dp_sig_free(struct dp *dp)
{
	sig_set_free(dp->sigs);
	dp->sigs = NULL;
}

void dp_sig_stats(struct dp *dp, struct sig_stats *out)
{
	struct sig_stats one;

	memset(out, 0, sizeof(*out));
	for (int i = 0; dp->workers && i < dp->nworkers; i++) {
		struct sig_worker *sw = threat_sig(dp->workers[i].threat);

		if (!sw)
			continue;
		sig_get_stats(sw, &one);
		out->sessions += one.sessions;
		out->bytes += one.bytes;
		out->matches += one.matches;
		out->pool_full += one.pool_full;
		out->depth_done += one.depth_done;
		out->errors += one.errors;
		out->in_use += one.in_use;
	}
}
