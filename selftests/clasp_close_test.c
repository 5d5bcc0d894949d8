// SPDX-License-Identifier: GPL-2.0
/*
 * Closing clasp connections over loopback: the teardown state sequences,
 * simultaneous close, TIME_WAIT and the port it holds, orphans, and resets
 * (SO_LINGER, unread data, data after close).  Shared helpers and
 * fixtures: clasp_conn.h.
 */
#include "clasp_conn.h"

TEST_F(pair, teardown_state_sequence)
{
	struct clasp_info info;
	char c;

	/* Active close: FIN_WAIT_1 while the FIN is unacknowledged. */
	drop(_metadata, "");
	ASSERT_EQ(0, shutdown(self->cli, SHUT_WR));
	get_info(_metadata, self->cli, &info);
	EXPECT_EQ(TCP_FIN_WAIT1, info.state);
	if (!clasp_is_tcp())
		EXPECT_EQ(CLASP_TIMER_RETRANS, info.timer);
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(self->srv));
	clasp_sleep_ms(clasp_slow_time(200));
	EXPECT_EQ(TCP_FIN_WAIT1, clasp_state(self->cli));
	undrop(_metadata);
	/* The retransmitted FIN is acknowledged: FIN_WAIT_2, CLOSE_WAIT. */
	ASSERT_STATE(self->cli, TCP_FIN_WAIT2, WAIT_MS);
	ASSERT_STATE(self->srv, TCP_CLOSE_WAIT, WAIT_MS);
	EXPECT_LE(1, clasp_counter("RetransSegs"));

	/* Passive close: LAST_ACK while its FIN is unacknowledged. */
	drop(_metadata, "");
	ASSERT_EQ(0, shutdown(self->srv, SHUT_WR));
	get_info(_metadata, self->srv, &info);
	EXPECT_EQ(TCP_LAST_ACK, info.state);
	if (!clasp_is_tcp())
		EXPECT_EQ(CLASP_TIMER_RETRANS, info.timer);
	clasp_sleep_ms(clasp_slow_time(200));
	EXPECT_EQ(TCP_LAST_ACK, clasp_state(self->srv));
	EXPECT_EQ(TCP_FIN_WAIT2, clasp_state(self->cli));
	undrop(_metadata);
	ASSERT_STATE(self->srv, TCP_CLOSE, WAIT_MS);
	EXPECT_EQ(0, read(self->cli, &c, 1));
	if (!clasp_is_tcp()) {
		int st = clasp_state(self->cli);

		EXPECT_COUNTER("TimeWaitEntered", 1);
		EXPECT_TRUE(st == TCP_CLOSE || st == TCP_TIME_WAIT) {
			TH_LOG("state %d", st);
		}
	}
	EXPECT_EQ(0, clasp_counter("EstabResets"));
	EXPECT_COUNTER("CurrEstab", 0);
}

TEST_F(pair, simultaneous_close_passes_closing)
{
	char match[64];
	int st;

	/* The server's FIN and its ACKs do not reach the client. */
	snprintf(match, sizeof(match), "@th,16,16 %u", local_port(self->cli));
	drop(_metadata, match);
	ASSERT_EQ(0, shutdown(self->srv, SHUT_WR));
	EXPECT_EQ(TCP_FIN_WAIT1, clasp_state(self->srv));
	/* The client's FIN crosses it: the server is in CLOSING. */
	ASSERT_EQ(0, shutdown(self->cli, SHUT_WR));
	ASSERT_STATE(self->srv, TCP_CLOSING, WAIT_MS);
	EXPECT_EQ(TCP_FIN_WAIT1, clasp_state(self->cli));
	undrop(_metadata);
	/* Both FINs acknowledged: both sides in TIME_WAIT. */
	if (clasp_is_tcp()) {
		ASSERT_STATE(self->srv, TCP_CLOSE, WAIT_MS);
		return;
	}
	EXPECT_COUNTER("TimeWaitEntered", 2);
	st = clasp_state(self->srv);
	EXPECT_TRUE(st == TCP_CLOSE || st == TCP_TIME_WAIT) TH_LOG("srv %d", st);
	st = clasp_state(self->cli);
	EXPECT_TRUE(st == TCP_CLOSE || st == TCP_TIME_WAIT) TH_LOG("cli %d", st);
	EXPECT_EQ(0, clasp_counter("EstabResets"));
}

/*
 * Bind a new socket to @ip:@port, SO_REUSEADDR or not, IPV6_V6ONLY for
 * an IPv6 one; 0 or errno.
 */
static int try_bind_at(const char *ip, uint16_t port, int reuse)
{
	struct clasp_sockaddr a = clasp_sockaddr(ip, port);
	int fd = socket(a.sa.sa_family, SOCK_STREAM, clasp_proto());
	int one = 1, err = 0;

	if (fd < 0)
		return errno;
	if ((reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse,
				 sizeof(reuse))) ||
	    (a.sa.sa_family == AF_INET6 && strcmp(ip, "::") &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(fd, &a.sa, a.len))
		err = errno;
	close(fd);
	return err;
}

/*
 * A client on LO, SO_REUSEADDR or not (@reuse), closes first and leaves
 * its TIME_WAIT behind, the @nth in the namespace: the port it used.
 */
static uint16_t client_time_wait(struct __test_metadata *_metadata, int reuse,
				 int nth)
{
	uint16_t port, cport;
	int lis = listener(_metadata, &port), cli, srv;
	char c;

	cli = sock_new();
	ASSERT_LE(0, cli);
	ASSERT_EQ(0, setsockopt(cli, SOL_SOCKET, SO_REUSEADDR, &reuse,
				sizeof(reuse)));
	ASSERT_EQ(0, connect_lo(cli, port));
	cport = local_port(cli);
	srv = accept_wait(_metadata, lis);
	ASSERT_EQ(0, close(cli));
	ASSERT_EQ(0, read(srv, &c, 1));
	ASSERT_EQ(0, close(srv));
	ASSERT_EQ(0, close(lis));
	if (clasp_is_tcp())
		clasp_sleep_ms(clasp_slow_time(200));
	else
		ASSERT_EQ(nth, clasp_wait_counter("TimeWaitEntered", nth,
						  WAIT_MS));
	return cport;
}

TEST_F(ns, time_wait_holds_the_port_for_2msl)
{
	long long t0, held;
	uint16_t cport;
	int err;

	CLASP_ONLY("msl_ms: TCP's TIME_WAIT lasts a fixed 60 s");
	/* As a restarting server would have: TIME_WAIT keeps it. */
	cport = client_time_wait(_metadata, 1, 1);
	t0 = clasp_now_ms();

	EXPECT_EQ(EADDRINUSE, try_bind_at(LO, cport, 0));
	EXPECT_EQ(0, try_bind_at(LO, cport, 1));
	do {
		err = try_bind_at(LO, cport, 0);
		if (err != EADDRINUSE)
			break;
		clasp_sleep_ms(clasp_slow_time(20));
	} while (clasp_now_ms() - t0 < clasp_slow_time(4 * 2 * MSL_MS));
	held = clasp_now_ms() - t0;
	ASSERT_EQ(0, err) TH_LOG("bind after %lld ms: %s", held, strerror(err));
	EXPECT_TIMER(clasp_slow_time(2 * MSL_MS), held);
	EXPECT_EQ(0, clasp_counter("TimeWaitKilled"));
	/* The listener closed before: nothing is left. */
	EXPECT_COUNTER("Objects", 0);
}

/*
 * TIME_WAIT holds its own address and port, as TCP's does: a bind() to
 * it, or to a wildcard that covers it, fails without SO_REUSEADDR; one to
 * another address of the host succeeds.  The other address is
 * 127.0.0.2, or fd97::2 added to lo.
 */
TEST_F(ns, time_wait_holds_its_address_not_the_port)
{
	const char *other = clasp_v6() ? "fd97::2" : "127.0.0.2";
	uint16_t cport;

	if (clasp_v6())
		ASSERT_EQ(0, clasp_sh("ip addr add fd97::2/128 dev lo nodad"));
	cport = client_time_wait(_metadata, 0, 1);
	EXPECT_EQ(EADDRINUSE, try_bind_at(LO, cport, 0));
	EXPECT_EQ(EADDRINUSE, try_bind_at(clasp_any(), cport, 0));
	EXPECT_EQ(EADDRINUSE, try_bind_at("::", cport, 0));
	EXPECT_EQ(0, try_bind_at(other, cport, 0));
}

/*
 * SO_REUSEADDR frees TIME_WAIT's port only if the socket that left it had
 * it as well (Linux asks it of both sides, as for two sockets).
 */
TEST_F(ns, time_wait_reuse_needs_both_sides)
{
	uint16_t cport = client_time_wait(_metadata, 0, 1);

	EXPECT_EQ(EADDRINUSE, try_bind_at(LO, cport, 1));
	EXPECT_EQ(EADDRINUSE, try_bind_at(clasp_any(), cport, 1));
	cport = client_time_wait(_metadata, 1, 2);
	EXPECT_EQ(0, try_bind_at(LO, cport, 1));
	EXPECT_EQ(0, try_bind_at(clasp_any(), cport, 1));
	EXPECT_EQ(EADDRINUSE, try_bind_at(LO, cport, 0));
}

/*
 * A server restarted on its port: the connections it closed first left
 * TIME_WAIT behind on the listener's address and port.  Its children had
 * the listener's SO_REUSEADDR, so a new listener with it binds, one
 * without it does not, as with TCP.
 */
TEST_F(ns, restarted_server_binds_beside_its_time_wait)
{
	int lis = sock_new(), one = 1, cli, srv;
	uint16_t port;
	char c;

	ASSERT_LE(0, lis);
	ASSERT_EQ(0, setsockopt(lis, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	ASSERT_EQ(0, bind_lo(lis, 0));
	ASSERT_EQ(0, listen(lis, 4));
	port = local_port(lis);
	make_pair(_metadata, lis, port, &cli, &srv);
	ASSERT_EQ(0, close(srv));
	ASSERT_EQ(0, read(cli, &c, 1));
	ASSERT_EQ(0, close(cli));
	ASSERT_EQ(0, close(lis));
	if (clasp_is_tcp())
		clasp_sleep_ms(clasp_slow_time(200));
	else
		ASSERT_EQ(1, clasp_wait_counter("TimeWaitEntered", 1, WAIT_MS));
	EXPECT_EQ(EADDRINUSE, try_bind_at(LO, port, 0));
	EXPECT_EQ(0, try_bind_at(LO, port, 1));
	EXPECT_EQ(0, try_bind_at(clasp_any(), port, 1));
}

TEST_F(ns, objects_gauge_returns_to_zero)
{
	uint16_t port;
	int lis, cli[3], srv[3], i;
	char c;

	CLASP_ONLY("the Objects gauge: TCP has none");
	ASSERT_EQ(0, clasp_counter("Objects"));
	lis = listener(_metadata, &port);
	for (i = 0; i < 3; i++)
		make_pair(_metadata, lis, port, &cli[i], &srv[i]);
	EXPECT_COUNTER("Objects", 7);
	ASSERT_EQ(0, close(lis));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, close(cli[i]));
		ASSERT_EQ(0, read(srv[i], &c, 1));
		ASSERT_EQ(0, close(srv[i]));
	}
	ASSERT_EQ(3, clasp_wait_counter("TimeWaitEntered", 3, WAIT_MS));
	/* Three TIME_WAIT entries, then nothing. */
	EXPECT_EQ(3, clasp_counter("Objects"));
	EXPECT_EQ(0, clasp_wait_counter("Objects", 0, clasp_slow_time(4 * 2 * MSL_MS)));
	EXPECT_EQ(0, clasp_counter("CurrEstab"));
}

TEST_F(ns, orphan_fin_wait2_times_out)
{
	static const struct param p[] = {
		{ "fin_timeout_ms", 800 }, { NULL, 0 }
	};
	int lis, cli, srv;
	long long t0, ms;
	char c;

	CLASP_ONLY("fin_timeout_ms in milliseconds: TCP's tcp_fin_timeout is in seconds");
	pair_in_fresh_netns(_metadata, p, &lis, &cli, &srv);
	ASSERT_EQ(0, close(lis));
	EXPECT_COUNTER("Objects", 2);
	/* The server never closes: the client lingers in FIN_WAIT_2. */
	ASSERT_EQ(0, close(cli));
	t0 = clasp_now_ms();
	ASSERT_EQ(0, read(srv, &c, 1));
	ASSERT_STATE(srv, TCP_CLOSE_WAIT, WAIT_MS);
	EXPECT_EQ(1, clasp_wait_counter("Objects", 1, clasp_slow_time(3 * 800)));
	ms = clasp_now_ms() - t0;
	EXPECT_TIMER(clasp_slow_time(800), ms);
	/* The client's end is gone: the server's FIN is answered by RST. */
	ASSERT_EQ(0, close(srv));
	EXPECT_COUNTER("Objects", 0);
}

/* ------------------------------------------------------------------ */
/* Resets */

TEST_F(pair, linger_zero_close_sends_rst)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char c;

	ASSERT_EQ(0, setsockopt(self->cli, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	ASSERT_EQ(0, close(self->cli));
	ASSERT_TRUE(wait_events(self->srv, POLLIN, WAIT_MS) & POLLIN);
	errno = 0;
	EXPECT_EQ(-1, recv(self->srv, &c, 1, 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(TCP_CLOSE, clasp_state(self->srv));
	/* Linux counts a close() with SO_LINGER {1, 0} in TCPAbortOnData. */
	EXPECT_COUNTER(clasp_is_tcp() ? "AbortOnData" : "AbortOnLinger", 1);
	EXPECT_COUNTER("OutRsts", 1);
	/* Both ends left ESTABLISHED for CLOSED. */
	EXPECT_COUNTER("EstabResets", 2);
	EXPECT_COUNTER("CurrEstab", 0);
	if (!clasp_is_tcp()) {
		EXPECT_COUNTER("RstsReceived", 1);
		EXPECT_EQ(0, clasp_counter("TimeWaitEntered"));
		EXPECT_COUNTER("Objects", 2);	/* lis, srv */
	}
	EXPECT_EQ(0, clasp_counter("AbortOnClose"));
}

TEST_F(pair, close_with_unread_data_sends_rst)
{
	struct clasp_info info;
	char c;

	send_str(_metadata, self->srv, "unread");
	ASSERT_TRUE(wait_events(self->cli, POLLIN, WAIT_MS) & POLLIN);
	if (!clasp_is_tcp()) {
		get_info(_metadata, self->cli, &info);
		EXPECT_EQ(6, info.recv_queue);
	}
	ASSERT_EQ(0, close(self->cli));
	ASSERT_TRUE(wait_events(self->srv, POLLERR, WAIT_MS) & POLLERR);
	errno = 0;
	EXPECT_EQ(-1, recv(self->srv, &c, 1, 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_COUNTER("AbortOnClose", 1);
	EXPECT_EQ(0, clasp_counter("AbortOnLinger"));
	EXPECT_COUNTER("CurrEstab", 0);
	if (!clasp_is_tcp())
		EXPECT_EQ(0, clasp_counter("TimeWaitEntered"));
}

/* Small sends, back to back, until the connection fails. */
static void *send_until_reset(void *arg)
{
	int fd = *(int *)arg;
	char buf[10] = "0123456789";

	while (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) == sizeof(buf))
		;
	return NULL;
}

/*
 * close() that aborts (unread data) on a socket with SO_LINGER {1, 5} while
 * the peer keeps sending: there is nothing to linger for, so close()
 * returns at once, the peer's sends fail and its late segments are
 * answered with RST (RFC 9293 3.10.4).  Five connections in a row.
 */
TEST_F(pair, aborting_close_does_not_linger_and_stops_the_sender)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 5 };
	int i, cli = self->cli, srv = self->srv;

	for (i = 0; i < 5; i++) {
		long long t0;
		pthread_t th;

		if (i)
			make_pair(_metadata, self->lis, self->port, &cli, &srv);
		ASSERT_EQ(0, pthread_create(&th, NULL, send_until_reset, &srv));
		ASSERT_TRUE(wait_events(cli, POLLIN, WAIT_MS) & POLLIN);
		ASSERT_EQ(0, setsockopt(cli, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
		t0 = clasp_now_ms();
		ASSERT_EQ(0, close(cli));
		EXPECT_GT(clasp_slow_time(1000), clasp_now_ms() - t0);
		/* The sender hears of it and stops. */
		ASSERT_EQ(0, pthread_join(th, NULL));
		ASSERT_EQ(0, close(srv));
	}
	self->cli = self->srv = -1;
	EXPECT_COUNTER("AbortOnClose", 5);
	EXPECT_EQ(0, clasp_counter("AbortOnLinger"));
}

TEST_F(pair, reset_gives_pollerr_and_so_error)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	short rev;

	ASSERT_EQ(0, setsockopt(self->srv, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	ASSERT_EQ(0, close(self->srv));
	rev = wait_events(self->cli, POLLERR, WAIT_MS);
	EXPECT_TRUE(rev & POLLERR) TH_LOG("revents %#x", rev);
	EXPECT_TRUE(rev & POLLHUP) TH_LOG("revents %#x", rev);
	EXPECT_EQ(ECONNRESET, so_error(self->cli));
	/* Reading SO_ERROR clears it. */
	EXPECT_EQ(0, so_error(self->cli));
	EXPECT_EQ(TCP_CLOSE, clasp_state(self->cli));
}

TEST_F(pair, data_after_close_is_answered_with_rst)
{
	char c;
	int err;

	ASSERT_EQ(0, close(self->srv));
	ASSERT_TRUE(wait_events(self->cli, POLLRDHUP, WAIT_MS) & POLLRDHUP);
	ASSERT_EQ(0, read(self->cli, &c, 1));
	ASSERT_STATE(self->cli, TCP_CLOSE_WAIT, WAIT_MS);
	/* The server has closed: data for it is an error. */
	send_str(_metadata, self->cli, "late");
	ASSERT_TRUE(wait_events(self->cli, POLLERR, WAIT_MS) & POLLERR);
	/* TCP reports a reset in CLOSE_WAIT as EPIPE, elsewhere ECONNRESET. */
	err = so_error(self->cli);
	EXPECT_TRUE(err == ECONNRESET || err == EPIPE) TH_LOG("SO_ERROR %d", err);
	/*
	 * TCP's orphan counts TCPAbortOnData only while still a full socket
	 * (the ACK of its FIN came while close() held it); as a timewait
	 * socket in FIN_WAIT_2, as it mostly is, it resets uncounted.
	 */
	if (clasp_only_check("AbortOnData in FIN_WAIT_2 after close(): TCP's orphan is a timewait socket there, which counts no TCPAbortOnData"))
		EXPECT_COUNTER("AbortOnData", 1);
	EXPECT_COUNTER("CurrEstab", 0);
}

CLASP_HARNESS_MAIN
