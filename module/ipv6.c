// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: IPv6.
 *
 * An AF_INET6 clasp socket is a clasp socket with an ipv6_pinfo behind it
 * (struct clasp6_sock); it shares every call with AF_INET sockets but
 * connect().  What differs on the wire follows a connection's key: an
 * IPv6 tuple (CLASP_EF_V6, the IPv6 connection table) or an IPv4 one,
 * which an AF_INET6 socket has when it talks to a v4-mapped address or
 * was accepted from an IPv4 SYN, as TCP's (clasp_sk_v6()).  Here: the
 * IPv6 protocol handler and socket switch, connect(), a child's addresses
 * and route, and the replies that leave through the IPv6 control socket.
 * Nothing here runs on a kernel booted with ipv6.disable=1: clasp serves
 * IPv4 alone there.
 *
 * Flow labels: clasp leaves sk_txhash unset, so that ip6_xmit() labels
 * every segment of a connection with the flow's keyed hash (RFC 6437's
 * section 3 way): the SYN-ACK a request sends, the socket's segments and
 * the replies of its TIME_WAIT entry, all from the control socket or the
 * connection's own, carry one label each way, as TCP's do with its
 * random per-connection hash.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ipv6.h>
#include <net/addrconf.h>
#include <net/inet6_connection_sock.h>
#include <net/inet_common.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/protocol.h>
#include <net/transp_v6.h>

#include "clasp.h"
#include "compat.h"

/**
 * struct clasp6_sock - an AF_INET6 clasp socket
 * @csk: the clasp socket; must stay first
 * @inet6: its IPv6 state; last, where 6.1's inet6_sk_generic() looks
 */
struct clasp6_sock {
	struct clasp_sock csk;
	struct ipv6_pinfo inet6;
};

static struct proto clasp_v6_prot;
static bool clasp_v6_on;

static struct ipv6_pinfo *clasp_inet6(struct sock *sk)
{
	return &((struct clasp6_sock *)sk)->inet6;
}

/* Connect an AF_INET6 socket to a v4-mapped address: IPv4 on the wire. */
static int clasp_v6_connect_mapped(struct sock *sk,
				   const struct sockaddr_in6 *usin)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = usin->sin6_port,
		.sin_addr.s_addr = usin->sin6_addr.s6_addr32[3],
	};
	struct inet_sock *inet = inet_sk(sk);
	int err;

	if (ipv6_only_sock(sk))
		return -ENETUNREACH;
	sk->sk_v6_daddr = usin->sin6_addr;
	err = clasp_connect4(sk, &sin);
	if (err) {
		sk->sk_v6_daddr = in6addr_any;
		return err;
	}
	ipv6_addr_set_v4mapped(inet->inet_saddr, &clasp_inet6(sk)->saddr);
	ipv6_addr_set_v4mapped(inet->inet_rcv_saddr, &sk->sk_v6_rcv_saddr);
	return 0;
}

/* The route of an AF_INET6 socket to @daddr, its source chosen if unbound. */
static struct dst_entry *clasp_v6_route(struct sock *sk,
					const struct in6_addr *daddr,
					__be16 dport, struct flowi6 *fl6)
{
	struct ipv6_pinfo *np = clasp_inet6(sk);
	struct in6_addr *final_p, final;
	struct ipv6_txoptions *opt;

	memset(fl6, 0, sizeof(*fl6));
	fl6->flowi6_proto = clasp_proto;
	fl6->daddr = *daddr;
	fl6->saddr = sk->sk_v6_rcv_saddr;
	fl6->flowi6_oif = sk->sk_bound_dev_if;
	fl6->flowi6_mark = sk->sk_mark;
	fl6->fl6_dport = dport;
	fl6->fl6_sport = inet_sk(sk)->inet_sport;
	fl6->flowi6_uid = sk->sk_uid;
	opt = rcu_dereference_protected(np->opt, lockdep_sock_is_held(sk));
	final_p = fl6_update_dst(fl6, opt, &final);
	security_sk_classify_flow(sk, flowi6_to_flowi_common(fl6));
	return ip6_dst_lookup_flow(sock_net(sk), sk, fl6, final_p);
}

/* proto.connect of AF_INET6 sockets, as tcp_v6_connect() checks it. */
static int clasp_v6_connect(struct sock *sk, struct sockaddr *uaddr, int len)
{
	struct sockaddr_in6 *usin = (struct sockaddr_in6 *)uaddr;
	struct inet_sock *inet = inet_sk(sk);
	struct dst_entry *dst;
	struct flowi6 fl6;
	int type, err;
	u32 iss;

	if (len < SIN6_LEN_RFC2133)
		return -EINVAL;
	if (usin->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (sk->sk_state != TCP_CLOSE)
		return -EISCONN;
	/* connect() to :: means the loopback address, as TCP has it. */
	if (ipv6_addr_any(&usin->sin6_addr)) {
		if (ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr))
			ipv6_addr_set_v4mapped(htonl(INADDR_LOOPBACK),
					       &usin->sin6_addr);
		else
			usin->sin6_addr = in6addr_loopback;
	}
	type = ipv6_addr_type(&usin->sin6_addr);
	if (type & IPV6_ADDR_MULTICAST)
		return -ENETUNREACH;
	if (type & IPV6_ADDR_MAPPED)
		return clasp_v6_connect_mapped(sk, usin);
	if (ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr))
		return -EAFNOSUPPORT;	/* bound to IPv4, asked for IPv6 */
	if (type & IPV6_ADDR_LINKLOCAL) {
		if (len >= sizeof(*usin) && usin->sin6_scope_id) {
			if (!sk_dev_equal_l3scope(sk, usin->sin6_scope_id))
				return -EINVAL;
			sk->sk_bound_dev_if = usin->sin6_scope_id;
		}
		if (!sk->sk_bound_dev_if)
			return -EINVAL;
	}

	sk->sk_v6_daddr = usin->sin6_addr;
	dst = clasp_v6_route(sk, &usin->sin6_addr, usin->sin6_port, &fl6);
	if (IS_ERR(dst)) {
		err = PTR_ERR(dst);
		goto failure;
	}
	if (ipv6_addr_any(&sk->sk_v6_rcv_saddr))
		sk->sk_v6_rcv_saddr = fl6.saddr;
	clasp_inet6(sk)->saddr = fl6.saddr;
	/* As TCP's: not zero, so that the socket counts as connected. */
	inet->inet_rcv_saddr = LOOPBACK4_IPV6;
	inet->inet_daddr = LOOPBACK4_IPV6;
	inet->inet_dport = usin->sin6_port;
	err = clasp_connect_bind(sk, &iss);
	if (err) {
		dst_release(dst);
		goto failure;
	}
	sk->sk_gso_type = CLASP_GSO_TYPE;
	ip6_dst_store(sk, dst, NULL, 0);
	clasp_connect_start(sk, iss);
	return 0;

failure:
	inet->inet_dport = 0;
	inet->inet_daddr = 0;
	sk->sk_v6_daddr = in6addr_any;
	return err;
}

/**
 * clasp_v6_child_init() - the IPv6 state of a listener's fresh clone
 * @child: the clone, of an AF_INET6 listener, not yet visible to anyone
 * @k: the connection's key, IPv6 or (to a dual-stack listener) IPv4
 * @iif: the device the handshake's last segment arrived on
 *
 * The clone's pinet6 still points into its listener; it gets its own,
 * without the listener's multicast, anycast and flow label lists, packet
 * options or IPv6 header options.  Its addresses are @k's, v4-mapped for
 * an IPv4 key.  A link-local peer is reached through the device it came
 * from (unless the listener is bound to one), as TCP's child is, so
 * that the address has its scope.
 */
void clasp_v6_child_init(struct sock *child, const struct clasp_entry *k,
			 int iif)
{
	struct ipv6_pinfo *np = clasp_inet6(child);
	struct inet_sock *inet = inet_sk(child);

	inet->pinet6 = np;
	np->ipv6_mc_list = NULL;
	np->ipv6_ac_list = NULL;
	clasp_fl_list(child) = NULL;
	np->pktoptions = NULL;
	RCU_INIT_POINTER(np->opt, NULL);
	if (!clasp_key_v6(k)) {
		ipv6_addr_set_v4mapped(k->tuple.raddr, &child->sk_v6_daddr);
		ipv6_addr_set_v4mapped(k->tuple.laddr, &child->sk_v6_rcv_saddr);
		np->saddr = child->sk_v6_rcv_saddr;
		return;
	}
	child->sk_v6_daddr = k->tuple.raddr6;
	child->sk_v6_rcv_saddr = k->tuple.laddr6;
	if (!child->sk_bound_dev_if &&
	    (ipv6_addr_type(&k->tuple.raddr6) & IPV6_ADDR_LINKLOCAL))
		child->sk_bound_dev_if = iif;
	np->saddr = k->tuple.laddr6;
	inet->inet_daddr = LOOPBACK4_IPV6;
	inet->inet_saddr = LOOPBACK4_IPV6;
	inet->inet_rcv_saddr = LOOPBACK4_IPV6;
}

/**
 * clasp_v6_child_route() - route a child that speaks IPv6
 * @child: the child, its addresses and ports set
 *
 * Return: 0 or a negative errno.
 */
int clasp_v6_child_route(struct sock *child)
{
	struct dst_entry *dst;
	struct flowi6 fl6;

	dst = clasp_v6_route(child, &child->sk_v6_daddr,
			     inet_sk(child)->inet_dport, &fl6);
	if (IS_ERR(dst))
		return PTR_ERR(dst);
	child->sk_gso_type = CLASP_GSO_TYPE;
	ip6_dst_store(child, dst, NULL, 0);
	return 0;
}

/**
 * clasp_v6_ctl_route() - the route of a reply to no socket over IPv6
 * @net: the namespace
 * @k: the key, IPv6, from our side
 * @fl6: the flow, filled in
 *
 * Return: the route, or an ERR_PTR().
 */
struct dst_entry *clasp_v6_ctl_route(struct net *net,
				     const struct clasp_entry *k,
				     struct flowi6 *fl6)
{
	memset(fl6, 0, sizeof(*fl6));
	fl6->flowi6_proto = clasp_proto;
	fl6->daddr = k->tuple.raddr6;
	fl6->saddr = k->tuple.laddr6;
	fl6->fl6_dport = k->tuple.rport;
	fl6->fl6_sport = k->tuple.lport;
	fl6->flowi6_uid = sock_net_uid(net, NULL);
	return ip6_dst_lookup_flow(net, clasp_pernet(net)->ctl_sk6, fl6, NULL);
}

/**
 * clasp_v6_ctl_xmit() - send a reply to no socket over IPv6
 * @net: the namespace
 * @skb: the segment, checksummed, its route attached
 * @fl6: the flow clasp_v6_ctl_route() filled
 *
 * Return: 0 when it left, else a negative errno (@skb consumed anyway).
 */
int clasp_v6_ctl_xmit(struct net *net, struct sk_buff *skb, struct flowi6 *fl6)
{
	return ip6_xmit(clasp_pernet(net)->ctl_sk6, skb, fl6, 0, NULL, 0, 0);
}

/**
 * clasp_v6_ctl_sock_init() - create a namespace's IPv6 control socket
 * @cn: the namespace's clasp state
 *
 * Return: 0 or a negative errno; 0 without one when IPv6 is disabled.
 */
int clasp_v6_ctl_sock_init(struct clasp_net *cn)
{
	if (!clasp_v6_on)
		return 0;
	return inet_ctl_sock_create(&cn->ctl_sk6, PF_INET6, SOCK_RAW,
				    clasp_proto, cn->net);
}

/**
 * clasp_v6_ctl_sock_exit() - destroy it, if there is one
 * @cn: the namespace's clasp state
 */
void clasp_v6_ctl_sock_exit(struct clasp_net *cn)
{
	if (cn->ctl_sk6)
		inet_ctl_sock_destroy(cn->ctl_sk6);
	cn->ctl_sk6 = NULL;
}

static int clasp_v6_setsockopt(struct sock *sk, int level, int optname,
			       sockptr_t optval, unsigned int optlen)
{
	if (level == SOL_IPV6)
		return ipv6_setsockopt(sk, level, optname, optval, optlen);
	return clasp_setsockopt(sk, level, optname, optval, optlen);
}

static int clasp_v6_getsockopt(struct sock *sk, int level, int optname,
			       char __user *optval, int __user *optlen)
{
	if (level == SOL_IPV6)
		return ipv6_getsockopt(sk, level, optname, optval, optlen);
	return clasp_getsockopt(sk, level, optname, optval, optlen);
}

static const struct proto_ops clasp_v6_stream_ops = {
	.family		= PF_INET6,
	.owner		= THIS_MODULE,
	.release	= inet6_release,
	.bind		= inet6_bind,
	.connect	= inet_stream_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= inet_accept,
	.getname	= inet6_getname,
	.poll		= clasp_poll,
	.ioctl		= inet6_ioctl,
	.listen		= clasp_listen,
	.shutdown	= inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= inet_sendmsg,
	.recvmsg	= inet_recvmsg,
	.mmap		= sock_no_mmap,
};

static struct inet_protosw clasp_v6_protosw = {
	.type		= SOCK_STREAM,
	.prot		= &clasp_v6_prot,
	.ops		= &clasp_v6_stream_ops,
};

static struct inet6_protocol clasp_v6_protocol = {
	.handler	= clasp_rcv,
	.err_handler	= clasp_v6_err,
	.flags		= INET6_PROTO_NOPOLICY | INET6_PROTO_FINAL,
};

/**
 * clasp_v6_prot_init() - make the AF_INET6 proto from the AF_INET one
 *
 * Before proto_register() of either, and before any namespace is set
 * up: the copy shares clasp_prot's calls and memory accounting, not its
 * registration.
 */
void clasp_v6_prot_init(void)
{
	/* Namespaces made from now on want an IPv6 control socket. */
	clasp_v6_on = ipv6_mod_enabled();
	clasp_v6_prot = clasp_prot;
	strscpy(clasp_v6_prot.name, "CLASPv6", sizeof(clasp_v6_prot.name));
	clasp_v6_prot.connect = clasp_v6_connect;
	clasp_v6_prot.setsockopt = clasp_v6_setsockopt;
	clasp_v6_prot.getsockopt = clasp_v6_getsockopt;
	clasp_v6_prot.obj_size = sizeof(struct clasp6_sock);
	clasp_set_pinfo_offset(&clasp_v6_prot,
			       offsetof(struct clasp6_sock, inet6));
}

/**
 * clasp_v6_init() - serve AF_INET6 sockets and IPv6 segments
 *
 * On a kernel booted with ipv6.disable=1 clasp serves IPv4 alone, and
 * says so.
 *
 * Return: 0, or a negative errno with nothing registered.
 */
int clasp_v6_init(void)
{
	int err;

	if (!clasp_v6_on) {
		pr_info("IPv6 is disabled: serving IPv4 only\n");
		return 0;
	}
	err = proto_register(&clasp_v6_prot, 1);
	if (err)
		return err;
	clasp_v6_protosw.protocol = clasp_proto;
	err = inet6_register_protosw(&clasp_v6_protosw);
	if (err)
		goto out_proto;
	err = clasp_offload6_init();
	if (err)
		goto out_protosw;
	if (inet6_add_protocol(&clasp_v6_protocol, clasp_proto) < 0) {
		err = -EBUSY;
		goto out_offload;
	}
	return 0;

out_offload:
	clasp_offload6_exit();
out_protosw:
	inet6_unregister_protosw(&clasp_v6_protosw);
out_proto:
	proto_unregister(&clasp_v6_prot);
	return err;
}

/**
 * clasp_v6_stop() - stop taking IPv6 segments and making AF_INET6 sockets
 *
 * The proto itself goes in clasp_v6_exit(), once every socket is freed.
 */
void clasp_v6_stop(void)
{
	if (!clasp_v6_on)
		return;
	inet6_del_protocol(&clasp_v6_protocol, clasp_proto);
	clasp_offload6_exit();
	inet6_unregister_protosw(&clasp_v6_protosw);
}

/**
 * clasp_v6_exit() - unregister the AF_INET6 proto
 */
void clasp_v6_exit(void)
{
	if (clasp_v6_on)
		proto_unregister(&clasp_v6_prot);
}

/**
 * clasp_v6_enabled() - does clasp serve IPv6?
 *
 * Return: false on a kernel booted with ipv6.disable=1.
 */
bool clasp_v6_enabled(void)
{
	return clasp_v6_on;
}
