/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp: CUBIC's arithmetic (RFC 9438 section 4), on integers (cubic.c).
 * Windows are in segments scaled by CLASP_CUBIC_SCALE (1/1024 segment),
 * times of the cubic function in ticks of 1/1024 second.  Touches no
 * socket, so unit/ compiles and tests it in user space; cong_cubic.c
 * puts it behind struct clasp_cong_ops.
 */
#ifndef _CLASP_CUBIC_H
#define _CLASP_CUBIC_H

#include <linux/types.h>

#define CLASP_CUBIC_SHIFT	10
#define CLASP_CUBIC_SCALE	1024U	/* 1 << CLASP_CUBIC_SHIFT */
/* beta_cubic = 0.7, as 717/1024 (0.7002): a window of 10 falls to 7 */
#define CLASP_CUBIC_BETA	717U
/* alpha_cubic = 3 (1 - beta) / (1 + beta) (RFC 9438 4.3), 0.529 */
#define CLASP_CUBIC_ALPHA	(3U * (CLASP_CUBIC_SCALE - CLASP_CUBIC_BETA) * \
				 CLASP_CUBIC_SCALE / \
				 (CLASP_CUBIC_SCALE + CLASP_CUBIC_BETA))
/* The largest |t - K| the cubic term takes, in ticks: about 34 minutes. */
#define CLASP_CUBIC_T_MAX	((1U << 21) - 1)
/* The largest window CUBIC computes with, in segments. */
#define CLASP_CUBIC_CWND_MAX	0x200000U	/* 2^21 */

/**
 * struct clasp_cubic - a sender's CUBIC state (RFC 9438 section 4.1)
 * @epoch_us: when the current congestion avoidance stage began, in
 *	microseconds; 0 while none is under way
 * @w_max: W_max, scaled: the window just before the last reduction, or
 *	less after fast convergence; 0 before any
 * @prior_w_max: @w_max before the last reduction, for an undo
 * @k: K, in ticks: when W_cubic reaches @w_max again
 * @w_est: W_est, scaled: the window Reno would have (section 4.3)
 * @est_acc: alpha times the segments acknowledged, not yet added to
 *	@w_est because smaller than cwnd (the remainder of a division)
 * @cwnd_prior: cwnd_prior, in segments: cwnd before the last reduction
 * @prior_cwnd_prior: @cwnd_prior before it, for an undo
 */
struct clasp_cubic {
	u64 epoch_us;
	u32 w_max;
	u32 prior_w_max;
	u32 k;
	u32 w_est;
	u32 est_acc;
	u32 cwnd_prior;
	u32 prior_cwnd_prior;
};

u32 clasp_cubic_cbrt(u64 x);
u32 clasp_cubic_k(u32 w_max, u32 cwnd_epoch);
u64 clasp_cubic_window(u32 w_max, u32 k, u32 t);
u32 clasp_cubic_ticks(u64 us);
u32 clasp_cubic_loss(struct clasp_cubic *c, u32 cwnd);
void clasp_cubic_undo(struct clasp_cubic *c);
void clasp_cubic_epoch(struct clasp_cubic *c, u32 cwnd, u64 now_us);
u32 clasp_cubic_update(struct clasp_cubic *c, u32 cwnd, u32 acked,
		       u64 now_us, u32 rtt_us, u32 *cnt);

#endif /* _CLASP_CUBIC_H */
