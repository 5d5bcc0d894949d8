/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp: the sender's reading of the SACK blocks it receives (sackin.c):
 * which blocks to believe, which is a D-SACK, and which segment is lost.
 * Pure code on sequence numbers, compiled in user space too by unit/.
 */
#ifndef _CLASP_SACKIN_H
#define _CLASP_SACKIN_H

#include <linux/types.h>

#include "sack.h"	/* struct clasp_sack_block */

#define CLASP_DUPTHRESH		3	/* RFC 5681, RFC 6675: DupThresh */

/* The blocks of the last ACK the sender remembers (clasp_sackin_fresh()). */
#define CLASP_SACK_CACHE	CLASP_SACK_BLOCKS
/* At most how many ranges clasp_sackin_fresh() returns. */
#define CLASP_SACK_FRESH_MAX	(3 * CLASP_SACK_CACHE + 1)

bool clasp_sackin_valid(const struct clasp_sack_block *b, u32 snd_una,
			u32 snd_max);
/* What the first SACK block of an ACK is (RFC 2883 section 4). */
enum clasp_dsack {
	CLASP_DSACK_NONE,
	CLASP_DSACK_OLD,	/* below the cumulative ACK */
	CLASP_DSACK_OFO,	/* inside the second block */
};

enum clasp_dsack clasp_sackin_dsack(const struct clasp_sack_block *b, int n,
				    u32 ack);
int clasp_sackin_fresh(const struct clasp_sack_block *b,
		       const struct clasp_sack_block *cache, int n,
		       struct clasp_sack_block *out);
bool clasp_sackin_is_lost(u32 sacked_segs, u32 sacked_bytes, u32 mss,
			  u32 dupthresh);

#endif /* _CLASP_SACKIN_H */
