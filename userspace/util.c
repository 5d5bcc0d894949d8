// SPDX-License-Identifier: GPL-2.0
/*
 * claspctl: names of states, causes and kinds; parsing of numbers,
 * addresses and state filters.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "claspctl.h"

/* TCP_* numbering, shown as ss shows it. */
static const char *const state_names[] = {
	[1] = "ESTAB",
	[2] = "SYN-SENT",
	[3] = "SYN-RECV",
	[4] = "FIN-WAIT-1",
	[5] = "FIN-WAIT-2",
	[6] = "TIME-WAIT",
	[7] = "UNCONN",
	[8] = "CLOSE-WAIT",
	[9] = "LAST-ACK",
	[10] = "LISTEN",
	[11] = "CLOSING",
};

const char *state_name(unsigned int state)
{
	static char buf[32];

	if (state < ARRAY_SIZE(state_names) && state_names[state])
		return state_names[state];
	snprintf(buf, sizeof(buf), "UNKNOWN-%u", state);
	return buf;
}

#define S(x)	(1U << (x))
#define ST_SYN_SENT	2
#define ST_SYN_RECV	3
#define ST_TIME_WAIT	6
#define ST_CLOSE	7
#define ST_LISTEN	10

static const struct {
	const char *name;
	uint32_t mask;
} state_filters[] = {
	{ "established", S(1) }, { "estab", S(1) },
	{ "syn-sent", S(2) },
	{ "syn-recv", S(3) }, { "syn-rcv", S(3) }, { "syn-rcvd", S(3) },
	{ "fin-wait-1", S(4) }, { "fin-wait1", S(4) },
	{ "fin-wait-2", S(5) }, { "fin-wait2", S(5) },
	{ "time-wait", S(6) },
	{ "unconnected", S(7) }, { "unconn", S(7) }, { "close", S(7) },
	{ "closed", S(7) },
	{ "close-wait", S(8) },
	{ "last-ack", S(9) },
	{ "listening", S(10) }, { "listen", S(10) },
	{ "closing", S(11) },
	{ "all", STATES_ALL },
	{ "connected", STATES_ALL & ~(S(ST_CLOSE) | S(ST_LISTEN)) },
	{ "synchronized", STATES_ALL & ~(S(ST_CLOSE) | S(ST_LISTEN) |
					 S(ST_SYN_SENT)) },
	{ "bucket", S(ST_SYN_RECV) | S(ST_TIME_WAIT) },
	{ "big", STATES_ALL & ~(S(ST_SYN_RECV) | S(ST_TIME_WAIT)) },
};

/*
 * A state or group name as ss takes it, case-insensitive, '_' the same
 * as '-' (so TIME_WAIT and time-wait both work).
 */
int parse_state_filter(const char *name, uint32_t *mask)
{
	char buf[32];
	size_t i;

	if (strlen(name) >= sizeof(buf))
		return -EINVAL;
	for (i = 0; name[i]; i++)
		buf[i] = name[i] == '_' ? '-' : name[i];
	buf[i] = '\0';
	for (i = 0; i < ARRAY_SIZE(state_filters); i++) {
		if (!strcasecmp(buf, state_filters[i].name)) {
			*mask = state_filters[i].mask;
			return 0;
		}
	}
	return -EINVAL;
}

const char *cause_name(unsigned int cause)
{
	static const char *const names[] = {
		[CLASP_CAUSE_SEGMENT] = "segment",
		[CLASP_CAUSE_USER] = "user",
		[CLASP_CAUSE_RST] = "rst",
		[CLASP_CAUSE_TIMEOUT] = "timeout",
		[CLASP_CAUSE_KEEPALIVE] = "keepalive",
		[CLASP_CAUSE_KILLED] = "killed",
		[CLASP_CAUSE_ICMP] = "icmp",
	};
	static char buf[32];

	if (cause < ARRAY_SIZE(names) && names[cause])
		return names[cause];
	snprintf(buf, sizeof(buf), "cause-%u", cause);
	return buf;
}

const char *kind_name(unsigned int kind)
{
	static const char *const names[] = {
		[CLASP_KIND_SOCKET] = "socket",
		[CLASP_KIND_REQUEST] = "request",
		[CLASP_KIND_COMPACT] = "compact",
	};
	static char buf[32];

	if (kind < ARRAY_SIZE(names) && names[kind])
		return names[kind];
	snprintf(buf, sizeof(buf), "kind-%u", kind);
	return buf;
}

/* Loss recovery state: TCP's enum tcp_ca_state, in ss's words. */
const char *ca_state_name(unsigned int state)
{
	static const char *const names[] = {
		"open", "disorder", "cwr", "recovery", "loss",
	};
	static char buf[32];

	if (state < ARRAY_SIZE(names))
		return names[state];
	snprintf(buf, sizeof(buf), "ca-%u", state);
	return buf;
}

/* @buf holds at least INET_ADDRSTRLEN bytes. */
const char *addr_str(uint32_t be_addr, char *buf)
{
	struct in_addr a = { .s_addr = be_addr };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* A decimal number, nothing else (no sign, no spaces). */
int parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

/* 1..65535, with an optional leading ':' as ss writes ports. */
int parse_port(const char *s, uint16_t *port)
{
	uint64_t v;

	if (*s == ':')
		s++;
	if (parse_u64(s, &v) || v < 1 || v > 65535)
		return -EINVAL;
	*port = v;
	return 0;
}

/* A.B.C.D or A.B.C.D/LEN (LEN 0..32; 32 without it). */
int parse_prefix(const char *s, uint32_t *be_addr, uint8_t *len)
{
	char buf[INET_ADDRSTRLEN + 4];
	struct in_addr a;
	const char *slash = strchr(s, '/');
	uint64_t l = 32;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= INET_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	if (slash && (parse_u64(slash + 1, &l) || l > 32))
		return -EINVAL;
	*be_addr = a.s_addr;
	*len = l;
	return 0;
}

/* A.B.C.D:PORT */
int parse_endpoint(const char *s, uint32_t *be_addr, uint16_t *port)
{
	char buf[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	struct in_addr a;
	size_t n;

	if (!colon)
		return -EINVAL;
	n = colon - s;
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1 || parse_port(colon + 1, port))
		return -EINVAL;
	*be_addr = a.s_addr;
	return 0;
}

/*
 * A timer's time left exactly as Debian 12's ss -o writes it (iproute2's
 * print_ms_timer): milliseconds as three digits with "ms" (045ms), seconds
 * below 10 as "1.204ms" (sic: ss's own quirk), whole seconds from 10 s
 * (59sec), minutes with their seconds below 10 min (1min9sec), whole
 * minutes from then on (11min); nothing at all for 0.
 */
void format_ms(char *buf, size_t len, uint32_t ms)
{
	uint32_t min = ms / 60000, sec = ms / 1000 % 60, msec = ms % 1000;
	size_t n = 0;

	buf[0] = '\0';
	if (min) {
		msec = 0;
		if (min > 9)
			sec = 0;
		n += snprintf(buf + n, len - n, "%umin", min);
	}
	if (sec && n < len) {
		if (sec > 9)
			msec = 0;
		n += snprintf(buf + n, len - n, "%u%s", sec, msec ? "." : "sec");
	}
	if (msec && n < len)
		snprintf(buf + n, len - n, "%03ums", msec);
}

/* The value after a filter keyword; ss allows "sport = :80" too. */
static const char *filter_arg(char **pos, int n, int *i,
			      void (*usage)(FILE *f))
{
	const char *kw = pos[*i];

	if (*i + 1 < n && (!strcmp(pos[*i + 1], "=") ||
			   !strcmp(pos[*i + 1], "==") ||
			   !strcmp(pos[*i + 1], "eq")))
		(*i)++;
	if (*i + 1 >= n)
		usage_error(usage, "'%s' needs an argument", kw);
	return pos[++(*i)];
}

/*
 * parse_addr_filter() - take pos[*i] and its value when it is one of
 * sport, dport, src and dst, into @f; false, and nothing taken, when it
 * is not.  A bad value or a keyword given twice is a usage error.
 */
bool parse_addr_filter(char **pos, int n, int *i, struct addr_filter *f,
		       void (*usage)(FILE *f))
{
	const char *kw = pos[*i], *arg;
	bool src = kw[0] == 's';

	if (!strcmp(kw, "sport") || !strcmp(kw, "dport")) {
		uint16_t *p = src ? &f->sport : &f->dport;

		arg = filter_arg(pos, n, i, usage);
		if (*p)
			usage_error(usage, "'%s' given twice", kw);
		if (parse_port(arg, p))
			usage_error(usage, "invalid port '%s' (1-65535)", arg);
		return true;
	}
	if (strcmp(kw, "src") && strcmp(kw, "dst"))
		return false;
	arg = filter_arg(pos, n, i, usage);
	if (src ? f->has_src : f->has_dst)
		usage_error(usage, "'%s' given twice", kw);
	if (parse_prefix(arg, src ? &f->src : &f->dst,
			 src ? &f->src_len : &f->dst_len))
		usage_error(usage, "invalid address '%s' (A.B.C.D[/LEN])", arg);
	if (src)
		f->has_src = true;
	else
		f->has_dst = true;
	return true;
}
