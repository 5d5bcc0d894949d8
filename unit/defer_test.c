// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the wait for the next ACK (module/defer.c, TCP's
 * tcp_tso_should_defer()): when new data goes at once, when it waits,
 * and which window holds it.
 * Prints TAP; exits 1 if any case fails.
 */
#include "defer.h"
#include "tap.h"

#define MSS	1000U

/*
 * A flow whose congestion window (30 segments) limits it: the peer's
 * window is far larger, a full buffer is 10 segments, 20 are queued, and
 * the ACK is due.  @room segments of the congestion window are free.
 */
static struct clasp_defer cwnd_limited(u32 room)
{
	return (struct clasp_defer){
		.send_win = 100 * MSS,
		.cong_win = room * MSS,
		.goal = 10 * MSS,
		.wnd = 30 * MSS,
		.queued = 20 * MSS,
		.ack_due = true,
	};
}

int main(void)
{
	struct clasp_defer d;

	tap_plan(12);

	d = cwnd_limited(2);
	expect(clasp_defer(&d), CLASP_DEFER_CWND,
	       "two segments of room, a third of the window is ten: wait");
	d = cwnd_limited(9);
	expect(clasp_defer(&d), CLASP_DEFER_CWND, "nine: still wait");
	d = cwnd_limited(10);
	expect(clasp_defer(&d), CLASP_DEFER_SEND, "a third of the window: send");
	d = cwnd_limited(2);
	d.goal = 2 * MSS;
	expect(clasp_defer(&d), CLASP_DEFER_SEND, "a full buffer fits: send");
	d = cwnd_limited(2);
	d.ack_due = false;
	expect(clasp_defer(&d), CLASP_DEFER_SEND, "no ACK due soon: send");
	d = cwnd_limited(3);
	d.wnd = 9 * MSS;
	expect(clasp_defer(&d), CLASP_DEFER_SEND,
	       "a small window: a third of it is room enough");
	d = cwnd_limited(2);
	d.fin = true;
	expect(clasp_defer(&d), CLASP_DEFER_CWND,
	       "a FIN queued, but the buffer does not fit: wait");

	/* The data fits what the windows leave: it waits for more data. */
	d = cwnd_limited(5);
	d.queued = 3 * MSS;
	expect(clasp_defer(&d), CLASP_DEFER_WAIT,
	       "all of it fits, more may be written: wait");
	d.fin = true;
	expect(clasp_defer(&d), CLASP_DEFER_SEND,
	       "all of it fits and a FIN follows: send");

	/* The peer's window holds it back. */
	d = cwnd_limited(20);
	d.send_win = 4 * MSS;
	d.wnd = 30 * MSS;
	expect(clasp_defer(&d), CLASP_DEFER_WAIT,
	       "the peer's window leaves four segments: wait, not for cwnd");
	d.send_win = 10 * MSS;
	expect(clasp_defer(&d), CLASP_DEFER_SEND,
	       "the peer's window leaves a full buffer: send");
	d = cwnd_limited(4);
	d.send_win = 4 * MSS;
	expect(clasp_defer(&d), CLASP_DEFER_WAIT,
	       "equal windows: the peer's is named");
	return tap_end();
}
