/*
 * wl-labels.c - workload labels: checked, stored in the workload table and
 * workloads.json, and read by the NetworkPolicy translation.
 *
 * Keys and values follow Kubernetes' label syntax (an optional "prefix/" on
 * keys), bounded so a workload stays a fixed-size record the table can copy.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl-socket.h"
#include "daemon.h"
#include "wl-labels.h"

/* [A-Za-z0-9] at both ends, [-A-Za-z0-9_.] between; slash allowed in keys (prefix/name). */
static bool label_ok(const char *s, size_t max, bool key)
{
	size_t n = strlen(s);

	if (n >= max || (key && n == 0))
		return false;
	if (n && (!isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1])))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]) && !(key && s[i] == '/'))
			return false;
	return true;
}

static int label_set(struct workload *w, const char *k, const char *v)
{
	if (!k || !v || !label_ok(k, WL_LABEL_KEY_MAX, true) ||
	    !label_ok(v, WL_LABEL_VAL_MAX, false))
		return -EINVAL;
	if (w->nlabels >= WL_MAX_LABELS)
		return -E2BIG;
	snprintf(w->labels[w->nlabels].key, WL_LABEL_KEY_MAX, "%s", k);
	snprintf(w->labels[w->nlabels].val, WL_LABEL_VAL_MAX, "%s", v);
	w->nlabels++;
	return 0;
}

json_t *wl_labels_parse(json_t *req, struct workload *w)
{
	json_t *labels = json_object_get(req, "labels"), *v;
	const char *k;
	int rc;

	if (labels && !json_is_object(labels))
		return ctl_error("labels must be an object of strings");
	json_object_foreach(labels, k, v) {
		rc = label_set(w, k, json_string_value(v));
		if (rc == -E2BIG)
			return ctl_error("too many labels (limit %d)", WL_MAX_LABELS);
		if (rc < 0)
			return ctl_error("invalid label %.64s (key: [prefix/]name up to %d, value up to "
					 "%d: letters, digits, '-', '_', '.')", k,
					 WL_LABEL_KEY_MAX - 1, WL_LABEL_VAL_MAX - 1);
	}
	return NULL;
}

void wl_labels_to_json(const struct workload *w, json_t *j)
{
	json_t *labels = json_object();

	for (int i = 0; i < w->nlabels; i++)
		json_object_set_new(labels, w->labels[i].key, json_string(w->labels[i].val));
	json_object_set_new(j, "labels", labels);
}

int wl_labels_from_json(json_t *j, struct workload *w)
{
	json_t *labels = json_object_get(j, "labels"), *v;
	const char *k;

	w->nlabels = 0;
	if (labels && !json_is_object(labels))
		return -EINVAL;
	json_object_foreach(labels, k, v)
		if (label_set(w, k, json_string_value(v)) < 0)
			return -EINVAL;
	return 0;
}

const char *wl_label(const struct workload *w, const char *key)
{
	for (int i = 0; i < w->nlabels; i++)
		if (!strcmp(w->labels[i].key, key))
			return w->labels[i].val;
	return NULL;
}

const char *wl_namespace(const struct workload *w)
{
	const char *ns = wl_label(w, "namespace");

	if (!ns)
		ns = wl_label(w, "k8s.namespace");
	return ns && *ns ? ns : "default";
}
