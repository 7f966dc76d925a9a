/*
 * threat-dns.c - DNS messages that attack a server or a resolver, or abuse one.
 *
 * Looks at one message (UDP datagram, or a TCP segment after its length
 * prefix): the question names and, in answers, the owner names.  Names are
 * walked as a resolver would (dns-name.c: labels <= 63, names <= 255,
 * compression pointers only to earlier bytes), so a name that would send a
 * naive parser past its buffer or round a loop is caught here first.
 * Queries (QR = 0) are also checked for zone transfers and NULL type.
 */
#include "threat.h"
#include "dns-name.h"
#include "netbytes.h"

#define DNS_HLEN 12
#define DNS_MAX_RR 16 /* records walked per message, at most */
#define DNS_T_NULL 10
#define DNS_T_IXFR 251
#define DNS_T_AXFR 252

/* The threat a name that does not walk is. */
static uint16_t name_threat(const uint8_t *m, uint32_t len, uint32_t *off)
{
	switch (dns_name_skip(m, len, off)) {
	case 0:
		return THREAT_NONE;
	case -DNS_NAME_LOOP:
		return THREAT_DNS_LOOP_POINTER;
	default:
		return THREAT_DNS_OVERFLOW;
	}
}

uint16_t threat_dns_check(const uint8_t *m, uint32_t len)
{
	uint32_t off = DNS_HLEN, qd, an;
	bool query;
	uint16_t id;

	if (len < DNS_HLEN)
		return THREAT_NONE;
	query = !(m[2] & 0x80);
	qd = rd16(m + 4);
	an = rd16(m + 6);
	if (qd > DNS_MAX_RR)
		qd = DNS_MAX_RR;
	if (qd + an > DNS_MAX_RR)
		an = DNS_MAX_RR - qd;
	for (uint32_t i = 0; i < qd; i++) {
		uint16_t type;

		id = name_threat(m, len, &off);
		if (id)
			return id;
		if (off + 4 > len)
			return THREAT_NONE; /* truncated: nothing more to judge */
		type = rd16(m + off);
		off += 4;
		if (query && (type == DNS_T_AXFR || type == DNS_T_IXFR))
			return THREAT_DNS_ZONE_TRANSFER;
		if (query && type == DNS_T_NULL)
			return THREAT_DNS_NULL_QUERY;
	}
	for (uint32_t i = 0; i < an; i++) {
		id = name_threat(m, len, &off);
		if (id)
			return id;
		if (off + 10 > len)
			return THREAT_NONE;
		off += 10u + rd16(m + off + 8);
	}
	return THREAT_NONE;
}
