// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the RFC 6298 estimator (module/rtt.c): the first and
 * later samples, the clock granularity, the bounds, and values that
 * would overflow 32 bits.  Prints TAP; exits 1 if any case fails.
 */
#include <stdio.h>

#include "rtt.h"

#define MIN_US	200000
#define MAX_US	120000000

static int planned, failed;

static void check(const char *what, unsigned long long got,
		  unsigned long long want)
{
	++planned;
	if (got == want) {
		printf("ok %d - %s\n", planned, what);
		return;
	}
	printf("not ok %d - %s: got %llu, want %llu\n", planned, what, got, want);
	failed++;
}

int main(void)
{
	u32 srtt = 0, var = 0, rto;

	printf("TAP version 13\n");
	/* 2.2: the first sample. */
	rto = clasp_rto_update(&srtt, &var, 100000, MIN_US, MAX_US);
	check("first sample: SRTT = R", srtt, 100000);
	check("first sample: RTTVAR = R/2", var, 50000);
	check("first sample: RTO = SRTT + 4 RTTVAR", rto, 300000);
	/* 2.3: RTTVAR first, with the old SRTT; then SRTT. */
	rto = clasp_rto_update(&srtt, &var, 180000, MIN_US, MAX_US);
	check("second sample: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|", var, 57500);
	check("second sample: SRTT = 7/8 SRTT + 1/8 R", srtt, 110000);
	check("second sample: RTO", rto, 340000);
	/* Steady samples shrink RTTVAR; the RTO meets its floor. */
	for (int i = 0; i < 200; i++)
		rto = clasp_rto_update(&srtt, &var, 1000, MIN_US, MAX_US);
	check("steady 1 ms samples: RTO at rto_min", rto, MIN_US);
	check("steady 1 ms samples: SRTT converges", srtt, 1000);
	/* G: 4 RTTVAR below the clock granularity counts as G. */
	srtt = 0;
	rto = clasp_rto_update(&srtt, &var, 100, 0, MAX_US);
	check("tiny RTTVAR: RTO = SRTT + G", rto, 100 + CLASP_RTT_GRANULARITY_US);
	srtt = 0;
	rto = clasp_rto_update(&srtt, &var, 0, 0, MAX_US);
	check("a zero sample counts as 1 us", srtt, 1);
	/* A timestamp echo: whole milliseconds, at least one. */
	check("echo of 0 ms: one tick", clasp_rtt_echo_us(0), 1000);
	check("echo of 7 ms", clasp_rtt_echo_us(7), 7000);
	check("echo beyond 32 bits of us: clamped", clasp_rtt_echo_us(5000000),
	      0xffffffffU);
	/* The ceiling, and no wrap at 32 bits. */
	srtt = 0;
	rto = clasp_rto_update(&srtt, &var, 4000000000U, MIN_US, MAX_US);
	check("huge sample: RTO at rto_max", rto, MAX_US);
	check("huge sample: SRTT kept", srtt, 4000000000U);
	rto = clasp_rto_update(&srtt, &var, 4000000000U, MIN_US, 0xffffffffU);
	check("huge SRTT + 4 RTTVAR: clamped, not wrapped", rto, 0xffffffffU);
	printf("1..%d\n", planned);
	printf("# %d passed, %d failed\n", planned - failed, failed);
	return failed ? 1 : 0;
}
