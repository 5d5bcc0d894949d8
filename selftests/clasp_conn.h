// SPDX-License-Identifier: GPL-2.0
/*
 * What the connection tests share (clasp_conn_test, clasp_close_test,
 * clasp_timer_test, clasp_data_test): module parameters, socket helpers
 * over loopback, and the fixtures "ns" and "pair".
 *
 * Every test runs in a network namespace of its own, created after writing
 * the module parameters it needs (a namespace copies them when it is
 * created), so counters start at zero and timers are short.  Segments are
 * lost on purpose with an nft rule on the input hook (clasp_drop()).
 *
 * CLASP_PROTO=6 runs the socket-level tests against TCP as a reference
 * (see clasp_util.h); timings and clasp-only counters then do not apply.
 *
 * Include it from one file per test program: it defines the fixtures.
 */
#ifndef CLASP_CONN_H
#define CLASP_CONN_H

#include "kselftest_harness.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/uio.h>

#include "clasp_util.h"

#define LO		clasp_loopback()
/*
 * For anything that should happen "soon": SOON_MS in a stock kernel's time
 * (as clasp_wait_until() takes it), WAIT_MS in this kernel's.
 */
#define SOON_MS		3000
#define WAIT_MS		((int)clasp_slow_time(SOON_MS))
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
#define RTO_MAX_MS	4000
#define ORPHAN_RETRIES	3

struct param {
	const char *name;
	long long val;
	int optional;	/* newer than the contract: skip when missing */
};

static const struct param base_params[] = {
	{ "msl_ms", MSL_MS },
	{ "rto_initial_ms", RTO_INITIAL_MS },
	{ "rto_min_ms", RTO_MIN_MS },
	{ "rto_max_ms", RTO_MAX_MS },
	{ "syn_retries", 3 },
	{ "synack_retries", 3 },
	{ "retries", 5 },
	{ "orphan_retries", ORPHAN_RETRIES },
	{ "fin_timeout_ms", 2000 },
	{ "keepalive_time_ms", 7200000 },
	{ "keepalive_intvl_ms", 75000 },
	{ "keepalive_probes", 9 },
	{ "max_syn_backlog", 1024 },
	{ "max_tw_buckets", 262144 },
	{ "rfc1337", 0 },
	{ "challenge_ack_limit", 1000 },
	{ "invalid_ratelimit_ms", 500 },
	{ "syncookies", 1, 1 },
	{ "abort_on_overflow", 0, 1 },
	{ "max_orphans", 65536 },
	{ NULL, 0 }
};

/* A timer parameter, scaled by clasp_slow(): hours stand for "never". */
static inline long long param_val(const struct param *p)
{
	size_t len = strlen(p->name);

	if (len > 3 && !strcmp(p->name + len - 3, "_ms") && p->val < 3600000)
		return clasp_slow_time(p->val);
	return p->val;
}

/*
 * A fresh namespace with base_params and then @over: the module's
 * parameters are set, copied by the namespace as it is made, and put
 * back at once (clasp_netns_params()), so no test leaves them changed.
 */
static inline void fresh_netns(struct __test_metadata *_metadata,
			       const struct param *over)
{
	const struct param *lists[2] = { base_params, over }, *p;
	struct clasp_param want[64];
	int i, n = 0;

	for (i = 0; i < 2; i++) {
		for (p = lists[i]; p && p->name; p++) {
			if (p->optional && clasp_param_get(p->name) < 0)
				continue;
			ASSERT_GT(ARRAY_SIZE(want) - 1, n);
			want[n].name = p->name;
			want[n].val = param_val(p);
			n++;
		}
	}
	want[n].name = NULL;
	ASSERT_EQ(0, clasp_is_tcp() ? clasp_new_netns() :
				      clasp_netns_params(want, NULL)) {
		TH_LOG("parameters and namespace: %s", strerror(errno));
	}
}

/* A clasp socket that cannot block any test for more than GUARD_S. */
static inline int sock_new(void)
{
	struct timeval tv = { .tv_sec = GUARD_S };
	int fd = clasp_socket();

	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

static inline int bind_lo(int fd, uint16_t port)
{
	struct clasp_sockaddr a = clasp_sockaddr(LO, port);

	return bind(fd, &a.sa, a.len);
}

static inline int connect_lo(int fd, uint16_t port)
{
	struct clasp_sockaddr a = clasp_sockaddr(LO, port);

	return connect(fd, &a.sa, a.len);
}

static inline uint16_t local_port(int fd)
{
	struct clasp_sockaddr a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, &a.sa, &len))
		return 0;
	return clasp_sockaddr_port(&a);
}

/* A listener on the loopback address (LO) and an ephemeral port. */
static inline int listener(struct __test_metadata *_metadata,
			   uint16_t *port)
{
	int fd = sock_new();

	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	ASSERT_EQ(0, bind_lo(fd, 0)) TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(0, listen(fd, 16)) TH_LOG("listen: %s", strerror(errno));
	*port = local_port(fd);
	ASSERT_NE(0, *port);
	return fd;
}

static inline short poll1(int fd, short events, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	if (poll(&pfd, 1, ms) < 0)
		return -1;
	return pfd.revents;
}

/* accept() once a connection is there, waiting up to WAIT_MS for it. */
static inline int accept_wait(struct __test_metadata *_metadata, int lis)
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
static inline void make_pair(struct __test_metadata *_metadata, int lis,
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

/* fresh_netns() with @over, and in it a listener and a pair connected. */
static inline void pair_in_fresh_netns(struct __test_metadata *_metadata,
				       const struct param *over, int *lis,
				       int *cli, int *srv)
{
	uint16_t port;

	fresh_netns(_metadata, over);
	*lis = listener(_metadata, &port);
	make_pair(_metadata, *lis, port, cli, srv);
}

static inline int so_error(int fd)
{
	int err = -1;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -1;
	return err;
}

static inline void get_info(struct __test_metadata *_metadata, int fd,
			    struct clasp_info *info)
{
	ASSERT_EQ(0, clasp_get_info(fd, info)) {
		TH_LOG("getsockopt(CLASP_INFO): %s", strerror(errno));
	}
}

/*
 * @fd's clasp_info for a condition polled with clasp_wait_until(); all
 * zero (no state, no timer) if it cannot be read, so the condition fails.
 */
static inline struct clasp_info info_of(int fd)
{
	struct clasp_info info;

	if (clasp_get_info(fd, &info))
		memset(&info, 0, sizeof(info));
	return info;
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
static inline void read_exact(struct __test_metadata *_metadata, int fd,
			      void *buf, size_t len)
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

static inline void send_str(struct __test_metadata *_metadata, int fd,
			    const char *s)
{
	ASSERT_EQ((ssize_t)strlen(s), send(fd, s, strlen(s), MSG_NOSIGNAL)) {
		TH_LOG("send: %s", strerror(errno));
	}
}

static inline void expect_str(struct __test_metadata *_metadata, int fd,
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
static inline short wait_events(int fd, short events, int ms)
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
 * How long a retransmission timer takes to fire at backoffs @from to @to
 * in turn, @rto_ms doubling at each and capped by rto_max_ms: how long a
 * connection that gets no answer takes to give up.
 */
static inline long long backoff_ms(long long rto_ms, int from, int to)
{
	long long max = clasp_slow_time(RTO_MAX_MS), sum = 0;
	int k;

	for (k = from; k <= to; k++)
		sum += rto_ms << k < max ? rto_ms << k : max;
	return sum;
}

/* Room for a guest under emulation on a loaded host to run a timer late. */
#define TIMER_LATE_MS	200

/*
 * A timer check: @got ms passed, from a clock started before the timer
 * was armed, until what the timer does was seen; @want_ms is its length,
 * already in this kernel's time.  Timers never fire early, so at least
 * 0.8 @want_ms; at most 1.6 @want_ms plus TIMER_LATE_MS (scaled), which
 * still fails a timer twice as long as it should be for any @want_ms of
 * 500 or more (scaled).
 */
#define EXPECT_TIMER(want_ms, got) do { \
	long long __want = (want_ms), __got = (got); \
	EXPECT_LE(__want * 4 / 5, __got) \
		TH_LOG("%s: %lld ms, too early for %lld ms", #got, \
		       __got, __want); \
	EXPECT_GE(__want * 8 / 5 + clasp_slow_time(TIMER_LATE_MS), __got) \
		TH_LOG("%s: %lld ms, too late for %lld ms", #got, \
		       __got, __want); \
} while (0)

static int drops;	/* nft drop rules installed in this test's namespace */

/* Lose the clasp segments matching nft expression @match ("" for all). */
static inline void drop(struct __test_metadata *_metadata, const char *match)
{
	ASSERT_EQ(0, clasp_drop(match)) TH_LOG("nft failed");
	drops = 1;
}

static inline void undrop(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, clasp_undrop()) TH_LOG("nft failed");
	drops = 0;
}

static inline void teardown(void)
{
	if (drops)
		clasp_undrop();
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

#endif /* CLASP_CONN_H */
