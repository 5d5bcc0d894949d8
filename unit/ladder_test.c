// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of claspctl ladder's drawing (userspace/ladder.c): a
 * connection's life as both sides' kernels report it, in the order the
 * two netlink sockets deliver it (not the order it happened), drawn as
 * one arrow per segment with relative numbers and each side's states;
 * one side alone; a lost segment; the SVG's shape.
 * Prints TAP; exits 1 if any case fails.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../userspace/ladder.h"

static int planned, failed;

static void report(bool ok, const char *what)
{
	++planned;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", planned, what);
	if (!ok)
		failed++;
}

enum { ESTAB = 1, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT,
       CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN };
enum { F_FIN = 1, F_SYN = 2, F_RST = 4, F_PSH = 8, F_ACK = 16 };

#define C_ISN	1000u
#define S_ISN	4000000000u	/* wraps: relative numbers still right */

static struct ladder_ep cli, srv;

/* A segment @from_client or not, as the sender or receiver reports it. */
static struct ladder_event seg(bool from_client, bool sent, uint64_t us,
			       uint8_t flags, uint32_t seq, uint32_t ack,
			       uint32_t len, uint8_t old, uint8_t state)
{
	struct ladder_event e = {
		.kind = sent ? LADDER_SENT : LADDER_RECEIVED,
		.time_ns = us * 1000,
		.flags = flags, .seq = seq, .ack = ack, .len = len,
		.wnd = 502, .old_state = old, .state = state,
	};
	bool client_local = from_client == sent;

	e.local = client_local ? cli : srv;
	e.remote = client_local ? srv : cli;
	return e;
}

static struct ladder_event state_ev(bool client, uint64_t us, uint8_t old,
				    uint8_t state, const char *cause)
{
	struct ladder_event e = {
		.kind = LADDER_STATE, .time_ns = us * 1000,
		.old_state = old, .state = state, .cause = cause,
	};

	e.local = client ? cli : srv;
	e.remote = client ? srv : cli;
	return e;
}

/* The line of @out holding @needle, or NULL. */
static const char *line_with(const char *out, const char *needle,
			     char *line, size_t len)
{
	const char *p = strstr(out, needle), *s, *e;

	if (!p)
		return NULL;
	for (s = p; s > out && s[-1] != '\n'; s--)
		;
	e = strchr(p, '\n');
	if (!e)
		e = p + strlen(p);
	snprintf(line, len, "%.*s", (int)(e - s), s);
	return line;
}

/* A line with @label whose left and right states are those given. */
static void expect_line(const char *out, const char *label, const char *lst,
			const char *rst, const char *arrow_end)
{
	char line[256], what[256], want[64];
	bool ok = line_with(out, label, line, sizeof(line));

	snprintf(what, sizeof(what), "'%s' [%s | %s]", label, lst, rst);
	if (ok) {
		snprintf(want, sizeof(want), " %-12s", lst);
		ok = strstr(line, want) == line + 9;
	}
	if (ok && *rst) {
		const char *end = line + strlen(line) - strlen(rst);

		ok = end > line && !strcmp(end, rst) && end[-1] == ' ';
	}
	if (ok && !*rst)
		ok = line[strlen(line) - 1] != ' ';
	if (ok && arrow_end)
		ok = strstr(line, arrow_end) != NULL;
	report(ok, what);
	if (!ok)
		printf("# line: %s\n", line_with(out, label, line, sizeof(line)) ? line : "(none)");
}

/*
 * Draw @ev (both sides watched: @pairs); nothing before LADDER_HOLD_MS,
 * all of it once LADDER_MATCH_MS passed.
 */
static char *run(struct ladder_event *ev, size_t n, bool pairs, bool svg,
		 char **svg_out)
{
	struct ladder l;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ladder_init(&l, f, svg);
	l.pairs = pairs;
	for (size_t i = 0; i < n; i++)
		ladder_add(&l, &ev[i], 10);
	ladder_flush(&l, 10 + LADDER_HOLD_MS - 1, false);
	fflush(f);
	report(len == 0, "nothing drawn before LADDER_HOLD_MS");
	ladder_flush(&l, 10 + LADDER_MATCH_MS, false);
	report(l.qn == 0, "all drawn after LADDER_MATCH_MS");
	fclose(f);
	if (svg) {
		size_t slen = 0;
		FILE *s = open_memstream(svg_out, &slen);

		ladder_svg(&l, s);
		fclose(s);
	}
	ladder_free(&l);
	return buf;
}

static void life_both_sides(void)
{
	/*
	 * The client's reports first, then the server's: as two sockets
	 * read.  A sent segment's own state is not drawn (0xff: noise).
	 */
	struct ladder_event ev[] = {
		state_ev(1, 90, CLOSE, SYN_SENT, "user"),
		seg(1, 1, 100, F_SYN, C_ISN, 0, 0, 0xff, 0xff),
		seg(0, 0, 400, F_SYN | F_ACK, S_ISN, C_ISN + 1, 0, SYN_SENT, ESTAB),
		state_ev(1, 450, SYN_SENT, ESTAB, "segment"),
		seg(1, 1, 500, F_ACK, C_ISN + 1, S_ISN + 1, 0, 0xff, 0xff),
		seg(1, 1, 700, F_PSH | F_ACK, C_ISN + 1, S_ISN + 1, 5, ESTAB, ESTAB),
		state_ev(1, 790, ESTAB, FIN_WAIT1, "user"),
		seg(1, 1, 800, F_FIN | F_ACK, C_ISN + 6, S_ISN + 1, 0, FIN_WAIT1, FIN_WAIT1),
		seg(0, 0, 1100, F_ACK, S_ISN + 1, C_ISN + 7, 0, FIN_WAIT1, FIN_WAIT2),
		seg(0, 0, 1300, F_FIN | F_ACK, S_ISN + 1, C_ISN + 7, 0, FIN_WAIT2, TIME_WAIT),
		seg(1, 1, 1400, F_ACK, C_ISN + 7, S_ISN + 2, 0, FIN_WAIT2, FIN_WAIT2),
		state_ev(1, 1450, FIN_WAIT2, TIME_WAIT, "segment"),
		state_ev(1, 3000, TIME_WAIT, CLOSE, "timeout"),
		/* The server's. */
		seg(1, 0, 200, F_SYN, C_ISN, 0, 0, LISTEN, SYN_RECV),
		seg(0, 1, 300, F_SYN | F_ACK, S_ISN, C_ISN + 1, 0, 0, 0),
		seg(1, 0, 600, F_ACK, C_ISN + 1, S_ISN + 1, 0, SYN_RECV, ESTAB),
		seg(1, 0, 750, F_PSH | F_ACK, C_ISN + 1, S_ISN + 1, 5, ESTAB, ESTAB),
		seg(1, 0, 900, F_FIN | F_ACK, C_ISN + 6, S_ISN + 1, 0, ESTAB, CLOSE_WAIT),
		seg(0, 1, 1000, F_ACK, S_ISN + 1, C_ISN + 7, 0, CLOSE_WAIT, CLOSE_WAIT),
		state_ev(0, 1190, CLOSE_WAIT, LAST_ACK, "user"),
		seg(0, 1, 1200, F_FIN | F_ACK, S_ISN + 1, C_ISN + 7, 0, LAST_ACK, LAST_ACK),
		seg(1, 0, 1500, F_ACK, C_ISN + 7, S_ISN + 2, 0, LAST_ACK, CLOSE),
		state_ev(0, 1600, LAST_ACK, CLOSE, "segment"),
	};
	char *svg = NULL, *out = run(ev, sizeof(ev) / sizeof(ev[0]), true, true, &svg);
	int arrows = 0;

	printf("# both sides:\n");
	for (char *p = out, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		printf("#%.*s\n", (int)(nl - p), p);
		if (strstr(p, "seq=") && strstr(p, "seq=") < nl)
			arrows++;
	}
	report(!strncmp(out, "     time 10.0.0.2:40000 ", 25) &&
	       strstr(out, " 10.0.0.1:5000\n"), "header: the client left, the server right");
	expect_line(out, "--- SYN seq=0 win=502 ", "SYN-SENT", "SYN-RECV", "->");
	expect_line(out, "<-- SYN,ACK seq=0 ack=1 win=502 ", "ESTAB", "", NULL);
	expect_line(out, "--- ACK seq=1 ack=1 win=502 ", "", "ESTAB", "->");
	expect_line(out, "--- PSH,ACK seq=1 ack=1 len=5 win=502 ", "", "", "->");
	expect_line(out, "--- FIN,ACK seq=6 ack=1 win=502 ", "FIN-WAIT-1", "CLOSE-WAIT", "->");
	expect_line(out, "<-- ACK seq=1 ack=7 win=502 ", "FIN-WAIT-2", "", NULL);
	expect_line(out, "<-- FIN,ACK seq=1 ack=7 win=502 ", "TIME-WAIT", "LAST-ACK", NULL);
	expect_line(out, "--- ACK seq=7 ack=2 win=502 ", "", "CLOSED", "->");
	report(strstr(out, "\n    0.003 CLOSED (timeout)\n") != NULL,
	       "TIME-WAIT's end beside the client, with its cause");
	report(arrows == 8, "one arrow per segment: 8");
	report(!strstr(out, "(user)") && !strstr(out, "(segment)") &&
	       !strstr(out, "FIN-WAIT-2  ---"),
	       "state changes the arrows show are not repeated; a sent segment's own not shown");
	report(svg && !strncmp(svg, "<?xml", 5) && strstr(svg, "</svg>\n") &&
	       strstr(svg, "FIN,ACK seq=6 ack=1 win=502") &&
	       strstr(svg, "CLOSED (timeout)"), "the SVG has the same lines");
	{
		int lines = 0;

		for (char *p = svg; (p = strstr(p, "marker-end")); p++)
			lines++;
		report(lines == 8, "the SVG has 8 arrows");
	}
	free(out);
	free(svg);
}

static void one_side_and_loss(void)
{
	/* Only the client watched: its SYN, the SYN-ACK, the ACK. */
	struct ladder_event ev[] = {
		state_ev(1, 90, CLOSE, SYN_SENT, "user"),
		seg(1, 1, 100, F_SYN, C_ISN, 0, 0, SYN_SENT, SYN_SENT),
		seg(0, 0, 400, F_SYN | F_ACK, S_ISN, C_ISN + 1, 0, SYN_SENT, ESTAB),
		seg(1, 1, 500, F_ACK, C_ISN + 1, S_ISN + 1, 0, ESTAB, ESTAB),
	};
	struct ladder_event lost[] = {
		state_ev(1, 90, CLOSE, SYN_SENT, "user"),
		seg(1, 1, 100, F_SYN, C_ISN, 0, 0, SYN_SENT, SYN_SENT),
		seg(1, 0, 200, F_SYN, C_ISN, 0, 0, LISTEN, SYN_RECV),
		seg(0, 1, 300, F_SYN | F_ACK, S_ISN, C_ISN + 1, 0, 0, 0),
		seg(0, 1, 900, F_SYN | F_ACK, S_ISN, C_ISN + 1, 0, 0, 0),
		seg(0, 0, 1000, F_SYN | F_ACK, S_ISN, C_ISN + 1, 0, SYN_SENT, ESTAB),
	};
	char *out = run(ev, 4, false, false, NULL);

	printf("# the client alone:\n");
	for (char *p = out, *nl; (nl = strchr(p, '\n')); p = nl + 1)
		printf("#%.*s\n", (int)(nl - p), p);
	expect_line(out, "--- SYN seq=0 win=502 ", "SYN-SENT", "", "->");
	expect_line(out, "<-- SYN,ACK seq=0 ack=1 win=502 ", "ESTAB", "", NULL);
	expect_line(out, "--- ACK seq=1 ack=1 win=502 ", "", "", "->");
	free(out);

	out = run(lost, 6, true, false, NULL);
	printf("# a SYN-ACK lost:\n");
	for (char *p = out, *nl; (nl = strchr(p, '\n')); p = nl + 1)
		printf("#%.*s\n", (int)(nl - p), p);
	{
		char *first, *second;

		first = strstr(out, "   x-- SYN,ACK seq=0 ack=1 win=502 ");
		second = first ? strstr(first, "<-- SYN,ACK seq=0 ack=1 ") : NULL;
		report(first != NULL,
		       "the first SYN-ACK drawn lost: short of the client");
		report(second != NULL, "the second one arrives after it");
		expect_line(out, "<-- SYN,ACK seq=0 ack=1 ", "ESTAB", "", NULL);
	}
	free(out);
}

/* Started after the handshake: the half-close, numbers from the kernel. */
static void started_late(void)
{
	struct ladder_event ev[] = {
		state_ev(1, 90, ESTAB, FIN_WAIT1, "user"),
		seg(1, 1, 100, F_FIN | F_ACK, C_ISN + 6, S_ISN + 1, 0, 0, 0),
		seg(0, 0, 300, F_ACK, S_ISN + 1, C_ISN + 7, 0, FIN_WAIT1, FIN_WAIT2),
		seg(1, 0, 200, F_FIN | F_ACK, C_ISN + 6, S_ISN + 1, 0, ESTAB, CLOSE_WAIT),
		seg(0, 1, 250, F_ACK, S_ISN + 1, C_ISN + 7, 0, 0, 0),
	};
	char *out;

	for (size_t i = 0; i < 5; i++) {
		ev[i].isns = true;
		ev[i].iss = ev[i].local.port == cli.port ? C_ISN : S_ISN;
		ev[i].irs = ev[i].local.port == cli.port ? S_ISN : C_ISN;
	}
	out = run(ev, 5, true, false, NULL);
	printf("# started after the handshake:\n");
	for (char *p = out, *nl; (nl = strchr(p, '\n')); p = nl + 1)
		printf("#%.*s\n", (int)(nl - p), p);
	expect_line(out, "--- FIN,ACK seq=6 ack=1 win=502 ", "FIN-WAIT-1", "CLOSE-WAIT", "->");
	expect_line(out, "<-- ACK seq=1 ack=7 win=502 ", "FIN-WAIT-2", "", NULL);
	free(out);
}

static void names(void)
{
	char buf[64];

	ladder_flags_str(F_FIN | F_PSH | F_ACK, buf, sizeof(buf));
	report(!strcmp(buf, "FIN,PSH,ACK"), "flags FIN,PSH,ACK");
	ladder_flags_str(F_RST | F_ACK, buf, sizeof(buf));
	report(!strcmp(buf, "RST,ACK"), "flags RST,ACK");
	ladder_flags_str(0, buf, sizeof(buf));
	report(!strcmp(buf, "none"), "no flags");
	report(!strcmp(ladder_state_name(7), "CLOSED") &&
	       !strcmp(ladder_state_name(0), "?"), "state names");
}

/* Endpoints as ss writes them: IPv6 in brackets; the families apart. */
static void endpoints(void)
{
	struct ladder_ep a = { .family = AF_INET6, .port = 5000 };
	struct ladder_ep b = { .family = AF_INET, .port = 5000 };
	char buf[64];

	inet_pton(AF_INET6, "2001:db8::1", a.addr);
	ladder_ep_str(&a, buf, sizeof(buf));
	report(!strcmp(buf, "[2001:db8::1]:5000"), "IPv6 endpoint");
	inet_pton(AF_INET6, "::ffff:127.0.0.1", a.addr);
	ladder_ep_str(&a, buf, sizeof(buf));
	report(!strcmp(buf, "[::ffff:127.0.0.1]:5000"), "v4-mapped endpoint");
	inet_pton(AF_INET, "127.0.0.1", b.addr);
	ladder_ep_str(&b, buf, sizeof(buf));
	report(!strcmp(buf, "127.0.0.1:5000"), "IPv4 endpoint");
}

int main(void)
{
	cli.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.2", cli.addr);
	cli.port = 40000;
	srv.family = AF_INET;
	inet_pton(AF_INET, "10.0.0.1", srv.addr);
	srv.port = 5000;
	printf("TAP version 13\n");
	life_both_sides();
	one_side_and_loss();
	started_late();
	names();
	endpoints();
	printf("1..%d\n", planned);
	return failed ? 1 : 0;
}
