/*
 * dp-pair.h - one dp pass per frame between two inline ports of this node.
 */
#ifndef BH_DP_PAIR_H
#define BH_DP_PAIR_H

#include <stdbool.h>
#include <stdint.h>

#include "decode-t.h"
#include "session-t.h"

struct dp_worker;
struct dp_port;
struct io_frame;

/*
 * Port a forwards p (egress, sa its session there, MACs already restored).  When the
 * frame is addressed to another inline port b of this node, judge it for b's ingress
 * now and let b's one-pass entry take it in without a second dp pass.  Returns false
 * when b's end drops it.  Runs inside the worker's RCU read section.
 */
bool dp_pair_pass(struct dp_worker *w, const struct dp_port *a, const struct io_frame *f,
		  const struct dp_pkt *p, struct session *sa, uint64_t now);

/* After the pass has sent its frames: drop the one-pass entries of flows it closed. */
void dp_pair_pass_end(struct dp_worker *w);

#endif
