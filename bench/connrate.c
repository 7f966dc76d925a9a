/*
 * connrate.c - new TCP connections per second, no keep-alive.
 *
 *   connrate serve PORT                 accept, send one byte, close; forever
 *   connrate run ADDR PORT SECONDS [N]  N parallel loops of connect/read/close
 *   connrate echo PORT                  accept, echo every byte back; forever
 *   connrate http PORT                  HTTP/1.1 keep-alive "200 ok" responder (for wrk)
 *   connrate rr ADDR PORT SECONDS       one connection, 1-byte request/response loop
 *
 * Prints "conns_per_s P50_us P99_us failed" for run, "rtt_p50_us rtt_p99_us count" for rr.  Each connection is a new
 * session for the dp, so this measures the session-start path (policy
 * decision included), not the established fast path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES (1 << 20)

struct loop {
	struct sockaddr_storage sa;
	socklen_t salen;
	double until;
	long done, failed;
	unsigned *lat_us;
	long nlat;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A listening socket on [::]:port (v4 and v6); -1 with the error printed. */
static int listen_on(int port, int backlog, const char *what)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
	int one = 1, fd = socket(AF_INET6, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, backlog) < 0) {
		perror(what);
		return -1;
	}
	return fd;
}

/* Accept forever; each connection gets a detached thread running fn (NODELAY if asked). */
__attribute__((noreturn)) static void serve_threads(int fd, void *(*fn)(void *), int nodelay)
{
	int one = 1;

	for (;;) {
		long c = accept(fd, NULL, NULL);
		pthread_t th;

		if (c < 0)
			continue;
		if (nodelay)
			setsockopt((int)c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (pthread_create(&th, NULL, fn, (void *)c) == 0)
			pthread_detach(th);
		else
			close((int)c);
	}
}

static int serve(int port)
{
	int fd = listen_on(port, 1024, "connrate serve");

	if (fd < 0)
		return 1;
	for (;;) {
		int c = accept(fd, NULL, NULL);

		if (c < 0)
			continue;
		if (write(c, "x", 1) != 1)
			perror("write");
		close(c);
	}
}

static void *echo_conn(void *arg)
{
	int c = (int)(long)arg;
	char b[256];
	ssize_t n;

	while ((n = read(c, b, sizeof(b))) > 0)
		if (write(c, b, (size_t)n) != n)
			break;
	close(c);
	return NULL;
}

static int echo_serve(int port)
{
	int fd = listen_on(port, 64, "connrate echo");

	if (fd < 0)
		return 1;
	serve_threads(fd, echo_conn, 1);
}

static int cmp_u(const void *a, const void *b);

/* A minimal HTTP/1.1 keep-alive responder, so wrk measures the path, not the server. */
static void *http_conn(void *arg)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	int c = (int)(long)arg;
	char b[4096];
	size_t have = 0;
	ssize_t n;

	while ((n = read(c, b + have, sizeof(b) - 1 - have)) > 0) {
		char *end;

		have += (size_t)n;
		b[have] = '\0';
		while ((end = strstr(b, "\r\n\r\n"))) {
			size_t used = (size_t)(end + 4 - b);

			if (write(c, resp, sizeof(resp) - 1) < 0)
				goto out;
			memmove(b, b + used, have - used + 1);
			have -= used;
		}
		if (have == sizeof(b) - 1)
			break;
	}
out:
	close(c);
	return NULL;
}

static int http_serve(int port)
{
	int fd = listen_on(port, 256, "connrate http");

	if (fd < 0)
		return 1;
	serve_threads(fd, http_conn, 0);
}

/* Added latency without connection setup: p50/p99 of 1-byte round trips. */
static int rr(const char *addr, int port, double secs)
{
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	unsigned *lat = malloc(MAX_SAMPLES * sizeof(unsigned));
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	double until = now_s() + secs;
	long n = 0;
	char b = 'x';

	if (!lat || inet_pton(AF_INET, addr, &s4.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&s4, sizeof(s4)) < 0) {
		perror("connrate rr");
		return 1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (now_s() < until && n < MAX_SAMPLES) {
		double t0 = now_s();

		if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1)
			break;
		lat[n++] = (unsigned)((now_s() - t0) * 1e6);
	}
	qsort(lat, (size_t)n, sizeof(unsigned), cmp_u);
	printf("%u %u %ld\n", n ? lat[n / 2] : 0, n ? lat[n * 99 / 100] : 0, n);
	close(fd);
	return 0;
}

static void *run_loop(void *arg)
{
	struct loop *l = arg;
	char b;

	while (now_s() < l->until) {
		double t0 = now_s();
		int fd = socket(l->sa.ss_family, SOCK_STREAM, 0);
		struct linger lg = {.l_onoff = 1, .l_linger = 0};

		/* RST on close keeps the client from running out of ports in TIME_WAIT */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		if (connect(fd, (struct sockaddr *)&l->sa, l->salen) == 0 && read(fd, &b, 1) == 1) {
			l->done++;
			if (l->nlat < MAX_SAMPLES)
				l->lat_us[l->nlat++] = (unsigned)((now_s() - t0) * 1e6);
		} else {
			l->failed++;
		}
		close(fd);
	}
	return NULL;
}

static int cmp_u(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

static int run(const char *addr, int port, double secs, int n)
{
	struct loop *loops = calloc((size_t)n, sizeof(*loops));
	pthread_t *th = calloc((size_t)n, sizeof(*th));
	unsigned *all;
	long done = 0, failed = 0, nlat = 0;
	double t0 = now_s();

	for (int i = 0; i < n; i++) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&loops[i].sa;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&loops[i].sa;

		if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
			s4->sin_port = htons((uint16_t)port);
			loops[i].salen = sizeof(*s4);
		} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons((uint16_t)port);
			loops[i].salen = sizeof(*s6);
		} else {
			fprintf(stderr, "connrate: bad address %s\n", addr);
			return 2;
		}
		loops[i].until = t0 + secs;
		loops[i].lat_us = malloc(MAX_SAMPLES * sizeof(unsigned));
		pthread_create(&th[i], NULL, run_loop, &loops[i]);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		done += loops[i].done;
		failed += loops[i].failed;
		nlat += loops[i].nlat;
	}
	all = malloc((size_t)(nlat ? nlat : 1) * sizeof(unsigned));
	nlat = 0;
	for (int i = 0; i < n; i++)
		for (long k = 0; k < loops[i].nlat; k++)
			all[nlat++] = loops[i].lat_us[k];
	qsort(all, (size_t)nlat, sizeof(unsigned), cmp_u);
	printf("%.0f %u %u %ld\n", (double)done / (now_s() - t0), nlat ? all[nlat / 2] : 0,
	       nlat ? all[nlat * 99 / 100] : 0, failed);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "http") == 0)
		return http_serve(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "echo") == 0)
		return echo_serve(atoi(argv[2]));
	if (argc == 5 && strcmp(argv[1], "rr") == 0)
		return rr(argv[2], atoi(argv[3]), atof(argv[4]));
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "run") == 0)
		return run(argv[2], atoi(argv[3]), atof(argv[4]), argc == 6 ? atoi(argv[5]) : 2);
	fprintf(stderr, "usage: connrate serve PORT | run ADDR PORT SECONDS [LOOPS] | echo PORT | "
			"rr ADDR PORT SECONDS\n");
	return 2;
}
