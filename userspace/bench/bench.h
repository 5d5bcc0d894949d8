/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clasp_bench: one program per workload of `make bench`, the same code for
 * clasp and for TCP; the protocol is a parameter (-P clasp|tcp|NUMBER).
 */
#ifndef CLASP_BENCH_H
#define CLASP_BENCH_H

#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define BENCH_PROTO_CLASP	253
/* rr's first byte: serve echoes every byte of such a connection */
#define RR_ECHO			'e'

/**
 * struct bench_opts - the command line, shared by every subcommand
 * @proto: IP protocol number of the stream sockets (253 or 6)
 * @family: AF_INET, or AF_INET6 with -6
 * @dst: address and port to connect to (or to listen on), IPv4
 * @dst6: the same, IPv6 (-6); the port is set in both
 * @count: how many connections, SYNs or samples (-n)
 * @conc: parallel clients or server threads (-c)
 * @duration_ms: how long to run (-d)
 * @timeout_ms: deadline of one operation (-T)
 * @rate: SYNs per second, 0 for as fast as possible; bulk: the
 *	socket's SO_MAX_PACING_RATE in bytes per second, 0 for none (-r)
 * @expect_ms: the scheduled time a timer workload checks against (-e)
 * @src: a source network (-s): spoofed SYNs, or client addresses
 * @src6: the same, IPv6 (-6): client addresses only
 * @ifname: interface to capture on (-i)
 * @wait: after measuring, wait for SIGTERM or SIGINT (-w)
 * @listeners: serve: listeners sharing the port with SO_REUSEPORT (-L)
 * @mark: crr, rr: bracket the measured loop with bench_mark() (-M)
 */
struct bench_opts {
	int proto;
	int family;
	struct sockaddr_in dst;
	struct sockaddr_in6 dst6;
	long count;
	int conc;
	long duration_ms;
	long timeout_ms;
	long rate;
	long expect_ms;
	struct in_addr src;
	struct in6_addr src6;
	const char *ifname;
	int wait;
	int listeners;
	int mark;
};

/* util.c */
uint64_t now_ns(void);
void bench_mark(const struct bench_opts *o);
void sleep_ms(long ms);
int stream_socket(const struct bench_opts *o);
const struct sockaddr *dst_addr(const struct bench_opts *o, socklen_t *len);
uint16_t dst_port(const struct bench_opts *o);
void set_dst_port(struct bench_opts *o, uint16_t port);
int listen_on(const struct bench_opts *o, int backlog);
int bind_addr(int fd, uint32_t addr, uint16_t port);
int bind_client(int fd, const struct bench_opts *o, long i);
int raise_nofile(long want);
void set_linger0(int fd);
int cmp_u64(const void *a, const void *b);
uint64_t percentile(const uint64_t *sorted, size_t n, double p);
long long slab_bytes(void);
int slab_cache(const char *name, long long *active, long long *objsize);
long long mem_used_bytes(void);
long long clasp_stat(const char *name);
long long tcp_timewait_count(void);
long long tcp_synrecv_count(void);
long long kernel_cpu_ticks(void);
long long kernel_cpu_ns(void);
double per_unit_us(long long cpu0, long long cpu1, long n);
void catch_stop_signals(void);
int stop_requested(void);
void wait_for_stop(void);

/* conn.c */
int cmd_serve(const struct bench_opts *o);
int cmd_crr(const struct bench_opts *o);
int cmd_latency(const struct bench_opts *o);
int cmd_bulk(const struct bench_opts *o);
int cmd_hold(const struct bench_opts *o);
int cmd_connscale(const struct bench_opts *o);
int cmd_rr(const struct bench_opts *o);

/* flood.c */
int cmd_synflood(const struct bench_opts *o);
int cmd_synmem(const struct bench_opts *o);
int cmd_legit(const struct bench_opts *o);

/* tw.c */
int cmd_tw(const struct bench_opts *o);

/* timer.c */
int cmd_synrtx(const struct bench_opts *o);

#endif /* CLASP_BENCH_H */
