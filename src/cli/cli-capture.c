/*
 * cli-capture.c - `bulkhead capture NAME -w FILE.pcap [-c N] [-t S] [--filter BPF]`.
 *
 * The daemon hands over the frames of one workload as the dp saw them, each
 * with the dp's verdict; we write them with libpcap.  A pcap record has no
 * room for a verdict, so the file uses LINKTYPE_NFLOG, the link type Linux
 * packet logging already uses for exactly this: the verdict rides in the
 * NFLOG prefix ("bulkhead web out forward", "... in drop policy"), the
 * Ethernet header (with the dp's port markers) in the hardware-header TLV,
 * and the IP packet in the payload TLV.  tshark/Wireshark show all three.
 * --filter is a tcpdump expression, applied to the Ethernet frame.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define NFLOG_MAX 1024 /* bytes of one record: headers + snaplen (512) */

struct capture_args {
	const char *name, *file, *filter;
	long count;    /* 0 = no limit */
	double seconds; /* 0 = until interrupted */
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void parse_capture_args(int argc, char **argv, struct capture_args *a)
{
	static const struct option opts[] = {
		{"write", required_argument, NULL, 'w'}, {"count", required_argument, NULL, 'c'},
		{"time", required_argument, NULL, 't'},  {"filter", required_argument, NULL, 'f'},
		{0},
	};
	const char *usage = "usage: bulkhead capture NAME -w FILE.pcap [-c COUNT] [-t SECONDS] "
			    "[--filter BPF]";
	char *end;
	int o;

	optind = 0;
	while ((o = getopt_long(argc, argv, "w:c:t:", opts, NULL)) != -1) {
		switch (o) {
		case 'w': a->file = optarg; break;
		case 'f': a->filter = optarg; break;
		case 'c':
			a->count = strtol(optarg, &end, 10);
			if (!*optarg || *end || a->count <= 0)
				die("invalid count: %s", optarg);
			break;
		case 't':
			a->seconds = strtod(optarg, &end);
			if (!*optarg || *end || a->seconds <= 0)
				die("invalid seconds: %s", optarg);
			break;
		default: die("%s", usage);
		}
	}
	if (optind != argc - 1 || !a->file)
		die("%s", usage);
	a->name = argv[optind];
}

static int b64_val(char ch)
{
	const char *tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = ch ? strchr(tbl, ch) : NULL;

	return p ? (int)(p - tbl) : -1;
}

static int unb64(const char *in, uint8_t *out, size_t max)
{
	size_t n = 0;

	for (; in[0] && in[1] && in[2] && in[3]; in += 4) {
		int a = b64_val(in[0]), b = b64_val(in[1]);
		int c = in[2] == '=' ? 0 : b64_val(in[2]), d = in[3] == '=' ? 0 : b64_val(in[3]);

		if (a < 0 || b < 0 || c < 0 || d < 0 || n + 3 > max)
			return -1;
		out[n++] = (uint8_t)(a << 2 | b >> 4);
		if (in[2] != '=')
			out[n++] = (uint8_t)(b << 4 | c >> 2);
		if (in[3] != '=')
			out[n++] = (uint8_t)(c << 6 | d);
	}
	return (int)n;
}

/* One NFLOG TLV: length and type in host order (LINKTYPE_NFLOG), padded to 4. */
static size_t tlv(uint8_t *buf, size_t off, uint16_t type, const void *val, uint16_t len)
{
	uint16_t hdr[2] = {(uint16_t)(4 + len), type};

	if (off + 4 + len + 3 > NFLOG_MAX)
		return off;
	memcpy(buf + off, hdr, 4);
	memcpy(buf + off + 4, val, len);
	memset(buf + off + 4 + len, 0, (4 - len % 4) % 4);
	return off + 4 + ((len + 3u) & ~3u);
}

static size_t nflog_record(const char *name, json_t *pkt, const uint8_t *frame, size_t flen,
			   uint8_t *out)
{
	const char *reason = json_string_value(json_object_get(pkt, "reason"));
	size_t l3 = (size_t)json_integer_value(json_object_get(pkt, "l3_off"));
	uint16_t hwtype = htons(1), hwlen = htons(14);
	struct nfulnl_msg_packet_hdr ph = {0};
	char prefix[128];
	size_t off = 4;

	if (l3 > flen || flen < 14)
		l3 = flen < 14 ? flen : 14;
	out[0] = l3 < flen && (frame[l3] >> 4) == 6 ? AF_INET6 : AF_INET;
	out[1] = 0; /* version */
	out[2] = out[3] = 0; /* resource id */
	memcpy(&ph.hw_protocol, frame + l3 - 2 >= frame ? frame + l3 - 2 : frame, 2);
	snprintf(prefix, sizeof(prefix), "bulkhead %s %s %s%s%s", name,
		 json_string_value(json_object_get(pkt, "dir")),
		 json_string_value(json_object_get(pkt, "verdict")), reason ? " " : "",
		 reason ? reason : "");
	off = tlv(out, off, NFULA_PACKET_HDR, &ph, sizeof(ph));
	off = tlv(out, off, NFULA_PREFIX, prefix, (uint16_t)(strlen(prefix) + 1));
	off = tlv(out, off, NFULA_HWTYPE, &hwtype, 2);
	off = tlv(out, off, NFULA_HWLEN, &hwlen, 2);
	off = tlv(out, off, NFULA_HWHEADER, frame, 14);
	off = tlv(out, off, NFULA_PAYLOAD, frame + l3, (uint16_t)(flen - l3));
	return off;
}

struct capture_out {
	pcap_dumper_t *dump;
	struct bpf_program filter;
	int have_filter;
	long written, dropped;
};

static void write_packet(struct capture_out *o, const char *name, json_t *pkt)
{
	uint8_t frame[1024], rec[NFLOG_MAX];
	const char *data = json_string_value(json_object_get(pkt, "data"));
	json_int_t ts = json_integer_value(json_object_get(pkt, "ts_us"));
	json_int_t wire = json_integer_value(json_object_get(pkt, "len"));
	int flen = data ? unb64(data, frame, sizeof(frame)) : -1;
	struct pcap_pkthdr h;
	size_t n;

	if (flen < 14)
		return;
	h.ts.tv_sec = ts / 1000000;
	h.ts.tv_usec = ts % 1000000;
	h.caplen = (bpf_u_int32)flen;
	h.len = (bpf_u_int32)(wire > flen ? wire : flen);
	if (o->have_filter && !pcap_offline_filter(&o->filter, &h, frame))
		return;
	n = nflog_record(name, pkt, frame, (size_t)flen, rec);
	h.len = (bpf_u_int32)(n + (size_t)(h.len - h.caplen));
	h.caplen = (bpf_u_int32)n;
	pcap_dump((u_char *)o->dump, &h, rec);
	o->written++;
	if (!strcmp(json_string_value(json_object_get(pkt, "verdict")), "drop"))
		o->dropped++;
}

static void open_output(const struct capture_args *a, struct capture_out *o)
{
	pcap_t *nflog = pcap_open_dead(DLT_NFLOG, 65535);
	pcap_t *eth = pcap_open_dead(DLT_EN10MB, 65535);

	if (!nflog || !eth)
		die("libpcap: out of memory");
	if (a->filter) {
		if (pcap_compile(eth, &o->filter, a->filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
			die("bad filter '%s': %s", a->filter, pcap_geterr(eth));
		o->have_filter = 1;
	}
	o->dump = pcap_dump_open(nflog, a->file);
	if (!o->dump)
		die("%s: %s", a->file, pcap_geterr(nflog));
}

int run_capture(const struct cli *c, int argc, char **argv)
{
	struct capture_args a = {0};
	struct capture_out o = {0};
	struct timespec t0, now;
	json_t *res;
	long long lost = 0;

	parse_capture_args(argc, argv, &a);
	open_output(&a, &o);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	json_decref(cli_request(c, json_pack("{s:s, s:s}", "cmd", "capture.start", "name", a.name)));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!interrupted && (!a.count || o.written < a.count)) {
		json_t *pkt;
		size_t i;

		res = cli_request(c, json_pack("{s:s, s:s}", "cmd", "capture.read", "name", a.name));
		json_array_foreach(json_object_get(res, "packets"), i, pkt)
			if (!a.count || o.written < a.count)
				write_packet(&o, a.name, pkt);
		lost = json_integer_value(json_object_get(res, "lost"));
		json_decref(res);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (a.seconds && (now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 >=
					 a.seconds)
			break;
		usleep(100000);
	}
	json_decref(cli_request(c, json_pack("{s:s}", "cmd", "capture.stop")));
	pcap_dump_close(o.dump);
	fprintf(stderr, "%ld packets captured (%ld dropped by the dp), %lld lost by the capture\n",
		o.written, o.dropped, lost);
	return 0;
}
