// SPDX-License-Identifier: GPL-2.0
/*
 * SOL_TCP options on clasp sockets: values, ranges, errno and effects as
 * TCP's, and TCP_INFO.  With CLASP_PROTO=6 every case that TCP can run
 * runs against the kernel's TCP, which shows the expectations right.
 * TCP_INFO is also compared with what claspctl conns -i reports for the
 * same connection (clasp only).
 */
#include "clasp_conn.h"
#include "clasp_tcpinfo.h"

#include <limits.h>
#include <stddef.h>

static int opt_get(int fd, int opt, int *val)
{
	socklen_t len = sizeof(*val);

	*val = INT_MIN;
	return getsockopt(fd, IPPROTO_TCP, opt, val, &len);
}

static int opt_set(int fd, int opt, int val)
{
	return setsockopt(fd, IPPROTO_TCP, opt, &val, sizeof(val));
}

/* setsockopt(@opt, @val) fails with @err, and leaves the value alone. */
#define EXPECT_SET_FAILS(fd, opt, val, err) do { \
	int __before, __after; \
	ASSERT_EQ(0, opt_get(fd, opt, &__before)) TH_LOG("get %s", #opt); \
	errno = 0; \
	EXPECT_EQ(-1, opt_set(fd, opt, val)) TH_LOG("%s = %d", #opt, val); \
	EXPECT_EQ(err, errno) \
		TH_LOG("%s = %d: %s, want %s", #opt, val, strerror(errno), \
		       strerror(err)); \
	ASSERT_EQ(0, opt_get(fd, opt, &__after)); \
	EXPECT_EQ(__before, __after) TH_LOG("%s changed", #opt); \
} while (0)

#define EXPECT_SET_GET(fd, opt, val, want) do { \
	int __v; \
	EXPECT_EQ(0, opt_set(fd, opt, val)) \
		TH_LOG("%s = %d: %s", #opt, val, strerror(errno)); \
	ASSERT_EQ(0, opt_get(fd, opt, &__v)) TH_LOG("get %s", #opt); \
	EXPECT_EQ(want, __v) TH_LOG("%s set to %d", #opt, val); \
} while (0)

TEST_F(ns, set_and_get)
{
	/* What a fresh socket reports, as TCP's. */
	static const struct { int opt, want; } fresh[] = {
		{ TCP_MAXSEG, 536 }, { TCP_NODELAY, 0 }, { TCP_QUICKACK, 1 },
		{ TCP_WINDOW_CLAMP, 0 }, { TCP_NOTSENT_LOWAT, 0 },
		{ TCP_USER_TIMEOUT, 0 }, { TCP_DEFER_ACCEPT, 0 },
	};
	int fd = sock_new(), v;
	size_t i;

	ASSERT_LE(0, fd);
	for (i = 0; i < sizeof(fresh) / sizeof(fresh[0]); i++) {
		ASSERT_EQ(0, opt_get(fd, fresh[i].opt, &v));
		EXPECT_EQ(fresh[i].want, v) TH_LOG("option %d", fresh[i].opt);
	}
	ASSERT_EQ(0, opt_get(fd, TCP_LINGER2, &v));
	EXPECT_LT(0, v);		/* the namespace's FIN_WAIT_2 time */
	ASSERT_EQ(0, opt_get(fd, TCP_SYNCNT, &v));
	EXPECT_LT(0, v);

	EXPECT_SET_GET(fd, TCP_NODELAY, 1, 1);
	EXPECT_SET_GET(fd, TCP_NODELAY, 5, 1);
	EXPECT_SET_GET(fd, TCP_NODELAY, 0, 0);
	EXPECT_SET_GET(fd, TCP_CORK, 1, 1);
	EXPECT_SET_GET(fd, TCP_CORK, 0, 0);
	EXPECT_SET_GET(fd, TCP_QUICKACK, 0, 0);
	EXPECT_SET_GET(fd, TCP_QUICKACK, 1, 1);
	EXPECT_SET_GET(fd, TCP_KEEPIDLE, 30, 30);
	EXPECT_SET_GET(fd, TCP_KEEPIDLE, 32767, 32767);
	EXPECT_SET_GET(fd, TCP_KEEPINTVL, 10, 10);
	EXPECT_SET_GET(fd, TCP_KEEPCNT, 4, 4);
	EXPECT_SET_GET(fd, TCP_KEEPCNT, 127, 127);
	EXPECT_SET_GET(fd, TCP_SYNCNT, 5, 5);
	EXPECT_SET_GET(fd, TCP_SYNCNT, 127, 127);
	EXPECT_SET_GET(fd, TCP_USER_TIMEOUT, 5000, 5000);
	EXPECT_SET_GET(fd, TCP_USER_TIMEOUT, 0, 0);
	EXPECT_SET_GET(fd, TCP_LINGER2, 30, 30);
	EXPECT_SET_GET(fd, TCP_LINGER2, 1000, 120);	/* capped at 2 min */
	EXPECT_SET_GET(fd, TCP_LINGER2, -5, -1);
	/* Seconds to SYN-ACK timeouts (1 s, doubling) and back. */
	EXPECT_SET_GET(fd, TCP_DEFER_ACCEPT, 1, 1);
	EXPECT_SET_GET(fd, TCP_DEFER_ACCEPT, 5, 7);
	EXPECT_SET_GET(fd, TCP_DEFER_ACCEPT, 60, 63);
	EXPECT_SET_GET(fd, TCP_DEFER_ACCEPT, -3, 0);
	EXPECT_SET_GET(fd, TCP_DEFER_ACCEPT, 0, 0);
	EXPECT_SET_GET(fd, TCP_WINDOW_CLAMP, 20000, 20000);
	EXPECT_SET_GET(fd, TCP_WINDOW_CLAMP, 0, 0);	/* allowed: not connected */
	EXPECT_SET_GET(fd, TCP_NOTSENT_LOWAT, 16384, 16384);
	EXPECT_SET_GET(fd, TCP_NOTSENT_LOWAT, -1, -1);
	/* Before a connection TCP_MAXSEG reads back what was asked. */
	EXPECT_SET_GET(fd, TCP_MAXSEG, 1000, 1000);

	/* A tiny clamp becomes half the smallest receive buffer. */
	ASSERT_EQ(0, opt_set(fd, TCP_WINDOW_CLAMP, 100));
	ASSERT_EQ(0, opt_get(fd, TCP_WINDOW_CLAMP, &v));
	EXPECT_LT(100, v);
	EXPECT_GT(2048, v);
	close(fd);
}

TEST_F(ns, ranges_and_lengths)
{
	int fd = sock_new(), v = 1;
	socklen_t len;
	char c = 1;

	ASSERT_LE(0, fd);
	EXPECT_SET_FAILS(fd, TCP_KEEPIDLE, 0, EINVAL);
	EXPECT_SET_FAILS(fd, TCP_KEEPIDLE, 32768, EINVAL);
	EXPECT_SET_FAILS(fd, TCP_KEEPINTVL, 0, EINVAL);
	EXPECT_SET_FAILS(fd, TCP_KEEPINTVL, 32768, EINVAL);
	EXPECT_SET_FAILS(fd, TCP_KEEPCNT, 0, EINVAL);
	EXPECT_SET_FAILS(fd, TCP_KEEPCNT, 128, EINVAL);
	EXPECT_SET_FAILS(fd, TCP_SYNCNT, 0, EINVAL);
	EXPECT_SET_FAILS(fd, TCP_SYNCNT, 128, EINVAL);
	EXPECT_SET_FAILS(fd, TCP_USER_TIMEOUT, -1, EINVAL);
	EXPECT_SET_FAILS(fd, TCP_MAXSEG, 87, EINVAL);
	EXPECT_SET_FAILS(fd, TCP_MAXSEG, 32768, EINVAL);
	EXPECT_SET_FAILS(fd, TCP_MAXSEG, -1, EINVAL);
	EXPECT_SET_GET(fd, TCP_MAXSEG, 88, 88);
	EXPECT_SET_GET(fd, TCP_MAXSEG, 32767, 32767);
	EXPECT_SET_GET(fd, TCP_MAXSEG, 0, 536);	/* none: the default again */

	/* A value shorter than an int. */
	errno = 0;
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &c, 1));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, 0));
	EXPECT_EQ(EINVAL, errno);

	/* A negative room; a short one gets what fits, and its length. */
	len = -1;
	errno = 0;
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, opt_set(fd, TCP_KEEPCNT, 0x41));
	len = 1;
	c = 0;
	EXPECT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &c, &len));
	EXPECT_EQ(1, len);
	EXPECT_EQ(0x41, c);
	len = 64;
	EXPECT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &v, &len));
	EXPECT_EQ(sizeof(int), len);

	/* An option no kernel has: ENOPROTOOPT both ways. */
	errno = 0;
	EXPECT_EQ(-1, opt_set(fd, 9999, 1));
	EXPECT_EQ(ENOPROTOOPT, errno);
	errno = 0;
	EXPECT_EQ(-1, opt_get(fd, 9999, &v));
	EXPECT_EQ(ENOPROTOOPT, errno);
	close(fd);
}

/* What clasp does not offer fails as an option TCP does not know. */
TEST_F(ns, unsupported_options)
{
	static const int opts[] = {
		TCP_FASTOPEN, TCP_FASTOPEN_CONNECT, TCP_FASTOPEN_NO_COOKIE,
		TCP_MD5SIG, TCP_REPAIR, TCP_THIN_LINEAR_TIMEOUTS, TCP_INQ,
		TCP_TX_DELAY, TCP_SAVE_SYN,
	};
	struct { int q[64]; } big = { { 0 } };
	socklen_t len;
	int fd = sock_new(), v;
	size_t i;

	ASSERT_LE(0, fd);
	CLASP_ONLY("TCP has Fast Open, MD5, repair, ULPs and BBR");
	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		errno = 0;
		EXPECT_EQ(-1, opt_set(fd, opts[i], 1)) TH_LOG("option %d", opts[i]);
		EXPECT_EQ(ENOPROTOOPT, errno) TH_LOG("option %d", opts[i]);
		errno = 0;
		EXPECT_EQ(-1, opt_get(fd, opts[i], &v)) TH_LOG("option %d", opts[i]);
		EXPECT_EQ(ENOPROTOOPT, errno) TH_LOG("option %d", opts[i]);
	}
	/*
	 * The string options, whatever their length.  TCP_CONGESTION knows
	 * "cubic" and "reno" (clasp_cc_test): another name is ENOENT, as
	 * TCP answers a name it has no algorithm for.
	 */
	errno = 0;
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "bbr", 3));
	EXPECT_EQ(ENOENT, errno);
	errno = 0;
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", 3));
	EXPECT_EQ(ENOPROTOOPT, errno);
	len = sizeof(big);
	errno = 0;
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_CC_INFO, &big, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);
	len = sizeof(big);
	errno = 0;
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &big, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);
	close(fd);
}

TEST_F(ns, tcp_info_lengths)
{
	struct ktcp_info ti;
	int fd = sock_new(), lis = sock_new();
	socklen_t len;
	int n;

	ASSERT_LE(0, fd);
	n = ti_get(fd, &ti);
	ASSERT_LT(0, n) TH_LOG("TCP_INFO: %s", strerror(errno));
	EXPECT_TRUE(HAS_FIELD(n, snd_wnd)) TH_LOG("%d bytes", n);
	EXPECT_GT(sizeof(ti), n);		/* the kernel's size, not ours */
	EXPECT_EQ(TCP_CLOSE, ti.state);

	/* A short room gets what fits, and its length. */
	memset(&ti, 0xa5, sizeof(ti));
	len = 1;
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len));
	EXPECT_EQ(1, len);
	EXPECT_EQ(TCP_CLOSE, ti.state);
	EXPECT_EQ(0xa5, ti.ca_state);
	len = 0;
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len));
	EXPECT_EQ(0, len);

	/* A listener: its accept queue and backlog. */
	ASSERT_LE(0, lis);
	ASSERT_EQ(0, bind_lo(lis, 0));
	ASSERT_EQ(0, listen(lis, 7));
	ASSERT_LT(0, ti_get(lis, &ti));
	EXPECT_EQ(TCP_LISTEN, ti.state);
	EXPECT_EQ(0, ti.unacked);
	EXPECT_EQ(7, ti.sacked);
	close(fd);
	close(lis);
}

/* The JSON value of @key in @s, or -1. */
static long long json_num(const char *s, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(s, k);
	if (!p)
		return -1;
	p += strlen(k);
	while (*p == ' ')
		p++;
	return strtoll(p, NULL, 10);
}

/* A time in milliseconds with three decimals, in microseconds. */
static long long json_us(const char *s, const char *key)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(s, k);
	if (!p)
		return -1;
	return (long long)(strtod(p + strlen(k), NULL) * 1000 + 0.5);
}

/* claspctl beside this program (CLASPCTL overrides). */
static const char *claspctl_path(void)
{
	static char path[PATH_MAX + 32];
	const char *env = getenv("CLASPCTL");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return "claspctl";
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(path, sizeof(path), "%s/../userspace/claspctl", exe);
	return path;
}

static uint16_t peer_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getpeername(fd, (struct sockaddr *)&a, &len))
		return 0;
	return ntohs(a.sin_port);
}

/* claspctl -j conns -i for one connection, its output in @buf. */
static int claspctl_conn(int fd, char *buf, size_t size)
{
	char cmd[PATH_MAX + 128];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s -j conns -i sport %u dport %u",
		 claspctl_path(), local_port(fd), peer_port(fd));
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(buf, 1, size - 1, p);
	buf[n] = 0;
	return pclose(p) ? -1 : 0;
}

/* TCP_INFO of @fd against claspctl conns -i for the same connection. */
static void claspctl_compare(struct __test_metadata *_metadata, int fd)
{
	static char out[4096];
	struct ktcp_info ti;
	int n;

	n = ti_get(fd, &ti);
	ASSERT_EQ(0, claspctl_conn(fd, out, sizeof(out))) {
		TH_LOG("%s failed", claspctl_path());
	}
	TH_LOG("claspctl: %s", out);
	EXPECT_EQ(ti.state == TCP_ESTABLISHED, !!strstr(out, "\"ESTAB\""));
	EXPECT_EQ(ti.rto, json_us(out, "rto_ms"));
	EXPECT_EQ(ti.rtt, json_us(out, "rtt_ms"));
	EXPECT_EQ(ti.snd_mss, json_num(out, "mss"));
	EXPECT_EQ(ti.snd_wnd, json_num(out, "snd_wnd"));
	EXPECT_EQ(ti.backoff, json_num(out, "backoff"));
	EXPECT_EQ(ti.retransmits, json_num(out, "retrans"));
	if (HAS_FIELD(n, rcv_wnd))
		EXPECT_EQ(ti.rcv_wnd, json_num(out, "rcv_wnd"));
	EXPECT_EQ((long long)ti.pacing_rate, json_num(out, "pacing_rate"));
}

TEST_F(pair, tcp_info_connected)
{
	static char data[100000];
	struct ktcp_info ti;
	int n;

	clasp_fill((uint8_t *)data, sizeof(data), 0, 1);
	ASSERT_EQ(sizeof(data), send(self->cli, data, sizeof(data), 0));
	read_exact(_metadata, self->srv, data, sizeof(data));
	/* Everything acknowledged: nothing moves any more. */
	ASSERT_TRUE(clasp_wait_until((ti_get(self->cli, &ti), !ti.unacked),
				     SOON_MS));

	n = ti_get(self->cli, &ti);
	ASSERT_LT(0, n);
	EXPECT_EQ(TCP_ESTABLISHED, ti.state);
	EXPECT_EQ(0, ti.ca_state);		/* TCP_CA_Open */
	EXPECT_EQ(0, ti.retransmits);
	EXPECT_EQ(0, ti.backoff);
	/*
	 * No timeout; but an ACK later than two round trips, which a loaded
	 * emulator makes, earns a tail loss probe (TCP sent one on
	 * 2026-12-04 in make check-tcp).
	 */
	EXPECT_GE(1, ti.total_retrans);
	EXPECT_LT(0, ti.rto);
	EXPECT_LT(0, ti.rtt);
	EXPECT_LT(0, ti.snd_mss);
	EXPECT_LT(0, ti.advmss);
	EXPECT_EQ(3, ti.reordering);
	EXPECT_EQ(65535, ti.pmtu);		/* lo's 65536, as IP caps it */
	/* Sequence space: the SYN counts on the active side, as TCP's. */
	EXPECT_EQ(sizeof(data) + 1, ti.bytes_acked);
	EXPECT_EQ(0, ti.bytes_received);
	EXPECT_EQ(0, ti.notsent_bytes);
	EXPECT_LT(0, ti.snd_wnd);
	ASSERT_LT(0, ti_get(self->srv, &ti));
	EXPECT_EQ(sizeof(data), ti.bytes_received);
	EXPECT_EQ(0, ti.bytes_acked);

	/* The same connection as clasp's netlink dump reports it. */
	if (clasp_only_check("claspctl reads clasp's netlink family"))
		claspctl_compare(_metadata, self->cli);

	/* A FIN is counted once acknowledged, and where it arrives. */
	ASSERT_EQ(0, shutdown(self->cli, SHUT_WR));
	ASSERT_TRUE(clasp_wait_until((ti_get(self->srv, &ti),
				      ti.bytes_received == sizeof(data) + 1),
				     SOON_MS)) TH_LOG("%llu", (unsigned long long)ti.bytes_received);
	ASSERT_TRUE(clasp_wait_until((ti_get(self->cli, &ti),
				      ti.bytes_acked == sizeof(data) + 2),
				     SOON_MS)) TH_LOG("%llu", (unsigned long long)ti.bytes_acked);
}

/* Within SOON_MS, @a and @b have everything they sent acknowledged. */
#define ALL_ACKED(a, b) ({ \
	struct ktcp_info __a, __b; \
	clasp_wait_until((ti_get(a, &__a), ti_get(b, &__b), \
			  !__a.unacked && !__b.unacked), SOON_MS); \
})

/*
 * TCP_INFO's segment and byte counts and its times since the last data
 * and ACK, after a known exchange: three rounds of 1000 bytes one way
 * and 500 back.  What is exact on loopback is checked exactly (the data
 * segments, the handshake's segments); how many pure ACKs go with them
 * is TCP's delayed-ACK business, so only bounded.
 */
TEST_F(pair, tcp_info_counts)
{
	char out[1000] = { 0 }, back[500] = { 0 };
	long long sent_at, rcvd_at, gap = clasp_slow_time(300);
	struct ktcp_info ti, si;
	int i, n, one = 1;

	/* The handshake: SYN and ACK out, SYN-ACK in; the server has its
	 * SYN and the ACK (its SYN-ACK was the request's, not its own).
	 */
	n = ti_get(self->cli, &ti);
	ASSERT_TRUE(HAS_FIELD(n, bytes_retrans)) TH_LOG("%d bytes", n);
	EXPECT_EQ(2 + ti.total_retrans, ti.segs_out);
	EXPECT_EQ(1, ti.segs_in);
	EXPECT_EQ(0, ti.data_segs_out);
	EXPECT_EQ(0, ti.data_segs_in);
	EXPECT_EQ(0, ti.bytes_sent);
	ASSERT_LT(0, ti_get(self->srv, &ti));
	EXPECT_EQ(2, ti.segs_in);
	EXPECT_EQ(0, ti.segs_out);
	EXPECT_EQ(0, ti.data_segs_in);

	ASSERT_EQ(0, setsockopt(self->cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	ASSERT_EQ(0, setsockopt(self->srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	for (i = 0; i < 3; i++) {
		sent_at = clasp_now_ms();
		ASSERT_EQ(sizeof(out), send(self->cli, out, sizeof(out), 0));
		read_exact(_metadata, self->srv, out, sizeof(out));
		rcvd_at = clasp_now_ms();
		ASSERT_EQ(sizeof(back), send(self->srv, back, sizeof(back), 0));
		read_exact(_metadata, self->cli, back, sizeof(back));
	}
	ASSERT_TRUE(ALL_ACKED(self->cli, self->srv));

	/*
	 * A segment sent twice (TCP's tail loss probe, on a loaded host)
	 * arrives twice: what one end received may exceed what the other
	 * sent once by its retransmissions.
	 */
	ASSERT_LT(0, ti_get(self->cli, &ti));
	ASSERT_LT(0, ti_get(self->srv, &si));
	EXPECT_LE(3, ti.data_segs_out);
	EXPECT_GE(3 + ti.total_retrans, ti.data_segs_out);
	EXPECT_LE(3, ti.data_segs_in);
	EXPECT_GE(3 + si.total_retrans, ti.data_segs_in);
	EXPECT_EQ(3000 + ti.bytes_retrans, ti.bytes_sent);
	/* The SYN-ACK, the replies, and ACKs alone or on the replies. */
	EXPECT_LE(1 + ti.data_segs_in, ti.segs_in);
	EXPECT_GE(40, ti.segs_in);
	EXPECT_LE(2 + ti.data_segs_out, ti.segs_out);
	EXPECT_GE(40, ti.segs_out);
	EXPECT_LE(3, si.data_segs_in);
	EXPECT_GE(3 + ti.total_retrans, si.data_segs_in);
	EXPECT_LE(3, si.data_segs_out);
	EXPECT_GE(3 + si.total_retrans, si.data_segs_out);
	EXPECT_EQ(1500 + si.bytes_retrans, si.bytes_sent);
	EXPECT_LE(2 + si.data_segs_in, si.segs_in);
	EXPECT_LE(si.data_segs_out, si.segs_out);
	EXPECT_GE(40, si.segs_out);

	/* Quiet for a while: every time since grows with it. */
	clasp_sleep_ms(gap);
	ASSERT_LT(0, ti_get(self->cli, &ti));
	EXPECT_LE(gap * 4 / 5, ti.last_data_sent);
	EXPECT_GE(clasp_now_ms() - sent_at + 10, ti.last_data_sent);
	EXPECT_LE(gap * 4 / 5, ti.last_data_recv);
	EXPECT_GE(clasp_now_ms() - rcvd_at + 10, ti.last_data_recv);
	EXPECT_LE(gap * 4 / 5, ti.last_ack_recv);
	ASSERT_LT(0, ti_get(self->srv, &ti));
	EXPECT_LE(gap * 4 / 5, ti.last_data_sent);
	EXPECT_LE(gap * 4 / 5, ti.last_data_recv);
	EXPECT_GE(clasp_now_ms() - sent_at + 10, ti.last_data_recv);

	/* New data: the sender's and the receiver's clocks start again. */
	sent_at = clasp_now_ms();
	ASSERT_EQ(1, send(self->cli, out, 1, 0));
	read_exact(_metadata, self->srv, out, 1);
	ASSERT_TRUE(ALL_ACKED(self->cli, self->srv));
	ASSERT_LT(0, ti_get(self->cli, &ti));
	EXPECT_GE(clasp_now_ms() - sent_at + 10, ti.last_data_sent);
	EXPECT_GE(clasp_now_ms() - sent_at + 10, ti.last_ack_recv);
	EXPECT_LE(gap * 4 / 5, ti.last_data_recv);
	EXPECT_EQ(3001 + ti.bytes_retrans, ti.bytes_sent);
	ASSERT_LT(0, ti_get(self->srv, &si));
	EXPECT_GE(clasp_now_ms() - sent_at + 10, si.last_data_recv);
	EXPECT_LE(4, si.data_segs_in);
	EXPECT_GE(4 + ti.total_retrans, si.data_segs_in);
}

/* TCP_MAXSEG caps the MSS a socket announces and the one it uses. */
TEST_F(ns, maxseg_caps_mss)
{
	int lis = sock_new(), cli, srv, v;
	uint16_t port;

	ASSERT_LE(0, lis);
	ASSERT_EQ(0, opt_set(lis, TCP_MAXSEG, 700));
	ASSERT_EQ(0, bind_lo(lis, 0));
	ASSERT_EQ(0, listen(lis, 4));
	port = local_port(lis);
	make_pair(_metadata, lis, port, &cli, &srv);
	/* TCP takes its timestamp option off: up to 40 bytes less. */
	ASSERT_EQ(0, opt_get(cli, TCP_MAXSEG, &v));
	EXPECT_GE(700, v);
	EXPECT_LE(660, v);
	/* Timestamps, on by default for both, take 12 bytes. */
	EXPECT_EQ(700 - (int)clasp_opt_room(cli), v);
	ASSERT_EQ(0, opt_get(srv, TCP_MAXSEG, &v));
	EXPECT_GE(700, v);
	close(cli);
	close(srv);

	cli = sock_new();
	ASSERT_LE(0, cli);
	ASSERT_EQ(0, opt_set(cli, TCP_MAXSEG, 1000));
	ASSERT_EQ(0, opt_set(lis, TCP_MAXSEG, 0));
	ASSERT_EQ(0, connect_lo(cli, port));
	srv = accept_wait(_metadata, lis);
	ASSERT_EQ(0, opt_get(cli, TCP_MAXSEG, &v));
	EXPECT_GE(1000, v);
	EXPECT_LE(960, v);
	ASSERT_EQ(0, opt_get(srv, TCP_MAXSEG, &v));
	EXPECT_GE(1000, v);
	EXPECT_LE(960, v);
}

/*
 * TCP_WINDOW_CLAMP bounds the window offered; 0 is refused once
 * connected.  The receive buffer is set, so that TCP's autotuning leaves
 * the clamp alone.
 */
TEST_F(ns, window_clamp)
{
	static char data[50000];
	int lis = sock_new(), cli, srv, rcvbuf = 1 << 18;
	struct ktcp_info ti;
	uint16_t port;

	ASSERT_LE(0, lis);
	ASSERT_EQ(0, setsockopt(lis, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)));
	ASSERT_EQ(0, opt_set(lis, TCP_WINDOW_CLAMP, 4000));
	ASSERT_EQ(0, bind_lo(lis, 0));
	ASSERT_EQ(0, listen(lis, 4));
	port = local_port(lis);
	make_pair(_metadata, lis, port, &cli, &srv);
	ASSERT_LT(0, ti_get(cli, &ti));
	EXPECT_GE(4000, ti.snd_wnd);
	EXPECT_LT(0, ti.snd_wnd);
	ASSERT_EQ(sizeof(data), send(cli, data, sizeof(data), 0));
	read_exact(_metadata, srv, data, sizeof(data));
	ASSERT_LT(0, ti_get(cli, &ti));
	if (clasp_only_check("the clamp after data: TCP's receive-MSS estimate replaces it (tcp_measure_rcv_mss)"))
		EXPECT_GE(4000, ti.snd_wnd);
	EXPECT_LT(0, ti.snd_wnd);
	EXPECT_SET_FAILS(srv, TCP_WINDOW_CLAMP, 0, EINVAL);
	EXPECT_SET_FAILS(cli, TCP_WINDOW_CLAMP, 0, EINVAL);
}

/*
 * TCP_NOTSENT_LOWAT: writable only while fewer bytes than it wait
 * unsent.  The peer's buffer is small, ours large: what the peer's
 * window does not take stays unsent, with room to spare in ours.
 */
TEST_F(ns, notsent_lowat_poll)
{
	static char data[32768];
	int lis = sock_new(), cli, srv, small = 4096, big = 1 << 20;
	struct ktcp_info ti;
	uint16_t port;

	ASSERT_LE(0, lis);
	ASSERT_EQ(0, setsockopt(lis, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	ASSERT_EQ(0, bind_lo(lis, 0));
	ASSERT_EQ(0, listen(lis, 4));
	port = local_port(lis);
	make_pair(_metadata, lis, port, &cli, &srv);
	ASSERT_EQ(0, setsockopt(cli, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)));
	ASSERT_EQ(0, opt_set(cli, TCP_NOTSENT_LOWAT, 1000));
	EXPECT_TRUE(poll1(cli, POLLOUT, 0) & POLLOUT);	/* nothing queued */

	/* Queued before the mark, which would stop a send half way. */
	ASSERT_EQ(0, opt_set(cli, TCP_NOTSENT_LOWAT, 0));
	ASSERT_EQ(sizeof(data), send(cli, data, sizeof(data), MSG_DONTWAIT));
	ASSERT_TRUE(clasp_wait_until((ti_get(cli, &ti), !ti.unacked), SOON_MS));
	ASSERT_LT(0, ti_get(cli, &ti));
	EXPECT_LE(1000, ti.notsent_bytes);
	EXPECT_TRUE(poll1(cli, POLLOUT, 0) & POLLOUT);
	ASSERT_EQ(0, opt_set(cli, TCP_NOTSENT_LOWAT, 1000));
	EXPECT_FALSE(poll1(cli, POLLOUT, 0) & POLLOUT);
	errno = 0;
	EXPECT_EQ(-1, send(cli, data, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	/* A higher mark, or none, makes it writable at once. */
	ASSERT_EQ(0, opt_set(cli, TCP_NOTSENT_LOWAT, 1 << 20));
	EXPECT_TRUE(poll1(cli, POLLOUT, 0) & POLLOUT);
	ASSERT_EQ(0, opt_set(cli, TCP_NOTSENT_LOWAT, 1000));
	EXPECT_FALSE(poll1(cli, POLLOUT, 0) & POLLOUT);
	ASSERT_EQ(0, opt_set(cli, TCP_NOTSENT_LOWAT, 0));
	EXPECT_TRUE(poll1(cli, POLLOUT, 0) & POLLOUT);
	ASSERT_EQ(0, opt_set(cli, TCP_NOTSENT_LOWAT, 1000));
	/* The reader drains it all: then it is writable again. */
	read_exact(_metadata, srv, data, sizeof(data));
	EXPECT_TRUE(poll1(cli, POLLOUT, WAIT_MS) & POLLOUT);
}

/* Receive what is there on @fd without waiting; the byte count. */
static size_t drain(int fd)
{
	static char buf[65536];
	size_t got = 0;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		got += n;
	return got;
}

struct drain_later {
	int fd;
	long long delay_ms;
	size_t got;
};

static void *drain_later(void *arg)
{
	struct drain_later *d = arg;

	clasp_sleep_ms(d->delay_ms);
	d->got = drain(d->fd);
	return NULL;
}

/*
 * TCP_NOTSENT_LOWAT's wakeup comes when sending, not acknowledgment,
 * takes the unsent bytes under the mark (tcp_check_space()).  While the
 * writer polls, the peer reads; its window update lets the writer send
 * what waited, and the segments that would bring the next ACK are lost:
 * the poller must be woken by the sending alone, not by a retransmission
 * an RTO later (rto_min_ms is long here).  The unsent part is sized from
 * the window the peer offered once, so that one window takes it all: TCP
 * wakes only under half the mark.
 */
TEST(notsent_lowat_wakes_on_send)
{
	static const struct param over[] = {
		{ "rto_min_ms", 30000 }, { "rto_initial_ms", 30000 },
		{ "rto_max_ms", 60000 }, { NULL, 0 }
	};
	struct drain_later d = { .delay_ms = clasp_slow_time(200) };
	pthread_t th;
	static char data[65536];
	int lis, cli, srv, small = 4096, big = 1 << 20, one = 1;
	size_t wnd, n;
	struct ktcp_info ti;
	long long t0, took;
	uint32_t mark;
	char match[64];
	uint16_t port;
	short rev;

	fresh_netns(_metadata, over);
	lis = sock_new();
	ASSERT_LE(0, lis);
	ASSERT_EQ(0, setsockopt(lis, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	ASSERT_EQ(0, bind_lo(lis, 0));
	ASSERT_EQ(0, listen(lis, 4));
	port = local_port(lis);
	make_pair(_metadata, lis, port, &cli, &srv);
	ASSERT_EQ(0, setsockopt(cli, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)));
	ASSERT_EQ(0, setsockopt(cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));

	/* How much the peer takes while it does not read. */
	ASSERT_EQ(32768, send(cli, data, 32768, MSG_DONTWAIT));
	ASSERT_TRUE(clasp_wait_until((ti_get(cli, &ti), !ti.unacked &&
				      ti.notsent_bytes), SOON_MS));
	wnd = 32768 - ti.notsent_bytes;
	read_exact(_metadata, srv, data, 32768);
	ASSERT_TRUE(clasp_wait_until((ti_get(cli, &ti), !ti.unacked &&
				      !ti.notsent_bytes), SOON_MS));

	/* That window again, and a third of it more, which waits. */
	n = wnd + wnd / 3 + 1;
	ASSERT_EQ(n, send(cli, data, n, MSG_DONTWAIT));
	ASSERT_TRUE(clasp_wait_until((ti_get(cli, &ti), !ti.unacked &&
				      ti.notsent_bytes), SOON_MS));
	mark = ti.notsent_bytes;
	ASSERT_EQ(0, opt_set(cli, TCP_NOTSENT_LOWAT, mark));
	ASSERT_FALSE(poll1(cli, POLLOUT, 0) & POLLOUT);

	/* The data the window update lets through never arrives. */
	snprintf(match, sizeof(match), "@th,16,16 %u ip length > 100", port);
	drop(_metadata, match);
	d.fd = srv;
	t0 = clasp_now_ms();
	ASSERT_EQ(0, pthread_create(&th, NULL, drain_later, &d));
	rev = poll1(cli, POLLOUT, d.delay_ms + WAIT_MS);
	took = clasp_now_ms() - t0;
	pthread_join(th, NULL);
	EXPECT_LT(0, d.got);
	EXPECT_TRUE(rev & POLLOUT) {
		ti_get(cli, &ti);
		TH_LOG("not writable after %lld ms: %u bytes unsent, mark %u",
		       took, ti.notsent_bytes, mark);
	}
	/*
	 * Promptly: the window update's trip, not a timer's (a late wakeup
	 * came with the next probe or retransmission, here 30 s apart).
	 */
	EXPECT_GT(d.delay_ms + WAIT_MS, took);
	EXPECT_LE(d.delay_ms, took);
	ASSERT_LT(0, ti_get(cli, &ti));
	EXPECT_EQ(0, ti.notsent_bytes);
	clasp_undrop();
	close(cli);
	close(srv);
}

/* TCP_USER_TIMEOUT ends a connection whose data stays unacknowledged. */
TEST_F(pair, user_timeout_aborts)
{
	long long t0, took, want = clasp_slow_time(1000);
	char buf[16], match[64];
	int v = want;

	ASSERT_EQ(0, opt_set(self->cli, TCP_USER_TIMEOUT, v));
	snprintf(match, sizeof(match), "@th,16,16 %u", self->port);
	drop(_metadata, match);
	t0 = clasp_now_ms();
	send_str(_metadata, self->cli, "lost");
	ASSERT_TRUE(poll1(self->cli, POLLERR, 10 * want) & POLLERR);
	took = clasp_now_ms() - t0;
	errno = 0;
	EXPECT_EQ(-1, recv(self->cli, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(ETIMEDOUT, errno);
	/* Without it: 5 retries, 6 s at least; TCP's 15, minutes. */
	EXPECT_LE(want * 4 / 5, took);
	EXPECT_GE(want * 3 + clasp_slow_time(TIMER_LATE_MS), took);
}

/*
 * TCP_USER_TIMEOUT also ends zero-window probing: the peer answers every
 * probe, but keeps its window closed (it never reads), and once that
 * lasted the user timeout since the first probe the connection fails, as
 * TCP's tcp_probe_timer() has it.  Answered probes alone would go on for
 * ever.
 */
TEST_F(ns, user_timeout_ends_window_probing)
{
	static char data[65536];
	int lis = sock_new(), cli, srv, small = 4096, big = 1 << 20;
	long long t0, took, want = clasp_slow_time(1000);
	struct ktcp_info ti;
	uint16_t port;

	ASSERT_LE(0, lis);
	ASSERT_EQ(0, setsockopt(lis, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	ASSERT_EQ(0, bind_lo(lis, 0));
	ASSERT_EQ(0, listen(lis, 4));
	port = local_port(lis);
	make_pair(_metadata, lis, port, &cli, &srv);
	ASSERT_EQ(0, setsockopt(cli, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)));
	ASSERT_EQ(0, opt_set(cli, TCP_USER_TIMEOUT, want));
	t0 = clasp_now_ms();
	ASSERT_EQ(sizeof(data), send(cli, data, sizeof(data), MSG_DONTWAIT));
	/* The window closed with data left to send, and nothing in flight. */
	ASSERT_TRUE(clasp_wait_until((ti_get(cli, &ti), !ti.unacked &&
				      ti.notsent_bytes), SOON_MS));
	ASSERT_TRUE(poll1(cli, POLLERR, 10 * want) & POLLERR) {
		ti_get(cli, &ti);
		TH_LOG("still probing after %lld ms: probes %u, backoff %u",
		       clasp_now_ms() - t0, ti.probes, ti.backoff);
	}
	took = clasp_now_ms() - t0;
	EXPECT_EQ(ETIMEDOUT, so_error(cli));
	/* From the first probe, at most an RTO or two after the start. */
	EXPECT_LE(want * 4 / 5, took);
	EXPECT_GE(want * 3 + clasp_slow_time(TIMER_LATE_MS), took);
	close(srv);
	close(cli);
}

/*
 * TCP_USER_TIMEOUT with keepalive: once a probe went unanswered, the
 * peer's silence ends the connection after the user timeout rather
 * than after TCP_KEEPCNT probes (9 here: 10 s).
 */
TEST_F(pair, user_timeout_ends_keepalive)
{
	int secs = clasp_slow(), one = 1;
	char match[64], data[100] = { 0 };
	long long t0, took;

	ASSERT_EQ(0, setsockopt(self->cli, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	ASSERT_EQ(0, opt_set(self->cli, TCP_KEEPIDLE, secs));
	ASSERT_EQ(0, opt_set(self->cli, TCP_KEEPINTVL, secs));
	ASSERT_EQ(0, opt_set(self->cli, TCP_KEEPCNT, 9));
	ASSERT_EQ(0, opt_set(self->cli, TCP_USER_TIMEOUT, 2500 * secs));
	/* Lose cli's segments without data (ACKs, probes), not its data. */
	snprintf(match, sizeof(match), "@th,16,16 %u ip length < 100",
		 self->port);
	drop(_metadata, match);
	/* The peer's last word: its ACK of this; silence from now on. */
	ASSERT_EQ(sizeof(data), send(self->cli, data, sizeof(data), 0));
	read_exact(_metadata, self->srv, data, sizeof(data));
	t0 = clasp_now_ms();
	ASSERT_TRUE(poll1(self->cli, POLLERR, 12000 * secs) & POLLERR);
	took = clasp_now_ms() - t0;
	EXPECT_EQ(ETIMEDOUT, so_error(self->cli));
	/* Probes at 1 s and 2 s; at 3 s the silence passed 2.5 s. */
	EXPECT_TIMER(3000 * secs, took);
}

/* TCP_SYNCNT: a socket's own SYN retries. */
TEST_F(ns, syncnt_gives_up_sooner)
{
	long long t0, took, first = clasp_is_tcp() ? 1000 : RTO_INITIAL_MS;
	int fd = sock_new(), lis = sock_new(), flags;
	uint16_t port;
	char match[64];

	ASSERT_LE(0, fd);
	ASSERT_LE(0, lis);
	ASSERT_EQ(0, bind_lo(lis, 0));
	ASSERT_EQ(0, listen(lis, 4));
	port = local_port(lis);
	snprintf(match, sizeof(match), "@th,16,16 %u", port);
	drop(_metadata, match);
	ASSERT_EQ(0, opt_set(fd, TCP_SYNCNT, 1));
	flags = fcntl(fd, F_GETFL);
	ASSERT_EQ(0, fcntl(fd, F_SETFL, flags | O_NONBLOCK));
	t0 = clasp_now_ms();
	errno = 0;
	EXPECT_EQ(-1, connect_lo(fd, port));
	EXPECT_EQ(EINPROGRESS, errno);
	ASSERT_TRUE(poll1(fd, POLLOUT, 20 * clasp_slow_time(first)) & POLLOUT);
	took = clasp_now_ms() - t0;
	EXPECT_EQ(ETIMEDOUT, so_error(fd));
	/* One retry: the first timeout and a doubled one; 3 would take 15. */
	EXPECT_TIMER(clasp_slow_time(first * 3), took);
}

/* TCP_DEFER_ACCEPT: no connection to accept until data arrives. */
TEST_F(ns, defer_accept_waits_for_data)
{
	int lis = sock_new(), cli = sock_new(), srv;
	uint16_t port;
	char c;

	ASSERT_LE(0, lis);
	ASSERT_LE(0, cli);
	ASSERT_EQ(0, opt_set(lis, TCP_DEFER_ACCEPT, 5));
	ASSERT_EQ(0, bind_lo(lis, 0));
	ASSERT_EQ(0, listen(lis, 4));
	port = local_port(lis);
	ASSERT_EQ(0, connect_lo(cli, port));
	EXPECT_FALSE(poll1(lis, POLLIN, clasp_slow_time(300)) & POLLIN);
	send_str(_metadata, cli, "x");
	srv = accept_wait(_metadata, lis);
	ASSERT_EQ(1, recv(srv, &c, 1, 0));
	EXPECT_EQ('x', c);
}

/*
 * TCP_DEFER_ACCEPT does not hold a handshake that a SYN cookie completes
 * (syncookies=2: always): nothing was kept to hold it in, and TCP's
 * cookie_v4_check() makes the connection from the bare ACK, without the
 * check tcp_check_req() makes for a request.  Dropping that ACK instead
 * would leave a client that believes itself connected with a connection
 * that only data sent within two cookie periods could still make.
 */
TEST(defer_accept_cookie_handshake)
{
	static const struct param over[] = { { "syncookies", 2 }, { NULL, 0 } };
	int lis, cli, srv;
	uint16_t port;
	short rev;
	char c;

	fresh_netns(_metadata, over);
	if (clasp_is_tcp())
		ASSERT_EQ(0, clasp_sysctl("net/ipv4/tcp_syncookies", 2));
	lis = sock_new();
	cli = sock_new();
	ASSERT_LE(0, lis);
	ASSERT_LE(0, cli);
	ASSERT_EQ(0, opt_set(lis, TCP_DEFER_ACCEPT, 5));
	ASSERT_EQ(0, bind_lo(lis, 0));
	ASSERT_EQ(0, listen(lis, 4));
	port = local_port(lis);
	ASSERT_EQ(0, connect_lo(cli, port));
	rev = poll1(lis, POLLIN, WAIT_MS);
	EXPECT_TRUE(rev & POLLIN) TH_LOG("held, as a request would be");
	send_str(_metadata, cli, "x");
	srv = accept_wait(_metadata, lis);
	ASSERT_EQ(1, recv(srv, &c, 1, 0));
	EXPECT_EQ('x', c);
}

/*
 * Whether a connection on local port @port is in FIN_WAIT_2 (an orphan's
 * compact entry for clasp, TCP's timewait socket): 1, 0, or -1.
 */
static int fin_wait2_on(uint16_t port)
{
	char line[512];
	int found = 0;
	FILE *f;

	if (clasp_is_tcp()) {
		unsigned int lp, st;

		f = fopen("/proc/net/tcp", "r");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, " %*d: %*x:%x %*x:%*x %x", &lp, &st) == 2 &&
			    lp == port && st == TCP_FIN_WAIT2)
				found = 1;
		fclose(f);
		return found;
	}
	snprintf(line, sizeof(line), "%s -j conns state fin-wait-2 sport %u",
		 claspctl_path(), port);
	f = popen(line, "r");
	if (!f)
		return -1;
	snprintf(line, 32, "\"local_port\":%u,", port);
	while (!found && fgets(line + 32, sizeof(line) - 32, f))
		found = !!strstr(line + 32, line);
	return pclose(f) ? -1 : found;
}

/*
 * TCP_LINGER2: how long an orphan waits in FIN_WAIT_2 for the peer's FIN;
 * -1: not at all.  The namespace's own time is long, so only the option
 * can end the wait early.
 */
TEST(linger2_fin_wait2)
{
	static const struct param over[] = {
		{ "fin_timeout_ms", 3600000 }, { NULL, 0 }
	};
	/* Long enough to be seen in FIN_WAIT_2 on a loaded host first. */
	int lis, cli[3], srv[3], i, secs = 5 * clasp_slow();
	uint16_t port, cport[3];
	char c;

	fresh_netns(_metadata, over);
	lis = listener(_metadata, &port);
	for (i = 0; i < 3; i++) {
		make_pair(_metadata, lis, port, &cli[i], &srv[i]);
		cport[i] = local_port(cli[i]);
	}
	ASSERT_EQ(0, opt_set(cli[1], TCP_LINGER2, secs));
	ASSERT_EQ(0, opt_set(cli[2], TCP_LINGER2, -1));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, close(cli[i]));
		ASSERT_TRUE(poll1(srv[i], POLLIN, WAIT_MS) & POLLIN);
		ASSERT_EQ(0, recv(srv[i], &c, 1, 0));	/* the FIN */
	}
	EXPECT_TRUE(clasp_wait_until(fin_wait2_on(cport[1]) == 1, SOON_MS));
	EXPECT_TRUE(clasp_wait_until(fin_wait2_on(cport[0]) == 1, SOON_MS));
	/* -1: the orphan is gone once its FIN is acknowledged. */
	EXPECT_EQ(0, fin_wait2_on(cport[2]));
	/* After its time, and not the others. */
	EXPECT_TRUE(clasp_wait_until(fin_wait2_on(cport[1]) == 0, 2000 * secs));
	EXPECT_EQ(1, fin_wait2_on(cport[0]));
}

/*
 * TCP_LINGER2 never makes FIN_WAIT_2 shorter than 3.5 RTO (TCP's
 * tcp_fin_time()): with an RTO of a second, an orphan asked to linger
 * 1 s stays 3.5 s.  The RTO comes from rto_min_ms, for TCP from the
 * route's rto_min.
 */
TEST(linger2_at_least_3_5_rto)
{
	static const struct param over[] = {
		{ "fin_timeout_ms", 3600000 }, { "rto_min_ms", 1000 },
		{ NULL, 0 }
	};
	long long rto_ms, t0, took, before, seen = 0;
	int lis, cli, srv, on;
	uint16_t port, cport;
	struct ktcp_info ti;
	char c;

	fresh_netns(_metadata, over);
	if (clasp_is_tcp())
		ASSERT_EQ(0, clasp_sh("ip route replace table local local 127.0.0.1 "
				      "dev lo proto kernel scope host src 127.0.0.1 "
				      "rto_min %lldms", clasp_slow_time(1000)));
	lis = listener(_metadata, &port);
	make_pair(_metadata, lis, port, &cli, &srv);
	cport = local_port(cli);
	/* One exchange, so that the RTO rests on a measured RTT. */
	send_str(_metadata, cli, "x");
	expect_str(_metadata, srv, "x");
	ASSERT_LT(0, ti_get(cli, &ti));
	rto_ms = ti.rto / 1000;
	ASSERT_LE(clasp_slow_time(1000), rto_ms);
	ASSERT_EQ(0, opt_set(cli, TCP_LINGER2, 1));

	t0 = clasp_now_ms();
	ASSERT_EQ(0, close(cli));
	ASSERT_TRUE(poll1(srv, POLLIN, WAIT_MS) & POLLIN);
	ASSERT_EQ(0, recv(srv, &c, 1, 0));	/* the FIN */
	ASSERT_TRUE(clasp_wait_until(fin_wait2_on(cport) == 1, SOON_MS));
	/*
	 * Look until it is gone.  A look (claspctl, or /proc) can take long
	 * on a loaded host: when it was last seen bounds its end from below,
	 * when it was first missed from above.
	 */
	do {
		before = clasp_now_ms();
		on = fin_wait2_on(cport);
		if (on == 1)
			seen = before - t0;
		if (on)
			clasp_sleep_ms(20);
	} while (on && clasp_now_ms() - t0 < 10 * rto_ms);
	took = clasp_now_ms() - t0;
	ASSERT_EQ(0, on);
	/* Past the second asked for, and gone after 3.5 RTO. */
	EXPECT_LE(1000 + clasp_slow_time(500), seen);
	EXPECT_TIMER(rto_ms * 7 / 2, took);
	close(srv);
	close(lis);
}

CLASP_HARNESS_MAIN
