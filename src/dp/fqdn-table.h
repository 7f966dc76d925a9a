/*
 * fqdn-table.h - addresses workloads resolved, for FQDN groups (fqdn-table.c).
 *
 * One table per dp, shared by every worker: an entry (workload, address, name)
 * says that workload was told by a DNS answer that name resolves to address,
 * and until when (TTL, then a grace period).  Workers add entries as the
 * answers pass; policy_eval reads them through struct policy_fqdn_src when a
 * session is decided; the control thread removes expired ones (fqdn_table_gc).
 * Runtime only: nothing is persisted, a restart starts empty.
 *
 * Every function must run on a thread registered with liburcu (default
 * flavour); admit and each take the read lock themselves (nesting is fine),
 * gc and free must not be called inside a read-side section.
 */
#ifndef BH_FQDN_TABLE_H
#define BH_FQDN_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/policy-t.h"

#define FQDN_TABLE_DEFAULT_MAX 65536u /* entries; each ~ 80 bytes + its name */
#define FQDN_GRACE_DEFAULT_MS 5000u
/*
 * After TTL + grace an entry no longer admits new sessions, but it stays this long for
 * re-checks of live sessions (a policy change must not reset a long-lived connection
 * only because its name was not looked up again), unless the table is over 3/4 full.
 */
#define FQDN_LINGER_MS (3600u * 1000)

struct fqdn_table;

struct fqdn_table_stats {
	uint64_t entries;  /* live now (expired ones count until gc removes them) */
	uint64_t admitted; /* new entries */
	uint64_t refreshed;
	uint64_t full;	  /* refused: the table was at its cap */
	uint64_t expired; /* removed by gc */
};

int fqdn_table_new(struct fqdn_table **out, uint32_t max_entries, uint32_t grace_ms);
void fqdn_table_free(struct fqdn_table *t);

/*
 * wl_id was told name -> addr for ttl_s seconds at now_ms (CLOCK_MONOTONIC ms): add or
 * refresh (the later end wins).  Returns 0, -ENOSPC when the table is full (counted),
 * -ENOMEM, -EINVAL for a bad name.  Allocates only for a new entry.
 */
int fqdn_table_admit(struct fqdn_table *t, uint32_t wl_id, const struct policy_addr *addr,
		     const char *name, uint32_t ttl_s, int64_t now_ms);

/*
 * Call fn for each name wl_id resolved to addr that is live at now_ms (its TTL, plus the
 * grace period, not over); ttl_left_ms is what is left of the TTL proper (negative while
 * in grace).  fn must not keep name.
 */
void fqdn_table_each(struct fqdn_table *t, uint32_t wl_id, const struct policy_addr *addr,
		     int64_t now_ms, policy_fqdn_fn fn, void *arg);
/* The same, counting entries that linger past TTL + grace (re-checks of live sessions). */
void fqdn_table_each_lingering(struct fqdn_table *t, uint32_t wl_id,
			       const struct policy_addr *addr, int64_t now_ms, policy_fqdn_fn fn,
			       void *arg);

/*
 * Remove entries whose TTL + grace + FQDN_LINGER_MS ended by now_ms, and while the table
 * is over 3/4 full those whose TTL + grace ended; waits for one RCU grace period.
 */
void fqdn_table_gc(struct fqdn_table *t, int64_t now_ms);

void fqdn_table_stats(struct fqdn_table *t, struct fqdn_table_stats *out);

/*
 * The view policy_eval consults (now = the monotonic clock at each lookup): new sessions
 * (TTL + grace), or with lingering set re-checks of live ones (fqdn_table_each_lingering).
 */
void fqdn_table_src(struct fqdn_table *t, bool lingering, struct policy_fqdn_src *out);

/* CLOCK_MONOTONIC in ms: the clock of every time above. */
int64_t fqdn_now_ms(void);

#endif
