/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Crafted segments for the packet-level tests: struct clasp_seg, its
 * checksums, building an IPv4 or IPv6 packet of one, parsing what comes
 * back, and raw sockets to send and receive them.
 */
#ifndef CLASP_SEG_H
#define CLASP_SEG_H

#include "clasp_util.h"

/*
 * A segment as the tests see it: the header fields in host order.  The
 * builder sends @opts when given, else an MSS option when @mss is set; the
 * parser fills @mss from the MSS option and @optlen with the option bytes.
 */
struct clasp_seg {
	uint32_t saddr, daddr;		/* network order */
	bool v6;			/* IPv6: the addresses are these */
	struct in6_addr saddr6, daddr6;
	uint8_t hlim;			/* parsed: IPv6 hop limit */
	uint32_t flowlabel;		/* parsed: IPv6 flow label */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;			/* TH_SYN, TH_ACK, ... */
	uint8_t tos;			/* the IP header's; its ECN field */
	uint16_t win;
	uint8_t doff;			/* in 32-bit words; 0 means 5 */
	uint16_t mss;			/* MSS option, 0 for none */
	const void *opts;
	size_t optlen;
	const void *data;
	size_t len;
	int bad_csum;			/* corrupt the checksum */
	size_t truncate;		/* send only this many bytes if nonzero */
};

/* The header flags netinet/tcp.h does not name (RFC 3168). */
#define CLASP_TH_ECE		0x40
#define CLASP_TH_CWR		0x80
/* The ECN field of the IP header: its low two bits. */
#define CLASP_ECN_MASK		3
#define CLASP_ECN_ECT_1		1
#define CLASP_ECN_ECT_0		2
#define CLASP_ECN_CE		3

#define CLASP_OPT_EOL		0
#define CLASP_OPT_NOP		1
#define CLASP_OPT_MSS		2
#define CLASP_OPTLEN_MSS	4

static inline uint16_t clasp_csum(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;

	while (len > 1) {
		sum += (p[0] << 8) | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * The checksum of @len bytes of clasp segment at @seg (checksum field
 * zero) from @saddr to @daddr, over the pseudo-header as TCP's.
 */
static inline uint16_t clasp_seg_csum(uint32_t saddr, uint32_t daddr,
				      const void *seg, size_t len)
{
	uint8_t pseudo[12];
	uint32_t sum = 0;
	size_t i;

	memcpy(pseudo, &saddr, 4);
	memcpy(pseudo + 4, &daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = clasp_proto();
	pseudo[10] = len >> 8;
	pseudo[11] = len & 0xff;
	for (i = 0; i < sizeof(pseudo); i += 2)
		sum += (pseudo[i] << 8) | pseudo[i + 1];
	return clasp_csum(seg, len, sum);
}

/*
 * The checksum of @len bytes at @buf (checksum field zero) carried with
 * next header @nexthdr from @saddr to @daddr, over IPv6's pseudo-header
 * (RFC 8200 8.1): clasp segments and ICMPv6 messages (RFC 4443 2.3).
 */
static inline uint16_t clasp_csum6(const struct in6_addr *saddr,
				   const struct in6_addr *daddr,
				   uint8_t nexthdr, const void *buf, size_t len)
{
	uint8_t pseudo[40] = { 0 };
	uint32_t sum = 0;
	size_t i;

	memcpy(pseudo, saddr, 16);
	memcpy(pseudo + 16, daddr, 16);
	pseudo[32] = len >> 24;
	pseudo[33] = len >> 16;
	pseudo[34] = len >> 8;
	pseudo[35] = len & 0xff;
	pseudo[39] = nexthdr;
	for (i = 0; i < sizeof(pseudo); i += 2)
		sum += (pseudo[i] << 8) | pseudo[i + 1];
	return clasp_csum(buf, len, sum);
}

/* The checksum of a clasp segment over IPv6. */
static inline uint16_t clasp_seg_csum6(const struct in6_addr *saddr,
				       const struct in6_addr *daddr,
				       const void *seg, size_t len)
{
	return clasp_csum6(saddr, daddr, clasp_proto(), seg, len);
}

/* The checksum of @s serialised in @len bytes at @seg, by its family. */
static inline uint16_t clasp_seg_csum_of(const struct clasp_seg *s,
					 const void *seg, size_t len)
{
	if (s->v6)
		return clasp_seg_csum6(&s->saddr6, &s->daddr6, seg, len);
	return clasp_seg_csum(s->saddr, s->daddr, seg, len);
}

/* Serialise @s into @buf with a correct (or deliberately bad) checksum. */
static inline size_t clasp_seg_build(const struct clasp_seg *s, uint8_t *buf,
				     size_t size)
{
	uint8_t mss_opt[CLASP_OPTLEN_MSS] = {
		CLASP_OPT_MSS, CLASP_OPTLEN_MSS, s->mss >> 8, s->mss & 0xff,
	};
	const void *opts = s->opts ? s->opts : s->mss ? mss_opt : NULL;
	size_t optlen = s->opts ? s->optlen : s->mss ? sizeof(mss_opt) : 0;
	size_t hlen = sizeof(struct tcphdr) + optlen;
	size_t total = hlen + s->len;
	struct tcphdr *th = (struct tcphdr *)buf;
	uint16_t c;

	if (total > size)
		return 0;
	memset(buf, 0, hlen);
	th->th_sport = htons(s->sport);
	th->th_dport = htons(s->dport);
	th->th_seq = htonl(s->seq);
	th->th_ack = htonl(s->ack);
	th->th_off = s->doff ? s->doff : hlen / 4;
	th->th_flags = s->flags;
	th->th_win = htons(s->win);
	if (optlen)
		memcpy(buf + sizeof(*th), opts, optlen);
	if (s->len)
		memcpy(buf + hlen, s->data, s->len);

	c = clasp_seg_csum_of(s, buf, total);
	th->th_sum = htons(s->bad_csum ? (uint16_t)(c ^ 0x5a5a) : c);
	return s->truncate ? s->truncate : total;
}

#define CLASP_IP6_HLEN	40	/* the fixed IPv6 header */
#define CLASP_HOP_LIMIT	64	/* what the peer sends; a new namespace's too */

/*
 * @s with an IPv6 header in front (clasp_ip_build()): next header the
 * clasp protocol, hop limit 64, flow label 0, traffic class @s->tos.
 */
static inline size_t clasp_ip6_build(const struct clasp_seg *s, uint8_t *buf,
				     size_t size)
{
	uint32_t vtcfl = htonl(6U << 28 | (uint32_t)s->tos << 20);
	size_t n;

	if (size < CLASP_IP6_HLEN)
		return 0;
	n = clasp_seg_build(s, buf + CLASP_IP6_HLEN, size - CLASP_IP6_HLEN);
	if (!n)
		return 0;
	memset(buf, 0, CLASP_IP6_HLEN);
	memcpy(buf, &vtcfl, 4);
	buf[4] = n >> 8;
	buf[5] = n & 0xff;
	buf[6] = clasp_proto();
	buf[7] = CLASP_HOP_LIMIT;
	memcpy(buf + 8, &s->saddr6, 16);
	memcpy(buf + 24, &s->daddr6, 16);
	return CLASP_IP6_HLEN + n;
}

/*
 * Serialise @s with an IPv4 header in front (IPv6 if @s->v6), as a device
 * would carry it (a tun device, say).  The IP header always counts what
 * is sent, so a truncated segment is a short but well-formed datagram.
 * Returns the datagram's length, 0 if it does not fit.
 */
static inline size_t clasp_ip_build(const struct clasp_seg *s, uint8_t *buf,
				    size_t size)
{
	struct iphdr *iph = (struct iphdr *)buf;
	size_t n;

	if (s->v6)
		return clasp_ip6_build(s, buf, size);
	if (size < sizeof(*iph))
		return 0;
	n = clasp_seg_build(s, buf + sizeof(*iph), size - sizeof(*iph));
	if (!n)
		return 0;
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tot_len = htons(sizeof(*iph) + n);
	iph->frag_off = htons(IP_DF);
	iph->tos = s->tos;
	iph->ttl = 64;
	iph->protocol = clasp_proto();
	iph->saddr = s->saddr;
	iph->daddr = s->daddr;
	iph->check = htons(clasp_csum(iph, sizeof(*iph), 0));
	return sizeof(*iph) + n;
}

/*
 * The option of @kind and length @olen among @len option bytes at @opt,
 * walked as a receiver walks them (an EOL or a bad length ends the
 * walk); NULL if there is none.
 */
static inline const uint8_t *clasp_opt_find(const uint8_t *opt, size_t len,
					    uint8_t kind, uint8_t olen)
{
	while (len > 0 && opt[0] != CLASP_OPT_EOL) {
		if (opt[0] == CLASP_OPT_NOP) {
			opt++;
			len--;
			continue;
		}
		if (len < 2 || opt[1] < 2 || opt[1] > len)
			break;
		if (opt[0] == kind && opt[1] == olen)
			return opt;
		len -= opt[1];
		opt += opt[1];
	}
	return NULL;
}

/* The MSS option among @len option bytes at @opt, 0 if none. */
static inline uint16_t clasp_opt_mss(const uint8_t *opt, size_t len)
{
	const uint8_t *o = clasp_opt_find(opt, len, CLASP_OPT_MSS,
					  CLASP_OPTLEN_MSS);

	return o ? o[2] << 8 | o[3] : 0;
}

/*
 * The clasp header of @n bytes at @seg into @out, whose addresses are set
 * already (clasp_seg_parse()): 0, or -1 if it is not a whole header.
 */
static inline int clasp_seg_parse_l4(const uint8_t *seg, size_t n,
				     struct clasp_seg *out)
{
	const struct tcphdr *th = (const struct tcphdr *)seg;
	size_t doff;

	if (n < sizeof(*th))
		return -1;
	doff = th->th_off * 4;
	if (doff < sizeof(*th) || n < doff)
		return -1;
	out->sport = ntohs(th->th_sport);
	out->dport = ntohs(th->th_dport);
	out->seq = ntohl(th->th_seq);
	out->ack = ntohl(th->th_ack);
	out->flags = th->th_flags;
	out->win = ntohs(th->th_win);
	out->doff = th->th_off;
	out->optlen = doff - sizeof(*th);
	out->opts = th + 1;
	out->mss = clasp_opt_mss((const uint8_t *)(th + 1), out->optlen);
	out->data = seg + doff;
	out->len = n - doff;
	return 0;
}

/*
 * An IPv6 datagram (clasp_seg_parse()): version 6, the payload length
 * what came, the next header clasp's (no extension header), else -1.
 */
static inline int clasp_seg_parse6(const uint8_t *pkt, size_t n,
				   struct clasp_seg *out)
{
	uint32_t vtcfl;

	if (n < CLASP_IP6_HLEN || pkt[0] >> 4 != 6 || pkt[6] != clasp_proto() ||
	    (size_t)(pkt[4] << 8 | pkt[5]) != n - CLASP_IP6_HLEN)
		return -1;
	memset(out, 0, sizeof(*out));
	memcpy(&vtcfl, pkt, 4);
	vtcfl = ntohl(vtcfl);
	out->v6 = true;
	out->tos = vtcfl >> 20;
	out->flowlabel = vtcfl & 0xfffff;
	out->hlim = pkt[7];
	memcpy(&out->saddr6, pkt + 8, 16);
	memcpy(&out->daddr6, pkt + 24, 16);
	return clasp_seg_parse_l4(pkt + CLASP_IP6_HLEN, n - CLASP_IP6_HLEN, out);
}

/*
 * Parse the IPv4 or IPv6 datagram of @n bytes at @pkt into @out.
 * @out->data points into @pkt.  Returns 0, or -1 if it is not a whole
 * clasp segment.
 */
static inline int clasp_seg_parse(const uint8_t *pkt, size_t n,
				  struct clasp_seg *out)
{
	const struct iphdr *iph = (const struct iphdr *)pkt;
	const struct tcphdr *th;
	size_t ihl, doff;

	if (n && pkt[0] >> 4 == 6)
		return clasp_seg_parse6(pkt, n, out);
	if (n < sizeof(*iph) || iph->version != 4 ||
	    iph->protocol != clasp_proto())
		return -1;
	ihl = iph->ihl * 4;
	if (ihl < sizeof(*iph) || n < ihl + sizeof(*th))
		return -1;
	th = (const struct tcphdr *)(pkt + ihl);
	doff = th->th_off * 4;
	if (doff < sizeof(*th) || n < ihl + doff)
		return -1;
	memset(out, 0, sizeof(*out));
	out->saddr = iph->saddr;
	out->daddr = iph->daddr;
	out->sport = ntohs(th->th_sport);
	out->dport = ntohs(th->th_dport);
	out->seq = ntohl(th->th_seq);
	out->ack = ntohl(th->th_ack);
	out->flags = th->th_flags;
	out->tos = iph->tos;
	out->win = ntohs(th->th_win);
	out->doff = th->th_off;
	out->optlen = doff - sizeof(*th);
	out->opts = th + 1;
	out->mss = clasp_opt_mss((const uint8_t *)(th + 1), out->optlen);
	out->data = pkt + ihl + doff;
	out->len = n - ihl - doff;
	return 0;
}

/*
 * A raw socket for clasp's protocol number bound to @ip, of @ip's family.
 * An IPv6 one reports where a segment went (IPV6_RECVPKTINFO).
 */
static inline int clasp_raw_open(const char *ip)
{
	struct clasp_sockaddr a = clasp_sockaddr(ip, 0);
	int one = 1, fd = socket(a.sa.sa_family, SOCK_RAW, clasp_proto());

	if (fd >= 0 && a.sa.sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))) {
		close(fd);
		return -1;
	}
	if (fd >= 0 && bind(fd, &a.sa, a.len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline int clasp_raw_send(int fd, const struct clasp_seg *s)
{
	struct clasp_sockaddr dst = { 0 };
	uint8_t buf[2048];
	size_t n = clasp_seg_build(s, buf, sizeof(buf));

	if (s->v6) {
		dst.in6.sin6_family = AF_INET6;
		dst.in6.sin6_addr = s->daddr6;
		dst.len = sizeof(dst.in6);
	} else {
		dst.in.sin_family = AF_INET;
		dst.in.sin_addr.s_addr = s->daddr;
		dst.len = sizeof(dst.in);
	}
	return sendto(fd, buf, n, 0, &dst.sa, dst.len) == (ssize_t)n ? 0 : -1;
}

/*
 * One datagram from raw socket @fd into @out: an IPv4 one comes with its
 * header, an IPv6 one without (its addresses from the source address and
 * IPV6_PKTINFO).  0, or -1 if it is no clasp segment; @n its length.
 */
static inline int clasp_raw_parse(int fd, uint8_t *buf, size_t size,
				  struct clasp_seg *out, ssize_t *n)
{
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct sockaddr_in6 from;
	struct iovec iov = { buf, size };
	struct msghdr msg = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int domain = AF_INET;
	socklen_t len = sizeof(domain);

	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);
	*n = recvmsg(fd, &msg, 0);
	if (*n < 0)
		return -1;
	if (domain != AF_INET6)
		return clasp_seg_parse(buf, *n, out);
	memset(out, 0, sizeof(*out));
	out->v6 = true;
	out->saddr6 = from.sin6_addr;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO)
			memcpy(&out->daddr6, CMSG_DATA(cm) +
			       offsetof(struct in6_pktinfo, ipi6_addr), 16);
	return clasp_seg_parse_l4(buf, *n, out);
}

/*
 * Wait up to @ms for a segment from port @sport to port @dport and parse it
 * into @out.  Returns 1 when one arrived, 0 on timeout, -1 on error.
 */
static inline int clasp_raw_recv(int fd, uint16_t sport, uint16_t dport,
				 struct clasp_seg *out, int ms)
{
	uint8_t buf[65536];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int bad;

		if (poll(&pfd, 1, ms) <= 0)
			return 0;
		bad = clasp_raw_parse(fd, buf, sizeof(buf), out, &n);
		if (n < 0)
			return -1;
		if (bad || out->sport != sport || out->dport != dport)
			continue;
		out->data = NULL;	/* @buf is gone on return */
		return 1;
	}
}

/*
 * Set the addresses of @s from text, of the family they are written in:
 * IPv6 ones make @s an IPv6 segment.  0, or -1 if they do not parse.
 */
static inline int clasp_seg_addrs(struct clasp_seg *s, const char *src,
				  const char *dst)
{
	s->v6 = strchr(src, ':') != NULL;
	if (s->v6)
		return inet_pton(AF_INET6, src, &s->saddr6) == 1 &&
		       inet_pton(AF_INET6, dst, &s->daddr6) == 1 ? 0 : -1;
	return inet_pton(AF_INET, src, &s->saddr) == 1 &&
	       inet_pton(AF_INET, dst, &s->daddr) == 1 ? 0 : -1;
}

#endif /* CLASP_SEG_H */
