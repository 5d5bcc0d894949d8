// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: compact entries for TIME_WAIT and for FIN_WAIT_2 after close().
 *
 * Once nobody can read from a connection, all it needs is its 4-tuple,
 * two sequence numbers, its timestamps state (for PAWS and the TSecr of
 * its ACKs) and an expiry: about 100 bytes instead of a socket.
 * Entries of one kind all live equally long, so each namespace keeps them
 * in two lists in expiry order and one hrtimer, with slack, reaps every
 * entry that is due: a million entries cost one timer, not a million.
 */
#include <linux/slab.h>
#include <net/sock.h>

#include "clasp.h"
#include "compat.h"

#define CLASP_TW_SLACK_NS	(10 * NSEC_PER_MSEC)
#define CLASP_TW_REAP_BATCH	4096

static struct kmem_cache *clasp_tw_cache __read_mostly;

static void clasp_tw_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(clasp_tw_cache, container_of(head, struct clasp_tw, rcu));
}

/**
 * clasp_tw_put() - drop a reference on an entry
 * @tw: the entry
 */
void clasp_tw_put(struct clasp_tw *tw)
{
	if (refcount_dec_and_test(&tw->refcnt))
		call_rcu(&tw->rcu, clasp_tw_free_rcu);
}

/* 2 MSL; for FIN_WAIT_2, what clasp_fin_time_ms() said at the start. */
static u64 clasp_tw_lifetime_ns(struct clasp_net *cn, const struct clasp_tw *tw)
{
	u64 ms = tw->entry.state == TCP_TIME_WAIT ? 2ULL * cn->tun.msl_ms :
		 tw->fw2_ms ?: cn->tun.fin_timeout_ms;

	return ms * NSEC_PER_MSEC;
}

/* Re-arm the reaper for the earliest expiry.  Caller holds tw_lock. */
static void clasp_tw_schedule(struct clasp_net *cn)
{
	ktime_t next = KTIME_MAX;
	struct clasp_tw *tw;

	if (cn->tw_dying)
		return;
	tw = list_first_entry_or_null(&cn->tw_list, struct clasp_tw, expiry);
	if (tw)
		next = tw->expires;
	tw = list_first_entry_or_null(&cn->fw2_list, struct clasp_tw, expiry);
	if (tw && ktime_before(tw->expires, next))
		next = tw->expires;
	if (next == KTIME_MAX)
		return;
	if (hrtimer_is_queued(&cn->tw_timer) &&
	    !ktime_before(next, hrtimer_get_softexpires(&cn->tw_timer)))
		return;
	hrtimer_start_range_ns(&cn->tw_timer, next, CLASP_TW_SLACK_NS,
			       HRTIMER_MODE_ABS_SOFT);
}

/* Put @tw on its list in expiry order (almost always at the tail). */
static void clasp_tw_queue(struct clasp_net *cn, struct clasp_tw *tw)
{
	struct list_head *head = tw->entry.state == TCP_TIME_WAIT ?
				 &cn->tw_list : &cn->fw2_list;
	struct clasp_tw *pos;

	tw->expires = ktime_add_ns(ktime_get(), clasp_tw_lifetime_ns(cn, tw));
	list_for_each_entry_reverse(pos, head, expiry)
		if (!ktime_after(pos->expires, tw->expires))
			break;
	list_add(&tw->expiry, &pos->expiry);
	clasp_tw_schedule(cn);
}

/* Unlink an entry for good, @cause telling why.  Caller holds tw_lock. */
static void clasp_tw_kill(struct clasp_net *cn, struct clasp_tw *tw, u8 cause)
{
	if (list_empty(&tw->expiry))
		return;		/* killed already */
	clasp_notify_state(cn->net, &tw->entry.tuple, tw->entry.state,
			   TCP_CLOSE, cause);
	list_del_init(&tw->expiry);
	rhashtable_remove_fast(&cn->conns, &tw->entry.node, clasp_conn_params);
	clasp_tw_port_del(cn, ntohs(tw->entry.tuple.lport));
	cn->tw_count--;
	clasp_stats_dec(cn->net, CLASP_MIB_OBJECTS);
	clasp_tw_put(tw);
}

static enum hrtimer_restart clasp_tw_reap(struct hrtimer *t)
{
	struct clasp_net *cn = container_of(t, struct clasp_net, tw_timer);
	ktime_t now = ktime_get();
	struct list_head *lists[] = { &cn->tw_list, &cn->fw2_list };
	int i, budget = CLASP_TW_REAP_BATCH;

	spin_lock(&cn->tw_lock);
	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		struct clasp_tw *tw, *tmp;

		list_for_each_entry_safe(tw, tmp, lists[i], expiry) {
			if (ktime_after(tw->expires, now) || !budget)
				break;
			clasp_tw_kill(cn, tw, CLASP_CAUSE_TIMEOUT);
			budget--;
		}
	}
	clasp_tw_schedule(cn);
	spin_unlock(&cn->tw_lock);
	return HRTIMER_NORESTART;
}

/*
 * An orphan's FIN_WAIT_2 lifetime: TCP_LINGER2 or the namespace's
 * fin_timeout_ms, but never under 3.5 times the current RTO, as TCP's
 * tcp_fin_time(): a peer whose FIN is still on its way, or lost once and
 * retransmitted, must not find the connection gone.
 */
static u32 clasp_fin_time_ms(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_tunables *tun = clasp_tun(sk);
	u64 rto_ms = clasp_backoff(csk->rto_us, csk->backoff,
				   (u64)tun->rto_max_ms * USEC_PER_MSEC) /
		     USEC_PER_MSEC;
	u64 ms = csk->opt.linger2_ms > 0 ? csk->opt.linger2_ms :
					   tun->fin_timeout_ms;

	return min_t(u64, max(ms, rto_ms * 4 - rto_ms / 2), U32_MAX);
}

/**
 * clasp_time_wait() - replace a socket by a compact entry
 * @sk: the socket, locked, whose FIN was acknowledged (TIME_WAIT) or
 *	which was closed in FIN_WAIT_2
 * @state: TCP_TIME_WAIT or TCP_FIN_WAIT2
 *
 * The entry takes the socket's place in the table in one step, so no
 * segment finds neither; the socket then closes.  When max_tw_buckets
 * entries exist already, the socket just closes (TimeWaitOverflow).
 */
void clasp_time_wait(struct sock *sk, int state)
{
	struct clasp_net *cn = clasp_pernet(sock_net(sk));
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_tw *tw = NULL;

	if (state == TCP_FIN_WAIT2 && csk->opt.linger2_ms < 0) {
		/*
		 * TCP_LINGER2 -1: no FIN_WAIT_2 for orphans.  As TCP: closed
		 * in FIN_WAIT_2, reset; reaching it after close(), just gone.
		 */
		if (csk->cause == CLASP_CAUSE_USER) {
			clasp_stats_inc(sock_net(sk), CLASP_MIB_ABORTONLINGER);
			clasp_send_active_reset(sk, GFP_ATOMIC);
		} else {
			clasp_stats_inc(sock_net(sk), CLASP_MIB_ABORTONDATA);
		}
		csk->cause = CLASP_CAUSE_USER;
		clasp_done(sk);
		return;
	}
	if (state == TCP_TIME_WAIT)
		clasp_stats_inc(sock_net(sk), CLASP_MIB_TIMEWAITENTERED);
	if (READ_ONCE(cn->tw_count) < cn->tun.max_tw_buckets)
		tw = kmem_cache_alloc(clasp_tw_cache, GFP_ATOMIC);
	if (!tw) {
		clasp_stats_inc(sock_net(sk), CLASP_MIB_TIMEWAITOVERFLOW);
		clasp_done(sk);
		return;
	}
	tw->entry.kind = CLASP_ENTRY_TW;
	tw->entry.state = state;
	tw->entry.tuple = csk->entry.tuple;
	tw->snd_nxt = csk->snd_max;
	tw->rcv_nxt = csk->rcv_nxt;
	tw->rcv_wnd = max_t(s32, csk->rcv_wup + csk->rcv_wnd - csk->rcv_nxt, 0);
	tw->max_snd_wnd = csk->max_snd_wnd;
	tw->fw2_ms = state == TCP_FIN_WAIT2 ? clasp_fin_time_ms(sk) : 0;
	tw->ts_ok = csk->ts_ok;
	tw->ts_recent = csk->ts_recent;
	tw->ts_recent_stamp = csk->ts_recent_stamp;
	tw->ts_offset = csk->ts_offset;
	tw->oow_ack_stamp = 0;
	refcount_set(&tw->refcnt, 1);

	spin_lock_bh(&cn->tw_lock);
	if (csk->hashed &&
	    !rhashtable_replace_fast(&cn->conns, &csk->entry.node,
				     &tw->entry.node, clasp_conn_params)) {
		csk->hashed = false;
		__sock_put(sk);		/* the table's reference */
		clasp_tw_port_add(cn, ntohs(tw->entry.tuple.lport));
		cn->tw_count++;
		clasp_stats_inc(sock_net(sk), CLASP_MIB_OBJECTS);
		clasp_tw_queue(cn, tw);
		tw = NULL;
	}
	spin_unlock_bh(&cn->tw_lock);
	if (tw)
		kmem_cache_free(clasp_tw_cache, tw);
	clasp_set_state(sk, state);
	/* The connection lives on in the entry: the socket's end is no news. */
	csk->quiet = true;
	clasp_done(sk);
}

/* An ACK, with timestamps if the connection used them (as TCP's). */
static void clasp_tw_ack(struct clasp_net *cn, struct clasp_tw *tw)
{
	struct clasp_opts o = {
		.ts_ok = tw->ts_ok,
		.tsval = clasp_ts_now(tw->ts_offset),
		.tsecr = tw->ts_recent,
	};

	clasp_send_ctl_opts(cn->net, &tw->entry.tuple, tw->snd_nxt,
			    tw->rcv_nxt, CLASP_ACK, 0, &o, false);
}

/*
 * An acceptable segment's TSval becomes TS.Recent (RFC 7323 4.3), as in
 * tcp_timewait_state_process().  Caller holds tw_lock.
 */
static void clasp_tw_ts_update(struct clasp_tw *tw, const struct clasp_seg *seg)
{
	if (tw->ts_ok && seg->ts_ok &&
	    ((s32)(tw->ts_recent - seg->tsval) <= 0 || !tw->ts_recent)) {
		tw->ts_recent = seg->tsval;
		tw->ts_recent_stamp = (u32)ktime_get_seconds();
	}
}

/* Restart the entry's lifetime.  Caller holds tw_lock. */
static void clasp_tw_rearm(struct clasp_net *cn, struct clasp_tw *tw)
{
	list_del(&tw->expiry);
	clasp_tw_queue(cn, tw);
}

/* The entry as clasp_seg_check() sees it: everything we sent is acked. */
static enum clasp_verdict clasp_tw_check(const struct clasp_tw *tw,
					 const struct clasp_seg *seg)
{
	bool timewait = tw->entry.state == TCP_TIME_WAIT;
	struct clasp_view view = {
		.rcv_nxt	= tw->rcv_nxt,
		.rcv_wnd	= timewait ? 0 : tw->rcv_wnd,
		.snd_una	= tw->snd_nxt,
		.snd_nxt	= tw->snd_nxt,
		.max_snd_wnd	= tw->max_snd_wnd,
		.kind		= timewait ? CLASP_VIEW_TIME_WAIT : CLASP_VIEW_SYNCED,
		.ts_ok		= tw->ts_ok,
		.ts_recent	= tw->ts_recent,
		.ts_recent_age	= (u32)ktime_get_seconds() - tw->ts_recent_stamp,
	};

	return clasp_seg_check(&view, seg);
}

/*
 * What TIME_WAIT and FIN_WAIT_2 entries do alike with the verdict.
 * Returns true when the segment needs nothing more.
 */
static bool clasp_tw_common(struct clasp_net *cn, struct clasp_tw *tw,
			    const struct clasp_seg *seg, enum clasp_verdict v)
{
	switch (v) {
	case CLASP_SEG_PAWS:
		/* An old duplicate: ACK it (rate-limited) unless a RST. */
		clasp_stats_inc(cn->net, CLASP_MIB_PAWSESTAB);
		if (!(seg->flags & CLASP_RST) &&
		    clasp_oow_ack_allowed(cn->net, seg, tw->rcv_nxt,
					  &tw->oow_ack_stamp))
			clasp_tw_ack(cn, tw);
		return true;
	case CLASP_SEG_OOW_ACK:
		clasp_stats_inc(cn->net, CLASP_MIB_OUTOFWINDOWDROPS);
		if (clasp_oow_ack_allowed(cn->net, seg, tw->rcv_nxt,
					  &tw->oow_ack_stamp))
			clasp_tw_ack(cn, tw);
		return true;
	case CLASP_SEG_OOW_DROP:
		clasp_stats_inc(cn->net, CLASP_MIB_OUTOFWINDOWDROPS);
		return true;
	case CLASP_SEG_CHALLENGE:
		if (clasp_challenge_ack_allowed(cn->net, &tw->oow_ack_stamp))
			clasp_tw_ack(cn, tw);
		return true;
	case CLASP_SEG_ACCEPT:
	case CLASP_SEG_ACK_ONLY:
	case CLASP_SEG_RESET:
	case CLASP_SEG_REOPEN:
		return false;
	default:
		return true;
	}
}

/*
 * TIME_WAIT, as TCP's tcp_timewait_state_process(): the window is
 * closed, so only a bare ACK or a RST exactly at rcv_nxt is acceptable.
 * The RST ends the entry (unless rfc1337), the ACK and any other segment
 * with ACK restart its lifetime; what is not acceptable gets an ACK
 * (rate-limited), except a SYN above rcv_nxt, which may open a new
 * incarnation.
 */
static int clasp_tw_rcv_timewait(struct clasp_net *cn, struct clasp_tw *tw,
				 struct sk_buff *skb,
				 const struct clasp_seg *seg)
{
	enum clasp_verdict v = clasp_tw_check(tw, seg);

	if ((v == CLASP_SEG_OOW_ACK && seg->flags & CLASP_ACK) ||
	    (v == CLASP_SEG_PAWS && !(seg->flags & CLASP_RST)))
		clasp_tw_rearm(cn, tw);
	if (clasp_tw_common(cn, tw, seg, v))
		return 0;
	if (v == CLASP_SEG_ACCEPT || v == CLASP_SEG_ACK_ONLY)
		clasp_tw_ts_update(tw, seg);
	switch (v) {
	case CLASP_SEG_RESET:
		if (!cn->tun.rfc1337) {
			clasp_stats_inc(cn->net, CLASP_MIB_TIMEWAITKILLED);
			clasp_tw_kill(cn, tw, CLASP_CAUSE_RST);
		}
		return 0;
	case CLASP_SEG_REOPEN:
		/*
		 * A new incarnation.  Its ISN must start above anything the
		 * old one sent, whatever the clock says (RFC 9293 3.4.1).
		 */
		memset(CLASP_SKB_CB(skb), 0, sizeof(struct clasp_skb_cb));
		CLASP_SKB_CB(skb)->seq = (tw->snd_nxt + CLASP_MAX_WINDOW + 2) ?: 1;
		clasp_stats_inc(cn->net, CLASP_MIB_TIMEWAITKILLED);
		clasp_tw_kill(cn, tw, CLASP_CAUSE_SEGMENT);
		return 1;
	default:
		/*
		 * A bare ACK where we stand: nothing to answer (RFC 9293), and
		 * answering would loop with a peer also in TIME_WAIT.
		 */
		clasp_tw_rearm(cn, tw);
		return 0;
	}
}

/*
 * Orphaned FIN_WAIT_2: the rules of any synchronized state (RFC 5961
 * included); then the peer's FIN moves the entry to TIME_WAIT, and its
 * data, which nobody will read, aborts the connection.
 */
static int clasp_tw_rcv_finwait2(struct clasp_net *cn, struct clasp_tw *tw,
				 struct sk_buff *skb,
				 const struct clasp_seg *seg)
{
	enum clasp_verdict v = clasp_tw_check(tw, seg);

	if (clasp_tw_common(cn, tw, seg, v))
		return 0;
	if (v == CLASP_SEG_ACCEPT && !clasp_seq_after(seg->seq, tw->rcv_nxt))
		clasp_tw_ts_update(tw, seg);
	if (v == CLASP_SEG_RESET) {
		clasp_stats_inc(cn->net, CLASP_MIB_RSTSRECEIVED);
		clasp_tw_kill(cn, tw, CLASP_CAUSE_RST);
		return 0;
	}
	if (seg->len && clasp_seq_after(seg->seq + seg->len, tw->rcv_nxt)) {
		clasp_stats_inc(cn->net, CLASP_MIB_ABORTONDATA);
		clasp_send_ctl(cn->net, &tw->entry.tuple, tw->snd_nxt, 0,
			       CLASP_RST, 0, 0);
		clasp_tw_kill(cn, tw, CLASP_CAUSE_SEGMENT);
		return 0;
	}
	if (seg->flags & CLASP_FIN && seg->end_seq == tw->rcv_nxt + 1) {
		tw->rcv_nxt++;
		list_del(&tw->expiry);
		clasp_notify_state(cn->net, &tw->entry.tuple, TCP_FIN_WAIT2,
				   TCP_TIME_WAIT, CLASP_CAUSE_SEGMENT);
		tw->entry.state = TCP_TIME_WAIT;
		clasp_stats_inc(cn->net, CLASP_MIB_TIMEWAITENTERED);
		clasp_tw_queue(cn, tw);
		clasp_tw_ack(cn, tw);
	}
	return 0;
}

/**
 * clasp_tw_rcv() - a compact entry's share of a segment
 * @cn: the namespace's clasp state
 * @tw: the entry, referenced
 * @skb: the segment
 *
 * Return: 1 when a SYN ended TIME_WAIT and should go on to a listener
 * (@skb not consumed), 0 when @skb was consumed.
 */
int clasp_tw_rcv(struct clasp_net *cn, struct clasp_tw *tw,
		 struct sk_buff *skb)
{
	struct clasp_seg seg;
	int ret = 0;

	clasp_parse_seg(skb, &seg);
	spin_lock_bh(&cn->tw_lock);
	if (list_empty(&tw->expiry)) {
		spin_unlock_bh(&cn->tw_lock);
		return 1;	/* gone meanwhile: look again */
	}
	if (tw->entry.state == TCP_TIME_WAIT)
		ret = clasp_tw_rcv_timewait(cn, tw, skb, &seg);
	else
		ret = clasp_tw_rcv_finwait2(cn, tw, skb, &seg);
	spin_unlock_bh(&cn->tw_lock);
	if (!ret)
		kfree_skb(skb);
	return ret;
}

/**
 * clasp_tw_abort() - end an entry now (CLASP_CMD_CONN_KILL)
 * @cn: the namespace's clasp state
 * @tw: the entry, referenced
 */
void clasp_tw_abort(struct clasp_net *cn, struct clasp_tw *tw)
{
	spin_lock_bh(&cn->tw_lock);
	clasp_tw_kill(cn, tw, CLASP_CAUSE_KILLED);
	spin_unlock_bh(&cn->tw_lock);
}

/**
 * clasp_tw_init_net() - set up a namespace's entry lists and reaper
 * @cn: the namespace's clasp state
 */
void clasp_tw_init_net(struct clasp_net *cn)
{
	spin_lock_init(&cn->tw_lock);
	INIT_LIST_HEAD(&cn->tw_list);
	INIT_LIST_HEAD(&cn->fw2_list);
	cn->tw_count = 0;
	cn->tw_dying = false;
	clasp_hrtimer_setup(&cn->tw_timer, clasp_tw_reap, HRTIMER_MODE_ABS_SOFT);
}

/**
 * clasp_tw_exit_net() - free every entry of a dying namespace
 * @cn: the namespace's clasp state
 */
void clasp_tw_exit_net(struct clasp_net *cn)
{
	struct list_head *lists[] = { &cn->tw_list, &cn->fw2_list };
	int i;

	spin_lock_bh(&cn->tw_lock);
	cn->tw_dying = true;
	spin_unlock_bh(&cn->tw_lock);
	hrtimer_cancel(&cn->tw_timer);

	spin_lock_bh(&cn->tw_lock);
	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		struct clasp_tw *tw, *tmp;

		list_for_each_entry_safe(tw, tmp, lists[i], expiry)
			clasp_tw_kill(cn, tw, CLASP_CAUSE_USER);
	}
	spin_unlock_bh(&cn->tw_lock);
}

/**
 * clasp_tw_cache_init() - create the slab cache for compact entries
 *
 * Return: 0 or -ENOMEM.
 */
int clasp_tw_cache_init(void)
{
	clasp_tw_cache = KMEM_CACHE(clasp_tw, 0);
	return clasp_tw_cache ? 0 : -ENOMEM;
}

/**
 * clasp_tw_cache_exit() - destroy the cache; every entry must be freed
 */
void clasp_tw_cache_exit(void)
{
	kmem_cache_destroy(clasp_tw_cache);
}
