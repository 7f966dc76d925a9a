/*
 * session-t.h - per-worker session table types (no functions).
 *
 * A session is one flow seen on one port: both directions share it.  Its key
 * holds the two endpoints in a canonical order (lower address/port first) so
 * a packet and its reply hash alike; `client` records which key side opened
 * the flow.  Per-direction arrays are indexed by SESS_FROM_CLIENT/SERVER.
 */
#ifndef BH_SESSION_T_H
#define BH_SESSION_T_H

#include <stdint.h>

#define SESS_NIL UINT32_MAX
#define SESS_DEFAULT_CAPACITY 65536

enum sess_side { SESS_FROM_CLIENT = 0, SESS_FROM_SERVER = 1 };

enum sess_tcp_state {
	SESS_TCP_NONE = 0, /* not TCP */
	SESS_TCP_SYN_SENT,
	SESS_TCP_SYN_RECV,
	SESS_TCP_ESTABLISHED,
	SESS_TCP_FIN_WAIT,   /* one FIN seen, not yet acked */
	SESS_TCP_CLOSE_WAIT, /* one FIN acked, the other side may still send */
	SESS_TCP_LAST_ACK,   /* both FINs seen, one acked */
	SESS_TCP_CLOSING,    /* both FINs seen, none acked (simultaneous close) */
	SESS_TCP_TIME_WAIT,  /* both FINs acked */
	SESS_TCP_CLOSED,     /* RST */
	SESS_TCP__MAX
};

/* Timeout classes: each has one timeout and one list ordered by last activity. */
enum sess_tclass {
	SESS_TC_TCP_OPEN,
	SESS_TC_TCP_EST,
	SESS_TC_TCP_HALF,
	SESS_TC_TCP_CLOSING,
	SESS_TC_UDP, /* also any other IP protocol */
	SESS_TC_ICMP,
	SESS_TC__MAX
};

/* session.flags */
#define SESS_F_MIDSTREAM 0x01 /* first packet was not an opening one: client is a guess */
#define SESS_F_SYNACK 0x02    /* picked up at SYN+ACK: client inferred from it */
#define SESS_F_FAST 0x04      /* installed in the eBPF fast path (both directions) */
#define SESS_F_PROVISIONAL 0x08 /* allowed by a rule with apps before the app was known */
#define SESS_F_LEARN_APP 0x10   /* discover: learn once the app is known (or at the end) */
#define SESS_F_THREAT 0x20      /* counted in the threat stage's sessions per source */
#define SESS_F_PAIR_IN 0x40     /* its ingress is judged at the sending local port (dp-pair.c)
                                   and an eBPF entry lets those frames in without a 2nd pass */

/* 40 bytes, no padding, so it can be hashed and compared as bytes. */
struct sess_key {
	uint8_t addr[2][16];
	uint16_t port[2]; /* TCP/UDP ports; ICMP echo: the id on both sides */
	uint16_t port_idx;
	uint8_t family;
	uint8_t proto;
};

struct session {
	struct sess_key key;
	uint32_t hash;
	uint32_t hnext;        /* bucket chain (pool index) */
	uint32_t lprev, lnext; /* timeout-class list (pool index) */
	uint32_t port_gen;     /* port description generation it was made under */
	uint8_t client;        /* key side (0/1) that opened the flow */
	uint8_t client_dir;    /* enum dp_dir of client->server packets on this port */
	uint8_t state;         /* enum sess_tcp_state */
	uint8_t tclass;        /* enum sess_tclass */
	uint8_t flags;         /* SESS_F_* */
	uint8_t tcp_fin;       /* bit per sess_side: FIN seen */
	uint8_t tcp_fin_acked; /* bit per sess_side: that FIN acked */
	uint8_t verdict;       /* enum sess_verdict, owned by the policy stage */
	uint32_t tcp_fin_seq[2]; /* per sess_side: the ack number that covers its FIN */
	uint32_t policy_id;      /* rule that decided it (0 = mode default) */
	uint32_t tcp_next[2];    /* per sess_side: next sequence number it will send */
	uint8_t peer_mac[6];     /* L2 address of the far side, for resets we send */
	uint8_t tcp_seq_seen;    /* bit per sess_side: tcp_next valid */
	uint8_t end;             /* enum policy_dir: which end of the flow this port is */
	uint8_t app;             /* enum bh_app, owned by DPI (dpi.c) */
	uint32_t dpi_flow;       /* DPI flow slot + 1 while inspected, else 0 */
	uint32_t sig_slot;       /* signature inspection slot + 1 while inspected (sig.c) */
	uint32_t sig_gen;        /* signature set generation that found nothing to inspect */
	uint32_t reasm_flow;     /* TCP reassembly slot + 1 (reasm-tcp.h), REASM_FLOW_DONE, or 0 */
	uint64_t first_seen;     /* ms, coarse monotonic clock */
	uint64_t last_seen;
	uint64_t packets[2]; /* per sess_side */
	uint64_t bytes[2];
};

/* Verdict of a session at this port's end. */
enum sess_verdict { SESS_UNDECIDED = 0, SESS_ALLOWED, SESS_BLOCKED };

/* What sess_update() tells the caller about the packet's session. */
struct sess_result {
	struct session *s; /* NULL when the packet belongs to no session */
	uint8_t created;   /* this packet opened it */
	uint8_t side;      /* enum sess_side of this packet */
};

struct sess_table_stats {
	uint64_t created;
	uint64_t expired;
	uint64_t evicted; /* embryonic TCP or datagram sessions pushed out by a full table */
	uint64_t full;    /* creations refused: table full */
};

#endif
