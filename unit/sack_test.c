// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the receiver's SACK blocks (module/sack.c): RFC 2018's
 * order (the latest first), joining, rcv_nxt overtaking a range, the
 * queue giving ranges up, RFC 2883's D-SACK, sequence wraparound.
 * Prints TAP; exits 1 if any case fails.
 */
#include <stdio.h>
#include <string.h>

#include "sack.h"

static int planned, failed;

/* @want: "start-end start-end ..." as clasp_sack_report() gives them. */
static void expect(struct clasp_sack_rcv *s, int room, const char *want,
		   const char *what)
{
	struct clasp_sack_block out[CLASP_SACK_BLOCKS];
	char got[256] = "";
	int n, i, len = 0;

	n = clasp_sack_report(s, out, room);
	for (i = 0; i < n; i++)
		len += snprintf(got + len, sizeof(got) - len, "%s%u-%u",
				i ? " " : "", out[i].start, out[i].end);
	++planned;
	if (strcmp(got, want)) {
		failed++;
		printf("not ok %d - %s: got \"%s\", want \"%s\"\n", planned,
		       what, got, want);
	} else {
		printf("ok %d - %s\n", planned, what);
	}
}

static void check(int ok, const char *what)
{
	++planned;
	if (!ok)
		failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", planned, what);
}

int main(void)
{
	struct clasp_sack_rcv s;

	printf("TAP version 13\n1..17\n");

	memset(&s, 0, sizeof(s));
	expect(&s, 4, "", "nothing held, no blocks");
	clasp_sack_add(&s, 200, 300);
	expect(&s, 4, "200-300", "one range");
	clasp_sack_add(&s, 400, 500);
	expect(&s, 4, "400-500 200-300", "the latest first");
	clasp_sack_add(&s, 300, 350);
	expect(&s, 4, "200-350 400-500", "a segment extends a range, which moves first");
	clasp_sack_add(&s, 350, 400);
	expect(&s, 4, "200-500", "a segment joins two ranges");

	memset(&s, 0, sizeof(s));
	clasp_sack_add(&s, 100, 110);
	clasp_sack_add(&s, 120, 130);
	clasp_sack_add(&s, 140, 150);
	clasp_sack_add(&s, 160, 170);
	clasp_sack_add(&s, 180, 190);
	expect(&s, 4, "180-190 160-170 140-150 120-130",
	       "five ranges: the oldest is not reported");
	expect(&s, 3, "180-190 160-170 140-150", "three beside timestamps");

	clasp_sack_advance(&s, 145);
	expect(&s, 4, "180-190 160-170 145-150", "rcv_nxt ends and trims ranges");
	clasp_sack_forget_above(&s, 165);
	expect(&s, 4, "160-165 145-150", "ranges given up are forgotten");

	clasp_sack_duplicate(&s, 100, 120);
	expect(&s, 4, "100-120 160-165 145-150", "a D-SACK below rcv_nxt goes first");
	expect(&s, 4, "160-165 145-150", "... once");
	clasp_sack_duplicate(&s, 146, 148);
	expect(&s, 4, "146-148 145-150 160-165",
	       "a D-SACK inside a range: that range second");
	check(clasp_sack_duplicate_more(&s, 161, 163), "more duplicates, none pending: a new D-SACK");
	check(!clasp_sack_duplicate_more(&s, 163, 165), "... that touches: joined");
	clasp_sack_duplicate_more(&s, 100, 110);
	expect(&s, 4, "161-165 160-165 145-150",
	       "duplicates joined, one apart left out");

	memset(&s, 0, sizeof(s));
	clasp_sack_add(&s, 0xfffffff0u, 0x10);
	clasp_sack_add(&s, 0x10, 0x20);
	expect(&s, 4, "4294967280-32", "ranges join across the wrap");
	clasp_sack_advance(&s, 0x8);
	expect(&s, 4, "8-32", "rcv_nxt across the wrap");

	printf("# %d passed, %d failed\n", planned - failed, failed);
	return failed ? 1 : 0;
}
