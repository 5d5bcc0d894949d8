// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: the passive side of the handshake.
 *
 * A SYN to a listener creates a small request, not a socket: the 4-tuple,
 * both ISNs, the peer's MSS and window and a SYN-ACK retransmission timer.
 * The ACK that completes the handshake turns it into a socket that takes
 * the request's place in the connection table and waits in the listener's
 * accept queue.  The listener's acc_lock guards its requests and queue.
 *
 * Lifetimes.  A request is counted (refcnt): one reference for the
 * connection table while it is linked, one for its SYN-ACK timer while
 * the timer is pending, one for each lookup using it.  The request holds
 * its listener (sock_hold() at creation, sock_put() once the request is
 * freed, after an RCU grace period), and the listener, as every clasp
 * socket, holds the module (sk_alloc() takes proto.owner) until its own
 * destruction, again after a grace period (SOCK_RCU_FREE).  So a running
 * SYN-ACK timer callback, which owns the timer's reference until its last
 * statement, keeps the request, the listener, the namespace and the module
 * alive: the module's refcount cannot reach 0 before the listener is
 * destroyed, which waits for two grace periods after the callback's put,
 * and a grace period cannot end while a timer callback runs (timers run
 * with bottom halves disabled, an RCU read-side section, on PREEMPT_RT
 * too).  That is why clasp_req_unlink() and clasp_req_complete(), which
 * hold the acc_lock the callback takes, may use del_timer() and leave a
 * running callback to drop its own reference; clasp_exit()'s
 * rcu_barrier() then waits for the frees it queued.
 */
#include <linux/slab.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/sock.h>

#include "clasp.h"
#include "compat.h"
#include "trace.h"

/* Requests by family: an IPv4 one is allocated without IPv6's addresses. */
static struct kmem_cache *clasp_req_cache[2] __read_mostly;

static struct kmem_cache *clasp_req_cache_of(bool v6)
{
	return clasp_req_cache[v6];
}

static void clasp_req_free(struct clasp_request *req)
{
	kmem_cache_free(clasp_req_cache_of(clasp_key_v6(&req->entry)), req);
}

static void clasp_req_free_rcu(struct rcu_head *head)
{
	struct clasp_request *req = container_of(head, struct clasp_request, rcu);

	sock_put(req->listener);
	clasp_req_free(req);
}

/**
 * clasp_req_put() - drop a reference on a request
 * @req: the request
 */
void clasp_req_put(struct clasp_request *req)
{
	if (refcount_dec_and_test(&req->refcnt))
		call_rcu(&req->rcu, clasp_req_free_rcu);
}

static u16 clasp_listen_window(const struct sock *lsk)
{
	return clasp_window_clamp(lsk, min_t(u32, READ_ONCE(lsk->sk_rcvbuf) / 2,
					     CLASP_MAX_WINDOW));
}

/* The MSS to announce: the route's, or less if TCP_MAXSEG asks. */
static u16 clasp_listen_mss(const struct sock *lsk)
{
	return READ_ONCE(clasp_sk(lsk)->opt.user_mss) ?: CLASP_MSS_ROUTE;
}

/* The request's timestamp offset: the 4-tuple's, as its socket's will be. */
static u32 clasp_req_ts_offset(const struct clasp_request *req)
{
	return clasp_ts_offset(clasp_pernet(sock_net(req->listener)),
			       &req->entry);
}

/* The options of a request's SYN-ACK: what both ends support. */
static void clasp_req_synack_opts(const struct clasp_request *req,
				  struct clasp_opts *o)
{
	*o = (struct clasp_opts){
		.mss = clasp_listen_mss(req->listener),
		.wscale_ok = req->wscale_ok,
		.wscale = req->rcv_wscale,
		.sack_ok = req->sack_ok,
		.ts_ok = req->ts_ok,
		.tsval = clasp_ts_now(clasp_req_ts_offset(req)),
		.tsecr = req->ts_recent,
	};
}

/*
 * Send @req's SYN-ACK with options @o.  @rtx: the timer resends it
 * (RetransSegs, not OutSegs).  Reads only what never changes once the
 * request exists, so it may run after acc_lock is released.
 */
static void clasp_req_xmit_synack(const struct clasp_request *req,
				  const struct clasp_opts *o, bool rtx)
{
	struct sock *lsk = req->listener;

	clasp_send_ctl_opts(sock_net(lsk), &req->entry, req->iss,
			    req->irs + 1,
			    CLASP_SYN | CLASP_ACK | (req->ecn_ok ? CLASP_ECE : 0),
			    clasp_listen_window(lsk), o, rtx);
}

static void clasp_req_send_synack(struct clasp_request *req, bool rtx)
{
	struct clasp_opts o;

	clasp_req_synack_opts(req, &o);
	clasp_req_xmit_synack(req, &o, rtx);
}

/*
 * What a SYN offers that the namespace's tunables accept, into @req:
 * window scaling (our shift from the listener's buffer), SACK-permitted
 * and timestamps, the SYN's TSval becoming TS.Recent, and ECN.
 */
static void clasp_req_negotiate(struct sock *lsk, struct clasp_request *req,
				const struct sk_buff *skb,
				const struct clasp_seg *seg)
{
	struct clasp_tunables *tun = clasp_tun(lsk);

	req->wscale_ok = seg->wscale_ok && READ_ONCE(tun->window_scaling);
	req->snd_wscale = req->wscale_ok ? seg->wscale : 0;
	req->rcv_wscale = req->wscale_ok ? clasp_choose_wscale(lsk) : 0;
	req->sack_ok = seg->sack_ok && READ_ONCE(tun->sack);
	req->ts_ok = seg->ts_ok && READ_ONCE(tun->timestamps);
	req->ts_recent = req->ts_ok ? seg->tsval : 0;
	req->ts_recent_stamp = (u32)ktime_get_seconds();
	req->ecn_ok = clasp_ecn_req(lsk, skb, seg);
}

static void clasp_req_arm(struct clasp_request *req)
{
	struct clasp_tunables *tun = clasp_tun(req->listener);
	u64 ms = clasp_backoff(tun->rto_initial_ms, req->retrans,
			       tun->rto_max_ms);

	/* The armed timer's reference: one already if it was pending. */
	refcount_inc(&req->refcnt);
	if (mod_timer(&req->timer, jiffies + msecs_to_jiffies(ms)))
		refcount_dec(&req->refcnt);
}

/* Take a request out of the table and the listener.  Holds acc_lock. */
static void clasp_req_unlink(struct clasp_request *req, u8 cause)
{
	struct sock *lsk = req->listener;

	if (!req->linked)
		return;
	clasp_notify_state(sock_net(lsk), &req->entry, TCP_SYN_RECV,
			   TCP_CLOSE, cause);
	req->linked = false;
	list_del(&req->list);
	clasp_sk(lsk)->nr_requests--;
	clasp_table_remove(clasp_pernet(sock_net(lsk)), &req->entry);
	if (del_timer(&req->timer))
		clasp_req_put(req);
	clasp_stats_dec(sock_net(lsk), CLASP_MIB_OBJECTS);
	clasp_req_put(req);	/* the table's reference */
}

static void clasp_req_timer(struct timer_list *t)
{
	struct clasp_request *req = from_timer(req, t, timer);
	struct clasp_sock *lcsk = clasp_sk(req->listener);
	u8 defer = READ_ONCE(lcsk->opt.defer_accept);
	bool held;

	spin_lock(&lcsk->acc_lock);
	/* TCP_DEFER_ACCEPT held back a bare ACK: wait out the count. */
	held = defer && req->acked;
	if (req->linked && !timer_pending(&req->timer)) {
		if (req->retrans >= clasp_tun(req->listener)->synack_retries &&
		    (!held || req->retrans >= defer)) {
			clasp_req_unlink(req, CLASP_CAUSE_TIMEOUT);
		} else {
			req->retrans++;
			/*
			 * Rearmed before the SYN-ACK leaves: a dump (which
			 * takes no acc_lock) prompted by it sees the next
			 * timeout, never a timer that looks idle.
			 */
			clasp_req_arm(req);
			/* Held: silent until the last, whose answer completes. */
			if (!held || req->retrans >= defer) {
				clasp_stats_inc(sock_net(req->listener),
						CLASP_MIB_RETRANSSEGS);
				trace_clasp_retransmit(&req->entry,
						       req->iss, req->retrans);
				clasp_req_send_synack(req, true);
			}
		}
	}
	spin_unlock(&lcsk->acc_lock);
	clasp_req_put(req);
}

static u32 clasp_syn_backlog(const struct sock *lsk)
{
	return min_t(u32, READ_ONCE(lsk->sk_max_ack_backlog),
		     clasp_tun(lsk)->max_syn_backlog);
}

/* Answer a SYN with a cookie and forget it (RFC 4987 section 3.6). */
static void clasp_listen_cookie(struct sock *lsk, struct sk_buff *skb,
				const struct clasp_seg *seg)
{
	struct clasp_net *cn = clasp_pernet(sock_net(lsk));
	struct clasp_request tmp = { .listener = lsk };
	struct clasp_opts o;
	u32 cookie;

	clasp_key_of(skb, &tmp.entry);
	/*
	 * What the SYN offered survives only in our TSval, which the ACK
	 * echoes: without timestamps, a cookie connection has no window
	 * scaling and no SACK (as Linux's).
	 */
	clasp_req_negotiate(lsk, &tmp, skb, seg);
	if (!tmp.ts_ok) {
		tmp.wscale_ok = false;
		tmp.rcv_wscale = 0;
		tmp.sack_ok = false;
		tmp.ecn_ok = false;
	}
	cookie = clasp_cookie_make(cn, &tmp.entry, seg->seq, seg->mss);
	trace_clasp_cookie_sent(&tmp.entry, cookie, seg->mss);
	WRITE_ONCE(clasp_sk(lsk)->cookie_stamp, jiffies);
	clasp_stats_inc(cn->net, CLASP_MIB_SYNCOOKIESSENT);
	clasp_req_synack_opts(&tmp, &o);
	if (tmp.ts_ok)
		o.tsval = clasp_cookie_tsval(&tmp, clasp_req_ts_offset(&tmp));
	clasp_send_ctl_opts(cn->net, &tmp.entry, cookie, seg->seq + 1,
			    CLASP_SYN | CLASP_ACK | (tmp.ecn_ok ? CLASP_ECE : 0),
			    clasp_listen_window(lsk), &o, false);
}

/* The SYN queue is full; say so once per listener, as TCP does. */
static void clasp_synflood_warn(struct sock *lsk, bool cookies)
{
	struct clasp_sock *lcsk = clasp_sk(lsk);

	if (lcsk->synflood_warned)
		return;
	lcsk->synflood_warned = true;
	net_info_ratelimited("clasp: possible SYN flooding on port %u. %s.\n",
			     lsk->sk_num,
			     cookies ? "Sending cookies" : "Dropping request");
}

/*
 * A SYN for a listener: make a request and answer with a SYN-ACK, or with
 * a cookie when the SYN queue is full (syncookies=1) or always (=2).
 * acc_lock covers the decision and the request's linking; the answer is
 * built and sent after it, as TCP sends its SYN-ACK holding no lock of
 * the listener's.
 */
static void clasp_listen_syn(struct sock *lsk, struct sk_buff *skb,
			     const struct clasp_seg *seg)
{
	struct clasp_net *cn = clasp_pernet(sock_net(lsk));
	struct clasp_sock *lcsk = clasp_sk(lsk);
	u32 mode = READ_ONCE(cn->tun.syncookies);
	struct clasp_request *req;
	struct clasp_opts o;
	bool full;

	spin_lock_bh(&lcsk->acc_lock);
	if (!lcsk->listening)
		goto unlock;
	if (sk_acceptq_is_full(lsk)) {
		clasp_stats_inc(cn->net, CLASP_MIB_LISTENOVERFLOWS);
		goto drop;
	}
	full = lcsk->nr_requests >= clasp_syn_backlog(lsk);
	if (full && mode == 1)
		clasp_stats_inc(cn->net, CLASP_MIB_REQQFULLDOCOOKIES);
	if (full) {
		clasp_synflood_warn(lsk, mode != 0);
		clasp_notify_listener(cn->net, CLASP_CMD_EVENT_SYNFLOOD, lsk,
				      &lcsk->synflood_stamp);
	}
	if (mode == 2 || (full && mode == 1)) {
		spin_unlock_bh(&lcsk->acc_lock);
		clasp_listen_cookie(lsk, skb, seg);
		return;
	}
	if (full) {
		clasp_stats_inc(cn->net, CLASP_MIB_REQQFULLDROP);
		goto drop;
	}
	req = kmem_cache_zalloc(clasp_req_cache_of(clasp_skb_v6(skb)),
				GFP_ATOMIC);
	if (!req)
		goto drop;
	req->entry.kind = CLASP_ENTRY_REQ;
	req->entry.state = TCP_SYN_RECV;
	clasp_key_of(skb, &req->entry);
	req->listener = lsk;
	req->irs = seg->seq;
	req->iss = CLASP_SKB_CB(skb)->seq ?: clasp_isn(cn, &req->entry);
	req->peer_mss = seg->mss ?: CLASP_DEFAULT_MSS;
	req->snd_wnd = seg->wnd;
	clasp_req_negotiate(lsk, req, skb, seg);
	refcount_set(&req->refcnt, 1);
	timer_setup(&req->timer, clasp_req_timer, 0);
	if (clasp_table_insert(cn, &req->entry)) {
		clasp_req_free(req);
		goto unlock;
	}
	sock_hold(lsk);
	req->linked = true;
	list_add_tail(&req->list, &lcsk->requests);
	lcsk->nr_requests++;
	clasp_stats_inc(cn->net, CLASP_MIB_PASSIVEOPENS);
	clasp_stats_inc(cn->net, CLASP_MIB_OBJECTS);
	clasp_notify_state(cn->net, &req->entry, TCP_LISTEN, TCP_SYN_RECV,
			   CLASP_CAUSE_SEGMENT);
	clasp_req_arm(req);
	clasp_req_synack_opts(req, &o);
	/* Ours until the SYN-ACK is out: the request may complete meanwhile. */
	refcount_inc(&req->refcnt);
	spin_unlock_bh(&lcsk->acc_lock);
	clasp_req_xmit_synack(req, &o, false);
	clasp_req_put(req);
	return;
drop:
	clasp_stats_inc(cn->net, CLASP_MIB_LISTENDROPS);
unlock:
	spin_unlock_bh(&lcsk->acc_lock);
}

static int clasp_child_route(struct sock *child)
{
	struct inet_sock *inet = inet_sk(child);
	struct flowi4 *fl4 = &inet->cork.fl.u.ip4;
	struct rtable *rt;

	flowi4_init_output(fl4, child->sk_bound_dev_if, child->sk_mark, 0,
			   RT_SCOPE_UNIVERSE, clasp_proto, 0, inet->inet_daddr,
			   inet->inet_saddr, inet->inet_dport, inet->inet_sport,
			   sock_i_uid(child));
	rt = ip_route_output_flow(sock_net(child), fl4, child);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	child->sk_gso_type = CLASP_GSO_TYPE;
	sk_setup_caps(child, &rt->dst);
	return 0;
}

/* A clone not yet in any table or queue: it just goes away, raw. */
static void clasp_child_discard(struct sock *child)
{
	clasp_stats_dec(sock_net(child), CLASP_MIB_OBJECTS);
	clasp_mem_clone_discard(child);
	sk_free_unlock_clone(child);
}

/*
 * The socket a completed handshake becomes, locked, or NULL; @skb is the
 * segment that completed it.
 */
static struct sock *clasp_create_child(struct sock *lsk,
				       const struct clasp_request *req,
				       const struct sk_buff *skb)
{
	const struct clasp_entry *k = &req->entry;
	struct clasp_sock *csk;
	struct inet_sock *inet;
	struct sock *child;

	child = sk_clone_lock(lsk, GFP_ATOMIC);
	if (!child)
		return NULL;
	clasp_init_child(child);
	clasp_mem_child_init(lsk, child);
	csk = clasp_sk(child);
	/* Options set on the listener hold for its children, as TCP's. */
	csk->opt = clasp_sk(lsk)->opt;
	csk->opt.defer_accept = 0;
	inet = inet_sk(child);
	if (!clasp_key_v6(k)) {
		inet->inet_daddr = k->tuple.raddr;
		inet->inet_rcv_saddr = k->tuple.laddr;
		inet->inet_saddr = k->tuple.laddr;
	}
	if (child->sk_family == AF_INET6)
		clasp_v6_child_init(child, k, clasp_iif(skb));
	inet->inet_dport = k->tuple.rport;
	inet->inet_sport = k->tuple.lport;
	inet->inet_num = ntohs(k->tuple.lport);
	if (clasp_key_v6(k) ? clasp_v6_child_route(child) :
			      clasp_child_route(child)) {
		/* Not yet in any table: the raw clone just goes away. */
		clasp_child_discard(child);
		return NULL;
	}
	csk->passive = true;
	csk->iss = req->iss;
	csk->irs = req->irs;
	csk->snd_una = req->iss + 1;
	csk->snd_nxt = csk->snd_una;
	csk->snd_max = csk->snd_una;
	csk->write_seq = csk->snd_una;
	csk->pushed_seq = csk->write_seq;
	clasp_recovery_init(child);
	clasp_cong_start(child);
	clasp_autotune_init(child);
	clasp_set_snd_wnd(csk, req->snd_wnd);
	csk->snd_wl1 = req->irs;
	csk->snd_wl2 = csk->snd_una;
	csk->rcv_nxt = req->irs + 1;
	csk->copied_seq = csk->rcv_nxt;
	csk->rcv_wup = csk->rcv_nxt;
	csk->rcv_wnd = clasp_listen_window(lsk);
	csk->wscale_ok = req->wscale_ok;
	csk->snd_wscale = req->snd_wscale;
	csk->rcv_wscale = req->rcv_wscale;
	csk->sack_ok = req->sack_ok;
	csk->ts_ok = req->ts_ok;
	csk->ecn = req->ecn_ok ? CLASP_ECN_OK : 0;
	csk->ts_recent = req->ts_recent;
	csk->ts_recent_stamp = req->ts_recent_stamp;
	csk->ts_offset = clasp_req_ts_offset(req);
	csk->peer_mss = req->peer_mss;
	clasp_sync_mss(child, __sk_dst_get(child));
	csk->rcv_tstamp = ktime_get();
	csk->data_sent_tstamp = csk->rcv_tstamp;
	csk->data_rcvd_tstamp = csk->rcv_tstamp;
	/* The SYN, as TCP's child counts it; the final ACK comes next. */
	csk->segs_in = 1;
	child->sk_state = TCP_SYN_RECV;
	return child;
}

/*
 * Make a completed connection visible: in the table (in the request's
 * slot if @replace, else a new one for a cookie connection described by
 * @req), on the listener's port, in its accept queue.
 * Holds acc_lock; @child is locked.  Returns false if the slot is taken.
 */
static bool clasp_child_publish(struct sock *lsk, struct sock *child,
				struct clasp_request *req, bool replace)
{
	struct clasp_net *cn = clasp_pernet(sock_net(lsk));
	struct clasp_sock *csk = clasp_sk(child);
	int err;

	csk->entry.kind = CLASP_ENTRY_SOCK;
	clasp_key_copy(&csk->entry, &req->entry);
	if (replace)
		err = clasp_table_replace(cn, &req->entry, &csk->entry);
	else
		err = clasp_table_insert(cn, &csk->entry);
	if (err)
		return false;
	csk->hashed = true;		/* the clone's second reference */
	clasp_inherit_port(child, lsk);
	clasp_set_state(child, TCP_ESTABLISHED);
	clasp_ka_reset(child);
	list_add_tail(&csk->accept_node, &clasp_sk(lsk)->accept_queue);
	sk_acceptq_added(lsk);
	return true;
}

/*
 * The accept queue is full: the ACK is dropped and counted.  A request's
 * is reset if so configured (tcp_check_req()); a cookie's never, as in
 * TCP, whose cookie_v4_check() drops it when no socket could be made.
 */
static void clasp_accept_overflow(struct sock *lsk, struct sk_buff *skb,
				  bool request)
{
	clasp_notify_listener(sock_net(lsk), CLASP_CMD_EVENT_OVERFLOW, lsk,
			      &clasp_sk(lsk)->overflow_stamp);
	clasp_stats_inc(sock_net(lsk), CLASP_MIB_LISTENOVERFLOWS);
	clasp_stats_inc(sock_net(lsk), CLASP_MIB_LISTENDROPS);
	if (request && clasp_tun(lsk)->abort_on_overflow)
		clasp_send_reset(sock_net(lsk), skb);
}

/*
 * What a child is made from, copied under acc_lock: TS.Recent may change
 * under it while the child is built without it.
 */
static void clasp_req_snapshot(const struct clasp_request *req,
			       struct clasp_request *snap)
{
	*snap = (struct clasp_request){
		.listener = req->listener,
		.iss = req->iss,
		.irs = req->irs,
		.ts_recent = req->ts_recent,
		.ts_recent_stamp = req->ts_recent_stamp,
		.peer_mss = req->peer_mss,
		.snd_wnd = req->snd_wnd,
		.snd_wscale = req->snd_wscale,
		.rcv_wscale = req->rcv_wscale,
		.wscale_ok = req->wscale_ok,
		.ts_ok = req->ts_ok,
		.sack_ok = req->sack_ok,
		.ecn_ok = req->ecn_ok,
	};
	clasp_key_copy(&snap->entry, &req->entry);
}

/*
 * The final ACK arrived: request to socket.  The child is built from
 * @snap without acc_lock (a clone, a route, its state), as TCP builds its
 * child holding no lock of the listener's; then, under the lock, it takes
 * the request's slot if the request is still there.  Another CPU may have
 * completed the request meanwhile with the next segment, or it may have
 * been dropped: then this child goes, and @skb is looked up again, for
 * whoever holds the 4-tuple now.  Returns the child, locked, or NULL with
 * @skb consumed.
 */
static struct sock *clasp_req_complete(struct clasp_request *req,
				       const struct clasp_request *snap,
				       struct sk_buff *skb)
{
	struct sock *lsk = req->listener;
	struct clasp_sock *lcsk = clasp_sk(lsk);
	struct sock *child;

	child = clasp_create_child(lsk, snap, skb);
	if (!child) {
		kfree_skb(skb);
		return NULL;
	}
	spin_lock_bh(&lcsk->acc_lock);
	if (!req->linked) {
		spin_unlock_bh(&lcsk->acc_lock);
		clasp_child_discard(child);
		clasp_rcv_lookup(sock_net(lsk), skb);
		return NULL;
	}
	if (sk_acceptq_is_full(lsk)) {
		clasp_accept_overflow(lsk, skb, true);
		if (clasp_tun(lsk)->abort_on_overflow)
			clasp_req_unlink(req, CLASP_CAUSE_USER);
		goto discard;
	}
	if (!clasp_child_publish(lsk, child, req, true))
		goto discard;
	/* The socket has the request's slot: retire the request. */
	req->linked = false;
	list_del(&req->list);
	lcsk->nr_requests--;
	if (del_timer(&req->timer))
		clasp_req_put(req);
	clasp_stats_dec(sock_net(lsk), CLASP_MIB_OBJECTS);
	clasp_req_put(req);
	spin_unlock_bh(&lcsk->acc_lock);
	return child;
discard:
	spin_unlock_bh(&lcsk->acc_lock);
	clasp_child_discard(child);
	kfree_skb(skb);
	return NULL;
}

/* Hand the segment that completed a handshake to the new socket. */
static void clasp_child_rcv(struct sock *lsk, struct sock *child,
			    struct sk_buff *skb)
{
	/* Data or FIN riding on the final ACK belongs to the child. */
	sock_hold(child);
	clasp_do_rcv(child, skb);
	bh_unlock_sock(child);
	sock_put(child);
	lsk->sk_data_ready(lsk);
}

/* Cookies are checked only while the listener may have sent some. */
static bool clasp_cookie_expected(const struct sock *lsk)
{
	struct clasp_tunables *tun = clasp_tun(lsk);
	unsigned long since = READ_ONCE(clasp_sk(lsk)->cookie_stamp);

	if (tun->syncookies == 2)
		return true;
	return tun->syncookies == 1 && since &&
	       time_before(jiffies, since + 2 * msecs_to_jiffies(tun->syncookie_period_ms));
}

/* An ACK to a listener that may return a SYN cookie.  Consumes @skb. */
static int clasp_cookie_ack(struct sock *lsk, struct sk_buff *skb,
			    const struct clasp_seg *seg)
{
	struct clasp_net *cn = clasp_pernet(sock_net(lsk));
	struct clasp_sock *lcsk = clasp_sk(lsk);
	struct clasp_request tmp = { .listener = lsk };
	bool published = false;
	struct sock *child;
	u16 mss;

	clasp_key_of(skb, &tmp.entry);
	mss = clasp_cookie_check(cn, &tmp.entry, seg->seq - 1,
				 seg->ack - 1);
	if (!mss) {
		trace_clasp_cookie_failed(&tmp.entry, seg->ack - 1, 0);
		clasp_stats_inc(cn->net, CLASP_MIB_SYNCOOKIESFAILED);
		clasp_send_reset(cn->net, skb);
		kfree_skb(skb);
		return 0;
	}
	trace_clasp_cookie_validated(&tmp.entry, seg->ack - 1, mss);
	/* A valid cookie, whether or not a socket can be made of it. */
	clasp_stats_inc(cn->net, CLASP_MIB_SYNCOOKIESRECV);
	tmp.iss = seg->ack - 1;
	tmp.irs = seg->seq - 1;
	tmp.peer_mss = mss;
	tmp.snd_wnd = seg->wnd;
	/* The ACK echoes our TSval, which carries what the SYN offered. */
	tmp.ts_ok = seg->ts_ok && READ_ONCE(cn->tun.timestamps);
	if (tmp.ts_ok) {
		tmp.ts_recent = seg->tsval;
		tmp.ts_recent_stamp = (u32)ktime_get_seconds();
		clasp_cookie_ts_decode(&tmp, seg->tsecr,
				       clasp_req_ts_offset(&tmp));
		if (tmp.wscale_ok)
			tmp.rcv_wscale = clasp_choose_wscale(lsk);
	}

	/*
	 * Not held for TCP_DEFER_ACCEPT even when bare: as with TCP's
	 * cookie_v4_check(), there is no request to hold it in, and a client
	 * that thinks itself connected may never send the data it waits for.
	 * Built before acc_lock, which covers only the publishing.
	 */
	if (sk_acceptq_is_full(lsk)) {
		clasp_accept_overflow(lsk, skb, false);
		kfree_skb(skb);
		return 0;
	}
	child = clasp_create_child(lsk, &tmp, skb);
	if (!child) {
		kfree_skb(skb);
		return 0;
	}
	spin_lock_bh(&lcsk->acc_lock);
	if (lcsk->listening && sk_acceptq_is_full(lsk))
		clasp_accept_overflow(lsk, skb, false);
	else if (lcsk->listening)
		published = clasp_child_publish(lsk, child, &tmp, false);
	spin_unlock_bh(&lcsk->acc_lock);
	if (!published) {
		clasp_child_discard(child);
		kfree_skb(skb);
		return 0;
	}
	clasp_stats_inc(cn->net, CLASP_MIB_PASSIVEOPENS);
	clasp_child_rcv(lsk, child, skb);
	return 0;
}

/**
 * clasp_listen_rcv() - a listener's share of a segment (RFC 9293 3.10.7.2)
 * @lsk: the listener, referenced
 * @skb: the segment; consumed
 *
 * Return: 0.
 */
int clasp_listen_rcv(struct sock *lsk, struct sk_buff *skb)
{
	struct clasp_seg seg;

	clasp_parse_seg(skb, &seg);
	if (seg.flags & CLASP_RST)
		goto out;
	if ((seg.flags & (CLASP_ACK | CLASP_SYN)) == CLASP_ACK &&
	    clasp_cookie_expected(lsk))
		return clasp_cookie_ack(lsk, skb, &seg);
	if (seg.flags & CLASP_ACK) {
		/* Nothing here to acknowledge: <SEQ=SEG.ACK><CTL=RST>. */
		clasp_send_reset(sock_net(lsk), skb);
		goto out;
	}
	if (seg.flags & CLASP_SYN)
		clasp_listen_syn(lsk, skb, &seg);
out:
	kfree_skb(skb);
	return 0;
}

/* An ACK of what the request has: <SEQ=ISS+1><ACK=IRS+1>. */
static void clasp_req_ack(struct clasp_request *req)
{
	struct clasp_opts o = {
		.ts_ok = req->ts_ok,
		.tsval = clasp_ts_now(clasp_req_ts_offset(req)),
		.tsecr = req->ts_recent,
	};

	clasp_send_ctl_opts(sock_net(req->listener), &req->entry,
			    req->iss + 1, req->irs + 1, CLASP_ACK,
			    clasp_listen_window(req->listener), &o, false);
}

/* The request as clasp_seg_check() sees it, and its verdict. */
static enum clasp_verdict clasp_req_check(const struct clasp_request *req,
					  const struct clasp_seg *seg)
{
	struct clasp_view view = {
		.rcv_nxt	= req->irs + 1,
		.rcv_wnd	= clasp_listen_window(req->listener),
		.snd_una	= req->iss,
		.snd_nxt	= req->iss + 1,
		.max_snd_wnd	= req->snd_wnd,
		.kind		= CLASP_VIEW_REQUEST,
		.ts_ok		= req->ts_ok,
		.ts_recent	= req->ts_recent,
		.ts_recent_age	= (u32)ktime_get_seconds() - req->ts_recent_stamp,
	};

	return clasp_seg_check(&view, seg);
}

/**
 * clasp_req_rcv() - a half-open request's share of a segment
 * @req: the request, referenced
 * @skb: the segment; consumed
 *
 * Return: 0.
 */
int clasp_req_rcv(struct clasp_request *req, struct sk_buff *skb)
{
	struct sock *lsk = req->listener;
	struct clasp_sock *lcsk = clasp_sk(lsk);
	struct net *net = sock_net(lsk);
	struct clasp_request snap;
	bool complete = false;
	struct clasp_seg seg;
	u32 rcv_nxt = req->irs + 1;

	clasp_parse_seg(skb, &seg);
	spin_lock_bh(&lcsk->acc_lock);
	if (!req->linked) {
		/*
		 * Completed or dropped since the lookup found it (another CPU
		 * had the final ACK): whoever holds the 4-tuple now decides.
		 */
		spin_unlock_bh(&lcsk->acc_lock);
		clasp_rcv_lookup(net, skb);
		return 0;
	}
	switch (clasp_req_check(req, &seg)) {
	case CLASP_SEG_ACCEPT:
		/* In sequence, PAWS passed: TS.Recent for the child. */
		if (req->ts_ok && seg.ts_ok &&
		    !clasp_seq_after(seg.seq, rcv_nxt)) {
			req->ts_recent = seg.tsval;
			req->ts_recent_stamp = (u32)ktime_get_seconds();
		}
		if (clasp_defer_ack(req, &seg))
			break;
		/* A full queue is seen again once the child is built. */
		if (sk_acceptq_is_full(lsk)) {
			clasp_accept_overflow(lsk, skb, true);
			if (clasp_tun(lsk)->abort_on_overflow)
				clasp_req_unlink(req, CLASP_CAUSE_USER);
			break;
		}
		clasp_req_snapshot(req, &snap);
		complete = true;
		break;
	case CLASP_SEG_OOW_ACK:
		clasp_stats_inc(net, CLASP_MIB_OUTOFWINDOWDROPS);
		if (clasp_oow_ack_allowed(net, &seg, rcv_nxt, &req->oow_ack_stamp))
			clasp_req_ack(req);
		break;
	case CLASP_SEG_OOW_DROP:
		clasp_stats_inc(net, CLASP_MIB_OUTOFWINDOWDROPS);
		break;
	case CLASP_SEG_PAWS:
		clasp_stats_inc(net, CLASP_MIB_PAWSESTAB);
		if (!(seg.flags & CLASP_RST) &&
		    clasp_oow_ack_allowed(net, &seg, rcv_nxt, &req->oow_ack_stamp))
			clasp_req_ack(req);
		break;
	case CLASP_SEG_CHALLENGE:
		if (clasp_challenge_ack_allowed(net, &req->oow_ack_stamp))
			clasp_req_ack(req);
		break;
	case CLASP_SEG_RESET:
		clasp_stats_inc(net, CLASP_MIB_ATTEMPTFAILS);
		clasp_req_unlink(req, CLASP_CAUSE_RST);
		break;
	case CLASP_SEG_SYN_AGAIN:
		clasp_req_send_synack(req, false);
		break;
	case CLASP_SEG_BAD_ACK:
		clasp_send_reset(net, skb);
		break;
	default:
		break;
	}
	spin_unlock_bh(&lcsk->acc_lock);

	if (complete) {
		struct sock *child = clasp_req_complete(req, &snap, skb);

		if (child)
			clasp_child_rcv(lsk, child, skb);
		return 0;
	}
	kfree_skb(skb);
	return 0;
}

/**
 * clasp_req_abort() - drop a half-open request (CLASP_CMD_CONN_KILL)
 * @req: the request, referenced
 */
void clasp_req_abort(struct clasp_request *req)
{
	struct clasp_sock *lcsk = clasp_sk(req->listener);

	spin_lock_bh(&lcsk->acc_lock);
	clasp_req_unlink(req, CLASP_CAUSE_KILLED);
	spin_unlock_bh(&lcsk->acc_lock);
}

/**
 * clasp_req_drop() - drop a half-open request (an ICMP error killed it)
 * @req: the request, referenced
 * @cause: enum clasp_cause, for the state event
 */
void clasp_req_drop(struct clasp_request *req, u8 cause)
{
	struct clasp_sock *lcsk = clasp_sk(req->listener);

	spin_lock_bh(&lcsk->acc_lock);
	clasp_req_unlink(req, cause);
	spin_unlock_bh(&lcsk->acc_lock);
}

/**
 * clasp_accept_dequeue() - the oldest established child, if any
 * @lsk: the listener, locked
 *
 * Return: the child, or NULL.
 */
struct sock *clasp_accept_dequeue(struct sock *lsk)
{
	struct clasp_sock *lcsk = clasp_sk(lsk);
	struct clasp_sock *child;

	spin_lock_bh(&lcsk->acc_lock);
	child = list_first_entry_or_null(&lcsk->accept_queue,
					 struct clasp_sock, accept_node);
	if (child) {
		list_del_init(&child->accept_node);
		sk_acceptq_removed(lsk);
	}
	spin_unlock_bh(&lcsk->acc_lock);
	return child ? &child->inet.sk : NULL;
}

/*
 * A child nobody accepted: reset it and let it go.  Taken as its owner,
 * not just its spinlock: a netlink kill or dump may own it (lock_sock())
 * at this moment, and a kill that resets it while we orphan it would
 * free it a second time.  Called in process context with the listener
 * owned, hence the nesting annotation.
 */
static void clasp_child_forget(struct sock *child)
{
	lock_sock_nested(child, SINGLE_DEPTH_NESTING);
	sock_hold(child);
	if ((1 << child->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)) {
		clasp_send_active_reset(child, GFP_KERNEL);
		clasp_stats_inc(sock_net(child), CLASP_MIB_ESTABRESETS);
	}
	sock_orphan(child);
	clasp_done(child);	/* orphaned: this frees it */
	release_sock(child);
	sock_put(child);
}

/**
 * clasp_listen_stop() - a listener closes: drop its requests and reset
 * the connections it never handed out
 * @lsk: the listener, locked (lock_sock(), process context)
 *
 * A request a netlink kill drops meanwhile (clasp_req_abort()) is unlinked
 * once: both unlink under acc_lock, and clasp_req_unlink() does nothing
 * for a request no longer linked.
 */
void clasp_listen_stop(struct sock *lsk)
{
	struct clasp_sock *lcsk = clasp_sk(lsk);
	struct clasp_request *req, *rtmp;
	struct clasp_sock *child, *ctmp;
	LIST_HEAD(children);

	spin_lock_bh(&lcsk->acc_lock);
	lcsk->listening = false;
	list_for_each_entry_safe(req, rtmp, &lcsk->requests, list)
		clasp_req_unlink(req, CLASP_CAUSE_USER);
	list_splice_init(&lcsk->accept_queue, &children);
	spin_unlock_bh(&lcsk->acc_lock);

	list_for_each_entry_safe(child, ctmp, &children, accept_node) {
		list_del_init(&child->accept_node);
		sk_acceptq_removed(lsk);
		clasp_child_forget(&child->inet.sk);
	}
}

/**
 * clasp_request_cache_init() - create the slab caches for requests, one
 * per family
 *
 * Return: 0 or -ENOMEM.
 */
int clasp_request_cache_init(void)
{
	clasp_req_cache[0] = kmem_cache_create("clasp_request",
					       CLASP_REQ_SIZE(false), 0, 0,
					       NULL);
	clasp_req_cache[1] = kmem_cache_create("clasp_request6",
					       CLASP_REQ_SIZE(true), 0, 0,
					       NULL);
	if (clasp_req_cache[0] && clasp_req_cache[1])
		return 0;
	clasp_request_cache_exit();
	return -ENOMEM;
}

/**
 * clasp_request_cache_exit() - destroy the caches; every request is freed
 */
void clasp_request_cache_exit(void)
{
	kmem_cache_destroy(clasp_req_cache[1]);
	kmem_cache_destroy(clasp_req_cache[0]);
}
