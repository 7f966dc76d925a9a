/*
 * test-sig.c - user signatures (src/dp/sig*.c): compiling, matching streams
 * split anywhere, HTTP fields, groups, depth and the bounded pools; and fed by
 * TCP reassembly the way the dp feeds them (dp-stream.c, threat.c): out-of-order
 * segments, conflicting retransmissions, reassembly giving up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "dp/dp-event.h"
#include "dp/dp-stream.h"
#include "dp/dp-worker.h"
#include "dp/dpi.h"
#include "dp/reasm-tcp.h"
#include "dp/sig.h"
#include "dp/threat.h"
#include "policy/policy-t.h"

/* Membership for the tests: ctx is a NULL-terminated list of group names. */
static bool member(void *ctx, const char *group)
{
	for (const char *const *g = ctx; *g; g++)
		if (!strcmp(*g, group))
			return true;
	return !strcmp(group, "any");
}

static const char *const web_groups[] = {"web", "frontend", NULL};
static const char *const db_groups[] = {"db", NULL};

struct fx {
	struct sig_db *db;
	struct sig_set *set;
	struct sig_worker *sw;
};

static struct sig_spec spec(uint16_t id, const char *name, const char *pat, uint8_t field)
{
	struct sig_spec s = {.id = id, .name = name, .pattern = pat, .field = field,
			     .action = SIG_ACT_RESET, .severity = THREAT_SEV_HIGH};
	return s;
}

/* A worker using specs, for workloads 1 (web, frontend) and 2 (db). */
static void fx_make(struct fx *f, const struct sig_spec *specs, size_t n, uint32_t sessions,
		    uint32_t depth)
{
	struct sig_wl_spec wls[] = {
		{.wl_id = 2, .member = member, .ctx = (void *)db_groups},
		{.wl_id = 1, .member = member, .ctx = (void *)web_groups},
	};
	char err[256] = "";

	memset(f, 0, sizeof(*f));
	assert_int_equal(sig_db_build(specs, n, &f->db, err, sizeof(err)), 0);
	assert_int_equal(sig_set_build(f->db, wls, 2, &f->set), 0);
	assert_int_equal(sig_worker_new(&f->sw, sessions, depth), 0);
	sig_worker_use(f->sw, f->set);
}

static void fx_free(struct fx *f, struct session *s, size_t ns)
{
	for (size_t i = 0; i < ns; i++)
		sig_session_end(f->sw, &s[i]);
	sig_worker_free(f->sw);
	sig_set_free(f->set);
	sig_db_put(f->db);
}

static int feed_str(struct fx *f, struct session *s, uint32_t wl, uint8_t side, const char *str)
{
	return sig_feed(f->sw, s, wl, side, (const uint8_t *)str, (uint32_t)strlen(str));
}

/* Feed str in pieces of step bytes; returns the matches of all pieces. */
static int feed_steps(struct fx *f, struct session *s, uint32_t wl, uint8_t side, const char *str,
		      size_t step, char *names, size_t nlen)
{
	size_t len = strlen(str);
	int total = 0;

	for (size_t i = 0; i < len; i += step) {
		size_t k = len - i < step ? len - i : step;
		int n = sig_feed(f->sw, s, wl, side, (const uint8_t *)str + i, (uint32_t)k);

		for (int h = 0; h < n && h < SIG_HITS_MAX && names; h++) {
			strncat(names, sig_worker_hits(f->sw)[h].name, nlen - strlen(names) - 1);
			strncat(names, " ", nlen - strlen(names) - 1);
		}
		total += n;
	}
	return total;
}

static void test_compile_and_bad_regex(void **state)
{
	struct sig_spec ok[] = {spec(1, "a", "secret-[0-9]{4}", SIG_FIELD_STREAM),
				spec(2, "b", "/admin", SIG_FIELD_URL)};
	struct sig_spec bad[] = {spec(1, "good", "abc", SIG_FIELD_STREAM),
				 spec(2, "broken", "a(b", SIG_FIELD_STREAM)};
	struct sig_spec backref = spec(3, "backref", "(a)\\1", SIG_FIELD_STREAM);
	struct sig_spec empty = spec(4, "empty", "x*", SIG_FIELD_STREAM);
	struct sig_db *db = NULL;
	char err[256] = "";

	(void)state;
	assert_int_equal(sig_db_build(ok, 2, &db, err, sizeof(err)), 0);
	assert_int_equal(sig_db_count(db), 2);
	sig_db_put(db);
	assert_int_equal(sig_db_build(NULL, 0, &db, err, sizeof(err)), 0);
	assert_int_equal(sig_db_count(db), 0);
	sig_db_put(db);

	db = NULL;
	assert_int_not_equal(sig_db_build(bad, 2, &db, err, sizeof(err)), 0);
	assert_null(db);
	assert_non_null(strstr(err, "signature broken: pattern: "));
	assert_null(strchr(err, '\n'));
	assert_int_not_equal(sig_pattern_check(&backref, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "backref"));
	assert_int_not_equal(sig_pattern_check(&empty, err, sizeof(err)), 0);
	assert_int_equal(sig_pattern_check(&ok[0], err, sizeof(err)), 0);
}

static void test_split_across_feeds(void **state)
{
	struct sig_spec specs[] = {spec(7, "card", "4111-1111-1111-[0-9]{4}", SIG_FIELD_STREAM)};
	struct session s[3];
	struct fx f;
	char names[128] = "";

	(void)state;
	memset(s, 0, sizeof(s));
	fx_make(&f, specs, 1, 16, 0);
	/* two feeds, split in the middle of the pattern */
	assert_int_equal(feed_str(&f, &s[0], 1, SESS_FROM_SERVER, "data: 4111-1111-"), 0);
	assert_true(sig_inspecting(&s[0]));
	assert_int_equal(feed_str(&f, &s[0], 1, SESS_FROM_SERVER, "1111-1234 end"), 1);
	assert_int_equal(sig_worker_hits(f.sw)[0].id, 7);
	assert_string_equal(sig_worker_hits(f.sw)[0].name, "card");
	assert_int_equal(sig_worker_hits(f.sw)[0].action, SIG_ACT_RESET);
	/* one byte at a time */
	assert_int_equal(feed_steps(&f, &s[1], 1, SESS_FROM_CLIENT, "xx 4111-1111-1111-9876 yy", 1,
				    names, sizeof(names)),
			 1);
	assert_string_equal(names, "card ");
	/* a near miss, also one byte at a time: no match */
	assert_int_equal(feed_steps(&f, &s[2], 1, SESS_FROM_CLIENT, "4111-1111-1111-98x6 4111-1112",
				    1, NULL, 0),
			 0);
	/* directions are separate streams: half in each matches nothing */
	sig_session_end(f.sw, &s[2]);
	memset(&s[2], 0, sizeof(s[2]));
	assert_int_equal(feed_str(&f, &s[2], 1, SESS_FROM_CLIENT, "4111-1111-"), 0);
	assert_int_equal(feed_str(&f, &s[2], 1, SESS_FROM_SERVER, "1111-1234"), 0);
	fx_free(&f, s, 3);
}

static void test_http_fields(void **state)
{
	struct sig_spec specs[] = {
		spec(1, "admin-url", "^/admin", SIG_FIELD_URL),
		spec(2, "bad-agent", "^User-Agent: evilbot", SIG_FIELD_HEADER),
		spec(3, "body-secret", "password=hunter2", SIG_FIELD_BODY),
		spec(4, "url-end", "\\.php$", SIG_FIELD_URL),
	};
	const char *req1 = "GET /admin/panel HTTP/1.1\r\nHost: x\r\nUser-Agent: evilbot/1\r\n\r\n";
	const char *req2 = "GET /public?next=/admin HTTP/1.1\r\nHost: x\r\nX-Note: "
			   "User-Agent: evilbot\r\n\r\n";
	const char *req3 = "POST /login HTTP/1.1\r\nContent-Length: 16\r\n\r\npassword=hunter2";
	const char *req4 = "POST /login HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			   "9\r\npassword=\r\n7;x=y\r\nhunter2\r\n0\r\n\r\n";
	const char *req5 = "GET /a.php HTTP/1.1\r\n\r\nGET /b.phpx HTTP/1.1\r\n\r\n";
	struct session s[6];
	struct fx f;
	char names[256];

	(void)state;
	memset(s, 0, sizeof(s));
	fx_make(&f, specs, 4, 16, 0);
	for (size_t step = 1; step <= 64; step *= 4) {
		memset(s, 0, sizeof(s));
		names[0] = 0;
		/* url anchored at the target's start, header anchored at a line start */
		assert_int_equal(feed_steps(&f, &s[0], 1, SESS_FROM_CLIENT, req1, step, names,
					    sizeof(names)),
				 2);
		assert_non_null(strstr(names, "admin-url"));
		assert_non_null(strstr(names, "bad-agent"));
		/* the same words elsewhere in the request: not in their field (or anchor) */
		assert_int_equal(feed_steps(&f, &s[1], 1, SESS_FROM_CLIENT, req2, step, NULL, 0),
				 0);
		/* Content-Length body, and a chunked one split over chunks */
		names[0] = 0;
		assert_int_equal(feed_steps(&f, &s[2], 1, SESS_FROM_CLIENT, req3, step, names,
					    sizeof(names)),
				 1);
		assert_string_equal(names, "body-secret ");
		assert_int_equal(feed_steps(&f, &s[3], 1, SESS_FROM_CLIENT, req4, step, NULL, 0),
				 1);
		/* $ at the end of the target, per pipelined request */
		names[0] = 0;
		assert_int_equal(feed_steps(&f, &s[4], 1, SESS_FROM_CLIENT, req5, step, names,
					    sizeof(names)),
				 1);
		assert_string_equal(names, "url-end ");
		/* the server's bytes are not requests */
		assert_int_equal(feed_steps(&f, &s[5], 1, SESS_FROM_SERVER, req1, step, NULL, 0),
				 0);
		for (int i = 0; i < 6; i++)
			sig_session_end(f.sw, &s[i]);
	}
	fx_free(&f, s, 0);
}

static void test_groups(void **state)
{
	const char *const web[] = {"web"};
	struct sig_spec specs[] = {spec(1, "web-only", "needle", SIG_FIELD_STREAM),
				   spec(2, "everyone", "haystack", SIG_FIELD_STREAM)};
	struct session s[3];
	struct fx f;

	(void)state;
	specs[0].groups = web;
	specs[0].n_groups = 1;
	memset(s, 0, sizeof(s));
	fx_make(&f, specs, 2, 16, 0);
	assert_int_equal(sig_set_count_for(f.set, 1), 2);
	assert_int_equal(sig_set_count_for(f.set, 2), 1);
	assert_int_equal(sig_set_count_for(f.set, 99), 1); /* unknown: ungrouped only */
	assert_int_equal(feed_str(&f, &s[0], 1, SESS_FROM_CLIENT, "a needle"), 1);
	assert_string_equal(sig_worker_hits(f.sw)[0].name, "web-only");
	assert_int_equal(feed_str(&f, &s[1], 2, SESS_FROM_CLIENT, "a needle"), 0);
	assert_int_equal(feed_str(&f, &s[1], 2, SESS_FROM_CLIENT, " in a haystack"), 1);
	assert_string_equal(sig_worker_hits(f.sw)[0].name, "everyone");
	fx_free(&f, s, 3);

	/* nothing applies to workload 2: its session takes no slot at all */
	specs[1].groups = web;
	specs[1].n_groups = 1;
	memset(s, 0, sizeof(s));
	fx_make(&f, specs, 2, 16, 0);
	assert_int_equal(feed_str(&f, &s[2], 2, SESS_FROM_CLIENT, "needle haystack"), 0);
	assert_false(sig_inspecting(&s[2]));
	fx_free(&f, s, 3);
}

static void test_pool_exhaustion_and_depth(void **state)
{
	struct sig_spec specs[] = {spec(1, "n", "needle", SIG_FIELD_STREAM)};
	struct session s[4];
	struct sig_stats st;
	struct fx f;

	(void)state;
	memset(s, 0, sizeof(s));
	fx_make(&f, specs, 1, 2, 16); /* two session slots, 16 bytes per direction */
	assert_int_equal(feed_str(&f, &s[0], 1, SESS_FROM_CLIENT, "x"), 0);
	assert_int_equal(feed_str(&f, &s[1], 1, SESS_FROM_CLIENT, "x"), 0);
	/* the third session finds the pool empty: counted, never inspected */
	assert_int_equal(feed_str(&f, &s[2], 1, SESS_FROM_CLIENT, "needle"), 0);
	assert_false(sig_inspecting(&s[2]));
	sig_get_stats(f.sw, &st);
	assert_int_equal(st.pool_full, 1);
	assert_int_equal(st.in_use, 2);
	/* a slot freed is taken again */
	sig_session_end(f.sw, &s[1]);
	assert_int_equal(feed_str(&f, &s[3], 1, SESS_FROM_CLIENT, "needle"), 1);
	/* past the depth a direction is no longer matched */
	assert_int_equal(feed_str(&f, &s[0], 1, SESS_FROM_CLIENT, "0123456789abc"), 0);
	assert_int_equal(feed_str(&f, &s[0], 1, SESS_FROM_CLIENT, "needle"), 0);
	assert_int_equal(feed_str(&f, &s[0], 1, SESS_FROM_SERVER, "needle"), 1);
	assert_int_equal(feed_str(&f, &s[0], 1, SESS_FROM_SERVER, "0123456789"), 0);
	assert_false(sig_inspecting(&s[0])); /* both directions done: slot back */
	sig_get_stats(f.sw, &st);
	assert_int_equal(st.depth_done, 2);
	fx_free(&f, s, 4);
}

static void test_tcp_retransmission(void **state)
{
	struct sig_spec specs[] = {spec(1, "n", "abcdef", SIG_FIELD_STREAM)};
	struct session s;
	struct fx f;

	(void)state;
	memset(&s, 0, sizeof(s));
	fx_make(&f, specs, 1, 4, 0);
	assert_int_equal(sig_feed_tcp(f.sw, &s, 1, 0, 1000, (const uint8_t *)"xxabc", 5), 0);
	/* the same segment again, then an overlapping one: only new bytes count */
	assert_int_equal(sig_feed_tcp(f.sw, &s, 1, 0, 1000, (const uint8_t *)"xxabc", 5), 0);
	assert_int_equal(sig_feed_tcp(f.sw, &s, 1, 0, 1002, (const uint8_t *)"abcdef", 6), 1);
	fx_free(&f, &s, 1);
}

static void test_new_database(void **state)
{
	struct sig_spec a[] = {spec(1, "old", "alpha", SIG_FIELD_STREAM)};
	struct sig_spec b[] = {spec(2, "new", "beta", SIG_FIELD_STREAM)};
	struct sig_wl_spec wl = {.wl_id = 1, .member = member, .ctx = (void *)web_groups};
	struct sig_db *db2;
	struct sig_set *set2, *empty;
	struct session s;
	struct fx f;
	char err[128];

	(void)state;
	memset(&s, 0, sizeof(s));
	fx_make(&f, a, 1, 4, 0);
	assert_int_equal(feed_str(&f, &s, 1, 0, "alp"), 0);
	assert_int_equal(sig_db_build(b, 1, &db2, err, sizeof(err)), 0);
	assert_int_equal(sig_set_build(db2, &wl, 1, &set2), 0);
	sig_db_put(db2);
	/* the old set goes (its database stays while the session's streams use it) */
	sig_set_free(f.set);
	sig_db_put(f.db);
	f.set = set2;
	f.db = NULL;
	sig_worker_use(f.sw, set2);
	assert_int_equal(feed_str(&f, &s, 1, 0, "ha beta"), 1);
	assert_string_equal(sig_worker_hits(f.sw)[0].name, "new");
	/* an empty set: the session gives its slot back (fast path allowed again) */
	assert_int_equal(sig_db_build(NULL, 0, &db2, err, sizeof(err)), 0);
	assert_int_equal(sig_set_build(db2, NULL, 0, &empty), 0);
	sig_db_put(db2);
	sig_worker_use(f.sw, empty);
	assert_int_equal(feed_str(&f, &s, 1, 0, "beta"), 0);
	assert_false(sig_inspecting(&s));
	sig_set_free(empty);
	fx_free(&f, &s, 1);
}

/* ---- through TCP reassembly: dp_stream_feed, then threat_check, like dp-verdict.c ---- */

#define TH_SYN 0x02
#define TH_ACK 0x10
#define SECRET "TOPSECRET-1234"

struct rx {
	struct fx f;
	struct dp_worker *w;
	struct dp_evring ev;
	struct dp_port_info port;
	struct session s;
	uint8_t pkt[2048];
	uint8_t frame[64];
	/* drained events */
	int sig_events, overlap_events;
	uint8_t sig_action;
};

static void rx_make(struct rx *x, int mode, const struct reasm_config *rcfg)
{
	struct sig_spec specs[] = {spec(1, "secret", "TOPSECRET-1234", SIG_FIELD_STREAM)};

	memset(x, 0, sizeof(*x));
	fx_make(&x->f, specs, 1, 16, 0); /* the set; its own worker goes unused */
	x->w = calloc(1, sizeof(*x->w));
	assert_non_null(x->w);
	assert_int_equal(dp_evring_init(&x->ev), 0);
	assert_int_equal(threat_new(&x->w->threat, NULL, &x->ev), 0);
	assert_int_equal(reasm_new(&x->w->reasm, rcfg), 0);
	assert_int_equal(dpi_new(&x->w->dpi, 4), 0);
	threat_pass_begin(x->w->threat, x->f.set);
	x->port.idx = 1;
	x->port.wl_id = 1;
	x->port.mode = (uint8_t)mode;
	x->s.key.proto = IPPROTO_TCP;
	x->s.key.family = AF_INET;
	x->s.verdict = SESS_ALLOWED;
	x->s.state = SESS_TCP_ESTABLISHED;
	dpi_session_start(&x->s); /* as the policy stage does: DPI wants the stream first */
}

static void rx_free(struct rx *x)
{
	struct reasm_stats st;

	threat_session_end(x->w->threat, &x->s);
	reasm_tcp_release(x->w->reasm, &x->s);
	dpi_release(x->w->dpi, &x->s);
	dpi_free(x->w->dpi);
	reasm_get_stats(x->w->reasm, &st);
	assert_int_equal(st.chunks_in_use, 0);
	threat_pass_begin(x->w->threat, NULL);
	threat_free(x->w->threat);
	reasm_free(x->w->reasm);
	dp_evring_fini(&x->ev);
	free(x->w);
	sig_worker_free(x->f.sw);
	sig_set_free(x->f.set);
	sig_db_put(x->f.db);
}

/* One TCP packet of side through the stream stage and the threat stage. */
static enum threat_action rx_pkt(struct rx *x, uint8_t side, uint8_t flags, uint32_t seq,
				 const char *data)
{
	struct sess_result sr = {.s = &x->s, .side = side};
	uint32_t len = data ? (uint32_t)strlen(data) : 0;
	struct dp_pkt p;

	memset(&p, 0, sizeof(p));
	memset(x->pkt, 0, 20);
	memcpy(x->pkt + 20, data ? data : "", len);
	p.family = AF_INET;
	p.proto = IPPROTO_TCP;
	p.flags = DP_PKT_L4;
	p.eth = x->frame;
	p.len = sizeof(x->frame);
	p.l4 = x->pkt;
	p.payload = x->pkt + 20;
	p.payload_len = len;
	p.tcp_flags = flags;
	p.tcp_seq = seq;
	p.tcp_win = 65535;
	p.sport = side ? 80 : 40000;
	p.dport = side ? 40000 : 80;
	x->s.packets[side]++;
	if (x->s.verdict != SESS_ALLOWED)
		return THREAT_ACT_DROP; /* what the policy stage does */
	dp_stream_feed(x->w, &x->port, &x->s, &p, side);
	return threat_check(x->w->threat, &x->port, &p, &sr);
}

static void rx_handshake(struct rx *x, uint32_t c, uint32_t sv)
{
	rx_pkt(x, 0, TH_SYN, c, NULL);
	rx_pkt(x, 1, TH_SYN | TH_ACK, sv, NULL);
	rx_pkt(x, 0, TH_ACK, c + 1, NULL);
}

static void rx_on_ev(void *ctx, const struct dp_event *ev)
{
	struct rx *x = ctx;

	if (ev->threat.id == SIG_THREAT_BASE + 1) {
		assert_string_equal(ev->threat.sig_name, "secret");
		x->sig_events++;
		x->sig_action = ev->threat.action;
	} else if (ev->threat.id == THREAT_TCP_OVERLAP) {
		x->overlap_events++;
	}
}

/* Signature matches so far (every match counts, whatever the report aggregation). */
static uint64_t rx_matches(struct rx *x)
{
	struct sig_stats st;

	sig_get_stats(threat_sig(x->w->threat), &st);
	return st.matches;
}

static void rx_drain(struct rx *x)
{
	dp_evring_drain(&x->ev, rx_on_ev, x);
}

static void test_reasm_out_of_order(void **state)
{
	static const char req[] = "data " SECRET " end";
	uint32_t n = (uint32_t)strlen(req);
	struct rx x;

	(void)state;
	/* protect: 1-byte segments, last first; nothing matches until the first byte fills the gap */
	rx_make(&x, BH_MODE_PROTECT, NULL);
	rx_handshake(&x, 1000, 5000);
	for (uint32_t i = n - 1; i >= 1; i--) {
		char b[2] = {req[i], 0};

		assert_int_equal(rx_pkt(&x, 0, TH_ACK, 1001 + i, b), THREAT_ACT_LOG);
	}
	assert_int_equal(rx_matches(&x), 0);
	assert_int_equal(reasm_tcp_queued(x.w->reasm, &x.s), n - 1);
	assert_int_equal(rx_pkt(&x, 0, TH_ACK, 1001, "d"), THREAT_ACT_RESET);
	assert_int_equal(x.s.verdict, SESS_BLOCKED);
	assert_int_equal(rx_matches(&x), 1);
	rx_drain(&x);
	assert_int_equal(x.sig_events, 1);
	assert_int_equal(x.sig_action, THREAT_ACT_RESET);
	assert_false(sig_inspecting(&x.s)); /* blocked: its streams are closed */
	rx_free(&x);

	/* the signature split over two segments sent in reverse, a gap between the halves */
	rx_make(&x, BH_MODE_MONITOR, NULL);
	rx_handshake(&x, 7, 9);
	assert_int_equal(rx_pkt(&x, 0, TH_ACK, 8, "data TOPSE"), THREAT_ACT_LOG);
	assert_int_equal(rx_pkt(&x, 0, TH_ACK, 8 + 15, "1234 end"), THREAT_ACT_LOG);
	assert_int_equal(rx_matches(&x), 0); /* "data TOPSE" + "1234": no match across the gap */
	assert_int_equal(rx_pkt(&x, 0, TH_ACK, 8 + 10, "CRET-"), THREAT_ACT_LOG);
	assert_int_equal(rx_matches(&x), 1);
	rx_drain(&x);
	assert_int_equal(x.sig_events, 1);
	assert_int_equal(x.sig_action, THREAT_ACT_LOG); /* monitor logs */
	assert_int_equal(x.s.verdict, SESS_ALLOWED);
	rx_free(&x);
}

static void test_reasm_conflicting_retransmission(void **state)
{
	struct rx x;

	(void)state;
	/* delivered "99", then a copy of those bytes saying "12": the receiver keeps "99" */
	rx_make(&x, BH_MODE_MONITOR, NULL);
	rx_handshake(&x, 100, 200);
	rx_pkt(&x, 0, TH_ACK, 101, "data TOPSECRET-99");
	rx_pkt(&x, 0, TH_ACK, 101 + 15, "1234 end");
	rx_drain(&x);
	assert_int_equal(x.overlap_events, 1);
	assert_int_equal(rx_matches(&x), 0); /* the stream is "...TOPSECRET-9934 end" */
	assert_int_equal(x.sig_events, 0);
	rx_free(&x);

	/* queued out of order: a second copy at the same place is dropped, the first kept */
	rx_make(&x, BH_MODE_MONITOR, NULL);
	rx_handshake(&x, 100, 200);
	rx_pkt(&x, 0, TH_ACK, 101, "data TOPSECRET-");
	rx_pkt(&x, 0, TH_ACK, 101 + 17, "99 end");
	rx_pkt(&x, 0, TH_ACK, 101 + 17, "34 end");
	assert_int_equal(rx_pkt(&x, 0, TH_ACK, 101 + 15, "12"), THREAT_ACT_LOG);
	assert_int_equal(rx_matches(&x), 0); /* "...TOPSECRET-1299 end" */
	rx_drain(&x);
	assert_true(x.overlap_events >= 1);
	assert_int_equal(x.sig_events, 0);
	rx_free(&x);

	/* control: the same bytes without the fake copy do match */
	rx_make(&x, BH_MODE_MONITOR, NULL);
	rx_handshake(&x, 100, 200);
	rx_pkt(&x, 0, TH_ACK, 101, "data TOPSECRET-");
	rx_pkt(&x, 0, TH_ACK, 101 + 17, "34 end");
	rx_pkt(&x, 0, TH_ACK, 101 + 15, "12");
	assert_int_equal(rx_matches(&x), 1);
	rx_free(&x);
}

/* Monitor: a session over the reassembly cap is matched packet by packet from there on. */
static void test_reasm_gave_up(void **state)
{
	struct reasm_config rcfg = {.session_chunks = 1};
	struct reasm_stats st;
	struct rx x;

	(void)state;
	rx_make(&x, BH_MODE_MONITOR, &rcfg);
	rx_handshake(&x, 100, 200);
	rx_pkt(&x, 0, TH_ACK, 101, "data TOPSECRET-");
	rx_pkt(&x, 0, TH_ACK, 101 + 30, "x");  /* queued: the session's one chunk */
	rx_pkt(&x, 0, TH_ACK, 101 + 40, "y");  /* refused: reassembly gives up */
	reasm_get_stats(x.w->reasm, &st);
	assert_int_equal(st.gave_up, 1);
	assert_int_equal(x.s.reasm_flow, REASM_FLOW_DONE);
	assert_true(sig_inspecting(&x.s));
	/* the stream went on at "y" (seq 141): a retransmission of earlier bytes is cut */
	assert_int_equal(rx_pkt(&x, 0, TH_ACK, 101 + 15, "1234"), THREAT_ACT_LOG);
	assert_int_equal(rx_matches(&x), 0);
	assert_int_equal(rx_pkt(&x, 0, TH_ACK, 101 + 41, SECRET), THREAT_ACT_LOG);
	assert_int_equal(rx_matches(&x), 1);
	rx_free(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compile_and_bad_regex),
		cmocka_unit_test(test_split_across_feeds),
		cmocka_unit_test(test_http_fields),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_pool_exhaustion_and_depth),
		cmocka_unit_test(test_tcp_retransmission),
		cmocka_unit_test(test_new_database),
		cmocka_unit_test(test_reasm_out_of_order),
		cmocka_unit_test(test_reasm_conflicting_retransmission),
		cmocka_unit_test(test_reasm_gave_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
