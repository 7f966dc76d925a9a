/*
 * ctl-socket.c - unix stream server for bulkhead's control protocol.
 *
 * The socket is 0600 and every peer is also checked with SO_PEERCRED, so a
 * wrong umask or a bind mount cannot hand the enforcer to an unprivileged
 * user.  Requests are bounded (CTL_MAX_REQUEST); anything malformed gets an
 * error object and the server keeps serving the other clients.
 */
#include "ctl-socket.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct ctl_client {
	int fd;
	int64_t active_ms; /* connected, or last served a complete line */
	size_t len;
	char buf[CTL_MAX_REQUEST + 1];
};

struct ctl_server {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_client *clients[CTL_MAX_CLIENTS];
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

json_t *ctl_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/*
	 * Messages quote what the client sent (a parser's error text, a name), which may not
	 * be UTF-8: jansson would refuse the string and the client would get no answer.
	 */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

json_t *ctl_ok(json_t *result)
{
	json_t *r = json_pack("{s:b}", "ok", 1);

	if (result)
		json_object_set_new(r, "result", result);
	return r;
}

/* A live socket at path means another bulkheadd serves it: refuse, never steal. */
static int path_in_use(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int live;

	if (fd < 0)
		return 0;
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return live;
}

static int make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int ctl_server_open(struct ctl_server **out, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ctl_server *s;
	mode_t old;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	if (path_in_use(&sa)) {
		snprintf(err, errlen, "%s: another bulkheadd is running", path);
		return -EADDRINUSE;
	}
	make_parent(path);
	unlink(path);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	old = umask(0077);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0600) < 0 || listen(s->fd, 16) < 0) {
		int rc = -errno;

		umask(old);
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return rc;
	}
	umask(old);
	*out = s;
	return 0;
}

static void client_drop(struct ctl_server *s, int i)
{
	close(s->clients[i]->fd);
	free(s->clients[i]);
	s->clients[i] = NULL;
}

void ctl_server_close(struct ctl_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->clients[i])
			client_drop(s, i);
	close(s->fd);
	unlink(s->path);
	free(s);
}

/* Responses are small; a client that will not read them within a second is dropped. */
static int send_line(int fd, json_t *resp)
{
	char *text = json_dumps(resp, JSON_COMPACT);
	size_t len, off = 0;
	int rc = 0;

	if (!text)
		return -ENOMEM;
	len = strlen(text);
	text[len++] = '\n'; /* overwrite NUL: json_dumps output is NUL terminated, we own it */
	while (off < len) {
		ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};

			if (poll(&p, 1, 1000) <= 0) {
				rc = -ETIMEDOUT;
				break;
			}
			continue;
		}
		if (n < 0) {
			rc = errno == EINTR ? 0 : -errno;
			if (rc)
				break;
			continue;
		}
		off += (size_t)n;
	}
	free(text);
	return rc;
}

static int peer_is_root(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	return cred.uid == 0;
}

static void accept_clients(struct ctl_server *s)
{
	for (;;) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int slot = -1;

		if (fd < 0)
			return;
		for (int i = 0; i < CTL_MAX_CLIENTS && slot < 0; i++)
			if (!s->clients[i])
				slot = i;
		if (!peer_is_root(fd) || slot < 0) {
			json_t *e = slot < 0 ? ctl_error("too many clients")
					     : ctl_error("permission denied: root only");

			send_line(fd, e);
			json_decref(e);
			close(fd);
			continue;
		}
		s->clients[slot] = calloc(1, sizeof(struct ctl_client));
		if (!s->clients[slot]) {
			close(fd);
			continue;
		}
		s->clients[slot]->fd = fd;
		s->clients[slot]->active_ms = mono_ms();
	}
}

static json_t *handle_line(char *line, size_t len, ctl_handler_fn fn, void *ctx)
{
	json_error_t jerr;
	json_t *req, *resp;

	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req)
		return ctl_error("malformed request: %s", jerr.text);
	if (!json_is_object(req) || !json_is_string(json_object_get(req, "cmd"))) {
		json_decref(req);
		return ctl_error("malformed request: expected an object with a string \"cmd\"");
	}
	resp = fn(ctx, req);
	json_decref(req);
	return resp ? resp : ctl_error("internal error");
}

/* Serve every complete line in the client's buffer; -1 when the client must go. */
static int serve_client(struct ctl_client *c, ctl_handler_fn fn, void *ctx)
{
	ssize_t n = recv(c->fd, c->buf + c->len, CTL_MAX_REQUEST + 1 - c->len, 0);
	char *nl;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	if (n < 0)
		return 0;
	c->len += (size_t)n;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		size_t line = (size_t)(nl - c->buf);
		json_t *resp = handle_line(c->buf, line, fn, ctx);
		int rc = send_line(c->fd, resp);

		json_decref(resp);
		c->active_ms = mono_ms();
		memmove(c->buf, nl + 1, c->len - line - 1);
		c->len -= line + 1;
		if (rc < 0)
			return -1;
	}
	if (c->len > CTL_MAX_REQUEST) {
		json_t *e = ctl_error("request too large (limit %d bytes)", CTL_MAX_REQUEST);

		send_line(c->fd, e);
		json_decref(e);
		return -1;
	}
	return 0;
}

/* Clients that sent nothing, or half a line, for CTL_IDLE_MS give their slot back. */
static void drop_idle(struct ctl_server *s)
{
	int64_t now = mono_ms();

	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (s->clients[i] && now - s->clients[i]->active_ms > CTL_IDLE_MS) {
			/* one non-blocking try: a goodbye must not stall the others */
			static const char bye[] = "{\"ok\":false,\"error\":\"idle: closing\"}\n";

			if (send(s->clients[i]->fd, bye, sizeof(bye) - 1, MSG_NOSIGNAL) < 0)
				log_debug("ctl: idle client: %s", strerror(errno));
			client_drop(s, i);
		}
	}
}

int ctl_server_poll(struct ctl_server *s, int timeout_ms, int extra_fd, ctl_handler_fn fn,
		    void *ctx)
{
	struct pollfd pfd[CTL_MAX_CLIENTS + 2];
	int map[CTL_MAX_CLIENTS + 2];
	int n = 0, fired = 0;

	pfd[n++] = (struct pollfd){.fd = s->fd, .events = POLLIN};
	pfd[n++] = (struct pollfd){.fd = extra_fd, .events = POLLIN};
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (!s->clients[i])
			continue;
		map[n] = i;
		pfd[n++] = (struct pollfd){.fd = s->clients[i]->fd, .events = POLLIN};
	}
	if (poll(pfd, n, timeout_ms) <= 0) {
		drop_idle(s);
		return 0;
	}
	if (pfd[1].revents)
		fired = 1;
	for (int k = 2; k < n; k++) {
		if (!pfd[k].revents)
			continue;
		if (serve_client(s->clients[map[k]], fn, ctx) < 0)
			client_drop(s, map[k]);
	}
	drop_idle(s);
	if (pfd[0].revents)
		accept_clients(s);
	return fired;
}
