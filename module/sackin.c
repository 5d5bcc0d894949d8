// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: the sender's reading of the SACK blocks it receives.
 *
 * A block is believed only if it lies in what is outstanding, as Linux's
 * tcp_is_sackblock_valid() decides: wholly below the highest sequence
 * sent, start before end, and starting beyond snd_una.  A block below
 * snd_una can only be a D-SACK: counted, and told to loss recovery,
 * which may undo a window reduction (recovery.c); it marks nothing.
 *
 * RFC 2883 section 4: the first block is a D-SACK if it lies below the
 * cumulative ACK, or inside the second block (data held beyond a hole,
 * received twice).
 *
 * RFC 6675 section 4, IsLost(): a segment is lost once DupThresh
 * discontiguous SACKed segments, or more than (DupThresh - 1) * SMSS
 * SACKed bytes, lie above it.  Segments are counted as Linux counts its
 * sacked_out, one per SACKed segment, whether or not they touch.
 */
#include "sackin.h"
#include "seq.h"

/**
 * clasp_sackin_valid() - may a received SACK block mark segments?
 * @b: the block
 * @snd_una: the oldest unacknowledged sequence number
 * @snd_max: the sequence number after the highest sent
 *
 * Return: true if it describes data sent and not yet acknowledged.
 */
bool clasp_sackin_valid(const struct clasp_sack_block *b, u32 snd_una,
			u32 snd_max)
{
	if (clasp_seq_after(b->end, snd_max) ||
	    !clasp_seq_before(b->start, b->end))
		return false;
	/* A start past snd_max with an end below it: wrapped; not ours. */
	if (!clasp_seq_before(b->start, snd_max))
		return false;
	return clasp_seq_after(b->start, snd_una);
}

/**
 * clasp_sackin_dsack() - does a SACK option open with a D-SACK?
 * @b: the blocks, in the order they came
 * @n: how many (at least one)
 * @ack: the segment's acknowledgment number
 *
 * Return: whether the first block reports data received twice (RFC 2883
 * section 4), and where, as tcp_check_dsack() tells them apart.
 */
enum clasp_dsack clasp_sackin_dsack(const struct clasp_sack_block *b, int n,
				    u32 ack)
{
	if (clasp_seq_before(b[0].start, ack))
		return CLASP_DSACK_OLD;
	if (n > 1 && !clasp_seq_after(b[0].end, b[1].end) &&
	    !clasp_seq_before(b[0].start, b[1].start))
		return CLASP_DSACK_OFO;
	return CLASP_DSACK_NONE;
}

/**
 * clasp_sackin_is_lost() - RFC 6675 IsLost() for one segment
 * @sacked_segs: SACKed segments above it
 * @sacked_bytes: SACKed bytes above it
 * @mss: the sender's MSS (SMSS)
 * @dupthresh: DupThresh: CLASP_DUPTHRESH, or the reordering measured if
 *	greater (RFC 6675 section 2 allows raising it, as Linux raises its
 *	tp->reordering), so that a path that reorders does not look lossy
 *
 * Return: true if what arrived beyond it says it was lost.
 */
bool clasp_sackin_is_lost(u32 sacked_segs, u32 sacked_bytes, u32 mss,
			  u32 dupthresh)
{
	if (dupthresh < CLASP_DUPTHRESH)
		dupthresh = CLASP_DUPTHRESH;
	return sacked_segs >= dupthresh ||
	       sacked_bytes > (dupthresh - 1) * mss;
}
