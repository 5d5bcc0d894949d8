// SPDX-License-Identifier: GPL-2.0
/*
 * Packet-level conformance of the data path: what clasp puts on the wire
 * once data flows, segment by segment.  Retransmission and loss recovery
 * (RFC 6298, RFC 6582, RFC 5682), the out-of-order queue, delayed ACKs
 * (RFC 9293 3.8.6.3, RFC 1122), Nagle (RFC 896) and the options of
 * RFC 7323.  SACK has its own program, clasp_sack_test.c.
 *
 * The world is clasp_conform_test's (clasp_pkt_env.h): a namespace per
 * test, a fake peer behind a tun device, the module driven by socket
 * calls.  CLASP_PROTO=6 plays the same scenarios against kernel TCP.  See
 * CONFORMANCE.md.
 */
#include "clasp_datapath.h"


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
	/*
	 * What the window held back leaves as one GSO buffer, clasp's as
	 * TCP's, and only the last segment cut from it has PSH: where the
	 * cuts fall depends on the buffer's size (half the largest window
	 * seen bounds it), so the middle segments may come with PSH or
	 * without.
	 */
	const char *mid = "P?.";
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
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "%s 2401:3601(1200) ack 1", mid));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "%s 3601:4801(1200) ack 1", mid));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 4801 win %u",
				      2 * PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 4801:6001(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 6001 win %u",
				      2 * PEER_MSS));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
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
	send_segs(_metadata, p, fd, 1, 5);
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
	send_segs(_metadata, p, fd, 1, 5);
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
	/*
	 * RFC 5682 2b: the first ACK of the first flight; new data, not the
	 * next.  The last two writes waited for the window in one buffer, so
	 * PSH is on the second only, as TCP's (tcp_sendmsg() fills its tail).
	 */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1201 win 6000"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 6001:7201(1200) ack 1"));
	/* 3b: a second one: the timeout was spurious. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 2401 win 6000"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 7201:8401(1200) ack 1"));
	expect_ca_state(_metadata, p, TCP_CA_Open);
	EXPECT_EQ(spurious + 1, clasp_counter("SpuriousRTOs"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 8401 win 6000"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/*
 * 66: a timeout after a write of several segments, sent as one buffer and
 * kept whole, sends its first segment alone, as after single segments
 * (RFC 6298 5.4).
 */
TEST(timeout_after_a_burst_resends_only_its_first_segment)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = env_established(_metadata, &e, data_timers);
	send_burst(_metadata, p, fd, 4);
	ASSERT_EQ(0, clasp_pkt_expect(p, RTO_MS, ". 1:1201(1200) ack 1"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, RTO_MS / 4));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 4801"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* Segments the module holds beyond a hole (netlink), -1 if unknown. */
static long long ooo_segs(const struct clasp_pkt *p)
{
	struct clasp_pkt_info info;

	return clasp_pkt_info(p, &info) ? -1 : info.ooo_segs;
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
	/* Counted once sent: on PREEMPT_RT, a moment after it arrives. */
	EXPECT_TRUE(clasp_wait_until(clasp_counter("DelayedACKs") == before + 1,
				     GUARD_MS)) {
		TH_LOG("DelayedACKs %lld, want %lld",
		       clasp_counter("DelayedACKs"), before + 1);
	}
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
 * A connection that has exchanged data, its data read and acknowledged,
 * then the peer's FIN: CLOSE_WAIT, in interactive mode (TCP_QUICKACK
 * reads 0), as tcp_fin() leaves it.
 */
static int fin_after_data(struct __test_metadata *_metadata, struct env *e)
{
	struct clasp_pkt *p = &e->p;
	char buf[16];
	int fd;

	fd = env_established(_metadata, e, NULL);
	if (fd < 0)
		return fd;
	if (clasp_pkt_inject(p, "P. 1:11(10) ack 1") ||
	    clasp_pkt_expect(p, 0, ". 1:1(0) ack 11") ||
	    recv(fd, buf, sizeof(buf), 0) != 10 ||
	    clasp_pkt_inject(p, "F. 11:11(0) ack 1"))
		return -1;
	EXPECT_EQ(0, recv(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(TCP_CLOSE_WAIT, clasp_state(fd));
	EXPECT_EQ(0, get_quickack(fd));
	return fd;
}

/*
 * The FIN's ACK waits for the FIN the application's close() sends, as
 * TCP's does: a request-response peer answers a FIN with one segment,
 * not two.
 */
TEST(fin_ack_rides_on_the_fin_of_close)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = fin_after_data(_metadata, &e);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, DELACK_LOW_US / 1000 / 2));
	clasp_pkt_note(p, "close()");
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "F. 1:1(0) ack 12"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 12:12(0) ack 2"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/*
 * No close(): the delayed-ACK timer acknowledges the FIN and ends
 * interactive mode (tcp_delack_timer_handler()).
 */
TEST(fin_ack_without_close_comes_at_the_delack_timer)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = fin_after_data(_metadata, &e);
	ASSERT_LE(0, fd);
	expect_delayed_ack(_metadata, p, 12);
	EXPECT_EQ(1, get_quickack(fd));
	EXPECT_EQ(TCP_CLOSE_WAIT, clasp_state(fd));
	clasp_pkt_note(p, "close()");
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "F. 1:1(0) ack 12"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 12:12(0) ack 2"));
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

/* 62 */
TEST(psh_ends_a_write_not_each_segment)
{
	/*
	 * As Linux's tcp_push(): the last segment of a write has PSH, the
	 * others have not, and a write with MSG_MORE leaves its segments
	 * unmarked until a later write ends.  The receiver's GRO ends a
	 * batch at PSH (module/offload.c), so PSH on every segment would
	 * leave it none to build.  Both also set PSH on the last segment of
	 * every GSO buffer (tcp_transmit_skb()); the device takes one
	 * segment per buffer here, so each leaves alone.
	 */
	static const char buf[3 * PEER_MSS + 100];
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	env_setup(_metadata, &e, NULL);
	ASSERT_EQ(0, clasp_sh("ip link set claspt0 gso_max_segs 1"));
	listen_on(_metadata, &e, LISTEN_PORT);
	fd = passive_open(_metadata, &e, PEER_PORT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(buf), send(fd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:%u(%u) ack 1",
				      1 + PEER_MSS, PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". %u:%u(%u) ack 1",
				      1 + PEER_MSS, 1 + 2 * PEER_MSS, PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". %u:%u(%u) ack 1",
				      1 + 2 * PEER_MSS, 1 + 3 * PEER_MSS,
				      PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. %u:%u(100) ack 1",
				      1 + 3 * PEER_MSS, 101 + 3 * PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %u",
				      101 + 3 * PEER_MSS));
	/* Full segments of a write with MSG_MORE go, unmarked. */
	ASSERT_EQ(2 * PEER_MSS, send(fd, buf, 2 * PEER_MSS, MSG_MORE));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". %u:%u(%u) ack 1",
				      101 + 3 * PEER_MSS, 101 + 4 * PEER_MSS,
				      PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". %u:%u(%u) ack 1",
				      101 + 4 * PEER_MSS, 101 + 5 * PEER_MSS,
				      PEER_MSS));
	ASSERT_EQ(10, send(fd, buf, 10, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. %u:%u(10) ack 1",
				      101 + 5 * PEER_MSS, 111 + 5 * PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %u",
				      111 + 5 * PEER_MSS));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/*
 * RFC 7323 and RFC 2018's SACK-permitted.  base_params turns window
 * scaling, timestamps and SACK off (every scenario above is written for
 * SYNs with the MSS alone); these tests turn them on again, TCP's sysctls
 * in the TCP lane (tcp_params()).
 */
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
#define CLASP_RMEM_MAX	6291456	/* rmem[2] in module/limits.c */

static int our_wscale(int fd)
{
	long long rmem_max = rmem_max_init;
	long long space;
	int rcvbuf = 0, shift = 0;
	socklen_t len = sizeof(rcvbuf);

	/*
	 * As tcp_select_initial_window(): the most the buffer may become,
	 * by SO_RCVBUF or autotuning (rmem[2], clasp's own is TCP's
	 * default), or rmem_max.
	 */
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len);
	space = clasp_is_tcp() ?
		read_sysctl("/proc/sys/net/ipv4/tcp_rmem", 2) : CLASP_RMEM_MAX;
	if (space < rmem_max)
		space = rmem_max;
	if (space < rcvbuf)
		space = rcvbuf;
	while (space > 65535 && shift < 14) {
		space >>= 1;
		shift++;
	}
	return shift;
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
	struct clasp_sockaddr to = clasp_sockaddr(CLASP_PKT_PEER, REMOTE_PORT);
	char win[32];
	int fd, ws;

	env_setup(_metadata, &e, opts_on);
	fd = bound_socket(_metadata, CLASP_PKT_LOCAL, ACTIVE_PORT);
	ASSERT_LE(0, fd);
	ws = our_wscale(fd);
	clasp_pkt_conn(p, ACTIVE_PORT, REMOTE_PORT);
	clasp_pkt_mark(p);	/* the SYN is due from now */
	ASSERT_EQ(0, clasp_call_connect(&con, fd, &to.sa));
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
	ASSERT_EQ(0, clasp_call_connect(&con, fd, &to.sa));
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
	/* No SACK: these ACKs carry timestamps alone (SACK blocks: tests 47-54). */
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

/* Window scaling alone: a window that the field's 65535 does not cap. */
static const struct clasp_param wscale_on[] = {
	{ "window_scaling", 1 },
	{ NULL, 0 }
};

/*
 * A read that leaves more than half the window open says nothing: the
 * peer is not held back, and the next ACK carries the window anyway (TCP's
 * tcp_cleanup_rbuf()).  A window update for each segment's worth read
 * cost a fast reader as many ACKs again as its data asked for.
 */
/* 63 */
TEST(read_leaving_half_the_window_sends_no_update)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	char buf[4 * ROUTE_MSS];
	char synack[64];
	uint32_t seq = 1;
	int fd, i;

	env_setup(_metadata, &e, wscale_on);
	listen_on(_metadata, &e, LISTEN_PORT);
	snprintf(synack, sizeof(synack), "<mss %u,nop,wscale %d>", ROUTE_MSS,
		 our_wscale(e.lfd));
	fd = passive_open_opts(_metadata, &e, PEER_PORT,
			       "<mss 1200,nop,wscale 7>", synack, "");
	ASSERT_LE(0, fd);
	/* Quick-ACK mode: each segment acknowledged at once. */
	for (i = 0; i < 4; i++, seq += ROUTE_MSS) {
		ASSERT_EQ(0, clasp_pkt_inject(p, "P. %u:%u(%u) ack 1", seq,
					      seq + ROUTE_MSS, ROUTE_MSS));
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack %u",
					      seq + ROUTE_MSS));
	}
	ASSERT_EQ((ssize_t)sizeof(buf), recv(fd, buf, sizeof(buf), MSG_WAITALL));
	clasp_pkt_mark(p);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1)) TH_LOG("a window update");
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
}

CLASP_HARNESS_MAIN
