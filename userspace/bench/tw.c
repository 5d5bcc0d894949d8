// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_bench tw: TIME_WAIT at scale.
 *
 * Threads open loopback connections from distinct client addresses and
 * ports (CLIENT_NET + 1 + i / 50000, port 10000 + i % 50000) and close the
 * client end first, so each leaves one TIME_WAIT entry.  A sampler counts
 * the entries created (by the threads) and alive (by the kernel: TCP's
 * sockstat "tw", clasp's Objects) every SAMPLE_MS, then, once creation is
 * over, until every entry has gone.  It reports:
 *   entries      entries alive once creation ended
 *   slab_per_tw  slab bytes held per entry then
 *   mem_per_tw   kernel memory held per entry then (mem_used_bytes():
 *		  slab, and hash-table bucket arrays that come from the page
 *		  allocator or vmalloc)
 *   create_us_per_tw
 *		  creation time per entry: connect, accept, close both ends
 *   create_s     how long creation took
 *   create_us_first10, create_us_last10
 *		  creation time per entry over the first and the last tenth
 *		  of the entries: with the table nearly empty, and nearly
 *		  full.  Each connection's segments are looked up in the
 *		  table that holds the entries, and its entry inserted, so
 *		  the two compare lookup and insertion at either size
 *   expire_cpu_ns_per_tw
 *		  kernel CPU time (system + irq + softirq of all CPUs) while
 *		  the entries went: from the last sample before they started
 *		  to go to the first after the last had, less the idle rate
 *		  measured the same way for 5 s before creation, per entry
 *		  that went meanwhile ("-" if none did).  Only the expiry's
 *		  own seconds: over the whole lifetime, the idle rate's error
 *		  outweighed what expiry costs.  The ticks are 10 ms, and the
 *		  window lasts about as long as creation did, so the error
 *		  stays a few microseconds per entry at any size
 *   late_p50_ms, late_p99_ms, late_max_ms
 *		  how long after (creation + LIFETIME_MS) the entries went,
 *		  over 1000 quantiles of creation order (one sample of
 *		  resolution either way); negative is early
 *   gone         entries that went before the deadline of LIFETIME_MS +
 *		  30 s after the end of creation
 *   entry_cache  the slab cache of the protocol's entries of this family:
 *		  clasp_tw or clasp_tw6, TCP's tw_sock_TCP or tw_sock_TCPv6
 *   entry_objs   objects that cache gained during creation
 *   entry_size   the size of one of its objects (its objsize), when it
 *		  gained at least half as many objects as there are entries
 *		  (slabinfo's count of objects in use is approximate); -1 if
 *		  not (the entries are elsewhere, or the cache was merged:
 *		  boot with slab_nomerge)
 *
 * -6: IPv6, o->dst6 and client addresses from o->src6.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define SAMPLE_MS	20
#define IDLE_MS		5000
#define TW_THREADS_MAX	8
#define QUANTILES	1000
#define GRACE_MS	30000
#define CACHE_MIN_PCT	50

struct tw_sample {
	uint64_t t;		/* ns */
	long long cpu;		/* kernel_cpu_ticks() */
	long created;
	long alive;
};

struct tw_run {
	const struct bench_opts *o;
	int nthreads;
	atomic_long created;
	atomic_long failed;
	atomic_int threads_done;
	struct tw_sample *s;
	size_t ns, cap;
	const char *cache;	/* the entries' slab cache */
	long long cache_objs;	/* objects it gained during creation */
	long long objsize;	/* its object size, -1 if unknown */
};

/* The slab cache of @o's TIME_WAIT entries, for its protocol and family. */
static const char *tw_cache_name(const struct bench_opts *o)
{
	if (o->proto == IPPROTO_TCP)
		return o->family == AF_INET6 ? "tw_sock_TCPv6" : "tw_sock_TCP";
	return o->family == AF_INET6 ? "clasp_tw6" : "clasp_tw";
}

struct tw_thread {
	struct tw_run *run;
	struct bench_opts o;	/* the options, with this thread's port */
	int idx;
	int lfd;
};

/* Entries alive in this namespace now (clasp: less the listeners). */
static long alive_now(const struct tw_run *r, int listeners)
{
	if (r->o->proto == IPPROTO_TCP)
		return tcp_timewait_count();
	return clasp_stat("Objects") - listeners;
}

/*
 * Connection @i from its own client address and port (bind_client()) to
 * o->dst, whose listener is @lfd, closed client first.
 */
static int tw_one(const struct bench_opts *o, int lfd, long i)
{
	const struct sockaddr *dst;
	socklen_t len;
	char buf[16];
	int c, s;

	dst = dst_addr(o, &len);
	c = stream_socket(o);
	if (c < 0)
		return -1;
	if (bind_client(c, o, i) || connect(c, dst, len)) {
		close(c);
		return -1;
	}
	s = accept(lfd, NULL, NULL);
	close(c);
	if (s < 0)
		return -1;
	/* Wait for the FIN: then our close is a LAST_ACK, not a second TW. */
	while (read(s, buf, sizeof(buf)) > 0)
		;
	close(s);
	return 0;
}

static void *tw_thread_fn(void *arg)
{
	struct tw_thread *t = arg;
	struct tw_run *r = t->run;
	long i;

	for (i = t->idx; i < r->o->count && !stop_requested(); i += r->nthreads) {
		if (tw_one(&t->o, t->lfd, i)) {
			if (atomic_fetch_add(&r->failed, 1) == 0)
				perror("tw: connection");
			continue;
		}
		atomic_fetch_add(&r->created, 1);
	}
	atomic_fetch_add(&r->threads_done, 1);
	return NULL;
}

static int record(struct tw_run *r, int listeners)
{
	struct tw_sample *s;

	if (r->ns == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 4096;
		s = realloc(r->s, r->cap * sizeof(*s));
		if (!s)
			return -1;
		r->s = s;
	}
	s = &r->s[r->ns++];
	s->t = now_ns();
	s->cpu = kernel_cpu_ticks();
	s->created = atomic_load(&r->created);
	s->alive = alive_now(r, listeners);
	return 0;
}

/* Kernel CPU ticks a second while only the sampler runs. */
static double idle_ticks_per_s(struct tw_run *r, int listeners)
{
	long long t0 = kernel_cpu_ticks(), t1;
	uint64_t start = now_ns(), ns;
	size_t keep = r->ns;

	while (now_ns() - start < IDLE_MS * 1000000ULL) {
		/* What record() reads, so that its own cost is in the rate. */
		alive_now(r, listeners);
		kernel_cpu_ticks();
		sleep_ms(SAMPLE_MS);
	}
	t1 = kernel_cpu_ticks();
	ns = now_ns() - start;
	r->ns = keep;
	return (t1 - t0) * 1e9 / ns;
}

static int start_threads(struct tw_run *r, struct tw_thread *t, pthread_t *th)
{
	int i;

	for (i = 0; i < r->nthreads; i++) {
		t[i].o = *r->o;
		set_dst_port(&t[i].o, dst_port(r->o) + i);
		t[i].run = r;
		t[i].idx = i;
		t[i].lfd = listen_on(&t[i].o, 4096);
		if (t[i].lfd < 0) {
			perror("tw: listen");
			return -1;
		}
	}
	for (i = 0; i < r->nthreads; i++)
		if (pthread_create(&th[i], NULL, tw_thread_fn, &t[i]))
			return -1;
	return 0;
}

/* First sample index from @from on whose field (created or expired) >= @k. */
static size_t first_reaching(const struct tw_run *r, size_t from, long k,
			     int expired)
{
	size_t i;

	for (i = from; i < r->ns; i++) {
		long v = expired ? r->s[i].created - r->s[i].alive : r->s[i].created;

		if (v >= k)
			return i;
	}
	return r->ns;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Lateness of quantile entries: the k-th entry is created at the first
 * sample that counts k created and gone at the first that counts k
 * expired.  Fills @late (ns) and returns how many quantiles expired.
 */
static size_t lateness(const struct tw_run *r, long total, int64_t *late)
{
	uint64_t life = r->o->expect_ms * 1000000ULL;
	size_t q, n = 0, ci = 0, ei = 0;

	for (q = 1; q <= QUANTILES; q++) {
		long k = (long)((double)total * q / QUANTILES);

		if (k < 1)
			continue;
		ci = first_reaching(r, ci, k, 0);
		ei = first_reaching(r, ei, k, 1);
		if (ci == r->ns || ei == r->ns)
			break;
		late[n++] = (int64_t)(r->s[ei].t - r->s[ci].t) - (int64_t)life;
	}
	qsort(late, n, sizeof(*late), cmp_i64);
	return n;
}

/*
 * Creation time per entry (us) from the first sample that counts @from
 * entries created to the first that counts @to.
 */
static double create_us_between(const struct tw_run *r, long from, long to)
{
	size_t a = from ? first_reaching(r, 0, from, 0) : 0;
	size_t b = first_reaching(r, a, to, 0);

	if (a == r->ns || b == r->ns || r->s[b].created <= r->s[a].created)
		return 0;
	return (r->s[b].t - r->s[a].t) / 1e3 /
	       (r->s[b].created - r->s[a].created);
}

/*
 * Kernel CPU (ns) per entry of the expiry itself: from the last sample
 * before the entries alive at sample @from started to go to the first
 * that found none (or the last one), less @idle ticks a second, divided
 * by the entries that went in between, into @buf; "-" if none went.
 * "Started": fewer by more than a thousandth, so that one object freed
 * late does not open the window at @from.
 */
static void expire_cpu_ns_per_tw(const struct tw_run *r, size_t from,
				 double idle, char *buf, size_t size)
{
	long start = r->s[from].alive, slack = start / 1000 > 1 ? start / 1000 : 1;
	size_t a = from, b;
	double ticks;

	while (a + 1 < r->ns && r->s[a + 1].alive >= start - slack)
		a++;
	for (b = a; b + 1 < r->ns && r->s[b].alive > 0; b++)
		;
	if (r->s[b].alive >= r->s[a].alive) {
		snprintf(buf, size, "-");
		return;
	}
	ticks = (r->s[b].cpu - r->s[a].cpu) - idle * (r->s[b].t - r->s[a].t) / 1e9;
	snprintf(buf, size, "%.0f", ticks * 1e9 / sysconf(_SC_CLK_TCK) /
		 (r->s[a].alive - r->s[b].alive));
}

static void report(const struct tw_run *r, long entries, long long slab_delta,
		   long long mem_delta, double create_s, const char *expire,
		   long total)
{
	static int64_t late[QUANTILES];
	size_t n = lateness(r, total, late);
	long gone = total - r->s[r->ns - 1].alive;
	long long size = r->objsize;

	if (size >= 0 && (entries <= 0 ||
			  r->cache_objs * 100 < (long long)entries * CACHE_MIN_PCT)) {
		fprintf(stderr, "tw: %s gained %lld objects for %ld entries: not"
			" where the entries are\n", r->cache, r->cache_objs, entries);
		size = -1;
	}
	printf("entries %ld slab_per_tw %.0f mem_per_tw %.0f create_s %.1f"
	       " create_us_per_tw %.1f create_us_first10 %.1f"
	       " create_us_last10 %.1f expire_cpu_ns_per_tw %s"
	       " late_p50_ms %.1f late_p99_ms %.1f late_max_ms %.1f gone %ld"
	       " created %ld failed %ld entry_cache %s entry_objs %lld"
	       " entry_size %lld\n",
	       entries, entries ? (double)slab_delta / entries : 0.0,
	       entries ? (double)mem_delta / entries : 0.0, create_s,
	       total ? create_s * 1e6 / total : 0.0,
	       create_us_between(r, 0, total / 10),
	       create_us_between(r, total - total / 10, total),
	       expire,
	       n ? late[n / 2] / 1e6 : 0.0, n ? late[(n * 99) / 100] / 1e6 : 0.0,
	       n ? late[n - 1] / 1e6 : 0.0, gone, total, (long)r->failed,
	       r->cache, r->cache_objs, size);
}

/* Sample until every entry has gone, or the deadline passes. */
static int watch_expiry(struct tw_run *r, uint64_t deadline)
{
	do {
		sleep_ms(SAMPLE_MS);
		if (record(r, 0))
			return -1;
	} while (r->s[r->ns - 1].alive > 0 && now_ns() < deadline);
	return 0;
}

int cmd_tw(const struct bench_opts *o)
{
	static struct tw_run r;
	struct tw_thread t[TW_THREADS_MAX];
	pthread_t th[TW_THREADS_MAX];
	long long slab0, slab1, mem0, mem1, objs0 = 0, objs1 = 0;
	uint64_t t_start, t_end;
	char expire[32];
	size_t watch_from;
	double idle;
	long entries, total;
	int i;

	r.o = o;
	r.nthreads = o->conc < TW_THREADS_MAX ? o->conc : TW_THREADS_MAX;
	r.cache = tw_cache_name(o);
	r.objsize = -1;
	idle = idle_ticks_per_s(&r, r.nthreads);
	slab_cache(r.cache, &objs0, &r.objsize);
	slab0 = slab_bytes();
	mem0 = mem_used_bytes();
	t_start = now_ns();
	if (start_threads(&r, t, th))
		return 1;
	while (atomic_load(&r.threads_done) < r.nthreads) {
		if (record(&r, r.nthreads))
			return 1;
		sleep_ms(SAMPLE_MS);
	}
	/* The moment creation ended, for create_us_between(). */
	if (record(&r, r.nthreads))
		return 1;
	for (i = 0; i < r.nthreads; i++) {
		pthread_join(th[i], NULL);
		close(t[i].lfd);
	}
	t_end = now_ns();
	total = atomic_load(&r.created);
	sleep_ms(100);	/* RCU: freed sockets back in their caches */
	slab1 = slab_bytes();
	mem1 = mem_used_bytes();
	if (slab_cache(r.cache, &objs1, &r.objsize))
		r.objsize = -1;
	r.cache_objs = objs1 - objs0;
	watch_from = r.ns;
	if (record(&r, 0))
		return 1;
	entries = r.s[r.ns - 1].alive;
	if (watch_expiry(&r, t_end + (o->expect_ms + GRACE_MS) * 1000000ULL))
		return 1;
	expire_cpu_ns_per_tw(&r, watch_from, idle, expire, sizeof(expire));
	report(&r, entries, slab1 - slab0, mem1 - mem0, (t_end - t_start) / 1e9,
	       expire, total);
	return 0;
}
