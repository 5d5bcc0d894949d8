// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_bench synrtx: timer precision, measured on the wire.
 *
 * N sockets connect to a peer that drops their SYNs, so each retransmits
 * its SYN after RTO, 2 RTO, 4 RTO...  A packet socket on the sending
 * interface timestamps every SYN as it leaves (SO_TIMESTAMPNS); the gap
 * between a flow's k-th and (k+1)-th SYN is compared with RTO_MS * 2^k.
 * Reports the error (measured - scheduled) percentiles in microseconds
 * over the first RTX_MAX gaps of every flow.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define RTX_MAX		3	/* gaps per flow: RTO, 2 RTO, 4 RTO */
#define FLOWS_MAX	256

struct flow {
	uint16_t sport;		/* network order */
	int nsyn;
	uint64_t t[RTX_MAX + 1];	/* ns, CLOCK_REALTIME */
};

/*
 * A packet socket on @ifname with timestamps.  ETH_P_ALL: only taps of
 * every protocol see outgoing packets.
 */
static int capture_open(const char *ifname)
{
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	int fd, one = 1;

	ll.sll_ifindex = if_nametoindex(ifname);
	if (!ll.sll_ifindex)
		return -1;
	fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ll, sizeof(ll)) ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Receive one packet into @buf; its kernel timestamp in *@ts.  Length. */
static ssize_t capture_one(int fd, uint8_t *buf, size_t size, uint64_t *ts,
			   int *outgoing)
{
	char ctrl[CMSG_SPACE(sizeof(struct timespec))];
	struct sockaddr_ll from;
	struct iovec iov = { buf, size };
	struct msghdr m = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctrl, .msg_controllen = sizeof(ctrl),
	};
	struct cmsghdr *c;
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);

	*ts = 0;
	for (c = CMSG_FIRSTHDR(&m); n > 0 && c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec t;

			memcpy(&t, CMSG_DATA(c), sizeof(t));
			*ts = t.tv_sec * 1000000000ULL + t.tv_nsec;
		}
	}
	*outgoing = n > 0 && from.sll_pkttype == PACKET_OUTGOING &&
		    from.sll_protocol == htons(ETH_P_IP);
	return n;
}

/* The source port (network order) if @buf is our SYN to o->dst, else 0. */
static uint16_t our_syn(const struct bench_opts *o, const uint8_t *buf, ssize_t n)
{
	const struct iphdr *iph = (const struct iphdr *)buf;
	const struct tcphdr *th;

	if (n < (ssize_t)sizeof(*iph) || iph->protocol != o->proto ||
	    iph->daddr != o->dst.sin_addr.s_addr ||
	    n < iph->ihl * 4 + (ssize_t)sizeof(*th))
		return 0;
	th = (const struct tcphdr *)(buf + iph->ihl * 4);
	if (th->th_dport != o->dst.sin_port || (th->th_flags & (TH_SYN | TH_ACK)) != TH_SYN)
		return 0;
	return th->th_sport;
}

static void note_syn(struct flow *f, int *nflows, uint16_t sport, uint64_t ts)
{
	int i;

	for (i = 0; i < *nflows && f[i].sport != sport; i++)
		;
	if (i == *nflows) {
		if (*nflows == FLOWS_MAX)
			return;
		f[i].sport = sport;
		f[i].nsyn = 0;
		(*nflows)++;
	}
	if (f[i].nsyn <= RTX_MAX)
		f[i].t[f[i].nsyn++] = ts;
}

/* Non-blocking connects that will only ever send SYNs. */
static int start_connects(const struct bench_opts *o, int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		fds[i] = stream_socket(o);
		if (fds[i] < 0)
			return -1;
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
		if (connect(fds[i], (const struct sockaddr *)&o->dst, sizeof(o->dst)) &&
		    errno != EINPROGRESS)
			return -1;
	}
	return 0;
}

/* Capture until every flow has RTX_MAX retransmissions or time is up. */
static void capture(const struct bench_opts *o, int cfd, struct flow *f,
		    int *nflows, uint64_t deadline)
{
	static uint8_t buf[2048];
	int out, done;
	uint64_t ts;
	ssize_t n;

	do {
		struct pollfd p = { .fd = cfd, .events = POLLIN };
		int i;

		poll(&p, 1, 100);
		while ((n = capture_one(cfd, buf, sizeof(buf), &ts, &out)) > 0) {
			uint16_t sport = our_syn(o, buf, n);

			if (out && sport && ts)
				note_syn(f, nflows, sport, ts);
		}
		for (i = 0, done = *nflows == o->count; i < *nflows; i++)
			done &= f[i].nsyn == RTX_MAX + 1;
	} while (!done && now_ns() < deadline);
}

int cmd_synrtx(const struct bench_opts *o)
{
	static struct flow f[FLOWS_MAX];
	static int fds[FLOWS_MAX];
	uint64_t err[FLOWS_MAX * RTX_MAX];
	int64_t e, emin = INT64_MAX;
	int n = o->count < FLOWS_MAX ? o->count : FLOWS_MAX;
	int nflows = 0, i, k, ne = 0, cfd;
	uint64_t deadline;

	cfd = o->ifname ? capture_open(o->ifname) : -1;
	if (cfd < 0) {
		perror("synrtx: capture socket (-i IFNAME)");
		return 1;
	}
	deadline = now_ns() + (o->expect_ms * ((1 << RTX_MAX) - 1) + 2000) * 1000000ULL;
	if (start_connects(o, fds, n)) {
		perror("synrtx: connect");
		return 1;
	}
	capture(o, cfd, f, &nflows, deadline);
	for (i = 0; i < nflows; i++) {
		for (k = 1; k < f[i].nsyn; k++) {
			e = (int64_t)(f[i].t[k] - f[i].t[k - 1]) -
			    (int64_t)(o->expect_ms << (k - 1)) * 1000000;
			if (e < emin)
				emin = e;
			/* Sort by absolute error: early counts as much as late. */
			err[ne++] = e < 0 ? -e : e;
		}
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	qsort(err, ne, sizeof(*err), cmp_u64);
	printf("abs_err_p50_us %.0f abs_err_p99_us %.0f abs_err_max_us %.0f"
	       " min_err_us %.0f gaps %d flows %d\n",
	       percentile(err, ne, 50) / 1e3, percentile(err, ne, 99) / 1e3,
	       percentile(err, ne, 100) / 1e3, ne ? emin / 1e3 : 0.0, ne, nflows);
	return ne ? 0 : 1;
}
