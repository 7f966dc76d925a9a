/*
 * metrics.h - the Prometheus endpoint (`bulkheadd --metrics ADDR:PORT`).
 *
 * The control thread renders the exposition text from its own state (it is
 * the only thread that may read the workload table and the model) into a
 * snapshot at most once a second; an HTTP thread serves the latest snapshot.
 */
#ifndef BH_METRICS_H
#define BH_METRICS_H

#include <stddef.h>

struct bh_daemon;
struct metrics;

/* Rebuild the snapshot at most this often. */
#define METRICS_REFRESH_MS 1000

/*
 * Listen on addr ("127.0.0.1:9100", "[::1]:9100", ":9100" = every address) in the
 * calling thread's netns.  0 or -errno with a one-line reason in err.
 */
int metrics_open(struct metrics **out, const char *addr, char *err, size_t errlen);
void metrics_close(struct metrics *m);

/* Control thread: refresh the snapshot if older than METRICS_REFRESH_MS; NULL m: no-op. */
void metrics_tick(struct metrics *m, struct bh_daemon *d);

/* The exposition text (format 0.0.4) of d's state, malloc'd; NULL when out of memory. */
char *metrics_render(struct bh_daemon *d, size_t *len);

#endif
