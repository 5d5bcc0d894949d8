// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: building and sending segments.
 *
 * A socket's data waits in its write queue as payload-only buffers tagged
 * with their sequence numbers; each transmission builds a fresh segment
 * from one of them, so a retransmission never touches a buffer still in a
 * device queue.  Replies that belong to no socket leave from ctl.c, with
 * the header and checksum helpers here.
 */
#include <linux/ip.h>
#include <net/inet6_connection_sock.h>
#include <net/ip6_checksum.h>
#include <net/ip.h>
#include <net/route.h>

#include "clasp.h"
#include "trace.h"
#include "compat.h"

/**
 * clasp_route_mss() - the largest payload a route carries in one segment
 * @dst: the route
 *
 * Return: MTU less the IP and clasp headers, within clasp's limits;
 * CLASP_DEFAULT_MSS without a route.
 */
u32 clasp_route_mss(const struct dst_entry *dst)
{
	u32 mtu, mss, hlen;

	if (!dst)
		return CLASP_DEFAULT_MSS;
	mtu = dst_mtu(dst);
	hlen = (dst->ops->family == AF_INET6 ? sizeof(struct ipv6hdr) :
					       sizeof(struct iphdr)) +
	       CLASP_HDR_LEN;
	mss = mtu > hlen ? mtu - hlen : 0;

	return clamp_t(u32, mss, CLASP_MIN_MSS, CLASP_MAX_MSS);
}

/**
 * clasp_sk_route() - the socket's route, rebuilt if it went stale
 * @sk: the socket, locked
 *
 * A route whose path MTU changed is stale (an IPv6 route exception, an
 * IPv4 next-hop exception): the one that replaces it carries the MTU.
 *
 * Return: the route, or NULL if none can be found.
 */
struct dst_entry *clasp_sk_route(struct sock *sk)
{
	struct dst_entry *dst = __sk_dst_check(sk, clasp_sk_v6(sk) ?
					       inet6_sk(sk)->dst_cookie : 0);
	int err;

	if (dst)
		return dst;
#if IS_ENABLED(CONFIG_IPV6)
	if (clasp_sk_v6(sk))
		err = inet6_sk_rebuild_header(sk);
	else
#endif
		err = inet_sk_rebuild_header(sk);
	return err ? NULL : __sk_dst_get(sk);
}

/**
 * clasp_sync_mss() - size a connection's segments for a route
 * @sk: the socket, locked, with the peer's MSS known
 * @dst: its route, or NULL for none
 *
 * The route's MSS, lowered by TCP_MAXSEG and by the MSS the peer
 * announced, less the room of the options every segment carries, as
 * tcp_sync_mss(); the route's MTU is remembered in csk->pmtu_cookie.
 */
void clasp_sync_mss(struct sock *sk, const struct dst_entry *dst)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 user = READ_ONCE(csk->opt.user_mss);
	u32 mss = clasp_route_mss(dst);

	if (user)
		mss = min(mss, user);
	csk->pmtu_cookie = dst ? dst_mtu(dst) : 0;
	csk->mss = clamp(csk->peer_mss, CLASP_MIN_MSS, mss) -
		   clasp_opt_room(csk);
}

/**
 * clasp_current_mss() - follow the path MTU of the socket's route
 * @sk: the socket, locked
 *
 * Any socket's ICMP error lowers the path MTU of a route every
 * connection to that destination shares, and an expired one raises it
 * again; a connection that sized its segments for the old MTU notices
 * here, before it sends, as TCP's tcp_current_mss().  Segments already
 * queued are cut to the new size as they go (clasp_push_nonagle(),
 * clasp_retransmit_skb()): IPv6 never fragments a segment too big for
 * its route, it refuses it.
 */
void clasp_current_mss(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct dst_entry *dst;

	if (!csk->peer_mss)
		return;		/* before the peer's SYN: clasp_adv_mss() */
	dst = clasp_sk_route(sk);
	if (dst && dst_mtu(dst) != csk->pmtu_cookie)
		clasp_sync_mss(sk, dst);
}

/*
 * Cut a queued buffer longer than the MSS (an unsent one holds several
 * segments; a sent one, after the MSS shrank): false if it cannot be.
 */
static bool clasp_fit_mss(struct sock *sk, struct sk_buff *skb)
{
	u32 mss = clasp_sk(sk)->mss;

	return skb->len <= mss || !clasp_split(sk, skb, mss);
}

/* The largest window the window field can carry for @sk. */
static u32 clasp_max_window(const struct clasp_sock *csk)
{
	return CLASP_MAX_WINDOW << csk->rcv_wscale;
}

/**
 * clasp_choose_wscale() - the window shift to announce in our SYN or
 * SYN-ACK, as tcp_select_initial_window() chooses it
 * @sk: the socket (or listener)
 *
 * The smallest shift (at most 14) that lets the window field cover the
 * largest receive buffer the socket may get: its own, what autotuning
 * may grow it to (rmem[2], autotune.c) or rmem_max, within
 * TCP_WINDOW_CLAMP.  Like Linux, it counts the whole buffer, although
 * the window is half of it: the shift is the same as TCP's.
 *
 * Return: the shift.
 */
u8 clasp_choose_wscale(const struct sock *sk)
{
	u32 space = max_t(u32, READ_ONCE(sk->sk_rcvbuf),
			  READ_ONCE(sk->sk_prot->sysctl_rmem[2]));
	u8 shift = 0;

	space = max_t(u32, space, READ_ONCE(sysctl_rmem_max));
	space = clasp_window_clamp(sk, space);
	while (space > CLASP_MAX_WINDOW && shift < CLASP_MAX_WSCALE) {
		space >>= 1;
		shift++;
	}
	return shift;
}

/**
 * clasp_rcv_space() - the window the receive buffer could offer now
 * @sk: the socket
 *
 * Half the free receive buffer (the rest covers buffer overhead), at most
 * what the window field carries (65535 bytes, more with window scaling),
 * at most four segments while the memory pool is under pressure (as
 * TCP's rcv_ssthresh then), and at most TCP_WINDOW_CLAMP.
 *
 * Return: the window, before the promise of clasp_rcv_window().
 */
u32 clasp_rcv_space(const struct sock *sk)
{
	int space = sk->sk_rcvbuf - atomic_read(&sk->sk_rmem_alloc);
	u32 max = clasp_max_window(clasp_sk(sk));
	u32 win = space > 0 ? min_t(u32, space / 2, max) : 0;

	if (clasp_under_memory_pressure())
		win = min(win, 4 * clasp_sk(sk)->mss);
	return clasp_window_clamp(sk, win);
}

/*
 * The window to advertise now, remembered: what clasp_rcv_space() offers,
 * but never less than what was already promised (RFC 9293 says a window
 * must not shrink).  With window scaling the window is rounded down to
 * the field's unit, and a promise up to it, so that the right edge never
 * moves left (as __tcp_select_window() and tcp_select_window()).  A SYN's
 * window is never scaled (RFC 7323 2.2).  Returns the field's value.
 */
static u16 clasp_select_window(struct sock *sk, bool syn)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 promised = csk->rcv_wup + csk->rcv_wnd - csk->rcv_nxt;
	u8 shift = syn ? 0 : csk->rcv_wscale;
	u32 win = clasp_rcv_space(sk);

	if (syn)
		win = min(win, CLASP_MAX_WINDOW);
	win = round_down(win, 1U << shift);
	if ((s32)promised > 0 && win < promised)
		win = min(round_up(promised, 1U << shift),
			  CLASP_MAX_WINDOW << shift);
	csk->rcv_wnd = win;
	csk->rcv_wup = csk->rcv_nxt;
	return win >> shift;
}

/**
 * clasp_rcv_window() - the window to advertise now, and remember it
 * @sk: the socket, synchronized
 *
 * What clasp_rcv_space() offers, but never less than what was already
 * promised; see clasp_select_window().
 *
 * Return: the value of the window field (scaled).
 */
u32 clasp_rcv_window(struct sock *sk)
{
	return clasp_select_window(sk, false);
}

/**
 * clasp_key_checksum() - checksum a segment from @k's local end to its
 * remote one
 * @skb: the segment, its header pushed
 * @k: the connection's key
 * @partial: leave the pseudo-header's sum alone for the device to finish
 *	(CHECKSUM_PARTIAL); else the whole sum
 */
void clasp_key_checksum(struct sk_buff *skb, const struct clasp_entry *k,
			bool partial)
{
	struct tcphdr *th = tcp_hdr(skb);
	__wsum sum = 0;

	th->check = 0;
	/* The header is linear, the payload of a queued segment in pages. */
	if (!partial)
		sum = skb_checksum(skb, 0, skb->len, 0);
#if IS_ENABLED(CONFIG_IPV6)
	if (clasp_key_v6(k))
		th->check = csum_ipv6_magic(&k->tuple.laddr6, &k->tuple.raddr6,
					    skb->len, clasp_proto, sum);
	else
#endif
		th->check = csum_tcpudp_magic(k->tuple.laddr, k->tuple.raddr,
					      skb->len, clasp_proto, sum);
	if (!partial) {
		skb->ip_summed = CHECKSUM_NONE;
		return;
	}
	th->check = ~th->check;
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
}

/**
 * clasp_push_header() - push a header and its options in front of the
 * payload
 * @skb: the segment, with headroom
 * @sport: source port
 * @dport: destination port
 * @seq: sequence number
 * @ack: acknowledgment number
 * @flags: CLASP_* flags
 * @wnd: the window field
 * @opts: option bytes
 * @optlen: their length, a multiple of 4
 */
void clasp_push_header(struct sk_buff *skb, __be16 sport, __be16 dport,
		       u32 seq, u32 ack, u8 flags, u16 wnd, const u8 *opts,
		       int optlen)
{
	unsigned int hlen = CLASP_HDR_LEN + optlen;
	struct tcphdr *th;

	skb_push(skb, hlen);
	skb_reset_transport_header(skb);
	th = tcp_hdr(skb);
	memset(th, 0, CLASP_HDR_LEN);
	th->source = sport;
	th->dest = dport;
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	th->doff = hlen / 4;
	clasp_flag_byte(th) = flags;
	th->window = htons(wnd);
	memcpy(th + 1, opts, optlen);
}

/**
 * clasp_build_opts() - the option bytes of a segment
 * @buf: CLASP_MAX_OPT_LEN bytes
 * @flags: the segment's CLASP_* flags (a SYN's options differ)
 * @o: the options, or NULL for none
 *
 * Return: their length.
 */
int clasp_build_opts(u8 *buf, u8 flags, const struct clasp_opts *o)
{
	if (!o)
		return 0;
	return flags & CLASP_SYN ? clasp_opts_put_syn(buf, o) :
				   clasp_opts_put(buf, o);
}

/**
 * clasp_alloc_seg() - a buffer for a segment of @payload bytes
 * @payload: bytes of payload it will hold
 * @gfp: allocation flags
 *
 * With headroom for every header in front of the payload: a segment of
 * the write queue goes out as a clone that pushes its headers there
 * (clasp_xmit_skb()), so the payload is never copied again.
 *
 * Return: the buffer, empty, or NULL.
 */
struct sk_buff *clasp_alloc_seg(unsigned int payload, gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb(CLASP_MAX_HEADER + payload, gfp);

	if (skb)
		skb_reserve(skb, CLASP_MAX_HEADER);
	return skb;
}

/*
 * The socket's own counts for TCP_INFO, as TCP's __tcp_transmit_skb()
 * keeps them: every segment, and those with data, retransmissions
 * included, whether or not IP then takes them.
 */
static void clasp_count_out(struct sock *sk, struct sk_buff *skb, bool rtx)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 payload = skb->len - tcp_hdrlen(skb);
	u32 segs = skb_is_gso(skb) ? skb_shinfo(skb)->gso_segs : 1;

	WRITE_ONCE(csk->segs_out, csk->segs_out + segs);
	if (!payload)
		return;
	csk->data_sent_tstamp = clasp_now(sk);
	WRITE_ONCE(csk->data_segs_out, csk->data_segs_out + segs);
	WRITE_ONCE(csk->bytes_sent, csk->bytes_sent + payload);
	if (rtx)
		WRITE_ONCE(csk->bytes_retrans, csk->bytes_retrans + payload);
}

/*
 * Small queues, as TCP's TSQ (tcp_small_queue_check()): clasp has no
 * congestion window, and without a bound the send loop hands the whole
 * peer's window to the qdisc at once.  Between two guests (issue 23) the
 * qdisc then held megabytes: fq_codel dropped from it, netem overflowed,
 * and every retransmission waited behind the backlog long enough for the
 * retransmission timer to fire, so recovery after recovery went again
 * needlessly.  Each segment sent stays charged to the socket's
 * sk_wmem_alloc until the device frees it; past CLASP_TSQ_LIMIT new data
 * waits (retransmissions do not), and the destructor of a segment that
 * brings the charge down to half of it sends more, from clasp_tsq_wq.
 * Loopback, veth and tun orphan a segment when they take it: there the
 * bound never holds anything back.
 */
#define CLASP_TSQ_LIMIT		(128 * 1024)

static struct workqueue_struct *clasp_tsq_wq;

/**
 * clasp_tsq_wq_init() - create the small-queues workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int clasp_tsq_wq_init(void)
{
	clasp_tsq_wq = alloc_workqueue("clasp_tsq", WQ_UNBOUND, 0);
	return clasp_tsq_wq ? 0 : -ENOMEM;
}

/**
 * clasp_tsq_wq_exit() - wait for queued small-queues work, destroy the queue
 */
void clasp_tsq_wq_exit(void)
{
	destroy_workqueue(clasp_tsq_wq);
}

static void clasp_tsq_work(struct work_struct *work)
{
	struct clasp_sock *csk = container_of(work, struct clasp_sock,
					      tsq_work);
	struct sock *sk = &csk->inet.sk;

	lock_sock(sk);
	clasp_push_pending(sk);
	release_sock(sk);
	sock_put(sk);
}

/**
 * clasp_tsq_init() - set up a socket's small-queues state
 * @sk: the socket
 */
void clasp_tsq_init(struct sock *sk)
{
	INIT_WORK(&clasp_sk(sk)->tsq_work, clasp_tsq_work);
}

/**
 * clasp_wfree() - the destructor of a segment sent: sock_wfree(), and more
 * sending if the send loop waits for this
 * @skb: the segment, charged to its socket's sk_wmem_alloc
 *
 * Any context; the socket's memory lives as long as this segment's
 * charge, its refcount may already be zero.
 */
void clasp_wfree(struct sk_buff *skb)
{
	struct sock *sk = skb->sk;
	struct clasp_sock *csk = clasp_sk(sk);

	if (test_bit(0, &csk->tsq_throttled) &&
	    refcount_read(&sk->sk_wmem_alloc) - skb->truesize <=
	    CLASP_TSQ_LIMIT / 2 &&
	    test_and_clear_bit(0, &csk->tsq_throttled) &&
	    refcount_inc_not_zero(&sk->sk_refcnt) &&
	    !queue_work(clasp_tsq_wq, &csk->tsq_work))
		sock_put(sk);
	sock_wfree(skb);
}

/* Too much of the socket's output below it?  Then wait for clasp_wfree(). */
static bool clasp_tsq_full(struct sock *sk)
{
	if (refcount_read(&sk->sk_wmem_alloc) <= CLASP_TSQ_LIMIT)
		return false;
	set_bit(0, &clasp_sk(sk)->tsq_throttled);
	/* Order the bit before the second look, as tcp_small_queue_check(). */
	smp_mb__after_atomic();
	return refcount_read(&sk->sk_wmem_alloc) > CLASP_TSQ_LIMIT;
}

/*
 * Whether the socket's route leaves by a device that finishes a checksum
 * at any offset (NETIF_F_HW_CSUM).  A device with NETIF_F_IP_CSUM or
 * NETIF_F_IPV6_CSUM alone sums TCP and UDP only, yet the core hands it
 * any CHECKSUM_PARTIAL buffer whose csum_offset is TCP's
 * (skb_csum_hwoffload_help()), and clasp's header puts its sum there:
 * such a device would send clasp's segments with the pseudo-header's
 * sum alone (8139cp warns, e1000 class devices say nothing).
 */
static bool clasp_dev_csum(struct sock *sk)
{
	const struct dst_entry *dst = __sk_dst_get(sk);

	return dst && READ_ONCE(dst->dev)->features & NETIF_F_HW_CSUM;
}

/*
 * A socket's segment leaves its checksum to the device that sums any
 * protocol (loopback, veth, virtio-net with the host's offload; see
 * clasp_dev_csum()), and a GSO buffer always: the header carries the
 * pseudo-header's sum, the device or clasp_gso_segment() the rest,
 * which finishes each segment's sum in software for any other device.
 * Any other segment leaves with its sum done.  A route rebuilt on output
 * to another device between here and ip_queue_xmit() would see the
 * buffer as it was made for the first.
 */
static void clasp_sock_checksum(struct sock *sk, struct sk_buff *skb)
{
	struct clasp_entry k = {};

	clasp_sock_tuple(sk, &k);
	clasp_key_checksum(skb, &k, skb_is_gso(skb) || clasp_dev_csum(sk));
}

/* @rtx: the segment only retransmits (not counted in OutSegs). */
static int clasp_transmit(struct sock *sk, struct sk_buff *skb, bool rtx)
{
	u32 payload = skb->len - tcp_hdrlen(skb);
	struct inet_sock *inet = inet_sk(sk);
	u32 segs;
	int err;

	clasp_count_out(sk, skb, rtx);
	clasp_route_caps(sk);
	clasp_sock_checksum(sk, skb);
	if (clasp_ladder_on()) {
		struct clasp_ladder_seg ls;

		clasp_ladder_begin(&ls, skb, true, sk->sk_state);
		clasp_ladder_sock(sk, &ls);
	}
	/* Whose segment it is: egress cgroup BPF, owner matches, SO_MARK. */
	skb_set_owner_w(skb, sk);
	skb->destructor = clasp_wfree;
	segs = skb_is_gso(skb) ? skb_shinfo(skb)->gso_segs : 1;
#if IS_ENABLED(CONFIG_IPV6)
	if (clasp_sk_v6(sk))
		err = inet6_csk_xmit(sk, skb, NULL);
	else
#endif
		err = ip_queue_xmit(sk, skb, &inet->cork.fl);
	/*
	 * A qdisc below dropped it or gave a congestion notice: cwnd is cut
	 * (TCP's CWR).  After a notice the segment went all the same.
	 */
	if (unlikely(err > 0))
		clasp_cwr_local(sk);
	err = net_xmit_eval(err);
	if (!err && payload)
		clasp_pacing_sent(sk, payload);
	if (!err && !rtx)
		clasp_sk_stats_add(sk, CLASP_MIB_OUTSEGS, segs);
	return err;
}

/*
 * The SACK blocks for a segment without SYN whose payload is already in
 * @skb (RFC 2018 section 4): the D-SACK first, then the ranges held, the
 * most recent first, as many as the option space leaves room for: 4, or
 * 3 beside timestamps.  TCP's tcp_established_options() likewise, but
 * TCP also shortens data segments to make room for the blocks; clasp
 * sized its queued segments when they were written, and gives a data
 * segment only the blocks its spare bytes hold (none when it is full).
 */
static void clasp_sack_opts(struct sock *sk, const struct sk_buff *skb,
			    struct clasp_opts *o)
{
	struct clasp_sock *csk = clasp_sk(sk);
	int room = CLASP_MAX_OPT_LEN;

	if (!csk->sack_ok)
		return;
	if (skb->len)
		room = min_t(int, room, (int)(clasp_opt_room(csk) + csk->mss) -
					(int)skb->len);
	room -= clasp_opt_room(csk) + 4;	/* NOP, NOP, kind, length */
	if (room < CLASP_OPTLEN_SACK_BLOCK)
		return;
	o->nr_sack = clasp_sack_report(&csk->sack_rcv, o->sack,
				       room / CLASP_OPTLEN_SACK_BLOCK);
}

/*
 * A socket's header and options for a segment with @flags: on a SYN what
 * it offers (the MSS @mss, SACK-permitted, timestamps, window scale), on
 * any other segment the timestamps once both ends use them and the SACK
 * blocks, RSTs and probes included (as TCP's tcp_send_active_reset() and
 * tcp_xmit_probe_skb()), TSecr being TS.Recent, and ECN's flags (ECE
 * while an echo lasts, CWR on new data after a cut).
 */
static void clasp_sock_header(struct sock *sk, struct sk_buff *skb, u32 seq,
			      u8 flags, u16 mss)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct inet_sock *inet = inet_sk(sk);
	u32 ack = flags & CLASP_ACK ? csk->rcv_nxt : 0;
	struct clasp_opts o = {
		.mss = mss,
		.ts_ok = csk->ts_ok,
		.tsval = clasp_ts_at(clasp_now(sk), csk->ts_offset),
		.tsecr = csk->ts_recent,
	};
	u8 opts[CLASP_MAX_OPT_LEN];
	bool syn = flags & CLASP_SYN;

	if (syn) {
		o.sack_ok = csk->sack_ok;
		o.wscale_ok = csk->wscale_ok;
		o.wscale = csk->rcv_wscale;
		if (!(flags & CLASP_ACK))
			o.tsecr = 0;
	} else {
		clasp_sack_opts(sk, skb, &o);
		/* ECE, CWR, and the ECN field of new data. */
		flags |= clasp_ecn_xmit(sk, seq, skb->len);
	}
	clasp_push_header(skb, inet->inet_sport, inet->inet_dport, seq, ack,
			  flags, clasp_select_window(sk, syn), opts,
			  clasp_build_opts(opts, flags, &o));
}

static void clasp_send_seg(struct sock *sk, u32 seq, u8 flags, u16 mss,
			   bool rtx)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *skb = clasp_alloc_seg(0, GFP_ATOMIC);
	u32 ack = flags & CLASP_ACK ? csk->rcv_nxt : 0;

	if (!skb)
		return;
	clasp_sock_header(sk, skb, seq, flags, mss);
	if (flags & CLASP_ACK)
		clasp_ack_sent(sk);
	if (!clasp_transmit(sk, skb, rtx) && flags & CLASP_RST) {
		struct clasp_entry k = {};

		clasp_sk_stats_inc(sk, CLASP_MIB_OUTRSTS);
		clasp_sock_tuple(sk, &k);
		trace_clasp_rst_send(&k, seq, ack);
	}
}

/**
 * clasp_send_flags() - send a segment without data
 * @sk: the socket
 * @flags: CLASP_* flags
 *
 * At the highest sequence number sent, not at snd_nxt, which a timeout
 * rewinds: the peer may have everything up to there already, and would
 * find an ACK below its rcv_nxt unacceptable and a RST below it a blind
 * guess.  TCP likewise (tcp_acceptable_seq()).
 */
void clasp_send_flags(struct sock *sk, u8 flags)
{
	clasp_send_seg(sk, clasp_sk(sk)->snd_max, flags, 0, false);
}

/**
 * clasp_send_ack() - acknowledge what has arrived, advertising the window
 * @sk: the socket
 */
void clasp_send_ack(struct sock *sk)
{
	clasp_send_flags(sk, CLASP_ACK);
}

/**
 * clasp_send_syn() - send (or resend) our SYN: SYN-ACK after a peer's SYN
 * @sk: the socket, in SYN_SENT or SYN_RCVD
 */
void clasp_send_syn(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u8 flags = sk->sk_state == TCP_SYN_RECV ? CLASP_SYN | CLASP_ACK :
						   CLASP_SYN;

	if (!csk->retransmits)
		csk->syn_tstamp = clasp_now(sk);
	flags |= clasp_ecn_syn_flags(sk, flags);
	/*
	 * Announce what we can receive, from the route (and TCP_MAXSEG):
	 * csk->mss is what we send, and a simultaneous open has already cut
	 * it to the peer's.
	 */
	clasp_send_seg(sk, csk->iss, flags, clasp_adv_mss(sk),
		       csk->retransmits != 0);
}

/**
 * clasp_send_active_reset() - abort the connection towards the peer
 * @sk: the socket
 * @gfp: unused; resets are always built atomically
 */
void clasp_send_active_reset(struct sock *sk, gfp_t gfp)
{
	clasp_send_flags(sk, CLASP_RST | CLASP_ACK);
}

/**
 * clasp_send_probe() - a segment the peer must acknowledge: keepalive and
 * zero-window probes carry the already acknowledged sequence snd_una - 1
 * @sk: the socket
 */
void clasp_send_probe(struct sock *sk)
{
	clasp_send_seg(sk, clasp_sk(sk)->snd_una - 1, CLASP_ACK, 0, false);
}

/*
 * What goes out for a queued segment: a clone sharing its payload, the
 * headers pushed into the headroom clasp_alloc_seg() left, as TCP's
 * tcp_transmit_skb().  While an earlier clone is still on its way (in a
 * qdisc, or on loopback in the receiver's queue) it owns that headroom,
 * so the head is copied then, the payload pages shared all the same.
 */
static struct sk_buff *clasp_xmit_skb(struct sk_buff *qskb)
{
	/*
	 * The send-time list's linkage lies where a buffer's destination
	 * does (rtxq.c), which a copy takes a reference on: hidden meanwhile,
	 * as tcp_skb_tsorted_save() hides it.
	 */
	unsigned long anchor = qskb->_skb_refdst;
	struct sk_buff *skb;

	qskb->_skb_refdst = 0;
	if (skb_cloned(qskb) || skb_headroom(qskb) < CLASP_MAX_HEADER)
		skb = __pskb_copy(qskb, CLASP_MAX_HEADER, GFP_ATOMIC);
	else
		skb = skb_clone(qskb, GFP_ATOMIC);
	qskb->_skb_refdst = anchor;
	/* The control block was the write queue's; IP's starts empty. */
	if (skb)
		memset(skb->cb, 0, sizeof(skb->cb));
	return skb;
}

/* Send one queued segment. */
static int clasp_send_queued(struct sock *sk, struct sk_buff *qskb)
{
	struct clasp_skb_cb *cb = CLASP_SKB_CB(qskb);
	struct clasp_sock *csk = clasp_sk(sk);
	bool rtx = clasp_seq_before(cb->seq, csk->snd_max);
	u8 flags = CLASP_ACK;
	struct sk_buff *skb;

	skb = clasp_xmit_skb(qskb);
	if (!skb)
		return -ENOBUFS;
	flags |= cb->flags & (CLASP_FIN | CLASP_PSH);
	clasp_sock_header(sk, skb, cb->seq, flags, 0);
	clasp_ack_sent(sk);
	if (!rtx && qskb->len)
		clasp_ack_data_sent(sk);
	/* RACK orders segments by their latest transmission. */
	cb->xmit = clasp_now(sk);
	cb->tx_delivered = csk->delivered;
	cb->lost = false;
	cb->rack_lost = false;
	if (csk->ca_state == TCP_CA_Recovery)
		csk->prr_out++;
	return clasp_transmit(sk, skb, rtx);
}

/**
 * clasp_trace_retransmit() - fire the retransmit tracepoint for a socket
 * @sk: the socket
 * @seq: first sequence number of the segment sent again
 */
void clasp_trace_retransmit(struct sock *sk, u32 seq)
{
	struct clasp_entry k = {};

	if (!trace_clasp_retransmit_enabled())
		return;
	clasp_sock_tuple(sk, &k);
	trace_clasp_retransmit(&k, seq, clasp_sk(sk)->retransmits);
}

/*
 * Does the first segment of @skb fit the peer's window?  What follows it
 * goes as far as the window allows (clasp_burst_room()).
 */
static bool clasp_fits_window(struct clasp_sock *csk, struct sk_buff *skb)
{
	struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);

	/* FIN takes a sequence number but no window space. */
	return !clasp_seq_after(cb->seq + min(skb->len, csk->mss),
				csk->snd_una + csk->snd_wnd);
}

/* Window left for the segment at the send head. */
static u32 clasp_usable_window(struct clasp_sock *csk, struct sk_buff *skb)
{
	s32 usable = csk->snd_una + csk->snd_wnd - CLASP_SKB_CB(skb)->seq;

	return usable > 0 ? usable : 0;
}

/*
 * Send into a window smaller than the head segment?  Sender-side silly
 * window avoidance (RFC 1122 4.2.3.4): only when nothing is in flight or
 * at least a small segment's worth is usable.
 */
static bool clasp_split_to_window(struct sock *sk, struct sk_buff *skb)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 usable = clasp_usable_window(csk, skb);

	if (!usable || usable >= skb->len)
		return false;
	if (csk->snd_una != csk->snd_max && usable < CLASP_DEFAULT_MSS)
		return false;
	return !clasp_split(sk, skb, usable);
}

static void clasp_advance_head(struct sock *sk, struct sk_buff *skb)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);

	clasp_skb_set_segs(skb, csk->mss);
	if (clasp_seq_before(cb->seq, csk->snd_max)) {
		cb->retransmitted = true;
		csk->total_retrans += cb->segs;
		clasp_sk_stats_add(sk, CLASP_MIB_RETRANSSEGS, cb->segs);
		clasp_trace_retransmit(sk, cb->seq);
	} else {
		cb->sent = clasp_now(sk);
		/* Minshall: the last short segment sent (tcp_minshall_update()). */
		if (skb->len < csk->mss)
			csk->snd_sml = cb->end_seq;
	}
	csk->snd_nxt = cb->end_seq;
	if (clasp_seq_after(csk->snd_nxt, csk->snd_max))
		csk->snd_max = csk->snd_nxt;
	csk->probe_tstamp = 0;	/* the window took data: probing is over */
	clasp_rtxq_sent(sk, skb);
	csk->send_head = skb_queue_is_last(&sk->sk_write_queue, skb) ?
			 NULL : skb_queue_next(&sk->sk_write_queue, skb);
}

/*
 * The Nagle algorithm (RFC 896, RFC 1122 4.2.3.4) with Minshall's
 * refinement, as tcp_nagle_test(): the last segment of the queue, if
 * shorter than the MSS and never sent, waits while corked (TCP_CORK,
 * MSG_MORE), or, without TCP_NODELAY, while a short segment sent before
 * is unacknowledged.  Segments in the middle of the queue cannot grow and
 * go; so does a FIN.
 */
static bool clasp_nagle_holds(struct sock *sk, struct sk_buff *skb,
			      int nonagle)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (nonagle & CLASP_NAGLE_PUSH || skb->len >= csk->mss ||
	    CLASP_SKB_CB(skb)->flags & CLASP_FIN ||
	    !skb_queue_is_last(&sk->sk_write_queue, skb) ||
	    clasp_seq_before(CLASP_SKB_CB(skb)->seq, csk->snd_max))
		return false;
	if (nonagle & CLASP_NAGLE_CORK)
		return true;
	if (nonagle & CLASP_NAGLE_OFF || csk->snd_una == csk->snd_max)
		return false;
	return clasp_seq_after(csk->snd_sml, csk->snd_una) &&
	       !clasp_seq_after(csk->snd_sml, csk->snd_max);
}

/*
 * Could the send head wait for the next ACK (tso.c)?  Only full segments
 * never sent with more behind the first: what TCP would hold as one
 * buffer of several segments.
 */
static bool clasp_may_defer(struct sock *sk, struct sk_buff *skb)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 seq = CLASP_SKB_CB(skb)->seq;

	return skb->len >= csk->mss && seq == csk->snd_max &&
	       csk->write_seq - seq > csk->mss;
}

/* The socket's own setting: TCP_NODELAY, TCP_CORK, a push owed. */
static int clasp_nonagle(const struct clasp_sock *csk)
{
	return (READ_ONCE(csk->opt.nodelay) ? CLASP_NAGLE_OFF : 0) |
	       (READ_ONCE(csk->opt.cork) ? CLASP_NAGLE_CORK : 0) |
	       (csk->nagle_push ? CLASP_NAGLE_PUSH : 0);
}

/*
 * How many segments from the send head may leave as one GSO buffer: new
 * data held in page fragments, inside the peer's window, at most @room
 * (what the congestion window leaves), the size clasp_tso_segs() asks for
 * (within the route device's GSO limits), and half the largest window the
 * peer offered, so that one lost buffer is never the whole flight (TCP's
 * tcp_bound_to_half_wnd()).  The queued buffers it takes are cut where
 * the GSO buffer will end, each holding whole segments, as TCP's
 * tcp_mss_split_point() cuts its skb: a short segment after them stays
 * for Nagle to decide.
 */
static u32 clasp_burst_room(struct sock *sk, u32 room)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *skb = csk->send_head;
	u32 mss = csk->mss, limit, n = 0;

	if (!clasp_route_caps(sk) ||
	    clasp_seq_before(CLASP_SKB_CB(skb)->seq, csk->snd_max))
		return 0;
	limit = min(room, clasp_tso_segs(sk));
	limit = min(limit, max(csk->max_snd_wnd / 2 / mss, 1U));
	limit = min(limit, clasp_usable_window(csk, skb) / mss);
	while (n < limit && skb->len >= mss && !skb_headlen(skb) &&
	       !(CLASP_SKB_CB(skb)->flags & CLASP_FIN)) {
		u32 segs = min(skb->len / mss, limit - n);

		if (skb->len != segs * mss && clasp_split(sk, skb, segs * mss))
			break;
		n += segs;
		if (n == limit || skb_queue_is_last(&sk->sk_write_queue, skb))
			break;
		skb = skb_queue_next(&sk->sk_write_queue, skb);
	}
	return n;
}

/* Send @max segments from the send head as one GSO buffer: how many went. */
static u32 clasp_send_burst(struct sock *sk, u32 max)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *first = csk->send_head, *skb;
	ktime_t now = clasp_now(sk);
	u32 n, i;

	skb = clasp_burst(sk, first, max, &n);
	if (!skb)
		return 0;
	/*
	 * PSH on every GSO buffer, as tcp_transmit_skb() forces it: the last
	 * segment cut from it ends the batch the receiver's GRO builds.
	 */
	clasp_sock_header(sk, skb, CLASP_SKB_CB(first)->seq,
			  CLASP_ACK | CLASP_PSH, 0);
	clasp_ack_sent(sk);
	clasp_ack_data_sent(sk);
	if (clasp_transmit(sk, skb, false))
		return 0;
	/* Each queued buffer it took goes out of the queue's unsent part. */
	for (i = 0; i < n; i += CLASP_SKB_CB(first)->segs) {
		first = csk->send_head;
		CLASP_SKB_CB(first)->xmit = now;
		CLASP_SKB_CB(first)->tx_delivered = csk->delivered;
		CLASP_SKB_CB(first)->lost = false;
		clasp_advance_head(sk, first);
		if (csk->ca_state == TCP_CA_Recovery)
			csk->prr_out += CLASP_SKB_CB(first)->segs;
	}
	return n;
}

/*
 * Send the segments at the send head that may go in one GSO buffer, or
 * else its first segment alone: how many went, 0 if none could.
 */
static u32 clasp_send_next(struct sock *sk, struct sk_buff *skb, u32 room)
{
	u32 n = clasp_burst_room(sk, room);

	if (n > 1) {
		n = clasp_send_burst(sk, n);
		if (n)
			return n;
	}
	if (!clasp_fit_mss(sk, skb) || clasp_send_queued(sk, skb))
		return 0;
	clasp_advance_head(sk, skb);
	return 1;
}

/**
 * clasp_push() - send what the congestion window, the peer's window and
 * Nagle admit from the write queue
 * @sk: the socket, locked, synchronized
 *
 * Arms the retransmission timer for what is in flight, or as a window
 * probe when the window is closed with nothing in flight; corked data
 * with nothing in flight goes when it fires (TCP's 200 ms ceiling).
 */
void clasp_push(struct sock *sk)
{
	clasp_push_nonagle(sk, clasp_nonagle(clasp_sk(sk)));
}

/**
 * clasp_push_pending() - push what is queued, if the connection sends
 * (TCP_NODELAY set, TCP_CORK cleared)
 * @sk: the socket, locked
 */
void clasp_push_pending(struct sock *sk)
{
	if (clasp_sk(sk)->send_head &&
	    (1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				   TCPF_FIN_WAIT1 | TCPF_CLOSING |
				   TCPF_LAST_ACK))
		clasp_push(sk);
}

/**
 * clasp_push_nonagle() - clasp_push() with what holds short segments
 * back given by the caller
 * @sk: the socket, locked, synchronized
 * @nonagle: CLASP_NAGLE_* bits: CLASP_NAGLE_CORK for MSG_MORE,
 *	CLASP_NAGLE_PUSH to send the last segment whatever its size,
 *	CLASP_NAGLE_PROBE to send one segment even if cwnd is full
 *
 * New data goes while the segments in flight (pipe, cong.c) are fewer
 * than cwnd, as tcp_write_xmit() asks tcp_cwnd_test(); a tail loss probe
 * sends one anyway, as TCP's.
 */
void clasp_push_nonagle(struct sock *sk, int nonagle)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 prior = csk->snd_max, cwnd, pipe, sent = 0, n;
	bool blocked = false;
	struct sk_buff *skb;

	if (!csk->send_head)
		goto arm;
	clasp_clock_refresh(sk);
	clasp_current_mss(sk);
	if (csk->snd_una == csk->snd_max)
		clasp_cong_tx_start(sk);
	cwnd = csk->cong.cwnd;
	pipe = clasp_cong_pipe(sk, cwnd);
	while ((skb = csk->send_head)) {
		if (pipe >= cwnd && !(nonagle & CLASP_NAGLE_PROBE && !sent)) {
			blocked = true;
			break;
		}
		if (!clasp_fits_window(csk, skb) &&
		    !clasp_split_to_window(sk, skb))
			break;
		if (clasp_nagle_holds(sk, skb, nonagle))
			break;
		if (clasp_tsq_full(sk) || clasp_pacing_holds(sk))
			break;
		if (!(nonagle & CLASP_NAGLE_PROBE) && clasp_may_defer(sk, skb) &&
		    clasp_tso_should_defer(sk, skb, cwnd - pipe, &blocked))
			break;
		n = clasp_send_next(sk, skb, pipe < cwnd ? cwnd - pipe : 1);
		if (!n)
			break;
		pipe += n;
		sent += n;
	}
	clasp_cong_validate(sk, pipe, blocked);
arm:
	if (csk->snd_una != csk->snd_max || csk->send_head) {
		/* New data went: a tail loss probe is due from now. */
		if (csk->snd_max != prior && clasp_recovery_probe_due(sk))
			clasp_rtx_schedule(sk);
		else if (!csk->rtx_pending)
			clasp_rtx_arm(sk);
	}
}

/**
 * clasp_retransmit_one() - send the oldest unacknowledged segment again,
 * leaving the rest of the flight alone (recovery.c decides when)
 * @sk: the socket, locked
 *
 * Return: true if it went out.
 */
bool clasp_retransmit_one(struct sock *sk)
{
	return clasp_retransmit_skb(sk, skb_peek(&sk->sk_write_queue));
}

/**
 * clasp_retransmit_skb() - send one segment of the flight again
 * @sk: the socket, locked
 * @skb: the segment, in the write queue; NULL or one never sent is left
 *
 * Return: true if it went out.
 */
bool clasp_retransmit_skb(struct sock *sk, struct sk_buff *skb)
{
	struct clasp_sock *csk = clasp_sk(sk);
	bool out;

	if (!skb || skb == csk->send_head)
		return false;
	clasp_current_mss(sk);
	if (!clasp_fit_mss(sk, skb))
		return false;
	out = clasp_rtxq_begin(sk, skb);
	if (clasp_send_queued(sk, skb)) {
		clasp_rtxq_end(sk, skb, out, false);
		return false;
	}
	CLASP_SKB_CB(skb)->retransmitted = true;
	clasp_rtxq_end(sk, skb, out, true);
	csk->total_retrans += clasp_skb_segs(skb);
	clasp_sk_stats_add(sk, CLASP_MIB_RETRANSSEGS,
			   clasp_skb_segs(skb));
	clasp_trace_retransmit(sk, CLASP_SKB_CB(skb)->seq);
	return true;
}

/**
 * clasp_queue_fin() - queue our FIN behind any data and send what fits
 * @sk: the socket, locked, in ESTABLISHED, SYN_RCVD or CLOSE_WAIT
 */
void clasp_queue_fin(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	/* With headroom: it leaves as a clone, not a copy (clasp_xmit_skb()). */
	struct sk_buff *skb = clasp_alloc_seg(0, GFP_KERNEL | __GFP_NOFAIL);
	struct clasp_skb_cb *cb = CLASP_SKB_CB(skb);

	memset(cb, 0, sizeof(*cb));
	cb->seq = csk->write_seq;
	cb->end_seq = ++csk->write_seq;
	cb->flags = CLASP_FIN;
	clasp_wmem_queue(sk, skb);
	__skb_queue_tail(&sk->sk_write_queue, skb);
	if (!csk->send_head)
		csk->send_head = skb;
	csk->fin_queued = true;
	if (sk->sk_state != TCP_SYN_RECV)
		clasp_push(sk);
}
