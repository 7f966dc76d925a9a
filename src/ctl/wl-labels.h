/*
 * wl-labels.h - workload labels (`workload add --label k=v`): what Kubernetes
 * NetworkPolicy selectors match on (netpol.c).
 */
#ifndef BH_WL_LABELS_H
#define BH_WL_LABELS_H

#include <jansson.h>

struct workload;

/* The request's "labels" object into w; NULL, or an error response. */
json_t *wl_labels_parse(json_t *req, struct workload *w);
/* Add "labels": {...} to a workload's JSON (list output and workloads.json). */
void wl_labels_to_json(const struct workload *w, json_t *j);
/* From workloads.json; a missing "labels" is none.  0 or -EINVAL. */
int wl_labels_from_json(json_t *j, struct workload *w);
/* The value of label key, or NULL. */
const char *wl_label(const struct workload *w, const char *key);
/* The workload's Kubernetes namespace: label "namespace" or "k8s.namespace", else "default". */
const char *wl_namespace(const struct workload *w);

#endif
