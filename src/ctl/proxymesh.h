/*
 * proxymesh.h - enforcement for workloads that run a service-mesh sidecar
 * (istio-proxy, envoy, linkerd2-proxy): verdicts on the sidecar's loopback
 * connections to the app, via NFQUEUE in the workload's netns (DESIGN §1 nfq).
 */
#ifndef BH_PROXYMESH_H
#define BH_PROXYMESH_H

#include <stdbool.h>
#include <stddef.h>

struct bh_daemon;
struct workload;
struct proxymesh;

/* The queue number we own in every proxymesh workload's netns (queues are per netns). */
#define PROXYMESH_QUEUE 4242
/* Where the sidecar accepts redirected inbound connections (istio's inbound capture port). */
#define PROXYMESH_INBOUND_PORT 15006

int proxymesh_new(struct proxymesh **out);
/*
 * True when a process named istio-proxy, envoy or linkerd2-proxy runs in w's netns (looked
 * at once, when the workload is added: a sidecar injected later needs --proxymesh).
 */
bool proxymesh_detect(const struct workload *w);
/* Stop every verdict thread and remove every chain we installed (bulkheadd stop). */
void proxymesh_free(struct bh_daemon *d);
/*
 * Install (after removing stale ones) the chains in w's netns and start its verdict
 * thread; 0 or -errno with a reason in err.
 */
int proxymesh_attach(struct bh_daemon *d, struct workload *w, char *err, size_t errlen);
/* Stop w's verdict thread and remove its chains; nothing attached is fine. */
void proxymesh_detach(struct bh_daemon *d, struct workload *w);
/* Control thread, after each model change: compile a policy for the verdict threads. */
void proxymesh_publish(struct bh_daemon *d);
/* Control thread, every loop: write the violations the verdict threads queued. */
void proxymesh_tick(struct bh_daemon *d);

#endif
