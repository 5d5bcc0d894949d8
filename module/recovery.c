// SPDX-License-Identifier: GPL-2.0
/*
 * Loss recovery: which segments go again, and when.  How much may be in
 * flight is congestion control's (cong.c): this file tells it of each
 * loss event (a fast retransmit, a timeout, a spurious timeout, the end
 * of a recovery), and sends what it admits.
 *
 * Without SACK, the third duplicate ACK starts a fast retransmit of the
 * oldest segment (RFC 5681 3.2), and NewReno recovery (RFC 6582)
 * follows: until all that was outstanding then (recover) is
 * acknowledged, every partial ACK names the next hole, and its segment
 * goes at once.
 *
 * With SACK and RACK off (recovery=0), RFC 6675: recovery also starts
 * when the scoreboard (scoreboard.c) shows the oldest segment lost,
 * IsLost(snd_una), which may be before the third duplicate ACK.  The
 * fast retransmit sends the oldest segment and every other segment
 * IsLost() finds lost; each ACK
 * after it sends those it newly finds lost, never a SACKed one and none
 * below HighRxt (NextSeg() rule 1), while pipe is below cwnd (RFC 6675
 * 5 step 4.3; the fast retransmit itself always goes); new data follows
 * in clasp_push() under the same bound (rules 2 to 4).  A partial ACK
 * still sends the segment at snd_una, unless it went already in this
 * recovery: the segments after it were delivered, as Linux's RACK would
 * conclude from their send times.
 *
 * A retransmission timeout (RFC 6298 5.4) resends the oldest segment
 * only and recovers the rest in the same way, one hole per partial ACK
 * and, with SACK, every hole IsLost() or RACK names (Linux takes all
 * that was outstanding for lost; IsLost() stays on there with RACK):
 * the receiver holds what arrived beyond a hole (ooo.c), so it is not
 * sent twice, and the
 * scoreboard is kept (RFC 6675 section 5.1), as Linux keeps it unless the
 * peer reneged.  The states are TCP's (enum tcp_ca_state), as TCP_INFO
 * reports them.
 *
 * A loss at the tail of a flight draws too few ACKs for any of this.
 * With SACK, the retransmission timer first fires as a tail loss probe
 * (RFC 8985 section 7, armed by timer.c at about 2 * SRTT): a segment
 * never sent, or the last one again.  The SACK it draws shows what
 * before it is missing: RACK finds every segment sent before the probe
 * lost, and with RACK off, RFC 5827 early retransmit lowers the bar to
 * one fewer SACKed segment than are out when fewer than four are.
 *
 * RACK (RFC 8985 section 6) is on with SACK and recovery=1, the default,
 * and then it alone finds losses, as Linux's tcp_is_rack() makes it
 * (tcp_time_to_recover() asks for lost_out, tcp_mark_head_lost() is not
 * called): no DupThresh, no IsLost(), no early retransmit, and a partial
 * ACK sends nothing RACK has not found lost.  Each segment keeps the time
 * of its latest transmission, and a segment not delivered that went
 * before the most recently sent one that was is lost once that
 * delivery's round trip plus a reordering window has passed since it
 * went (rack.c does the arithmetic).  The window is a quarter of the
 * least round trip (0 in a recovery, or with three segments SACKed, until
 * the path is seen to reorder), and grows by a quarter with every round
 * trip that brings D-SACKs, up to SRTT, so that a path that reorders
 * draws fewer needless retransmissions.  As Linux's, only a D-SACK that
 * may be ours counts (clasp_rack_dsack_seen()): reordering seen, not the
 * loss probe's, and no more segments D-SACKed over the connection than
 * were sent again; a network that duplicates packets draws D-SACKs of
 * segments sent once, which neither widen the window nor undo.  What has
 * not
 * reached its window yet waits for the reordering timer, the
 * retransmission timer armed in place of the RTO (timer.c).  A segment
 * RACK finds lost starts a recovery, and goes again even if it went
 * before: a lost retransmission is found too.  The tail loss probe and
 * the RTO find the rest.
 *
 * In a fast recovery that RACK decides, Proportional Rate Reduction (RFC
 * 6937, as Linux's tcp_cwnd_reduction()) sets cwnd on each ACK: what
 * RACK marked goes at the pace data is delivered, not at once, so that a
 * segment that was only late is often delivered before it goes again.
 *
 * A fast retransmit may be needless too: reordering, not loss.  Two
 * things say so, and the cut in the window is then undone, as Linux's
 * tcp_try_undo_*() undo it.  D-SACKs (RFC 2883) once they report every
 * segment sent again since the window was cut as received twice (RFC
 * 3708: clasp_recovery_dsack(), DSACKUndo).  With timestamps, an ACK that
 * echoes a TSval older than the first retransmission of the episode
 * (retrans_stamp): the original filled the hole (RFC 3522, Eifel).  Then
 * a partial ACK undoes a fast recovery once no retransmission is out
 * (PartialUndo; until then it sends nothing again), a full ACK undoes it
 * as it ends (FullUndo), any ACK after a timeout undoes that
 * (LossUndo), and the path is known to reorder as far as the hole was
 * from the highest SACKed data.  An undone recovery forgets which
 * segments it found lost: RACK looks again, with the window the
 * reordering now grants.  A cumulative ACK that echoes a TSval older than
 * a retransmission it covers was drawn by the original, and does not
 * advance RACK: its send time would make the whole flight look lost.
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

/* A new recovery state, which the congestion control hears of. */
static void clasp_ca_set_state(struct sock *sk, u8 state)
{
	clasp_sk(sk)->ca_state = state;
	clasp_cong_state(sk, state);
}

static void clasp_recovery_enter(struct sock *sk, u8 state)
{
	struct clasp_sock *csk = clasp_sk(sk);

	clasp_ca_set_state(sk, state);
	csk->recover = csk->snd_max;
	csk->high_rxt = csk->snd_una;
	clasp_rtxq_high_rxt_reset(sk);
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
	clasp_rtxq_rebuild(sk);
	csk->dupacks = 0;
	csk->frto = CLASP_FRTO_OFF;
	csk->sacked_out = 0;
	csk->sacked_bytes = 0;
	csk->highest_sack = csk->iss;
	csk->reordering = CLASP_DUPTHRESH;
	csk->undo_on = false;
	csk->undo_ready = false;
	csk->undo_marker = csk->iss;
	csk->undo_retrans = 0;
	csk->retrans_stamp = 0;
	csk->tlp_high_seq = 0;
	csk->rack_reo_wait = false;
	clasp_rack_init(&csk->rack);
}

/*
 * A window reduction begins (a fast retransmit, or a timeout that lowered
 * ssthresh): remember where, and count what goes again from now on, so
 * that D-SACKs can show the reduction needless (RFC 3708 section 3.2, as
 * Linux's tcp_init_undo()).
 */
static void clasp_undo_init(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->undo_on = true;
	csk->undo_ready = false;
	csk->undo_marker = csk->snd_una;
	csk->undo_retrans = 0;
}

/* A segment went again: one more that a D-SACK must show needless. */
static void clasp_undo_count(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (csk->undo_on && csk->undo_retrans < U32_MAX)
		csk->undo_retrans++;
}

/* Is a segment sent again, and not SACKed, still outstanding? */
static bool clasp_retrans_out(struct sock *sk)
{
	return clasp_sk(sk)->rtxq.retrans;
}

/* Does the ACK being processed echo a timestamp older than @stamp? */
static bool clasp_echo_before(const struct sock *sk, u32 stamp)
{
	u32 ecr = clasp_sk(sk)->rcv_tsecr;

	return ecr && (s32)(ecr - stamp) < 0;
}

/*
 * RFC 3522, Eifel detection, as Linux's tcp_packet_delayed(): an ACK that
 * echoes a timestamp older than the first retransmission of this episode
 * was drawn by a segment sent before it, an original that was only late,
 * so the data it acknowledges was not lost.  With nothing sent again
 * yet, nothing went needlessly either.
 */
static bool clasp_packet_delayed(const struct sock *sk)
{
	const struct clasp_sock *csk = clasp_sk(sk);

	if (!csk->retrans_stamp)
		return true;
	return clasp_echo_before(sk, csk->retrans_stamp);
}

/*
 * May the last reduction be undone (Linux's tcp_may_undo())?  Yes if
 * D-SACKs showed every segment sent again since it began needless (RFC
 * 3708), or if the timestamps show an original delivered (RFC 3522).
 */
static bool clasp_may_undo(const struct sock *sk)
{
	const struct clasp_sock *csk = clasp_sk(sk);

	return csk->undo_on && (!csk->undo_retrans || clasp_packet_delayed(sk));
}

/*
 * The reduction was needless: cwnd and ssthresh as before it (cong.c),
 * counted in @mib, and RACK looks at the flight again.  With @unmark,
 * what was marked lost is not, as Linux's tcp_undo_cwnd_reduction(): the
 * segments were late.  Those a timeout marked RACK looks at again; those
 * RACK marked itself it leaves to the timers until they go again, as
 * Linux's (rtxq.c): its evidence against them stands.
 */
static void clasp_undo(struct sock *sk, bool unmark, enum clasp_mib mib)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *skb;

	csk->undo_on = false;
	csk->undo_ready = false;
	csk->rack.advanced = true;
	if (unmark) {
		skb_queue_walk(&sk->sk_write_queue, skb) {
			if (skb == csk->send_head)
				break;
			CLASP_SKB_CB(skb)->lost = false;
		}
		/* Back on the list by send time: RACK looks at them again. */
		clasp_rtxq_rebuild(sk);
	}
	if (!csk->cong.prior_ssthresh)
		return;
	clasp_cong_undo(sk);
	clasp_sk_stats_inc(sk, mib);
}

/*
 * Back to Open after a recovery; the timestamp of its first
 * retransmission is kept while a segment sent again is still out.
 */
static void clasp_recovery_open(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	clasp_ca_set_state(sk, TCP_CA_Open);
	csk->frto = CLASP_FRTO_OFF;
	if (csk->retrans_stamp && !clasp_retrans_out(sk))
		csk->retrans_stamp = 0;
}

/*
 * D-SACKs showed every segment sent again since the last reduction
 * needless: undo it now, in Open or in a fast recovery, which ends
 * (Linux's tcp_try_undo_dsack() and tcp_try_to_open()); RACK's grown
 * window lasts a recovery more.  After a timeout, the next ACK that
 * moves snd_una undoes it (clasp_recovery_ack()).
 */
static void clasp_undo_try(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (!csk->undo_ready || !csk->undo_on ||
	    csk->ca_state == TCP_CA_Loss)
		return;
	clasp_undo(sk, false, CLASP_MIB_DSACKUNDO);
	clasp_rack_undo(&csk->rack);
	if (csk->ca_state == TCP_CA_Recovery)
		clasp_recovery_open(sk);
}

/*
 * A partial ACK in a fast recovery that echoes a timestamp from before
 * the first retransmission (Linux's tcp_try_undo_partial()): the hole
 * was filled by the original, late, not lost.  The path reorders further
 * than thought; if nothing sent again is still out, the reduction is
 * undone and the recovery ends.  True if the ACK should send nothing
 * again: while retransmissions are out, more evidence is awaited.
 */
static bool clasp_undo_partial(struct sock *sk, u32 prior_una)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (!csk->undo_on || !clasp_packet_delayed(sk))
		return false;
	clasp_sack_reordering(sk, prior_una, clasp_sack_fack(csk));
	if (clasp_retrans_out(sk))
		return true;
	clasp_undo(sk, true, CLASP_MIB_PARTIALUNDO);
	clasp_recovery_open(sk);
	return true;
}

/* Segments of the write queue within [@start, @end) that went again. */
static u32 clasp_dsack_retransmitted(struct sock *sk, u32 start, u32 end)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *skb;
	u32 n = 0;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		const struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);

		if (skb == csk->send_head || !clasp_seq_before(cb->seq, end))
			break;
		if (cb->retransmitted && !clasp_seq_before(cb->seq, start))
			n += clasp_skb_segs(skb);
	}
	return n;
}

/**
 * clasp_recovery_dsack() - a D-SACK reported data received twice
 * @sk: the socket, locked
 * @start: the block's first sequence number
 * @end: the sequence number after it
 *
 * RFC 3708 section 3.2 (Linux's undo_retrans and tcp_try_undo_dsack()):
 * every segment sent again since the last window reduction began that a
 * D-SACK reports was delivered twice, its first copy having arrived after
 * all.  Once every one of them is reported so, nothing was lost: the
 * reduction is undone (cwnd and ssthresh as before it, the algorithm's
 * undo_cwnd()), counted in DSACKUndo, at once in Open or in a fast
 * recovery, which then ends (clasp_undo_try()); a segment RACK marked lost
 * and not yet delivered starts the next one.  After a timeout the undo
 * waits for an ACK that moves snd_una (LossUndo), as Linux's
 * tcp_try_undo_loss().
 * A block that ends at or below where the reduction began reports older
 * data, and counts for nothing; so does one of data never sent again (a
 * duplicate the network made): beyond snd_una only segments marked
 * retransmitted count, below it only data below HighRxt.
 */
void clasp_recovery_dsack(struct sock *sk, u32 start, u32 end)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 segs;

	if (!csk->undo_on || !csk->undo_retrans ||
	    !clasp_seq_after(end, csk->undo_marker))
		return;
	if (clasp_seq_after(end, csk->snd_una))
		segs = clasp_dsack_retransmitted(sk, start, end);
	else if (!clasp_seq_after(end, csk->high_rxt))
		segs = DIV_ROUND_UP(end - start, max(csk->mss, 1U));
	else
		segs = 0;
	csk->undo_retrans -= min(segs, csk->undo_retrans);
	if (!csk->undo_retrans) {
		csk->undo_ready = true;
		clasp_undo_try(sk);
	}
}

/* RACK loss detection (RFC 8985 6): with SACK, recovery=1 (tcp_recovery). */
static bool clasp_rack_on(const struct sock *sk)
{
	return clasp_sk(sk)->sack_ok && READ_ONCE(clasp_tun(sk)->recovery) & 1;
}

/**
 * clasp_rack_decides() - does RACK alone say which segments are lost?
 * @sk: the socket
 *
 * With RACK on, Linux marks segments lost by RACK alone (tcp_is_rack():
 * no tcp_mark_head_lost(), no DupThresh in tcp_time_to_recover()); a
 * timeout marks everything outstanding lost.  clasp does the same outside
 * an RTO recovery; in one (TCP_CA_Loss), the scoreboard's IsLost() and
 * the partial ACKs still name holes, a part of what Linux's timeout marks.
 *
 * Return: true if DupThresh, IsLost() and early retransmit are off.
 */
bool clasp_rack_decides(const struct sock *sk)
{
	return clasp_rack_on(sk) && clasp_sk(sk)->ca_state != TCP_CA_Loss;
}

/* Send @skb again; HighRxt moves past it (RFC 6675). */
static bool clasp_recovery_resend(struct sock *sk, struct sk_buff *skb)
{
	struct clasp_sock *csk = clasp_sk(sk);
	/* Before it goes: its TSval can be no older (clasp_packet_delayed()). */
	u32 stamp = clasp_ts_at(clasp_now(sk), csk->ts_offset);
	u32 prior = csk->high_rxt;

	if (!clasp_retransmit_skb(sk, skb))
		return false;
	if (!csk->retrans_stamp)
		csk->retrans_stamp = stamp ?: 1;
	clasp_undo_count(sk);
	if (clasp_seq_after(CLASP_SKB_CB(skb)->end_seq, csk->high_rxt)) {
		csk->high_rxt = CLASP_SKB_CB(skb)->end_seq;
		clasp_rtxq_high_rxt(sk, skb, prior);
	}
	if (csk->ca_state == TCP_CA_Recovery)
		clasp_sk_stats_inc(sk, CLASP_MIB_FASTRETRANS);
	return true;
}

/*
 * RFC 6675 NextSeg() rule 1, for every segment it names: not SACKed, not
 * sent again in this recovery (at or above HighRxt), and lost by
 * IsLost().  With @head the oldest segment counts as lost too: the fast
 * retransmit (RFC 6675 5 step 4.3), or a partial ACK, and it goes
 * whatever cwnd says.  Every segment RACK marked lost goes too, wherever
 * it lies: a retransmission can be lost again, which HighRxt alone would
 * never let go.  Each after the first only while pipe < cwnd (RFC 6675
 * 5 step 4.3 and (C)); the rest waits for the ACKs that drain pipe.
 *
 * With RACK on, outside an RTO recovery, RACK's marks alone say what is
 * lost (clasp_rack_decides()): neither IsLost() nor a partial ACK sends
 * a segment RACK has not found lost, and @head only lets the first one
 * go whatever cwnd says, as Linux's tcp_xmit_retransmit_queue() sends
 * just what tcp_rack_mark_lost() marked.
 */
static void clasp_recovery_resend_lost(struct sock *sk, bool head)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);
	bool rack = clasp_rack_decides(sk);
	u32 lost, end = rack ? csk->snd_una : clasp_sack_lost_end(sk, &lost);
	u32 cwnd = csk->cong.cwnd;
	u32 pipe = clasp_cong_pipe(sk, cwnd);
	struct sk_buff *first = rack ? NULL : skb, *next;

	if (!rack && head && skb &&
	    clasp_seq_after(CLASP_SKB_CB(skb)->end_seq, end))
		end = CLASP_SKB_CB(skb)->end_seq;
	for (; skb && skb != csk->send_head; skb = next) {
		struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);
		u32 cut = cb->end_seq;

		next = clasp_rtxq_next(sk, skb);
		/*
		 * With RACK, past the oldest segment only the lost go: from
		 * the lowest, and no further than the last (rtxq.c).
		 */
		if (rack && skb_queue_is_first(&sk->sk_write_queue, skb) &&
		    next && next != csk->send_head) {
			if (!csk->rtxq.lost)
				next = NULL;
			else if (clasp_seq_after(csk->rtxq.lost_seq, cb->end_seq))
				next = clasp_rtxq_find(sk, csk->rtxq.lost_seq);
		}
		if (cb->sacked)
			continue;
		if (!cb->lost && (!clasp_seq_before(cb->seq, end) ||
				  clasp_seq_before(cb->seq, csk->high_rxt)))
			continue;
		if (!first)
			first = skb;
		if ((pipe >= cwnd && !(head && skb == first)) ||
		    !clasp_recovery_resend(sk, skb)) {
			/* Every lost segment below this one went again. */
			if (cb->lost)
				csk->rtxq.lost_seq = cb->seq;
			break;
		}
		pipe += clasp_skb_segs(skb);
		/* Cut to a segment as it went: the rest of it is next. */
		if (cb->end_seq != cut)
			next = clasp_rtxq_next(sk, skb);
		if (rack && !csk->rtxq.lost)
			break;
	}
}

/*
 * Proportional Rate Reduction (RFC 6937), as Linux's tcp_cwnd_reduction():
 * while RACK decides, each ACK of a fast recovery sets cwnd to pipe plus
 * what may go for it.  While pipe exceeds ssthresh, prr_delivered *
 * ssthresh / RecoverFS less what went already (Linux divides by the
 * window before the cut, as here); below it, the slow-start bound: no
 * more than was delivered, plus one for an ACK that moved snd_una.  The
 * lost segments go at the pace the ACKs come, not at once, so that a
 * segment RACK found lost that was only late is often delivered before
 * it goes again.
 */
static void clasp_recovery_prr(struct sock *sk, bool partial)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_cong *c = &csk->cong;
	u32 prr_delivered = csk->delivered - csk->prr_base;
	u32 now = csk->delivered - csk->prr_last;
	s64 sndcnt;
	u32 pipe;

	if (csk->ca_state != TCP_CA_Recovery || !clasp_rack_decides(sk))
		return;
	pipe = clasp_cong_pipe(sk, U32_MAX);
	if (pipe > c->ssthresh) {
		sndcnt = DIV_ROUND_UP_ULL((u64)prr_delivered * c->ssthresh,
					  max(c->prior_cwnd, 1U));
		sndcnt -= csk->prr_out;
	} else {
		sndcnt = max_t(s64, (s64)prr_delivered - csk->prr_out, now);
		if (partial)
			sndcnt++;
		sndcnt = min_t(s64, sndcnt, c->ssthresh - pipe);
	}
	c->cwnd = max_t(u32, pipe + max_t(s64, sndcnt, 0), 1);
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
 * fewer SACKed segment than are out shows the loss.  RACK (recovery=1)
 * sees the same tail, and tells Linux that a segment sent before a
 * delivered tail loss probe was lost; this rule covers it with RACK off.
 */
static bool clasp_recovery_early(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *skb;
	u32 oseg = 0;

	if (!clasp_early_retrans_on(sk) || csk->send_head || !csk->sacked_out)
		return false;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		oseg += clasp_skb_segs(skb);
		if (oseg > CLASP_DUPTHRESH)
			return false;
	}
	return csk->sacked_out >= oseg - 1;
}

/**
 * clasp_rack_delivered() - segments of a buffer were SACKed or
 * cumulatively acknowledged for the first time (RFC 8985 6.2 step 2)
 * @sk: the socket, locked
 * @skb: the buffer, still in the write queue
 * @segs: how many of its segments
 * @cumulative: by the ACK's cumulative acknowledgment
 *
 * A segment sent again that a cumulative ACK covers, when the ACK echoes
 * a timestamp older than the segment's last transmission, was delivered
 * by an earlier copy (Linux's tcp_skb_spurious_retrans()): the time since
 * the retransmission is no round trip, and RACK does not advance on it.
 * Our TSval is taken at most a millisecond before the send time is, so
 * only an echo older than that millisecond counts.
 */
void clasp_rack_delivered(struct sock *sk, const struct sk_buff *skb,
			  u32 segs, bool cumulative)
{
	const struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);
	struct clasp_sock *csk = clasp_sk(sk);

	csk->delivered += segs;
	if (!clasp_rack_on(sk) || !cb->xmit)
		return;
	clasp_rack_ack_delivered(&csk->rack, ktime_to_us(cb->xmit),
				 cb->end_seq, cb->tx_delivered);
	if (cumulative && cb->retransmitted &&
	    clasp_echo_before(sk, (u32)div_u64(ktime_to_ns(cb->xmit),
					       NSEC_PER_MSEC) +
			      csk->ts_offset - 1))
		return;
	clasp_rack_advance(&csk->rack, ktime_to_us(cb->xmit), cb->end_seq,
			   cb->retransmitted, ktime_to_us(clasp_now(sk)));
}

/**
 * clasp_rack_dsack_seen() - an ACK carried a D-SACK: is it ours?
 * @sk: the socket, locked
 * @start: the block's first sequence number
 * @end: the sequence number after it
 *
 * Linux's tcp_dsack_seen() (clasp_rack_dsack()): a block wider than the
 * largest window the peer offered, or one that brings the segments
 * D-SACKed above the retransmissions ever sent, reports duplicates the
 * network made; it is ignored, by the undo too.  Another may widen
 * RACK's reordering window at the next ACK that delivers something
 * (clasp_rack_ack_done()).
 *
 * Return: true if the D-SACK counts.
 */
bool clasp_rack_dsack_seen(struct sock *sk, u32 start, u32 end)
{
	struct clasp_sock *csk = clasp_sk(sk);

	return clasp_rack_dsack(&csk->rack, start, end, csk->mss,
				csk->max_snd_wnd, csk->total_retrans,
				csk->tlp_high_seq) != 0;
}

/**
 * clasp_rack_ack_done() - an ACK's deliveries are counted, before loss
 * detection runs: RACK adapts its reordering window, as Linux's
 * tcp_rack_update_reo_wnd() (clasp_rack_update_reo_wnd())
 * @sk: the socket, locked
 */
void clasp_rack_ack_done(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (clasp_rack_on(sk))
		clasp_rack_update_reo_wnd(&csk->rack, csk->delivered);
}

/*
 * RACK looks again when a delivery moved RACK.xmit_ts, or when a segment
 * was waiting for its reordering window; the reordering timer (timer.c)
 * fires when that window ends (RFC 8985 6.3).  True if a segment was found
 * lost.
 */
static bool clasp_rack_check(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	bool marked = false;
	u32 wait;

	if (!clasp_rack_on(sk) || (!csk->rack.advanced && !csk->rack_reo_wait))
		return false;
	wait = clasp_rtxq_rack_detect(sk, &marked);
	csk->rack_reo_wait = wait;
	/*
	 * 2 ms late, as Linux's tcp_rack_mark_lost() adds TCP_TIMEOUT_MIN_US
	 * (then rounds up to a jiffy): a segment held a little longer than
	 * the window, as a path that reorders by a fixed delay holds every
	 * segment the reordered one overtook, is delivered before it goes
	 * again.  With 1 ms, under netem's "delay 2ms reorder 10%", half of
	 * what RACK found lost outside a recovery it found by this timer,
	 * 1 to 1.25 ms past the window, still in netem's queue (issue 23).
	 */
	if (wait)
		clasp_rtx_reo_arm(sk, wait + CLASP_RACK_SLACK_US);
	return marked;
}

/* A segment RACK marked lost is still to be sent again. */
static bool clasp_rack_lost_any(struct sock *sk)
{
	return clasp_sk(sk)->rtxq.lost;
}

/*
 * Time for a fast retransmit?  With RACK on, when a segment RACK found
 * lost waits to go again (Linux's tcp_time_to_recover(): lost_out), and
 * nothing else.  Otherwise DupThresh duplicate ACKs, or with SACK
 * IsLost(snd_una) (RFC 6675 section 5), unless the duplicates may answer
 * segments sent before the last recovery ended: RFC 6582 3.2 step 1, the
 * ACK must cover more than recover.
 */
static bool clasp_recovery_due(struct sock *sk, bool rack_lost)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 lost;

	if (csk->ca_state != TCP_CA_Open)
		return false;
	if (clasp_rack_decides(sk))
		return rack_lost || clasp_rack_lost_any(sk);
	if (!clasp_seq_after(csk->snd_una, csk->recover))
		return false;
	/* With SACK, DupThresh grows with the reordering measured. */
	if (csk->dupacks >= (csk->sack_ok ? max_t(u32, csk->reordering,
						  CLASP_DUPTHRESH) :
					    CLASP_DUPTHRESH))
		return true;
	if (!csk->sack_ok)
		return false;
	return clasp_seq_after(clasp_sack_lost_end(sk, &lost), csk->snd_una) ||
	       clasp_recovery_early(sk);
}

static void clasp_recovery_fast_retransmit(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	clasp_cong_recovery(sk);
	clasp_undo_init(sk);
	clasp_recovery_enter(sk, TCP_CA_Recovery);
	csk->prr_base = csk->prr_last;
	csk->prr_out = 0;
	clasp_recovery_prr(sk, false);
	clasp_sk_stats_inc(sk, csk->sack_ok ? CLASP_MIB_SACKRECOVERY :
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
	bool rack_lost;

	if (csk->frto)
		return;
	clasp_undo_try(sk);
	/* Open with nothing sent again still out: a new episode may begin. */
	if (csk->ca_state == TCP_CA_Open && csk->retrans_stamp &&
	    !clasp_retrans_out(sk))
		csk->retrans_stamp = 0;
	rack_lost = clasp_rack_check(sk);
	if (clasp_recovery_due(sk, rack_lost)) {
		clasp_recovery_fast_retransmit(sk);
	} else if (csk->ca_state != TCP_CA_Open) {
		clasp_recovery_prr(sk, false);
		clasp_recovery_repair(sk, false);
	}
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
	bool recovering = csk->ca_state == TCP_CA_Recovery;

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
	/* Without SACK, a duplicate ACK is all that says a segment left. */
	if (recovering && !csk->sack_ok)
		clasp_cong_dupack(sk);
}

/**
 * clasp_recovery_ack() - an ACK advanced snd_una (after the write queue
 * let go of what it covers)
 * @sk: the socket, locked
 * @prior_una: snd_una before it
 *
 * A full ACK, one that covers recover, ends recovery; a partial one shows
 * where the next hole is, and its segment goes now (RFC 6582 3.2 step 3),
 * with SACK with every other segment found lost, unless F-RTO is still
 * deciding whether the timeout was spurious.
 *
 * Either may show the reduction needless, as Linux's undo does: after a
 * timeout, an ACK that echoes a timestamp older than the first
 * retransmission (RFC 3522), or once D-SACKs showed every retransmission
 * needless (LossUndo, tcp_try_undo_loss()); a fast recovery's full ACK
 * on the same evidence (FullUndo, tcp_try_undo_recovery()), its partial
 * ACKs on the timestamps (PartialUndo, tcp_try_undo_partial()).
 */
void clasp_recovery_ack(struct sock *sk, u32 prior_una)
{
	struct clasp_sock *csk = clasp_sk(sk);
	bool full = !clasp_seq_before(csk->snd_una, csk->recover);
	bool undone = false;

	csk->dupacks = 0;
	if (csk->ca_state == TCP_CA_Open) {
		clasp_recovery_sacked(sk);
		return;
	}
	if (csk->ca_state == TCP_CA_Loss && clasp_may_undo(sk)) {
		clasp_undo(sk, true, CLASP_MIB_LOSSUNDO);
		undone = true;
		/* Without SACK, the holes left are still NewReno's to find. */
		if (csk->sack_ok || full) {
			clasp_recovery_open(sk);
			clasp_recovery_sacked(sk);
			return;
		}
	}
	if (full) {
		if (!undone && clasp_may_undo(sk)) {
			clasp_undo(sk, false, CLASP_MIB_FULLUNDO);
			undone = true;
		}
		clasp_recovery_open(sk);
		clasp_rack_recovery_end(&csk->rack, undone);
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
		clasp_undo(sk, true, CLASP_MIB_LOSSUNDO);
		clasp_sk_stats_inc(sk, CLASP_MIB_SPURIOUSRTOS);
		clasp_recovery_open(sk);
		return;
	}
	if (csk->ca_state == TCP_CA_Recovery &&
	    clasp_undo_partial(sk, prior_una)) {
		if (csk->ca_state == TCP_CA_Open)
			clasp_recovery_sacked(sk);
		else
			clasp_recovery_prr(sk, true);
		return;
	}
	clasp_rack_check(sk);
	clasp_recovery_prr(sk, true);
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
	/* Where clasp_cong_timeout() saves the window to return to. */
	if (csk->ca_state == TCP_CA_Open ||
	    (csk->ca_state == TCP_CA_Loss && csk->retransmits <= 1))
		clasp_undo_init(sk);
	clasp_cong_timeout(sk);
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

	return clasp_early_retrans_on(sk) && csk->sack_ok && !csk->rtx_reo &&
	       csk->ca_state == TCP_CA_Open && !csk->tlp_high_seq &&
	       csk->snd_una != csk->snd_max &&
	       (1 << sk->sk_state) & CLASP_TLP_STATES;
}

/* The last segment sent: the one before send_head, or the queue's tail. */
static struct sk_buff *clasp_last_sent(struct sock *sk)
{
	struct sk_buff *head = clasp_sk(sk)->send_head, *skb;
	u32 len;

	if (head && skb_queue_is_first(&sk->sk_write_queue, head))
		return NULL;
	skb = head ? skb_queue_prev(&sk->sk_write_queue, head) :
		     skb_peek_tail(&sk->sk_write_queue);
	/* Of a buffer of several segments, its last one, cut off. */
	len = skb && skb->len > clasp_sk(sk)->mss ?
	      rounddown(skb->len - 1, clasp_sk(sk)->mss) : 0;
	if (len && !clasp_split(sk, skb, len))
		skb = skb_queue_next(&sk->sk_write_queue, skb);
	return skb;
}

static void clasp_recovery_probe_sent(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->tlp_high_seq = csk->snd_max;
	clasp_sk_stats_inc(sk, CLASP_MIB_LOSSPROBES);
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
		clasp_push_nonagle(sk, CLASP_NAGLE_PUSH | CLASP_NAGLE_PROBE);
	csk->tlp_retrans = csk->snd_max == prior;
	if (!csk->tlp_retrans) {
		clasp_recovery_probe_sent(sk);
	} else if (clasp_retransmit_skb(sk, clasp_last_sent(sk))) {
		clasp_undo_count(sk);
		clasp_recovery_probe_sent(sk);
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
		clasp_sk_stats_inc(sk, CLASP_MIB_LOSSPROBERECOVERY);
	else if (csk->tlp_retrans && !dup)
		return;
	csk->tlp_high_seq = 0;
}

/**
 * clasp_rack_reo_timeout() - RACK's reordering timer expired (RFC 8985
 * 6.3): what waited for its window is lost now, and goes
 * @sk: the socket, locked, with data in flight
 *
 * Starts a recovery if none is under way, as tcp_rack_reo_timeout(); the
 * RTO is armed behind, unless RACK armed its timer again.
 */
void clasp_rack_reo_timeout(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->rack_reo_wait = true;
	/* No ACK: nothing delivered now, for PRR. */
	csk->prr_last = csk->delivered;
	if (clasp_rack_check(sk) && !csk->frto) {
		if (csk->ca_state == TCP_CA_Open)
			clasp_recovery_fast_retransmit(sk);
		else
			clasp_recovery_repair(sk, false);
	}
	if (!csk->rtx_pending)
		clasp_rtx_arm(sk);
}
