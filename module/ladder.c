// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: per-segment events for ladder diagrams (claspctl ladder).
 *
 * A netlink socket with CAP_NET_ADMIN over the namespace sets a filter
 * (CLASP_CMD_LADDER_START: addresses and ports, as a dump's) and joins
 * the "segments" multicast group; from then on every segment that clasp
 * sends or takes in for a connection the filter selects is reported: its
 * flags, sequence and acknowledgment numbers, payload length, window and
 * the local side's state before and after.  The filter goes when that
 * socket closes (NETLINK_URELEASE), whichever way it ends.
 *
 * The hooks in output.c, demux.c and input.c test a static key, enabled
 * while any namespace has a filter: one patched jump when nobody listens.
 * Past it, a segment of a connection no filter selects costs a walk of
 * the namespace's few filters.  Events are built with GFP_ATOMIC in whatever
 * context the segment is (softirq, a timer, a socket call), never block,
 * are about 150 bytes each, and a namespace sends at most
 * CLASP_LADDER_RATE a second: the excess is counted in LadderDrops, as is
 * an event the listener had no room for.
 *
 * The key is enabled from the LADDER_START request (process context) and
 * disabled from a work item once the last filter is gone, since the
 * notifier chain a socket's release runs need not allow sleeping.
 */
#include <linux/jump_label.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/netlink.h>

#include "clasp.h"

DEFINE_STATIC_KEY_FALSE(clasp_ladder_key);

#define CLASP_LADDER_MAX_FILTERS	16	/* per namespace */
#define CLASP_LADDER_RATE		2000	/* events a second, per namespace */

/*
 * struct clasp_ladder_filter - one listener's filter
 * @node: in the namespace's ladder_filters
 * @f: what it selects
 * @portid: the netlink socket that set it
 * @rcu: deferred free
 */
struct clasp_ladder_filter {
	struct hlist_node node;
	struct clasp_filter f;
	u32 portid;
	struct rcu_head rcu;
};

/* Filters in all namespaces; the key follows whether there are any. */
static atomic_t clasp_ladder_users = ATOMIC_INIT(0);
static DEFINE_MUTEX(clasp_ladder_mutex);
static bool clasp_ladder_dying;

static void clasp_ladder_sync(void)
{
	mutex_lock(&clasp_ladder_mutex);
	if (atomic_read(&clasp_ladder_users) > 0 && !clasp_ladder_dying)
		static_branch_enable(&clasp_ladder_key);
	else
		static_branch_disable(&clasp_ladder_key);
	mutex_unlock(&clasp_ladder_mutex);
}

static void clasp_ladder_work_fn(struct work_struct *work)
{
	clasp_ladder_sync();
}

static DECLARE_WORK(clasp_ladder_work, clasp_ladder_work_fn);

/**
 * clasp_ladder_start() - set (or replace) a listener's filter
 * @net: the namespace
 * @portid: the netlink socket asking; the filter lives as long as it
 * @f: the filter
 * @extack: for the error's reason
 *
 * Return: 0, -ENOMEM, or -EBUSY when the namespace has as many filters
 * as it may.
 */
int clasp_ladder_start(struct net *net, u32 portid,
		       const struct clasp_filter *f,
		       struct netlink_ext_ack *extack)
{
	struct clasp_net *cn = clasp_pernet(net);
	struct clasp_ladder_filter *lf, *old;

	lf = kzalloc(sizeof(*lf), GFP_KERNEL);
	if (!lf)
		return -ENOMEM;
	lf->f = *f;
	lf->portid = portid;
	spin_lock_bh(&cn->ladder_lock);
	hlist_for_each_entry(old, &cn->ladder_filters, node) {
		if (old->portid == portid) {
			hlist_replace_rcu(&old->node, &lf->node);
			spin_unlock_bh(&cn->ladder_lock);
			kfree_rcu(old, rcu);
			return 0;
		}
	}
	if (cn->ladder_count >= CLASP_LADDER_MAX_FILTERS) {
		spin_unlock_bh(&cn->ladder_lock);
		kfree(lf);
		NL_SET_ERR_MSG(extack,
			       "too many segment-event listeners in this namespace");
		return -EBUSY;
	}
	hlist_add_head_rcu(&lf->node, &cn->ladder_filters);
	cn->ladder_count++;
	spin_unlock_bh(&cn->ladder_lock);
	clasp_stats_inc(net, CLASP_MIB_LADDERLISTENERS);
	atomic_inc(&clasp_ladder_users);
	clasp_ladder_sync();
	return 0;
}

/* Drop @portid's filter, or every filter with @all; returns how many. */
static unsigned int clasp_ladder_remove(struct clasp_net *cn, u32 portid,
					bool all)
{
	struct clasp_ladder_filter *lf;
	struct hlist_node *tmp;
	unsigned int n = 0, i;

	spin_lock_bh(&cn->ladder_lock);
	hlist_for_each_entry_safe(lf, tmp, &cn->ladder_filters, node) {
		if (!all && lf->portid != portid)
			continue;
		hlist_del_rcu(&lf->node);
		cn->ladder_count--;
		kfree_rcu(lf, rcu);
		n++;
	}
	spin_unlock_bh(&cn->ladder_lock);
	if (!n)
		return 0;
	for (i = 0; i < n; i++)
		clasp_stats_dec(cn->net, CLASP_MIB_LADDERLISTENERS);
	atomic_sub(n, &clasp_ladder_users);
	if (!READ_ONCE(clasp_ladder_dying))
		schedule_work(&clasp_ladder_work);
	return n;
}

static int clasp_ladder_urelease(struct notifier_block *nb,
				 unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !atomic_read(&clasp_ladder_users))
		return NOTIFY_DONE;
	clasp_ladder_remove(clasp_pernet(n->net), n->portid, false);
	return NOTIFY_DONE;
}

static struct notifier_block clasp_ladder_notifier = {
	.notifier_call = clasp_ladder_urelease,
};

/**
 * clasp_ladder_init() - follow netlink sockets' release
 *
 * Return: 0 or a negative errno.
 */
int clasp_ladder_init(void)
{
	return netlink_register_notifier(&clasp_ladder_notifier);
}

/**
 * clasp_ladder_exit() - at module exit: no more events, the key off
 */
void clasp_ladder_exit(void)
{
	mutex_lock(&clasp_ladder_mutex);
	WRITE_ONCE(clasp_ladder_dying, true);
	static_branch_disable(&clasp_ladder_key);
	mutex_unlock(&clasp_ladder_mutex);
	netlink_unregister_notifier(&clasp_ladder_notifier);
	cancel_work_sync(&clasp_ladder_work);
}

/**
 * clasp_ladder_init_net() - a namespace starts without filters
 * @cn: the namespace
 */
void clasp_ladder_init_net(struct clasp_net *cn)
{
	spin_lock_init(&cn->ladder_lock);
	INIT_HLIST_HEAD(&cn->ladder_filters);
	cn->ladder_count = 0;
	cn->ladder_stamp = jiffies;
	atomic_set(&cn->ladder_budget, CLASP_LADDER_RATE);
}

/**
 * clasp_ladder_exit_net() - drop the filters left (at module unload the
 * sockets that set them outlive the module)
 * @cn: the namespace
 */
void clasp_ladder_exit_net(struct clasp_net *cn)
{
	clasp_ladder_remove(cn, 0, true);
}

/**
 * clasp_ladder_begin() - note a segment as it is sent or arrives
 * @ls: filled
 * @skb: the segment, transport header set
 * @sent: being sent
 * @old_state: the local side's state before it, 0 if unknown
 *
 * Only called with the key on (clasp_ladder_on()).  A segment received
 * is reported once: by the first owner it reaches (a request that hands
 * its final ACK to the new socket, say).
 */
void clasp_ladder_begin(struct clasp_ladder_seg *ls, const struct sk_buff *skb,
			bool sent, u8 old_state)
{
	const struct tcphdr *th = tcp_hdr(skb);

	memset(ls, 0, sizeof(*ls));
	ls->time_ns = ktime_get_ns();
	ls->sent = sent;
	ls->flags = clasp_flag_byte(th);
	ls->seq = ntohl(th->seq);
	ls->ack = ntohl(th->ack_seq);
	ls->wnd = ntohs(th->window);
	ls->len = skb->len - th->doff * 4;
	ls->old_state = old_state;
	ls->state = sent ? old_state : 0;
	if (sent)
		return;
	ls->skip = CLASP_SKB_CB(skb)->ladder;
	CLASP_SKB_CB(skb)->ladder = true;
}

/* One event for the rate bound: false when this second's are spent. */
static bool clasp_ladder_budget(struct clasp_net *cn)
{
	unsigned long stamp = READ_ONCE(cn->ladder_stamp);

	if (time_after(jiffies, stamp + HZ) &&
	    cmpxchg(&cn->ladder_stamp, stamp, jiffies) == stamp)
		atomic_set(&cn->ladder_budget, CLASP_LADDER_RATE);
	return atomic_dec_if_positive(&cn->ladder_budget) >= 0;
}

static void clasp_ladder_emit(struct net *net, const struct clasp_entry *k,
			      const struct clasp_ladder_seg *ls)
{
	struct clasp_net *cn = clasp_pernet(net);
	struct clasp_ladder_filter *lf;
	bool match = false;
	int err;

	if (ls->skip)
		return;
	rcu_read_lock();
	hlist_for_each_entry_rcu(lf, &cn->ladder_filters, node) {
		if (clasp_filter_match(&lf->f, k, 0)) {
			match = true;
			break;
		}
	}
	rcu_read_unlock();
	if (!match)
		return;
	if (!clasp_ladder_budget(cn)) {
		clasp_stats_inc(net, CLASP_MIB_LADDERDROPS);
		return;
	}
	err = clasp_notify_segment(net, k, ls);
	if (!err)
		clasp_stats_inc(net, CLASP_MIB_LADDEREVENTS);
	else if (err != -ESRCH)
		clasp_stats_inc(net, CLASP_MIB_LADDERDROPS);
}

/* What holds @t now: its state, or @none when nothing does. */
static u8 clasp_ladder_state_now(struct net *net, const struct clasp_entry *k,
				 u8 none)
{
	struct clasp_entry *e;
	u8 state = none;

	rcu_read_lock();
	e = clasp_lookup(clasp_pernet(net), k);
	if (e && e->kind == CLASP_ENTRY_SOCK)
		state = READ_ONCE(container_of(e, struct clasp_sock,
					       entry)->inet.sk.sk_state);
	else if (e && e->kind == CLASP_ENTRY_REQ)
		state = TCP_SYN_RECV;
	else if (e)
		state = READ_ONCE(e->state);
	rcu_read_unlock();
	return state;
}

/**
 * clasp_ladder_sock() - report a segment a socket sent or processed
 * @sk: the socket (locked)
 * @ls: from clasp_ladder_begin(); for one received, the state after is
 *	what holds the 4-tuple now (a TIME_WAIT entry that replaced @sk)
 */
void clasp_ladder_sock(struct sock *sk, struct clasp_ladder_seg *ls)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_entry k = {};

	if (ls->skip)
		return;
	clasp_sock_tuple(sk, &k);
	ls->iss = csk->iss;
	ls->irs = csk->irs;
	ls->isns = sk->sk_state != TCP_SYN_SENT;
	if (!ls->sent)
		ls->state = clasp_ladder_state_now(sock_net(sk), &k,
						   READ_ONCE(sk->sk_state));
	clasp_ladder_emit(sock_net(sk), &k, ls);
}

/**
 * clasp_ladder_entry() - report a segment sent or processed on behalf of
 * a request, a compact entry, a listener or nobody
 * @net: the namespace
 * @k: the key: 4-tuple from the local side, and family
 * @ls: from clasp_ladder_begin(); for one received, the state after is
 *	what holds @t now
 * @none: the state after when nothing holds @t (LISTEN for a listener's)
 */
void clasp_ladder_entry(struct net *net, const struct clasp_entry *k,
			struct clasp_ladder_seg *ls, u8 none)
{
	if (ls->skip)
		return;
	if (!ls->sent)
		ls->state = clasp_ladder_state_now(net, k, none);
	clasp_ladder_emit(net, k, ls);
}
