/*
 * dns-answer.h - the addresses a DNS response gives for its question
 * (src/dp/dns-answer.c), for FQDN groups (dp-fqdn.c).
 *
 * Pure function over one message: no allocation, no state, bounded work
 * whatever the input (see the limits below), so the dp may call it on the
 * answer it is about to forward.
 */
#ifndef BH_DNS_ANSWER_H
#define BH_DNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_TEXT_MAX 253	 /* longest name as text, without the trailing dot */
#define DNS_ANSWER_ADDRS_MAX 32	 /* A/AAAA kept from one message */
#define DNS_ANSWER_RR_MAX 64	 /* answer records looked at */
#define DNS_ANSWER_CNAME_HOPS 8	 /* CNAME chain followed this far */
#define DNS_TTL_MAX (24 * 3600u) /* longer TTLs are cut to a day */

struct dns_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t a[16];	/* network order; IPv4 in the first 4 bytes */
	uint32_t ttl;	/* seconds: the least TTL along the CNAME chain to it */
};

struct dns_answer {
	char qname[DNS_NAME_TEXT_MAX + 1]; /* lower case, no trailing dot; "" = the root */
	uint16_t qtype;
	uint8_t rcode;
	uint32_t n_addrs;
	struct dns_addr addrs[DNS_ANSWER_ADDRS_MAX];
};

/*
 * Parse a response with exactly one question (class IN): out->qname is the
 * question, out->addrs the A/AAAA records owned by the question name or by a
 * name the answer's CNAME chain leads to from it.  Names are checked as a
 * resolver would (labels <= 63, names <= 255 bytes, compression pointers only
 * backwards and at most 32 per name); a question name with a byte outside
 * [A-Za-z0-9_-] in a label is refused, so "a.b" inside one label can never
 * pose as two.  Returns 0 (n_addrs may be 0: NXDOMAIN, no data), -ENOMSG for a
 * query or another opcode, -EINVAL for anything malformed (then nothing from
 * the message may be trusted).
 */
int dns_answer_parse(const uint8_t *msg, size_t len, struct dns_answer *out);

#endif
