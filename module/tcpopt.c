// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: options of level SOL_TCP, so that programs written for TCP run
 * unchanged.  Ranges, units, rounding and errno are TCP's
 * (do_tcp_setsockopt(), do_tcp_getsockopt()); options clasp has no
 * mechanism for are stored and read back; options it does not offer at
 * all fail with ENOPROTOOPT, as TCP answers an option it does not know.
 * uapi/clasp.h and the README say what each option does in clasp.
 *
 * Also here: TCP_INFO, a struct tcp_info translated from the same
 * snapshot CLASP_INFO and the netlink dump report (clasp_info_fill()),
 * and the small helpers through which the options act elsewhere.
 */
#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "clasp.h"
#include "compat.h"

/*
 * TCP_DEFER_ACCEPT is given in seconds and kept, as by TCP, as a count of
 * SYN-ACK timeouts: the first lasts a second, each next one twice as
 * long, at most 120 s.  A value reads back as the time that count covers.
 */
#define CLASP_DEFER_FIRST_S	1
#define CLASP_DEFER_MAX_S	120

static u8 clasp_defer_secs_to_count(int secs)
{
	int step = CLASP_DEFER_FIRST_S, covered = CLASP_DEFER_FIRST_S;
	u8 n = 1;

	if (secs <= 0)
		return 0;
	while (covered < secs && n < U8_MAX) {
		step = min(step * 2, CLASP_DEFER_MAX_S);
		covered += step;
		n++;
	}
	return n;
}

static int clasp_defer_count_to_secs(u8 n)
{
	int step = CLASP_DEFER_FIRST_S, covered = 0;

	while (n--) {
		covered += step;
		step = min(step * 2, CLASP_DEFER_MAX_S);
	}
	return covered;
}

/* The dupACK threshold of fast retransmit: TCP's default reordering. */

/**
 * clasp_adv_mss() - the MSS clasp announces and uses at most: the route's,
 * lowered by TCP_MAXSEG
 * @sk: the socket, with its route
 *
 * Return: the MSS.
 */
u32 clasp_adv_mss(struct sock *sk)
{
	u32 mss = clasp_route_mss(__sk_dst_get(sk));
	u32 user = READ_ONCE(clasp_sk(sk)->opt.user_mss);

	return user ? min(mss, user) : mss;
}

/**
 * clasp_window_clamp() - a receive window, limited by TCP_WINDOW_CLAMP
 * @sk: the socket
 * @win: the window the buffer allows
 *
 * Return: @win, or the clamp if that is smaller.
 */
u32 clasp_window_clamp(const struct sock *sk, u32 win)
{
	u32 clamp = READ_ONCE(clasp_sk(sk)->opt.window_clamp);

	return clamp ? min(win, clamp) : win;
}

/**
 * clasp_stream_memory_free() - TCP_NOTSENT_LOWAT: room to write only
 * while fewer unsent bytes are queued (struct proto.stream_memory_free)
 * @sk: the socket
 * @wake: 1 when asked for a wakeup: then half the limit, as TCP
 *
 * Return: true when the socket may take more data.
 */
bool clasp_stream_memory_free(const struct sock *sk, int wake)
{
	const struct clasp_sock *csk = clasp_sk(sk);
	u32 lowat = READ_ONCE(csk->opt.notsent_lowat);
	u32 notsent;

	if (!lowat)
		return true;
	notsent = READ_ONCE(csk->write_seq) - READ_ONCE(csk->snd_max);
	return ((u64)notsent << wake) < lowat;
}

/**
 * clasp_defer_ack() - TCP_DEFER_ACCEPT: hold back a handshake's final ACK
 * that carries no data, until the listener's SYN-ACK timer has run out
 * its count (request.c then resends the SYN-ACK, and the next ACK
 * completes the connection)
 * @req: the request, under its listener's acc_lock
 * @seg: the acceptable ACK
 *
 * Return: true to drop @seg and keep the request.
 */
bool clasp_defer_ack(struct clasp_request *req, const struct clasp_seg *seg)
{
	u8 defer = READ_ONCE(clasp_sk(req->listener)->opt.defer_accept);

	if (!defer || seg->end_seq != req->irs + 1 || req->retrans >= defer)
		return false;
	req->acked = true;
	return true;
}

/**
 * clasp_user_timeout_left_us() - what remains of TCP_USER_TIMEOUT
 * @sk: the socket
 * @since: when the wait began (the oldest unacknowledged transmission)
 *
 * Return: microseconds left, 0 when the time is up, U32_MAX without a
 * user timeout.
 */
u32 clasp_user_timeout_left_us(const struct sock *sk, ktime_t since)
{
	u32 ms = READ_ONCE(clasp_sk(sk)->opt.user_timeout_ms);
	s64 left;

	if (!ms)
		return U32_MAX;
	left = (s64)ms * USEC_PER_MSEC - ktime_us_delta(ktime_get(), since);
	return left <= 0 ? 0 : min_t(s64, left, U32_MAX - 1);
}

/* Segments sent and not yet acknowledged: the FIN marker counts. */
static u32 clasp_segs_in_flight(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *skb;
	u32 n = 0;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (skb == csk->send_head)
			break;
		n += clasp_skb_segs(skb);
	}
	return n;
}

/* The sequence space from @start to @end, 0 if @end is not after it. */
static u32 clasp_data_between(u32 start, u32 end)
{
	return (s32)(end - start) > 0 ? end - start : 0;
}

/* Milliseconds since @stamp, 0 for a time that never was. */
static u32 clasp_ms_since(ktime_t stamp)
{
	return stamp ? ktime_ms_delta(ktime_get(), stamp) : 0;
}

/**
 * clasp_tcp_info_fill() - TCP_INFO: clasp_info_fill()'s snapshot, in
 * struct tcp_info's terms; what clasp does not have reads as zero
 * (uapi/clasp.h lists the fields)
 * @sk: the socket, locked
 * @ti: filled in
 */
void clasp_tcp_info_fill(struct sock *sk, struct tcp_info *ti)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct dst_entry *dst = __sk_dst_get(sk);
	u32 data_end = csk->write_seq - (csk->fin_queued ? 1 : 0);
	struct clasp_info ci;
	unsigned long rate;

	memset(ti, 0, sizeof(*ti));
	ti->tcpi_state = sk->sk_state;
	rate = READ_ONCE(sk->sk_pacing_rate);
	ti->tcpi_pacing_rate = rate == ~0UL ? ~0ULL : rate;
	rate = READ_ONCE(sk->sk_max_pacing_rate);
	ti->tcpi_max_pacing_rate = rate == ~0UL ? ~0ULL : rate;
	ti->tcpi_reordering = CLASP_DUPTHRESH;
	if (sk->sk_state == TCP_LISTEN) {
		/* As TCP: the accept queue's length and its limit. */
		ti->tcpi_unacked = READ_ONCE(sk->sk_ack_backlog);
		ti->tcpi_sacked = READ_ONCE(sk->sk_max_ack_backlog);
		return;
	}

	clasp_info_fill(sk, &ci);
	ti->tcpi_ca_state = clasp_ca_state(csk);
	ti->tcpi_retransmits = ci.retransmits;
	ti->tcpi_probes = ci.probes;
	ti->tcpi_backoff = ci.backoff;
	/* TCP's RTO is the backed-off one: the timer's current period. */
	ti->tcpi_rto = clasp_backoff(ci.rto_us, ci.backoff,
				     (u64)clasp_tun(sk)->rto_max_ms * USEC_PER_MSEC);
	ti->tcpi_snd_mss = ci.mss;
	ti->tcpi_advmss = clasp_adv_mss(sk);
	ti->tcpi_rcv_mss = ti->tcpi_advmss;
	ti->tcpi_ato = csk->ato_us;
	ti->tcpi_unacked = clasp_segs_in_flight(sk);
	ti->tcpi_sacked = csk->sacked_out;
	clasp_sack_lost_end(sk, &ti->tcpi_lost);
	ti->tcpi_reordering = csk->reordering;
	/* Segments go again one at a time: at most one is out again. */
	ti->tcpi_retrans = ci.retransmits && ti->tcpi_unacked ? 1 : 0;
	ti->tcpi_last_ack_recv = clasp_ms_since(csk->rcv_tstamp);
	ti->tcpi_last_data_sent = clasp_ms_since(csk->data_sent_tstamp);
	ti->tcpi_last_data_recv = clasp_ms_since(csk->data_rcvd_tstamp);
	ti->tcpi_segs_out = READ_ONCE(csk->segs_out);
	ti->tcpi_segs_in = READ_ONCE(csk->segs_in);
	ti->tcpi_data_segs_out = READ_ONCE(csk->data_segs_out);
	ti->tcpi_data_segs_in = READ_ONCE(csk->data_segs_in);
	ti->tcpi_bytes_sent = READ_ONCE(csk->bytes_sent);
	ti->tcpi_bytes_retrans = READ_ONCE(csk->bytes_retrans);
	ti->tcpi_rcv_ooopack = csk->rcv_ooopack;
	ti->tcpi_rcv_rtt = csk->rcv_rtt_us;
	ti->tcpi_rcv_space = csk->rcvq_space;
	ti->tcpi_pmtu = dst ? dst_mtu(dst) : 0;
	ti->tcpi_rtt = ci.srtt_us;
	ti->tcpi_rttvar = ci.rttvar_us;
	ti->tcpi_snd_ssthresh = csk->cong.ssthresh;
	ti->tcpi_snd_cwnd = csk->cong.cwnd;
	ti->tcpi_total_retrans = ci.total_retrans;
	if (sk->sk_state != TCP_SYN_SENT && sk->sk_state != TCP_CLOSE) {
		/*
		 * Sequence space, as TCP counts it (modulo 2^32 here): what
		 * the peer acknowledged, our SYN included on an active open
		 * and a FIN once acknowledged; what arrived in order after
		 * the peer's SYN, its FIN included.
		 */
		ti->tcpi_bytes_acked = clasp_data_between(ci.iss + csk->passive,
							  ci.snd_una);
		ti->tcpi_bytes_received = clasp_data_between(ci.irs + 1,
							     ci.rcv_nxt);
		ti->tcpi_notsent_bytes = clasp_data_between(csk->snd_max, data_end);
	}
	ti->tcpi_snd_wnd = ci.snd_wnd;
	clasp_tcpi_set_rcv_wnd(ti, ci.rcv_wnd);
	if (ci.options & CLASP_INFO_OPT_TS)
		ti->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (ci.options & CLASP_INFO_OPT_SACK)
		ti->tcpi_options |= TCPI_OPT_SACK;
	if (ci.options & CLASP_INFO_OPT_WSCALE)
		ti->tcpi_options |= TCPI_OPT_WSCALE;
	if (ci.options & CLASP_INFO_OPT_ECN)
		ti->tcpi_options |= TCPI_OPT_ECN;
	if (ci.options & CLASP_INFO_OPT_ECN_SEEN)
		ti->tcpi_options |= TCPI_OPT_ECN_SEEN;
	ti->tcpi_snd_wscale = ci.snd_wscale;
	ti->tcpi_rcv_wscale = ci.rcv_wscale;
}

static int clasp_tcp_info_get(struct sock *sk, char __user *optval,
			      int __user *optlen, int len)
{
	struct tcp_info ti;

	lock_sock(sk);
	clasp_tcp_info_fill(sk, &ti);
	release_sock(sk);
	len = min_t(unsigned int, len, sizeof(ti));
	if (put_user(len, optlen) || copy_to_user(optval, &ti, len))
		return -EFAULT;
	return 0;
}

/* TCP_CONGESTION: the algorithm's name, as much of its 16 bytes as fit. */
static int clasp_tcp_cong_get(struct sock *sk, char __user *optval,
			      int __user *optlen, int len)
{
	char name[CLASP_CA_NAME_MAX];

	memcpy(name, clasp_cong_name(sk), sizeof(name));
	len = min_t(unsigned int, len, sizeof(name));
	if (put_user(len, optlen) || copy_to_user(optval, name, len))
		return -EFAULT;
	return 0;
}

/* TCP_CONGESTION: a name, not an int, read as TCP reads it. */
static int clasp_tcp_cong_set(struct sock *sk, sockptr_t optval,
			      unsigned int optlen)
{
	char name[CLASP_CA_NAME_MAX];
	long n;
	int err;

	if (optlen < 1)
		return -EINVAL;
	n = strncpy_from_sockptr(name, optval,
				 min_t(long, sizeof(name) - 1, optlen));
	if (n < 0)
		return -EFAULT;
	name[n] = 0;
	lock_sock(sk);
	err = clasp_cong_set(sk, name);
	release_sock(sk);
	return err;
}

/**
 * clasp_tcp_getsockopt() - getsockopt() at level SOL_TCP
 * @sk: the socket
 * @optname: the option
 * @optval: where its value goes
 * @optlen: its room, then its length
 *
 * Return: 0, or a negative errno: EINVAL for a negative length,
 * ENOPROTOOPT for an option clasp does not offer.
 */
int clasp_tcp_getsockopt(struct sock *sk, int optname, char __user *optval,
			 int __user *optlen)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_sockopt *opt = &csk->opt;
	int len, val;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	switch (optname) {
	case TCP_INFO:
		return clasp_tcp_info_get(sk, optval, optlen, len);
	case TCP_CONGESTION:
		return clasp_tcp_cong_get(sk, optval, optlen, len);
	case TCP_MAXSEG:
		/* The effective MSS; before a connection, what was asked. */
		val = READ_ONCE(csk->mss);
		if (READ_ONCE(opt->user_mss) &&
		    (1 << READ_ONCE(sk->sk_state)) & (TCPF_CLOSE | TCPF_LISTEN))
			val = READ_ONCE(opt->user_mss);
		break;
	case TCP_NODELAY:
		val = READ_ONCE(opt->nodelay);
		break;
	case TCP_CORK:
		val = READ_ONCE(opt->cork);
		break;
	case TCP_QUICKACK:
		val = !READ_ONCE(opt->pingpong);
		break;
	case TCP_KEEPIDLE:
		val = clasp_ka_idle_ms(sk) / MSEC_PER_SEC;
		break;
	case TCP_KEEPINTVL:
		val = clasp_ka_intvl_ms(sk) / MSEC_PER_SEC;
		break;
	case TCP_KEEPCNT:
		val = clasp_ka_cnt(sk);
		break;
	case TCP_SYNCNT:
		val = READ_ONCE(opt->syn_retries) ?: clasp_tun(sk)->syn_retries;
		break;
	case TCP_USER_TIMEOUT:
		val = READ_ONCE(opt->user_timeout_ms);
		break;
	case TCP_LINGER2:
		val = READ_ONCE(opt->linger2_ms);
		if (val >= 0)
			val = (val ?: clasp_tun(sk)->fin_timeout_ms) / MSEC_PER_SEC;
		break;
	case TCP_DEFER_ACCEPT:
		val = clasp_defer_count_to_secs(READ_ONCE(opt->defer_accept));
		break;
	case TCP_WINDOW_CLAMP:
		/* Unset: none before a connection, then the largest window. */
		val = READ_ONCE(opt->window_clamp);
		if (!val && !((1 << READ_ONCE(sk->sk_state)) &
			      (TCPF_CLOSE | TCPF_LISTEN)))
			val = CLASP_MAX_WINDOW << clasp_sk(sk)->rcv_wscale;
		break;
	case TCP_NOTSENT_LOWAT:
		val = READ_ONCE(opt->notsent_lowat);
		break;
	default:
		/* TCP_CC_INFO included: NewReno keeps nothing to report. */
		return -ENOPROTOOPT;
	}
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

/* TCP_WINDOW_CLAMP: 0 lifts the clamp, before a connection only. */
static int clasp_set_window_clamp(struct sock *sk, int val)
{
	u32 want = val;

	if (!val) {
		if (sk->sk_state != TCP_CLOSE)
			return -EINVAL;
		WRITE_ONCE(clasp_sk(sk)->opt.window_clamp, 0);
		return 0;
	}
	/* As TCP compares it: a negative value is a very large one. */
	if (want < SOCK_MIN_RCVBUF / 2)
		want = SOCK_MIN_RCVBUF / 2;
	WRITE_ONCE(clasp_sk(sk)->opt.window_clamp, want);
	return 0;
}

/* An int option in [@min, @max] or EINVAL. */
static int clasp_in_range(int val, int min, int max)
{
	return val < min || val > max ? -EINVAL : 0;
}

/**
 * clasp_tcp_setsockopt() - setsockopt() at level SOL_TCP
 * @sk: the socket
 * @optname: the option
 * @optval: the new value
 * @optlen: its length
 *
 * Return: 0, or a negative errno: EINVAL for a value shorter than an int
 * or out of TCP's range, ENOPROTOOPT for an option clasp does not offer,
 * ENOENT for a TCP_CONGESTION no algorithm is called.
 */
int clasp_tcp_setsockopt(struct sock *sk, int optname, sockptr_t optval,
			 unsigned int optlen)
{
	struct clasp_sockopt *opt = &clasp_sk(sk)->opt;
	int val, err;

	switch (optname) {
	case TCP_CONGESTION:
		return clasp_tcp_cong_set(sk, optval, optlen);
	case TCP_ULP:
	case TCP_FASTOPEN_KEY:
		return -ENOPROTOOPT;
	}
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;

	lock_sock(sk);
	err = 0;
	switch (optname) {
	case TCP_MAXSEG:
		if (val)
			err = clasp_in_range(val, TCP_MIN_MSS, MAX_TCP_WINDOW);
		if (!err)
			WRITE_ONCE(opt->user_mss, val);
		break;
	case TCP_NODELAY:
		/* Setting it sends what Nagle or a cork holds (TCP_NAGLE_PUSH). */
		WRITE_ONCE(opt->nodelay, !!val);
		if (val) {
			clasp_sk(sk)->nagle_push = true;
			clasp_push_pending(sk);
		}
		break;
	case TCP_CORK:
		/* Uncorking sends what waits, as far as Nagle lets it. */
		WRITE_ONCE(opt->cork, !!val);
		if (!val) {
			if (opt->nodelay)
				clasp_sk(sk)->nagle_push = true;
			clasp_push_pending(sk);
		}
		break;
	case TCP_QUICKACK:
		clasp_ack_quick_set(sk, val);
		break;
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
		err = clasp_in_range(val, 1, optname == TCP_KEEPIDLE ?
					      MAX_TCP_KEEPIDLE : MAX_TCP_KEEPINTVL);
		if (err)
			break;
		clasp_keepalive_time(sk, optname == TCP_KEEPIDLE,
				     val * MSEC_PER_SEC);
		break;
	case TCP_KEEPCNT:
		err = clasp_in_range(val, 1, MAX_TCP_KEEPCNT);
		if (!err)
			WRITE_ONCE(opt->ka_cnt, val);
		break;
	case TCP_SYNCNT:
		err = clasp_in_range(val, 1, MAX_TCP_SYNCNT);
		if (!err)
			WRITE_ONCE(opt->syn_retries, val);
		break;
	case TCP_USER_TIMEOUT:
		err = clasp_in_range(val, 0, INT_MAX);
		if (!err)
			WRITE_ONCE(opt->user_timeout_ms, val);
		break;
	case TCP_LINGER2:
		if (val < 0)
			WRITE_ONCE(opt->linger2_ms, -1);
		else
			WRITE_ONCE(opt->linger2_ms,
				   min(val, (int)(TCP_FIN_TIMEOUT_MAX / HZ)) *
				   MSEC_PER_SEC);
		break;
	case TCP_DEFER_ACCEPT:
		WRITE_ONCE(opt->defer_accept, clasp_defer_secs_to_count(val));
		break;
	case TCP_WINDOW_CLAMP:
		err = clasp_set_window_clamp(sk, val);
		break;
	case TCP_NOTSENT_LOWAT:
		WRITE_ONCE(opt->notsent_lowat, val);
		sk->sk_write_space(sk);
		break;
	default:
		err = -ENOPROTOOPT;
	}
	release_sock(sk);
	return err;
}
