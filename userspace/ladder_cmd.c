// SPDX-License-Identifier: GPL-2.0
/*
 * claspctl ladder: ask the kernel for segment events (CLASP_CMD_LADDER_START
 * with the filter given, then the "segments" group) and state changes (the
 * "events" group), in this namespace and optionally the peer's, and draw
 * them (ladder.c) until SIGINT or SIGTERM.  The kernel drops the filter
 * when our socket closes, however claspctl ends.
 */
#define _GNU_SOURCE		/* ppoll, setns */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "claspctl.h"
#include "ladder.h"

void ladder_usage(FILE *f)
{
	fprintf(f,
		"Usage: claspctl [-N NETNS] ladder [--peer NETNS] [--svg FILE] [FILTER]...\n"
		"Draws the segments of the connections FILTER selects as a ladder\n"
		"diagram while they are sent and received, until interrupted:\n"
		"an arrow per segment with its flags, relative seq/ack, length and\n"
		"window, each side's new state beside it.  Needs CAP_NET_ADMIN.\n"
		"  --peer NETNS  the other end's namespace too (ip netns name)\n"
		"  --svg FILE    also write the diagram to FILE as SVG, at the end\n"
		"FILTER: sport PORT | dport PORT | src ADDR[/LEN] | dst ADDR[/LEN]\n"
		"        (as conns: from this namespace's side; ADDR A.B.C.D or [IPV6])\n");
}

static void parse_lfilter(char **pos, int n, struct addr_filter *f)
{
	int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < n; i++)
		if (!parse_addr_filter(pos, n, &i, f, ladder_usage))
			usage_error(ladder_usage, "unknown filter '%s'", pos[i]);
}

/* A connection's end as claspctl's address. */
static void ep_addr(const struct ladder_ep *ep, struct ip_addr *a)
{
	a->family = ep->family == AF_INET6 ? AF_INET6 : AF_INET;
	memcpy(a->a, ep->addr, sizeof(a->a));
}

static bool addr_match(const struct ladder_ep *ep, const struct ip_addr *want,
		       uint8_t len)
{
	struct ip_addr a;

	ep_addr(ep, &a);
	return addr_in_prefix(&a, want, len);
}

/* Does @f select the connection @local <-> @remote (swapped: the peer's)? */
static bool lfilter_match(const struct addr_filter *f, bool swap,
			  const struct ladder_ep *local,
			  const struct ladder_ep *remote)
{
	const struct ladder_ep *l = swap ? remote : local;
	const struct ladder_ep *r = swap ? local : remote;

	if (f->has_src && !addr_match(l, &f->src, f->src_len))
		return false;
	if (f->has_dst && !addr_match(r, &f->dst, f->dst_len))
		return false;
	if (f->sport && l->port != f->sport)
		return false;
	return !f->dport || r->port == f->dport;
}

struct ladder_src {
	struct clasp_nl nl;
	bool swap;		/* the peer's namespace: the filter reversed */
};

struct ladder_ctx {
	struct ladder lad;
	const struct addr_filter *f;
	const struct ladder_src *src;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint32_t u32_or(const struct nlattr *a, uint32_t def)
{
	return a ? mnl_attr_get_u32(a) : def;
}

static uint8_t u8_or(const struct nlattr *a, uint8_t def)
{
	return a ? mnl_attr_get_u8(a) : def;
}

static int ladder_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[CLASP_A_MAX + 1];
	struct ladder_ctx *ctx = data;
	struct ladder_event e = { };
	struct ip_addr la, ra;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g) ||
	    (g->cmd != CLASP_CMD_EVENT_SEGMENT && g->cmd != CLASP_CMD_EVENT_STATE) ||
	    nl_parse_attrs(nlh, tb) || !nl_get_addr(tb, true, &la) ||
	    !tb[CLASP_A_LPORT] || !nl_get_addr(tb, false, &ra) ||
	    !tb[CLASP_A_RPORT])
		return MNL_CB_OK;
	e.local.family = la.family;
	memcpy(e.local.addr, la.a, sizeof(e.local.addr));
	e.local.port = mnl_attr_get_u16(tb[CLASP_A_LPORT]);
	e.remote.family = ra.family;
	memcpy(e.remote.addr, ra.a, sizeof(e.remote.addr));
	e.remote.port = mnl_attr_get_u16(tb[CLASP_A_RPORT]);
	if (!e.remote.port ||
	    !lfilter_match(ctx->f, ctx->src->swap, &e.local, &e.remote))
		return MNL_CB_OK;
	e.old_state = u8_or(tb[CLASP_A_OLD_STATE], 0);
	e.state = u8_or(tb[CLASP_A_STATE], 0);
	if (g->cmd == CLASP_CMD_EVENT_STATE) {
		e.kind = LADDER_STATE;
		/* When it happened; a module without the stamp: when read. */
		e.time_ns = tb[CLASP_A_TIME_NS] ?
			    mnl_attr_get_u64(tb[CLASP_A_TIME_NS]) : mono_ns();
		e.cause = cause_name(u8_or(tb[CLASP_A_CAUSE], 0));
	} else {
		if (!tb[CLASP_A_SEG_SEQ] || !tb[CLASP_A_TIME_NS])
			return MNL_CB_OK;
		e.kind = u8_or(tb[CLASP_A_SEG_SENT], 0) ? LADDER_SENT :
							  LADDER_RECEIVED;
		e.time_ns = mnl_attr_get_u64(tb[CLASP_A_TIME_NS]);
		e.flags = u8_or(tb[CLASP_A_SEG_FLAGS], 0);
		e.seq = mnl_attr_get_u32(tb[CLASP_A_SEG_SEQ]);
		e.ack = u32_or(tb[CLASP_A_SEG_ACK], 0);
		e.len = u32_or(tb[CLASP_A_SEG_LEN], 0);
		e.wnd = u32_or(tb[CLASP_A_SEG_WND], 0);
		e.isns = tb[CLASP_A_ISS] && tb[CLASP_A_IRS];
		e.iss = u32_or(tb[CLASP_A_ISS], 0);
		e.irs = u32_or(tb[CLASP_A_IRS], 0);
	}
	ladder_add(&ctx->lad, &e, mono_ns() / 1000000);
	return MNL_CB_OK;
}

static void join(struct clasp_nl *nl, uint32_t group, const char *name)
{
	if (!group)
		die("the clasp family has no \"%s\" group (an older module?)",
		    name);
	if (mnl_socket_setsockopt(nl->sk, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0)
		die("cannot join the \"%s\" group: %s%s", name, strerror(errno),
		    errno == EPERM ? " (needs CAP_NET_ADMIN)" : "");
}

/* Set the kernel's filter for this socket, then listen. */
static void ladder_open(struct ladder_src *s, const struct addr_filter *f)
{
	struct nlmsghdr *nlh;
	int bufsz = 4 << 20, err;

	nl_open(&s->nl);
	if (!s->nl.segments_group)
		die("the clasp module has no segment events (an older module?)");
	setsockopt(mnl_socket_get_fd(s->nl.sk), SOL_SOCKET, SO_RCVBUF, &bufsz,
		   sizeof(bufsz));
	nlh = nl_msg(&s->nl, CLASP_CMD_LADDER_START, NLM_F_ACK);
	nl_put_addr_filter(nlh, f, s->swap);
	err = nl_talk(&s->nl, nlh, NULL, NULL);
	if (err)
		nl_die(err, "ladder");
	join(&s->nl, s->nl.segments_group, CLASP_MCGRP_SEGMENTS);
	join(&s->nl, s->nl.events_group, CLASP_MCGRP_EVENTS);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void ladder_read(struct ladder_src *s, struct ladder_ctx *ctx)
{
	int err;

	ctx->src = s;
	err = nl_recv_events(&s->nl, ladder_cb, ctx);
	if (err == -ENOBUFS)
		fprintf(stderr, "claspctl: events lost: receive buffer overrun\n");
	else if (err && err != -EINTR && err != -EAGAIN)
		die("ladder: %s", strerror(-err));
}

/* Take --svg FILE and --peer NETNS out of @argv; the rest to @rest. */
static int take_options(int argc, char **argv, char **rest,
			const char **svg, const char **peer)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		const char **dst = NULL;
		const char *name = NULL;

		if (!strcmp(argv[i], "--")) {
			while (i < argc)
				rest[n++] = argv[i++];
			break;
		}
		if (!strncmp(argv[i], "--svg", 5)) {
			dst = svg;
			name = "--svg";
		} else if (!strncmp(argv[i], "--peer", 6)) {
			dst = peer;
			name = "--peer";
		}
		if (!dst || (argv[i][strlen(name)] &&
			     argv[i][strlen(name)] != '=')) {
			rest[n++] = argv[i];
			continue;
		}
		if (*dst)
			usage_error(ladder_usage, "'%s' given twice", name);
		if (argv[i][strlen(name)] == '=')
			*dst = argv[i] + strlen(name) + 1;
		else if (i + 1 < argc)
			*dst = argv[++i];
		else
			usage_error(ladder_usage, "'%s' needs an argument", name);
		if (!**dst)
			usage_error(ladder_usage, "'%s' needs an argument", name);
	}
	rest[n] = NULL;
	return n;
}

int do_ladder(int argc, char **argv)
{
	char **rest = calloc(argc + 1, sizeof(*rest));
	char **pos = calloc(argc + 1, sizeof(*pos));
	const char *svg = NULL, *peer = NULL;
	struct ladder_src src[2] = { };
	struct ladder_ctx ctx = { };
	struct pollfd pfd[2];
	sigset_t block, orig;
	struct sigaction sa;
	struct addr_filter f;
	FILE *svgf = NULL;
	int n, nsrc = 1, i;

	if (!rest || !pos)
		die("out of memory");
	n = take_options(argc, argv, rest, &svg, &peer);
	n = parse_flags(n, rest, "", ladder_usage, pos);
	if (opts.json)
		usage_error(ladder_usage, "ladder draws text: no -j");
	parse_lfilter(pos, n, &f);
	if (svg) {
		svgf = fopen(svg, "w");
		if (!svgf)
			die("cannot write '%s': %s", svg, strerror(errno));
	}
	ladder_open(&src[0], &f);
	if (peer) {
		int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

		if (self < 0)
			die("cannot open /proc/self/ns/net: %s", strerror(errno));
		enter_netns(peer);
		src[1].swap = true;
		ladder_open(&src[1], &f);
		if (setns(self, CLONE_NEWNET))
			die("cannot return to our namespace: %s", strerror(errno));
		close(self);
		nsrc = 2;
	}
	ladder_init(&ctx.lad, stdout, svgf != NULL);
	ctx.lad.pairs = nsrc == 2;
	ctx.f = &f;

	/* As monitor: the signals reach us only inside ppoll(). */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	for (i = 0; i < nsrc; i++) {
		pfd[i].fd = mnl_socket_get_fd(src[i].nl.sk);
		pfd[i].events = POLLIN;
	}
	while (!stop) {
		struct timespec tick = { 0, 50 * 1000000 };

		if (ppoll(pfd, nsrc, ctx.lad.qn ? &tick : NULL, &orig) < 0 &&
		    errno != EINTR)
			die("ladder: %s", strerror(errno));
		for (i = 0; i < nsrc; i++)
			if (pfd[i].revents & POLLIN)
				ladder_read(&src[i], &ctx);
		ladder_flush(&ctx.lad, mono_ns() / 1000000, false);
		check_stdout();
	}
	/* What was queued before the signal, then everything held. */
	for (int k = 0; k < 65536 && poll(pfd, nsrc, 0) > 0; k++)
		for (i = 0; i < nsrc; i++)
			if (pfd[i].revents & POLLIN)
				ladder_read(&src[i], &ctx);
	ladder_flush(&ctx.lad, 0, true);
	check_stdout();
	if (svgf) {
		ladder_svg(&ctx.lad, svgf);
		if (fclose(svgf))
			die("cannot write '%s': %s", svg, strerror(errno));
	}
	for (i = 0; i < nsrc; i++)
		nl_close(&src[i].nl);
	ladder_free(&ctx.lad);
	free(rest);
	free(pos);
	return EXIT_OK;
}
