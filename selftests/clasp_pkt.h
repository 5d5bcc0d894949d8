/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp_pkt: a fake peer that speaks to the module segment by segment, in
 * the manner of packetdrill.
 *
 * The module's end is an address on a tun device; the fake peer's address
 * is routed to that device, so no stack ever answers for it: every segment
 * the module sends to the peer is read from the tun descriptor, and every
 * segment the peer "sends" is written to it, as if it had come off a wire.
 *
 * Segments are written as text close to tcpdump's and packetdrill's:
 *
 *	S 0:0(0) win 65535 <mss 1200>		SYN
 *	S. 0:0(0) ack 1 <mss 1460>		SYN-ACK
 *	. 1:1(0) ack 1				ACK
 *	P. 1:11(10) ack 1			10 bytes of data
 *	F. 1:1(0) ack 1   R 5:5(0)   R. 0:0(0) ack 1
 *
 * Flags are S, F, R, P, "." for ACK, E for ECE and W for CWR, in any
 * order; "ect0", "ect1" or "ce" after them sets the ECN field of the IP
 * header (RFC 3168), which an expected segment must match: none unless
 * given.  Sequence numbers
 * are relative to the sender's ISN and acknowledgment numbers to the
 * receiver's: the peer's ISN is chosen at random per connection, the
 * module's is learned from the first SYN it sends.  Until then it counts
 * as 0, so answers to segments of no connection read as absolute numbers.
 *
 * Options are written as tcpdump prints them, in the order they are on
 * the wire: "<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>", also
 * "nop", "eol" and "sack 1:10 20:30" (relative, as sequence numbers of the
 * data they cover, most recent first as on the wire).  "TS val N ecr
 * ours" echoes the TSval of the module's last segment (an injected ACK
 * must echo what it acknowledges).
 *
 * An expected segment must match exactly: flags, seq, ack (when ACK is
 * set), payload length and options (none unless given; "<mss N>" means an
 * MSS option of N and nothing else), byte for byte, except the TSval of
 * a timestamps option: the module's clock and per-connection offset make
 * it random, so it is not compared (its TSecr is).  Its window is checked only when the
 * text gives one.  It must also arrive on time: delta_ms after the last
 * event (a segment injected or received, or clasp_pkt_mark()), no earlier
 * than the tolerance allows, and no later than CLASP_PKT_LATE_FACTOR times
 * that or the stall allowance, whichever is more: a loaded host only ever
 * delays, and can freeze the guest for a while.  Both come from
 * CLASP_PKT_TOLERANCE (environment: "ABS_MS,REL_PCT,STALL_MS", default
 * "150,20,1000"): ABS_MS milliseconds plus REL_PCT percent of delta_ms.
 * Where exact timing matters, also check the kernel's view of its timers
 * (clasp_pkt_info(), CLASP_INFO), which no stall blurs.
 *
 * The functions return 0 on success and -1 on a mismatch or an error,
 * after printing what was expected, what came and the last events, as
 * kselftest diagnostics ("# " lines on stderr).
 */
#ifndef CLASP_PKT_H
#define CLASP_PKT_H

#include <pthread.h>
#include <stdbool.h>

#include "clasp_seg.h"

/*
 * The addresses, of the family in use (clasp_family(), CLASP_FAMILY=6 for
 * IPv6): the same tun device carries either.
 */
#define CLASP_PKT_LOCAL4	"10.99.0.1"	/* the module's address */
#define CLASP_PKT_PEER4		"10.99.0.2"	/* the fake peer's */
#define CLASP_PKT_PEER2_4	"10.99.0.3"	/* another address of the peer */
#define CLASP_PKT_LOCAL6	"fd99::1"
#define CLASP_PKT_PEER6		"fd99::2"
#define CLASP_PKT_PEER2_6	"fd99::3"
#define CLASP_PKT_LOCAL		(clasp_v6() ? CLASP_PKT_LOCAL6 : CLASP_PKT_LOCAL4)
#define CLASP_PKT_PEER		(clasp_v6() ? CLASP_PKT_PEER6 : CLASP_PKT_PEER4)
#define CLASP_PKT_PEER2		(clasp_v6() ? CLASP_PKT_PEER2_6 : CLASP_PKT_PEER2_4)
/* The IP header the module's segments carry over the tun device. */
#define CLASP_PKT_IPHLEN	(clasp_v6() ? CLASP_IP6_HLEN : 20)
#define CLASP_PKT_WIN		65535		/* window of injected segments */
#define CLASP_PKT_HISTORY	16		/* events shown on a failure */
#define CLASP_PKT_LATE_FACTOR	3		/* late tolerance / early one */

/**
 * struct clasp_pkt - the fake peer and the connection it plays
 * @tun: the tun device's descriptor
 * @v6: the peer speaks IPv6 (clasp_family() when it was opened)
 * @local_addr: the module's address (network order), IPv4
 * @peer_addr: the peer's address in use (network order), IPv4
 * @local_addr6: the module's address, IPv6
 * @peer_addr6: the peer's address in use, IPv6
 * @local_port: the module's port
 * @peer_port: the peer's port
 * @peer_isn: the peer's ISN: relative sequence number 0 of what it sends
 * @local_isn: the module's ISN, once @local_isn_known
 * @local_isn_known: learned from the module's SYN or SYN-ACK
 * @tol_abs_ms: timing tolerance, absolute part
 * @tol_rel_pct: timing tolerance, percent of the expected delay
 * @stall_ms: how late anything may be, at least
 * @quiet_ms: how long clasp_pkt_expect_none(p, -1) listens
 * @t0_us: when the peer was opened (times in the history count from it)
 * @ref_us: the last event, which delays count from
 * @sent_us: just before the last injected segment was written: the module
 *	may act on it before the write returns (and @ref_us is taken)
 * @history: the last events, one line each
 * @nhist: events recorded so far
 * @local_tsval: the TSval of the module's last segment with timestamps
 * @rx: the datagram last received
 * @rx_len: its length
 */
struct clasp_pkt {
	int tun;
	bool v6;
	uint32_t local_addr;
	uint32_t peer_addr;
	struct in6_addr local_addr6;
	struct in6_addr peer_addr6;
	uint16_t local_port;
	uint16_t peer_port;
	uint32_t peer_isn;
	uint32_t local_isn;
	bool local_isn_known;
	int tol_abs_ms;
	int tol_rel_pct;
	int stall_ms;
	int quiet_ms;
	long long t0_us;
	long long ref_us;
	long long sent_us;
	char history[CLASP_PKT_HISTORY][160];
	unsigned int nhist;
	uint32_t local_tsval;
	uint8_t rx[65536];
	size_t rx_len;
};

/**
 * struct clasp_pkt_spec - a segment parsed from text
 * @seg: its fields, sequence numbers relative
 * @win_given: the text gave a window (checked when expected)
 * @opts: option bytes, which @seg.opts points to when there are some
 * @ts_off: where a timestamps option starts in @opts, -1 if none
 * @sack_off: where a SACK option starts in @opts, -1 if none
 * @ecr_ours: its TSecr is to be the module's last TSval ("ecr ours")
 */
struct clasp_pkt_spec {
	struct clasp_seg seg;
	uint8_t flags_maybe;	/* flags that may be set or not ("P?") */
	bool win_given;
	uint8_t opts[40];
	int ts_off;
	int sack_off;	/* the SACK option's offset in @opts, -1 if none */
	bool ecr_ours;
};

/* The TSval and TSecr of the timestamps option among @len bytes at @opt. */
bool clasp_pkt_ts(const uint8_t *opt, size_t len, uint32_t *tsval,
		  uint32_t *tsecr);

long long clasp_pkt_now_us(void);
/* A "# clasp_pkt: " diagnostic line on stderr. */
void clasp_pkt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Create the tun device and its addresses in the current namespace. */
int clasp_pkt_open(struct clasp_pkt *p);
void clasp_pkt_close(struct clasp_pkt *p);

/* The peer's address in use from now on, text of its family: 0 or -1. */
int clasp_pkt_set_peer(struct clasp_pkt *p, const char *addr);
/* An address of @p's family as text, in @buf of INET6_ADDRSTRLEN. */
const char *clasp_pkt_ntop(const struct clasp_pkt *p, uint32_t addr,
			   const struct in6_addr *addr6, char *buf);

/* Play a new connection: fresh peer ISN, module's ISN not yet known. */
void clasp_pkt_conn(struct clasp_pkt *p, uint16_t local_port,
		    uint16_t peer_port);
/* Forget the module's ISN: its next SYN or SYN-ACK teaches it again. */
void clasp_pkt_forget_isn(struct clasp_pkt *p);

/*
 * What the fake peer must know to play one of several connections: kept
 * by clasp_pkt_save() once the module's ISN is known, taken up again by
 * clasp_pkt_play().
 */
struct clasp_pkt_id {
	uint16_t local_port;
	uint16_t peer_port;
	uint32_t peer_isn;
	uint32_t local_isn;
};

void clasp_pkt_save(const struct clasp_pkt *p, struct clasp_pkt_id *id);
void clasp_pkt_play(struct clasp_pkt *p, const struct clasp_pkt_id *id);

/* Text to segment; -1 (with a message) if the text is not understood. */
int clasp_pkt_parse(const char *text, struct clasp_pkt_spec *spec);
/*
 * Make what the text leaves relative absolute: "ecr ours" becomes @tsecr,
 * SACK blocks are offset by @sack_base (the ISN of the side whose data
 * they cover).
 */
void clasp_pkt_spec_resolve(struct clasp_pkt_spec *spec, uint32_t tsecr,
			    uint32_t sack_base);
/* One line, tcpdump-like, sequence numbers relative as in the text. */
void clasp_pkt_format(const struct clasp_pkt *p, const struct clasp_seg *s,
		      bool from_module, bool show_win, char *buf, size_t size);
/* Does @got (absolute) match @want (relative)?  0, or -1 and @why. */
int clasp_pkt_match(const struct clasp_pkt *p,
		    const struct clasp_pkt_spec *want,
		    const struct clasp_seg *got, char *why, size_t size);
/* The payload an injected segment carries at relative @seq. */
void clasp_pkt_fill(uint32_t seq, void *buf, size_t len);

/* Send @rel (relative numbers; zero addresses and ports filled in). */
int clasp_pkt_send(struct clasp_pkt *p, const struct clasp_seg *rel);
/*
 * Send an ICMP error of @type and @code (and next-hop @mtu) from the peer,
 * quoting a segment the module sent with relative sequence number @seq:
 * over IPv6 an ICMPv6 error (RFC 4443; @type and @code ICMPv6's, @mtu the
 * 32-bit word after the checksum: a packet too big's MTU, a parameter
 * problem's pointer), quoting the segment's IPv6 header and clasp header.
 */
int clasp_pkt_icmp(struct clasp_pkt *p, int type, int code, int mtu,
		   uint32_t seq);

/*
 * ICMP errors by what they mean, for tests written once for both
 * families: clasp_pkt_icmp_err() sends the peer's family's message.
 */
enum clasp_icmp_kind {
	CLASP_ICMP_NET_UNREACH,		/* net unreachable; ICMPv6 no route */
	CLASP_ICMP_HOST_UNREACH,	/* host unreachable; address unreachable */
	/* What a host without the module answers: protocol unreachable;
	 * ICMPv6 parameter problem, unrecognized next header (pointer 6). */
	CLASP_ICMP_PROT_UNREACH,
	CLASP_ICMP_PORT_UNREACH,	/* port unreachable, both */
	CLASP_ICMP_ADMIN_PROHIBITED,	/* code 13 (filtered); ICMPv6 code 1 */
	CLASP_ICMP_TIME_EXCEEDED,	/* hop limit exceeded in transit */
	CLASP_ICMP_PARAM_PROBLEM,	/* parameter problem, pointer 0 */
	CLASP_ICMP_TOO_BIG,		/* fragmentation needed; packet too big */
};

/* The @kind of error (with @mtu for CLASP_ICMP_TOO_BIG), as above. */
int clasp_pkt_icmp_err(struct clasp_pkt *p, enum clasp_icmp_kind kind,
		       int mtu, uint32_t seq);
/* Its name, for messages. */
const char *clasp_icmp_kind_name(enum clasp_icmp_kind kind);
/*
 * Send an ICMP host redirect from @gateway (the route's gateway to the
 * peer) naming @new_gateway, quoting the segment with sequence @seq.
 * IPv4 only (IPv6's redirects are neighbour discovery's): -1 over IPv6.
 */
int clasp_pkt_redirect(struct clasp_pkt *p, const char *gateway,
		       const char *new_gateway, uint32_t seq);
/* Send the segment the text describes. */
int clasp_pkt_inject(struct clasp_pkt *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * The module's next segment within @ms, absolute: 1, 0 if none came, -1
 * on error.  @got->data points into @p->rx.  Not an expectation: no check.
 */
int clasp_pkt_recv(struct clasp_pkt *p, struct clasp_seg *got, int ms);
/* The module's next segment must be this one, @delta_ms after the last event. */
int clasp_pkt_expect(struct clasp_pkt *p, int delta_ms, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The module must send nothing for @ms (-1: the quiet time). */
int clasp_pkt_expect_none(struct clasp_pkt *p, int ms);
/* The window field of the module's last segment, -1 if there is none. */
int clasp_pkt_last_win(const struct clasp_pkt *p);

/* Delays count from now, or from @at_us (an earlier event's time). */
void clasp_pkt_mark(struct clasp_pkt *p);
void clasp_pkt_mark_at(struct clasp_pkt *p, long long at_us);
/* Tolerance (early side) for an event due @delta_ms after the last one. */
int clasp_pkt_tolerance_ms(const struct clasp_pkt *p, int delta_ms);
/*
 * Something observed at @at_us (say a call returning) was due @delta_ms
 * after the last event: check it, and make it the last event.
 */
int clasp_pkt_at(struct clasp_pkt *p, long long at_us, int delta_ms,
		 const char *what);
/* Record a line in the history (what the test did). */
void clasp_pkt_note(struct clasp_pkt *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * struct clasp_pkt_info - the connection as the module's netlink family
 * reports it: a socket, a half-open request or a compact entry alike
 * @state: TCP_* state
 * @timer: enum clasp_timer_kind armed
 * @timer_ms: time until it fires
 * @retrans: retransmissions of what is now timed
 * @backoff: backoff shift, -1 for a request (it equals @retrans there)
 */
struct clasp_pkt_info {
	int state;
	int timer;
	unsigned int timer_ms;
	int retrans;
	int backoff;
	int ca_state;		/* TCP's enum tcp_ca_state, -1 if none */
	long long ooo_segs;	/* held beyond a hole; -1 for TCP */
	int sack_blocks;	/* SACK blocks held; -1 for TCP */
};

/* The peer's connection: 0, 1 when the module has no such one, -1 on error. */
int clasp_pkt_info(const struct clasp_pkt *p, struct clasp_pkt_info *info);
/* Its TCP_* state, 0 when there is no such connection, -1 on error. */
int clasp_pkt_state(const struct clasp_pkt *p);

/*
 * A blocking socket call made in a thread of its own, so that the test can
 * play the peer meanwhile.
 */
enum clasp_call_op {
	CLASP_CALL_ACCEPT,
	CLASP_CALL_CONNECT,
	CLASP_CALL_RECV,
};

/**
 * struct clasp_call - a socket call running in a thread
 * @thread: the thread
 * @op: enum clasp_call_op
 * @fd: the socket
 * @addr: where to connect, of either family
 * @buf: where to receive
 * @len: how much to receive at most
 * @ret: the call's return value
 * @err: errno after it
 * @done_us: when it returned, 0 while it runs (atomic)
 * @tid: the thread's id, 0 until it starts the call (atomic)
 * @joined: the thread has been joined
 */
struct clasp_call {
	pthread_t thread;
	int op;
	int fd;
	struct clasp_sockaddr addr;
	void *buf;
	size_t len;
	int ret;
	int err;
	long long done_us;
	int tid;
	bool joined;
};

int clasp_call_accept(struct clasp_call *c, int lfd);
/* @to: a struct sockaddr_in, sockaddr_in6 or clasp_sockaddr's @sa. */
int clasp_call_connect(struct clasp_call *c, int fd, const void *to);
int clasp_call_recv(struct clasp_call *c, int fd, void *buf, size_t len);
/* Has it returned yet? */
bool clasp_call_done(struct clasp_call *c);
/*
 * Wait up to @ms for the call to sleep interruptibly in the kernel: a
 * connect() waiting for the handshake, its socket's lock released (a
 * thread that waits for a lock sleeps uninterruptibly).  Until then an
 * error about its SYN finds the socket owned, and is only soft.  0 when
 * it sleeps so, -1 if it did not (or returned).
 */
int clasp_call_sleeping(struct clasp_call *c, int ms);
/* Wait up to @ms for it to return: 0 when it has (and is joined), else -1. */
int clasp_call_wait(struct clasp_call *c, int ms);

#endif /* CLASP_PKT_H */
