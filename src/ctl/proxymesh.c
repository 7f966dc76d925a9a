/*
 * proxymesh.c - enforcement for workloads with a service-mesh sidecar (DESIGN §1, nfq).
 *
 * In such a pod the sidecar (istio-proxy, envoy, linkerd2-proxy) terminates every inbound
 * connection (nat REDIRECT to its port 15006) and opens a new one to the app over lo, so
 * the app only ever sees 127.0.0.1.  Pulling the port would judge the client's packets
 * before the sidecar; here we judge the sidecar's loopback connection to the app instead,
 * with the real client recovered from the sidecar's inbound sockets.  bulkheadd installs, in
 * the workload's netns, chains BULKHEAD_INPUT_PROXYMESH / BULKHEAD_OUTPUT_PROXYMESH (jumped
 * to from INPUT -i lo / OUTPUT -o lo) whose INPUT chain sends lo TCP SYNs to NFQUEUE
 * PROXYMESH_QUEUE with --queue-bypass: while no bulkheadd listens (stopped, crashed) the
 * kernel lets them pass - fail open by design, so a dead enforcer never takes a meshed pod
 * down.  The rules are installed by fork/exec of iptables/ip6tables in the workload's netns:
 * a handful of calls per workload add/remove, never on a packet's path.
 *
 * One verdict thread per workload: NFQUEUE queues live per netns, so each thread enters its
 * workload's netns, binds the queue there and asks that netns' sock_diag for the sidecar's
 * inbound connections (pm-diag.c: one filtered dump per batch of SYNs, not a parse of the
 * netns' whole /proc/net/tcp{,6} per SYN).  The threads evaluate a compiled policy of their
 * own (published by the control thread under a mutex that is only held around policy_eval)
 * and hand violations back to the control thread, which alone writes violations.jsonl.
 */
#include "proxymesh.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conv.h"
#include "daemon.h"
#include "jsonl.h"
#include "log.h"
#include "netns.h"
#include "pm-diag.h"
#include "policy/policy.h"
#include "wire/wire.h"

#define CHAIN_IN "BULKHEAD_INPUT_PROXYMESH"
#define CHAIN_OUT "BULKHEAD_OUTPUT_PROXYMESH"
#define VIOL_RING 256
#define RECV_TIMEOUT_MS 200 /* how fast a verdict thread notices it must stop */
#define BATCH 64 /* verdicts held back while more queued packets are waiting to be read */

/* One violation, queued by a verdict thread for the control thread. */
struct pm_viol {
	int64_t ms;
	char workload[WL_NAME_MAX];
	struct policy_addr from, to;
	uint16_t port;
	uint32_t rule_id;
	uint8_t action; /* enum policy_result */
	uint8_t mode;	/* enum bh_mode */
};

struct pm_wl {
	struct proxymesh *pm;
	uint32_t wl_id;
	char name[WL_NAME_MAX];
	int nsfd;
	pthread_t th;
	atomic_int stop;
	sem_t ready;
	int start_rc;
	struct nfq_handle *h;
	struct nfq_q_handle *qh;
	/* Packets read, not yet answered (ascending ids); decided together at the flush. */
	uint32_t pend_id[BATCH];
	uint32_t pend_v[BATCH];
	uint16_t pend_port[BATCH];
	bool pend_judge[BATCH]; /* a SYN to the app (pend_port) to judge; else accepted */
	int npend;
	struct pm_diag diag;	    /* sock_diag socket in the workload's netns */
	struct pm_diag_set *search; /* scratch of find_clients() */
	unsigned int diag_warned;
	struct pm_wl *next;
};

struct proxymesh {
	pthread_mutex_t lock; /* guards pol and the violation ring, never held across I/O */
	struct policy *pol;
	struct pm_viol ring[VIOL_RING];
	unsigned int head, tail;
	uint64_t viol_lost;
	struct pm_wl *wls; /* control thread only */
};

int proxymesh_new(struct proxymesh **out)
{
	struct proxymesh *pm = calloc(1, sizeof(*pm));

	if (!pm)
		return -ENOMEM;
	pthread_mutex_init(&pm->lock, NULL);
	*out = pm;
	return 0;
}

static int wl_nsfd(const struct workload *w)
{
	return w->kind == WL_NETNS_NAME ? netns_open_name(w->netns) : netns_open_pid(w->pid);
}

static bool is_sidecar(const char *pid)
{
	static const char *const names[] = {"istio-proxy", "envoy", "linkerd2-proxy"};
	char path[300], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	comm[strcspn(comm, "\n")] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(comm, names[i]) == 0)
			return true;
	return false;
}

bool proxymesh_detect(const struct workload *w)
{
	struct stat ns, st;
	bool found = false;
	struct dirent *e;
	int fd = wl_nsfd(w);
	DIR *dir;

	if (fd < 0)
		return false;
	if (fstat(fd, &ns) < 0 || !(dir = opendir("/proc"))) {
		close(fd);
		return false;
	}
	while (!found && (e = readdir(dir))) {
		char path[300];

		if (e->d_name[0] < '1' || e->d_name[0] > '9' || !is_sidecar(e->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		found = stat(path, &st) == 0 && st.st_ino == ns.st_ino && st.st_dev == ns.st_dev;
	}
	closedir(dir);
	close(fd);
	return found;
}

/* ---- iptables in the workload's netns ---- */

static int ipt_run(int nsfd, const char *bin, const char *const *args)
{
	const char *argv[24];
	int n = 0, status;
	pid_t pid;

	argv[n++] = bin;
	argv[n++] = "-w";
	while (*args && n < 23)
		argv[n++] = *args++;
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		if (setns(nsfd, CLONE_NEWNET) < 0)
			_exit(126);
		execvp(bin, (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Flush and delete our chains and every jump to them; whatever is missing is fine. */
static void ipt_remove(int nsfd, const char *bin)
{
	const char *del_in[] = {"-D", "INPUT", "-i", "lo", "-j", CHAIN_IN, NULL};
	const char *del_out[] = {"-D", "OUTPUT", "-o", "lo", "-j", CHAIN_OUT, NULL};
	const char *chains[] = {CHAIN_IN, CHAIN_OUT};

	/* A crash between two installs may have left more than one jump. */
	for (int i = 0; i < 8 && ipt_run(nsfd, bin, del_in) == 0; i++)
		;
	for (int i = 0; i < 8 && ipt_run(nsfd, bin, del_out) == 0; i++)
		;
	for (int i = 0; i < 2; i++) {
		const char *flush[] = {"-F", chains[i], NULL}, *del[] = {"-X", chains[i], NULL};

		ipt_run(nsfd, bin, flush);
		ipt_run(nsfd, bin, del);
	}
}

static int ipt_install(int nsfd, const char *bin)
{
	static const char queue[] = "4242"; /* PROXYMESH_QUEUE */
	const char *const cmds[][16] = {
		{"-N", CHAIN_IN, NULL},
		{"-N", CHAIN_OUT, NULL},
		{"-A", CHAIN_IN, "-p", "tcp", "--syn", "-j", "NFQUEUE", "--queue-num", queue,
		 "--queue-bypass", NULL},
		/* Egress through the sidecar is not judged here yet: the chain only returns. */
		{"-A", CHAIN_OUT, "-j", "RETURN", NULL},
		{"-I", "INPUT", "1", "-i", "lo", "-j", CHAIN_IN, NULL},
		{"-I", "OUTPUT", "1", "-o", "lo", "-j", CHAIN_OUT, NULL},
	};
	int rc;

	_Static_assert(PROXYMESH_QUEUE == 4242, "queue string above must follow");
	ipt_remove(nsfd, bin);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		rc = ipt_run(nsfd, bin, cmds[i]);
		if (rc < 0) {
			ipt_remove(nsfd, bin);
			return rc;
		}
	}
	return 0;
}

/* ---- recovering the real client from the sidecar's sockets ---- */

static void addr_unmap(const uint8_t a[16], struct policy_addr *out)
{
	static const uint8_t map[12] = {[10] = 0xff, [11] = 0xff};

	memset(out, 0, sizeof(*out));
	if (memcmp(a, map, 12) == 0) {
		out->family = AF_INET;
		memcpy(out->a, a + 12, 4);
	} else {
		out->family = AF_INET6;
		memcpy(out->a, a, 16);
	}
}

/*
 * Candidates for the real client of a sidecar connection to the app: every connection the
 * sidecar accepted on PROXYMESH_INBOUND_PORT and still holds.  Nothing in the kernel ties
 * one of them to the outgoing socket (the link lives inside the proxy; socket inode order
 * is per CPU), so with several at once the caller judges them all.  One query serves every
 * SYN read in the same batch: it runs after all of them were queued, so each one's client
 * (connected before the sidecar dialled the app) is in it.  Returns how many; a failed
 * query finds none, which fails open like the queue bypass.
 */
static int find_clients(struct pm_wl *wl)
{
	int rc;

	wl->search->lport = PROXYMESH_INBOUND_PORT;
	rc = pm_diag_query(&wl->diag, wl->search);
	if (rc < 0) {
		if (!wl->diag_warned++)
			log_warn("workload %s: proxymesh: sock_diag: %s (SYNs pass unjudged)",
				 wl->name, strerror(-rc));
		return 0;
	}
	return wl->search->n;
}

/* ---- verdicts ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void viol_push(struct proxymesh *pm, const struct pm_viol *v)
{
	if (pm->head - pm->tail >= VIOL_RING) {
		pm->viol_lost++;
		return;
	}
	pm->ring[pm->head++ % VIOL_RING] = *v;
}

/* The TCP SYN's destination port; -EINVAL when this is not a SYN we judge. */
static int syn_decode(const uint8_t *pkt, int len, uint16_t *dport)
{
	const uint8_t *tcp;

	if (len >= 20 && pkt[0] >> 4 == 4) {
		int ihl = (pkt[0] & 15) * 4;

		if (pkt[9] != IPPROTO_TCP || ihl < 20 || len < ihl + 20)
			return -EINVAL;
		tcp = pkt + ihl;
	} else if (len >= 60 && pkt[0] >> 4 == 6) {
		/* The sidecar's own connections carry no extension headers. */
		if (pkt[6] != IPPROTO_TCP)
			return -EINVAL;
		tcp = pkt + 40;
	} else {
		return -EINVAL;
	}
	if ((tcp[13] & 0x12) != 0x02) /* SYN without ACK */
		return -EINVAL;
	*dport = (uint16_t)(tcp[2] << 8 | tcp[3]);
	return 0;
}

/*
 * The sidecar's own ports (istio 15000-15099, linkerd 4140-4191): the app's outbound
 * connections REDIRECTed to the sidecar and its admin/health ports cross lo too, and are
 * not connections to the app.
 */
static bool sidecar_port(uint16_t port)
{
	return (port >= 15000 && port <= 15099) || (port >= 4140 && port <= 4191);
}

/*
 * Judge a sidecar connection to the app as ingress from its real client.  When several
 * clients are connected to the sidecar at once we cannot tell which one this is, so the
 * most restrictive verdict among them wins: a denied client never slips in alongside an
 * allowed one (the price: an allowed client racing a denied one may be refused too).
 */
static uint32_t decide(struct pm_wl *wl, uint16_t dport, int n)
{
	struct proxymesh *pm = wl->pm;
	struct policy_query q = {
		.wl_id = wl->wl_id, .dir = POLICY_INGRESS, .proto = POLICY_PROTO_TCP,
		/* DPI does not see mesh traffic: a rule with apps allows it provisionally. */
		.app = BH_APP_PENDING,
	};
	struct pm_viol e = {0};
	bool block = false, logit = false;

	/* No inbound connection behind it: traffic inside the workload (its own group). */
	if (n == 0)
		return NF_ACCEPT;
	q.port = dport;
	pthread_mutex_lock(&pm->lock);
	for (int i = 0; i < n && !block; i++) {
		const struct pm_sock *c = &wl->search->s[i];
		struct policy_verdict v;

		addr_unmap(c->remote, &q.peer);
		/* Unknown workload or no policy yet: fail open, like the bypass itself. */
		if (!pm->pol || policy_eval(pm->pol, &q, &v) < 0)
			break;
		block = v.action == POLICY_BLOCK;
		if (v.violation && (!logit || block)) {
			logit = true;
			e.from = q.peer;
			addr_unmap(c->local, &e.to);
			e.rule_id = v.rule_id;
			e.action = (uint8_t)v.action;
			e.mode = (uint8_t)v.mode;
		}
	}
	if (logit) {
		e.ms = now_ms();
		e.port = dport;
		snprintf(e.workload, sizeof(e.workload), "%s", wl->name);
		viol_push(pm, &e);
	}
	pthread_mutex_unlock(&pm->lock);
	return block ? NF_DROP : NF_ACCEPT;
}

/*
 * Decide what is pending (one client query for all its SYNs), then send it: one batch
 * verdict (every pending id up to the given one) per run of equal verdicts.  Ids rise in
 * queue order, and each run's predecessors are already answered, so a batch never covers
 * a packet of another run.
 */
static void verdicts_flush(struct pm_wl *wl)
{
	int n = -1;

	for (int i = 0; i < wl->npend; i++) {
		if (!wl->pend_judge[i])
			continue;
		if (n < 0)
			n = find_clients(wl);
		wl->pend_v[i] = decide(wl, wl->pend_port[i], n);
	}
	for (int i = 0; i < wl->npend; i++)
		if (i == wl->npend - 1 || wl->pend_v[i + 1] != wl->pend_v[i])
			nfq_set_verdict_batch(wl->qh, wl->pend_id[i], wl->pend_v[i]);
	wl->npend = 0;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
		     void *data)
{
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	struct pm_wl *wl = data;
	unsigned char *pkt = NULL;
	uint16_t dport = 0;
	int len;

	(void)qh;
	(void)msg;
	if (!ph)
		return 0;
	len = nfq_get_payload(nfa, &pkt);
	wl->pend_id[wl->npend] = ntohl(ph->packet_id);
	wl->pend_v[wl->npend] = NF_ACCEPT;
	wl->pend_judge[wl->npend] =
		len > 0 && syn_decode(pkt, len, &dport) == 0 && !sidecar_port(dport);
	wl->pend_port[wl->npend] = dport;
	if (++wl->npend == BATCH)
		verdicts_flush(wl);
	return 0;
}

static int queue_open(struct pm_wl *wl)
{
	struct timeval tv = {.tv_usec = RECV_TIMEOUT_MS * 1000};

	int rc;

	if (setns(wl->nsfd, CLONE_NEWNET) < 0)
		return -errno;
	/* Opened here, in the workload's netns, once: every query after reuses it. */
	rc = pm_diag_open(&wl->diag);
	if (rc < 0)
		return rc;
	wl->h = nfq_open();
	if (!wl->h)
		return errno ? -errno : -EIO;
	wl->qh = nfq_create_queue(wl->h, PROXYMESH_QUEUE, on_packet, wl);
	if (!wl->qh)
		return errno ? -errno : -EBUSY;
	/* Headers are all we read; a full queue accepts rather than drops (fail open). */
	if (nfq_set_mode(wl->qh, NFQNL_COPY_PACKET, 128) < 0)
		return -EIO;
	nfq_set_queue_flags(wl->qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
	setsockopt(nfq_fd(wl->h), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

static void *verdict_thread(void *arg)
{
	struct pm_wl *wl = arg;
	char buf[4096] __attribute__((aligned));

	wl->start_rc = queue_open(wl);
	sem_post(&wl->ready);
	if (wl->start_rc < 0)
		return NULL;
	while (!atomic_load(&wl->stop)) {
		ssize_t n = recv(nfq_fd(wl->h), buf, sizeof(buf), 0);

		/* Decide everything already waiting, then answer it in batches. */
		for (int i = 0; n > 0 && i < BATCH; i++) {
			nfq_handle_packet(wl->h, buf, (int)n);
			n = recv(nfq_fd(wl->h), buf, sizeof(buf), MSG_DONTWAIT);
		}
		verdicts_flush(wl);
		/* ENOBUFS: the kernel dropped messages; queued packets still get verdicts. */
	}
	return NULL;
}

static void pm_wl_free(struct pm_wl *wl)
{
	if (wl->qh)
		nfq_destroy_queue(wl->qh);
	if (wl->h)
		nfq_close(wl->h);
	if (wl->nsfd >= 0)
		close(wl->nsfd);
	pm_diag_close(&wl->diag);
	sem_destroy(&wl->ready);
	free(wl->search);
	free(wl);
}

int proxymesh_attach(struct bh_daemon *d, struct workload *w, char *err, size_t errlen)
{
	struct pm_wl *wl;
	int rc;

	if (!d->mesh)
		return -ENODEV;
	proxymesh_detach(d, w);
	wl = calloc(1, sizeof(*wl));
	if (!wl)
		return -ENOMEM;
	wl->search = malloc(sizeof(*wl->search));
	if (!wl->search) {
		free(wl);
		return -ENOMEM;
	}
	wl->pm = d->mesh;
	wl->wl_id = w->id;
	snprintf(wl->name, sizeof(wl->name), "%s", w->name);
	sem_init(&wl->ready, 0, 0);
	wl->nsfd = wl_nsfd(w);
	if (wl->nsfd < 0) {
		rc = wl->nsfd;
		snprintf(err, errlen, "workload %s: netns: %s", w->name, strerror(-rc));
		pm_wl_free(wl);
		return rc;
	}
	rc = pthread_create(&wl->th, NULL, verdict_thread, wl);
	if (rc) {
		snprintf(err, errlen, "proxymesh verdict thread: %s", strerror(rc));
		pm_wl_free(wl);
		return -rc;
	}
	sem_wait(&wl->ready);
	/* Its addresses, so the dp and the logs know the pod by name; the port stays put. */
	if (wire_snapshot_read(wl->nsfd, w->iface, &w->port.orig, err, errlen) < 0) {
		log_warn("workload %s: %s: addresses unknown to the policy", w->name, err);
		memset(&w->port.orig, 0, sizeof(w->port.orig));
	}
	rc = wl->start_rc;
	if (rc < 0) {
		snprintf(err, errlen, "NFQUEUE %d in workload %s's netns: %s", PROXYMESH_QUEUE,
			 w->name, strerror(-rc));
	} else if ((rc = ipt_install(wl->nsfd, "iptables")) < 0) {
		snprintf(err, errlen, "iptables in workload %s's netns failed", w->name);
	}
	if (rc < 0) {
		atomic_store(&wl->stop, 1);
		pthread_join(wl->th, NULL);
		pm_wl_free(wl);
		return rc;
	}
	if (ipt_install(wl->nsfd, "ip6tables") < 0)
		log_warn("workload %s: ip6tables chains not installed: IPv6 lo not judged", w->name);
	wl->next = d->mesh->wls;
	d->mesh->wls = wl;
	proxymesh_publish(d);
	log_info("workload %s: proxymesh: lo TCP SYNs to NFQUEUE %d (bypass when we are gone)",
		 w->name, PROXYMESH_QUEUE);
	return 0;
}

static void pm_wl_stop(struct pm_wl *wl)
{
	/* Rules first: from then on the queue gets nothing new. */
	ipt_remove(wl->nsfd, "iptables");
	ipt_remove(wl->nsfd, "ip6tables");
	atomic_store(&wl->stop, 1);
	pthread_join(wl->th, NULL);
	pm_wl_free(wl);
}

void proxymesh_detach(struct bh_daemon *d, struct workload *w)
{
	struct pm_wl **pp;

	if (!d->mesh)
		return;
	for (pp = &d->mesh->wls; *pp; pp = &(*pp)->next) {
		if ((*pp)->wl_id == w->id) {
			struct pm_wl *wl = *pp;

			*pp = wl->next;
			pm_wl_stop(wl);
			log_info("workload %s: proxymesh chains removed", w->name);
			return;
		}
	}
}

void proxymesh_free(struct bh_daemon *d)
{
	struct proxymesh *pm = d->mesh;

	if (!pm)
		return;
	while (pm->wls) {
		struct pm_wl *wl = pm->wls;

		pm->wls = wl->next;
		pm_wl_stop(wl);
	}
	proxymesh_tick(d);
	policy_free(pm->pol);
	pthread_mutex_destroy(&pm->lock);
	free(pm);
	d->mesh = NULL;
}

void proxymesh_publish(struct bh_daemon *d)
{
	struct policy *p = NULL, *old;

	if (!d->mesh || !d->mesh->wls || !d->model)
		return;
	if (policy_compile(d->model, &p) < 0) {
		log_err("proxymesh: policy compile failed; keeping the previous one");
		return;
	}
	pthread_mutex_lock(&d->mesh->lock);
	old = d->mesh->pol;
	d->mesh->pol = p;
	pthread_mutex_unlock(&d->mesh->lock);
	policy_free(old); /* no thread holds it: they only use it under the lock */
}

/* The workload (by the model) that owns addr, or "external". */
static const char *addr_owner(const struct bh_daemon *d, const struct policy_addr *a)
{
	size_t n = policy_workload_count(d->model);

	for (size_t i = 0; i < n; i++) {
		const struct policy_workload *w = policy_workload_at(d->model, i);

		for (size_t j = 0; j < w->n_addrs; j++)
			if (w->addrs[j].family == a->family &&
			    !memcmp(w->addrs[j].a, a->a, a->family == AF_INET ? 4 : 16))
				return w->name;
	}
	return "external";
}

static void viol_write(struct bh_daemon *d, const struct pm_viol *v)
{
	char time[40], port[32], from_ip[64], to_ip[64];
	json_t *rule = v->rule_id ? json_integer(v->rule_id) : json_string("default"), *j;

	jsonl_time_iso(v->ms, time, sizeof(time));
	conv_port_format(POLICY_PROTO_TCP, v->port, port, sizeof(port));
	policy_addr_format(&v->from, from_ip, sizeof(from_ip));
	policy_addr_format(&v->to, to_ip, sizeof(to_ip));
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:s}", "time",
		      time, "from", addr_owner(d, &v->from), "to", v->workload, "from_ip", from_ip,
		      "to_ip", to_ip, "port", port, "proto", "tcp", "rule_id", rule, "action",
		      v->action == POLICY_BLOCK ? "deny" : "allow", "mode",
		      bh_mode_name((enum bh_mode)v->mode), "end", "ingress", "workload",
		      v->workload, "stage", "proxymesh");
	if (!j)
		return;
	d->violations++;
	jsonl_append(&d->logs[BH_LOGF_VIOLATIONS], j);
	json_decref(j);
}

void proxymesh_tick(struct bh_daemon *d)
{
	struct pm_viol batch[32];
	unsigned int n;

	if (!d->mesh)
		return;
	do {
		pthread_mutex_lock(&d->mesh->lock);
		for (n = 0; n < 32 && d->mesh->tail != d->mesh->head; n++)
			batch[n] = d->mesh->ring[d->mesh->tail++ % VIOL_RING];
		pthread_mutex_unlock(&d->mesh->lock);
		for (unsigned int i = 0; i < n; i++)
			viol_write(d, &batch[i]);
	} while (n == 32);
}
