// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: HyStart++ (RFC 9406), slow start that looks at the round trip.
 *
 * Slow start doubles the window every round trip until a loss says it
 * went too far, by then often by half a window.  HyStart++ watches the
 * least RTT of each round (a round ends when what was sent when it began
 * is acknowledged): once a round has N_RTT_SAMPLE samples and its least
 * exceeds the last round's by RttThresh (an eighth of it, between 4 and
 * 16 ms), the queue at the bottleneck is growing, and the sender enters
 * Conservative Slow Start: a quarter of slow start's growth.  If the RTT
 * falls below the level that started CSS, the rise was jitter and slow
 * start resumes; after CSS_ROUNDS rounds in CSS it was not, and the
 * sender goes to congestion avoidance with ssthresh = cwnd.  Each ACK
 * grows the window by at most L = 8 segments, since clasp does not pace.
 *
 * Linux's tcp_cubic.c has the older HyStart (Ha and Rhee, 2008: an
 * ACK-train test and a delay test that leave slow start at once); clasp
 * follows RFC 9406.  Only the first slow start of a connection uses it
 * (RFC 9406 4.3): later ones have the ssthresh a loss gave them.  The
 * algorithm calls clasp_hystart_sample() for every ACK that advances
 * snd_una in slow start and clasp_hystart_grow() for how far cwnd grows;
 * it sets phase to CLASP_HYSTART_DONE on a loss.
 */
#include <linux/limits.h>

#include "hystart.h"
#include "seq.h"

/**
 * clasp_hystart_init() - slow start begins, with a round
 * @h: the state, filled in
 * @snd_nxt: the next sequence number to send: windowEnd
 */
void clasp_hystart_init(struct clasp_hystart *h, u32 snd_nxt)
{
	*h = (struct clasp_hystart){
		.window_end = snd_nxt,
		.last_min_us = U32_MAX,
		.cur_min_us = U32_MAX,
		.css_baseline_us = U32_MAX,
		.phase = CLASP_HYSTART_SS,
	};
}

/* RttThresh: an eighth of the last round's least RTT, 4 to 16 ms. */
static u32 clasp_hystart_thresh(u32 last_min_us)
{
	u32 t = last_min_us / CLASP_HYSTART_MIN_RTT_DIVISOR;

	if (t > CLASP_HYSTART_MAX_RTT_THRESH_US)
		t = CLASP_HYSTART_MAX_RTT_THRESH_US;
	if (t < CLASP_HYSTART_MIN_RTT_THRESH_US)
		t = CLASP_HYSTART_MIN_RTT_THRESH_US;
	return t;
}

/**
 * clasp_hystart_sample() - an ACK advanced snd_una during slow start
 * @h: the state
 * @snd_una: snd_una after it
 * @snd_nxt: the next sequence number to send (snd_max)
 * @rtt_us: the RTT it measured, negative if none
 *
 * A round ends when snd_una reaches windowEnd: the next begins, and
 * counts towards CSS_ROUNDS in CSS, the round CSS began in included.
 * Then the sample: in slow start, a round with N_RTT_SAMPLE samples
 * whose least is RttThresh above the last round's enters CSS; in CSS,
 * one whose least falls below the RTT that started CSS goes back.  After
 * CSS_ROUNDS rounds in CSS, @h->phase is CLASP_HYSTART_DONE: the caller
 * sets ssthresh to cwnd.
 */
void clasp_hystart_sample(struct clasp_hystart *h, u32 snd_una, u32 snd_nxt,
			  s32 rtt_us)
{
	if (h->phase == CLASP_HYSTART_DONE)
		return;
	if (!clasp_seq_before(snd_una, h->window_end)) {
		h->last_min_us = h->cur_min_us;
		h->cur_min_us = U32_MAX;
		h->samples = 0;
		h->window_end = snd_nxt;
		if (h->phase == CLASP_HYSTART_CSS &&
		    h->css_rounds++ >= CLASP_HYSTART_CSS_ROUNDS) {
			h->phase = CLASP_HYSTART_DONE;
			return;
		}
	}
	if (rtt_us < 0)
		return;
	if ((u32)rtt_us < h->cur_min_us)
		h->cur_min_us = rtt_us;
	if (h->samples < U16_MAX)
		h->samples++;
	if (h->samples < CLASP_HYSTART_N_RTT_SAMPLE)
		return;
	if (h->phase == CLASP_HYSTART_SS) {
		if (h->last_min_us == U32_MAX ||
		    h->cur_min_us < h->last_min_us +
				    clasp_hystart_thresh(h->last_min_us))
			return;
		h->css_baseline_us = h->cur_min_us;
		h->phase = CLASP_HYSTART_CSS;
		h->css_rounds = 1;
		h->css_acc = 0;
	} else if (h->cur_min_us < h->css_baseline_us) {
		h->css_baseline_us = U32_MAX;
		h->phase = CLASP_HYSTART_SS;
		h->css_rounds = 0;
	}
}

/**
 * clasp_hystart_grow() - how far slow start grows cwnd for an ACK
 * @h: the state
 * @acked: segments it acknowledged
 *
 * At most L segments; a quarter of that in CSS, the remainder kept for
 * the next ACK.  Once HyStart++ is done, standard slow start: @acked.
 *
 * Return: segments to add to cwnd.
 */
u32 clasp_hystart_grow(struct clasp_hystart *h, u32 acked)
{
	u32 n;

	if (h->phase == CLASP_HYSTART_DONE)
		return acked;
	n = acked < CLASP_HYSTART_L ? acked : CLASP_HYSTART_L;
	if (h->phase == CLASP_HYSTART_SS)
		return n;
	n += h->css_acc;
	h->css_acc = n % CLASP_HYSTART_CSS_GROWTH_DIVISOR;
	return n / CLASP_HYSTART_CSS_GROWTH_DIVISOR;
}
