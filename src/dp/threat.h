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
/* A frame of a known port the decoders refused (the worker drops it). */
void threat_decode_fail(struct threat *t, const struct dp_port_info *port, const struct dp_pkt *p,
			const uint8_t *frame, uint32_t len);
/* s leaves the table: its source holds one session less. */
void threat_session_end(struct threat *t, const struct session *s);
/* Between passes: report the counts aggregated for a second. */
void threat_tick(struct threat *t, uint64_t now_ms);

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
/* threat-tls.c: the start of a TLS (or SSLv2) stream, either direction. */
uint16_t threat_tls_check(const uint8_t *b, uint32_t len);
/* threat-tcp.c: an SSH identification line, either direction. */
uint16_t threat_ssh_check(const uint8_t *b, uint32_t len);
/* threat-tcp.c: header-only checks of a TCP packet opening a session (SYN without ACK). */
uint16_t threat_tcp_syn_check(const struct dp_pkt *p, const struct threat_config *cfg);

#endif
