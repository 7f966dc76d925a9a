/*
 * fuzz-ctl-request.c - libFuzzer harness for the daemon's request path: what
 * a client writes to the control socket, parsed and dispatched the way
 * ctl-socket.c does it, into the real command handlers (src/ctl/cmd*.c).
 *
 * One input is the bytes a client sends: split at '\n' into request lines
 * (at most FUZZ_LINES, CTL_MAX_REQUEST bytes in all, like serve_client), each
 * parsed like handle_line (json_loadb + JSON_REJECT_DUPLICATES, an object
 * with a string "cmd"; handle_line is static, so those few lines are
 * repeated here) and handed to daemon_handle().  Later lines see what
 * earlier ones changed, so "group.add" then "rule.add" can reach deep.
 *
 * The daemon is real except for what needs root and a kernel: it has a dp
 * that is created but never started (no sockets, no threads), no steering
 * driver, no enforcer netns and its Docker watcher off; the state dir is a
 * private temp dir under $TMPDIR.  Before every input the policy model and
 * the workload table are reset to a fixed sample (two unpulled workloads,
 * groups and rules), so inputs reproduce.
 *
 * Not reachable without a live daemon: workload.add gets as far as its
 * validation and then wl_add() opens the named netns or /proc/PID/ns/net and
 * pulls a real interface.  So a workload.add whose name would pass
 * validation is renamed to an existing workload: wl_add() then stops at
 * "already exists" before touching any netns, and every field validation in
 * front of it is still fuzzed.  A --docker target is inspected before that
 * check, so the daemon's Docker socket is a path nobody listens on: the
 * inspect fails at connect and nothing asks the real engine.  wl_from_json (workloads.json) is static and
 * only runs inside wl_load, which pulls ports: its parts are fuzzed by
 * fuzz-wire-json (the port record) and fuzz-policy-json (policy.json).
 *
 * Checked on every request: a response object {"ok":true,...} or
 * {"ok":false,"error":"..."} that serialises (send_line would send it),
 * and a refused request leaves the policy model exactly as it was.
 * BH_FUZZ_LOG=1 keeps the daemon's log lines and prints every response (off by
 * default: they cost more than a run).
 * Seeds: tests/fuzz/corpus/ctl-request/.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl/cmd.h"
#include "ctl/conv.h"
#include "ctl/ctl-socket.h"
#include "ctl/daemon.h"
#include "ctl/docker-watch.h"
#include "dp/dp.h"
#include "log.h"
#include "policy/policy.h"

#define FUZZ_LINES 4

static const char sample_policy[] =
	"{\"version\":1,"
	"\"groups\":[{\"name\":\"corp\",\"cidrs\":[\"10.0.0.0/8\",\"fd00::/16\"],\"fqdns\":[]},"
	"{\"name\":\"saas\",\"cidrs\":[],\"fqdns\":[\"*.example.com\"]}],"
	"\"rules\":[{\"id\":1,\"from\":\"corp\",\"to\":\"web\",\"ports\":\"tcp/80,icmp\","
	"\"action\":\"allow\"},"
	"{\"id\":2,\"from\":\"any\",\"to\":\"db\",\"ports\":\"any\",\"action\":\"deny\"},"
	"{\"id\":10001,\"from\":\"web\",\"to\":\"db\",\"ports\":\"tcp/5432\","
	"\"action\":\"allow\",\"learned\":true}]}";

static const char *const sample_conn_log =
	"{\"from\":\"web\",\"to\":\"db\",\"port\":\"tcp/5432\",\"sessions\":3}\n"
	"not json at all\n"
	"{\"from\":\"10.0.0.9\",\"to\":\"web\",\"port\":\"tcp/80\",\"sessions\":1}\n";

static struct bh_daemon d;
static int verbose;
static int convs_dirty = 1, log_touched = 1; /* a `log` request ran since the last reset */
static char state_dir[64];
static char docker_sock[96];

static void rm_state_dir(void)
{
	DIR *dir = opendir(state_dir);
	struct dirent *e;
	char path[PATH_MAX];

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		snprintf(path, sizeof(path), "%s/%s", state_dir, e->d_name);
		unlink(path);
	}
	closedir(dir);
	rmdir(state_dir);
}

static void write_file(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", state_dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

static void fuzz_init(void)
{
	struct dp_config dc = {.dp_ifindex = 1, .workers = 1, .sessions_per_worker = 64};
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	verbose = getenv("BH_FUZZ_LOG") != NULL;
	if (!verbose)
		bh_log_set_level((enum bh_log_level)(BH_LOG_ERR + 1));
	snprintf(state_dir, sizeof(state_dir), "%s/bh-fuzz-ctl.XXXXXX", base);
	if (!mkdtemp(state_dir))
		abort();
	atexit(rm_state_dir);
	d.cfg.state_dir = state_dir;
	d.cfg.socket_path = "/nonexistent/bulkhead.sock";
	d.cfg.driver = "auto";
	d.cfg.fail_mode = "open";
	d.cfg.enf_netns = "bh-fuzz-none";
	d.cfg.workers = 1;
	/* workload.add --docker inspects the container first: at a socket nobody serves */
	snprintf(docker_sock, sizeof(docker_sock), "%s/no-docker.sock", state_dir);
	d.cfg.docker = "off";
	d.cfg.docker_socket = docker_sock;
	d.cfg.default_mode = "discover";
	d.enf_fd = -1;
	d.started_at = 1700000000;
	if (dp_new(&d.dp, &dc) || docker_watch_new(&d.docker, &d)) /* "off": no engine asked */
		abort();
	write_file("violations.jsonl", "");
}

static struct workload *sample_workload(uint32_t id, const char *name, uint16_t port_idx,
					int mode)
{
	struct workload *w = calloc(1, sizeof(*w));

	if (!w)
		abort();
	w->id = id;
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->kind = WL_NETNS_NAME;
	snprintf(w->netns, sizeof(w->netns), "bh-fuzz-none-%s", name);
	snprintf(w->iface, sizeof(w->iface), "eth0");
	w->ngroups = 1;
	snprintf(w->groups[0], sizeof(w->groups[0]), "corp");
	w->mode = mode;
	w->port_idx = port_idx;
	w->pulled = false; /* a pulled one would be restored on rm: that needs netns */
	d.port_used[port_idx] = 1;
	return w;
}

static void flush_nothing(void *ctx, const struct conv *c)
{
	(void)ctx;
	(void)c;
}

/* Back to the sample: same model, workloads, conversations and log files every input. */
static void fuzz_reset(void)
{
	static const struct conv_key keys[] = {
		{.from = "web", .to = "db", .proto = 1, .port = 5432},
		{.from = "10.0.0.9", .to = "web", .proto = 1, .port = 80},
	};
	char err[256];

	memset(d.port_used, 0, sizeof(d.port_used));
	d.next_wl_id = 2;
	if (policy_model_from_json_str(sample_policy, strlen(sample_policy), &d.model, err,
				       sizeof(err)))
		abort();
	d.workloads = sample_workload(1, "web", 1, BH_MODE_PROTECT);
	d.workloads->next = sample_workload(2, "db", 2, BH_MODE_DISCOVER);
	/* as if pulled: the model knows their addresses (explain, CIDR groups need them) */
	for (struct workload *w = d.workloads; w; w = w->next) {
		struct policy_addr a[2] = {{.family = AF_INET, .a = {10, 1, 0, (uint8_t)w->id}},
					   {.family = AF_INET6, .a = {0xfd, 1, [15] = (uint8_t)w->id}}};

		if (wl_policy_set(&d, w, false, err, sizeof(err)) ||
		    policy_workload_set_addrs(d.model, w->id, a, 2, err, sizeof(err)))
			abort();
	}
	for (int i = 0; i < BH_LOGF__MAX; i++)
		jsonl_close(&d.logs[i]);
	jsonl_init(&d.logs[BH_LOGF_CONNECTIONS], state_dir, "connections.jsonl", 4096);
	jsonl_init(&d.logs[BH_LOGF_VIOLATIONS], state_dir, "violations.jsonl", 4096);
	if (log_touched) /* a `log` may have appended to it: back to the sample */
		write_file("connections.jsonl", sample_conn_log);
	log_touched = 0;
	/*
	 * conversations: one clean, one dirty (a `log` request flushes it to connections.jsonl).
	 * Only `log` changes them, and a new table costs more than a run: rebuilt after a `log`.
	 */
	if (!convs_dirty)
		return;
	convs_dirty = 0;
	conv_table_free(d.convs);
	if (conv_table_new(&d.convs, 16))
		abort();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct conv *c = conv_get(d.convs, &keys[i], 1000);

		if (!c)
			abort();
		conv_session(c, true, i ? 0 : 10001, 0, 1000);
		if (i == 0)
			conv_flush(d.convs, flush_nothing, NULL);
	}
}

/* Free what fuzz_reset made, so an input that leaks shows up as a leak. */
static void fuzz_teardown(void)
{
	while (d.workloads) {
		struct workload *w = d.workloads;

		d.workloads = w->next;
		free(w);
	}
	policy_model_free(d.model);
	d.model = NULL;
}

static int valid_name(const char *s)
{
	size_t n = 0;

	if (!s || !*s)
		return 0;
	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
		      (s[n] >= '0' && s[n] <= '9') || strchr("_.-", s[n])))
			return 0;
	return n < WL_NAME_MAX;
}

static void check_response(json_t *resp)
{
	json_t *ok = json_object_get(resp, "ok");
	char *text;

	if (!json_is_object(resp) || !json_is_boolean(ok))
		__builtin_trap();
	if (json_is_false(ok) && !json_is_string(json_object_get(resp, "error")))
		__builtin_trap();
	text = json_dumps(resp, JSON_COMPACT);
	if (!text)
		__builtin_trap();
	if (verbose)
		fprintf(stderr, "-> %.300s\n", text);
	free(text);
}

/* handle_line() of ctl-socket.c, plus the checks. */
static void one_line(const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req, *resp;
	const char *cmd;
	char *before, *after;

	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		resp = ctl_error("malformed request: %s", jerr.text);
		check_response(resp);
		json_decref(resp);
		return;
	}
	if (!json_is_object(req) || !json_is_string(json_object_get(req, "cmd"))) {
		json_decref(req);
		return;
	}
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (!strcmp(cmd, "workload.add") && valid_name(json_string_value(json_object_get(req, "name"))))
		json_object_set_new(req, "name", json_string("web")); /* see the top comment */
	if (!strcmp(cmd, "log"))
		convs_dirty = log_touched = 1;
	before = policy_model_to_json_str(d.model);
	resp = daemon_handle(&d, req);
	json_decref(req);
	if (!resp)
		resp = ctl_error("internal error");
	check_response(resp);
	after = policy_model_to_json_str(d.model);
	if (!before || !after)
		abort();
	/* "a bad request gets its one-line error with policy.json ... exactly as before" */
	if (json_is_false(json_object_get(resp, "ok")) && strcmp(before, after) &&
	    strncmp(json_string_value(json_object_get(resp, "error")), "policy changed but", 18))
		__builtin_trap();
	free(before);
	free(after);
	json_decref(resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	int lines = 0;

	if (!d.dp)
		fuzz_init();
	if (size > CTL_MAX_REQUEST)
		return 0; /* serve_client refuses it: "request too large" */
	fuzz_reset();
	while (p < end && lines++ < FUZZ_LINES) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		one_line(p, len);
		p += len + 1;
	}
	fuzz_teardown();
	return 0;
}
