// SPDX-License-Identifier: GPL-2.0
/*
 * claspctl monitor: print the notifications of the "events" multicast
 * group, one line each, until SIGINT or SIGTERM; then those already
 * queued, so that none that happened before the signal is lost.
 */
#define _GNU_SOURCE		/* ppoll */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <linux/netlink.h>

#include "claspctl.h"

void monitor_usage(FILE *f)
{
	fprintf(f,
		"Usage: claspctl [-j] monitor\n"
		"Prints clasp's events in this network namespace, one line each,\n"
		"until interrupted: state changes, SYN floods, accept queue\n"
		"overflows.  With -j, one JSON object per line.\n");
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void stamp(char *buf, size_t len, struct timeval *tv)
{
	struct tm tm;
	size_t n;

	gettimeofday(tv, NULL);
	localtime_r(&tv->tv_sec, &tm);
	n = strftime(buf, len, "%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06ld", (long)tv->tv_usec);
}

static const char *event_name(uint8_t cmd)
{
	switch (cmd) {
	case CLASP_CMD_EVENT_STATE: return "state";
	case CLASP_CMD_EVENT_SYNFLOOD: return "synflood";
	case CLASP_CMD_EVENT_OVERFLOW: return "overflow";
	}
	return NULL;
}

static unsigned int u8_or(const struct nlattr *a, unsigned int def)
{
	return a ? mnl_attr_get_u8(a) : def;
}

/* An address as the text shows it: IPv6 in brackets. */
static void addr_text(const struct ip_addr *a, char *buf)
{
	char num[ADDR_STRLEN];

	addr_str(a, num);
	snprintf(buf, ADDR_STRLEN + 2, a->family == AF_INET6 ? "[%s]" : "%s",
		 num);
}

/* The number inside, for JSON. */
static const char *unbracket(char *s)
{
	size_t n = strlen(s);

	if (s[0] != '[')
		return s;
	s[n - 1] = '\0';
	return s + 1;
}

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[CLASP_A_MAX + 1];
	char ts[32], la[ADDR_STRLEN + 2], pa[ADDR_STRLEN + 2], pp[24];
	struct ip_addr a;
	unsigned int lport, rport;
	const char *ev;
	struct timeval tv;

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return MNL_CB_OK;
	ev = event_name(g->cmd);
	if (!ev || nl_parse_attrs(nlh, tb) || !nl_get_addr(tb, true, &a) ||
	    !tb[CLASP_A_LPORT])
		return MNL_CB_OK;
	stamp(ts, sizeof(ts), &tv);
	/* As on the wire; IPv6 in brackets in the text, as ss writes it. */
	addr_text(&a, la);
	nl_get_addr(tb, false, &a);
	addr_text(&a, pa);
	lport = mnl_attr_get_u16(tb[CLASP_A_LPORT]);
	rport = tb[CLASP_A_RPORT] ? mnl_attr_get_u16(tb[CLASP_A_RPORT]) : 0;

	if (opts.json) {
		char t[48];

		jw_begin_object();
		jw_kv_string("time", ts);
		snprintf(t, sizeof(t), "%lld.%06ld", (long long)tv.tv_sec,
			 (long)tv.tv_usec);
		jw_key("timestamp");
		jw_raw(t);
		jw_kv_string("event", ev);
		jw_kv_string("family", a.family == AF_INET6 ? "inet6" : "inet");
		jw_kv_string("local", unbracket(la));
		jw_kv_u64("local_port", lport);
		if (g->cmd == CLASP_CMD_EVENT_STATE) {
			jw_kv_string("peer", unbracket(pa));
			jw_kv_u64("peer_port", rport);
			jw_kv_string("old_state",
				     state_name(u8_or(tb[CLASP_A_OLD_STATE], 0)));
			jw_kv_string("state",
				     state_name(u8_or(tb[CLASP_A_STATE], 0)));
			jw_kv_string("cause",
				     cause_name(u8_or(tb[CLASP_A_CAUSE], 0)));
		} else {
			jw_kv_string("state",
				     state_name(u8_or(tb[CLASP_A_STATE], 10)));
		}
		jw_end_object();
		jw_finish();
	} else if (g->cmd == CLASP_CMD_EVENT_STATE) {
		if (rport)
			snprintf(pp, sizeof(pp), "%u", rport);
		else
			strcpy(pp, "*");
		printf("%s %s:%u <-> %s:%s %s -> %s cause %s\n", ts, la, lport,
		       pa, pp, state_name(u8_or(tb[CLASP_A_OLD_STATE], 0)),
		       state_name(u8_or(tb[CLASP_A_STATE], 0)),
		       cause_name(u8_or(tb[CLASP_A_CAUSE], 0)));
	} else {
		printf("%s %s %s:%u %s\n", ts,
		       state_name(u8_or(tb[CLASP_A_STATE], 10)), la, lport, ev);
	}
	fflush(stdout);
	return MNL_CB_OK;
}

/* Read and print one batch of events; only a broken socket ends it all. */
static void monitor_read(struct clasp_nl *nl)
{
	int err = nl_recv_events(nl, event_cb, NULL);

	if (err == -ENOBUFS)
		fprintf(stderr, "claspctl: events lost: receive buffer overrun\n");
	else if (err && err != -EINTR && err != -EAGAIN)
		die("monitor: %s", strerror(-err));
}

/*
 * Print the events already queued on the socket, then return.  The kernel
 * queues an event as it happens, so a monitor stopped right after an event
 * still prints it: a script may kill it as soon as what it watched is
 * done.  A bound, so that a stream of new events cannot keep it going.
 */
#define MONITOR_DRAIN_MAX	65536

static void monitor_drain(struct clasp_nl *nl, struct pollfd *pfd)
{
	int i;

	for (i = 0; i < MONITOR_DRAIN_MAX && poll(pfd, 1, 0) > 0; i++)
		monitor_read(nl);
}

int do_monitor(int argc, char **argv)
{
	char *pos[argc + 1];
	sigset_t block, orig;
	struct sigaction sa;
	struct clasp_nl nl;
	struct pollfd pfd;
	int bufsz = 1 << 20;

	if (parse_flags(argc, argv, "jPn", monitor_usage, pos))
		usage_error(monitor_usage, "monitor takes no argument ('%s')",
			    pos[0]);
	/* One object per line, whatever -p says. */
	opts.pretty = false;
	nl_open(&nl);
	if (!nl.events_group)
		die("the clasp family has no \"%s\" group", CLASP_MCGRP_EVENTS);
	/* Room for bursts; without privileges this is capped by rmem_max. */
	setsockopt(mnl_socket_get_fd(nl.sk), SOL_SOCKET, SO_RCVBUF, &bufsz,
		   sizeof(bufsz));
	if (mnl_socket_setsockopt(nl.sk, NETLINK_ADD_MEMBERSHIP,
				  &nl.events_group,
				  sizeof(nl.events_group)) < 0)
		die("cannot join the \"%s\" group: %s", CLASP_MCGRP_EVENTS,
		    strerror(errno));

	/*
	 * The signals stay blocked except inside ppoll(), so that one that
	 * arrives between the check of stop and the wait is not missed.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	pfd.fd = mnl_socket_get_fd(nl.sk);
	pfd.events = POLLIN;
	while (!stop) {
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			die("monitor: %s", strerror(errno));
		}
		monitor_read(&nl);
	}
	monitor_drain(&nl, &pfd);
	nl_close(&nl);
	return EXIT_OK;
}
