/*
 * cmd-reasm.c - the dp's TCP stream reassembly counters for `status` (dp.reasm):
 * how many sessions are put back together, the memory they hold now against the
 * caps, and how often the caps, the window or an overlap evasion was hit.
 */
#include "cmd.h"
#include "daemon.h"
#include "dp/dp.h"
#include "dp/reasm-tcp-t.h"

json_t *reasm_status_json(struct bh_daemon *d)
{
	struct reasm_stats st = {0};
	int workers = d->dp ? dp_worker_count(d->dp) : 0;

	if (d->dp)
		dp_reasm_stats(d->dp, &st);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "sessions", (json_int_t)st.sessions, "not_reassembled_no_slot",
			 (json_int_t)st.no_flow, "ooo_segments", (json_int_t)st.ooo_segments,
			 "delivered_bytes", (json_int_t)st.delivered, "overlaps",
			 (json_int_t)st.overlaps, "cap_hits", (json_int_t)st.cap_hits,
			 "out_of_window", (json_int_t)st.out_of_window, "gave_up",
			 (json_int_t)st.gave_up, "flows_in_use", (json_int_t)st.flows_in_use,
			 "chunks_in_use", (json_int_t)st.chunks_in_use, "queued_bytes",
			 (json_int_t)st.queued_bytes, "chunks_cap",
			 (json_int_t)workers * REASM_CHUNKS_DEFAULT, "session_chunks_cap",
			 (json_int_t)REASM_SESSION_CHUNKS);
}
