/* dns-name.c - DNS names walked in place (see dns-name.h). */
#include "dns-name.h"

int dns_name_next(struct dns_name_it *it, const uint8_t **lab)
{
	for (;;) {
		uint8_t l;

		if (it->at >= it->len)
			return -DNS_NAME_BAD;
		l = it->m[it->at];
		if ((l & 0xc0) == 0xc0) {
			uint32_t to;

			if (it->at + 1 >= it->len)
				return -DNS_NAME_BAD;
			if (++it->jumps > DNS_NAME_JUMPS_MAX)
				return -DNS_NAME_JUMPS;
			to = (uint32_t)(l & 0x3f) << 8 | it->m[it->at + 1];
			if (to >= it->at)
				return -DNS_NAME_LOOP;
			if (!it->jumped)
				it->end = it->at + 2;
			it->jumped = true;
			it->at = to;
			continue;
		}
		if (l > DNS_NAME_LABEL_MAX) /* 0x40/0x80 label types are reserved */
			return -DNS_NAME_BAD;
		it->total += l + 1u;
		if (it->total > DNS_NAME_WIRE_MAX || it->at + 1u + l > it->len)
			return -DNS_NAME_BAD;
		*lab = it->m + it->at + 1;
		it->at += 1u + l;
		if (!l && !it->jumped)
			it->end = it->at;
		return l;
	}
}

int dns_name_skip(const uint8_t *m, uint32_t len, uint32_t *off)
{
	struct dns_name_it it;
	const uint8_t *lab;
	int l;

	dns_name_it_init(&it, m, len, *off);
	while ((l = dns_name_next(&it, &lab)) > 0)
		;
	if (l < 0)
		return l;
	*off = it.end;
	return 0;
}
