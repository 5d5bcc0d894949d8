// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_pkt: the fake peer of clasp_pkt.h.  A tun device carries the
 * module's segments to user space and the peer's segments into the stack.
 */
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/if_tun.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/ip_icmp.h>
#include <sys/random.h>

#include "clasp_pkt.h"

#define TUN_NAME	"claspt0"
#define TUN_NETMASK	"255.255.255.0"

long long clasp_pkt_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void pkt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void pkt_log(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "# clasp_pkt: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void history_add(struct clasp_pkt *p, const char *what,
			const char *line)
{
	long long t = clasp_pkt_now_us() - p->t0_us;

	snprintf(p->history[p->nhist++ % CLASP_PKT_HISTORY],
		 sizeof(p->history[0]), "%+8.3f %-6s %s", t / 1e6, what, line);
}

void clasp_pkt_note(struct clasp_pkt *p, const char *fmt, ...)
{
	char line[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	history_add(p, "note", line);
}

static void history_dump(const struct clasp_pkt *p)
{
	unsigned int i = p->nhist > CLASP_PKT_HISTORY ?
			 p->nhist - CLASP_PKT_HISTORY : 0;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &p->peer_addr, a, sizeof(a));
	inet_ntop(AF_INET, &p->local_addr, b, sizeof(b));
	pkt_log("peer %s:%u ISN %#x, module %s:%u ISN %#x%s", a, p->peer_port,
		p->peer_isn, b, p->local_port, p->local_isn,
		p->local_isn_known ? "" : " (not yet known)");
	pkt_log("last events (seconds since the start):");
	for (; i < p->nhist; i++)
		fprintf(stderr, "#   %s\n", p->history[i % CLASP_PKT_HISTORY]);
}

/* CLASP_PKT_TOLERANCE="ABS_MS,REL_PCT" */
static void read_tolerance(struct clasp_pkt *p)
{
	const char *env = getenv("CLASP_PKT_TOLERANCE");
	int abs_ms = 150, rel_pct = 20, stall_ms = 1000;

	if (env && sscanf(env, "%d,%d,%d", &abs_ms, &rel_pct, &stall_ms) < 1)
		pkt_log("CLASP_PKT_TOLERANCE=\"%s\" is not ABS_MS,REL_PCT,STALL_MS",
			env);
	/* CLASP_SLOW=N: a kernel N times slower is late N times as much. */
	p->tol_abs_ms = abs_ms > 0 ? clasp_slow_time(abs_ms) : 0;
	p->tol_rel_pct = rel_pct > 0 ? rel_pct : 0;
	p->stall_ms = stall_ms > 0 ? clasp_slow_time(stall_ms) : 0;
}

static int tun_attach(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		clasp_sh("modprobe tun");
		fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	}
	if (fd < 0) {
		pkt_log("/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		pkt_log("TUNSETIFF: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int set_sin(int s, unsigned long req, const char *name,
		   const char *addr)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in sin = clasp_addr(addr, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	return ioctl(s, req, &ifr);
}

/* The module's address on @name, the peer's subnet behind it, link up. */
static int tun_configure(const char *name)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = -1;
	char path[128];
	FILE *f;

	if (s < 0)
		return -1;
	/* No IPv6 chatter on the device (best effort). */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 name);
	f = fopen(path, "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (set_sin(s, SIOCSIFADDR, name, CLASP_PKT_LOCAL) ||
	    set_sin(s, SIOCSIFNETMASK, name, TUN_NETMASK) ||
	    ioctl(s, SIOCGIFFLAGS, &ifr))
		goto out;
	ifr.ifr_flags |= IFF_UP;
	ret = ioctl(s, SIOCSIFFLAGS, &ifr);
out:
	if (ret)
		pkt_log("configuring %s: %s", name, strerror(errno));
	close(s);
	return ret;
}

int clasp_pkt_open(struct clasp_pkt *p)
{
	memset(p, 0, sizeof(*p));
	read_tolerance(p);
	p->quiet_ms = p->tol_abs_ms > 100 ? p->tol_abs_ms : 100;
	p->t0_us = clasp_pkt_now_us();
	p->ref_us = p->t0_us;
	inet_pton(AF_INET, CLASP_PKT_LOCAL, &p->local_addr);
	inet_pton(AF_INET, CLASP_PKT_PEER, &p->peer_addr);
	p->tun = tun_attach(TUN_NAME);
	if (p->tun < 0)
		return -1;
	if (tun_configure(TUN_NAME)) {
		close(p->tun);
		p->tun = -1;
		return -1;
	}
	return 0;
}

void clasp_pkt_close(struct clasp_pkt *p)
{
	if (p->tun >= 0)
		close(p->tun);
	p->tun = -1;
}

void clasp_pkt_conn(struct clasp_pkt *p, uint16_t local_port,
		    uint16_t peer_port)
{
	p->local_port = local_port;
	p->peer_port = peer_port;
	if (getrandom(&p->peer_isn, sizeof(p->peer_isn), 0) !=
	    sizeof(p->peer_isn))
		p->peer_isn = (uint32_t)clasp_pkt_now_us() * 2654435761u;
	clasp_pkt_forget_isn(p);
}

void clasp_pkt_forget_isn(struct clasp_pkt *p)
{
	p->local_isn = 0;
	p->local_isn_known = false;
}

void clasp_pkt_fill(uint32_t seq, void *buf, size_t len)
{
	uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = 'a' + (seq + i) % 26;
}

/* Text parsing: see the grammar in clasp_pkt.h. */

static const char *skip_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int parse_num(const char **s, long long *val)
{
	char *end;

	errno = 0;
	*val = strtoll(*s, &end, 0);
	if (end == *s || errno)
		return -1;
	*s = end;
	return 0;
}

/* Flags; "P?" in an expectation: PSH or not (*@maybe). */
static int parse_flags(const char **s, uint8_t *flags, uint8_t *maybe)
{
	const char *c = *s;

	*flags = 0;
	*maybe = 0;
	for (; *c && *c != ' ' && *c != '\t'; c++) {
		switch (*c) {
		case 'S':
			*flags |= TH_SYN;
			break;
		case 'F':
			*flags |= TH_FIN;
			break;
		case 'R':
			*flags |= TH_RST;
			break;
		case 'P':
			if (c[1] == '?') {
				*maybe |= TH_PUSH;
				c++;
			} else {
				*flags |= TH_PUSH;
			}
			break;
		case '.':
			*flags |= TH_ACK;
			break;
		default:
			return -1;
		}
	}
	if (c == *s)
		return -1;
	*s = c;
	return 0;
}

/* "SEQ" or "SEQ:END(LEN)" */
static int parse_range(const char **s, struct clasp_seg *seg)
{
	long long seq, end, len;

	if (parse_num(s, &seq))
		return -1;
	seg->seq = (uint32_t)seq;
	seg->len = 0;
	if (**s != ':')
		return 0;
	(*s)++;
	if (parse_num(s, &end) || **s != '(')
		return -1;
	(*s)++;
	if (parse_num(s, &len) || **s != ')' || len < 0 ||
	    (uint32_t)(end - seq) != (uint32_t)len)
		return -1;
	(*s)++;
	seg->len = len;
	return 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Is the word at *@s @word, followed by a blank, ',' or '>'?  Then skip it. */
static bool take(const char **s, const char *word)
{
	size_t n = strlen(word);
	char c;

	if (strncmp(*s, word, n))
		return false;
	c = (*s)[n];
	if (c && c != ' ' && c != ',' && c != '>' && c != '\t')
		return false;
	*s += n;
	return true;
}

/* One option of a "<...>" list into @spec->opts at *@n. */
static int parse_one_opt(const char **s, struct clasp_pkt_spec *spec,
			 size_t *n)
{
	size_t room = sizeof(spec->opts) - *n;
	uint8_t *o = spec->opts + *n;
	long long val, ecr;

	if (take(s, "mss")) {
		*s = skip_blank(*s);
		if (parse_num(s, &val) || val < 0 || val > 65535 || room < 4)
			return -1;
		o[0] = CLASP_OPT_MSS;
		o[1] = CLASP_OPTLEN_MSS;
		o[2] = val >> 8;
		o[3] = val & 0xff;
		if (!spec->seg.mss)
			spec->seg.mss = val;
		*n += 4;
	} else if (take(s, "wscale")) {
		*s = skip_blank(*s);
		if (parse_num(s, &val) || val < 0 || val > 255 || room < 3)
			return -1;
		o[0] = 3;
		o[1] = 3;
		o[2] = val;
		*n += 3;
	} else if (take(s, "sackOK")) {
		if (room < 2)
			return -1;
		o[0] = 4;
		o[1] = 2;
		*n += 2;
	} else if (take(s, "TS")) {
		*s = skip_blank(*s);
		if (!take(s, "val"))
			return -1;
		*s = skip_blank(*s);
		if (parse_num(s, &val) || room < 10)
			return -1;
		*s = skip_blank(*s);
		if (!take(s, "ecr"))
			return -1;
		*s = skip_blank(*s);
		ecr = 0;
		if (take(s, "ours"))
			spec->ecr_ours = true;
		else if (parse_num(s, &ecr))
			return -1;
		o[0] = 8;
		o[1] = 10;
		put_be32(o + 2, (uint32_t)val);
		put_be32(o + 6, (uint32_t)ecr);
		spec->ts_off = *n;
		*n += 10;
	} else if (take(s, "sack")) {
		size_t k = 2;

		while (*(*s = skip_blank(*s)) >= '0' && **s <= '9') {
			long long a, b;

			if (parse_num(s, &a) || **s != ':' || room < k + 8)
				return -1;
			(*s)++;
			if (parse_num(s, &b))
				return -1;
			put_be32(o + k, (uint32_t)a);
			put_be32(o + k + 4, (uint32_t)b);
			k += 8;
		}
		if (k == 2)
			return -1;
		o[0] = 5;
		o[1] = k;
		spec->sack_off = *n;
		*n += k;
	} else if (take(s, "nop") && room) {
		o[0] = CLASP_OPT_NOP;
		*n += 1;
	} else if (take(s, "eol") && room) {
		o[0] = CLASP_OPT_EOL;
		*n += 1;
	} else {
		return -1;
	}
	return 0;
}

/* The SACK blocks of @spec, relative in the text, made absolute. */
static void sack_rebase(struct clasp_pkt_spec *spec, uint32_t base)
{
	uint8_t *o;
	int i;

	if (spec->sack_off < 0)
		return;
	o = spec->opts + spec->sack_off;
	for (i = 2; i < o[1]; i += 4)
		put_be32(o + i, get_be32(o + i) + base);
}

/* "<mss 1460>", "<nop,nop,mss 536>", "<eol>", "<nop,nop,TS val 1 ecr 2>" */
static int parse_opts(const char **s, struct clasp_pkt_spec *spec)
{
	size_t n = 0;

	(*s)++;		/* '<' */
	for (;;) {
		*s = skip_blank(*s);
		if (parse_one_opt(s, spec, &n))
			return -1;
		*s = skip_blank(*s);
		if (**s == '>')
			break;
		if (**s != ',')
			return -1;
		(*s)++;
	}
	(*s)++;
	while (n % 4)
		spec->opts[n++] = CLASP_OPT_EOL;
	spec->seg.optlen = n;
	spec->seg.opts = spec->opts;
	return 0;
}

bool clasp_pkt_ts(const uint8_t *opt, size_t len, uint32_t *tsval,
		  uint32_t *tsecr)
{
	const uint8_t *o = clasp_opt_find(opt, len, 8, 10);

	if (!o)
		return false;
	*tsval = get_be32(o + 2);
	*tsecr = get_be32(o + 6);
	return true;
}

/*
 * The options as tcpdump prints them, ", "-less: "<mss 1460,nop,...>";
 * SACK blocks relative to @sack_base, the ISN of the data they cover.
 */
static size_t format_opts(const uint8_t *opt, size_t len, uint32_t sack_base,
			  char *buf, size_t size)
{
	size_t n = snprintf(buf, size, " <");
	const char *sep = "";
	int i;

	while (len > 0 && n < size) {
		uint8_t kind = opt[0], olen = len > 1 ? opt[1] : 0;

		if (kind == CLASP_OPT_NOP || kind == CLASP_OPT_EOL) {
			n += snprintf(buf + n, size - n, "%s%s", sep,
				      kind ? "nop" : "eol");
			opt++;
			len--;
			sep = ",";
			continue;
		}
		if (len < 2 || olen < 2 || olen > len) {
			n += snprintf(buf + n, size - n, "%s[bad opt]", sep);
			break;
		}
		if (kind == CLASP_OPT_MSS && olen == 4)
			n += snprintf(buf + n, size - n, "%smss %u", sep,
				      opt[2] << 8 | opt[3]);
		else if (kind == 3 && olen == 3)
			n += snprintf(buf + n, size - n, "%swscale %u", sep, opt[2]);
		else if (kind == 4 && olen == 2)
			n += snprintf(buf + n, size - n, "%ssackOK", sep);
		else if (kind == 8 && olen == 10)
			n += snprintf(buf + n, size - n, "%sTS val %u ecr %u", sep,
				      get_be32(opt + 2), get_be32(opt + 6));
		else if (kind == 5 && olen >= 10 && !((olen - 2) % 8)) {
			n += snprintf(buf + n, size - n, "%ssack", sep);
			for (i = 2; i < olen && n < size; i += 8)
				n += snprintf(buf + n, size - n, " %d:%d",
					      (int32_t)(get_be32(opt + i) -
							sack_base),
					      (int32_t)(get_be32(opt + i + 4) -
							sack_base));
		} else
			n += snprintf(buf + n, size - n, "%sopt-%u:%u", sep,
				      kind, olen);
		sep = ",";
		opt += olen;
		len -= olen;
	}
	if (n < size)
		n += snprintf(buf + n, size - n, ">");
	return n < size ? n : size;
}

int clasp_pkt_parse(const char *text, struct clasp_pkt_spec *spec)
{
	const char *s = skip_blank(text);
	long long val;

	memset(spec, 0, sizeof(*spec));
	spec->ts_off = -1;
	spec->sack_off = -1;
	spec->seg.win = CLASP_PKT_WIN;
	if (parse_flags(&s, &spec->seg.flags, &spec->flags_maybe))
		goto bad;
	s = skip_blank(s);
	if (parse_range(&s, &spec->seg))
		goto bad;
	for (;;) {
		s = skip_blank(s);
		if (!*s)
			return 0;
		if (!strncmp(s, "ack ", 4)) {
			s += 4;
			if (parse_num(&s, &val))
				goto bad;
			spec->seg.ack = (uint32_t)val;
		} else if (!strncmp(s, "win ", 4)) {
			s += 4;
			if (parse_num(&s, &val) || val < 0 || val > 65535)
				goto bad;
			spec->seg.win = val;
			spec->win_given = true;
		} else if (*s == '<') {
			if (parse_opts(&s, spec))
				goto bad;
		} else {
			goto bad;
		}
	}
bad:
	pkt_log("cannot parse segment \"%s\" near \"%s\"", text, s);
	return -1;
}

static void format_flags(uint8_t flags, char *buf)
{
	static const struct { uint8_t bit; char c; } names[] = {
		{ TH_SYN, 'S' }, { TH_FIN, 'F' }, { TH_RST, 'R' },
		{ TH_PUSH, 'P' }, { TH_URG, 'U' }, { TH_ACK, '.' },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			*buf++ = names[i].c;
	if (flags & ~(TH_SYN | TH_FIN | TH_RST | TH_PUSH | TH_URG | TH_ACK))
		buf += sprintf(buf, "[%#x]", flags);
	*buf = '\0';
}

void clasp_pkt_format(const struct clasp_pkt *p, const struct clasp_seg *s,
		      bool from_module, bool show_win, char *buf, size_t size)
{
	uint32_t seq_base = from_module ? p->local_isn : p->peer_isn;
	uint32_t ack_base = from_module ? p->peer_isn : p->local_isn;
	uint32_t seq = s->seq - seq_base;
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN], flags[16];
	size_t n;

	inet_ntop(AF_INET, &s->saddr, src, sizeof(src));
	inet_ntop(AF_INET, &s->daddr, dst, sizeof(dst));
	format_flags(s->flags, flags);
	n = snprintf(buf, size, "%s:%u > %s:%u %s %d:%d(%zu)", src, s->sport,
		     dst, s->dport, flags, (int32_t)seq,
		     (int32_t)(seq + s->len), s->len);
	if (n < size && s->flags & TH_ACK)
		n += snprintf(buf + n, size - n, " ack %d",
			      (int32_t)(s->ack - ack_base));
	if (n < size && show_win)
		n += snprintf(buf + n, size - n, " win %u", s->win);
	if (n < size && s->optlen && s->opts)
		n += format_opts(s->opts, s->optlen, ack_base, buf + n,
				 size - n);
	else if (n < size && s->optlen == CLASP_OPTLEN_MSS && s->mss)
		n += snprintf(buf + n, size - n, " <mss %u>", s->mss);
	else if (n < size && s->optlen)
		n += snprintf(buf + n, size - n, " <%zu option bytes, mss %u>",
			      s->optlen, s->mss);
	if (n < size && s->doff && s->doff * 4 != 20 + s->optlen)
		n += snprintf(buf + n, size - n, " [doff %u]", s->doff);
	if (n < size && s->bad_csum)
		n += snprintf(buf + n, size - n, " [bad checksum]");
	if (n < size && s->truncate)
		snprintf(buf + n, size - n, " [cut to %zu bytes]", s->truncate);
}

int clasp_pkt_match(const struct clasp_pkt *p,
		    const struct clasp_pkt_spec *want,
		    const struct clasp_seg *got, char *why, size_t size)
{
	const struct clasp_seg *w = &want->seg;
	uint32_t peer = w->daddr ? w->daddr : p->peer_addr;
	const char *diff = NULL;

	if (got->saddr != p->local_addr || got->daddr != peer)
		diff = "addresses differ";
	else if (got->sport != p->local_port || got->dport != p->peer_port)
		diff = "ports differ";
	else if ((got->flags & ~want->flags_maybe) != w->flags)
		diff = "flags differ";
	else if (got->seq != p->local_isn + w->seq)
		diff = "seq differs";
	else if (w->flags & TH_ACK && got->ack != p->peer_isn + w->ack)
		diff = "ack differs";
	else if (got->len != w->len)
		diff = "payload length differs";
	else if (want->win_given && got->win != w->win)
		diff = "window differs";
	else if (got->optlen != w->optlen || got->mss != w->mss)
		diff = "options differ";
	else if (w->optlen && got->opts) {
		uint8_t o[40];

		/* Byte for byte, but for the TSval: the module's clock. */
		memcpy(o, want->opts, w->optlen);
		if (want->ts_off >= 0)
			memcpy(o + want->ts_off + 2,
			       (const uint8_t *)got->opts + want->ts_off + 2, 4);
		if (memcmp(o, got->opts, w->optlen))
			diff = "options differ (TSval not compared)";
	}
	if (diff)
		snprintf(why, size, "%s", diff);
	return diff ? -1 : 0;
}

/* Absolute numbers and the peer's addresses for a relative segment. */
static void to_wire(const struct clasp_pkt *p, const struct clasp_seg *rel,
		    struct clasp_seg *abs)
{
	*abs = *rel;
	abs->saddr = rel->saddr ? rel->saddr : p->peer_addr;
	abs->daddr = rel->daddr ? rel->daddr : p->local_addr;
	abs->sport = rel->sport ? rel->sport : p->peer_port;
	abs->dport = rel->dport ? rel->dport : p->local_port;
	abs->seq = p->peer_isn + rel->seq;
	abs->ack = p->local_isn + rel->ack;
}

int clasp_pkt_send(struct clasp_pkt *p, const struct clasp_seg *rel)
{
	uint8_t buf[2048], payload[1500];
	struct clasp_seg s;
	char line[160];
	size_t n;

	to_wire(p, rel, &s);
	if (s.len && !s.data) {
		if (s.len > sizeof(payload)) {
			pkt_log("payload of %zu bytes is too long", s.len);
			return -1;
		}
		clasp_pkt_fill(rel->seq, payload, s.len);
		s.data = payload;
	}
	n = clasp_ip_build(&s, buf, sizeof(buf));
	clasp_pkt_format(p, &s, false, true, line, sizeof(line));
	if (!n) {
		pkt_log("cannot build %s", line);
		return -1;
	}
	history_add(p, "inject", line);
	p->sent_us = clasp_pkt_now_us();
	if (write(p->tun, buf, n) != (ssize_t)n) {
		pkt_log("writing %s to the tun device: %s", line,
			strerror(errno));
		return -1;
	}
	p->ref_us = clasp_pkt_now_us();
	return 0;
}

/*
 * An ICMP error from @from quoting the module's segment with relative
 * sequence number @seq; @rest is the second word of the ICMP header (the
 * next-hop MTU, a gateway), in network order.
 */
static int pkt_icmp(struct clasp_pkt *p, uint32_t from, int type, int code,
		    uint32_t rest, uint32_t seq, const char *what)
{
	uint8_t buf[sizeof(struct iphdr) + 8 + sizeof(struct iphdr) + 8] = { 0 };
	struct iphdr *outer = (struct iphdr *)buf;
	uint8_t *icmp = buf + sizeof(*outer);
	struct iphdr *quoted = (struct iphdr *)(icmp + 8);
	uint8_t *th = (uint8_t *)(quoted + 1);
	uint32_t abs_seq = htonl(p->local_isn + seq);
	char line[160];

	outer->version = 4;
	outer->ihl = 5;
	outer->tot_len = htons(sizeof(buf));
	outer->ttl = 64;
	outer->protocol = IPPROTO_ICMP;
	outer->saddr = from;
	outer->daddr = p->local_addr;
	outer->check = htons(clasp_csum(outer, sizeof(*outer), 0));
	icmp[0] = type;
	icmp[1] = code;
	memcpy(icmp + 4, &rest, 4);
	/* The module's segment as it left: its IP header, 8 bytes of it. */
	quoted->version = 4;
	quoted->ihl = 5;
	quoted->tot_len = htons(sizeof(*quoted) + 1400);
	quoted->frag_off = htons(IP_DF);
	quoted->ttl = 63;
	quoted->protocol = clasp_proto();
	quoted->saddr = p->local_addr;
	quoted->daddr = p->peer_addr;
	quoted->check = htons(clasp_csum(quoted, sizeof(*quoted), 0));
	memcpy(th, &(uint16_t){ htons(p->local_port) }, 2);
	memcpy(th + 2, &(uint16_t){ htons(p->peer_port) }, 2);
	memcpy(th + 4, &abs_seq, 4);
	memcpy(icmp + 2, &(uint16_t){ htons(clasp_csum(icmp, 8 + sizeof(*quoted) + 8, 0)) }, 2);

	snprintf(line, sizeof(line), "ICMP type %d code %d %s quoting seq %u",
		 type, code, what, seq);
	history_add(p, "inject", line);
	p->sent_us = clasp_pkt_now_us();
	if (write(p->tun, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
		pkt_log("writing %s to the tun device: %s", line, strerror(errno));
		return -1;
	}
	p->ref_us = clasp_pkt_now_us();
	return 0;
}

int clasp_pkt_icmp(struct clasp_pkt *p, int type, int code, int mtu,
		   uint32_t seq)
{
	char what[32];

	snprintf(what, sizeof(what), "mtu %d", mtu);
	return pkt_icmp(p, p->peer_addr, type, code, htonl(mtu & 0xffff), seq,
			what);
}

int clasp_pkt_redirect(struct clasp_pkt *p, const char *gateway,
		       const char *new_gateway, uint32_t seq)
{
	struct in_addr from, to;
	char what[64];

	if (inet_pton(AF_INET, gateway, &from) != 1 ||
	    inet_pton(AF_INET, new_gateway, &to) != 1)
		return -1;
	snprintf(what, sizeof(what), "from %s to %s", gateway, new_gateway);
	return pkt_icmp(p, from.s_addr, ICMP_REDIRECT, ICMP_REDIR_HOST,
			to.s_addr, seq, what);
}

int clasp_pkt_inject(struct clasp_pkt *p, const char *fmt, ...)
{
	struct clasp_pkt_spec spec;
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (clasp_pkt_parse(text, &spec))
		return -1;
	if (spec.ecr_ours)
		put_be32(spec.opts + spec.ts_off + 6, p->local_tsval);
	sack_rebase(&spec, p->local_isn);	/* the peer SACKs our data */
	spec.seg.opts = spec.seg.optlen ? spec.opts : NULL;
	return clasp_pkt_send(p, &spec.seg);
}

int clasp_pkt_recv(struct clasp_pkt *p, struct clasp_seg *got, int ms)
{
	long long end = clasp_pkt_now_us() + ms * 1000LL;

	for (;;) {
		struct pollfd pfd = { .fd = p->tun, .events = POLLIN };
		long long left = end - clasp_pkt_now_us();
		ssize_t n;
		int r;

		r = poll(&pfd, 1, left > 0 ? (int)((left + 999) / 1000) : 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (!r)
			return 0;
		n = read(p->tun, p->rx, sizeof(p->rx));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -1;
		if (!clasp_seg_parse(p->rx, n, got)) {
			uint32_t val, ecr;

			if (clasp_pkt_ts(got->opts, got->optlen, &val, &ecr))
				p->local_tsval = val;
			return 1;
		}
		/* Not clasp (IPv6 neighbour chatter, say): not ours to judge. */
	}
}

int clasp_pkt_tolerance_ms(const struct clasp_pkt *p, int delta_ms)
{
	return p->tol_abs_ms + delta_ms * p->tol_rel_pct / 100;
}

/* How late an event due @delta_ms after the last one may be. */
static int late_ms(const struct clasp_pkt *p, int delta_ms)
{
	int late = CLASP_PKT_LATE_FACTOR * clasp_pkt_tolerance_ms(p, delta_ms);

	return late > p->stall_ms ? late : p->stall_ms;
}

/* The latest acceptable time for an event due @delta_ms after @ref_us. */
static long long deadline_us(const struct clasp_pkt *p, int delta_ms)
{
	return p->ref_us + (delta_ms + late_ms(p, delta_ms)) * 1000LL;
}

/* 0 when @at_us is on time for @delta_ms after the last event, else why not. */
static const char *timing_error(const struct clasp_pkt *p, long long at_us,
				int delta_ms)
{
	long long due = p->ref_us + delta_ms * 1000LL;

	if (at_us < due - clasp_pkt_tolerance_ms(p, delta_ms) * 1000LL)
		return "too early";
	if (at_us > deadline_us(p, delta_ms))
		return "too late";
	return NULL;
}

static void report_expected(const struct clasp_pkt *p, const char *want,
			    int delta_ms)
{
	pkt_log("expected at %+d ms (-%d/+%d): %s", delta_ms,
		clasp_pkt_tolerance_ms(p, delta_ms), late_ms(p, delta_ms), want);
}

int clasp_pkt_expect(struct clasp_pkt *p, int delta_ms, const char *fmt, ...)
{
	char text[256], want[200], line[200], why[64];
	const char *late;
	long long at;
	struct clasp_pkt_spec spec;
	struct clasp_seg got;
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (clasp_pkt_parse(text, &spec))
		return -1;
	if (spec.ecr_ours)
		put_be32(spec.opts + spec.ts_off + 6, p->local_tsval);
	sack_rebase(&spec, p->peer_isn);	/* the module SACKs the peer's */
	spec.seg.saddr = p->local_addr;
	spec.seg.daddr = p->peer_addr;
	spec.seg.sport = p->local_port;
	spec.seg.dport = p->peer_port;

	r = clasp_pkt_recv(p, &got, (deadline_us(p, delta_ms) - clasp_pkt_now_us()) / 1000);
	at = clasp_pkt_now_us();
	if (r > 0 && spec.seg.flags & TH_SYN && got.flags & TH_SYN &&
	    !p->local_isn_known) {
		p->local_isn = got.seq - spec.seg.seq;
		p->local_isn_known = true;
	}
	spec.seg.seq += p->local_isn;
	spec.seg.ack += p->peer_isn;
	clasp_pkt_format(p, &spec.seg, true, spec.win_given, want, sizeof(want));
	spec.seg.seq -= p->local_isn;
	spec.seg.ack -= p->peer_isn;
	if (r <= 0) {
		report_expected(p, want, delta_ms);
		pkt_log("     got: %s after %+lld ms", r ? strerror(errno) :
			"nothing", (at - p->ref_us) / 1000);
		history_dump(p);
		return -1;
	}
	clasp_pkt_format(p, &got, true, true, line, sizeof(line));
	history_add(p, "got", line);
	if (clasp_pkt_match(p, &spec, &got, why, sizeof(why))) {
		report_expected(p, want, delta_ms);
		pkt_log("     got at %+lld ms: %s  [%s]",
			(at - p->ref_us) / 1000, line, why);
		history_dump(p);
		return -1;
	}
	late = timing_error(p, at, delta_ms);
	if (late) {
		report_expected(p, want, delta_ms);
		pkt_log("     got at %+lld ms: %s  [%s]",
			(at - p->ref_us) / 1000, line, late);
		history_dump(p);
		return -1;
	}
	p->ref_us = at;
	return 0;
}

int clasp_pkt_expect_none(struct clasp_pkt *p, int ms)
{
	long long start = clasp_pkt_now_us();
	struct clasp_seg got;
	char line[200];
	int r;

	if (ms < 0)
		ms = p->quiet_ms;
	r = clasp_pkt_recv(p, &got, ms);
	if (!r)
		return 0;
	if (r < 0) {
		pkt_log("reading the tun device: %s", strerror(errno));
		return -1;
	}
	clasp_pkt_format(p, &got, true, true, line, sizeof(line));
	history_add(p, "got", line);
	pkt_log("expected nothing for %d ms", ms);
	pkt_log("     got after %lld ms: %s",
		(clasp_pkt_now_us() - start) / 1000, line);
	history_dump(p);
	return -1;
}

void clasp_pkt_mark(struct clasp_pkt *p)
{
	p->ref_us = clasp_pkt_now_us();
}

void clasp_pkt_mark_at(struct clasp_pkt *p, long long at_us)
{
	p->ref_us = at_us;
}

int clasp_pkt_at(struct clasp_pkt *p, long long at_us, int delta_ms,
		 const char *what)
{
	const char *late = timing_error(p, at_us, delta_ms);

	history_add(p, "event", what);
	if (!late) {
		p->ref_us = at_us;
		return 0;
	}
	pkt_log("%s: expected at %+d ms (-%d/+%d), happened at %+lld ms: %s",
		what, delta_ms, clasp_pkt_tolerance_ms(p, delta_ms),
		late_ms(p, delta_ms),
		(at_us - p->ref_us) / 1000, late);
	history_dump(p);
	return -1;
}

/* Generic netlink: one request, its answer in @ans; length or -errno. */
static int genl_talk(int fd, struct nlmsghdr *req, char *ans, size_t size)
{
	struct nlmsghdr *n = (struct nlmsghdr *)ans;
	ssize_t len;

	req->nlmsg_flags = NLM_F_REQUEST;
	req->nlmsg_seq = 1;
	if (send(fd, req, req->nlmsg_len, 0) != (ssize_t)req->nlmsg_len)
		return -errno;
	len = recv(fd, ans, size, 0);
	if (len < 0)
		return -errno;
	if (!NLMSG_OK(n, (size_t)len))
		return -EBADMSG;
	if (n->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(n);

		return e->error ? e->error : -ENODATA;
	}
	return len;
}

struct genl_req {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[128];
};

static void genl_init(struct genl_req *r, uint16_t family, uint8_t cmd)
{
	memset(r, 0, sizeof(*r));
	r->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->n.nlmsg_type = family;
	r->g.cmd = cmd;
	r->g.version = 1;
}

static void genl_put(struct genl_req *r, uint16_t type, const void *data,
		     size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r +
					     NLMSG_ALIGN(r->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* The payload of attribute @type in the answer at @ans, or NULL. */
static const void *genl_attr(const char *ans, uint16_t type)
{
	const struct nlmsghdr *n = (const struct nlmsghdr *)ans;
	const char *pos = ans + NLMSG_LENGTH(GENL_HDRLEN);
	const char *end = ans + n->nlmsg_len;

	while (pos + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)pos;

		if (a->nla_len < NLA_HDRLEN || pos + a->nla_len > end)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return pos + NLA_HDRLEN;
		pos += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static int genl_family(int fd, const char *name)
{
	struct genl_req r;
	char ans[1024];
	const uint16_t *id;

	genl_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	genl_put(&r, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	if (genl_talk(fd, &r.n, ans, sizeof(ans)) < 0)
		return -1;
	id = genl_attr(ans, CTRL_ATTR_FAMILY_ID);
	return id ? *id : -1;
}

static int genl_u8(const char *ans, uint16_t type)
{
	const uint8_t *v = genl_attr(ans, type);

	return v ? *v : -1;
}

/*
 * CLASP_PROTO=6: the same view of a kernel TCP connection, from sock_diag
 * (what ss shows): a dump of every TCP socket but listeners, request and
 * TIME_WAIT ones included, matched on the 4-tuple.  idiag_timer 1 is the
 * retransmission timer, 2 keepalive (sk_timer), 3 a timewait socket's,
 * which is the FIN_WAIT_2 timer when its substate is FIN_WAIT_2, and 4
 * the zero window probe.  The backoff and the recovery state come from
 * its struct tcp_info (tcpi_backoff is its fifth byte, tcpi_ca_state its
 * second); a request socket has none (-1).
 */
static int tcp_diag_info(const struct clasp_pkt *p, struct clasp_pkt_info *info)
{
	struct {
		struct nlmsghdr n;
		struct inet_diag_req_v2 r;
	} req = {
		.n = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.r = {
			.sdiag_family = AF_INET,
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_ext = 1 << (INET_DIAG_INFO - 1),
			.idiag_states = ~(1U << TCP_LISTEN),
		},
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	static char buf[65536];
	int ret = -1, found = 0, done = 0;

	if (fd < 0)
		return -1;
	if (send(fd, &req, sizeof(req), 0) != sizeof(req))
		goto out;
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (n <= 0)
			goto out;
		for (; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			struct inet_diag_msg *m = NLMSG_DATA(h);
			struct rtattr *a;
			int alen;

			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR)
				goto out;
			if (found || m->id.idiag_src[0] != p->local_addr ||
			    m->id.idiag_dst[0] != p->peer_addr ||
			    ntohs(m->id.idiag_sport) != p->local_port ||
			    ntohs(m->id.idiag_dport) != p->peer_port)
				continue;
			found = 1;
			info->state = m->idiag_state;
			info->timer = m->idiag_timer == 1 ? CLASP_TIMER_RETRANS :
				      m->idiag_timer == 2 ? CLASP_TIMER_KEEPALIVE :
				      m->idiag_timer == 3 ?
				      (m->idiag_state == TCP_FIN_WAIT2 ?
				       CLASP_TIMER_FINWAIT2 : CLASP_TIMER_TIMEWAIT) :
				      m->idiag_timer ? 100 + m->idiag_timer :
				      CLASP_TIMER_NONE;
			info->timer_ms = m->idiag_timer ? m->idiag_expires : 0;
			info->retrans = m->idiag_retrans;
			info->backoff = -1;
			info->ca_state = -1;
			info->ooo_segs = -1;
			info->sack_blocks = -1;
			alen = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
			for (a = (struct rtattr *)(m + 1); RTA_OK(a, alen);
			     a = RTA_NEXT(a, alen)) {
				if (a->rta_type != INET_DIAG_INFO ||
				    RTA_PAYLOAD(a) < 5)
					continue;
				info->ca_state = ((uint8_t *)RTA_DATA(a))[1];
				info->backoff = ((uint8_t *)RTA_DATA(a))[4];
			}
		}
	}
	ret = found ? 0 : 1;
out:
	close(fd);
	return ret;
}

int clasp_pkt_info(const struct clasp_pkt *p, struct clasp_pkt_info *info)
{
	uint16_t lport = p->local_port, rport = p->peer_port;
	const uint32_t *timer_ms, *ooo;
	struct genl_req r;
	int fd, family, ret = -1;
	char ans[1024];

	memset(info, 0, sizeof(*info));
	if (clasp_is_tcp()) {
		ret = tcp_diag_info(p, info);
		if (ret < 0)
			pkt_log("sock_diag: cannot look the connection up");
		return ret;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -1;
	family = genl_family(fd, CLASP_GENL_NAME);
	if (family < 0)
		goto out;
	genl_init(&r, family, CLASP_CMD_CONN_GET);
	genl_put(&r, CLASP_A_LADDR, &p->local_addr, 4);
	genl_put(&r, CLASP_A_RADDR, &p->peer_addr, 4);
	genl_put(&r, CLASP_A_LPORT, &lport, 2);
	genl_put(&r, CLASP_A_RPORT, &rport, 2);
	ret = genl_talk(fd, &r.n, ans, sizeof(ans));
	if (ret == -ENOENT) {
		ret = 1;
		goto out;
	}
	if (ret < 0)
		goto out;
	info->state = genl_u8(ans, CLASP_A_STATE);
	info->timer = genl_u8(ans, CLASP_A_TIMER);
	info->retrans = genl_u8(ans, CLASP_A_RETRANS);
	info->backoff = genl_u8(ans, CLASP_A_BACKOFF);
	info->ca_state = genl_u8(ans, CLASP_A_CA_STATE);
	ooo = genl_attr(ans, CLASP_A_OOO_SEGS);
	info->ooo_segs = ooo ? *ooo : -1;
	info->sack_blocks = genl_u8(ans, CLASP_A_SACK_BLOCKS);
	timer_ms = genl_attr(ans, CLASP_A_TIMER_MS);
	info->timer_ms = timer_ms ? *timer_ms : 0;
	ret = info->state < 0 ? -1 : 0;
out:
	if (ret < 0)
		pkt_log("netlink: cannot look the connection up");
	close(fd);
	return ret;
}

int clasp_pkt_state(const struct clasp_pkt *p)
{
	struct clasp_pkt_info info;
	int ret = clasp_pkt_info(p, &info);

	return ret ? (ret > 0 ? 0 : -1) : info.state;
}

/* Socket calls in a thread. */

static void *call_main(void *arg)
{
	struct clasp_call *c = arg;

	switch (c->op) {
	case CLASP_CALL_ACCEPT:
		c->ret = accept(c->fd, NULL, NULL);
		break;
	case CLASP_CALL_CONNECT:
		c->ret = connect(c->fd, (struct sockaddr *)&c->addr,
				 sizeof(c->addr));
		break;
	case CLASP_CALL_RECV:
		c->ret = recv(c->fd, c->buf, c->len, 0);
		break;
	default:
		c->ret = -1;
		errno = EINVAL;
	}
	c->err = c->ret < 0 ? errno : 0;
	__atomic_store_n(&c->done_us, clasp_pkt_now_us(), __ATOMIC_RELEASE);
	return NULL;
}

static int call_start(struct clasp_call *c)
{
	c->done_us = 0;
	c->ret = -1;
	c->err = 0;
	errno = pthread_create(&c->thread, NULL, call_main, c);
	return errno ? -1 : 0;
}

int clasp_call_accept(struct clasp_call *c, int lfd)
{
	memset(c, 0, sizeof(*c));
	c->op = CLASP_CALL_ACCEPT;
	c->fd = lfd;
	return call_start(c);
}

int clasp_call_connect(struct clasp_call *c, int fd,
		       const struct sockaddr_in *to)
{
	memset(c, 0, sizeof(*c));
	c->op = CLASP_CALL_CONNECT;
	c->fd = fd;
	c->addr = *to;
	return call_start(c);
}

int clasp_call_recv(struct clasp_call *c, int fd, void *buf, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->op = CLASP_CALL_RECV;
	c->fd = fd;
	c->buf = buf;
	c->len = len;
	return call_start(c);
}

bool clasp_call_done(struct clasp_call *c)
{
	return __atomic_load_n(&c->done_us, __ATOMIC_ACQUIRE) != 0;
}

int clasp_call_wait(struct clasp_call *c, int ms)
{
	long long end = clasp_pkt_now_us() + ms * 1000LL;

	while (!clasp_call_done(c)) {
		if (clasp_pkt_now_us() >= end)
			return -1;
		clasp_sleep_ms(1);
	}
	if (!c->joined)
		pthread_join(c->thread, NULL);
	c->joined = true;
	return 0;
}
