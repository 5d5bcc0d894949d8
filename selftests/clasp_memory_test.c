// SPDX-License-Identifier: GPL-2.0
/*
 * Socket memory in aggregate: clasp's memory pool (the module parameters
 * mem_{min,pressure,max}_pages, as TCP's tcp_mem) and memory cgroups.
 *
 * pool_*: many connections whose readers do not read fill the pool past
 * its hard limit.  The limit holds (what /proc/net/protocols shows stays
 * near it), the pool is under pressure, and once the readers read every
 * byte arrives intact and the pool empties.
 *
 * memcg_*: the buffers of sockets a program in a memory cgroup made or
 * accepted are charged to that cgroup (memory.current), and uncharged
 * when the data is read.
 *
 * With CLASP_PROTO=6 the same tests run against TCP, with tcp_mem in
 * place of clasp's parameters: the test itself is shown right.
 */
#include "clasp_conn.h"

/* Limits far below what the connections would use, far above slack. */
#define POOL_MIN	600
#define POOL_PRESSURE	800
#define POOL_MAX	1000
/*
 * Each CPU keeps up to 1 MiB of charges out of the pool's count
 * (SK_MEMORY_PCPU_RESERVE), and one charge may cross the limit before
 * it is refused: what the count may read past the hard limit.
 */
#define POOL_SLACK	(2 * 256 + 64)

#define CONNS		48
#define TARGET		(256 * 1024)	/* bytes per connection */
/*
 * A write into an empty write queue is charged whatever the pool says
 * (TCP's forced charge), and so is a receive queue's first buffer: each
 * connection may pass the limit by what one write carries.  Writes of one
 * page keep that within POOL_SLACK's last 64 pages for 48 connections;
 * 64 KiB writes made it up to 16 pages each, and the pool read as much as
 * 1,668 pages, past the bound, one run in three.
 */
#define CHUNK		4096

/* /proc/net/protocols: the pool's pages and pressure for @proto, or -1. */
static long long pool_read(bool *press)
{
	const char *name = clasp_is_tcp() ? "TCP" : "CLASP";
	char line[512], prot[32], pr[8];
	long long size, socks, mem;
	FILE *f = fopen("/proc/net/protocols", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %lld %lld %lld %7s", prot, &size, &socks,
			   &mem, pr) == 5 && !strcmp(prot, name)) {
			fclose(f);
			if (press)
				*press = !strcmp(pr, "yes");
			return mem;
		}
	}
	fclose(f);
	return -1;
}

/*
 * The pool's limits: clasp's global module parameters, or tcp_mem (only
 * the initial namespace has it: @tcp_mem is opened there, before the
 * test leaves it).
 */
static int pool_set(int tcp_mem, const long long lim[3])
{
	char text[96];
	int n;

	if (!clasp_is_tcp())
		return clasp_param_set("mem_min_pages", lim[0]) ||
		       clasp_param_set("mem_pressure_pages", lim[1]) ||
		       clasp_param_set("mem_max_pages", lim[2]) ? -1 : 0;
	n = snprintf(text, sizeof(text), "%lld %lld %lld\n", lim[0], lim[1],
		     lim[2]);
	return pwrite(tcp_mem, text, n, 0) == n ? 0 : -1;
}

static int pool_get(int tcp_mem, long long lim[3])
{
	char text[96] = "";

	if (!clasp_is_tcp()) {
		lim[0] = clasp_param_get("mem_min_pages");
		lim[1] = clasp_param_get("mem_pressure_pages");
		lim[2] = clasp_param_get("mem_max_pages");
		return lim[0] > 0 && lim[1] > 0 && lim[2] > 0 ? 0 : -1;
	}
	if (pread(tcp_mem, text, sizeof(text) - 1, 0) <= 0)
		return -1;
	return sscanf(text, "%lld %lld %lld", &lim[0], &lim[1], &lim[2]) == 3 ?
	       0 : -1;
}

struct flow {
	int cli, srv;
	size_t sent, got;
};

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Send what @f still has to send, until the socket takes no more. */
static int flow_send(struct flow *f, uint32_t seed)
{
	uint8_t buf[CHUNK];

	while (f->sent < TARGET) {
		size_t n = TARGET - f->sent < CHUNK ? TARGET - f->sent : CHUNK;
		ssize_t w;

		clasp_fill(buf, n, f->sent, seed);
		w = send(f->cli, buf, n, MSG_DONTWAIT);
		if (w < 0)
			return errno == EAGAIN ? 0 : -1;
		f->sent += w;
	}
	return 0;
}

/* Read what has arrived for @f and check it; -1 on corrupt data. */
static int flow_recv(struct flow *f, uint32_t seed)
{
	uint8_t buf[CHUNK], want[CHUNK];

	for (;;) {
		ssize_t r = recv(f->srv, buf, sizeof(buf), MSG_DONTWAIT);

		if (r < 0)
			return errno == EAGAIN ? 0 : -1;
		if (r == 0)
			return f->got == TARGET ? 0 : -1;
		clasp_fill(want, r, f->got, seed);
		if (memcmp(buf, want, r))
			return -1;
		f->got += r;
	}
}

FIXTURE(pool) {
	int tcp_mem;
	long long saved[3];
	bool restore;
};

FIXTURE_SETUP(pool)
{
	self->restore = false;
	self->tcp_mem = -1;
	if (clasp_is_tcp()) {
		self->tcp_mem = open("/proc/sys/net/ipv4/tcp_mem", O_RDWR);
		ASSERT_LE(0, self->tcp_mem) TH_LOG("tcp_mem: %s", strerror(errno));
	}
	ASSERT_EQ(0, pool_get(self->tcp_mem, self->saved)) {
		TH_LOG("the pool's limits cannot be read");
	}
	self->restore = true;
}

FIXTURE_TEARDOWN(pool)
{
	if (self->restore)
		pool_set(self->tcp_mem, self->saved);
	if (self->tcp_mem >= 0)
		close(self->tcp_mem);
}

TEST_F_TIMEOUT(pool, limit_holds_and_the_pool_recovers, 300)
{
	static const long long limits[3] = { POOL_MIN, POOL_PRESSURE, POOL_MAX };
	static const struct param over[] = {
		/* Refused data costs retransmissions: many, and soon. */
		{ "retries", 30 },
		{ "rto_max_ms", 1000 },
		{ NULL, 0 }
	};
	long long pressures, drops, peak = 0, now, end;
	struct flow flows[CONNS];
	bool press = false, pressed = false;
	uint16_t port;
	int lis, i, done;

	fresh_netns(_metadata, over);
	pressures = clasp_counter("MemoryPressures");
	drops = clasp_counter("RcvQDrops");
	lis = listener(_metadata, &port);
	for (i = 0; i < CONNS; i++) {
		make_pair(_metadata, lis, port, &flows[i].cli, &flows[i].srv);
		set_nonblock(flows[i].cli);
		set_nonblock(flows[i].srv);
		flows[i].sent = flows[i].got = 0;
	}
	ASSERT_EQ(0, pool_set(self->tcp_mem, limits));

	/* Fill: every writer writes until its socket or the pool says no. */
	for (i = 0; i < CONNS; i++)
		ASSERT_EQ(0, flow_send(&flows[i], i)) {
			TH_LOG("send on connection %d: %s", i, strerror(errno));
		}
	clasp_sleep_ms(clasp_slow_time(200));
	now = pool_read(&press);
	TH_LOG("pool full: %lld pages (limit %d), pressure %s, %zu of %d bytes sent",
	       now, POOL_MAX, press ? "yes" : "no", flows[0].sent, TARGET);
	EXPECT_LT(POOL_PRESSURE, now);
	EXPECT_GE(POOL_MAX + POOL_SLACK, now);
	EXPECT_TRUE(press);
	EXPECT_LT(pressures, clasp_counter("MemoryPressures"));

	/* Drain: readers read, writers write the rest; all of it arrives. */
	end = clasp_now_ms() + clasp_slow_time(120000);
	do {
		done = 0;
		for (i = 0; i < CONNS; i++) {
			ASSERT_EQ(0, flow_recv(&flows[i], i)) {
				TH_LOG("connection %d: bad data or error at %zu: %s",
				       i, flows[i].got, strerror(errno));
			}
			ASSERT_EQ(0, flow_send(&flows[i], i));
			done += flows[i].got == TARGET;
		}
		now = pool_read(&press);
		peak = now > peak ? now : peak;
		pressed |= press;
		if (done < CONNS)
			clasp_sleep_ms(5);
	} while (done < CONNS && clasp_now_ms() < end);
	TH_LOG("drained: %d of %d connections complete, peak %lld pages", done,
	       CONNS, peak);
	ASSERT_EQ(CONNS, done);
	EXPECT_GE(POOL_MAX + POOL_SLACK, peak);
	if (clasp_only_check("RcvQDrops: TCP collapses its queues instead"))
		EXPECT_LT(drops, clasp_counter("RcvQDrops"));

	/*
	 * Closed: the pool empties (but for what the CPUs' reserves still
	 * hold back, either way) and pressure ends.
	 */
	for (i = 0; i < CONNS; i++) {
		close(flows[i].cli);
		close(flows[i].srv);
	}
	close(lis);
	ASSERT_TRUE(clasp_wait_until(pool_read(&press) < POOL_SLACK &&
				     !press, 10000)) {
		TH_LOG("pool after close: %lld pages, pressure %s",
		       pool_read(&press), press ? "yes" : "no");
	}
}

/*
 * The buffers are charged to the memory cgroup of the program.  The
 * cgroup's count (memory.current) also holds up to 64 pages per CPU of
 * charges cached ahead and each socket's reserve of less than a page:
 * the amounts queued are far larger.
 */
#define MEMCG		"clasp_memory_test"
#define MEMCG_CONNS	48
#define MEMCG_BYTES	(48 * 1024)	/* per connection: inside the window */

FIXTURE(memcg) {
	int dir;
};

FIXTURE_SETUP(memcg)
{
	self->dir = clasp_cgroup_enter(MEMCG, "+memory");
	if (self->dir < 0 && (errno == ENOENT || errno == EINVAL))
		SKIP(return, "no memory controller in cgroup v2: %s",
		     strerror(errno));
	ASSERT_LE(0, self->dir) TH_LOG("cgroup2: %s", strerror(errno));
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->dir >= 0)
		close(self->dir);
	clasp_cgroup_leave(MEMCG);
}

TEST_F_TIMEOUT(memcg, socket_buffers_are_charged_to_the_cgroup, 120)
{
	static uint8_t buf[MEMCG_BYTES];
	long long before, full, after;
	struct flow flows[MEMCG_CONNS];
	size_t queued = 0;
	uint16_t port;
	int lis, i;

	fresh_netns(_metadata, NULL);
	lis = listener(_metadata, &port);
	for (i = 0; i < MEMCG_CONNS; i++) {
		make_pair(_metadata, lis, port, &flows[i].cli, &flows[i].srv);
		set_nonblock(flows[i].cli);
	}
	memset(buf, 'm', sizeof(buf));
	before = clasp_cgroup_read(MEMCG, "memory.current");
	ASSERT_LT(0, before);

	/* Each reader's queue holds what the writer sent, unread. */
	for (i = 0; i < MEMCG_CONNS; i++)
		ASSERT_EQ(MEMCG_BYTES, send(flows[i].cli, buf, MEMCG_BYTES, 0));
	for (i = 0; i < MEMCG_CONNS; i++) {
		int inq = 0;

		ASSERT_TRUE(clasp_wait_until(!ioctl(flows[i].srv, SIOCINQ, &inq) &&
					     inq == MEMCG_BYTES, SOON_MS));
		queued += inq;
	}
	full = clasp_cgroup_read(MEMCG, "memory.current");
	TH_LOG("memory.current: %lld before, %lld with %zu bytes queued",
	       before, full, queued);
	EXPECT_LE(before + (long long)queued / 2, full);

	/* Read: the charge goes away. */
	for (i = 0; i < MEMCG_CONNS; i++)
		read_exact(_metadata, flows[i].srv, buf, MEMCG_BYTES);
	ASSERT_TRUE(clasp_wait_until((after = clasp_cgroup_read(MEMCG,
					"memory.current")) < full - (long long)queued / 2,
				     SOON_MS)) {
		TH_LOG("memory.current after reading: %lld", after);
	}
	TH_LOG("memory.current after reading: %lld", after);
	for (i = 0; i < MEMCG_CONNS; i++) {
		close(flows[i].cli);
		close(flows[i].srv);
	}
	close(lis);
}

CLASP_HARNESS_MAIN
