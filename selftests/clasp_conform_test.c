// SPDX-License-Identifier: GPL-2.0
/*
 * Packet-level conformance: what clasp puts on the wire, segment by
 * segment, in the situations every TCP-grade stack must handle (RFC 9293,
 * RFC 5961, RFC 6298, RFC 6528).
 *
 * Each test runs in a network namespace of its own, created after writing
 * short timers into the module parameters (base_params, plus the test's
 * own).  A fake peer (clasp_pkt.h) sits behind a tun device: it injects
 * exact segments and checks every segment the module sends back, with its
 * timing.  The module's side is driven by ordinary socket calls, the
 * blocking ones in a thread (struct clasp_call).  See CONFORMANCE.md.
 *
 * CLASP_PROTO=6 plays the same scenarios against kernel TCP, the
 * reference: sysctls stand for the module parameters where TCP has them
 * (tcp_env()), sock_diag for the module's netlink view of a connection
 * (clasp_pkt_info()) and TCP's MIB counters for clasp's (clasp_counter()).
 * What TCP cannot do is skipped or left out with a "clasp only: " reason
 * (CONFORMANCE.md, "The TCP reference lane").
 *
 * CLASP_SLOW=N scales the timers the tests set, their waits, their bounds
 * and the fake peer's tolerance by N (clasp_slow_time()).
 */
#include "clasp_pkt_env.h"

/* 1 */
TEST(passive_open_synack_carries_mss_and_accept_follows_ack)
{
	struct clasp_info info;
	struct clasp_call acc;
	struct env e;
	struct clasp_pkt *p = &e.p;
	char win[32];

	env_setup(_metadata, &e, NULL);
	listen_on(_metadata, &e, LISTEN_PORT);
	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT);
	ASSERT_EQ(0, clasp_call_accept(&acc, e.lfd));

	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) win 65535 <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 %s<mss %u>",
				      syn_win(e.lfd, win, sizeof(win)), ROUTE_MSS));
	EXPECT_FALSE(clasp_call_done(&acc)) TH_LOG("accept before the ACK");
	expect_state(_metadata, &e, TCP_SYN_RECV);

	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&acc, GUARD_MS)) TH_LOG("accept hangs");
	ASSERT_LE(0, acc.ret) TH_LOG("accept: %s", strerror(acc.err));
	ASSERT_EQ(0, clasp_get_info(acc.ret, &info));
	EXPECT_EQ(TCP_ESTABLISHED, info.state);
	EXPECT_EQ(PEER_MSS, info.mss);
	/* The numbers are checked on the wire above, too. */
	if (clasp_only_check("iss, irs, snd_nxt and rcv_nxt: TCP's tcp_info has none of them")) {
		EXPECT_EQ(p->local_isn, info.iss);
		EXPECT_EQ(p->peer_isn, info.irs);
		EXPECT_EQ(p->local_isn + 1, info.snd_nxt);
		EXPECT_EQ(p->peer_isn + 1, info.rcv_nxt);
	}
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 2 */
TEST(synack_backoff_then_request_dropped_and_late_ack_reset)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long gone;

	env_setup(_metadata, &e, synack_timers);
	listen_on(_metadata, &e, LISTEN_PORT);
	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT);
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
	/* synack_retries = 2: two more, RTO apart and doubling. */
	ASSERT_EQ(0, clasp_pkt_expect(p, SYN_RTO_MS, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
	expect_timer(_metadata, &e, TCP_SYN_RECV, CLASP_TIMER_RETRANS, 1,
		     2 * SYN_RTO_MS, p->ref_us);
	ASSERT_EQ(0, clasp_pkt_expect(p, 2 * SYN_RTO_MS, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
	expect_timer(_metadata, &e, TCP_SYN_RECV, CLASP_TIMER_RETRANS, 2,
		     4 * SYN_RTO_MS, p->ref_us);
	/* One more backoff period, then the request is gone. */
	ASSERT_EQ(0, wait_gone(&e, 1, &gone)) TH_LOG("request stays");
	ASSERT_EQ(0, clasp_pkt_at(p, gone, 4 * SYN_RTO_MS, "request dropped"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, 0));

	/* A late ACK finds only the listener: <SEQ=SEG.ACK><CTL=RST>. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R 1:1(0)"));
	expect_no_child(_metadata, e.lfd);
}

/* 3 */
TEST(duplicate_syn_in_syn_rcvd_resends_synack)
{
	struct clasp_call acc;
	struct env e;
	struct clasp_pkt *p = &e.p;

	env_setup(_metadata, &e, NULL);
	listen_on(_metadata, &e, LISTEN_PORT);
	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT);
	ASSERT_EQ(0, clasp_call_accept(&acc, e.lfd));
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
	/* The same SYN again, well before the retransmission timer. */
	clasp_sleep_ms(RTO_MS / 5);
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
	/*
	 * An answer, not the retransmission timer.  Linux counts the answer
	 * in the request's retransmissions (inet_rtx_syn_ack()) and restarts
	 * its timer; clasp counts only what its timer sent.
	 */
	expect_timer(_metadata, &e, TCP_SYN_RECV, CLASP_TIMER_RETRANS,
		     clasp_is_tcp() ? 1 : 0,
		     clasp_is_tcp() ? TCP_SYN_RTO_MS : CALM_RTO_MS, 0);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&acc, GUARD_MS)) TH_LOG("accept hangs");
	ASSERT_LE(0, acc.ret) TH_LOG("accept: %s", strerror(acc.err));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(acc.ret));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 4 */
TEST(syn_rcvd_bad_ack_gets_rst_and_listener_survives)
{
	struct clasp_call acc;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	env_setup(_metadata, &e, NULL);
	listen_on(_metadata, &e, LISTEN_PORT);
	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT);
	ASSERT_EQ(0, clasp_call_accept(&acc, e.lfd));
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1001"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R 1001:1001(0)"));
	EXPECT_FALSE(clasp_call_done(&acc));
	/* The request is still there: the right ACK completes it. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&acc, GUARD_MS)) TH_LOG("accept hangs");
	ASSERT_LE(0, acc.ret) TH_LOG("accept: %s", strerror(acc.err));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(acc.ret));
	/* And the listener takes the next connection. */
	fd = passive_open(_metadata, &e, PEER_PORT + 1);
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 5 */
TEST(listener_resets_ack_and_synack_ignores_rst)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	env_setup(_metadata, &e, NULL);
	listen_on(_metadata, &e, LISTEN_PORT);
	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT);
	/* No connection yet: the module's numbers are absolute here. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1000"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R 1000:1000(0)"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "S. 0:0(0) ack 2000 <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R 2000:2000(0)"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "R 0:0(0)"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "R. 0:0(0) ack 3000"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	expect_objects(_metadata, &e, 1);
	fd = passive_open(_metadata, &e, PEER_PORT);
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
}

/* 6 */
TEST(closed_port_resets_follow_rfc9293)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long noports, rsts;

	env_setup(_metadata, &e, NULL);
	clasp_pkt_conn(p, CLOSED_PORT, PEER_PORT);
	noports = clasp_counter("NoPorts");
	rsts = clasp_counter("OutRsts");
	/* Without ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R. 0:0(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "P 5:15(10)"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R. 0:0(0) ack 15"));
	/* With ACK: <SEQ=SEG.ACK><CTL=RST>. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 5:5(0) ack 777"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R 777:777(0)"));
	/* A reset is never answered. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "R 5:5(0)"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "R. 5:5(0) ack 777"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	if (clasp_only_check("NoPorts: TCP counts no segments for no socket"))
		EXPECT_EQ(noports + 5, clasp_counter("NoPorts"));
	EXPECT_EQ(rsts + 3, clasp_counter("OutRsts"));
}

/* 7 */
TEST(active_open_syn_backoff_then_etimedout)
{
	struct clasp_call con;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = env_connecting(_metadata, &e, syn_timers, &con);
	ASSERT_LE(0, fd);
	/* syn_retries = 2: two more, RTO apart and doubling. */
	ASSERT_EQ(0, clasp_pkt_expect(p, SYN_RTO_MS, "S 0:0(0) <mss %u>", ROUTE_MSS));
	expect_backoff(_metadata, &e, fd, SYN_RTO_MS, 1);
	ASSERT_EQ(0, clasp_pkt_expect(p, 2 * SYN_RTO_MS, "S 0:0(0) <mss %u>", ROUTE_MSS));
	expect_backoff(_metadata, &e, fd, SYN_RTO_MS, 2);
	ASSERT_EQ(0, clasp_call_wait(&con, GUARD_MS)) TH_LOG("connect hangs");
	EXPECT_EQ(-1, con.ret);
	EXPECT_EQ(ETIMEDOUT, con.err);
	EXPECT_EQ(0, clasp_pkt_at(p, con.done_us, 4 * SYN_RTO_MS, "connect() fails"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	EXPECT_EQ(TCP_CLOSE, clasp_state(fd));
}

/* 8 */
TEST(syn_sent_rst_with_right_ack_refuses_wrong_ack_ignored)
{
	struct clasp_call con;
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long syn_us;
	int fd;

	fd = env_connecting(_metadata, &e, syn_timers, &con);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, clasp_pkt_inject(p, "R. 0:0(0) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&con, GUARD_MS)) TH_LOG("connect hangs");
	EXPECT_EQ(-1, con.ret);
	EXPECT_EQ(ECONNREFUSED, con.err);
	EXPECT_EQ(0, clasp_pkt_at(p, con.done_us, 0, "connect() fails"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	close(fd);

	/* A reset that does not acknowledge our SYN is ignored. */
	fd = bound_socket(_metadata, CLASP_PKT_LOCAL, ACTIVE_PORT + 1);
	ASSERT_LE(0, fd);
	active_syn(_metadata, &e, fd, ACTIVE_PORT + 1, &con);
	syn_us = p->ref_us;
	ASSERT_EQ(0, clasp_pkt_inject(p, "R. 0:0(0) ack 100"));
	/*
	 * Linux retransmits its SYN at once on the first unacceptable ACK
	 * in SYN-SENT, a reset's too (tcp_rcv_synsent_state_process(): "Previous
	 * FIN/ACK or RST/ACK might be ignored"); RFC 9293 only drops it.
	 */
	if (clasp_is_tcp())
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S 0:0(0) <mss %u>", ROUTE_MSS));
	ASSERT_EQ(0, clasp_pkt_inject(p, "R. 0:0(0) ack 0"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, SYN_RTO_MS / 5));
	EXPECT_FALSE(clasp_call_done(&con)) TH_LOG("connect: %s", strerror(con.err));
	EXPECT_EQ(TCP_SYN_SENT, clasp_state(fd));
	if (!clasp_is_tcp()) {
		clasp_pkt_mark_at(p, syn_us);
		ASSERT_EQ(0, clasp_pkt_expect(p, RTO_MS, "S 0:0(0) <mss %u>", ROUTE_MSS));
	}
	/* The connection still completes. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "S. 0:0(0) ack 1 <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&con, GUARD_MS)) TH_LOG("connect hangs");
	EXPECT_EQ(0, con.ret) TH_LOG("connect: %s", strerror(con.err));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
}

/* 9 */
TEST(syn_sent_synack_with_bad_ack_gets_rst)
{
	struct clasp_call con;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = env_connecting(_metadata, &e, NULL, &con);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, clasp_pkt_inject(p, "S. 0:0(0) ack 1000 <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R 1000:1000(0)"));
	/* Linux's quick SYN retransmission, as in the test before. */
	if (clasp_is_tcp())
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S 0:0(0) <mss %u>", ROUTE_MSS));
	EXPECT_FALSE(clasp_call_done(&con)) TH_LOG("connect: %s", strerror(con.err));
	EXPECT_EQ(TCP_SYN_SENT, clasp_state(fd));
	/* An acceptable SYN-ACK then completes the handshake. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "S. 0:0(0) ack 1 <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&con, GUARD_MS)) TH_LOG("connect hangs");
	EXPECT_EQ(0, con.ret) TH_LOG("connect: %s", strerror(con.err));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
}

/* 10 */
TEST(simultaneous_open_and_self_connect)
{
	struct clasp_sockaddr self = clasp_sockaddr(clasp_loopback(), ACTIVE_PORT + 1);
	struct clasp_call con;
	struct env e;
	struct clasp_pkt *p = &e.p;
	char buf[8];
	int fd;

	fd = env_connecting(_metadata, &e, NULL, &con);
	ASSERT_LE(0, fd);
	/* The peer's SYN crosses ours: SYN-ACK, SYN_RCVD. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	/* Its MSS option is our own MSS, whatever the peer's. */
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
	EXPECT_EQ(TCP_SYN_RECV, clasp_state(fd));
	EXPECT_FALSE(clasp_call_done(&con));
	/*
	 * The peer's SYN-ACK establishes it.  Its sequence number is old
	 * (the SYN is in already): not acceptable, so it is acknowledged
	 * (RFC 9293 3.10.7.4, "If an incoming segment is not acceptable, an
	 * acknowledgment should be sent in reply"), as Linux does.
	 */
	ASSERT_EQ(0, clasp_pkt_inject(p, "S. 0:0(0) ack 1 <mss %u>", PEER_MSS));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&con, GUARD_MS)) TH_LOG("connect hangs");
	EXPECT_EQ(0, con.ret) TH_LOG("connect: %s", strerror(con.err));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	/* Both ends are synchronized: data is acknowledged. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:6(5) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 6"));
	ASSERT_EQ(5, recv(fd, buf, sizeof(buf), 0));
	ASSERT_EQ(5, send(fd, "hello", 5, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:6(5) ack 6"));

	/* Self-connect: one socket, both ends. */
	close(fd);
	fd = bound_socket(_metadata, clasp_loopback(), ACTIVE_PORT + 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, connect(fd, &self.sa, self.len)) {
		TH_LOG("self-connect: %s", strerror(errno));
	}
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
	ASSERT_EQ(4, send(fd, "ping", 4, 0));
	ASSERT_EQ(4, recv(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "ping", 4));
}

static const struct clasp_param cookies_always[] = {
	{ "rto_initial_ms", RTO_STOCK },
	{ "rto_min_ms", RTO_STOCK },
	{ "syncookies", 2 },
	{ NULL, 0 }
};

/* 11 */
TEST(forced_syncookies_stateless_and_validated)
{
	long long sent, recvd, failed;
	struct clasp_call acc;
	struct env e;
	struct clasp_pkt *p = &e.p;

	env_setup(_metadata, &e, cookies_always);
	listen_on(_metadata, &e, LISTEN_PORT);
	sent = clasp_counter("SyncookiesSent");
	recvd = clasp_counter("SyncookiesRecv");
	failed = clasp_counter("SyncookiesFailed");

	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT);
	ASSERT_EQ(0, clasp_call_accept(&acc, e.lfd));
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", ROUTE_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
	EXPECT_EQ(sent + 1, clasp_counter("SyncookiesSent"));
	/* Nothing kept, nothing retransmitted. */
	expect_objects(_metadata, &e, 1);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, SYN_RTO_MS + 2 * clasp_pkt_tolerance_ms(p, SYN_RTO_MS)));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&acc, GUARD_MS)) TH_LOG("accept hangs");
	ASSERT_LE(0, acc.ret) TH_LOG("accept: %s", strerror(acc.err));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(acc.ret));
	EXPECT_EQ(recvd + 1, clasp_counter("SyncookiesRecv"));

	/* A cookie with a bit flipped: <SEQ=SEG.ACK><CTL=RST>. */
	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT + 1);
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", ROUTE_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %u", 1 + (1u << 20)));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R %u:%u(0)", 1 + (1u << 20), 1 + (1u << 20)));
	EXPECT_EQ(failed + 1, clasp_counter("SyncookiesFailed"));
	EXPECT_EQ(recvd + 1, clasp_counter("SyncookiesRecv"));
	expect_no_child(_metadata, e.lfd);
	expect_objects(_metadata, &e, 2);	/* listener, first child */
}

/* 12 */
TEST(active_close_time_wait_lasts_2msl)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long gone, fin_us;
	int fd;

	fd = env_established(_metadata, &e, NULL);
	close_to_fin_wait_2(_metadata, &e, fd);
	ASSERT_EQ(0, clasp_pkt_inject(p, "F. 1:1(0) ack 2"));
	fin_us = p->sent_us;
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 2:2(0) ack 2"));
	expect_timer(_metadata, &e, TCP_TIME_WAIT, CLASP_TIMER_TIMEWAIT, -1,
		     TW_MS, fin_us);
	CLASP_ONLY("TIME_WAIT lasts 2 * msl_ms; TCP's lasts a fixed 60 s (checked: armed for 60 s from the FIN)");
	EXPECT_EQ(2, clasp_counter("Objects"));	/* listener, TIME_WAIT */
	ASSERT_EQ(0, wait_gone(&e, 1, &gone)) TH_LOG("TIME_WAIT stays");
	EXPECT_EQ(0, clasp_pkt_at(p, gone, TW_MS, "TIME_WAIT ends"));
	expect_state(_metadata, &e, 0);
	/* No connection any more: only the listener answers. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 2:2(0) ack 2"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R 2:2(0)"));
}

/* 13 */
TEST(passive_close_read_eof_then_last_ack)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long gone;
	char buf[4];
	int fd;

	fd = env_established(_metadata, &e, NULL);
	ASSERT_EQ(0, clasp_pkt_inject(p, "F. 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 2"));
	EXPECT_EQ(0, recv(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(TCP_CLOSE_WAIT, clasp_state(fd));
	clasp_pkt_note(p, "close()");
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "F. 1:1(0) ack 2"));
	expect_state(_metadata, &e, TCP_LAST_ACK);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 2:2(0) ack 2"));
	ASSERT_EQ(0, wait_gone(&e, 1, &gone)) TH_LOG("LAST_ACK stays");
	EXPECT_EQ(0, clasp_pkt_at(p, gone, 0, "connection closed"));
	expect_state(_metadata, &e, 0);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 14 */
TEST(last_ack_fin_retransmitted_with_backoff)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long gone;
	int fd;

	fd = env_established(_metadata, &e, orphan_timers);
	ASSERT_EQ(0, clasp_pkt_inject(p, "F. 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 2"));
	clasp_pkt_note(p, "close()");
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "F. 1:1(0) ack 2"));
	/* The peer's ACK is lost: orphan_retries = 2 retransmissions. */
	ASSERT_EQ(0, clasp_pkt_expect(p, RTO_MS, "F. 1:1(0) ack 2"));
	expect_timer(_metadata, &e, TCP_LAST_ACK, CLASP_TIMER_RETRANS, 1,
		     2 * RTO_MS, p->ref_us);
	ASSERT_EQ(0, clasp_pkt_expect(p, 2 * RTO_MS, "F. 1:1(0) ack 2"));
	expect_timer(_metadata, &e, TCP_LAST_ACK, CLASP_TIMER_RETRANS, 2,
		     4 * RTO_MS, p->ref_us);
	ASSERT_EQ(0, wait_gone(&e, 1, &gone)) TH_LOG("LAST_ACK stays");
	EXPECT_EQ(0, clasp_pkt_at(p, gone, 4 * RTO_MS, "LAST_ACK gives up"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 15 */
TEST(simultaneous_close_closing_then_time_wait)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = env_established(_metadata, &e, NULL);
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "F. 1:1(0) ack 1"));
	/* The peer's FIN crossed ours: it does not acknowledge ours. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "F. 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 2:2(0) ack 2"));
	EXPECT_EQ(TCP_CLOSING, clasp_state(fd));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 2:2(0) ack 2"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	expect_state(_metadata, &e, TCP_TIME_WAIT);
}

/* 16 */
TEST(fin_wait_1_fin_ack_goes_to_time_wait)
{
	long long entered;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = env_established(_metadata, &e, NULL);
	entered = clasp_counter("TimeWaitEntered");
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "F. 1:1(0) ack 1"));
	EXPECT_EQ(TCP_FIN_WAIT1, clasp_state(fd));
	ASSERT_EQ(0, clasp_pkt_inject(p, "F. 1:1(0) ack 2"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 2:2(0) ack 2"));
	expect_state(_metadata, &e, TCP_TIME_WAIT);
	if (clasp_only_check("TimeWaitEntered: TCP counts TIME_WAIT entries when they end (TW)"))
		EXPECT_EQ(entered + 1, clasp_counter("TimeWaitEntered"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 17 */
TEST(half_close_blocks_writes_keeps_reading)
{
	char buf[32], want[10];
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = env_established(_metadata, &e, NULL);
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "F. 1:1(0) ack 1"));
	EXPECT_EQ(-1, send(fd, "x", 1, MSG_NOSIGNAL));
	EXPECT_EQ(EPIPE, errno);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 2"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	EXPECT_EQ(TCP_FIN_WAIT2, clasp_state(fd));
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:11(10) ack 2"));
	/*
	 * Acknowledged, and the window stays open: the SYN-ACK's (clasp),
	 * or at least that less the 10 bytes unread (TCP).
	 */
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 2:2(0) ack 11"));
	if (clasp_is_tcp()) {
		EXPECT_LE(e.syn_win - 10, last_win(p));
	} else {
		EXPECT_EQ(e.syn_win, last_win(p));
	}
	ASSERT_EQ(10, recv(fd, buf, sizeof(buf), 0));
	clasp_pkt_fill(1, want, sizeof(want));
	EXPECT_EQ(0, memcmp(buf, want, sizeof(want)));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 18 */
TEST(close_with_unread_data_or_zero_linger_resets)
{
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };
	long long on_close, on_linger, on_data;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	env_setup(_metadata, &e, NULL);
	listen_on(_metadata, &e, LISTEN_PORT);
	on_close = clasp_counter("AbortOnClose");
	on_data = clasp_counter("AbortOnData");
	on_linger = clasp_counter("AbortOnLinger");

	fd = passive_open(_metadata, &e, PEER_PORT);
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:11(10) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 11"));
	clasp_pkt_note(p, "close() with 10 bytes unread");
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R. 1:1(0) ack 11"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	EXPECT_EQ(on_close + 1, clasp_counter("AbortOnClose"));

	fd = passive_open(_metadata, &e, PEER_PORT + 1);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)));
	clasp_pkt_note(p, "close() with SO_LINGER {1, 0}");
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R. 1:1(0) ack 1"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	/* Linux counts a close() with SO_LINGER {1, 0} in TCPAbortOnData. */
	if (clasp_is_tcp()) {
		EXPECT_EQ(on_data + 1, clasp_counter("AbortOnData"));
	} else {
		EXPECT_EQ(on_linger + 1, clasp_counter("AbortOnLinger"));
	}
	expect_objects(_metadata, &e, 1);
}

/* 19 */
TEST(orphaned_fin_wait_2_expires_then_data_reset)
{
	long long on_data, gone;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	env_setup(_metadata, &e, NULL);
	listen_on(_metadata, &e, LISTEN_PORT);

	/* Data for a closed socket in FIN_WAIT_2: reset at once. */
	on_data = clasp_counter("AbortOnData");
	fd = passive_open(_metadata, &e, PEER_PORT);
	close_to_fin_wait_2(_metadata, &e, fd);
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:11(10) ack 2"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R 2:2(0)"));
	if (clasp_only_check("AbortOnData in FIN_WAIT_2 after close(): TCP's orphan is a timewait socket there, which counts no TCPAbortOnData"))
		EXPECT_EQ(on_data + 1, clasp_counter("AbortOnData"));
	expect_state(_metadata, &e, 0);

	/* A silent peer: the entry goes after fin_timeout_ms. */
	fd = passive_open(_metadata, &e, PEER_PORT + 1);
	close_to_fin_wait_2(_metadata, &e, fd);
	ASSERT_EQ(0, wait_gone(&e, 1, &gone)) TH_LOG("FIN_WAIT_2 stays");
	EXPECT_EQ(0, clasp_pkt_at(p, gone, FIN_TIMEOUT_MS, "FIN_WAIT_2 ends"));
	expect_state(_metadata, &e, 0);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, 0));
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:11(10) ack 2"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R 2:2(0)"));
}

/* 20 */
TEST(time_wait_refin_and_syn_reuse)
{
	uint32_t old_snd_nxt;
	int win;
	long long gone, killed, fin_us;
	struct clasp_call acc;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	env_setup(_metadata, &e, NULL);
	listen_on(_metadata, &e, LISTEN_PORT);

	/*
	 * A retransmitted FIN is acknowledged again, with the window the
	 * socket's last ACK gave (tcp_v4_timewait_ack()), and restarts 2*MSL.
	 */
	fd = passive_open(_metadata, &e, PEER_PORT);
	close_to_time_wait(_metadata, &e, fd);
	win = clasp_pkt_last_win(p);
	ASSERT_LT(0, win);
	clasp_sleep_ms(MSL_MS + MSL_MS / 5);
	ASSERT_EQ(0, clasp_pkt_inject(p, "F. 1:1(0) ack 2"));
	fin_us = p->sent_us;
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 2:2(0) ack 2 win %d", win));
	expect_timer(_metadata, &e, TCP_TIME_WAIT, CLASP_TIMER_TIMEWAIT, -1,
		     TW_MS, fin_us);
	if (clasp_only_check("TIME_WAIT lasts 2 * msl_ms; TCP's a fixed 60 s (checked: restarted at 60 s by the FIN)")) {
		ASSERT_EQ(0, wait_gone(&e, 1, &gone)) TH_LOG("TIME_WAIT stays");
		EXPECT_EQ(0, clasp_pkt_at(p, gone, TW_MS, "TIME_WAIT ends"));
	}

	/* An old SYN is answered with the TIME_WAIT ACK and changes nothing. */
	fd = passive_open(_metadata, &e, PEER_PORT + 1);
	close_to_time_wait(_metadata, &e, fd);
	old_snd_nxt = p->local_isn + 2;
	killed = clasp_counter("TimeWaitKilled");
	ASSERT_EQ(0, clasp_pkt_inject(p, "S -100:-100(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 2:2(0) ack 2"));
	expect_state(_metadata, &e, TCP_TIME_WAIT);

	/* A SYN above the old sequence space opens a new incarnation. */
	ASSERT_EQ(0, clasp_call_accept(&acc, e.lfd));
	clasp_pkt_forget_isn(p);
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 1000:1000(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1001 <mss %u>", ROUTE_MSS));
	EXPECT_LT(0, (int32_t)(p->local_isn - old_snd_nxt)) {
		TH_LOG("new ISN %#x is not above the old snd_nxt %#x",
		       p->local_isn, old_snd_nxt);
	}
	if (clasp_only_check("TimeWaitKilled: TCP counts no TIME_WAIT ended by a SYN"))
		EXPECT_EQ(killed + 1, clasp_counter("TimeWaitKilled"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1001:1001(0) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&acc, GUARD_MS)) TH_LOG("accept hangs");
	ASSERT_LE(0, acc.ret) TH_LOG("accept: %s", strerror(acc.err));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(acc.ret));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 21 */
TEST(established_rst_exact_resets_inwindow_challenged)
{
	long long challenges, drops;
	struct clasp_call rd;
	struct env e;
	struct clasp_pkt *p = &e.p;
	char buf[8];
	int fd;

	fd = env_established(_metadata, &e, NULL);
	ASSERT_EQ(0, clasp_call_recv(&rd, fd, buf, sizeof(buf)));
	challenges = clasp_counter("ChallengeAcks");
	drops = clasp_counter("OutOfWindowDrops");

	/* In the window but not at rcv_nxt: challenge ACK (RFC 5961 3.2). */
	ASSERT_EQ(0, clasp_pkt_inject(p, "R 1001:1001(0)"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	EXPECT_EQ(challenges + 1, clasp_counter("ChallengeAcks"));
	/* Outside the window: dropped silently. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "R 200000:200000(0)"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	if (clasp_only_check("OutOfWindowDrops: TCP counts no out-of-window reset"))
		EXPECT_EQ(drops + 1, clasp_counter("OutOfWindowDrops"));
	EXPECT_FALSE(clasp_call_done(&rd));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
	/* Both left the connection as it was. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:6(5) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 6"));
	ASSERT_EQ(0, clasp_call_wait(&rd, GUARD_MS)) TH_LOG("recv hangs");
	EXPECT_EQ(5, rd.ret);
	ASSERT_EQ(0, clasp_call_recv(&rd, fd, buf, sizeof(buf)));
	/* Exactly at rcv_nxt: the connection is reset. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "R 6:6(0)"));
	ASSERT_EQ(0, clasp_call_wait(&rd, GUARD_MS)) TH_LOG("recv hangs");
	EXPECT_EQ(-1, rd.ret);
	EXPECT_EQ(ECONNRESET, rd.err);
	EXPECT_EQ(0, clasp_pkt_at(p, rd.done_us, 0, "recv() fails"));
	EXPECT_EQ(TCP_CLOSE, clasp_state(fd));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 22 */
TEST(established_syn_gets_challenge_ack)
{
	long long challenges;
	struct env e;
	struct clasp_pkt *p = &e.p;
	char buf[8];
	int fd;

	fd = env_established(_metadata, &e, NULL);
	challenges = clasp_counter("ChallengeAcks");
	/* In the window, and the old SYN again (RFC 5961 4.2). */
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 500:500(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	EXPECT_EQ(challenges + 2, clasp_counter("ChallengeAcks"));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
	/* The connection carries on. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:6(5) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 6"));
	EXPECT_EQ(5, recv(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 23 */
TEST(data_retransmitted_with_backoff_then_etimedout)
{
	static const char data[100];
	struct clasp_call rd;
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long aborts;
	char buf[8];
	int fd;

	fd = env_established(_metadata, &e, data_timers);
	aborts = clasp_counter("AbortOnTimeout");
	ASSERT_EQ(0, clasp_call_recv(&rd, fd, buf, sizeof(buf)));
	clasp_pkt_note(p, "send() 100 bytes");
	ASSERT_EQ(100, send(fd, data, sizeof(data), 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:101(100) ack 1"));
	/* retries = 2: at RTO, then doubling; then the connection fails. */
	ASSERT_EQ(0, clasp_pkt_expect(p, RTO_MS, "P. 1:101(100) ack 1"));
	expect_backoff(_metadata, &e, fd, RTO_MS, 1);
	ASSERT_EQ(0, clasp_pkt_expect(p, 2 * RTO_MS, "P. 1:101(100) ack 1"));
	expect_backoff(_metadata, &e, fd, RTO_MS, 2);
	ASSERT_EQ(0, clasp_call_wait(&rd, GUARD_MS)) TH_LOG("recv hangs");
	EXPECT_EQ(-1, rd.ret);
	EXPECT_EQ(ETIMEDOUT, rd.err);
	EXPECT_EQ(0, clasp_pkt_at(p, rd.done_us, 4 * RTO_MS, "recv() fails"));
	EXPECT_EQ(aborts + 1, clasp_counter("AbortOnTimeout"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}
/* TCP's keepalive options are in seconds. */
#define KA_IDLE_MS	((int)clasp_slow_time(clasp_is_tcp() ? 1000 : 800))
#define KA_INTVL_MS	((int)clasp_slow_time(clasp_is_tcp() ? 1000 : 300))
#define KA_CNT		2

/* 31 */
TEST(keepalive_probes_then_reset_and_etimedout)
{
	struct clasp_call rd;
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long aborts;
	char buf[8];
	int fd;

	fd = env_established(_metadata, &e, NULL);
	aborts = clasp_counter("KeepAliveAborts");
	ASSERT_EQ(0, clasp_call_recv(&rd, fd, buf, sizeof(buf)));
	clasp_pkt_note(p, "keepalive on");
	clasp_pkt_mark(p);
	ASSERT_EQ(0, clasp_set_keepalive(fd, KA_IDLE_MS, KA_INTVL_MS, KA_CNT));
	/* Idle: a probe at snd_una - 1; answered, the connection is idle again. */
	ASSERT_EQ(0, clasp_pkt_expect(p, KA_IDLE_MS, ". 0:0(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, KA_IDLE_MS, ". 0:0(0) ack 1"));
	/* Unanswered: probes at the interval, then a reset. */
	ASSERT_EQ(0, clasp_pkt_expect(p, KA_INTVL_MS, ". 0:0(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, KA_INTVL_MS, "R. 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&rd, GUARD_MS)) TH_LOG("recv hangs");
	EXPECT_EQ(-1, rd.ret);
	EXPECT_EQ(ETIMEDOUT, rd.err);
	EXPECT_EQ(0, clasp_pkt_at(p, rd.done_us, 0, "recv() fails"));
	if (clasp_only_check("KeepAliveAborts: TCP has no counter of keepalive aborts"))
		EXPECT_EQ(aborts + 1, clasp_counter("KeepAliveAborts"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

struct isn_sample {
	const char *peer;
	uint16_t local_port, peer_port;
	uint32_t isn;
	long long at_us;
};

/* The module's ISN for a SYN on the sample's 4-tuple; the request is reset. */
static void sample_isn(struct __test_metadata *_metadata, struct env *e,
		       struct isn_sample *s)
{
	struct clasp_pkt *p = &e->p;

	ASSERT_EQ(0, clasp_pkt_set_peer(p, s->peer));
	clasp_pkt_conn(p, s->local_port, s->peer_port);
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
	s->isn = p->local_isn;
	s->at_us = p->ref_us;
	ASSERT_EQ(0, clasp_pkt_inject(p, "R 1:1(0)"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, 20));
}

#define ISN_LATER_MS	400	/* the same 4-tuple again after this */
#define ISN_CLOCK_MS	30	/* how well the ISN clock is predicted */

/*
 * Does @b's ISN follow @a's by the ISN clock alone (@rate ticks a
 * microsecond, give or take ISN_CLOCK_MS), as if their 4-tuples were one?
 */
static bool isn_clock_only(const struct isn_sample *a,
			   const struct isn_sample *b, double rate)
{
	double clock = rate * (b->at_us - a->at_us);
	double off = (double)(int32_t)(b->isn - a->isn - (uint32_t)(int64_t)clock);

	return (off < 0 ? -off : off) <= rate * ISN_CLOCK_MS * 1000;
}

/* 32 */
TEST(isn_unrelated_per_tuple_and_increasing)
{
	/* A, B, C, D, E, F: see the pairs below. */
	struct isn_sample s[] = {
		{ CLASP_PKT_PEER, LISTEN_PORT, PEER_PORT },
		{ CLASP_PKT_PEER, LISTEN_PORT, PEER_PORT + 1 },
		{ CLASP_PKT_PEER2, LISTEN_PORT, PEER_PORT },
		{ CLASP_PKT_PEER, LISTEN_PORT + 1, PEER_PORT },
		{ CLASP_PKT_PEER2, LISTEN_PORT, PEER_PORT + 1 },
		{ CLASP_PKT_PEER, LISTEN_PORT + 1, PEER_PORT + 1 },
		{ CLASP_PKT_PEER, LISTEN_PORT, PEER_PORT },	/* A later */
	};
	/*
	 * For each part of the 4-tuple, pairs of samples that differ in it
	 * alone.  A random 32-bit offset looks like the clock's about once
	 * in 4,600 pairs (Linux's clock, 15.6 ticks a microsecond), so one
	 * pair may by chance; every pair of a part does when that part is
	 * left out of the hash.
	 */
	static const struct {
		const char *part;
		int pairs[3][2];
		int n;
	} parts[] = {
		{ "peer port", { { 0, 1 }, { 2, 4 }, { 3, 5 } }, 3 },
		{ "peer address", { { 0, 2 }, { 1, 4 } }, 2 },
		{ "local port", { { 0, 3 }, { 1, 5 } }, 2 },
	};
	const int n = ARRAY_SIZE(s);
	struct env e;
	double rate;		/* ISN clock ticks per microsecond */
	int32_t grew;
	int i, j, lfd2;

	env_setup(_metadata, &e, NULL);
	listen_on(_metadata, &e, LISTEN_PORT);
	lfd2 = bound_socket(_metadata, CLASP_PKT_LOCAL, LISTEN_PORT + 1);
	ASSERT_EQ(0, listen(lfd2, 16));
	for (i = 0; i < n - 1; i++)
		sample_isn(_metadata, &e, &s[i]);
	clasp_sleep_ms(ISN_LATER_MS);
	sample_isn(_metadata, &e, &s[n - 1]);

	/* The same 4-tuple later: larger, by at least RFC 6528's 4 us clock. */
	grew = s[n - 1].isn - s[0].isn;
	rate = (double)grew / (s[n - 1].at_us - s[0].at_us);
	EXPECT_LT(0, grew) TH_LOG("ISN %#x then %#x", s[0].isn, s[n - 1].isn);
	EXPECT_LE(0.25 * 0.9, rate) TH_LOG("ISN clock of %.3f ticks/us", rate);

	for (i = 0; i < ARRAY_SIZE(parts); i++) {
		int clock_only = 0;

		for (j = 0; j < parts[i].n; j++) {
			const struct isn_sample *a = &s[parts[i].pairs[j][0]];
			const struct isn_sample *b = &s[parts[i].pairs[j][1]];

			if (!isn_clock_only(a, b, rate))
				continue;
			TH_LOG("%s: ISN %#x follows %#x by the clock only",
			       parts[i].part, b->isn, a->isn);
			clock_only++;
		}
		EXPECT_GT(parts[i].n, clock_only)
			TH_LOG("the %s is not part of the ISN's hash", parts[i].part);
	}
}

/* 33 */
TEST(malformed_segments_dropped_and_counted)
{
	static const struct {
		const char *what;
		struct clasp_seg seg;
		int csum;
		int tcp_errs;	/* what TCP counts in InErrs */
	} bad[] = {
		/* TCP drops these two before it counts (tcp_v4_rcv()). */
		{ "short header", { .flags = TH_SYN, .truncate = 12 }, 0, 0 },
		{ "data offset past the end", { .flags = TH_SYN, .doff = 15 }, 0, 0 },
		{ "bad checksum", { .flags = TH_SYN, .bad_csum = 1 }, 1, 1 },
		{ "data offset below 5", { .flags = TH_SYN, .doff = 4 }, 0, 1 },
	};
	long long errs, csums;
	struct env e;
	struct clasp_pkt *p = &e.p;
	size_t i;

	env_setup(_metadata, &e, NULL);
	listen_on(_metadata, &e, LISTEN_PORT);
	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct clasp_seg s = bad[i].seg;

		s.mss = PEER_MSS;
		s.win = CLASP_PKT_WIN;
		errs = clasp_counter("InErrs");
		csums = clasp_counter("InCsumErrors");
		ASSERT_EQ(0, clasp_pkt_send(p, &s));
		EXPECT_EQ(0, clasp_pkt_expect_none(p, -1)) TH_LOG("%s", bad[i].what);
		EXPECT_EQ(errs + (clasp_is_tcp() ? bad[i].tcp_errs : 1),
			  clasp_counter("InErrs")) TH_LOG("%s", bad[i].what);
		EXPECT_EQ(csums + bad[i].csum, clasp_counter("InCsumErrors")) {
			TH_LOG("%s", bad[i].what);
		}
	}
	expect_objects(_metadata, &e, 1);
	/* The same SYN, well formed, is answered. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
}

/*
 * An accept queue that is full when a handshake completes: the listener
 * has backlog 2, so it queues three connections (full when longer than
 * the backlog, sk_acceptq_is_full()); a fourth request was made while
 * there was room.  Its final ACK is dropped and counted (ListenOverflows,
 * ListenDrops) and the request stays, so the ACK sent again once the
 * application accepted completes it; with abort_on_overflow it is reset
 * and the request goes (tcp_check_req()'s listen_overflow).
 */
static void accept_queue_full(struct __test_metadata *_metadata, bool abort)
{
	static const struct clasp_param params[] = {
		{ "abort_on_overflow", 1 },
		{ NULL, 0 }
	};
	struct clasp_pkt_id third, last;
	long long overflows, drops;
	struct clasp_call acc;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int i;

	env_setup(_metadata, &e, abort ? params : NULL);
	e.lfd = bound_socket(_metadata, CLASP_PKT_LOCAL, LISTEN_PORT);
	ASSERT_LE(0, e.lfd);
	ASSERT_EQ(0, listen(e.lfd, 2));
	/*
	 * Two handshakes complete and wait; two more begin while the queue
	 * has room (a SYN is dropped once it is full), and the third ends.
	 */
	for (i = 0; i < 4; i++) {
		clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT + i);
		ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>",
					      ROUTE_MSS));
		if (i < 2)
			ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
		if (i == 2)
			clasp_pkt_save(p, &third);
	}
	clasp_pkt_save(p, &last);
	clasp_pkt_play(p, &third);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	expect_state(_metadata, &e, TCP_ESTABLISHED);
	clasp_pkt_play(p, &last);

	overflows = clasp_counter("ListenOverflows");
	drops = clasp_counter("ListenDrops");
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	if (abort) {
		/* Nothing here to acknowledge: <SEQ=SEG.ACK><CTL=RST>. */
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R 1:1(0)"));
		expect_state(_metadata, &e, 0);
	} else {
		EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
		expect_state(_metadata, &e, TCP_SYN_RECV);
	}
	EXPECT_EQ(overflows + 1, clasp_counter("ListenOverflows"));
	EXPECT_EQ(drops + 1, clasp_counter("ListenDrops"));
	if (abort)
		return;

	/* Room again: the peer's ACK, sent again, completes the request. */
	ASSERT_LE(0, accept(e.lfd, NULL, NULL)) TH_LOG("accept: %s", strerror(errno));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	expect_state(_metadata, &e, TCP_ESTABLISHED);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, clasp_call_accept(&acc, e.lfd));
		ASSERT_EQ(0, clasp_call_wait(&acc, GUARD_MS)) TH_LOG("accept hangs");
		ASSERT_LE(0, acc.ret) TH_LOG("accept: %s", strerror(acc.err));
		EXPECT_EQ(TCP_ESTABLISHED, clasp_state(acc.ret));
	}
	expect_no_child(_metadata, e.lfd);
}

/* 64 */
TEST(accept_queue_full_drops_the_final_ack)
{
	accept_queue_full(_metadata, false);
}

/* 65 */
TEST(accept_queue_full_with_abort_on_overflow_resets)
{
	accept_queue_full(_metadata, true);
}

/*
 * connect() and TIME_WAIT (TCP's tcp_tw_reuse, tcp_twsk_unique()): a
 * 4-tuple a TIME_WAIT entry holds is taken over when the old connection
 * used timestamps, so that the peer's PAWS tells its segments from the new
 * one's: an ephemeral port with tw_reuse 1 (2: loopback only) once
 * TS.Recent is a second old, a port the socket bound at once.  The new
 * connection starts 65537 past the old snd_nxt.
 */
/* TIME_WAIT lasts a minute here, as TCP's: the tests wait a second in it. */
static const struct clasp_param ts_reuse1[] = {
	{ "timestamps", 1 },
	{ "tw_reuse", 1 },
	{ "msl_ms", 30000 },
	{ NULL, 0 }
};

static const struct clasp_param ts_only[] = {
	{ "timestamps", 1 },
	{ "msl_ms", 30000 },
	{ NULL, 0 }
};

static const struct clasp_param ts_reuse0[] = {
	{ "timestamps", 1 },
	{ "tw_reuse", 0 },
	{ "msl_ms", 30000 },
	{ NULL, 0 }
};

/* The namespace's ephemeral ports: @port alone. */
static void one_ephemeral_port(struct __test_metadata *_metadata,
			       uint16_t port)
{
	ASSERT_EQ(0, clasp_port_range(port, port)) {
		TH_LOG("ip_local_port_range: %s", strerror(errno));
	}
}

/* The second of CLOCK_MONOTONIC, which TS.Recent's age counts in. */
static long long mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec;
}

/* Sleep until just after CLOCK_MONOTONIC's next second begins. */
static void next_second(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	clasp_sleep_ms((1000000000L - t.tv_nsec) / 1000000 + 5);
}

/*
 * A non-blocking socket for the peer, SO_REUSEADDR set (so that its
 * TIME_WAIT entry lets a later bind() have the port), bound to @port, or
 * to an ephemeral port at connect() when @port is 0.
 */
static int reuse_socket(struct __test_metadata *_metadata, uint16_t port)
{
	int one = 1, fd;

	fd = port ? bound_socket(_metadata, CLASP_PKT_LOCAL, port) :
		    clasp_socket();
	EXPECT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* connect() @fd to the peer's @port without waiting: 0 once a SYN is due. */
static int connect_peer(int fd, uint16_t port)
{
	struct clasp_sockaddr to = clasp_sockaddr(CLASP_PKT_PEER, port);

	if (!connect(fd, &to.sa, to.len))
		return 0;
	return errno == EINPROGRESS ? 0 : -errno;
}

/*
 * Connect @fd from ACTIVE_PORT to the peer's @port, the peer answering
 * with timestamps from @tsval on, or without when @tsval is 0, and close
 * it first: TIME_WAIT.  Returns the old connection's SND.NXT.
 */
static uint32_t active_to_time_wait(struct __test_metadata *_metadata,
				    struct env *e, int fd, uint16_t port,
				    uint32_t tsval)
{
	struct clasp_pkt *p = &e->p;
	char win[32], ts[48] = "", ecr[48] = "";

	clasp_pkt_conn(p, ACTIVE_PORT, port);
	clasp_pkt_mark(p);
	EXPECT_EQ(0, connect_peer(fd, port));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, "S 0:0(0) %s<mss %u,nop,nop,TS val 0 ecr 0>",
				      syn_win(fd, win, sizeof(win)), ROUTE_MSS));
	if (tsval)
		snprintf(ts, sizeof(ts), ",nop,nop,TS val %u ecr ours", tsval);
	EXPECT_EQ(0, clasp_pkt_inject(p, "S. 0:0(0) ack 1 <mss %u%s>",
				      PEER_MSS, ts));
	if (tsval)
		snprintf(ecr, sizeof(ecr), " <nop,nop,TS val 0 ecr %u>", tsval);
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1%s", ecr));
	EXPECT_EQ(0, clasp_wait_state(fd, TCP_ESTABLISHED, GUARD_MS));
	clasp_pkt_note(p, "close()");
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, "F. 1:1(0) ack 1%s", ecr));
	if (tsval) {
		snprintf(ts, sizeof(ts), " <nop,nop,TS val %u ecr ours>", tsval + 1);
		snprintf(ecr, sizeof(ecr), " <nop,nop,TS val 0 ecr %u>", tsval + 1);
	}
	EXPECT_EQ(0, clasp_pkt_inject(p, "F. 1:1(0) ack 2%s", ts));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, ". 2:2(0) ack 2%s", ecr));
	expect_state(_metadata, e, TCP_TIME_WAIT);
	return p->local_isn + 2;
}

/*
 * The SYN of a connection that took over a TIME_WAIT entry whose SND.NXT
 * was @old_nxt and whose last TSval sent was @old_tsval.  Its TSecr: clasp
 * 0, as RFC 7323 3.2 asks of a segment without ACK; TCP's carries the
 * TS.Recent it inherits, @ts_recent.
 */
static void expect_reuse_syn(struct __test_metadata *_metadata, struct env *e,
			     int fd, uint32_t old_nxt, uint32_t old_tsval,
			     uint32_t ts_recent)
{
	struct clasp_pkt *p = &e->p;
	char win[32];

	clasp_pkt_conn(p, ACTIVE_PORT, REMOTE_PORT);
	clasp_pkt_mark(p);
	ASSERT_EQ(0, connect_peer(fd, REMOTE_PORT));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S 0:0(0) %s<mss %u,nop,nop,TS val 0 ecr %u>",
				      syn_win(fd, win, sizeof(win)), ROUTE_MSS,
				      clasp_is_tcp() ? ts_recent : 0));
	EXPECT_EQ(old_nxt + 65537, p->local_isn) {
		TH_LOG("ISN %#x, the old SND.NXT %#x", p->local_isn, old_nxt);
	}
	EXPECT_LT(0, (int32_t)(p->local_tsval - old_tsval)) {
		TH_LOG("TSval %u after the old connection's %u", p->local_tsval,
		       old_tsval);
	}
	ASSERT_EQ(0, clasp_pkt_inject(p, "S. 0:0(0) ack 1 <mss %u,nop,nop,TS val 5000 ecr ours>",
				      PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1 <nop,nop,TS val 0 ecr 5000>"));
	EXPECT_EQ(0, clasp_wait_state(fd, TCP_ESTABLISHED, GUARD_MS));
}

/* 66 */
TEST(connect_takes_time_wait_once_its_timestamp_is_a_second_old)
{
	long long recycled, t0;
	uint32_t old_nxt, old_tsval;
	struct env e;
	int fd, ret;

	env_setup(_metadata, &e, ts_reuse1);
	one_ephemeral_port(_metadata, ACTIVE_PORT);
	recycled = clasp_counter("TWRecycled");
	next_second();
	t0 = mono_s();
	fd = reuse_socket(_metadata, 0);
	old_nxt = active_to_time_wait(_metadata, &e, fd, REMOTE_PORT, 1000);
	old_tsval = e.p.local_tsval;

	/* TS.Recent not a second old: the one port is not free yet. */
	fd = reuse_socket(_metadata, 0);
	ret = connect_peer(fd, REMOTE_PORT);
	if (mono_s() == t0) {
		EXPECT_EQ(-EADDRNOTAVAIL, ret);
	} else {
		TH_LOG("a second went by: the young entry's refusal not checked");
	}
	EXPECT_EQ(0, clasp_pkt_expect_none(&e.p, 0));
	close(fd);

	/* A second later it is, with a new sequence space. */
	clasp_sleep_ms(1100);
	fd = reuse_socket(_metadata, 0);
	expect_reuse_syn(_metadata, &e, fd, old_nxt, old_tsval, 1001);
	EXPECT_EQ(recycled + 1, clasp_counter("TWRecycled"));
	close(fd);
}

/* 67 */
TEST(connect_takes_time_wait_on_a_bound_port_only_with_timestamps)
{
	uint32_t old_nxt, old_tsval;
	long long recycled;
	struct env e;
	int fd;

	env_setup(_metadata, &e, ts_reuse0);
	one_ephemeral_port(_metadata, ACTIVE_PORT);
	recycled = clasp_counter("TWRecycled");

	/* tw_reuse 0: an ephemeral port is never taken, however old. */
	fd = reuse_socket(_metadata, 0);
	old_nxt = active_to_time_wait(_metadata, &e, fd, REMOTE_PORT, 1000);
	old_tsval = e.p.local_tsval;
	clasp_sleep_ms(1100);
	fd = reuse_socket(_metadata, 0);
	EXPECT_EQ(-EADDRNOTAVAIL, connect_peer(fd, REMOTE_PORT));
	close(fd);

	/* A port bound with bind() is, at once, whatever tw_reuse says. */
	fd = reuse_socket(_metadata, ACTIVE_PORT);
	expect_reuse_syn(_metadata, &e, fd, old_nxt, old_tsval, 1001);
	EXPECT_EQ(recycled + 1, clasp_counter("TWRecycled"));
	/* Closed both ways: TIME_WAIT again, quiet. */
	close(fd);
	ASSERT_EQ(0, clasp_pkt_expect(&e.p, 0, "F. 1:1(0) ack 1 <nop,nop,TS val 0 ecr 5000>"));
	ASSERT_EQ(0, clasp_pkt_inject(&e.p, "F. 1:1(0) ack 2 <nop,nop,TS val 5001 ecr ours>"));
	ASSERT_EQ(0, clasp_pkt_expect(&e.p, 0, ". 2:2(0) ack 2 <nop,nop,TS val 0 ecr 5001>"));

	/* Without timestamps, not even that: nothing tells the two apart. */
	fd = reuse_socket(_metadata, ACTIVE_PORT);
	ASSERT_LE(0, fd);
	active_to_time_wait(_metadata, &e, fd, REMOTE_PORT + 1, 0);
	fd = reuse_socket(_metadata, ACTIVE_PORT);
	EXPECT_EQ(-EADDRNOTAVAIL, connect_peer(fd, REMOTE_PORT + 1));
	EXPECT_EQ(recycled + 1, clasp_counter("TWRecycled"));
	EXPECT_EQ(0, clasp_pkt_expect_none(&e.p, 0));
	close(fd);
}

/* 68 */
TEST(connect_leaves_time_wait_off_loopback_by_default)
{
	struct env e;
	int fd;

	/* tw_reuse 2, the default: the tun's addresses are not loopback. */
	env_setup(_metadata, &e, ts_only);
	one_ephemeral_port(_metadata, ACTIVE_PORT);
	fd = reuse_socket(_metadata, 0);
	active_to_time_wait(_metadata, &e, fd, REMOTE_PORT, 1000);
	clasp_sleep_ms(1100);
	fd = reuse_socket(_metadata, 0);
	EXPECT_EQ(-EADDRNOTAVAIL, connect_peer(fd, REMOTE_PORT));
	EXPECT_EQ(0, clasp_pkt_expect_none(&e.p, 0));
	close(fd);
}

/* 69 */
TEST(connect_passes_by_a_port_a_closed_bound_socket_left_in_time_wait)
{
	struct env e;
	int fd;

	/*
	 * The one ephemeral port was bound with bind(): its TIME_WAIT entry
	 * keeps it out of connect()'s search for another peer's port too,
	 * as TCP's bucket with fastreuse set does.
	 */
	env_setup(_metadata, &e, ts_reuse1);
	one_ephemeral_port(_metadata, ACTIVE_PORT);
	fd = reuse_socket(_metadata, ACTIVE_PORT);
	ASSERT_LE(0, fd);
	active_to_time_wait(_metadata, &e, fd, REMOTE_PORT, 1000);
	fd = reuse_socket(_metadata, 0);
	EXPECT_EQ(-EADDRNOTAVAIL, connect_peer(fd, REMOTE_PORT + 1));
	EXPECT_EQ(0, clasp_pkt_expect_none(&e.p, 0));
	close(fd);
}

CLASP_HARNESS_MAIN
