/*
 * netns.c - named network namespaces and per-thread setns.
 *
 * Named namespaces follow iproute2's convention (a bind mount of the netns
 * inode at /run/netns/NAME) so operators can `ip netns exec` into the
 * enforcer namespace with the tools they already know.
 */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NETNS_RUN_DIR "/run/netns"

static int open_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int netns_open_name(const char *name)
{
	char path[PATH_MAX];

	if (!name || !*name || strchr(name, '/'))
		return -EINVAL;
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	return open_path(path);
}

int netns_open_pid(pid_t pid)
{
	char path[64];

	if (pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return open_path(path);
}

int netns_enter(int fd, struct netns_saved *saved)
{
	saved->fd = open_path("/proc/thread-self/ns/net");
	if (saved->fd < 0)
		return saved->fd;
	if (setns(fd, CLONE_NEWNET) < 0) {
		int err = -errno;

		close(saved->fd);
		saved->fd = -1;
		return err;
	}
	return 0;
}

int netns_leave(struct netns_saved *saved)
{
	int rc = 0;

	if (saved->fd < 0)
		return 0;
	if (setns(saved->fd, CLONE_NEWNET) < 0)
		rc = -errno;
	close(saved->fd);
	saved->fd = -1;
	return rc;
}

/* Make /run/netns a shared mount so other mount namespaces see our netns mounts. */
static int prepare_run_dir(void)
{
	if (mkdir("/run", 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(NETNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return -errno;
	if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		return -errno;
	return 0;
}

/* A child unshares and bind-mounts its new netns, so no thread of ours changes namespace. */
static int create_named(const char *path)
{
	int fd, status;
	pid_t pid;

	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
			_exit(2);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		unlink(path);
		return -EPERM;
	}
	return 0;
}

int netns_ensure_named(const char *name)
{
	char path[PATH_MAX];
	int fd, rc;

	fd = netns_open_name(name);
	if (fd >= 0 || fd != -ENOENT)
		return fd;
	rc = prepare_run_dir();
	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	rc = create_named(path);
	if (rc < 0 && rc != -EEXIST)
		return rc;
	return netns_open_name(name);
}

int netns_remove_named(const char *name)
{
	char path[PATH_MAX];

	if (!name || !*name || strchr(name, '/'))
		return -EINVAL;
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	umount2(path, MNT_DETACH);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int netns_same(int fd_a, int fd_b)
{
	struct stat a, b;

	if (fstat(fd_a, &a) < 0 || fstat(fd_b, &b) < 0)
		return -errno;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}
