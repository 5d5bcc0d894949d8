/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp: segment options, parsed and built (options.c).  Pure code on
 * byte arrays, compiled in user space too by unit/.
 */
#ifndef _CLASP_OPTIONS_H
#define _CLASP_OPTIONS_H

#include <linux/types.h>

/* Option kinds and lengths: TCP's (RFC 9293 section 3.2). */
#define CLASP_OPT_EOL		0
#define CLASP_OPT_NOP		1
#define CLASP_OPT_MSS		2
#define CLASP_OPTLEN_MSS	4

u16 clasp_opt_mss(const u8 *opt, int len);
int clasp_opt_put_mss(u8 *opt, u16 mss);

#endif /* _CLASP_OPTIONS_H */
