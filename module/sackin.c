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
 *
 * A block mostly repeats what the last ACK said, grown by a segment or
 * two: the sender looks only at what is new (clasp_sackin_fresh()), as
 * Linux skips what its recv_sack_cache holds.  A segment that lies wholly
 * inside one block of the last ACK was marked then; one that crosses the
 * edge of such a block was not, and is looked at again.
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

/* Sort @n ranges by their offset from @base (at most a few: insertion). */
static void clasp_sackin_sort(struct clasp_sack_block *r, int n, u32 base)
{
	int i, j;

	for (i = 1; i < n; i++) {
		struct clasp_sack_block t = r[i];

		for (j = i; j > 0 && r[j - 1].start - base > t.start - base; j--)
			r[j] = r[j - 1];
		r[j] = t;
	}
}

/* Append [@start, @end) to @out unless empty; the new count. */
static int clasp_sackin_put(struct clasp_sack_block *out, int k, u32 start,
			    u32 end)
{
	if (!clasp_seq_before(start, end))
		return k;
	out[k].start = start;
	out[k].end = end;
	return k + 1;
}

/**
 * clasp_sackin_fresh() - where in a SACK block segments may be newly
 * SACKed, given the blocks of the last ACK
 * @b: the block, valid
 * @cache: the last ACK's valid blocks, in any order
 * @n: how many, at most CLASP_SACK_CACHE
 * @out: CLASP_SACK_FRESH_MAX ranges, filled in sequence order, disjoint:
 *	the parts of @b no block of @cache covers, and one sequence number
 *	at each edge of a block of @cache inside @b, where a segment may
 *	cross from one block to another or to a new part
 *
 * A segment that lies wholly inside a block of @cache was SACKed when
 * that block came; every other segment @b covers wholly meets a range of
 * @out.
 *
 * Return: how many ranges.
 */
int clasp_sackin_fresh(const struct clasp_sack_block *b,
		       const struct clasp_sack_block *cache, int n,
		       struct clasp_sack_block *out)
{
	struct clasp_sack_block c[CLASP_SACK_CACHE];
	u32 base = b->start, len = b->end - b->start, cur = b->start;
	int i, k = 0, m = 0;

	/* The cached blocks clipped to @b, as offsets from its start. */
	for (i = 0; i < n && i < CLASP_SACK_CACHE; i++) {
		u32 s = cache[i].start, e = cache[i].end;

		if (!clasp_seq_before(s, b->end) || !clasp_seq_after(e, b->start))
			continue;
		c[m].start = clasp_seq_before(s, b->start) ? b->start : s;
		c[m].end = clasp_seq_after(e, b->end) ? b->end : e;
		m++;
	}
	clasp_sackin_sort(c, m, base);
	for (i = 0; i < m; i++) {
		k = clasp_sackin_put(out, k, cur, c[i].start);
		if (c[i].end - base > cur - base)
			cur = c[i].end;
	}
	k = clasp_sackin_put(out, k, cur, b->end);
	/* The edges strictly inside @b. */
	for (i = 0; i < m; i++) {
		if (c[i].start - base > 0)
			k = clasp_sackin_put(out, k, c[i].start, c[i].start + 1);
		if (c[i].end - base < len)
			k = clasp_sackin_put(out, k, c[i].end, c[i].end + 1);
	}
	clasp_sackin_sort(out, k, base);
	/* Merge what overlaps or touches. */
	for (i = 1, m = k ? 1 : 0; i < k; i++) {
		if (out[i].start - base <= out[m - 1].end - base) {
			if (out[i].end - base > out[m - 1].end - base)
				out[m - 1].end = out[i].end;
			continue;
		}
		out[m++] = out[i];
	}
	return m;
}
