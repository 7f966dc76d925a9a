/*
 * cmd-log.c - conversations and the JSON lines logs over the control socket.
 *
 * `log` is served from the files, not from memory, so what an operator reads
 * is exactly what is on disk.  A reader gives the offset it got last time and
 * receives the complete lines written since: that is all `log --follow` needs,
 * and a rotated file simply starts over at 0.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "conv.h"
#include "ctl-socket.h"
#include "daemon.h"
#include "events.h"
#include "jsonl.h"

#define LOG_TAIL_DEFAULT 50

json_t *cmd_conn_list(struct bh_daemon *d, json_t *req)
{
	json_t *arr;

	(void)req;
	arr = conv_list_json(d->convs);
	return arr ? ctl_ok(arr) : ctl_error("out of memory");
}

static const struct {
	const char *kind;
	const char *file;
} logs[] = {
	{"connections", "connections.jsonl"},
	{"violations", "violations.jsonl"},
	{"threats", "threats.jsonl"},
};

/* Index into logs[] for a requested kind (connections by default), or -1. */
static int log_index(const char *kind)
{
	for (size_t i = 0; i < sizeof(logs) / sizeof(logs[0]); i++)
		if (!kind || !strcmp(kind, logs[i].kind))
			return (int)i;
	return -1;
}

json_t *cmd_log(struct bh_daemon *d, json_t *req)
{
	const char *kind = req_str(req, "kind");
	int li = log_index(kind);
	json_t *off = json_object_get(req, "offset"), *n = json_object_get(req, "lines"), *lines;
	json_int_t tail = n ? json_integer_value(n) : LOG_TAIL_DEFAULT;
	char path[PATH_MAX];
	off_t next;
	int rc;

	if (li < 0)
		return ctl_error("unknown log %s (connections|violations|threats)", kind);
	if ((off && (!json_is_integer(off) || json_integer_value(off) < 0)) ||
	    (n && (!json_is_integer(n) || tail < 0)))
		return ctl_error("offset and lines must be non-negative integers");
	/* A reader of connections wants what has happened so far, not what is due in 2 s. */
	if (li == 0)
		events_flush(d);
	snprintf(path, sizeof(path), "%s/%s", d->cfg.state_dir, logs[li].file);
	rc = jsonl_read(path, off ? (off_t)json_integer_value(off) : -1, (size_t)tail, &lines,
			&next);
	if (rc < 0)
		return ctl_error("%s: %s", path, strerror(-rc));
	return ctl_ok(json_pack("{s:s, s:o, s:I}", "file", logs[li].file, "lines", lines, "offset",
				(json_int_t)next));
}
