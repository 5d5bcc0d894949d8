// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of RACK's arithmetic (module/rack.c, RFC 8985 section 6):
 * the send-order test, what a delivery updates, the reordering window
 * and its D-SACK adaptation (which D-SACKs count, once a round trip, as
 * Linux), and when a segment sent earlier is lost.
 * Prints TAP; exits 1 if any case fails.
 */
#include <stdio.h>

#include "rack.h"
#include "tap.h"

int main(void)
{
	struct clasp_rack r;
	int i;

	tap_plan(57);

	/* RACK_sent_after(): time first, sequence number on a tie. */
	expect(clasp_rack_sent_after(200, 1000, 100, 5000), 1, "later send time");
	expect(clasp_rack_sent_after(100, 5000, 200, 1000), 0, "earlier send time");
	expect(clasp_rack_sent_after(100, 5000, 100, 1000), 1, "same time, higher end");
	expect(clasp_rack_sent_after(100, 1000, 100, 5000), 0, "same time, lower end");
	expect(clasp_rack_sent_after(100, 10, 100, 0xfffffff0u), 1,
	       "same time, end past the wrap");

	/* Deliveries (step 2). */
	clasp_rack_init(&r);
	expect(r.reo_wnd_mult, 1, "the multiplier starts at 1");
	clasp_rack_rtt_sample(&r, 8000);
	clasp_rack_rtt_sample(&r, 12000);
	expect(r.min_rtt_us, 8000, "min_RTT is the least sample");
	expect(clasp_rack_advance(&r, 1000, 2200, false, 11000), 1,
	       "a segment sent once is a sample");
	expect(r.rtt_us, 10000, "RACK.rtt from its send time");
	expect(r.end_seq, 2200, "RACK.end_seq follows");
	expect(clasp_rack_advance(&r, 500, 1000, false, 11000), 1,
	       "an older segment delivered later");
	expect(r.xmit_us, 1000, "RACK.xmit_ts stays with the latest send");
	expect(clasp_rack_advance(&r, 10000, 1000, true, 15000), 0,
	       "a retransmission acknowledged faster than min_RTT is ambiguous");
	expect(r.xmit_us, 1000, "and is ignored");
	expect(clasp_rack_advance(&r, 2000, 1000, true, 15000), 1,
	       "a retransmission with a plausible round trip counts");
	expect(r.xmit_us, 2000, "RACK.xmit_ts moves to it");

	/* The window (step 4): min_RTT / 4, at most SRTT. */
	expect(clasp_rack_reo_wnd(&r, false, 1, 20000), 2000, "min_RTT / 4");
	expect(clasp_rack_reo_wnd(&r, false, 1, 1500), 1500, "at most SRTT");
	expect(clasp_rack_reo_wnd(&r, true, 1, 20000), 0,
	       "in recovery with no reordering seen: none");
	expect(clasp_rack_reo_wnd(&r, false, 3, 20000), 0,
	       "DupThresh SACKed with no reordering seen: none");
	r.reordering_seen = true;
	expect(clasp_rack_reo_wnd(&r, true, 3, 20000), 2000,
	       "once reordering is seen, the window stays");

	/*
	 * Which D-SACKs count (Linux's tcp_dsack_seen()): the segments they
	 * report, 0 for a dubious one.  MSS 1000, peer's window 64000.
	 */
	clasp_rack_init(&r);
	clasp_rack_rtt_sample(&r, 8000);
	r.reordering_seen = true;
	expect(clasp_rack_dsack(&r, 1000, 2000, 1000, 64000, 0, 0), 0,
	       "a D-SACK of a segment never sent again is the network's");
	expect(r.dsack_seen, 0, "and does not widen the window");
	expect(r.dsack_dups, 1, "yet it is counted");
	expect(clasp_rack_dsack(&r, 2000, 3000, 1000, 64000, 1, 0), 0,
	       "one retransmission, two segments D-SACKed: the second is dubious");
	expect(clasp_rack_dsack(&r, 3000, 5500, 1000, 64000, 100, 0), 3,
	       "2500 bytes are 3 segments");
	expect(r.dsack_dups, 5, "counted as 3");
	expect(r.dsack_seen, 1, "a D-SACK of ours waits to widen the window");
	clasp_rack_init(&r);
	r.reordering_seen = true;
	expect(clasp_rack_dsack(&r, 1000, 70000, 1000, 64000, 100, 0), 0,
	       "a block wider than the peer's window is dubious");
	expect(r.dsack_dups, 0, "and not counted");
	expect(clasp_rack_dsack(&r, 2000, 2000, 1000, 64000, 100, 0), 0,
	       "an empty block is dubious");
	expect(clasp_rack_dsack(&r, 9000, 10000, 1000, 64000, 100, 10000), 1,
	       "the loss probe's D-SACK counts for the undo");
	expect(r.dsack_seen, 0, "but does not widen the window");
	expect(clasp_rack_dsack(&r, 8000, 10000, 1000, 64000, 100, 10000), 2,
	       "two segments ending at the probe's end");
	expect(r.dsack_seen, 1, "are no probe's alone: they widen it");
	clasp_rack_init(&r);
	expect(clasp_rack_dsack(&r, 1000, 2000, 1000, 64000, 100, 0), 1,
	       "with no reordering seen, a D-SACK counts for the undo");
	expect(r.dsack_seen, 0, "but does not widen the window");

	/*
	 * Growth (Linux's tcp_rack_update_reo_wnd()): at the next ACK that
	 * delivers something, once a round trip; back after 16 recoveries.
	 */
	clasp_rack_init(&r);
	clasp_rack_rtt_sample(&r, 8000);
	r.reordering_seen = true;
	clasp_rack_ack_begin(&r);
	clasp_rack_ack_delivered(&r, 500, 3000, 30);
	clasp_rack_ack_delivered(&r, 400, 2000, 10);
	expect(r.ack_delivered, 30, "an ACK's sample is its segment sent last");
	clasp_rack_dsack(&r, 1000, 2000, 1000, 64000, 100, 0);
	expect(r.reo_wnd_mult, 1, "a D-SACK alone grows nothing yet");
	clasp_rack_ack_begin(&r);
	clasp_rack_update_reo_wnd(&r, 40);
	expect(r.reo_wnd_mult, 1, "nor an ACK that delivers nothing");
	expect(r.dsack_seen, 1, "which leaves the D-SACK waiting");
	clasp_rack_ack_delivered(&r, 600, 4000, 35);
	clasp_rack_update_reo_wnd(&r, 41);
	expect(r.reo_wnd_mult, 2, "an ACK that delivers grows the multiplier");
	expect(clasp_rack_reo_wnd(&r, false, 1, 20000), 4000, "window doubled");
	clasp_rack_dsack(&r, 2000, 3000, 1000, 64000, 100, 0);
	clasp_rack_ack_begin(&r);
	clasp_rack_ack_delivered(&r, 700, 5000, 40);
	clasp_rack_update_reo_wnd(&r, 45);
	expect(r.reo_wnd_mult, 2,
	       "not again for a segment sent before it grew (one round trip)");
	expect(r.dsack_seen, 0, "that D-SACK is dropped");
	clasp_rack_ack_begin(&r);
	clasp_rack_ack_delivered(&r, 800, 6000, 41);
	clasp_rack_update_reo_wnd(&r, 46);
	expect(r.reo_wnd_mult, 2, "and not taken up by a later ACK");
	clasp_rack_dsack(&r, 3000, 4000, 1000, 64000, 100, 0);
	clasp_rack_ack_begin(&r);
	clasp_rack_ack_delivered(&r, 900, 7000, 41);
	clasp_rack_update_reo_wnd(&r, 47);
	expect(r.reo_wnd_mult, 3, "again for a segment sent after it grew");
	r.min_rtt_us = 8003;
	expect(clasp_rack_reo_wnd(&r, false, 1, 20000), 6000,
	       "a quarter of min_RTT, rounded down, times the multiplier");
	r.min_rtt_us = 8000;
	for (i = 0; i < CLASP_RACK_PERSIST - 1; i++) {
		clasp_rack_recovery_end(&r, false);
		clasp_rack_update_reo_wnd(&r, 48 + i);
	}
	clasp_rack_recovery_end(&r, true);
	clasp_rack_update_reo_wnd(&r, 70);
	expect(r.reo_wnd_mult, 3, "kept for 15 recoveries, an undone one aside");
	clasp_rack_recovery_end(&r, false);
	expect(r.reo_wnd_mult, 3, "the 16th ends");
	clasp_rack_update_reo_wnd(&r, 71);
	expect(r.reo_wnd_mult, 1, "back to 1 at the next ACK that delivers");

	/* A D-SACK undo keeps a grown window one recovery longer. */
	clasp_rack_dsack(&r, 4000, 5000, 1000, 64000, 100, 0);
	clasp_rack_ack_begin(&r);
	clasp_rack_ack_delivered(&r, 1000, 8000, 71);
	clasp_rack_update_reo_wnd(&r, 72);
	for (i = 0; i < 2; i++)
		clasp_rack_recovery_end(&r, false);
	clasp_rack_undo(&r);
	expect(r.reo_wnd_persist, CLASP_RACK_PERSIST - 1,
	       "an undo gives back one recovery");
	for (i = 0; i < 4; i++)
		clasp_rack_undo(&r);
	expect(r.reo_wnd_persist, CLASP_RACK_PERSIST, "never above 16");
	for (i = 0; i < CLASP_RACK_PERSIST; i++)
		clasp_rack_recovery_end(&r, false);
	clasp_rack_update_reo_wnd(&r, 73);
	expect(r.reo_wnd_mult, 1, "and still back to 1 after 16");

	/* Loss (step 5): xmit_ts + RACK.rtt + reo_wnd. */
	clasp_rack_init(&r);
	clasp_rack_advance(&r, 1000, 5000, false, 11000);
	expect(clasp_rack_remaining(&r, 900, 2000, 11000), 1900,
	       "sent 100 us earlier: lost 1.9 ms from now");
	expect(clasp_rack_remaining(&r, 900, 0, 11000), -100,
	       "no window: lost now");
	expect(clasp_rack_remaining(&r, 900, 2000, 13000), -100,
	       "lost once the window has passed");

	return tap_end();
}
