/*
 * steer-smoke.c - drives src/steer by hand for tests/e2e/steer-smoke/run.sh.
 *
 * There is no dp yet, so this stands in for it: a reflector reads every frame from the dp
 * port with an AF_PACKET socket and sends it back unchanged, which is exactly the "forward"
 * verdict.  Frames carry a virtio_net_hdr (PACKET_VNET_HDR) so 64 KB GSO frames and
 * checksum-partial state pass whole, as in the real dp (DESIGN §6).
 *
 *   steer-smoke probe KIND                       prints 1 or 0 (steer_probe_action)
 *   steer-smoke choose DRIVER NETNS DP DPP       opens and closes; prints "name<TAB>why"
 *   steer-smoke run DRIVER NETNS DP DPP IDX,VIN,VEX,MAC...
 *       attaches the ports and reflects.  SIGUSR2 prints "count N"; SIGUSR1 stops reflecting
 *       (closes the socket) and prints "stopped N"; SIGTERM detaches, closes, prints "final N".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns.h"
#include "steer/steer-probe.h"
#include "steer/steer.h"

#define MAX_PORTS 8
#define FRAME_MAX (256 * 1024) /* vnet header + a GSO frame */

struct smoke {
	struct steer_config cfg;
	struct steer *steer;
	struct steer_port ports[MAX_PORTS];
	int nports;
	int pkt_fd;
	unsigned long reflected;
	unsigned long send_errors;
};

static int ifindex_in(int nsfd, const char *name)
{
	struct netns_saved saved;
	int idx;

	if (netns_enter(nsfd, &saved) < 0)
		return -1;
	idx = (int)if_nametoindex(name);
	netns_leave(&saved);
	return idx > 0 ? idx : -1;
}

static int setup_config(struct smoke *sm, char **argv)
{
	sm->cfg.driver = argv[0];
	sm->cfg.enf_netns_name = argv[1];
	sm->cfg.dp_name = argv[2];
	sm->cfg.dpp_name = argv[3];
	sm->cfg.enf_netns_fd = netns_open_name(argv[1]);
	if (sm->cfg.enf_netns_fd < 0) {
		fprintf(stderr, "netns %s: %s\n", argv[1], strerror(-sm->cfg.enf_netns_fd));
		return -1;
	}
	sm->cfg.dp_ifindex = ifindex_in(sm->cfg.enf_netns_fd, argv[2]);
	sm->cfg.dpp_ifindex = ifindex_in(sm->cfg.enf_netns_fd, argv[3]);
	if (sm->cfg.dp_ifindex < 0 || sm->cfg.dpp_ifindex < 0) {
		fprintf(stderr, "%s/%s not found in %s\n", argv[2], argv[3], argv[1]);
		return -1;
	}
	return 0;
}

static int open_steer(struct smoke *sm)
{
	char err[256];
	int rc = steer_open(&sm->steer, &sm->cfg, err, sizeof(err));

	if (rc < 0)
		fprintf(stderr, "steer_open: %s (%s)\n", err, strerror(-rc));
	return rc;
}

/* "IDX,VIN,VEX,aa:bb:cc:dd:ee:ff" */
static int parse_port(struct smoke *sm, const char *spec, struct steer_port *p)
{
	unsigned int idx, m[6];
	char vin[16], vex[16];
	int i;

	memset(p, 0, sizeof(*p));
	if (sscanf(spec, "%u,%15[^,],%15[^,],%x:%x:%x:%x:%x:%x", &idx, vin, vex, &m[0], &m[1],
		   &m[2], &m[3], &m[4], &m[5]) != 9) {
		fprintf(stderr, "bad port spec %s\n", spec);
		return -1;
	}
	p->idx = (uint16_t)idx;
	for (i = 0; i < 6; i++)
		p->mac[i] = (uint8_t)m[i];
	snprintf(p->vin, sizeof(p->vin), "%s", vin);
	snprintf(p->vex, sizeof(p->vex), "%s", vex);
	p->vin_ifindex = ifindex_in(sm->cfg.enf_netns_fd, vin);
	p->vex_ifindex = ifindex_in(sm->cfg.enf_netns_fd, vex);
	if (p->vin_ifindex < 0 || p->vex_ifindex < 0) {
		fprintf(stderr, "%s/%s not found\n", vin, vex);
		return -1;
	}
	return 0;
}

/* The reflector's socket, made inside the enforcer netns and bound to the dp port. */
static int open_reflector(struct smoke *sm)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = sm->cfg.dp_ifindex,
	};
	struct netns_saved saved;
	int fd, one = 1;

	if (netns_enter(sm->cfg.enf_netns_fd, &saved) < 0)
		return -1;
	/* Protocol 0 until bound: no frames from other devices queue up meanwhile. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	netns_leave(&saved);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("reflector socket");
		close(fd);
		return -1;
	}
	return fd;
}

static void reflect(struct smoke *sm, unsigned char *buf)
{
	for (;;) {
		ssize_t n = recv(sm->pkt_fd, buf, FRAME_MAX, MSG_TRUNC);

		if (n < 0)
			return;
		if (n > FRAME_MAX) {
			sm->send_errors++;
			continue;
		}
		if (send(sm->pkt_fd, buf, (size_t)n, 0) == n)
			sm->reflected++;
		else if (sm->send_errors++ == 0)
			perror("reflector send");
	}
}

static void say(const char *what, const struct smoke *sm)
{
	printf("%s %lu errors %lu\n", what, sm->reflected, sm->send_errors);
	fflush(stdout);
}

/* Returns when SIGTERM/SIGINT arrives. */
static void serve(struct smoke *sm, int sigfd, unsigned char *buf)
{
	for (;;) {
		struct pollfd pfd[2] = {{.fd = sigfd, .events = POLLIN},
					{.fd = sm->pkt_fd, .events = POLLIN}};
		struct signalfd_siginfo si;

		if (poll(pfd, sm->pkt_fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			return;
		if (sm->pkt_fd >= 0 && (pfd[1].revents & POLLIN))
			reflect(sm, buf);
		if (!(pfd[0].revents & POLLIN) || read(sigfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGUSR2) {
			say("count", sm);
		} else if (si.ssi_signo == SIGUSR1) {
			if (sm->pkt_fd >= 0)
				close(sm->pkt_fd);
			sm->pkt_fd = -1;
			say("stopped", sm);
		} else {
			return;
		}
	}
}

static int cmd_run(struct smoke *sm, int argc, char **argv)
{
	unsigned char *buf;
	sigset_t set;
	int i, rc, sigfd;

	if (argc < 5 || setup_config(sm, argv) < 0 || open_steer(sm) < 0)
		return 1;
	printf("driver %s (%s)\n", steer_name(sm->steer), steer_why(sm->steer));
	for (i = 4; i < argc && sm->nports < MAX_PORTS; i++) {
		struct steer_port *p = &sm->ports[sm->nports];

		if (parse_port(sm, argv[i], p) < 0)
			return 1;
		rc = steer_attach(sm->steer, p);
		if (rc < 0) {
			fprintf(stderr, "steer_attach %s: %s\n", argv[i], strerror(-rc));
			return 1;
		}
		sm->nports++;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	buf = malloc(FRAME_MAX);
	sm->pkt_fd = open_reflector(sm);
	if (sigfd < 0 || !buf || sm->pkt_fd < 0)
		return 1;
	say("ready", sm);
	serve(sm, sigfd, buf);
	for (i = 0; i < sm->nports; i++) {
		rc = steer_detach(sm->steer, &sm->ports[i]);
		if (rc < 0)
			fprintf(stderr, "steer_detach %u: %s\n", sm->ports[i].idx, strerror(-rc));
	}
	steer_close(sm->steer);
	say("final", sm);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	struct smoke sm = {.pkt_fd = -1};

	if (argc == 3 && !strcmp(argv[1], "probe")) {
		int rc = steer_probe_action(argv[2]);

		if (rc < 0) {
			fprintf(stderr, "probe %s: %s\n", argv[2], strerror(-rc));
			return 1;
		}
		printf("%d\n", rc);
		return 0;
	}
	if (argc == 6 && !strcmp(argv[1], "choose")) {
		if (setup_config(&sm, argv + 2) < 0 || open_steer(&sm) < 0)
			return 1;
		printf("%s\t%s\n", steer_name(sm.steer), steer_why(sm.steer));
		steer_close(sm.steer);
		return 0;
	}
	if (argc >= 7 && !strcmp(argv[1], "run"))
		return cmd_run(&sm, argc - 2, argv + 2);
	fprintf(stderr, "usage: steer-smoke probe KIND | choose DRIVER NETNS DP DPP |\n"
			"       run DRIVER NETNS DP DPP IDX,VIN,VEX,MAC...\n");
	return 2;
}
