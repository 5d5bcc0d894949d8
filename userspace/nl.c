// SPDX-License-Identifier: GPL-2.0
/*
 * claspctl: talking to the generic netlink family "clasp" with libmnl.
 *
 * The socket asks for extended ACKs (the kernel's error text), capped ACKs
 * (no copy of our request in them) and strict checking of dump requests.
 * Every request runs until the kernel's NLMSG_ERROR (an ACK, or an error)
 * or, for a dump, NLMSG_DONE: both are handled through mnl_cb_run2()'s
 * control-callback array, without which a dump would never end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "claspctl.h"

/* Large enough for any message the kernel builds for a dump (32 KiB). */
static char rbuf[65536];

/* The kernel's error text of the last failed request, if it gave one. */
static char ext_msg[256];
static bool err_from_kernel;

struct talk {
	mnl_cb_t cb;
	void *data;
	int err;
};

static void parse_extack(const struct nlmsghdr *nlh, size_t offset)
{
	const struct nlattr *attr;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (offset > nlh->nlmsg_len - sizeof(*nlh))
		return;
	mnl_attr_for_each(attr, nlh, offset) {
		if (mnl_attr_get_type(attr) != NLMSGERR_ATTR_MSG ||
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			continue;
		snprintf(ext_msg, sizeof(ext_msg), "%s",
			 mnl_attr_get_str(attr));
	}
}

static int cb_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct talk *t = data;
	size_t offset;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		t->err = -EBADMSG;
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!e->error)
		return MNL_CB_STOP;	/* the ACK */
	offset = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += e->msg.nlmsg_len - sizeof(e->msg);
	parse_extack(nlh, offset);
	t->err = e->error < 0 ? e->error : -e->error;
	err_from_kernel = true;
	errno = -t->err;
	return MNL_CB_ERROR;
}

/* End of a dump; a failed dump puts its error (and extack) here. */
static int cb_done(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int err = 0;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (!err)
		return MNL_CB_STOP;
	parse_extack(nlh, sizeof(int));
	t->err = err < 0 ? err : -err;
	err_from_kernel = true;
	errno = -t->err;
	return MNL_CB_ERROR;
}

static int cb_ignore(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_NOOP] = cb_ignore,
	[NLMSG_ERROR] = cb_error,
	[NLMSG_DONE] = cb_done,
	[NLMSG_OVERRUN] = cb_ignore,
};

static int cb_data(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int ret;

	if (!t->cb)
		return MNL_CB_OK;
	errno = 0;
	ret = t->cb(nlh, t->data);
	if (ret == MNL_CB_ERROR)
		t->err = errno ? -errno : -EBADMSG;
	return ret;
}

/*
 * Send @nlh and feed every reply to @cb until the ACK, the error or the
 * end of the dump.  Returns 0 or a negative errno; the kernel's text is
 * kept for nl_die().
 */
int nl_talk(struct clasp_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb,
	    void *data)
{
	struct talk t = { .cb = cb, .data = data };
	ssize_t n;
	int ret;

	ext_msg[0] = '\0';
	err_from_kernel = false;
	if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sk, rbuf, sizeof(rbuf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ret = mnl_cb_run2(rbuf, n, nlh->nlmsg_seq, nl->portid,
				  cb_data, &t, ctl_cbs, ARRAY_SIZE(ctl_cbs));
		if (ret == MNL_CB_ERROR)
			return t.err ? t.err : -errno;
		if (ret == MNL_CB_STOP)
			return t.err;
	}
}

/* Report a failed request and exit 1. */
void nl_die(int err, const char *what)
{
	if (ext_msg[0])
		die("kernel: %s", ext_msg);
	if (err == -EPERM && err_from_kernel)
		die("kernel: %s (%s needs CAP_NET_ADMIN)", strerror(-err),
		    what);
	if (err_from_kernel)
		die("kernel: %s", strerror(-err));
	die("%s: %s", what, strerror(-err));
}

/* A generic netlink request to family clasp, to fill with attributes. */
struct nlmsghdr *nl_msg(struct clasp_nl *nl, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	/* libmnl 1.0.4 leaves attribute padding as it finds it. */
	memset(nl->sbuf, 0, MNL_SOCKET_BUFFER_SIZE);
	nlh = mnl_nlmsg_put_header(nl->sbuf);

	nlh->nlmsg_type = nl->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = CLASP_GENL_VERSION;
	return nlh;
}

/* What type each attribute of enum clasp_attr must have. */
static const enum mnl_attr_data_type clasp_types[CLASP_A_MAX + 1] = {
	[CLASP_A_LADDR] = MNL_TYPE_U32,
	[CLASP_A_RADDR] = MNL_TYPE_U32,
	[CLASP_A_LPORT] = MNL_TYPE_U16,
	[CLASP_A_RPORT] = MNL_TYPE_U16,
	[CLASP_A_STATE] = MNL_TYPE_U8,
	[CLASP_A_OLD_STATE] = MNL_TYPE_U8,
	[CLASP_A_CAUSE] = MNL_TYPE_U8,
	[CLASP_A_KIND] = MNL_TYPE_U8,
	[CLASP_A_PASSIVE] = MNL_TYPE_U8,
	[CLASP_A_TIMER] = MNL_TYPE_U8,
	[CLASP_A_TIMER_MS] = MNL_TYPE_U32,
	[CLASP_A_RETRANS] = MNL_TYPE_U8,
	[CLASP_A_BACKOFF] = MNL_TYPE_U8,
	[CLASP_A_RTO_US] = MNL_TYPE_U32,
	[CLASP_A_SRTT_US] = MNL_TYPE_U32,
	[CLASP_A_SND_UNA] = MNL_TYPE_U32,
	[CLASP_A_SND_NXT] = MNL_TYPE_U32,
	[CLASP_A_RCV_NXT] = MNL_TYPE_U32,
	[CLASP_A_SND_WND] = MNL_TYPE_U32,
	[CLASP_A_RCV_WND] = MNL_TYPE_U32,
	[CLASP_A_MSS] = MNL_TYPE_U32,
	[CLASP_A_RECV_Q] = MNL_TYPE_U32,
	[CLASP_A_SEND_Q] = MNL_TYPE_U32,
	[CLASP_A_UID] = MNL_TYPE_U32,
	[CLASP_A_INODE] = MNL_TYPE_U64,
	[CLASP_A_COOKIE] = MNL_TYPE_U64,
	[CLASP_A_CA_STATE] = MNL_TYPE_U8,
	[CLASP_A_OOO_SEGS] = MNL_TYPE_U32,
	[CLASP_A_FILTER_STATES] = MNL_TYPE_U32,
	[CLASP_A_FILTER_LPLEN] = MNL_TYPE_U8,
	[CLASP_A_FILTER_RPLEN] = MNL_TYPE_U8,
	[CLASP_A_STATS] = MNL_TYPE_NESTED,
	[CLASP_A_CONFIG] = MNL_TYPE_NESTED,
	[CLASP_A_ENTRY] = MNL_TYPE_NESTED,
	[CLASP_A_NAME] = MNL_TYPE_NUL_STRING,
	[CLASP_A_VALUE] = MNL_TYPE_U64,
	[CLASP_A_VALUE_MIN] = MNL_TYPE_U64,
	[CLASP_A_VALUE_MAX] = MNL_TYPE_U64,
	[CLASP_A_SND_WSCALE] = MNL_TYPE_U8,
	[CLASP_A_RCV_WSCALE] = MNL_TYPE_U8,
	[CLASP_A_TS_OK] = MNL_TYPE_U8,
	[CLASP_A_SACK_OK] = MNL_TYPE_U8,
	[CLASP_A_SACK_BLOCKS] = MNL_TYPE_U8,
	[CLASP_A_SACKED_SEGS] = MNL_TYPE_U32,
	[CLASP_A_REORDERING] = MNL_TYPE_U32,
	[CLASP_A_CWND] = MNL_TYPE_U32,
	[CLASP_A_SSTHRESH] = MNL_TYPE_U32,
	[CLASP_A_IN_FLIGHT] = MNL_TYPE_U32,
	[CLASP_A_CA_NAME] = MNL_TYPE_NUL_STRING,
	[CLASP_A_CA_AVAILABLE] = MNL_TYPE_NUL_STRING,
	[CLASP_A_SEG_SENT] = MNL_TYPE_U8,
	[CLASP_A_SEG_FLAGS] = MNL_TYPE_U8,
	[CLASP_A_SEG_SEQ] = MNL_TYPE_U32,
	[CLASP_A_SEG_ACK] = MNL_TYPE_U32,
	[CLASP_A_SEG_LEN] = MNL_TYPE_U32,
	[CLASP_A_SEG_WND] = MNL_TYPE_U32,
	[CLASP_A_ISS] = MNL_TYPE_U32,
	[CLASP_A_IRS] = MNL_TYPE_U32,
	[CLASP_A_TIME_NS] = MNL_TYPE_U64,
	[CLASP_A_ECN_OK] = MNL_TYPE_U8,
	[CLASP_A_ECN_SEEN] = MNL_TYPE_U8,
	[CLASP_A_FAMILY] = MNL_TYPE_U8,
	[CLASP_A_LADDR6] = MNL_TYPE_BINARY,
	[CLASP_A_RADDR6] = MNL_TYPE_BINARY,
	[CLASP_A_SOCK_FAMILY] = MNL_TYPE_U8,
	[CLASP_A_V6ONLY] = MNL_TYPE_U8,
	[CLASP_A_PACING_RATE] = MNL_TYPE_U64,
	[CLASP_A_MAX_PACING_RATE] = MNL_TYPE_U64,
};

/*
 * Keep attributes we know and whose size is right; skip the others.  An
 * integer's size is checked here, as mnl_attr_validate() checks it (the
 * payload exactly the integer): a dump's rows are some 20 integers each,
 * and the call for each was a tenth of a 100,000-row listing's parsing.
 */
static int clasp_attr_cb(const struct nlattr *attr, void *data)
{
	static const uint8_t int_len[MNL_TYPE_MAX] = {
		[MNL_TYPE_U8] = 1, [MNL_TYPE_U16] = 2, [MNL_TYPE_U32] = 4,
		[MNL_TYPE_U64] = 8,
	};
	const struct nlattr **tb = data;
	uint16_t type = attr->nla_type & NLA_TYPE_MASK;
	enum mnl_attr_data_type t;

	if (type > CLASP_A_MAX || clasp_types[type] == MNL_TYPE_UNSPEC)
		return MNL_CB_OK;
	t = clasp_types[type];
	if (int_len[t]) {
		if (attr->nla_len - MNL_ATTR_HDRLEN != int_len[t])
			return MNL_CB_OK;
	} else if (mnl_attr_validate(attr, t) < 0) {
		return MNL_CB_OK;
	}
	if ((type == CLASP_A_LADDR6 || type == CLASP_A_RADDR6) &&
	    mnl_attr_get_payload_len(attr) != 16)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

/* @tb has CLASP_A_MAX + 1 entries; fills them from a clasp message. */
int nl_parse_attrs(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	memset(tb, 0, sizeof(*tb) * (CLASP_A_MAX + 1));
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), clasp_attr_cb,
			      tb) < 0 ? -EBADMSG : 0;
}

int nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb)
{
	memset(tb, 0, sizeof(*tb) * (CLASP_A_MAX + 1));
	return mnl_attr_parse_nested(nest, clasp_attr_cb, tb) < 0 ?
	       -EBADMSG : 0;
}

/* The controller's answer about family "clasp": its id and groups. */
static int family_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= CTRL_ATTR_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { };
	struct clasp_nl *nl = data;
	const struct nlattr *grp;

	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb,
			   tb) < 0)
		return MNL_CB_ERROR;
	if (!tb[CTRL_ATTR_FAMILY_ID] ||
	    mnl_attr_validate(tb[CTRL_ATTR_FAMILY_ID], MNL_TYPE_U16) < 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	nl->family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return MNL_CB_OK;
	mnl_attr_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS]) {
		const struct nlattr *g[CTRL_ATTR_MCAST_GRP_MAX + 1] = { };
		const struct nlattr *a;

		mnl_attr_for_each_nested(a, grp) {
			uint16_t type = mnl_attr_get_type(a);

			if (type <= CTRL_ATTR_MCAST_GRP_MAX)
				g[type] = a;
		}
		if (!g[CTRL_ATTR_MCAST_GRP_NAME] || !g[CTRL_ATTR_MCAST_GRP_ID] ||
		    mnl_attr_validate(g[CTRL_ATTR_MCAST_GRP_NAME],
				      MNL_TYPE_NUL_STRING) < 0 ||
		    mnl_attr_validate(g[CTRL_ATTR_MCAST_GRP_ID],
				      MNL_TYPE_U32) < 0)
			continue;
		if (!strcmp(mnl_attr_get_str(g[CTRL_ATTR_MCAST_GRP_NAME]),
			    CLASP_MCGRP_EVENTS))
			nl->events_group =
				mnl_attr_get_u32(g[CTRL_ATTR_MCAST_GRP_ID]);
		else if (!strcmp(mnl_attr_get_str(g[CTRL_ATTR_MCAST_GRP_NAME]),
				 CLASP_MCGRP_SEGMENTS))
			nl->segments_group =
				mnl_attr_get_u32(g[CTRL_ATTR_MCAST_GRP_ID]);
	}
	return MNL_CB_OK;
}

static void set_flag_opt(struct clasp_nl *nl, int opt)
{
	int one = 1;

	/* Best effort: without them we still work, only less helpfully. */
	mnl_socket_setsockopt(nl->sk, opt, &one, sizeof(one));
}

/* Open the socket and find family "clasp"; exits 1 when it is missing. */
void nl_open(struct clasp_nl *nl)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int err;

	memset(nl, 0, sizeof(*nl));
	nl->sbuf = calloc(1, MNL_SOCKET_BUFFER_SIZE);
	if (!nl->sbuf)
		die("out of memory");
	nl->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sk)
		die("cannot open a generic netlink socket: %s",
		    strerror(errno));
	set_flag_opt(nl, NETLINK_EXT_ACK);
	set_flag_opt(nl, NETLINK_CAP_ACK);
	set_flag_opt(nl, NETLINK_GET_STRICT_CHK);
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0)
		die("cannot bind the netlink socket: %s", strerror(errno));
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = time(NULL);

	nlh = mnl_nlmsg_put_header(nl->sbuf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, CLASP_GENL_NAME);
	err = nl_talk(nl, nlh, family_cb, nl);
	if (err == -ENOENT)
		die("the clasp module is not loaded");
	if (err)
		nl_die(err, "looking up the clasp family");
	if (!nl->family)
		die("looking up the clasp family: no family id in the answer");
}

void nl_close(struct clasp_nl *nl)
{
	mnl_socket_close(nl->sk);
	free(nl->sbuf);
}

/*
 * Wait for one datagram of notifications and feed its messages to @cb.
 * Returns 0, or a negative errno (-EINTR on a signal, -ENOBUFS when the
 * kernel had to drop some).
 */
int nl_recv_events(struct clasp_nl *nl, mnl_cb_t cb, void *data)
{
	struct talk t = { .cb = cb, .data = data };
	ssize_t n;

	n = mnl_socket_recvfrom(nl->sk, rbuf, sizeof(rbuf));
	if (n < 0)
		return -errno;
	if (mnl_cb_run2(rbuf, n, 0, 0, cb_data, &t, ctl_cbs,
			ARRAY_SIZE(ctl_cbs)) == MNL_CB_ERROR)
		return t.err ? t.err : -EBADMSG;
	return 0;
}

/*
 * nl_put_addr_filter() - @f as a request's filter attributes; with @swap
 * for the other end's namespace, where local and remote trade places.
 */
void nl_put_addr_filter(struct nlmsghdr *nlh, const struct addr_filter *f,
			bool swap)
{
	if (f->has_src) {
		nl_put_addr(nlh, !swap, &f->src);
		mnl_attr_put_u8(nlh, swap ? CLASP_A_FILTER_RPLEN :
					    CLASP_A_FILTER_LPLEN, f->src_len);
	}
	if (f->has_dst) {
		nl_put_addr(nlh, swap, &f->dst);
		mnl_attr_put_u8(nlh, swap ? CLASP_A_FILTER_LPLEN :
					    CLASP_A_FILTER_RPLEN, f->dst_len);
	}
	if (f->sport)
		mnl_attr_put_u16(nlh, swap ? CLASP_A_RPORT : CLASP_A_LPORT,
				 f->sport);
	if (f->dport)
		mnl_attr_put_u16(nlh, swap ? CLASP_A_LPORT : CLASP_A_RPORT,
				 f->dport);
}
