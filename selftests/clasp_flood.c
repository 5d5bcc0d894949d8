// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_flood: the socket work of clasp_flood_test.sh.
 *
 *   clasp_flood flood DST PORT SRCNET MIN MAX PPS
 *	SYNs to DST:PORT from a raw IP_HDRINCL socket, each from a random
 *	address of SRCNET/16 (e.g. 10.99.0.0), random port and ISN, MSS 1460.
 *	Sends at most PPS a second (0: as fast as it can), at least MIN and at
 *	most MAX; between the two it stops on SIGTERM.  Prints "flooding" once
 *	the first batch left, "sent N" every second, and at the end
 *	"done sent N ms T pps R errors E".
 *
 *   clasp_flood server PORT BACKLOG
 *	A clasp listener on 0.0.0.0:PORT with that backlog that accepts every
 *	connection and echoes what it reads until EOF.  Until SIGUSR1 it keeps
 *	the connections the peer has closed open (in CLOSE_WAIT, so counted
 *	by CurrEstab); SIGUSR1 closes them and later ones close at EOF.
 *	Prints "ready", "released N" and "accepted N" when SIGTERM ends it.
 *
 *   clasp_flood clients DST PORT COUNT PARALLEL TIMEOUT_MS
 *	COUNT connections, PARALLEL at a time; each must connect, send a
 *	line and read it back within TIMEOUT_MS.  Prints one "# fail" line per
 *	failure and "ok N fail M avg_ms A max_ms X".
 *
 *   clasp_flood watch INTERVAL_MS
 *	Until SIGTERM, every INTERVAL_MS prints "T GLOBAL OBJECTS CURRESTAB":
 *	the time in milliseconds (CLOCK_REALTIME, as bash's EPOCHREALTIME),
 *	the global object count (/sys/module/clasp/parameters/objects, one
 *	atomic) and two gauges of this namespace's /proc/net/clasp_stats
 *	(per-CPU sums, each read on its own).  CLASP_PROTO=6: TCP has no
 *	object count; GLOBAL and OBJECTS are then both the sockets of this
 *	namespace in /proc/net/tcp but TIME_WAIT ones (which last a fixed
 *	60 s): listeners, requests and connections; and CURRESTAB those of
 *	them that are neither listeners nor requests, from the same read,
 *	so that OBJECTS - CURRESTAB is the listeners and their requests at
 *	one moment.  (A request is a SYN_RECV line of get_openreq4()'s
 *	12 fields, counted once: /proc/net/tcp is read in chunks, and an
 *	entry may show twice when others come and go meanwhile; a full
 *	socket still in SYN_RECV has 17 and counts as a connection, as
 *	clasp's.)
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/random.h>

#include "clasp_util.h"

#define BATCH	32
#define PKT_LEN	(20 + 20 + 4)	/* IP, clasp header, MSS option */

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

static uint32_t sum16(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;

	for (; len > 1; p += 2, len -= 2)
		sum += (p[0] << 8) | p[1];
	if (len)
		sum += p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* One SYN from @saddr:@sport with ISN @seq, IP header included. */
static void make_syn(uint8_t *pkt, uint32_t saddr, uint32_t daddr,
		     uint16_t sport, uint16_t dport, uint32_t seq)
{
	struct iphdr *iph = (struct iphdr *)pkt;
	struct tcphdr *th = (struct tcphdr *)(pkt + 20);
	uint8_t *opt = pkt + 40, pseudo[12];
	uint32_t sum;

	memset(pkt, 0, PKT_LEN);
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons(PKT_LEN);
	iph->ttl = 64;
	iph->protocol = clasp_proto();
	iph->saddr = saddr;
	iph->daddr = daddr;
	/* id and header checksum: the kernel fills them in */

	th->th_sport = htons(sport);
	th->th_dport = htons(dport);
	th->th_seq = htonl(seq);
	th->th_off = 6;
	th->th_flags = TH_SYN;
	th->th_win = htons(65535);
	opt[0] = 2;
	opt[1] = 4;
	opt[2] = 1460 >> 8;
	opt[3] = 1460 & 0xff;

	memcpy(pseudo, &saddr, 4);
	memcpy(pseudo + 4, &daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = clasp_proto();
	pseudo[10] = 0;
	pseudo[11] = PKT_LEN - 20;
	sum = sum16(pseudo, sizeof(pseudo), 0);
	th->th_sum = htons(fold(sum16(th, PKT_LEN - 20, sum)));
}

static int do_flood(int argc, char **argv)
{
	static uint8_t pkts[BATCH][PKT_LEN];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	uint32_t daddr, srcnet;
	long long min, max, pps, sent = 0, errors = 0, t0, next_report;
	uint16_t dport;
	struct in_addr a;
	int fd, i, one = 1, reported = 0;

	if (argc != 8 || !inet_pton(AF_INET, argv[2], &a))
		return 2;
	daddr = a.s_addr;
	dport = atoi(argv[3]);
	if (!inet_pton(AF_INET, argv[4], &a))
		return 2;
	srcnet = ntohl(a.s_addr) & 0xffff0000;
	min = atoll(argv[5]);
	max = atoll(argv[6]);
	pps = atoll(argv[7]);
	if (getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state))
		return 1;
	rng_state |= 1;

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one))) {
		perror("raw socket");
		return 1;
	}
	dst.sin_addr.s_addr = daddr;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = pkts[i];
		iov[i].iov_len = PKT_LEN;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
	}

	catch_signals();
	t0 = clasp_now_ms();
	next_report = t0 + 1000;
	while (sent < max && !(stop && sent >= min)) {
		int n = BATCH, done;

		if (max - sent < n)
			n = max - sent;
		for (i = 0; i < n; i++) {
			/* host part 1..65534 of the /16 */
			uint32_t host = 1 + rnd() % 65534;

			make_syn(pkts[i], htonl(srcnet | host), daddr,
				 1024 + rnd() % 64000, dport, rnd());
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
	struct sockaddr_in a = { .sin_family = AF_INET };
	long long accepted = 0;
	int lis, n = 1, nheld = 0, i;

	if (argc != 4)
		return 2;
	a.sin_port = htons(atoi(argv[2]));
	lis = clasp_socket();
	if (lis < 0 || bind(lis, (struct sockaddr *)&a, sizeof(a)) ||
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
	struct sockaddr_in dst;
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
	fd = clasp_socket();
	if (fd < 0) {
		*err = errno;
		return "socket";
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&c->dst, sizeof(c->dst)) &&
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

	if (argc != 7 || !inet_pton(AF_INET, argv[2], &c.dst.sin_addr))
		return 2;
	c.dst.sin_family = AF_INET;
	c.dst.sin_port = htons(atoi(argv[3]));
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

/*
 * TCP: the sockets in /proc/net/tcp but TIME_WAIT ones into @objects, and
 * those of them neither listeners nor requests into @estab.
 */
static int tcp_objects(long long *objects, long long *estab)
{
	static unsigned long long req[65536];
	FILE *f = fopen("/proc/net/tcp", "r");
	unsigned int st, la, lp, ra, rp;
	char line[256];
	int nreq = 0, i;

	*objects = *estab = -1;
	if (!f)
		return -1;
	*objects = *estab = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*d: %x:%x %x:%x %x", &la, &lp, &ra, &rp,
			   &st) != 5 || st == TCP_TIME_WAIT)
			continue;
		if (st == TCP_SYN_RECV) {
			unsigned long long key = (unsigned long long)ra << 32 |
						 rp << 16 | lp;

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
