// SPDX-License-Identifier: GPL-2.0
/*
 * clasp's byte stream over loopback: MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT,
 * scatter-gather, buffer sizes, flow control against a reader that stops
 * (it never times out its sender) and bulk transfer both ways at once.
 * Shared helpers and fixtures: clasp_conn.h.
 */
#include "clasp_conn.h"

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
	get_info(_metadata, self->cli, &info);
	EXPECT_EQ(11, info.recv_queue);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(11, recv(self->cli, buf, sizeof(buf), 0));
	EXPECT_STREQ("hello world", buf);
	errno = 0;
	EXPECT_EQ(-1, recv(self->cli, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	get_info(_metadata, self->cli, &info);
	EXPECT_EQ(0, info.recv_queue);
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

/*
 * Every one of the @sent bytes is either in @cli's send queue or in
 * @srv's receive queue, and the window let some in: none is in flight.
 */
/*
 * Has everything written reached one queue or the other, none in flight?
 * The two views it compared stay in *@ci and *@si: a window the receiver
 * opens a little later (its queue shrinks as buffers coalesce) lets a
 * few more bytes fly, which a second look would count twice until the
 * delayed ACK for them comes.
 */
static bool window_filled(int cli, int srv, uint64_t sent,
			  struct clasp_info *ci, struct clasp_info *si)
{
	*ci = info_of(cli);
	*si = info_of(srv);
	return si->recv_queue &&
	       (uint64_t)ci->send_queue + si->recv_queue == sent;
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
	EXPECT_TRUE(clasp_wait_until(window_filled(self->cli, self->srv, sent,
						   &ci, &si), SOON_MS));
	TH_LOG("sent %llu; sender: snd_wnd %u unacked %u send_queue %u "
	       "total_retrans %u; receiver: recv_queue %u rcv_wnd %u",
	       (unsigned long long)sent, ci.snd_wnd, ci.unacked,
	       ci.send_queue, ci.total_retrans, si.recv_queue, si.rcv_wnd);
	EXPECT_LT(0, si.recv_queue);
	EXPECT_EQ(sent, (uint64_t)ci.send_queue + si.recv_queue);

	/* Drain: every byte arrives, in order, and the sender may go on. */
	drain_and_verify(_metadata, self->srv, sent, hash);
	rev = poll1(self->cli, POLLOUT, WAIT_MS);
	EXPECT_TRUE(rev & POLLOUT) TH_LOG("revents %#x", rev);
	/* The last ACK may still be on its way. */
	EXPECT_TRUE(clasp_wait_until(!info_of(self->cli).send_queue, SOON_MS));
	get_info(_metadata, self->cli, &ci);
	EXPECT_EQ(0, ci.unacked);
	EXPECT_EQ(0, ci.send_queue);
}

/*
 * A receiver that stops reading closes its window; it must not drop what
 * the window let in, or the sender retransmits into a full buffer until
 * retries run out.  Small writes make small segments, whose buffers are
 * mostly overhead.  Wait well past the retransmission schedule (retries=5
 * from rto_min_ms: 0.1 + 0.2 + ... + 3.2 s): the connection must be
 * alive, with nothing dropped and every byte still to come.  (Drops are
 * what the counters say: a guest stalled past the 100 ms RTO makes the
 * sender resend its whole flight once, which drops nothing.)
 */
/* Drops at the receiver: clasp's counter @name, or TCP's @tcp_name. */
static long long rcv_drops(const char *name, const char *tcp_name)
{
	if (clasp_is_tcp())
		return clasp_snmp("/proc/net/netstat", "TcpExt:", tcp_name);
	return clasp_stat(name);
}

TEST_F(flow, unread_receiver_never_times_out_the_sender)
{
	long long drops = rcv_drops("RcvQDrops", "TCPRcvQDrop");
	long long bdrops = rcv_drops("BacklogDrops", "TCPBacklogDrop");
	struct clasp_info ci;
	uint64_t sent, hash;

	sent = fill_until_blocked(_metadata, self->cli, 64, &hash);
	clasp_sleep_ms(clasp_slow_time(7000));
	EXPECT_EQ(0, so_error(self->cli));
	get_info(_metadata, self->cli, &ci);
	EXPECT_EQ(TCP_ESTABLISHED, ci.state);
	ASSERT_LE(0, drops);
	ASSERT_LE(0, bdrops);
	EXPECT_EQ(drops, rcv_drops("RcvQDrops", "TCPRcvQDrop"));
	EXPECT_EQ(bdrops, rcv_drops("BacklogDrops", "TCPBacklogDrop"));
	if (ci.total_retrans)
		TH_LOG("%u segments resent, none dropped", ci.total_retrans);
	drain_and_verify(_metadata, self->srv, sent, hash);
}

/*
 * An orphan whose peer keeps the window shut answers to orphan_retries
 * (3 here) like any other orphan: its window probes back off and it gives
 * up, though the peer acknowledges every probe.
 *
 * TCP (tcp_orphan_retries 3) gets as far as the orphan probing a closed
 * window; it gives up only once the probes' interval has reached
 * TCP_RTO_MAX (tcp_probe_timer(): answered probes reset icsk_probes_out),
 * after about 200 s: RFC 6429 lets either policy end a persist condition.
 */
TEST_F(flow, orphan_facing_a_closed_window_gives_up)
{
	long long aborts = clasp_counter("AbortOnTimeout");
	struct clasp_info ci, si;
	long long t0, ms, want;
	uint32_t more;
	uint64_t hash;

	if (clasp_is_tcp())
		ASSERT_EQ(0, clasp_sysctl("net.ipv4.tcp_orphan_retries",
					  ORPHAN_RETRIES));
	fill_until_blocked(_metadata, self->cli, 16384, &hash);
	/* Everything sent is acknowledged: the window probe timer runs. */
	ASSERT_TRUE(clasp_wait_until(!info_of(self->cli).unacked, SOON_MS));
	t0 = clasp_now_ms();
	get_info(_metadata, self->cli, &ci);
	ASSERT_EQ(CLASP_TIMER_RETRANS, ci.timer);
	ASSERT_GT(ORPHAN_RETRIES, ci.backoff);
	ASSERT_LT(0, ci.send_queue);
	get_info(_metadata, self->srv, &si);
	ASSERT_EQ(0, close(self->cli));
	CLASP_ONLY("orphan_retries ends answered window probes; TCP's orphan probes until their interval reaches TCP_RTO_MAX");
	/*
	 * The timer fires at RTO << backoff, backoff growing by one with each
	 * probe: about 0.1, 0.2 and 0.4 s.  With backoff at ORPHAN_RETRIES,
	 * 0.8 s later, the orphan gives up: about 1.5 s in all.
	 */
	EXPECT_TRUE(clasp_wait_until(clasp_counter("AbortOnTimeout") != aborts,
				     10000));
	ms = clasp_now_ms() - t0;
	EXPECT_EQ(aborts + 1, clasp_counter("AbortOnTimeout"));
	want = ci.timer_ms + backoff_ms(ci.rto_us / 1000, ci.backoff + 1,
					ORPHAN_RETRIES);
	TH_LOG("orphan gave up after %lld ms (%lld by the backoff)", ms, want);
	more = info_of(self->srv).rcv_nxt - si.rcv_nxt;
	if (!more) {
		EXPECT_TIMER(want, ms);
		return;
	}
	/*
	 * The receiver's window opened again though it read nothing, and
	 * took more: acknowledged data starts the backoff over, so the
	 * orphan may take longer, but never less.
	 */
	TH_LOG("the receiver took %u bytes more", more);
	EXPECT_LE(want * 4 / 5, ms);
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
	if (cs.err || ss.err || cr.err || sr.err) {
		clasp_log_info("client", self->cli);
		clasp_log_info("server", self->srv);
	}
	EXPECT_EQ(0, cs.err) TH_LOG("client send: %s", strerror(cs.err));
	EXPECT_EQ(0, ss.err) TH_LOG("server send: %s", strerror(ss.err));
	EXPECT_EQ(0, cr.err) TH_LOG("client recv: %s", strerror(cr.err));
	EXPECT_EQ(0, sr.err) TH_LOG("server recv: %s", strerror(sr.err));
	EXPECT_EQ(BYTES, sr.done);
	EXPECT_EQ(BYTES, cr.done);
	EXPECT_EQ(cs.hash, sr.hash);
	EXPECT_EQ(ss.hash, cr.hash);
}

static int sock_buf(int fd, int opt)
{
	int val = -1;
	socklen_t len = sizeof(val);

	getsockopt(fd, SOL_SOCKET, opt, &val, &len);
	return val;
}

/* Send @bytes from @from to @to, checked; false if it failed. */
static bool transfer(struct __test_metadata *_metadata, int from, int to,
		     uint64_t bytes)
{
	struct pump s = { from, bytes, 3 }, r = { to };
	pthread_t th[2];

	if (pthread_create(&th[0], NULL, pump_send, &s) ||
	    pthread_create(&th[1], NULL, pump_recv, &r))
		return false;
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	EXPECT_EQ(0, s.err) TH_LOG("send: %s", strerror(s.err));
	EXPECT_EQ(0, r.err) TH_LOG("recv: %s", strerror(r.err));
	EXPECT_EQ(bytes, r.done);
	EXPECT_EQ(s.hash, r.hash);
	return !s.err && !r.err && r.done == bytes && s.hash == r.hash;
}

/*
 * Buffer autotuning, as TCP's: a bulk transfer grows the receiver's
 * buffer (dynamic right-sizing) and the sender's (to hold what the
 * peer's window lets fly), up to rmem[2] and wmem[2]; a buffer the
 * program set stays as it was set.  (Before autotuning, clasp's stayed
 * at rmem_default and wmem_default, 208 KiB.)
 */
TEST_F_TIMEOUT(pair, buffers_grow_with_a_bulk_transfer_unless_set, 60)
{
	enum { BYTES = 16 << 20 };
	int rcv0 = sock_buf(self->srv, SO_RCVBUF);
	int snd0 = sock_buf(self->cli, SO_SNDBUF);
	int fixed = 65536, cli, srv;

	ASSERT_TRUE(transfer(_metadata, self->cli, self->srv, BYTES));
	TH_LOG("SO_RCVBUF %d -> %d, SO_SNDBUF %d -> %d", rcv0,
	       sock_buf(self->srv, SO_RCVBUF), snd0,
	       sock_buf(self->cli, SO_SNDBUF));
	EXPECT_LT(rcv0, sock_buf(self->srv, SO_RCVBUF));
	EXPECT_LE(sock_buf(self->srv, SO_RCVBUF), 6291456);
	/*
	 * TCP's sender starts large over loopback (its initial congestion
	 * window of 64 KiB segments): a megabyte or more, and never less
	 * than it started.
	 */
	EXPECT_LE(snd0, sock_buf(self->cli, SO_SNDBUF));
	EXPECT_LE(1 << 20, sock_buf(self->cli, SO_SNDBUF));
	EXPECT_LE(sock_buf(self->cli, SO_SNDBUF), 4194304);

	/* Set on the listener before the connection: the child has it. */
	ASSERT_EQ(0, setsockopt(self->lis, SOL_SOCKET, SO_RCVBUF, &fixed,
				sizeof(fixed)));
	make_pair(_metadata, self->lis, self->port, &cli, &srv);
	ASSERT_EQ(0, setsockopt(cli, SOL_SOCKET, SO_SNDBUF, &fixed,
				sizeof(fixed)));
	ASSERT_TRUE(transfer(_metadata, cli, srv, BYTES / 4));
	EXPECT_EQ(2 * fixed, sock_buf(srv, SO_RCVBUF));
	EXPECT_EQ(2 * fixed, sock_buf(cli, SO_SNDBUF));
	close(cli);
	close(srv);
}

CLASP_HARNESS_MAIN
