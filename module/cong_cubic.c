// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: CUBIC congestion control (RFC 9438) with HyStart++ (RFC 9406),
 * named "cubic" as Linux names its own, and clasp's default as CUBIC is
 * Linux's.
 *
 * The arithmetic is cubic.c's and hystart.c's; this file ties it to the
 * connection.  Slow start is HyStart++ while ssthresh is still infinite
 * (the connection's first), standard slow start after a loss.  In
 * congestion avoidance each ACK asks clasp_cubic_update() how fast cwnd
 * should grow at this point of the cubic curve, t being the time since
 * the stage began, plus the smoothed RTT.  A loss sets ssthresh to 0.7
 * cwnd and remembers W_max (clasp_cubic_loss()); what cwnd becomes in
 * recovery, after a timeout (1 segment) or an idle time is cong.c's, as
 * for every algorithm.  After a timeout the next stage grows from where
 * it starts, W_max being that window and K 0 (RFC 9438 4.8).  An undo
 * restores W_max with the window (4.9).  Time the connection sent
 * nothing does not count in t: the stage's start moves by the idle time
 * when sending resumes, as Linux's tcp_cubic.c does, so a window the
 * application left unused does not leap along the curve.
 */
#include <linux/build_bug.h>
#include <linux/ktime.h>
#include <net/sock.h>

#include "clasp.h"
#include "cubic.h"
#include "hystart.h"

/* What a connection keeps in its struct clasp_cong's priv. */
struct clasp_cubic_priv {
	struct clasp_cubic cubic;
	struct clasp_hystart hystart;
};

static_assert(sizeof(struct clasp_cubic_priv) <= CLASP_CA_PRIV_SIZE);

static struct clasp_cubic_priv *clasp_cubic_priv(struct sock *sk)
{
	return (struct clasp_cubic_priv *)clasp_sk(sk)->cong.priv;
}

static u64 clasp_cubic_now_us(void)
{
	return ktime_to_us(ktime_get());
}

static void clasp_cong_cubic_init(struct sock *sk)
{
	struct clasp_cubic_priv *p = clasp_cubic_priv(sk);
	struct clasp_sock *csk = clasp_sk(sk);

	memset(p, 0, sizeof(*p));
	clasp_hystart_init(&p->hystart, csk->snd_max);
	/* HyStart++ only for the first slow start (RFC 9406 4.3). */
	if (csk->cong.ssthresh != CLASP_INFINITE_SSTHRESH)
		p->hystart.phase = CLASP_HYSTART_DONE;
}

static u32 clasp_cong_cubic_ssthresh(struct sock *sk)
{
	struct clasp_cubic_priv *p = clasp_cubic_priv(sk);

	p->hystart.phase = CLASP_HYSTART_DONE;
	return clasp_cubic_loss(&p->cubic, clasp_sk(sk)->cong.cwnd);
}

/* Is the connection in the slow start HyStart++ watches? */
static bool clasp_cubic_hystart_on(struct sock *sk)
{
	const struct clasp_cong *c = &clasp_sk(sk)->cong;

	return c->ssthresh == CLASP_INFINITE_SSTHRESH &&
	       clasp_cubic_priv(sk)->hystart.phase != CLASP_HYSTART_DONE;
}

static void clasp_cong_cubic_pkts_acked(struct sock *sk, u32 acked,
					s32 rtt_us)
{
	struct clasp_cubic_priv *p = clasp_cubic_priv(sk);
	struct clasp_sock *csk = clasp_sk(sk);

	if (csk->ca_state != TCP_CA_Open || !clasp_cubic_hystart_on(sk))
		return;
	clasp_hystart_sample(&p->hystart, csk->snd_una, csk->snd_max, rtt_us);
	/* CSS_ROUNDS rounds of CSS: congestion avoidance from here. */
	if (p->hystart.phase == CLASP_HYSTART_DONE)
		csk->cong.ssthresh = max(csk->cong.cwnd, 2U);
}

static void clasp_cong_cubic_cong_avoid(struct sock *sk, u32 acked)
{
	struct clasp_cubic_priv *p = clasp_cubic_priv(sk);
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_cong *c = &csk->cong;
	u32 cwnd, cnt;

	if (!clasp_cong_limited(sk))
		return;
	if (c->cwnd < c->ssthresh) {
		if (clasp_cubic_hystart_on(sk)) {
			c->cwnd += clasp_hystart_grow(&p->hystart, acked);
			return;
		}
		clasp_cong_slow_start(sk, &acked);
		if (!acked)
			return;
	}
	cwnd = clasp_cubic_update(&p->cubic, c->cwnd, acked,
				  clasp_cubic_now_us(), csk->srtt_us, &cnt);
	if (cwnd > c->cwnd) {
		c->cwnd = cwnd;
		c->cwnd_cnt = 0;
	} else if (cnt != U32_MAX) {
		clasp_cong_avoid_ai(sk, cnt, acked);
	}
}

static u32 clasp_cong_cubic_undo_cwnd(struct sock *sk)
{
	const struct clasp_cong *c = &clasp_sk(sk)->cong;

	clasp_cubic_undo(&clasp_cubic_priv(sk)->cubic);
	return max(c->cwnd, c->prior_cwnd);
}

static void clasp_cong_cubic_cwnd_event(struct sock *sk,
					enum clasp_ca_event ev)
{
	struct clasp_cubic_priv *p = clasp_cubic_priv(sk);
	struct clasp_sock *csk = clasp_sk(sk);
	u64 now, idle;

	switch (ev) {
	case CLASP_CA_EVENT_TX_START:
		if (!p->cubic.epoch_us)
			break;
		now = clasp_cubic_now_us();
		idle = max_t(s64, ktime_us_delta(clasp_now(sk),
						 csk->data_sent_tstamp), 0);
		p->cubic.epoch_us = min(p->cubic.epoch_us + idle, now);
		break;
	case CLASP_CA_EVENT_LOSS:
		/* RFC 9438 4.8: the next stage starts with K = 0. */
		p->cubic.w_max = 0;
		p->cubic.epoch_us = 0;
		p->hystart.phase = CLASP_HYSTART_DONE;
		break;
	default:
		break;
	}
}

struct clasp_cong_ops clasp_cong_cubic = {
	.name		= "cubic",
	.init		= clasp_cong_cubic_init,
	.ssthresh	= clasp_cong_cubic_ssthresh,
	.cong_avoid	= clasp_cong_cubic_cong_avoid,
	.undo_cwnd	= clasp_cong_cubic_undo_cwnd,
	.cwnd_event	= clasp_cong_cubic_cwnd_event,
	.pkts_acked	= clasp_cong_cubic_pkts_acked,
};
