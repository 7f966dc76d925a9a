/*
 * policy-port.c - port specs of rules: "any", "icmp", "tcp/80", "tcp/8000-8080",
 * "udp/53", "tcp/any", "udp/any", joined by commas (DESIGN §3).
 *
 * Parsing is strict (no blanks, no empty entries, ports 1..65535, lo <= hi)
 * because a spec that silently means something else is a hole in the wall.
 * Formatting is the inverse, so specs survive policy.json round trips.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-int.h"

static int parse_port_num(const char *s, size_t n, uint16_t *out)
{
	unsigned v = 0;

	if (n == 0 || n > 5)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* "any" | "80" | "8000-8080" after "tcp/" or "udp/". */
static int parse_port_range(const char *s, size_t n, struct policy_port *p)
{
	const char *dash = memchr(s, '-', n);

	if (n == 3 && !memcmp(s, "any", 3)) {
		p->lo = 0;
		p->hi = 65535;
		return 0;
	}
	if (!dash) {
		if (parse_port_num(s, n, &p->lo))
			return -EINVAL;
		p->hi = p->lo;
		return 0;
	}
	if (parse_port_num(s, (size_t)(dash - s), &p->lo) ||
	    parse_port_num(dash + 1, n - (size_t)(dash - s) - 1, &p->hi))
		return -EINVAL;
	return p->lo <= p->hi ? 0 : -EINVAL;
}

static int parse_entry(const char *s, size_t n, struct policy_port *p)
{
	memset(p, 0, sizeof(*p));
	if (n == 3 && !memcmp(s, "any", 3)) {
		p->proto = POLICY_PORT_ANY;
		p->hi = 65535;
		return 0;
	}
	if (n == 4 && !memcmp(s, "icmp", 4)) {
		p->proto = POLICY_PORT_ICMP;
		return 0;
	}
	if (n > 4 && !memcmp(s, "tcp/", 4))
		p->proto = POLICY_PORT_TCP;
	else if (n > 4 && !memcmp(s, "udp/", 4))
		p->proto = POLICY_PORT_UDP;
	else
		return -EINVAL;
	return parse_port_range(s + 4, n - 4, p);
}

int policy_ports_parse(const char *spec, struct policy_port *out, size_t max, size_t *n, char *err,
		       size_t errlen)
{
	const char *s = spec && *spec ? spec : "any";
	size_t cnt = 0;

	for (;;) {
		size_t len = strcspn(s, ",");

		if (cnt >= max) {
			policy_err(err, errlen, "too many port entries (max %zu)", max);
			return -EINVAL;
		}
		if (parse_entry(s, len, &out[cnt])) {
			policy_err(err, errlen,
				   "bad port spec '%.*s' (want any, icmp, tcp/PORT, tcp/LO-HI, "
				   "tcp/any, udp/...)",
				   (int)(len > 32 ? 32 : len), s);
			return -EINVAL;
		}
		cnt++;
		if (!s[len])
			break;
		s += len + 1;
	}
	*n = cnt;
	return 0;
}

static int format_entry(const struct policy_port *p, char *buf, size_t len)
{
	const char *proto = p->proto == POLICY_PORT_TCP ? "tcp" : "udp";

	switch (p->proto) {
	case POLICY_PORT_ANY:
		return snprintf(buf, len, "any");
	case POLICY_PORT_ICMP:
		return snprintf(buf, len, "icmp");
	case POLICY_PORT_TCP:
	case POLICY_PORT_UDP:
		if (p->lo == 0 && p->hi == 65535)
			return snprintf(buf, len, "%s/any", proto);
		if (p->lo == p->hi)
			return snprintf(buf, len, "%s/%u", proto, p->lo);
		return snprintf(buf, len, "%s/%u-%u", proto, p->lo, p->hi);
	}
	return snprintf(buf, len, "?");
}

int policy_ports_format(const struct policy_port *p, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w;

		if (i && off + 1 < len)
			buf[off++] = ',';
		w = format_entry(&p[i], buf + off, len - off);
		if (w < 0 || (size_t)w >= len - off)
			return -ENOSPC;
		off += (size_t)w;
	}
	return 0;
}

static bool entry_match(const struct policy_port *p, enum policy_proto proto, uint16_t port)
{
	switch (p->proto) {
	case POLICY_PORT_ANY:
		return true;
	case POLICY_PORT_ICMP:
		return proto == POLICY_PROTO_ICMP;
	case POLICY_PORT_TCP:
		return proto == POLICY_PROTO_TCP && port >= p->lo && port <= p->hi;
	case POLICY_PORT_UDP:
		return proto == POLICY_PROTO_UDP && port >= p->lo && port <= p->hi;
	}
	return false;
}

bool policy_ports_match(const struct policy_port *p, size_t n, enum policy_proto proto,
			uint16_t port)
{
	for (size_t i = 0; i < n; i++) {
		if (entry_match(&p[i], proto, port))
			return true;
	}
	return false;
}
