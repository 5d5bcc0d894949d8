// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: NewReno congestion control (RFC 5681, RFC 6582), named "reno"
 * as Linux names its own, so that a program that asks TCP_CONGESTION for
 * "reno" gets it from clasp too.  Linux's "reno" is NewReno as well:
 * its recovery is NewReno's (or SACK's), the algorithm only the window.
 *
 * Slow start grows cwnd by the segments each ACK acknowledges, up to
 * ssthresh (RFC 5681 3.1, with appropriate byte counting in segments,
 * RFC 3465, as Linux's tcp_slow_start()); congestion avoidance by one
 * segment per cwnd segments acknowledged, counted across ACKs (Linux's
 * snd_cwnd_cnt).  Neither grows a window the connection does not use.
 * A loss halves the window: ssthresh = max(cwnd / 2, 2), as Linux's
 * tcp_reno_ssthresh().  RFC 5681 equation 4 halves FlightSize instead;
 * the two agree when the window is in use, and cwnd only grows while it
 * is (clasp_cong_limited(), RFC 7661).  Where they differ, a flight
 * smaller than the window, halving the flight would leave recovery less
 * room than TCP gives it (an RFC 6675 pipe of the flight's survivors
 * against a cwnd of half the flight holds back the second hole that TCP
 * resends at once), and the TCP reference lane of the selftests is the
 * yardstick.  What the window becomes in recovery, after a timeout or
 * an idle time is cong.c's, the same for every algorithm.
 */
#include <net/sock.h>

#include "clasp.h"

static u32 clasp_newreno_ssthresh(struct sock *sk)
{
	return max(clasp_sk(sk)->cong.cwnd / 2, 2U);
}

static void clasp_newreno_cong_avoid(struct sock *sk, u32 acked)
{
	struct clasp_cong *c = &clasp_sk(sk)->cong;

	if (!clasp_cong_limited(sk))
		return;
	if (c->cwnd < c->ssthresh) {
		clasp_cong_slow_start(sk, &acked);
		if (!acked)
			return;
	}
	clasp_cong_avoid_ai(sk, c->cwnd, acked);
}

static u32 clasp_newreno_undo_cwnd(struct sock *sk)
{
	const struct clasp_cong *c = &clasp_sk(sk)->cong;

	return max(c->cwnd, c->prior_cwnd);
}

struct clasp_cong_ops clasp_newreno = {
	.name		= "reno",
	.ssthresh	= clasp_newreno_ssthresh,
	.cong_avoid	= clasp_newreno_cong_avoid,
	.undo_cwnd	= clasp_newreno_undo_cwnd,
};
