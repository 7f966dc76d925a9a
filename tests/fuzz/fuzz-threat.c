/*
 * fuzz-threat.c - the threat stage's payload parsers on arbitrary bytes.
 *
 * The first byte picks the parser (DNS message, HTTP request head, TLS or
 * SSLv2 stream start, SSH identification line); the rest is its input, in a
 * heap buffer of exactly that size so ASan sees any read past the end.  A
 * parser must return THREAT_NONE or an id the catalogue knows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dp/threat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t id = THREAT_NONE;
	uint8_t *buf;

	if (size < 1)
		return 0;
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	switch (data[0] & 3) {
	case 0: id = threat_dns_check(buf, (uint32_t)(size - 1)); break;
	case 1: id = threat_http_check(buf, (uint32_t)(size - 1)); break;
	case 2: id = threat_tls_check(buf, (uint32_t)(size - 1)); break;
	case 3: id = threat_ssh_check(buf, (uint32_t)(size - 1)); break;
	}
	if (id != THREAT_NONE && !threat_def_of(id))
		__builtin_trap(); /* an id outside the catalogue */
	free(buf);
	return 0;
}
