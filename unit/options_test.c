// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of option parsing and building (module/options.c): the MSS
 * option among others, padding, and every way a list can be malformed.
 * Prints TAP; exits 1 if any case fails.
 */
#include <stdio.h>
#include <string.h>

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

static void check(const char *what, bool ok)
{
	++planned;
	if (ok) {
		printf("ok %d - %s\n", planned, what);
		return;
	}
	printf("not ok %d - %s\n", planned, what);
	failed++;
}

static void parse_cases(void)
{
	/* Linux's SYN: mss 1460, sackOK, TS val 0x01020304 ecr 0, nop, wscale 7 */
	static const u8 linux_syn[] = {
		2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0,
		1, 3, 3, 7,
	};
	static const u8 big_shift[] = { 1, 3, 3, 15 };
	static const u8 ts_short[] = { 1, 1, 8, 8, 1, 2, 3, 4, 5, 6 };
	static const u8 ts_cut[] = { 1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7 };
	static const u8 ts_after_bad[] = { 3, 0, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	static const u8 two_ts[] = {
		8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 8, 10, 0, 0, 0, 3, 0, 0, 0, 4,
	};
	static const u8 sack2[] = {
		1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40,
	};
	static const u8 sack_odd[] = { 1, 1, 5, 11, 0, 0, 0, 10, 0, 0, 0, 20, 0 };
	static const u8 perm_bad[] = { 4, 3, 0, 4, 2, 0 };
	struct clasp_opts o;

	clasp_opts_parse(linux_syn, sizeof(linux_syn), true, &o);
	check("Linux's SYN options: all of them",
	      o.mss == 1460 && o.sack_ok && o.ts_ok && o.tsval == 0x01020304 &&
	      o.tsecr == 0 && o.wscale_ok && o.wscale == 7 && !o.nr_sack);
	clasp_opts_parse(linux_syn, sizeof(linux_syn), false, &o);
	check("without SYN only the timestamps count",
	      !o.mss && !o.sack_ok && o.ts_ok && !o.wscale_ok);
	clasp_opts_parse(big_shift, sizeof(big_shift), true, &o);
	check("a shift above 14 counts as 14", o.wscale_ok && o.wscale == 14);
	clasp_opts_parse(ts_short, sizeof(ts_short), false, &o);
	check("timestamps of length 8 are skipped", !o.ts_ok);
	clasp_opts_parse(ts_cut, sizeof(ts_cut), false, &o);
	check("timestamps past the end end the walk", !o.ts_ok);
	clasp_opts_parse(ts_after_bad, sizeof(ts_after_bad), true, &o);
	check("nothing after a length of 0", !o.ts_ok && !o.wscale_ok);
	clasp_opts_parse(two_ts, sizeof(two_ts), false, &o);
	check("the last of two timestamps", o.ts_ok && o.tsval == 3 && o.tsecr == 4);
	clasp_opts_parse(sack2, sizeof(sack2), false, &o);
	check("two SACK blocks", o.nr_sack == 2 && o.sack[0].start == 10 &&
	      o.sack[0].end == 20 && o.sack[1].start == 30 && o.sack[1].end == 40);
	clasp_opts_parse(sack_odd, sizeof(sack_odd), false, &o);
	check("a SACK option of a length not 2 + 8n is skipped", !o.nr_sack);
	clasp_opts_parse(perm_bad, sizeof(perm_bad), true, &o);
	check("SACK-permitted of length 3 skipped, the next one counts",
	      o.sack_ok);
}

static void build_cases(void)
{
	static const u8 want_full[] = {
		2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 100, 0, 0, 0, 7,
		1, 3, 3, 7,
	};
	static const u8 want_ts_only[] = {
		2, 4, 0x05, 0xb4, 1, 1, 8, 10, 0, 0, 0, 100, 0, 0, 0, 7,
	};
	static const u8 want_sack_ws[] = {
		2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 2,
	};
	static const u8 want_data[] = {
		1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 2, 0,
		1, 1, 5, 26, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
		0, 0, 0, 5, 0, 0, 0, 6,
	};
	struct clasp_opts o = { .mss = 1460, .sack_ok = true, .ts_ok = true,
				.tsval = 100, .tsecr = 7, .wscale_ok = true,
				.wscale = 7 };
	struct clasp_opts back;
	u8 buf[40];
	int n;

	n = clasp_opts_put_syn(buf, &o);
	check("SYN options: MSS, SACK-permitted + TS, NOP + wscale",
	      n == sizeof(want_full) && !memcmp(buf, want_full, n));
	clasp_opts_parse(buf, n, true, &back);
	check("SYN options read back", back.mss == 1460 && back.sack_ok &&
	      back.ts_ok && back.tsval == 100 && back.tsecr == 7 &&
	      back.wscale_ok && back.wscale == 7);
	o.sack_ok = false;
	o.wscale_ok = false;
	n = clasp_opts_put_syn(buf, &o);
	check("SYN options: MSS, NOP, NOP, TS",
	      n == sizeof(want_ts_only) && !memcmp(buf, want_ts_only, n));
	o.sack_ok = true;
	o.ts_ok = false;
	o.wscale_ok = true;
	o.wscale = 2;
	n = clasp_opts_put_syn(buf, &o);
	check("SYN options: MSS, NOP, NOP, SACK-permitted, NOP, wscale",
	      n == sizeof(want_sack_ws) && !memcmp(buf, want_sack_ws, n));
	o = (struct clasp_opts){ .ts_ok = true, .tsval = 256, .tsecr = 512,
				 .nr_sack = 4,
				 .sack = { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } } };
	n = clasp_opts_put(buf, &o);
	check("data options: NOP, NOP, TS, then the 3 SACK blocks that fit",
	      n == sizeof(want_data) && !memcmp(buf, want_data, n));
	clasp_opts_parse(buf, n, false, &back);
	check("data options read back", back.ts_ok && back.tsval == 256 &&
	      back.nr_sack == 3 && back.sack[2].end == 6);
	o.ts_ok = false;
	n = clasp_opts_put(buf, &o);
	check("4 SACK blocks without timestamps", n == 36 && buf[3] == 34);
	o.nr_sack = 0;
	check("nothing to write", clasp_opts_put(buf, &o) == 0);
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
	mss("the last of two MSS options, as TCP", two, sizeof(two), 512);
	++planned;
	if (clasp_opt_put_mss(built, 1200) == CLASP_OPTLEN_MSS &&
	    clasp_opt_mss(built, sizeof(built)) == 1200 &&
	    built[0] == 2 && built[1] == 4 && built[2] == 0x04 && built[3] == 0xb0) {
		printf("ok %d - an MSS option built reads back\n", planned);
	} else {
		printf("not ok %d - an MSS option built reads back\n", planned);
		failed++;
	}
	parse_cases();
	build_cases();
	printf("1..%d\n", planned);
	printf("# %d passed, %d failed\n", planned - failed, failed);
	return failed ? 1 : 0;
}
