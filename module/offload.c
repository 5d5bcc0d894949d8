// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: generic segmentation and receive offload.
 *
 * A socket sends several full-sized segments as one buffer (clasp_burst())
 * of type CLASP_GSO_TYPE.  Loopback and veth carry it whole, and the
 * receiver takes it as one segment; before a device that cannot carry it,
 * the core calls clasp_gso_segment() through the offload registered here,
 * which cuts it into segments of gso_size with their own sequence numbers
 * and checksums, as TCP's tcp_gso_segment() does for TCP.
 *
 * On the way in, a device that polls with NAPI (virtio-net, veth with
 * GRO on) hands the core its segments in batches; clasp_gro_receive()
 * chains the consecutive segments of one connection into one buffer, as
 * tcp_gro_receive() does for TCP, so the receiver takes and acknowledges
 * a batch as one large segment.  The segments are chained on the first
 * one's frag_list, never merged into its fragments: that needs
 * skb_gro_receive(), which the kernel does not export.
 */
#include <linux/skbuff.h>
#include <net/checksum.h>
#include <net/gro.h>
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

/* The most a chain may hold, headers included, as TCP's without BIG TCP. */
#define CLASP_GRO_MAX_SIZE	GRO_LEGACY_MAX_SIZE

/* The segment held for @th's connection, if any (tcp_gro_lookup()). */
static struct sk_buff *clasp_gro_lookup(struct list_head *head,
					const struct tcphdr *th)
{
	struct sk_buff *p;

	list_for_each_entry(p, head, list) {
		if (!NAPI_GRO_CB(p)->same_flow)
			continue;
		if (*(u32 *)&th->source ^ *(u32 *)&tcp_hdr(p)->source) {
			NAPI_GRO_CB(p)->same_flow = 0;
			continue;
		}
		return p;
	}
	return NULL;
}

/*
 * Does @th's segment differ from @p's in anything but sequence, length,
 * checksum, FIN and PSH?  Then it cannot ride in @p's buffer: its ACK,
 * window, options (a new TSval) or IP header would be lost.
 */
static bool clasp_gro_differs(const struct tcphdr *th, const struct tcphdr *th2,
			      struct sk_buff *p)
{
	const __be32 keep = TCP_FLAG_CWR | TCP_FLAG_FIN | TCP_FLAG_PSH;
	unsigned int thlen = th->doff * 4;
	u32 diff;
	unsigned int i;

	diff = (__force u32)(tcp_flag_word(th) & TCP_FLAG_CWR);
	diff |= (__force u32)((tcp_flag_word(th) ^ tcp_flag_word(th2)) & ~keep);
	diff |= (__force u32)(th->ack_seq ^ th2->ack_seq);
	for (i = sizeof(*th); i < thlen; i += 4)
		diff |= *(u32 *)((u8 *)th + i) ^ *(u32 *)((u8 *)th2 + i);
	return diff || clasp_gro_network_flush(th, th2, p);
}

/*
 * Chain @skb, its headers pulled, behind the last segment @p holds.  A
 * device may leave the headers in the first page fragment (GRO's frag0):
 * the fragment then gives them up instead.
 */
static int clasp_gro_chain(struct sk_buff *p, struct sk_buff *skb)
{
	unsigned int offset = skb_gro_offset(skb);
	unsigned int headlen = skb_headlen(skb);
	unsigned int len = skb_gro_len(skb);

	if (p->len + len >= CLASP_GRO_MAX_SIZE || skb_zcopy(p) ||
	    skb_zcopy(skb) || NAPI_GRO_CB(skb)->flush)
		return -E2BIG;
	if (offset > headlen) {
		unsigned int eat = offset - headlen;
		skb_frag_t *frag = &skb_shinfo(skb)->frags[0];

		if (!skb_shinfo(skb)->nr_frags || eat >= skb_frag_size(frag))
			return -E2BIG;
		skb_frag_off_add(frag, eat);
		skb_frag_size_sub(frag, eat);
		skb->data_len -= eat;
		skb->len -= eat;
		offset = headlen;
	}
	__skb_pull(skb, offset);
	skb->destructor = NULL;
	skb->sk = NULL;
	if (NAPI_GRO_CB(p)->last == p)
		skb_shinfo(p)->frag_list = skb;
	else
		NAPI_GRO_CB(p)->last->next = skb;
	NAPI_GRO_CB(p)->last = skb;
	__skb_header_release(skb);
	NAPI_GRO_CB(p)->count += NAPI_GRO_CB(skb)->count;
	p->data_len += len;
	p->len += len;
	p->truesize += skb->truesize;
	NAPI_GRO_CB(skb)->same_flow = 1;
	return 0;
}

/*
 * net_offload.gro_receive, once the checksum is known good: the held
 * buffer to pass up now, if any (tcp_gro_receive()).  A segment joins the
 * buffer held for its connection when it follows it in sequence, is no
 * longer than its first segment, and differs from it in nothing but
 * FIN and PSH; a short segment, or one with PSH, FIN, SYN, RST or URG,
 * ends the buffer.
 */
static struct sk_buff *clasp_gro_receive(struct list_head *head,
					 struct sk_buff *skb)
{
	unsigned int off = skb_gro_offset(skb);
	struct tcphdr *th, *th2;
	unsigned int len, mss = 1;
	struct sk_buff *p;
	bool flush = true;
	__be32 flags;

	th = skb_gro_header(skb, off + sizeof(*th), off);
	if (!th || th->doff * 4 < sizeof(*th) || skb->encapsulation ||
	    NAPI_GRO_CB(skb)->encap_mark)
		goto out;
	th = skb_gro_header(skb, off + th->doff * 4, off);
	if (!th)
		goto out;
	skb_gro_pull(skb, th->doff * 4);
	len = skb_gro_len(skb);
	flags = tcp_flag_word(th);

	p = clasp_gro_lookup(head, th);
	if (!p)
		goto final;
	th2 = tcp_hdr(p);
	mss = skb_shinfo(p)->gso_size;
	flush = clasp_gro_differs(th, th2, p) || skb_is_gso(skb) ||
		len - 1 >= mss ||
		ntohl(th2->seq) + skb_gro_len(p) != ntohl(th->seq);
	if (flush || clasp_gro_chain(p, skb)) {
		mss = 1;
		goto final;
	}
	tcp_flag_word(th2) |= flags & (TCP_FLAG_FIN | TCP_FLAG_PSH);
final:
	flush = len < mss ||
		(flags & (TCP_FLAG_URG | TCP_FLAG_PSH | TCP_FLAG_RST |
			  TCP_FLAG_SYN | TCP_FLAG_FIN));
	NAPI_GRO_CB(skb)->flush |= flush;
	return p && (!NAPI_GRO_CB(skb)->same_flow || flush) ? p : NULL;
out:
	NAPI_GRO_CB(skb)->flush = 1;
	return NULL;
}

/*
 * net_offload.gro_complete: @skb holds NAPI_GRO_CB(skb)->count segments
 * whose checksums were each found good.  It goes up as one GSO buffer
 * whose checksum is the device's to finish (CHECKSUM_PARTIAL, as
 * tcp_gro_complete()), so that it may also be forwarded and cut again.
 */
static void clasp_gro_complete(struct sk_buff *skb, int thoff, __sum16 check)
{
	struct tcphdr *th = (struct tcphdr *)(skb->data + thoff);

	skb_set_transport_header(skb, thoff);
	th->check = check;
	skb->csum_start = (unsigned char *)th - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb_shinfo(skb)->gso_type |= CLASP_GSO_TYPE;
	skb_shinfo(skb)->gso_segs = NAPI_GRO_CB(skb)->count;
}

static struct sk_buff *clasp4_gro_receive(struct list_head *head,
					  struct sk_buff *skb)
{
	if (!NAPI_GRO_CB(skb)->flush &&
	    skb_gro_checksum_validate(skb, clasp_proto,
				      inet_gro_compute_pseudo)) {
		NAPI_GRO_CB(skb)->flush = 1;
		return NULL;
	}
	return clasp_gro_receive(head, skb);
}

static int clasp4_gro_complete(struct sk_buff *skb, int thoff)
{
	const struct iphdr *iph = ip_hdr(skb);

	clasp_gro_complete(skb, thoff,
			   ~csum_tcpudp_magic(iph->saddr, iph->daddr,
					      skb->len - thoff, clasp_proto,
					      0));
	return 0;
}

static const struct net_offload clasp_offload = {
	.callbacks = {
		.gso_segment	= clasp_gso_segment,
		.gro_receive	= clasp4_gro_receive,
		.gro_complete	= clasp4_gro_complete,
	},
};

/**
 * clasp_offload_init() - register clasp's GSO and GRO callbacks with IPv4
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
static struct sk_buff *clasp6_gro_receive(struct list_head *head,
					  struct sk_buff *skb)
{
	if (!NAPI_GRO_CB(skb)->flush &&
	    skb_gro_checksum_validate(skb, clasp_proto,
				      ip6_gro_compute_pseudo)) {
		NAPI_GRO_CB(skb)->flush = 1;
		return NULL;
	}
	return clasp_gro_receive(head, skb);
}

static int clasp6_gro_complete(struct sk_buff *skb, int thoff)
{
	const struct ipv6hdr *iph = ipv6_hdr(skb);

	clasp_gro_complete(skb, thoff,
			   ~csum_ipv6_magic(&iph->saddr, &iph->daddr,
					    skb->len - thoff, clasp_proto, 0));
	return 0;
}

static const struct net_offload clasp6_offload = {
	.callbacks = {
		.gso_segment	= clasp_gso_segment,
		.gro_receive	= clasp6_gro_receive,
		.gro_complete	= clasp6_gro_complete,
	},
};

/**
 * clasp_offload6_init() - register clasp's GSO and GRO callbacks with IPv6
 *
 * Return: 0, or -EBUSY if the protocol number has an offload already.
 */
int clasp_offload6_init(void)
{
	return inet6_add_offload(&clasp6_offload, clasp_proto) ? -EBUSY : 0;
}

/**
 * clasp_offload6_exit() - unregister it; waits for callers in flight
 */
void clasp_offload6_exit(void)
{
	inet6_del_offload(&clasp6_offload, clasp_proto);
}
#endif
