// SPDX-License-Identifier: GPL-2.0
/*
 * Packet-level conformance of congestion control: NewReno ("reno") as
 * RFC 5681, RFC 6582 and RFC 6928 have it, CUBIC ("cubic", the default)
 * as RFC 9438 and RFC 9406 (HyStart++) have it, seen segment by segment
 * from the fake peer of clasp_datapath_test (clasp_pkt_env.h), and the
 * TCP_CONGESTION option.  Each connection names its algorithm or takes
 * the namespace's default, so that CLASP_PROTO=6 plays the same
 * scenarios against kernel TCP with the same algorithm.  See
 * CONFORMANCE.md.
 */
#include "clasp_datapath.h"
#include "clasp_tcpinfo.h"

#define FLIGHT		10	/* the initial window, segments (RFC 6928) */
#define INFINITE_SSTHRESH 0x7fffffffU	/* TCP_INFINITE_SSTHRESH */

static int set_cc(int fd, const char *name, socklen_t len)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, len);
}

/*
 * The listener asks for @cc (NULL: the namespace's default); the
 * connection the peer opens inherits it.
 */
static int cc_open_with(struct __test_metadata *_metadata, struct env *e,
			const struct clasp_param *params, bool sack,
			const char *cc)
{
	env_setup(_metadata, e, params);
	listen_on(_metadata, e, LISTEN_PORT);
	if (cc)
		EXPECT_EQ(0, set_cc(e->lfd, cc, strlen(cc))) {
			TH_LOG("TCP_CONGESTION %s: %s", cc, strerror(errno));
		}
	if (sack)
		return passive_open_opts(_metadata, e, PEER_PORT,
					 "<mss 1200,nop,nop,sackOK>",
					 "<mss 1460,nop,nop,sackOK>", "");
	return passive_open(_metadata, e, PEER_PORT);
}

/* NewReno, the algorithm of most cases. */
static int cc_open(struct __test_metadata *_metadata, struct env *e,
		   const struct clasp_param *params, bool sack)
{
	return cc_open_with(_metadata, e, params, sack, "reno");
}

/*
 * Segments @from to @to - 1 (0-based) on the wire.  Those that waited
 * for the window leave together as one GSO buffer, clasp's as TCP's, cut
 * into segments before the tun device: its PSH falls on the last, so
 * @held segments may come with PSH or without.
 */
static void expect_segs(struct __test_metadata *_metadata, struct clasp_pkt *p,
			int from, int to, bool held)
{
	const char *flags = held ? "P?." : "P.";
	int i;

	for (i = from; i < to; i++)
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "%s %d:%d(1200) ack 1", flags,
					      1 + 1200 * i, 1201 + 1200 * i));
}

/* 1 */
TEST(initial_window_is_ten_segments)
{
	struct tcp_info ti;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = cc_open(_metadata, &e, NULL, false);
	ASSERT_LE(0, fd);
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(FLIGHT, ti.tcpi_snd_cwnd);
	EXPECT_EQ(INFINITE_SSTHRESH, ti.tcpi_snd_ssthresh);
	/* Twice the window is written; the peer's 65535 bytes admit 54. */
	write_segs(_metadata, p, fd, 2 * FLIGHT);
	expect_segs(_metadata, p, 0, FLIGHT, false);
	/* Nothing more until an ACK, however large the peer's window. */
	EXPECT_EQ(0, clasp_pkt_expect_none(p, CALM_RTO_MS / 2));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(FLIGHT, ti.tcpi_unacked);
	EXPECT_EQ(FLIGHT, ti.tcpi_snd_cwnd);
	/* Slow start: ten segments acknowledged, ten more in the window. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d", 1 + 1200 * FLIGHT));
	expect_segs(_metadata, p, FLIGHT, 2 * FLIGHT, true);
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(2 * FLIGHT, ti.tcpi_snd_cwnd);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d",
				      1 + 1200 * 2 * FLIGHT));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/*
 * A timeout after a flight of ten with @cc: the loss window of one
 * segment, ssthresh @ssthresh.
 */
static void timeout_one_segment(struct __test_metadata *_metadata,
				const char *cc, unsigned int ssthresh)
{
	struct tcp_info ti;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = cc_open_with(_metadata, &e, data_timers, false, cc);
	ASSERT_LE(0, fd);
	write_segs(_metadata, p, fd, FLIGHT + 2);
	expect_segs(_metadata, p, 0, FLIGHT, false);
	/* No ACK: the timeout resends the oldest, and the window is one. */
	ASSERT_EQ(0, clasp_pkt_expect(p, RTO_MS, "P. 1:1201(1200) ack 1"));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCP_CA_Loss, ti.tcpi_ca_state);
	EXPECT_EQ(1, ti.tcpi_snd_cwnd);
	EXPECT_EQ(ssthresh, ti.tcpi_snd_ssthresh);
	/* One segment is out: nothing else goes, old or new. */
	EXPECT_EQ(0, clasp_pkt_expect_none(p, RTO_MS / 2));
	/*
	 * Its ACK: slow start from one, two segments now.  F-RTO (RFC 5682
	 * 2b) makes them new data rather than the next ones of the flight.
	 */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1201"));
	expect_segs(_metadata, p, FLIGHT, FLIGHT + 2, true);
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(2, ti.tcpi_snd_cwnd);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, RTO_MS / 4));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d",
				      1 + 1200 * (FLIGHT + 2)));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 2 */
TEST(timeout_lets_one_segment_go_until_an_ack)
{
	timeout_one_segment(_metadata, "reno", FLIGHT / 2);
}

/*
 * SACK, and no RACK, so that the duplicate ACKs alone decide (RFC 6675
 * with DupThresh 3; TCP's tcp_recovery=0).  clasp's RTO, armed when the
 * flight goes and not re-armed by the fast retransmit (TCP re-arms it),
 * is 3 s, so that a guest stalled by its host does not see it fire
 * before the recovery ends (the tests' 1 s did, under a load of 12).
 */
static const struct clasp_param sack_dupthresh[] = {
	{ "sack", 1 },
	{ "recovery", 0 },
	{ "rto_initial_ms", 3 * CALM_RTO_STOCK },
	{ "rto_min_ms", 3 * CALM_RTO_STOCK },
	{ NULL, 0 }
};

/*
 * FLIGHT segments out, the first lost: SACKs of the second to the fourth
 * draw its fast retransmit.  The waits stay short: the RTO, armed when
 * the flight went, must not fire before the recovery ends.
 */
static void fast_retransmit_of_the_first(struct __test_metadata *_metadata,
					 struct clasp_pkt *p, int fd)
{
	int i;

	write_segs(_metadata, p, fd, FLIGHT);
	expect_segs(_metadata, p, 0, FLIGHT, false);
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1 <nop,nop,sack 1201:%d>",
					      1201 + 1200 * i));
		if (i < 3)
			EXPECT_EQ(0, clasp_pkt_expect_none(p, CALM_RTO_MS / 20));
	}
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:1201(1200) ack 1"));
}

/*
 * Three duplicate ACKs after a flight of ten with @cc (NULL: the
 * default): ssthresh becomes @ssthresh, and cwnd returns there once the
 * recovery ends.
 */
static void three_dupacks(struct __test_metadata *_metadata, const char *cc,
			  unsigned int ssthresh)
{
	struct tcp_info ti;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = cc_open_with(_metadata, &e, sack_dupthresh, true, cc);
	ASSERT_LE(0, fd);
	fast_retransmit_of_the_first(_metadata, p, fd);
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCP_CA_Recovery, ti.tcpi_ca_state);
	EXPECT_EQ(ssthresh, ti.tcpi_snd_ssthresh);
	TH_LOG("in recovery: cwnd %u ssthresh %u", ti.tcpi_snd_cwnd,
	       ti.tcpi_snd_ssthresh);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, CALM_RTO_MS / 10));
	/* The full ACK ends the recovery with cwnd at ssthresh. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d", 1 + 1200 * FLIGHT));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCP_CA_Open, ti.tcpi_ca_state);
	EXPECT_EQ(ssthresh, ti.tcpi_snd_ssthresh);
	EXPECT_LE(ssthresh, ti.tcpi_snd_cwnd);
	EXPECT_GE(ssthresh + 1, ti.tcpi_snd_cwnd);
	TH_LOG("after recovery: cwnd %u ssthresh %u", ti.tcpi_snd_cwnd,
	       ti.tcpi_snd_ssthresh);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* 3 */
TEST(three_duplicate_acks_halve_the_window)
{
	/* ssthresh: half the window of ten, the flight (RFC 5681 eq. 4). */
	three_dupacks(_metadata, "reno", FLIGHT / 2);
}

/* 4 */
TEST(three_duplicate_acks_cut_cubic_window_to_seven_tenths)
{
	/* RFC 9438 4.6: ssthresh = beta_cubic * cwnd = 0.7 * 10. */
	three_dupacks(_metadata, "cubic", FLIGHT * 7 / 10);
}

/* 5 */
TEST(the_default_algorithm_cuts_the_window_to_seven_tenths)
{
	/* Nobody chose: the namespace's default, CUBIC, TCP's too. */
	three_dupacks(_metadata, NULL, FLIGHT * 7 / 10);
}

static void get_cc(struct __test_metadata *_metadata, int fd, char *name,
		   socklen_t *len)
{
	memset(name, 'x', *len);
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, len)) {
		TH_LOG("getsockopt TCP_CONGESTION: %s", strerror(errno));
	}
}

/* 6 */
TEST(cubic_timeout_lets_one_segment_go_with_ssthresh_seven_tenths)
{
	/* RFC 9438 4.8: Reno's loss window, CUBIC's beta for ssthresh. */
	timeout_one_segment(_metadata, "cubic", FLIGHT * 7 / 10);
}

/* 7 */
TEST(congestion_option_defaults_to_cubic_and_refuses_unknown_names)
{
	char name[32];
	socklen_t len;
	int fd;

	ASSERT_EQ(0, clasp_new_netns()) TH_LOG("namespace: %s", strerror(errno));
	fd = clasp_socket();
	ASSERT_LE(0, fd);
	/* A fresh namespace's default is CUBIC, as Linux's. */
	len = sizeof(name);
	get_cc(_metadata, fd, name, &len);
	EXPECT_EQ(16, len);
	EXPECT_STREQ("cubic", name);
	/* TCP's names of NewReno and CUBIC, the two both have. */
	EXPECT_EQ(0, set_cc(fd, "reno", 4));
	len = sizeof(name);
	get_cc(_metadata, fd, name, &len);
	EXPECT_EQ(16, len);
	EXPECT_STREQ("reno", name);
	EXPECT_EQ(0, set_cc(fd, "cubic", 5));
	len = sizeof(name);
	get_cc(_metadata, fd, name, &len);
	EXPECT_STREQ("cubic", name);
	EXPECT_EQ(0, set_cc(fd, "reno", 4));
	len = sizeof(name);
	get_cc(_metadata, fd, name, &len);
	EXPECT_EQ(16, len);
	EXPECT_STREQ("reno", name);
	/* A short buffer gets what fits. */
	memset(name, 'x', sizeof(name));
	len = 2;
	get_cc(_metadata, fd, name, &len);
	EXPECT_EQ(2, len);
	EXPECT_EQ(0, memcmp(name, "rex", 3));
	/* The name is the option's bytes, NUL or not, at most 15. */
	EXPECT_EQ(0, set_cc(fd, "reno\0junk", 9));
	EXPECT_EQ(0, set_cc(fd, "renoXX", 4));
	/* No algorithm is called "newreno" (or anything unknown): ENOENT. */
	errno = 0;
	EXPECT_EQ(-1, set_cc(fd, "newreno", 7));
	EXPECT_EQ(ENOENT, errno);
	errno = 0;
	EXPECT_EQ(-1, set_cc(fd, "no-such-algorithm", 17));
	EXPECT_EQ(ENOENT, errno);
	/* An empty option is EINVAL. */
	errno = 0;
	EXPECT_EQ(-1, set_cc(fd, "reno", 0));
	EXPECT_EQ(EINVAL, errno);
	/* A refusal leaves the choice as it was. */
	len = sizeof(name);
	get_cc(_metadata, fd, name, &len);
	EXPECT_STREQ("reno", name);
	close(fd);
}

/* The first line of @path in @buf: its length, or -1. */
static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return -1;
	ok = fgets(buf, size, f);
	fclose(f);
	return ok ? (int)strlen(buf) : -1;
}

/* Write @text to @path: 0, or -1 with errno. */
static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY), ret = 0, err;

	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) < 0)
		ret = -1;
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

/* 8 */
TEST(congestion_control_sysctls)
{
	char buf[256];

	CLASP_ONLY("net.clasp.* are clasp's sysctls");
	ASSERT_EQ(0, clasp_new_netns()) TH_LOG("namespace: %s", strerror(errno));
	ASSERT_LT(0, read_line("/proc/sys/net/clasp/congestion_control",
				     buf, sizeof(buf)));
	EXPECT_STREQ("cubic\n", buf);
	ASSERT_LT(0, read_line("/proc/sys/net/clasp/available_congestion_control",
				     buf, sizeof(buf)));
	EXPECT_STREQ("reno cubic\n", buf);
	/* A name no algorithm has is refused, as tcp_congestion_control's. */
	EXPECT_EQ(-1, write_text("/proc/sys/net/clasp/congestion_control",
				       "bbr"));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, write_text("/proc/sys/net/clasp/congestion_control",
				      "reno"));
	ASSERT_LT(0, read_line("/proc/sys/net/clasp/congestion_control",
				     buf, sizeof(buf)));
	EXPECT_STREQ("reno\n", buf);
	EXPECT_EQ(0, write_text("/proc/sys/net/clasp/congestion_control",
				      "cubic"));
	/* The list is read-only. */
	EXPECT_EQ(-1, write_text("/proc/sys/net/clasp/available_congestion_control",
				       "reno"));
}

/*
 * Reads what the module sends until @ms pass without a segment: returns
 * the segments, and moves *@end to the highest end (relative) of their
 * data.
 */
static int drain(struct clasp_pkt *p, uint32_t *end, int ms)
{
	struct clasp_seg s;
	int n = 0;

	while (clasp_pkt_recv(p, &s, ms) == 1) {
		uint32_t e = s.seq - p->local_isn + s.len;

		if (s.len && (int32_t)(e - *end) > 0)
			*end = e;
		n++;
	}
	return n;
}

/* Writes full segments until the send buffer is full. */
static void fill(int fd)
{
	static const char seg[PEER_MSS];

	while (send(fd, seg, sizeof(seg), MSG_DONTWAIT) > 0)
		;
}

/*
 * ACKs the data sent, a segment per ACK, up to @upto (relative) or what
 * was sent: each ACK answered by what the module sends then, the send
 * buffer kept full.  Returns the ACKs sent.
 */
static int ack_each(struct __test_metadata *_metadata, struct clasp_pkt *p,
		    int fd, uint32_t *acked, uint32_t *end, uint32_t upto)
{
	int n = 0;

	while (*acked + PEER_MSS <= *end && *acked + PEER_MSS <= upto) {
		*acked += PEER_MSS;
		EXPECT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %u", *acked));
		fill(fd);
		drain(p, end, 10);
		n++;
	}
	return n;
}

#define HS_DELAY_MS	150	/* the RTT's rise in the second round */

/* 9 */
TEST(hystart_leaves_slow_start_when_the_rtt_rises)
{
	uint32_t acked = 1, end = 1, round_end;
	int fd, i, sndbuf = 1 << 20;
	struct tcp_info ti;
	struct env e;
	struct clasp_pkt *p = &e.p;

	/* The namespace's default, CUBIC, with HyStart++ (TCP: HyStart). */
	fd = cc_open_with(_metadata, &e, NULL, false, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
	clasp_pkt_note(p, "send() %u bytes at a time until the buffer is full",
		       PEER_MSS);
	fill(fd);
	drain(p, &end, 50);
	ASSERT_EQ(1 + FLIGHT * PEER_MSS, end);
	/*
	 * Round 1: the initial window acknowledged segment by segment, at
	 * once; each ACK of slow start sends two more.
	 */
	round_end = end;
	ack_each(_metadata, p, fd, &acked, &end, round_end - PEER_MSS);
	get_tcp_info(_metadata, fd, &ti);
	TH_LOG("round 1: cwnd %u ssthresh %u, %u segments sent",
	       ti.tcpi_snd_cwnd, ti.tcpi_snd_ssthresh, (end - 1) / PEER_MSS);
	EXPECT_EQ(2 * FLIGHT - 1, ti.tcpi_snd_cwnd);
	/*
	 * Round 2: the RTT rises by HS_DELAY_MS, more than RttThresh (at
	 * most 16 ms) above round 1's.  Slow start would reach 10 + 28 = 38
	 * segments by its end; HyStart++ enters CSS at the eighth sample
	 * (cwnd 26) and grows a quarter as fast: 26 + 12 / 4 = 29.
	 * Linux's HyStart leaves slow start there (ssthresh = cwnd).
	 */
	clasp_sleep_ms(clasp_slow_time(HS_DELAY_MS));
	round_end = end;
	ack_each(_metadata, p, fd, &acked, &end, round_end);
	get_tcp_info(_metadata, fd, &ti);
	TH_LOG("round 2: cwnd %u ssthresh %u, %u acknowledged",
	       ti.tcpi_snd_cwnd, ti.tcpi_snd_ssthresh, (acked - 1) / PEER_MSS);
	EXPECT_EQ(1 + 28 * PEER_MSS, acked);
	EXPECT_LE(24, ti.tcpi_snd_cwnd);
	EXPECT_GE(30, ti.tcpi_snd_cwnd);
	EXPECT_EQ(TCP_CA_Open, ti.tcpi_ca_state);
	if (!clasp_only_check("TCP's HyStart leaves slow start at once; HyStart++ has CSS"))
		goto out;
	EXPECT_EQ(29, ti.tcpi_snd_cwnd);
	EXPECT_EQ(INFINITE_SSTHRESH, ti.tcpi_snd_ssthresh);
	/*
	 * CSS lasts CSS_ROUNDS = 5 rounds (RFC 9406 4.2), round 2 the first:
	 * four more with the RTT still high, then congestion avoidance with
	 * ssthresh = cwnd.
	 */
	for (i = 3; i <= 7; i++) {
		clasp_sleep_ms(clasp_slow_time(3 * HS_DELAY_MS));
		round_end = end;
		ack_each(_metadata, p, fd, &acked, &end, round_end);
		get_tcp_info(_metadata, fd, &ti);
		TH_LOG("round %d: cwnd %u ssthresh %u", i, ti.tcpi_snd_cwnd,
		       ti.tcpi_snd_ssthresh);
		if (ti.tcpi_snd_ssthresh != INFINITE_SSTHRESH)
			break;
	}
	EXPECT_GE(7, i);
	EXPECT_LE(6, i);
	EXPECT_GE(ti.tcpi_snd_cwnd, ti.tcpi_snd_ssthresh);
	EXPECT_LE(ti.tcpi_snd_cwnd - 2, ti.tcpi_snd_ssthresh);
out:
	close(fd);
}

/*
 * Tests 6 to 8 start alike: test 3's fast retransmit of the first
 * segment, the recovery ended by an ACK of the whole flight.  Returns
 * the socket; *@undo is DSACKUndo before.
 */
static int recovered_once(struct __test_metadata *_metadata, struct env *e,
			  long long *undo)
{
	int fd;

	fd = cc_open(_metadata, e, sack_dupthresh, true);
	if (fd < 0)
		return fd;
	*undo = clasp_counter("DSACKUndo");
	fast_retransmit_of_the_first(_metadata, &e->p, fd);
	EXPECT_EQ(0, clasp_pkt_expect_none(&e->p, CALM_RTO_MS / 10));
	EXPECT_EQ(0, clasp_pkt_inject(&e->p, ". 1:1(0) ack %d",
				      1 + 1200 * FLIGHT));
	return fd;
}

/* The reduction of the recovery stands: nothing undid it. */
static void expect_reduced(struct __test_metadata *_metadata, int fd,
			   long long undo)
{
	struct tcp_info ti;

	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(FLIGHT / 2, ti.tcpi_snd_ssthresh);
	EXPECT_GE(FLIGHT / 2 + 1, ti.tcpi_snd_cwnd);
	EXPECT_EQ(undo, clasp_counter("DSACKUndo"));
}

/*
 * The retransmission arrives too, a D-SACK below the ACK: the reduction
 * is undone, cwnd and ssthresh as before the loss, counted in DSACKUndo.
 */
static void expect_dsack_undoes(struct __test_metadata *_metadata,
				struct env *e, int fd, long long undo)
{
	struct tcp_info ti;

	ASSERT_EQ(0, clasp_pkt_inject(&e->p, ". 1:1(0) ack %d <nop,nop,sack 1:1201>",
				      1 + 1200 * FLIGHT));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCP_CA_Open, ti.tcpi_ca_state);
	EXPECT_EQ(FLIGHT, ti.tcpi_snd_cwnd);
	EXPECT_EQ(INFINITE_SSTHRESH, ti.tcpi_snd_ssthresh);
	EXPECT_EQ(undo + 1, clasp_counter("DSACKUndo"));
	TH_LOG("after the D-SACK: cwnd %u ssthresh %u", ti.tcpi_snd_cwnd,
	       ti.tcpi_snd_ssthresh);
	EXPECT_EQ(0, clasp_pkt_expect_none(&e->p, -1));
}

/*
 * 6: the fast retransmit of test 3 was needless, the first copy arrived
 * after all: a D-SACK of the retransmission, after the recovery ended,
 * undoes the reduction (RFC 3708 3.2, Linux's tcp_try_undo_dsack()):
 * cwnd and ssthresh as before the loss, counted in DSACKUndo.
 */
TEST(dsack_of_the_retransmission_undoes_the_reduction)
{
	struct env e;
	long long undo;
	int fd;

	fd = recovered_once(_metadata, &e, &undo);
	ASSERT_LE(0, fd);
	expect_reduced(_metadata, fd, undo);
	expect_dsack_undoes(_metadata, &e, fd, undo);
}

/*
 * 7: a D-SACK of data that never went twice from here (the network
 * duplicated it) undoes nothing: below the ACK clasp counts only what
 * lies below HighRxt.  TCP counts any block there above the undo marker,
 * as long as D-SACKs number no more than its retransmissions
 * (tcp_check_dsack(), tcp_dsack_seen()), and undoes: clasp only.
 */
TEST(dsack_of_a_network_duplicate_undoes_nothing)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long undo;
	int fd;

	CLASP_ONLY("TCP counts every D-SACK below the ACK as a retransmission's");
	fd = recovered_once(_metadata, &e, &undo);
	ASSERT_LE(0, fd);
	/* The third segment, sent once, reported twice. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d <nop,nop,sack 2401:3601>",
				      1 + 1200 * FLIGHT));
	expect_reduced(_metadata, fd, undo);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/*
 * 8: a D-SACK block wider than any window the peer offered (65535 here)
 * is no report of a retransmission delivered twice: Linux's
 * tcp_dsack_seen() ignores it, for the undo too.  clasp once counted its
 * 60 segments below HighRxt against the one retransmission, and undid.
 * The true D-SACK of the retransmission after it still undoes.
 */
TEST(dsack_wider_than_the_window_undoes_nothing)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long undo;
	int fd;

	fd = recovered_once(_metadata, &e, &undo);
	ASSERT_LE(0, fd);
	/* 70000 bytes before the first segment up to its end: 71200. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d <nop,nop,sack %u:1201>",
				      1 + 1200 * FLIGHT, 1u - 70000u));
	expect_reduced(_metadata, fd, undo);
	expect_dsack_undoes(_metadata, &e, fd, undo);
}

/*
 * Timestamps on (RFC 7323), so that an ACK tells which copy of a segment
 * drew it (RFC 3522, Eifel detection).  The peer's TSval stays PEER_TS:
 * it echoes what it chooses, as a receiver echoes the TSval of the
 * segment that filled the hole at rcv_nxt.  Its MSS of 1212 leaves 1200
 * bytes of data beside the option.
 */
#define PEER_TS		1000

static const struct clasp_param sack_dupthresh_ts[] = {
	{ "sack", 1 },
	{ "recovery", 0 },
	{ "timestamps", 1 },
	{ "rto_initial_ms", 3 * CALM_RTO_STOCK },
	{ "rto_min_ms", 3 * CALM_RTO_STOCK },
	{ NULL, 0 }
};

static const struct clasp_param sack_ts_timers[] = {
	{ "sack", 1 },
	{ "timestamps", 1 },
	{ "rto_initial_ms", RTO_STOCK },
	{ "rto_min_ms", RTO_STOCK },
	{ NULL, 0 }
};

static int cc_open_ts(struct __test_metadata *_metadata, struct env *e,
		      const struct clasp_param *params)
{
	env_setup(_metadata, e, params);
	listen_on(_metadata, e, LISTEN_PORT);
	EXPECT_EQ(0, set_cc(e->lfd, "reno", strlen("reno")));
	return passive_open_opts(_metadata, e, PEER_PORT,
				 "<mss 1212,sackOK,TS val 1000 ecr 0>",
				 "<mss 1460,sackOK,TS val 0 ecr 1000>",
				 "<nop,nop,TS val 1000 ecr ours>");
}

/*
 * FLIGHT segments with timestamps; *@tsval0 is the first one's TSval.
 * Then a pause, so that whatever goes again carries a later TSval.
 */
static void flight_ts(struct __test_metadata *_metadata, struct clasp_pkt *p,
		      int fd, uint32_t *tsval0)
{
	int i;

	write_segs(_metadata, p, fd, FLIGHT);
	for (i = 0; i < FLIGHT; i++) {
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. %d:%d(1200) ack 1 <nop,nop,TS val 0 ecr %d>",
					      1 + 1200 * i, 1201 + 1200 * i,
					      PEER_TS));
		if (!i)
			*tsval0 = p->local_tsval;
	}
	clasp_sleep_ms(20);
}

/* Test 3's fast retransmit of the first segment, with timestamps. */
static void fast_retransmit_ts(struct __test_metadata *_metadata,
			       struct clasp_pkt *p, uint32_t tsval0)
{
	int i;

	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1 <nop,nop,TS val %d ecr %u,nop,nop,sack 1201:%d>",
					      PEER_TS, tsval0, 1201 + 1200 * i));
		if (i < 3)
			EXPECT_EQ(0, clasp_pkt_expect_none(p, CALM_RTO_MS / 20));
	}
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:1201(1200) ack 1 <nop,nop,TS val 0 ecr %d>",
				      PEER_TS));
}

/* The window after an undo: as before the reduction, or grown since. */
static void expect_undone(struct __test_metadata *_metadata, int fd,
			  const char *counter, long long before)
{
	struct tcp_info ti;

	get_tcp_info(_metadata, fd, &ti);
	TH_LOG("after the undo: state %u cwnd %u ssthresh %u, %s %lld -> %lld",
	       ti.tcpi_ca_state, ti.tcpi_snd_cwnd, ti.tcpi_snd_ssthresh,
	       counter, before, clasp_counter(counter));
	EXPECT_EQ(TCP_CA_Open, ti.tcpi_ca_state);
	EXPECT_LE(FLIGHT, ti.tcpi_snd_cwnd);
	EXPECT_EQ(INFINITE_SSTHRESH, ti.tcpi_snd_ssthresh);
	EXPECT_EQ(before + 1, clasp_counter(counter));
}

/*
 * Test 3's fast retransmit was needless, and the ACK that ends the
 * recovery says so: it echoes the first transmission's TSval, older than
 * the retransmission's (RFC 3522).  The reduction is undone as the
 * recovery ends (Linux's tcp_try_undo_recovery()), counted in FullUndo.
 */
TEST(echo_of_the_original_undoes_the_fast_recovery)
{
	struct tcp_info ti;
	struct env e;
	struct clasp_pkt *p = &e.p;
	uint32_t tsval0 = 0;
	long long undo;
	int fd;

	fd = cc_open_ts(_metadata, &e, sack_dupthresh_ts);
	ASSERT_LE(0, fd);
	undo = clasp_counter("FullUndo");
	flight_ts(_metadata, p, fd, &tsval0);
	fast_retransmit_ts(_metadata, p, tsval0);
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCP_CA_Recovery, ti.tcpi_ca_state);
	EXPECT_EQ(FLIGHT / 2, ti.tcpi_snd_ssthresh);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d <nop,nop,TS val %d ecr %u>",
				      1 + 1200 * FLIGHT, PEER_TS, tsval0));
	expect_undone(_metadata, fd, "FullUndo", undo);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/*
 * The same, but the first ACK after the retransmission is partial:
 * the first segment's original filled the hole, the fifth is still
 * missing.  Nothing sent again is out any more: the reduction is undone
 * at once and the recovery ends (Linux's tcp_try_undo_partial()),
 * counted in PartialUndo, and nothing more goes again.
 */
TEST(partial_ack_echoing_the_original_undoes_the_fast_recovery)
{
	struct env e;
	struct clasp_pkt *p = &e.p;
	uint32_t tsval0 = 0;
	long long undo;
	int fd;

	fd = cc_open_ts(_metadata, &e, sack_dupthresh_ts);
	ASSERT_LE(0, fd);
	undo = clasp_counter("PartialUndo");
	flight_ts(_metadata, p, fd, &tsval0);
	fast_retransmit_ts(_metadata, p, tsval0);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 4801 <nop,nop,TS val %d ecr %u>",
				      PEER_TS, tsval0));
	expect_undone(_metadata, fd, "PartialUndo", undo);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, CALM_RTO_MS / 10));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d <nop,nop,TS val %d ecr %u>",
				      1 + 1200 * FLIGHT, PEER_TS, tsval0));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/* RACK (recovery=1), timestamps, no tail loss probe, a calm RTO. */
static const struct clasp_param rack_ts_calm[] = {
	{ "sack", 1 },
	{ "recovery", 1 },
	{ "timestamps", 1 },
	{ "early_retrans", 0 },
	{ "rto_initial_ms", 3 * CALM_RTO_STOCK },
	{ "rto_min_ms", 3 * CALM_RTO_STOCK },
	{ NULL, 0 }
};

/*
 * RACK finds seven segments lost at once, and PRR sends a few of them
 * again; then the ACK that covers those echoes the first transmission:
 * the originals filled the holes (a partial undo, Linux's
 * tcp_try_undo_partial()).  The rest were late too, most likely, and
 * nothing changed RACK's evidence against them: Linux's
 * tcp_rack_detect_loss() took them off the list it walks when it marked
 * them, and only the timers send them after the undo.  clasp once put
 * them back, RACK found them lost again on the next ACK or reordering
 * timer, and a recovery began and was undone per ACK, each sending a
 * segment needlessly (issue 23: hundreds of D-SACKs per 4 MiB under
 * netem's reordering).
 */
TEST(an_undo_leaves_what_rack_found_lost_to_the_timers)
{
	struct clasp_pkt *p;
	struct tcp_info ti;
	uint32_t tsval0 = 0, end = 0;
	long long undo, rtx;
	struct env e;
	int fd, n;

	fd = cc_open_ts(_metadata, &e, rack_ts_calm);
	ASSERT_LE(0, fd);
	p = &e.p;
	undo = clasp_counter("PartialUndo");
	flight_ts(_metadata, p, fd, &tsval0);
	rtx = clasp_counter("RetransSegs");
	/*
	 * The last three SACKed: with no reordering seen, RACK waits no
	 * window, and the seven before them are lost (RFC 8985 6.2).
	 */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1 <nop,nop,TS val %d ecr %u,nop,nop,sack 8401:12001>",
				      PEER_TS, tsval0));
	n = drain(p, &end, CALM_RTO_MS / 20);
	TH_LOG("%d segments went again, up to %u", n, end);
	ASSERT_LE(1, n);
	ASSERT_GT(7, n);
	ASSERT_EQ(1 + 1200 * n, end);
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCP_CA_Recovery, ti.tcpi_ca_state);
	/* The originals of those arrived: no retransmission is out. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %u <nop,nop,TS val %d ecr %u,nop,nop,sack 8401:12001>",
				      end, PEER_TS, tsval0));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, CALM_RTO_MS / 4));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_NE(TCP_CA_Recovery, ti.tcpi_ca_state);
	EXPECT_EQ(undo + 1, clasp_counter("PartialUndo"));
	EXPECT_EQ(rtx + n, clasp_counter("RetransSegs"));
	/* And so did the rest. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d <nop,nop,TS val %d ecr %u>",
				      1 + 1200 * FLIGHT, PEER_TS, tsval0));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/*
 * A timeout, and the ACK after the retransmission echoes the first
 * transmission: the flight was late, not lost (RFC 3522).  The loss
 * window is undone (Linux's tcp_try_undo_loss()), counted in LossUndo.
 */
TEST(echo_of_the_original_undoes_the_timeout)
{
	struct tcp_info ti;
	struct env e;
	struct clasp_pkt *p = &e.p;
	uint32_t tsval0 = 0;
	long long undo;
	int fd;

	fd = cc_open_ts(_metadata, &e, sack_ts_timers);
	ASSERT_LE(0, fd);
	undo = clasp_counter("LossUndo");
	flight_ts(_metadata, p, fd, &tsval0);
	ASSERT_EQ(0, clasp_pkt_expect(p, RTO_MS, "P. 1:1201(1200) ack 1 <nop,nop,TS val 0 ecr %d>",
				      PEER_TS));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCP_CA_Loss, ti.tcpi_ca_state);
	EXPECT_EQ(1, ti.tcpi_snd_cwnd);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d <nop,nop,TS val %d ecr %u>",
				      1 + 1200 * FLIGHT, PEER_TS, tsval0));
	expect_undone(_metadata, fd, "LossUndo", undo);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

/*
 * ECN (RFC 3168), as tcp_ecn: ecn=1 asks with an ECN-setup SYN (ECE and
 * CWR), and a SYN-ACK with ECE alone sets it up: new data leaves ECT(0),
 * TCP_INFO says TCPI_OPT_ECN.
 */
static const struct clasp_param ecn_on[] = {
	{ "ecn", 1 },
	{ NULL, 0 }
};

static const struct clasp_param ecn_accept[] = {
	{ "ecn", 2 },
	{ NULL, 0 }
};

static const struct clasp_param ecn_off[] = {
	{ "ecn", 0 },
	{ NULL, 0 }
};

/* Connect from ACTIVE_PORT with ECN asked; @synack is the peer's answer. */
static int ecn_connect(struct __test_metadata *_metadata, struct env *e,
		       const char *synack)
{
	struct clasp_sockaddr to = clasp_sockaddr(CLASP_PKT_PEER, REMOTE_PORT);
	struct clasp_pkt *p = &e->p;
	struct clasp_call c;
	char win[32];
	int fd;

	env_setup(_metadata, e, ecn_on);
	fd = bound_socket(_metadata, CLASP_PKT_LOCAL, ACTIVE_PORT);
	if (fd < 0)
		return -1;
	clasp_pkt_conn(p, ACTIVE_PORT, REMOTE_PORT);
	clasp_pkt_mark(p);
	EXPECT_EQ(0, clasp_call_connect(&c, fd, &to.sa));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, "SEW 0:0(0) %s<mss %u>",
				      syn_win(fd, win, sizeof(win)), ROUTE_MSS));
	EXPECT_EQ(0, clasp_pkt_inject(p, "%s 0:0(0) ack 1 <mss %u>", synack,
				      PEER_MSS));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	EXPECT_EQ(0, clasp_call_wait(&c, GUARD_MS)) TH_LOG("connect hangs");
	EXPECT_EQ(0, c.ret) TH_LOG("connect: %s", strerror(c.err));
	return fd;
}

static unsigned int ecn_options(struct __test_metadata *_metadata, int fd)
{
	struct tcp_info ti;

	get_tcp_info(_metadata, fd, &ti);
	return ti.tcpi_options & (TCPI_OPT_ECN | TCPI_OPT_ECN_SEEN);
}

/* ECN 1 */
TEST(ecn_1_sends_an_ecn_setup_syn_and_ect0_data)
{
	static const char buf[100];
	struct env e;
	int fd;

	fd = ecn_connect(_metadata, &e, "SE.");
	ASSERT_LE(0, fd);
	EXPECT_EQ(TCPI_OPT_ECN, ecn_options(_metadata, fd));
	ASSERT_EQ(100, send(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, clasp_pkt_expect(&e.p, 0, "P. 1:101(100) ack 1 ect0"));
	/* The ACK of it is not ECN-capable: RFC 3168 6.1.4. */
	ASSERT_EQ(0, clasp_pkt_inject(&e.p, "P. 1:11(10) ack 101 ect0"));
	EXPECT_EQ(0, clasp_pkt_expect(&e.p, 0, ". 101:101(0) ack 11"));
	EXPECT_EQ(TCPI_OPT_ECN | TCPI_OPT_ECN_SEEN, ecn_options(_metadata, fd));
	close(fd);
}

/* ECN 2: a SYN-ACK without ECE (or with CWR too) turns it down. */
TEST(ecn_1_without_ece_in_the_synack_sends_no_ect)
{
	static const char buf[100];
	struct env e;
	int fd;

	fd = ecn_connect(_metadata, &e, "S.");
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ecn_options(_metadata, fd));
	ASSERT_EQ(100, send(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, clasp_pkt_expect(&e.p, 0, "P. 1:101(100) ack 1"));
	close(fd);
}

/* Open from the peer with a SYN of @syn flags; the SYN-ACK is @synack. */
static int ecn_passive(struct __test_metadata *_metadata, struct env *e,
		       const struct clasp_param *params, const char *syn,
		       const char *synack)
{
	struct clasp_pkt *p = &e->p;
	struct clasp_call acc;

	env_setup(_metadata, e, params);
	listen_on(_metadata, e, LISTEN_PORT);
	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT);
	if (clasp_call_accept(&acc, e->lfd))
		return -1;
	EXPECT_EQ(0, clasp_pkt_inject(p, "%s 0:0(0) <mss %u>", syn, PEER_MSS));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, "%s 0:0(0) ack 1 <mss %u>", synack,
				      ROUTE_MSS));
	EXPECT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	if (clasp_call_wait(&acc, GUARD_MS)) {
		TH_LOG("accept hangs");
		return -1;
	}
	return acc.ret;
}

/* ECN 3: the default, 2, answers an ECN-setup SYN with ECE alone. */
TEST(ecn_2_answers_an_ecn_setup_syn)
{
	static const char buf[100];
	struct env e;
	int fd;

	fd = ecn_passive(_metadata, &e, ecn_accept, "SEW", "SE.");
	ASSERT_LE(0, fd);
	EXPECT_EQ(TCPI_OPT_ECN, ecn_options(_metadata, fd));
	ASSERT_EQ(100, send(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, clasp_pkt_expect(&e.p, 0, "P. 1:101(100) ack 1 ect0"));
	close(fd);
}

/* ECN 4: no ECN unless the peer asks, nor with ecn=0. */
TEST(no_ecn_when_the_peer_does_not_ask_or_ecn_is_0)
{
	static const char buf[100];
	struct env e;
	int fd;

	fd = ecn_passive(_metadata, &e, ecn_on, "S", "S.");
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ecn_options(_metadata, fd));
	ASSERT_EQ(100, send(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, clasp_pkt_expect(&e.p, 0, "P. 1:101(100) ack 1"));
	close(fd);
	close(e.lfd);
	clasp_pkt_close(&e.p);

	fd = ecn_passive(_metadata, &e, ecn_off, "SEW", "S.");
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, ecn_options(_metadata, fd));
	ASSERT_EQ(100, send(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, clasp_pkt_expect(&e.p, 0, "P. 1:101(100) ack 1"));
	close(fd);
}

/*
 * ECN 5: a CE mark makes the receiver set ECE on what it sends, ACKs and
 * data, until a segment with CWR comes (RFC 3168 6.1.3).
 */
TEST(ce_is_echoed_until_cwr)
{
	static const char buf[50];
	long long ce = clasp_counter("CERecv");
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = ecn_passive(_metadata, &e, ecn_accept, "SEW", "SE.");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:101(100) ack 1 ce"));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, ".E 1:1(0) ack 101"));
	if (!clasp_is_tcp())
		EXPECT_EQ(ce + 1, clasp_counter("CERecv"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 101:201(100) ack 1 ect0"));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, ".E 1:1(0) ack 201"));
	ASSERT_EQ(50, send(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, "P.E 1:51(50) ack 201 ect0"));
	EXPECT_EQ(TCPI_OPT_ECN | TCPI_OPT_ECN_SEEN, ecn_options(_metadata, fd));
	/* The sender cut its window: CWR ends the echo. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "P.W 201:301(100) ack 51 ect0"));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, ". 51:51(0) ack 301"));
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 301:401(100) ack 51 ect0"));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, ". 51:51(0) ack 401"));
	close(fd);
}

/*
 * ECN 6: the first ECE cuts the window as a loss would, CUBIC's to 7 of
 * 10, and puts the sender in TCP's CWR state; further ECEs of the same
 * window change nothing.  CWR goes on the next new data; once an ACK
 * goes beyond what was sent at the cut, an ECE cuts again (7 to 4).
 */
TEST(ece_cuts_cwnd_once_per_window_and_cwr_goes_on_the_next_data)
{
	static const char seg[PEER_MSS];
	long long cuts = clasp_counter("ECNReductions");
	struct tcp_info ti;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd, i;

	fd = ecn_passive(_metadata, &e, ecn_accept, "SEW", "SE.");
	ASSERT_LE(0, fd);
	clasp_pkt_note(p, "send() %d x %u bytes", FLIGHT, PEER_MSS);
	for (i = 0; i < FLIGHT; i++)
		ASSERT_EQ(PEER_MSS, send(fd, seg, sizeof(seg), 0));
	for (i = 0; i < FLIGHT; i++)
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P?. %d:%d(1200) ack 1 ect0",
					      1 + 1200 * i, 1201 + 1200 * i));
	ASSERT_EQ(0, clasp_pkt_inject(p, ".E 1:1(0) ack 1201"));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCP_CA_CWR, ti.tcpi_ca_state);
	EXPECT_EQ(7, ti.tcpi_snd_ssthresh);
	ASSERT_EQ(0, clasp_pkt_inject(p, ".E 1:1(0) ack 2401"));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCP_CA_CWR, ti.tcpi_ca_state);
	EXPECT_EQ(7, ti.tcpi_snd_ssthresh);
	if (!clasp_is_tcp())
		EXPECT_EQ(cuts + 1, clasp_counter("ECNReductions"));
	/* All acknowledged, nothing beyond: the window of the cut lasts. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d", 1 + 1200 * FLIGHT));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCP_CA_CWR, ti.tcpi_ca_state);
	EXPECT_EQ(7, ti.tcpi_snd_cwnd);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, CALM_RTO_MS / 10));
	ASSERT_EQ(PEER_MSS, send(fd, seg, sizeof(seg), 0));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, "P.W %d:%d(1200) ack 1 ect0",
				      1 + 1200 * FLIGHT, 1201 + 1200 * FLIGHT));
	/* Beyond the cut's window: a new ECE cuts again. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ".E 1:1(0) ack %d",
				      1201 + 1200 * FLIGHT));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCP_CA_CWR, ti.tcpi_ca_state);
	EXPECT_EQ(4, ti.tcpi_snd_ssthresh);
	if (!clasp_is_tcp())
		EXPECT_EQ(cuts + 2, clasp_counter("ECNReductions"));
	TH_LOG("after the second cut: cwnd %u ssthresh %u", ti.tcpi_snd_cwnd,
	       ti.tcpi_snd_ssthresh);
	close(fd);
}

/*
 * ECN 7: a connection answered with a SYN cookie keeps ECN, which the
 * cookie's TSval carries (Linux's cookie_init_timestamp()).
 */
TEST(a_cookie_connection_keeps_ecn)
{
	static const struct clasp_param params[] = {
		{ "ecn", 2 },
		{ "syncookies", 2 },
		{ "timestamps", 1 },
		{ NULL, 0 }
	};
	static const char buf[100];
	struct env e;
	struct clasp_pkt *p = &e.p;
	struct clasp_call acc;

	env_setup(_metadata, &e, params);
	listen_on(_metadata, &e, LISTEN_PORT);
	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT);
	ASSERT_EQ(0, clasp_call_accept(&acc, e.lfd));
	ASSERT_EQ(0, clasp_pkt_inject(p, "SEW 0:0(0) <mss %u,nop,nop,TS val 1000 ecr 0>",
				      PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "SE. 0:0(0) ack 1 <mss %u,nop,nop,TS val 0 ecr 1000>",
				      ROUTE_MSS));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1 <nop,nop,TS val 1001 ecr ours>"));
	ASSERT_EQ(0, clasp_call_wait(&acc, GUARD_MS)) TH_LOG("accept hangs");
	ASSERT_LE(0, acc.ret) TH_LOG("accept: %s", strerror(acc.err));
	EXPECT_EQ(TCPI_OPT_ECN, ecn_options(_metadata, acc.ret));
	ASSERT_EQ(100, send(acc.ret, buf, sizeof(buf), 0));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:101(100) ack 1 <nop,nop,TS val 0 ecr 1001> ect0"));
	close(acc.ret);
}

/*
 * Pacing 1: SO_MAX_PACING_RATE paces what the connection sends, as TCP's
 * internal pacing (no fq qdisc on the tun device): the first ten data
 * segments go at once, then each transmission waits until the one before
 * it has left at the rate.  At 2,400 bytes a second a 1200-byte segment
 * is worth 500 ms: the ACK of the first ten opens the window for two
 * more, written with them, and the first of those may leave only 500 ms
 * after the tenth (more when the tenth left in a larger buffer), however
 * soon the ACK came.  Without pacing it leaves with the ACK, some 65 ms
 * after the tenth under this emulation.
 */
TEST(max_pacing_rate_spaces_segments_after_the_first_ten)
{
	const struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	const unsigned int rate = 2400, more = 2;
	long long tenth, next;
	struct ktcp_info kti;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = cc_open(_metadata, &e, NULL, false);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_MAX_PACING_RATE, &rate,
				sizeof(rate)));
	write_segs(_metadata, p, fd, FLIGHT + more);
	expect_segs(_metadata, p, 0, FLIGHT, true);
	tenth = clasp_pkt_now_us();
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d", 1 + 1200 * FLIGHT));
	expect_segs(_metadata, p, FLIGHT, FLIGHT + 1, true);
	next = clasp_pkt_now_us();
	TH_LOG("the eleventh segment %lld ms after the tenth",
	       (next - tenth) / 1000);
	EXPECT_LE(300000, next - tenth);
	expect_segs(_metadata, p, FLIGHT + 1, FLIGHT + more, true);
	ASSERT_LT(0, ti_get(fd, &kti));
	EXPECT_EQ(rate, kti.max_pacing_rate);
	EXPECT_GE(rate, kti.pacing_rate);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d",
				      1 + 1200 * (FLIGHT + more)));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	/*
	 * Abort: a FIN, paced too, would leave a second after the fake peer
	 * is gone and keep an orphan retransmitting it for minutes.
	 */
	EXPECT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(fd);
}

/*
 * Pacing 2: the pacing rate follows cwnd and SRTT, as TCP's
 * tcp_update_pacing_rate(): twice cwnd * MSS per SRTT in slow start.
 */
TEST(pacing_rate_is_twice_cwnd_per_srtt_in_slow_start)
{
	struct ktcp_info ti;
	struct env e;
	struct clasp_pkt *p = &e.p;
	double want;
	int fd;

	fd = cc_open(_metadata, &e, NULL, false);
	ASSERT_LE(0, fd);
	write_segs(_metadata, p, fd, FLIGHT);
	expect_segs(_metadata, p, 0, FLIGHT, false);
	usleep(20000);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d", 1 + 1200 * FLIGHT));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, CALM_RTO_MS / 4));
	ASSERT_LT(0, ti_get(fd, &ti));
	ASSERT_LT(0, ti.rtt);
	want = 2.0 * ti.snd_cwnd * ti.snd_mss * 1e6 / ti.rtt;
	TH_LOG("pacing rate %llu B/s; cwnd %u mss %u srtt %u us: %.0f",
	       (unsigned long long)ti.pacing_rate, ti.snd_cwnd, ti.snd_mss,
	       ti.rtt, want);
	EXPECT_LE(want * 0.85, (double)ti.pacing_rate);
	EXPECT_GE(want * 1.15, (double)ti.pacing_rate);
	EXPECT_EQ(~0ULL, ti.max_pacing_rate);
}

CLASP_HARNESS_MAIN
