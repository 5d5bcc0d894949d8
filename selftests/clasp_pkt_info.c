// SPDX-License-Identifier: GPL-2.0
/*
 * clasp_pkt_info: the kernel's view of the connection the fake peer plays,
 * from clasp's generic netlink dump or, against kernel TCP, sock_diag.
 */
#include <linux/genetlink.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>

#include "clasp_pkt.h"

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

/*
 * IPv6: the module's netlink family takes no IPv6 address yet (its
 * attributes are IPv4's), so the connection is found by a dump filtered
 * on the ports, the first of its messages copied to @ans: in a test's
 * namespace of one family, the ports are the peer's connection.  Its
 * length, -ENOENT when there is none, or -errno.
 */
static int genl_dump_ports(int fd, uint16_t family, uint16_t lport,
			   uint16_t rport, char *ans, size_t size)
{
	static char buf[65536];
	struct genl_req r;
	int found = 0;

	genl_init(&r, family, CLASP_CMD_CONN_GET);
	genl_put(&r, CLASP_A_LPORT, &lport, 2);
	genl_put(&r, CLASP_A_RPORT, &rport, 2);
	r.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r.n.nlmsg_seq = 1;
	if (send(fd, &r, r.n.nlmsg_len, 0) != (ssize_t)r.n.nlmsg_len)
		return -errno;
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len < 0)
			return -errno;
		for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			const uint16_t *lp, *rp;

			if (h->nlmsg_type == NLMSG_DONE)
				return found ? found : -ENOENT;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : -ENODATA;
			}
			lp = genl_attr((char *)h, CLASP_A_LPORT);
			rp = genl_attr((char *)h, CLASP_A_RPORT);
			if (found || !lp || !rp || *lp != lport ||
			    *rp != rport || h->nlmsg_len > size)
				continue;
			memcpy(ans, h, h->nlmsg_len);
			found = h->nlmsg_len;
		}
	}
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
			.sdiag_family = p->v6 ? AF_INET6 : AF_INET,
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
			if (found || (!p->v6 &&
				       (m->id.idiag_src[0] != p->local_addr ||
					m->id.idiag_dst[0] != p->peer_addr)) ||
			    (p->v6 &&
			     (memcmp(m->id.idiag_src, &p->local_addr6, 16) ||
			      memcmp(m->id.idiag_dst, &p->peer_addr6, 16))) ||
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
	char ans[4096];

	memset(info, 0, sizeof(*info));
	if (clasp_is_tcp()) {
		ret = tcp_diag_info(p, info);
		if (ret < 0)
			clasp_pkt_log("sock_diag: cannot look the connection up");
		return ret;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -1;
	family = genl_family(fd, CLASP_GENL_NAME);
	if (family < 0)
		goto out;
	if (p->v6) {
		ret = genl_dump_ports(fd, family, lport, rport, ans,
				      sizeof(ans));
	} else {
		genl_init(&r, family, CLASP_CMD_CONN_GET);
		genl_put(&r, CLASP_A_LADDR, &p->local_addr, 4);
		genl_put(&r, CLASP_A_RADDR, &p->peer_addr, 4);
		genl_put(&r, CLASP_A_LPORT, &lport, 2);
		genl_put(&r, CLASP_A_RPORT, &rport, 2);
		ret = genl_talk(fd, &r.n, ans, sizeof(ans));
	}
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
		clasp_pkt_log("netlink: cannot look the connection up");
	close(fd);
	return ret;
}

int clasp_pkt_state(const struct clasp_pkt *p)
{
	struct clasp_pkt_info info;
	int ret = clasp_pkt_info(p, &info);

	return ret ? (ret > 0 ? 0 : -1) : info.state;
}
