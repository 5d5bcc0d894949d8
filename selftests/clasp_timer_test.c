// SPDX-License-Identifier: GPL-2.0
/*
 * clasp's timers seen from sockets over loopback: keepalive (options,
 * defaults, live and dead peers), retries running out, and retransmission
 * of lost data.  Shared helpers and fixtures: clasp_conn.h.
 */
#include "clasp_conn.h"
#include "clasp_seg.h"

/*
 * Keepalive times, in units of KA_UNIT_MS: clasp's are milliseconds, 100
 * to a unit; TCP's (CLASP_PROTO=6) whole seconds, so a unit is 1 s there
 * and every keepalive event comes ten times later.  KA_MS(n) is n units in
 * this kernel's time (scaled by CLASP_SLOW); KA_SOON_MS(n) a deadline, in
 * a stock kernel's time, for an event n units away: SOON_MS for clasp as
 * for anything else, and the event's own time more for TCP.
 */
#define KA_UNIT_MS	(clasp_is_tcp() ? 1000 : 100)
#define KA_MS(n)	((int)clasp_slow_time((n) * KA_UNIT_MS))
#define KA_SOON_MS(n)	(SOON_MS + (clasp_is_tcp() ? (n) * KA_UNIT_MS : 0))

/*
 * After a keepalive abort: clasp counts it in KeepAliveAborts; TCP has no
 * such counter, and counts it in TCPAbortOnTimeout (tcp_write_err()).
 */
static void expect_keepalive_abort_counted(struct __test_metadata *_metadata)
{
	if (clasp_only_check("KeepAliveAborts: TCP has no counter of keepalive aborts")) {
		EXPECT_EQ(1, clasp_counter("KeepAliveAborts"));
	} else {
		EXPECT_EQ(1, clasp_counter("AbortOnTimeout"));
	}
}

/* ------------------------------------------------------------------ */
/* Keepalive and timeouts */

TEST_F(ns, keepalive_sockopts_round_trip)
{
	int fd = sock_new(), val;
	socklen_t len = sizeof(val);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &val, &len));
	EXPECT_EQ(0, val);
	ASSERT_EQ(0, clasp_set_keepalive(fd, 1234, 567, 3));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &val, &len));
	EXPECT_EQ(1, val);
	if (clasp_is_tcp()) {
		/* TCP's options, in seconds (clasp_set_keepalive() rounds up). */
		ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &val, &len));
		EXPECT_EQ(2, val);
		ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &val, &len));
		EXPECT_EQ(1, val);
		ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &val, &len));
		EXPECT_EQ(3, val);
		close(fd);
		return;
	}
	ASSERT_EQ(0, getsockopt(fd, SOL_CLASP, CLASP_KEEPIDLE_MS, &val, &len));
	EXPECT_EQ(1234, val);
	ASSERT_EQ(0, getsockopt(fd, SOL_CLASP, CLASP_KEEPINTVL_MS, &val, &len));
	EXPECT_EQ(567, val);
	ASSERT_EQ(0, getsockopt(fd, SOL_CLASP, CLASP_KEEPCNT, &val, &len));
	EXPECT_EQ(3, val);
	close(fd);
}

/*
 * Segments sent in a namespace where @fd's keepalive probes are the only
 * traffic: a probe and its answer each time.
 */
#define SEGS_PER_ANSWERED_PROBE	2

/*
 * @fd, with keepalive idle 3 units (300 ms) and 2 probes 2 units apart on
 * a live path, stays in @state: probes went out and every one was
 * answered.  Three probes go out by about 7 units; unanswered, the second
 * would have been the last (the connection dies at 3 + 2 * 2 units).
 */
static void expect_keepalive_answered(struct __test_metadata *_metadata,
				      int fd, int state)
{
	struct clasp_info info;
	long long out, want;

	ASSERT_EQ(0, clasp_set_keepalive(fd, KA_MS(3), KA_MS(2), 2));
	out = clasp_counter("OutSegs");
	want = out + 3 * SEGS_PER_ANSWERED_PROBE;
	EXPECT_TRUE(clasp_wait_until(clasp_counter("OutSegs") >= want,
				     KA_SOON_MS(7)))
		TH_LOG("%lld segments sent, want %lld",
		       clasp_counter("OutSegs") - out, want - out);
	get_info(_metadata, fd, &info);
	EXPECT_EQ(state, info.state);
	EXPECT_EQ(CLASP_TIMER_KEEPALIVE, info.timer);
	/* Every probe is answered: one at most is in flight. */
	EXPECT_GE(1, info.probes);
	if (clasp_only_check("KeepAliveAborts: TCP has no counter of keepalive aborts")) {
		EXPECT_EQ(0, clasp_counter("KeepAliveAborts"));
	} else {
		EXPECT_EQ(0, clasp_counter("AbortOnTimeout"));
	}
	EXPECT_EQ(0, so_error(fd));
}

TEST_F(pair, keepalive_probes_keep_a_live_peer)
{
	expect_keepalive_answered(_metadata, self->cli, TCP_ESTABLISHED);
}

/*
 * @fd, whose keepalive (idle 3 units, 3 probes 2 units apart) was set at
 * @t0 on a cut path, ends with ETIMEDOUT on time and counts one
 * KeepAliveAborts.
 */
static void expect_keepalive_abort(struct __test_metadata *_metadata, int fd,
				   long long t0)
{
	long long ms;
	char c;

	errno = 0;
	EXPECT_EQ(-1, recv(fd, &c, 1, 0));
	ms = clasp_now_ms() - t0;
	EXPECT_EQ(ETIMEDOUT, errno) TH_LOG("recv: %s", strerror(errno));
	/* idle 3 + 3 probes 2 apart, counted from setsockopt. */
	EXPECT_TIMER(KA_MS(9), ms);
	EXPECT_EQ(TCP_CLOSE, clasp_state(fd));
	expect_keepalive_abort_counted(_metadata);
}

TEST_F(pair, keepalive_of_a_dead_peer_is_etimedout)
{
	struct clasp_info info;
	long long t0;

	/* The path is cut first, so that no probe is ever answered. */
	drop(_metadata, "");
	t0 = clasp_now_ms();
	ASSERT_EQ(0, clasp_set_keepalive(self->cli, KA_MS(3), KA_MS(2), 3));
	/* Probing, still established until the last probe goes unanswered. */
	EXPECT_TRUE(clasp_wait_until(info_of(self->cli).probes, KA_SOON_MS(3)));
	get_info(_metadata, self->cli, &info);
	EXPECT_LE(1, info.probes);
	EXPECT_GE(2, info.probes);
	EXPECT_EQ(TCP_ESTABLISHED, info.state);
	EXPECT_EQ(CLASP_TIMER_KEEPALIVE, info.timer);
	expect_keepalive_abort(_metadata, self->cli, t0);
	EXPECT_EQ(1, clasp_counter("CurrEstab"));
}

/* Wait until @fd is in @state (WAIT_MS at most); return the state seen. */
static int wait_state(struct __test_metadata *_metadata, int fd, int state)
{
	struct clasp_info info;
	long long t0;

	t0 = clasp_now_ms();
	do {
		get_info(_metadata, fd, &info);
		if (info.state == state)
			break;
		clasp_sleep_ms(10);
	} while (clasp_now_ms() - t0 < WAIT_MS);
	return info.state;
}

/* Shut down @fd's sending side and wait until its FIN is acknowledged. */
static void half_close(struct __test_metadata *_metadata, int fd)
{
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	ASSERT_EQ(TCP_FIN_WAIT2, wait_state(_metadata, fd, TCP_FIN_WAIT2));
}

/*
 * A client that shut down its side and waits for the peer's answer is in
 * FIN_WAIT_2 with nothing to send: only keepalive can tell it that the
 * peer is gone (TCP probes there too).
 */
TEST_F(pair, keepalive_watches_a_half_closed_connection)
{
	struct clasp_info info;
	long long t0;

	half_close(_metadata, self->cli);

	drop(_metadata, "");
	t0 = clasp_now_ms();
	ASSERT_EQ(0, clasp_set_keepalive(self->cli, KA_MS(3), KA_MS(2), 3));
	get_info(_metadata, self->cli, &info);
	EXPECT_EQ(CLASP_TIMER_KEEPALIVE, info.timer);
	expect_keepalive_abort(_metadata, self->cli, t0);
}

/* The probes of a half-closed connection are answered by a live peer. */
TEST_F(pair, keepalive_keeps_a_half_closed_connection_to_a_live_peer)
{
	char buf[8];

	half_close(_metadata, self->cli);
	expect_keepalive_answered(_metadata, self->cli, TCP_FIN_WAIT2);
	/* The peer can still talk. */
	EXPECT_EQ(3, send(self->srv, "end", 3, 0));
	EXPECT_EQ(3, recv(self->cli, buf, sizeof(buf), 0));
}

/*
 * Keepalive set in ESTABLISHED goes on watching once the peer's FIN has
 * come (CLOSE_WAIT): the application may still have an answer to send,
 * and nothing else would notice that the peer is gone.
 */
TEST_F(pair, keepalive_watches_a_connection_its_peer_half_closed)
{
	struct clasp_info info;
	long long t0;
	char c;

	ASSERT_EQ(0, clasp_set_keepalive(self->cli, KA_MS(3), KA_MS(2), 3));
	/*
	 * Keepalive counts idleness from the last segment received, the FIN:
	 * a clock started before it is sent cannot start late.
	 */
	t0 = clasp_now_ms();
	ASSERT_EQ(0, shutdown(self->srv, SHUT_WR));
	ASSERT_EQ(0, recv(self->cli, &c, 1, 0));
	drop(_metadata, "");
	get_info(_metadata, self->cli, &info);
	EXPECT_EQ(TCP_CLOSE_WAIT, info.state);
	EXPECT_EQ(CLASP_TIMER_KEEPALIVE, info.timer);
	/* The EOF has been read, so recv() says 0 from now on: SO_ERROR tells. */
	EXPECT_TRUE(clasp_wait_until(clasp_state(self->cli) == TCP_CLOSE,
				     KA_SOON_MS(9)));
	EXPECT_EQ(TCP_CLOSE, clasp_state(self->cli));
	EXPECT_TIMER(KA_MS(9), clasp_now_ms() - t0);
	EXPECT_EQ(ETIMEDOUT, so_error(self->cli));
	expect_keepalive_abort_counted(_metadata);
}

/*
 * The defaults: clasp's module parameters, which a new namespace copies;
 * TCP's sysctls tcp_keepalive_time, _intvl and _probes of the namespace.
 */
TEST_F(ns, keepalive_defaults_come_from_module_params)
{
	static const struct param p[] = {
		{ "keepalive_time_ms", 300 }, { "keepalive_intvl_ms", 200 },
		{ "keepalive_probes", 2 }, { NULL, 0 }
	};
	int lis, cli, srv, one = 1;
	long long t0, ms;
	char c;

	pair_in_fresh_netns(_metadata, p, &lis, &cli, &srv);
	if (clasp_is_tcp()) {
		ASSERT_EQ(0, clasp_sysctl("net.ipv4.tcp_keepalive_time", KA_MS(3) / 1000));
		ASSERT_EQ(0, clasp_sysctl("net.ipv4.tcp_keepalive_intvl", KA_MS(2) / 1000));
		ASSERT_EQ(0, clasp_sysctl("net.ipv4.tcp_keepalive_probes", 2));
	}
	drop(_metadata, "");
	t0 = clasp_now_ms();
	ASSERT_EQ(0, setsockopt(cli, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	errno = 0;
	EXPECT_EQ(-1, recv(cli, &c, 1, 0));
	ms = clasp_now_ms() - t0;
	EXPECT_EQ(ETIMEDOUT, errno) TH_LOG("recv: %s", strerror(errno));
	/* idle 3 + 2 probes 2 apart (300 and 200 ms for clasp). */
	EXPECT_TIMER(KA_MS(7), ms);
	expect_keepalive_abort_counted(_metadata);
	close(cli);
	close(srv);
	close(lis);
}

/*
 * retries (TCP: tcp_retries2, and no tail loss probe, which would be one
 * more retransmission, tcp_early_retrans=0).  clasp gives up at the
 * timer's expiry after the last retransmission.  TCP counts time, not
 * retransmissions (retransmits_timed_out()): it gives up at the first
 * expiry at least what retries=3 would take at TCP_RTO_MIN (200 ms
 * * (2^4 - 1)) after its first retransmission; with its RTO here, srtt
 * plus rto_min, a little above 200 ms, that is the fifth expiry.
 */
TEST_F(ns, data_retries_exhausted_is_etimedout)
{
	static const struct param p[] = { { "retries", 3 }, { NULL, 0 } };
	struct clasp_info info;
	char buf[1000] = { 0 }, c;
	int lis, cli, srv, expiries = 4;
	long long t0, ms, rs, rto_ms, rto_us;

	if (clasp_is_tcp()) {
		fresh_netns(_metadata, NULL);
		ASSERT_EQ(0, clasp_sysctl("net.ipv4.tcp_retries2", 3));
		ASSERT_EQ(0, clasp_sysctl("net.ipv4.tcp_early_retrans", 0));
		lis = listener(_metadata, &(uint16_t){ 0 });
		make_pair(_metadata, lis, local_port(lis), &cli, &srv);
	} else {
		pair_in_fresh_netns(_metadata, p, &lis, &cli, &srv);
	}
	drop(_metadata, "");
	/* The RTO the handshake's round trip left: the timer starts at it. */
	get_info(_metadata, cli, &info);
	rto_us = info.rto_us;
	rto_ms = rto_us / 1000;
	t0 = clasp_now_ms();
	ASSERT_EQ(sizeof(buf), send(cli, buf, sizeof(buf), 0));
	EXPECT_TRUE(clasp_wait_until(info_of(cli).retransmits >= 1, SOON_MS));
	get_info(_metadata, cli, &info);
	EXPECT_EQ(TCP_ESTABLISHED, info.state);
	EXPECT_EQ(CLASP_TIMER_RETRANS, info.timer);
	EXPECT_EQ(sizeof(buf), info.unacked);
	EXPECT_LE(1, info.retransmits);
	errno = 0;
	EXPECT_EQ(-1, recv(cli, &c, 1, 0));
	ms = clasp_now_ms() - t0;
	EXPECT_EQ(ETIMEDOUT, errno) TH_LOG("recv: %s", strerror(errno));
	/* clasp: 3 retransmissions, then the timer's fourth expiry gives up. */
	if (clasp_is_tcp())
		for (expiries = 1; rto_us * ((1LL << expiries) - 2) < 200000LL * 15;
		     expiries++)
			;
	TH_LOG("RTO %lld us: gives up at expiry %d", rto_us, expiries);
	EXPECT_TIMER(backoff_ms(rto_ms, 0, expiries - 1), ms);
	rs = clasp_counter("RetransSegs");
	EXPECT_TRUE(rs == 3 || rs == 4) TH_LOG("RetransSegs %lld", rs);
	EXPECT_EQ(1, clasp_counter("AbortOnTimeout"));
	EXPECT_EQ(1, clasp_counter("EstabResets"));
	EXPECT_EQ(1, clasp_counter("CurrEstab"));
	close(cli);
	close(srv);
	close(lis);
}

TEST_F(pair, lost_data_is_retransmitted)
{
	struct clasp_info info;
	uint8_t out[3000], in[3000];

	clasp_fill(out, sizeof(out), 0, 7);
	drop(_metadata, "");
	ASSERT_EQ(sizeof(out), send(self->cli, out, sizeof(out), 0));
	get_info(_metadata, self->cli, &info);
	EXPECT_EQ(sizeof(out), info.unacked);
	EXPECT_EQ(sizeof(out), info.send_queue);
	if (clasp_only_check("snd_nxt and snd_una: TCP's tcp_info has neither"))
		EXPECT_EQ(sizeof(out), info.snd_nxt - info.snd_una);
	EXPECT_TRUE(clasp_wait_until(info_of(self->cli).retransmits >= 1,
				     SOON_MS));
	undrop(_metadata);
	read_exact(_metadata, self->srv, in, sizeof(in));
	EXPECT_EQ(0, memcmp(out, in, sizeof(in)));
	EXPECT_LE(1, clasp_counter("RetransSegs"));
	/* Once acknowledged, nothing is outstanding. */
	EXPECT_TRUE(clasp_wait_until(!info_of(self->cli).unacked, SOON_MS));
	get_info(_metadata, self->cli, &info);
	EXPECT_LE(1, info.total_retrans);
	EXPECT_EQ(0, info.unacked);
	EXPECT_EQ(0, info.retransmits);
	EXPECT_EQ(CLASP_TIMER_NONE, info.timer);
}

/* ------------------------------------------------------------------ */
/* Retries at their maximum */

/*
 * The retry counts may be set up to 127, and the backoff shift follows
 * them: past 64 retransmissions the timer must stay at rto_max_ms.  (A
 * shift of 64 or more is undefined in C; x86 takes it modulo 64, and the
 * timer fell back to rto_initial_ms, doubling again from there.)  With
 * rto_initial_ms 1 and rto_max_ms 50, the 64th retransmission goes out
 * after about 3 s; from it to the 69th is five timers of 50 ms, where
 * the wrapped shift took 1 + 2 + 4 + 8 + 16 = 31 ms.
 */
#define MAXRETRY_RTO_MAX_MS	50
#define MAXRETRY_FROM		64	/* retransmission timed from */
#define MAXRETRY_TO		69	/* ...to */

static const struct param max_retries[] = {
	{ "rto_initial_ms", 1 }, { "rto_max_ms", MAXRETRY_RTO_MAX_MS },
	{ "syn_retries", 127 }, { "synack_retries", 127 }, { NULL, 0 }
};

/*
 * Time from the MAXRETRY_FROM-th to the MAXRETRY_TO-th retransmission of
 * the segment with @flags from @sport to @dport that the raw socket @raw
 * sees (the first one it sees is the original); -1 if they do not come.
 */
static long long retransmission_span(int raw, uint16_t sport, uint16_t dport,
				     uint8_t flags)
{
	long long end = clasp_now_ms() + clasp_slow_time(30000), from = -1;
	struct clasp_seg r;
	int n = -1;

	while (clasp_now_ms() < end) {
		if (clasp_raw_recv(raw, sport, dport, &r, 1000) != 1)
			continue;
		if (r.flags != flags)
			continue;
		if (++n == MAXRETRY_FROM)
			from = clasp_now_ms();
		if (n == MAXRETRY_TO)
			return clasp_now_ms() - from;
	}
	fprintf(stderr, "# saw %d retransmissions, want %d\n", n, MAXRETRY_TO);
	return -1;
}

/*
 * At rto_max_ms each: at least three of the five timers' worth, whatever
 * the delivery of the first segment to the test cost, and no more than
 * EXPECT_TIMER allows.
 */
#define EXPECT_MAXRETRY_SPAN(ms) do { \
	long long __rto = clasp_slow_time(MAXRETRY_RTO_MAX_MS); \
	long long __n = MAXRETRY_TO - MAXRETRY_FROM; \
	EXPECT_LE(3 * __rto, ms) \
		TH_LOG("retransmissions %d to %d took %lld ms, want %lld", \
		       MAXRETRY_FROM, MAXRETRY_TO, ms, __n * __rto); \
	EXPECT_GE(__n * __rto * 8 / 5 + clasp_slow_time(TIMER_LATE_MS), ms); \
} while (0)

/* syn_retries 127: SYNs past the 64th still come rto_max_ms apart. */
TEST_F(ns, syn_backoff_past_64_stays_at_rto_max)
{
	uint16_t dport = 9;	/* nobody listens; its resets are dropped */
	int raw, fd;
	long long ms;

	CLASP_ONLY("rto_max_ms and syn_retries 127: TCP's RTO bounds are fixed");
	fresh_netns(_metadata, max_retries);
	/* The SYNs reach the raw socket; the resets they earn are dropped. */
	drop(_metadata, "@th,109,1 1");
	raw = clasp_raw_open(LO);
	ASSERT_LE(0, raw) TH_LOG("raw socket: %s", strerror(errno));
	fd = sock_new();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(-1, connect_lo(fd, dport));
	ASSERT_EQ(EINPROGRESS, errno);
	ms = retransmission_span(raw, local_port(fd), dport, TH_SYN);
	EXPECT_MAXRETRY_SPAN(ms);
	EXPECT_EQ(TCP_SYN_SENT, clasp_state(fd));
	EXPECT_EQ(0, so_error(fd));
	close(fd);
	close(raw);
}

/* synack_retries 127: a request's SYN-ACKs too. */
TEST_F(ns, synack_backoff_past_64_stays_at_rto_max)
{
	uint16_t port, peer = 41000;
	struct clasp_seg s = {
		.sport = peer, .flags = TH_SYN, .seq = 1000, .win = 65535,
		.mss = 1460,
	};
	int lis, raw;
	long long ms;

	CLASP_ONLY("rto_max_ms and synack_retries 127: TCP's RTO bounds are fixed");
	fresh_netns(_metadata, max_retries);
	lis = listener(_metadata, &port);
	/*
	 * The raw socket plays the peer; the resets the stack would send for
	 * its port, which has no socket, are dropped.
	 */
	drop(_metadata, "@th,109,1 1");
	raw = clasp_raw_open(LO);
	ASSERT_LE(0, raw) TH_LOG("raw socket: %s", strerror(errno));
	inet_pton(AF_INET, LO, &s.saddr);
	s.daddr = s.saddr;
	s.dport = port;
	ASSERT_EQ(0, clasp_raw_send(raw, &s));
	ms = retransmission_span(raw, port, peer, TH_SYN | TH_ACK);
	EXPECT_MAXRETRY_SPAN(ms);
	close(raw);
	close(lis);
}

CLASP_HARNESS_MAIN
