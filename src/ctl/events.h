/*
 * events.h - what the control thread does with the dp's events: learning,
 * violations.jsonl, the conversation table and connections.jsonl.
 */
#ifndef BH_EVENTS_H
#define BH_EVENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "dp/dp-t.h"

struct bh_daemon;

/* Flush updated conversations to connections.jsonl at most this often. */
#define EVENTS_CONV_FLUSH_MS 2000

/* Drain the dp's queued events, then flush conversations if due (events.c). */
void events_poll(struct bh_daemon *d);
/* Flush every updated conversation now (shutdown). */
void events_flush(struct bh_daemon *d);
/* Write what the violations rate limit held back and free it (shutdown, after the flush). */
void events_fini(struct bh_daemon *d);

/* violations.jsonl lines a second per (from, to, port); the rest are counted (log-limit.c). */
#define EVENTS_VIOL_PER_SEC 10

/* Names of the two ends of an event, resolved by the caller (event-json.c). */
struct ev_names {
	const char *from;     /* client: workload name or address */
	const char *to;       /* server: workload name or address */
	const char *from_ip;
	const char *to_ip;
	const char *workload; /* the workload whose end decided */
};

/* One violations.jsonl line. */
json_t *ev_violation_json(const struct dp_event *ev, const struct ev_names *n);
/* One threats.jsonl line (DP_EV_THREAT). */
json_t *ev_threat_json(const struct dp_event *ev, const struct ev_names *n);
/* Address of an event (client or server) as text; v4 uses the first 4 bytes. */
void ev_addr_format(uint8_t family, const uint8_t addr[16], char *buf, size_t len);
/* Server port of the session, or 0 for icmp/other. */
uint16_t ev_port(const struct dp_event *ev);

#endif
