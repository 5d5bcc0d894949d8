// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: a socket's segments, RFC 9293 section 3.10.7.
 *
 * demux.c checks each segment and finds its owner; a socket's come here:
 * straight from the softirq (clasp_sock_rcv()), or through the backlog
 * when its owner held the lock (clasp_do_rcv()).  The state machine
 * follows the RFC's steps: the acceptance checks (acceptance.c), RST,
 * SYN, the ACK field, the text and the FIN.
 */
#include <linux/ip.h>
#include <net/ip.h>
#include <net/sock.h>

#include "clasp.h"
#include "compat.h"
#include "trace.h"

static void clasp_oow_ack(struct sock *sk, const struct clasp_seg *seg)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (clasp_oow_ack_allowed(sock_net(sk), seg, csk->rcv_nxt,
				  &csk->oow_ack_stamp))
		clasp_send_ack(sk);
}

/*
 * A segment refused for its place in the sequence space, or by PAWS, is
 * answered with a duplicate ACK; text or a FIN it carries from below
 * rcv_nxt came twice, and that ACK says so in a D-SACK (RFC 2883), as
 * TCP's tcp_send_dupack().
 */
static void clasp_dup_ack(struct sock *sk, const struct clasp_seg *seg)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (seg->end_seq != seg->seq &&
	    clasp_seq_before(seg->seq, csk->rcv_nxt))
		clasp_dsack(sk, seg->seq,
			    clasp_seq_after(seg->end_seq, csk->rcv_nxt) ?
			    csk->rcv_nxt : seg->end_seq);
	clasp_oow_ack(sk, seg);
}

static void clasp_challenge_ack(struct sock *sk)
{
	if (clasp_challenge_ack_allowed(sock_net(sk), &clasp_sk(sk)->oow_ack_stamp))
		clasp_send_ack(sk);
}

static void clasp_update_mss(struct sock *sk, u16 peer_mss)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->peer_mss = peer_mss ? peer_mss : CLASP_DEFAULT_MSS;
	clasp_sync_mss(sk, __sk_dst_get(sk));
}

/*
 * The peer's SYN or SYN-ACK says what it supports: keep what both ends
 * offered (RFC 7323 2.2, 3.2; RFC 2018).  Without window scaling neither
 * end scales, and the peer's first TSval becomes TS.Recent.
 */
static void clasp_negotiate(struct clasp_sock *csk, const struct clasp_seg *seg)
{
	csk->wscale_ok = csk->wscale_ok && seg->wscale_ok;
	csk->snd_wscale = csk->wscale_ok ? seg->wscale : 0;
	if (!csk->wscale_ok)
		csk->rcv_wscale = 0;
	csk->sack_ok = csk->sack_ok && seg->sack_ok;
	csk->ts_ok = csk->ts_ok && seg->ts_ok;
	if (csk->ts_ok) {
		csk->ts_recent = seg->tsval;
		csk->ts_recent_stamp = (u32)ktime_get_seconds();
	}
}

/**
 * clasp_ts_update() - RFC 7323 4.3: keep the TSval of an acceptable
 * segment as TS.Recent when it is no older and the segment starts at or
 * before the last ACK we sent (rcv_wup), as tcp_replace_ts_recent()
 * @sk: the socket
 * @seg: the segment, found acceptable
 */
void clasp_ts_update(struct sock *sk, const struct clasp_seg *seg)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 now = (u32)ktime_get_seconds();

	if (!csk->ts_ok || !seg->ts_ok ||
	    clasp_seq_after(seg->seq, csk->rcv_wup))
		return;
	if ((s32)(csk->ts_recent - seg->tsval) <= 0 || !csk->ts_recent ||
	    now - csk->ts_recent_stamp >= CLASP_PAWS_IDLE_S) {
		csk->ts_recent = seg->tsval;
		csk->ts_recent_stamp = now;
	}
}

/* A larger window than ever before lets the send buffer grow. */
static void clasp_update_window(struct sock *sk, const struct clasp_seg *seg)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 max_wnd = csk->max_snd_wnd;

	if (clasp_seq_before(csk->snd_wl1, seg->seq) ||
	    (csk->snd_wl1 == seg->seq &&
	     !clasp_seq_after(csk->snd_wl2, seg->ack))) {
		clasp_set_snd_wnd(csk, clasp_seg_wnd(csk, seg));
		csk->snd_wl1 = seg->seq;
		csk->snd_wl2 = seg->ack;
	}
	if (csk->max_snd_wnd > max_wnd)
		clasp_sndbuf_expand(sk);
}

/* A connection is established: wake connect() and start what waits. */
static void clasp_established(struct sock *sk, const struct clasp_seg *seg)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->snd_una = seg->ack;
	csk->snd_sml = seg->ack;	/* no short segment sent yet (Nagle) */
	clasp_set_snd_wnd(csk, clasp_seg_wnd(csk, seg));
	csk->snd_wl1 = seg->seq;
	csk->snd_wl2 = seg->ack;
	csk->retransmits = 0;
	csk->backoff = 0;
	/* TCP_INFO's last_data_sent and last_data_recv count from here. */
	csk->data_sent_tstamp = clasp_now(sk);
	csk->data_rcvd_tstamp = csk->data_sent_tstamp;
	clasp_rtx_stop(sk);
	clasp_set_state(sk, TCP_ESTABLISHED);
	/* A rate from the handshake's round trip, as TCP's. */
	clasp_pacing_update(sk);
	clasp_ka_reset(sk);
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
	}
}

/* RFC 9293 3.10.7.3: a segment in SYN_SENT.  Returns true if it kept @skb. */
static bool clasp_rcv_syn_sent(struct sock *sk, struct sk_buff *skb,
			       const struct clasp_seg *seg);

static bool clasp_rcv_synchronized(struct sock *sk, struct sk_buff *skb,
				   const struct clasp_seg *seg);

static bool clasp_rcv_syn_sent(struct sock *sk, struct sk_buff *skb,
			       const struct clasp_seg *seg)
{
	struct clasp_sock *csk = clasp_sk(sk);
	bool ack = seg->flags & CLASP_ACK;

	if (ack && (!clasp_seq_after(seg->ack, csk->iss) ||
		    clasp_seq_after(seg->ack, csk->snd_max))) {
		if (!(seg->flags & CLASP_RST))
			clasp_send_reset(sock_net(sk), skb);
		return false;
	}
	if (seg->flags & CLASP_RST) {
		if (ack) {
			clasp_sk_stats_inc(sk, CLASP_MIB_RSTSRECEIVED);
			csk->cause = CLASP_CAUSE_RST;
			clasp_reset(sk, ECONNREFUSED);
		}
		return false;
	}
	if (!(seg->flags & CLASP_SYN))
		return false;

	csk->irs = seg->seq;
	csk->rcv_nxt = seg->seq + 1;
	csk->copied_seq = csk->rcv_nxt;
	csk->rcv_wup = csk->rcv_nxt;
	clasp_negotiate(csk, seg);
	clasp_ecn_rcv_synsent(sk, seg);
	clasp_update_mss(sk, seg->mss);
	if (!ack) {
		/* Simultaneous open: answer their SYN with our SYN-ACK. */
		clasp_set_state(sk, TCP_SYN_RECV);
		clasp_set_snd_wnd(csk, seg->wnd);
		csk->snd_wl1 = seg->seq;
		clasp_send_syn(sk);
		clasp_rtx_arm(sk);
		return false;
	}
	if (!csk->retransmits)
		clasp_rtt_sample(sk, csk->syn_tstamp);
	else if (csk->ts_ok)
		clasp_rtt_sample_ts(sk, seg->tsecr);
	csk->rcv_tstamp = clasp_now(sk);
	clasp_established(sk, seg);
	if (seg->len || seg->flags & CLASP_FIN) {
		/* Data or FIN on the SYN-ACK: handle it as in ESTABLISHED. */
		struct clasp_seg rest = *seg;

		rest.seq = seg->seq + 1;
		/* Its ECE set ECN up; it echoes no CE (RFC 3168 6.1.1). */
		rest.flags &= ~(CLASP_SYN | CLASP_ECE | CLASP_CWR);
		/* Without SYN its window reads as scaled: the SYN's is not. */
		rest.wnd = seg->wnd >> csk->snd_wscale;
		return clasp_rcv_synchronized(sk, skb, &rest);
	}
	clasp_send_ack(sk);
	clasp_push(sk);
	return false;
}

/* Second, an exact RST (RFC 5961 section 3): the connection ends. */
static void clasp_rcv_rst(struct sock *sk)
{
	clasp_sk_stats_inc(sk, CLASP_MIB_RSTSRECEIVED);
	clasp_sk(sk)->cause = CLASP_CAUSE_RST;
	switch (sk->sk_state) {
	case TCP_SYN_RECV:
		clasp_reset(sk, ECONNREFUSED);
		break;
	case TCP_CLOSE_WAIT:
		clasp_reset(sk, EPIPE);
		break;
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		clasp_done(sk);
		break;
	default:
		clasp_reset(sk, ECONNRESET);
	}
}

/*
 * The ACK covers the first bytes of @skb, a buffer of several segments
 * sent at once: they leave it, as Linux's tcp_tso_acked() trims them,
 * whether or not they make a whole segment (the MSS may have changed
 * since it was sent), so that what stays starts at snd_una.  A single
 * segment acknowledged in part stays whole, as Linux's.  Returns the
 * segments acknowledged.
 */
static u32 clasp_acked_in_part(struct sock *sk, struct sk_buff *skb, u32 ack,
			       u32 fack, u32 *reord)
{
	struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);
	u32 segs = clasp_skb_segs(skb), len = ack - cb->seq, left;
	struct clasp_sock *csk = clasp_sk(sk);
	bool out;

	/* What clasp_trim_head() needs, so that it cannot fail below. */
	if (segs < 2 || len >= skb->len || skb_cloned(skb) || skb_headlen(skb))
		return 0;
	left = min(DIV_ROUND_UP(skb->len - len, csk->mss), segs);
	if (left < segs) {
		clasp_sack_acked(sk, skb, segs - left, len, fack, reord);
	} else if (cb->sacked) {
		/* No whole segment, but its bytes leave all the same. */
		csk->sacked_bytes -= len;
	}
	out = clasp_rtxq_begin(sk, skb);
	clasp_trim_head(sk, skb, len);
	cb->segs = left;
	clasp_rtxq_resize(sk, skb, out, segs);
	return segs - left;
}

/*
 * Free what the peer acknowledged; RTT from segments sent once (Karn).
 * After a timeout the next segment to send may be one the peer has now
 * acknowledged (its first transmission arrived): sending resumes at the
 * first segment left.  Returns the segments freed, and in *@rtt_us the
 * RTT sample of the newest one sent once (-1 if none), for congestion
 * control.
 */
static u32 clasp_clean_acked(struct sock *sk, u32 ack, s32 *rtt_us)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 fack = clasp_sack_fack(csk);
	bool head_acked = false;
	u32 reord = fack;
	struct sk_buff *skb;
	ktime_t sample = 0;
	u32 acked = 0;

	while ((skb = skb_peek(&sk->sk_write_queue))) {
		struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);

		if (clasp_seq_after(cb->end_seq, ack))
			break;
		acked += clasp_skb_segs(skb);
		head_acked |= skb == csk->send_head;
		if (!cb->retransmitted)
			sample = cb->sent;
		clasp_sack_acked(sk, skb, clasp_skb_segs(skb),
				 cb->end_seq - cb->seq, fack, &reord);
		clasp_rtxq_acked(sk, skb, !head_acked);
		__skb_unlink(skb, &sk->sk_write_queue);
		clasp_wmem_free(sk, skb);
	}
	/* Before anything reads it again: it may have been freed. */
	if (head_acked)
		csk->send_head = skb;
	if (skb && clasp_seq_before(CLASP_SKB_CB(skb)->seq, ack)) {
		u32 n = clasp_acked_in_part(sk, skb, ack, fack, &reord);

		if (n && !CLASP_SKB_CB(skb)->retransmitted)
			sample = CLASP_SKB_CB(skb)->sent;
		acked += n;
	}
	clasp_sack_reordering(sk, reord, fack);
	clasp_sack_check_reneging(sk);
	*rtt_us = sample ? (s32)min_t(s64, ktime_us_delta(clasp_now(sk), sample),
				     S32_MAX) : -1;
	if (sample)
		clasp_rtt_sample(sk, sample);
	else
		clasp_rtt_sample_ts(sk, csk->rcv_tsecr);
	csk->snd_una = ack;
	if (clasp_seq_before(csk->snd_nxt, ack))
		csk->snd_nxt = ack;
	csk->retransmits = 0;
	csk->backoff = 0;
	clasp_rtx_stop(sk);
	if (csk->snd_una != csk->snd_max)
		clasp_rtx_schedule(sk);
	return acked;
}

/*
 * After an ACK and what it let us send: a writer that waits for room
 * (SOCK_NOSPACE) may have it now, as tcp_check_space() finds.  The ACK
 * freed what it acknowledged (clasp_clean_acked()) and the push lowered
 * the unsent bytes TCP_NOTSENT_LOWAT counts; both are done by now, so a
 * poller on another CPU that looks again after the wakeup finds them.
 * Besides a send buffer grown (clasp_sndbuf_expand()), this is the only
 * wakeup writers get from the data path: sock_wfree() gives none
 * (SOCK_USE_WRITE_QUEUE, see clasp_init_sock()).
 */
static void clasp_check_space(struct sock *sk)
{
	/* Pairs with clasp_poll(): SOCK_NOSPACE set, then the recheck. */
	smp_mb();
	if (sk->sk_socket && test_bit(SOCK_NOSPACE, &sk->sk_socket->flags))
		sk->sk_write_space(sk);
}

static bool clasp_our_fin_acked(const struct clasp_sock *csk)
{
	return csk->fin_queued && csk->snd_una == csk->write_seq;
}

/*
 * RFC 9293 3.10.7.4, fifth: the ACK field, found acceptable by
 * clasp_seg_check().  Returns false when the segment must go no further
 * (the connection ended or left the table).
 */
static bool clasp_rcv_ack(struct sock *sk, const struct clasp_seg *seg)
{
	struct clasp_sock *csk = clasp_sk(sk);
	bool sacked, ece;

	if (sk->sk_state == TCP_SYN_RECV) {
		clasp_rtt_sample_ts(sk, csk->rcv_tsecr);
		clasp_established(sk, seg);
		clasp_push(sk);
	}
	csk->probes = 0;
	/* What this ACK delivers, for Proportional Rate Reduction. */
	csk->prr_last = csk->delivered;
	clasp_rack_ack_begin(&csk->rack);
	/* The scoreboard first, as TCP's tcp_sacktag_write_queue(). */
	sacked = csk->sack_ok && clasp_sack_tag(sk, seg);
	clasp_recovery_probe_acked(sk, seg->ack,
				   seg->ack == csk->snd_una && !sacked);
	/* ECN's echo: a cut before the ACK may grow cwnd (ecn_sock.c). */
	ece = clasp_ecn_rcv_ack(sk, seg);
	if (clasp_seq_after(seg->ack, csk->snd_una)) {
		u32 prior_una = csk->snd_una;
		u8 prior = csk->ca_state;
		s32 rtt_us;
		u32 acked;

		acked = clasp_clean_acked(sk, seg->ack, &rtt_us);
		clasp_rack_ack_done(sk);
		clasp_recovery_ack(sk, prior_una);
		clasp_cong_ack(sk, acked, rtt_us, prior);
	} else {
		clasp_rack_ack_done(sk);
		if (seg->ack == csk->snd_una && !seg->len &&
		    !(seg->flags & CLASP_FIN) &&
		    clasp_seg_wnd(csk, seg) == csk->snd_wnd &&
		    csk->snd_una != csk->snd_max)
			/* A duplicate ACK: RFC 5681 section 2. */
			clasp_recovery_dupack(sk);
		else if (sacked)
			clasp_recovery_sacked(sk);
	}
	if (ece)
		clasp_sk_stats_add(sk, CLASP_MIB_DELIVEREDCE,
				   csk->delivered - csk->prr_last);
	clasp_pacing_update(sk);
	clasp_update_window(sk, seg);

	switch (sk->sk_state) {
	case TCP_FIN_WAIT1:
		if (clasp_our_fin_acked(csk)) {
			clasp_set_state(sk, TCP_FIN_WAIT2);
			if (sock_flag(sk, SOCK_DEAD) && !seg->len &&
			    !(seg->flags & CLASP_FIN)) {
				clasp_time_wait(sk, TCP_FIN_WAIT2);
				return false;
			}
			sk->sk_state_change(sk);
		}
		break;
	case TCP_CLOSING:
		if (clasp_our_fin_acked(csk)) {
			clasp_time_wait(sk, TCP_TIME_WAIT);
			return false;
		}
		break;
	case TCP_LAST_ACK:
		if (clasp_our_fin_acked(csk)) {
			clasp_done(sk);
			return false;
		}
		break;
	}
	clasp_push(sk);
	clasp_check_space(sk);
	return true;
}

/*
 * Room in @tail for @len more bytes?  Copying small segments into the
 * queue's last buffer keeps their overhead from outgrowing the allowance
 * the window leaves for it.
 */
static bool clasp_can_append(const struct sk_buff *tail, u32 len)
{
	return tail && !skb_cloned(tail) && skb_tailroom(tail) >= len;
}

/*
 * A compact buffer for a small segment whose own buffer is mostly waste,
 * once that waste would matter: NULL while the queue holds less than a
 * quarter of the receive buffer and the protocol's memory is not under
 * pressure (the segment's own buffer is queued, as TCP queues it until
 * it must collapse its queue: request/response traffic never pays for a
 * copy) or when the buffer is not wasteful, ERR_PTR(-ENOMEM) when memory
 * is refused.
 */
static struct sk_buff *clasp_rcv_buffer(struct sock *sk, struct sk_buff *skb,
					u32 len)
{
	struct sk_buff *buf;

	if (skb->truesize <= 2 * len + SKB_TRUESIZE(0))
		return NULL;
	if (atomic_read(&sk->sk_rmem_alloc) + skb->truesize <=
	    READ_ONCE(sk->sk_rcvbuf) / 4 && !clasp_under_memory_pressure())
		return NULL;
	buf = alloc_skb(max_t(u32, len, CLASP_RCV_COPY_SIZE), GFP_ATOMIC);
	if (!buf)
		return NULL;
	if (!clasp_rmem_schedule(sk, buf)) {
		kfree_skb(buf);
		return ERR_PTR(-ENOMEM);
	}
	memset(CLASP_SKB_CB(buf), 0, sizeof(struct clasp_skb_cb));
	CLASP_SKB_CB(buf)->seq = clasp_sk(sk)->rcv_nxt;
	CLASP_SKB_CB(buf)->end_seq = clasp_sk(sk)->rcv_nxt;
	skb_set_owner_r(buf, sk);
	__skb_queue_tail(&sk->sk_receive_queue, buf);
	return buf;
}

/*
 * Add the bytes of @skb from @off to its end, @len of them, to the
 * receive queue: copied into the last buffer or a compact new one when
 * that saves memory, else @skb itself, read from @off on.  Nothing is
 * pulled: @off may lie in paged fragments (virtio-net, GRO), which only
 * the copy and read helpers walk.  @charged: @skb is the socket's
 * already (it comes from the out-of-order queue).  Returns 1 if @skb was
 * queued, 0 if its bytes were copied, -ENOMEM if memory was refused.
 */
static int clasp_rcv_queue(struct sock *sk, struct sk_buff *skb, u32 off,
			   u32 len, bool charged)
{
	struct sk_buff *to = skb_peek_tail(&sk->sk_receive_queue);
	struct clasp_sock *csk = clasp_sk(sk);

	if (!clasp_can_append(to, len))
		to = charged ? NULL : clasp_rcv_buffer(sk, skb, len);
	if (IS_ERR(to))
		return PTR_ERR(to);
	if (to) {
		skb_copy_bits(skb, off, skb_put(to, len), len);
		CLASP_SKB_CB(to)->end_seq += len;
		csk->rcv_nxt += len;
		return 0;
	}
	if (!charged) {
		if (!clasp_rmem_schedule(sk, skb))
			return -ENOMEM;
		skb_dst_drop(skb);
		skb_set_owner_r(skb, sk);
	}
	memset(CLASP_SKB_CB(skb), 0, sizeof(struct clasp_skb_cb));
	CLASP_SKB_CB(skb)->seq = csk->rcv_nxt;
	CLASP_SKB_CB(skb)->end_seq = csk->rcv_nxt + len;
	CLASP_SKB_CB(skb)->offset = off;
	__skb_queue_tail(&sk->sk_receive_queue, skb);
	csk->rcv_nxt += len;
	return 1;
}

/*
 * rcv_nxt moved: take what the out-of-order queue holds from there on.
 * Returns true if a FIN came in order with it.
 */
static bool clasp_rcv_ooo(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 in_order = csk->rcv_nxt;
	struct sk_buff *skb;

	while ((skb = clasp_ooo_next(sk, in_order))) {
		struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);
		u32 skip = csk->rcv_nxt - cb->seq;
		u32 len = cb->end_seq - csk->rcv_nxt;
		bool fin = cb->flags & CLASP_FIN;

		if (!len || !clasp_rcv_queue(sk, skb, cb->offset + skip, len,
					     true))
			kfree_skb(skb);
		if (fin) {
			/* Nothing can follow a FIN. */
			clasp_ooo_purge(sk);
			return true;
		}
	}
	return false;
}

/*
 * Seventh: the segment text.  Returns true if new data arrived; *@kept
 * says whether @skb itself now sits on the receive queue.
 */
static bool clasp_rcv_data(struct sock *sk, struct sk_buff *skb,
			   const struct clasp_seg *seg, bool *kept)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 skip = csk->rcv_nxt - seg->seq;	/* already received */
	bool ahead = clasp_seq_after(seg->seq, csk->rcv_nxt);
	u32 off = tcp_hdr(skb)->doff * 4;
	int queued;
	u32 len;

	if (!seg->len)
		return false;
	if (!ahead && skip) {
		/* Bytes that came before: a D-SACK names them (RFC 2883). */
		clasp_dsack(sk, seg->seq, skip >= seg->len ?
				seg->seq + seg->len : csk->rcv_nxt);
		if (skip >= seg->len)
			return false;
	}
	if (sock_flag(sk, SOCK_DEAD)) {
		/* Nobody will ever read it (RFC 9293 3.10.7.4). */
		clasp_sk_stats_inc(sk, CLASP_MIB_ABORTONDATA);
		clasp_send_active_reset(sk, GFP_ATOMIC);
		clasp_reset(sk, ECONNRESET);
		return false;
	}
	/* New data, in order or not: its ECN field (RFC 3168 6.1.3). */
	clasp_ecn_rcv_data(sk, skb);
	if (ahead) {
		/* Beyond a hole: held until the hole is filled. */
		*kept = clasp_ooo_queue(sk, skb, seg, off);
		return false;
	}
	len = seg->len - skip;
	/*
	 * Data inside the window is taken even past sk_rcvbuf: the window
	 * was offered (half the free space, the rest for overhead) and is
	 * never taken back.  Only a peer that makes its segments all
	 * overhead reaches the hard limit, or the memory pool its own
	 * (clasp_rmem_schedule()); it retransmits what is dropped.
	 */
	if (atomic_read(&sk->sk_rmem_alloc) - sk->sk_rcvbuf > sk->sk_rcvbuf)
		goto drop;
	queued = clasp_rcv_queue(sk, skb, off + skip, len, false);
	if (queued < 0)
		goto drop;
	csk->data_rcvd_tstamp = clasp_now(sk);
	clasp_rcv_rtt_measure(sk);
	*kept = queued;
	return true;
drop:
	clasp_sk_stats_inc(sk, CLASP_MIB_RCVQDROPS);
	return false;
}

/* Eighth: the FIN, once everything before it has arrived. */
static void clasp_rcv_fin(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->rcv_nxt++;
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	sock_set_flag(sk, SOCK_DONE);
	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
		clasp_set_state(sk, TCP_CLOSE_WAIT);
		clasp_ack_fin_rcvd(sk);
		break;
	case TCP_FIN_WAIT1:
		/* Both FINs crossed: ours waits for this ACK (tcp_fin()). */
		clasp_set_state(sk, TCP_CLOSING);
		csk->ack_now = true;
		break;
	case TCP_FIN_WAIT2:
		clasp_send_ack(sk);
		clasp_time_wait(sk, TCP_TIME_WAIT);
		return;
	}
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		if (sk->sk_shutdown == SHUTDOWN_MASK ||
		    sk->sk_state == TCP_CLOSE)
			sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_HUP);
		else
			sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_IN);
	}
}

/* The socket as clasp_seg_check() sees it. */
static void clasp_sock_view(const struct sock *sk, struct clasp_view *v)
{
	const struct clasp_sock *csk = clasp_sk(sk);
	u32 wnd = csk->rcv_wup + csk->rcv_wnd - csk->rcv_nxt;

	v->rcv_nxt = csk->rcv_nxt;
	v->rcv_wnd = (s32)wnd < 0 ? 0 : wnd;
	v->snd_una = csk->snd_una;
	v->snd_nxt = csk->snd_max;
	/* Never below our ISN: no ACK of bytes we never sent (as TCP). */
	v->max_snd_wnd = min(csk->max_snd_wnd, csk->snd_una - csk->iss - 1);
	v->kind = sk->sk_state == TCP_SYN_RECV ? CLASP_VIEW_SIMOPEN :
						 CLASP_VIEW_SYNCED;
	v->fin_in = (1 << sk->sk_state) &
		    (TCPF_CLOSE_WAIT | TCPF_CLOSING | TCPF_LAST_ACK);
	v->ts_ok = csk->ts_ok;
	v->ts_recent = csk->ts_recent;
	v->ts_recent_age = (u32)ktime_get_seconds() - csk->ts_recent_stamp;
	v->snd_wl1 = csk->snd_wl1;
	v->snd_wnd = csk->snd_wnd;
	v->snd_wscale = csk->snd_wscale;
	v->paws_replay = csk->rto_us / USEC_PER_MSEC;
}

/* PAWS rejected a segment: count it, and a duplicate ACK unless a RST. */
static void clasp_paws_reject(struct sock *sk, const struct clasp_seg *seg)
{
	clasp_sk_stats_inc(sk, CLASP_MIB_PAWSESTAB);
	if (!(seg->flags & CLASP_RST))
		clasp_dup_ack(sk, seg);
}

/*
 * Seventh and eighth: the text and the FIN, in order only.  Returns true
 * if @skb now sits on the receive queue.
 */
static bool clasp_rcv_text(struct sock *sk, struct sk_buff *skb,
			   const struct clasp_seg *seg)
{
	struct clasp_sock *csk = clasp_sk(sk);
	bool arrived, fin, kept = false;

	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
		break;
	default:
		return false;
	}
	/* Data that fills all or part of a hole is acknowledged at once. */
	if (seg->len && clasp_ooo_count(sk))
		csk->ack_now = true;
	arrived = clasp_rcv_data(sk, skb, seg, &kept);
	if (sk->sk_state == TCP_CLOSE)
		return kept;
	fin = seg->flags & CLASP_FIN && seg->end_seq - 1 == csk->rcv_nxt;
	/* A FIN out of order is answered at once, as data out of order. */
	if (seg->flags & CLASP_FIN && !fin)
		csk->ack_now = true;
	if (fin)
		clasp_ooo_purge(sk);
	else if (arrived)
		fin = clasp_rcv_ooo(sk);
	if (arrived)
		clasp_sack_advance(&csk->sack_rcv, csk->rcv_nxt);
	if (fin) {
		clasp_rcv_fin(sk);
		if (sk->sk_state == TCP_CLOSE) {
			if (arrived)
				sk->sk_data_ready(sk);
			return kept;
		}
	}
	clasp_ack_rcv(sk, seg, arrived);
	if (arrived && !sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
	return kept;
}

/*
 * RFC 9293 3.10.7.4: SYN_RCVD (active) and every synchronized state.
 * Returns true if @skb now sits on the receive queue.
 */
static bool clasp_rcv_synchronized(struct sock *sk, struct sk_buff *skb,
				   const struct clasp_seg *seg)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_view view;

	/* RTT samples from the echo, for the ACK processing below. */
	csk->rcv_tsecr = csk->ts_ok && seg->ts_ok ? seg->tsecr : 0;
	clasp_sock_view(sk, &view);
	switch (clasp_seg_check(&view, seg)) {
	case CLASP_SEG_ACCEPT:
		break;
	case CLASP_SEG_PAWS:
		clasp_paws_reject(sk, seg);
		return false;
	case CLASP_SEG_ACK_ONLY:
		clasp_sk_stats_inc(sk, CLASP_MIB_OUTOFWINDOWDROPS);
		if (clasp_rcv_ack(sk, seg))
			clasp_oow_ack(sk, seg);
		return false;
	case CLASP_SEG_OOW_ACK:
		clasp_sk_stats_inc(sk, CLASP_MIB_OUTOFWINDOWDROPS);
		clasp_dup_ack(sk, seg);
		return false;
	case CLASP_SEG_OOW_DROP:
		clasp_sk_stats_inc(sk, CLASP_MIB_OUTOFWINDOWDROPS);
		return false;
	case CLASP_SEG_CHALLENGE:
		clasp_challenge_ack(sk);
		return false;
	case CLASP_SEG_RESET:
		clasp_rcv_rst(sk);
		return false;
	case CLASP_SEG_SYN_AGAIN:
		clasp_send_syn(sk);
		return false;
	case CLASP_SEG_BAD_ACK:
		clasp_send_reset(sock_net(sk), skb);
		return false;
	default:
		return false;
	}
	clasp_sk(sk)->rcv_tstamp = clasp_now(sk);
	clasp_ts_update(sk, seg);
	if (!clasp_rcv_ack(sk, seg))
		return false;
	if (seg->flags & CLASP_SYN) {
		/*
		 * The SYN-ACK of a simultaneous open: it established the
		 * connection, and its SYN, old text, is acknowledged (RFC
		 * 9293 3.10.7.4), as Linux does.
		 */
		clasp_send_ack(sk);
		return false;
	}
	return clasp_rcv_text(sk, skb, seg);
}

/*
 * Hand a segment to the socket.  Returns false, with @skb untouched, when
 * the socket left the table after the lookup that found it (it became a
 * TIME_WAIT or FIN_WAIT_2 entry, or closed, which unhashes it): the
 * segment then belongs to whatever holds the 4-tuple now, and the caller
 * looks again.
 */
static bool clasp_sock_process(struct sock *sk, struct sk_buff *skb)
{
	struct clasp_sock *csk = clasp_sk(sk);
	bool ladder = clasp_ladder_on();
	struct clasp_ladder_seg ls;
	struct clasp_seg seg;
	bool queued;
	u16 segs;

	clasp_parse_seg(skb, &seg);
	switch (sk->sk_state) {
	case TCP_CLOSE:
	case TCP_LISTEN:
		return false;
	}
	if (ladder)
		clasp_ladder_begin(&ls, skb, false, sk->sk_state);
	/* TCP_INFO: every segment the socket gets, as tcp_segs_in(). */
	segs = max_t(u16, 1, skb_shinfo(skb)->gso_segs);
	WRITE_ONCE(csk->segs_in, csk->segs_in + segs);
	if (seg.len)
		WRITE_ONCE(csk->data_segs_in, csk->data_segs_in + segs);
	switch (sk->sk_state) {
	case TCP_SYN_SENT:
		queued = clasp_rcv_syn_sent(sk, skb, &seg);
		break;
	default:
		queued = clasp_rcv_synchronized(sk, skb, &seg);
	}
	if (!queued)
		kfree_skb(skb);
	if (ladder)
		clasp_ladder_sock(sk, &ls);
	return true;
}

/**
 * clasp_do_rcv() - a socket's share of a segment (struct proto.backlog_rcv)
 * @sk: the socket, owned by the caller processing its backlog
 * @skb: the segment, validated, data at the clasp header
 *
 * Return: 0; the skb is consumed.
 */
int clasp_do_rcv(struct sock *sk, struct sk_buff *skb)
{
	if (!clasp_sock_process(sk, skb)) {
		local_bh_disable();
		clasp_rcv_lookup(sock_net(sk), skb);
		local_bh_enable();
	}
	return 0;
}

/*
 * What the receive queue and the backlog may hold together while the
 * owner is busy: the queue's hard limit (clasp_rcv_data()) plus a full
 * window of segments at up to twice their size, so that data inside the
 * window offered is not dropped merely because the reader held the lock;
 * and the send buffer, as tcp_add_backlog() counts it: a writer holds the
 * lock while the ACKs for its flight come in, and an ACK dropped there
 * loses its SACK blocks.
 */
static u32 clasp_backlog_limit(const struct sock *sk)
{
	u64 limit = 2ULL * READ_ONCE(sk->sk_rcvbuf) +
		    2ULL * max(CLASP_MAX_WINDOW, clasp_sk(sk)->rcv_wnd) +
		    READ_ONCE(sk->sk_sndbuf);

	return min_t(u64, limit, U32_MAX);
}

/**
 * clasp_sock_rcv() - a segment the table gave to a socket, from the softirq
 * @sk: the socket, with a reference the caller passes on
 * @skb: the segment, validated, data at the clasp header
 *
 * Processed at once, or added to the backlog while the owner holds the
 * socket (dropped and counted past clasp_backlog_limit()); looked up
 * again if the socket left the table meanwhile.  The skb is consumed and
 * the reference dropped.
 */
void clasp_sock_rcv(struct sock *sk, struct sk_buff *skb)
{
	bool done = true;

	nf_reset_ct(skb);
	bh_lock_sock_nested(sk);
	if (!sock_owned_by_user(sk)) {
		/*
		 * One clock read for the stamps this segment leads to; not
		 * from the backlog, which process context may preempt.
		 */
		clasp_sk(sk)->clock = ktime_get();
		done = clasp_sock_process(sk, skb);
		clasp_sk(sk)->clock = 0;
	} else if (sk_add_backlog(sk, skb, clasp_backlog_limit(sk))) {
		clasp_sk_stats_inc(sk, CLASP_MIB_BACKLOGDROPS);
		kfree_skb(skb);
	}
	bh_unlock_sock(sk);
	if (!done)
		clasp_rcv_lookup(sock_net(sk), skb);
	sock_put(sk);
}
