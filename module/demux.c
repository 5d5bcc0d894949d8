// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: from the IP layer to a segment's owner.
 *
 * Every segment is checksummed and its header checked before anything
 * looks at it; malformed ones are dropped and counted.  Then one table
 * lookup says who gets it: a socket (input.c, the state machine of RFC
 * 9293 section 3.10.7), a half-open request or a listener (request.c), a
 * compact entry (timewait.c), or nobody, which earns a reset (ctl.c).
 */
#include <linux/ip.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/sock.h>

#include "clasp.h"
#include "compat.h"
#include "trace.h"

/* The sum of the segment's pseudo-header, IPv4's or IPv6's, unfolded. */
static __wsum clasp_pseudo_sum(struct sk_buff *skb)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (clasp_skb_v6(skb))
		return ip6_compute_pseudo(skb, clasp_proto);
#endif
	return inet_compute_pseudo(skb, clasp_proto);
}

/* Internet checksum over the pseudo-header, header and payload. */
static bool clasp_checksum_ok(struct sk_buff *skb)
{
	__wsum pseudo;

	if (skb_csum_unnecessary(skb))
		return true;
	pseudo = clasp_pseudo_sum(skb);
	if (skb->ip_summed == CHECKSUM_COMPLETE &&
	    !csum_fold(csum_add(pseudo, skb->csum)))
		return true;
	skb->csum = pseudo;
	return !__skb_checksum_complete(skb);
}

/*
 * Header sanity: a whole header, a data offset inside the segment and no
 * flag combination that can never be valid.
 */
static bool clasp_header_ok(struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);
	unsigned int doff = th->doff * 4;

	if (doff < sizeof(*th) || doff > skb->len)
		return false;
	if (!pskb_may_pull(skb, doff))
		return false;
	th = tcp_hdr(skb);
	if (th->syn && (th->rst || th->fin))
		return false;
	return true;
}

/**
 * clasp_parse_seg() - read a validated segment's header into host order
 * @skb: the segment, data at the clasp header
 * @seg: where to put what it says
 */
void clasp_parse_seg(const struct sk_buff *skb, struct clasp_seg *seg)
{
	const struct tcphdr *th = tcp_hdr(skb);
	struct clasp_opts o;

	seg->seq = ntohl(th->seq);
	seg->ack = ntohl(th->ack_seq);
	seg->flags = clasp_flag_byte(th) &
		     (CLASP_FIN | CLASP_SYN | CLASP_RST | CLASP_PSH | CLASP_ACK |
		      CLASP_ECE | CLASP_CWR);
	seg->len = skb->len - th->doff * 4;
	seg->gso_size = skb_is_gso(skb) ? skb_shinfo(skb)->gso_size : 0;
	seg->end_seq = seg->seq + seg->len + th->syn + th->fin;
	seg->wnd = ntohs(th->window);
	clasp_opts_parse((const u8 *)(th + 1), th->doff * 4 - sizeof(*th),
			 th->syn, &o);
	seg->mss = o.mss;
	seg->wscale = o.wscale;
	seg->wscale_ok = o.wscale_ok;
	seg->sack_ok = o.sack_ok;
	seg->ts_ok = o.ts_ok;
	seg->tsval = o.tsval;
	seg->tsecr = o.tsecr;
	seg->nr_sack = o.nr_sack;
	memcpy(seg->sack, o.sack, sizeof(seg->sack));
}

/**
 * clasp_key_of() - the key of a received segment, from our side
 * @skb: the segment, transport header set
 * @k: its tuple and CLASP_EF_V6 set, the other fields untouched
 */
void clasp_key_of(const struct sk_buff *skb, struct clasp_entry *k)
{
	const struct tcphdr *th = tcp_hdr(skb);

	k->tuple.lport = th->dest;
	k->tuple.rport = th->source;
#if IS_ENABLED(CONFIG_IPV6)
	if (clasp_skb_v6(skb)) {
		k->flags |= CLASP_EF_V6;
		k->tuple.laddr6 = ipv6_hdr(skb)->daddr;
		k->tuple.raddr6 = ipv6_hdr(skb)->saddr;
		return;
	}
#endif
	k->flags &= ~CLASP_EF_V6;
	k->tuple.laddr = ip_hdr(skb)->daddr;
	k->tuple.raddr = ip_hdr(skb)->saddr;
}

/*
 * Give the segment to whoever the table says owns it.  Returns true when
 * @skb is consumed; false, @skb untouched, when the table holds nothing
 * for the 4-tuple or a SYN ended its TIME_WAIT: a listener's, or nobody's.
 * A socket found dead is looked past (clasp_lookup_live()): else, when
 * the socket has just gone to TIME_WAIT, the listener would answer the
 * peer's FIN with a RST.
 */
static bool clasp_deliver_entry(struct clasp_net *cn, struct sk_buff *skb,
				const struct clasp_entry *k)
{
	struct clasp_entry *e;

again:
	rcu_read_lock();
	e = clasp_lookup_live(cn, k);
	if (!e) {
		rcu_read_unlock();
		return false;
	}
	switch (e->kind) {
	case CLASP_ENTRY_SOCK: {
		struct sock *sk = &container_of(e, struct clasp_sock, entry)->inet.sk;

		rcu_read_unlock();
		if (clasp_policy_drops(cn->net, sk, skb)) {
			kfree_skb(skb);
			sock_put(sk);
			return true;
		}
		clasp_sock_rcv(sk, skb);
		return true;
	}
	case CLASP_ENTRY_REQ: {
		struct clasp_request *req = container_of(e, struct clasp_request, entry);

		rcu_read_unlock();
		if (clasp_policy_drops(cn->net, req->listener, skb)) {
			kfree_skb(skb);
		} else if (clasp_ladder_on()) {
			struct clasp_ladder_seg ls;

			clasp_ladder_begin(&ls, skb, false, TCP_SYN_RECV);
			clasp_req_rcv(req, skb);
			ls.iss = req->iss;
			ls.irs = req->irs;
			ls.isns = true;
			clasp_ladder_entry(cn->net, k, &ls, TCP_CLOSE);
		} else {
			clasp_req_rcv(req, skb);
		}
		clasp_req_put(req);
		return true;
	}
	case CLASP_ENTRY_TW: {
		struct clasp_tw *tw = container_of(e, struct clasp_tw, entry);
		int ret;

		/* No reference: the entry is used inside this RCU section. */
		if (clasp_policy_drops(cn->net, NULL, skb)) {
			rcu_read_unlock();
			kfree_skb(skb);
			return true;
		}
		if (clasp_ladder_on()) {
			struct clasp_ladder_seg ls;

			clasp_ladder_begin(&ls, skb, false,
					   READ_ONCE(tw->entry.state));
			ret = clasp_tw_rcv(cn, tw, skb);
			/* A SYN it let through: the listener reports it. */
			if (!ret)
				clasp_ladder_entry(cn->net, k, &ls, TCP_CLOSE);
			else if (!ls.skip)
				CLASP_SKB_CB(skb)->ladder = false;
		} else {
			ret = clasp_tw_rcv(cn, tw, skb);
		}
		rcu_read_unlock();
		/* Ended before the segment got to it: whose is it now? */
		if (ret == CLASP_TW_GONE)
			goto again;
		/* A SYN that ended TIME_WAIT goes on to the listener. */
		return !ret;
	}
	}
	rcu_read_unlock();
	return false;
}

/**
 * clasp_rcv_lookup() - give a validated segment to whoever owns it
 * @net: the namespace it arrived in
 * @skb: the segment, data at the clasp header; consumed
 *
 * A connection, request or compact entry by 4-tuple, else a listener by
 * port, else nobody (RST).  Also for a segment whose owner left the table
 * after an earlier lookup found it.  Called with BH disabled and no socket
 * lock held.
 */
void clasp_rcv_lookup(struct net *net, struct sk_buff *skb)
{
	struct clasp_net *cn = clasp_pernet(net);
	struct clasp_entry k = {};
	struct sock *lsk;

	clasp_key_of(skb, &k);
	CLASP_SKB_CB(skb)->seq = 0;	/* no ISN floor unless TIME_WAIT sets one */
	if (clasp_deliver_entry(cn, skb, &k))
		return;

	rcu_read_lock();
	lsk = clasp_listen_lookup(cn, &k, clasp_iif(skb), 0, skb);
	rcu_read_unlock();
	if (lsk) {
		if (clasp_policy_drops(net, lsk, skb)) {
			kfree_skb(skb);
		} else if (clasp_ladder_on()) {
			struct clasp_ladder_seg ls;

			clasp_ladder_begin(&ls, skb, false, TCP_LISTEN);
			clasp_listen_rcv(lsk, skb);
			clasp_ladder_entry(net, &k, &ls, TCP_LISTEN);
		} else {
			clasp_listen_rcv(lsk, skb);
		}
		sock_put(lsk);
		return;
	}
	if (clasp_policy_drops(net, NULL, skb)) {
		kfree_skb(skb);
		return;
	}
	if (clasp_ladder_on()) {
		struct clasp_ladder_seg ls;

		clasp_ladder_begin(&ls, skb, false, TCP_CLOSE);
		clasp_ladder_entry(net, &k, &ls, TCP_CLOSE);
	}
	clasp_stats_inc(net, CLASP_MIB_NOPORT);
	clasp_send_reset(net, skb);
	kfree_skb(skb);
}

/**
 * clasp_rcv() - receive one segment from IPv4 or IPv6 (net_protocol's and
 * inet6_protocol's handler)
 * @skb: the segment, data pointing at the clasp header
 *
 * Return: 0; the skb is always consumed.
 */
int clasp_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);

	if (skb->pkt_type != PACKET_HOST)
		goto discard;
	/* A GSO buffer (loopback, veth) counts as the segments it carries. */
	clasp_stats_add(net, CLASP_MIB_INSEGS,
			max_t(u16, 1, skb_shinfo(skb)->gso_segs));

	if (!pskb_may_pull(skb, sizeof(struct tcphdr)))
		goto bad;
	skb_reset_transport_header(skb);
	if (!clasp_checksum_ok(skb)) {
		clasp_stats_inc(net, CLASP_MIB_INCSUMERRORS);
		goto bad;
	}
	if (!clasp_header_ok(skb))
		goto bad;
	if (clasp_ladder_on())
		CLASP_SKB_CB(skb)->ladder = false;

	if (tcp_hdr(skb)->rst) {
		struct clasp_entry k = {};

		clasp_key_of(skb, &k);
		trace_clasp_rst_recv(&k, ntohl(tcp_hdr(skb)->seq),
				     ntohl(tcp_hdr(skb)->ack_seq));
	}
	clasp_rcv_lookup(net, skb);
	return 0;

bad:
	clasp_stats_inc(net, CLASP_MIB_INERRS);
discard:
	kfree_skb(skb);
	return 0;
}
