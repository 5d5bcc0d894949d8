/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp: segment options, parsed and built (options.c).  Pure code on
 * byte arrays, compiled in user space too by unit/.
 */
#ifndef _CLASP_OPTIONS_H
#define _CLASP_OPTIONS_H

#include <linux/types.h>

#include "sack.h"	/* struct clasp_sack_block */

/* Option kinds and lengths: TCP's (RFC 9293 3.2, RFC 7323, RFC 2018). */
#define CLASP_OPT_EOL		0
#define CLASP_OPT_NOP		1
#define CLASP_OPT_MSS		2
#define CLASP_OPT_WSCALE	3
#define CLASP_OPT_SACK_PERM	4
#define CLASP_OPT_SACK		5
#define CLASP_OPT_TS		8
#define CLASP_OPTLEN_MSS	4
#define CLASP_OPTLEN_WSCALE	3
#define CLASP_OPTLEN_SACK_PERM	2
#define CLASP_OPTLEN_TS		10
#define CLASP_OPTLEN_SACK_BLOCK	8

#define CLASP_MAX_WSCALE	14	/* RFC 7323 2.3 */
#define CLASP_MAX_SACK_BLOCKS	CLASP_SACK_BLOCKS	/* 4 * 8 + 2 fit in 40 bytes */
#define CLASP_MAX_OPT_LEN	40	/* 15 words of header, less 5 */

/**
 * struct clasp_opts - the options of one segment, parsed or to build
 * @mss: MSS option (SYN only), 0 for none
 * @wscale: shift of the window-scale option, valid with @wscale_ok;
 *	capped at CLASP_MAX_WSCALE when parsed (RFC 7323 2.3)
 * @wscale_ok: a window-scale option (SYN only)
 * @sack_ok: a SACK-permitted option (SYN only)
 * @ts_ok: a timestamps option
 * @tsval: its TSval
 * @tsecr: its TSecr
 * @nr_sack: SACK blocks in @sack (a non-SYN segment)
 * @sack: the blocks, as they came
 */
struct clasp_opts {
	u16 mss;
	u8 wscale;
	bool wscale_ok;
	bool sack_ok;
	bool ts_ok;
	u32 tsval;
	u32 tsecr;
	u8 nr_sack;
	struct clasp_sack_block sack[CLASP_MAX_SACK_BLOCKS];
};

void clasp_opts_parse(const u8 *opt, int len, bool syn, struct clasp_opts *o);
u16 clasp_opt_mss(const u8 *opt, int len);
int clasp_opt_put_mss(u8 *opt, u16 mss);
int clasp_opts_put_syn(u8 *opt, const struct clasp_opts *o);
int clasp_opts_put_ts(u8 *opt, u32 tsval, u32 tsecr);
int clasp_opts_put_sack(u8 *opt, const struct clasp_sack_block *blocks,
			int n, int room);
int clasp_opts_put(u8 *opt, const struct clasp_opts *o);

#endif /* _CLASP_OPTIONS_H */
