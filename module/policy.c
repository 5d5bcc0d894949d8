// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: the policy hooks every kernel transport runs, as TCP does.
 *
 * Input: IPsec policy (xfrm4_policy_check() or xfrm6_policy_check(), even for segments that find
 * no socket, before they earn a RST), then for a socket or listener
 * sk_filter_trim_cap(), which runs cgroup BPF ingress programs, the LSM's
 * socket_sock_rcv_skb hook and the socket's own filter (SO_ATTACH_FILTER,
 * SO_ATTACH_BPF), in that order.  Output: segments a socket sends carry
 * it in skb->sk (clasp_transmit()), so that egress cgroup BPF, nftables'
 * meta skuid and iptables' owner match see who sent them.  connect():
 * cgroup BPF connect programs (clasp_pre_connect()).
 */
#include <linux/bpf-cgroup.h>
#include <linux/filter.h>
#include <net/xfrm.h>

#include "clasp.h"
#include "compat.h"

/**
 * clasp_policy_drops() - must a segment be dropped before its owner
 * sees it?
 * @net: the namespace it arrived in
 * @sk: the socket or listener it is for; NULL when nobody owns it
 *	(a RST answers it unless policy drops it) or a compact entry does
 * @skb: the segment, data at the clasp header
 *
 * A filter may trim the segment, never below its header.  Drops are
 * counted: PolicyDrops (IPsec), FilterDrops (the rest).
 *
 * Return: true when the segment must be dropped.
 */
bool clasp_policy_drops(struct net *net, struct sock *sk, struct sk_buff *skb)
{
	if (clasp_skb_v6(skb) ? !xfrm6_policy_check(sk, XFRM_POLICY_IN, skb) :
				!xfrm4_policy_check(sk, XFRM_POLICY_IN, skb)) {
		clasp_stats_inc(net, CLASP_MIB_POLICYDROPS);
		return true;
	}
	if (sk && sk_filter_trim_cap(sk, skb, tcp_hdr(skb)->doff * 4)) {
		clasp_stats_inc(net, CLASP_MIB_FILTERDROPS);
		return true;
	}
	return false;
}

/**
 * clasp_pre_connect() - the cgroup BPF connect hook (struct
 * proto.pre_connect), which may refuse or rewrite the address
 * @sk: the socket
 * @uaddr: the address connect() was given
 * @addr_len: its length
 *
 * Return: 0, or a negative errno from a program (-EPERM).
 */
int clasp_pre_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	if (addr_len < sizeof(struct sockaddr_in))
		return -EINVAL;
	return clasp_bpf_inet4_connect(sk, uaddr, addr_len);
}
