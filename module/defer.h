/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp: whether new data waits for the next ACK to leave in a larger
 * GSO buffer, the arithmetic of TCP's tcp_tso_should_defer() (defer.c).
 * Compiled in user space too by unit/.
 */
#ifndef _CLASP_DEFER_H
#define _CLASP_DEFER_H

#include <linux/types.h>

#define CLASP_DEFER_WIN_DIVISOR	3U	/* tcp_tso_win_divisor */

/**
 * struct clasp_defer - what the decision looks at, in bytes from the send
 *	head; the socket's side (tso.c) has already ruled out recovery,
 *	nothing in flight and a pause since the last transmission
 * @send_win: what the peer's window leaves
 * @cong_win: what the congestion window leaves
 * @goal: a full GSO buffer (clasp_tso_segs() segments)
 * @wnd: the smaller of the peer's window and the congestion window
 * @queued: what is queued unsent
 * @ack_due: the oldest segment in flight should be acknowledged within
 *	half a round trip, and at most a millisecond, from now
 * @fin: our FIN is queued: what is queued can grow no more
 */
struct clasp_defer {
	u32 send_win;
	u32 cong_win;
	u32 goal;
	u32 wnd;
	u32 queued;
	bool ack_due;
	bool fin;
};

/**
 * enum clasp_defer_verdict - what clasp_defer() decided
 * @CLASP_DEFER_SEND: send now
 * @CLASP_DEFER_WAIT: wait for the next ACK
 * @CLASP_DEFER_CWND: wait, the congestion window being what holds it
 */
enum clasp_defer_verdict {
	CLASP_DEFER_SEND,
	CLASP_DEFER_WAIT,
	CLASP_DEFER_CWND,
};

enum clasp_defer_verdict clasp_defer(const struct clasp_defer *d);

#endif
