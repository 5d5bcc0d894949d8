// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: the messages of the generic netlink family that describe
 * connections (conn-get and the conn dump; netlink.c has the family).
 *
 * A socket's message holds the columns of claspctl conns, and with
 * what the dump asks (enum clasp_dump_ext) its state in depth; a
 * half-open request's and a compact entry's hold their own.  Sequence
 * numbers are shown only to callers with CAP_NET_ADMIN over the
 * namespace.  A dump walks the listeners and then the connection table
 * a batch of keys at a time, resuming where the last message stopped, as
 * inet_diag walks TCP's hash tables: its memory is one batch, whatever
 * the number of connections, and no RCU section spans more than one.
 * Each key is looked up again as it is emitted: one that went away is
 * skipped, and a connection present for the whole dump appears at least
 * once (twice if the table was resized meanwhile; claspctl drops the
 * repeat).  Filters (states, family, addresses with prefixes, ports)
 * are parsed here for dumps and segment events alike.
 */
#include <net/genetlink.h>
#include <net/sock.h>

#include "clasp.h"
#include "compat.h"
/*
 * One snapshot key: a 4-tuple, or a listener (raddr and rport zero) and
 * the device it is bound to, if any (listeners bound to different devices
 * may share an address and port).
 */
struct clasp_dump_key {
	struct clasp_entry k;
	int dif;
	bool listener;
};

/*
 * Keys a dump gathers at a time, then emits: its memory is this, not N.
 * A batch ends with a whole bucket of the connection table, whose chain
 * is at most RHT_ELASTICITY (16) long: room for one more.
 */
#define CLASP_DUMP_BATCH	64
#define CLASP_DUMP_ROOM		(CLASP_DUMP_BATCH + 16)

/*
 * Where a dump is: listener buckets first (@lbucket, and @lskip entries
 * into it when one bucket outgrew a batch), then the walk (@iter) of the
 * IPv4 connection table, then of the IPv6 one (@conns6).  @batch holds
 * the keys gathered last, @pos the next one to emit; @ext what the dump
 * asked of sockets (enum clasp_dump_ext), @f its filter (once @parsed).
 */
struct clasp_dump_ctx {
	struct rhashtable_iter iter;
	unsigned int lbucket;
	unsigned int lskip;
	bool conns_done;
	bool conns6;
	bool net_admin;
	bool parsed;
	u32 ext;
	struct clasp_filter f;
	unsigned int n;
	unsigned int pos;
	struct clasp_dump_key batch[CLASP_DUMP_ROOM];
};

static u64 clasp_sock_cookie(struct sock *sk)
{
	static atomic64_t clasp_cookie_gen = ATOMIC64_INIT(1ULL << 62);
	u64 cookie = atomic64_read(&sk->sk_cookie);

	/* The core's generator is not exported: ours lives far above it. */
	if (!cookie) {
		u64 fresh = atomic64_inc_return(&clasp_cookie_gen);

		cookie = atomic64_cmpxchg(&sk->sk_cookie, 0, fresh) ?: fresh;
	}
	return cookie;
}

/**
 * clasp_put_local() - FAMILY and the local address of a key, in its
 * family's attribute
 * @skb: the message
 * @k: the key
 *
 * Return: 0, or -EMSGSIZE when @skb is full.
 */
int clasp_put_local(struct sk_buff *skb, const struct clasp_entry *k)
{
	if (clasp_key_v6(k))
		return nla_put_u8(skb, CLASP_A_FAMILY, AF_INET6) ||
		       nla_put_in6_addr(skb, CLASP_A_LADDR6, &k->tuple.laddr6) ?
		       -EMSGSIZE : 0;
	return nla_put_u8(skb, CLASP_A_FAMILY, AF_INET) ||
	       nla_put_in_addr(skb, CLASP_A_LADDR, k->tuple.laddr) ?
	       -EMSGSIZE : 0;
}

/**
 * clasp_put_tuple() - a key's family, addresses and ports
 * @skb: the message
 * @k: the key
 *
 * Return: 0, or -EMSGSIZE when @skb is full.
 */
int clasp_put_tuple(struct sk_buff *skb, const struct clasp_entry *k)
{
	if (clasp_put_local(skb, k) ||
	    (clasp_key_v6(k) ?
	     nla_put_in6_addr(skb, CLASP_A_RADDR6, &k->tuple.raddr6) :
	     nla_put_in_addr(skb, CLASP_A_RADDR, k->tuple.raddr)) ||
	    nla_put_u16(skb, CLASP_A_LPORT, ntohs(k->tuple.lport)) ||
	    nla_put_u16(skb, CLASP_A_RPORT, ntohs(k->tuple.rport)))
		return -EMSGSIZE;
	return 0;
}

/* The socket family of the object behind a dump's entry. */
static u8 clasp_entry_sock_family(const struct sock *sk,
				  const struct clasp_request *req,
				  const struct clasp_tw *tw)
{
	if (req)
		sk = req->listener;
	if (sk)
		return sk->sk_family;
	return clasp_key_v6(&tw->entry) || (tw->entry.flags & CLASP_EF_SOCK6) ?
	       AF_INET6 : AF_INET;
}

/*
 * The family of the socket behind a dump's entry, and for an AF_INET6
 * socket whether it is IPV6_V6ONLY: what ss prints an address by (an
 * AF_INET6 socket's IPv4 peer v4-mapped, its :: as * unless V6ONLY).
 */
static int clasp_put_sock_family(struct sk_buff *skb, const struct sock *sk,
				 const struct clasp_request *req,
				 const struct clasp_tw *tw)
{
	u8 family = clasp_entry_sock_family(sk, req, tw);

	if (req)
		sk = req->listener;
	if (nla_put_u8(skb, CLASP_A_SOCK_FAMILY, family))
		return -EMSGSIZE;
	if (sk && family == AF_INET6 &&
	    nla_put_u8(skb, CLASP_A_V6ONLY, !!sk->sk_ipv6only))
		return -EMSGSIZE;
	return 0;
}

/*
 * The sequence numbers of an entry, only for a caller with CAP_NET_ADMIN
 * over its namespace (@net_admin); the attributes are left out otherwise.
 */
static int clasp_put_seqs(struct sk_buff *skb, bool net_admin, u32 snd_una,
			  u32 snd_nxt, u32 rcv_nxt, bool una)
{
	if (!net_admin)
		return 0;
	if ((una && nla_put_u32(skb, CLASP_A_SND_UNA, snd_una)) ||
	    nla_put_u32(skb, CLASP_A_SND_NXT, snd_nxt) ||
	    nla_put_u32(skb, CLASP_A_RCV_NXT, rcv_nxt))
		return -EMSGSIZE;
	return 0;
}

/* What every socket's message holds: the columns of claspctl conns. */
static int clasp_put_columns(struct sk_buff *skb, struct sock *sk)
{
	u32 recv_q, send_q;

	if (sk->sk_state == TCP_LISTEN) {
		recv_q = READ_ONCE(sk->sk_ack_backlog);
		send_q = READ_ONCE(sk->sk_max_ack_backlog);
	} else {
		recv_q = clasp_unread(sk);
		send_q = clasp_sk(sk)->write_seq - clasp_sk(sk)->snd_una;
	}
	if (nla_put_u8(skb, CLASP_A_STATE, sk->sk_state) ||
	    nla_put_u8(skb, CLASP_A_KIND, CLASP_KIND_SOCKET) ||
	    nla_put_u8(skb, CLASP_A_PASSIVE, clasp_sk(sk)->passive) ||
	    nla_put_u32(skb, CLASP_A_RECV_Q, recv_q) ||
	    nla_put_u32(skb, CLASP_A_SEND_Q, send_q) ||
	    nla_put_u64_64bit(skb, CLASP_A_COOKIE, clasp_sock_cookie(sk),
			      CLASP_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int clasp_put_owner(struct sk_buff *skb, struct sock *sk)
{
	if (nla_put_u32(skb, CLASP_A_UID,
			from_kuid_munged(current_user_ns(), sock_i_uid(sk))) ||
	    nla_put_u64_64bit(skb, CLASP_A_INODE, sock_i_ino(sk), CLASP_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int clasp_put_timers(struct sk_buff *skb, const struct clasp_info *info)
{
	if (nla_put_u8(skb, CLASP_A_TIMER, info->timer) ||
	    nla_put_u32(skb, CLASP_A_TIMER_MS, info->timer_ms) ||
	    nla_put_u8(skb, CLASP_A_RETRANS, info->retransmits) ||
	    nla_put_u8(skb, CLASP_A_BACKOFF, info->backoff))
		return -EMSGSIZE;
	return 0;
}

/* The pacing rate and SO_MAX_PACING_RATE, each when it is not ~0UL. */
static int clasp_put_pacing(struct sk_buff *skb, const struct sock *sk)
{
	unsigned long rate = READ_ONCE(sk->sk_pacing_rate);

	if (rate != ~0UL &&
	    nla_put_u64_64bit(skb, CLASP_A_PACING_RATE, rate, CLASP_A_PAD))
		return -EMSGSIZE;
	rate = READ_ONCE(sk->sk_max_pacing_rate);
	if (rate != ~0UL &&
	    nla_put_u64_64bit(skb, CLASP_A_MAX_PACING_RATE, rate, CLASP_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int clasp_put_info(struct sk_buff *skb, struct sock *sk,
			  const struct clasp_info *info, bool net_admin)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (nla_put_u32(skb, CLASP_A_RTO_US, info->rto_us) ||
	    nla_put_u32(skb, CLASP_A_SRTT_US, info->srtt_us) ||
	    clasp_put_seqs(skb, net_admin, info->snd_una, info->snd_nxt,
			   info->rcv_nxt, true) ||
	    nla_put_u32(skb, CLASP_A_SND_WND, info->snd_wnd) ||
	    nla_put_u32(skb, CLASP_A_RCV_WND, info->rcv_wnd) ||
	    nla_put_u32(skb, CLASP_A_MSS, info->mss) ||
	    nla_put_u8(skb, CLASP_A_CA_STATE, clasp_ca_state(csk)) ||
	    nla_put_u32(skb, CLASP_A_OOO_SEGS, clasp_ooo_count(sk)) ||
	    nla_put_u8(skb, CLASP_A_TS_OK, csk->ts_ok) ||
	    nla_put_u8(skb, CLASP_A_SACK_OK, csk->sack_ok) ||
	    nla_put_u8(skb, CLASP_A_ECN_OK, !!(csk->ecn & CLASP_ECN_OK)) ||
	    nla_put_u8(skb, CLASP_A_ECN_SEEN, !!(csk->ecn & CLASP_ECN_SEEN)) ||
	    nla_put_u8(skb, CLASP_A_SACK_BLOCKS, csk->sack_rcv.nr) ||
	    nla_put_u32(skb, CLASP_A_SACKED_SEGS, csk->sacked_out) ||
	    nla_put_u32(skb, CLASP_A_REORDERING, csk->reordering) ||
	    nla_put_u32(skb, CLASP_A_CWND, info->cwnd) ||
	    nla_put_u32(skb, CLASP_A_SSTHRESH, info->ssthresh) ||
	    nla_put_u32(skb, CLASP_A_IN_FLIGHT, info->in_flight) ||
	    nla_put_string(skb, CLASP_A_CA_NAME, info->ca_name))
		return -EMSGSIZE;
	if (csk->wscale_ok &&
	    (nla_put_u8(skb, CLASP_A_SND_WSCALE, csk->snd_wscale) ||
	     nla_put_u8(skb, CLASP_A_RCV_WSCALE, csk->rcv_wscale)))
		return -EMSGSIZE;
	return clasp_put_pacing(skb, sk);
}

/*
 * A socket's message: its columns, and what @ext asks beyond them.  The
 * socket is locked, as tcp_get_info() locks TCP's, the fast way: nothing
 * here sleeps.
 */
static int clasp_put_sock(struct sk_buff *skb, struct sock *sk, u32 ext,
			  bool net_admin)
{
	struct clasp_info info;
	bool slow;
	int err;

	if ((ext & CLASP_DUMP_EXT_OWNER) && clasp_put_owner(skb, sk))
		return -EMSGSIZE;
	slow = lock_sock_fast(sk);
	err = clasp_put_columns(skb, sk);
	if (!err && (ext & (CLASP_DUMP_EXT_TIMERS | CLASP_DUMP_EXT_INFO)))
		clasp_info_fill(sk, &info);
	if (!err && (ext & CLASP_DUMP_EXT_TIMERS))
		err = clasp_put_timers(skb, &info);
	if (!err && (ext & CLASP_DUMP_EXT_INFO))
		err = clasp_put_info(skb, sk, &info, net_admin);
	unlock_sock_fast(sk, slow);
	return err;
}

static int clasp_put_request(struct sk_buff *skb, struct clasp_request *req,
			     bool net_admin)
{
	if (nla_put_u8(skb, CLASP_A_STATE, TCP_SYN_RECV) ||
	    nla_put_u8(skb, CLASP_A_KIND, CLASP_KIND_REQUEST) ||
	    nla_put_u8(skb, CLASP_A_PASSIVE, 1) ||
	    nla_put_u8(skb, CLASP_A_TIMER, CLASP_TIMER_RETRANS) ||
	    nla_put_u32(skb, CLASP_A_TIMER_MS,
			clasp_timer_list_remaining_ms(&req->timer)) ||
	    nla_put_u8(skb, CLASP_A_RETRANS, req->retrans) ||
	    clasp_put_seqs(skb, net_admin, req->iss, req->iss + 1,
			   req->irs + 1, true) ||
	    nla_put_u32(skb, CLASP_A_SND_WND, req->snd_wnd) ||
	    nla_put_u32(skb, CLASP_A_MSS, req->peer_mss))
		return -EMSGSIZE;
	return 0;
}

static int clasp_put_compact(struct sk_buff *skb, struct clasp_tw *tw,
			     bool net_admin)
{
	s32 left = (s32)(READ_ONCE(tw->expires) - (u32)ktime_to_ms(ktime_get()));
	u8 timer = tw->entry.state == TCP_TIME_WAIT ? CLASP_TIMER_TIMEWAIT :
						      CLASP_TIMER_FINWAIT2;

	if (nla_put_u8(skb, CLASP_A_STATE, READ_ONCE(tw->entry.state)) ||
	    nla_put_u8(skb, CLASP_A_KIND, CLASP_KIND_COMPACT) ||
	    nla_put_u8(skb, CLASP_A_TIMER, timer) ||
	    nla_put_u32(skb, CLASP_A_TIMER_MS, left > 0 ? left : 0) ||
	    clasp_put_seqs(skb, net_admin, 0, READ_ONCE(tw->snd_nxt),
			   READ_ONCE(tw->rcv_nxt), false))
		return -EMSGSIZE;
	return 0;
}

/*
 * Does one end of key @k match a filter's address @want under @mask, given
 * in @family (0: any address)?  An IPv4 filter selects IPv4 keys only; an
 * IPv6 one sees an IPv4 key's address v4-mapped, as an AF_INET6 socket
 * shows it.
 */
static bool clasp_filter_addr(u8 family, const struct in6_addr *want,
			      const struct in6_addr *mask,
			      const struct clasp_entry *k, bool local)
{
	struct in6_addr a;

	if (!family)
		return true;
	if (clasp_key_v6(k)) {
		if (family != AF_INET6)
			return false;
		a = local ? k->tuple.laddr6 : k->tuple.raddr6;
	} else {
		ipv6_addr_set_v4mapped(local ? k->tuple.laddr : k->tuple.raddr,
				       &a);
	}
	return !ipv6_masked_addr_cmp(&a, mask, want);
}

/**
 * clasp_filter_match() - does a filter select a connection
 * @f: the filter
 * @k: the connection's key
 * @state: its state (ignored when @f selects all states)
 *
 * Return: true if it does.
 */
bool clasp_filter_match(const struct clasp_filter *f,
			const struct clasp_entry *k, u8 state)
{
	if (f->states && !(f->states & (1U << state)))
		return false;
	if (f->family && f->family != (clasp_key_v6(k) ? AF_INET6 : AF_INET))
		return false;
	if (!clasp_filter_addr(f->lfamily, &f->laddr, &f->lmask, k, true) ||
	    !clasp_filter_addr(f->rfamily, &f->raddr, &f->rmask, k, false))
		return false;
	if (f->lport && ntohs(k->tuple.lport) != f->lport)
		return false;
	return !f->rport || ntohs(k->tuple.rport) == f->rport;
}

/* Is @sk the listener of key @k, bound to its very address? */
static bool clasp_listener_is(const struct sock *sk, const struct clasp_entry *k)
{
	struct clasp_entry mine = {};

	clasp_sock_tuple(sk, &mine);
	return clasp_key_v6(&mine) == clasp_key_v6(k) &&
	       !memcmp(&mine.tuple, &k->tuple, clasp_key_len(k));
}

/*
 * One connection message, a socket's with what @ext asks (enum
 * clasp_dump_ext), with its sequence numbers if @net_admin.
 * Returns 0 when written or filtered out, -EMSGSIZE when @skb is full,
 * -ENOENT when the connection is gone.
 */
static int clasp_fill_entry(struct sk_buff *skb, struct clasp_net *cn,
			    const struct clasp_dump_key *key,
			    const struct clasp_filter *f, u32 portid, u32 seq,
			    int flags, u32 ext, bool net_admin)
{
	struct clasp_entry k = key->k;
	struct clasp_request *req = NULL;
	struct clasp_tw *tw = NULL;
	struct sock *sk = NULL;
	struct clasp_entry *e;
	void *hdr;
	u8 state;
	int err;

	rcu_read_lock();
	if (key->listener) {
		sk = clasp_listen_lookup(cn, &k, key->dif, 0, NULL);
		if (sk && (!clasp_listener_is(sk, &k) ||
			   READ_ONCE(sk->sk_bound_dev_if) != key->dif ||
			   sk->sk_state != TCP_LISTEN)) {
			sock_put(sk);
			sk = NULL;
		}
	} else {
		e = clasp_lookup_live(cn, &k);
		if (e && e->kind == CLASP_ENTRY_SOCK) {
			sk = &container_of(e, struct clasp_sock, entry)->inet.sk;
		} else if (e && e->kind == CLASP_ENTRY_REQ) {
			req = container_of(e, struct clasp_request, entry);
		} else if (e) {
			/* No reference: used before this RCU section ends. */
			tw = container_of(e, struct clasp_tw, entry);
			if (READ_ONCE(tw->entry.state) == TCP_CLOSE)
				tw = NULL;
		}
	}
	if (!tw)
		rcu_read_unlock();
	if (!sk && !req && !tw)
		return -ENOENT;

	state = sk ? sk->sk_state : req ? TCP_SYN_RECV : tw->entry.state;
	err = 0;
	if (!clasp_filter_match(f, &k, state) ||
	    (f->sock_family &&
	     f->sock_family != clasp_entry_sock_family(sk, req, tw)))
		goto out;
	err = -EMSGSIZE;
	hdr = genlmsg_put(skb, portid, seq, &clasp_genl_family, flags,
			  CLASP_CMD_CONN_GET);
	if (!hdr)
		goto out;
	if (clasp_put_tuple(skb, &k) || clasp_put_sock_family(skb, sk, req, tw))
		goto cancel;
	if (sk)
		err = clasp_put_sock(skb, sk, ext, net_admin);
	else if (req)
		err = clasp_put_request(skb, req, net_admin);
	else
		err = clasp_put_compact(skb, tw, net_admin);
	if (err)
		goto cancel;
	genlmsg_end(skb, hdr);
	goto out;
cancel:
	genlmsg_cancel(skb, hdr);
out:
	if (sk)
		sock_put(sk);
	if (req)
		clasp_req_put(req);
	if (tw)
		rcu_read_unlock();
	return err;
}

static void clasp_listener_key(struct clasp_dump_key *k, struct sock *sk)
{
	memset(k, 0, sizeof(*k));
	clasp_sock_tuple(sk, &k->k);
	k->dif = READ_ONCE(sk->sk_bound_dev_if);
	k->listener = true;
}

/*
 * Listeners into the batch, a bucket at a time: a bucket is taken whole
 * when it fits, so that one listening the whole dump is never skipped
 * when another in its bucket goes.  One bucket larger than a batch is
 * taken a batch at a time.  Returns false when a bucket waits for room.
 */
static bool clasp_gather_listeners(struct clasp_net *cn,
				   struct clasp_dump_ctx *ctx)
{
	struct clasp_sock *csk;
	unsigned int len, i;

	rcu_read_lock();
	for (; ctx->lbucket < ARRAY_SIZE(cn->listen_hash); ctx->lbucket++) {
		struct hlist_head *head = &cn->listen_hash[ctx->lbucket];

		len = 0;
		hlist_for_each_entry_rcu(csk, head, listen_node)
			len++;
		if (len - min(len, ctx->lskip) > CLASP_DUMP_BATCH - ctx->n &&
		    ctx->n) {
			rcu_read_unlock();
			return false;
		}
		i = 0;
		hlist_for_each_entry_rcu(csk, head, listen_node) {
			if (i++ < ctx->lskip)
				continue;
			if (ctx->n == CLASP_DUMP_BATCH) {
				ctx->lskip = i - 1;
				rcu_read_unlock();
				return false;
			}
			clasp_listener_key(&ctx->batch[ctx->n++],
					   &csk->inet.sk);
		}
		ctx->lskip = 0;
	}
	rcu_read_unlock();
	return true;
}

/*
 * Connections into the batch, from where the walk stopped, a bucket of
 * the table at a time.
 *
 * rhashtable_walk_start() resumes a walk at the entry it returned last
 * when that entry is still in the table, and otherwise by counting the
 * entries of its bucket from the head (lib/rhashtable.c, the same in 6.1
 * and 6.12): each entry ahead of it that went meanwhile (TIME_WAIT
 * entries expiring) would make it skip one it has not returned.  So a
 * batch ends where a bucket starts: the entry that starts it is not
 * taken, and the next batch asks for it again with rhashtable_walk_peek(),
 * which returns it if it is still there, else counts from its bucket's
 * head past nothing.  New entries go to a bucket's head, so one missed
 * there was not in the table the whole dump.  @it->slot, the bucket of
 * the entry returned last, is read, never written.  A bucket's chain is
 * at most RHT_ELASTICITY long, and the batch has room for one; past that
 * room, a batch ends inside a bucket.
 *
 * A resize of the table meanwhile rewinds the walk (-EAGAIN), and the
 * entries already emitted come again: as in inet_diag's dumps, a
 * connection present the whole dump appears at least once, and claspctl
 * drops the repeats.
 */
static void clasp_gather_conns(struct clasp_dump_ctx *ctx)
{
	struct rhashtable_iter *it = &ctx->iter;
	struct clasp_entry *e;
	unsigned int slot;

	rhashtable_walk_start(it);
	/* The entry the last batch left, or the first one. */
	e = rhashtable_walk_peek(it);
	slot = it->slot;
	for (;;) {
		if (IS_ERR(e) && PTR_ERR(e) == -EAGAIN) {
			e = rhashtable_walk_next(it);
			continue;
		}
		if (IS_ERR_OR_NULL(e)) {
			ctx->conns_done = true;
			break;
		}
		/* Left for the next batch's rhashtable_walk_peek(). */
		if ((it->slot != slot && ctx->n >= CLASP_DUMP_BATCH) ||
		    ctx->n == CLASP_DUMP_ROOM)
			break;
		memset(&ctx->batch[ctx->n], 0, sizeof(ctx->batch[0]));
		clasp_key_copy(&ctx->batch[ctx->n++].k, e);
		slot = it->slot;
		e = rhashtable_walk_next(it);
	}
	rhashtable_walk_stop(it);
}

/* The next batch of keys; false when the dump has seen everything. */
static bool clasp_dump_refill(struct clasp_net *cn, struct clasp_dump_ctx *ctx)
{
	ctx->n = 0;
	ctx->pos = 0;
	if (!clasp_gather_listeners(cn, ctx))
		return ctx->n > 0;
	if (!ctx->conns_done)
		clasp_gather_conns(ctx);
	/* The IPv4 table walked, the IPv6 one next. */
	if (ctx->conns_done && !ctx->conns6) {
		rhashtable_walk_exit(&ctx->iter);
		rhashtable_walk_enter(&cn->conns6, &ctx->iter);
		ctx->conns6 = true;
		ctx->conns_done = false;
		if (!ctx->n)
			clasp_gather_conns(ctx);
	}
	return ctx->n > 0;
}

/* A prefix of @len bits as a mask. */
static void clasp_prefix_mask(struct in6_addr *mask, unsigned int len)
{
	unsigned int i, n;

	memset(mask, 0, sizeof(*mask));
	for (i = 0; i < 4 && len; i++, len -= n) {
		n = min(len, 32U);
		mask->s6_addr32[i] = htonl(~0U << (32 - n));
	}
}

/* A FAMILY or SOCK_FAMILY attribute: AF_INET, AF_INET6 or absent (0). */
static int clasp_parse_family(struct nlattr *attr, u8 *family,
			      struct netlink_ext_ack *extack)
{
	*family = attr ? nla_get_u8(attr) : 0;
	if (attr && *family != AF_INET && *family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "a family is AF_INET (2) or AF_INET6 (10)");
		return -EINVAL;
	}
	return 0;
}

/*
 * One end of a filter: the IPv4 address @a4 or the IPv6 one @a6, not
 * both, with the prefix length @plen (the whole address without it).
 */
static int clasp_parse_end(struct nlattr *a4, struct nlattr *a6,
			   struct nlattr *plen, struct in6_addr *addr,
			   struct in6_addr *mask, u8 *family,
			   struct netlink_ext_ack *extack)
{
	unsigned int len = plen ? nla_get_u8(plen) : 0;

	*family = 0;
	if (a4 && a6) {
		NL_SET_ERR_MSG_ATTR(extack, a6,
				    "an address of one family: IPv4 or IPv6, not both");
		return -EINVAL;
	}
	if (plen && len > 32 && !a6) {
		NL_SET_ERR_MSG_ATTR(extack, plen,
				    "prefix length over 32: an IPv6 address only");
		return -EINVAL;
	}
	if (a4) {
		ipv6_addr_set_v4mapped(nla_get_in_addr(a4), addr);
		clasp_prefix_mask(mask, 96 + (plen ? len : 32));
		*family = AF_INET;
	} else if (a6) {
		*addr = nla_get_in6_addr(a6);
		clasp_prefix_mask(mask, plen ? len : 128);
		*family = AF_INET6;
	}
	return 0;
}

/**
 * clasp_parse_filter() - a filter from a request's attributes
 * @attrs: the parsed attributes
 * @f: filled; what an attribute leaves out selects everything
 * @extack: for the reason of an error
 *
 * Return: 0, or -EINVAL for a filter that makes no sense: addresses of
 * both families for one end, an IPv4 prefix over 32, a family that is
 * neither AF_INET nor AF_INET6.
 */
int clasp_parse_filter(struct nlattr **attrs, struct clasp_filter *f,
		       struct netlink_ext_ack *extack)
{
	int err;

	memset(f, 0, sizeof(*f));
	if (attrs[CLASP_A_FILTER_STATES])
		f->states = nla_get_u32(attrs[CLASP_A_FILTER_STATES]);
	err = clasp_parse_end(attrs[CLASP_A_LADDR], attrs[CLASP_A_LADDR6],
			      attrs[CLASP_A_FILTER_LPLEN], &f->laddr, &f->lmask,
			      &f->lfamily, extack) ?:
	      clasp_parse_end(attrs[CLASP_A_RADDR], attrs[CLASP_A_RADDR6],
			      attrs[CLASP_A_FILTER_RPLEN], &f->raddr, &f->rmask,
			      &f->rfamily, extack) ?:
	      clasp_parse_family(attrs[CLASP_A_FAMILY], &f->family, extack) ?:
	      clasp_parse_family(attrs[CLASP_A_SOCK_FAMILY], &f->sock_family,
				 extack);
	if (err)
		return err;
	if (attrs[CLASP_A_LPORT])
		f->lport = nla_get_u16(attrs[CLASP_A_LPORT]);
	if (attrs[CLASP_A_RPORT])
		f->rport = nla_get_u16(attrs[CLASP_A_RPORT]);
	return 0;
}

/**
 * clasp_conn_dump_start() - begin a connection dump: its cursor
 * @cb: the dump
 *
 * Return: 0 or -ENOMEM.
 */
int clasp_conn_dump_start(struct netlink_callback *cb)
{
	struct clasp_net *cn = clasp_pernet(sock_net(cb->skb->sk));
	struct clasp_dump_ctx *ctx;
	struct nlattr *attr;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	/* Decided once, for the caller that asked, as inet_diag does. */
	ctx->net_admin = netlink_net_capable(cb->skb, CAP_NET_ADMIN);
	attr = clasp_dump_attrs(cb)[CLASP_A_DUMP_EXT];
	ctx->ext = attr ? nla_get_u32(attr) : CLASP_DUMP_EXT_ALL;
	rhashtable_walk_enter(&cn->conns, &ctx->iter);
	cb->args[0] = (long)ctx;
	return 0;
}

/**
 * clasp_conn_dump_done() - end a connection dump: free its cursor
 * @cb: the dump
 *
 * Return: 0.
 */
int clasp_conn_dump_done(struct netlink_callback *cb)
{
	struct clasp_dump_ctx *ctx = (struct clasp_dump_ctx *)cb->args[0];

	if (ctx) {
		rhashtable_walk_exit(&ctx->iter);
		kfree(ctx);
	}
	return 0;
}

/**
 * clasp_conn_dump() - the next part of a connection dump
 * @skb: the message to fill
 * @cb: the dump
 *
 * A batch of keys is gathered under RCU, then each is looked up again and
 * emitted: a socket's fill takes its lock, which may sleep.  What a full
 * message left of the batch goes in the next.
 *
 * Return: the length of @skb (0 when the dump is over), or a negative
 * errno for a bad filter.
 */
int clasp_conn_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct clasp_dump_ctx *ctx = (struct clasp_dump_ctx *)cb->args[0];
	struct clasp_net *cn = clasp_pernet(sock_net(skb->sk));
	int err;

	/*
	 * The filter is parsed here, not in .start: 6.1 gives .start no
	 * extack, and a dump's first call ends it with the error and its
	 * message in NLMSG_DONE on 6.1 and 6.12 alike.
	 */
	if (!ctx->parsed) {
		err = clasp_parse_filter(clasp_dump_attrs(cb), &ctx->f,
					 cb->extack);
		if (err)
			return err;
		ctx->parsed = true;
	}
	do {
		for (; ctx->pos < ctx->n; ctx->pos++) {
			err = clasp_fill_entry(skb, cn, &ctx->batch[ctx->pos],
					       &ctx->f, NETLINK_CB(cb->skb).portid,
					       cb->nlh->nlmsg_seq, NLM_F_MULTI,
					       ctx->ext, ctx->net_admin);
			if (err == -EMSGSIZE)
				return skb->len;
		}
	} while (clasp_dump_refill(cn, ctx));
	return skb->len;
}

/**
 * clasp_get_tuple() - a connection's key from a request
 * @info: the request: LPORT, RPORT and the addresses of one family,
 *	LADDR and RADDR or LADDR6 and RADDR6 (FAMILY, if given, agreeing)
 * @k: filled in
 *
 * Two v4-mapped IPv6 addresses, as ss and claspctl show an AF_INET6
 * socket's IPv4 connection, name that IPv4 connection.
 *
 * Return: 0, or -EINVAL with an extack message.
 */
int clasp_get_tuple(struct genl_info *info, struct clasp_entry *k)
{
	struct nlattr **a = info->attrs;
	bool v4 = a[CLASP_A_LADDR] && a[CLASP_A_RADDR];
	bool v6 = a[CLASP_A_LADDR6] && a[CLASP_A_RADDR6];
	u8 family;
	int err;

	if (!a[CLASP_A_LPORT] || !a[CLASP_A_RPORT] || v4 == v6 ||
	    (v4 && (a[CLASP_A_LADDR6] || a[CLASP_A_RADDR6])) ||
	    (v6 && (a[CLASP_A_LADDR] || a[CLASP_A_RADDR]))) {
		NL_SET_ERR_MSG(info->extack,
			       "a connection needs LPORT, RPORT and LADDR and RADDR (IPv4) or LADDR6 and RADDR6 (IPv6)");
		return -EINVAL;
	}
	err = clasp_parse_family(a[CLASP_A_FAMILY], &family, info->extack);
	if (err)
		return err;
	if (family && family != (v6 ? AF_INET6 : AF_INET)) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[CLASP_A_FAMILY],
				    "FAMILY is not the family of the addresses");
		return -EINVAL;
	}
	k->tuple.lport = htons(nla_get_u16(a[CLASP_A_LPORT]));
	k->tuple.rport = htons(nla_get_u16(a[CLASP_A_RPORT]));
	if (v6) {
		struct in6_addr l = nla_get_in6_addr(a[CLASP_A_LADDR6]);
		struct in6_addr r = nla_get_in6_addr(a[CLASP_A_RADDR6]);

		if (!ipv6_addr_v4mapped(&l) || !ipv6_addr_v4mapped(&r)) {
			k->flags |= CLASP_EF_V6;
			k->tuple.laddr6 = l;
			k->tuple.raddr6 = r;
			return 0;
		}
		k->flags &= ~CLASP_EF_V6;
		k->tuple.laddr = l.s6_addr32[3];
		k->tuple.raddr = r.s6_addr32[3];
		return 0;
	}
	k->flags &= ~CLASP_EF_V6;
	k->tuple.laddr = nla_get_in_addr(a[CLASP_A_LADDR]);
	k->tuple.raddr = nla_get_in_addr(a[CLASP_A_RADDR]);
	return 0;
}

/**
 * clasp_conn_get_doit() - conn-get: one connection's message
 * @skb: the request
 * @info: its attributes
 *
 * Return: 0, or a negative errno (-ENOENT: no such connection).
 */
int clasp_conn_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct clasp_net *cn = clasp_pernet(genl_info_net(info));
	struct clasp_dump_key key = { };
	struct clasp_filter f = { };
	struct sk_buff *msg;
	int err;

	err = clasp_get_tuple(info, &key.k);
	if (err)
		return err;
	msg = nlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	err = clasp_fill_entry(msg, cn, &key, &f, info->snd_portid,
			       info->snd_seq, 0, CLASP_DUMP_EXT_ALL,
			       netlink_net_capable(skb, CAP_NET_ADMIN));
	if (err) {
		nlmsg_free(msg);
		if (err == -ENOENT)
			NL_SET_ERR_MSG(info->extack, "no such connection");
		return err;
	}
	return genlmsg_reply(msg, info);
}
