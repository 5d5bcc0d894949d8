// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: pacing, as TCP's.
 *
 * A socket's sk_pacing_rate is what its congestion window lets it send
 * per round trip, with headroom: twice cwnd * MSS / SRTT while cwnd is
 * below half ssthresh, 1.2 times after (tcp_update_pacing_rate(), with
 * the defaults of tcp_pacing_ss_ratio and tcp_pacing_ca_ratio), never
 * more than SO_MAX_PACING_RATE.  It is set after every ACK, and three
 * things use it:
 *
 * - the fq qdisc, which spaces each socket's buffers at that rate itself
 *   and says so (sk_pacing_status SK_PACING_FQ);
 * - clasp's own pacing, where the socket asks for it and no fq does it,
 *   as TCP's internal pacing: sk_pacing_status SK_PACING_NEEDED, which
 *   SO_MAX_PACING_RATE sets.  Each transmission of data moves the time
 *   the next may leave (wstamp_ns) on by its length at the rate, after
 *   the first ten segments, as TCP's tcp_update_skb_after_send(); the
 *   send loop stops while that time is ahead, and an hrtimer (the pace
 *   timer, timer.c's rules) sends again then.  Retransmissions are not
 *   held back, which TCP's recovery does: a difference;
 * - GSO buffers are sized from it (tso.c), a millisecond of it each.
 */
#include <linux/hrtimer.h>
#include <net/sock.h>

#include "clasp.h"
#include "compat.h"

#define CLASP_PACING_SS_PCT	200U	/* tcp_pacing_ss_ratio */
#define CLASP_PACING_CA_PCT	120U	/* tcp_pacing_ca_ratio */
#define CLASP_PACING_FREE_SEGS	10U	/* sent before pacing starts */

/**
 * clasp_pacing_update() - set sk_pacing_rate from cwnd, MSS and SRTT
 * @sk: the socket, locked
 *
 * Before any RTT sample the rate is not divided by one, so it is the
 * largest the product makes: no limit in practice, as TCP's.
 */
void clasp_pacing_update(struct sock *sk)
{
	const struct clasp_sock *csk = clasp_sk(sk);
	const struct clasp_cong *c = &csk->cong;
	u64 rate = (u64)csk->mss * (USEC_PER_SEC / 100);

	rate *= c->cwnd < c->ssthresh / 2 ? CLASP_PACING_SS_PCT :
					    CLASP_PACING_CA_PCT;
	rate *= max(c->cwnd, csk->rtxq.out);
	if (csk->srtt_us)
		rate = div_u64(rate, csk->srtt_us);
	/* fq reads it without the socket's lock. */
	WRITE_ONCE(sk->sk_pacing_rate,
		   min_t(u64, rate, READ_ONCE(sk->sk_max_pacing_rate)));
}

/* clasp's own pacing applies: asked for, and no fq qdisc does it. */
static bool clasp_pacing_internal(const struct sock *sk)
{
	/* Pairs with the smp_store_release() of SK_PACING_FQ in sch_fq. */
	return smp_load_acquire(&sk->sk_pacing_status) == SK_PACING_NEEDED;
}

/**
 * clasp_pacing_holds() - must new data wait for its time to leave?
 * @sk: the socket, locked
 *
 * Arms the pace timer for that time if it is not armed.
 *
 * Return: true while the time is ahead.
 */
bool clasp_pacing_holds(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u64 now;

	if (!clasp_pacing_internal(sk))
		return false;
	now = ktime_get_ns();
	if (csk->wstamp_ns <= now)
		return false;
	if (!hrtimer_is_queued(&csk->pace_timer))
		clasp_timer_arm(sk, &csk->pace_timer, csk->wstamp_ns - now);
	return true;
}

/**
 * clasp_pacing_sent() - data left: when the next may
 * @sk: the socket, locked
 * @len: bytes of data it carried (a GSO buffer's all)
 *
 * A transmission later than its time (the timer's latency, a busy CPU)
 * earns the next one a credit of up to half its own length, as TCP's.
 */
void clasp_pacing_sent(struct sock *sk, u32 len)
{
	struct clasp_sock *csk = clasp_sk(sk);
	unsigned long rate = READ_ONCE(sk->sk_pacing_rate);
	u64 prior = csk->wstamp_ns, len_ns;

	if (!clasp_pacing_internal(sk))
		return;
	csk->wstamp_ns = max(prior, ktime_get_ns());
	if (rate == ~0UL || !rate ||
	    csk->data_segs_out < CLASP_PACING_FREE_SEGS)
		return;
	len_ns = div64_ul((u64)len * NSEC_PER_SEC, rate);
	len_ns -= min(len_ns / 2, csk->wstamp_ns - prior);
	csk->wstamp_ns += len_ns;
}
