/*
 * dpi-h2.c - gRPC inside clear-text HTTP/2 (h2c): what nDPI 4.2 cannot name.
 *
 * A gRPC call is an HTTP/2 request whose content-type is application/grpc
 * (gRPC over HTTP/2 spec).  Seeing it needs the first HEADERS frame of the
 * connection and enough HPACK (RFC 7541) to read one header field: integers,
 * string literals (plain or Huffman), the static-table index of content-type,
 * literal names.  The dynamic table is not kept: on the first request of a
 * connection it is empty, so content-type is always a literal there; later
 * requests are not needed.  Every read is bounded by the frame and the data.
 */
#include "dpi-l7.h"

#include <string.h>

#define H2_FRAME_HLEN 9
#define H2_HEADERS 0x1
#define H2_F_PADDED 0x08
#define H2_F_PRIORITY 0x20
#define H2_FIELDS_MAX 64      /* header fields read per block */
#define HPACK_CONTENT_TYPE 31 /* static table index (RFC 7541 Appendix A) */
#define HPACK_INT_MAX (1u << 28)

static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
static const char grpc_type[] = "application/grpc";

bool dpi_h2_preface(const uint8_t *data, size_t len)
{
	return len >= DPI_H2_PREFACE_LEN && !memcmp(data, h2_preface, DPI_H2_PREFACE_LEN);
}

/* ---- Huffman: the code table of RFC 7541 Appendix B in canonical form ---- */

/* clang-format off */
/* Symbols by (code length, code): canonical, so each length's codes are consecutive. */
static const uint16_t huff_sym[257] = {
	48, 49, 50, 97, 99, 101, 105, 111, 115, 116, 32, 37,
	45, 46, 47, 51, 52, 53, 54, 55, 56, 57, 61, 65,
	95, 98, 100, 102, 103, 104, 108, 109, 110, 112, 114, 117,
	58, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76,
	77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 89,
	106, 107, 113, 118, 119, 120, 121, 122, 38, 42, 44, 59,
	88, 90, 33, 34, 40, 41, 63, 39, 43, 124, 35, 62,
	0, 36, 64, 91, 93, 126, 94, 125, 60, 96, 123, 92,
	195, 208, 128, 130, 131, 162, 184, 194, 224, 226, 153, 161,
	167, 172, 176, 177, 179, 209, 216, 217, 227, 229, 230, 129,
	132, 133, 134, 136, 146, 154, 156, 160, 163, 164, 169, 170,
	173, 178, 181, 185, 186, 187, 189, 190, 196, 198, 228, 232,
	233, 1, 135, 137, 138, 139, 140, 141, 143, 147, 149, 150,
	151, 152, 155, 157, 158, 165, 166, 168, 174, 175, 180, 182,
	183, 188, 191, 197, 231, 239, 9, 142, 144, 145, 148, 159,
	171, 206, 215, 225, 236, 237, 199, 207, 234, 235, 192, 193,
	200, 201, 202, 205, 210, 213, 218, 219, 238, 240, 242, 243,
	255, 203, 204, 211, 212, 214, 221, 222, 223, 241, 244, 245,
	246, 247, 248, 250, 251, 252, 253, 254, 2, 3, 4, 5,
	6, 7, 8, 11, 12, 14, 15, 16, 17, 18, 19, 20,
	21, 23, 24, 25, 26, 27, 28, 29, 30, 31, 127, 220,
	249, 10, 13, 22, 256,
};
/* Per code length 0..30: first code, how many, where its symbols start in huff_sym. */
static const uint32_t huff_first[31] = {
	0x0, 0x0, 0x0, 0x0, 0x0, 0x0,
	0x14, 0x5c, 0xf8, 0x0, 0x3f8, 0x7fa,
	0xffa, 0x1ff8, 0x3ffc, 0x7ffc, 0x0, 0x0,
	0x0, 0x7fff0, 0xfffe6, 0x1fffdc, 0x3fffd2, 0x7fffd8,
	0xffffea, 0x1ffffec, 0x3ffffe0, 0x7ffffde, 0xfffffe2, 0x0,
	0x3ffffffc,
};
static const uint16_t huff_count[31] = {
	0, 0, 0, 0, 0, 10, 26, 32, 6, 0, 5, 3, 2, 6, 2, 3,
	0, 0, 0, 3, 8, 13, 26, 29, 12, 4, 15, 19, 29, 0, 4,
};
static const uint16_t huff_off[31] = {
	0, 0, 0, 0, 0, 0, 10, 36, 68, 0, 74, 79, 82, 84, 90, 92,
	0, 0, 0, 95, 98, 106, 119, 145, 174, 186, 190, 205, 224, 0, 253,
};
/* clang-format on */

int dpi_hpack_huffman(const uint8_t *in, size_t n, char *out, size_t outmax)
{
	uint32_t code = 0, len = 0;
	size_t o = 0;

	for (size_t i = 0; i < n * 8; i++) {
		code = code << 1 | ((in[i / 8] >> (7 - i % 8)) & 1);
		len++;
		if (len > 30)
			return -1;
		if (code - huff_first[len] < huff_count[len]) {
			uint16_t sym = huff_sym[huff_off[len] + code - huff_first[len]];

			if (sym == 256) /* EOS inside a string is an error (§5.2) */
				return -1;
			if (o < outmax)
				out[o++] = (char)sym;
			code = 0;
			len = 0;
		}
	}
	/* Padding: the most significant bits of EOS (all ones), at most 7 of them. */
	if (len > 7 || code != (1u << len) - 1)
		return -1;
	return (int)o;
}

/* ---- HPACK ---- */

struct rd {
	const uint8_t *p;
	size_t n;
	size_t at;
};

/* RFC 7541 §5.1 integer with an N-bit prefix; -1 when cut or too large. */
static int hpack_int(struct rd *r, unsigned prefix, uint32_t *out)
{
	uint32_t max = (1u << prefix) - 1, v, m = 0;

	if (r->at >= r->n)
		return -1;
	v = r->p[r->at++] & max;
	if (v < max) {
		*out = v;
		return 0;
	}
	for (;;) {
		uint8_t b;

		if (r->at >= r->n || m > 21)
			return -1;
		b = r->p[r->at++];
		v += (uint32_t)(b & 0x7f) << m;
		m += 7;
		if (!(b & 0x80))
			break;
	}
	if (v >= HPACK_INT_MAX)
		return -1;
	*out = v;
	return 0;
}

/* A string literal: up to outmax bytes of it (decoded) into out; -1 when cut or bad. */
static int hpack_str(struct rd *r, char *out, size_t outmax, size_t *outlen)
{
	bool huff;
	uint32_t len;
	int n;

	if (r->at >= r->n)
		return -1;
	huff = r->p[r->at] & 0x80;
	if (hpack_int(r, 7, &len) || len > r->n - r->at)
		return -1;
	if (huff) {
		n = dpi_hpack_huffman(r->p + r->at, len, out, outmax);
		if (n < 0)
			return -1;
		*outlen = (size_t)n;
	} else {
		*outlen = len < outmax ? len : outmax;
		memcpy(out, r->p + r->at, *outlen);
	}
	r->at += len;
	return 0;
}

/* application/grpc, application/grpc+proto, application/grpc;...: the gRPC spec's forms. */
static bool is_grpc_type(const char *v, size_t n)
{
	size_t k = sizeof(grpc_type) - 1;

	return n >= k && !memcmp(v, grpc_type, k) && (n == k || v[k] == '+' || v[k] == ';');
}

/*
 * One header field at r: *grpc when it is content-type: application/grpc.  Indexed
 * fields and table size updates carry no literal to read.  -1 when cut or malformed.
 */
static int hpack_field(struct rd *r, bool *grpc)
{
	uint8_t b = r->p[r->at];
	uint32_t idx;
	char name[16], val[32];
	size_t nlen, vlen;
	bool ct;

	if (b & 0x80) /* indexed field */
		return hpack_int(r, 7, &idx);
	if ((b & 0xe0) == 0x20) /* dynamic table size update */
		return hpack_int(r, 5, &idx);
	if (hpack_int(r, (b & 0x40) ? 6 : 4, &idx))
		return -1;
	if (idx) {
		ct = idx == HPACK_CONTENT_TYPE;
	} else {
		if (hpack_str(r, name, sizeof(name), &nlen))
			return -1;
		ct = nlen == 12 && !memcmp(name, "content-type", 12);
	}
	if (hpack_str(r, val, sizeof(val), &vlen))
		return -1;
	*grpc = *grpc || (ct && is_grpc_type(val, vlen));
	return 0;
}

/* The header block of a HEADERS frame (payload p[0..n), flags): GRPC, HTTP2 or PENDING. */
static enum bh_app headers_app(const uint8_t *p, size_t n, uint8_t flags, bool whole)
{
	struct rd r = {p, n, 0};
	bool grpc = false;

	if (flags & H2_F_PADDED) {
		if (!n || p[0] >= n)
			return whole ? BH_APP_HTTP2 : BH_APP_PENDING;
		r.at = 1;
		r.n = n - p[0];
	}
	if (flags & H2_F_PRIORITY)
		r.at += 5;
	for (int i = 0; i < H2_FIELDS_MAX && r.at < r.n; i++) {
		if (hpack_field(&r, &grpc))
			break;
		if (grpc)
			return BH_APP_GRPC;
	}
	/* A cut block may still hold content-type further on: only a whole one says no. */
	return whole ? BH_APP_HTTP2 : BH_APP_PENDING;
}

enum bh_app dpi_h2_app(const uint8_t *data, size_t len)
{
	size_t at = dpi_h2_preface(data, len) ? DPI_H2_PREFACE_LEN : 0;

	while (at + H2_FRAME_HLEN <= len) {
		const uint8_t *f = data + at;
		size_t flen = (size_t)f[0] << 16 | (size_t)f[1] << 8 | f[2];
		size_t have = len - at - H2_FRAME_HLEN;

		if (f[3] == H2_HEADERS)
			return headers_app(f + H2_FRAME_HLEN, flen < have ? flen : have, f[4],
					   flen <= have);
		at += H2_FRAME_HLEN + flen;
	}
	return BH_APP_PENDING;
}
