// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_bench: connection workloads - the accept loop, connection rate,
 * connect() latency, bulk throughput and connections held for memory
 * accounting and dumps.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define SERVER_THREADS_MAX	64
#define BULK_CHUNK		65536

/*
 * Serve one connection until EOF.  A connection whose first byte is
 * RR_ECHO (rr's) gets back every byte it sends, so that each request has
 * its response; any other gets one byte back for its first read (crr,
 * legit), and the rest of its data is read and dropped (bulk).
 */
static void serve_conn(int fd)
{
	char buf[BULK_CHUNK];	/* per thread: echoed in rr mode */
	int first = 1, echo = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (first) {
			first = 0;
			echo = buf[0] == RR_ECHO;
			if (!echo && write(fd, "r", 1) != 1)
				break;
		}
		if (echo && write(fd, buf, n) != n)
			break;
	}
	close(fd);
}

static void *serve_thread(void *arg)
{
	int lfd = *(int *)arg, fd;

	while (!stop_requested()) {
		fd = accept(lfd, NULL, NULL);
		if (fd >= 0)
			serve_conn(fd);
		else if (errno != EINTR && errno != ECONNABORTED)
			sleep_ms(1);
	}
	return NULL;
}

/*
 * The accept loop: -L listeners on one port (SO_REUSEPORT when more than
 * one, so that each has its own queue and the kernel spreads SYNs), -c
 * threads taking turns among them.
 */
int cmd_serve(const struct bench_opts *o)
{
	pthread_t th[SERVER_THREADS_MAX];
	int lfd[SERVER_THREADS_MAX], i;
	int n = o->conc < SERVER_THREADS_MAX ? o->conc : SERVER_THREADS_MAX;
	int nl = o->listeners < n ? o->listeners : n;

	for (i = 0; i < nl; i++) {
		lfd[i] = listen_on(o, 4096);
		if (lfd[i] < 0) {
			perror("serve: listen");
			return 1;
		}
	}
	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, serve_thread, &lfd[i % nl]))
			return 1;
	printf("ready\n");
	wait_for_stop();
	/* The threads may sit in accept(): exiting ends them. */
	return 0;
}

/*
 * One request-response connection: connect, a byte there and a byte back,
 * then close (first, so TIME_WAIT is on this side).  The connect() time in
 * *@connect_ns.  0, or -1 with errno.
 */
static int one_crr(const struct bench_opts *o, uint64_t *connect_ns)
{
	const struct sockaddr *a;
	socklen_t len;
	uint64_t t0;
	ssize_t r;
	char c;
	int fd, ret = -1;

	a = dst_addr(o, &len);
	fd = stream_socket(o);
	if (fd < 0)
		return -1;
	t0 = now_ns();
	if (connect(fd, a, len))
		goto out;
	*connect_ns = now_ns() - t0;
	if (write(fd, "q", 1) != 1)
		goto out;
	r = read(fd, &c, 1);
	if (r != 1) {
		if (!r)
			errno = ECONNRESET;
		goto out;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

struct crr_run {
	const struct bench_opts *o;
	uint64_t deadline;
	atomic_long conns;
	atomic_long errors;
	atomic_int first_errno;
};

static void *crr_thread(void *arg)
{
	struct crr_run *r = arg;
	uint64_t ns;

	while (now_ns() < r->deadline) {
		if (!one_crr(r->o, &ns)) {
			atomic_fetch_add(&r->conns, 1);
			continue;
		}
		if (atomic_fetch_add(&r->errors, 1) == 0)
			atomic_store(&r->first_errno, errno);
	}
	return NULL;
}

int cmd_crr(const struct bench_opts *o)
{
	static struct crr_run r;
	pthread_t th[SERVER_THREADS_MAX];
	int i, n = o->conc < SERVER_THREADS_MAX ? o->conc : SERVER_THREADS_MAX;
	long long cpu0, cpu1;
	uint64_t t0, ns;

	r.o = o;
	bench_mark(o);
	cpu0 = kernel_cpu_ns();
	t0 = now_ns();
	r.deadline = t0 + o->duration_ms * 1000000ULL;
	for (i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, crr_thread, &r))
			return 1;
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	ns = now_ns() - t0;
	cpu1 = kernel_cpu_ns();
	bench_mark(o);
	if (r.errors)
		fprintf(stderr, "crr: %ld errors, the first: %s\n", (long)r.errors,
			strerror(r.first_errno));
	printf("rate %.1f conns %ld errors %ld kcpu_us_per_conn %.1f\n",
	       r.conns * 1e9 / ns, (long)r.conns, (long)r.errors,
	       per_unit_us(cpu0, cpu1, r.conns));
	return 0;
}

/*
 * rr: request/response on one open connection, as netperf's TCP_RR: a
 * 1-byte request, the server's 1-byte echo, the next request once the
 * response is in, for o->duration_ms.  Each transaction is timed; the
 * kernel CPU time of the whole guest (system + irq + softirq, both ends)
 * is divided by the transactions.
 */
#define RR_SAMPLES_MAX	(1L << 24)

int cmd_rr(const struct bench_opts *o)
{
	size_t cap = 65536, n = 0;
	uint64_t *lat = malloc(cap * sizeof(*lat)), t0, t, deadline, ns;
	const struct sockaddr *a;
	long long cpu0, cpu1;
	char c = RR_ECHO;
	socklen_t len;
	int fd;

	a = dst_addr(o, &len);
	fd = stream_socket(o);
	if (!lat || fd < 0 || connect(fd, a, len)) {
		perror("rr: connect");
		return 1;
	}
	/* The first exchange says "echo" and is not timed. */
	if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) {
		perror("rr: first exchange");
		return 1;
	}
	bench_mark(o);
	cpu0 = kernel_cpu_ns();
	t0 = now_ns();
	deadline = t0 + o->duration_ms * 1000000ULL;
	for (t = t0; t < deadline && n < RR_SAMPLES_MAX; ) {
		uint64_t start = t;

		if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1) {
			perror("rr: transaction");
			return 1;
		}
		t = now_ns();
		if (n == cap) {
			uint64_t *more = realloc(lat, 2 * cap * sizeof(*lat));

			if (!more)
				break;
			lat = more;
			cap *= 2;
		}
		lat[n++] = t - start;
	}
	ns = now_ns() - t0;
	cpu1 = kernel_cpu_ns();
	bench_mark(o);
	close(fd);
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("tps %.1f p50_us %.1f p99_us %.1f n %zu kcpu_us_per_tr %.2f\n",
	       n * 1e9 / ns, percentile(lat, n, 50) / 1e3,
	       percentile(lat, n, 99) / 1e3, n, per_unit_us(cpu0, cpu1, n));
	free(lat);
	return 0;
}

int cmd_latency(const struct bench_opts *o)
{
	uint64_t *ns = calloc(o->count, sizeof(*ns));
	long i, n = 0, errors = 0;

	if (!ns)
		return 1;
	for (i = 0; i < o->count; i++) {
		if (one_crr(o, &ns[n]))
			errors++;
		else
			n++;
	}
	qsort(ns, n, sizeof(*ns), cmp_u64);
	printf("p50_us %.1f p99_us %.1f p999_us %.1f n %ld errors %ld\n",
	       percentile(ns, n, 50) / 1e3, percentile(ns, n, 99) / 1e3,
	       percentile(ns, n, 99.9) / 1e3, n, errors);
	free(ns);
	return 0;
}

int cmd_bulk(const struct bench_opts *o)
{
	static char buf[BULK_CHUNK];
	uint64_t t0, deadline, ns;
	long long bytes = 0, cpu0, cpu1;
	const struct sockaddr *a;
	socklen_t len;
	ssize_t n;
	int fd;

	a = dst_addr(o, &len);
	fd = stream_socket(o);
	if (fd < 0 || connect(fd, a, len)) {
		perror("bulk: connect");
		return 1;
	}
	if (o->rate > 0) {
		unsigned int rate = o->rate > UINT_MAX - 1 ? UINT_MAX - 1 :
							     o->rate;

		if (setsockopt(fd, SOL_SOCKET, SO_MAX_PACING_RATE, &rate,
			       sizeof(rate))) {
			perror("bulk: SO_MAX_PACING_RATE");
			return 1;
		}
	}
	cpu0 = kernel_cpu_ns();
	t0 = now_ns();
	deadline = t0 + o->duration_ms * 1000000ULL;
	while (now_ns() < deadline) {
		n = write(fd, buf, sizeof(buf));
		if (n < 0) {
			perror("bulk: write");
			return 1;
		}
		bytes += n;
	}
	/* The data counts once the peer has read it all: its EOF says so. */
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	ns = now_ns() - t0;
	cpu1 = kernel_cpu_ns();
	close(fd);
	printf("mbyte_per_s %.2f bytes %lld kcpu_us_per_mb %.1f\n",
	       bytes * 1e3 / ns, bytes,
	       cpu0 < 0 || cpu1 < 0 || !bytes ? -1.0 :
	       (cpu1 - cpu0) / 1e3 / (bytes / 1e6));
	return 0;
}

/*
 * The server end of the connection client @c just made on @lfd: both ends
 * close with RST, their descriptors in @fds.  @c is closed on failure.
 */
static int accept_pair(int lfd, int c, int *fds)
{
	int s = accept(lfd, NULL, NULL);

	if (s < 0) {
		close(c);
		return -1;
	}
	set_linger0(c);
	set_linger0(s);
	fds[0] = c;
	fds[1] = s;
	return 0;
}

/*
 * Open connection @i from its own client address and port (bind_client()),
 * both ends; its two descriptors in @fds.
 */
static int hold_one(const struct bench_opts *o, int lfd, long i, int *fds)
{
	const struct sockaddr *a;
	socklen_t len;
	int c;

	a = dst_addr(o, &len);
	c = stream_socket(o);
	if (c < 0)
		return -1;
	if (bind_client(c, o, i) || connect(c, a, len)) {
		close(c);
		return -1;
	}
	return accept_pair(lfd, c, fds);
}

int cmd_hold(const struct bench_opts *o)
{
	long long before, after;
	long i, n = 0;
	int lfd, *fds;

	fds = calloc(2 * o->count, sizeof(*fds));
	if (!fds || raise_nofile(2 * o->count + 64)) {
		perror("hold: file limit");
		return 1;
	}
	lfd = listen_on(o, 4096);
	if (lfd < 0) {
		perror("hold: listen");
		return 1;
	}
	sleep_ms(200);
	before = slab_bytes();
	for (i = 0; i < o->count; i++) {
		if (hold_one(o, lfd, i, &fds[2 * n])) {
			perror("hold: connection");
			break;
		}
		n++;
	}
	sleep_ms(200);	/* let RCU return what setup freed */
	after = slab_bytes();
	printf("slab_per_socket %.0f sockets %ld\n",
	       n ? (double)(after - before) / (2 * n) : 0.0, 2 * n);
	if (o->wait)
		wait_for_stop();
	for (i = 0; i < 2 * n; i++)
		close(fds[i]);
	free(fds);
	return n == o->count ? 0 : 1;
}

/*
 * connscale: connect() latency with N connections already open in the
 * namespace.  A listener on 0.0.0.0:PORT; N connections to it made by
 * plain connect() (ephemeral ports), 30,000 to each of 127.0.0.1,
 * 127.0.0.2, ..., both ends held; then -c SAMPLES more to 127.0.0.1,
 * connect() timed, each accepted and both ends closed with RST.
 */
#define CONNSCALE_PER_DST 30000

static int connscale_one(const struct bench_opts *o, int lfd, long i,
			 int *fds, uint64_t *ns)
{
	struct sockaddr_in dst = o->dst;
	uint64_t t0;
	int c;

	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK + i / CONNSCALE_PER_DST);
	c = stream_socket(o);
	if (c < 0)
		return -1;
	t0 = now_ns();
	if (connect(c, (const struct sockaddr *)&dst, sizeof(dst))) {
		close(c);
		return -1;
	}
	if (ns)
		*ns = now_ns() - t0;
	return accept_pair(lfd, c, fds);
}

int cmd_connscale(const struct bench_opts *o)
{
	struct bench_opts lo = *o;
	long i, n = 0, samples = o->conc > 0 ? o->conc : 1000, got = 0;
	uint64_t t0, *ns;
	int lfd, *fds, pair[2];

	fds = calloc(2 * o->count + 2, sizeof(*fds));
	ns = calloc(samples, sizeof(*ns));
	if (!fds || !ns || raise_nofile(2 * o->count + 64)) {
		perror("connscale: file limit");
		return 1;
	}
	lo.dst.sin_addr.s_addr = htonl(INADDR_ANY);
	lfd = listen_on(&lo, 4096);
	if (lfd < 0) {
		perror("connscale: listen");
		return 1;
	}
	t0 = now_ns();
	for (i = 0; i < o->count; i++) {
		if (connscale_one(o, lfd, i, &fds[2 * n], NULL)) {
			perror("connscale: connection");
			break;
		}
		n++;
	}
	fprintf(stderr, "connscale: %ld connections in %.1f s\n", n,
		(now_ns() - t0) / 1e9);
	for (i = 0; i < samples; i++) {
		if (connscale_one(o, lfd, 0, pair, &ns[got]))
			continue;
		got++;
		close(pair[0]);
		close(pair[1]);
	}
	qsort(ns, got, sizeof(*ns), cmp_u64);
	printf("conns %ld p50_us %.1f p99_us %.1f p999_us %.1f n %ld errors %ld\n",
	       n, percentile(ns, got, 50) / 1e3, percentile(ns, got, 99) / 1e3,
	       percentile(ns, got, 99.9) / 1e3, got, samples - got);
	for (i = 0; i < 2 * n; i++)
		close(fds[i]);
	close(lfd);
	free(fds);
	free(ns);
	return n == o->count ? 0 : 1;
}
