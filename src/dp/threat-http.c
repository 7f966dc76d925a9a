/*
 * threat-http.c - HTTP requests built to confuse whoever parses them next, and
 * the classic SQL injection in a request target.
 *
 * Reads the request line and the headers of a request head: the threat stage
 * hands it the stream's first bytes put back together (reasm-tcp.c), so a head
 * split over segments is judged whole once its blank line arrives.  Smuggling is
 * a request two parsers frame differently: both Content-Length and
 * Transfer-Encoding, or two Content-Lengths that disagree (identical duplicates
 * are allowed by RFC 9110 and not flagged).  SQL injection
 * is matched on the target after %-decoding, '+' as space, lower case and runs
 * of blanks and comments folded to one space, against a few unmistakable
 * patterns; it is a tripwire, not a WAF.
 */
#include <string.h>

#include "ascii.h"
#include "threat.h"

#define URL_MAX 1024

static const char *const methods[] = {"GET ",	 "POST ",    "PUT ",   "HEAD ",
				      "DELETE ", "OPTIONS ", "PATCH ", "CONNECT "};

static const char *const sqli[] = {
    "' or 1=1",	    "' or '1'='1",  "\" or 1=1",	"' or 'a'='a",
    " or 1=1--",    "union select", "union all select", "; drop table",
    "';drop table", "' and 1=0",    "/etc/passwd' --",
};

static bool has_prefix_ci(const uint8_t *b, uint32_t len, const char *p)
{
	size_t n = strlen(p);

	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ascii_lower(b[i]) != ascii_lower((unsigned char)p[i]))
			return false;
	return true;
}

/* The target of the request line, normalised into out; returns its length. */
static uint32_t normalise(const uint8_t *t, uint32_t len, char *out)
{
	uint32_t o = 0;

	for (uint32_t i = 0; i < len && o < URL_MAX - 1; i++) {
		int c = t[i];

		if (c == '%' && i + 2 < len && ascii_hexval(t[i + 1]) >= 0 && ascii_hexval(t[i + 2]) >= 0) {
			c = ascii_hexval(t[i + 1]) << 4 | ascii_hexval(t[i + 2]);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c == '/' && i + 1 < len && t[i + 1] == '*') { /* SQL comment as a blank */
			const uint8_t *e = memmem(t + i + 2, len - i - 2, "*/", 2);

			if (e) {
				i = (uint32_t)(e - t) + 1;
				c = ' ';
			}
		}
		if (c == '\t' || c == '\r' || c == '\n')
			c = ' ';
		if (c == ' ' && o && out[o - 1] == ' ')
			continue;
		out[o++] = (char)ascii_lower(c);
	}
	out[o] = 0;
	return o;
}

static bool sql_injection(const uint8_t *target, uint32_t len)
{
	char url[URL_MAX];
	uint32_t n = normalise(target, len, url);

	for (size_t i = 0; i < sizeof(sqli) / sizeof(sqli[0]); i++)
		if (memmem(url, n, sqli[i], strlen(sqli[i])))
			return true;
	return false;
}

struct hdrs {
	int n_cl;
	bool te, cl_differ, cl_negative;
	uint64_t cl;
};

static void header(struct hdrs *h, const uint8_t *l, uint32_t len)
{
	uint32_t i;
	uint64_t v = 0;

	if (has_prefix_ci(l, len, "transfer-encoding:")) {
		h->te = true;
		return;
	}
	if (!has_prefix_ci(l, len, "content-length:"))
		return;
	for (i = 15; i < len && (l[i] == ' ' || l[i] == '\t'); i++)
		;
	if (i < len && l[i] == '-') {
		h->cl_negative = true;
		return;
	}
	for (; i < len && l[i] >= '0' && l[i] <= '9' && v < (1ull << 60); i++)
		v = v * 10 + (uint64_t)(l[i] - '0');
	if (h->n_cl++ && v != h->cl)
		h->cl_differ = true;
	h->cl = v;
}

/* b (len bytes, maybe fewer than m has) agrees with m as far as either goes. */
static bool agrees_ci(const uint8_t *b, uint32_t len, const char *m)
{
	size_t n = strlen(m), k = len < n ? len : n;

	for (size_t i = 0; i < k; i++)
		if (ascii_lower(b[i]) != ascii_lower((unsigned char)m[i]))
			return false;
	return true;
}

/*
 * How far the start of a client stream is as an HTTP request head: -1 not HTTP, 0 HTTP
 * (or the first bytes of a method) still without its blank line, 1 a whole head.
 */
int threat_http_head_state(const uint8_t *b, uint32_t len)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (agrees_ci(b, len, methods[i]))
			break;
	if (i == sizeof(methods) / sizeof(methods[0]))
		return -1;
	if (len < strlen(methods[i]))
		return 0;
	return memmem(b, len, "\r\n\r\n", 4) || memmem(b, len, "\n\n", 2) ? 1 : 0;
}

uint16_t threat_http_check(const uint8_t *b, uint32_t len)
{
	const uint8_t *sp, *eol, *l, *end = b + len;
	struct hdrs h = {0};
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (has_prefix_ci(b, len, methods[i]))
			break;
	if (i == sizeof(methods) / sizeof(methods[0]))
		return THREAT_NONE;
	sp = memchr(b, ' ', len) + 1;
	eol = memchr(sp, '\n', (size_t)(end - sp));
	l = memchr(sp, ' ', (size_t)((eol ? eol : end) - sp));
	if (sql_injection(sp, (uint32_t)((l ? l : eol ? eol : end) - sp)))
		return THREAT_HTTP_SQL_INJECTION;
	for (l = eol ? eol + 1 : end; l < end; l = eol + 1) {
		eol = memchr(l, '\n', (size_t)(end - l));
		if (!eol)
			eol = end;
		if (eol - l <= 1) /* the blank line ending the headers */
			break;
		header(&h, l, (uint32_t)(eol - l));
		if (eol == end)
			break;
	}
	if (h.cl_negative)
		return THREAT_HTTP_NEG_LENGTH;
	if ((h.n_cl && h.te) || h.cl_differ)
		return THREAT_HTTP_SMUGGLING;
	return THREAT_NONE;
}
