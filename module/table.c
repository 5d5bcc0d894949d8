// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: who owns which port and which 4-tuple.
 *
 * Three per-namespace structures:
 *  - the bind hash: sockets by local port, for bind() conflicts (TCP's
 *    rules: overlapping addresses conflict unless both sockets set
 *    SO_REUSEADDR and the one already there does not listen) and
 *    ephemeral port choice;
 *  - the connection table: an rhashtable of struct clasp_entry by 4-tuple
 *    holding sockets, half-open requests and compact entries alike, so a
 *    segment finds its connection with one RCU lookup;
 *  - the listen hash: listening sockets by port.
 */
#include <linux/hash.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <net/inet_sock.h>
#include <net/ip.h>

#include "clasp.h"

const struct rhashtable_params clasp_conn_params = {
	.key_len		= sizeof(struct clasp_tuple),
	.key_offset		= offsetof(struct clasp_entry, tuple),
	.head_offset		= offsetof(struct clasp_entry, node),
	.automatic_shrinking	= true,
};

static struct hlist_head *clasp_bind_bucket(struct clasp_net *cn, u16 port)
{
	return &cn->bind_hash[hash_32(port, CLASP_BIND_HASH_BITS)];
}

static struct hlist_head *clasp_listen_bucket(struct clasp_net *cn, u16 port)
{
	return &cn->listen_hash[hash_32(port, CLASP_LISTEN_HASH_BITS)];
}

/**
 * clasp_table_init() - initialise a namespace's tables
 * @cn: the namespace's clasp state
 *
 * Return: 0 or a negative errno.
 */
int clasp_table_init(struct clasp_net *cn)
{
	int i;

	spin_lock_init(&cn->bind_lock);
	spin_lock_init(&cn->listen_lock);
	for (i = 0; i < ARRAY_SIZE(cn->bind_hash); i++)
		INIT_HLIST_HEAD(&cn->bind_hash[i]);
	for (i = 0; i < ARRAY_SIZE(cn->listen_hash); i++)
		INIT_HLIST_HEAD(&cn->listen_hash[i]);
	cn->tw_ports = kvcalloc(1 << 16, sizeof(u32), GFP_KERNEL);
	if (!cn->tw_ports)
		return -ENOMEM;
	if (rhashtable_init(&cn->conns, &clasp_conn_params)) {
		kvfree(cn->tw_ports);
		return -ENOMEM;
	}
	return 0;
}

/**
 * clasp_table_exit() - free a namespace's tables, which must be empty
 * @cn: the namespace's clasp state
 */
void clasp_table_exit(struct clasp_net *cn)
{
	rhashtable_destroy(&cn->conns);
	kvfree(cn->tw_ports);
	cn->tw_ports = NULL;
}

static bool clasp_addrs_overlap(const struct sock *a, const struct sock *b)
{
	__be32 x = a->sk_rcv_saddr, y = b->sk_rcv_saddr;

	if (a->sk_bound_dev_if && b->sk_bound_dev_if &&
	    a->sk_bound_dev_if != b->sk_bound_dev_if)
		return false;
	return !x || !y || x == y;
}

static bool clasp_bind_conflict(const struct sock *sk, const struct sock *other)
{
	if (sk == other || !clasp_addrs_overlap(sk, other))
		return false;
	/* TCP's rule looks at the other socket's state only. */
	if (sk->sk_reuse && other->sk_reuse && other->sk_state != TCP_LISTEN)
		return false;
	return true;
}

static u32 clasp_tw_on_port(struct clasp_net *cn, u16 port)
{
	return cn->tw_ports[port];
}

static bool clasp_port_conflict(struct clasp_net *cn, const struct sock *sk,
				u16 port)
{
	struct sock *other;

	/* TIME_WAIT holds its port against bind() without SO_REUSEADDR. */
	if (!sk->sk_reuse && clasp_tw_on_port(cn, port))
		return true;
	sk_for_each_bound(other, clasp_bind_bucket(cn, port))
		if (other->sk_num == port && clasp_bind_conflict(sk, other))
			return true;
	return false;
}

static bool clasp_port_in_use(struct clasp_net *cn, u16 port)
{
	struct sock *other;

	if (clasp_tw_on_port(cn, port))
		return true;
	sk_for_each_bound(other, clasp_bind_bucket(cn, port))
		if (other->sk_num == port)
			return true;
	return false;
}

static void clasp_bind_add(struct clasp_net *cn, struct sock *sk, u16 port)
{
	sk->sk_num = port;
	sk_add_bind_node(sk, clasp_bind_bucket(cn, port));
}

/**
 * clasp_inherit_port() - a listener's child shares the listener's port
 * @child: the new connection
 * @lsk: its listener
 */
void clasp_inherit_port(struct sock *child, const struct sock *lsk)
{
	struct clasp_net *cn = clasp_pernet(sock_net(lsk));

	spin_lock_bh(&cn->bind_lock);
	clasp_bind_add(cn, child, lsk->sk_num);
	spin_unlock_bh(&cn->bind_lock);
}

/* An ephemeral port no socket uses at all, as TCP prefers for bind(0). */
static int clasp_pick_port(struct clasp_net *cn, struct sock *sk)
{
	int low, high, range, offset, i;

	inet_sk_get_local_port_range(sk, &low, &high);
	range = high - low + 1;
	offset = get_random_u32_below(range);
	for (i = 0; i < range; i++) {
		int port = low + (offset + i) % range;

		if (inet_is_local_reserved_port(cn->net, port))
			continue;
		if (!clasp_port_in_use(cn, port))
			return port;
	}
	return 0;
}

/**
 * clasp_get_port() - bind a socket to a local port (struct proto.get_port)
 * @sk: the socket, locked
 * @snum: the port in host order, or 0 for an ephemeral one
 *
 * Also called again by listen() to re-check a SO_REUSEADDR binding.
 *
 * Return: 0 when bound, -EADDRINUSE when the port is taken.
 */
int clasp_get_port(struct sock *sk, unsigned short snum)
{
	struct clasp_net *cn = clasp_pernet(sock_net(sk));
	int ret = -EADDRINUSE;

	spin_lock_bh(&cn->bind_lock);
	if (!snum)
		snum = clasp_pick_port(cn, sk);
	if (!snum || clasp_port_conflict(cn, sk, snum))
		goto out;
	if (hlist_unhashed(&sk->sk_bind_node))
		clasp_bind_add(cn, sk, snum);
	ret = 0;
out:
	spin_unlock_bh(&cn->bind_lock);
	return ret;
}

/**
 * clasp_put_port() - release a socket's local port
 * @sk: the socket
 */
void clasp_put_port(struct sock *sk)
{
	struct clasp_net *cn = clasp_pernet(sock_net(sk));

	spin_lock_bh(&cn->bind_lock);
	if (!hlist_unhashed(&sk->sk_bind_node)) {
		__sk_del_bind_node(sk);
		sk_node_init(&sk->sk_bind_node);
	}
	spin_unlock_bh(&cn->bind_lock);
	/* As TCP: the number goes, getsockname() still shows the port. */
	sk->sk_num = 0;
}

static void clasp_fill_tuple(const struct sock *sk, struct clasp_tuple *t)
{
	t->laddr = sk->sk_rcv_saddr;
	t->raddr = sk->sk_daddr;
	t->lport = htons(sk->sk_num);
	t->rport = sk->sk_dport;
}

static int clasp_insert(struct clasp_net *cn, struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	int err;

	csk->entry.kind = CLASP_ENTRY_SOCK;
	clasp_fill_tuple(sk, &csk->entry.tuple);
	sock_hold(sk);
	err = rhashtable_lookup_insert_fast(&cn->conns, &csk->entry.node,
					    clasp_conn_params);
	if (err) {
		__sock_put(sk);
		return err;
	}
	csk->hashed = true;
	sock_prot_inuse_add(cn->net, sk->sk_prot, 1);
	return 0;
}

/* A port for connect(): shared by connected sockets, never by bound ones. */
static bool clasp_port_shareable(struct clasp_net *cn, u16 port)
{
	struct sock *other;

	sk_for_each_bound(other, clasp_bind_bucket(cn, port))
		if (other->sk_num == port &&
		    (other->sk_userlocks & SOCK_BINDPORT_LOCK ||
		     other->sk_state == TCP_LISTEN || !other->sk_daddr))
			return false;
	return true;
}

/**
 * clasp_connect_bind() - give a connecting socket a port and a table slot
 * @sk: the socket, locked, with both addresses and the remote port set
 *
 * An unbound socket gets the first ephemeral port (from a random start)
 * whose 4-tuple is free, sharing the port with other connections as TCP
 * does; a bound one keeps its port.
 *
 * Return: 0, or -EADDRNOTAVAIL when no 4-tuple is free.
 */
int clasp_connect_bind(struct sock *sk)
{
	struct clasp_net *cn = clasp_pernet(sock_net(sk));
	int low, high, range, offset, i;

	if (sk->sk_num) {
		if (clasp_insert(cn, sk))
			return -EADDRNOTAVAIL;
		inet_sk(sk)->inet_sport = htons(sk->sk_num);
		return 0;
	}

	inet_sk_get_local_port_range(sk, &low, &high);
	range = high - low + 1;
	offset = get_random_u32_below(range);
	spin_lock_bh(&cn->bind_lock);
	for (i = 0; i < range; i++) {
		int port = low + (offset + i) % range;

		if (inet_is_local_reserved_port(cn->net, port) ||
		    !clasp_port_shareable(cn, port))
			continue;
		sk->sk_num = port;
		if (clasp_insert(cn, sk))
			continue;
		clasp_bind_add(cn, sk, port);
		spin_unlock_bh(&cn->bind_lock);
		inet_sk(sk)->inet_sport = htons(port);
		return 0;
	}
	sk->sk_num = 0;
	spin_unlock_bh(&cn->bind_lock);
	return -EADDRNOTAVAIL;
}

/**
 * clasp_hash_conn() - put a socket with a complete 4-tuple in the table
 * @sk: the socket (a child of a listener)
 *
 * Return: 0 or -EEXIST.
 */
int clasp_hash_conn(struct sock *sk)
{
	return clasp_insert(clasp_pernet(sock_net(sk)), sk);
}

/**
 * clasp_unhash_conn() - take a socket out of the connection table
 * @sk: the socket
 */
void clasp_unhash_conn(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (!csk->hashed)
		return;
	rhashtable_remove_fast(&clasp_pernet(sock_net(sk))->conns,
			       &csk->entry.node, clasp_conn_params);
	csk->hashed = false;
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
	__sock_put(sk);
}

/**
 * clasp_lookup() - find what the table holds for a 4-tuple
 * @cn: the namespace's clasp state
 * @t: the 4-tuple, local side first
 *
 * Context: under rcu_read_lock(); the caller takes its own reference.
 * Return: the entry or NULL.
 */
struct clasp_entry *clasp_lookup(struct clasp_net *cn,
				 const struct clasp_tuple *t)
{
	return rhashtable_lookup(&cn->conns, t, clasp_conn_params);
}

/**
 * clasp_listen_add() - make a bound socket findable as a listener
 * @sk: the socket, locked, in LISTEN
 */
void clasp_listen_add(struct sock *sk)
{
	struct clasp_net *cn = clasp_pernet(sock_net(sk));

	sock_hold(sk);
	spin_lock_bh(&cn->listen_lock);
	hlist_add_head_rcu(&clasp_sk(sk)->listen_node,
			   clasp_listen_bucket(cn, sk->sk_num));
	spin_unlock_bh(&cn->listen_lock);
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
}

/**
 * clasp_listen_del() - stop finding a socket as a listener
 * @sk: the socket, locked
 */
void clasp_listen_del(struct sock *sk)
{
	struct clasp_net *cn = clasp_pernet(sock_net(sk));
	struct clasp_sock *csk = clasp_sk(sk);

	if (hlist_unhashed(&csk->listen_node))
		return;
	spin_lock_bh(&cn->listen_lock);
	hlist_del_init_rcu(&csk->listen_node);
	spin_unlock_bh(&cn->listen_lock);
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
	__sock_put(sk);
}

/**
 * clasp_listen_lookup() - the listener for a segment's local address and
 * port, as it arrived on a device
 * @cn: the namespace's clasp state
 * @addr: local address the segment was sent to
 * @port: local port
 * @dif: index of the device it arrived on (inet_iif())
 * @sdif: index of the L3 slave device it arrived through, 0 if none.
 *	The receive path passes 0: clasp's control block overlays IPCB,
 *	where the slave's index was, so a listener bound to a VRF's slave
 *	device does not hear the segments that came through it.
 *
 * As TCP's listener lookup (compute_score() in inet_hashtables.c): a
 * listener bound to a device (SO_BINDTODEVICE) hears only segments that
 * arrived on it; of the listeners that match, one bound to @addr wins over
 * one bound to the wildcard, then one bound to the device over one that
 * is not.
 *
 * Context: under rcu_read_lock().
 * Return: the listener with a reference taken, or NULL.
 */
struct sock *clasp_listen_lookup(struct clasp_net *cn, __be32 addr,
				 __be16 port, int dif, int sdif)
{
	u16 hport = ntohs(port);
	struct clasp_sock *csk;
	struct sock *best = NULL;
	int best_score = 0;

	hlist_for_each_entry_rcu(csk, clasp_listen_bucket(cn, hport),
				 listen_node) {
		struct sock *sk = &csk->inet.sk;
		int bound = READ_ONCE(sk->sk_bound_dev_if), score;

		if (sk->sk_num != hport)
			continue;
		if (sk->sk_rcv_saddr && sk->sk_rcv_saddr != addr)
			continue;
		if (!inet_sk_bound_dev_eq(cn->net, bound, dif, sdif))
			continue;
		score = (sk->sk_rcv_saddr ? 4 : 0) + (bound ? 2 : 1);
		if (score > best_score) {
			best = sk;
			best_score = score;
		}
	}
	if (best && !refcount_inc_not_zero(&best->sk_refcnt))
		best = NULL;
	return best;
}

/**
 * clasp_tw_port_add() - count a compact entry on a local port
 * @cn: the namespace's clasp state
 * @port: local port, host order
 */
void clasp_tw_port_add(struct clasp_net *cn, u16 port)
{
	spin_lock_bh(&cn->bind_lock);
	cn->tw_ports[port]++;
	spin_unlock_bh(&cn->bind_lock);
}

/**
 * clasp_tw_port_del() - uncount a compact entry on a local port
 * @cn: the namespace's clasp state
 * @port: local port, host order
 */
void clasp_tw_port_del(struct clasp_net *cn, u16 port)
{
	spin_lock_bh(&cn->bind_lock);
	if (!WARN_ON_ONCE(!cn->tw_ports[port]))
		cn->tw_ports[port]--;
	spin_unlock_bh(&cn->bind_lock);
}
