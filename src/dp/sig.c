/*
 * sig.c - matching user signatures against session payload in the dp.
 *
 * Each inspected session holds Hyperscan streams: one per direction on the raw
 * payload, plus one on the HTTP request field open at the moment (sig-http.c
 * splits the client's bytes).  Streams carry the matcher's state from one
 * segment to the next, so a pattern split over any number of writes matches.
 *
 * Nothing is allocated per packet.  Per worker, a fixed pool of session slots
 * and a slab of stream-state slots (SIG_STREAM_SLOT bytes each, three per
 * session) are made when the first non-empty set arrives; Hyperscan's stream
 * allocator is pointed at the slab of the calling worker (a thread-local, since
 * hs_set_stream_allocator is process-wide).  When either pool is empty, the new
 * session is counted (pool_full) and not inspected; a direction stops being
 * inspected after `depth` bytes, and the session gives its slot back once both
 * have, so it can take the eBPF fast path.
 *
 * A set names which signatures apply to which workload; a match of one that
 * does not apply to the session's workload is ignored.  When a set with another
 * database arrives, a session's streams are reopened on it at its next bytes
 * (state of a pattern half-way through is lost at that one point).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sig-int.h"

#define SIG_GEN_DONE UINT32_MAX /* session.sig_gen: never inspect it again */
#define STREAMS_PER_SESSION 3	/* raw client, raw server, one HTTP field */

struct sig_slab {
	uint8_t *mem;
	uint32_t n;
	uint32_t free_head; /* index + 1, 0 = empty */
	uint32_t *next;
};

struct sig_sess {
	struct sig_db *db; /* one reference while the slot is used */
	hs_stream_t *raw[2];
	hs_stream_t *fld; /* the HTTP field open now, NULL when none or no signature */
	struct sig_http http;
	uint64_t fed[2];
	uint32_t next_seq[2];
	uint32_t wl_id;
	uint8_t seq_seen; /* bit per side: next_seq valid */
	uint8_t done;	  /* bit per side: no longer fed */
	bool http_on;	  /* the client's bytes are still split into fields */
	uint32_t next_free;
};

struct sig_worker {
	uint32_t n_sess;
	uint64_t depth; /* 0 = whole sessions */
	struct sig_sess *sess;
	uint32_t free_head;
	struct sig_slab slab;
	hs_scratch_t *scratch;
	uint64_t scratch_uid; /* database the scratch was last grown for */
	bool ready;	      /* pools and scratch fit the set in use */
	const struct sig_set *set;
	struct sig_stats stats;
	int nhits;
	struct sig_hit hits[SIG_HITS_MAX];
};

/* ---- stream state from the slab ---- */

static __thread struct sig_slab *tls_slab;

static void *stream_alloc(size_t size)
{
	struct sig_slab *sl = tls_slab;
	uint32_t i;

	if (!sl || !sl->free_head || size > SIG_STREAM_SLOT)
		return NULL; /* Hyperscan answers HS_NOMEM: the session is not inspected */
	i = sl->free_head - 1;
	sl->free_head = sl->next[i];
	return sl->mem + (size_t)i * SIG_STREAM_SLOT;
}

static void stream_free(void *p)
{
	struct sig_slab *sl = tls_slab;
	uint8_t *b = p;
	uint32_t i;

	if (!p)
		return;
	if (!sl || b < sl->mem || b >= sl->mem + (size_t)sl->n * SIG_STREAM_SLOT) {
		free(p); /* not ours: cannot happen while every call sets tls_slab */
		return;
	}
	i = (uint32_t)((size_t)(b - sl->mem) / SIG_STREAM_SLOT);
	sl->next[i] = sl->free_head;
	sl->free_head = i + 1;
}

static pthread_once_t alloc_once = PTHREAD_ONCE_INIT;

static void alloc_setup(void)
{
	hs_set_stream_allocator(stream_alloc, stream_free);
}

static void ctr_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

/* ---- the worker ---- */

int sig_worker_new(struct sig_worker **out, uint32_t sessions, uint32_t depth)
{
	struct sig_worker *sw = calloc(1, sizeof(*sw));

	*out = NULL;
	if (!sw)
		return -ENOMEM;
	pthread_once(&alloc_once, alloc_setup);
	sw->n_sess = sessions ? sessions : THREAT_DEF_SIG_SESSIONS;
	sw->depth = depth;
	*out = sw;
	return 0;
}

void sig_worker_free(struct sig_worker *sw)
{
	if (!sw)
		return;
	/* Sessions were ended before (their table goes first): the slots are all free. */
	hs_free_scratch(sw->scratch);
	free(sw->slab.mem);
	free(sw->slab.next);
	free(sw->sess);
	free(sw);
}

/* Made once, at the first set with signatures: a worker without any pays nothing. */
static int pools_alloc(struct sig_worker *sw)
{
	struct sig_slab *sl = &sw->slab;

	if (sw->sess)
		return 0;
	sl->n = sw->n_sess * STREAMS_PER_SESSION;
	sl->mem = aligned_alloc(64, (size_t)sl->n * SIG_STREAM_SLOT);
	sl->next = calloc(sl->n, sizeof(*sl->next));
	sw->sess = calloc(sw->n_sess, sizeof(*sw->sess));
	if (!sl->mem || !sl->next || !sw->sess) {
		free(sl->mem);
		free(sl->next);
		free(sw->sess);
		memset(sl, 0, sizeof(*sl));
		sw->sess = NULL;
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < sl->n; i++)
		sl->next[i] = i + 2 <= sl->n ? i + 2 : 0;
	sl->free_head = 1;
	for (uint32_t i = 0; i < sw->n_sess; i++)
		sw->sess[i].next_free = i + 2 <= sw->n_sess ? i + 2 : 0;
	sw->free_head = 1;
	return 0;
}

void sig_worker_use(struct sig_worker *sw, const struct sig_set *set)
{
	struct sig_db *db;

	sw->set = set;
	if (!set)
		return;
	db = sig_set_db(set);
	if (sig_db_uid(db) == sw->scratch_uid)
		return;
	sw->scratch_uid = sig_db_uid(db);
	sw->ready = false;
	if (!sig_db_count(db))
		return;
	if (pools_alloc(sw) < 0) {
		ctr_add(&sw->stats.errors, 1);
		return;
	}
	/* Grown, never shrunk: it stays valid for streams still open on older databases. */
	for (uint8_t f = 0; f < SIG_FIELD__MAX; f++)
		if (sig_db_hs(db, f) && hs_alloc_scratch(sig_db_hs(db, f), &sw->scratch)) {
			ctr_add(&sw->stats.errors, 1);
			return;
		}
	sw->ready = true;
}

const struct sig_hit *sig_worker_hits(const struct sig_worker *sw)
{
	return sw->hits;
}

/* ---- matching ---- */

struct scan {
	struct sig_worker *sw;
	const struct sig_db *db;
	const uint64_t *bits;
	int n;
};

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	struct scan *sc = ctx;
	struct sig_worker *sw = sc->sw;

	(void)from;
	(void)to;
	(void)flags;
	if (!(sc->bits[id / 64] >> (id % 64) & 1))
		return 0; /* not for this workload's groups */
	ctr_add(&sw->stats.matches, 1);
	if (sw->nhits < SIG_HITS_MAX && sig_db_hit(sc->db, id, &sw->hits[sw->nhits]))
		sw->nhits++;
	sc->n++;
	return 0;
}

static struct sig_sess *slot_of(struct sig_worker *sw, const struct session *s)
{
	return s->sig_slot && s->sig_slot <= sw->n_sess && sw->sess ? &sw->sess[s->sig_slot - 1]
								     : NULL;
}

/* Close every stream of ss; with sc, matches at the end of data are reported. */
static void streams_close(struct sig_worker *sw, struct sig_sess *ss, struct scan *sc)
{
	hs_scratch_t *scr = sc ? sw->scratch : NULL;
	match_event_handler cb = sc ? on_match : NULL;

	for (int i = 0; i < 2; i++)
		if (ss->raw[i]) {
			hs_close_stream(ss->raw[i], scr, cb, sc);
			ss->raw[i] = NULL;
		}
	if (ss->fld) {
		hs_close_stream(ss->fld, scr, cb, sc);
		ss->fld = NULL;
	}
}

static void slot_release(struct sig_worker *sw, struct session *s, uint32_t gen)
{
	struct sig_sess *ss = slot_of(sw, s);

	if (!ss)
		return;
	tls_slab = &sw->slab;
	streams_close(sw, ss, NULL);
	sig_db_put(ss->db);
	ss->db = NULL;
	ss->next_free = sw->free_head;
	sw->free_head = s->sig_slot;
	s->sig_slot = 0;
	s->sig_gen = gen;
	__atomic_store_n(&sw->stats.in_use, sw->stats.in_use - 1, __ATOMIC_RELAXED);
}

void sig_session_stop(struct sig_worker *sw, struct session *s)
{
	if (sw && s->sig_slot)
		slot_release(sw, s, SIG_GEN_DONE);
	else
		s->sig_gen = SIG_GEN_DONE;
}

void sig_session_end(struct sig_worker *sw, struct session *s)
{
	if (sw && s->sig_slot)
		slot_release(sw, s, SIG_GEN_DONE);
}

/* A session's first bytes under a set that applies to its workload: a slot, or NULL. */
static struct sig_sess *slot_take(struct sig_worker *sw, struct session *s, uint32_t wl_id)
{
	struct sig_db *db = sig_set_db(sw->set);
	struct sig_sess *ss;

	if (!sw->free_head) {
		ctr_add(&sw->stats.pool_full, 1);
		s->sig_gen = SIG_GEN_DONE;
		return NULL;
	}
	ss = &sw->sess[sw->free_head - 1];
	s->sig_slot = sw->free_head;
	sw->free_head = ss->next_free;
	memset(ss, 0, sizeof(*ss));
	sig_db_get(db);
	ss->db = db;
	ss->wl_id = wl_id;
	sig_http_init(&ss->http);
	ss->http_on = sig_db_hs(db, SIG_FIELD_URL) || sig_db_hs(db, SIG_FIELD_HEADER) ||
		      sig_db_hs(db, SIG_FIELD_BODY);
	if (!sig_db_hs(db, SIG_FIELD_STREAM))
		ss->done |= 1u << SESS_FROM_SERVER; /* only the client's request fields */
	ctr_add(&sw->stats.sessions, 1);
	__atomic_store_n(&sw->stats.in_use, sw->stats.in_use + 1, __ATOMIC_RELAXED);
	return ss;
}

/* The set changed its database: the streams start again on the new one. */
static void slot_rebind(struct sig_worker *sw, struct sig_sess *ss)
{
	struct sig_db *db = sig_set_db(sw->set);

	streams_close(sw, ss, NULL);
	sig_db_put(ss->db);
	sig_db_get(db);
	ss->db = db;
	if (!sig_db_hs(db, SIG_FIELD_STREAM))
		ss->done |= 1u << SESS_FROM_SERVER;
	ss->http_on = ss->http_on && (sig_db_hs(db, SIG_FIELD_URL) ||
				      sig_db_hs(db, SIG_FIELD_HEADER) ||
				      sig_db_hs(db, SIG_FIELD_BODY));
}

/* The slot of s for this feed, taking or rebinding one; NULL: nothing to inspect. */
static struct sig_sess *slot_for(struct sig_worker *sw, struct session *s, uint32_t wl_id)
{
	uint32_t gen;
	struct sig_sess *ss = slot_of(sw, s);

	if (!sw->set)
		return NULL; /* outside a pass */
	if (!sw->ready) {
		if (ss) /* no signatures any more: out of the way of the fast path */
			slot_release(sw, s, 0);
		return NULL;
	}
	if (ss) {
		if (ss->db != sig_set_db(sw->set))
			slot_rebind(sw, ss);
		return ss;
	}
	gen = sig_set_gen(sw->set);
	if (s->sig_gen == gen || s->sig_gen == SIG_GEN_DONE)
		return NULL;
	if (!sig_set_any(sw->set, wl_id)) {
		s->sig_gen = gen; /* looked again only when the set changes */
		return NULL;
	}
	return slot_take(sw, s, wl_id);
}

/* Scan n bytes into *st (opened on db's field database first); false on a hard error. */
static bool scan_into(struct sig_worker *sw, hs_stream_t **st, const hs_database_t *hs,
		      const uint8_t *b, uint32_t n, struct scan *sc)
{
	hs_error_t e;

	if (!*st) {
		e = hs_open_stream(hs, 0, st);
		if (e != HS_SUCCESS) {
			*st = NULL;
			ctr_add(e == HS_NOMEM ? &sw->stats.pool_full : &sw->stats.errors, 1);
			return false;
		}
	}
	e = hs_scan_stream(*st, (const char *)b, n, 0, sw->scratch, on_match, sc);
	if (e != HS_SUCCESS) {
		ctr_add(&sw->stats.errors, 1);
		return false;
	}
	return true;
}

struct http_ctx {
	struct sig_worker *sw;
	struct sig_sess *ss;
	struct scan *sc;
	bool failed;
};

/* An HTTP field event: its own stream, opened at OPEN, matched to its end at CLOSE. */
static void on_field(void *arg, uint8_t field, enum sig_http_ev ev, const uint8_t *b, uint32_t n)
{
	struct http_ctx *hc = arg;
	struct sig_sess *ss = hc->ss;
	const hs_database_t *hs = sig_db_hs(ss->db, field);

	if (ev == SIG_HTTP_OPEN || ev == SIG_HTTP_CLOSE) {
		if (ss->fld) {
			hs_close_stream(ss->fld, hc->sw->scratch, on_match, hc->sc);
			ss->fld = NULL;
		}
		return;
	}
	if (hs && !hc->failed && !scan_into(hc->sw, &ss->fld, hs, b, n, hc->sc))
		hc->failed = true;
}

/* One direction reached the depth: what is still open is matched to its end. */
static void side_done(struct sig_worker *sw, struct sig_sess *ss, uint8_t side, struct scan *sc)
{
	ss->done |= (uint8_t)(1u << side);
	ctr_add(&sw->stats.depth_done, 1);
	if (ss->raw[side]) {
		hs_close_stream(ss->raw[side], sw->scratch, on_match, sc);
		ss->raw[side] = NULL;
	}
	if (side == SESS_FROM_CLIENT && ss->http_on) {
		struct http_ctx hc = {sw, ss, sc, false};

		sig_http_end(&ss->http, on_field, &hc);
		ss->http_on = false;
	}
}

static bool feed_side(struct sig_worker *sw, struct sig_sess *ss, uint8_t side, const uint8_t *b,
		      uint32_t n, struct scan *sc)
{
	const hs_database_t *raw = sig_db_hs(ss->db, SIG_FIELD_STREAM);

	if (raw && !scan_into(sw, &ss->raw[side], raw, b, n, sc))
		return false;
	if (side == SESS_FROM_CLIENT && ss->http_on) {
		struct http_ctx hc = {sw, ss, sc, false};

		ss->http_on = sig_http_feed(&ss->http, b, n, on_field, &hc);
		if (hc.failed)
			return false;
	}
	return true;
}

int sig_feed(struct sig_worker *sw, struct session *s, uint32_t wl_id, uint8_t side,
	     const uint8_t *data, uint32_t len)
{
	struct sig_sess *ss;
	struct scan sc = {.sw = sw};

	sw->nhits = 0;
	if (!len || side > 1)
		return 0;
	tls_slab = &sw->slab;
	ss = slot_for(sw, s, wl_id);
	if (!ss || (ss->done & (1u << side)))
		return 0;
	sc.db = ss->db;
	sc.bits = sig_set_bits(sw->set, ss->wl_id);
	if (sw->depth && ss->fed[side] + len > sw->depth)
		len = (uint32_t)(sw->depth - ss->fed[side]);
	if (!feed_side(sw, ss, side, data, len, &sc)) {
		slot_release(sw, s, SIG_GEN_DONE); /* no room or an error: not inspected further */
		return sc.n;
	}
	ss->fed[side] += len;
	ctr_add(&sw->stats.bytes, len);
	if (sw->depth && ss->fed[side] >= sw->depth)
		side_done(sw, ss, side, &sc);
	if (ss->done == 3)
		slot_release(sw, s, SIG_GEN_DONE);
	return sc.n;
}

int sig_feed_tcp(struct sig_worker *sw, struct session *s, uint32_t wl_id, uint8_t side,
		 uint32_t seq, const uint8_t *data, uint32_t len)
{
	struct sig_sess *ss = slot_of(sw, s);
	int n;

	if (side > 1)
		return 0;
	if (ss && (ss->seq_seen & (1u << side))) {
		int32_t old = (int32_t)(ss->next_seq[side] - seq);

		if (old > 0 && (uint32_t)old >= len) {
			sw->nhits = 0;
			return 0; /* a retransmission of bytes already matched */
		}
		if (old > 0) {
			data += old;
			len -= (uint32_t)old;
			seq += (uint32_t)old;
		}
	}
	n = sig_feed(sw, s, wl_id, side, data, len);
	ss = slot_of(sw, s);
	if (ss) {
		ss->next_seq[side] = seq + len;
		ss->seq_seen |= (uint8_t)(1u << side);
	}
	return n;
}

void sig_get_stats(const struct sig_worker *sw, struct sig_stats *out)
{
	out->sessions = __atomic_load_n(&sw->stats.sessions, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&sw->stats.bytes, __ATOMIC_RELAXED);
	out->matches = __atomic_load_n(&sw->stats.matches, __ATOMIC_RELAXED);
	out->pool_full = __atomic_load_n(&sw->stats.pool_full, __ATOMIC_RELAXED);
	out->depth_done = __atomic_load_n(&sw->stats.depth_done, __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&sw->stats.errors, __ATOMIC_RELAXED);
	out->in_use = __atomic_load_n(&sw->stats.in_use, __ATOMIC_RELAXED);
}
