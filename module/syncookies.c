// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: SYN cookies (RFC 4987 section 3.6).
 *
 * When a listener answers a SYN with a cookie it keeps nothing: the
 * SYN-ACK's sequence number carries what the connection needs later, and
 * the ACK that completes the handshake brings it back (ACK - 1).
 *
 * Layout of the 32-bit cookie, most significant bit first:
 *
 *   31                                 7 6        3 2      0
 *  +------------------------------------+----------+--------+
 *  |        MAC: 25 bits of siphash     |  T mod 16 |  MSS i |
 *  +------------------------------------+----------+--------+
 *
 *  - MSS i: index into clasp_cookie_mss[], the largest entry not above
 *    the MSS the SYN announced (rounded down);
 *  - T: a counter that advances every syncookie_period_ms; a cookie is
 *    accepted while T is the current or the previous step (two periods);
 *  - MAC: siphash with a per-namespace random key over the 4-tuple, the
 *    peer's ISN, the full counter T and i, truncated to 25 bits.  A forged
 *    ACK passes with probability 2^-25.
 *
 * When the SYN carried timestamps, the low 6 bits of our TSval (less the
 * connection's offset) carry what else it offered, as Linux's
 * cookie_init_timestamp(): the peer's window shift (15: none), then
 * SACK-permitted, then ECN (RFC 3168: the SYN asked and we agreed).  The
 * ACK echoes them in its TSecr.  Without timestamps a cookie connection
 * has no window scaling, no SACK and no ECN, as with Linux.
 *
 * What a cookie connection loses: the peer's exact MSS (rounded down to
 * the table) and the SYN-ACK retransmission (there is no state to
 * retransmit from; the peer's SYN retransmission covers a lost SYN-ACK).
 */
#include <linux/jiffies.h>
#include <linux/siphash.h>

#include "clasp.h"

#define CLASP_COOKIE_MSS_BITS	3
#define CLASP_COOKIE_T_BITS	4
#define CLASP_COOKIE_MAC_SHIFT	(CLASP_COOKIE_MSS_BITS + CLASP_COOKIE_T_BITS)
#define CLASP_COOKIE_T_MASK	((1U << CLASP_COOKIE_T_BITS) - 1)
#define CLASP_COOKIE_MSS_MASK	((1U << CLASP_COOKIE_MSS_BITS) - 1)

/* The options in the low bits of a cookie's TSval (Linux's TS_OPT_*). */
#define CLASP_COOKIE_TS_BITS	6
#define CLASP_COOKIE_TS_MASK	((1U << CLASP_COOKIE_TS_BITS) - 1)
#define CLASP_COOKIE_TS_WSCALE	0xfU	/* the peer's shift; 15: none */
#define CLASP_COOKIE_TS_SACK	BIT(4)
#define CLASP_COOKIE_TS_ECN	BIT(5)

/* MSS values a cookie can carry, ascending (Ethernet, tunnels, jumbo). */
static const u16 clasp_cookie_mss[1 << CLASP_COOKIE_MSS_BITS] = {
	216, 536, 1220, 1360, 1440, 1460, 8960, 32192,
};

/**
 * clasp_cookie_counter() - the namespace's current cookie time step
 * @cn: the namespace's clasp state
 *
 * Return: jiffies divided by the cookie period.
 */
u32 clasp_cookie_counter(struct clasp_net *cn)
{
	u32 period = max_t(u32, READ_ONCE(cn->tun.syncookie_period_ms), 1);

	return div_u64(get_jiffies_64(), msecs_to_jiffies(period) ?: 1);
}

static u32 clasp_cookie_mac(struct clasp_net *cn, const struct clasp_entry *k,
			    u32 irs, u32 count, u32 mss_idx)
{
	u64 rest = (u64)irs << 32 | count << CLASP_COOKIE_MSS_BITS | mss_idx;
	u64 in[DIV_ROUND_UP(CLASP_TUPLE6_LEN + sizeof(rest), sizeof(u64))] = {};
	unsigned int len = clasp_key_len(k);

	/*
	 * The key's bytes, then the rest: an IPv4 key is shorter.  One
	 * buffer, not a structure of the two: the rest follows an IPv6 key
	 * past the end of a struct clasp_tuple, which FORTIFY_SOURCE takes
	 * for an overflow of that field.
	 */
	memcpy(in, &k->tuple, len);
	memcpy((u8 *)in + len, &rest, sizeof(rest));
	return (u32)siphash(in, len + sizeof(rest), &cn->cookie_key) >>
	       CLASP_COOKIE_MAC_SHIFT;
}

/**
 * clasp_cookie_make() - the ISN that answers a SYN without keeping state
 * @cn: the namespace's clasp state
 * @k: the key, from the listener's side
 * @irs: the SYN's sequence number
 * @peer_mss: MSS the SYN announced (0 if none)
 *
 * Return: the cookie.
 */
u32 clasp_cookie_make(struct clasp_net *cn, const struct clasp_entry *k,
		      u32 irs, u16 peer_mss)
{
	u32 count = clasp_cookie_counter(cn);
	u32 idx = 0, i;

	if (!peer_mss)
		peer_mss = CLASP_DEFAULT_MSS;
	for (i = 0; i < ARRAY_SIZE(clasp_cookie_mss); i++)
		if (clasp_cookie_mss[i] <= peer_mss)
			idx = i;
	return clasp_cookie_mac(cn, k, irs, count, idx) <<
	       CLASP_COOKIE_MAC_SHIFT |
	       (count & CLASP_COOKIE_T_MASK) << CLASP_COOKIE_MSS_BITS | idx;
}

/**
 * clasp_cookie_check() - validate the cookie an ACK returns
 * @cn: the namespace's clasp state
 * @k: the key, from the listener's side
 * @irs: the peer's ISN (the ACK's sequence number - 1)
 * @cookie: the ACK's acknowledgment number - 1
 *
 * Return: the MSS the cookie carries, or 0 if it is not valid (wrong MAC,
 * or older than two periods).
 */
u16 clasp_cookie_check(struct clasp_net *cn, const struct clasp_entry *k,
		       u32 irs, u32 cookie)
{
	u32 idx = cookie & CLASP_COOKIE_MSS_MASK;
	u32 t4 = cookie >> CLASP_COOKIE_MSS_BITS & CLASP_COOKIE_T_MASK;
	u32 mac = cookie >> CLASP_COOKIE_MAC_SHIFT;
	u32 now = clasp_cookie_counter(cn);
	u32 age;

	for (age = 0; age < 2; age++) {
		u32 count = now - age;

		if ((count & CLASP_COOKIE_T_MASK) == t4 &&
		    clasp_cookie_mac(cn, k, irs, count, idx) == mac)
			return clasp_cookie_mss[idx];
	}
	return 0;
}

/**
 * clasp_cookie_tsval() - the TSval of a cookie's SYN-ACK, carrying what
 * the SYN offered, as Linux's cookie_init_timestamp()
 * @req: what was negotiated (@req->wscale_ok with the peer's shift
 *	@req->snd_wscale, @req->sack_ok, @req->ecn_ok)
 * @offset: the connection's timestamp offset
 *
 * The clock with its low 6 bits replaced by the options, one step back if
 * that put it in the future, so that TSvals never run ahead of the clock.
 *
 * Return: the TSval.
 */
u32 clasp_cookie_tsval(const struct clasp_request *req, u32 offset)
{
	u32 now = clasp_ts_now(0);
	u32 bits = req->wscale_ok ? req->snd_wscale : CLASP_COOKIE_TS_WSCALE;
	u32 ts;

	if (req->sack_ok)
		bits |= CLASP_COOKIE_TS_SACK;
	if (req->ecn_ok)
		bits |= CLASP_COOKIE_TS_ECN;
	ts = (now & ~CLASP_COOKIE_TS_MASK) | bits;
	if ((s32)(ts - now) > 0)
		ts -= 1U << CLASP_COOKIE_TS_BITS;
	return ts + offset;
}

/**
 * clasp_cookie_ts_decode() - what the TSecr of a cookie's ACK says the
 * SYN offered, as Linux's cookie_timestamp_decode()
 * @req: where to put it: @req->wscale_ok, @req->snd_wscale, @req->sack_ok,
 *	@req->ecn_ok (each only if the namespace still accepts it)
 * @tsecr: the ACK's TSecr
 * @offset: the connection's timestamp offset
 */
void clasp_cookie_ts_decode(struct clasp_request *req, u32 tsecr, u32 offset)
{
	struct clasp_tunables *tun = clasp_tun(req->listener);
	u32 bits = (tsecr - offset) & CLASP_COOKIE_TS_MASK;
	u32 shift = bits & CLASP_COOKIE_TS_WSCALE;

	req->sack_ok = bits & CLASP_COOKIE_TS_SACK && READ_ONCE(tun->sack);
	/* As Linux's cookie_ecn_ok(): unless ecn has been set to 0 since. */
	req->ecn_ok = bits & CLASP_COOKIE_TS_ECN && READ_ONCE(tun->ecn);
	req->wscale_ok = shift != CLASP_COOKIE_TS_WSCALE &&
			 READ_ONCE(tun->window_scaling);
	req->snd_wscale = req->wscale_ok ? min_t(u32, shift, CLASP_MAX_WSCALE) : 0;
}
