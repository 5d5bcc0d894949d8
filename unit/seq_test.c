// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the segment-acceptance checks (module/acceptance.c):
 * RFC 9293's sequence-number table, RFC 5961's RST, SYN and ACK rules,
 * the exceptions of SYN_RCVD and TIME_WAIT, and PAWS (RFC 7323 5), one
 * verdict at a time.
 * Prints TAP; exits 1 if any case fails.
 */
#include <stdio.h>
#include <string.h>

#include "seq.h"

static int planned, failed;

static const char *const verdict_names[] = {
	[CLASP_SEG_ACCEPT]	= "ACCEPT",
	[CLASP_SEG_ACK_ONLY]	= "ACK_ONLY",
	[CLASP_SEG_DROP]	= "DROP",
	[CLASP_SEG_OOW_DROP]	= "OOW_DROP",
	[CLASP_SEG_OOW_ACK]	= "OOW_ACK",
	[CLASP_SEG_CHALLENGE]	= "CHALLENGE",
	[CLASP_SEG_RESET]	= "RESET",
	[CLASP_SEG_SYN_AGAIN]	= "SYN_AGAIN",
	[CLASP_SEG_BAD_ACK]	= "BAD_ACK",
	[CLASP_SEG_REOPEN]	= "REOPEN",
	[CLASP_SEG_PAWS]	= "PAWS",
};

static void report(bool ok, const char *what, const char *detail)
{
	++planned;
	printf("%s %d - %s%s%s\n", ok ? "ok" : "not ok", planned, what,
	       detail ? ": " : "", detail ? detail : "");
	if (!ok)
		failed++;
}

/* A segment: flags, sequence number, data length, acknowledgment. */
static struct clasp_seg seg(u8 flags, u32 seq, u32 len, u32 ack)
{
	struct clasp_seg s = {
		.seq = seq, .len = len, .ack = ack, .flags = flags,
		.end_seq = seq + len + !!(flags & CLASP_SYN) + !!(flags & CLASP_FIN),
	};

	return s;
}

static void verdict(const char *what, const struct clasp_view *v,
		    struct clasp_seg s, enum clasp_verdict want)
{
	enum clasp_verdict got = clasp_seg_check(v, &s);
	char detail[64];

	snprintf(detail, sizeof(detail), "got %s, want %s",
		 verdict_names[got], verdict_names[want]);
	report(got == want, what, got == want ? NULL : detail);
}

static void acceptable(const char *what, u32 rcv_nxt, u32 wnd, u32 seq,
		       u32 end_seq, bool want)
{
	report(clasp_seq_acceptable(rcv_nxt, wnd, seq, end_seq) == want,
	       what, NULL);
}

/* RFC 9293 3.10.7.4: the four cases, at the edges and across 2^32. */
static void test_table(void)
{
	acceptable("empty, window 0, at RCV.NXT", 1000, 0, 1000, 1000, true);
	acceptable("empty, window 0, after RCV.NXT", 1000, 0, 1001, 1001, false);
	acceptable("empty, window 0, before RCV.NXT", 1000, 0, 999, 999, false);
	acceptable("empty, at the left edge", 1000, 100, 1000, 1000, true);
	acceptable("empty, last in the window", 1000, 100, 1099, 1099, true);
	acceptable("empty, just past the window", 1000, 100, 1100, 1100, false);
	acceptable("empty, just before the window", 1000, 100, 999, 999, false);
	acceptable("data, window 0, at RCV.NXT", 1000, 0, 1000, 1010, false);
	acceptable("data, starts in the window", 1000, 100, 1090, 1200, true);
	acceptable("data, ends in the window (overlap)", 1000, 100, 990, 1001, true);
	acceptable("data, all old", 1000, 100, 900, 1000, false);
	acceptable("data, all beyond", 1000, 100, 1100, 1200, false);
	acceptable("data, spans the window", 1000, 100, 900, 1200, false);
	acceptable("window across 2^32", 0xfffffff0, 0x40, 0x10, 0x20, true);
	acceptable("old, across 2^32", 0x10, 0x40, 0xfffffff0, 0x10, false);
}

static const struct clasp_view synced = {
	.rcv_nxt = 5000, .rcv_wnd = 1000, .snd_una = 200, .snd_nxt = 300,
	.max_snd_wnd = 100, .kind = CLASP_VIEW_SYNCED,
};

/* RFC 5961 in a synchronized state. */
static void test_synced(void)
{
	struct clasp_view closed = synced, fin_in = synced;

	closed.rcv_wnd = 0;
	verdict("in-window data", &synced, seg(CLASP_ACK, 5000, 10, 250), CLASP_SEG_ACCEPT);
	verdict("no ACK bit: dropped", &synced, seg(0, 5000, 10, 0), CLASP_SEG_DROP);
	verdict("old data: ACK", &synced, seg(CLASP_ACK, 4000, 10, 250), CLASP_SEG_OOW_ACK);
	verdict("blind ACK beyond the window: not processed", &synced,
		seg(CLASP_ACK, 300000, 0, 300), CLASP_SEG_OOW_ACK);
	verdict("blind data beyond the window", &synced,
		seg(CLASP_ACK, 6000, 10, 300), CLASP_SEG_OOW_ACK);
	verdict("RST at RCV.NXT resets", &synced, seg(CLASP_RST, 5000, 0, 0), CLASP_SEG_RESET);
	verdict("RST+ACK at RCV.NXT resets", &synced,
		seg(CLASP_RST | CLASP_ACK, 5000, 0, 12345), CLASP_SEG_RESET);
	verdict("RST in the window: challenge", &synced, seg(CLASP_RST, 5500, 0, 0),
		CLASP_SEG_CHALLENGE);
	verdict("RST outside the window: silence", &synced, seg(CLASP_RST, 300000, 0, 0),
		CLASP_SEG_OOW_DROP);
	verdict("RST just before RCV.NXT: silence", &synced, seg(CLASP_RST, 4999, 0, 0),
		CLASP_SEG_OOW_DROP);
	verdict("SYN in the window: challenge", &synced, seg(CLASP_SYN, 5500, 0, 0),
		CLASP_SEG_CHALLENGE);
	verdict("SYN outside the window: challenge", &synced, seg(CLASP_SYN, 1, 0, 0),
		CLASP_SEG_CHALLENGE);
	verdict("SYN-ACK in the window: challenge", &synced,
		seg(CLASP_SYN | CLASP_ACK, 5000, 0, 300), CLASP_SEG_CHALLENGE);
	verdict("ACK = SND.NXT", &synced, seg(CLASP_ACK, 5000, 0, 300), CLASP_SEG_ACCEPT);
	verdict("ACK above SND.NXT: challenge", &synced, seg(CLASP_ACK, 5000, 0, 301),
		CLASP_SEG_CHALLENGE);
	verdict("ACK = SND.UNA - MAX.SND.WND", &synced, seg(CLASP_ACK, 5000, 0, 100),
		CLASP_SEG_ACCEPT);
	verdict("ACK below SND.UNA - MAX.SND.WND: challenge", &synced,
		seg(CLASP_ACK, 5000, 0, 99), CLASP_SEG_CHALLENGE);
	verdict("RST at the FIN's number, FIN not in: silence", &synced,
		seg(CLASP_RST, 4999, 0, 0), CLASP_SEG_OOW_DROP);
	fin_in.fin_in = true;
	verdict("RST at the FIN's number, FIN in: resets", &fin_in,
		seg(CLASP_RST, 4999, 0, 0), CLASP_SEG_RESET);
	verdict("RST before the FIN's number, FIN in: silence", &fin_in,
		seg(CLASP_RST, 4998, 0, 0), CLASP_SEG_OOW_DROP);
	verdict("window closed: ACK at RCV.NXT", &closed, seg(CLASP_ACK, 5000, 0, 300),
		CLASP_SEG_ACCEPT);
	verdict("window closed: data at RCV.NXT, ACK field only", &closed,
		seg(CLASP_ACK, 5000, 10, 300), CLASP_SEG_ACK_ONLY);
	verdict("window closed: data at RCV.NXT, bad ACK", &closed,
		seg(CLASP_ACK, 5000, 10, 400), CLASP_SEG_CHALLENGE);
	verdict("window closed: data after RCV.NXT", &closed,
		seg(CLASP_ACK, 5001, 10, 300), CLASP_SEG_OOW_ACK);
	verdict("window closed: FIN at RCV.NXT, ACK field only", &closed,
		seg(CLASP_ACK | CLASP_FIN, 5000, 0, 300), CLASP_SEG_ACK_ONLY);
}

/* SYN_RCVD, passive (a request) and of a simultaneous open. */
static void test_syn_rcvd(void)
{
	struct clasp_view req = {
		.rcv_nxt = 1001, .rcv_wnd = 1000, .snd_una = 7000, .snd_nxt = 7001,
		.max_snd_wnd = 500, .kind = CLASP_VIEW_REQUEST,
	};
	struct clasp_view simopen = req;

	simopen.kind = CLASP_VIEW_SIMOPEN;
	verdict("request: the final ACK", &req, seg(CLASP_ACK, 1001, 0, 7001), CLASP_SEG_ACCEPT);
	verdict("request: the final ACK with data", &req, seg(CLASP_ACK, 1001, 100, 7001),
		CLASP_SEG_ACCEPT);
	verdict("request: ACK of ISS", &req, seg(CLASP_ACK, 1001, 0, 7000), CLASP_SEG_BAD_ACK);
	verdict("request: ACK beyond", &req, seg(CLASP_ACK, 1001, 0, 7002), CLASP_SEG_BAD_ACK);
	verdict("request: right ACK, blind sequence", &req,
		seg(CLASP_ACK, 500000, 0, 7001), CLASP_SEG_OOW_ACK);
	verdict("request: their SYN again", &req, seg(CLASP_SYN, 1000, 0, 0),
		CLASP_SEG_SYN_AGAIN);
	verdict("request: another SYN in the window", &req, seg(CLASP_SYN, 1500, 0, 0),
		CLASP_SEG_CHALLENGE);
	verdict("request: a SYN anywhere else", &req, seg(CLASP_SYN, 90000, 0, 0),
		CLASP_SEG_CHALLENGE);
	verdict("request: RST at RCV.NXT", &req, seg(CLASP_RST, 1001, 0, 0), CLASP_SEG_RESET);
	verdict("request: RST in the window", &req, seg(CLASP_RST, 1500, 0, 0),
		CLASP_SEG_CHALLENGE);
	verdict("request: RST at IRS", &req, seg(CLASP_RST, 1000, 0, 0), CLASP_SEG_OOW_DROP);
	verdict("request: the SYN-ACK of no simultaneous open", &req,
		seg(CLASP_SYN | CLASP_ACK, 1000, 0, 7001), CLASP_SEG_CHALLENGE);
	verdict("simultaneous open: the crossing SYN-ACK", &simopen,
		seg(CLASP_SYN | CLASP_ACK, 1000, 0, 7001), CLASP_SEG_ACCEPT);
	verdict("simultaneous open: SYN-ACK with another ACK", &simopen,
		seg(CLASP_SYN | CLASP_ACK, 1000, 0, 7000), CLASP_SEG_CHALLENGE);
	verdict("simultaneous open: their SYN again", &simopen, seg(CLASP_SYN, 1000, 0, 0),
		CLASP_SEG_SYN_AGAIN);
	verdict("simultaneous open: the ACK", &simopen, seg(CLASP_ACK, 1001, 0, 7001),
		CLASP_SEG_ACCEPT);
}

/* TIME_WAIT: a closed window, a new SYN, RFC 5961's exact RST. */
static void test_time_wait(void)
{
	struct clasp_view tw = {
		.rcv_nxt = 2000, .rcv_wnd = 0, .snd_una = 9000, .snd_nxt = 9000,
		.max_snd_wnd = 65535, .kind = CLASP_VIEW_TIME_WAIT,
	};

	verdict("TIME_WAIT: RST at RCV.NXT", &tw, seg(CLASP_RST, 2000, 0, 0), CLASP_SEG_RESET);
	verdict("TIME_WAIT: RST 300000 beyond", &tw, seg(CLASP_RST, 302000, 0, 0),
		CLASP_SEG_OOW_DROP);
	verdict("TIME_WAIT: RST just after", &tw, seg(CLASP_RST, 2001, 0, 0),
		CLASP_SEG_OOW_DROP);
	verdict("TIME_WAIT: the FIN again", &tw, seg(CLASP_FIN | CLASP_ACK, 1999, 0, 9000),
		CLASP_SEG_OOW_ACK);
	verdict("TIME_WAIT: bare ACK at RCV.NXT", &tw, seg(CLASP_ACK, 2000, 0, 9000),
		CLASP_SEG_ACCEPT);
	verdict("TIME_WAIT: data", &tw, seg(CLASP_ACK, 2000, 10, 9000), CLASP_SEG_OOW_ACK);
	verdict("TIME_WAIT: old SYN", &tw, seg(CLASP_SYN, 1000, 0, 0), CLASP_SEG_OOW_ACK);
	verdict("TIME_WAIT: SYN at RCV.NXT", &tw, seg(CLASP_SYN, 2000, 0, 0),
		CLASP_SEG_OOW_ACK);
	verdict("TIME_WAIT: new SYN", &tw, seg(CLASP_SYN, 2001, 0, 0), CLASP_SEG_REOPEN);
	verdict("TIME_WAIT: new SYN-ACK is no SYN", &tw,
		seg(CLASP_SYN | CLASP_ACK, 5000, 0, 9000), CLASP_SEG_OOW_ACK);
}

/* A segment with a timestamps option. */
static struct clasp_seg seg_ts(u8 flags, u32 seq, u32 len, u32 ack, u32 tsval)
{
	struct clasp_seg s = seg(flags, seq, len, ack);

	s.ts_ok = true;
	s.tsval = tsval;
	return s;
}

/* PAWS: an old TSval, on a socket, a request and a TIME_WAIT entry. */
static void test_paws(void)
{
	struct clasp_view est = {
		.rcv_nxt = 1000, .rcv_wnd = 5000, .snd_una = 7000, .snd_nxt = 8000,
		.max_snd_wnd = 10000, .kind = CLASP_VIEW_SYNCED,
		.ts_ok = true, .ts_recent = 500, .ts_recent_age = 3,
	};
	struct clasp_view req = {
		.rcv_nxt = 1000, .rcv_wnd = 5000, .snd_una = 7000, .snd_nxt = 7001,
		.max_snd_wnd = 10000, .kind = CLASP_VIEW_REQUEST,
		.ts_ok = true, .ts_recent = 500, .ts_recent_age = 3,
	};
	struct clasp_view tw = {
		.rcv_nxt = 2000, .rcv_wnd = 0, .snd_una = 9000, .snd_nxt = 9000,
		.max_snd_wnd = 65535, .kind = CLASP_VIEW_TIME_WAIT,
		.ts_ok = true, .ts_recent = 500, .ts_recent_age = 3,
	};
	struct clasp_view off = est;

	verdict("PAWS: newer TSval accepted", &est,
		seg_ts(CLASP_ACK, 1000, 10, 7500, 501), CLASP_SEG_ACCEPT);
	verdict("PAWS: equal TSval accepted", &est,
		seg_ts(CLASP_ACK, 1000, 10, 7500, 500), CLASP_SEG_ACCEPT);
	verdict("PAWS: one tick old passes a socket", &est,
		seg_ts(CLASP_ACK, 1000, 10, 7500, 499), CLASP_SEG_ACCEPT);
	verdict("PAWS: older data dropped", &est,
		seg_ts(CLASP_ACK, 1000, 10, 7500, 400), CLASP_SEG_PAWS);
	verdict("PAWS: older across the wrap", &est,
		seg_ts(CLASP_ACK, 1000, 10, 7500, 0xfffffff0u), CLASP_SEG_PAWS);
	verdict("PAWS: no timestamps option, no PAWS", &est,
		seg(CLASP_ACK, 1000, 10, 7500), CLASP_SEG_ACCEPT);
	verdict("PAWS: a RST passes a socket", &est,
		seg_ts(CLASP_RST, 1000, 0, 0, 400), CLASP_SEG_RESET);
	verdict("PAWS: a SYN failing it is challenged", &est,
		seg_ts(CLASP_SYN, 1000, 0, 0, 400), CLASP_SEG_CHALLENGE);
	off.ts_recent_age = 60 * 60 * 24 * 24;
	verdict("PAWS: TS.Recent idle 24 days no longer counts", &off,
		seg_ts(CLASP_ACK, 1000, 10, 7500, 400), CLASP_SEG_ACCEPT);
	off = est;
	off.ts_recent = 0;
	verdict("PAWS: TS.Recent 0 does not count", &off,
		seg_ts(CLASP_ACK, 1000, 10, 7500, 0xf0000000u), CLASP_SEG_ACCEPT);
	off = est;
	off.ts_ok = false;
	verdict("PAWS: not negotiated, not applied", &off,
		seg_ts(CLASP_ACK, 1000, 10, 7500, 400), CLASP_SEG_ACCEPT);
	verdict("PAWS: a request tolerates no tick", &req,
		seg_ts(CLASP_ACK, 1000, 0, 7001, 499), CLASP_SEG_PAWS);
	verdict("PAWS: a request refuses the RST", &req,
		seg_ts(CLASP_RST, 1000, 0, 0, 400), CLASP_SEG_PAWS);
	verdict("PAWS: TIME_WAIT, the FIN again with an old TSval", &tw,
		seg_ts(CLASP_FIN | CLASP_ACK, 1999, 0, 9000, 400), CLASP_SEG_PAWS);
	verdict("PAWS: TIME_WAIT, a new SYN with an old TSval", &tw,
		seg_ts(CLASP_SYN, 5000, 0, 0, 400), CLASP_SEG_PAWS);
	verdict("PAWS: TIME_WAIT, an old SYN with a newer TSval reopens", &tw,
		seg_ts(CLASP_SYN, 1000, 0, 0, 600), CLASP_SEG_REOPEN);
	verdict("PAWS: TIME_WAIT refuses a RST with an old TSval", &tw,
		seg_ts(CLASP_RST, 2000, 0, 0, 400), CLASP_SEG_PAWS);
	tw.ts_recent_age = 60;
	verdict("PAWS: ... unless TS.Recent is a minute old", &tw,
		seg_ts(CLASP_RST, 2000, 0, 0, 400), CLASP_SEG_RESET);
}

/*
 * PAWS lets a duplicate ACK that crossed a later one pass, as Linux's
 * tcp_disordered_ack_check(): pure, at RCV.NXT, acknowledging SND.UNA,
 * no window update, no older than the RTO (here 200 ticks).
 */
static void test_disordered_ack(void)
{
	struct clasp_view est = {
		.rcv_nxt = 1000, .rcv_wnd = 5000, .snd_una = 7000, .snd_nxt = 8000,
		.max_snd_wnd = 10000, .kind = CLASP_VIEW_SYNCED,
		.ts_ok = true, .ts_recent = 500, .ts_recent_age = 3,
		.snd_wl1 = 1000, .snd_wnd = 4000, .snd_wscale = 2,
		.paws_replay = 200,
	};
	struct clasp_view req = est;
	struct clasp_seg s;

	s = seg_ts(CLASP_ACK, 1000, 0, 7000, 400);
	s.wnd = 1000;
	verdict("disordered dup ACK passes PAWS", &est, s, CLASP_SEG_ACCEPT);
	s.tsval = 299;
	verdict("disordered dup ACK older than the RTO fails", &est, s,
		CLASP_SEG_PAWS);
	s.tsval = 400;
	s.wnd = 1001;
	verdict("disordered ACK that would widen the window fails", &est, s,
		CLASP_SEG_PAWS);
	s.wnd = 1000;
	s.ack = 7500;
	verdict("disordered ACK of new data fails", &est, s, CLASP_SEG_PAWS);
	s.ack = 7000;
	s.len = 10;
	s.end_seq = 1010;
	verdict("disordered data fails", &est, s, CLASP_SEG_PAWS);
	req.kind = CLASP_VIEW_REQUEST;
	s = seg_ts(CLASP_ACK, 1000, 0, 7000, 400);
	s.wnd = 1000;
	verdict("no exemption for a request", &req, s, CLASP_SEG_PAWS);
}

int main(void)
{
	printf("TAP version 13\n");
	test_table();
	test_synced();
	test_syn_rcvd();
	test_time_wait();
	test_paws();
	test_disordered_ack();
	printf("1..%d\n", planned);
	printf("# %d passed, %d failed\n", planned - failed, failed);
	return failed ? 1 : 0;
}
