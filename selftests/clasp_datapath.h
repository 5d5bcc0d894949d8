/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the data-path packet tests share (clasp_datapath_test.c,
 * clasp_sack_test.c): on top of the fake peer's world, clasp_pkt_env.h.
 */
#ifndef CLASP_DATAPATH_H
#define CLASP_DATAPATH_H

#include "clasp_pkt_env.h"

/* The connection's loss recovery state (netlink, or TCP's sock_diag). */
static inline void expect_ca_state(struct __test_metadata *_metadata,
			    const struct clasp_pkt *p, int want)
{
	struct clasp_pkt_info info;

	ASSERT_EQ(0, clasp_pkt_info(p, &info));
	EXPECT_EQ(want, info.ca_state);
}

/* @n full segments of PEER_MSS bytes written to @fd, one send() each. */
static inline void write_segs(struct __test_metadata *_metadata,
			      struct clasp_pkt *p, int fd, int n)
{
	static const char seg[PEER_MSS];
	int i;

	clasp_pkt_note(p, "send() %d x %u bytes", n, PEER_MSS);
	for (i = 0; i < n; i++)
		ASSERT_EQ(PEER_MSS, send(fd, seg, sizeof(seg), 0));
}

/*
 * @n full segments written to @fd in one send(), then seen on the wire
 * from relative sequence number 1 on: they leave as one GSO buffer, cut
 * into segments before the tun device, PSH on the last alone or on none
 * (TCP marks the last of each buffer, clasp the end of the write).
 */
static inline void send_burst(struct __test_metadata *_metadata,
			      struct clasp_pkt *p, int fd, int n)
{
	static const char buf[16 * PEER_MSS];
	int i;

	ASSERT_GE(16, n);
	clasp_pkt_note(p, "send() %d bytes", n * PEER_MSS);
	ASSERT_EQ(n * PEER_MSS, send(fd, buf, n * PEER_MSS, 0));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P?. %d:%d(%u) ack 1",
					      1 + PEER_MSS * i,
					      1 + PEER_MSS * (i + 1),
					      PEER_MSS));
}

/*
 * @n full segments written to @fd (write_segs()), then seen on the wire
 * from relative sequence number @seq on.
 */
static inline void send_segs(struct __test_metadata *_metadata,
			     struct clasp_pkt *p, int fd, int seq, int n)
{
	int i;

	write_segs(_metadata, p, fd, n);
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, clasp_pkt_expect(p, 0, "P. %d:%d(%u) ack 1",
					      seq + PEER_MSS * i,
					      seq + PEER_MSS * (i + 1),
					      PEER_MSS));
}

/* Read @len bytes and check they are the peer's, from relative seq 1. */
static inline void expect_stream(struct __test_metadata *_metadata, int fd,
			  size_t len)
{
	static char got[8192], want[8192];

	ASSERT_GE(sizeof(got), len);
	ASSERT_EQ((ssize_t)len, recv(fd, got, len, MSG_WAITALL)) {
		TH_LOG("recv: %s", strerror(errno));
	}
	clasp_pkt_fill(1, want, len);
	EXPECT_EQ(0, memcmp(got, want, len)) TH_LOG("the stream differs");
}

/* RFC 7323 options and SACK on, for clasp and for TCP (tcp_env()). */
static const struct clasp_param opts_on[] = {
	{ "window_scaling", 1 },
	{ "timestamps", 1 },
	{ "sack", 1 },
	{ NULL, 0 }
};

static inline void get_tcp_info(struct __test_metadata *_metadata, int fd,
			 struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	ASSERT_EQ(0, getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len)) {
		TH_LOG("TCP_INFO: %s", strerror(errno));
	}
}

/* A connection the peer opened offering @syn_opts; the SYN-ACK must carry @synack_opts. */
static inline int passive_open_opts(struct __test_metadata *_metadata, struct env *e,
			     uint16_t peer_port, const char *syn_opts,
			     const char *synack_opts, const char *ack_opts)
{
	struct clasp_pkt *p = &e->p;
	struct clasp_call acc;

	clasp_pkt_conn(p, LISTEN_PORT, peer_port);
	if (clasp_call_accept(&acc, e->lfd))
		return -1;
	EXPECT_EQ(0, clasp_pkt_inject(p, "S 0:0(0) %s", syn_opts));
	EXPECT_EQ(0, clasp_pkt_expect(p, 0, "S. 0:0(0) ack 1 %s", synack_opts));
	EXPECT_EQ(0, clasp_pkt_inject(p, ". 1:1(0) ack 1 %s", ack_opts));
	if (clasp_call_wait(&acc, GUARD_MS)) {
		TH_LOG("accept hangs");
		return -1;
	}
	return acc.ret;
}

#endif /* CLASP_DATAPATH_H */
