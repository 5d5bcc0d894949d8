// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile input.
 *
 * fuzz.segments_are_survived_and_accounted: random and mutated segments
 * (every flag byte, seq/ack near and far from the windows, truncated
 * headers, bad data offsets, malformed and oversized options, zero and
 * huge windows, payloads on SYN/RST/FIN, good and bad checksums) from many
 * source addresses, aimed at a listener, its SYN_RCVD requests,
 * established connections, TIME_WAIT entries and closed ports.  Nothing
 * may crash; InErrs and InCsumErrors must grow by exactly the number of
 * malformed and bad-checksum segments sent; a bystander connection the
 * fuzzer cannot legitimately reach keeps transferring, intact; and the
 * listener still accepts afterwards.  CLASP_FUZZ_SEGMENTS sets the count
 * (default 20000), CLASP_FUZZ_SEED the seed (default: the time).
 *
 * blind.frag_needed_spares_what_the_receiver_holds: a path MTU that falls
 * while the receiver holds segments it has not acknowledged leaves the
 * data it reads intact.
 *
 * blind.attacker_kills_and_corrupts_nothing: an off-path attacker that
 * knows a connection's 4-tuple but not its sequence numbers sends RSTs,
 * SYNs, data with in-window sequence numbers, ACKs of unsent or
 * unacknowledged data outside the window (RFC 5961), and ICMP errors
 * (port and host unreachable, fragmentation needed) quoting sequence
 * numbers in and out of the flight (RFC 5927): the connection survives
 * with every byte intact, and challenge ACKs stay within
 * challenge_ack_limit per second.
 *
 * Segments are sent through an IPPROTO_RAW socket (IP_HDRINCL) over
 * loopback, so any 127/8 source address can be forged.
 *
 * CLASP_FAMILY=6 (clasp_fuzz6_test): the same over IPv6, from an
 * IPPROTO_RAW socket of AF_INET6 (header included as well).  ::1 stands
 * for 127.0.0.1, fd97::2 and fd97::3 on lo for 127.0.0.2 and .3, and a
 * local route to fd97::/48 lets forged sources come back as 127/8 does.
 * The ICMP errors are ICMPv6's (RFC 4443): address and port unreachable,
 * and packet too big (never below 1280) for fragmentation needed.
 *
 * CLASP_PROTO=6: the same against kernel TCP, with its sysctls for the
 * parameters and no window scaling or timestamps (clasp has neither, and
 * "ACK far behind snd_una" must stay behind any window sent, RFC 5961
 * 5.2).  The attacker learns the sequence numbers through TCP_REPAIR.
 * TCP counts input errors its own way (see tcp_v4_rcv()): a header cut
 * short, or a data offset past the end, is dropped uncounted; a data
 * offset below 5 is an InErrs without checksum check; a segment with a
 * malformed option, or an MD5 or AO one, to a socket is dropped before
 * its checksum is checked (tcp_auth_drop()); a SYN with RST or FIN is no
 * error, but a SYN to a synchronized connection is (its challenge ACK
 * counts TCPSYNChallenge).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "clasp_seg.h"

#define LPORT		7000
#define N_VICTIMS	8
#define N_TW		8
#define N_SOURCES	256	/* forged sources that come back, to hit requests */
#define MSL_MS		60000	/* TIME_WAIT entries outlive the test */
#define CHALLENGE_LIMIT	20
#define ATTACK_MS	3000
/* Larger than any window a peer offers here: 6 MiB buffers at most. */
#define MAX_WINDOW	(64U << 20)

/* xorshift64*: fast, seedable, good enough to pick fields. */
static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 0x2545F4914F6CDD1DULL) >> 32;
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* The family's addresses: the victims', the TIME_WAIT entries' peers'. */
#define VICTIM_SRC	(clasp_v6() ? "fd97::2" : "127.0.0.2")
#define TW_SRC		(clasp_v6() ? "fd97::3" : "127.0.0.3")

/*
 * An IPv6 address in fd97::/48, local (fuzz_local6()): fd97:@net::@host,
 * as 127.@net.x.x stands for a forged IPv4 source.
 */
static struct in6_addr fd97(uint16_t net, uint32_t host)
{
	struct in6_addr a = { 0 };

	a.s6_addr[0] = 0xfd;
	a.s6_addr[1] = 0x97;
	a.s6_addr[4] = net >> 8;
	a.s6_addr[5] = net & 0xff;
	a.s6_addr[12] = host >> 24;
	a.s6_addr[13] = host >> 16;
	a.s6_addr[14] = host >> 8;
	a.s6_addr[15] = host;
	return a;
}

/* IPv6: the victims' addresses on lo, and all of fd97::/48 local. */
static int fuzz_local6(void)
{
	if (!clasp_v6())
		return 0;
	return clasp_sh("ip -6 route add local fd97::/48 dev lo && "
			"ip -6 addr add %s/128 dev lo nodad && "
			"ip -6 addr add %s/128 dev lo nodad", VICTIM_SRC, TW_SRC);
}

/* The IP header the wire carries: 40 bytes over IPv6, 20 over IPv4. */
static size_t wire_hlen(void)
{
	return clasp_v6() ? 40 : sizeof(struct iphdr);
}

/* A segment on the wire: IP header, clasp header, options, payload. */
struct wire {
	uint8_t buf[40 + 60 + 1500];
	size_t len;		/* IP header included */
	bool malformed;		/* the module must count it in InErrs */
	bool bad_csum;		/* ... and in InCsumErrors */
	bool tcp_malformed;	/* TCP counts it in InErrs */
	bool tcp_bad_csum;	/* ... and in InCsumErrors */
	bool tcp_auth;		/* TCP may drop it first (tcp_auth_drop()) */
};

/*
 * Would a TCP socket drop a segment with the @len option bytes at @opt
 * before checking its checksum?  tcp_inbound_hash() (Linux 6.7+) parses
 * them with tcp_do_parse_auth_options(), walked here: an option length
 * below 2 or past the header is an error, and so is an MD5 (19) or AO
 * (29) option on a socket without keys; it drops such a segment,
 * counting nothing.  (CONFIG_TCP_AO walks while 5 bytes are left, else
 * 18: "may" covers both.)  With no socket, the checksum comes first.
 */
static bool tcp_auth_drop(const uint8_t *opt, int len)
{
	while (len >= 5) {
		int kind = *opt++, size;

		if (kind == 0)
			return false;
		if (kind == 1) {
			len--;
			continue;
		}
		size = *opt++;
		if (size < 2 || size > len || kind == 19 || kind == 29)
			return true;
		opt += size - 2;
		len -= size;
	}
	return false;
}

/*
 * Finish @w from clasp segment @s: the IP header, the checksum over the
 * bytes actually sent (so that a truncated segment fails on its header,
 * not its checksum, unless @bad_csum), and the verdict the module's
 * input checks must reach.
 */
static void wire_finish(struct wire *w, const struct clasp_seg *s,
			size_t seg_len, bool bad_csum)
{
	struct iphdr *iph = (struct iphdr *)w->buf;
	uint8_t *seg = w->buf + wire_hlen();
	struct tcphdr *th = (struct tcphdr *)seg;
	unsigned int doff = th->th_off * 4;

	if (s->v6) {
		memset(w->buf, 0, 40);
		w->buf[0] = 0x60;
		w->buf[4] = seg_len >> 8;
		w->buf[5] = seg_len & 0xff;
		w->buf[6] = clasp_proto();
		w->buf[7] = CLASP_HOP_LIMIT;
		memcpy(w->buf + 8, &s->saddr6, 16);
		memcpy(w->buf + 24, &s->daddr6, 16);
	} else {
		memset(iph, 0, sizeof(*iph));
		iph->version = 4;
		iph->ihl = 5;
		iph->ttl = 64;
		iph->protocol = clasp_proto();
		iph->saddr = s->saddr;
		iph->daddr = s->daddr;
		iph->tot_len = htons(sizeof(*iph) + seg_len);
	}
	w->len = wire_hlen() + seg_len;

	if (seg_len >= 18) {
		uint16_t c;

		th->th_sum = 0;
		c = clasp_seg_csum_of(s, seg, seg_len);
		th->th_sum = htons(bad_csum ? (uint16_t)(c ^ 0x1234) : c);
	}
	w->bad_csum = seg_len >= sizeof(*th) && bad_csum;
	w->malformed = seg_len < sizeof(*th) || w->bad_csum ||
		       doff < sizeof(*th) || doff > seg_len ||
		       ((th->th_flags & TH_SYN) &&
			(th->th_flags & (TH_RST | TH_FIN)));
	w->tcp_bad_csum = w->bad_csum && doff >= sizeof(*th) && doff <= seg_len;
	w->tcp_auth = w->tcp_bad_csum &&
		      tcp_auth_drop(seg + sizeof(*th), doff - sizeof(*th));
	w->tcp_malformed = w->tcp_bad_csum ||
			   (seg_len >= sizeof(*th) && doff < sizeof(*th));
}

/* One line per segment, tcpdump-like, for CLASP_FUZZ_TRACE. */
static void wire_print(FILE *f, uint64_t i, const struct wire *w)
{
	const struct iphdr *iph = (const struct iphdr *)w->buf;
	const struct tcphdr *th = (const struct tcphdr *)(w->buf + wire_hlen());
	size_t seg_len = w->len - wire_hlen();
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	if (clasp_v6()) {
		inet_ntop(AF_INET6, w->buf + 8, src, sizeof(src));
		inet_ntop(AF_INET6, w->buf + 24, dst, sizeof(dst));
	} else {
		inet_ntop(AF_INET, &iph->saddr, src, sizeof(src));
		inet_ntop(AF_INET, &iph->daddr, dst, sizeof(dst));
	}
	if (seg_len < sizeof(*th)) {
		fprintf(f, "%llu %s > %s: %zu bytes\n", (unsigned long long)i,
			src, dst, seg_len);
		return;
	}
	fprintf(f, "%llu %s.%u > %s.%u: flags %#04x seq %u ack %u win %u "
		"doff %u len %zu%s%s\n", (unsigned long long)i, src,
		ntohs(th->th_sport), dst, ntohs(th->th_dport), th->th_flags,
		ntohl(th->th_seq), ntohl(th->th_ack), ntohs(th->th_win),
		th->th_off, seg_len, w->bad_csum ? " bad-csum" : "",
		w->malformed ? " malformed" : "");
	fflush(f);
}

static int raw_sender(void)
{
	int fd = socket(clasp_af(), SOCK_RAW, IPPROTO_RAW);	/* IPv6: HDRINCL too */
	int big = 4 << 20;

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	return fd;
}

static uint64_t send_retries;	/* loopback's backlog was full */

static int wire_send(int fd, const struct wire *w)
{
	const struct iphdr *iph = (const struct iphdr *)w->buf;
	struct clasp_sockaddr dst = { .len = sizeof(dst.in) };

	dst.in.sin_family = AF_INET;
	dst.in.sin_addr.s_addr = iph->daddr;
	if (w->buf[0] >> 4 == 6) {
		memset(&dst, 0, sizeof(dst));
		dst.in6.sin6_family = AF_INET6;
		memcpy(&dst.in6.sin6_addr, w->buf + 24, 16);
		dst.len = sizeof(dst.in6);
	}
	for (;;) {
		if (sendto(fd, w->buf, w->len, 0, &dst.sa, dst.len) ==
		    (ssize_t)w->len)
			return 0;
		if (errno != ENOBUFS && errno != EAGAIN)
			return -1;
		send_retries++;
		sched_yield();
	}
}

/* ---------------------------------------------------------------- */
/* A connection that carries a checksummed stream while under attack. */

struct stream {
	int tx, rx;
	int pace_ms;		/* pause between writes, not to hog the CPU */
	atomic_bool stop;
	uint64_t sent, got, hash_tx, hash_rx;
	int err_tx, err_rx;
	pthread_t writer, reader;
};

static void *stream_writer(void *arg)
{
	struct stream *st = arg;
	uint8_t buf[4096];
	ssize_t n;

	st->hash_tx = CLASP_FNV_INIT;
	while (!atomic_load(&st->stop)) {
		clasp_fill(buf, sizeof(buf), st->sent, 7);
		n = send(st->tx, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			st->err_tx = errno;
			break;
		}
		st->hash_tx = clasp_fnv(st->hash_tx, buf, n);
		st->sent += n;
		if (st->pace_ms)
			clasp_sleep_ms(clasp_slow_time(st->pace_ms));
	}
	shutdown(st->tx, SHUT_WR);
	return NULL;
}

static void *stream_reader(void *arg)
{
	struct stream *st = arg;
	uint8_t buf[8192];
	ssize_t n;

	st->hash_rx = CLASP_FNV_INIT;
	for (;;) {
		n = recv(st->rx, buf, sizeof(buf), 0);
		if (n == 0)
			break;
		if (n < 0) {
			/*
			 * Nothing for SO_RCVTIMEO after the writer stopped:
			 * the stream stalled; say so rather than hang.
			 */
			if (errno == EAGAIN && atomic_load(&st->stop)) {
				st->err_rx = ETIMEDOUT;
				break;
			}
			if (errno == EAGAIN || errno == EINTR)
				continue;
			st->err_rx = errno;
			break;
		}
		st->hash_rx = clasp_fnv(st->hash_rx, buf, n);
		st->got += n;
	}
	return NULL;
}

static void stream_start(struct stream *st, int tx, int rx, int pace_ms)
{
	memset(st, 0, sizeof(*st));
	st->tx = tx;
	st->rx = rx;
	st->pace_ms = pace_ms;
	pthread_create(&st->writer, NULL, stream_writer, st);
	pthread_create(&st->reader, NULL, stream_reader, st);
}

static void stream_finish(struct __test_metadata *_metadata,
			  struct stream *st, const char *name)
{
	atomic_store(&st->stop, true);
	pthread_join(st->writer, NULL);
	pthread_join(st->reader, NULL);
	TH_LOG("%s: sent %llu, received %llu bytes", name,
	       (unsigned long long)st->sent, (unsigned long long)st->got);
	if (st->err_rx || st->got != st->sent) {
		clasp_log_info("sender", st->tx);
		clasp_log_info("receiver", st->rx);
	}
	EXPECT_EQ(0, st->err_tx) TH_LOG("%s: send: %s", name, strerror(st->err_tx));
	EXPECT_EQ(0, st->err_rx) TH_LOG("%s: recv: %s", name, strerror(st->err_rx));
	EXPECT_LT(0, st->sent);
	EXPECT_EQ(st->sent, st->got);
	EXPECT_EQ(st->hash_tx, st->hash_rx);
}

/* ---------------------------------------------------------------- */

static int listen_any(struct __test_metadata *_metadata, uint16_t port)
{
	struct clasp_sockaddr a = clasp_sockaddr(clasp_any(), port);
	int one = 1, fd = clasp_socket();

	EXPECT_LE(0, fd);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	EXPECT_EQ(0, bind(fd, &a.sa, a.len));
	EXPECT_EQ(0, listen(fd, 128));
	return fd;
}

/* Connect from @src to 127.0.0.1:@port (::1) and accept: *@cli and *@srv. */
static void pair_from(struct __test_metadata *_metadata, int lis,
		      const char *src, uint16_t port, int *cli, int *srv)
{
	struct clasp_sockaddr a = clasp_sockaddr(src, 0);
	struct clasp_sockaddr d = clasp_sockaddr(clasp_loopback(), port);
	struct timeval tv = { .tv_sec = clasp_slow_time(20) };

	*cli = clasp_socket();
	ASSERT_LE(0, *cli);
	ASSERT_EQ(0, bind(*cli, &a.sa, a.len)) TH_LOG("bind %s: %s", src, strerror(errno));
	ASSERT_EQ(0, connect(*cli, &d.sa, d.len)) {
		TH_LOG("connect from %s: %s", src, strerror(errno));
	}
	setsockopt(lis, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*srv = accept(lis, NULL, NULL);
	ASSERT_LE(0, *srv) TH_LOG("accept: %s", strerror(errno));
	setsockopt(*cli, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(*srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(*cli, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(*srv, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* The 4-tuple and sequence state of a socket, as a peer would aim at it. */
struct aim {
	uint32_t saddr, daddr;	/* from the peer's side, network order */
	struct in6_addr saddr6, daddr6;	/* the same over IPv6 */
	uint16_t sport, dport;
	uint32_t rcv_nxt, snd_una, rcv_wnd;
};

/*
 * CLASP_PROTO=6: rcv_nxt, snd_una and the receive window of TCP socket
 * @fd, read in repair mode (left again without a window probe).  Only
 * for a socket no other thread uses meanwhile: in repair mode send()
 * fails or fills the receive queue.
 */
static void tcp_aim(int fd, struct aim *t)
{
	int on = TCP_REPAIR_ON, off = TCP_REPAIR_OFF_NO_WP, q, outq = 0;
	uint32_t seq;
	struct tcp_repair_window w;
	socklen_t len;

	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)))
		return;
	q = TCP_RECV_QUEUE;
	len = sizeof(seq);
	if (!setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)) &&
	    !getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, &len))
		t->rcv_nxt = seq;
	q = TCP_SEND_QUEUE;
	len = sizeof(seq);
	if (!setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)) &&
	    !getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, &len) &&
	    !ioctl(fd, SIOCOUTQ, &outq))
		t->snd_una = seq - outq;	/* write_seq less what is unacked */
	len = sizeof(w);
	if (!getsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &w, &len))
		t->rcv_wnd = w.rcv_wnd ? w.rcv_wnd : 1;
	q = TCP_NO_QUEUE;
	setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q));
	setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off));
}

static void aim_at(int fd, struct aim *t)
{
	struct clasp_sockaddr l, r;
	socklen_t len = sizeof(l);
	struct clasp_info ci;

	getsockname(fd, &l.sa, &len);
	len = sizeof(r);
	getpeername(fd, &r.sa, &len);
	t->saddr = r.in.sin_addr.s_addr;
	t->daddr = l.in.sin_addr.s_addr;
	if (r.sa.sa_family == AF_INET6) {
		t->saddr6 = r.in6.sin6_addr;
		t->daddr6 = l.in6.sin6_addr;
	}
	t->sport = clasp_sockaddr_port(&r);
	t->dport = clasp_sockaddr_port(&l);
	if (clasp_is_tcp()) {
		tcp_aim(fd, t);
		return;
	}
	if (!clasp_get_info(fd, &ci)) {
		t->rcv_nxt = ci.rcv_nxt;
		t->snd_una = ci.snd_una;
		t->rcv_wnd = ci.rcv_wnd ? ci.rcv_wnd : 1;
	}
}

/* ---------------------------------------------------------------- */
/* The fuzzer. */

struct fuzz_counts {
	uint64_t sent, malformed, bad_csum;
	uint64_t auth;	/* TCP: bad checksums it may drop uncounted */
};

/* The module's counters when the fuzzer started. */
struct fuzz_base {
	long long errs, csum, in, synchal;
};

/*
 * The module has taken in every segment sent (the bystander's too, so
 * InSegs may be ahead) and counted the malformed and bad-checksum ones.
 * TCP counts SYNs to synchronized connections too (InErrs may be ahead).
 */
static bool fuzz_all_counted(const struct fuzz_base *b,
			     const struct fuzz_counts *fc)
{
	if (clasp_is_tcp())
		return clasp_counter("InErrs") - b->errs >= (long long)fc->malformed &&
		       clasp_counter("InCsumErrors") - b->csum >= (long long)fc->bad_csum &&
		       clasp_counter("InSegs") - b->in >= (long long)fc->sent;
	return clasp_stat("InErrs") - b->errs == (long long)fc->malformed &&
	       clasp_stat("InCsumErrors") - b->csum == (long long)fc->bad_csum &&
	       clasp_stat("InSegs") - b->in >= (long long)fc->sent;
}

static long long lo_rx_dropped(void)
{
	long long v = -1;
	FILE *f = fopen("/sys/class/net/lo/statistics/rx_dropped", "r");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* TCP's challenge ACKs to SYNs, each of which TCP counted in InErrs. */
static long long tcp_syn_challenges(void)
{
	return clasp_snmp("/proc/net/netstat", "TcpExt:", "TCPSYNChallenge");
}

static const uint8_t common_flags[] = {
	TH_SYN, TH_SYN | TH_ACK, TH_ACK, TH_RST, TH_RST | TH_ACK,
	TH_FIN | TH_ACK, TH_FIN, TH_ACK | TH_PUSH, TH_SYN | TH_FIN,
	TH_SYN | TH_RST, 0, 0xff,
};

/* Options: valid MSS, MSS with a wrong length, random bytes, or none. */
static size_t fuzz_options(uint8_t *opt)
{
	size_t len, i;

	switch (rnd_below(6)) {
	case 0:
		opt[0] = 2;
		opt[1] = 4;
		opt[2] = rnd();
		opt[3] = rnd();
		return 4;
	case 1:
		opt[0] = 2;
		opt[1] = rnd_below(256);
		opt[2] = rnd();
		opt[3] = rnd();
		return 4;
	case 2:
		len = 4 * (1 + rnd_below(10));	/* up to 40 bytes */
		for (i = 0; i < len; i++)
			opt[i] = rnd();
		return len;
	case 3:
		len = 4 * (1 + rnd_below(10));
		memset(opt, 1, len);		/* NOPs, then a stray kind */
		opt[len - 1] = rnd();
		return len;
	default:
		return 0;
	}
}

static uint32_t near(uint32_t base, uint32_t span)
{
	return base + rnd_below(2 * span + 1) - span;
}

/* One segment at @t (or, if NULL, at the listener or a closed port). */
static void fuzz_one(struct wire *w, const struct aim *t,
		     const struct aim *sources, uint16_t lport)
{
	uint8_t *seg = w->buf + wire_hlen();
	struct tcphdr *th = (struct tcphdr *)seg;
	struct clasp_seg s = { .v6 = clasp_v6() };
	size_t optlen, hlen, total;
	uint32_t r = rnd_below(100);

	if (t) {
		s.saddr = t->saddr;
		s.daddr = t->daddr;
		s.saddr6 = t->saddr6;
		s.daddr6 = t->daddr6;
		s.sport = t->sport;
		s.dport = t->dport;
	} else {
		/* Forged sources: some come back (requests), most do not. */
		if (r < 50) {
			const struct aim *src = &sources[rnd_below(N_SOURCES)];

			s.saddr = src->saddr;
			s.saddr6 = src->saddr6;
			s.sport = src->sport;
		} else {
			s.saddr = htonl(0x7f010000 | rnd_below(0x10000));
			s.saddr6 = fd97(1, rnd_below(0x10000));
			s.sport = rnd();
		}
		s.daddr = ip4("127.0.0.1");
		s.daddr6 = in6addr_loopback;
		s.dport = rnd_below(4) ? lport : (uint16_t)rnd();
	}
	s.flags = rnd_below(2) ? common_flags[rnd_below(sizeof(common_flags))] :
				 (uint8_t)rnd();
	if (t && rnd_below(2)) {
		s.seq = near(t->rcv_nxt, t->rcv_wnd);
		s.ack = near(t->snd_una, 70000);
	} else {
		s.seq = rnd();
		s.ack = rnd();
	}
	switch (rnd_below(4)) {
	case 0:
		s.win = 0;
		break;
	case 1:
		s.win = 65535;
		break;
	default:
		s.win = rnd();
	}

	memset(seg, 0, sizeof(*th));
	optlen = fuzz_options(seg + sizeof(*th));
	hlen = sizeof(*th) + optlen;
	s.len = rnd_below(10) < 3 ? 1 + rnd_below(1400) : 0;
	total = hlen + s.len;
	th->th_sport = htons(s.sport);
	th->th_dport = htons(s.dport);
	th->th_seq = htonl(s.seq);
	th->th_ack = htonl(s.ack);
	th->th_flags = s.flags;
	th->th_win = htons(s.win);
	th->th_off = hlen / 4;
	if (rnd_below(100) < 5)
		th->th_off = rnd_below(16);	/* too small or past the end */
	memset(seg + hlen, 0xa5, s.len);
	if (rnd_below(100) < 3)
		total = rnd_below(total);	/* truncated */
	wire_finish(w, &s, total, rnd_below(100) < 5);
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : def;
}

/* The fuzz namespace's parameters (clasp_netns_params() puts them back). */
static const struct clasp_param fuzz_params[] = {
	{ "msl_ms", MSL_MS },
	{ "max_syn_backlog", 256 },
	{ "synack_retries", 2 },
	{ "rto_initial_ms", 200 },
	{ "challenge_ack_limit", 1000 },
	{ "invalid_ratelimit_ms", 0 },
	{ NULL, 0 }
};

/*
 * CLASP_PROTO=6: TCP's sysctls for @params (in the new namespace), and
 * no window scaling or timestamps.
 */
static int tcp_sysctls(const struct clasp_param *params)
{
	static const struct { const char *param, *sysctl; } map[] = {
		{ "max_syn_backlog", "net.ipv4.tcp_max_syn_backlog" },
		{ "synack_retries", "net.ipv4.tcp_synack_retries" },
		{ "challenge_ack_limit", "net.ipv4.tcp_challenge_ack_limit" },
		{ "invalid_ratelimit_ms", "net.ipv4.tcp_invalid_ratelimit" },
	};
	const struct clasp_param *p;
	size_t i;

	if (!clasp_is_tcp())
		return 0;
	if (clasp_sysctl("net.ipv4.tcp_window_scaling", 0) ||
	    clasp_sysctl("net.ipv4.tcp_timestamps", 0))
		return -1;
	for (p = params; p->name; p++)
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (!strcmp(p->name, map[i].param) &&
			    clasp_sysctl(map[i].sysctl, p->val))
				return -1;
	return 0;
}

/*
 * TIME_WAIT entries made: clasp's TimeWaitEntered, or for TCP (which
 * counts them when they end) the TIME_WAIT sockets in /proc/net/tcp of
 * this fresh namespace, where none ends within the test (60 s).
 */
static long long tw_entered(void)
{
	char line[512];
	unsigned int st;
	long long n = 0;
	FILE *f;

	if (!clasp_is_tcp())
		return clasp_stat("TimeWaitEntered");
	f = fopen(clasp_v6() ? "/proc/net/tcp6" : "/proc/net/tcp", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %*x:%*x %*x:%*x %x", &st) == 1 &&
		    st == TCP_TIME_WAIT)
			n++;
	fclose(f);
	return n;
}

FIXTURE(fuzz) {
	int lis, raw;
	int vcli[N_VICTIMS], vsrv[N_VICTIMS];
	struct aim aims[2 * N_VICTIMS + N_TW];
	int naims;
	struct aim sources[N_SOURCES];
	struct stream bystander;
	int bcli, bsrv;
	uint64_t seed;
};

FIXTURE_SETUP(fuzz)
{
	long long tw0;
	int i;

	self->seed = env_u64("CLASP_FUZZ_SEED", (uint64_t)time(NULL));
	rng_state = self->seed ? self->seed : 1;
	ASSERT_EQ(0, clasp_netns_params(fuzz_params, NULL))
		TH_LOG("parameters and namespace: %s", strerror(errno));
	ASSERT_EQ(0, tcp_sysctls(fuzz_params));
	ASSERT_EQ(0, fuzz_local6()) TH_LOG("IPv6 addresses on lo");

	self->raw = raw_sender();
	ASSERT_LE(0, self->raw) TH_LOG("raw socket: %s", strerror(errno));
	self->lis = listen_any(_metadata, LPORT);

	/* Established connections the fuzzer aims at, from both ends. */
	for (i = 0; i < N_VICTIMS; i++) {
		pair_from(_metadata, self->lis, VICTIM_SRC, LPORT,
			  &self->vcli[i], &self->vsrv[i]);
		aim_at(self->vsrv[i], &self->aims[self->naims++]);
		aim_at(self->vcli[i], &self->aims[self->naims++]);
	}
	/* TIME_WAIT entries: active close from 127.0.0.3 (fd97::3). */
	tw0 = tw_entered();
	for (i = 0; i < N_TW; i++) {
		char c;
		int cli, srv;

		pair_from(_metadata, self->lis, TW_SRC, LPORT, &cli, &srv);
		/* Aimed now: a closed socket has no peer name. */
		aim_at(cli, &self->aims[self->naims++]);
		ASSERT_EQ(0, shutdown(cli, SHUT_WR));
		ASSERT_EQ(0, recv(srv, &c, 1, 0));
		ASSERT_EQ(0, close(srv));
		ASSERT_EQ(0, recv(cli, &c, 1, 0));
		close(cli);
	}
	ASSERT_TRUE(clasp_wait_until(tw_entered() == tw0 + N_TW, 3000))
		TH_LOG("%lld TIME_WAIT entries, want %d", tw_entered() - tw0, N_TW);
	for (i = 0; i < N_SOURCES; i++) {
		self->sources[i].saddr = htonl(0x7f020000 | rnd_below(0x10000));
		self->sources[i].saddr6 = fd97(2, rnd_below(0x10000));
		self->sources[i].sport = 1024 + rnd_below(60000);
	}
	/* The bystander: 127.0.0.1 to 127.0.0.1 (::1), which nothing forges. */
	pair_from(_metadata, self->lis, clasp_loopback(), LPORT, &self->bcli,
		  &self->bsrv);
}

FIXTURE_TEARDOWN(fuzz)
{
}


TEST_F_TIMEOUT(fuzz, segments_are_survived_and_accounted, 3600)
{
	uint64_t n = env_u64("CLASP_FUZZ_SEGMENTS", 20000);
	struct fuzz_base b = {
		clasp_counter("InErrs"), clasp_counter("InCsumErrors"),
		clasp_counter("InSegs"), tcp_syn_challenges(),
	};
	struct fuzz_counts fc = { 0 };
	long long t0 = clasp_now_ms(), ms;
	const char *trace_path = getenv("CLASP_FUZZ_TRACE");
	FILE *trace = trace_path ? fopen(trace_path, "w") : NULL;
	struct wire w;
	int cli, srv;
	uint64_t i;

	TH_LOG("seed %llu (CLASP_FUZZ_SEED reproduces the run), %llu segments",
	       (unsigned long long)self->seed, (unsigned long long)n);
	stream_start(&self->bystander, self->bcli, self->bsrv, 1);

	for (i = 0; i < n; i++) {
		const struct aim *t = NULL;

		if (rnd_below(2)) {
			int k = rnd_below(self->naims);

			/* Follow the victims' windows as they move. */
			if (i % 256 == 0 && k < 2 * N_VICTIMS)
				aim_at(k % 2 ? self->vcli[k / 2] :
					       self->vsrv[k / 2], &self->aims[k]);
			t = &self->aims[k];
		}
		fuzz_one(&w, t, self->sources, LPORT);
		if (trace)
			wire_print(trace, i, &w);
		ASSERT_EQ(0, wire_send(self->raw, &w)) {
			TH_LOG("send: %s", strerror(errno));
		}
		fc.sent++;
		if (clasp_is_tcp()) {
			fc.auth += w.tcp_auth;
			fc.malformed += w.tcp_malformed && !w.tcp_auth;
			fc.bad_csum += w.tcp_bad_csum && !w.tcp_auth;
		} else {
			fc.malformed += w.malformed;
			fc.bad_csum += w.bad_csum;
		}
	}
	ms = clasp_now_ms() - t0;
	TH_LOG("%llu segments in %lld ms (%llu malformed, %llu bad checksum, "
	       "%llu resent for want of buffer)", (unsigned long long)fc.sent,
	       ms, (unsigned long long)fc.malformed,
	       (unsigned long long)fc.bad_csum,
	       (unsigned long long)send_retries);
	/* The last ones may still be on their way through loopback. */
	EXPECT_TRUE(clasp_wait_until(fuzz_all_counted(&b, &fc), 3000));
	TH_LOG("InSegs +%lld, InCsumErrors +%lld, lo rx_dropped %lld",
	       clasp_counter("InSegs") - b.in, clasp_counter("InCsumErrors") - b.csum,
	       lo_rx_dropped());
	TH_LOG("replies: OutRsts %lld ChallengeAcks %lld AckSkipped %lld "
	       "OutOfWindowDrops %lld", clasp_counter("OutRsts"),
	       clasp_counter("ChallengeAcks"), clasp_stat("AckSkipped"),
	       clasp_stat("OutOfWindowDrops"));

	if (clasp_is_tcp()) {
		long long syn = tcp_syn_challenges() - b.synchal;

		/*
		 * Every malformed one, and at most the SYNs challenged and
		 * the bad checksums with options a socket drops first.
		 */
		TH_LOG("InErrs %lld: %llu malformed, %lld SYNs challenged, "
		       "%llu bad checksums with options a socket drops first",
		       clasp_counter("InErrs") - b.errs,
		       (unsigned long long)fc.malformed, syn,
		       (unsigned long long)fc.auth);
		EXPECT_LE(fc.malformed, (uint64_t)(clasp_counter("InErrs") - b.errs));
		EXPECT_GE(fc.malformed + fc.auth + syn,
			  (uint64_t)(clasp_counter("InErrs") - b.errs));
		EXPECT_LE(fc.bad_csum, (uint64_t)(clasp_counter("InCsumErrors") - b.csum));
		EXPECT_GE(fc.bad_csum + fc.auth,
			  (uint64_t)(clasp_counter("InCsumErrors") - b.csum));
	} else {
		EXPECT_EQ(fc.malformed, (uint64_t)(clasp_stat("InErrs") - b.errs));
		EXPECT_EQ(fc.bad_csum, (uint64_t)(clasp_stat("InCsumErrors") - b.csum));
	}
	EXPECT_LE(fc.sent, (uint64_t)(clasp_counter("InSegs") - b.in));
	stream_finish(_metadata, &self->bystander, "bystander");

	/* The listener still serves. */
	pair_from(_metadata, self->lis, clasp_loopback(), LPORT, &cli, &srv);
	EXPECT_EQ(5, send(cli, "hello", 5, 0));
	EXPECT_EQ(5, recv(srv, (char[8]){ 0 }, 8, 0));
}

/* ---------------------------------------------------------------- */
/* The blind attacker. */

static const struct clasp_param blind_params[] = {
	{ "challenge_ack_limit", CHALLENGE_LIMIT },
	{ "invalid_ratelimit_ms", 0 },
	{ NULL, 0 }
};

FIXTURE(blind) {
	int lis, raw, cli, srv;
	struct stream up, down;
	struct aim at_cli, at_srv;
};

FIXTURE_SETUP(blind)
{
	ASSERT_EQ(0, clasp_netns_params(blind_params, NULL))
		TH_LOG("parameters and namespace: %s", strerror(errno));
	ASSERT_EQ(0, tcp_sysctls(blind_params));
	self->raw = raw_sender();
	ASSERT_LE(0, self->raw) TH_LOG("raw socket: %s", strerror(errno));
	self->lis = listen_any(_metadata, LPORT);
	pair_from(_metadata, self->lis, clasp_loopback(), LPORT, &self->cli,
		  &self->srv);
}

FIXTURE_TEARDOWN(blind)
{
}

/*
 * One guess at @t: the attacker knows the 4-tuple, and even the receive
 * window's position, but not the exact sequence number (RST) nor an
 * acknowledgment number the victim could have sent (data).
 */
static void blind_guess(struct wire *w, const struct aim *t, int kind)
{
	uint8_t *seg = w->buf + wire_hlen();
	struct tcphdr *th = (struct tcphdr *)seg;
	struct clasp_seg s = {
		.saddr = t->saddr, .daddr = t->daddr,
		.v6 = clasp_v6(), .saddr6 = t->saddr6, .daddr6 = t->daddr6,
		.sport = t->sport, .dport = t->dport, .win = 65535,
	};
	size_t len = 0;

	switch (kind) {
	case 0:	/* RST inside the window, never exactly rcv_nxt */
		s.flags = TH_RST;
		s.seq = t->rcv_nxt + 1 + rnd_below(t->rcv_wnd);
		break;
	case 1:	/* RST anywhere */
		s.flags = rnd_below(2) ? TH_RST : TH_RST | TH_ACK;
		s.seq = rnd();
		s.ack = rnd();
		if (s.seq == t->rcv_nxt)
			s.seq++;
		break;
	case 2:	/* SYN, in the window or not */
		s.flags = TH_SYN;
		s.seq = rnd_below(2) ? t->rcv_nxt + rnd_below(t->rcv_wnd) : rnd();
		break;
	case 3: /* data in the window, with an ACK far behind snd_una */
		/*
		 * Further back than any window the peer may have offered
		 * (RFC 5961 5.2: SND.UNA - MAX.SND.WND): with window scaling
		 * that is megabytes, and an ACK 70,000 bytes back, as this
		 * was before, made the data acceptable, for TCP as well.
		 */
		s.flags = TH_ACK | TH_PUSH;
		s.seq = t->rcv_nxt + rnd_below(t->rcv_wnd);
		s.ack = t->snd_una - MAX_WINDOW - 1 - rnd_below(1U << 30);
		len = 1 + rnd_below(512);
		break;
	default: /* an ACK of what may be in flight, outside the window */
		s.flags = TH_ACK;
		s.seq = t->rcv_nxt + t->rcv_wnd + 1 + rnd_below(1U << 30);
		s.ack = t->snd_una + rnd_below(1U << 17);
		break;
	}
	memset(seg, 0, sizeof(*th));
	th->th_sport = htons(s.sport);
	th->th_dport = htons(s.dport);
	th->th_seq = htonl(s.seq);
	th->th_ack = htonl(s.ack);
	th->th_flags = s.flags;
	th->th_win = htons(s.win);
	th->th_off = 5;
	memset(seg + sizeof(*th), 'X', len);
	wire_finish(w, &s, sizeof(*th) + len, false);
}

/*
 * An ICMP destination unreachable from @t's peer, @code (4: fragmentation
 * needed, next hop's MTU @mtu), quoting a segment of @t's at @seq.
 */
static void icmp_unreach(struct wire *w, const struct aim *t, uint8_t code,
			 uint16_t mtu, uint32_t seq)
{
	struct iphdr *iph = (struct iphdr *)w->buf;
	uint8_t *icmp = w->buf + sizeof(*iph);
	struct iphdr *quoted = (struct iphdr *)(icmp + 8);
	uint8_t *qth = (uint8_t *)(quoted + 1);
	uint16_t c;

	memset(w->buf, 0, sizeof(*iph) + 8 + sizeof(*quoted) + 8);
	icmp[0] = 3;				/* destination unreachable */
	icmp[1] = code;
	if (icmp[1] == 4) {
		icmp[6] = mtu >> 8;
		icmp[7] = mtu & 0xff;
	}
	quoted->version = 4;
	quoted->ihl = 5;
	quoted->tot_len = htons(1500);
	quoted->ttl = 64;
	quoted->protocol = clasp_proto();
	quoted->saddr = t->daddr;		/* the victim sent it */
	quoted->daddr = t->saddr;
	quoted->check = htons(clasp_csum(quoted, sizeof(*quoted), 0));
	memcpy(qth, &(uint16_t){ htons(t->dport) }, 2);
	memcpy(qth + 2, &(uint16_t){ htons(t->sport) }, 2);
	memcpy(qth + 4, &(uint32_t){ htonl(seq) }, 4);
	c = clasp_csum(icmp, 8 + sizeof(*quoted) + 8, 0);
	memcpy(icmp + 2, &(uint16_t){ htons(c) }, 2);

	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = IPPROTO_ICMP;
	iph->saddr = t->saddr;
	iph->daddr = t->daddr;
	iph->tot_len = htons(sizeof(*iph) + 8 + sizeof(*quoted) + 8);
	w->len = sizeof(*iph) + 8 + sizeof(*quoted) + 8;
}

/*
 * The same over IPv6 (RFC 4443): destination unreachable, @code (3:
 * address, 4: port), or packet too big with @mtu when @code is -1.
 */
static void icmp6_error(struct wire *w, const struct aim *t, int code,
			uint32_t mtu, uint32_t seq)
{
	enum { IP6_HLEN = 40, ICMP6_HLEN = 8, QUOTED_TH = 8 };
	size_t icmp_len = ICMP6_HLEN + IP6_HLEN + QUOTED_TH;
	uint8_t *icmp = w->buf + IP6_HLEN;
	uint8_t *quoted = icmp + ICMP6_HLEN;
	uint8_t *qth = quoted + IP6_HLEN;
	uint16_t c;

	memset(w->buf, 0, IP6_HLEN + icmp_len);
	icmp[0] = code < 0 ? 2 : 1;	/* packet too big, unreachable */
	icmp[1] = code < 0 ? 0 : code;
	if (code < 0)
		memcpy(icmp + 4, &(uint32_t){ htonl(mtu) }, 4);
	quoted[0] = 6 << 4;
	quoted[4] = 1500 >> 8;
	quoted[5] = 1500 & 0xff;
	quoted[6] = clasp_proto();
	quoted[7] = CLASP_HOP_LIMIT;
	memcpy(quoted + 8, &t->daddr6, 16);	/* the victim sent it */
	memcpy(quoted + 24, &t->saddr6, 16);
	memcpy(qth, &(uint16_t){ htons(t->dport) }, 2);
	memcpy(qth + 2, &(uint16_t){ htons(t->sport) }, 2);
	memcpy(qth + 4, &(uint32_t){ htonl(seq) }, 4);
	c = htons(clasp_csum6(&t->saddr6, &t->daddr6, IPPROTO_ICMPV6, icmp,
			      icmp_len));
	memcpy(icmp + 2, &c, 2);

	w->buf[0] = 6 << 4;
	w->buf[4] = icmp_len >> 8;
	w->buf[5] = icmp_len & 0xff;
	w->buf[6] = IPPROTO_ICMPV6;
	w->buf[7] = CLASP_HOP_LIMIT;
	memcpy(w->buf + 8, &t->saddr6, 16);
	memcpy(w->buf + 24, &t->daddr6, 16);
	w->len = IP6_HLEN + icmp_len;
}

/*
 * Path MTU @mtu is too small for @t's segments at @seq: fragmentation
 * needed (ICMP) or packet too big (ICMPv6), by @t's family.
 */
static void icmp_too_big(struct wire *w, const struct aim *t, uint32_t mtu,
			 uint32_t seq)
{
	if (clasp_v6())
		icmp6_error(w, t, -1, mtu, seq);
	else
		icmp_unreach(w, t, 4, mtu, seq);
}

/*
 * A random one: unreachable port or host (soft errors in ESTABLISHED) or
 * a smaller path MTU, about a sequence number in the flight or anywhere.
 * IPv6's packet too big is never below 1280 (RFC 8200 5).
 */
static void blind_icmp(struct wire *w, const struct aim *t)
{
	static const uint8_t codes[] = { 1, 3, 4 };	/* host, port, too big */
	static const uint8_t codes6[] = { 3, 4, 0 };	/* address, port, too big */
	uint32_t seq = rnd_below(2) ? t->snd_una + rnd_below(1U << 16) : rnd();
	unsigned int pick = rnd_below(sizeof(codes));

	if (pick == 2)
		icmp_too_big(w, t, (clasp_v6() ? 1280 : 552) + rnd_below(1000),
			     seq);
	else if (clasp_v6())
		icmp6_error(w, t, codes6[pick], 0, seq);
	else
		icmp_unreach(w, t, codes[pick], 0, seq);
}

/*
 * Guesses of @kinds (a bitmask) at both ends for @ms; returns how many.
 * With @streaming, data flows: TCP's sockets cannot then go into repair
 * mode to be aimed at again, and the guesses aim where the windows were.
 */
static uint64_t blind_attack(struct __test_metadata *_metadata,
			     FIXTURE_DATA(blind) *self, unsigned int kinds,
			     long long ms, bool streaming)
{
	long long t0 = clasp_now_ms();
	uint64_t guesses = 0;
	struct wire w;

	while (clasp_now_ms() - t0 < ms) {
		int i, kind;

		if (!streaming || !clasp_is_tcp()) {
			aim_at(self->cli, &self->at_cli);
			aim_at(self->srv, &self->at_srv);
		}
		for (i = 0; i < 64; i++) {
			do
				kind = rnd_below(6);
			while (!(kinds & (1 << kind)));
			if (kind == 5)
				blind_icmp(&w, i % 2 ? &self->at_cli : &self->at_srv);
			else
				blind_guess(&w, i % 2 ? &self->at_cli : &self->at_srv,
					    kind);
			if (wire_send(self->raw, &w))
				return guesses;
			guesses++;
		}
	}
	return guesses;
}

/*
 * First with the connection idle, so that an in-window RST can be sure
 * not to hit rcv_nxt exactly; then while data flows both ways, with RSTs
 * anywhere (one hits rcv_nxt with odds of 2^-32 a guess, as for TCP).
 */
TEST_F_TIMEOUT(blind, attacker_kills_and_corrupts_nothing, 120)
{
	long long chal0 = clasp_counter("ChallengeAcks");
	long long resets0 = clasp_counter("EstabResets");
	long long rsts0 = clasp_stat("RstsReceived");
	/*
	 * The budget of challenge ACKs each second is random, from half to
	 * one and a half times challenge_ack_limit (CVE-2016-5696), as TCP's.
	 */
	long long budget = CHALLENGE_LIMIT + (CHALLENGE_LIMIT + 1) / 2 - 1;
	long long t0 = clasp_now_ms(), secs, chal;
	uint64_t idle, busy;

	rng_state = (uint64_t)time(NULL) | 1;
	idle = blind_attack(_metadata, self, 1 << 0 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5,
			    clasp_slow_time(ATTACK_MS) / 3, false);
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(self->cli));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(self->srv));

	stream_start(&self->up, self->cli, self->srv, 0);
	stream_start(&self->down, self->srv, self->cli, 0);
	busy = blind_attack(_metadata, self, 1 << 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5,
			    2 * clasp_slow_time(ATTACK_MS) / 3, true);
	secs = (clasp_now_ms() - t0 + 999) / 1000;
	chal = clasp_counter("ChallengeAcks") - chal0;

	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(self->cli));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(self->srv));
	stream_finish(_metadata, &self->up, "client to server");
	stream_finish(_metadata, &self->down, "server to client");
	TH_LOG("%llu guesses idle, %llu busy, in %lld s; challenge ACKs %lld "
	       "(limit %d/s)", (unsigned long long)idle,
	       (unsigned long long)busy, secs, chal, CHALLENGE_LIMIT);
	TH_LOG("ICMP errors: %lld ignored (outside the flight), %lld soft, "
	       "%lld path MTU updates", clasp_counter("OutOfWindowIcmps"),
	       clasp_stat("IcmpSoftErrors"), clasp_stat("PmtuUpdates"));
	EXPECT_LT(1000, idle + busy);
	EXPECT_EQ(resets0, clasp_counter("EstabResets"));
	if (clasp_only_check("RstsReceived: TCP has no counter of resets received"))
		EXPECT_EQ(rsts0, clasp_stat("RstsReceived"));
	EXPECT_LT(0, chal);
	/* Budgets renew each second: a partial second at each end. */
	EXPECT_GE((secs + 1) * budget, chal);
}

/*
 * Fragmentation needed while the receiver holds data it has not yet
 * acknowledged.  Over loopback the receiver's queue holds the sender's
 * very transmissions, clones that share the queued segments' buffers,
 * and the smaller MSS cuts those segments in two: the cut must leave the
 * clones alone, and what the reader reads be what was written.  The
 * receiver delays its ACK (TCP_QUICKACK 0) so that the segment is still
 * unacknowledged when the error comes.
 */
TEST_F(blind, frag_needed_spares_what_the_receiver_holds)
{
	static char out[60000], in[sizeof(out)];
	int zero = 0, one = 1;
	size_t got = 0;
	struct wire w;
	ssize_t n;
	size_t i;

	for (i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + i / 251);
	ASSERT_EQ(0, setsockopt(self->srv, IPPROTO_TCP, TCP_NODELAY, &one,
				sizeof(one)));
	/* A first byte, acknowledged at once: the segment then goes alone. */
	ASSERT_EQ(1, send(self->srv, "x", 1, 0));
	ASSERT_EQ(1, recv(self->cli, in, 1, 0));
	clasp_sleep_ms(100);
	ASSERT_EQ(0, setsockopt(self->cli, IPPROTO_TCP, TCP_QUICKACK, &zero,
				sizeof(zero)));
	aim_at(self->srv, &self->at_srv);
	ASSERT_EQ(sizeof(out), send(self->srv, out, sizeof(out), 0));
	icmp_too_big(&w, &self->at_srv, clasp_v6() ? 1280 : 1000,
		     self->at_srv.snd_una);
	ASSERT_EQ(0, wire_send(self->raw, &w));
	while (got < sizeof(in)) {
		n = recv(self->cli, in + got, sizeof(in) - got, 0);
		ASSERT_LT(0, n) TH_LOG("recv: %s", n ? strerror(errno) : "EOF");
		got += n;
	}
	EXPECT_EQ(0, memcmp(in, out, sizeof(out)));
}

CLASP_HARNESS_MAIN
