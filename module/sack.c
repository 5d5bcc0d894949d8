// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: the SACK blocks a receiver reports.
 *
 * RFC 2018 section 4: the first block names the segment that arrived
 * last, the others the most recently reported ranges, so that a block
 * lost with one ACK comes again with the next ones.  The list follows
 * the out-of-order queue (ooo.c): a segment queued there joins the
 * range it touches, which moves to the front; rcv_nxt overtaking a range
 * ends it; ranges the queue gave up (memory) are forgotten.
 *
 * RFC 2883: a segment whose bytes were all received already is reported
 * once as a D-SACK, in the first block, before the others; if those bytes
 * lie in a held range, that range comes second.
 */
#include "sack.h"
#include "seq.h"

static bool clasp_sack_touches(const struct clasp_sack_block *b, u32 start,
			       u32 end)
{
	return !clasp_seq_after(start, b->end) &&
	       !clasp_seq_before(end, b->start);
}

static void clasp_sack_remove(struct clasp_sack_rcv *s, int i)
{
	for (; i + 1 < s->nr; i++)
		s->blocks[i] = s->blocks[i + 1];
	s->nr--;
}

/* Put block @i first, the others keeping their order behind it. */
static void clasp_sack_to_front(struct clasp_sack_rcv *s, int i)
{
	struct clasp_sack_block b = s->blocks[i];

	for (; i > 0; i--)
		s->blocks[i] = s->blocks[i - 1];
	s->blocks[0] = b;
}

/**
 * clasp_sack_add() - bytes [@start, @end) were queued beyond a hole
 * @s: the socket's blocks
 * @start: first sequence number
 * @end: the one after the last
 *
 * The range joins every block it touches and becomes the first; with no
 * room left, the oldest block goes.
 */
void clasp_sack_add(struct clasp_sack_rcv *s, u32 start, u32 end)
{
	int i = 0;

	while (i < s->nr) {
		struct clasp_sack_block *b = &s->blocks[i];

		if (!clasp_sack_touches(b, start, end)) {
			i++;
			continue;
		}
		if (clasp_seq_before(b->start, start))
			start = b->start;
		if (clasp_seq_after(b->end, end))
			end = b->end;
		clasp_sack_remove(s, i);
	}
	if (s->nr == CLASP_SACK_BLOCKS)
		s->nr--;
	s->blocks[s->nr].start = start;
	s->blocks[s->nr].end = end;
	s->nr++;
	clasp_sack_to_front(s, s->nr - 1);
}

/**
 * clasp_sack_advance() - rcv_nxt moved: what it reached is no longer
 * selectively acknowledged
 * @s: the socket's blocks
 * @rcv_nxt: the new rcv_nxt
 */
void clasp_sack_advance(struct clasp_sack_rcv *s, u32 rcv_nxt)
{
	int i = 0;

	while (i < s->nr) {
		struct clasp_sack_block *b = &s->blocks[i];

		if (!clasp_seq_after(b->end, rcv_nxt)) {
			clasp_sack_remove(s, i);
			continue;
		}
		if (clasp_seq_before(b->start, rcv_nxt))
			b->start = rcv_nxt;
		i++;
	}
}

/**
 * clasp_sack_forget_above() - the queue gave up everything from @seq on
 * @s: the socket's blocks
 * @seq: first sequence number no longer held
 */
void clasp_sack_forget_above(struct clasp_sack_rcv *s, u32 seq)
{
	int i = 0;

	while (i < s->nr) {
		struct clasp_sack_block *b = &s->blocks[i];

		if (!clasp_seq_before(b->start, seq)) {
			clasp_sack_remove(s, i);
			continue;
		}
		if (clasp_seq_after(b->end, seq))
			b->end = seq;
		i++;
	}
}

/**
 * clasp_sack_duplicate() - bytes [@start, @end) came again (RFC 2883)
 * @s: the socket's blocks
 * @start: first sequence number of the duplicate
 * @end: the one after its last
 *
 * Reported once, as the first block; the held range it lies in, if any,
 * goes second.
 */
void clasp_sack_duplicate(struct clasp_sack_rcv *s, u32 start, u32 end)
{
	int i;

	s->dsack.start = start;
	s->dsack.end = end;
	s->has_dsack = true;
	for (i = 0; i < s->nr; i++) {
		if (clasp_sack_touches(&s->blocks[i], start, end)) {
			clasp_sack_to_front(s, i);
			break;
		}
	}
}

/**
 * clasp_sack_duplicate_more() - bytes [@start, @end) came twice too
 * @s: the socket's blocks
 * @start: first sequence number of the duplicate
 * @end: the one after its last
 *
 * One segment can repeat bytes of several held ones: with a D-SACK not
 * yet reported, they join it if they touch it (else they are left out,
 * a block being one range); without one, they become it.
 *
 * Return: true if they began a new D-SACK.
 */
bool clasp_sack_duplicate_more(struct clasp_sack_rcv *s, u32 start, u32 end)
{
	struct clasp_sack_block *d = &s->dsack;

	if (!s->has_dsack) {
		clasp_sack_duplicate(s, start, end);
		return true;
	}
	if (clasp_sack_touches(d, start, end)) {
		if (clasp_seq_before(start, d->start))
			d->start = start;
		if (clasp_seq_after(end, d->end))
			d->end = end;
	}
	return false;
}

/**
 * clasp_sack_report() - the blocks for the ACK about to be sent
 * @s: the socket's blocks
 * @out: where to write them
 * @room: how many the header has room for (3 beside timestamps, else 4)
 *
 * A D-SACK goes first and only once.
 *
 * Return: the number of blocks written.
 */
int clasp_sack_report(struct clasp_sack_rcv *s, struct clasp_sack_block *out,
		      int room)
{
	int n = 0, i;

	if (s->has_dsack && room > 0) {
		out[n++] = s->dsack;
		s->has_dsack = false;
	}
	for (i = 0; i < s->nr && n < room; i++)
		out[n++] = s->blocks[i];
	return n;
}
