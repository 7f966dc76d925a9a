/*
 * dp-micro.c - the dp's per-packet work without I/O: decode + port + session
 * lookup/update + (for new sessions) a policy decision, on synthetic frames.
 *
 *   dp-micro packets  [FLOWS] [PKTS] [RULES]  ns and (under callgrind) instructions per packet
 *   dp-micro sessions [N]                     fill a table with N sessions, print bytes/session
 *
 * Frames are built once in memory, so the figures are the dp's own cost:
 * run it under `valgrind --tool=callgrind` for repeatable instruction counts.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp/decode.h"
#include "dp/session.h"
#include "policy/policy.h"
#include "portmac.h"

#define FRAME_LEN 74 /* Ethernet + IPv4 + TCP + 20 bytes payload */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A TCP segment leaving workload port 1 (source MAC = its unicast marker). */
static void build_frame(uint8_t *f, uint32_t flow, uint8_t flags)
{
	memset(f, 0, FRAME_LEN);
	memcpy(f, "\x02\x00\x00\x00\x00\x02", 6);
	BH_MAC_SET(f + 6, BH_MAC_UC, 1);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = 0;
	f[17] = FRAME_LEN - 14;
	f[22] = 64;
	f[23] = 6;
	memcpy(f + 26, "\x0a\x63\x00\x01", 4);
	f[30] = 10;
	f[31] = 99;
	f[32] = (uint8_t)(flow >> 8);
	f[33] = (uint8_t)flow;
	f[34] = (uint8_t)(1024 + flow % 60000) >> 8;
	f[35] = (uint8_t)((1024 + flow % 60000) & 0xff);
	f[36] = 0;
	f[37] = 80;
	f[46] = 5 << 4;
	f[47] = flags;
}

static struct policy *make_policy(int rules)
{
	struct policy_model *m = policy_model_new();
	struct policy_addr a = {.family = AF_INET, .a = {10, 99, 0, 1}};
	struct policy_workload_spec w = {.id = 1, .name = "client", .addrs = &a, .n_addrs = 1,
					 .mode = BH_MODE_PROTECT};
	struct policy *p = NULL;
	char ports[32];

	policy_workload_set(m, &w, NULL, 0);
	for (int i = 0; i < rules; i++) {
		struct policy_rule_spec r = {.from = "client", .to = "any", .ports = ports,
					     .action = "allow"};

		snprintf(ports, sizeof(ports), "tcp/%d", i == rules - 1 ? 80 : 1000 + i % 60000);
		policy_rule_add(m, &r, NULL, NULL, 0);
	}
	policy_compile(m, &p);
	policy_model_free(m);
	return p;
}

static int run_packets(uint32_t flows, uint32_t pkts, int rules)
{
	uint8_t(*frames)[FRAME_LEN] = malloc((size_t)flows * FRAME_LEN);
	struct policy *pol = make_policy(rules);
	struct sess_table *t;
	uint64_t decisions = 0, allowed = 0;
	double t0;

	if (!frames || !pol || sess_table_new(&t, flows * 2) < 0)
		return 1;
	for (uint32_t i = 0; i < flows; i++)
		build_frame(frames[i], i, 0x10);
	t0 = now_ns();
	for (uint32_t n = 0; n < pkts; n++) {
		struct sess_result sr;
		struct dp_pkt p;

		if (dp_decode(&p, frames[n % flows], FRAME_LEN, 0) || dp_decode_port(&p))
			return 1;
		if (sess_update(t, &p, n / 1000, &sr))
			return 1;
		if (sr.created) {
			struct policy_query q = {.wl_id = 1, .dir = POLICY_EGRESS,
						 .proto = POLICY_PROTO_TCP, .port = p.dport};
			struct policy_verdict v;

			q.peer.family = AF_INET;
			memcpy(q.peer.a, p.dst.b, 4);
			policy_eval(pol, &q, &v);
			decisions++;
			allowed += v.action == POLICY_ALLOW;
		}
	}
	printf("%u packets over %u flows, %d rules: %.1f ns/packet, %lu decisions (%lu allowed)\n",
	       pkts, flows, rules, (now_ns() - t0) / pkts, (unsigned long)decisions,
	       (unsigned long)allowed);
	sess_table_free(t);
	policy_free(pol);
	free(frames);
	return 0;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int run_sessions(uint32_t n)
{
	long before = rss_kb();
	uint8_t frame[FRAME_LEN];
	struct sess_table *t;
	struct sess_result sr;
	struct dp_pkt p;

	if (sess_table_new(&t, n) < 0)
		return 1;
	for (uint32_t i = 0; i < n; i++) {
		build_frame(frame, i, 0x02);
		/* spread over the whole /16 and many source ports: n distinct flows */
		frame[32] = (uint8_t)(i >> 16);
		frame[33] = (uint8_t)(i >> 8);
		frame[34] = (uint8_t)i;
		if (dp_decode(&p, frame, FRAME_LEN, 0) || dp_decode_port(&p) ||
		    sess_update(t, &p, 0, &sr))
			return 1;
	}
	printf("%u sessions: table holds %u, RSS grew %.1f MiB, %.0f bytes/session "
	       "(sizeof(struct session) = %zu)\n",
	       n, sess_count(t), (rss_kb() - before) / 1024.0,
	       (rss_kb() - before) * 1024.0 / n, sizeof(struct session));
	sess_table_free(t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "packets") == 0)
		return run_packets(argc > 2 ? (uint32_t)atoi(argv[2]) : 1000,
				   argc > 3 ? (uint32_t)atoi(argv[3]) : 1000000,
				   argc > 4 ? atoi(argv[4]) : 100);
	if (argc >= 2 && strcmp(argv[1], "sessions") == 0)
		return run_sessions(argc > 2 ? (uint32_t)atoi(argv[2]) : 1000000);
	fprintf(stderr, "usage: dp-micro packets [FLOWS] [PKTS] [RULES] | sessions [N]\n");
	return 2;
}
