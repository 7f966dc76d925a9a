/*
 * log-limit.h - rate limit for JSON lines logs, per key (log-limit.c).
 */
#ifndef BH_LOG_LIMIT_H
#define BH_LOG_LIMIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct log_limit;

/* Called with a summary line: the last line held back, plus "suppressed": N. */
typedef void (*log_limit_emit_fn)(void *arg, json_t *line);

int log_limit_new(struct log_limit **out, unsigned per_sec);
void log_limit_free(struct log_limit *l);
/*
 * May line (of key) be written now?  When not, the limiter keeps a reference to it: it is
 * written later, through emit, as the summary of what the key's second held back.
 */
bool log_limit_admit(struct log_limit *l, const char *key, int64_t now_ms, json_t *line,
		     log_limit_emit_fn emit, void *arg);
/* Emit the summaries of seconds that are over (all: every pending one, at shutdown). */
void log_limit_flush(struct log_limit *l, int64_t now_ms, bool all, log_limit_emit_fn emit,
		     void *arg);

#endif
