/*
 * pm-diag.c - the sidecar's inbound connections via NETLINK_SOCK_DIAG.
 *
 * The verdict thread needs, per SYN it judges, the sidecar's inbound sockets on its
 * inbound port: ESTABLISHED, and CLOSE_WAIT too - a client that sent its request and
 * half-closed before the sidecar dialled the app is still the real client (without it,
 * no candidate would be found and the SYN would pass unjudged).  Reading /proc/net/tcp{,6} for that formats every socket of the netns as
 * text (thousands of TIME_WAIT ones in a busy pod) and the seq_file re-walks the hash on
 * every read; perf showed it at ~95 % of the thread.  A SOCK_DIAG_BY_FAMILY dump with a
 * state mask and a one-op bytecode filter (source port == inbound port) makes the kernel
 * skip everything else and hand back only the few sockets we need, as binary records.
 * The reply comes from the kernel but is still length-checked message by message.
 */
#include "pm-diag.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Inbound sockets that name a real client (see the top of the file). */
#define PM_DIAG_STATES ((1u << TCP_ESTABLISHED) | (1u << TCP_CLOSE_WAIT))
/* A filtered dump is small, but one part can be as large as the kernel's 32 KiB skb. */
#define PM_DIAG_RECV_SIZE 32768

int pm_diag_open(struct pm_diag *d)
{
	memset(d, 0, sizeof(*d));
	d->rbuf = malloc(PM_DIAG_RECV_SIZE);
	if (!d->rbuf)
		return -ENOMEM;
	d->sk = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC);
	if (!d->sk || mnl_socket_bind(d->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		int rc = errno ? -errno : -EIO;

		pm_diag_close(d);
		return rc;
	}
	d->portid = mnl_socket_get_portid(d->sk);
	return 0;
}

void pm_diag_close(struct pm_diag *d)
{
	if (d->sk)
		mnl_socket_close(d->sk);
	free(d->rbuf);
	memset(d, 0, sizeof(*d));
}

/*
 * AF_UNSPEC: the original TCPDIAG_GETSOCK request, the only one that dumps both families
 * in one walk of the kernel's TCP hash (the walk is the whole cost: the established hash
 * is shared by every netns, 262144 buckets on a 24 GB machine, whatever our pod holds).
 */
size_t pm_diag_request(void *buf, size_t size, uint8_t family, uint16_t lport, uint32_t seq)
{
	struct nlmsghdr *nlh;
	/* sport == lport: go on past both ops (accept), else jump 4 bytes past the end. */
	struct inet_diag_bc_op bc[2] = {
	    {.code = INET_DIAG_BC_S_EQ, .yes = sizeof(bc), .no = sizeof(bc) + 4},
	    {.no = lport},
	};
	size_t hdr =
	    family == AF_UNSPEC ? sizeof(struct inet_diag_req) : sizeof(struct inet_diag_req_v2);
	size_t need =
	    MNL_ALIGN(sizeof(*nlh)) + MNL_ALIGN(hdr) + MNL_ATTR_HDRLEN + MNL_ALIGN(sizeof(bc));

	if (size < need)
		return 0;
	memset(buf, 0, need);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	if (family == AF_UNSPEC) {
		struct inet_diag_req *req = mnl_nlmsg_put_extra_header(nlh, hdr);

		nlh->nlmsg_type = TCPDIAG_GETSOCK;
		req->idiag_states = PM_DIAG_STATES;
	} else {
		struct inet_diag_req_v2 *req = mnl_nlmsg_put_extra_header(nlh, hdr);

		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		req->sdiag_family = family;
		req->sdiag_protocol = IPPROTO_TCP;
		req->idiag_states = PM_DIAG_STATES;
	}
	mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, sizeof(bc), bc);
	return nlh->nlmsg_len;
}

static bool addr_loopback(const uint8_t a[16])
{
	static const uint8_t lo6[16] = {[15] = 1};
	static const uint8_t map[12] = {[10] = 0xff, [11] = 0xff};

	return memcmp(a, lo6, 16) == 0 || (memcmp(a, map, 12) == 0 && a[12] == 127);
}

static void addr_take(uint8_t family, const __be32 src[4], uint8_t out[16])
{
	if (family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, src, 4);
	} else {
		memcpy(out, src, 16);
	}
}

/* One inet_diag_msg: keep it when it is what we asked for (the filter is re-checked). */
static int diag_msg(const struct nlmsghdr *nlh, void *data)
{
	struct pm_diag_set *out = data;
	const struct inet_diag_msg *m;
	struct pm_sock s;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY && nlh->nlmsg_type != TCPDIAG_GETSOCK)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	m = mnl_nlmsg_get_payload(nlh);
	if ((m->idiag_family != AF_INET && m->idiag_family != AF_INET6) ||
	    m->idiag_state >= 32 || !(PM_DIAG_STATES & (1u << m->idiag_state)) ||
	    ntohs(m->id.idiag_sport) != out->lport)
		return MNL_CB_OK;
	addr_take(m->idiag_family, m->id.idiag_src, s.local);
	addr_take(m->idiag_family, m->id.idiag_dst, s.remote);
	s.lport = ntohs(m->id.idiag_sport);
	s.rport = ntohs(m->id.idiag_dport);
	if (!addr_loopback(s.remote) && out->n < PM_DIAG_MAX)
		out->s[out->n++] = s;
	return MNL_CB_OK;
}

/*
 * How much of buf is whole messages.  libmnl's own check casts nlmsg_len to int, so a
 * length of 2 GiB or more would pass it and send mnl_cb_run far past the buffer (found
 * by fuzz-pm-diag): only what passes this reaches it.
 */
static size_t whole_msgs(const void *buf, size_t len)
{
	size_t off = 0;

	while (len - off >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)((const char *)buf + off);

		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len - off)
			break;
		off += MNL_ALIGN(nlh->nlmsg_len);
		if (off >= len)
			return len;
	}
	return off;
}

int pm_diag_parse(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		  struct pm_diag_set *out)
{
	int rc;

	if (len > PM_DIAG_RECV_SIZE)
		return -EMSGSIZE;
	errno = 0;
	rc = mnl_cb_run(buf, whole_msgs(buf, len), seq, portid, diag_msg, out);
	if (rc == MNL_CB_STOP)
		return 0;
	if (rc == MNL_CB_OK)
		return 1;
	/* errno may come from an NLMSG_ERROR's error field as is: any int */
	return errno > 0 && errno < 4096 ? -errno : -EIO;
}

static int diag_dump(struct pm_diag *d, uint8_t family, struct pm_diag_set *out)
{
	char req[128] __attribute__((aligned(4)));
	uint32_t seq = ++d->seq;
	size_t len = pm_diag_request(req, sizeof(req), family, out->lport, seq);

	if (!len)
		return -EOVERFLOW;
	if (mnl_socket_sendto(d->sk, req, len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(d->sk, d->rbuf, PM_DIAG_RECV_SIZE);
		int rc;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		rc = pm_diag_parse(d->rbuf, (size_t)n, seq, d->portid, out);
		if (rc <= 0)
			return rc;
	}
}

/*
 * A failed dump may leave the rest of its reply queued, which the next request would
 * trip over: start again on a fresh socket (the caller's thread stays in the netns the
 * first one was opened in, so the new one talks to the same netns).
 */
int pm_diag_query(struct pm_diag *d, struct pm_diag_set *out)
{
	int rc;

	out->n = 0;
	if (!d->sk)
		return -EBADF;
	if (!d->per_family) {
		rc = diag_dump(d, AF_UNSPEC, out);
		/* A kernel without the old request refuses it: per family from then on. */
		if (rc != -EINVAL && rc != -EOPNOTSUPP && rc != -ENOENT)
			goto out;
		d->per_family = true;
		out->n = 0;
	}
	rc = diag_dump(d, AF_INET, out);
	if (rc == 0)
		rc = diag_dump(d, AF_INET6, out);
out:
	if (rc < 0) {
		bool per_family = d->per_family;

		pm_diag_close(d);
		pm_diag_open(d); /* if that fails it stays closed: later queries say -EBADF */
		d->per_family = per_family;
	}
	return rc;
}
