/*
 * test-dp-tap.c - the tap driver's half in the dp (src/dp/dp-tap.c): a frame's direction
 * from its packet type as the ring slot carries it, and tapped frames judged through the
 * pipeline without being sent (dp_worker_observe), counted on their port only while the
 * port is published as a tap.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <urcu.h>

#include <cmocka.h>

#include "dp/dp-tap.h"
#include "dp/dp-worker.h"
#include "dp/dp.h"
#include "dp/io-packet.h"

#define IDX 7

static struct dp *new_dp(void)
{
	struct dp_config cfg = {.enf_netns_fd = -1,
				.dp_ifindex = 1,
				.workers = 1,
				.sessions_per_worker = 64,
				.flow_map_fd = -1,
				.dpi_pool = 16};
	struct dp *dp = NULL;

	assert_int_equal(dp_new(&dp, &cfg), 0);
	return dp;
}

static void publish(struct dp *dp, uint8_t tap)
{
	struct dp_port_info info = {.idx = IDX, .wl_id = 3, .mode = BH_MODE_DISCOVER, .tap = tap};

	assert_int_equal(dp_port_set(dp, &info), 0);
}

/* Ethernet + IPv4 + TCP (20 bytes, flags) from sip:sport to dip:dport. */
static size_t tcp_frame(uint8_t *b, uint8_t sip, uint8_t dip, uint16_t sport, uint16_t dport,
			uint8_t flags)
{
	static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 1}, mac_b[6] = {2, 0, 0, 0, 0, 2};
	uint8_t *ip = b + 14, *tcp = ip + 20;

	memset(b, 0, 54);
	memcpy(b, sip == 1 ? mac_b : mac_a, 6);
	memcpy(b + 6, sip == 1 ? mac_a : mac_b, 6);
	b[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 40;
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	ip[12] = 10, ip[15] = sip;
	ip[16] = 10, ip[19] = dip;
	tcp[0] = (uint8_t)(sport >> 8), tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8), tcp[3] = (uint8_t)dport;
	tcp[7] = 1;	/* seq */
	tcp[12] = 0x50; /* 5 words */
	tcp[13] = flags;
	tcp[15] = 0xff; /* window */
	return 54;
}

static void observe(struct dp *dp, uint8_t *frame, size_t len, uint8_t dir)
{
	struct io_frame f = {.mac = frame, .len = (uint32_t)len, .wire_len = (uint32_t)len};

	rcu_read_lock();
	dp_worker_observe(&dp->workers[0], &f, IDX, dir, 1000);
	rcu_read_unlock();
}

static void test_dir_by_pkttype(void **state)
{
	uint8_t dir = 0xff;

	(void)state;
	assert_true(dp_tap_dir(PACKET_OUTGOING, &dir));
	assert_int_equal(dir, DP_DIR_EGRESS);
	assert_true(dp_tap_dir(PACKET_HOST, &dir));
	assert_int_equal(dir, DP_DIR_INGRESS);
	assert_true(dp_tap_dir(PACKET_BROADCAST, &dir));
	assert_int_equal(dir, DP_DIR_INGRESS);
	assert_true(dp_tap_dir(PACKET_MULTICAST, &dir));
	assert_int_equal(dir, DP_DIR_INGRESS);
	/* flooded unicast for another MAC is not the workload's traffic */
	assert_false(dp_tap_dir(PACKET_OTHERHOST, &dir));
	assert_false(dp_tap_dir(PACKET_LOOPBACK, &dir));
}

/* io_packet_next reads the packet type from the sockaddr_ll after the slot header. */
static void test_ring_pkttype(void **state)
{
	static uint8_t ring[8192] __attribute__((aligned(4096)));
	struct tpacket2_hdr *h = (struct tpacket2_hdr *)ring;
	struct sockaddr_ll *sll = (struct sockaddr_ll *)(ring + TPACKET_ALIGN(sizeof(*h)));
	struct io_packet io = {
	    .fd = -1, .ring = ring, .ring_len = sizeof(ring), .frame_size = 4096, .frame_nr = 2};
	struct io_frame f;

	(void)state;
	memset(ring, 0, sizeof(ring));
	h->tp_mac = 128;
	h->tp_snaplen = h->tp_len = tcp_frame(ring + 128, 1, 2, 40000, 80, 0x02);
	sll->sll_pkttype = PACKET_OUTGOING;
	h->tp_status = TP_STATUS_USER;
	assert_true(io_packet_next(&io, &f));
	assert_int_equal(f.pkttype, PACKET_OUTGOING);
	assert_ptr_equal(f.mac, ring + 128);
	assert_int_equal(f.len, 54);
	io_packet_release(&f);
	assert_int_equal(h->tp_status, TP_STATUS_KERNEL);
	/* the second slot is not ready */
	assert_false(io_packet_next(&io, &f));
}

/* A tap port's frames make sessions and count by direction; nothing is dropped. */
static void test_observe_tap_port(void **state)
{
	struct dp *dp = new_dp();
	struct dp_port_stats st;
	uint8_t frame[64];
	size_t len;

	(void)state;
	publish(dp, 1);
	len = tcp_frame(frame, 2, 1, 40000, 80, 0x02); /* SYN to the workload */
	observe(dp, frame, len, DP_DIR_INGRESS);
	len = tcp_frame(frame, 1, 2, 80, 40000, 0x12); /* its SYN+ACK */
	observe(dp, frame, len, DP_DIR_EGRESS);
	dp_port_stats(dp, IDX, &st);
	assert_int_equal(st.packets[DP_DIR_INGRESS], 1);
	assert_int_equal(st.packets[DP_DIR_EGRESS], 1);
	assert_int_equal(st.sessions, 1);
	for (int i = 0; i < DP_DROP__MAX; i++)
		assert_int_equal(st.drops[i], 0);
	dp_free(dp);
}

/* The same frame on a port published inline (or not at all) is not the tap's to judge. */
static void test_observe_needs_tap_port(void **state)
{
	struct dp *dp = new_dp();
	struct dp_port_stats st;
	struct dp_global_stats g;
	uint8_t frame[64];
	size_t len = tcp_frame(frame, 2, 1, 40000, 80, 0x02);

	(void)state;
	observe(dp, frame, len, DP_DIR_INGRESS);
	publish(dp, 0);
	observe(dp, frame, len, DP_DIR_INGRESS);
	dp_port_stats(dp, IDX, &st);
	assert_int_equal(st.packets[DP_DIR_INGRESS], 0);
	assert_int_equal(st.sessions, 0);
	dp_global_stats(dp, &g);
	assert_int_equal(g.rx_packets, 2);
	dp_free(dp);
}

static void test_add_errors(void **state)
{
	struct dp *dp = new_dp();
	char err[256] = "";
	int nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_true(nsfd >= 0);
	assert_int_equal(dp_tap_add(dp, 0, nsfd, "lo", err, sizeof(err)), -EINVAL);
	assert_int_equal(dp_tap_add(dp, BH_MAX_PORTS, nsfd, "lo", err, sizeof(err)), -EINVAL);
	assert_int_equal(dp_tap_add(dp, IDX, -1, "lo", err, sizeof(err)), -EINVAL);
	err[0] = 0;
	/* EPERM without root, ENODEV with it: either way an error that names the cause */
	assert_true(dp_tap_add(dp, IDX, nsfd, "bh-no-such0", err, sizeof(err)) < 0);
	assert_true(err[0] != 0);
	assert_null(dp->tap[IDX]);
	dp_tap_del(dp, IDX); /* nothing to close: a no-op */
	close(nsfd);
	dp_free(dp);
}

/* With CAP_NET_RAW: a real tap on lo, once per port, gone after dp_tap_del. */
static void test_add_del_lo(void **state)
{
	struct dp *dp;
	char err[256] = "";
	int nsfd;

	(void)state;
	if (geteuid() != 0)
		skip();
	dp = new_dp();
	nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_int_equal(dp_tap_add(dp, IDX, nsfd, "lo", err, sizeof(err)), 0);
	assert_non_null(dp->tap[IDX]);
	assert_non_null(dp->workers[0].taps);
	assert_int_equal(dp_tap_add(dp, IDX, nsfd, "lo", err, sizeof(err)), -EEXIST);
	dp_tap_del(dp, IDX);
	assert_null(dp->tap[IDX]);
	/* one left open is closed by dp_free */
	assert_int_equal(dp_tap_add(dp, IDX + 1, nsfd, "lo", err, sizeof(err)), 0);
	close(nsfd);
	dp_free(dp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dir_by_pkttype),   cmocka_unit_test(test_ring_pkttype),
	    cmocka_unit_test(test_observe_tap_port), cmocka_unit_test(test_observe_needs_tap_port),
	    cmocka_unit_test(test_add_errors),	     cmocka_unit_test(test_add_del_lo),
	};
	int rc;

	rcu_register_thread();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rcu_unregister_thread();
	return rc;
}
