// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: the retransmission timeout from round-trip samples, RFC 6298
 * section 2, with a clock granularity of 1 ms and the RTO held between
 * rto_min_ms and rto_max_ms.
 */
#include <linux/limits.h>

#include "rtt.h"

static u64 clasp_clamp64(u64 v, u64 lo, u64 hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/**
 * clasp_rto_update() - fold one round-trip sample into the estimator
 * @srtt_us: SRTT, 0 before the first sample; updated
 * @rttvar_us: RTTVAR; updated
 * @sample_us: R, the measured round trip (0 counts as 1 us)
 * @min_us: the lowest RTO allowed
 * @max_us: the highest RTO allowed
 *
 * The first sample sets SRTT = R and RTTVAR = R/2 (2.2); the next ones
 * RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, then SRTT = 7/8 SRTT + 1/8 R
 * (2.3, in that order).  RTO = SRTT + max(G, 4 RTTVAR), clamped.
 *
 * Return: the new RTO in microseconds.
 */
u32 clasp_rto_update(u32 *srtt_us, u32 *rttvar_us, u32 sample_us,
		     u32 min_us, u32 max_us)
{
	u64 r = sample_us ? sample_us : 1;
	u64 var4;

	if (!*srtt_us) {
		*srtt_us = r;
		*rttvar_us = r / 2;
	} else {
		u64 delta = *srtt_us > r ? *srtt_us - r : r - *srtt_us;

		*rttvar_us = (3 * (u64)*rttvar_us + delta) / 4;
		*srtt_us = (7 * (u64)*srtt_us + r) / 8;
	}
	var4 = 4 * (u64)*rttvar_us;
	if (var4 < CLASP_RTT_GRANULARITY_US)
		var4 = CLASP_RTT_GRANULARITY_US;
	return clasp_clamp64(*srtt_us + var4, min_us, max_us);
}

/**
 * clasp_rtt_echo_us() - a round trip measured by a timestamp echo (RFC
 * 7323 section 4.1)
 * @ms: ticks of the timestamp clock since the echoed TSval: milliseconds
 *
 * The clock ticks once a millisecond: a round trip shorter than that
 * reads 0 ticks, and counts as one, as Linux's tcp_rtt_tsopt_us() counts
 * it.  A sample of 0 would be the least round trip for the rest of the
 * connection, and RACK's reordering window, a quarter of it times its
 * multiplier, 0 whatever D-SACKs showed (rack.c).
 *
 * Return: microseconds, at least CLASP_RTT_GRANULARITY_US.
 */
u32 clasp_rtt_echo_us(u32 ms)
{
	if (!ms)
		ms = 1;
	if (ms > U32_MAX / CLASP_RTT_GRANULARITY_US)
		return U32_MAX;
	return ms * CLASP_RTT_GRANULARITY_US;
}
