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

/* Segment flags as they appear in byte 13 of the header. */
#define CLASP_FIN	0x01
#define CLASP_SYN	0x02
#define CLASP_RST	0x04
#define CLASP_PSH	0x08
#define CLASP_ACK	0x10

/* What a received segment says, parsed once. */
struct clasp_seg {
	u32 seq;
	u32 end_seq;		/* seq + data length + SYN + FIN */
	u32 ack;
	u32 len;		/* data bytes */
	u16 wnd;
	u16 mss;		/* from the MSS option, 0 if absent */
	u8 flags;
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
 */
struct clasp_view {
	u32 rcv_nxt;
	u32 rcv_wnd;
	u32 snd_una;
	u32 snd_nxt;
	u32 max_snd_wnd;
	u8 kind;
	bool fin_in;
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
};

bool clasp_seq_acceptable(u32 rcv_nxt, u32 rcv_wnd, u32 seq, u32 end_seq);
enum clasp_verdict clasp_seg_check(const struct clasp_view *v,
				   const struct clasp_seg *seg);

#endif /* _CLASP_SEQ_H */
