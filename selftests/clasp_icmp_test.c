// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP errors about the module's segments, as TCP treats them
 * (tcp_v4_err(), RFC 1122 4.2.3.9, RFC 1191, RFC 5927): the fake peer of
 * clasp_pkt_env.h answers a segment with an ICMP message quoting it.
 * clasp_icmp6_test runs the same over IPv6 (tcp_v6_err(), RFC 4443, RFC
 * 8201): the cases name errors by meaning (enum clasp_icmp_kind), and
 * expect each family's errno where TCP's differ (icmpv6_err_convert()).
 *
 * - In SYN_SENT an error fails connect() at once with TCP's errno.
 * - In a synchronized state it is a soft error: SO_ERROR reports it, and
 *   the connection fails with it when its retries run out.
 * - Fragmentation needed (packet too big) lowers the path MTU and the
 *   MSS, and the flight goes out again at once in segments that fit.
 *   Another connection to the same peer sizes its next segments for the
 *   route's new MTU.
 *   Over IPv6 a packet too big below 1280 changes nothing; over IPv4 one
 *   below the route's minimum sets the minimum, as TCP.
 * - A half-open request dies of the errors TCP's does about its SYN-ACK
 *   (host unreachable over IPv4, port unreachable over IPv6).
 * - An error that quotes a sequence number outside the flight changes
 *   nothing (a forgery, or a stale one).
 *
 * CLASP_PROTO=6 plays the same against kernel TCP.
 */
#include "clasp_datapath.h"

/*
 * One kind of ICMP error, and the errno connect() fails with: IPv4's
 * (icmp_err_convert[]), IPv6's (icmpv6_err_convert()).
 */
FIXTURE_VARIANT(hard) {
	enum clasp_icmp_kind kind;
	int err4, err6;
};

#define VARIANT_ERR(v)	(clasp_v6() ? (v)->err6 : (v)->err4)

FIXTURE(hard) {
	struct env e;
};

FIXTURE_VARIANT_ADD(hard, net_unreachable) {
	.kind = CLASP_ICMP_NET_UNREACH, .err4 = ENETUNREACH, .err6 = ENETUNREACH,
};

FIXTURE_VARIANT_ADD(hard, host_unreachable) {
	.kind = CLASP_ICMP_HOST_UNREACH, .err4 = EHOSTUNREACH, .err6 = EHOSTUNREACH,
};

/* A host without the module answers this (IPv6: unrecognized next header). */
FIXTURE_VARIANT_ADD(hard, protocol_unreachable) {
	.kind = CLASP_ICMP_PROT_UNREACH, .err4 = ENOPROTOOPT, .err6 = EPROTO,
};

FIXTURE_VARIANT_ADD(hard, port_unreachable) {
	.kind = CLASP_ICMP_PORT_UNREACH, .err4 = ECONNREFUSED, .err6 = ECONNREFUSED,
};

FIXTURE_VARIANT_ADD(hard, admin_prohibited) {
	.kind = CLASP_ICMP_ADMIN_PROHIBITED, .err4 = EHOSTUNREACH, .err6 = EACCES,
};

FIXTURE_VARIANT_ADD(hard, time_exceeded) {
	.kind = CLASP_ICMP_TIME_EXCEEDED, .err4 = EHOSTUNREACH, .err6 = EHOSTUNREACH,
};

FIXTURE_VARIANT_ADD(hard, parameter_problem) {
	.kind = CLASP_ICMP_PARAM_PROBLEM, .err4 = EPROTO, .err6 = EPROTO,
};

FIXTURE_SETUP(hard)
{
	env_setup(_metadata, &self->e, syn_timers);
}

FIXTURE_TEARDOWN(hard)
{
}

/* connect() fails at once, and the SYN is not sent again. */
TEST_F(hard, syn_sent_fails_at_once)
{
	struct clasp_pkt *p = &self->e.p;
	long long hard = clasp_counter("IcmpHardErrors");
	struct clasp_call c;
	int fd = bound_socket(_metadata, CLASP_PKT_LOCAL, ACTIVE_PORT);

	ASSERT_LE(0, fd);
	active_syn(_metadata, &self->e, fd, ACTIVE_PORT, &c);
	/* Not while connect() holds the socket: the error would be soft. */
	ASSERT_EQ(0, clasp_call_sleeping(&c, GUARD_MS)) TH_LOG("connect does not wait");
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, variant->kind, 0, 0));
	ASSERT_EQ(0, clasp_call_wait(&c, GUARD_MS)) TH_LOG("connect hangs");
	EXPECT_EQ(-1, c.ret);
	EXPECT_EQ(VARIANT_ERR(variant), c.err) TH_LOG("connect: %s", strerror(c.err));
	/* Well before the SYN's first retransmission. */
	EXPECT_GT(SYN_RTO_MS / 2, (c.done_us - p->sent_us) / 1000);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	EXPECT_EQ(TCP_CLOSE, clasp_state(fd));
	if (clasp_only_check("IcmpHardErrors: TCP has no counter of connections ICMP failed"))
		EXPECT_EQ(hard + 1, clasp_counter("IcmpHardErrors"));
	close(fd);
}

/*
 * In ESTABLISHED the same error is soft: the connection goes on, SO_ERROR
 * reports the error once, and the retransmissions go on.
 */
TEST_F(hard, established_keeps_it_soft)
{
	static const char data[100];
	struct clasp_pkt *p = &self->e.p;
	socklen_t len = sizeof(int);
	int fd, err = 0;

	listen_on(_metadata, &self->e, LISTEN_PORT);
	fd = passive_open(_metadata, &self->e, PEER_PORT);
	ASSERT_EQ(100, send(fd, data, sizeof(data), 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:101(100) ack 1"));
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, variant->kind, 0, 1));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(VARIANT_ERR(variant), err) TH_LOG("SO_ERROR: %s", strerror(err));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(0, err) TH_LOG("SO_ERROR read twice: %s", strerror(err));
	/* The connection carries on. */
	ASSERT_EQ(0, clasp_pkt_inject(p, "P. 1:6(5) ack 101"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 101:101(0) ack 6"));
	EXPECT_EQ(5, recv(fd, (char[8]){ 0 }, 8, 0));
	close(fd);
}

/* What a connection whose data is never acknowledged fails with. */
TEST(timeout_reports_the_soft_error)
{
	static const char data[100];
	struct clasp_call rd;
	struct env e;
	struct clasp_pkt *p = &e.p;
	char buf[8];
	int fd;

	fd = env_established(_metadata, &e, data_timers);
	ASSERT_EQ(0, clasp_call_recv(&rd, fd, buf, sizeof(buf)));
	ASSERT_EQ(100, send(fd, data, sizeof(data), 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:101(100) ack 1"));
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, CLASP_ICMP_PORT_UNREACH, 0, 1));
	/* retries = 2: the data twice more, then the connection fails. */
	ASSERT_EQ(0, clasp_pkt_expect(p, RTO_MS, "P. 1:101(100) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 2 * RTO_MS, "P. 1:101(100) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&rd, GUARD_MS)) TH_LOG("recv hangs");
	EXPECT_EQ(-1, rd.ret);
	EXPECT_EQ(ECONNREFUSED, rd.err) TH_LOG("recv: %s", strerror(rd.err));
	close(fd);
}

/*
 * An error quoting a sequence number outside SND.UNA .. SND.NXT is
 * ignored (RFC 5927 4.1), whatever it says.
 */
TEST(forged_error_outside_the_flight_ignored)
{
	long long oow = clasp_counter("OutOfWindowIcmps");
	struct clasp_call c;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = env_connecting(_metadata, &e, syn_timers, &c);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, CLASP_ICMP_PORT_UNREACH, 0, 1000));
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, CLASP_ICMP_PROT_UNREACH, 0, -1));
	/* A path MTU the family would take, were it in the flight. */
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, CLASP_ICMP_TOO_BIG,
					clasp_v6() ? 1280 : 600, 5));
	EXPECT_EQ(oow + 3, clasp_counter("OutOfWindowIcmps"));
	EXPECT_FALSE(clasp_call_done(&c));
	/* The SYN goes on, and the handshake completes. */
	ASSERT_EQ(0, clasp_pkt_expect(p, SYN_RTO_MS, "S 0:0(0) <mss %u>", ROUTE_MSS));
	ASSERT_EQ(0, clasp_pkt_inject(p, "S. 0:0(0) ack 1 <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&c, GUARD_MS)) TH_LOG("connect hangs");
	EXPECT_EQ(0, c.ret) TH_LOG("connect: %s", strerror(c.err));
	/* In ESTABLISHED too: nothing in flight, nothing believed. */
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, CLASP_ICMP_PORT_UNREACH, 0, 1));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	close(fd);
}

/*
 * The module's data from @from (relative) up to @to, in segments of
 * @mss bytes but the last, in order and at once.
 */
static void expect_data(struct __test_metadata *_metadata,
			struct clasp_pkt *p, uint32_t from, uint32_t to,
			uint32_t mss)
{
	struct clasp_seg got;

	while (from != to) {
		ASSERT_EQ(1, clasp_pkt_recv(p, &got, p->quiet_ms + 200)) {
			TH_LOG("no segment at %u (up to %u)", from, to);
		}
		ASSERT_EQ(from, got.seq - p->local_isn);
		ASSERT_EQ(to - from < mss ? to - from : mss, got.len) {
			TH_LOG("a segment of %zu bytes at %u (MSS %u, up to %u)",
			       got.len, from, mss, to);
		}
		from += got.len;
	}
}

/*
 * The module's data from @from (relative) up to @to, in segments of at
 * most @mss bytes, in any order, within @ms; the peer acknowledges each
 * segment that extends what it holds in order.
 */
static void expect_covered(struct __test_metadata *_metadata,
			   struct clasp_pkt *p, uint32_t from, uint32_t to,
			   uint32_t mss, int ms)
{
	long long end = clasp_now_ms() + ms;
	uint32_t left = to - from, acked = 0, i, off;
	bool have[4096] = { false };
	struct clasp_seg got;

	ASSERT_GE(sizeof(have), left);
	while (left) {
		ASSERT_EQ(1, clasp_pkt_recv(p, &got, end - clasp_now_ms())) {
			TH_LOG("%u bytes of %u to %u missing", left, from, to);
		}
		ASSERT_GE(mss, got.len) TH_LOG("a segment of %zu bytes", got.len);
		off = got.seq - p->local_isn - from;
		for (i = 0; i < got.len; i++) {
			ASSERT_GT(to - from, off + i) TH_LOG("data past %u", to);
			left -= !have[off + i];
			have[off + i] = true;
		}
		if (!have[acked])
			continue;
		while (acked < to - from && have[acked])
			acked++;
		ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %u", from + acked));
	}
}

/* The path MTU the socket knows (IP_MTU, IPV6_MTU), -1 on error. */
static int path_mtu(int fd)
{
	int mtu = 0;
	socklen_t len = sizeof(mtu);

	if (clasp_v6() ? getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &len) :
			 getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &len))
		return -1;
	return mtu;
}

/*
 * A connection the peer opens from @peer_port to the listener, announcing
 * the route's MSS: full segments.
 */
static int accept_full_size(struct __test_metadata *_metadata, struct env *e,
			    uint16_t peer_port)
{
	struct clasp_pkt *p = &e->p;
	struct clasp_call acc;

	clasp_pkt_conn(p, LISTEN_PORT, peer_port);
	ASSERT_EQ(0, clasp_call_accept(&acc, e->lfd));
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", ROUTE_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&acc, GUARD_MS)) TH_LOG("accept hangs");
	ASSERT_LE(0, acc.ret) TH_LOG("accept: %s", strerror(acc.err));
	return acc.ret;
}

/* A fresh namespace, a listener, and one such connection. */
static int env_full_size(struct __test_metadata *_metadata, struct env *e)
{
	env_setup(_metadata, e, NULL);
	listen_on(_metadata, e, LISTEN_PORT);
	return accept_full_size(_metadata, e, PEER_PORT);
}

/* The MSS of a path MTU, with no options: the family's headers less. */
#define MTU_MSS(mtu)	((mtu) - CLASP_PKT_IPHLEN - 20)

/*
 * Fragmentation needed (RFC 1191), packet too big over IPv6 (RFC 8201):
 * the route's path MTU drops to 1000 (IPv6: its minimum, 1280), the MSS
 * to 960 (1220), and the segment that was too big goes again at once in
 * pieces that fit; later data is cut to the new MSS.
 */
TEST(too_big_shrinks_segments_and_resends)
{
	static const char data[3000];
	long long updates = clasp_counter("PmtuUpdates");
	int mtu = clasp_v6() ? 1280 : 1000, mss = MTU_MSS(mtu), fd;
	uint32_t full = ROUTE_MSS;
	struct env e;
	struct clasp_pkt *p = &e.p;

	fd = env_full_size(_metadata, &e);
	ASSERT_EQ(full, send(fd, data, full, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:%u(%u) ack 1", 1 + full, full));
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, CLASP_ICMP_TOO_BIG, mtu, 1));
	expect_data(_metadata, p, 1, 1 + full, mss);
	EXPECT_EQ(mtu, path_mtu(fd));
	if (clasp_only_check("PmtuUpdates: TCP has no counter of path MTU updates"))
		EXPECT_EQ(updates + 1, clasp_counter("PmtuUpdates"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %u", 1 + full));
	ASSERT_EQ(sizeof(data), send(fd, data, sizeof(data), 0));
	expect_data(_metadata, p, 1 + full, 1 + full + sizeof(data), mss);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %zu", 1 + full + sizeof(data)));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	close(fd);
}

/*
 * 67: writes of several segments leave as one buffer each and stay whole
 * in flight.  After a timeout (cwnd 1), a too-big error rewinds the
 * flight and the first piece at the new MSS goes; an ACK then covers
 * what is left of the first buffers, the next one to send among them,
 * and ends inside the second buffer, whose acknowledged part is trimmed
 * off before the rest goes again at the new MSS (a freed send head read
 * there shows under KASAN, make check-debug).
 */
TEST(too_big_then_an_ack_inside_a_rewound_buffer)
{
	static const char data[6 * 1460];
	int mtu = clasp_v6() ? 1280 : 1000, mss = MTU_MSS(mtu), fd;
	uint32_t full = ROUTE_MSS;
	struct tcp_info ti;
	struct clasp_seg got;
	struct env e;
	struct clasp_pkt *p = &e.p;

	fd = env_full_size(_metadata, &e);
	ASSERT_EQ(2 * full, send(fd, data, 2 * full, 0));
	expect_data(_metadata, p, 1, 1 + 2 * full, full);
	ASSERT_EQ(4 * full, send(fd, data, 4 * full, 0));
	expect_data(_metadata, p, 1 + 2 * full, 1 + 6 * full, full);
	/* The timeout sends the first segment again. */
	ASSERT_EQ(1, clasp_pkt_recv(p, &got, 4 * CALM_RTO_MS));
	ASSERT_EQ(1, got.seq - p->local_isn);
	ASSERT_EQ(full, got.len);
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, CLASP_ICMP_TOO_BIG, mtu, 1));
	ASSERT_EQ(1, clasp_pkt_recv(p, &got, GUARD_MS));
	ASSERT_EQ(1, got.seq - p->local_isn);
	ASSERT_EQ(mss, got.len);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %u", 1 + 5 * full));
	expect_covered(_metadata, p, 1 + 5 * full, 1 + 6 * full, mss, GUARD_MS);
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	get_tcp_info(_metadata, fd, &ti);
	EXPECT_EQ(0, (int)ti.tcpi_unacked);
	close(fd);
}

/*
 * The path MTU is the route's: one connection's error lowers it for every
 * connection to that peer, and another one, told nothing, sizes its
 * segments for it (tcp_current_mss()) rather than sending, for ever,
 * segments the route refuses (IPv6 never fragments them) or that DF
 * stops.  clasp looks at the route before it sends: its data goes at
 * once, in order.  TCP looks at the route it last used: segments it
 * writes at the old size are refused once, which renews its route, and
 * go again at their retransmission timeout, cut to the new size.
 */
TEST(too_big_for_one_connection_resizes_another)
{
	static const char data[3000];
	int mtu = clasp_v6() ? 1280 : 1000, mss = MTU_MSS(mtu), fa, fb;
	uint32_t full = ROUTE_MSS;
	struct clasp_pkt_id a, b;
	struct env e;
	struct clasp_pkt *p = &e.p;

	fa = env_full_size(_metadata, &e);
	clasp_pkt_save(p, &a);
	fb = accept_full_size(_metadata, &e, PEER_PORT + 1);
	clasp_pkt_save(p, &b);

	clasp_pkt_play(p, &a);
	ASSERT_EQ(full, send(fa, data, full, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:%u(%u) ack 1", 1 + full, full));
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, CLASP_ICMP_TOO_BIG, mtu, 1));
	expect_data(_metadata, p, 1, 1 + full, mss);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %u", 1 + full));

	clasp_pkt_play(p, &b);
	clasp_pkt_note(p, "the other connection sends");
	ASSERT_EQ(sizeof(data), send(fb, data, sizeof(data), 0));
	if (clasp_is_tcp())
		expect_covered(_metadata, p, 1, 1 + sizeof(data), mss,
			       3 * CALM_RTO_MS);
	else
		expect_data(_metadata, p, 1, 1 + sizeof(data), mss);
	EXPECT_EQ(mtu, path_mtu(fb));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %zu", 1 + sizeof(data)));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	close(fa);
	close(fb);
}

/*
 * A path MTU below the family's floor.  IPv6: a packet too big below
 * 1280 is ignored (RFC 8201 section 4, tcp_v6_err()); nothing shrinks,
 * nothing goes again.  IPv4 has no such rule in TCP: the route takes the
 * floor instead (min_pmtu, 552: __ip_rt_update_pmtu()), locked, and the
 * segments cut to its MSS leave without DF (ip_dont_fragment()).  Outside
 * the flight, either is ignored as any other error.
 */
#define MIN_PMTU4	552	/* net.ipv4.route.min_pmtu's default */

TEST(too_big_below_the_minimum)
{
	static const char data[3000];
	long long oow = clasp_counter("OutOfWindowIcmps");
	long long updates = clasp_counter("PmtuUpdates");
	int tiny = clasp_v6() ? 1000 : 500;
	uint32_t full = ROUTE_MSS, mss = clasp_v6() ? full : MTU_MSS(MIN_PMTU4);
	const struct iphdr *iph;
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	fd = env_full_size(_metadata, &e);
	ASSERT_EQ(full, send(fd, data, full, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:%u(%u) ack 1", 1 + full, full));
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, CLASP_ICMP_TOO_BIG, tiny, 1 + full + 1000));
	EXPECT_EQ(oow + 1, clasp_counter("OutOfWindowIcmps"));
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, CLASP_ICMP_TOO_BIG, tiny, 1));
	EXPECT_EQ(oow + 1, clasp_counter("OutOfWindowIcmps"));
	if (clasp_v6()) {
		EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
		EXPECT_EQ(1500, path_mtu(fd));
		if (clasp_only_check("PmtuUpdates: TCP has no counter of path MTU updates"))
			EXPECT_EQ(updates, clasp_counter("PmtuUpdates"));
	} else {
		expect_data(_metadata, p, 1, 1 + full, mss);
		iph = (const struct iphdr *)p->rx;
		EXPECT_EQ(0, ntohs(iph->frag_off) & IP_DF) TH_LOG("DF set");
		EXPECT_EQ(MIN_PMTU4, path_mtu(fd));
		if (clasp_only_check("PmtuUpdates: TCP has no counter of path MTU updates"))
			EXPECT_EQ(updates + 1, clasp_counter("PmtuUpdates"));
	}
	/* Later data in segments of that MSS. */
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %u", 1 + full));
	ASSERT_EQ(sizeof(data), send(fd, data, sizeof(data), 0));
	expect_data(_metadata, p, 1 + full, 1 + full + sizeof(data), mss);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %zu", 1 + full + sizeof(data)));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	close(fd);
}

/*
 * IP_PMTUDISC_INTERFACE (IPV6_PMTUDISC_INTERFACE): the socket sends at
 * the interface's MTU and takes no path MTU from ICMP
 * (ip_sk_accept_pmtu(), ip6_sk_accept_pmtu()): a segment too big is
 * neither cut nor sent again at once, as with TCP, and over IPv6 later
 * segments keep the interface's MSS.  Over IPv4 the route learns the MTU
 * all the same (tcp_v4_mtu_reduced()), and later segments follow it
 * (tcp_current_mss()).
 */
TEST(pmtudisc_interface_ignores_too_big)
{
	static const char data[3000];
	int mode = clasp_v6() ? IPV6_PMTUDISC_INTERFACE : IP_PMTUDISC_INTERFACE;
	int mtu = clasp_v6() ? 1280 : 1000, fd;
	uint32_t full = ROUTE_MSS;
	struct env e;
	struct clasp_pkt *p = &e.p;

	fd = env_full_size(_metadata, &e);
	ASSERT_EQ(0, clasp_v6() ?
		  setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &mode, sizeof(mode)) :
		  setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &mode, sizeof(mode)));
	ASSERT_EQ(full, send(fd, data, full, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:%u(%u) ack 1", 1 + full, full));
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, CLASP_ICMP_TOO_BIG, mtu, 1));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %u", 1 + full));
	ASSERT_EQ(sizeof(data), send(fd, data, sizeof(data), 0));
	expect_data(_metadata, p, 1 + full, 1 + full + sizeof(data),
		    clasp_v6() ? full : MTU_MSS(mtu));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack %zu", 1 + full + sizeof(data)));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	close(fd);
}

/*
 * IP_MTU_DISCOVER = IP_PMTUDISC_DONT: segments leave without DF, and a
 * fragmentation-needed error shrinks nothing and resends nothing, as
 * with TCP (the route may still learn the smaller MTU).
 */
TEST(pmtudisc_dont_sends_without_df_and_keeps_its_mss)
{
	static const char data[PEER_MSS];
	long long updates = clasp_counter("PmtuUpdates");
	int dont = IP_PMTUDISC_DONT, fd;
	const struct iphdr *iph;
	struct env e;
	struct clasp_pkt *p = &e.p;

	if (clasp_v6())
		SKIP(return, "IPv4 only: IPv6 has no DF bit, routers never fragment (RFC 8200 section 5)");
	fd = env_established(_metadata, &e, NULL);
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &dont, sizeof(dont)));
	ASSERT_EQ(PEER_MSS, send(fd, data, PEER_MSS, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:1201(1200) ack 1"));
	iph = (const struct iphdr *)p->rx;
	EXPECT_EQ(0, ntohs(iph->frag_off) & IP_DF) TH_LOG("DF set");
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, CLASP_ICMP_TOO_BIG, 1000, 1));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	if (clasp_only_check("PmtuUpdates: TCP has no counter of path MTU updates"))
		EXPECT_EQ(updates, clasp_counter("PmtuUpdates"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1201"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	close(fd);
}

/*
 * A redirect (RFC 1122 3.2.2.2) from the gateway the route to the peer
 * goes through moves the route to the gateway it names; the connection
 * goes on.  The kernel checks the redirect itself (ip_do_redirect()): the
 * socket only hands it over, as TCP does.
 */
#define NEW_GATEWAY	"10.99.0.4"

static int redirected(void)
{
	return clasp_sh("ip route get %s | grep -q 'via %s'", CLASP_PKT_PEER2,
			NEW_GATEWAY);
}

TEST(redirect_moves_the_route)
{
	static const char data[100];
	long long redirects = clasp_counter("IcmpRedirects");
	struct env e;
	struct clasp_pkt *p = &e.p;
	int fd;

	if (clasp_v6())
		SKIP(return, "IPv4 only: IPv6's redirects are neighbour discovery's (RFC 4861 section 8), not ICMP errors");
	env_setup(_metadata, &e, NULL);
	ASSERT_EQ(0, clasp_sh("ip route replace %s/32 via %s dev claspt0",
			      CLASP_PKT_PEER2, CLASP_PKT_PEER));
	ASSERT_NE(0, redirected());
	inet_pton(AF_INET, CLASP_PKT_PEER2, &p->peer_addr);
	listen_on(_metadata, &e, LISTEN_PORT);
	fd = passive_open(_metadata, &e, PEER_PORT);
	ASSERT_EQ(100, send(fd, data, sizeof(data), 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:101(100) ack 1"));
	ASSERT_EQ(0, clasp_pkt_redirect(p, CLASP_PKT_PEER, NEW_GATEWAY, 1));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 101"));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	EXPECT_TRUE(clasp_wait_until(!redirected(), 2000)) {
		clasp_sh("ip route get %s >&2", CLASP_PKT_PEER2);
	}
	if (clasp_only_check("IcmpRedirects: TCP has no counter of redirects"))
		EXPECT_EQ(redirects + 1, clasp_counter("IcmpRedirects"));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
	close(fd);
}
/*
 * A request dies of the errors about its SYN-ACK that TCP's does
 * (tcp_req_err()): over IPv4 network and host unreachable and parameter
 * problems (tcp_v4_err()), over IPv6 the fatal ones of
 * icmpv6_err_convert(): port unreachable, administratively prohibited,
 * parameter problems, not address unreachable.  What does not kill it
 * leaves the handshake to complete.
 */
FIXTURE_VARIANT(req) {
	enum clasp_icmp_kind kind;
	bool kills4, kills6;
};

FIXTURE(req) {
	struct env e;
};

FIXTURE_VARIANT_ADD(req, host_unreachable) {
	.kind = CLASP_ICMP_HOST_UNREACH, .kills4 = true, .kills6 = false,
};

FIXTURE_VARIANT_ADD(req, port_unreachable) {
	.kind = CLASP_ICMP_PORT_UNREACH, .kills4 = false, .kills6 = true,
};

FIXTURE_SETUP(req)
{
	env_setup(_metadata, &self->e, synack_timers);
}

FIXTURE_TEARDOWN(req)
{
}

TEST_F(req, dropped_or_kept)
{
	long long drops = clasp_counter("ListenDrops");
	struct env *e = &self->e;
	struct clasp_pkt *p = &e->p;
	struct clasp_call acc;

	listen_on(_metadata, e, LISTEN_PORT);
	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT);
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
	/* Quoting another sequence number: ignored. */
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, variant->kind, 0, 1));
	expect_state(_metadata, e, TCP_SYN_RECV);
	ASSERT_EQ(0, clasp_pkt_icmp_err(p, variant->kind, 0, 0));
	if (!(clasp_v6() ? variant->kills6 : variant->kills4)) {
		/* Not fatal: the request lives, the handshake completes. */
		expect_state(_metadata, e, TCP_SYN_RECV);
		EXPECT_EQ(drops, clasp_counter("ListenDrops"));
		ASSERT_EQ(0, clasp_call_accept(&acc, e->lfd));
		ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
		ASSERT_EQ(0, clasp_call_wait(&acc, GUARD_MS)) TH_LOG("accept hangs");
		ASSERT_LE(0, acc.ret) TH_LOG("accept: %s", strerror(acc.err));
		EXPECT_EQ(TCP_ESTABLISHED, clasp_state(acc.ret));
		close(acc.ret);
		return;
	}
	expect_state(_metadata, e, 0);
	EXPECT_EQ(drops + 1, clasp_counter("ListenDrops"));
	/* No SYN-ACK again, and the late ACK finds no request. */
	EXPECT_EQ(0, clasp_pkt_expect_none(p, SYN_RTO_MS + SYN_RTO_MS / 2));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R 1:1(0)"));
	expect_no_child(_metadata, e->lfd);
}

CLASP_HARNESS_MAIN
