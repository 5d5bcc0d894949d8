// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: limits on what connections may hold in aggregate.
 *
 * Orphans, sockets that close() handed to the kernel while they still
 * send their data and FIN, are counted per namespace.  Past max_orphans,
 * a socket that close() would orphan is reset instead (AbortOnMemory),
 * as TCP does beyond tcp_max_orphans (tcp_check_oom()): nobody waits on
 * it, and each one holds its unsent data until its retries run out.
 *
 * Memory, below, is bounded for the whole protocol, as TCP's tcp_mem.
 */
#include <linux/memcontrol.h>
#include <linux/moduleparam.h>
#include <linux/percpu_counter.h>
#include <net/inet_common.h>
#include <net/sock.h>

#include <net/ipv6.h>

#include "clasp.h"

/**
 * clasp_orphan_add() - count a socket that close() orphaned
 * @sk: the socket, locked, orphaned and not CLOSED
 *
 * Return: true when the namespace holds more orphans than max_orphans,
 * this one included: the caller resets it.
 */
bool clasp_orphan_add(struct sock *sk)
{
	struct clasp_net *cn = clasp_pernet(sock_net(sk));
	int n = atomic_inc_return(&cn->orphans);

	clasp_sk(sk)->orphan_counted = true;
	if (n <= READ_ONCE(cn->tun.max_orphans))
		return false;
	net_info_ratelimited("clasp: too many orphaned sockets\n");
	return true;
}

/**
 * clasp_orphan_del() - a counted orphan is being freed
 * @sk: the socket
 */
void clasp_orphan_del(struct sock *sk)
{
	if (!clasp_sk(sk)->orphan_counted)
		return;
	clasp_sk(sk)->orphan_counted = false;
	atomic_dec(&clasp_pernet(sock_net(sk))->orphans);
}

/*
 * Memory.  Every socket's buffers are charged, page by page, to clasp's
 * protocol pool (struct proto's memory_allocated, as tcp_mem counts TCP's)
 * and to the memory cgroup of the socket's owner.  The pool has TCP's
 * three limits, in pages and global as tcp_mem is: up to mem_min_pages
 * nothing is refused; past mem_pressure_pages clasp is under pressure
 * (windows stop growing, send buffers shrink) until usage falls back
 * under mem_min_pages; past mem_max_pages new charges fail: received
 * segments are dropped (RcvQDrops) and writers wait.  A socket whose
 * queue is empty may still take one buffer, as TCP's forced charges do,
 * so that every connection keeps moving.
 */
static atomic_long_t clasp_memory_allocated = ATOMIC_LONG_INIT(0);
static DEFINE_PER_CPU(int, clasp_memory_fw_alloc);
static unsigned long clasp_memory_pressure;
static struct percpu_counter clasp_sockets_allocated;

/* TCP's minimum buffers: what a socket may hold even under pressure. */
static int clasp_rmem[3] = { 4096, 131072, 6291456 };
static int clasp_wmem[3] = { 4096, 16384, 4194304 };

long clasp_sysctl_mem[3];

static int clasp_mem_param_set(const char *val, const struct kernel_param *kp)
{
	unsigned long pages;
	int err = kstrtoul(val, 0, &pages);

	if (err)
		return err;
	if (pages < 1 || pages > CLASP_MEM_PAGES_MAX)
		return -ERANGE;
	WRITE_ONCE(*(long *)kp->arg, pages);
	return 0;
}

static const struct kernel_param_ops clasp_mem_param_ops = {
	.set = clasp_mem_param_set,
	.get = param_get_long,
};

/* The pool's limits themselves, not defaults: global, as tcp_mem. */
module_param_cb(mem_min_pages, &clasp_mem_param_ops, &clasp_sysctl_mem[0], 0644);
MODULE_PARM_DESC(mem_min_pages, "global: below it no memory pressure (pages)");
module_param_cb(mem_pressure_pages, &clasp_mem_param_ops, &clasp_sysctl_mem[1], 0644);
MODULE_PARM_DESC(mem_pressure_pages, "global: past it, memory pressure (pages)");
module_param_cb(mem_max_pages, &clasp_mem_param_ops, &clasp_sysctl_mem[2], 0644);
MODULE_PARM_DESC(mem_max_pages, "global: past it, new buffers are refused (pages)");

static void clasp_enter_memory_pressure(struct sock *sk)
{
	if (READ_ONCE(clasp_memory_pressure))
		return;
	if (!cmpxchg(&clasp_memory_pressure, 0, 1))
		clasp_sk_stats_inc(sk, CLASP_MIB_MEMORYPRESSURES);
}

static void clasp_leave_memory_pressure(struct sock *sk)
{
	if (READ_ONCE(clasp_memory_pressure))
		WRITE_ONCE(clasp_memory_pressure, 0);
}

/**
 * clasp_under_memory_pressure() - is the protocol pool under pressure?
 *
 * Return: true past mem_pressure_pages, until usage is under
 * mem_min_pages again.
 */
bool clasp_under_memory_pressure(void)
{
	return READ_ONCE(clasp_memory_pressure);
}

/**
 * clasp_mem_pages() - pages charged to the protocol pool now
 *
 * Return: the count (each CPU may hold a small reserve not yet in it).
 */
long clasp_mem_pages(void)
{
	return max(atomic_long_read(&clasp_memory_allocated), 0L);
}

/**
 * clasp_wmem_schedule() - may @skb join the write queue?
 * @sk: the socket, locked
 * @skb: the new buffer, not yet queued
 *
 * Memory comes from the socket's reserve, else from the pool.  A socket
 * with nothing queued always may (TCP's forced charge): it must be able
 * to make progress whatever the others hold.
 *
 * Return: true if the caller may queue it (clasp_wmem_queue()).
 */
bool clasp_wmem_schedule(struct sock *sk, struct sk_buff *skb)
{
	return sk_wmem_schedule(sk, skb->truesize) ||
	       skb_queue_empty(&sk->sk_write_queue);
}

/**
 * clasp_wmem_queue() - charge a buffer that joins the write queue
 * @sk: the socket, locked
 * @skb: the buffer
 *
 * A buffer that must be queued whatever the pool says (a FIN, the tail
 * of a split segment) is charged all the same: what the pool did not
 * grant is the socket's debt, paid by its next charge or when the
 * buffer is freed.
 */
void clasp_wmem_queue(struct sock *sk, struct sk_buff *skb)
{
	sk_wmem_schedule(sk, skb->truesize);
	sk_wmem_queued_add(sk, skb->truesize);
	sk_mem_charge(sk, skb->truesize);
}

/**
 * clasp_wmem_free() - free a buffer taken off the write queue
 * @sk: the socket, locked
 * @skb: the buffer, unlinked
 */
void clasp_wmem_free(struct sock *sk, struct sk_buff *skb)
{
	sk_wmem_queued_add(sk, -skb->truesize);
	sk_mem_uncharge(sk, skb->truesize);
	consume_skb(skb);
}

/**
 * clasp_rmem_schedule() - may @skb join the receive queue?
 * @sk: the socket, locked
 * @skb: the buffer
 *
 * As clasp_wmem_schedule(): from the reserve or the pool, and always
 * into an empty queue.  skb_set_owner_r() then charges it.
 *
 * Return: true if it may.
 */
bool clasp_rmem_schedule(struct sock *sk, struct sk_buff *skb)
{
	return sk_rmem_schedule(sk, skb, skb->truesize) ||
	       skb_queue_empty(&sk->sk_receive_queue);
}

static void clasp_sock_destruct(struct sock *sk)
{
	clasp_rtxq_free(sk);
	sk_sockets_allocated_dec(sk);
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		inet6_sock_destruct(sk);
		return;
	}
#endif
	inet_sock_destruct(sk);
}

/**
 * clasp_mem_sock_init() - account a socket that socket() created
 * @sk: the socket
 *
 * Clones of listeners are counted by sk_clone_lock() and inherit the
 * destructor.
 */
void clasp_mem_sock_init(struct sock *sk)
{
	sk_sockets_allocated_inc(sk);
	sk->sk_destruct = clasp_sock_destruct;
}

/**
 * clasp_mem_child_init() - charge a listener's new child where the
 * listener is charged
 * @lsk: the listener
 * @child: its fresh clone, not yet visible to anyone
 *
 * sk_clone_lock() leaves the child without a memory cgroup; TCP gives it
 * the accepting task's at accept().  A clasp child is charged from its
 * first segment on, in softirq, so it takes the listener's cgroup: the
 * cgroup of the program that listens, as a rule the one that accepts.
 */
void clasp_mem_child_init(const struct sock *lsk, struct sock *child)
{
#ifdef CONFIG_MEMCG
	if (mem_cgroup_sockets_enabled && lsk->sk_memcg) {
		css_get(&lsk->sk_memcg->css);
		child->sk_memcg = lsk->sk_memcg;
	}
#endif
}

/**
 * clasp_mem_clone_discard() - undo what sk_clone_lock() counted, for a
 * clone freed raw with sk_free_unlock_clone() (which skips destructors)
 * @child: the clone
 */
void clasp_mem_clone_discard(struct sock *child)
{
	sk_sockets_allocated_dec(child);
}

/**
 * clasp_mem_init() - give the protocol its memory pool, before it is
 * registered
 * @prot: clasp's struct proto
 *
 * The limits start where TCP's do (tcp_init_mem()): a sixteenth of the
 * memory buffers may use.
 *
 * Return: 0 or a negative errno.
 */
int clasp_mem_init(struct proto *prot)
{
	unsigned long limit = max(nr_free_buffer_pages() / 16, 128UL);
	int err;

	err = percpu_counter_init(&clasp_sockets_allocated, 0, GFP_KERNEL);
	if (err)
		return err;
	clasp_sysctl_mem[0] = limit / 4 * 3;
	clasp_sysctl_mem[1] = limit;
	clasp_sysctl_mem[2] = clasp_sysctl_mem[0] * 2;
	prot->memory_allocated = &clasp_memory_allocated;
	prot->per_cpu_fw_alloc = &clasp_memory_fw_alloc;
	prot->memory_pressure = &clasp_memory_pressure;
	prot->enter_memory_pressure = clasp_enter_memory_pressure;
	prot->leave_memory_pressure = clasp_leave_memory_pressure;
	prot->sockets_allocated = &clasp_sockets_allocated;
	prot->sysctl_mem = clasp_sysctl_mem;
	prot->sysctl_rmem = clasp_rmem;
	prot->sysctl_wmem = clasp_wmem;
	return 0;
}

/**
 * clasp_mem_exit() - free the pool's counters, once every socket is gone
 */
void clasp_mem_exit(void)
{
	percpu_counter_destroy(&clasp_sockets_allocated);
}
