/*
 * cluster-etcd.h - a small, non-blocking client of etcd's v3 JSON gateway
 * (libcurl multi), driven from the daemon's main loop like the docker watcher.
 */
#ifndef BH_CLUSTER_ETCD_H
#define BH_CLUSTER_ETCD_H

#include <jansson.h>
#include <stddef.h>

struct etcd;

enum etcd_op { ETCD_LEASE_GRANT, ETCD_KEEPALIVE, ETCD_RANGE, ETCD_TXN, ETCD_WATCH, ETCD_OP__MAX };

/*
 * A unary call reports once: msg is the response object (err NULL) or err says why it
 * failed.  The watch stream reports every message, then once with err when it ends.
 * Callbacks run inside etcd_poll(); they must not call etcd_abort().
 */
typedef void (*etcd_cb)(void *ctx, enum etcd_op op, json_t *msg, const char *err);

/* endpoints: "HOST:PORT[,HOST:PORT...]" (at most 8). */
int etcd_new(struct etcd **out, const char *endpoints, etcd_cb cb, void *ctx);
void etcd_free(struct etcd *e);
/* Readable when there is work (a socket or curl's timer). */
int etcd_fd(const struct etcd *e);
void etcd_poll(struct etcd *e);
/* POST body (taken over, even on error) to the op's path on the current endpoint. */
int etcd_call(struct etcd *e, enum etcd_op op, json_t *body);
/* Drop every request and move to the next endpoint: the caller reconnects. */
void etcd_abort(struct etcd *e);
const char *etcd_endpoint(const struct etcd *e);
size_t etcd_inflight(const struct etcd *e);

/* Keys and values travel base64-encoded; results are malloc'd and NUL-terminated. */
char *etcd_b64(const char *s, size_t n);
char *etcd_unb64(const char *s, size_t *n);
/* int64 fields arrive as strings ("42"); 0 when absent or malformed. */
long long etcd_int(const json_t *j);

#endif
