// SPDX-License-Identifier: GPL-2.0
/*
 * Packet-level conformance of congestion control: NewReno ("reno") as
 * RFC 5681, RFC 6582 and RFC 6928 have it, seen segment by segment from
 * the fake peer of clasp_datapath_test (clasp_pkt_env.h), and the
 * TCP_CONGESTION option.  Every connection asks for "reno", so that
 * CLASP_PROTO=6 plays the same scenarios against kernel TCP with its own
 * Reno rather than its default CUBIC.  See CONFORMANCE.md.
 */
#include "clasp_datapath.h"

#define FLIGHT		10	/* the initial window, segments (RFC 6928) */
#define INFINITE_SSTHRESH 0x7fffffffU	/* TCP_INFINITE_SSTHRESH */

static int set_cc(int fd, const char *name, socklen_t len)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, len);
}

/* The listener asks for Reno; the connection the peer opens inherits it. */
static int cc_open(struct __test_metadata *_metadata, struct env *e,
		   const struct clasp_param *params, bool sack)
{
	env_setup(_metadata, e, params);
	listen_on(_metadata, e, LISTEN_PORT);
	EXPECT_EQ(0, set_cc(e->lfd, "reno", 4)) {
		TH_LOG("TCP_CONGESTION reno: %s", strerror(errno));
	}
	if (sack)
		return passive_open_opts(_metadata, e, PEER_PORT,
					 "<mss 1200,nop,nop,sackOK>",
					 "<mss 1460,nop,nop,sackOK>", "");
	return passive_open(_metadata, e, PEER_PORT);
}

/* @n full segments written, one send() each. */
static void write_segs(struct __test_metadata *_metadata, struct clasp_pkt *p,
		       int fd, int n)
{
	static const char seg[PEER_MSS];
	int i;

	clasp_pkt_note(p, "send() %d x %u bytes", n, PEER_MSS);
	for (i = 0; i < n; i++)
		ASSERT_EQ(PEER_MSS, send(fd, seg, sizeof(seg), 0));
}

/*
 * Segments @from to @to - 1 (0-based) on the wire.  Those that waited
 * for the window TCP cuts from one buffer: its PSH falls on the last, so
 * @held segments may come with PSH or without.
 */
static void expect_segs(struct __test_metadata *_metadata, struct clasp_pkt *p,
			int from, int to, bool held)
{
	const char *flags = held && clasp_is_tcp() ? "P?." : "P.";
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

/* 2 */
TEST(timeout_lets_one_segment_go_until_an_ack)
{
	struct tcp_info ti;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = cc_open(_metadata, &e, data_timers, false);
	ASSERT_LE(0, fd);
	write_segs(_metadata, p, fd, FLIGHT + 2);
	expect_segs(_metadata, p, 0, FLIGHT, false);
	/* No ACK: the timeout resends the oldest, and the window is one. */
	ASSERT_EQ(0, clasp_pkt_expect(p, RTO_MS, "P. 1:1201(1200) ack 1"));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCP_CA_Loss, ti.tcpi_ca_state);
	EXPECT_EQ(1, ti.tcpi_snd_cwnd);
	EXPECT_EQ(FLIGHT / 2, ti.tcpi_snd_ssthresh);
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

/*
 * SACK, and no RACK, so that the duplicate ACKs alone decide (RFC 6675
 * with DupThresh 3; TCP's tcp_recovery=0).
 */
static const struct clasp_param sack_dupthresh[] = {
	{ "sack", 1 },
	{ "recovery", 0 },
	{ NULL, 0 }
};

/* 3 */
TEST(three_duplicate_acks_halve_the_window)
{
	struct tcp_info ti;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd, i;

	fd = cc_open(_metadata, &e, sack_dupthresh, true);
	ASSERT_LE(0, fd);
	write_segs(_metadata, p, fd, FLIGHT);
	expect_segs(_metadata, p, 0, FLIGHT, false);
	/*
	 * The first is lost; the next three arrive, each a duplicate ACK.
	 * The waits stay short: the RTO, armed when the flight went, must
	 * not fire before the recovery ends (TCP re-arms it at the fast
	 * retransmit, clasp does not).
	 */
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1 <nop,nop,sack 1201:%d>",
					      1201 + 1200 * i));
		if (i < 3)
			EXPECT_EQ(0, clasp_pkt_expect_none(p, CALM_RTO_MS / 20));
	}
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:1201(1200) ack 1"));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCP_CA_Recovery, ti.tcpi_ca_state);
	/* ssthresh: half the window of ten, the flight (RFC 5681 eq. 4). */
	EXPECT_EQ(FLIGHT / 2, ti.tcpi_snd_ssthresh);
	TH_LOG("in recovery: cwnd %u ssthresh %u", ti.tcpi_snd_cwnd,
	       ti.tcpi_snd_ssthresh);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, CALM_RTO_MS / 10));
	/* The full ACK ends the recovery with cwnd at ssthresh. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d", 1 + 1200 * FLIGHT));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCP_CA_Open, ti.tcpi_ca_state);
	EXPECT_EQ(FLIGHT / 2, ti.tcpi_snd_ssthresh);
	EXPECT_LE(FLIGHT / 2, ti.tcpi_snd_cwnd);
	EXPECT_GE(FLIGHT / 2 + 1, ti.tcpi_snd_cwnd);
	TH_LOG("after recovery: cwnd %u ssthresh %u", ti.tcpi_snd_cwnd,
	       ti.tcpi_snd_ssthresh);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

static void get_cc(struct __test_metadata *_metadata, int fd, char *name,
		   socklen_t *len)
{
	memset(name, 'x', *len);
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, len)) {
		TH_LOG("getsockopt TCP_CONGESTION: %s", strerror(errno));
	}
}

/* 4 */
TEST(congestion_option_names_reno_and_refuses_others)
{
	char name[32];
	socklen_t len;
	int fd;

	ASSERT_EQ(0, clasp_new_netns()) TH_LOG("namespace: %s", strerror(errno));
	fd = clasp_socket();
	ASSERT_LE(0, fd);
	if (clasp_only_check("the namespace's default is reno (TCP's: cubic)")) {
		len = sizeof(name);
		get_cc(_metadata, fd, name, &len);
		EXPECT_EQ(16, len);
		EXPECT_STREQ("reno", name);
	}
	/* TCP's name of NewReno, and the only one both have. */
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

/* 5 */
TEST(congestion_control_sysctls)
{
	char buf[256];

	CLASP_ONLY("net.clasp.* are clasp's sysctls");
	ASSERT_EQ(0, clasp_new_netns()) TH_LOG("namespace: %s", strerror(errno));
	ASSERT_LT(0, read_line("/proc/sys/net/clasp/congestion_control",
				     buf, sizeof(buf)));
	EXPECT_STREQ("reno\n", buf);
	ASSERT_LT(0, read_line("/proc/sys/net/clasp/available_congestion_control",
				     buf, sizeof(buf)));
	EXPECT_STREQ("reno\n", buf);
	/* A name no algorithm has is refused, as tcp_congestion_control's. */
	EXPECT_EQ(-1, write_text("/proc/sys/net/clasp/congestion_control",
				       "cubic"));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, write_text("/proc/sys/net/clasp/congestion_control",
				      "reno"));
	/* The list is read-only. */
	EXPECT_EQ(-1, write_text("/proc/sys/net/clasp/available_congestion_control",
				       "reno"));
}

/*
 * 6: the fast retransmit of test 3 was needless, the first copy arrived
 * after all: a D-SACK of the retransmission, after the recovery ended,
 * undoes the reduction (RFC 3708 3.2, Linux's tcp_try_undo_dsack()):
 * cwnd and ssthresh as before the loss, counted in DSACKUndo.
 */
TEST(dsack_of_the_retransmission_undoes_the_reduction)
{
	struct tcp_info ti;
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long undo;
	int fd, i;

	fd = cc_open(_metadata, &e, sack_dupthresh, true);
	ASSERT_LE(0, fd);
	undo = clasp_counter("DSACKUndo");
	write_segs(_metadata, p, fd, FLIGHT);
	expect_segs(_metadata, p, 0, FLIGHT, false);
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1 <nop,nop,sack 1201:%d>",
					      1201 + 1200 * i));
		if (i < 3)
			EXPECT_EQ(0, clasp_pkt_expect_none(p, CALM_RTO_MS / 20));
	}
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:1201(1200) ack 1"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, CALM_RTO_MS / 10));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d", 1 + 1200 * FLIGHT));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(FLIGHT / 2, ti.tcpi_snd_ssthresh);
	EXPECT_GE(FLIGHT / 2 + 1, ti.tcpi_snd_cwnd);
	EXPECT_EQ(undo, clasp_counter("DSACKUndo"));
	/* Then the retransmission arrives too: a D-SACK below the ACK. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d <nop,nop,sack 1:1201>",
				      1 + 1200 * FLIGHT));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(TCP_CA_Open, ti.tcpi_ca_state);
	EXPECT_EQ(FLIGHT, ti.tcpi_snd_cwnd);
	EXPECT_EQ(INFINITE_SSTHRESH, ti.tcpi_snd_ssthresh);
	EXPECT_EQ(undo + 1, clasp_counter("DSACKUndo"));
	TH_LOG("after the D-SACK: cwnd %u ssthresh %u", ti.tcpi_snd_cwnd,
	       ti.tcpi_snd_ssthresh);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
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
	struct tcp_info ti;
	struct env e;
	struct clasp_pkt *p = &e.p;
	long long undo;
	int fd, i;

	CLASP_ONLY("TCP counts every D-SACK below the ACK as a retransmission's");
	fd = cc_open(_metadata, &e, sack_dupthresh, true);
	ASSERT_LE(0, fd);
	undo = clasp_counter("DSACKUndo");
	write_segs(_metadata, p, fd, FLIGHT);
	expect_segs(_metadata, p, 0, FLIGHT, false);
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1 <nop,nop,sack 1201:%d>",
					      1201 + 1200 * i));
		if (i < 3)
			EXPECT_EQ(0, clasp_pkt_expect_none(p, CALM_RTO_MS / 20));
	}
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:1201(1200) ack 1"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, CALM_RTO_MS / 10));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d", 1 + 1200 * FLIGHT));
	/* The third segment, sent once, reported twice. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %d <nop,nop,sack 2401:3601>",
				      1 + 1200 * FLIGHT));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(FLIGHT / 2, ti.tcpi_snd_ssthresh);
	EXPECT_GE(FLIGHT / 2 + 1, ti.tcpi_snd_cwnd);
	EXPECT_EQ(undo, clasp_counter("DSACKUndo"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
}

TEST_HARNESS_MAIN
