/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where clasp meets the differences between the kernels it
 * supports (Debian 12's 6.1 and its 6.12 LTS).  Logic elsewhere calls the
 * helpers below and never tests a kernel version itself.  The CLASP_HAVE_*
 * macros come from probes of the target kernel's headers in Kbuild.
 */
#ifndef _CLASP_COMPAT_H
#define _CLASP_COMPAT_H

#include <linux/bpf-cgroup.h>
#include <linux/hrtimer.h>
#include <linux/sysctl.h>
#include <linux/tcp.h>
#include <net/net_namespace.h>
#include <net/sock.h>
/*
 * 6.10 left a held buffer's IP header checks to the transport's GRO
 * callback (gro_receive_network_flush()); 6.1's IP layer ORs them into
 * the held buffer's flush itself.
 */
#ifdef CLASP_HAVE_GRO_NETWORK_FLUSH
#define clasp_gro_network_flush(th, th2, p)	\
	gro_receive_network_flush(th, th2, p)
#else
#define clasp_gro_network_flush(th, th2, p)	\
	((void)(th), (void)(th2), NAPI_GRO_CB(p)->flush)
#endif

/* 6.5 moved the GSO helpers (gso_make_checksum() and others) to gso.h. */
#ifdef CLASP_HAVE_NET_GSO_H
#include <net/gso.h>
#endif

/*
 * 6.10 passed accept()'s flags, error and kern arguments in one structure.
 * CLASP_ACCEPT_ARGS declares clasp's accept with either signature;
 * clasp_accept_flags() and clasp_accept_kern() read them, and
 * clasp_accept_set_err() stores the error where the caller looks.
 */
#ifdef CLASP_HAVE_ACCEPT_ARG
#define CLASP_ACCEPT_ARGS	struct sock *sk, struct proto_accept_arg *arg
#define clasp_accept_flags()	(arg->flags)
#define clasp_accept_kern()	(arg->kern)
#define clasp_accept_set_err(e)	(arg->err = (e))
#else
#define CLASP_ACCEPT_ARGS	struct sock *sk, int flags, int *err, bool kern
#define clasp_accept_flags()	(flags)
#define clasp_accept_kern()	(kern)
#define clasp_accept_set_err(e)	(*err = (e))
#endif

/*
 * 6.7 found an AF_INET6 socket's ipv6_pinfo at proto.ipv6_pinfo_offset;
 * 6.1 at the end of the object, where struct clasp6_sock keeps it anyway.
 */
#ifdef CLASP_HAVE_IPV6_PINFO_OFFSET
#define clasp_set_pinfo_offset(prot, offset)	\
	((prot)->ipv6_pinfo_offset = (offset))
#else
#define clasp_set_pinfo_offset(prot, offset)	((void)(prot), (void)(offset))
#endif

/* 6.6 moved a socket's IPv6 flow label list from ipv6_pinfo to inet_sock. */
#ifdef CLASP_HAVE_INET_FL_LIST
#define clasp_fl_list(sk)	(inet_sk(sk)->ipv6_fl_list)
#else
#define clasp_fl_list(sk)	(inet6_sk(sk)->ipv6_fl_list)
#endif

/* 6.5 made proto.ioctl return its result through an int pointer. */
#ifdef CLASP_HAVE_IOCTL_KARG
#define CLASP_IOCTL_ARG_T	int *
#define clasp_ioctl_put(arg, val)	(*(arg) = (val), 0)
#else
#define CLASP_IOCTL_ARG_T	unsigned long
#define clasp_ioctl_put(arg, val)	put_user((val), (int __user *)(arg))
#endif
int clasp_ioctl(struct sock *sk, int cmd, CLASP_IOCTL_ARG_T arg);

/* 6.13 replaced hrtimer_init() and the function assignment by one call. */
#ifdef CLASP_HAVE_HRTIMER_SETUP
static inline void clasp_hrtimer_setup(struct hrtimer *t,
				       enum hrtimer_restart (*fn)(struct hrtimer *),
				       enum hrtimer_mode mode)
{
	hrtimer_setup(t, fn, CLOCK_MONOTONIC, mode);
}
#else
static inline void clasp_hrtimer_setup(struct hrtimer *t,
				       enum hrtimer_restart (*fn)(struct hrtimer *),
				       enum hrtimer_mode mode)
{
	hrtimer_init(t, CLOCK_MONOTONIC, mode);
	t->function = fn;
}
#endif

/* 6.7 passed the address length to cgroup BPF address hooks. */
static inline int clasp_bpf_inet4_connect(struct sock *sk,
					  struct sockaddr *uaddr, int len)
{
#ifdef CLASP_HAVE_SA_PROG_ADDRLEN
	return BPF_CGROUP_RUN_PROG_INET4_CONNECT(sk, uaddr, &len);
#else
	return BPF_CGROUP_RUN_PROG_INET4_CONNECT(sk, uaddr);
#endif
}

/* 6.7 reached a dump's parsed attributes through genl_info_dump(). */
#ifdef CLASP_HAVE_GENL_INFO_DUMP
#define clasp_dump_attrs(cb)	(genl_info_dump(cb)->attrs)
#else
#define clasp_dump_attrs(cb)	(genl_dumpit_info(cb)->attrs)
#endif

/* 6.2 added the window we offer to struct tcp_info. */
static inline void clasp_tcpi_set_rcv_wnd(struct tcp_info *ti, u32 wnd)
{
#ifdef CLASP_HAVE_TCPI_RCV_WND
	ti->tcpi_rcv_wnd = wnd;
#endif
}

/*
 * 6.6 gave the table's size to register_net_sysctl_sz(); before, the
 * kernel looked for an empty entry at its end (the caller provides one).
 */
static inline struct ctl_table_header *
clasp_register_net_sysctl(struct net *net, const char *path,
			  struct ctl_table *table, size_t n)
{
#ifdef CLASP_HAVE_NET_SYSCTL_SZ
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/* 6.11 made the table a sysctl handler receives const. */
#ifdef CLASP_HAVE_CONST_CTL_TABLE
#define CLASP_CTL_TABLE_T	const struct ctl_table
#else
#define CLASP_CTL_TABLE_T	struct ctl_table
#endif

/*
 * 6.3 gave IPv4 a GSO size of its own (BIG TCP over IPv4); before, one
 * size served both families.
 */
static inline unsigned int clasp_dev_gso_max_size(const struct net_device *dev,
						  bool v6)
{
#ifdef CLASP_HAVE_GSO_IPV4_MAX_SIZE
	if (!v6)
		return READ_ONCE(dev->gso_ipv4_max_size);
#endif
	return READ_ONCE(dev->gso_max_size);
}

#endif /* _CLASP_COMPAT_H */
