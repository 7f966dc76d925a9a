/*
 * ctl-socket.h - the control socket: one JSON request per line in, one JSON
 * response per line out, root peers only.
 */
#ifndef BH_CTL_SOCKET_H
#define BH_CTL_SOCKET_H

#include <jansson.h>
#include <stddef.h>

#define CTL_MAX_REQUEST (64 * 1024)
#define CTL_MAX_CLIENTS 64
/* A client that completes no request line for this long loses its slot (the CLI sends its
 * one request right after connecting), so idle or stalled clients cannot hold all slots. */
#define CTL_IDLE_MS 10000

struct ctl_server;

typedef json_t *(*ctl_handler_fn)(void *ctx, json_t *req);

int ctl_server_open(struct ctl_server **out, const char *path, char *err, size_t errlen);
void ctl_server_close(struct ctl_server *s);

/* Wait up to timeout_ms for requests (or extra_fd readable), serve them; 1 if extra_fd fired. */
int ctl_server_poll(struct ctl_server *s, int timeout_ms, int extra_fd, ctl_handler_fn fn,
		    void *ctx);

/* A response object: {"ok":false,"error":msg}. */
json_t *ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* {"ok":true,"result":result} (steals result; NULL gives no result key). */
json_t *ctl_ok(json_t *result);

#endif
