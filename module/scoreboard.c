// SPDX-License-Identifier: GPL-2.0
/*
 * The scoreboard (RFC 6675 section 3): which segments of the write queue
 * the peer reported holding in SACK blocks (RFC 2018).
 *
 * Each ACK of a connection that negotiated SACK marks the segments its
 * valid blocks cover wholly (sackin.c decides which blocks are valid).  A
 * buffer of several segments that a block covers in part is cut at the
 * segment boundary inside the block first, as Linux's
 * tcp_match_skb_to_sack(); a single segment covered in part stays
 * unmarked: at worst it goes again needlessly.
 * Cumulative ACKs free segments as before, marked or not.  A block is
 * looked at only where it says something the last ACK's blocks did not
 * (clasp_sackin_fresh()), and the first segment of each such range is
 * found by sequence number in O(log n) (rtxq.c), as TCP finds it in its
 * rtx rbtree: an ACK costs O(log n) and O(1) per segment newly marked.
 *
 * Reordering is noticed as tcp_check_sack_reordering() notices it: a
 * segment sent once and newly SACKed or cumulatively acknowledged below
 * the highest SACKed one arrived out of order, not lost.
 *
 * A receiver may discard what it SACKed (reneging, RFC 2018 section 8).
 * An ACK that moves snd_una to a marked segment shows it, as Linux's
 * FLAG_SACK_RENEGING: every mark is cleared and recovery goes on from
 * the cumulative ACK alone.  Linux waits a little (the retransmission
 * timer, at srtt / 2) before it clears them; clasp clears them at once.
 */
#include <net/sock.h>

#include "clasp.h"

/**
 * clasp_sack_fack() - the forward-most data the peer holds (FACK)
 * @csk: the socket
 *
 * Return: the end of the highest SACKed segment, snd_una if none is.
 */
u32 clasp_sack_fack(const struct clasp_sock *csk)
{
	return csk->sacked_out ? csk->highest_sack : csk->snd_una;
}

/* The segments sent: those before send_head. */
static bool clasp_sack_sent(const struct clasp_sock *csk,
			    const struct sk_buff *skb)
{
	return clasp_seq_before(CLASP_SKB_CB(skb)->seq, csk->snd_max);
}

static void clasp_sack_mark(struct sock *sk, struct sk_buff *skb, u32 fack,
			    u32 *reord)
{
	struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);
	struct clasp_sock *csk = clasp_sk(sk);
	bool out = clasp_rtxq_begin(sk, skb);

	cb->sacked = true;
	clasp_rtxq_end(sk, skb, out, false);
	clasp_rack_delivered(sk, skb, clasp_skb_segs(skb), false);
	if (!cb->retransmitted && clasp_seq_before(cb->seq, fack) &&
	    clasp_seq_before(cb->seq, *reord))
		*reord = cb->seq;
	if (!csk->sacked_out || clasp_seq_after(cb->end_seq, csk->highest_sack))
		csk->highest_sack = cb->end_seq;
	csk->sacked_out += clasp_skb_segs(skb);
	csk->sacked_bytes += cb->end_seq - cb->seq;
}

/*
 * Cut @skb, of several segments, where @b begins or ends inside it, at a
 * segment boundary inside the block, so that the block marks the whole
 * segments it covers and nothing else (Linux's tcp_match_skb_to_sack()).
 * If the cut fails (no memory), the segments stay unmarked, as a segment
 * a block covers in part does.
 */
static void clasp_sack_cut(struct sock *sk, struct sk_buff *skb,
			   const struct clasp_sack_block *b)
{
	const struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);
	u32 mss = clasp_sk(sk)->mss, len;

	if (clasp_skb_segs(skb) < 2)
		return;
	if (clasp_seq_after(b->start, cb->seq)) {
		len = roundup(b->start - cb->seq, mss);
		/* Not for a block that covers no whole segment after the cut. */
		if (len >= skb->len ||
		    clasp_seq_after(cb->seq + min(len + mss, skb->len), b->end))
			return;
	} else if (clasp_seq_before(b->end, cb->end_seq)) {
		len = rounddown(b->end - cb->seq, mss);
	} else {
		return;
	}
	if (len && len < skb->len)
		clasp_split(sk, skb, len);
}

/*
 * Mark what @b covers; true if it marked anything new.  Only the ranges
 * clasp_sackin_fresh() names are walked, each from the segment the index
 * finds, in sequence order as a walk of the whole block would mark them.
 */
static bool clasp_sack_tag_block(struct sock *sk,
				 const struct clasp_sack_block *b, u32 fack,
				 u32 *reord)
{
	struct clasp_sack_block r[CLASP_SACK_FRESH_MAX];
	struct clasp_sock *csk = clasp_sk(sk);
	bool marked = false;
	struct sk_buff *skb;
	int i, n;

	n = clasp_sackin_fresh(b, csk->rtxq.cache, csk->rtxq.ncache, r);
	for (i = 0; i < n; i++) {
		for (skb = clasp_rtxq_find(sk, r[i].start); skb;
		     skb = clasp_rtxq_next(sk, skb)) {
			struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);

			if (!clasp_sack_sent(csk, skb) ||
			    !clasp_seq_before(cb->seq, r[i].end))
				break;
			if (!cb->sacked)
				clasp_sack_cut(sk, skb, b);
			if (cb->sacked || clasp_seq_before(cb->seq, b->start) ||
			    clasp_seq_after(cb->end_seq, b->end))
				continue;
			clasp_sack_mark(sk, skb, fack, reord);
			marked = true;
		}
	}
	return marked;
}

/* A D-SACK that is not dubious widens RACK's window and may undo. */
static void clasp_sack_dsack(struct sock *sk, const struct clasp_sack_block *b)
{
	if (clasp_rack_dsack_seen(sk, b->start, b->end))
		clasp_recovery_dsack(sk, b->start, b->end);
}

/**
 * clasp_sack_tag() - mark the segments an ACK's SACK blocks cover
 * @sk: the socket, locked, with SACK negotiated
 * @seg: the ACK, before its cumulative acknowledgment is applied
 *
 * Counts a D-SACK (RFC 2883) in DSACKRecv (below the ACK) or DSACKOfoRecv
 * (beyond it), as TCP counts them, and reordering in SACKReorder.
 *
 * Return: true if a segment was newly marked.
 */
bool clasp_sack_tag(struct sock *sk, const struct clasp_seg *seg)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 fack = clasp_sack_fack(csk);
	struct clasp_sack_block cache[CLASP_SACK_CACHE];
	u32 reord = csk->snd_max;
	bool marked = false;
	int i, n = 0;

	if (!seg->nr_sack)
		return false;
	switch (clasp_sackin_dsack(seg->sack, seg->nr_sack, seg->ack)) {
	case CLASP_DSACK_OLD:
		clasp_sk_stats_inc(sk, CLASP_MIB_DSACKRECV);
		clasp_sack_dsack(sk, &seg->sack[0]);
		break;
	case CLASP_DSACK_OFO:
		clasp_sk_stats_inc(sk, CLASP_MIB_DSACKOFORECV);
		clasp_sack_dsack(sk, &seg->sack[0]);
		break;
	case CLASP_DSACK_NONE:
		break;
	}
	for (i = 0; i < seg->nr_sack; i++) {
		if (clasp_sackin_valid(&seg->sack[i], csk->snd_una,
				       csk->snd_max)) {
			marked |= clasp_sack_tag_block(sk, &seg->sack[i], fack,
						       &reord);
			if (unlikely(clasp_rtxq_debugging()))
				clasp_rtxq_check_block(sk, &seg->sack[i]);
			cache[n++] = seg->sack[i];
		}
	}
	/* What the next ACK need not look at again. */
	memcpy(csk->rtxq.cache, cache, n * sizeof(cache[0]));
	csk->rtxq.ncache = n;
	clasp_sack_reordering(sk, reord, fack);
	return marked;
}

/**
 * clasp_sack_acked() - segments of a buffer are acknowledged: all, as it
 * leaves the write queue, or its first ones (a buffer of several)
 * @sk: the socket, locked
 * @skb: the buffer, before it is freed or trimmed
 * @segs: the segments acknowledged
 * @bytes: their sequence space
 * @fack: clasp_sack_fack() before the ACK
 * @reord: lowest sequence number found out of order so far; lowered if
 *	@skb, sent once and never SACKed, arrived below @fack
 */
void clasp_sack_acked(struct sock *sk, const struct sk_buff *skb, u32 segs,
		      u32 bytes, u32 fack, u32 *reord)
{
	struct clasp_sock *csk = clasp_sk(sk);
	const struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);

	if (cb->sacked) {
		csk->sacked_out -= segs;
		csk->sacked_bytes -= bytes;
		return;
	}
	clasp_rack_delivered(sk, skb, segs, true);
	if (!cb->retransmitted && clasp_seq_before(cb->seq, fack) &&
	    clasp_seq_before(cb->seq, *reord))
		*reord = cb->seq;
}

/**
 * clasp_sack_reordering() - data from @low_seq on arrived after data
 * sent later, up to @fack: note how far (TCP's tp->reordering)
 * @sk: the socket, locked
 * @low_seq: the lowest sequence number found out of order
 * @fack: the end of the highest SACKed segment then
 */
void clasp_sack_reordering(struct sock *sk, u32 low_seq, u32 fack)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 mss = csk->mss ?: 1;
	u32 metric;

	if (!clasp_seq_before(low_seq, fack))
		return;
	csk->rack.reordering_seen = true;
	metric = fack - low_seq;
	if (metric > csk->reordering * mss)
		csk->reordering = min_t(u32, DIV_ROUND_UP(metric, mss),
					CLASP_MAX_REORDERING);
	clasp_sk_stats_inc(sk, CLASP_MIB_SACKREORDER);
}

/**
 * clasp_sack_clear() - forget every mark (reneging, a new MSS)
 * @sk: the socket, locked
 */
void clasp_sack_clear(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *skb;

	csk->rtxq.ncache = 0;
	if (!csk->sacked_out)
		return;
	skb_queue_walk(&sk->sk_write_queue, skb)
		CLASP_SKB_CB(skb)->sacked = false;
	csk->sacked_out = 0;
	csk->sacked_bytes = 0;
	clasp_rtxq_rebuild(sk);
}

/**
 * clasp_sack_check_reneging() - after a cumulative ACK: does snd_una now
 * point at a segment the peer said it held?  Then it discarded it.
 * @sk: the socket, locked
 */
void clasp_sack_check_reneging(struct sock *sk)
{
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (!skb || !CLASP_SKB_CB(skb)->sacked)
		return;
	clasp_sk_stats_inc(sk, CLASP_MIB_SACKRENEGING);
	clasp_sack_clear(sk);
}

/**
 * clasp_sack_lost_end() - where RFC 6675's IsLost() stops holding
 * @sk: the socket, locked
 * @lost: set to how many segments not SACKed lie below that point (TCP's
 *	lost_out, as the scoreboard shows it)
 *
 * DupThresh is csk->reordering: 3, or how far the path was seen to
 * reorder (clasp_sack_reordering()), so that data that merely arrived
 * late is not taken for lost, as TCP's SACK loss marking uses
 * tp->reordering.
 *
 * IsLost() can only grow towards the head of the queue: a segment has at
 * least as much SACKed data above it as any segment after it.  So one
 * walk from the highest segment sent finds the highest lost one.
 *
 * With RACK deciding (clasp_rack_decides()), IsLost() is not used, as
 * Linux marks nothing by the SACKed count then: *@lost counts the
 * segments RACK marked lost and not SACKed since, those sent again in
 * this recovery included (they stay in TCP's lost_out).
 *
 * Return: the end of the highest segment IsLost() finds lost, snd_una if
 * none (always, with RACK deciding).
 */
u32 clasp_sack_lost_end(struct sock *sk, u32 *lost)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 segs = 0, bytes = 0, end = csk->snd_una;
	bool rack = clasp_rack_decides(sk);
	struct sk_buff *skb;

	*lost = 0;
	if (!csk->sacked_out && !rack)
		return end;
	skb_queue_reverse_walk(&sk->sk_write_queue, skb) {
		struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);

		if (!clasp_sack_sent(csk, skb))
			continue;
		if (rack) {
			if (!cb->sacked &&
			    (cb->lost || (csk->ca_state != TCP_CA_Open &&
					  cb->retransmitted &&
					  clasp_seq_before(cb->seq,
							   csk->high_rxt))))
				*lost += clasp_skb_segs(skb);
		} else if (cb->sacked) {
			segs += clasp_skb_segs(skb);
			bytes += cb->end_seq - cb->seq;
		} else if (clasp_sackin_is_lost(segs, bytes, csk->mss,
						 csk->reordering)) {
			if (end == csk->snd_una)
				end = cb->end_seq;
			*lost += clasp_skb_segs(skb);
		}
	}
	return end;
}
