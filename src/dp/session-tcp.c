/*
 * session-tcp.c - the TCP state machine a middlebox can follow.
 *
 * We see both directions but are no endpoint, so the state is derived from
 * facts per side: handshake progress, a FIN sent (and the ack number that
 * covers it), that FIN acked.  Sequence numbers are only used to tell when a
 * FIN is acked; window checking belongs to a later stage.
 */
#include <errno.h>

#include "session.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

#define SEQ_GEQ(a, b) ((int32_t)((a) - (b)) >= 0)

static const char *const state_names[SESS_TCP__MAX] = {
	[SESS_TCP_NONE] = "none",	  [SESS_TCP_SYN_SENT] = "syn_sent",
	[SESS_TCP_SYN_RECV] = "syn_recv",   [SESS_TCP_ESTABLISHED] = "established",
	[SESS_TCP_FIN_WAIT] = "fin_wait",   [SESS_TCP_CLOSE_WAIT] = "close_wait",
	[SESS_TCP_LAST_ACK] = "last_ack",   [SESS_TCP_CLOSING] = "closing",
	[SESS_TCP_TIME_WAIT] = "time_wait", [SESS_TCP_CLOSED] = "closed",
};

const char *sess_state_str(enum sess_tcp_state st)
{
	return st < SESS_TCP__MAX ? state_names[st] : "?";
}

enum sess_tclass sess_tcp_tclass(enum sess_tcp_state st)
{
	switch (st) {
	case SESS_TCP_SYN_SENT:
	case SESS_TCP_SYN_RECV:
		return SESS_TC_TCP_OPEN;
	case SESS_TCP_ESTABLISHED:
		return SESS_TC_TCP_EST;
	case SESS_TCP_FIN_WAIT:
	case SESS_TCP_CLOSE_WAIT:
		return SESS_TC_TCP_HALF;
	default:
		return SESS_TC_TCP_CLOSING;
	}
}

/*
 * First packet of a flow.  A stray RST opens nothing.  A SYN+ACK means we
 * missed the SYN: its receiver is the client.  Anything else is a mid-stream
 * pickup, taken as established; the client is guessed to be the side with
 * the higher (ephemeral) port.
 */
int sess_tcp_open(const struct dp_pkt *p, struct session *s, bool *sender_is_client)
{
	uint8_t f = p->tcp_flags;

	if (f & TH_RST)
		return -ENOENT;
	if ((f & (TH_SYN | TH_ACK)) == TH_SYN) {
		s->state = SESS_TCP_SYN_SENT;
		*sender_is_client = true;
	} else if (f & TH_SYN) {
		s->state = SESS_TCP_SYN_RECV;
		s->flags |= SESS_F_SYNACK;
		*sender_is_client = false;
	} else {
		s->state = SESS_TCP_ESTABLISHED;
		s->flags |= SESS_F_MIDSTREAM;
		*sender_is_client = p->sport >= p->dport;
	}
	return 0;
}

/* A pure SYN on a finished flow starts a new one (port reuse). */
bool sess_tcp_reopens(const struct session *s, const struct dp_pkt *p)
{
	if (s->state != SESS_TCP_TIME_WAIT && s->state != SESS_TCP_CLOSED)
		return false;
	return (p->tcp_flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN;
}

static void tcp_handshake(struct session *s, uint8_t f, enum sess_side side)
{
	if (s->state == SESS_TCP_SYN_SENT && side == SESS_FROM_SERVER && (f & TH_SYN))
		s->state = SESS_TCP_SYN_RECV;
	else if (s->state == SESS_TCP_SYN_RECV && side == SESS_FROM_CLIENT &&
		 (f & (TH_SYN | TH_ACK)) == TH_ACK)
		s->state = SESS_TCP_ESTABLISHED;
}

static void tcp_note_fin(struct session *s, const struct dp_pkt *p, enum sess_side side)
{
	uint32_t end = p->tcp_seq + p->payload_len + 1;

	if (p->tcp_flags & TH_SYN)
		end++;
	if (!(s->tcp_fin & (1u << side))) {
		s->tcp_fin |= (uint8_t)(1u << side);
		s->tcp_fin_seq[side] = end;
	}
}

static void tcp_note_ack(struct session *s, const struct dp_pkt *p, enum sess_side side)
{
	enum sess_side other = side == SESS_FROM_CLIENT ? SESS_FROM_SERVER : SESS_FROM_CLIENT;

	if ((s->tcp_fin & (1u << other)) && SEQ_GEQ(p->tcp_ack, s->tcp_fin_seq[other]))
		s->tcp_fin_acked |= (uint8_t)(1u << other);
}

static enum sess_tcp_state tcp_close_state(const struct session *s)
{
	int fins = __builtin_popcount(s->tcp_fin);
	int acked = __builtin_popcount(s->tcp_fin_acked);

	if (fins == 1)
		return acked ? SESS_TCP_CLOSE_WAIT : SESS_TCP_FIN_WAIT;
	if (acked == 2)
		return SESS_TCP_TIME_WAIT;
	return acked ? SESS_TCP_LAST_ACK : SESS_TCP_CLOSING;
}

void sess_tcp_update(struct session *s, const struct dp_pkt *p, enum sess_side side)
{
	uint8_t f = p->tcp_flags;

	if (s->state == SESS_TCP_CLOSED)
		return;
	if (f & TH_RST) {
		s->state = SESS_TCP_CLOSED;
		return;
	}
	tcp_handshake(s, f, side);
	if (f & TH_FIN)
		tcp_note_fin(s, p, side);
	if (f & TH_ACK)
		tcp_note_ack(s, p, side);
	if (s->tcp_fin)
		s->state = tcp_close_state(s);
}
