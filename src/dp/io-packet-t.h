/*
 * io-packet-t.h - AF_PACKET ring I/O types (no functions).
 */
#ifndef BH_IO_PACKET_T_H
#define BH_IO_PACKET_T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IO_VNET_HDR_LEN 10 /* struct virtio_net_hdr */
#define IO_DEFAULT_FRAMES 256

struct io_packet_config {
	int ifindex;
	uint32_t frames;    /* ring slots; 0 = IO_DEFAULT_FRAMES */
	uint16_t fanout_id; /* join this group ... */
	bool fanout_new;    /* ... or create a new one with a kernel-chosen unique id */
	bool tap;           /* receive-only copy of a workload's own interface (dp-tap.c):
	                       outgoing frames too, no fanout, nothing is ever sent */
};

struct io_packet {
	int fd;
	uint8_t *ring;
	size_t ring_len;
	uint32_t frame_size;
	uint32_t frame_nr;
	uint32_t head;      /* next slot to look at */
	uint16_t fanout_id; /* the group this socket is in */
};

/* One received frame, in place in its ring slot. */
struct io_frame {
	void *slot;     /* struct tpacket2_hdr */
	uint8_t *vnet;  /* virtio_net_hdr, immediately before mac */
	uint8_t *mac;   /* frame start */
	uint32_t len;   /* bytes at mac (captured) */
	uint32_t wire_len;
	bool truncated; /* the slot could not hold the whole frame */
	bool gso;       /* vnet header says GSO super-frame */
	uint8_t pkttype; /* PACKET_HOST, PACKET_OUTGOING, ... (what a tap tells direction by) */
};

#endif
