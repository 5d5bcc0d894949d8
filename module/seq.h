/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp: sequence-space arithmetic and the segment-acceptance check.
 *
 * Pure code on plain integers: nothing here touches a socket, an skb or
 * a lock, so unit/ compiles the same source in user space and tests it
 * case by case.  Only <linux/types.h> is needed (unit/shim.h supplies
 * the kernel's short type names there).
 */
#ifndef _CLASP_SEQ_H
#define _CLASP_SEQ_H

#include <linux/types.h>

#include "sack.h"	/* struct clasp_sack_block */

/* Segment flags as they appear in byte 13 of the header. */
#define CLASP_FIN	0x01
#define CLASP_SYN	0x02
#define CLASP_RST	0x04
#define CLASP_PSH	0x08
#define CLASP_ACK	0x10
#define CLASP_ECE	0x40	/* ECN-Echo (RFC 3168 6.1) */
#define CLASP_CWR	0x80	/* Congestion Window Reduced */

/* What a received segment says, parsed once. */
struct clasp_seg {
	u32 seq;
	u32 end_seq;		/* seq + data length + SYN + FIN */
	u32 ack;
	u32 len;		/* data bytes */
	u16 gso_size;		/* segment size of a buffer of several, else 0 */
	u16 wnd;
	u16 mss;		/* from the MSS option, 0 if absent */
	u8 flags;
	u8 wscale;		/* window-scale option (SYN), with wscale_ok */
	bool wscale_ok;
	bool sack_ok;		/* SACK-permitted option (SYN) */
	bool ts_ok;		/* a timestamps option: */
	u32 tsval;
	u32 tsecr;
	u8 nr_sack;		/* SACK blocks, as they came: */
	struct clasp_sack_block sack[CLASP_SACK_BLOCKS];
};

static inline bool clasp_seq_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

static inline bool clasp_seq_after(u32 a, u32 b)
{
	return clasp_seq_before(b, a);
}

/* Which rules apply beyond the common ones (see clasp_seg_check()). */
enum clasp_view_kind {
	CLASP_VIEW_SYNCED,	/* ESTABLISHED onwards, FIN_WAIT_2 entries */
	CLASP_VIEW_REQUEST,	/* SYN_RCVD of a passive open */
	CLASP_VIEW_SIMOPEN,	/* SYN_RCVD of a simultaneous open */
	CLASP_VIEW_TIME_WAIT,	/* a TIME_WAIT entry */
};

/**
 * struct clasp_view - one end of a connection, as the acceptance check
 * sees it: a socket, a half-open request or a compact entry
 * @rcv_nxt: RCV.NXT
 * @rcv_wnd: RCV.WND, the room offered beyond @rcv_nxt (0: closed)
 * @snd_una: SND.UNA
 * @snd_nxt: the highest sequence number sent (SND.NXT of RFC 5961)
 * @max_snd_wnd: MAX.SND.WND, the largest window the peer offered
 * @kind: enum clasp_view_kind
 * @fin_in: the peer's FIN is in (CLOSE_WAIT, CLOSING, LAST_ACK)
 * @ts_ok: timestamps in use: PAWS applies (RFC 7323 section 5)
 * @ts_recent: TS.Recent
 * @ts_recent_age: seconds since TS.Recent was recorded
 * @snd_wl1: SND.WL1, the sequence number of the last window update
 * @snd_wnd: SND.WND, bytes
 * @snd_wscale: shift of the peer's window field
 * @paws_replay: how many TSval ticks an ACK that only repeats may lag
 *	TS.Recent (a socket: its RTO in ms; 0 otherwise)
 */
struct clasp_view {
	u32 rcv_nxt;
	u32 rcv_wnd;
	u32 snd_una;
	u32 snd_nxt;
	u32 max_snd_wnd;
	u8 kind;
	bool fin_in;
	bool ts_ok;
	u32 ts_recent;
	u32 ts_recent_age;
	u32 snd_wl1;
	u32 snd_wnd;
	u8 snd_wscale;
	u32 paws_replay;
};

/* What to do with a segment; each caller maps these to its own actions. */
enum clasp_verdict {
	CLASP_SEG_ACCEPT,	/* on to the ACK, the text and the FIN */
	CLASP_SEG_ACK_ONLY,	/* window closed: the ACK field, not the text */
	CLASP_SEG_DROP,		/* silently: no ACK bit */
	CLASP_SEG_OOW_DROP,	/* outside the window, silently: a RST */
	CLASP_SEG_OOW_ACK,	/* outside the window: ACK, rate-limited */
	CLASP_SEG_CHALLENGE,	/* RFC 5961: a challenge ACK, then drop */
	CLASP_SEG_RESET,	/* an exact RST: the connection ends */
	CLASP_SEG_SYN_AGAIN,	/* SYN_RCVD: their SYN again; SYN-ACK again */
	CLASP_SEG_BAD_ACK,	/* SYN_RCVD: unacceptable ACK; answer RST */
	CLASP_SEG_REOPEN,	/* TIME_WAIT: a new SYN, for the listener */
	CLASP_SEG_PAWS,		/* old TSval (RFC 7323 5): dup ACK, drop */
};

/* RFC 7323 5.5: a TS.Recent idle this long (24 days) no longer counts. */
#define CLASP_PAWS_IDLE_S	(60 * 60 * 24 * 24)
/* A RST that fails PAWS passes a TIME_WAIT entry after this (TCP's). */
#define CLASP_PAWS_MSL_S	60

bool clasp_seq_acceptable(u32 rcv_nxt, u32 rcv_wnd, u32 seq, u32 end_seq);
enum clasp_verdict clasp_seg_check(const struct clasp_view *v,
				   const struct clasp_seg *seg);

#endif /* _CLASP_SEQ_H */
