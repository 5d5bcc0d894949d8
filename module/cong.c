// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: congestion control, the part every algorithm shares.
 *
 * An algorithm (struct clasp_cong_ops, cong.h) is registered by name;
 * a connection uses the one TCP_CONGESTION chose, or its namespace's
 * congestion_control (pernet.c, sysctl.c) when it began.  The window is
 * counted in segments, as TCP's snd_cwnd: output.c sends new data while
 * the segments in flight, RFC 6675's pipe (clasp_cong_pipe()), are fewer
 * than cwnd, and recovery.c's retransmissions after the first obey the
 * same bound.
 *
 * What happens at each event is RFC 5681's, with NewReno's recovery
 * (RFC 6582) without SACK and RFC 6675's with it; the algorithm only
 * says how far to fall (ssthresh()), how to grow (cong_avoid()) and
 * where to return after a spurious timeout (undo_cwnd()):
 *
 *   start         cwnd = CLASP_INIT_CWND (10, RFC 6928, as Linux's
 *                 TCP_INIT_CWND), ssthresh "infinite"
 *   ACK in Open   cong_avoid() with the segments newly acknowledged,
 *   or Loss       only while the connection uses its window (RFC 7661's
 *                 test, Linux's tcp_is_cwnd_limited())
 *   fast          ssthresh = ssthresh(); cwnd = ssthresh with SACK
 *   retransmit    (RFC 6675 5 step 4.2), ssthresh + 3 without, grown by
 *                 one per further duplicate ACK and deflated by each
 *                 partial ACK (RFC 6582 3.2 steps 2, 3, 5)
 *   full ACK      cwnd = ssthresh (RFC 6582 3.2 step 6, option 2)
 *   RTO           ssthresh = ssthresh() on the first timeout of an
 *                 episode (RFC 5681 3.1), cwnd = 1 (the loss window)
 *   undo          cwnd = undo_cwnd(), ssthresh as before, when recovery.c
 *                 finds a reduction needless: a spurious timeout (F-RTO,
 *                 RFC 5682, or timestamps, RFC 3522), a fast retransmit
 *                 of data only late (timestamps, or D-SACKs, RFC 3708)
 *   idle          nothing in flight and no data sent for an RTO: cwnd =
 *                 min(cwnd, IW) (RFC 5681 4.1)
 *
 * Linux reduces the window in recovery by Proportional Rate Reduction
 * (RFC 6937) instead; clasp does not, yet.
 */
#include <linux/spinlock.h>
#include <linux/string.h>
#include <net/sock.h>

#include "clasp.h"

/* Algorithms are clasp's own and live as long as the module. */
static LIST_HEAD(clasp_cong_list);
static DEFINE_SPINLOCK(clasp_cong_lock);

static const struct clasp_cong_ops *clasp_cong_lookup(const char *name)
{
	const struct clasp_cong_ops *ops;

	list_for_each_entry(ops, &clasp_cong_list, list)
		if (!strcmp(ops->name, name))
			return ops;
	return NULL;
}

/**
 * clasp_cong_register() - make an algorithm available by its name
 * @ops: the algorithm; it must outlive its registration
 *
 * Return: 0, -EINVAL if a required operation or the name is missing,
 * -EEXIST if the name is taken.
 */
int clasp_cong_register(struct clasp_cong_ops *ops)
{
	int err = 0;

	if (!ops->name[0] || !ops->ssthresh || !ops->cong_avoid ||
	    !ops->undo_cwnd)
		return -EINVAL;
	spin_lock(&clasp_cong_lock);
	if (clasp_cong_lookup(ops->name))
		err = -EEXIST;
	else
		list_add_tail(&ops->list, &clasp_cong_list);
	spin_unlock(&clasp_cong_lock);
	return err;
}

/**
 * clasp_cong_unregister() - withdraw an algorithm (at module exit, when
 * no socket uses it)
 * @ops: the algorithm
 */
void clasp_cong_unregister(struct clasp_cong_ops *ops)
{
	spin_lock(&clasp_cong_lock);
	list_del(&ops->list);
	spin_unlock(&clasp_cong_lock);
}

/**
 * clasp_cong_find() - an algorithm by name
 * @name: its name
 *
 * Return: the algorithm, or NULL.
 */
const struct clasp_cong_ops *clasp_cong_find(const char *name)
{
	const struct clasp_cong_ops *ops;

	spin_lock(&clasp_cong_lock);
	ops = clasp_cong_lookup(name);
	spin_unlock(&clasp_cong_lock);
	return ops;
}

/**
 * clasp_cong_available() - the names of the algorithms, space-separated,
 * as net.ipv4.tcp_available_congestion_control lists TCP's
 * @buf: where to write them, NUL-terminated
 * @size: its size
 *
 * Return: the length written.
 */
size_t clasp_cong_available(char *buf, size_t size)
{
	const struct clasp_cong_ops *ops;
	size_t len = 0;

	if (!size)
		return 0;
	buf[0] = 0;
	spin_lock(&clasp_cong_lock);
	list_for_each_entry(ops, &clasp_cong_list, list)
		len += scnprintf(buf + len, size - len, "%s%s",
				 len ? " " : "", ops->name);
	spin_unlock(&clasp_cong_lock);
	return len;
}

/**
 * clasp_cong_init_module() - register the algorithms clasp brings
 *
 * Return: 0 or a negative errno.
 */
int clasp_cong_init_module(void)
{
	int err;

	/* In Linux's order: tcp_available_congestion_control says "reno cubic". */
	err = clasp_cong_register(&clasp_newreno);
	if (err)
		return err;
	err = clasp_cong_register(&clasp_cong_cubic);
	if (err)
		clasp_cong_unregister(&clasp_newreno);
	return err;
}

/**
 * clasp_cong_exit_module() - withdraw them
 */
void clasp_cong_exit_module(void)
{
	clasp_cong_unregister(&clasp_cong_cubic);
	clasp_cong_unregister(&clasp_newreno);
}

/* The algorithm a connection of @sk starts with. */
static const struct clasp_cong_ops *clasp_cong_choice(const struct sock *sk)
{
	return READ_ONCE(clasp_sk(sk)->opt.ca_ops) ?:
	       READ_ONCE(clasp_pernet(sock_net(sk))->ca_default);
}

/* The window a connection starts with, and forgets what it learnt. */
static void clasp_cong_reset(struct sock *sk)
{
	struct clasp_cong *c = &clasp_sk(sk)->cong;

	c->cwnd = CLASP_INIT_CWND;
	c->ssthresh = CLASP_INFINITE_SSTHRESH;
	c->cwnd_cnt = 0;
	c->prior_cwnd = 0;
	c->prior_ssthresh = 0;
	c->round_end = clasp_sk(sk)->snd_max;
	c->max_out = 0;
	c->limited = false;
}

/**
 * clasp_cong_sock_init() - a new socket, or a listener's fresh clone:
 * the namespace's algorithm (what TCP_CONGESTION reads until set) and
 * the initial window
 * @sk: the socket
 */
void clasp_cong_sock_init(struct sock *sk)
{
	struct clasp_cong *c = &clasp_sk(sk)->cong;

	memset(c, 0, sizeof(*c));
	c->ops = clasp_cong_choice(sk);
	clasp_cong_reset(sk);
}

/**
 * clasp_cong_start() - a connection begins (connect(), or a listener's
 * child): its algorithm is the one chosen on the socket, else the
 * namespace's now
 * @sk: the socket, locked, sequence numbers set
 */
void clasp_cong_start(struct sock *sk)
{
	struct clasp_cong *c = &clasp_sk(sk)->cong;

	clasp_cong_stop(sk);
	memset(c->priv, 0, sizeof(c->priv));
	c->ops = clasp_cong_choice(sk);
	clasp_cong_reset(sk);
	if (c->ops->init)
		c->ops->init(sk);
	c->started = true;
}

/**
 * clasp_cong_stop() - the connection no longer uses its algorithm
 * @sk: the socket, locked
 */
void clasp_cong_stop(struct sock *sk)
{
	struct clasp_cong *c = &clasp_sk(sk)->cong;

	if (c->started && c->ops->release)
		c->ops->release(sk);
	c->started = false;
}

/**
 * clasp_cong_set() - TCP_CONGESTION: choose the algorithm by name
 * @sk: the socket, locked
 * @name: the name, NUL-terminated
 *
 * As TCP's tcp_set_congestion_control(): the choice holds for the
 * socket's connections and a listener's children; a connection under
 * way changes algorithm at once, keeping its window.
 *
 * Return: 0, or -ENOENT for a name no algorithm has.
 */
int clasp_cong_set(struct sock *sk, const char *name)
{
	const struct clasp_cong_ops *ops = clasp_cong_find(name);
	struct clasp_cong *c = &clasp_sk(sk)->cong;

	if (!ops)
		return -ENOENT;
	WRITE_ONCE(clasp_sk(sk)->opt.ca_ops, ops);
	if (ops == c->ops)
		return 0;
	if (!c->started) {
		WRITE_ONCE(c->ops, ops);
		return 0;
	}
	clasp_cong_stop(sk);
	memset(c->priv, 0, sizeof(c->priv));
	WRITE_ONCE(c->ops, ops);
	if (ops->init)
		ops->init(sk);
	c->started = true;
	return 0;
}

/**
 * clasp_cong_name() - the name of the algorithm a socket uses
 * @sk: the socket
 *
 * Return: the name, CLASP_CA_NAME_MAX bytes (zero-padded).
 */
const char *clasp_cong_name(const struct sock *sk)
{
	return READ_ONCE(clasp_sk(sk)->cong.ops)->name;
}

/* clasp_cong_pipe() by a walk of the segments out: O(n). */
static u32 clasp_cong_pipe_walk(struct sock *sk, u32 limit)
{
	struct clasp_sock *csk = clasp_sk(sk);
	bool recovering = csk->ca_state != TCP_CA_Open;
	bool loss = csk->ca_state == TCP_CA_Loss;
	u32 pipe = 0, lost_end = csk->snd_una, lost;
	struct sk_buff *skb;

	/* With RACK deciding, its marks alone (cb->lost) say what is lost. */
	if (csk->sacked_out && !clasp_rack_decides(sk))
		lost_end = clasp_sack_lost_end(sk, &lost);
	skb_queue_walk(&sk->sk_write_queue, skb) {
		const struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);

		if (skb == csk->send_head || pipe >= limit)
			break;
		if (cb->sacked)
			continue;
		if (recovering && cb->retransmitted &&
		    clasp_seq_before(cb->seq, csk->high_rxt)) {
			pipe += clasp_skb_segs(skb);
			continue;
		}
		if (cb->lost || clasp_seq_before(cb->seq, lost_end) ||
		    (loss && clasp_seq_before(cb->seq, csk->recover)))
			continue;
		pipe += clasp_skb_segs(skb);
	}
	return pipe;
}

/**
 * clasp_cong_pipe() - the segments thought to be in the network, RFC
 * 6675's pipe (Linux's tcp_packets_in_flight()), counted up to @limit
 * @sk: the socket, locked
 * @limit: stop counting there
 *
 * A segment sent counts unless the peer SACKed it or it is thought lost:
 * RACK found it lost, IsLost() holds for it (not while RACK decides
 * alone), or a timeout is being recovered from and it was outstanding
 * then.  A segment sent again in this recovery (below HighRxt) counts
 * once, for its retransmission.  The counters of the segments out say it
 * in O(1) (rtxq.c), but in a recovery after a timeout, or while IsLost()
 * is in use: then a walk of the queue does.
 *
 * Return: the count, at most @limit.
 */
u32 clasp_cong_pipe(struct sock *sk, u32 limit)
{
	u32 pipe, walked;

	if (!clasp_rtxq_pipe(sk, &pipe)) {
		if (unlikely(clasp_rtxq_debugging()))
			clasp_rtxq_check(sk, U32_MAX, 0);
		return clasp_cong_pipe_walk(sk, limit);
	}
	if (unlikely(clasp_rtxq_debugging())) {
		walked = clasp_cong_pipe_walk(sk, U32_MAX);
		clasp_rtxq_check(sk, pipe, walked);
	}
	return min(pipe, limit);
}

/**
 * clasp_cong_validate() - what the send loop found: @pipe segments in
 * flight after it, and whether cwnd held a segment back (@blocked)
 * @sk: the socket, locked
 * @pipe: segments in flight now
 * @blocked: cwnd stopped the loop
 *
 * Keeps, per round trip, whether the connection used its window, as
 * Linux's tcp_cwnd_validate(): a window the application or the peer
 * leaves unused must not grow (RFC 7661).
 */
void clasp_cong_validate(struct sock *sk, u32 pipe, bool blocked)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_cong *c = &csk->cong;
	bool limited = blocked || pipe >= c->cwnd;

	if (!clasp_seq_before(csk->snd_una, c->round_end) || limited ||
	    (!c->limited && pipe > c->max_out)) {
		c->limited = limited;
		c->max_out = pipe;
		c->round_end = csk->snd_max;
	}
}

/**
 * clasp_cong_limited() - may cwnd grow? Only while the connection uses
 * it: in slow start while it is less than twice what was in flight, else
 * when the round was limited by cwnd (Linux's tcp_is_cwnd_limited())
 * @sk: the socket
 *
 * Return: true if it may.
 */
bool clasp_cong_limited(const struct sock *sk)
{
	const struct clasp_cong *c = &clasp_sk(sk)->cong;

	if (c->cwnd < c->ssthresh)
		return c->cwnd < 2 * c->max_out;
	return c->limited;
}

/**
 * clasp_cong_slow_start() - slow start (RFC 5681 3.1): cwnd grows by the
 * segments acknowledged, up to ssthresh
 * @sk: the socket, locked
 * @acked: segments acknowledged; left with those slow start did not use
 */
void clasp_cong_slow_start(struct sock *sk, u32 *acked)
{
	struct clasp_cong *c = &clasp_sk(sk)->cong;
	u32 room = c->ssthresh > c->cwnd ? c->ssthresh - c->cwnd : 0;
	u32 grow = min(*acked, room);

	c->cwnd += grow;
	*acked -= grow;
}

/**
 * clasp_cong_avoid_ai() - additive increase: one segment more for every
 * @w segments acknowledged (RFC 5681 3.1's once per round trip when @w is
 * cwnd), counted across ACKs as Linux's tcp_cong_avoid_ai()
 * @sk: the socket, locked
 * @w: segments per increase, at least 1
 * @acked: segments acknowledged by this ACK
 */
void clasp_cong_avoid_ai(struct sock *sk, u32 w, u32 acked)
{
	struct clasp_cong *c = &clasp_sk(sk)->cong;

	w = max(w, 1U);
	c->cwnd_cnt += acked;
	if (c->cwnd_cnt >= w) {
		c->cwnd += c->cwnd_cnt / w;
		c->cwnd_cnt %= w;
	}
}

/**
 * clasp_cong_state() - loss recovery changes state (recovery.c)
 * @sk: the socket, locked
 * @state: TCP's enum tcp_ca_state
 */
void clasp_cong_state(struct sock *sk, u8 state)
{
	const struct clasp_cong_ops *ops = clasp_sk(sk)->cong.ops;

	if (ops->set_state)
		ops->set_state(sk, state);
}

static void clasp_cong_event(struct sock *sk, enum clasp_ca_event ev)
{
	const struct clasp_cong_ops *ops = clasp_sk(sk)->cong.ops;

	if (ops->cwnd_event)
		ops->cwnd_event(sk, ev);
}

/* Remember the window before a reduction, for an undo. */
static void clasp_cong_save(struct sock *sk)
{
	struct clasp_cong *c = &clasp_sk(sk)->cong;

	c->prior_cwnd = c->cwnd;
	c->prior_ssthresh = c->ssthresh;
	c->ssthresh = max(c->ops->ssthresh(sk), 2U);
	c->cwnd_cnt = 0;
	clasp_ecn_queue_cwr(sk);
}

/**
 * clasp_cong_recovery() - a fast retransmit begins a recovery (called
 * before it is sent)
 * @sk: the socket, locked
 *
 * RFC 6675 5 step 4.2 with SACK: cwnd = ssthresh, pipe decides the rest.
 * Without SACK, RFC 6582 3.2 step 2: cwnd = ssthresh + 3, the three
 * segments the duplicate ACKs show have left the network.
 */
void clasp_cong_recovery(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_cong *c = &csk->cong;

	clasp_cong_save(sk);
	c->cwnd = c->ssthresh + (csk->sack_ok ? 0 : CLASP_DUPTHRESH);
}

/**
 * clasp_cong_dupack() - a further duplicate ACK in a recovery without
 * SACK: one more segment has left the network (RFC 6582 3.2 step 3)
 * @sk: the socket, locked
 */
void clasp_cong_dupack(struct sock *sk)
{
	clasp_sk(sk)->cong.cwnd++;
}

/**
 * clasp_cong_timeout() - the retransmission timer expired with data
 * outstanding (before recovery.c resends)
 * @sk: the socket, locked, retransmits already counting this timeout
 *
 * RFC 5681 3.1: ssthresh from the flight, once per episode (a timeout
 * repeated for the same segment, or one during a fast recovery that
 * already lowered it, keeps it), and the loss window: one segment.
 */
void clasp_cong_timeout(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_cong *c = &csk->cong;

	if (csk->ca_state == TCP_CA_Open ||
	    (csk->ca_state == TCP_CA_Loss && csk->retransmits <= 1))
		clasp_cong_save(sk);
	c->cwnd = 1;
	c->cwnd_cnt = 0;
	clasp_cong_event(sk, CLASP_CA_EVENT_LOSS);
}

/**
 * clasp_cong_undo() - the last reduction was needless (recovery.c found
 * it so: F-RTO, an echoed timestamp older than the retransmission, or
 * D-SACKs of every retransmission): back to the window before it
 * @sk: the socket, locked
 */
void clasp_cong_undo(struct sock *sk)
{
	struct clasp_cong *c = &clasp_sk(sk)->cong;

	if (!c->prior_ssthresh)
		return;
	c->cwnd = max(c->ops->undo_cwnd(sk), 1U);
	c->ssthresh = max(c->ssthresh, c->prior_ssthresh);
	c->prior_ssthresh = 0;
}

/**
 * clasp_cong_ack() - an ACK advanced snd_una, after recovery.c saw it
 * @sk: the socket, locked
 * @acked: segments it acknowledged
 * @rtt_us: the RTT sample it gave, -1 if none
 * @prior: the recovery state before it
 *
 * A recovery's end sets cwnd to ssthresh (RFC 6582 3.2 step 6); a
 * partial ACK without SACK deflates it (step 5); outside a fast recovery
 * the algorithm grows it.
 */
void clasp_cong_ack(struct sock *sk, u32 acked, s32 rtt_us, u8 prior)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_cong *c = &csk->cong;

	if (c->ops->pkts_acked)
		c->ops->pkts_acked(sk, acked, rtt_us);
	if (prior == TCP_CA_Recovery) {
		if (csk->ca_state == TCP_CA_Recovery) {
			if (!csk->sack_ok)
				c->cwnd = c->cwnd > acked ? c->cwnd - acked + 1 : 1;
		} else if (c->prior_ssthresh) {
			/*
			 * prior_ssthresh stays: a D-SACK may undo it later.
			 * Undone already (0), cwnd stays where undo put it.
			 */
			c->cwnd = c->ssthresh;
		}
		return;
	}
	/* Nor while the cut for an ECE lasts, as TCP's CWR state. */
	if (csk->ca_state == TCP_CA_Recovery || !acked ||
	    csk->ecn & CLASP_ECN_IN_CWR)
		return;
	c->ops->cong_avoid(sk, acked);
}

/**
 * clasp_cong_cwr() - an ECE came, or the socket's own qdisc dropped or
 * marked a segment: cut the window, as for a loss but without one
 * (RFC 3168 6.1.2, Linux's tcp_enter_cwr())
 * @sk: the socket, locked, no recovery under way
 *
 * ssthresh from the algorithm, cwnd no more than it at once; nothing to
 * undo later, as TCP keeps nothing to undo a cut for ECN.  The cut lasts
 * until an ACK goes beyond what is in flight now (snd_max, kept in
 * cwr_high).  The
 * algorithm hears of TCP's CWR state.
 */
void clasp_cong_cwr(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_cong *c = &csk->cong;

	csk->cwr_high = csk->snd_max;
	c->ssthresh = max(c->ops->ssthresh(sk), 2U);
	c->cwnd = min(c->cwnd, c->ssthresh);
	c->cwnd_cnt = 0;
	c->prior_ssthresh = 0;
	clasp_cong_state(sk, TCP_CA_CWR);
}

/**
 * clasp_cong_tx_start() - new data is about to go with nothing in flight
 * @sk: the socket, locked
 *
 * After an idle time of an RTO (nothing sent for that long), the window
 * the connection had may no longer fit the path: cwnd = min(cwnd, IW),
 * RFC 5681 4.1's restart window.
 */
void clasp_cong_tx_start(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_cong *c = &csk->cong;
	s64 idle_us = ktime_us_delta(clasp_now(sk), csk->data_sent_tstamp);

	clasp_cong_event(sk, CLASP_CA_EVENT_TX_START);
	if (idle_us <= csk->rto_us || c->cwnd <= CLASP_INIT_CWND)
		return;
	c->cwnd = CLASP_INIT_CWND;
	c->cwnd_cnt = 0;
	clasp_cong_event(sk, CLASP_CA_EVENT_CWND_RESTART);
}
