// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the sender's reading of SACK blocks (module/sackin.c):
 * which blocks are believed (as Linux's tcp_is_sackblock_valid()), which
 * first block is a D-SACK (RFC 2883 section 4), RFC 6675's IsLost(),
 * and where a block may SACK segments the last ACK's blocks did not
 * (clasp_sackin_fresh()).
 * Prints TAP; exits 1 if any case fails.
 */
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "sackin.h"
#include "tap.h"

static bool valid(u32 start, u32 end, u32 una, u32 max)
{
	struct clasp_sack_block b = { start, end };

	return clasp_sackin_valid(&b, una, max);
}

static enum clasp_dsack dsack(u32 s0, u32 e0, u32 s1, u32 e1, int n,
			      u32 ack)
{
	struct clasp_sack_block b[2] = { { s0, e0 }, { s1, e1 } };

	return clasp_sackin_dsack(b, n, ack);
}

/* clasp_sackin_fresh() of [s, e) after @n cached blocks, as a string. */
static const char *fresh(u32 s, u32 e, const struct clasp_sack_block *c,
			 int n, u32 base)
{
	struct clasp_sack_block b = { s, e }, out[CLASP_SACK_FRESH_MAX];
	static char buf[256];
	int i, k, len = 0;

	k = clasp_sackin_fresh(&b, c, n, out);
	buf[0] = 0;
	for (i = 0; i < k; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s[%u,%u)",
				i ? " " : "", out[i].start - base,
				out[i].end - base);
	return buf;
}

static void expect_str(const char *got, const char *want, const char *what)
{
	int ok = !strcmp(got, want);

	if (!ok)
		printf("# %s: got \"%s\", want \"%s\"\n", what, got, want);
	tap_ok(ok, what);
}

#define NSEG	64

/*
 * The promise the scoreboard relies on, on random queues: every segment
 * a block covers wholly and no cached block covers wholly meets a range
 * clasp_sackin_fresh() returns.  @base puts the queue anywhere, across
 * the wrap too.  Returns the cases that broke it.
 */
static int fresh_random(u32 base, int rounds)
{
	struct clasp_sack_block c[CLASP_SACK_CACHE], b, out[CLASP_SACK_FRESH_MAX];
	u32 edge[NSEG + 1];
	int r, i, j, n, k, bad = 0;

	for (r = 0; r < rounds; r++) {
		edge[0] = base;
		for (i = 1; i <= NSEG; i++)
			edge[i] = edge[i - 1] + 1 + rand() % 20;
		n = rand() % (CLASP_SACK_CACHE + 1);
		for (i = 0; i < n; i++) {
			u32 x = base + rand() % (edge[NSEG] - base);
			u32 y = base + rand() % (edge[NSEG] - base);

			c[i].start = x - base < y - base ? x : y;
			c[i].end = (x - base < y - base ? y : x) + 1;
		}
		b.start = base + rand() % (edge[NSEG] - base);
		b.end = b.start + 1 + rand() % (edge[NSEG] - b.start);
		k = clasp_sackin_fresh(&b, c, n, out);
		for (i = 0; i + 1 < k; i++)	/* in order, disjoint */
			bad += out[i].end - base >= out[i + 1].start - base;
		for (i = 0; i < NSEG; i++) {
			u32 s = edge[i], e = edge[i + 1];
			int cached = 0, met = 0;

			if (s - base < b.start - base || e - base > b.end - base)
				continue;
			for (j = 0; j < n; j++)
				cached |= s - base >= c[j].start - base &&
					  e - base <= c[j].end - base;
			for (j = 0; j < k; j++)
				met |= out[j].start - base < e - base &&
				       out[j].end - base > s - base;
			bad += !cached && !met;
		}
	}
	return bad;
}

int main(void)
{
	struct clasp_sack_block c1[] = { { 1000, 2000 } };
	struct clasp_sack_block c2[] = { { 3000, 4000 }, { 1000, 2000 } };
	struct clasp_sack_block c3[] = { { 1000, 2000 }, { 2000, 3000 } };
	struct clasp_sack_block cw[] = { { 0xfffffc00u, 0x100 } };

	tap_plan(36);
	expect_str(fresh(1000, 2000, NULL, 0, 0), "[1000,2000)",
		   "no cache: the whole block");
	expect_str(fresh(1000, 2000, c1, 1, 0), "",
		   "the same block again: nothing");
	expect_str(fresh(1000, 2500, c1, 1, 0), "[2000,2500)",
		   "a block grown at its end: the growth and its edge");
	expect_str(fresh(500, 2000, c1, 1, 0), "[500,1001)",
		   "a block grown at its start: the growth and its edge");
	expect_str(fresh(1200, 1800, c1, 1, 0), "",
		   "a block inside a cached one: nothing");
	expect_str(fresh(500, 4500, c2, 2, 0),
		   "[500,1001) [2000,3001) [4000,4500)",
		   "two cached blocks inside, out of order");
	expect_str(fresh(1000, 3000, c3, 2, 0), "[2000,2001)",
		   "two cached blocks that touch: the segment across them");
	expect_str(fresh(5000, 6000, c2, 2, 0), "[5000,6000)",
		   "a block beside the cache: all of it");
	expect_str(fresh(0xfffffc00u, 0x200, cw, 1, 0xfffffc00u),
		   "[1280,1536)", "across the sequence wrap");
	expect(fresh_random(1000, 20000), 0,
	       "random queues: every segment to mark is met");
	expect(fresh_random(0xffffff00u, 20000), 0,
	       "random queues across the wrap: every segment to mark is met");

	/* Outstanding: [1000, 5000). */
	expect(valid(2000, 3000, 1000, 5000), true, "block inside the flight");
	expect(valid(2000, 5000, 1000, 5000), true, "block up to snd_max");
	expect(valid(2000, 5001, 1000, 5000), false, "block beyond snd_max");
	expect(valid(3000, 3000, 1000, 5000), false, "empty block");
	expect(valid(3000, 2000, 1000, 5000), false, "reversed block");
	expect(valid(1000, 2000, 1000, 5000), false, "block at snd_una");
	expect(valid(500, 900, 1000, 5000), false, "block below snd_una");
	expect(valid(5000, 4000, 1000, 5000), false,
	       "start past snd_max, end below it");
	expect(valid(0xfffffff0u, 0x10, 0xffffff00u, 0x100), true,
	       "block across the wrap");
	expect(valid(0x80001000u, 0x80002000u, 1000, 5000), false,
	       "block half the sequence space away");

	expect(dsack(500, 900, 0, 0, 1, 1000) == CLASP_DSACK_OLD, true, "first block below the ACK");
	expect(dsack(2000, 2500, 2000, 3000, 2, 1000) == CLASP_DSACK_OFO, true,
	       "first block inside the second");
	expect(dsack(2000, 3000, 2000, 3000, 2, 1000) == CLASP_DSACK_OFO, true,
	       "first block equal to the second");
	expect(dsack(2000, 3500, 2000, 3000, 2, 1000) != CLASP_DSACK_NONE, false,
	       "first block larger than the second");
	expect(dsack(4000, 4500, 2000, 3000, 2, 1000) != CLASP_DSACK_NONE, false,
	       "two plain blocks");
	expect(dsack(2000, 2500, 2000, 3000, 1, 1000) != CLASP_DSACK_NONE, false,
	       "one plain block");

	expect(clasp_sackin_is_lost(0, 0, 1000, 3), false, "nothing SACKed above");
	expect(clasp_sackin_is_lost(2, 2000, 1000, 3), false,
	       "two full segments above");
	expect(clasp_sackin_is_lost(3, 3000, 1000, 3), true,
	       "three segments above");
	expect(clasp_sackin_is_lost(2, 2001, 1000, 3), true,
	       "more than two MSS above");
	expect(clasp_sackin_is_lost(3, 300, 1000, 3), true,
	       "three small segments above");
	expect(clasp_sackin_is_lost(3, 300, 1000, 0), true,
	       "DupThresh never below 3");
	expect(clasp_sackin_is_lost(5, 5000, 1000, 8), false,
	       "reordering of 8 seen: five segments above are not enough");
	expect(clasp_sackin_is_lost(8, 8000, 1000, 8), true,
	       "reordering of 8 seen: eight segments above");
	expect(clasp_sackin_is_lost(2, 7001, 1000, 8), true,
	       "reordering of 8 seen: more than seven MSS above");

	return tap_end();
}
