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
	struct sockaddr_in self = clasp_addr("127.0.0.1", ACTIVE_PORT + 1);
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
	fd = bound_socket(_metadata, "127.0.0.1", ACTIVE_PORT + 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&self, sizeof(self))) {
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
	long long gone, killed, fin_us;
	struct clasp_call acc;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	env_setup(_metadata, &e, NULL);
	listen_on(_metadata, &e, LISTEN_PORT);

	/* A retransmitted FIN is acknowledged again and restarts 2*MSL. */
	fd = passive_open(_metadata, &e, PEER_PORT);
	close_to_time_wait(_metadata, &e, fd);
	clasp_sleep_ms(MSL_MS + MSL_MS / 5);
	ASSERT_EQ(0, clasp_pkt_inject(p, "F. 1:1(0) ack 2"));
	fin_us = p->sent_us;
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 2:2(0) ack 2"));
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

/*
 * A connection the peer opened with a window of @segs full segments from
 * the start (Linux takes no smaller window later at the same sequence
 * numbers), and @writes full segments written to it.
 */
static int open_narrow(struct __test_metadata *_metadata, struct env *e,
		       int segs, int writes)
{
	static const char seg[PEER_MSS];
	struct clasp_pkt *p = &e->p;
	struct clasp_call acc;
	int fd, i;

	env_setup(_metadata, e, data_timers);
	listen_on(_metadata, e, LISTEN_PORT);
	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT);
	EXPECT_EQ(0, clasp_call_accept(&acc, e->lfd));
	EXPECT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) win %u <mss %u>",
				      segs * PEER_MSS, PEER_MSS));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>",
				      ROUTE_MSS));
	EXPECT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1 win %u",
				      segs * PEER_MSS));
	EXPECT_EQ(0, clasp_call_wait(&acc, GUARD_MS)) TH_LOG("accept hangs");
	fd = acc.ret;
	EXPECT_LE(0, fd) TH_LOG("accept: %s", strerror(acc.err));
	if (fd < 0)
		return -1;
	clasp_pkt_note(p, "send() %d x %u bytes", writes, PEER_MSS);
	for (i = 0; i < writes; i++)
		EXPECT_EQ(PEER_MSS, send(fd, seg, sizeof(seg), 0));
	return fd;
}

/* 24 */
TEST(late_ack_after_timeout_sends_the_rest)
{
	const char *mid = clasp_is_tcp() ? "." : "P.";
	struct env e;
	struct clasp_pkt *p = &e.p;

	/* The peer's window admits two segments; five are written. */
	ASSERT_LE(0, open_narrow(_metadata, &e, 2, 5));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:1201(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1201:2401(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, RTO_MS, "P. 1:1201(1200) ack 1"));
	/*
	 * The ACK for the first flight arrives after the timeout: it covers
	 * the segment the retransmission would have sent next.  What the
	 * window now admits goes at once, as from TCP.
	 */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 2401 win %u",
				      2 * PEER_MSS));
	/* TCP joined the writes the window held back: one PSH, at the end. */
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "%s 2401:3601(1200) ack 1", mid));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "%s 3601:4801(1200) ack 1", mid));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 4801 win %u",
				      2 * PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 4801:6001(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 6001 win %u",
				      2 * PEER_MSS));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* The connection's loss recovery state (netlink, or TCP's sock_diag). */
static void expect_ca_state(struct __test_metadata *_metadata,
			    const struct clasp_pkt *p, int want)
{
	struct clasp_pkt_info info;

	ASSERT_EQ(0, clasp_pkt_info(p, &info));
	EXPECT_EQ(want, info.ca_state);
}

/* Five full segments from @fd, 1:6001, seen on the wire. */
static void send_five(struct __test_metadata *_metadata, struct clasp_pkt *p,
		      int fd)
{
	static const char seg[PEER_MSS];
	int i;

	clasp_pkt_note(p, "send() 5 x %u bytes", PEER_MSS);
	for (i = 0; i < 5; i++)
		ASSERT_EQ(PEER_MSS, send(fd, seg, sizeof(seg), 0));
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. %d:%d(1200) ack 1",
					      1 + 1200 * i, 1201 + 1200 * i));
}

/* 25 */
TEST(fast_retransmit_then_each_partial_ack_sends_the_next_hole)
{
	long long recoveries, fast;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = env_established(_metadata, &e, data_timers);
	recoveries = clasp_counter("RenoRecovery");
	fast = clasp_counter("FastRetrans");
	send_five(_metadata, p, fd);
	/* The first and the third are lost: three duplicate ACKs. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, RTO_MS / 4));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:1201(1200) ack 1"));
	expect_ca_state(_metadata, p, TCP_CA_Recovery);
	/* A partial ACK (RFC 6582): the next hole goes at once. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 2401"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 2401:3601(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 6001"));
	EXPECT_EQ(recoveries + 1, clasp_counter("RenoRecovery"));
	EXPECT_EQ(fast + 2, clasp_counter("FastRetrans"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 26 */
TEST(timeout_resends_the_oldest_then_the_holes_not_the_flight)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = env_established(_metadata, &e, data_timers);
	send_five(_metadata, p, fd);
	/* The first and the third are lost, and the ACKs of the rest. */
	ASSERT_EQ(0, clasp_pkt_expect(p, RTO_MS, "P. 1:1201(1200) ack 1"));
	expect_ca_state(_metadata, p, TCP_CA_Loss);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, RTO_MS / 4));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 2401"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 2401:3601(1200) ack 1"));
	/*
	 * TCP without SACK resends everything outstanding after a timeout,
	 * in slow start: the three segments left, for this ACK.
	 */
	if (clasp_is_tcp()) {
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 3601:4801(1200) ack 1"));
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 4801:6001(1200) ack 1"));
	}
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 6001"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 27 */
TEST(spurious_timeout_found_by_frto_sends_nothing_twice)
{
	long long spurious;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int i;

	/* A window of five segments; seven are written. */
	ASSERT_LE(0, open_narrow(_metadata, &e, 5, 7));
	spurious = clasp_counter("SpuriousRTOs");
	for (i = 0; i < 5; i++)
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. %d:%d(1200) ack 1",
					      1 + 1200 * i, 1201 + 1200 * i));
	/* The ACKs are late, not lost: the timeout resends the oldest. */
	ASSERT_EQ(0, clasp_pkt_expect(p, RTO_MS, "P. 1:1201(1200) ack 1"));
	/* RFC 5682 2b: the first ACK of the first flight; new data, not the next. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1201 win 6000"));
	/* TCP joined the writes the window held back: one PSH, at the end. */
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "%s 6001:7201(1200) ack 1",
				      clasp_is_tcp() ? "." : "P."));
	/* 3b: a second one: the timeout was spurious. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 2401 win 6000"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 7201:8401(1200) ack 1"));
	expect_ca_state(_metadata, p, TCP_CA_Open);
	EXPECT_EQ(spurious + 1, clasp_counter("SpuriousRTOs"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 8401 win 6000"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* Segments the module holds beyond a hole (netlink), -1 if unknown. */
static long long ooo_segs(const struct clasp_pkt *p)
{
	struct clasp_pkt_info info;

	return clasp_pkt_info(p, &info) ? -1 : info.ooo_segs;
}

/* Read @len bytes and check they are the peer's, from relative seq 1. */
static void expect_stream(struct __test_metadata *_metadata, int fd,
			  size_t len)
{
	static char got[8192], want[8192];

	ASSERT_GE(sizeof(got), len);
	ASSERT_EQ((ssize_t)len, recv(fd, got, len, MSG_WAITALL)) {
		TH_LOG("recv: %s", strerror(errno));
	}
	clasp_pkt_fill(1, want, len);
	EXPECT_EQ(0, memcmp(got, want, len)) TH_LOG("the stream differs");
}

/* 28 */
TEST(hole_filled_later_acks_the_queued_data_at_once)
{
	long long queued;
	struct env e;
	struct clasp_pkt *p = &e.p;
	char c;
	int fd;

	fd = env_established(_metadata, &e, NULL);
	queued = clasp_counter("OFOQueue");
	/* The first segment is lost: the next two wait, each a dup ACK. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1201:2401(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 2401:3601(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	EXPECT_EQ(queued + 2, clasp_counter("OFOQueue"));
	if (!clasp_is_tcp())
		EXPECT_EQ(2, ooo_segs(p));
	EXPECT_EQ(-1, recv(fd, &c, 1, MSG_DONTWAIT)) TH_LOG("readable");
	/* Its retransmission acknowledges everything (RFC 5681 4.2). */
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:1201(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 3601"));
	expect_stream(_metadata, fd, 3600);
	if (!clasp_is_tcp())
		EXPECT_EQ(0, ooo_segs(p));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 29 */
TEST(overlapping_segments_beyond_a_hole_arrive_once)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = env_established(_metadata, &e, NULL);
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 2401:3601(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	/* A copy, one that overlaps its start, one it contains. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 2401:3601(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1801:3001(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 3001:3201(200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	/* One that meets them, then the first, overlapping it. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 601:1801(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:1201(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 3601"));
	expect_stream(_metadata, fd, 3600);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 30 */
TEST(fin_beyond_a_hole_waits_for_it)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	char c;
	int fd;

	fd = env_established(_metadata, &e, NULL);
	ASSERT_EQ(0, clasp_pkt_inject(p, "FP. 1201:2401(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:1201(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 2402"));
	EXPECT_EQ(TCP_CLOSE_WAIT, clasp_state(fd));
	expect_stream(_metadata, fd, 2400);
	EXPECT_EQ(0, recv(fd, &c, 1, 0));
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

	inet_pton(AF_INET, s->peer, &p->peer_addr);
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

/* 32 */
TEST(isn_unrelated_per_tuple_and_increasing)
{
	struct isn_sample s[] = {
		{ CLASP_PKT_PEER, LISTEN_PORT, PEER_PORT },
		{ CLASP_PKT_PEER, LISTEN_PORT, PEER_PORT + 1 },
		{ CLASP_PKT_PEER2, LISTEN_PORT, PEER_PORT },
		{ CLASP_PKT_PEER, LISTEN_PORT + 1, PEER_PORT },
		{ CLASP_PKT_PEER, LISTEN_PORT, PEER_PORT },	/* later */
	};
	const int n = ARRAY_SIZE(s);
	struct env e;
	double rate;		/* ISN clock ticks per microsecond */
	int32_t grew;
	int i, lfd2;

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

	/*
	 * Other 4-tuples: their ISN is not the first one's plus the clock,
	 * which it would be within ISN_CLOCK_MS if the 4-tuple did not count.
	 */
	for (i = 1; i < n - 1; i++) {
		double clock = rate * (s[i].at_us - s[0].at_us);
		double off = (double)(int32_t)(s[i].isn - s[0].isn - (uint32_t)(int64_t)clock);

		EXPECT_LT(rate * ISN_CLOCK_MS * 1000, off < 0 ? -off : off) {
			TH_LOG("tuple %d: ISN %#x follows %#x by the clock only",
			       i, s[i].isn, s[0].isn);
		}
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
 * Delayed ACKs (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2, RFC 5681 4.2), with
 * Linux TCP's quick-ACK mode: the first segments of a connection are
 * acknowledged at once, later ones within DELACK_MS or at the second
 * full-sized segment.  The delay is not a tunable (TCP's is fixed too), so
 * it is not scaled; a loaded host only delays, so the lower bound holds
 * (TCP's timer counts in jiffies: a little early is 4 ms).
 */
#define DELACK_MS	40	/* TCP_DELACK_MIN */
#define DELACK_LOW_US	30000LL	/* no delayed ACK comes sooner */
#define QUICKACKS	16	/* TCP_MAX_QUICKACKS */

static int set_quickack(int fd, int val)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &val, sizeof(val));
}

static int get_quickack(int fd)
{
	socklen_t len = sizeof(int);
	int val = -1;

	if (getsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &val, &len))
		return -1;
	return val;
}

/*
 * The delayed ACK for the segment just injected: DELACK_MS after it, not
 * sooner, sent by the timer (DelayedACKs).
 */
static void expect_delayed_ack(struct __test_metadata *_metadata,
			       struct clasp_pkt *p, uint32_t ack)
{
	long long before = clasp_counter("DelayedACKs");
	long long sent = p->sent_us;

	ASSERT_EQ(0, clasp_pkt_expect(p, DELACK_MS, ". 1:1(0) ack %u", ack));
	EXPECT_LE(sent + DELACK_LOW_US, p->ref_us) {
		TH_LOG("ACK of %u after %lld us: not delayed", ack,
		       p->ref_us - sent);
	}
	EXPECT_EQ(before + 1, clasp_counter("DelayedACKs"));
}

/* 34 */
TEST(quick_acks_at_start_then_delayed_ack)
{
	struct clasp_pkt_info info;
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long delayed;
	uint32_t seq = 1;
	int fd, i;

	fd = env_established(_metadata, &e, NULL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, get_quickack(fd));
	/* Quick-ACK mode: the first segments are acknowledged at once. */
	delayed = clasp_counter("DelayedACKs");
	for (i = 0; i < QUICKACKS; i++, seq += 10) {
		ASSERT_EQ(0, clasp_pkt_inject(p, "P. %u:%u(10) ack 1", seq, seq + 10));
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack %u", seq + 10));
	}
	EXPECT_EQ(delayed, clasp_counter("DelayedACKs"));
	/* Then a lone segment waits for the delayed-ACK timer. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. %u:%u(10) ack 1", seq, seq + 10));
	if (clasp_only_check("the delayed-ACK timer in the netlink dump: TCP's sock_diag shows none")) {
		ASSERT_EQ(0, clasp_pkt_info(p, &info));
		EXPECT_EQ(CLASP_TIMER_DELACK, info.timer);
		EXPECT_GE(DELACK_MS, info.timer_ms);
	}
	expect_delayed_ack(_metadata, p, seq + 10);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
}

/* 35 */
TEST(quickack_option_delays_then_timer_ends_pingpong)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long delayed;
	int fd;

	fd = env_established(_metadata, &e, NULL);
	ASSERT_LE(0, fd);
	/* TCP_QUICKACK 0: interactive mode, no quick ACKs, even at start. */
	ASSERT_EQ(0, set_quickack(fd, 0));
	EXPECT_EQ(0, get_quickack(fd));
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:11(10) ack 1"));
	expect_delayed_ack(_metadata, p, 11);
	/*
	 * No reply came to carry the ACK, so the timer ended interactive
	 * mode: quick ACKs again, as TCP (tcp_delack_timer_handler()).
	 */
	EXPECT_EQ(1, get_quickack(fd));
	delayed = clasp_counter("DelayedACKs");
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 11:21(10) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 21"));
	EXPECT_EQ(delayed, clasp_counter("DelayedACKs"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/*
 * Full segments, one at a time, each acknowledged and read, until one
 * waits for the timer: past the quick ACKs (and for TCP, past the growth
 * of its window: tcp_grow_window() asks for a quick ACK each time).
 */
#define WARMUP_MAX	400

/* 36 */
TEST(delayed_ack_every_second_full_segment)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	const uint32_t m = ROUTE_MSS;
	int lowat = 3 * ROUTE_MSS;
	char buf[ROUTE_MSS];
	long long delayed;
	uint32_t seq = 1;
	int fd, i;

	fd = env_established(_metadata, &e, NULL);
	ASSERT_LE(0, fd);
	for (i = 0; i < WARMUP_MAX; i++) {
		delayed = clasp_counter("DelayedACKs");
		ASSERT_EQ(0, clasp_pkt_inject(p, ". %u:%u(%u) ack 1", seq, seq + m, m));
		seq += m;
		ASSERT_EQ(0, clasp_pkt_expect(p, DELACK_MS, ". 1:1(0) ack %u", seq));
		ASSERT_EQ((int)m, recv(fd, buf, sizeof(buf), MSG_WAITALL));
		if (clasp_counter("DelayedACKs") != delayed)
			break;
	}
	ASSERT_GT(WARMUP_MAX, i) TH_LOG("every ACK comes at once");
	/* clasp: the quick ACKs, then one delayed. */
	if (!clasp_is_tcp())
		EXPECT_EQ(QUICKACKS, i);
	/*
	 * The reader waits for three segments (SO_RCVLOWAT), so nothing
	 * reads them: TCP then acknowledges every second one at once
	 * whatever the window (__tcp_ack_snd_check()); without a low-water
	 * mark it waits for the read to send that ACK (tcp_cleanup_rbuf()).
	 */
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)));
	delayed = clasp_counter("DelayedACKs");
	ASSERT_EQ(0, clasp_pkt_inject(p, ". %u:%u(%u) ack 1", seq, seq + m, m));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". %u:%u(%u) ack 1", seq + m, seq + 2 * m, m));
	seq += 2 * m;
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack %u", seq));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1)) TH_LOG("a second ACK");
	EXPECT_EQ(delayed, clasp_counter("DelayedACKs"));
	/* A third, alone: the timer. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". %u:%u(%u) ack 1", seq, seq + m, m));
	expect_delayed_ack(_metadata, p, seq + m);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
}

/* 37 */
TEST(window_opened_by_a_read_is_advertised_at_once)
{
	int small = 4096, n, got = 0;
	unsigned int closed;
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long delayed;
	char buf[65536];
	uint32_t seq = 1;
	int fd;

	env_setup(_metadata, &e, NULL);
	listen_on(_metadata, &e, LISTEN_PORT);
	ASSERT_EQ(0, setsockopt(e.lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	fd = passive_open(_metadata, &e, PEER_PORT);
	ASSERT_LE(0, fd);
	/* Fill the window it offered; each segment is acknowledged in time. */
	closed = e.syn_win;
	while (closed) {
		uint32_t len = closed < ROUTE_MSS ? closed : ROUTE_MSS;

		ASSERT_EQ(0, clasp_pkt_inject(p, "P. %u:%u(%u) ack 1", seq, seq + len, len));
		seq += len;
		ASSERT_EQ(0, clasp_pkt_expect(p, DELACK_MS, ". 1:1(0) ack %u", seq));
		closed = last_win(p);
		ASSERT_GT(40, seq / ROUTE_MSS) TH_LOG("the window does not close");
	}
	/* The reader empties the queue: the window opens, and says so. */
	delayed = clasp_counter("DelayedACKs");
	while (got < (int)(seq - 1)) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		ASSERT_LT(0, n) TH_LOG("recv: %s", strerror(errno));
		got += n;
	}
	clasp_pkt_mark(p);
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack %u", seq));
	EXPECT_LT(0, last_win(p));
	EXPECT_EQ(delayed, clasp_counter("DelayedACKs"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/*
 * Nagle (RFC 896, RFC 1122 4.2.3.4) with Minshall's refinement, as TCP's
 * tcp_nagle_test(): a short segment waits while a short one sent before
 * is unacknowledged, unless TCP_NODELAY; TCP_CORK holds short segments
 * until they fill or the cork comes off.  The module's MSS is PEER_MSS.
 */
static int set_tcp_opt(int fd, int opt, int val)
{
	return setsockopt(fd, IPPROTO_TCP, opt, &val, sizeof(val));
}

/* 38 */
TEST(nagle_holds_short_write_behind_unacked_short_segment)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = env_established(_metadata, &e, NULL);
	ASSERT_LE(0, fd);
	/* Nothing in flight: a short write goes at once. */
	ASSERT_EQ(10, send(fd, "0123456789", 10, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:11(10) ack 1"));
	/* Behind it, two more wait for its ACK, and then go as one. */
	ASSERT_EQ(10, send(fd, "abcdefghij", 10, 0));
	ASSERT_EQ(5, send(fd, "klmno", 5, 0));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1)) TH_LOG("Nagle did not hold");
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 11"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 11:26(15) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 26"));
	/* A full segment is never held, short ones in flight or not. */
	ASSERT_EQ(3, send(fd, "xyz", 3, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 26:29(3) ack 1"));
	{
		static const char full[PEER_MSS];

		ASSERT_EQ(PEER_MSS, send(fd, full, sizeof(full), 0));
	}
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 29:%u(%u) ack 1",
				      29 + PEER_MSS, PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %u", 29 + PEER_MSS));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 39 */
TEST(nodelay_sends_short_writes_at_once_and_what_waits)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = env_established(_metadata, &e, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(10, send(fd, "0123456789", 10, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:11(10) ack 1"));
	ASSERT_EQ(10, send(fd, "abcdefghij", 10, 0));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1)) TH_LOG("Nagle did not hold");
	/* Setting TCP_NODELAY sends what waits, and later writes at once. */
	ASSERT_EQ(0, set_tcp_opt(fd, TCP_NODELAY, 1));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 11:21(10) ack 1"));
	ASSERT_EQ(10, send(fd, "ABCDEFGHIJ", 10, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 21:31(10) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 31"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 40 */
TEST(cork_holds_until_full_or_uncorked)
{
	static const char fill[PEER_MSS];
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = env_established(_metadata, &e, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_tcp_opt(fd, TCP_CORK, 1));
	/* Corked, even with nothing in flight: held until a segment fills. */
	ASSERT_EQ(100, send(fd, fill, 100, 0));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1)) TH_LOG("the cork did not hold");
	ASSERT_EQ(PEER_MSS - 100, send(fd, fill, PEER_MSS - 100, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:%u(%u) ack 1",
				      1 + PEER_MSS, PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %u", 1 + PEER_MSS));
	/* The rest of a write waits; uncorking sends it. */
	ASSERT_EQ(100, send(fd, fill, 100, 0));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1)) TH_LOG("the cork did not hold");
	ASSERT_EQ(0, set_tcp_opt(fd, TCP_CORK, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. %u:%u(100) ack 1",
				      1 + PEER_MSS, 101 + PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %u", 101 + PEER_MSS));
	/* MSG_MORE corks one write; the next without it sends both. */
	ASSERT_EQ(10, send(fd, fill, 10, MSG_MORE));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1)) TH_LOG("MSG_MORE did not hold");
	ASSERT_EQ(10, send(fd, fill, 10, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. %u:%u(20) ack 1",
				      101 + PEER_MSS, 121 + PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %u", 121 + PEER_MSS));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/*
 * RFC 7323 and RFC 2018's SACK-permitted.  base_params turns window
 * scaling, timestamps and SACK off (every scenario above is written for
 * SYNs with the MSS alone); these tests turn them on again, TCP's sysctls
 * in the TCP lane (tcp_params()).
 */
static const struct clasp_param opts_on[] = {
	{ "window_scaling", 1 },
	{ "timestamps", 1 },
	{ "sack", 1 },
	{ NULL, 0 }
};

static const struct clasp_param opts_on_cookies[] = {
	{ "window_scaling", 1 },
	{ "timestamps", 1 },
	{ "sack", 1 },
	{ "syncookies", 2 },
	{ NULL, 0 }
};

#define TS_ROOM		12	/* NOP, NOP, timestamps: less payload per segment */

static char payload[1000];

/*
 * rmem_max, read when the program starts: a namespace of its own (6.1)
 * does not show net.core.rmem_max, which is global anyway.
 */
static long long rmem_max_init = -1;

static long long read_sysctl(const char *path, int field);

__attribute__((constructor)) static void read_rmem_max(void)
{
	rmem_max_init = read_sysctl("/proc/sys/net/core/rmem_max", 0);
}

static long long read_sysctl(const char *path, int field)
{
	long long v[3] = { 0 };
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%lld %lld %lld", &v[0], &v[1], &v[2]) < field + 1)
		v[field] = -1;
	fclose(f);
	return v[field];
}

/*
 * The window shift the module announces for @fd (a listener or a socket
 * about to connect): the smallest that lets the window field cover the
 * largest buffer it plans for.  clasp: half of its receive buffer or of
 * what SO_RCVBUF could still ask (2 * rmem_max); TCP: max(tcp_rmem[2],
 * rmem_max) (tcp_select_initial_window()).
 */
static int our_wscale(int fd)
{
	long long rmem_max = rmem_max_init;
	long long space;
	int rcvbuf = 0, shift = 0;
	socklen_t len = sizeof(rcvbuf);

	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
	if (clasp_is_tcp()) {
		space = read_sysctl("/proc/sys/net/ipv4/tcp_rmem", 2);
		if (space < rmem_max)
			space = rmem_max;
	} else {
		space = (rcvbuf > 2 * rmem_max ? rcvbuf : 2 * rmem_max) / 2;
	}
	while (space > 65535 && shift < 14) {
		space >>= 1;
		shift++;
	}
	return shift;
}

static void get_tcp_info(struct __test_metadata *_metadata, int fd,
			 struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len)) {
		TH_LOG("TCP_INFO: %s", strerror(errno));
	}
}

/* A connection the peer opened offering @syn_opts; the SYN-ACK must carry @synack_opts. */
static int passive_open_opts(struct __test_metadata *_metadata, struct env *e,
			     uint16_t peer_port, const char *syn_opts,
			     const char *synack_opts, const char *ack_opts)
{
	struct clasp_pkt *p = &e->p;
	struct clasp_call acc;

	clasp_pkt_conn(p, LISTEN_PORT, peer_port);
	if (clasp_call_accept(&acc, e->lfd))
		return -1;
	EXPECT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) %s", syn_opts));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 %s", synack_opts));
	EXPECT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1 %s", ack_opts));
	if (clasp_call_wait(&acc, GUARD_MS)) {
		TH_LOG("accept hangs");
		return -1;
	}
	return acc.ret;
}

/* 41 */
TEST(passive_open_negotiates_wscale_ts_sackok)
{
	struct tcp_info ti;
	struct env e;
	struct clasp_pkt *p = &e.p;
	char synack[160];
	int fd, ws;

	env_setup(_metadata, &e, opts_on);
	listen_on(_metadata, &e, LISTEN_PORT);
	ws = our_wscale(e.lfd);

	/* Everything offered: everything in the SYN-ACK, Linux's layout. */
	snprintf(synack, sizeof(synack),
		 "<mss %u,sackOK,TS val 0 ecr 1000,nop,wscale %d>", ROUTE_MSS, ws);
	fd = passive_open_opts(_metadata, &e, PEER_PORT,
			       "<mss 1200,sackOK,TS val 1000 ecr 0,nop,wscale 7>",
			       synack, "<nop,nop,TS val 1001 ecr ours>");
	ASSERT_LE(0, fd);
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE,
		  ti.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK |
				     TCPI_OPT_WSCALE));
	EXPECT_EQ(7, (int)ti.tcpi_snd_wscale);
	EXPECT_EQ(ws, (int)ti.tcpi_rcv_wscale);
	/* Timestamps take 12 bytes of every segment. */
	EXPECT_EQ(PEER_MSS - TS_ROOM, ti.tcpi_snd_mss);

	/*
	 * The peer's windows are scaled from now on: 10 << 7 = 1280 bytes
	 * take 1000 bytes in one segment, where 10 would take 10.  Ours
	 * too: the field times 2^ws is the window in bytes.
	 */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1 win 10 <nop,nop,TS val 1002 ecr ours>"));
	ASSERT_EQ(1000, send(fd, payload, 1000, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:1001(1000) ack 1 <nop,nop,TS val 0 ecr 1002>"));
	if (clasp_only_check("the window offered: TCP opens its own gradually (rcv_ssthresh)"))
		EXPECT_LT(65535, (long long)last_win(p) << ws);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));

	/* Nothing offered: nothing in the SYN-ACK, nothing on segments. */
	fd = passive_open_opts(_metadata, &e, PEER_PORT + 1, "<mss 1200>",
			       "<mss 1460>", "");
	ASSERT_LE(0, fd);
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(0, ti.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK |
					TCPI_OPT_WSCALE));
	EXPECT_EQ(PEER_MSS, ti.tcpi_snd_mss);
	ASSERT_EQ(5, send(fd, "hello", 5, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:6(5) ack 1"));

	/* SACK-permitted alone; window scaling alone. */
	fd = passive_open_opts(_metadata, &e, PEER_PORT + 2, "<mss 1200,nop,nop,sackOK>",
			       "<mss 1460,nop,nop,sackOK>", "");
	ASSERT_LE(0, fd);
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCPI_OPT_SACK, ti.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK |
						    TCPI_OPT_WSCALE));
	snprintf(synack, sizeof(synack), "<mss %u,nop,wscale %d>", ROUTE_MSS, ws);
	fd = passive_open_opts(_metadata, &e, PEER_PORT + 3, "<mss 1200,nop,wscale 3>",
			       synack, "");
	ASSERT_LE(0, fd);
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCPI_OPT_WSCALE, ti.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK |
						      TCPI_OPT_WSCALE));
	EXPECT_EQ(3, (int)ti.tcpi_snd_wscale);
}

/* 42 */
TEST(active_open_offers_wscale_ts_sackok)
{
	struct clasp_call con;
	struct tcp_info ti;
	struct env e;
	struct clasp_pkt *p = &e.p;
	struct sockaddr_in to = clasp_addr(CLASP_PKT_PEER, REMOTE_PORT);
	char win[32];
	int fd, ws;

	env_setup(_metadata, &e, opts_on);
	fd = bound_socket(_metadata, CLASP_PKT_LOCAL, ACTIVE_PORT);
	ASSERT_LE(0, fd);
	ws = our_wscale(fd);
	clasp_pkt_conn(p, ACTIVE_PORT, REMOTE_PORT);
	clasp_pkt_mark(p);	/* the SYN is due from now */
	ASSERT_EQ(0, clasp_call_connect(&con, fd, &to));
	/* The SYN offers all three, its TSecr 0 and its window unscaled. */
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S 0:0(0) %s<mss %u,sackOK,TS val 0 ecr 0,nop,wscale %d>",
				      syn_win(fd, win, sizeof(win)), ROUTE_MSS, ws));
	ASSERT_EQ(0, clasp_pkt_inject(p, "S. 0:0(0) ack 1 <mss 1200,sackOK,TS val 5000 ecr ours,nop,wscale 2>"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1 <nop,nop,TS val 0 ecr 5000>"));
	ASSERT_EQ(0, clasp_call_wait(&con, GUARD_MS)) TH_LOG("connect hangs");
	ASSERT_EQ(0, con.ret) TH_LOG("connect: %s", strerror(con.err));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE,
		  ti.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK |
				     TCPI_OPT_WSCALE));
	EXPECT_EQ(2, (int)ti.tcpi_snd_wscale);
	EXPECT_EQ(ws, (int)ti.tcpi_rcv_wscale);

	/* A peer that offers none of them: none are used. */
	fd = bound_socket(_metadata, CLASP_PKT_LOCAL, ACTIVE_PORT + 1);
	ASSERT_LE(0, fd);
	clasp_pkt_conn(p, ACTIVE_PORT + 1, REMOTE_PORT);
	clasp_pkt_mark(p);
	ASSERT_EQ(0, clasp_call_connect(&con, fd, &to));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S 0:0(0) %s<mss %u,sackOK,TS val 0 ecr 0,nop,wscale %d>",
				      syn_win(fd, win, sizeof(win)), ROUTE_MSS, ws));
	ASSERT_EQ(0, clasp_pkt_inject(p, "S. 0:0(0) ack 1 win 100 <mss 1200>"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&con, GUARD_MS)) TH_LOG("connect hangs");
	ASSERT_EQ(0, con.ret) TH_LOG("connect: %s", strerror(con.err));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(0, ti.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK |
					TCPI_OPT_WSCALE));
	ASSERT_EQ(5, send(fd, "hello", 5, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:6(5) ack 1"));
}

/* 43 */
TEST(tsecr_echoes_ts_recent_by_rfc7323_rules)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	env_setup(_metadata, &e, opts_on);
	listen_on(_metadata, &e, LISTEN_PORT);
	/* No SACK: TCP's duplicate ACKs would carry blocks clasp does not send yet. */
	fd = passive_open_opts(_metadata, &e, PEER_PORT,
			       "<mss 1200,nop,nop,TS val 1000 ecr 0>",
			       "<mss 1460,nop,nop,TS val 0 ecr 1000>",
			       "<nop,nop,TS val 1001 ecr ours>");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:11(10) ack 1 <nop,nop,TS val 2000 ecr ours>"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 11 <nop,nop,TS val 0 ecr 2000>"));
	/*
	 * Beyond a hole: acknowledged at once, but its TSval is not kept
	 * (its sequence number is past the last ACK sent, RFC 7323 4.3).
	 */
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 21:31(10) ack 1 <nop,nop,TS val 3000 ecr ours>"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 11 <nop,nop,TS val 0 ecr 2000>"));
	/* The hole filled: its TSval, older than 3000 but newer than 2000, is echoed. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 11:21(10) ack 1 <nop,nop,TS val 2500 ecr ours>"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 31 <nop,nop,TS val 0 ecr 2500>"));
	expect_stream(_metadata, fd, 30);
	/* Our data and FIN carry timestamps too. */
	ASSERT_EQ(3, send(fd, "abc", 3, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:4(3) ack 31 <nop,nop,TS val 0 ecr 2500>"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 31:31(0) ack 4 <nop,nop,TS val 2600 ecr ours>"));
	/* A RST from the socket carries them, as TCP's. */
	{
		struct linger lin = { 1, 0 };

		ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)));
	}
	close(fd);
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R. 4:4(0) ack 31 <nop,nop,TS val 0 ecr 2600>"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 44 */
TEST(paws_drops_old_tsval_with_dup_ack)
{
	long long paws;
	struct env e;
	struct clasp_pkt *p = &e.p;
	char buf[64];
	int fd;

	env_setup(_metadata, &e, opts_on);
	listen_on(_metadata, &e, LISTEN_PORT);
	fd = passive_open_opts(_metadata, &e, PEER_PORT,
			       "<mss 1200,nop,nop,TS val 1000 ecr 0>",
			       "<mss 1460,nop,nop,TS val 0 ecr 1000>",
			       "<nop,nop,TS val 1001 ecr ours>");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:11(10) ack 1 <nop,nop,TS val 2000 ecr ours>"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 11 <nop,nop,TS val 0 ecr 2000>"));
	paws = clasp_counter("PAWSEstab");
	/* In sequence, but its TSval is from an earlier wrap: dropped, dup ACK. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 11:21(10) ack 1 <nop,nop,TS val 1000 ecr ours>"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 11 <nop,nop,TS val 0 ecr 2000>"));
	EXPECT_EQ(paws + 1, clasp_counter("PAWSEstab"));
	EXPECT_EQ(10, recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(-1, recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) TH_LOG("the old segment was taken");
	/* One tick old passes (TCP_PAWS_WINDOW), and so does a RST. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 11:21(10) ack 1 <nop,nop,TS val 1999 ecr ours>"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 21 <nop,nop,TS val 0 ecr 2000>"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "R. 21:21(0) ack 1 <nop,nop,TS val 5 ecr ours>"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	EXPECT_EQ(paws + 1, clasp_counter("PAWSEstab"));
	EXPECT_EQ(TCP_CLOSE, clasp_state(fd));
}

/* 45 */
TEST(paws_in_time_wait_and_ts_reopen)
{
	long long paws;
	struct clasp_call acc;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	env_setup(_metadata, &e, opts_on);
	listen_on(_metadata, &e, LISTEN_PORT);
	fd = passive_open_opts(_metadata, &e, PEER_PORT,
			       "<mss 1200,nop,nop,TS val 1000 ecr 0>",
			       "<mss 1460,nop,nop,TS val 0 ecr 1000>",
			       "<nop,nop,TS val 1001 ecr ours>");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "F. 1:1(0) ack 1 <nop,nop,TS val 0 ecr 1001>"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "F. 1:1(0) ack 2 <nop,nop,TS val 2000 ecr ours>"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 2:2(0) ack 2 <nop,nop,TS val 0 ecr 2000>"));
	expect_state(_metadata, &e, TCP_TIME_WAIT);
	paws = clasp_counter("PAWSEstab");

	/* A SYN above rcv_nxt would reopen, but its TSval is old: ACK, stay. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 1000:1000(0) <mss 1200,nop,nop,TS val 1500 ecr 0>"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 2:2(0) ack 2 <nop,nop,TS val 0 ecr 2000>"));
	EXPECT_EQ(paws + 1, clasp_counter("PAWSEstab"));
	expect_state(_metadata, &e, TCP_TIME_WAIT);
	/* A RST with an old TSval does not end it either. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "R 2:2(0) <nop,nop,TS val 1500 ecr 0>"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	expect_state(_metadata, &e, TCP_TIME_WAIT);

	/* A SYN with a newer TSval reopens even below rcv_nxt (RFC 6191). */
	ASSERT_EQ(0, clasp_call_accept(&acc, e.lfd));
	clasp_pkt_forget_isn(p);
	ASSERT_EQ(0, clasp_pkt_inject(p, "S -100:-100(0) <mss 1200,nop,nop,TS val 3000 ecr 0>"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack -99 <mss 1460,nop,nop,TS val 0 ecr 3000>"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". -99:-99(0) ack 1 <nop,nop,TS val 3001 ecr ours>"));
	ASSERT_EQ(0, clasp_call_wait(&acc, GUARD_MS)) TH_LOG("accept hangs");
	ASSERT_LE(0, acc.ret) TH_LOG("accept: %s", strerror(acc.err));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(acc.ret));
}

/* 46 */
TEST(syncookie_keeps_wscale_and_sackok_in_tsval)
{
	struct tcp_info ti;
	struct env e;
	struct clasp_pkt *p = &e.p;
	char synack[160];
	long long recvd;
	int fd, ws;

	env_setup(_metadata, &e, opts_on_cookies);
	listen_on(_metadata, &e, LISTEN_PORT);
	ws = our_wscale(e.lfd);
	recvd = clasp_counter("SyncookiesRecv");
	snprintf(synack, sizeof(synack),
		 "<mss %u,sackOK,TS val 0 ecr 100,nop,wscale %d>", ROUTE_MSS, ws);
	fd = passive_open_opts(_metadata, &e, PEER_PORT,
			       "<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 6>",
			       synack, "<nop,nop,TS val 101 ecr ours>");
	ASSERT_LE(0, fd);
	EXPECT_EQ(recvd + 1, clasp_counter("SyncookiesRecv"));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE,
		  ti.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK |
				     TCPI_OPT_WSCALE));
	EXPECT_EQ(6, (int)ti.tcpi_snd_wscale);
	EXPECT_EQ(ws, (int)ti.tcpi_rcv_wscale);
	/* The peer's window is scaled: 10 << 6 = 640 bytes. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1 win 10 <nop,nop,TS val 102 ecr ours>"));
	ASSERT_EQ(600, send(fd, payload, 600, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:601(600) ack 1 <nop,nop,TS val 0 ecr 102>"));

	/* Without timestamps a cookie has nowhere to keep them: gone. */
	fd = passive_open_opts(_metadata, &e, PEER_PORT + 1,
			       "<mss 1460,nop,nop,sackOK,nop,wscale 6>",
			       "<mss 1460>", "");
	ASSERT_LE(0, fd);
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(0, ti.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK |
					TCPI_OPT_WSCALE));
}

CLASP_HARNESS_MAIN
