// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of RACK's arithmetic (module/rack.c, RFC 8985 section 6):
 * the send-order test, what a delivery updates, the reordering window
 * and its D-SACK adaptation, and when a segment sent earlier is lost.
 * Prints TAP; exits 1 if any case fails.
 */
#include <stdio.h>

#include "rack.h"
#include "tap.h"

int main(void)
{
	struct clasp_rack r;
	int i;

	tap_plan(33);

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

	/* D-SACK adaptation: once per round trip, back after 16 recoveries. */
	clasp_rack_dsack(&r, true, 1000, 9000, false);
	expect(r.reo_wnd_mult, 2, "a D-SACK grows the multiplier");
	clasp_rack_dsack(&r, true, 5000, 9000, false);
	expect(r.reo_wnd_mult, 2, "not twice in one round trip");
	expect(clasp_rack_reo_wnd(&r, false, 1, 20000), 4000, "window doubled");
	clasp_rack_dsack(&r, true, 9000, 12000, false);
	expect(r.reo_wnd_mult, 3, "again in the next round trip");
	for (i = 0; i < CLASP_RACK_PERSIST - 1; i++)
		clasp_rack_dsack(&r, false, 12000 + i, 13000, true);
	expect(r.reo_wnd_mult, 3, "kept for 15 recoveries");
	clasp_rack_dsack(&r, false, 13000, 13000, true);
	expect(r.reo_wnd_mult, 1, "back to 1 after the 16th");

	/* A D-SACK undo keeps a grown window one recovery longer. */
	clasp_rack_dsack(&r, true, 14000, 15000, false);
	for (i = 0; i < 2; i++)
		clasp_rack_dsack(&r, false, 15000 + i, 16000, true);
	clasp_rack_undo(&r);
	expect(r.reo_wnd_persist, CLASP_RACK_PERSIST - 1,
	       "an undo gives back one recovery");
	for (i = 0; i < 4; i++)
		clasp_rack_undo(&r);
	expect(r.reo_wnd_persist, CLASP_RACK_PERSIST, "never above 16");
	for (i = 0; i < CLASP_RACK_PERSIST; i++)
		clasp_rack_dsack(&r, false, 16000 + i, 17000, true);
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
