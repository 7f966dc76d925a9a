/*
 * test-session.c - the per-worker session table and TCP state machine, with
 * packets built directly as struct dp_pkt and an injected clock.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dp/dp-t.h"
#include "dp/session.h"

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define ACK 0x10

#define T0 1000000ULL /* ms */

struct env {
	struct sess_table *t;
	int released;
};

static void on_release(void *arg, const struct session *s)
{
	struct env *e = arg;

	(void)s;
	e->released++;
}

static int setup_cap(void **state, uint32_t cap)
{
	static struct env e;

	memset(&e, 0, sizeof(e));
	if (sess_table_new(&e.t, cap))
		return -1;
	sess_table_set_release(e.t, on_release, &e);
	*state = &e;
	return 0;
}

static int setup(void **state)
{
	return setup_cap(state, 1024);
}

static int setup_small(void **state)
{
	return setup_cap(state, 4);
}

static int teardown(void **state)
{
	struct env *e = *state;

	sess_table_free(e->t);
	return 0;
}

/* A = 10.0.0.1 (the workload on port 1), B = 10.0.0.2 */
static void v4(union dp_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->b[0] = 10;
	a->b[3] = last;
}

static struct dp_pkt pkt(uint8_t proto, int a_to_b, uint16_t aport, uint16_t bport)
{
	struct dp_pkt p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.proto = proto;
	p.flags = DP_PKT_L4;
	p.port_idx = 1;
	p.port_gen = 1;
	p.len = 100;
	p.dir = a_to_b ? DP_DIR_EGRESS : DP_DIR_INGRESS;
	v4(a_to_b ? &p.src : &p.dst, 1);
	v4(a_to_b ? &p.dst : &p.src, 2);
	p.sport = a_to_b ? aport : bport;
	p.dport = a_to_b ? bport : aport;
	return p;
}

static struct dp_pkt tcp(int a_to_b, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
	struct dp_pkt p = pkt(IPPROTO_TCP, a_to_b, 40000, 80);

	p.tcp_flags = flags;
	p.tcp_seq = seq;
	p.tcp_ack = ack;
	p.payload_len = len;
	return p;
}

static struct session *send_pkt(struct env *e, const struct dp_pkt *p, uint64_t now,
				struct sess_result *r)
{
	assert_int_equal(sess_update(e->t, p, now, r), 0);
	return r->s;
}

static struct session *send_tcp(struct env *e, int a_to_b, uint8_t flags, uint32_t seq,
				uint32_t ack, uint32_t len, uint64_t now)
{
	struct dp_pkt p = tcp(a_to_b, flags, seq, ack, len);
	struct sess_result r;

	return send_pkt(e, &p, now, &r);
}

/* A opens to B: ISNs 100 (A) and 500 (B). */
static struct session *handshake(struct env *e)
{
	struct session *s;

	s = send_tcp(e, 1, SYN, 100, 0, 0, T0);
	assert_int_equal(s->state, SESS_TCP_SYN_SENT);
	assert_ptr_equal(send_tcp(e, 0, SYN | ACK, 500, 101, 0, T0), s);
	assert_int_equal(s->state, SESS_TCP_SYN_RECV);
	assert_ptr_equal(send_tcp(e, 1, ACK, 101, 501, 0, T0), s);
	assert_int_equal(s->state, SESS_TCP_ESTABLISHED);
	return s;
}

static void test_both_directions(void **state)
{
	struct env *e = *state;
	struct dp_pkt p;
	struct sess_result r;
	struct session *s;

	p = pkt(IPPROTO_UDP, 1, 5353, 53);
	s = send_pkt(e, &p, T0, &r);
	assert_non_null(s);
	assert_true(r.created);
	assert_int_equal(r.side, SESS_FROM_CLIENT);
	assert_int_equal(s->client_dir, DP_DIR_EGRESS);

	p = pkt(IPPROTO_UDP, 0, 5353, 53);
	p.len = 300;
	assert_ptr_equal(send_pkt(e, &p, T0 + 5, &r), s);
	assert_false(r.created);
	assert_int_equal(r.side, SESS_FROM_SERVER);
	assert_int_equal(s->packets[SESS_FROM_CLIENT], 1);
	assert_int_equal(s->packets[SESS_FROM_SERVER], 1);
	assert_int_equal(s->bytes[SESS_FROM_SERVER], 300);
	assert_int_equal(s->first_seen, T0);
	assert_int_equal(s->last_seen, T0 + 5);
	assert_int_equal(sess_count(e->t), 1);

	/* another port index is another session */
	p.port_idx = 2;
	assert_ptr_not_equal(send_pkt(e, &p, T0, &r), s);
	assert_true(r.created);
	assert_int_equal(sess_count(e->t), 2);
}

static void test_ipv6_udp(void **state)
{
	struct env *e = *state;
	struct dp_pkt p, q;
	struct sess_result r;
	struct session *s;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET6;
	p.proto = IPPROTO_UDP;
	p.flags = DP_PKT_L4;
	p.port_idx = 3;
	p.dir = DP_DIR_INGRESS;
	p.src.b[0] = 0xfd;
	p.src.b[15] = 9;
	p.dst.b[0] = 0xfd;
	p.dst.b[15] = 1;
	p.sport = 1;
	p.dport = 2;
	s = send_pkt(e, &p, T0, &r);
	q = p;
	q.src = p.dst;
	q.dst = p.src;
	q.sport = 2;
	q.dport = 1;
	q.dir = DP_DIR_EGRESS;
	assert_ptr_equal(send_pkt(e, &q, T0, &r), s);
	assert_int_equal(r.side, SESS_FROM_SERVER);
	assert_int_equal(s->client_dir, DP_DIR_INGRESS);
}

static void test_tcp_handshake(void **state)
{
	struct env *e = *state;
	struct session *s = handshake(e);

	assert_int_equal(s->client_dir, DP_DIR_EGRESS);
	assert_int_equal(s->flags, 0);
	assert_int_equal(s->tclass, SESS_TC_TCP_EST);
	assert_int_equal(s->packets[SESS_FROM_CLIENT], 2);
	assert_int_equal(s->packets[SESS_FROM_SERVER], 1);
	/* a retransmitted SYN does not reopen a live session */
	assert_ptr_equal(send_tcp(e, 1, SYN, 100, 0, 0, T0), s);
	assert_int_equal(s->state, SESS_TCP_ESTABLISHED);
}

static void test_tcp_fin_both_ways(void **state)
{
	struct env *e = *state;
	struct session *s = handshake(e);

	send_tcp(e, 1, FIN | ACK, 101, 501, 10, T0); /* FIN at 101 + 10 data: acked by 112 */
	assert_int_equal(s->state, SESS_TCP_FIN_WAIT);
	assert_int_equal(s->tclass, SESS_TC_TCP_HALF);
	send_tcp(e, 0, ACK, 501, 111, 0, T0); /* does not cover the FIN */
	assert_int_equal(s->state, SESS_TCP_FIN_WAIT);
	send_tcp(e, 0, ACK, 501, 112, 0, T0);
	assert_int_equal(s->state, SESS_TCP_CLOSE_WAIT);
	send_tcp(e, 0, ACK, 501, 112, 50, T0); /* server still sends */
	assert_int_equal(s->state, SESS_TCP_CLOSE_WAIT);
	send_tcp(e, 0, FIN | ACK, 551, 112, 0, T0);
	assert_int_equal(s->state, SESS_TCP_LAST_ACK);
	assert_int_equal(s->tclass, SESS_TC_TCP_CLOSING);
	send_tcp(e, 1, ACK, 112, 553, 0, T0);
	assert_int_equal(s->state, SESS_TCP_TIME_WAIT);
	assert_int_equal(s->tclass, SESS_TC_TCP_CLOSING);
}

static void test_tcp_simultaneous_close(void **state)
{
	struct env *e = *state;
	struct session *s = handshake(e);

	send_tcp(e, 1, FIN | ACK, 101, 501, 0, T0);
	send_tcp(e, 0, FIN | ACK, 501, 101, 0, T0); /* crosses: acks nothing new */
	assert_int_equal(s->state, SESS_TCP_CLOSING);
	send_tcp(e, 1, ACK, 102, 502, 0, T0);
	assert_int_equal(s->state, SESS_TCP_LAST_ACK);
	send_tcp(e, 0, ACK, 502, 102, 0, T0);
	assert_int_equal(s->state, SESS_TCP_TIME_WAIT);
}

static void test_tcp_rst_and_reuse(void **state)
{
	struct env *e = *state;
	struct session *s = handshake(e), *n;
	struct dp_pkt p;
	struct sess_result r;

	send_tcp(e, 0, RST, 501, 0, 0, T0);
	assert_int_equal(s->state, SESS_TCP_CLOSED);
	assert_int_equal(s->tclass, SESS_TC_TCP_CLOSING);
	send_tcp(e, 1, ACK, 101, 501, 0, T0); /* late segment: still closed */
	assert_int_equal(s->state, SESS_TCP_CLOSED);

	/* the same 4-tuple opened again: a fresh session */
	p = tcp(1, SYN, 9000, 0, 0);
	n = send_pkt(e, &p, T0 + 1, &r);
	assert_true(r.created);
	assert_int_equal(n->state, SESS_TCP_SYN_SENT);
	assert_int_equal(n->packets[SESS_FROM_CLIENT], 1);
	assert_int_equal(e->released, 1);
	assert_int_equal(sess_count(e->t), 1);
}

static void test_tcp_stray_rst(void **state)
{
	struct env *e = *state;
	struct dp_pkt p = tcp(1, RST | ACK, 1, 1, 0);
	struct sess_result r;

	assert_null(send_pkt(e, &p, T0, &r));
	assert_int_equal(sess_count(e->t), 0);
}

static void test_tcp_midstream(void **state)
{
	struct env *e = *state;
	struct dp_pkt p;
	struct sess_result r;
	struct session *s;

	/* data from the ephemeral side: the sender is taken as client */
	p = tcp(1, ACK, 5000, 6000, 100);
	s = send_pkt(e, &p, T0, &r);
	assert_int_equal(s->state, SESS_TCP_ESTABLISHED);
	assert_true(s->flags & SESS_F_MIDSTREAM);
	assert_int_equal(r.side, SESS_FROM_CLIENT);

	/* data from port 80: the receiver is the client */
	p = pkt(IPPROTO_TCP, 0, 40001, 80);
	p.tcp_flags = ACK;
	s = send_pkt(e, &p, T0, &r);
	assert_int_equal(r.side, SESS_FROM_SERVER);
	assert_int_equal(s->client_dir, DP_DIR_EGRESS);

	/* picked up at SYN+ACK: its receiver opened the flow */
	p = pkt(IPPROTO_TCP, 0, 40002, 80);
	p.tcp_flags = SYN | ACK;
	s = send_pkt(e, &p, T0, &r);
	assert_int_equal(s->state, SESS_TCP_SYN_RECV);
	assert_true(s->flags & SESS_F_SYNACK);
	assert_int_equal(r.side, SESS_FROM_SERVER);
	p = pkt(IPPROTO_TCP, 1, 40002, 80);
	p.tcp_flags = ACK;
	send_pkt(e, &p, T0, &r);
	assert_int_equal(s->state, SESS_TCP_ESTABLISHED);

	/* a first packet carrying FIN goes straight to half-closed */
	p = pkt(IPPROTO_TCP, 1, 40003, 80);
	p.tcp_flags = FIN | ACK;
	s = send_pkt(e, &p, T0, &r);
	assert_int_equal(s->state, SESS_TCP_FIN_WAIT);
}

static void test_icmp_echo(void **state)
{
	struct env *e = *state;
	struct dp_pkt p;
	struct sess_result r;
	struct session *s;

	p = pkt(IPPROTO_ICMP, 1, 0, 0);
	p.flags |= DP_PKT_ECHO;
	p.icmp_type = 8;
	p.icmp_id = 42;
	s = send_pkt(e, &p, T0, &r);
	assert_non_null(s);
	assert_int_equal(s->tclass, SESS_TC_ICMP);
	p = pkt(IPPROTO_ICMP, 0, 0, 0);
	p.flags |= DP_PKT_ECHO;
	p.icmp_type = 0;
	p.icmp_id = 42;
	assert_ptr_equal(send_pkt(e, &p, T0, &r), s);
	assert_int_equal(r.side, SESS_FROM_SERVER);
	p.icmp_id = 43;
	assert_ptr_not_equal(send_pkt(e, &p, T0, &r), s);

	p = pkt(IPPROTO_ICMP, 0, 0, 0); /* unreachable: no session of its own */
	p.icmp_type = 3;
	assert_null(send_pkt(e, &p, T0, &r));
}

static void test_no_session(void **state)
{
	struct env *e = *state;
	struct dp_pkt p;
	struct sess_result r;

	p = pkt(IPPROTO_UDP, 1, 1, 2);
	p.flags = DP_PKT_FRAG;
	p.frag_off = 1480;
	assert_null(send_pkt(e, &p, T0, &r));
	p = pkt(0, 1, 0, 0);
	p.family = 0; /* ARP */
	assert_null(send_pkt(e, &p, T0, &r));
	/* another IP protocol: a session on addresses alone, UDP timeout */
	p = pkt(IPPROTO_GRE, 1, 0, 0);
	assert_non_null(send_pkt(e, &p, T0, &r));
	assert_int_equal(r.s->tclass, SESS_TC_UDP);
}

static void test_port_generation(void **state)
{
	struct env *e = *state;
	struct dp_pkt p = pkt(IPPROTO_UDP, 1, 1, 2);
	struct sess_result r;

	send_pkt(e, &p, T0, &r);
	p.port_gen = 2; /* the index now names another workload */
	send_pkt(e, &p, T0, &r);
	assert_true(r.created);
	assert_int_equal(r.s->port_gen, 2);
	assert_int_equal(sess_count(e->t), 1);
	assert_int_equal(e->released, 1);
}

/* A session of class tc stays until exactly its timeout, then goes. */
static void check_timeout(struct env *e, struct session *s, enum sess_tclass tc, uint64_t secs)
{
	uint64_t last = s->last_seen;
	uint32_t n = sess_count(e->t);

	assert_int_equal(s->tclass, tc);
	assert_int_equal(sess_timeout_ms(tc), secs * 1000);
	assert_int_equal(sess_expire(e->t, last + secs * 1000 - 1, 1000), 0);
	assert_int_equal(sess_count(e->t), n);
	assert_int_equal(sess_expire(e->t, last + secs * 1000, 1000), 1);
	assert_int_equal(sess_count(e->t), n - 1);
}

static void test_timeouts(void **state)
{
	struct env *e = *state;
	struct dp_pkt p;
	struct sess_result r;
	struct session *s;

	s = send_tcp(e, 1, SYN, 1, 0, 0, T0);
	check_timeout(e, s, SESS_TC_TCP_OPEN, 20);
	s = handshake(e);
	check_timeout(e, s, SESS_TC_TCP_EST, 1200);
	s = handshake(e);
	send_tcp(e, 1, FIN | ACK, 101, 501, 0, T0 + 7);
	check_timeout(e, s, SESS_TC_TCP_HALF, 90);
	s = handshake(e);
	send_tcp(e, 0, RST, 501, 0, 0, T0);
	check_timeout(e, s, SESS_TC_TCP_CLOSING, 15);
	p = pkt(IPPROTO_UDP, 1, 1, 2);
	s = send_pkt(e, &p, T0, &r);
	check_timeout(e, s, SESS_TC_UDP, 30);
	p = pkt(IPPROTO_ICMPV6, 1, 0, 0);
	p.family = AF_INET6;
	p.flags |= DP_PKT_ECHO;
	s = send_pkt(e, &p, T0, &r);
	check_timeout(e, s, SESS_TC_ICMP, 5);
	assert_int_equal(e->released, 6);
}

static void test_activity_extends(void **state)
{
	struct env *e = *state;
	struct dp_pkt p = pkt(IPPROTO_UDP, 1, 1, 2);
	struct sess_result r;

	send_pkt(e, &p, T0, &r);
	send_pkt(e, &p, T0 + 29000, &r);
	assert_int_equal(sess_expire(e->t, T0 + 30000, 100), 0);
	assert_int_equal(sess_expire(e->t, T0 + 59000, 100), 1);
}

static void test_expire_budget(void **state)
{
	struct env *e = *state;
	struct dp_pkt p;
	struct sess_result r;
	uint16_t i;

	for (i = 0; i < 10; i++) {
		p = pkt(IPPROTO_UDP, 1, (uint16_t)(1000 + i), 53);
		send_pkt(e, &p, T0, &r);
	}
	assert_int_equal(sess_expire(e->t, T0 + 60000, 3), 3);
	assert_int_equal(sess_count(e->t), 7);
	assert_int_equal(sess_expire(e->t, T0 + 60000, 100), 7);
	assert_int_equal(sess_count(e->t), 0);
}

/* n established TCP sessions (picked up midstream) from source ports base + i. */
static void fill_established(struct env *e, uint16_t base, uint16_t n, uint64_t now)
{
	struct sess_result r;
	struct dp_pkt p;

	for (uint16_t i = 0; i < n; i++) {
		p = tcp(1, ACK, 1, 1, 0);
		p.sport = (uint16_t)(base + i);
		send_pkt(e, &p, now, &r);
		assert_int_equal(r.s->state, SESS_TCP_ESTABLISHED);
	}
}

static void test_table_full(void **state)
{
	struct env *e = *state;
	struct sess_table_stats st;
	struct dp_pkt p;
	struct sess_result r;

	assert_int_equal(sess_capacity(e->t), 4);
	fill_established(e, 41000, 4, T0);
	p = pkt(IPPROTO_UDP, 1, 2000, 53);
	assert_int_equal(sess_update(e->t, &p, T0, &r), -ENOSPC);
	assert_null(r.s);
	/* once the oldest has timed out it makes room */
	assert_int_equal(sess_update(e->t, &p, T0 + 1200000, &r), 0);
	assert_true(r.created);
	sess_table_stats(e->t, &st);
	assert_int_equal(st.full, 1);
	assert_int_equal(st.expired, 1);

	assert_int_equal(st.evicted, 0);
}

static void test_table_full_evicts_embryonic(void **state)
{
	struct env *e = *state;
	struct sess_table_stats st;
	struct dp_pkt p;
	struct sess_result r;
	struct session *syn;

	fill_established(e, 41000, 2, T0);
	p = pkt(IPPROTO_UDP, 1, 1000, 53);
	send_pkt(e, &p, T0, &r);
	syn = send_tcp(e, 1, SYN, 1, 0, 0, T0);
	assert_int_equal(syn->state, SESS_TCP_SYN_SENT);

	/* full: the oldest embryonic session makes way first, then datagram sessions */
	p = tcp(1, SYN, 1, 0, 0);
	p.sport = 40100;
	send_pkt(e, &p, T0 + 1, &r); /* evicts the first SYN */
	assert_true(r.created);
	p = tcp(1, SYN, 1, 0, 0);
	p.sport = 40101;
	send_pkt(e, &p, T0 + 2, &r); /* evicts the SYN of 40100 */
	assert_true(r.created);
	p = pkt(IPPROTO_UDP, 1, 3000, 53);
	send_pkt(e, &p, T0 + 3, &r); /* evicts the SYN of 40101 */
	assert_true(r.created);
	p = pkt(IPPROTO_UDP, 1, 3001, 53);
	send_pkt(e, &p, T0 + 4, &r); /* evicts the UDP session of 1000, the least recent */
	assert_true(r.created);
	p = pkt(IPPROTO_UDP, 1, 1000, 53);
	assert_int_equal(sess_update(e->t, &p, T0 + 5, &r), 0); /* rebuilt, evicting 3000 */
	assert_true(r.created);
	sess_table_stats(e->t, &st);
	assert_int_equal(st.evicted, 5);
	assert_int_equal(e->released, 5);

	/* established TCP only: refused */
	fill_established(e, 42000, 2, T0 + 6); /* evict the two UDP sessions */
	p = pkt(IPPROTO_UDP, 1, 3002, 53);
	assert_int_equal(sess_update(e->t, &p, T0 + 7, &r), -ENOSPC);
	sess_table_stats(e->t, &st);
	assert_int_equal(st.full, 1);
	assert_int_equal(sess_count(e->t), 4);
}

static void test_sizeof(void **state)
{
	(void)state;
	printf("# sizeof(struct session) = %zu, sizeof(struct sess_key) = %zu\n",
	       sizeof(struct session), sizeof(struct sess_key));
	assert_int_equal(sizeof(struct sess_key), 40);
	assert_true(sizeof(struct session) <= 256);
}

static void test_state_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < SESS_TCP__MAX; i++)
		assert_non_null(sess_state_str(i));
	assert_string_equal(sess_state_str(SESS_TCP_ESTABLISHED), "established");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_both_directions),
		T(test_ipv6_udp),
		T(test_tcp_handshake),
		T(test_tcp_fin_both_ways),
		T(test_tcp_simultaneous_close),
		T(test_tcp_rst_and_reuse),
		T(test_tcp_stray_rst),
		T(test_tcp_midstream),
		T(test_icmp_echo),
		T(test_no_session),
		T(test_port_generation),
		T(test_timeouts),
		T(test_activity_extends),
		T(test_expire_budget),
		cmocka_unit_test_setup_teardown(test_table_full, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_table_full_evicts_embryonic, setup_small,
						teardown),
		T(test_sizeof),
		T(test_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
