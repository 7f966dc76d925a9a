/*
 * dns-name.h - DNS names walked in place, as a careful resolver walks them.
 *
 * The one reader of wire names for the parsers that take DNS from the network
 * (dns-answer.c extracts answers for FQDN groups, threat-dns.c judges names):
 * every label length is checked against the message, names stay within RFC
 * 1035's 255 bytes and 63-byte labels, and compression pointers must point
 * backwards and be at most DNS_NAME_JUMPS_MAX per name, so no name can loop or
 * read past the message.  Nothing is copied.
 */
#ifndef BH_DP_DNS_NAME_H
#define BH_DP_DNS_NAME_H

#include <stdbool.h>
#include <stdint.h>

#define DNS_NAME_WIRE_MAX 255
#define DNS_NAME_LABEL_MAX 63
#define DNS_NAME_JUMPS_MAX 32

/* Why a name is refused: a walk returns one of these (negated). */
enum dns_name_err {
	DNS_NAME_BAD = 1,  /* past the message, too long, or a reserved label type */
	DNS_NAME_LOOP = 2, /* a pointer forward or to itself: it could loop */
	DNS_NAME_JUMPS = 3 /* more than DNS_NAME_JUMPS_MAX pointers */
};

struct dns_name_it {
	const uint8_t *m;
	uint32_t len;
	uint32_t at;	/* next byte to read */
	uint32_t end;	/* where the name ends in the message (after its first pointer) */
	uint32_t total; /* wire length so far */
	unsigned jumps;
	bool jumped;
};

static inline void dns_name_it_init(struct dns_name_it *it, const uint8_t *m, uint32_t len,
				    uint32_t off)
{
	*it = (struct dns_name_it){.m = m, .len = len, .at = off};
}

/*
 * The next label: its length (0 at the name's end; *lab its bytes), or
 * -enum dns_name_err.  After the 0, it->end is the offset just past the name.
 */
int dns_name_next(struct dns_name_it *it, const uint8_t **lab);

/* Check the name at *off and move *off past it: 0 or -enum dns_name_err. */
int dns_name_skip(const uint8_t *m, uint32_t len, uint32_t *off);

#endif
