/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp: RACK, time-based loss detection (RFC 8985 section 6), the parts
 * that are pure arithmetic on send times and sequence numbers (rack.c).
 * Times are microseconds of one monotonic clock.  Compiled in user space
 * too by unit/.
 */
#ifndef _CLASP_RACK_H
#define _CLASP_RACK_H

#include <linux/types.h>

#define CLASP_RACK_PERSIST	16	/* recoveries a grown window lasts */

/**
 * struct clasp_rack - a sender's RACK state (RFC 8985 section 6.1, with
 *	the reordering window adapted as Linux's tcp_rack_update_reo_wnd())
 * @xmit_us: RACK.xmit_ts: send time of the most recently sent segment
 *	among those delivered (SACKed or cumulatively acknowledged)
 * @end_seq: RACK.end_seq: that segment's end
 * @rtt_us: RACK.rtt: the round trip that delivery measured
 * @min_rtt_us: RACK.min_RTT: the least round trip seen, 0 before one
 * @dsack_dups: segments D-SACKs reported, dubious ones aside (Linux's
 *	tp->dsack_dups): while above the retransmissions ever sent, the
 *	duplicates were not ours, the network's
 * @last_delivered: the connection's delivered count when a D-SACK last
 *	grew @reo_wnd_mult: a D-SACK counts only once an ACK delivers a
 *	segment sent after that (one round trip later)
 * @ack_delivered: of the segments the ACK being processed delivered, the
 *	one sent last: the delivered count when it was sent (Linux's rate
 *	sample prior_delivered), 0 if none
 * @ack_xmit_us: that segment's send time
 * @ack_end_seq: its end
 * @reo_wnd_mult: RACK.reo_wnd_mult (Linux's reo_wnd_steps), at least 1
 * @reo_wnd_persist: RACK.reo_wnd_persist: recoveries left before
 *	@reo_wnd_mult goes back to 1
 * @dsack_seen: a D-SACK that may grow @reo_wnd_mult waits for the next
 *	ACK that delivers something
 * @reordering_seen: RACK.reordering_seen: a segment was delivered after
 *	one sent later
 * @advanced: @xmit_us moved since loss detection last ran
 */
struct clasp_rack {
	u64 xmit_us;
	u32 end_seq;
	u32 rtt_us;
	u32 min_rtt_us;
	u32 dsack_dups;
	u32 last_delivered;
	u32 ack_delivered;
	u64 ack_xmit_us;
	u32 ack_end_seq;
	u8 reo_wnd_mult;
	u8 reo_wnd_persist;
	bool dsack_seen;
	bool reordering_seen;
	bool advanced;
};

void clasp_rack_init(struct clasp_rack *r);
bool clasp_rack_sent_after(u64 t1_us, u32 seq1, u64 t2_us, u32 seq2);
void clasp_rack_rtt_sample(struct clasp_rack *r, u32 rtt_us);
bool clasp_rack_advance(struct clasp_rack *r, u64 xmit_us, u32 end_seq,
			bool retransmitted, u64 now_us);
u32 clasp_rack_dsack(struct clasp_rack *r, u32 start, u32 end, u32 mss,
		     u32 max_window, u32 total_retrans, u32 tlp_high_seq);
void clasp_rack_ack_begin(struct clasp_rack *r);
void clasp_rack_ack_delivered(struct clasp_rack *r, u64 xmit_us,
			      u32 end_seq, u32 tx_delivered);
void clasp_rack_update_reo_wnd(struct clasp_rack *r, u32 delivered);
void clasp_rack_recovery_end(struct clasp_rack *r, bool undone);
void clasp_rack_undo(struct clasp_rack *r);
u32 clasp_rack_reo_wnd(const struct clasp_rack *r, bool recovering,
		       u32 sacked_segs, u32 srtt_us);
s64 clasp_rack_remaining(const struct clasp_rack *r, u64 xmit_us,
			 u32 reo_wnd_us, u64 now_us);

#endif /* _CLASP_RACK_H */
