// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-order queue: segments that arrived beyond a hole, held until
 * the hole is filled (RFC 9293 3.10.7.4, seventh: "segments with higher
 * beginning sequence numbers ... may be held for later processing").
 *
 * An rbtree of buffers by first sequence number, as TCP's
 * out_of_order_queue.  A buffer whose bytes another already holds is not
 * queued, one that covers others replaces them; partial overlaps stay and
 * are trimmed when the data moves to the receive queue.  Every buffer is
 * charged to the socket's receive memory; when memory is refused the
 * queue gives up its highest segments first, which are the last the
 * reader needs.  None of them was acknowledged, so the sender sends them
 * again, and the window already advertised is not taken back.
 */
#include <linux/rbtree.h>
#include <net/sock.h>

#include "clasp.h"

static u32 clasp_ooo_seq(const struct sk_buff *skb)
{
	return CLASP_SKB_CB(skb)->seq;
}

static u32 clasp_ooo_end(const struct sk_buff *skb)
{
	return CLASP_SKB_CB(skb)->end_seq;
}

static void clasp_dsack_count(struct sock *sk, u32 start)
{
	clasp_sk_stats_inc(sk,
			   clasp_seq_before(start, clasp_sk(sk)->rcv_nxt) ?
			   CLASP_MIB_DSACKOLDSENT : CLASP_MIB_DSACKOFOSENT);
}

/**
 * clasp_dsack() - report bytes that arrived twice (RFC 2883)
 * @sk: the socket, locked
 * @start: first sequence number of the duplicate
 * @end: the one after its last
 *
 * The next segment sent names them in its first SACK block, once.  As
 * TCP's tcp_dsack_set(), the counter says whether they lay below rcv_nxt
 * (DSACKOldSent) or in the out-of-order queue (DSACKOfoSent); a
 * connection without SACK reports nothing.
 */
void clasp_dsack(struct sock *sk, u32 start, u32 end)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (!csk->sack_ok)
		return;
	clasp_dsack_count(sk, start);
	clasp_sack_duplicate(&csk->sack_rcv, start, end);
}

/*
 * More bytes of one segment came twice: they join the D-SACK not yet
 * reported, or begin one (TCP's tcp_dsack_extend()).
 */
static void clasp_dsack_more(struct sock *sk, u32 start, u32 end)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (csk->sack_ok &&
	    clasp_sack_duplicate_more(&csk->sack_rcv, start, end))
		clasp_dsack_count(sk, start);
}

static void clasp_ooo_unlink(struct sock *sk, struct sk_buff *skb)
{
	rb_erase(&skb->rbnode, &clasp_sk(sk)->ooo_queue);
	skb->rbnode = (struct rb_node){};
}

/* The buffer that starts last at or before @seq, or NULL. */
static struct sk_buff *clasp_ooo_floor(struct sock *sk, u32 seq)
{
	struct rb_node *n = clasp_sk(sk)->ooo_queue.rb_node;
	struct sk_buff *found = NULL;

	while (n) {
		struct sk_buff *skb = rb_to_skb(n);

		if (clasp_seq_after(clasp_ooo_seq(skb), seq)) {
			n = n->rb_left;
		} else {
			found = skb;
			n = n->rb_right;
		}
	}
	return found;
}

/* Free the highest buffer; false if the queue is empty. */
static bool clasp_ooo_drop_last(struct sock *sk)
{
	struct rb_node *last = rb_last(&clasp_sk(sk)->ooo_queue);
	struct sk_buff *skb;

	if (!last)
		return false;
	skb = rb_to_skb(last);
	clasp_ooo_unlink(sk, skb);
	clasp_sack_forget_above(&clasp_sk(sk)->sack_rcv, clasp_ooo_seq(skb));
	clasp_sk_stats_inc(sk, CLASP_MIB_OFOPRUNED);
	kfree_skb(skb);
	return true;
}

/*
 * Charge @skb to the receive memory, giving up queued segments above
 * @seq if that makes room.  As for in-order data, a socket past twice
 * its receive buffer takes nothing more.
 */
static bool clasp_ooo_charge(struct sock *sk, struct sk_buff *skb, u32 seq)
{
	for (;;) {
		struct rb_node *last = rb_last(&clasp_sk(sk)->ooo_queue);

		if (atomic_read(&sk->sk_rmem_alloc) - sk->sk_rcvbuf <=
		    sk->sk_rcvbuf && clasp_rmem_schedule(sk, skb))
			break;
		if (!last || !clasp_seq_after(clasp_ooo_seq(rb_to_skb(last)),
					      seq))
			return false;
		clasp_ooo_drop_last(sk);
	}
	skb_dst_drop(skb);
	skb_set_owner_r(skb, sk);
	return true;
}

/*
 * Free the buffers after @skb that it covers entirely.  Their bytes, and
 * those it shares with the next one, came twice.
 */
static void clasp_ooo_drop_covered(struct sock *sk, struct sk_buff *skb)
{
	struct rb_node *n;

	while ((n = rb_next(&skb->rbnode))) {
		struct sk_buff *next = rb_to_skb(n);

		if (clasp_seq_after(clasp_ooo_end(next), clasp_ooo_end(skb))) {
			if (clasp_seq_before(clasp_ooo_seq(next),
					     clasp_ooo_end(skb)))
				clasp_dsack_more(sk, clasp_ooo_seq(next),
						 clasp_ooo_end(skb));
			break;
		}
		clasp_dsack_more(sk, clasp_ooo_seq(next), clasp_ooo_end(next));
		clasp_ooo_unlink(sk, next);
		clasp_sk_stats_inc(sk, CLASP_MIB_OFOMERGE);
		kfree_skb(next);
	}
}

/**
 * clasp_ooo_queue() - hold a segment that starts beyond rcv_nxt
 * @sk: the socket, locked
 * @skb: the segment, its data at offset @off
 * @seg: its parsed header; seq lies after rcv_nxt
 * @off: where its payload starts in @skb
 *
 * Return: true if @skb now sits on the queue (the caller must not free
 * it), false if it was not needed or memory was refused.
 */
bool clasp_ooo_queue(struct sock *sk, struct sk_buff *skb,
		     const struct clasp_seg *seg, u32 off)
{
	struct rb_node **link = &clasp_sk(sk)->ooo_queue.rb_node;
	struct rb_node *parent = NULL;
	struct clasp_skb_cb *cb;
	struct sk_buff *prev;
	u32 end = seg->seq + seg->len;

	prev = clasp_ooo_floor(sk, seg->seq);
	if (prev && !clasp_seq_before(clasp_ooo_end(prev), end) &&
	    (!(seg->flags & CLASP_FIN) || CLASP_SKB_CB(prev)->flags)) {
		/* Every byte of it is here already (its FIN too). */
		clasp_dsack(sk, seg->seq, seg->end_seq);
		clasp_sk_stats_inc(sk, CLASP_MIB_OFOMERGE);
		return false;
	}
	if (!clasp_ooo_charge(sk, skb, seg->seq)) {
		clasp_sk_stats_inc(sk, CLASP_MIB_OFODROP);
		return false;
	}
	if (prev && clasp_seq_before(clasp_ooo_seq(prev), seg->seq) &&
	    clasp_seq_after(clasp_ooo_end(prev), seg->seq))
		/* Its start overlaps the segment before it. */
		clasp_dsack(sk, seg->seq, clasp_ooo_end(prev));
	cb = CLASP_SKB_CB(skb);
	memset(cb, 0, sizeof(*cb));
	cb->seq = seg->seq;
	cb->end_seq = end;
	cb->offset = off;
	cb->flags = seg->flags & CLASP_FIN;
	while (*link) {
		parent = *link;
		if (clasp_seq_before(seg->seq, clasp_ooo_seq(rb_to_skb(parent))))
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&skb->rbnode, parent, link);
	rb_insert_color(&skb->rbnode, &clasp_sk(sk)->ooo_queue);
	if (prev && clasp_ooo_seq(prev) == seg->seq) {
		/* The same start, and more: it replaces the shorter one. */
		clasp_dsack_more(sk, clasp_ooo_seq(prev), clasp_ooo_end(prev));
		clasp_ooo_unlink(sk, prev);
		clasp_sk_stats_inc(sk, CLASP_MIB_OFOMERGE);
		kfree_skb(prev);
	}
	clasp_ooo_drop_covered(sk, skb);
	/* A FIN held is held sequence space too, as TCP's blocks say. */
	if (clasp_sk(sk)->sack_ok)
		clasp_sack_add(&clasp_sk(sk)->sack_rcv, seg->seq, seg->end_seq);
	clasp_sk(sk)->rcv_ooopack++;
	clasp_sk_stats_inc(sk, CLASP_MIB_OFOQUEUE);
	return true;
}

/**
 * clasp_ooo_next() - take the next queued segment that rcv_nxt reached
 * @sk: the socket, locked
 * @in_order: rcv_nxt before the queue was drained: what a segment holds
 *	below it came in order too, hence twice (a D-SACK, as TCP's
 *	tcp_ofo_queue())
 *
 * Segments that hold nothing new any more are freed on the way.  The
 * buffer returned is unlinked but still charged to @sk; its control
 * block says where its bytes start (seq, offset), where they end
 * (end_seq) and whether a FIN follows them (flags).
 *
 * Return: the segment, or NULL when the next one lies beyond a hole.
 */
struct sk_buff *clasp_ooo_next(struct sock *sk, u32 in_order)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct rb_node *first;

	while ((first = rb_first(&csk->ooo_queue))) {
		struct sk_buff *skb = rb_to_skb(first);
		struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);

		if (clasp_seq_after(cb->seq, csk->rcv_nxt))
			return NULL;
		clasp_ooo_unlink(sk, skb);
		if (clasp_seq_before(cb->seq, in_order))
			clasp_dsack_more(sk, cb->seq,
					 clasp_seq_before(cb->end_seq, in_order) ?
					 cb->end_seq : in_order);
		if (clasp_seq_after(cb->end_seq, csk->rcv_nxt) ||
		    (cb->flags & CLASP_FIN && cb->end_seq == csk->rcv_nxt))
			return skb;
		kfree_skb(skb);
	}
	return NULL;
}

/**
 * clasp_ooo_purge() - free every held segment
 * @sk: the socket, locked
 */
void clasp_ooo_purge(struct sock *sk)
{
	struct rb_node *first;

	memset(&clasp_sk(sk)->sack_rcv, 0, sizeof(struct clasp_sack_rcv));
	while ((first = rb_first(&clasp_sk(sk)->ooo_queue))) {
		struct sk_buff *skb = rb_to_skb(first);

		clasp_ooo_unlink(sk, skb);
		kfree_skb(skb);
	}
}

/**
 * clasp_ooo_count() - segments held, for CLASP_INFO and the dump
 * @sk: the socket, locked
 *
 * Return: the count.
 */
u32 clasp_ooo_count(const struct sock *sk)
{
	struct rb_node *n = rb_first(&clasp_sk(sk)->ooo_queue);
	u32 count = 0;

	for (; n; n = rb_next(n))
		count++;
	return count;
}
