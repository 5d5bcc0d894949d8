/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP_INFO in full, for the tests that read past glibc's struct tcp_info.
 */
#ifndef CLASP_TCPINFO_H
#define CLASP_TCPINFO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/*
 * struct tcp_info as the kernel's uapi lays it out: glibc's ends at
 * tcpi_total_retrans.  6.1 fills up to snd_wnd, 6.2 on add rcv_wnd and
 * more; the length getsockopt returns says which are there.
 */
struct ktcp_info {
	uint8_t state, ca_state, retransmits, probes, backoff, options;
	uint8_t wscale, flags;
	uint32_t rto, ato, snd_mss, rcv_mss;
	uint32_t unacked, sacked, lost, retrans, fackets;
	uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
	uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd;
	uint32_t advmss, reordering, rcv_rtt, rcv_space, total_retrans;
	uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
	uint32_t segs_out, segs_in, notsent_bytes, min_rtt;
	uint32_t data_segs_in, data_segs_out;
	uint64_t delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
	uint32_t delivered, delivered_ce;
	uint64_t bytes_sent, bytes_retrans;
	uint32_t dsack_dups, reord_seen, rcv_ooopack, snd_wnd, rcv_wnd;
	uint32_t pad[16];	/* room for what newer kernels add */
};

#define HAS_FIELD(len, f) \
	((len) >= offsetof(struct ktcp_info, f) + sizeof(((struct ktcp_info *)0)->f))

static inline int ti_get(int fd, struct ktcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len))
		return -1;
	return len;
}

#endif
