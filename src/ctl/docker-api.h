/*
 * docker-api.h - the Docker Engine API as bulkhead needs it: HTTP over the
 * engine's unix socket (libcurl), and the few fields of a container that
 * decide whether and how it becomes a workload.
 */
#ifndef BH_DOCKER_API_H
#define BH_DOCKER_API_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DOCKER_SOCKET_DEFAULT "/var/run/docker.sock"
#define DOCKER_ID_MAX 65 /* 64 hex digits + NUL */
#define DOCKER_NAME_MAX 64
#define DOCKER_MAX_GROUPS 16
/* Requests answered by a local engine; a slower one counts as unavailable. */
#define DOCKER_TIMEOUT_MS 3000
/* An inspect document is a few KB; a list of many containers stays well below this. */
#define DOCKER_BODY_MAX (16u << 20)

/* Labels a container carries to steer its workload. */
#define DOCKER_LABEL_GROUP "bulkhead.group"
#define DOCKER_LABEL_MODE "bulkhead.mode"
#define DOCKER_LABEL_PROJECT "com.docker.compose.project"
#define DOCKER_LABEL_SERVICE "com.docker.compose.service"

struct docker_ctr {
	char id[DOCKER_ID_MAX];
	char name[DOCKER_NAME_MAX]; /* without the leading '/'; "" when it does not fit */
	bool running;
	pid_t pid;
	char netmode[80]; /* HostConfig.NetworkMode: bridge, host, none, container:X */
	int ngroups;
	char groups[DOCKER_MAX_GROUPS][DOCKER_NAME_MAX];
	char mode[16]; /* label bulkhead.mode, "" when absent */
	char bad_label[128]; /* first label value that was ignored, for the log */
};

/* A response body collected by docker_buf_write (a curl write callback), bounded by max. */
struct docker_buf {
	char *p;
	size_t len, cap, max;
};

size_t docker_buf_write(char *data, size_t size, size_t n, void *buf);
void docker_buf_free(struct docker_buf *b);

/* A container id or name the API accepts in a path ([A-Za-z0-9_.-], not empty). */
bool docker_ref_ok(const char *ref);

/* An easy handle for GET path on the engine at sock (not yet performed). */
CURL *docker_easy_new(const char *sock, const char *path);

/* GET path synchronously; *out is the parsed JSON body, *status the HTTP status. */
int docker_get(const char *sock, const char *path, json_t **out, long *status, char *err,
	       size_t errlen);

/* GET /containers/{ref}/json and parse it; one-line reasons in err. */
int docker_inspect(const char *sock, const char *ref, struct docker_ctr *c, char *err,
		   size_t errlen);

/* Parse an inspect document (also used on bodies the watcher fetched). */
int docker_ctr_parse(json_t *doc, struct docker_ctr *c);

/* Does the inspected container carry label sel ("KEY" or "KEY=VALUE")? */
bool docker_has_label(json_t *doc, const char *sel);

/* Why a container cannot be enforced (not running, host network, ...); NULL if it can. */
const char *docker_ctr_unfit(const struct docker_ctr *c, char *buf, size_t len);

/* One line of GET /events: the container id and action; -EINVAL for other events. */
int docker_event_parse(json_t *ev, char id[DOCKER_ID_MAX], char *action, size_t alen,
		       int64_t *time_ns);

#endif
