/*
 * log-limit.c - at most N lines a second per key in a JSON lines log.
 *
 * A flood of blocked SYNs from ever new source ports makes one violation per
 * packet; written one line each, they would push every other record out of
 * violations.jsonl by rotation within seconds.  So each key (for violations:
 * from, to and port) gets per_sec lines a second; the rest are counted, and
 * the last of them is written once the second is over, carrying the count as
 * "suppressed".  Keys live in a fixed direct-mapped table: a key that lands
 * on a busy slot first writes out what the slot held back, so a count is
 * never lost, and memory stays fixed however many keys an attacker makes.
 */
#include "log-limit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_LIMIT_SLOTS 512
#define LOG_LIMIT_KEY_MAX 192

struct log_limit_slot {
	char key[LOG_LIMIT_KEY_MAX];
	int64_t second;	     /* the second the counts below belong to */
	unsigned written;    /* lines written in that second */
	uint64_t suppressed; /* lines held back in that second */
	json_t *last;	     /* the last one held back */
};

struct log_limit {
	unsigned per_sec;
	struct log_limit_slot slot[LOG_LIMIT_SLOTS];
};

int log_limit_new(struct log_limit **out, unsigned per_sec)
{
	struct log_limit *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->per_sec = per_sec ? per_sec : 1;
	*out = l;
	return 0;
}

void log_limit_free(struct log_limit *l)
{
	if (!l)
		return;
	for (int i = 0; i < LOG_LIMIT_SLOTS; i++)
		json_decref(l->slot[i].last);
	free(l);
}

static uint32_t key_hash(const char *k)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *k; k++)
		h = (h ^ (uint8_t)*k) * 16777619u;
	return h;
}

/* Write what the slot held back, if anything, and forget its counts. */
static void slot_emit(struct log_limit_slot *s, log_limit_emit_fn emit, void *arg)
{
	if (s->last) {
		json_object_set_new(s->last, "suppressed", json_integer((json_int_t)s->suppressed));
		emit(arg, s->last);
		json_decref(s->last);
		s->last = NULL;
	}
	s->suppressed = 0;
	s->written = 0;
}

bool log_limit_admit(struct log_limit *l, const char *key, int64_t now_ms, json_t *line,
		     log_limit_emit_fn emit, void *arg)
{
	struct log_limit_slot *s = &l->slot[key_hash(key) % LOG_LIMIT_SLOTS];
	int64_t sec = now_ms / 1000;

	if (strncmp(s->key, key, sizeof(s->key) - 1)) {
		slot_emit(s, emit, arg);
		snprintf(s->key, sizeof(s->key), "%s", key);
		s->second = sec;
	} else if (s->second != sec) {
		slot_emit(s, emit, arg);
		s->second = sec;
	}
	if (s->written < l->per_sec) {
		s->written++;
		return true;
	}
	s->suppressed++;
	json_decref(s->last);
	s->last = json_incref(line);
	return false;
}

void log_limit_flush(struct log_limit *l, int64_t now_ms, bool all, log_limit_emit_fn emit,
		     void *arg)
{
	int64_t sec = now_ms / 1000;

	for (int i = 0; i < LOG_LIMIT_SLOTS; i++) {
		struct log_limit_slot *s = &l->slot[i];

		if (s->last && (all || s->second != sec))
			slot_emit(s, emit, arg);
	}
}
