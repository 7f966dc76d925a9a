/*
 * steer.c - choosing a steering driver and dispatching to it.
 *
 * The daemon asks for "auto", "ebpf" or "tc" (DESIGN §1).  ebpf is preferred whenever it is
 * available because it needs no act_pedit and keeps IP on the dp path in every case; tc is the
 * seed's classic u32/pedit/mirred rule set and is only taken when asked for and the kernel has
 * act_pedit.  The reason for the choice is kept for `bulkhead status`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "portmac.h"
#include "steer-priv.h"

static int copy_name(char *dst, size_t len, const char *src)
{
	if (!src || !*src)
		return 0;
	if (strlen(src) >= len)
		return -ENAMETOOLONG;
	strcpy(dst, src);
	return 0;
}

static int copy_config(struct steer *s, const struct steer_config *cfg)
{
	int rc;

	rc = copy_name(s->enf_netns_name, sizeof(s->enf_netns_name), cfg->enf_netns_name);
	if (rc == 0)
		rc = copy_name(s->dp_name, sizeof(s->dp_name), cfg->dp_name);
	if (rc == 0)
		rc = copy_name(s->dpp_name, sizeof(s->dpp_name), cfg->dpp_name);
	if (rc < 0)
		return rc;
	s->dp_ifindex = cfg->dp_ifindex;
	s->dpp_ifindex = cfg->dpp_ifindex;
	s->fail_open = cfg->fail_open;
	s->enf_netns_fd = fcntl(cfg->enf_netns_fd, F_DUPFD_CLOEXEC, 0);
	return s->enf_netns_fd < 0 ? -errno : 0;
}

/* Pick the driver for the requested name; fills s->ops and s->why. */
static int choose(struct steer *s, const char *driver, char *err, size_t errlen)
{
	bool pedit;

	if (!strcmp(driver, "ebpf")) {
		s->ops = &steer_ebpf_ops;
		snprintf(s->why, sizeof(s->why), "ebpf: requested");
		return 0;
	}
	if (strcmp(driver, "auto") && strcmp(driver, "tc")) {
		snprintf(err, errlen, "unknown steering driver \"%s\" (auto, ebpf or tc)", driver);
		return -EINVAL;
	}
	pedit = steer_have_pedit();
	if (!strcmp(driver, "auto")) {
		s->ops = &steer_ebpf_ops;
		snprintf(s->why, sizeof(s->why), "%s",
			 pedit ? "auto: ebpf preferred; act_pedit available"
			       : "auto: ebpf (act_pedit not available)");
		return 0;
	}
	if (pedit) {
		s->ops = &steer_tc_ops;
		snprintf(s->why, sizeof(s->why), "tc: requested; act_pedit available");
		return 0;
	}
	log_warn("steer: driver tc needs tc action pedit, which this kernel does not have; "
		 "falling back to ebpf");
	s->ops = &steer_ebpf_ops;
	snprintf(s->why, sizeof(s->why),
		 "tc requested, act_pedit not available: fell back to ebpf");
	return 0;
}

int steer_open(struct steer **out, const struct steer_config *cfg, char *err, size_t errlen)
{
	struct steer *s;
	int rc;

	*out = NULL;
	if (!cfg || cfg->enf_netns_fd < 0 || cfg->dp_ifindex <= 0 || cfg->dpp_ifindex <= 0) {
		snprintf(err, errlen, "steer: enforcer netns and dp port pair are required");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "steer: out of memory");
		return -ENOMEM;
	}
	rc = copy_config(s, cfg);
	if (rc < 0) {
		snprintf(err, errlen, "steer: bad configuration: %s", strerror(-rc));
		s->enf_netns_fd = -1;
		goto fail;
	}
	rc = choose(s, cfg->driver ? cfg->driver : "auto", err, errlen);
	if (rc < 0)
		goto fail;
	rc = s->ops->open(s, err, errlen);
	if (rc < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	if (s->enf_netns_fd >= 0)
		close(s->enf_netns_fd);
	free(s);
	return rc;
}

void steer_close(struct steer *s)
{
	if (!s)
		return;
	s->ops->close(s);
	close(s->enf_netns_fd);
	free(s);
}

const char *steer_name(const struct steer *s)
{
	return s ? s->ops->name : "none";
}

const char *steer_why(const struct steer *s)
{
	return s ? s->why : "";
}

int steer_port_check(const struct steer_port *p)
{
	if (!p || p->idx == 0 || p->idx >= BH_MAX_PORTS || p->vin_ifindex <= 0 ||
	    p->vex_ifindex <= 0 || p->vin_ifindex == p->vex_ifindex)
		return -EINVAL;
	return 0;
}

int steer_attach(struct steer *s, const struct steer_port *p)
{
	int rc = steer_port_check(p);

	return rc < 0 ? rc : s->ops->attach(s, p);
}

int steer_detach(struct steer *s, const struct steer_port *p)
{
	int rc = steer_port_check(p);

	return rc < 0 ? rc : s->ops->detach(s, p);
}

int steer_flow_map_fd(struct steer *s)
{
	return s && s->ops->flow_map_fd ? s->ops->flow_map_fd(s) : -EOPNOTSUPP;
}

int steer_fast_stats(struct steer *s, uint16_t idx, uint64_t packets[2], uint64_t bytes[2])
{
	packets[0] = packets[1] = bytes[0] = bytes[1] = 0;
	return s && s->ops->fast_stats ? s->ops->fast_stats(s, idx, packets, bytes) : -EOPNOTSUPP;
}

int steer_heartbeat(struct steer *s)
{
	return s && s->ops->heartbeat ? s->ops->heartbeat(s) : 0;
}
