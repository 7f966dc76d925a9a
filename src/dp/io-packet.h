/*
 * io-packet.h - one worker's AF_PACKET socket: TPACKET_V2 RX ring, vnet
 * headers, fanout, batched send straight from the ring.
 */
#ifndef BH_IO_PACKET_H
#define BH_IO_PACKET_H

#include <sys/socket.h>

#include "io-packet-t.h"

/* Open in the calling thread's netns; 0 or -errno. */
int io_packet_open(struct io_packet *io, const struct io_packet_config *cfg);
void io_packet_close(struct io_packet *io);

/* Take the next ready slot (false when none); the frame stays valid until released. */
bool io_packet_next(struct io_packet *io, struct io_frame *f);
void io_packet_release(struct io_frame *f);
/* Wait up to timeout_ms for a frame; 0 or -errno (-EINTR is not an error). */
int io_packet_wait(struct io_packet *io, int timeout_ms);

/* Prepare an iovec that sends f back out unchanged (vnet header + frame). */
void io_frame_iov(const struct io_frame *f, struct iovec *iov);

/* Send n prepared messages; failed[i] set for those that could not go. */
int io_packet_send(struct io_packet *io, struct mmsghdr *msgs, unsigned n, bool *failed);

/* Frames the kernel dropped for lack of ring space since the last call. */
int io_packet_drops(struct io_packet *io, uint64_t *drops);

#endif
