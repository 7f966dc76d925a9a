/*
 * threat-tls.c - TLS handshakes that ask for broken protocol versions, and the
 * Heartbleed request.
 *
 * Only the first record of each direction is read (the threat stage feeds the
 * first payload packets of a session).  A ClientHello names the highest version
 * the client speaks in client_version; TLS 1.3 clients put 1.2 there and list
 * 1.3 in an extension, so "at most 1.0/1.1" is exactly client_version 0x0301 or
 * 0x0302.  SSLv2 has its own record format (two-byte length with the top bit).
 * Heartbleed: a heartbeat request whose payload_length is more than the record
 * carries (RFC 6520 wants 1 + 2 + payload + 16 bytes of padding at least).
 */
#include "threat.h"
#include "netbytes.h"

#define TLS_HANDSHAKE 0x16
#define TLS_HEARTBEAT 0x18
#define TLS_CLIENT_HELLO 1
#define TLS_HB_REQUEST 1
#define TLS_HB_PAD 16

static uint16_t client_hello(const uint8_t *b, uint32_t len)
{
	uint16_t ver;

	if (len < 11 || b[5] != TLS_CLIENT_HELLO)
		return THREAT_NONE;
	ver = rd16(b + 9);
	if (ver <= 0x0300)
		return THREAT_TLS_SSL_V2_V3;
	if (ver == 0x0301 || ver == 0x0302)
		return THREAT_TLS_1_0_1_1;
	return THREAT_NONE;
}

static uint16_t heartbeat(const uint8_t *b, uint32_t len)
{
	uint32_t rec = rd16(b + 3);

	if (len < 8 || b[5] != TLS_HB_REQUEST)
		return THREAT_NONE;
	return 3u + rd16(b + 6) + TLS_HB_PAD > rec ? THREAT_TLS_HEARTBLEED : THREAT_NONE;
}

/* SSLv2 CLIENT-HELLO: 2-byte header with the top bit, msg type 1, version 0x0002/0x0300. */
static bool sslv2_hello(const uint8_t *b, uint32_t len)
{
	return len >= 5 && (b[0] & 0x80) && ((b[0] & 0x7f) << 8 | b[1]) >= 9 &&
	       b[2] == TLS_CLIENT_HELLO && (rd16(b + 3) == 0x0002 || rd16(b + 3) == 0x0300);
}

uint16_t threat_tls_check(const uint8_t *b, uint32_t len)
{
	if (len < 5)
		return THREAT_NONE;
	if (b[1] == 3 && b[2] <= 4) {
		if (b[0] == TLS_HANDSHAKE)
			return client_hello(b, len);
		if (b[0] == TLS_HEARTBEAT)
			return heartbeat(b, len);
		return THREAT_NONE;
	}
	return sslv2_hello(b, len) ? THREAT_TLS_SSL_V2_V3 : THREAT_NONE;
}
