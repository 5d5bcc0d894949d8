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
 * struct clasp_rack - a sender's RACK state (RFC 8985 section 6.1)
 * @xmit_us: RACK.xmit_ts: send time of the most recently sent segment
 *	among those delivered (SACKed or cumulatively acknowledged)
 * @end_seq: RACK.end_seq: that segment's end
 * @rtt_us: RACK.rtt: the round trip that delivery measured
 * @min_rtt_us: RACK.min_RTT: the least round trip seen, 0 before one
 * @dsack_round: RACK.dsack_round: snd_nxt when a D-SACK last grew the
 *	window, valid while @dsack_round_on
 * @reo_wnd_mult: RACK.reo_wnd_mult, at least 1
 * @reo_wnd_persist: RACK.reo_wnd_persist: recoveries left before
 *	@reo_wnd_mult goes back to 1
 * @dsack_round_on: @dsack_round is set
 * @reordering_seen: RACK.reordering_seen: a segment was delivered after
 *	one sent later
 * @advanced: @xmit_us moved since loss detection last ran
 */
struct clasp_rack {
	u64 xmit_us;
	u32 end_seq;
	u32 rtt_us;
	u32 min_rtt_us;
	u32 dsack_round;
	u8 reo_wnd_mult;
	u8 reo_wnd_persist;
	bool dsack_round_on;
	bool reordering_seen;
	bool advanced;
};

void clasp_rack_init(struct clasp_rack *r);
bool clasp_rack_sent_after(u64 t1_us, u32 seq1, u64 t2_us, u32 seq2);
void clasp_rack_rtt_sample(struct clasp_rack *r, u32 rtt_us);
bool clasp_rack_advance(struct clasp_rack *r, u64 xmit_us, u32 end_seq,
			bool retransmitted, u64 now_us);
void clasp_rack_dsack(struct clasp_rack *r, bool dsack, u32 snd_una,
		      u32 snd_nxt, bool recovery_ended);
void clasp_rack_undo(struct clasp_rack *r);
u32 clasp_rack_reo_wnd(const struct clasp_rack *r, bool recovering,
		       u32 sacked_segs, u32 srtt_us);
s64 clasp_rack_remaining(const struct clasp_rack *r, u64 xmit_us,
			 u32 reo_wnd_us, u64 now_us);

#endif /* _CLASP_RACK_H */
