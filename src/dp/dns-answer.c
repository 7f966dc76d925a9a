/*
 * dns-answer.c - which addresses a DNS response admits for its question name.
 *
 * FQDN groups (dp-fqdn.c) trust this parser with what a workload is allowed
 * to reach, and it reads bytes any DNS server (or anyone who can spoof one)
 * sends, so it is written to refuse rather than guess: every length is
 * checked against the message, names are walked by dns-name.c (pointers only
 * backwards, at most 32 per name), and the work per message is bounded by
 * DNS_ANSWER_RR_MAX records x DNS_ANSWER_CNAME_HOPS hops.  Names are compared
 * in place, label by label, so no name is ever copied but the question's.
 * Threat checks on the same messages live in threat-dns.c; this file only
 * extracts.
 */
#include "dns-answer.h"
#include "ascii.h"
#include "dns-name.h"
#include "netbytes.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#define DNS_HLEN 12
#define DNS_CLASS_IN 1
#define DNS_T_A 1
#define DNS_T_CNAME 5
#define DNS_T_AAAA 28

/* ---- names ---- */

static bool host_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* The name at *off as lower-case text without the trailing dot; host characters only. */
static int name_text(const uint8_t *m, uint32_t len, uint32_t *off, char *out)
{
	struct dns_name_it it;
	const uint8_t *lab;
	size_t n = 0;
	int l;

	dns_name_it_init(&it, m, len, *off);
	while ((l = dns_name_next(&it, &lab)) > 0) {
		if (n)
			out[n++] = '.';
		for (int i = 0; i < l; i++) {
			if (!host_char(lab[i])) {
				out[0] = '\0';
				return -1;
			}
			out[n++] = (char)ascii_lower(lab[i]);
		}
	}
	/* 255 wire bytes hold at most 253 characters of text: out never overflows. */
	out[l < 0 ? 0 : n] = '\0';
	if (l < 0)
		return -1;
	*off = it.end;
	return 0;
}

/* Both names (already checked) are the same, ignoring ASCII case. */
static bool name_eq(const uint8_t *m, uint32_t len, uint32_t a, uint32_t b)
{
	struct dns_name_it x, y;
	const uint8_t *la, *lb;
	int na, nb;

	if (a == b)
		return true;
	dns_name_it_init(&x, m, len, a);
	dns_name_it_init(&y, m, len, b);
	do {
		na = dns_name_next(&x, &la);
		nb = dns_name_next(&y, &lb);
		if (na != nb || na < 0)
			return false;
		for (int i = 0; i < na; i++)
			if (ascii_lower(la[i]) != ascii_lower(lb[i]))
				return false;
	} while (na > 0);
	return true;
}

/* ---- records ---- */

struct rr {
	uint32_t owner; /* offset of the owner name */
	uint32_t rdata;
	uint32_t ttl;
	uint16_t type;
	uint16_t rdlen;
};

/* RFC 2181 §8: a TTL with the top bit set means 0. */
static uint32_t ttl_norm(uint32_t ttl)
{
	if (ttl & 0x80000000u)
		return 0;
	return ttl > DNS_TTL_MAX ? DNS_TTL_MAX : ttl;
}

/* The answer section's IN A/AAAA/CNAME records; every record is checked, kept or not. */
static int collect(const uint8_t *m, uint32_t len, uint32_t off, uint32_t an, struct rr *rrs,
		   uint32_t *n)
{
	*n = 0;
	for (uint32_t i = 0; i < an && i < DNS_ANSWER_RR_MAX; i++) {
		struct rr r = {.owner = off};

		if (dns_name_skip(m, len, &off) || off + 10 > len)
			return -1;
		r.type = rd16(m + off);
		r.ttl = ttl_norm(rd32(m + off + 4));
		r.rdlen = rd16(m + off + 8);
		r.rdata = off + 10;
		off = r.rdata + r.rdlen;
		if (off > len)
			return -1;
		if (rd16(m + r.rdata - 8) != DNS_CLASS_IN)
			continue;
		if (r.type == DNS_T_A || r.type == DNS_T_AAAA || r.type == DNS_T_CNAME)
			rrs[(*n)++] = r;
	}
	return 0;
}

static void add_addr(struct dns_answer *out, const uint8_t *m, const struct rr *r,
		     uint32_t chain_ttl)
{
	struct dns_addr *a;

	if (out->n_addrs >= DNS_ANSWER_ADDRS_MAX)
		return;
	if (!(r->type == DNS_T_A && r->rdlen == 4) && !(r->type == DNS_T_AAAA && r->rdlen == 16))
		return;
	a = &out->addrs[out->n_addrs++];
	memset(a, 0, sizeof(*a));
	a->family = r->rdlen == 4 ? AF_INET : AF_INET6;
	memcpy(a->a, m + r->rdata, r->rdlen);
	a->ttl = r->ttl < chain_ttl ? r->ttl : chain_ttl;
}

/* The CNAME target of r, checked to lie inside its rdata, or -1. */
static int cname_target(const uint8_t *m, uint32_t len, const struct rr *r, uint32_t *target)
{
	uint32_t off = r->rdata;

	if (dns_name_skip(m, len, &off) || off > r->rdata + r->rdlen)
		return -1;
	*target = r->rdata;
	return 0;
}

/*
 * From the question name along CNAMEs: the addresses each name on the chain owns.
 * A name with several CNAMEs is malformed (RFC 1034 §3.6.2); the first one is followed.
 */
static int follow_chain(const uint8_t *m, uint32_t len, uint32_t qname, const struct rr *rrs,
			uint32_t n, struct dns_answer *out)
{
	uint32_t cur = qname, chain_ttl = DNS_TTL_MAX;

	for (int hop = 0; hop <= DNS_ANSWER_CNAME_HOPS; hop++) {
		const struct rr *cname = NULL;
		uint32_t next;

		for (uint32_t i = 0; i < n; i++) {
			if (!name_eq(m, len, cur, rrs[i].owner))
				continue;
			if (rrs[i].type != DNS_T_CNAME)
				add_addr(out, m, &rrs[i], chain_ttl);
			else if (!cname)
				cname = &rrs[i];
		}
		if (!cname)
			return 0;
		if (cname_target(m, len, cname, &next))
			return -1;
		chain_ttl = cname->ttl < chain_ttl ? cname->ttl : chain_ttl;
		cur = next;
	}
	return 0;
}

int dns_answer_parse(const uint8_t *m, size_t size, struct dns_answer *out)
{
	struct rr rrs[DNS_ANSWER_RR_MAX];
	uint32_t len, off = DNS_HLEN, n;

	out->qname[0] = '\0';
	out->qtype = 0;
	out->rcode = 0;
	out->n_addrs = 0;
	if (size < DNS_HLEN || size > 65535)
		return -EINVAL;
	len = (uint32_t)size;
	if (!(m[2] & 0x80) || (m[2] >> 3 & 0xf) != 0) /* QR = response, OPCODE = QUERY */
		return -ENOMSG;
	out->rcode = m[3] & 0xf;
	if (rd16(m + 4) != 1)
		return -EINVAL;
	if (name_text(m, len, &off, out->qname) || off + 4 > len ||
	    rd16(m + off + 2) != DNS_CLASS_IN)
		return -EINVAL;
	out->qtype = rd16(m + off);
	off += 4;
	if (out->rcode)
		return 0;
	if (collect(m, len, off, rd16(m + 6), rrs, &n) ||
	    follow_chain(m, len, DNS_HLEN, rrs, n, out)) {
		out->n_addrs = 0;
		return -EINVAL;
	}
	return 0;
}
