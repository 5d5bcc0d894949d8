// SPDX-License-Identifier: GPL-2.0
/*
 * claspctl ladder: the drawing.  Events from one or two namespaces come
 * in (ladder_add()), are held LADDER_HOLD_MS so that the other side's
 * report of the same segment can join them, and are drawn in the order
 * of their kernel timestamps (ladder_flush()): one line per segment, an
 * arrow from the side that sent it to the side that took it in, with
 * each side's new state beside it when it changed.
 *
 * A connection is drawn with the side that connected or sent the first
 * SYN on the left (else the one with the higher port, usually the
 * client's).  A
 * segment both sides reported is one arrow; one whose sender alone
 * reported it while the other side reports too is drawn lost ("x" short
 * of the far side).  Sequence and acknowledgment numbers are relative to
 * each side's ISN (learnt from a SYN, or from the kernel when it gives
 * them), raw until it is known.
 *
 * States: beside the receiver of an arrow, its state after the segment
 * when that changed it; beside the sender, a change the program made
 * (connect, close, shutdown: the "events" group's cause "user") just
 * before it sent the segment; on a line of their own, changes no segment
 * made (TIME-WAIT's end: "CLOSED (timeout)", a kill, keepalive, ICMP).
 * The state a sent segment reports is not used: a segment processed may
 * send one before the state it leads to is set.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "ladder.h"

#define TIME_W		10	/* "   12.345 " */
#define STATE_W		12	/* "FIN-WAIT-1  " */
#define ARROW_W		46
#define FLAG_FIN	0x01
#define FLAG_SYN	0x02
#define FLAG_RST	0x04
#define FLAG_PSH	0x08
#define FLAG_ACK	0x10

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fputs("claspctl: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

/* TCP_* numbering, in ss's words but for CLOSED (ss: UNCONN). */
const char *ladder_state_name(unsigned int state)
{
	static const char *const names[] = {
		[1] = "ESTAB", [2] = "SYN-SENT", [3] = "SYN-RECV",
		[4] = "FIN-WAIT-1", [5] = "FIN-WAIT-2", [6] = "TIME-WAIT",
		[7] = "CLOSED", [8] = "CLOSE-WAIT", [9] = "LAST-ACK",
		[10] = "LISTEN", [11] = "CLOSING",
	};

	if (state < sizeof(names) / sizeof(names[0]) && names[state])
		return names[state];
	return "?";
}

/* "SYN,ACK", "FIN,PSH,ACK": tcpdump's names, in the order SYN FIN RST PSH ACK. */
void ladder_flags_str(uint8_t flags, char *buf, size_t len)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} names[] = {
		{ FLAG_SYN, "SYN" }, { FLAG_FIN, "FIN" }, { FLAG_RST, "RST" },
		{ FLAG_PSH, "PSH" }, { FLAG_ACK, "ACK" }, { 0x20, "URG" },
		{ 0x40, "ECE" }, { 0x80, "CWR" },
	};
	size_t n = 0, i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].bit))
			continue;
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s",
			      n ? "," : "", names[i].name);
	}
	if (!n)
		snprintf(buf, len, "none");
}

/* A.B.C.D:PORT, or [IPV6]:PORT as ss writes it. */
void ladder_ep_str(const struct ladder_ep *ep, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->family == AF_INET6) {
		inet_ntop(AF_INET6, ep->addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ep->port);
		return;
	}
	inet_ntop(AF_INET, ep->addr, a, sizeof(a));
	snprintf(buf, len, "%s:%u", a, ep->port);
}

void ladder_init(struct ladder *l, FILE *out, bool keep_rows)
{
	memset(l, 0, sizeof(*l));
	l->out = out;
	l->keep_rows = keep_rows;
	l->last_conn = -1;
}

void ladder_free(struct ladder *l)
{
	free(l->q);
	free(l->conns);
	free(l->seen);
	free(l->rows);
	memset(l, 0, sizeof(*l));
}

static bool ep_eq(const struct ladder_ep *a, const struct ladder_ep *b)
{
	return (a->family == AF_INET6) == (b->family == AF_INET6) &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr)) && a->port == b->port;
}

static bool seen(const struct ladder *l, const struct ladder_ep *ep)
{
	for (size_t i = 0; i < l->nseen; i++)
		if (ep_eq(&l->seen[i], ep))
			return true;
	return false;
}

/* Queue in timestamp order; the later of equal ones goes last. */
void ladder_add(struct ladder *l, const struct ladder_event *e,
		uint64_t now_ms)
{
	size_t i;

	if (e->kind != LADDER_STATE && !seen(l, &e->local)) {
		if (l->nseen == l->seencap) {
			l->seencap = l->seencap ? 2 * l->seencap : 8;
			l->seen = xrealloc(l->seen,
					   l->seencap * sizeof(*l->seen));
		}
		l->seen[l->nseen++] = e->local;
	}
	if (l->qn == l->qcap) {
		l->qcap = l->qcap ? 2 * l->qcap : 64;
		l->q = xrealloc(l->q, l->qcap * sizeof(*l->q));
	}
	for (i = l->qn; i > 0 && l->q[i - 1].e.time_ns > e->time_ns; i--)
		l->q[i] = l->q[i - 1];
	l->q[i].e = *e;
	l->q[i].arrived_ms = now_ms;
	l->qn++;
}

static void dequeue(struct ladder *l, size_t i)
{
	memmove(&l->q[i], &l->q[i + 1], (l->qn - i - 1) * sizeof(*l->q));
	l->qn--;
}

/* The connection of two ends, or -1. */
static int find_conn(const struct ladder *l, const struct ladder_ep *a,
		     const struct ladder_ep *b)
{
	for (size_t i = 0; i < l->nconns; i++) {
		const struct ladder_conn *c = &l->conns[i];

		if ((ep_eq(&c->side[0].ep, a) && ep_eq(&c->side[1].ep, b)) ||
		    (ep_eq(&c->side[0].ep, b) && ep_eq(&c->side[1].ep, a)))
			return (int)i;
	}
	return -1;
}

/*
 * A new connection: the sender of a SYN without ACK on the left, of a
 * SYN-ACK on the right, else the end with the higher port.
 */
static int new_conn(struct ladder *l, const struct ladder_event *e)
{
	const struct ladder_ep *from = e->kind == LADDER_RECEIVED ?
				       &e->remote : &e->local;
	const struct ladder_ep *to = from == &e->local ? &e->remote :
							 &e->local;
	struct ladder_conn *c;
	bool from_left;

	if (e->kind == LADDER_STATE && e->state == 2)	/* SYN-SENT */
		from_left = true;
	else if (e->kind != LADDER_STATE && (e->flags & FLAG_SYN))
		from_left = !(e->flags & FLAG_ACK);
	else
		from_left = from->port >= to->port;
	if (l->nconns == l->conncap) {
		l->conncap = l->conncap ? 2 * l->conncap : 4;
		l->conns = xrealloc(l->conns, l->conncap * sizeof(*l->conns));
	}
	c = &l->conns[l->nconns];
	memset(c, 0, sizeof(*c));
	c->side[from_left ? 0 : 1].ep = *from;
	c->side[from_left ? 1 : 0].ep = *to;
	return (int)l->nconns++;
}

static struct ladder_side *side_of(struct ladder_conn *c,
				   const struct ladder_ep *ep)
{
	return ep_eq(&c->side[0].ep, ep) ? &c->side[0] : &c->side[1];
}

/* ISNs: from the kernel's report, and from any SYN. */
static void learn_isns(struct ladder_conn *c, const struct ladder_event *e)
{
	struct ladder_side *loc = side_of(c, &e->local);
	struct ladder_side *rem = side_of(c, &e->remote);

	if (e->isns) {
		loc->isn = e->iss;
		rem->isn = e->irs;
		loc->has_isn = rem->has_isn = true;
	}
	if (e->flags & FLAG_SYN) {
		struct ladder_side *from = e->kind == LADDER_SENT ? loc : rem;

		from->isn = e->seq;
		from->has_isn = true;
	}
}

static uint32_t rel(const struct ladder_side *s, uint32_t v)
{
	return s->has_isn ? v - s->isn : v;
}

/* The state to write beside @s: @state if it is news, else nothing. */
static void state_note(struct ladder_side *s, uint8_t state, char *buf,
		       size_t len)
{
	buf[0] = '\0';
	if (!state || state == s->shown)
		return;
	s->shown = state;
	snprintf(buf, len, "%s", ladder_state_name(state));
}

static void header(struct ladder *l, int ci)
{
	const struct ladder_conn *c = &l->conns[ci];
	char a[64], b[64];
	int gap = STATE_W + ARROW_W + 1;

	ladder_ep_str(&c->side[0].ep, a, sizeof(a));
	ladder_ep_str(&c->side[1].ep, b, sizeof(b));
	if (l->last_conn != -1)
		fputc('\n', l->out);
	fprintf(l->out, "%*s%-*s%s\n", TIME_W, "time ", gap, a, b);
	l->last_conn = ci;
}

/* An arrow of at least ARROW_W characters around @label. */
static void arrow_str(const struct ladder_row *r, char *buf, size_t len)
{
	size_t w = strlen(r->label) + 10, n;

	if (w < ARROW_W)
		w = ARROW_W;
	if (w >= len)
		w = len - 1;
	if (r->to_right)
		n = snprintf(buf, len, "--- %s ", r->label);
	else
		n = snprintf(buf, len, "<-- %s ", r->label);
	if (n > w)
		n = w;
	memset(buf + n, '-', w - n);
	buf[w] = '\0';
	if (r->to_right && !r->lost) {
		buf[w - 1] = '>';
	} else if (r->lost) {
		/* Short of the far side: "--- ... -x   " or "   x-- ...". */
		if (r->to_right) {
			buf[w - 4] = 'x';
			memset(buf + w - 3, ' ', 3);
		} else {
			memmove(buf + 4, buf + 1, w - 4);
			memcpy(buf, "   x", 4);
		}
	}
}

static void emit(struct ladder *l, struct ladder_row *r, uint64_t time_ns)
{
	char arrow[256];

	if (!l->have_t0) {
		l->t0 = time_ns;
		l->have_t0 = true;
	}
	r->t = time_ns >= l->t0 ? (double)(time_ns - l->t0) / 1e9 : 0.0;
	if (r->conn != l->last_conn)
		header(l, r->conn);
	if (r->arrow)
		arrow_str(r, arrow, sizeof(arrow));
	else
		snprintf(arrow, sizeof(arrow), "%*s", ARROW_W, "");
	if (!r->arrow && r->lstate[0])
		fprintf(l->out, "%*.3f %s", TIME_W - 1, r->t, r->lstate);
	else if (r->rstate[0])
		fprintf(l->out, "%*.3f %-*s%s %s", TIME_W - 1, r->t, STATE_W,
			r->lstate, arrow, r->rstate);
	else
		fprintf(l->out, "%*.3f %-*s%s", TIME_W - 1, r->t, STATE_W,
			r->lstate, arrow);
	fputc('\n', l->out);
	fflush(l->out);
	if (!l->keep_rows)
		return;
	if (l->nrows == l->rowcap) {
		l->rowcap = l->rowcap ? 2 * l->rowcap : 64;
		l->rows = xrealloc(l->rows, l->rowcap * sizeof(*l->rows));
	}
	l->rows[l->nrows++] = *r;
}

static bool same_seg(const struct ladder_event *a, const struct ladder_event *b)
{
	return a->seq == b->seq && a->flags == b->flags && a->len == b->len &&
	       (!(a->flags & FLAG_ACK) || a->ack == b->ack);
}

/*
 * The other side's report of segment @e (at the head of the queue), or
 * -1.  A copy sent again before it arrived claims it instead: the first
 * was lost.
 */
static ssize_t find_match(const struct ladder *l, const struct ladder_event *e)
{
	for (size_t i = 1; i < l->qn; i++) {
		const struct ladder_event *r = &l->q[i].e;

		if (!same_seg(r, e))
			continue;
		if (r->kind == LADDER_SENT && ep_eq(&r->local, &e->local))
			return -1;
		if (r->kind == LADDER_RECEIVED &&
		    ep_eq(&r->local, &e->remote) && ep_eq(&r->remote, &e->local))
			return (ssize_t)i;
	}
	return -1;
}

static void draw_segment(struct ladder *l, int ci, const struct ladder_event *e)
{
	struct ladder_conn *c = &l->conns[ci];
	const struct ladder_ep *from_ep = e->kind == LADDER_SENT ? &e->local :
								   &e->remote;
	struct ladder_side *from = side_of(c, from_ep);
	struct ladder_side *to = from == &c->side[0] ? &c->side[1] :
						      &c->side[0];
	struct ladder_row r = { .conn = ci, .arrow = true };
	uint8_t from_state = 0, to_state = 0;
	char flags[40], *p = r.label;
	size_t left = sizeof(r.label);
	ssize_t m = -1;
	int n;

	learn_isns(c, e);
	r.to_right = from == &c->side[0];
	if (e->kind == LADDER_SENT) {
		from_state = from->pending;
		from->pending = 0;
		m = find_match(l, e);
		if (m > 0) {
			to_state = l->q[m].e.state;
			learn_isns(c, &l->q[m].e);
		} else {
			r.lost = seen(l, &e->remote);
		}
	} else {
		to_state = e->state;
	}
	ladder_flags_str(e->flags, flags, sizeof(flags));
	n = snprintf(p, left, "%s seq=%u", flags, rel(from, e->seq));
	if (e->flags & FLAG_ACK)
		n += snprintf(p + n, left - n, " ack=%u", rel(to, e->ack));
	if (e->len)
		n += snprintf(p + n, left - n, " len=%u", e->len);
	snprintf(p + n, left - n, " win=%u", e->wnd);
	state_note(from, from_state, r.to_right ? r.lstate : r.rstate,
		   sizeof(r.lstate));
	state_note(to, to_state, r.to_right ? r.rstate : r.lstate,
		   sizeof(r.lstate));
	emit(l, &r, e->time_ns);
	if (m > 0)
		dequeue(l, (size_t)m);
}

/* A state change no segment showed: beside its side, with the cause. */
static void draw_state(struct ladder *l, int ci, const struct ladder_event *e)
{
	struct ladder_conn *c = &l->conns[ci];
	struct ladder_side *s = side_of(c, &e->local);
	struct ladder_row r = { .conn = ci };
	char *buf = s == &c->side[0] ? r.lstate : r.rstate;

	if (!e->state || e->state == s->shown)
		return;
	s->shown = e->state;
	snprintf(buf, sizeof(r.lstate), "%s (%s)", ladder_state_name(e->state),
		 e->cause ? e->cause : "?");
	emit(l, &r, e->time_ns);
}

/* Is the next event queued from @ep (after the head) a segment it sent? */
static bool next_is_sent(const struct ladder *l, const struct ladder_ep *ep)
{
	for (size_t i = 1; i < l->qn; i++)
		if (ep_eq(&l->q[i].e.local, ep))
			return l->q[i].e.kind == LADDER_SENT;
	return false;
}

/*
 * Must the segment sent at the head of the queue wait for the other
 * side's report?  While LADDER_MATCH_MS have not passed: when the other
 * side reports too (it is watched in the peer's namespace, or in this one
 * over loopback), or when it opens the connection while the peer's
 * namespace is watched (its SYN comes before the other side's first
 * report).
 */
static bool await_match(const struct ladder *l, uint64_t now_ms)
{
	const struct ladder_queued *h = &l->q[0];

	if (h->e.kind != LADDER_SENT ||
	    now_ms >= h->arrived_ms + LADDER_MATCH_MS)
		return false;
	if (!seen(l, &h->e.remote) &&
	    (!l->pairs || (h->e.flags & (FLAG_SYN | FLAG_ACK)) != FLAG_SYN))
		return false;
	return find_match(l, &h->e) < 0;
}

static void draw(struct ladder *l, const struct ladder_event *e)
{
	int ci = find_conn(l, &e->local, &e->remote);
	bool user;

	if (e->kind == LADDER_STATE) {
		/*
		 * Only for a connection already drawn, not its listener; not
		 * those a segment caused: its arrow shows them.
		 */
		if (e->cause && !strcmp(e->cause, "segment"))
			return;
		user = e->cause && !strcmp(e->cause, "user") &&
		       next_is_sent(l, &e->local);
		/*
		 * A connect() opens a connection; so does, for a ladder
		 * started later, a program's close() or shutdown() that
		 * sends a segment.
		 */
		if (ci < 0 && (e->state == 2 || user))
			ci = new_conn(l, e);
		if (ci < 0)
			return;
		if (user) {
			side_of(&l->conns[ci], &e->local)->pending = e->state;
			return;
		}
		draw_state(l, ci, e);
		return;
	}
	if (ci < 0)
		ci = new_conn(l, e);
	draw_segment(l, ci, e);
}

/*
 * Draw what is due: every event held LADDER_HOLD_MS, in timestamp order,
 * or all of them (@all, at the end).
 */
void ladder_flush(struct ladder *l, uint64_t now_ms, bool all)
{
	while (l->qn) {
		struct ladder_event e = l->q[0].e;

		if (!all && (now_ms < l->q[0].arrived_ms + LADDER_HOLD_MS ||
			     await_match(l, now_ms)))
			break;
		draw(l, &e);
		dequeue(l, 0);
	}
}

/* Text for XML: & < > and quotes escaped. */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

#define SVG_W		800
#define SVG_XL		220	/* the left side's line */
#define SVG_XR		620	/* the right side's */
#define SVG_ROW		30
#define SVG_HEAD	50

static void svg_text(FILE *f, int x, int y, const char *anchor,
		     const char *extra, const char *text)
{
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\"%s>", x, y,
		anchor, extra);
	xml_text(f, text);
	fputs("</text>\n", f);
}

/* The same lines as a picture: one block per connection, hand-made SVG. */
void ladder_svg(const struct ladder *l, FILE *f)
{
	int y = 10, h = 20, last = -1, top = 0;
	size_t i;

	for (i = 0; i < l->nrows; i++) {
		if (l->rows[i].conn != last)
			h += SVG_HEAD + 20;
		last = l->rows[i].conn;
		h += SVG_ROW;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"monospace\" font-size=\"12\">\n"
		"<title>clasp ladder diagram</title>\n"
		"<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
		"markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\">"
		"<path d=\"M 0 0 L 10 5 L 0 10 z\"/></marker></defs>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		SVG_W, h, SVG_W, h);
	last = -1;
	for (i = 0; i <= l->nrows; i++) {
		const struct ladder_row *r = i < l->nrows ? &l->rows[i] : NULL;
		char t[32];

		if (last != -1 && (!r || r->conn != last)) {
			/* Close the block: the two sides' lines. */
			fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n"
				"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n",
				SVG_XL, top, SVG_XL, y, SVG_XR, top, SVG_XR, y);
			y += 20;
		}
		if (!r)
			break;
		if (r->conn != last) {
			const struct ladder_conn *c = &l->conns[r->conn];
			char a[64], b[64];

			ladder_ep_str(&c->side[0].ep, a, sizeof(a));
			ladder_ep_str(&c->side[1].ep, b, sizeof(b));
			svg_text(f, 10, y + 20, "start", " font-weight=\"bold\"", "time");
			svg_text(f, SVG_XL, y + 20, "middle", " font-weight=\"bold\"", a);
			svg_text(f, SVG_XR, y + 20, "middle", " font-weight=\"bold\"", b);
			y += SVG_HEAD;
			top = y - 20;
			last = r->conn;
		}
		snprintf(t, sizeof(t), "%.3f", r->t);
		svg_text(f, 10, y + 4, "start", "", t);
		if (r->lstate[0])
			svg_text(f, SVG_XL - 8, y + 4, "end", " fill=\"#05a\"", r->lstate);
		if (r->rstate[0])
			svg_text(f, SVG_XR + 8, y + 4, "start", " fill=\"#05a\"", r->rstate);
		if (r->arrow) {
			int x1 = r->to_right ? SVG_XL : SVG_XR;
			int x2 = r->to_right ? SVG_XR : SVG_XL;

			if (r->lost)
				x2 = x1 + (x2 - x1) * 3 / 4;
			fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\"%s/>\n",
				x1, y - 6, x2, y + 10,
				r->lost ? "#c00" : "black",
				r->lost ? "" : " marker-end=\"url(#head)\"");
			if (r->lost)
				svg_text(f, x2, y + 14, "middle", " fill=\"#c00\"", "x");
			svg_text(f, (SVG_XL + SVG_XR) / 2, y - 4, "middle", "",
				 r->label);
		}
		y += SVG_ROW;
	}
	fputs("</svg>\n", f);
}
