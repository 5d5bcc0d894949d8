// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: segments on behalf of no socket.
 *
 * Resets to segments that reached no connection, a listener's SYN-ACKs,
 * and the ACKs of TIME_WAIT and FIN_WAIT_2's compact entries belong to no
 * socket: each is built here and leaves through the namespace's control
 * socket (IPv4's or IPv6's), routed from the key's local end, as TCP's
 * replies leave through its per-namespace control sockets.
 */
#include <linux/ip.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/route.h>

#include "clasp.h"
#include "trace.h"

/**
 * clasp_ctl_sock_init() - create a namespace's control sockets, IPv4's and
 * (unless IPv6 is disabled) IPv6's
 * @cn: the namespace's clasp state
 *
 * Return: 0 or a negative errno.
 */
int clasp_ctl_sock_init(struct clasp_net *cn)
{
	int err;

	err = inet_ctl_sock_create(&cn->ctl_sk, PF_INET, SOCK_RAW, clasp_proto,
				   cn->net);
	if (err)
		return err;
	err = clasp_v6_ctl_sock_init(cn);
	if (err)
		inet_ctl_sock_destroy(cn->ctl_sk);
	return err;
}

/**
 * clasp_ctl_sock_exit() - destroy a namespace's control sockets
 * @cn: the namespace's clasp state
 */
void clasp_ctl_sock_exit(struct clasp_net *cn)
{
	clasp_v6_ctl_sock_exit(cn);
	inet_ctl_sock_destroy(cn->ctl_sk);
}

/* The route of a reply to no socket, from @k's local end. */
static struct dst_entry *clasp_ctl_route(struct net *net,
					 const struct clasp_entry *k,
					 struct flowi *fl)
{
	struct rtable *rt;

#if IS_ENABLED(CONFIG_IPV6)
	if (clasp_key_v6(k))
		return clasp_v6_ctl_route(net, k, &fl->u.ip6);
#endif
	flowi4_init_output(&fl->u.ip4, 0, 0, 0, RT_SCOPE_UNIVERSE, clasp_proto,
			   0, k->tuple.raddr, k->tuple.laddr, k->tuple.rport,
			   k->tuple.lport, sock_net_uid(net, NULL));
	rt = ip_route_output_key(net, &fl->u.ip4);
	return IS_ERR(rt) ? ERR_CAST(rt) : &rt->dst;
}

/* Send a reply to no socket, its route attached; 0 when it left. */
static int clasp_ctl_xmit(struct net *net, const struct clasp_entry *k,
			  struct sk_buff *skb, struct flowi *fl)
{
	struct clasp_net *cn = clasp_pernet(net);

#if IS_ENABLED(CONFIG_IPV6)
	if (clasp_key_v6(k))
		return clasp_v6_ctl_xmit(net, skb, &fl->u.ip6);
#endif
	return ip_build_and_send_pkt(skb, cn->ctl_sk, fl->u.ip4.saddr,
				     fl->u.ip4.daddr, NULL, 0);
}

/*
 * OutSegs counts what clasp sends except segments that only retransmit,
 * as RFC 1213's tcpOutSegs and Linux's TCP do; RetransSegs counts those.
 */
static void clasp_xmit_ctl(struct net *net, const struct clasp_entry *k,
			   u32 seq, u32 ack, u8 flags, u16 wnd,
			   const struct clasp_opts *o, bool rtx)
{
	u8 opts[CLASP_MAX_OPT_LEN];
	struct clasp_opts copy;
	struct dst_entry *dst;
	struct sk_buff *skb;
	struct flowi fl;

	dst = clasp_ctl_route(net, k, &fl);
	if (IS_ERR(dst))
		return;
	skb = clasp_alloc_seg(0, GFP_ATOMIC);
	if (!skb) {
		dst_release(dst);
		return;
	}
	/* CLASP_MSS_ROUTE, or a TCP_MAXSEG: never more than the route's. */
	if (o && o->mss) {
		copy = *o;
		copy.mss = min_t(u32, o->mss, clasp_route_mss(dst));
		o = &copy;
	}
	clasp_push_header(skb, k->tuple.lport, k->tuple.rport, seq,
			  flags & CLASP_ACK ? ack : 0, flags, wnd, opts,
			  clasp_build_opts(opts, flags, o));
	clasp_key_checksum(skb, k, false);
	if (clasp_ladder_on()) {
		struct clasp_ladder_seg ls;

		clasp_ladder_begin(&ls, skb, true, 0);
		clasp_ladder_entry(net, k, &ls, 0);
	}
	skb_dst_set(skb, dst);
	if (clasp_ctl_xmit(net, k, skb, &fl))
		return;
	if (!rtx)
		clasp_stats_inc(net, CLASP_MIB_OUTSEGS);
	if (flags & CLASP_RST) {
		clasp_stats_inc(net, CLASP_MIB_OUTRSTS);
		trace_clasp_rst_send(k, seq, ack);
	}
}

/**
 * clasp_send_ctl() - send a segment on behalf of no socket
 * @net: the namespace
 * @k: the connection's key
 * @seq: sequence number
 * @ack: acknowledgment number (sent only with CLASP_ACK)
 * @flags: CLASP_* flags
 * @wnd: window
 * @mss: MSS option to include, 0 for none, CLASP_MSS_ROUTE for the route's
 */
void clasp_send_ctl(struct net *net, const struct clasp_entry *k, u32 seq,
		    u32 ack, u8 flags, u16 wnd, u16 mss)
{
	struct clasp_opts o = { .mss = mss };

	clasp_xmit_ctl(net, k, seq, ack, flags, wnd, mss ? &o : NULL, false);
}

/**
 * clasp_send_ctl_opts() - clasp_send_ctl() with options
 * @net: the namespace
 * @k: the connection's key
 * @seq: sequence number
 * @ack: acknowledgment number (sent only with CLASP_ACK)
 * @flags: CLASP_* flags
 * @wnd: window
 * @o: the options: a SYN's (its @o->mss may be CLASP_MSS_ROUTE), or
 *	timestamps and SACK blocks
 * @rtx: the segment was sent before (RetransSegs, counted by the caller,
 *	not OutSegs)
 */
void clasp_send_ctl_opts(struct net *net, const struct clasp_entry *k,
			 u32 seq, u32 ack, u8 flags, u16 wnd,
			 const struct clasp_opts *o, bool rtx)
{
	clasp_xmit_ctl(net, k, seq, ack, flags, wnd, o, rtx);
}

/**
 * clasp_resend_ctl() - clasp_send_ctl() for a segment sent before: counted
 * in RetransSegs by the caller, not in OutSegs
 * @net: the namespace
 * @k: the connection's key
 * @seq: sequence number
 * @ack: acknowledgment number (sent only with CLASP_ACK)
 * @flags: CLASP_* flags
 * @wnd: window
 * @mss: MSS option to include, 0 for none, CLASP_MSS_ROUTE for the route's
 */
void clasp_resend_ctl(struct net *net, const struct clasp_entry *k, u32 seq,
		      u32 ack, u8 flags, u16 wnd, u16 mss)
{
	struct clasp_opts o = { .mss = mss };

	clasp_xmit_ctl(net, k, seq, ack, flags, wnd, mss ? &o : NULL, true);
}

/**
 * clasp_send_reset() - answer a segment that reached no connection
 * @net: namespace the segment arrived in
 * @skb: the segment, transport header set and validated
 *
 * RFC 9293 section 3.5.2 case 1: if the segment had ACK,
 * <SEQ=SEG.ACK><CTL=RST>, otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 * Never answers a reset.
 */
void clasp_send_reset(struct net *net, struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);
	struct clasp_entry k = {};
	struct clasp_seg seg;

	if (th->rst)
		return;
	clasp_key_of(skb, &k);
	clasp_parse_seg(skb, &seg);
	if (th->ack)
		clasp_send_ctl(net, &k, seg.ack, 0, CLASP_RST, 0, 0);
	else
		clasp_send_ctl(net, &k, 0, seg.end_seq, CLASP_RST | CLASP_ACK,
			       0, 0);
}
