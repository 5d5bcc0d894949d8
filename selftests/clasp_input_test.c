// SPDX-License-Identifier: GPL-2.0
/*
 * The input path: segments to a closed port are answered with a reset as
 * RFC 9293 section 3.5.2 says, and malformed ones are dropped and counted.
 * A raw socket plays the peer over loopback, in a network namespace of
 * each test's own (so that the counters count that test alone).
 *
 * CLASP_PROTO=6 runs the same against kernel TCP, with TCP's counters
 * (clasp_counter()).  TCP counts in InErrs only the malformed segments it
 * gets far enough to parse (tcp_v4_rcv()): not a header cut short or a
 * data offset past the end, nor a SYN with RST to no socket, which it
 * just drops; those cases expect that of TCP.
 *
 * CLASP_SLOW=N scales the waits by N.
 */
#include "kselftest_harness.h"
#include "clasp_seg.h"

#define PEER_PORT	40000
#define CLOSED_PORT	9	/* nothing listens here */
#define WAIT_MS		((int)clasp_slow_time(1000))	/* for an answer */
#define QUIET_MS	((int)clasp_slow_time(300))	/* for none */

/* InErrs for a malformed segment that TCP drops uncounted: clasp's 1. */
#define TCP_UNCOUNTED	(clasp_is_tcp() ? 0 : 1)

FIXTURE(peer) {
	int raw;
	struct clasp_seg seg;
};

FIXTURE_SETUP(peer)
{
	ASSERT_EQ(0, clasp_new_netns()) TH_LOG("namespace: %s", strerror(errno));
	self->raw = clasp_raw_open("127.0.0.1");
	ASSERT_LE(0, self->raw);
	memset(&self->seg, 0, sizeof(self->seg));
	inet_pton(AF_INET, "127.0.0.1", &self->seg.saddr);
	self->seg.daddr = self->seg.saddr;
	self->seg.sport = PEER_PORT;
	self->seg.dport = CLOSED_PORT;
	self->seg.win = 65535;
}

FIXTURE_TEARDOWN(peer)
{
	close(self->raw);
}

static int exchange(struct __test_metadata *_metadata, int raw,
		    const struct clasp_seg *s, struct clasp_seg *reply, int ms)
{
	EXPECT_EQ(0, clasp_raw_send(raw, s));
	return clasp_raw_recv(raw, s->dport, s->sport, reply, ms);
}

TEST_F(peer, syn_to_closed_port_gets_rst_ack)
{
	struct clasp_seg r;
	long long rsts = clasp_counter("OutRsts");

	self->seg.flags = TH_SYN;
	self->seg.seq = 1000;
	ASSERT_EQ(1, exchange(_metadata, self->raw, &self->seg, &r, WAIT_MS));
	EXPECT_EQ(TH_RST | TH_ACK, r.flags);
	EXPECT_EQ(0, r.seq);
	EXPECT_EQ(1001, r.ack);
	EXPECT_EQ(0, r.len);
	EXPECT_EQ(rsts + 1, clasp_counter("OutRsts"));
}

TEST_F(peer, syn_with_data_acks_data_and_syn)
{
	struct clasp_seg r;
	char data[10] = "0123456789";

	self->seg.flags = TH_SYN;
	self->seg.seq = 0xfffffffe;	/* the ack wraps around */
	self->seg.data = data;
	self->seg.len = sizeof(data);
	ASSERT_EQ(1, exchange(_metadata, self->raw, &self->seg, &r, WAIT_MS));
	EXPECT_EQ(TH_RST | TH_ACK, r.flags);
	EXPECT_EQ(0xfffffffeu + 11, r.ack);
}

TEST_F(peer, fin_counts_in_sequence_space)
{
	struct clasp_seg r;

	self->seg.flags = TH_FIN;
	self->seg.seq = 500;
	ASSERT_EQ(1, exchange(_metadata, self->raw, &self->seg, &r, WAIT_MS));
	EXPECT_EQ(TH_RST | TH_ACK, r.flags);
	EXPECT_EQ(501, r.ack);
}

TEST_F(peer, ack_to_closed_port_gets_rst_seq_ack)
{
	struct clasp_seg r;

	self->seg.flags = TH_ACK;
	self->seg.seq = 5;
	self->seg.ack = 0xdeadbeef;
	ASSERT_EQ(1, exchange(_metadata, self->raw, &self->seg, &r, WAIT_MS));
	EXPECT_EQ(TH_RST, r.flags);
	EXPECT_EQ(0xdeadbeef, r.seq);
}

TEST_F(peer, rst_is_never_answered)
{
	struct clasp_seg r;

	self->seg.flags = TH_RST;
	self->seg.seq = 77;
	EXPECT_EQ(0, exchange(_metadata, self->raw, &self->seg, &r, QUIET_MS));
	self->seg.flags = TH_RST | TH_ACK;
	EXPECT_EQ(0, exchange(_metadata, self->raw, &self->seg, &r, QUIET_MS));
}

TEST_F(peer, bad_checksum_dropped_and_counted)
{
	struct clasp_seg r;
	long long csum = clasp_counter("InCsumErrors");
	long long errs = clasp_counter("InErrs");

	self->seg.flags = TH_SYN;
	self->seg.bad_csum = 1;
	EXPECT_EQ(0, exchange(_metadata, self->raw, &self->seg, &r, QUIET_MS));
	EXPECT_EQ(csum + 1, clasp_counter("InCsumErrors"));
	EXPECT_EQ(errs + 1, clasp_counter("InErrs"));
}

TEST_F(peer, short_header_dropped_and_counted)
{
	struct clasp_seg r;
	long long errs = clasp_counter("InErrs");

	self->seg.flags = TH_SYN;
	self->seg.truncate = 12;
	EXPECT_EQ(0, exchange(_metadata, self->raw, &self->seg, &r, QUIET_MS));
	EXPECT_EQ(errs + TCP_UNCOUNTED, clasp_counter("InErrs"));
}

TEST_F(peer, data_offset_past_end_dropped)
{
	struct clasp_seg r;
	long long errs = clasp_counter("InErrs");

	self->seg.flags = TH_SYN;
	self->seg.doff = 15;
	EXPECT_EQ(0, exchange(_metadata, self->raw, &self->seg, &r, QUIET_MS));
	EXPECT_EQ(errs + TCP_UNCOUNTED, clasp_counter("InErrs"));
}

TEST_F(peer, data_offset_below_five_dropped)
{
	struct clasp_seg r;
	long long errs = clasp_counter("InErrs");

	self->seg.flags = TH_SYN;
	self->seg.doff = 4;
	EXPECT_EQ(0, exchange(_metadata, self->raw, &self->seg, &r, QUIET_MS));
	EXPECT_EQ(errs + 1, clasp_counter("InErrs"));
}

TEST_F(peer, syn_rst_combination_dropped)
{
	struct clasp_seg r;
	long long errs = clasp_counter("InErrs");

	self->seg.flags = TH_SYN | TH_RST;
	EXPECT_EQ(0, exchange(_metadata, self->raw, &self->seg, &r, QUIET_MS));
	EXPECT_EQ(errs + TCP_UNCOUNTED, clasp_counter("InErrs"));
}

TEST_F(peer, every_segment_counted_in_insegs)
{
	struct clasp_seg r;
	long long in = clasp_counter("InSegs");
	long long out = clasp_counter("OutSegs");

	self->seg.flags = TH_SYN;
	ASSERT_EQ(1, exchange(_metadata, self->raw, &self->seg, &r, WAIT_MS));
	/* Over loopback the reset comes back in too, to a closed port. */
	EXPECT_EQ(in + 2, clasp_counter("InSegs"));
	EXPECT_EQ(out + 1, clasp_counter("OutSegs"));
}

CLASP_HARNESS_MAIN
