/*
 * io-packet.c - AF_PACKET I/O of one dp worker (DESIGN §6 has the numbers).
 *
 * TPACKET_V2, not V3: a V3 block is handed over only when full or after a
 * >= 1 ms timeout, which puts milliseconds on every ping.  PACKET_VNET_HDR
 * is what makes veth's 64 KB GSO, checksum-partial frames usable: the
 * virtio_net_hdr the kernel writes right before the MAC header goes back out
 * with the frame, so GSO and checksum state survive the round trip and
 * userspace never touches a checksum.  Fanout by hash keeps both directions
 * of a flow on one worker, which the per-worker session tables rely on.
 */
#include "io-packet.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define IO_FRAME_DATA (65536 + 4096) /* a 64 KB GSO frame plus headers */
#define IO_RESERVE 16                /* headroom before the vnet header, for a VLAN tag */
#define IO_SNDBUF (8 << 20)
#define IO_SNDTIMEO_MS 100
#define VLAN_HLEN 4

static int set_int(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val)) ? -errno : 0;
}

static uint32_t page_round(uint32_t n)
{
	uint32_t pg = (uint32_t)sysconf(_SC_PAGESIZE);

	return (n + pg - 1) / pg * pg;
}

/*
 * Options that must precede the ring (version, vnet header, reserve) and the tx ones.
 * A tap keeps outgoing frames (they are the workload's egress) and never sends.
 */
static int io_socket_opts(int fd, bool tap)
{
	struct timeval tv = { .tv_usec = IO_SNDTIMEO_MS * 1000 };
	int err;

	err = set_int(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V2);
	if (!err)
		err = set_int(fd, SOL_PACKET, PACKET_VNET_HDR, 1);
	if (!err)
		err = set_int(fd, SOL_PACKET, PACKET_RESERVE, IO_RESERVE);
	if (err || tap)
		return err;
	err = set_int(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
	if (!err)
		err = set_int(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1);
	if (err)
		return err;
	/* 64 KB frames in flight add up fast; the timeout keeps a stuck peer from pinning us. */
	if (set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, IO_SNDBUF))
		set_int(fd, SOL_SOCKET, SO_SNDBUF, IO_SNDBUF);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

/* One frame per block: every block is a frame, so no frame straddles two. */
static int io_ring_map(struct io_packet *io, uint32_t frames)
{
	struct tpacket_req req = { 0 };
	void *ring;

	io->frame_size = page_round(IO_FRAME_DATA);
	io->frame_nr = frames;
	req.tp_block_size = io->frame_size;
	req.tp_block_nr = frames;
	req.tp_frame_size = io->frame_size;
	req.tp_frame_nr = frames;
	if (setsockopt(io->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)))
		return -errno;
	io->ring_len = (size_t)io->frame_size * frames;
	ring = mmap(NULL, io->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, io->fd,
		    0);
	if (ring == MAP_FAILED)
		return -errno;
	io->ring = ring;
	return 0;
}

static int io_bind(struct io_packet *io, int ifindex)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ifindex,
	};

	return bind(io->fd, (struct sockaddr *)&sll, sizeof(sll)) ? -errno : 0;
}

/* The first worker asks the kernel for an unused group id; the others join it. */
static int io_fanout(struct io_packet *io, const struct io_packet_config *cfg)
{
	unsigned type = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
	socklen_t len = sizeof(int);
	int val, err;

	if (!cfg->fanout_new) {
		io->fanout_id = cfg->fanout_id;
		return set_int(io->fd, SOL_PACKET, PACKET_FANOUT, (int)(cfg->fanout_id | type << 16));
	}
	type |= PACKET_FANOUT_FLAG_UNIQUEID;
	err = set_int(io->fd, SOL_PACKET, PACKET_FANOUT, (int)(type << 16));
	if (err)
		return err;
	if (getsockopt(io->fd, SOL_PACKET, PACKET_FANOUT, &val, &len))
		return -errno;
	io->fanout_id = (uint16_t)(val & 0xffff);
	return 0;
}

int io_packet_open(struct io_packet *io, const struct io_packet_config *cfg)
{
	int err;

	memset(io, 0, sizeof(*io));
	io->fd = -1;
	if (cfg->ifindex <= 0)
		return -EINVAL;
	/* protocol 0: nothing is queued before the ring exists and bind() starts it */
	io->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (io->fd < 0)
		return -errno;
	err = io_socket_opts(io->fd, cfg->tap);
	if (!err)
		err = io_ring_map(io, cfg->frames ? cfg->frames : IO_DEFAULT_FRAMES);
	if (!err)
		err = io_bind(io, cfg->ifindex);
	if (!err && !cfg->tap)
		err = io_fanout(io, cfg);
	if (err)
		io_packet_close(io);
	return err;
}

void io_packet_close(struct io_packet *io)
{
	if (io->ring)
		munmap(io->ring, io->ring_len);
	if (io->fd >= 0)
		close(io->fd);
	io->ring = NULL;
	io->fd = -1;
}

static struct tpacket2_hdr *io_slot(const struct io_packet *io, uint32_t i)
{
	return (struct tpacket2_hdr *)(io->ring + (size_t)i * io->frame_size);
}

/*
 * The kernel moved the outer VLAN tag into the ring metadata.  Put it back:
 * slide the vnet header and both MACs 4 bytes into the reserved headroom.
 * csum_start/hdr_len count from the frame start, so they grow by the tag.
 */
static int io_frame_put_vlan(struct io_frame *f, const struct tpacket2_hdr *h)
{
	uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) ? h->tp_vlan_tpid : ETH_P_8021Q;
	const uint8_t *floor = (const uint8_t *)h + TPACKET2_HDRLEN;
	struct virtio_net_hdr vh;
	uint16_t be;

	if (f->vnet - VLAN_HLEN < floor)
		return -ENOSPC;
	memmove(f->vnet - VLAN_HLEN, f->vnet, IO_VNET_HDR_LEN + 2 * ETH_ALEN);
	f->vnet -= VLAN_HLEN;
	f->mac -= VLAN_HLEN;
	be = htons(tpid);
	memcpy(f->mac + 2 * ETH_ALEN, &be, 2);
	be = htons(h->tp_vlan_tci);
	memcpy(f->mac + 2 * ETH_ALEN + 2, &be, 2);
	f->len += VLAN_HLEN;
	f->wire_len += VLAN_HLEN;

	memcpy(&vh, f->vnet, sizeof(vh));
	if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		vh.csum_start = htole16(le16toh(vh.csum_start) + VLAN_HLEN);
	if (vh.hdr_len)
		vh.hdr_len = htole16(le16toh(vh.hdr_len) + VLAN_HLEN);
	memcpy(f->vnet, &vh, sizeof(vh));
	return 0;
}

bool io_packet_next(struct io_packet *io, struct io_frame *f)
{
	struct tpacket2_hdr *h = io_slot(io, io->head);
	uint32_t status = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);

	if (!(status & TP_STATUS_USER))
		return false;
	io->head = io->head + 1 == io->frame_nr ? 0 : io->head + 1;
	f->slot = h;
	f->mac = (uint8_t *)h + h->tp_mac;
	f->vnet = f->mac - IO_VNET_HDR_LEN;
	f->len = h->tp_snaplen;
	f->wire_len = h->tp_len;
	f->truncated = h->tp_snaplen < h->tp_len;
	f->gso = (f->vnet[1] & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_NONE;
	/* The kernel puts the sockaddr_ll right after the aligned header. */
	f->pkttype = ((const struct sockaddr_ll *)((uint8_t *)h +
						   TPACKET_ALIGN(sizeof(*h))))->sll_pkttype;
	if (!f->truncated && (status & TP_STATUS_VLAN_VALID) && io_frame_put_vlan(f, h))
		f->truncated = true;
	return true;
}

void io_packet_release(struct io_frame *f)
{
	struct tpacket2_hdr *h = f->slot;

	__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

int io_packet_wait(struct io_packet *io, int timeout_ms)
{
	struct pollfd pfd = { .fd = io->fd, .events = POLLIN };
	int err = 0;
	socklen_t len = sizeof(err);

	if (poll(&pfd, 1, timeout_ms) < 0)
		return errno == EINTR ? 0 : -errno;
	if (pfd.revents & POLLERR) {
		/* reading SO_ERROR clears it, so a dead link does not spin us */
		getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		return err ? -err : -EIO;
	}
	return 0;
}

void io_frame_iov(const struct io_frame *f, struct iovec *iov)
{
	iov->iov_base = f->vnet;
	iov->iov_len = IO_VNET_HDR_LEN + f->len;
}

int io_packet_send(struct io_packet *io, struct mmsghdr *msgs, unsigned n, bool *failed)
{
	unsigned i = 0;
	int r, err = 0;

	while (i < n) {
		r = sendmmsg(io->fd, msgs + i, n - i, 0);
		if (r > 0) {
			i += (unsigned)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		err = r < 0 ? -errno : -EIO;
		failed[i++] = true; /* this one cannot go; the rest still may */
	}
	return err;
}

int io_packet_drops(struct io_packet *io, uint64_t *drops)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (getsockopt(io->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len))
		return -errno;
	*drops = st.tp_drops;
	return 0;
}
