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
 *
 * CLASP_PROTO=6 runs the same against kernel TCP's cookies
 * (net.ipv4.tcp_syncookies 0/1/2): the behaviour is checked, not clasp's
 * encoding.  TCP's cookie carries an index into its own MSS table
 * (tcp_msstab[]), its counters are TcpExt's (clasp_counter()), "Objects"
 * is the sockets /proc/net/tcp lists (listeners, requests, connections,
 * TIME_WAIT), and its cookies age by the minute, which clasp's
 * syncookie_period_ms stands for: those tests are clasp only.
 *
 * CLASP_SLOW=N scales the timers the tests set and their waits by N.
 */
#include "kselftest_harness.h"

#include <fcntl.h>
#include <sys/random.h>

#include "clasp_seg.h"

#define LO		clasp_loopback()	/* 127.0.0.1 or ::1 (CLASP_FAMILY) */
#define SRV_PORT	7000
#define PEER_PORT	41000	/* the fake peer uses PEER_PORT..PEER_PORT+999 */
#define WAIT_MS		((int)clasp_slow_time(2000))	/* for an answer that should come */
#define QUIET_MS	((int)clasp_slow_time(300))	/* for one that should not */
#define SHORT_PERIOD_STOCK 300	/* syncookie_period_ms for the expiry tests */
#define SHORT_PERIOD_MS	((int)clasp_slow_time(SHORT_PERIOD_STOCK))

/* The table of MSS values a cookie can carry (module/syncookies.c). */
static const unsigned int cookie_mss[] = {
	216, 536, 1220, 1360, 1440, 1460, 8960, 32192,
};

/* Kernel TCP's (net/ipv4/syncookies.c, msstab[]; IPv6's, net/ipv6/). */
static const unsigned int tcp_cookie_mss[] = { 536, 1300, 1440, 1460 };
static const unsigned int tcp6_cookie_mss[] = { 1220, 1420, 1440, 8940 };

/*
 * The MSS a cookie keeps of a SYN's @mss (0: no option, 536): the largest
 * table entry not above it; TCP's smallest entry stands for anything below.
 */
static unsigned int cookie_mss_of(unsigned int mss)
{
	const unsigned int *t = !clasp_is_tcp() ? cookie_mss :
				clasp_v6() ? tcp6_cookie_mss : tcp_cookie_mss;
	size_t n = !clasp_is_tcp() ? ARRAY_SIZE(cookie_mss) :
		   clasp_v6() ? ARRAY_SIZE(tcp6_cookie_mss) : ARRAY_SIZE(tcp_cookie_mss);

	if (!mss)
		mss = 536;
	while (n > 1 && t[n - 1] > mss)
		n--;
	return t[n - 1];
}

/*
 * clasp's Objects gauge; for TCP the sockets /proc/net/tcp (tcp6 over
 * IPv6) lists in this namespace: listeners, requests, connections and
 * TIME_WAIT, as clasp's.
 */
static long long objects(void)
{
	char line[512];
	long long n = -1;
	FILE *f;

	if (!clasp_is_tcp())
		return clasp_stat("Objects");
	f = fopen(clasp_v6() ? "/proc/net/tcp6" : "/proc/net/tcp", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/* The peer's MSS a connection uses (TCP: its MSS, TCP_MAXSEG). */
static unsigned int peer_mss(int fd, const struct clasp_info *info)
{
	return clasp_is_tcp() ? (unsigned int)clasp_maxseg(fd) : info->peer_mss;
}

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
 * CLASP_PROTO=6: the parameters as TCP's sysctls where it has them, in
 * the new namespace; TCP sends no timestamps (which would carry cookie
 * bits and shrink the MSS) to stay comparable.  TCP's first SYN-ACK RTO
 * is a fixed 1 s, and its cookies age by the minute.
 */
static void tcp_sysctls(struct __test_metadata *_metadata,
			const struct clasp_param *list)
{
	static const struct { const char *name, *sysctl; int div; } map[] = {
		{ "orphan_retries", "net/ipv4/tcp_orphan_retries", 1 },
		{ "fin_timeout_ms", "net/ipv4/tcp_fin_timeout", 1000 },
		{ "syncookies", "net/ipv4/tcp_syncookies", 1 },
		{ "max_syn_backlog", "net/ipv4/tcp_max_syn_backlog", 1 },
		{ "abort_on_overflow", "net/ipv4/tcp_abort_on_overflow", 1 },
	};
	size_t i;

	ASSERT_EQ(0, clasp_sysctl("net/ipv4/tcp_timestamps", 0));
	for (; list->name; list++) {
		for (i = 0; i < ARRAY_SIZE(map); i++) {
			const char *name = map[i].sysctl;

			if (strcmp(list->name, map[i].name))
				continue;
			ASSERT_EQ(0, clasp_sysctl(name, (list->val + map[i].div - 1) /
							map[i].div)) {
				TH_LOG("sysctl %s", name);
			}
		}
	}
}

/*
 * Write base_params and @params, create and enter a fresh namespace (it
 * copies them), put the old values back, drop the kernel's resets from
 * the peer's ports, then open a listener with @backlog and the raw peer.
 */
static void env_setup(struct __test_metadata *_metadata, struct env *e,
		      const struct clasp_param *params, int backlog)
{
	const struct clasp_param *lists[2] = { base_params, params }, *q;
	const char *fam = clasp_v6() ? "ip6" : "ip";
	struct clasp_param want[16];
	int i, n = 0;

	/* The "_ms" parameters scaled by CLASP_SLOW. */
	for (i = 0; i < 2; i++) {
		for (q = lists[i]; q && q->name; q++) {
			size_t len = strlen(q->name);

			ASSERT_GT(ARRAY_SIZE(want) - 1, n);
			want[n] = *q;
			if (len > 3 && !strcmp(q->name + len - 3, "_ms"))
				want[n].val = clasp_slow_time(q->val);
			n++;
		}
	}
	want[n].name = NULL;
	if (clasp_is_tcp()) {
		ASSERT_EQ(0, clasp_new_netns()) TH_LOG("namespace: %s", strerror(errno));
		tcp_sysctls(_metadata, want);
	} else {
		ASSERT_EQ(0, clasp_netns_params(want, NULL))
			TH_LOG("parameters and namespace: %s", strerror(errno));
	}

	ASSERT_EQ(0, kernel_resets ? 0 : clasp_sh("nft 'add table %s clasp_cookie; "
			      "add chain %s clasp_cookie out { type filter hook output priority 0; }; "
			      "add rule %s clasp_cookie out %s %d @th,0,16 %d-%d @th,109,1 1 drop'",
			      fam, fam, fam, clasp_v6() ? "meta l4proto" : "ip protocol",
			      clasp_proto(), PEER_PORT, PEER_PORT + 999)) {
		TH_LOG("nft failed");
	}

	e->lis = clasp_socket();
	ASSERT_LE(0, e->lis) TH_LOG("socket: %s", strerror(errno));
	{
		struct clasp_sockaddr a = clasp_sockaddr(LO, SRV_PORT);

		ASSERT_EQ(0, bind(e->lis, &a.sa, a.len)) {
			TH_LOG("bind: %s", strerror(errno));
		}
	}
	ASSERT_EQ(0, listen(e->lis, backlog)) TH_LOG("listen: %s", strerror(errno));
	ASSERT_EQ(0, fcntl(e->lis, F_SETFL, O_NONBLOCK));
	e->raw = clasp_raw_open(LO);
	ASSERT_LE(0, e->raw) TH_LOG("raw socket: %s", strerror(errno));
	e->next_port = PEER_PORT;
	/* Nothing but the listener exists in the namespace. */
	ASSERT_EQ(1, objects());
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

	clasp_seg_addrs(&s, LO, LO);
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
	EXPECT_EQ(1, objects());
}

/*
 * Send an ACK from @sport and expect the listener to reject it as a
 * cookie: <SEQ=SEG.ACK><CTL=RST>, SyncookiesFailed + @counted (-1: not
 * checked), no connection.
 */
static void expect_rejected_ack(struct __test_metadata *_metadata,
				struct env *e, uint16_t sport, uint32_t seq,
				uint32_t ack, int counted)
{
	struct clasp_seg s = peer_seg(sport, TH_ACK, seq, ack), r;
	long long failed = clasp_counter("SyncookiesFailed");
	long long recv = clasp_counter("SyncookiesRecv");

	peer_send(_metadata, e, &s);
	ASSERT_EQ(1, peer_recv(e, sport, &r, WAIT_MS)) {
		TH_LOG("no reset for seq %#x ack %#x from port %u", seq, ack,
		       sport);
	}
	EXPECT_EQ(TH_RST, r.flags) TH_LOG("ack %#x", ack);
	EXPECT_EQ(ack, r.seq);
	EXPECT_EQ(0, r.len);
	if (counted >= 0)
		EXPECT_EQ(failed + counted, clasp_counter("SyncookiesFailed")) {
			TH_LOG("ack %#x", ack);
		}
	EXPECT_EQ(recv, clasp_counter("SyncookiesRecv")) TH_LOG("ack %#x", ack);
	EXPECT_EQ(1, objects());
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
	struct clasp_sockaddr peer, lo = clasp_sockaddr(LO, 0);
	socklen_t plen = sizeof(peer);
	struct clasp_seg r;
	uint32_t isn = 0x12345678, cookie;
	uint16_t port;
	int fd;

	env_setup(_metadata, &e, cookies_always, 16);
	port = peer_port(&e);
	sent = clasp_counter("SyncookiesSent");
	recvd = clasp_counter("SyncookiesRecv");
	failed = clasp_counter("SyncookiesFailed");
	passive = clasp_counter("PassiveOpens");

	cookie = get_cookie(_metadata, &e, port, isn, 1460);
	EXPECT_EQ(sent + 1, clasp_counter("SyncookiesSent"));
	EXPECT_EQ(1, objects());	/* the listener alone */
	EXPECT_EQ(passive, clasp_counter("PassiveOpens"));	/* no request */
	/* Nothing shows up later either. */
	clasp_sleep_ms(QUIET_MS);
	EXPECT_EQ(1, objects());

	send_cookie_ack(_metadata, &e, port, isn, cookie, NULL);
	fd = accept_wait(_metadata, &e);
	EXPECT_EQ(recvd + 1, clasp_counter("SyncookiesRecv"));
	EXPECT_EQ(failed, clasp_counter("SyncookiesFailed"));
	EXPECT_EQ(passive + 1, clasp_counter("PassiveOpens"));
	EXPECT_EQ(2, objects());	/* listener and connection */

	get_info(_metadata, fd, &info);
	EXPECT_EQ(TCP_ESTABLISHED, info.state);
	if (clasp_only_check("iss, irs, snd_una, snd_nxt, rcv_nxt: TCP's tcp_info has none of them")) {
		EXPECT_EQ(cookie, info.iss);
		EXPECT_EQ(isn, info.irs);
		EXPECT_EQ(cookie + 1, info.snd_una);
		EXPECT_EQ(cookie + 1, info.snd_nxt);
		EXPECT_EQ(isn + 1, info.rcv_nxt);
	}
	/* TCP over IPv6: 1440, its IPv6 table has no 1460. */
	EXPECT_EQ(cookie_mss_of(1460), peer_mss(fd, &info));
	ASSERT_EQ(0, getpeername(fd, &peer.sa, &plen));
	EXPECT_EQ(lo.sa.sa_family, peer.sa.sa_family);
	EXPECT_EQ(port, clasp_sockaddr_port(&peer));
	if (lo.sa.sa_family == AF_INET6) {
		EXPECT_EQ(0, memcmp(&lo.in6.sin6_addr, &peer.in6.sin6_addr, 16));
	} else {
		EXPECT_EQ(htonl(INADDR_LOOPBACK), peer.in.sin_addr.s_addr);
	}

	/* The new connection was quiet: nothing went to the peer. */
	EXPECT_EQ(0, peer_recv(&e, port, &r, QUIET_MS));
	close_abort(fd);
}

/* clasp's own connect() completes against a cookie like any other. */
TEST(real_client_connects_through_cookie)
{
	struct clasp_sockaddr a = clasp_sockaddr(LO, SRV_PORT);
	struct clasp_info ci, si;
	char buf[16] = { 0 };
	struct env e;
	int cli, srv;
	size_t i;

	env_setup(_metadata, &e, cookies_always, 16);
	cli = clasp_socket();
	ASSERT_LE(0, cli);
	ASSERT_EQ(0, connect(cli, &a.sa, a.len)) {
		TH_LOG("connect: %s", strerror(errno));
	}
	srv = accept_wait(_metadata, &e);
	EXPECT_EQ(1, clasp_counter("SyncookiesSent"));
	EXPECT_EQ(1, clasp_counter("SyncookiesRecv"));
	EXPECT_EQ(3, objects());	/* listener, both ends */
	get_info(_metadata, cli, &ci);
	get_info(_metadata, srv, &si);
	EXPECT_EQ(TCP_ESTABLISHED, ci.state);
	EXPECT_EQ(TCP_ESTABLISHED, si.state);
	if (clasp_only_check("iss and irs: TCP's tcp_info has neither")) {
		EXPECT_EQ(ci.iss, si.irs);
		EXPECT_EQ(si.iss, ci.irs);
	}
	/* The client's MSS, rounded down to the table. */
	i = peer_mss(srv, &si);
	EXPECT_EQ(i, cookie_mss_of(i)) TH_LOG("peer MSS %zu is not in the table", i);
	/* Timestamps, on by default, take 12 bytes of each segment. */
	EXPECT_GE(ci.mss + clasp_opt_room(cli), peer_mss(srv, &si));

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
	EXPECT_EQ(1, objects());
	if (clasp_only_check("RstsReceived: TCP has no counter of resets received"))
		EXPECT_EQ(0, clasp_counter("RstsReceived"));

	send_cookie_ack(_metadata, &e, port, isn, cookie, NULL);
	fd = accept_wait(_metadata, &e);
	EXPECT_EQ(1, clasp_counter("SyncookiesRecv"));
	EXPECT_EQ(0, clasp_counter("SyncookiesFailed"));
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
	EXPECT_EQ(1, objects());
	EXPECT_EQ(4, clasp_counter("SyncookiesSent"));
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
	/* A request would have retransmitted at 100, 300, 700 ms (TCP: 1 s). */
	EXPECT_EQ(0, peer_recv(&e, port, &r,
			       clasp_slow_time(clasp_is_tcp() ? 1500 : 1000)));
	EXPECT_EQ(0, clasp_counter("RetransSegs"));
	EXPECT_EQ(1, clasp_counter("SyncookiesSent"));
	EXPECT_EQ(1, objects());
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

		unsigned int want = clasp_is_tcp() ?
				    cookie_mss_of(cases[i].syn_mss) : cases[i].want;

		cookie = get_cookie(_metadata, &e, port, isn, cases[i].syn_mss);
		/* The low 3 bits index the table. */
		if (!clasp_is_tcp()) {
			EXPECT_EQ(cases[i].want, cookie_mss[cookie & 7]) {
				TH_LOG("SYN MSS %u: cookie %#x", cases[i].syn_mss,
				       cookie);
			}
		}
		send_cookie_ack(_metadata, &e, port, isn, cookie, NULL);
		fd = accept_wait(_metadata, &e);
		get_info(_metadata, fd, &info);
		EXPECT_EQ(want, peer_mss(fd, &info)) {
			TH_LOG("SYN MSS %u", cases[i].syn_mss);
		}
		/*
		 * Loopback's own MSS is larger (up to clasp's 32 KiB limit):
		 * the peer's limits.
		 */
		if (want <= 8960) {
			EXPECT_EQ(want, info.mss) {
				TH_LOG("SYN MSS %u", cases[i].syn_mss);
			}
			EXPECT_EQ(want, (unsigned int)clasp_maxseg(fd));
		} else {
			EXPECT_GE(want, info.mss);
			EXPECT_LT(8960, info.mss);
		}
		close_abort(fd);
	}
	EXPECT_EQ((long long)i, clasp_counter("SyncookiesRecv"));
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

		/*
		 * Linux adds the MSS index (bits 0-1) to its cookie outside
		 * the hash: flipping one may give another valid index.
		 */
		if (bit < 2 && !clasp_only_check("cookie bits 0 and 1 flipped are rejected; Linux keeps its MSS index there, outside the hash"))
			continue;

		expect_rejected_ack(_metadata, &e, port, isn + 1, bad + 1, 1);
		if (_metadata->exit_code != before)
			TH_LOG("bit %d of cookie %#x", bit, cookie);
	}
	EXPECT_EQ(clasp_is_tcp() ? 30 : 32, clasp_counter("SyncookiesFailed"));
	expect_no_connection(_metadata, &e);

	send_cookie_ack(_metadata, &e, port, isn, cookie, NULL);
	fd = accept_wait(_metadata, &e);
	EXPECT_EQ(1, clasp_counter("SyncookiesRecv"));
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
	expect_rejected_ack(_metadata, &e, other, isn + 1, cookie + 1, 1);
	/*
	 * Same port, but the sequence number says another ISN.  Linux adds
	 * the ISN to its cookie outside the hash (secure_tcp_syn_cookie()): an
	 * ISN one above reads as the next smaller MSS index, a valid cookie.
	 */
	if (clasp_only_check("an ACK whose ISN is one above the SYN's is rejected; Linux takes it as a cookie for the next smaller MSS"))
		expect_rejected_ack(_metadata, &e, port, isn + 2, cookie + 1, 1);
	/*
	 * One below reads as the next larger index: past the end of IPv4's
	 * table, but IPv6's has one above 1440 (8940).
	 */
	if (!(clasp_is_tcp() && clasp_v6()) ||
	    clasp_only_check("an ACK whose ISN is one below the SYN's is rejected; Linux over IPv6 takes it as a cookie for the next larger MSS"))
		expect_rejected_ack(_metadata, &e, port, isn, cookie + 1, 1);
	expect_no_connection(_metadata, &e);

	send_cookie_ack(_metadata, &e, port, isn, cookie, NULL);
	fd = accept_wait(_metadata, &e);
	EXPECT_EQ(!clasp_is_tcp() ? 3 : clasp_v6() ? 1 : 2,
		  clasp_counter("SyncookiesFailed"));
	EXPECT_EQ(1, clasp_counter("SyncookiesRecv"));
	close_abort(fd);
}

/* ACKs that return no cookie the listener ever sent: all rejected. */
TEST(ack_for_cookie_never_sent_is_rejected)
{
	struct env e;
	uint32_t rnd[2 * 64];
	int i;

	/*
	 * Linux checks an ACK as a cookie only when its listener has sent
	 * cookies in the last two minutes (tcp_synq_no_recent_overflow()):
	 * here it resets them without counting a failed cookie.  Over IPv6
	 * it counted them in one run and not in the next: then the count is
	 * not checked against TCP (-1).
	 */
	int counted = !clasp_is_tcp() ? 1 : !clasp_v6() ? 0 :
		      clasp_only_check("SyncookiesFailed for ACKs no cookie answered: Linux over IPv6 counts them or not from run to run") ? 1 : -1;

	env_setup(_metadata, &e, cookies_always, 16);
	ASSERT_EQ((ssize_t)sizeof(rnd), getrandom(rnd, sizeof(rnd), 0));
	for (i = 0; i < 64; i++)
		expect_rejected_ack(_metadata, &e, peer_port(&e), rnd[2 * i],
				    rnd[2 * i + 1], counted);
	if (counted >= 0)
		EXPECT_EQ(64 * counted, clasp_counter("SyncookiesFailed"));
	EXPECT_EQ(0, clasp_counter("SyncookiesRecv"));
	EXPECT_EQ(0, clasp_counter("SyncookiesSent"));
	expect_no_connection(_metadata, &e);
}

static const struct clasp_param short_period[] = {
	{ "syncookies", 2 }, { "syncookie_period_ms", SHORT_PERIOD_STOCK },
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

	CLASP_ONLY("syncookie_period_ms: TCP's cookies age by the minute, too slow to test");
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
			if (clasp_counter("SyncookiesRecv") > 0) {
				fd = accept_wait(_metadata, &e);
				close_abort(fd);
				fd = -1;
			}
			continue;
		}
		fd = accept_wait(_metadata, &e);
	}
	ASSERT_LE(0, fd) TH_LOG("no ACK within one period in 5 attempts");
	EXPECT_EQ(0, clasp_counter("SyncookiesFailed"));
	close_abort(fd);
}

/* After more than two periods the cookie is stale: reset, no connection. */
TEST(cookie_older_than_window_is_rejected)
{
	struct env e;
	uint16_t port;
	uint32_t isn = 31337, cookie;
	long long failed;

	CLASP_ONLY("syncookie_period_ms: TCP's cookies age by the minute, too slow to test");
	env_setup(_metadata, &e, short_period, 16);
	port = peer_port(&e);
	cookie = get_cookie(_metadata, &e, port, isn, 1460);
	/* > 2 periods after the cookie was made, < 16 (the 4-bit wrap) */
	clasp_sleep_ms(clasp_slow_time(1000));
	failed = clasp_counter("SyncookiesFailed");
	expect_rejected_ack(_metadata, &e, port, isn + 1, cookie + 1, 1);
	EXPECT_EQ(failed + 1, clasp_counter("SyncookiesFailed"));
	expect_no_connection(_metadata, &e);
	EXPECT_EQ(0, clasp_counter("SyncookiesRecv"));

	/* A fresh SYN gets a fresh cookie, which works. */
	cookie = get_cookie(_metadata, &e, port, isn, 1460);
	send_cookie_ack(_metadata, &e, port, isn, cookie, NULL);
	close_abort(accept_wait(_metadata, &e));
	EXPECT_EQ(1, clasp_counter("SyncookiesRecv"));
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
	if (clasp_only_check("rcv_nxt and recv_queue: TCP's tcp_info has neither (the ACK above shows rcv_nxt)")) {
		EXPECT_EQ(isn + 1 + len, info.rcv_nxt);
		EXPECT_EQ(len, info.recv_queue);
	}
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	EXPECT_EQ((ssize_t)len, n);
	EXPECT_STREQ(data, buf);
	EXPECT_EQ(1, clasp_counter("SyncookiesRecv"));

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
	/*
	 * Linux 6.12's SYN queue takes one request more than the backlog
	 * (inet_csk_reqsk_queue_is_full(): full when longer than it).
	 */
	int more = clasp_is_tcp() ? 1 : 0;
	struct clasp_seg r;
	struct env e;
	uint16_t a, b, c, x;
	uint32_t ca, cb, cc;
	int fd;

	env_setup(_metadata, &e, p, 2);
	a = peer_port(&e);
	b = peer_port(&e);
	c = peer_port(&e);
	x = peer_port(&e);

	/* No cookie sent yet: a stray ACK is a plain reset, no failed cookie. */
	{
		struct clasp_seg s = peer_seg(peer_port(&e), TH_ACK, 1, 0xabcdef);

		peer_send(_metadata, &e, &s);
		ASSERT_EQ(1, peer_recv(&e, s.sport, &r, WAIT_MS));
		EXPECT_EQ(TH_RST, r.flags);
		EXPECT_EQ(0xabcdef, r.seq);
		if (!clasp_is_tcp() || !clasp_v6() ||
		    clasp_only_check("SyncookiesFailed after a bare ACK: Linux over IPv6 counts it or not from run to run"))
			EXPECT_EQ(0, clasp_counter("SyncookiesFailed"));
	}

	ca = get_cookie(_metadata, &e, a, 100, 1460);
	cb = get_cookie(_metadata, &e, b, 200, 1400);
	if (more)
		get_cookie(_metadata, &e, x, 400, 1400);
	EXPECT_EQ(3 + more, objects());	/* listener + 2 requests */
	if (clasp_only_check("PassiveOpens at SYN-RECEIVED (RFC 1213): Linux counts it when the ACK makes the socket"))
		EXPECT_EQ(2, clasp_counter("PassiveOpens"));
	EXPECT_EQ(0, clasp_counter("SyncookiesSent"));
	EXPECT_EQ(0, clasp_counter("ReqQFullDoCookies"));

	cc = get_cookie(_metadata, &e, c, 300, 1400);
	EXPECT_EQ(1, clasp_counter("SyncookiesSent"));
	EXPECT_EQ(1, clasp_counter("ReqQFullDoCookies"));
	EXPECT_EQ(3 + more, objects());	/* no third request */
	if (!clasp_is_tcp())
		EXPECT_EQ(1360, cookie_mss[cc & 7]);

	/* The cookie connection completes while the queue is still full. */
	send_cookie_ack(_metadata, &e, c, 300, cc, NULL);
	fd = accept_wait(_metadata, &e);
	{
		struct clasp_info info;

		get_info(_metadata, fd, &info);
		if (!clasp_is_tcp())
			EXPECT_EQ(cc, info.iss);
		EXPECT_EQ(cookie_mss_of(1400), peer_mss(fd, &info));
	}
	close_abort(fd);
	EXPECT_EQ(1, clasp_counter("SyncookiesRecv"));

	/* So do the requests, with their exact MSS. */
	send_cookie_ack(_metadata, &e, b, 200, cb, NULL);
	fd = accept_wait(_metadata, &e);
	{
		struct clasp_info info;

		get_info(_metadata, fd, &info);
		if (!clasp_is_tcp())
			EXPECT_EQ(cb, info.iss);
		EXPECT_EQ(1400, peer_mss(fd, &info));
	}
	close_abort(fd);
	send_cookie_ack(_metadata, &e, a, 100, ca, NULL);
	close_abort(accept_wait(_metadata, &e));
	EXPECT_EQ(1, clasp_counter("SyncookiesRecv"));
	if (!clasp_is_tcp() || !clasp_v6() ||
	    clasp_only_check("SyncookiesFailed after a bare ACK: Linux over IPv6 counts it or not from run to run"))
		EXPECT_EQ(0, clasp_counter("SyncookiesFailed"));
	EXPECT_EQ(3, clasp_counter("PassiveOpens"));
}

/* syncookies=0: a SYN finding the queue full is dropped, never a cookie. */
TEST(no_cookies_when_disabled)
{
	static const struct clasp_param p[] = {
		{ "syncookies", 0 }, { "max_syn_backlog", 1024 },
		{ NULL, 0 }
	};
	/* Linux 6.12's SYN queue takes one request more than the backlog. */
	int more = clasp_is_tcp() ? 1 : 0;
	struct clasp_seg r;
	struct env e;
	uint16_t a, b;

	env_setup(_metadata, &e, p, 1);
	a = peer_port(&e);
	b = peer_port(&e);
	get_cookie(_metadata, &e, a, 100, 1460);
	if (more)
		get_cookie(_metadata, &e, peer_port(&e), 300, 1460);
	EXPECT_EQ(2 + more, objects());

	{
		struct clasp_seg s = peer_seg(b, TH_SYN, 200, 0);

		peer_send(_metadata, &e, &s);
		EXPECT_EQ(0, peer_recv(&e, b, &r, QUIET_MS));
	}
	EXPECT_EQ(1, clasp_counter("ReqQFullDrop"));
	EXPECT_EQ(1, clasp_counter("ListenDrops"));
	EXPECT_EQ(0, clasp_counter("SyncookiesSent"));
	EXPECT_EQ(0, clasp_counter("ReqQFullDoCookies"));
	EXPECT_EQ(2 + more, objects());
	if (clasp_only_check("PassiveOpens at SYN-RECEIVED (RFC 1213): Linux counts it when the ACK makes the socket"))
		EXPECT_EQ(1, clasp_counter("PassiveOpens"));
}

/*
 * A cookie's ACK that finds the accept queue full is dropped and counted,
 * and never reset, even with abort_on_overflow: as in TCP, where
 * cookie_v4_check() drops it when no socket could be made, and
 * tcp_abort_on_overflow belongs to tcp_check_req(), which a cookie never
 * reaches.  Sent again once there is room, it connects.
 */
TEST(cookie_ack_into_a_full_accept_queue_is_dropped_not_reset)
{
	static const struct clasp_param p[] = {
		{ "syncookies", 2 }, { "abort_on_overflow", 1 },
		{ NULL, 0 }
	};
	long long overflows, drops, recvd;
	struct pollfd pfd;
	uint32_t ca, cb;
	struct clasp_seg r;
	struct env e;
	uint16_t a, b;
	int fd;

	/* Backlog 0: the queue holds one connection (full when longer). */
	env_setup(_metadata, &e, p, 0);
	a = peer_port(&e);
	b = peer_port(&e);
	ca = get_cookie(_metadata, &e, a, 100, 1460);
	cb = get_cookie(_metadata, &e, b, 200, 1460);
	send_cookie_ack(_metadata, &e, a, 100, ca, NULL);
	pfd = (struct pollfd){ .fd = e.lis, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, WAIT_MS)) TH_LOG("the first one never queued");
	overflows = clasp_counter("ListenOverflows");
	drops = clasp_counter("ListenDrops");
	recvd = clasp_counter("SyncookiesRecv");

	send_cookie_ack(_metadata, &e, b, 200, cb, NULL);
	EXPECT_EQ(0, peer_recv(&e, b, &r, QUIET_MS)) TH_LOG("flags %#x", r.flags);
	EXPECT_EQ(overflows + 1, clasp_counter("ListenOverflows"));
	EXPECT_EQ(drops + 1, clasp_counter("ListenDrops"));
	/* A valid cookie all the same, as TCP counts it. */
	EXPECT_EQ(recvd + 1, clasp_counter("SyncookiesRecv"));
	EXPECT_EQ(2, objects());	/* the listener, the first connection */

	fd = accept_wait(_metadata, &e);
	close_abort(fd);
	send_cookie_ack(_metadata, &e, b, 200, cb, NULL);
	fd = accept_wait(_metadata, &e);
	close_abort(fd);
}

CLASP_HARNESS_MAIN
