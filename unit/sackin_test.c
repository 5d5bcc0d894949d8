// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the sender's reading of SACK blocks (module/sackin.c):
 * which blocks are believed (as Linux's tcp_is_sackblock_valid()), which
 * first block is a D-SACK (RFC 2883 section 4), and RFC 6675's IsLost().
 * Prints TAP; exits 1 if any case fails.
 */
#include <stdio.h>

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

int main(void)
{
	tap_plan(25);
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
