/*
 * docker-watch.c - the container runtime watcher.
 *
 * One long GET /events stream says when containers start and die; a GET
 * /containers/json after every (re)connect catches up on what happened while
 * nobody listened.  Every transfer runs on a curl multi handle whose sockets
 * and timer live in one epoll fd that the daemon's main loop waits on, so the
 * control thread stays the only writer of the workload table and is never
 * blocked by the engine.  An engine that goes away is retried every 2 s;
 * manual workloads are enforced all along.
 */
#include "docker-watch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "docker-api.h"
#include "log.h"
#include "policy/policy.h"
#include "wl-docker.h"

#define RETRY_MS 2000
/* Events are drained after every read; this only bounds a misbehaving stream. */
#define EVENTS_BUF_MAX (1u << 20)
#define MODES_MAX 1024

enum dw_state { DW_OFF, DW_DOWN, DW_CONNECTING, DW_UP };
enum dw_kind { DW_EVENTS, DW_LIST, DW_INSPECT };

struct dw_req {
	CURL *easy;
	enum dw_kind kind;
	struct docker_buf body;
	int64_t start_ns; /* DW_INSPECT for a start event: its time, for the latency log */
	struct dw_req *next;
};

/* A mode set on a discovered container outlives its restarts (within this bulkheadd). */
struct dw_mode {
	char id[DOCKER_ID_MAX];
	int mode;
	struct dw_mode *next;
};

struct docker_watch {
	struct bh_daemon *d;
	const char *sock;
	enum dw_state state;
	bool warned; /* this outage was reported already */
	CURLM *multi;
	int epfd, tfd;
	int64_t curl_due, retry_due; /* CLOCK_MONOTONIC ms; -1 when not armed */
	struct dw_req *reqs;
	struct dw_req *events; /* the event stream, also on reqs */
	struct dw_mode *modes;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the main loop's side: one timer for curl's timeouts and our reconnects ---- */

static void dw_arm(struct docker_watch *w)
{
	struct itimerspec its = {0};
	int64_t due = w->curl_due;

	if (w->retry_due >= 0 && (due < 0 || w->retry_due < due))
		due = w->retry_due;
	if (due >= 0) {
		/* + 1 ns: an all-zero it_value would disarm the timer instead */
		its.it_value.tv_sec = due / 1000;
		its.it_value.tv_nsec = (due % 1000) * 1000000 + 1;
	}
	timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int dw_on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *sockp)
{
	struct docker_watch *w = userp;
	struct epoll_event ev = {.data.fd = s};

	(void)e;
	(void)sockp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, s, &ev) < 0 && errno == ENOENT)
		epoll_ctl(w->epfd, EPOLL_CTL_ADD, s, &ev);
	return 0;
}

/* Only note the deadline: curl must not be called back from inside its own callback. */
static int dw_on_timer(CURLM *m, long timeout_ms, void *userp)
{
	struct docker_watch *w = userp;

	(void)m;
	w->curl_due = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	dw_arm(w);
	return 0;
}

/* ---- requests ---- */

static struct dw_req *dw_req_start(struct docker_watch *w, enum dw_kind kind, const char *path)
{
	struct dw_req *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->easy = docker_easy_new(w->sock, path);
	if (!r->easy) {
		free(r);
		return NULL;
	}
	r->kind = kind;
	r->body.max = kind == DW_EVENTS ? EVENTS_BUF_MAX : DOCKER_BODY_MAX;
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	if (kind == DW_EVENTS)
		curl_easy_setopt(r->easy, CURLOPT_FAILONERROR, 1L);
	else
		curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, (long)DOCKER_TIMEOUT_MS);
	if (curl_multi_add_handle(w->multi, r->easy) != CURLM_OK) {
		curl_easy_cleanup(r->easy);
		free(r);
		return NULL;
	}
	r->next = w->reqs;
	w->reqs = r;
	return r;
}

static void dw_req_end(struct docker_watch *w, struct dw_req *r)
{
	struct dw_req **pp;

	for (pp = &w->reqs; *pp && *pp != r; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = r->next;
	if (w->events == r)
		w->events = NULL;
	curl_multi_remove_handle(w->multi, r->easy);
	curl_easy_cleanup(r->easy);
	docker_buf_free(&r->body);
	free(r);
}

static void dw_inspect(struct docker_watch *w, const char *id, int64_t start_ns)
{
	char path[128];
	struct dw_req *r;

	snprintf(path, sizeof(path), "/containers/%s/json", id);
	r = docker_ref_ok(id) ? dw_req_start(w, DW_INSPECT, path) : NULL;
	if (r)
		r->start_ns = start_ns;
	else
		log_warn("docker: cannot inspect container %.12s", id);
}

/* ---- modes remembered across container restarts ---- */

static struct dw_mode *dw_mode_find(struct docker_watch *w, const char *id)
{
	for (struct dw_mode *m = w->modes; m; m = m->next)
		if (strcmp(m->id, id) == 0)
			return m;
	return NULL;
}

static void dw_mode_remember(struct docker_watch *w, const char *id, int mode)
{
	struct dw_mode *m = dw_mode_find(w, id), **pp;
	int n = 0;

	if (!m) {
		m = calloc(1, sizeof(*m));
		if (!m)
			return;
		snprintf(m->id, sizeof(m->id), "%s", id);
		m->next = w->modes;
		w->modes = m;
	}
	m->mode = mode;
	/* Destroy events prune the list; cap it for the ones we never saw. */
	for (pp = &w->modes; *pp && ++n < MODES_MAX; pp = &(*pp)->next)
		;
	while (*pp) {
		struct dw_mode *old = *pp;

		*pp = old->next;
		free(old);
	}
}

static void dw_mode_forget(struct docker_watch *w, const char *id)
{
	struct dw_mode **pp, *m;

	for (pp = &w->modes; *pp && strcmp((*pp)->id, id) != 0; pp = &(*pp)->next)
		;
	m = *pp;
	if (m) {
		*pp = m->next;
		free(m);
	}
}

/* ---- containers <-> workloads ---- */

static void dw_log_latency(const char *name, int64_t start_ns)
{
	if (start_ns > 0)
		log_info("docker: %s enforced %.1f ms after its start event", name,
			 (double)(now_real_ns() - start_ns) / 1e6);
}

/*
 * The container stopped: its netns is gone or going, so restoring just clears
 * vin/vex from the enforcer netns.  A discovered workload goes with it; one
 * added by hand stays configured and waits for the container to start again.
 */
static void dw_gone(struct docker_watch *w, const char *id, const char *why)
{
	struct workload *wl = wl_find_container(w->d, id);
	char name[WL_NAME_MAX], err[256] = "";

	/* die, then stop, then destroy: only the first finds something to do */
	if (!wl || (!wl->discovered && !wl_attached(wl) && wl->pid == 0))
		return;
	snprintf(name, sizeof(name), "%s", wl->name);
	if (wl->discovered) {
		dw_mode_remember(w, id, wl->mode);
		if (wl_remove(w->d, name, true, err, sizeof(err)) < 0)
			log_warn("docker: workload %s: %s", name, err);
		log_info("docker: container %s %s: workload removed", name, why);
		return;
	}
	if (wl_attached(wl) && wl_remove(w->d, name, false, err, sizeof(err)) < 0)
		log_warn("docker: workload %s: %s", name, err);
	wl->pid = 0;
	/* Its addresses may go to the next container docker starts. */
	if (wl_policy_set(w->d, wl, true, err, sizeof(err)) < 0)
		log_warn("docker: workload %s: %s", name, err);
	policy_publish(w->d);
	wl_save(w->d);
	log_info("docker: container of workload %s %s: waiting for it to start", name, why);
}

/* A container we already have a workload for: pull it again if its process changed. */
static void dw_readopt(struct docker_watch *w, struct workload *wl, const struct docker_ctr *c,
		       int64_t start_ns)
{
	char err[256] = "";

	if (wl_attached(wl) && wl->pid == c->pid)
		return;
	if (wl_attached(wl) && wl_remove(w->d, wl->name, false, err, sizeof(err)) < 0)
		log_warn("docker: workload %s: %s", wl->name, err);
	wl->pid = c->pid;
	if (wl_repull(w->d, wl, err, sizeof(err)) < 0)
		log_warn("docker: workload %s: not enforced: %s", wl->name, err);
	else
		dw_log_latency(wl->name, start_ns);
}

static void dw_adopt_ctr(struct docker_watch *w, struct workload *wl, const struct docker_ctr *c,
			 int64_t start_ns)
{
	char err[256] = "";
	struct workload t;
	struct dw_mode *m;

	if (docker_ctr_unfit(c, err, sizeof(err))) {
		if (c->running)
			log_info("docker: %s: not enforced", err);
		return;
	}
	if (wl) {
		dw_readopt(w, wl, c, start_ns);
		return;
	}
	if (wl_docker_template(w->d, c, &t, err, sizeof(err)) < 0) {
		log_warn("docker: %s: not enforced", err);
		return;
	}
	m = dw_mode_find(w, c->id);
	if (m)
		t.mode = m->mode;
	if (wl_add(w->d, &t, err, sizeof(err)) < 0) {
		log_warn("docker: container %s: not enforced: %s", c->name, err);
		return;
	}
	dw_log_latency(t.name, start_ns);
}

/* An inspected container: re-pull its workload, or discover it if its labels select it. */
static void dw_adopt(struct docker_watch *w, json_t *doc, int64_t start_ns)
{
	const char *sel = w->d->cfg.docker_label;
	struct workload *wl;
	struct docker_ctr c;

	if (docker_ctr_parse(doc, &c) < 0) {
		log_warn("docker: inspect without Id/State");
		return;
	}
	wl = wl_find_container(w->d, c.id);
	if (wl || !sel || docker_has_label(doc, sel))
		dw_adopt_ctr(w, wl, &c, start_ns);
	else
		log_debug("docker: %s lacks label %s: not discovered", c.name, sel);
}

static bool list_has(json_t *list, const char *id)
{
	json_t *c;
	size_t i;

	json_array_foreach(list, i, c) {
		const char *cid = json_string_value(json_object_get(c, "Id"));

		if (cid && strcmp(cid, id) == 0)
			return true;
	}
	return false;
}

/* Containers that stopped while we did not listen; dw_gone changes the list, so rescan. */
static void dw_drop_missing(struct docker_watch *w, json_t *list)
{
	bool again = true;

	while (again) {
		again = false;
		for (struct workload *wl = w->d->workloads; wl; wl = wl->next) {
			if (wl->kind != WL_NETNS_DOCKER || !(wl_attached(wl) || wl->discovered) ||
			    list_has(list, wl->container))
				continue;
			dw_gone(w, wl->container, "is not running");
			again = true;
			break;
		}
	}
}

static void dw_reconcile(struct docker_watch *w, json_t *list)
{
	json_t *c;
	size_t i;

	dw_drop_missing(w, list);
	json_array_foreach(list, i, c) {
		const char *id = json_string_value(json_object_get(c, "Id"));
		struct workload *wl;

		if (!id || strlen(id) >= DOCKER_ID_MAX)
			continue;
		wl = wl_find_container(w->d, id);
		/* Resumed at our start with a freshly inspected pid: not pulled twice. */
		if (wl && wl_attached(wl))
			continue;
		dw_inspect(w, id, 0);
	}
}

/* Without the engine, a dead container is still noticed by its pid. */
static void dw_reap(struct docker_watch *w)
{
	bool again = true;

	while (again) {
		again = false;
		for (struct workload *wl = w->d->workloads; wl; wl = wl->next) {
			if (wl->kind != WL_NETNS_DOCKER || !wl_attached(wl) || wl->pid <= 0 ||
			    kill(wl->pid, 0) == 0 || errno != ESRCH)
				continue;
			dw_gone(w, wl->container, "exited");
			again = true;
			break;
		}
	}
}

/* ---- connection ---- */

static void dw_down(struct docker_watch *w, const char *why)
{
	while (w->reqs)
		dw_req_end(w, w->reqs);
	if (!w->warned)
		log_warn("docker: engine at %s unavailable (%s); other workloads stay enforced, "
			 "retrying every %d s", w->sock, why, RETRY_MS / 1000);
	else
		log_debug("docker: still unavailable (%s)", why);
	w->warned = true;
	w->state = DW_DOWN;
	w->retry_due = now_ms() + RETRY_MS;
}

static void dw_up(struct docker_watch *w, json_t *list)
{
	w->state = DW_UP;
	w->warned = false;
	log_info("docker: connected to %s (%zu running containers)", w->sock,
		 json_array_size(list));
	dw_reconcile(w, list);
}

/*
 * The stream's filters=..., URL-encoded.  --docker-label is not among them: a
 * workload added by hand must be followed whatever labels its container has.
 */
static int dw_events_filter(char *out, size_t len)
{
	json_t *f = json_pack("{s:[s], s:[s,s,s,s]}", "type", "container", "event", "start", "die",
			      "stop", "destroy");
	char *text, *enc;
	int rc = -ENOMEM;

	text = f ? json_dumps(f, JSON_COMPACT) : NULL;
	enc = text ? curl_easy_escape(NULL, text, 0) : NULL;
	if (enc && (size_t)snprintf(out, len, "filters=%s", enc) < len)
		rc = 0;
	curl_free(enc);
	free(text);
	json_decref(f);
	return rc;
}

/*
 * Stream first, then list.  The stream starts a second back in time, so an
 * event between the list and the subscription is replayed, never lost; a
 * replayed event is harmless because every handler checks the current state.
 */
static void dw_connect(struct docker_watch *w)
{
	char path[512], filter[256];
	struct stat st;

	dw_reap(w);
	if (stat(w->sock, &st) < 0) {
		dw_down(w, strerror(errno));
		return;
	}
	if (dw_events_filter(filter, sizeof(filter)) < 0) {
		dw_down(w, "out of memory");
		return;
	}
	snprintf(path, sizeof(path), "/events?since=%lld&%s", (long long)time(NULL) - 1, filter);
	w->events = dw_req_start(w, DW_EVENTS, path);
	if (!w->events || !dw_req_start(w, DW_LIST, "/containers/json")) {
		dw_down(w, "cannot start requests");
		return;
	}
	w->state = DW_CONNECTING;
}

static void dw_on_event(struct docker_watch *w, json_t *ev)
{
	char id[DOCKER_ID_MAX], action[32];
	int64_t t;

	if (docker_event_parse(ev, id, action, sizeof(action), &t) < 0)
		return;
	log_debug("docker: %s %.12s", action, id);
	if (strcmp(action, "start") == 0) {
		dw_inspect(w, id, t);
	} else if (strcmp(action, "die") == 0 || strcmp(action, "stop") == 0) {
		dw_gone(w, id, strcmp(action, "die") == 0 ? "died" : "stopped");
	} else if (strcmp(action, "destroy") == 0) {
		dw_gone(w, id, "was removed");
		dw_mode_forget(w, id);
	}
}

/* Act on every complete line of the stream (one JSON event per line). */
static void dw_drain_events(struct docker_watch *w)
{
	struct docker_buf *b;
	char *nl;

	if (!w->events)
		return;
	b = &w->events->body;
	while (b->len && (nl = memchr(b->p, '\n', b->len))) {
		size_t n = (size_t)(nl - b->p);
		json_t *ev = json_loadb(b->p, n, 0, NULL);

		if (ev) {
			dw_on_event(w, ev);
			json_decref(ev);
		}
		memmove(b->p, nl + 1, b->len - n - 1);
		b->len -= n + 1;
	}
}

static void dw_finish(struct docker_watch *w, struct dw_req *r, CURLcode cc, long status)
{
	enum dw_kind kind = r->kind;
	int64_t start_ns = r->start_ns;
	json_t *doc = NULL;
	char why[128];

	if (cc != CURLE_OK)
		snprintf(why, sizeof(why), "%s", curl_easy_strerror(cc));
	else if (status != 200)
		snprintf(why, sizeof(why), "HTTP status %ld", status);
	else
		snprintf(why, sizeof(why), "event stream ended");
	if (cc == CURLE_OK && status == 200 && kind != DW_EVENTS)
		doc = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, NULL);
	dw_req_end(w, r);
	if (kind == DW_EVENTS)
		dw_down(w, why);
	else if (kind == DW_LIST && json_is_array(doc))
		dw_up(w, doc);
	else if (kind == DW_LIST)
		dw_down(w, why);
	else if (doc)
		dw_adopt(w, doc, start_ns);
	else if (status != 404) /* 404: removed before we asked, nothing to do */
		log_warn("docker: inspect failed: %s", why);
	json_decref(doc);
}

static void dw_done(struct docker_watch *w)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(w->multi, &left))) {
		CURLcode cc = m->data.result;
		long status = 0;
		void *r = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &r);
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		dw_finish(w, r, cc, status);
	}
}

/* ---- public ---- */

static bool dw_wanted(const struct bh_config *cfg)
{
	struct stat st;

	if (strcmp(cfg->docker, "auto") == 0)
		return stat(cfg->docker_socket, &st) == 0;
	return strcmp(cfg->docker, "on") == 0;
}

static int dw_open(struct docker_watch *w)
{
	struct epoll_event ev = {.events = EPOLLIN};

	w->multi = curl_multi_init();
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!w->multi || w->epfd < 0 || w->tfd < 0)
		return -ENOMEM;
	ev.data.fd = w->tfd;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->tfd, &ev) < 0)
		return -errno;
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, dw_on_socket);
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, dw_on_timer);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
	return 0;
}

int docker_watch_new(struct docker_watch **out, struct bh_daemon *d)
{
	struct docker_watch *w = calloc(1, sizeof(*w));
	int rc;

	if (!w)
		return -ENOMEM;
	/* Also needed with the watcher off: `workload add --docker` inspects synchronously. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	w->d = d;
	w->sock = d->cfg.docker_socket;
	w->epfd = w->tfd = -1;
	w->curl_due = w->retry_due = -1;
	*out = w;
	if (!dw_wanted(&d->cfg)) {
		log_info("docker: watcher off (--docker %s)", d->cfg.docker);
		return 0;
	}
	rc = dw_open(w);
	if (rc < 0) {
		log_err("docker: watcher not started: %s", strerror(-rc));
		return 0;
	}
	w->state = DW_DOWN;
	dw_connect(w);
	dw_arm(w);
	return 0;
}

void docker_watch_free(struct docker_watch *w)
{
	if (!w)
		return;
	while (w->reqs)
		dw_req_end(w, w->reqs);
	while (w->modes)
		dw_mode_forget(w, w->modes->id);
	if (w->multi)
		curl_multi_cleanup(w->multi);
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->tfd >= 0)
		close(w->tfd);
	free(w);
	curl_global_cleanup();
}

int docker_watch_fd(const struct docker_watch *w)
{
	return w && w->state != DW_OFF ? w->epfd : -1;
}

void docker_watch_poll(struct docker_watch *w)
{
	struct epoll_event ev[16];
	uint64_t ticks;
	int n, running;

	if (!w || w->state == DW_OFF)
		return;
	if (read(w->tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_debug("docker: timer: %s", strerror(errno));
	n = epoll_wait(w->epfd, ev, 16, 0);
	for (int i = 0; i < n; i++) {
		int mask = 0;

		if (ev[i].data.fd == w->tfd)
			continue;
		mask |= ev[i].events & EPOLLIN ? CURL_CSELECT_IN : 0;
		mask |= ev[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0;
		mask |= ev[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0;
		curl_multi_socket_action(w->multi, ev[i].data.fd, mask, &running);
	}
	if (w->curl_due >= 0 && now_ms() >= w->curl_due) {
		w->curl_due = -1;
		curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	dw_drain_events(w);
	dw_done(w);
	if (w->retry_due >= 0 && now_ms() >= w->retry_due) {
		w->retry_due = -1;
		dw_connect(w);
	}
	dw_arm(w);
}

const char *docker_watch_state(const struct docker_watch *w)
{
	if (!w || w->state == DW_OFF)
		return "off";
	return w->state == DW_UP ? "connected" : "unavailable";
}
