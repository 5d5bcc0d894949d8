// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of HyStart++ (module/hystart.c, RFC 9406): rounds ended by
 * windowEnd, the samples a round needs, RttThresh and its clamps, the
 * entry into Conservative Slow Start, the return to slow start, the end
 * after CSS_ROUNDS rounds, and the growth per ACK.  Sequence numbers
 * count segments here.  Prints TAP; exits 1 if any case fails.
 */
#include <stdio.h>

#include "hystart.h"
#include "tap.h"

/*
 * One round of slow start, up to @max ACKs: the segments are
 * acknowledged one by one, each ACK with @rtt_us, each sending two more
 * (una and nxt count segments).  The first ACK may end the last round;
 * the one that would end this round is left for the next call.
 */
static void round_trip(struct clasp_hystart *h, u32 *una, u32 *nxt,
		       s32 rtt_us, u32 max)
{
	do {
		++*una;
		clasp_hystart_sample(h, *una, *nxt, rtt_us);
		*nxt += 2;
	} while (--max && *una + 1 < h->window_end);
}

int main(void)
{
	struct clasp_hystart h;
	u32 una = 0, nxt = 10;
	int i;

	tap_plan(30);

	clasp_hystart_init(&h, 0);
	expect(h.phase, CLASP_HYSTART_SS, "slow start at first");
	expect(h.window_end, 0, "round 0 ends at SND.NXT when slow start began");
	expect(clasp_hystart_grow(&h, 3), 3, "slow start: cwnd grows by the segments ACKed");
	expect(clasp_hystart_grow(&h, 20), CLASP_HYSTART_L,
	       "at most L = 8 segments per ACK");

	/* Ten segments go; the first ACK ends round 0 and begins round 1. */
	round_trip(&h, &una, &nxt, 10000, ~0U);
	expect(h.window_end, 10, "round 1 ends at SND.NXT when it began");
	expect(h.last_min_us, U32_MAX, "round 0 had no samples");
	expect(h.cur_min_us, 10000, "currentRoundMinRTT");
	expect(h.samples, 9, "nine ACKs in round 1");
	round_trip(&h, &una, &nxt, 11000, ~0U);
	expect(h.window_end, 28, "the tenth ACK begins round 2");
	expect(h.last_min_us, 10000, "lastRoundMinRTT");
	/* A steady RTT: rounds go by, slow start stays. */
	for (i = 2; i < 5; i++)
		round_trip(&h, &una, &nxt, 10000 + i * 1000, ~0U);
	expect(h.phase, CLASP_HYSTART_SS, "an RTT rising 1 ms a round: slow start");
	expect(h.last_min_us, 13000, "lastRoundMinRTT is the last round's least");

	/* RttThresh for a last round of 17 ms: max(4, min(17 / 8, 16)) = 4. */
	clasp_hystart_init(&h, 0);
	una = 0;
	nxt = 10;
	round_trip(&h, &una, &nxt, 13000, ~0U);
	round_trip(&h, &una, &nxt, 13000, ~0U);
	round_trip(&h, &una, &nxt, 16999, ~0U);
	expect(h.phase, CLASP_HYSTART_SS, "3.999 ms more: below RttThresh");
	round_trip(&h, &una, &nxt, 16999 + 4000, 7);
	expect(h.phase, CLASP_HYSTART_SS, "RttThresh more, but only 7 samples");
	round_trip(&h, &una, &nxt, 16999 + 4000, 1);
	expect(h.phase, CLASP_HYSTART_CSS, "the eighth sample: CSS");
	expect(h.css_baseline_us, 16999 + 4000, "cssBaselineMinRtt");
	expect(h.css_rounds, 1, "the partial round counts");

	/* CSS grows a quarter as fast, remainders carried. */
	expect(clasp_hystart_grow(&h, 3), 0, "CSS: 3 segments, no growth yet");
	expect(clasp_hystart_grow(&h, 3), 1, "CSS: 6, one segment, 2 carried");
	expect(clasp_hystart_grow(&h, 20), 2, "CSS: L = 8 (+2 carried) gives 2");

	/* An RTT below the baseline: the rise was jitter; slow start again. */
	round_trip(&h, &una, &nxt, 16999 + 4000, ~0U);
	round_trip(&h, &una, &nxt, 15000, 7);
	expect(h.phase, CLASP_HYSTART_CSS, "7 samples below the baseline: still CSS");
	round_trip(&h, &una, &nxt, 15000, 1);
	expect(h.phase, CLASP_HYSTART_SS, "the eighth below the baseline: slow start");
	expect(h.css_baseline_us, U32_MAX, "the baseline forgotten");

	/* RttThresh clamped to 16 ms for a last round of 200 ms. */
	clasp_hystart_init(&h, 0);
	una = 0;
	nxt = 10;
	round_trip(&h, &una, &nxt, 200000, ~0U);
	round_trip(&h, &una, &nxt, 200000, ~0U);
	round_trip(&h, &una, &nxt, 215999, ~0U);
	expect(h.phase, CLASP_HYSTART_SS, "200 ms: 15.999 ms more is below 16");
	round_trip(&h, &una, &nxt, 215999 + 16000, 8);
	expect(h.phase, CLASP_HYSTART_CSS, "16 ms more than the last: CSS");

	/* CSS_ROUNDS rounds with the RTT up: done, to congestion avoidance. */
	round_trip(&h, &una, &nxt, 240000, ~0U);	/* the rest of round 1 */
	for (i = 2; i <= CLASP_HYSTART_CSS_ROUNDS; i++)
		round_trip(&h, &una, &nxt, 240000, ~0U);
	expect(h.phase, CLASP_HYSTART_CSS, "four more rounds: still CSS");
	round_trip(&h, &una, &nxt, 240000, 1);
	expect(h.phase, CLASP_HYSTART_DONE, "the fifth round's end ends CSS");
	expect(clasp_hystart_grow(&h, 20), 20, "done: standard slow start, no L");

	/* ACKs without an RTT sample do not count towards N_RTT_SAMPLE. */
	clasp_hystart_init(&h, 0);
	una = 0;
	nxt = 10;
	round_trip(&h, &una, &nxt, 10000, ~0U);
	round_trip(&h, &una, &nxt, 10000, ~0U);
	round_trip(&h, &una, &nxt, -1, ~0U);
	round_trip(&h, &una, &nxt, 50000, 7);
	expect(h.samples, 7, "ACKs without a sample are not samples");
	expect(h.last_min_us, U32_MAX, "a round without samples has no least");

	return tap_end();
}
