// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: generic segmentation offload.
 *
 * A socket sends several full-sized segments as one buffer (clasp_burst())
 * of type CLASP_GSO_TYPE.  Loopback and veth carry it whole, and the
 * receiver takes it as one segment; before a device that cannot carry it,
 * the core calls clasp_gso_segment() through the IPv4 offload registered
 * here, which cuts it into segments of gso_size with their own sequence
 * numbers and checksums, as TCP's tcp_gso_segment() does for TCP.
 */
#include <linux/skbuff.h>
#include <net/checksum.h>
#include <net/ip6_checksum.h>
#include <net/protocol.h>
#include <net/tcp.h>

#include "clasp.h"
#include "compat.h"

/*
 * A segment's checksum: the pseudo-header's sum for the device to finish
 * (CHECKSUM_PARTIAL), or, for a device that checksums nothing, the whole
 * sum from what skb_segment() summed of the payload.
 */
static void clasp_gso_checksum(struct sk_buff *seg)
{
	struct tcphdr *th = tcp_hdr(seg);
	unsigned int len = seg->len - skb_transport_offset(seg);

#if IS_ENABLED(CONFIG_IPV6)
	if (clasp_skb_v6(seg))
		th->check = ~csum_ipv6_magic(&ipv6_hdr(seg)->saddr,
					     &ipv6_hdr(seg)->daddr, len,
					     clasp_proto, 0);
	else
#endif
		th->check = ~csum_tcpudp_magic(ip_hdr(seg)->saddr,
					       ip_hdr(seg)->daddr, len,
					       clasp_proto, 0);
	if (seg->ip_summed == CHECKSUM_PARTIAL) {
		seg->csum_start = skb_transport_header(seg) - seg->head;
		seg->csum_offset = offsetof(struct tcphdr, check);
		gso_reset_checksum(seg, ~th->check);
	} else {
		th->check = gso_make_checksum(seg, ~th->check);
	}
}

/*
 * Small queues (output.c) count the buffer against its socket until the
 * device frees it: the segments take the charge over, each its own, the
 * last one bringing the total to what they hold, as tcp_gso_segment().
 */
static void clasp_gso_owner(struct sk_buff *gso, struct sk_buff *segs)
{
	struct sock *sk = gso->sk;
	unsigned int sum = 0;
	struct sk_buff *seg;
	int delta;

	if (gso->destructor != clasp_wfree)
		return;
	for (seg = segs; seg; seg = seg->next) {
		seg->sk = sk;
		seg->destructor = clasp_wfree;
		sum += seg->truesize;
	}
	/* The buffer's own charge passes to the segments. */
	gso->destructor = NULL;
	gso->sk = NULL;
	delta = sum - gso->truesize;
	if (delta >= 0)
		refcount_add(delta, &sk->sk_wmem_alloc);
	else
		WARN_ON_ONCE(refcount_sub_and_test(-delta, &sk->sk_wmem_alloc));
}

/*
 * net_offload.gso_segment: @skb's data at the clasp header, its IP header
 * before it (inet_gso_segment() or ipv6_gso_segment() fixes each
 * segment's IP header after).
 */
static struct sk_buff *clasp_gso_segment(struct sk_buff *skb,
					 netdev_features_t features)
{
	struct sk_buff *segs, *seg;
	unsigned int thlen, mss;
	struct tcphdr *th;
	u32 seq;

	if (!(skb_shinfo(skb)->gso_type & CLASP_GSO_TYPE) ||
	    skb->ip_summed != CHECKSUM_PARTIAL ||
	    !pskb_may_pull(skb, sizeof(*th)))
		return ERR_PTR(-EINVAL);
	thlen = tcp_hdr(skb)->doff * 4;
	if (thlen < sizeof(*th) || !pskb_may_pull(skb, thlen))
		return ERR_PTR(-EINVAL);
	/* The pulls may have moved the head: the header is read after. */
	th = tcp_hdr(skb);
	seq = ntohl(th->seq);
	__skb_pull(skb, thlen);
	mss = skb_shinfo(skb)->gso_size;
	if (!mss || skb->len <= mss)
		return ERR_PTR(-EINVAL);
	/* A device that takes the type (GSO_ROBUST) wants only the count. */
	if (skb_gso_ok(skb, features | NETIF_F_GSO_ROBUST)) {
		skb_shinfo(skb)->gso_segs = DIV_ROUND_UP(skb->len, mss);
		return NULL;
	}

	/*
	 * Segments the device is to finish need NETIF_F_HW_CSUM: one with
	 * NETIF_F_IP_CSUM sums TCP and UDP alone (see clasp_dev_csum()).
	 */
	if (!(features & NETIF_F_HW_CSUM))
		features &= ~NETIF_F_CSUM_MASK;
	segs = skb_segment(skb, features);
	if (IS_ERR(segs))
		return segs;
	for (seg = segs; seg; seg = seg->next) {
		th = tcp_hdr(seg);
		th->seq = htonl(seq);
		/* FIN and PSH on the last segment alone, CWR on the first. */
		if (seg->next) {
			th->fin = 0;
			th->psh = 0;
		}
		if (seg != segs)
			th->cwr = 0;
		clasp_gso_checksum(seg);
		seq += seg->len - skb_transport_offset(seg) - thlen;
	}
	clasp_gso_owner(skb, segs);
	return segs;
}

static const struct net_offload clasp_offload = {
	.callbacks = {
		.gso_segment	= clasp_gso_segment,
	},
};

/**
 * clasp_offload_init() - register clasp's GSO callback with IPv4
 *
 * Return: 0, or -EBUSY if the protocol number has an offload already.
 */
int clasp_offload_init(void)
{
	return inet_add_offload(&clasp_offload, clasp_proto) ? -EBUSY : 0;
}

/**
 * clasp_offload_exit() - unregister it; waits for callers in flight
 */
void clasp_offload_exit(void)
{
	inet_del_offload(&clasp_offload, clasp_proto);
}

#if IS_ENABLED(CONFIG_IPV6)
/**
 * clasp_offload6_init() - register clasp's GSO callback with IPv6
 *
 * Return: 0, or -EBUSY if the protocol number has an offload already.
 */
int clasp_offload6_init(void)
{
	return inet6_add_offload(&clasp_offload, clasp_proto) ? -EBUSY : 0;
}

/**
 * clasp_offload6_exit() - unregister it; waits for callers in flight
 */
void clasp_offload6_exit(void)
{
	inet6_del_offload(&clasp_offload, clasp_proto);
}
#endif
