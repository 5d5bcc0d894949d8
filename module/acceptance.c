// SPDX-License-Identifier: GPL-2.0
/*
 * clasp: the segment-acceptance checks of RFC 9293 section 3.10.7.4,
 * hardened by RFC 5961, in one place.
 *
 * Sockets (input.c), half-open requests (request.c) and TIME_WAIT and
 * FIN_WAIT_2 entries (timewait.c) each describe themselves as a struct
 * clasp_view and ask clasp_seg_check() what a segment deserves.  The
 * checks run in RFC 9293's order:
 *
 *   first   the sequence number: the four cases of the acceptability
 *           table; an unacceptable segment is answered by an ACK (not a
 *           RST, and not a SYN: see fourth) and goes no further;
 *   second  RST: only one at exactly RCV.NXT resets, one elsewhere in the
 *           window earns a challenge ACK (RFC 5961 section 3);
 *   fourth  SYN: a challenge ACK whatever its sequence number (section 4);
 *   fifth   ACK: SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT, else a
 *           challenge ACK and drop (section 5); in SYN_RCVD, SND.UNA <
 *           SEG.ACK <= SND.NXT, else a RST.
 *
 * Only then does the owner process the ACK, the text and the FIN.  The
 * exceptions every stack makes are here too: their SYN again in
 * SYN_RCVD; the SYN-ACK of a simultaneous open, which crosses ours and
 * acknowledges it; the window-closed allowance for ACKs; a RST at the
 * sequence number of the peer's FIN, which Linux accepts; and TIME_WAIT,
 * where the window is closed, a SYN above RCV.NXT may open a new
 * incarnation (RFC 1122 4.2.2.13) and any other SYN is answered by an
 * ACK, as in Linux's tcp_timewait_state_process().
 */
#include "seq.h"

static bool clasp_in_window(u32 rcv_nxt, u32 rcv_wnd, u32 seq)
{
	return seq - rcv_nxt < rcv_wnd;
}

/**
 * clasp_seq_acceptable() - RFC 9293's sequence-number test
 * @rcv_nxt: RCV.NXT
 * @rcv_wnd: RCV.WND
 * @seq: SEG.SEQ
 * @end_seq: SEG.SEQ + SEG.LEN (SYN and FIN count)
 *
 * Return: true when the segment occupies no sequence space and starts in
 * the window (at RCV.NXT when it is closed), or when its first or last
 * octet lies in a window that is open.
 */
bool clasp_seq_acceptable(u32 rcv_nxt, u32 rcv_wnd, u32 seq, u32 end_seq)
{
	if (seq == end_seq)
		return rcv_wnd ? clasp_in_window(rcv_nxt, rcv_wnd, seq) :
				 seq == rcv_nxt;
	return clasp_in_window(rcv_nxt, rcv_wnd, seq) ||
	       clasp_in_window(rcv_nxt, rcv_wnd, end_seq - 1);
}

static bool clasp_view_syn_rcvd(const struct clasp_view *v)
{
	return v->kind == CLASP_VIEW_REQUEST || v->kind == CLASP_VIEW_SIMOPEN;
}

/* Fifth: is the ACK field acceptable? */
static enum clasp_verdict clasp_ack_check(const struct clasp_view *v,
					  const struct clasp_seg *seg)
{
	if (clasp_view_syn_rcvd(v))
		return clasp_seq_after(seg->ack, v->snd_una) &&
		       !clasp_seq_after(seg->ack, v->snd_nxt) ?
		       CLASP_SEG_ACCEPT : CLASP_SEG_BAD_ACK;
	if (clasp_seq_after(seg->ack, v->snd_nxt) ||
	    clasp_seq_before(seg->ack, v->snd_una - v->max_snd_wnd))
		return CLASP_SEG_CHALLENGE;
	return CLASP_SEG_ACCEPT;
}

/* Does a segment fail PAWS, tolerating a TSval @win ticks old? */
static bool clasp_paws_fails(const struct clasp_view *v,
			     const struct clasp_seg *seg, s32 win)
{
	if (!v->ts_ok || !seg->ts_ok)
		return false;
	if ((s32)(v->ts_recent - seg->tsval) <= win)
		return false;
	return v->ts_recent && v->ts_recent_age < CLASP_PAWS_IDLE_S;
}

/*
 * A duplicate ACK that arrived behind a later ACK (ACKs the peer sent
 * from two CPUs can cross) carries an older TSval; dropping it would lose
 * its SACK blocks, which a sender needs to know what is missing.  Linux
 * lets it pass PAWS (tcp_disordered_ack_check()): a pure ACK at RCV.NXT
 * that acknowledges SND.UNA, would not update the window, and lags
 * TS.Recent by no more than an RTO.
 */
static bool clasp_disordered_ack(const struct clasp_view *v,
				 const struct clasp_seg *seg)
{
	u32 wnd = (u32)seg->wnd << v->snd_wscale;

	if (v->kind != CLASP_VIEW_SYNCED || !(seg->flags & CLASP_ACK) ||
	    seg->flags & (CLASP_SYN | CLASP_FIN | CLASP_RST) || seg->len ||
	    seg->seq != v->rcv_nxt || seg->ack != v->snd_una)
		return false;
	if (clasp_seq_after(seg->seq, v->snd_wl1) ||
	    (seg->seq == v->snd_wl1 && (wnd > v->snd_wnd || !wnd)))
		return false;
	return (s32)(v->ts_recent - seg->tsval) <= (s32)v->paws_replay;
}

/* PAWS first; CLASP_SEG_ACCEPT: the segment goes on to the other checks. */
static enum clasp_verdict clasp_paws_check(const struct clasp_view *v,
					   const struct clasp_seg *seg)
{
	bool synced = v->kind == CLASP_VIEW_SYNCED ||
		      v->kind == CLASP_VIEW_SIMOPEN;

	if (!clasp_paws_fails(v, seg, synced ? 1 : 0) ||
	    clasp_disordered_ack(v, seg))
		return CLASP_SEG_ACCEPT;
	if (seg->flags & CLASP_RST) {
		if (synced || (v->kind == CLASP_VIEW_TIME_WAIT &&
			       v->ts_recent_age >= CLASP_PAWS_MSL_S))
			return CLASP_SEG_ACCEPT;
		return CLASP_SEG_PAWS;
	}
	if (synced && seg->flags & CLASP_SYN)
		return CLASP_SEG_CHALLENGE;
	return CLASP_SEG_PAWS;
}

/* The exceptions that come before the table; CLASP_SEG_DROP: none. */
static enum clasp_verdict clasp_seg_special(const struct clasp_view *v,
					    const struct clasp_seg *seg)
{
	u8 ctl = seg->flags & (CLASP_SYN | CLASP_ACK | CLASP_RST);

	if (v->kind == CLASP_VIEW_TIME_WAIT && ctl == CLASP_SYN &&
	    (clasp_seq_after(seg->seq, v->rcv_nxt) ||
	     (v->ts_ok && seg->ts_ok &&
	      (s32)(v->ts_recent - seg->tsval) < 0)))
		return CLASP_SEG_REOPEN;
	if (!clasp_view_syn_rcvd(v) || seg->seq + 1 != v->rcv_nxt)
		return CLASP_SEG_DROP;
	if (ctl == CLASP_SYN)
		return CLASP_SEG_SYN_AGAIN;
	/*
	 * Their SYN-ACK, crossing ours: its SYN is old text, its ACK is
	 * ours.  The owner establishes the connection and acknowledges.
	 */
	if (v->kind == CLASP_VIEW_SIMOPEN && ctl == (CLASP_SYN | CLASP_ACK) &&
	    seg->ack == v->snd_nxt)
		return CLASP_SEG_ACCEPT;
	return CLASP_SEG_DROP;
}

/**
 * clasp_seg_check() - what a segment deserves from one end of a connection
 * @v: that end, as the checks see it
 * @seg: the segment
 *
 * PAWS (RFC 7323 section 5), then RFC 9293 section 3.10.7.4 first to
 * fifth, with RFC 5961; see the top of this file.  A segment accepted in
 * SYN_RCVD of a simultaneous open may still carry SYN: the crossing
 * SYN-ACK, which the owner acknowledges.
 *
 * Return: the verdict.
 */
enum clasp_verdict clasp_seg_check(const struct clasp_view *v,
				   const struct clasp_seg *seg)
{
	enum clasp_verdict verdict = clasp_paws_check(v, seg);

	if (verdict != CLASP_SEG_ACCEPT)
		return verdict;
	verdict = clasp_seg_special(v, seg);
	if (verdict != CLASP_SEG_DROP)
		return verdict;

	if (!clasp_seq_acceptable(v->rcv_nxt, v->rcv_wnd, seg->seq,
				  seg->end_seq)) {
		/*
		 * A RST at the sequence number of the peer's FIN ends the
		 * connection too: some stacks send one right after their
		 * FIN, and rate-limit the challenge ACK that would make
		 * them retry.  Linux accepts it (tcp_reset_check()); so
		 * does clasp, at the cost of one more number to guess.
		 */
		if (seg->flags & CLASP_RST)
			return v->fin_in && seg->seq == v->rcv_nxt - 1 ?
			       CLASP_SEG_RESET : CLASP_SEG_OOW_DROP;
		if (seg->flags & CLASP_SYN)
			return v->kind == CLASP_VIEW_TIME_WAIT ?
			       CLASP_SEG_OOW_ACK : CLASP_SEG_CHALLENGE;
		/*
		 * RFC 9293: with the window closed nothing is acceptable,
		 * "but special allowance should be made to accept valid
		 * ACKs": a segment at RCV.NXT still carries news of the
		 * peer's window, without which two ends that each dropped
		 * the other's data never hear that it reopened.
		 */
		if (seg->flags & CLASP_ACK && !v->rcv_wnd &&
		    seg->seq == v->rcv_nxt && v->kind == CLASP_VIEW_SYNCED) {
			verdict = clasp_ack_check(v, seg);
			return verdict == CLASP_SEG_ACCEPT ?
			       CLASP_SEG_ACK_ONLY : verdict;
		}
		return CLASP_SEG_OOW_ACK;
	}
	if (seg->flags & CLASP_RST)
		return seg->seq == v->rcv_nxt ? CLASP_SEG_RESET :
						CLASP_SEG_CHALLENGE;
	if (seg->flags & CLASP_SYN)
		return CLASP_SEG_CHALLENGE;
	if (!(seg->flags & CLASP_ACK))
		return CLASP_SEG_DROP;
	return clasp_ack_check(v, seg);
}
