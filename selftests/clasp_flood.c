// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_flood: the socket work of clasp_flood_test.sh.
 *
 *   clasp_flood flood DST PORT SRCNET MIN MAX PPS
 *	SYNs to DST:PORT from a raw socket that writes the IP header, each
 *	from a random address of SRCNET, random port and ISN, MSS 1460.
 *	IPv4 (DST and SRCNET written so): an IP_HDRINCL socket, SRCNET a /16
 *	(e.g. 10.99.0.0).  IPv6: an AF_INET6 IPPROTO_RAW socket (which
 *	implies IPV6_HDRINCL), SRCNET a /64 (e.g. fd00:99::), the interface
 *	identifier random.  The protocol is CLASP_PROTO's, the checksum over
 *	the family's pseudo-header (clasp_ip_build()).
 *	Sends at most PPS a second (0: as fast as it can), at least MIN and at
 *	most MAX; between the two it stops on SIGTERM.  Prints "flooding" once
 *	the first batch left, "sent N" every second, and at the end
 *	"done sent N ms T pps R errors E".
 *
 *   clasp_flood server PORT BACKLOG
 *	A clasp listener on PORT of the wildcard address of CLASP_FAMILY
 *	(0.0.0.0, or :: with CLASP_FAMILY=6) with that backlog that accepts
 *	every connection and echoes what it reads until EOF.  Until SIGUSR1 it keeps
 *	the connections the peer has closed open (in CLOSE_WAIT, so counted
 *	by CurrEstab); SIGUSR1 closes them and later ones close at EOF.
 *	Prints "ready", "released N" and "accepted N" when SIGTERM ends it.
 *
 *   clasp_flood clients DST PORT COUNT PARALLEL TIMEOUT_MS
 *	COUNT connections to DST (of either family), PARALLEL at a time;
 *	each must connect, send a line and read it back within TIMEOUT_MS.
 *	Prints one "# fail" line per failure and "ok N fail M avg_ms A
 *	max_ms X".
 *
 *   clasp_flood watch INTERVAL_MS
 *	Until SIGTERM, every INTERVAL_MS prints "T GLOBAL OBJECTS CURRESTAB":
 *	the time in milliseconds (CLOCK_REALTIME, as bash's EPOCHREALTIME),
 *	the global object count (/sys/module/clasp/parameters/objects, one
 *	atomic) and two gauges of this namespace's /proc/net/clasp_stats
 *	(per-CPU sums, each read on its own).  CLASP_PROTO=6: TCP has no
 *	object count; GLOBAL and OBJECTS are then both the sockets of this
 *	namespace in /proc/net/tcp and /proc/net/tcp6 but TIME_WAIT ones
 *	(which last a fixed 60 s): listeners, requests and connections; and
 *	CURRESTAB those of them that are neither listeners nor requests,
 *	from the same reads, so that OBJECTS - CURRESTAB is the listeners
 *	and their requests at one moment.  (A request is a SYN_RECV line of
 *	get_openreq4()'s or get_openreq6()'s 12 fields, counted once: a
 *	file is read in chunks, and an entry may show twice when others
 *	come and go meanwhile; a full socket still in SYN_RECV has 17 and
 *	counts as a connection, as clasp's.)
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/random.h>

#include "clasp_seg.h"

#define BATCH	32

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static long long realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 0x2545f4914f6cdd1dULL) >> 32;
}

/* The largest datagram: IPv6's header, clasp's, the MSS option. */
#define PKT_MAX	(CLASP_IP6_HLEN + 20 + CLASP_OPTLEN_MSS)

static int do_flood(int argc, char **argv)
{
	static uint8_t pkts[BATCH][PKT_MAX];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct clasp_sockaddr dst, net;
	struct clasp_seg syn = {
		.flags = TH_SYN, .win = 65535, .mss = 1460,
	};
	long long min, max, pps, sent = 0, errors = 0, t0, next_report;
	uint32_t srcnet = 0;
	int fd, i, one = 1, reported = 0;
	bool v6;

	if (argc != 8)
		return 2;
	dst = clasp_sockaddr(argv[2], 0);
	net = clasp_sockaddr(argv[4], 0);
	v6 = dst.sa.sa_family == AF_INET6;
	if (dst.sa.sa_family == AF_UNSPEC ||
	    net.sa.sa_family != dst.sa.sa_family)
		return 2;
	syn.v6 = v6;
	syn.dport = atoi(argv[3]);
	if (v6) {
		syn.daddr6 = dst.in6.sin6_addr;
		syn.saddr6 = net.in6.sin6_addr;
	} else {
		syn.daddr = dst.in.sin_addr.s_addr;
		srcnet = ntohl(net.in.sin_addr.s_addr) & 0xffff0000;
	}
	min = atoll(argv[5]);
	max = atoll(argv[6]);
	pps = atoll(argv[7]);
	if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state))
		return 1;
	rng_state |= 1;

	/* Either socket sends the IP header it is given, any source in it. */
	fd = socket(dst.sa.sa_family, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || (!v6 && setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one,
					 sizeof(one)))) {
		perror("raw socket");
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = pkts[i];
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &dst.sa;
		msgs[i].msg_hdr.msg_namelen = dst.len;
	}

	catch_signals();
	t0 = clasp_now_ms();
	next_report = t0 + 1000;
	while (sent < max && !(stop && sent >= min)) {
		int n = BATCH, done;

		if (max - sent < n)
			n = max - sent;
		for (i = 0; i < n; i++) {
			if (v6) {
				/* a random interface identifier, never 0 */
				uint32_t hi = rnd(), lo = rnd() | 1;

				syn.saddr6.s6_addr32[2] = hi;
				syn.saddr6.s6_addr32[3] = lo;
			} else {
				/* host part 1..65534 of the /16 */
				syn.saddr = htonl(srcnet | (1 + rnd() % 65534));
			}
			syn.sport = 1024 + rnd() % 64000;
			syn.seq = rnd();
			iov[i].iov_len = clasp_ip_build(&syn, pkts[i],
							sizeof(pkts[i]));
		}
		done = sendmmsg(fd, msgs, n, 0);
		if (done < 0) {
			if (errno != ENOBUFS && errno != EINTR) {
				perror("sendmmsg");
				return 1;
			}
			errors++;
			clasp_sleep_ms(1);
			continue;
		}
		sent += done;
		if (!reported) {
			printf("flooding\n");
			fflush(stdout);
			reported = 1;
		}
		if (clasp_now_ms() >= next_report) {
			printf("sent %lld\n", sent);
			fflush(stdout);
			next_report += 1000;
		}
		if (pps > 0) {
			long long due = t0 + sent * 1000 / pps;
			long long now = clasp_now_ms();

			if (due > now)
				clasp_sleep_ms(due - now);
		}
	}
	{
		long long ms = clasp_now_ms() - t0;

		printf("done sent %lld ms %lld pps %lld errors %lld\n", sent, ms,
		       ms ? sent * 1000 / ms : 0, errors);
	}
	return 0;
}

#define MAX_CONNS	1024

static volatile sig_atomic_t release;

static void on_release(int sig)
{
	release = 1;
}

static int do_server(int argc, char **argv)
{
	static struct pollfd pfd[MAX_CONNS + 1];
	static int held[MAX_CONNS];
	struct sigaction sa = { .sa_handler = on_release };
	struct clasp_sockaddr a;
	long long accepted = 0;
	int lis, n = 1, nheld = 0, i;

	if (argc != 4)
		return 2;
	a = clasp_sockaddr(clasp_any(), atoi(argv[2]));
	lis = clasp_socket();
	if (lis < 0 || bind(lis, &a.sa, a.len) ||
	    listen(lis, atoi(argv[3])) || fcntl(lis, F_SETFL, O_NONBLOCK)) {
		perror("listener");
		return 1;
	}
	catch_signals();
	sigaction(SIGUSR1, &sa, NULL);
	pfd[0].fd = lis;
	pfd[0].events = POLLIN;
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		if (release == 1) {
			for (i = 0; i < nheld; i++)
				close(held[i]);
			printf("released %d\n", nheld);
			fflush(stdout);
			nheld = 0;
			release = 2;
		}
		if (poll(pfd, n, 200) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return 1;
		}
		if (pfd[0].revents & POLLIN) {
			int fd;

			while (n + nheld <= MAX_CONNS &&
			       (fd = accept4(lis, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
				pfd[n].fd = fd;
				pfd[n].events = POLLIN;
				pfd[n].revents = 0;
				n++;
				accepted++;
			}
		}
		for (i = 1; i < n; i++) {
			char buf[256];
			ssize_t r;

			if (!pfd[i].revents)
				continue;
			r = recv(pfd[i].fd, buf, sizeof(buf), 0);
			if (r > 0) {
				/* a line of a few bytes: the window has room */
				send(pfd[i].fd, buf, r, MSG_NOSIGNAL | MSG_DONTWAIT);
				continue;
			}
			if (r < 0 && errno == EAGAIN)
				continue;
			/* Until SIGUSR1, keep it open: no LAST_ACK, no TIME_WAIT. */
			if (release)
				close(pfd[i].fd);
			else
				held[nheld++] = pfd[i].fd;
			pfd[i] = pfd[--n];
			i--;
		}
	}
	printf("accepted %lld\n", accepted);
	return 0;
}

struct clients {
	struct clasp_sockaddr dst;
	int count, timeout_ms;
	atomic_int next, ok;
	pthread_mutex_t lock;
	long long sum_ms, max_ms;
};

/* One connection: connect, a line there and back, close.  NULL if fine. */
static const char *one_client(struct clients *c, int idx, int *err)
{
	long long end = clasp_now_ms() + c->timeout_ms;
	char line[64], back[64];
	size_t len, got = 0;
	struct pollfd pfd;
	socklen_t elen = sizeof(*err);
	int fd;

	*err = 0;
	fd = socket(c->dst.sa.sa_family, SOCK_STREAM, clasp_proto());
	if (fd < 0) {
		*err = errno;
		return "socket";
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, &c->dst.sa, c->dst.len) &&
	    errno != EINPROGRESS) {
		*err = errno;
		close(fd);
		return "connect";
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, c->timeout_ms) != 1) {
		close(fd);
		return "connect timed out";
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, err, &elen) || *err) {
		close(fd);
		return "connect failed";
	}
	len = snprintf(line, sizeof(line), "legit connection %d\n", idx);
	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len) {
		*err = errno;
		close(fd);
		return "send";
	}
	while (got < len) {
		long long left = end - clasp_now_ms();
		ssize_t r;

		pfd.events = POLLIN;
		if (left <= 0 || poll(&pfd, 1, left) != 1) {
			close(fd);
			return "echo timed out";
		}
		r = recv(fd, back + got, sizeof(back) - got, 0);
		if (r <= 0) {
			*err = r ? errno : 0;
			close(fd);
			return "echo lost";
		}
		got += r;
	}
	close(fd);
	return memcmp(line, back, len) ? "echo differs" : NULL;
}

static void *client_thread(void *arg)
{
	struct clients *c = arg;
	int idx;

	while ((idx = atomic_fetch_add(&c->next, 1)) < c->count) {
		long long t0 = clasp_now_ms(), ms;
		const char *why;
		int err;

		why = one_client(c, idx, &err);
		ms = clasp_now_ms() - t0;
		pthread_mutex_lock(&c->lock);
		if (why) {
			printf("# fail %d: %s%s%s after %lld ms\n", idx, why,
			       err ? ": " : "", err ? strerror(err) : "", ms);
		} else {
			atomic_fetch_add(&c->ok, 1);
			c->sum_ms += ms;
			if (ms > c->max_ms)
				c->max_ms = ms;
		}
		fflush(stdout);
		pthread_mutex_unlock(&c->lock);
	}
	return NULL;
}

static int do_clients(int argc, char **argv)
{
	static struct clients c;
	pthread_t th[64];
	int i, par, ok;

	if (argc != 7)
		return 2;
	c.dst = clasp_sockaddr(argv[2], atoi(argv[3]));
	if (c.dst.sa.sa_family == AF_UNSPEC)
		return 2;
	c.count = atoi(argv[4]);
	par = atoi(argv[5]);
	c.timeout_ms = atoi(argv[6]);
	if (par < 1 || par > 64)
		return 2;
	pthread_mutex_init(&c.lock, NULL);
	for (i = 0; i < par; i++)
		if (pthread_create(&th[i], NULL, client_thread, &c))
			return 1;
	for (i = 0; i < par; i++)
		pthread_join(th[i], NULL);
	ok = atomic_load(&c.ok);
	printf("ok %d fail %d avg_ms %lld max_ms %lld\n", ok, c.count - ok,
	       ok ? c.sum_ms / ok : 0, c.max_ms);
	return 0;
}

/* FNV-1a of @len bytes at @p, on from @h. */
static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *c = p;

	while (len--)
		h = (h ^ *c++) * 0x100000001b3ULL;
	return h;
}

/*
 * TCP: the sockets in /proc/net/tcp and /proc/net/tcp6 but TIME_WAIT
 * ones into @objects, and those of them neither listeners nor requests
 * into @estab.  A request is known by its remote address and port and its
 * local port.
 */
static int tcp_objects(long long *objects, long long *estab)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	static uint64_t req[65536];
	unsigned int st, lp, rp;
	char line[512], ra[33];
	int nreq = 0, i, k;

	*objects = *estab = 0;
	for (k = 0; k < 2; k++) {
		FILE *f = fopen(files[k], "r");

		if (!f) {
			*objects = *estab = -1;
			return -1;
		}
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, " %*d: %*32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %x",
				   &lp, ra, &rp, &st) != 4 || st == TCP_TIME_WAIT)
				continue;
			if (st == TCP_SYN_RECV) {
				uint64_t key = fnv(0xcbf29ce484222325ULL, ra,
						   strlen(ra));

				key = fnv(key, &rp, sizeof(rp));
				key = fnv(key, &lp, sizeof(lp));
				for (i = 0; i < nreq && req[i] != key; i++)
					;
				if (i < nreq)
					continue;	/* listed twice */
				if (nreq < 65536)
					req[nreq++] = key;
			}
			(*objects)++;
			if (st == TCP_LISTEN)
				continue;
			if (st == TCP_SYN_RECV) {
				char *tok, *save;
				int n = 0;

				for (tok = strtok_r(line, " \t\n", &save); tok;
				     tok = strtok_r(NULL, " \t\n", &save))
					n++;
				if (n < 17)
					continue;	/* a request */
			}
			(*estab)++;
		}
		fclose(f);
	}
	return 0;
}

/* Objects and CurrEstab of this namespace, in one read. */
static int read_gauges(long long *objects, long long *estab)
{
	FILE *f;
	char key[64];
	long long val;

	if (clasp_is_tcp())
		return tcp_objects(objects, estab);
	f = fopen("/proc/net/clasp_stats", "r");
	*objects = *estab = -1;
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &val) == 2) {
		if (!strcmp(key, "Objects"))
			*objects = val;
		else if (!strcmp(key, "CurrEstab"))
			*estab = val;
	}
	fclose(f);
	return 0;
}

static int do_watch(int argc, char **argv)
{
	long long objects, estab;
	int ms;

	if (argc != 3)
		return 2;
	ms = atoi(argv[2]);
	catch_signals();
	while (!stop) {
		long long global = clasp_is_tcp() ? -1 : clasp_param_get("objects");

		read_gauges(&objects, &estab);
		if (clasp_is_tcp())
			global = objects;
		printf("%lld %lld %lld %lld\n", realtime_ms(), global, objects,
		       estab);
		clasp_sleep_ms(ms);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int ret = 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "flood"))
		ret = do_flood(argc, argv);
	else if (argc >= 2 && !strcmp(argv[1], "server"))
		ret = do_server(argc, argv);
	else if (argc >= 2 && !strcmp(argv[1], "clients"))
		ret = do_clients(argc, argv);
	else if (argc >= 2 && !strcmp(argv[1], "watch"))
		ret = do_watch(argc, argv);
	if (ret == 2)
		fprintf(stderr, "usage: see the comment at the top of clasp_flood.c\n");
	return ret;
}
