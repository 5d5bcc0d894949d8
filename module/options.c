// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: the options of a segment header, parsed and built.
 *
 * Options follow the fixed header, each a kind byte, then for all but
 * EOL and NOP a length byte (counting kind and length) and the data.  A
 * malformed list (a length below 2, or past the end) ends the walk: what
 * came before it stands, as in TCP (tcp_parse_options()).  An option of
 * the wrong length is skipped, and so is one that only a SYN may carry
 * (MSS, window scale, SACK-permitted) on any other segment.  Of two
 * options of one kind the last counts, as in TCP.
 *
 * Options are built in Linux's layout (tcp_options_write()), which keeps
 * the 32-bit fields aligned: on a SYN the MSS, then SACK-permitted and
 * timestamps together (or NOP, NOP, timestamps, or NOP, NOP,
 * SACK-permitted), then NOP and window scale; on other segments NOP,
 * NOP, timestamps, then NOP, NOP and the SACK blocks.
 */
#include "options.h"

static u32 clasp_get_be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static void clasp_put_be32(u8 *p, u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* One well-formed option of @olen bytes at @opt (kind and length included). */
static void clasp_opt_one(const u8 *opt, int olen, bool syn,
			  struct clasp_opts *o)
{
	int i;

	switch (opt[0]) {
	case CLASP_OPT_MSS:
		if (olen == CLASP_OPTLEN_MSS && syn && (opt[2] | opt[3]))
			o->mss = (u16)(opt[2] << 8 | opt[3]);
		break;
	case CLASP_OPT_WSCALE:
		if (olen == CLASP_OPTLEN_WSCALE && syn) {
			o->wscale_ok = true;
			o->wscale = opt[2] > CLASP_MAX_WSCALE ?
				    CLASP_MAX_WSCALE : opt[2];
		}
		break;
	case CLASP_OPT_SACK_PERM:
		if (olen == CLASP_OPTLEN_SACK_PERM && syn)
			o->sack_ok = true;
		break;
	case CLASP_OPT_TS:
		if (olen == CLASP_OPTLEN_TS) {
			o->ts_ok = true;
			o->tsval = clasp_get_be32(opt + 2);
			o->tsecr = clasp_get_be32(opt + 6);
		}
		break;
	case CLASP_OPT_SACK:
		if (olen < 2 + CLASP_OPTLEN_SACK_BLOCK ||
		    (olen - 2) % CLASP_OPTLEN_SACK_BLOCK)
			break;
		o->nr_sack = 0;
		for (i = 2; i < olen && o->nr_sack < CLASP_MAX_SACK_BLOCKS;
		     i += CLASP_OPTLEN_SACK_BLOCK) {
			o->sack[o->nr_sack].start = clasp_get_be32(opt + i);
			o->sack[o->nr_sack].end = clasp_get_be32(opt + i + 4);
			o->nr_sack++;
		}
		break;
	}
}

/**
 * clasp_opts_parse() - every option of a header, at once
 * @opt: the option bytes, after the fixed header
 * @len: how many there are
 * @syn: the segment carries SYN (MSS, window scale and SACK-permitted
 *	count only there)
 * @o: what they say; zeroed first
 */
void clasp_opts_parse(const u8 *opt, int len, bool syn, struct clasp_opts *o)
{
	*o = (struct clasp_opts){ 0 };
	while (len > 0) {
		u8 kind = opt[0], olen;

		if (kind == CLASP_OPT_EOL)
			break;
		if (kind == CLASP_OPT_NOP) {
			opt++;
			len--;
			continue;
		}
		if (len < 2)
			break;
		olen = opt[1];
		if (olen < 2 || olen > len)
			break;
		clasp_opt_one(opt, olen, syn, o);
		opt += olen;
		len -= olen;
	}
}

/**
 * clasp_opt_mss() - the MSS a SYN's options announce
 * @opt: the option bytes, after the fixed header
 * @len: how many there are
 *
 * Return: the MSS of the last well-formed, nonzero MSS option, 0 if none.
 */
u16 clasp_opt_mss(const u8 *opt, int len)
{
	struct clasp_opts o;

	clasp_opts_parse(opt, len, true, &o);
	return o.mss;
}

/**
 * clasp_opt_put_mss() - write an MSS option
 * @opt: where, CLASP_OPTLEN_MSS bytes
 * @mss: the MSS to announce
 *
 * Return: the bytes written.
 */
int clasp_opt_put_mss(u8 *opt, u16 mss)
{
	opt[0] = CLASP_OPT_MSS;
	opt[1] = CLASP_OPTLEN_MSS;
	opt[2] = mss >> 8;
	opt[3] = mss & 0xff;
	return CLASP_OPTLEN_MSS;
}

/* The timestamps option's 10 bytes. */
static void clasp_opt_ts(u8 *opt, u32 tsval, u32 tsecr)
{
	opt[0] = CLASP_OPT_TS;
	opt[1] = CLASP_OPTLEN_TS;
	clasp_put_be32(opt + 2, tsval);
	clasp_put_be32(opt + 6, tsecr);
}

/**
 * clasp_opts_put_ts() - write NOP, NOP, timestamps
 * @opt: where, 12 bytes
 * @tsval: TSval
 * @tsecr: TSecr
 *
 * Return: the bytes written, 12.
 */
int clasp_opts_put_ts(u8 *opt, u32 tsval, u32 tsecr)
{
	opt[0] = CLASP_OPT_NOP;
	opt[1] = CLASP_OPT_NOP;
	clasp_opt_ts(opt + 2, tsval, tsecr);
	return 2 + CLASP_OPTLEN_TS;
}

/**
 * clasp_opts_put_sack() - write NOP, NOP and a SACK option
 * @opt: where
 * @blocks: the blocks, most recent first
 * @n: how many
 * @room: bytes free at @opt; blocks that do not fit are left out
 *
 * Return: the bytes written, 0 when not one block fits (or @n is 0).
 */
int clasp_opts_put_sack(u8 *opt, const struct clasp_sack_block *blocks,
			int n, int room)
{
	int i, fit = (room - 4) / CLASP_OPTLEN_SACK_BLOCK;

	if (n > fit)
		n = fit;
	if (n > CLASP_MAX_SACK_BLOCKS)
		n = CLASP_MAX_SACK_BLOCKS;
	if (n <= 0)
		return 0;
	opt[0] = CLASP_OPT_NOP;
	opt[1] = CLASP_OPT_NOP;
	opt[2] = CLASP_OPT_SACK;
	opt[3] = 2 + n * CLASP_OPTLEN_SACK_BLOCK;
	for (i = 0; i < n; i++) {
		clasp_put_be32(opt + 4 + i * 8, blocks[i].start);
		clasp_put_be32(opt + 8 + i * 8, blocks[i].end);
	}
	return 4 + n * CLASP_OPTLEN_SACK_BLOCK;
}

/**
 * clasp_opts_put_syn() - write a SYN's or SYN-ACK's options
 * @opt: where, 20 bytes at most
 * @o: what to offer: @o->mss (0: none), @o->sack_ok, @o->ts_ok with
 *	@o->tsval and @o->tsecr, @o->wscale_ok with @o->wscale
 *
 * Return: the bytes written, a multiple of 4.
 */
int clasp_opts_put_syn(u8 *opt, const struct clasp_opts *o)
{
	int n = 0;

	if (o->mss)
		n += clasp_opt_put_mss(opt, o->mss);
	if (o->ts_ok) {
		if (o->sack_ok) {
			opt[n++] = CLASP_OPT_SACK_PERM;
			opt[n++] = CLASP_OPTLEN_SACK_PERM;
		} else {
			opt[n++] = CLASP_OPT_NOP;
			opt[n++] = CLASP_OPT_NOP;
		}
		clasp_opt_ts(opt + n, o->tsval, o->tsecr);
		n += CLASP_OPTLEN_TS;
	} else if (o->sack_ok) {
		opt[n++] = CLASP_OPT_NOP;
		opt[n++] = CLASP_OPT_NOP;
		opt[n++] = CLASP_OPT_SACK_PERM;
		opt[n++] = CLASP_OPTLEN_SACK_PERM;
	}
	if (o->wscale_ok) {
		opt[n++] = CLASP_OPT_NOP;
		opt[n++] = CLASP_OPT_WSCALE;
		opt[n++] = CLASP_OPTLEN_WSCALE;
		opt[n++] = o->wscale;
	}
	return n;
}

/**
 * clasp_opts_put() - write the options of a segment without SYN
 * @opt: where, CLASP_MAX_OPT_LEN bytes at most
 * @o: timestamps when @o->ts_ok, then the @o->nr_sack blocks that fit
 *
 * Return: the bytes written, a multiple of 4.
 */
int clasp_opts_put(u8 *opt, const struct clasp_opts *o)
{
	int n = 0;

	if (o->ts_ok)
		n += clasp_opts_put_ts(opt, o->tsval, o->tsecr);
	n += clasp_opts_put_sack(opt + n, o->sack, o->nr_sack,
				 CLASP_MAX_OPT_LEN - n);
	return n;
}
