// SPDX-License-Identifier: GPL-2.0
/*
 * SYN cookies (module/syncookies.c): a listener answers a SYN with a
 * cookie in the SYN-ACK's sequence number and keeps nothing; the ACK that
 * returns a valid cookie creates the connection.
 *
 * A raw socket plays the peer over loopback, in a network namespace of
 * each test's own created after writing the module parameters it needs
 * (syncookies=2 unless a test says otherwise); the parameters are put back
 * right after the namespace has copied them.
 *
 * The peer's ports have no clasp socket, so the kernel itself would answer
 * every SYN-ACK or ACK the listener sends there with <SEQ=SEG.ACK><RST>,
 * which is exactly the reset that ends a request or a connection.  A real
 * peer would not send it: an nft rule on the output hook drops resets sent
 * from the peer's port range (the raw peer itself sends none), except in
 * reset_after_cookie_synack_changes_nothing, which is about that reset.
 *
 * Connections are closed with a reset (close_abort()): the raw peer would
 * never acknowledge a FIN.
 */
#include "kselftest_harness.h"

#include <fcntl.h>
#include <sys/random.h>

#include "clasp_util.h"

#define LO		"127.0.0.1"
#define SRV_PORT	7000
#define PEER_PORT	41000	/* the fake peer uses PEER_PORT..PEER_PORT+999 */
#define WAIT_MS		2000	/* for an answer that should come */
#define QUIET_MS	300	/* for one that should not */
#define SHORT_PERIOD_MS	300	/* syncookie_period_ms for the expiry tests */

/* The table of MSS values a cookie can carry (module/syncookies.c). */
static const unsigned int cookie_mss[] = {
	216, 536, 1220, 1360, 1440, 1460, 8960, 32192,
};

/* Let the kernel's own resets from the peer's ports through (one test). */
static bool kernel_resets;

struct env {
	int lis;		/* the listener on LO:SRV_PORT, non-blocking */
	int raw;		/* the fake peer */
	uint16_t next_port;	/* the peer's next unused port */
};

/*
 * Every test: connections left behind by a failed test give up quickly
 * (the peer never answers their FIN), so that no object outlives the test
 * for long and disturbs a later test that counts objects globally.
 */
static const struct clasp_param base_params[] = {
	{ "orphan_retries", 1 },
	{ "rto_initial_ms", 200 },
	{ "fin_timeout_ms", 1000 },
	{ NULL, 0 }
};

/*
 * Write base_params and @params, create and enter a fresh namespace (it
 * copies them), put the old values back, drop the kernel's resets from
 * the peer's ports, then open a listener with @backlog and the raw peer.
 */
static void env_setup(struct __test_metadata *_metadata, struct env *e,
		      const struct clasp_param *params, int backlog)
{
	ASSERT_EQ(0, clasp_netns_params(base_params, params))
		TH_LOG("parameters and namespace: %s", strerror(errno));

	ASSERT_EQ(0, kernel_resets ? 0 : clasp_sh("nft 'add table ip clasp_cookie; "
			      "add chain ip clasp_cookie out { type filter hook output priority 0; }; "
			      "add rule ip clasp_cookie out ip protocol %d @th,0,16 %d-%d @th,109,1 1 drop'",
			      clasp_proto(), PEER_PORT, PEER_PORT + 999)) {
		TH_LOG("nft failed");
	}

	e->lis = clasp_socket();
	ASSERT_LE(0, e->lis) TH_LOG("socket: %s", strerror(errno));
	{
		struct sockaddr_in a = clasp_addr(LO, SRV_PORT);

		ASSERT_EQ(0, bind(e->lis, (struct sockaddr *)&a, sizeof(a))) {
			TH_LOG("bind: %s", strerror(errno));
		}
	}
	ASSERT_EQ(0, listen(e->lis, backlog)) TH_LOG("listen: %s", strerror(errno));
	ASSERT_EQ(0, fcntl(e->lis, F_SETFL, O_NONBLOCK));
	e->raw = clasp_raw_open(LO);
	ASSERT_LE(0, e->raw) TH_LOG("raw socket: %s", strerror(errno));
	e->next_port = PEER_PORT;
	/* Nothing but the listener exists in the namespace. */
	ASSERT_EQ(1, clasp_stat("Objects"));
}

static const struct clasp_param cookies_always[] = {
	{ "syncookies", 2 },
	{ NULL, 0 }
};

static uint16_t peer_port(struct env *e)
{
	return e->next_port++;
}

/* A segment from the peer's @sport to the listener. */
static struct clasp_seg peer_seg(uint16_t sport, uint8_t flags, uint32_t seq,
				 uint32_t ack)
{
	struct clasp_seg s = {
		.sport = sport, .dport = SRV_PORT,
		.flags = flags, .seq = seq, .ack = ack, .win = 65535,
	};

	inet_pton(AF_INET, LO, &s.saddr);
	s.daddr = s.saddr;
	return s;
}

static void peer_send(struct __test_metadata *_metadata, struct env *e,
		      const struct clasp_seg *s)
{
	ASSERT_EQ(0, clasp_raw_send(e->raw, s)) {
		TH_LOG("raw send: %s", strerror(errno));
	}
}

/* The listener's next segment to @sport within @ms: 1, or 0 if none. */
static int peer_recv(struct env *e, uint16_t sport, struct clasp_seg *r,
		     int ms)
{
	return clasp_raw_recv(e->raw, SRV_PORT, sport, r, ms);
}

/*
 * Send a SYN with ISN @isn and MSS option @mss (none if 0) from @sport and
 * return the cookie the SYN-ACK carries.
 */
static uint32_t get_cookie(struct __test_metadata *_metadata, struct env *e,
			   uint16_t sport, uint32_t isn, uint16_t mss)
{
	uint8_t opt[4] = { 2, 4, mss >> 8, mss & 0xff };
	struct clasp_seg s = peer_seg(sport, TH_SYN, isn, 0), r;

	if (mss) {
		s.opts = opt;
		s.optlen = sizeof(opt);
	}
	peer_send(_metadata, e, &s);
	ASSERT_EQ(1, peer_recv(e, sport, &r, WAIT_MS)) {
		TH_LOG("no SYN-ACK to port %u within %d ms", sport, WAIT_MS);
	}
	ASSERT_EQ(TH_SYN | TH_ACK, r.flags);
	ASSERT_EQ(isn + 1, r.ack);
	return r.seq;
}

/* The ACK that returns @cookie for the SYN with ISN @isn from @sport. */
static void send_cookie_ack(struct __test_metadata *_metadata, struct env *e,
			    uint16_t sport, uint32_t isn, uint32_t cookie,
			    const char *data)
{
	struct clasp_seg s = peer_seg(sport, TH_ACK, isn + 1, cookie + 1);

	if (data) {
		s.flags |= TH_PUSH;
		s.data = data;
		s.len = strlen(data);
	}
	peer_send(_metadata, e, &s);
}

/* accept() the next connection within WAIT_MS. */
static int accept_wait(struct __test_metadata *_metadata, struct env *e)
{
	struct pollfd pfd = { .fd = e->lis, .events = POLLIN };
	int fd;

	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS)) {
		TH_LOG("no connection to accept within %d ms", WAIT_MS);
	}
	fd = accept(e->lis, NULL, NULL);
	ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(errno));
	return fd;
}

/* No connection waits in the accept queue, even after QUIET_MS. */
static void expect_no_connection(struct __test_metadata *_metadata,
				 struct env *e)
{
	struct pollfd pfd = { .fd = e->lis, .events = POLLIN };

	EXPECT_EQ(0, poll(&pfd, 1, QUIET_MS));
	EXPECT_EQ(-1, accept(e->lis, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(1, clasp_stat("Objects"));
}

/*
 * Send an ACK from @sport and expect the listener to reject it as a
 * cookie: <SEQ=SEG.ACK><CTL=RST>, SyncookiesFailed + 1, no connection.
 */
static void expect_rejected_ack(struct __test_metadata *_metadata,
				struct env *e, uint16_t sport, uint32_t seq,
				uint32_t ack)
{
	struct clasp_seg s = peer_seg(sport, TH_ACK, seq, ack), r;
	long long failed = clasp_stat("SyncookiesFailed");
	long long recv = clasp_stat("SyncookiesRecv");

	peer_send(_metadata, e, &s);
	ASSERT_EQ(1, peer_recv(e, sport, &r, WAIT_MS)) {
		TH_LOG("no reset for seq %#x ack %#x from port %u", seq, ack,
		       sport);
	}
	EXPECT_EQ(TH_RST, r.flags) TH_LOG("ack %#x", ack);
	EXPECT_EQ(ack, r.seq);
	EXPECT_EQ(0, r.len);
	EXPECT_EQ(failed + 1, clasp_stat("SyncookiesFailed")) TH_LOG("ack %#x", ack);
	EXPECT_EQ(recv, clasp_stat("SyncookiesRecv")) TH_LOG("ack %#x", ack);
	EXPECT_EQ(1, clasp_stat("Objects"));
}

static void get_info(struct __test_metadata *_metadata, int fd,
		     struct clasp_info *info)
{
	ASSERT_EQ(0, clasp_get_info(fd, info)) {
		TH_LOG("getsockopt(CLASP_INFO): %s", strerror(errno));
	}
}

/*
 * Close a connection with a reset (SO_LINGER {1, 0}): the peer is a raw
 * socket that would never acknowledge a FIN, so an ordinary close would
 * leave an orphan retransmitting it.
 */
static void close_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/*
 * The whole exchange: SYN, cookie SYN-ACK, ACK; with syncookies=2 no
 * request object exists at any point, and the ACK alone makes the socket.
 */
TEST(handshake_completes_without_request_object)
{
	long long sent, recvd, passive, failed;
	struct env e;
	struct clasp_info info;
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	struct clasp_seg r;
	uint32_t isn = 0x12345678, cookie;
	uint16_t port;
	int fd;

	env_setup(_metadata, &e, cookies_always, 16);
	port = peer_port(&e);
	sent = clasp_stat("SyncookiesSent");
	recvd = clasp_stat("SyncookiesRecv");
	failed = clasp_stat("SyncookiesFailed");
	passive = clasp_stat("PassiveOpens");

	cookie = get_cookie(_metadata, &e, port, isn, 1460);
	EXPECT_EQ(sent + 1, clasp_stat("SyncookiesSent"));
	EXPECT_EQ(1, clasp_stat("Objects"));	/* the listener alone */
	EXPECT_EQ(passive, clasp_stat("PassiveOpens"));
	/* Nothing shows up later either. */
	clasp_sleep_ms(QUIET_MS);
	EXPECT_EQ(1, clasp_stat("Objects"));

	send_cookie_ack(_metadata, &e, port, isn, cookie, NULL);
	fd = accept_wait(_metadata, &e);
	EXPECT_EQ(recvd + 1, clasp_stat("SyncookiesRecv"));
	EXPECT_EQ(failed, clasp_stat("SyncookiesFailed"));
	EXPECT_EQ(passive + 1, clasp_stat("PassiveOpens"));
	EXPECT_EQ(2, clasp_stat("Objects"));	/* listener and connection */

	get_info(_metadata, fd, &info);
	EXPECT_EQ(TCP_ESTABLISHED, info.state);
	EXPECT_EQ(cookie, info.iss);
	EXPECT_EQ(isn, info.irs);
	EXPECT_EQ(cookie + 1, info.snd_una);
	EXPECT_EQ(cookie + 1, info.snd_nxt);
	EXPECT_EQ(isn + 1, info.rcv_nxt);
	EXPECT_EQ(1460, info.peer_mss);
	ASSERT_EQ(0, getpeername(fd, (struct sockaddr *)&peer, &plen));
	EXPECT_EQ(port, ntohs(peer.sin_port));
	EXPECT_EQ(htonl(INADDR_LOOPBACK), peer.sin_addr.s_addr);

	/* The new connection was quiet: nothing went to the peer. */
	EXPECT_EQ(0, peer_recv(&e, port, &r, QUIET_MS));
	close_abort(fd);
}

/* clasp's own connect() completes against a cookie like any other. */
TEST(real_client_connects_through_cookie)
{
	struct sockaddr_in a = clasp_addr(LO, SRV_PORT);
	struct clasp_info ci, si;
	char buf[16] = { 0 };
	struct env e;
	int cli, srv;
	size_t i;

	env_setup(_metadata, &e, cookies_always, 16);
	cli = clasp_socket();
	ASSERT_LE(0, cli);
	ASSERT_EQ(0, connect(cli, (struct sockaddr *)&a, sizeof(a))) {
		TH_LOG("connect: %s", strerror(errno));
	}
	srv = accept_wait(_metadata, &e);
	EXPECT_EQ(1, clasp_stat("SyncookiesSent"));
	EXPECT_EQ(1, clasp_stat("SyncookiesRecv"));
	EXPECT_EQ(3, clasp_stat("Objects"));	/* listener, both ends */
	get_info(_metadata, cli, &ci);
	get_info(_metadata, srv, &si);
	EXPECT_EQ(TCP_ESTABLISHED, ci.state);
	EXPECT_EQ(TCP_ESTABLISHED, si.state);
	EXPECT_EQ(ci.iss, si.irs);
	EXPECT_EQ(si.iss, ci.irs);
	/* The client's MSS, rounded down to the table. */
	for (i = 0; i < sizeof(cookie_mss) / sizeof(cookie_mss[0]); i++)
		if (cookie_mss[i] == si.peer_mss)
			break;
	EXPECT_LT(i, sizeof(cookie_mss) / sizeof(cookie_mss[0])) {
		TH_LOG("peer_mss %u is not in the table", si.peer_mss);
	}
	EXPECT_GE(ci.mss, si.peer_mss);

	{
		struct timeval tv = { .tv_sec = WAIT_MS / 1000 };

		setsockopt(cli, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	ASSERT_EQ(5, send(cli, "hello", 5, MSG_NOSIGNAL));
	ASSERT_EQ(5, recv(srv, buf, sizeof(buf), 0));
	EXPECT_STREQ("hello", buf);
	ASSERT_EQ(5, send(srv, "world", 5, MSG_NOSIGNAL));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(5, recv(cli, buf, sizeof(buf), 0));
	EXPECT_STREQ("world", buf);
	close(cli);
	close(srv);
}

/*
 * Over loopback the kernel answers the cookie SYN-ACK to the peer's port
 * (no socket there) with <SEQ=SEG.ACK><RST>: the exact reset that ends a
 * request.  A cookie leaves nothing for it to end: the ACK still works.
 */
TEST(reset_after_cookie_synack_changes_nothing)
{
	struct clasp_seg r, rst;
	struct env e;
	uint32_t isn = 0xc0ffee, cookie;
	uint16_t port;
	int fd;

	kernel_resets = true;
	env_setup(_metadata, &e, cookies_always, 16);
	port = peer_port(&e);
	cookie = get_cookie(_metadata, &e, port, isn, 1460);
	/*
	 * The kernel's reset goes from the peer's port to the listener (the
	 * raw socket also sees the peer's own SYN go that way).
	 */
	do {
		ASSERT_EQ(1, clasp_raw_recv(e.raw, port, SRV_PORT, &r, WAIT_MS)) {
			TH_LOG("the kernel did not reset the SYN-ACK");
		}
	} while (r.flags == TH_SYN);
	EXPECT_EQ(TH_RST, r.flags);
	EXPECT_EQ(isn + 1, r.seq);
	/* And one from the peer itself, for good measure. */
	rst = peer_seg(port, TH_RST, isn + 1, 0);
	peer_send(_metadata, &e, &rst);
	clasp_sleep_ms(QUIET_MS);
	EXPECT_EQ(1, clasp_stat("Objects"));
	EXPECT_EQ(0, clasp_stat("RstsReceived"));

	send_cookie_ack(_metadata, &e, port, isn, cookie, NULL);
	fd = accept_wait(_metadata, &e);
	EXPECT_EQ(1, clasp_stat("SyncookiesRecv"));
	EXPECT_EQ(0, clasp_stat("SyncookiesFailed"));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
	close_abort(fd);
}

/* The SYN with the same ISN in the same period gets the same cookie. */
TEST(cookie_is_stateless_and_repeatable)
{
	struct env e;
	uint16_t port;
	uint32_t c1, c2, c3;

	env_setup(_metadata, &e, cookies_always, 16);
	port = peer_port(&e);
	c1 = get_cookie(_metadata, &e, port, 1000, 1460);
	c2 = get_cookie(_metadata, &e, port, 1000, 1460);
	EXPECT_EQ(c1, c2);
	/* Another ISN or another port: another MAC. */
	c3 = get_cookie(_metadata, &e, port, 2000, 1460);
	EXPECT_NE(c1, c3);
	c3 = get_cookie(_metadata, &e, peer_port(&e), 1000, 1460);
	EXPECT_NE(c1, c3);
	EXPECT_EQ(1, clasp_stat("Objects"));
	EXPECT_EQ(4, clasp_stat("SyncookiesSent"));
}

/* Nothing to retransmit from: one SYN-ACK per SYN, however long we wait. */
TEST(cookie_synack_is_not_retransmitted)
{
	static const struct clasp_param p[] = {
		{ "syncookies", 2 }, { "rto_initial_ms", 100 },
		{ NULL, 0 }
	};
	struct env e;
	struct clasp_seg r;
	uint16_t port;

	env_setup(_metadata, &e, p, 16);
	port = peer_port(&e);
	get_cookie(_metadata, &e, port, 777, 1460);
	/* A request would have retransmitted at 100, 300, 700 ms. */
	EXPECT_EQ(0, peer_recv(&e, port, &r, 1000));
	EXPECT_EQ(0, clasp_stat("RetransSegs"));
	EXPECT_EQ(1, clasp_stat("SyncookiesSent"));
	EXPECT_EQ(1, clasp_stat("Objects"));
}

/*
 * The cookie has 3 bits for the MSS: the SYN's MSS comes back rounded down
 * to the table, no option means the default 536.
 */
TEST(mss_rounded_down_to_cookie_table)
{
	static const struct {
		uint16_t syn_mss;	/* 0: no MSS option */
		unsigned int want;
	} cases[] = {
		{ 1400, 1360 }, { 1460, 1460 }, { 1359, 1220 }, { 1441, 1440 },
		{ 216, 216 }, { 535, 216 }, { 1000, 536 }, { 9000, 8960 },
		{ 32191, 8960 }, { 65535, 32192 }, { 0, 536 },
	};
	struct env e;
	size_t i;

	env_setup(_metadata, &e, cookies_always, 16);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint16_t port = peer_port(&e);
		uint32_t isn = 5000 * (i + 1), cookie;
		struct clasp_info info;
		int fd;

		cookie = get_cookie(_metadata, &e, port, isn, cases[i].syn_mss);
		/* The low 3 bits index the table. */
		EXPECT_EQ(cases[i].want, cookie_mss[cookie & 7]) {
			TH_LOG("SYN MSS %u: cookie %#x", cases[i].syn_mss,
			       cookie);
		}
		send_cookie_ack(_metadata, &e, port, isn, cookie, NULL);
		fd = accept_wait(_metadata, &e);
		get_info(_metadata, fd, &info);
		EXPECT_EQ(cases[i].want, info.peer_mss) {
			TH_LOG("SYN MSS %u", cases[i].syn_mss);
		}
		/*
		 * Loopback's own MSS is larger (up to clasp's 32 KiB limit):
		 * the peer's limits.
		 */
		if (cases[i].want <= 8960) {
			EXPECT_EQ(cases[i].want, info.mss) {
				TH_LOG("SYN MSS %u", cases[i].syn_mss);
			}
			EXPECT_EQ(cases[i].want, (unsigned int)clasp_maxseg(fd));
		} else {
			EXPECT_GE(cases[i].want, info.mss);
			EXPECT_LT(8960, info.mss);
		}
		close_abort(fd);
	}
	EXPECT_EQ((long long)i, clasp_stat("SyncookiesRecv"));
}

/*
 * Every single bit of the cookie matters: each of the 32 one-bit changes
 * is rejected with a reset, and the true cookie still works afterwards.
 */
TEST(flipped_cookie_bit_is_rejected)
{
	struct env e;
	uint32_t isn = 0xfffffff0, cookie;	/* seq wraps past 2^32 */
	uint16_t port;
	int bit, fd;

	env_setup(_metadata, &e, cookies_always, 16);
	port = peer_port(&e);
	cookie = get_cookie(_metadata, &e, port, isn, 1460);
	for (bit = 0; bit < 32; bit++) {
		uint32_t bad = cookie ^ (1U << bit);
		int before = _metadata->exit_code;

		expect_rejected_ack(_metadata, &e, port, isn + 1, bad + 1);
		if (_metadata->exit_code != before)
			TH_LOG("bit %d of cookie %#x", bit, cookie);
	}
	EXPECT_EQ(32, clasp_stat("SyncookiesFailed"));
	expect_no_connection(_metadata, &e);

	send_cookie_ack(_metadata, &e, port, isn, cookie, NULL);
	fd = accept_wait(_metadata, &e);
	EXPECT_EQ(1, clasp_stat("SyncookiesRecv"));
	close_abort(fd);
}

/* The MAC covers the 4-tuple and the peer's ISN. */
TEST(cookie_bound_to_four_tuple_and_isn)
{
	struct env e;
	uint32_t isn = 424242, cookie;
	uint16_t port, other;
	int fd;

	env_setup(_metadata, &e, cookies_always, 16);
	port = peer_port(&e);
	other = peer_port(&e);
	cookie = get_cookie(_metadata, &e, port, isn, 1460);
	/* Same numbers from another port. */
	expect_rejected_ack(_metadata, &e, other, isn + 1, cookie + 1);
	/* Same port, but the sequence number says another ISN. */
	expect_rejected_ack(_metadata, &e, port, isn + 2, cookie + 1);
	expect_rejected_ack(_metadata, &e, port, isn, cookie + 1);
	expect_no_connection(_metadata, &e);

	send_cookie_ack(_metadata, &e, port, isn, cookie, NULL);
	fd = accept_wait(_metadata, &e);
	EXPECT_EQ(3, clasp_stat("SyncookiesFailed"));
	EXPECT_EQ(1, clasp_stat("SyncookiesRecv"));
	close_abort(fd);
}

/* ACKs that return no cookie the listener ever sent: all rejected. */
TEST(ack_for_cookie_never_sent_is_rejected)
{
	struct env e;
	uint32_t rnd[2 * 64];
	int i;

	env_setup(_metadata, &e, cookies_always, 16);
	ASSERT_EQ((ssize_t)sizeof(rnd), getrandom(rnd, sizeof(rnd), 0));
	for (i = 0; i < 64; i++)
		expect_rejected_ack(_metadata, &e, peer_port(&e), rnd[2 * i],
				    rnd[2 * i + 1]);
	EXPECT_EQ(64, clasp_stat("SyncookiesFailed"));
	EXPECT_EQ(0, clasp_stat("SyncookiesRecv"));
	EXPECT_EQ(0, clasp_stat("SyncookiesSent"));
	expect_no_connection(_metadata, &e);
}

static const struct clasp_param short_period[] = {
	{ "syncookies", 2 }, { "syncookie_period_ms", SHORT_PERIOD_MS },
	{ NULL, 0 }
};

/*
 * A cookie is valid while the counter is its own step or the next one: at
 * least one period and at most two.  Used after half a period: accepted.
 */
TEST(cookie_within_window_is_accepted)
{
	struct env e;
	int attempt, fd = -1;

	env_setup(_metadata, &e, short_period, 16);
	/* The guest may be slow: retry if the ACK did not leave in time. */
	for (attempt = 0; attempt < 5 && fd < 0; attempt++) {
		uint16_t port = peer_port(&e);
		uint32_t isn = 99 + attempt, cookie;
		long long t0 = clasp_now_ms(), late;

		cookie = get_cookie(_metadata, &e, port, isn, 1460);
		clasp_sleep_ms(SHORT_PERIOD_MS / 2);
		send_cookie_ack(_metadata, &e, port, isn, cookie, NULL);
		late = clasp_now_ms() - t0;
		if (late >= SHORT_PERIOD_MS) {
			TH_LOG("ACK left %lld ms after the SYN; again", late);
			clasp_sleep_ms(3 * SHORT_PERIOD_MS);
			/* whatever happened to it, take it out of the way */
			if (clasp_stat("SyncookiesRecv") > 0) {
				fd = accept_wait(_metadata, &e);
				close_abort(fd);
				fd = -1;
			}
			continue;
		}
		fd = accept_wait(_metadata, &e);
	}
	ASSERT_LE(0, fd) TH_LOG("no ACK within one period in 5 attempts");
	EXPECT_EQ(0, clasp_stat("SyncookiesFailed"));
	close_abort(fd);
}

/* After more than two periods the cookie is stale: reset, no connection. */
TEST(cookie_older_than_window_is_rejected)
{
	struct env e;
	uint16_t port;
	uint32_t isn = 31337, cookie;
	long long failed;

	env_setup(_metadata, &e, short_period, 16);
	port = peer_port(&e);
	cookie = get_cookie(_metadata, &e, port, isn, 1460);
	/* > 2 periods after the cookie was made, < 16 (the 4-bit wrap) */
	clasp_sleep_ms(1000);
	failed = clasp_stat("SyncookiesFailed");
	expect_rejected_ack(_metadata, &e, port, isn + 1, cookie + 1);
	EXPECT_EQ(failed + 1, clasp_stat("SyncookiesFailed"));
	expect_no_connection(_metadata, &e);
	EXPECT_EQ(0, clasp_stat("SyncookiesRecv"));

	/* A fresh SYN gets a fresh cookie, which works. */
	cookie = get_cookie(_metadata, &e, port, isn, 1460);
	send_cookie_ack(_metadata, &e, port, isn, cookie, NULL);
	close_abort(accept_wait(_metadata, &e));
	EXPECT_EQ(1, clasp_stat("SyncookiesRecv"));
}

/* Data riding on the ACK that returns the cookie reaches the application. */
TEST(data_on_cookie_ack_is_kept)
{
	static const char data[] = "data riding on the cookie ACK";
	size_t len = strlen(data);
	struct clasp_info info;
	struct clasp_seg r;
	char buf[128] = { 0 };
	struct env e;
	uint32_t isn = 0x7ffffff0, cookie;
	uint16_t port;
	ssize_t n;
	int fd;

	env_setup(_metadata, &e, cookies_always, 16);
	port = peer_port(&e);
	cookie = get_cookie(_metadata, &e, port, isn, 1460);
	send_cookie_ack(_metadata, &e, port, isn, cookie, data);
	fd = accept_wait(_metadata, &e);

	/* The connection acknowledges the data... */
	ASSERT_EQ(1, peer_recv(&e, port, &r, WAIT_MS)) {
		TH_LOG("the data was not acknowledged");
	}
	EXPECT_EQ(TH_ACK, r.flags & (TH_ACK | TH_SYN | TH_RST | TH_FIN));
	EXPECT_EQ(isn + 1 + len, r.ack);
	EXPECT_EQ(cookie + 1, r.seq);
	/* ...and has it for the application. */
	get_info(_metadata, fd, &info);
	EXPECT_EQ(TCP_ESTABLISHED, info.state);
	EXPECT_EQ(isn + 1 + len, info.rcv_nxt);
	EXPECT_EQ(len, info.recv_queue);
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	EXPECT_EQ((ssize_t)len, n);
	EXPECT_STREQ(data, buf);
	EXPECT_EQ(1, clasp_stat("SyncookiesRecv"));

	/* The connection works both ways. */
	ASSERT_EQ(4, send(fd, "pong", 4, MSG_NOSIGNAL));
	ASSERT_EQ(1, peer_recv(&e, port, &r, WAIT_MS));
	EXPECT_EQ(4, r.len);
	EXPECT_EQ(cookie + 1, r.seq);
	EXPECT_EQ(isn + 1 + len, r.ack);
	/* No reset from the peer's side ended it meanwhile. */
	clasp_sleep_ms(QUIET_MS);
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
	close_abort(fd);
}

/*
 * syncookies=1: requests while the SYN queue (min(backlog, max_syn_backlog))
 * has room, cookies once it is full, and both kinds complete.
 */
TEST(cookies_only_when_syn_queue_full)
{
	static const struct clasp_param p[] = {
		{ "syncookies", 1 }, { "max_syn_backlog", 1024 },
		{ NULL, 0 }
	};
	struct clasp_seg r;
	struct env e;
	uint16_t a, b, c;
	uint32_t ca, cb, cc;
	int fd;

	env_setup(_metadata, &e, p, 2);
	a = peer_port(&e);
	b = peer_port(&e);
	c = peer_port(&e);

	/* No cookie sent yet: a stray ACK is a plain reset, no failed cookie. */
	{
		struct clasp_seg s = peer_seg(peer_port(&e), TH_ACK, 1, 0xabcdef);

		peer_send(_metadata, &e, &s);
		ASSERT_EQ(1, peer_recv(&e, s.sport, &r, WAIT_MS));
		EXPECT_EQ(TH_RST, r.flags);
		EXPECT_EQ(0xabcdef, r.seq);
		EXPECT_EQ(0, clasp_stat("SyncookiesFailed"));
	}

	ca = get_cookie(_metadata, &e, a, 100, 1460);
	cb = get_cookie(_metadata, &e, b, 200, 1400);
	EXPECT_EQ(3, clasp_stat("Objects"));	/* listener + 2 requests */
	EXPECT_EQ(2, clasp_stat("PassiveOpens"));
	EXPECT_EQ(0, clasp_stat("SyncookiesSent"));
	EXPECT_EQ(0, clasp_stat("ReqQFullDoCookies"));

	cc = get_cookie(_metadata, &e, c, 300, 1400);
	EXPECT_EQ(1, clasp_stat("SyncookiesSent"));
	EXPECT_EQ(1, clasp_stat("ReqQFullDoCookies"));
	EXPECT_EQ(3, clasp_stat("Objects"));	/* no third request */
	EXPECT_EQ(1360, cookie_mss[cc & 7]);

	/* The cookie connection completes while the queue is still full. */
	send_cookie_ack(_metadata, &e, c, 300, cc, NULL);
	fd = accept_wait(_metadata, &e);
	{
		struct clasp_info info;

		get_info(_metadata, fd, &info);
		EXPECT_EQ(cc, info.iss);
		EXPECT_EQ(1360, info.peer_mss);
	}
	close_abort(fd);
	EXPECT_EQ(1, clasp_stat("SyncookiesRecv"));

	/* So do the requests, with their exact MSS. */
	send_cookie_ack(_metadata, &e, b, 200, cb, NULL);
	fd = accept_wait(_metadata, &e);
	{
		struct clasp_info info;

		get_info(_metadata, fd, &info);
		EXPECT_EQ(cb, info.iss);
		EXPECT_EQ(1400, info.peer_mss);
	}
	close_abort(fd);
	send_cookie_ack(_metadata, &e, a, 100, ca, NULL);
	close_abort(accept_wait(_metadata, &e));
	EXPECT_EQ(1, clasp_stat("SyncookiesRecv"));
	EXPECT_EQ(0, clasp_stat("SyncookiesFailed"));
	EXPECT_EQ(3, clasp_stat("PassiveOpens"));
}

/* syncookies=0: a SYN finding the queue full is dropped, never a cookie. */
TEST(no_cookies_when_disabled)
{
	static const struct clasp_param p[] = {
		{ "syncookies", 0 }, { "max_syn_backlog", 1024 },
		{ NULL, 0 }
	};
	struct clasp_seg r;
	struct env e;
	uint16_t a, b;

	env_setup(_metadata, &e, p, 1);
	a = peer_port(&e);
	b = peer_port(&e);
	get_cookie(_metadata, &e, a, 100, 1460);
	EXPECT_EQ(2, clasp_stat("Objects"));

	{
		struct clasp_seg s = peer_seg(b, TH_SYN, 200, 0);

		peer_send(_metadata, &e, &s);
		EXPECT_EQ(0, peer_recv(&e, b, &r, QUIET_MS));
	}
	EXPECT_EQ(1, clasp_stat("ReqQFullDrop"));
	EXPECT_EQ(1, clasp_stat("ListenDrops"));
	EXPECT_EQ(0, clasp_stat("SyncookiesSent"));
	EXPECT_EQ(0, clasp_stat("ReqQFullDoCookies"));
	EXPECT_EQ(2, clasp_stat("Objects"));
	EXPECT_EQ(1, clasp_stat("PassiveOpens"));
}

CLASP_HARNESS_MAIN
