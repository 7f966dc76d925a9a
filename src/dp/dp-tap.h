/*
 * dp-tap.h - taps: the dp reading a copy of a workload's own interface (private to src/dp;
 * the control plane's calls are dp_tap_add/dp_tap_del in dp.h).
 */
#ifndef BH_DP_TAP_H
#define BH_DP_TAP_H

#include <stdbool.h>
#include <stdint.h>

struct dp;
struct dp_worker;

#define DP_TAP_FRAMES 128 /* RX slots per tap (each ~68 KB): a tap only has to keep up */

/*
 * Direction of a tapped frame from the workload's point of view, by its packet type:
 * what it sent is PACKET_OUTGOING (egress), what it receives is host/broadcast/multicast
 * (ingress).  False for frames that are not the workload's (PACKET_OTHERHOST: flooded
 * unicast for another MAC, which its stack drops too).
 */
bool dp_tap_dir(uint8_t pkttype, uint8_t *dir);

/* Run the frames waiting on this worker's taps through the pipeline; returns how many. */
unsigned dp_tap_pass(struct dp_worker *w, uint64_t now);

/* Sleep until the worker's ring or one of its taps has a frame, or timeout_ms. */
int dp_tap_wait(struct dp_worker *w, int timeout_ms);

/* Add the kernel's ring drops of this worker's taps to its ring_drops counter. */
void dp_tap_stats(struct dp_worker *w);

/* Close every tap (dp_free, workers stopped). */
void dp_tap_close_all(struct dp *dp);

#endif
