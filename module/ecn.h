/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp: Explicit Congestion Notification (RFC 3168), the rules (ecn.c):
 * which SYNs set ECN up, what a segment carries, what a receiver and a
 * sender do with the marks they see.  Pure code, compiled in user space
 * too by unit/; ecn_sock.c applies it to sockets.
 */
#ifndef _CLASP_ECN_H
#define _CLASP_ECN_H

#include <linux/bits.h>
#include <linux/types.h>

#include "seq.h"	/* CLASP_ECE, CLASP_CWR, sequence comparisons */

/* The ECN field of the IP header (RFC 3168 5), as INET_ECN_*. */
#define CLASP_ECN_MASK		3
#define CLASP_ECN_NOT_ECT	0
#define CLASP_ECN_ECT_1		1
#define CLASP_ECN_ECT_0		2
#define CLASP_ECN_CE		3

/* The ecn tunable, as tcp_ecn. */
#define CLASP_ECN_MODE_OFF	0	/* neither ask nor accept */
#define CLASP_ECN_MODE_ON	1	/* ask on connect(), accept */
#define CLASP_ECN_MODE_ACCEPT	2	/* accept when the peer asks */

/* A connection's ECN state (clasp_sock.ecn), as TCP's ecn_flags. */
#define CLASP_ECN_OK		BIT(0)	/* in use (before the SYN-ACK: asked) */
#define CLASP_ECN_QUEUE_CWR	BIT(1)	/* CWR on the next new data */
#define CLASP_ECN_DEMAND_CWR	BIT(2)	/* CE came: ECE until a CWR comes */
#define CLASP_ECN_SEEN		BIT(3)	/* an ECT or CE segment came */
#define CLASP_ECN_IN_CWR	BIT(4)	/* cwnd cut for an ECE or a local drop:
					 * TCP's CWR state (also without ECN)
					 */

/* What an ACK means to the sender, clasp_ecn_ack()'s answer. */
#define CLASP_ECN_ACK_ECE	BIT(0)	/* it echoes a CE mark */
#define CLASP_ECN_ACK_END	BIT(1)	/* the window of the last cut is over */
#define CLASP_ECN_ACK_REDUCE	BIT(2)	/* cut cwnd now */

/* An ECN-setup SYN: ECE and CWR (RFC 3168 6.1.1). */
static inline bool clasp_ecn_setup_syn(u8 th_flags)
{
	return (th_flags & (CLASP_ECE | CLASP_CWR)) == (CLASP_ECE | CLASP_CWR);
}

/* An ECN-setup SYN-ACK: ECE without CWR. */
static inline bool clasp_ecn_setup_synack(u8 th_flags)
{
	return (th_flags & (CLASP_ECE | CLASP_CWR)) == CLASP_ECE;
}

bool clasp_ecn_accept(u32 mode, u8 th_flags, u8 tos);
u8 clasp_ecn_synsent(u8 ecn, u8 th_flags);
u8 clasp_ecn_out(u8 *ecn, bool new_data, bool *ect);
bool clasp_ecn_in(u8 *ecn, u8 tos);
u32 clasp_ecn_ack(u8 *ecn, u8 th_flags, u32 ack, u32 cwr_high, bool open);

#endif /* _CLASP_ECN_H */
