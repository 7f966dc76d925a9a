/*
 * steer-tc.c - the tc driver: the seed's classic u32 + pedit + mirred rules ("规则1..5").
 *
 * Kept for kernels with act_pedit and for operators who want plain tc rules they can read with
 * `tc filter show`.  Per port, as in the seed: on vex ingress, IPv4 (`protocol ip`) unicast to
 * the workload's MAC gets its DA rewritten to the port's unicast marker and is mirrored to the
 * dp return device; the rest (ARP, IPv6, broadcast and multicast) is mirrored straight to
 * vin.  On vin ingress, the SA variant.  On the dp return device, two rules per port index
 * restore DA (to vin) or SA (to vex).  Rules are generated as tc(8) batch text by pure functions
 * (unit-tested) and applied with `tc -netns <enforcer> -batch -`.  steer_open() only picks this
 * driver where the probe found act_pedit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "portmac.h"
#include "steer-priv.h"
#include "steer-tc.h"

struct textbuf {
	char *buf;
	size_t len;
	size_t used;
	int err;
};

static void put(struct textbuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct textbuf *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->len - t->used) {
		t->err = -ENOSPC;
		t->buf[t->used] = '\0';
		return;
	}
	t->used += (size_t)n;
}

/* A device name that is safe to put in a batch line unquoted. */
static bool dev_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n >= IF_NAMESIZE)
		return false;
	for (; *name; name++)
		if (*name <= ' ' || *name == '"' || *name == '\'' || *name == '\\' || *name == 0x7f)
			return false;
	return true;
}

/* An empty script in buf, or -EINVAL when buf is unusable or the names are not (!ok). */
static int start(struct textbuf *t, char *buf, size_t len, bool ok)
{
	if (!buf || len == 0)
		return -EINVAL;
	*t = (struct textbuf){.buf = buf, .len = len};
	buf[0] = '\0';
	return ok ? 0 : -EINVAL;
}

static bool port_ok(const struct steer_port *p, const char *dpp)
{
	return p && p->idx != 0 && p->idx < BH_MAX_PORTS && dev_ok(p->vin) && dev_ok(p->vex) &&
	       dev_ok(dpp);
}

/* Seed rule 1: vex ingress, IP unicast to the workload -> DA := marker, mirror to the dp. */
static void rule_vex_steer(struct textbuf *t, const struct steer_port *p, const uint8_t *m,
			   const uint8_t *uc, const char *dpp)
{
	put(t,
	    "filter add dev %s pref %u parent ffff: protocol ip u32 match u8 0 1 at -14 "
	    "match u16 0x%02x%02x 0xffff at -14 match u32 0x%02x%02x%02x%02x 0xffffffff at -12 "
	    "action pedit munge offset -14 u16 set 0x%02x%02x munge offset -12 u32 set "
	    "0x%02x%02x%02x%02x pipe action mirred egress mirror dev %s\n",
	    p->vex, STEER_TC_PREF_STEER, m[0], m[1], m[2], m[3], m[4], m[5], uc[0], uc[1], uc[2],
	    uc[3], uc[4], uc[5], dpp);
}

/* Seed rule 3: vin ingress, IP unicast from the workload -> SA := marker, mirror to the dp. */
static void rule_vin_steer(struct textbuf *t, const struct steer_port *p, const uint8_t *m,
			   const uint8_t *uc, const char *dpp)
{
	put(t,
	    "filter add dev %s pref %u parent ffff: protocol ip u32 match u8 0 1 at -14 "
	    "match u32 0x%02x%02x%02x%02x 0xffffffff at -8 match u16 0x%02x%02x 0xffff at -4 "
	    "action pedit munge offset -8 u32 set 0x%02x%02x%02x%02x munge offset -4 u16 set "
	    "0x%02x%02x pipe action mirred egress mirror dev %s\n",
	    p->vin, STEER_TC_PREF_STEER, m[0], m[1], m[2], m[3], m[4], m[5], uc[0], uc[1], uc[2],
	    uc[3], uc[4], uc[5], dpp);
}

/* Seed rules 2 and 4: everything else crosses vin <-> vex directly. */
static void rule_rest(struct textbuf *t, const char *from, const char *to)
{
	put(t,
	    "filter add dev %s pref %u parent ffff: protocol all u32 match u8 0 0 "
	    "action mirred egress mirror dev %s\n",
	    from, STEER_TC_PREF_REST, to);
}

/* Seed rule 5.1: from the dp with DA = marker -> real DA, to the workload. */
static void rule_ret_da(struct textbuf *t, const struct steer_port *p, const uint8_t *m,
			const uint8_t *uc, const char *dpp)
{
	put(t,
	    "filter add dev %s pref %u parent ffff: protocol all u32 "
	    "match u16 0x%02x%02x 0xffff at -14 match u32 0x%02x%02x%02x%02x 0xffffffff at -12 "
	    "action pedit munge offset -14 u16 set 0x%02x%02x munge offset -12 u32 set "
	    "0x%02x%02x%02x%02x pipe action mirred egress mirror dev %s\n",
	    dpp, STEER_TC_PREF_RET_DA(p->idx), uc[0], uc[1], uc[2], uc[3], uc[4], uc[5], m[0], m[1],
	    m[2], m[3], m[4], m[5], p->vin);
}

/* Seed rule 5.2: from the dp with SA = marker -> real SA, to the bridge. */
static void rule_ret_sa(struct textbuf *t, const struct steer_port *p, const uint8_t *m,
			const uint8_t *uc, const char *dpp)
{
	put(t,
	    "filter add dev %s pref %u parent ffff: protocol all u32 "
	    "match u32 0x%02x%02x%02x%02x 0xffffffff at -8 match u16 0x%02x%02x 0xffff at -4 "
	    "action pedit munge offset -8 u32 set 0x%02x%02x%02x%02x munge offset -4 u16 set "
	    "0x%02x%02x pipe action mirred egress mirror dev %s\n",
	    dpp, STEER_TC_PREF_RET_SA(p->idx), uc[0], uc[1], uc[2], uc[3], uc[4], uc[5], m[0], m[1],
	    m[2], m[3], m[4], m[5], p->vex);
}

int steer_tc_rules(const struct steer_port *p, const char *dpp, char *buf, size_t len)
{
	struct textbuf t;
	uint8_t uc[6];
	int rc;

	rc = start(&t, buf, len, port_ok(p, dpp));
	if (rc < 0)
		return rc;
	BH_MAC_SET(uc, BH_MAC_UC, p->idx);
	put(&t, "qdisc add dev %s ingress\n", p->vex);
	put(&t, "qdisc add dev %s ingress\n", p->vin);
	rule_vex_steer(&t, p, p->mac, uc, dpp);
	rule_rest(&t, p->vex, p->vin);
	rule_vin_steer(&t, p, p->mac, uc, dpp);
	rule_rest(&t, p->vin, p->vex);
	rule_ret_da(&t, p, p->mac, uc, dpp);
	rule_ret_sa(&t, p, p->mac, uc, dpp);
	return t.err;
}

int steer_tc_unrules(const struct steer_port *p, const char *dpp, char *buf, size_t len)
{
	struct textbuf t;
	int rc;

	rc = start(&t, buf, len, port_ok(p, dpp));
	if (rc < 0)
		return rc;
	/* clsact too: an ebpf driver may have run on these devices before. */
	put(&t, "qdisc del dev %s ingress\nqdisc del dev %s clsact\n", p->vex, p->vex);
	put(&t, "qdisc del dev %s ingress\nqdisc del dev %s clsact\n", p->vin, p->vin);
	put(&t, "filter del dev %s parent ffff: pref %u\n", dpp, STEER_TC_PREF_RET_DA(p->idx));
	put(&t, "filter del dev %s parent ffff: pref %u\n", dpp, STEER_TC_PREF_RET_SA(p->idx));
	return t.err;
}

int steer_tc_dp_rules(const char *dpp, char *buf, size_t len)
{
	struct textbuf t;
	int rc;

	rc = start(&t, buf, len, dev_ok(dpp));
	if (rc < 0)
		return rc;
	put(&t, "qdisc add dev %s ingress\n", dpp);
	return t.err;
}

int steer_tc_dp_unrules(const char *dpp, char *buf, size_t len)
{
	struct textbuf t;
	int rc;

	rc = start(&t, buf, len, dev_ok(dpp));
	if (rc < 0)
		return rc;
	put(&t, "qdisc del dev %s ingress\nqdisc del dev %s clsact\n", dpp, dpp);
	return t.err;
}

/*
 * Feed text to `tc -netns NS [-force] -batch -`.  With force (cleanup of rules that may not
 * exist) errors are expected, so the output is discarded and the exit status ignored.
 */
static int run_tc(const char *netns, const char *text, bool force)
{
	int in, status, rc = 0;
	pid_t pid;

	in = memfd_create("bh-tc-batch", MFD_CLOEXEC);
	if (in < 0)
		return -errno;
	if (write(in, text, strlen(text)) != (ssize_t)strlen(text) || lseek(in, 0, SEEK_SET) < 0) {
		rc = errno ? -errno : -EIO;
		close(in);
		return rc;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(in, 0);
		if (force && null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		if (force)
			execlp("tc", "tc", "-netns", netns, "-force", "-batch", "-", (char *)NULL);
		else
			execlp("tc", "tc", "-netns", netns, "-batch", "-", (char *)NULL);
		_exit(127);
	}
	close(in);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (force)
		return 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 127)
		return -ENOEXEC;
	return WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Enough for one port's rules (about 1.6 KB). */
#define TC_TEXT_MAX 4096

static int tc_open(struct steer *s, char *err, size_t errlen)
{
	char text[TC_TEXT_MAX];
	int rc;

	if (!s->enf_netns_name[0]) {
		snprintf(err, errlen, "steer: the tc driver needs the enforcer netns name");
		return -EINVAL;
	}
	rc = steer_tc_dp_unrules(s->dpp_name, text, sizeof(text));
	if (rc == 0)
		rc = run_tc(s->enf_netns_name, text, true);
	if (rc == 0)
		rc = steer_tc_dp_rules(s->dpp_name, text, sizeof(text));
	if (rc == 0)
		rc = run_tc(s->enf_netns_name, text, false);
	if (rc < 0)
		snprintf(err, errlen, "steer: tc setup on %s: %s", s->dpp_name, strerror(-rc));
	return rc;
}

static void tc_close(struct steer *s)
{
	char text[TC_TEXT_MAX];

	if (steer_tc_dp_unrules(s->dpp_name, text, sizeof(text)) == 0)
		run_tc(s->enf_netns_name, text, true);
}

static int tc_detach(struct steer *s, const struct steer_port *p)
{
	char text[TC_TEXT_MAX];
	int rc;

	rc = steer_tc_unrules(p, s->dpp_name, text, sizeof(text));
	if (rc == 0)
		rc = run_tc(s->enf_netns_name, text, true);
	return rc;
}

static int tc_attach(struct steer *s, const struct steer_port *p)
{
	char text[TC_TEXT_MAX];
	int rc;

	/* Start from nothing: a crashed daemon may have left this port's rules behind. */
	rc = tc_detach(s, p);
	if (rc == 0)
		rc = steer_tc_rules(p, s->dpp_name, text, sizeof(text));
	if (rc == 0)
		rc = run_tc(s->enf_netns_name, text, false);
	if (rc < 0) {
		log_warn("steer: tc rules for port %u (%s/%s): %s", p->idx, p->vin, p->vex,
			 strerror(-rc));
		tc_detach(s, p);
	}
	return rc;
}

const struct steer_ops steer_tc_ops = {
	.name = "tc",
	.open = tc_open,
	.close = tc_close,
	.attach = tc_attach,
	.detach = tc_detach,
};
