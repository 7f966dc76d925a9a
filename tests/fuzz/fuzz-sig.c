/*
 * fuzz-sig.c - user signatures on arbitrary bytes: the HTTP request field
 * splitter (sig-http.c), the signatures.json loader (ctl-sig.c) and the dp's
 * stream matcher (sig.c) fed in pieces.
 *
 * The first byte picks the target and the second the piece size, so the same
 * stream is also cut at every boundary libFuzzer tries.  The splitter must nest
 * its events (DATA and CLOSE only inside an OPEN of the same field) and hand out
 * only bytes of the piece it was given; the loader must accept or refuse with a
 * message; the matcher must never report a signature index it was not given.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl-sig.h"
#include "dp/sig.h"

struct piece {
	const uint8_t *b;
	uint32_t n;
	uint8_t open; /* field open, SIG_FIELD_STREAM = none */
};

static void on_event(void *ctx, uint8_t field, enum sig_http_ev ev, const uint8_t *b, uint32_t n)
{
	struct piece *p = ctx;

	if (field == SIG_FIELD_STREAM || field >= SIG_FIELD__MAX)
		__builtin_trap();
	switch (ev) {
	case SIG_HTTP_OPEN:
		if (p->open != SIG_FIELD_STREAM)
			__builtin_trap(); /* two fields open at once */
		p->open = field;
		break;
	case SIG_HTTP_DATA:
		if (p->open != field || !n || b < p->b || b + n > p->b + p->n)
			__builtin_trap();
		break;
	case SIG_HTTP_CLOSE:
		if (p->open != field)
			__builtin_trap();
		p->open = SIG_FIELD_STREAM;
		break;
	}
}

static void split(const uint8_t *d, size_t size, size_t step)
{
	struct sig_http h;
	struct piece p = {.open = SIG_FIELD_STREAM};

	sig_http_init(&h);
	for (size_t i = 0; i < size; i += step) {
		size_t k = size - i < step ? size - i : step;
		uint8_t *buf = malloc(k); /* exactly k: ASan sees a read past it */

		if (!buf)
			return;
		memcpy(buf, d + i, k);
		p.b = buf;
		p.n = (uint32_t)k;
		sig_http_feed(&h, buf, (uint32_t)k, on_event, &p);
		free(buf);
	}
	sig_http_end(&h, on_event, &p);
	if (p.open != SIG_FIELD_STREAM)
		__builtin_trap();
}

static void load(const uint8_t *d, size_t size)
{
	json_t *doc = json_loadb((const char *)d, size, 0, NULL);
	struct sig_entry *e = NULL;
	size_t n = 0;
	char err[256] = "";

	if (!doc)
		return;
	if (sig_entries_from_json(doc, &e, &n, err, sizeof(err)) == 0)
		sig_entries_free(e, n);
	else if (!err[0])
		__builtin_trap(); /* refused without saying why */
	json_decref(doc);
}

static bool everyone(void *ctx, const char *group)
{
	(void)ctx;
	(void)group;
	return true;
}

static void match(const uint8_t *d, size_t size, size_t step)
{
	static struct sig_set *set;
	static struct sig_worker *sw;
	struct session s;

	if (!set) {
		static const struct sig_spec specs[] = {
			{.id = 1, .name = "a", .pattern = "ab+c", .field = SIG_FIELD_STREAM},
			{.id = 2, .name = "u", .pattern = "^/x", .field = SIG_FIELD_URL},
			{.id = 3, .name = "h", .pattern = "^k: v$", .field = SIG_FIELD_HEADER},
			{.id = 4, .name = "b", .pattern = "z{3}", .field = SIG_FIELD_BODY},
		};
		struct sig_wl_spec wl = {.wl_id = 1, .member = everyone};
		struct sig_db *db;
		char err[256];

		if (sig_db_build(specs, 4, &db, err, sizeof(err)) ||
		    sig_set_build(db, &wl, 1, &set) || sig_worker_new(&sw, 4, 1 << 16))
			__builtin_trap();
		sig_db_put(db);
	}
	memset(&s, 0, sizeof(s));
	sig_worker_use(sw, set);
	for (size_t i = 0; i < size; i += step) {
		size_t k = size - i < step ? size - i : step;
		int n = sig_feed(sw, &s, 1, (i / step) % 3 == 2 ? SESS_FROM_SERVER : SESS_FROM_CLIENT,
				 d + i, (uint32_t)k);

		for (int h = 0; h < n && h < SIG_HITS_MAX; h++)
			if (sig_worker_hits(sw)[h].id < 1 || sig_worker_hits(sw)[h].id > 4)
				__builtin_trap();
	}
	sig_session_end(sw, &s);
	sig_worker_use(sw, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t step;

	if (size < 2)
		return 0;
	step = (size_t)data[1] % 16 + 1;
	switch (data[0] % 3) {
	case 0: split(data + 2, size - 2, step); break;
	case 1: load(data + 2, size - 2); break;
	case 2: match(data + 2, size - 2, step); break;
	}
	return 0;
}
