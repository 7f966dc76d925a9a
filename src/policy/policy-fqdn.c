/*
 * policy-fqdn.c - FQDN patterns of groups: syntax, normal form, matching.
 *
 * A pattern is a DNS name ("api.example.com") or a wildcard over the names
 * below one ("*.example.com" matches a.example.com and a.b.example.com, not
 * example.com itself), case-insensitive, a trailing dot ignored.  The compiled
 * policy keeps the normal form (lower case, no dot, no "*.") and a wildcard
 * flag, so matching a resolved name is one comparison of its tail.  Which
 * addresses a name had is the dp's business (struct policy_fqdn_src).
 */
#include <errno.h>
#include <string.h>

#include "policy-compiled.h"

static bool label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Labels of [A-Za-z0-9_-]{1,63} joined by dots, into out lower-cased. */
static int labels_norm(const char *s, size_t n, char *out, const char **why)
{
	size_t lab = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (!lab) {
				*why = "empty label";
				return -EINVAL;
			}
			lab = 0;
		} else if (s[i] == '*') {
			*why = "'*' only as the whole first label (*.example.com)";
			return -EINVAL;
		} else if (!label_char(s[i])) {
			*why = "labels take letters, digits, '-' and '_'";
			return -EINVAL;
		} else if (++lab > 63) {
			*why = "label longer than 63";
			return -EINVAL;
		}
		out[i] = lower(s[i]);
	}
	if (!lab) {
		*why = "empty label";
		return -EINVAL;
	}
	out[n] = '\0';
	return 0;
}

int policy_fqdn_parse(const char *pattern, char out[POLICY_FQDN_LEN + 1], bool *wild, char *err,
		      size_t errlen)
{
	const char *s = pattern, *why = "empty";
	size_t n = s ? strlen(s) : 0;

	*wild = false;
	if (n && s[n - 1] == '.')
		n--; /* "example.com." is example.com */
	if (n >= 2 && s[0] == '*' && s[1] == '.') {
		*wild = true;
		s += 2;
		n -= 2;
	}
	if (n > POLICY_FQDN_LEN)
		why = "longer than 253";
	else if (n && !labels_norm(s, n, out, &why))
		return 0;
	policy_err(err, errlen, "bad FQDN pattern '%.64s': %s", pattern ? pattern : "(null)", why);
	return -EINVAL;
}

/* name (normal form) is the pattern's name, or below it for a wildcard. */
bool policy_fqdn_match(const char *norm, size_t norm_len, bool wild, const char *name,
		       size_t name_len)
{
	if (!wild)
		return name_len == norm_len && !memcmp(name, norm, norm_len);
	return name_len > norm_len + 1 && name[name_len - norm_len - 1] == '.' &&
	       !memcmp(name + name_len - norm_len, norm, norm_len);
}

size_t policy_fqdn_count(const struct policy *p)
{
	return p ? p->n_fqdns : 0;
}

bool policy_fqdn_wanted(const struct policy *p, const char *name)
{
	size_t len = strlen(name);

	for (uint32_t i = 0; p && i < p->n_fqdns; i++) {
		const struct cp_fqdn *f = &p->fqdns[i];

		if (policy_fqdn_match(f->name, f->len, f->wild, name, len))
			return true;
	}
	return false;
}
