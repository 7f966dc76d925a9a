/*
 * jsonl.h - append-only JSON lines logs (connections.jsonl, violations.jsonl)
 * with size-based rotation, and the reads `bulkhead log` is served from.
 */
#ifndef BH_JSONL_H
#define BH_JSONL_H

#include <jansson.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Rotate FILE to FILE.1 once it would grow past this. */
#define JSONL_ROTATE_BYTES (16u << 20)
/* One read answers with at most this many lines / bytes; a follower asks again. */
#define JSONL_READ_MAX_LINES 1000
#define JSONL_READ_MAX_BYTES (512u << 10)

struct jsonl_log {
	char path[PATH_MAX];
	int fd;		 /* -1 until the first append */
	off_t size;	 /* bytes in the current file */
	off_t max_size;	 /* rotation threshold */
};

void jsonl_init(struct jsonl_log *l, const char *dir, const char *name, off_t max_size);
/* Append j as one line (one write(2), so a reader never sees half a line); 0 or -errno. */
int jsonl_append(struct jsonl_log *l, const json_t *j);
void jsonl_close(struct jsonl_log *l);

/*
 * Read complete lines of PATH.  offset >= 0: from that byte offset (an offset past the end
 * means the file was rotated: start over at 0).  offset < 0: the last `tail` lines.
 * Lines are parsed into *lines (a new array; unparsable lines are skipped) and *next is
 * the offset to ask from next time.  A missing file is empty.
 */
int jsonl_read(const char *path, off_t offset, size_t tail, json_t **lines, off_t *next);

/* "2024-05-01T12:00:00.123Z" from unix milliseconds. */
void jsonl_time_iso(int64_t ms, char *buf, size_t len);

#endif
