// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: the write queue's segments.
 *
 * Each buffer of the write queue is a header-only sk_buff whose payload
 * lies in page fragments, filled from the socket's page fragment as TCP's
 * tcp_sendmsg_locked() fills its own, up to a GSO buffer's worth (the
 * size goal sendmsg passes): a write is copied in a few long copies, and
 * a buffer leaves whole as one GSO buffer (clasp_burst()) that only takes
 * references on its pages, or is cut (clasp_split()) to what the windows
 * allow.  Sent, it stays one buffer counted as the segments it carries
 * (cb->segs, Linux's pcount): an ACK of its first segments trims them
 * (clasp_trim_head()), a SACK block cuts it at a segment boundary, a
 * retransmission cuts off the segment that goes.  A single segment goes
 * as a clone of its buffer, or a copy of the (empty) head; the payload
 * is written once, by sendmsg, and never copied again.
 *
 * Every byte of payload is charged to the socket (sk_wmem_queued, the
 * memory pool) and counted in its buffer's truesize, so a buffer's
 * charge is its truesize whatever it holds, and a split moves the bytes'
 * charge with them.
 */
#include <linux/skbuff.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "clasp.h"

/* Charge @copy bytes more of payload to @sk, if the pool allows them. */
static bool clasp_wmem_grow(struct sock *sk, int copy)
{
	return sk_wmem_schedule(sk, copy) ||
	       skb_queue_empty(&sk->sk_write_queue);
}

/* @copy bytes just copied to the page fragment joined @skb's last frag. */
static void clasp_skb_grow(struct sock *sk, struct sk_buff *skb, int copy)
{
	skb->len += copy;
	skb->data_len += copy;
	skb->truesize += copy;
	sk_wmem_queued_add(sk, copy);
	sk_mem_charge(sk, copy);
}

/*
 * Copy up to @len bytes from @from into page fragments of @skb: the
 * socket's page fragment, merged into the last fragment where they touch.
 * Stops early when the page allocator or the pool refuses, or when the
 * buffer has no fragment slot left.
 *
 * Return: bytes copied, or -ENOMEM (nothing copied: wait for memory), or
 * -EFAULT (nothing copied: a bad user buffer).
 */
static int clasp_append(struct sock *sk, struct sk_buff *skb,
			struct iov_iter *from, int len)
{
	struct page_frag *pfrag = sk_page_frag(sk);
	int copied = 0;

	while (copied < len) {
		int i = skb_shinfo(skb)->nr_frags;
		bool merge;
		int copy;

		if (!sk_page_frag_refill(sk, pfrag))
			break;
		merge = skb_can_coalesce(skb, i, pfrag->page, pfrag->offset);
		if (!merge && i >= MAX_SKB_FRAGS)
			break;
		copy = min_t(int, len - copied, pfrag->size - pfrag->offset);
		if (!clasp_wmem_grow(sk, copy))
			break;
		if (copy_page_from_iter(pfrag->page, pfrag->offset, copy,
					from) != copy)
			return copied ?: -EFAULT;
		if (merge) {
			skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], copy);
		} else {
			skb_fill_page_desc(skb, i, pfrag->page, pfrag->offset,
					   copy);
			get_page(pfrag->page);
		}
		pfrag->offset += copy;
		clasp_skb_grow(sk, skb, copy);
		copied += copy;
	}
	return copied ?: -ENOMEM;
}

/*
 * The last buffer of the write queue, if it is still unsent, shorter
 * than @goal bytes and has a fragment slot left: what the write before
 * queued, or what Nagle or a cork held back, which more data joins (as
 * TCP fills its tail skb up to its size goal).
 */
static struct sk_buff *clasp_unsent_tail(struct sock *sk, u32 goal)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *tail = skb_peek_tail(&sk->sk_write_queue);

	/* After a timeout send_head rewinds: a tail sent once stays as sent. */
	if (!csk->send_head || !tail || tail->len >= goal ||
	    CLASP_SKB_CB(tail)->flags & CLASP_FIN ||
	    clasp_seq_before(CLASP_SKB_CB(tail)->seq, csk->snd_max) ||
	    skb_shinfo(tail)->nr_frags >= MAX_SKB_FRAGS)
		return NULL;
	return tail;
}

/**
 * clasp_queue_data() - queue up to @goal bytes of user data: into the
 * unsent tail while it is shorter, else as a new buffer
 * @sk: the socket, locked
 * @msg: the user's data, consumed as far as it is queued
 * @len: bytes the write still has
 * @goal: the most one unsent buffer holds, at least the MSS: what one
 *	GSO buffer carries (TCP's size_goal)
 *
 * Return: bytes queued; -ENOMEM when memory is refused (the caller waits
 * for memory), -ENOBUFS, or -EFAULT.
 */
int clasp_queue_data(struct sock *sk, struct msghdr *msg, size_t len,
		     u32 goal)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *skb = clasp_unsent_tail(sk, goal);
	int n;

	if (skb) {
		n = clasp_append(sk, skb, &msg->msg_iter,
				 min_t(size_t, len, goal - skb->len));
		if (n > 0) {
			/* No longer the end of a write, as in tcp_sendmsg(). */
			CLASP_SKB_CB(skb)->flags &= ~CLASP_PSH;
			CLASP_SKB_CB(skb)->end_seq += n;
			csk->write_seq += n;
		}
		return n;
	}
	csk->nagle_push = false;
	skb = clasp_alloc_seg(0, sk->sk_allocation);
	if (!skb)
		return -ENOBUFS;
	if (!clasp_wmem_schedule(sk, skb)) {
		kfree_skb(skb);
		return -ENOMEM;
	}
	/* Charged before the payload, which clasp_append() charges itself. */
	clasp_wmem_queue(sk, skb);
	n = clasp_append(sk, skb, &msg->msg_iter, min_t(size_t, len, goal));
	if (n < 0) {
		clasp_wmem_free(sk, skb);
		return n;
	}
	memset(CLASP_SKB_CB(skb), 0, sizeof(struct clasp_skb_cb));
	CLASP_SKB_CB(skb)->seq = csk->write_seq;
	CLASP_SKB_CB(skb)->end_seq = csk->write_seq + n;
	csk->write_seq += n;
	__skb_queue_tail(&sk->sk_write_queue, skb);
	if (!csk->send_head)
		csk->send_head = skb;
	return n;
}

/**
 * clasp_mark_push() - the last queued segment ends a push: it goes with
 * PSH, as TCP's tcp_mark_push()
 * @sk: the socket, locked
 *
 * Only a segment not sent yet is marked.  A receiver's stack passes data
 * up as it comes, whatever the flag; what PSH changes is GRO, which ends
 * a buffer at it, so that marking every segment would leave the peer
 * none to build.  A GSO buffer carries PSH whatever its segments say
 * (clasp_send_burst()), as TCP's.
 */
void clasp_mark_push(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *tail = skb_peek_tail(&sk->sk_write_queue);

	if (!csk->send_head || !tail)
		return;
	CLASP_SKB_CB(tail)->flags |= CLASP_PSH;
	csk->pushed_seq = csk->write_seq;
}

/**
 * clasp_push_forced() - has half the largest window the peer offered been
 * queued since the last PSH (TCP's forced_push())?
 * @sk: the socket, locked
 *
 * Return: true if the last queued segment should be marked now.
 */
bool clasp_push_forced(const struct sock *sk)
{
	const struct clasp_sock *csk = clasp_sk(sk);

	return clasp_seq_after(csk->write_seq,
			       csk->pushed_seq + csk->max_snd_wnd / 2);
}

/**
 * clasp_split() - cut a queued segment after its first @len bytes
 * @sk: the socket, locked
 * @skb: the segment, in the write queue, longer than @len
 * @len: what stays in @skb; the rest becomes the next queued segment
 *
 * For an unsent buffer of several segments as each leaves, a window
 * smaller than the segment, or an MSS that shrank.  The
 * pages are shared, not copied (skb_split()), and the bytes that move
 * take their charge with them.  A segment sent before may be split
 * too (a timeout rewound the send head, or the path MTU fell).
 *
 * Return: 0, -ENOBUFS, or -EINVAL when @len leaves nothing to cut.
 */
int clasp_split(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);
	u32 rest = skb->len - len, segs = clasp_skb_segs(skb);
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *tail;
	bool out;

	if (!len || len >= skb->len)
		return -EINVAL;

	/*
	 * A clone still in flight (in a qdisc, or on loopback in the
	 * receiver's queue) shares the fragment array that skb_split()
	 * rewrites: split a private copy of it.  The copy keeps the charge
	 * the segment was queued with, as TCP's skb_unclone_keeptruesize().
	 */
	if (skb_cloned(skb)) {
		unsigned int truesize = skb->truesize;

		if (pskb_expand_head(skb, 0, 0, GFP_ATOMIC))
			return -ENOBUFS;
		skb->truesize = truesize;
	}
	tail = clasp_alloc_seg(0, GFP_ATOMIC);
	if (!tail)
		return -ENOBUFS;
	clasp_wmem_queue(sk, tail);
	out = clasp_rtxq_begin(sk, skb);
	skb_split(skb, tail, len);
	skb->truesize -= rest;
	tail->truesize += rest;
	*CLASP_SKB_CB(tail) = *cb;
	CLASP_SKB_CB(tail)->seq = cb->seq + len;
	cb->end_seq = cb->seq + len;
	cb->flags = 0;
	__skb_queue_after(&sk->sk_write_queue, skb, tail);
	clasp_skb_set_segs(skb, csk->mss);
	clasp_skb_set_segs(tail, csk->mss);
	/* Counted again at today's MSS, as Linux's tcp_adjust_pcount(). */
	if (cb->sacked)
		csk->sacked_out += clasp_skb_segs(skb) + clasp_skb_segs(tail) -
				   segs;
	clasp_rtxq_split(sk, skb, tail, out, segs);
	return 0;
}

/**
 * clasp_trim_head() - drop the first @len bytes of a queued buffer, which
 * the peer acknowledged, as TCP's tcp_trim_head()
 * @sk: the socket, locked
 * @skb: the buffer, in the write queue, longer than @len
 * @len: the bytes to drop
 *
 * Only a buffer whose payload is all in fragments and that no clone
 * shares (a GSO buffer references the pages, not the buffer): the
 * fragment array is rewritten in place.  Their charge goes with the bytes.
 *
 * Return: false, and @skb unchanged, if it cannot be trimmed.
 */
bool clasp_trim_head(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct skb_shared_info *sh = skb_shinfo(skb);
	u32 eat = len;
	int i, k = 0;

	if (skb_cloned(skb) || skb_headlen(skb) || len >= skb->len)
		return false;
	for (i = 0; i < sh->nr_frags; i++) {
		skb_frag_t *f = &sh->frags[i];
		u32 size = skb_frag_size(f);

		if (size <= eat) {
			put_page(skb_frag_page(f));	/* the socket's page_frag: no page pool */
			eat -= size;
			continue;
		}
		sh->frags[k] = *f;
		if (eat) {
			skb_frag_off_add(&sh->frags[k], eat);
			skb_frag_size_sub(&sh->frags[k], eat);
			eat = 0;
		}
		k++;
	}
	sh->nr_frags = k;
	skb->len -= len;
	skb->data_len -= len;
	skb->truesize -= len;
	sk_wmem_queued_add(sk, -(int)len);
	sk_mem_uncharge(sk, len);
	CLASP_SKB_CB(skb)->seq += len;
	return true;
}

/*
 * Reference @skb's payload pages from @gso, after what it holds: the
 * first fragment merges with @gso's last when they touch (segments
 * written one after the other share their page).  False, and @gso
 * unchanged, when the fragment slots would not suffice.
 */
static bool clasp_burst_add(struct sk_buff *gso, const struct sk_buff *skb)
{
	const struct skb_shared_info *from = skb_shinfo(skb);
	struct skb_shared_info *to = skb_shinfo(gso);
	int i, need = from->nr_frags;

	if (need && skb_can_coalesce(gso, to->nr_frags,
				     skb_frag_page(&from->frags[0]),
				     skb_frag_off(&from->frags[0])))
		need--;
	if (to->nr_frags + need > MAX_SKB_FRAGS)
		return false;
	for (i = 0; i < from->nr_frags; i++) {
		const skb_frag_t *f = &from->frags[i];
		struct page *page = skb_frag_page(f);
		int n = to->nr_frags;

		if (skb_can_coalesce(gso, n, page, skb_frag_off(f))) {
			skb_frag_size_add(&to->frags[n - 1], skb_frag_size(f));
			continue;
		}
		get_page(page);
		skb_fill_page_desc(gso, n, page, skb_frag_off(f),
				   skb_frag_size(f));
	}
	gso->len += skb->len;
	gso->data_len += skb->len;
	gso->truesize += skb->len;
	return true;
}

/**
 * clasp_burst() - one GSO buffer for the first segments of the queue's
 * unsent part
 * @sk: the socket, locked
 * @first: the first queued buffer
 * @max: how many segments from @first may go: the queued buffers that
 *	hold them each hold whole segments of data in fragments alone, and
 *	end where the @max-th does (the caller cut them so)
 * @segs: how many the buffer carries
 *
 * The buffer references the queued buffers' pages, so the write queue
 * keeps them whatever becomes of it, and no clone of a queued buffer is
 * in flight when an ACK trims it (clasp_trim_head()); clasp_gso_segment() (or
 * the receiver, over loopback and veth) cuts it into segments of
 * gso_size.
 *
 * Return: the buffer, with headroom for the headers and at least two
 * segments, or NULL (no memory, or only one segment fits).
 */
struct sk_buff *clasp_burst(struct sock *sk, struct sk_buff *first, u32 max,
			    u32 *segs)
{
	struct sk_buff *gso, *skb = first;
	u32 n = 0;

	gso = clasp_alloc_seg(0, GFP_ATOMIC);
	if (!gso)
		return NULL;
	while (n < max && clasp_burst_add(gso, skb)) {
		n += skb->len / clasp_sk(sk)->mss;
		if (skb_queue_is_last(&sk->sk_write_queue, skb))
			break;
		skb = skb_queue_next(&sk->sk_write_queue, skb);
	}
	if (n < 2) {
		consume_skb(gso);
		return NULL;
	}
	skb_shinfo(gso)->gso_size = clasp_sk(sk)->mss;
	skb_shinfo(gso)->gso_segs = n;
	skb_shinfo(gso)->gso_type = CLASP_GSO_TYPE;
	*segs = n;
	return gso;
}
