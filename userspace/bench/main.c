// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_bench - the workloads of `make bench`, for clasp or for TCP.
 *
 *   clasp_bench CMD -P clasp|tcp|NUMBER [-6] [options]
 *
 * -6 makes the sockets AF_INET6: -a and -s then take IPv6 addresses.  serve,
 * crr, rr, latency, bulk, hold and tw have it; the others are IPv4 only
 * (raw IPv4 packets, or IPv4 address arithmetic).
 *
 * Every command prints one line of "key value" pairs that scripts/bench
 * reads; progress and errors go to stderr.  -M makes crr and rr call
 * personality(0xffffffff), which changes nothing, just before their
 * measured loop and just after it: the marker at which scripts/icount's
 * emulator plugin dumps its counters.  The commands:
 *
 *   serve    -a ADDR -p PORT [-c THREADS]
 *	accept loop: per connection, answer the first read with one byte,
 *	read until EOF, close.  Prints "ready", runs until SIGTERM.
 *	A connection whose first byte is 'e' (rr's) gets every byte echoed.
 *   crr      -a ADDR -p PORT -c CLIENTS -d MS
 *	connect, 1-byte request, 1-byte reply, close, in a loop on CLIENTS
 *	threads for MS: "rate CONN_PER_S conns N errors E kcpu_us_per_conn
 *	C", C the guest's kernel CPU time (system + irq + softirq of
 *	/proc/stat, all CPUs, both ends) per connection.
 *   rr       -a ADDR -p PORT -d MS
 *	request/response on one open connection (netperf's TCP_RR): a
 *	1-byte request, the 1-byte echo, again, for MS: "tps X p50_us Y
 *	p99_us Z n N kcpu_us_per_tr C", C as crr's, per transaction.
 *   latency  -a ADDR -p PORT -n N
 *	N connections one after the other, connect() timed:
 *	"p50_us X p99_us Y p999_us Z".
 *   bulk     -a ADDR -p PORT -d MS [-r BYTES_PER_S]
 *	one connection sending for MS, then until the peer has read it all
 *	(-r: its SO_MAX_PACING_RATE, which asks for pacing without fq):
 *	"mbyte_per_s X bytes N kcpu_us_per_mb C", C as crr's, per megabyte
 *	(10^6 bytes) sent.
 *   hold     -a ADDR -p PORT -n N -s CLIENT_NET [-w]
 *	N loopback connections from CLIENT_NET addresses (1 + i / 50000,
 *	port 10000 + i % 50000; with -6 a locally routed prefix, see
 *	bind_client()) held open, both
 *	ends in this process: "slab_per_socket B sockets S"; with -w waits
 *	for SIGTERM before closing them (with RST).
 *   synflood -a ADDR -p PORT -s SPOOF_NET -d MS [-r PPS] [-c THREADS]
 *	crafted SYNs from random addresses of SPOOF_NET/16 through a raw
 *	socket per thread, PPS a second in all (0: as fast as they can),
 *	until MS or SIGTERM: "sent N ms T errors E".
 *   synmem   -a ADDR -p PORT -s SPOOF_NET -n N
 *	a listener and N crafted SYNs to it from SPOOF_NET/16 (whose
 *	SYN-ACKs the caller drops), then slab bytes per half-open request:
 *	"slab_per_request B requests R".
 *   legit    -a ADDR -p PORT -n N -c CLIENTS -T MS
 *	N connections (each: connect, a byte there and back, within MS):
 *	"ok N fail M".
 *   tw       -a ADDR -p PORT -n N -s CLIENT_NET -e LIFETIME_MS
 *	N connections closed client first, so N TIME_WAIT entries, each from
 *	its own CLIENT_NET address and port as hold's; then watches them
 *	expire: memory, the entries' slab cache and its object size, kernel
 *	CPU time, lateness.
 *   connscale -p PORT -n N -c SAMPLES
 *	N loopback connections by plain connect() (ephemeral ports, 30,000
 *	per destination 127.0.0.1, .2, ...) held open, then SAMPLES more
 *	to 127.0.0.1 with connect() timed: "conns N p50_us X p99_us Y
 *	p999_us Z".
 *   synrtx   -a ADDR -p PORT -n N -i IFNAME -e RTO_MS
 *	N connects to a peer that drops SYNs; SYNs captured on IFNAME, the
 *	intervals against RTO_MS * 2^k: "err_p50_us ... n SAMPLES".
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const struct {
	const char *name;
	int (*fn)(const struct bench_opts *o);
	int v6;		/* takes -6 */
} cmds[] = {
	{ "serve", cmd_serve, 1 },
	{ "crr", cmd_crr, 1 },
	{ "latency", cmd_latency, 1 },
	{ "bulk", cmd_bulk, 1 },
	{ "hold", cmd_hold, 1 },
	{ "synflood", cmd_synflood, 0 },
	{ "synmem", cmd_synmem, 0 },
	{ "legit", cmd_legit, 0 },
	{ "tw", cmd_tw, 1 },
	{ "synrtx", cmd_synrtx, 0 },
	{ "connscale", cmd_connscale, 0 },
	{ "rr", cmd_rr, 1 },
};

static void usage(void)
{
	fprintf(stderr,
		"usage: clasp_bench serve|crr|rr|latency|bulk|hold|synflood|synmem|legit|tw|synrtx|connscale"
		" -P clasp|tcp|NUM [-6] [-a ADDR] [-p PORT] [-n N] [-c N] [-d MS] [-T MS]"
		" [-r PPS] [-e MS] [-s NET] [-i IFNAME] [-w] [-L N] [-M]\n");
	exit(2);
}

static int parse_proto(const char *s)
{
	if (!strcmp(s, "clasp"))
		return BENCH_PROTO_CLASP;
	if (!strcmp(s, "tcp"))
		return IPPROTO_TCP;
	return atoi(s);
}

/* A positive number, or usage. */
static long positive(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v <= 0)
		usage();
	return v;
}

static void parse_opts(int argc, char **argv, struct bench_opts *o)
{
	const char *a = NULL, *src = NULL;
	int c;

	while ((c = getopt(argc, argv, "P:6a:p:n:c:d:T:r:e:s:i:wL:M")) != -1) {
		switch (c) {
		case 'P': o->proto = parse_proto(optarg); break;
		case '6': o->family = AF_INET6; break;
		case 'a': a = optarg; break;
		case 'p': set_dst_port(o, positive(optarg)); break;
		case 'n': o->count = positive(optarg); break;
		case 'c': o->conc = positive(optarg); break;
		case 'd': o->duration_ms = positive(optarg); break;
		case 'T': o->timeout_ms = positive(optarg); break;
		case 'r': o->rate = positive(optarg); break;
		case 'e': o->expect_ms = positive(optarg); break;
		case 's': src = optarg; break;
		case 'i': o->ifname = optarg; break;
		case 'w': o->wait = 1; break;
		case 'L': o->listeners = positive(optarg); break;
		case 'M': o->mark = 1; break;
		default: usage();
		}
	}
	if (optind != argc || o->proto <= 0 || o->proto > 255)
		usage();
	/* After the loop: -6 may come after the addresses. */
	if (o->family == AF_INET6) {
		if ((a && inet_pton(AF_INET6, a, &o->dst6.sin6_addr) != 1) ||
		    (src && inet_pton(AF_INET6, src, &o->src6) != 1))
			usage();
	} else if ((a && inet_pton(AF_INET, a, &o->dst.sin_addr) != 1) ||
		   (src && inet_pton(AF_INET, src, &o->src) != 1)) {
		usage();
	}
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.family = AF_INET,
		.dst = { .sin_family = AF_INET },
		.dst6 = { .sin6_family = AF_INET6 },
		.count = 1000,
		.conc = 1,
		.duration_ms = 3000,
		.timeout_ms = 5000,
		.expect_ms = 1000,
		.listeners = 1,
	};
	size_t i;

	if (argc < 2)
		usage();
	parse_opts(argc - 1, argv + 1, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	catch_stop_signals();
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		if (o.family == AF_INET6 && !cmds[i].v6) {
			fprintf(stderr, "clasp_bench %s: IPv4 only, no -6\n",
				cmds[i].name);
			return 2;
		}
		return cmds[i].fn(&o);
	}
	usage();
	return 2;
}
