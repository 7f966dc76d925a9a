/*
 * metrics-http.c - serves GET /metrics with libmicrohttpd.
 *
 * Why a snapshot and an HTTP thread, not MHD on the control thread's poll:
 * the control thread is the single writer (and reader) of all state, and it
 * must never wait on a network peer.  With MHD in external-select mode a slow
 * or stuck scraper would be served from that thread, in between policy
 * requests and the dp's event drain.  Instead the control thread renders the
 * text once a second (a few microseconds per workload) into a buffer swapped
 * under a mutex, and MHD's own thread only copies the latest buffer out.  A
 * scrape is at most METRICS_REFRESH_MS old, far below any scrape interval,
 * and the daemon's poll loop stays as it is.
 *
 * The listening socket is made here, in the caller's netns: bulkheadd opens
 * it before it creates the enforcer netns, so the endpoint is on the host.
 */
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define MAX_CONNECTIONS 16
#define CONN_TIMEOUT_S 10

struct metrics {
	struct MHD_Daemon *mhd;
	int fd;
	pthread_mutex_t lock; /* guards text/len: control thread writes, MHD thread copies */
	char *text;
	size_t len;
	int64_t built_ms; /* control thread only */
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "host:port", "[v6]:port", ":port" -> host (NULL = any) and port strings in buf. */
static int split_addr(const char *addr, char *buf, size_t len, const char **host,
		      const char **port)
{
	char *colon;

	if (snprintf(buf, len, "%s", addr) >= (int)len)
		return -EINVAL;
	colon = strrchr(buf, ':');
	if (!colon || !colon[1])
		return -EINVAL;
	*colon = '\0';
	*port = colon + 1;
	*host = buf;
	if (buf[0] == '[') {
		size_t n = strlen(buf);

		if (n < 3 || buf[n - 1] != ']')
			return -EINVAL;
		buf[n - 1] = '\0';
		*host = buf + 1;
	}
	if (!**host)
		*host = NULL;
	return 0;
}

static int listen_on(const char *addr, char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	};
	struct addrinfo *ai = NULL;
	const char *host, *port;
	char buf[128];
	int fd, one = 1, rc;

	if (split_addr(addr, buf, sizeof(buf), &host, &port) < 0) {
		snprintf(err, errlen, "--metrics %s: expected ADDR:PORT", addr);
		return -EINVAL;
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "--metrics %s: %s", addr, gai_strerror(rc));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
		rc = -errno;
		snprintf(err, errlen, "--metrics %s: %s", addr, strerror(-rc));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return rc;
	}
	freeaddrinfo(ai);
	return fd;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result serve_snapshot(struct metrics *m, struct MHD_Connection *conn)
{
	enum MHD_Result rc;

	pthread_mutex_lock(&m->lock);
	if (m->text)
		rc = reply(conn, MHD_HTTP_OK, CONTENT_TYPE, m->text, m->len);
	else
		rc = reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", "starting\n", 9);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/* MHD thread: touches nothing but the snapshot. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **con_cls)
{
	static const char not_found[] = "bulkheadd serves /metrics\n";

	(void)version;
	(void)upload;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET only\n", 9);
	/* A GET may still carry a body: take it in and ignore it before answering. */
	if (*upload_len) {
		*upload_len = 0;
		return MHD_YES;
	}
	*con_cls = NULL;
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
			     sizeof(not_found) - 1);
	return serve_snapshot(cls, conn);
}

/* MHD's thread must not take SIGTERM/SIGINT: the control thread reads them from a signalfd. */
static struct MHD_Daemon *start_mhd(struct metrics *m)
{
	struct MHD_Daemon *mhd;
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG,
			       0, NULL, NULL, on_request, m, MHD_OPTION_LISTEN_SOCKET, m->fd,
			       MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
			       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
			       MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return mhd;
}

int metrics_open(struct metrics **out, const char *addr, char *err, size_t errlen)
{
	struct metrics *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	m->fd = listen_on(addr, err, errlen);
	if (m->fd < 0) {
		int rc = m->fd;

		pthread_mutex_destroy(&m->lock);
		free(m);
		return rc;
	}
	m->mhd = start_mhd(m);
	if (!m->mhd) {
		snprintf(err, errlen, "--metrics %s: cannot start the HTTP server", addr);
		close(m->fd);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return -EIO;
	}
	log_info("metrics: http://%s/metrics", addr);
	*out = m;
	return 0;
}

void metrics_close(struct metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd); /* closes the listening socket too */
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
}

void metrics_tick(struct metrics *m, struct bh_daemon *d)
{
	int64_t now = mono_ms();
	char *text, *old;
	size_t len;

	if (!m || (m->text && now - m->built_ms < METRICS_REFRESH_MS))
		return;
	text = metrics_render(d, &len);
	m->built_ms = now;
	if (!text)
		return; /* keep serving the previous snapshot */
	pthread_mutex_lock(&m->lock);
	old = m->text;
	m->text = text;
	m->len = len;
	pthread_mutex_unlock(&m->lock);
	free(old);
}
