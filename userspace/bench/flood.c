// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_bench: SYN floods - crafted SYNs from spoofed sources through a
 * raw socket, the memory a half-open request holds, and legitimate clients
 * connecting meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define SYN_BATCH	64
#define SYN_LEN		(20 + 20 + 4)	/* IP, TCP-layout header, MSS option */

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static uint32_t csum_add(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;

	for (; len > 1; p += 2, len -= 2)
		sum += (p[0] << 8) | p[1];
	if (len)
		sum += p[0] << 8;
	return sum;
}

/*
 * A SYN with an MSS option, IP header included, from @saddr:@sport to
 * @daddr:@dport (network order) for protocol @proto.  Both protocols use
 * TCP's header layout and checksum.
 */
static void build_syn(uint8_t *pkt, int proto, uint32_t saddr, uint32_t daddr,
		      uint16_t sport, uint16_t dport, uint32_t seq)
{
	struct iphdr *iph = (struct iphdr *)pkt;
	struct tcphdr *th = (struct tcphdr *)(pkt + sizeof(*iph));
	uint8_t *opt = (uint8_t *)(th + 1);
	uint8_t pseudo[12] = { 0 };

	memset(pkt, 0, SYN_LEN);
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons(SYN_LEN);
	iph->ttl = 64;
	iph->protocol = proto;
	iph->saddr = saddr;
	iph->daddr = daddr;
	th->th_sport = sport;
	th->th_dport = dport;
	th->th_seq = htonl(seq);
	th->th_off = 6;
	th->th_flags = TH_SYN;
	th->th_win = htons(65535);
	opt[0] = TCPOPT_MAXSEG;
	opt[1] = TCPOLEN_MAXSEG;
	opt[2] = 1460 >> 8;
	opt[3] = 1460 & 0xff;
	memcpy(pseudo, &saddr, 4);
	memcpy(pseudo + 4, &daddr, 4);
	pseudo[9] = proto;
	pseudo[11] = SYN_LEN - sizeof(*iph);
	th->th_sum = htons(csum_fold(csum_add(th, SYN_LEN - sizeof(*iph),
					      csum_add(pseudo, 12, 0))));
}

static __thread uint64_t rng;	/* per flooder thread */

static uint32_t rnd32(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (rng * 0x2545f4914f6cdd1dULL) >> 32;
}

static int seed_rng(void)
{
	if (getrandom(&rng, sizeof(rng), 0) != sizeof(rng))
		return -1;
	rng |= 1;
	return 0;
}

/*
 * A flooder's send buffer: larger than the input backlog it feeds can
 * hold (net.core.netdev_max_backlog).  A SYN stays charged to its sender
 * until IP on the listener's CPU takes it from that backlog, or the
 * backlog drops it: with the default buffer (about 200 SYNs) the flooder
 * waited for the listener and never outran it.  32 MiB asked (the kernel
 * doubles it); SO_SNDBUFFORCE needs CAP_NET_ADMIN, and without it
 * SO_SNDBUF stops at net.core.wmem_max, which is said.
 */
#define FLOOD_SNDBUF	(32 << 20)

static void flood_sndbuf(int fd)
{
	int v = FLOOD_SNDBUF;
	socklen_t len = sizeof(v);

	if (!setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		return;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	if (!getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len))
		fprintf(stderr, "synflood: send buffer %d bytes only: the listener may"
			" hold the flooder back\n", v);
}

/* A raw socket that sends whole IP packets. */
static int raw_sender(void)
{
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW), one = 1;

	if (fd >= 0 && setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one))) {
		close(fd);
		return -1;
	}
	return fd;
}

struct syn_batch {
	uint8_t pkt[SYN_BATCH][SYN_LEN];
	struct iovec iov[SYN_BATCH];
	struct mmsghdr msg[SYN_BATCH];
	struct sockaddr_in dst;
};

static void batch_init(struct syn_batch *b, const struct bench_opts *o)
{
	int i;

	memset(b, 0, sizeof(*b));
	b->dst = o->dst;
	b->dst.sin_port = 0;
	for (i = 0; i < SYN_BATCH; i++) {
		b->iov[i].iov_base = b->pkt[i];
		b->iov[i].iov_len = SYN_LEN;
		b->msg[i].msg_hdr.msg_iov = &b->iov[i];
		b->msg[i].msg_hdr.msg_iovlen = 1;
		b->msg[i].msg_hdr.msg_name = &b->dst;
		b->msg[i].msg_hdr.msg_namelen = sizeof(b->dst);
	}
}

/* Send the first @n packets of @b; how many left, or -1. */
static int batch_send(int fd, struct syn_batch *b, int n)
{
	int done = sendmmsg(fd, b->msg, n, 0);

	if (done < 0 && (errno == ENOBUFS || errno == EINTR || errno == EAGAIN))
		return 0;
	return done;
}

/* Fill @b with @n SYNs from random hosts and ports of o->src/16. */
static void batch_fill_random(struct syn_batch *b, const struct bench_opts *o, int n)
{
	uint32_t net = ntohl(o->src.s_addr) & 0xffff0000;
	int i;

	for (i = 0; i < n; i++)
		build_syn(b->pkt[i], o->proto, htonl(net | (1 + rnd32() % 65534)),
			  o->dst.sin_addr.s_addr, htons(1024 + rnd32() % 64000),
			  o->dst.sin_port, rnd32());
}

/* Sleep as needed to keep @sent SYNs since @t0 at @rate a second. */
static void pace(long rate, uint64_t t0, long long sent)
{
	uint64_t due, now;

	if (rate <= 0)
		return;
	due = t0 + sent * 1000000000ULL / rate;
	now = now_ns();
	if (due > now + 1000000)
		sleep_ms((due - now) / 1000000);
}

#define FLOOD_THREADS_MAX	8

struct flood_run {
	const struct bench_opts *o;
	long rate;		/* per thread */
	uint64_t t0, end;
	atomic_llong sent;
	atomic_llong errors;
	atomic_int failed;
};

/* One flooder: its own raw socket, batch and random numbers. */
static void *flood_thread(void *arg)
{
	struct flood_run *r = arg;
	struct syn_batch *b = malloc(sizeof(*b));
	long long sent = 0, errors = 0;
	int fd = raw_sender(), done;

	if (!b || fd < 0 || seed_rng()) {
		perror("synflood: raw socket");
		atomic_store(&r->failed, 1);
		goto out;
	}
	flood_sndbuf(fd);
	batch_init(b, r->o);
	while (now_ns() < r->end && !stop_requested()) {
		batch_fill_random(b, r->o, SYN_BATCH);
		done = batch_send(fd, b, SYN_BATCH);
		if (done < 0) {
			perror("synflood: sendmmsg");
			atomic_store(&r->failed, 1);
			break;
		}
		if (!done)
			errors++;
		sent += done;
		pace(r->rate, r->t0, sent);
	}
out:
	atomic_fetch_add(&r->sent, sent);
	atomic_fetch_add(&r->errors, errors);
	if (fd >= 0)
		close(fd);
	free(b);
	return NULL;
}

int cmd_synflood(const struct bench_opts *o)
{
	static struct flood_run r;
	pthread_t th[FLOOD_THREADS_MAX];
	int i, n = o->conc < FLOOD_THREADS_MAX ? o->conc : FLOOD_THREADS_MAX;

	r.o = o;
	r.rate = o->rate > 0 ? (o->rate + n - 1) / n : 0;
	r.t0 = now_ns();
	r.end = r.t0 + o->duration_ms * 1000000ULL;
	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, flood_thread, &r))
			return 1;
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	printf("sent %lld ms %.0f errors %lld threads %d\n", (long long)r.sent,
	       (now_ns() - r.t0) / 1e6, (long long)r.errors, n);
	return r.failed;
}

/* Half-open requests of this namespace now. */
static long long count_requests(const struct bench_opts *o)
{
	if (o->proto == IPPROTO_TCP)
		return tcp_synrecv_count();
	return clasp_stat("Objects") - 1;	/* less the listener */
}

/* SYN @i of synmem: host 1 + i % 65000 of o->src/16, a port per round. */
static void synmem_fill(struct syn_batch *b, const struct bench_opts *o,
			long first, int n)
{
	uint32_t net = ntohl(o->src.s_addr) & 0xffff0000;
	long i;

	for (i = 0; i < n; i++) {
		long k = first + i;

		build_syn(b->pkt[i], o->proto, htonl(net | (1 + k % 65000)),
			  o->dst.sin_addr.s_addr, htons(20000 + k / 65000),
			  o->dst.sin_port, rnd32());
	}
}

/*
 * Wait (10 s at most) until the request count stops growing, once it has
 * started to: the SYNs may still wait in the backlog queue.
 */
static long long settle_requests(const struct bench_opts *o)
{
	long long prev = -1, now = count_requests(o);
	int i;

	for (i = 0; i < 100 && (now != prev || now <= 0) && now < o->count; i++) {
		sleep_ms(100);
		prev = now;
		now = count_requests(o);
	}
	return now;
}

int cmd_synmem(const struct bench_opts *o)
{
	static struct syn_batch b;
	long long before, after, reqs;
	long sent = 0;
	int fd, lfd, n, done;

	lfd = listen_on(o, o->count);
	fd = raw_sender();
	if (lfd < 0 || fd < 0 || seed_rng()) {
		perror("synmem: sockets");
		return 1;
	}
	batch_init(&b, o);
	sleep_ms(200);
	before = slab_bytes();
	while (sent < o->count) {
		n = o->count - sent < SYN_BATCH ? o->count - sent : SYN_BATCH;
		synmem_fill(&b, o, sent, n);
		done = batch_send(fd, &b, n);
		if (done < 0) {
			perror("synmem: sendmmsg");
			return 1;
		}
		sent += done;
		if (done < n)
			sleep_ms(1);
	}
	reqs = settle_requests(o);
	after = slab_bytes();
	printf("slab_per_request %.0f requests %lld sent %ld\n",
	       reqs > 0 ? (double)(after - before) / reqs : 0.0, reqs, sent);
	close(lfd);
	return reqs > 0 ? 0 : 1;
}

/* Wait for @events on @fd until @deadline (ns); 1 when ready. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	uint64_t now = now_ns();

	if (now >= deadline)
		return 0;
	return poll(&p, 1, (deadline - now) / 1000000 + 1) == 1;
}

/* One legitimate connection within o->timeout_ms; 0 if it worked. */
static int legit_one(const struct bench_opts *o)
{
	uint64_t deadline = now_ns() + o->timeout_ms * 1000000ULL;
	socklen_t len = sizeof(int);
	int fd, err = -1;
	char c;

	fd = stream_socket(o);
	if (fd < 0)
		return -1;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (const struct sockaddr *)&o->dst, sizeof(o->dst)) &&
	    errno != EINPROGRESS)
		goto out;
	if (!wait_fd(fd, POLLOUT, deadline) ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		err = -1;
		goto out;
	}
	err = -1;
	if (write(fd, "q", 1) == 1 && wait_fd(fd, POLLIN, deadline) &&
	    read(fd, &c, 1) == 1)
		err = 0;
out:
	close(fd);
	return err;
}

struct legit_run {
	const struct bench_opts *o;
	atomic_long next;
	atomic_long ok;
};

static void *legit_thread(void *arg)
{
	struct legit_run *r = arg;

	while (atomic_fetch_add(&r->next, 1) < r->o->count)
		if (!legit_one(r->o))
			atomic_fetch_add(&r->ok, 1);
	return NULL;
}

int cmd_legit(const struct bench_opts *o)
{
	static struct legit_run r;
	pthread_t th[64];
	int i, n = o->conc < 64 ? o->conc : 64;

	r.o = o;
	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, legit_thread, &r))
			return 1;
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	printf("ok %ld fail %ld\n", (long)r.ok, o->count - (long)r.ok);
	return 0;
}
