// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of ECN's rules (module/ecn.c, RFC 3168): which SYNs and
 * SYN-ACKs set ECN up, what a segment carries, the receiver's echo and
 * the sender's one cut per window.  Prints TAP; exits 1 if any case fails.
 */
#include <stdio.h>

#include "ecn.h"
#include "tap.h"

#define ECE	CLASP_ECE
#define CWR	CLASP_CWR
#define ACK	CLASP_ACK
#define SYN	CLASP_SYN
#define OK	CLASP_ECN_OK

static void setup(void)
{
	/* A listener: a SYN that asks, not ECN-capable itself, ecn 1 or 2. */
	tap_ok(clasp_ecn_accept(2, SYN | ECE | CWR, 0), "ecn=2 accepts an ECN-setup SYN");
	tap_ok(clasp_ecn_accept(1, SYN | ECE | CWR, 0), "ecn=1 accepts it");
	tap_ok(!clasp_ecn_accept(0, SYN | ECE | CWR, 0), "ecn=0 does not");
	tap_ok(!clasp_ecn_accept(2, SYN | ECE, 0), "ECE alone does not ask");
	tap_ok(!clasp_ecn_accept(2, SYN | CWR, 0), "CWR alone does not ask");
	tap_ok(!clasp_ecn_accept(2, SYN | ECE | CWR, CLASP_ECN_ECT_0),
	       "an ECT SYN is refused (RFC 3168 6.1.1)");
	tap_ok(!clasp_ecn_accept(2, SYN | ECE | CWR, CLASP_ECN_CE | 0x10),
	       "a CE SYN too; the TOS bits beside do not matter");
	tap_ok(clasp_ecn_accept(2, SYN | ECE | CWR, 0x10),
	       "TOS bits outside the ECN field do not matter");

	/* The side that asked. */
	expect(clasp_ecn_synsent(OK, SYN | ACK | ECE), OK, "SYN-ACK with ECE: in use");
	expect(clasp_ecn_synsent(OK, SYN | ACK), 0, "SYN-ACK without ECE: not");
	expect(clasp_ecn_synsent(OK, SYN | ACK | ECE | CWR), 0,
	       "SYN-ACK with ECE and CWR: not (a reflected SYN)");
	expect(clasp_ecn_synsent(OK, SYN | ECE | CWR), OK,
	       "simultaneous open: the SYN asks too");
	expect(clasp_ecn_synsent(OK, SYN | ECE), 0, "simultaneous open: it does not");
	expect(clasp_ecn_synsent(0, SYN | ACK | ECE), 0, "not asked: not in use");
}

static void sending(void)
{
	u8 ecn = OK;
	bool ect;

	expect(clasp_ecn_out(&ecn, true, &ect), 0, "new data: no flags");
	tap_ok(ect, "new data leaves ECT(0)");
	expect(clasp_ecn_out(&ecn, false, &ect), 0, "pure ACK: no flags");
	tap_ok(!ect, "a pure ACK or retransmission is not ECT");

	ecn = OK | CLASP_ECN_QUEUE_CWR;
	expect(clasp_ecn_out(&ecn, false, &ect), 0, "no CWR without new data");
	expect(ecn & CLASP_ECN_QUEUE_CWR, CLASP_ECN_QUEUE_CWR, "CWR still owed");
	expect(clasp_ecn_out(&ecn, true, &ect), CWR, "CWR on the next new data");
	expect(clasp_ecn_out(&ecn, true, &ect), 0, "and on that one only");

	ecn = OK | CLASP_ECN_DEMAND_CWR;
	expect(clasp_ecn_out(&ecn, false, &ect), ECE, "ECE on ACKs while echoing");
	expect(clasp_ecn_out(&ecn, true, &ect), ECE, "and on data");

	ecn = CLASP_ECN_QUEUE_CWR | CLASP_ECN_DEMAND_CWR;
	expect(clasp_ecn_out(&ecn, true, &ect), 0, "nothing without ECN");
	tap_ok(!ect, "not ECT without ECN");
}

static void receiving(void)
{
	u8 ecn = OK;

	tap_ok(!clasp_ecn_in(&ecn, 0), "not-ECT before any ECT: nothing");
	tap_ok(!clasp_ecn_in(&ecn, CLASP_ECN_ECT_0), "ECT(0): no hurry");
	expect(ecn, OK | CLASP_ECN_SEEN, "ECT seen");
	tap_ok(clasp_ecn_in(&ecn, 0), "not-ECT after ECT: ACK at once");
	tap_ok(clasp_ecn_in(&ecn, CLASP_ECN_CE), "the first CE: ACK at once");
	expect(ecn & CLASP_ECN_DEMAND_CWR, CLASP_ECN_DEMAND_CWR, "CE starts the echo");
	tap_ok(!clasp_ecn_in(&ecn, CLASP_ECN_CE), "a CE while echoing: no hurry");

	/* CWR, on any ACK, ends the echo. */
	clasp_ecn_ack(&ecn, ACK, 100, 0, true);
	expect(ecn & CLASP_ECN_DEMAND_CWR, CLASP_ECN_DEMAND_CWR, "an ACK without CWR keeps it");
	clasp_ecn_ack(&ecn, ACK | CWR, 100, 0, true);
	expect(ecn & CLASP_ECN_DEMAND_CWR, 0, "CWR ends it");

	ecn = 0;
	tap_ok(!clasp_ecn_in(&ecn, CLASP_ECN_CE), "CE without ECN: nothing");
	expect(ecn, 0, "nothing kept");
}

static void reacting(void)
{
	u8 ecn = OK;

	expect(clasp_ecn_ack(&ecn, ACK, 100, 0, true), 0, "ACK without ECE");
	expect(clasp_ecn_ack(&ecn, ACK | ECE, 100, 0, true),
	       CLASP_ECN_ACK_ECE | CLASP_ECN_ACK_REDUCE, "the first ECE cuts");
	expect(ecn, OK | CLASP_ECN_IN_CWR | CLASP_ECN_QUEUE_CWR, "CWR state, CWR owed");
	/* The cut at snd_max 1000: its window ends beyond it. */
	expect(clasp_ecn_ack(&ecn, ACK | ECE, 500, 1000, true), CLASP_ECN_ACK_ECE,
	       "another ECE in the window: no cut");
	expect(clasp_ecn_ack(&ecn, ACK | ECE, 1000, 1000, true), CLASP_ECN_ACK_ECE,
	       "up to the cut's snd_max: still none");
	expect(clasp_ecn_ack(&ecn, ACK, 1001, 1000, true), CLASP_ECN_ACK_END,
	       "beyond it: the window is over");
	expect(ecn & CLASP_ECN_IN_CWR, 0, "out of the CWR state");
	expect(clasp_ecn_ack(&ecn, ACK | ECE, 1100, 1000, true),
	       CLASP_ECN_ACK_ECE | CLASP_ECN_ACK_REDUCE, "a later ECE cuts again");
	expect(clasp_ecn_ack(&ecn, ACK | ECE, 3000, 2000, true),
	       CLASP_ECN_ACK_ECE | CLASP_ECN_ACK_END | CLASP_ECN_ACK_REDUCE,
	       "an ECE beyond the window ends it and cuts again");
	expect(clasp_ecn_ack(&ecn, ACK | ECE, 3100, 3000, false), CLASP_ECN_ACK_ECE,
	       "in a loss recovery: no cut, the CWR state ends");
	expect(ecn & CLASP_ECN_IN_CWR, 0, "the recovery's cut replaces it");
	expect(clasp_ecn_ack(&ecn, SYN | ACK | ECE, 3100, 3000, true), 0,
	       "a SYN-ACK's ECE echoes nothing");
	ecn = 0;
	expect(clasp_ecn_ack(&ecn, ACK | ECE, 100, 0, true), 0, "ECE without ECN: nothing");
	/* A cut for a local drop (clasp_cwr_local()), ECN or not. */
	ecn = CLASP_ECN_IN_CWR;
	expect(clasp_ecn_ack(&ecn, ACK | ECE, 1000, 1000, true), 0,
	       "a local cut without ECN: no ECE, holds to its snd_max");
	expect(clasp_ecn_ack(&ecn, ACK, 1001, 1000, true), CLASP_ECN_ACK_END,
	       "a local cut without ECN ends beyond it");
	expect(ecn, 0, "out of the CWR state");
}

int main(void)
{
	tap_plan(53);
	setup();
	sending();
	receiving();
	reacting();
	return tap_end();
}
