// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_xfer: a byte-stream pump for clasp_veth_test.sh.
 *
 *   clasp_xfer server PORT            accept one connection, read it to EOF
 *   clasp_xfer client ADDR PORT BYTES send BYTES of test data, then EOF
 *   clasp_xfer sink PORT MS           accept one connection, count what
 *                                     arrives in the MS milliseconds after
 *                                     its first byte, then close
 *   clasp_xfer connect ADDR PORT      connect only, report how it went
 *   clasp_xfer simopen LPORT ADDR RPORT GOFILE
 *                                     bind LPORT, say "bound", wait for
 *                                     GOFILE to hold a CLOCK_REALTIME time
 *                                     in ms, connect to ADDR:RPORT then (no
 *                                     listener: only a simultaneous open
 *                                     succeeds)
 *
 * server prints "ready" once listening, then "mss N" and
 * "bytes N fnv HASH"; sink "ready", then "bytes N ms T"; client prints "mss N" and "bytes N fnv HASH ms T",
 * HASH being the 64-bit FNV-1a of the whole stream.  connect prints
 * "connected ms T" or "error ERRNO_NAME ms T".  Errors go to stdout as
 * "error ..." and make the exit status nonzero.
 */
#define _GNU_SOURCE
#include "clasp_util.h"

#include <sys/time.h>

static uint8_t buf[1 << 16];

static const char *errname(int err)
{
	switch (err) {
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case EPIPE: return "EPIPE";
	case EAGAIN: return "EAGAIN";
	default: return strerror(err);
	}
}

static int fail(const char *what)
{
	printf("error %s: %s\n", what, errname(errno));
	return 1;
}

static int parse_addr(const char *ip, const char *port, struct sockaddr_in *a)
{
	*a = clasp_addr(ip, atoi(port));
	return inet_pton(AF_INET, ip, &a->sin_addr) == 1 ? 0 : -1;
}

/*
 * Listen on @port, say "ready", accept one connection: its descriptor,
 * the listener's in *@lis; -1 after printing the error.
 */
static int accept_one(const char *port, int *lis)
{
	struct sockaddr_in a = clasp_addr("0.0.0.0", atoi(port));
	const char *what = "socket";
	int fd, one = 1;

	*lis = clasp_socket();
	if (*lis < 0)
		goto err;
	setsockopt(*lis, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	what = "bind";
	if (bind(*lis, (struct sockaddr *)&a, sizeof(a)))
		goto err;
	what = "listen";
	if (listen(*lis, 4))
		goto err;
	printf("ready\n");
	fflush(stdout);
	what = "accept";
	fd = accept(*lis, NULL, NULL);
	if (fd >= 0)
		return fd;
err:
	fail(what);
	return -1;
}

static int do_server(const char *port)
{
	uint64_t h = CLASP_FNV_INIT, total = 0;
	int lis, fd = accept_one(port, &lis);
	ssize_t n;

	if (fd < 0)
		return 1;
	printf("mss %d\n", clasp_maxseg(fd));
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		h = clasp_fnv(h, buf, n);
		total += n;
	}
	if (n < 0)
		return fail("recv");
	printf("bytes %llu fnv %016llx\n", (unsigned long long)total,
	       (unsigned long long)h);
	close(fd);
	close(lis);
	return 0;
}

/* Read @fd until @end_ms (clasp_now_ms()): the bytes read, or -1. */
static long long read_until(int fd, long long end_ms)
{
	long long total = 0, left;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	while ((left = end_ms - clasp_now_ms()) > 0) {
		if (poll(&p, 1, (int)left) < 0)
			return -1;
		if (!p.revents)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : total;
		total += n;
	}
	return total;
}

static int do_sink(const char *port, const char *ms)
{
	int lis, fd = accept_one(port, &lis);
	long long t0, total;
	ssize_t n;

	if (fd < 0)
		return 1;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n <= 0)
		return fail("recv");
	t0 = clasp_now_ms();
	total = read_until(fd, t0 + atoll(ms));
	if (total < 0)
		return fail("recv");
	printf("bytes %lld ms %lld\n", n + total, clasp_now_ms() - t0);
	close(fd);
	close(lis);
	return 0;
}

static int do_client(const char *ip, const char *port, const char *bytes)
{
	uint64_t want = strtoull(bytes, NULL, 0), sent = 0;
	uint64_t h = CLASP_FNV_INIT;
	struct sockaddr_in a;
	int fd = clasp_socket();
	long long t0;
	ssize_t n;

	if (fd < 0)
		return fail("socket");
	if (parse_addr(ip, port, &a)) {
		printf("error bad address %s\n", ip);
		return 1;
	}
	t0 = clasp_now_ms();
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		return fail("connect");
	printf("mss %d\n", clasp_maxseg(fd));
	fflush(stdout);
	while (sent < want) {
		size_t len = want - sent < sizeof(buf) ? want - sent : sizeof(buf);

		clasp_fill(buf, len, sent, 0x5eed);
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n <= 0)
			return fail("send");
		h = clasp_fnv(h, buf, n);
		sent += n;
	}
	if (shutdown(fd, SHUT_WR))
		return fail("shutdown");
	/* The server closes once it has read everything. */
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return fail("recv");
	if (n > 0) {
		printf("error unexpected data from the server\n");
		return 1;
	}
	printf("bytes %llu fnv %016llx ms %lld\n", (unsigned long long)sent,
	       (unsigned long long)h, clasp_now_ms() - t0);
	close(fd);
	return 0;
}

static int do_connect(const char *ip, const char *port)
{
	struct sockaddr_in a;
	int fd = clasp_socket();
	long long t0;

	if (fd < 0)
		return fail("socket");
	if (parse_addr(ip, port, &a)) {
		printf("error bad address %s\n", ip);
		return 1;
	}
	t0 = clasp_now_ms();
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		int err = errno;

		printf("error %s ms %lld\n", errname(err), clasp_now_ms() - t0);
		return 1;
	}
	printf("connected ms %lld\n", clasp_now_ms() - t0);
	close(fd);
	return 0;
}

static long long realtime_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec * 1000LL + tv.tv_usec / 1000;
}

static int do_simopen(const char *lport, const char *ip, const char *rport,
		      const char *gofile)
{
	struct sockaddr_in me = clasp_addr("0.0.0.0", atoi(lport)), a;
	long long at, now;
	FILE *f;
	int fd = clasp_socket(), one = 1;
	char msg[64], got[64] = { 0 };
	size_t len, have = 0;

	if (fd < 0)
		return fail("socket");
	if (parse_addr(ip, rport, &a)) {
		printf("error bad address %s\n", ip);
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)))
		return fail("bind");
	printf("bound\n");
	/* The start time comes in a file that appears once both are bound. */
	for (now = clasp_now_ms(); !(f = fopen(gofile, "r")); clasp_sleep_ms(2)) {
		if (clasp_now_ms() - now > 30000) {
			printf("error no %s\n", gofile);
			return 1;
		}
	}
	if (fscanf(f, "%lld", &at) != 1) {
		printf("error bad %s\n", gofile);
		return 1;
	}
	fclose(f);
	now = realtime_ms();
	if (at > now)
		clasp_sleep_ms(at - now);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		return fail("connect");
	printf("connected state %d\n", clasp_state(fd));
	snprintf(msg, sizeof(msg), "hello from %s", lport);
	if (send(fd, msg, strlen(msg), MSG_NOSIGNAL) != (ssize_t)strlen(msg))
		return fail("send");
	snprintf(msg, sizeof(msg), "hello from %s", rport);
	len = strlen(msg);
	while (have < len) {
		ssize_t n = recv(fd, got + have, len - have, 0);

		if (n <= 0)
			return fail("recv");
		have += n;
	}
	printf("got %s\n", got);
	close(fd);
	return strcmp(got, msg) ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "server"))
		return do_server(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "client"))
		return do_client(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "sink"))
		return do_sink(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "connect"))
		return do_connect(argv[2], argv[3]);
	if (argc == 6 && !strcmp(argv[1], "simopen"))
		return do_simopen(argv[2], argv[3], argv[4], argv[5]);
	fprintf(stderr, "usage: clasp_xfer server PORT | client ADDR PORT BYTES |\n"
		"       sink PORT MS | connect ADDR PORT |\n"
		"       simopen LPORT ADDR RPORT GOFILE\n");
	return 2;
}
