// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of option parsing and building (module/options.c): the MSS
 * option among others, padding, and every way a list can be malformed.
 * Prints TAP; exits 1 if any case fails.
 */
#include <stdio.h>

#include "options.h"

static int planned, failed;

static void mss(const char *what, const u8 *opt, int len, u16 want)
{
	u16 got = clasp_opt_mss(opt, len);

	++planned;
	if (got == want) {
		printf("ok %d - %s\n", planned, what);
		return;
	}
	printf("not ok %d - %s: got %u, want %u\n", planned, what, got, want);
	failed++;
}

int main(void)
{
	static const u8 alone[] = { 2, 4, 0x05, 0xb4 };
	static const u8 padded[] = { 1, 1, 2, 4, 0x05, 0xb4 };
	static const u8 after_others[] = {
		3, 3, 7, 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 2, 4, 0x02, 0x18
	};
	static const u8 after_eol[] = { 0, 2, 4, 0x05, 0xb4 };
	static const u8 wrong_len[] = { 2, 3, 0x05, 1, 2, 4, 0x04, 0x00 };
	static const u8 zero_len[] = { 5, 0, 2, 4, 0x05, 0xb4 };
	static const u8 one_len[] = { 5, 1, 2, 4, 0x05, 0xb4 };
	static const u8 past_end[] = { 5, 9, 2, 4, 0x05, 0xb4 };
	static const u8 lone_kind[] = { 1, 1, 1, 2 };
	static const u8 two[] = { 2, 4, 0x01, 0x00, 2, 4, 0x02, 0x00 };
	u8 built[4];

	printf("TAP version 13\n");
	mss("MSS alone", alone, sizeof(alone), 1460);
	mss("MSS after NOPs", padded, sizeof(padded), 1460);
	mss("MSS after window scale, SACK-permitted and timestamps",
	    after_others, sizeof(after_others), 536);
	mss("nothing after EOL", after_eol, sizeof(after_eol), 0);
	mss("an MSS of the wrong length is skipped", wrong_len, sizeof(wrong_len), 1024);
	mss("a length of 0 ends the walk", zero_len, sizeof(zero_len), 0);
	mss("a length of 1 ends the walk", one_len, sizeof(one_len), 0);
	mss("a length past the end ends the walk", past_end, sizeof(past_end), 0);
	mss("a kind without its length byte", lone_kind, sizeof(lone_kind), 0);
	mss("MSS cut short by the header's end", alone, 3, 0);
	mss("no options", alone, 0, 0);
	mss("the first of two MSS options", two, sizeof(two), 256);
	++planned;
	if (clasp_opt_put_mss(built, 1200) == CLASP_OPTLEN_MSS &&
	    clasp_opt_mss(built, sizeof(built)) == 1200 &&
	    built[0] == 2 && built[1] == 4 && built[2] == 0x04 && built[3] == 0xb0) {
		printf("ok %d - an MSS option built reads back\n", planned);
	} else {
		printf("not ok %d - an MSS option built reads back\n", planned);
		failed++;
	}
	printf("1..%d\n", planned);
	printf("# %d passed, %d failed\n", planned - failed, failed);
	return failed ? 1 : 0;
}
