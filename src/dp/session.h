/*
 * session.h - per-worker session table: lookup/create, state update, expiry.
 *
 * One table per worker thread, never shared, so no locks.  All memory is
 * allocated in sess_table_new(); nothing is allocated per packet.
 */
#ifndef BH_SESSION_H
#define BH_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "decode-t.h"
#include "session-t.h"

struct sess_table;

/* Called for every session that leaves the table (expiry, eviction, reuse). */
typedef void (*sess_release_fn)(void *arg, const struct session *s);

int sess_table_new(struct sess_table **out, uint32_t capacity);
void sess_table_free(struct sess_table *t);
void sess_table_set_release(struct sess_table *t, sess_release_fn fn, void *arg);

/*
 * Find or create the session of p (p->port_idx/dir/port_gen must be set) and
 * account the packet at time now_ms.  Returns 0 (res->s may be NULL for
 * packets that open nothing: non-IP, later fragments, stray RSTs, non-echo
 * ICMP) or -ENOSPC when the table is full.
 */
int sess_update(struct sess_table *t, const struct dp_pkt *p, uint64_t now_ms,
		struct sess_result *res);

/* TCP both sides closed, or reset: nothing of the flow is due any more (false if not TCP). */
static inline bool sess_tcp_closed(const struct session *s)
{
	return s->state == SESS_TCP_TIME_WAIT || s->state == SESS_TCP_CLOSED;
}

/* The live session with key k, or NULL; nothing is created or accounted. */
struct session *sess_find(struct sess_table *t, const struct sess_key *k);

/* Remove expired sessions, looking at no more than budget of them; returns removed. */
unsigned sess_expire(struct sess_table *t, uint64_t now_ms, unsigned budget);

/* Call fn for every live session (it may change verdict fields, not remove). */
typedef void (*sess_visit_fn)(void *arg, struct session *s);
void sess_foreach(struct sess_table *t, sess_visit_fn fn, void *arg);

uint32_t sess_count(const struct sess_table *t);
uint32_t sess_capacity(const struct sess_table *t);
void sess_table_stats(const struct sess_table *t, struct sess_table_stats *out);
uint64_t sess_timeout_ms(enum sess_tclass tc);
const char *sess_state_str(enum sess_tcp_state st);

/* session-tcp.c */
int sess_tcp_open(const struct dp_pkt *p, struct session *s, bool *sender_is_client);
void sess_tcp_update(struct session *s, const struct dp_pkt *p, enum sess_side side);
bool sess_tcp_reopens(const struct session *s, const struct dp_pkt *p);
enum sess_tclass sess_tcp_tclass(enum sess_tcp_state st);

#endif
