/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's <linux/math64.h>, as much as module/ uses (unit/shim.h). */
#ifndef _CLASP_UNIT_MATH64_H
#define _CLASP_UNIT_MATH64_H

static inline u64 div_u64(u64 dividend, u32 divisor)
{
	return dividend / divisor;
}

#endif
