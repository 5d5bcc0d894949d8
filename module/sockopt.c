// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: socket options, ioctls and CLASP_INFO, the socket's view of
 * itself: what a program asks of a connection beyond sending and
 * receiving.  Options of level SOL_TCP go to tcpopt.c, those of levels
 * other than SOL_CLASP and SOL_TCP to IP's.
 */
#include <linux/sockios.h>
#include <asm/ioctls.h>
#include <net/ip.h>
#include <net/sock.h>

#include "clasp.h"
#include "compat.h"

/**
 * clasp_ioctl() - SIOCINQ and SIOCOUTQ, as TCP answers them (struct
 * proto.ioctl)
 * @sk: the socket
 * @cmd: the request
 * @arg: where the answer goes
 *
 * Return: 0, or a negative errno.
 */
int clasp_ioctl(struct sock *sk, int cmd, CLASP_IOCTL_ARG_T arg)
{
	struct clasp_sock *csk = clasp_sk(sk);
	int val;

	switch (cmd) {
	case SIOCINQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		lock_sock(sk);
		val = clasp_unread(sk);
		release_sock(sk);
		break;
	case SIOCOUTQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		val = READ_ONCE(csk->write_seq) - READ_ONCE(csk->snd_una);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return clasp_ioctl_put(arg, val);
}

/*
 * struct clasp_info is ABI: programs built against an older uapi header
 * pass its size.  Fields are only ever appended, and the size of each
 * version is promised here.
 */
static_assert(sizeof(struct clasp_info) == 108);	/* 80 before cwnd */
static_assert(sizeof_field(struct clasp_info, ca_name) == CLASP_CA_NAME_MAX);

/**
 * clasp_info_fill() - what CLASP_INFO and the netlink dump report
 * @sk: the socket, locked
 * @info: filled in
 */
void clasp_info_fill(struct sock *sk, struct clasp_info *info)
{
	struct clasp_sock *csk = clasp_sk(sk);

	memset(info, 0, sizeof(*info));
	info->state = sk->sk_state;
	info->retransmits = csk->retransmits;
	info->backoff = csk->backoff;
	if (csk->rtx_pending) {
		info->timer = CLASP_TIMER_RETRANS;
		info->timer_ms = clasp_timer_remaining_ms(&csk->rtx_timer);
	} else if (csk->ka_pending) {
		info->timer = CLASP_TIMER_KEEPALIVE;
		info->timer_ms = clasp_timer_remaining_ms(&csk->ka_timer);
	} else if (csk->dack_pending) {
		info->timer = CLASP_TIMER_DELACK;
		info->timer_ms = clasp_timer_remaining_ms(&csk->dack_timer);
	}
	info->rto_us = csk->rto_us;
	info->srtt_us = csk->srtt_us;
	info->rttvar_us = csk->rttvar_us;
	info->mss = csk->mss;
	info->peer_mss = csk->peer_mss;
	info->iss = csk->iss;
	info->irs = csk->irs;
	info->snd_una = csk->snd_una;
	info->snd_nxt = csk->snd_nxt;
	info->rcv_nxt = csk->rcv_nxt;
	info->snd_wnd = csk->snd_wnd;
	info->rcv_wnd = csk->rcv_wnd;
	info->total_retrans = csk->total_retrans;
	info->unacked = csk->snd_max - csk->snd_una;
	info->probes = csk->probes;
	info->send_queue = csk->write_seq - csk->snd_una;
	info->recv_queue = clasp_unread(sk);
	info->cwnd = csk->cong.cwnd;
	info->ssthresh = csk->cong.ssthresh;
	if (sk->sk_state != TCP_LISTEN)
		info->in_flight = clasp_cong_pipe(sk, U32_MAX);
	memcpy(info->ca_name, clasp_cong_name(sk), sizeof(info->ca_name));
	if (csk->ts_ok)
		info->options |= CLASP_INFO_OPT_TS;
	if (csk->sack_ok)
		info->options |= CLASP_INFO_OPT_SACK;
	if (csk->ecn & CLASP_ECN_OK)
		info->options |= CLASP_INFO_OPT_ECN;
	if (csk->ecn & CLASP_ECN_SEEN)
		info->options |= CLASP_INFO_OPT_ECN_SEEN;
	if (csk->wscale_ok) {
		info->options |= CLASP_INFO_OPT_WSCALE;
		info->snd_wscale = csk->snd_wscale;
		info->rcv_wscale = csk->rcv_wscale;
	}
}

/**
 * clasp_getsockopt() - SOL_CLASP options; SOL_TCP goes to
 * clasp_tcp_getsockopt(), other levels to IP (struct proto.getsockopt)
 * @sk: the socket
 * @level: the option's level
 * @optname: the option
 * @optval: where its value goes
 * @optlen: its room, then its length
 *
 * Return: 0, or a negative errno.
 */
int clasp_getsockopt(struct sock *sk, int level, int optname,
		     char __user *optval, int __user *optlen)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_info info;
	int len, val;

	if (level == SOL_TCP)
		return clasp_tcp_getsockopt(sk, optname, optval, optlen);
	if (level != SOL_CLASP)
		return ip_getsockopt(sk, level, optname, optval, optlen);
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	switch (optname) {
	case CLASP_INFO:
		lock_sock(sk);
		clasp_info_fill(sk, &info);
		release_sock(sk);
		len = min_t(int, len, sizeof(info));
		if (put_user(len, optlen) || copy_to_user(optval, &info, len))
			return -EFAULT;
		return 0;
	case CLASP_KEEPIDLE_MS:
		val = clasp_ka_idle_ms(sk);
		break;
	case CLASP_KEEPINTVL_MS:
		val = clasp_ka_intvl_ms(sk);
		break;
	case CLASP_KEEPCNT:
		val = clasp_ka_cnt(sk);
		break;
	case CLASP_MAXSEG:
		val = READ_ONCE(csk->mss);
		break;
	default:
		return -ENOPROTOOPT;
	}
	len = min_t(int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

/**
 * clasp_keepalive_time() - set a socket's keepalive idle or interval time,
 * for the options of both levels (CLASP_KEEP*_MS, TCP_KEEPIDLE/INTVL)
 * @sk: the socket, locked
 * @idle: the idle time, else the interval
 * @ms: the time, already range-checked
 */
void clasp_keepalive_time(struct sock *sk, bool idle, u32 ms)
{
	struct clasp_sockopt *opt = &clasp_sk(sk)->opt;

	if (idle)
		WRITE_ONCE(opt->ka_idle_ms, ms);
	else
		WRITE_ONCE(opt->ka_intvl_ms, ms);
	if (sock_flag(sk, SOCK_KEEPOPEN))
		clasp_ka_reset(sk);
}

/**
 * clasp_setsockopt() - SOL_CLASP options; SOL_TCP goes to
 * clasp_tcp_setsockopt(), other levels to IP (struct proto.setsockopt)
 * @sk: the socket
 * @level: the option's level
 * @optname: the option
 * @optval: the new value
 * @optlen: its length
 *
 * Return: 0, or a negative errno.
 */
int clasp_setsockopt(struct sock *sk, int level, int optname,
		     sockptr_t optval, unsigned int optlen)
{
	struct clasp_sock *csk = clasp_sk(sk);
	int val, err = 0;

	if (level == SOL_TCP)
		return clasp_tcp_setsockopt(sk, optname, optval, optlen);
	if (level != SOL_CLASP)
		return ip_setsockopt(sk, level, optname, optval, optlen);
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;

	lock_sock(sk);
	switch (optname) {
	case CLASP_KEEPIDLE_MS:
	case CLASP_KEEPINTVL_MS:
		if (val < 1 || val > 32767 * MSEC_PER_SEC) {
			err = -EINVAL;
			break;
		}
		clasp_keepalive_time(sk, optname == CLASP_KEEPIDLE_MS, val);
		break;
	case CLASP_KEEPCNT:
		if (val < 1 || val > 127)
			err = -EINVAL;
		else
			csk->opt.ka_cnt = val;
		break;
	default:
		err = -ENOPROTOOPT;
	}
	release_sock(sk);
	return err;
}

/**
 * clasp_keepalive() - SO_KEEPALIVE turned on or off (struct
 * proto.keepalive)
 * @sk: the socket, locked
 * @valbool: on
 */
void clasp_keepalive(struct sock *sk, int valbool)
{
	clasp_ka_set(sk, valbool);
}
