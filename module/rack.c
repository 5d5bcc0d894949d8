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
 * recovery D-SACKs undo counts one more, as Linux's); never
 * above SRTT.  Until reordering is seen, a sender in recovery, or with
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
 * clasp_rack_dsack() - adapt the reordering window to D-SACKs (RFC 8985
 * 6.2 step 4, first part)
 * @r: the state
 * @dsack: the ACK carried a D-SACK
 * @snd_una: the cumulative ACK after it
 * @snd_nxt: the next sequence number to send
 * @recovery_ended: the ACK ended a fast or RTO recovery
 */
void clasp_rack_dsack(struct clasp_rack *r, bool dsack, u32 snd_una,
		      u32 snd_nxt, bool recovery_ended)
{
	if (r->dsack_round_on && !clasp_seq_before(snd_una, r->dsack_round))
		r->dsack_round_on = false;
	if (!r->dsack_round_on && dsack) {
		r->dsack_round_on = true;
		r->dsack_round = snd_nxt;
		if (r->reo_wnd_mult < U8_MAX)
			r->reo_wnd_mult++;
		r->reo_wnd_persist = CLASP_RACK_PERSIST;
	} else if (recovery_ended) {
		if (r->reo_wnd_persist)
			r->reo_wnd_persist--;
		if (!r->reo_wnd_persist)
			r->reo_wnd_mult = 1;
	}
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
 * Return: the window in microseconds.
 */
u32 clasp_rack_reo_wnd(const struct clasp_rack *r, bool recovering,
		       u32 sacked_segs, u32 srtt_us)
{
	u64 w;

	if (!r->reordering_seen &&
	    (recovering || sacked_segs >= CLASP_DUPTHRESH))
		return 0;
	w = (u64)r->reo_wnd_mult * r->min_rtt_us / 4;
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
