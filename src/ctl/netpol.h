/*
 * netpol.h - Kubernetes NetworkPolicy (networking.k8s.io/v1) -> bulkhead policy.
 */
#ifndef BH_NETPOL_H
#define BH_NETPOL_H

#include <jansson.h>
#include <stddef.h>

struct bh_daemon;

/*
 * Translate NetworkPolicy objects (JSON, as parsed from YAML) into a policy.json-shaped
 * document {"version":1,"groups":[...],"rules":[...]} against d's workloads (their labels
 * and addresses).  0 or -errno with a one-line reason in err that starts with the path of
 * the bad item ("docs[1].spec.ingress[0].ports[0]: ...").
 */
int netpol_translate(struct bh_daemon *d, json_t *docs, json_t **out, char *err, size_t errlen);

#endif
