// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: how large a GSO buffer should be, and when a write sends.
 *
 * Every GSO buffer costs its sender a header, a transmission, and its
 * receiver a pass through the input path and usually an ACK, whatever
 * it carries: the fewer buffers for the same data, the less CPU per
 * byte.  On a path of short round trips a buffer should carry as much
 * as the device takes (64 KiB); on a long one, where bursts are what
 * queues and loses, about a millisecond of the sending rate.  TCP's
 * tcp_tso_autosize() makes the same choice, from the pacing rate, and so
 * does clasp, from its own (pacing.c).
 */
#include <net/sock.h>
#include <net/tcp.h>
#include <net/xfrm.h>

#include "clasp.h"
#include "defer.h"
#include "compat.h"

#define CLASP_TSO_MIN_SEGS	2U	/* tcp_min_tso_segs */
#define CLASP_TSO_RTT_LOG	9	/* tcp_tso_rtt_log: halve per 512 us */
#define CLASP_TSO_DEFER_US	USEC_PER_MSEC	/* the longest wait for an ACK */

/**
 * clasp_route_caps() - software GSO on the socket's route, as TCP has it
 * @sk: the socket, locked
 *
 * sk_setup_caps() gives TCP's sockets software GSO (NETIF_F_GSO) on any
 * route, other sockets only where the device has it, and a device
 * without scatter-gather has not (netdev_fix_features()): virtio-net
 * whose host offers no offloads, as QEMU's dgram netdev (issue 23).
 * TCP sends GSO buffers there all the same, cut into segments below the
 * qdisc, and clasp sent one segment per buffer: netem lost, duplicated
 * and reordered its segments one by one, where TCP's bursts made a third
 * as many loss events.  The same here: the GSO types cut in software,
 * scatter-gather and any checksum (which the core finishes in software,
 * skb_csum_hwoffload_help()), and the device's limits, as sk_setup_caps()
 * sets them for TCP (no IPsec transform on the route that the device does
 * not offload, and not after sk_gso_disabled).  The kernel sets the caps
 * again when it rebuilds the route on output (ip_queue_xmit(),
 * inet6_csk_xmit()), without NETIF_F_GSO: the socket's transmissions call
 * this first, and it costs a test once it has been done.
 *
 * Return: whether the socket may send GSO buffers (sk_can_gso()).
 */
bool clasp_route_caps(struct sock *sk)
{
	const struct net_device *dev;
	struct dst_entry *dst;
	u32 max;

	if (sk->sk_route_caps & NETIF_F_GSO || sk->sk_gso_disabled)
		return sk_can_gso(sk);
	dst = __sk_dst_get(sk);
	if (!dst || (dst->header_len && !xfrm_dst_offload_ok(dst)))
		return false;
	rcu_read_lock();
	dev = READ_ONCE(dst->dev);
	max = min(clasp_dev_gso_max_size(dev, clasp_sk_v6(sk)),
		  GSO_LEGACY_MAX_SIZE);
	WRITE_ONCE(sk->sk_gso_max_size, max - (MAX_TCP_HEADER + 1));
	WRITE_ONCE(sk->sk_gso_max_segs,
		   max_t(u32, READ_ONCE(dev->gso_max_segs), 1));
	rcu_read_unlock();
	sk->sk_route_caps |= NETIF_F_GSO | NETIF_F_GSO_SOFTWARE | NETIF_F_SG |
			     NETIF_F_HW_CSUM;
	return sk_can_gso(sk);
}

/*
 * Largest payload one GSO buffer takes on the socket's route: the route
 * device's largest buffer, less room for TCP's largest headers, which
 * sk_setup_caps() already took off (clasp's are no larger).
 */
static u32 clasp_gso_max_payload(const struct sock *sk)
{
	return READ_ONCE(sk->sk_gso_max_size);
}

/**
 * clasp_tso_segs() - how many full segments one GSO buffer should carry
 * @sk: the socket, locked
 *
 * As tcp_tso_autosize(): about a millisecond of the sending rate, plus
 * the device's largest buffer halved for every 512 us of the least
 * round trip seen, so that a short path gets whole 64 KiB buffers and a
 * long one small bursts; at most what the device takes, at least two.
 * Before any round trip was measured, what the device takes, unless
 * SO_MAX_PACING_RATE bounds the rate.
 *
 * Return: segments, at least 1.
 */
u32 clasp_tso_segs(const struct sock *sk)
{
	const struct clasp_sock *csk = clasp_sk(sk);
	u32 max = clasp_gso_max_payload(sk), segs;
	u32 r = csk->rack.min_rtt_us >> CLASP_TSO_RTT_LOG;
	u64 bytes;

	/* pacing.c's rate, ~0UL before it has one: about a millisecond. */
	bytes = READ_ONCE(sk->sk_pacing_rate) >> READ_ONCE(sk->sk_pacing_shift);
	if (csk->rack.min_rtt_us && r < 32)
		bytes += max >> r;
	bytes = min_t(u64, bytes, max);
	segs = max_t(u32, (u32)bytes / csk->mss, CLASP_TSO_MIN_SEGS);
	return max(min(segs, (u32)READ_ONCE(sk->sk_gso_max_segs)), 1U);
}

/**
 * clasp_tso_write_full() - a write that is still queueing has a full GSO
 * buffer's worth unsent: time to send it
 * @sk: the socket, locked
 * @goal: clasp_tso_segs()
 *
 * TCP's tcp_sendmsg_locked() sends its write queue's head as soon as it
 * holds size_goal bytes; clasp fills its buffers up to the same goal
 * (clasp_queue_data()) and sends once @goal segments wait unsent.  Fewer
 * looks at the queue mean larger GSO buffers: sent every 16 segments, a
 * 64 KiB write left in three buffers of 16, 16 and 13, and TCP's in one.
 *
 * Return: true when the unsent part of the queue holds @goal segments.
 */
bool clasp_tso_write_full(const struct sock *sk, u32 goal)
{
	const struct clasp_sock *csk = clasp_sk(sk);

	return csk->send_head &&
	       csk->write_seq - CLASP_SKB_CB(csk->send_head)->seq >=
	       goal * csk->mss;
}

/* Is the ACK of the oldest segment in flight due within the defer bound? */
static bool clasp_tso_ack_due(struct sock *sk, ktime_t now)
{
	const struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *head = skb_peek(&sk->sk_write_queue);
	s64 in_us;

	if (!head || !csk->srtt_us)
		return false;
	in_us = ktime_us_delta(ktime_add_us(CLASP_SKB_CB(head)->xmit,
					    csk->srtt_us), now);
	return in_us <= min_t(s64, csk->srtt_us / 2, CLASP_TSO_DEFER_US);
}

/**
 * clasp_tso_should_defer() - hold new data back for the next ACK, so that
 * it leaves in a larger GSO buffer, as tcp_tso_should_defer()
 * @sk: the socket, locked
 * @skb: the send head, a full segment never sent, with more queued
 * @room: segments the congestion window leaves, at least one
 * @cwnd_limited: set when the congestion window is what holds it back
 *
 * Never in recovery, with nothing in flight (no ACK would come), or when
 * nothing went in the last millisecond (a burst after a pause); the rest
 * is clasp_defer()'s (defer.c).
 *
 * Return: true to send nothing now.
 */
bool clasp_tso_should_defer(struct sock *sk, struct sk_buff *skb, u32 room,
			    bool *cwnd_limited)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 seq = CLASP_SKB_CB(skb)->seq;
	ktime_t now = clasp_now(sk);
	struct clasp_defer d;

	if (csk->ca_state >= TCP_CA_Recovery || csk->snd_una == csk->snd_max ||
	    ktime_us_delta(now, csk->data_sent_tstamp) > CLASP_TSO_DEFER_US)
		return false;
	d = (struct clasp_defer){
		.send_win = csk->snd_una + csk->snd_wnd - seq,
		.cong_win = room * csk->mss,
		.goal = clasp_tso_segs(sk) * csk->mss,
		.wnd = min(csk->snd_wnd, csk->cong.cwnd * csk->mss),
		.queued = csk->write_seq - seq,
		.ack_due = clasp_tso_ack_due(sk, now),
		.fin = csk->fin_queued,
	};
	switch (clasp_defer(&d)) {
	case CLASP_DEFER_CWND:
		*cwnd_limited = true;
		return true;
	case CLASP_DEFER_WAIT:
		return true;
	default:
		return false;
	}
}
