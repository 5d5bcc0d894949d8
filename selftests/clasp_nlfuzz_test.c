// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "clasp" against malformed, random and
 * unprivileged requests, spoken over a plain netlink socket so that any byte
 * of a request can be wrong.
 *
 * Every request must get exactly one answer (an ACK, an error or the end of
 * a dump) and never a crash.  Once a request is well formed at the netlink
 * and genetlink header level and names an operation the family has, any
 * error for it comes from the attribute policy or from clasp itself, and
 * must then carry a message (NLMSGERR_ATTR_MSG).  Requests for operations
 * the family does not have get EOPNOTSUPP from the genetlink core.
 *
 * The random phase builds CLASP_NLFUZZ_ITERS requests (default 20000) from
 * the seed CLASP_NLFUZZ_SEED (default: the time), printed first so that a
 * failing run can be replayed; then the family must still answer a stats
 * and a config get.
 *
 * Reading is open to everyone, changing a tunable or killing a connection
 * is not: checked as "nobody", and as root of a user namespace that does
 * not own the network namespace.  Every test runs in a network namespace of
 * its own, and fails if the kernel gained a taint flag (a WARN, an oops)
 * while it ran.
 */
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

static struct nlmsghdr *msg_nlh(struct msg *m)
{
	return (struct nlmsghdr *)m->buf;
}

static void msg_init(struct msg *m, uint16_t type, uint16_t flags,
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

static struct genlmsghdr *msg_genl(struct msg *m)
{
	return (struct genlmsghdr *)(m->buf + NLMSG_HDRLEN);
}

/* An attribute whose header says @nla_len, followed by @len bytes. */
static struct nlattr *msg_put_raw(struct msg *m, uint16_t type,
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

static struct nlattr *msg_put(struct msg *m, uint16_t type, const void *data,
			      size_t len)
{
	return msg_put_raw(m, type, NLA_HDRLEN + len, data, len);
}

static void msg_put_u8(struct msg *m, uint16_t type, uint8_t v)
{
	msg_put(m, type, &v, sizeof(v));
}

static void msg_put_u16(struct msg *m, uint16_t type, uint16_t v)
{
	msg_put(m, type, &v, sizeof(v));
}

static void msg_put_u32(struct msg *m, uint16_t type, uint32_t v)
{
	msg_put(m, type, &v, sizeof(v));
}

static void msg_put_u64(struct msg *m, uint16_t type, uint64_t v)
{
	msg_put(m, type, &v, sizeof(v));
}

static void msg_put_str(struct msg *m, uint16_t type, const char *s)
{
	msg_put(m, type, s, strlen(s) + 1);
}

static struct nlattr *msg_nest_start(struct msg *m, uint16_t type)
{
	return msg_put(m, type, NULL, 0);
}

static void msg_nest_end(struct msg *m, struct nlattr *nest)
{
	nest->nla_len = m->buf + m->len - (uint8_t *)nest;
}

static void msg_put_tuple(struct msg *m, const char *laddr, uint16_t lport,
			  const char *raddr, uint16_t rport)
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

static int nl_open(struct nl *nl)
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
static uint32_t nl_send_bytes(struct nl *nl, struct msg *m, size_t bytes)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	msg_nlh(m)->nlmsg_seq = ++nl->seq;
	if (sendto(nl->fd, m->buf, bytes, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != (ssize_t)bytes)
		return 0;
	return nl->seq;
}

static uint32_t nl_send(struct nl *nl, struct msg *m)
{
	msg_nlh(m)->nlmsg_len = m->len;
	return nl_send_bytes(nl, m, m->len);
}

static void parse_ext_msg(const uint8_t *tlv, size_t len, struct answer *a)
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
static void parse_final(const struct nlmsghdr *nlh, struct answer *a)
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
static void nl_wait(struct nl *nl, uint32_t seq, data_cb cb, void *arg,
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

static void nl_talk(struct nl *nl, struct msg *m, data_cb cb, void *arg,
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
static void genl_attrs(const struct nlmsghdr *nlh, const struct nlattr **tb,
		       int max)
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

static void family_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];

	genl_attrs(nlh, tb, CTRL_ATTR_MAX);
	if (tb[CTRL_ATTR_FAMILY_ID])
		memcpy(arg, (const uint8_t *)tb[CTRL_ATTR_FAMILY_ID] + NLA_HDRLEN,
		       sizeof(uint16_t));
}

static struct msg req;	/* the request being built (too big for a stack) */

static int nl_resolve(struct nl *nl)
{
	struct answer a;

	nl->family = 0;
	msg_init(&req, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY);
	msg_put_str(&req, CTRL_ATTR_FAMILY_NAME, CLASP_GENL_NAME);
	nl_talk(nl, &req, family_cb, &nl->family, &a);
	return a.answered && !a.err && nl->family ? 0 : -1;
}

/* ---- reading tables: stats and config ---- */

#define MAX_ENTRIES	64

struct table {
	int n;
	char name[MAX_ENTRIES][32];
	uint64_t val[MAX_ENTRIES], min[MAX_ENTRIES], max[MAX_ENTRIES];
};

static uint64_t attr_u64(const struct nlattr *at)
{
	uint64_t v = 0;

	if (at && at->nla_len == NLA_HDRLEN + sizeof(v))
		memcpy(&v, (const uint8_t *)at + NLA_HDRLEN, sizeof(v));
	return v;
}

static void table_add_entry(struct table *t, const struct nlattr *entry)
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

static void table_cb(const struct nlmsghdr *nlh, void *arg)
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
static int get_table(struct nl *nl, uint8_t cmd, struct table *t)
{
	struct answer a;

	memset(t, 0, sizeof(*t));
	msg_init(&req, nl->family, 0, cmd);
	nl_talk(nl, &req, table_cb, t, &a);
	return a.answered && !a.err && a.ndata == 1 && t->n ? 0 : -1;
}

static int table_find(const struct table *t, const char *name)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->name[i], name))
			return i;
	return -1;
}

/* The family still answers stats and config gets with sane contents. */
static int family_alive(struct nl *nl)
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

static int config_set(struct nl *nl, const char *name, uint64_t v,
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
static int policy_len(uint8_t cmd, int type)
{
	switch (cmd) {
	case CLASP_CMD_CONN_GET:
	case CLASP_CMD_CONN_KILL:
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
		}
		return -1;
	case CLASP_CMD_CONFIG_SET:
		if (type == CLASP_A_VALUE)
			return 8;
		if (type == CLASP_A_NAME)
			return 0;	/* a string: any length up to 32 */
		return -1;
	}
	return -1;
}

static bool op_exists(uint8_t cmd, bool dump)
{
	if (dump)
		return cmd == CLASP_CMD_CONN_GET;
	return cmd >= CLASP_CMD_CONN_GET && cmd <= CLASP_CMD_CONFIG_SET;
}

static const uint8_t clasp_ops[] = {
	CLASP_CMD_CONN_GET, CLASP_CMD_CONN_KILL, CLASP_CMD_STATS_GET,
	CLASP_CMD_CONFIG_GET, CLASP_CMD_CONFIG_SET,
};

#define NOPS	(sizeof(clasp_ops) / sizeof(clasp_ops[0]))

/*
 * The answer to a request that reached clasp or its policy and failed:
 * an error with a message.  0 when it is so; otherwise logs why not.
 */
static int want_error_with_msg(const struct answer *a, const char *what)
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

static int want_errno(const struct answer *a, int err, const char *what)
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

static unsigned long tainted(void)
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

static int pair_open(struct pair *p)
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

static void pair_close(struct pair *p)
{
	close(p->srv);
	close(p->cli);
	close(p->lis);
}

/* The client's side of the pair, as CONN_GET or CONN_KILL. */
static void msg_pair(struct msg *m, struct nl *nl, uint8_t cmd,
		     const struct pair *p)
{
	msg_init(m, nl->family, 0, cmd);
	msg_put_tuple(m, LO, p->cport, LO, PORT);
}

/* ---- the fixture: a namespace of its own, a socket, the family ---- */

FIXTURE(nl) {
	struct nl nl;
	unsigned long taint;
};

FIXTURE_SETUP(nl)
{
	if (access("/sys/module/clasp", F_OK))
		SKIP(return, "clasp is not loaded");
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

/* ---- targeted malformed requests ---- */

/* Commands the family does not have, as do and as dump: EOPNOTSUPP. */
TEST_F(nl, unknown_commands)
{
	int cmd, dump, bad = 0;
	struct answer a;
	char what[64];

	for (cmd = 0; cmd < 256; cmd++) {
		for (dump = 0; dump < 2; dump++) {
			if (op_exists(cmd, dump))
				continue;
			msg_init(&req, self->nl.family, dump ? NLM_F_DUMP : 0, cmd);
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			snprintf(what, sizeof(what), "cmd %d%s", cmd,
				 dump ? " dump" : "");
			bad += !!want_errno(&a, -EOPNOTSUPP, what);
		}
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, family_alive(&self->nl));
}

/* A genetlink header that is short, or not zero where it must be. */
TEST_F(nl, bad_headers)
{
	static const uint16_t odd_flags[] = {
		NLM_F_ROOT, NLM_F_MATCH, NLM_F_ATOMIC, NLM_F_EXCL, NLM_F_CREATE,
		NLM_F_APPEND, NLM_F_MULTI, 0x8000,
	};
	struct answer a;
	uint32_t seq;
	size_t i, k;

	for (i = 0; i < NOPS; i++) {
		msg_init(&req, self->nl.family, 0, clasp_ops[i]);
		msg_genl(&req)->reserved = 0x5a5a;
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		EXPECT_EQ(0, want_error_with_msg(&a, "reserved field set"));
		for (k = 0; k < sizeof(odd_flags) / sizeof(odd_flags[0]); k++) {
			msg_init(&req, self->nl.family, odd_flags[k], clasp_ops[i]);
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			EXPECT_EQ(0, want_error_with_msg(&a, "odd nlmsg_flags")) {
				TH_LOG("cmd %u flags 0x%x", clasp_ops[i], odd_flags[k]);
			}
		}
		/* A genetlink header cut short: the core says EINVAL. */
		for (k = 0; k < GENL_HDRLEN; k++) {
			msg_init(&req, self->nl.family, 0, clasp_ops[i]);
			req.len = NLMSG_HDRLEN + k;
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			EXPECT_EQ(0, want_errno(&a, -EINVAL, "short genl header"));
		}
	}

	/*
	 * The netlink core drops, without an answer, a datagram shorter
	 * than a netlink header and a message longer than its datagram, and
	 * only acknowledges one that is not a request.
	 */
	msg_init(&req, self->nl.family, 0, CLASP_CMD_STATS_GET);
	for (k = 1; k < NLMSG_HDRLEN; k++) {
		msg_nlh(&req)->nlmsg_len = k;
		EXPECT_NE(0, nl_send_bytes(&self->nl, &req, k));
	}
	msg_nlh(&req)->nlmsg_len = req.len + 64;
	EXPECT_NE(0, nl_send_bytes(&self->nl, &req, req.len));
	msg_init(&req, self->nl.family, 0, CLASP_CMD_CONFIG_SET);
	msg_nlh(&req)->nlmsg_flags = NLM_F_ACK;
	seq = nl_send(&self->nl, &req);
	nl_wait(&self->nl, seq, NULL, NULL, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "not a request"));
	EXPECT_EQ(0, family_alive(&self->nl));
}

/*
 * Every attribute type, and a few past the last, at lengths the policy of
 * each operation does not allow, and flagged as nested or big endian.
 */
TEST_F(nl, wrong_attribute_types)
{
	static const uint16_t lens[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 16 };
	static const uint16_t flags[] = { 0, NLA_F_NESTED, NLA_F_NET_BYTEORDER };
	uint8_t junk[16];
	struct answer a;
	size_t i, l, f;
	int type, dump, bad = 0, n = 0;
	char what[96];

	memset(junk, 0xa5, sizeof(junk));
	for (i = 0; i < NOPS; i++)
	for (dump = 0; dump < 2; dump++) {
		if (!op_exists(clasp_ops[i], dump))
			continue;
		for (type = 0; type <= CLASP_A_MAX + 3; type++)
		for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
		for (f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
			int plen = policy_len(clasp_ops[i], type);

			/* The right shape (nothing checks BYTEORDER). */
			if (plen > 0 && plen == lens[l] && flags[f] != NLA_F_NESTED)
				continue;
			msg_init(&req, self->nl.family, dump ? NLM_F_DUMP : 0,
				 clasp_ops[i]);
			msg_put(&req, type | flags[f], junk, lens[l]);
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			snprintf(what, sizeof(what),
				 "cmd %u%s attr %d|0x%x len %u", clasp_ops[i],
				 dump ? " dump" : "", type, flags[f], lens[l]);
			bad += !!want_error_with_msg(&a, what);
			n++;
		}
	}
	TH_LOG("%d requests", n);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, family_alive(&self->nl));
}

/* Attributes up to the largest netlink allows, in a message of 192 KiB. */
TEST_F(nl, oversize_attributes)
{
	static const size_t sizes[] = { 32, 33, 255, 4096, 65531 };
	static uint8_t big[65536];
	struct answer a;
	size_t i, s;
	int k;

	memset(big, 'x', sizeof(big));
	for (i = 0; i < NOPS; i++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			msg_init(&req, self->nl.family, 0, clasp_ops[i]);
			msg_put(&req, CLASP_A_NAME, big, sizes[s]);
			msg_put_u64(&req, CLASP_A_VALUE, 1);
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			EXPECT_EQ(0, want_error_with_msg(&a, "oversize NAME")) {
				TH_LOG("cmd %u size %zu", clasp_ops[i], sizes[s]);
			}
			msg_init(&req, self->nl.family, 0, clasp_ops[i]);
			msg_put(&req, CLASP_A_LADDR, big, sizes[s]);
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			EXPECT_EQ(0, want_error_with_msg(&a, "oversize LADDR")) {
				TH_LOG("cmd %u size %zu", clasp_ops[i], sizes[s]);
			}
		}
		/* Three attributes of 64 KiB each. */
		msg_init(&req, self->nl.family, 0, clasp_ops[i]);
		for (k = 0; k < 3; k++)
			msg_put(&req, CLASP_A_STATS + k, big, 65531);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		EXPECT_EQ(0, want_error_with_msg(&a, "192 KiB request"));
	}
	/* A NUL-terminated name one byte too long for the policy. */
	memset(big, 'a', 32);
	big[32] = '\0';
	msg_init(&req, self->nl.family, 0, CLASP_CMD_CONFIG_SET);
	msg_put(&req, CLASP_A_NAME, big, 33);
	msg_put_u64(&req, CLASP_A_VALUE, 1);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "32-character NAME"));
	EXPECT_EQ(0, family_alive(&self->nl));
}

/* Nests where none is expected, nests of garbage, nests too deep. */
TEST_F(nl, garbage_nests)
{
	static const int outer[] = {
		CLASP_A_STATS, CLASP_A_CONFIG, CLASP_A_ENTRY, CLASP_A_LADDR,
		CLASP_A_NAME, CLASP_A_FILTER_STATES, CLASP_A_MAX + 1,
	};
	uint8_t junk[40];
	struct nlattr *nest[8];
	struct answer a;
	size_t i, o;
	int d, bad = 0;
	char what[64];

	for (d = 0; d < (int)sizeof(junk); d++)
		junk[d] = d * 37;
	for (i = 0; i < NOPS; i++)
	for (o = 0; o < sizeof(outer) / sizeof(outer[0]); o++) {
		snprintf(what, sizeof(what), "cmd %u nest %d", clasp_ops[i],
			 outer[o]);
		/* Garbage that does not parse as attributes. */
		msg_init(&req, self->nl.family, 0, clasp_ops[i]);
		msg_put(&req, outer[o] | NLA_F_NESTED, junk, sizeof(junk));
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		bad += !!want_error_with_msg(&a, what);
		/* Well-formed nests, eight deep, with an entry inside. */
		msg_init(&req, self->nl.family, 0, clasp_ops[i]);
		for (d = 0; d < 8; d++)
			nest[d] = msg_nest_start(&req, outer[o] | NLA_F_NESTED);
		msg_put_str(&req, CLASP_A_NAME, "msl_ms");
		msg_put_u64(&req, CLASP_A_VALUE, 1000);
		for (d = 7; d >= 0; d--)
			msg_nest_end(&req, nest[d]);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		bad += !!want_error_with_msg(&a, what);
		/* Nested content without the flag. */
		msg_init(&req, self->nl.family, 0, clasp_ops[i]);
		nest[0] = msg_nest_start(&req, outer[o]);
		msg_put_u32(&req, CLASP_A_FILTER_STATES, ~0U);
		msg_nest_end(&req, nest[0]);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		bad += !!want_error_with_msg(&a, what);
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, family_alive(&self->nl));
}

/* Attribute headers that lie about their length, and trailing bytes. */
TEST_F(nl, truncated_attributes)
{
	static const uint16_t nla_lens[] = { 0, 1, 2, 3, 9, 12, 200, 0xffff };
	uint8_t four[4] = { 1, 2, 3, 4 };
	struct answer a;
	size_t i, l, t;
	char what[64];

	for (i = 0; i < NOPS; i++) {
		for (l = 0; l < sizeof(nla_lens) / sizeof(nla_lens[0]); l++) {
			msg_init(&req, self->nl.family, 0, clasp_ops[i]);
			msg_put_raw(&req, CLASP_A_FILTER_STATES, nla_lens[l],
				    four, 4);
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			snprintf(what, sizeof(what), "cmd %u nla_len %u",
				 clasp_ops[i], nla_lens[l]);
			EXPECT_EQ(0, want_error_with_msg(&a, what));
		}
		for (t = 1; t < NLA_HDRLEN; t++) {
			msg_init(&req, self->nl.family, 0, clasp_ops[i]);
			memset(req.buf + req.len, 0x11, t);
			req.len += t;
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			snprintf(what, sizeof(what), "cmd %u %zu trailing bytes",
				 clasp_ops[i], t);
			EXPECT_EQ(0, want_error_with_msg(&a, what));
		}
	}
	EXPECT_EQ(0, family_alive(&self->nl));
}

/* Connection requests without a full 4-tuple, config set without a pair. */
TEST_F(nl, missing_attributes)
{
	static const uint8_t conn_ops[] = { CLASP_CMD_CONN_GET, CLASP_CMD_CONN_KILL };
	struct in_addr lo;
	struct answer a;
	unsigned int mask;
	size_t i;
	char what[64];

	inet_pton(AF_INET, LO, &lo);
	for (i = 0; i < 2; i++) {
		for (mask = 0; mask < 15; mask++) {
			msg_init(&req, self->nl.family, 0, conn_ops[i]);
			if (mask & 1)
				msg_put(&req, CLASP_A_LADDR, &lo, 4);
			if (mask & 2)
				msg_put(&req, CLASP_A_RADDR, &lo, 4);
			if (mask & 4)
				msg_put_u16(&req, CLASP_A_LPORT, PORT);
			if (mask & 8)
				msg_put_u16(&req, CLASP_A_RPORT, PORT);
			nl_talk(&self->nl, &req, NULL, NULL, &a);
			snprintf(what, sizeof(what), "cmd %u tuple mask %u",
				 conn_ops[i], mask);
			EXPECT_EQ(0, want_errno(&a, -EINVAL, what));
			EXPECT_EQ(0, want_error_with_msg(&a, what));
		}
		/* A full tuple of nothing. */
		msg_init(&req, self->nl.family, 0, conn_ops[i]);
		msg_put_tuple(&req, LO, 1, LO, 2);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		EXPECT_EQ(0, want_errno(&a, -ENOENT, "no such connection"));
		EXPECT_EQ(0, want_error_with_msg(&a, "no such connection"));
	}
	for (mask = 0; mask < 3; mask++) {
		msg_init(&req, self->nl.family, 0, CLASP_CMD_CONFIG_SET);
		if (mask & 1)
			msg_put_str(&req, CLASP_A_NAME, "msl_ms");
		if (mask & 2)
			msg_put_u64(&req, CLASP_A_VALUE, 1000);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		snprintf(what, sizeof(what), "config set mask %u", mask);
		EXPECT_EQ(0, want_errno(&a, -EINVAL, what));
		EXPECT_EQ(0, want_error_with_msg(&a, what));
	}
	EXPECT_EQ(0, family_alive(&self->nl));
}

/*
 * Every tunable just outside its range, and far outside: ERANGE with a
 * message, and the value unchanged.  Unknown and malformed names too.  A
 * value inside the range is taken, so the check can tell.
 */
TEST_F(nl, config_out_of_range)
{
	static const char *const bad_names[] = {
		"", "msl", "msl_ms ", "MSL_MS", "msl_msx",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",	/* 31 characters */
	};
	struct table before, after;
	struct answer a;
	int i, k;

	ASSERT_EQ(0, get_table(&self->nl, CLASP_CMD_CONFIG_GET, &before));
	ASSERT_GE(before.n, 19);
	for (i = 0; i < before.n; i++) {
		uint64_t outside[3] = { before.max[i] + 1, UINT64_MAX,
					before.min[i] - 1 };
		int n = before.min[i] ? 3 : 2;

		ASSERT_LE(before.min[i], before.max[i]);
		for (k = 0; k < n; k++) {
			config_set(&self->nl, before.name[i], outside[k], &a);
			EXPECT_EQ(0, want_errno(&a, -ERANGE, before.name[i])) {
				TH_LOG("value %llu", (unsigned long long)outside[k]);
			}
			EXPECT_EQ(0, want_error_with_msg(&a, before.name[i]));
		}
	}
	for (k = 0; k < (int)(sizeof(bad_names) / sizeof(bad_names[0])); k++) {
		config_set(&self->nl, bad_names[k], 1, &a);
		EXPECT_EQ(0, want_errno(&a, -ENOENT, bad_names[k]));
		EXPECT_EQ(0, want_error_with_msg(&a, bad_names[k]));
	}
	/* A name without its NUL. */
	msg_init(&req, self->nl.family, 0, CLASP_CMD_CONFIG_SET);
	msg_put(&req, CLASP_A_NAME, "msl_ms", 6);
	msg_put_u64(&req, CLASP_A_VALUE, 1000);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "NAME without NUL"));

	ASSERT_EQ(0, get_table(&self->nl, CLASP_CMD_CONFIG_GET, &after));
	ASSERT_EQ(before.n, after.n);
	for (i = 0; i < before.n; i++) {
		EXPECT_EQ(before.val[i], after.val[i]) {
			TH_LOG("%s changed", before.name[i]);
		}
	}

	i = table_find(&before, "msl_ms");
	ASSERT_LE(0, i);
	EXPECT_EQ(0, config_set(&self->nl, "msl_ms", before.max[i], &a));
	ASSERT_EQ(0, get_table(&self->nl, CLASP_CMD_CONFIG_GET, &after));
	EXPECT_EQ(before.max[i], after.val[i]);
	EXPECT_EQ(0, config_set(&self->nl, "msl_ms", before.min[i], &a));
	ASSERT_EQ(0, get_table(&self->nl, CLASP_CMD_CONFIG_GET, &after));
	EXPECT_EQ(before.min[i], after.val[i]);
}

static void count_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *tb[CLASP_A_MAX + 1];

	genl_attrs(nlh, tb, CLASP_A_MAX);
	if (tb[CLASP_A_STATE])
		(*(int *)arg)++;
}

/* Connection dumps with malformed filters fail; good filters work. */
TEST_F(nl, dump_bad_filters)
{
	struct pair p;
	struct answer a;
	uint8_t eight[8] = { 127, 0, 0, 1, 127, 0, 0, 1 };
	int n, k;

	ASSERT_EQ(0, pair_open(&p));
	for (k = 33; k < 256; k += 37) {
		msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
		msg_put(&req, CLASP_A_LADDR, eight, 4);
		msg_put_u8(&req, CLASP_A_FILTER_LPLEN, k);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		EXPECT_EQ(0, want_error_with_msg(&a, "LPLEN over 32"));
		msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
		msg_put_u8(&req, CLASP_A_FILTER_RPLEN, k);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		EXPECT_EQ(0, want_error_with_msg(&a, "RPLEN over 32"));
	}
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put(&req, CLASP_A_LADDR, eight, 8);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "8-byte LADDR"));
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put_u16(&req, CLASP_A_FILTER_STATES, 0xffff);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "16-bit FILTER_STATES"));
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put_u32(&req, CLASP_A_LPORT, PORT);
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "32-bit LPORT"));
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put_str(&req, CLASP_A_NAME, "msl_ms");
	nl_talk(&self->nl, &req, NULL, NULL, &a);
	EXPECT_EQ(0, want_error_with_msg(&a, "NAME in a dump"));

	/* Listener, client and server side: three; filtered: fewer. */
	n = 0;
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	nl_talk(&self->nl, &req, count_cb, &n, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "plain dump"));
	EXPECT_EQ(3, n);
	n = 0;
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put_u32(&req, CLASP_A_FILTER_STATES, 1U << TCP_LISTEN);
	nl_talk(&self->nl, &req, count_cb, &n, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "listeners"));
	EXPECT_EQ(1, n);
	n = 0;
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put_u16(&req, CLASP_A_RPORT, PORT);
	nl_talk(&self->nl, &req, count_cb, &n, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "rport filter"));
	EXPECT_EQ(1, n);
	n = 0;
	msg_init(&req, self->nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	msg_put(&req, CLASP_A_RADDR, eight, 4);
	msg_put_u8(&req, CLASP_A_FILTER_RPLEN, 0);
	msg_put_u32(&req, CLASP_A_FILTER_STATES, 1U << TCP_ESTABLISHED);
	nl_talk(&self->nl, &req, count_cb, &n, &a);
	EXPECT_EQ(0, want_errno(&a, 0, "established, any raddr"));
	EXPECT_EQ(2, n);
	pair_close(&p);
	EXPECT_EQ(0, family_alive(&self->nl));
}

/* ---- the random phase ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static unsigned int rnd_below(unsigned int n)
{
	return rnd() % n;
}

static bool chance(unsigned int percent)
{
	return rnd_below(100) < percent;
}

static const char *const tunable_names[] = {
	"msl_ms", "rto_initial_ms", "rto_min_ms", "rto_max_ms", "syn_retries",
	"synack_retries", "retries", "orphan_retries", "fin_timeout_ms",
	"keepalive_time_ms", "keepalive_intvl_ms", "keepalive_probes",
	"max_syn_backlog", "max_tw_buckets", "rfc1337", "challenge_ack_limit",
	"syncookies", "syncookie_period_ms", "abort_on_overflow",
};

/* An attribute that fits the policy of some operation. */
static void rnd_good_attr(struct msg *m)
{
	static const char *const addrs[] = { LO, "0.0.0.0", "10.1.2.3" };
	static const uint16_t ports[] = { PORT, 0, 1, 65535 };
	struct in_addr in;

	switch (rnd_below(8)) {
	case 0:
	case 1:
		inet_pton(AF_INET, addrs[rnd_below(3)], &in);
		msg_put(m, rnd_below(2) ? CLASP_A_LADDR : CLASP_A_RADDR, &in, 4);
		break;
	case 2:
		msg_put_u16(m, rnd_below(2) ? CLASP_A_LPORT : CLASP_A_RPORT,
			    ports[rnd_below(4)]);
		break;
	case 3:
		msg_put_u32(m, CLASP_A_FILTER_STATES, rnd());
		break;
	case 4:
		msg_put_u8(m, rnd_below(2) ? CLASP_A_FILTER_LPLEN :
					     CLASP_A_FILTER_RPLEN, rnd_below(40));
		break;
	case 5:
	case 6:
		msg_put_str(m, CLASP_A_NAME,
			    tunable_names[rnd_below(sizeof(tunable_names) /
						    sizeof(tunable_names[0]))]);
		break;
	default:
		msg_put_u64(m, CLASP_A_VALUE, chance(50) ? rnd_below(5000) : rnd());
		break;
	}
}

static void rnd_bytes(uint8_t *p, size_t len)
{
	while (len--)
		*p++ = rnd();
}

/* Any type, any flags, any length, any bytes. */
static void rnd_junk_attr(struct msg *m)
{
	static uint8_t junk[2048];
	uint16_t type = rnd_below(CLASP_A_MAX + 5);
	size_t len = chance(90) ? rnd_below(40) : rnd_below(sizeof(junk));

	if (chance(20))
		type |= NLA_F_NESTED;
	if (chance(10))
		type |= NLA_F_NET_BYTEORDER;
	rnd_bytes(junk, len);
	if (chance(10))
		msg_put_raw(m, type, rnd(), junk, len);
	else
		msg_put(m, type, junk, len);
}

static void rnd_nest(struct msg *m, int depth)
{
	struct nlattr *nest = msg_nest_start(m, rnd_below(CLASP_A_MAX + 2) |
					     (chance(70) ? NLA_F_NESTED : 0));
	int n = rnd_below(4);

	while (n--) {
		if (depth < 4 && chance(30))
			rnd_nest(m, depth + 1);
		else if (chance(50))
			rnd_good_attr(m);
		else
			rnd_junk_attr(m);
	}
	msg_nest_end(m, nest);
}

/* What a random request should get. */
struct expect {
	bool header_ok;		/* reaches the family's operation lookup */
	bool op_exists;		/* ... and the family has the operation */
};

/* The core takes only REQUEST, ACK, ECHO and the two DUMP bits together. */
static bool flags_ok(uint16_t flags)
{
	if ((flags & NLM_F_DUMP) == NLM_F_DUMP)
		flags &= ~NLM_F_DUMP;
	return !(flags & ~NLM_F_ECHO);
}

static void rnd_request(struct msg *m, uint16_t family, struct expect *ex)
{
	static const uint16_t extra[] = {
		NLM_F_ECHO, NLM_F_ECHO, NLM_F_ROOT, NLM_F_ATOMIC, NLM_F_EXCL,
		NLM_F_APPEND, NLM_F_MULTI,
	};
	bool dump = chance(25);
	uint16_t flags = dump ? NLM_F_DUMP : 0;
	uint8_t cmd = chance(85) ? clasp_ops[rnd_below(NOPS)] : rnd();
	bool clean = chance(30);	/* well-formed attributes only */
	int n = rnd_below(7);

	if (chance(5))
		flags |= extra[rnd_below(sizeof(extra) / sizeof(extra[0]))];
	msg_init(m, family, flags, cmd);
	ex->header_ok = flags_ok(flags);
	if (chance(3)) {
		msg_genl(m)->reserved = rnd() | 1;
		ex->header_ok = false;
	}
	if (chance(10))
		msg_genl(m)->version = rnd();
	while (n--) {
		unsigned int kind = rnd_below(10);

		if (clean || kind < 5)
			rnd_good_attr(m);
		else if (kind < 8)
			rnd_junk_attr(m);
		else
			rnd_nest(m, 0);
	}
	if (chance(3)) {
		m->len = NLMSG_HDRLEN + rnd_below(m->len - NLMSG_HDRLEN + 1);
		if (m->len < NLMSG_HDRLEN + GENL_HDRLEN)
			ex->header_ok = false;
	}
	ex->op_exists = op_exists(cmd, (flags & NLM_F_DUMP) == NLM_F_DUMP);
}

/* 0 when the answer is what @ex says it must be; else logs why. */
static int check_random_answer(const struct answer *a, const struct expect *ex,
			       uint8_t cmd)
{
	char what[48];

	snprintf(what, sizeof(what), "cmd %u", cmd);
	if (!a->answered || a->bad)
		return want_errno(a, 0, what);
	if (!ex->header_ok)
		return a->err ? 0 : want_errno(a, -EINVAL, what);
	if (!ex->op_exists)
		return want_errno(a, -EOPNOTSUPP, what);
	if (a->err)
		return want_error_with_msg(a, what);
	return 0;
}

static void hexdump(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		printf("%s%02x%s", i % 32 ? "" : "# ", p[i],
		       i % 32 == 31 || i + 1 == len ? "\n" : "");
}

static unsigned long env_ulong(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

TEST_F(nl, random_requests)
{
	unsigned long iters = env_ulong("CLASP_NLFUZZ_ITERS", 20000);
	unsigned long seed = env_ulong("CLASP_NLFUZZ_SEED", time(NULL));
	unsigned long i, errors = 0, fails = 0;
	long long t0 = clasp_now_ms();
	struct answer a;
	struct expect ex;
	struct pair p;

	/* Something for dumps to find and for kills to miss. */
	ASSERT_EQ(0, pair_open(&p));
	printf("# seed %lu (CLASP_NLFUZZ_SEED), %lu iterations\n", seed, iters);
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (i = 0; i < iters && fails < 10; i++) {
		rnd_request(&req, self->nl.family, &ex);
		nl_talk(&self->nl, &req, NULL, NULL, &a);
		errors += a.err != 0;
		if (check_random_answer(&a, &ex, msg_genl(&req)->cmd)) {
			printf("# iteration %lu: request of %zu bytes:\n", i,
			       req.len);
			hexdump(req.buf, req.len < 512 ? req.len : 512);
			fails++;
		}
	}
	printf("# %lu requests, %lu errors, in %lld ms\n", i, errors,
	       clasp_now_ms() - t0);
	EXPECT_EQ(0, fails);
	EXPECT_EQ(0, family_alive(&self->nl));
	/* The connection the fuzzer could not name is still there. */
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(p.cli));
	pair_close(&p);
}

/* ---- who may do what ---- */

/* In a child: the outcome of each request, as a count of surprises. */
static int check_access(struct pair *p, bool may_change)
{
	struct nl nl;
	struct answer a;
	struct table t;
	int n = 0, bad = 0, want = may_change ? 0 : -EPERM;

	if (nl_open(&nl) || nl_resolve(&nl)) {
		printf("# cannot talk to the family\n");
		return 1;
	}
	msg_init(&req, nl.family, NLM_F_DUMP, CLASP_CMD_CONN_GET);
	nl_talk(&nl, &req, count_cb, &n, &a);
	bad += !!want_errno(&a, 0, "conn dump");
	if (p && n != 3) {
		printf("# conn dump: %d connections, want 3\n", n);
		bad++;
	}
	if (p) {
		msg_pair(&req, &nl, CLASP_CMD_CONN_GET, p);
		nl_talk(&nl, &req, NULL, NULL, &a);
		bad += !!want_errno(&a, 0, "conn get");
	}
	bad += !!get_table(&nl, CLASP_CMD_STATS_GET, &t);
	bad += !!get_table(&nl, CLASP_CMD_CONFIG_GET, &t);
	config_set(&nl, "msl_ms", 1234, &a);
	bad += !!want_errno(&a, want, "config set");
	/* Out of range: checked after the permission, if at all. */
	config_set(&nl, "msl_ms", 0, &a);
	bad += !!want_errno(&a, may_change ? -ERANGE : -EPERM, "bad config set");
	if (p) {
		msg_pair(&req, &nl, CLASP_CMD_CONN_KILL, p);
		nl_talk(&nl, &req, NULL, NULL, &a);
		bad += !!want_errno(&a, want, "conn kill");
	}
	close(nl.fd);
	return bad;
}

/* Drop root; stay dumpable so that /proc/self/uid_map stays ours. */
static int become_nobody(void)
{
	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return -1;
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

/* A user namespace where our own (unprivileged) uid is root. */
static int enter_userns(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWUSER))
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (write_file("/proc/self/uid_map", map) ||
	    write_file("/proc/self/setgroups", "deny"))
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", gid);
	return write_file("/proc/self/gid_map", map);
}

enum who { NOBODY_USER, USERNS_NOT_OWNER, USERNS_OWNER };

/*
 * Run check_access() in a child as @who; its result, or 4 (KSFT_SKIP)
 * when the child could not become @who for want of user namespaces.
 */
static int access_as(enum who who, struct pair *p)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (become_nobody())
			_exit(100);
		if (who != NOBODY_USER && enter_userns()) {
			printf("# no user namespace as nobody: %s\n",
			       strerror(errno));
			_exit(KSFT_SKIP);
		}
		if (who == USERNS_OWNER) {
			if (clasp_new_netns())
				_exit(101);
			p = NULL;
		}
		fflush(stdout);
		_exit(check_access(p, false) ? 1 : 0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void expect_pair_untouched(struct __test_metadata *_metadata,
				  struct nl *nl, struct pair *p,
				  uint64_t msl)
{
	struct table t;
	int i;

	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(p->cli));
	EXPECT_EQ(TCP_ESTABLISHED, clasp_state(p->srv));
	ASSERT_EQ(0, get_table(nl, CLASP_CMD_CONFIG_GET, &t));
	i = table_find(&t, "msl_ms");
	ASSERT_LE(0, i);
	EXPECT_EQ(msl, t.val[i]);
}

static uint64_t msl_now(struct nl *nl)
{
	struct table t;
	int i;

	if (get_table(nl, CLASP_CMD_CONFIG_GET, &t))
		return 0;
	i = table_find(&t, "msl_ms");
	return i < 0 ? 0 : t.val[i];
}

/* Anyone may read; only an admin may change a tunable or kill. */
TEST_F(nl, unprivileged_reads_only)
{
	uint64_t msl = msl_now(&self->nl);
	struct pair p;

	ASSERT_NE(0, msl);
	ASSERT_EQ(0, pair_open(&p));
	EXPECT_EQ(0, access_as(NOBODY_USER, &p));
	expect_pair_untouched(_metadata, &self->nl, &p, msl);
	pair_close(&p);
}

/*
 * Root of a user namespace is no admin of a network namespace that user
 * namespace does not own.
 */
TEST_F(nl, userns_not_owner)
{
	uint64_t msl = msl_now(&self->nl);
	struct pair p;
	int rc;

	ASSERT_NE(0, msl);
	ASSERT_EQ(0, pair_open(&p));
	rc = access_as(USERNS_NOT_OWNER, &p);
	if (rc == KSFT_SKIP) {
		pair_close(&p);
		SKIP(return, "unprivileged user namespaces are not allowed");
	}
	EXPECT_EQ(0, rc);
	expect_pair_untouched(_metadata, &self->nl, &p, msl);
	pair_close(&p);
}

/*
 * The mutating commands are GENL_ADMIN_PERM: CAP_NET_ADMIN in the initial
 * user namespace.  Root of a user namespace may read even the namespace it
 * created, and may not steer it.
 */
TEST_F(nl, userns_owner_reads_but_does_not_steer)
{
	int rc = access_as(USERNS_OWNER, NULL);

	if (rc == KSFT_SKIP)
		SKIP(return, "unprivileged user namespaces are not allowed");
	EXPECT_EQ(0, rc);
}

CLASP_HARNESS_MAIN
