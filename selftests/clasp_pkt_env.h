/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet-level tests' world: a namespace with short timers, the fake
 * peer of clasp_pkt.h behind a tun device, a listener, and the helpers
 * that walk a connection into a state and look at it.  Shared by
 * clasp_conform_test.c (RFC 9293's behaviour) and clasp_blind_test.c
 * (RFC 5961: what forged segments cannot do).  See CONFORMANCE.md.
 */
#ifndef _CLASP_PKT_ENV_H
#define _CLASP_PKT_ENV_H

#include "kselftest_harness.h"

#include <fcntl.h>
#include <signal.h>

#include "clasp_pkt.h"

#define LISTEN_PORT	8000	/* the module listens here */
#define PEER_PORT	40000	/* the fake peer's ports start here */
#define ACTIVE_PORT	5000	/* the module's port for active opens */
#define REMOTE_PORT	9000	/* the fake peer's port for active opens */
#define CLOSED_PORT	9	/* nothing listens here */

/* tun's MTU of 1500, less the headers (IPv6's 40 bytes, IPv4's 20). */
#define ROUTE_MSS	(clasp_v6() ? 1440 : 1460)
#define PEER_MSS	1200	/* what the fake peer announces */

/*
 * Short timers for every test; a test may override some of them.  The
 * RTO is fixed (initial = minimum).  Tests about retransmission use
 * RTO_MS; the others CALM_RTO_MS, so that no retransmission slips in
 * while a slow guest looks at the socket between two segments.
 *
 * The *_STOCK values are a stock kernel's, in the parameter lists; the
 * tests use the *_MS ones, scaled by CLASP_SLOW, as env_setup() scales
 * the "_ms" parameters it writes.
 */
#define RTO_STOCK	400
#define CALM_RTO_STOCK	1000
#define MSL_STOCK	500
#define FIN_TIMEOUT_STOCK 4000
#define RTO_MS		((int)clasp_slow_time(RTO_STOCK))
#define CALM_RTO_MS	((int)clasp_slow_time(CALM_RTO_STOCK))
#define MSL_MS		((int)clasp_slow_time(MSL_STOCK)) /* TIME_WAIT lasts 2 * MSL_MS ... */
#define FIN_TIMEOUT_MS	((int)clasp_slow_time(FIN_TIMEOUT_STOCK)) /* ... FIN_WAIT_2 clearly longer */
#define RETRIES		2	/* SYN, SYN-ACK, data and orphan retries */

/*
 * A call or counter that must change "soon" (TCP: its SYNs back off from
 * a fixed 1 s, connect() fails 7 s after the first).
 */
#define GUARD_MS	((int)clasp_slow_time(clasp_is_tcp() ? 10000 : 5000))

/*
 * Kernel TCP's fixed timers where clasp has tunables: the first SYN and
 * SYN-ACK RTO (TCP_TIMEOUT_INIT) and TIME_WAIT (TCP_TIMEWAIT_LEN).
 */
#define TCP_SYN_RTO_MS	1000
#define TCP_TW_MS	60000
/* The RTO of SYNs and SYN-ACKs in the retransmission tests. */
#define SYN_RTO_MS	(clasp_is_tcp() ? TCP_SYN_RTO_MS : RTO_MS)
/* How long TIME_WAIT lasts. */
#define TW_MS		(clasp_is_tcp() ? TCP_TW_MS : 2 * MSL_MS)

static const struct clasp_param base_params[] = {
	{ "rto_initial_ms", CALM_RTO_STOCK },
	{ "rto_min_ms", CALM_RTO_STOCK },
	{ "rto_max_ms", 8 * CALM_RTO_STOCK },
	{ "syn_retries", RETRIES },
	{ "synack_retries", RETRIES },
	{ "retries", RETRIES },
	{ "orphan_retries", RETRIES },
	{ "msl_ms", MSL_STOCK },
	{ "fin_timeout_ms", FIN_TIMEOUT_STOCK },
	{ "keepalive_time_ms", 7200000 },
	{ "keepalive_intvl_ms", 75000 },
	{ "keepalive_probes", 9 },
	{ "syncookies", 1 },
	{ "challenge_ack_limit", 1000 },
	{ "invalid_ratelimit_ms", 0 },
	{ "rfc1337", 0 },
	/* Every scenario is written for SYNs with the MSS option alone. */
	{ "window_scaling", 0 },
	{ "timestamps", 0 },
	{ "sack", 0 },
	/* No tail loss probes: TCP's lane turns them off too (tcp_env()). */
	{ "early_retrans", 0 },
	/* Nor ECN: the ECN tests ask for it (TCP: tcp_ecn). */
	{ "ecn", 0 },
	{ NULL, 0 }
};

/*
 * Retransmission tests: the short RTO, and the retry limit of every other
 * kind of retransmission raised, so that using the wrong one shows.
 */
static const struct clasp_param synack_timers[] = {
	{ "rto_initial_ms", RTO_STOCK },
	{ "rto_min_ms", RTO_STOCK },
	{ "syn_retries", RETRIES + 2 },
	{ NULL, 0 }
};

static const struct clasp_param syn_timers[] = {
	{ "rto_initial_ms", RTO_STOCK },
	{ "rto_min_ms", RTO_STOCK },
	{ "synack_retries", RETRIES + 2 },
	{ NULL, 0 }
};

static const struct clasp_param data_timers[] = {
	{ "rto_initial_ms", RTO_STOCK },
	{ "rto_min_ms", RTO_STOCK },
	{ "orphan_retries", RETRIES + 2 },
	{ NULL, 0 }
};

static const struct clasp_param orphan_timers[] = {
	{ "rto_initial_ms", RTO_STOCK },
	{ "rto_min_ms", RTO_STOCK },
	{ "retries", RETRIES + 2 },
	{ NULL, 0 }
};

struct env {
	struct clasp_pkt p;
	int lfd;		/* the listener, -1 if none */
	int tcp_rto_min_ms;	/* TCP: the route's rto_min */
	unsigned int syn_win;	/* the window of the module's last SYN-ACK */
};

/*
 * CLASP_PROTO=6: the module parameters of @list as TCP's sysctls, where
 * TCP has one (the namespace is new: they apply to it alone).  TCP's RTO
 * is srtt + max(rttvar, rto_min), on the route to the peer (env_setup()):
 * 20 ms below clasp's keeps it at most clasp's, and no more than 780 ms
 * keeps TCP's floor on FIN_WAIT_2, 3.5 RTO (tcp_fin_time()), under
 * FIN_TIMEOUT_MS.  clasp has the same floor: FIN_TIMEOUT_MS is above 3.5
 * CALM_RTO_MS.  No sysctl sets the first SYN and SYN-ACK RTO (1 s),
 * TIME_WAIT (60 s) or the maximum RTO: the tests expect TCP's values.
 */
static inline void tcp_params(struct __test_metadata *_metadata, struct env *e,
		       const struct clasp_param *list)
{
	static const struct { const char *name, *sysctl; int div; } map[] = {
		{ "syn_retries", "tcp_syn_retries", 1 },
		{ "synack_retries", "tcp_synack_retries", 1 },
		{ "retries", "tcp_retries2", 1 },
		{ "orphan_retries", "tcp_orphan_retries", 1 },
		{ "fin_timeout_ms", "tcp_fin_timeout", 1000 },
		{ "keepalive_time_ms", "tcp_keepalive_time", 1000 },
		{ "keepalive_intvl_ms", "tcp_keepalive_intvl", 1000 },
		{ "keepalive_probes", "tcp_keepalive_probes", 1 },
		{ "syncookies", "tcp_syncookies", 1 },
		{ "challenge_ack_limit", "tcp_challenge_ack_limit", 1 },
		{ "invalid_ratelimit_ms", "tcp_invalid_ratelimit", 1 },
		{ "rfc1337", "tcp_rfc1337", 1 },
		{ "window_scaling", "tcp_window_scaling", 1 },
		{ "timestamps", "tcp_timestamps", 1 },
		{ "sack", "tcp_sack", 1 },
		{ "early_retrans", "tcp_early_retrans", 1 },
		{ "recovery", "tcp_recovery", 1 },
		{ "ecn", "tcp_ecn", 1 },
		{ "abort_on_overflow", "tcp_abort_on_overflow", 1 },
		{ "tw_reuse", "tcp_tw_reuse", 1 },
	};
	char name[80];
	size_t i;

	for (; list && list->name; list++) {
		long long val = list->val;

		if (!strcmp(list->name, "rto_min_ms")) {
			val = clasp_slow_time(val);
			e->tcp_rto_min_ms = val - clasp_slow_time(20);
			if (e->tcp_rto_min_ms > clasp_slow_time(780))
				e->tcp_rto_min_ms = clasp_slow_time(780);
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(map); i++) {
			if (strcmp(list->name, map[i].name))
				continue;
			if (map[i].div > 1)
				val = (clasp_slow_time(val) + map[i].div - 1) / map[i].div;
			snprintf(name, sizeof(name), "net/ipv4/%s", map[i].sysctl);
			ASSERT_EQ(0, clasp_sysctl(name, val)) {
				TH_LOG("sysctl %s: %s", name, strerror(errno));
			}
		}
	}
}

/*
 * CLASP_PROTO=6: a fresh namespace whose TCP sends no options but the
 * MSS (as clasp) and no tail loss probes (which clasp does not have),
 * then the parameters.
 */
static inline void tcp_env(struct __test_metadata *_metadata, struct env *e,
		    const struct clasp_param *extra)
{
	static const struct clasp_param fixed[] = {
		{ "net/ipv4/tcp_timestamps", 0 },
		{ "net/ipv4/tcp_sack", 0 },
		{ "net/ipv4/tcp_window_scaling", 0 },
		{ "net/ipv4/tcp_ecn", 0 },
		{ "net/ipv4/tcp_early_retrans", 0 },
		{ "net/ipv4/tcp_no_metrics_save", 1 },
		{ NULL, 0 }
	};
	const struct clasp_param *f;

	ASSERT_EQ(0, clasp_new_netns()) TH_LOG("namespace: %s", strerror(errno));
	for (f = fixed; f->name; f++)
		ASSERT_EQ(0, clasp_sysctl(f->name, f->val)) {
			TH_LOG("sysctl %s: %s", f->name, strerror(errno));
		}
	/* Linux 6.7+: its first SYN retransmissions do not back off. */
	if (clasp_sysctl("net/ipv4/tcp_syn_linear_timeouts", 0) && errno != ENOENT)
		ASSERT_TRUE(0) TH_LOG("tcp_syn_linear_timeouts: %s", strerror(errno));
	tcp_params(_metadata, e, base_params);
	tcp_params(_metadata, e, extra);
}

/*
 * A fresh namespace with @extra over base_params, and the fake peer.  The
 * "_ms" parameters are scaled by CLASP_SLOW.
 */
static inline void env_setup(struct __test_metadata *_metadata, struct env *e,
		      const struct clasp_param *extra)
{
	const struct clasp_param *lists[2] = { base_params, extra }, *q;
	struct clasp_param want[64];
	int i, n = 0;

	memset(e, 0, sizeof(*e));
	e->lfd = -1;
	if (clasp_is_tcp()) {
		tcp_env(_metadata, e, extra);
	} else {
		for (i = 0; i < 2; i++) {
			for (q = lists[i]; q && q->name; q++) {
				size_t len = strlen(q->name);

				ASSERT_GT(ARRAY_SIZE(want) - 1, n);
				want[n] = *q;
				if (len > 3 && !strcmp(q->name + len - 3, "_ms") &&
				    q->val < 3600000)
					want[n].val = clasp_slow_time(q->val);
				n++;
			}
		}
		want[n].name = NULL;
		ASSERT_EQ(0, clasp_netns_params(want, NULL)) {
			TH_LOG("parameters and namespace: %s", strerror(errno));
		}
	}
	ASSERT_EQ(0, clasp_pkt_open(&e->p));
	if (clasp_is_tcp()) {
		/* Load sock_diag now, not in the middle of a handshake. */
		ASSERT_LE(0, clasp_pkt_state(&e->p));
		int plen = clasp_v6() ? 128 : 32;

		ASSERT_EQ(0, clasp_sh("ip route add %s/%d dev claspt0 src %s rto_min %dms && "
				      "ip route add %s/%d dev claspt0 src %s rto_min %dms",
				      CLASP_PKT_PEER, plen, CLASP_PKT_LOCAL, e->tcp_rto_min_ms,
				      CLASP_PKT_PEER2, plen, CLASP_PKT_LOCAL, e->tcp_rto_min_ms));
	}
	signal(SIGPIPE, SIG_IGN);
}

/* The window of the segment the peer received last. */
static inline unsigned int last_win(const struct clasp_pkt *p)
{
	struct clasp_seg s;

	if (clasp_seg_parse(p->rx, p->rx_len, &s))
		return 0;
	return s.win;
}

/*
 * The expected window of a SYN or SYN-ACK, as text: "win N " with clasp,
 * nothing with TCP, whose first window is its own choice (RFC 9293 leaves
 * it to the implementation).
 */
static inline const char *syn_win(int fd, char *buf, size_t size)
{
	int rcvbuf = 0;
	socklen_t len = sizeof(rcvbuf);

	buf[0] = 0;
	if (clasp_is_tcp())
		return buf;
	/* Half the receive buffer. */
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
	snprintf(buf, size, "win %u ", rcvbuf / 2 < 65535 ? rcvbuf / 2 : 65535);
	return buf;
}

/*
 * A socket of the family in use bound to the module's address (@ip, of
 * that family) and @port; no call hangs long.
 */
static inline int bound_socket(struct __test_metadata *_metadata, const char *ip,
			uint16_t port)
{
	struct timeval guard = { GUARD_MS / 1000, 0 };
	struct clasp_sockaddr a = clasp_sockaddr(ip, port);
	int one = 1, fd = clasp_socket();

	EXPECT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof(guard));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &guard, sizeof(guard));
	EXPECT_EQ(0, bind(fd, &a.sa, a.len)) {
		TH_LOG("bind %s:%u: %s", ip, port, strerror(errno));
	}
	return fd;
}

static inline void listen_on(struct __test_metadata *_metadata, struct env *e,
		      uint16_t port)
{
	e->lfd = bound_socket(_metadata, CLASP_PKT_LOCAL, port);
	ASSERT_LE(0, e->lfd);
	ASSERT_EQ(0, listen(e->lfd, 16)) TH_LOG("listen: %s", strerror(errno));
}

/* A connection accepted on the listener after a handshake with the peer. */
static inline int passive_open(struct __test_metadata *_metadata, struct env *e,
			uint16_t peer_port)
{
	struct clasp_pkt *p = &e->p;
	struct clasp_call acc;

	clasp_pkt_conn(p, LISTEN_PORT, peer_port);
	ASSERT_EQ(0, clasp_call_accept(&acc, e->lfd));
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>",
				      ROUTE_MSS));
	e->syn_win = last_win(p);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&acc, GUARD_MS)) TH_LOG("accept hangs");
	ASSERT_LE(0, acc.ret) TH_LOG("accept: %s", strerror(acc.err));
	return acc.ret;
}

/* A fresh world with @extra and a connection the peer opened to it. */
static inline int env_established(struct __test_metadata *_metadata,
				  struct env *e, const struct clasp_param *extra)
{
	env_setup(_metadata, e, extra);
	listen_on(_metadata, e, LISTEN_PORT);
	return passive_open(_metadata, e, PEER_PORT);
}

/*
 * Connect @fd to the peer and learn the module's ISN from its SYN; the
 * connect call keeps running in @c.
 */
static inline void active_syn(struct __test_metadata *_metadata, struct env *e,
		       int fd, uint16_t local_port, struct clasp_call *c)
{
	struct clasp_sockaddr to = clasp_sockaddr(CLASP_PKT_PEER, REMOTE_PORT);
	char win[32];

	clasp_pkt_conn(&e->p, local_port, REMOTE_PORT);
	clasp_pkt_mark(&e->p);
	ASSERT_EQ(0, clasp_call_connect(c, fd, &to.sa));
	ASSERT_EQ(0, clasp_pkt_expect(&e->p, 0, "S 0:0(0) %s<mss %u>",
				      syn_win(fd, win, sizeof(win)), ROUTE_MSS));
}

/*
 * A fresh world with @extra and a socket connecting to the peer from
 * ACTIVE_PORT, its SYN seen; connect() keeps running in @c.
 */
static inline int env_connecting(struct __test_metadata *_metadata,
				 struct env *e, const struct clasp_param *extra,
				 struct clasp_call *c)
{
	int fd;

	env_setup(_metadata, e, extra);
	fd = bound_socket(_metadata, CLASP_PKT_LOCAL, ACTIVE_PORT);
	if (fd >= 0)
		active_syn(_metadata, e, fd, ACTIVE_PORT, c);
	return fd;
}

/*
 * The peer's connection as sock_diag shows it, for a test that expects a
 * timer armed.  TCP's retransmission timer sends the segment before it
 * counts the retransmission and re-arms itself (tcp_retransmit_timer()),
 * and sock_diag reads the socket without its lock: a peer that asks the
 * moment the segment arrives can find no timer and no retransmission.
 * Ask TCP again for a while; clasp's first answer stands.
 */
static inline int env_armed_info(struct env *e, struct clasp_pkt_info *info)
{
	long long give_up = clasp_pkt_now_us() + clasp_slow_time(200) * 1000LL;
	int err;

	for (;;) {
		err = clasp_pkt_info(&e->p, info);
		if (err || !clasp_is_tcp() || info->timer ||
		    clasp_pkt_now_us() > give_up)
			return err;
		usleep(2000);
	}
}

/*
 * The kernel's view of a retransmission schedule, which a loaded host
 * does not blur: after the @n-th retransmission (just received) the timer
 * is armed for at most @rto << n, and for at least that less the time
 * since and the tolerance, so that half the time fails too.  TCP's timer
 * comes from sock_diag (clasp_pkt_info()).
 */
static inline void expect_backoff(struct __test_metadata *_metadata, struct env *e,
			   int fd, int rto, int n)
{
	struct clasp_pkt_info pi;
	struct clasp_info info;
	long long since;

	ASSERT_EQ(0, clasp_get_info(fd, &info));
	if (clasp_is_tcp()) {
		ASSERT_EQ(0, env_armed_info(e, &pi));
		info.timer = pi.timer;
		info.timer_ms = pi.timer_ms;
	}
	since = (clasp_pkt_now_us() - e->p.ref_us + 999) / 1000;
	EXPECT_EQ(n, info.backoff);
	EXPECT_EQ(n, info.retransmits);
	EXPECT_EQ(CLASP_TIMER_RETRANS, info.timer);
	EXPECT_GE(rto << n, info.timer_ms);
	EXPECT_LE((rto << n) - since - clasp_pkt_tolerance_ms(&e->p, rto << n),
		  (long long)info.timer_ms);
}

/*
 * The module's own view of the peer's connection, which no stall of the
 * guest blurs: in @state, its @kind timer due within @max_ms, after
 * @retrans retransmissions (-1: not checked).  When @armed_us is given,
 * the timer was armed no earlier than that, so it is due no earlier than
 * @max_ms after it.  TCP's RTO is a little under the tests' (tcp_params()):
 * its retransmission timers may be up to 5% shorter.
 */
static inline void expect_timer(struct __test_metadata *_metadata, struct env *e,
			 int state, int kind, int retrans, unsigned int max_ms,
			 long long armed_us)
{
	struct clasp_pkt_info info;
	long long now;

	ASSERT_EQ(0, kind ? env_armed_info(e, &info) :
			   clasp_pkt_info(&e->p, &info));
	now = clasp_pkt_now_us();	/* the kernel looked before this */
	EXPECT_EQ(state, info.state);
	EXPECT_EQ(kind, info.timer);
	if (retrans >= 0)
		EXPECT_EQ(retrans, info.retrans);
	if (retrans >= 0 && info.backoff >= 0)
		EXPECT_EQ(retrans, info.backoff);
	EXPECT_GE(max_ms, info.timer_ms);
	/*
	 * The timer was armed a little before @armed_us, when the segment
	 * that armed it left or arrived: that delivery, the rounding of
	 * milliseconds and TCP's jiffies (4 ms at HZ=250) take 10 ms of give,
	 * scaled (a debug kernel took 2 ms more than 2, PREEMPT_RT 6).
	 */
	if (armed_us)
		EXPECT_LE(max_ms - (now - armed_us + 999) / 1000 -
			  clasp_slow_time(10) -
			  (clasp_is_tcp() && kind == CLASP_TIMER_RETRANS ? max_ms / 20 : 0),
			  (long long)info.timer_ms);
}

/*
 * The peer's connection is gone: clasp's Objects gauge is back to
 * @objects, or TCP has no such socket (sock_diag); when, in @at_us.
 * 0, or -1 after GUARD_MS.
 */
static inline int wait_gone(struct env *e, long long objects, long long *at_us)
{
	long long end = clasp_pkt_now_us() + GUARD_MS * 1000LL;

	do {
		if (clasp_is_tcp() ? clasp_pkt_state(&e->p) == 0 :
				     clasp_counter("Objects") == objects) {
			*at_us = clasp_pkt_now_us();
			return 0;
		}
		clasp_sleep_ms(5);
	} while (clasp_pkt_now_us() < end);
	return -1;
}

/* clasp's Objects gauge is @n (TCP: the peer's connection is gone). */
static inline void expect_objects(struct __test_metadata *_metadata, struct env *e,
			   long long n)
{
	if (clasp_is_tcp()) {
		EXPECT_EQ(0, clasp_pkt_state(&e->p));
	} else {
		EXPECT_EQ(n, clasp_counter("Objects"));
	}
}

/* Nothing waits in the listener's accept queue. */
static inline void expect_no_child(struct __test_metadata *_metadata, int lfd)
{
	int flags = fcntl(lfd, F_GETFL);

	ASSERT_EQ(0, fcntl(lfd, F_SETFL, flags | O_NONBLOCK));
	EXPECT_EQ(-1, accept(lfd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	fcntl(lfd, F_SETFL, flags);
}

/* The state the module reports for the peer's connection (0: none). */
static inline void expect_state(struct __test_metadata *_metadata, struct env *e,
			 int want)
{
	EXPECT_EQ(want, clasp_pkt_state(&e->p));
}

/* Close @fd and see its FIN acknowledged: FIN_WAIT_2 after close. */
static inline void close_to_fin_wait_2(struct __test_metadata *_metadata,
				struct env *e, int fd)
{
	clasp_pkt_note(&e->p, "close()");
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, clasp_pkt_expect(&e->p, 0, "F. 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(&e->p, ". 1:1(0) ack 2"));
	EXPECT_EQ(0, clasp_pkt_expect_none(&e->p, -1));
	/* Armed by the ACK, maybe before its write returned. */
	expect_timer(_metadata, e, TCP_FIN_WAIT2, CLASP_TIMER_FINWAIT2, -1,
		     FIN_TIMEOUT_MS, e->p.sent_us);
}

/* Close @fd and exchange FINs with the peer: TIME_WAIT, timed from now. */
static inline void close_to_time_wait(struct __test_metadata *_metadata,
			       struct env *e, int fd)
{
	long long fin_us;

	clasp_pkt_note(&e->p, "close()");
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, clasp_pkt_expect(&e->p, 0, "F. 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(&e->p, "F. 1:1(0) ack 2"));
	fin_us = e->p.sent_us;
	ASSERT_EQ(0, clasp_pkt_expect(&e->p, 0, ". 2:2(0) ack 2"));
	expect_timer(_metadata, e, TCP_TIME_WAIT, CLASP_TIMER_TIMEWAIT, -1,
		     TW_MS, fin_us);
}

#endif /* _CLASP_PKT_ENV_H */
