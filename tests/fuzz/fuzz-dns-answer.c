/*
 * fuzz-dns-answer.c - the DNS answer parser behind FQDN groups on arbitrary bytes.
 *
 * The message sits in a heap buffer of exactly its size so ASan sees any read
 * past the end.  Whatever the input, the result must keep the parser's promises:
 * at most DNS_ANSWER_ADDRS_MAX addresses, each IPv4 or IPv6 with a TTL of at most
 * DNS_TTL_MAX; a question name of lower-case host characters and dots, never
 * longer than 253; nothing at all kept from a message it refused.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dp/dns-answer.h"

static void check(int rc, const struct dns_answer *a)
{
	size_t n = strnlen(a->qname, sizeof(a->qname));

	if (n > DNS_NAME_TEXT_MAX || a->n_addrs > DNS_ANSWER_ADDRS_MAX || (rc && a->n_addrs))
		__builtin_trap();
	for (size_t i = 0; i < n; i++) {
		char c = a->qname[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			__builtin_trap();
	}
	for (uint32_t i = 0; i < a->n_addrs; i++) {
		if ((a->addrs[i].family != AF_INET && a->addrs[i].family != AF_INET6) ||
		    a->addrs[i].ttl > DNS_TTL_MAX)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_answer ans;
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	check(dns_answer_parse(buf, size, &ans), &ans);
	free(buf);
	return 0;
}
