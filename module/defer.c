// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: holding new data back for the next ACK (TCP's
 * tcp_tso_should_defer()), the arithmetic.
 *
 * A flow the congestion window limits gets a segment or two of room from
 * each ACK; sent at once, that room makes GSO buffers of one or two
 * segments, each a pass through both stacks and, on a lossy path, a
 * loss, reordering or duplication of its own.  Waiting for the next ACK
 * adds its room to this one's.  The wait is short and bounded: it needs
 * an ACK due soon (tso.c), and it ends as soon as a full buffer, or a
 * third of the window, may go.  This file touches no socket, so unit/
 * tests it.
 */
#include "defer.h"

/**
 * clasp_defer() - send the data at the send head now, or wait for an ACK?
 * @d: the windows, the queue and the ACK's timing
 *
 * Send when a full buffer fits both windows, or a third of the smaller
 * window does, or no ACK is due soon; otherwise wait, unless the data
 * fits and can grow no more (a FIN is queued).  As Linux, a wait the
 * windows force (the buffer does not fit what they leave) holds a FIN's
 * data too.
 *
 * Return: the verdict.
 */
enum clasp_defer_verdict clasp_defer(const struct clasp_defer *d)
{
	u32 limit = d->send_win < d->cong_win ? d->send_win : d->cong_win;
	u32 burst = d->queued < d->goal ? d->queued : d->goal;

	if (limit >= d->goal || limit >= d->wnd / CLASP_DEFER_WIN_DIVISOR ||
	    !d->ack_due)
		return CLASP_DEFER_SEND;
	if (d->cong_win < d->send_win) {
		if (d->cong_win <= burst)
			return CLASP_DEFER_CWND;
	} else if (d->send_win <= burst) {
		return CLASP_DEFER_WAIT;
	}
	return d->fin ? CLASP_DEFER_SEND : CLASP_DEFER_WAIT;
}
