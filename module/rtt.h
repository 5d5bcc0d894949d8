/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp: the round-trip estimator of RFC 6298 (rtt.c).  Pure code on
 * integers, compiled in user space too by unit/.
 */
#ifndef _CLASP_RTT_H
#define _CLASP_RTT_H

#include <linux/types.h>

#define CLASP_RTT_GRANULARITY_US	1000	/* G of RFC 6298: 1 ms */

u32 clasp_rto_update(u32 *srtt_us, u32 *rttvar_us, u32 sample_us,
		     u32 min_us, u32 max_us);
u32 clasp_rtt_echo_us(u32 ms);

#endif /* _CLASP_RTT_H */
