/*
 * test-steer-tc.c - the tc driver's rule text (src/steer/steer-tc.c) and the action probe.
 *
 * The rule text is checked against the seed's own example (规则1..5: workload MAC
 * 02:42:ac:11:00:02, port index 0x27, dp device vbr-neuv), so a change to the generator that
 * drifts from the seed shows up here.  The probe asks the running kernel, which needs no root:
 * RTM_GETACTION is a read.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "steer/steer-probe.h"
#include "steer/steer-tc.h"
#include "steer/steer.h"

static struct steer_port seed_port(void)
{
	struct steer_port p = {
		.idx = 0x27,
		.vin_ifindex = 40,
		.vex_ifindex = 39,
		.mac = {0x02, 0x42, 0xac, 0x11, 0x00, 0x02},
		.vin = "vinbe87-eth0",
		.vex = "vexbe87-eth0",
	};

	return p;
}

/* Line n (0-based) of text, without its newline. */
static const char *line_of(const char *text, int n, char *out, size_t len)
{
	const char *end;

	for (; n > 0 && text; n--) {
		text = strchr(text, '\n');
		if (text)
			text++;
	}
	if (!text || !*text)
		return NULL;
	end = strchr(text, '\n');
	if (!end)
		end = text + strlen(text);
	snprintf(out, len, "%.*s", (int)(end - text), text);
	return out;
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

static void test_seed_rules(void **state)
{
	static const char *const want[] = {
		"qdisc add dev vexbe87-eth0 ingress",
		"qdisc add dev vinbe87-eth0 ingress",
		/* 规则1 */
		"filter add dev vexbe87-eth0 pref 10001 parent ffff: protocol ip u32 "
		"match u8 0 1 at -14 match u16 0x0242 0xffff at -14 "
		"match u32 0xac110002 0xffffffff at -12 action pedit munge offset -14 u16 set 0x4e65 "
		"munge offset -12 u32 set 0x75560027 pipe action mirred egress mirror dev vbr-neuv",
		/* 规则2 */
		"filter add dev vexbe87-eth0 pref 10002 parent ffff: protocol all u32 match u8 0 0 "
		"action mirred egress mirror dev vinbe87-eth0",
		/* 规则3 */
		"filter add dev vinbe87-eth0 pref 10001 parent ffff: protocol ip u32 "
		"match u8 0 1 at -14 match u32 0x0242ac11 0xffffffff at -8 "
		"match u16 0x0002 0xffff at -4 action pedit munge offset -8 u32 set 0x4e657556 "
		"munge offset -4 u16 set 0x0027 pipe action mirred egress mirror dev vbr-neuv",
		/* 规则4 */
		"filter add dev vinbe87-eth0 pref 10002 parent ffff: protocol all u32 match u8 0 0 "
		"action mirred egress mirror dev vexbe87-eth0",
		/* 规则5.1, pref 2*idx */
		"filter add dev vbr-neuv pref 78 parent ffff: protocol all u32 "
		"match u16 0x4e65 0xffff at -14 match u32 0x75560027 0xffffffff at -12 "
		"action pedit munge offset -14 u16 set 0x0242 munge offset -12 u32 set 0xac110002 "
		"pipe action mirred egress mirror dev vinbe87-eth0",
		/* 规则5.2, pref 2*idx+1 */
		"filter add dev vbr-neuv pref 79 parent ffff: protocol all u32 "
		"match u32 0x4e657556 0xffffffff at -8 match u16 0x0027 0xffff at -4 "
		"action pedit munge offset -8 u32 set 0x0242ac11 munge offset -4 u16 set 0x0002 "
		"pipe action mirred egress mirror dev vexbe87-eth0",
	};
	struct steer_port p = seed_port();
	char buf[4096], line[1024];
	size_t i;

	(void)state;
	assert_int_equal(steer_tc_rules(&p, "vbr-neuv", buf, sizeof(buf)), 0);
	assert_int_equal(count_lines(buf), (int)(sizeof(want) / sizeof(want[0])));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_non_null(line_of(buf, (int)i, line, sizeof(line)));
		assert_string_equal(line, want[i]);
	}
}

/* The index rides in the last two MAC bytes and in the return prefs, at both ends of its range. */
static void test_prefs_per_index(void **state)
{
	struct steer_port p = seed_port();
	char buf[4096];

	(void)state;
	p.idx = 1;
	assert_int_equal(steer_tc_rules(&p, "bh-dpp", buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "filter add dev bh-dpp pref 2 parent ffff: protocol all u32 "
				    "match u16 0x4e65 0xffff at -14 match u32 0x75560001 "));
	assert_non_null(strstr(buf, "filter add dev bh-dpp pref 3 parent ffff: protocol all u32 "
				    "match u32 0x4e657556 0xffffffff at -8 match u16 0x0001 "));
	assert_non_null(strstr(buf, "munge offset -4 u16 set 0x0001 pipe action mirred egress "
				    "mirror dev bh-dpp\n"));

	p.idx = 4095;
	assert_int_equal(steer_tc_rules(&p, "bh-dpp", buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "pref 8190 parent ffff: protocol all u32 match u16 0x4e65 "
				    "0xffff at -14 match u32 0x75560fff "));
	assert_non_null(strstr(buf, "pref 8191 parent ffff: protocol all u32 match u32 0x4e657556 "
				    "0xffffffff at -8 match u16 0x0fff "));
	/* Per-port prefs on the shared device stay below the per-device vin/vex prefs. */
	assert_true(STEER_TC_PREF_RET_SA(4095) < STEER_TC_PREF_STEER);
}

static void test_unrules(void **state)
{
	struct steer_port p = seed_port();
	char buf[1024];

	(void)state;
	assert_int_equal(steer_tc_unrules(&p, "vbr-neuv", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "qdisc del dev vexbe87-eth0 ingress\n"
				 "qdisc del dev vexbe87-eth0 clsact\n"
				 "qdisc del dev vinbe87-eth0 ingress\n"
				 "qdisc del dev vinbe87-eth0 clsact\n"
				 "filter del dev vbr-neuv parent ffff: pref 78\n"
				 "filter del dev vbr-neuv parent ffff: pref 79\n");
	assert_int_equal(steer_tc_dp_rules("bh-dpp", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "qdisc add dev bh-dpp ingress\n");
	assert_int_equal(steer_tc_dp_unrules("bh-dpp", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "qdisc del dev bh-dpp ingress\nqdisc del dev bh-dpp clsact\n");
}

static void test_bad_input(void **state)
{
	struct steer_port p = seed_port();
	char buf[4096], small[100];

	(void)state;
	p.idx = 0;
	assert_int_equal(steer_tc_rules(&p, "bh-dpp", buf, sizeof(buf)), -EINVAL);
	p.idx = 4096;
	assert_int_equal(steer_tc_rules(&p, "bh-dpp", buf, sizeof(buf)), -EINVAL);
	p = seed_port();
	assert_int_equal(steer_tc_rules(&p, "bh dpp", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(steer_tc_rules(&p, "", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(steer_tc_rules(&p, "sixteen-chars-xx", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(steer_tc_rules(NULL, "bh-dpp", buf, sizeof(buf)), -EINVAL);
	strcpy(p.vin, "a\nqdisc");
	assert_int_equal(steer_tc_rules(&p, "bh-dpp", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(steer_tc_dp_rules("x;y z", buf, sizeof(buf)), -EINVAL);
	p = seed_port();
	assert_int_equal(steer_tc_rules(&p, "bh-dpp", small, sizeof(small)), -ENOSPC);
	assert_true(strlen(small) < sizeof(small));
}

/* The probe must tell a kind this kernel has from one no kernel has. */
static void test_probe(void **state)
{
	(void)state;
	assert_int_equal(steer_probe_action("mirred"), 1);
	assert_int_equal(steer_probe_action("bhnosuchkind"), 0);
	assert_int_equal(steer_probe_action(""), -EINVAL);
	assert_int_equal(steer_probe_action("a-kind-name-too-long"), -EINVAL);
	assert_int_equal(steer_have_pedit(), steer_probe_action("pedit") == 1);
}

static void test_open_bad_driver(void **state)
{
	struct steer_config cfg = {
		.driver = "bogus", .dp_ifindex = 1, .dpp_ifindex = 1,
		.dp_name = "bh-dp", .dpp_name = "bh-dpp", .enf_netns_name = "x",
	};
	struct steer *s = (void *)1;
	char err[128] = "";

	(void)state;
	cfg.enf_netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(cfg.enf_netns_fd >= 0);
	assert_int_equal(steer_open(&s, &cfg, err, sizeof(err)), -EINVAL);
	assert_null(s);
	assert_non_null(strstr(err, "bogus"));
	cfg.dpp_ifindex = 0;
	assert_int_equal(steer_open(&s, &cfg, err, sizeof(err)), -EINVAL);
	close(cfg.enf_netns_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_rules),  cmocka_unit_test(test_prefs_per_index),
		cmocka_unit_test(test_unrules),     cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_probe),       cmocka_unit_test(test_open_bad_driver),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
