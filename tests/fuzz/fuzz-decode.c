/*
 * fuzz-decode.c - libFuzzer harness: one input is one frame, decoded (with
 * and without the GSO relaxations) and pushed through a small session table
 * that lives across inputs, so state transitions, eviction and expiry get
 * exercised too.  Datagrams too big for a small MTU go through the IPv4
 * refragmenter, whose pieces must decode again.
 *
 * It links bhdp like the daemon does: the fuzz build dir instruments every
 * library for coverage and ASan/UBSan (BH_FUZZ in CMakeLists.txt).
 * Seeds: tests/fuzz/corpus/decode/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp/decode.h"
#include "dp/dp-t.h"
#include "dp/frag-ipv4.h"
#include "dp/session.h"

#define FUZZ_SESSIONS 64

static int inside(const uint8_t *lo, uint32_t lo_len, const uint8_t *p, uint32_t len)
{
	return p >= lo && p <= lo + lo_len && len <= (uint32_t)(lo + lo_len - p);
}

/* What a successful decode promises: every pointer and length inside the frame. */
static void check_pkt(const struct dp_pkt *p)
{
	if (!inside(p->eth, p->len, p->l3, p->l3_len))
		__builtin_trap();
	if (p->family && !inside(p->l3, p->l3_len, p->l4, p->l4_len))
		__builtin_trap();
	if ((p->flags & DP_PKT_L4) && !inside(p->l4, p->l4_len, p->payload, p->payload_len))
		__builtin_trap();
}

static void run_session(struct sess_table *t, struct dp_pkt *p, uint64_t now)
{
	struct sess_result r;

	if (dp_decode_port(p)) {
		p->port_idx = 1;
		p->dir = DP_DIR_EGRESS;
	}
	p->port_gen = 1 + (p->len & 1); /* now and then the port "changes workload" */
	if (sess_update(t, p, now, &r) == 0 && r.s) {
		if (r.s->state >= SESS_TCP__MAX || r.s->tclass >= SESS_TC__MAX)
			__builtin_trap();
	}
	sess_expire(t, now, 8);
	if (sess_count(t) > sess_capacity(t))
		__builtin_trap();
}

/* Every piece of a refragmented datagram must decode as a fragment within the MTU. */
static void run_refrag(const struct dp_pkt *p)
{
	static struct frag_piece pieces[FRAG_MAX_FRAGS];
	static uint8_t buf[FRAG_HDR_MAX + 2048];
	uint32_t mtu = FRAG_MIN_MTU + p->len % 1024;
	struct dp_pkt q;
	int n, i;

	if (!frag_ipv4_needed(p, mtu))
		return;
	n = frag_ipv4_split(p, mtu, pieces, FRAG_MAX_FRAGS);
	for (i = 0; i < n; i++) {
		uint32_t hl = pieces[i].hdr_len - 10;

		memcpy(buf, pieces[i].hdr + 10, hl);
		memcpy(buf + hl, pieces[i].data, pieces[i].data_len);
		memset(&q, 0, sizeof(q));
		q.eth = buf;
		q.len = hl + pieces[i].data_len;
		if (dp_decode_eth(&q) || dp_decode_ipv4(&q) || q.l3_len > mtu)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sess_table *table;
	static uint64_t now = 1000;
	struct dp_pkt p, g;
	int err, gerr;

	if (!table && sess_table_new(&table, FUZZ_SESSIONS))
		abort();
	if (size > 70000)
		return 0;
	now += size ? data[size - 1] * 100u : 1;

	err = dp_decode(&p, data, (uint32_t)size, 0);
	gerr = dp_decode(&g, data, (uint32_t)size, DP_DECODE_GSO);
	if (!err)
		check_pkt(&p);
	if (!gerr)
		check_pkt(&g);
	(void)dp_dec_err_str(err);
	if (!err)
		run_refrag(&p);
	if (!err)
		run_session(table, &p, now);
	else if (!gerr)
		run_session(table, &g, now);
	return 0;
}
