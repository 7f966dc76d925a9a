/*
 * threat.h - the threat stage of the pipeline (threat.c, threat-catalog.c and the
 * per-protocol checks threat-tcp.c, threat-dns.c, threat-http.c, threat-tls.c).
 *
 * One struct threat per worker, used by that worker only; fixed tables, no
 * allocation after threat_new().
 */
#ifndef BH_THREAT_H
#define BH_THREAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode-t.h"
#include "dp-t.h"
#include "session-t.h"
#include "threat-t.h"

struct threat;
struct dp_evring;

/* events: the worker's ring threat events go to.  cfg is copied. */
int threat_new(struct threat **out, const struct threat_config *cfg, struct dp_evring *events);
void threat_free(struct threat *t);

/*
 * A packet the policy stage forwards (sr->s may be NULL: later fragments, non-echo
 * ICMP).  Returns what to do with it: LOG (forward), DROP, or RESET (the caller sends
 * RSTs to both ends; the session is already marked blocked).
 */
enum threat_action threat_check(struct threat *t, const struct dp_port_info *port,
				const struct dp_pkt *p, const struct sess_result *sr);
/*
 * In-order stream bytes of one direction (sr->side) of sr->s, from the packet p being
 * judged (TCP reassembly calls this): matched against the user signatures that apply
 * to port's workload; returns what to do with p, like threat_check.
 */
enum threat_action threat_stream_feed(struct threat *t, const struct dp_port_info *port,
				      const struct dp_pkt *p, const struct sess_result *sr,
				      const uint8_t *data, uint32_t len);
/* Start of a worker's pass (inside its RCU read section): the signature set to use. */
struct sig_set;
void threat_pass_begin(struct threat *t, const struct sig_set *sigs);
struct sig_worker *threat_sig(struct threat *t);
/* A frame of a known port the decoders refused (the worker drops it). */
void threat_decode_fail(struct threat *t, const struct dp_port_info *port, const struct dp_pkt *p,
			const uint8_t *frame, uint32_t len);
/* s leaves the table: its source holds one session less. */
void threat_session_end(struct threat *t, const struct session *s);
/* Between passes: report the counts aggregated for a second. */
void threat_tick(struct threat *t, uint64_t now_ms);

/*
 * ---- the reassembled TCP stream (reasm-tcp.c via dp-stream.c) ----
 * For a TCP packet of s whose session is reassembled: begin, then data for every byte
 * range the packet made deliverable (in order), overlap when its bytes differ from
 * earlier ones, cap when an out-of-order segment could not be queued (true: protect,
 * the packet is dropped; false: reassembly gives up, and signatures take the packet's
 * own payload from then on); threat_check() then judges the packet on what they found.
 */
struct reasm;
void threat_stream_begin(struct threat *t, const struct session *s);
void threat_stream_data(struct threat *t, struct reasm *r, struct session *s,
			const struct dp_pkt *p, uint8_t side, const uint8_t *b, uint32_t len);
void threat_stream_overlap(struct threat *t);
bool threat_stream_cap(struct threat *t, const struct dp_port_info *port);
/*
 * The same delivered bytes (from sequence number seq) for the user signatures of port's
 * workload.  Their matches are kept for the packet and acted on by threat_check(), not
 * here: blocking s now would keep threat_check() from running, so no RSTs would go out.
 */
void threat_stream_sig(struct threat *t, const struct dp_port_info *port, struct session *s,
		       uint8_t side, uint32_t seq, const uint8_t *b, uint32_t len);
/*
 * The payload checks still want s's stream (a head in progress, or its first packets),
 * or user signatures inspect s (up to their depth).
 */
bool threat_stream_wants(const struct threat *t, const struct reasm *r, const struct session *s);

/* ---- the catalogue (threat-catalog.c) ---- */
const struct threat_def *threat_def_of(uint16_t id); /* NULL when unknown */
const struct threat_def *threat_def_at(size_t i);    /* i < THREAT_CATALOG_SIZE */
int threat_index(uint16_t id);			     /* index in the catalogue, or -1 */
const char *threat_severity_name(uint8_t sev);
const char *threat_action_name(uint8_t act);
uint32_t threat_limit_get(const struct threat_config *cfg, enum threat_limit l);
/* "syn-rate=500": set one limit; 0 or -EINVAL. */
int threat_limit_parse(struct threat_config *cfg, const char *spec);

/* ---- payload checks: each returns a threat id, or THREAT_NONE ---- */
/* threat-dns.c: one DNS message (no TCP length prefix). */
uint16_t threat_dns_check(const uint8_t *m, uint32_t len);
/* threat-http.c: the start of an HTTP request (client -> server). */
uint16_t threat_http_check(const uint8_t *b, uint32_t len);
/* threat-http.c: -1 not an HTTP request, 0 a request head still open, 1 a whole head. */
int threat_http_head_state(const uint8_t *b, uint32_t len);
/* threat-tls.c: the start of a TLS (or SSLv2) stream, either direction. */
uint16_t threat_tls_check(const uint8_t *b, uint32_t len);
/* threat-tcp.c: an SSH identification line, either direction. */
uint16_t threat_ssh_check(const uint8_t *b, uint32_t len);
/* threat-tcp.c: header-only checks of a TCP packet opening a session (SYN without ACK). */
uint16_t threat_tcp_syn_check(const struct dp_pkt *p, const struct threat_config *cfg);

#endif
