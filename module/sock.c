// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: struct proto, the socket calls and the inet_protosw that makes
 * socket(AF_INET, SOCK_STREAM, proto) return a clasp socket.  The calls
 * mirror TCP's: errno values, blocking rules and poll events are TCP's.
 */
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/sockios.h>
#include <asm/ioctls.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/protocol.h>
#include <net/route.h>
#include <net/sock.h>

#include "clasp.h"
#include "compat.h"

static void clasp_write_space(struct sock *sk);

/* Everything after the inet socket: clasp's own, zeroed and ready. */
static void clasp_init_private(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	memset((u8 *)csk + offsetof(struct clasp_sock, entry), 0,
	       sizeof(*csk) - offsetof(struct clasp_sock, entry));
	csk->cn = clasp_pernet(sock_net(sk));
	INIT_LIST_HEAD(&csk->accept_node);
	INIT_LIST_HEAD(&csk->requests);
	INIT_LIST_HEAD(&csk->accept_queue);
	spin_lock_init(&csk->acc_lock);
	clasp_rtxq_init(sk);
	csk->mss = CLASP_DEFAULT_MSS;
	csk->rto_us = clasp_tun(sk)->rto_initial_ms * USEC_PER_MSEC;
	clasp_timers_init(sk);
	clasp_tsq_init(sk);
	clasp_cong_sock_init(sk);
	clasp_stats_inc(sock_net(sk), CLASP_MIB_OBJECTS);
}

static int clasp_init_sock(struct sock *sk)
{
	clasp_init_private(sk);
	clasp_mem_sock_init(sk);
	sk->sk_state = TCP_CLOSE;
	sk->sk_write_space = clasp_write_space;
	/* Room is made by ACKs (clasp_check_space()), not by segments
	 * leaving: sock_wfree() must not wake the socket for each one.
	 */
	sock_set_flag(sk, SOCK_USE_WRITE_QUEUE);
	sock_set_flag(sk, SOCK_RCU_FREE);
	return 0;
}

/**
 * clasp_init_child() - make a fresh clone of a listener a clasp socket
 * @child: the clone, locked, not yet visible to anyone
 */
void clasp_init_child(struct sock *child)
{
	sk_node_init(&child->sk_bind_node);
	child->sk_ack_backlog = 0;
	clasp_init_private(child);
}

/**
 * clasp_set_state() - move a socket to a new TCP_* state
 * @sk: the socket, locked
 * @state: the new state
 *
 * Goes through inet_sk_set_state() so that sock:inet_sock_set_state
 * fires, and keeps CurrEstab, EstabResets and AttemptFails as RFC 1213.
 * Entering CLOSED takes the socket out of the connection table, as
 * tcp_set_state() does: no lookup ever finds a closed socket, so a
 * segment for it goes to whatever holds the 4-tuple next.  (connect()
 * hashes the socket while it still is CLOSED, but owns it until it is
 * SYN_SENT, so no segment meets it in between.)
 */
void clasp_set_state(struct sock *sk, int state)
{
	struct clasp_sock *csk = clasp_sk(sk);
	int old = sk->sk_state;
	struct net *net = sock_net(sk);

	if (old == state)
		return;
	if (state == TCP_ESTABLISHED)
		clasp_stats_inc(net, CLASP_MIB_CURRESTAB);
	if ((old == TCP_ESTABLISHED || old == TCP_CLOSE_WAIT) &&
	    state != TCP_CLOSE_WAIT) {
		clasp_stats_dec(net, CLASP_MIB_CURRESTAB);
		if (state == TCP_CLOSE)
			clasp_stats_inc(net, CLASP_MIB_ESTABRESETS);
	}
	if ((old == TCP_SYN_SENT || old == TCP_SYN_RECV) && state == TCP_CLOSE)
		clasp_stats_inc(net, CLASP_MIB_ATTEMPTFAILS);
	inet_sk_set_state(sk, state);
	if (state == TCP_CLOSE)
		clasp_unhash_conn(sk);
	if (!csk->quiet) {
		struct clasp_entry k = {};

		clasp_sock_tuple(sk, &k);
		clasp_notify_state(net, &k, old, state, csk->cause);
	}
	csk->cause = CLASP_CAUSE_SEGMENT;
}

/**
 * clasp_sock_tuple() - a socket's key: its 4-tuple from the local side,
 * in the family it uses on the wire
 * @sk: the socket
 * @k: its tuple and CLASP_EF_V6 set, the other fields untouched
 */
void clasp_sock_tuple(const struct sock *sk, struct clasp_entry *k)
{
	k->tuple.lport = htons(sk->sk_num ?: ntohs(inet_sk(sk)->inet_sport));
	k->tuple.rport = sk->sk_dport;
#if IS_ENABLED(CONFIG_IPV6)
	if (clasp_sk_v6(sk)) {
		k->flags |= CLASP_EF_V6;
		k->tuple.laddr6 = sk->sk_v6_rcv_saddr;
		k->tuple.raddr6 = sk->sk_v6_daddr;
		return;
	}
#endif
	k->flags &= ~CLASP_EF_V6;
	k->tuple.laddr = sk->sk_rcv_saddr;
	k->tuple.raddr = sk->sk_daddr;
}

/**
 * clasp_kill() - abort a connection with RST, as ss -K does
 * @cn: the namespace's clasp state
 * @k: the connection's key
 *
 * Return: 0, or -ENOENT when there is no such connection.
 */
int clasp_kill(struct clasp_net *cn, const struct clasp_entry *k)
{
	struct clasp_entry *e;
	struct sock *sk;

	rcu_read_lock();
	e = clasp_lookup_live(cn, k);
	if (!e) {
		rcu_read_unlock();
		return -ENOENT;
	}
	if (e->kind == CLASP_ENTRY_REQ) {
		struct clasp_request *req = container_of(e, struct clasp_request, entry);

		rcu_read_unlock();
		clasp_req_abort(req);
		clasp_req_put(req);
		return 0;
	}
	if (e->kind == CLASP_ENTRY_TW) {
		struct clasp_tw *tw = container_of(e, struct clasp_tw, entry);

		clasp_tw_abort(cn, tw);
		rcu_read_unlock();
		return 0;
	}
	sk = &container_of(e, struct clasp_sock, entry)->inet.sk;
	rcu_read_unlock();

	lock_sock(sk);
	if (sk->sk_state != TCP_CLOSE) {
		if (sk->sk_state != TCP_SYN_SENT)
			clasp_send_active_reset(sk, GFP_KERNEL);
		clasp_sk(sk)->cause = CLASP_CAUSE_KILLED;
		clasp_reset(sk, ECONNABORTED);
	}
	release_sock(sk);
	sock_put(sk);
	return 0;
}

static void clasp_purge_write_queue(struct sock *sk)
{
	struct sk_buff *skb;

	clasp_rtxq_purge(sk);
	while ((skb = __skb_dequeue(&sk->sk_write_queue)))
		clasp_wmem_free(sk, skb);
	clasp_sk(sk)->send_head = NULL;
	clasp_sk(sk)->fin_queued = false;
}

/**
 * clasp_destroy_sock() - free what a dead socket holds and drop the last
 * reference of its owner
 * @sk: the socket, locked, orphaned
 */
void clasp_destroy_sock(struct sock *sk)
{
	if (sk->sk_state != TCP_CLOSE)
		clasp_set_state(sk, TCP_CLOSE);
	clasp_timers_stop(sk);
	clasp_cong_stop(sk);
	clasp_put_port(sk);
	clasp_purge_write_queue(sk);
	skb_queue_purge(&sk->sk_receive_queue);
	clasp_ooo_purge(sk);
	clasp_orphan_del(sk);
	clasp_stats_dec(sock_net(sk), CLASP_MIB_OBJECTS);
	sock_put(sk);
}

/**
 * clasp_done() - the connection is over: CLOSED, out of the table
 * @sk: the socket, locked
 *
 * Wakes the owner, or frees an orphan.
 */
void clasp_done(struct sock *sk)
{
	clasp_set_state(sk, TCP_CLOSE);
	clasp_timers_stop(sk);
	clasp_ooo_purge(sk);
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		clasp_put_port(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (sock_flag(sk, SOCK_DEAD))
		clasp_destroy_sock(sk);
	else
		sk->sk_state_change(sk);
}

/**
 * clasp_reset() - the connection failed: report @err and close
 * @sk: the socket, locked
 * @err: positive errno for the owner (ECONNRESET, ECONNREFUSED, ...)
 */
void clasp_reset(struct sock *sk, int err)
{
	WRITE_ONCE(sk->sk_err, err);
	clasp_purge_write_queue(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
	clasp_done(sk);
}

/**
 * clasp_unread() - bytes in the receive queue not yet read
 * @sk: the socket, locked
 *
 * Return: the count.
 */
u32 clasp_unread(const struct sock *sk)
{
	struct sk_buff *skb;
	u32 n = 0;

	skb_queue_walk(&sk->sk_receive_queue, skb)
		n += skb->len - CLASP_SKB_CB(skb)->offset;
	return n;
}

static void clasp_close(struct sock *sk, long timeout)
{
	struct net *net = sock_net(sk);
	u32 unread;

	lock_sock(sk);
	sock_hold(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	clasp_sk(sk)->cause = CLASP_CAUSE_USER;

	if (sk->sk_state == TCP_LISTEN) {
		clasp_set_state(sk, TCP_CLOSE);
		clasp_listen_del(sk);
		clasp_listen_stop(sk);
		goto orphan;
	}
	unread = clasp_unread(sk);
	skb_queue_purge(&sk->sk_receive_queue);
	clasp_ooo_purge(sk);

	switch (sk->sk_state) {
	case TCP_CLOSE:
		break;
	case TCP_SYN_SENT:
		clasp_set_state(sk, TCP_CLOSE);
		break;
	default:
		if (unread || (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
			/* RFC 9293 3.10.4 (and 2525 2.17): abort, not FIN. */
			clasp_stats_inc(net, unread ? CLASP_MIB_ABORTONCLOSE :
						      CLASP_MIB_ABORTONLINGER);
			if (sk->sk_state != TCP_SYN_RECV)
				clasp_send_active_reset(sk, GFP_KERNEL);
			clasp_set_state(sk, TCP_CLOSE);
			break;	/* nothing to linger for */
		}
		if (sk->sk_state == TCP_ESTABLISHED ||
		    sk->sk_state == TCP_SYN_RECV) {
			clasp_set_state(sk, TCP_FIN_WAIT1);
			clasp_queue_fin(sk);
		} else if (sk->sk_state == TCP_CLOSE_WAIT) {
			clasp_set_state(sk, TCP_LAST_ACK);
			clasp_queue_fin(sk);
		}
		if (sock_flag(sk, SOCK_LINGER) && sk->sk_lingertime)
			sk_stream_wait_close(sk, timeout);
	}

orphan:
	sock_orphan(sk);
	if (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_FIN_WAIT2 &&
	    clasp_orphan_add(sk)) {
		/* Past max_orphans: reset it rather than let it linger. */
		clasp_stats_inc(net, CLASP_MIB_ABORTONMEMORY);
		clasp_send_active_reset(sk, GFP_KERNEL);
		clasp_set_state(sk, TCP_CLOSE);
	}
	if (sk->sk_state == TCP_CLOSE)
		clasp_destroy_sock(sk);
	else if (sk->sk_state == TCP_FIN_WAIT2)
		clasp_time_wait(sk, TCP_FIN_WAIT2);
	release_sock(sk);
	sock_put(sk);
}

static int clasp_disconnect(struct sock *sk, int flags)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	int old = sk->sk_state;

	csk->cause = CLASP_CAUSE_USER;
	if (old == TCP_LISTEN) {
		clasp_set_state(sk, TCP_CLOSE);
		clasp_listen_del(sk);
		clasp_listen_stop(sk);
	} else if (old != TCP_CLOSE) {
		if (old != TCP_SYN_SENT)
			clasp_send_active_reset(sk, GFP_KERNEL);
		clasp_set_state(sk, TCP_CLOSE);
	}
	clasp_timers_stop(sk);
	clasp_purge_write_queue(sk);
	skb_queue_purge(&sk->sk_receive_queue);
	clasp_ooo_purge(sk);
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		clasp_put_port(sk);
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK)) {
		inet->inet_saddr = 0;
		inet->inet_rcv_saddr = 0;
	}
	inet->inet_dport = 0;
	inet->inet_daddr = 0;
	WRITE_ONCE(sk->sk_shutdown, 0);
	sock_reset_flag(sk, SOCK_DONE);
	csk->snd_una = 0;
	csk->snd_nxt = 0;
	csk->snd_max = 0;
	csk->write_seq = 0;
	csk->pushed_seq = 0;
	csk->max_snd_wnd = 0;
	csk->rcv_nxt = 0;
	csk->rcv_wnd = 0;
	csk->rcv_wup = 0;
	csk->snd_wscale = 0;
	csk->rcv_wscale = 0;
	csk->wscale_ok = false;
	csk->ts_ok = false;
	csk->sack_ok = false;
	csk->retransmits = 0;
	csk->backoff = 0;
	csk->srtt_us = 0;
	csk->rto_us = clasp_tun(sk)->rto_initial_ms * USEC_PER_MSEC;
	/* TCP_INFO's counts start again, as tcp_disconnect() has them. */
	csk->segs_out = 0;
	csk->segs_in = 0;
	csk->data_segs_out = 0;
	csk->data_segs_in = 0;
	csk->bytes_sent = 0;
	csk->bytes_retrans = 0;
	csk->rcv_ooopack = 0;
	csk->probe_tstamp = 0;
	/*
	 * A new connection starts in quick-ACK mode again (ack.c), out of
	 * interactive mode, as inet_csk_delack_init() leaves TCP's.
	 */
	WRITE_ONCE(csk->opt.pingpong, false);
	csk->ack_sched = false;
	csk->ack_now = false;
	csk->ack_pushed = false;
	csk->quick = 0;
	csk->ato_us = 0;
	csk->rcv_mss = 0;
	csk->nagle_push = false;
	sk_dst_reset(sk);
	return 0;
}

/**
 * clasp_connect_start() - send the SYN of a socket routed and hashed
 * @sk: the socket, locked, its addresses, port and route set
 * @iss: the initial sequence number clasp_connect_bind() set, 0 for a
 *	fresh one
 */
void clasp_connect_start(struct sock *sk, u32 iss)
{
	struct clasp_net *cn = clasp_pernet(sock_net(sk));
	struct clasp_sock *csk = clasp_sk(sk);

	csk->mss = clasp_adv_mss(sk);
	csk->iss = iss ?: clasp_isn(cn, &csk->entry);
	/* What our SYN offers; the peer's SYN-ACK settles it. */
	csk->wscale_ok = READ_ONCE(cn->tun.window_scaling);
	csk->rcv_wscale = csk->wscale_ok ? clasp_choose_wscale(sk) : 0;
	csk->snd_wscale = 0;
	csk->ts_ok = READ_ONCE(cn->tun.timestamps);
	csk->ts_offset = clasp_ts_offset(cn, &csk->entry);
	csk->ts_recent = 0;
	csk->ts_recent_stamp = 0;
	csk->sack_ok = READ_ONCE(cn->tun.sack);
	csk->snd_una = csk->iss;
	csk->snd_nxt = csk->iss + 1;
	csk->snd_max = csk->snd_nxt;
	csk->write_seq = csk->snd_nxt;
	csk->pushed_seq = csk->write_seq;
	clasp_recovery_init(sk);
	clasp_cong_start(sk);
	clasp_autotune_init(sk);
	csk->retransmits = 0;
	csk->backoff = 0;
	csk->cause = CLASP_CAUSE_USER;
	clasp_set_state(sk, TCP_SYN_SENT);
	clasp_sk_stats_inc(sk, CLASP_MIB_ACTIVEOPENS);
	clasp_send_syn(sk);
	clasp_rtx_arm(sk);
}

/**
 * clasp_connect4() - connect to an IPv4 address: route, port, SYN
 * @sk: the socket, locked, in CLOSE (AF_INET, or AF_INET6 connecting to a
 *	v4-mapped address, its sk_v6_daddr set to it)
 * @usin: the address
 *
 * Return: 0 or a negative errno, the socket left unconnected.
 */
int clasp_connect4(struct sock *sk, const struct sockaddr_in *usin)
{
	struct inet_sock *inet = inet_sk(sk);
	__be16 orig_sport, orig_dport;
	struct flowi4 *fl4;
	struct rtable *rt;
	u32 iss;
	int err;

	orig_sport = inet->inet_sport;
	orig_dport = usin->sin_port;
	fl4 = &inet->cork.fl.u.ip4;
	rt = ip_route_connect(fl4, usin->sin_addr.s_addr, inet->inet_saddr,
			      sk->sk_bound_dev_if, clasp_proto, orig_sport,
			      orig_dport, sk);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (rt->rt_flags & (RTCF_MULTICAST | RTCF_BROADCAST)) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}
	if (!inet->inet_saddr)
		inet->inet_saddr = fl4->saddr;
	inet->inet_rcv_saddr = inet->inet_saddr;
	inet->inet_dport = usin->sin_port;
	inet->inet_daddr = fl4->daddr;

	err = clasp_connect_bind(sk, &iss);
	if (err)
		goto failure;
	rt = ip_route_newports(fl4, rt, orig_sport, orig_dport,
			       inet->inet_sport, inet->inet_dport, sk);
	if (IS_ERR(rt)) {
		err = PTR_ERR(rt);
		rt = NULL;
		goto unhash;
	}
	sk->sk_gso_type = CLASP_GSO_TYPE;
	sk_setup_caps(sk, &rt->dst);
	clasp_connect_start(sk, iss);
	return 0;

unhash:
	clasp_unhash_conn(sk);
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
		clasp_put_port(sk);
failure:
	ip_rt_put(rt);
	inet->inet_dport = 0;
	inet->inet_daddr = 0;
	return err;
}

static int clasp_connect(struct sock *sk, struct sockaddr *uaddr, int len)
{
	struct sockaddr_in *usin = (struct sockaddr_in *)uaddr;

	if (len < sizeof(*usin))
		return -EINVAL;
	if (usin->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	if (sk->sk_state != TCP_CLOSE)
		return -EISCONN;
	return clasp_connect4(sk, usin);
}

static void clasp_shutdown(struct sock *sk, int how)
{
	if (!(how & SEND_SHUTDOWN))
		return;
	clasp_sk(sk)->cause = CLASP_CAUSE_USER;
	if (sk->sk_state == TCP_ESTABLISHED) {
		clasp_set_state(sk, TCP_FIN_WAIT1);
		clasp_queue_fin(sk);
	} else if (sk->sk_state == TCP_CLOSE_WAIT) {
		clasp_set_state(sk, TCP_LAST_ACK);
		clasp_queue_fin(sk);
	}
}

static int clasp_hash(struct sock *sk)
{
	return 0;
}

static void clasp_unhash(struct sock *sk)
{
	clasp_unhash_conn(sk);
}

/* Wait for a connection to accept; called and returns with @sk locked. */
static int clasp_wait_for_child(struct sock *sk, long *timeo)
{
	struct clasp_sock *csk = clasp_sk(sk);
	DEFINE_WAIT(wait);
	int err;

	for (;;) {
		prepare_to_wait_exclusive(sk_sleep(sk), &wait,
					  TASK_INTERRUPTIBLE);
		release_sock(sk);
		if (list_empty(&csk->accept_queue))
			*timeo = schedule_timeout(*timeo);
		lock_sock(sk);
		err = 0;
		if (!list_empty(&csk->accept_queue))
			break;
		err = -EINVAL;
		if (sk->sk_state != TCP_LISTEN)
			break;
		err = sock_intr_errno(*timeo);
		if (signal_pending(current))
			break;
		err = -EAGAIN;
		if (!*timeo)
			break;
	}
	finish_wait(sk_sleep(sk), &wait);
	return err;
}

static struct sock *clasp_accept(CLASP_ACCEPT_ARGS)
{
	struct sock *child = NULL;
	long timeo;
	int error;

	lock_sock(sk);
	error = -EINVAL;
	if (sk->sk_state != TCP_LISTEN)
		goto out;
	timeo = sock_rcvtimeo(sk, clasp_accept_flags() & O_NONBLOCK);
	while (!(child = clasp_accept_dequeue(sk))) {
		error = -EAGAIN;
		if (!timeo)
			goto out;
		error = clasp_wait_for_child(sk, &timeo);
		if (error)
			goto out;
	}
	error = 0;
out:
	release_sock(sk);
	if (error)
		clasp_accept_set_err(error);
	return child;
}

/*
 * Wake writers once there is room, as sk_stream_write_space(): buffer
 * space, and with TCP_NOTSENT_LOWAT unsent bytes under half the mark
 * (clasp_stream_memory_free() with wake set), so that a writer woken can
 * write a good amount.  clasp_check_space() calls it after an ACK and
 * what it let us send, when a writer or poller set SOCK_NOSPACE; never
 * sock_wfree(), as SOCK_USE_WRITE_QUEUE is set (as TCP's): a wakeup per
 * segment sent woke a reader asleep on the same queue for nothing.
 */
static void clasp_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct socket_wq *wq;

	if (!sock || !__sk_stream_is_writeable(sk, 1))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
						      EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

/*
 * The push at the end of a write: MSG_MORE corks it, as TCP's tcp_push().
 * Its last segment carries PSH unless the write was corked and less than
 * half the peer's largest window went unmarked (clasp_push_forced()).
 */
static void clasp_push_msg(struct sock *sk, int flags)
{
	if (!(flags & MSG_MORE) || clasp_push_forced(sk))
		clasp_mark_push(sk);
	if (flags & MSG_MORE)
		clasp_push_nonagle(sk, CLASP_NAGLE_CORK);
	else
		clasp_push(sk);
}

/*
 * A write sends what it queued, and takes in what arrived meanwhile,
 * each time a full GSO buffer's worth waits unsent (clasp_tso_segs(): 64
 * KiB on a short path), as tcp_sendmsg_locked() pushes each full skb and
 * looks at its backlog (process_backlog).  While the writer holds the
 * lock, what arrives (the ACKs of what it sent above all) waits in the
 * backlog; a write of megabytes that looked only at its end filled the
 * backlog past its limit (issue 23: 537 to 767 ACKs dropped per 4 MiB
 * between two guests), and the SACK blocks lost with them sent data again.
 */
static int clasp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	int flags = msg->msg_flags;
	size_t copied = 0;
	u32 goal;
	long timeo;
	int err;

	/* No urgent data: refused as by protocols without it (UDP). */
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	lock_sock(sk);
	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT))) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto error;
	}
	clasp_current_mss(sk);	/* new data sized for the route as it is */
	goal = clasp_tso_segs(sk);
	while (copied < size) {
		err = -EPIPE;
		if (sk->sk_err || sk->sk_shutdown & SEND_SHUTDOWN)
			goto error;
		/* No room in the send buffer, or in the memory pool: wait. */
		err = sk_stream_memory_free(sk) ?
		      clasp_queue_data(sk, msg, size - copied,
				       goal * clasp_sk(sk)->mss) : -ENOMEM;
		if (err == -ENOMEM) {
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			clasp_push(sk);
			err = sk_stream_wait_memory(sk, &timeo);
			if (err)
				goto error;
			continue;
		}
		if (err < 0)
			goto error;
		copied += err;
		if (clasp_push_forced(sk))
			clasp_mark_push(sk);
		/* Send what is queued, then take in what arrived meanwhile. */
		if (copied < size && clasp_tso_write_full(sk, goal)) {
			clasp_push_pending(sk);
			sk_flush_backlog(sk);
		}
	}
	clasp_push_msg(sk, flags);
	release_sock(sk);
	return copied;

error:
	if (copied) {
		clasp_push_msg(sk, flags);
		release_sock(sk);
		return copied;
	}
	err = sk_stream_error(sk, flags, err);
	release_sock(sk);
	return err;
}

/*
 * Tell the peer of the room a read made, as tcp_cleanup_rbuf(): when
 * what is left of the window is at most half the window of an empty
 * buffer, and the read at least doubled it (by an MSS at least, or half
 * of what it offers: RFC 1122 4.2.3.3).  A window update for each
 * segment's worth read cost a fast reader about as many ACKs again as
 * its data asked for (issue 18); while half the window is left the
 * sender is not held back, and the next ACK carries the window anyway.
 */
static void clasp_maybe_window_update(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 left = csk->rcv_wup + csk->rcv_wnd - csk->rcv_nxt;
	u32 full, could;

	if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 |
				     TCPF_FIN_WAIT2)))
		return;
	full = clasp_window_clamp(sk, min_t(u32, READ_ONCE(sk->sk_rcvbuf) / 2,
					    CLASP_MAX_WINDOW << csk->rcv_wscale));
	if (2ULL * left > full)
		return;
	could = clasp_rcv_space(sk);
	if (could > left && could >= 2ULL * left &&
	    could - left >= min(csk->mss, could / 2))
		clasp_send_ack(sk);
}

/* Copy from the receive queue; consumes unless @peek.  Returns bytes. */
static int clasp_copy_out(struct sock *sk, struct msghdr *msg, size_t len,
			  size_t skip, bool peek)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *skb, *tmp;
	size_t copied = 0;

	skb_queue_walk_safe(&sk->sk_receive_queue, skb, tmp) {
		struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);
		size_t avail = skb->len - cb->offset, n;

		if (skip >= avail) {
			skip -= avail;
			continue;
		}
		n = min(avail - skip, len - copied);
		if (skb_copy_datagram_msg(skb, cb->offset + skip, msg, n))
			return copied ? copied : -EFAULT;
		copied += n;
		skip = 0;
		if (!peek) {
			cb->offset += n;
			csk->copied_seq += n;
			if (cb->offset == skb->len) {
				__skb_unlink(skb, &sk->sk_receive_queue);
				kfree_skb(skb);
			}
		}
		if (copied == len)
			break;
	}
	return copied;
}

/*
 * Sleep until new data, an error or a shutdown (sk_wait_data() watches the
 * queue's tail, which does not change when data is appended to it).
 */
static void clasp_wait_data(struct sock *sk, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	u32 seen = clasp_sk(sk)->rcv_nxt;

	add_wait_queue(sk_sleep(sk), &wait);
	sk_set_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	sk_wait_event(sk, timeo, READ_ONCE(clasp_sk(sk)->rcv_nxt) != seen ||
		      READ_ONCE(sk->sk_err) ||
		      READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN, &wait);
	sk_clear_bit(SOCKWQ_ASYNC_WAITDATA, sk);
	remove_wait_queue(sk_sleep(sk), &wait);
}

static int clasp_recvmsg_locked(struct sock *sk, struct msghdr *msg,
				size_t len, int flags)
{
	bool peek = flags & MSG_PEEK;
	size_t copied = 0;
	long timeo;
	int target, n;

	if (sk->sk_state == TCP_LISTEN)
		return -ENOTCONN;
	/* No urgent data is ever pending: TCP's answer then (tcp_recv_urg()). */
	if (flags & MSG_OOB)
		return -EINVAL;
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);

	for (;;) {
		n = clasp_copy_out(sk, msg, len - copied, peek ? copied : 0,
				   peek);
		if (n < 0)
			return copied ? copied : n;
		copied += n;
		if (copied >= target || copied == len)
			break;
		if (copied) {
			if (sk->sk_err || sk->sk_state == TCP_CLOSE ||
			    sk->sk_shutdown & RCV_SHUTDOWN || !timeo ||
			    signal_pending(current))
				break;
		} else {
			if (sock_flag(sk, SOCK_DONE))
				break;
			if (sk->sk_err)
				return sock_error(sk);
			if (sk->sk_shutdown & RCV_SHUTDOWN)
				break;
			if (sk->sk_state == TCP_CLOSE)
				return -ENOTCONN;
			if (!timeo)
				return -EAGAIN;
			if (signal_pending(current))
				return sock_intr_errno(timeo);
		}
		if (!peek) {
			clasp_rcvbuf_adjust(sk);
			clasp_ack_read(sk, copied);
			clasp_maybe_window_update(sk);
		}
		clasp_wait_data(sk, &timeo);
	}
	if (!peek) {
		clasp_rcvbuf_adjust(sk);
		clasp_ack_read(sk, copied);
		clasp_maybe_window_update(sk);
	}
	return copied;
}

static int clasp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
			 int flags, int *addr_len)
{
	int ret;

	if (flags & MSG_ERRQUEUE)
		return -EOPNOTSUPP;
	lock_sock(sk);
	ret = clasp_recvmsg_locked(sk, msg, len, flags);
	release_sock(sk);
	return ret;
}

struct proto clasp_prot = {
	.name			= "CLASP",
	.owner			= THIS_MODULE,
	.init			= clasp_init_sock,
	.close			= clasp_close,
	.pre_connect		= clasp_pre_connect,
	.connect		= clasp_connect,
	.disconnect		= clasp_disconnect,
	.accept			= clasp_accept,
	.ioctl			= clasp_ioctl,
	.shutdown		= clasp_shutdown,
	.setsockopt		= clasp_setsockopt,
	.getsockopt		= clasp_getsockopt,
	.keepalive		= clasp_keepalive,
	.stream_memory_free	= clasp_stream_memory_free,
	.sendmsg		= clasp_sendmsg,
	.recvmsg		= clasp_recvmsg,
	.backlog_rcv		= clasp_do_rcv,
	.release_cb		= clasp_release_cb,
	.hash			= clasp_hash,
	.unhash			= clasp_unhash,
	.get_port		= clasp_get_port,
	.obj_size		= sizeof(struct clasp_sock),
	.max_header		= CLASP_MAX_HEADER,
	/* connect() binds itself; send() on an unconnected socket must not. */
	.no_autobind		= true,
};

/**
 * clasp_listen() - proto_ops.listen of both families
 * @sock: the socket
 * @backlog: the accept queue's length
 *
 * Return: 0 or a negative errno.
 */
int clasp_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	struct clasp_sock *csk = clasp_sk(sk);
	int err = -EINVAL;

	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED || sock->type != SOCK_STREAM)
		goto out;
	if (!((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
		goto out;
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	if (sk->sk_state == TCP_CLOSE) {
		/* Checked again: another socket may have begun to listen. */
		err = clasp_get_port(sk, sk->sk_num);
		if (err)
			goto out;
		inet_sk(sk)->inet_sport = htons(sk->sk_num);
		WRITE_ONCE(sk->sk_ack_backlog, 0);
		csk->cause = CLASP_CAUSE_USER;
		clasp_set_state(sk, TCP_LISTEN);
		spin_lock_bh(&csk->acc_lock);
		csk->listening = true;
		spin_unlock_bh(&csk->acc_lock);
		err = clasp_listen_add(sk);
		if (err) {
			spin_lock_bh(&csk->acc_lock);
			csk->listening = false;
			spin_unlock_bh(&csk->acc_lock);
			clasp_set_state(sk, TCP_CLOSE);
			goto out;
		}
	}
	err = 0;
out:
	release_sock(sk);
	return err;
}

/**
 * clasp_poll() - proto_ops.poll of both families, TCP's semantics
 * @file: the file
 * @sock: the socket
 * @wait: the poll table
 *
 * Return: the events ready.
 */
__poll_t clasp_poll(struct file *file, struct socket *sock, poll_table *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = 0;
	u8 shutdown;
	int state;

	/* On the wait queue first, then read: a change that lands in
	 * between wakes us (sock_poll_wait() orders the two).  Reading
	 * first lost that wakeup: an epoll registered just as connect()
	 * completed never saw the socket writable.
	 */
	sock_poll_wait(file, sock, wait);
	shutdown = READ_ONCE(sk->sk_shutdown);
	state = inet_sk_state_load(sk);
	if (state == TCP_LISTEN)
		return list_empty_careful(&clasp_sk(sk)->accept_queue) ?
		       0 : EPOLLIN | EPOLLRDNORM;

	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (state != TCP_SYN_SENT && state != TCP_SYN_RECV) {
		if (!skb_queue_empty_lockless(&sk->sk_receive_queue))
			mask |= EPOLLIN | EPOLLRDNORM;
		if (shutdown & SEND_SHUTDOWN) {
			mask |= EPOLLOUT | EPOLLWRNORM;
		} else if (sk_stream_is_writeable(sk)) {
			mask |= EPOLLOUT | EPOLLWRNORM;
		} else {
			set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
			/* Order NOSPACE before the recheck, pairs with the
			 * write_space wakeup after ACKs free memory.
			 */
			smp_mb__after_atomic();
			if (sk_stream_is_writeable(sk))
				mask |= EPOLLOUT | EPOLLWRNORM;
		}
	}
	if (READ_ONCE(sk->sk_err))
		mask |= EPOLLERR;
	return mask;
}

static const struct proto_ops clasp_stream_ops = {
	.family		= PF_INET,
	.owner		= THIS_MODULE,
	.release	= inet_release,
	.bind		= inet_bind,
	.connect	= inet_stream_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= inet_accept,
	.getname	= inet_getname,
	.poll		= clasp_poll,
	.ioctl		= inet_ioctl,
	.listen		= clasp_listen,
	.shutdown	= inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= inet_sendmsg,
	.recvmsg	= inet_recvmsg,
	.mmap		= sock_no_mmap,
};

static struct inet_protosw clasp_protosw = {
	.type		= SOCK_STREAM,
	.prot		= &clasp_prot,
	.ops		= &clasp_stream_ops,
};

/**
 * clasp_sock_register() - make clasp sockets creatable
 *
 * Return: 0 or -ENOMEM.
 */
int clasp_sock_register(void)
{
	int err;

	err = clasp_request_cache_init();
	if (err)
		return err;
	err = clasp_tw_cache_init();
	if (err) {
		clasp_request_cache_exit();
		return err;
	}
	clasp_protosw.protocol = clasp_proto;
	inet_register_protosw(&clasp_protosw);
	return 0;
}

/**
 * clasp_sock_unregister() - stop new clasp sockets from being created
 *
 * The caches go in clasp_caches_destroy(), after every entry is freed.
 */
void clasp_sock_unregister(void)
{
	inet_unregister_protosw(&clasp_protosw);
}

/**
 * clasp_caches_destroy() - destroy the request and entry caches
 */
void clasp_caches_destroy(void)
{
	clasp_tw_cache_exit();
	clasp_request_cache_exit();
}
