/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp: the SACK blocks a receiver reports (RFC 2018, RFC 2883), kept
 * beside the out-of-order queue (sack.c).  Pure code on sequence
 * numbers, compiled in user space too by unit/.
 */
#ifndef _CLASP_SACK_H
#define _CLASP_SACK_H

#include <linux/types.h>

#define CLASP_SACK_BLOCKS	4	/* the most a header has room for */

/* Bytes [start, end) held, in sequence space. */
struct clasp_sack_block {
	u32 start;
	u32 end;
};

/**
 * struct clasp_sack_rcv - what the next ACKs report
 * @blocks: ranges held beyond rcv_nxt, the most recently changed first
 * @nr: how many of @blocks are in use
 * @dsack: a duplicate that arrived (RFC 2883), reported once
 * @has_dsack: @dsack is to be reported
 */
struct clasp_sack_rcv {
	struct clasp_sack_block blocks[CLASP_SACK_BLOCKS];
	u8 nr;
	bool has_dsack;
	struct clasp_sack_block dsack;
};

void clasp_sack_add(struct clasp_sack_rcv *s, u32 start, u32 end);
void clasp_sack_advance(struct clasp_sack_rcv *s, u32 rcv_nxt);
void clasp_sack_forget_above(struct clasp_sack_rcv *s, u32 seq);
void clasp_sack_duplicate(struct clasp_sack_rcv *s, u32 start, u32 end);
bool clasp_sack_duplicate_more(struct clasp_sack_rcv *s, u32 start, u32 end);
int clasp_sack_report(struct clasp_sack_rcv *s, struct clasp_sack_block *out,
		      int room);

#endif /* _CLASP_SACK_H */
