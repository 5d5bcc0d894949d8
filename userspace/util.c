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

/* @v in decimal at @buf, no terminator; returns the digits written (<= 20). */
size_t fmt_u64(char *buf, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

/*
 * The address as a number, no brackets; @buf holds ADDR_STRLEN bytes.
 * IPv4 by hand, as inet_ntop() writes it: its sprintf() was a tenth of
 * a 100,000-row listing's time.
 */
const char *addr_str(const struct ip_addr *a, char *buf)
{
	size_t n = 0;
	int i;

	if (a->family != AF_INET)
		return inet_ntop(a->family, a->a, buf, ADDR_STRLEN);
	for (i = 0; i < 4; i++) {
		if (i)
			buf[n++] = '.';
		n += fmt_u64(buf + n, a->a[i]);
	}
	buf[n] = '\0';
	return buf;
}

/* An IPv4 address as an IPv6 one, ::ffff:A.B.C.D; IPv6 as it is. */
void addr_v4mapped(const struct ip_addr *a, struct ip_addr *out)
{
	struct ip_addr m = { .family = AF_INET6 };

	if (a->family != AF_INET) {
		*out = *a;
		return;
	}
	m.a[10] = m.a[11] = 0xff;
	memcpy(m.a + 12, a->a, 4);
	*out = m;
}

/*
 * Is @a in the prefix @want/@len?  As the kernel's filter: an IPv4 prefix
 * holds IPv4 addresses only, an IPv6 one sees IPv4 addresses v4-mapped.
 */
bool addr_in_prefix(const struct ip_addr *a, const struct ip_addr *want,
		    unsigned int len)
{
	struct ip_addr m = *a;
	unsigned int i;

	if (want->family == AF_INET && a->family != AF_INET)
		return false;
	if (want->family == AF_INET6)
		addr_v4mapped(a, &m);
	for (i = 0; i < len / 8; i++)
		if (m.a[i] != want->a[i])
			return false;
	return !(len % 8) ||
	       !((m.a[i] ^ want->a[i]) & (0xff00 >> (len % 8)) & 0xff);
}

/* 0.0.0.0 or :: */
bool addr_is_any(const struct ip_addr *a)
{
	static const uint8_t zero[16];

	return !memcmp(a->a, zero, a->family == AF_INET6 ? 16 : 4);
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

/*
 * The @n bytes at @s as an address: A.B.C.D, or IPv6 bare or in brackets
 * as ss writes it ([::1]).
 */
static int parse_addr(const char *s, size_t n, struct ip_addr *a)
{
	char buf[ADDR_STRLEN];

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
		if (!memchr(s, ':', n))
			return -EINVAL;	/* [A.B.C.D] is no IPv6 address */
	}
	if (!n || n >= sizeof(buf) || memchr(s, '[', n) || memchr(s, ']', n))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(a, 0, sizeof(*a));
	a->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	return inet_pton(a->family, buf, a->a) == 1 ? 0 : -EINVAL;
}

/*
 * ADDR or ADDR/LEN: A.B.C.D (LEN 0..32, 32 without it), or IPv6, bare or
 * in brackets: ::1, [::1], [::1]/128, ::/0 (LEN 0..128, 128 without it).
 */
int parse_prefix(const char *s, struct ip_addr *a, uint8_t *len)
{
	const char *slash = strrchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t l;

	if (parse_addr(s, n, a))
		return -EINVAL;
	l = a->family == AF_INET6 ? 128 : 32;
	if (slash && (parse_u64(slash + 1, &l) ||
		      l > (a->family == AF_INET6 ? 128U : 32U)))
		return -EINVAL;
	*len = l;
	return 0;
}

/* A.B.C.D:PORT or [IPV6]:PORT, as ss prints them. */
int parse_endpoint(const char *s, struct ip_addr *a, uint16_t *port)
{
	const char *colon = strrchr(s, ':');

	if (!colon || parse_addr(s, colon - s, a) ||
	    parse_port(colon + 1, port))
		return -EINVAL;
	/* An IPv6 address needs its brackets: ::1:5000 is ambiguous. */
	if (a->family == AF_INET6 && s[0] != '[')
		return -EINVAL;
	return 0;
}

/* The local or remote address of a message, in FAMILY's attribute. */
bool nl_get_addr(const struct nlattr **tb, bool local, struct ip_addr *a)
{
	const struct nlattr *a4 = tb[local ? CLASP_A_LADDR : CLASP_A_RADDR];
	const struct nlattr *a6 = tb[local ? CLASP_A_LADDR6 : CLASP_A_RADDR6];

	memset(a, 0, sizeof(*a));
	a->family = a6 ? AF_INET6 : AF_INET;
	if (tb[CLASP_A_FAMILY])
		a->family = mnl_attr_get_u8(tb[CLASP_A_FAMILY]);
	if (a->family == AF_INET6 && a6) {
		memcpy(a->a, mnl_attr_get_payload(a6), 16);
		return true;
	}
	if (a->family == AF_INET && a4) {
		memcpy(a->a, mnl_attr_get_payload(a4), 4);
		return true;
	}
	return false;
}

/* @a as the local or remote address of a request. */
void nl_put_addr(struct nlmsghdr *nlh, bool local, const struct ip_addr *a)
{
	if (a->family == AF_INET6)
		mnl_attr_put(nlh, local ? CLASP_A_LADDR6 : CLASP_A_RADDR6, 16,
			     a->a);
	else
		mnl_attr_put(nlh, local ? CLASP_A_LADDR : CLASP_A_RADDR, 4, a->a);
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
		usage_error(usage,
			    "invalid address '%s' (A.B.C.D[/LEN] or [IPV6][/LEN])",
			    arg);
	if (src)
		f->has_src = true;
	else
		f->has_dst = true;
	return true;
}
