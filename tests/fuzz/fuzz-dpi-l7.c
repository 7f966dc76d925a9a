/*
 * fuzz-dpi-l7.c - our own application dissectors on arbitrary bytes: the HTTP/2
 * frame walk with its HPACK reader (gRPC), the HPACK Huffman decoder, and the
 * Kafka request header check.
 *
 * The first byte picks the dissector; the rest is its input, in a heap buffer of
 * exactly that size so ASan sees any read past the end.  The h2 dissector may only
 * answer PENDING, HTTP2 or GRPC; Huffman output never exceeds the room given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp/dpi-l7.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum bh_app app;
	uint8_t *buf;
	char out[16];
	int n;

	if (size < 1)
		return 0;
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		app = dpi_h2_app(buf, size - 1);
		if (app != BH_APP_PENDING && app != BH_APP_HTTP2 && app != BH_APP_GRPC)
			__builtin_trap();
		break;
	case 1:
		n = dpi_hpack_huffman(buf, size - 1, out, sizeof(out));
		if (n > (int)sizeof(out) || n < -1)
			__builtin_trap();
		break;
	default:
		(void)dpi_kafka_request(buf, size - 1);
	}
	free(buf);
	return 0;
}
