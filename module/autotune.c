// SPDX-License-Identifier: GPL-2.0
/*
 * Buffer autotuning: socket buffers that grow with what the connection
 * carries, as Linux's TCP grows its own, unless the program fixed them
 * with SO_RCVBUF or SO_SNDBUF.
 *
 * Receive side, dynamic right-sizing (tcp_rcv_space_adjust()).  The
 * receiver estimates the round-trip time without help from the sender:
 * the time a window's worth of data takes to arrive, the smallest seen
 * (the sender may not fill the window, so larger samples mean less).
 * Once per such RTT it looks at what the reader took: if that is more
 * than the last RTT's, the sender is held back by the window, and the
 * buffer grows to twice what was read, plus the growth again, so that
 * the window stays ahead of a sender that speeds up.  clasp advertises
 * half of the free buffer (clasp_rcv_space()), so the buffer is twice
 * the window it must allow.  Growth stops at rmem[2] (6 MiB, TCP's
 * tcp_rmem[2]); the buffer never shrinks.
 *
 * Send side (tcp_sndbuf_expand()).  With no congestion window yet, the
 * most the sender can ever have in flight is the peer's largest window;
 * the send buffer holds twice that, in buffer memory, so that the next
 * flight is queued while the last is acknowledged.  At most wmem[2].
 */
#include <net/sock.h>

#include "clasp.h"

/* Memory a queued segment of @mss bytes costs, struct sk_buff included. */
static u32 clasp_seg_truesize(u32 mss)
{
	return SKB_TRUESIZE(SKB_DATA_ALIGN(mss));
}

/**
 * clasp_autotune_init() - a connection begins: no round trip measured,
 * no reader's pace seen.  A socket connected again after a disconnect
 * keeps nothing of the last connection's estimates but the buffer they
 * grew; TCP keeps its receiver RTT too (Documentation/protocol.md).
 * @sk: the socket, locked
 */
void clasp_autotune_init(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->rcv_rtt_us = 0;
	csk->rcv_rtt_seq = 0;
	csk->rcv_rtt_time = 0;
	csk->rcvq_space = 0;
	csk->rcvq_seq = 0;
	csk->rcvq_time = 0;
}

/**
 * clasp_rcv_rtt_measure() - in-order data arrived: one more step of the
 * receiver's RTT estimate
 * @sk: the socket, locked, rcv_nxt already advanced
 *
 * A measurement starts with the window just advertised and ends when
 * rcv_nxt passes its right edge, as tcp_rcv_rtt_measure() does.
 */
void clasp_rcv_rtt_measure(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u64 now = ktime_get_ns() / NSEC_PER_USEC;
	u32 sample;

	if (csk->rcv_rtt_time) {
		if (clasp_seq_before(csk->rcv_nxt, csk->rcv_rtt_seq))
			return;
		sample = max_t(u64, now - csk->rcv_rtt_time, 1);
		if (!csk->rcv_rtt_us || sample < csk->rcv_rtt_us)
			csk->rcv_rtt_us = sample;
	}
	csk->rcv_rtt_seq = csk->rcv_nxt + csk->rcv_wnd;
	csk->rcv_rtt_time = now;
}

/* Start a new period of the reader's pace. */
static void clasp_rcvq_restart(struct clasp_sock *csk, u64 now)
{
	csk->rcvq_seq = csk->copied_seq;
	csk->rcvq_time = now;
}

/**
 * clasp_rcvbuf_adjust() - the reader took data: grow the receive buffer
 * if it reads more per round trip than the window lets in
 * @sk: the socket, locked
 */
void clasp_rcvbuf_adjust(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u64 now = ktime_get_ns() / NSEC_PER_USEC;
	u32 copied, rcvwin;
	u64 grow, rcvbuf;

	if (!csk->rcvq_time) {
		csk->rcvq_space = min_t(u32, csk->rcv_wnd, 10 * csk->mss);
		clasp_rcvq_restart(csk, now);
		return;
	}
	if (!csk->rcv_rtt_us || now - csk->rcvq_time < csk->rcv_rtt_us)
		return;
	copied = csk->copied_seq - csk->rcvq_seq;
	if (copied <= csk->rcvq_space) {
		clasp_rcvq_restart(csk, now);
		return;
	}
	if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK)) {
		rcvwin = 2 * copied + 16 * csk->mss;
		grow = div_u64((u64)rcvwin * (copied - csk->rcvq_space),
			       csk->rcvq_space ?: 1);
		rcvbuf = min_t(u64, 2 * (rcvwin + 2 * grow),
			       READ_ONCE(sk->sk_prot->sysctl_rmem[2]));
		if (rcvbuf > READ_ONCE(sk->sk_rcvbuf))
			WRITE_ONCE(sk->sk_rcvbuf, (int)rcvbuf);
	}
	csk->rcvq_space = copied;
	clasp_rcvq_restart(csk, now);
}

/**
 * clasp_sndbuf_expand() - the peer offered a larger window: let the send
 * buffer hold two of them
 * @sk: the socket, locked
 */
void clasp_sndbuf_expand(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 segs, want;

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK || !csk->mss ||
	    clasp_under_memory_pressure())
		return;
	segs = DIV_ROUND_UP(csk->max_snd_wnd, csk->mss);
	want = min_t(u64, 2ULL * segs * clasp_seg_truesize(csk->mss),
		     READ_ONCE(sk->sk_prot->sysctl_wmem[2]));
	if (want > READ_ONCE(sk->sk_sndbuf)) {
		WRITE_ONCE(sk->sk_sndbuf, want);
		sk->sk_write_space(sk);
	}
}
