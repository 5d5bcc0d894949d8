// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: how often an invalid segment is answered.
 *
 * RFC 5961's challenge ACKs and RFC 9293's ACKs to out-of-window
 * segments both let a blind attacker, or two ends that disagree about
 * the sequence space, make a connection send; as TCP does since
 * CVE-2016-5696, each connection answers at most one invalid segment per
 * invalid_ratelimit_ms (tcp_invalid_ratelimit), and the challenge ACKs
 * of a namespace share a randomised per-second budget
 * (tcp_challenge_ack_limit), so that nobody can count the ones sent to
 * others.  Sockets (input.c), requests and compact entries ask here
 * before they answer.
 */
#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/spinlock.h>

#include "clasp.h"

/*
 * One answer per invalid_ratelimit_ms per connection, as TCP's
 * tcp_invalid_ratelimit: true when this one must be held back (counted
 * in @mib); otherwise @stamp records it.
 */
static bool clasp_rate_limited(struct net *net, u32 *stamp,
			       enum clasp_mib mib)
{
	u32 gap = msecs_to_jiffies(READ_ONCE(clasp_pernet(net)->tun.invalid_ratelimit_ms));
	u32 now = (u32)jiffies;

	if (*stamp && (s32)(now - *stamp) >= 0 && now - *stamp < gap) {
		clasp_stats_inc(net, mib);
		return true;
	}
	*stamp = now ?: 1;
	return false;
}

/*
 * The namespace's budget of challenge ACKs for this second: a number
 * drawn anew each second from [limit / 2, limit * 3 / 2), so that an
 * attacker cannot count the ACKs sent to others (CVE-2016-5696).
 */
static bool clasp_challenge_budget(struct clasp_net *cn)
{
	u32 limit = READ_ONCE(cn->tun.challenge_ack_limit);
	unsigned long now = jiffies / HZ;
	bool ok;

	if (limit == CLASP_CHALLENGE_UNLIMITED)
		return true;
	spin_lock_bh(&cn->challenge_lock);
	if (now != cn->challenge_stamp) {
		u32 half = (limit + 1) / 2;

		cn->challenge_stamp = now;
		cn->challenge_count = limit ?
			get_random_u32_inclusive(half, limit + half - 1) : 0;
	}
	ok = cn->challenge_count > 0;
	if (ok)
		cn->challenge_count--;
	spin_unlock_bh(&cn->challenge_lock);
	return ok;
}

/**
 * clasp_challenge_ack_allowed() - may a challenge ACK (RFC 5961) be sent?
 * @net: the namespace
 * @stamp: jiffies of the connection's last answer to an invalid segment
 *
 * As TCP since CVE-2016-5696: first the connection's own rate limit,
 * shared with out-of-window ACKs (ChallengeAckSkipped), then the
 * namespace's per-second budget of challenge_ack_limit, randomised
 * (ChallengeAckLimited; CLASP_CHALLENGE_UNLIMITED turns it off).
 *
 * Return: true when one may be sent; it is counted (ChallengeAcks).
 */
bool clasp_challenge_ack_allowed(struct net *net, u32 *stamp)
{
	if (clasp_rate_limited(net, stamp, CLASP_MIB_CHALLENGEACKSKIPPED))
		return false;
	if (!clasp_challenge_budget(clasp_pernet(net))) {
		clasp_stats_inc(net, CLASP_MIB_CHALLENGEACKLIMITED);
		return false;
	}
	clasp_stats_inc(net, CLASP_MIB_CHALLENGEACKS);
	return true;
}

/**
 * clasp_oow_ack_allowed() - may an out-of-window segment be answered?
 * @net: the namespace, for the AckSkipped counter
 * @seg: the segment
 * @rcv_nxt: the next sequence number the connection expects
 * @stamp: jiffies of the connection's last answer to an invalid segment
 *
 * Two ends that disagree about the sequence space (one was fed a forged
 * segment) would otherwise answer each other's ACKs forever.  Segments
 * with neither data nor FIN, or with SYN, the stuff of such loops, get
 * one answer per invalid_ratelimit_ms per connection, as with TCP's
 * tcp_invalid_ratelimit.  Keepalive and window probes (rcv_nxt - 1, at
 * most one byte) are always answered: they come on their own timers, and
 * the loop, if any, is broken at the other end.
 *
 * Return: true when an ACK may be sent; @stamp is then updated.
 */
bool clasp_oow_ack_allowed(struct net *net, const struct clasp_seg *seg,
			   u32 rcv_nxt, u32 *stamp)
{
	if (!(seg->flags & CLASP_SYN) &&
	    (seg->end_seq != seg->seq ||
	     (seg->seq == rcv_nxt - 1 && seg->len <= 1)))
		return true;
	return !clasp_rate_limited(net, stamp, CLASP_MIB_ACKSKIPPED);
}
