// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: the options of a segment header, parsed and built.
 *
 * Options follow the fixed header, each a kind byte, then for all but
 * EOL and NOP a length byte (counting kind and length) and the data.  A
 * malformed list (a length below 2, or past the end) ends the walk: what
 * came before it stands, as in TCP (tcp_parse_options()).  For now clasp
 * knows one option, the MSS of RFC 9293 3.7.1, sent on SYNs.
 */
#include "options.h"

/**
 * clasp_opt_mss() - the MSS a header's options announce
 * @opt: the option bytes, after the fixed header
 * @len: how many there are
 *
 * Return: the MSS of the first well-formed MSS option, 0 if none.
 */
u16 clasp_opt_mss(const u8 *opt, int len)
{
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
		if (kind == CLASP_OPT_MSS && olen == CLASP_OPTLEN_MSS)
			return (u16)(opt[2] << 8 | opt[3]);
		opt += olen;
		len -= olen;
	}
	return 0;
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
