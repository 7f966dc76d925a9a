/*
 * policy-addr.c - addresses and CIDRs of workloads and groups, v4 and v6 alike.
 *
 * Text in, struct policy_addr out: the rest of the area never parses text
 * addresses, so IPv4 and IPv6 take exactly the same paths after this file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy-int.h"

static size_t addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

bool policy_addr_valid(const struct policy_addr *a)
{
	return a->family == AF_INET || a->family == AF_INET6;
}

bool policy_addr_equal(const struct policy_addr *a, const struct policy_addr *b)
{
	return a->family == b->family && !memcmp(a->a, b->a, addr_len(a->family));
}

int policy_addr_parse(const char *s, struct policy_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int policy_addr_format(const struct policy_addr *a, char *buf, size_t len)
{
	if (!policy_addr_valid(a))
		return -EAFNOSUPPORT;
	if (!inet_ntop(a->family, a->a, buf, len))
		return -ENOSPC;
	return 0;
}

static bool host_bits_zero(const struct policy_addr *a, unsigned plen)
{
	for (unsigned bit = plen; bit < addr_len(a->family) * 8; bit++) {
		if (a->a[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	}
	return true;
}

static int parse_plen(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9' || strlen(s) > 3)
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (*end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Host bits must be zero: "10.1.2.3/8" is more likely a typo than a wish. */
int policy_cidr_parse(const char *s, struct policy_cidr *out, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	unsigned plen;

	if (!s || strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (policy_addr_parse(buf, &out->addr))
		goto bad;
	plen = addr_len(out->addr.family) * 8;
	if (slash && parse_plen(slash + 1, plen, &plen))
		goto bad;
	if (!host_bits_zero(&out->addr, plen)) {
		policy_err(err, errlen, "CIDR %s has host bits set", s);
		return -EINVAL;
	}
	out->plen = plen;
	return 0;
bad:
	policy_err(err, errlen, "bad CIDR '%.64s'", s ? s : "(null)");
	return -EINVAL;
}

int policy_cidr_format(const struct policy_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int n;

	if (policy_addr_format(&c->addr, a, sizeof(a)))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%u", a, c->plen);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
