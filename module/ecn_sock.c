// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: ECN (RFC 3168) on sockets: the rules of ecn.c applied where a
 * connection sends its SYN, builds a header, receives data and ACKs.
 *
 * A segment's ECN field comes from the socket's TOS byte, which IP copies
 * into every header (and GSO into every segment cut from a buffer): it is
 * set to ECT(0) or cleared just before each segment of an ECN connection
 * goes, as Linux's INET_ECN_xmit() and INET_ECN_dontxmit() do for TCP.
 *
 * The sender cuts cwnd at once when the first ECE of a window comes:
 * ssthresh from the congestion control, cwnd no more than that (RFC 3168
 * 6.1.2's halving, with CUBIC's factor under CUBIC), and no growth until
 * the window is over.  Linux reaches the same ssthresh and lets cwnd down
 * by Proportional Rate Reduction over that window.
 */
#include <net/dsfield.h>
#include <net/inet_ecn.h>
#include <net/sock.h>

#include "clasp.h"

/**
 * clasp_ecn_syn_flags() - ECE and CWR for our SYN or a socket's SYN-ACK
 * @sk: the socket, in SYN_SENT or SYN_RCVD (simultaneous open)
 * @flags: the segment's other flags
 *
 * The first SYN of a connect() decides whether the connection asks (the
 * ecn tunable 1); a SYN sent again does not ask any more, in case a
 * middlebox drops SYNs that do (Linux's tcp_ecn_fallback), though the
 * peer may still agree.  A SYN-ACK says ECE while the peer's SYN asked.
 *
 * Return: the flags to add.
 */
u8 clasp_ecn_syn_flags(struct sock *sk, u8 flags)
{
	struct clasp_sock *csk = clasp_sk(sk);

	INET_ECN_dontxmit(sk);
	if (flags & CLASP_ACK)
		return csk->ecn & CLASP_ECN_OK ? CLASP_ECE : 0;
	if (csk->retransmits)
		return 0;
	csk->ecn = READ_ONCE(clasp_tun(sk)->ecn) == CLASP_ECN_MODE_ON ?
		   CLASP_ECN_OK : 0;
	return csk->ecn ? CLASP_ECE | CLASP_CWR : 0;
}

/**
 * clasp_ecn_rcv_synsent() - the peer's SYN-ACK, or SYN, in SYN_SENT
 * @sk: the socket
 * @seg: the segment
 */
void clasp_ecn_rcv_synsent(struct sock *sk, const struct clasp_seg *seg)
{
	struct clasp_sock *csk = clasp_sk(sk);

	csk->ecn = clasp_ecn_synsent(csk->ecn, seg->flags);
}

/**
 * clasp_ecn_xmit() - ECE and CWR for a segment of a synchronized
 * connection, and its ECN field
 * @sk: the socket, locked
 * @seq: the segment's sequence number
 * @len: its payload bytes
 *
 * Return: the flags to add to its header.
 */
u8 clasp_ecn_xmit(struct sock *sk, u32 seq, u32 len)
{
	struct clasp_sock *csk = clasp_sk(sk);
	bool ect;
	u8 th;

	if (!(csk->ecn & CLASP_ECN_OK))
		return 0;
	th = clasp_ecn_out(&csk->ecn,
			   len && !clasp_seq_before(seq, csk->snd_max), &ect);
	if (ect)
		INET_ECN_xmit(sk);
	else
		INET_ECN_dontxmit(sk);
	return th;
}

/* The DS field of @skb's IPv4 or IPv6 header: DSCP and ECN. */
static u8 clasp_dsfield(const struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (clasp_skb_v6(skb))
		return ipv6_get_dsfield(ipv6_hdr(skb));
#endif
	return ip_hdr(skb)->tos;
}

/**
 * clasp_ecn_rcv_data() - data arrived, in order or beyond a hole, with
 * the ECN field of @skb's IP header
 * @sk: the socket, locked
 * @skb: the segment
 */
void clasp_ecn_rcv_data(struct sock *sk, const struct sk_buff *skb)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u8 tos = clasp_dsfield(skb);

	if (!(csk->ecn & CLASP_ECN_OK))
		return;
	if (INET_ECN_is_ce(tos))
		clasp_sk_stats_inc(sk, CLASP_MIB_CERECV);
	if (clasp_ecn_in(&csk->ecn, tos))
		clasp_ack_quick_enter(sk, 2);
}

/**
 * clasp_ecn_rcv_ack() - an acceptable ACK, before it moves snd_una and
 * cwnd: CWR ends our echo, ECE may cut cwnd
 * @sk: the socket, locked
 * @seg: the segment
 *
 * Return: true if the ACK echoed CE (its deliveries count in
 * DeliveredCE).
 */
bool clasp_ecn_rcv_ack(struct sock *sk, const struct clasp_seg *seg)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 what;

	/* The sender may have a tiny window now: answer its data at once. */
	if (csk->ecn & CLASP_ECN_OK && seg->flags & CLASP_CWR && seg->len)
		csk->ack_now = true;
	what = clasp_ecn_ack(&csk->ecn, seg->flags, seg->ack, csk->cwr_high,
			     csk->ca_state == TCP_CA_Open);
	if (what & CLASP_ECN_ACK_END)
		clasp_cong_state(sk, TCP_CA_Open);
	if (what & CLASP_ECN_ACK_ECE)
		clasp_sk_stats_inc(sk, CLASP_MIB_ECERECV);
	if (what & CLASP_ECN_ACK_REDUCE) {
		clasp_cong_cwr(sk);
		clasp_sk_stats_inc(sk, CLASP_MIB_ECNREDUCTIONS);
	}
	return what & CLASP_ECN_ACK_ECE;
}

/**
 * clasp_cwr_local() - a qdisc below the socket dropped or marked a segment
 * it sent (NET_XMIT_DROP, NET_XMIT_CN): cut cwnd as for an ECE, once per
 * window, as __tcp_transmit_skb() calls tcp_enter_cwr()
 * @sk: the socket, locked
 *
 * The segment dropped stays unsent and goes again later; the cut is what
 * tells the sender that its own qdisc is full.  Without it a clasp flow
 * took three quarters of a shaped link from a TCP flow beside it
 * (clasp_fair_test.sh).  Not during a loss recovery, which cuts cwnd
 * itself.
 */
void clasp_cwr_local(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (csk->ca_state != TCP_CA_Open || csk->ecn & CLASP_ECN_IN_CWR)
		return;
	csk->ecn |= CLASP_ECN_IN_CWR;
	clasp_cong_cwr(sk);
	clasp_ecn_queue_cwr(sk);
}

/**
 * clasp_ecn_queue_cwr() - cwnd was cut for a loss: the next new data
 * says CWR, as after an ECE (RFC 3168 6.1.2, Linux's tcp_ecn_queue_cwr())
 * @sk: the socket, locked
 */
void clasp_ecn_queue_cwr(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (csk->ecn & CLASP_ECN_OK)
		csk->ecn |= CLASP_ECN_QUEUE_CWR;
}

/**
 * clasp_ecn_req() - does a listener use ECN with the sender of a SYN?
 * @lsk: the listener
 * @skb: the SYN
 * @seg: what it says
 *
 * Return: true if the SYN-ACK says ECE and the connection uses ECN.
 */
bool clasp_ecn_req(const struct sock *lsk, const struct sk_buff *skb,
		   const struct clasp_seg *seg)
{
	return clasp_ecn_accept(READ_ONCE(clasp_tun(lsk)->ecn), seg->flags,
				clasp_dsfield(skb));
}
