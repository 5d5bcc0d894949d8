// SPDX-License-Identifier: GPL-2.0
/*
 * Loss recovery: which segments go again, and when.  How much may be in
 * flight (congestion control) is not decided here.
 *
 * The third duplicate ACK starts a fast retransmit of the oldest segment
 * (RFC 5681 3.2), and NewReno recovery (RFC 6582) follows: until all that
 * was outstanding then (recover) is acknowledged, every partial ACK names
 * the next hole, and its segment goes at once.  A retransmission timeout
 * (RFC 6298 5.4) resends the oldest segment only and recovers the rest in
 * the same way, one hole per partial ACK, rather than the whole flight:
 * the receiver holds what arrived beyond a hole (ooo.c), so it is not
 * sent twice.  The states are TCP's (enum tcp_ca_state), as TCP_INFO
 * reports them.
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

#define CLASP_DUPACK_THRESH	3	/* RFC 5681: DupThresh */

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
	csk->dupacks = 0;
	csk->frto = CLASP_FRTO_OFF;
}

/**
 * clasp_recovery_dupack() - a duplicate ACK (RFC 5681 section 2) arrived
 * @sk: the socket, locked
 *
 * The third starts a fast retransmit, unless recovery is under way or the
 * duplicates may answer segments sent before the last one ended: RFC 6582
 * 3.2 step 1, the ACK must cover more than recover.
 */
void clasp_recovery_dupack(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (csk->frto) {
		/* RFC 5682 2a, 3a: the timeout was real; go on as after any. */
		if (csk->frto == CLASP_FRTO_NEW_DATA)
			clasp_retransmit_one(sk);
		csk->frto = CLASP_FRTO_OFF;
		return;
	}
	if (++csk->dupacks != CLASP_DUPACK_THRESH ||
	    csk->ca_state != TCP_CA_Open ||
	    !clasp_seq_after(csk->snd_una, csk->recover))
		return;
	clasp_recovery_enter(sk, TCP_CA_Recovery);
	clasp_stats_inc(sock_net(sk), CLASP_MIB_RENORECOVERY);
	if (clasp_retransmit_one(sk))
		clasp_stats_inc(sock_net(sk), CLASP_MIB_FASTRETRANS);
}

/**
 * clasp_recovery_ack() - an ACK advanced snd_una (after the write queue
 * let go of what it covers)
 * @sk: the socket, locked
 *
 * A full ACK, one that covers recover, ends recovery; a partial one shows
 * where the next hole is, and its segment goes now (RFC 6582 3.2 step 3),
 * unless F-RTO is still deciding whether the timeout was spurious.
 */
void clasp_recovery_ack(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->dupacks = 0;
	if (csk->ca_state == TCP_CA_Open)
		return;
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
	if (clasp_retransmit_one(sk) && csk->ca_state == TCP_CA_Recovery)
		clasp_stats_inc(sock_net(sk), CLASP_MIB_FASTRETRANS);
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
	clasp_retransmit_one(sk);
}
