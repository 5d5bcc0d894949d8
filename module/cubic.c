// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: CUBIC (RFC 9438 section 4), the arithmetic.
 *
 * In congestion avoidance the window follows
 *
 *	W_cubic(t) = C (t - K)^3 + W_max,   C = 0.4, K = cbrt((W_max - cwnd_epoch) / C)
 *
 * t seconds after the stage began with a window of cwnd_epoch: concave
 * up to W_max, the window before the last loss, flat near it, convex
 * beyond.  Each ACK moves cwnd towards W_cubic(t + RTT), by at most half
 * the window per round trip (4.4, 4.5); where Reno would be ahead (W_est,
 * 4.3) cwnd follows Reno instead.  A loss remembers W_max, lower if the
 * window shrank since the last (fast convergence, 4.7), and leaves
 * ssthresh = 0.7 cwnd (4.6).
 *
 * No floating point: windows are scaled by 1024, t and K counted in
 * 1/1024 s, so C (t - K)^3 scaled is 2 (t - K)^3 / 5 / 2^20, and K in
 * those ticks is cbrt(5 2^19 (W_max - cwnd_epoch)), a cube root taken
 * digit by digit.  Linux's tcp_cubic.c uses the same units with a
 * rounded C; this file computes C exactly.  It touches no socket, so
 * unit/ tests it against double precision.
 */
#include <linux/limits.h>
#include <linux/math64.h>

#include "cubic.h"

/**
 * clasp_cubic_cbrt() - the integer cube root: the largest y with
 * y^3 <= @x
 * @x: the radicand
 *
 * Binary long division's cube analogue: one bit of the root per three
 * bits of @x, from the top, keeping the remainder.
 *
 * Return: floor(cbrt(@x)).
 */
u32 clasp_cubic_cbrt(u64 x)
{
	u64 y = 0, b;
	int s;

	for (s = 63; s >= 0; s -= 3) {
		y <<= 1;
		/* (y + 1)^3 - y^3 = 3y(y + 1) + 1, at this bit position */
		b = 3 * y * (y + 1) + 1;
		if ((x >> s) >= b) {
			x -= b << s;
			y++;
		}
	}
	return y;
}

/**
 * clasp_cubic_k() - K of RFC 9438 equation 2: the time W_cubic takes to
 * climb from @cwnd_epoch back to @w_max
 * @w_max: W_max, scaled
 * @cwnd_epoch: the window the stage begins with, scaled
 *
 * K = cbrt((W_max - cwnd_epoch) / C) s = cbrt(5 * 2^19 * delta) ticks
 * for delta scaled by 2^10.
 *
 * Return: K in ticks of 1/1024 s; 0 if @cwnd_epoch is not below @w_max.
 */
u32 clasp_cubic_k(u32 w_max, u32 cwnd_epoch)
{
	if (w_max <= cwnd_epoch)
		return 0;
	return clasp_cubic_cbrt((u64)(w_max - cwnd_epoch) * 5 << 19);
}

/**
 * clasp_cubic_window() - W_cubic(t) of RFC 9438 equation 1
 * @w_max: W_max, scaled
 * @k: K, in ticks
 * @t: t, in ticks since the stage began
 *
 * |t - K| is taken at most CLASP_CUBIC_T_MAX, so the cube fits 64 bits.
 *
 * Return: the window, scaled; 0 where the cubic falls below zero.
 */
u64 clasp_cubic_window(u32 w_max, u32 k, u32 t)
{
	u32 d = t >= k ? t - k : k - t;
	u64 off;

	if (d > CLASP_CUBIC_T_MAX)
		d = CLASP_CUBIC_T_MAX;
	/* C d^3 scaled: 0.4 (d / 2^10)^3 2^10 = 2 d^3 / 5 / 2^20 */
	off = div_u64(2 * (u64)d * d * d, 5) >> 20;
	if (t >= k)
		return w_max + off;
	return off < w_max ? w_max - off : 0;
}

/**
 * clasp_cubic_ticks() - microseconds in ticks of 1/1024 s
 * @us: the time; beyond 2^40 us (12 days) taken as 2^40
 *
 * Return: the ticks.
 */
u32 clasp_cubic_ticks(u64 us)
{
	if (us > 1ULL << 40)
		us = 1ULL << 40;
	return div_u64(us << 10, 1000000);
}

/**
 * clasp_cubic_loss() - a congestion event: the window is reduced
 * (RFC 9438 4.6, 4.7)
 * @c: the state
 * @cwnd: cwnd before the reduction, in segments
 *
 * W_max becomes the window now, or (1 + beta) / 2 of it if it did not
 * reach the last W_max (fast convergence: a flow that is losing ground
 * gives some up); the next congestion avoidance stage starts afresh.
 * What the state was is kept for clasp_cubic_undo().
 *
 * Return: ssthresh = beta * cwnd, at least 2 segments.
 */
u32 clasp_cubic_loss(struct clasp_cubic *c, u32 cwnd)
{
	u64 w;

	if (cwnd > CLASP_CUBIC_CWND_MAX)
		cwnd = CLASP_CUBIC_CWND_MAX;
	w = (u64)cwnd << CLASP_CUBIC_SHIFT;
	c->prior_w_max = c->w_max;
	c->prior_cwnd_prior = c->cwnd_prior;
	if (w < c->w_max)
		c->w_max = (w * (CLASP_CUBIC_SCALE + CLASP_CUBIC_BETA)) >>
			   (CLASP_CUBIC_SHIFT + 1);
	else
		c->w_max = w;
	c->cwnd_prior = cwnd;
	c->epoch_us = 0;
	w = ((u64)cwnd * CLASP_CUBIC_BETA) >> CLASP_CUBIC_SHIFT;
	return w > 2 ? w : 2;
}

/**
 * clasp_cubic_undo() - the last reduction was spurious: W_max and
 * cwnd_prior as before it (RFC 9438 4.9); a new stage begins from the
 * window restored
 * @c: the state
 */
void clasp_cubic_undo(struct clasp_cubic *c)
{
	c->w_max = c->prior_w_max;
	c->cwnd_prior = c->prior_cwnd_prior;
	c->epoch_us = 0;
}

/**
 * clasp_cubic_epoch() - a congestion avoidance stage begins
 * @c: the state
 * @cwnd: the window it begins with (cwnd_epoch), in segments
 * @now_us: the time
 *
 * K from W_max and cwnd_epoch.  With no W_max above the window (the
 * first stage after a slow start that ended without a loss, or after a
 * timeout), W_max is the window and K is 0 (RFC 9438 4.8, 4.10): the
 * window grows along the convex curve from where it is.  W_est starts
 * at cwnd_epoch.
 */
void clasp_cubic_epoch(struct clasp_cubic *c, u32 cwnd, u64 now_us)
{
	u32 w;

	if (cwnd > CLASP_CUBIC_CWND_MAX)
		cwnd = CLASP_CUBIC_CWND_MAX;
	w = cwnd << CLASP_CUBIC_SHIFT;
	c->epoch_us = now_us ? now_us : 1;
	if (c->w_max <= w) {
		c->w_max = w;
		c->k = 0;
	} else {
		c->k = clasp_cubic_k(c->w_max, w);
	}
	c->w_est = w;
	c->est_acc = 0;
}

/**
 * clasp_cubic_update() - an ACK in congestion avoidance: how cwnd grows
 * @c: the state
 * @cwnd: cwnd, in segments, at least 1
 * @acked: segments the ACK acknowledged
 * @now_us: the time
 * @rtt_us: the smoothed round trip
 * @cnt: set to the segments to acknowledge per segment of growth
 *	(U32_MAX: none), for RFC 9438's cwnd += (target - cwnd) / cwnd per
 *	segment acknowledged
 *
 * W_est grows by alpha_cubic per window acknowledged, alpha_cubic = 1
 * once W_est reached cwnd_prior (4.3).  Where W_cubic(t) is below it
 * (the Reno-friendly region), cwnd is W_est.  Elsewhere the target is
 * W_cubic(t + RTT), at least cwnd and at most 1.5 cwnd (4.4, 4.5).
 *
 * Return: the window cwnd should have at least now: W_est in the
 * Reno-friendly region, else @cwnd.
 */
u32 clasp_cubic_update(struct clasp_cubic *c, u32 cwnd, u32 acked,
		       u64 now_us, u32 rtt_us, u32 *cnt)
{
	u64 cw, w_t, target, elapsed;
	u32 alpha, t, w;

	if (cwnd > CLASP_CUBIC_CWND_MAX)
		cwnd = CLASP_CUBIC_CWND_MAX;
	if (!cwnd)
		cwnd = 1;
	cw = (u64)cwnd << CLASP_CUBIC_SHIFT;
	if (!c->epoch_us)
		clasp_cubic_epoch(c, cwnd, now_us);
	elapsed = now_us > c->epoch_us ? now_us - c->epoch_us : 0;
	t = clasp_cubic_ticks(elapsed);

	/* W_est, Reno's window with alpha_cubic (4.3) */
	alpha = (u64)c->w_est >= (u64)c->cwnd_prior << CLASP_CUBIC_SHIFT ?
		CLASP_CUBIC_SCALE : CLASP_CUBIC_ALPHA;
	c->est_acc += alpha * acked;
	c->w_est += c->est_acc / cwnd;
	c->est_acc %= cwnd;

	w_t = clasp_cubic_window(c->w_max, c->k, t);
	if (w_t < c->w_est) {
		*cnt = U32_MAX;
		w = c->w_est >> CLASP_CUBIC_SHIFT;
		return w > cwnd ? w : cwnd;
	}
	target = clasp_cubic_window(c->w_max, c->k,
				    t + clasp_cubic_ticks(rtt_us));
	if (target > cw + cw / 2)
		target = cw + cw / 2;
	if (target <= cw) {
		*cnt = U32_MAX;
		return cwnd;
	}
	w = div_u64(cw, (u32)(target - cw));
	*cnt = w ? w : 1;
	return cwnd;
}
