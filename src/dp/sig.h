/*
 * sig.h - user-defined signatures: compiling them (sig-db.c), the HTTP request
 * field splitter (sig-http.c) and matching stream bytes in the dp (sig.c).
 *
 * Control side: sig_db_build() compiles every signature into Hyperscan streaming
 * databases (one per field); sig_set_build() adds which signatures apply to
 * which workload (groups resolved here, so the dp only tests a bit).  A set is
 * published to the dp with RCU (dp_sig_set); a database is reference counted
 * because sessions keep streams open on it across sets.
 *
 * Dp side: one struct sig_worker per worker, used by that worker only.  Session
 * state (Hyperscan stream state included) comes from fixed per-worker pools
 * made when the first non-empty set arrives: nothing is allocated per packet.
 */
#ifndef BH_SIG_H
#define BH_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session-t.h"
#include "sig-t.h"

struct sig_db;
struct sig_set;
struct sig_worker;

/* ---- control side (sig-db.c) ---- */

/* Names: "stream"|"url"|"header"|"body", "log"|"drop"|"reset", "low".."critical". */
const char *sig_field_name(uint8_t field);
int sig_field_parse(const char *s, uint8_t *out); /* 0 or -EINVAL */
const char *sig_action_name(uint8_t act);
int sig_action_parse(const char *s, uint8_t *out);
int sig_severity_parse(const char *s, uint8_t *out);

/*
 * Compile specs (n may be 0: an empty database).  On error returns -EINVAL and a
 * one-line reason naming the signature, e.g. "signature x: pattern: Missing close
 * parenthesis for group started at index 1."
 */
int sig_db_build(const struct sig_spec *specs, size_t n, struct sig_db **out, char *err,
		 size_t errlen);
/* Check one pattern alone (used before a set is rebuilt for `sig add`). */
int sig_pattern_check(const struct sig_spec *spec, char *err, size_t errlen);
void sig_db_get(struct sig_db *db);
void sig_db_put(struct sig_db *db); /* frees at the last reference, on any thread */
size_t sig_db_count(const struct sig_db *db);

/* Is workload ctx a member of group?  (`any`, its own name and its groups.) */
typedef bool (*sig_member_fn)(void *ctx, const char *group);

struct sig_wl_spec {
	uint32_t wl_id;
	sig_member_fn member;
	void *ctx;
};

/* A set: db (a new reference is taken) plus which signatures apply to each workload. */
int sig_set_build(struct sig_db *db, const struct sig_wl_spec *wls, size_t n,
		  struct sig_set **out);
void sig_set_free(struct sig_set *set);
/* Number of signatures that apply to wl_id (tests, status). */
size_t sig_set_count_for(const struct sig_set *set, uint32_t wl_id);

/* ---- the HTTP request field splitter (sig-http.c) ---- */

enum sig_http_ev { SIG_HTTP_OPEN, SIG_HTTP_DATA, SIG_HTTP_CLOSE };

struct sig_http {
	uint8_t state;
	uint8_t mlen;	   /* method bytes so far */
	uint8_t name_pos;  /* header name bytes compared so far */
	uint8_t cand;	   /* header names still possible (bits) */
	uint8_t value;	   /* whose value this line carries, 0 = none */
	uint8_t te_pos;	   /* bytes of "chunked" matched in a Transfer-Encoding value */
	uint8_t flags;	   /* content-length seen, chunked */
	uint8_t open;	   /* the field whose OPEN was sent, SIG_FIELD_STREAM = none */
	uint64_t cl;	   /* Content-Length of this request */
	uint64_t left;	   /* body or chunk bytes still to come */
};

/* One event of the splitter: OPEN and CLOSE carry no bytes. */
typedef void (*sig_http_fn)(void *ctx, uint8_t field, enum sig_http_ev ev, const uint8_t *b,
			    uint32_t n);

void sig_http_init(struct sig_http *h);
/*
 * Client-to-server bytes, in order.  Emits OPEN/DATA/CLOSE per field of each request
 * (pipelined requests follow one another).  Returns false once the bytes are not
 * HTTP/1.x requests: nothing more is emitted for this stream.
 */
bool sig_http_feed(struct sig_http *h, const uint8_t *b, uint32_t n, sig_http_fn fn, void *ctx);
/* The stream ended: CLOSE whatever field is open. */
void sig_http_end(struct sig_http *h, sig_http_fn fn, void *ctx);

/* ---- dp side (sig.c) ---- */

/* sessions: slots for sessions inspected at once; depth: bytes per direction (0 = all). */
int sig_worker_new(struct sig_worker **out, uint32_t sessions, uint32_t depth);
void sig_worker_free(struct sig_worker *sw);

/*
 * Start of a pass, inside the worker's RCU read section: the set to match with (NULL =
 * none).  A new database gets its scratch (and the pools their memory, the first
 * time) here, so the packets of the pass allocate nothing.
 */
void sig_worker_use(struct sig_worker *sw, const struct sig_set *set);

/*
 * In-order stream bytes of one direction (side: enum sess_side) of s, a session of
 * workload wl_id's port.  Returns the number of matches (hits at most SIG_HITS_MAX
 * are in sig_worker_hits()).  Opens the session's streams on its first bytes and
 * closes each direction at the depth.  TCP reassembly calls this with its bytes.
 */
int sig_feed(struct sig_worker *sw, struct session *s, uint32_t wl_id, uint8_t side,
	     const uint8_t *data, uint32_t len);
const struct sig_hit *sig_worker_hits(const struct sig_worker *sw);

/*
 * sig_feed for TCP bytes starting at sequence number seq: bytes of side's stream
 * already fed (retransmissions) are cut, a gap is skipped over.  The reassembler's
 * in-order bytes come through here too (threat_stream_sig), so a session it gives up
 * on goes on, packet by packet, from where its delivered bytes ended.
 */
int sig_feed_tcp(struct sig_worker *sw, struct session *s, uint32_t wl_id, uint8_t side,
		 uint32_t seq, const uint8_t *data, uint32_t len);

/* True while s holds streams: it must stay out of the eBPF fast path. */
static inline bool sig_inspecting(const struct session *s)
{
	return s->sig_slot != 0;
}

/* Stop inspecting s for good (it was blocked, or ends): closes its streams. */
void sig_session_stop(struct sig_worker *sw, struct session *s);
void sig_session_end(struct sig_worker *sw, struct session *s);

void sig_get_stats(const struct sig_worker *sw, struct sig_stats *out);

#endif
