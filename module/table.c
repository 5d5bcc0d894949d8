// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: who owns which port and which 4-tuple.
 *
 * Three per-namespace structures:
 *  - the bind table: an rhashtable of one bucket per local port in use
 *    (struct clasp_bind_bucket, sized by what is in use), for bind()
 *    conflicts (TCP's rules: overlapping addresses conflict unless both
 *    sockets set SO_REUSEADDR and the one already there does not listen,
 *    or both set SO_REUSEPORT and belong to the same user) and ephemeral
 *    port choice in O(1) per port;
 *  - the connection table: an rhashtable of struct clasp_entry by 4-tuple
 *    holding sockets, half-open requests and compact entries alike, so a
 *    segment finds its connection with one RCU lookup;
 *  - the listen hash: listening sockets by port.  Listeners on one
 *    address, port and device that set SO_REUSEPORT form a group (the
 *    kernel's struct sock_reuseport, as TCP's do); a SYN goes to the
 *    member a hash of its 4-tuple picks, or the group's BPF program.
 */
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/sock_reuseport.h>

#include "clasp.h"

/* The connection tables, one per family: their keys differ in length. */
static const struct rhashtable_params clasp_conn_params = {
	.key_len		= CLASP_TUPLE4_LEN,
	.key_offset		= offsetof(struct clasp_entry, tuple),
	.head_offset		= offsetof(struct clasp_entry, node),
	.automatic_shrinking	= true,
};

static const struct rhashtable_params clasp_conn6_params = {
	.key_len		= CLASP_TUPLE6_LEN,
	.key_offset		= offsetof(struct clasp_entry, tuple),
	.head_offset		= offsetof(struct clasp_entry, node),
	.automatic_shrinking	= true,
};

/**
 * struct clasp_bind_bucket - one local port in use, as TCP's
 * inet_bind_bucket
 * @node: linkage in the namespace's bind table
 * @port: the port, host order (the key)
 * @bound: a socket took the port with bind() (or an autobind), which
 *	connect()'s search of ephemeral ports then passes by for as long
 *	as the bucket lives, as TCP's __inet_hash_connect() passes by a
 *	bucket whose fastreuse is set
 * @tw_addrs: the local addresses of the compact entries (TIME_WAIT,
 *	FIN_WAIT_2) on the port, struct clasp_tw_addr
 * @owners: sockets holding the port: bound, listening, connected, and a
 *	listener's children, which take their listener's bucket
 *	(clasp_inherit_port()) and are never looked for by port
 * @rcu: deferred free (the table is an rhashtable)
 *
 * A bucket exists while a socket or compact entry holds its port, so a
 * port without one is free, found in one lookup.
 */
struct clasp_bind_bucket {
	struct rhash_head node;
	u16 port;
	bool bound;
	struct hlist_head tw_addrs;
	struct hlist_head owners;
	struct rcu_head rcu;
};

/**
 * struct clasp_tw_addr - the compact entries of one local address and port
 * @node: linkage in the bucket's @tw_addrs
 * @v6: an IPv6 address (@addr6), else IPv4 (@addr)
 * @nr: the entries
 * @nr_noreuse: those whose socket had no SO_REUSEADDR
 * @addr: the IPv4 address
 * @addr6: the IPv6 address
 *
 * TCP's bind() looks at each TIME_WAIT socket on a port: its address and
 * whether it had SO_REUSEADDR.  Entries of one address behave alike, so
 * they are counted together; a port has few addresses.
 */
struct clasp_tw_addr {
	struct hlist_node node;
	bool v6;
	u32 nr;
	u32 nr_noreuse;
	union {
		__be32 addr;
		struct in6_addr addr6;
	};
};

static const struct rhashtable_params clasp_bind_params = {
	.key_len		= sizeof(u16),
	.key_offset		= offsetof(struct clasp_bind_bucket, port),
	.head_offset		= offsetof(struct clasp_bind_bucket, node),
	.automatic_shrinking	= true,
};

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
	for (i = 0; i < ARRAY_SIZE(cn->listen_hash); i++)
		INIT_HLIST_HEAD(&cn->listen_hash[i]);
	if (rhashtable_init(&cn->bind_table, &clasp_bind_params))
		return -ENOMEM;
	if (rhashtable_init(&cn->conns, &clasp_conn_params))
		goto out_bind;
	if (rhashtable_init(&cn->conns6, &clasp_conn6_params))
		goto out_conns;
	return 0;

out_conns:
	rhashtable_destroy(&cn->conns);
out_bind:
	rhashtable_destroy(&cn->bind_table);
	return -ENOMEM;
}

/**
 * clasp_table_exit() - free a namespace's tables, which must be empty
 * @cn: the namespace's clasp state
 */
void clasp_table_exit(struct clasp_net *cn)
{
	rhashtable_destroy(&cn->conns6);
	rhashtable_destroy(&cn->conns);
	WARN_ON_ONCE(atomic_read(&cn->bind_table.nelems));
	rhashtable_destroy(&cn->bind_table);
}

/* The bucket of @port, or NULL.  Caller holds bind_lock. */
static struct clasp_bind_bucket *clasp_bind_find(struct clasp_net *cn, u16 port)
{
	return rhashtable_lookup_fast(&cn->bind_table, &port, clasp_bind_params);
}

/* A bucket for @port from @spare (which it consumes).  Holds bind_lock. */
static struct clasp_bind_bucket *
clasp_bind_create(struct clasp_net *cn, u16 port, struct clasp_bind_bucket **spare)
{
	struct clasp_bind_bucket *b = *spare;

	if (!b)
		b = kmalloc(sizeof(*b), GFP_ATOMIC);
	if (!b)
		return NULL;
	b->port = port;
	b->bound = false;
	INIT_HLIST_HEAD(&b->tw_addrs);
	INIT_HLIST_HEAD(&b->owners);
	if (rhashtable_insert_fast(&cn->bind_table, &b->node, clasp_bind_params)) {
		if (b != *spare)
			kfree(b);
		return NULL;
	}
	*spare = NULL;
	return b;
}

/* Free @b once nothing holds its port.  Caller holds bind_lock. */
static void clasp_bind_maybe_free(struct clasp_net *cn, struct clasp_bind_bucket *b)
{
	if (!hlist_empty(&b->tw_addrs) || !hlist_empty(&b->owners))
		return;
	rhashtable_remove_fast(&cn->bind_table, &b->node, clasp_bind_params);
	kfree_rcu(b, rcu);
}

/*
 * What a socket is bound to, as TCP's bind rules tell addresses apart: an
 * AF_INET6 socket bound to a v4-mapped address is bound to IPv4's.
 */
enum clasp_bound {
	CLASP_BOUND_ANY4,	/* 0.0.0.0 */
	CLASP_BOUND_ADDR4,	/* one IPv4 address */
	CLASP_BOUND_ANY,	/* ::, both families */
	CLASP_BOUND_ANY6,	/* :: with IPV6_V6ONLY */
	CLASP_BOUND_ADDR6,	/* one IPv6 address */
};

static enum clasp_bound clasp_bound_of(const struct sock *sk)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		const struct in6_addr *a = &sk->sk_v6_rcv_saddr;

		if (ipv6_addr_any(a))
			return ipv6_only_sock(sk) ? CLASP_BOUND_ANY6 :
						    CLASP_BOUND_ANY;
		if (!ipv6_addr_v4mapped(a))
			return CLASP_BOUND_ADDR6;
	}
#endif
	return sk->sk_rcv_saddr ? CLASP_BOUND_ADDR4 : CLASP_BOUND_ANY4;
}

static bool clasp_same_addr6(const struct sock *a, const struct sock *b)
{
#if IS_ENABLED(CONFIG_IPV6)
	return ipv6_addr_equal(&a->sk_v6_rcv_saddr, &b->sk_v6_rcv_saddr);
#else
	return false;
#endif
}

/* Do @a's and @b's bound addresses overlap?  TCP's inet_rcv_saddr_equal(). */
static bool clasp_bound_overlap(const struct sock *a, const struct sock *b)
{
	enum clasp_bound x = clasp_bound_of(a), y = clasp_bound_of(b);

	if (x > y)
		swap(x, y);
	switch (x) {
	case CLASP_BOUND_ANY4:
		return y <= CLASP_BOUND_ANY;
	case CLASP_BOUND_ADDR4:
		return y == CLASP_BOUND_ANY ||
		       (y == CLASP_BOUND_ADDR4 &&
			a->sk_rcv_saddr == b->sk_rcv_saddr);
	case CLASP_BOUND_ANY:
		return true;
	case CLASP_BOUND_ANY6:
		return true;	/* y is ANY6 or ADDR6 */
	case CLASP_BOUND_ADDR6:
		return clasp_same_addr6(a, b);
	}
	return true;
}

static bool clasp_addrs_overlap(const struct sock *a, const struct sock *b)
{
	if (a->sk_bound_dev_if && b->sk_bound_dev_if &&
	    a->sk_bound_dev_if != b->sk_bound_dev_if)
		return false;
	return clasp_bound_overlap(a, b);
}

/* Bound to the wildcard of its family (SO_REUSEPORT groups' "any"). */
static bool clasp_bound_any(const struct sock *sk)
{
	enum clasp_bound b = clasp_bound_of(sk);

	return b != CLASP_BOUND_ADDR4 && b != CLASP_BOUND_ADDR6;
}

/* Bound to the same address, family and IPV6_V6ONLY alike. */
static bool clasp_bound_same(const struct sock *a, const struct sock *b)
{
	enum clasp_bound x = clasp_bound_of(a);

	if (x != clasp_bound_of(b))
		return false;
	if (x == CLASP_BOUND_ADDR4)
		return a->sk_rcv_saddr == b->sk_rcv_saddr;
	return x != CLASP_BOUND_ADDR6 || clasp_same_addr6(a, b);
}

static bool clasp_bind_conflict(const struct sock *sk, const struct sock *other)
{
	if (sk == other || !clasp_addrs_overlap(sk, other))
		return false;
	/* TCP's rule looks at the other socket's state only. */
	if (sk->sk_reuse && other->sk_reuse && other->sk_state != TCP_LISTEN)
		return false;
	/* One user's sockets may share a port; a group is joined once. */
	if (sk->sk_reuseport && other->sk_reuseport &&
	    !rcu_access_pointer(sk->sk_reuseport_cb) &&
	    uid_eq(sock_i_uid((struct sock *)sk),
		   sock_i_uid((struct sock *)other)))
		return false;
	return true;
}

/* Does @sk's bound address overlap the compact entries' address @a? */
static bool clasp_tw_addr_overlap(const struct sock *sk,
				  const struct clasp_tw_addr *a)
{
	switch (clasp_bound_of(sk)) {
	case CLASP_BOUND_ANY:
		return true;
	case CLASP_BOUND_ANY4:
		return !a->v6;
	case CLASP_BOUND_ADDR4:
		return !a->v6 && a->addr == sk->sk_rcv_saddr;
	case CLASP_BOUND_ANY6:
		return a->v6;
	case CLASP_BOUND_ADDR6:
#if IS_ENABLED(CONFIG_IPV6)
		return a->v6 && ipv6_addr_equal(&a->addr6, &sk->sk_v6_rcv_saddr);
#else
		return false;
#endif
	}
	return true;
}

/*
 * A compact entry holds its address and port against bind() as TCP's
 * TIME_WAIT socket does: unless both it and @sk have SO_REUSEADDR.
 */
static bool clasp_tw_conflict(const struct clasp_bind_bucket *b,
			      const struct sock *sk)
{
	const struct clasp_tw_addr *a;

	hlist_for_each_entry(a, &b->tw_addrs, node)
		if ((sk->sk_reuse ? a->nr_noreuse : a->nr) &&
		    clasp_tw_addr_overlap(sk, a))
			return true;
	return false;
}

static bool clasp_port_conflict(const struct clasp_bind_bucket *b,
				const struct sock *sk)
{
	struct sock *other;

	if (!b)
		return false;
	if (clasp_tw_conflict(b, sk))
		return true;
	sk_for_each_bound(other, &b->owners)
		if (clasp_bind_conflict(sk, other))
			return true;
	return false;
}

static void clasp_bind_add(struct clasp_bind_bucket *b, struct sock *sk)
{
	sk->sk_num = b->port;
	sk_add_bind_node(sk, &b->owners);
}

/**
 * clasp_inherit_port() - a listener's child shares the listener's port
 * @child: the new connection
 * @lsk: its listener
 *
 * The child hangs on the listener's bucket: it is found when the port's
 * owners are checked for bind(), never looked for by port.
 */
void clasp_inherit_port(struct sock *child, const struct sock *lsk)
{
	struct clasp_net *cn = clasp_pernet(sock_net(lsk));
	struct clasp_bind_bucket *b;

	spin_lock_bh(&cn->bind_lock);
	b = clasp_bind_find(cn, lsk->sk_num);
	if (!WARN_ON_ONCE(!b))
		clasp_bind_add(b, child);
	else
		child->sk_num = lsk->sk_num;
	spin_unlock_bh(&cn->bind_lock);
}

/*
 * An ephemeral port no socket or entry uses at all, as TCP prefers for
 * bind(0): the first from a random start without a bucket.
 */
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
		if (!clasp_bind_find(cn, port))
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
 * Context: process context (bind(), listen(), autobind).
 * Return: 0 when bound, -EADDRINUSE when the port is taken.
 */
int clasp_get_port(struct sock *sk, unsigned short snum)
{
	struct clasp_net *cn = clasp_pernet(sock_net(sk));
	struct clasp_bind_bucket *spare, *b;
	int ret = -EADDRINUSE;

	spare = kmalloc(sizeof(*spare), GFP_KERNEL);
	spin_lock_bh(&cn->bind_lock);
	if (!snum)
		snum = clasp_pick_port(cn, sk);
	if (!snum)
		goto out;
	b = clasp_bind_find(cn, snum);
	if (clasp_port_conflict(b, sk))
		goto out;
	if (hlist_unhashed(&sk->sk_bind_node)) {
		if (!b)
			b = clasp_bind_create(cn, snum, &spare);
		if (!b)
			goto out;
		/* As inet_csk_update_fastreuse() sets fastreuse. */
		if (hlist_empty(&b->owners) || !sk->sk_reuse)
			b->bound = true;
		clasp_bind_add(b, sk);
	}
	ret = 0;
out:
	spin_unlock_bh(&cn->bind_lock);
	kfree(spare);
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
		struct clasp_bind_bucket *b = clasp_bind_find(cn, sk->sk_num);

		__sk_del_bind_node(sk);
		sk_node_init(&sk->sk_bind_node);
		if (!WARN_ON_ONCE(!b))
			clasp_bind_maybe_free(cn, b);
	}
	spin_unlock_bh(&cn->bind_lock);
	/* As TCP: the number goes, getsockname() still shows the port. */
	sk->sk_num = 0;
}

static int clasp_insert(struct clasp_net *cn, struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);
	int err;

	csk->entry.kind = CLASP_ENTRY_SOCK;
	clasp_sock_tuple(sk, &csk->entry);
	sock_hold(sk);
	err = clasp_table_insert(cn, &csk->entry);
	if (err) {
		__sock_put(sk);
		return err;
	}
	csk->hashed = true;
	sock_prot_inuse_add(cn->net, sk->sk_prot, 1);
	return 0;
}

/*
 * connect() met an entry on @sk's 4-tuple: if it is a compact entry that
 * may be reused (clasp_tw_reusable()), @sk takes its place in the table,
 * and *@tw tells the caller to end it.  Under rcu_read_lock() and
 * bind_lock, @sk's key set by a clasp_insert() that failed.
 */
static bool clasp_insert_over_tw(struct clasp_net *cn, struct sock *sk,
				 bool bound, struct clasp_tw **tw)
{
	struct clasp_sock *csk = clasp_sk(sk);
	struct clasp_entry *e = clasp_lookup(cn, &csk->entry);
	struct clasp_tw *old;

	if (!e || e->kind != CLASP_ENTRY_TW)
		return false;
	old = container_of(e, struct clasp_tw, entry);
	if (!clasp_tw_reusable(cn, old, bound))
		return false;
	sock_hold(sk);
	if (clasp_table_replace(cn, e, &csk->entry)) {
		/* Reaped meanwhile: the 4-tuple may be free now. */
		__sock_put(sk);
		return !clasp_insert(cn, sk);
	}
	csk->hashed = true;
	sock_prot_inuse_add(cn->net, sk->sk_prot, 1);
	*tw = old;
	return true;
}

/*
 * Put @sk in the table with the port it has, over a reusable compact
 * entry if one holds its 4-tuple; @bound: the port was the socket's
 * before connect().
 */
static bool clasp_insert_connecting(struct clasp_net *cn, struct sock *sk,
				    bool bound, struct clasp_tw **tw)
{
	return !clasp_insert(cn, sk) ||
	       clasp_insert_over_tw(cn, sk, bound, tw);
}

/*
 * May connect() share @b's port?  Only with connected sockets that did
 * not bind it: the first owner that bound it (or listens, or is a child
 * of a listener that bound it) answers no.
 */
static bool clasp_port_shareable(const struct clasp_bind_bucket *b)
{
	struct sock *other;

	sk_for_each_bound(other, &b->owners)
		if (other->sk_userlocks & SOCK_BINDPORT_LOCK ||
		    other->sk_state == TCP_LISTEN || !other->sk_daddr)
			return false;
	return true;
}

/*
 * The port search of clasp_connect_bind(), under bind_lock: 0 with
 * @sk's port set and @sk in the table, or -EADDRNOTAVAIL.
 */
static int clasp_connect_port(struct clasp_net *cn, struct sock *sk,
			      struct clasp_bind_bucket **spare,
			      struct clasp_tw **tw)
{
	struct clasp_bind_bucket *b;
	int low, high, range, offset, i;

	inet_sk_get_local_port_range(sk, &low, &high);
	range = high - low + 1;
	offset = get_random_u32_below(range);
	for (i = 0; i < range; i++) {
		int port = low + (offset + i) % range;

		if (inet_is_local_reserved_port(cn->net, port))
			continue;
		b = clasp_bind_find(cn, port);
		if (b && (b->bound || !clasp_port_shareable(b)))
			continue;
		if (!b)
			b = clasp_bind_create(cn, port, spare);
		if (!b)
			break;
		sk->sk_num = port;
		if (!clasp_insert_connecting(cn, sk, false, tw)) {
			clasp_bind_maybe_free(cn, b);
			continue;
		}
		clasp_bind_add(b, sk);
		return 0;
	}
	sk->sk_num = 0;
	return -EADDRNOTAVAIL;
}

/**
 * clasp_connect_bind() - give a connecting socket a port and a table slot
 * @sk: the socket, locked, with both addresses and the remote port set
 * @iss: set to the initial sequence number the connection must use, or 0
 *	for one of its own (clasp_isn())
 *
 * An unbound socket gets the first ephemeral port from a random start
 * that no bound socket holds and whose 4-tuple is free, sharing the port
 * with other connections as TCP's __inet_hash_connect() does.  Each port
 * costs one bucket lookup and, when shareable, one connection-table
 * insertion that fails if the 4-tuple is taken: O(1) on average while
 * free 4-tuples are common.  A bound socket keeps its port.
 *
 * A 4-tuple held by a compact entry that clasp_tw_reusable() allows is
 * free too: the socket takes the entry's place and, as TCP's
 * tcp_twsk_unique(), starts its sequence space 65537 past the old
 * connection's snd_nxt, beyond any window of it.  TSvals need nothing:
 * their offset comes from the 4-tuple, so they go on from the old ones.
 *
 * Context: process context (connect()).
 * Return: 0, or -EADDRNOTAVAIL when no 4-tuple is free.
 */
int clasp_connect_bind(struct sock *sk, u32 *iss)
{
	struct clasp_net *cn = clasp_pernet(sock_net(sk));
	struct clasp_bind_bucket *spare = NULL;
	struct clasp_tw *tw = NULL;
	int err = 0;

	if (!sk->sk_num)
		spare = kmalloc(sizeof(*spare), GFP_KERNEL);
	rcu_read_lock();
	spin_lock_bh(&cn->bind_lock);
	if (!sk->sk_num)
		err = clasp_connect_port(cn, sk, &spare, &tw);
	else if (!clasp_insert_connecting(cn, sk, true, &tw))
		err = -EADDRNOTAVAIL;
	spin_unlock_bh(&cn->bind_lock);
	*iss = tw ? clasp_tw_recycle(cn, tw) : 0;
	rcu_read_unlock();
	kfree(spare);
	if (!err)
		inet_sk(sk)->inet_sport = htons(sk->sk_num);
	return err;
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
	clasp_table_remove(clasp_pernet(sock_net(sk)), &csk->entry);
	csk->hashed = false;
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
	__sock_put(sk);
}

/**
 * clasp_lookup() - find what the table holds for a 4-tuple
 * @cn: the namespace's clasp state
 * @k: the key: its 4-tuple, local side first, and family
 *
 * Context: under rcu_read_lock(); the caller takes its own reference.
 * Return: the entry or NULL.
 */
struct clasp_entry *clasp_lookup(struct clasp_net *cn,
				 const struct clasp_entry *k)
{
	if (clasp_key_v6(k))
		return rhashtable_lookup(&cn->conns6, &k->tuple,
					 clasp_conn6_params);
	return rhashtable_lookup(&cn->conns, &k->tuple, clasp_conn_params);
}

/**
 * clasp_table_insert() - put an entry in its family's connection table
 * @cn: the namespace's clasp state
 * @e: the entry, its key and CLASP_EF_V6 set
 *
 * Return: 0, -EEXIST when the 4-tuple is taken, or the table's error.
 */
int clasp_table_insert(struct clasp_net *cn, struct clasp_entry *e)
{
	if (clasp_key_v6(e))
		return rhashtable_lookup_insert_fast(&cn->conns6, &e->node,
						     clasp_conn6_params);
	return rhashtable_lookup_insert_fast(&cn->conns, &e->node,
					     clasp_conn_params);
}

/**
 * clasp_table_remove() - take an entry out of its connection table
 * @cn: the namespace's clasp state
 * @e: the entry, in the table
 */
void clasp_table_remove(struct clasp_net *cn, struct clasp_entry *e)
{
	if (clasp_key_v6(e))
		rhashtable_remove_fast(&cn->conns6, &e->node,
				       clasp_conn6_params);
	else
		rhashtable_remove_fast(&cn->conns, &e->node,
				       clasp_conn_params);
}

/**
 * clasp_table_replace() - put an entry in another's place, atomically for
 * readers
 * @cn: the namespace's clasp state
 * @old: the entry in the table
 * @new: the entry with the same key that takes its place
 *
 * Return: 0, or -ENOENT when @old is no longer there.
 */
int clasp_table_replace(struct clasp_net *cn, struct clasp_entry *old,
			struct clasp_entry *new)
{
	if (clasp_key_v6(old))
		return rhashtable_replace_fast(&cn->conns6, &old->node,
					       &new->node, clasp_conn6_params);
	return rhashtable_replace_fast(&cn->conns, &old->node, &new->node,
				       clasp_conn_params);
}

/**
 * clasp_key_sockaddr() - one end of a key as a socket address
 * @k: the key
 * @local: the local end, else the remote one
 * @out: CLASP_SOCKADDR_LEN bytes: a struct sockaddr_in or sockaddr_in6
 */
void clasp_key_sockaddr(const struct clasp_entry *k, bool local, void *out)
{
	memset(out, 0, CLASP_SOCKADDR_LEN);
	if (clasp_key_v6(k)) {
		struct sockaddr_in6 *sin6 = out;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = local ? k->tuple.lport : k->tuple.rport;
		sin6->sin6_addr = local ? k->tuple.laddr6 : k->tuple.raddr6;
	} else {
		struct sockaddr_in *sin = out;

		sin->sin_family = AF_INET;
		sin->sin_port = local ? k->tuple.lport : k->tuple.rport;
		sin->sin_addr.s_addr = local ? k->tuple.laddr : k->tuple.raddr;
	}
}

/* A reference on a socket or request; false when its last one went. */
static bool clasp_entry_get(struct clasp_entry *e)
{
	switch (e->kind) {
	case CLASP_ENTRY_SOCK:
		return refcount_inc_not_zero(&container_of(e, struct clasp_sock,
							   entry)->inet.sk.sk_refcnt);
	case CLASP_ENTRY_REQ:
		return refcount_inc_not_zero(&container_of(e, struct clasp_request,
							   entry)->refcnt);
	}
	return true;	/* a compact entry: no reference to take */
}

/**
 * clasp_lookup_live() - find what holds a 4-tuple, alive
 * @cn: the namespace's clasp state
 * @k: the key: its 4-tuple, local side first, and family
 *
 * A socket or request whose last reference went while we looked has left
 * the table already (the table holds a reference while it holds the
 * entry), and whatever took its place was in the table before it left:
 * a TIME_WAIT or FIN_WAIT_2 entry for a socket (clasp_time_wait()), a
 * socket for a request (clasp_req_complete()), each put in its slot by
 * one rhashtable_replace_fast().  So such an entry means "look again",
 * never "nobody": on another CPU, the socket's last segment can move it
 * to TIME_WAIT and free it between the lookup and the reference.
 *
 * Context: under rcu_read_lock().
 * Return: NULL when nothing holds @t; else a socket (CLASP_ENTRY_SOCK)
 * or request (CLASP_ENTRY_REQ) with a reference the caller drops
 * (sock_put(), clasp_req_put()), or a compact entry (CLASP_ENTRY_TW)
 * with none, to be used before the RCU section ends.
 */
struct clasp_entry *clasp_lookup_live(struct clasp_net *cn,
				      const struct clasp_entry *k)
{
	struct clasp_entry *e;

	for (;;) {
		e = clasp_lookup(cn, k);
		if (!e || clasp_entry_get(e))
			return e;
		/* Its removal from the table came before its last put: see it. */
		smp_rmb();
	}
}

/*
 * A listener setting SO_REUSEPORT joins the group of one already on its
 * address, port and device, of the same user, as inet_reuseport_add_sock()
 * has it; else it starts a group of its own.  Holds listen_lock.
 */
static int clasp_reuseport_join(struct clasp_net *cn, struct sock *sk)
{
	kuid_t uid = sock_i_uid(sk);
	struct clasp_sock *csk;

	hlist_for_each_entry(csk, clasp_listen_bucket(cn, sk->sk_num),
			     listen_node) {
		struct sock *sk2 = &csk->inet.sk;

		if (sk2->sk_num == sk->sk_num && sk2->sk_reuseport &&
		    clasp_bound_same(sk2, sk) &&
		    sk2->sk_bound_dev_if == sk->sk_bound_dev_if &&
		    rcu_access_pointer(sk2->sk_reuseport_cb) &&
		    uid_eq(uid, sock_i_uid(sk2)))
			return reuseport_add_sock(sk, sk2,
						  clasp_bound_any(sk));
	}
	return reuseport_alloc(sk, clasp_bound_any(sk));
}

/**
 * clasp_listen_add() - make a bound socket findable as a listener
 * @sk: the socket, locked, in LISTEN
 *
 * Return: 0, or -ENOMEM when its SO_REUSEPORT group could not be made.
 */
int clasp_listen_add(struct sock *sk)
{
	struct clasp_net *cn = clasp_pernet(sock_net(sk));
	int err = 0;

	spin_lock_bh(&cn->listen_lock);
	if (sk->sk_reuseport)
		err = clasp_reuseport_join(cn, sk);
	if (!err) {
		sock_hold(sk);
		hlist_add_head_rcu(&clasp_sk(sk)->listen_node,
				   clasp_listen_bucket(cn, sk->sk_num));
	}
	spin_unlock_bh(&cn->listen_lock);
	if (!err)
		sock_prot_inuse_add(sock_net(sk), sk->sk_prot, 1);
	return err;
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
	if (rcu_access_pointer(sk->sk_reuseport_cb))
		reuseport_detach_sock(sk);
	spin_unlock_bh(&cn->listen_lock);
	sock_prot_inuse_add(sock_net(sk), sk->sk_prot, -1);
	__sock_put(sk);
}

/*
 * The member of @sk's SO_REUSEPORT group a SYN goes to: the group's BPF
 * program decides if it has one, else a hash of the 4-tuple, so that one
 * connection's segments all reach one listener.
 */
static struct sock *clasp_reuseport_pick(struct sock *sk,
					 const struct clasp_entry *k,
					 struct sk_buff *skb)
{
	static u32 clasp_reuseport_secret __read_mostly;
	const struct tcphdr *th = tcp_hdr(skb);
	struct sock *pick;
	u32 hash;

	net_get_random_once(&clasp_reuseport_secret,
			    sizeof(clasp_reuseport_secret));
	hash = jhash(&k->tuple, clasp_key_len(k),
		     clasp_reuseport_secret ^ net_hash_mix(sock_net(sk)));
	pick = reuseport_select_sock(sk, hash, skb, th->doff * 4);
	return pick ?: sk;
}

/*
 * How well listener @sk's address matches a segment to @k's local address
 * and family: 2 for its own address, 1 for its wildcard, 0 not at all.
 * An AF_INET6 listener hears IPv4 unless IPV6_V6ONLY, as TCP's.
 */
static int clasp_listen_addr_score(const struct sock *sk,
				   const struct clasp_entry *k)
{
	switch (clasp_bound_of(sk)) {
	case CLASP_BOUND_ANY4:
		return clasp_key_v6(k) ? 0 : 1;
	case CLASP_BOUND_ADDR4:
		return !clasp_key_v6(k) && sk->sk_rcv_saddr == k->tuple.laddr ?
		       2 : 0;
	case CLASP_BOUND_ANY:
		return 1;
	case CLASP_BOUND_ANY6:
		return clasp_key_v6(k) ? 1 : 0;
	case CLASP_BOUND_ADDR6:
#if IS_ENABLED(CONFIG_IPV6)
		return clasp_key_v6(k) &&
		       ipv6_addr_equal(&sk->sk_v6_rcv_saddr,
				       &k->tuple.laddr6) ? 2 : 0;
#else
		return 0;
#endif
	}
	return 0;
}

/**
 * clasp_listen_lookup() - the listener for a segment's local address and
 * port, as it arrived on a device
 * @cn: the namespace's clasp state
 * @k: the segment's key: its local address, port and family
 * @dif: index of the device it arrived on (clasp_iif())
 * @sdif: index of the L3 slave device it arrived through, 0 if none.
 *	The receive path passes 0: clasp's control block overlays IPCB,
 *	where the slave's index was, so a listener bound to a VRF's slave
 *	device does not hear the segments that came through it.
 * @skb: the segment, data at its clasp header, to pick a member of an
 *	SO_REUSEPORT group; NULL for the listener itself (netlink)
 *
 * As TCP's listener lookup (compute_score() in inet_hashtables.c): a
 * listener bound to a device (SO_BINDTODEVICE) hears only segments that
 * arrived on it; of the listeners that match, one bound to the address wins over
 * one bound to the wildcard, then one bound to the device over one that
 * is not.
 *
 * Context: under rcu_read_lock().
 * Return: the listener with a reference taken, or NULL.
 */
struct sock *clasp_listen_lookup(struct clasp_net *cn,
				 const struct clasp_entry *k, int dif, int sdif,
				 struct sk_buff *skb)
{
	u16 hport = ntohs(k->tuple.lport);
	struct clasp_sock *csk;
	struct sock *best = NULL;
	int best_score = 0;

	hlist_for_each_entry_rcu(csk, clasp_listen_bucket(cn, hport),
				 listen_node) {
		struct sock *sk = &csk->inet.sk;
		int bound = READ_ONCE(sk->sk_bound_dev_if), addr, score;

		if (sk->sk_num != hport)
			continue;
		addr = clasp_listen_addr_score(sk, k);
		if (!addr)
			continue;
		if (!inet_sk_bound_dev_eq(cn->net, bound, dif, sdif))
			continue;
		/* Then, as TCP's compute_score(), a socket of the segment's
		 * own family before an AF_INET6 one that takes IPv4 too.
		 */
		score = addr * 8 + (bound ? 4 : 2) +
			((sk->sk_family == AF_INET6) == clasp_key_v6(k));
		if (score > best_score) {
			best = sk;
			best_score = score;
		}
	}
	if (best && skb && rcu_access_pointer(best->sk_reuseport_cb))
		best = clasp_reuseport_pick(best, k, skb);
	if (best && !refcount_inc_not_zero(&best->sk_refcnt))
		best = NULL;
	return best;
}

static bool clasp_tw_addr_is(const struct clasp_tw_addr *a,
			     const struct clasp_entry *e)
{
	if (a->v6 != clasp_key_v6(e))
		return false;
	return a->v6 ? ipv6_addr_equal(&a->addr6, &e->tuple.laddr6) :
		       a->addr == e->tuple.laddr;
}

static struct clasp_tw_addr *clasp_tw_addr_find(struct clasp_bind_bucket *b,
						const struct clasp_entry *e)
{
	struct clasp_tw_addr *a;

	hlist_for_each_entry(a, &b->tw_addrs, node)
		if (clasp_tw_addr_is(a, e))
			return a;
	return NULL;
}

static struct clasp_tw_addr *clasp_tw_addr_new(struct clasp_bind_bucket *b,
					       const struct clasp_entry *e)
{
	struct clasp_tw_addr *a = kzalloc(sizeof(*a), GFP_ATOMIC);

	if (!a)
		return NULL;
	a->v6 = clasp_key_v6(e);
	if (a->v6)
		a->addr6 = e->tuple.laddr6;
	else
		a->addr = e->tuple.laddr;
	hlist_add_head(&a->node, &b->tw_addrs);
	return a;
}

/**
 * clasp_tw_port_add() - count a compact entry on its local address and port
 * @cn: the namespace's clasp state
 * @e: the entry, CLASP_EF_REUSE set if its socket had SO_REUSEADDR
 *
 * The socket the entry replaces still holds the port, so its bucket
 * exists; the entry keeps it alive after the socket lets go.
 *
 * Return: true when counted (clasp_tw_port_del() must follow).
 */
bool clasp_tw_port_add(struct clasp_net *cn, const struct clasp_entry *e)
{
	struct clasp_bind_bucket *b;
	struct clasp_tw_addr *a = NULL;

	spin_lock_bh(&cn->bind_lock);
	b = clasp_bind_find(cn, ntohs(e->tuple.lport));
	if (b)
		a = clasp_tw_addr_find(b, e) ?: clasp_tw_addr_new(b, e);
	if (a) {
		a->nr++;
		if (!(e->flags & CLASP_EF_REUSE))
			a->nr_noreuse++;
	}
	spin_unlock_bh(&cn->bind_lock);
	return a;
}

/**
 * clasp_tw_port_del() - uncount a compact entry on its local address and port
 * @cn: the namespace's clasp state
 * @e: the entry clasp_tw_port_add() counted
 */
void clasp_tw_port_del(struct clasp_net *cn, const struct clasp_entry *e)
{
	struct clasp_bind_bucket *b;
	struct clasp_tw_addr *a = NULL;

	spin_lock_bh(&cn->bind_lock);
	b = clasp_bind_find(cn, ntohs(e->tuple.lport));
	if (b)
		a = clasp_tw_addr_find(b, e);
	if (!WARN_ON_ONCE(!a || !a->nr)) {
		a->nr--;
		if (!(e->flags & CLASP_EF_REUSE))
			a->nr_noreuse--;
		if (!a->nr) {
			hlist_del(&a->node);
			kfree(a);
		}
		clasp_bind_maybe_free(cn, b);
	}
	spin_unlock_bh(&cn->bind_lock);
}
