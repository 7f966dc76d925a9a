/*
 * cmd-capture.c - `bulkhead capture`: the daemon's half.
 *
 * The daemon never opens user paths: it turns capture on for one workload's
 * port, hands the CLI what the dp recorded on each capture.read (base64, with
 * the verdict), and the CLI writes the pcap.  One capture runs at a time; a
 * capture whose client stopped asking for 5 s is switched off, so a killed
 * CLI cannot leave a port out of the fast path for good.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "ctl-socket.h"
#include "daemon.h"
#include "dp/dp.h"

#define CAPTURE_IDLE_S 5
#define CAPTURE_READ_MAX 4096

static const char *const drop_reasons[DP_DROP__MAX] = {
	"decode", "truncated", "no_port", "policy", "tx", "session_full",
};

static char *b64(const uint8_t *in, size_t len, char *out)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *o = out;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = tbl[(v >> 18) & 63];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? tbl[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static void capture_off(struct bh_daemon *d)
{
	if (d->capture_idx)
		dp_capture_set(d->dp, d->capture_idx, false);
	d->capture_idx = 0;
}

/* Called from the main loop: a capture nobody reads is a port kept slow for nothing. */
void capture_tick(struct bh_daemon *d)
{
	if (d->capture_idx && time(NULL) - d->capture_last_read > CAPTURE_IDLE_S)
		capture_off(d);
}

json_t *cmd_capture_start(struct bh_daemon *d, json_t *req)
{
	const char *name = req_str(req, "name");
	struct workload *w = name ? wl_find(d, name) : NULL;

	if (!w)
		return ctl_error("no workload named %s", name ? name : "(none)");
	if (!wl_attached(w)) /* pulled, or tapped: the dp sees its frames either way */
		return ctl_error("workload %s is not enforced inline: nothing to capture", name);
	if (d->capture_idx && d->capture_idx != w->port_idx &&
	    time(NULL) - d->capture_last_read <= CAPTURE_IDLE_S)
		return ctl_error("another capture is running (one at a time)");
	capture_off(d);
	d->capture_idx = w->port_idx;
	d->capture_last_read = time(NULL);
	d->capture_lost0 = dp_capture_lost(d->dp);
	dp_capture_set(d->dp, w->port_idx, true);
	return ctl_ok(json_pack("{s:s, s:i}", "workload", w->name, "snaplen", DP_CAPTURE_SNAP));
}

struct capture_read {
	uint16_t idx;
	json_t *pkts;
};

static void rec_json(void *ctx, const struct dp_capture_rec *r)
{
	struct capture_read *cr = ctx;
	char data[((DP_CAPTURE_SNAP + 2) / 3) * 4 + 1];

	if (r->port_idx != cr->idx || json_array_size(cr->pkts) >= CAPTURE_READ_MAX)
		return;
	json_array_append_new(
		cr->pkts,
		json_pack("{s:I, s:s, s:s, s:s?, s:i, s:i, s:s}", "ts_us", (json_int_t)r->ts_us,
			  "dir", r->dir == DP_DIR_EGRESS ? "out" : "in", "verdict",
			  r->dropped ? "drop" : "forward", "reason",
			  r->dropped && r->reason < DP_DROP__MAX ? drop_reasons[r->reason] : NULL,
			  "len", (int)r->wire_len, "l3_off", (int)r->l3_off, "data",
			  b64(r->data, r->cap_len, data)));
}

json_t *cmd_capture_read(struct bh_daemon *d, json_t *req)
{
	struct capture_read cr = {.idx = d->capture_idx, .pkts = json_array()};
	const char *name = req_str(req, "name");
	struct workload *w = name ? wl_find(d, name) : NULL;

	if (!w || !d->capture_idx || w->port_idx != d->capture_idx) {
		json_decref(cr.pkts);
		return ctl_error("no capture running for %s", name ? name : "(none)");
	}
	d->capture_last_read = time(NULL);
	dp_capture_drain(d->dp, rec_json, &cr);
	return ctl_ok(json_pack("{s:o, s:I}", "packets", cr.pkts, "lost",
				(json_int_t)(dp_capture_lost(d->dp) - d->capture_lost0)));
}

json_t *cmd_capture_stop(struct bh_daemon *d, json_t *req)
{
	(void)req;
	capture_off(d);
	return ctl_ok(NULL);
}
