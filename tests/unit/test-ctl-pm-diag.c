/*
 * test-ctl-pm-diag.c - the proxymesh sock_diag query: the request is what the kernel's
 * bytecode audit accepts, the reply parser keeps only ESTABLISHED/CLOSE_WAIT sockets on the port
 * with a non-loopback peer, refuses short or foreign messages, and (as root, in a netns
 * of its own) a real query finds a connection on the port, not one on another port.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl/pm-diag.h"

static struct pm_diag_set set;
static char buf[8192] __attribute__((aligned(8)));

/* Append one reply message for a socket (v4 addresses as dotted strings). */
static size_t put_sock(size_t off, uint16_t type, uint32_t seq, uint8_t state, const char *l,
		       uint16_t lport, const char *r, uint16_t rport)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + off);
	struct inet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));

	nlh->nlmsg_type = type;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 7;
	m->idiag_family = AF_INET;
	m->idiag_state = state;
	m->id.idiag_sport = htons(lport);
	m->id.idiag_dport = htons(rport);
	inet_pton(AF_INET, l, m->id.idiag_src);
	inet_pton(AF_INET, r, m->id.idiag_dst);
	return off + nlh->nlmsg_len;
}

static size_t put_done(size_t off, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + off);

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 7;
	mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	return off + nlh->nlmsg_len;
}

static void test_parse_filters(void **st)
{
	size_t len = 0;

	(void)st;
	memset(buf, 0, sizeof(buf));
	memset(&set, 0, sizeof(set));
	set.lport = 15006;
	len = put_sock(len, SOCK_DIAG_BY_FAMILY, 5, TCP_ESTABLISHED, "10.0.0.2", 15006, "10.0.0.9",
		       40000);
	len = put_sock(len, TCPDIAG_GETSOCK, 5, TCP_ESTABLISHED, "10.0.0.2", 15006, "10.0.0.8",
		       40001);
	len = put_sock(len, SOCK_DIAG_BY_FAMILY, 5, TCP_TIME_WAIT, "10.0.0.2", 15006, "10.0.0.7",
		       40002);
	len = put_sock(len, SOCK_DIAG_BY_FAMILY, 5, TCP_ESTABLISHED, "10.0.0.2", 8080, "10.0.0.6",
		       40003);
	len = put_sock(len, SOCK_DIAG_BY_FAMILY, 5, TCP_ESTABLISHED, "127.0.0.1", 15006,
		       "127.0.0.1", 40004);
	/* a client that half-closed before the sidecar dialled the app is still one */
	len = put_sock(len, SOCK_DIAG_BY_FAMILY, 5, TCP_CLOSE_WAIT, "10.0.0.2", 15006, "10.0.0.5",
		       40005);
	assert_int_equal(pm_diag_parse(buf, len, 5, 7, &set), 1);
	assert_int_equal(set.n, 3);
	assert_int_equal(set.s[2].rport, 40005);
	assert_int_equal(set.s[0].rport, 40000);
	assert_int_equal(set.s[0].remote[10], 0xff);
	assert_memory_equal(set.s[0].remote + 12, "\x0a\x00\x00\x09", 4);
	assert_memory_equal(set.s[1].local + 12, "\x0a\x00\x00\x02", 4);
	len = put_done(0, 5);
	assert_int_equal(pm_diag_parse(buf, len, 5, 7, &set), 0);
	assert_int_equal(set.n, 3);
}

static void test_parse_refuses(void **st)
{
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;
	size_t len;

	(void)st;
	memset(&set, 0, sizeof(set));
	set.lport = 15006;
	memset(buf, 0, sizeof(buf));
	len =
	    put_sock(0, SOCK_DIAG_BY_FAMILY, 5, TCP_ESTABLISHED, "10.0.0.2", 15006, "10.0.0.9", 1);
	/* Foreign sequence number and port id. */
	assert_true(pm_diag_parse(buf, len, 6, 7, &set) < 0);
	assert_true(pm_diag_parse(buf, len, 5, 8, &set) < 0);
	/* A header claiming a payload shorter than an inet_diag_msg. */
	nlh = (struct nlmsghdr *)buf;
	nlh->nlmsg_len = (uint32_t)(MNL_NLMSG_HDRLEN + 8);
	assert_int_equal(pm_diag_parse(buf, nlh->nlmsg_len, 5, 7, &set), -EBADMSG);
	/* A header claiming more than was received: nothing read past the end. */
	nlh->nlmsg_len = 4000;
	assert_int_equal(pm_diag_parse(buf, 100, 5, 7, &set), 1);
	assert_int_equal(set.n, 0);
	/* 2 GiB or more: libmnl's signed check would take it (fuzz-pm-diag found that). */
	nlh->nlmsg_len = 0xc79e3a00u;
	assert_int_equal(pm_diag_parse(buf, 100, 5, 7, &set), 1);
	assert_int_equal(set.n, 0);
	/* The kernel's error reply. */
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = 5;
	nlh->nlmsg_pid = 7;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -EINVAL;
	assert_int_equal(pm_diag_parse(buf, nlh->nlmsg_len, 5, 7, &set), -EINVAL);
}

static void test_request(void **st)
{
	char small[16];
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct inet_diag_req_v2 *r;

	(void)st;
	assert_int_equal(pm_diag_request(small, sizeof(small), AF_INET, 1, 1), 0);
	assert_true(pm_diag_request(buf, sizeof(buf), AF_INET6, 15006, 9) > 0);
	assert_int_equal(nlh->nlmsg_type, SOCK_DIAG_BY_FAMILY);
	assert_true(nlh->nlmsg_flags & NLM_F_DUMP);
	r = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(r->sdiag_family, AF_INET6);
	assert_int_equal(r->idiag_states, (1u << TCP_ESTABLISHED) | (1u << TCP_CLOSE_WAIT));
	assert_true(pm_diag_request(buf, sizeof(buf), AF_UNSPEC, 15006, 9) > 0);
	assert_int_equal(nlh->nlmsg_type, TCPDIAG_GETSOCK);
}

/* Root only: a netns of our own with 192.0.2.1 on lo, so a connection's peer is not loopback. */
static int own_netns(void)
{
	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
		return -1;
	return system("ip link set lo up && ip addr add 192.0.2.1/32 dev lo") == 0 ? 0 : -1;
}

static int listen_on(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static int connect_to(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* A real kernel: the one-walk request is accepted, the filter picks our port's socket. */
static void test_query_kernel(void **st)
{
	struct pm_diag d;
	int l1, l2, c1, c2, a1, a2;

	(void)st;
	if (own_netns() < 0)
		skip();
	l1 = listen_on(15006);
	l2 = listen_on(15007);
	c1 = connect_to(15006);
	c2 = connect_to(15007);
	a1 = accept(l1, NULL, NULL);
	a2 = accept(l2, NULL, NULL);
	assert_int_equal(pm_diag_open(&d), 0);
	set.lport = 15006;
	assert_int_equal(pm_diag_query(&d, &set), 0);
	assert_false(d.per_family);
	assert_int_equal(set.n, 1);
	assert_int_equal(set.s[0].lport, 15006);
	assert_memory_equal(set.s[0].remote + 12, "\xc0\x00\x02\x01", 4);
	/* Closed: gone from the next answer, on the same socket (nothing left queued). */
	close(c1);
	close(a1);
	assert_int_equal(pm_diag_query(&d, &set), 0);
	assert_int_equal(set.n, 0);
	set.lport = 15007;
	assert_int_equal(pm_diag_query(&d, &set), 0);
	assert_int_equal(set.n, 1);
	pm_diag_close(&d);
	close(c2);
	close(a2);
	close(l1);
	close(l2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_filters),
	    cmocka_unit_test(test_parse_refuses),
	    cmocka_unit_test(test_request),
	    cmocka_unit_test(test_query_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
