/*
 * fuzz-wire-json.c - libFuzzer harness for wire_port_from_json, the reader
 * of a pulled port's record in workloads.json (what restore works from after
 * a crash, so a planted or damaged file must be refused, never half-read).
 *
 * One input is JSON text.  Checked on every input:
 *  - a refused port leaves the output struct exactly as it was;
 *  - an accepted one is sane (names valid and terminated, counts in range)
 *    and round-trips: to_json -> from_json -> to_json gives the same text.
 * Seeds: tests/fuzz/corpus/wire-json/.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "wire/wire.h"

/* Large (a snapshot holds 64 addresses and 128 routes): static, not on the stack. */
static struct wire_port port, again, before;

static int terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check_sane(const struct wire_port *p)
{
	const struct wire_snapshot *s = &p->orig;

	if (!terminated(p->id, sizeof(p->id)) || !terminated(p->vin, sizeof(p->vin)) ||
	    !terminated(p->vex, sizeof(p->vex)) || !terminated(s->ifname, sizeof(s->ifname)))
		__builtin_trap();
	if (!p->id[0] || !p->vin[0] || !p->vex[0] || !s->ifname[0])
		__builtin_trap();
	if (p->vin_ifindex < 0 || p->vex_ifindex < 0)
		__builtin_trap();
	if (s->naddrs < 0 || s->naddrs > WIRE_MAX_ADDRS || s->nroutes < 0 ||
	    s->nroutes > WIRE_MAX_ROUTES)
		__builtin_trap();
	for (int i = 0; i < s->naddrs; i++) {
		const struct wire_addr *a = &s->addrs[i];
		int bits = a->family == AF_INET6 ? 128 : 32;

		if ((a->family != AF_INET && a->family != AF_INET6) || a->prefixlen > bits ||
		    !terminated(a->label, sizeof(a->label)))
			__builtin_trap();
	}
	for (int i = 0; i < s->nroutes; i++) {
		const struct wire_route *r = &s->routes[i];
		int bits = r->family == AF_INET6 ? 128 : 32;

		if ((r->family != AF_INET && r->family != AF_INET6) || r->dst_len > bits)
			__builtin_trap();
	}
}

static char *dump(const struct wire_port *p)
{
	json_t *j = wire_port_to_json(p);
	char *text;

	if (!j)
		__builtin_trap(); /* an accepted port must be writable again */
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (!text)
		abort();
	return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *doc, *j2;
	char *a, *b;

	/* same flags as state_read_json, the daemon's reader of workloads.json */
	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return 0;
	memset(&port, 0xa5, sizeof(port));
	memcpy(&before, &port, sizeof(port));
	if (wire_port_from_json(doc, &port) < 0) {
		if (memcmp(&port, &before, sizeof(port)))
			__builtin_trap(); /* "writes only on success" */
		json_decref(doc);
		return 0;
	}
	json_decref(doc);
	check_sane(&port);
	a = dump(&port);
	j2 = json_loads(a, 0, &jerr);
	if (!j2 || wire_port_from_json(j2, &again) < 0)
		__builtin_trap(); /* what we write we must read back */
	json_decref(j2);
	check_sane(&again);
	b = dump(&again);
	if (strcmp(a, b))
		__builtin_trap();
	free(a);
	free(b);
	return 0;
}
