/*
 * docker-api.c - talk to the Docker Engine over its unix socket.
 *
 * A real HTTP client (libcurl with CURLOPT_UNIX_SOCKET_PATH) rather than the
 * docker CLI: the daemon must not depend on a client binary's version or
 * output format, and the event stream needs a long-lived connection anyway.
 * This file only knows the wire: requests, bodies, and which fields of a
 * container matter.  What becomes a workload is decided in wl-docker.c.
 */
#include "docker-api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

size_t docker_buf_write(char *data, size_t size, size_t n, void *buf)
{
	struct docker_buf *b = buf;
	size_t add = size * n;

	if (b->len + add + 1 > b->max)
		return 0; /* makes curl fail the transfer: better than an unbounded body */
	if (b->len + add + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + add + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, add);
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

void docker_buf_free(struct docker_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

bool docker_ref_ok(const char *ref)
{
	size_t n = 0;

	if (!ref || !*ref)
		return false;
	for (; ref[n]; n++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    ref[n]))
			return false;
	return n < 256;
}

CURL *docker_easy_new(const char *sock, const char *path)
{
	CURL *e = curl_easy_init();
	char url[512];

	if (!e)
		return NULL;
	/* The host part is ignored on a unix socket; the engine only looks at the path. */
	snprintf(url, sizeof(url), "http://docker%s", path);
	curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, docker_buf_write);
	return e;
}

static int curl_errno(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

int docker_get(const char *sock, const char *path, json_t **out, long *status, char *err,
	       size_t errlen)
{
	struct docker_buf b = {.max = DOCKER_BODY_MAX};
	CURL *e = docker_easy_new(sock, path);
	CURLcode cc;
	int rc = 0;

	*out = NULL;
	*status = 0;
	if (!e)
		return -ENOMEM;
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)DOCKER_TIMEOUT_MS);
	cc = curl_easy_perform(e);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "docker engine at %s: %s", sock, curl_easy_strerror(cc));
		rc = curl_errno(cc);
	} else {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
		*out = json_loadb(b.p ? b.p : "", b.len, 0, NULL);
		if (!*out && *status / 100 == 2) {
			snprintf(err, errlen, "docker engine: unreadable answer to GET %s", path);
			rc = -EPROTO;
		}
	}
	curl_easy_cleanup(e);
	docker_buf_free(&b);
	return rc;
}

int docker_inspect(const char *sock, const char *ref, struct docker_ctr *c, char *err,
		   size_t errlen)
{
	const char *msg;
	char path[320];
	json_t *doc;
	long status;
	int rc;

	if (!docker_ref_ok(ref)) {
		snprintf(err, errlen, "invalid docker container id or name");
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/containers/%s/json", ref);
	rc = docker_get(sock, path, &doc, &status, err, errlen);
	if (rc < 0)
		return rc;
	msg = json_string_value(json_object_get(doc, "message"));
	if (status == 404) {
		snprintf(err, errlen, "no such docker container: %s", ref);
		rc = -ENOENT;
	} else if (status != 200) {
		snprintf(err, errlen, "docker engine: %s", msg ? msg : "unexpected HTTP status");
		rc = -EIO;
	} else if (docker_ctr_parse(doc, c) < 0) {
		snprintf(err, errlen, "docker engine: inspect of %s lacks Id/State", ref);
		rc = -EPROTO;
	}
	json_decref(doc);
	return rc;
}

static bool ctr_has_group(const struct docker_ctr *c, const char *g)
{
	for (int i = 0; i < c->ngroups; i++)
		if (strcmp(c->groups[i], g) == 0)
			return true;
	return false;
}

/* A group name from a label: one the policy accepts, or remembered as ignored. */
static void ctr_add_group(struct docker_ctr *c, const char *g, size_t len)
{
	char name[DOCKER_NAME_MAX];

	while (len && (*g == ' ' || *g == '\t'))
		g++, len--;
	while (len && (g[len - 1] == ' ' || g[len - 1] == '\t'))
		len--;
	if (!len)
		return;
	snprintf(name, sizeof(name), "%.*s", (int)len, g);
	if (len >= sizeof(name) || !policy_name_valid(name) || !strcmp(name, "any") ||
	    !strcmp(name, "external") || c->ngroups >= DOCKER_MAX_GROUPS) {
		if (!c->bad_label[0])
			snprintf(c->bad_label, sizeof(c->bad_label), "group '%.*s'",
				 (int)(len < 64 ? len : 64), g);
		return;
	}
	if (!ctr_has_group(c, name))
		snprintf(c->groups[c->ngroups++], DOCKER_NAME_MAX, "%s", name);
}

static void ctr_labels(struct docker_ctr *c, json_t *labels)
{
	const char *groups = json_string_value(json_object_get(labels, DOCKER_LABEL_GROUP));
	const char *mode = json_string_value(json_object_get(labels, DOCKER_LABEL_MODE));
	const char *project = json_string_value(json_object_get(labels, DOCKER_LABEL_PROJECT));
	const char *service = json_string_value(json_object_get(labels, DOCKER_LABEL_SERVICE));
	enum bh_mode m;

	while (groups && *groups) {
		const char *comma = strchr(groups, ',');
		size_t len = comma ? (size_t)(comma - groups) : strlen(groups);

		ctr_add_group(c, groups, len);
		groups += comma ? len + 1 : len;
	}
	if (project)
		ctr_add_group(c, project, strlen(project));
	if (service)
		ctr_add_group(c, service, strlen(service));
	if (mode && bh_mode_parse(mode, &m) == 0)
		snprintf(c->mode, sizeof(c->mode), "%s", bh_mode_name(m));
	else if (mode && !c->bad_label[0])
		snprintf(c->bad_label, sizeof(c->bad_label), "mode '%.64s'", mode);
}

int docker_ctr_parse(json_t *doc, struct docker_ctr *c)
{
	const char *id = json_string_value(json_object_get(doc, "Id"));
	const char *name = json_string_value(json_object_get(doc, "Name"));
	const char *netmode;
	json_t *state = json_object_get(doc, "State");

	memset(c, 0, sizeof(*c));
	if (!id || strlen(id) >= DOCKER_ID_MAX || !json_is_object(state))
		return -EINVAL;
	snprintf(c->id, sizeof(c->id), "%s", id);
	if (name && *name == '/')
		name++;
	if (name && strlen(name) < DOCKER_NAME_MAX)
		snprintf(c->name, sizeof(c->name), "%s", name);
	c->running = json_is_true(json_object_get(state, "Running"));
	c->pid = (pid_t)json_integer_value(json_object_get(state, "Pid"));
	netmode =
	    json_string_value(json_object_get(json_object_get(doc, "HostConfig"), "NetworkMode"));
	snprintf(c->netmode, sizeof(c->netmode), "%s", netmode ? netmode : "");
	ctr_labels(c, json_object_get(json_object_get(doc, "Config"), "Labels"));
	return 0;
}

bool docker_has_label(json_t *doc, const char *sel)
{
	json_t *labels = json_object_get(json_object_get(doc, "Config"), "Labels");
	const char *eq = strchr(sel, '=');
	char key[256];
	const char *val;

	snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - sel) : (int)strlen(sel), sel);
	val = json_string_value(json_object_get(labels, key));
	return val && (!eq || strcmp(val, eq + 1) == 0);
}

const char *docker_ctr_unfit(const struct docker_ctr *c, char *buf, size_t len)
{
	const char *who = c->name[0] ? c->name : c->id;

	if (!c->running)
		snprintf(buf, len, "container %s is not running", who);
	else if (strcmp(c->netmode, "host") == 0)
		snprintf(buf, len, "container %s uses the host network: not enforceable", who);
	else if (strcmp(c->netmode, "none") == 0)
		snprintf(buf, len, "container %s has no network (--network none)", who);
	else if (strncmp(c->netmode, "container:", 10) == 0)
		snprintf(buf, len, "container %s shares the network of %.40s: enforce that one",
			 who, c->netmode + 10);
	else if (c->pid <= 0)
		snprintf(buf, len, "container %s has no process", who);
	else
		return NULL;
	return buf;
}

int docker_event_parse(json_t *ev, char id[DOCKER_ID_MAX], char *action, size_t alen,
		       int64_t *time_ns)
{
	const char *type = json_string_value(json_object_get(ev, "Type"));
	const char *act = json_string_value(json_object_get(ev, "Action"));
	const char *aid = json_string_value(json_object_get(json_object_get(ev, "Actor"), "ID"));

	if (!type || strcmp(type, "container") != 0 || !act || !aid || strlen(aid) >= DOCKER_ID_MAX)
		return -EINVAL;
	snprintf(id, DOCKER_ID_MAX, "%s", aid);
	snprintf(action, alen, "%s", act);
	*time_ns = (int64_t)json_integer_value(json_object_get(ev, "timeNano"));
	return 0;
}
