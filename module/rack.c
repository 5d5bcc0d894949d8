// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: RACK (RFC 8985 section 6), the arithmetic.
 *
 * A segment is lost once a segment sent after it was delivered and a
 * reordering window has passed since: it was sent at xmit_ts, and by
 * xmit_ts + RACK.rtt + reo_wnd its own delivery would have been reported
 * had it arrived no later than reo_wnd behind the other.  The window is a
 * quarter of the least round trip, times a multiplier that grows by one
 * for every round trip in which a D-SACK showed a retransmission was
 * needless, and falls back to 1 after 16 recoveries without one (a
 * recovery D-SACKs undo counts one more); never above SRTT.  The growth
 * follows Linux's tcp_dsack_seen() and tcp_rack_update_reo_wnd() rather
 * than RFC 8985's dsack_round: a D-SACK counts only once reordering was
 * seen, not for the loss probe's segment, and not while the segments
 * D-SACKed outnumber the retransmissions sent (the network duplicated
 * them); the round trip is over once an ACK delivers a segment sent after
 * the window last grew.  Until reordering is seen, a sender in recovery, or with
 * DupThresh segments SACKed, waits no window at all (RFC 8985 6.2 step 4).
 * scoreboard.c and recovery.c use this on the write queue; this file
 * touches no socket, so unit/ tests it.
 */
#include <linux/limits.h>

#include "rack.h"
#include "sackin.h"	/* CLASP_DUPTHRESH */
#include "seq.h"

/**
 * clasp_rack_init() - RACK state of a new connection
 * @r: filled in
 */
void clasp_rack_init(struct clasp_rack *r)
{
	*r = (struct clasp_rack){ .reo_wnd_mult = 1 };
}

/**
 * clasp_rack_sent_after() - RACK_sent_after() of RFC 8985 6.2: was the
 * segment sent at @t1_us ending at @seq1 sent after the other?
 * @t1_us: first segment's send time
 * @seq1: its end
 * @t2_us: second segment's send time
 * @seq2: its end
 *
 * Segments sent at the same time are ordered by sequence number.
 *
 * Return: true if the first went after the second.
 */
bool clasp_rack_sent_after(u64 t1_us, u32 seq1, u64 t2_us, u32 seq2)
{
	return t1_us > t2_us || (t1_us == t2_us && clasp_seq_after(seq1, seq2));
}

/**
 * clasp_rack_rtt_sample() - note a round trip measured for the RTO
 * @r: the state
 * @rtt_us: the sample
 *
 * RACK.min_RTT is the least of them (Linux keeps a windowed minimum).
 */
void clasp_rack_rtt_sample(struct clasp_rack *r, u32 rtt_us)
{
	if (!rtt_us)
		rtt_us = 1;
	if (!r->min_rtt_us || rtt_us < r->min_rtt_us)
		r->min_rtt_us = rtt_us;
}

/**
 * clasp_rack_advance() - a segment was delivered (RFC 8985 6.2 step 2)
 * @r: the state
 * @xmit_us: when it was last sent
 * @end_seq: its end
 * @retransmitted: it was sent more than once
 * @now_us: the time
 *
 * A retransmitted segment whose round trip is shorter than the least
 * seen was probably delivered by its first transmission: the sample is
 * ambiguous and ignored.
 *
 * Return: true if the sample was taken.
 */
bool clasp_rack_advance(struct clasp_rack *r, u64 xmit_us, u32 end_seq,
			bool retransmitted, u64 now_us)
{
	u64 rtt = now_us > xmit_us ? now_us - xmit_us : 0;

	if (rtt > U32_MAX)
		rtt = U32_MAX;
	if (retransmitted && rtt < r->min_rtt_us)
		return false;
	r->rtt_us = rtt;
	if (clasp_rack_sent_after(xmit_us, end_seq, r->xmit_us, r->end_seq)) {
		r->xmit_us = xmit_us;
		r->end_seq = end_seq;
		r->advanced = true;
	}
	return true;
}

/**
 * clasp_rack_dsack() - take note of a D-SACK (Linux's tcp_dsack_seen())
 * @r: the state
 * @start: the block's first sequence number
 * @end: the sequence number after it
 * @mss: the sender's MSS
 * @max_window: the largest window the peer offered
 * @total_retrans: retransmissions sent over the connection's life
 * @tlp_high_seq: snd_max when the outstanding loss probe went, 0 if none
 *
 * A block wider than any window the peer offered is dubious, and so is
 * one that brings the segments D-SACKed so far (@dsack_dups) above the
 * retransmissions ever sent: the network duplicated what it reports, no
 * retransmission of ours (a duplicate counts in @dsack_dups all the same,
 * so that a later D-SACK of a retransmission may also be taken for the
 * network's).  A D-SACK that is not dubious may grow the reordering
 * window (clasp_rack_update_reo_wnd()), if reordering has been seen, and
 * if it does not answer the loss probe: one segment ending where the
 * probe did was a duplicate the timer made, not the reordering window.
 *
 * Return: the segments the block reports, 0 if it is dubious (then it
 * counts for no undo either).
 */
u32 clasp_rack_dsack(struct clasp_rack *r, u32 start, u32 end, u32 mss,
		     u32 max_window, u32 total_retrans, u32 tlp_high_seq)
{
	bool probe = false;
	u32 len, segs = 1;

	if (!clasp_seq_before(start, end))
		return 0;
	len = end - start;
	if (len > max_window)
		return 0;
	if (!mss)
		mss = 1;
	if (len > mss)
		segs = len / mss + (len % mss ? 1 : 0);
	else
		probe = tlp_high_seq && tlp_high_seq == end;
	r->dsack_dups = r->dsack_dups > U32_MAX - segs ? U32_MAX :
			r->dsack_dups + segs;
	if (r->dsack_dups > total_retrans)
		return 0;
	if (r->reordering_seen && !probe)
		r->dsack_seen = true;
	return segs;
}

/**
 * clasp_rack_ack_begin() - an ACK is about to be processed: nothing it
 * delivered yet
 * @r: the state
 */
void clasp_rack_ack_begin(struct clasp_rack *r)
{
	r->ack_delivered = 0;
	r->ack_xmit_us = 0;
	r->ack_end_seq = 0;
}

/**
 * clasp_rack_ack_delivered() - the ACK being processed delivered a
 * segment (SACKed or cumulatively acknowledged for the first time)
 * @r: the state
 * @xmit_us: when it was last sent
 * @end_seq: its end
 * @tx_delivered: the connection's delivered count when it was last sent
 *
 * The segment sent last among them gives the ACK's delivered count at
 * send time, as Linux's rate sample keeps its prior_delivered.
 */
void clasp_rack_ack_delivered(struct clasp_rack *r, u64 xmit_us,
			      u32 end_seq, u32 tx_delivered)
{
	if (!r->ack_delivered ||
	    clasp_rack_sent_after(xmit_us, end_seq, r->ack_xmit_us,
				  r->ack_end_seq)) {
		r->ack_delivered = tx_delivered;
		r->ack_xmit_us = xmit_us;
		r->ack_end_seq = end_seq;
	}
}

/**
 * clasp_rack_update_reo_wnd() - adapt the reordering window once the ACK's
 * deliveries are counted (Linux's tcp_rack_update_reo_wnd())
 * @r: the state
 * @delivered: the connection's delivered count now
 *
 * Only an ACK that delivered something counts (ack_delivered not 0).  A
 * D-SACK waiting in @dsack_seen is dropped when what the ACK delivered was
 * sent before the window last grew: it may answer a retransmission the
 * old window caused, so the window grows at most once a round trip.
 * Otherwise it grows the multiplier by one (at most 255) and lets the
 * grown window last CLASP_RACK_PERSIST recoveries; once they are over
 * (clasp_rack_recovery_end()), the multiplier is 1 again.
 */
void clasp_rack_update_reo_wnd(struct clasp_rack *r, u32 delivered)
{
	if (!r->ack_delivered)
		return;
	if (clasp_seq_before(r->ack_delivered, r->last_delivered))
		r->dsack_seen = false;
	if (r->dsack_seen) {
		if (r->reo_wnd_mult < U8_MAX)
			r->reo_wnd_mult++;
		r->dsack_seen = false;
		r->last_delivered = delivered;
		r->reo_wnd_persist = CLASP_RACK_PERSIST;
	} else if (!r->reo_wnd_persist) {
		r->reo_wnd_mult = 1;
	}
}

/**
 * clasp_rack_recovery_end() - a fast or RTO recovery ended
 * @r: the state
 * @undone: its reduction was undone as it ended
 *
 * A recovery that was needed uses up one of those a grown window lasts
 * (Linux's tcp_try_undo_recovery()).
 */
void clasp_rack_recovery_end(struct clasp_rack *r, bool undone)
{
	if (!undone && r->reo_wnd_persist)
		r->reo_wnd_persist--;
}

/**
 * clasp_rack_undo() - D-SACKs showed a window reduction needless: the
 * window RACK grew lasts one recovery more, as Linux's tcp_try_undo_dsack()
 * keeps it (at most CLASP_RACK_PERSIST)
 * @r: the state
 */
void clasp_rack_undo(struct clasp_rack *r)
{
	if (r->reo_wnd_persist < CLASP_RACK_PERSIST)
		r->reo_wnd_persist++;
}

/**
 * clasp_rack_reo_wnd() - RACK.reo_wnd (RFC 8985 6.2 step 4, second part)
 * @r: the state
 * @recovering: a fast or RTO recovery is under way
 * @sacked_segs: segments SACKed
 * @srtt_us: the smoothed round trip, the ceiling
 *
 * As Linux's tcp_rack_reo_wnd(): the quarter of min_RTT is rounded down
 * before the multiplier applies, and only a fast or RTO recovery counts
 * as one (a window cut by an ECN echo, CWR, does not).
 *
 * Return: the window in microseconds.
 */
u32 clasp_rack_reo_wnd(const struct clasp_rack *r, bool recovering,
		       u32 sacked_segs, u32 srtt_us)
{
	u64 w;

	if (!r->reordering_seen &&
	    (recovering || sacked_segs >= CLASP_DUPTHRESH))
		return 0;
	w = (u64)(r->min_rtt_us / 4) * r->reo_wnd_mult;
	return w < srtt_us ? w : srtt_us;
}

/**
 * clasp_rack_remaining() - how long until a segment sent before RACK's
 * is lost (RFC 8985 6.2 step 5)
 * @r: the state
 * @xmit_us: the segment's last send time
 * @reo_wnd_us: clasp_rack_reo_wnd()
 * @now_us: the time
 *
 * Return: microseconds left, 0 or less if it is lost now.
 */
s64 clasp_rack_remaining(const struct clasp_rack *r, u64 xmit_us,
			 u32 reo_wnd_us, u64 now_us)
{
	return (s64)(xmit_us + r->rtt_us + reo_wnd_us) - (s64)now_us;
}
