/*
 * bulkheadd.c - the enforcer daemon's entry point: options, daemonising,
 * and the guarantee that a started daemon reports "ready" only once its
 * socket serves requests (so scripts can run `bulkheadd && bulkhead ...`).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster.h"
#include "daemon.h"
#include "docker-api.h"
#include "dp/threat.h"
#include "log.h"
#include "policy/policy.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bulkheadd [--foreground] [--state-dir DIR] [--socket PATH]\n"
		"                 [--driver auto|ebpf|tc|tap] [--fail open|closed]\n"
		"                 [--metrics ADDR:PORT] [--enforcer-netns NAME] [--workers N]\n"
		"                 [--fast-path on|off] [--one-pass on|off] [--threats on|off]\n"
		"                 [--threat-limit NAME=N]\n"
		"                 [--docker auto|on|off]\n"
		"                 [--docker-socket PATH] [--docker-label KEY[=VALUE]]\n"
		"                 [--default-mode MODE] [--cluster etcd://HOST:PORT[,...]]\n"
		"                 [--node NAME] [--fqdn-grace SECONDS] [--spin-us N] [--debug]\n\n"
		"bulkhead's enforcer: pulls workload ports inline through its data path.\n\n"
		"  --foreground          stay in the foreground, log to stderr\n"
		"  --state-dir DIR       workloads and policy (default /var/lib/bulkhead)\n"
		"  --socket PATH         control socket (default /run/bulkhead/bulkhead.sock)\n"
		"  --driver NAME         steering driver (default auto: ebpf); tap: workloads\n"
		"                        are not pulled in discover/monitor, the dp reads a tap\n"
		"                        of their interface (cannot block); protect/quarantine\n"
		"                        pull them inline with ebpf\n"
		"  --fail open|closed    traffic of pulled ports while no dp runs (default closed)\n"
		"  --metrics ADDR:PORT   Prometheus endpoint (off by default)\n"
		"  --enforcer-netns NAME network namespace bulkheadd owns (default bulkhead)\n"
		"  --workers N           dp worker threads (default: one per CPU)\n"
		"  --fast-path on|off    let eBPF forward established, allowed flows without the\n"
		"                        dp (it still sees SYN/FIN/RST and a sample; default on)\n"
		"  --one-pass on|off     judge a frame between two workloads of this node once,\n"
		"                        at the sender's port, for both ends (default on)\n"
		"  --threats on|off      threat detection in the dp, user signatures included\n"
		"                        (docs/threats.md; default on)\n"
		"  --threat-limit NAME=N tune a threat threshold: syn-rate, icmp-rate, sessions,\n"
		"                        small-window, ping-size; sig-depth (payload bytes per\n"
		"                        direction matched against signatures, default 1048576),\n"
		"                        sig-sessions (sessions under signature inspection per\n"
		"                        worker, default 4096) (repeatable)\n"
		"  --docker auto|on|off  follow Docker containers as workloads (auto: when the\n"
		"                        engine's socket exists at start)\n"
		"  --docker-socket PATH  the engine's socket (default /var/run/docker.sock)\n"
		"  --docker-label L      discover only containers with label L (KEY or KEY=VALUE)\n"
		"  --default-mode MODE   mode of discovered containers without a bulkhead.mode\n"
		"                        label (default discover)\n"
		"  --cluster URL         share policy and a workload index with other nodes\n"
		"                        through etcd (etcd://HOST:PORT[,HOST:PORT...])\n"
		"  --node NAME           this node's name in the cluster (default: host name)\n"
		"  --fqdn-grace SECONDS  FQDN groups: the addresses of a DNS answer stay in the\n"
		"                        group this long after its TTL ends (0..3600, default 5)\n"
		"  --spin-us N           dp workers keep polling N microseconds after traffic\n"
		"                        before they sleep (0..10000, default 50): lower latency\n"
		"                        for CPU time; 0 when CPUs are scarce\n");
}

static int check_docker_args(const struct bh_config *cfg)
{
	enum bh_mode m;

	if (strcmp(cfg->docker, "auto") && strcmp(cfg->docker, "on") && strcmp(cfg->docker, "off")) {
		fprintf(stderr, "bulkheadd: --docker takes auto, on or off\n");
		return -EINVAL;
	}
	if (bh_mode_parse(cfg->default_mode, &m) < 0) {
		fprintf(stderr, "bulkheadd: unknown --default-mode %s "
			"(discover|monitor|protect|quarantine)\n", cfg->default_mode);
		return -EINVAL;
	}
	return 0;
}

/* --node defaults to the host name, as a DaemonSet pod on hostNetwork sees it. */
static int check_cluster_args(struct bh_config *cfg)
{
	static char host[64];
	char err[160];

	if (!cfg->cluster) {
		if (cfg->node)
			fprintf(stderr, "bulkheadd: --node needs --cluster\n");
		return cfg->node ? -EINVAL : 0;
	}
	if (cluster_url_check(cfg->cluster, err, sizeof(err)) < 0) {
		fprintf(stderr, "bulkheadd: %s\n", err);
		return -EINVAL;
	}
	if (!cfg->node && gethostname(host, sizeof(host) - 1) == 0) {
		host[strcspn(host, ".")] = '\0';
		cfg->node = host;
	}
	if (!cfg->node || !policy_name_valid(cfg->node)) {
		fprintf(stderr, "bulkheadd: --node takes a name of [A-Za-z0-9_.-]{1,63}\n");
		return -EINVAL;
	}
	return 0;
}

/* Long-only options: values no short option can take. */
enum { OPT_SESSIONS = 0x100, OPT_FQDN_GRACE, OPT_SPIN, OPT_ONE_PASS };

static int parse_args(int argc, char **argv, struct bh_config *cfg)
{
	static const struct option opts[] = {
		{"foreground", no_argument, NULL, 'f'},
		{"state-dir", required_argument, NULL, 's'},
		{"socket", required_argument, NULL, 'S'},
		{"driver", required_argument, NULL, 'd'},
		{"fail", required_argument, NULL, 'F'},
		{"metrics", required_argument, NULL, 'm'},
		{"enforcer-netns", required_argument, NULL, 'n'},
		{"workers", required_argument, NULL, 'w'},
		{"debug", no_argument, NULL, 'D'},
		{"fast-path", required_argument, NULL, 'P'},
		{"one-pass", required_argument, NULL, OPT_ONE_PASS},
		{"threats", required_argument, NULL, 'T'},
		{"threat-limit", required_argument, NULL, 'Y'},
		{"docker", required_argument, NULL, 'k'},
		{"docker-socket", required_argument, NULL, 'K'},
		{"docker-label", required_argument, NULL, 'L'},
		{"default-mode", required_argument, NULL, 'M'},
		{"cluster", required_argument, NULL, 'C'},
		{"node", required_argument, NULL, 'N'},
		/* not in usage(): a small cap lets tests fill the session table quickly */
		{"sessions-per-worker", required_argument, NULL, OPT_SESSIONS},
		{"fqdn-grace", required_argument, NULL, OPT_FQDN_GRACE},
		{"spin-us", required_argument, NULL, OPT_SPIN},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': cfg->foreground = true; break;
		case 's': cfg->state_dir = optarg; break;
		case 'S': cfg->socket_path = optarg; break;
		case 'd': cfg->driver = optarg; break;
		case 'F': cfg->fail_mode = optarg; break;
		case 'm': cfg->metrics = optarg; break;
		case 'n': cfg->enf_netns = optarg; break;
		case 'w': cfg->workers = atoi(optarg); break;
		case 'D': bh_log_set_level(BH_LOG_DEBUG); break;
		case 'P':
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				fprintf(stderr, "bulkheadd: --fast-path takes on or off\n");
				return -EINVAL;
			}
			cfg->fast_path = strcmp(optarg, "on") == 0;
			break;
		case OPT_ONE_PASS:
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				fprintf(stderr, "bulkheadd: --one-pass takes on or off\n");
				return -EINVAL;
			}
			cfg->one_pass = strcmp(optarg, "on") == 0;
			break;
		case 'T':
			if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
				fprintf(stderr, "bulkheadd: --threats takes on or off\n");
				return -EINVAL;
			}
			cfg->threat.off = strcmp(optarg, "off") == 0;
			break;
		case 'Y':
			if (threat_limit_parse(&cfg->threat, optarg) < 0) {
				fprintf(stderr, "bulkheadd: --threat-limit takes NAME=N (syn-rate, "
						"icmp-rate, sessions, small-window, ping-size, "
						"sig-depth, sig-sessions)\n");
				return -EINVAL;
			}
			break;
		case 'k': cfg->docker = optarg; break;
		case 'K': cfg->docker_socket = optarg; break;
		case 'L': cfg->docker_label = optarg; break;
		case 'M': cfg->default_mode = optarg; break;
		case 'C': cfg->cluster = optarg; break;
		case 'N': cfg->node = optarg; break;
		case OPT_SESSIONS: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			/* the table's own limit is 2^28; a pool below 16 is no use to anyone */
			if (*end || end == optarg || v < 16 || v >= (1ul << 28)) {
				fprintf(stderr, "bulkheadd: --sessions-per-worker takes 16..268435455\n");
				return -EINVAL;
			}
			cfg->sessions_per_worker = (uint32_t)v;
			break;
		}
		case OPT_FQDN_GRACE: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || end == optarg || v > 3600) {
				fprintf(stderr, "bulkheadd: --fqdn-grace takes 0..3600 seconds\n");
				return -EINVAL;
			}
			cfg->fqdn_grace_ms = (uint32_t)v * 1000;
			break;
		}
		case OPT_SPIN: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || end == optarg || v > 10000) {
				fprintf(stderr, "bulkheadd: --spin-us takes 0..10000 microseconds\n");
				return -EINVAL;
			}
			cfg->spin_us = (uint32_t)v;
			break;
		}
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "bulkheadd: unexpected argument: %s\n", argv[optind]);
		return -EINVAL;
	}
	if (strcmp(cfg->driver, "auto") && strcmp(cfg->driver, "ebpf") &&
	    strcmp(cfg->driver, "tc") && strcmp(cfg->driver, "tap")) {
		fprintf(stderr, "bulkheadd: unknown driver %s (auto|ebpf|tc|tap)\n", cfg->driver);
		return -EINVAL;
	}
	if (strcmp(cfg->fail_mode, "open") && strcmp(cfg->fail_mode, "closed")) {
		fprintf(stderr, "bulkheadd: --fail takes open or closed\n");
		return -EINVAL;
	}
	if (check_docker_args(cfg) < 0 || check_cluster_args(cfg) < 0)
		return -EINVAL;
	if (cfg->workers < 0 || cfg->workers > 64) {
		fprintf(stderr, "bulkheadd: --workers takes 0..64\n");
		return -EINVAL;
	}
	return 0;
}

/* Fork; the parent exits with the child's init status, read from a pipe. */
static int daemonize(int *ready_fd)
{
	int p[2];
	pid_t pid;
	char status = 1;

	if (pipe(p) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &status, 1) != 1)
			status = 1;
		_exit(status);
	}
	close(p[0]);
	setsid();
	*ready_fd = p[1];
	return 0;
}

static void report_ready(int fd, char status, const struct bh_config *cfg)
{
	char path[4096];

	if (fd < 0)
		return;
	if (write(fd, &status, 1) != 1)
		log_warn("could not report readiness to parent");
	close(fd);
	if (status == 0) {
		/* Detach stdio only now, so init errors above still reached the caller's terminal. */
		snprintf(path, sizeof(path), "%s/bulkheadd.log", cfg->state_dir);
		if (!freopen("/dev/null", "r", stdin) || !freopen("/dev/null", "w", stdout) ||
		    !freopen(path, "a", stderr))
			log_warn("could not detach stdio");
		setvbuf(stderr, NULL, _IOLBF, 0);
	}
}

int main(int argc, char **argv)
{
	struct bh_config cfg = {
		.state_dir = "/var/lib/bulkhead",
		.socket_path = "/run/bulkhead/bulkhead.sock",
		.driver = "auto",
		.fail_mode = "closed",
		.enf_netns = "bulkhead",
		.fast_path = true,
		.one_pass = true,
		.fqdn_grace_ms = 5000,
		.spin_us = 50,
		.docker = "auto",
		.docker_socket = DOCKER_SOCKET_DEFAULT,
		.default_mode = "discover",
	};
	static struct bh_daemon d;
	char err[512] = "";
	int ready_fd = -1;

	if (parse_args(argc, argv, &cfg) < 0)
		return 2;
	if (geteuid() != 0) {
		fprintf(stderr, "bulkheadd: must run as root\n");
		return 1;
	}
	if (!cfg.foreground && daemonize(&ready_fd) < 0) {
		perror("bulkheadd: fork");
		return 1;
	}
	if (daemon_init(&d, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "bulkheadd: %s\n", err);
		daemon_shutdown(&d);
		report_ready(ready_fd, 1, &cfg);
		return 1;
	}
	log_info("ready: socket %s, enforcer netns %s", cfg.socket_path, cfg.enf_netns);
	report_ready(ready_fd, 0, &cfg);
	daemon_run(&d);
	daemon_shutdown(&d);
	log_info("stopped");
	return 0;
}
