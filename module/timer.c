// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: a socket's timers and round-trip estimation.
 *
 * Four soft hrtimers per socket: retransmission (SYN, SYN-ACK, data, FIN,
 * window probes, and tail loss probes: recovery.c decides what they
 * send), keepalive, the delayed ACK (its policy is in ack.c), and the
 * pace timer (pacing.c decides when it is due).  An
 * armed timer holds a reference on the socket.  A timer that fires while
 * the owner holds the socket leaves a bit in ->deferred and the owner
 * runs the work in release_cb, as TCP does.  A firing that finds its
 * timer re-armed or stopped in the meantime does nothing.
 */
#include <linux/hrtimer.h>
#include <net/sock.h>

#include "clasp.h"
#include "compat.h"

static u64 clasp_ms_to_ns(u32 ms)
{
	return (u64)ms * NSEC_PER_MSEC;
}

/**
 * clasp_ka_idle_ms() - keepalive idle time in force for a socket
 * @sk: the socket
 *
 * Return: the per-socket setting, or the namespace's.
 */
u32 clasp_ka_idle_ms(const struct sock *sk)
{
	return clasp_sk(sk)->opt.ka_idle_ms ?: clasp_tun(sk)->keepalive_time_ms;
}

/**
 * clasp_ka_intvl_ms() - keepalive interval in force for a socket
 * @sk: the socket
 *
 * Return: the per-socket setting, or the namespace's.
 */
u32 clasp_ka_intvl_ms(const struct sock *sk)
{
	return clasp_sk(sk)->opt.ka_intvl_ms ?: clasp_tun(sk)->keepalive_intvl_ms;
}

/**
 * clasp_ka_cnt() - keepalive probe count in force for a socket
 * @sk: the socket
 *
 * Return: the per-socket setting, or the namespace's.
 */
u32 clasp_ka_cnt(const struct sock *sk)
{
	return clasp_sk(sk)->opt.ka_cnt ?: clasp_tun(sk)->keepalive_probes;
}

/**
 * clasp_timer_remaining_ms() - time until a timer fires
 * @t: the timer
 *
 * Return: milliseconds, 0 if due or not armed.
 */
u64 clasp_timer_remaining_ms(struct hrtimer *t)
{
	s64 ns = ktime_to_ns(hrtimer_get_remaining(t));

	return ns > 0 ? div_u64(ns, NSEC_PER_MSEC) : 0;
}

/**
 * clasp_timer_list_remaining_ms() - time until a timer_list timer fires
 * @t: the timer
 *
 * Return: milliseconds, 0 if due or not armed.
 */
u64 clasp_timer_list_remaining_ms(const struct timer_list *t)
{
	long left = (long)(READ_ONCE(t->expires) - jiffies);

	return timer_pending(t) && left > 0 ? jiffies_to_msecs(left) : 0;
}

/**
 * clasp_timer_arm() - arm one of a socket's timers
 * @sk: the socket, locked
 * @t: the timer, set up with HRTIMER_MODE_REL_SOFT
 * @ns: when it fires, from now
 *
 * The armed timer holds a reference on @sk.
 *
 * hrtimer_try_to_cancel() answers -1 whenever the callback runs, whether
 * or not the timer was armed again since it started: by the callback's
 * own work (a tail loss probe pushes, which arms the timer, and then arms
 * it for the RTO), or by the lock holder while the callback waits for the
 * lock.  The running callback drops the reference it was armed with; a
 * timer queued again already holds one of its own, and hrtimer_start()
 * only moves it.  Every arm runs under the socket lock, and a timer queued
 * while its callback runs stays on that CPU's base, which cannot expire it
 * before the callback returns.
 */
void clasp_timer_arm(struct sock *sk, struct hrtimer *t, u64 ns)
{
	int ret = hrtimer_try_to_cancel(t);

	if (!ret || (ret < 0 && !hrtimer_is_queued(t)))
		sock_hold(sk);
	hrtimer_start(t, ns_to_ktime(ns), HRTIMER_MODE_REL_SOFT);
}

/*
 * A timer armed again while its callback runs cannot be cancelled from
 * here (-1); it fires later, finds its *_pending flag clear, does nothing
 * and drops its reference then.
 */
static void clasp_timer_stop(struct sock *sk, struct hrtimer *t)
{
	if (hrtimer_try_to_cancel(t) == 1)
		__sock_put(sk);
}

/*
 * When the oldest transmission still unacknowledged went out: our SYN, or
 * the head of the write queue; with nothing in flight, the first probe
 * of a closed window (0 if not probing).  TCP_USER_TIMEOUT counts from it.
 */
static ktime_t clasp_rtx_since(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *head;

	if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV)
		return csk->syn_tstamp;
	if (csk->snd_una == csk->snd_max)
		return csk->probe_tstamp;
	head = skb_peek(&sk->sk_write_queue);
	return head ? CLASP_SKB_CB(head)->sent : 0;
}

/* TCP_USER_TIMEOUT ran out for what is in flight. */
static bool clasp_user_timed_out(struct sock *sk)
{
	ktime_t since = clasp_rtx_since(sk);

	return since && !clasp_user_timeout_left_us(sk, since);
}

/**
 * clasp_rtx_arm() - (re)start the retransmission timer at RTO << backoff,
 * or sooner if TCP_USER_TIMEOUT runs out before
 * @sk: the socket, locked
 */
void clasp_rtx_arm(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u64 max_us = (u64)clasp_tun(sk)->rto_max_ms * USEC_PER_MSEC;
	u64 us = clasp_backoff(csk->rto_us, csk->backoff, max_us);
	ktime_t since = clasp_rtx_since(sk);

	if (since)
		us = clamp_t(u64, clasp_user_timeout_left_us(sk, since), 1, us);

	csk->rtx_pending = true;
	csk->rtx_probe = false;
	csk->rtx_reo = false;
	clasp_timer_arm(sk, &csk->rtx_timer, us * NSEC_PER_USEC);
}

/**
 * clasp_rtx_reo_arm() - arm the retransmission timer as RACK's
 * reordering timer (RFC 8985 6.3), in place of the RTO, which it
 * re-arms when it fires
 * @sk: the socket, locked
 * @us: when, from now; no later than the RTO would fire
 */
void clasp_rtx_reo_arm(struct sock *sk, u32 us)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u64 max_us = (u64)clasp_tun(sk)->rto_max_ms * USEC_PER_MSEC;
	u64 rto_us = clasp_backoff(csk->rto_us, csk->backoff, max_us);

	csk->rtx_pending = true;
	csk->rtx_probe = false;
	csk->rtx_reo = true;
	clasp_timer_arm(sk, &csk->rtx_timer,
			min_t(u64, us, rto_us) * NSEC_PER_USEC);
}

/* Segments sent and not yet acknowledged, counted up to @max. */
static u32 clasp_flight_segs(struct sock *sk, u32 max)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *skb;
	u32 n = 0;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (skb == csk->send_head || n >= max)
			break;
		n += clasp_skb_segs(skb);
	}
	return n;
}

/*
 * RFC 8985 7.2: PTO = 2 * SRTT, plus the worst delayed-ACK time when a
 * single segment is out (its ACK may be delayed), at least
 * CLASP_TLP_MIN_US; the initial RTO before any sample.
 */
static u64 clasp_pto_us(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u64 us;

	if (!csk->srtt_us)
		return (u64)clasp_tun(sk)->rto_initial_ms * USEC_PER_MSEC;
	us = 2 * (u64)csk->srtt_us;
	if (clasp_flight_segs(sk, 2) == 1)
		us += CLASP_TLP_DELACK_US;
	return max_t(u64, us, CLASP_TLP_MIN_US);
}

/**
 * clasp_rtx_schedule() - arm the retransmission timer for what is in
 * flight: as a tail loss probe when one may go, else as the RTO
 * @sk: the socket, locked
 *
 * The probe fires at the PTO, or when the RTO would if that is sooner:
 * the RTO still armed, or a full one (RFC 8985 7.2, as
 * tcp_schedule_loss_probe()).
 */
void clasp_rtx_schedule(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u64 max_us = (u64)clasp_tun(sk)->rto_max_ms * USEC_PER_MSEC;
	u64 rto_us = clasp_backoff(csk->rto_us, csk->backoff, max_us);

	if (!clasp_recovery_probe_due(sk)) {
		clasp_rtx_arm(sk);
		return;
	}
	if (csk->rtx_pending)
		rto_us = min_t(u64, rto_us,
			       ktime_to_us(hrtimer_get_remaining(&csk->rtx_timer)));
	csk->rtx_pending = true;
	csk->rtx_probe = true;
	csk->rtx_reo = false;
	clasp_timer_arm(sk, &csk->rtx_timer,
			min(clasp_pto_us(sk), rto_us) * NSEC_PER_USEC);
}

/**
 * clasp_rtx_stop() - stop the retransmission timer
 * @sk: the socket, locked
 */
void clasp_rtx_stop(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->rtx_pending = false;
	csk->rtx_probe = false;
	csk->rtx_reo = false;
	clasp_timer_stop(sk, &csk->rtx_timer);
}

/**
 * clasp_dack_arm() - (re)start the delayed-ACK timer
 * @sk: the socket, locked
 * @ns: when it fires, from now
 */
void clasp_dack_arm(struct sock *sk, u64 ns)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->dack_pending = true;
	clasp_timer_arm(sk, &csk->dack_timer, ns);
}

/**
 * clasp_dack_stop() - stop the delayed-ACK timer
 * @sk: the socket, locked
 */
void clasp_dack_stop(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->dack_pending = false;
	clasp_timer_stop(sk, &csk->dack_timer);
}

/**
 * clasp_ka_stop() - stop the keepalive timer
 * @sk: the socket, locked
 */
void clasp_ka_stop(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->ka_pending = false;
	clasp_timer_stop(sk, &csk->ka_timer);
}

/*
 * Where keepalive watches the peer: every synchronized state, as TCP.  In
 * FIN_WAIT_2 it is the only thing that does: a socket that shut down its
 * side and waits for the peer's would otherwise wait for ever on a peer
 * that vanished (its RST lost).  The states with a FIN in flight leave
 * it to the retransmission timer (clasp_ka_work()).
 */
#define CLASP_KA_STATES	(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT | TCPF_FIN_WAIT1 | \
			 TCPF_FIN_WAIT2 | TCPF_CLOSING | TCPF_LAST_ACK)

static void clasp_ka_arm(struct sock *sk, u64 ns)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->ka_pending = true;
	clasp_timer_arm(sk, &csk->ka_timer, ns);
}

/**
 * clasp_ka_set() - start keepalive from now, or stop it
 * @sk: the socket, locked
 * @on: keepalive wanted
 */
void clasp_ka_set(struct sock *sk, bool on)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->probes = 0;
	if (on && (1 << sk->sk_state) & CLASP_KA_STATES)
		clasp_ka_arm(sk, clasp_ms_to_ns(clasp_ka_idle_ms(sk)));
	else
		clasp_ka_stop(sk);
}

/**
 * clasp_ka_reset() - start keepalive from now if the socket wants it
 * @sk: the socket, locked
 */
void clasp_ka_reset(struct sock *sk)
{
	clasp_ka_set(sk, sock_flag(sk, SOCK_KEEPOPEN));
}

/**
 * clasp_rtt_sample() - fold a round-trip measurement into the RTO
 * @sk: the socket
 * @sent: when the acknowledged segment was sent
 *
 * RFC 6298 section 2, computed by clasp_rto_update() (rtt.c).
 */
void clasp_rtt_sample(struct sock *sk, ktime_t sent)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_tunables *tun = clasp_tun(sk);
	s64 r = ktime_us_delta(clasp_now(sk), sent);

	if (!sent || r < 0)
		return;
	clasp_rack_rtt_sample(&csk->rack, min_t(s64, r, U32_MAX));
	csk->rto_us = clasp_rto_update(&csk->srtt_us, &csk->rttvar_us,
				       min_t(s64, r, U32_MAX),
				       tun->rto_min_ms * USEC_PER_MSEC,
				       tun->rto_max_ms * USEC_PER_MSEC);
}

/**
 * clasp_rtt_sample_ts() - an RTT sample from a timestamp echo (RFC 7323
 * section 4.1): valid for retransmitted segments too, so Karn's rule does
 * not apply
 * @sk: the socket, with timestamps in use
 * @tsecr: the TSecr of an ACK that acknowledged new data; 0 for none
 */
void clasp_rtt_sample_ts(struct sock *sk, u32 tsecr)
{
	struct clasp_sock *csk = clasp_sk(sk);
	s32 ms;

	if (!csk->ts_ok || !tsecr)
		return;
	ms = clasp_ts_at(clasp_now(sk), csk->ts_offset) - tsecr;
	if (ms < 0)
		return;
	clasp_rtt_sample(sk, ktime_sub_us(clasp_now(sk), clasp_rtt_echo_us(ms)));
}

/*
 * What a connection that timed out fails with: the last soft error (an
 * ICMP error, say: icmp.c) if one came, as TCP's tcp_write_err().
 */
static int clasp_timeout_errno(const struct sock *sk)
{
	return READ_ONCE(sk->sk_err_soft) ?: ETIMEDOUT;
}

static void clasp_syn_timeout(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 limit = clasp_tun(sk)->syn_retries;

	/* TCP_SYNCNT: our SYN's retries (a SYN-ACK's stay the namespace's). */
	if (sk->sk_state == TCP_SYN_SENT && csk->opt.syn_retries)
		limit = csk->opt.syn_retries;
	if (csk->retransmits >= limit || clasp_user_timed_out(sk)) {
		clasp_sk_stats_inc(sk, CLASP_MIB_ABORTONTIMEOUT);
		csk->cause = CLASP_CAUSE_TIMEOUT;
		clasp_reset(sk, clasp_timeout_errno(sk));
		return;
	}
	csk->retransmits++;
	csk->backoff++;
	csk->total_retrans++;
	clasp_sk_stats_inc(sk, CLASP_MIB_RETRANSSEGS);
	clasp_trace_retransmit(sk, csk->iss);
	clasp_send_syn(sk);
	clasp_rtx_arm(sk);
}

static void clasp_timeout_abort(struct sock *sk)
{
	clasp_sk_stats_inc(sk, CLASP_MIB_ABORTONTIMEOUT);
	clasp_sk(sk)->cause = CLASP_CAUSE_TIMEOUT;
	clasp_reset(sk, clasp_timeout_errno(sk));
}

/*
 * The window is closed, or what fits it cannot leave, and nothing is in
 * flight: probe it.  A peer that answers keeps the connection alive (its
 * ACK clears csk->probes), as with TCP; an orphan gives up once the
 * backoff reaches @limit, answered or not, so a peer that never reads
 * cannot hold it forever, and so does a socket with TCP_USER_TIMEOUT once
 * the window stayed closed that long since the first probe
 * (tcp_probe_timer()).  Sending into an open window ends the run
 * (clasp_push()).
 */
static void clasp_window_probe(struct sock *sk, u32 limit)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (!csk->probe_tstamp)
		csk->probe_tstamp = clasp_now(sk);
	else if (csk->opt.user_timeout_ms && clasp_user_timed_out(sk))
		goto abort;
	if (csk->probes >= limit ||
	    (sock_flag(sk, SOCK_DEAD) && csk->backoff >= limit))
		goto abort;
	clasp_send_probe(sk);
	csk->probes++;
	if (csk->backoff < 16)
		csk->backoff++;
	/* Armed to end on time when TCP_USER_TIMEOUT runs out first. */
	clasp_rtx_arm(sk);
	return;
abort:
	clasp_timeout_abort(sk);
}

static void clasp_data_timeout(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_tunables *tun = clasp_tun(sk);
	u32 limit = sock_flag(sk, SOCK_DEAD) ? tun->orphan_retries :
					       tun->retries;
	bool reo = csk->rtx_reo;

	csk->rtx_reo = false;
	if (csk->snd_una == csk->snd_max) {
		struct sk_buff *head = csk->send_head;

		/*
		 * A cork (TCP_CORK, MSG_MORE) held a short segment with
		 * nothing in flight: it goes now, as TCP's probe timer sends
		 * it (tcp_write_wakeup()), the "200 ms ceiling" of tcp(7).
		 */
		if (head && csk->snd_wnd >= min(head->len, csk->mss)) {
			clasp_push_nonagle(sk, CLASP_NAGLE_PUSH);
			if (csk->snd_max != csk->snd_una ||
			    clasp_pacing_holds(sk))
				return;
			/*
			 * It could not leave (its route went with its
			 * device, say): a failed probe, counted and backed
			 * off as TCP's probe timer counts one, so that such
			 * a socket, an orphan above all, ends rather than
			 * trying every RTO for ever.
			 */
		}
		if (head)
			clasp_window_probe(sk, limit);
		return;
	}
	if (reo) {
		clasp_rack_reo_timeout(sk);
		return;
	}
	if (csk->rtx_probe) {
		csk->rtx_probe = false;
		clasp_recovery_probe(sk);
		return;
	}
	/* TCP_USER_TIMEOUT, when set, replaces the count, as TCP's. */
	if (csk->opt.user_timeout_ms ? clasp_user_timed_out(sk) :
				       csk->retransmits >= limit) {
		clasp_timeout_abort(sk);
		return;
	}
	csk->retransmits++;
	if (csk->backoff < 16)
		csk->backoff++;
	clasp_recovery_timeout(sk);
	clasp_rtx_arm(sk);
}

static void clasp_rtx_work(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (!csk->rtx_pending || hrtimer_is_queued(&csk->rtx_timer))
		return;		/* stopped or re-armed since it fired */
	csk->rtx_pending = false;
	switch (sk->sk_state) {
	case TCP_CLOSE:
	case TCP_LISTEN:
		break;
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		clasp_syn_timeout(sk);
		break;
	default:
		clasp_data_timeout(sk);
	}
}

static void clasp_ka_work(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u64 idle_ns, want_ns;

	if (!csk->ka_pending || hrtimer_is_queued(&csk->ka_timer))
		return;
	csk->ka_pending = false;
	if (!sock_flag(sk, SOCK_KEEPOPEN) ||
	    !((1 << sk->sk_state) & CLASP_KA_STATES))
		return;

	idle_ns = ktime_to_ns(ktime_sub(clasp_now(sk), csk->rcv_tstamp));
	want_ns = clasp_ms_to_ns(clasp_ka_idle_ms(sk));
	if (csk->probes)
		want_ns = 0;	/* probing already: the interval decides */
	if (idle_ns < want_ns) {
		clasp_ka_arm(sk, want_ns - idle_ns);
		return;
	}
	/*
	 * TCP_USER_TIMEOUT, when set, replaces the probe count: abort once a
	 * probe went unanswered and the peer was silent that long, as TCP.
	 */
	if (csk->opt.user_timeout_ms ?
	    csk->probes && !clasp_user_timeout_left_us(sk, csk->rcv_tstamp) :
	    csk->probes >= clasp_ka_cnt(sk)) {
		clasp_sk_stats_inc(sk, CLASP_MIB_KEEPALIVEABORTS);
		clasp_send_active_reset(sk, GFP_ATOMIC);
		csk->cause = CLASP_CAUSE_KEEPALIVE;
		clasp_reset(sk, clasp_timeout_errno(sk));
		return;
	}
	if (csk->snd_una == csk->snd_max && !csk->send_head) {
		clasp_send_probe(sk);
		csk->probes++;
		clasp_ka_arm(sk, clasp_ms_to_ns(clasp_ka_intvl_ms(sk)));
	} else {
		/* Data in flight: the retransmission timer watches the peer. */
		clasp_ka_arm(sk, clasp_ms_to_ns(clasp_ka_idle_ms(sk)));
	}
}

static void clasp_timer_fired(struct sock *sk, enum clasp_deferred bit,
			      void (*work)(struct sock *sk))
{
	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk))
		work(sk);
	else if (!test_and_set_bit(bit, &clasp_sk(sk)->deferred))
		sock_hold(sk);
	bh_unlock_sock(sk);
	sock_put(sk);
}

static enum hrtimer_restart clasp_rtx_fire(struct hrtimer *t)
{
	struct clasp_sock *csk = container_of(t, struct clasp_sock, rtx_timer);

	clasp_timer_fired(&csk->inet.sk, CLASP_DEFER_RETRANS, clasp_rtx_work);
	return HRTIMER_NORESTART;
}

static enum hrtimer_restart clasp_ka_fire(struct hrtimer *t)
{
	struct clasp_sock *csk = container_of(t, struct clasp_sock, ka_timer);

	clasp_timer_fired(&csk->inet.sk, CLASP_DEFER_KEEPALIVE, clasp_ka_work);
	return HRTIMER_NORESTART;
}

static void clasp_dack_timer_work(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (!csk->dack_pending || hrtimer_is_queued(&csk->dack_timer))
		return;
	csk->dack_pending = false;
	clasp_dack_work(sk);
}

static enum hrtimer_restart clasp_dack_fire(struct hrtimer *t)
{
	struct clasp_sock *csk = container_of(t, struct clasp_sock, dack_timer);

	clasp_timer_fired(&csk->inet.sk, CLASP_DEFER_DELACK,
			  clasp_dack_timer_work);
	return HRTIMER_NORESTART;
}

/* The pace timer: new data's time to leave has come (pacing.c). */
static void clasp_pace_work(struct sock *sk)
{
	clasp_push_pending(sk);
}

static enum hrtimer_restart clasp_pace_fire(struct hrtimer *t)
{
	struct clasp_sock *csk = container_of(t, struct clasp_sock, pace_timer);

	clasp_timer_fired(&csk->inet.sk, CLASP_DEFER_PACE, clasp_pace_work);
	return HRTIMER_NORESTART;
}

/**
 * clasp_release_cb() - run timer and ICMP work deferred while the owner
 * held the socket (struct proto.release_cb)
 * @sk: the socket, still owned
 */
void clasp_release_cb(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (test_and_clear_bit(CLASP_DEFER_RETRANS, &csk->deferred)) {
		clasp_rtx_work(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(CLASP_DEFER_KEEPALIVE, &csk->deferred)) {
		clasp_ka_work(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(CLASP_DEFER_DELACK, &csk->deferred)) {
		clasp_dack_timer_work(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(CLASP_DEFER_PACE, &csk->deferred)) {
		clasp_pace_work(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(CLASP_DEFER_MTU, &csk->deferred)) {
		clasp_mtu_reduced(sk);
		__sock_put(sk);
	}
}

/**
 * clasp_timers_init() - set up a socket's timers, unarmed
 * @sk: the socket
 */
void clasp_timers_init(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	clasp_hrtimer_setup(&csk->rtx_timer, clasp_rtx_fire,
			    HRTIMER_MODE_REL_SOFT);
	clasp_hrtimer_setup(&csk->ka_timer, clasp_ka_fire, HRTIMER_MODE_REL_SOFT);
	clasp_hrtimer_setup(&csk->dack_timer, clasp_dack_fire,
			    HRTIMER_MODE_REL_SOFT);
	clasp_hrtimer_setup(&csk->pace_timer, clasp_pace_fire,
			    HRTIMER_MODE_REL_SOFT);
}

/**
 * clasp_timers_stop() - stop every timer
 * @sk: the socket, locked
 */
void clasp_timers_stop(struct sock *sk)
{
	clasp_rtx_stop(sk);
	clasp_ka_stop(sk);
	clasp_dack_stop(sk);
	clasp_timer_stop(sk, &clasp_sk(sk)->pace_timer);
}
