// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: ICMP errors about segments we sent (struct net_protocol
 * err_handler), as Linux's tcp_v4_err() treats them.
 *
 * An error is believed only if the sequence number it quotes lies in
 * SND.UNA .. SND.NXT (RFC 5927 section 4.1): anyone can forge ICMP, few
 * can guess the flight.  Then:
 *
 *   - fragmentation needed (RFC 1191) lowers the route's path MTU and
 *     the connection's MSS, and sends the flight again at once in
 *     segments that fit;
 *   - a redirect updates the route;
 *   - any other error (destination unreachable, time exceeded, parameter
 *     problem) fails a connection in SYN_SENT or SYN_RCVD at once with
 *     TCP's errno (icmp_err_convert[]); in a synchronized state it is a
 *     soft error (RFC 1122 4.2.3.9): SO_ERROR reports it, and it is the
 *     error the connection fails with if its retries run out;
 *   - a half-open request dies of network or host unreachable and of a
 *     parameter problem, as TCP's (tcp_req_err()).
 *
 * ICMPv6 errors (struct inet6_protocol err_handler) follow the same rules,
 * as tcp_v6_err() has them: packet too big is fragmentation needed (below
 * IPv6's minimum MTU of 1280 it is ignored), a redirect updates the
 * route, and the rest fail or are soft by icmpv6_err_convert().
 *
 * Every error is counted by what became of it.
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>

/**
 * struct clasp_icmp - what an ICMP or ICMPv6 error says, either family
 * @redirect: a redirect
 * @mtu: the next hop's MTU of a fragmentation needed or packet too big,
 *	else 0
 * @err: the -errno it fails or troubles a connection with, 0 for none
 * @req_fatal: it kills a half-open request whose SYN-ACK it quotes
 */
struct clasp_icmp {
	bool redirect;
	u32 mtu;
	int err;
	bool req_fatal;
};

#include "clasp.h"

/* The -errno an ICMP error stands for; 0 for those that fail nothing. */
static int clasp_icmp_errno(int type, int code)
{
	switch (type) {
	case ICMP_PARAMETERPROB:
		return -EPROTO;
	case ICMP_DEST_UNREACH:
		if (code > NR_ICMP_UNREACH || code == ICMP_FRAG_NEEDED)
			return 0;
		return -icmp_err_convert[code].errno;
	case ICMP_TIME_EXCEEDED:
		return -EHOSTUNREACH;
	default:
		return 0;	/* source quench and the rest: ignored */
	}
}

/* What an ICMP (IPv4) error says. */
static void clasp_icmp_classify(int type, int code, u32 info,
				struct clasp_icmp *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (type == ICMP_REDIRECT) {
		ev->redirect = true;
		return;
	}
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
		ev->mtu = info;
		return;
	}
	ev->err = clasp_icmp_errno(type, code);
	ev->req_fatal = type == ICMP_PARAMETERPROB ||
			(type == ICMP_DEST_UNREACH &&
			 (code == ICMP_NET_UNREACH || code == ICMP_HOST_UNREACH));
}

/* May the path MTU of @sk's route lower its MSS?  IPv6 never fragments. */
static bool clasp_pmtu_applies(struct sock *sk, struct dst_entry *dst, u32 mtu)
{
	if (clasp_sk_v6(sk)) {
		if (mtu < dst_mtu(dst))
			WRITE_ONCE(sk->sk_err_soft, EMSGSIZE);
		return true;
	}
	/* Remembered, in case the connection cannot recover. */
	if (mtu < dst_mtu(dst) && ip_dont_fragment(sk, dst))
		WRITE_ONCE(sk->sk_err_soft, EMSGSIZE);
	return READ_ONCE(inet_sk(sk)->pmtudisc) != IP_PMTUDISC_DONT &&
	       ip_sk_accept_pmtu(sk);
}

/*
 * Send the flight again from its start (RFC 1191: the lost segment was
 * too big).  The push loop cuts each queued segment to the new MSS as it
 * leaves (clasp_fit_mss() in output.c).  The SACK marks go: the pieces of
 * a cut segment would share one, and all of it goes again anyway.
 */
static void clasp_resend_smaller(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct sk_buff *skb;

	clasp_sack_clear(sk);
	skb = skb_peek(&sk->sk_write_queue);
	if (!skb || csk->snd_una == csk->snd_max)
		return;
	csk->send_head = skb;
	csk->snd_nxt = csk->snd_una;
	clasp_rtxq_rebuild(sk);		/* none is out now */
	clasp_push(sk);
}

/**
 * clasp_mtu_reduced() - act on a fragmentation-needed error (RFC 1191)
 * @sk: the socket, locked and not owned by the user
 *
 * The path MTU, in csk->mtu_info, goes into the route; if the socket's
 * segments no longer fit, its MSS shrinks and what is in flight is sent
 * again.  Called at once, or from release_cb when the owner held the
 * socket.
 */
void clasp_mtu_reduced(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	u32 mtu = READ_ONCE(csk->mtu_info);
	struct dst_entry *dst;
	u32 mss;

	if ((1 << sk->sk_state) & (TCPF_LISTEN | TCPF_CLOSE))
		return;
	/*
	 * IPV6_PMTUDISC_INTERFACE or _OMIT: the socket takes no path MTU,
	 * nor does its route learn one from it (tcp_v6_err()).
	 */
	if (clasp_sk_v6(sk) && !ip6_sk_accept_pmtu(sk))
		return;
	dst = clasp_sk_route(sk);
	if (!dst)
		return;
	dst->ops->update_pmtu(dst, sk, NULL, mtu, true);
	dst = clasp_sk_route(sk);
	if (!dst || !clasp_pmtu_applies(sk, dst, mtu))
		return;
	mss = csk->mss;
	clasp_sync_mss(sk, dst);
	if (csk->mss >= mss)
		return;
	clasp_sk_stats_inc(sk, CLASP_MIB_PMTUUPDATES);
	if (sk->sk_state != TCP_SYN_SENT)
		clasp_resend_smaller(sk);
}

/* An error for a socket; its seq is in flight.  Socket locked. */
static void clasp_icmp_sock(struct sock *sk, struct sk_buff *skb,
			    const struct clasp_icmp *ev)
{
	struct net *net = sock_net(sk);
	int err;

	if (ev->redirect) {
		struct dst_entry *dst = __sk_dst_check(sk, 0);

		if (dst && !sock_owned_by_user(sk))
			dst->ops->redirect(dst, sk, skb);
		clasp_stats_inc(net, CLASP_MIB_ICMPREDIRECTS);
		return;
	}
	if (ev->mtu) {
		WRITE_ONCE(clasp_sk(sk)->mtu_info, ev->mtu);
		if (!sock_owned_by_user(sk))
			clasp_mtu_reduced(sk);
		else if (!test_and_set_bit(CLASP_DEFER_MTU, &clasp_sk(sk)->deferred))
			sock_hold(sk);
		return;
	}
	err = -ev->err;
	if (!err)
		return;
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV) &&
	    !sock_owned_by_user(sk)) {
		clasp_stats_inc(net, CLASP_MIB_ICMPHARDERRORS);
		clasp_stats_inc(net, CLASP_MIB_ATTEMPTFAILS);
		clasp_sk(sk)->cause = CLASP_CAUSE_ICMP;
		clasp_reset(sk, err);
		return;
	}
	/* Synchronized, or busy: kept for SO_ERROR and for a timeout. */
	clasp_stats_inc(net, CLASP_MIB_ICMPSOFTERRORS);
	WRITE_ONCE(sk->sk_err_soft, err);
}

static void clasp_icmp_sock_rcv(struct sock *sk, struct sk_buff *skb,
				u32 seq, const struct clasp_icmp *ev)
{
	struct clasp_sock *csk;

	bh_lock_sock(sk);
	csk = clasp_sk(sk);
	/* Closed, it is gone; listening, it never sent a thing. */
	if ((1 << sk->sk_state) & (TCPF_LISTEN | TCPF_CLOSE))
		goto out;
	if (seq - csk->snd_una > csk->snd_max - csk->snd_una)
		clasp_sk_stats_inc(sk, CLASP_MIB_OUTOFWINDOWICMPS);
	else
		clasp_icmp_sock(sk, skb, ev);
out:
	bh_unlock_sock(sk);
}

/* A request dies of a hard error about its SYN-ACK (tcp_req_err()). */
static void clasp_icmp_req(struct clasp_request *req, u32 seq,
			   const struct clasp_icmp *ev)
{
	struct net *net = sock_net(req->listener);

	if (seq != req->iss) {
		clasp_stats_inc(net, CLASP_MIB_OUTOFWINDOWICMPS);
		return;
	}
	if (ev->req_fatal) {
		clasp_stats_inc(net, CLASP_MIB_ICMPHARDERRORS);
		clasp_stats_inc(net, CLASP_MIB_LISTENDROPS);
		clasp_req_drop(req, CLASP_CAUSE_ICMP);
	}
}

/* Act on @ev, about the segment of @k with sequence number @seq. */
static void clasp_icmp_deliver(struct net *net, struct sk_buff *skb,
			       const struct clasp_entry *k, u32 seq,
			       const struct clasp_icmp *ev)
{
	struct clasp_entry *e;

	clasp_stats_inc(net, CLASP_MIB_INICMPERRORS);
	rcu_read_lock();
	e = clasp_lookup_live(clasp_pernet(net), k);
	if (e && e->kind == CLASP_ENTRY_SOCK) {
		struct sock *sk = &container_of(e, struct clasp_sock, entry)->inet.sk;

		rcu_read_unlock();
		clasp_icmp_sock_rcv(sk, skb, seq, ev);
		sock_put(sk);
		return;
	}
	if (e && e->kind == CLASP_ENTRY_REQ) {
		struct clasp_request *req = container_of(e, struct clasp_request, entry);

		rcu_read_unlock();
		clasp_icmp_req(req, seq, ev);
		clasp_req_put(req);
		return;
	}
	/* Nobody, or a TIME_WAIT or FIN_WAIT_2 entry: nothing to do. */
	rcu_read_unlock();
}

/**
 * clasp_err() - an ICMP error for a segment we sent
 * (struct net_protocol.err_handler)
 * @skb: the ICMP message, data at the quoted IP header, which with the
 *	first 8 bytes of the quoted segment is in the linear area
 * @info: the next-hop MTU for fragmentation needed
 *
 * Return: 0.
 */
int clasp_err(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct tcphdr *th = (const struct tcphdr *)(skb->data + iph->ihl * 4);
	struct clasp_entry k = {};
	struct clasp_icmp ev;

	k.tuple.laddr = iph->saddr;
	k.tuple.raddr = iph->daddr;
	k.tuple.lport = th->source;
	k.tuple.rport = th->dest;
	clasp_icmp_classify(icmp_hdr(skb)->type, icmp_hdr(skb)->code, info,
			    &ev);
	clasp_icmp_deliver(dev_net(skb->dev), skb, &k, ntohl(th->seq), &ev);
	return 0;
}

#if IS_ENABLED(CONFIG_IPV6)
/**
 * clasp_v6_err() - an ICMPv6 error for a segment we sent
 * (struct inet6_protocol.err_handler)
 * @skb: the ICMPv6 message, data at the quoted IPv6 header; the first 8
 *	bytes of the quoted segment, at @offset, are in the linear area
 * @opt: the IPv6 control block (unused)
 * @type: ICMPv6 type
 * @code: ICMPv6 code
 * @offset: where the quoted clasp header starts, past extension headers
 * @info: the MTU of a packet too big
 *
 * Return: 0.
 */
int clasp_v6_err(struct sk_buff *skb, struct inet6_skb_parm *opt, u8 type,
		 u8 code, int offset, __be32 info)
{
	const struct ipv6hdr *hdr = (const struct ipv6hdr *)skb->data;
	const struct tcphdr *th = (const struct tcphdr *)(skb->data + offset);
	struct clasp_entry k = { .flags = CLASP_EF_V6 };
	struct clasp_icmp ev = {};
	int err;

	k.tuple.laddr6 = hdr->saddr;
	k.tuple.raddr6 = hdr->daddr;
	k.tuple.lport = th->source;
	k.tuple.rport = th->dest;
	if (type == NDISC_REDIRECT) {
		ev.redirect = true;
	} else if (type == ICMPV6_PKT_TOOBIG) {
		/*
		 * Below IPv6's minimum it is a lie (RFC 8201 section 4): it
		 * says nothing, but its sequence number is still checked and
		 * counted, as tcp_v6_err() does it.
		 */
		if (ntohl(info) >= IPV6_MIN_MTU)
			ev.mtu = ntohl(info);
	} else {
		ev.req_fatal = icmpv6_err_convert(type, code, &err);
		ev.err = -err;
	}
	clasp_icmp_deliver(dev_net(skb->dev), skb, &k, ntohl(th->seq), &ev);
	return 0;
}
#endif
