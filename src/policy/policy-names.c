/*
 * policy-names.c - the words of the policy language and small helpers.
 *
 * Mode, action and protocol names and the name syntax live in one place so the
 * CLI, the JSON files and the explain sentences all spell them the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-int.h"

static const char *const mode_names[BH_MODE__MAX] = {
    [BH_MODE_DISCOVER] = "discover",
    [BH_MODE_MONITOR] = "monitor",
    [BH_MODE_PROTECT] = "protect",
    [BH_MODE_QUARANTINE] = "quarantine",
};

static const char *const proto_names[POLICY_PROTO__MAX] = {
    [POLICY_PROTO_TCP] = "tcp",
    [POLICY_PROTO_UDP] = "udp",
    [POLICY_PROTO_ICMP] = "icmp",
    [POLICY_PROTO_OTHER] = "other",
};

int bh_mode_parse(const char *s, enum bh_mode *out)
{
	for (int i = 0; s && i < BH_MODE__MAX; i++) {
		if (!strcmp(s, mode_names[i])) {
			*out = (enum bh_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *bh_mode_name(enum bh_mode mode)
{
	return (unsigned)mode < BH_MODE__MAX ? mode_names[mode] : "?";
}

int policy_action_parse(const char *s, enum policy_action *out)
{
	if (s && !strcmp(s, "allow"))
		*out = POLICY_ACTION_ALLOW;
	else if (s && !strcmp(s, "deny"))
		*out = POLICY_ACTION_DENY;
	else
		return -EINVAL;
	return 0;
}

const char *policy_action_name(enum policy_action a)
{
	return a == POLICY_ACTION_DENY ? "deny" : "allow";
}

const char *policy_proto_name(enum policy_proto p)
{
	return (unsigned)p < POLICY_PROTO__MAX ? proto_names[p] : "?";
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

bool policy_name_valid(const char *name)
{
	size_t i;

	if (!name)
		return false;
	for (i = 0; name[i]; i++) {
		if (i >= POLICY_NAME_MAX - 1 || !name_char(name[i]))
			return false;
	}
	return i > 0;
}

bool policy_name_reserved(const char *name)
{
	return !strcmp(name, POLICY_GROUP_ANY) || !strcmp(name, POLICY_GROUP_EXTERNAL);
}

/* Make room for `need` elements; doubles so appends stay amortised O(1). */
int policy_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 8;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	p = reallocarray(*arr, ncap, elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

char **policy_strv_dup(const char *const *v, size_t n)
{
	char **out;

	if (!n)
		return NULL;
	out = calloc(n, sizeof(*out));
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		out[i] = strdup(v[i]);
		if (!out[i]) {
			policy_strv_free(out, i);
			return NULL;
		}
	}
	return out;
}

void policy_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}
