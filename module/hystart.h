/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp: HyStart++ (RFC 9406), slow start that leaves when the round trip
 * grows (hystart.c).  Pure code on sequence numbers and microseconds, so
 * unit/ tests it in user space; any algorithm may use it for its slow
 * start (cong_cubic.c does).
 */
#ifndef _CLASP_HYSTART_H
#define _CLASP_HYSTART_H

#include <linux/types.h>

/* RFC 9406 section 4.3's constants */
#define CLASP_HYSTART_MIN_RTT_THRESH_US	4000
#define CLASP_HYSTART_MAX_RTT_THRESH_US	16000
#define CLASP_HYSTART_MIN_RTT_DIVISOR	8
#define CLASP_HYSTART_N_RTT_SAMPLE	8
#define CLASP_HYSTART_CSS_GROWTH_DIVISOR 4
#define CLASP_HYSTART_CSS_ROUNDS	5
#define CLASP_HYSTART_L			8	/* segments: clasp does not pace */

/* Where a connection's slow start is. */
enum clasp_hystart_phase {
	CLASP_HYSTART_SS,	/* standard slow start, watching the RTT */
	CLASP_HYSTART_CSS,	/* Conservative Slow Start */
	CLASP_HYSTART_DONE,	/* left for congestion avoidance, or a loss */
};

/**
 * struct clasp_hystart - HyStart++ state (RFC 9406 section 4.2)
 * @window_end: windowEnd: the round ends when it is acknowledged
 * @last_min_us: lastRoundMinRTT, U32_MAX for infinity
 * @cur_min_us: currentRoundMinRTT, U32_MAX for infinity
 * @css_baseline_us: cssBaselineMinRtt, U32_MAX for infinity
 * @samples: rttSampleCount of this round
 * @css_rounds: rounds begun in CSS, the one it started in included
 * @css_acc: segments acknowledged in CSS not yet grown by (the
 *	remainder of the division by CSS_GROWTH_DIVISOR)
 * @phase: an enum clasp_hystart_phase
 */
struct clasp_hystart {
	u32 window_end;
	u32 last_min_us;
	u32 cur_min_us;
	u32 css_baseline_us;
	u16 samples;
	u8 css_rounds;
	u8 css_acc;
	u8 phase;
};

void clasp_hystart_init(struct clasp_hystart *h, u32 snd_nxt);
void clasp_hystart_sample(struct clasp_hystart *h, u32 snd_una, u32 snd_nxt,
			  s32 rtt_us);
u32 clasp_hystart_grow(struct clasp_hystart *h, u32 acked);

#endif /* _CLASP_HYSTART_H */
