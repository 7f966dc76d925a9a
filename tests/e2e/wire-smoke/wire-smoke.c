/*
 * wire-smoke.c - drive src/wire against real namespaces, one call per run.
 *
 * run.sh builds the topology and checks the results with ip(8); this tool
 * only calls wire and hands the port over as JSON in a file, so a restore
 * runs in a fresh process like a bulkheadd restarted after a crash.
 *
 * A netns argument is a name under /run/netns, a path (opened as given:
 * a file that is no netns, or a gone /proc/PID/ns/net), or "-" for none.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netns.h"
#include "wire/wire.h"

static int open_ns(const char *arg)
{
	int fd;

	if (!strcmp(arg, "-"))
		return -1;
	if (arg[0] != '/')
		return netns_open_name(arg);
	fd = open(arg, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int save_port(const struct wire_port *p, const char *path)
{
	json_t *j = wire_port_to_json(p);
	int rc;

	if (!j)
		return -ENOMEM;
	rc = json_dump_file(j, path, JSON_INDENT(2)) == 0 ? 0 : -EIO;
	json_decref(j);
	return rc;
}

static int load_port(const char *path, struct wire_port *p)
{
	json_t *j = json_load_file(path, 0, NULL);
	int rc;

	if (!j)
		return -EINVAL;
	rc = wire_port_from_json(j, p);
	json_decref(j);
	return rc;
}

static int cmd_setup(char **av)
{
	int fd = netns_ensure_named(av[0]);
	int rc;

	if (fd < 0)
		return fd;
	rc = wire_enforcer_setup(fd);
	close(fd);
	return rc;
}

static int cmd_pull(char **av)
{
	int wl = open_ns(av[0]), enf = open_ns(av[1]);
	struct wire_port p;
	char id[9], err[256] = "";
	int rc;

	wire_port_id(av[3], id);
	rc = wire_pull(wl, enf, av[2], id, &p, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "pull: %s\n", err);
	else
		rc = save_port(&p, av[4]);
	if (wl >= 0)
		close(wl);
	if (enf >= 0)
		close(enf);
	return rc;
}

static int cmd_restore(char **av)
{
	int wl = open_ns(av[0]), enf = open_ns(av[1]);
	struct wire_port p;
	char err[256] = "";
	int rc;

	rc = load_port(av[2], &p);
	if (rc < 0) {
		fprintf(stderr, "restore: cannot load %s\n", av[2]);
		return rc;
	}
	/* a port read back from state has stale ifindexes; lookup is allowed to fail */
	if (wire_port_lookup(enf, &p) == 0)
		printf("lookup: %s=%d %s=%d\n", p.vin, p.vin_ifindex, p.vex, p.vex_ifindex);
	rc = wire_restore(wl, enf, &p, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "restore: %s\n", err);
	if (wl >= 0)
		close(wl);
	if (enf >= 0)
		close(enf);
	return rc;
}

static int cmd_snapshot(char **av)
{
	int wl = open_ns(av[0]);
	struct wire_port p = {.id = "0", .vin = "vin0", .vex = "vex0"};
	char err[256] = "";
	json_t *j;
	int rc;

	rc = wire_snapshot_read(wl, av[1], &p.orig, err, sizeof(err));
	if (wl >= 0)
		close(wl);
	if (rc < 0) {
		fprintf(stderr, "snapshot: %s\n", err);
		return rc;
	}
	j = wire_port_to_json(&p);
	json_dumpf(json_object_get(j, "orig"), stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(j);
	return 0;
}

static int cmd_dp(char **av)
{
	int enf = open_ns(av[0]), a, b, rc;
	char err[256] = "";

	if (!strcmp(av[1], "destroy"))
		rc = wire_dp_destroy(enf, "bh-dp");
	else
		rc = wire_dp_create(enf, "bh-dp", "bh-dpp", &a, &b, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "dp: %s %s\n", err, strerror(-rc));
	else if (strcmp(av[1], "destroy"))
		printf("dp: bh-dp=%d bh-dpp=%d\n", a, b);
	if (enf >= 0)
		close(enf);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int nargs;
		int (*fn)(char **av);
		const char *usage;
	} cmds[] = {
	    {"setup", 1, cmd_setup, "ENF"},
	    {"pull", 5, cmd_pull, "WL ENF IFACE WORKLOAD STATE.json"},
	    {"restore", 3, cmd_restore, "WL ENF STATE.json"},
	    {"snapshot", 2, cmd_snapshot, "WL IFACE"},
	    {"dp", 2, cmd_dp, "ENF create|destroy"},
	};

	for (size_t i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		if (argc - 2 != cmds[i].nargs) {
			fprintf(stderr, "usage: %s %s %s\n", argv[0], cmds[i].name, cmds[i].usage);
			return 2;
		}
		return cmds[i].fn(argv + 2) < 0 ? 1 : 0;
	}
	fprintf(stderr, "usage: %s setup|pull|restore|snapshot|dp ...\n", argv[0]);
	return 2;
}
