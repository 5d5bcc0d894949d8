/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by clasp's selftests: the protocol and address family,
 * counters from /proc/net/clasp_stats, parameters, namespaces, waits and
 * TCP_INFO.  Crafted segments and raw sockets are in clasp_seg.h.
 */
#ifndef CLASP_UTIL_H
#define CLASP_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <sys/wait.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>

#include "uapi/clasp.h"

static inline int clasp_proto(void)
{
	const char *p = getenv("CLASP_PROTO");

	return p ? atoi(p) : IPPROTO_CLASP;
}

/*
 * CLASP_FAMILY=6: the tests that support it run over IPv6 (the packet
 * library's fake peer, their sockets and raw sockets); 4, the default,
 * over IPv4.  The *6_test programs set it for themselves.
 */
static inline int clasp_family(void)
{
	const char *f = getenv("CLASP_FAMILY");

	return f && atoi(f) == 6 ? 6 : 4;
}

static inline bool clasp_v6(void)
{
	return clasp_family() == 6;
}

/* AF_INET or AF_INET6, after clasp_family(). */
static inline int clasp_af(void)
{
	return clasp_v6() ? AF_INET6 : AF_INET;
}

/* The loopback address of the family in use, as text. */
static inline const char *clasp_loopback(void)
{
	return clasp_v6() ? "::1" : "127.0.0.1";
}

/* The wildcard address of the family in use, as text. */
static inline const char *clasp_any(void)
{
	return clasp_v6() ? "::" : "0.0.0.0";
}

/* A clasp socket of the family in use (clasp_family()). */
static inline int clasp_socket(void)
{
	return socket(clasp_af(), SOCK_STREAM, clasp_proto());
}

/* One counter from /proc/net/clasp_stats, or -1 if it is not there. */
static inline long long clasp_stat(const char *name)
{
	char key[64];
	long long val;
	FILE *f = fopen("/proc/net/clasp_stats", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &val) == 2) {
		if (!strcmp(key, name)) {
			fclose(f);
			return val;
		}
	}
	fclose(f);
	return -1;
}

static inline struct sockaddr_in clasp_addr(const char *ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

/**
 * struct clasp_sockaddr - a socket address of either family
 * @sa: as the socket calls take it
 * @in: IPv4
 * @in6: IPv6
 * @len: its length, for those calls
 */
struct clasp_sockaddr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	};
	socklen_t len;
};

/*
 * @ip (IPv4 or IPv6 text, the family it is written in) and @port as a
 * socket address; an unparsable @ip gives family AF_UNSPEC.
 */
static inline struct clasp_sockaddr clasp_sockaddr(const char *ip,
						   uint16_t port)
{
	struct clasp_sockaddr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET6, ip, &a.in6.sin6_addr) == 1) {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(port);
		a.len = sizeof(a.in6);
	} else if (inet_pton(AF_INET, ip, &a.in.sin_addr) == 1) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons(port);
		a.len = sizeof(a.in);
	}
	return a;
}

/* The port of @a (host order). */
static inline uint16_t clasp_sockaddr_port(const struct clasp_sockaddr *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->in6.sin6_port :
						   a->in.sin_port);
}

/* Same family and address, the ports aside? */
static inline bool clasp_sockaddr_addr_eq(const struct clasp_sockaddr *a,
					  const struct clasp_sockaddr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET6)
		return !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr,
			       sizeof(a->in6.sin6_addr));
	return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
}

/*
 * Connection-level helpers (clasp_conn_test, clasp_xfer).
 *
 * CLASP_PROTO=6 points the tests at TCP as a reference: then
 * clasp_get_info() maps struct tcp_info, clasp_counter() reads
 * /proc/net/snmp and /proc/net/netstat and clasp_param_set() does nothing.
 */

static inline int clasp_is_tcp(void)
{
	return clasp_proto() == IPPROTO_TCP;
}

static inline long long clasp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static inline void clasp_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * CLASP_SLOW=N: the kernel runs about N times slower than a stock kernel
 * under emulation (make check-debug sets it for the debug kernel).  Tests
 * scale the timers they configure, their waits and their time bounds by
 * it, so what they check stays the same; 1 when unset or invalid.
 */
static inline int clasp_slow(void)
{
	static int slow;

	if (!slow) {
		const char *s = getenv("CLASP_SLOW");
		int v = s ? atoi(s) : 1;

		slow = v >= 1 && v <= 1000 ? v : 1;
	}
	return slow;
}

/*
 * TEST_HARNESS_MAIN for kselftest_harness.h users, with every test's
 * timeout scaled by clasp_slow().
 */
#define CLASP_HARNESS_MAIN \
	int main(int argc, char **argv) \
	{ \
		struct __fixture_metadata *f; \
		struct __test_metadata *t; \
		\
		for (f = __fixture_list; f; f = f->next) \
			for (t = f->tests; t; t = t->next) \
				t->timeout *= clasp_slow(); \
		return test_harness_run(argc, argv); \
	}

/* A duration @t (any unit) of a stock kernel, in this kernel's time. */
static inline long long clasp_slow_time(long long t)
{
	return t * clasp_slow();
}

/* How often clasp_wait_until() looks: often, so that it adds little delay. */
#define CLASP_POLL_MS	5

/*
 * Wait until @cond, an expression evaluated afresh each time, holds, or
 * until @deadline_ms have passed; true if it held.  Tests wait for events
 * with it rather than sleeping a fixed time: they go on as soon as the
 * event happened, and a late one fails the test instead of being missed.
 * @deadline_ms is a stock kernel's time, scaled here by clasp_slow_time().
 */
#define clasp_wait_until(cond, deadline_ms) ({				\
	long long __end = clasp_now_ms() + clasp_slow_time(deadline_ms); \
	bool __held;							\
									\
	while (!(__held = (cond)) && clasp_now_ms() < __end)		\
		clasp_sleep_ms(CLASP_POLL_MS);				\
	__held;								\
})

/* Write @val to the file @path (sysfs, procfs): 0, or -1 with errno. */
static inline int clasp_write_num(const char *path, long long val)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%lld\n", val) < 0;
	if (fclose(f) || ret)
		return -1;
	return 0;
}

/* Write module parameter @name (0 or -1 with errno). */
static inline int clasp_param_set(const char *name, long long val)
{
	char path[128];

	if (clasp_is_tcp())
		return 0;
	snprintf(path, sizeof(path), "/sys/module/clasp/parameters/%s", name);
	return clasp_write_num(path, val);
}

/* The number a file starts with, or -1 if it cannot be read. */
static inline long long clasp_read_num(const char *path)
{
	long long val;
	FILE *f = fopen(path, "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%lld", &val);
	fclose(f);
	return n == 1 ? val : -1;
}

/* Read module parameter @name, or -1 if it cannot be read. */
static inline long long clasp_param_get(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/clasp/parameters/%s", name);
	return clasp_read_num(path);
}

/* Bring the loopback device of the current namespace up. */
static inline int clasp_lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ret = -1;

	if (fd < 0)
		return -1;
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

/*
 * Move the calling process into a fresh network namespace with lo up.  The
 * namespace copies clasp's module parameters now: set them first.
 */
static inline int clasp_new_netns(void)
{
	if (unshare(CLONE_NEWNET))
		return -1;
	return clasp_lo_up();
}

/* A module parameter and the value a test wants for it. */
struct clasp_param {
	const char *name;
	long long val;
};

/*
 * Write the parameters of @base and then @extra (lists ending with a NULL
 * name; @extra may be NULL, and overrides @base), move into a fresh
 * network namespace, which copies them, and put the old values back.
 * 0, or -1 with errno set.
 */
static inline int clasp_netns_params(const struct clasp_param *base,
				     const struct clasp_param *extra)
{
	const struct clasp_param *lists[2] = { base, extra }, *p;
	struct { const char *name; long long old; } saved[64];
	int n = 0, err = 0, i;

	for (i = 0; i < 2 && !err; i++) {
		for (p = lists[i]; p && p->name && !err; p++) {
			if (n == 64) {
				err = E2BIG;
				break;
			}
			saved[n].name = p->name;
			saved[n].old = clasp_param_get(p->name);
			if (saved[n].old < 0 || clasp_param_set(p->name, p->val))
				err = errno ? errno : EINVAL;
			else
				n++;
		}
	}
	if (!err && clasp_new_netns())
		err = errno;
	while (n--)
		clasp_param_set(saved[n].name, saved[n].old);
	errno = err;
	return err ? -1 : 0;
}

/* Run a shell command with its output on stderr; its exit status or -1. */
static inline int clasp_sh(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline int clasp_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	strcat(cmd, " 1>&2");
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/*
 * Drop the clasp segments arriving in the current namespace, over IPv4 or
 * IPv6, that also match the nft expression @match ("" for all of them),
 * with an nft rule on the input hook: the sender does not notice.  clasp_undrop() removes all such
 * rules.  0 on success.
 */
static inline int clasp_drop(const char *match)
{
	return clasp_sh("nft 'add table inet clasp_drop; "
			"add chain inet clasp_drop in { type filter hook input priority 0; }; "
			"add rule inet clasp_drop in meta l4proto %d %s drop'",
			clasp_proto(), match);
}

static inline int clasp_undrop(void)
{
	return clasp_sh("nft delete table inet clasp_drop 2>/dev/null");
}

static inline long long clasp_snmp(const char *file, const char *prefix,
				   const char *name)
{
	char head[4096], vals[4096], *hs, *vs, *h, *v;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(head, sizeof(head), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(head, prefix, strlen(prefix)))
			continue;
		h = strtok_r(head, " \n", &hs);
		v = strtok_r(vals, " \n", &vs);
		while (h && v) {
			if (!strcmp(h, name)) {
				fclose(f);
				return atoll(v);
			}
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &vs);
		}
	}
	fclose(f);
	return -1;
}

/*
 * Header bytes every segment of @fd's connection spends on options: 12
 * when timestamps are in use (TCP_INFO), which the MSS then leaves out.
 */
static inline unsigned int clasp_opt_room(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return 0;
	return ti.tcpi_options & TCPI_OPT_TIMESTAMPS ? 12 : 0;
}

/* clasp_stat(), or for TCP the nearest counter in /proc/net/{snmp,netstat}. */
static inline long long clasp_counter(const char *name)
{
	static const char *const ext[][2] = {
		{ "AbortOnClose", "TCPAbortOnClose" },
		{ "AbortOnData", "TCPAbortOnData" },
		{ "AbortOnLinger", "TCPAbortOnLinger" },
		{ "AbortOnTimeout", "TCPAbortOnTimeout" },
		{ "ListenOverflows", "ListenOverflows" },
		{ "ListenDrops", "ListenDrops" },
		{ "ChallengeAcks", "TCPChallengeACK" },
		{ "OutOfWindowIcmps", "OutOfWindowIcmps" },
		{ "SyncookiesSent", "SyncookiesSent" },
		{ "SyncookiesRecv", "SyncookiesRecv" },
		{ "SyncookiesFailed", "SyncookiesFailed" },
		{ "ReqQFullDoCookies", "TCPReqQFullDoCookies" },
		{ "ReqQFullDrop", "TCPReqQFullDrop" },
		{ "RcvQDrops", "TCPRcvQDrop" },
		{ "MemoryPressures", "TCPMemoryPressures" },
		{ "OFOQueue", "TCPOFOQueue" },
		{ "OFODrop", "TCPOFODrop" },
		{ "OFOMerge", "TCPOFOMerge" },
		{ "OfoPruned", "OfoPruned" },
		{ "RenoRecovery", "TCPRenoRecovery" },
		{ "FastRetrans", "TCPFastRetrans" },
		{ "SpuriousRTOs", "TCPSpuriousRTOs" },
		{ "DelayedACKs", "DelayedACKs" },
		{ "PAWSEstab", "PAWSEstab" },
		{ "DSACKOldSent", "TCPDSACKOldSent" },
		{ "DSACKOfoSent", "TCPDSACKOfoSent" },
		{ "SACKRecovery", "TCPSackRecovery" },
		{ "SACKReorder", "TCPSACKReorder" },
		{ "DSACKRecv", "TCPDSACKRecv" },
		{ "DSACKOfoRecv", "TCPDSACKOfoRecv" },
		{ "SACKReneging", "TCPSACKReneging" },
		{ "LossProbes", "TCPLossProbes" },
		{ "LossProbeRecovery", "TCPLossProbeRecovery" },
		{ "LostRetransmit", "TCPLostRetransmit" },
		{ "DSACKUndo", "TCPDSACKUndo" },
		{ "FullUndo", "TCPFullUndo" },
		{ "PartialUndo", "TCPPartialUndo" },
		{ "LossUndo", "TCPLossUndo" },
		{ "DeliveredCE", "TCPDeliveredCE" },
		{ "TWRecycled", "TWRecycled" },
	};
	size_t i;

	if (!clasp_is_tcp())
		return clasp_stat(name);
	if (!strcmp(name, "Objects") || !strcmp(name, "TimeWaitEntered") ||
	    !strcmp(name, "KeepAliveAborts") || !strcmp(name, "RstsReceived"))
		return -1;
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (!strcmp(name, ext[i][0]))
			return clasp_snmp("/proc/net/netstat", "TcpExt:", ext[i][1]);
	return clasp_snmp("/proc/net/snmp", "Tcp:", name);
}

/*
 * The TCP reference lane (CLASP_PROTO=6, scripts/check --tcp): a check
 * that kernel TCP cannot run is skipped with a reason beginning with
 * "clasp only: ", and only such skips are accepted there.
 *
 * CLASP_ONLY("why") ends a harness test as skipped under TCP (unless a
 * check failed already: a skip must not hide a failure).  Where the rest
 * of a test does run, clasp_only_check("why") is false under TCP and logs
 * the check left out.  selftests/CONFORMANCE.md lists every reason.
 */
#define CLASP_ONLY_PREFIX	"clasp only: "
#define CLASP_ONLY(reason) do { \
	if (clasp_is_tcp()) { \
		if (_metadata->exit_code == KSFT_FAIL) \
			return; \
		SKIP(return, CLASP_ONLY_PREFIX reason); \
	} \
} while (0)

static inline int clasp_only_check(const char *reason)
{
	if (!clasp_is_tcp())
		return 1;
	fprintf(stderr, "# not checked, %s%s\n", CLASP_ONLY_PREFIX, reason);
	return 0;
}

/*
 * The current namespace's ephemeral ports, from @lo to @hi
 * (net.ipv4.ip_local_port_range, which clasp's connect() uses too).
 */
static inline int clasp_port_range(unsigned int lo, unsigned int hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "w");

	if (!f)
		return -1;
	fprintf(f, "%u %u\n", lo, hi);
	return fclose(f);
}

/* Write sysctl @name (as under /proc/sys/, dots or slashes): 0 or -1. */
static inline int clasp_sysctl(const char *name, long long val)
{
	char path[160], *c;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	for (c = path; *c; c++)
		if (*c == '.')
			*c = '/';
	return clasp_write_num(path, val);
}

/*
 * CLASP_PROTO=6: the timer of TCP socket @fd as /proc/net/tcp (or tcp6)
 * shows it
 * ("tr:tm->when", matched on the local and remote address and port): 1
 * the retransmission timer (also a tail loss probe's), 4 the zero window
 * probe, which is the same icsk timer and what clasp runs on its
 * retransmission timer, 2 sk_timer (keepalive), 0 none.  tm->when is in
 * USER_HZ (100) ticks.  0, or -1 if @fd is not there.
 */
static inline int clasp_tcp_timer(int fd, struct clasp_info *info)
{
	struct clasp_sockaddr l, r;
	socklen_t ll = sizeof(l.in6), rl = sizeof(r.in6);
	unsigned int la[4], ra[4], lp, rp, st, tr;
	char line[512];
	unsigned long when;
	int ret = -1;
	bool v6;
	FILE *f;

	if (getsockname(fd, &l.sa, &ll) || getpeername(fd, &r.sa, &rl))
		return -1;
	/* /proc/net/tcp6 writes an address as four words, as s6_addr32. */
	v6 = l.sa.sa_family == AF_INET6;
	f = fopen(v6 ? "/proc/net/tcp6" : "/proc/net/tcp", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (v6 ? sscanf(line, " %*d: %8x%8x%8x%8x:%x %8x%8x%8x%8x:%x %x %*x:%*x %x:%lx",
				&la[0], &la[1], &la[2], &la[3], &lp, &ra[0],
				&ra[1], &ra[2], &ra[3], &rp, &st, &tr,
				&when) != 13 :
			 sscanf(line, " %*d: %x:%x %x:%x %x %*x:%*x %x:%lx",
				&la[0], &lp, &ra[0], &rp, &st, &tr, &when) != 7)
			continue;
		if (lp != clasp_sockaddr_port(&l) || rp != clasp_sockaddr_port(&r))
			continue;
		if (v6 ? memcmp(la, &l.in6.sin6_addr, 16) ||
			 memcmp(ra, &r.in6.sin6_addr, 16) :
			 la[0] != l.in.sin_addr.s_addr ||
			 ra[0] != r.in.sin_addr.s_addr)
			continue;
		info->timer = tr == 1 || tr == 4 ? CLASP_TIMER_RETRANS :
			      tr == 2 ? CLASP_TIMER_KEEPALIVE :
			      tr ? 100 + tr : CLASP_TIMER_NONE;
		info->timer_ms = tr ? when * 10 : 0;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/*
 * getsockopt(CLASP_INFO); for TCP a struct tcp_info mapped onto it, the
 * queues from SIOCOUTQ (unacknowledged and unsent bytes), SIOCOUTQNSD
 * (unsent) and SIOCINQ, and the timer from /proc/net/tcp.
 */
static inline int clasp_get_info(int fd, struct clasp_info *info)
{
	socklen_t len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (clasp_is_tcp()) {
		struct tcp_info ti;
		int outq = 0, nsd = 0, inq = 0;

		len = sizeof(ti);
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
			return -1;
		if (ti.tcpi_state != TCP_LISTEN &&
		    !ioctl(fd, SIOCOUTQ, &outq) && !ioctl(fd, SIOCOUTQNSD, &nsd) &&
		    !ioctl(fd, SIOCINQ, &inq)) {
			info->send_queue = outq;
			info->unacked = outq - nsd;
			info->recv_queue = inq;
		}
		clasp_tcp_timer(fd, info);
		info->state = ti.tcpi_state;
		info->retransmits = ti.tcpi_retransmits;
		info->backoff = ti.tcpi_backoff;
		info->rto_us = ti.tcpi_rto;
		info->srtt_us = ti.tcpi_rtt;
		info->rttvar_us = ti.tcpi_rttvar;
		info->mss = ti.tcpi_snd_mss;
		info->total_retrans = ti.tcpi_total_retrans;
		info->probes = ti.tcpi_probes;
		info->options = ti.tcpi_options;
		info->snd_wscale = ti.tcpi_snd_wscale;
		info->rcv_wscale = ti.tcpi_rcv_wscale;
		return 0;
	}
	if (getsockopt(fd, SOL_CLASP, CLASP_INFO, info, &len))
		return -1;
	return len == sizeof(*info) ? 0 : -1;
}

/*
 * Where a stalled connection stands, for the log: what a test prints
 * before it gives up on a transfer.
 */
#define clasp_log_info(who, fd) do { \
	struct clasp_info _i; \
	\
	if (clasp_get_info(fd, &_i)) \
		memset(&_i, 0, sizeof(_i)); \
	TH_LOG("%s: state %u timer %u/%u ms backoff %u snd_una %u " \
	       "snd_nxt %u snd_wnd %u rcv_nxt %u rcv_wnd %u unacked %u " \
	       "probes %u retrans %u send_queue %u recv_queue %u", (who), \
	       _i.state, _i.timer, _i.timer_ms, _i.backoff, _i.snd_una, \
	       _i.snd_nxt, _i.snd_wnd, _i.rcv_nxt, _i.rcv_wnd, _i.unacked, \
	       _i.probes, _i.total_retrans, _i.send_queue, _i.recv_queue); \
} while (0)

/* The state in clasp_info, or -1 if it cannot be read. */
static inline int clasp_state(int fd)
{
	struct clasp_info info;

	return clasp_get_info(fd, &info) ? -1 : info.state;
}

/* Wait up to @ms for @fd to reach TCP state @state; 0 when it did. */
static inline int clasp_wait_state(int fd, int state, int ms)
{
	long long end = clasp_now_ms() + ms;

	do {
		if (clasp_state(fd) == state)
			return 0;
		clasp_sleep_ms(5);
	} while (clasp_now_ms() < end);
	return clasp_state(fd) == state ? 0 : -1;
}

/* Wait up to @ms for counter @name to equal @val; its last value. */
static inline long long clasp_wait_counter(const char *name, long long val,
					   int ms)
{
	long long end = clasp_now_ms() + ms, v;

	do {
		v = clasp_counter(name);
		if (v == val)
			return v;
		clasp_sleep_ms(10);
	} while (clasp_now_ms() < end);
	return clasp_counter(name);
}

/* Keepalive timing in milliseconds (seconds, rounded up, for TCP). */
static inline int clasp_set_keepalive(int fd, int idle_ms, int intvl_ms, int cnt)
{
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)))
		return -1;
	if (clasp_is_tcp()) {
		int idle = (idle_ms + 999) / 1000, intvl = (intvl_ms + 999) / 1000;

		return setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) ||
		       setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) ||
		       setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) ? -1 : 0;
	}
	return setsockopt(fd, SOL_CLASP, CLASP_KEEPIDLE_MS, &idle_ms, sizeof(idle_ms)) ||
	       setsockopt(fd, SOL_CLASP, CLASP_KEEPINTVL_MS, &intvl_ms, sizeof(intvl_ms)) ||
	       setsockopt(fd, SOL_CLASP, CLASP_KEEPCNT, &cnt, sizeof(cnt)) ? -1 : 0;
}

/* CLASP_MAXSEG (TCP_MAXSEG for TCP), or -1. */
static inline int clasp_maxseg(int fd)
{
	int val;
	socklen_t len = sizeof(val);

	if (clasp_is_tcp() ? getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &val, &len) :
			     getsockopt(fd, SOL_CLASP, CLASP_MAXSEG, &val, &len))
		return -1;
	return val;
}

/* 64-bit FNV-1a, folded over a stream chunk by chunk. */
#define CLASP_FNV_INIT	0xcbf29ce484222325ULL

static inline uint64_t clasp_fnv(uint64_t h, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Deterministic test data: byte @off of the stream seeded with @seed. */
static inline void clasp_fill(uint8_t *buf, size_t len, uint64_t off,
			      uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		uint64_t x = (off + i) ^ ((uint64_t)seed << 32);

		x *= 0x9e3779b97f4a7c15ULL;
		buf[i] = x >> 56;
	}
}

/*
 * cgroup v2, mounted privately for the tests (the guest's own mount may
 * be elsewhere or absent).
 */
#define CLASP_CGROUP_ROOT	"/tmp/clasp-cgroup2"

static inline int clasp_cgroup_write(const char *dir, const char *file,
				     const char *text)
{
	char path[512];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	if (!f)
		return -1;
	bad = fputs(text, f) < 0;
	if (fclose(f) || bad)
		return -1;
	return 0;
}

/*
 * Move this process into the cgroup @name under CLASP_CGROUP_ROOT, made
 * if need be, after enabling @controllers ("+memory", or NULL) for the
 * root's children.  Returns the cgroup directory's fd, or -1.
 */
static inline int clasp_cgroup_enter(const char *name, const char *controllers)
{
	char dir[256], pid[32];

	mkdir(CLASP_CGROUP_ROOT, 0755);
	if (mount("none", CLASP_CGROUP_ROOT, "cgroup2", 0, NULL) &&
	    errno != EBUSY)
		return -1;
	if (controllers && clasp_cgroup_write(CLASP_CGROUP_ROOT,
					      "cgroup.subtree_control",
					      controllers))
		return -1;
	snprintf(dir, sizeof(dir), "%s/%s", CLASP_CGROUP_ROOT, name);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -1;
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (clasp_cgroup_write(dir, "cgroup.procs", pid))
		return -1;
	return open(dir, O_RDONLY | O_DIRECTORY);
}

/* Back to the root cgroup, and @name removed (once it is empty). */
static inline void clasp_cgroup_leave(const char *name)
{
	char dir[256], pid[32];

	snprintf(pid, sizeof(pid), "%d\n", getpid());
	clasp_cgroup_write(CLASP_CGROUP_ROOT, "cgroup.procs", pid);
	snprintf(dir, sizeof(dir), "%s/%s", CLASP_CGROUP_ROOT, name);
	rmdir(dir);
}

/* A number read from a file of cgroup @name, or -1. */
static inline long long clasp_cgroup_read(const char *name, const char *file)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s/%s", CLASP_CGROUP_ROOT, name, file);
	return clasp_read_num(path);
}

#endif /* CLASP_UTIL_H */
