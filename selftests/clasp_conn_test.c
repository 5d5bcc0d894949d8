// SPDX-License-Identifier: GPL-2.0
/*
 * Connection management of clasp stream sockets over loopback: handshake,
 * data, half and full close, resets, TIME_WAIT, keepalive and timeouts,
 * seen through the socket API, getsockopt(CLASP_INFO) and the counters of
 * /proc/net/clasp_stats.
 *
 * Every test runs in a network namespace of its own, created after writing
 * the module parameters it needs (a namespace copies them when it is
 * created), so counters start at zero and timers are short.  Segments are
 * lost on purpose with an nft rule on the input hook (clasp_drop()).
 *
 * CLASP_PROTO=6 runs the socket-level tests against TCP as a reference
 * (see clasp_util.h); timings and clasp-only counters then do not apply.
 */
#include "kselftest_harness.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/uio.h>

#include "clasp_util.h"

#define LO		"127.0.0.1"
/* For anything that should happen "soon". */
#define WAIT_MS		((int)clasp_slow_time(3000))
/* SO_RCVTIMEO/SO_SNDTIMEO: no test hangs (10 s, scaled). */
#define GUARD_S		((time_t)clasp_slow_time(10))

/*
 * Short timers for every test; a test may override some of them.  The
 * "_ms" parameters are multiplied by clasp_slow() when set, as are the
 * test's own sleeps and bounds (CLASP_SLOW, see clasp_util.h).
 */
#define MSL_MS		500
#define RTO_INITIAL_MS	200
#define RTO_MIN_MS	100

struct param {
	const char *name;
	long long val;
	int optional;	/* newer than the contract: skip when missing */
};

static const struct param base_params[] = {
	{ "msl_ms", MSL_MS },
	{ "rto_initial_ms", RTO_INITIAL_MS },
	{ "rto_min_ms", RTO_MIN_MS },
	{ "rto_max_ms", 4000 },
	{ "syn_retries", 3 },
	{ "synack_retries", 3 },
	{ "retries", 5 },
	{ "orphan_retries", 3 },
	{ "fin_timeout_ms", 2000 },
	{ "keepalive_time_ms", 7200000 },
	{ "keepalive_intvl_ms", 75000 },
	{ "keepalive_probes", 9 },
	{ "max_syn_backlog", 1024 },
	{ "max_tw_buckets", 262144 },
	{ "rfc1337", 0 },
	{ "challenge_ack_limit", 1000 },
	{ "syncookies", 1, 1 },
	{ "abort_on_overflow", 0, 1 },
	{ NULL, 0 }
};

/* The documented defaults, put back after every test. */
static const struct param default_params[] = {
	{ "msl_ms", 30000 },
	{ "rto_initial_ms", 1000 },
	{ "rto_min_ms", 200 },
	{ "rto_max_ms", 120000 },
	{ "syn_retries", 6 },
	{ "synack_retries", 5 },
	{ "retries", 15 },
	{ "orphan_retries", 8 },
	{ "fin_timeout_ms", 60000 },
	{ "keepalive_time_ms", 7200000 },
	{ "keepalive_intvl_ms", 75000 },
	{ "keepalive_probes", 9 },
	{ "max_syn_backlog", 1024 },
	{ "max_tw_buckets", 262144 },
	{ "rfc1337", 0 },
	{ "challenge_ack_limit", 1000 },
	{ "syncookies", 1, 1 },
	{ "abort_on_overflow", 0, 1 },
	{ NULL, 0 }
};

/* A timer parameter, scaled by clasp_slow(): hours stand for "never". */
static long long param_val(const struct param *p)
{
	size_t len = strlen(p->name);

	if (len > 3 && !strcmp(p->name + len - 3, "_ms") && p->val < 3600000)
		return clasp_slow_time(p->val);
	return p->val;
}

static void set_params(struct __test_metadata *_metadata,
		       const struct param *p)
{
	for (; p && p->name; p++) {
		long long val = param_val(p);

		if (p->optional && clasp_param_get(p->name) < 0)
			continue;
		if (clasp_param_set(p->name, val)) {
			TH_LOG("cannot set module parameter %s=%lld: %s",
			       p->name, val, strerror(errno));
			ASSERT_TRUE(0);
		}
	}
}

/* Base parameters, then @over, then a fresh namespace that copies them. */
static void fresh_netns(struct __test_metadata *_metadata,
			const struct param *over)
{
	set_params(_metadata, base_params);
	set_params(_metadata, over);
	ASSERT_EQ(0, clasp_new_netns()) {
		TH_LOG("new network namespace: %s", strerror(errno));
	}
}

static void restore_params(void)
{
	const struct param *p;

	for (p = default_params; p->name; p++)
		clasp_param_set(p->name, p->val);
}

/* A clasp socket that cannot block any test for more than GUARD_S. */
static int sock_new(void)
{
	struct timeval tv = { .tv_sec = GUARD_S };
	int fd = clasp_socket();

	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

static int bind_lo(int fd, uint16_t port)
{
	struct sockaddr_in a = clasp_addr(LO, port);

	return bind(fd, (struct sockaddr *)&a, sizeof(a));
}

static int connect_lo(int fd, uint16_t port)
{
	struct sockaddr_in a = clasp_addr(LO, port);

	return connect(fd, (struct sockaddr *)&a, sizeof(a));
}

static uint16_t local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len))
		return 0;
	return ntohs(a.sin_port);
}

/* A listener on 127.0.0.1 and an ephemeral port. */
static int listener(struct __test_metadata *_metadata, uint16_t *port)
{
	int fd = sock_new();

	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	ASSERT_EQ(0, bind_lo(fd, 0)) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, listen(fd, 16)) TH_LOG("listen: %s", strerror(errno));
	*port = local_port(fd);
	ASSERT_NE(0, *port);
	return fd;
}

static short poll1(int fd, short events, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	if (poll(&pfd, 1, ms) < 0)
		return -1;
	return pfd.revents;
}

/* accept() once a connection is there, waiting up to WAIT_MS for it. */
static int accept_wait(struct __test_metadata *_metadata, int lis)
{
	int fd;

	ASSERT_TRUE(poll1(lis, POLLIN, WAIT_MS) & POLLIN) {
		TH_LOG("no connection to accept within %d ms", WAIT_MS);
	}
	fd = accept(lis, NULL, NULL);
	ASSERT_LE(0, fd) TH_LOG("accept: %s", strerror(errno));
	return fd;
}

/* Connect a new socket to the listener on @port and accept it. */
static void make_pair(struct __test_metadata *_metadata, int lis,
		      uint16_t port, int *cli, int *srv)
{
	struct timeval tv = { .tv_sec = GUARD_S };

	*cli = sock_new();
	ASSERT_LE(0, *cli) TH_LOG("socket: %s", strerror(errno));
	ASSERT_EQ(0, connect_lo(*cli, port)) {
		TH_LOG("connect: %s", strerror(errno));
	}
	*srv = accept_wait(_metadata, lis);
	setsockopt(*srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(*srv, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int so_error(int fd)
{
	int err = -1;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -1;
	return err;
}

static void get_info(struct __test_metadata *_metadata, int fd,
		     struct clasp_info *info)
{
	ASSERT_EQ(0, clasp_get_info(fd, info)) {
		TH_LOG("getsockopt(CLASP_INFO): %s", strerror(errno));
	}
}

#define ASSERT_STATE(fd, st, ms) \
	ASSERT_EQ(0, clasp_wait_state(fd, st, ms)) { \
		TH_LOG("%s: state %d, want %d (%s) within %d ms", #fd, \
		       clasp_state(fd), st, #st, ms); \
	}

#define EXPECT_COUNTER(name, val) \
	EXPECT_EQ((long long)(val), clasp_wait_counter(name, val, WAIT_MS)) { \
		TH_LOG("counter %s", name); \
	}

/* Read exactly @len bytes within WAIT_MS. */
static void read_exact(struct __test_metadata *_metadata, int fd, void *buf,
		       size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		ASSERT_TRUE(poll1(fd, POLLIN, WAIT_MS) & POLLIN) {
			TH_LOG("%zu of %zu bytes arrived", got, len);
		}
		n = recv(fd, (char *)buf + got, len - got, MSG_DONTWAIT);
		ASSERT_LT(0, n) {
			TH_LOG("recv after %zu of %zu bytes: %zd, %s", got,
			       len, n, strerror(errno));
		}
		got += n;
	}
}

static void send_str(struct __test_metadata *_metadata, int fd,
		     const char *s)
{
	ASSERT_EQ((ssize_t)strlen(s), send(fd, s, strlen(s), MSG_NOSIGNAL)) {
		TH_LOG("send: %s", strerror(errno));
	}
}

static void expect_str(struct __test_metadata *_metadata, int fd,
		       const char *s)
{
	char buf[256] = { 0 };

	read_exact(_metadata, fd, buf, strlen(s));
	ASSERT_STREQ(s, buf);
}

/*
 * Wait up to @ms for poll to report all of @events on @fd; the last
 * revents (polled for POLLIN, POLLOUT and POLLRDHUP).
 */
static short wait_events(int fd, short events, int ms)
{
	long long end = clasp_now_ms() + ms;
	short rev;

	do {
		rev = poll1(fd, POLLIN | POLLOUT | POLLRDHUP, 10);
		if (rev >= 0 && (rev & events) == events)
			return rev;
	} while (clasp_now_ms() < end);
	return rev;
}

/*
 * A time in ms within [want/3, want*3 + 1500], @want in the units of the
 * timers the test sets (so scaled by clasp_slow() here): timers must not
 * fire early, but a guest under software emulation on a loaded host runs
 * them late (and starts the test's clock late, hence the low lower bound).
 */
#define EXPECT_ROUGHLY(want, got) do { \
	long long __want = clasp_slow_time(want), __got = (got); \
	EXPECT_LE(__want / 3, __got) \
		TH_LOG("%s: %lld ms, expected about %lld ms", #got, \
		       __got, __want); \
	EXPECT_GE(__want * 3 + clasp_slow_time(1500), __got) \
		TH_LOG("%s: %lld ms, expected about %lld ms", #got, \
		       __got, __want); \
} while (0)

static int drops;	/* nft drop rules installed in this test's namespace */

/* Lose the clasp segments matching nft expression @match ("" for all). */
static void drop(struct __test_metadata *_metadata, const char *match)
{
	ASSERT_EQ(0, clasp_drop(match)) TH_LOG("nft failed");
	drops = 1;
}

static void undrop(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, clasp_undrop()) TH_LOG("nft failed");
	drops = 0;
}

static void teardown(void)
{
	if (drops)
		clasp_undrop();
	restore_params();
}

/* ------------------------------------------------------------------ */
/* A private namespace with the base parameters. */

FIXTURE(ns) {
	int unused;
};

FIXTURE_SETUP(ns)
{
	fresh_netns(_metadata, NULL);
}

FIXTURE_TEARDOWN(ns)
{
	teardown();
}

/* ...and a connected pair: cli connected to srv accepted from lis. */
FIXTURE(pair) {
	int lis, cli, srv;
	uint16_t port;
};

FIXTURE_SETUP(pair)
{
	fresh_netns(_metadata, NULL);
	self->lis = listener(_metadata, &self->port);
	make_pair(_metadata, self->lis, self->port, &self->cli, &self->srv);
}

FIXTURE_TEARDOWN(pair)
{
	teardown();
}

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
	/* The MSS each side announced is the other's peer_mss. */
	EXPECT_EQ(ci.mss, ci.peer_mss < si.peer_mss ? ci.peer_mss : si.peer_mss);
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
	struct sockaddr_in cs, cp, ss, sp, lp;
	socklen_t len = sizeof(cs);
	int lo, hi;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");

	ASSERT_NE(NULL, f);
	ASSERT_EQ(2, fscanf(f, "%d %d", &lo, &hi));
	fclose(f);

	ASSERT_EQ(0, getsockname(self->cli, (struct sockaddr *)&cs, &len));
	len = sizeof(cp);
	ASSERT_EQ(0, getpeername(self->cli, (struct sockaddr *)&cp, &len));
	len = sizeof(ss);
	ASSERT_EQ(0, getsockname(self->srv, (struct sockaddr *)&ss, &len));
	len = sizeof(sp);
	ASSERT_EQ(0, getpeername(self->srv, (struct sockaddr *)&sp, &len));

	EXPECT_EQ(AF_INET, cs.sin_family);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), cs.sin_addr.s_addr);
	/* connect() chose an ephemeral port. */
	EXPECT_LE(lo, ntohs(cs.sin_port));
	EXPECT_GE(hi, ntohs(cs.sin_port));
	EXPECT_EQ(htons(self->port), cp.sin_port);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), cp.sin_addr.s_addr);
	EXPECT_EQ(cs.sin_port, sp.sin_port);
	EXPECT_EQ(cs.sin_addr.s_addr, sp.sin_addr.s_addr);
	EXPECT_EQ(cp.sin_port, ss.sin_port);
	EXPECT_EQ(cp.sin_addr.s_addr, ss.sin_addr.s_addr);

	len = sizeof(lp);
	errno = 0;
	EXPECT_EQ(-1, getpeername(self->lis, (struct sockaddr *)&lp, &len));
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
	lis = listener(_metadata, &port);
	fd = sock_new();
	ASSERT_LE(0, fd);
	drop(_metadata, "");
	t0 = clasp_now_ms();
	errno = 0;
	ASSERT_EQ(-1, connect_lo(fd, port));
	ms = clasp_now_ms() - t0;
	ASSERT_EQ(ETIMEDOUT, errno) TH_LOG("connect: %s", strerror(errno));
	/* SYN at 0, again at 100 and 300, given up at 700. */
	EXPECT_ROUGHLY(700, ms);
	EXPECT_EQ(TCP_CLOSE, clasp_state(fd));
	EXPECT_EQ(1, clasp_counter("ActiveOpens"));
	EXPECT_EQ(2, clasp_counter("RetransSegs"));
	EXPECT_EQ(3, clasp_counter("OutSegs"));
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

	if (clasp_is_tcp())
		SKIP(return, "clasp module parameters");
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
	struct sockaddr_in peer, name;
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
	a2 = accept4(self->lis, (struct sockaddr *)&peer, &len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	ASSERT_LE(0, a2) TH_LOG("accept4: %s", strerror(errno));
	EXPECT_TRUE(fcntl(a2, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(a2, F_GETFD) & FD_CLOEXEC);
	/* The address accept4 reports is the connecting socket's. */
	ASSERT_EQ(sizeof(peer), len);
	ASSERT_EQ(0, getsockname(c2, (struct sockaddr *)&name, &nlen));
	EXPECT_EQ(name.sin_port, peer.sin_port);
	EXPECT_EQ(name.sin_addr.s_addr, peer.sin_addr.s_addr);
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

/* Bind a new socket to 127.0.0.1:@port, SO_REUSEADDR or not; 0 or errno. */
static int try_bind(uint16_t port, int reuse)
{
	int fd = clasp_socket(), err = 0;

	if (fd < 0)
		return errno;
	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse,
				sizeof(reuse)))
		err = errno;
	else if (bind_lo(fd, port))
		err = errno;
	close(fd);
	return err;
}

TEST_F(ns, time_wait_holds_the_port_for_2msl)
{
	uint16_t port, cport;
	int lis = listener(_metadata, &port), cli, srv, one = 1, err;
	long long t0, held;
	char c;

	if (clasp_is_tcp())
		SKIP(return, "msl_ms is clasp's");
	cli = sock_new();
	ASSERT_LE(0, cli);
	/* As a restarting server would have: TIME_WAIT keeps it. */
	ASSERT_EQ(0, setsockopt(cli, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, connect_lo(cli, port));
	cport = local_port(cli);
	srv = accept_wait(_metadata, lis);
	ASSERT_EQ(0, close(cli));
	ASSERT_EQ(0, read(srv, &c, 1));
	ASSERT_EQ(0, close(srv));
	ASSERT_EQ(1, clasp_wait_counter("TimeWaitEntered", 1, WAIT_MS));
	t0 = clasp_now_ms();

	EXPECT_EQ(EADDRINUSE, try_bind(cport, 0));
	EXPECT_EQ(0, try_bind(cport, 1));
	do {
		err = try_bind(cport, 0);
		if (err != EADDRINUSE)
			break;
		clasp_sleep_ms(clasp_slow_time(20));
	} while (clasp_now_ms() - t0 < clasp_slow_time(4 * 2 * MSL_MS));
	held = clasp_now_ms() - t0;
	ASSERT_EQ(0, err) TH_LOG("bind after %lld ms: %s", held, strerror(err));
	EXPECT_ROUGHLY(2 * MSL_MS, held);
	EXPECT_EQ(0, clasp_counter("TimeWaitKilled"));
	/* Only the listener is left. */
	EXPECT_COUNTER("Objects", 1);
	close(lis);
	EXPECT_COUNTER("Objects", 0);
}

TEST_F(ns, objects_gauge_returns_to_zero)
{
	uint16_t port;
	int lis, cli[3], srv[3], i;
	char c;

	if (clasp_is_tcp())
		SKIP(return, "Objects is clasp's");
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
	uint16_t port;
	int lis, cli, srv;
	long long t0, ms;
	char c;

	if (clasp_is_tcp())
		SKIP(return, "fin_timeout_ms is clasp's");
	fresh_netns(_metadata, p);
	lis = listener(_metadata, &port);
	make_pair(_metadata, lis, port, &cli, &srv);
	ASSERT_EQ(0, close(lis));
	EXPECT_COUNTER("Objects", 2);
	/* The server never closes: the client lingers in FIN_WAIT_2. */
	ASSERT_EQ(0, close(cli));
	t0 = clasp_now_ms();
	ASSERT_EQ(0, read(srv, &c, 1));
	ASSERT_STATE(srv, TCP_CLOSE_WAIT, WAIT_MS);
	EXPECT_EQ(1, clasp_wait_counter("Objects", 1, clasp_slow_time(3 * 800)));
	ms = clasp_now_ms() - t0;
	EXPECT_ROUGHLY(800, ms);
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
	EXPECT_COUNTER("AbortOnLinger", 1);
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
	EXPECT_COUNTER("AbortOnData", 1);
	EXPECT_COUNTER("CurrEstab", 0);
}

/* ------------------------------------------------------------------ */
/* Keepalive and timeouts */

TEST_F(ns, keepalive_sockopts_round_trip)
{
	int fd = sock_new(), val;
	socklen_t len = sizeof(val);

	if (clasp_is_tcp())
		SKIP(return, "CLASP_KEEP* are clasp's");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &val, &len));
	EXPECT_EQ(0, val);
	ASSERT_EQ(0, clasp_set_keepalive(fd, 1234, 567, 3));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &val, &len));
	EXPECT_EQ(1, val);
	ASSERT_EQ(0, getsockopt(fd, SOL_CLASP, CLASP_KEEPIDLE_MS, &val, &len));
	EXPECT_EQ(1234, val);
	ASSERT_EQ(0, getsockopt(fd, SOL_CLASP, CLASP_KEEPINTVL_MS, &val, &len));
	EXPECT_EQ(567, val);
	ASSERT_EQ(0, getsockopt(fd, SOL_CLASP, CLASP_KEEPCNT, &val, &len));
	EXPECT_EQ(3, val);
	close(fd);
}

TEST_F(pair, keepalive_probes_keep_a_live_peer)
{
	struct clasp_info info;
	long long out;

	if (clasp_is_tcp())
		SKIP(return, "millisecond keepalive");
	ASSERT_EQ(0, clasp_set_keepalive(self->cli, clasp_slow_time(300), clasp_slow_time(200), 2));
	out = clasp_counter("OutSegs");
	clasp_sleep_ms(clasp_slow_time(1200));
	get_info(_metadata, self->cli, &info);
	EXPECT_EQ(TCP_ESTABLISHED, info.state);
	EXPECT_EQ(CLASP_TIMER_KEEPALIVE, info.timer);
	/* Every probe is answered: one at most is in flight. */
	EXPECT_GE(1, info.probes);
	/* Probes went out and were answered. */
	EXPECT_LE(out + 2, clasp_counter("OutSegs"));
	EXPECT_EQ(0, clasp_counter("KeepAliveAborts"));
	EXPECT_EQ(0, so_error(self->cli));
}

TEST_F(pair, keepalive_of_a_dead_peer_is_etimedout)
{
	struct clasp_info info;
	long long t0, ms;
	char c;

	if (clasp_is_tcp())
		SKIP(return, "millisecond keepalive");
	/* The path is cut first, so that no probe is ever answered. */
	drop(_metadata, "");
	t0 = clasp_now_ms();
	ASSERT_EQ(0, clasp_set_keepalive(self->cli, clasp_slow_time(300), clasp_slow_time(200), 3));
	/* Probing, still established until the last probe goes unanswered. */
	do {
		get_info(_metadata, self->cli, &info);
		if (info.probes)
			break;
		clasp_sleep_ms(10);
	} while (clasp_now_ms() - t0 < WAIT_MS);
	EXPECT_LE(1, info.probes);
	EXPECT_GE(2, info.probes);
	EXPECT_EQ(TCP_ESTABLISHED, info.state);
	EXPECT_EQ(CLASP_TIMER_KEEPALIVE, info.timer);
	errno = 0;
	EXPECT_EQ(-1, recv(self->cli, &c, 1, 0));
	ms = clasp_now_ms() - t0;
	EXPECT_EQ(ETIMEDOUT, errno) TH_LOG("recv: %s", strerror(errno));
	/* idle 300 + 3 probes 200 apart, counted from setsockopt. */
	EXPECT_ROUGHLY(900, ms);
	EXPECT_EQ(TCP_CLOSE, clasp_state(self->cli));
	EXPECT_EQ(1, clasp_counter("KeepAliveAborts"));
	EXPECT_EQ(1, clasp_counter("CurrEstab"));
}

TEST_F(ns, keepalive_defaults_come_from_module_params)
{
	static const struct param p[] = {
		{ "keepalive_time_ms", 300 }, { "keepalive_intvl_ms", 200 },
		{ "keepalive_probes", 2 }, { NULL, 0 }
	};
	uint16_t port;
	int lis, cli, srv, one = 1;
	long long t0, ms;
	char c;

	if (clasp_is_tcp())
		SKIP(return, "clasp module parameters");
	fresh_netns(_metadata, p);
	lis = listener(_metadata, &port);
	make_pair(_metadata, lis, port, &cli, &srv);
	drop(_metadata, "");
	t0 = clasp_now_ms();
	ASSERT_EQ(0, setsockopt(cli, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	errno = 0;
	EXPECT_EQ(-1, recv(cli, &c, 1, 0));
	ms = clasp_now_ms() - t0;
	EXPECT_EQ(ETIMEDOUT, errno) TH_LOG("recv: %s", strerror(errno));
	EXPECT_ROUGHLY(700, ms);
	EXPECT_EQ(1, clasp_counter("KeepAliveAborts"));
	close(cli);
	close(srv);
	close(lis);
}

TEST_F(ns, data_retries_exhausted_is_etimedout)
{
	static const struct param p[] = { { "retries", 3 }, { NULL, 0 } };
	struct clasp_info info;
	char buf[1000] = { 0 }, c;
	uint16_t port;
	int lis, cli, srv;
	long long t0, ms, rs;

	if (clasp_is_tcp())
		SKIP(return, "clasp module parameters");
	fresh_netns(_metadata, p);
	lis = listener(_metadata, &port);
	make_pair(_metadata, lis, port, &cli, &srv);
	drop(_metadata, "");
	t0 = clasp_now_ms();
	ASSERT_EQ(sizeof(buf), send(cli, buf, sizeof(buf), 0));
	clasp_sleep_ms(clasp_slow_time(250));
	get_info(_metadata, cli, &info);
	EXPECT_EQ(TCP_ESTABLISHED, info.state);
	EXPECT_EQ(CLASP_TIMER_RETRANS, info.timer);
	EXPECT_EQ(sizeof(buf), info.unacked);
	EXPECT_LE(1, info.retransmits);
	errno = 0;
	EXPECT_EQ(-1, recv(cli, &c, 1, 0));
	ms = clasp_now_ms() - t0;
	EXPECT_EQ(ETIMEDOUT, errno) TH_LOG("recv: %s", strerror(errno));
	/* 3 retransmissions, RTO between rto_min (100) and rto_initial (200). */
	EXPECT_LE(clasp_slow_time(100 * 15 / 2), ms);
	EXPECT_GE(clasp_slow_time(200 * 15 * 3 / 2 + 300), ms);
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
	if (!clasp_is_tcp()) {
		get_info(_metadata, self->cli, &info);
		EXPECT_EQ(sizeof(out), info.unacked);
		EXPECT_EQ(sizeof(out), info.send_queue);
		EXPECT_EQ(sizeof(out), info.snd_nxt - info.snd_una);
	}
	clasp_sleep_ms(clasp_slow_time(350));
	get_info(_metadata, self->cli, &info);
	EXPECT_LE(1, info.retransmits);
	undrop(_metadata);
	read_exact(_metadata, self->srv, in, sizeof(in));
	EXPECT_EQ(0, memcmp(out, in, sizeof(in)));
	EXPECT_LE(1, clasp_counter("RetransSegs"));
	/* Once acknowledged, nothing is outstanding. */
	clasp_sleep_ms(clasp_slow_time(100));
	get_info(_metadata, self->cli, &info);
	EXPECT_LE(1, info.total_retrans);
	if (!clasp_is_tcp()) {
		EXPECT_EQ(0, info.unacked);
		EXPECT_EQ(0, info.retransmits);
		EXPECT_EQ(CLASP_TIMER_NONE, info.timer);
	}
}

/* ------------------------------------------------------------------ */
/* Data */

TEST_F(pair, msg_peek_leaves_the_data)
{
	struct clasp_info info;
	char buf[64] = { 0 };

	send_str(_metadata, self->srv, "hello world");
	ASSERT_TRUE(wait_events(self->cli, POLLIN, WAIT_MS) & POLLIN);
	ASSERT_EQ(5, recv(self->cli, buf, 5, MSG_PEEK));
	EXPECT_STREQ("hello", buf);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(11, recv(self->cli, buf, sizeof(buf), MSG_PEEK));
	EXPECT_STREQ("hello world", buf);
	if (!clasp_is_tcp()) {
		get_info(_metadata, self->cli, &info);
		EXPECT_EQ(11, info.recv_queue);
	}
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(11, recv(self->cli, buf, sizeof(buf), 0));
	EXPECT_STREQ("hello world", buf);
	errno = 0;
	EXPECT_EQ(-1, recv(self->cli, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	if (!clasp_is_tcp()) {
		get_info(_metadata, self->cli, &info);
		EXPECT_EQ(0, info.recv_queue);
	}
}

struct dribble {
	int fd, chunks, size, gap_ms;
};

static void *dribble_thread(void *arg)
{
	struct dribble *d = arg;
	uint8_t buf[4096];
	int i;

	for (i = 0; i < d->chunks; i++) {
		clasp_fill(buf, d->size, (uint64_t)i * d->size, 3);
		if (send(d->fd, buf, d->size, MSG_NOSIGNAL) != d->size)
			return (void *)1;
		clasp_sleep_ms(clasp_slow_time(d->gap_ms));
	}
	return NULL;
}

TEST_F(pair, msg_waitall_waits_for_everything)
{
	struct dribble d = { self->srv, 3, 1000, 150 };
	uint8_t in[3000], want[3000];
	pthread_t th;
	long long t0 = clasp_now_ms();
	void *ret;

	ASSERT_EQ(0, pthread_create(&th, NULL, dribble_thread, &d));
	EXPECT_EQ(3000, recv(self->cli, in, sizeof(in), MSG_WAITALL));
	EXPECT_LE(clasp_slow_time(250), clasp_now_ms() - t0);
	ASSERT_EQ(0, pthread_join(th, &ret));
	EXPECT_EQ(NULL, ret);
	clasp_fill(want, sizeof(want), 0, 3);
	EXPECT_EQ(0, memcmp(want, in, sizeof(in)));
}

TEST_F(pair, msg_dontwait_and_o_nonblock_give_eagain)
{
	long long t0 = clasp_now_ms();
	char c;

	errno = 0;
	EXPECT_EQ(-1, recv(self->cli, &c, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_GT(clasp_slow_time(500), clasp_now_ms() - t0);
	ASSERT_EQ(0, fcntl(self->cli, F_SETFL, O_NONBLOCK));
	errno = 0;
	EXPECT_EQ(-1, read(self->cli, &c, 1));
	EXPECT_EQ(EAGAIN, errno);
	send_str(_metadata, self->srv, "z");
	ASSERT_TRUE(wait_events(self->cli, POLLIN, WAIT_MS) & POLLIN);
	EXPECT_EQ(1, read(self->cli, &c, 1));
	EXPECT_EQ('z', c);
}

TEST_F(pair, sendmsg_recvmsg_scatter_gather)
{
	char a[] = "abc", b[] = "defgh", c[] = "ij", r1[5] = { 0 },
	     r2[17] = { 0 };
	struct iovec out[3] = {
		{ a, 3 }, { b, 5 }, { c, 2 },
	}, in[2] = {
		{ r1, 4 }, { r2, 16 },
	};
	struct msghdr mo = { .msg_iov = out, .msg_iovlen = 3 };
	struct msghdr mi = { .msg_iov = in, .msg_iovlen = 2 };

	ASSERT_EQ(10, sendmsg(self->cli, &mo, MSG_NOSIGNAL));
	ASSERT_TRUE(wait_events(self->srv, POLLIN, WAIT_MS) & POLLIN);
	ASSERT_EQ(10, recvmsg(self->srv, &mi, 0));
	EXPECT_STREQ("abcd", r1);
	EXPECT_STREQ("efghij", r2);
	EXPECT_EQ(0, mi.msg_flags);
}

TEST_F(ns, so_rcvbuf_so_sndbuf_round_trip)
{
	int fd = sock_new(), val = 32768, got;
	socklen_t len = sizeof(got);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, sizeof(val)));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len));
	EXPECT_EQ(2 * val, got);	/* doubled for overhead, as for TCP */
	val = 49152;
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &val, sizeof(val)));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got, &len));
	EXPECT_EQ(2 * val, got);
	close(fd);
}

/*
 * Flow control with the receiver's SO_RCVBUF (set on the listener, so the
 * accepted socket starts with it) at its default, at 32 KiB and at 8 KiB:
 * windows below one loopback MSS included.
 */
FIXTURE(flow) {
	int lis, cli, srv;
	uint16_t port;
};

FIXTURE_VARIANT(flow) {
	int rcvbuf;	/* 0: leave the default */
};

FIXTURE_VARIANT_ADD(flow, default_rcvbuf) { .rcvbuf = 0 };
FIXTURE_VARIANT_ADD(flow, rcvbuf_32k) { .rcvbuf = 16384 };
FIXTURE_VARIANT_ADD(flow, rcvbuf_8k) { .rcvbuf = 4096 };

FIXTURE_SETUP(flow)
{
	int got;
	socklen_t len = sizeof(got);

	fresh_netns(_metadata, NULL);
	self->lis = sock_new();
	ASSERT_LE(0, self->lis);
	if (variant->rcvbuf)
		ASSERT_EQ(0, setsockopt(self->lis, SOL_SOCKET, SO_RCVBUF,
					&variant->rcvbuf, sizeof(variant->rcvbuf)));
	ASSERT_EQ(0, bind_lo(self->lis, 0));
	ASSERT_EQ(0, listen(self->lis, 4));
	self->port = local_port(self->lis);
	make_pair(_metadata, self->lis, self->port, &self->cli, &self->srv);
	if (variant->rcvbuf) {
		ASSERT_EQ(0, getsockopt(self->srv, SOL_SOCKET, SO_RCVBUF, &got, &len));
		ASSERT_EQ(2 * variant->rcvbuf, got) TH_LOG("not inherited");
	}
}

FIXTURE_TEARDOWN(flow)
{
	teardown();
}

/*
 * Send in @chunk-byte writes until the window and the send buffer are
 * full; returns the bytes sent.
 */
static uint64_t fill_until_blocked(struct __test_metadata *_metadata, int fd,
				   size_t chunk, uint64_t *hash)
{
	static uint8_t buf[16384];
	uint64_t sent = 0;
	ssize_t n;

	*hash = CLASP_FNV_INIT;
	for (;;) {
		clasp_fill(buf, chunk, sent, 11);
		n = send(fd, buf, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			EXPECT_EQ(EAGAIN, errno) TH_LOG("send: %s", strerror(errno));
			break;
		}
		*hash = clasp_fnv(*hash, buf, n);
		sent += n;
		if (sent >= 64ULL << 20) {
			TH_LOG("the sender never blocked");
			EXPECT_TRUE(0);
			break;
		}
	}
	return sent;
}

/* Read until @sent bytes came; they must hash to @hash. */
static void drain_and_verify(struct __test_metadata *_metadata, int fd,
			     uint64_t sent, uint64_t hash)
{
	static uint8_t buf[16384];
	uint64_t got = 0, hr = CLASP_FNV_INIT;
	long long t0 = clasp_now_ms();
	ssize_t n;

	while (got < sent) {
		ASSERT_TRUE(poll1(fd, POLLIN, WAIT_MS) & POLLIN) {
			TH_LOG("stalled at %llu of %llu bytes",
			       (unsigned long long)got, (unsigned long long)sent);
		}
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		ASSERT_LT(0, n);
		hr = clasp_fnv(hr, buf, n);
		got += n;
	}
	TH_LOG("drained %llu bytes in %lld ms", (unsigned long long)got,
	       clasp_now_ms() - t0);
	EXPECT_EQ(sent, got);
	EXPECT_EQ(hash, hr);
}

TEST_F(flow, sender_blocks_then_every_byte_arrives)
{
	struct clasp_info ci, si;
	uint64_t sent, hash;
	short rev;

	/* The reader sleeps: the sender must run out of room. */
	sent = fill_until_blocked(_metadata, self->cli, 16384, &hash);
	EXPECT_FALSE(poll1(self->cli, POLLOUT, 0) & POLLOUT);
	/* What the window admitted is waiting in the receiver. */
	clasp_sleep_ms(clasp_slow_time(300));
	if (!clasp_is_tcp()) {
		get_info(_metadata, self->cli, &ci);
		get_info(_metadata, self->srv, &si);
		TH_LOG("sent %llu; sender: snd_wnd %u unacked %u send_queue %u "
		       "total_retrans %u; receiver: recv_queue %u rcv_wnd %u",
		       (unsigned long long)sent, ci.snd_wnd, ci.unacked,
		       ci.send_queue, ci.total_retrans, si.recv_queue, si.rcv_wnd);
		EXPECT_LT(0, si.recv_queue);
		EXPECT_EQ(sent, (uint64_t)ci.send_queue + si.recv_queue);
	}

	/* Drain: every byte arrives, in order, and the sender may go on. */
	drain_and_verify(_metadata, self->srv, sent, hash);
	rev = poll1(self->cli, POLLOUT, WAIT_MS);
	EXPECT_TRUE(rev & POLLOUT) TH_LOG("revents %#x", rev);
	if (!clasp_is_tcp()) {
		get_info(_metadata, self->cli, &ci);
		EXPECT_EQ(0, ci.unacked);
		EXPECT_EQ(0, ci.send_queue);
	}
}

/*
 * A receiver that stops reading closes its window; it must not drop what
 * the window let in, or the sender retransmits into a full buffer until
 * retries run out.  Small writes make small segments, whose buffers are
 * mostly overhead.  Wait well past the retransmission schedule (retries=5
 * from rto_min_ms: 0.1 + 0.2 + ... + 3.2 s): the connection must be
 * alive, with nothing retransmitted and every byte still to come.
 */
TEST_F(flow, unread_receiver_never_times_out_the_sender)
{
	struct clasp_info ci;
	uint64_t sent, hash;
	long long drops = clasp_stat("RcvQDrops");

	sent = fill_until_blocked(_metadata, self->cli, 64, &hash);
	clasp_sleep_ms(clasp_slow_time(7000));
	EXPECT_EQ(0, so_error(self->cli));
	if (!clasp_is_tcp()) {
		get_info(_metadata, self->cli, &ci);
		EXPECT_EQ(TCP_ESTABLISHED, ci.state);
		EXPECT_EQ(0, ci.total_retrans) TH_LOG("data dropped and resent");
		EXPECT_EQ(drops, clasp_stat("RcvQDrops"));
	}
	drain_and_verify(_metadata, self->srv, sent, hash);
}

/*
 * An orphan whose peer keeps the window shut answers to orphan_retries
 * (3 here) like any other orphan: its window probes back off and it gives
 * up, though the peer acknowledges every probe.
 */
TEST_F(flow, orphan_facing_a_closed_window_gives_up)
{
	long long aborts = clasp_stat("AbortOnTimeout");
	long long t0;
	uint64_t hash;

	if (clasp_is_tcp())
		SKIP(return, "clasp's counters");
	fill_until_blocked(_metadata, self->cli, 16384, &hash);
	ASSERT_EQ(0, close(self->cli));
	t0 = clasp_now_ms();
	/* Probes at 0.1, 0.2, 0.4 and 0.8 s: give up after about 1.5 s. */
	while (clasp_stat("AbortOnTimeout") == aborts &&
	       clasp_now_ms() - t0 < clasp_slow_time(10000))
		clasp_sleep_ms(clasp_slow_time(50));
	EXPECT_EQ(aborts + 1, clasp_stat("AbortOnTimeout"));
	TH_LOG("orphan gave up after %lld ms", clasp_now_ms() - t0);
	EXPECT_LE(clasp_slow_time(1400), clasp_now_ms() - t0);
}

struct pump {
	int fd;
	uint64_t bytes;
	uint32_t seed;
	uint64_t hash;		/* out */
	uint64_t done;		/* out */
	int err;		/* out */
};

static void *pump_send(void *arg)
{
	struct pump *p = arg;
	static __thread uint8_t buf[65536];

	p->hash = CLASP_FNV_INIT;
	while (p->done < p->bytes) {
		size_t len = p->bytes - p->done < sizeof(buf) ?
			     p->bytes - p->done : sizeof(buf);
		ssize_t n;

		clasp_fill(buf, len, p->done, p->seed);
		n = send(p->fd, buf, len, MSG_NOSIGNAL);
		if (n <= 0) {
			p->err = errno;
			return NULL;
		}
		p->hash = clasp_fnv(p->hash, buf, n);
		p->done += n;
	}
	if (shutdown(p->fd, SHUT_WR))
		p->err = errno;
	return NULL;
}

static void *pump_recv(void *arg)
{
	struct pump *p = arg;
	static __thread uint8_t buf[65536];

	p->hash = CLASP_FNV_INIT;
	for (;;) {
		ssize_t n = recv(p->fd, buf, sizeof(buf), 0);

		if (n == 0)
			return NULL;
		if (n < 0) {
			p->err = errno;
			return NULL;
		}
		p->hash = clasp_fnv(p->hash, buf, n);
		p->done += n;
	}
}

TEST_F_TIMEOUT(pair, bulk_transfer_both_directions_at_once, 60)
{
	enum { BYTES = 4 << 20 };
	struct pump cs = { self->cli, BYTES, 1 }, ss = { self->srv, BYTES, 2 };
	struct pump cr = { self->cli }, sr = { self->srv };
	struct timeval tv = { .tv_sec = 30 };
	pthread_t th[4];
	int i;

	setsockopt(self->cli, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(self->srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ASSERT_EQ(0, pthread_create(&th[0], NULL, pump_send, &cs));
	ASSERT_EQ(0, pthread_create(&th[1], NULL, pump_send, &ss));
	ASSERT_EQ(0, pthread_create(&th[2], NULL, pump_recv, &cr));
	ASSERT_EQ(0, pthread_create(&th[3], NULL, pump_recv, &sr));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	EXPECT_EQ(0, cs.err) TH_LOG("client send: %s", strerror(cs.err));
	EXPECT_EQ(0, ss.err) TH_LOG("server send: %s", strerror(ss.err));
	EXPECT_EQ(0, cr.err) TH_LOG("client recv: %s", strerror(cr.err));
	EXPECT_EQ(0, sr.err) TH_LOG("server recv: %s", strerror(sr.err));
	EXPECT_EQ(BYTES, sr.done);
	EXPECT_EQ(BYTES, cr.done);
	EXPECT_EQ(cs.hash, sr.hash);
	EXPECT_EQ(ss.hash, cr.hash);
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
		 "@th,16,16 %u @th,104,8 0x10 ip length < 100", port);
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
	struct sockaddr_in name, peer;
	socklen_t len = sizeof(name);
	int fd = sock_new();
	uint16_t port;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind_lo(fd, 0));
	port = local_port(fd);
	ASSERT_EQ(0, connect_lo(fd, port)) TH_LOG("connect: %s", strerror(errno));
	ASSERT_STATE(fd, TCP_ESTABLISHED, WAIT_MS);
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&name, &len));
	len = sizeof(peer);
	ASSERT_EQ(0, getpeername(fd, (struct sockaddr *)&peer, &len));
	EXPECT_EQ(name.sin_port, peer.sin_port);
	EXPECT_EQ(name.sin_addr.s_addr, peer.sin_addr.s_addr);
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
