// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: compact entries for TIME_WAIT and for FIN_WAIT_2 after close().
 *
 * Once nobody can read from a connection, all it needs is its 4-tuple,
 * two sequence numbers, two windows, its timestamps state (for PAWS and
 * the TSecr of its ACKs) and an expiry: 64 bytes instead of a socket.
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

/* Entries by family: an IPv4 one is allocated without IPv6's addresses. */
static struct kmem_cache *clasp_tw_cache[2] __read_mostly;

static void clasp_tw_free(struct clasp_tw *tw)
{
	kmem_cache_free(clasp_tw_cache[clasp_key_v6(&tw->entry)], tw);
}

static void clasp_tw_free_rcu(struct rcu_head *head)
{
	clasp_tw_free(container_of(head, struct clasp_tw, rcu));
}

/* The entries' clock: milliseconds, in 32 bits (wraps after 49 days). */
static u32 clasp_tw_clock(void)
{
	return (u32)ktime_to_ms(ktime_get());
}

/* Longest lifetime, so that expiries compare as signed differences. */
#define CLASP_TW_MAX_LIFE_MS	(S32_MAX / 2)

/*
 * 16-bit stamps.  A stamp holds the low 16 bits of a clock; read back, it
 * is the latest time with those bits, not after now: exact for anything
 * up to 65535 ticks old.  0 stays "never".
 */
static u32 clasp_tw_stamp_get(u16 stamp, u32 now)
{
	return stamp ? now - (u16)((u16)now - stamp) : 0;
}

static u16 clasp_tw_stamp_put(u32 t)
{
	return t ? ((u16)t ?: 1) : 0;
}

/* The rate limiters of input.c on the entry's 16-bit stamp. */
static bool clasp_tw_oow_ok(struct clasp_net *cn, struct clasp_tw *tw,
			    const struct clasp_seg *seg, bool challenge)
{
	u32 stamp = clasp_tw_stamp_get(tw->oow_ack_stamp, (u32)jiffies);
	bool ok = challenge ? clasp_challenge_ack_allowed(cn->net, &stamp) :
		  clasp_oow_ack_allowed(cn->net, seg, tw->rcv_nxt, &stamp);

	tw->oow_ack_stamp = clasp_tw_stamp_put(stamp);
	return ok;
}

/*
 * Seconds since TS.Recent was recorded (U32_MAX: 24 days or more).  Its
 * stamp is the second's low 16 bits, 0 included (no "never": the flags
 * say whether there is one), exact up to 65535 s.
 */
static u32 clasp_tw_ts_age(const struct clasp_tw *tw)
{
	if (READ_ONCE(tw->entry.flags) & CLASP_EF_PAWS_IDLE)
		return U32_MAX;
	return (u16)((u16)ktime_get_seconds() - READ_ONCE(tw->ts_recent_stamp));
}

/* A window in units of 1 << @shift, rounded up, as 16 bits. */
static u16 clasp_tw_wnd(u32 wnd, u8 shift)
{
	return min_t(u32, DIV_ROUND_UP(wnd, 1U << shift), U16_MAX);
}

/* Re-arm the reaper for the earliest expiry.  Caller holds tw_lock. */
static void clasp_tw_schedule(struct clasp_net *cn)
{
	struct clasp_tw *a, *b;
	ktime_t now, next;
	u32 due;
	s32 in;

	if (cn->tw_dying)
		return;
	a = list_first_entry_or_null(&cn->tw_list, struct clasp_tw, expiry);
	b = list_first_entry_or_null(&cn->fw2_list, struct clasp_tw, expiry);
	if (!a && !b)
		return;
	if (!a || (b && (s32)(b->expires - a->expires) < 0))
		a = b;
	due = a->expires;
	now = ktime_get();
	in = (s32)(due - (u32)ktime_to_ms(now));
	next = ktime_add_ms(now, max(in, 0));
	if (hrtimer_is_queued(&cn->tw_timer) &&
	    !ktime_before(next, hrtimer_get_softexpires(&cn->tw_timer)))
		return;
	hrtimer_start_range_ns(&cn->tw_timer, next, CLASP_TW_SLACK_NS,
			       HRTIMER_MODE_ABS_SOFT);
}

/*
 * Put @tw on its list in expiry order (almost always at the tail), to
 * end @ms from now: 2 MSL in TIME_WAIT, what clasp_fin_time_ms() said in
 * FIN_WAIT_2.
 */
static void clasp_tw_queue(struct clasp_net *cn, struct clasp_tw *tw, u64 ms)
{
	struct list_head *head = tw->entry.state == TCP_TIME_WAIT ?
				 &cn->tw_list : &cn->fw2_list;
	struct clasp_tw *pos;

	tw->expires = clasp_tw_clock() + (u32)min_t(u64, ms, CLASP_TW_MAX_LIFE_MS);
	list_for_each_entry_reverse(pos, head, expiry)
		if ((s32)(pos->expires - tw->expires) <= 0)
			break;
	list_add(&tw->expiry, &pos->expiry);
	clasp_tw_schedule(cn);
}

/*
 * The ISN of a new incarnation of @tw's connection: above anything the
 * old one sent and any window it had (RFC 9293 3.4.1; TCP's
 * tcp_twsk_unique() and tcp_timewait_state_process() alike), never 0.
 */
static u32 clasp_tw_next_isn(const struct clasp_tw *tw)
{
	return (READ_ONCE(tw->snd_nxt) + CLASP_MAX_WINDOW + 2) ?: 1;
}

/* Unlink an entry for good, @cause telling why.  Caller holds tw_lock. */
static void clasp_tw_kill(struct clasp_net *cn, struct clasp_tw *tw, u8 cause)
{
	if (tw->entry.state == TCP_CLOSE)
		return;		/* killed already */
	clasp_notify_state(cn->net, &tw->entry, tw->entry.state,
			   TCP_CLOSE, cause);
	list_del(&tw->expiry);
	WRITE_ONCE(tw->entry.state, TCP_CLOSE);
	/* Not found if a connect() took its place (clasp_tw_recycle()). */
	clasp_table_remove(cn, &tw->entry);
	if (tw->entry.flags & CLASP_EF_PORT)
		clasp_tw_port_del(cn, &tw->entry);
	cn->tw_count--;
	clasp_stats_dec(cn->net, CLASP_MIB_OBJECTS);
	/* Readers in an RCU section may still hold it: free after theirs. */
	call_rcu(&tw->rcu, clasp_tw_free_rcu);
}

static enum hrtimer_restart clasp_tw_reap(struct hrtimer *t)
{
	struct clasp_net *cn = container_of(t, struct clasp_net, tw_timer);
	u32 now = clasp_tw_clock();
	struct list_head *lists[] = { &cn->tw_list, &cn->fw2_list };
	int i, budget = CLASP_TW_REAP_BATCH;

	spin_lock(&cn->tw_lock);
	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		struct clasp_tw *tw, *tmp;

		list_for_each_entry_safe(tw, tmp, lists[i], expiry) {
			if ((s32)(tw->expires - now) > 0 || !budget)
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
	u32 age;

	if (state == TCP_FIN_WAIT2 && csk->opt.linger2_ms < 0) {
		/*
		 * TCP_LINGER2 -1: no FIN_WAIT_2 for orphans.  As TCP: closed
		 * in FIN_WAIT_2, reset; reaching it after close(), just gone.
		 */
		if (csk->cause == CLASP_CAUSE_USER) {
			clasp_sk_stats_inc(sk, CLASP_MIB_ABORTONLINGER);
			clasp_send_active_reset(sk, GFP_ATOMIC);
		} else {
			clasp_sk_stats_inc(sk, CLASP_MIB_ABORTONDATA);
		}
		csk->cause = CLASP_CAUSE_USER;
		clasp_done(sk);
		return;
	}
	if (state == TCP_TIME_WAIT)
		clasp_sk_stats_inc(sk, CLASP_MIB_TIMEWAITENTERED);
	if (READ_ONCE(cn->tw_count) < cn->tun.max_tw_buckets)
		tw = kmem_cache_alloc(clasp_tw_cache[clasp_key_v6(&csk->entry)],
				      GFP_ATOMIC);
	if (!tw) {
		clasp_sk_stats_inc(sk, CLASP_MIB_TIMEWAITOVERFLOW);
		clasp_done(sk);
		return;
	}
	tw->entry.kind = CLASP_ENTRY_TW;
	tw->entry.state = state;
	tw->entry.flags = csk->ts_ok ? CLASP_EF_TS_OK : 0;
	if (sk->sk_reuse)
		tw->entry.flags |= CLASP_EF_REUSE;
	clasp_key_copy(&tw->entry, &csk->entry);
	/* An AF_INET6 socket's IPv4 connection: dumps show it v4-mapped. */
	if (sk->sk_family == AF_INET6)
		tw->entry.flags |= CLASP_EF_SOCK6;
	tw->entry.wscale = csk->rcv_wscale << 4 | csk->snd_wscale;
	tw->snd_nxt = csk->snd_max;
	tw->rcv_nxt = csk->rcv_nxt;
	tw->rcv_wnd = clasp_tw_wnd(max_t(s32, csk->rcv_wup + csk->rcv_wnd -
					 csk->rcv_nxt, 0), csk->rcv_wscale);
	tw->max_snd_wnd = clasp_tw_wnd(csk->max_snd_wnd, csk->snd_wscale);
	tw->ts_recent = csk->ts_recent;
	/* An age the 16-bit stamp cannot hold reads as 65535 s, or idle. */
	age = (u32)ktime_get_seconds() - csk->ts_recent_stamp;
	if (age >= CLASP_PAWS_IDLE_S)
		tw->entry.flags |= CLASP_EF_PAWS_IDLE;
	tw->ts_recent_stamp = (u16)((u32)ktime_get_seconds() -
				    min_t(u32, age, U16_MAX));
	tw->oow_ack_stamp = 0;

	spin_lock_bh(&cn->tw_lock);
	if (csk->hashed &&
	    !clasp_table_replace(cn, &csk->entry, &tw->entry)) {
		csk->hashed = false;
		__sock_put(sk);		/* the table's reference */
		if (clasp_tw_port_add(cn, &tw->entry))
			tw->entry.flags |= CLASP_EF_PORT;
		cn->tw_count++;
		clasp_stats_inc(sock_net(sk), CLASP_MIB_OBJECTS);
		clasp_tw_queue(cn, tw, state == TCP_TIME_WAIT ?
				       2ULL * cn->tun.msl_ms :
				       clasp_fin_time_ms(sk));
		tw = NULL;
	}
	spin_unlock_bh(&cn->tw_lock);
	if (tw)
		clasp_tw_free(tw);
	clasp_set_state(sk, state);
	/* The connection lives on in the entry: the socket's end is no news. */
	csk->quiet = true;
	clasp_done(sk);
}

/*
 * An ACK, with timestamps if the connection used them, and the window the
 * socket had left, as tcp_v4_timewait_ack().
 */
static void clasp_tw_ack(struct clasp_net *cn, struct clasp_tw *tw)
{
	bool ts_ok = tw->entry.flags & CLASP_EF_TS_OK;
	struct clasp_opts o = {
		.ts_ok = ts_ok,
		/* The offset is a keyed hash of the 4-tuple: not stored. */
		.tsval = ts_ok ? clasp_ts_now(clasp_ts_offset(cn, &tw->entry)) : 0,
		.tsecr = tw->ts_recent,
	};

	clasp_send_ctl_opts(cn->net, &tw->entry, tw->snd_nxt,
			    tw->rcv_nxt, CLASP_ACK, tw->rcv_wnd, &o, false);
}

/*
 * An acceptable segment's TSval becomes TS.Recent (RFC 7323 4.3), as in
 * tcp_timewait_state_process().  Caller holds tw_lock.
 */
static void clasp_tw_ts_update(struct clasp_tw *tw, const struct clasp_seg *seg)
{
	if (tw->entry.flags & CLASP_EF_TS_OK && seg->ts_ok &&
	    ((s32)(tw->ts_recent - seg->tsval) <= 0 || !tw->ts_recent)) {
		tw->ts_recent = seg->tsval;
		/* clasp_tw_reusable() reads these two without tw_lock. */
		WRITE_ONCE(tw->ts_recent_stamp, (u16)ktime_get_seconds());
		WRITE_ONCE(tw->entry.flags,
			   tw->entry.flags & ~CLASP_EF_PAWS_IDLE);
	}
}

/* Restart the entry's lifetime.  Caller holds tw_lock. */
static void clasp_tw_rearm(struct clasp_net *cn, struct clasp_tw *tw)
{
	list_del(&tw->expiry);
	clasp_tw_queue(cn, tw, 2ULL * cn->tun.msl_ms);
}

/* The entry as clasp_seg_check() sees it: everything we sent is acked. */
static enum clasp_verdict clasp_tw_check(const struct clasp_tw *tw,
					 const struct clasp_seg *seg)
{
	bool timewait = tw->entry.state == TCP_TIME_WAIT;
	struct clasp_view view = {
		.rcv_nxt	= tw->rcv_nxt,
		.rcv_wnd	= timewait ? 0 : (u32)tw->rcv_wnd <<
				  clasp_entry_rcv_wscale(&tw->entry),
		.snd_una	= tw->snd_nxt,
		.snd_nxt	= tw->snd_nxt,
		.max_snd_wnd	= (u32)tw->max_snd_wnd <<
				  clasp_entry_snd_wscale(&tw->entry),
		.kind		= timewait ? CLASP_VIEW_TIME_WAIT : CLASP_VIEW_SYNCED,
		.ts_ok		= tw->entry.flags & CLASP_EF_TS_OK,
		.ts_recent	= tw->ts_recent,
		.ts_recent_age	= clasp_tw_ts_age(tw),
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
		    clasp_tw_oow_ok(cn, tw, seg, false))
			clasp_tw_ack(cn, tw);
		return true;
	case CLASP_SEG_OOW_ACK:
		clasp_stats_inc(cn->net, CLASP_MIB_OUTOFWINDOWDROPS);
		if (clasp_tw_oow_ok(cn, tw, seg, false))
			clasp_tw_ack(cn, tw);
		return true;
	case CLASP_SEG_OOW_DROP:
		clasp_stats_inc(cn->net, CLASP_MIB_OUTOFWINDOWDROPS);
		return true;
	case CLASP_SEG_CHALLENGE:
		if (clasp_tw_oow_ok(cn, tw, seg, true))
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
 * TIME_WAIT, as TCP's tcp_timewait_state_process(): segments are judged
 * by a closed window (the entry's ACKs still advertise the socket's), so
 * only a bare ACK or a RST exactly at rcv_nxt is acceptable.
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
		CLASP_SKB_CB(skb)->seq = clasp_tw_next_isn(tw);
		clasp_stats_inc(cn->net, CLASP_MIB_TIMEWAITKILLED);
		clasp_tw_kill(cn, tw, CLASP_CAUSE_SEGMENT);
		return CLASP_TW_TO_LISTENER;
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
		clasp_send_ctl(cn->net, &tw->entry, tw->snd_nxt, 0,
			       CLASP_RST, 0, 0);
		clasp_tw_kill(cn, tw, CLASP_CAUSE_SEGMENT);
		return 0;
	}
	if (seg->flags & CLASP_FIN && seg->end_seq == tw->rcv_nxt + 1) {
		tw->rcv_nxt++;
		list_del(&tw->expiry);
		clasp_notify_state(cn->net, &tw->entry, TCP_FIN_WAIT2,
				   TCP_TIME_WAIT, CLASP_CAUSE_SEGMENT);
		tw->entry.state = TCP_TIME_WAIT;
		clasp_stats_inc(cn->net, CLASP_MIB_TIMEWAITENTERED);
		clasp_tw_queue(cn, tw, 2ULL * cn->tun.msl_ms);
		clasp_tw_ack(cn, tw);
	}
	return 0;
}

/**
 * clasp_tw_rcv() - a compact entry's share of a segment
 * @cn: the namespace's clasp state
 * @tw: the entry, as the table gave it
 * @skb: the segment
 *
 * Context: in the RCU read-side section of the lookup that found @tw.
 * Return: 0 when @skb was consumed; CLASP_TW_TO_LISTENER when a SYN
 * ended TIME_WAIT and should go on to a listener, CLASP_TW_GONE when the
 * entry had ended before the segment got to it (a connect() may have
 * taken its 4-tuple: look it up again), @skb not consumed in either.
 */
int clasp_tw_rcv(struct clasp_net *cn, struct clasp_tw *tw,
		 struct sk_buff *skb)
{
	struct clasp_seg seg;
	int ret = 0;

	clasp_parse_seg(skb, &seg);
	spin_lock_bh(&cn->tw_lock);
	if (tw->entry.state == TCP_CLOSE) {
		spin_unlock_bh(&cn->tw_lock);
		return CLASP_TW_GONE;
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
 * @tw: the entry, as the table gave it
 *
 * Context: in the RCU read-side section of the lookup that found @tw.
 */
void clasp_tw_abort(struct clasp_net *cn, struct clasp_tw *tw)
{
	spin_lock_bh(&cn->tw_lock);
	clasp_tw_kill(cn, tw, CLASP_CAUSE_KILLED);
	spin_unlock_bh(&cn->tw_lock);
}

/* Does the entry's connection run over loopback, by either address? */
static bool clasp_tw_loopback(const struct clasp_tw *tw)
{
	const struct clasp_tuple *t = &tw->entry.tuple;

	if (!clasp_key_v6(&tw->entry))
		return ipv4_is_loopback(t->laddr) || ipv4_is_loopback(t->raddr);
	return ipv6_addr_loopback(&t->laddr6) ||
	       ipv6_addr_loopback(&t->raddr6) ||
	       ipv6_addr_v4mapped_loopback(&t->laddr6) ||
	       ipv6_addr_v4mapped_loopback(&t->raddr6);
}

/**
 * clasp_tw_reusable() - may connect() take an entry's 4-tuple?
 * @cn: the namespace's clasp state
 * @tw: the entry, as the table gave it
 * @bound: the connecting socket bound its port itself
 *
 * As TCP's tcp_twsk_unique(): only an entry whose connection used
 * timestamps, so that the peer's PAWS tells the new connection's segments
 * from the old one's.  A port bound with bind() takes any such entry; an
 * ephemeral one only a TIME_WAIT entry whose TS.Recent is a second old or
 * more, and only with tw_reuse 1, or 2 when either address is a loopback
 * one (TCP's tw_reuse 2 also counts a socket bound to lo, which an entry
 * does not record).
 *
 * Context: in the RCU read-side section of the lookup that found @tw.
 * Return: true if the socket may take the entry's place.
 */
bool clasp_tw_reusable(struct clasp_net *cn, const struct clasp_tw *tw,
		       bool bound)
{
	u32 reuse = READ_ONCE(cn->tun.tw_reuse_mode);
	u8 state = READ_ONCE(tw->entry.state);

	if (!(READ_ONCE(tw->entry.flags) & CLASP_EF_TS_OK) ||
	    state == TCP_CLOSE)
		return false;
	if (bound)
		return true;
	if (state != TCP_TIME_WAIT || !reuse)
		return false;
	if (reuse == 2 && !clasp_tw_loopback(tw))
		return false;
	return clasp_tw_ts_age(tw) >= 1;
}

/**
 * clasp_tw_recycle() - end an entry whose 4-tuple a connect() took
 * @cn: the namespace's clasp state
 * @tw: the entry, its place in the table already the socket's
 *
 * Context: in the RCU read-side section of the lookup that found @tw.
 * Return: the ISN the new connection must use (clasp_tw_next_isn()).
 */
u32 clasp_tw_recycle(struct clasp_net *cn, struct clasp_tw *tw)
{
	u32 isn = clasp_tw_next_isn(tw);

	spin_lock_bh(&cn->tw_lock);
	clasp_tw_kill(cn, tw, CLASP_CAUSE_USER);
	spin_unlock_bh(&cn->tw_lock);
	clasp_stats_inc(cn->net, CLASP_MIB_TWRECYCLED);
	return isn;
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
 * clasp_tw_cache_init() - create the slab caches for compact entries, one
 * per family
 *
 * Return: 0 or -ENOMEM.
 */
int clasp_tw_cache_init(void)
{
	clasp_tw_cache[0] = kmem_cache_create("clasp_tw", CLASP_TW_SIZE(false),
					      0, 0, NULL);
	clasp_tw_cache[1] = kmem_cache_create("clasp_tw6", CLASP_TW_SIZE(true),
					      0, 0, NULL);
	if (clasp_tw_cache[0] && clasp_tw_cache[1])
		return 0;
	clasp_tw_cache_exit();
	return -ENOMEM;
}

/**
 * clasp_tw_cache_exit() - destroy the caches; every entry must be freed
 */
void clasp_tw_cache_exit(void)
{
	kmem_cache_destroy(clasp_tw_cache[1]);
	kmem_cache_destroy(clasp_tw_cache[0]);
}
