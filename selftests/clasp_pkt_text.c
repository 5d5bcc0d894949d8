// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_pkt_text: the fake peer's segments as text (clasp_pkt.h gives the
 * grammar): parsing what a test writes, printing what the module sends,
 * and matching the two.
 */
#include <stdarg.h>

#include "clasp_pkt.h"

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
		case 'E':
			*flags |= CLASP_TH_ECE;
			break;
		case 'W':
			*flags |= CLASP_TH_CWR;
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

void clasp_pkt_spec_resolve(struct clasp_pkt_spec *spec, uint32_t tsecr,
			    uint32_t sack_base)
{
	if (spec->ecr_ours)
		put_be32(spec->opts + spec->ts_off + 6, tsecr);
	sack_rebase(spec, sack_base);
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
		} else if (!strncmp(s, "ect0", 4) || !strncmp(s, "ect1", 4)) {
			spec->seg.tos = s[3] == '0' ? CLASP_ECN_ECT_0 : CLASP_ECN_ECT_1;
			s += 4;
		} else if (!strncmp(s, "ce", 2) && (!s[2] || s[2] == ' ')) {
			spec->seg.tos = CLASP_ECN_CE;
			s += 2;
		} else {
			goto bad;
		}
	}
bad:
	clasp_pkt_log("cannot parse segment \"%s\" near \"%s\"", text, s);
	return -1;
}

static void format_flags(uint8_t flags, char *buf)
{
	static const struct { uint8_t bit; char c; } names[] = {
		{ TH_SYN, 'S' }, { TH_FIN, 'F' }, { TH_RST, 'R' },
		{ TH_PUSH, 'P' }, { TH_URG, 'U' }, { TH_ACK, '.' },
		{ CLASP_TH_ECE, 'E' }, { CLASP_TH_CWR, 'W' },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			*buf++ = names[i].c;
	if (flags & ~(TH_SYN | TH_FIN | TH_RST | TH_PUSH | TH_URG | TH_ACK |
		      CLASP_TH_ECE | CLASP_TH_CWR))
		buf += sprintf(buf, "[%#x]", flags);
	*buf = '\0';
}

void clasp_pkt_format(const struct clasp_pkt *p, const struct clasp_seg *s,
		      bool from_module, bool show_win, char *buf, size_t size)
{
	uint32_t seq_base = from_module ? p->local_isn : p->peer_isn;
	uint32_t ack_base = from_module ? p->peer_isn : p->local_isn;
	uint32_t seq = s->seq - seq_base;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], flags[16];
	size_t n;

	if (s->v6) {
		inet_ntop(AF_INET6, &s->saddr6, src, sizeof(src));
		inet_ntop(AF_INET6, &s->daddr6, dst, sizeof(dst));
	} else {
		inet_ntop(AF_INET, &s->saddr, src, sizeof(src));
		inet_ntop(AF_INET, &s->daddr, dst, sizeof(dst));
	}
	format_flags(s->flags, flags);
	n = snprintf(buf, size, s->v6 ? "[%s]:%u > [%s]:%u %s %d:%d(%zu)" :
			       "%s:%u > %s:%u %s %d:%d(%zu)", src, s->sport,
		     dst, s->dport, flags, (int32_t)seq,
		     (int32_t)(seq + s->len), s->len);
	if (n < size && s->flags & TH_ACK)
		n += snprintf(buf + n, size - n, " ack %d",
			      (int32_t)(s->ack - ack_base));
	if (n < size && show_win)
		n += snprintf(buf + n, size - n, " win %u", s->win);
	if (n < size && s->tos & CLASP_ECN_MASK) {
		static const char *const ecn[] = { "", "ect1", "ect0", "ce" };

		n += snprintf(buf + n, size - n, " %s",
			      ecn[s->tos & CLASP_ECN_MASK]);
	}
	if (n < size && s->optlen && s->opts)
		n += format_opts(s->opts, s->optlen, ack_base, buf + n,
				 size - n);
	else if (n < size && s->optlen == CLASP_OPTLEN_MSS && s->mss)
		n += snprintf(buf + n, size - n, " <mss %u>", s->mss);
	else if (n < size && s->optlen)
		n += snprintf(buf + n, size - n, " <%zu option bytes, mss %u>",
			      s->optlen, s->mss);
	if (n < size && s->v6 && s->hlim && s->hlim != CLASP_HOP_LIMIT)
		n += snprintf(buf + n, size - n, " hlim %u", s->hlim);
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
	const struct in6_addr *peer6 = w->v6 &&
		!IN6_IS_ADDR_UNSPECIFIED(&w->daddr6) ? &w->daddr6 : &p->peer_addr6;
	const char *diff = NULL;

	if (got->v6 != p->v6)
		diff = "address family differs";
	else if (!p->v6 && (got->saddr != p->local_addr || got->daddr != peer))
		diff = "addresses differ";
	else if (p->v6 && (memcmp(&got->saddr6, &p->local_addr6, 16) ||
			   memcmp(&got->daddr6, peer6, 16)))
		diff = "addresses differ";
	/* Linux's default, a new namespace's (the tests do not change it). */
	else if (p->v6 && got->hlim != CLASP_HOP_LIMIT)
		diff = "hop limit differs";
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
	else if ((got->tos ^ w->tos) & CLASP_ECN_MASK)
		diff = "ECN field differs";
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
