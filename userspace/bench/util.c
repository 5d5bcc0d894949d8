// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_bench: time, sockets, percentiles and the kernel's own accounting
 * (/proc/slabinfo, /proc/stat, /proc/net files) that the workloads read.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * With -M, a system call that does nothing and that nothing else makes
 * (personality(2) asked for the current persona): scripts/icount's
 * plugin dumps its counters when the kernel enters it.
 */
void bench_mark(const struct bench_opts *o)
{
	if (o->mark)
		syscall(SYS_personality, 0xffffffffUL);
}

void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int stream_socket(const struct bench_opts *o)
{
	return socket(o->family, SOCK_STREAM, o->proto);
}

/* o->dst or o->dst6, by o->family; its length in *@len. */
const struct sockaddr *dst_addr(const struct bench_opts *o, socklen_t *len)
{
	if (o->family == AF_INET6) {
		*len = sizeof(o->dst6);
		return (const struct sockaddr *)&o->dst6;
	}
	*len = sizeof(o->dst);
	return (const struct sockaddr *)&o->dst;
}

/* The port of o->dst (host order). */
uint16_t dst_port(const struct bench_opts *o)
{
	return ntohs(o->dst.sin_port);
}

/* Set the port (host order) of o->dst and o->dst6 alike. */
void set_dst_port(struct bench_opts *o, uint16_t port)
{
	o->dst.sin_port = htons(port);
	o->dst6.sin6_port = htons(port);
}

/* A listener on o->dst (o->dst6 with -6) with SO_REUSEADDR, or -1. */
int listen_on(const struct bench_opts *o, int backlog)
{
	int fd = stream_socket(o), one = 1;
	const struct sockaddr *a;
	socklen_t len;

	if (fd < 0)
		return -1;
	a = dst_addr(o, &len);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (o->listeners > 1 &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) ||
	    bind(fd, a, len) || listen(fd, backlog)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Bind @fd to @addr:@port (both host order). */
int bind_addr(int fd, uint32_t addr, uint16_t port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(addr),
		.sin_port = htons(port),
	};

	return bind(fd, (struct sockaddr *)&a, sizeof(a));
}

/*
 * Bind @fd to client @i of the source network o->src (o->src6 with -6):
 * address 1 + i / 50000 of the network (IPv6: added to its low 32 bits),
 * port 10000 + i % 50000, so that every client has its own address and
 * port.  The caller routes the network to lo (127/8 is; an IPv6 one needs
 * a local route, `ip -6 route add local NET dev lo`, and
 * net.ipv6.ip_nonlocal_bind, since IPv6 binds only to an interface's
 * addresses).
 */
int bind_client(int fd, const struct bench_opts *o, long i)
{
	struct sockaddr_in6 a = {
		.sin6_family = AF_INET6,
		.sin6_addr = o->src6,
		.sin6_port = htons(10000 + i % 50000),
	};
	uint32_t low;

	if (o->family != AF_INET6)
		return bind_addr(fd, ntohl(o->src.s_addr) + 1 + i / 50000,
				 10000 + i % 50000);
	memcpy(&low, &a.sin6_addr.s6_addr[12], sizeof(low));
	low = htonl(ntohl(low) + 1 + i / 50000);
	memcpy(&a.sin6_addr.s6_addr[12], &low, sizeof(low));
	return bind(fd, (struct sockaddr *)&a, sizeof(a));
}

/* Allow @want open files (root may raise the hard limit up to nr_open). */
int raise_nofile(long want)
{
	struct rlimit rl = { want, want };

	return setrlimit(RLIMIT_NOFILE, &rl);
}

/* close() will abort with RST: no TIME_WAIT left behind. */
void set_linger0(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile @p (0..100) of @n sorted values. */
uint64_t percentile(const uint64_t *sorted, size_t n, double p)
{
	size_t rank;

	if (!n)
		return 0;
	rank = (size_t)(p / 100.0 * n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

/*
 * Bytes of every slab cache's objects in use: the sum of active_objs *
 * objsize over /proc/slabinfo.  Boot with slab_nomerge so that clasp's
 * and TCP's caches are not merged with others (the sum is right either
 * way; the per-cache lines are then readable too).
 */
long long slab_bytes(void)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512], name[128];
	long long active, total, size, sum = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld %lld %lld", name, &active, &total,
			   &size) == 4)
			sum += active * size;
	}
	fclose(f);
	return sum;
}

/*
 * The line of slab cache @name in /proc/slabinfo: its objects in use in
 * *@active and their size in *@objsize.  0, or -1 when there is no such
 * cache (merged into another without slab_nomerge, or not loaded).
 */
int slab_cache(const char *name, long long *active, long long *objsize)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512], n[128];
	long long a, total, size;
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld %lld %lld", n, &a, &total,
			   &size) == 4 && !strcmp(n, name)) {
			*active = a;
			*objsize = size;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/*
 * Kernel memory in use, in bytes: MemTotal - MemFree - the page cache
 * (Buffers, Cached) from /proc/meminfo.  Unlike slab_bytes() it sees what
 * the page allocator and vmalloc give directly too, such as a large hash
 * table's bucket array; it also sees everything else, so only large
 * deltas mean something.
 */
long long mem_used_bytes(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	long long total = -1, freek = -1, buffers = 0, cached = 0, v;
	char key[64];

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld kB\n", key, &v) == 2) {
		if (!strcmp(key, "MemTotal:"))
			total = v;
		else if (!strcmp(key, "MemFree:"))
			freek = v;
		else if (!strcmp(key, "Buffers:"))
			buffers = v;
		else if (!strcmp(key, "Cached:"))
			cached = v;
	}
	fclose(f);
	if (total < 0 || freek < 0)
		return -1;
	return (total - freek - buffers - cached) * 1024;
}

/* One counter of this namespace's /proc/net/clasp_stats, or -1. */
long long clasp_stat(const char *name)
{
	FILE *f = fopen("/proc/net/clasp_stats", "r");
	char key[64];
	long long val, ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &val) == 2) {
		if (!strcmp(key, name)) {
			ret = val;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* TCP's TIME_WAIT (and FIN_WAIT_2 timewait) sockets: sockstat's "tw". */
long long tcp_timewait_count(void)
{
	FILE *f = fopen("/proc/net/sockstat", "r");
	char line[256], *p;
	long long tw = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "TCP:", 4))
			continue;
		p = strstr(line, " tw ");
		if (p)
			tw = atoll(p + 4);
	}
	fclose(f);
	return tw;
}

/* TCP requests in SYN_RECV: the "03" lines of /proc/net/tcp. */
long long tcp_synrecv_count(void)
{
	FILE *f = fopen("/proc/net/tcp", "r");
	char line[256], st[8];
	long long n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %7s", st) == 1 && !strcmp(st, "03"))
			n++;
	}
	fclose(f);
	return n;
}

/* Kernel CPU time of all CPUs (system + irq + softirq), in USER_HZ ticks. */
long long kernel_cpu_ticks(void)
{
	FILE *f = fopen("/proc/stat", "r");
	long long user, nice, sys, idle, iowait, irq, softirq;
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld", &user, &nice,
		   &sys, &idle, &iowait, &irq, &softirq);
	fclose(f);
	return n == 7 ? sys + irq + softirq : -1;
}

/* kernel_cpu_ticks() in ns, or -1. */
long long kernel_cpu_ns(void)
{
	long long t = kernel_cpu_ticks();

	return t < 0 ? -1 : t * (1000000000LL / sysconf(_SC_CLK_TCK));
}

/* Kernel CPU from @cpu0 to @cpu1 (ns) per one of @n things, in us; -1 if unknown. */
double per_unit_us(long long cpu0, long long cpu1, long n)
{
	if (cpu0 < 0 || cpu1 < 0 || n <= 0)
		return -1;
	return (cpu1 - cpu0) / 1e3 / n;
}

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig __attribute__((unused)))
{
	stop_flag = 1;
}

void catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int stop_requested(void)
{
	return stop_flag;
}

void wait_for_stop(void)
{
	while (!stop_flag)
		pause();
}
