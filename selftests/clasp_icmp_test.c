// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP errors about the module's segments, as TCP treats them
 * (tcp_v4_err(), RFC 1122 4.2.3.9, RFC 1191, RFC 5927): the fake peer of
 * clasp_pkt_env.h answers a segment with an ICMP message quoting it.
 *
 * - In SYN_SENT an error fails connect() at once with TCP's errno.
 * - In a synchronized state it is a soft error: SO_ERROR reports it, and
 *   the connection fails with it when its retries run out.
 * - Fragmentation needed lowers the path MTU and the MSS, and the flight
 *   goes out again at once in segments that fit.
 * - A half-open request dies of host unreachable about its SYN-ACK.
 * - An error that quotes a sequence number outside the flight changes
 *   nothing (a forgery, or a stale one).
 *
 * CLASP_PROTO=6 plays the same against kernel TCP.
 */
#include <netinet/ip_icmp.h>

#include "clasp_pkt_env.h"

/* One kind of ICMP error, and the errno connect() fails with. */
FIXTURE_VARIANT(hard) {
	int type, code, err;
};

FIXTURE(hard) {
	struct env e;
};

FIXTURE_VARIANT_ADD(hard, net_unreachable) {
	.type = ICMP_DEST_UNREACH, .code = ICMP_NET_UNREACH, .err = ENETUNREACH,
};

FIXTURE_VARIANT_ADD(hard, host_unreachable) {
	.type = ICMP_DEST_UNREACH, .code = ICMP_HOST_UNREACH, .err = EHOSTUNREACH,
};

/* A host without the module answers this. */
FIXTURE_VARIANT_ADD(hard, protocol_unreachable) {
	.type = ICMP_DEST_UNREACH, .code = ICMP_PROT_UNREACH, .err = ENOPROTOOPT,
};

FIXTURE_VARIANT_ADD(hard, port_unreachable) {
	.type = ICMP_DEST_UNREACH, .code = ICMP_PORT_UNREACH, .err = ECONNREFUSED,
};

FIXTURE_VARIANT_ADD(hard, admin_prohibited) {
	.type = ICMP_DEST_UNREACH, .code = ICMP_PKT_FILTERED, .err = EHOSTUNREACH,
};

FIXTURE_VARIANT_ADD(hard, time_exceeded) {
	.type = ICMP_TIME_EXCEEDED, .code = ICMP_EXC_TTL, .err = EHOSTUNREACH,
};

FIXTURE_VARIANT_ADD(hard, parameter_problem) {
	.type = ICMP_PARAMETERPROB, .code = 0, .err = EPROTO,
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
	ASSERT_EQ(0, clasp_pkt_icmp(p, variant->type, variant->code, 0, 0));
	ASSERT_EQ(0, clasp_call_wait(&c, GUARD_MS)) TH_LOG("connect hangs");
	EXPECT_EQ(-1, c.ret);
	EXPECT_EQ(variant->err, c.err) TH_LOG("connect: %s", strerror(c.err));
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
	ASSERT_EQ(0, clasp_pkt_icmp(p, variant->type, variant->code, 0, 1));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
	EXPECT_EQ(variant->err, err) TH_LOG("SO_ERROR: %s", strerror(err));
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
	ASSERT_EQ(0, clasp_pkt_icmp(p, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, 1));
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
	ASSERT_EQ(0, clasp_pkt_icmp(p, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, 1000));
	ASSERT_EQ(0, clasp_pkt_icmp(p, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0, -1));
	ASSERT_EQ(0, clasp_pkt_icmp(p, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 600, 5));
	EXPECT_EQ(oow + 3, clasp_counter("OutOfWindowIcmps"));
	EXPECT_FALSE(clasp_call_done(&c));
	/* The SYN goes on, and the handshake completes. */
	ASSERT_EQ(0, clasp_pkt_expect(p, SYN_RTO_MS, "S 0:0(0) <mss %u>", ROUTE_MSS));
	ASSERT_EQ(0, clasp_pkt_inject(p, "S. 0:0(0) ack 1 <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_call_wait(&c, GUARD_MS)) TH_LOG("connect hangs");
	EXPECT_EQ(0, c.ret) TH_LOG("connect: %s", strerror(c.err));
	/* In ESTABLISHED too: nothing in flight, nothing believed. */
	ASSERT_EQ(0, clasp_pkt_icmp(p, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, 1));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(fd));
	EXPECT_EQ(0, clasp_pkt_expect_none(p, -1));
	close(fd);
}

/*
 * The module's data from @from (relative) up to @to, in segments of at
 * most @mss bytes, in order and at once.
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
		ASSERT_GE(mss, got.len) TH_LOG("a segment of %zu bytes", got.len);
		ASSERT_LT(0, got.len);
		from += got.len;
	}
}

/*
 * Fragmentation needed (RFC 1191): the route's path MTU drops to 1000,
 * the MSS to 960, and the segment that was too big goes again at once
 * in pieces that fit; later data is cut to the new MSS.
 */
TEST(frag_needed_shrinks_segments_and_resends)
{
	static const char data[2000];
	long long updates = clasp_counter("PmtuUpdates");
	int mtu = 0, fd;
	socklen_t len = sizeof(mtu);
	struct env e;
	struct clasp_pkt *p = &e.p;

	fd = env_established(_metadata, &e, NULL);
	ASSERT_EQ(PEER_MSS, send(fd, data, PEER_MSS, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:1201(1200) ack 1"));
	ASSERT_EQ(0, clasp_pkt_icmp(p, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 1000, 1));
	expect_data(_metadata, p, 1, 1201, 960);
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &len));
	EXPECT_EQ(1000, mtu);
	if (clasp_only_check("PmtuUpdates: TCP has no counter of path MTU updates"))
		EXPECT_EQ(updates + 1, clasp_counter("PmtuUpdates"));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1201"));
	ASSERT_EQ(sizeof(data), send(fd, data, sizeof(data), 0));
	expect_data(_metadata, p, 1201, 3201, 960);
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 3201"));
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

	fd = env_established(_metadata, &e, NULL);
	ASSERT_EQ(0, setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &dont, sizeof(dont)));
	ASSERT_EQ(PEER_MSS, send(fd, data, PEER_MSS, 0));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. 1:1201(1200) ack 1"));
	iph = (const struct iphdr *)p->rx;
	EXPECT_EQ(0, ntohs(iph->frag_off) & IP_DF) TH_LOG("DF set");
	ASSERT_EQ(0, clasp_pkt_icmp(p, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 1000, 1));
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

/* A request dies of host unreachable about its SYN-ACK (tcp_req_err()). */
TEST(request_dropped_on_host_unreachable)
{
	long long drops = clasp_counter("ListenDrops");
	struct env e;
	struct clasp_pkt *p = &e.p;

	env_setup(_metadata, &e, synack_timers);
	listen_on(_metadata, &e, LISTEN_PORT);
	clasp_pkt_conn(p, LISTEN_PORT, PEER_PORT);
	ASSERT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) <mss %u>", PEER_MSS));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 <mss %u>", ROUTE_MSS));
	/* Quoting another sequence number: ignored. */
	ASSERT_EQ(0, clasp_pkt_icmp(p, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, 1));
	expect_state(_metadata, &e, TCP_SYN_RECV);
	ASSERT_EQ(0, clasp_pkt_icmp(p, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, 0));
	expect_state(_metadata, &e, 0);
	EXPECT_EQ(drops + 1, clasp_counter("ListenDrops"));
	/* No SYN-ACK again, and the late ACK finds no request. */
	EXPECT_EQ(0, clasp_pkt_expect_none(p, SYN_RTO_MS + SYN_RTO_MS / 2));
	ASSERT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1"));
	ASSERT_EQ(0, clasp_pkt_expect(p, 0, "R 1:1(0)"));
	expect_no_child(_metadata, e.lfd);
}

CLASP_HARNESS_MAIN
