// SPDX-License-Identifier: GPL-2.0
/*
 * The input path: segments to a closed port are answered with a reset as
 * RFC 9293 section 3.5.2 says, and malformed ones are dropped and counted.
 * A raw socket plays the peer over loopback.
 */
#include "kselftest_harness.h"
#include "clasp_util.h"

#define PEER_PORT	40000
#define CLOSED_PORT	9	/* nothing listens here */
#define WAIT_MS		1000
#define QUIET_MS	300

FIXTURE(peer) {
	int raw;
	struct clasp_seg seg;
};

FIXTURE_SETUP(peer)
{
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
	long long rsts = clasp_stat("OutRsts");

	self->seg.flags = TH_SYN;
	self->seg.seq = 1000;
	ASSERT_EQ(1, exchange(_metadata, self->raw, &self->seg, &r, WAIT_MS));
	EXPECT_EQ(TH_RST | TH_ACK, r.flags);
	EXPECT_EQ(0, r.seq);
	EXPECT_EQ(1001, r.ack);
	EXPECT_EQ(0, r.len);
	EXPECT_EQ(rsts + 1, clasp_stat("OutRsts"));
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
	long long csum = clasp_stat("InCsumErrors");
	long long errs = clasp_stat("InErrs");

	self->seg.flags = TH_SYN;
	self->seg.bad_csum = 1;
	EXPECT_EQ(0, exchange(_metadata, self->raw, &self->seg, &r, QUIET_MS));
	EXPECT_EQ(csum + 1, clasp_stat("InCsumErrors"));
	EXPECT_EQ(errs + 1, clasp_stat("InErrs"));
}

TEST_F(peer, short_header_dropped_and_counted)
{
	struct clasp_seg r;
	long long errs = clasp_stat("InErrs");

	self->seg.flags = TH_SYN;
	self->seg.truncate = 12;
	EXPECT_EQ(0, exchange(_metadata, self->raw, &self->seg, &r, QUIET_MS));
	EXPECT_EQ(errs + 1, clasp_stat("InErrs"));
}

TEST_F(peer, data_offset_past_end_dropped)
{
	struct clasp_seg r;
	long long errs = clasp_stat("InErrs");

	self->seg.flags = TH_SYN;
	self->seg.doff = 15;
	EXPECT_EQ(0, exchange(_metadata, self->raw, &self->seg, &r, QUIET_MS));
	EXPECT_EQ(errs + 1, clasp_stat("InErrs"));
}

TEST_F(peer, data_offset_below_five_dropped)
{
	struct clasp_seg r;
	long long errs = clasp_stat("InErrs");

	self->seg.flags = TH_SYN;
	self->seg.doff = 4;
	EXPECT_EQ(0, exchange(_metadata, self->raw, &self->seg, &r, QUIET_MS));
	EXPECT_EQ(errs + 1, clasp_stat("InErrs"));
}

TEST_F(peer, syn_rst_combination_dropped)
{
	struct clasp_seg r;
	long long errs = clasp_stat("InErrs");

	self->seg.flags = TH_SYN | TH_RST;
	EXPECT_EQ(0, exchange(_metadata, self->raw, &self->seg, &r, QUIET_MS));
	EXPECT_EQ(errs + 1, clasp_stat("InErrs"));
}

TEST_F(peer, every_segment_counted_in_insegs)
{
	struct clasp_seg r;
	long long in = clasp_stat("InSegs");
	long long out = clasp_stat("OutSegs");

	self->seg.flags = TH_SYN;
	ASSERT_EQ(1, exchange(_metadata, self->raw, &self->seg, &r, WAIT_MS));
	/* Over loopback the reset comes back in too, to a closed port. */
	EXPECT_EQ(in + 2, clasp_stat("InSegs"));
	EXPECT_EQ(out + 1, clasp_stat("OutSegs"));
}

CLASP_HARNESS_MAIN
