/*
 * test-dp-mac.c - the dp's index of inline ports by MAC (dp_port_by_mac), which one-pass
 * judging (src/dp/dp-pair.c) relies on: only inline ports are in it (not taps, not ports
 * without devices), it follows every publish and withdrawal, and colliding MACs are all
 * found (linear probing over a table rebuilt whole each time).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <urcu.h>

#include <cmocka.h>

#include "dp/dp-worker.h"
#include "dp/dp.h"

static struct dp *new_dp(void)
{
	struct dp_config cfg = {.enf_netns_fd = -1, .dp_ifindex = 1, .workers = 1,
				.sessions_per_worker = 64, .flow_map_fd = -1, .dpi_pool = 16};
	struct dp *dp = NULL;

	assert_int_equal(dp_new(&dp, &cfg), 0);
	return dp;
}

static void mac_of(unsigned i, uint8_t *mac)
{
	memcpy(mac, (const uint8_t[]){0x02, 0x42, 0x0a, 0x00, (uint8_t)(i >> 8), (uint8_t)i}, 6);
}

static void publish(struct dp *dp, uint16_t idx, unsigned mac_i, uint8_t tap, int ifindex)
{
	struct dp_port_info info = {.idx = idx, .wl_id = idx, .tap = tap,
				    .vin_ifindex = ifindex, .vex_ifindex = ifindex};

	mac_of(mac_i, info.mac);
	assert_int_equal(dp_port_set(dp, &info), 0);
}

static uint16_t by_mac(struct dp *dp, unsigned mac_i)
{
	uint8_t mac[6];
	uint16_t idx;

	mac_of(mac_i, mac);
	rcu_read_lock();
	idx = dp_port_by_mac(dp, mac);
	rcu_read_unlock();
	return idx;
}

static void test_inline_only(void **state)
{
	struct dp *dp = new_dp();

	(void)state;
	assert_int_equal(by_mac(dp, 1), 0); /* nothing published yet */
	publish(dp, 5, 1, 0, 10);
	publish(dp, 6, 2, 1, 0);  /* a tap: frames to it leave no inline port */
	publish(dp, 7, 3, 0, 0);  /* no devices: sent back through the dp port */
	assert_int_equal(by_mac(dp, 1), 5);
	assert_int_equal(by_mac(dp, 2), 0);
	assert_int_equal(by_mac(dp, 3), 0);
	assert_int_equal(by_mac(dp, 4), 0);
	publish(dp, 6, 2, 0, 11); /* the tap pulled inline */
	assert_int_equal(by_mac(dp, 2), 6);
	dp_port_clear(dp, 5);
	assert_int_equal(by_mac(dp, 1), 0);
	assert_int_equal(by_mac(dp, 2), 6);
	dp_free(dp);
}

/* Every index in use at once: all found, each under its own MAC, none after withdrawal. */
static void test_full_table(void **state)
{
	struct dp *dp = new_dp();

	(void)state;
	for (unsigned i = 1; i < BH_MAX_PORTS; i += 4)
		publish(dp, (uint16_t)i, i * 7, 0, (int)i);
	for (unsigned i = 1; i < BH_MAX_PORTS; i += 4)
		assert_int_equal(by_mac(dp, i * 7), i);
	assert_int_equal(by_mac(dp, 3), 0);
	for (unsigned i = 1; i < BH_MAX_PORTS; i += 8)
		dp_port_clear(dp, (uint16_t)i);
	for (unsigned i = 1; i < BH_MAX_PORTS; i += 4)
		assert_int_equal(by_mac(dp, i * 7), (i - 1) % 8 ? i : 0);
	dp_free(dp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inline_only),
		cmocka_unit_test(test_full_table),
	};

	rcu_register_thread();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
