/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp: TCP-style connection management over its own IP protocol number.
 *
 * Map of the module, one file per concern:
 *   main.c      registration and unwinding (module init/exit)
 *   pernet.c    per-network-namespace state and tunables
 *   sysctl.c    the tunables as sysctls, net.clasp.*, per namespace
 *   stats.c     counters and /proc/net/clasp_stats
 *   table.c     port bindings, the connection table and listeners
 *   sock.c      struct proto and the socket calls
 *   ipv6.c      AF_INET6 sockets: their proto, connect(), the protocol
 *               handler, a child's IPv6 state, the control socket
 *   sockopt.c   socket options, ioctls and CLASP_INFO
 *   tcpopt.c    SOL_TCP options with TCP's semantics, TCP_INFO
 *   demux.c     segment reception: checksum, header, the owner's lookup
 *   input.c     a socket's segments: the state machine (RFC 9293 3.10.7)
 *   ooo.c       the out-of-order queue: data beyond a hole, held; the
 *               duplicates a receiver reports (D-SACK)
 *   sack.c      the SACK blocks a receiver reports (sack.h), which
 *               output.c puts in every segment but SYNs
 *   sackin.c    the SACK blocks a sender receives: validity, D-SACK,
 *               IsLost (sackin.h)
 *   scoreboard.c  the SACKed segments of the write queue
 *   rtxq.c      the segments out: counters kept as their marks change
 *               (pipe), the list by send time RACK walks, an index by
 *               sequence number SACK blocks are found in
 *   rack.c      RACK's arithmetic (RFC 8985 6): send order, reordering
 *               window, when a segment is lost (rack.h)
 *   recovery.c  loss recovery: RACK loss detection (alone with SACK and
 *               recovery=1, as Linux), its reordering timer and PRR;
 *               RFC 6675 with recovery=0; NewReno without SACK; after a
 *               timeout
 *   cong.c      congestion control: the algorithms' interface and
 *               registry (cong.h), cwnd at each loss event, pipe
 *   cong_newreno.c  NewReno ("reno"): slow start and congestion
 *               avoidance (RFC 5681, RFC 6582)
 *   cong_cubic.c  CUBIC ("cubic", the default): RFC 9438 with HyStart++
 *   cubic.c     CUBIC's arithmetic: the cubic window, K, W_est (cubic.h)
 *   hystart.c   HyStart++ (RFC 9406): RTT rounds, Conservative Slow
 *               Start (hystart.h)
 *   options.c   segment options, parsed and built (options.h)
 *   ecn.c       ECN's rules (RFC 3168): setup, what a segment carries,
 *               the echo and the sender's cut (ecn.h)
 *   ecn_sock.c  ECN on sockets: SYNs, headers, the ECN field, CE marks
 *               received, ECE acted on
 *   rtt.c       the RFC 6298 round-trip estimator (rtt.h)
 *   challenge.c how often an invalid segment is answered: the challenge
 *               ACK budget and the per-connection rate limit (RFC 5961,
 *               CVE-2016-5696)
 *   acceptance.c  the segment-acceptance checks (RFC 9293, RFC 5961) that
 *               sockets, requests and compact entries share (seq.h)
 *   output.c    a socket's segments built and sent: headers, checksums,
 *               windows, Nagle, small queues, retransmissions
 *   ctl.c       segments on behalf of no socket (resets, a listener's
 *               SYN-ACKs, compact entries' ACKs) through the namespace's
 *               control sockets
 *   wqueue.c    the write queue's buffers: user data in page fragments,
 *               a GSO buffer's worth each; cut and trimmed by segment,
 *               sent as one GSO buffer
 *   offload.c   GSO: a GSO buffer cut into segments for a device that
 *               cannot carry it whole; GRO: a batch of one connection's
 *               segments chained into one buffer on the way in
 *   pacing.c    the pacing rate from cwnd and SRTT, for fq and GSO sizing,
 *               and pacing of clasp's own where SO_MAX_PACING_RATE asks
 *   tso.c       software GSO on any route, as TCP's; how many segments
 *               a GSO buffer should carry (TCP's autosizing), when a
 *               write sends what it queued, and when new data waits for
 *               the next ACK to leave in a larger buffer
 *   defer.c     that wait's arithmetic (tcp_tso_should_defer()), pure
 *   icmp.c      ICMP and ICMPv6 errors: soft and hard errors, path MTU,
 *               redirects
 *   ipv6.c      IPv6: AF_INET6 sockets, their connect(), the IPv6 handler,
 *               a child's IPv6 state and route, replies over IPv6
 *   policy.c    IPsec policy, socket filters, LSM and cgroup BPF hooks
 *   limits.c    aggregate limits: orphans per namespace, the memory pool
 *   autotune.c  buffer autotuning: receive (dynamic right-sizing) and send
 *   timer.c     retransmission, keepalive and delayed-ACK timers, RTT
 *               estimation
 *   ack.c       when to acknowledge: delayed ACKs, quick-ACK mode
 *   request.c   listeners: half-open requests and the accept queue
 *   timewait.c  compact TIME_WAIT and orphaned FIN_WAIT_2 entries, and
 *               their reuse by connect() (tw_reuse)
 *   syncookies.c  stateless SYN-ACKs under SYN floods
 *   netlink.c   the generic netlink family "clasp": its commands, the
 *               counter and tunable tables, and its events
 *   nlconn.c    connections' messages: conn-get, the batched conn dump,
 *               the filters of dumps and segment events
 *   ladder.c    per-segment events for ladder diagrams: the filters set,
 *               the static key that keeps them free when nobody listens,
 *               the reports of the hooks in output.c, demux.c and input.c
 *   trace.c     tracepoints (trace.h), system "clasp"
 *
 * Concurrency follows TCP.  A socket's state is changed under its lock:
 * lock_sock() in process context, bh_lock_sock() in softirq, where
 * segments for a socket its owner holds wait on the backlog and timer
 * work is deferred to release_cb.  The connection table is an rhashtable
 * read under RCU; sockets are freed after a grace period (SOCK_RCU_FREE),
 * requests and entries by call_rcu.  A listener's requests and accept
 * queue are guarded by its acc_lock, held to decide and link, not to send
 * or to build a child (request.c); entries by their namespace's tw_lock.
 */
#ifndef _CLASP_H
#define _CLASP_H

#include <linux/build_bug.h>
#include <linux/hrtimer.h>
#include <linux/jump_label.h>
#include <linux/rhashtable.h>
#include <linux/siphash.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/tcp.h>
#include <linux/in6.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/netns/generic.h>
#include <net/route.h>

#include "cong.h"
#include "ecn.h"
#include "options.h"
#include "rack.h"
#include "rtt.h"
#include "sack.h"
#include "sackin.h"
#include "seq.h"
#include "uapi/clasp.h"

/* The segment header is TCP's, byte for byte (RFC 9293 section 3.1). */
#define CLASP_HDR_LEN		sizeof(struct tcphdr)

#define CLASP_LISTEN_HASH_BITS	8

/* Room for link, IP and the largest clasp header in front of a payload. */
#define CLASP_MAX_HEADER	(MAX_HEADER + sizeof(struct iphdr) + 60)

#define CLASP_MAX_WINDOW	65535U	/* the window field, unscaled */

/* challenge_ack_limit: no per-namespace budget (as TCP's INT_MAX) */
#define CLASP_CHALLENGE_UNLIMITED	0x7fffffffU
#define CLASP_MIN_MSS		88U
/*
 * Largest segment: the largest IPv4 datagram less the IP and clasp
 * headers, as TCP's advertised MSS on loopback (65,535 less 40).  The
 * payload lies in page fragments, so a large segment costs its bytes and
 * no more.
 */
#define CLASP_MAX_MSS		(IP_MAX_MTU - sizeof(struct iphdr) - CLASP_HDR_LEN)

/*
 * The GSO type of a buffer of several clasp segments.  The kernel has no
 * type for a protocol outside it; SCTP's is the one only software devices
 * claim (veth, loopback, bridges, tunnels), which carry the buffer whole,
 * while every device that offloads segmentation to hardware or to a
 * hypervisor lacks it, so the core cuts the buffer with
 * clasp_gso_segment() before it reaches one.  TCP's type would have a
 * TSO device (or virtio-net's host) cut clasp's segments as TCP's.
 */
#define CLASP_GSO_TYPE		SKB_GSO_SCTP
#define CLASP_RCV_COPY_SIZE	SKB_WITH_OVERHEAD(2048)	/* buffer for small segments */
#define CLASP_DEFAULT_MSS	536U	/* RFC 9293: when no MSS option */
#define CLASP_TLP_MIN_US	10000U	/* a tail loss probe waits at least this */
#define CLASP_TLP_DELACK_US	200000U	/* RFC 8985 WCDelAckT: one segment out */
#define CLASP_RACK_SLACK_US	2000U	/* RACK's timer this late: TCP_TIMEOUT_MIN_US */
#define CLASP_MAX_REORDERING	300U	/* TCP's tcp_max_reordering */
#define CLASP_MSS_ROUTE		0xffff	/* clasp_send_ctl(): MSS of the route */

/* What holds a short segment back (clasp_push_nonagle()), as TCP's. */
#define CLASP_NAGLE_OFF		1	/* TCP_NODELAY */
#define CLASP_NAGLE_CORK	2	/* TCP_CORK, MSG_MORE */
#define CLASP_NAGLE_PUSH	4	/* send anyway */
#define CLASP_NAGLE_PROBE	8	/* one segment even if cwnd is full (TLP) */

/* The flags byte of a header (byte 13, after the data offset). */
#define clasp_flag_byte(th)	(((u8 *)(th))[13])

extern int clasp_proto;			/* the IP protocol number in use */
extern unsigned int clasp_net_id;
extern struct proto clasp_prot;

/**
 * struct clasp_tunables - knobs of one namespace, copied from the module
 * parameters when the namespace is created
 */
struct clasp_tunables {
	u32 msl_ms;
	u32 rto_initial_ms;
	u32 rto_min_ms;
	u32 rto_max_ms;
	u32 syn_retries;
	u32 synack_retries;
	u32 retries;
	u32 orphan_retries;
	u32 fin_timeout_ms;
	u32 keepalive_time_ms;
	u32 keepalive_intvl_ms;
	u32 keepalive_probes;
	u32 max_syn_backlog;
	u32 max_tw_buckets;
	u32 rfc1337;
	u32 challenge_ack_limit;
	u32 invalid_ratelimit_ms;
	u32 syncookies;
	u32 syncookie_period_ms;
	u32 abort_on_overflow;
	u32 max_orphans;
	u32 window_scaling;
	u32 timestamps;
	u32 sack;
	u32 early_retrans;
	u32 recovery;
	u32 ecn;
	u32 tw_reuse_mode;	/* tunable tw_reuse: a macro of the kernel's */
};

/**
 * struct clasp_tuple - a connection's ports and addresses, local side first
 * @lport: local port
 * @rport: remote port
 * @laddr: local IPv4 address
 * @raddr: remote IPv4 address
 * @laddr6: local IPv6 address (an entry with CLASP_EF_V6)
 * @raddr6: remote IPv6 address (likewise)
 *
 * The family is the wire's: a connection of an AF_INET6 socket to a
 * v4-mapped address has an IPv4 tuple, as TCP hashes it.  An IPv4 key is
 * its first CLASP_TUPLE4_LEN bytes: an entry ends with its tuple, and the
 * requests and compact entries of IPv4 are allocated without the room of
 * the IPv6 addresses (CLASP_REQ_SIZE(), CLASP_TW_SIZE()).
 */
struct clasp_tuple {
	__be16 lport;
	__be16 rport;
	union {
		struct {
			__be32 laddr;
			__be32 raddr;
		};
		struct {
			struct in6_addr laddr6;
			struct in6_addr raddr6;
		};
	};
};

#define CLASP_TUPLE4_LEN	offsetofend(struct clasp_tuple, raddr)
#define CLASP_TUPLE6_LEN	sizeof(struct clasp_tuple)
/* Room for either end of a key as a socket address (clasp_key_sockaddr()) */
#define CLASP_SOCKADDR_LEN	sizeof(struct sockaddr_in6)

enum clasp_entry_kind {
	CLASP_ENTRY_SOCK,	/* a full socket, SYN_SENT onwards */
	CLASP_ENTRY_REQ,	/* a half-open passive connection */
	CLASP_ENTRY_TW,		/* TIME_WAIT or orphaned FIN_WAIT_2 */
};

/**
 * struct clasp_entry - what the connection table holds, by 4-tuple; also
 * a key to look for, with its family
 * @node: rhashtable linkage
 * @kind: enum clasp_entry_kind; says which structure embeds the entry
 * @state: TCP_* state (for requests and compact entries)
 * @wscale: window shifts of a request or compact entry: ours in the high
 *	nibble, the peer's in the low one (bytes that would be padding)
 * @flags: CLASP_EF_V6 for every kind; a request's or compact entry's
 *	other CLASP_EF_* bits (padding too)
 * @tuple: the key; last, so that an IPv4 entry may end at its IPv4 part
 *
 * The key is defined in one place only: the structures that embed an
 * entry end with it.  Functions that need a connection's addresses take
 * an entry, which carries the family of its tuple in @flags.
 */
struct clasp_entry {
	struct rhash_head node;
	u8 kind;
	u8 state;
	u8 wscale;
	u8 flags;
	struct clasp_tuple tuple;
};

#define CLASP_EF_TS_OK		BIT(0)	/* timestamps in use */
/* compact entry: its socket had SO_REUSEADDR (TCP's tw_reuse) */
#define CLASP_EF_REUSE		BIT(1)
/* compact entry: of an AF_INET6 socket (a request's family is its listener's) */
#define CLASP_EF_SOCK6		BIT(3)
#define CLASP_EF_PAWS_IDLE	BIT(5)	/* TS.Recent older than 24 days */
#define CLASP_EF_PORT		BIT(6)	/* compact entry counted on its port */
#define CLASP_EF_V6		BIT(7)	/* an IPv6 tuple (in the IPv6 table) */

static inline bool clasp_key_v6(const struct clasp_entry *e)
{
	return e->flags & CLASP_EF_V6;
}

/* The bytes of @e's key: an IPv4 tuple is shorter. */
static inline unsigned int clasp_key_len(const struct clasp_entry *e)
{
	return clasp_key_v6(e) ? CLASP_TUPLE6_LEN : CLASP_TUPLE4_LEN;
}

/* Copy @src's key and family into @dst (of the same family's size). */
static inline void clasp_key_copy(struct clasp_entry *dst,
				  const struct clasp_entry *src)
{
	dst->flags = (dst->flags & ~CLASP_EF_V6) | (src->flags & CLASP_EF_V6);
	memcpy(&dst->tuple, &src->tuple, clasp_key_len(src));
}

static inline u8 clasp_entry_rcv_wscale(const struct clasp_entry *e)
{
	return e->wscale >> 4;
}

static inline u8 clasp_entry_snd_wscale(const struct clasp_entry *e)
{
	return e->wscale & 0xf;
}

/**
 * struct clasp_stats - per-namespace counters
 * @mib: per-cpu array of __CLASP_MIB_MAX 64-bit counters
 */
struct clasp_stats {
	u64 __percpu *mib;
};

/**
 * struct clasp_net - everything clasp keeps per network namespace
 * @net: the namespace
 * @ctl_sk: kernel socket that sends replies on behalf of no socket
 * @ctl_sk6: its IPv6 twin, NULL when IPv6 is disabled
 * @stats: counters
 * @tun: tunables
 * @isn_key: secret for initial sequence numbers (RFC 6528)
 * @cookie_key: secret for SYN cookies
 * @ts_key: secret for the timestamp offsets of connections
 * @conns: connections, requests and compact entries by IPv4 4-tuple
 * @conns6: the same by IPv6 4-tuple
 * @bind_lock: protects @bind_table and its buckets
 * @bind_table: a bucket per local port in use (table.c), for bind
 *	conflicts and port choice
 * @listen_lock: protects @listen_hash updates
 * @listen_hash: listening sockets by port, read under RCU
 * @tw_lock: protects compact entries, their lists and @tw_count
 * @tw_list: TIME_WAIT entries, oldest expiry first
 * @fw2_list: orphaned FIN_WAIT_2 entries, oldest expiry first
 * @tw_count: entries alive
 * @tw_timer: one timer that reaps every due entry (coalesced expiry)
 * @tw_dying: set at namespace exit: the reaper must not re-arm
 * @challenge_lock: protects the challenge ACK budget
 * @challenge_stamp: second the budget belongs to
 * @challenge_count: challenge ACKs left in that second
 * @orphans: sockets close() orphaned that still live (limits.c)
 * @ca_default: the congestion control connections start with, unless
 *	TCP_CONGESTION chose another (congestion_control, cong.c)
 * @sysctl: the namespace's net.clasp.* (sysctl.c)
 * @sysctl_table: the table @sysctl shows, ours to free
 * @ladder_lock: protects @ladder_filters updates (ladder.c)
 * @ladder_filters: the segment-event filters set, read under RCU
 * @ladder_count: how many
 * @ladder_stamp: jiffies when @ladder_budget was last refilled
 * @ladder_budget: segment events left in this second
 */
struct clasp_net {
	struct net *net;
	struct sock *ctl_sk;
	struct sock *ctl_sk6;
	struct clasp_stats stats;
	struct clasp_tunables tun;
	siphash_key_t isn_key;
	siphash_key_t cookie_key;
	siphash_key_t ts_key;
	struct rhashtable conns;
	struct rhashtable conns6;

	spinlock_t bind_lock;		/* see kernel-doc */
	struct rhashtable bind_table;

	spinlock_t listen_lock;		/* see kernel-doc */
	struct hlist_head listen_hash[1 << CLASP_LISTEN_HASH_BITS];

	spinlock_t tw_lock;		/* see kernel-doc */
	struct list_head tw_list;
	struct list_head fw2_list;
	u32 tw_count;
	struct hrtimer tw_timer;
	bool tw_dying;

	spinlock_t challenge_lock;	/* see kernel-doc */
	unsigned long challenge_stamp;
	u32 challenge_count;

	atomic_t orphans;
	const struct clasp_cong_ops *ca_default;

	struct ctl_table_header *sysctl;
	struct ctl_table *sysctl_table;

	spinlock_t ladder_lock;		/* see kernel-doc */
	struct hlist_head ladder_filters;
	unsigned int ladder_count;
	unsigned long ladder_stamp;
	atomic_t ladder_budget;
};

/* What a timer asks the owner to do once it releases the socket. */
enum clasp_deferred {
	CLASP_DEFER_RETRANS,
	CLASP_DEFER_KEEPALIVE,
	CLASP_DEFER_MTU,	/* and so does an ICMP fragmentation needed */
	CLASP_DEFER_DELACK,
	CLASP_DEFER_PACE,
};

/**
 * struct clasp_skb_cb - what clasp keeps with a queued segment
 * @seq: first sequence number
 * @end_seq: sequence number after it (FIN counts)
 * @flags: CLASP_FIN for the FIN marker
 * @retransmitted: sent more than once: no RTT sample (Karn)
 * @sacked: the peer reported it held (a SACK block, scoreboard.c)
 * @sent: time of the first transmission
 * @xmit: time of the latest transmission (RACK.xmit_ts of the segment)
 * @lost: RACK (RFC 8985 6) found it lost and it has not gone again since
 * @ladder: a segment received, already reported to the "segments" group
 *	(the final ACK a request hands to its new socket is reported once)
 * @rack_lost: RACK marked it lost since it last went: it stays off RACK's
 *	list until it goes again, even if an undo clears @lost (rtxq.c)
 * @segs: segments it carries, set when it is sent (Linux's pcount): what
 *	it counts for in the counters of the segments out (rtxq.c)
 * @offset: bytes already read (receive queue)
 */
struct clasp_skb_cb {
	u32 seq;
	u32 end_seq;
	u8 flags;
	bool retransmitted;
	bool sacked;
	bool lost;
	bool ladder;
	bool rack_lost;
	u16 segs;
	ktime_t sent;
	ktime_t xmit;
	u32 offset;
	u32 tx_delivered;
};

/* It lives in skb->cb, which the segment no longer needs for IP's. */
static_assert(sizeof(struct clasp_skb_cb) <= sizeof_field(struct sk_buff, cb));

#define CLASP_SKB_CB(skb) ((struct clasp_skb_cb *)&((skb)->cb[0]))

/* The segments a queued buffer counts for: at least one (a FIN alone). */
static inline u32 clasp_skb_segs(const struct sk_buff *skb)
{
	return CLASP_SKB_CB(skb)->segs ?: 1;
}

/* Set the segments @skb carries when cut at @mss (a FIN alone: one). */
static inline void clasp_skb_set_segs(struct sk_buff *skb, u32 mss)
{
	CLASP_SKB_CB(skb)->segs = max_t(u32, DIV_ROUND_UP(skb->len, mss), 1);
}

/**
 * struct clasp_rtxq - the segments out, those of the write queue before
 * send_head (rtxq.c)
 * @out: how many segments (Linux's packets_out)
 * @bufs: in how many buffers
 * @sacked: of them, SACKed
 * @lost: not SACKed and marked lost (lost_out)
 * @retrans: not SACKed and sent more than once
 * @lost_retrans: not SACKed, lost, sent more than once and below
 *	HighRxt: a fast recovery counts them in pipe
 * @lost_seq: no segment counted in @lost starts below it (while @lost)
 * @tsorted: those neither SACKed nor lost, in the order they were last
 *	sent, through skb->tcp_tsorted_anchor (Linux's tsorted_sent_queue)
 * @idx: a ring of @cap pointers to the buffers, in sequence order: @len from
 *	@first
 * @cap: its size, a power of two, 0 before it is allocated
 * @first: where the oldest is
 * @len: how many it holds
 * @idx_bad: one was split, or the ring could not grow: it is not used
 *	until none is out
 * @cache: the valid SACK blocks of the last ACK (scoreboard.c)
 * @ncache: how many
 */
struct clasp_rtxq {
	u32 out;
	u32 bufs;
	u32 sacked;
	u32 lost;
	u32 retrans;
	u32 lost_retrans;
	u32 lost_seq;
	struct list_head tsorted;
	struct sk_buff **idx;
	u32 cap;
	u32 first;
	u32 len;
	bool idx_bad;
	u8 ncache;
	struct clasp_sack_block cache[CLASP_SACK_CACHE];
};

/**
 * struct clasp_sockopt - what a program set on a socket (SOL_TCP and
 * SOL_CLASP options); a listener's children inherit it, as TCP's do
 * @ka_idle_ms: keepalive idle time, 0 for the namespace default
 * @ka_intvl_ms: keepalive interval, 0 for the namespace default
 * @ka_cnt: keepalive probes, 0 for the namespace default
 * @user_mss: TCP_MAXSEG: the largest MSS to announce and use, 0 for none
 * @window_clamp: TCP_WINDOW_CLAMP: the largest window to offer, 0 for none
 * @user_timeout_ms: TCP_USER_TIMEOUT: abort when data (or a SYN) stays
 *	unacknowledged, or keepalive probes unanswered, this long; 0 for none
 * @notsent_lowat: TCP_NOTSENT_LOWAT: writable only while fewer unsent
 *	bytes are queued; 0 for no limit
 * @linger2_ms: TCP_LINGER2: lifetime of an orphan in FIN_WAIT_2, 0 for
 *	the namespace's fin_timeout_ms, -1 to reset it at once
 * @syn_retries: TCP_SYNCNT: SYN retransmissions, 0 for the namespace's
 * @defer_accept: TCP_DEFER_ACCEPT: a listener's SYN-ACK retransmissions to
 *	wait for data before a bare ACK completes a connection
 * @nodelay: TCP_NODELAY: no Nagle algorithm (output.c)
 * @cork: TCP_CORK: hold partial segments (output.c)
 * @pingpong: interactive mode, TCP_QUICKACK cleared: no quick ACKs (ack.c);
 *	set and cleared by the connection itself too, as TCP's
 * @ca_ops: TCP_CONGESTION: the congestion control chosen, NULL for the
 *	namespace's (cong.c)
 */
struct clasp_sockopt {
	u32 ka_idle_ms;
	u32 ka_intvl_ms;
	u32 ka_cnt;
	u32 user_mss;
	u32 window_clamp;
	u32 user_timeout_ms;
	u32 notsent_lowat;
	s32 linger2_ms;
	u8 syn_retries;
	u8 defer_accept;
	bool nodelay;
	bool cork;
	bool pingpong;
	const struct clasp_cong_ops *ca_ops;
};

/**
 * struct clasp_sock - a clasp socket
 * @inet: the inet socket it extends; must stay first
 * @entry: its place in the connection table
 * @hashed: @entry is in the table
 * @cn: its namespace's clasp_net, as net_generic() gives it: cached, since
 *	net_generic() takes the RCU read lock at each call and the counters
 *	and tunables are read several times per segment
 * @listen_node: listener hash linkage
 * @accept_node: linkage in the listener's accept queue
 * @iss: initial send sequence number
 * @irs: initial receive sequence number
 * @snd_una: oldest unacknowledged sequence number
 * @snd_nxt: next sequence number to send
 * @snd_max: highest sequence number sent (snd_nxt rewinds on timeout)
 * @write_seq: sequence number after the last byte queued
 * @pushed_seq: @write_seq when a queued segment was last marked PSH
 * @snd_wnd: window the peer offers
 * @max_snd_wnd: largest window the peer offered (RFC 5961 5.2)
 * @snd_wl1: segment sequence number of the last window update
 * @snd_wl2: segment acknowledgment number of the last window update
 * @rcv_nxt: next sequence number expected
 * @rcv_wnd: window last advertised
 * @rcv_wup: rcv_nxt when @rcv_wnd was advertised
 * @copied_seq: first sequence number the reader has not consumed
 * @mss: effective maximum segment size (clasp_sync_mss())
 * @peer_mss: MSS the peer announced
 * @pmtu_cookie: the route's MTU @mss was computed for, so that a path MTU
 *	another socket's ICMP error changed is noticed (clasp_current_mss())
 * @dupacks: duplicate ACKs in a row (fast retransmit at three)
 * @ca_state: loss recovery state, TCP's enum tcp_ca_state (recovery.c)
 * @recover: highest sequence sent when recovery began (RFC 6582)
 * @frto: F-RTO step after a timeout (RFC 5682, recovery.c)
 * @high_rxt: HighRxt of RFC 6675: the end of the last segment recovery
 *	sent again; those below it are not sent again until a timeout
 * @rtxq: the segments out, counted and indexed (rtxq.c)
 * @sacked_out: segments of the write queue marked SACKed (scoreboard.c)
 * @sacked_bytes: their bytes
 * @highest_sack: end of the highest SACKed segment, valid with @sacked_out
 * @reordering: how far, in segments, data was seen out of order (TCP's
 *	tp->reordering): the DupThresh of loss detection (recovery.c)
 * @undo_marker: snd_una when the last window reduction began, valid with
 *	@undo_on (TCP's tp->undo_marker, recovery.c)
 * @undo_retrans: segments sent again since then that no D-SACK has shown
 *	needless yet (TCP's tp->undo_retrans)
 * @retrans_stamp: our timestamp clock (TSval) just before the first
 *	retransmission of the current loss episode, 0 when no
 *	retransmission is outstanding (TCP's tp->retrans_stamp): an echo
 *	older than it shows an original transmission delivered (RFC 3522)
 * @delivered: segments SACKed or cumulatively acknowledged for the first
 *	time, ever (TCP's tp->delivered, counted with SACK)
 * @prr_base: @delivered when the recovery began: RFC 6937's prr_delivered
 *	is @delivered - @prr_base (recovery.c)
 * @prr_last: @delivered before the ACK being processed (input.c)
 * @prr_out: segments sent in this recovery (RFC 6937 prr_out)
 * @undo_on: the last reduction may still be undone
 * @undo_ready: D-SACKs showed it needless; undone once no recovery runs
 * @cong: congestion control: the algorithm, cwnd and ssthresh (cong.c)
 * @snd_wscale: the peer's window shift: its windows are worth this more
 * @rcv_wscale: our window shift, announced in our SYN or SYN-ACK
 * @wscale_ok: window scaling in use (before the peer's SYN: offered)
 * @ts_ok: timestamps in use (before the peer's SYN: offered)
 * @sack_ok: both ends permit SACK (before the peer's SYN: offered)
 * @ecn: ECN state, CLASP_ECN_* bits (ecn.h): in use (before the peer's
 *	SYN-ACK: asked), CE seen, the echo, a CWR owed, the cut under way
 * @cwr_high: snd_max when cwnd was last cut, for an ECE or a local drop:
 *	the cut's window ends once an ACK goes beyond it (TCP's high_seq in
 *	its CWR state)
 * @ts_recent: TS.Recent, the TSval to echo (RFC 7323 4.3)
 * @ts_recent_stamp: seconds (ktime_get_seconds()) when it was recorded
 * @ts_offset: added to the millisecond clock for our TSval
 * @rcv_tsecr: TSecr of the segment being processed, 0 if none
 * @fin_queued: our FIN is in the write queue
 * @passive: created by a listener (accept) rather than connect
 * @send_head: first segment of the write queue not yet sent
 * @ooo_queue: segments received beyond a hole, by sequence (ooo.c)
 * @rcv_ooopack: segments queued there over the connection's life
 * @sack_rcv: the SACK blocks that describe @ooo_queue, and a D-SACK to
 *	report (sack.c); kept only with @sack_ok
 * @rcv_rtt_us: the receiver's RTT estimate: the least time a window took
 *	to arrive, 0 before the first (autotune.c)
 * @rcv_rtt_seq: the right edge of the window being timed
 * @rcv_rtt_time: when that window was advertised, in microseconds
 * @rcvq_space: bytes the reader took in the last RTT measured
 * @rcvq_seq: copied_seq when the current RTT began
 * @rcvq_time: when it began, in microseconds; 0 before the first read
 * @srtt_us: smoothed round-trip time, 0 before the first sample
 * @rttvar_us: round-trip time variation
 * @rto_us: retransmission timeout before backoff
 * @backoff: exponential backoff shift
 * @retransmits: retransmissions of the oldest outstanding segment
 * @total_retrans: retransmissions over the connection's life
 * @rtx_timer: retransmission (and window probe) timer
 * @rtx_pending: @rtx_timer is meant to be armed
 * @rtx_probe: @rtx_timer is armed as a tail loss probe (RFC 8985 7),
 *	not as the RTO (TCP's ICSK_TIME_LOSS_PROBE)
 * @tlp_high_seq: snd_max when the last probe went, 0 when no probe
 *	episode is open (TLP.end_seq of RFC 8985)
 * @tlp_retrans: that probe was a retransmission, not new data
 * @rtx_reo: @rtx_timer is armed as RACK's reordering timer (RFC 8985
 *	6.3, TCP's ICSK_TIME_REO_TIMEOUT)
 * @rack_reo_wait: RACK's last look found a segment that will be lost
 *	once its reordering window passes
 * @rack: RACK state (rack.h)
 * @ka_timer: keepalive timer
 * @ka_pending: @ka_timer is meant to be armed
 * @probes: keepalive probes unanswered
 * @pace_timer: sends new data again when its time comes (pacing.c)
 * @wstamp_ns: when new data may leave, with pacing of clasp's own
 *	(ktime_get_ns(); pacing.c)
 * @dack_timer: delayed-ACK timer (ack.c)
 * @dack_pending: @dack_timer is meant to be armed
 * @ack_sched: data or a FIN arrived that no ACK has covered yet
 * @ack_now: the next ACK decision must send at once: a hole filled, a FIN
 *	out of order or in FIN_WAIT_1, a CWR on data
 * @ack_pushed: a segment shorter than @rcv_mss arrived since the last ACK
 * @quick: quick ACKs left (quick-ACK mode, TCP's icsk_ack.quick)
 * @ato_us: delayed-ACK timeout in force, 0 before the first data
 * @rcv_mss: the peer's segment size as seen, for the two-segment rule
 * @lrcvtime: when data last arrived
 * @snd_sml: end of the last segment sent shorter than the MSS (Nagle)
 * @nagle_push: send what is queued whatever Nagle or cork say, until more
 *	is written (TCP's TCP_NAGLE_PUSH: TCP_NODELAY set, or uncorked)
 * @clock: while a segment is processed in the softirq (clasp_sock_rcv()),
 *	the time its processing began, taken again when it sends data:
 *	clasp_now() gives it to every stamp and RTT sample taken meanwhile,
 *	as TCP's tcp_mstamp; 0 otherwise
 * @rcv_tstamp: time an acceptable segment last arrived (keepalive idle
 *	time; TCP_INFO's last_ack_recv)
 * @data_sent_tstamp: time data was last sent, or the connection was
 *	established (TCP_INFO's last_data_sent, TCP's lsndtime)
 * @data_rcvd_tstamp: time new data last arrived in order, or the
 *	connection was established (last_data_recv, TCP's lrcvtime)
 * @probe_tstamp: time the first zero-window probe of a run went out, 0
 *	while not probing (TCP_USER_TIMEOUT bounds probing from it, as
 *	TCP's icsk_probes_tstamp)
 * @segs_out: segments the socket sent, retransmissions and ACKs included
 *	(TCP_INFO's segs_out, as TCP counts them)
 * @segs_in: segments delivered to the socket, whatever became of them; a
 *	passive connection counts its SYN (segs_in, as TCP)
 * @data_segs_out: segments sent with data, retransmissions included
 * @data_segs_in: segments delivered with data
 * @bytes_sent: data bytes sent, retransmissions included
 * @bytes_retrans: data bytes retransmitted
 * @oow_ack_stamp: jiffies of the last answer to an invalid segment
 * @mtu_info: path MTU of the last fragmentation needed (icmp.c)
 * @syn_tstamp: time our SYN was first sent (first RTT sample)
 * @opt: socket options (struct clasp_sockopt)
 * @deferred: enum clasp_deferred bits for release_cb
 * @tsq_throttled: the send loop stopped because too much of this
 *	socket's output waits below it, in qdiscs and device rings
 *	(output.c, "small queues"); the first of it freed sends more
 * @tsq_work: that sending, in process context (clasp_tsq_wq)
 * @cause: enum clasp_cause of the next state change (events)
 * @quiet: its last state change is not news (it became a compact entry)
 * @orphan_counted: counted in the namespace's orphans (limits.c)
 * @acc_lock: protects @requests, @accept_queue and @listening
 * @listening: accepts new connections (requests may be added)
 * @requests: half-open requests of this listener
 * @nr_requests: length of @requests
 * @accept_queue: established children waiting for accept()
 * @cookie_stamp: jiffies when this listener last sent a SYN cookie
 * @synflood_warned: the "possible SYN flooding" line was logged
 * @synflood_stamp: jiffies of the last SYN flood event
 * @overflow_stamp: jiffies of the last accept queue overflow event
 */
struct clasp_sock {
	struct inet_sock inet;
	struct clasp_entry entry;
	bool hashed;
	struct clasp_net *cn;
	struct hlist_node listen_node;
	struct list_head accept_node;

	u32 iss;
	u32 irs;
	u32 snd_una;
	u32 snd_nxt;
	u32 snd_max;
	u32 write_seq;
	u32 pushed_seq;
	u32 snd_wnd;
	u32 max_snd_wnd;
	u32 snd_wl1;
	u32 snd_wl2;
	u32 rcv_nxt;
	u32 rcv_wnd;
	u32 rcv_wup;
	u32 copied_seq;
	u32 mss;
	u32 peer_mss;
	u8 dupacks;
	u8 ca_state;
	u32 pmtu_cookie;
	u8 frto;
	u32 recover;
	u32 high_rxt;
	struct clasp_rtxq rtxq;
	u32 sacked_out;
	u32 sacked_bytes;
	u32 highest_sack;
	u32 reordering;
	u32 undo_marker;
	u32 undo_retrans;
	u32 retrans_stamp;
	u32 delivered;
	u32 prr_base;
	u32 prr_last;
	u32 prr_out;
	bool undo_on;
	bool undo_ready;
	struct clasp_cong cong;
	u8 snd_wscale;
	u8 rcv_wscale;
	bool wscale_ok;
	bool ts_ok;
	bool sack_ok;
	u8 ecn;
	u32 cwr_high;
	u32 ts_recent;
	u32 ts_recent_stamp;
	u32 ts_offset;
	u32 rcv_tsecr;
	bool fin_queued;
	bool passive;
	struct sk_buff *send_head;
	struct rb_root ooo_queue;
	u32 rcv_ooopack;
	struct clasp_sack_rcv sack_rcv;
	u32 rcv_rtt_us;
	u32 rcv_rtt_seq;
	u64 rcv_rtt_time;
	u32 rcvq_space;
	u32 rcvq_seq;
	u64 rcvq_time;

	u32 srtt_us;
	u32 rttvar_us;
	u32 rto_us;
	u8 backoff;
	u8 retransmits;
	u32 total_retrans;
	struct hrtimer rtx_timer;
	bool rtx_pending;
	bool rtx_probe;
	bool tlp_retrans;
	u32 tlp_high_seq;
	bool rtx_reo;
	bool rack_reo_wait;
	struct clasp_rack rack;

	struct hrtimer ka_timer;
	bool ka_pending;
	u8 probes;

	struct hrtimer pace_timer;
	u64 wstamp_ns;

	struct hrtimer dack_timer;
	bool dack_pending;
	bool ack_sched;
	bool ack_now;
	bool ack_pushed;
	u8 quick;
	u32 ato_us;
	u32 rcv_mss;
	ktime_t lrcvtime;
	u32 snd_sml;
	bool nagle_push;

	ktime_t clock;
	ktime_t rcv_tstamp;
	ktime_t data_sent_tstamp;
	ktime_t data_rcvd_tstamp;
	ktime_t probe_tstamp;
	u32 segs_out;
	u32 segs_in;
	u32 data_segs_out;
	u32 data_segs_in;
	u64 bytes_sent;
	u64 bytes_retrans;
	u32 oow_ack_stamp;
	u32 mtu_info;
	ktime_t syn_tstamp;
	struct clasp_sockopt opt;

	unsigned long deferred;
	unsigned long tsq_throttled;
	struct work_struct tsq_work;
	u8 cause;
	bool quiet;
	bool orphan_counted;

	spinlock_t acc_lock;		/* see kernel-doc */
	bool listening;
	struct list_head requests;
	u32 nr_requests;
	struct list_head accept_queue;
	unsigned long cookie_stamp;
	bool synflood_warned;
	unsigned long synflood_stamp;
	unsigned long overflow_stamp;
};

/**
 * struct clasp_request - a connection in SYN_RCVD after a passive open:
 * small, no socket until the handshake completes
 * @listener: the listening socket, referenced
 * @list: linkage in the listener's @requests, while linked
 * @rcu: deferred free, once the last reference is gone (it is unlinked
 *	then, so it shares @list's place)
 * @timer: SYN-ACK retransmission timer (a timer_list, as TCP's
 *	request's: an hrtimer costs 24 bytes more)
 * @refcnt: table, timer and lookups
 * @iss: our initial sequence number
 * @irs: the peer's initial sequence number
 * @ts_recent: TS.Recent (with @ts_ok)
 * @ts_recent_stamp: seconds when it was recorded
 * @oow_ack_stamp: jiffies of the last answer to an invalid segment
 * @peer_mss: MSS the peer announced
 * @snd_wnd: window the peer offered in its SYN
 * @linked: still in the table and the listener's list
 * @snd_wscale: the peer's window shift (with @wscale_ok)
 * @rcv_wscale: ours, announced in the SYN-ACK
 * @wscale_ok: both ends scale windows
 * @ts_ok: both ends send timestamps
 * @sack_ok: both ends permit SACK
 * @ecn_ok: the SYN asked for ECN and we agreed (RFC 3168 6.1.1)
 * @retrans: SYN-ACK retransmissions so far
 * @acked: a bare ACK came while TCP_DEFER_ACCEPT waited for data
 * @entry: its place in the connection table (kind CLASP_ENTRY_REQ); last,
 *	see struct clasp_tuple
 *
 * At most 128 bytes for IPv4 (two cache lines; Documentation/architecture.md
 * says what each field costs).
 */
struct clasp_request {
	struct sock *listener;
	union {
		struct list_head list;
		struct rcu_head rcu;
	};
	struct timer_list timer;
	refcount_t refcnt;
	u32 iss;
	u32 irs;
	u32 ts_recent;
	u32 ts_recent_stamp;
	u32 oow_ack_stamp;
	u16 peer_mss;
	u16 snd_wnd;
	bool linked;
	u8 snd_wscale;
	u8 rcv_wscale;
	bool wscale_ok;
	bool ts_ok;
	bool sack_ok;
	bool ecn_ok;
	u8 retrans;
	bool acked;
	struct clasp_entry entry;
};

/* Bytes of a request or compact entry: IPv4's end at the IPv4 key. */
#define CLASP_REQ_SIZE(v6)	(offsetof(struct clasp_request, entry.tuple) + \
				 ((v6) ? CLASP_TUPLE6_LEN : CLASP_TUPLE4_LEN))
#define CLASP_TW_SIZE(v6)	(offsetof(struct clasp_tw, entry.tuple) + \
				 ((v6) ? CLASP_TUPLE6_LEN : CLASP_TUPLE4_LEN))

/* Lock debugging puts a lockdep map in every timer_list. */
static_assert(IS_ENABLED(CONFIG_LOCKDEP) || CLASP_REQ_SIZE(false) <= 128);

/**
 * struct clasp_tw - a compact entry: TIME_WAIT, or FIN_WAIT_2 after close()
 * @expiry: linkage in the namespace's tw_list or fw2_list, while alive
 * @rcu: deferred free, once killed (the linkage is not needed any more)
 * @expires: when it ends, on clasp_tw_clock() (milliseconds, wrapping)
 * @snd_nxt: our next sequence number; everything before it is acknowledged
 * @rcv_nxt: the next sequence number expected from the peer
 * @ts_recent: TS.Recent, for PAWS and the TSecr of its ACKs (with ts_ok)
 * @ts_recent_stamp: low 16 bits of the second it was recorded
 * @oow_ack_stamp: low 16 bits of the jiffies of the last answer to an
 *	invalid segment, 0 for none
 * @rcv_wnd: the window last offered, in units of our window shift,
 *	rounded up: what the entry's ACKs advertise, and in FIN_WAIT_2
 *	the window segments are judged by (TIME_WAIT's is closed)
 * @max_snd_wnd: the largest window the peer offered (RFC 5961 5.2), in
 *	units of its window shift, rounded up
 * @entry: its place in the connection table (kind CLASP_ENTRY_TW); its
 *	@wscale holds both window shifts, its @flags CLASP_EF_TS_OK,
 *	CLASP_EF_REUSE and CLASP_EF_PAWS_IDLE; state TCP_CLOSE once the
 *	entry is killed.  Last,
 *	see struct clasp_tuple
 *
 * At most 64 bytes for IPv4, one cache line, and 88 for IPv6
 * (Documentation/architecture.md says what each field costs).  Readers
 * find an entry under RCU and use it inside that read-side section,
 * taking no reference; it is freed a grace period after it left the
 * table.
 */
struct clasp_tw {
	union {
		struct list_head expiry;
		struct rcu_head rcu;
	};
	u32 expires;
	u32 snd_nxt;
	u32 rcv_nxt;
	u32 ts_recent;
	u16 ts_recent_stamp;
	u16 oow_ack_stamp;
	u16 rcv_wnd;
	u16 max_snd_wnd;
	struct clasp_entry entry;
};

static_assert(CLASP_TW_SIZE(false) <= 64);

static inline struct clasp_sock *clasp_sk(const struct sock *sk)
{
	return (struct clasp_sock *)sk;
}

/*
 * The time for a clasp socket's stamps: while the softirq processes a
 * segment for it, the time kept in csk->clock (one read per segment, not
 * one per stamp); else the clock's.
 */
static inline ktime_t clasp_now(const struct sock *sk)
{
	ktime_t clock = clasp_sk(sk)->clock;

	return clock ? clock : ktime_get();
}

/* Data is about to go: its send times are now, as tcp_write_xmit() says. */
static inline void clasp_clock_refresh(struct sock *sk)
{
	struct clasp_sock *csk = clasp_sk(sk);

	if (csk->clock)
		csk->clock = ktime_get();
}

/* Did @skb come over IPv6? */
static inline bool clasp_skb_v6(const struct sk_buff *skb)
{
	return skb->protocol == htons(ETH_P_IPV6);
}

/*
 * The index of the device @skb arrived on.  inet_iif() reads an IPv4
 * route; an IPv6 segment's is skb_iif (IP6CB's iif is gone under clasp's
 * control block, and the same but for an L3 master device).
 */
static inline int clasp_iif(const struct sk_buff *skb)
{
	return clasp_skb_v6(skb) ? skb->skb_iif : inet_iif(skb);
}

/*
 * Does @sk speak IPv6 on the wire?  An AF_INET6 socket connected to a
 * v4-mapped address (or accepted from an IPv4 SYN), or bound to one,
 * speaks IPv4, as TCP's.
 */
static inline bool clasp_sk_v6(const struct sock *sk)
{
#if IS_ENABLED(CONFIG_IPV6)
	return sk->sk_family == AF_INET6 &&
	       !ipv6_addr_v4mapped(&sk->sk_v6_daddr) &&
	       !ipv6_addr_v4mapped(&sk->sk_v6_rcv_saddr);
#else
	return false;
#endif
}

/* Our timestamp clock at @t: milliseconds, plus the connection's offset. */
static inline u32 clasp_ts_at(ktime_t t, u32 offset)
{
	return (u32)div_u64(ktime_to_ns(t), NSEC_PER_MSEC) + offset;
}

/* Our timestamp clock now. */
static inline u32 clasp_ts_now(u32 offset)
{
	return clasp_ts_at(ktime_get(), offset);
}

/* The window a segment offers, in bytes: a SYN's is never scaled. */
static inline u32 clasp_seg_wnd(const struct clasp_sock *csk,
				const struct clasp_seg *seg)
{
	return seg->flags & CLASP_SYN ? seg->wnd :
	       (u32)seg->wnd << csk->snd_wscale;
}

/* Header bytes each segment's options take: the timestamps, aligned. */
static inline u32 clasp_opt_room(const struct clasp_sock *csk)
{
	return csk->ts_ok ? 2 + CLASP_OPTLEN_TS : 0;
}

/* The peer's window, and the largest it ever offered. */
static inline void clasp_set_snd_wnd(struct clasp_sock *csk, u32 wnd)
{
	csk->snd_wnd = wnd;
	csk->max_snd_wnd = max(csk->max_snd_wnd, wnd);
}

/* TCP's recovery state, with its CWR state while a cut for ECN lasts. */
static inline u8 clasp_ca_state(const struct clasp_sock *csk)
{
	if (csk->ca_state == TCP_CA_Open && csk->ecn & CLASP_ECN_IN_CWR)
		return TCP_CA_CWR;
	return csk->ca_state;
}

static inline struct clasp_net *clasp_pernet(const struct net *net)
{
	return net_generic(net, clasp_net_id);
}

/* A socket's namespace's: a clasp socket's, not a request's or entry's. */
static inline struct clasp_tunables *clasp_tun(const struct sock *sk)
{
	return &clasp_sk(sk)->cn->tun;
}

/*
 * Count @n events in a clasp socket's namespace, as clasp_stats_add()
 * does, without looking the namespace's clasp_net up (not for gauges).
 */
static inline void clasp_sk_stats_add(const struct sock *sk,
				      enum clasp_mib field, u32 n)
{
	this_cpu_add(clasp_sk(sk)->cn->stats.mib[field], n);
}

/* One event, as clasp_stats_inc(); not for CLASP_MIB_OBJECTS. */
static inline void clasp_sk_stats_inc(const struct sock *sk,
				      enum clasp_mib field)
{
	this_cpu_inc(clasp_sk(sk)->cn->stats.mib[field]);
}

/*
 * @base << @shift, capped at @max, as inet_csk_rto_backoff() caps TCP's.
 * A backoff shift follows a retry count, and the retries may be set to
 * 127: a shift of 64 or more is undefined (x86 takes it modulo 64, and
 * the timer fell back to its initial value).  The callers' caps fit in 32
 * bits, so from a shift of 32 on the cap is the answer.
 */
static inline u64 clasp_backoff(u32 base, u32 shift, u64 max)
{
	if (shift > 31)
		return max;
	return min((u64)base << shift, max);
}

/**
 * struct clasp_filter - which connections a dump or a segment-event
 *	listener wants, from the local side (nlconn.c)
 * @states: bit (1 << state) per state, 0 for all
 * @laddr: local address, under @lmask; an IPv4 one v4-mapped
 * @lmask: its prefix as a mask (96 bits more for IPv4)
 * @raddr: remote address, under @rmask
 * @rmask: likewise
 * @lport: local port (host order), 0 for any
 * @rport: remote port, 0 for any
 * @lfamily: the family @laddr was given in, 0 for any address: AF_INET
 *	selects IPv4 connections only, AF_INET6 any connection, an IPv4
 *	one by its addresses v4-mapped
 * @rfamily: likewise for @raddr
 * @family: the family on the wire, 0 for both
 * @sock_family: the socket's family, 0 for both (dumps only)
 */
struct clasp_filter {
	u32 states;
	struct in6_addr laddr, lmask;
	struct in6_addr raddr, rmask;
	u16 lport, rport;
	u8 lfamily, rfamily;
	u8 family, sock_family;
};

/**
 * struct clasp_ladder_seg - a segment as the "segments" group reports it
 * @time_ns: when it was sent or arrived (CLOCK_MONOTONIC)
 * @seq: sequence number
 * @ack: acknowledgment number (with CLASP_ACK)
 * @len: payload bytes
 * @wnd: the window field, unscaled
 * @iss: the local side's ISN (with @isns)
 * @irs: the peer's ISN (with @isns)
 * @flags: CLASP_* flags
 * @old_state: the local side's state before it, 0 if unknown
 * @state: after it, 0 if unknown
 * @sent: sent rather than received
 * @isns: @iss and @irs are known
 * @skip: received and already reported by whoever handed it on
 */
struct clasp_ladder_seg {
	u64 time_ns;
	u32 seq;
	u32 ack;
	u32 len;
	u32 wnd;
	u32 iss;
	u32 irs;
	u8 flags;
	u8 old_state;
	u8 state;
	bool sent;
	bool isns;
	bool skip;
};

struct netlink_ext_ack;
struct nlattr;
struct netlink_callback;
struct genl_info;

/* netlink.c */
extern struct genl_family clasp_genl_family;
int clasp_netlink_register(void);
void clasp_netlink_unregister(void);
int clasp_notify_segment(struct net *net, const struct clasp_entry *k,
			 const struct clasp_ladder_seg *ls);

/* nlconn.c */
int clasp_parse_filter(struct nlattr **attrs, struct clasp_filter *f,
		       struct netlink_ext_ack *extack);
bool clasp_filter_match(const struct clasp_filter *f,
			const struct clasp_entry *k, u8 state);
int clasp_put_local(struct sk_buff *skb, const struct clasp_entry *k);
int clasp_put_tuple(struct sk_buff *skb, const struct clasp_entry *k);
int clasp_get_tuple(struct genl_info *info, struct clasp_entry *k);
int clasp_conn_dump_start(struct netlink_callback *cb);
int clasp_conn_dump_done(struct netlink_callback *cb);
int clasp_conn_dump(struct sk_buff *skb, struct netlink_callback *cb);
int clasp_conn_get_doit(struct sk_buff *skb, struct genl_info *info);

/* ladder.c: each hook costs one static branch while nobody listens */
DECLARE_STATIC_KEY_FALSE(clasp_ladder_key);

static inline bool clasp_ladder_on(void)
{
	return static_branch_unlikely(&clasp_ladder_key);
}

int clasp_ladder_start(struct net *net, u32 portid,
		       const struct clasp_filter *f,
		       struct netlink_ext_ack *extack);
int clasp_ladder_init(void);
void clasp_ladder_exit(void);
void clasp_ladder_init_net(struct clasp_net *cn);
void clasp_ladder_exit_net(struct clasp_net *cn);
void clasp_ladder_begin(struct clasp_ladder_seg *ls, const struct sk_buff *skb,
			bool sent, u8 old_state);
void clasp_ladder_sock(struct sock *sk, struct clasp_ladder_seg *ls);
void clasp_ladder_entry(struct net *net, const struct clasp_entry *k,
			struct clasp_ladder_seg *ls, u8 none);
void clasp_notify_state(struct net *net, const struct clasp_entry *k,
			u8 old, u8 state, u8 cause);
void clasp_notify_listener(struct net *net, u8 cmd, const struct sock *sk,
			   unsigned long *stamp);

/* pernet.c */
int clasp_pernet_register(void);
void clasp_pernet_unregister(void);
int clasp_pernet_entries_register(void);
void clasp_pernet_entries_unregister(void);
u32 clasp_isn(struct clasp_net *cn, const struct clasp_entry *k);
u32 clasp_ts_offset(struct clasp_net *cn, const struct clasp_entry *k);
int clasp_ca_default_set(struct clasp_net *cn, const char *name);

/**
 * struct clasp_tunable_desc - a tunable as netlink shows and sets it
 * @name: its name (the module parameter's)
 * @offset: where it sits in struct clasp_tunables
 * @min: smallest accepted value
 * @max: largest accepted value
 * @global: for a tunable of the whole module (the memory pool's limits),
 *	where it is kept; set from the initial namespace only
 */
struct clasp_tunable_desc {
	const char *name;
	size_t offset;
	u32 min;
	u32 max;
	long *global;
};

extern const struct clasp_tunable_desc clasp_tunable_descs[];
extern const unsigned int clasp_n_tunables;
const struct clasp_tunable_desc *clasp_tunable_find(const char *name);
u32 clasp_tunable_get(const struct clasp_tunables *tun,
		      const struct clasp_tunable_desc *d);
void clasp_tunable_set(struct clasp_tunables *tun,
		       const struct clasp_tunable_desc *d, u32 value);

/* stats.c */
int clasp_stats_init(struct clasp_net *cn);
void clasp_stats_exit(struct clasp_net *cn);
void clasp_stats_inc(struct net *net, enum clasp_mib field);
void clasp_stats_add(struct net *net, enum clasp_mib field, u32 n);
void clasp_stats_dec(struct net *net, enum clasp_mib field);
const char *clasp_stats_name(enum clasp_mib field);
u64 clasp_stats_read(struct clasp_net *cn, enum clasp_mib field);

/* table.c */
int clasp_table_init(struct clasp_net *cn);
void clasp_table_exit(struct clasp_net *cn);
int clasp_get_port(struct sock *sk, unsigned short snum);
void clasp_put_port(struct sock *sk);
int clasp_connect_bind(struct sock *sk, u32 *iss);
int clasp_hash_conn(struct sock *sk);
void clasp_unhash_conn(struct sock *sk);
struct clasp_entry *clasp_lookup(struct clasp_net *cn,
				 const struct clasp_entry *k);
int clasp_table_insert(struct clasp_net *cn, struct clasp_entry *e);
void clasp_table_remove(struct clasp_net *cn, struct clasp_entry *e);
int clasp_table_replace(struct clasp_net *cn, struct clasp_entry *old,
			struct clasp_entry *new);
void clasp_key_sockaddr(const struct clasp_entry *k, bool local, void *out);
struct clasp_entry *clasp_lookup_live(struct clasp_net *cn,
				      const struct clasp_entry *k);
void clasp_inherit_port(struct sock *child, const struct sock *lsk);
int clasp_listen_add(struct sock *sk);
void clasp_listen_del(struct sock *sk);
struct sock *clasp_listen_lookup(struct clasp_net *cn,
				 const struct clasp_entry *k, int dif, int sdif,
				 struct sk_buff *skb);
bool clasp_tw_port_add(struct clasp_net *cn, const struct clasp_entry *e);
void clasp_tw_port_del(struct clasp_net *cn, const struct clasp_entry *e);

/* sock.c */
int clasp_sock_register(void);
void clasp_sock_unregister(void);
void clasp_caches_destroy(void);
void clasp_set_state(struct sock *sk, int state);
void clasp_done(struct sock *sk);
void clasp_reset(struct sock *sk, int err);
void clasp_init_child(struct sock *child);
void clasp_destroy_sock(struct sock *sk);
void clasp_sock_tuple(const struct sock *sk, struct clasp_entry *k);
void clasp_connect_start(struct sock *sk, u32 iss);
int clasp_listen(struct socket *sock, int backlog);
__poll_t clasp_poll(struct file *file, struct socket *sock, poll_table *wait);
int clasp_connect4(struct sock *sk, const struct sockaddr_in *usin);
int clasp_kill(struct clasp_net *cn, const struct clasp_entry *k);
u32 clasp_unread(const struct sock *sk);

/* sockopt.c */
void clasp_info_fill(struct sock *sk, struct clasp_info *info);
void clasp_keepalive_time(struct sock *sk, bool idle, u32 ms);
int clasp_getsockopt(struct sock *sk, int level, int optname,
		     char __user *optval, int __user *optlen);
int clasp_setsockopt(struct sock *sk, int level, int optname,
		     sockptr_t optval, unsigned int optlen);
void clasp_keepalive(struct sock *sk, int valbool);

/* tcpopt.c */
int clasp_tcp_getsockopt(struct sock *sk, int optname, char __user *optval,
			 int __user *optlen);
int clasp_tcp_setsockopt(struct sock *sk, int optname, sockptr_t optval,
			 unsigned int optlen);
void clasp_tcp_info_fill(struct sock *sk, struct tcp_info *ti);
u32 clasp_adv_mss(struct sock *sk);
u32 clasp_window_clamp(const struct sock *sk, u32 win);
bool clasp_stream_memory_free(const struct sock *sk, int wake);
bool clasp_defer_ack(struct clasp_request *req, const struct clasp_seg *seg);
u32 clasp_user_timeout_left_us(const struct sock *sk, ktime_t since);

/* demux.c */
int clasp_rcv(struct sk_buff *skb);
void clasp_key_of(const struct sk_buff *skb, struct clasp_entry *k);
void clasp_rcv_lookup(struct net *net, struct sk_buff *skb);
void clasp_parse_seg(const struct sk_buff *skb, struct clasp_seg *seg);

/* ooo.c */
bool clasp_ooo_queue(struct sock *sk, struct sk_buff *skb,
		     const struct clasp_seg *seg, u32 off);
struct sk_buff *clasp_ooo_next(struct sock *sk, u32 in_order);
void clasp_ooo_purge(struct sock *sk);
u32 clasp_ooo_count(const struct sock *sk);
void clasp_dsack(struct sock *sk, u32 start, u32 end);

/* scoreboard.c */
bool clasp_sack_tag(struct sock *sk, const struct clasp_seg *seg);
u32 clasp_sack_fack(const struct clasp_sock *csk);
void clasp_sack_acked(struct sock *sk, const struct sk_buff *skb, u32 segs,
		      u32 bytes, u32 fack, u32 *reord);
void clasp_sack_reordering(struct sock *sk, u32 low_seq, u32 fack);
void clasp_sack_check_reneging(struct sock *sk);
void clasp_sack_clear(struct sock *sk);
u32 clasp_sack_lost_end(struct sock *sk, u32 *lost);

/* rtxq.c */
bool clasp_rtxq_debugging(void);
void clasp_rtxq_init(struct sock *sk);
void clasp_rtxq_purge(struct sock *sk);
void clasp_rtxq_free(struct sock *sk);
void clasp_rtxq_rebuild(struct sock *sk);
void clasp_rtxq_sent(struct sock *sk, struct sk_buff *skb);
void clasp_rtxq_acked(struct sock *sk, struct sk_buff *skb, bool out);
bool clasp_rtxq_begin(struct sock *sk, const struct sk_buff *skb);
void clasp_rtxq_end(struct sock *sk, struct sk_buff *skb, bool out, bool sent);
void clasp_rtxq_split(struct sock *sk, struct sk_buff *skb,
		      struct sk_buff *tail, bool out, u32 segs);
void clasp_rtxq_resize(struct sock *sk, struct sk_buff *skb, bool out,
		       u32 segs);
void clasp_rtxq_high_rxt(struct sock *sk, struct sk_buff *skb, u32 prior);
void clasp_rtxq_high_rxt_reset(struct sock *sk);
bool clasp_rtxq_pipe(struct sock *sk, u32 *pipe);
struct sk_buff *clasp_rtxq_find(struct sock *sk, u32 seq);
struct sk_buff *clasp_rtxq_next(struct sock *sk, struct sk_buff *skb);
void clasp_rtxq_check(struct sock *sk, u32 pipe, u32 walked);
void clasp_rtxq_check_block(struct sock *sk, const struct clasp_sack_block *b);
u32 clasp_rtxq_rack_detect(struct sock *sk, bool *marked);

/* recovery.c */
void clasp_recovery_init(struct sock *sk);
void clasp_recovery_dupack(struct sock *sk);
void clasp_recovery_ack(struct sock *sk, u32 prior_una);
void clasp_recovery_sacked(struct sock *sk);
void clasp_recovery_dsack(struct sock *sk, u32 start, u32 end);
void clasp_recovery_timeout(struct sock *sk);
bool clasp_recovery_probe_due(struct sock *sk);
void clasp_recovery_probe(struct sock *sk);
void clasp_recovery_probe_acked(struct sock *sk, u32 ack, bool dupack);
bool clasp_rack_decides(const struct sock *sk);
void clasp_rack_delivered(struct sock *sk, const struct sk_buff *skb,
			  u32 segs, bool cumulative);
bool clasp_rack_dsack_seen(struct sock *sk, u32 start, u32 end);
void clasp_rack_ack_done(struct sock *sk);
void clasp_rack_reo_timeout(struct sock *sk);

/* cong.c */
int clasp_cong_init_module(void);
void clasp_cong_exit_module(void);
void clasp_cong_sock_init(struct sock *sk);
void clasp_cong_start(struct sock *sk);
void clasp_cong_stop(struct sock *sk);
int clasp_cong_set(struct sock *sk, const char *name);
const char *clasp_cong_name(const struct sock *sk);
u32 clasp_cong_pipe(struct sock *sk, u32 limit);
void clasp_cong_validate(struct sock *sk, u32 pipe, bool blocked);
void clasp_cong_state(struct sock *sk, u8 state);
void clasp_cong_recovery(struct sock *sk);
void clasp_cong_dupack(struct sock *sk);
void clasp_cong_timeout(struct sock *sk);
void clasp_cong_undo(struct sock *sk);
void clasp_cong_ack(struct sock *sk, u32 acked, s32 rtt_us, u8 prior);
void clasp_cong_tx_start(struct sock *sk);
void clasp_cong_cwr(struct sock *sk);

/* limits.c */
bool clasp_orphan_add(struct sock *sk);
void clasp_orphan_del(struct sock *sk);
/* Pages of socket memory at most (4 TiB of 4 KiB pages). */
#define CLASP_MEM_PAGES_MAX	BIT(30)
extern long clasp_sysctl_mem[3];
bool clasp_under_memory_pressure(void);
long clasp_mem_pages(void);
bool clasp_wmem_schedule(struct sock *sk, struct sk_buff *skb);
void clasp_wmem_queue(struct sock *sk, struct sk_buff *skb);
void clasp_wmem_free(struct sock *sk, struct sk_buff *skb);
bool clasp_rmem_schedule(struct sock *sk, struct sk_buff *skb);
void clasp_mem_sock_init(struct sock *sk);
void clasp_mem_child_init(const struct sock *lsk, struct sock *child);
void clasp_mem_clone_discard(struct sock *child);
int clasp_mem_init(struct proto *prot);
void clasp_mem_exit(void);

/* autotune.c */
void clasp_autotune_init(struct sock *sk);
void clasp_rcv_rtt_measure(struct sock *sk);
void clasp_rcvbuf_adjust(struct sock *sk);
void clasp_sndbuf_expand(struct sock *sk);

/* policy.c */
bool clasp_policy_drops(struct net *net, struct sock *sk, struct sk_buff *skb);
int clasp_pre_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len);

/* icmp.c */
int clasp_err(struct sk_buff *skb, u32 info);
struct inet6_skb_parm;
int clasp_v6_err(struct sk_buff *skb, struct inet6_skb_parm *opt, u8 type,
		 u8 code, int offset, __be32 info);
void clasp_mtu_reduced(struct sock *sk);

/* input.c */
int clasp_do_rcv(struct sock *sk, struct sk_buff *skb);
void clasp_sock_rcv(struct sock *sk, struct sk_buff *skb);

/* challenge.c */
bool clasp_challenge_ack_allowed(struct net *net, u32 *stamp);
bool clasp_oow_ack_allowed(struct net *net, const struct clasp_seg *seg,
			   u32 rcv_nxt, u32 *stamp);

/* sysctl.c */
int clasp_sysctl_init_net(struct clasp_net *cn);
void clasp_sysctl_exit_net(struct clasp_net *cn);

/* ctl.c */
int clasp_ctl_sock_init(struct clasp_net *cn);
void clasp_ctl_sock_exit(struct clasp_net *cn);
void clasp_send_reset(struct net *net, struct sk_buff *skb);
void clasp_resend_ctl(struct net *net, const struct clasp_entry *k, u32 seq,
		      u32 ack, u8 flags, u16 wnd, u16 mss);
void clasp_send_ctl(struct net *net, const struct clasp_entry *k, u32 seq,
		    u32 ack, u8 flags, u16 wnd, u16 mss);
void clasp_send_ctl_opts(struct net *net, const struct clasp_entry *k,
			 u32 seq, u32 ack, u8 flags, u16 wnd,
			 const struct clasp_opts *o, bool rtx);

/* output.c */
void clasp_key_checksum(struct sk_buff *skb, const struct clasp_entry *k,
			bool partial);
void clasp_push_header(struct sk_buff *skb, __be16 sport, __be16 dport,
		       u32 seq, u32 ack, u8 flags, u16 wnd, const u8 *opts,
		       int optlen);
int clasp_build_opts(u8 *buf, u8 flags, const struct clasp_opts *o);
void clasp_send_flags(struct sock *sk, u8 flags);
void clasp_send_ack(struct sock *sk);
void clasp_send_syn(struct sock *sk);
void clasp_send_active_reset(struct sock *sk, gfp_t gfp);
void clasp_send_probe(struct sock *sk);
void clasp_push(struct sock *sk);
void clasp_push_nonagle(struct sock *sk, int nonagle);
void clasp_push_pending(struct sock *sk);
struct sk_buff *clasp_alloc_seg(unsigned int payload, gfp_t gfp);
void clasp_wfree(struct sk_buff *skb);
bool clasp_retransmit_one(struct sock *sk);
bool clasp_retransmit_skb(struct sock *sk, struct sk_buff *skb);
void clasp_trace_retransmit(struct sock *sk, u32 seq);
void clasp_queue_fin(struct sock *sk);
u32 clasp_rcv_space(const struct sock *sk);
u32 clasp_rcv_window(struct sock *sk);
u8 clasp_choose_wscale(const struct sock *sk);
u32 clasp_route_mss(const struct dst_entry *dst);
struct dst_entry *clasp_sk_route(struct sock *sk);
void clasp_sync_mss(struct sock *sk, const struct dst_entry *dst);
void clasp_current_mss(struct sock *sk);

/* wqueue.c */
int clasp_queue_data(struct sock *sk, struct msghdr *msg, size_t len,
		     u32 goal);
int clasp_split(struct sock *sk, struct sk_buff *skb, u32 len);
bool clasp_trim_head(struct sock *sk, struct sk_buff *skb, u32 len);
void clasp_mark_push(struct sock *sk);
bool clasp_push_forced(const struct sock *sk);
struct sk_buff *clasp_burst(struct sock *sk, struct sk_buff *first, u32 max,
			    u32 *segs);

/* pacing.c */
void clasp_pacing_update(struct sock *sk);
bool clasp_pacing_holds(struct sock *sk);
void clasp_pacing_sent(struct sock *sk, u32 len);

/* tso.c */
bool clasp_route_caps(struct sock *sk);
u32 clasp_tso_segs(const struct sock *sk);
bool clasp_tso_write_full(const struct sock *sk, u32 goal);
bool clasp_tso_should_defer(struct sock *sk, struct sk_buff *skb, u32 room,
			    bool *cwnd_limited);

/* offload.c */
int clasp_offload_init(void);
void clasp_offload_exit(void);
int clasp_offload6_init(void);
void clasp_offload6_exit(void);

/* ipv6.c */
struct flowi6;
void clasp_v6_prot_init(void);
int clasp_v6_init(void);
void clasp_v6_stop(void);
void clasp_v6_exit(void);
bool clasp_v6_enabled(void);
void clasp_v6_child_init(struct sock *child, const struct clasp_entry *k,
			 int iif);
int clasp_v6_child_route(struct sock *child);
struct dst_entry *clasp_v6_ctl_route(struct net *net,
				     const struct clasp_entry *k,
				     struct flowi6 *fl6);
int clasp_v6_ctl_xmit(struct net *net, struct sk_buff *skb, struct flowi6 *fl6);
int clasp_v6_ctl_sock_init(struct clasp_net *cn);
void clasp_v6_ctl_sock_exit(struct clasp_net *cn);

/* ecn_sock.c */
u8 clasp_ecn_syn_flags(struct sock *sk, u8 flags);
void clasp_ecn_rcv_synsent(struct sock *sk, const struct clasp_seg *seg);
u8 clasp_ecn_xmit(struct sock *sk, u32 seq, u32 len);
void clasp_ecn_rcv_data(struct sock *sk, const struct sk_buff *skb);
bool clasp_ecn_rcv_ack(struct sock *sk, const struct clasp_seg *seg);
void clasp_cwr_local(struct sock *sk);
void clasp_ecn_queue_cwr(struct sock *sk);
bool clasp_ecn_req(const struct sock *lsk, const struct sk_buff *skb,
		   const struct clasp_seg *seg);

/* ack.c */
void clasp_ack_quick_enter(struct sock *sk, u32 max);
void clasp_ack_fin_rcvd(struct sock *sk);
void clasp_ack_rcv(struct sock *sk, const struct clasp_seg *seg, bool arrived);
void clasp_ack_sent(struct sock *sk);
void clasp_ack_data_sent(struct sock *sk);
void clasp_ack_read(struct sock *sk, int copied);
void clasp_ack_quick_set(struct sock *sk, int val);
void clasp_dack_work(struct sock *sk);

/* timer.c */
void clasp_dack_arm(struct sock *sk, u64 ns);
void clasp_dack_stop(struct sock *sk);
void clasp_timers_init(struct sock *sk);
void clasp_tsq_init(struct sock *sk);
int clasp_tsq_wq_init(void);
void clasp_tsq_wq_exit(void);
void clasp_timers_stop(struct sock *sk);
void clasp_rtx_arm(struct sock *sk);
void clasp_rtx_schedule(struct sock *sk);
void clasp_rtx_stop(struct sock *sk);
void clasp_rtx_reo_arm(struct sock *sk, u32 us);
void clasp_ka_reset(struct sock *sk);
void clasp_ka_set(struct sock *sk, bool on);
void clasp_ka_stop(struct sock *sk);
void clasp_rtt_sample(struct sock *sk, ktime_t sent);
void clasp_rtt_sample_ts(struct sock *sk, u32 tsecr);
void clasp_ts_update(struct sock *sk, const struct clasp_seg *seg);
void clasp_release_cb(struct sock *sk);
u32 clasp_ka_idle_ms(const struct sock *sk);
u32 clasp_ka_intvl_ms(const struct sock *sk);
u32 clasp_ka_cnt(const struct sock *sk);
u64 clasp_timer_remaining_ms(struct hrtimer *t);
void clasp_timer_arm(struct sock *sk, struct hrtimer *t, u64 ns);
u64 clasp_timer_list_remaining_ms(const struct timer_list *t);

/* request.c */
int clasp_listen_rcv(struct sock *lsk, struct sk_buff *skb);
int clasp_req_rcv(struct clasp_request *req, struct sk_buff *skb);
void clasp_req_put(struct clasp_request *req);
void clasp_req_abort(struct clasp_request *req);
void clasp_req_drop(struct clasp_request *req, u8 cause);
void clasp_listen_stop(struct sock *lsk);
struct sock *clasp_accept_dequeue(struct sock *lsk);
int clasp_request_cache_init(void);
void clasp_request_cache_exit(void);

/* syncookies.c */
u32 clasp_cookie_make(struct clasp_net *cn, const struct clasp_entry *k,
		      u32 irs, u16 peer_mss);
u32 clasp_cookie_tsval(const struct clasp_request *req, u32 offset);
void clasp_cookie_ts_decode(struct clasp_request *req, u32 tsecr, u32 offset);
u16 clasp_cookie_check(struct clasp_net *cn, const struct clasp_entry *k,
		       u32 irs, u32 cookie);
u32 clasp_cookie_counter(struct clasp_net *cn);

/* timewait.c */
#define CLASP_TW_TO_LISTENER	1	/* clasp_tw_rcv(): a SYN for the listener */
#define CLASP_TW_GONE		2	/* ... the entry ended: look again */
void clasp_time_wait(struct sock *sk, int state);
int clasp_tw_rcv(struct clasp_net *cn, struct clasp_tw *tw,
		 struct sk_buff *skb);
void clasp_tw_abort(struct clasp_net *cn, struct clasp_tw *tw);
bool clasp_tw_reusable(struct clasp_net *cn, const struct clasp_tw *tw,
		       bool bound);
u32 clasp_tw_recycle(struct clasp_net *cn, struct clasp_tw *tw);
void clasp_tw_init_net(struct clasp_net *cn);
void clasp_tw_exit_net(struct clasp_net *cn);
int clasp_tw_cache_init(void);
void clasp_tw_cache_exit(void);

#endif /* _CLASP_H */
