/*
 * cluster-etcd.c - etcd's v3 JSON gateway over libcurl, without blocking.
 *
 * bulkheadd already links libcurl for the Docker engine, and the gateway
 * (POST /v3/kv/range, /v3/kv/txn, /v3/lease/..., /v3/watch) speaks JSON, so
 * no gRPC stack is needed.  As in docker-watch.c, every transfer runs on one
 * curl multi handle whose sockets and timer sit in an epoll fd the main loop
 * waits on: the control thread never waits for etcd, and a dead etcd only
 * shows up as failed calls.  What the calls mean is cluster.c's business.
 */
#include "cluster-etcd.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define ENDPOINTS_MAX 8
#define ENDPOINT_LEN 128
#define CONNECT_TIMEOUT_MS 1000L
#define CALL_TIMEOUT_MS 5000L
/* A range of the whole /bulkhead/ prefix is the largest answer we take. */
#define BODY_MAX (64u << 20)

static const char *const op_path[ETCD_OP__MAX] = {
    [ETCD_LEASE_GRANT] = "/v3/lease/grant",
    [ETCD_KEEPALIVE] = "/v3/lease/keepalive",
    [ETCD_RANGE] = "/v3/kv/range",
    [ETCD_TXN] = "/v3/kv/txn",
    [ETCD_WATCH] = "/v3/watch",
};

struct etcd_req {
	CURL *easy;
	enum etcd_op op;
	char *body;
	char *buf;
	size_t len, cap;
	bool overflow;
	struct etcd_req *next;
};

struct etcd {
	etcd_cb cb;
	void *ctx;
	char ep[ENDPOINTS_MAX][ENDPOINT_LEN];
	int n_ep, cur;
	CURLM *multi;
	struct curl_slist *hdrs;
	int epfd, tfd;
	int64_t curl_due;
	struct etcd_req *reqs;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- base64 (RFC 4648, with padding, as the gateway uses) ---- */

static const char b64_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *etcd_b64(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = b64_alpha[v >> 18 & 63];
		*o++ = b64_alpha[v >> 12 & 63];
		*o++ = i + 1 < n ? b64_alpha[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64_alpha[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64_alpha, c) : NULL;

	return p ? (int)(p - b64_alpha) : -1;
}

char *etcd_unb64(const char *s, size_t *n)
{
	size_t len = s ? strlen(s) : 0;
	char *out = malloc(len / 4 * 3 + 1);
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len && s[i] != '='; i++) {
		int v = b64_val(s[i]);

		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	out[o] = '\0';
	if (n)
		*n = o;
	return out;
}

long long etcd_int(const json_t *j)
{
	if (json_is_integer(j))
		return json_integer_value(j);
	return json_is_string(j) ? strtoll(json_string_value(j), NULL, 10) : 0;
}

/* ---- curl multi wiring (same shape as docker-watch.c) ---- */

static void etcd_arm(struct etcd *e)
{
	struct itimerspec its = {0};

	if (e->curl_due >= 0) {
		/* + 1 ns: an all-zero it_value would disarm the timer instead */
		its.it_value.tv_sec = e->curl_due / 1000;
		its.it_value.tv_nsec = (e->curl_due % 1000) * 1000000 + 1;
	}
	timerfd_settime(e->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int on_socket(CURL *c, curl_socket_t s, int what, void *userp, void *sockp)
{
	struct etcd *e = userp;
	struct epoll_event ev = {.data.fd = s};

	(void)c;
	(void)sockp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (epoll_ctl(e->epfd, EPOLL_CTL_MOD, s, &ev) < 0 && errno == ENOENT)
		epoll_ctl(e->epfd, EPOLL_CTL_ADD, s, &ev);
	return 0;
}

static int on_timer(CURLM *m, long timeout_ms, void *userp)
{
	struct etcd *e = userp;

	(void)m;
	e->curl_due = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	etcd_arm(e);
	return 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
	struct etcd_req *r = userp;
	size_t n = size * nmemb;

	if (r->len + n + 1 > BODY_MAX) {
		r->overflow = true;
		return 0; /* aborts the transfer */
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *p;

		while (cap < r->len + n + 1)
			cap *= 2;
		p = realloc(r->buf, cap);
		if (!p)
			return 0;
		r->buf = p;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

static void req_end(struct etcd *e, struct etcd_req *r)
{
	struct etcd_req **pp;

	for (pp = &e->reqs; *pp && *pp != r; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = r->next;
	curl_multi_remove_handle(e->multi, r->easy);
	curl_easy_cleanup(r->easy);
	free(r->body);
	free(r->buf);
	free(r);
}

int etcd_call(struct etcd *e, enum etcd_op op, json_t *body)
{
	struct etcd_req *r = calloc(1, sizeof(*r));
	char url[ENDPOINT_LEN + 64];

	if (r)
		r->body = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!r || !r->body || !(r->easy = curl_easy_init())) {
		if (r)
			free(r->body);
		free(r);
		return -ENOMEM;
	}
	r->op = op;
	snprintf(url, sizeof(url), "http://%s%s", e->ep[e->cur], op_path[op]);
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, e->hdrs);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http");
	/* A half-dead peer must end the watch too, not only a closed connection. */
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPIDLE, 5L);
	curl_easy_setopt(r->easy, CURLOPT_TCP_KEEPINTVL, 2L);
	curl_easy_setopt(r->easy, CURLOPT_FAILONERROR, 1L);
	if (op != ETCD_WATCH)
		curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, CALL_TIMEOUT_MS);
	if (curl_multi_add_handle(e->multi, r->easy) != CURLM_OK) {
		curl_easy_cleanup(r->easy);
		free(r->body);
		free(r);
		return -ENOMEM;
	}
	r->next = e->reqs;
	e->reqs = r;
	return 0;
}

/* The gateway writes one JSON object per stream message, each ended by a newline. */
static void drain_stream(struct etcd *e, struct etcd_req *r)
{
	char *nl;

	while (r->len && (nl = memchr(r->buf, '\n', r->len))) {
		size_t n = (size_t)(nl - r->buf);
		json_t *msg = json_loadb(r->buf, n, 0, NULL);

		if (msg) {
			e->cb(e->ctx, r->op, msg, NULL);
			json_decref(msg);
		}
		memmove(r->buf, nl + 1, r->len - n - 1);
		r->len -= n + 1;
		r->buf[r->len] = '\0';
	}
}

static void finish(struct etcd *e, struct etcd_req *r, CURLcode cc)
{
	enum etcd_op op = r->op;
	json_t *msg = NULL;
	char why[160];
	long status = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (op == ETCD_WATCH)
		drain_stream(e, r);
	if (cc != CURLE_OK)
		snprintf(why, sizeof(why), "%s: %s", e->ep[e->cur],
			 r->overflow ? "answer too large" : curl_easy_strerror(cc));
	else if (op == ETCD_WATCH)
		snprintf(why, sizeof(why), "%s: watch stream ended", e->ep[e->cur]);
	else if (!(msg = json_loadb(r->buf ? r->buf : "", r->len, 0, NULL)))
		snprintf(why, sizeof(why), "%s: HTTP %ld, not JSON", e->ep[e->cur], status);
	/* A unary streaming call (keepalive) answers {"result": ...}. */
	if (msg && json_is_object(json_object_get(msg, "result"))) {
		json_t *res = json_incref(json_object_get(msg, "result"));

		json_decref(msg);
		msg = res;
	}
	req_end(e, r);
	e->cb(e->ctx, op, msg, msg ? NULL : why);
	json_decref(msg);
}

void etcd_poll(struct etcd *e)
{
	struct epoll_event ev[16];
	uint64_t ticks;
	CURLMsg *m;
	int n, running, left;

	if (read(e->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_debug("cluster: timer: %s", strerror(errno));
	n = epoll_wait(e->epfd, ev, 16, 0);
	for (int i = 0; i < n; i++) {
		int mask = 0;

		if (ev[i].data.fd == e->tfd)
			continue;
		mask |= ev[i].events & EPOLLIN ? CURL_CSELECT_IN : 0;
		mask |= ev[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0;
		mask |= ev[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0;
		curl_multi_socket_action(e->multi, ev[i].data.fd, mask, &running);
	}
	if (e->curl_due >= 0 && now_ms() >= e->curl_due) {
		e->curl_due = -1;
		curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	for (struct etcd_req *r = e->reqs; r; r = r->next)
		if (r->op == ETCD_WATCH)
			drain_stream(e, r);
	while ((m = curl_multi_info_read(e->multi, &left))) {
		void *r = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &r);
		finish(e, r, m->data.result);
	}
	etcd_arm(e);
}

void etcd_abort(struct etcd *e)
{
	while (e->reqs)
		req_end(e, e->reqs);
	e->cur = (e->cur + 1) % e->n_ep;
}

static int parse_endpoints(struct etcd *e, const char *list)
{
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == 0 || n >= ENDPOINT_LEN || e->n_ep == ENDPOINTS_MAX || !memchr(p, ':', n))
			return -EINVAL;
		memcpy(e->ep[e->n_ep], p, n);
		e->ep[e->n_ep++][n] = '\0';
		p += n;
		if (*p == ',')
			p++;
	}
	return e->n_ep ? 0 : -EINVAL;
}

int etcd_new(struct etcd **out, const char *endpoints, etcd_cb cb, void *ctx)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct etcd *e = calloc(1, sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	e->cb = cb;
	e->ctx = ctx;
	e->epfd = e->tfd = -1;
	e->curl_due = -1;
	rc = parse_endpoints(e, endpoints);
	if (rc < 0) {
		free(e);
		return rc;
	}
	e->multi = curl_multi_init();
	e->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ev.data.fd = e->tfd;
	if (!e->multi || !e->hdrs || e->epfd < 0 || e->tfd < 0 ||
	    epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->tfd, &ev) < 0) {
		etcd_free(e);
		return -ENOMEM;
	}
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
	*out = e;
	return 0;
}

void etcd_free(struct etcd *e)
{
	if (!e)
		return;
	while (e->reqs)
		req_end(e, e->reqs);
	if (e->multi)
		curl_multi_cleanup(e->multi);
	curl_slist_free_all(e->hdrs);
	if (e->epfd >= 0)
		close(e->epfd);
	if (e->tfd >= 0)
		close(e->tfd);
	free(e);
}

int etcd_fd(const struct etcd *e)
{
	return e ? e->epfd : -1;
}

const char *etcd_endpoint(const struct etcd *e)
{
	return e->ep[e->cur];
}

size_t etcd_inflight(const struct etcd *e)
{
	size_t n = 0;

	for (const struct etcd_req *r = e->reqs; r; r = r->next)
		n++;
	return n;
}
