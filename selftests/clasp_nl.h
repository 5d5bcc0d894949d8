// SPDX-License-Identifier: GPL-2.0
/*
 * What the netlink tests share (clasp_nlfuzz_test, clasp_nlperm_test): a
 * request builder over a plain netlink socket, so that any byte of a
 * request can be wrong; the reading of answers, tables (stats, config)
 * and extack messages; the policy the family should have; a connection to
 * name; and the fixture "nl": a namespace of its own, a socket, the
 * family, and a check that the kernel gained no taint flag meanwhile.
 *
 * Include it from one file per test program: it defines the fixture.
 */
#ifndef CLASP_NL_H
#define CLASP_NL_H

#define _GNU_SOURCE
#include "kselftest_harness.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/time.h>

#include "clasp_util.h"

#define LO		"127.0.0.1"
#define PORT		7100
#define NOBODY		65534
#define REPLY_WAIT_S	10	/* a request without an answer by then fails */
#define MSGBUF_SIZE	(256 * 1024)

/* A request being built: netlink header, genetlink header, attributes. */
struct msg {
	uint8_t buf[MSGBUF_SIZE] __attribute__((aligned(4)));
	size_t len;
};

/* What came back for one request. */
struct answer {
	int err;		/* 0, or a negative errno */
	bool answered;		/* an ACK, an error or NLMSG_DONE arrived */
	bool done;		/* it was NLMSG_DONE */
	int ndata;		/* messages before it */
	bool bad;		/* the answer itself was malformed */
	char ext[256];		/* NLMSGERR_ATTR_MSG, "" if none */
};

/* Called for each message before the final answer. */
typedef void (*data_cb)(const struct nlmsghdr *nlh, void *arg);

struct nl {
	int fd;
	uint16_t family;
	uint32_t seq;
};

static uint8_t rbuf[128 * 1024] __attribute__((aligned(4)));

/* ---- building requests ---- */

static inline struct nlmsghdr *msg_nlh(struct msg *m)
{
	return (struct nlmsghdr *)m->buf;
}

static inline void msg_init(struct msg *m, uint16_t type, uint16_t flags,
			    uint8_t cmd)
{
	struct genlmsghdr *g;

	memset(m->buf, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	msg_nlh(m)->nlmsg_type = type;
	msg_nlh(m)->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	g = (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = CLASP_GENL_VERSION;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

static inline struct genlmsghdr *msg_genl(struct msg *m)
{
	return (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
}

/* An attribute whose header says @nla_len, followed by @len bytes. */
static inline struct nlattr *msg_put_raw(struct msg *m, uint16_t type,
					 uint16_t nla_len, const void *data,
					 size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->buf + m->len);
	size_t total = NLA_ALIGN(NLA_HDRLEN + len);

	if (m->len + total > sizeof(m->buf))
		return NULL;
	memset(a, 0, total);
	a->nla_type = type;
	a->nla_len = nla_len;
	if (len)
		memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	m->len += total;
	return a;
}

static inline struct nlattr *msg_put(struct msg *m, uint16_t type,
				     const void *data, size_t len)
{
	return msg_put_raw(m, type, NLA_HDRLEN + len, data, len);
}

static inline void msg_put_u8(struct msg *m, uint16_t type, uint8_t v)
{
	msg_put(m, type, &v, sizeof(v));
}

static inline void msg_put_u16(struct msg *m, uint16_t type, uint16_t v)
{
	msg_put(m, type, &v, sizeof(v));
}

static inline void msg_put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	msg_put(m, type, &v, sizeof(v));
}

static inline void msg_put_u64(struct msg *m, uint16_t type, uint64_t v)
{
	msg_put(m, type, &v, sizeof(v));
}

static inline void msg_put_str(struct msg *m, uint16_t type, const char *s)
{
	msg_put(m, type, s, strlen(s) + 1);
}

static inline struct nlattr *msg_nest_start(struct msg *m, uint16_t type)
{
	return msg_put(m, type, NULL, 0);
}

static inline void msg_nest_end(struct msg *m, struct nlattr *nest)
{
	nest->nla_len = m->buf + m->len - (uint8_t *)nest;
}

static inline void msg_put_tuple(struct msg *m, const char *laddr,
				 uint16_t lport, const char *raddr,
				 uint16_t rport)
{
	struct in_addr l, r;

	inet_pton(AF_INET, laddr, &l);
	inet_pton(AF_INET, raddr, &r);
	msg_put(m, CLASP_A_LADDR, &l, 4);
	msg_put_u16(m, CLASP_A_LPORT, lport);
	msg_put(m, CLASP_A_RADDR, &r, 4);
	msg_put_u16(m, CLASP_A_RPORT, rport);
}

/* ---- the socket ---- */

static inline int nl_open(struct nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = REPLY_WAIT_S };
	int one = 1;

	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0)
		return -1;
	nl->seq = 1;
	if (setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) ||
	    setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(nl->fd);
		return -1;
	}
	return 0;
}

/* Send @bytes of @m as one datagram; its sequence number. */
static inline uint32_t nl_send_bytes(struct nl *nl, struct msg *m, size_t bytes)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	msg_nlh(m)->nlmsg_seq = ++nl->seq;
	if (sendto(nl->fd, m->buf, bytes, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != (ssize_t)bytes)
		return 0;
	return nl->seq;
}

static inline uint32_t nl_send(struct nl *nl, struct msg *m)
{
	msg_nlh(m)->nlmsg_len = m->len;
	return nl_send_bytes(nl, m, m->len);
}

static inline void parse_ext_msg(const uint8_t *tlv, size_t len,
				 struct answer *a)
{
	const struct nlattr *at;

	for (at = (const struct nlattr *)tlv;
	     len >= NLA_HDRLEN && at->nla_len >= NLA_HDRLEN &&
	     at->nla_len <= len;
	     len -= NLA_ALIGN(at->nla_len) < len ? NLA_ALIGN(at->nla_len) : len,
	     at = (const struct nlattr *)((const uint8_t *)at + NLA_ALIGN(at->nla_len))) {
		size_t n = at->nla_len - NLA_HDRLEN;

		if ((at->nla_type & NLA_TYPE_MASK) != NLMSGERR_ATTR_MSG || !n)
			continue;
		if (n >= sizeof(a->ext))
			n = sizeof(a->ext) - 1;
		memcpy(a->ext, (const uint8_t *)at + NLA_HDRLEN, n);
		a->ext[n] = '\0';
	}
}

/* NLMSG_ERROR (an ACK when the error is 0) or NLMSG_DONE of a dump. */
static inline void parse_final(const struct nlmsghdr *nlh, struct answer *a)
{
	const uint8_t *p = NLMSG_DATA(nlh);
	size_t plen = nlh->nlmsg_len - NLMSG_HDRLEN, skip;
	int err;

	a->answered = true;
	a->done = nlh->nlmsg_type == NLMSG_DONE;
	skip = a->done ? sizeof(int) : sizeof(struct nlmsgerr);
	if (plen < sizeof(int)) {
		a->bad = !a->done;
		return;
	}
	memcpy(&err, p, sizeof(err));
	a->err = err > 0 ? -err : err;
	if (!a->done && !(nlh->nlmsg_flags & NLM_F_CAPPED))
		skip += ((const struct nlmsgerr *)p)->msg.nlmsg_len - NLMSG_HDRLEN;
	if (plen < skip) {
		a->bad = !a->done;
		return;
	}
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		parse_ext_msg(p + skip, plen - skip, a);
}

/*
 * Read until the answer to @seq: messages with another sequence number are
 * leftovers and skipped.  No answer within REPLY_WAIT_S leaves
 * a->answered false.
 */
static inline void nl_wait(struct nl *nl, uint32_t seq, data_cb cb, void *arg,
			   struct answer *a)
{
	memset(a, 0, sizeof(*a));
	while (!a->answered && !a->bad) {
		ssize_t n = recv(nl->fd, rbuf, sizeof(rbuf), MSG_TRUNC);
		struct nlmsghdr *nlh;
		size_t left;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		if ((size_t)n > sizeof(rbuf)) {
			a->bad = true;
			return;
		}
		left = n;
		for (nlh = (struct nlmsghdr *)rbuf; NLMSG_OK(nlh, left);
		     nlh = NLMSG_NEXT(nlh, left)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR ||
			    nlh->nlmsg_type == NLMSG_DONE) {
				parse_final(nlh, a);
				break;
			}
			a->ndata++;
			if (cb)
				cb(nlh, arg);
		}
	}
}

static inline void nl_talk(struct nl *nl, struct msg *m, data_cb cb, void *arg,
			   struct answer *a)
{
	uint32_t seq = nl_send(nl, m);

	if (!seq) {
		memset(a, 0, sizeof(*a));
		a->bad = true;
		return;
	}
	nl_wait(nl, seq, cb, arg, a);
}

/* Attributes of a generic netlink message, by type (top level only). */
static inline void genl_attrs(const struct nlmsghdr *nlh,
			      const struct nlattr **tb, int max)
{
	const uint8_t *p = (const uint8_t *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	size_t len = nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (len >= NLA_HDRLEN) {
		const struct nlattr *at = (const struct nlattr *)p;
		int type = at->nla_type & NLA_TYPE_MASK;

		if (at->nla_len < NLA_HDRLEN || at->nla_len > len)
			break;
		if (type <= max)
			tb[type] = at;
		if (NLA_ALIGN(at->nla_len) >= len)
			break;
		len -= NLA_ALIGN(at->nla_len);
		p += NLA_ALIGN(at->nla_len);
	}
}

static inline void family_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];

	genl_attrs(nlh, tb, CTRL_ATTR_MAX);
	if (tb[CTRL_ATTR_FAMILY_ID])
		memcpy(arg, (const uint8_t *)tb[CTRL_ATTR_FAMILY_ID] + NLA_HDRLEN,
		       sizeof(uint16_t));
}

static struct msg req;	/* the request being built (too big for a stack) */

static inline int nl_resolve(struct nl *nl)
{
	struct answer a;

	nl->family = 0;
	msg_init(&req, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY);
	msg_put_str(&req, CTRL_ATTR_FAMILY_NAME, CLASP_GENL_NAME);
	nl_talk(nl, &req, family_cb, &nl->family, &a);
	return a.answered && !a.err && nl->family ? 0 : -1;
}

/* ---- reading tables: stats and config ---- */

#define MAX_ENTRIES	128

struct table {
	int n;
	char name[MAX_ENTRIES][32];
	uint64_t val[MAX_ENTRIES], min[MAX_ENTRIES], max[MAX_ENTRIES];
};

static inline uint64_t attr_u64(const struct nlattr *at)
{
	uint64_t v = 0;

	if (at && at->nla_len == NLA_HDRLEN + sizeof(v))
		memcpy(&v, (const uint8_t *)at + NLA_HDRLEN, sizeof(v));
	return v;
}

static inline void table_add_entry(struct table *t, const struct nlattr *entry)
{
	const uint8_t *p = (const uint8_t *)entry + NLA_HDRLEN;
	size_t len = entry->nla_len - NLA_HDRLEN;
	const struct nlattr *name = NULL, *val = NULL, *min = NULL, *max = NULL;

	if (t->n == MAX_ENTRIES)
		return;
	while (len >= NLA_HDRLEN) {
		const struct nlattr *at = (const struct nlattr *)p;

		if (at->nla_len < NLA_HDRLEN || at->nla_len > len)
			return;
		switch (at->nla_type & NLA_TYPE_MASK) {
		case CLASP_A_NAME: name = at; break;
		case CLASP_A_VALUE: val = at; break;
		case CLASP_A_VALUE_MIN: min = at; break;
		case CLASP_A_VALUE_MAX: max = at; break;
		}
		if (NLA_ALIGN(at->nla_len) >= len)
			break;
		len -= NLA_ALIGN(at->nla_len);
		p += NLA_ALIGN(at->nla_len);
	}
	if (!name || !val)
		return;
	snprintf(t->name[t->n], sizeof(t->name[0]), "%.*s",
		 (int)(name->nla_len - NLA_HDRLEN),
		 (const char *)name + NLA_HDRLEN);
	t->val[t->n] = attr_u64(val);
	t->min[t->n] = attr_u64(min);
	t->max[t->n] = attr_u64(max);
	t->n++;
}

static inline void table_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[CLASP_A_MAX + 1], *nest;
	struct table *t = arg;
	const uint8_t *p;
	size_t len;

	genl_attrs(nlh, tb, CLASP_A_MAX);
	nest = tb[CLASP_A_STATS] ? tb[CLASP_A_STATS] : tb[CLASP_A_CONFIG];
	if (!nest)
		return;
	p = (const uint8_t *)nest + NLA_HDRLEN;
	len = nest->nla_len - NLA_HDRLEN;
	while (len >= NLA_HDRLEN) {
		const struct nlattr *at = (const struct nlattr *)p;

		if (at->nla_len < NLA_HDRLEN || at->nla_len > len)
			return;
		if ((at->nla_type & NLA_TYPE_MASK) == CLASP_A_ENTRY)
			table_add_entry(t, at);
		if (NLA_ALIGN(at->nla_len) >= len)
			break;
		len -= NLA_ALIGN(at->nla_len);
		p += NLA_ALIGN(at->nla_len);
	}
}

/* CLASP_CMD_STATS_GET or CONFIG_GET into @t; 0 when it worked. */
static inline int get_table(struct nl *nl, uint8_t cmd, struct table *t)
{
	struct answer a;

	memset(t, 0, sizeof(*t));
	msg_init(&req, nl->family, 0, cmd);
	nl_talk(nl, &req, table_cb, t, &a);
	return a.answered && !a.err && a.ndata == 1 && t->n ? 0 : -1;
}

static inline int table_find(const struct table *t, const char *name)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->name[i], name))
			return i;
	return -1;
}

/* The family still answers stats and config gets with sane contents. */
static inline int family_alive(struct nl *nl)
{
	struct table t;

	if (get_table(nl, CLASP_CMD_STATS_GET, &t) || t.n != __CLASP_MIB_MAX ||
	    table_find(&t, "Objects") < 0)
		return -1;
	if (get_table(nl, CLASP_CMD_CONFIG_GET, &t) ||
	    table_find(&t, "msl_ms") < 0)
		return -1;
	return 0;
}

static inline int config_set(struct nl *nl, const char *name, uint64_t v,
			     struct answer *a)
{
	msg_init(&req, nl->family, 0, CLASP_CMD_CONFIG_SET);
	msg_put_str(&req, CLASP_A_NAME, name);
	msg_put_u64(&req, CLASP_A_VALUE, v);
	nl_talk(nl, &req, NULL, NULL, a);
	return a->answered ? a->err : -ETIMEDOUT;
}

/* ---- what the family accepts ---- */

/* The policy of each operation: attribute type -> exact payload length. */
static inline int policy_len(uint8_t cmd, int type)
{
	switch (cmd) {
	case CLASP_CMD_CONN_GET:
	case CLASP_CMD_CONN_KILL:
	case CLASP_CMD_LADDER_START:
		switch (type) {
		case CLASP_A_LADDR:
		case CLASP_A_RADDR:
		case CLASP_A_FILTER_STATES:
			return 4;
		case CLASP_A_LPORT:
		case CLASP_A_RPORT:
			return 2;
		case CLASP_A_FILTER_LPLEN:
		case CLASP_A_FILTER_RPLEN:
			return 1;
		case CLASP_A_LADDR6:
		case CLASP_A_RADDR6:
			return 16;
		}
		return -1;
	case CLASP_CMD_CONFIG_SET:
		if (type == CLASP_A_VALUE)
			return 8;
		if (type == CLASP_A_NAME || type == CLASP_A_CA_NAME)
			return 0;	/* a string: any length up to 32 (16) */
		return -1;
	}
	return -1;
}

static inline bool op_exists(uint8_t cmd, bool dump)
{
	if (dump)
		return cmd == CLASP_CMD_CONN_GET;
	return (cmd >= CLASP_CMD_CONN_GET && cmd <= CLASP_CMD_CONFIG_SET) ||
	       cmd == CLASP_CMD_LADDER_START;
}

static const uint8_t clasp_ops[] = {
	CLASP_CMD_CONN_GET, CLASP_CMD_CONN_KILL, CLASP_CMD_STATS_GET,
	CLASP_CMD_CONFIG_GET, CLASP_CMD_CONFIG_SET, CLASP_CMD_LADDER_START,
};

#define NOPS	(sizeof(clasp_ops) / sizeof(clasp_ops[0]))

/*
 * The answer to a request that reached clasp or its policy and failed:
 * an error with a message.  0 when it is so; otherwise logs why not.
 */
static inline int want_error_with_msg(const struct answer *a, const char *what)
{
	if (!a->answered || a->bad) {
		printf("# %s: %s\n", what, a->bad ? "malformed answer" : "no answer");
		return -1;
	}
	if (!a->err) {
		printf("# %s: accepted\n", what);
		return -1;
	}
	if (!a->ext[0]) {
		printf("# %s: error %d (%s) without an extack message\n", what,
		       a->err, strerror(-a->err));
		return -1;
	}
	return 0;
}

static inline int want_errno(const struct answer *a, int err, const char *what)
{
	if (!a->answered || a->bad) {
		printf("# %s: %s\n", what, a->bad ? "malformed answer" : "no answer");
		return -1;
	}
	if (a->err != err) {
		printf("# %s: got %d (%s \"%s\"), want %d (%s)\n", what, a->err,
		       strerror(-a->err), a->ext, err, strerror(-err));
		return -1;
	}
	return 0;
}

/* ---- kernel health ---- */

static inline unsigned long tainted(void)
{
	unsigned long v = 0;
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* ---- a connection to look at, kill and filter on ---- */

struct pair {
	int lis, cli, srv;
	uint16_t cport;
};

static inline int pair_open(struct pair *p)
{
	struct sockaddr_in a = clasp_addr(LO, PORT), me;
	socklen_t len = sizeof(me);
	int one = 1;

	p->lis = clasp_socket();
	p->cli = clasp_socket();
	if (p->lis < 0 || p->cli < 0)
		return -1;
	setsockopt(p->lis, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(p->lis, (struct sockaddr *)&a, sizeof(a)) || listen(p->lis, 8) ||
	    connect(p->cli, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	p->srv = accept(p->lis, NULL, NULL);
	if (p->srv < 0 || getsockname(p->cli, (struct sockaddr *)&me, &len))
		return -1;
	p->cport = ntohs(me.sin_port);
	return 0;
}

static inline void pair_close(struct pair *p)
{
	close(p->srv);
	close(p->cli);
	close(p->lis);
}

/* The client's side of the pair, as CONN_GET or CONN_KILL. */
static inline void msg_pair(struct msg *m, struct nl *nl, uint8_t cmd,
			    const struct pair *p)
{
	msg_init(m, nl->family, 0, cmd);
	msg_put_tuple(m, LO, p->cport, LO, PORT);
}

/* A data callback counting connections (messages with a state). */
static inline void count_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[CLASP_A_MAX + 1];

	genl_attrs(nlh, tb, CLASP_A_MAX);
	if (tb[CLASP_A_STATE])
		(*(int *)arg)++;
}

/* ---- the fixture: a namespace of its own, a socket, the family ---- */

FIXTURE(nl) {
	struct nl nl;
	unsigned long taint;
};

FIXTURE_SETUP(nl)
{
	CLASP_ONLY("clasp's generic netlink family; TCP has none (sock_diag is another interface)");
	/* A missing module is a failure, never a skip (scripts/judge). */
	ASSERT_EQ(0, access("/sys/module/clasp", F_OK)) {
		TH_LOG("clasp is not loaded");
	}
	ASSERT_EQ(0, clasp_new_netns());
	ASSERT_EQ(0, nl_open(&self->nl));
	ASSERT_EQ(0, nl_resolve(&self->nl)) {
		TH_LOG("no generic netlink family \"%s\"", CLASP_GENL_NAME);
	}
	self->taint = tainted();
}

FIXTURE_TEARDOWN(nl)
{
	unsigned long now = tainted();

	EXPECT_EQ(self->taint, now) {
		TH_LOG("kernel taint went from %lu to %lu: see the console",
		       self->taint, now);
	}
	close(self->nl.fd);
}

#endif /* CLASP_NL_H */
