/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp: the congestion-control interface (cong.c).  An algorithm is a
 * struct clasp_cong_ops, modelled on TCP's tcp_congestion_ops: it answers
 * how large the window should be, and is told of the events that matter
 * (an ACK, a loss, a timeout, an undo).  Which segments go again stays
 * with loss recovery (recovery.c); how many may be in flight is the
 * algorithm's (cwnd), and output.c sends while fewer are.
 */
#ifndef _CLASP_CONG_H
#define _CLASP_CONG_H

#include <linux/list.h>
#include <linux/types.h>

struct sock;

#define CLASP_CA_NAME_MAX	16	/* TCP_CA_NAME_MAX */
#define CLASP_INIT_CWND		10U	/* segments: RFC 6928, Linux's TCP_INIT_CWND */
#define CLASP_INFINITE_SSTHRESH	0x7fffffffU	/* TCP_INFINITE_SSTHRESH */
#define CLASP_CA_PRIV_SIZE	64	/* bytes an algorithm may keep per socket */
#define CLASP_CA_LIST_MAX	256	/* the names of all, space-separated */

/* What an algorithm's cwnd_event() hears (TCP's enum tcp_ca_event). */
enum clasp_ca_event {
	CLASP_CA_EVENT_TX_START,	/* first transmission with nothing in flight */
	CLASP_CA_EVENT_CWND_RESTART,	/* restart after idle (RFC 5681 4.1) */
	CLASP_CA_EVENT_LOSS,		/* a retransmission timeout */
};

/**
 * struct clasp_cong_ops - a congestion-control algorithm
 * @list: the registry's linkage (cong.c)
 * @name: what TCP_CONGESTION and the congestion_control tunable call it
 * @init: a connection starts using it (optional)
 * @release: a connection stops using it (optional)
 * @ssthresh: the slow-start threshold after a loss, in segments (required)
 * @cong_avoid: an ACK acknowledged @acked new segments outside recovery:
 *	grow cwnd (required)
 * @undo_cwnd: the loss was spurious: the cwnd to return to (required)
 * @set_state: the recovery state changes to TCP's enum tcp_ca_state
 *	@new_state (optional)
 * @cwnd_event: an enum clasp_ca_event (optional)
 * @pkts_acked: an ACK acknowledged @acked segments, with an RTT sample of
 *	@rtt_us or -1 (optional)
 */
struct clasp_cong_ops {
	struct list_head list;
	char name[CLASP_CA_NAME_MAX];
	void (*init)(struct sock *sk);
	void (*release)(struct sock *sk);
	u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, u32 acked);
	u32 (*undo_cwnd)(struct sock *sk);
	void (*set_state)(struct sock *sk, u8 new_state);
	void (*cwnd_event)(struct sock *sk, enum clasp_ca_event ev);
	void (*pkts_acked)(struct sock *sk, u32 acked, s32 rtt_us);
};

/**
 * struct clasp_cong - a connection's congestion state, in segments
 * @ops: the algorithm in use
 * @cwnd: the congestion window: segments that may be in flight (pipe)
 * @ssthresh: the slow-start threshold; CLASP_INFINITE_SSTHRESH at first
 * @cwnd_cnt: ACKed segments towards the next increase in congestion
 *	avoidance (TCP's snd_cwnd_cnt)
 * @prior_cwnd: cwnd before the last reduction (undo)
 * @prior_ssthresh: ssthresh before it, 0 when there is nothing to undo
 * @round_end: snd_max when the current round began
 * @max_out: most segments in flight in this round
 * @limited: the last or current round was limited by cwnd, not by the
 *	application or the peer's window (RFC 7661's test, as TCP's
 *	is_cwnd_limited): only then does cwnd grow
 * @started: @ops->init() ran; @ops->release() is owed
 * @priv: the algorithm's own state
 */
struct clasp_cong {
	const struct clasp_cong_ops *ops;
	u32 cwnd;
	u32 ssthresh;
	u32 cwnd_cnt;
	u32 prior_cwnd;
	u32 prior_ssthresh;
	u32 round_end;
	u32 max_out;
	bool limited;
	bool started;
	u64 priv[CLASP_CA_PRIV_SIZE / sizeof(u64)];
};

int clasp_cong_register(struct clasp_cong_ops *ops);
void clasp_cong_unregister(struct clasp_cong_ops *ops);
const struct clasp_cong_ops *clasp_cong_find(const char *name);
size_t clasp_cong_available(char *buf, size_t size);

/* What an algorithm may use (cong.c). */
void clasp_cong_slow_start(struct sock *sk, u32 *acked);
void clasp_cong_avoid_ai(struct sock *sk, u32 w, u32 acked);
bool clasp_cong_limited(const struct sock *sk);

/* cong_newreno.c */
extern struct clasp_cong_ops clasp_newreno;
/* cong_cubic.c */
extern struct clasp_cong_ops clasp_cong_cubic;

#endif /* _CLASP_CONG_H */
