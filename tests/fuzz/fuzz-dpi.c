/*
 * fuzz-dpi.c - libFuzzer harness: one input is a sequence of frames of one
 * conversation, each decoded, put through a session table and fed to DPI
 * (nDPI behind src/dp/dpi.c), as a worker does.  A tiny flow pool and a
 * session table that live across inputs exercise slot reuse and exhaustion.
 *
 * Input: records of [len_hi][len_lo][flags][frame bytes]; flags bit 0 = the
 * frame is a GSO super-frame, bit 1 = it comes from the server side (ingress).
 * Seeds: tests/fuzz/corpus/dpi/ (the pcaps of tests/data, re-framed).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp/decode.h"
#include "dp/dp-t.h"
#include "dp/dpi.h"
#include "dp/session.h"

#define FUZZ_SESSIONS 64
#define FUZZ_POOL 4

struct fuzz_env {
	struct sess_table *t;
	struct dpi *d;
	uint64_t now;
};

static void on_release(void *arg, const struct session *s)
{
	dpi_release(arg, (struct session *)s);
}

static struct fuzz_env *env(void)
{
	static struct fuzz_env e;

	if (!e.t) {
		if (sess_table_new(&e.t, FUZZ_SESSIONS) || dpi_new(&e.d, FUZZ_POOL))
			abort();
		sess_table_set_release(e.t, on_release, e.d);
		e.now = 1000000;
	}
	return &e;
}

static void one_frame(struct fuzz_env *e, const uint8_t *f, uint32_t len, uint8_t flags)
{
	struct sess_result sr;
	struct dp_pkt p;

	if (dp_decode(&p, f, len, flags & 1 ? DP_DECODE_GSO : 0))
		return;
	p.port_idx = 1;
	p.port_gen = 1;
	p.dir = flags & 2 ? DP_DIR_INGRESS : DP_DIR_EGRESS;
	if (sess_update(e->t, &p, e->now, &sr) || !sr.s)
		return;
	if (sr.created)
		dpi_session_start(sr.s);
	dpi_feed(e->d, sr.s, &p, sr.side, e->now);
	if (sr.s->app >= BH_APP__MAX || (sr.s->app != BH_APP_PENDING && sr.s->dpi_flow))
		__builtin_trap(); /* a final app never keeps a slot */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_env *e = env();
	static uint8_t frame[65536 + 64];

	while (size >= 3) {
		uint32_t len = (uint32_t)data[0] << 8 | data[1];
		uint8_t flags = data[2];

		data += 3;
		size -= 3;
		if (len > size)
			len = (uint32_t)size;
		memcpy(frame, data, len); /* exact-size copy: ASan sees any over-read */
		one_frame(e, frame, len, flags);
		data += len;
		size -= len;
		e->now += 10;
	}
	e->now += 40000; /* next input: this one's sessions may expire */
	sess_expire(e->t, e->now, FUZZ_SESSIONS);
	return 0;
}
