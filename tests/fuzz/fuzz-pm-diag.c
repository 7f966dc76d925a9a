/*
 * fuzz-pm-diag.c - libFuzzer harness for pm_diag_parse, the reader of the kernel's
 * sock_diag dump replies the proxymesh verdict thread judges SYNs by.
 *
 * One input is one received chunk (any number of netlink messages, lengths arbitrary),
 * copied to an aligned heap buffer of exactly its size so ASan flags any read past it.
 * seq and portid are 0 (libmnl then accepts any), so every message reaches the parser.
 * Checked on every input: the set never exceeds PM_DIAG_MAX, and each kept socket is on
 * the asked port with a peer that is not loopback.
 * Seeds: tests/fuzz/corpus/pm-diag/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/pm-diag.h"

static struct pm_diag_set set;

static int loopback(const uint8_t a[16])
{
	static const uint8_t lo6[16] = {[15] = 1};
	static const uint8_t map[12] = {[10] = 0xff, [11] = 0xff};

	return !memcmp(a, lo6, 16) || (!memcmp(a, map, 12) && a[12] == 127);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	int rc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	memset(&set, 0, sizeof(set));
	set.lport = 15006;
	rc = pm_diag_parse(buf, size, 0, 0, &set);
	if (rc > 1 || set.n < 0 || set.n > PM_DIAG_MAX)
		__builtin_trap();
	for (int i = 0; i < set.n; i++)
		if (set.s[i].lport != 15006 || loopback(set.s[i].remote))
			__builtin_trap();
	free(buf);
	return 0;
}
