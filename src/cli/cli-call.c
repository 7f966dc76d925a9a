/*
 * cli-call.c - talk to bulkheadd: one JSON line out, one JSON line back.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bulkhead: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int connect_daemon(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		die("socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			die("bulkheadd is not running (no daemon at %s)", path);
		die("%s: %s", path, strerror(errno));
	}
	return fd;
}

static void send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("send: %s", strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
}

/* Read one line (the response); grows as needed. */
static char *recv_line(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	for (;;) {
		ssize_t r;

		if (!buf)
			die("out of memory");
		r = recv(fd, buf + n, cap - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("bulkheadd closed the connection");
		n += (size_t)r;
		if (memchr(buf + n - r, '\n', (size_t)r))
			break;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	*len = n;
	return buf;
}

json_t *cli_call(const struct cli *c, json_t *req)
{
	char *text = json_dumps(req, JSON_COMPACT), *line;
	int fd = connect_daemon(c->socket_path);
	json_error_t jerr;
	json_t *resp;
	size_t len;

	send_all(fd, text, strlen(text));
	send_all(fd, "\n", 1);
	free(text);
	line = recv_line(fd, &len);
	close(fd);
	resp = json_loadb(line, len, 0, &jerr);
	free(line);
	if (!resp)
		die("bad response from bulkheadd: %s", jerr.text);
	return resp;
}

json_t *cli_request(const struct cli *c, json_t *req)
{
	json_t *resp = cli_call(c, req), *res;
	const char *err = json_string_value(json_object_get(resp, "error"));

	json_decref(req);
	if (!json_is_true(json_object_get(resp, "ok")))
		die("%s", err ? err : "request failed");
	res = json_object_get(resp, "result");
	res = res ? json_incref(res) : json_object();
	json_decref(resp);
	return res;
}
