// SPDX-License-Identifier: GPL-2.0
/*
 * The socket API of clasp stream sockets over loopback: handshake (ISNs,
 * MSS, errors of connect), accept, shutdown and poll, self-connect and
 * simultaneous open.  Shared helpers and fixtures: clasp_conn.h.
 */
#include "clasp_conn.h"

/* ------------------------------------------------------------------ */
/* Handshake */

TEST_F(pair, handshake_reaches_established_with_matching_isns)
{
	struct clasp_info ci, si;

	ASSERT_EQ(TCP_LISTEN, clasp_state(self->lis));
	ASSERT_STATE(self->cli, TCP_ESTABLISHED, WAIT_MS);
	ASSERT_STATE(self->srv, TCP_ESTABLISHED, WAIT_MS);
	if (clasp_is_tcp())
		return;
	get_info(_metadata, self->cli, &ci);
	get_info(_metadata, self->srv, &si);
	/* Each side learnt the other's initial sequence number... */
	EXPECT_EQ(ci.iss, si.irs);
	EXPECT_EQ(si.iss, ci.irs);
	/* ...and the SYNs took one sequence number each, all acknowledged. */
	EXPECT_EQ(ci.iss + 1, ci.snd_nxt);
	EXPECT_EQ(ci.snd_nxt, ci.snd_una);
	EXPECT_EQ(ci.irs + 1, ci.rcv_nxt);
	EXPECT_EQ(si.iss + 1, si.snd_nxt);
	EXPECT_EQ(si.snd_nxt, si.snd_una);
	EXPECT_EQ(si.irs + 1, si.rcv_nxt);
	EXPECT_EQ(0, ci.unacked);
	EXPECT_EQ(0, ci.send_queue);
	EXPECT_EQ(0, ci.recv_queue);
	/* Nothing outstanding, no keepalive: no timer. */
	EXPECT_EQ(CLASP_TIMER_NONE, ci.timer);
	EXPECT_EQ(CLASP_TIMER_NONE, si.timer);
	EXPECT_LT(0, ci.rto_us);
	EXPECT_LT(0, ci.snd_wnd);
	EXPECT_LT(0, ci.rcv_wnd);
	EXPECT_LT(0, si.snd_wnd);
	EXPECT_LT(0, si.rcv_wnd);
}

TEST_F(pair, mss_is_min_of_both_and_matches_maxseg)
{
	struct clasp_info ci, si;

	get_info(_metadata, self->cli, &ci);
	get_info(_metadata, self->srv, &si);
	EXPECT_EQ(ci.mss, (unsigned int)clasp_maxseg(self->cli));
	EXPECT_EQ(si.mss, (unsigned int)clasp_maxseg(self->srv));
	if (clasp_is_tcp())
		return;
	/*
	 * The MSS each side announced is the other's peer_mss; timestamps
	 * (on by default) take 12 bytes of each segment, as with TCP.
	 */
	EXPECT_EQ(ci.mss + clasp_opt_room(self->cli),
		  ci.peer_mss < si.peer_mss ? ci.peer_mss : si.peer_mss);
	EXPECT_EQ(si.mss, ci.mss);
	/*
	 * lo has an MTU of 65536: the MSS is at most 65536 - 40 and, whatever
	 * clasp's own cap, more than an Ethernet-sized one.
	 */
	TH_LOG("loopback MSS %u", ci.mss);
	EXPECT_LT(1460, ci.mss);
	EXPECT_GE(65496, ci.mss);
}

TEST_F(pair, getsockname_getpeername_agree)
{
	struct clasp_sockaddr cs, cp, ss, sp, lp, lo_sa = clasp_sockaddr(LO, 0);
	socklen_t len = sizeof(cs);
	int lo, hi;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

	ASSERT_NE(NULL, f);
	ASSERT_EQ(2, fscanf(f, "%d %d", &lo, &hi));
	fclose(f);

	ASSERT_EQ(0, getsockname(self->cli, &cs.sa, &len));
	len = sizeof(cp);
	ASSERT_EQ(0, getpeername(self->cli, &cp.sa, &len));
	len = sizeof(ss);
	ASSERT_EQ(0, getsockname(self->srv, &ss.sa, &len));
	len = sizeof(sp);
	ASSERT_EQ(0, getpeername(self->srv, &sp.sa, &len));

	EXPECT_EQ(clasp_af(), cs.sa.sa_family);
	EXPECT_TRUE(clasp_sockaddr_addr_eq(&lo_sa, &cs));
	/* connect() chose an ephemeral port. */
	EXPECT_LE(lo, clasp_sockaddr_port(&cs));
	EXPECT_GE(hi, clasp_sockaddr_port(&cs));
	EXPECT_EQ(self->port, clasp_sockaddr_port(&cp));
	EXPECT_TRUE(clasp_sockaddr_addr_eq(&lo_sa, &cp));
	EXPECT_EQ(clasp_sockaddr_port(&cs), clasp_sockaddr_port(&sp));
	EXPECT_TRUE(clasp_sockaddr_addr_eq(&cs, &sp));
	EXPECT_EQ(clasp_sockaddr_port(&cp), clasp_sockaddr_port(&ss));
	EXPECT_TRUE(clasp_sockaddr_addr_eq(&cp, &ss));

	len = sizeof(lp);
	errno = 0;
	EXPECT_EQ(-1, getpeername(self->lis, &lp.sa, &len));
	EXPECT_EQ(ENOTCONN, errno);
}

TEST_F(ns, counters_on_open_and_orderly_close)
{
	uint16_t port;
	int lis, cli, srv;
	char c;

	EXPECT_EQ(0, clasp_counter("CurrEstab"));
	EXPECT_EQ(0, clasp_counter("ActiveOpens"));
	if (!clasp_is_tcp())
		EXPECT_EQ(0, clasp_counter("Objects"));
	lis = listener(_metadata, &port);
	make_pair(_metadata, lis, port, &cli, &srv);
	EXPECT_EQ(1, clasp_counter("ActiveOpens"));
	EXPECT_COUNTER("PassiveOpens", 1);
	EXPECT_COUNTER("CurrEstab", 2);
	if (!clasp_is_tcp())
		EXPECT_COUNTER("Objects", 3);

	ASSERT_EQ(0, close(cli));
	ASSERT_EQ(0, recv(srv, &c, 1, 0));
	ASSERT_EQ(0, close(srv));
	EXPECT_COUNTER("CurrEstab", 0);
	EXPECT_EQ(0, clasp_counter("EstabResets"));
	EXPECT_EQ(0, clasp_counter("AttemptFails"));
	EXPECT_EQ(0, clasp_counter("OutRsts"));
	if (!clasp_is_tcp())
		EXPECT_COUNTER("TimeWaitEntered", 1);
	close(lis);
}

/*
 * tw_reuse 2, the default, as TCP's tcp_tw_reuse: over loopback, connect()
 * takes the 4-tuple of a TIME_WAIT entry whose timestamps are a second
 * old.  The namespace's ephemeral range is cut to the one port the first
 * connection had, so only that 4-tuple is left.
 */
TEST_F(ns, connect_takes_a_loopback_time_wait_tuple_a_second_later)
{
	/* TIME_WAIT lasts a minute, as TCP's: the test waits a second in it. */
	static const struct param long_tw[] = {
		{ "msl_ms", 30000 }, { NULL, 0 }
	};
	long long recycled;
	int lis, cli, srv;
	uint16_t port, eph;
	char c;

	fresh_netns(_metadata, long_tw);
	lis = listener(_metadata, &port);
	make_pair(_metadata, lis, port, &cli, &srv);
	eph = local_port(cli);
	ASSERT_EQ(0, clasp_port_range(eph, eph)) {
		TH_LOG("ip_local_port_range: %s", strerror(errno));
	}
	ASSERT_EQ(0, close(cli));
	ASSERT_EQ(0, recv(srv, &c, 1, 0));
	ASSERT_EQ(0, close(srv));
	recycled = clasp_counter("TWRecycled");
	clasp_sleep_ms(1100);

	cli = sock_new();
	ASSERT_LE(0, cli);
	ASSERT_EQ(0, connect_lo(cli, port)) TH_LOG("connect: %s", strerror(errno));
	EXPECT_EQ(eph, local_port(cli));
	EXPECT_EQ(recycled + 1, clasp_counter("TWRecycled"));
	srv = accept_wait(_metadata, lis);
	ASSERT_EQ(1, send(cli, "x", 1, 0));
	ASSERT_EQ(1, recv(srv, &c, 1, 0));
	close(cli);
	close(srv);
	close(lis);
}

TEST_F(ns, connect_refused_without_listener)
{
	int fd = sock_new(), fd2 = sock_new(), ret;
	short rev;

	ASSERT_LE(0, fd);
	errno = 0;
	ASSERT_EQ(-1, connect_lo(fd, 9));
	ASSERT_EQ(ECONNREFUSED, errno);
	EXPECT_EQ(TCP_CLOSE, clasp_state(fd));
	EXPECT_EQ(1, clasp_counter("ActiveOpens"));
	EXPECT_EQ(1, clasp_counter("AttemptFails"));
	EXPECT_EQ(0, clasp_counter("CurrEstab"));

	/* Non-blocking: the refusal comes through poll and SO_ERROR. */
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, fcntl(fd2, F_SETFL, O_NONBLOCK));
	errno = 0;
	ret = connect_lo(fd2, 9);
	if (ret == -1 && errno == ECONNREFUSED)
		TH_LOG("non-blocking connect refused at once");
	else {
		ASSERT_EQ(-1, ret);
		ASSERT_EQ(EINPROGRESS, errno);
		rev = poll1(fd2, POLLOUT, WAIT_MS);
		ASSERT_TRUE(rev & POLLERR) TH_LOG("revents %#x", rev);
		EXPECT_EQ(ECONNREFUSED, so_error(fd2));
	}
	EXPECT_EQ(2, clasp_counter("AttemptFails"));
	close(fd);
	close(fd2);
}

TEST_F(pair, second_connect_is_eisconn)
{
	errno = 0;
	EXPECT_EQ(-1, connect_lo(self->cli, self->port));
	EXPECT_EQ(EISCONN, errno);
	errno = 0;
	EXPECT_EQ(-1, connect_lo(self->cli, 9));
	EXPECT_EQ(EISCONN, errno);
	/* Still connected and working. */
	send_str(_metadata, self->cli, "still");
	expect_str(_metadata, self->srv, "still");
}

/*
 * SYNs every 400 ms at most, for about 4 s: a retransmitted SYN gets
 * through soon after the path clears, however long clearing it takes.
 */
static const struct param patient_syn[] = {
	{ "syn_retries", 10 }, { "rto_max_ms", 400 }, { NULL, 0 }
};

TEST_F(ns, connect_in_progress_is_ealready_then_completes)
{
	struct clasp_info info;
	uint16_t port;
	int lis, fd, srv;
	short rev;

	fresh_netns(_metadata, patient_syn);
	lis = listener(_metadata, &port);
	fd = sock_new();
	ASSERT_LE(0, fd);
	drop(_metadata, "");
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	errno = 0;
	ASSERT_EQ(-1, connect_lo(fd, port));
	ASSERT_EQ(EINPROGRESS, errno);
	errno = 0;
	EXPECT_EQ(-1, connect_lo(fd, port));
	EXPECT_EQ(EALREADY, errno);
	get_info(_metadata, fd, &info);
	EXPECT_EQ(TCP_SYN_SENT, info.state);
	if (!clasp_is_tcp())
		EXPECT_EQ(CLASP_TIMER_RETRANS, info.timer);
	EXPECT_EQ(0, poll1(fd, POLLOUT, 0));
	EXPECT_EQ(1, clasp_counter("ActiveOpens"));

	/* The retransmitted SYN gets through once the path is clear. */
	undrop(_metadata);
	rev = poll1(fd, POLLOUT, WAIT_MS);
	ASSERT_TRUE(rev & POLLOUT) TH_LOG("revents %#x", rev);
	EXPECT_FALSE(rev & POLLERR);
	EXPECT_EQ(0, so_error(fd));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
	EXPECT_LE(1, clasp_counter("RetransSegs"));
	srv = accept_wait(_metadata, lis);
	send_str(_metadata, fd, "late");
	expect_str(_metadata, srv, "late");
	close(srv);
	close(fd);
	close(lis);
}

TEST_F(ns, nonblocking_connect_polls_pollout)
{
	uint16_t port;
	int lis = listener(_metadata, &port), fd = sock_new(), srv, ret;
	short rev;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	errno = 0;
	ret = connect_lo(fd, port);
	/* Over loopback the handshake may even finish inside connect(). */
	if (ret)
		ASSERT_EQ(EINPROGRESS, errno);
	rev = poll1(fd, POLLOUT, WAIT_MS);
	ASSERT_TRUE(rev & POLLOUT) TH_LOG("revents %#x", rev);
	EXPECT_FALSE(rev & (POLLERR | POLLHUP));
	EXPECT_EQ(0, so_error(fd));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
	srv = accept_wait(_metadata, lis);
	send_str(_metadata, srv, "hi");
	expect_str(_metadata, fd, "hi");
	close(srv);
	close(fd);
	close(lis);
}

TEST_F(ns, syn_retries_exhausted_is_etimedout)
{
	static const struct param p[] = {
		{ "rto_initial_ms", 100 }, { "syn_retries", 2 }, { NULL, 0 }
	};
	uint16_t port;
	int lis, fd;
	long long t0, ms;

	fresh_netns(_metadata, p);
	/*
	 * TCP: the same retries; its first RTO is a fixed 1 s, and no linear
	 * timeouts first (Linux 6.7+).
	 */
	if (clasp_is_tcp()) {
		ASSERT_EQ(0, clasp_sysctl("net/ipv4/tcp_syn_retries", 2));
		clasp_sysctl("net/ipv4/tcp_syn_linear_timeouts", 0);
	}
	lis = listener(_metadata, &port);
	fd = sock_new();
	ASSERT_LE(0, fd);
	drop(_metadata, "");
	t0 = clasp_now_ms();
	errno = 0;
	ASSERT_EQ(-1, connect_lo(fd, port));
	ms = clasp_now_ms() - t0;
	ASSERT_EQ(ETIMEDOUT, errno) TH_LOG("connect: %s", strerror(errno));
	/* SYN at 0, again at 100 and 300, given up at 700 (TCP: 1, 3, 7 s). */
	if (clasp_is_tcp()) {
		EXPECT_TIMER(7000, ms);		/* TCP's own, not scaled */
	} else {
		EXPECT_TIMER(clasp_slow_time(700), ms);
	}
	EXPECT_EQ(TCP_CLOSE, clasp_state(fd));
	EXPECT_EQ(1, clasp_counter("ActiveOpens"));
	EXPECT_EQ(2, clasp_counter("RetransSegs"));
	/*
	 * RFC 1213 tcpOutSegs: "excluding those containing only retransmitted
	 * octets", as Linux counts: the first SYN alone.
	 */
	EXPECT_EQ(1, clasp_counter("OutSegs"));
	EXPECT_EQ(1, clasp_counter("AttemptFails"));
	EXPECT_EQ(1, clasp_counter("AbortOnTimeout"));
	EXPECT_EQ(0, clasp_counter("PassiveOpens"));
	close(fd);
	close(lis);
}

/* rto_us of a fresh SYN_SENT socket in the current namespace. */
static unsigned int syn_rto_us(struct __test_metadata *_metadata)
{
	struct clasp_info info;
	int fd = sock_new();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(-1, connect_lo(fd, 9));
	ASSERT_EQ(EINPROGRESS, errno);
	get_info(_metadata, fd, &info);
	EXPECT_EQ(TCP_SYN_SENT, info.state);
	close(fd);
	return info.rto_us;
}

TEST_F(ns, params_are_copied_when_the_namespace_is_created)
{
	static const struct param a[] = { { "rto_initial_ms", 300 }, { NULL, 0 } };
	static const struct param b[] = { { "rto_initial_ms", 700 }, { NULL, 0 } };
	int nsa;

	CLASP_ONLY("module parameters copied by a new namespace; TCP's sysctls are per namespace from its start");
	fresh_netns(_metadata, a);
	nsa = open("/proc/self/ns/net", O_RDONLY);
	ASSERT_LE(0, nsa);
	drop(_metadata, "");
	EXPECT_EQ(clasp_slow_time(300000), syn_rto_us(_metadata));

	fresh_netns(_metadata, b);
	drop(_metadata, "");
	EXPECT_EQ(clasp_slow_time(700000), syn_rto_us(_metadata));

	/* The first namespace kept what it copied. */
	ASSERT_EQ(0, setns(nsa, CLONE_NEWNET));
	EXPECT_EQ(clasp_slow_time(300000), syn_rto_us(_metadata));
	close(nsa);
}

/* ------------------------------------------------------------------ */
/* accept */

TEST_F(pair, accept4_flags_and_empty_queue)
{
	struct clasp_sockaddr peer, name;
	socklen_t len = sizeof(peer), nlen = sizeof(name);
	int c2 = sock_new(), c3 = sock_new(), a2, a3;
	char c;

	ASSERT_LE(0, c2);
	ASSERT_LE(0, c3);
	/* Nothing queued: no POLLIN, EAGAIN when non-blocking. */
	EXPECT_EQ(0, poll1(self->lis, POLLIN, 0));
	ASSERT_EQ(0, fcntl(self->lis, F_SETFL, O_NONBLOCK));
	errno = 0;
	EXPECT_EQ(-1, accept(self->lis, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	errno = 0;
	EXPECT_EQ(-1, accept4(self->lis, NULL, NULL, SOCK_NONBLOCK));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, connect_lo(c2, self->port));
	ASSERT_TRUE(poll1(self->lis, POLLIN, WAIT_MS) & POLLIN);
	a2 = accept4(self->lis, &peer.sa, &len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	ASSERT_LE(0, a2) TH_LOG("accept4: %s", strerror(errno));
	EXPECT_TRUE(fcntl(a2, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(a2, F_GETFD) & FD_CLOEXEC);
	/* The address accept4 reports is the connecting socket's. */
	ASSERT_EQ(clasp_sockaddr(LO, 0).len, len);
	ASSERT_EQ(0, getsockname(c2, &name.sa, &nlen));
	EXPECT_EQ(clasp_sockaddr_port(&name), clasp_sockaddr_port(&peer));
	EXPECT_TRUE(clasp_sockaddr_addr_eq(&name, &peer));
	errno = 0;
	EXPECT_EQ(-1, recv(a2, &c, 1, 0));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, connect_lo(c3, self->port));
	ASSERT_TRUE(poll1(self->lis, POLLIN, WAIT_MS) & POLLIN);
	a3 = accept4(self->lis, NULL, NULL, 0);
	ASSERT_LE(0, a3);
	EXPECT_FALSE(fcntl(a3, F_GETFL) & O_NONBLOCK);
	EXPECT_FALSE(fcntl(a3, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(a3));
	close(a2);
	close(a3);
	close(c2);
	close(c3);
}

TEST_F(ns, accept_blocks_until_a_connection_arrives)
{
	uint16_t port;
	int lis = listener(_metadata, &port), fd, status;
	long long t0 = clasp_now_ms(), ms;
	pid_t pid;
	char buf[2] = { 0 };

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int c = clasp_socket();

		clasp_sleep_ms(clasp_slow_time(300));
		if (c < 0 || connect_lo(c, port) || write(c, "x", 1) != 1)
			_exit(1);
		clasp_sleep_ms(clasp_slow_time(500));
		_exit(0);
	}
	fd = accept(lis, NULL, NULL);
	ms = clasp_now_ms() - t0;
	ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(errno));
	EXPECT_LE(clasp_slow_time(250), ms) TH_LOG("accept returned before the connection");
	read_exact(_metadata, fd, buf, 1);
	EXPECT_STREQ("x", buf);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);
	close(fd);
	close(lis);
}

TEST_F(ns, accept_or_listen_in_wrong_state_is_einval)
{
	uint16_t port;
	int lis = listener(_metadata, &port), fd = sock_new(), cli, srv;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind_lo(fd, 0));
	errno = 0;
	EXPECT_EQ(-1, accept(fd, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);
	make_pair(_metadata, lis, port, &cli, &srv);
	errno = 0;
	EXPECT_EQ(-1, listen(cli, 1));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	close(cli);
	close(srv);
	close(lis);
}

/* ------------------------------------------------------------------ */
/* shutdown and close */

TEST_F(pair, shutdown_wr_is_a_half_close)
{
	char c;
	short rev;

	ASSERT_EQ(0, shutdown(self->cli, SHUT_WR));
	rev = wait_events(self->srv, POLLIN | POLLRDHUP, WAIT_MS);
	EXPECT_TRUE(rev & POLLIN) TH_LOG("revents %#x", rev);
	EXPECT_TRUE(rev & POLLRDHUP) TH_LOG("revents %#x", rev);
	EXPECT_FALSE(rev & POLLHUP) TH_LOG("revents %#x", rev);
	EXPECT_EQ(0, read(self->srv, &c, 1));
	ASSERT_STATE(self->cli, TCP_FIN_WAIT2, WAIT_MS);
	ASSERT_STATE(self->srv, TCP_CLOSE_WAIT, WAIT_MS);
	/* CLOSE_WAIT still counts as established, FIN_WAIT_2 does not. */
	EXPECT_COUNTER("CurrEstab", 1);

	/* The other direction still works. */
	send_str(_metadata, self->srv, "reply");
	expect_str(_metadata, self->cli, "reply");
	errno = 0;
	EXPECT_EQ(-1, send(self->cli, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);

	/* The passive close ends it: TIME_WAIT on the active side. */
	ASSERT_EQ(0, close(self->srv));
	self->srv = -1;
	rev = wait_events(self->cli, POLLIN, WAIT_MS);
	EXPECT_TRUE(rev & POLLIN);
	EXPECT_EQ(0, read(self->cli, &c, 1));
	EXPECT_COUNTER("CurrEstab", 0);
	if (!clasp_is_tcp()) {
		int st;

		EXPECT_COUNTER("TimeWaitEntered", 1);
		/* The entry holds TIME_WAIT, not the socket. */
		st = clasp_state(self->cli);
		EXPECT_TRUE(st == TCP_CLOSE || st == TCP_TIME_WAIT) {
			TH_LOG("state %d", st);
		}
	}
}

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	sigpipes++;
}

TEST_F(pair, write_after_shut_wr_is_epipe_and_sigpipe)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };

	ASSERT_EQ(0, sigaction(SIGPIPE, &sa, NULL));
	ASSERT_EQ(0, shutdown(self->cli, SHUT_WR));
	errno = 0;
	EXPECT_EQ(-1, write(self->cli, "x", 1));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(1, sigpipes);
	errno = 0;
	EXPECT_EQ(-1, send(self->cli, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(1, sigpipes);
}

TEST_F(pair, shutdown_rd_reads_eof_and_still_sends)
{
	char c;
	short rev;

	ASSERT_EQ(0, shutdown(self->cli, SHUT_RD));
	EXPECT_EQ(0, recv(self->cli, &c, 1, MSG_DONTWAIT));
	rev = poll1(self->cli, POLLIN | POLLRDHUP, 0);
	EXPECT_TRUE(rev & POLLIN) TH_LOG("revents %#x", rev);
	EXPECT_TRUE(rev & POLLRDHUP) TH_LOG("revents %#x", rev);
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(self->cli));

	send_str(_metadata, self->cli, "abc");
	expect_str(_metadata, self->srv, "abc");
	/* No FIN went out. */
	errno = 0;
	EXPECT_EQ(-1, recv(self->srv, &c, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(self->srv));
}

TEST_F(pair, shutdown_rdwr_gives_pollhup)
{
	char c;
	short rev;

	ASSERT_EQ(0, shutdown(self->cli, SHUT_RDWR));
	rev = wait_events(self->cli, POLLHUP, WAIT_MS);
	EXPECT_TRUE(rev & POLLHUP) TH_LOG("revents %#x", rev);
	EXPECT_EQ(0, read(self->cli, &c, 1));
	errno = 0;
	EXPECT_EQ(-1, send(self->cli, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	rev = wait_events(self->srv, POLLIN | POLLRDHUP, WAIT_MS);
	EXPECT_TRUE(rev & POLLRDHUP) TH_LOG("revents %#x", rev);
	EXPECT_EQ(0, read(self->srv, &c, 1));
	ASSERT_STATE(self->cli, TCP_FIN_WAIT2, WAIT_MS);
}

TEST_F(ns, shutdown_unconnected_is_enotconn)
{
	int fd = sock_new();

	ASSERT_LE(0, fd);
	errno = 0;
	EXPECT_EQ(-1, shutdown(fd, SHUT_WR));
	EXPECT_EQ(ENOTCONN, errno);
	close(fd);
}

TEST_F(pair, poll_events_follow_the_connection)
{
	short all = POLLIN | POLLOUT | POLLRDHUP, rev;
	char buf[8];

	rev = poll1(self->cli, all, 0);
	EXPECT_EQ(POLLOUT, rev);
	send_str(_metadata, self->srv, "ping");
	rev = wait_events(self->cli, POLLIN, WAIT_MS);
	EXPECT_EQ(POLLIN | POLLOUT, rev);
	ASSERT_EQ(4, recv(self->cli, buf, sizeof(buf), 0));
	EXPECT_EQ(POLLOUT, poll1(self->cli, all, 0));

	/* Peer's FIN: readable (EOF) and RDHUP, not HUP yet. */
	ASSERT_EQ(0, shutdown(self->srv, SHUT_WR));
	rev = wait_events(self->cli, POLLRDHUP, WAIT_MS);
	EXPECT_EQ(POLLIN | POLLOUT | POLLRDHUP, rev);

	/* Both directions shut: HUP. */
	ASSERT_EQ(0, shutdown(self->cli, SHUT_WR));
	rev = wait_events(self->cli, POLLHUP, WAIT_MS);
	EXPECT_TRUE(rev & POLLHUP) TH_LOG("revents %#x", rev);
	EXPECT_FALSE(rev & POLLERR) TH_LOG("revents %#x", rev);
}

TEST_F(ns, data_on_the_third_handshake_segment_is_accepted)
{
	uint16_t port;
	int lis = listener(_metadata, &port), cli = sock_new(), srv;
	uint8_t out[200], in[200];
	char match[96];

	ASSERT_LE(0, cli);
	/* Lose the pure ACK that ends the handshake. */
	snprintf(match, sizeof(match),
		 "@th,16,16 %u @th,104,8 0x10 meta length < 100", port);
	drop(_metadata, match);
	ASSERT_EQ(0, connect_lo(cli, port));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(cli));
	clasp_sleep_ms(clasp_slow_time(50));
	ASSERT_EQ(0, fcntl(lis, F_SETFL, O_NONBLOCK));
	errno = 0;
	ASSERT_EQ(-1, accept(lis, NULL, NULL)) {
		TH_LOG("the handshake completed without its ACK");
	}
	ASSERT_EQ(EAGAIN, errno);
	/* The first data segment acknowledges the SYN-ACK instead. */
	clasp_fill(out, sizeof(out), 0, 5);
	ASSERT_EQ(sizeof(out), send(cli, out, sizeof(out), 0));
	srv = accept_wait(_metadata, lis);
	read_exact(_metadata, srv, in, sizeof(in));
	EXPECT_EQ(0, memcmp(out, in, sizeof(in)));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(srv));
	EXPECT_EQ(1, clasp_counter("PassiveOpens"));
	EXPECT_EQ(0, clasp_counter("AttemptFails"));
	close(srv);
	close(cli);
	close(lis);
}

TEST_F(ns, self_connect_reads_back_its_own_writes)
{
	struct clasp_sockaddr name, peer;
	socklen_t len = sizeof(name);
	int fd = sock_new();
	uint16_t port;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind_lo(fd, 0));
	port = local_port(fd);
	ASSERT_EQ(0, connect_lo(fd, port)) TH_LOG("connect: %s", strerror(errno));
	ASSERT_STATE(fd, TCP_ESTABLISHED, WAIT_MS);
	ASSERT_EQ(0, getsockname(fd, &name.sa, &len));
	len = sizeof(peer);
	ASSERT_EQ(0, getpeername(fd, &peer.sa, &len));
	EXPECT_EQ(clasp_sockaddr_port(&name), clasp_sockaddr_port(&peer));
	EXPECT_TRUE(clasp_sockaddr_addr_eq(&name, &peer));
	send_str(_metadata, fd, "mirror");
	expect_str(_metadata, fd, "mirror");
	EXPECT_EQ(1, clasp_counter("ActiveOpens"));
	EXPECT_EQ(0, clasp_counter("PassiveOpens"));
	close(fd);
}

TEST_F(ns, simultaneous_open_over_loopback)
{
	int a, b;
	uint16_t pa, pb;

	fresh_netns(_metadata, patient_syn);
	a = sock_new();
	b = sock_new();
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, bind_lo(a, 0));
	ASSERT_EQ(0, bind_lo(b, 0));
	pa = local_port(a);
	pb = local_port(b);
	/* Both SYNs are lost: both sockets sit in SYN_SENT. */
	drop(_metadata, "");
	ASSERT_EQ(0, fcntl(a, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, fcntl(b, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(-1, connect_lo(a, pb));
	ASSERT_EQ(EINPROGRESS, errno);
	ASSERT_EQ(-1, connect_lo(b, pa));
	ASSERT_EQ(EINPROGRESS, errno);
	EXPECT_EQ(TCP_SYN_SENT, clasp_state(a));
	EXPECT_EQ(TCP_SYN_SENT, clasp_state(b));
	/* The first retransmitted SYN meets a socket in SYN_SENT. */
	undrop(_metadata);
	ASSERT_STATE(a, TCP_ESTABLISHED, WAIT_MS);
	ASSERT_STATE(b, TCP_ESTABLISHED, WAIT_MS);
	EXPECT_EQ(0, so_error(a));
	EXPECT_EQ(0, so_error(b));
	send_str(_metadata, a, "a to b");
	expect_str(_metadata, b, "a to b");
	send_str(_metadata, b, "b to a");
	expect_str(_metadata, a, "b to a");
	EXPECT_EQ(2, clasp_counter("ActiveOpens"));
	EXPECT_EQ(0, clasp_counter("PassiveOpens"));
	EXPECT_COUNTER("CurrEstab", 2);
	close(a);
	close(b);
}

CLASP_HARNESS_MAIN
