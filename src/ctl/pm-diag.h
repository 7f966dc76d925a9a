/*
 * pm-diag.h - the sidecar's inbound connections of one pod, asked of the kernel with
 * NETLINK_SOCK_DIAG (inet_diag) instead of parsing the netns' whole /proc/net/tcp{,6}.
 */
#ifndef BH_PM_DIAG_H
#define BH_PM_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mnl_socket;

/* More simultaneous inbound connections than this are judged on the first ones only. */
#define PM_DIAG_MAX 512

struct pm_sock {
	uint8_t local[16], remote[16]; /* v4 as ::ffff:a.b.c.d */
	uint16_t lport, rport;	       /* host order */
};

/* What one query found: ESTABLISHED sockets on lport whose peer is not loopback. */
struct pm_diag_set {
	uint16_t lport;
	int n;
	struct pm_sock s[PM_DIAG_MAX];
};

/* A socket in the netns of the calling thread, kept for the thread's lifetime. */
struct pm_diag {
	struct mnl_socket *sk;
	uint32_t portid, seq;
	char *rbuf;
	bool per_family; /* the one-walk request was refused: one dump per family */
};

/* Opens in the calling thread's current netns; 0 or -errno. */
int pm_diag_open(struct pm_diag *d);
void pm_diag_close(struct pm_diag *d);
/*
 * Fill out with the inbound connections on out->lport, both families: one filtered dump
 * (the kernel skips every other socket, TIME_WAIT ones unseen).  0 or -errno.
 */
int pm_diag_query(struct pm_diag *d, struct pm_diag_set *out);

/*
 * Build a dump request for family (AF_INET, AF_INET6, or AF_UNSPEC for both) into buf
 * (size bytes): ESTABLISHED only, local port lport by an inet_diag bytecode filter.  Returns its
 * length, or 0 if size is too small.
 */
size_t pm_diag_request(void *buf, size_t size, uint8_t family, uint16_t lport, uint32_t seq);
/*
 * Take one received chunk of a dump reply (len bytes) into out (appending).  Returns
 * 1 when more chunks follow, 0 at the end of the dump, -errno on an error reply or a
 * malformed one.  Each message is length-checked (a chunk over 32 KiB, more than one
 * recv gives, is refused); foreign seq/portid are refused.
 */
int pm_diag_parse(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		  struct pm_diag_set *out);

#endif
