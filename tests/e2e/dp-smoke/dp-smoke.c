/*
 * dp-smoke.c - root smoke test of the dp without the eBPF steering.
 *
 * Stands in for the steering programs: a packet socket on bh-dpp injects
 * frames that already carry the marker MACs, and reads back what the dp
 * sends out of bh-dp.  Checks forwarding (plain, VLAN-tagged, a 64 KB GSO
 * frame with its vnet header), drops (unpublished port, no marker, bad
 * header, withdrawn port) and the counters behind them.
 *
 * usage: dp-smoke NETNS   (NETNS holds the veth pair bh-dp / bh-dpp)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dp/dp.h"
#include "netns.h"
#include "portmac.h"

#define BIG 70000

struct smoke {
	int fd; /* injector on bh-dpp */
	int failed;
	uint8_t buf[BIG];
};

static void check(struct smoke *s, bool ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok  " : "FAIL", what);
	if (!ok)
		s->failed++;
}

/* ---- frames ---- */

struct frame {
	struct virtio_net_hdr vh;
	uint8_t b[BIG];
	size_t n;
};

static void put(struct frame *f, const void *d, size_t n)
{
	memcpy(f->b + f->n, d, n);
	f->n += n;
}

static void put16(struct frame *f, uint16_t v)
{
	v = htons(v);
	put(f, &v, 2);
}

static void put32(struct frame *f, uint32_t v)
{
	v = htonl(v);
	put(f, &v, 4);
}

/* egress of idx: SA is its marker; ingress: DA is (kind) marker of idx */
static void eth(struct frame *f, int egress, int kind, unsigned idx, uint16_t type)
{
	static const uint8_t peer[6] = {0x02, 0x99, 0, 0, 0, 0x02};
	uint8_t m[6];

	memset(f, 0, sizeof(*f));
	BH_MAC_SET(m, kind, idx);
	if (egress) {
		put(f, peer, 6);
		put(f, m, 6);
	} else {
		put(f, m, 6);
		put(f, peer, 6);
	}
	if (type)
		put16(f, type);
}

static size_t ipv4(struct frame *f, uint8_t proto, int a_to_b)
{
	size_t off = f->n;
	uint32_t a = 0x0a630001, b = 0x0a630002;

	put16(f, 0x4500);
	put16(f, 0);
	put16(f, 1);
	put16(f, 0x4000);
	put16(f, (uint16_t)(64 << 8 | proto));
	put16(f, 0);
	put32(f, a_to_b ? a : b);
	put32(f, a_to_b ? b : a);
	return off;
}

/* Set the total length and the header checksum. */
static void ipv4_fix(struct frame *f, size_t off)
{
	uint16_t v = htons((uint16_t)(f->n - off));
	uint32_t sum = 0;
	int i;

	memcpy(f->b + off + 2, &v, 2);
	memset(f->b + off + 10, 0, 2);
	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)(f->b[off + i] << 8 | f->b[off + i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	v = htons((uint16_t)~sum);
	memcpy(f->b + off + 10, &v, 2);
}

static void tcp(struct frame *f, int a_to_b, uint8_t flags, uint32_t seq, uint32_t ack)
{
	put16(f, a_to_b ? 40000 : 80);
	put16(f, a_to_b ? 80 : 40000);
	put32(f, seq);
	put32(f, ack);
	put16(f, (uint16_t)(5 << 12 | flags));
	put16(f, 65535);
	put32(f, 0);
}

static void udp(struct frame *f, const char *tag)
{
	put16(f, 5353);
	put16(f, 53);
	put16(f, (uint16_t)(8 + strlen(tag)));
	put16(f, 0);
	put(f, tag, strlen(tag));
}

static struct frame *udp_frame(int egress, int kind, unsigned idx, const char *tag)
{
	static struct frame f;
	size_t ip;

	eth(&f, egress, kind, idx, ETH_P_IP);
	ip = ipv4(&f, IPPROTO_UDP, egress);
	udp(&f, tag);
	ipv4_fix(&f, ip);
	return &f;
}

/* ---- injector socket ---- */

static int injector_open(int ifindex)
{
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_protocol = htons(ETH_P_ALL),
	    .sll_ifindex = ifindex,
	};
	int one = 1, big = 32 << 20;
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one));
	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		return -errno;
	return fd;
}

static int inject(struct smoke *s, struct frame *f)
{
	struct iovec iov[2] = {{&f->vh, sizeof(f->vh)}, {f->b, f->n}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};

	if (sendmsg(s->fd, &mh, 0) < 0) {
		printf("# inject: %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

struct got {
	struct virtio_net_hdr vh;
	size_t n;
	int vlan_valid;
	uint16_t vlan_tci;
};

/* Read one frame from bh-dpp within timeout_ms; frame bytes land in s->buf. */
static int receive(struct smoke *s, struct got *g, int timeout_ms)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} cbuf;
	struct iovec iov[2] = {{&g->vh, sizeof(g->vh)}, {s->buf, sizeof(s->buf)}};
	struct msghdr mh = {
	    .msg_iov = iov, .msg_iovlen = 2, .msg_control = &cbuf, .msg_controllen = sizeof(cbuf)};
	struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
	struct cmsghdr *c;
	ssize_t r;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -ETIMEDOUT;
	r = recvmsg(s->fd, &mh, MSG_TRUNC);
	if (r < (ssize_t)sizeof(g->vh))
		return -EIO;
	g->n = (size_t)r - sizeof(g->vh);
	g->vlan_valid = 0;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		struct tpacket_auxdata aux;

		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
			continue;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		g->vlan_valid = !!(aux.tp_status & TP_STATUS_VLAN_VALID);
		g->vlan_tci = aux.tp_vlan_tci;
	}
	return 0;
}

/* Wait for a frame equal to want (bytes from skip on), ignoring others. */
static bool expect_back(struct smoke *s, const uint8_t *want, size_t n, struct got *g)
{
	while (receive(s, g, 1000) == 0) {
		if (g->n == n && !memcmp(s->buf, want, n))
			return true;
	}
	return false;
}

/* True when nothing carrying tag comes back within 300 ms. */
static bool expect_none(struct smoke *s, const char *tag)
{
	struct got g;

	while (receive(s, &g, 300) == 0) {
		if (memmem(s->buf, g.n, tag, strlen(tag)))
			return false;
	}
	return true;
}

/* ---- the checks ---- */

static void t_udp(struct smoke *s)
{
	struct frame *f = udp_frame(1, BH_MAC_UC, 1, "smoke-udp-egress");
	struct got g;

	inject(s, f);
	check(s, expect_back(s, f->b, f->n, &g), "udp egress of port 1 comes back unchanged");
	f = udp_frame(0, BH_MAC_BC, 1, "smoke-udp-bcast-in");
	inject(s, f);
	check(s, expect_back(s, f->b, f->n, &g), "broadcast-marker ingress of port 1 comes back");
}

static void t_tcp(struct smoke *s, struct dp *dp)
{
	static const struct {
		int a_to_b;
		uint8_t flags;
		uint32_t seq, ack;
	} seg[] = {{1, 0x02, 100, 0}, {0, 0x12, 500, 101}, {1, 0x10, 101, 501}};
	struct dp_port_stats ps;
	struct frame f;
	struct got g;
	size_t ip, i;
	int ok = 0;

	for (i = 0; i < 3; i++) {
		eth(&f, seg[i].a_to_b, BH_MAC_UC, 1, ETH_P_IP);
		ip = ipv4(&f, IPPROTO_TCP, seg[i].a_to_b);
		tcp(&f, seg[i].a_to_b, seg[i].flags, seg[i].seq, seg[i].ack);
		ipv4_fix(&f, ip);
		inject(s, &f);
		ok += expect_back(s, f.b, f.n, &g);
	}
	check(s, ok == 3, "tcp handshake, both directions, comes back");
	dp_port_stats(dp, 1, &ps);
	printf("# port 1: sessions %lu active %lu\n", (unsigned long)ps.sessions,
	       (unsigned long)ps.sessions_active);
	check(s, ps.sessions >= 2 && ps.sessions_active >= 2, "sessions counted (udp + tcp)");
}

static void t_vlan(struct smoke *s)
{
	struct frame f;
	struct got g;
	size_t ip;
	bool ok;

	eth(&f, 1, BH_MAC_UC, 1, 0x8100);
	put16(&f, 42);
	put16(&f, ETH_P_IP);
	ip = ipv4(&f, IPPROTO_UDP, 1);
	udp(&f, "smoke-vlan");
	ipv4_fix(&f, ip);
	inject(s, &f);
	/* the receiving socket sees the tag in auxdata again: compare the untagged bytes */
	memmove(f.b + 12, f.b + 16, f.n - 16);
	f.n -= 4;
	ok = expect_back(s, f.b, f.n, &g);
	check(s, ok && g.vlan_valid && (g.vlan_tci & 0xfff) == 42,
	      "vlan-tagged frame comes back with its tag (tci 42)");
}

static void t_gso(struct smoke *s)
{
	static struct frame f;
	struct got g;
	size_t ip;
	bool ok;

	eth(&f, 1, BH_MAC_UC, 1, ETH_P_IP);
	ip = ipv4(&f, IPPROTO_TCP, 1);
	tcp(&f, 1, 0x18, 101, 501);
	memset(f.b + f.n, 'G', 64000);
	f.n += 64000;
	ipv4_fix(&f, ip);
	f.vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	f.vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	f.vh.hdr_len = 54;
	f.vh.gso_size = 1448;
	f.vh.csum_start = 34;
	f.vh.csum_offset = 16;
	if (inject(s, &f)) {
		check(s, false, "64 KB GSO frame injected");
		return;
	}
	ok = expect_back(s, f.b, f.n, &g);
	printf("# gso back: %zu bytes, gso_type %u gso_size %u csum_start %u\n", g.n, g.vh.gso_type,
	       g.vh.gso_size, g.vh.csum_start);
	check(s, ok && g.vh.gso_type == VIRTIO_NET_HDR_GSO_TCPV4 && g.vh.gso_size == 1448,
	      "64 KB GSO frame comes back whole with its vnet header");
}

static void t_drops(struct smoke *s, struct dp *dp)
{
	struct dp_global_stats before, after;
	struct dp_port_stats ps;
	struct frame *f;
	size_t ip;

	dp_global_stats(dp, &before);
	inject(s, udp_frame(1, BH_MAC_UC, 2, "smoke-unpublished"));
	check(s, expect_none(s, "smoke-unpublished"), "frame of unpublished port 2 dropped");
	f = udp_frame(1, BH_MAC_UC, 1, "smoke-nomarker");
	memcpy(f->b + 6, "\x02\x99\x00\x00\x00\x03", 6);
	inject(s, f);
	check(s, expect_none(s, "smoke-nomarker"), "frame without marker dropped");
	dp_global_stats(dp, &after);
	check(s, after.drops[DP_DROP_NO_PORT] - before.drops[DP_DROP_NO_PORT] == 2,
	      "both counted as DP_DROP_NO_PORT");

	f = udp_frame(1, BH_MAC_UC, 1, "smoke-bad-ihl");
	ip = 14;
	f->b[ip] = 0x44;
	inject(s, f);
	check(s, expect_none(s, "smoke-bad-ihl"), "bad IPv4 header dropped");
	dp_port_stats(dp, 1, &ps);
	check(s, ps.drops[DP_DROP_DECODE] == 1, "counted as DP_DROP_DECODE on port 1");
}

static void t_withdraw(struct smoke *s, struct dp *dp)
{
	struct dp_port_info pi = {.idx = 1, .wl_id = 1};
	struct frame *f;
	struct got g;

	dp_port_clear(dp, 1);
	inject(s, udp_frame(1, BH_MAC_UC, 1, "smoke-withdrawn"));
	check(s, expect_none(s, "smoke-withdrawn"), "frame of withdrawn port dropped");
	dp_port_set(dp, &pi);
	f = udp_frame(1, BH_MAC_UC, 1, "smoke-republished");
	inject(s, f);
	check(s, expect_back(s, f->b, f->n, &g), "forwarded again once republished");
}

/*
 * With PACKET_FANOUT_FLAG_DEFRAG the kernel hands the dp the reassembled
 * datagram; the dp must cut it up again for the port's MTU (1500 here).
 * Fragments of 1480 + 1000 payload bytes come back byte for byte.
 */
static void t_fragments(struct smoke *s)
{
	static struct frame frag[2];
	struct got g;
	size_t ip;
	int i, back = 0;

	for (i = 0; i < 2; i++) {
		struct frame *f = &frag[i];

		eth(f, 1, BH_MAC_UC, 1, ETH_P_IP);
		ip = ipv4(f, IPPROTO_UDP, 1);
		f->b[ip + 5] = 7; /* id */
		f->b[ip + 6] = i == 0 ? 0x20 : 0x00; /* MF, DF clear */
		f->b[ip + 7] = i == 0 ? 0 : 185; /* offset 1480 */
		if (i == 0) {
			put16(f, 5353);
			put16(f, 53);
			put16(f, 8 + 1472 + 1000);
			put16(f, 0);
			memset(f->b + f->n, 'F', 1472);
			f->n += 1472;
		} else {
			memset(f->b + f->n, 'f', 1000);
			f->n += 1000;
		}
		ipv4_fix(f, ip);
	}
	inject(s, &frag[0]);
	inject(s, &frag[1]);
	for (i = 0; i < 2; i++)
		back += expect_back(s, frag[i].b, frag[i].n, &g);
	check(s, back == 2, "reassembled IPv4 datagram leaves as the same 2 fragments");
}

static void t_counters(struct smoke *s, struct dp *dp)
{
	struct dp_global_stats gs;
	struct dp_port_stats ps;

	usleep(1200 * 1000); /* ring drops are read once a second */
	dp_port_stats(dp, 1, &ps);
	dp_global_stats(dp, &gs);
	printf("# port 1: egress %lu pkts %lu bytes, ingress %lu pkts %lu bytes\n",
	       (unsigned long)ps.packets[DP_DIR_EGRESS], (unsigned long)ps.bytes[DP_DIR_EGRESS],
	       (unsigned long)ps.packets[DP_DIR_INGRESS], (unsigned long)ps.bytes[DP_DIR_INGRESS]);
	printf("# global: rx %lu tx %lu ring_drops %lu sessions_active %lu\n",
	       (unsigned long)gs.rx_packets, (unsigned long)gs.tx_packets,
	       (unsigned long)gs.ring_drops, (unsigned long)gs.sessions_active);
	check(s, ps.packets[DP_DIR_EGRESS] == 8 && ps.packets[DP_DIR_INGRESS] == 2,
	      "port 1 packets by direction (8 egress, 2 ingress)");
	check(s, ps.bytes[DP_DIR_EGRESS] > 64000, "port 1 bytes include the GSO frame");
	check(s, gs.tx_packets == 10 && gs.drops[DP_DROP_TX] == 0, "10 frames sent, no tx drop");
	check(s, gs.ring_drops == 0, "no ring drops");
}

int main(int argc, char **argv)
{
	struct dp_port_info pi = {.idx = 1, .wl_id = 1};
	struct dp_config cfg = {.workers = 2, .ring_frames = 64};
	struct netns_saved saved;
	struct smoke *s = calloc(1, sizeof(*s));
	struct dp *dp;
	int nsfd, err;

	if (argc != 2 || !s)
		return 2;
	nsfd = netns_open_name(argv[1]);
	if (nsfd < 0 || netns_enter(nsfd, &saved)) {
		fprintf(stderr, "dp-smoke: cannot enter netns %s\n", argv[1]);
		return 2;
	}
	cfg.enf_netns_fd = nsfd;
	cfg.dp_ifindex = (int)if_nametoindex("bh-dp");
	s->fd = injector_open((int)if_nametoindex("bh-dpp"));
	if (!cfg.dp_ifindex || s->fd < 0) {
		fprintf(stderr, "dp-smoke: no bh-dp/bh-dpp in %s\n", argv[1]);
		return 2;
	}
	err = dp_new(&dp, &cfg);
	if (!err)
		err = dp_port_set(dp, &pi);
	if (!err)
		err = dp_start(dp);
	if (err) {
		fprintf(stderr, "dp-smoke: dp: %s\n", strerror(-err));
		return 1;
	}
	check(s, dp_worker_count(dp) == 2, "dp started with 2 workers");
	t_udp(s);
	t_tcp(s, dp);
	t_vlan(s);
	t_gso(s);
	t_drops(s, dp);
	t_withdraw(s, dp);
	t_fragments(s);
	t_counters(s, dp);
	dp_stop(dp);
	dp_free(dp);
	printf("%s: %d failed\n", s->failed ? "FAIL" : "PASS", s->failed);
	err = s->failed ? 1 : 0;
	close(s->fd);
	free(s);
	return err;
}
