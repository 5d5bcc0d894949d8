// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of CUBIC's integer arithmetic (module/cubic.c, RFC 9438
 * section 4) against double precision: the cube root, K, the window
 * function, the reduction with fast convergence, the Reno-friendly
 * region and the concave and convex growth per ACK.  Prints TAP; exits 1
 * if any case fails.
 */
#include <math.h>
#include <stdio.h>

#include "cubic.h"
#include "tap.h"

/* x^3 in 128 bits: the root is right if y^3 <= x < (y + 1)^3. */
static int cbrt_right(u64 x, u32 y)
{
	unsigned __int128 lo = (unsigned __int128)y * y * y;
	unsigned __int128 hi = (unsigned __int128)(y + 1) * (y + 1) * (y + 1);

	return lo <= x && x < hi;
}

static u64 lcg(u64 *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s;
}

/* RFC 9438 in double precision: seconds and segments. */
static double ref_k(double w_max, double cwnd_epoch)
{
	return cbrt((w_max - cwnd_epoch) / 0.4);
}

static double ref_w(double w_max, double k, double t)
{
	return 0.4 * (t - k) * (t - k) * (t - k) + w_max;
}

/*
 * Feeds @rtts round trips of ACKs, one per segment, to a connection in
 * congestion avoidance, as cong_cubic.c does: cwnd jumps to W_est in the
 * Reno-friendly region, else grows by one segment every cnt segments
 * acknowledged.  Returns cwnd.
 */
static u32 run(struct clasp_cubic *c, u32 cwnd, u64 *now_us, u32 rtt_us,
	       int rtts)
{
	u32 w, cnt, acc = 0, i;

	while (rtts--) {
		u32 flight = cwnd;

		for (i = 0; i < flight; i++) {
			*now_us += rtt_us / flight;
			w = clasp_cubic_update(c, cwnd, 1, *now_us, rtt_us, &cnt);
			if (w > cwnd) {
				cwnd = w;
				acc = 0;
			} else if (cnt != U32_MAX && ++acc >= cnt) {
				cwnd += acc / cnt;
				acc %= cnt;
			}
		}
	}
	return cwnd;
}

int main(void)
{
	struct clasp_cubic c = { 0 };
	u64 now, x, seed = 1;
	double maxerr = 0, k, w, t;
	int i, bad;
	u32 cwnd, cnt, ss;

	tap_plan(30);

	/* The cube root. */
	expect(clasp_cubic_cbrt(0), 0, "cbrt(0)");
	expect(clasp_cubic_cbrt(7), 1, "cbrt(7) is 1");
	expect(clasp_cubic_cbrt(8), 2, "cbrt(8) is 2");
	expect(clasp_cubic_cbrt(1000000000000ULL), 10000, "cbrt(10^12)");
	expect(clasp_cubic_cbrt(999999999999ULL), 9999, "cbrt(10^12 - 1)");
	expect(clasp_cubic_cbrt(~0ULL), 2642245, "cbrt(2^64 - 1)");
	for (bad = 0, i = 0; i < 100000; i++) {
		/* every magnitude: shift a random number down by 0..63 */
		x = lcg(&seed) >> (lcg(&seed) % 64);
		if (!cbrt_right(x, clasp_cubic_cbrt(x)) ||
		    fabs(clasp_cubic_cbrt(x) - cbrt((double)x)) >= 1.0)
			bad++;
	}
	expect(bad, 0, "cbrt of 100000 numbers of every size is floor(cbrt)");
	for (bad = 0, x = 1; x < (1U << 21); x++) {
		u64 c3 = x * x * x;

		if (clasp_cubic_cbrt(c3) != x || clasp_cubic_cbrt(c3 - 1) != x - 1)
			bad++;
	}
	expect(bad, 0, "cbrt of every cube up to 2^63 and of one less");

	/* K (RFC 9438 equation 2), in ticks of 1/1024 s. */
	expect(clasp_cubic_k(7 << 10, 7 << 10), 0, "K is 0 at W_max");
	expect(clasp_cubic_k(7 << 10, 9 << 10), 0, "K is 0 above W_max");
	k = ref_k(100, 70) * 1024;
	tap_ok(fabs(clasp_cubic_k(100 << 10, 70 << 10) - k) < 1.0,
	   "K for W_max 100, cwnd_epoch 70: 4.22 s");
	for (bad = 0, i = 0; i < 10000; i++) {
		u32 wm = 1024 + lcg(&seed) % (1U << 31);
		u32 ce = (u64)wm * (lcg(&seed) % 1024) >> 10;

		k = ref_k(wm / 1024.0, ce / 1024.0) * 1024;
		if (fabs(clasp_cubic_k(wm, ce) - k) >= 1.0)
			bad++;
	}
	expect(bad, 0, "K within a tick of double precision, 10000 windows");

	/* W_cubic(t) (equation 1). */
	for (bad = 0, i = 0; i < 100000; i++) {
		u32 wm = 1024 + lcg(&seed) % (1U << 30);
		u32 kk = lcg(&seed) % 20000, t = lcg(&seed) % 40000;
		double want = ref_w(wm / 1024.0, kk / 1024.0, t / 1024.0) * 1024;
		double got = clasp_cubic_window(wm, kk, t);
		double err;

		if (want < 0)
			want = 0;
		err = fabs(got - want);
		if (err > maxerr)
			maxerr = err;
		if (err > 1.0)
			bad++;
	}
	printf("# W_cubic: largest error %.3f of a segment / 1024\n", maxerr);
	expect(bad, 0, "W_cubic within 1/1024 segment of double, 100000 points");
	k = clasp_cubic_k(100 << 10, 70 << 10);
	w = clasp_cubic_window(100 << 10, k, 0) / 1024.0;
	tap_ok(w >= 70 && w < 70.01, "W_cubic(0) is cwnd_epoch");
	expect(clasp_cubic_window(100 << 10, k, k), 100 << 10, "W_cubic(K) is W_max");
	expect(clasp_cubic_window(100 << 10, 0, CLASP_CUBIC_T_MAX + 5000),
	       clasp_cubic_window(100 << 10, 0, CLASP_CUBIC_T_MAX),
	       "t - K beyond T_MAX is taken as T_MAX (no overflow)");
	expect(clasp_cubic_window(2 << 10, 10000, 0), 0,
	       "far below W_max the cubic is 0, not negative");
	expect(clasp_cubic_ticks(1000000), 1024, "one second is 1024 ticks");

	/* A loss: beta 0.7, fast convergence (4.6, 4.7). */
	ss = clasp_cubic_loss(&c, 10);
	expect(ss, 7, "ssthresh is 0.7 cwnd: 10 -> 7");
	expect(c.w_max, 10 << 10, "W_max is the window before the loss");
	ss = clasp_cubic_loss(&c, 8);
	expect(c.w_max, (8 << 10) * 1741 >> 11,
	       "fast convergence: below the last W_max, W_max = 0.85 cwnd");
	expect(ss, 5, "ssthresh 0.7 * 8 rounded down");
	clasp_cubic_undo(&c);
	expect(c.w_max, 10 << 10, "an undo restores W_max");
	expect(clasp_cubic_loss(&c, 2), 2, "ssthresh at least 2");

	/*
	 * The Reno-friendly region (4.3): a window of 10 lost with a long
	 * RTT of 100 ms; CUBIC alone would take K = 2 s to return to 10,
	 * Reno (W_est) is faster: 0.53 segment per RTT up to cwnd_prior,
	 * then 1.
	 */
	c = (struct clasp_cubic){ 0 };
	ss = clasp_cubic_loss(&c, 10);
	now = 1000000;
	cwnd = run(&c, ss, &now, 100000, 20);
	w = ref_w(10, ref_k(10, 7), 2.0);
	printf("# Reno-friendly: cwnd %u, W_est %.2f, W_cubic %.2f\n", cwnd,
	       c.w_est / 1024.0, w);
	tap_ok(cwnd == c.w_est >> 10 && cwnd > w + 5,
	   "long RTT, small window: cwnd follows W_est, above W_cubic");
	/* W_est: 5.7 RTTs from 7 to 10 at alpha 0.53, then 1 per RTT */
	tap_ok(cwnd >= 21 && cwnd <= 25, "W_est grew as Reno with alpha_cubic");

	/*
	 * The concave region (4.4): a window of 10000 lost, a 100 ms RTT.
	 * K = cbrt(3000 / 0.4) = 19.6 s, and Reno would take 57 s to return
	 * to W_max: cwnd follows the curve, between W_cubic(t) and
	 * W_cubic(t + RTT).
	 */
	c = (struct clasp_cubic){ 0 };
	ss = clasp_cubic_loss(&c, 10000);
	now = 1000000;
	cwnd = run(&c, ss, &now, 100000, 50);
	k = ref_k(10000, 7000);
	t = (now - c.epoch_us) / 1e6;
	printf("# concave: cwnd %u at %.2f s, W_cubic %.1f to %.1f\n", cwnd, t,
	       ref_w(10000, k, t), ref_w(10000, k, t + 0.1));
	tap_ok(cwnd + 2 >= ref_w(10000, k, t) && cwnd <= ref_w(10000, k, t + 0.1) + 1,
	   "concave: cwnd follows W_cubic from below W_max");
	cwnd = run(&c, cwnd, &now, 100000, 140);
	t = (now - c.epoch_us) / 1e6;
	printf("# plateau: cwnd %u at %.2f s\n", cwnd, t);
	tap_ok(t < k && cwnd <= 10000, "concave: at most W_max before K");
	/* The convex region (4.5): 10 s past K, 0.4 * 10^3 = 400 above. */
	cwnd = run(&c, cwnd, &now, 100000, 100);
	t = (now - c.epoch_us) / 1e6;
	printf("# convex: cwnd %u at %.2f s, W_cubic %.1f to %.1f\n", cwnd, t,
	       ref_w(10000, k, t), ref_w(10000, k, t + 0.1));
	tap_ok(t > k + 5 && cwnd + 2 >= ref_w(10000, k, t) &&
	   cwnd <= ref_w(10000, k, t + 0.1) + 1,
	   "convex: cwnd follows W_cubic beyond W_max");

	/* At most 1.5 cwnd per RTT: far along the curve, cnt is 2. */
	c = (struct clasp_cubic){ 0 };
	clasp_cubic_loss(&c, 1000);
	clasp_cubic_epoch(&c, 100, 1);
	clasp_cubic_update(&c, 100, 1, 60000000, 10000, &cnt);
	expect(cnt, 2, "the target is at most 1.5 cwnd: one segment per 2 ACKed");

	return tap_end();
}
