// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_pkt: the fake peer of clasp_pkt.h.  A tun device carries the
 * module's segments to user space and the peer's segments into the stack.
 */
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <sys/random.h>
#include <sys/syscall.h>

#include "clasp_pkt.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define TUN_NAME	"claspt0"
#define TUN_NETMASK	"255.255.255.0"

long long clasp_pkt_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

void clasp_pkt_log(const char *fmt, ...)
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
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	clasp_pkt_log("peer %s:%u ISN %#x, module %s:%u ISN %#x%s",
		clasp_pkt_ntop(p, p->peer_addr, &p->peer_addr6, a), p->peer_port,
		p->peer_isn,
		clasp_pkt_ntop(p, p->local_addr, &p->local_addr6, b),
		p->local_port, p->local_isn,
		p->local_isn_known ? "" : " (not yet known)");
	clasp_pkt_log("last events (seconds since the start):");
	for (; i < p->nhist; i++)
		fprintf(stderr, "#   %s\n", p->history[i % CLASP_PKT_HISTORY]);
}

/* CLASP_PKT_TOLERANCE="ABS_MS,REL_PCT" */
static void read_tolerance(struct clasp_pkt *p)
{
	const char *env = getenv("CLASP_PKT_TOLERANCE");
	int abs_ms = 150, rel_pct = 20, stall_ms = 1000;

	if (env && sscanf(env, "%d,%d,%d", &abs_ms, &rel_pct, &stall_ms) < 1)
		clasp_pkt_log("CLASP_PKT_TOLERANCE=\"%s\" is not ABS_MS,REL_PCT,STALL_MS",
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
		clasp_pkt_log("/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		clasp_pkt_log("TUNSETIFF: %s", strerror(errno));
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

/* Write @val to the IPv6 setting @what of device @name (best effort). */
static void ipv6_conf(const char *name, const char *what, const char *val)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", name,
		 what);
	f = fopen(path, "w");
	if (f) {
		fputs(val, f);
		fclose(f);
	}
}

/*
 * Address @addr/@plen on device @name, without duplicate address
 * detection: "ip -6 addr add ADDR/PLEN dev NAME nodad" over rtnetlink,
 * with no shell to start (a third of a second in a busy guest, for every
 * test).  0, or -1 with errno.
 */
static int addr6_add(const char *name, const char *addr, int plen)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		struct rtattr rta;
		struct in6_addr a;
	} req = {
		.nh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_NEWADDR,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
				       NLM_F_EXCL,
		},
		.ifa = {
			.ifa_family = AF_INET6,
			.ifa_prefixlen = plen,
			.ifa_flags = IFA_F_NODAD,
			.ifa_index = if_nametoindex(name),
		},
		.rta = {
			.rta_len = RTA_LENGTH(sizeof(struct in6_addr)),
			.rta_type = IFA_LOCAL,
		},
	};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int fd, ret = -1;
	ssize_t n;

	if (!req.ifa.ifa_index || inet_pton(AF_INET6, addr, &req.a) != 1) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) != sizeof(req))
		goto out;
	n = recv(fd, &ack, sizeof(ack), 0);
	if (n < (ssize_t)sizeof(ack) || ack.nh.nlmsg_type != NLMSG_ERROR) {
		errno = EPROTO;
		goto out;
	}
	errno = -ack.err.error;
	ret = ack.err.error ? -1 : 0;
out:
	close(fd);
	return ret;
}

/*
 * Is @addr a local address in the routing tables yet?  The kernel adds
 * an address's local route from a work item after the address itself
 * (addrconf_dad_work()), and until then what the peer sends to it is not
 * delivered.  0 when it is, -1 when not, or on error.
 */
static int addr6_routed(const char *addr)
{
	char want[40], line[256];
	struct in6_addr a;
	int i, ret = -1;
	FILE *f;

	if (inet_pton(AF_INET6, addr, &a) != 1)
		return -1;
	for (i = 0; i < 16; i++)
		snprintf(want + 2 * i, 3, "%02x", a.s6_addr[i]);
	strcat(want, " 80 ");	/* a /128 */
	f = fopen("/proc/self/net/ipv6_route", "r");
	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			ret = 0;
	fclose(f);
	return ret;
}

/*
 * IPv6: the module's address on @name, usable at once (nodad), the
 * peer's /64 behind it; no router solicitations.  The link is up.
 */
static int tun_configure6(const char *name)
{
	ipv6_conf(name, "disable_ipv6", "0\n");
	ipv6_conf(name, "accept_ra", "0\n");
	ipv6_conf(name, "router_solicitations", "0\n");
	if (addr6_add(name, CLASP_PKT_LOCAL6, 64)) {
		clasp_pkt_log("configuring %s for IPv6: %s", name, strerror(errno));
		return -1;
	}
	if (!clasp_wait_until(!addr6_routed(CLASP_PKT_LOCAL6), 2000)) {
		clasp_pkt_log("%s: no local route to %s", name, CLASP_PKT_LOCAL6);
		return -1;
	}
	return 0;
}

/*
 * The module's address on @name, the peer's subnet behind it, link up;
 * over IPv6 (@v6) an IPv6 address, else an IPv4 one and no IPv6.
 */
static int tun_configure(const char *name, bool v6)
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
	f = v6 ? NULL : fopen(path, "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (!v6 && (set_sin(s, SIOCSIFADDR, name, CLASP_PKT_LOCAL4) ||
		    set_sin(s, SIOCSIFNETMASK, name, TUN_NETMASK)))
		goto out;
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		goto out;
	ifr.ifr_flags |= IFF_UP;
	ret = ioctl(s, SIOCSIFFLAGS, &ifr);
	if (!ret && v6)
		ret = tun_configure6(name);
out:
	if (ret)
		clasp_pkt_log("configuring %s: %s", name, strerror(errno));
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
	p->v6 = clasp_v6();
	inet_pton(AF_INET, CLASP_PKT_LOCAL4, &p->local_addr);
	inet_pton(AF_INET6, CLASP_PKT_LOCAL6, &p->local_addr6);
	clasp_pkt_set_peer(p, CLASP_PKT_PEER);
	p->tun = tun_attach(TUN_NAME);
	if (p->tun < 0)
		return -1;
	if (tun_configure(TUN_NAME, p->v6)) {
		close(p->tun);
		p->tun = -1;
		return -1;
	}
	return 0;
}

int clasp_pkt_set_peer(struct clasp_pkt *p, const char *addr)
{
	if (p->v6 ? inet_pton(AF_INET6, addr, &p->peer_addr6) != 1 :
		    inet_pton(AF_INET, addr, &p->peer_addr) != 1) {
		clasp_pkt_log("%s is no IPv%d address", addr, p->v6 ? 6 : 4);
		return -1;
	}
	return 0;
}

const char *clasp_pkt_ntop(const struct clasp_pkt *p, uint32_t addr,
			   const struct in6_addr *addr6, char *buf)
{
	if (p->v6)
		return inet_ntop(AF_INET6, addr6, buf, INET6_ADDRSTRLEN);
	return inet_ntop(AF_INET, &addr, buf, INET6_ADDRSTRLEN);
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

void clasp_pkt_save(const struct clasp_pkt *p, struct clasp_pkt_id *id)
{
	id->local_port = p->local_port;
	id->peer_port = p->peer_port;
	id->peer_isn = p->peer_isn;
	id->local_isn = p->local_isn;
}

void clasp_pkt_play(struct clasp_pkt *p, const struct clasp_pkt_id *id)
{
	p->local_port = id->local_port;
	p->peer_port = id->peer_port;
	p->peer_isn = id->peer_isn;
	p->local_isn = id->local_isn;
	p->local_isn_known = true;
}

void clasp_pkt_fill(uint32_t seq, void *buf, size_t len)
{
	uint8_t *b = buf;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = 'a' + (seq + i) % 26;
}

/* Absolute numbers and the peer's addresses for a relative segment. */
static void to_wire(const struct clasp_pkt *p, const struct clasp_seg *rel,
		    struct clasp_seg *abs)
{
	*abs = *rel;
	abs->saddr = rel->saddr ? rel->saddr : p->peer_addr;
	abs->daddr = rel->daddr ? rel->daddr : p->local_addr;
	abs->v6 = p->v6;
	if (!rel->v6 || IN6_IS_ADDR_UNSPECIFIED(&rel->saddr6))
		abs->saddr6 = p->peer_addr6;
	if (!rel->v6 || IN6_IS_ADDR_UNSPECIFIED(&rel->daddr6))
		abs->daddr6 = p->local_addr6;
	abs->sport = rel->sport ? rel->sport : p->peer_port;
	abs->dport = rel->dport ? rel->dport : p->local_port;
	abs->seq = p->peer_isn + rel->seq;
	abs->ack = p->local_isn + rel->ack;
}

/* Inject packet @buf of @len bytes, described by @line, through the tun. */
static int pkt_write(struct clasp_pkt *p, const void *buf, size_t len,
		     const char *line)
{
	history_add(p, "inject", line);
	p->sent_us = clasp_pkt_now_us();
	if (write(p->tun, buf, len) != (ssize_t)len) {
		clasp_pkt_log("writing %s to the tun device: %s", line, strerror(errno));
		return -1;
	}
	p->ref_us = clasp_pkt_now_us();
	return 0;
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
			clasp_pkt_log("payload of %zu bytes is too long", s.len);
			return -1;
		}
		clasp_pkt_fill(rel->seq, payload, s.len);
		s.data = payload;
	}
	n = clasp_ip_build(&s, buf, sizeof(buf));
	clasp_pkt_format(p, &s, false, true, line, sizeof(line));
	if (!n) {
		clasp_pkt_log("cannot build %s", line);
		return -1;
	}
	return pkt_write(p, buf, n, line);
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

	if (p->v6) {
		clasp_pkt_log("ICMP type %d over IPv6: IPv4's alone", type);
		return -1;
	}
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
	return pkt_write(p, buf, sizeof(buf), line);
}

/*
 * An ICMPv6 error (RFC 4443) from the peer quoting the module's segment
 * with relative sequence number @seq: its IPv6 header and its clasp
 * header; @rest is the word after the checksum, in network order.
 */
static int pkt_icmp6(struct clasp_pkt *p, int type, int code, uint32_t rest,
		     uint32_t seq, const char *what)
{
	enum { ICMP6_HLEN = 8, TH_LEN = 20 };
	uint8_t buf[CLASP_IP6_HLEN + ICMP6_HLEN + CLASP_IP6_HLEN + TH_LEN] = { 0 };
	uint8_t *icmp = buf + CLASP_IP6_HLEN;
	uint8_t *quoted = icmp + ICMP6_HLEN;
	uint8_t *th = quoted + CLASP_IP6_HLEN;
	uint32_t abs_seq = htonl(p->local_isn + seq);
	size_t icmp_len = sizeof(buf) - CLASP_IP6_HLEN;
	char line[160];
	uint16_t csum;

	/* The outer header: from the peer to the module, next header ICMPv6. */
	buf[0] = 6 << 4;
	buf[4] = icmp_len >> 8;
	buf[5] = icmp_len & 0xff;
	buf[6] = IPPROTO_ICMPV6;
	buf[7] = CLASP_HOP_LIMIT;
	memcpy(buf + 8, &p->peer_addr6, 16);
	memcpy(buf + 24, &p->local_addr6, 16);
	icmp[0] = type;
	icmp[1] = code;
	memcpy(icmp + 4, &rest, 4);
	/* The module's segment as it left, 1400 bytes of data (not quoted). */
	quoted[0] = 6 << 4;
	quoted[4] = (TH_LEN + 1400) >> 8;
	quoted[5] = (TH_LEN + 1400) & 0xff;
	quoted[6] = clasp_proto();
	quoted[7] = CLASP_HOP_LIMIT;
	memcpy(quoted + 8, &p->local_addr6, 16);
	memcpy(quoted + 24, &p->peer_addr6, 16);
	memcpy(th, &(uint16_t){ htons(p->local_port) }, 2);
	memcpy(th + 2, &(uint16_t){ htons(p->peer_port) }, 2);
	memcpy(th + 4, &abs_seq, 4);
	th[12] = (TH_LEN / 4) << 4;
	th[13] = TH_ACK;
	csum = htons(clasp_csum6(&p->peer_addr6, &p->local_addr6,
				 IPPROTO_ICMPV6, icmp, icmp_len));
	memcpy(icmp + 2, &csum, 2);

	snprintf(line, sizeof(line), "ICMPv6 type %d code %d %s quoting seq %u",
		 type, code, what, seq);
	return pkt_write(p, buf, sizeof(buf), line);
}

int clasp_pkt_icmp(struct clasp_pkt *p, int type, int code, int mtu,
		   uint32_t seq)
{
	char what[32];

	snprintf(what, sizeof(what), "mtu %d", mtu);
	if (p->v6)
		return pkt_icmp6(p, type, code, htonl(mtu), seq, what);
	return pkt_icmp(p, p->peer_addr, type, code, htonl(mtu & 0xffff), seq,
			what);
}

/* Each kind's type and code: IPv4's, then IPv6's (and its word). */
static const struct {
	const char *name;
	uint8_t type4, code4, type6, code6;
	uint32_t rest6;
} icmp_kinds[] = {
	[CLASP_ICMP_NET_UNREACH] = { "net unreachable",
		ICMP_DEST_UNREACH, ICMP_NET_UNREACH, ICMP6_DST_UNREACH,
		ICMP6_DST_UNREACH_NOROUTE },
	[CLASP_ICMP_HOST_UNREACH] = { "host unreachable",
		ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, ICMP6_DST_UNREACH,
		ICMP6_DST_UNREACH_ADDR },
	[CLASP_ICMP_PROT_UNREACH] = { "protocol unreachable",
		ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, ICMP6_PARAM_PROB,
		ICMP6_PARAMPROB_NEXTHEADER, 6 },
	[CLASP_ICMP_PORT_UNREACH] = { "port unreachable",
		ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, ICMP6_DST_UNREACH,
		ICMP6_DST_UNREACH_NOPORT },
	[CLASP_ICMP_ADMIN_PROHIBITED] = { "administratively prohibited",
		ICMP_DEST_UNREACH, ICMP_PKT_FILTERED, ICMP6_DST_UNREACH,
		ICMP6_DST_UNREACH_ADMIN },
	[CLASP_ICMP_TIME_EXCEEDED] = { "time exceeded",
		ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, ICMP6_TIME_EXCEEDED,
		ICMP6_TIME_EXCEED_TRANSIT },
	[CLASP_ICMP_PARAM_PROBLEM] = { "parameter problem",
		ICMP_PARAMETERPROB, 0, ICMP6_PARAM_PROB,
		ICMP6_PARAMPROB_HEADER },
	[CLASP_ICMP_TOO_BIG] = { "too big",
		ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, ICMP6_PACKET_TOO_BIG, 0 },
};

const char *clasp_icmp_kind_name(enum clasp_icmp_kind kind)
{
	if ((unsigned int)kind >= ARRAY_SIZE(icmp_kinds))
		return "?";
	return icmp_kinds[kind].name;
}

int clasp_pkt_icmp_err(struct clasp_pkt *p, enum clasp_icmp_kind kind,
		       int mtu, uint32_t seq)
{
	char what[64];

	if ((unsigned int)kind >= ARRAY_SIZE(icmp_kinds)) {
		clasp_pkt_log("no ICMP error of kind %d", kind);
		return -1;
	}
	if (kind == CLASP_ICMP_TOO_BIG)
		snprintf(what, sizeof(what), "(%s, mtu %d)",
			 icmp_kinds[kind].name, mtu);
	else
		snprintf(what, sizeof(what), "(%s)", icmp_kinds[kind].name);
	if (p->v6)
		return pkt_icmp6(p, icmp_kinds[kind].type6,
				 icmp_kinds[kind].code6,
				 htonl(kind == CLASP_ICMP_TOO_BIG ? (uint32_t)mtu :
				       icmp_kinds[kind].rest6), seq, what);
	return pkt_icmp(p, p->peer_addr, icmp_kinds[kind].type4,
			icmp_kinds[kind].code4,
			htonl(kind == CLASP_ICMP_TOO_BIG ? mtu & 0xffff : 0),
			seq, what);
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
	clasp_pkt_spec_resolve(&spec, p->local_tsval, p->local_isn);
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
		p->rx_len = n;
		if (!clasp_seg_parse(p->rx, n, got)) {
			uint32_t val, ecr;

			if (clasp_pkt_ts(got->opts, got->optlen, &val, &ecr))
				p->local_tsval = val;
			return 1;
		}
		/*
		 * A clasp segment whose IPv6 header does not hold (its
		 * payload length, an extension header) is the module's
		 * error; anything else (neighbour discovery, MLD) is not
		 * ours to judge.
		 */
		if (p->v6 && n >= CLASP_IP6_HLEN && p->rx[0] >> 4 == 6 &&
		    p->rx[6] == clasp_proto()) {
			clasp_pkt_log("a clasp datagram of %zd bytes with a bad IPv6 header: payload length %u, next header %u",
				n, p->rx[4] << 8 | p->rx[5], p->rx[6]);
			errno = EPROTO;
			return -1;
		}
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
	clasp_pkt_log("expected at %+d ms (-%d/+%d): %s", delta_ms,
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
	clasp_pkt_spec_resolve(&spec, p->local_tsval, p->peer_isn);
	spec.seg.saddr = p->local_addr;
	spec.seg.daddr = p->peer_addr;
	spec.seg.v6 = p->v6;
	spec.seg.saddr6 = p->local_addr6;
	spec.seg.daddr6 = p->peer_addr6;
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
		clasp_pkt_log("     got: %s after %+lld ms", r ? strerror(errno) :
			"nothing", (at - p->ref_us) / 1000);
		history_dump(p);
		return -1;
	}
	clasp_pkt_format(p, &got, true, true, line, sizeof(line));
	history_add(p, "got", line);
	if (clasp_pkt_match(p, &spec, &got, why, sizeof(why))) {
		report_expected(p, want, delta_ms);
		clasp_pkt_log("     got at %+lld ms: %s  [%s]",
			(at - p->ref_us) / 1000, line, why);
		history_dump(p);
		return -1;
	}
	late = timing_error(p, at, delta_ms);
	if (late) {
		report_expected(p, want, delta_ms);
		clasp_pkt_log("     got at %+lld ms: %s  [%s]",
			(at - p->ref_us) / 1000, line, late);
		history_dump(p);
		return -1;
	}
	p->ref_us = at;
	return 0;
}

int clasp_pkt_last_win(const struct clasp_pkt *p)
{
	struct clasp_seg got;

	if (!p->rx_len || clasp_seg_parse(p->rx, p->rx_len, &got))
		return -1;
	return got.win;
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
		clasp_pkt_log("reading the tun device: %s", strerror(errno));
		return -1;
	}
	clasp_pkt_format(p, &got, true, true, line, sizeof(line));
	history_add(p, "got", line);
	clasp_pkt_log("expected nothing for %d ms", ms);
	clasp_pkt_log("     got after %lld ms: %s",
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
	clasp_pkt_log("%s: expected at %+d ms (-%d/+%d), happened at %+lld ms: %s",
		what, delta_ms, clasp_pkt_tolerance_ms(p, delta_ms),
		late_ms(p, delta_ms),
		(at_us - p->ref_us) / 1000, late);
	history_dump(p);
	return -1;
}

/* Socket calls in a thread. */

static void *call_main(void *arg)
{
	struct clasp_call *c = arg;

	__atomic_store_n(&c->tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
	switch (c->op) {
	case CLASP_CALL_ACCEPT:
		c->ret = accept(c->fd, NULL, NULL);
		break;
	case CLASP_CALL_CONNECT:
		c->ret = connect(c->fd, &c->addr.sa, c->addr.len);
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

int clasp_call_connect(struct clasp_call *c, int fd, const void *to)
{
	const struct sockaddr *sa = to;

	memset(c, 0, sizeof(*c));
	c->op = CLASP_CALL_CONNECT;
	c->fd = fd;
	c->addr.len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						  sizeof(struct sockaddr_in);
	memcpy(&c->addr.sa, to, c->addr.len);
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

/* The state letter of thread @tid of this process (R, S, D...), 0 if unknown. */
static char thread_state(int tid)
{
	char path[64], buf[512], *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* "tid (comm) S ...": the name may hold anything but the last ')'. */
	end = strrchr(buf, ')');
	return end && end[1] == ' ' ? end[2] : 0;
}

int clasp_call_sleeping(struct clasp_call *c, int ms)
{
	long long end = clasp_pkt_now_us() + ms * 1000LL;
	int tid;

	while (!clasp_call_done(c)) {
		tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);
		if (tid && thread_state(tid) == 'S')
			return 0;
		if (clasp_pkt_now_us() >= end)
			break;
		usleep(200);
	}
	return -1;
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
