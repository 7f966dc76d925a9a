/*
 * cmd-fqdn.c - FQDN groups as `status` reports them: the dp's table of
 * addresses workloads resolved (src/dp/fqdn-table.c), its size and how often
 * it refused an answer for being full.
 */
#include "cmd.h"
#include "daemon.h"
#include "dp/dp.h"
#include "dp/fqdn-table.h"

json_t *fqdn_status_json(struct bh_daemon *d)
{
	struct fqdn_table_stats st;

	dp_fqdn_stats(d->dp, &st);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "entries", (json_int_t)st.entries,
			 "max", (json_int_t)FQDN_TABLE_DEFAULT_MAX, "grace_s",
			 (json_int_t)(d->cfg.fqdn_grace_ms / 1000), "admitted",
			 (json_int_t)st.admitted, "refreshed", (json_int_t)st.refreshed, "full",
			 (json_int_t)st.full, "expired", (json_int_t)st.expired);
}
