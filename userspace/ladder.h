/* SPDX-License-Identifier: GPL-2.0 */
/*
 * claspctl ladder: segment events turned into ladder (sequence) diagrams,
 * as ASCII text and as SVG.  No netlink here (ladder_cmd.c has it), so
 * that unit/ladder_test.c can feed it events and read what it draws.
 */
#ifndef CLASP_LADDER_H
#define CLASP_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Events older than this are drawn: time for the other side's to come. */
#define LADDER_HOLD_MS	200
/*
 * How long a segment sent waits for the other side's report, when that
 * side reports too, before it is drawn lost.  An emulated guest may stall
 * for hundreds of milliseconds between the two.
 */
#define LADDER_MATCH_MS	2000

/*
 * One end of a connection; the address in network byte order, an IPv4
 * one in the first 4 bytes (@family AF_INET, or 0), the rest zero.
 */
struct ladder_ep {
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
};

enum ladder_kind {
	LADDER_SENT,		/* a segment the local side sent */
	LADDER_RECEIVED,	/* one it took in */
	LADDER_STATE,		/* a state change (the "events" group) */
};

/*
 * What the kernel reported, from the local side's point of view.  States
 * use TCP_* numbers, 0 for unknown; @cause only for LADDER_STATE.
 */
struct ladder_event {
	enum ladder_kind kind;
	uint64_t time_ns;	/* CLOCK_MONOTONIC */
	struct ladder_ep local, remote;
	uint32_t seq, ack, len, wnd;
	uint32_t iss, irs;
	bool isns;		/* iss and irs known */
	uint8_t flags;		/* the header's flags byte */
	uint8_t old_state, state;
	const char *cause;	/* LADDER_STATE: why ("user", "timeout", ...) */
};

/* A line of the diagram, kept for the SVG. */
struct ladder_row {
	int conn;		/* index into conns */
	double t;		/* seconds since the first line */
	bool arrow;		/* else a state change alone */
	bool to_right;		/* the left side sent it */
	bool lost;		/* sent, and the other side never took it in */
	char label[96];
	char lstate[32], rstate[32];
};

struct ladder_side {
	struct ladder_ep ep;
	uint32_t isn;
	bool has_isn;
	uint8_t shown;		/* the state last written beside it */
	uint8_t pending;	/* a state to write beside its next arrow */
};

struct ladder_conn {
	struct ladder_side side[2];	/* 0 left, 1 right */
};

struct ladder_queued {
	struct ladder_event e;
	uint64_t arrived_ms;
};

struct ladder {
	FILE *out;
	struct ladder_queued *q;
	size_t qn, qcap;
	struct ladder_conn *conns;
	size_t nconns, conncap;
	struct ladder_ep *seen;	/* local ends that reported events */
	size_t nseen, seencap;
	struct ladder_row *rows;
	size_t nrows, rowcap;
	bool keep_rows;
	bool pairs;		/* the peer's namespace watched too */
	bool have_t0;
	uint64_t t0;
	int last_conn;		/* of the last line written, -1 none */
};

void ladder_init(struct ladder *l, FILE *out, bool keep_rows);
void ladder_free(struct ladder *l);
void ladder_add(struct ladder *l, const struct ladder_event *e,
		uint64_t now_ms);
void ladder_flush(struct ladder *l, uint64_t now_ms, bool all);
void ladder_svg(const struct ladder *l, FILE *f);
const char *ladder_state_name(unsigned int state);
void ladder_flags_str(uint8_t flags, char *buf, size_t len);
void ladder_ep_str(const struct ladder_ep *ep, char *buf, size_t len);

#endif /* CLASP_LADDER_H */
