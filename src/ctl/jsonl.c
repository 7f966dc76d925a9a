/*
 * jsonl.c - the daemon's JSON lines logs.
 *
 * Lines are appended with a single O_APPEND write each, so `bulkhead log
 * --follow` can read the file while it grows and never sees half a line.
 * Logs are bounded by rotation: past max_size the file becomes FILE.1 (the
 * previous .1 is dropped) and a fresh one starts; a follower notices because
 * its offset is then beyond the end of the new file.
 */
#include "jsonl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void jsonl_init(struct jsonl_log *l, const char *dir, const char *name, off_t max_size)
{
	snprintf(l->path, sizeof(l->path), "%s/%s", dir, name);
	l->fd = -1;
	l->size = 0;
	l->max_size = max_size > 0 ? max_size : JSONL_ROTATE_BYTES;
}

void jsonl_close(struct jsonl_log *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

static int jsonl_open(struct jsonl_log *l)
{
	struct stat st;

	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (l->fd < 0)
		return -errno;
	l->size = fstat(l->fd, &st) == 0 ? st.st_size : 0;
	return 0;
}

static int jsonl_rotate(struct jsonl_log *l)
{
	char old[PATH_MAX + 2];

	jsonl_close(l);
	snprintf(old, sizeof(old), "%s.1", l->path);
	if (rename(l->path, old) < 0 && errno != ENOENT)
		return -errno;
	return jsonl_open(l);
}

int jsonl_append(struct jsonl_log *l, const json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	size_t len;
	ssize_t n;
	int rc = 0;

	if (!text)
		return -ENOMEM;
	len = strlen(text);
	text[len++] = '\n'; /* replaces the NUL; we own the buffer */
	if (l->fd < 0)
		rc = jsonl_open(l);
	if (rc == 0 && l->size > 0 && l->size + (off_t)len > l->max_size)
		rc = jsonl_rotate(l);
	if (rc == 0) {
		n = write(l->fd, text, len);
		if (n < 0)
			rc = -errno;
		else
			l->size += n;
	}
	free(text);
	return rc;
}

/* Parse the complete lines of buf[0..len) into arr; returns the bytes consumed. */
static size_t parse_lines(const char *buf, size_t len, json_t *arr, size_t max_lines)
{
	size_t off = 0;

	while (off < len && json_array_size(arr) < max_lines) {
		const char *nl = memchr(buf + off, '\n', len - off);
		json_t *j;

		if (!nl)
			break;
		j = json_loadb(buf + off, (size_t)(nl - (buf + off)), 0, NULL);
		if (j)
			json_array_append_new(arr, j);
		off = (size_t)(nl - buf) + 1;
	}
	return off;
}

static ssize_t read_at(int fd, char *buf, size_t len, off_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, off + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The last `tail` complete lines: read the last chunk, skip a partial first line. */
static int read_tail(int fd, off_t size, size_t tail, char *buf, json_t *arr, off_t *next)
{
	off_t start = size > (off_t)JSONL_READ_MAX_BYTES ? size - JSONL_READ_MAX_BYTES : 0;
	ssize_t n = read_at(fd, buf, (size_t)(size - start), start);
	size_t skip = 0, end, count = 0, from;

	if (n < 0)
		return (int)n;
	if (start > 0) {
		const char *nl = memchr(buf, '\n', (size_t)n);

		skip = nl ? (size_t)(nl - buf) + 1 : (size_t)n;
	}
	end = (size_t)n;
	while (end > skip && buf[end - 1] != '\n')
		end--;
	/* Walk back over `tail` newlines to find where the wanted lines start. */
	from = end;
	while (from > skip && count < tail) {
		from--;
		while (from > skip && buf[from - 1] != '\n')
			from--;
		count++;
	}
	parse_lines(buf + from, end - from, arr, JSONL_READ_MAX_LINES);
	*next = start + (off_t)end;
	return 0;
}

int jsonl_read(const char *path, off_t offset, size_t tail, json_t **lines, off_t *next)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	json_t *arr = json_array();
	struct stat st;
	char *buf = NULL;
	int rc = 0;

	*lines = NULL;
	*next = 0;
	if (fd < 0) {
		rc = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	buf = malloc(JSONL_READ_MAX_BYTES);
	if (!buf || !arr || fstat(fd, &st) < 0) {
		rc = buf && arr ? -errno : -ENOMEM;
		goto out;
	}
	if (offset < 0) {
		rc = read_tail(fd, st.st_size, tail < JSONL_READ_MAX_LINES ? tail : JSONL_READ_MAX_LINES,
			       buf, arr, next);
	} else {
		ssize_t n;

		if (offset > st.st_size)
			offset = 0; /* rotated under the reader */
		n = read_at(fd, buf, JSONL_READ_MAX_BYTES, offset);
		if (n < 0)
			rc = (int)n;
		else
			*next = offset + (off_t)parse_lines(buf, (size_t)n, arr, JSONL_READ_MAX_LINES);
	}
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*lines = arr;
	return 0;
}

void jsonl_time_iso(int64_t ms, char *buf, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char base[32];

	gmtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", base, (int)(ms % 1000));
}
