/*
 * sig-http.c - splits a client's HTTP/1.x byte stream into the fields user
 * signatures name: the request target (url), the header block and the body.
 *
 * It works on stream bytes as they come, any split, keeping a few bytes of
 * state and no copy: each field is handed on as runs of the caller's buffer
 * between an OPEN and a CLOSE, so a signature is matched against exactly one
 * field of one request, anchors included, by a Hyperscan stream opened at
 * OPEN.  Framing follows RFC 9112 for requests: a body is Content-Length bytes
 * or chunked (de-chunked here, chunk-size lines and trailers left out); a
 * request with neither has none.  Transfer-Encoding wins over Content-Length.
 * Pipelined requests follow one another.  The first byte that cannot start a
 * request line ends the splitting for the stream (sig_http_feed returns false).
 */
#include <string.h>

#include "ascii.h"
#include "sig.h"

enum {
	H_START,	/* before a request line: CR/LF skipped */
	H_METHOD,
	H_URL_START,
	H_URL,
	H_LINE,		/* rest of the request line */
	H_HDR_BOL,	/* beginning of a header line */
	H_HDR,
	H_BODY,
	H_CHUNK_SIZE,
	H_CHUNK_EXT,
	H_CHUNK_DATA,
	H_CHUNK_END,	/* CRLF after chunk data */
	H_TRAILER_BOL,
	H_TRAILER,
	H_OFF,		/* not HTTP: nothing more */
};

#define METHOD_MAX 20
#define CL_MAX (1ull << 50) /* larger Content-Length / chunk sizes end the splitting */

/* Header names whose values frame the body. */
enum { HN_CL = 1, HN_TE = 2 };
#define F_CHUNKED 0x01

static const char cl_name[] = "content-length";
static const char te_name[] = "transfer-encoding";
static const char chunked[] = "chunked";

void sig_http_init(struct sig_http *h)
{
	memset(h, 0, sizeof(*h));
	h->state = H_START;
}

struct out {
	sig_http_fn fn;
	void *ctx;
};

static void field_open(struct sig_http *h, const struct out *o, uint8_t field)
{
	h->open = field;
	o->fn(o->ctx, field, SIG_HTTP_OPEN, NULL, 0);
}

static void field_close(struct sig_http *h, const struct out *o)
{
	uint8_t f = h->open;

	if (f == SIG_FIELD_STREAM)
		return;
	h->open = SIG_FIELD_STREAM;
	o->fn(o->ctx, f, SIG_HTTP_CLOSE, NULL, 0);
}

static void data(const struct sig_http *h, const struct out *o, const uint8_t *b, uint32_t n)
{
	if (n && h->open != SIG_FIELD_STREAM)
		o->fn(o->ctx, h->open, SIG_HTTP_DATA, b, n);
}

/* ---- headers: only Content-Length and Transfer-Encoding matter for framing ---- */

static void header_line_start(struct sig_http *h)
{
	h->name_pos = 0;
	h->cand = HN_CL | HN_TE;
	h->value = 0;
	h->te_pos = 0;
}

static void header_name_byte(struct sig_http *h, int c)
{
	if (c == ':') {
		if ((h->cand & HN_CL) && h->name_pos == sizeof(cl_name) - 1) {
			h->value = HN_CL;
			h->cl = 0;
		} else if ((h->cand & HN_TE) && h->name_pos == sizeof(te_name) - 1) {
			h->value = HN_TE;
		} else {
			h->value = 0xff; /* another header: its value is not read */
		}
		return;
	}
	c = ascii_lower(c);
	if (h->name_pos >= sizeof(cl_name) - 1 || cl_name[h->name_pos] != c)
		h->cand &= (uint8_t)~HN_CL;
	if (h->name_pos >= sizeof(te_name) - 1 || te_name[h->name_pos] != c)
		h->cand &= (uint8_t)~HN_TE;
	if (h->name_pos < 0xff)
		h->name_pos++;
}

static void header_value_byte(struct sig_http *h, int c)
{
	if (h->value == HN_CL) {
		if (c >= '0' && c <= '9' && h->cl < CL_MAX)
			h->cl = h->cl * 10 + (uint64_t)(c - '0');
		return;
	}
	if (h->value != HN_TE || h->te_pos == sizeof(chunked) - 1)
		return;
	c = ascii_lower(c);
	if (c == chunked[h->te_pos])
		h->te_pos++;
	else
		h->te_pos = c == chunked[0];
	if (h->te_pos == sizeof(chunked) - 1)
		h->flags |= F_CHUNKED;
}

/* The blank line: what follows is a body, or the next request. */
static void headers_end(struct sig_http *h, const struct out *o)
{
	field_close(h, o);
	if (h->flags & F_CHUNKED) {
		h->state = H_CHUNK_SIZE;
		h->left = 0;
	} else if (h->cl) {
		h->state = h->cl < CL_MAX ? H_BODY : H_OFF;
		h->left = h->cl;
	} else {
		h->state = H_START;
	}
}

/* ---- one byte of the states that read byte by byte ---- */

static void request_line_byte(struct sig_http *h, int c)
{
	switch (h->state) {
	case H_START:
		if (c == '\r' || c == '\n')
			return;
		h->state = H_OFF;
		if (c >= 'A' && c <= 'Z') {
			h->state = H_METHOD;
			h->mlen = 1;
			h->flags = 0;
			h->cl = 0;
		}
		return;
	case H_METHOD:
		if (c == ' ')
			h->state = H_URL_START;
		else if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_') || ++h->mlen > METHOD_MAX)
			h->state = H_OFF;
		return;
	case H_LINE:
		if (c == '\n')
			h->state = H_HDR_BOL;
		return;
	}
}

static void header_byte(struct sig_http *h, const struct out *o, int c)
{
	if (h->state == H_HDR_BOL) {
		if (c == '\r')
			return;
		if (c == '\n') {
			headers_end(h, o);
			return;
		}
		if (h->open != SIG_FIELD_HEADER)
			field_open(h, o, SIG_FIELD_HEADER);
		header_line_start(h);
		h->state = H_HDR;
	}
	if (c == '\n')
		h->state = H_HDR_BOL;
	else if (!h->value)
		header_name_byte(h, c);
	else
		header_value_byte(h, c);
}

static void chunk_byte(struct sig_http *h, const struct out *o, int c)
{
	int v;

	switch (h->state) {
	case H_CHUNK_SIZE:
		v = ascii_hexval(c);
		if (v >= 0) {
			h->left = h->left * 16 + (uint64_t)v;
			if (h->left >= CL_MAX)
				h->state = H_OFF;
			return;
		}
		if (c != '\n') {
			h->state = H_CHUNK_EXT; /* ";ext", blanks, CR */
			return;
		}
		/* fall through */
	case H_CHUNK_EXT:
		if (c == '\n')
			h->state = h->left ? H_CHUNK_DATA : H_TRAILER_BOL;
		return;
	case H_CHUNK_END:
		if (c == '\n') {
			h->state = H_CHUNK_SIZE;
			h->left = 0;
		}
		return;
	case H_TRAILER_BOL:
		if (c == '\n') {
			field_close(h, o); /* the request is complete */
			h->state = H_START;
		} else if (c != '\r') {
			h->state = H_TRAILER;
		}
		return;
	case H_TRAILER:
		if (c == '\n')
			h->state = H_TRAILER_BOL;
		return;
	}
}

/* ---- runs: the states whose bytes are a field's ---- */

/* URL bytes up to the blank ending it; returns bytes used. */
static uint32_t url_run(struct sig_http *h, const struct out *o, const uint8_t *b, uint32_t n)
{
	uint32_t i = 0;

	if (h->state == H_URL_START) {
		if (b[0] == ' ')
			return 1;
		if (b[0] == '\r' || b[0] == '\n') {
			h->state = H_OFF;
			return 1;
		}
		field_open(h, o, SIG_FIELD_URL);
		h->state = H_URL;
	}
	while (i < n && b[i] != ' ' && b[i] != '\r' && b[i] != '\n')
		i++;
	data(h, o, b, i);
	if (i < n) {
		field_close(h, o);
		h->state = H_LINE; /* the blank or line end is read there */
	}
	return i;
}

/* Header bytes of the current line, through its LF; returns bytes used. */
static uint32_t header_run(struct sig_http *h, const struct out *o, const uint8_t *b, uint32_t n)
{
	uint32_t i = 0;

	if (h->state == H_HDR_BOL) {
		header_byte(h, o, b[0]);
		if (h->state != H_HDR)
			return 1;
		i = 1;
	}
	for (; i < n && h->state == H_HDR; i++)
		header_byte(h, o, b[i]);
	data(h, o, b, i);
	return i;
}

/* Body bytes (plain or one chunk's); returns bytes used. */
static uint32_t body_run(struct sig_http *h, const struct out *o, const uint8_t *b, uint32_t n)
{
	uint32_t k = h->left < n ? (uint32_t)h->left : n;

	if (h->open != SIG_FIELD_BODY)
		field_open(h, o, SIG_FIELD_BODY);
	data(h, o, b, k);
	h->left -= k;
	if (h->left)
		return k;
	if (h->state == H_CHUNK_DATA) {
		h->state = H_CHUNK_END;
	} else {
		field_close(h, o);
		h->state = H_START;
	}
	return k;
}

bool sig_http_feed(struct sig_http *h, const uint8_t *b, uint32_t n, sig_http_fn fn, void *ctx)
{
	const struct out o = {fn, ctx};
	uint32_t i = 0;

	while (i < n && h->state != H_OFF) {
		switch (h->state) {
		case H_URL_START:
		case H_URL:
			i += url_run(h, &o, b + i, n - i);
			break;
		case H_HDR_BOL:
		case H_HDR:
			i += header_run(h, &o, b + i, n - i);
			break;
		case H_BODY:
		case H_CHUNK_DATA:
			i += body_run(h, &o, b + i, n - i);
			break;
		case H_START:
		case H_METHOD:
		case H_LINE:
			request_line_byte(h, b[i++]);
			break;
		default:
			chunk_byte(h, &o, b[i++]);
		}
	}
	if (h->state == H_OFF)
		field_close(h, &o);
	return h->state != H_OFF;
}

void sig_http_end(struct sig_http *h, sig_http_fn fn, void *ctx)
{
	const struct out o = {fn, ctx};

	field_close(h, &o);
	h->state = H_OFF;
}
