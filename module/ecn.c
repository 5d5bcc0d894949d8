// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: the rules of Explicit Congestion Notification (RFC 3168), as
 * Linux's TCP applies them (tcp_input.c, tcp_output.c):
 *
 *   setup      connect() asks with ECE and CWR on its SYN when the ecn
 *              tunable is 1; a listener accepts a SYN that asks, unless
 *              ecn is 0 or the SYN itself is ECN-capable (RFC 3168 6.1.1
 *              forbids that), and answers ECE alone; the SYN-ACK must say
 *              ECE without CWR, a simultaneous open's SYN both
 *   sending    new data leaves ECT(0), the first new data after a cut of
 *              cwnd also CWR; pure ACKs, retransmissions and probes are
 *              not ECN-capable (RFC 3168 6.1.4 to 6.1.6, Linux's
 *              tcp_ecn_send())
 *   receiving  a CE mark on data makes every segment we send carry ECE
 *              until a segment with CWR comes (6.1.3); CWR is taken on
 *              any ACK, as Linux takes it
 *   reacting   the first ECE cuts cwnd, at most once per window of data:
 *              further ECEs change nothing until everything sent at the
 *              cut, and something beyond it, is acknowledged (6.1.2;
 *              Linux's CWR state, tcp_enter_cwr())
 */
#include "ecn.h"

/**
 * clasp_ecn_accept() - does a listener use ECN with the sender of a SYN?
 * @mode: the namespace's ecn tunable (CLASP_ECN_MODE_*)
 * @th_flags: the SYN's flags
 * @tos: its IP header's TOS byte
 *
 * Return: true when the SYN asks (ECE and CWR), it is not ECN-capable
 * itself, and the tunable is not 0.
 */
bool clasp_ecn_accept(u32 mode, u8 th_flags, u8 tos)
{
	return mode != CLASP_ECN_MODE_OFF && clasp_ecn_setup_syn(th_flags) &&
	       (tos & CLASP_ECN_MASK) == CLASP_ECN_NOT_ECT;
}

/**
 * clasp_ecn_synsent() - ECN after the peer's SYN-ACK, or its SYN in a
 * simultaneous open, reached a connection that asked
 * @ecn: the connection's state (CLASP_ECN_*)
 * @th_flags: the segment's flags
 *
 * Return: the new state: CLASP_ECN_OK kept only if a SYN-ACK says ECE
 * without CWR, a SYN both.
 */
u8 clasp_ecn_synsent(u8 ecn, u8 th_flags)
{
	bool ok = th_flags & CLASP_ACK ? clasp_ecn_setup_synack(th_flags) :
					 clasp_ecn_setup_syn(th_flags);

	return ok ? ecn : ecn & ~CLASP_ECN_OK;
}

/**
 * clasp_ecn_out() - what a segment of a synchronized connection carries
 * @ecn: the connection's state; a CWR sent is no longer queued
 * @new_data: the segment carries data never sent before
 * @ect: set to whether it leaves ECN-capable, ECT(0)
 *
 * Return: the flags to add to its header: ECE while a CWR is awaited,
 * CWR on the first new data after a cut.
 */
u8 clasp_ecn_out(u8 *ecn, bool new_data, bool *ect)
{
	u8 th = 0;

	*ect = false;
	if (!(*ecn & CLASP_ECN_OK))
		return 0;
	if (new_data) {
		*ect = true;
		if (*ecn & CLASP_ECN_QUEUE_CWR) {
			*ecn &= ~CLASP_ECN_QUEUE_CWR;
			th |= CLASP_CWR;
		}
	}
	if (*ecn & CLASP_ECN_DEMAND_CWR)
		th |= CLASP_ECE;
	return th;
}

/**
 * clasp_ecn_in() - the ECN field of a data segment that arrived
 * @ecn: the connection's state
 * @tos: the segment's IP TOS byte
 *
 * CE starts the echo (ECE until CWR); ECT or CE counts as seen.  A
 * segment without ECT after some with it is probably a retransmission,
 * which Linux acknowledges at once; so does the first CE of an echo: the
 * sender's window may be small.
 *
 * Return: true if the segment should be acknowledged at once.
 */
bool clasp_ecn_in(u8 *ecn, u8 tos)
{
	bool quick = false;

	if (!(*ecn & CLASP_ECN_OK))
		return false;
	switch (tos & CLASP_ECN_MASK) {
	case CLASP_ECN_NOT_ECT:
		return *ecn & CLASP_ECN_SEEN;
	case CLASP_ECN_CE:
		quick = !(*ecn & CLASP_ECN_DEMAND_CWR);
		*ecn |= CLASP_ECN_DEMAND_CWR;
		break;
	}
	*ecn |= CLASP_ECN_SEEN;
	return quick;
}

/**
 * clasp_ecn_ack() - an acceptable ACK reached an ECN connection
 * @ecn: the connection's state
 * @th_flags: the ACK's flags
 * @ack: its acknowledgment number
 * @cwr_high: snd_max when cwnd was last cut (clasp_cong_cwr())
 * @open: no loss recovery runs (TCP_CA_Open): a recovery cuts cwnd itself
 *	and ends a cut for an ECE
 *
 * A CWR ends the echo.  The cut's window ends once the ACK goes beyond
 * @cwr_high, as Linux leaves its CWR state: then an ECE may cut again.
 * A cut for a segment a qdisc below us dropped (CLASP_ECN_IN_CWR on any
 * connection, clasp_cwr_local()) ends the same way, ECN or not.
 *
 * Return: CLASP_ECN_ACK_* bits.
 */
u32 clasp_ecn_ack(u8 *ecn, u8 th_flags, u32 ack, u32 cwr_high, bool open)
{
	u32 what = 0;

	if (*ecn & CLASP_ECN_IN_CWR &&
	    (!open || clasp_seq_after(ack, cwr_high))) {
		*ecn &= ~CLASP_ECN_IN_CWR;
		if (open)
			what |= CLASP_ECN_ACK_END;
	}
	if (!(*ecn & CLASP_ECN_OK))
		return what;
	if (th_flags & CLASP_CWR)
		*ecn &= ~CLASP_ECN_DEMAND_CWR;
	if (!(th_flags & CLASP_ECE) || th_flags & CLASP_SYN)
		return what;
	what |= CLASP_ECN_ACK_ECE;
	if (open && !(*ecn & CLASP_ECN_IN_CWR)) {
		*ecn |= CLASP_ECN_IN_CWR | CLASP_ECN_QUEUE_CWR;
		what |= CLASP_ECN_ACK_REDUCE;
	}
	return what;
}
