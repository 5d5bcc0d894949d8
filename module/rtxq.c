// SPDX-License-Identifier: GPL-2.0
/*
 * The segments sent and not yet acknowledged, those of the write queue
 * before send_head, kept so that an ACK costs O(log n) in the window, or
 * O(1) per segment it acts on, rather than a walk of the queue (issue
 * 18).  Three structures follow the segments as their marks change:
 *
 * - Counters, as Linux's packets_out, sacked_out, lost_out and
 *   retrans_out, in segments (a buffer counts cb->segs, Linux's pcount):
 *   the segments out, SACKed, lost and not SACKed, sent
 *   again and not SACKed, and those lost, sent again, not SACKed and below
 *   HighRxt, which a fast recovery counts in pipe (cong.c).  Pipe is then
 *   arithmetic outside a recovery after a timeout.
 *
 * - A list of the segments neither SACKed nor lost, in the order they
 *   were last sent (Linux's tsorted_sent_queue, through the same field of
 *   the sk_buff, skb->tcp_tsorted_anchor): RACK looks from its oldest and
 *   stops at the first segment sent after the one RACK.xmit_ts names,
 *   rather than at the end of the queue.  A segment leaves it when it is
 *   SACKed, found lost or acknowledged, and goes to its tail when it is
 *   sent again.  One RACK found lost stays off it until then, even when
 *   an undo clears the mark (cb->rack_lost), as Linux's
 *   tcp_rack_detect_loss() takes it off for good: else RACK, whose
 *   evidence has not changed, would find it lost again on the next ACK,
 *   and a recovery would begin and be undone per ACK, each sending a
 *   segment needlessly.  The field shares its place with the buffer's
 *   destination and destructor, which a queued segment does not use:
 *   output.c hides it while it clones, and it is zeroed whenever the
 *   segment is not on the list, so a buffer freed off the list holds
 *   neither.
 *
 * - An index by sequence number: a ring of pointers to the buffers out,
 *   in order.  They only grow at their end (a transmission) and shrink at
 *   their start (a cumulative ACK), so the ring follows them in O(1),
 *   amortised over its doubling, and a binary search finds the buffer
 *   holding a sequence number in O(log n): where a SACK block starts.
 *   TCP's rtx rbtree needs a node in each buffer; clasp's write queue is
 *   a list, whose linkage skb->rbnode overlays, and the control block is
 *   full.  A buffer out of several segments is cut where a SACK block
 *   begins or ends inside it, where a retransmission or a tail loss
 *   probe takes one segment off it, and when the path MTU falls; the ring
 *   is then, and when it cannot grow, given up until nothing is out, and
 *   a lookup walks the queue meanwhile: a walk of buffers, most of them
 *   of many segments.
 *
 * With debug_rtxq set, every pipe computed is checked against the walk it
 * replaced and every counter against a recount, RACK's look against a
 * walk of every segment out, each SACK block against a walk of all it
 * covers; a difference is logged and counted in rtxq_errors, which the
 * selftests read.
 */
#include <linux/list_sort.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "clasp.h"

static bool clasp_rtxq_debug;
module_param_named(debug_rtxq, clasp_rtxq_debug, bool, 0644);
MODULE_PARM_DESC(debug_rtxq, "check the counters of the segments out against a recount, on every ACK (slow)");

static unsigned int clasp_rtxq_errors;
module_param_named(rtxq_errors, clasp_rtxq_errors, uint, 0444);
MODULE_PARM_DESC(rtxq_errors, "differences debug_rtxq found");

#define CLASP_RTXQ_MIN_CAP	64U

/**
 * clasp_rtxq_debugging() - is debug_rtxq set?
 *
 * Return: true if the counters are to be checked.
 */
bool clasp_rtxq_debugging(void)
{
	return READ_ONCE(clasp_rtxq_debug);
}

/* Is @skb out: before send_head? */
static bool clasp_rtxq_in(const struct clasp_sock *csk,
			  const struct sk_buff *skb)
{
	return !csk->send_head ||
	       clasp_seq_before(CLASP_SKB_CB(skb)->seq,
				CLASP_SKB_CB(csk->send_head)->seq);
}

static bool clasp_rtxq_lost_retrans(const struct clasp_sock *csk,
				    const struct clasp_skb_cb *cb)
{
	return !cb->sacked && cb->lost && cb->retransmitted &&
	       clasp_seq_before(cb->seq, csk->high_rxt);
}

/*
 * Add (@dir 1) or take away (-1) what the marks of @skb, out, count: each
 * of its segments, as Linux counts a buffer's pcount.
 */
static void clasp_rtxq_count(struct clasp_sock *csk, const struct sk_buff *skb,
			     int dir)
{
	const struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);
	struct clasp_rtxq *q = &csk->rtxq;
	int n = dir * (int)clasp_skb_segs(skb);

	if (cb->sacked) {
		q->sacked += n;
		return;
	}
	if (cb->lost) {
		q->lost += n;
		/* The first one, or one below those: the walks start there. */
		if (dir > 0 &&
		    (q->lost == n || clasp_seq_before(cb->seq, q->lost_seq)))
			q->lost_seq = cb->seq;
	}
	if (cb->retransmitted)
		q->retrans += n;
	if (clasp_rtxq_lost_retrans(csk, cb))
		q->lost_retrans += n;
}

static bool clasp_ts_on(const struct sk_buff *skb)
{
	return skb->tcp_tsorted_anchor.next;
}

static void clasp_ts_del(struct sk_buff *skb)
{
	if (!clasp_ts_on(skb))
		return;
	list_del(&skb->tcp_tsorted_anchor);
	/* Neither a destination nor a destructor for kfree_skb() to meet. */
	skb->tcp_tsorted_anchor.next = NULL;
	skb->tcp_tsorted_anchor.prev = NULL;
}

static void clasp_ts_tail(struct clasp_sock *csk, struct sk_buff *skb)
{
	const struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);

	clasp_ts_del(skb);
	if (!cb->sacked && !cb->lost && !cb->rack_lost)
		list_add_tail(&skb->tcp_tsorted_anchor, &csk->rtxq.tsorted);
}

/* Forget the ring; it is rebuilt from the segments out. */
static void clasp_idx_clear(struct clasp_rtxq *q)
{
	q->first = 0;
	q->len = 0;
	q->idx_bad = false;
}

static struct sk_buff *clasp_idx_at(const struct clasp_rtxq *q, u32 i)
{
	return q->idx[(q->first + i) & (q->cap - 1)];
}

/* Room for one more in the ring; false if it cannot grow. */
static bool clasp_idx_room(struct clasp_rtxq *q)
{
	struct sk_buff **ring;
	u32 cap, i;

	if (q->len < q->cap)
		return true;
	cap = q->cap ? q->cap * 2 : CLASP_RTXQ_MIN_CAP;
	if (cap > U32_MAX / 2)
		return false;
	ring = kmalloc_array(cap, sizeof(*ring), GFP_ATOMIC | __GFP_NOWARN);
	if (!ring)
		return false;
	for (i = 0; i < q->len; i++)
		ring[i] = clasp_idx_at(q, i);
	kfree(q->idx);
	q->idx = ring;
	q->cap = cap;
	q->first = 0;
	return true;
}

static void clasp_idx_push(struct clasp_rtxq *q, struct sk_buff *skb)
{
	if (q->idx_bad)
		return;
	if (!clasp_idx_room(q)) {
		q->idx_bad = true;
		return;
	}
	q->idx[(q->first + q->len) & (q->cap - 1)] = skb;
	q->len++;
}

/**
 * clasp_rtxq_init() - a socket's structures, empty
 * @sk: the socket, new or a fresh child whose private part was zeroed
 */
void clasp_rtxq_init(struct sock *sk)
{
	INIT_LIST_HEAD(&clasp_sk(sk)->rtxq.tsorted);
}

/* Empty the list and the ring, and zero the counts of what is out. */
static void clasp_rtxq_forget(struct clasp_rtxq *q)
{
	struct sk_buff *skb, *tmp;

	list_for_each_entry_safe(skb, tmp, &q->tsorted, tcp_tsorted_anchor)
		clasp_ts_del(skb);
	clasp_idx_clear(q);
	q->out = 0;
	q->bufs = 0;
	q->sacked = 0;
	q->lost = 0;
	q->retrans = 0;
	q->lost_retrans = 0;
	q->ncache = 0;
}

/**
 * clasp_rtxq_purge() - every segment of the write queue is about to be
 * freed: take them off the list, and free the ring
 * @sk: the socket, locked
 */
void clasp_rtxq_purge(struct sock *sk)
{
	struct clasp_rtxq *q = &clasp_sk(sk)->rtxq;

	clasp_rtxq_forget(q);
	kfree(q->idx);
	q->idx = NULL;
	q->cap = 0;
}

/**
 * clasp_rtxq_free() - the socket is going: free the ring
 * @sk: the socket
 */
void clasp_rtxq_free(struct sock *sk)
{
	kfree(clasp_sk(sk)->rtxq.idx);
	clasp_sk(sk)->rtxq.idx = NULL;
}

static int clasp_ts_cmp(void *priv, const struct list_head *a,
			const struct list_head *b)
{
	ktime_t ta = CLASP_SKB_CB(list_entry(a, struct sk_buff,
					     tcp_tsorted_anchor))->xmit;
	ktime_t tb = CLASP_SKB_CB(list_entry(b, struct sk_buff,
					     tcp_tsorted_anchor))->xmit;

	return ta > tb ? 1 : 0;
}

/**
 * clasp_rtxq_rebuild() - count the segments out again, and rebuild their
 * list and ring, after marks changed on many at once (reneging, an undo,
 * a smaller MTU)
 * @sk: the socket, locked
 */
void clasp_rtxq_rebuild(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_rtxq *q = &csk->rtxq;
	struct sk_buff *skb;

	clasp_rtxq_forget(q);
	q->lost_seq = csk->snd_max;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (skb == csk->send_head)
			break;
		q->out += clasp_skb_segs(skb);
		q->bufs++;
		clasp_rtxq_count(csk, skb, 1);
		clasp_idx_push(q, skb);
		clasp_ts_tail(csk, skb);
	}
	list_sort(NULL, &q->tsorted, clasp_ts_cmp);
}

/**
 * clasp_rtxq_sent() - @skb, at send_head, was sent: it is out now
 * @sk: the socket, locked
 * @skb: the segment, its marks set for this transmission
 */
void clasp_rtxq_sent(struct sock *sk, struct sk_buff *skb)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_rtxq *q = &csk->rtxq;

	if (!q->bufs)
		clasp_idx_clear(q);
	q->out += clasp_skb_segs(skb);
	q->bufs++;
	clasp_rtxq_count(csk, skb, 1);
	clasp_idx_push(q, skb);
	clasp_ts_tail(csk, skb);
}

/**
 * clasp_rtxq_acked() - @skb leaves the write queue, acknowledged
 * @sk: the socket, locked
 * @skb: the segment, the oldest
 * @out: it is out (send_head is after it)
 */
void clasp_rtxq_acked(struct sock *sk, struct sk_buff *skb, bool out)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_rtxq *q = &csk->rtxq;

	clasp_ts_del(skb);
	if (!out)
		return;
	q->out -= clasp_skb_segs(skb);
	q->bufs--;
	clasp_rtxq_count(csk, skb, -1);
	if (!q->idx_bad && q->len) {
		q->first = (q->first + 1) & (q->cap - 1);
		q->len--;
	}
	if (!q->bufs)
		clasp_idx_clear(q);
}

/**
 * clasp_rtxq_begin() - the marks of @skb are about to change
 * @sk: the socket, locked
 * @skb: the segment
 *
 * Return: whether it is out, for clasp_rtxq_end().
 */
bool clasp_rtxq_begin(struct sock *sk, const struct sk_buff *skb)
{
	struct clasp_sock *csk = clasp_sk(sk);
	bool out = clasp_rtxq_in(csk, skb);

	if (out)
		clasp_rtxq_count(csk, skb, -1);
	return out;
}

/**
 * clasp_rtxq_end() - the marks of @skb changed: count them again; it
 * leaves the list if SACKed or lost, and goes to its tail if it was just
 * sent again
 * @sk: the socket, locked
 * @skb: the segment
 * @out: what clasp_rtxq_begin() said
 * @sent: it was sent again
 */
void clasp_rtxq_end(struct sock *sk, struct sk_buff *skb, bool out, bool sent)
{
	struct clasp_sock *csk = clasp_sk(sk);
	const struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);

	if (!out)
		return;
	clasp_rtxq_count(csk, skb, 1);
	if (sent)
		clasp_ts_tail(csk, skb);
	else if (cb->sacked || cb->lost)
		clasp_ts_del(skb);
}

/**
 * clasp_rtxq_split() - @skb was split, @tail is its second part
 * @sk: the socket, locked
 * @skb: the first part
 * @tail: the second, queued after it, with the same marks
 * @out: what clasp_rtxq_begin() said of @skb before the split
 * @segs: the segments @skb counted for then
 */
void clasp_rtxq_split(struct sock *sk, struct sk_buff *skb,
		      struct sk_buff *tail, bool out, u32 segs)
{
	struct clasp_sock *csk = clasp_sk(sk);

	/* Copied with the control block?  No: the anchor is not in it. */
	tail->tcp_tsorted_anchor.next = NULL;
	tail->tcp_tsorted_anchor.prev = NULL;
	if (!out)
		return;
	csk->rtxq.out += clasp_skb_segs(skb) + clasp_skb_segs(tail) - segs;
	csk->rtxq.bufs++;
	clasp_rtxq_count(csk, skb, 1);
	clasp_rtxq_count(csk, tail, 1);
	csk->rtxq.idx_bad = true;
	if (clasp_ts_on(skb))
		list_add(&tail->tcp_tsorted_anchor, &skb->tcp_tsorted_anchor);
}

/**
 * clasp_rtxq_resize() - @skb now carries fewer segments: its first ones
 * were acknowledged and trimmed off
 * @sk: the socket, locked
 * @skb: the buffer
 * @out: what clasp_rtxq_begin() said of it before
 * @segs: the segments it counted for then
 */
void clasp_rtxq_resize(struct sock *sk, struct sk_buff *skb, bool out,
		       u32 segs)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (!out)
		return;
	csk->rtxq.out -= segs - clasp_skb_segs(skb);
	clasp_rtxq_count(csk, skb, 1);
}

/**
 * clasp_rtxq_high_rxt() - HighRxt moves forward to the end of @skb, just
 * sent again: the segments it passes count in @lost_retrans if they are
 * lost retransmissions
 * @sk: the socket, locked
 * @skb: the segment, out
 * @prior: HighRxt before
 *
 * Each segment is passed once per recovery, so this is O(1) amortised.
 */
void clasp_rtxq_high_rxt(struct sock *sk, struct sk_buff *skb, u32 prior)
{
	struct clasp_sock *csk = clasp_sk(sk);
	const struct clasp_skb_cb *cb;

	for (;;) {
		cb = CLASP_SKB_CB(skb);
		if (clasp_seq_before(cb->seq, prior))
			break;
		if (!cb->sacked && cb->lost && cb->retransmitted &&
		    clasp_seq_before(cb->seq, csk->high_rxt))
			csk->rtxq.lost_retrans += clasp_skb_segs(skb);
		if (skb_queue_is_first(&sk->sk_write_queue, skb))
			break;
		skb = skb_queue_prev(&sk->sk_write_queue, skb);
	}
}

/**
 * clasp_rtxq_high_rxt_reset() - HighRxt went back to snd_una (a recovery
 * began): only a segment acknowledged in part can be below it
 * @sk: the socket, locked
 */
void clasp_rtxq_high_rxt_reset(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *head = skb_peek(&sk->sk_write_queue);

	csk->rtxq.lost_retrans = 0;
	if (head && clasp_rtxq_in(csk, head) &&
	    clasp_rtxq_lost_retrans(csk, CLASP_SKB_CB(head)))
		csk->rtxq.lost_retrans = clasp_skb_segs(head);
}

/**
 * clasp_rtxq_pipe() - RFC 6675's pipe from the counters, when they say
 * it: outside a recovery after a timeout, and with nothing that IsLost()
 * would find (RACK decides, or nothing is SACKed)
 * @sk: the socket, locked
 * @pipe: set to the count
 *
 * A segment out counts unless SACKed or lost; in a recovery, a lost one
 * sent again below HighRxt counts too (clasp_cong_pipe()).
 *
 * Return: false if pipe needs the walk.
 */
bool clasp_rtxq_pipe(struct sock *sk, u32 *pipe)
{
	struct clasp_sock *csk = clasp_sk(sk);
	const struct clasp_rtxq *q = &csk->rtxq;
	bool recovering = csk->ca_state != TCP_CA_Open;
	const struct clasp_skb_cb *cb;
	struct sk_buff *head;

	if (csk->ca_state == TCP_CA_Loss ||
	    (csk->sacked_out && !clasp_rack_decides(sk)))
		return false;
	*pipe = q->out - q->sacked - q->lost;
	if (recovering)
		*pipe += q->lost_retrans;
	/*
	 * The oldest segment, acknowledged in part, is below snd_una, where
	 * IsLost() would begin (lost_end): the walk leaves it out unless it
	 * counts as sent again in this recovery.
	 */
	head = skb_peek(&sk->sk_write_queue);
	if (!q->out || !head)
		return true;
	cb = CLASP_SKB_CB(head);
	if (clasp_seq_before(cb->seq, csk->snd_una) && !cb->sacked &&
	    !cb->lost && !(recovering && cb->retransmitted &&
			   clasp_seq_before(cb->seq, csk->high_rxt)))
		*pipe -= clasp_skb_segs(head);
	return true;
}

/**
 * clasp_rtxq_find() - the first segment of the write queue that ends
 * after @seq, in O(log n) among those out
 * @sk: the socket, locked
 * @seq: the sequence number
 *
 * Return: the segment, or NULL if none ends after @seq.
 */
struct sk_buff *clasp_rtxq_find(struct sock *sk, u32 seq)
{
	struct clasp_sock *csk = clasp_sk(sk);
	const struct clasp_rtxq *q = &csk->rtxq;
	struct sk_buff *skb;
	u32 lo = 0, hi;

	if (q->idx_bad || q->len != q->bufs) {
		skb_queue_walk(&sk->sk_write_queue, skb) {
			if (clasp_seq_after(CLASP_SKB_CB(skb)->end_seq, seq))
				return skb;
		}
		return NULL;
	}
	hi = q->len;
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (clasp_seq_after(CLASP_SKB_CB(clasp_idx_at(q, mid))->end_seq,
				    seq))
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo < q->len)
		return clasp_idx_at(q, lo);
	/* Beyond those out: only after a smaller MTU rewound send_head. */
	for (skb = csk->send_head; skb;
	     skb = skb_queue_is_last(&sk->sk_write_queue, skb) ? NULL :
		   skb_queue_next(&sk->sk_write_queue, skb)) {
		if (clasp_seq_after(CLASP_SKB_CB(skb)->end_seq, seq))
			return skb;
	}
	return NULL;
}

/**
 * clasp_rtxq_next() - the segment after @skb in the write queue
 * @sk: the socket
 * @skb: a queued segment
 *
 * Return: the next, NULL after the last.
 */
struct sk_buff *clasp_rtxq_next(struct sock *sk, struct sk_buff *skb)
{
	return skb_queue_is_last(&sk->sk_write_queue, skb) ? NULL :
	       skb_queue_next(&sk->sk_write_queue, skb);
}

static void clasp_rtxq_differs(struct sock *sk, const char *what, u32 have,
			       u32 want)
{
	WRITE_ONCE(clasp_rtxq_errors, clasp_rtxq_errors + 1);
	pr_err_ratelimited("clasp: rtxq %s is %u, a recount says %u (state %u, snd_una %u)\n",
			   what, have, want, clasp_sk(sk)->ca_state,
			   clasp_sk(sk)->snd_una);
}

/*
 * With debug_rtxq: what the walk of every segment out that RACK did
 * before the list would mark (*@n) and wait for (*@wait).
 */
static void clasp_rtxq_rack_walk(struct sock *sk, u32 reo, u64 now, u32 *n,
				 s64 *wait)
{
	struct clasp_sock *csk = clasp_sk(sk);
	const struct clasp_rack *r = &csk->rack;
	struct sk_buff *skb;

	*n = 0;
	*wait = 0;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		const struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);
		u64 xmit = ktime_to_us(cb->xmit);
		s64 left;

		if (skb == csk->send_head)
			break;
		if (cb->sacked || cb->lost || cb->rack_lost ||
		    !clasp_rack_sent_after(r->xmit_us, r->end_seq, xmit,
					   cb->end_seq))
			continue;
		left = clasp_rack_remaining(r, xmit, reo, now);
		if (left > 0)
			*wait = max(*wait, left);
		else
			*n += clasp_skb_segs(skb);
	}
}

/**
 * clasp_rtxq_rack_detect() - RACK's loss detection (RFC 8985 6.2 step 5)
 * @sk: the socket, locked
 * @marked: set if a segment was found lost now
 *
 * Every segment not delivered and sent before the most recently sent one
 * that was is lost once the round trip that delivery took, plus the
 * reordering window, has passed since it went.  The list by send time
 * holds the segments out neither SACKed nor lost, the oldest
 * transmission first: none after the first sent later than RACK.xmit_ts
 * was sent before it, and the look stops there, as Linux's
 * tcp_rack_detect_loss().
 *
 * Return: microseconds until the next one would be lost, 0 if none waits.
 */
u32 clasp_rtxq_rack_detect(struct sock *sk, bool *marked)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_rack *r = &csk->rack;
	u64 now = ktime_to_us(clasp_now(sk));
	u32 reo = clasp_rack_reo_wnd(r, csk->ca_state >= TCP_CA_Recovery,
				     csk->sacked_out, csk->srtt_us);
	bool debug = clasp_rtxq_debugging();
	struct sk_buff *skb, *tmp;
	u32 n = 0, want_n = 0;
	s64 wait = 0, want_wait = 0;
	bool out;

	r->advanced = false;
	if (unlikely(debug))
		clasp_rtxq_rack_walk(sk, reo, now, &want_n, &want_wait);
	list_for_each_entry_safe(skb, tmp, &csk->rtxq.tsorted,
				 tcp_tsorted_anchor) {
		struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);
		u64 xmit = ktime_to_us(cb->xmit);
		s64 left;

		if (xmit > r->xmit_us)
			break;
		if (!clasp_rack_sent_after(r->xmit_us, r->end_seq, xmit,
					   cb->end_seq))
			continue;
		left = clasp_rack_remaining(r, xmit, reo, now);
		if (left > 0) {
			wait = max(wait, left);
			continue;
		}
		out = clasp_rtxq_begin(sk, skb);
		cb->lost = true;
		cb->rack_lost = true;
		clasp_rtxq_end(sk, skb, out, false);
		*marked = true;
		n += clasp_skb_segs(skb);
		if (cb->retransmitted)
			clasp_sk_stats_inc(sk, CLASP_MIB_LOSTRETRANSMIT);
	}
	if (unlikely(debug)) {
		if (n != want_n)
			clasp_rtxq_differs(sk, "RACK's lost", n, want_n);
		if (wait != want_wait)
			clasp_rtxq_differs(sk, "RACK's wait", min_t(s64, wait, U32_MAX),
					   min_t(s64, want_wait, U32_MAX));
	}
	return min_t(s64, wait, U32_MAX);
}

/**
 * clasp_rtxq_check_block() - with debug_rtxq, after a SACK block was
 * looked at in part (clasp_sackin_fresh()): is every segment sent that
 * it covers wholly marked, as a walk of the whole block would have left
 * it?
 * @sk: the socket, locked
 * @b: the block, valid
 */
void clasp_rtxq_check_block(struct sock *sk, const struct clasp_sack_block *b)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		const struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);

		if (!clasp_seq_before(cb->seq, csk->snd_max) ||
		    !clasp_seq_before(cb->seq, b->end))
			break;
		if (!cb->sacked && !clasp_seq_before(cb->seq, b->start) &&
		    !clasp_seq_after(cb->end_seq, b->end))
			clasp_rtxq_differs(sk, "unmarked in a block", cb->seq,
					   b->start);
	}
}

/**
 * clasp_rtxq_check() - with debug_rtxq, recount what the structures say
 * and log every difference
 * @sk: the socket, locked
 * @pipe: pipe from the counters, U32_MAX to skip it
 * @walked: pipe from the walk
 */
void clasp_rtxq_check(struct sock *sk, u32 pipe, u32 walked)
{
	struct clasp_sock *csk = clasp_sk(sk);
	const struct clasp_rtxq *q = &csk->rtxq;
	u32 out = 0, sacked = 0, lost = 0, retrans = 0, lr = 0, ts = 0;
	u32 bufs = 0, tsegs = 0, offsegs = 0;
	struct sk_buff *skb;
	ktime_t prev = 0;

	if (pipe != U32_MAX && pipe != walked)
		clasp_rtxq_differs(sk, "pipe", pipe, walked);
	skb_queue_walk(&sk->sk_write_queue, skb) {
		const struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);

		u32 segs = clasp_skb_segs(skb);

		if (skb == csk->send_head)
			break;
		if (!q->idx_bad && q->len == q->bufs && bufs < q->len &&
		    clasp_idx_at(q, bufs) != skb)
			clasp_rtxq_differs(sk, "index entry", bufs, bufs);
		bufs++;
		out += segs;
		if (cb->sacked) {
			sacked += segs;
			continue;
		}
		if (cb->lost) {
			lost += segs;
			if (clasp_seq_before(cb->seq, q->lost_seq))
				clasp_rtxq_differs(sk, "lost_seq", q->lost_seq,
						   cb->seq);
		}
		if (cb->retransmitted)
			retrans += segs;
		if (clasp_rtxq_lost_retrans(csk, cb))
			lr += segs;
		if (!cb->lost && cb->rack_lost)
			offsegs += segs;
		else if (!cb->lost && !clasp_ts_on(skb))
			clasp_rtxq_differs(sk, "off the list", cb->seq, 0);
	}
	list_for_each_entry(skb, &q->tsorted, tcp_tsorted_anchor) {
		if (CLASP_SKB_CB(skb)->xmit < prev)
			clasp_rtxq_differs(sk, "list order", ts, ts);
		prev = CLASP_SKB_CB(skb)->xmit;
		ts++;
		tsegs += clasp_skb_segs(skb);
	}
	if (q->out != out)
		clasp_rtxq_differs(sk, "out", q->out, out);
	if (q->bufs != bufs)
		clasp_rtxq_differs(sk, "bufs", q->bufs, bufs);
	if (q->sacked != sacked)
		clasp_rtxq_differs(sk, "sacked", q->sacked, sacked);
	if (q->lost != lost)
		clasp_rtxq_differs(sk, "lost", q->lost, lost);
	if (q->retrans != retrans)
		clasp_rtxq_differs(sk, "retrans", q->retrans, retrans);
	if (q->lost_retrans != lr)
		clasp_rtxq_differs(sk, "lost_retrans", q->lost_retrans, lr);
	if (tsegs != out - sacked - lost - offsegs)
		clasp_rtxq_differs(sk, "list length", tsegs,
				   out - sacked - lost - offsegs);
	if (!q->idx_bad && q->len != q->bufs)
		clasp_rtxq_differs(sk, "index length", q->len, q->bufs);
}
