// SPDX-License-Identifier: GPL-2.0
/*
 * Loss recovery: which segments go again, and when.  How much may be in
 * flight (congestion control) is not decided here: clasp has none yet,
 * and sends what the peer's window admits.
 *
 * Without SACK, the third duplicate ACK starts a fast retransmit of the
 * oldest segment (RFC 5681 3.2), and NewReno recovery (RFC 6582)
 * follows: until all that was outstanding then (recover) is
 * acknowledged, every partial ACK names the next hole, and its segment
 * goes at once.
 *
 * DupThresh is csk->reordering: RFC 5681's 3 until the connection saw
 * data arrive further out of order (scoreboard.c), then that distance,
 * as TCP's tp->reordering (RFC 6675 section 6 allows DupThresh to adapt).
 *
 * With SACK (RFC 6675), recovery also starts when the scoreboard
 * (scoreboard.c) shows the oldest segment lost, IsLost(snd_una), which
 * may be before the third duplicate ACK.  The fast retransmit sends the
 * oldest segment and every other segment IsLost() finds lost; each ACK
 * after it sends those it newly finds lost, never a SACKed one and none
 * below HighRxt (NextSeg() rule 1).  RFC 6675's pipe and cwnd do not
 * apply: with no congestion window, rules 2 to 4 reduce to sending new
 * data as the window admits, which clasp_push() does.  A partial ACK
 * still sends the segment at snd_una, unless it went already in this
 * recovery: the segments after it were delivered, as Linux's RACK would
 * conclude from their send times.
 *
 * A retransmission timeout (RFC 6298 5.4) resends the oldest segment
 * only and recovers the rest in the same way, one hole per partial ACK
 * and, with SACK, every hole IsLost() names: the receiver holds what
 * arrived beyond a hole (ooo.c), so it is not sent twice, and the
 * scoreboard is kept (RFC 6675 section 5.1), as Linux keeps it unless the
 * peer reneged.  The states are TCP's (enum tcp_ca_state), as TCP_INFO
 * reports them.
 *
 * A loss at the tail of a flight draws too few ACKs for any of this.
 * With SACK, the retransmission timer first fires as a tail loss probe
 * (RFC 8985 section 7, armed by timer.c at about 2 * SRTT): a segment
 * never sent, or the last one again.  The SACK it draws shows what
 * before it is missing; with fewer than four segments out, RFC 5827
 * early retransmit lowers the bar to one fewer SACKed segment than are
 * out, where Linux relies on RACK's send times (not implemented here).
 *
 * A timeout may be spurious: the flight was late, not lost.  F-RTO (RFC
 * 5682 section 2) tells the two apart without timestamps.  If the first
 * ACK after the timeout acknowledges data sent only once, new data goes
 * instead of the next hole; if the next ACK acknowledges more of it, the
 * timeout was spurious and nothing more is sent again.  A duplicate ACK
 * instead confirms the loss.
 */
#include <net/sock.h>

#include "clasp.h"

/* F-RTO (RFC 5682) steps: csk->frto. */
enum {
	CLASP_FRTO_OFF,
	CLASP_FRTO_RESENT,	/* step 1 done: the oldest segment went again */
	CLASP_FRTO_NEW_DATA,	/* step 2b done: new data went instead */
};

static void clasp_recovery_enter(struct sock *sk, u8 state)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->ca_state = state;
	csk->recover = csk->snd_max;
	csk->high_rxt = csk->snd_una;
	csk->tlp_high_seq = 0;
}

/**
 * clasp_recovery_init() - a connection's first sequence numbers are set
 * @sk: the socket
 *
 * RFC 6582 3.2: recover starts at the initial send sequence number.
 */
void clasp_recovery_init(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->ca_state = TCP_CA_Open;
	csk->recover = csk->iss;
	csk->high_rxt = csk->iss;
	csk->dupacks = 0;
	csk->frto = CLASP_FRTO_OFF;
	csk->sacked_out = 0;
	csk->sacked_bytes = 0;
	csk->highest_sack = csk->iss;
	csk->reordering = CLASP_DUPTHRESH;
	csk->tlp_high_seq = 0;
}

/* Send @skb again; HighRxt moves past it (RFC 6675). */
static bool clasp_recovery_resend(struct sock *sk, struct sk_buff *skb)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (!clasp_retransmit_skb(sk, skb))
		return false;
	csk->high_rxt = CLASP_SKB_CB(skb)->end_seq;
	if (csk->ca_state == TCP_CA_Recovery)
		clasp_stats_inc(sock_net(sk), CLASP_MIB_FASTRETRANS);
	return true;
}

/*
 * RFC 6675 NextSeg() rule 1, for every segment it names: not SACKed, not
 * sent again in this recovery (at or above HighRxt), and lost by
 * IsLost().  With @head the oldest segment counts as lost too: the fast
 * retransmit (RFC 6675 5 step 4.3), or a partial ACK.
 */
static void clasp_recovery_resend_lost(struct sock *sk, bool head)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);
	u32 lost, end = clasp_sack_lost_end(sk, &lost);

	if (head && skb && clasp_seq_after(CLASP_SKB_CB(skb)->end_seq, end))
		end = CLASP_SKB_CB(skb)->end_seq;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);

		if (skb == csk->send_head || !clasp_seq_before(cb->seq, end))
			break;
		if (cb->sacked || clasp_seq_before(cb->seq, csk->high_rxt))
			continue;
		if (!clasp_recovery_resend(sk, skb))
			break;
	}
}

/* Resend what the ACK shows lost: @partial, it advanced snd_una. */
static void clasp_recovery_repair(struct sock *sk, bool partial)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (csk->sack_ok)
		clasp_recovery_resend_lost(sk, partial);
	else if (partial)
		clasp_recovery_resend(sk, skb_peek(&sk->sk_write_queue));
}

/* Tail loss probes and early retransmit share TCP's switch. */
static bool clasp_early_retrans_on(const struct sock *sk)
{
	u32 er = READ_ONCE(clasp_tun(sk)->early_retrans);

	return er == 3 || er == 4;
}

/*
 * RFC 5827 early retransmit, SACK variant: with fewer than four segments
 * out and none waiting to be sent, DupThresh would never be reached; one
 * fewer SACKed segment than are out shows the loss.  clasp has no RACK
 * (RFC 8985 6), which is what tells Linux that a segment sent before a
 * delivered tail loss probe was lost; this rule covers the same tail.
 */
static bool clasp_recovery_early(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *skb;
	u32 oseg = 0;

	if (!clasp_early_retrans_on(sk) || csk->send_head || !csk->sacked_out)
		return false;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (++oseg > CLASP_DUPTHRESH)
			return false;
	}
	return csk->sacked_out >= oseg - 1;
}

/*
 * Time for a fast retransmit?  DupThresh duplicate ACKs, or with SACK
 * IsLost(snd_una) (RFC 6675 section 5), unless the duplicates may answer
 * segments sent before the last recovery ended: RFC 6582 3.2 step 1,
 * the ACK must cover more than recover.
 */
static bool clasp_recovery_due(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 lost;

	if (csk->ca_state != TCP_CA_Open ||
	    !clasp_seq_after(csk->snd_una, csk->recover))
		return false;
	if (csk->dupacks >= csk->reordering)
		return true;
	if (!csk->sack_ok)
		return false;
	return clasp_seq_after(clasp_sack_lost_end(sk, &lost), csk->snd_una) ||
	       clasp_recovery_early(sk);
}

static void clasp_recovery_fast_retransmit(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	clasp_recovery_enter(sk, TCP_CA_Recovery);
	clasp_stats_inc(sock_net(sk), csk->sack_ok ? CLASP_MIB_SACKRECOVERY :
						     CLASP_MIB_RENORECOVERY);
	if (csk->sack_ok)
		clasp_recovery_resend_lost(sk, true);
	else
		clasp_recovery_resend(sk, skb_peek(&sk->sk_write_queue));
}

/**
 * clasp_recovery_sacked() - an ACK marked segments SACKed
 * @sk: the socket, locked
 *
 * Also the end of every duplicate ACK and of every ACK in the Open state:
 * what the scoreboard now shows lost goes again, starting a recovery if
 * none is under way.  F-RTO, while it decides, sends nothing more.
 */
void clasp_recovery_sacked(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (csk->frto)
		return;
	if (clasp_recovery_due(sk))
		clasp_recovery_fast_retransmit(sk);
	else if (csk->ca_state != TCP_CA_Open)
		clasp_recovery_repair(sk, false);
}

/**
 * clasp_recovery_dupack() - a duplicate ACK (RFC 5681 section 2) arrived
 * @sk: the socket, locked
 *
 * The third starts a fast retransmit (clasp_recovery_sacked()).
 */
void clasp_recovery_dupack(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (csk->frto) {
		/* RFC 5682 2a, 3a: the timeout was real; go on as after any. */
		if (csk->frto == CLASP_FRTO_NEW_DATA)
			clasp_recovery_resend(sk, skb_peek(&sk->sk_write_queue));
		csk->frto = CLASP_FRTO_OFF;
		return;
	}
	if (csk->dupacks < U8_MAX)
		csk->dupacks++;
	clasp_recovery_sacked(sk);
}

/**
 * clasp_recovery_ack() - an ACK advanced snd_una (after the write queue
 * let go of what it covers)
 * @sk: the socket, locked
 *
 * A full ACK, one that covers recover, ends recovery; a partial one shows
 * where the next hole is, and its segment goes now (RFC 6582 3.2 step 3),
 * with SACK with every other segment found lost, unless F-RTO is still
 * deciding whether the timeout was spurious.
 */
void clasp_recovery_ack(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->dupacks = 0;
	if (csk->ca_state == TCP_CA_Open) {
		clasp_recovery_sacked(sk);
		return;
	}
	if (!clasp_seq_before(csk->snd_una, csk->recover)) {
		csk->ca_state = TCP_CA_Open;
		csk->frto = CLASP_FRTO_OFF;
		return;
	}
	switch (csk->frto) {
	case CLASP_FRTO_RESENT:
		/* Step 2b: new data instead, if there is any to send. */
		if (csk->send_head) {
			csk->frto = CLASP_FRTO_NEW_DATA;
			return;
		}
		csk->frto = CLASP_FRTO_OFF;
		break;
	case CLASP_FRTO_NEW_DATA:
		/* Step 3b: more of the first flight arrived: it was late. */
		csk->frto = CLASP_FRTO_OFF;
		csk->ca_state = TCP_CA_Open;
		clasp_stats_inc(sock_net(sk), CLASP_MIB_SPURIOUSRTOS);
		return;
	}
	clasp_recovery_repair(sk, true);
}

/**
 * clasp_recovery_timeout() - the retransmission timer expired with data
 * outstanding
 * @sk: the socket, locked
 *
 * The oldest segment goes again; every ACK short of what was outstanding
 * then brings the next (RFC 6298 5.4, then as RFC 6582).  F-RTO starts
 * unless a recovery was under way (RFC 5682 section 2.1).
 */
void clasp_recovery_timeout(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->frto = csk->ca_state == TCP_CA_Open ? CLASP_FRTO_RESENT :
						   CLASP_FRTO_OFF;
	clasp_recovery_enter(sk, TCP_CA_Loss);
	csk->dupacks = 0;
	clasp_recovery_resend(sk, skb_peek(&sk->sk_write_queue));
}

/* The states a tail loss probe may be sent in: data may be in flight. */
#define CLASP_TLP_STATES	(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT | \
				 TCPF_FIN_WAIT1 | TCPF_CLOSING | TCPF_LAST_ACK)

/**
 * clasp_recovery_probe_due() - may a tail loss probe replace the RTO?
 * @sk: the socket, locked
 *
 * RFC 8985 7.2, with Linux's conditions (tcp_schedule_loss_probe()):
 * early_retrans 3 or 4, SACK in use, no recovery under way, data in
 * flight, and no probe already out.
 *
 * Return: true if the retransmission timer should be a probe timer.
 */
bool clasp_recovery_probe_due(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	return clasp_early_retrans_on(sk) && csk->sack_ok &&
	       csk->ca_state == TCP_CA_Open && !csk->tlp_high_seq &&
	       csk->snd_una != csk->snd_max &&
	       (1 << sk->sk_state) & CLASP_TLP_STATES;
}

/* The last segment sent: the one before send_head, or the queue's tail. */
static struct sk_buff *clasp_last_sent(struct sock *sk)
{
	struct sk_buff *head = clasp_sk(sk)->send_head;

	if (!head)
		return skb_peek_tail(&sk->sk_write_queue);
	if (skb_queue_is_first(&sk->sk_write_queue, head))
		return NULL;
	return skb_queue_prev(&sk->sk_write_queue, head);
}

/**
 * clasp_recovery_probe() - the probe timeout expired (RFC 8985 7.3)
 * @sk: the socket, locked
 *
 * A segment never sent goes if the peer's window admits it (what Nagle
 * or a cork held back); otherwise the last segment sent goes again.  Its
 * ACK, or the SACK blocks it draws, show a loss at the tail without
 * waiting for the RTO, which is armed again behind it.
 */
void clasp_recovery_probe(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 prior = csk->snd_max;

	if (csk->send_head)
		clasp_push_nonagle(sk, CLASP_NAGLE_PUSH);
	csk->tlp_retrans = csk->snd_max == prior;
	if (!csk->tlp_retrans ||
	    clasp_retransmit_skb(sk, clasp_last_sent(sk))) {
		csk->tlp_high_seq = csk->snd_max;
		clasp_stats_inc(sock_net(sk), CLASP_MIB_LOSSPROBES);
	}
	clasp_rtx_arm(sk);
}

/**
 * clasp_recovery_probe_acked() - an ACK came while a probe episode is open
 * @sk: the socket, locked
 * @ack: its acknowledgment number
 * @dup: it acknowledged nothing new and SACKed nothing new
 *
 * RFC 8985 7.4, as tcp_process_tlp_ack(): an ACK beyond what was sent when
 * a retransmitted probe went shows that the probe repaired a loss; a
 * probe of new data, or a duplicate ACK for a retransmitted one (both
 * copies arrived), ends the episode quietly.
 */
void clasp_recovery_probe_acked(struct sock *sk, u32 ack, bool dup)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (!csk->tlp_high_seq || clasp_seq_before(ack, csk->tlp_high_seq))
		return;
	if (csk->tlp_retrans && clasp_seq_after(ack, csk->tlp_high_seq))
		clasp_stats_inc(sock_net(sk), CLASP_MIB_LOSSPROBERECOVERY);
	else if (csk->tlp_retrans && !dup)
		return;
	csk->tlp_high_seq = 0;
}
