/*
 * cluster.h - scale-out through etcd (bulkheadd --cluster etcd://...): share
 * groups, rules and a workload index between the nodes of a cluster.
 */
#ifndef BH_CLUSTER_H
#define BH_CLUSTER_H

#include <jansson.h>
#include <stddef.h>

struct bh_daemon;
struct cluster;

/* "etcd://HOST:PORT[,HOST:PORT...]": 0 or -EINVAL with a reason. */
int cluster_url_check(const char *url, char *err, size_t errlen);

/*
 * Without --cluster *out is NULL (single-node mode, every cluster_* call a no-op).
 * Call once the policy and the workload table are loaded: what they hold then is
 * the base local changes are measured against until etcd first answers.
 */
int cluster_new(struct cluster **out, struct bh_daemon *d, char *err, size_t errlen);
void cluster_free(struct cluster *c);

/* Readable when the etcd client has work; -1 when off. */
int cluster_fd(const struct cluster *c);
/* Push local changes, apply remote ones, reconnect when due; never blocks. */
void cluster_poll(struct cluster *c);

/* {"state": "connected"|"unavailable"|"off", "node", "endpoint", "revision", ...} */
json_t *cluster_status_json(const struct cluster *c);

#endif
