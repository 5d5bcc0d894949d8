/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * clasp: TCP-style connection management over its own IP protocol number.
 * The user-visible interface: protocol number, socket options and counters.
 */
#ifndef _UAPI_CLASP_H
#define _UAPI_CLASP_H

#include <linux/types.h>

/* Default IP protocol number (RFC 3692 experimentation); see module param. */
#define IPPROTO_CLASP		253

/* Level of clasp's own socket options (setsockopt/getsockopt). */
#define SOL_CLASP		253

/*
 * Socket options at SOL_CLASP.  CLASP_KEEPIDLE_MS, CLASP_KEEPINTVL_MS and
 * CLASP_KEEPCNT set what TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT set
 * (in milliseconds rather than seconds); CLASP_MAXSEG reads what
 * TCP_MAXSEG reads on a connection.
 */
#define CLASP_INFO		1	/* get: struct clasp_info */
#define CLASP_KEEPIDLE_MS	2	/* idle time before keepalive probes */
#define CLASP_KEEPINTVL_MS	3	/* time between keepalive probes */
#define CLASP_KEEPCNT		4	/* unanswered probes before abort */
#define CLASP_MAXSEG		5	/* get: effective MSS */

/*
 * Socket options at SOL_TCP (6), from <linux/tcp.h>, so that programs
 * written for TCP run unchanged.  Values, units, ranges, rounding and
 * errno are TCP's: a value shorter than an int is EINVAL, as is one out
 * of TCP's range; a negative getsockopt() length is EINVAL and a short
 * one gets what fits.  Children of a listener inherit its options.
 *
 * TCP_NODELAY, TCP_CORK  as TCP's: Nagle (Minshall's variant) holds a
 *                        short segment while a short one is unacknowledged,
 *                        unless TCP_NODELAY; TCP_CORK (MSG_MORE for one
 *                        write) holds short segments until they fill or the
 *                        cork comes off (or an RTO with nothing in flight).
 * TCP_QUICKACK           as TCP's: 0 enters interactive mode (ACKs wait
 *                        for a reply or the 40 ms delayed-ACK timer), 1
 *                        leaves it; reads whether the socket is in it.
 * TCP_MAXSEG             88..32767, or 0 for none: caps the MSS clasp
 *                        announces in its SYN or SYN-ACK and the one it
 *                        sends with.  Reads the effective MSS; before a
 *                        connection, the value set (536 if none).
 * TCP_KEEPIDLE, TCP_KEEPINTVL  seconds, 1..32767; TCP_KEEPCNT 1..127.
 *                        Keepalive as TCP's, per socket (the namespace's
 *                        keepalive_* tunables until set).
 * TCP_SYNCNT             1..127: retransmissions of this socket's SYN
 *                        before connect() fails (syn_retries until set).
 * TCP_USER_TIMEOUT       milliseconds, >= 0 (0: none).  When set, it
 *                        replaces the retry counts: the connection fails
 *                        with ETIMEDOUT once data, a FIN or the SYN stays
 *                        unacknowledged that long, or the peer was silent
 *                        that long with a keepalive probe unanswered, or
 *                        the peer kept its window closed that long since
 *                        the first zero-window probe (answered or not);
 *                        the timers are shortened to end on time.
 *                        Unanswered zero-window probes still count
 *                        retries too.
 * TCP_LINGER2            seconds an orphan (after close()) waits in
 *                        FIN_WAIT_2 for the peer's FIN, at most 120;
 *                        0 for the namespace's fin_timeout_ms; either is
 *                        raised to 3.5 RTO if shorter, as TCP's; negative:
 *                        not at all (reset if close() finds FIN_WAIT_2,
 *                        else just gone).  Reads seconds, or -1.
 * TCP_DEFER_ACCEPT       seconds, turned into a count of SYN-ACK timeouts
 *                        (1 s, doubling, at most 120 s) and read back as
 *                        the time that count covers: a listener holds a
 *                        handshake that completes without data until data
 *                        arrives or the count runs out, then resends its
 *                        SYN-ACK and takes the next ACK.  A handshake a
 *                        SYN cookie completes is not held (nothing was
 *                        kept to hold it in), as with TCP.
 * TCP_WINDOW_CLAMP       the largest window clasp offers, at least half
 *                        of SOCK_MIN_RCVBUF; 0 lifts it, before a
 *                        connection only (EINVAL after).  Reads the clamp,
 *                        or 65535 (clasp's largest window) on a connection
 *                        without one.
 * TCP_NOTSENT_LOWAT      bytes: the socket is writable (poll, send) only
 *                        while fewer are queued unsent; 0 for no limit.
 *                        As with TCP, a poller or writer waiting is woken
 *                        once sending leaves fewer than half as many.
 * TCP_INFO               struct tcp_info (the kernel's, as long as the
 *                        room given), from the snapshot CLASP_INFO and
 *                        claspctl conns -i report.  Filled: state,
 *                        retransmits, probes, backoff, rto (with backoff,
 *                        as TCP's), snd_mss, rcv_mss and advmss (the MSS
 *                        announced), unacked (segments in flight),
 *                        retrans (1 while the oldest was resent),
 *                        last_data_sent, last_data_recv, last_ack_recv
 *                        (ms since data went out, data came in order, a
 *                        segment was accepted; from the handshake on),
 *                        segs_out, segs_in, data_segs_out, data_segs_in,
 *                        bytes_sent, bytes_retrans (counted as TCP does:
 *                        retransmissions and pure ACKs included; a
 *                        passive socket's segs_in counts the SYN, its
 *                        segs_out not the SYN-ACK), pmtu, rtt, rttvar,
 *                        ato (the delayed-ACK timeout, 0 before data),
 *                        snd_cwnd and snd_ssthresh (segments;
 *                        TCP_INFINITE_SSTHRESH until a loss), reordering (3, the
 *                        duplicate ACK threshold), total_retrans,
 *                        bytes_acked and bytes_received (sequence space
 *                        as TCP counts it: the SYN of an active open and
 *                        FINs included; modulo 2^32), notsent_bytes,
 *                        snd_wnd, rcv_wnd (6.2 on), pacing rates,
 *                        options (TIMESTAMPS, SACK, WSCALE as negotiated)
 *                        and snd_wscale/rcv_wscale, ca_state (Open;
 *                        Recovery after a fast retransmit, Loss after a
 *                        timeout), rcv_ooopack, rcv_rtt and rcv_space
 *                        (the receiver's RTT estimate and what the
 *                        reader took in one, as TCP's autotuning keeps
 *                        them); on a listener, unacked and sacked are
 *                        the accept queue and its limit.  Zero: fackets,
 *                        delivery_rate, busy times, min_rtt and
 *                        everything else clasp does not keep.
 * TCP_CONGESTION         the congestion control algorithm by name, as
 *                        TCP's: at most 15 bytes are read, an unknown
 *                        name is ENOENT, an empty one EINVAL; reads the
 *                        name in 16 bytes (or as many as fit).  clasp has
 *                        "cubic" (RFC 9438 with HyStart++, RFC 9406) and
 *                        "reno" (NewReno, RFC 5681 and 6582), the names
 *                        Linux gives its own; new connections use the
 *                        namespace's congestion_control sysctl, cubic.
 *
 * Every other option fails with ENOPROTOOPT, as TCP answers an option it
 * does not know: TCP_CC_INFO (neither algorithm reports any), TCP_ULP,
 * TCP_FASTOPEN*, TCP_MD5SIG*,
 * TCP_AO_*, TCP_REPAIR*, TCP_ZEROCOPY_RECEIVE, TCP_INQ, TCP_SAVE_SYN,
 * TCP_SAVED_SYN, TCP_THIN_*, TCP_TIMESTAMP, TCP_TX_DELAY.
 */

/* What clasp_info.timer says is armed. */
enum clasp_timer_kind {
	CLASP_TIMER_NONE,
	CLASP_TIMER_RETRANS,		/* SYN, SYN-ACK, data or FIN */
	CLASP_TIMER_KEEPALIVE,
	CLASP_TIMER_TIMEWAIT,
	CLASP_TIMER_FINWAIT2,
	CLASP_TIMER_DELACK,		/* an ACK owed; shown when no other is */
};

/**
 * struct clasp_info - a connection's state, like TCP_INFO
 * @state: TCP_* state number (TCP_ESTABLISHED is 1, ...)
 * @retransmits: retransmissions of the segment now timed
 * @backoff: exponential backoff shift of the retransmission timer
 * @timer: enum clasp_timer_kind armed now
 * @timer_ms: milliseconds until that timer fires
 * @rto_us: retransmission timeout
 * @srtt_us: smoothed round-trip time (RFC 6298)
 * @rttvar_us: round-trip time variation
 * @mss: effective maximum segment size (min of ours and the peer's)
 * @peer_mss: MSS the peer announced
 * @iss: our initial sequence number
 * @irs: the peer's initial sequence number
 * @snd_una: oldest unacknowledged sequence number
 * @snd_nxt: next sequence number to send
 * @rcv_nxt: next sequence number expected
 * @snd_wnd: send window the peer offers
 * @rcv_wnd: receive window we offer
 * @total_retrans: retransmissions over the connection's life
 * @unacked: bytes sent and not yet acknowledged
 * @probes: keepalive probes sent and unanswered
 * @send_queue: bytes queued to send, including unacknowledged ones
 * @recv_queue: bytes received and not yet read
 * @options: CLASP_INFO_OPT_* bits of what both ends negotiated (TCP_INFO's
 *	TCPI_OPT_* values)
 * @snd_wscale: the peer's window shift (with CLASP_INFO_OPT_WSCALE)
 * @rcv_wscale: ours (with CLASP_INFO_OPT_WSCALE)
 * @pad: zero
 * @cwnd: congestion window, in segments
 * @ssthresh: slow-start threshold, in segments (0x7fffffff: none yet)
 * @in_flight: segments thought to be in the network (RFC 6675's pipe),
 *	what cwnd bounds; @unacked has the bytes sent and not acknowledged
 * @ca_name: the congestion control algorithm, NUL-terminated
 */
struct clasp_info {
	__u8	state;
	__u8	retransmits;
	__u8	backoff;
	__u8	timer;
	__u32	timer_ms;
	__u32	rto_us;
	__u32	srtt_us;
	__u32	rttvar_us;
	__u32	mss;
	__u32	peer_mss;
	__u32	iss;
	__u32	irs;
	__u32	snd_una;
	__u32	snd_nxt;
	__u32	rcv_nxt;
	__u32	snd_wnd;
	__u32	rcv_wnd;
	__u32	total_retrans;
	__u32	unacked;
	__u32	probes;
	__u32	send_queue;
	__u32	recv_queue;
	__u8	options;
	__u8	snd_wscale;
	__u8	rcv_wscale;
	__u8	pad;
	__u32	cwnd;
	__u32	ssthresh;
	__u32	in_flight;
	char	ca_name[16];
};

/* clasp_info.options: TCP_INFO's tcpi_options bits. */
#define CLASP_INFO_OPT_TS	1
#define CLASP_INFO_OPT_SACK	2
#define CLASP_INFO_OPT_WSCALE	4
#define CLASP_INFO_OPT_ECN	8	/* ECN in use (RFC 3168) */
#define CLASP_INFO_OPT_ECN_SEEN	16	/* an ECT or CE segment arrived */

/* Counters, in the order /proc/net/clasp_stats prints them. */
enum clasp_mib {
	CLASP_MIB_INSEGS,		/* segments received */
	CLASP_MIB_OUTSEGS,		/* segments sent */
	CLASP_MIB_INERRS,		/* malformed segments dropped */
	CLASP_MIB_INCSUMERRORS,		/* segments with a bad checksum */
	CLASP_MIB_NOPORT,		/* segments for no socket */
	CLASP_MIB_OUTRSTS,		/* resets sent */
	CLASP_MIB_ACTIVEOPENS,		/* CLOSED -> SYN_SENT */
	CLASP_MIB_PASSIVEOPENS,		/* LISTEN -> SYN_RCVD */
	CLASP_MIB_ATTEMPTFAILS,		/* SYN_SENT/SYN_RCVD -> CLOSED or LISTEN */
	CLASP_MIB_ESTABRESETS,		/* ESTABLISHED/CLOSE_WAIT -> CLOSED */
	CLASP_MIB_CURRESTAB,		/* gauge: ESTABLISHED or CLOSE_WAIT now */
	CLASP_MIB_RETRANSSEGS,		/* segments retransmitted */
	CLASP_MIB_TIMEWAITENTERED,
	CLASP_MIB_TIMEWAITKILLED,	/* ended early by RST or a new SYN */
	CLASP_MIB_TIMEWAITOVERFLOW,	/* not entered: max_tw_buckets reached */
	CLASP_MIB_LISTENOVERFLOWS,	/* accept queue full */
	CLASP_MIB_LISTENDROPS,		/* SYNs or ACKs a listener dropped */
	CLASP_MIB_CHALLENGEACKS,	/* RFC 5961 challenge ACKs sent */
	CLASP_MIB_ABORTONCLOSE,		/* RST on close() with unread data */
	CLASP_MIB_ABORTONDATA,		/* RST on data after close() */
	CLASP_MIB_ABORTONTIMEOUT,	/* retries exhausted */
	CLASP_MIB_ABORTONLINGER,	/* RST on close() with SO_LINGER {1,0} */
	CLASP_MIB_KEEPALIVEABORTS,	/* keepalive probes unanswered */
	CLASP_MIB_OUTOFWINDOWDROPS,	/* segments outside the window */
	CLASP_MIB_RSTSRECEIVED,		/* acceptable resets received */
	CLASP_MIB_OBJECTS,		/* gauge: sockets, requests, entries alive */
	CLASP_MIB_SYNCOOKIESSENT,	/* SYN-ACKs that carried a cookie */
	CLASP_MIB_SYNCOOKIESRECV,	/* ACKs whose cookie validated */
	CLASP_MIB_SYNCOOKIESFAILED,	/* ACKs whose cookie did not validate */
	CLASP_MIB_REQQFULLDOCOOKIES,	/* SYN queue full: answered by cookie */
	CLASP_MIB_REQQFULLDROP,		/* SYN queue full: SYN dropped */
	CLASP_MIB_RCVQDROPS,		/* in-window data refused: socket or pool memory */
	CLASP_MIB_BACKLOGDROPS,		/* socket busy and its backlog full */
	CLASP_MIB_ACKSKIPPED,		/* ACKs to out-of-window segments held back */
	CLASP_MIB_CHALLENGEACKSKIPPED,	/* challenge ACKs held back: per connection */
	CLASP_MIB_CHALLENGEACKLIMITED,	/* challenge ACKs held back: per namespace */
	CLASP_MIB_INICMPERRORS,		/* ICMP errors about our segments */
	CLASP_MIB_OUTOFWINDOWICMPS,	/* ... quoting a sequence number not in flight */
	CLASP_MIB_ICMPHARDERRORS,	/* ... that failed a connection or request */
	CLASP_MIB_ICMPSOFTERRORS,	/* ... kept as a connection's soft error */
	CLASP_MIB_PMTUUPDATES,		/* fragmentation needed: MSS lowered */
	CLASP_MIB_ICMPREDIRECTS,	/* redirects applied to a route */
	CLASP_MIB_POLICYDROPS,		/* segments IPsec policy refused */
	CLASP_MIB_FILTERDROPS,		/* ... socket filters, the LSM or cgroup BPF refused */
	CLASP_MIB_ABORTONMEMORY,	/* RST on close(): max_orphans reached */
	CLASP_MIB_MEMORYPRESSURES,	/* the memory pool entered pressure */
	CLASP_MIB_OFOQUEUE,		/* segments held in the out-of-order queue */
	CLASP_MIB_OFODROP,		/* ... refused it: memory */
	CLASP_MIB_OFOMERGE,		/* ... whose bytes it already held */
	CLASP_MIB_OFOPRUNED,		/* ... given up for memory */
	CLASP_MIB_RENORECOVERY,		/* fast retransmits that began recovery */
	CLASP_MIB_FASTRETRANS,		/* segments sent again in recovery */
	CLASP_MIB_SPURIOUSRTOS,		/* timeouts F-RTO found spurious */
	CLASP_MIB_DELAYEDACKS,		/* ACKs the delayed-ACK timer sent */
	CLASP_MIB_PAWSESTAB,		/* segments dropped by PAWS (RFC 7323 5) */
	CLASP_MIB_DSACKOLDSENT,		/* D-SACKs sent for data below rcv_nxt */
	CLASP_MIB_DSACKOFOSENT,		/* ... for data the out-of-order queue held */
	CLASP_MIB_SACKRECOVERY,		/* recoveries begun with SACK (RFC 6675) */
	CLASP_MIB_SACKREORDER,		/* SACKs or ACKs that showed reordering */
	CLASP_MIB_DSACKRECV,		/* D-SACKs below the ACK (RFC 2883) */
	CLASP_MIB_DSACKOFORECV,		/* D-SACKs of data held beyond a hole */
	CLASP_MIB_SACKRENEGING,		/* peers that dropped what they SACKed */
	CLASP_MIB_LOSSPROBES,		/* tail loss probes sent (RFC 8985) */
	CLASP_MIB_LOSSPROBERECOVERY,	/* ... that repaired a loss */
	CLASP_MIB_LOSTRETRANSMIT,	/* retransmissions RACK found lost */
	CLASP_MIB_LADDERLISTENERS,	/* gauge: segment-event filters set */
	CLASP_MIB_LADDEREVENTS,		/* segment events sent ("segments") */
	CLASP_MIB_LADDERDROPS,		/* ... held back: rate bound, memory */
	CLASP_MIB_DSACKUNDO,		/* reductions D-SACKs showed needless */
	CLASP_MIB_FULLUNDO,		/* ... undone as a fast recovery ended */
	CLASP_MIB_PARTIALUNDO,		/* ... undone by a partial ACK (Eifel) */
	CLASP_MIB_LOSSUNDO,		/* ... of a timeout, undone */
	CLASP_MIB_CERECV,		/* data segments that came marked CE (ECN) */
	CLASP_MIB_ECERECV,		/* ACKs that echoed CE (ECE) */
	CLASP_MIB_ECNREDUCTIONS,	/* ... that cut cwnd, once per window */
	CLASP_MIB_DELIVEREDCE,		/* segments ACKs with ECE acknowledged */
	CLASP_MIB_TWRECYCLED,		/* TIME_WAIT entries connect() took over */
	__CLASP_MIB_MAX
};

/*
 * What a connection dump asked with CLASP_A_DUMP_EXT adds to a socket's
 * message, as inet_diag's idiag_ext: always the 4-tuple, STATE, KIND,
 * PASSIVE, RECV_Q, SEND_Q and COOKIE; without the attribute, everything.
 * Requests and compact entries always carry all they have.
 */
enum clasp_dump_ext {
	CLASP_DUMP_EXT_TIMERS	= 1 << 0,	/* TIMER, TIMER_MS, RETRANS, BACKOFF */
	CLASP_DUMP_EXT_OWNER	= 1 << 1,	/* UID, INODE */
	CLASP_DUMP_EXT_INFO	= 1 << 2,	/* the rest: RTT, windows, ... */
};

#define CLASP_DUMP_EXT_ALL \
	(CLASP_DUMP_EXT_TIMERS | CLASP_DUMP_EXT_OWNER | CLASP_DUMP_EXT_INFO)

/*
 * Generic netlink family "clasp", version 1.  Every message carries
 * attributes of enum clasp_attr at the top level.
 *
 * Addresses: a message about a connection carries FAMILY (the family on
 * the wire) and that family's addresses: LADDR and RADDR (be32) for
 * AF_INET, LADDR6 and RADDR6 (16 bytes) for AF_INET6.  An AF_INET6
 * socket's connection to an IPv4 peer (v4-mapped) is AF_INET on the wire;
 * a dump says SOCK_FAMILY AF_INET6 for it, and V6ONLY for AF_INET6
 * sockets.  A request takes either family's pair, not both; IPv6
 * addresses that are both v4-mapped name the IPv4 connection.
 *
 * CLASP_CMD_CONN_GET   do: one connection by 4-tuple (LADDR, LPORT, RADDR,
 *                      RPORT, or LADDR6 and RADDR6 for IPv6); dump: every
 *                      connection, listeners, requests and compact entries
 *                      included, filtered by FILTER_STATES, LADDR/RADDR or
 *                      LADDR6/RADDR6 (with FILTER_LPLEN / FILTER_RPLEN
 *                      prefix lengths: at most 32 for IPv4, 128 for IPv6;
 *                      an IPv6 prefix sees an IPv4 connection's addresses
 *                      v4-mapped), LPORT/RPORT, FAMILY (the wire's) and
 *                      SOCK_FAMILY (the socket's);
 *                      DUMP_EXT, if given, names what a socket's message
 *                      holds beyond the columns (see enum clasp_dump_ext)
 * CLASP_CMD_CONN_KILL  abort a connection with RST (admin)
 * CLASP_CMD_STATS_GET  every counter: nested STAT entries {NAME, VALUE}
 * CLASP_CMD_CONFIG_GET every tunable: nested CONFIG entries {NAME, VALUE,
 *                      VALUE_MIN, VALUE_MAX}
 * CLASP_CMD_CONFIG_SET one tunable: NAME and VALUE (admin)
 * CLASP_CMD_EVENT_*    notifications on the "events" multicast group
 * CLASP_CMD_LADDER_START  per-segment events for the segments matching a
 *                      filter (LADDR/FILTER_LPLEN, RADDR/FILTER_RPLEN,
 *                      LADDR6, RADDR6, LPORT, RPORT, FAMILY, as a dump's),
 *                      until the netlink
 *                      socket that asked closes (admin); one filter per
 *                      socket, a second replaces the first
 * CLASP_CMD_EVENT_SEGMENT  a segment sent or received, on the "segments"
 *                      multicast group (CAP_NET_ADMIN over the namespace
 *                      to join): FAMILY and the 4-tuple from the local
 *                      side, SEG_SENT,
 *                      SEG_FLAGS, SEG_SEQ, SEG_ACK (with ACK), SEG_LEN,
 *                      SEG_WND, TIME_NS, and where known ISS and IRS,
 *                      OLD_STATE (before) and STATE (after)
 */
#define CLASP_GENL_NAME		"clasp"
#define CLASP_GENL_VERSION	1
#define CLASP_MCGRP_EVENTS	"events"
#define CLASP_MCGRP_SEGMENTS	"segments"

enum clasp_cmd {
	CLASP_CMD_UNSPEC,
	CLASP_CMD_CONN_GET,
	CLASP_CMD_CONN_KILL,
	CLASP_CMD_STATS_GET,
	CLASP_CMD_CONFIG_GET,
	CLASP_CMD_CONFIG_SET,
	CLASP_CMD_EVENT_STATE,		/* a connection changed state */
	CLASP_CMD_EVENT_SYNFLOOD,	/* cookies engaged or SYNs dropped */
	CLASP_CMD_EVENT_OVERFLOW,	/* an accept queue overflowed */
	CLASP_CMD_LADDER_START,		/* segment events for a filter (admin) */
	CLASP_CMD_EVENT_SEGMENT,	/* a segment sent or received */
	__CLASP_CMD_MAX
};

#define CLASP_CMD_MAX (__CLASP_CMD_MAX - 1)

/* What kind of object a connection message describes. */
enum clasp_conn_kind {
	CLASP_KIND_SOCKET,
	CLASP_KIND_REQUEST,		/* half-open, after a passive open */
	CLASP_KIND_COMPACT,		/* TIME_WAIT, or FIN_WAIT_2 after close */
};

/* Why a connection changed state (CLASP_CMD_EVENT_STATE). */
enum clasp_cause {
	CLASP_CAUSE_SEGMENT,		/* a segment arrived */
	CLASP_CAUSE_USER,		/* connect, listen, close, shutdown */
	CLASP_CAUSE_RST,		/* a reset arrived */
	CLASP_CAUSE_TIMEOUT,		/* retries ran out, or a timer ended it */
	CLASP_CAUSE_KEEPALIVE,		/* keepalive probes unanswered */
	CLASP_CAUSE_KILLED,		/* CLASP_CMD_CONN_KILL */
	CLASP_CAUSE_ICMP,		/* an ICMP error failed it */
};

enum clasp_attr {
	CLASP_A_UNSPEC,
	CLASP_A_LADDR,			/* be32 */
	CLASP_A_RADDR,			/* be32 */
	CLASP_A_LPORT,			/* u16, host order */
	CLASP_A_RPORT,			/* u16, host order */
	CLASP_A_STATE,			/* u8, TCP_* numbering */
	CLASP_A_OLD_STATE,		/* u8, events */
	CLASP_A_CAUSE,			/* u8, enum clasp_cause, events */
	CLASP_A_KIND,			/* u8, enum clasp_conn_kind */
	CLASP_A_PASSIVE,		/* u8, 1 if created by a listener */
	CLASP_A_TIMER,			/* u8, enum clasp_timer_kind */
	CLASP_A_TIMER_MS,		/* u32 */
	CLASP_A_RETRANS,		/* u8 */
	CLASP_A_BACKOFF,		/* u8 */
	CLASP_A_RTO_US,			/* u32 */
	CLASP_A_SRTT_US,		/* u32 */
	CLASP_A_SND_UNA,		/* u32 */
	CLASP_A_SND_NXT,		/* u32 */
	CLASP_A_RCV_NXT,		/* u32 */
	CLASP_A_SND_WND,		/* u32 */
	CLASP_A_RCV_WND,		/* u32 */
	CLASP_A_MSS,			/* u32 */
	CLASP_A_RECV_Q,			/* u32: unread bytes; listener: queued */
	CLASP_A_SEND_Q,			/* u32: unacked+unsent; listener: backlog */
	CLASP_A_UID,			/* u32 */
	CLASP_A_INODE,			/* u64 */
	CLASP_A_COOKIE,			/* u64, socket cookie */
	CLASP_A_FILTER_STATES,		/* u32, bit (1 << state) per state */
	CLASP_A_FILTER_LPLEN,		/* u8, prefix length for LADDR */
	CLASP_A_FILTER_RPLEN,		/* u8, prefix length for RADDR */
	CLASP_A_STATS,			/* nest of CLASP_A_ENTRY */
	CLASP_A_CONFIG,			/* nest of CLASP_A_ENTRY */
	CLASP_A_ENTRY,			/* nest: NAME, VALUE, VALUE_MIN, VALUE_MAX */
	CLASP_A_NAME,			/* string */
	CLASP_A_VALUE,			/* u64 */
	CLASP_A_VALUE_MIN,		/* u64 */
	CLASP_A_VALUE_MAX,		/* u64 */
	CLASP_A_PAD,
	CLASP_A_CA_STATE,		/* u8, TCP's enum tcp_ca_state (recovery) */
	CLASP_A_OOO_SEGS,		/* u32: segments held beyond a hole */
	CLASP_A_SND_WSCALE,		/* u8: the peer's window shift */
	CLASP_A_RCV_WSCALE,		/* u8: ours (both only with scaling) */
	CLASP_A_TS_OK,			/* u8: timestamps in use */
	CLASP_A_SACK_OK,		/* u8: both ends permit SACK */
	CLASP_A_SACK_BLOCKS,		/* u8: SACK blocks held for the next ACKs */
	CLASP_A_SACKED_SEGS,		/* u32: segments sent that the peer SACKed */
	CLASP_A_REORDERING,		/* u32: reordering seen, in segments */
	CLASP_A_CWND,			/* u32: congestion window, segments */
	CLASP_A_SSTHRESH,		/* u32: slow-start threshold, segments */
	CLASP_A_IN_FLIGHT,		/* u32: segments in flight (pipe) */
	CLASP_A_CA_NAME,		/* string: congestion control; config:
					 * the namespace's congestion_control
					 */
	CLASP_A_CA_AVAILABLE,		/* string, config: every algorithm */
	CLASP_A_SEG_SENT,		/* u8: 1 sent, 0 received */
	CLASP_A_SEG_FLAGS,		/* u8: the header's flags byte */
	CLASP_A_SEG_SEQ,		/* u32: sequence number, as on the wire */
	CLASP_A_SEG_ACK,		/* u32: acknowledgment number (with ACK) */
	CLASP_A_SEG_LEN,		/* u32: payload bytes */
	CLASP_A_SEG_WND,		/* u32: the window field, unscaled */
	CLASP_A_ISS,			/* u32: the local side's ISN */
	CLASP_A_IRS,			/* u32: the peer's ISN */
	CLASP_A_TIME_NS,		/* u64: CLOCK_MONOTONIC, nanoseconds */
	CLASP_A_DUMP_EXT,		/* u32, dump request: CLASP_DUMP_EXT_* */
	CLASP_A_ECN_OK,			/* u8: ECN in use (RFC 3168) */
	CLASP_A_ECN_SEEN,		/* u8: an ECT or CE segment arrived */
	CLASP_A_FAMILY,			/* u8: AF_INET or AF_INET6, the wire's;
					 * dump request: that family only
					 */
	CLASP_A_LADDR6,			/* binary, 16 bytes: local IPv6 address */
	CLASP_A_RADDR6,			/* binary, 16 bytes: remote IPv6 address */
	CLASP_A_SOCK_FAMILY,		/* u8: the socket's family (AF_INET6 for
					 * a dual-stack socket's IPv4
					 * connection); dump request: that
					 * family only, as ss -4/-6
					 */
	CLASP_A_V6ONLY,			/* u8: an AF_INET6 socket with IPV6_V6ONLY */
	CLASP_A_PACING_RATE,		/* u64: bytes a second (pacing.c), once
					 * the socket has a rate
					 */
	CLASP_A_MAX_PACING_RATE,	/* u64: SO_MAX_PACING_RATE, when set */
	__CLASP_A_MAX
};

#define CLASP_A_MAX (__CLASP_A_MAX - 1)

#endif /* _UAPI_CLASP_H */
