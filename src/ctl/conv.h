/*
 * conv.h - conversations: sessions aggregated by (from, to, proto, port),
 * what `bulkhead conn list` shows and connections.jsonl records.
 */
#ifndef BH_CONV_H
#define BH_CONV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A workload name (< 64) or an address string (< 46). */
#define CONV_NAME_MAX 64
/* Past this many conversations the least recently seen one is forgotten. */
#define CONV_MAX_DEFAULT 16384

struct conv_key {
	char from[CONV_NAME_MAX];
	char to[CONV_NAME_MAX];
	uint8_t proto; /* enum policy_proto */
	uint16_t port; /* 0 for icmp/other */
};

struct conv {
	struct conv_key key;
	uint64_t sessions;
	uint64_t packets;
	uint64_t bytes;
	uint32_t last_rule;  /* 0 = mode default */
	uint8_t last_action; /* enum policy_result */
	bool blocked_seen;   /* some session of it was blocked */
	uint64_t apps;       /* bit per enum bh_app DPI named for its sessions */
	int64_t first_seen_ms;
	int64_t last_seen_ms;
	bool dirty; /* changed since the last flush to connections.jsonl */
	struct conv *next;
};

struct conv_table;

int conv_table_new(struct conv_table **out, size_t max);
void conv_table_free(struct conv_table *t);
size_t conv_table_count(const struct conv_table *t);

/* Find or create; NULL only when out of memory. */
struct conv *conv_get(struct conv_table *t, const struct conv_key *k, int64_t now_ms);

/* A session decision: counted = this event is the one that counts the session. */
void conv_session(struct conv *c, bool counted, uint32_t rule_id, uint8_t action, int64_t now_ms);
/* DPI named the app of one of its sessions (enum bh_app; PENDING is ignored). */
void conv_app(struct conv *c, uint8_t app);
/* A session ended with these totals. */
void conv_end(struct conv *c, uint64_t packets, uint64_t bytes, int64_t now_ms);

/* Call fn on every dirty conversation and mark it clean; returns how many. */
size_t conv_flush(struct conv_table *t, void (*fn)(void *ctx, const struct conv *c), void *ctx);
/* All conversations, sorted by from, to, proto, port. */
json_t *conv_list_json(const struct conv_table *t);
json_t *conv_to_json(const struct conv *c);

/* "tcp/8080", "udp/53", "icmp", "other". */
void conv_port_format(uint8_t proto, uint16_t port, char *buf, size_t len);

#endif
