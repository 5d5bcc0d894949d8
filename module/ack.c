// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: when to acknowledge.
 *
 * Data is acknowledged at least every second full-sized segment and
 * otherwise within the delayed-ACK timeout (RFC 9293 3.8.6.3, RFC 1122
 * 4.2.3.2, RFC 5681 4.2), with Linux TCP's rules (tcp_input.c,
 * tcp_output.c, tcp_timer.c): quick-ACK mode for the first segments of a
 * connection and after an idle spell, an adaptive timeout (ato) from
 * 40 ms, TCP_DELACK_MIN, and an interactive ("pingpong") mode in which
 * the ACK waits for the reply it can ride on.  Any segment sent carries
 * the ACK and cancels the pending one.  What cannot wait goes at once:
 * out-of-order or duplicate data, data that fills a hole (@ack_now), a
 * FIN out of order, in FIN_WAIT_1 or in FIN_WAIT_2, and a window that
 * opened.  A FIN in
 * ESTABLISHED waits, in interactive mode, for the FIN the application's
 * close() sends (tcp_fin()).
 */
#include <net/sock.h>

#include "clasp.h"

#define CLASP_ATO_MIN_US	40000U	/* TCP_ATO_MIN, TCP_DELACK_MIN: 40 ms */
#define CLASP_DELACK_MAX_US	200000U	/* TCP_DELACK_MAX */
#define CLASP_ATO_LONG_US	500000U	/* HZ / 2: the ceiling without a reply */
#define CLASP_MAX_QUICKACKS	16U	/* TCP_MAX_QUICKACKS */

/*
 * Quick ACKs for the next segments: about half a window's worth, at most
 * @max (tcp_incr_quickack()).  Before any data the receive MSS is not
 * known yet: two.
 */
static void clasp_incr_quickack(struct clasp_sock *csk, u32 max)
{
	u32 n = csk->rcv_mss ? csk->rcv_wnd / (2 * csk->rcv_mss) : 0;

	n = min(n ?: 2, max);
	if (n > csk->quick)
		csk->quick = n;
}

/**
 * clasp_ack_quick_enter() - acknowledge the next segments at once, at
 * most @max of them, as tcp_enter_quickack_mode(): the sender may be
 * short of window (a CE mark came, ecn_sock.c)
 * @sk: the socket, locked
 * @max: quick ACKs at most
 */
void clasp_ack_quick_enter(struct sock *sk, u32 max)
{
	struct clasp_sock *csk = clasp_sk(sk);

	clasp_incr_quickack(csk, max);
	WRITE_ONCE(csk->opt.pingpong, false);
	csk->ato_us = CLASP_ATO_MIN_US;
}

static bool clasp_in_quickack(const struct clasp_sock *csk)
{
	return csk->quick && !READ_ONCE(csk->opt.pingpong);
}

/*
 * New data arrived in order: tcp_event_data_recv() and
 * tcp_measure_rcv_mss().  The receive MSS follows the largest segment
 * seen; a shorter one marks the ACK as "pushed" (sent on a read that
 * empties the queue).  The ato follows the gaps between segments, and a
 * gap longer than the RTO (the sender went idle) brings quick ACKs back.
 */
static void clasp_ack_data_rcvd(struct sock *sk, u32 len)
{
	struct clasp_sock *csk = clasp_sk(sk);
	ktime_t now = clasp_now(sk);
	u32 adv = clasp_adv_mss(sk);

	if (!csk->rcv_mss)
		csk->rcv_mss = max(min(adv, CLASP_DEFAULT_MSS), CLASP_MIN_MSS);
	if (len >= csk->rcv_mss)
		csk->rcv_mss = min(len, adv);
	else
		csk->ack_pushed = true;
	csk->ack_sched = true;

	if (!csk->ato_us) {
		clasp_incr_quickack(csk, CLASP_MAX_QUICKACKS);
		csk->ato_us = CLASP_ATO_MIN_US;
	} else {
		s64 m = ktime_us_delta(now, csk->lrcvtime);

		if (m <= CLASP_ATO_MIN_US / 2)
			csk->ato_us = csk->ato_us / 2 + CLASP_ATO_MIN_US / 2;
		else if (m < csk->ato_us)
			csk->ato_us = min_t(u32, csk->ato_us / 2 + m, csk->rto_us);
		else if (m > csk->rto_us)
			clasp_incr_quickack(csk, CLASP_MAX_QUICKACKS);
	}
	csk->lrcvtime = now;
}

/*
 * More than one full segment unacknowledged, and the ACK would not pull
 * the window's right edge back (else the reader's next read sends it:
 * clasp_ack_read()), as __tcp_ack_snd_check().  TCP asks for a window no
 * smaller than the last; its window is capped below the free buffer
 * (rcv_ssthresh), while clasp's is half the free buffer itself, which
 * every unread segment shrinks: clasp asks that the right edge holds.
 */
static bool clasp_ack_two_segments(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (csk->rcv_nxt - csk->rcv_wup <= csk->rcv_mss)
		return false;
	return csk->rcv_nxt - csk->copied_seq < READ_ONCE(sk->sk_rcvlowat) ||
	       !clasp_seq_before(csk->rcv_nxt + clasp_rcv_space(sk),
				 csk->rcv_wup + csk->rcv_wnd);
}

/*
 * Arm the timer for the ACK owed, as tcp_send_delayed_ack(): the ato,
 * bounded once it grew past 40 ms by the round-trip time (at least
 * 40 ms), by 200 ms in interactive mode or after a short segment, else
 * by 500 ms.  Without an RTT sample (a passive open has none before it
 * sends data; TCP's has the SYN-ACK's) 40 ms: the ato alone would grow
 * to the RTO on a connection that only receives.  A timer armed earlier
 * keeps its earlier expiry; one about to fire is beaten by sending now.
 */
static void clasp_dack_schedule(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 ato = csk->ato_us;

	if (ato > CLASP_ATO_MIN_US) {
		u32 max_ato = CLASP_ATO_LONG_US;

		if (READ_ONCE(csk->opt.pingpong) || csk->ack_pushed)
			max_ato = CLASP_DELACK_MAX_US;
		max_ato = min(max_ato, max(csk->srtt_us, CLASP_ATO_MIN_US));
		ato = min(ato, max_ato);
	}
	if (csk->dack_pending) {
		s64 left = ktime_to_us(hrtimer_get_remaining(&csk->dack_timer));

		if (left <= ato / 4) {
			clasp_send_ack(sk);
			return;
		}
		if (left <= ato)
			return;
	}
	clasp_dack_arm(sk, (u64)ato * NSEC_PER_USEC);
}

/**
 * clasp_ack_fin_rcvd() - the peer's FIN moved the socket to CLOSE_WAIT:
 * its ACK waits for the FIN or reply the application sends next
 * @sk: the socket, locked
 *
 * Interactive mode, as tcp_fin() enters it: a request-response peer
 * closes at once, and its FIN carries the ACK (one segment fewer per
 * connection).  The delayed-ACK timer sends it if the application does
 * not, and ends the mode.
 */
void clasp_ack_fin_rcvd(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->ack_sched = true;
	WRITE_ONCE(csk->opt.pingpong, true);
}

/**
 * clasp_ack_rcv() - acknowledge a segment's text and FIN: now or later
 * @sk: the socket, locked, synchronized
 * @seg: the segment, acceptable
 * @arrived: it brought new data in order (queued for the reader)
 *
 * At once: data that did not arrive in order (out of order, old, or
 * dropped), a socket in quick-ACK mode, more than one full segment
 * unacknowledged, or @ack_now set (a hole filled, a FIN out of order or
 * in FIN_WAIT_1).  Otherwise the delayed-ACK timer: so for the FIN that
 * brought the socket to CLOSE_WAIT (clasp_ack_fin_rcvd()).  A segment
 * with neither data nor FIN needs no ACK.
 */
void clasp_ack_rcv(struct sock *sk, const struct clasp_seg *seg, bool arrived)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (!seg->len && !(seg->flags & CLASP_FIN))
		return;
	if (arrived)
		clasp_ack_data_rcvd(sk, seg->gso_size ?: seg->len);
	if ((seg->len && !arrived) || csk->ack_now ||
	    clasp_in_quickack(csk) || clasp_ack_two_segments(sk)) {
		clasp_send_ack(sk);
		return;
	}
	clasp_dack_schedule(sk);
}

/**
 * clasp_ack_sent() - a segment carrying our ACK left: nothing is owed
 * @sk: the socket, locked
 *
 * Stops the delayed-ACK timer; an ACK that covered new data counts
 * against the quick ACKs left (tcp_event_ack_sent(),
 * tcp_dec_quickack_mode()).
 */
void clasp_ack_sent(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (csk->ack_sched && csk->quick && !--csk->quick)
		csk->ato_us = CLASP_ATO_MIN_US;
	csk->ack_sched = false;
	csk->ack_now = false;
	csk->ack_pushed = false;
	if (csk->dack_pending)
		clasp_dack_stop(sk);
}

/**
 * clasp_ack_data_sent() - new data left: a reply within the ato of the
 * last data received makes the connection interactive (pingpong), as
 * tcp_event_data_sent()
 * @sk: the socket, locked
 */
void clasp_ack_data_sent(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (csk->ato_us &&
	    ktime_us_delta(clasp_now(sk), csk->lrcvtime) < csk->ato_us)
		WRITE_ONCE(csk->opt.pingpong, true);
}

/**
 * clasp_ack_read() - the reader took @copied bytes: send the ACK owed if
 * it can no longer wait, as tcp_cleanup_rbuf()
 * @sk: the socket, locked
 * @copied: bytes read
 *
 * When more than one full segment is unacknowledged, or when the read
 * emptied the queue of a short segment outside interactive mode.  The
 * window update after a read is clasp_maybe_window_update()'s.
 */
void clasp_ack_read(struct sock *sk, int copied)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (!csk->ack_sched)
		return;
	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				     TCPF_FIN_WAIT2 | TCPF_CLOSE_WAIT)))
		return;
	if (csk->rcv_nxt - csk->rcv_wup > csk->rcv_mss ||
	    (copied > 0 && csk->ack_pushed && !READ_ONCE(csk->opt.pingpong) &&
	     skb_queue_empty(&sk->sk_receive_queue)))
		clasp_send_ack(sk);
}

/**
 * clasp_ack_quick_set() - TCP_QUICKACK, as __tcp_sock_set_quickack(): 0
 * enters interactive mode; another value leaves it and sends an ACK owed
 * if the reader has emptied the queue, and an even one enters it again
 * @sk: the socket, locked
 * @val: the value set
 */
void clasp_ack_quick_set(struct sock *sk, int val)
{
	struct clasp_sock *csk = clasp_sk(sk);

	WRITE_ONCE(csk->opt.pingpong, !val);
	if (!val || !csk->ack_sched)
		return;
	csk->ack_pushed = true;
	clasp_ack_read(sk, 1);
	if (!(val & 1))
		WRITE_ONCE(csk->opt.pingpong, true);
}

/**
 * clasp_dack_work() - the delayed-ACK timer expired: send the ACK owed
 * @sk: the socket, locked
 *
 * As tcp_delack_timer_handler(): a missed delay doubles the ato (at most
 * the RTO), or in interactive mode ends that mode (no reply came to
 * carry the ACK).  Counted in DelayedACKs.
 */
void clasp_dack_work(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (!csk->ack_sched ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				     TCPF_FIN_WAIT2 | TCPF_CLOSE_WAIT |
				     TCPF_CLOSING | TCPF_LAST_ACK)))
		return;
	if (!READ_ONCE(csk->opt.pingpong)) {
		csk->ato_us = min(csk->ato_us * 2, csk->rto_us);
	} else {
		WRITE_ONCE(csk->opt.pingpong, false);
		csk->ato_us = CLASP_ATO_MIN_US;
	}
	clasp_send_ack(sk);
	clasp_sk_stats_inc(sk, CLASP_MIB_DELAYEDACKS);
}
